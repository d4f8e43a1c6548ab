/*
 * sanitizerd devices [--json] [--state-dir D]: the block devices this
 * machine sees, as a table or as the JSON of GET /v1/devices (SPEC 7),
 * which adds each drive's purge capabilities (drivers/devinfo.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/blkdev.h"
#include "drivers/devinfo.h"
#include "drivers/interlock.h"
#include "sanitizerd/cmd.h"

static const char devices_usage[] =
	"usage: sanitizerd devices [--json] [--state-dir D]\n"
	"\n"
	"List the block devices: size, transport, model, identity, and whether a\n"
	"wipe would be refused (system disk, mounted, held, read-only).  When no\n"
	"block device here holds / (a container on an overlay, a chroot), a warning\n"
	"on stderr says that the system-disk interlock cannot see the host's disks.\n"
	"\n"
	"  --json         the JSON served by GET /v1/devices, with the purge methods\n"
	"                 each drive reports (identify commands only)\n"
	"  --state-dir D  a device holding D counts as the system disk\n"
	"                 (default " SZ_DEFAULT_STATE_DIR " when it exists)\n";

static void human_size(uint64_t b, char *out, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void status(const struct blkdev_info *d, char *out, size_t cap)
{
	if (d->system)
		snprintf(out, cap, "system disk, %s", d->system_reason);
	else if (d->mounted)
		snprintf(out, cap, "mounted on %s", d->mount_point);
	else if (d->nholders)
		snprintf(out, cap, "held by %s", d->holders[0]);
	else if (d->read_only)
		snprintf(out, cap, "read-only");
	else
		snprintf(out, cap, "-");
}

static void print_table(const struct blkdev_info *v, size_t n)
{
	char size[32], st[PATH_MAX + 32];
	size_t i;
	unsigned k;

	printf("%-14s %10s %-8s %-24s %-28s %s\n", "DEVICE", "SIZE", "BUS", "MODEL", "IDENTITY", "IN USE");
	for (i = 0; i < n; i++) {
		const struct blkdev_info *d = &v[i];
		human_size(d->size, size, sizeof(size));
		status(d, st, sizeof(st));
		printf("%-14s %10s %-8s %-24s %-28s %s", d->path, size, d->transport,
		       d->model[0] ? d->model : "-", d->identity[0] ? d->identity : "-", st);
		for (k = 0; k < d->nsigs; k++)
			printf("%s%s%s%s", k ? "," : "  [", d->sigs[k].type,
			       strcmp(d->sigs[k].device, d->name) ? "@" : "",
			       strcmp(d->sigs[k].device, d->name) ? d->sigs[k].device : "");
		printf("%s\n", d->nsigs ? "]" : "");
	}
}

int cmd_devices(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct blkdev_info *v = NULL;
	struct blkdev_env env;
	struct stat st;
	size_t n = 0;
	json_t *j;
	int c, json = 0, rc;

	blkdev_env_default(&env);
	if (stat(SZ_DEFAULT_STATE_DIR, &st) == 0)
		env.state_dir = SZ_DEFAULT_STATE_DIR;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			env.state_dir = optarg;
			break;
		case 'h':
			return sz_usage(devices_usage, 0);
		default:
			return sz_opt_error(c, argv);
		}
	}
	if (optind != argc) {
		return sz_extra_arg(argv[optind]);
	}
#ifdef SZ_TEST_HOOKS
	/* the test build only: a container's mountinfo, without a container */
	if (getenv("SZ_TEST_MOUNTINFO"))
		env.mountinfo = getenv("SZ_TEST_MOUNTINFO");
#endif
	rc = blkdev_list(&env, &v, &n);
	if (rc < 0) {
		sz_err("cannot list block devices: %s", strerror(-rc));
		return EXIT_FAIL;
	}
	/* issue 15: in a container the system-disk check is blind; say so, on stderr */
	{
		char why[256] = "";

		if (interlock_root_visible(&env, why, sizeof(why)) <= 0)
			sz_err("warning: the system-disk interlock cannot see the disk holding /: %s; "
			       "the host's disks are protected only by the exclusive open (a mounted or "
			       "claimed disk is refused, a free one is not)", why);
	}
	if (json) {
		j = devinfo_list_to_json(v, n);
		if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
			json_decref(j);
			free(v);
			sz_err("cannot render the device list: out of memory");
			return EXIT_FAIL;
		}
		putchar('\n');
		json_decref(j);
	} else {
		print_table(v, n);
	}
	free(v);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
