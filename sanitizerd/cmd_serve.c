/*
 * sanitizerd serve — the daemon's lifecycle: initialise the state on first
 * start, open it (refusing secrets others can read), start the API, and
 * wait for signals: SIGTERM/SIGINT stop it cleanly, SIGHUP reopens the log.
 * Signals are blocked in every thread and taken here with sigwait.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/ipc.h"
#include "core/ipclink.h"
#include "sanitizerd/privsep.h"
#include "util/sandbox.h"
#include "audit/ledger.h"
#include "sanitizerd/cmd.h"
#include "core/org.h"
#include "util/xio.h"
#include "core/state.h"

#define SERVE_CONFIG_DEFAULT "/etc/sanitizerd/sanitizerd.conf"
#define SERVE_CONFIG_MAX (64 * 1024)

static const char serve_usage[] =
	"usage: sanitizerd serve [--listen HOST:PORT] [--state-dir D] [--origin NAME]\n"
	"                        [--tls-cert F --tls-key F] [--log FILE] [--threads N]\n"
	"                        [--log-level LEVEL] [--log-format FORMAT]\n"
	"                        [--max-jobs N] [--checkpoint-every N] [--checkpoint-interval MS]\n"
	"                        [--conn-limit N] [--conn-timeout S] [--conn-per-ip N]\n"
	"                        [--header-timeout S] [--request-timeout S]\n"
	"                        [--org-name S] [--org-location S] [--org-phone S] [--public-url URL]\n"
	"                        [--user NAME] [--config FILE]\n"
	"\n"
	"Every option that takes a value can also be set in the configuration file\n"
	"(--config, default " SERVE_CONFIG_DEFAULT "; none when that is missing)\n"
	"as \"name = value\", the name without its dashes; the command line overrides\n"
	"it (sanitizerd.conf(5)).  --org-name, --org-location and --org-phone (the\n"
	"issuer on certificates) default to what sanitizerd init stored in the state.\n"
	"Run the daemon (default 127.0.0.1:8420, state " SZ_DEFAULT_STATE_DIR ").  The state\n"
	"is initialised on first start.  A checkpoint is signed at least every N entries\n"
	"(default 256) and every MS milliseconds (default 5000), and on demand.\n"
	"--threads N HTTP threads (default 4 per core, 4 to 64).\n"
	"At most --conn-limit connections (default 512), --conn-per-ip from one client\n"
	"address (default 64); an idle one is closed after --conn-timeout seconds\n"
	"(default 30), one that has not sent its headers --header-timeout seconds after\n"
	"it opened or its last answer (default 10), or its whole request within\n"
	"--request-timeout seconds (default 60).  A request line with more than 64 query\n"
	"parameters is cut off.\n"
	"Log lines at --log-level (error, warn, info, debug) and above (default info:\n"
	"every request; warn: refusals and errors), as --log-format text or json (one\n"
	"object per line); under journald (JOURNAL_STREAM)\n"
	"lines carry its <N> priority and text lines no time of their own.\n"
	"The daemon is four processes (privilege separation): a parent that starts and\n"
	"restarts the others; ledger, the only writer of the ledger and holder of the\n"
	"signing key; devices, root, the wipe jobs; and http, which serves the API as\n"
	"--user NAME (default sanitizerd, else nobody) without capabilities, locked\n"
	"down (no new privileges, seccomp, Landlock: it opens no file after start).\n"
	"SIGTERM/SIGINT: stop accepting, finish requests, stop wipes at a safe point and\n"
	"record them, exit 0.  SIGHUP: reopen the --log file.\n";

/*
 * HTTP pool threads: four per core, 4 to 64.  Writes no longer hold them
 * while the group commit's fsync runs (api/defer.c answers POST and DELETE
 * on threads of their own), so many more HTTP threads than cores only queue
 * for the CPU.  On two cores (bench/soak.sh, 20 s runs): POST p99 16-26 ms
 * with 4 threads, 16-28 ms with 8, 35-40 ms with 16; GET p99 9-10, 11-14 and
 * 18-27 ms.  But reads want some threads of their own (bench/api.sh: an
 * asset GET at 0.43-0.51x nginx with 4, 0.68x with 8), hence four per core.
 */
static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	n = n > 0 ? n * 4 : 4;
	return n < 4 ? 4 : n > 64 ? 64 : (unsigned)n;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;

	if (xparse_u64(s, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Every option that takes a value is also a key of the configuration file. */
static const struct option serve_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "state-dir", required_argument, NULL, 'd' },
	{ "origin", required_argument, NULL, 'o' },
	{ "tls-cert", required_argument, NULL, 'c' },
	{ "tls-key", required_argument, NULL, 'k' },
	{ "log", required_argument, NULL, 'L' },
	{ "threads", required_argument, NULL, 't' },
	{ "max-jobs", required_argument, NULL, 'j' },
	{ "conn-limit", required_argument, NULL, 'C' },
	{ "conn-timeout", required_argument, NULL, 'T' },
	{ "checkpoint-every", required_argument, NULL, 'n' },
	{ "checkpoint-interval", required_argument, NULL, 'i' },
	{ "conn-per-ip", required_argument, NULL, 'I' },
	{ "header-timeout", required_argument, NULL, 'H' },
	{ "request-timeout", required_argument, NULL, 'R' },
	{ "org-name", required_argument, NULL, 'O' },
	{ "org-location", required_argument, NULL, 'A' },
	{ "org-phone", required_argument, NULL, 'P' },
	{ "public-url", required_argument, NULL, 'U' },
	{ "log-level", required_argument, NULL, 'v' },
	{ "log-format", required_argument, NULL, 'G' },
	{ "user", required_argument, NULL, 'u' },
	{ "config", required_argument, NULL, 'F' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Apply one option's value (strings are kept, not copied).  0 or -EINVAL. */
static int apply(struct api_config *cfg, int c, const char *v)
{
	switch (c) {
	case 'l': cfg->listen = v; return 0;
	case 'd': cfg->state_dir = v; return 0;
	case 'o': cfg->origin = v; return 0;
	case 'c': cfg->tls_cert = v; return 0;
	case 'k': cfg->tls_key = v; return 0;
	case 'L': cfg->log_path = v; return 0;
	case 't': return parse_uint(v, 1, 64, &cfg->threads);
	case 'j': return parse_uint(v, 1, 64, &cfg->max_jobs);
	case 'C': return parse_uint(v, 1, 65536, &cfg->conn_limit);
	case 'T': return parse_uint(v, 1, 3600, &cfg->conn_timeout);
	case 'I': return parse_uint(v, 1, 65536, &cfg->conn_per_ip);
	case 'H': return parse_uint(v, 1, 3600, &cfg->header_timeout);
	case 'R': return parse_uint(v, 1, 3600, &cfg->request_timeout);
	case 'n': return parse_uint(v, 1, 1000000, &cfg->ckpt_every_n);
	case 'i': return parse_uint(v, 10, 3600000, &cfg->ckpt_every_ms);
	case 'O': cfg->org_name = v; return 0;
	case 'A': cfg->org_location = v; return 0;
	case 'P': cfg->org_phone = v; return 0;
	case 'U': cfg->public_url = v; return 0;
	case 'u': cfg->user = v; return !v[0] || strlen(v) > 32 ? -EINVAL : 0;
	case 'v': return log_level_parse(v, &cfg->log_level);
	case 'G': return log_format_parse(v, &cfg->log_format);
	}
	return -EINVAL;
}

static char *trim(char *b, char *e)
{
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*e = '\0';
	return b;
}

/*
 * The configuration file: "key = value" lines, a key being a long option of
 * serve without its dashes; '#' starts a comment line; a value may be put in
 * double quotes (to keep spaces at its ends).  A missing default file is no
 * configuration; a missing --config file, an unknown key, a key given twice,
 * a line without '=' or a bad value is an error naming file:line.  The text
 * is kept in *keep (cfg points into it; the caller frees it).  0, or -EINVAL
 * with the message printed.
 */
static int load_config(const char *path, int named, struct api_config *cfg, char **keep)
{
	char *text = NULL, *line, *next;
	unsigned lineno = 0, seen[sizeof(serve_opts) / sizeof(serve_opts[0])] = { 0 };
	size_t len;
	int rc;

	*keep = NULL;
	rc = xread_file(path, SERVE_CONFIG_MAX, &text, &len);
	if (rc == -ENOENT && !named)
		return 0;
	if (rc < 0) {
		sz_err("cannot read %s: %s", path, rc == -EFBIG ? "larger than 64 KiB" : strerror(-rc));
		return -EINVAL;
	}
	*keep = text;
	if (strlen(text) != len) {
		sz_err("%s: a NUL byte in the file", path);
		return -EINVAL;
	}
	for (line = text; line && *line; line = next) {
		char *eq, *key, *val;
		size_t i, n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		key = trim(line, line + strlen(line));
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			sz_err("%s:%u: want key = value", path, lineno);
			return -EINVAL;
		}
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		key = trim(key, eq);
		n = strlen(val);
		if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
			val[n - 1] = '\0';
			val++;
		} else if (n && (val[0] == '"' || val[n - 1] == '"')) {
			sz_err("%s:%u: unbalanced quote in the value of %.64s", path, lineno, key);
			return -EINVAL;
		}
		for (i = 0; serve_opts[i].name; i++)
			if (serve_opts[i].has_arg == required_argument && serve_opts[i].val != 'F' &&
			    !strcmp(serve_opts[i].name, key))
				break;
		if (!serve_opts[i].name) {
			sz_err("%s:%u: unknown key '%.64s' (the keys are serve's options: see sanitizerd.conf(5))",
			       path, lineno, key);
			return -EINVAL;
		}
		if (seen[i]) {
			sz_err("%s:%u: %s is already set on line %u", path, lineno, key, seen[i]);
			return -EINVAL;
		}
		seen[i] = lineno;
		if (!*val || apply(cfg, serve_opts[i].val, val) < 0) {
			sz_err("%s:%u: invalid value '%.200s' for %s", path, lineno, val, key);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The issuer from the state directory (sanitizerd init --org-*), for each
 * detail neither the command line nor the configuration set.  The strings
 * go to *o, which the caller clears after the daemon stops.  0, or -errno
 * with err set when organization.json cannot be read or is not init's: the
 * daemon does not start then, rather than sign certificates without their
 * issuer.
 */
static int org_defaults(struct api_config *cfg, struct sz_org *o, char *err, size_t errlen)
{
	int rc = org_load(cfg->state_dir, o, err, errlen);

	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (!cfg->org_name)
		cfg->org_name = o->name ? o->name : "";
	if (!cfg->org_location)
		cfg->org_location = o->location ? o->location : "";
	if (!cfg->org_phone)
		cfg->org_phone = o->phone ? o->phone : "";
	return 0;
}

/*
 * Test build only (tests/t8030-privsep.sh): SZ_TEST_HTTP_PROBE="PATH[:PATH...]"
 * makes the http process try to open each path after it locked itself
 * down, and log what happened: the test's proof that it cannot.
 */
static void test_probe(struct api *a)
{
#ifdef SZ_TEST_HOOKS
	const char *v = getenv("SZ_TEST_HTTP_PROBE");
	char buf[1024], *p, *next;

	if (!v || strlen(v) >= sizeof(buf))
		return;
	snprintf(buf, sizeof(buf), "%s", v);
	for (p = buf; p && *p; p = next) {
		int fd, e;

		next = strchr(p, ':');
		if (next)
			*next++ = '\0';
		fd = open(p, O_RDONLY | O_CLOEXEC);
		e = errno;
		api_log(a, "probe: open %s: %s", p, fd >= 0 ? "opened" : strerror(e));
		if (fd >= 0)
			close(fd);
	}
#else
	(void)a;
#endif
}

static void link_log(void *ctx, const char *msg)
{
	api_log(ctx, "%s", msg);
}

/*
 * The http process's user: --user, or sanitizerd, or (with a warning) nobody
 * when there is no such account.  0, -ENOENT.
 */
static int http_user(struct api *a, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	const char *name = a->cfg.user ? a->cfg.user : "sanitizerd";
	struct passwd *pw = getpwnam(name);

	if (!pw && !a->cfg.user) {
		pw = getpwnam("nobody");
		if (pw)
			api_log(a, "warning: there is no user sanitizerd (debian/postinst makes it): the http "
				"process runs as nobody");
	}
	if (!pw) {
		snprintf(err, errlen, "no user %s for the http process (--user)", name);
		return -ENOENT;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "the http process's user %s is root (--user)", name);
		return -EINVAL;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/*
 * The ledger process keeps uid 0 (it owns the state) but no capability,
 * and, where the kernel has Landlock, may touch no file outside the state
 * directory (issue 12): the key holder can write the ledger and nothing
 * else.  Its files are open or opened there; its log comes from the parent.
 */
static int ledger_lockdown(struct api *a, char *err, size_t errlen)
{
	char dir[PATH_MAX], how[200];
	const char *w[1] = { dir };
	struct sandbox_opts o = { .dumpable = 0 };

	if (!realpath(a->cfg.state_dir, dir)) {
		snprintf(err, errlen, "cannot resolve %s: %s", a->cfg.state_dir, strerror(errno));
		return -errno;
	}
	if (sandbox_landlock_abi() >= 1) {
		o.landlock = 1;
		o.ll_write = w;
		o.nll_write = 1;
	} else {
		api_log(a, "warning: no Landlock in this kernel: the ledger process has no capability, but "
			"its file system is not limited to the state directory");
	}
	tzset();
	if (sandbox_lockdown(&o, how, sizeof(how), err, errlen) < 0)
		return -EPERM;
	api_logl(a, LOG_DEBUG, "ledger process locked down: %s", how);
	return 0;
}

/*
 * The devices process stays root with what erasing and its files need, and
 * gives up the rest of what it was started with (issue 12): the
 * capabilities that exist only for the http process's drop (CAP_SETUID,
 * CAP_SETGID, CAP_SETPCAP, CAP_SYS_CHROOT) and those no drive needs.  What
 * the parent's bounding set lacks is not asked for (the systemd unit gives
 * CAP_SYS_ADMIN and CAP_SYS_RAWIO only).
 */
static int devices_lockdown(struct api *a, char *err, size_t errlen)
{
	static const int want[] = {
		CAP_SYS_ADMIN,		/* NVMe admin commands, BLKFLSBUF, device-mapper for LUKS */
		CAP_SYS_RAWIO,		/* SG_IO: ATA PASS-THROUGH, SCSI SANITIZE */
		CAP_IPC_LOCK,		/* io_uring's registered buffers, libcryptsetup's locked memory */
		CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_CHOWN,	/* a state kept by another user */
		CAP_SYS_NICE, CAP_SYS_RESOURCE,	/* the writer's and engine's priority, RLIMIT_MEMLOCK */
	};
	int keep[sizeof(want) / sizeof(want[0])];
	struct sandbox_opts o = { .dumpable = 0, .keep_caps = keep };
	char how[200];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (prctl(PR_CAPBSET_READ, want[i], 0, 0, 0) == 1)
			keep[o.nkeep++] = want[i];
	if (geteuid() != 0)
		o.nkeep = 0, o.keep_caps = NULL;
	if (sandbox_lockdown(&o, how, sizeof(how), err, errlen) < 0)
		return -EPERM;
	api_logl(a, LOG_DEBUG, "devices process locked down: %s", how);
	return 0;
}

/*
 * The http or devices process: open what it needs, (http) lock itself down,
 * link to the others through the parent, serve, say so.  0 or -errno with err.
 */
static int serve_child(struct api *a, int role, char *err, size_t errlen)
{
	struct ipc_link *links[IPC_NPEERS] = { 0 };
	int rc = api_open(a, err, errlen);

	if (rc < 0)
		return rc;
	if (role == IPC_PEER_HTTP) {
		struct sandbox_opts o = { .seccomp = 1, .landlock = 1, .dumpable = 0 };
		char how[200];

		o.drop_user = geteuid() == 0;
		if (o.drop_user && (rc = http_user(a, &o.uid, &o.gid, err, errlen)) < 0)
			return rc;
		if (!o.drop_user)
			api_log(a, "warning: not started as root: the http process keeps uid %u", (unsigned)geteuid());
		tzset();		/* /etc/localtime, read now: no file opens later */
		json_object_seed(0);	/* jansson's hash seed from /dev/urandom, read now */
		rc = sandbox_lockdown(&o, how, sizeof(how), err, errlen);
		if (rc < 0)
			return rc;
		api_logl(a, LOG_DEBUG, "http process locked down: %s", how);
		test_probe(a);
		a->lk_ledger = links[IPC_PEER_LEDGER] = ipc_link_new("ledger", NULL, a, 0, link_log);
		a->lk_devices = links[IPC_PEER_DEVICES] = ipc_link_new("devices", api_http_frame, a, 0, link_log);
	} else {
		rc = devices_lockdown(a, err, errlen);
		if (rc < 0)
			return rc;
		a->lk_ledger = links[IPC_PEER_LEDGER] = ipc_link_new("ledger", NULL, a, 0, link_log);
		a->lk_http = links[IPC_PEER_HTTP] = ipc_link_new("http", api_devices_frame, a, API_DEVICES_WORKERS,
								  link_log);
	}
	if (!a->lk_ledger || !(a->lk_devices || a->lk_http) || !(a->lk_parent = privsep_control(a, links))) {
		snprintf(err, errlen, "cannot start the links to the other processes");
		return -ENOMEM;
	}
	rc = api_serve(a, err, errlen);
	if (rc < 0)
		return rc;
	rc = privsep_ready(a->lk_parent, (unsigned)role);
	if (rc < 0)
		snprintf(err, errlen, "cannot tell the parent it serves: %s", strerror(-rc));
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct api *a;
	struct sz_org org = { 0 };
	struct { int c, li; const char *v; } *given = NULL;
	const char *config = SERVE_CONFIG_DEFAULT;
	char err[600] = "", *conf_text = NULL;
	sigset_t set;
	int c, created, rc, sig, li = 0, ngiven = 0, named = 0, role;

	a = calloc(1, sizeof(*a));
	given = calloc((size_t)argc + 1, sizeof(*given));
	if (!a || !given) {
		free(a);
		free(given);
		return EXIT_FAIL;
	}
	a->cfg = (struct api_config){
		.listen = "127.0.0.1:8420", .state_dir = SZ_DEFAULT_STATE_DIR, .threads = default_threads(),
		.log_level = LOG_INFO, .log_format = LOG_TEXT,
		.conn_limit = 512, .conn_timeout = 30, .conn_per_ip = 64, .header_timeout = 10, .request_timeout = 60, .ckpt_every_n = 256, .ckpt_every_ms = 5000,
		.max_jobs = 4, .public_url = "http://127.0.0.1:8420",
	};
	/* the command line first, kept; the file; then the command line over it */
	while ((c = getopt_long(argc, argv, ":", serve_opts, &li)) != -1) {
		switch (c) {
		case 'h': free(a); free(given); return sz_usage(serve_usage, 0);
		case 'F': config = optarg; named = 1; break;
		case ':': case '?': free(a); free(given); return sz_opt_error(c, argv);
		default:
			given[ngiven].c = c;
			given[ngiven].li = li;
			given[ngiven++].v = optarg;
			break;
		}
	}
	rc = EXIT_USAGE;
	if (optind != argc) {
		sz_extra_arg(argv[optind]);
		goto out_free;
	}
	if (load_config(config, named, &a->cfg, &conf_text) < 0)
		goto out_free;
	for (int i = 0; i < ngiven; i++)
		if (apply(&a->cfg, given[i].c, given[i].v) < 0) {
			sz_err("invalid value '%.200s' for --%s", given[i].v, serve_opts[given[i].li].name);
			goto out_free;
		}
	free(given);
	given = NULL;
	role = privsep_role();
	if (role < 0) {
		sz_err("%s in the environment is not ledger, devices or http", PRIVSEP_ENV);
		rc = EXIT_FAIL;
		goto out_free;
	}
	if (role == 0) {
		/* the parent: the state exists and its secrets are private before any child starts */
		rc = state_init(a->cfg.state_dir, a->cfg.origin, &created, err, sizeof(err));
		if (rc == 0)
			rc = state_open(a->cfg.state_dir, STATE_RDONLY, &a->st, err, sizeof(err));
		state_free(a->st);
		a->st = NULL;
	} else {
		created = 0;
		rc = state_open(a->cfg.state_dir,
				role == IPC_PEER_LEDGER ? STATE_KEY : role == IPC_PEER_HTTP ? STATE_RDONLY | STATE_RO_SHM
											  : STATE_RDONLY,
				&a->st, err, sizeof(err));
	}
	if (rc == 0)
		rc = org_defaults(&a->cfg, &org, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err[0] ? err : strerror(-rc));
		state_free(a->st);
		rc = EXIT_FAIL;
		goto out_free;
	}
	if (created)
		fprintf(stderr, "sanitizerd: initialised %s; the admin token is in %s/admin.token\n",
			a->cfg.state_dir, a->cfg.state_dir);
	api_reopen_log(a);

	/* every thread started from here on inherits the blocked set */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (role == 0) {
		rc = privsep_parent(a, argc, argv);
	} else if (role == IPC_PEER_LEDGER) {
		rc = ledger_lockdown(a, err, sizeof(err));
		if (rc < 0) {
			sz_err("ledger process: %s", err);
			rc = EXIT_FAIL;
		} else {
			rc = privsep_ledger(a);
		}
	} else {
		a->mode = role == IPC_PEER_HTTP ? API_HTTP : API_DEVICES;
		a->listen_fd = PRIVSEP_LISTEN_FD;
		rc = serve_child(a, role, err, sizeof(err));
		if (rc < 0) {
			sz_err("%s process: %s", role == IPC_PEER_HTTP ? "http" : "devices", err);
			api_stop(a);
			rc = EXIT_FAIL;
		} else {
			while (sigwait(&set, &sig) != 0 || sig == SIGHUP)
				;	/* SIGHUP: the parent hands over the reopened log (IPC_LOGFD) */
			api_log(a, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			api_stop(a);
			rc = EXIT_OK;
		}
	}
	state_free(a->st);
	if (a->log)
		fclose(a->log);
	if (role == IPC_PEER_HTTP) {
		/*
		 * Its seccomp filter has no room for an exit's own work (the ASan
		 * build's leak check would trace it): the http process ends here.
		 */
		fflush(NULL);
		_exit(rc);
	}
out_free:
	org_clear(&org);
	free(conf_text);
	free(given);
	free(a);
	return rc;
}
