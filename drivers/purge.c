#include "drivers/purge_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "drivers/blkdev.h"
#include "drivers/interlock.h"
#include "drivers/scsi.h"
#include "util/xio.h"

static const char *const method_names[PURGE_METHOD_COUNT] = {
	"nvme-sanitize-crypto", "nvme-sanitize-block", "nvme-sanitize-overwrite",
	"nvme-format-crypto", "nvme-format-user",
	"ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite",
	"ata-secure-erase", "ata-secure-erase-enhanced",
	"scsi-sanitize-crypto", "scsi-sanitize-block", "scsi-sanitize-overwrite",
};

int purge_method_parse(const char *name, enum purge_method *m)
{
	for (int i = 0; i < PURGE_METHOD_COUNT; i++)
		if (name && !strcmp(name, method_names[i])) {
			*m = (enum purge_method)i;
			return 0;
		}
	return -EINVAL;
}

const char *purge_method_name(enum purge_method m)
{
	return (unsigned)m < PURGE_METHOD_COUNT ? method_names[m] : "unknown";
}

enum purge_transport purge_method_transport(enum purge_method m)
{
	if (m <= PURGE_NVME_FORMAT_USER)
		return PURGE_NVME;
	if (m <= PURGE_ATA_SECURE_ERASE_ENHANCED)
		return PURGE_ATA;
	return PURGE_SCSI;
}

const char *purge_state_name(enum purge_state s)
{
	switch (s) {
	case PURGE_QUEUED: return "queued";
	case PURGE_RUNNING: return "running";
	case PURGE_VERIFYING: return "verifying";
	case PURGE_COMPLETED: return "completed";
	case PURGE_FAILED: return "failed";
	case PURGE_CANCELLED: return "cancelled";
	}
	return "unknown";
}

static const char *const transport_names[] = { "nvme", "ata", "scsi" };

/* "nvme<ctrl>n<ns>" with nothing after: a namespace, not a partition or a controller */
static int is_nvme_ns(const char *n)
{
	const char *s = n;

	if (strncmp(s, "nvme", 4))
		return 0;
	s += 4;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s++ != 'n' || *s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == 0;
}

/* "sd<letters>": a whole SCSI disk */
static int is_sd_disk(const char *n)
{
	const char *s = n;

	if (strncmp(s, "sd", 2) || !s[2])
		return 0;
	for (s += 2; *s; s++)
		if (*s < 'a' || *s > 'z')
			return 0;
	return 1;
}

int purge_name_check(enum purge_method m, const char *name, const char *transport, char *msg, size_t len)
{
	enum purge_transport t = purge_method_transport(m);

	if ((unsigned)m >= PURGE_METHOD_COUNT) {
		snprintf(msg, len, "cannot purge /dev/%s: unknown method", name);
		return -EPERM;
	}
	if (t == PURGE_NVME) {
		if (!is_nvme_ns(name) || strcmp(transport, "nvme")) {
			snprintf(msg, len, "cannot purge /dev/%s: %s needs an nvme namespace (/dev/nvmeXnY), "
				 "this is a %s device", name, method_names[m], transport);
			return -EPERM;
		}
		return 0;
	}
	if (!is_sd_disk(name)) {
		snprintf(msg, len, "cannot purge /dev/%s: %s needs a whole scsi disk (/dev/sdX), "
			 "this is a %s device", name, method_names[m], transport);
		return -EPERM;
	}
	/* ATA commands reach a drive only through a SAT layer: libata, or SATA behind a SAS HBA */
	if (t == PURGE_ATA && strcmp(transport, "sata") && strcmp(transport, "sas")) {
		snprintf(msg, len, "cannot purge /dev/%s: %s needs a sata drive, this is a %s device",
			 name, method_names[m], transport);
		return -EPERM;
	}
	return 0;
}

void purge_caps_from_nvme(const struct nvme_ctrl_info *id, struct purge_caps *c)
{
	snprintf(c->transport, sizeof(c->transport), "nvme");
	snprintf(c->model, sizeof(c->model), "%s", id->model);
	snprintf(c->serial, sizeof(c->serial), "%s", id->serial);
	snprintf(c->firmware, sizeof(c->firmware), "%s", id->firmware);
	c->oacs = id->oacs;
	c->sanicap = id->sanicap;
	c->fna = id->fna;
	if (id->san_crypto)
		c->methods |= 1u << PURGE_NVME_SANITIZE_CRYPTO;
	if (id->san_block)
		c->methods |= 1u << PURGE_NVME_SANITIZE_BLOCK;
	if (id->san_overwrite)
		c->methods |= 1u << PURGE_NVME_SANITIZE_OVERWRITE;
	if (id->format_supported) {
		c->methods |= 1u << PURGE_NVME_FORMAT_USER;
		if (id->fna_crypto)
			c->methods |= 1u << PURGE_NVME_FORMAT_CRYPTO;
	}
}

void purge_caps_from_ata(const struct ata_info *id, const struct ata_hidden *h, int sanitize_frozen,
			 struct purge_caps *c)
{
	snprintf(c->transport, sizeof(c->transport), "ata");
	snprintf(c->model, sizeof(c->model), "%s", id->model);
	snprintf(c->serial, sizeof(c->serial), "%s", id->serial);
	snprintf(c->firmware, sizeof(c->firmware), "%s", id->firmware);
	if (id->sanitize && id->sanitize_crypto)
		c->methods |= 1u << PURGE_ATA_SANITIZE_CRYPTO;
	if (id->sanitize && id->sanitize_block)
		c->methods |= 1u << PURGE_ATA_SANITIZE_BLOCK;
	if (id->sanitize && id->sanitize_overwrite)
		c->methods |= 1u << PURGE_ATA_SANITIZE_OVERWRITE;
	if (id->sec_supported) {
		c->methods |= 1u << PURGE_ATA_SECURE_ERASE;
		if (id->sec_enhanced)
			c->methods |= 1u << PURGE_ATA_SECURE_ERASE_ENHANCED;
	}
	c->sec_supported = id->sec_supported;
	c->sec_enabled = id->sec_enabled;
	c->sec_locked = id->sec_locked;
	c->sec_frozen = id->sec_frozen;
	c->sanitize_frozen = sanitize_frozen;
	c->erase_minutes = id->erase_minutes;
	c->enhanced_erase_minutes = id->enhanced_erase_minutes;
	c->sectors = id->sectors;
	if (h) {
		c->hidden_known = h->native_sectors != 0 && !h->undetermined;
		c->hidden_unreadable = h->unreadable;
		if (h->undetermined)
			snprintf(c->hidden_why, sizeof(c->hidden_why), "%s", h->why);
		c->native_sectors = h->native_sectors;
		c->hpa_hidden = h->hpa_hidden;
		c->dco_hidden = h->dco_hidden;
	}
}

static int refuse(char refusal[24], const char *name, int rc, char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int refuse(char refusal[24], const char *name, int rc, char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	snprintf(refusal, 24, "%s", name);
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return rc;
}

int purge_caps_check(enum purge_method m, const struct purge_caps *c, char refusal[24], char *msg, size_t len)
{
	const char *mn = purge_method_name(m);

	refusal[0] = 0;
	msg[0] = 0;
	if ((unsigned)m >= PURGE_METHOD_COUNT)
		return refuse(refusal, "not_supported", -EOPNOTSUPP, msg, len, "cannot purge: unknown method");
	if (strcmp(c->transport, transport_names[purge_method_transport(m)]))
		return refuse(refusal, "unsupported_device", -EPERM, msg, len,
			      "cannot %s: the device speaks %s", mn, c->transport[0] ? c->transport : "nothing known");
	if (purge_method_transport(m) == PURGE_ATA) {
		int secure = m == PURGE_ATA_SECURE_ERASE || m == PURGE_ATA_SECURE_ERASE_ENHANCED;

		if (c->hpa_hidden || c->dco_hidden)
			return refuse(refusal, "hidden_sectors", -EPERM, msg, len,
				      "cannot %s: %llu sectors hidden by hpa and %llu by dco are out of reach; "
				      "remove them first", mn, (unsigned long long)c->hpa_hidden,
				      (unsigned long long)c->dco_hidden);
		/* a maximum this path cannot carry is not "nothing hidden": refuse, with the remedy */
		if (c->hidden_unreadable)
			return refuse(refusal, "hidden_unknown", -EPERM, msg, len,
				      "cannot %s: the hidden area cannot be determined: %s; switch the translator to "
				      "descriptor-format sense (D_SENSE in the control mode page) and retry", mn,
				      c->hidden_why);
		if (!secure && c->sanitize_unknown[0] && (c->methods & (1u << m)))
			return refuse(refusal, "status_unknown", -EPERM, msg, len, "cannot %s: %s", mn,
				      c->sanitize_unknown);
		if (secure && c->sec_supported) {
			if (c->sec_frozen)
				return refuse(refusal, "frozen", -EPERM, msg, len,
					      "cannot %s: security is frozen (the firmware froze it at boot; "
					      "suspend and resume or hot-plug the drive)", mn);
			if (c->sec_locked)
				return refuse(refusal, "locked", -EPERM, msg, len,
					      "cannot %s: the drive is locked by a password", mn);
			if (c->sec_enabled)
				return refuse(refusal, "security_enabled", -EPERM, msg, len,
					      "cannot %s: a user password is already set", mn);
		}
		if (!secure && (c->methods & (1u << m)) && c->sanitize_frozen)
			return refuse(refusal, "frozen", -EPERM, msg, len,
				      "cannot %s: the sanitize feature set is frozen", mn);
	}
	if (!(c->methods & (1u << m)) && !(purge_method_transport(m) == PURGE_SCSI && c->unknown)) {
		const char *what = "";

		switch (m) {
		case PURGE_NVME_SANITIZE_CRYPTO: what = "sanitize crypto erase (SANICAP bit 0 clear)"; break;
		case PURGE_NVME_SANITIZE_BLOCK: what = "sanitize block erase (SANICAP bit 1 clear)"; break;
		case PURGE_NVME_SANITIZE_OVERWRITE: what = "sanitize overwrite (SANICAP bit 2 clear)"; break;
		case PURGE_NVME_FORMAT_CRYPTO:
			what = (c->oacs & 2) ? "crypto erase as part of format (FNA bit 2 clear)"
					     : "format nvm (OACS bit 1 clear)";
			break;
		case PURGE_NVME_FORMAT_USER: what = "format nvm (OACS bit 1 clear)"; break;
		case PURGE_ATA_SANITIZE_CRYPTO: what = "sanitize crypto scramble (IDENTIFY word 59)"; break;
		case PURGE_ATA_SANITIZE_BLOCK: what = "sanitize block erase (IDENTIFY word 59)"; break;
		case PURGE_ATA_SANITIZE_OVERWRITE: what = "sanitize overwrite (IDENTIFY word 59)"; break;
		case PURGE_ATA_SECURE_ERASE: what = "the security feature set (IDENTIFY word 128)"; break;
		case PURGE_ATA_SECURE_ERASE_ENHANCED:
			what = c->sec_supported ? "enhanced security erase (IDENTIFY word 128 bit 5)"
						: "the security feature set (IDENTIFY word 128)";
			break;
		default: what = "sanitize with this service action"; break;
		}
		return refuse(refusal, "not_supported", -EOPNOTSUPP, msg, len,
			      "cannot %s: the device does not support %s", mn, what);
	}
	return 0;
}

/* ---- the job ---- */

int purge_job_new(const struct purge_params *params, struct purge_job **out)
{
	struct purge_job *j;

	*out = NULL;
	if (!params || (unsigned)params->method >= PURGE_METHOD_COUNT || !params->device[0] ||
	    !memchr(params->device, 0, sizeof(params->device)) || params->overwrite_passes > 16 ||
	    params->poll_interval < 0 || params->poll_interval > 3600)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->p = *params;
	j->r.state = PURGE_QUEUED;
	j->r.verify.survivor_offset = -1;
	snprintf(j->r.device, sizeof(j->r.device), "%s", params->device);
	snprintf(j->r.method, sizeof(j->r.method), "%s", purge_method_name(params->method));
	*out = j;
	return 0;
}

void purge_job_free(struct purge_job *j)
{
	if (!j)
		return;
	explicit_bzero(j->ata_password, sizeof(j->ata_password));
	free(j);
}

void purge_job_cancel(struct purge_job *j)
{
	j->cancel = 1;
}

const struct purge_result *purge_job_result(const struct purge_job *j)
{
	return &j->r;
}

void purge_report(struct purge_job *j, enum purge_state st, const char *phase, double fraction)
{
	struct purge_progress p;

	j->r.state = st;
	if (!j->progress)
		return;
	p.state = st;
	p.phase = phase;
	p.fraction = fraction;
	p.elapsed = j->t_cmd > 0 ? xmono() - j->t_cmd : 0;
	j->progress(j->ctx, &p);
}

int purge_fail(struct purge_job *j, int rc, const char *refusal, const char *fmt, ...)
{
	va_list ap;

	j->r.state = rc == -ECANCELED ? PURGE_CANCELLED : PURGE_FAILED;
	j->r.err = -rc;
	if (refusal)
		snprintf(j->r.refusal, sizeof(j->r.refusal), "%s", refusal);
	va_start(ap, fmt);
	vsnprintf(j->r.error, sizeof(j->r.error), fmt, ap);
	va_end(ap);
	return rc;
}

void purge_nap(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double poll_every(const struct purge_job *j)
{
	return j->p.poll_interval > 0 ? j->p.poll_interval : 1.0;
}

double purge_wait_limit(const struct purge_job *j, double estimate)
{
	if (j->p.max_seconds)
		return j->p.max_seconds;
	if (estimate > 0)
		return 2 * estimate + 600;
	return 24.0 * 3600;
}

/* ---- sentinels: written before the purge, none may survive it ---- */

struct sentinels {
	uint64_t off[PURGE_SENTINELS];
	unsigned n;
	uint8_t *blk;		/* PURGE_BLOCK bytes, aligned for O_DIRECT */
};

static void sentinel_fill(uint8_t *b, const uint8_t nonce[16], uint64_t off)
{
	for (size_t i = 0; i < PURGE_BLOCK; i += 32) {
		memcpy(b + i, "SZSENTNL", 8);
		memcpy(b + i + 8, &off, 8);
		memcpy(b + i + 16, nonce, 16);
	}
}

static int sentinels_plan(struct sentinels *s, uint64_t size)
{
	uint64_t blocks = size / PURGE_BLOCK;

	if (blocks < 2)
		return -EINVAL;
	s->n = blocks < PURGE_SENTINELS ? (unsigned)blocks : PURGE_SENTINELS;
	for (unsigned i = 0; i < s->n; i++)
		s->off[i] = (blocks - 1) * i / (s->n - 1) * PURGE_BLOCK;
	return 0;
}

static int sentinels_write(int fd, struct sentinels *s, const uint8_t nonce[16])
{
	int rc;

	for (unsigned i = 0; i < s->n; i++) {
		sentinel_fill(s->blk, nonce, s->off[i]);
		rc = xpwrite_full(fd, s->blk, PURGE_BLOCK, (off_t)s->off[i]);
		if (rc)
			return rc;
	}
	return xfdatasync(fd);
}

/* 0 if none survived; -EILSEQ with the first survivor's offset */
static int sentinels_check(int fd, struct sentinels *s, const uint8_t nonce[16], struct purge_result *r)
{
	uint8_t *want = s->blk + PURGE_BLOCK;
	int rc;

	r->verify.performed = 1;
	r->verify.sentinels = s->n;
	for (unsigned i = 0; i < s->n; i++) {
		size_t k;

		rc = xpread_full(fd, s->blk, PURGE_BLOCK, (off_t)s->off[i]);
		if (rc)
			return rc;
		sentinel_fill(want, nonce, s->off[i]);
		if (!memcmp(s->blk, want, PURGE_BLOCK)) {
			r->verify.survivor_offset = (int64_t)s->off[i];
			return -EILSEQ;
		}
		for (k = 0; k < PURGE_BLOCK && !s->blk[k]; k++)
			;
		if (k == PURGE_BLOCK)
			r->verify.zero_blocks++;
	}
	r->verify.passed = 1;
	return 0;
}

/* ---- the read-back rule ---- */

unsigned purge_readback_rule(enum purge_method m, unsigned dlfeat, char *basis, size_t len, int *assumed)
{
	unsigned dealloc;

	*assumed = 0;
	switch (m) {
	case PURGE_ATA_SECURE_ERASE:
		snprintf(basis, len, "ata normal security erase writes binary zeroes or ones, the vendor's choice "
			 "(ACS-3 7.45)");
		return PURGE_RB_ZEROS | PURGE_RB_ONES;
	case PURGE_ATA_SANITIZE_OVERWRITE:
	case PURGE_SCSI_SANITIZE_OVERWRITE:
		snprintf(basis, len, "the overwrite action writes the zero pattern we send");
		return PURGE_RB_ZEROS;
	case PURGE_NVME_SANITIZE_CRYPTO:
	case PURGE_NVME_SANITIZE_BLOCK:
	case PURGE_NVME_SANITIZE_OVERWRITE:
		/* NVMe 2.0 Base 8.21: without No-Deallocate After Sanitize the user data ends deallocated */
		switch (dlfeat & 0x7) {
		case 1:
			dealloc = PURGE_RB_ZEROS;
			snprintf(basis, len, "sanitize without no-deallocate leaves deallocated blocks, which read as "
				 "zeros (DLFEAT 001b)");
			break;
		case 2:
			dealloc = PURGE_RB_ONES;
			snprintf(basis, len, "sanitize without no-deallocate leaves deallocated blocks, which read as "
				 "ones (DLFEAT 010b)");
			break;
		default:
			dealloc = PURGE_RB_ZEROS | PURGE_RB_ONES;
			*assumed = 1;
			snprintf(basis, len, "sanitize without no-deallocate leaves deallocated blocks, whose pattern "
				 "the controller does not report (DLFEAT %u%u%ub): zeros or ones accepted",
				 (dlfeat >> 2) & 1, (dlfeat >> 1) & 1, dlfeat & 1);
			break;
		}
		return m == PURGE_NVME_SANITIZE_OVERWRITE ? dealloc | PURGE_RB_ZEROS : dealloc;
	default:
		snprintf(basis, len, "%s leaves content its standard does not define: only readability is "
			 "checked, the sentinels show the old content gone", purge_method_name(m));
		return PURGE_RB_ANY;
	}
}

const char *purge_readback_name(unsigned accept)
{
	if (accept & PURGE_RB_ANY)
		return "readable";
	if ((accept & (PURGE_RB_ZEROS | PURGE_RB_ONES)) == (PURGE_RB_ZEROS | PURGE_RB_ONES))
		return "zeros-or-ones";
	return accept & PURGE_RB_ONES ? "ones" : "zeros";
}

void purge_job_set_readback(struct purge_job *j, purge_readback_fn fn, void *ctx)
{
	j->readback = fn;
	j->readback_ctx = ctx;
}

/* ---- the runner ---- */

static const struct purge_ops *const backends[] = {
	[PURGE_NVME] = &purge_nvme_ops,
	[PURGE_ATA] = &purge_ata_ops,
	[PURGE_SCSI] = &purge_scsi_ops,
};

void purge_job_set_ops(struct purge_job *j, const struct purge_ops *ops)
{
	j->ops = ops;
}

static const struct purge_ops *job_ops(const struct purge_job *j)
{
	return j->ops ? j->ops : backends[purge_method_transport(j->p.method)];
}

/* The backend's identify, then: the device on this descriptor is the one sysfs and the caller named. */
static int device_identity(struct purge_job *j, int fd, const struct blkdev_info *d, struct purge_caps *caps)
{
	int rc;

	memset(caps, 0, sizeof(*caps));
	rc = job_ops(j)->identify(j, fd, caps);
	if (rc)
		return rc;
	snprintf(j->r.transport, sizeof(j->r.transport), "%s", caps->transport);
	snprintf(j->r.model, sizeof(j->r.model), "%s", caps->model);
	snprintf(j->r.serial, sizeof(j->r.serial), "%s", caps->serial);
	snprintf(j->r.firmware, sizeof(j->r.firmware), "%s", caps->firmware);
	if (d->serial[0] && strcmp(d->serial, caps->serial))
		return purge_fail(j, -EPERM, "changed", "cannot purge %s: the device reports serial '%s', sysfs '%s'",
				  j->p.device, caps->serial, d->serial);
	if (j->p.expected_identity[0] && strcmp(j->p.expected_identity, caps->serial) &&
	    !(caps->wwn[0] && !strcmp(j->p.expected_identity, caps->wwn)) &&
	    !(caps->serial[0] == 0 && blkdev_identity_matches(d, j->p.expected_identity)))
		return purge_fail(j, -EPERM, "identity_mismatch", "cannot purge %s: the device reports serial '%s', "
				  "expected '%s'", j->p.device, caps->serial[0] ? caps->serial : "(none)",
				  j->p.expected_identity);
	return 0;
}

/* start, poll until the device says it finished (or the limit passes), confirm */
static int run_command(struct purge_job *j, int fd)
{
	const struct purge_ops *ops = job_ops(j);
	struct purge_result *r = &j->r;
	double estimate = -1, limit, t0, fraction;
	int rc;

	rc = ops->start(j, fd, &estimate);
	if (rc)
		return rc;
	t0 = j->t_cmd > 0 ? j->t_cmd : xmono();
	limit = purge_wait_limit(j, estimate);
	for (;;) {
		fraction = -1;
		rc = ops->poll(j, fd, &fraction);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		purge_report(j, PURGE_RUNNING, "erasing", fraction);
		if (xmono() - t0 > limit)
			return purge_fail(j, -ETIMEDOUT, NULL, "cannot %s %s: still in progress after %.0f s", r->method,
					  j->p.device, limit);
		purge_nap(poll_every(j));
	}
	purge_report(j, PURGE_RUNNING, "confirming", 1);
	return ops->confirm(j, fd);
}

int purge_job_run_fd(struct purge_job *j, int fd, const struct blkdev_info *d)
{
	struct purge_result *r = &j->r;
	const struct purge_ops *ops = job_ops(j);
	struct purge_caps caps;
	struct sentinels s;
	uint8_t nonce[16];
	int rc;

	memset(&s, 0, sizeof(s));
	j->dev = d;
	if (!j->env.mountinfo && !j->env.sys)
		blkdev_env_default(&j->env);
	rc = device_identity(j, fd, d, &caps);
	if (rc)
		goto out;
	/* what else the command reaches is an interlock: checked before what the device can do */
	if (ops->check) {
		rc = ops->check(j, fd);
		if (rc)
			goto out;
	}
	rc = purge_caps_check(j->p.method, &caps, r->refusal, r->error, sizeof(r->error));
	if (rc) {
		r->state = PURGE_FAILED;
		r->err = -rc;
		goto out;
	}
	if (j->p.precheck) {
		if (posix_memalign((void **)&s.blk, PURGE_BLOCK, 2 * PURGE_BLOCK)) {
			rc = purge_fail(j, -ENOMEM, NULL, "cannot purge %s: out of memory", j->p.device);
			goto out;
		}
		purge_report(j, PURGE_RUNNING, "sentinels", -1);
		if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce) ||
		    sentinels_plan(&s, d->size) < 0) {
			rc = purge_fail(j, -EIO, NULL, "cannot plan the sentinels of %s", j->p.device);
			goto out;
		}
		rc = sentinels_write(fd, &s, nonce);
		if (rc) {
			rc = purge_fail(j, rc, NULL, "cannot write the sentinels to %s: %s", j->p.device, strerror(-rc));
			goto out;
		}
	}
	r->readback_accept = purge_readback_rule(j->p.method, j->ns.dlfeat, r->readback_basis,
						 sizeof(r->readback_basis), &r->readback_assumed);
	rc = run_command(j, fd);
	if (rc)
		goto out;
	if (j->p.precheck) {
		purge_report(j, PURGE_VERIFYING, "verifying", 1);
		rc = sentinels_check(fd, &s, nonce, r);
		if (rc == -EILSEQ) {
			rc = purge_fail(j, rc, NULL, "cannot certify %s on %s: a sentinel survived at offset %lld",
					r->method, j->p.device, (long long)r->verify.survivor_offset);
			goto out;
		}
		if (rc) {
			rc = purge_fail(j, rc, NULL, "cannot read back %s after %s: %s", j->p.device, r->method,
					strerror(-rc));
			goto out;
		}
	}
	if (j->readback) {
		purge_report(j, PURGE_VERIFYING, "readback", 0);
		rc = j->readback(j->readback_ctx, fd, r);
		if (rc) {
			rc = purge_fail(j, rc, NULL, "the read-back of %s after %s failed: %s", j->p.device, r->method,
					strerror(-rc));
			goto out;
		}
	}
	r->state = PURGE_COMPLETED;
	rc = 0;
out:
	free(s.blk);
	while (j->nheld)
		xclose(j->held[--j->nheld]);
	j->dev = NULL;
	return rc;
}

int purge_job_run(struct purge_job *j, purge_progress_fn progress, void *ctx)
{
	struct purge_result *r = &j->r;
	struct blkdev_env env;
	struct blkdev_info *d = NULL;
	struct interlock_result ir;
	char msg[512];
	double t_start = xmono();
	int fd = -1, rc;

	j->progress = progress;
	j->ctx = ctx;
	r->state = PURGE_RUNNING;
	xtime_rfc3339(r->started_at);
	purge_report(j, PURGE_RUNNING, "checking", -1);

	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = purge_fail(j, -ENOMEM, NULL, "cannot purge %s: out of memory", j->p.device);
		goto out;
	}
	blkdev_env_default(&env);
	env.state_dir = j->p.state_dir[0] ? j->p.state_dir : NULL;
	j->env = env;
	rc = blkdev_probe_path(&env, j->p.device, d);
	if (rc) {
		rc = purge_fail(j, rc, rc == -ENOTBLK ? "not_block_device" : NULL, "cannot purge %s: %s", j->p.device,
				rc == -ENOTBLK ? "not a block device" : strerror(-rc));
		goto out;
	}
	snprintf(r->identity, sizeof(r->identity), "%s", d->identity);
	rc = purge_name_check(j->p.method, d->name, d->transport, msg, sizeof(msg));
	if (rc) {
		rc = purge_fail(j, rc, "unsupported_device", "%s", msg);
		goto out;
	}
	rc = interlock_check(d, j->p.expected_identity[0] ? j->p.expected_identity : NULL, &ir);
	if (rc) {
		rc = purge_fail(j, rc, interlock_reason_name(ir.reason), "%s", ir.message);
		goto out;
	}
	rc = interlock_open(d, 1, &fd, &ir);
	if (rc) {
		rc = purge_fail(j, rc, ir.reason ? interlock_reason_name(ir.reason) : NULL, "%s",
				ir.message[0] ? ir.message : strerror(-rc));
		goto out;
	}
	rc = purge_job_run_fd(j, fd, d);
out:
	if (fd >= 0)
		xclose(fd);
	free(d);
	r->seconds = xmono() - t_start;
	xtime_rfc3339(r->finished_at);
	return rc;
}

/* ---- read-only probe ---- */

int purge_probe(const char *path, struct purge_caps *caps)
{
	struct blkdev_env env;
	struct blkdev_info *d;
	struct purge_job *j = NULL;
	enum purge_method m;
	char msg[256];
	int fd = -1, rc;

	memset(caps, 0, sizeof(*caps));
	d = calloc(1, sizeof(*d));
	j = calloc(1, sizeof(*j));
	if (!d || !j) {
		rc = -ENOMEM;
		goto out;
	}
	blkdev_env_default(&env);
	rc = blkdev_probe_path(&env, path, d);
	if (rc)
		goto out;
	if (purge_name_check(PURGE_NVME_FORMAT_USER, d->name, d->transport, msg, sizeof(msg)) == 0)
		m = PURGE_NVME_FORMAT_USER;
	else if (purge_name_check(PURGE_ATA_SECURE_ERASE, d->name, d->transport, msg, sizeof(msg)) == 0)
		m = PURGE_ATA_SECURE_ERASE;
	else if (purge_name_check(PURGE_SCSI_SANITIZE_BLOCK, d->name, d->transport, msg, sizeof(msg)) == 0)
		m = PURGE_SCSI_SANITIZE_BLOCK;
	else {
		rc = -ENOTSUP;
		goto out;
	}
	rc = xopen(d->path, O_RDONLY | O_NONBLOCK, 0, &fd);
	if (rc)
		goto out;
	j->p.method = m;
	snprintf(j->p.device, sizeof(j->p.device), "%s", d->path);
	rc = device_identity(j, fd, d, caps);
	/* a SATA disk without pass-through is still a SCSI disk */
	if (rc == -EOPNOTSUPP && m == PURGE_ATA_SECURE_ERASE) {
		memset(&j->r, 0, sizeof(j->r));
		j->p.method = PURGE_SCSI_SANITIZE_BLOCK;
		rc = device_identity(j, fd, d, caps);
	}
out:
	if (fd >= 0)
		xclose(fd);
	free(j);
	free(d);
	return rc;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *purge_caps_to_json(const struct purge_caps *c)
{
	json_t *o = json_object(), *m = json_array();
	int bad = !o || !m;

	for (int i = 0; !bad && i < PURGE_METHOD_COUNT; i++)
		if (c->methods & (1u << i))
			bad |= json_array_append_new(m, json_string(method_names[i]));
	if (bad) {
		json_decref(o);
		json_decref(m);
		return NULL;
	}
	bad |= json_object_set_new(o, "transport", json_string(c->transport));
	bad |= json_object_set_new(o, "model", str_or_null(c->model));
	bad |= json_object_set_new(o, "serial", str_or_null(c->serial));
	bad |= json_object_set_new(o, "firmware", str_or_null(c->firmware));
	bad |= json_object_set_new(o, "wwn", str_or_null(c->wwn));
	bad |= json_object_set_new(o, "methods", m);
	bad |= json_object_set_new(o, "support_unknown", json_boolean(c->unknown));
	if (!strcmp(c->transport, "nvme")) {
		bad |= json_object_set_new(o, "oacs", json_integer(c->oacs));
		bad |= json_object_set_new(o, "sanicap", json_integer(c->sanicap));
		bad |= json_object_set_new(o, "fna", json_integer(c->fna));
	}
	if (!strcmp(c->transport, "ata")) {
		json_t *sec = json_object(), *hid = json_object();
		bad |= !sec || !hid;
		bad |= json_object_set_new(o, "security", sec ? sec : json_null());
		bad |= json_object_set_new(o, "hidden", hid ? hid : json_null());
		if (!bad) {
			bad |= json_object_set_new(sec, "supported", json_boolean(c->sec_supported));
			bad |= json_object_set_new(sec, "enabled", json_boolean(c->sec_enabled));
			bad |= json_object_set_new(sec, "locked", json_boolean(c->sec_locked));
			bad |= json_object_set_new(sec, "frozen", json_boolean(c->sec_frozen));
			bad |= json_object_set_new(sec, "erase_minutes", json_integer(c->erase_minutes));
			bad |= json_object_set_new(sec, "enhanced_erase_minutes", json_integer(c->enhanced_erase_minutes));
			bad |= json_object_set_new(o, "sanitize_frozen", json_boolean(c->sanitize_frozen));
			bad |= json_object_set_new(hid, "known", json_boolean(c->hidden_known));
			bad |= json_object_set_new(hid, "undetermined", str_or_null(c->hidden_why));
			bad |= json_object_set_new(o, "sanitize_unknown", str_or_null(c->sanitize_unknown));
			bad |= json_object_set_new(hid, "sectors", json_integer((json_int_t)c->sectors));
			bad |= json_object_set_new(hid, "native_sectors", json_integer((json_int_t)c->native_sectors));
			bad |= json_object_set_new(hid, "hpa_hidden", json_integer((json_int_t)c->hpa_hidden));
			bad |= json_object_set_new(hid, "dco_hidden", json_integer((json_int_t)c->dco_hidden));
		}
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *purge_result_to_json(const struct purge_result *r)
{
	json_t *o = json_object(), *v = json_object();
	int bad = !o || !v;

	if (bad) {
		json_decref(o);
		json_decref(v);
		return NULL;
	}
	bad |= json_object_set_new(o, "state", json_string(purge_state_name(r->state)));
	bad |= json_object_set_new(o, "device", json_string(r->device));
	bad |= json_object_set_new(o, "method", json_string(r->method));
	bad |= json_object_set_new(o, "identity", str_or_null(r->identity));
	bad |= json_object_set_new(o, "refusal", str_or_null(r->refusal));
	bad |= json_object_set_new(o, "error", str_or_null(r->error));
	bad |= json_object_set_new(o, "errno", json_integer(r->err));
	bad |= json_object_set_new(o, "transport", str_or_null(r->transport));
	bad |= json_object_set_new(o, "model", str_or_null(r->model));
	bad |= json_object_set_new(o, "serial", str_or_null(r->serial));
	bad |= json_object_set_new(o, "firmware", str_or_null(r->firmware));
	bad |= json_object_set_new(o, "command", str_or_null(r->command));
	bad |= json_object_set_new(o, "command_sent", json_boolean(r->command_sent));
	bad |= json_object_set_new(o, "device_status", str_or_null(r->device_status));
	bad |= json_object_set_new(o, "confirmed", json_boolean(r->confirmed));
	bad |= json_object_set_new(o, "confirmation", str_or_null(r->confirmation));
	bad |= json_object_set_new(o, "ata_password_file", str_or_null(r->ata_password_file));
	bad |= json_object_set_new(o, "readback_rule", r->readback_accept ?
				   json_pack("{s:s, s:s, s:b}", "accepts", purge_readback_name(r->readback_accept),
					     "basis", r->readback_basis, "assumed", r->readback_assumed) : json_null());
	bad |= json_object_set_new(o, "hidden_undetermined", str_or_null(r->hidden_undetermined));
	bad |= json_object_set_new(o, "hpa_hidden_sectors", json_integer((json_int_t)r->hpa_hidden));
	bad |= json_object_set_new(o, "dco_hidden_sectors", json_integer((json_int_t)r->dco_hidden));
	bad |= json_object_set_new(v, "performed", json_boolean(r->verify.performed));
	bad |= json_object_set_new(v, "passed", json_boolean(r->verify.passed));
	bad |= json_object_set_new(v, "sentinels", json_integer(r->verify.sentinels));
	bad |= json_object_set_new(v, "zero_blocks", json_integer(r->verify.zero_blocks));
	bad |= json_object_set_new(v, "survivor_offset", r->verify.survivor_offset < 0 ? json_null() :
				   json_integer(r->verify.survivor_offset));
	bad |= json_object_set_new(o, "verify", v);
	bad |= json_object_set_new(o, "seconds", json_real(r->seconds));
	bad |= json_object_set_new(o, "started_at", str_or_null(r->started_at));
	bad |= json_object_set_new(o, "finished_at", str_or_null(r->finished_at));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
