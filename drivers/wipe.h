/*
 * wipe — the overwrite engine and the job interface the API will drive
 * (start, progress, cancel, result) across a process boundary: parameters
 * and results are plain fixed-size data; no descriptor or key ever leaves.
 *
 * NIST SP 800-88r1 Table A-8 (Clear): overwrite with at least one pass of a
 * fixed value; clear-random writes the AES-CTR keystream of pattern.h;
 * dod-3pass writes zeros, ones, then random (DoD 5220.22-M style) and
 * verifies the last.  luks-crypto-erase is in luks.h.
 *
 * Each pass writes with O_DIRECT through io_uring (ioq.h) and ends with
 * fdatasync.  A write or read error, a short transfer or a mismatch fails
 * the job with the offset and errno; it is never reported as success.
 */
#ifndef SZ_WIPE_H
#define SZ_WIPE_H
#include <limits.h>
#include <stdint.h>
#include <jansson.h>

#include "drivers/blkdev.h"
#include "drivers/interlock.h"
#include "drivers/luks.h"
#include "drivers/verify.h"

enum wipe_method { WIPE_CLEAR_ZERO, WIPE_CLEAR_RANDOM, WIPE_DOD_3PASS, WIPE_LUKS_CRYPTO_ERASE };

/* SPEC section 6 job states. */
enum wipe_state { WIPE_QUEUED, WIPE_RUNNING, WIPE_VERIFYING, WIPE_COMPLETED, WIPE_FAILED, WIPE_CANCELLED };

#define WIPE_MAX_PASSES 3
#define WIPE_DEFAULT_DEPTH 16
#define WIPE_DEFAULT_IO_SIZE (1u << 20)
#define WIPE_MAX_IO_SIZE (4u << 20)

/*
 * A SPEC section 8 method name into *m.  0; -ENOTSUP for a method SPEC names
 * that this build cannot do yet (nvme-*, ata-*, scsi-*); -EINVAL for a name
 * that is not a method at all.
 */
int wipe_method_parse(const char *name, enum wipe_method *m);
const char *wipe_method_name(enum wipe_method m);
const char *wipe_state_name(enum wipe_state s);

/*
 * What a pass does with a write that still fails after its retries
 * (SPEC section 7): fail the job there (the default), or record the range
 * and go on; a job that went on ends completed "with exceptions", never a
 * plain pass, and its verification skips those ranges only.
 */
enum wipe_on_error { WIPE_ON_ERROR_FAIL, WIPE_ON_ERROR_CONTINUE };
/* "fail" or "continue" into *p: 0, or -EINVAL. */
int wipe_on_error_parse(const char *s, enum wipe_on_error *p);
const char *wipe_on_error_name(enum wipe_on_error p);

/* A failed write is tried again this many times, in ever smaller I/Os down to one logical block. */
#define WIPE_IO_RETRIES 2
/* At most this many failing ranges are kept; past it the last one is widened to cover the rest. */
#define WIPE_BAD_RANGES_MAX 64
/* Writes spent looking for the failing blocks, per job; past it a failing I/O is recorded whole. */
#define WIPE_RESCUE_BUDGET 65536

/* The write errors of a job: what failed, what a retry wrote, the ranges that stayed unwritten. */
struct wipe_io_errors {
	unsigned errors;		/* write I/Os that failed (first tries and retries) */
	unsigned retries;		/* write I/Os sent again */
	unsigned recovered;		/* failed I/Os a retry then wrote in full */
	uint64_t bad_bytes;		/* bytes no retry could write (the union of the ranges below) */
	unsigned n;			/* ranges below: sorted, merged, none touching */
	int widened;			/* the cap was reached: the last range may include good blocks */
	struct wipe_bad_range {
		uint64_t off, len;
		int err;		/* positive errno of the first failure in it */
	} r[WIPE_BAD_RANGES_MAX];
};

/*
 * The speed profile: bytes written and read back in each interval of the
 * job's time (1 s by default), kept with the job.  Bounded: when
 * WIPE_SPEED_SAMPLES are full, neighbouring pairs are added together and
 * the interval doubles, so a job of any length fits.  The samples add up
 * to bytes_written and verify.bytes.
 */
#define WIPE_SPEED_SAMPLES 600
struct wipe_speed {
	double interval;		/* seconds per sample */
	unsigned n;			/* samples used */
	uint64_t written[WIPE_SPEED_SAMPLES], read[WIPE_SPEED_SAMPLES];
};

struct wipe_params {
	char device[PATH_MAX];
	enum wipe_method method;
	enum verify_mode verify;	/* VERIFY_NONE: no read-back (tests, benchmarks) */
	char expected_identity[PATH_MAX + 8];	/* "" = not checked */
	unsigned resume_pass;		/* 0 = from the start; else 1..passes (+1 = verify only) */
	uint64_t resume_offset;		/* within resume_pass, from an earlier result */
	int allow_regular_file;		/* image files in tests; never from the API */
	unsigned queue_depth;		/* 0 = WIPE_DEFAULT_DEPTH */
	uint32_t io_size;		/* 0 = WIPE_DEFAULT_IO_SIZE; a multiple of 4096 */
	double progress_interval;	/* seconds between progress calls; 0 = every I/O */
	char state_dir[PATH_MAX];	/* a device holding it is the system disk; "" none */
	enum wipe_on_error on_error;	/* WIPE_ON_ERROR_FAIL (0) by default */
	double speed_interval;		/* seconds per speed sample; 0 = 1 (tests use less) */
};

struct wipe_progress {
	enum wipe_state state;		/* running or verifying */
	unsigned pass, passes;		/* 1-based; pass == passes while verifying (state tells them apart) */
	const char *pattern;		/* "zero", "ones", "random", "verify" */
	uint64_t bytes_done, bytes_total;	/* of this pass or of the verification */
	/*
	 * The whole job: every pass plus the verification.  overall_total is
	 * fixed when the job starts (the verification plan is drawn then);
	 * overall_done only rises, passes a resumed job skipped count as done.
	 */
	uint64_t overall_done, overall_total;
	double rate;			/* bytes per second over this run of the job (all phases) */
	double eta;			/* seconds left for the whole job at that rate, -1 unknown */
};

struct wipe_pass_result {
	char pattern[8];
	int done;
	uint64_t bytes;			/* written in this pass */
	double seconds;
};

struct wipe_result {
	enum wipe_state state;
	char device[PATH_MAX];
	char method[32];
	char identity[PATH_MAX + 8];
	char refusal[24];		/* interlock_reason_name, "not_luks", or "" */
	char error[768];		/* "" unless failed or cancelled */
	int err;			/* positive errno, 0 if none */
	int64_t fail_offset;		/* -1 if none */
	uint64_t size;
	uint32_t logical_block_size;
	int direct_io, io_uring;
	unsigned passes;
	struct wipe_pass_result pass[WIPE_MAX_PASSES];
	struct {
		char mode[8];
		int performed, passed;
		uint64_t bytes, seed;
		int64_t mismatch_offset;	/* -1 if none */
		double seconds;
		uint64_t skipped;	/* bytes not read back: the ranges no write reached (io below) */
	} verify;
	struct wipe_io_errors io;
	int with_exceptions;		/* completed past write errors by policy: never a plain pass */
	struct wipe_speed speed;
	uint64_t bytes_written;
	double seconds;
	char key_id[33], nonce[33];	/* of the random pass; never the key */
	unsigned resume_pass;		/* where a later job continues (0 when completed) */
	uint64_t resume_offset;
	char started_at[25], finished_at[25];
	int luks_done;
	struct luks_report luks;
};

struct wipe_job;
typedef void (*wipe_progress_fn)(void *ctx, const struct wipe_progress *p);

/*
 * A job for params (copied).  Nothing is opened yet.  Caller frees with
 * wipe_job_free.  0, -EINVAL for bad parameters, -ENOMEM.
 */
int wipe_job_new(const struct wipe_params *params, struct wipe_job **out);
/* Frees and wipes the random pass's key; wipe_job_free(NULL) is a no-op. */
void wipe_job_free(struct wipe_job *j);

/*
 * Run the job to its end in the calling thread: interlocks, exclusive open,
 * passes, flushes, verification.  progress (may be NULL) is called from this
 * thread.  Returns 0 when completed and verified; -ECANCELED; -EPERM (or
 * -EBUSY) when an interlock refused; -EILSEQ for a failed verification;
 * -errno of the failure.  The result is filled in every case.  After a
 * cancellation, calling it again continues from the resume point with the
 * same key, so the random pass stays verifiable.
 */
int wipe_job_run(struct wipe_job *j, wipe_progress_fn progress, void *ctx);
/* Ask a running job to stop at its next safe point.  Async-signal-safe and thread-safe. */
void wipe_job_cancel(struct wipe_job *j);
/* The result so far; valid until wipe_job_free. */
const struct wipe_result *wipe_job_result(const struct wipe_job *j);

/*
 * The checks a job runs before opening anything for writing, for a caller
 * that wants to show the device and ask first: probe params->device into
 * *dev and run the interlocks.  0, or -errno with msg/reason set (reason ""
 * for a plain error).  Only reads.
 */
int wipe_preflight(const struct wipe_params *params, struct blkdev_info *dev,
		   char *msg, size_t msglen, char reason[24]);

/* The report printed by `sanitizerd wipe` and kept by the job API.  NULL on ENOMEM. */
json_t *wipe_result_to_json(const struct wipe_result *r);

#endif
