/*
 * purge_ata — the ATA backend of the purge runner (purge_int.h), through
 * SAT ATA PASS-THROUGH (ata.h): SANITIZE EXT (ACS-4 7.47) polled with
 * SANITIZE STATUS EXT, and the Security feature set's SECURITY ERASE UNIT
 * (ACS-4 7.42) after SET PASSWORD and ERASE PREPARE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "drivers/purge_int.h"
#include "sanitizerd/xio.h"

static int is_sanitize(enum purge_method m)
{
	return m == PURGE_ATA_SANITIZE_CRYPTO || m == PURGE_ATA_SANITIZE_BLOCK || m == PURGE_ATA_SANITIZE_OVERWRITE;
}

int purge_ata_sanitize_precheck(int rc, const struct ata_sanitize_status *st, int *frozen, char *why, size_t len)
{
	*frozen = 0;
	why[0] = 0;
	if (rc) {
		snprintf(why, len, "sanitize status ext failed (%s), so the frozen state cannot be ruled out",
			 strerror(rc < 0 ? -rc : rc));
		return -1;
	}
	if (st->aborted) {
		/* ACS-4 7.47.9 error outputs: SD3 (a failed sanitize) is not SD1, a new sanitize may run */
		if (st->reason == ATA_SANITIZE_REASON_FAILED)
			return 0;
		if (st->reason == ATA_SANITIZE_REASON_FROZEN) {
			*frozen = 1;
			return 0;
		}
		snprintf(why, len, "sanitize status ext was aborted: %s", ata_sanitize_reason_str(st->reason));
		return -1;
	}
	if (st->flags_unknown || st->fixed) {
		/* SAT-4 12.2.2.7: fixed format has no room for COUNT 15:8 (ACS-4 7.47.9: the state bits) */
		snprintf(why, len, "the translator returns fixed-format sense, which cannot carry COUNT 15:8 of "
			 "sanitize status ext: the frozen state %s and completion could not be confirmed; switch it "
			 "to descriptor-format sense (D_SENSE in the control mode page) and retry",
			 st->flags_unknown ? "is unknown" : "is readable now,");
		return -1;
	}
	*frozen = st->frozen;
	return 0;
}

int purge_ata_sanitize_decide(const struct ata_sanitize_status *st, char *msg, size_t len)
{
	msg[0] = 0;
	if (st->aborted) {
		snprintf(msg, len, "the drive reports the sanitize failed: %s (reason 0x%02x)",
			 ata_sanitize_reason_str(st->reason), st->reason);
		return -EIO;
	}
	if (st->flags_unknown) {
		/* ACS-4 7.47.9: outside SD2 the progress indicator reads FFFFh; below it, still running */
		if (st->progress_raw != 0xffff)
			return 1;
		snprintf(msg, len, "fixed-format sense hides COUNT 15:8 of sanitize status ext: completion cannot "
			 "be told from another state");
		return -EPROTO;
	}
	if (st->in_progress)
		return 1;
	if (st->completed)
		return 0;
	snprintf(msg, len, "sanitize status ext reports neither a sanitize in progress nor one completed without "
		 "error%s", st->frozen ? " (the drive is frozen)" : "");
	return -EPROTO;
}

static int ata_identify_caps(struct purge_job *j, int fd, struct purge_caps *caps)
{
	struct ata_hidden h;
	struct ata_sanitize_status ss;
	char why[192] = "";
	int frozen = 0, rc;

	rc = ata_identify(fd, &j->ata);
	if (rc)
		return purge_fail(j, rc, rc == -EOPNOTSUPP ? "unsupported_device" : NULL,
				  "cannot identify %s as an ata drive: %s", j->p.device,
				  rc == -EOPNOTSUPP ? "no ata pass-through" : strerror(-rc));
	rc = ata_probe_hidden(fd, &j->ata, &h);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot read the native max address of %s: %s", j->p.device,
				  rc == -EINVAL ? "inconsistent maxima" : strerror(-rc));
	if (j->ata.sanitize)
		purge_ata_sanitize_precheck(ata_sanitize_status(fd, &ss), &ss, &frozen, why, sizeof(why));
	purge_caps_from_ata(&j->ata, &h, frozen, caps);
	snprintf(caps->sanitize_unknown, sizeof(caps->sanitize_unknown), "%s", why);
	j->r.hpa_hidden = h.hpa_hidden;
	j->r.dco_hidden = h.dco_hidden;
	if (h.undetermined)
		snprintf(j->r.hidden_undetermined, sizeof(j->r.hidden_undetermined), "%s", h.why);
	return 0;
}

static int secure_erase(struct purge_job *j, int fd, double *estimate)
{
	struct purge_result *r = &j->r;
	int enhanced = j->p.method == PURGE_ATA_SECURE_ERASE_ENHANCED;
	unsigned minutes = enhanced ? j->ata.enhanced_erase_minutes : j->ata.erase_minutes;
	double est = minutes ? minutes * 60.0 : 12 * 3600.0;
	unsigned timeout_ms;
	uint8_t data[512], rnd[8];
	struct ata_info after;
	struct ata_tf tf;
	struct ata_regs regs;
	char err[192];
	int rc;

	*estimate = est;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return purge_fail(j, -EIO, NULL, "cannot draw a temporary password");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(r->ata_password + 2 * i, 3, "%02x", rnd[i]);
	snprintf(r->command, sizeof(r->command), "ata security set password (0xf1), erase prepare (0xf3), "
		 "erase unit (0xf4)%s", enhanced ? " enhanced" : "");
	if (j->cancel)
		return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
	j->t_cmd = xmono();
	purge_report(j, PURGE_RUNNING, "command", 0);
	r->command_sent = 1;
	ata_security_tf(&tf, ATA_CMD_SEC_SET_PASS);
	ata_security_data(data, r->ata_password, 0);
	rc = ata_exec(fd, &tf, data, sizeof(data), 30000, &regs, err, sizeof(err));
	if (rc) {
		r->ata_password[0] = 0;	/* not set: nothing to unlock */
		snprintf(r->device_status, sizeof(r->device_status), "%s", err);
		return purge_fail(j, rc == -EIO || rc == -EOPNOTSUPP ? -EOPNOTSUPP : rc, "device_refused",
				  "cannot %s %s: the drive rejected security set password: %s", r->method,
				  j->p.device, err);
	}
	rc = ata_identify(fd, &after);
	if (rc || !after.sec_enabled)
		return purge_fail(j, rc ? rc : -EPROTO, NULL,
				  "cannot %s %s: security is not enabled after set password", r->method, j->p.device);
	ata_security_tf(&tf, ATA_CMD_SEC_ERASE_PREPARE);
	rc = ata_exec(fd, &tf, NULL, 0, 30000, &regs, err, sizeof(err));
	if (rc && rc != -ERANGE)
		goto undo;
	ata_security_tf(&tf, ATA_CMD_SEC_ERASE_UNIT);
	ata_security_data(data, r->ata_password, enhanced);
	/* the erase runs inside this one command: wait for the drive's estimate and more */
	timeout_ms = (unsigned)(purge_wait_limit(j, est) > 86400 ? 86400000u : purge_wait_limit(j, est) * 1000);
	purge_report(j, PURGE_RUNNING, "erasing", -1);
	rc = ata_exec(fd, &tf, data, sizeof(data), timeout_ms, &regs, err, sizeof(err));
	if (rc)
		goto undo;
	snprintf(r->device_status, sizeof(r->device_status), "erase unit completed");
	return 0;
undo:
	snprintf(r->device_status, sizeof(r->device_status), "%s", err);
	ata_security_tf(&tf, ATA_CMD_SEC_DISABLE_PASS);
	ata_security_data(data, r->ata_password, 0);
	if (ata_exec(fd, &tf, data, sizeof(data), 30000, &regs, err, sizeof(err)) == 0)
		r->ata_password[0] = 0;
	return purge_fail(j, rc == -EOPNOTSUPP ? -EOPNOTSUPP : (rc ? rc : -EIO), "device_refused",
			  "cannot %s %s: the drive rejected the erase: %s%s%s", r->method, j->p.device,
			  r->device_status, r->ata_password[0] ? "; temporary password left set: " : "",
			  r->ata_password);
}

static int ata_start(struct purge_job *j, int fd, double *estimate)
{
	struct purge_result *r = &j->r;
	enum purge_method m = j->p.method;
	struct ata_tf tf;
	struct ata_regs regs;
	char err[192];
	uint16_t feat;
	int rc;

	if (!is_sanitize(m))
		return secure_erase(j, fd, estimate);
	*estimate = -1;
	feat = m == PURGE_ATA_SANITIZE_CRYPTO ? ATA_SANITIZE_CRYPTO :
	       m == PURGE_ATA_SANITIZE_BLOCK ? ATA_SANITIZE_BLOCK : ATA_SANITIZE_OVERWRITE;
	rc = ata_sanitize_tf(&tf, feat, j->p.overwrite_passes ? j->p.overwrite_passes : 1, j->p.overwrite_pattern, 0);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot %s: bad overwrite parameters", r->method);
	snprintf(r->command, sizeof(r->command), "ata sanitize ext (0xb4) feature=0x%04x count=0x%04x lba=0x%012llx",
		 tf.feature, tf.count, (unsigned long long)tf.lba);
	if (j->cancel)
		return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
	j->t_cmd = xmono();
	purge_report(j, PURGE_RUNNING, "command", 0);
	r->command_sent = 1;
	rc = ata_exec(fd, &tf, NULL, 0, 60000, &regs, err, sizeof(err));
	if (rc == -EIO || rc == -EOPNOTSUPP) {
		snprintf(r->device_status, sizeof(r->device_status), "%s", err);
		return purge_fail(j, -EOPNOTSUPP, "device_refused", "cannot %s %s: the drive rejected sanitize: %s",
				  r->method, j->p.device, err);
	}
	if (rc && rc != -ERANGE)
		return purge_fail(j, rc, NULL, "cannot %s %s: %s", r->method, j->p.device, err);
	snprintf(r->device_status, sizeof(r->device_status), "accepted");
	return 0;
}

static int ata_poll(struct purge_job *j, int fd, double *fraction)
{
	char msg[192];
	int rc;

	if (!is_sanitize(j->p.method))
		return 0;	/* SECURITY ERASE UNIT returned when the erase was done */
	rc = ata_sanitize_status(fd, &j->ast);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot poll the sanitize status of %s: %s", j->p.device, strerror(-rc));
	rc = purge_ata_sanitize_decide(&j->ast, msg, sizeof(msg));
	if (rc < 0)
		return purge_fail(j, rc, NULL, "cannot %s %s: %s", j->r.method, j->p.device, msg);
	*fraction = j->ast.progress;
	return rc;
}

static int ata_confirm(struct purge_job *j, int fd)
{
	struct purge_result *r = &j->r;
	struct ata_info after;
	int rc;

	if (is_sanitize(j->p.method)) {
		if (!j->ast.completed)
			return purge_fail(j, -EIO, NULL, "cannot %s %s: sanitize status does not report completion",
					  r->method, j->p.device);
		r->confirmed = 1;
		snprintf(r->confirmation, sizeof(r->confirmation),
			 "sanitize status ext: operation completed without error");
		return 0;
	}
	rc = ata_identify(fd, &after);
	if (rc)
		return purge_fail(j, rc, NULL, "cannot confirm the erase of %s: identify device: %s", j->p.device,
				  strerror(-rc));
	if (after.sec_enabled || after.sec_locked)
		return purge_fail(j, -EPROTO, NULL, "cannot confirm the erase of %s: security is still %s "
				  "(temporary password %s)", j->p.device, after.sec_locked ? "locked" : "enabled",
				  r->ata_password);
	r->confirmed = 1;
	snprintf(r->confirmation, sizeof(r->confirmation),
		 "identify device re-read: security disabled again after erase unit");
	explicit_bzero(r->ata_password, sizeof(r->ata_password));
	return 0;
}

const struct purge_ops purge_ata_ops = {
	.identify = ata_identify_caps,
	.start = ata_start,
	.poll = ata_poll,
	.confirm = ata_confirm,
};
