#include "drivers/interlock.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/xio.h"

const char *interlock_reason_name(enum interlock_reason r)
{
	switch (r) {
	case INTERLOCK_OK: return "ok";
	case INTERLOCK_NOT_BLOCK: return "not_block_device";
	case INTERLOCK_SYSTEM: return "system";
	case INTERLOCK_MOUNTED: return "mounted";
	case INTERLOCK_HOLDERS: return "holders";
	case INTERLOCK_READ_ONLY: return "read_only";
	case INTERLOCK_IDENTITY_MISMATCH: return "identity_mismatch";
	case INTERLOCK_BUSY: return "busy";
	case INTERLOCK_CHANGED: return "changed";
	case INTERLOCK_PARTIAL: return "partial_device";
	}
	return "unknown";
}

static int refuse(struct interlock_result *r, enum interlock_reason why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct interlock_result *r, enum interlock_reason why, const char *fmt, ...)
{
	va_list ap;

	r->reason = why;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return why == INTERLOCK_BUSY ? -EBUSY : -EPERM;
}

int interlock_check(const struct blkdev_info *d, const char *expected, struct interlock_result *r)
{
	memset(r, 0, sizeof(*r));
	/* the system disk first: it is usually mounted too, and this says more */
	if (d->system)
		return refuse(r, INTERLOCK_SYSTEM, "cannot wipe %s: device is the system disk (%s)",
			      d->path, d->system_reason);
	if (d->mounted)
		return refuse(r, INTERLOCK_MOUNTED, "cannot wipe %s: device is mounted on %s",
			      d->path, d->mount_point);
	if (d->swap)
		return refuse(r, INTERLOCK_SYSTEM, "cannot wipe %s: device holds active swap", d->path);
	if (d->nholders)
		return refuse(r, INTERLOCK_HOLDERS, "cannot wipe %s: device is held by %s%s",
			      d->path, d->holders[0], d->nholders > 1 ? " and others" : "");
	if (d->read_only)
		return refuse(r, INTERLOCK_READ_ONLY, "cannot wipe %s: device is read-only", d->path);
	if (expected && !blkdev_identity_matches(d, expected))
		return refuse(r, INTERLOCK_IDENTITY_MISMATCH,
			      "cannot wipe %s: identity is '%s', expected '%s'", d->path,
			      d->identity[0] ? d->identity : "(none)", expected);
	if (expected)
		return interlock_whole(d, 0, r);
	return 0;
}

int interlock_whole(const struct blkdev_info *d, uint64_t capacity, struct interlock_result *r)
{
	char why[400];

	memset(r, 0, sizeof(*r));
	if (strcmp(blkdev_scope(d, why, sizeof(why)), "whole_device"))
		return refuse(r, INTERLOCK_PARTIAL, "cannot sanitize %s: %s (partial_device)", d->path, why);
	if (capacity && d->size != capacity)
		return refuse(r, INTERLOCK_PARTIAL,
			      "cannot sanitize %s: its size is %llu bytes, the asset's capacity is %llu bytes "
			      "(partial_device)", d->path, (unsigned long long)d->size, (unsigned long long)capacity);
	return 0;
}

int interlock_open(const struct blkdev_info *d, int direct, int *fd, struct interlock_result *r)
{
	struct stat st;
	int rc, f = -1;

	memset(r, 0, sizeof(*r));
	/* O_EXCL on a block device: fails with EBUSY if mounted or claimed, and keeps it so */
	rc = xopen(d->path, O_RDWR | O_EXCL | (direct ? O_DIRECT : 0), 0, &f);
	if (rc == -EBUSY)
		return refuse(r, INTERLOCK_BUSY, "cannot wipe %s: device is busy (cannot open it exclusively)", d->path);
	if (rc == -EROFS || rc == -EACCES) {
		refuse(r, INTERLOCK_READ_ONLY, "cannot wipe %s: device is read-only", d->path);
		return rc;
	}
	if (rc < 0) {
		snprintf(r->message, sizeof(r->message), "cannot open %s: %s", d->path, strerror(-rc));
		return rc;
	}
	/* /dev/<name> could have been replaced between probe and open */
	if (fstat(f, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    major(st.st_rdev) != d->major || minor(st.st_rdev) != d->minor) {
		xclose(f);
		return refuse(r, INTERLOCK_CHANGED, "cannot wipe %s: device changed since it was probed", d->path);
	}
	*fd = f;
	return 0;
}

/* proc(5) mountinfo: "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
int interlock_root_visible(const struct blkdev_env *env, char *why, size_t whylen)
{
	const char *mi = env && env->mountinfo ? env->mountinfo : "/proc/self/mountinfo";
	const char *sys = env && env->sys ? env->sys : "/sys";
	char *buf = NULL, *line, *next, fstype[64] = "", source[128] = "", path[4096];
	unsigned ma = 0, mi_ = 0;
	int found = 0, rc;
	size_t len;
	struct stat st;

	rc = xread_file(mi, 4 << 20, &buf, &len);
	if (rc < 0) {
		snprintf(why, whylen, "cannot read %s: %s", mi, strerror(-rc));
		return rc;
	}
	for (line = buf; line && *line; line = next) {
		char *f[5] = { 0 }, *p, *save = NULL;
		unsigned a, b, k = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (p = strtok_r(line, " ", &save); p && k < 5; p = strtok_r(NULL, " ", &save))
			f[k++] = p;
		if (k < 5 || strcmp(f[4], "/") || sscanf(f[2], "%u:%u", &a, &b) != 2)
			continue;
		while (p && strcmp(p, "-"))
			p = strtok_r(NULL, " ", &save);
		found = 1;
		ma = a;
		mi_ = b;
		p = p ? strtok_r(NULL, " ", &save) : NULL;
		snprintf(fstype, sizeof(fstype), "%s", p ? p : "?");
		p = p ? strtok_r(NULL, " ", &save) : NULL;
		snprintf(source, sizeof(source), "%s", p ? p : "?");
	}
	free(buf);
	if (!found) {
		snprintf(why, whylen, "/ is not a mount point here (a chroot?), so no disk is known to hold it");
		return 0;
	}
	/* a block device the kernel knows has its number under /sys/dev/block */
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sys, ma, mi_);
	if (ma != 0 && stat(path, &st) == 0)
		return 1;
	snprintf(why, whylen, "/ is %s (%s, device %u:%u), not a block device here", fstype, source, ma, mi_);
	return 0;
}
