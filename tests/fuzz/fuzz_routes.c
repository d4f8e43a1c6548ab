/*
 * fuzz_routes — the HTTP routes in-process: the route table, bearer-token
 * authentication, role and tenant checks and every handler (api/server.c and
 * api/h_*.c), through api_dispatch_for_test (test build only), over a real
 * state directory with the ledger writer thread and the job table running.
 *
 * The state: admin, technician, auditor, two customers (tenants acme and
 * other) and a revoked technician; asset fzacme1 (tenant acme, deployed on
 * web-17), fzacme2 (acme, certified) and fzother1 (tenant other, serial
 * SECRET-OTHER-1, certified, shipped and handed over with SECRET-… custody
 * details).  The certificates' ids and JWSs are random, so inputs name them
 * @CERT_ACME@, @CERT_OTHER@, @JWS_ACME@, @JWS_OTHER@ (in path, query, body).
 *
 * Input: byte 0 picks the token (mod 8): none, admin, technician, auditor,
 * customer acme, customer other, revoked, or the first line of the input
 * as the whole Authorization header.  Then lines: method, path (decoded, as
 * libmicrohttpd passes it), query (raw, after '?'), Content-Type (empty:
 * none), and the body (the rest).
 *
 * Never sent: anything under /v1/jobs but GET, /v1/batches and
 * /v1/devices, which reach real block devices (COMMON safety rule: no
 * device but a test's own loop device), and /v1/stream, which suspends its
 * libmicrohttpd connection (there is none here).  The device watch (station) is not started: job events go
 * nowhere, as station_publish(NULL) allows.
 *
 * Properties (issue 11's hostile-client findings): no answer is a 500; every
 * JSON answer parses, and every error is {"error":{"code","message"}} with
 * a message of valid UTF-8 without control characters; without a token only
 * the public routes answer 2xx; customer acme never sees the other tenant's
 * asset id or custody details (unless its own request named them: messages
 * may quote the request); a revoked token is a 401 on every route that
 * needs one; POST /v1/verify without a token, or by another tenant's
 * customer, carries no custody data (issue 11).
 */
#include <pthread.h>
#include <jansson.h>

#include "api/api.h"
#include "api/jobs.h"
#include "audit/cert.h"
#include "audit/jwk.h"
#include "audit/ledger.h"
#include "audit/tokens.h"
#include "core/state.h"
#include "util/xio.h"
#include "tests/fuzz/fuzz.h"

enum { T_NONE, T_ADMIN, T_TECH, T_AUDITOR, T_ACME, T_OTHER, T_REVOKED, T_RAW, T_N };
static char tokens[T_N][TOKEN_LEN + 1];
static struct api *api;

#define OTHER_SERIAL "SECRET-OTHER-1"
#define OTHER_ID "fzother1"

static const char *const seeds[] = {
	"\x00GET\n/healthz\n\n\n",
	"\x00GET\n/metrics\n\n\n",
	"\x00GET\n/v1/keys\n\n\n",
	"\x00GET\n/.well-known/jwks.json\n\n\n",
	"\x00GET\n/v1/openapi.json\n\n\n",
	"\x00GET\n/v1/ledger/checkpoint\n\n\n",
	"\x00GET\n/v1/ledger/proof/inclusion\nseq=1&tree_size=5\n\n",
	"\x00GET\n/v1/ledger/proof/consistency\nfrom=1&to=5\n\n",
	"\x03GET\n/v1/ledger/entries/3\n\n\n",
	"\x01GET\n/v1/tokens\n\n\n",
	"\x01POST\n/v1/tokens\n\napplication/json\n{\"role\":\"customer\",\"name\":\"c\",\"tenant\":\"acme\"}",
	"\x01""DELETE\n/v1/tokens/AAAAAAAAAAAA\n\n\n",
	"\x02POST\n/v1/assets\n\napplication/json\n{\"serial\":\"S-NEW\",\"model\":\"M\",\"media_type\":\"hdd\","
	"\"capacity_bytes\":1000,\"tenant\":\"acme\",\"property_number\":\"PN-1\"}",
	"\x02GET\n/v1/assets\n\n\n",
	"\x04GET\n/v1/assets\ntenant=other&limit=10\n\n",
	"\x04GET\n/v1/assets/fzacme1\n\n\n",
	"\x04GET\n/v1/assets/" OTHER_ID "\n\n\n",
	"\x04GET\n/v1/assets/fzacme1/events\nlimit=2&after=1\n\n",
	"\x02POST\n/v1/assets/fzacme1/events\n\napplication/json\n{\"type\":\"note\",\"data\":{\"text\":\"x\"}}",
	"\x02POST\n/v1/assets/fzacme1/events\n\napplication/json; charset=utf-8\n"
	"{\"type\":\"custody_transfer\",\"data\":{\"carrier\":\"c\",\"seal\":\"s\"}}",
	"\x02POST\n/v1/assets/fzacme1/events\n\napplication/json\n{\"type\":\"sanitize_completed\",\"data\":{}}",
	"\x02GET\n/v1/jobs/job_AAAA\n\n\n",
	"\x02""DELETE\n/v1/jobs/job_AAAA\n\n\n",
	"\x02POST\n/v1/assets/fzacme1/certificate\n\napplication/json\n{\"performed_by\":{\"name\":\"Ann\"}}",
	"\x03GET\n/v1/certificates/crt_AAAAAAAAAAAA\n\n\n",
	"\x03GET\n/v1/certificates/@CERT_OTHER@\n\n\n",
	"\x04GET\n/v1/certificates/@CERT_ACME@.jws\n\n\n",
	"\x04GET\n/v1/certificates/@CERT_OTHER@\n\n\n",
	"\x04GET\n/v1/certificates/@CERT_ACME@.pdf\n\n\n",
	"\x00POST\n/v1/verify\n\napplication/json\n{\"jws\":\"eyJhbGciOiJFZERTQSJ9.e30.AAAA\"}",
	"\x00POST\n/v1/verify\n\napplication/json\n{\"jws\":\"@JWS_OTHER@\"}",
	"\x04POST\n/v1/verify\n\napplication/jose\n@JWS_OTHER@\n",
	"\x05POST\n/v1/verify\n\napplication/json\n{\"jws\":\"@JWS_OTHER@\"}",
	"\x02POST\n/v1/assets/fzacme2/events\n\napplication/json\n{\"type\":\"shipped\",\"data\":{\"carrier\":\"x\"}}",
	"\x03GET\n/v1/assets/" OTHER_ID "/events\nlimit=1\n\n",
	"\x02POST\n/v1/hosts/web-17/patch-audits\n\napplication/json\n{\"scanner\":\"s/1\",\"checks\":"
	"[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\"}]}",
	"\x04GET\n/v1/assets/fzacme1/exposure\n\n\n",
	"\x02GET\n/v1/assets/fz\xff\xfe/events\n\n\n",
	"\x02POST\n/v1/assets\n\napplication/json\n{\"serial\":\"\xc3\x28\",\"\xff\":1}",
	"\x02POST\n/v1/assets\n\ntext/\xe2\x82\n{}",
	"\x07" "Bearer szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nGET\n/v1/tokens\n\n\n",
	"\x06GET\n/v1/assets\n\n\n",
	"\x00GET\n/v1/nothing%0a2026-01-01 forged\n\n\n",
	/* issue 14: the console */
	"\x00GET\n/\n\n\n",
	"\x00GET\n/console/app.js\n\n\n",
	"\x04GET\n/verify/@CERT_OTHER@\n\n\n",
	"\x00GET\n/v1/verify/@CERT_OTHER@\n\n\n",
	"\x00POST\n/verify\n\napplication/x-www-form-urlencoded\njws=@JWS_OTHER@&x=%41%4",
	"\x00POST\n/v1/session\n\napplication/json\n{\"token\":\"szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
	"\x04GET\n/verify/@CERT_ACME@/qr.svg\n\n\n",
	"\x02GET\n/v1/session\n\n\n",
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_routes setup: %s: %s\n", what, why);
	abort();
}

static void add(struct ledger *l, const char *subject, const char *type, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);

	if (!d || ledger_append(l, subject, type, "fuzz", d, NULL, NULL, NULL) < 0)
		die(subject, ledger_errmsg(l));
	json_decref(d);
}

static const char completed_fmt[] =
	"{\"job_id\":\"j1\",\"method\":\"clear-zero\",\"category\":\"clear\",\"technique\":\"Overwrite\","
	"\"verification\":{\"method\":\"full\",\"result\":\"passed\",\"bytes_read\":4096},\"passes\":1,"
	"\"bytes_written\":4096,\"duration_ms\":5,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},"
	"\"device\":{\"path\":\"/dev/loop7\",\"identity\":\"loop:/tmp/x\",\"model\":\"Disk\",\"serial\":\"%s\","
	"\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T00:00:00.000Z\","
	"\"completed_at\":\"2026-01-01T00:00:05.000Z\"}";

/* enrolled, retired, sanitize_started, sanitize_completed (clear-zero, passed): ready for a certificate */
static void sanitized(struct ledger *l, const char *id, const char *serial, const char *tenant)
{
	char subject[64], data[2048];

	snprintf(subject, sizeof(subject), "asset:%s", id);
	snprintf(data, sizeof(data), "{\"serial\":\"%s\",\"model\":\"WD Blue\",\"media_type\":\"hdd\","
		 "\"capacity_bytes\":4096,\"tenant\":\"%s\"}", serial, tenant);
	add(l, subject, "enrolled", data);
	add(l, subject, "retired", "{}");
	add(l, subject, "sanitize_started", "{\"method\":\"clear-zero\"}");
	snprintf(data, sizeof(data), completed_fmt, serial);
	add(l, subject, "sanitize_completed", data);
}

/* The certificates' ids and JWSs are random: inputs name them by placeholder (subst) */
enum { CERT_ACME, CERT_OTHER, CERT_N };
static char *cert_id[CERT_N], *cert_jws[CERT_N];

static void issue(struct api *a, const char *id, int which)
{
	struct cert_config cfg = { .org_name = "Fuzz Org", .base_url = a->cfg.public_url };
	char err[512];
	json_t *out = NULL;

	if (cert_issue(a->st->ledger, a->st->key, a->st->origin, &cfg, id, NULL, "fuzz", &out, err,
		       sizeof(err)) < 0)
		die("cert_issue", err);
	cert_id[which] = strdup(json_string_value(json_object_get(out, "id")));
	cert_jws[which] = strdup(json_string_value(json_object_get(out, "jws")));
	if (!cert_id[which] || !cert_jws[which])
		abort();
	json_decref(out);
}

/* [in, in+len) with @CERT_ACME@, @CERT_OTHER@, @JWS_ACME@, @JWS_OTHER@ replaced; new, NUL-terminated */
static char *subst(const char *in, size_t len, size_t *outlen)
{
	static const char *const names[] = { "@CERT_ACME@", "@CERT_OTHER@", "@JWS_ACME@", "@JWS_OTHER@" };
	size_t cap = len + 1, o = 0;
	char *out;

	size_t longest = 0;

	for (size_t k = 0; k < CERT_N; k++) {
		longest = strlen(cert_id[k]) > longest ? strlen(cert_id[k]) : longest;
		longest = strlen(cert_jws[k]) > longest ? strlen(cert_jws[k]) : longest;
	}
	for (size_t i = 0; i < len; i++)
		if (in[i] == '@')
			cap += longest;	/* at most one name starts at each '@' */
	out = malloc(cap);
	if (!out)
		abort();
	for (size_t i = 0; i < len;) {
		size_t k;
		for (k = 0; k < 4; k++) {
			size_t nl = strlen(names[k]);
			if (len - i >= nl && !memcmp(in + i, names[k], nl)) {
				const char *v = k < 2 ? cert_id[k] : cert_jws[k - 2];
				memcpy(out + o, v, strlen(v));
				o += strlen(v);
				i += nl;
				break;
			}
		}
		if (k == 4)
			out[o++] = in[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static void make_token(struct ledger *l, int which, const char *role, const char *tenant)
{
	struct token_info info;

	if (token_create(l, role, "fuzz", tenant, "fuzz", &info, tokens[which]) < 0)
		die("token", ledger_errmsg(l));
	if (which == T_REVOKED && token_revoke(l, info.id, "fuzz") < 0)
		die("revoke", ledger_errmsg(l));
}

static void setup(void)
{
	char dir[300], err[600], *admin = NULL, *lpath;
	struct ledger *l;
	json_t *doc, *set;
	size_t n;
	int created;
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		abort();
	snprintf(dir, sizeof(dir), "%s/state", fuzz_tmpdir());
	a->cfg = (struct api_config){
		.listen = "127.0.0.1:0", .state_dir = strdup(dir), .threads = 2, .conn_limit = 16,
		.conn_timeout = 30, .conn_per_ip = 16, .header_timeout = 10, .request_timeout = 60,
		.ckpt_every_n = 256, .ckpt_every_ms = 5000, .max_jobs = 1, .org_name = "Fuzz Org",
		.org_location = "", .org_phone = "", .public_url = "http://127.0.0.1:8420",
	};
	if (state_init(dir, "fuzz.example/sanitizerd", &created, err, sizeof(err)) < 0 ||
	    state_open(dir, STATE_KEY | STATE_NOSYNC, &a->st, err, sizeof(err)) < 0)
		die("state", err);
	l = a->st->ledger;

	/* the tokens, and the two tenants' assets, before the writer owns the ledger */
	snprintf(err, sizeof(err), "%s/admin.token", dir);
	if (xread_file(err, 4096, &admin, &n) < 0 || n < TOKEN_LEN)
		die("admin.token", "unreadable");
	memcpy(tokens[T_ADMIN], admin, TOKEN_LEN);
	free(admin);
	make_token(l, T_TECH, "technician", NULL);
	make_token(l, T_AUDITOR, "auditor", NULL);
	make_token(l, T_ACME, "customer", "acme");
	make_token(l, T_OTHER, "customer", "other");
	make_token(l, T_REVOKED, "technician", NULL);
	add(l, "asset:fzacme1", "enrolled", "{\"serial\":\"S-ACME-1\",\"model\":\"M\",\"media_type\":\"ssd\","
	    "\"capacity_bytes\":1000,\"tenant\":\"acme\"}");
	add(l, "asset:fzacme1", "deployed", "{\"host\":\"web-17\",\"slot\":3}");
	add(l, "asset:fzacme1", "note", "{\"text\":\"hello\"}");
	sanitized(l, "fzacme2", "S-ACME-2", "acme");
	sanitized(l, OTHER_ID, OTHER_SERIAL, "other");
	issue(a, "fzacme2", CERT_ACME);
	issue(a, OTHER_ID, CERT_OTHER);
	add(l, "asset:" OTHER_ID, "shipped", "{\"carrier\":\"SECRET-CARRIER\",\"seal\":\"SECRET-SEAL\","
	    "\"tracking\":\"SECRET-TRACK\"}");
	add(l, "asset:" OTHER_ID, "custody_transfer", "{\"from\":\"SECRET-FROM\",\"to\":\"SECRET-TO\"}");

	/* what api_start does, but libmicrohttpd */
	pthread_mutex_init(&a->loglock, NULL);
	pthread_mutex_init(&a->rlock, NULL);
	pthread_rwlock_init(&a->tc.lock, NULL);
	pthread_cond_init(&a->rcond, NULL);
	a->log = fopen("/dev/null", "we");
	doc = jwk_keys_document(a->st->vkey, a->st->pub);
	set = jwk_set(a->st->pub);
	a->keys_doc = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	a->jwks_doc = set ? json_dumps(set, JSON_COMPACT) : NULL;
	json_decref(doc);
	json_decref(set);
	a->nreaders = a->cfg.threads + a->cfg.max_jobs + 2;
	a->readers = calloc(a->nreaders, sizeof(*a->readers));
	lpath = state_path(dir, "ledger.db");
	if (!a->log || !a->keys_doc || !a->jwks_doc || !a->readers || !lpath)
		die("setup", "out of memory");
	for (size_t i = 0; i < a->nreaders; i++)
		if (ledger_open(lpath, LEDGER_RDONLY, &a->readers[i], err, sizeof(err)) < 0)
			die("reader", err);
	a->nfree = a->nreaders;
	free(lpath);
	if (metrics_start(a) < 0)
		die("metrics", "cannot count the ledger");
	if (api_writer_start(a) < 0)
		die("writer", "cannot start");
	if (jobs_start(a, &a->jobs, err, sizeof(err)) < 0)
		die("jobs", err);
	api = a;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char name[32];

	(void)argc; (void)argv;
	if (getenv("SZ_FUZZ_SEEDS")) {
		for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
			snprintf(name, sizeof(name), "seed-%02zu", i);
			fuzz_seed(name, seeds[i], strlen(seeds[i] + 1) + 1);
		}
		exit(0);
	}
	if (crypto_init() < 0)
		abort();
	setup();
	return 0;
}

static char *line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s > end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl) {
		*p = end + 1;
		return s;
	}
	*nl = '\0';
	*p = nl + 1;
	return s;
}

/*
 * Routes that reach real devices (a wipe, a batch of wipes, the device list)
 * or need a libmicrohttpd connection (the event stream), by prefix, so a
 * route added under them later is left out too.  Every method: a handler's
 * method check must not be what stands between the fuzzer and a disk.
 */
static int never_sent(const char *method, const char *path)
{
	static const char *const prefixes[] = { "/v1/jobs", "/v1/batches", "/v1/devices", "/v1/stream" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])) &&
		    (path[strlen(prefixes[i])] == '\0' || path[strlen(prefixes[i])] == '/'))
			return strcmp(method, "GET") != 0 || strcmp(prefixes[i], "/v1/jobs") != 0;
	return 0;
}

static int is_public(const char *method, const char *path)
{
	static const char *const get[] = { "/healthz", "/metrics", "/.well-known/jwks.json", "/v1/keys",
					   "/v1/openapi.json", "/v1/ledger/checkpoint",
					   "/v1/ledger/proof/inclusion", "/v1/ledger/proof/consistency" };

	if (!strcmp(method, "POST") && (!strcmp(path, "/v1/verify") || !strcmp(path, "/verify") ||
					!strcmp(path, "/v1/session")))
		return 1;
	if (strcmp(method, "GET"))
		return 0;
	/* issue 14: the console's pages and the public verification page */
	if (!strcmp(path, "/") || !strcmp(path, "/verify") || !strncmp(path, "/console/", 9) ||
	    !strncmp(path, "/verify/", 8) || !strncmp(path, "/v1/verify/", 11))
		return 1;
	for (size_t i = 0; i < sizeof(get) / sizeof(get[0]); i++)
		if (!strcmp(path, get[i]))
			return 1;
	return 0;
}

/* RFC 3629 UTF-8 without control characters (what api_safe_text makes of any input) */
static int clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (*p < 0x20 || *p == 0x7f))
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

/*
 * 1 if the request itself could have put the other tenant's asset id or a
 * secret into the answer (messages quote the request: an escaped byte such
 * as "\\xff" followed by "zother1" reads "fzother1", hence the shorter words)
 */
static int echoes(const char *const *fields, size_t nfields, const char *body, size_t blen)
{
	static const char *const words[] = { "zother1", "SECRET" };

	for (size_t i = 0; i < 2; i++) {
		if (memmem(body, blen, words[i], strlen(words[i])))
			return 1;
		for (size_t f = 0; f < nfields; f++)
			if (fields[f] && strstr(fields[f], words[i]))
				return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *p, *end, *raw = NULL, *method, *path, *query, *ctype, *resp = NULL;
	const char *auth = NULL;
	char authbuf[TOKEN_LEN + 8];
	char *spath, *squery, *sbody;
	const char *rctype = NULL, *fields[5];
	size_t rlen = 0, n, blen;
	unsigned status = 0;
	int who, echo;

	if (size < 1)
		return 0;
	who = data[0] % T_N;
	buf = fuzz_str(data + 1, size - 1);
	p = buf;
	end = buf + size - 1;
	if (who == T_RAW)
		raw = line(&p, end);
	method = line(&p, end);
	path = line(&p, end);
	query = line(&p, end);
	ctype = line(&p, end);
	if (!ctype || !*method || !*path) {
		free(buf);
		return 0;
	}
	if (never_sent(method, path)) {
		free(buf);
		return 0;
	}
	if (who == T_RAW)
		auth = raw;
	else if (who != T_NONE) {
		snprintf(authbuf, sizeof(authbuf), "Bearer %s", tokens[who]);
		auth = authbuf;
	}
	spath = subst(path, strlen(path), &n);
	squery = subst(query, strlen(query), &n);
	sbody = subst(p <= end ? p : "", p <= end ? (size_t)(end - p) : 0, &blen);
	path = spath;
	fields[0] = method;
	fields[1] = spath;
	fields[2] = squery;
	fields[3] = ctype;
	fields[4] = auth;
	echo = echoes(fields, 5, sbody, blen);
	/*
	 * The tenant checks below look for the other tenant's id and secrets in
	 * answers: only setup may write them into the ledger, so a request that
	 * names them is sent only by callers that cannot write (anyone, customers)
	 */
	if (echo && who != T_NONE && who != T_ACME && who != T_OTHER)
		goto out;
	if (api_dispatch_for_test(api, method, spath, *squery ? squery : NULL, *ctype ? ctype : NULL, auth,
				  sbody, blen, &status, &rctype, &resp, &rlen) < 0)
		abort();

	/* issue 11: hostile input is a 4xx, never a 500 */
	if (status == 500)
		fprintf(stderr, "500 on %s %s: %.*s\n", method, path, (int)(rlen > 400 ? 400 : rlen), resp);
	FUZZ_CHECK(status >= 200 && status < 600 && status != 500);
	FUZZ_CHECK(rctype != NULL);
	/* the verification page answers its errors as a page (issue 14) */
	if (status >= 400 && strncmp(rctype, "text/html", 9))
		FUZZ_CHECK(!strcmp(rctype, "application/json"));
	if (!strncmp(rctype, "text/html", 9))
		FUZZ_CHECK(!strcmp(path, "/") || !strcmp(path, "/verify") || !strncmp(path, "/verify/", 8) ||
			   !strcmp(path, "/console/index.html"));
	if (!strcmp(rctype, "application/json")) {
		json_t *j = json_loadb(resp, rlen, 0, NULL);
		FUZZ_CHECK(j != NULL);
		if (status >= 400) {
			json_t *e = json_object_get(j, "error");
			const char *msg = json_string_value(json_object_get(e, "message"));
			FUZZ_CHECK(json_is_string(json_object_get(e, "code")) && msg);
			FUZZ_CHECK(clean_text(msg));
		}
		json_decref(j);
	}
	if (who == T_NONE && status < 300)
		FUZZ_CHECK(is_public(method, path));
	if (who == T_REVOKED && !is_public(method, path) && status != 404 && status != 405)
		FUZZ_CHECK(status == 401);
	/* the JWS names its asset, so a verdict may; nothing else of another tenant may show */
	if (who == T_ACME && resp && strcmp(path, "/v1/verify") && strncmp(path, "/v1/verify/", 11) &&
	    strcmp(path, "/verify") && strncmp(path, "/verify/", 8) && !echo) {
		const char *at = memmem(resp, rlen, OTHER_ID, strlen(OTHER_ID));
		if (!at)
			at = memmem(resp, rlen, "SECRET-", 7);
		if (at) {
			size_t from = (size_t)(at - resp) > 300 ? (size_t)(at - resp) - 300 : 0;
			fprintf(stderr, "tenant leak on %s %s: …%.*s\n", method, path,
				(int)(rlen - from > 600 ? 600 : rlen - from), resp + from);
		}
		FUZZ_CHECK(!memmem(resp, rlen, OTHER_ID, strlen(OTHER_ID)) && !memmem(resp, rlen, "SECRET-", 7));
	}
	/* issue 11: the verdict and the state, not the custody data, for anyone but those who may see it */
	if ((who == T_NONE || who == T_ACME) && !strcmp(path, "/v1/verify") && resp && !echo) {
		if (memmem(resp, rlen, "SECRET-", 7))
			fprintf(stderr, "custody data in a public verdict: %.*s\n", (int)(rlen > 600 ? 600 : rlen), resp);
		FUZZ_CHECK(!memmem(resp, rlen, "SECRET-", 7));
	}
	/*
	 * issue 14: the public verification page and its data show the
	 * certificate (the JWS names the drive), never custody details
	 */
	if ((who == T_NONE || who == T_ACME) && (!strncmp(path, "/verify", 7) || !strncmp(path, "/v1/verify/", 11)) &&
	    resp && !echo) {
		static const char *const custody[] = { "SECRET-CARRIER", "SECRET-SEAL", "SECRET-TRACK", "SECRET-FROM",
						       "SECRET-TO" };
		for (size_t i = 0; i < sizeof(custody) / sizeof(custody[0]); i++)
			FUZZ_CHECK(!memmem(resp, rlen, custody[i], strlen(custody[i])));
	}
out:
	free(resp);
	free(spath);
	free(squery);
	free(sbody);
	free(buf);
	return 0;
}
