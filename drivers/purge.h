/*
 * purge — NIST SP 800-88r1 Purge through the drive's own commands (SPEC
 * section 8 methods nvme-*, ata-*, scsi-*): capability check, command,
 * progress polling, confirmation re-read, then a read-back that the old
 * content is gone.  The job interface mirrors wipe.h's (new, run, cancel,
 * result): parameters and results are plain fixed-size data, so they can
 * cross the process boundary to the privileged worker unchanged.
 *
 * Safety, in order, before anything destructive is sent:
 *   1. the method's command set must match the device: nvme-* only on an
 *      NVMe namespace (nvmeXnY), ata-* and scsi-* only on a whole SCSI disk
 *      (sdX); anything else (virtio vdX, loop, dm, partitions) is refused;
 *   2. the interlocks of interlock.h (system disk, mounted, holders,
 *      read-only, expected identity) and the O_EXCL open;
 *   3. the serial the device itself reports through the command set must
 *      be the one sysfs reported and, when given, the expected identity;
 *   4. what else the command reaches: an NVMe Sanitize (and a Format NVM
 *      with FNA bit 0 or 1) erases every namespace of the NVM subsystem, so
 *      each of them must pass the interlocks too and is held O_EXCL;
 *   5. the capability the method needs, read from the device (SANICAP,
 *      FNA, IDENTIFY word 59 and 128, REPORT SUPPORTED OPERATION CODES),
 *      and for ATA no sectors hidden by HPA, DCO or AMA, and registers the
 *      decision needs readable through the translator's sense format.
 * The backends live in purge_nvme.c, purge_ata.c, purge_scsi.c behind
 * struct purge_ops (purge_int.h).  The device stays open O_EXCL from the
 * checks through the read-back (purge_job_set_readback).
 * A refusal fills result.refusal with a stable name and result.error with
 * the reason; a command the device rejects is a failure, never a success.
 */
#ifndef SZ_PURGE_H
#define SZ_PURGE_H
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <jansson.h>

#include "drivers/ata.h"
#include "drivers/nvme.h"

enum purge_method {
	PURGE_NVME_SANITIZE_CRYPTO,
	PURGE_NVME_SANITIZE_BLOCK,
	PURGE_NVME_SANITIZE_OVERWRITE,
	PURGE_NVME_FORMAT_CRYPTO,
	PURGE_NVME_FORMAT_USER,
	PURGE_ATA_SANITIZE_CRYPTO,
	PURGE_ATA_SANITIZE_BLOCK,
	PURGE_ATA_SANITIZE_OVERWRITE,
	PURGE_ATA_SECURE_ERASE,
	PURGE_ATA_SECURE_ERASE_ENHANCED,
	PURGE_SCSI_SANITIZE_CRYPTO,
	PURGE_SCSI_SANITIZE_BLOCK,
	PURGE_SCSI_SANITIZE_OVERWRITE,
	PURGE_METHOD_COUNT
};

enum purge_transport { PURGE_NVME, PURGE_ATA, PURGE_SCSI };

/* The same states as wipe.h's jobs (SPEC section 6). */
enum purge_state { PURGE_QUEUED, PURGE_RUNNING, PURGE_VERIFYING, PURGE_COMPLETED, PURGE_FAILED, PURGE_CANCELLED };

#define PURGE_SENTINELS 16
#define PURGE_BLOCK 4096

/* A SPEC section 8 purge method name into *m: 0, or -EINVAL if name is not one. */
int purge_method_parse(const char *name, enum purge_method *m);
/* The name ("nvme-sanitize-crypto"); "unknown" out of range.  Cannot fail. */
const char *purge_method_name(enum purge_method m);
enum purge_transport purge_method_transport(enum purge_method m);
const char *purge_state_name(enum purge_state s);

struct purge_params {
	char device[PATH_MAX];
	enum purge_method method;
	char expected_identity[PATH_MAX + 8];	/* "" = not checked */
	char state_dir[PATH_MAX];	/* a device holding it is the system disk; "" none */
	int precheck;			/* write sentinels before, require them gone after */
	unsigned overwrite_passes;	/* overwrite methods: 0 = 1 */
	uint32_t overwrite_pattern;
	double poll_interval;		/* seconds between status polls; 0 = 1 */
	unsigned max_seconds;		/* give up waiting; 0 = from the device's estimate, else 24 h */
};

struct purge_progress {
	enum purge_state state;
	const char *phase;	/* "checking", "sentinels", "command", "erasing", "confirming", "verifying" */
	double fraction;	/* of the erase, 0..1; -1 unknown */
	double elapsed;		/* seconds since the command was sent */
};

/* What a device can do, read with identify commands only (GET /v1/devices). */
struct purge_caps {
	char transport[8];		/* "nvme", "ata", "scsi" */
	char model[64], serial[128], firmware[16], wwn[64];
	uint32_t methods;		/* bit (1u << enum purge_method) per supported method */
	int unknown;			/* support could not be read (SCSI without RSOC) */
	/* NVMe */
	uint16_t oacs;
	uint32_t sanicap;
	uint8_t fna;
	/* ATA */
	int sec_supported, sec_enabled, sec_locked, sec_frozen, sanitize_frozen;
	unsigned erase_minutes, enhanced_erase_minutes;
	uint64_t sectors, native_sectors, hpa_hidden, dco_hidden;
	int hidden_known;
	int hidden_unreadable;		/* the maximum cannot be read through this path (fixed-format sense) */
	char hidden_why[160];		/* why the hidden area is undetermined; "" when it is known */
	char sanitize_unknown[192];	/* why SANITIZE STATUS EXT cannot be relied on; "" when it can */
};

/*
 * What the read-back after the command may find (issue 10 item 5): the
 * content each method's standard defines.  PURGE_RB_ANY: not defined (a
 * crypto erase, a block erase, a format), only readability is checked;
 * the sentinel check is what shows the old content gone.
 */
#define PURGE_RB_ZEROS 0x1u
#define PURGE_RB_ONES 0x2u
#define PURGE_RB_ANY 0x4u

struct purge_result {
	enum purge_state state;
	char device[PATH_MAX];
	char method[32];
	char identity[PATH_MAX + 8];
	char refusal[24];	/* interlock_reason_name (also for another namespace of the NVM
				   subsystem), "unsupported_device", "not_supported", "frozen",
				   "locked", "security_enabled", "hidden_sectors", "hidden_unknown",
				   "status_unknown", "busy", "subsystem_unknown", "password_pending",
				   "no_state_dir", "device_refused", or "" */
	char error[768];	/* "" unless failed or cancelled */
	int err;		/* positive errno, 0 if none */
	char transport[8], model[64], serial[128], firmware[16];
	char command[128];	/* what was sent, e.g. "nvme sanitize (0x84) cdw10=0x00000004" */
	char device_status[192];	/* the device's answer in words */
	int command_sent;
	int confirmed;		/* the re-read after the command agrees it completed */
	char confirmation[192];
	char ata_password_file[PATH_MAX];	/* ATA secure erase left its temporary password set: the
					   0600 file in the state directory that holds it; "" otherwise
					   (the password itself is never in a result) */
	unsigned readback_accept;	/* PURGE_RB_* */
	char readback_basis[192];	/* why, in words, with the clause */
	int readback_assumed;		/* the device does not say which pattern: zeros or ones accepted */
	uint64_t hpa_hidden, dco_hidden;
	char hidden_undetermined[160];	/* ATA: why the hidden area could not be determined; "" known */
	struct {
		int performed, passed;
		unsigned sentinels, zero_blocks;
		int64_t survivor_offset;	/* a sentinel still there, -1 if none */
	} verify;
	double seconds;
	char started_at[25], finished_at[25];
};

struct purge_job;
typedef void (*purge_progress_fn)(void *ctx, const struct purge_progress *p);

/* A job for params (copied).  Caller frees with purge_job_free.  0, -EINVAL, -ENOMEM. */
int purge_job_new(const struct purge_params *params, struct purge_job **out);
/* purge_job_free(NULL) is a no-op. */
void purge_job_free(struct purge_job *j);
/*
 * Run the job to its end in the calling thread.  0 when the command was
 * confirmed complete and (with precheck) no sentinel survived; -EPERM or
 * -EBUSY when a check refused (result.refusal says which); -EOPNOTSUPP
 * when the device lacks the capability or rejected the command; -EILSEQ
 * when a sentinel survived; -ETIMEDOUT; -ECANCELED (only before the
 * command is sent: a started sanitize cannot be stopped); -errno.  The
 * result is filled in every case.
 */
int purge_job_run(struct purge_job *j, purge_progress_fn progress, void *ctx);
/* Ask the job to stop before its command is sent.  Async-signal-safe. */
void purge_job_cancel(struct purge_job *j);
/* Valid until purge_job_free. */
const struct purge_result *purge_job_result(const struct purge_job *j);

/*
 * Read what the device at path can do, without writing anything: 0,
 * -ENOTSUP for a device that is not an NVMe namespace or a SCSI disk, or
 * -errno.  Opens the device read-only (no O_EXCL).
 */
int purge_probe(const char *path, struct purge_caps *caps);

/*
 * The checks that need no device, for tests and for callers that show
 * what a device supports.  purge_name_check: 0, or -EPERM when the kernel
 * name (nvme0n1, sda) and sysfs transport do not fit the method's command
 * set (msg says why).  purge_caps_check: 0, or -EOPNOTSUPP / -EPERM with
 * refusal set ("not_supported", "frozen", "locked", "security_enabled",
 * "hidden_sectors") and msg.
 */
int purge_name_check(enum purge_method m, const char *name, const char *transport, char *msg, size_t len);
int purge_caps_check(enum purge_method m, const struct purge_caps *c, char refusal[24], char *msg, size_t len);
/* Fill the capability fields of *c from identify data (c zeroed first by the caller). */
void purge_caps_from_nvme(const struct nvme_ctrl_info *id, struct purge_caps *c);
void purge_caps_from_ata(const struct ata_info *id, const struct ata_hidden *h, int sanitize_frozen,
			 struct purge_caps *c);
/*
 * What a SANITIZE STATUS EXT answer (rc of ata_sanitize_status, *st) says
 * before a sanitize is sent: 0 with *frozen when the state is known; -1
 * with why (for purge_caps.sanitize_unknown) when it cannot be relied on:
 * the command failed, the device's reason does not exclude the frozen
 * state, or the registers came in fixed-format sense (COUNT 15:8, where
 * the frozen and completed bits are, does not fit in it, so completion
 * could not be confirmed either).  Cannot fail otherwise.
 */
int purge_ata_sanitize_precheck(int rc, const struct ata_sanitize_status *st, int *frozen, char *why, size_t len);
/*
 * One poll of a running ATA sanitize from SANITIZE STATUS EXT: 1 still
 * running, 0 completed, -EIO aborted (msg names the ACS-4 reason), -EPROTO
 * when the status cannot tell (msg says why).  Cannot fail otherwise.
 */
int purge_ata_sanitize_decide(const struct ata_sanitize_status *st, char *msg, size_t len);

/*
 * The read-back rule of method m (PURGE_RB_*) on a namespace whose DLFEAT
 * bits 2:0 are dlfeat (NVMe; 0 elsewhere): ATA normal secure erase zeros or
 * ones (ACS-3 7.45: the vendor's choice); NVMe Sanitize, which we send
 * without No-Deallocate, the deallocated pattern DLFEAT reports (NVMe 2.0
 * Base 5.17.2.1 Figure 277; 000b: not reported, zeros or ones accepted and
 * *assumed set); the overwrite actions our zero pattern; everything else
 * any content.  basis says it in words.  Cannot fail.
 */
unsigned purge_readback_rule(enum purge_method m, unsigned dlfeat, char *basis, size_t len, int *assumed);
/* "zeros", "ones", "zeros-or-ones", "readable".  Cannot fail. */
const char *purge_readback_name(unsigned accept);

/*
 * A read-back run by purge_job_run on its own O_EXCL descriptor, after the
 * command was confirmed and the sentinels checked and before the
 * descriptor is closed, so no other opener can come between check, command
 * and read-back (issue 10 item 8).  fd was opened O_DIRECT; r is the
 * result so far (readback_accept says what may be found).  0, or -errno to
 * fail the job.  The callback keeps its own report.
 */
typedef int (*purge_readback_fn)(void *ctx, int fd, const struct purge_result *r);
/* Set the read-back for j (NULL: none).  Cannot fail. */
void purge_job_set_readback(struct purge_job *j, purge_readback_fn fn, void *ctx);

/* Reports for `sanitizerd wipe` and the job API.  NULL on ENOMEM. */
json_t *purge_result_to_json(const struct purge_result *r);
json_t *purge_caps_to_json(const struct purge_caps *c);

#endif
