/*
 * purge_int — what the purge runner (purge.c) shares with its backends
 * (purge_nvme.c, purge_ata.c, purge_scsi.c), one per command set, as redis
 * keeps one event backend per file behind ae.c.  Each backend fills one
 * struct purge_ops; purge.c picks it by enum purge_transport and does
 * everything else: interlocks, identity, sentinels, the polling loop, time
 * limits, progress and the JSON.  The same struct is the seam for tests: a
 * fake backend set with purge_job_set_ops drives the runner without
 * hardware (tests/unit/test_purge.c).
 *
 * Not part of the module's interface to api/ or sanitizerd/: only drivers/
 * and its unit tests include this file.
 */
#ifndef SZ_PURGE_INT_H
#define SZ_PURGE_INT_H
#include <signal.h>

#include "drivers/ata.h"
#include "drivers/blkdev.h"
#include "drivers/nvme.h"
#include "drivers/purge.h"
#include "drivers/scsi.h"

struct purge_job;

#define PURGE_HELD_MAX 64		/* namespaces of one NVM subsystem we will hold */

struct purge_ops {
	/*
	 * Identity and capabilities through fd into *caps (zeroed by the
	 * caller), keeping what the later steps need in the job's backend
	 * state.  0, or -errno after purge_fail.
	 */
	int (*identify)(struct purge_job *j, int fd, struct purge_caps *caps);
	/* Checks beyond the capabilities (every namespace the command acts on).  NULL = none.  0 or purge_fail. */
	int (*check)(struct purge_job *j, int fd);
	/*
	 * Record what confirm compares against, then send the command (fill
	 * r.command before sending, r.command_sent when sent).  *estimate: the
	 * device's own estimate in seconds, -1 when it gives none.  0 or purge_fail.
	 */
	int (*start)(struct purge_job *j, int fd, double *estimate);
	/* One status read: 1 still running (*fraction 0..1, -1 unknown), 0 finished, or -errno after purge_fail. */
	int (*poll)(struct purge_job *j, int fd, double *fraction);
	/* The re-read after poll said finished: 0 with r.confirmed and r.confirmation set, or purge_fail. */
	int (*confirm)(struct purge_job *j, int fd);
};

extern const struct purge_ops purge_nvme_ops, purge_ata_ops, purge_scsi_ops;

struct purge_job {
	struct purge_params p;
	struct purge_result r;
	volatile sig_atomic_t cancel;
	purge_progress_fn progress;
	void *ctx;
	double t_cmd;
	const struct purge_ops *ops;	/* NULL: the backend of the method's transport */
	const struct blkdev_info *dev;	/* during purge_job_run */
	/* backend state, valid from identify on */
	struct nvme_ctrl_info ctrl;
	uint32_t nsid;
	struct nvme_ns_info ns;
	struct nvme_sanitize_status nst_before, nst;
	uint32_t nvme_cdw10;		/* CDW10 of the Sanitize we sent */
	int nvme_seen_running;		/* a poll after our command saw SSTAT "in progress" */
	struct ata_info ata;
	struct ata_sanitize_status ast;
	struct scsi_sense sense;
	struct blkdev_env env;		/* where sysfs and mountinfo are (purge_job_run sets the defaults) */
	int held[PURGE_HELD_MAX];	/* other devices the command reaches, open O_EXCL until the end */
	unsigned nheld;
	/* ATA: how commands reach the drive (NULL: ata_exec); tests put a fake drive here */
	int (*ata_exec)(struct purge_job *j, int fd, const struct ata_tf *tf, void *data, size_t len,
			unsigned timeout_ms, struct ata_regs *r, char *err, size_t errlen);
	char ata_password[24];		/* the temporary password: never in the result, a message or a log */
	char ata_pw_file[PATH_MAX];	/* where it is kept for the technician while it is set; "" none */
	/* SCSI: how REQUEST SENSE and TEST UNIT READY reach the device (NULL: sgio_run); tests fake it */
	int (*sgio)(struct purge_job *j, int fd, const uint8_t *cdb, size_t cdb_len, enum sgio_dir dir, void *buf,
		    size_t len, unsigned timeout_ms, struct sgio_reply *r);
	unsigned scsi_attentions;	/* UNIT ATTENTIONs seen while polling */
	int scsi_ready;			/* TEST UNIT READY returned GOOD after the sanitize */
	purge_readback_fn readback;	/* purge_job_set_readback */
	void *readback_ctx;
	void *priv;			/* a test backend's own state */
};

/* Set j's state failed (cancelled for -ECANCELED), errno, refusal (NULL keeps it) and error.  Returns rc. */
int purge_fail(struct purge_job *j, int rc, const char *refusal, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Tell the caller's progress function (if any) state, phase and fraction.  Cannot fail. */
void purge_report(struct purge_job *j, enum purge_state st, const char *phase, double fraction);
/* Seconds to wait for a command the device estimates at estimate s (-1 none).  Cannot fail. */
double purge_wait_limit(const struct purge_job *j, double estimate);
/* Sleep s seconds, resuming after signals.  Cannot fail. */
void purge_nap(double s);

/* Use ops instead of the transport's backend (tests).  Cannot fail. */
void purge_job_set_ops(struct purge_job *j, const struct purge_ops *ops);
/*
 * Everything purge_job_run does after the interlocks and the O_EXCL open,
 * on fd for the device d: identity, capability check, backend check,
 * sentinels, command, polling, confirmation, sentinel read-back.  Returns
 * as purge_job_run; does not close fd.  For purge_job_run and tests.
 */
int purge_job_run_fd(struct purge_job *j, int fd, const struct blkdev_info *d);

/*
 * NVMe Sanitize acts on the whole NVM subsystem (NVMe 2.0 Base 8.21), and a
 * Format NVM with FNA bit 0 or 1 on every namespace (5.17.2.1 Figure 275):
 * the namespace block devices of every controller of the subsystem that
 * holds namespace name, from sysfs under sys (class/nvme-subsystem/<S>: the
 * controllers nvmeM with their namespaces nvmeMnK, and with native
 * multipath the namespace heads nvmeXnY; the paths nvmeXcYnZ are the
 * heads' and are skipped).  Names into out (cap max, sorted), *n, the
 * subsystem into subsys.  0; -ENOENT when no subsystem lists name; -E2BIG
 * past max; -errno of opendir.
 */
int purge_nvme_subsystem(const char *sys, const char *name, char (*out)[BLKDEV_NAME_MAX], unsigned max,
			 unsigned *n, char subsys[BLKDEV_NAME_MAX]);
/*
 * Every namespace of name's subsystem except name itself passes
 * interlock_check (system, mounted, holders, read-only).  0; -EPERM with
 * refusal (the interlock's reason, or "subsystem_unknown") and msg naming
 * the namespace that blocks ("cannot nvme-sanitize-block /dev/nvme0n1:
 * sanitize acts on the whole nvm subsystem nvme-subsys0 and nvme0n2 is
 * mounted on /mnt").  The names checked into out/n when out is not NULL.
 */
/* What one sense answer says about a running SCSI SANITIZE (SBC-4 4.11.4, SPC-4 4.5). */
enum purge_scsi_state {
	PURGE_SCSI_RUNNING,	/* NOT READY, 04h/1Bh SANITIZE IN PROGRESS */
	PURGE_SCSI_ATTENTION,	/* UNIT ATTENTION: a reset, a power-on, a changed mode page; not completion */
	PURGE_SCSI_IDLE,	/* NO SENSE / RECOVERED ERROR: nothing pending, to be confirmed */
	PURGE_SCSI_FAILED,	/* MEDIUM ERROR, 31h/03h SANITIZE COMMAND FAILED */
	PURGE_SCSI_OTHER,	/* anything else: not a success */
};
enum purge_scsi_state purge_scsi_sense_state(const struct scsi_sense *s);

/*
 * The file that keeps the temporary ATA password of a secure erase while
 * it is set on the drive: <state_dir>/ata-passwords/<serial>, mode 0600,
 * serial with anything but [A-Za-z0-9._-] as '_'.  0, or -ENAMETOOLONG /
 * -EINVAL (no state directory, no serial).
 */
int purge_ata_pw_path(const char *state_dir, const char *serial, char *out, size_t len);

/*
 * Whether the Sanitize Status log after a Sanitize (after) describes THAT
 * command and not one from before (before: the log read just before it):
 * 0 when it completed and is ours (its SCDW10 is cdw10, and a poll saw it
 * in progress or the log changed from before: SSTAT, SCDW10, or Global
 * Data Erased set); -EIO when it failed; -EPROTO when it is stale or
 * another command's (msg says which).  Cannot fail otherwise.
 */
int purge_nvme_log_confirms(const struct nvme_sanitize_status *before, const struct nvme_sanitize_status *after,
			    int seen_running, uint32_t cdw10, char *msg, size_t len);

/* 1 if method m on a controller like ctrl erases every namespace of the subsystem, else 0.  Cannot fail. */
int purge_nvme_whole_subsystem(enum purge_method m, const struct nvme_ctrl_info *ctrl);
int purge_nvme_subsystem_check(const struct blkdev_env *env, const char *name, const char *what,
			       char (*out)[BLKDEV_NAME_MAX], unsigned max, unsigned *n, char refusal[24],
			       char *msg, size_t len);

#endif
