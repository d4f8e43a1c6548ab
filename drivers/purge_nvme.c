/*
 * purge_nvme — the NVMe backend of the purge runner (purge_int.h):
 * Sanitize (NVMe 2.0 Base 5.24) and Format NVM (5.23) through the
 * namespace's block device, confirmed from the Sanitize Status log
 * (5.16.1.25) or a re-read of Identify Namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/purge_int.h"
#include "sanitizerd/xio.h"

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

static int nvme_check(struct purge_job *j, int fd)
{
	const struct nvme_ctrl_info *ctrl = &j->ctrl;
	struct nvme_admin_cmd c;
	uint16_t status = 0;
	int rc;

	if (!is_format(j->p.method))
		return 0;
	rc = nvme_identify_ns(fd, j->nsid, &j->ns, &status);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot identify namespace %u of %s: %s", j->nsid, j->p.device,
				  rc == -EIO ? nvme_status_str(status) : strerror(-rc));
	/* FNA bits 0/1: a format (or its erase) would take every namespace with it */
	if ((ctrl->fna_all_ns || ctrl->fna_erase_all_ns) && ctrl->nn > 1) {
		uint32_t list[1024] __attribute__((aligned(64)));
		unsigned active = 0;

		memset(list, 0, sizeof(list));
		nvme_identify_cmd(&c, 2, 0, list);
		rc = nvme_admin(fd, &c, &status);
		if (rc)
			return purge_fail(j, rc, NULL, "cannot list the namespaces of %s: %s", j->p.device,
					  rc == -EIO ? nvme_status_str(status) : strerror(-rc));
		while (active < 1024 && list[active])
			active++;
		if (active > 1)
			return purge_fail(j, -EPERM, "multiple_namespaces",
					  "cannot %s %s: the controller formats all %u namespaces at once (FNA 0x%02x)",
					  j->r.method, j->p.device, active, ctrl->fna);
	}
	return 0;
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

		nvme_format_cmd(&c, j->nsid, j->ns.flbas, ses);
		snprintf(r->command, sizeof(r->command), "nvme format nvm (0x80) nsid=%u cdw10=0x%08x", j->nsid,
			 c.cdw10);
		if (j->cancel)
			return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
		j->t_cmd = xmono();
		purge_report(j, PURGE_RUNNING, "erasing", -1);
		r->command_sent = 1;
		/* Format NVM completes when the format is done: nothing to poll */
		rc = nvme_format(fd, j->nsid, j->ns.flbas, ses, j->p.max_seconds ? j->p.max_seconds * 1000u : 0,
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
	return j->nst.state == NVME_SSTAT_IN_PROGRESS;
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
	if (st->state == NVME_SSTAT_FAILED)
		return purge_fail(j, -EIO, NULL, "cannot %s %s: the sanitize status log says it failed (SSTAT 0x%04x)",
				  r->method, j->p.device, st->sstat);
	if ((st->state != NVME_SSTAT_COMPLETED && st->state != NVME_SSTAT_COMPLETED_NDA) ||
	    (st->scdw10 & 0x7) != (uint32_t)sanact(j->p.method))
		return purge_fail(j, -EPROTO, NULL, "cannot confirm %s on %s: the log shows SSTAT 0x%04x for "
				  "action %u", r->method, j->p.device, st->sstat, st->scdw10 & 0x7);
	r->confirmed = 1;
	snprintf(r->confirmation, sizeof(r->confirmation),
		 "sanitize status log: completed (SSTAT 0x%04x, SCDW10 0x%08x%s)", st->sstat, st->scdw10,
		 st->global_erased ? ", global data erased" : "");
	return 0;
}

const struct purge_ops purge_nvme_ops = {
	.identify = nvme_identify,
	.check = nvme_check,
	.start = nvme_start,
	.poll = nvme_poll,
	.confirm = nvme_confirm,
};
