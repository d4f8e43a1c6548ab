/*
 * interlock — the refusals that keep a wipe off the wrong disk (SPEC section
 * 7).  Each refusal has its own reason code (the API maps every one to 409
 * and names it) and its own message.  The static checks run on a probed
 * struct blkdev_info before anything is opened for writing; the O_EXCL open
 * is the last check and the one that holds: while we keep the descriptor,
 * the kernel lets nobody mount or claim the device.
 */
#ifndef SZ_INTERLOCK_H
#define SZ_INTERLOCK_H
#include <stdint.h>

#include "drivers/blkdev.h"

enum interlock_reason {
	INTERLOCK_OK = 0,
	INTERLOCK_NOT_BLOCK,		/* "not_block_device" */
	INTERLOCK_SYSTEM,		/* "system" */
	INTERLOCK_MOUNTED,		/* "mounted" */
	INTERLOCK_HOLDERS,		/* "holders" */
	INTERLOCK_READ_ONLY,		/* "read_only" */
	INTERLOCK_IDENTITY_MISMATCH,	/* "identity_mismatch" */
	INTERLOCK_BUSY,			/* "busy" */
	INTERLOCK_CHANGED,		/* "changed": the device is not the one probed */
	INTERLOCK_PARTIAL,		/* "partial_device": not the whole drive of the asset */
};

struct interlock_result {
	enum interlock_reason reason;
	char message[512];	/* "cannot wipe /dev/loop3: device is mounted on /mnt" */
};

/* The reason's stable name ("mounted", ...), "ok" for INTERLOCK_OK.  Cannot fail. */
const char *interlock_reason_name(enum interlock_reason r);

/*
 * The checks that need no descriptor, in order: system disk, mounted,
 * holders, read-only, identity (only when expected is not NULL).  Returns 0
 * if none refuses, else -EPERM with *r naming the first refusal.  When
 * expected is given the wipe is of an asset's drive, so a target that is
 * not a whole drive (blkdev_scope) is refused too (partial_device): a
 * partition or a loop window has the drive's identity but not its data.
 */
int interlock_check(const struct blkdev_info *d, const char *expected, struct interlock_result *r);

/*
 * The whole-drive rule for an asset of capacity bytes (SPEC section 7):
 * d is a whole drive and its size is capacity.  0, or -EPERM with r's
 * reason INTERLOCK_PARTIAL and a message naming what differs.
 */
int interlock_whole(const struct blkdev_info *d, uint64_t capacity, struct interlock_result *r);

/*
 * Open d's device for writing with O_EXCL (and O_DIRECT when direct), then
 * make sure the descriptor is the probed device (same device number).
 * 0 with *fd (caller closes), -EBUSY with r->reason INTERLOCK_BUSY when
 * someone else holds it, -EPERM for INTERLOCK_CHANGED, or -errno of open.
 */
int interlock_open(const struct blkdev_info *d, int direct, int *fd, struct interlock_result *r);

/*
 * Whether the system-disk check can see the disk that holds "/" (issue 15).
 * It marks a disk "system" by the device number env->mountinfo gives for
 * "/"; in a container whose "/" is an overlay (or a tmpfs, or a chroot that
 * is no mount point) no block device in env->sys has that number, so the
 * check has nothing to refuse and only the O_EXCL open still protects the
 * host's disks (from a mounted or claimed one, not from a free one).
 * 1 visible; 0 not, with why naming what "/" is ("/ is overlay (overlay,
 * device 0:52), not a block device here"); -errno if mountinfo cannot be
 * read (why says so).  Looks at the last mount of "/", the one in force.
 */
int interlock_root_visible(const struct blkdev_env *env, char *why, size_t whylen);

#endif
