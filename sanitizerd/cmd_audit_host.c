/*
 * sanitizerd audit-host — run the Shellshock proof-of-concept checks against
 * a bash binary (audit/probe) and record the result as a host_audit entry:
 * in the local ledger (audit/patchaudit), or by POSTing the same body to a
 * daemon's /v1/hosts/{name}/patch-audits (SPEC section 9).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "audit/ledger.h"
#include "audit/patchaudit.h"
#include "audit/probe.h"
#include "sanitizerd/cmd.h"
#include "core/state.h"
#include "util/xio.h"

#define SCANNER "sanitizerd-audit-host/" SZ_VERSION
#define TOKEN_MAX 4096
#define URL_MAX 2048
#define RESPONSE_MAX (1 << 20)

static const char audit_host_usage[] =
	"usage: sanitizerd audit-host [--bash PATH] [--host NAME] [--json]\n"
	"                             [--state-dir D | --server URL --token-file F | --dry-run]\n"
	"\n"
	"Run the Shellshock proof-of-concept checks (CVE-2014-6271, -7169, -7186,\n"
	"-7187, -6277, -6278) against a bash binary and record the result as one\n"
	"host_audit ledger entry for the host, linked to the drives deployed on it.\n"
	"Each check runs the binary with execve, a fixed argv, an environment of\n"
	"only the crafted variable and PATH=/usr/bin:/bin, in a fresh temporary\n"
	"directory, with a time limit and an output cap; a crash or a timeout\n"
	"counts as vulnerable.\n"
	"\n"
	"  --bash PATH        the binary to test (default " PROBE_DEFAULT_BASH ")\n"
	"  --host NAME        the host the audit is for (default: this machine's name)\n"
	"  --state-dir D      record in the local ledger in D (default " SZ_DEFAULT_STATE_DIR
	" when it exists)\n"
	"  --server URL       POST the result to a daemon at URL (http or https)\n"
	"  --token-file F     the bearer token for --server; refused if group or others can read it\n"
	"  --dry-run          run the checks and print them, record nothing\n"
	"  --timeout-ms N     time limit per check (default 5000)\n"
	"  --json             print {host, bash, scanner, time, checks, entry} instead of a table\n"
	"\n"
	"Exit status: 0 every check ran, none is vulnerable, and the result was\n"
	"recorded; 1 a check is vulnerable (the result is still recorded), a check\n"
	"was inconclusive (the binary does not behave like bash: nothing is\n"
	"recorded), or the checks or the recording failed; 2 usage error.\n";

struct aopts {
	const char *bash, *host, *dir, *server, *token_file;
	int json, dry_run, dir_given;
	unsigned timeout_ms;
};

static int parse(int argc, char **argv, struct aopts *o)
{
	static const struct option opts[] = {
		{ "bash", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->bash = PROBE_DEFAULT_BASH;
	o->dir = SZ_DEFAULT_STATE_DIR;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bash = optarg; break;
		case 'H': o->host = optarg; break;
		case 'd': o->dir = optarg; o->dir_given = 1; break;
		case 's': o->server = optarg; break;
		case 't': o->token_file = optarg; break;
		case 'n': o->dry_run = 1; break;
		case 'j': o->json = 1; break;
		case 'T':
			if (xparse_u64(optarg, &v) < 0 || v == 0 || v > 600000) {
				sz_err("invalid --timeout-ms: want 1 to 600000");
				return -1;
			}
			o->timeout_ms = (unsigned)v;
			break;
		case 'h': return 1;
		default: return -sz_opt_error(c, argv);
		}
	}
	if (optind != argc)
		return -sz_extra_arg(argv[optind]);
	if ((o->server != NULL) != (o->token_file != NULL)) {
		sz_err("--server and --token-file go together");
		return -1;
	}
	if (o->dry_run + (o->server != NULL) + o->dir_given > 1) {
		sz_err("choose one of --state-dir, --server and --dry-run");
		return -1;
	}
	return 0;
}

static void print_table(const struct probe_result *res)
{
	printf("%-14s %-12s %s\n", "CHECK", "STATUS", "EVIDENCE");
	for (size_t i = 0; i < PROBE_CHECKS; i++)
		printf("%-14s %-12s %s\n", res[i].id, probe_status_name(res[i].status), res[i].evidence);
}

/* The bearer token, from a file no one else can read; one line of visible ASCII. */
static int read_token(const char *path, char **tok)
{
	mode_t mode = 0;
	size_t len;
	int rc;

	*tok = NULL;
	rc = xcheck_secret(path, &mode);
	if (rc == -EPERM) {
		sz_err("cannot use %s: mode %04o lets group or others read it (chmod 600)", path,
		       (unsigned)(mode & 07777));
		return rc;
	}
	if (rc == 0)
		rc = xread_file(path, TOKEN_MAX, tok, &len);
	if (rc < 0) {
		sz_err("cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	while (len && ((*tok)[len - 1] == '\n' || (*tok)[len - 1] == '\r'))
		(*tok)[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		/* it goes into a header line: nothing that could end or split it */
		if ((*tok)[i] <= ' ' || (*tok)[i] == 0x7f) {
			len = 0;
			break;
		}
	}
	if (len == 0) {
		explicit_bzero(*tok, strlen(*tok));
		free(*tok);
		*tok = NULL;
		sz_err("cannot use %s: not a token (one line, no spaces)", path);
		return -EINVAL;
	}
	return 0;
}

struct buf {
	char *p;
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;
	char *t;

	if (add > RESPONSE_MAX - b->len)
		return 0;	/* curl fails the transfer: the response is over its cap */
	t = realloc(b->p, b->len + add + 1);
	if (!t)
		return 0;
	memcpy(t + b->len, data, add);
	b->p = t;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* URL/v1/hosts/HOST/patch-audits into url.  0 or -EINVAL with a message. */
static int audit_url(const char *server, const char *host, char url[URL_MAX])
{
	size_t blen = strlen(server);

	while (blen && server[blen - 1] == '/')
		blen--;
	if ((strncmp(server, "http://", 7) && strncmp(server, "https://", 8)) ||
	    (size_t)snprintf(url, URL_MAX, "%.*s/v1/hosts/%s/patch-audits", (int)blen, server, host) >= URL_MAX) {
		sz_err("invalid --server: want an http:// or https:// URL of at most %d bytes", URL_MAX / 2);
		return -EINVAL;
	}
	return 0;
}

/*
 * POST body to url with the bearer token.  The response entry goes to
 * *entry (may stay NULL if the server's reply is not JSON).  0 or -errno.
 */
static int post_audit(const char *url, const char *tok, const json_t *body, json_t **entry)
{
	char *text = NULL, *auth = NULL;
	struct curl_slist *hdr = NULL;
	struct buf resp = { 0 };
	long status = 0;
	CURL *c = NULL;
	CURLcode cc;
	int rc = 0;

	*entry = NULL;
	text = json_dumps(body, JSON_COMPACT);
	if (!text || asprintf(&auth, "Authorization: Bearer %s", tok) < 0) {
		auth = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c = curl_easy_init())) {
		sz_err("cannot start libcurl");
		rc = -EIO;
		goto out;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = hdr ? curl_slist_append(hdr, auth) : NULL;
	if (!hdr) {
		rc = -ENOMEM;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* no redirects, no other schemes: the token goes only where it was told */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		sz_err("cannot post the audit to %s: %s", url, curl_easy_strerror(cc));
		rc = -EIO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*entry = resp.p ? json_loads(resp.p, 0, NULL) : NULL;
	if (status != 201 && status != 200) {
		const char *m = json_string_value(json_object_get(json_object_get(*entry, "error"), "message"));
		sz_err("cannot post the audit to %s: HTTP %ld%s%s", url, status, m ? ": " : "", m ? m : "");
		json_decref(*entry);
		*entry = NULL;
		rc = -EIO;
	}
out:
	if (rc == -ENOMEM)
		sz_err("cannot post the audit: out of memory");
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(text);
	free(resp.p);
	return rc;
}

int cmd_audit_host(int argc, char **argv)
{
	struct probe_result res[PROBE_CHECKS];
	struct probe_opts popts = { 0 };
	struct aopts o;
	char hostbuf[256], now[25], err[512] = "", url[URL_MAX], *tok = NULL;
	const char *host;
	json_t *checks = NULL, *body = NULL, *entry = NULL;
	int rc, vulnerable = 0, inconclusive = 0, local;
	struct state *st = NULL;
	struct stat sb;

	rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_USAGE : sz_usage(audit_host_usage, 0);
	host = o.host;
	if (!host) {
		if (gethostname(hostbuf, sizeof(hostbuf)) < 0) {
			sz_err("cannot read the host name: %s (use --host)", strerror(errno));
			return EXIT_FAIL;
		}
		hostbuf[sizeof(hostbuf) - 1] = '\0';
		host = hostbuf;
	}
	if (!patch_audit_host_valid(host)) {
		sz_err("invalid host name '%.200s': want 1 to %d of [A-Za-z0-9.-] (use --host)", host,
		       PATCH_AUDIT_HOST_MAX);
		return o.host ? EXIT_USAGE : EXIT_FAIL;
	}
	/* where it goes is settled before the checks run, so a typo costs no probe */
	local = !o.dry_run && !o.server;
	if (local && !o.dir_given && stat(o.dir, &sb) < 0) {
		sz_err("cannot record: no state directory at %s (use --state-dir, --server or --dry-run)",
		       o.dir);
		return EXIT_FAIL;
	}
	if (o.server && audit_url(o.server, host, url) < 0)
		return EXIT_USAGE;
	if (o.server && read_token(o.token_file, &tok) < 0)
		return EXIT_FAIL;
	if (local && state_open(o.dir, STATE_KEY, &st, err, sizeof(err)) < 0) {
		sz_err("%s", err);
		return EXIT_FAIL;
	}
	popts.timeout_ms = o.timeout_ms;
	rc = probe_run(o.bash, &popts, res, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
		goto out;
	}
	for (size_t i = 0; i < PROBE_CHECKS; i++) {
		vulnerable |= res[i].status == PROBE_VULNERABLE;
		inconclusive |= res[i].status == PROBE_INCONCLUSIVE;
	}
	xtime_rfc3339(now);
	if (!inconclusive && probe_results_json(res, PROBE_CHECKS, &checks) == 0)
		body = json_pack("{s:s, s:s, s:s, s:o}", "scanner", SCANNER, "time", now, "bash", o.bash,
				 "checks", checks);
	if (inconclusive) {
		rc = -EINVAL;
	} else if (!body) {
		sz_err("cannot build the audit: out of memory");
		rc = -ENOMEM;
	} else if (o.server) {
		rc = post_audit(url, tok, body, &entry);
	} else if (local) {
		rc = patch_audit_record(st->ledger, host, body, "local:audit-host", &entry, err, sizeof(err));
		if (rc < 0)
			sz_err("%s", err);
	}
	if (o.json) {
		json_t *arr = json_array(), *out;
		for (size_t i = 0; arr && i < PROBE_CHECKS; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", res[i].id, "status",
							     probe_status_name(res[i].status), "evidence",
							     res[i].evidence));
		out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:O}", "host", host, "bash", o.bash, "scanner",
				SCANNER, "time", now, "checks", arr, "entry", entry ? entry : json_null());
		if (out)
			sz_print_json(out);
		json_decref(out);
	} else {
		print_table(res);
		if (json_is_integer(json_object_get(entry, "seq")))
			printf("recorded: host:%s seq %lld\n", host,
			       (long long)json_integer_value(json_object_get(entry, "seq")));
	}
	if (inconclusive)
		sz_err("cannot record: a check was inconclusive (is %s a bash?)", o.bash);
	else if (vulnerable && rc == 0)
		sz_err("%s is vulnerable", o.bash);
	json_decref(body);
	json_decref(entry);
out:
	state_free(st);
	if (tok) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	return rc < 0 || vulnerable ? EXIT_FAIL : EXIT_OK;
}
