/*
 * purge_scsi — the SCSI backend of the purge runner (purge_int.h):
 * SANITIZE (SBC-4 5.30) with IMMED set, polled with REQUEST SENSE and its
 * progress indication (SBC-4 4.11.4, SPC-4 4.5.2.4.2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/purge_int.h"
#include "sanitizerd/xio.h"

static enum scsi_sanitize_sa method_sa(enum purge_method m)
{
	return m == PURGE_SCSI_SANITIZE_CRYPTO ? SCSI_SANITIZE_CRYPTO_ERASE :
	       m == PURGE_SCSI_SANITIZE_BLOCK ? SCSI_SANITIZE_BLOCK_ERASE : SCSI_SANITIZE_OVERWRITE;
}

static int scsi_identify_caps(struct purge_job *j, int fd, struct purge_caps *caps)
{
	struct scsi_ident id;
	int sup = 0, rc;

	rc = scsi_identify(fd, &id);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot identify %s: %s", j->p.device, strerror(-rc));
	snprintf(caps->transport, sizeof(caps->transport), "scsi");
	snprintf(caps->model, sizeof(caps->model), "%s %s", id.vendor, id.product);
	snprintf(caps->serial, sizeof(caps->serial), "%s", id.serial);
	snprintf(caps->firmware, sizeof(caps->firmware), "%s", id.revision);
	snprintf(caps->wwn, sizeof(caps->wwn), "%s", id.wwn);
	for (int m = PURGE_SCSI_SANITIZE_CRYPTO; m <= PURGE_SCSI_SANITIZE_OVERWRITE; m++) {
		rc = scsi_sanitize_supported(fd, method_sa((enum purge_method)m), &sup);
		if (rc == -EOPNOTSUPP) {
			caps->unknown = 1;
			break;
		}
		if (rc == 0 && sup)
			caps->methods |= 1u << m;
	}
	return 0;
}

static int scsi_start(struct purge_job *j, int fd, double *estimate)
{
	struct purge_result *r = &j->r;
	enum scsi_sanitize_sa sa = method_sa(j->p.method);
	uint8_t params[8], cdb[10];
	size_t plen = 0;
	int rc;

	*estimate = -1;
	if (sa == SCSI_SANITIZE_OVERWRITE) {
		uint8_t pat[4] = { (uint8_t)(j->p.overwrite_pattern >> 24), (uint8_t)(j->p.overwrite_pattern >> 16),
				   (uint8_t)(j->p.overwrite_pattern >> 8), (uint8_t)j->p.overwrite_pattern };
		rc = scsi_sanitize_overwrite_params(params, sizeof(params),
						    j->p.overwrite_passes ? j->p.overwrite_passes : 1, 0, pat,
						    sizeof(pat), &plen);
		if (rc)
			return purge_fail(j, rc, NULL, "cannot %s: bad overwrite parameters", r->method);
	}
	scsi_sanitize_cdb(cdb, sa, 1, 0, (uint16_t)plen);
	snprintf(r->command, sizeof(r->command), "scsi sanitize (0x48) service action 0x%02x immed cdb[1]=0x%02x",
		 sa, cdb[1]);
	if (j->cancel)
		return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
	j->t_cmd = xmono();
	purge_report(j, PURGE_RUNNING, "command", 0);
	r->command_sent = 1;
	rc = scsi_sanitize(fd, sa, 1, plen ? params : NULL, plen, &j->sense);
	if (rc == -EIO) {
		scsi_sense_str(&j->sense, r->device_status, sizeof(r->device_status));
		return purge_fail(j, -EOPNOTSUPP, "device_refused", "cannot %s %s: the device rejected sanitize: %s",
				  r->method, j->p.device, r->device_status);
	}
	if (rc)
		return purge_fail(j, rc, NULL, "cannot %s %s: sanitize: %s", r->method, j->p.device, strerror(-rc));
	snprintf(r->device_status, sizeof(r->device_status), "accepted");
	return 0;
}

static int scsi_poll(struct purge_job *j, int fd, double *fraction)
{
	struct scsi_sense *s = &j->sense;
	int rc;

	rc = scsi_request_sense(fd, s);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot poll the sanitize progress of %s: %s", j->p.device,
				  strerror(-rc));
	/* SBC-4 4.11.4: while it runs, REQUEST SENSE answers NOT READY, 04h/1Bh, with progress */
	if (!(s->key == SCSI_KEY_NOT_READY && s->asc == 0x04 && s->ascq == 0x1b))
		return 0;
	*fraction = s->has_progress ? s->progress : -1;
	return 1;
}

static int scsi_confirm(struct purge_job *j, int fd)
{
	struct purge_result *r = &j->r;
	char words[160];

	(void)fd;
	scsi_sense_str(&j->sense, words, sizeof(words));
	/* SBC-4 4.11.4: a failed sanitize leaves MEDIUM ERROR, 31h/03h on every medium access */
	if (j->sense.key != SCSI_KEY_NO_SENSE && j->sense.key != SCSI_KEY_UNIT_ATTENTION)
		return purge_fail(j, -EIO, NULL, "cannot confirm %s on %s: request sense says %s", r->method,
				  j->p.device, words);
	r->confirmed = 1;
	snprintf(r->confirmation, sizeof(r->confirmation), "request sense after sanitize: %s", words);
	return 0;
}

const struct purge_ops purge_scsi_ops = {
	.identify = scsi_identify_caps,
	.start = scsi_start,
	.poll = scsi_poll,
	.confirm = scsi_confirm,
};
