/*
 * sanitize — one job interface over both engines: the overwrite engine of
 * wipe.h (clear-zero, clear-random, dod-3pass, luks-crypto-erase) and the
 * drive-command purge runner of purge.h (nvme-*, ata-*, scsi-*).  The
 * caller names a SPEC section 8 method; this module routes it.  Parameters,
 * progress and results are plain fixed-size data (no pointers, no
 * descriptors, no keys), so the job can move behind the privileged worker's
 * socketpair unchanged.
 *
 * What a job adds to the engines:
 *
 *  - HPA/DCO before an overwrite (NIST SP 800-88r1 Table A-8 note on
 *    hidden areas).  On an ATA disk (sysfs transport "sata", or any whole
 *    sdX that answers ATA IDENTIFY through SAT pass-through) the job reads
 *    IDENTIFY and READ NATIVE MAX ADDRESS / DCO IDENTIFY first.  Sectors
 *    hidden from the host cannot be overwritten, so the job refuses before
 *    writing anything (refusal "hidden_sectors", -EPERM): a wipe that
 *    leaves a hidden area would be a wipe we cannot certify, and refusing
 *    early leaves the data intact for the technician to remove the HPA and
 *    start again.  A sata disk that cannot be asked is refused too
 *    ("hidden_unknown"): we cannot rule a hidden area out.  It reads the
 *    maxima again after the overwrite and fails the job if they changed.  Loop, virtio, NVMe and other non-ATA devices
 *    have no such area and are not asked.
 *
 *  - For purge methods, verify "full" or "sample" turns on the runner's
 *    sentinel precheck (sentinels written before the command, none may
 *    survive), and after the purge a read-back with the plan of verify.h,
 *    on the runner's own O_EXCL descriptor (purge_job_set_readback), by
 *    purge_readback_rule:
 *      * ATA normal security erase: zeros or ones, one of them for the whole
 *        device (ACS-3 7.45: the vendor's choice);
 *      * NVMe Sanitize (sent without No-Deallocate): the deallocated pattern
 *        Identify Namespace DLFEAT reports, zeros or ones when it reports
 *        none (then an exception "readback_pattern_assumed" says so); the
 *        overwrite action its zeros too;
 *      * ATA and SCSI overwrite: zeros;
 *      * the others (crypto erase, block erase, format, enhanced erase)
 *        leave content their standards do not define: read back only to
 *        prove every sampled block readable (a failed sanitize leaves
 *        medium errors, SBC-4 4.11.4); the sentinels show the old content
 *        gone.
 *    verification.check names which ("pattern", "zeros", "ones",
 *    "zeros-or-ones", "readable", "luks-header").
 *
 *  - What the job could not establish goes into result.exceptions
 *    ("hidden_area_undetermined", "readback_pattern_assumed", ...) and the
 *    report's "exceptions" array; sanitize_result_passed is the one rule
 *    for success.
 */
#ifndef SZ_SANITIZE_H
#define SZ_SANITIZE_H
#include <limits.h>
#include <stdint.h>
#include <jansson.h>

#include "drivers/ata.h"
#include "drivers/blkdev.h"
#include "drivers/health.h"
#include "drivers/purge.h"
#include "drivers/verify.h"
#include "drivers/wipe.h"

#define SANITIZE_EXCEPTIONS_MAX 16

enum sanitize_kind { SANITIZE_UNKNOWN, SANITIZE_OVERWRITE, SANITIZE_LUKS, SANITIZE_PURGE };

/* What engine a SPEC section 8 method name runs on; SANITIZE_UNKNOWN for NULL or anything else. */
enum sanitize_kind sanitize_method_kind(const char *name);
/* "overwrite", "luks", "purge", "unknown".  Cannot fail. */
const char *sanitize_kind_name(enum sanitize_kind k);

struct sanitize_params {
	char device[PATH_MAX];
	char method[32];		/* a SPEC section 8 name */
	enum verify_mode verify;	/* VERIFY_NONE: no read-back, no sentinels (tests) */
	char expected_identity[PATH_MAX + 8];	/* "" = not checked */
	char state_dir[PATH_MAX];	/* a device holding it is the system disk; "" none */
	int allow_regular_file;		/* image files in tests (overwrite only); never from the API */
	double progress_interval;	/* seconds between progress calls; 0 = every step */
	/* overwrite only: continue an earlier job (wipe.h) */
	unsigned resume_pass;
	uint64_t resume_offset;
	/* purge only: seconds between status polls (0 = 1), give up after (0 = from the device) */
	double poll_interval;
	unsigned max_seconds;
	/* overwrite only: a write that fails after its retries fails the job (default) or is recorded (wipe.h) */
	enum wipe_on_error on_error;
	double speed_interval;		/* overwrite: seconds per speed sample, 0 = 1 (wipe.h) */
	/*
	 * Overwrite of an ATA drive with a host protected area: refuse
	 * (SANITIZE_HPA_REFUSE, the default), or restore the native maximum
	 * first (ata_restore_hpa) in the volatile form (the drive returns to
	 * its HPA at the next power-on) or permanently.  A DCO is still refused.
	 */
	int restore_hpa;
};

#define SANITIZE_HPA_REFUSE 0
#define SANITIZE_HPA_RESTORE 1		/* volatile: SET MAX ADDRESS EXT without VV */
#define SANITIZE_HPA_RESTORE_PERMANENT 2

/*
 * Progress, the same for both engines (SPEC section 6 job fields).
 * Overwrite: pass/passes/bytes as wipe.h reports them, phase the pattern
 * ("zero", "ones", "random", "verify", "luks"); the verification is its own
 * phase (state verifying, phase "verify") in the last pass's place, so pass
 * never exceeds passes.  Purge: passes 1, phase the runner's ("checking",
 * "sentinels", "command", "erasing", "confirming", "verifying", then
 * "readback"); bytes_done = fraction * size while the drive erases,
 * bytes_total the device size; during the read-back the bytes are those of
 * the read-back.  fraction is of the current phase, -1 when the drive does
 * not say.
 *
 * overall_* are over the whole job: every pass plus the verification (or,
 * for a purge, the erase counted as the device's size plus the read-back).
 * overall_total is fixed when the job starts and overall_fraction only
 * rises; eta is seconds left of the whole job at the job's rate, -1 unknown.
 */
struct sanitize_progress {
	enum wipe_state state;		/* running or verifying */
	char phase[16];
	unsigned pass, passes;		/* 1 <= pass <= passes */
	uint64_t bytes_done, bytes_total;	/* of the current phase */
	uint64_t overall_done, overall_total;	/* of the whole job */
	double overall_fraction;	/* overall_done / overall_total, 0..1, -1 unknown */
	double rate;			/* bytes per second over the job so far; 0 unknown */
	double eta;			/* seconds left of the whole job, -1 unknown */
	double fraction;		/* of the current phase, 0..1, -1 unknown */
};

/* What the ledger record needs, whichever engine ran. */
struct sanitize_result {
	enum sanitize_kind kind;
	enum wipe_state state;		/* SPEC section 6 states; purge's map one to one */
	char device[PATH_MAX];
	char method[32];
	char identity[PATH_MAX + 8];
	char refusal[24];		/* a stable reason name, "" if not refused */
	char error[768];		/* "" unless failed or cancelled */
	int err;			/* positive errno, 0 if none */
	int64_t fail_offset;		/* -1 if none */
	uint64_t size;			/* bytes; 0 unknown */
	unsigned passes;
	uint64_t bytes_written;		/* by the host: overwrite passes, LUKS header area (not sentinels) */
	double seconds;
	char started_at[25], finished_at[25];
	struct {
		char mode[8];		/* "full", "sample", "none" */
		char check[16];		/* "pattern", "zeros", "readable", "luks-header", "" */
		int performed, passed;
		uint64_t bytes;		/* read back */
		int64_t mismatch_offset;	/* -1 if none */
		uint64_t skipped;	/* bytes of the plan not read: ranges no write reached (io) */
	} verify;
	/*
	 * Overwrite: the write errors, retries and the ranges left unwritten
	 * (wipe.h).  with_exceptions: the job went on past them by policy
	 * (on_error "continue") and completed; SPEC section 7: never reported,
	 * recorded or certified as a plain pass (sanitize_result_passed says 0).
	 */
	struct wipe_io_errors io;
	int with_exceptions;
	/* overwrite: bytes written and read back per interval (wipe.h; bounded); n 0 after a purge */
	struct wipe_speed speed;
	/*
	 * The drive's health (health.h) just before the job's first command
	 * and just after its last; available 0 for a loop device or an image
	 * file (why says so), and health_after.available 0 for a job refused
	 * before it ran.
	 */
	struct health health_before, health_after;
	/* restore_hpa: what was restored (maxima as LBAs), performed 0 when nothing was */
	struct ata_hpa_restore hpa_restore;
	unsigned resume_pass;		/* overwrite: where a later job continues (0 none) */
	uint64_t resume_offset;
	int confirmed;			/* purge: the device confirmed completion */
	struct {
		int performed, passed;	/* purge: the read-back after the command (verify above merges it
					   with the sentinel check) */
		uint64_t bytes;
		int64_t mismatch_offset;	/* -1 if none */
	} readback;
	struct {
		int checked;		/* IDENTIFY answered: the maxima below are the drive's */
		uint64_t hpa, dco;	/* sectors hidden */
	} hidden;
	/*
	 * What the job could not establish or had to work around, each stated
	 * on the report and the certificate (NIST SP 800-88 Rev. 2 sanitization
	 * record): kind is a stable name ("hidden_area_undetermined",
	 * "io_retry", "readback_not_applicable", ...), detail says it in words,
	 * offset/length the byte range (-1/0 when none applies).
	 */
	struct {
		unsigned n;
		struct sanitize_exception {
			char kind[32];
			char detail[256];
			int64_t offset;
			uint64_t length;
		} e[SANITIZE_EXCEPTIONS_MAX];
	} exceptions;
	/* the engine's own result, for sanitize_result_to_json */
	union {
		struct wipe_result wipe;
		struct purge_result purge;
	} engine;
};

struct sanitize_job;
typedef void (*sanitize_progress_fn)(void *ctx, const struct sanitize_progress *p);

/*
 * A job for p (copied).  Nothing is opened.  0; -EINVAL for an unknown
 * method or bad parameters; -ENOMEM.  Caller frees with sanitize_job_free.
 */
int sanitize_job_new(const struct sanitize_params *p, struct sanitize_job **out);
/*
 * The same from the overwrite engine's parameters (api/jobs.c keeps
 * struct wipe_params): method, verify, device, identity, state directory,
 * resume point, progress interval, on_error and speed interval are carried over.  0, -EINVAL, -ENOMEM.
 */
int sanitize_job_new_from_wipe(const struct wipe_params *wp, struct sanitize_job **out);
/* sanitize_job_free(NULL) is a no-op.  Wipes the engines' secrets. */
void sanitize_job_free(struct sanitize_job *j);

/*
 * Run the job in the calling thread; progress (may be NULL) is called from
 * it.  0 when completed and verified; -ECANCELED; -EPERM or -EBUSY when a
 * check refused (result.refusal names it); -EOPNOTSUPP when the device
 * cannot do the method or rejected the command; -EILSEQ when the
 * verification failed; -ETIMEDOUT; -errno.  The result is filled in every
 * case.  An overwrite cancelled part way can be run again and continues.
 */
int sanitize_job_run(struct sanitize_job *j, sanitize_progress_fn progress, void *ctx);
/* Ask the job to stop at its next safe point (a purge only before its command).  Thread- and async-signal-safe. */
void sanitize_job_cancel(struct sanitize_job *j);
/* The result: as created until sanitize_job_run returns, then final.  Valid until sanitize_job_free. */
const struct sanitize_result *sanitize_job_result(const struct sanitize_job *j);
/*
 * Mark the job refused by a check made outside it (a typed confirmation,
 * the ledger's lifecycle) before it ran: state failed, err, reason, msg.
 * For the report; the job must not be run afterwards.  Cannot fail.
 */
void sanitize_job_refuse(struct sanitize_job *j, int err, const char *reason, const char *msg);

/*
 * The checks a job runs before writing, for a caller that shows the device
 * and asks first: probe p->device into *dev and run, read-only, what the
 * method's engine will check: for an overwrite the interlocks and the
 * HPA/DCO check (ATA IDENTIFY-class commands only); for a purge the fit of
 * method and device (purge_name_check), the interlocks and the drive's
 * capability (purge_probe: identify commands only).  0, or -errno with msg
 * and reason set (reason "" for a plain error).
 */
int sanitize_preflight(const struct sanitize_params *p, struct blkdev_info *dev, char *msg, size_t msglen,
		       char reason[24]);

/*
 * The HPA/DCO rule on its own, for tests: 1 if d is a device to ask for
 * hidden sectors (sata, or a whole sdX disk), else 0.  Cannot fail.
 */
int sanitize_hidden_applies(const struct blkdev_info *d);
/*
 * 0 if h hides nothing, else -EPERM with msg "cannot certify DEVICE: N
 * sectors are hidden by HPA/DCO; remove the HPA first".
 */
int sanitize_hidden_check(const char *device, const struct ata_hidden *h, char *msg, size_t msglen);
/* The purge methods whose result reads back as zeros (see above).  Cannot fail. */
int sanitize_purge_zeroes(enum purge_method m);
/* The purge runner's progress on a device of size bytes as a job's progress (see above).  Cannot fail. */
void sanitize_progress_from_purge(const struct purge_progress *pp, uint64_t size, struct sanitize_progress *out);

/*
 * The engine's own report (wipe_result_to_json or purge_result_to_json)
 * plus "engine", "hidden_sectors" and, after a purge, "readback".  A new
 * reference, NULL on ENOMEM.
 */
json_t *sanitize_result_to_json(const struct sanitize_result *r);

/*
 * The one rule for success, for the ledger and the certificate (the CLI
 * and the API both call it): 1 when the job completed AND either its
 * verification was performed and passed, or the method's read-back does
 * not apply and an exception of kind "readback_not_applicable" says so
 * plainly; else 0.  why (len bytes) says which, in words.  Cannot fail.
 */
int sanitize_result_passed(const struct sanitize_result *r, char *why, size_t len);

/*
 * One read-back buffer against a purge_readback_rule (PURGE_RB_*): 0 when
 * it holds what the rule accepts; *seen (0 at the start of a device) keeps
 * the pattern found first, so zeros-or-ones means one of them for the whole
 * device.  -EILSEQ with *bad the offset in buf of the first wrong byte.
 * Cannot fail otherwise.
 */
int sanitize_readback_check(unsigned accept, int *seen, const void *buf, size_t len, size_t *bad);

#endif
