/*
 * sanitizerd wipe DEVICE --method M [--verify full|sample] [--yes]
 *                 [--expect-identity ID] [--json] [--state-dir D]
 *
 * A local wipe with no daemon and no state directory needed (a technician
 * on a rescue image): the interlocks, a typed confirmation of the device's
 * identity unless --yes, a progress bar on a terminal (a line every few
 * seconds otherwise), and the engine's JSON report on stdout at the end.
 * Overwrites and purges alike go through drivers/sanitize.h.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "drivers/sanitize.h"
#include "sanitizerd/cmd.h"
#include "core/state.h"
#include "core/wiprec.h"
#include "util/xio.h"

/* The ledger side of a local wipe: which asset it is, and the job id it is recorded under. */
struct rec {
	struct state *st;
	char asset[160], media[16], job_id[24], subject[168];
	uint64_t capacity;
};

/*
 * With a ledger in the state directory and the device enrolled: check the
 * asset is retired and record sanitize_started.  0 (recording or not), or
 * -errno with msg set: the wipe must not start.
 */
static int rec_start(struct rec *rc, struct state **shared, const struct sanitize_params *p,
		     const struct blkdev_info *dev, const char *method, const char *verify, char *msg, size_t msglen)
{
	char err[600], *lpath, *b;
	uint8_t rnd[6];
	json_t *d;
	int r, state;

	if (!p->state_dir[0])
		return 0;
	if (!*shared) {
		lpath = state_path(p->state_dir, "ledger.db");
		r = lpath && access(lpath, F_OK) == 0;
		free(lpath);
		if (!r)
			return 0;	/* standalone: no ledger here */
		r = state_open(p->state_dir, STATE_KEY, shared, err, sizeof(err));
		if (r < 0) {
			snprintf(msg, msglen, "cannot record the wipe: %s", err);
			return r;
		}
	}
	if (wiprec_find_asset((*shared)->ledger, dev->identity, dev->wwn, rc->asset, sizeof(rc->asset),
			      rc->media, sizeof(rc->media)) < 0)
		return 0;	/* not an enrolled asset: nothing to record */
	rc->st = *shared;
	snprintf(rc->subject, sizeof(rc->subject), "asset:%s", rc->asset);
	ledger_state(rc->st->ledger, rc->subject, &state);
	if (state != LC_RETIRED) {
		snprintf(msg, msglen, "cannot wipe %.200s: it is asset %s, which is %s; retire it first", p->device,
			 rc->asset, lifecycle_state_name(state));
		return -EPROTO;
	}
	/* SPEC section 7: an asset's sanitization covers its whole drive or does not start */
	r = wiprec_asset_capacity(rc->st->ledger, rc->asset, &rc->capacity);
	if (r < 0) {
		snprintf(msg, msglen, "cannot wipe %.200s: asset %s has no usable capacity_bytes", p->device, rc->asset);
		return -EPERM;
	}
	{
		struct interlock_result ir;

		if (interlock_whole(dev, rc->capacity, &ir) < 0) {
			snprintf(msg, msglen, "%s", ir.message);
			return -EMEDIUMTYPE;
		}
	}
	crypto_random(rnd, sizeof(rnd));
	b = b64_encode(rnd, sizeof(rnd), B64_URL);
	snprintf(rc->job_id, sizeof(rc->job_id), "cli_%s", b ? b : "x");
	free(b);
	d = wiprec_started(rc->job_id, method, verify, p->device, dev->identity);
	r = d ? ledger_append(rc->st->ledger, rc->subject, "sanitize_started", "local:wipe", d, NULL, NULL, NULL)
	      : -ENOMEM;
	json_decref(d);
	if (r < 0)
		snprintf(msg, msglen, "cannot record the wipe: %s", ledger_errmsg(rc->st->ledger));
	return r;
}

/* Record how it ended; the asset leaves sanitizing either way.  0, or -EPERM when the record had to say failed. */
static int rec_end(struct rec *rc, int run_rc, const struct sanitize_result *r, const struct blkdev_info *dev)
{
	char why[512];
	json_t *d;
	int ok, partial = 0;

	if (!rc->st || !rc->job_id[0])
		return 0;
	/* the one rule for a pass, the daemon's too: passed, or completed with exceptions said plainly */
	ok = run_rc == 0 && wiprec_outcome(r, why, sizeof(why)) != WIPREC_FAILED;
	if (ok && wiprec_coverage_check(r, dev, rc->capacity, why, sizeof(why)) < 0) {
		sz_err("%s", why);
		ok = 0;
		partial = 1;
	}
	d = ok ? wiprec_completed(rc->job_id, r, dev, rc->media, rc->capacity)
	       : wiprec_failed(rc->job_id, partial ? "partial_device" : run_rc == -ECANCELED ? "cancelled" :
			       run_rc == -EILSEQ ? "verification_failed" : "failed", r);
	if (!d || ledger_append(rc->st->ledger, rc->subject, ok ? "sanitize_completed" : "sanitize_failed",
				"local:wipe", d, NULL, NULL, NULL) < 0)
		sz_err("cannot record the end of the wipe in the ledger: %s", ledger_errmsg(rc->st->ledger));
	else
		fprintf(stderr, "recorded in the ledger: asset %s is now %s\n", rc->asset,
			ok ? "sanitized" : "retired");
	json_decref(d);
	return partial ? -EPERM : 0;
}

static const char wipe_usage[] =
	"usage: sanitizerd wipe DEVICE... --method M [--verify full|sample] [--yes]\n"
	"                       [--expect-identity ID] [--json] [--state-dir D]\n"
	"\n"
	"Overwrite, crypto-erase or purge DEVICE, verify it, print a JSON report.\n"
	"A refused or failed wipe is one line per device on stderr, and the report\n"
	"is printed only with --json.\n"
	"Several devices are checked (and confirmed) first, all of them, then wiped at\n"
	"once with one progress line each; the report is then a JSON array, and the\n"
	"exit status is 0 only if every wipe passed.  Nothing is written unless every\n"
	"device passes the checks.\n"
	"Refuses the system disk and any device that is mounted, held (dm, md,\n"
	"LVM), read-only, open elsewhere, or not the expected one; an overwrite of\n"
	"an ATA disk with sectors hidden by HPA/DCO; a purge the drive cannot do.\n"
	"\n"
	"  --method M            clear-zero        one pass of zeros\n"
	"                        clear-random      one pass of AES-128-CTR keystream\n"
	"                        dod-3pass         zeros, ones, random\n"
	"                        luks-crypto-erase destroy every LUKS keyslot and header\n"
	"                        the drive's own commands (/dev/nvmeXnY, /dev/sdX):\n"
	"                        nvme-sanitize-crypto, nvme-sanitize-block,\n"
	"                        nvme-sanitize-overwrite, nvme-format-crypto,\n"
	"                        nvme-format-user, ata-sanitize-crypto,\n"
	"                        ata-sanitize-block, ata-sanitize-overwrite,\n"
	"                        ata-secure-erase, ata-secure-erase-enhanced,\n"
	"                        scsi-sanitize-crypto, scsi-sanitize-block,\n"
	"                        scsi-sanitize-overwrite\n"
	"  --verify full|sample  read back every byte, or >= 10% plus both ends\n"
	"                        (default sample; LUKS always checks its whole header\n"
	"                        area; a purge also plants sentinels that must vanish)\n"
	"  --yes                 do not ask to type the device's identity\n"
	"  --expect-identity ID  refuse unless the device's identity (serial, WWN,\n"
	"                        or loop:<backing file>) is ID\n"
	"  --json                no progress or summary on stderr, only the report\n"
	"                        (also when the wipe is refused or fails)\n"
	"  --state-dir D         a device holding D counts as the system disk; when D\n"
	"                        holds a ledger and the device is an enrolled asset,\n"
	"                        the wipe is recorded there as the daemon's jobs do\n"
	"                        (the asset must be retired)\n"
	"\n"
	"Exit status: 0 wiped and verified, 1 refused or failed, 2 usage error.\n";

/* The one piece of state a signal handler may touch (STYLE.md rule 7). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct ui {
	struct sanitize_job *job;
	int tty, quiet, purge;
	double last_line;
	int drawn;
	char last_phase[16];
};

static void fmt_eta(double s, char *out, size_t cap)
{
	unsigned long t;

	if (s < 0) {
		snprintf(out, cap, "--:--");
		return;
	}
	t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(out, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, cap, "%lu:%02lu", t / 60, t % 60);
}

/* A purge: the drive works on its own; show its phase, and its fraction when it tells one. */
static void purge_progress(struct ui *ui, const struct sanitize_progress *p, const char *bar, double pct,
			   const char *eta)
{
	if (ui->tty) {
		if (p->fraction >= 0)
			fprintf(stderr, "\rpurge %-10s[%s] %5.1f%%  eta %s ", p->phase, bar, pct, eta);
		else
			fprintf(stderr, "\rpurge %-10s%-42s", p->phase, "");
		ui->drawn = 1;
		return;
	}
	if (p->fraction >= 0)
		fprintf(stderr, "progress: purge %s %.1f%% eta %s\n", p->phase, pct, eta);
	else
		fprintf(stderr, "progress: purge %s\n", p->phase);
}

static void on_progress(void *ctx, const struct sanitize_progress *p)
{
	struct ui *ui = ctx;
	double pct = p->bytes_total ? 100.0 * (double)p->bytes_done / (double)p->bytes_total : 100.0;
	char eta[32], bar[41];
	int i, fill;

	if (interrupted)
		sanitize_job_cancel(ui->job);
	if (ui->quiet)
		return;
	fmt_eta(p->eta, eta, sizeof(eta));
	if (p->fraction >= 0 && (!strcmp(p->phase, "erasing") || !strcmp(p->phase, "command")))
		pct = 100.0 * p->fraction;
	fill = (int)(pct * 40 / 100);
	for (i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	if (ui->purge && strcmp(p->phase, "readback")) {
		/* every phase change is worth a line; otherwise every few seconds */
		if (!ui->tty && !strcmp(p->phase, ui->last_phase) && xmono() - ui->last_line < 5.0)
			return;
		snprintf(ui->last_phase, sizeof(ui->last_phase), "%s", p->phase);
		ui->last_line = xmono();
		purge_progress(ui, p, bar, pct, eta);
		return;
	}
	if (ui->tty) {
		if (p->state == WIPE_VERIFYING)
			fprintf(stderr, "\rverify      [%s] %5.1f%% %8.1f MB/s  eta %s ", bar, pct, p->rate / 1e6, eta);
		else
			fprintf(stderr, "\rpass %u/%u %-6s[%s] %5.1f%% %8.1f MB/s  eta %s ", p->pass, p->passes,
				p->phase, bar, pct, p->rate / 1e6, eta);
		ui->drawn = 1;
		return;
	}
	/* not a terminal: a log-friendly line every few seconds */
	if (xmono() - ui->last_line < 5.0)
		return;
	ui->last_line = xmono();
	if (p->state == WIPE_VERIFYING)
		fprintf(stderr, "progress: verify %.1f%% (%llu of %llu bytes) %.1f MB/s eta %s\n", pct,
			(unsigned long long)p->bytes_done, (unsigned long long)p->bytes_total, p->rate / 1e6, eta);
	else
		fprintf(stderr, "progress: pass %u/%u %s %.1f%% (%llu of %llu bytes) %.1f MB/s eta %s\n",
			p->pass, p->passes, p->phase, pct, (unsigned long long)p->bytes_done,
			(unsigned long long)p->bytes_total, p->rate / 1e6, eta);
}

/* What part of a drive the target is, for the report: a bare partition says so (issue 10). */
static json_t *scope_json(const struct blkdev_info *d)
{
	if (!d->path[0])
		return json_null();
	return json_pack("{s:s, s:s?, s:I}", "target", blkdev_scope(d, NULL, 0),
			 "of", d->partition && d->parent[0] ? d->parent : NULL, "bytes", (json_int_t)d->size);
}

/* One drive's report: the engine's, with the tool and what part of a drive the target was.  NULL on ENOMEM. */
static json_t *report_json(const struct sanitize_result *r, const struct blkdev_info *dev)
{
	json_t *j = sanitize_result_to_json(r);

	if (j && (json_object_set_new(j, "tool", json_string("sanitizerd " SZ_VERSION)) ||
		  json_object_set_new(j, "scope", scope_json(dev)))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Show the device and read its identity back from the technician. */
static int confirm(const struct blkdev_info *d, const struct sanitize_params *p, char *msg, size_t msglen)
{
	char line[PATH_MAX + 16], *nl;
	const char *want = d->identity[0] ? "identity" : "device path";

	fprintf(stderr,
		"device:    %s\n"
		"transport: %s\n"
		"model:     %s\n"
		"serial:    %s\n"
		"identity:  %s\n"
		"size:      %llu bytes\n"
		"method:    %s\n"
		"ALL DATA ON %s WILL BE DESTROYED.\n"
		"type the device %s to confirm: ",
		d->path, d->transport, d->model[0] ? d->model : "-", d->serial[0] ? d->serial : "-",
		d->identity[0] ? d->identity : "-", (unsigned long long)d->size,
		p->method, d->path, want);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin)) {
		snprintf(msg, msglen, "cannot wipe %s: no confirmation given", d->path);
		return -ECANCELED;
	}
	nl = strchr(line, '\n');
	if (!nl && !feof(stdin)) {
		snprintf(msg, msglen, "cannot wipe %s: confirmation is too long", d->path);
		return -EINVAL;
	}
	if (nl)
		*nl = '\0';
	if (d->identity[0] ? !blkdev_identity_matches(d, line) : strcmp(line, d->path) != 0) {
		snprintf(msg, msglen, "cannot wipe %s: confirmation does not match the device %s", d->path, want);
		return -EPERM;
	}
	return 0;
}

/* ---- several devices at once ---- */

#define WIPE_MAX_DEVICES 64

struct drive {
	struct sanitize_params p;
	struct blkdev_info dev;
	struct sanitize_job *job;
	struct rec rec;
	struct multi *m;
	struct sanitize_progress prog;	/* the latest, under m->lock */
	int have_prog, done, rc;
	pthread_t th;
};

struct multi {
	pthread_mutex_t lock;
	struct drive *d;
	size_t n;
	int tty, quiet, drawn;
	double last;
};

/* One line of a drive's state, for the multi-drive display. */
static void drive_line(const struct drive *d, char *out, size_t cap)
{
	const struct sanitize_progress *p = &d->prog;
	const struct sanitize_result *r = sanitize_job_result(d->job);
	double pct = p->bytes_total ? 100.0 * (double)p->bytes_done / (double)p->bytes_total : 0;
	char eta[32];

	if (d->done) {
		snprintf(out, cap, "%-14.200s %s%s%.300s", d->p.device, d->rc == 0 ? "done" : wipe_state_name(r->state),
			 r->error[0] ? ": " : "", r->error);
		return;
	}
	if (!d->have_prog) {
		snprintf(out, cap, "%-14.200s queued", d->p.device);
		return;
	}
	if (p->fraction >= 0 && (!strcmp(p->phase, "erasing") || !strcmp(p->phase, "command")))
		pct = 100.0 * p->fraction;
	fmt_eta(p->eta, eta, sizeof(eta));
	if (p->state == WIPE_VERIFYING)
		snprintf(out, cap, "%-14.200s verify       %5.1f%% %8.1f MB/s  eta %s", d->p.device, pct, p->rate / 1e6,
			 eta);
	else
		snprintf(out, cap, "%-14.200s pass %u/%u %-6s %5.1f%% %8.1f MB/s  eta %s", d->p.device, p->pass, p->passes,
			 p->phase, pct, p->rate / 1e6, eta);
}

/* Redraw every drive's line (a terminal), or log the drives every few seconds; under m->lock. */
static void multi_draw(struct multi *m, int force)
{
	char line[1024];

	if (m->quiet || (!force && xmono() - m->last < (m->tty ? 0.25 : 5.0)))
		return;
	m->last = xmono();
	if (m->tty && m->drawn)
		fprintf(stderr, "\033[%zuA", m->n);	/* back to the first line */
	for (size_t i = 0; i < m->n; i++) {
		drive_line(&m->d[i], line, sizeof(line));
		fprintf(stderr, m->tty ? "\r%s\033[K\n" : "progress: %s\n", line);
	}
	m->drawn = 1;
	fflush(stderr);
}

static void on_progress_multi(void *ctx, const struct sanitize_progress *p)
{
	struct drive *d = ctx;

	if (interrupted)
		sanitize_job_cancel(d->job);
	pthread_mutex_lock(&d->m->lock);
	d->prog = *p;
	d->have_prog = 1;
	multi_draw(d->m, 0);
	pthread_mutex_unlock(&d->m->lock);
}

static void *drive_run(void *arg)
{
	struct drive *d = arg;
	int rc = sanitize_job_run(d->job, on_progress_multi, d);

	pthread_mutex_lock(&d->m->lock);
	d->rc = rc;
	d->done = 1;
	multi_draw(d->m, 1);
	pthread_mutex_unlock(&d->m->lock);
	return NULL;
}

/* The reports on stdout: one object for one drive, an array for several.  0, -ENOMEM, -EIO. */
static int print_reports(struct drive *d, size_t n)
{
	json_t *a = json_array(), *out;
	int bad = !a;

	for (size_t i = 0; !bad && i < n; i++)
		bad = json_array_append_new(a, report_json(sanitize_job_result(d[i].job), &d[i].dev));
	out = n == 1 ? json_array_get(a, 0) : a;
	if (bad || !out || json_dumpf(out, stdout, JSON_INDENT(2)) < 0) {
		json_decref(a);
		sz_err("cannot render the wipe report: out of memory");
		return -ENOMEM;
	}
	json_decref(a);
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : -EIO;
}

int cmd_wipe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "verify", required_argument, NULL, 'v' },
		{ "yes", no_argument, NULL, 'y' },
		{ "expect-identity", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sanitize_params *p = NULL;
	struct drive *d = NULL;
	struct state *shared = NULL;
	struct multi m = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sigaction sa;
	struct stat st;
	struct ui ui = { 0 };
	const char *method = NULL, *verify = "sample";
	char msg[768], reason[24];
	size_t n = 0, i;
	int c, yes = 0, json = 0, rc, ret = EXIT_FAIL, refused = 0, failed = 0;

	p = calloc(1, sizeof(*p));
	if (!p) {
		sz_err("cannot wipe: out of memory");
		goto out;
	}
	if (stat(SZ_DEFAULT_STATE_DIR, &st) == 0)
		snprintf(p->state_dir, sizeof(p->state_dir), "%s", SZ_DEFAULT_STATE_DIR);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			method = optarg;
			break;
		case 'v':
			verify = optarg;
			break;
		case 'y':
			yes = 1;
			break;
		case 'e':
			if (strlen(optarg) >= sizeof(p->expected_identity) || !optarg[0]) {
				sz_err("bad --expect-identity: empty or too long");
				ret = EXIT_USAGE;
				goto out;
			}
			snprintf(p->expected_identity, sizeof(p->expected_identity), "%s", optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			if (strlen(optarg) >= sizeof(p->state_dir)) {
				sz_err("bad --state-dir: too long");
				ret = EXIT_USAGE;
				goto out;
			}
			snprintf(p->state_dir, sizeof(p->state_dir), "%s", optarg);
			break;
		case 'h':
			ret = sz_usage(wipe_usage, 0);
			goto out;
		default:
			ret = sz_opt_error(c, argv);
			goto out;
		}
	}
	n = (size_t)(argc - optind);
	if (n == 0 || n > WIPE_MAX_DEVICES) {
		sz_err(n ? "too many devices: at most 64" : "no device given");
		ret = EXIT_USAGE;
		goto out;
	}
	if (n > 1 && p->expected_identity[0]) {
		sz_err("--expect-identity names one device's identity: give one device with it");
		ret = EXIT_USAGE;
		goto out;
	}
	if (!method) {
		sz_err("no --method given");
		ret = EXIT_USAGE;
		goto out;
	}
	if (sanitize_method_kind(method) == SANITIZE_UNKNOWN) {
		sz_err("unknown method '%.200s'", method);
		ret = EXIT_USAGE;
		goto out;
	}
	snprintf(p->method, sizeof(p->method), "%s", method);
	if (verify_mode_parse(verify, &p->verify) < 0) {
		sz_err("bad --verify '%s': use full or sample", verify);
		ret = EXIT_USAGE;
		goto out;
	}
	p->progress_interval = 0.25;
	d = calloc(n, sizeof(*d));
	if (!d) {
		sz_err("cannot wipe: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *dev = argv[optind + (int)i];

		if (strlen(dev) >= sizeof(p->device) || !dev[0]) {
			sz_err("bad device name: empty or too long");
			ret = EXIT_USAGE;
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(d[k].p.device, dev)) {
				sz_err("%s is named twice", dev);
				ret = EXIT_USAGE;
				goto out;
			}
		d[i].p = *p;
		snprintf(d[i].p.device, sizeof(d[i].p.device), "%s", dev);
		d[i].m = &m;
		rc = sanitize_job_new(&d[i].p, &d[i].job);
		if (rc < 0) {
			sz_err("cannot wipe %s: %s", dev, strerror(-rc));
			goto out;
		}
	}

	/* every refusal before any question, and before anything opens a device for writing */
	for (i = 0; i < n; i++) {
		rc = sanitize_preflight(&d[i].p, &d[i].dev, msg, sizeof(msg), reason);
		if (rc < 0) {
			sz_err("%s", msg);
			sanitize_job_refuse(d[i].job, -rc, reason, msg);
			refused++;
		}
	}
	for (i = 0; !refused && !yes && i < n; i++) {
		rc = confirm(&d[i].dev, &d[i].p, msg, sizeof(msg));
		if (rc < 0) {
			sz_err("%s", msg);
			sanitize_job_refuse(d[i].job, -rc, rc == -EPERM ? "identity_mismatch" : "not_confirmed", msg);
			refused++;
		}
	}
	for (i = 0; !refused && i < n; i++) {
		rc = rec_start(&d[i].rec, &shared, &d[i].p, &d[i].dev, method, verify, msg, sizeof(msg));
		if (rc < 0) {
			sz_err("%s", msg);
			sanitize_job_refuse(d[i].job, rc == -EMEDIUMTYPE ? EPERM : -rc,
					    rc == -EPROTO ? "lifecycle" : rc == -EMEDIUMTYPE ? "partial_device" : "", msg);
			refused++;
		}
	}
	if (refused) {
		/* nothing runs: the drives already recorded as started are recorded as failed */
		for (i = 0; i < n; i++)
			rec_end(&d[i].rec, -ECANCELED, sanitize_job_result(d[i].job), &d[i].dev);
		/* a refusal is its line on stderr; the report only when asked for (issue 15) */
		if (json)
			print_reports(d, n);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (n == 1) {
		ui.job = d[0].job;
		ui.quiet = json;
		ui.tty = isatty(STDERR_FILENO);
		ui.purge = sanitize_method_kind(method) == SANITIZE_PURGE;
		ui.last_line = xmono();
		d[0].rc = sanitize_job_run(d[0].job, on_progress, &ui);
		if (ui.drawn)
			fputc('\n', stderr);
	} else {
		m.d = d;
		m.n = n;
		m.quiet = json;
		m.tty = isatty(STDERR_FILENO);
		for (i = 0; i < n; i++) {
			rc = pthread_create(&d[i].th, NULL, drive_run, &d[i]);
			if (rc) {
				/* this one never runs; the ones started are let run to their end */
				d[i].rc = -rc;
				d[i].done = 1;
				sanitize_job_refuse(d[i].job, rc, "", "cannot start a thread for the wipe");
				d[i].th = 0;
			}
		}
		for (i = 0; i < n; i++)
			if (d[i].th)
				pthread_join(d[i].th, NULL);
	}
	for (i = 0; i < n; i++) {
		const struct sanitize_result *r = sanitize_job_result(d[i].job);

		rc = d[i].rc;
		if (rec_end(&d[i].rec, rc, r, &d[i].dev) < 0 && rc == 0)
			rc = -EPERM;
		else if (rc < 0)
			sz_err("%s", r->error[0] ? r->error : strerror(-rc));
		else if (!json)
			fprintf(stderr, "wiped %s%s: %s, verification %s passed, %.1f s\n", r->device,
				d[i].dev.partition ? " (a partition only, not the whole drive)" : "", r->method,
				r->verify.mode, r->seconds);
		failed += rc < 0;
	}
	/* a failed wipe is one line per drive on stderr, the report only with --json */
	if ((!failed || json) && print_reports(d, n) < 0)
		failed++;
	ret = failed ? EXIT_FAIL : EXIT_OK;
out:
	state_free(shared);
	for (i = 0; d && i < n; i++)
		sanitize_job_free(d[i].job);
	free(d);
	free(p);
	return ret;
}
