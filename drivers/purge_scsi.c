/*
 * purge_scsi — the SCSI backend of the purge runner (purge_int.h):
 * SANITIZE (SBC-4 5.30) with IMMED set, polled with REQUEST SENSE and its
 * progress indication (SBC-4 4.11.4, SPC-4 4.5.2.4.2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/purge_int.h"
#include "util/xio.h"

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

enum purge_scsi_state purge_scsi_sense_state(const struct scsi_sense *s)
{
	switch (s->key) {
	case SCSI_KEY_NOT_READY:
		/* SBC-4 4.11.4: while it runs, NOT READY, 04h/1Bh, with the progress indication */
		return s->asc == 0x04 && s->ascq == 0x1b ? PURGE_SCSI_RUNNING : PURGE_SCSI_OTHER;
	case SCSI_KEY_UNIT_ATTENTION:
		return PURGE_SCSI_ATTENTION;
	case SCSI_KEY_MEDIUM_ERROR:
		return s->asc == 0x31 && s->ascq == 0x03 ? PURGE_SCSI_FAILED : PURGE_SCSI_OTHER;
	case SCSI_KEY_NO_SENSE:
	case SCSI_KEY_RECOVERED:
		return PURGE_SCSI_IDLE;
	}
	return PURGE_SCSI_OTHER;
}

static int run_cdb(struct purge_job *j, int fd, const uint8_t *cdb, size_t cdb_len, void *buf, size_t len,
		   struct sgio_reply *rep)
{
	enum sgio_dir dir = len ? SGIO_FROM_DEV : SGIO_NONE;

	if (j->sgio)
		return j->sgio(j, fd, cdb, cdb_len, dir, buf, len, 10000, rep);
	return sgio_run(fd, cdb, cdb_len, dir, buf, len, 10000, rep);
}

/* REQUEST SENSE (SPC-4 6.29): the sense comes back as data */
static int request_sense(struct purge_job *j, int fd, struct scsi_sense *s)
{
	uint8_t cdb[6], buf[SGIO_SENSE_MAX];
	struct sgio_reply rep;
	int rc;

	memset(buf, 0, sizeof(buf));
	memset(&rep, 0, sizeof(rep));
	scsi_request_sense_cdb(cdb, 0, sizeof(buf));
	rc = run_cdb(j, fd, cdb, sizeof(cdb), buf, sizeof(buf), &rep);
	if (!rc)
		rc = scsi_status(&rep, NULL);
	if (rc)
		return rc;
	return scsi_parse_sense(buf, sizeof(buf) - (size_t)(rep.resid > 0 ? rep.resid : 0), s);
}

/* TEST UNIT READY (SPC-4 6.47): 0 GOOD, else -EIO with the sense in *s */
static int test_unit_ready(struct purge_job *j, int fd, struct scsi_sense *s)
{
	static const uint8_t cdb[6] = { 0 };
	struct sgio_reply rep;
	int rc;

	memset(&rep, 0, sizeof(rep));
	memset(s, 0, sizeof(*s));
	rc = run_cdb(j, fd, cdb, sizeof(cdb), NULL, 0, &rep);
	return rc ? rc : scsi_status(&rep, s);
}

#define ATTENTIONS_MAX 64	/* a device that only ever reports attentions is not finishing */

static int poll_state(struct purge_job *j, enum purge_scsi_state st, const char *what)
{
	char words[160];

	scsi_sense_str(&j->sense, words, sizeof(words));
	switch (st) {
	case PURGE_SCSI_RUNNING:
		return 1;
	case PURGE_SCSI_ATTENTION:
		/* SAM-5 5.14: reported once and cleared; a reset does not stop a sanitize (SBC-4 4.11.4) */
		if (++j->scsi_attentions > ATTENTIONS_MAX)
			return purge_fail(j, -EPROTO, NULL, "cannot confirm %s on %s: %u unit attentions in a row",
					  j->r.method, j->p.device, j->scsi_attentions);
		return 1;
	case PURGE_SCSI_FAILED:
		snprintf(j->r.device_status, sizeof(j->r.device_status), "%s", words);
		return purge_fail(j, -EIO, NULL, "cannot %s %s: the device reports the sanitize failed: %s", j->r.method,
				  j->p.device, words);
	case PURGE_SCSI_IDLE:
	case PURGE_SCSI_OTHER:
		break;
	}
	return purge_fail(j, -EIO, NULL, "cannot confirm %s on %s: %s says %s", j->r.method, j->p.device, what, words);
}

static int scsi_poll(struct purge_job *j, int fd, double *fraction)
{
	struct scsi_sense *s = &j->sense;
	enum purge_scsi_state st;
	int rc;

	rc = request_sense(j, fd, s);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot poll the sanitize progress of %s: %s", j->p.device,
				  strerror(-rc));
	st = purge_scsi_sense_state(s);
	if (st == PURGE_SCSI_RUNNING)
		*fraction = s->has_progress ? s->progress : -1;
	if (st != PURGE_SCSI_IDLE)
		return poll_state(j, st, "request sense");
	/*
	 * Nothing pending: confirm with a medium access check.  SBC-4 4.11.4: a
	 * failed sanitize makes every medium access fail with MEDIUM ERROR,
	 * 31h/03h; a finished one lets TEST UNIT READY return GOOD.
	 */
	rc = test_unit_ready(j, fd, s);
	if (rc == 0) {
		j->scsi_ready = 1;
		return 0;
	}
	if (rc != -EIO)
		return purge_fail(j, rc, NULL, "cannot confirm %s on %s: test unit ready: %s", j->r.method,
				  j->p.device, strerror(-rc));
	st = purge_scsi_sense_state(s);
	if (st == PURGE_SCSI_IDLE)	/* CHECK CONDITION without a sense key: not GOOD */
		st = PURGE_SCSI_OTHER;
	return poll_state(j, st, "test unit ready");
}

static int scsi_confirm(struct purge_job *j, int fd)
{
	struct purge_result *r = &j->r;

	(void)fd;
	if (!j->scsi_ready)
		return purge_fail(j, -EPROTO, NULL, "cannot confirm %s on %s: test unit ready never returned good",
				  r->method, j->p.device);
	r->confirmed = 1;
	snprintf(r->confirmation, sizeof(r->confirmation),
		 "request sense: no sanitize in progress; test unit ready: good (%u unit attention%s on the way)",
		 j->scsi_attentions, j->scsi_attentions == 1 ? "" : "s");
	return 0;
}

const struct purge_ops purge_scsi_ops = {
	.identify = scsi_identify_caps,
	.start = scsi_start,
	.poll = scsi_poll,
	.confirm = scsi_confirm,
};
