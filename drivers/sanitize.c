#include "drivers/sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/interlock.h"
#include "drivers/ioq.h"
#include "drivers/pattern.h"
#include "util/xio.h"

struct sanitize_job {
	struct sanitize_params p;
	enum sanitize_kind kind;
	enum purge_method pm;
	struct wipe_job *wj;
	struct purge_job *pj;
	struct sanitize_result r;
	atomic_int cancel;
	sanitize_progress_fn fn;
	void *ctx;
	uint64_t size;		/* purge: the device's, for the progress mapping */
	uint64_t rb_total;	/* purge: the read-back's planned bytes, for the overall progress */
	uint64_t overall_last;	/* purge: the overall bytes last reported */
	double t0, last;
	/* the read-back after a purge, run on the runner's descriptor */
	struct {
		int performed, passed;
		unsigned accept;	/* PURGE_RB_* */
		int seen;		/* the pattern found so far: 1 zeros, 2 ones */
		uint64_t bytes, total;
		int64_t mismatch;
		int rc;			/* its failure, applied once the runner's result is copied */
		char msg[768];
	} rb;
};

enum sanitize_kind sanitize_method_kind(const char *name)
{
	enum wipe_method wm;
	enum purge_method pm;

	if (!name)
		return SANITIZE_UNKNOWN;
	if (wipe_method_parse(name, &wm) == 0)
		return wm == WIPE_LUKS_CRYPTO_ERASE ? SANITIZE_LUKS : SANITIZE_OVERWRITE;
	if (purge_method_parse(name, &pm) == 0)
		return SANITIZE_PURGE;
	return SANITIZE_UNKNOWN;
}

const char *sanitize_kind_name(enum sanitize_kind k)
{
	switch (k) {
	case SANITIZE_OVERWRITE: return "overwrite";
	case SANITIZE_LUKS: return "luks";
	case SANITIZE_PURGE: return "purge";
	case SANITIZE_UNKNOWN: break;
	}
	return "unknown";
}

int sanitize_purge_zeroes(enum purge_method m)
{
	/* the overwrite actions write the zero pattern (we never set another); ACS-3 7.45: normal erase writes zeros */
	return m == PURGE_NVME_SANITIZE_OVERWRITE || m == PURGE_ATA_SANITIZE_OVERWRITE ||
	       m == PURGE_SCSI_SANITIZE_OVERWRITE || m == PURGE_ATA_SECURE_ERASE;
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void to_wipe_params(const struct sanitize_params *p, struct wipe_params *wp)
{
	memset(wp, 0, sizeof(*wp));
	snprintf(wp->device, sizeof(wp->device), "%s", p->device);
	wipe_method_parse(p->method, &wp->method);
	wp->verify = p->verify;
	snprintf(wp->expected_identity, sizeof(wp->expected_identity), "%s", p->expected_identity);
	snprintf(wp->state_dir, sizeof(wp->state_dir), "%s", p->state_dir);
	wp->resume_pass = p->resume_pass;
	wp->resume_offset = p->resume_offset;
	wp->allow_regular_file = p->allow_regular_file;
	wp->progress_interval = p->progress_interval;
	wp->on_error = p->on_error;
	wp->speed_interval = p->speed_interval;
}

/* ---- the unified result from the engines' ---- */

static enum wipe_state from_purge_state(enum purge_state s)
{
	switch (s) {
	case PURGE_QUEUED: return WIPE_QUEUED;
	case PURGE_RUNNING: return WIPE_RUNNING;
	case PURGE_VERIFYING: return WIPE_VERIFYING;
	case PURGE_COMPLETED: return WIPE_COMPLETED;
	case PURGE_FAILED: return WIPE_FAILED;
	case PURGE_CANCELLED: return WIPE_CANCELLED;
	}
	return WIPE_FAILED;
}

static enum purge_state to_purge_state(enum wipe_state s)
{
	switch (s) {
	case WIPE_QUEUED: return PURGE_QUEUED;
	case WIPE_RUNNING: return PURGE_RUNNING;
	case WIPE_VERIFYING: return PURGE_VERIFYING;
	case WIPE_COMPLETED: return PURGE_COMPLETED;
	case WIPE_FAILED: return PURGE_FAILED;
	case WIPE_CANCELLED: return PURGE_CANCELLED;
	}
	return PURGE_FAILED;
}

/*
 * Record what the job could not establish (sanitize.h "exceptions"); one
 * entry per kind, the first detail kept.  Cannot fail: past the cap the
 * last entry says that more were dropped.
 */
static void add_exception(struct sanitize_result *r, const char *kind, int64_t off, uint64_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_exception(struct sanitize_result *r, const char *kind, int64_t off, uint64_t len, const char *fmt, ...)
{
	struct sanitize_exception *e;
	va_list ap;

	for (unsigned i = 0; i < r->exceptions.n; i++)
		if (!strcmp(r->exceptions.e[i].kind, kind))
			return;
	if (r->exceptions.n >= SANITIZE_EXCEPTIONS_MAX) {
		e = &r->exceptions.e[SANITIZE_EXCEPTIONS_MAX - 1];
		snprintf(e->kind, sizeof(e->kind), "exceptions_truncated");
		snprintf(e->detail, sizeof(e->detail), "more exceptions than the report holds");
		e->offset = -1;
		e->length = 0;
		return;
	}
	e = &r->exceptions.e[r->exceptions.n++];
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	e->offset = off;
	e->length = len;
}

/* At most this many io_error exceptions name a range; one more says how many others io_errors lists. */
#define IO_EXCEPTIONS_MAX 8

/*
 * The ranges no write reached as exceptions of kind "io_error" (one per
 * range, bounded), and "verify_skipped" when the read-back left them out.
 * Called again on every sync: entries already there are not repeated.
 */
static void io_exceptions(struct sanitize_result *r)
{
	unsigned have = 0, i, k;

	if (!r->io.n)
		return;
	for (i = 0; i < r->exceptions.n; i++)
		have += !strcmp(r->exceptions.e[i].kind, "io_error");
	for (k = have; k < r->io.n && k < IO_EXCEPTIONS_MAX && r->exceptions.n < SANITIZE_EXCEPTIONS_MAX - 2; k++) {
		struct sanitize_exception *e = &r->exceptions.e[r->exceptions.n++];
		const struct wipe_bad_range *b = &r->io.r[k];

		snprintf(e->kind, sizeof(e->kind), "io_error");
		snprintf(e->detail, sizeof(e->detail), "bytes %llu-%llu could not be written after %d retries (%s)%s; "
			 "they keep what was there before", (unsigned long long)b->off,
			 (unsigned long long)(b->off + b->len - 1), WIPE_IO_RETRIES, b->err ? strerror(b->err) : "error",
			 r->io.widened && k == r->io.n - 1 ? ", a range widened to cover more failures" : "");
		e->offset = (int64_t)b->off;
		e->length = b->len;
		have++;
	}
	if (have < r->io.n && r->exceptions.n < SANITIZE_EXCEPTIONS_MAX - 1) {
		int listed = 0;

		for (i = 0; i < r->exceptions.n; i++)
			listed |= !strcmp(r->exceptions.e[i].kind, "io_error") && r->exceptions.e[i].offset < 0;
		if (!listed) {
			struct sanitize_exception *e = &r->exceptions.e[r->exceptions.n++];

			snprintf(e->kind, sizeof(e->kind), "io_error");
			snprintf(e->detail, sizeof(e->detail), "%u more unwritten ranges, %llu bytes in all: see io_errors",
				 r->io.n - have, (unsigned long long)r->io.bad_bytes);
			e->offset = -1;
			e->length = 0;
		}
	}
	if (r->verify.skipped)
		add_exception(r, "verify_skipped", -1, r->verify.skipped, "the verification did not read the %llu "
			      "bytes no write reached (the io_error ranges); it read the rest",
			      (unsigned long long)r->verify.skipped);
}

/* Copy the engine's own result (already in r->engine) into the common fields. */
static void sync_common(struct sanitize_job *j)
{
	struct sanitize_result *r = &j->r;

	if (j->kind == SANITIZE_PURGE) {
		const struct purge_result *e = &r->engine.purge;

		r->state = from_purge_state(e->state);
		snprintf(r->device, sizeof(r->device), "%s", e->device);
		snprintf(r->method, sizeof(r->method), "%s", e->method);
		snprintf(r->identity, sizeof(r->identity), "%s", e->identity);
		snprintf(r->refusal, sizeof(r->refusal), "%s", e->refusal);
		snprintf(r->error, sizeof(r->error), "%s", e->error);
		r->err = e->err;
		r->size = j->size;
		r->passes = 1;
		r->bytes_written = 0;	/* the drive erased; the host wrote only sentinels */
		r->seconds = e->seconds;
		snprintf(r->started_at, sizeof(r->started_at), "%s", e->started_at);
		snprintf(r->finished_at, sizeof(r->finished_at), "%s", e->finished_at);
		snprintf(r->verify.mode, sizeof(r->verify.mode), "%s", verify_mode_name(j->p.verify));
		snprintf(r->verify.check, sizeof(r->verify.check), "%s", j->p.verify == VERIFY_NONE ? "" :
			 e->readback_accept ? purge_readback_name(e->readback_accept) :
			 sanitize_purge_zeroes(j->pm) ? "zeros" : "readable");
		r->verify.performed = e->verify.performed || j->rb.performed;
		r->verify.passed = e->verify.passed && (!j->rb.performed || j->rb.passed);
		r->verify.bytes = j->rb.bytes;
		r->verify.mismatch_offset = j->rb.mismatch >= 0 ? j->rb.mismatch : e->verify.survivor_offset;
		r->fail_offset = r->verify.mismatch_offset;
		r->confirmed = e->confirmed;
		r->readback.performed = j->rb.performed;
		r->readback.passed = j->rb.passed;
		r->readback.bytes = j->rb.bytes;
		r->readback.mismatch_offset = j->rb.mismatch;
		r->hidden.checked = !strcmp(e->transport, "ata") && !e->hidden_undetermined[0];
		r->hidden.hpa = e->hpa_hidden;
		r->hidden.dco = e->dco_hidden;
		if (e->hidden_undetermined[0])
			add_exception(r, "hidden_area_undetermined", -1, 0, "hpa/dco/accessible max address could not "
				      "be determined (%s): sectors beyond the reported maximum may not be covered",
				      e->hidden_undetermined);
		return;
	}
	{
		const struct wipe_result *e = &r->engine.wipe;

		r->state = e->state;
		snprintf(r->device, sizeof(r->device), "%s", e->device);
		snprintf(r->method, sizeof(r->method), "%s", e->method);
		snprintf(r->identity, sizeof(r->identity), "%s", e->identity);
		snprintf(r->refusal, sizeof(r->refusal), "%s", e->refusal);
		snprintf(r->error, sizeof(r->error), "%s", e->error);
		r->err = e->err;
		r->fail_offset = e->fail_offset;
		r->size = e->size;
		r->passes = e->passes;
		r->bytes_written = e->bytes_written;
		r->seconds = e->seconds;
		snprintf(r->started_at, sizeof(r->started_at), "%s", e->started_at);
		snprintf(r->finished_at, sizeof(r->finished_at), "%s", e->finished_at);
		snprintf(r->verify.mode, sizeof(r->verify.mode), "%s", e->verify.mode);
		snprintf(r->verify.check, sizeof(r->verify.check), "%s", j->kind == SANITIZE_LUKS ? "luks-header" :
			 strcmp(e->verify.mode, "none") ? "pattern" : "");
		r->verify.performed = e->verify.performed;
		r->verify.passed = e->verify.passed;
		r->verify.bytes = e->verify.bytes;
		r->verify.mismatch_offset = e->verify.mismatch_offset;
		r->resume_pass = e->resume_pass;
		r->resume_offset = e->resume_offset;
		r->confirmed = 0;
		r->verify.skipped = e->verify.skipped;
		r->io = e->io;
		r->with_exceptions = e->with_exceptions;
		r->speed = e->speed;
		io_exceptions(r);
	}
}

static void sync_engine(struct sanitize_job *j)
{
	if (j->kind == SANITIZE_PURGE)
		j->r.engine.purge = *purge_job_result(j->pj);
	else
		j->r.engine.wipe = *wipe_job_result(j->wj);
	sync_common(j);
}

/*
 * A failure or refusal decided here, written into the engine's result so
 * its report says it; stamp: the job ran (a refusal made before it ran
 * has no start or end time).
 */
static int vfail(struct sanitize_job *j, int rc, const char *reason, int stamp, const char *fmt, va_list ap)
{
	enum wipe_state st = rc == -ECANCELED ? WIPE_CANCELLED : WIPE_FAILED;
	char *error, *refusal, *started, *finished;

	if (j->kind == SANITIZE_PURGE) {
		struct purge_result *e = &j->r.engine.purge;

		e->state = to_purge_state(st);
		e->err = -rc;
		error = e->error;
		refusal = e->refusal;
		started = e->started_at;
		finished = e->finished_at;
	} else {
		struct wipe_result *e = &j->r.engine.wipe;

		e->state = st;
		e->err = -rc;
		error = e->error;
		refusal = e->refusal;
		started = e->started_at;
		finished = e->finished_at;
	}
	if (stamp) {
		if (!started[0])
			xtime_rfc3339(started);
		xtime_rfc3339(finished);
	}
	if (reason)
		snprintf(refusal, 24, "%s", reason);
	vsnprintf(error, sizeof(j->r.error), fmt, ap);
	sync_common(j);
	return rc;
}

static int fail(struct sanitize_job *j, int rc, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct sanitize_job *j, int rc, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(j, rc, reason, 1, fmt, ap);
	va_end(ap);
	return rc;
}

static int refuse_unstamped(struct sanitize_job *j, int rc, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse_unstamped(struct sanitize_job *j, int rc, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vfail(j, rc, reason, 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- the job ---- */

int sanitize_job_new(const struct sanitize_params *p, struct sanitize_job **out)
{
	struct sanitize_job *j;
	int rc;

	*out = NULL;
	if (!p || !terminated(p->device, sizeof(p->device)) || !p->device[0] ||
	    !terminated(p->method, sizeof(p->method)) ||
	    !terminated(p->expected_identity, sizeof(p->expected_identity)) ||
	    !terminated(p->state_dir, sizeof(p->state_dir)) || (unsigned)p->verify > VERIFY_SAMPLE ||
	    !(p->progress_interval >= 0) || !(p->poll_interval >= 0) || p->poll_interval > 3600 ||
	    !(p->speed_interval >= 0) || p->speed_interval > 3600 || p->restore_hpa < SANITIZE_HPA_REFUSE ||
	    p->restore_hpa > SANITIZE_HPA_RESTORE_PERMANENT)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->p = *p;
	j->kind = sanitize_method_kind(p->method);
	atomic_init(&j->cancel, 0);
	j->rb.mismatch = -1;
	j->r.kind = j->kind;
	health_init(&j->r.health_before);
	health_init(&j->r.health_after);
	snprintf(j->r.health_before.why, sizeof(j->r.health_before.why), "not read: the job has not run");
	snprintf(j->r.health_after.why, sizeof(j->r.health_after.why), "not read: the job has not run");
	j->r.fail_offset = -1;
	j->r.verify.mismatch_offset = -1;
	if (j->kind == SANITIZE_OVERWRITE || j->kind == SANITIZE_LUKS) {
		struct wipe_params wp;

		to_wipe_params(p, &wp);
		rc = wipe_job_new(&wp, &j->wj);
	} else if (j->kind == SANITIZE_PURGE) {
		struct purge_params pp;

		memset(&pp, 0, sizeof(pp));
		purge_method_parse(p->method, &j->pm);
		snprintf(pp.device, sizeof(pp.device), "%s", p->device);
		pp.method = j->pm;
		snprintf(pp.expected_identity, sizeof(pp.expected_identity), "%s", p->expected_identity);
		snprintf(pp.state_dir, sizeof(pp.state_dir), "%s", p->state_dir);
		pp.precheck = p->verify != VERIFY_NONE;
		pp.poll_interval = p->poll_interval;
		pp.max_seconds = p->max_seconds;
		rc = purge_job_new(&pp, &j->pj);
	} else {
		rc = -EINVAL;
	}
	if (rc < 0) {
		sanitize_job_free(j);
		return rc;
	}
	sync_engine(j);
	*out = j;
	return 0;
}

int sanitize_job_new_from_wipe(const struct wipe_params *wp, struct sanitize_job **out)
{
	struct sanitize_params *p;
	int rc;

	*out = NULL;
	if (!wp || (unsigned)wp->method > WIPE_LUKS_CRYPTO_ERASE)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->device, sizeof(p->device), "%.*s", (int)sizeof(wp->device) - 1, wp->device);
	snprintf(p->method, sizeof(p->method), "%s", wipe_method_name(wp->method));
	p->verify = wp->verify;
	snprintf(p->expected_identity, sizeof(p->expected_identity), "%.*s",
		 (int)sizeof(wp->expected_identity) - 1, wp->expected_identity);
	snprintf(p->state_dir, sizeof(p->state_dir), "%.*s", (int)sizeof(wp->state_dir) - 1, wp->state_dir);
	p->allow_regular_file = wp->allow_regular_file;
	p->progress_interval = wp->progress_interval;
	p->resume_pass = wp->resume_pass;
	p->resume_offset = wp->resume_offset;
	p->on_error = wp->on_error;	/* issue 13: the API's jobs come this way */
	p->speed_interval = wp->speed_interval;
	rc = sanitize_job_new(p, out);
	free(p);
	return rc;
}

void sanitize_job_free(struct sanitize_job *j)
{
	if (!j)
		return;
	wipe_job_free(j->wj);
	purge_job_free(j->pj);	/* wipes the temporary ATA password; results never hold it */
	free(j);
}

void sanitize_job_cancel(struct sanitize_job *j)
{
	atomic_store(&j->cancel, 1);
	if (j->wj)
		wipe_job_cancel(j->wj);
	if (j->pj)
		purge_job_cancel(j->pj);
}

const struct sanitize_result *sanitize_job_result(const struct sanitize_job *j)
{
	return &j->r;
}

void sanitize_job_refuse(struct sanitize_job *j, int err, const char *reason, const char *msg)
{
	refuse_unstamped(j, err > 0 ? -err : err, reason && reason[0] ? reason : NULL, "%s", msg);
}

/* ---- HPA/DCO ---- */

/* "sd<letters>": a whole SCSI disk, which may be an ATA drive behind SAT */
static int is_sd_disk(const char *n)
{
	if (strncmp(n, "sd", 2) || !n[2])
		return 0;
	for (n += 2; *n; n++)
		if (*n < 'a' || *n > 'z')
			return 0;
	return 1;
}

int sanitize_hidden_applies(const struct blkdev_info *d)
{
	return !d->partition && (!strcmp(d->transport, "sata") || is_sd_disk(d->name));
}

int sanitize_hidden_check(const char *device, const struct ata_hidden *h, char *msg, size_t msglen)
{
	if (!h->hpa_hidden && !h->dco_hidden)
		return 0;
	/* NIST SP 800-88r1 2.5: an area the host cannot address is not overwritten */
	snprintf(msg, msglen, "cannot certify %s: %llu sectors are hidden by HPA/DCO; remove the HPA first",
		 device, (unsigned long long)(h->hpa_hidden + h->dco_hidden));
	return -EPERM;
}

/*
 * Ask an ATA disk for its hidden sectors with IDENTIFY-class commands on a
 * read-only descriptor.  0 with *checked (0 when the device does not speak
 * ATA and need not: a SAS or USB disk without SAT); -errno with msg when a
 * sata disk cannot be asked, or -EPERM when sectors are hidden.
 */
static int hidden_probe(const struct blkdev_info *d, int *checked, struct ata_hidden *h, char *msg, size_t msglen)
{
	struct ata_info id;
	int fd = -1, rc, must = !strcmp(d->transport, "sata");

	*checked = 0;
	memset(h, 0, sizeof(*h));
	rc = xopen(d->path, O_RDONLY | O_NONBLOCK, 0, &fd);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot certify %s: cannot open it to look for hpa/dco: %s", d->path, strerror(-rc));
		return rc;
	}
	rc = ata_identify(fd, &id);
	if (rc < 0) {
		xclose(fd);
		if (!must)
			return 0;
		snprintf(msg, msglen, "cannot certify %s: ata identify failed, so hpa/dco cannot be ruled out: %s",
			 d->path, rc == -EOPNOTSUPP ? "no ata pass-through" : strerror(-rc));
		return rc;
	}
	rc = ata_probe_hidden(fd, &id, h);
	xclose(fd);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot certify %s: cannot read its native max address: %s", d->path,
			 rc == -EINVAL ? "inconsistent maxima" : strerror(-rc));
		return rc;
	}
	if (h->unreadable) {
		/* a maximum this path cannot carry is not "nothing hidden" (issue 10 item 3) */
		snprintf(msg, msglen, "cannot certify %s: the hidden area cannot be determined: %s; switch the "
			 "translator to descriptor-format sense (D_SENSE in the control mode page) and retry", d->path,
			 h->why);
		return -ENODATA;
	}
	*checked = 1;
	return sanitize_hidden_check(d->path, h, msg, msglen);
}

/*
 * restore_hpa: the drive's accessible maximum back to its native maximum
 * before the overwrite (ata_restore_hpa), on a descriptor held O_EXCL for
 * the command; then the kernel is asked to read the capacity again (sysfs
 * rescan), and it must see the whole drive, or the overwrite would still
 * miss the area.  0, or -errno with msg.
 */
static int restore_hidden(struct sanitize_job *j, struct blkdev_info *d, const struct blkdev_env *env,
			  char *msg, size_t msglen)
{
	struct ata_hpa_restore *hr = &j->r.hpa_restore;
	struct ata_info id;
	char path[PATH_MAX];
	int fd = -1, rc;

	rc = xopen(d->path, O_RDWR | O_EXCL | O_NONBLOCK, 0, &fd);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot restore the hpa of %s: %s", d->path, strerror(-rc));
		return rc;
	}
	rc = ata_identify(fd, &id);
	if (rc == 0)
		rc = ata_restore_hpa(fd, NULL, NULL, &id, j->p.restore_hpa == SANITIZE_HPA_RESTORE_PERMANENT, hr);
	xclose(fd);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot restore the hpa of %s: %s", d->path, hr->error[0] ? hr->error : strerror(-rc));
		return rc;
	}
	/* the kernel's capacity: the overwrite writes what the block device shows */
	snprintf(path, sizeof(path), "%s/block/%s/device/rescan", env->sys, d->name);
	{
		/* SCSI rescan: sd reads the capacity again; a failure shows in the size check below */
		int rfd = open(path, O_WRONLY | O_CLOEXEC);

		if (rfd >= 0) {
			if (write(rfd, "1", 1) != 1)
				(void)0;
			close(rfd);
		}
	}
	rc = blkdev_probe_path(env, j->p.device, d);
	if (rc == 0 && d->size / (d->logical_block_size ? d->logical_block_size : 512) != hr->new_max + 1) {
		snprintf(msg, msglen, "cannot certify %s: the drive now has %llu sectors (hpa restored) but the kernel "
			 "still sees %llu bytes; reattach the drive (or reset its link) and start again", d->path,
			 (unsigned long long)(hr->new_max + 1), (unsigned long long)d->size);
		return -EIO;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "cannot probe %s after restoring its hpa: %s", d->path, strerror(-rc));
		return rc;
	}
	add_exception(&j->r, "hpa_restored", -1, 0, "%s (%s) moved the accessible maximum from lba %llu to the "
		      "native lba %llu before the overwrite%s", hr->command, hr->permanent ? "non-volatile" : "volatile",
		      (unsigned long long)hr->old_max, (unsigned long long)hr->new_max,
		      hr->permanent ? "" : "; the drive returns to its old maximum at the next power-on");
	return 0;
}

static void blkdev_env_for(const struct sanitize_params *p, struct blkdev_env *env)
{
	blkdev_env_default(env);
	env->state_dir = p->state_dir[0] ? p->state_dir : NULL;
}

/* ---- progress ---- */

static void on_wipe(void *ctx, const struct wipe_progress *wp)
{
	struct sanitize_job *j = ctx;
	struct sanitize_progress s;

	memset(&s, 0, sizeof(s));
	s.state = wp->state;
	snprintf(s.phase, sizeof(s.phase), "%s", wp->pattern ? wp->pattern : "");
	s.pass = wp->pass;
	s.passes = wp->passes;
	s.bytes_done = wp->bytes_done;
	s.bytes_total = wp->bytes_total;
	s.overall_done = wp->overall_done;
	s.overall_total = wp->overall_total;
	s.overall_fraction = wp->overall_total ? (double)wp->overall_done / (double)wp->overall_total : -1;
	s.rate = wp->rate;
	s.eta = wp->eta;
	s.fraction = wp->bytes_total ? (double)wp->bytes_done / (double)wp->bytes_total : -1;
	j->fn(j->ctx, &s);
}

void sanitize_progress_from_purge(const struct purge_progress *pp, uint64_t size, struct sanitize_progress *out)
{
	double f = pp->fraction;

	memset(out, 0, sizeof(*out));
	out->state = pp->state == PURGE_VERIFYING ? WIPE_VERIFYING : WIPE_RUNNING;
	snprintf(out->phase, sizeof(out->phase), "%s", pp->phase ? pp->phase : "");
	out->pass = 1;
	out->passes = 1;
	out->bytes_total = size;
	if (f > 1)
		f = 1;
	out->fraction = f >= 0 ? f : -1;
	out->bytes_done = f >= 0 ? (uint64_t)(f * (double)size) : 0;
	out->rate = pp->elapsed > 0 && out->bytes_done ? (double)out->bytes_done / pp->elapsed : 0;
	if (f >= 1)
		out->eta = 0;
	else if (f > 0 && pp->elapsed > 0)
		out->eta = pp->elapsed * (1 - f) / f;
	else
		out->eta = -1;
	/* the erase alone: the job adds its read-back (on_purge) */
	out->overall_total = size;
	out->overall_done = out->bytes_done;
	out->overall_fraction = size && f >= 0 ? f : -1;
}

/* The purge job's overall view: the erase counted as the device's size, then the read-back's bytes. */
static void purge_overall(struct sanitize_job *j, struct sanitize_progress *s, uint64_t rb_done)
{
	uint64_t total = j->size + j->rb_total;

	s->overall_total = total;
	if (rb_done || !strcmp(s->phase, "readback"))
		s->overall_done = j->size + rb_done;
	else
		s->overall_done = s->bytes_done < j->size ? s->bytes_done : j->size;
	/* a phase with no fraction from the drive does not take back what an earlier one showed */
	if (s->overall_done < j->overall_last)
		s->overall_done = j->overall_last;
	if (s->overall_done > total)
		s->overall_done = total;
	j->overall_last = s->overall_done;
	s->overall_fraction = total ? (double)s->overall_done / (double)total : -1;
}

static void on_purge(void *ctx, const struct purge_progress *pp)
{
	struct sanitize_job *j = ctx;
	struct sanitize_progress s;

	sanitize_progress_from_purge(pp, j->size, &s);
	purge_overall(j, &s, 0);
	j->fn(j->ctx, &s);
}

/* ---- the read-back after a purge ---- */

static int rb_any(void *ctx, const void *buf, uint64_t off, size_t len, uint64_t *bad)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)bad;
	return 0;
}

static int rb_tick(void *ctx, uint64_t done)
{
	struct sanitize_job *j = ctx;
	struct sanitize_progress s;
	double now;

	if (atomic_load(&j->cancel))
		return 1;
	now = xmono();
	if (j->fn && (j->p.progress_interval <= 0 || now - j->last >= j->p.progress_interval)) {
		memset(&s, 0, sizeof(s));
		s.state = WIPE_VERIFYING;
		snprintf(s.phase, sizeof(s.phase), "readback");
		s.pass = 1;	/* its own phase, not "pass 2 of 1" */
		s.passes = 1;
		s.bytes_done = done;
		s.bytes_total = j->rb.total;
		s.rate = now > j->t0 ? (double)done / (now - j->t0) : 0;
		s.eta = s.rate > 0 ? (double)(j->rb.total - done) / s.rate : -1;
		s.fraction = j->rb.total ? (double)done / (double)j->rb.total : -1;
		purge_overall(j, &s, done);	/* the erase is behind us: the eta is the read-back's */
		j->last = now;
		j->fn(j->ctx, &s);
	}
	return atomic_load(&j->cancel);
}

/* rb_fail: a read-back failure, kept until the runner's result has been copied (run_purge applies it) */
static int rb_fail(struct sanitize_job *j, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int rb_fail(struct sanitize_job *j, int rc, const char *fmt, ...)
{
	va_list ap;

	j->rb.rc = rc;
	va_start(ap, fmt);
	vsnprintf(j->rb.msg, sizeof(j->rb.msg), fmt, ap);
	va_end(ap);
	return rc;
}

int sanitize_readback_check(unsigned accept, int *seen, const void *buf, size_t len, size_t *bad)
{
	const uint8_t *b = buf;
	uint8_t want;
	size_t k;

	*bad = 0;
	if (accept & PURGE_RB_ANY)
		return 0;
	if (!len)
		return 0;
	if (*seen)
		want = *seen == 2 ? 0xff : 0x00;
	else if ((accept & PURGE_RB_ZEROS) && b[0] == 0x00)
		want = 0x00;
	else if ((accept & PURGE_RB_ONES) && b[0] == 0xff)
		want = 0xff;
	else
		return -EILSEQ;
	k = pattern_first_not(buf, len, want);
	if (k < len) {
		*bad = k;
		return -EILSEQ;
	}
	*seen = want ? 2 : 1;
	return 0;
}

static int rb_pattern(void *ctx, const void *buf, uint64_t off, size_t len, uint64_t *bad)
{
	struct sanitize_job *j = ctx;
	size_t k = 0;
	int rc = sanitize_readback_check(j->rb.accept, &j->rb.seen, buf, len, &k);

	if (rc)
		*bad = off + k;
	return rc;
}

/*
 * The verify.h plan read back on the purge runner's own O_EXCL descriptor
 * (purge_job_set_readback: nothing else can open the device between the
 * command and this): the content the method's rule accepts
 * (purge_readback_rule), else every sampled block readable.
 */
static int readback_fd(void *ctx, int fd, const struct purge_result *pr)
{
	struct sanitize_job *j = ctx;
	struct verify_plan *plan = NULL;
	struct ioq *q = NULL;
	struct ioq_ops ops = { 0 };
	struct ioq_status st;
	uint64_t size = 0, seed = 0;
	int lbs = 0, e = 0, rc;

	if (ioctl(fd, BLKGETSIZE64, &size) < 0 || ioctl(fd, BLKSSZGET, &lbs) < 0)
		e = errno;
	else if (lbs <= 0 || size == 0)
		e = EINVAL;
	if (e)
		return rb_fail(j, -e, "cannot read the size of %s: %s", j->p.device, strerror(e));
	j->size = size;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)(xmono() * 1e9);
	rc = verify_plan_new(j->p.verify, size, (uint32_t)lbs, seed, &plan);
	if (rc == 0)
		rc = ioq_new(fd, WIPE_DEFAULT_DEPTH, WIPE_DEFAULT_IO_SIZE, &q);
	if (rc < 0) {
		rc = rb_fail(j, rc, "cannot plan the read-back of %s: %s", j->p.device, strerror(-rc));
		goto out;
	}
	j->rb.accept = pr->readback_accept ? pr->readback_accept : PURGE_RB_ANY;
	j->rb.seen = 0;
	j->rb.total = plan->bytes;
	ops.check = j->rb.accept & PURGE_RB_ANY ? rb_any : rb_pattern;
	ops.tick = rb_tick;
	ops.ctx = j;
	j->t0 = j->last = xmono();
	rc = ioq_run(q, 0, plan->r, plan->n, &ops, &st);
	j->rb.bytes = st.bytes_done;
	if (rc == -ECANCELED) {
		rc = rb_fail(j, rc, "%s of %s cancelled during the read-back (the purge itself completed)",
			     j->p.method, j->p.device);
		goto out;
	}
	j->rb.performed = 1;
	if (rc == -EILSEQ) {
		j->rb.mismatch = (int64_t)st.fail_off;
		rc = rb_fail(j, rc, "verification failed on %s at offset %llu: %s should leave %s (%s)", j->p.device,
			     (unsigned long long)st.fail_off, j->p.method, purge_readback_name(j->rb.accept),
			     pr->readback_basis);
		goto out;
	}
	if (rc < 0) {
		e = st.err ? st.err : -rc;
		rc = rb_fail(j, -e, "cannot read %s at offset %llu after %s: %s", j->p.device,
			     (unsigned long long)st.fail_off, j->p.method, strerror(e));
		goto out;
	}
	j->rb.passed = 1;
	if (pr->readback_assumed)
		add_exception(&j->r, "readback_pattern_assumed", -1, 0, "%s", pr->readback_basis);
out:
	ioq_free(q);
	verify_plan_free(plan);
	return rc;
}

/* ---- run ---- */

static int run_purge(struct sanitize_job *j)
{
	struct blkdev_env env;
	struct blkdev_info *d;
	struct stat st;
	double t = xmono();
	int rc;

	if (stat(j->p.device, &st) == 0 && !S_ISBLK(st.st_mode))
		return fail(j, -EPERM, "not_block_device", "cannot purge %s: %s sends drive commands and needs a "
			    "drive (/dev/nvmeXnY or /dev/sdX), this is not a block device", j->p.device, j->p.method);
	/* the size, only for progress; the runner probes again and does every check */
	d = malloc(sizeof(*d));
	if (!d)
		return fail(j, -ENOMEM, NULL, "cannot purge %s: out of memory", j->p.device);
	blkdev_env_for(&j->p, &env);
	if (blkdev_probe_path(&env, j->p.device, d) == 0) {
		struct verify_plan *plan = NULL;

		j->size = d->size;
		/* the read-back's size, known before the command so the overall total does not move */
		if (j->p.verify != VERIFY_NONE && d->size && d->logical_block_size &&
		    verify_plan_new(j->p.verify, d->size, d->logical_block_size, 0, &plan) == 0)
			j->rb_total = plan->bytes;
		verify_plan_free(plan);
	}
	free(d);
	if (j->p.verify != VERIFY_NONE)
		purge_job_set_readback(j->pj, readback_fd, j);
	rc = purge_job_run(j->pj, j->fn ? on_purge : NULL, j);
	sync_engine(j);
	if (j->rb.rc)
		rc = fail(j, j->rb.rc, NULL, "%s", j->rb.msg);
	j->r.engine.purge.seconds = xmono() - t;
	sync_common(j);
	return rc;
}

static int run_overwrite(struct sanitize_job *j)
{
	struct blkdev_env env;
	struct blkdev_info *d;
	struct interlock_result ir;
	struct ata_hidden h;
	struct stat st;
	char msg[512];
	int checked = 0, rc;

	d = malloc(sizeof(*d));
	if (!d)
		return fail(j, -ENOMEM, NULL, "cannot wipe %s: out of memory", j->p.device);
	blkdev_env_for(&j->p, &env);
	/*
	 * Before anything is written: a hidden area would survive the overwrite.
	 * Only once the static interlocks pass, so their refusals keep their names.
	 */
	if (stat(j->p.device, &st) == 0 && S_ISBLK(st.st_mode) && blkdev_probe_path(&env, j->p.device, d) == 0 &&
	    interlock_check(d, j->p.expected_identity[0] ? j->p.expected_identity : NULL, &ir) == 0 &&
	    sanitize_hidden_applies(d)) {
		rc = hidden_probe(d, &checked, &h, msg, sizeof(msg));
		if (rc == -EPERM && j->p.restore_hpa && h.hpa_hidden && !h.dco_hidden) {
			/* issue 13 item 5: remove the hpa instead of refusing, then look again */
			rc = restore_hidden(j, d, &env, msg, sizeof(msg));
			if (rc == 0)
				rc = hidden_probe(d, &checked, &h, msg, sizeof(msg));
			if (rc < 0 && rc != -EPERM) {
				free(d);
				return fail(j, -EPERM, "hpa_restore_failed", "%s", msg);
			}
		}
		j->r.hidden.checked = checked && !h.undetermined;
		j->r.hidden.hpa = h.hpa_hidden;
		j->r.hidden.dco = h.dco_hidden;
		if (rc == 0 && h.undetermined)
			add_exception(&j->r, "hidden_area_undetermined", -1, 0, "hpa/dco/accessible max address could "
				      "not be determined (%s): sectors beyond the reported maximum may not be "
				      "overwritten", h.why);
		if (rc < 0) {
			free(d);
			return fail(j, -EPERM, rc == -EPERM ? "hidden_sectors" : "hidden_unknown", "%s", msg);
		}
	}
	rc = wipe_job_run(j->wj, j->fn ? on_wipe : NULL, j);
	sync_engine(j);
	/* and after: a host protected area set while we wrote would hide part of what we wrote */
	if (rc == 0 && checked) {
		int again = 0;

		rc = hidden_probe(d, &again, &h, msg, sizeof(msg));
		j->r.hidden.hpa = h.hpa_hidden;
		j->r.hidden.dco = h.dco_hidden;
		if (rc < 0)
			rc = fail(j, -EPERM, rc == -EPERM ? "hidden_sectors" : "hidden_unknown", "%s (after the overwrite)",
				  msg);
	}
	free(d);
	return rc;
}

/*
 * The drive's health for the record (health.h): read-only commands on a
 * descriptor of its own, outside the engine's O_EXCL hold.  A device that
 * cannot say is "not available", never a failure of the job.
 */
static void read_health(struct sanitize_job *j, struct health *h)
{
	struct stat st;
	int rc;

	health_init(h);
	if (stat(j->p.device, &st) < 0 || !S_ISBLK(st.st_mode)) {
		snprintf(h->why, sizeof(h->why), "not a block device: no drive health");
		return;
	}
	rc = health_read(j->p.device, h);
	if (rc < 0)
		snprintf(h->why, sizeof(h->why), "cannot read the health of the drive: %s", strerror(-rc));
}

int sanitize_job_run(struct sanitize_job *j, sanitize_progress_fn progress, void *ctx)
{
	int rc;

	/* a cancel asked for while the job waited for its turn: it never starts */
	if (atomic_exchange(&j->cancel, 0))
		return fail(j, -ECANCELED, NULL, "%s of %s cancelled before it started", j->p.method, j->p.device);
	j->fn = progress;
	j->ctx = ctx;
	read_health(j, &j->r.health_before);
	if (j->kind == SANITIZE_PURGE)
		rc = run_purge(j);
	else
		rc = run_overwrite(j);
	read_health(j, &j->r.health_after);
	j->fn = NULL;
	/* consumed: an overwrite run again continues from its resume point */
	atomic_store(&j->cancel, 0);
	return rc;
}

/* ---- preflight ---- */

int sanitize_preflight(const struct sanitize_params *p, struct blkdev_info *dev, char *msg, size_t msglen,
		       char reason[24])
{
	enum sanitize_kind k = sanitize_method_kind(p->method);
	struct interlock_result ir;
	struct blkdev_env env;
	struct purge_caps caps;
	enum purge_method pm;
	int rc;

	reason[0] = '\0';
	if (k == SANITIZE_UNKNOWN) {
		snprintf(msg, msglen, "cannot wipe %s: unknown method '%.40s'", p->device, p->method);
		return -EINVAL;
	}
	if (k != SANITIZE_PURGE) {
		struct wipe_params *wp = malloc(sizeof(*wp));
		struct ata_hidden h;
		int checked;

		if (!wp)
			return -ENOMEM;
		to_wipe_params(p, wp);
		rc = wipe_preflight(wp, dev, msg, msglen, reason);
		free(wp);
		if (rc == 0 && sanitize_hidden_applies(dev)) {
			rc = hidden_probe(dev, &checked, &h, msg, msglen);
			if (rc < 0) {
				snprintf(reason, 24, "%s", rc == -EPERM ? "hidden_sectors" : "hidden_unknown");
				rc = -EPERM;
			}
		}
		return rc;
	}
	purge_method_parse(p->method, &pm);
	blkdev_env_for(p, &env);
	rc = blkdev_probe_path(&env, p->device, dev);
	if (rc == -ENOTBLK) {
		snprintf(reason, 24, "not_block_device");
		snprintf(msg, msglen, "cannot purge %s: %s sends drive commands and needs a drive "
			 "(/dev/nvmeXnY or /dev/sdX), this is not a block device", p->device, p->method);
		return -EPERM;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "cannot probe %s: %s", p->device, strerror(-rc));
		return rc;
	}
	rc = purge_name_check(pm, dev->name, dev->transport, msg, msglen);
	if (rc < 0) {
		snprintf(reason, 24, "unsupported_device");
		return rc;
	}
	rc = interlock_check(dev, p->expected_identity[0] ? p->expected_identity : NULL, &ir);
	if (rc < 0) {
		snprintf(reason, 24, "%s", interlock_reason_name(ir.reason));
		snprintf(msg, msglen, "%s", ir.message);
		return rc;
	}
	/* identify-class commands only: what the drive says it can do */
	rc = purge_probe(dev->path, &caps);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot purge %s: cannot identify the drive: %s", dev->path, strerror(-rc));
		return rc;
	}
	return purge_caps_check(pm, &caps, reason, msg, msglen);
}

/* ---- report ---- */

json_t *sanitize_result_to_json(const struct sanitize_result *r)
{
	json_t *o, *x = NULL;
	int bad = 0;

	o = r->kind == SANITIZE_PURGE ? purge_result_to_json(&r->engine.purge) : wipe_result_to_json(&r->engine.wipe);
	if (!o)
		return NULL;
	bad |= json_object_set_new(o, "engine", json_string(sanitize_kind_name(r->kind)));
	if (r->kind == SANITIZE_PURGE) {
		if (r->readback.performed || r->readback.bytes)
			x = json_pack("{s:s, s:s, s:b, s:b, s:I, s:o}", "mode", r->verify.mode, "check", r->verify.check,
				      "performed", r->readback.performed, "passed", r->readback.passed,
				      "bytes_checked", (json_int_t)r->readback.bytes, "mismatch_offset",
				      r->readback.mismatch_offset >= 0 ? json_integer(r->readback.mismatch_offset)
								      : json_null());
		bad |= json_object_set_new(o, "readback", x ? x : json_null());
	} else {
		if (r->hidden.checked)
			x = json_pack("{s:I, s:I}", "hpa", (json_int_t)r->hidden.hpa, "dco", (json_int_t)r->hidden.dco);
		bad |= json_object_set_new(o, "hidden_sectors", x ? x : json_null());
		x = NULL;
		if (r->hpa_restore.performed || r->hpa_restore.error[0])
			x = json_pack("{s:b, s:s, s:b, s:I, s:I, s:s?}", "performed", r->hpa_restore.performed,
				      "command", r->hpa_restore.command, "permanent", r->hpa_restore.permanent,
				      "old_max_lba", (json_int_t)r->hpa_restore.old_max,
				      "new_max_lba", (json_int_t)r->hpa_restore.new_max,
				      "error", r->hpa_restore.error[0] ? r->hpa_restore.error : NULL);
		bad |= json_object_set_new(o, "hpa_restore", x ? x : json_null());
	}
	{
		json_t *a = json_array();

		bad |= !a;
		for (unsigned i = 0; a && i < r->exceptions.n && i < SANITIZE_EXCEPTIONS_MAX; i++) {
			const struct sanitize_exception *e = &r->exceptions.e[i];

			bad |= json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:I}", "kind", e->kind, "detail",
								  e->detail, "offset", e->offset >= 0 ?
								  json_integer(e->offset) : json_null(),
								  "length", (json_int_t)e->length));
		}
		bad |= json_object_set_new(o, "exceptions", a ? a : json_null());
		bad |= json_object_set_new(o, "with_exceptions", json_boolean(r->with_exceptions));
	}
	bad |= json_object_set_new(o, "health", json_pack("{s:o?,s:o?}", "before", health_to_json(&r->health_before),
							  "after", health_to_json(&r->health_after)));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sanitize_result_passed(const struct sanitize_result *r, char *why, size_t len)
{
	int exempt = 0;

	for (unsigned i = 0; i < r->exceptions.n && i < SANITIZE_EXCEPTIONS_MAX; i++)
		if (!strcmp(r->exceptions.e[i].kind, "readback_not_applicable") && r->exceptions.e[i].detail[0])
			exempt = 1;
	if (r->state != WIPE_COMPLETED) {
		snprintf(why, len, "the job did not complete (state %s)", wipe_state_name(r->state));
		return 0;
	}
	/* SPEC section 7: continued past I/O errors by policy: completed with exceptions, never a plain pass */
	if (r->with_exceptions || r->io.n) {
		snprintf(why, len, "completed with exceptions: %llu bytes in %u ranges could not be written (io_error)",
			 (unsigned long long)r->io.bad_bytes, r->io.n);
		return 0;
	}
	if (r->verify.performed && r->verify.passed) {
		snprintf(why, len, "completed, verification (%s) passed", r->verify.check[0] ? r->verify.check : "read-back");
		return 1;
	}
	if (r->verify.performed) {
		snprintf(why, len, "the verification failed");
		return 0;
	}
	if (exempt) {
		snprintf(why, len, "completed; no read-back applies to %s, as its exception says", r->method);
		return 1;
	}
	snprintf(why, len, "no verification was performed and no exception says a read-back does not apply");
	return 0;
}
