/*
 * jobs — wipe jobs for the API: the drivers' job interface (start,
 * progress, cancel, result; drivers/sanitize.h, over both the overwrite
 * engine and the drives' own purge commands) run in worker threads, several drives at once,
 * with sanitize_started / sanitize_completed / sanitize_failed entries.
 * Everything that crosses to drivers/ is plain data (struct sanitize_params in,
 * struct sanitize_result out), ready for a privileged worker process later.
 */
#ifndef SZ_JOBS_H
#define SZ_JOBS_H
#include <stddef.h>

struct api;
struct jobs;

/*
 * Start the job manager.  First, an asset left in `sanitizing` by a crash
 * gets sanitize_failed with reason "interrupted": none stays sanitizing
 * without a live job.  0 or -errno with err set.
 */
int jobs_start(struct api *a, struct jobs **out, char *err, size_t errlen);
/* Cancel running jobs at their next safe point, wait for them and record them. */
void jobs_stop(struct jobs *j);
/* Free; jobs_free(NULL) is a no-op.  Call after jobs_stop. */
void jobs_free(struct jobs *j);
/*
 * The drive with that device number left (a remove event, or another drive
 * under its name): its live job stops at its next safe point and fails with
 * reason device_removed.  Cannot fail.
 */
void jobs_device_gone(struct jobs *j, unsigned major, unsigned minor);
/* Counts by state for /metrics: queued, running, verifying, completed, failed, cancelled. */
void jobs_counts(struct jobs *j, unsigned long long counts[6], unsigned long long *bytes);

#endif
