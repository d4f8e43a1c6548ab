/*
 * sanitizerd serve — the daemon's lifecycle: initialise the state on first
 * start, open it (refusing secrets others can read), start the API, and
 * wait for signals: SIGTERM/SIGINT stop it cleanly, SIGHUP reopens the log.
 * Signals are blocked in every thread and taken here with sigwait.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "audit/ledger.h"
#include "sanitizerd/cmd.h"
#include "sanitizerd/xio.h"
#include "sanitizerd/state.h"

static const char serve_usage[] =
	"usage: sanitizerd serve [--listen HOST:PORT] [--state-dir D] [--origin NAME]\n"
	"                        [--tls-cert F --tls-key F] [--log FILE] [--threads N]\n"
	"                        [--log-level error|warn|info|debug] [--log-format text|json]\n"
	"                        [--max-jobs N] [--checkpoint-every N] [--checkpoint-interval MS]\n"
	"                        [--conn-limit N] [--conn-timeout S] [--conn-per-ip N]\n"
	"                        [--header-timeout S] [--request-timeout S]\n"
	"                        [--org-name S] [--org-location S] [--org-phone S] [--public-url URL]\n"
	"\n"
	"Run the daemon (default 127.0.0.1:8420, state " SZ_DEFAULT_STATE_DIR ").  The state\n"
	"is initialised on first start.  A checkpoint is signed at least every N entries\n"
	"(default 256) and every MS milliseconds (default 5000), and on demand.\n"
	"--threads N HTTP threads (default 8 per core, 8 to 64).\n"
	"At most --conn-limit connections (default 512), --conn-per-ip from one client\n"
	"address (default 64); an idle one is closed after --conn-timeout seconds\n"
	"(default 30), one that has not sent its headers --header-timeout seconds after\n"
	"it opened or its last answer (default 10), or its whole request within\n"
	"--request-timeout seconds (default 60).  A request line with more than 64 query\n"
	"parameters is cut off.\n"
	"Log lines at --log-level and above (default info: every request; warn: refusals\n"
	"and errors), as text or one JSON object per line; under journald (JOURNAL_STREAM)\n"
	"lines carry its <N> priority and text lines no time of their own.\n"
	"SIGTERM/SIGINT: stop accepting, finish requests, stop wipes at a safe point and\n"
	"record them, exit 0.  SIGHUP: reopen the --log file.\n";

/*
 * HTTP pool threads: eight per core, 8 to 64.  Each POST holds its thread
 * while the group commit's fsync runs, so some over-subscription keeps the
 * POST rate up, but 64 threads on two cores made the soak's tail (bench/
 * soak.sh: POST p99 37 ms with 64, 28 ms with 16, at a higher rate).
 */
static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	n = n > 0 ? n * 8 : 8;
	return n < 8 ? 8 : n > 64 ? 64 : (unsigned)n;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;

	if (xparse_u64(s, &v) < 0 || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
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
		{ "log-format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct api *a;
	char err[600] = "";
	sigset_t set;
	int c, created, rc, sig;

	a = calloc(1, sizeof(*a));
	if (!a)
		return EXIT_FAIL;
	a->cfg = (struct api_config){
		.listen = "127.0.0.1:8420", .state_dir = SZ_DEFAULT_STATE_DIR, .threads = default_threads(),
		.conn_limit = 512, .conn_timeout = 30, .conn_per_ip = 64, .header_timeout = 10, .request_timeout = 60, .ckpt_every_n = 256, .ckpt_every_ms = 5000,
		.max_jobs = 4, .org_name = "", .org_location = "", .org_phone = "",
		.public_url = "http://127.0.0.1:8420",
		.log_level = LOG_INFO, .log_format = LOG_TEXT,
	};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': a->cfg.listen = optarg; break;
		case 'd': a->cfg.state_dir = optarg; break;
		case 'o': a->cfg.origin = optarg; break;
		case 'c': a->cfg.tls_cert = optarg; break;
		case 'k': a->cfg.tls_key = optarg; break;
		case 'L': a->cfg.log_path = optarg; break;
		case 't': rc = parse_uint(optarg, 1, 64, &a->cfg.threads); goto check;
		case 'j': rc = parse_uint(optarg, 1, 64, &a->cfg.max_jobs); goto check;
		case 'C': rc = parse_uint(optarg, 1, 65536, &a->cfg.conn_limit); goto check;
		case 'T': rc = parse_uint(optarg, 1, 3600, &a->cfg.conn_timeout); goto check;
		case 'I': rc = parse_uint(optarg, 1, 65536, &a->cfg.conn_per_ip); goto check;
		case 'H': rc = parse_uint(optarg, 1, 3600, &a->cfg.header_timeout); goto check;
		case 'R': rc = parse_uint(optarg, 1, 3600, &a->cfg.request_timeout); goto check;
		case 'n': rc = parse_uint(optarg, 1, 1000000, &a->cfg.ckpt_every_n); goto check;
		case 'i': rc = parse_uint(optarg, 10, 3600000, &a->cfg.ckpt_every_ms); goto check;
		case 'O': a->cfg.org_name = optarg; break;
		case 'A': a->cfg.org_location = optarg; break;
		case 'P': a->cfg.org_phone = optarg; break;
		case 'U': a->cfg.public_url = optarg; break;
		case 'v': rc = log_level_parse(optarg, &a->cfg.log_level); goto check;
		case 'F': rc = log_format_parse(optarg, &a->cfg.log_format); goto check;
		case 'h': free(a); return sz_usage(serve_usage, 0);
		default: free(a); return sz_usage(serve_usage, 1);
		}
		continue;
check:
		if (rc < 0) {
			sz_err("invalid value '%s' for an option (see sanitizerd serve --help)", optarg);
			free(a);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		free(a);
		return sz_usage(serve_usage, 1);
	}
	rc = state_init(a->cfg.state_dir, a->cfg.origin, &created, err, sizeof(err));
	if (rc == 0)
		rc = state_open(a->cfg.state_dir, STATE_KEY, &a->st, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
		free(a);
		return EXIT_FAIL;
	}
	if (created)
		fprintf(stderr, "sanitizerd: initialised %s; the admin token is in %s/admin.token\n",
			a->cfg.state_dir, a->cfg.state_dir);
	ledger_set_signer(a->st->ledger, a->st->key, a->st->origin, a->cfg.ckpt_every_n, a->cfg.ckpt_every_ms);
	api_reopen_log(a);

	/* every thread started from here on inherits the blocked set */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = api_start(a, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
		api_stop(a);
		state_free(a->st);
		free(a);
		return EXIT_FAIL;
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			api_reopen_log(a);
			api_log(a, "SIGHUP: log reopened");
			continue;
		}
		api_log(a, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	api_stop(a);
	api_log(a, "stopped");
	state_free(a->st);
	if (a->log)
		fclose(a->log);
	free(a);
	return EXIT_OK;
}
