/*
 * blkdev — what a block device is, from sysfs, libblkid, mountinfo and
 * /proc/swaps (SPEC section 7).  Everything here only reads: no device is
 * ever opened for writing, so probing the system disk is safe.
 *
 * struct blkdev_info is plain fixed-size data (every list has a cap), so it
 * can cross the process boundary to the privileged worker unchanged.
 */
#ifndef SZ_BLKDEV_H
#define SZ_BLKDEV_H
#include <limits.h>
#include <stdint.h>
#include <jansson.h>

#define BLKDEV_NAME_MAX 32
#define BLKDEV_MAX_HOLDERS 16
#define BLKDEV_MAX_PARTS 64
#define BLKDEV_MAX_SIGS 8
#define BLKDEV_MAX_DEVICES 1024

/* Where to look; NULL fields take the defaults.  Tests point sys at a fake tree. */
struct blkdev_env {
	const char *sys;	/* "/sys" */
	const char *mountinfo;	/* "/proc/self/mountinfo" */
	const char *swaps;	/* "/proc/swaps" */
	const char *state_dir;	/* a device holding it is "system"; NULL: none */
	int no_blkid;		/* skip libblkid (fake sysfs trees have no device nodes) */
};

struct blkdev_sig {
	char type[32];		/* "ext4", "crypto_LUKS", "gpt" */
	char usage[16];		/* "filesystem", "crypto", "partition_table", ... */
	char device[BLKDEV_NAME_MAX];	/* where it was found: the disk or a partition */
};

struct blkdev_info {
	char name[BLKDEV_NAME_MAX];	/* "loop3" */
	char path[BLKDEV_NAME_MAX + 8];	/* "/dev/loop3" */
	unsigned major, minor;
	int partition;			/* a partition, not a whole disk */
	char parent[BLKDEV_NAME_MAX];	/* the disk of a partition */
	uint64_t size;			/* bytes */
	uint32_t logical_block_size, physical_block_size;
	int rotational, removable, read_only;
	char transport[16];		/* nvme|sata|sas|usb|virtio|mmc|loop|dm|md|virtual|unknown */
	char model[128], serial[128], wwn[128];
	char backing_file[PATH_MAX];	/* loop devices only */
	/* loop devices: the window on the backing file (0 = none), and the file's size */
	uint64_t loop_offset, loop_sizelimit, backing_size;
	int loop_autoclear;		/* detach on last close: set by losetup -d on a device in use */
	char identity[PATH_MAX + 8];	/* SPEC section 7; "" when the device has none */
	unsigned nholders;
	char holders[BLKDEV_MAX_HOLDERS][BLKDEV_NAME_MAX];
	unsigned npartitions;
	char partitions[BLKDEV_MAX_PARTS][BLKDEV_NAME_MAX];
	unsigned nsigs;
	struct blkdev_sig sigs[BLKDEV_MAX_SIGS];
	int mounted;			/* it, a partition or a holder is mounted */
	char mount_point[PATH_MAX];	/* the first such mount */
	int swap;			/* it, a partition or a holder is (or holds) swap */
	int system;
	char system_reason[64];		/* "holds /", "holds the state directory", "holds swap" */
	int truncated;			/* a list reached its cap */
};

/*
 * What part of a drive d is (SPEC section 7, issue 10): "whole_device",
 * "partition" (of d->parent), or "partial_loop" (a loop device with an
 * offset or a size limit, or one that does not cover all of its backing
 * file).  When not whole and why is not NULL, why says it in a sentence
 * naming d->path.  Cannot fail; the string is static.
 */
const char *blkdev_scope(const struct blkdev_info *d, char *why, size_t len);

/*
 * 1 if the drive probed as then is no longer there (issue 13: a drive
 * pulled mid-wipe): its name is gone, has another device number or no
 * size, or, for a loop device, a detach was asked for while it is open
 * (autoclear set since).  Reads sysfs only.  0 if it is still there.
 */
int blkdev_gone(const struct blkdev_info *then);

/* Fill env with the defaults (the real /sys and /proc, no state directory). */
void blkdev_env_default(struct blkdev_env *env);

/*
 * Probe the device named name ("loop3", "vda", "loop3p1") into *out.
 * 0, -ENOENT if sysfs does not know it, -errno on a read error.
 */
int blkdev_probe_name(const struct blkdev_env *env, const char *name, struct blkdev_info *out);
/*
 * Probe the block device at path (symlinks such as /dev/disk/by-id are
 * followed; the device is found by its device number, not its name).
 * -ENOTBLK if path is not a block device.
 */
int blkdev_probe_path(const struct blkdev_env *env, const char *path, struct blkdev_info *out);
/*
 * Every whole disk with a non-zero size, sorted by name, in a new array
 * (*out, caller frees with free; *n entries).  0 or -errno.
 */
int blkdev_list(const struct blkdev_env *env, struct blkdev_info **out, size_t *n);

/* 1 if expected names this device: its identity, or its WWN where present. */
int blkdev_identity_matches(const struct blkdev_info *d, const char *expected);
/* 1 if libblkid found a signature of that type (e.g. "crypto_LUKS") on the device itself. */
int blkdev_has_sig(const struct blkdev_info *d, const char *type);

/*
 * The device as the API serves it in GET /v1/devices (SPEC section 7).
 * A new reference, or NULL on ENOMEM.
 */
json_t *blkdev_to_json(const struct blkdev_info *d);
/* {"devices":[...]}: GET /v1/devices and `sanitizerd devices --json`. */
json_t *blkdev_list_to_json(const struct blkdev_info *d, size_t n);

#endif
