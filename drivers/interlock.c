#include "drivers/interlock.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
