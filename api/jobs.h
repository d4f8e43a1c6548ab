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
#include <jansson.h>

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
struct req;
struct resp;
/* A job's policies (POST /v1/jobs and batches): on_error fail|continue, restore_hpa no|volatile|permanent. */
struct jobs_opt {
	int on_error;		/* enum wipe_on_error */
	int restore_hpa;	/* SANITIZE_HPA_* */
};
/* The options from their names (NULL: the defaults, fail and no): 0, or -EINVAL. */
int jobs_options(const char *on_error, const char *restore_hpa, struct jobs_opt *o);
/*
 * Start one wipe job, as POST /v1/jobs does, answering into out: 202 with
 * the job, or the error (400, 404, 409 with error.reason, 503, 507).
 * batch_id, when not NULL, is recorded in sanitize_started.  Cannot fail
 * otherwise (every outcome is a response).
 */
void jobs_create(struct req *r, const char *asset_id, const char *device, const char *method, const char *verify,
		 const char *batch_id, const struct jobs_opt *opt, struct resp *out);
/* The view of job id (live, recently ended, or from the ledger): a new reference, or NULL if there is none. */
json_t *jobs_view(struct api *a, const char *id);
/* Ask live job id to stop at its next safe point: 1 if it was live, 0 if not.  Cannot fail. */
int jobs_cancel(struct jobs *js, const char *id);
/* Counts by state for /metrics: queued, running, verifying, completed, failed, cancelled. */
void jobs_counts(struct jobs *j, unsigned long long counts[6], unsigned long long *bytes);

/* 1 if method names a sanitization method the drivers know (SPEC section 7). */
int jobs_method_known(const char *method);
/* The name of interlock reason i (0, 1, ...; NULL past the last), for counters that start at zero. */
const char *jobs_interlock_reason(unsigned i);

#endif
