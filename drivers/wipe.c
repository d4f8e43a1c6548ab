#include "drivers/wipe.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <linux/fs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/pattern.h"
#include "util/xio.h"

struct wipe_job {
	struct wipe_params p;
	struct wipe_result r;
	atomic_int cancel;
	int ran;
	unsigned npasses;
	enum pattern_kind kind[WIPE_MAX_PASSES];
	struct pattern *pat[WIPE_MAX_PASSES];
	void *shared;			/* pre-filled zero/ones buffer, io_size bytes */
	/* progress of the current phase */
	wipe_progress_fn fn;
	void *ctx;
	enum wipe_state phase;
	unsigned cur_pass;
	const char *cur_pattern;
	struct pattern *cur;		/* what fill writes in this pass */
	uint64_t base, total, verify_total;
	double t0, last;
	/* the whole job, for its overall progress and eta */
	uint64_t run_done0;		/* overall bytes already done when this run started */
	double run_t0;
	struct verify_plan *plan;	/* drawn when the job starts, so its size is known */
	uint64_t verify_skipped;	/* bytes of the plan left out: ranges no write reached */
	unsigned rescue_left;		/* WIPE_RESCUE_BUDGET, spent by rescue() */
	/* the speed profile */
	double speed_t0;
	uint64_t tick_last;		/* bytes of the current ioq_run already sampled */
};

/* SPEC section 8, in order; the first four are what this build does. */
static const char *const methods[] = {
	"clear-zero", "clear-random", "dod-3pass", "luks-crypto-erase",
	"nvme-sanitize-crypto", "nvme-sanitize-block", "nvme-sanitize-overwrite",
	"nvme-format-crypto", "nvme-format-user", "ata-sanitize-crypto",
	"ata-sanitize-block", "ata-sanitize-overwrite", "ata-secure-erase",
	"ata-secure-erase-enhanced", "scsi-sanitize-crypto", "scsi-sanitize-block",
	"scsi-sanitize-overwrite",
};

int wipe_method_parse(const char *name, enum wipe_method *m)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(name, methods[i]))
			continue;
		if (i > WIPE_LUKS_CRYPTO_ERASE)
			return -ENOTSUP;
		*m = (enum wipe_method)i;
		return 0;
	}
	return -EINVAL;
}

const char *wipe_method_name(enum wipe_method m)
{
	return (unsigned)m <= WIPE_LUKS_CRYPTO_ERASE ? methods[m] : "unknown";
}

const char *wipe_state_name(enum wipe_state s)
{
	switch (s) {
	case WIPE_QUEUED: return "queued";
	case WIPE_RUNNING: return "running";
	case WIPE_VERIFYING: return "verifying";
	case WIPE_COMPLETED: return "completed";
	case WIPE_FAILED: return "failed";
	case WIPE_CANCELLED: return "cancelled";
	}
	return "unknown";
}

int wipe_on_error_parse(const char *s, enum wipe_on_error *p)
{
	if (s && !strcmp(s, "fail"))
		*p = WIPE_ON_ERROR_FAIL;
	else if (s && !strcmp(s, "continue"))
		*p = WIPE_ON_ERROR_CONTINUE;
	else
		return -EINVAL;
	return 0;
}

const char *wipe_on_error_name(enum wipe_on_error p)
{
	return p == WIPE_ON_ERROR_CONTINUE ? "continue" : "fail";
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int wipe_job_new(const struct wipe_params *params, struct wipe_job **out)
{
	struct wipe_job *j;
	unsigned i;
	int rc;

	if (!terminated(params->device, sizeof(params->device)) || !params->device[0] ||
	    !terminated(params->expected_identity, sizeof(params->expected_identity)) ||
	    !terminated(params->state_dir, sizeof(params->state_dir)) ||
	    (unsigned)params->method > WIPE_LUKS_CRYPTO_ERASE ||
	    (unsigned)params->verify > VERIFY_SAMPLE ||
	    params->queue_depth > IOQ_MAX_DEPTH || params->io_size > WIPE_MAX_IO_SIZE ||
	    params->io_size % IOQ_ALIGN || !(params->progress_interval >= 0) ||
	    (unsigned)params->on_error > WIPE_ON_ERROR_CONTINUE || !(params->speed_interval >= 0) ||
	    params->speed_interval > 3600)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->p = *params;
	if (!j->p.queue_depth)
		j->p.queue_depth = WIPE_DEFAULT_DEPTH;
	if (!j->p.io_size)
		j->p.io_size = WIPE_DEFAULT_IO_SIZE;
	atomic_init(&j->cancel, 0);
	switch (params->method) {
	case WIPE_CLEAR_ZERO:
		j->kind[j->npasses++] = PATTERN_ZERO;
		break;
	case WIPE_CLEAR_RANDOM:
		j->kind[j->npasses++] = PATTERN_RANDOM;
		break;
	case WIPE_DOD_3PASS:
		j->kind[j->npasses++] = PATTERN_ZERO;
		j->kind[j->npasses++] = PATTERN_ONES;
		j->kind[j->npasses++] = PATTERN_RANDOM;
		break;
	case WIPE_LUKS_CRYPTO_ERASE:
		break;
	}
	if (params->resume_pass > j->npasses + 1) {
		free(j);
		return -EINVAL;
	}
	for (i = 0; i < j->npasses; i++) {
		rc = pattern_new(j->kind[i], NULL, NULL, &j->pat[i]);
		if (rc < 0) {
			wipe_job_free(j);
			return rc;
		}
	}
	j->r.speed.interval = params->speed_interval > 0 ? params->speed_interval : 1.0;
	j->r.state = WIPE_QUEUED;
	j->r.fail_offset = -1;
	j->r.verify.mismatch_offset = -1;
	j->r.passes = j->npasses;
	snprintf(j->r.device, sizeof(j->r.device), "%s", params->device);
	snprintf(j->r.method, sizeof(j->r.method), "%s", wipe_method_name(params->method));
	snprintf(j->r.verify.mode, sizeof(j->r.verify.mode), "%s",
		 params->method == WIPE_LUKS_CRYPTO_ERASE ? "full" : verify_mode_name(params->verify));
	for (i = 0; i < j->npasses; i++) {
		snprintf(j->r.pass[i].pattern, sizeof(j->r.pass[i].pattern), "%s", pattern_kind_name(j->kind[i]));
		if (j->kind[i] == PATTERN_RANDOM) {
			pattern_key_id(j->pat[i], j->r.key_id);
			pattern_nonce_hex(j->pat[i], j->r.nonce);
		}
	}
	*out = j;
	return 0;
}

void wipe_job_free(struct wipe_job *j)
{
	unsigned i;

	if (!j)
		return;
	for (i = 0; i < WIPE_MAX_PASSES; i++)
		pattern_free(j->pat[i]);
	verify_plan_free(j->plan);
	free(j->shared);
	free(j);
}

void wipe_job_cancel(struct wipe_job *j)
{
	atomic_store(&j->cancel, 1);
}

const struct wipe_result *wipe_job_result(const struct wipe_job *j)
{
	return &j->r;
}

static void fail(struct wipe_job *j, int err, int64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct wipe_job *j, int err, int64_t off, const char *fmt, ...)
{
	va_list ap;

	j->r.err = err;
	j->r.fail_offset = off;
	va_start(ap, fmt);
	vsnprintf(j->r.error, sizeof(j->r.error), fmt, ap);
	va_end(ap);
}

static void blkdev_env_for(const struct wipe_params *p, struct blkdev_env *env)
{
	blkdev_env_default(env);
	env->state_dir = p->state_dir[0] ? p->state_dir : NULL;
}

int wipe_preflight(const struct wipe_params *params, struct blkdev_info *dev,
		   char *msg, size_t msglen, char reason[24])
{
	struct interlock_result ir;
	struct blkdev_env env;
	int rc;

	reason[0] = '\0';
	blkdev_env_for(params, &env);
	rc = blkdev_probe_path(&env, params->device, dev);
	if (rc == -ENOTBLK) {
		snprintf(reason, 24, "%s", interlock_reason_name(INTERLOCK_NOT_BLOCK));
		snprintf(msg, msglen, "cannot wipe %s: not a block device", params->device);
		return rc;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "cannot probe %s: %s", params->device, strerror(-rc));
		return rc;
	}
	rc = interlock_check(dev, params->expected_identity[0] ? params->expected_identity : NULL, &ir);
	if (rc < 0) {
		snprintf(reason, 24, "%s", interlock_reason_name(ir.reason));
		snprintf(msg, msglen, "%s", ir.message);
	}
	return rc;
}

/*
 * Open the target: a block device only past every interlock and with
 * O_EXCL; a regular file only when the caller allowed it (tests).
 */
static int open_target(struct wipe_job *j, int *fd)
{
	struct blkdev_info *dev;
	struct interlock_result ir;
	struct stat st;
	uint64_t size = 0;
	int rc, lbs = 512, f = -1;

	if (stat(j->p.device, &st) < 0) {
		rc = -errno;
		fail(j, -rc, -1, "cannot wipe %s: %s", j->p.device, strerror(-rc));
		return rc;
	}
	if (S_ISREG(st.st_mode) && j->p.allow_regular_file) {
		if (st.st_size % 512) {
			fail(j, EINVAL, -1, "cannot wipe %s: size is not a multiple of 512 bytes", j->p.device);
			return -EINVAL;
		}
		rc = xopen(j->p.device, O_RDWR | O_DIRECT, 0, &f);
		j->r.direct_io = rc == 0;
		if (rc == -EINVAL)	/* tmpfs on older kernels has no O_DIRECT */
			rc = xopen(j->p.device, O_RDWR, 0, &f);
		if (rc < 0) {
			fail(j, -rc, -1, "cannot open %s: %s", j->p.device, strerror(-rc));
			return rc;
		}
		j->r.size = (uint64_t)st.st_size;
		j->r.logical_block_size = 512;
		*fd = f;
		return 0;
	}
	dev = malloc(sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	rc = wipe_preflight(&j->p, dev, j->r.error, sizeof(j->r.error), j->r.refusal);
	if (rc < 0) {
		j->r.err = -rc;
		goto out;
	}
	snprintf(j->r.identity, sizeof(j->r.identity), "%s", dev->identity);
	rc = interlock_open(dev, 1, &f, &ir);
	if (rc < 0) {
		if (ir.reason)
			snprintf(j->r.refusal, sizeof(j->r.refusal), "%s", interlock_reason_name(ir.reason));
		fail(j, -rc, -1, "%s", ir.message);
		goto out;
	}
	j->r.direct_io = 1;
	if (ioctl(f, BLKGETSIZE64, &size) < 0 || ioctl(f, BLKSSZGET, &lbs) < 0 || lbs <= 0) {
		rc = -errno;
		fail(j, -rc, -1, "cannot read the size of %s: %s", j->p.device, strerror(-rc));
		xclose(f);
		goto out;
	}
	j->r.size = size;
	j->r.logical_block_size = (uint32_t)lbs;
	*fd = f;
out:
	free(dev);
	return rc;
}

/* Bytes of the whole job done when the current phase has done `done` of its own. */
static uint64_t overall_done(const struct wipe_job *j, uint64_t done)
{
	if (j->phase == WIPE_VERIFYING)
		return (uint64_t)j->npasses * j->r.size + j->verify_skipped + done;
	return (uint64_t)(j->cur_pass - 1) * j->r.size + done;
}

static void report(struct wipe_job *j, uint64_t done)
{
	struct wipe_progress pr;
	double now = xmono(), el = now - j->run_t0;
	uint64_t od = overall_done(j, done), run = od > j->run_done0 ? od - j->run_done0 : 0;

	pr.state = j->phase;
	pr.pass = j->cur_pass;
	pr.passes = j->npasses;
	pr.pattern = j->cur_pattern;
	pr.bytes_done = done;
	pr.bytes_total = j->total;
	pr.overall_total = (uint64_t)j->npasses * j->r.size + j->verify_total;
	pr.overall_done = od < pr.overall_total ? od : pr.overall_total;
	/* the job's rate over this run, across pass boundaries: the eta does not start over at each pass */
	pr.rate = el > 0 ? (double)run / el : 0;
	if (pr.overall_done >= pr.overall_total)
		pr.eta = 0;
	else
		pr.eta = pr.rate > 0 ? (double)(pr.overall_total - pr.overall_done) / pr.rate : -1;
	j->last = now;
	j->fn(j->ctx, &pr);
}

/* bytes moved now into the speed profile's current sample (wipe.h struct wipe_speed) */
static void speed_add(struct wipe_job *j, int write, uint64_t bytes)
{
	struct wipe_speed *sp = &j->r.speed;
	double el = xmono() - j->speed_t0;
	uint64_t idx = el > 0 ? (uint64_t)(el / sp->interval) : 0;

	while (idx >= WIPE_SPEED_SAMPLES) {
		/* full: pairs into one, the interval doubles */
		unsigned i;

		for (i = 0; i < sp->n / 2; i++) {
			sp->written[i] = sp->written[2 * i] + sp->written[2 * i + 1];
			sp->read[i] = sp->read[2 * i] + sp->read[2 * i + 1];
		}
		if (sp->n % 2) {
			sp->written[i] = sp->written[sp->n - 1];
			sp->read[i] = sp->read[sp->n - 1];
			i++;
		}
		memset(&sp->written[i], 0, (WIPE_SPEED_SAMPLES - i) * sizeof(sp->written[0]));
		memset(&sp->read[i], 0, (WIPE_SPEED_SAMPLES - i) * sizeof(sp->read[0]));
		sp->n = i;
		sp->interval *= 2;
		idx = (uint64_t)(el / sp->interval);
	}
	if (idx >= sp->n)
		sp->n = (unsigned)idx + 1;	/* the samples in between stay 0: nothing moved */
	if (write)
		sp->written[idx] += bytes;
	else
		sp->read[idx] += bytes;
}

/* what an ioq_run has done since its last tick, into the profile */
static void speed_tick(struct wipe_job *j, uint64_t done)
{
	if (done > j->tick_last) {
		speed_add(j, j->phase != WIPE_VERIFYING, done - j->tick_last);
		j->tick_last = done;
	}
}

/* ioq's tick: progress now and then, and the cancellation safe point. */
static int on_tick(void *c, uint64_t done)
{
	struct wipe_job *j = c;

	speed_tick(j, done);
	if (atomic_load(&j->cancel))
		return 1;
	if (j->fn && (j->p.progress_interval <= 0 || xmono() - j->last >= j->p.progress_interval))
		report(j, j->base + done);
	return atomic_load(&j->cancel);
}

static int fill(void *c, void *buf, uint64_t off, size_t len)
{
	struct wipe_job *j = c;

	return pattern_fill(j->cur, buf, off, len);
}

static void phase_start(struct wipe_job *j, enum wipe_state st, unsigned pass, const char *pattern,
			uint64_t base, uint64_t total)
{
	j->phase = st;
	j->r.state = st;
	j->cur_pass = pass;
	j->cur_pattern = pattern;
	j->base = base;
	j->total = total;
	j->t0 = xmono();
	if (j->fn)
		report(j, base);
}

static const char *io_verb(int write)
{
	return write ? "write" : "read";
}

/*
 * Record [off, off + len) as unwritten (err its errno): kept sorted and
 * merged with any range it overlaps or touches; past WIPE_BAD_RANGES_MAX
 * the last range grows to cover it.  bad_bytes counts each byte once.
 */
static void add_bad(struct wipe_io_errors *io, uint64_t off, uint64_t len, int err)
{
	uint64_t end = off + len, covered = 0;
	unsigned i, k, first;

	/* the bytes of [off, end) some range already holds */
	for (i = 0; i < io->n; i++) {
		uint64_t a = io->r[i].off > off ? io->r[i].off : off;
		uint64_t b = io->r[i].off + io->r[i].len < end ? io->r[i].off + io->r[i].len : end;
		if (b > a)
			covered += b - a;
	}
	io->bad_bytes += len - covered;
	for (i = 0; i < io->n && io->r[i].off + io->r[i].len < off; i++)
		;
	first = i;
	if (i < io->n && io->r[i].off <= end) {
		/* overlaps or touches r[i] and maybe the next ones: merge them all into r[i] */
		uint64_t a = io->r[i].off < off ? io->r[i].off : off, b = end;
		for (k = i; k < io->n && io->r[k].off <= end; k++)
			if (io->r[k].off + io->r[k].len > b)
				b = io->r[k].off + io->r[k].len;
		io->r[first].off = a;
		io->r[first].len = b - a;
		memmove(&io->r[first + 1], &io->r[k], (io->n - k) * sizeof(io->r[0]));
		io->n -= k - first - 1;
		return;
	}
	if (io->n == WIPE_BAD_RANGES_MAX) {
		/* bounded: widen the neighbour instead of dropping the range */
		struct wipe_bad_range *w = &io->r[first ? first - 1 : 0];
		uint64_t a = w->off < off ? w->off : off, b = w->off + w->len > end ? w->off + w->len : end;
		w->off = a;
		w->len = b - a;
		io->widened = 1;
		return;
	}
	memmove(&io->r[first + 1], &io->r[first], (io->n - first) * sizeof(io->r[0]));
	io->r[first] = (struct wipe_bad_range){ off, len, err };
	io->n++;
}

/* The data of the current pass for [off, off + len) into buf. */
static int pass_data(struct wipe_job *j, void *buf, uint64_t off, size_t len)
{
	if (j->kind[j->cur_pass - 1] == PATTERN_RANDOM)
		return pattern_fill(j->cur, buf, off, len);
	memcpy(buf, j->shared, len);
	return 0;
}

/*
 * A write that failed, tried again: the whole range, then halves, down to
 * single logical blocks, each of those WIPE_IO_RETRIES more times; what
 * never succeeds is recorded (add_bad), *first_bad and *first_err the lowest
 * such block (first_bad stays UINT64_MAX when every retry wrote).  0, or
 * -errno of the pattern.  Synchronous, on the job's own descriptor.
 */
static int rescue(struct wipe_job *j, int fd, void *buf, uint64_t off, uint64_t len, int tries,
		  uint64_t *first_bad, int *first_err)
{
	uint32_t lbs = j->r.logical_block_size ? j->r.logical_block_size : 512;
	int err = EIO, rc, t;
	ssize_t n;

	rc = pass_data(j, buf, off, (size_t)len);
	if (rc < 0)
		return rc;
	for (t = 0; t < tries; t++) {
		if (j->rescue_left)
			j->rescue_left--;
		j->r.io.retries++;
		n = pwrite(fd, buf, (size_t)len, (off_t)off);
		if (n == (ssize_t)len) {
			/* written after all: the bytes count, in the pass and the profile */
			j->r.pass[j->cur_pass - 1].bytes += len;
			j->r.bytes_written += len;
			speed_add(j, 1, len);
			return 0;
		}
		err = n < 0 ? errno : EIO;
		j->r.io.errors++;
	}
	if (len > lbs && j->rescue_left) {
		uint64_t half = len / 2 / lbs * lbs;

		rc = rescue(j, fd, buf, off, half, half == lbs ? WIPE_IO_RETRIES : 1, first_bad, first_err);
		if (rc == 0)
			rc = rescue(j, fd, buf, off + half, len - half, len - half == lbs ? WIPE_IO_RETRIES : 1,
				    first_bad, first_err);
		return rc;
	}
	/* a single block, or the budget spent: this range stays unwritten */
	add_bad(&j->r.io, off, len, err);
	if (off < *first_bad) {
		*first_bad = off;
		*first_err = err;
	}
	return 0;
}

/*
 * One overwrite pass from off0 to the end, then the pass's sync point.  A
 * failed write is retried (rescue); what stays unwritten fails the job, or
 * with on_error "continue" is recorded and the pass goes on after it.
 */
static int run_pass(struct wipe_job *j, struct ioq *q, int fd, unsigned pass, uint64_t off0)
{
	struct wipe_pass_result *pr = &j->r.pass[pass - 1];
	struct ioq_ops ops = { .tick = on_tick, .ctx = j };
	struct ioq_status st;
	double t = xmono();
	uint64_t off = off0;
	int rc;

	j->cur = j->pat[pass - 1];
	if (j->kind[pass - 1] == PATTERN_RANDOM) {
		ops.fill = fill;
	} else {
		/* zeros and ones: one buffer filled once, written everywhere */
		rc = pattern_fill(j->cur, j->shared, 0, j->p.io_size);
		if (rc < 0)
			return rc;
		ops.shared = j->shared;
	}
	phase_start(j, WIPE_RUNNING, pass, pattern_kind_name(j->kind[pass - 1]), off0, j->r.size);
	for (;;) {
		struct ioq_range range = { off, j->r.size - off };
		uint64_t bad = UINT64_MAX, chunk, len;
		unsigned retries0;
		int err = 0;

		j->base = off;
		j->tick_last = 0;
		rc = range.len ? ioq_run(q, 1, &range, 1, &ops, &st) : 0;
		if (!range.len)
			memset(&st, 0, sizeof(st));
		speed_tick(j, st.bytes_done);
		pr->bytes += st.bytes_done;
		j->r.bytes_written += st.bytes_done;
		j->r.resume_pass = pass;
		j->r.resume_offset = range.len ? st.resume : off;
		if (rc == 0 || rc == -ECANCELED || !st.err || st.mismatch)
			break;
		/* a write failed: try its I/O again, smaller, to find the blocks that fail */
		j->r.io.errors++;
		chunk = st.fail_off / j->r.logical_block_size * j->r.logical_block_size;
		len = j->r.size - chunk < j->p.io_size ? j->r.size - chunk : j->p.io_size;
		retries0 = j->r.io.retries;
		rc = rescue(j, fd, ioq_scratch(q), chunk, len, 1, &bad, &err);
		if (rc < 0) {
			fail(j, -rc, (int64_t)chunk, "cannot %s %s at offset %llu: %s", io_verb(1), j->p.device,
			     (unsigned long long)chunk, strerror(-rc));
			return rc;
		}
		if (bad == UINT64_MAX) {
			j->r.io.recovered++;	/* the retry wrote it all */
		} else if (j->p.on_error != WIPE_ON_ERROR_CONTINUE) {
			j->r.resume_offset = bad;
			pr->seconds += xmono() - t;
			fail(j, err, (int64_t)bad, "cannot %s %s at offset %llu: %s (after %u retries)", io_verb(1),
			     j->p.device, (unsigned long long)bad, strerror(err), j->r.io.retries - retries0);
			return -err;
		}
		/* the rescue wrote (and counted) what it could of the chunk: the next run starts after it */
		off = chunk + len;
		if (atomic_load(&j->cancel)) {
			rc = -ECANCELED;
			j->r.resume_offset = off;
			break;
		}
	}
	pr->seconds += xmono() - t;
	if (rc == -ECANCELED) {
		fail(j, ECANCELED, -1, "wipe of %s cancelled in pass %u at offset %llu", j->p.device,
		     pass, (unsigned long long)j->r.resume_offset);
		return rc;
	}
	if (rc < 0) {
		fail(j, st.err ? st.err : -rc, (int64_t)st.fail_off, "cannot %s %s at offset %llu: %s",
		     io_verb(1), j->p.device, (unsigned long long)st.fail_off, strerror(st.err ? st.err : -rc));
		return rc;
	}
	/* the pass is only done when the device says the data is stable */
	rc = xfdatasync(fd);
	if (rc < 0) {
		fail(j, -rc, -1, "cannot flush %s after pass %u: %s", j->p.device, pass, strerror(-rc));
		return rc;
	}
	pr->done = 1;
	j->r.resume_pass = pass + 1;
	j->r.resume_offset = 0;
	if (j->fn)
		report(j, j->r.size);
	return 0;
}

/* The verification's ranges, drawn before the first pass so the job's total is known from the start. */
static int plan_verify(struct wipe_job *j)
{
	uint64_t seed;
	int rc;

	verify_plan_free(j->plan);
	j->plan = NULL;
	j->verify_total = 0;
	j->verify_skipped = 0;
	j->r.verify.skipped = 0;
	if (j->p.verify == VERIFY_NONE)
		return 0;
	gcry_create_nonce(&seed, sizeof(seed));
	rc = verify_plan_new(j->p.verify, j->r.size, j->r.logical_block_size, seed, &j->plan);
	if (rc < 0) {
		fail(j, -rc, -1, "cannot plan the verification of %s: %s", j->p.device, strerror(-rc));
		return rc;
	}
	j->r.verify.seed = seed;
	j->verify_total = j->plan->bytes;
	return 0;
}

/*
 * Take the ranges no write reached out of the plan: they hold whatever was
 * there before and are reported as such, not as a mismatch.  0 or -ENOMEM.
 */
static int plan_skip_bad(struct wipe_job *j)
{
	struct verify_plan *p = j->plan;
	const struct wipe_io_errors *io = &j->r.io;
	struct ioq_range *out;
	size_t n = 0, i;
	unsigned b = 0;
	uint64_t bytes = 0;

	if (!io->n)
		return 0;
	out = calloc(p->n + io->n, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		uint64_t a = p->r[i].off, end = a + p->r[i].len;

		while (b < io->n && io->r[b].off + io->r[b].len <= a)
			b++;
		for (unsigned k = b; k < io->n && io->r[k].off < end && a < end; k++) {
			if (io->r[k].off > a)
				out[n++] = (struct ioq_range){ a, io->r[k].off - a };
			if (io->r[k].off + io->r[k].len > a)
				a = io->r[k].off + io->r[k].len;
		}
		if (a < end)
			out[n++] = (struct ioq_range){ a, end - a };
	}
	for (i = 0; i < n; i++)
		bytes += out[i].len;
	free(p->r);
	p->r = out;
	p->n = n;
	j->verify_skipped = p->bytes - bytes;
	j->r.verify.skipped = j->verify_skipped;
	p->bytes = bytes;
	return 0;
}

static int run_verify(struct wipe_job *j, struct ioq *q)
{
	const struct verify_plan *plan = j->plan;
	struct ioq_status st;
	double t = xmono();
	int rc;

	/* its own phase, in the last pass's place: never "pass 4 of 3" */
	rc = plan_skip_bad(j);
	if (rc < 0) {
		fail(j, -rc, -1, "cannot plan the verification of %s: %s", j->p.device, strerror(-rc));
		return rc;
	}
	phase_start(j, WIPE_VERIFYING, j->npasses, "verify", 0, plan->bytes);
	j->tick_last = 0;
	rc = verify_run(q, j->pat[j->npasses - 1], plan, on_tick, j, &st);
	speed_tick(j, st.bytes_done);
	j->r.verify.performed = 1;
	j->r.verify.bytes = st.bytes_done;
	j->r.verify.seconds = xmono() - t;
	if (rc == -ECANCELED) {
		j->r.verify.performed = 0;
		fail(j, ECANCELED, -1, "wipe of %s cancelled during verification", j->p.device);
		return rc;
	}
	if (rc == -EILSEQ) {
		j->r.verify.mismatch_offset = (int64_t)st.fail_off;
		fail(j, EILSEQ, (int64_t)st.fail_off,
		     "verification failed on %s at offset %llu: data differs from the %s pattern",
		     j->p.device, (unsigned long long)st.fail_off, pattern_kind_name(j->kind[j->npasses - 1]));
		return rc;
	}
	if (rc < 0) {
		fail(j, st.err ? st.err : -rc, (int64_t)st.fail_off, "cannot %s %s at offset %llu: %s",
		     io_verb(0), j->p.device, (unsigned long long)st.fail_off, strerror(st.err ? st.err : -rc));
		return rc;
	}
	j->r.verify.passed = 1;
	j->r.resume_pass = 0;
	j->r.resume_offset = 0;
	if (j->fn)
		report(j, j->total);
	return 0;
}

static int run_luks(struct wipe_job *j, struct ioq *q, int fd)
{
	uint64_t off = 0;
	int rc;

	phase_start(j, WIPE_RUNNING, 1, "luks", 0, 0);
	rc = luks_erase(j->p.device, fd, q, &j->r.luks, &off, j->r.error, sizeof(j->r.error));
	j->r.luks_done = rc == 0 || j->r.luks.nslots > 0 || j->r.luks.data_offset > 0;
	if (rc == -EMEDIUMTYPE)
		snprintf(j->r.refusal, sizeof(j->r.refusal), "not_luks");
	if (rc < 0) {
		j->r.err = -rc;
		j->r.fail_offset = off ? (int64_t)off : -1;
		return rc;
	}
	j->r.bytes_written = j->r.luks.data_offset;
	j->r.verify.performed = 1;
	j->r.verify.passed = j->r.luks.signature_gone && j->r.luks.area_zero;
	j->r.verify.bytes = j->r.luks.data_offset;
	return 0;
}

int wipe_job_run(struct wipe_job *j, wipe_progress_fn progress, void *ctx)
{
	struct ioq *q = NULL;
	unsigned pass, start_pass;
	uint64_t start_off;
	double t = xmono();
	int fd = -1, rc;

	if (j->r.state == WIPE_COMPLETED || j->r.state == WIPE_RUNNING || j->r.state == WIPE_VERIFYING)
		return -EALREADY;
	if (j->ran) {
		/* continue where this job stopped, with the same key */
		start_pass = j->r.resume_pass ? j->r.resume_pass : 1;
		start_off = j->r.resume_pass ? j->r.resume_offset : 0;
	} else {
		start_pass = j->p.resume_pass ? j->p.resume_pass : 1;
		start_off = j->p.resume_pass ? j->p.resume_offset : 0;
		/*
		 * A random pass interrupted in another job was written under a
		 * key that is gone: it starts over, or it could not be verified.
		 */
		if (start_pass <= j->npasses && j->kind[start_pass - 1] == PATTERN_RANDOM)
			start_off = 0;
		if (start_pass == j->npasses + 1 && j->npasses && j->kind[j->npasses - 1] == PATTERN_RANDOM &&
		    j->p.verify != VERIFY_NONE) {
			start_pass = j->npasses;
			start_off = 0;
		}
		xtime_rfc3339(j->r.started_at);
	}
	j->ran = 1;
	j->fn = progress;
	j->ctx = ctx;
	atomic_store(&j->cancel, 0);
	j->r.state = WIPE_RUNNING;
	j->r.err = 0;
	j->r.fail_offset = -1;
	j->r.error[0] = '\0';
	j->r.refusal[0] = '\0';

	rc = open_target(j, &fd);
	if (rc < 0)
		goto out;
	if (start_off > j->r.size || start_off % j->r.logical_block_size) {
		rc = -EINVAL;
		fail(j, EINVAL, -1, "cannot resume %s at offset %llu: not a block boundary inside the device",
		     j->p.device, (unsigned long long)start_off);
		goto out;
	}
	rc = ioq_new(fd, j->p.queue_depth, j->p.io_size, &q);
	if (rc == 0 && !j->shared && posix_memalign(&j->shared, IOQ_ALIGN, j->p.io_size))
		rc = -ENOMEM;
	if (rc < 0) {
		fail(j, -rc, -1, "cannot set up I/O for %s: %s", j->p.device, strerror(-rc));
		goto out;
	}
	j->r.io_uring = ioq_uring(q);
	if (j->p.method == WIPE_LUKS_CRYPTO_ERASE) {
		rc = run_luks(j, q, fd);
		goto out;
	}
	rc = plan_verify(j);
	if (rc < 0)
		goto out;
	j->run_done0 = start_pass > j->npasses ? (uint64_t)j->npasses * j->r.size :
		       (uint64_t)(start_pass - 1) * j->r.size + start_off;
	j->run_t0 = xmono();
	j->rescue_left = WIPE_RESCUE_BUDGET;
	/* a run after a cancellation continues the profile where it stopped */
	j->speed_t0 = xmono() - j->r.speed.n * j->r.speed.interval;
	for (pass = start_pass; pass <= j->npasses && rc == 0; pass++)
		rc = run_pass(j, q, fd, pass, pass == start_pass ? start_off : 0);
	if (rc == 0 && j->p.verify != VERIFY_NONE)
		rc = run_verify(j, q);
	if (rc == 0) {
		j->r.resume_pass = 0;
		j->r.resume_offset = 0;
	}
out:
	ioq_free(q);
	xclose(fd);
	j->r.seconds += xmono() - t;
	j->r.state = rc == 0 ? WIPE_COMPLETED : rc == -ECANCELED ? WIPE_CANCELLED : WIPE_FAILED;
	/* SPEC section 7: went on past write errors by policy, so completed with exceptions, never a plain pass */
	j->r.with_exceptions = j->r.state == WIPE_COMPLETED && j->r.io.n > 0;
	xtime_rfc3339(j->r.finished_at);
	j->fn = NULL;
	return rc;
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *wipe_result_to_json(const struct wipe_result *r)
{
	json_t *o, *passes, *v;
	char seed[17];
	unsigned i;
	int bad = 0;

	o = json_object();
	passes = json_array();
	if (!o || !passes) {
		json_decref(o);
		json_decref(passes);
		return NULL;
	}
	for (i = 0; i < r->passes; i++) {
		const struct wipe_pass_result *p = &r->pass[i];
		bad |= json_array_append_new(passes, json_pack("{s:i,s:s,s:b,s:o,s:f,s:f}",
			"pass", (int)i + 1, "pattern", p->pattern, "completed", p->done,
			"bytes", u64(p->bytes), "seconds", p->seconds,
			"rate_bytes_per_s", p->seconds > 0 ? (double)p->bytes / p->seconds : 0.0));
	}
	bad |= json_object_set_new(o, "device", json_string(r->device));
	bad |= json_object_set_new(o, "identity", str_or_null(r->identity));
	bad |= json_object_set_new(o, "method", json_string(r->method));
	bad |= json_object_set_new(o, "state", json_string(wipe_state_name(r->state)));
	bad |= json_object_set_new(o, "size_bytes", u64(r->size));
	bad |= json_object_set_new(o, "logical_block_size", json_integer(r->logical_block_size));
	bad |= json_object_set_new(o, "direct_io", json_boolean(r->direct_io));
	bad |= json_object_set_new(o, "io_uring", json_boolean(r->io_uring));
	bad |= json_object_set_new(o, "passes", passes);
	if (!strcmp(r->verify.mode, "none")) {
		v = json_null();
	} else {
		snprintf(seed, sizeof(seed), "%016llx", (unsigned long long)r->verify.seed);
		v = json_pack("{s:s,s:b,s:b,s:o,s:o,s:f,s:f}", "mode", r->verify.mode,
			      "performed", r->verify.performed, "passed", r->verify.passed,
			      "bytes_checked", u64(r->verify.bytes),
			      "mismatch_offset", r->verify.mismatch_offset < 0 ? json_null() : json_integer(r->verify.mismatch_offset),
			      "seconds", r->verify.seconds,
			      "rate_bytes_per_s", r->verify.seconds > 0 ? (double)r->verify.bytes / r->verify.seconds : 0.0);
		if (v)
			bad |= json_object_set_new(v, "skipped_bytes", u64(r->verify.skipped));
		if (v && !strcmp(r->verify.mode, "sample"))
			bad |= json_object_set_new(v, "sample_seed", json_string(seed));
	}
	bad |= json_object_set_new(o, "verification", v);
	if (r->key_id[0])
		bad |= json_object_set_new(o, "random", json_pack("{s:s,s:s,s:s}", "cipher", "AES-128-CTR",
								  "key_id", r->key_id, "nonce", r->nonce));
	if (r->luks_done || r->luks.type[0]) {
		json_t *slots = json_array();
		for (i = 0; slots && i < r->luks.nslots; i++)
			bad |= json_array_append_new(slots, json_integer(r->luks.slots[i]));
		bad |= json_object_set_new(o, "luks", json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:b}",
			"type", r->luks.type, "uuid", r->luks.uuid, "keyslots_destroyed", slots,
			"data_offset", u64(r->luks.data_offset), "metadata_size", u64(r->luks.metadata_size),
			"keyslots_size", u64(r->luks.keyslots_size),
			"signature_gone", r->luks.signature_gone, "header_area_zero", r->luks.area_zero));
	}
	{
		json_t *rs = json_array();

		for (i = 0; rs && i < r->io.n && i < WIPE_BAD_RANGES_MAX; i++)
			bad |= json_array_append_new(rs, json_pack("{s:o,s:o,s:s?}", "offset", u64(r->io.r[i].off),
				"length", u64(r->io.r[i].len), "errno_name", r->io.r[i].err ? strerrorname_np(r->io.r[i].err) : NULL));
		bad |= json_object_set_new(o, "io_errors", json_pack("{s:i,s:i,s:i,s:o,s:b,s:o}",
			"errors", (int)r->io.errors, "retries", (int)r->io.retries, "recovered", (int)r->io.recovered,
			"unwritten_bytes", u64(r->io.bad_bytes), "ranges_widened", r->io.widened, "ranges", rs));
		bad |= json_object_set_new(o, "with_exceptions", json_boolean(r->with_exceptions));
	}
	{
		json_t *w = json_array(), *rd = json_array();

		for (i = 0; w && rd && i < r->speed.n && i < WIPE_SPEED_SAMPLES; i++) {
			bad |= json_array_append_new(w, u64(r->speed.written[i]));
			bad |= json_array_append_new(rd, u64(r->speed.read[i]));
		}
		bad |= json_object_set_new(o, "speed", json_pack("{s:f,s:o,s:o}", "interval_s", r->speed.interval,
								 "written_bytes", w, "read_bytes", rd));
	}
	bad |= json_object_set_new(o, "bytes_written", u64(r->bytes_written));
	bad |= json_object_set_new(o, "seconds", json_real(r->seconds));
	bad |= json_object_set_new(o, "started_at", str_or_null(r->started_at));
	bad |= json_object_set_new(o, "finished_at", str_or_null(r->finished_at));
	if (r->error[0]) {
		const char *name = r->err ? strerrorname_np(r->err) : NULL;
		bad |= json_object_set_new(o, "error", json_pack("{s:s,s:i,s:s?,s:o,s:s?}",
			"message", r->error, "errno", r->err, "errno_name", name,
			"offset", r->fail_offset < 0 ? json_null() : json_integer(r->fail_offset),
			"refusal", r->refusal[0] ? r->refusal : NULL));
	} else {
		bad |= json_object_set_new(o, "error", json_null());
	}
	if (r->resume_pass && r->state != WIPE_COMPLETED)
		bad |= json_object_set_new(o, "resume", json_pack("{s:i,s:o}", "pass", (int)r->resume_pass,
								  "offset", u64(r->resume_offset)));
	else
		bad |= json_object_set_new(o, "resume", json_null());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
