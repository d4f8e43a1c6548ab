/*
 * purge_ata with a fake drive behind the job's ata_exec seam (purge_int.h):
 * the SECURITY ERASE UNIT sequence, its timeout, what a failed erase sends
 * (UNLOCK before DISABLE PASSWORD), and that the temporary password never
 * appears in the result, its JSON or a message, only in the 0600 file in the
 * state directory while it is set (issue 10 item 6).  No device is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "drivers/purge_int.h"
#include "drivers/sanitize.h"
#include "util/xio.h"
#include "tests/unit/tap.h"

static void setw(uint8_t *b, unsigned i, uint16_t v) { b[2 * i] = (uint8_t)v; b[2 * i + 1] = (uint8_t)(v >> 8); }

static void setstr(uint8_t *b, unsigned first, unsigned nwords, const char *s)
{
	char tmp[64];

	memset(tmp, ' ', sizeof(tmp));
	memcpy(tmp, s, strlen(s));
	for (unsigned k = 0; k < nwords; k++)
		setw(b, first + k, (uint16_t)((uint8_t)tmp[2 * k] << 8 | (uint8_t)tmp[2 * k + 1]));
}

/* the fake drive: the security state a real one keeps, and what it was sent */
struct fake {
	int enabled, locked;
	char pw[33];			/* the password SET PASSWORD carried */
	uint8_t cmds[32];
	unsigned ncmds;
	unsigned erase_timeout_ms;
	int fail_erase, fail_disable, fail_confirm;
	int file_during_erase;		/* the password file existed, mode 0600, while ERASE UNIT ran */
	const char *pw_file;
};

static void identify_data(const struct fake *f, uint8_t *b)
{
	memset(b, 0, 512);
	setw(b, 0, 0x0040);
	setstr(b, 10, 10, "FAKE0001");
	setstr(b, 27, 20, "FAKE ATA");
	setw(b, 83, 0x4400);
	setw(b, 89, 30);		/* the drive's own estimate: 60 minutes */
	setw(b, 100, 0x4240);		/* 1,000,000 sectors */
	setw(b, 101, 0x000f);
	setw(b, 128, (uint16_t)(0x0001 | (f->enabled ? 0x0002 : 0) | (f->locked ? 0x0004 : 0)));
}

static int fake_exec(struct purge_job *j, int fd, const struct ata_tf *tf, void *data, size_t len,
		     unsigned timeout_ms, struct ata_regs *r, char *err, size_t errlen)
{
	struct fake *f = j->priv;
	const uint8_t *d = data;
	struct stat st;

	(void)fd;
	(void)len;
	memset(r, 0, sizeof(*r));
	err[0] = 0;
	if (f->ncmds < sizeof(f->cmds))
		f->cmds[f->ncmds++] = tf->command;
	switch (tf->command) {
	case ATA_CMD_IDENTIFY:
		identify_data(f, data);
		return 0;
	case ATA_CMD_SEC_SET_PASS:
		memcpy(f->pw, d + 2, 32);
		f->pw[32] = 0;
		f->enabled = 1;
		return 0;
	case ATA_CMD_SEC_ERASE_PREPARE:
		return 0;
	case ATA_CMD_SEC_ERASE_UNIT:
		f->erase_timeout_ms = timeout_ms;
		f->file_during_erase = f->pw_file && stat(f->pw_file, &st) == 0 && (st.st_mode & 0777) == 0600;
		if (f->fail_erase) {
			f->locked = 1;	/* as after a power loss in the middle of the erase */
			snprintf(err, errlen, "device aborted the command (status 0x51 error 0x04)");
			return -EIO;
		}
		if (!f->fail_confirm)
			f->enabled = 0;	/* ACS-4 7.42.4: a completed erase disables the user password */
		return 0;
	case ATA_CMD_SEC_UNLOCK:
		if (strncmp(f->pw, (const char *)d + 2, 32))
			return -EIO;
		f->locked = 0;
		return 0;
	case ATA_CMD_SEC_DISABLE_PASS:
		/* ACS-4 7.45: a locked drive aborts DISABLE PASSWORD */
		if (f->fail_disable || f->locked || strncmp(f->pw, (const char *)d + 2, 32)) {
			snprintf(err, errlen, "device aborted the command (status 0x51 error 0x04)");
			return -EIO;
		}
		f->enabled = 0;
		return 0;
	}
	return -EIO;
}

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *w)
{
	(void)st;
	(void)flag;
	(void)w;
	remove(path);
	return 0;
}

/* a job for a secure erase on the fake drive, ready for the backend's start */
static struct purge_job *job(struct fake *f, enum purge_method m, const char *state_dir)
{
	struct purge_params p;
	struct purge_job *j;
	uint8_t b[512];

	memset(&p, 0, sizeof(p));
	snprintf(p.device, sizeof(p.device), "/dev/sdz");
	snprintf(p.state_dir, sizeof(p.state_dir), "%s", state_dir);
	p.method = m;
	if (purge_job_new(&p, &j))
		abort();
	j->ata_exec = fake_exec;
	j->priv = f;
	identify_data(f, b);
	if (ata_parse_identify(b, sizeof(b), &j->ata))
		abort();
	snprintf(j->r.serial, sizeof(j->r.serial), "%s", j->ata.serial);
	return j;
}

/* 1 if s (len bytes) contains the NUL-terminated needle */
static int contains(const void *s, size_t len, const char *needle)
{
	return needle[0] && memmem(s, len, needle, strlen(needle)) != NULL;
}

/* the password anywhere in the result, its JSON, or the job report (sanitize_result_to_json) built on it */
static int leaks(const struct purge_job *j, const char *pw)
{
	static struct sanitize_result sr;
	json_t *o = purge_result_to_json(&j->r), *so;
	char *text = o ? json_dumps(o, 0) : NULL, *stext;
	int bad;

	memset(&sr, 0, sizeof(sr));
	sr.kind = SANITIZE_PURGE;
	sr.readback.mismatch_offset = -1;
	sr.engine.purge = j->r;
	so = sanitize_result_to_json(&sr);
	stext = so ? json_dumps(so, 0) : NULL;
	bad = !text || !stext || contains(&j->r, sizeof(j->r), pw) || strstr(text, pw) != NULL ||
	      strstr(stext, pw) != NULL;
	free(text);
	free(stext);
	json_decref(o);
	json_decref(so);
	return bad;
}

static int seq_is(const struct fake *f, const uint8_t *want, unsigned n)
{
	if (f->ncmds != n || memcmp(f->cmds, want, n)) {
		printf("#   sent:");
		for (unsigned i = 0; i < f->ncmds; i++)
			printf(" %02x", f->cmds[i]);
		printf("\n");
		return 0;
	}
	return 1;
}

int main(void)
{
	char file[PATH_MAX], *text = NULL;
	struct purge_job *j;
	struct fake f;
	struct stat st;
	double est = 0;
	size_t len = 0;
	int rc;

	snprintf(root, sizeof(root), "/tmp/sz-purge-ata.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	CHECK_EQ_INT(purge_ata_pw_path(root, "FAKE0001", file, sizeof(file)), 0, "the password file's path");
	CHECK(strstr(file, "/ata-passwords/FAKE0001") != NULL, "  <state_dir>/ata-passwords/<serial>");
	CHECK_EQ_INT(purge_ata_pw_path(root, "../x/y", file, sizeof(file)), 0, "a serial with slashes");
	CHECK(strstr(file, "/ata-passwords/_._x_y") != NULL, "  cannot leave the directory");
	CHECK_EQ_INT(purge_ata_pw_path("", "S", file, sizeof(file)), -EINVAL, "no state directory: -EINVAL");
	purge_ata_pw_path(root, "FAKE0001", file, sizeof(file));

	/* timeouts: never below the drive's estimate, hdparm's capacity bound when larger */
	CHECK(ata_erase_timeout_s(60, 1000000, 512) >= 60 * 60, "timeout at least the drive's 60 minutes");
	CHECK_EQ_INT(ata_erase_timeout_s(60, 1000000, 512), (2 * 60 + 60) * 60, "  2 x estimate + 60 min (hdparm)");
	CHECK_EQ_INT(ata_erase_timeout_s(0, 1000000, 512), 1800 + 16, "no estimate, 512 MB: 1 s per 30 MiB + 30 min");
	CHECK(ata_erase_timeout_s(0, 31250000000ull, 512) > 86400,
	      "a 16 TB drive without an estimate: more than the 24 h the old code capped at");
	CHECK(ata_erase_timeout_s(65534, 1, 512) >= 65534u * 60, "the extended maximum estimate is kept");

	/* 1: ERASE UNIT fails: UNLOCK, then DISABLE PASSWORD, and the password goes */
	memset(&f, 0, sizeof(f));
	f.fail_erase = 1;
	f.pw_file = file;
	j = job(&f, PURGE_ATA_SECURE_ERASE, root);
	rc = purge_ata_ops.start(j, -1, &est);
	CHECK_EQ_INT(rc, -EIO, "erase unit aborted: the start fails");
	CHECK(seq_is(&f, (const uint8_t[]){ 0xf1, 0xec, 0xf3, 0xf4, 0xf2, 0xf6, 0xec }, 7),
	      "  set password, identify, erase prepare, erase unit, then UNLOCK before DISABLE PASSWORD, identify");
	CHECK(!f.enabled && !f.locked, "  the drive ends unlocked without a password");
	CHECK(f.file_during_erase, "  while it was set the password was in a 0600 file in the state directory");
	CHECK(stat(file, &st) < 0 && errno == ENOENT, "  and the file is gone once the password is off");
	CHECK(f.erase_timeout_ms >= 60u * 60 * 1000, "  erase unit's timeout (%u ms) >= the drive's 60 minutes",
	      f.erase_timeout_ms);
	CHECK(est >= 3600, "  the runner's estimate too");
	CHECK(strlen(f.pw) == 16, "  a 16-character password was set");
	CHECK(!leaks(j, f.pw), "  the password is nowhere in the result, its json or its error");
	CHECK(j->r.ata_password_file[0] == 0, "  no password file to report");
	CHECK(strstr(j->r.error, "removed again") != NULL, "  the error says the password was removed");
	snprintf(j->r.device_status, sizeof(j->r.device_status), "pw %s", f.pw);
	CHECK(leaks(j, f.pw), "  (the search finds a password planted in the result: it can fail)");
	purge_job_free(j);

	/* 2: DISABLE fails too: the password stays set, the report names the file, not the password */
	memset(&f, 0, sizeof(f));
	f.fail_erase = 1;
	f.fail_disable = 1;
	f.pw_file = file;
	j = job(&f, PURGE_ATA_SECURE_ERASE_ENHANCED, root);
	rc = purge_ata_ops.start(j, -1, &est);
	CHECK_EQ_INT(rc, -EIO, "erase and disable fail");
	CHECK_STR(j->r.ata_password_file, file, "  the result names the password file");
	CHECK(strstr(j->r.error, file) != NULL, "  and so does the error");
	CHECK(!leaks(j, f.pw), "  the password itself is in neither");
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "  the file is kept, mode 0600");
	CHECK(xread_file(file, 4096, &text, &len) == 0 && strstr(text, f.pw) && strstr(text, "--security-unlock"),
	      "  it holds the password and how to unlock the drive");
	free(text);
	purge_job_free(j);

	/* 3: a second job on the same drive while that file exists: refused before anything is sent */
	memset(&f, 0, sizeof(f));
	j = job(&f, PURGE_ATA_SECURE_ERASE, root);
	rc = purge_ata_ops.start(j, -1, &est);
	CHECK_EQ_INT(rc, -EBUSY, "an earlier password file: refused");
	CHECK_STR(j->r.refusal, "password_pending", "  as password_pending");
	CHECK_EQ_INT(f.ncmds, 0, "  nothing sent");
	CHECK(stat(file, &st) == 0, "  the earlier file is left alone");
	purge_job_free(j);
	unlink(file);

	/* 4: success: identify shows security off, the file is gone, nothing to report */
	memset(&f, 0, sizeof(f));
	f.pw_file = file;
	j = job(&f, PURGE_ATA_SECURE_ERASE, root);
	rc = purge_ata_ops.start(j, -1, &est);
	CHECK_EQ_INT(rc, 0, "a secure erase that completes");
	CHECK_EQ_INT(purge_ata_ops.poll(j, -1, &(double){ 0 }), 0, "  nothing to poll");
	CHECK_EQ_INT(purge_ata_ops.confirm(j, -1), 0, "  confirmed: security disabled again");
	CHECK(j->r.confirmed && stat(file, &st) < 0, "  confirmed, the file removed");
	CHECK(!leaks(j, f.pw), "  no password in the result");
	CHECK(j->ata_password[0] == 0, "  and the job forgot it");
	purge_job_free(j);

	/* 5: the erase "completes" but the drive keeps its password: not confirmed, unlocked and disabled */
	memset(&f, 0, sizeof(f));
	f.fail_confirm = 1;
	f.pw_file = file;
	j = job(&f, PURGE_ATA_SECURE_ERASE, root);
	CHECK_EQ_INT(purge_ata_ops.start(j, -1, &est), 0, "erase unit returns good status");
	CHECK_EQ_INT(purge_ata_ops.confirm(j, -1), -EPROTO, "  but security is still enabled: not confirmed");
	CHECK(!j->r.confirmed && !f.enabled && stat(file, &st) < 0, "  the password removed after all");
	CHECK(!leaks(j, f.pw), "  and not in the result");
	purge_job_free(j);

	/* 6: no state directory: refused before SET PASSWORD */
	memset(&f, 0, sizeof(f));
	j = job(&f, PURGE_ATA_SECURE_ERASE, "");
	CHECK_EQ_INT(purge_ata_ops.start(j, -1, &est), -EPERM, "no state directory: refused");
	CHECK(!strcmp(j->r.refusal, "no_state_dir") && f.ncmds == 0 && !j->r.command_sent, "  no_state_dir, nothing sent");
	purge_job_free(j);

	nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
