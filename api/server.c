/*
 * The HTTP side: libmicrohttpd with epoll and a thread pool, a route table,
 * bearer-token authentication, role and tenant checks, one log line per
 * request, and the counters behind /metrics.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/connguard.h"
#include "api/defer.h"
#include "api/station.h"
#include "api/jobs.h"
#include "audit/jwk.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "audit/merkle.h"
#include "core/ipc.h"
#include "core/ipclink.h"
#include "core/state.h"
#include "util/version.h"
#include "util/xio.h"

#define ANY ROLE_ANYONE
#define ADM ROLE_ADMIN
#define TEC ROLE_TECH
#define AUD ROLE_AUDITOR
#define CUS ROLE_CUSTOMER

struct route {
	const char *method;
	const char *pattern;	/* segments; "{}" captures one */
	unsigned roles;
	api_handler fn;
	int devices;		/* the job manager's: the http process forwards it to the devices process */
};
#define DEV 1

/* SPEC section 6; api/openapi.json describes the same set (tests/t3500 checks). */
static const struct route routes[] = {
	{ "GET", "/healthz", ANY, h_health, 0 },
	{ "GET", "/metrics", ANY, h_metrics, 0 },
	{ "GET", "/.well-known/jwks.json", ANY, h_jwks, 0 },
	{ "GET", "/v1/keys", ANY, h_keys, 0 },
	{ "GET", "/v1/openapi.json", ANY, h_openapi, 0 },
	{ "GET", "/v1/ledger/checkpoint", ANY, h_checkpoint, 0 },
	{ "GET", "/v1/ledger/entries", AUD, h_entries_list, 0 },
	{ "GET", "/v1/ledger/entries/{}", AUD, h_entry, 0 },
	{ "GET", "/v1/ledger/proof/inclusion", ANY, h_proof_inclusion, 0 },
	{ "GET", "/v1/ledger/proof/consistency", ANY, h_proof_consistency, 0 },
	{ "POST", "/v1/tokens", ADM, h_tokens_create, 0 },
	{ "GET", "/v1/tokens", ADM, h_tokens_list, 0 },
	{ "DELETE", "/v1/tokens/{}", ADM, h_tokens_revoke, 0 },
	{ "GET", "/v1/devices", TEC, h_station_devices, DEV },
	{ "GET", "/v1/stream", TEC | AUD, h_stream, 0 },
	{ "POST", "/v1/assets", TEC, h_assets_create, 0 },
	{ "GET", "/v1/assets", TEC | AUD | CUS, h_assets_list, 0 },
	{ "GET", "/v1/assets/{}", TEC | AUD | CUS, h_asset_get, 0 },
	{ "POST", "/v1/assets/{}/events", TEC, h_events_create, 0 },
	{ "GET", "/v1/assets/{}/events", TEC | AUD | CUS, h_events_list, 0 },
	{ "POST", "/v1/jobs", TEC, h_jobs_create, DEV },
	{ "GET", "/v1/jobs", TEC | AUD, h_jobs_list, DEV },
	{ "POST", "/v1/batches", TEC, h_batches_create, DEV },
	{ "GET", "/v1/batches/{}", TEC, h_batch_get, DEV },
	{ "DELETE", "/v1/batches/{}", TEC, h_batch_cancel, DEV },
	{ "GET", "/v1/jobs/{}", TEC | AUD, h_job_get, DEV },
	{ "DELETE", "/v1/jobs/{}", TEC, h_job_cancel, DEV },
	{ "POST", "/v1/assets/{}/certificate", TEC, h_cert_issue, 0 },
	{ "GET", "/v1/certificates", AUD | CUS, h_certs_list, 0 },
	{ "GET", "/v1/certificates/{}", AUD | CUS, h_cert_get, 0 },
	{ "GET", "/v1/certificates/{}.jws", AUD | CUS | TEC, h_cert_jws, 0 },	/* TEC: its own (h_certs.c) */
	{ "GET", "/v1/certificates/{}.pdf", AUD | CUS | TEC, h_cert_pdf, 0 },
	{ "POST", "/v1/verify", ANY, h_verify, 0 },
	{ "POST", "/v1/hosts/{h}/patch-audits", TEC, h_patch_audit, 0 },
	{ "GET", "/v1/assets/{}/exposure", AUD | CUS, h_exposure, 0 },
	/* the web console (issue 14, api/console.c) */
	{ "GET", "/", ANY, h_console_index, 0 },
	{ "GET", "/console/{h}", ANY, h_console_asset, 0 },
	{ "GET", "/verify", ANY, h_verify_form, 0 },
	{ "POST", "/verify", ANY, h_verify_post, 0 },
	{ "GET", "/verify/{}", ANY, h_verify_page, 0 },
	{ "GET", "/verify/{}/qr.svg", ANY, h_verify_qr, 0 },
	{ "GET", "/v1/verify/{}", ANY, h_verify_data, 0 },
	{ "POST", "/v1/session", ANY, h_session_create, 0 },
	{ "GET", "/v1/session", TEC | AUD | CUS, h_session_get, 0 },
	{ "DELETE", "/v1/session", TEC | AUD | CUS, h_session_delete, 0 },
};

/* ---- responses ---- */

void reply_text(struct resp *out, unsigned status, const char *ctype, const char *text, size_t len)
{
	free(out->body);
	out->body = malloc(len ? len : 1);
	out->len = out->body ? len : 0;
	if (out->body)
		memcpy(out->body, text, len);
	out->status = out->body ? status : 500;
	out->ctype = ctype;
}

void reply_json(struct resp *out, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	free(out->body);
	if (!s) {
		out->body = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
		out->len = out->body ? strlen(out->body) : 0;
		out->status = 500;
	} else {
		/* issue 15: a JSON body ends with a newline, as curl users and line tools expect */
		char *nl;

		out->len = strlen(s);
		nl = realloc(s, out->len + 2);
		out->body = nl ? nl : s;
		if (nl) {
			nl[out->len++] = '\n';
			nl[out->len] = 0;
		}
		out->status = status;
	}
	out->ctype = "application/json";
}

void reply_error(struct resp *out, unsigned status, const char *code, const char *fmt, ...)
{
	char raw[600], msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* input quoted in a message (a path, a member name, the parser's words) may be any bytes */
	api_safe_text(msg, sizeof(msg), raw);
	reply_json(out, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
}

void reply_errno(struct resp *out, int rc, const char *msg)
{
	switch (-rc) {
	case EINVAL: reply_error(out, 400, "bad_request", "%s", msg); break;
	case ENOENT: reply_error(out, 404, "not_found", "%s", msg); break;
	case EPROTO: reply_error(out, 409, "conflict", "%s", msg); break;
	case EALREADY: case EEXIST: reply_error(out, 409, "conflict", "%s", msg); break;
	case E2BIG: reply_error(out, 413, "too_large", "%s", msg); break;
	case EACCES: case EPERM: reply_error(out, 403, "forbidden", "%s", msg); break;
	/* RFC 4918 11.5: the write cannot be stored; reads keep working */
	case ENOSPC: reply_error(out, 507, "insufficient_storage", "the state disk is full: %s", msg); break;
	/* issue 12: a process of the daemon is being restarted; nothing was done */
	case EAGAIN: reply_error(out, 503, "unavailable", "%s", msg[0] ? msg : "try again"); break;
	default: reply_error(out, 500, "internal", "%s", msg[0] ? msg : strerror(-rc));
	}
}

json_t *req_json(struct req *r, struct resp *out)
{
	json_error_t jerr;
	json_t *j;
	const char *ct = r->content_type;
	size_t n;

	if (!ct) {
		reply_error(out, 415, "unsupported_media_type", "the body must be application/json");
		return NULL;
	}
	n = strcspn(ct, ";");
	if (!(n == 16 && !strncasecmp(ct, "application/json", 16))) {
		reply_error(out, 415, "unsupported_media_type", "the body must be application/json, not %.60s", ct);
		return NULL;
	}
	j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		reply_error(out, 400, "bad_json", "malformed JSON body: %s (at byte %d)", jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		reply_error(out, 400, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/*
 * A request without a libmicrohttpd connection: one the http process
 * forwarded to the devices process (api_dispatch_raw), or a test's
 * (tests/fuzz/fuzz_routes.c).  r is the first member; the query arguments
 * and the few headers a handler reads are looked up here when r->conn is NULL.
 */
struct test_req {
	struct req r;
	const char *auth;
	const char *host, *accept;
	char *qbuf;
	size_t nq;
	const char *qk[API_MAX_PARAMS], *qv[API_MAX_PARAMS];
};

/* As libmicrohttpd does for arguments: '+' is a space, then %XX in place (a bad escape stays). */
static void test_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char hx[3] = { s[1], s[2], 0 };
			*o++ = (char)strtoul(hx, NULL, 16);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* A header or argument of the request (the first one of that name), or NULL. */
static const char *conn_value(struct req *r, enum MHD_ValueKind kind, const char *key)
{
	if (!r->conn) {
		struct test_req *t = (struct test_req *)r;

		if (kind == MHD_HEADER_KIND)
			return !strcasecmp(key, "Authorization") ? t->auth : !strcasecmp(key, "Host") ? t->host :
			       !strcasecmp(key, "Accept") ? t->accept : NULL;
		for (size_t i = 0; i < t->nq; i++)
			if (!strcmp(t->qk[i], key))
				return t->qv[i];
		return NULL;
	}
	return MHD_lookup_connection_value(r->conn, kind, key);
}

const char *req_query(struct req *r, const char *key)
{
	return conn_value(r, MHD_GET_ARGUMENT_KIND, key);
}

int req_query_u64(struct req *r, const char *key, uint64_t *v)
{
	const char *s = req_query(r, key);

	return s ? xparse_u64(s, v) : -ENOENT;
}

void req_actor(const struct req *r, char *buf, size_t len)
{
	snprintf(buf, len, "token:%s", r->authed ? r->tok.id : "anonymous");
}

void req_caller(const struct req *r, struct lw_caller *c)
{
	memset(c, 0, sizeof(*c));
	/* the ledger process takes the caller from this (issue 12) */
	c->cred_kind = r->authed ? r->cred_kind : IPC_CRED_NONE;
	if (c->cred_kind != IPC_CRED_NONE)
		snprintf(c->cred, sizeof(c->cred), "%s", r->cred);
	switch (r->authed ? r->role : 0) {
	case ROLE_ADMIN: c->role = LW_ROLE_ADMIN; break;
	case ROLE_TECH: c->role = LW_ROLE_TECH; break;
	case ROLE_AUDITOR: c->role = LW_ROLE_AUDITOR; break;
	case ROLE_CUSTOMER: c->role = LW_ROLE_CUSTOMER; break;
	default: c->role = LW_ROLE_ANONYMOUS; break;
	}
	if (c->role == LW_ROLE_CUSTOMER)
		snprintf(c->tenant, sizeof(c->tenant), "%s", r->tok.tenant);
	req_actor(r, c->actor, sizeof(c->actor));
}

/* ---- database connections ---- */

struct ledger *api_read_acquire(struct api *a)
{
	struct ledger *l;

	pthread_mutex_lock(&a->rlock);
	while (a->nfree == 0)
		pthread_cond_wait(&a->rcond, &a->rlock);
	l = a->readers[--a->nfree];
	pthread_mutex_unlock(&a->rlock);
	/* the http process reads with a read-only WAL index: one snapshot per use, its start retried (issue 12) */
	if (a->mode == API_HTTP)
		ledger_read_begin(l);
	return l;
}

void api_read_release(struct api *a, struct ledger *l)
{
	ledger_read_end(l);
	pthread_mutex_lock(&a->rlock);
	a->readers[a->nfree++] = l;
	pthread_cond_signal(&a->rcond);
	pthread_mutex_unlock(&a->rlock);
}

/* ---- routing and auth ---- */

static int id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* 1 if path matches pattern, captures filled; -1 if it matches but a capture is invalid. */
static int match(const char *pattern, const char *path, struct req *r)
{
	unsigned ncap = 0;
	int bad = 0;

	while (*pattern && *path) {
		if (pattern[0] == '{' && (pattern[1] == '}' || (pattern[1] == 'h' && pattern[2] == '}'))) {
			/* {h}: a host name, dots allowed, checked by its handler */
			int host = pattern[1] == 'h';
			size_t n = strcspn(path, host ? "/" : "/.");
			if (ncap >= API_MAX_CAPTURES || n == 0)
				return 0;
			if (n >= sizeof(r->capbuf[0]))
				bad = 1;
			else {
				memcpy(r->capbuf[ncap], path, n);
				r->capbuf[ncap][n] = '\0';
				if (!host && !id_ok(r->capbuf[ncap]))
					bad = 1;
				r->cap[ncap] = r->capbuf[ncap];
			}
			ncap++;
			pattern += host ? 3 : 2;
			path += n;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	if (*pattern || *path)
		return 0;
	return bad ? -1 : 1;
}

static unsigned role_bit(const char *role)
{
	if (!strcmp(role, "admin")) return ROLE_ADMIN;
	if (!strcmp(role, "technician")) return ROLE_TECH;
	if (!strcmp(role, "auditor")) return ROLE_AUDITOR;
	if (!strcmp(role, "customer")) return ROLE_CUSTOMER;
	return 0;
}

static int hash_eq(const uint8_t *a, const uint8_t *b)
{
	volatile uint8_t d = 0;

	for (int i = 0; i < 32; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

int tokcache_get(struct api *a, const uint8_t hash[32], struct token_info *info, unsigned long *gen)
{
	struct tokcache *tc = &a->tc;
	unsigned slot = hash[0] % TOKCACHE_SLOTS;
	int hit = 0;

	pthread_rwlock_rdlock(&tc->lock);
	if (tc->slot[slot].used && hash_eq(tc->slot[slot].hash, hash)) {
		*info = tc->slot[slot].info;
		hit = 1;
	}
	*gen = tc->gen;
	pthread_rwlock_unlock(&tc->lock);
	return hit;
}

void tokcache_put(struct api *a, const uint8_t hash[32], const struct token_info *info, unsigned long gen)
{
	struct tokcache *tc = &a->tc;
	unsigned slot = hash[0] % TOKCACHE_SLOTS;

	pthread_rwlock_wrlock(&tc->lock);
	/* a revocation since the caller's lookup may have made what it read stale */
	if (tc->gen == gen) {
		tc->slot[slot].used = 1;
		memcpy(tc->slot[slot].hash, hash, 32);
		tc->slot[slot].info = *info;
	}
	pthread_rwlock_unlock(&tc->lock);
}

void tokcache_clear(struct api *a)
{
	pthread_rwlock_wrlock(&a->tc.lock);
	a->tc.gen++;
	for (int i = 0; i < TOKCACHE_SLOTS; i++)
		a->tc.slot[i].used = 0;
	pthread_rwlock_unlock(&a->tc.lock);
}

static int authenticate(struct req *r)
{
	const char *h = conn_value(r, MHD_HEADER_KIND, "Authorization");
	struct ledger *l;
	uint8_t hash[32];
	unsigned long gen;
	int rc;

	if (r->api->mode == API_DEVICES) {
		/* a forwarded request: whose its credential is, the ledger process says */
		rc = r->cred_kind != IPC_CRED_NONE ? api_who(r->api, r->cred_kind, r->cred, &r->tok) : -ENOENT;
		if (rc < 0) {
			r->deny = rc == -ENOENT ? "missing" : "rejected";
			return rc;
		}
		r->authed = 1;
		r->role = role_bit(r->tok.role);
		return 0;
	}
	if (!h) {
		rc = console_session_auth(r);	/* the console's cookie, when no token is sent */
		if (rc < 0)
			r->deny = "missing";
		return rc;
	}
	if (strncasecmp(h, "Bearer ", 7)) {
		r->deny = "missing";
		return -EACCES;
	}
	h += 7;
	while (*h == ' ')
		h++;
	if (strlen(h) != TOKEN_LEN || strncmp(h, TOKEN_PREFIX, 4)) {
		r->deny = "malformed";
		return -EACCES;
	}
	merkle_sha256(h, TOKEN_LEN, hash);
	if (!tokcache_get(r->api, hash, &r->tok, &gen)) {
		l = api_read_acquire(r->api);
		rc = token_check(l, h, &r->tok);
		api_read_release(r->api, l);
		if (rc < 0) {
			r->deny = "rejected";	/* unknown or revoked; the token itself is never logged */
			return rc;
		}
		tokcache_put(r->api, hash, &r->tok, gen);
	}
	r->authed = 1;
	r->role = role_bit(r->tok.role);
	r->cred_kind = IPC_CRED_BEARER;
	memcpy(r->cred, h, TOKEN_LEN);
	r->cred[TOKEN_LEN] = '\0';
	return 0;
}

int api_authenticate(struct req *r)
{
	int rc;

	if (r->api->mode != API_DEVICES && !conn_value(r, MHD_HEADER_KIND, "Authorization"))
		return console_session_auth(r);
	rc = authenticate(r);
	if (rc < 0)
		metrics_auth_failure(r->api, r->deny);
	return rc;
}

static void dispatch(struct req *r, struct resp *out)
{
	int path_known = 0, m;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];

		memset(r->cap, 0, sizeof(r->cap));
		m = match(rt->pattern, r->path, r);
		if (m == 0)
			continue;
		path_known = 1;
		if (strcmp(rt->method, r->method))
			continue;
		r->route = rt->pattern;
		r->rclass = metrics_route_class(rt->method, rt->roles, rt->fn == h_stream);
		if (!(rt->roles & ROLE_ANYONE)) {
			if (authenticate(r) < 0) {
				metrics_auth_failure(r->api, r->deny);
				reply_error(out, 401, "unauthorized", "a valid bearer token is required");
				return;
			}
			if (!(r->role & (rt->roles | ROLE_ADMIN))) {
				r->deny = "forbidden";
				metrics_auth_failure(r->api, r->deny);
				/* SPEC section 6: a customer sees nothing outside its own tenant */
				if (r->role == ROLE_CUSTOMER)
					reply_error(out, 404, "not_found", "no such resource");
				else
					reply_error(out, 403, "forbidden", "the %s role may not %s %s", r->tok.role,
						    r->method, rt->pattern);
				return;
			}
			/* a cookie is sent by the browser on its own: a change needs the page's CSRF token */
			if (r->via_cookie && strcmp(r->method, "GET") && strcmp(r->method, "HEAD") &&
			    !console_csrf_ok(r)) {
				reply_error(out, 403, "csrf", "a session's change needs its X-CSRF-Token header");
				return;
			}
		}
		if (m < 0) {
			reply_error(out, 400, "bad_request", "invalid id in the path");
			return;
		}
		if (rt->devices && r->api->mode == API_HTTP)
			api_forward(r, out);	/* checked here, and again there */
		else
			rt->fn(r, out);
		return;
	}
	if (path_known)
		reply_error(out, 405, "method_not_allowed", "%s is not allowed on %s", r->method, r->path);
	else
		reply_error(out, 404, "not_found", "no such resource: %.200s", r->path);
}

/* ---- libmicrohttpd glue ---- */

static enum MHD_Result send_resp(struct MHD_Connection *c, struct resp *out)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;

	if (out->stream) {
		/* a handler's own response (GET /v1/stream), headers set */
		console_headers(NULL, out);
		free(out->body);
		out->body = NULL;
		ret = MHD_queue_response(c, out->status, out->stream);
		MHD_destroy_response(out->stream);
		out->stream = NULL;
		return ret;
	}
	mr = MHD_create_response_from_buffer(out->len, out->body, MHD_RESPMEM_MUST_FREE);
	if (!mr) {
		console_headers(NULL, out);
		free(out->body);
		return MHD_NO;
	}
	out->body = NULL;
	MHD_add_response_header(mr, "Content-Type", out->ctype ? out->ctype : "application/json");
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	console_headers(mr, out);
	ret = MHD_queue_response(c, out->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void finish_log(struct api *a, struct req *r, const struct resp *out)
{
	double dt = xmono() - r->t0;

	metrics_request(a, r->rclass, out->status, dt);
	api_log_request(a, r, out, dt);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;
	struct resp out = { 0 };
	enum MHD_Result ret;

	(void)version;
	if (!r) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		connguard_headers(a->guard, c);
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->api = a;
		r->conn = c;
		r->method = method;
		r->path = url;
		r->t0 = xmono();
		r->rclass = RCLASS_UNMATCHED;
		r->content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		*con_cls = r;
		if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX)
			r->too_big = 1;	/* answered once the (discarded) body is in */
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_big && r->len + *upload_size > API_BODY_MAX) {
			r->too_big = 1;
			free(r->body);
			r->body = NULL;
			r->len = 0;
		}
		if (!r->too_big) {
			char *nb = realloc(r->body, r->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + r->len, upload, *upload_size);
			r->body = nb;
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->deferred == 1)
		return MHD_YES;	/* resumed early (cannot happen: only the defer thread resumes) */
	if (r->deferred == 2) {
		/* called again after the defer thread resumed us: its answer goes out */
		r->deferred = 3;
		finish_log(a, r, &r->dout);
		ret = send_resp(c, &r->dout);
		defer_answered(a->defer);
		return ret;
	}
	connguard_received(a->guard, c);
	if (r->too_big) {
		reply_error(&out, 413, "too_large", "the body is larger than %d bytes", API_BODY_MAX);
	} else if (a->defer && strcmp(method, "GET") && strcmp(method, "HEAD")) {
		/* a write waits for the ledger's commit: not on this thread (api/defer.c) */
		MHD_suspend_connection(c);
		if (defer_submit(a->defer, r) == 0)
			return MHD_YES;
		MHD_resume_connection(c);
		dispatch(r, &out);
	} else {
		dispatch(r, &out);
	}
	finish_log(a, r, &out);
	ret = send_resp(c, &out);
	return ret;
}

/* A defer thread's work: route the request; handle() sends r->dout. */
static void run_deferred(struct req *r)
{
	dispatch(r, &r->dout);
}

int api_dispatch_raw(struct api *a, const struct api_raw *q, unsigned *status, const char **resp_ctype,
		     char **resp_body, size_t *resp_len)
{
	const char *method = q->method, *path = q->path, *query = q->query, *body = q->body;
	size_t len = q->len;
	struct test_req *t = calloc(1, sizeof(*t));
	struct resp out = { 0 };
	char *tok, *next;

	*resp_body = NULL;
	*resp_len = 0;
	if (!t)
		return -ENOMEM;
	t->r.api = a;
	t->r.method = method;
	t->r.path = path;
	t->r.t0 = xmono();
	t->r.rclass = RCLASS_UNMATCHED;
	t->r.content_type = q->content_type;
	t->auth = q->auth;
	t->host = q->host;
	t->accept = q->accept;
	t->r.cred_kind = q->cred_kind;
	if (q->cred)
		snprintf(t->r.cred, sizeof(t->r.cred), "%s", q->cred);
	t->qbuf = strdup(query ? query : "");
	if (!t->qbuf || (len && !(t->r.body = malloc(len + 1)))) {
		free(t->qbuf);
		free(t);
		return -ENOMEM;
	}
	if (len) {
		memcpy(t->r.body, body, len);
		t->r.body[len] = '\0';
	}
	t->r.len = len;
	t->r.too_big = len > API_BODY_MAX;
	/* connguard_uri cuts off a request line with more than API_MAX_PARAMS arguments */
	for (tok = t->qbuf; tok && t->nq < API_MAX_PARAMS; tok = next) {
		char *amp = strchr(tok, '&'), *eq;
		next = amp ? amp + 1 : NULL;
		if (amp)
			*amp = '\0';
		if (!*tok)
			continue;
		eq = strchr(tok, '=');
		if (eq)
			*eq++ = '\0';
		test_unescape(tok);
		if (eq)
			test_unescape(eq);
		t->qk[t->nq] = tok;
		t->qv[t->nq++] = eq;
	}
	if (t->r.too_big)
		reply_error(&out, 413, "too_large", "the body is larger than %d bytes", API_BODY_MAX);
	else
		dispatch(&t->r, &out);
	if (a->mode != API_DEVICES)	/* the http process logs and counts the request it forwarded */
		finish_log(a, &t->r, &out);
	console_headers(NULL, &out);
	*status = out.status;
	*resp_ctype = out.ctype ? out.ctype : "application/json";
	*resp_body = out.body;
	*resp_len = out.len;
	free(t->r.body);
	free(t->qbuf);
	explicit_bzero(t->r.cred, sizeof(t->r.cred));
	free(t);
	return 0;
}

#ifdef SZ_TEST_HOOKS
int api_dispatch_for_test(struct api *a, const char *method, const char *path, const char *query,
			  const char *content_type, const char *auth, const char *body, size_t len,
			  unsigned *status, const char **resp_ctype, char **resp_body, size_t *resp_len)
{
	struct api_raw q = { .method = method, .path = path, .query = query, .content_type = content_type,
			     .auth = auth, .body = body, .len = len };

	return api_dispatch_raw(a, &q, status, resp_ctype, resp_body, resp_len);
}
#endif

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	(void)t;
	connguard_completed(a->guard, c);
	if (r) {
		if (r->deferred == 2) {
			/* answered, and the connection closed before the answer was queued */
			free(r->dout.body);
			if (r->dout.stream)
				MHD_destroy_response(r->dout.stream);
			defer_answered(a->defer);
		}
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/*
 * Threads for writing requests: each mostly waits for a group commit, so
 * twice the HTTP pool, at least 8; more of them in one commit means fewer
 * fsyncs.  The HTTP pool keeps the reads.
 */
static unsigned defer_threads(const struct api *a)
{
	/* the http process's writes also wait for the hop to the ledger process: more of them share a commit */
	unsigned n = a->cfg.threads * (a->mode == API_HTTP ? 4 : 2);

	return n < 8 ? 8 : n > 128 ? 128 : n;
}

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, int *v6)
{
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hl;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM }, *ai;
	char *end;
	unsigned long port;

	if (!colon)
		return -EINVAL;
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		h = listen + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return -EINVAL;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a6);
	}
	return 0;
}

static int render_keys(struct api *a)
{
	json_t *doc = jwk_keys_document(a->st->vkey, a->st->pub), *set = jwk_set(a->st->pub);

	a->keys_doc = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	a->jwks_doc = set ? json_dumps(set, JSON_COMPACT) : NULL;
	json_decref(doc);
	json_decref(set);
	return a->keys_doc && a->jwks_doc ? 0 : -ENOMEM;
}

static void writer_log(void *ctx, const char *msg)
{
	api_log(ctx, "%s", msg);
}

int api_writer_start(struct api *a)
{
	struct lwriter_config wc = {
		.ledger = a->st->ledger, .key = state_take_key(a->st), .origin = a->st->origin,
		.ckpt_every_n = a->cfg.ckpt_every_n, .ckpt_every_ms = a->cfg.ckpt_every_ms,
		.cert = { .org_name = a->cfg.org_name, .org_address = a->cfg.org_location,
			  .org_phone = a->cfg.org_phone, .base_url = a->cfg.public_url,
			  .tool_name = "sanitizerd", .tool_version = SZ_VERSION },
		.log = writer_log, .log_ctx = a,
	};

	return lwriter_start(&wc, &a->writer);
}

int api_listen(const struct api_config *cfg, int *fd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int v6 = 0, one = 1, s;

	*fd = -1;
	if (parse_listen(cfg->listen, &ss, &sl, &v6) < 0) {
		snprintf(err, errlen, "invalid --listen '%s': want HOST:PORT with a numeric host", cfg->listen);
		return -EINVAL;
	}
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen, strerror(errno));
		return -errno;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, sl) < 0 || listen(s, 1024) < 0) {
		int e = errno;
		close(s);
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
			 e == EADDRINUSE ? "address in use" : strerror(e));
		return -e;
	}
	*fd = s;
	return 0;
}

/* The number of read connections: one per thread that may hold one at a time, and a spare. */
static size_t readers_wanted(const struct api *a)
{
	switch (a->mode) {
	case API_HTTP: return a->cfg.threads + defer_threads(a) + 2;
	case API_DEVICES: return a->cfg.max_jobs + API_DEVICES_WORKERS + 4;
	default: return a->cfg.threads + defer_threads(a) + a->cfg.max_jobs + 2;
	}
}

int api_open(struct api *a, char *err, size_t errlen)
{
	char *lpath;
	int rc = 0;

	pthread_mutex_init(&a->loglock, NULL);
	pthread_mutex_init(&a->rlock, NULL);
	pthread_rwlock_init(&a->tc.lock, NULL);
	pthread_cond_init(&a->rcond, NULL);
	if (!!a->cfg.tls_cert != !!a->cfg.tls_key) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (a->mode != API_DEVICES && a->cfg.tls_cert) {
		if ((rc = xread_file(a->cfg.tls_cert, 1 << 20, &a->tls_cert, &a->tls_cert_len)) < 0 ||
		    (rc = xread_file(a->cfg.tls_key, 1 << 20, &a->tls_key, &a->tls_key_len)) < 0) {
			snprintf(err, errlen, "cannot read the TLS certificate or key: %s", strerror(-rc));
			return rc;
		}
	}
	if (a->mode != API_DEVICES) {
		rc = render_keys(a);
		if (rc < 0)
			return rc;
	}
	a->nreaders = readers_wanted(a);
	a->readers = calloc(a->nreaders, sizeof(*a->readers));
	lpath = state_path(a->cfg.state_dir, "ledger.db");
	if (!a->readers || !lpath) {
		free(lpath);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->nreaders; i++) {
		/* the http process: read-only to the -shm file too, and opened before it locks itself down */
		rc = ledger_open(lpath, LEDGER_RDONLY | (a->mode == API_HTTP ? LEDGER_RO_SHM : 0), &a->readers[i],
				 err, errlen);
		if (rc < 0) {
			free(lpath);
			return rc;
		}
	}
	a->nfree = a->nreaders;
	free(lpath);
	if (a->mode != API_DEVICES) {
		rc = metrics_start(a);
		if (rc < 0) {
			snprintf(err, errlen, "cannot count the ledger for /metrics: %s", strerror(-rc));
			return rc;
		}
	}
	if (a->mode == API_SINGLE) {
		rc = api_writer_start(a);
		if (rc < 0) {
			snprintf(err, errlen, "cannot start the ledger writer: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int api_serve(struct api *a, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME;
	int v6 = 0, rc;

	if (a->mode != API_HTTP) {
		rc = jobs_start(a, &a->jobs, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = station_start(a, &a->station, err, errlen);
	if (rc < 0)
		return rc;
	if (a->mode != API_HTTP) {
		a->batches = batches_new();
		if (!a->batches)
			return -ENOMEM;
	}
	if (a->mode == API_DEVICES)
		return 0;	/* no HTTP: its requests come from the http process (api/remote.c) */
	if (parse_listen(a->cfg.listen, &ss, &sl, &v6) < 0) {
		snprintf(err, errlen, "invalid --listen '%s': want HOST:PORT with a numeric host", a->cfg.listen);
		return -EINVAL;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (a->tls_cert)
		flags |= MHD_USE_TLS;
	else if (!is_loopback(&ss))
		api_log(a, "warning: serving plain HTTP on %s, a non-loopback address: bearer tokens cross"
			" the network in clear text; use --tls-cert and --tls-key", a->cfg.listen);
	rc = defer_start(defer_threads(a), run_deferred, &a->defer);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the request threads: %s", strerror(-rc));
		return rc;
	}
	a->console = console_new();
	if (!a->console)
		return -ENOMEM;
	rc = connguard_new(a->cfg.conn_limit, a->cfg.header_timeout, a->cfg.request_timeout, API_MAX_PARAMS,
			   &a->guard);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the connection guard: %s", strerror(-rc));
		return rc;
	}
	{
		struct MHD_OptionItem o[] = {
			/* first, so that every libmicrohttpd message is one of our lines */
			{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)api_log_mhd, a },
			/* the http process serves the socket its parent bound; one process alone binds its own */
			{ a->mode == API_HTTP ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_SOCK_ADDR,
			  a->mode == API_HTTP ? a->listen_fd : 0, a->mode == API_HTTP ? NULL : &ss },
			{ MHD_OPTION_THREAD_POOL_SIZE, a->cfg.threads, NULL },
			{ MHD_OPTION_CONNECTION_LIMIT, a->cfg.conn_limit, NULL },
			{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, a->cfg.conn_per_ip, NULL },
			{ MHD_OPTION_CONNECTION_TIMEOUT, a->cfg.conn_timeout, NULL },
			{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, a },
			{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connguard_notify, a->guard },
			{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)connguard_uri, a->guard },
			{ a->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, a->tls_cert },
			{ MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key },
			{ MHD_OPTION_END, 0, NULL },
		};
		a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, a, MHD_OPTION_ARRAY, o, MHD_OPTION_END);
	}
	if (a->tls_key)
		explicit_bzero(a->tls_key, a->tls_key_len);
	free(a->tls_key);
	free(a->tls_cert);
	a->tls_key = a->tls_cert = NULL;
	if (!a->mhd) {
		snprintf(err, errlen, "cannot listen on %s: address in use, or not allowed", a->cfg.listen);
		return -EADDRINUSE;
	}
	api_log(a, "sanitizerd %s listening on %s%s, state %s, origin %s", SZ_VERSION, a->cfg.listen,
		a->cfg.tls_cert ? " (https)" : "", a->cfg.state_dir, a->st->origin);
	return 0;
}

int api_start(struct api *a, char *err, size_t errlen)
{
	int rc = api_open(a, err, errlen);

	return rc < 0 ? rc : api_serve(a, err, errlen);
}

void api_stop(struct api *a)
{
	/* no new links from the parent from here on */
	ipc_link_free(a->lk_parent);
	a->lk_parent = NULL;
	if (a->mhd) {
		/* stop accepting, let in-flight requests finish */
		MHD_quiesce_daemon(a->mhd);
	}
	if (a->jobs)
		jobs_stop(a->jobs);	/* running wipes stop at a safe point and are recorded */
	station_close_streams(a->station);	/* streams end after the jobs' last events */
	defer_stop(a->defer, 5000);	/* writes in flight are answered */
	if (a->mhd)
		MHD_stop_daemon(a->mhd);
	/* nothing comes from the other processes for the station and the jobs any more (issue 12) */
	ipc_link_close(a->lk_devices);
	ipc_link_close(a->lk_http);
	station_free(a->station);
	a->station = NULL;
	batches_free(a->batches);
	a->batches = NULL;
	console_free(a->console);
	a->console = NULL;
	a->mhd = NULL;
	connguard_free(a->guard);
	a->guard = NULL;
	defer_free(a->defer);
	a->defer = NULL;
	jobs_free(a->jobs);
	a->jobs = NULL;
	ipc_link_free(a->lk_devices);
	ipc_link_free(a->lk_http);
	ipc_link_free(a->lk_ledger);
	a->lk_devices = a->lk_http = a->lk_ledger = NULL;
	lwriter_stop(a->writer);
	a->writer = NULL;
	for (size_t i = 0; a->readers && i < a->nreaders; i++)
		ledger_close(a->readers[i]);
	free(a->readers);
	a->readers = NULL;
	free(a->keys_doc);
	free(a->jwks_doc);
	a->keys_doc = a->jwks_doc = NULL;
	if (a->tls_key)
		explicit_bzero(a->tls_key, a->tls_key_len);
	free(a->tls_key);
	free(a->tls_cert);
	a->tls_key = a->tls_cert = NULL;
}
