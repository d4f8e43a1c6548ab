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
#include <sys/stat.h>

#include "drivers/purge_int.h"
#include "util/xio.h"

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

static int exec(struct purge_job *j, int fd, const struct ata_tf *tf, void *data, size_t len, unsigned timeout_ms,
		struct ata_regs *r, char *err, size_t errlen)
{
	if (j->ata_exec)
		return j->ata_exec(j, fd, tf, data, len, timeout_ms, r, err, errlen);
	return ata_exec(fd, tf, data, len, timeout_ms, r, err, errlen);
}

static int identify_again(struct purge_job *j, int fd, struct ata_info *out)
{
	uint8_t buf[512];
	struct ata_tf tf;
	struct ata_regs regs;
	char err[160];
	int rc;

	memset(buf, 0, sizeof(buf));
	ata_identify_tf(&tf);
	rc = exec(j, fd, &tf, buf, sizeof(buf), 10000, &regs, err, sizeof(err));
	return rc ? rc : ata_parse_identify(buf, sizeof(buf), out);
}

int purge_ata_pw_path(const char *state_dir, const char *serial, char *out, size_t len)
{
	char name[64];
	size_t i;

	if (!state_dir || !state_dir[0] || !serial || !serial[0])
		return -EINVAL;
	for (i = 0; serial[i] && i < sizeof(name) - 1; i++) {
		char c = serial[i];

		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' ? c : '_';
	}
	name[i] = 0;
	if (name[0] == '.')
		name[0] = '_';
	if (snprintf(out, len, "%s/ata-passwords/%s", state_dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Keep the password where the technician can find it if the erase is
 * interrupted (power loss, a crash): a 0600 file in the state directory,
 * never in the result, the report, a message or the ledger (issue 10
 * item 6).  Created before SET PASSWORD, removed once the password is off.
 */
static int pw_keep(struct purge_job *j)
{
	char dir[PATH_MAX], buf[512];
	int n, rc;

	rc = purge_ata_pw_path(j->p.state_dir, j->r.serial, j->ata_pw_file, sizeof(j->ata_pw_file));
	if (rc)
		return purge_fail(j, -EPERM, "no_state_dir", "cannot %s %s: a secure erase needs a state directory "
				  "to keep its temporary password for the technician", j->r.method, j->p.device);
	if (snprintf(dir, sizeof(dir), "%s/ata-passwords", j->p.state_dir) >= (int)sizeof(dir) ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		rc = -errno;
		j->ata_pw_file[0] = 0;
		return purge_fail(j, rc ? rc : -ENAMETOOLONG, NULL, "cannot %s %s: cannot create %s: %s", j->r.method,
				  j->p.device, dir, strerror(rc ? -rc : ENAMETOOLONG));
	}
	n = snprintf(buf, sizeof(buf),
		     "# sanitizerd: the temporary ATA user password of a secure erase of %s (serial %s),\n"
		     "# started %s.  If the drive is left locked, unlock it and clear the password:\n"
		     "#   hdparm --user-master u --security-unlock PASSWORD %s\n"
		     "#   hdparm --user-master u --security-disable PASSWORD %s\n"
		     "password=%s\n", j->p.device, j->r.serial, j->r.started_at, j->p.device, j->p.device,
		     j->ata_password);
	rc = n > 0 && n < (int)sizeof(buf) ? xwrite_file_excl(j->ata_pw_file, buf, (size_t)n, 0600) : -EOVERFLOW;
	explicit_bzero(buf, sizeof(buf));
	if (rc == -EEXIST) {
		char file[PATH_MAX];

		snprintf(file, sizeof(file), "%s", j->ata_pw_file);
		j->ata_pw_file[0] = 0;	/* not ours: never removed by this job */
		return purge_fail(j, -EBUSY, "password_pending", "cannot %s %s: %s holds the password of an earlier "
				  "interrupted erase of this drive; unlock the drive with it and remove the file first",
				  j->r.method, j->p.device, file);
	}
	if (rc) {
		j->ata_pw_file[0] = 0;
		return purge_fail(j, rc, NULL, "cannot %s %s: cannot keep the temporary password: %s", j->r.method,
				  j->p.device, strerror(-rc));
	}
	return 0;
}

/* the password is off the drive: forget it, and its file */
static void pw_forget(struct purge_job *j)
{
	if (j->ata_pw_file[0])
		(void)unlink(j->ata_pw_file);
	j->ata_pw_file[0] = 0;
	explicit_bzero(j->ata_password, sizeof(j->ata_password));
}

/*
 * After a failed erase the drive may be locked (ACS-4 4.20.9: a drive with
 * a user password set locks at the next power-on or reset): SECURITY UNLOCK
 * first, then SECURITY DISABLE PASSWORD.  0 when the password is off.
 */
static int pw_undo(struct purge_job *j, int fd)
{
	uint8_t data[512];
	struct ata_tf tf;
	struct ata_regs regs;
	struct ata_info now;
	char err[192];
	int rc;

	ata_security_tf(&tf, ATA_CMD_SEC_UNLOCK);
	ata_security_data(data, j->ata_password, 0);
	(void)exec(j, fd, &tf, data, sizeof(data), 30000, &regs, err, sizeof(err));	/* an unlocked drive may abort it */
	ata_security_tf(&tf, ATA_CMD_SEC_DISABLE_PASS);
	ata_security_data(data, j->ata_password, 0);
	rc = exec(j, fd, &tf, data, sizeof(data), 30000, &regs, err, sizeof(err));
	explicit_bzero(data, sizeof(data));
	if (rc == 0 && identify_again(j, fd, &now) == 0 && !now.sec_enabled)
		return 0;
	return rc ? rc : -EPROTO;
}

static int secure_erase(struct purge_job *j, int fd, double *estimate)
{
	struct purge_result *r = &j->r;
	int enhanced = j->p.method == PURGE_ATA_SECURE_ERASE_ENHANCED;
	unsigned minutes = enhanced ? j->ata.enhanced_erase_minutes : j->ata.erase_minutes;
	unsigned timeout_s = ata_erase_timeout_s(minutes, j->ata.sectors, j->ata.logical_sector_size);
	uint8_t data[512], rnd[8];
	struct ata_info after;
	struct ata_tf tf;
	struct ata_regs regs;
	char err[192];
	int rc;

	/* the command's timeout is never below the drive's estimate: a caller's limit may only lengthen it */
	if (j->p.max_seconds > timeout_s)
		timeout_s = j->p.max_seconds;
	*estimate = timeout_s;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return purge_fail(j, -EIO, NULL, "cannot draw a temporary password");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(j->ata_password + 2 * i, 3, "%02x", rnd[i]);
	explicit_bzero(rnd, sizeof(rnd));
	snprintf(r->command, sizeof(r->command), "ata security set password (0xf1), erase prepare (0xf3), "
		 "erase unit (0xf4)%s, timeout %u s", enhanced ? " enhanced" : "", timeout_s);
	if (j->cancel)
		return purge_fail(j, -ECANCELED, NULL, "cancelled before the command was sent");
	rc = pw_keep(j);
	if (rc)
		return rc;
	j->t_cmd = xmono();
	purge_report(j, PURGE_RUNNING, "command", 0);
	r->command_sent = 1;
	ata_security_tf(&tf, ATA_CMD_SEC_SET_PASS);
	ata_security_data(data, j->ata_password, 0);
	rc = exec(j, fd, &tf, data, sizeof(data), 30000, &regs, err, sizeof(err));
	if (rc) {
		pw_forget(j);	/* not set: nothing to unlock */
		snprintf(r->device_status, sizeof(r->device_status), "%s", err);
		return purge_fail(j, rc == -EIO || rc == -EOPNOTSUPP ? -EOPNOTSUPP : rc, "device_refused",
				  "cannot %s %s: the drive rejected security set password: %s", r->method,
				  j->p.device, err);
	}
	rc = identify_again(j, fd, &after);
	if (rc || !after.sec_enabled) {
		snprintf(err, sizeof(err), "security is not enabled after set password");
		rc = rc ? rc : -EPROTO;
		goto undo;
	}
	ata_security_tf(&tf, ATA_CMD_SEC_ERASE_PREPARE);
	rc = exec(j, fd, &tf, NULL, 0, 30000, &regs, err, sizeof(err));
	if (rc && rc != -ERANGE)
		goto undo;
	ata_security_tf(&tf, ATA_CMD_SEC_ERASE_UNIT);
	ata_security_data(data, j->ata_password, enhanced);
	purge_report(j, PURGE_RUNNING, "erasing", -1);
	/* ACS-4 7.42: the erase runs inside this one command */
	rc = exec(j, fd, &tf, data, sizeof(data), timeout_s * 1000u, &regs, err, sizeof(err));
	explicit_bzero(data, sizeof(data));
	if (rc)
		goto undo;
	snprintf(r->device_status, sizeof(r->device_status), "erase unit completed");
	return 0;
undo:
	explicit_bzero(data, sizeof(data));
	snprintf(r->device_status, sizeof(r->device_status), "%s", err);
	if (pw_undo(j, fd) == 0) {
		pw_forget(j);
		return purge_fail(j, rc == -EOPNOTSUPP ? -EOPNOTSUPP : (rc ? rc : -EIO), "device_refused",
				  "cannot %s %s: the drive rejected the erase: %s (the temporary password was "
				  "removed again)", r->method, j->p.device, r->device_status);
	}
	snprintf(r->ata_password_file, sizeof(r->ata_password_file), "%s", j->ata_pw_file);
	return purge_fail(j, rc == -EOPNOTSUPP ? -EOPNOTSUPP : (rc ? rc : -EIO), "device_refused",
			  "cannot %s %s: the drive rejected the erase: %s; the temporary password is still set: "
			  "it is in %s (mode 0600)", r->method, j->p.device, r->device_status, j->ata_pw_file);
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
	rc = identify_again(j, fd, &after);
	if (rc) {
		snprintf(r->ata_password_file, sizeof(r->ata_password_file), "%s", j->ata_pw_file);
		return purge_fail(j, rc, NULL, "cannot confirm the erase of %s: identify device: %s; the temporary "
				  "password is in %s (mode 0600)", j->p.device, strerror(-rc), j->ata_pw_file);
	}
	if (after.sec_enabled || after.sec_locked) {
		/* ACS-4 7.42.4: a successful erase disables the user password; this one did not */
		if (pw_undo(j, fd) == 0)
			pw_forget(j);
		snprintf(r->ata_password_file, sizeof(r->ata_password_file), "%s", j->ata_pw_file);
		return purge_fail(j, -EPROTO, NULL, "cannot confirm the erase of %s: security is still %s after "
				  "erase unit%s%s%s", j->p.device, after.sec_locked ? "locked" : "enabled",
				  j->ata_pw_file[0] ? "; the temporary password is in " : "",
				  j->ata_pw_file, j->ata_pw_file[0] ? " (mode 0600)" : "");
	}
	pw_forget(j);
	r->confirmed = 1;
	snprintf(r->confirmation, sizeof(r->confirmation),
		 "identify device re-read: security disabled again after erase unit");
	return 0;
}

const struct purge_ops purge_ata_ops = {
	.identify = ata_identify_caps,
	.start = ata_start,
	.poll = ata_poll,
	.confirm = ata_confirm,
};
