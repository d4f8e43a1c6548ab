/*
 * purge_nvme: which namespaces an NVMe Sanitize (or a Format NVM with FNA
 * bit 0/1) reaches, from a fake sysfs tree in a temp dir (issue 10 item 2).
 * Subsystem 0 has two controllers (nvme0, nvme1) with native multipath:
 * namespace heads nvme0n1, nvme0n2 in the subsystem directory, paths
 * nvme0c0n1, nvme0c0n2, nvme1c1n1 under the controllers; nvme0n2 is
 * mounted.  Subsystem 1 has one controller nvme2 without multipath and
 * namespaces nvme2n1, nvme2n3 under it.
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
#include "tests/unit/tap.h"

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void mkparents(char *path, size_t skip)
{
	for (char *p = path + skip; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
}

static void puts_(const char *rel, const char *s)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparents(path, strlen(root) + 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	close(fd);
}

static void dir_(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/", root, rel);
	mkparents(path, strlen(root) + 1);
}

static void link_(const char *target_rel, const char *rel)
{
	char t[512], l[512];

	snprintf(t, sizeof(t), "%s/%s", root, target_rel);
	snprintf(l, sizeof(l), "%s/%s", root, rel);
	mkparents(l, strlen(root) + 1);
	if (symlink(t, l) < 0)
		abort();
}

/* a whole disk at dirrel, named name, number dev, listed in /sys/block */
static void disk(const char *dirrel, const char *name, const char *dev)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/dev", dirrel);
	puts_(rel, dev);
	snprintf(rel, sizeof(rel), "%s/size", dirrel);
	puts_(rel, "131072\n");
	snprintf(rel, sizeof(rel), "%s/ro", dirrel);
	puts_(rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/queue/logical_block_size", dirrel);
	puts_(rel, "512\n");
	snprintf(rel, sizeof(rel), "class/block/%s", name);
	link_(dirrel, rel);
	snprintf(rel, sizeof(rel), "block/%s", name);
	link_(dirrel, rel);
}

int main(void)
{
	static const char s0[] = "devices/virtual/nvme-subsystem/nvme-subsys0";
	static const char s1[] = "devices/virtual/nvme-subsystem/nvme-subsys1";
	static const char c0[] = "devices/pci0000:00/0000:00:04.0/nvme/nvme0";
	static const char c1[] = "devices/pci0000:00/0000:00:05.0/nvme/nvme1";
	static const char c2[] = "devices/pci0000:00/0000:00:06.0/nvme/nvme2";
	char (*names)[BLKDEV_NAME_MAX] = calloc(PURGE_HELD_MAX, BLKDEV_NAME_MAX);
	char subsys[BLKDEV_NAME_MAX], refusal[24], msg[640], mi[256], sw[256], rel[512];
	struct blkdev_env env;
	unsigned n = 0;

	snprintf(root, sizeof(root), "/tmp/sz-purge-nvme.XXXXXX");
	if (!mkdtemp(root) || !names)
		return 1;
	/* subsystem 0: two controllers, multipath heads in the subsystem */
	disk("devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", "nvme0n1", "259:1\n");
	disk("devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n2", "nvme0n2", "259:2\n");
	puts_("devices/virtual/nvme-subsystem/nvme-subsys0/subsysnqn", "nqn.2019-08.org.qemu:sz\n");
	dir_("devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0c0n1");
	dir_("devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0c0n2");
	dir_("devices/pci0000:00/0000:00:05.0/nvme/nvme1/nvme1c1n1");
	puts_("devices/pci0000:00/0000:00:04.0/nvme/nvme0/serial", "SZ0001\n");
	link_(c0, "devices/virtual/nvme-subsystem/nvme-subsys0/nvme0");
	link_(c1, "devices/virtual/nvme-subsystem/nvme-subsys0/nvme1");
	link_(s0, "class/nvme-subsystem/nvme-subsys0");
	/* subsystem 1: one controller, no multipath: namespaces under the controller */
	disk("devices/pci0000:00/0000:00:06.0/nvme/nvme2/nvme2n1", "nvme2n1", "259:5\n");
	disk("devices/pci0000:00/0000:00:06.0/nvme/nvme2/nvme2n3", "nvme2n3", "259:6\n");
	dir_(s1);
	link_(c2, "devices/virtual/nvme-subsystem/nvme-subsys1/nvme2");
	link_(s1, "class/nvme-subsystem/nvme-subsys1");
	link_(c0, "class/nvme/nvme0");
	link_(c1, "class/nvme/nvme1");
	link_(c2, "class/nvme/nvme2");

	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	puts_("mountinfo", "26 1 254:0 / / rw,relatime - ext4 /dev/vda1 rw\n"
			   "40 26 259:2 / /srv/data rw,relatime - ext2 /dev/nvme0n2 rw\n");
	snprintf(sw, sizeof(sw), "%s/swaps", root);
	puts_("swaps", "Filename\tType\tSize\tUsed\tPriority\n");
	memset(&env, 0, sizeof(env));
	env.sys = root;
	env.mountinfo = mi;
	env.swaps = sw;
	env.no_blkid = 1;

	/* enumeration */
	CHECK_EQ_INT(purge_nvme_subsystem(root, "nvme0n1", names, PURGE_HELD_MAX, &n, subsys), 0,
		     "the subsystem of nvme0n1 is found");
	CHECK_STR(subsys, "nvme-subsys0", "  nvme-subsys0");
	CHECK_EQ_INT(n, 2, "  two namespaces (the paths nvme0c0n1, nvme0c0n2, nvme1c1n1 are the heads')");
	CHECK(n == 2 && !strcmp(names[0], "nvme0n1") && !strcmp(names[1], "nvme0n2"), "  nvme0n1 and nvme0n2, sorted");
	CHECK_EQ_INT(purge_nvme_subsystem(root, "nvme0n2", names, PURGE_HELD_MAX, &n, subsys), 0,
		     "nvme0n2 is in the same subsystem");
	CHECK_STR(subsys, "nvme-subsys0", "  nvme-subsys0");
	CHECK_EQ_INT(purge_nvme_subsystem(root, "nvme2n3", names, PURGE_HELD_MAX, &n, subsys), 0,
		     "without multipath: the namespaces under the controller");
	CHECK(n == 2 && !strcmp(names[0], "nvme2n1") && !strcmp(names[1], "nvme2n3") &&
	      !strcmp(subsys, "nvme-subsys1"), "  nvme2n1 and nvme2n3 of nvme-subsys1");
	CHECK_EQ_INT(purge_nvme_subsystem(root, "nvme9n1", names, PURGE_HELD_MAX, &n, subsys), -ENOENT,
		     "a namespace no subsystem lists: -ENOENT");
	CHECK_EQ_INT(n, 0, "  and nothing listed");
	CHECK_EQ_INT(purge_nvme_subsystem(root, "nvme0c0n1", names, PURGE_HELD_MAX, &n, subsys), -ENOENT,
		     "a path device is not a namespace");
	CHECK_EQ_INT(purge_nvme_subsystem(root, "nvme0n1", names, 1, &n, subsys), -E2BIG,
		     "more namespaces than the cap: -E2BIG");

	/* the interlocks on every other namespace */
	CHECK_EQ_INT(purge_nvme_subsystem_check(&env, "nvme0n1", "nvme-sanitize-block", names, PURGE_HELD_MAX, &n,
						refusal, msg, sizeof(msg)), -EPERM,
		     "sanitize of nvme0n1 refused: nvme0n2 of the same subsystem is mounted");
	CHECK_STR(refusal, "mounted", "  refusal mounted");
	CHECK_STR(msg, "cannot nvme-sanitize-block /dev/nvme0n1: the command acts on the whole nvm subsystem "
		  "nvme-subsys0, and its namespace nvme0n2 is in use: device is mounted on /srv/data",
		  "  naming the namespace and its mount point");
	CHECK_EQ_INT(purge_nvme_subsystem_check(&env, "nvme2n1", "nvme-format-user", names, PURGE_HELD_MAX, &n,
						refusal, msg, sizeof(msg)), 0,
		     "nvme2n1: the other namespace nvme2n3 is free: allowed");
	CHECK(n == 1 && !strcmp(names[0], "nvme2n3"), "  the one other namespace is returned to be held");
	CHECK_STR(refusal, "", "  no refusal");
	puts_("devices/pci0000:00/0000:00:06.0/nvme/nvme2/nvme2n3/holders/dm-3", "");
	CHECK_EQ_INT(purge_nvme_subsystem_check(&env, "nvme2n1", "nvme-format-user", NULL, 0, NULL, refusal, msg,
						sizeof(msg)), -EPERM, "once nvme2n3 is held by dm-3: refused");
	CHECK_STR(refusal, "holders", "  refusal holders");
	CHECK(strstr(msg, "namespace nvme2n3 is in use: device is held by dm-3") != NULL, "  naming nvme2n3 and dm-3");
	CHECK_EQ_INT(purge_nvme_subsystem_check(&env, "nvme7n1", "nvme-sanitize-crypto", NULL, 0, NULL, refusal, msg,
						sizeof(msg)), -EPERM, "a namespace whose subsystem is unknown: refused");
	CHECK_STR(refusal, "subsystem_unknown", "  as subsystem_unknown (not \"nothing else there\")");
	snprintf(rel, sizeof(rel), "%s/class/nvme-subsystem", root);
	nftw(rel, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	CHECK_EQ_INT(purge_nvme_subsystem_check(&env, "nvme0n1", "nvme-sanitize-crypto", NULL, 0, NULL, refusal, msg,
						sizeof(msg)), -EPERM, "no nvme-subsystem class in sysfs: refused");
	CHECK_STR(refusal, "subsystem_unknown", "  as subsystem_unknown");

	/* which commands reach the whole subsystem */
	{
		struct nvme_ctrl_info ci;

		memset(&ci, 0, sizeof(ci));
		CHECK(purge_nvme_whole_subsystem(PURGE_NVME_SANITIZE_CRYPTO, &ci) &&
		      purge_nvme_whole_subsystem(PURGE_NVME_SANITIZE_BLOCK, &ci) &&
		      purge_nvme_whole_subsystem(PURGE_NVME_SANITIZE_OVERWRITE, &ci), "sanitize: always the whole subsystem");
		CHECK(!purge_nvme_whole_subsystem(PURGE_NVME_FORMAT_USER, &ci) &&
		      !purge_nvme_whole_subsystem(PURGE_NVME_FORMAT_CRYPTO, &ci), "format with FNA 0: this namespace only");
		ci.fna_all_ns = 1;
		CHECK(purge_nvme_whole_subsystem(PURGE_NVME_FORMAT_USER, &ci), "format with FNA bit 0: every namespace");
		ci.fna_all_ns = 0;
		ci.fna_erase_all_ns = 1;
		CHECK(purge_nvme_whole_subsystem(PURGE_NVME_FORMAT_CRYPTO, &ci) &&
		      purge_nvme_whole_subsystem(PURGE_NVME_FORMAT_USER, &ci),
		      "format with FNA bit 1: our formats always erase, so every namespace");
		CHECK(!purge_nvme_whole_subsystem(PURGE_ATA_SECURE_ERASE, &ci), "not an nvme method: 0");
	}

	free(names);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
