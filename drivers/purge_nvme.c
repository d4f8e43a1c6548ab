/*
 * purge_nvme — the NVMe backend of the purge runner (purge_int.h):
 * Sanitize (NVMe 2.0 Base 5.24) and Format NVM (5.23) through the
 * namespace's block device, confirmed from the Sanitize Status log
 * (5.16.1.25) or a re-read of Identify Namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/interlock.h"
#include "drivers/purge_int.h"
#include "util/xio.h"

/* ---- the NVM subsystem, from sysfs ---- */

enum { NAME_OTHER, NAME_CTRL, NAME_NS, NAME_PATH };

static const char *digits(const char *s)
{
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	return s;
}

/* nvmeM a controller, nvmeMnK a namespace (or multipath head), nvmeXcYnZ a path */
static int name_kind(const char *n)
{
	const char *s;

	if (strncmp(n, "nvme", 4) || !(s = digits(n + 4)))
		return NAME_OTHER;
	if (!*s)
		return NAME_CTRL;
	if (*s == 'n')
		return (s = digits(s + 1)) && !*s ? NAME_NS : NAME_OTHER;
	if (*s == 'c' && (s = digits(s + 1)) && *s == 'n')
		return (s = digits(s + 1)) && !*s ? NAME_PATH : NAME_OTHER;
	return NAME_OTHER;
}

static int add_name(char (*out)[BLKDEV_NAME_MAX], unsigned max, unsigned *n, const char *name)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(out[i], name))
			return 0;
	size_t len = strlen(name);

	if (*n >= max || len >= BLKDEV_NAME_MAX)
		return -E2BIG;
	memcpy(out[*n], name, len + 1);
	(*n)++;
	return 0;
}

/* the namespaces in dir (a subsystem or a controller directory); controllers recursed into once */
static int scan_dir(const char *dir, int depth, char (*out)[BLKDEV_NAME_MAX], unsigned max, unsigned *n)
{
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return -errno;
	while (!rc && (e = readdir(d))) {
		int k = name_kind(e->d_name);

		if (k == NAME_NS)
			rc = add_name(out, max, n, e->d_name);
		else if (k == NAME_CTRL && depth == 0) {
			if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub))
				continue;
			rc = scan_dir(sub, 1, out, max, n);
			if (rc == -ENOENT || rc == -ENOTDIR)
				rc = 0;
		}
	}
	closedir(d);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int purge_nvme_subsystem(const char *sys, const char *name, char (*out)[BLKDEV_NAME_MAX], unsigned max,
			 unsigned *n, char subsys[BLKDEV_NAME_MAX])
{
	char dir[PATH_MAX], sdir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = -ENOENT;

	*n = 0;
	subsys[0] = 0;
	snprintf(dir, sizeof(dir), "%s/class/nvme-subsystem", sys ? sys : "/sys");
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= BLKDEV_NAME_MAX ||
		    snprintf(sdir, sizeof(sdir), "%s/%s", dir, e->d_name) >= (int)sizeof(sdir))
			continue;
		*n = 0;
		rc = scan_dir(sdir, 0, out, max, n);
		if (rc)
			break;
		rc = -ENOENT;
		for (unsigned i = 0; i < *n; i++)
			if (!strcmp(out[i], name))
				rc = 0;
		if (!rc) {
			memcpy(subsys, e->d_name, strlen(e->d_name) + 1);
			break;
		}
	}
	closedir(d);
	if (rc) {
		*n = 0;
		return rc;
	}
	qsort(out, *n, sizeof(out[0]), cmp_name);
	return 0;
}

int purge_nvme_subsystem_check(const struct blkdev_env *env, const char *name, const char *what,
			       char (*out)[BLKDEV_NAME_MAX], unsigned max, unsigned *n, char refusal[24],
			       char *msg, size_t len)
{
	char (*names)[BLKDEV_NAME_MAX] = calloc(PURGE_HELD_MAX, BLKDEV_NAME_MAX);
	struct blkdev_info *d = calloc(1, sizeof(*d));
	struct interlock_result ir;
	char subsys[BLKDEV_NAME_MAX];
	unsigned cnt = 0;
	int rc;

	refusal[0] = 0;
	if (n)
		*n = 0;
	if (!names || !d) {
		rc = -ENOMEM;
		snprintf(msg, len, "cannot %s /dev/%s: out of memory", what, name);
		goto out;
	}
	rc = purge_nvme_subsystem(env->sys, name, names, PURGE_HELD_MAX, &cnt, subsys);
	if (rc) {
		snprintf(refusal, 24, "subsystem_unknown");
		snprintf(msg, len, "cannot %s /dev/%s: the command acts on the whole nvm subsystem and its "
			 "namespaces cannot be listed from sysfs: %s", what, name,
			 rc == -ENOENT ? "no nvme-subsystem lists the namespace" :
			 rc == -E2BIG ? "more namespaces than can be checked" : strerror(-rc));
		rc = -EPERM;
		goto out;
	}
	for (unsigned i = 0; i < cnt; i++) {
		if (!strcmp(names[i], name))
			continue;
		if (out && n && *n < max)
			snprintf(out[(*n)++], BLKDEV_NAME_MAX, "%s", names[i]);
		rc = blkdev_probe_name(env, names[i], d);
		if (rc) {
			snprintf(refusal, 24, "subsystem_unknown");
			snprintf(msg, len, "cannot %s /dev/%s: the command acts on the whole nvm subsystem %s and "
				 "namespace %s cannot be probed: %s", what, name, subsys, names[i], strerror(-rc));
			rc = -EPERM;
			goto out;
		}
		rc = interlock_check(d, NULL, &ir);
		if (rc) {
			snprintf(refusal, 24, "%s", interlock_reason_name(ir.reason));
			const char *why = strstr(ir.message, ": ");

			snprintf(msg, len, "cannot %s /dev/%s: the command acts on the whole nvm subsystem %s, "
				 "and its namespace %s is in use: %s", what, name, subsys, names[i],
				 why ? why + 2 : ir.message);
			rc = -EPERM;
			goto out;
		}
	}
	rc = 0;
out:
	free(names);
	free(d);
	return rc;
}

static int is_format(enum purge_method m)
{
	return m == PURGE_NVME_FORMAT_CRYPTO || m == PURGE_NVME_FORMAT_USER;
}

static enum nvme_sanact sanact(enum purge_method m)
{
	return m == PURGE_NVME_SANITIZE_CRYPTO ? NVME_SANACT_CRYPTO :
	       m == PURGE_NVME_SANITIZE_BLOCK ? NVME_SANACT_BLOCK : NVME_SANACT_OVERWRITE;
}

static int nvme_identify(struct purge_job *j, int fd, struct purge_caps *caps)
{
	uint16_t status = 0;
	int rc;

	rc = nvme_nsid(fd, &j->nsid);
	if (!rc)
		rc = nvme_identify_ctrl(fd, &j->ctrl, &status);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot identify %s: %s", j->p.device,
				  rc == -EIO ? nvme_status_str(status) : strerror(-rc));
	purge_caps_from_nvme(&j->ctrl, caps);
	return 0;
}

/*
 * The namespaces other than ours that the command will erase must pass the
 * interlocks too, and stay ours (O_EXCL) until the job ends: Sanitize
 * always (NVMe 2.0 Base 8.21: "all ... namespaces in the NVM subsystem"),
 * Format NVM when FNA bit 0 (format) or bit 1 (secure erase) says it
 * reaches every namespace (5.17.2.1 Figure 275).
 */
static int hold_subsystem(struct purge_job *j, int fd)
{
	char (*names)[BLKDEV_NAME_MAX] = calloc(PURGE_HELD_MAX, BLKDEV_NAME_MAX);
	struct blkdev_info *d = calloc(1, sizeof(*d));
	struct interlock_result ir;
	char msg[640], refusal[24];
	unsigned n = 0;
	int rc;

	if (!names || !d) {
		rc = purge_fail(j, -ENOMEM, NULL, "cannot purge %s: out of memory", j->p.device);
		goto out;
	}
	rc = purge_nvme_subsystem_check(&j->env, j->dev->name, j->r.method, names, PURGE_HELD_MAX, &n, refusal,
					msg, sizeof(msg));
	if (rc) {
		rc = purge_fail(j, rc, refusal[0] ? refusal : NULL, "%s", msg);
		goto out;
	}
	/*
	 * A namespace the controller has active but the kernel shows no block
	 * device for (an unsupported format, a hidden one) would be erased
	 * unchecked: the active list (Identify CNS 02h) may not be longer than
	 * what sysfs lists for the subsystem (ours and the n others).
	 */
	{
		uint32_t list[1024] __attribute__((aligned(64)));
		struct nvme_admin_cmd c;
		uint16_t status = 0;
		unsigned active = 0;

		memset(list, 0, sizeof(list));
		nvme_identify_cmd(&c, 2, 0, list);
		rc = nvme_admin(fd, &c, &status);
		if (rc) {
			rc = purge_fail(j, -EPERM, "subsystem_unknown", "cannot %s %s: the active namespace list cannot be "
					"read (%s), so the namespaces the command reaches are not known", j->r.method,
					j->p.device, rc == -EIO ? nvme_status_str(status) : strerror(-rc));
			goto out;
		}
		while (active < 1024 && list[active])
			active++;
		if (active > n + 1) {
			rc = purge_fail(j, -EPERM, "subsystem_unknown", "cannot %s %s: the controller has %u active "
					"namespaces but sysfs shows %u block devices in its subsystem; a namespace "
					"without one cannot be checked", j->r.method, j->p.device, active, n + 1);
			goto out;
		}
	}
	for (unsigned i = 0; i < n && j->nheld < PURGE_HELD_MAX; i++) {
		int hfd = -1;

		ir.message[0] = 0;
		rc = blkdev_probe_name(&j->env, names[i], d);
		if (!rc)
			rc = interlock_open(d, 0, &hfd, &ir);
		if (rc) {
			rc = purge_fail(j, rc == -EBUSY ? -EBUSY : -EPERM, rc == -EBUSY ? "busy" : "subsystem_unknown",
					"cannot %s %s: the command acts on the whole nvm subsystem, and its namespace "
					"%s cannot be held: %s", j->r.method, j->p.device, names[i],
					ir.message[0] ? ir.message : strerror(-rc));
			goto out;
		}
		j->held[j->nheld++] = hfd;
	}
	rc = 0;
out:
	free(names);
	free(d);
	return rc;
}

int purge_nvme_whole_subsystem(enum purge_method m, const struct nvme_ctrl_info *ctrl)
{
	if (m == PURGE_NVME_SANITIZE_CRYPTO || m == PURGE_NVME_SANITIZE_BLOCK || m == PURGE_NVME_SANITIZE_OVERWRITE)
		return 1;
	/* our formats always carry a secure erase (SES 001b/010b): bit 1 matters as much as bit 0 */
	return is_format(m) && (ctrl->fna_all_ns || ctrl->fna_erase_all_ns);
}

static int nvme_check(struct purge_job *j, int fd)
{
	uint16_t status = 0;
	int rc;

	/* FLBAS/DPS for the format, DLFEAT for the read-back rule */
	rc = nvme_identify_ns(fd, j->nsid, &j->ns, &status);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot identify namespace %u of %s: %s", j->nsid, j->p.device,
				  rc == -EIO ? nvme_status_str(status) : strerror(-rc));
	return purge_nvme_whole_subsystem(j->p.method, &j->ctrl) ? hold_subsystem(j, fd) : 0;
}

static int nvme_start(struct purge_job *j, int fd, double *estimate)
{
	struct purge_result *r = &j->r;
	enum purge_method m = j->p.method;
	struct nvme_admin_cmd c;
	uint16_t status = 0;
	int rc;

	*estimate = -1;
	if (is_format(m)) {
		enum nvme_ses ses = m == PURGE_NVME_FORMAT_CRYPTO ? NVME_SES_CRYPTO : NVME_SES_USER;

		nvme_format_cmd_keep(&c, j->nsid, &j->ns, ses);
		snprintf(r->command, sizeof(r->command), "nvme format nvm (0x80) nsid=%u cdw10=0x%08x", j->nsid,
			 c.cdw10);
		if (j->cancel)
			return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
		j->t_cmd = xmono();
		purge_report(j, PURGE_RUNNING, "erasing", -1);
		r->command_sent = 1;
		/* Format NVM completes when the format is done: nothing to poll */
		rc = nvme_format_keep(fd, j->nsid, &j->ns, ses, j->p.max_seconds ? j->p.max_seconds * 1000u : 0,
				      &status);
		if (rc == -EIO) {
			snprintf(r->device_status, sizeof(r->device_status), "%s (status 0x%04x)",
				 nvme_status_str(status), status);
			return purge_fail(j, -EOPNOTSUPP, "device_refused",
					  "cannot %s %s: the controller rejected format nvm: %s", r->method,
					  j->p.device, r->device_status);
		}
		if (rc)
			return purge_fail(j, rc, NULL, "cannot %s %s: format nvm: %s", r->method, j->p.device,
					  strerror(-rc));
		snprintf(r->device_status, sizeof(r->device_status), "success");
		return 0;
	}

	{
		struct nvme_sanitize_opts o;
		enum nvme_sanact act = sanact(m);
		struct nvme_sanitize_status *st = &j->nst_before;

		memset(&o, 0, sizeof(o));
		o.owpass = j->p.overwrite_passes ? j->p.overwrite_passes : 1;
		o.pattern = j->p.overwrite_pattern;
		rc = nvme_sanitize_log(fd, st, &status);
		if (rc)
			return purge_fail(j, rc, NULL, "cannot read the sanitize status log of %s: %s", j->p.device,
					  rc == -EIO ? nvme_status_str(status) : strerror(-rc));
		if (st->state == NVME_SSTAT_IN_PROGRESS)
			return purge_fail(j, -EBUSY, "busy", "cannot %s %s: a sanitize is already in progress",
					  r->method, j->p.device);
		if (act == NVME_SANACT_CRYPTO && st->etce != 0xffffffffu)
			*estimate = st->etce;
		else if (act == NVME_SANACT_BLOCK && st->etbe != 0xffffffffu)
			*estimate = st->etbe;
		else if (act == NVME_SANACT_OVERWRITE && st->eto != 0xffffffffu)
			*estimate = st->eto;
		nvme_sanitize_cmd(&c, act, &o);
		j->nvme_cdw10 = c.cdw10;
		j->nvme_seen_running = 0;
		snprintf(r->command, sizeof(r->command), "nvme sanitize (0x84) cdw10=0x%08x cdw11=0x%08x", c.cdw10,
			 c.cdw11);
		if (j->cancel)
			return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
		j->t_cmd = xmono();
		purge_report(j, PURGE_RUNNING, "command", 0);
		r->command_sent = 1;
		rc = nvme_sanitize(fd, act, &o, &status);
		if (rc == -EIO) {
			snprintf(r->device_status, sizeof(r->device_status), "%s (status 0x%04x)",
				 nvme_status_str(status), status);
			return purge_fail(j, -EOPNOTSUPP, "device_refused",
					  "cannot %s %s: the controller rejected sanitize: %s", r->method, j->p.device,
					  r->device_status);
		}
		if (rc)
			return purge_fail(j, rc, NULL, "cannot %s %s: sanitize: %s", r->method, j->p.device,
					  strerror(-rc));
		snprintf(r->device_status, sizeof(r->device_status), "accepted");
		return 0;
	}
}

static int nvme_poll(struct purge_job *j, int fd, double *fraction)
{
	uint16_t status = 0;
	int rc;

	if (is_format(j->p.method))
		return 0;
	/* NVMe 2.0 Base 8.21: the operation runs in the background; the log page tells */
	rc = nvme_sanitize_log(fd, &j->nst, &status);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot poll the sanitize status of %s: %s", j->p.device,
				  rc == -EIO ? nvme_status_str(status) : strerror(-rc));
	*fraction = j->nst.progress;
	if (j->nst.state == NVME_SSTAT_IN_PROGRESS)
		j->nvme_seen_running = 1;
	return j->nst.state == NVME_SSTAT_IN_PROGRESS;
}

int purge_nvme_log_confirms(const struct nvme_sanitize_status *before, const struct nvme_sanitize_status *after,
			    int seen_running, uint32_t cdw10, char *msg, size_t len)
{
	int changed;

	msg[0] = 0;
	if (after->state == NVME_SSTAT_FAILED) {
		snprintf(msg, len, "the sanitize status log says it failed (SSTAT 0x%04x)", after->sstat);
		return -EIO;
	}
	if (after->state != NVME_SSTAT_COMPLETED && after->state != NVME_SSTAT_COMPLETED_NDA) {
		snprintf(msg, len, "the sanitize status log shows no completed sanitize (SSTAT 0x%04x)", after->sstat);
		return -EPROTO;
	}
	/* 5.16.1.25: SCDW10 is Command Dword 10 of the Sanitize that started the operation */
	if (after->scdw10 != cdw10) {
		snprintf(msg, len, "the sanitize status log describes another sanitize (SCDW10 0x%08x, sent 0x%08x)",
			 after->scdw10, cdw10);
		return -EPROTO;
	}
	changed = after->sstat != before->sstat || after->scdw10 != before->scdw10 ||
		  (after->global_erased && !before->global_erased);
	if (!seen_running && !changed) {
		snprintf(msg, len, "the sanitize status log is what it was before the command (SSTAT 0x%04x, SCDW10 "
			 "0x%08x): it may describe an earlier sanitize", after->sstat, after->scdw10);
		return -EPROTO;
	}
	return 0;
}

static int nvme_confirm(struct purge_job *j, int fd)
{
	struct purge_result *r = &j->r;
	const struct nvme_sanitize_status *st = &j->nst;

	if (is_format(j->p.method)) {
		struct nvme_ns_info after;
		uint16_t status = 0;
		int rc;

		rc = nvme_identify_ns(fd, j->nsid, &after, &status);
		if (rc)
			return purge_fail(j, rc, NULL, "cannot confirm the format of %s: identify namespace: %s",
					  j->p.device, rc == -EIO ? nvme_status_str(status) : strerror(-rc));
		if (after.flbas != j->ns.flbas || after.lba_size != j->ns.lba_size)
			return purge_fail(j, -EPROTO, NULL,
					  "cannot confirm the format of %s: lba format changed from %u to %u",
					  j->p.device, j->ns.flbas, after.flbas);
		r->confirmed = 1;
		snprintf(r->confirmation, sizeof(r->confirmation),
			 "identify namespace re-read: format %u (%u-byte blocks) kept, %llu of %llu blocks in use",
			 after.flbas, after.lba_size, (unsigned long long)after.nuse, (unsigned long long)after.nsze);
		return 0;
	}
	{
		char msg[256];
		int rc = purge_nvme_log_confirms(&j->nst_before, st, j->nvme_seen_running, j->nvme_cdw10, msg,
						 sizeof(msg));

		if (rc)
			return purge_fail(j, rc, NULL, "cannot %s %s: %s", rc == -EIO ? r->method : "confirm",
					  j->p.device, msg);
	}
	r->confirmed = 1;
	snprintf(r->confirmation, sizeof(r->confirmation),
		 "sanitize status log: completed (SSTAT 0x%04x, SCDW10 0x%08x%s; before: SSTAT 0x%04x, SCDW10 "
		 "0x%08x)", st->sstat, st->scdw10, st->global_erased ? ", global data erased" : "",
		 j->nst_before.sstat, j->nst_before.scdw10);
	return 0;
}

const struct purge_ops purge_nvme_ops = {
	.identify = nvme_identify,
	.check = nvme_check,
	.start = nvme_start,
	.poll = nvme_poll,
	.confirm = nvme_confirm,
};
