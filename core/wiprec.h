/*
 * wiprec — how a wipe is written into the ledger, shared by the daemon's
 * jobs and the standalone `sanitizerd wipe`, so both record the same thing:
 * sanitize_started, then sanitize_completed (with method, NIST category,
 * passes, bytes, duration, verification, tool, device) or sanitize_failed.
 */
#ifndef SZ_WIPREC_H
#define SZ_WIPREC_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct ledger;
struct sanitize_result;
struct blkdev_info;

/*
 * sanitize_completed's data, from the unified result of either engine
 * (drivers/sanitize.h); a purge adds "purge" {command, confirmed,
 * confirmation, sentinels, readback}, an overwrite of an ATA disk
 * "hidden_sectors"; every record has "coverage" {scope, bytes,
 * capacity_bytes} (what the sanitization reached, SPEC section 7) and
 * "exceptions" (what the job could not establish; empty when none).  A new
 * reference or NULL (ENOMEM).
 */
json_t *wiprec_completed(const char *job_id, const struct sanitize_result *r, const struct blkdev_info *dev,
			 const char *media_type, uint64_t capacity);
/*
 * sanitize_started's data: job_id, method, verify, device, identity,
 * "station", the wipe station's own identifiers (hostname, and DMI's vendor,
 * product, serial and UUID where /sys/class/dmi/id has them; null where it
 * does not), and "health", the drive's health read now (health_to_json;
 * null when it could not be read).  A new reference or NULL (ENOMEM).
 */
json_t *wiprec_started(const char *job_id, const char *method, const char *verify, const char *device,
		       const char *identity);
/* The station's identifiers as in wiprec_started, read below dmi_dir ("/sys/class/dmi/id"; tests point elsewhere). */
json_t *wiprec_station(const char *dmi_dir);
/*
 * How a job ended, for its record (the CLI's and the daemon's one rule):
 * WIPREC_PASSED (sanitize_result_passed), WIPREC_WITH_EXCEPTIONS (it went
 * on past I/O errors by policy and completed, and the rest verified: a
 * sanitize_completed that says so, never a plain pass, SPEC section 7), or
 * WIPREC_FAILED.  why says it in words.  Cannot fail.
 */
enum { WIPREC_FAILED, WIPREC_PASSED, WIPREC_WITH_EXCEPTIONS };
int wiprec_outcome(const struct sanitize_result *r, char *why, size_t len);
/*
 * sanitize_failed's data: reason is interrupted, cancelled,
 * verification_failed or failed; a refusal's name and, for a purge,
 * whether the command reached the drive.  A new reference or NULL.
 */
json_t *wiprec_failed(const char *job_id, const char *reason, const struct sanitize_result *r);
/*
 * The enrolled asset a device is, by its identity (SPEC section 7): the
 * asset whose enrolled serial equals identity or wwn and that is not
 * destroyed.  0 with id (and media_type) filled, -ENOENT if none.
 */
/*
 * The enrolled capacity_bytes of asset id (SPEC section 5) into *capacity:
 * 0, -ENOENT when the asset or the field is missing, -EINVAL when it is not
 * a positive integer, -EIO.
 */
int wiprec_asset_capacity(struct ledger *l, const char *id, uint64_t *capacity);
/*
 * The whole-drive rule at the end of a job: 0 when r covered capacity bytes
 * of a whole drive, else -EPERM with msg saying why (partial_device).
 */
int wiprec_coverage_check(const struct sanitize_result *r, const struct blkdev_info *dev, uint64_t capacity,
			  char *msg, size_t len);
/*
 * The end of a job kept outside the ledger until the ledger has it (issue
 * 11: a full state disk must not turn a finished wipe into "interrupted").
 * Before a job starts, wiprec_pending_reserve creates
 * STATE_DIR/jobs/JOB_ID.end (0600) and allocates its blocks, so that
 * writing the record later needs no free space; the job refuses to start
 * if that fails.  At the end the record {subject, type, actor, data} is
 * written there durably first, then appended to the ledger, then the file
 * is removed.  At start, wiprec_pending_replay hands every written record
 * still there to the daemon before anything else.
 */
#define WIPREC_PENDING_MAX 73728	/* the ledger's 64 KiB data cap, and room for the rest */
struct wiprec_pending;
/* 0 with *out (caller ends it with wiprec_pending_close), -ENOSPC when the state disk is full, -errno. */
int wiprec_pending_reserve(const char *state_dir, const char *job_id, struct wiprec_pending **out);
/* Write the record in place and fdatasync it.  0, -E2BIG over WIPREC_PENDING_MAX, -ENOMEM, -errno. */
int wiprec_pending_write(struct wiprec_pending *p, const char *subject, const char *type, const char *actor,
			 const json_t *data);
/* Close p and, when remove is set (the ledger has the record, or there is none to keep), its file.  NULL is a no-op. */
void wiprec_pending_close(struct wiprec_pending *p, int remove);
/*
 * Every written record in STATE_DIR/jobs, oldest first, to cb; a record cb
 * takes (returns 0) or finds already recorded (returns 1) is removed, and
 * so is a reserved file that was never written.  A file that does not parse
 * is left in place and named in err (-EBADMSG) after the others ran.  0 or -errno.
 */
typedef int (*wiprec_replay_fn)(void *ctx, const char *subject, const char *type, const char *actor, json_t *data);
int wiprec_pending_replay(const char *state_dir, wiprec_replay_fn cb, void *ctx, char *err, size_t errlen);

/*
 * Jobs read back from the ledger (issue 13: jobs of earlier runs): a job is
 * its sanitize_started entry and the sanitize_completed or sanitize_failed
 * entry with the same job_id.  The view has the SPEC section 6 job fields,
 * "record":"written", "started_seq", and the end entry's data as "report";
 * a job with no end yet has state "running" (its live view, when the daemon
 * has one, is better).
 */
/* 0 with *out (new reference), -ENOENT when no job has that id, -EIO, -ENOMEM. */
int wiprec_job_get(struct ledger *l, const char *job_id, json_t **out);
struct wiprec_job_filter {
	const char *state;	/* NULL: any */
	const char *asset_id;	/* NULL: any */
	const char *since;	/* started at or after this entry time; NULL: any */
	uint64_t before_seq;	/* started before this seq (the page cursor); 0: from the newest */
	unsigned limit;		/* 1..200 */
};
/*
 * Jobs newest first into *jobs (a new array), at most f->limit, and *next
 * the cursor of the next page (0 when there is none).  live(ctx, id), when
 * not NULL, returns the daemon's live view of a job (a new reference) or
 * NULL; it replaces the ledger's view and is what the state filter sees.
 * At most 10,000 starts are examined per call; *next then points past them.
 * 0, -EIO, -ENOMEM.
 */
int wiprec_job_list(struct ledger *l, const struct wiprec_job_filter *f, json_t *(*live)(void *ctx, const char *id),
		    void *ctx, json_t **jobs, uint64_t *next);

int wiprec_find_asset(struct ledger *l, const char *identity, const char *wwn, char *id, size_t idlen,
		      char *media_type, size_t mtlen);

#endif
