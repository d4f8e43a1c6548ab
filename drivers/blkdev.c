#include "drivers/blkdev.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/xio.h"

/* The device numbers that make a device "in use": itself, partitions, holders. */
#define DEVSET_MAX 128
struct devset {
	unsigned n;
	dev_t d[DEVSET_MAX];
	char dn[DEVSET_MAX][BLKDEV_NAME_MAX];
};

/* Caps for sysfs/proc reads: a sysfs attribute is at most a page. */
#define ATTR_CAP 4096
#define PROC_CAP (4u << 20)

void blkdev_env_default(struct blkdev_env *env)
{
	memset(env, 0, sizeof(*env));
	env->sys = "/sys";
	env->mountinfo = "/proc/self/mountinfo";
	env->swaps = "/proc/swaps";
}

static const char *sys_root(const struct blkdev_env *env)
{
	return env && env->sys ? env->sys : "/sys";
}

/* Copy src into dst[cap] trimmed of surrounding white space; 1 if it did not fit. */
static int copy_trim(char *dst, size_t cap, const char *src, size_t len)
{
	int trunc = 0;

	while (len && (src[len - 1] == '\n' || src[len - 1] == ' ' || src[len - 1] == '\t' || src[len - 1] == '\0'))
		len--;
	while (len && (*src == ' ' || *src == '\t')) {
		src++;
		len--;
	}
	if (len >= cap) {
		len = cap - 1;
		trunc = 1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return trunc;
}

/* Read <sys>/class/block/<name>/<attr> trimmed into out[cap]; -errno if absent. */
static int attr(const struct blkdev_env *env, const char *name, const char *a, char *out, size_t cap)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/class/block/%s/%s", sys_root(env), name, a) >= sizeof(path))
		return -ENAMETOOLONG;
	rc = xread_file(path, ATTR_CAP, &buf, &len);
	if (rc < 0)
		return rc;
	copy_trim(out, cap, buf, len);
	free(buf);
	return 0;
}

static uint64_t attr_u64(const struct blkdev_env *env, const char *name, const char *a, uint64_t dflt)
{
	char v[64], *end;
	unsigned long long x;

	if (attr(env, name, a, v, sizeof(v)) < 0 || !v[0])
		return dflt;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end)
		return dflt;
	return x;
}

static int attr_dev(const struct blkdev_env *env, const char *name, dev_t *d)
{
	char v[32];
	unsigned ma, mi;

	if (attr(env, name, "dev", v, sizeof(v)) < 0 || sscanf(v, "%u:%u", &ma, &mi) != 2)
		return -ENOENT;
	*d = makedev(ma, mi);
	return 0;
}

/*
 * SCSI VPD page 0x80, unit serial number (SPC-4 7.8.14): 4-byte header, the
 * length in byte 3, then ASCII.  libata exposes it for SATA disks too.
 */
static int vpd80_serial(const struct blkdev_env *env, const char *name, char *out, size_t cap)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len, n;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/class/block/%s/device/vpd_pg80", sys_root(env), name) >= sizeof(path))
		return -ENAMETOOLONG;
	rc = xread_file(path, 255 + 4, &buf, &len);
	if (rc < 0)
		return rc;
	if (len < 4 || (uint8_t)buf[1] != 0x80) {
		free(buf);
		return -EINVAL;
	}
	n = (uint8_t)buf[3];
	if (n > len - 4)
		n = len - 4;
	copy_trim(out, cap, buf + 4, n);
	free(buf);
	return 0;
}

/* Names in a sysfs directory, for holders; ignores the dot entries. */
static void list_dir(const struct blkdev_env *env, const char *name, const char *sub,
		     char (*names)[BLKDEV_NAME_MAX], unsigned cap, unsigned *n, int *trunc)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	if ((size_t)snprintf(path, sizeof(path), "%s/class/block/%s/%s", sys_root(env), name, sub) >= sizeof(path))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (*n >= cap || strlen(de->d_name) >= BLKDEV_NAME_MAX) {
			*trunc = 1;
			continue;
		}
		copy_trim(names[(*n)++], BLKDEV_NAME_MAX, de->d_name, strlen(de->d_name));
	}
	closedir(dir);
}

/* Partitions: subdirectories named <disk>... that hold a "partition" attribute. */
static void list_partitions(const struct blkdev_env *env, struct blkdev_info *d)
{
	char path[PATH_MAX], probe[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/class/block/%s", sys_root(env), d->name) >= sizeof(path))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, d->name, strlen(d->name)) || !strcmp(de->d_name, d->name))
			continue;
		if ((size_t)snprintf(probe, sizeof(probe), "%s/%s/partition", path, de->d_name) >= sizeof(probe) ||
		    stat(probe, &st) < 0)
			continue;
		if (d->npartitions >= BLKDEV_MAX_PARTS || strlen(de->d_name) >= BLKDEV_NAME_MAX) {
			d->truncated = 1;
			continue;
		}
		copy_trim(d->partitions[d->npartitions++], BLKDEV_NAME_MAX, de->d_name, strlen(de->d_name));
	}
	closedir(dir);
}

static void devset_add(const struct blkdev_env *env, struct devset *s, const char *name, int depth)
{
	char holders[BLKDEV_MAX_HOLDERS][BLKDEV_NAME_MAX];
	unsigned n = 0, i;
	int trunc = 0;
	dev_t d;

	if (s->n >= DEVSET_MAX || attr_dev(env, name, &d) < 0)
		return;
	for (i = 0; i < s->n; i++)
		if (s->d[i] == d)
			return;
	s->d[s->n] = d;
	copy_trim(s->dn[s->n++], BLKDEV_NAME_MAX, name, strlen(name));
	/* a holder stacked on us (dm, md, LVM) carries our data: its mounts count */
	if (depth >= 4)
		return;
	list_dir(env, name, "holders", holders, BLKDEV_MAX_HOLDERS, &n, &trunc);
	for (i = 0; i < n; i++)
		devset_add(env, s, holders[i], depth + 1);
}

static int devset_has(const struct devset *s, dev_t d, const char *devpath)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		if (s->d[i] == d)
			return 1;
		/* btrfs and others report anonymous device numbers; the source still names the device */
		if (devpath && !strncmp(devpath, "/dev/", 5) && !strcmp(devpath + 5, s->dn[i]))
			return 1;
	}
	return 0;
}

/* Undo mountinfo's octal escapes (\040 for space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* proc(5) mountinfo: "id parent maj:min root mountpoint opts [tags] - fstype source superopts". */
static void scan_mounts(const struct blkdev_env *env, const struct devset *s, struct blkdev_info *d)
{
	char *buf = NULL, *line, *next;
	size_t len;

	if (xread_file(env->mountinfo ? env->mountinfo : "/proc/self/mountinfo", PROC_CAP, &buf, &len) < 0)
		return;
	for (line = buf; line && *line; line = next) {
		char *f[6] = { 0 }, *p, *src = NULL, *save = NULL;
		unsigned ma, mi, k = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (p = strtok_r(line, " ", &save); p && k < 6; p = strtok_r(NULL, " ", &save))
			f[k++] = p;
		if (k < 6 || sscanf(f[2], "%u:%u", &ma, &mi) != 2)
			continue;
		while (p && strcmp(p, "-"))
			p = strtok_r(NULL, " ", &save);
		if (p && strtok_r(NULL, " ", &save))
			src = strtok_r(NULL, " ", &save);
		if (!devset_has(s, makedev(ma, mi), src))
			continue;
		unescape(f[4]);
		if (!d->mounted) {
			d->mounted = 1;
			copy_trim(d->mount_point, sizeof(d->mount_point), f[4], strlen(f[4]));
		}
		if (!strcmp(f[4], "/") && !d->system) {
			d->system = 1;
			copy_trim(d->system_reason, sizeof(d->system_reason), "holds /", 7);
		}
	}
	free(buf);
}

/* /proc/swaps: a swap partition (by device number) or a swap file on our filesystem. */
static void scan_swaps(const struct blkdev_env *env, const struct devset *s, struct blkdev_info *d)
{
	char *buf = NULL, *line, *next;
	size_t len;

	if (xread_file(env->swaps ? env->swaps : "/proc/swaps", PROC_CAP, &buf, &len) < 0)
		return;
	line = strchr(buf, '\n');	/* header */
	for (line = line ? line + 1 : NULL; line && *line; line = next) {
		struct stat st;
		char *sp;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sp = strpbrk(line, " \t");
		if (sp)
			*sp = '\0';
		unescape(line);
		if (stat(line, &st) < 0)
			continue;
		if (devset_has(s, S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev, NULL)) {
			d->swap = 1;
			if (!d->system) {
				d->system = 1;
				copy_trim(d->system_reason, sizeof(d->system_reason), "holds swap", 10);
			}
		}
	}
	free(buf);
}

static void add_sig(struct blkdev_info *d, const char *type, const char *usage, const char *where)
{
	unsigned i;

	for (i = 0; i < d->nsigs; i++)
		if (!strcmp(d->sigs[i].type, type) && !strcmp(d->sigs[i].device, where))
			return;
	if (d->nsigs >= BLKDEV_MAX_SIGS) {
		d->truncated = 1;
		return;
	}
	copy_trim(d->sigs[d->nsigs].type, sizeof(d->sigs[0].type), type, strlen(type));
	copy_trim(d->sigs[d->nsigs].usage, sizeof(d->sigs[0].usage), usage, strlen(usage));
	copy_trim(d->sigs[d->nsigs].device, sizeof(d->sigs[0].device), where, strlen(where));
	d->nsigs++;
}

/* Every signature libblkid sees on /dev/<name>: superblocks and partition tables. */
static void probe_sigs(struct blkdev_info *d, const char *name)
{
	char path[BLKDEV_NAME_MAX + 8];
	const char *type, *usage;
	blkid_probe pr;

	snprintf(path, sizeof(path), "/dev/%s", name);
	pr = blkid_new_probe_from_filename(path);	/* opens read-only */
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	/* do_probe, not do_safeprobe: an ambivalent device must still show every signature */
	while (blkid_do_probe(pr) == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0) {
			if (blkid_probe_lookup_value(pr, "USAGE", &usage, NULL) < 0)
				usage = "other";
			add_sig(d, type, usage, name);
		}
		if (blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) == 0)
			add_sig(d, type, "partition_table", name);
	}
	blkid_free_probe(pr);
}

/* From the device's place in the sysfs tree (its bus), not from its name. */
static void transport(const struct blkdev_env *env, struct blkdev_info *d)
{
	static const struct { const char *needle, *name; } map[] = {
		{ "/virtual/block/loop", "loop" }, { "/virtual/block/dm-", "dm" },
		{ "/virtual/block/md", "md" }, { "/nvme", "nvme" }, { "/usb", "usb" },
		{ "/virtio", "virtio" }, { "/mmc", "mmc" }, { "/end_device-", "sas" },
		{ "/ata", "sata" }, { "/virtual/", "virtual" },
	};
	char path[PATH_MAX], real[PATH_MAX];
	size_t i;

	copy_trim(d->transport, sizeof(d->transport), "unknown", 7);
	if ((size_t)snprintf(path, sizeof(path), "%s/class/block/%s", sys_root(env), d->partition ? d->parent : d->name) >= sizeof(path) ||
	    !realpath(path, real))
		return;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(real, map[i].needle)) {
			copy_trim(d->transport, sizeof(d->transport), map[i].name, strlen(map[i].name));
			return;
		}
}

int blkdev_probe_name(const struct blkdev_env *env, const char *name, struct blkdev_info *out)
{
	struct blkdev_env dflt;
	struct devset *set;
	char path[PATH_MAX], real[PATH_MAX], *slash;
	const char *id_of;
	struct stat st;
	dev_t dv;
	unsigned i;

	if (!env) {
		blkdev_env_default(&dflt);
		env = &dflt;
	}
	if (!name[0] || strlen(name) >= BLKDEV_NAME_MAX || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (attr_dev(env, name, &dv) < 0)
		return -ENOENT;
	copy_trim(out->name, sizeof(out->name), name, strlen(name));
	snprintf(out->path, sizeof(out->path), "/dev/%s", name);
	out->major = major(dv);
	out->minor = minor(dv);
	snprintf(path, sizeof(path), "%s/class/block/%s/partition", sys_root(env), name);
	if (stat(path, &st) == 0) {
		out->partition = 1;
		snprintf(path, sizeof(path), "%s/class/block/%s/..", sys_root(env), name);
		if (realpath(path, real) && (slash = strrchr(real, '/')))
			copy_trim(out->parent, sizeof(out->parent), slash + 1, strlen(slash + 1));
	}
	id_of = out->partition && out->parent[0] ? out->parent : name;
	out->size = attr_u64(env, name, "size", 0) * 512;	/* sysfs counts 512-byte sectors always */
	out->logical_block_size = (uint32_t)attr_u64(env, id_of, "queue/logical_block_size", 512);
	out->physical_block_size = (uint32_t)attr_u64(env, id_of, "queue/physical_block_size", out->logical_block_size);
	out->rotational = attr_u64(env, id_of, "queue/rotational", 0) != 0;
	out->removable = attr_u64(env, id_of, "removable", 0) != 0;
	out->read_only = attr_u64(env, name, "ro", 0) != 0;
	transport(env, out);
	(void)attr(env, id_of, "device/model", out->model, sizeof(out->model));
	if (attr(env, id_of, "device/serial", out->serial, sizeof(out->serial)) < 0 || !out->serial[0])
		if (attr(env, id_of, "serial", out->serial, sizeof(out->serial)) < 0 || !out->serial[0])
			(void)vpd80_serial(env, id_of, out->serial, sizeof(out->serial));
	if (attr(env, id_of, "device/wwid", out->wwn, sizeof(out->wwn)) < 0 || !out->wwn[0])
		(void)attr(env, id_of, "wwid", out->wwn, sizeof(out->wwn));
	if (!strcmp(out->transport, "loop")) {
		(void)attr(env, id_of, "loop/backing_file", out->backing_file, sizeof(out->backing_file));
		out->loop_offset = attr_u64(env, id_of, "loop/offset", 0);
		out->loop_sizelimit = attr_u64(env, id_of, "loop/sizelimit", 0);
		out->loop_autoclear = attr_u64(env, id_of, "loop/autoclear", 0) != 0;
		/* the file may have grown since it was attached: its tail is then not on the device */
		if (out->backing_file[0] && stat(out->backing_file, &st) == 0 && S_ISREG(st.st_mode))
			out->backing_size = (uint64_t)st.st_size;
	}
	/* SPEC section 7: a loop device is known by its backing file, a disk by its serial */
	if (!strcmp(out->transport, "loop")) {
		if (out->backing_file[0])
			snprintf(out->identity, sizeof(out->identity), "loop:%s", out->backing_file);
	} else if (out->serial[0]) {
		copy_trim(out->identity, sizeof(out->identity), out->serial, strlen(out->serial));
	} else if (out->wwn[0]) {
		copy_trim(out->identity, sizeof(out->identity), out->wwn, strlen(out->wwn));
	}
	list_dir(env, name, "holders", out->holders, BLKDEV_MAX_HOLDERS, &out->nholders, &out->truncated);
	if (!out->partition)
		list_partitions(env, out);
	/* a partition's holders make the whole disk busy */
	for (i = 0; i < out->npartitions; i++)
		list_dir(env, out->partitions[i], "holders", out->holders, BLKDEV_MAX_HOLDERS, &out->nholders, &out->truncated);

	set = calloc(1, sizeof(*set));
	if (!set)
		return -ENOMEM;
	devset_add(env, set, name, 0);
	for (i = 0; i < out->npartitions; i++)
		devset_add(env, set, out->partitions[i], 0);
	scan_mounts(env, set, out);
	scan_swaps(env, set, out);
	if (env->state_dir && stat(env->state_dir, &st) == 0 && devset_has(set, st.st_dev, NULL) && !out->system) {
		out->system = 1;
		copy_trim(out->system_reason, sizeof(out->system_reason), "holds the state directory", 25);
	}
	free(set);
	/* a partition of the system disk is part of the system disk */
	if (out->partition && out->parent[0] && !out->system) {
		struct blkdev_info *parent = malloc(sizeof(*parent));
		if (!parent)
			return -ENOMEM;
		if (blkdev_probe_name(env, out->parent, parent) == 0 && parent->system) {
			out->system = 1;
			copy_trim(out->system_reason, sizeof(out->system_reason), parent->system_reason, strlen(parent->system_reason));
		}
		free(parent);
	}
	if (!env->no_blkid && out->size) {
		probe_sigs(out, name);
		for (i = 0; i < out->npartitions; i++)
			probe_sigs(out, out->partitions[i]);
	}
	return 0;
}

int blkdev_probe_path(const struct blkdev_env *env, const char *path, struct blkdev_info *out)
{
	char link[PATH_MAX], real[PATH_MAX], *slash;
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	/* by number: a name in /dev can be a symlink, sysfs's number cannot lie */
	if ((size_t)snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sys_root(env),
			     major(st.st_rdev), minor(st.st_rdev)) >= sizeof(link))
		return -ENAMETOOLONG;
	if (!realpath(link, real))
		return -ENOENT;
	slash = strrchr(real, '/');
	if (!slash)
		return -ENOENT;
	return blkdev_probe_name(env, slash + 1, out);
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct blkdev_info *)a)->name, ((const struct blkdev_info *)b)->name);
}

int blkdev_list(const struct blkdev_env *env, struct blkdev_info **out, size_t *n)
{
	char path[PATH_MAX];
	struct blkdev_info *v;
	struct dirent *de;
	size_t k = 0;
	DIR *dir;
	int rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/block", sys_root(env)) >= sizeof(path))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	v = calloc(BLKDEV_MAX_DEVICES, sizeof(*v));
	if (!v) {
		closedir(dir);
		return -ENOMEM;
	}
	while ((de = readdir(dir)) && k < BLKDEV_MAX_DEVICES) {
		if (de->d_name[0] == '.')
			continue;
		rc = blkdev_probe_name(env, de->d_name, &v[k]);
		if (rc == -ENOENT || rc == -EINVAL) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (v[k].size)	/* detached loop devices, empty zram */
			k++;
	}
	closedir(dir);
	if (rc < 0) {
		free(v);
		return rc;
	}
	qsort(v, k, sizeof(*v), cmp_info);
	*out = v;
	*n = k;
	return 0;
}

int blkdev_gone(const struct blkdev_info *then)
{
	struct blkdev_env env;
	struct blkdev_info *now = malloc(sizeof(*now));
	int gone;

	if (!now)
		return 0;	/* cannot tell: not gone */
	blkdev_env_default(&env);
	env.no_blkid = 1;
	gone = blkdev_probe_name(&env, then->name, now) < 0 || now->major != then->major ||
	       now->minor != then->minor || now->size == 0 || (now->loop_autoclear && !then->loop_autoclear);
	free(now);
	return gone;
}

const char *blkdev_scope(const struct blkdev_info *d, char *why, size_t len)
{
	char dummy[1];

	if (!why) {
		why = dummy;
		len = sizeof(dummy);
	}
	why[0] = '\0';
	if (d->partition) {
		snprintf(why, len, "%s is a partition of %s, not the whole drive", d->path,
			 d->parent[0] ? d->parent : "another device");
		return "partition";
	}
	if (d->loop_offset || d->loop_sizelimit) {
		snprintf(why, len, "%s covers only part of its backing file (offset %llu, sizelimit %llu)", d->path,
			 (unsigned long long)d->loop_offset, (unsigned long long)d->loop_sizelimit);
		return "partial_loop";
	}
	if (d->backing_size && d->backing_size != d->size) {
		snprintf(why, len, "%s covers %llu of the %llu bytes of its backing file", d->path,
			 (unsigned long long)d->size, (unsigned long long)d->backing_size);
		return "partial_loop";
	}
	return "whole_device";
}

int blkdev_identity_matches(const struct blkdev_info *d, const char *expected)
{
	if (!expected || !expected[0])
		return 0;
	if (d->identity[0] && !strcmp(d->identity, expected))
		return 1;
	return d->wwn[0] && !strcmp(d->wwn, expected);
}

int blkdev_has_sig(const struct blkdev_info *d, const char *type)
{
	unsigned i;

	for (i = 0; i < d->nsigs; i++)
		if (!strcmp(d->sigs[i].type, type) && !strcmp(d->sigs[i].device, d->name))
			return 1;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *blkdev_to_json(const struct blkdev_info *d)
{
	json_t *o, *holders, *parts, *sigs, *methods;
	unsigned i;
	int bad = 0;

	o = json_object();
	holders = json_array();
	parts = json_array();
	sigs = json_array();
	methods = json_array();
	if (!o || !holders || !parts || !sigs || !methods)
		goto fail;
	for (i = 0; i < d->nholders; i++)
		bad |= json_array_append_new(holders, json_string(d->holders[i]));
	for (i = 0; i < d->npartitions; i++)
		bad |= json_array_append_new(parts, json_string(d->partitions[i]));
	for (i = 0; i < d->nsigs; i++)
		bad |= json_array_append_new(sigs, json_pack("{s:s,s:s,s:s}", "type", d->sigs[i].type,
							     "usage", d->sigs[i].usage, "device", d->sigs[i].device));
	/* what this build can do to it; NVMe/ATA/SCSI purge methods come with their drivers */
	if (!d->read_only) {
		bad |= json_array_append_new(methods, json_string("clear-zero"));
		bad |= json_array_append_new(methods, json_string("clear-random"));
		bad |= json_array_append_new(methods, json_string("dod-3pass"));
		if (blkdev_has_sig(d, "crypto_LUKS"))
			bad |= json_array_append_new(methods, json_string("luks-crypto-erase"));
	}
	bad |= json_object_set_new(o, "path", json_string(d->path));
	bad |= json_object_set_new(o, "name", json_string(d->name));
	bad |= json_object_set_new(o, "partition", json_boolean(d->partition));
	bad |= json_object_set_new(o, "size_bytes", json_integer((json_int_t)d->size));
	bad |= json_object_set_new(o, "logical_block_size", json_integer(d->logical_block_size));
	bad |= json_object_set_new(o, "physical_block_size", json_integer(d->physical_block_size));
	bad |= json_object_set_new(o, "rotational", json_boolean(d->rotational));
	bad |= json_object_set_new(o, "removable", json_boolean(d->removable));
	bad |= json_object_set_new(o, "read_only", json_boolean(d->read_only));
	bad |= json_object_set_new(o, "transport", json_string(d->transport));
	bad |= json_object_set_new(o, "model", str_or_null(d->model));
	bad |= json_object_set_new(o, "serial", str_or_null(d->serial));
	bad |= json_object_set_new(o, "wwn", str_or_null(d->wwn));
	bad |= json_object_set_new(o, "identity", str_or_null(d->identity));
	if (d->backing_file[0]) {
		bad |= json_object_set_new(o, "backing_file", json_string(d->backing_file));
		bad |= json_object_set_new(o, "loop_offset", json_integer((json_int_t)d->loop_offset));
		bad |= json_object_set_new(o, "loop_sizelimit", json_integer((json_int_t)d->loop_sizelimit));
	}
	bad |= json_object_set_new(o, "scope", json_string(blkdev_scope(d, NULL, 0)));
	bad |= json_object_set_new(o, "holders", holders);
	bad |= json_object_set_new(o, "partitions", parts);
	bad |= json_object_set_new(o, "signatures", sigs);
	bad |= json_object_set_new(o, "mounted", json_boolean(d->mounted));
	bad |= json_object_set_new(o, "mount_point", str_or_null(d->mount_point));
	bad |= json_object_set_new(o, "swap", json_boolean(d->swap));
	bad |= json_object_set_new(o, "system", json_boolean(d->system));
	bad |= json_object_set_new(o, "system_reason", str_or_null(d->system_reason));
	bad |= json_object_set_new(o, "methods", methods);
	bad |= json_object_set_new(o, "purge_capabilities", json_array());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	json_decref(o);
	json_decref(holders);
	json_decref(parts);
	json_decref(sigs);
	json_decref(methods);
	return NULL;
}

json_t *blkdev_list_to_json(const struct blkdev_info *d, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < n; i++) {
		json_t *o = blkdev_to_json(&d[i]);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:o}", "devices", arr);
}
