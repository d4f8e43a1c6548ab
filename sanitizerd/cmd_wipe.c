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
#include "sanitizerd/state.h"
#include "sanitizerd/wiprec.h"
#include "sanitizerd/xio.h"

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
static int rec_start(struct rec *rc, const struct sanitize_params *p, const struct blkdev_info *dev,
		     const char *method, const char *verify, char *msg, size_t msglen)
{
	char err[600], *lpath, *b;
	uint8_t rnd[6];
	json_t *d;
	int r, state;

	if (!p->state_dir[0])
		return 0;
	lpath = state_path(p->state_dir, "ledger.db");
	r = lpath && access(lpath, F_OK) == 0;
	free(lpath);
	if (!r)
		return 0;	/* standalone: no ledger here */
	r = state_open(p->state_dir, STATE_KEY, &rc->st, err, sizeof(err));
	if (r < 0) {
		snprintf(msg, msglen, "cannot record the wipe: %s", err);
		return r;
	}
	if (wiprec_find_asset(rc->st->ledger, dev->identity, dev->wwn, rc->asset, sizeof(rc->asset),
			      rc->media, sizeof(rc->media)) < 0) {
		state_free(rc->st);
		rc->st = NULL;
		return 0;	/* not an enrolled asset: nothing to record */
	}
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
	d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "job_id", rc->job_id, "method", method, "verify", verify,
		      "device", p->device, "identity", dev->identity);
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
	/* the one rule for a pass, the daemon's too (drivers/sanitize.h) */
	ok = run_rc == 0 && sanitize_result_passed(r, why, sizeof(why));
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
	"usage: sanitizerd wipe DEVICE --method M [--verify full|sample] [--yes]\n"
	"                       [--expect-identity ID] [--json] [--state-dir D]\n"
	"\n"
	"Overwrite, crypto-erase or purge DEVICE, verify it, print a JSON report.\n"
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

static int print_report(const struct sanitize_result *r, const struct blkdev_info *dev)
{
	json_t *j = sanitize_result_to_json(r);

	if (!j || json_object_set_new(j, "tool", json_string("sanitizerd " SZ_VERSION)) ||
	    json_object_set_new(j, "scope", scope_json(dev)) ||
	    json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
		json_decref(j);
		sz_err("cannot render the wipe report: out of memory");
		return -ENOMEM;
	}
	json_decref(j);
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : -EIO;
}

/* A refusal before the job ran: the job's (empty) result with the reason. */
static int report_refusal(struct sanitize_job *job, const struct blkdev_info *dev, const char *msg,
			  const char *reason, int err)
{
	sanitize_job_refuse(job, err, reason, msg);
	return print_report(sanitize_job_result(job), dev);
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
	struct blkdev_info *dev = NULL;
	struct sanitize_job *job = NULL;
	struct sigaction sa;
	struct stat st;
	struct ui ui = { 0 };
	struct rec rec = { 0 };
	const char *method = NULL, *verify = "sample";
	char msg[768], reason[24];
	int c, yes = 0, json = 0, rc, ret = EXIT_FAIL;

	p = calloc(1, sizeof(*p));
	dev = calloc(1, sizeof(*dev));
	if (!p || !dev) {
		sz_err("cannot wipe: out of memory");
		goto out;
	}
	if (stat(SZ_DEFAULT_STATE_DIR, &st) == 0)
		snprintf(p->state_dir, sizeof(p->state_dir), "%s", SZ_DEFAULT_STATE_DIR);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
			if (optopt)
				sz_err("option '%s' needs a value or is unknown (see sanitizerd wipe --help)", argv[optind - 1]);
			else
				sz_err("unknown option '%s' (see sanitizerd wipe --help)", argv[optind - 1]);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (argc - optind != 1) {
		sz_err(argc - optind ? "too many arguments (see sanitizerd wipe --help)"
				     : "no device given (see sanitizerd wipe --help)");
		ret = EXIT_USAGE;
		goto out;
	}
	if (!method) {
		sz_err("no --method given (see sanitizerd wipe --help)");
		ret = EXIT_USAGE;
		goto out;
	}
	if (strlen(argv[optind]) >= sizeof(p->device) || !argv[optind][0]) {
		sz_err("bad device name: empty or too long");
		ret = EXIT_USAGE;
		goto out;
	}
	snprintf(p->device, sizeof(p->device), "%s", argv[optind]);
	if (sanitize_method_kind(method) == SANITIZE_UNKNOWN) {
		sz_err("unknown method '%s' (see sanitizerd wipe --help)", method);
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
	rc = sanitize_job_new(p, &job);
	if (rc < 0) {
		sz_err("cannot wipe %s: %s", p->device, strerror(-rc));
		goto out;
	}

	/* every refusal before any question, and before anything opens it for writing */
	rc = sanitize_preflight(p, dev, msg, sizeof(msg), reason);
	if (rc < 0) {
		sz_err("%s", msg);
		report_refusal(job, dev, msg, reason, -rc);
		goto out;
	}
	if (!yes) {
		rc = confirm(dev, p, msg, sizeof(msg));
		if (rc < 0) {
			sz_err("%s", msg);
			report_refusal(job, dev, msg, rc == -EPERM ? "identity_mismatch" : "not_confirmed", -rc);
			goto out;
		}
	}

	rc = rec_start(&rec, p, dev, method, verify, msg, sizeof(msg));
	if (rc < 0) {
		sz_err("%s", msg);
		report_refusal(job, dev, msg, rc == -EPROTO ? "lifecycle" : rc == -EMEDIUMTYPE ? "partial_device" : "",
			       rc == -EMEDIUMTYPE ? EPERM : -rc);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ui.job = job;
	ui.quiet = json;
	ui.tty = isatty(STDERR_FILENO);
	ui.purge = sanitize_method_kind(method) == SANITIZE_PURGE;
	ui.last_line = xmono();
	rc = sanitize_job_run(job, on_progress, &ui);
	if (ui.drawn)
		fputc('\n', stderr);

	const struct sanitize_result *r = sanitize_job_result(job);
	if (rec_end(&rec, rc, r, dev) < 0 && rc == 0)
		rc = -EPERM;
	else if (rc < 0)
		sz_err("%s", r->error[0] ? r->error : strerror(-rc));
	else if (!json)
		fprintf(stderr, "wiped %s%s: %s, verification %s passed, %.1f s\n", r->device,
			dev->partition ? " (a partition only, not the whole drive)" : "", r->method,
			r->verify.mode, r->seconds);
	if (print_report(r, dev) < 0)
		rc = -EIO;
	ret = rc == 0 ? EXIT_OK : EXIT_FAIL;
out:
	state_free(rec.st);
	sanitize_job_free(job);
	free(dev);
	free(p);
	return ret;
}
