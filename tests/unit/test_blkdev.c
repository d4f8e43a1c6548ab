/*
 * blkdev: discovery against a fake sysfs tree (transport, identity, serial
 * from VPD page 0x80, holders, partitions, mounts through holders, the
 * system disk), then a read-only look at the real machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drivers/blkdev.h"
#include "tests/unit/tap.h"

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path) < 0 ? 0 : 0;
}

static void put(const char *rel, const void *data, size_t len)
{
	char path[512], *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void puts_(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

static void link_(const char *target_rel, const char *rel)
{
	char t[512], l[512], *p;

	snprintf(t, sizeof(t), "%s/%s", root, target_rel);
	snprintf(l, sizeof(l), "%s/%s", root, rel);
	for (p = l + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(l, 0755);
		*p = '/';
	}
	if (symlink(t, l) < 0)
		abort();
}

static void disk(const char *dirrel, const char *name, const char *dev, const char *size, const char *lbs)
{
	char rel[512], cls[128];

	snprintf(rel, sizeof(rel), "%s/dev", dirrel);
	puts_(rel, dev);
	snprintf(rel, sizeof(rel), "%s/size", dirrel);
	puts_(rel, size);
	snprintf(rel, sizeof(rel), "%s/ro", dirrel);
	puts_(rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/queue/logical_block_size", dirrel);
	puts_(rel, lbs);
	snprintf(cls, sizeof(cls), "class/block/%s", name);
	link_(dirrel, cls);
	snprintf(cls, sizeof(cls), "block/%s", name);
	link_(dirrel, cls);
}

static int has(const char (*v)[BLKDEV_NAME_MAX], unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

int main(void)
{
	static const char loop[] = "devices/virtual/block/loop7";
	static const char sda[] = "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda";
	static const char nvme[] = "devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1";
	static const unsigned char vpd[] = { 0, 0x80, 0, 12, 'S', '5', 'X', 'X', 'N', 'F', '0', 'R', '1', '2', '3', '4' };
	char path[256], mi[256], sw[256], devnum[32];
	struct blkdev_env env;
	struct blkdev_info *d = malloc(sizeof(*d)), *v = NULL;
	struct stat st;
	size_t n = 0;
	json_t *j;
	char *text;

	snprintf(root, sizeof(root), "/tmp/sz-blkdev.XXXXXX");
	if (!mkdtemp(root) || !d)
		return 1;
	/* a loop device, held by dm-0, which is mounted on "/mnt/my data" */
	disk(loop, "loop7", "7:7\n", "131072\n", "4096\n");
	puts_("devices/virtual/block/loop7/loop/backing_file", "/srv/img/disk 1.img\n");
	puts_("devices/virtual/block/loop7/holders/dm-0", "");
	disk("devices/virtual/block/dm-0", "dm-0", "254:9\n", "100\n", "512\n");
	disk("devices/virtual/block/loop8", "loop8", "7:8\n", "0\n", "512\n");	/* detached */
	/* a SATA disk whose partition holds / */
	disk(sda, "sda", "8:0\n", "2000\n", "512\n");
	puts_("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/model", "Samsung SSD 870 \n");
	put("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/vpd_pg80", vpd, sizeof(vpd));
	puts_("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/wwid", "naa.5002538f00000000\n");
	link_("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0", "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/device");
	disk("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1", "sda1", "8:1\n", "1000\n", "512\n");
	puts_("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1/partition", "1\n");
	snprintf(path, sizeof(path), "%s/block/sda1", root);
	unlink(path);	/* /sys/block lists whole disks only */
	/* an NVMe disk that holds the state directory: its number is our temp dir's */
	stat(root, &st);
	snprintf(devnum, sizeof(devnum), "%u:%u\n", major(st.st_dev), minor(st.st_dev));
	disk(nvme, "nvme0n1", devnum, "4000\n", "4096\n");
	puts_("devices/pci0000:00/0000:00:1d.0/nvme/nvme0/serial", "  S4EWNX0R  \n");
	puts_("devices/pci0000:00/0000:00:1d.0/nvme/nvme0/model", "Samsung SSD 980\n");
	link_("devices/pci0000:00/0000:00:1d.0/nvme/nvme0", "devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1/device");
	puts_("devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1/wwid", "eui.0025385b01234567\n");

	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	puts_("mountinfo", "26 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
			   "36 25 254:9 / /mnt/my\\040data rw,relatime shared:1 - ext4 /dev/mapper/x rw\n"
			   "garbage line\n");
	snprintf(sw, sizeof(sw), "%s/swaps", root);
	puts_("swaps", "Filename\tType\tSize\tUsed\tPriority\n/nonexistent/swap\tfile\t1\t0\t-2\n");
	snprintf(path, sizeof(path), "%s/sys", root);
	memset(&env, 0, sizeof(env));
	env.sys = root;
	env.mountinfo = mi;
	env.swaps = sw;
	env.state_dir = root;
	env.no_blkid = 1;

	CHECK_EQ_INT(blkdev_probe_name(&env, "loop7", d), 0, "probe loop7");
	CHECK_STR(d->transport, "loop", "  transport loop (from its place in sysfs)");
	CHECK_STR(d->identity, "loop:/srv/img/disk 1.img", "  identity loop:<backing file> (SPEC 7)");
	CHECK_EQ_INT(d->size, 131072ull * 512, "  size from 512-byte sectors");
	CHECK_EQ_INT(d->logical_block_size, 4096, "  4096-byte logical blocks");
	CHECK(d->nholders == 1 && !strcmp(d->holders[0], "dm-0"), "  held by dm-0");
	CHECK(d->mounted, "  mounted through its holder");
	CHECK_STR(d->mount_point, "/mnt/my data", "  mount point unescaped");
	CHECK(!d->system, "  not the system disk");
	CHECK(blkdev_identity_matches(d, "loop:/srv/img/disk 1.img"), "  identity matches itself");
	CHECK(!blkdev_identity_matches(d, "loop:/srv/img/disk 2.img"), "  and nothing else");
	CHECK(!blkdev_identity_matches(d, ""), "  never the empty string");
	j = blkdev_to_json(d);
	text = json_dumps(j, JSON_COMPACT);
	CHECK(text && strstr(text, "\"identity\":\"loop:/srv/img/disk 1.img\"") && strstr(text, "\"holders\":[\"dm-0\"]") &&
	      strstr(text, "\"mounted\":true") && strstr(text, "\"clear-zero\"") && !strstr(text, "luks-crypto-erase"),
	      "  JSON as GET /v1/devices serves it");
	free(text);
	json_decref(j);

	CHECK_EQ_INT(blkdev_probe_name(&env, "sda", d), 0, "probe sda");
	CHECK_STR(d->transport, "sata", "  transport sata");
	CHECK_STR(d->serial, "S5XXNF0R1234", "  serial from VPD page 0x80");
	CHECK_STR(d->model, "Samsung SSD 870", "  model trimmed");
	CHECK_STR(d->wwn, "naa.5002538f00000000", "  WWN");
	CHECK_STR(d->identity, "S5XXNF0R1234", "  identity is the serial");
	CHECK(blkdev_identity_matches(d, "naa.5002538f00000000"), "  the WWN names it too");
	CHECK(d->npartitions == 1 && has(d->partitions, d->npartitions, "sda1"), "  partition sda1");
	CHECK(d->system && !strcmp(d->system_reason, "holds /"), "  system disk: a partition holds /");
	CHECK(d->mounted, "  and mounted");

	CHECK_EQ_INT(blkdev_probe_name(&env, "sda1", d), 0, "probe sda1");
	CHECK(d->partition && !strcmp(d->parent, "sda"), "  a partition of sda");
	CHECK(d->system, "  part of the system disk");
	CHECK_STR(d->serial, "S5XXNF0R1234", "  the disk's serial");

	CHECK_EQ_INT(blkdev_probe_name(&env, "nvme0n1", d), 0, "probe nvme0n1");
	CHECK_STR(d->transport, "nvme", "  transport nvme");
	CHECK_STR(d->serial, "S4EWNX0R", "  serial trimmed");
	CHECK(d->system && !strcmp(d->system_reason, "holds the state directory"), "  holds the state directory");
	CHECK(!d->mounted, "  not mounted");
	env.state_dir = NULL;
	blkdev_probe_name(&env, "nvme0n1", d);
	CHECK(!d->system, "  without a state directory it is not the system disk");
	env.state_dir = root;

	CHECK_EQ_INT(blkdev_list(&env, &v, &n), 0, "list");
	CHECK(n == 4 && !strcmp(v[0].name, "dm-0") && !strcmp(v[1].name, "loop7") && !strcmp(v[2].name, "nvme0n1") &&
	      !strcmp(v[3].name, "sda"), "  sorted, the detached loop8 left out");
	j = blkdev_list_to_json(v, n);
	CHECK(j && json_array_size(json_object_get(j, "devices")) == 4, "  {\"devices\":[4 entries]}");
	json_decref(j);
	free(v);

	/* read-only devices offer no methods */
	blkdev_probe_name(&env, "loop7", d);
	d->read_only = 1;
	j = blkdev_to_json(d);
	CHECK(json_array_size(json_object_get(j, "methods")) == 0, "read-only: no methods");
	json_decref(j);

	/* hostile names and paths */
	CHECK_EQ_INT(blkdev_probe_name(&env, "../etc", d), -EINVAL, "a name with a slash is refused");
	CHECK_EQ_INT(blkdev_probe_name(&env, "..", d), -EINVAL, "dot names refused");
	CHECK_EQ_INT(blkdev_probe_name(&env, "", d), -EINVAL, "empty name refused");
	CHECK_EQ_INT(blkdev_probe_name(&env, "sdzz", d), -ENOENT, "unknown device");
	CHECK_EQ_INT(blkdev_probe_name(&env, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", d), -EINVAL, "overlong name refused");
	CHECK_EQ_INT(blkdev_probe_path(&env, mi, d), -ENOTBLK, "a regular file is not a block device");
	CHECK_EQ_INT(blkdev_probe_path(&env, "/nonexistent", d), -ENOENT, "missing path");
	/* a VPD page that is not 0x80 gives no serial, not garbage */
	put("devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/vpd_pg80", "\0\x83\0\x04" "ABCD", 8);
	blkdev_probe_name(&env, "sda", d);
	CHECK_STR(d->serial, "", "bogus VPD page ignored");
	CHECK_STR(d->identity, "naa.5002538f00000000", "  identity falls back to the WWN");

	/* the real machine, read-only: the disk holding / is the system disk */
	{
		struct stat rs;
		struct blkdev_info *all = NULL;
		size_t k, sys = 0;
		if (stat("/", &rs) == 0 && blkdev_list(NULL, &all, &k) == 0) {
			for (size_t i = 0; i < k; i++)
				sys += all[i].system;
			CHECK(k == 0 || sys >= 1 || major(rs.st_dev) == 0, "real machine: some disk is the system disk");
			free(all);
		} else {
			CHECK(1, "real machine: no sysfs here # skip");
		}
	}

	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(d);
	(void)path;
	return tap_done();
}
