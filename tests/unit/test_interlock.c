/* interlock: each refusal with its own reason and message, in order. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "drivers/interlock.h"
#include "tests/unit/tap.h"

static void base(struct blkdev_info *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "loop9");
	snprintf(d->path, sizeof(d->path), "/dev/loop9");
	snprintf(d->identity, sizeof(d->identity), "loop:/srv/a.img");
	d->size = 1 << 20;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* issue 15: a container whose / is an overlay; the check says it cannot see the disk */
static void root_visible(void)
{
	char root[] = "/tmp/sz-rootvis.XXXXXX", mi[256], sys[256], dev[256], why[256] = "";
	struct blkdev_env env = { 0 };

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/sys/dev", root);
	mkdir(sys, 0700);
	mkdir(dev, 0700);
	snprintf(dev, sizeof(dev), "%s/sys/dev/block", root);
	mkdir(dev, 0700);
	snprintf(dev, sizeof(dev), "%s/sys/dev/block/254:1", root);
	put(dev, "");
	env.sys = sys;
	env.mountinfo = mi;

	put(mi, "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard\n"
		"23 22 0:21 / /proc rw - proc proc rw\n");
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), 1, "root on a block device: visible");

	/* docker's overlay root: device 0:NN, no block device has it */
	put(mi, "501 420 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n"
		"502 501 0:55 / /proc rw,nosuid - proc proc rw\n");
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), 0, "overlay root: not visible");
	CHECK_STR(why, "/ is overlay (overlay, device 0:52), not a block device here", "  the reason names it");

	/* the last mount of / is the one in force: an overlay over the disk hides it */
	put(mi, "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n"
		"90 22 0:60 / / rw - overlay overlay rw,lowerdir=/\n");
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), 0, "an overlay stacked on / hides the disk");

	/* a block number that sysfs does not know (the host's disk, seen through a bind) */
	put(mi, "22 1 8:3 / / rw - ext4 /dev/sda3 rw\n");
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), 0, "a device sysfs does not list: not visible");
	CHECK_STR(why, "/ is ext4 (/dev/sda3, device 8:3), not a block device here", "  reason");

	/* a chroot that is no mount point: no line for / at all */
	put(mi, "23 22 0:21 / /proc rw - proc proc rw\n");
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), 0, "no mount of /: not visible");
	CHECK(strstr(why, "not a mount point") != NULL, "  reason says so");

	/* a truncated line is skipped, not trusted */
	put(mi, "22 1 254:1 /\n");
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), 0, "a truncated line is no mount of /");

	env.mountinfo = "/nonexistent/mountinfo";
	CHECK_EQ_INT(interlock_root_visible(&env, why, sizeof(why)), -ENOENT, "unreadable mountinfo: -ENOENT");

	unlink(mi);
	unlink(dev);
	snprintf(dev, sizeof(dev), "%s/sys/dev/block", root);
	rmdir(dev);
	snprintf(dev, sizeof(dev), "%s/sys/dev", root);
	rmdir(dev);
	rmdir(sys);
	rmdir(root);
}

int main(void)
{
	struct blkdev_info *d = malloc(sizeof(*d));
	struct interlock_result r;
	const char *names[INTERLOCK_PARTIAL + 1];
	char file[] = "/tmp/sz-interlock.XXXXXX";
	int fd = -1, i, k, distinct = 1;

	base(d);
	CHECK_EQ_INT(interlock_check(d, NULL, &r), 0, "a free device passes");
	CHECK_EQ_INT(r.reason, INTERLOCK_OK, "  reason ok");
	CHECK_EQ_INT(interlock_check(d, "loop:/srv/a.img", &r), 0, "  with the expected identity");

	d->system = 1;
	snprintf(d->system_reason, sizeof(d->system_reason), "holds /");
	d->mounted = 1;
	snprintf(d->mount_point, sizeof(d->mount_point), "/");
	CHECK_EQ_INT(interlock_check(d, NULL, &r), -EPERM, "system disk refused");
	CHECK_STR(interlock_reason_name(r.reason), "system", "  reason system, before mounted");
	CHECK_STR(r.message, "cannot wipe /dev/loop9: device is the system disk (holds /)", "  message");

	base(d);
	d->mounted = 1;
	snprintf(d->mount_point, sizeof(d->mount_point), "/mnt/x");
	CHECK_EQ_INT(interlock_check(d, NULL, &r), -EPERM, "mounted refused");
	CHECK_STR(interlock_reason_name(r.reason), "mounted", "  reason mounted");
	CHECK_STR(r.message, "cannot wipe /dev/loop9: device is mounted on /mnt/x", "  message");

	base(d);
	d->swap = 1;
	CHECK_EQ_INT(interlock_check(d, NULL, &r), -EPERM, "active swap refused");
	CHECK_STR(interlock_reason_name(r.reason), "system", "  as the system disk");

	base(d);
	d->nholders = 2;
	snprintf(d->holders[0], sizeof(d->holders[0]), "dm-3");
	snprintf(d->holders[1], sizeof(d->holders[1]), "md0");
	CHECK_EQ_INT(interlock_check(d, NULL, &r), -EPERM, "holders refused");
	CHECK_STR(interlock_reason_name(r.reason), "holders", "  reason holders");
	CHECK_STR(r.message, "cannot wipe /dev/loop9: device is held by dm-3 and others", "  message");

	base(d);
	d->read_only = 1;
	CHECK_EQ_INT(interlock_check(d, NULL, &r), -EPERM, "read-only refused");
	CHECK_STR(interlock_reason_name(r.reason), "read_only", "  reason read_only");
	CHECK_STR(r.message, "cannot wipe /dev/loop9: device is read-only", "  message");

	base(d);
	CHECK_EQ_INT(interlock_check(d, "loop:/srv/b.img", &r), -EPERM, "identity mismatch refused");
	CHECK_STR(interlock_reason_name(r.reason), "identity_mismatch", "  reason identity_mismatch");
	CHECK_STR(r.message, "cannot wipe /dev/loop9: identity is 'loop:/srv/a.img', expected 'loop:/srv/b.img'", "  message");
	CHECK_EQ_INT(interlock_check(d, "", &r), -EPERM, "an empty expected identity matches nothing");
	d->identity[0] = '\0';
	CHECK_EQ_INT(interlock_check(d, "", &r), -EPERM, "  not even a device without one");

	/* issue 10 item 1: an asset's wipe covers its whole drive */
	base(d);
	d->partition = 1;
	snprintf(d->name, sizeof(d->name), "loop9p1");
	snprintf(d->path, sizeof(d->path), "/dev/loop9p1");
	snprintf(d->parent, sizeof(d->parent), "loop9");
	CHECK_EQ_INT(interlock_check(d, NULL, &r), 0, "a bare partition passes without an asset");
	CHECK_EQ_INT(interlock_check(d, "loop:/srv/a.img", &r), -EPERM, "a partition of the asset's drive is refused");
	CHECK_STR(interlock_reason_name(r.reason), "partial_device", "  reason partial_device");
	CHECK_STR(r.message, "cannot sanitize /dev/loop9p1: /dev/loop9p1 is a partition of loop9, not the whole drive "
		  "(partial_device)", "  message names the parent");
	CHECK_STR(blkdev_scope(d, NULL, 0), "partition", "  scope partition");
	CHECK_EQ_INT(interlock_whole(d, 1 << 20, &r), -EPERM, "  interlock_whole refuses it at any size");
	base(d);
	d->loop_offset = 4096;
	CHECK_EQ_INT(interlock_check(d, "loop:/srv/a.img", &r), -EPERM, "a loop with an offset is refused");
	CHECK_STR(interlock_reason_name(r.reason), "partial_device", "  reason partial_device");
	CHECK_STR(blkdev_scope(d, NULL, 0), "partial_loop", "  scope partial_loop");
	base(d);
	d->loop_sizelimit = 512 * 1024;
	CHECK_EQ_INT(interlock_whole(d, 0, &r), -EPERM, "a loop with a size limit is refused");
	base(d);
	d->backing_size = (1 << 20) + 512;
	CHECK_EQ_INT(interlock_whole(d, 0, &r), -EPERM, "a loop shorter than its backing file is refused");
	CHECK_STR(r.message, "cannot sanitize /dev/loop9: /dev/loop9 covers 1048576 of the 1049088 bytes of its "
		  "backing file (partial_device)", "  message gives both sizes");
	base(d);
	d->backing_size = 1 << 20;
	CHECK_EQ_INT(interlock_whole(d, 1 << 20, &r), 0, "the whole loop device of the asset's capacity passes");
	CHECK_STR(blkdev_scope(d, NULL, 0), "whole_device", "  scope whole_device");
	CHECK_EQ_INT(interlock_whole(d, 2 << 20, &r), -EPERM, "a size other than capacity_bytes is refused");
	CHECK_STR(r.message, "cannot sanitize /dev/loop9: its size is 1048576 bytes, the asset's capacity is "
		  "2097152 bytes (partial_device)", "  message gives both sizes");
	CHECK_EQ_INT(interlock_whole(d, (1 << 20) - 512, &r), -EPERM, "  larger than the capacity too");

	for (i = 0; i <= INTERLOCK_PARTIAL; i++)
		names[i] = interlock_reason_name((enum interlock_reason)i);
	for (i = 0; i <= INTERLOCK_PARTIAL; i++)
		for (k = 0; k < i; k++)
			if (!strcmp(names[i], names[k]))
				distinct = 0;
	CHECK(distinct, "every reason has its own name");
	CHECK_STR(interlock_reason_name(INTERLOCK_BUSY), "busy", "busy's name");

	/* the open refuses something that is not the probed device, and never writes it */
	fd = mkstemp(file);
	if (fd < 0 || write(fd, "keep", 4) != 4)
		return 1;
	close(fd);
	fd = -1;
	base(d);
	snprintf(d->path, sizeof(d->path), "%s", file);
	d->major = 7;
	d->minor = 9;
	CHECK_EQ_INT(interlock_open(d, 0, &fd, &r), -EPERM, "a regular file in place of the device is refused");
	CHECK_STR(interlock_reason_name(r.reason), "changed", "  reason changed");
	CHECK_EQ_INT(fd, -1, "  no descriptor handed out");
	snprintf(d->path, sizeof(d->path), "/nonexistent/dev");
	CHECK_EQ_INT(interlock_open(d, 0, &fd, &r), -ENOENT, "missing device: plain error");
	CHECK_EQ_INT(r.reason, INTERLOCK_OK, "  not an interlock");
	unlink(file);
	free(d);
	root_visible();
	return tap_done();
}
