/*
 * console — the web console (issue 14): the static pages compiled into the
 * binary (api/web/, embedded by api/web_blob.S), the public verification
 * page at /verify/{cert_id} that the certificate's QR code encodes (rendered
 * here, so it works without JavaScript), sign-in with a token exchanged for
 * a session cookie, CSRF protection for requests a cookie authenticates, and
 * the security headers every response carries.
 *
 * Sessions live in memory only (a restart signs everyone out): a fixed table
 * of SESSION_MAX slots, each holding the SHA-256 of the cookie's random id
 * and of its CSRF token, never the values, the token's identity and an
 * absolute expiry.  A session dies with its token: when any token is revoked
 * (the token cache's generation moves) each session re-checks its own.
 */
#include <errno.h>
#include <gcrypt.h>
#include <microhttpd.h>
#include <pthread.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "core/ipc.h"
#include "audit/b64.h"
#include "audit/cert.h"
#include "audit/jwk.h"
#include "audit/ledger.h"
#include "audit/merkle.h"
#include "audit/tokens.h"
#include "core/state.h"

#define SESSION_MAX 1024
#define SESSION_TTL_S (8 * 3600)	/* absolute: a shift, then sign in again */
#define SESSION_COOKIE "sz_session"
#define CSRF_COOKIE "sz_csrf"
#define RANDOM_BYTES 32			/* 256 bits, base64url: 43 characters */
#define RANDOM_B64_LEN 43
#define HTML_MAX (1024 * 1024)		/* a rendered page (a form post echoes up to API_BODY_MAX) */

/* Issue 14: exactly this policy, on every response. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct session {
	int used;
	uint8_t id_hash[32];
	uint8_t csrf_hash[32];
	struct token_info tok;
	time_t expires;
	unsigned long gen;		/* token cache generation when the token was last known live */
	char ticket[LW_CRED_MAX];	/* the ledger process's ticket for this session's writes (issue 12) */
};

struct console {
	pthread_mutex_t m;
	struct session s[SESSION_MAX];
};

/* ---- the embedded files ---- */

#define ASSET(n) extern const char web_##n##_start[], web_##n##_end[];
ASSET(index_html) ASSET(style_css) ASSET(app_js) ASSET(util_js) ASSET(station_js) ASSET(ledger_js)
ASSET(verify_js) ASSET(check_js)
#undef ASSET

static const struct asset {
	const char *name, *ctype;
	const char *start, *end;
} assets[] = {
	{ "index.html", "text/html; charset=utf-8", web_index_html_start, web_index_html_end },
	{ "style.css", "text/css; charset=utf-8", web_style_css_start, web_style_css_end },
	{ "app.js", "text/javascript; charset=utf-8", web_app_js_start, web_app_js_end },
	{ "util.js", "text/javascript; charset=utf-8", web_util_js_start, web_util_js_end },
	{ "station.js", "text/javascript; charset=utf-8", web_station_js_start, web_station_js_end },
	{ "ledger.js", "text/javascript; charset=utf-8", web_ledger_js_start, web_ledger_js_end },
	{ "verify.js", "text/javascript; charset=utf-8", web_verify_js_start, web_verify_js_end },
	{ "check.js", "text/javascript; charset=utf-8", web_check_js_start, web_check_js_end },
};

static void reply_asset(struct resp *out, const char *name)
{
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (!strcmp(assets[i].name, name)) {
			reply_text(out, 200, assets[i].ctype, assets[i].start,
				   (size_t)(assets[i].end - assets[i].start));
			return;
		}
	reply_error(out, 404, "not_found", "no such file");
}

void h_console_index(struct req *r, struct resp *out)
{
	(void)r;
	reply_asset(out, "index.html");
}

void h_console_asset(struct req *r, struct resp *out)
{
	reply_asset(out, r->cap[0]);
}

/* ---- sessions ---- */

struct console *console_new(void)
{
	struct console *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->m, NULL);
	return c;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->m);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

static int eq32(const uint8_t *a, const uint8_t *b)
{
	volatile uint8_t d = 0;

	for (int i = 0; i < 32; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* A header or cookie of the request, or NULL (none without a connection: the fuzzing entry point). */
static const char *conn_get(struct req *r, enum MHD_ValueKind kind, const char *key)
{
	return r->conn ? MHD_lookup_connection_value(r->conn, kind, key) : NULL;
}

/* 1 if the token of that id is still live; 0 if revoked or gone; -errno if it cannot be read. */
static int token_live(struct api *a, const char *id)
{
	struct ledger *l = api_read_acquire(a);
	json_t *arr = NULL, *t;
	size_t i;
	int rc = token_list(l, &arr), live = 0;

	api_read_release(a, l);
	if (rc < 0)
		return rc;
	json_array_foreach(arr, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "id")) ?: "", id))
			live = !json_is_true(json_object_get(t, "revoked"));
	json_decref(arr);
	return live;
}

static unsigned long tc_gen(struct api *a)
{
	unsigned long g;

	pthread_rwlock_rdlock(&a->tc.lock);
	g = a->tc.gen;
	pthread_rwlock_unlock(&a->tc.lock);
	return g;
}

static unsigned role_of(const char *role)
{
	if (!strcmp(role, "admin")) return ROLE_ADMIN;
	if (!strcmp(role, "technician")) return ROLE_TECH;
	if (!strcmp(role, "auditor")) return ROLE_AUDITOR;
	if (!strcmp(role, "customer")) return ROLE_CUSTOMER;
	return 0;
}

int console_session_auth(struct req *r)
{
	struct console *c = r->api->console;
	const char *v = conn_get(r, MHD_COOKIE_KIND, SESSION_COOKIE);
	uint8_t h[32];
	unsigned long gen;
	struct session *found = NULL;
	time_t now = time(NULL);
	int live;

	if (!c || !v || strlen(v) != RANDOM_B64_LEN)
		return -ENOENT;
	merkle_sha256(v, RANDOM_B64_LEN, h);
	gen = tc_gen(r->api);
	pthread_mutex_lock(&c->m);
	for (int i = 0; i < SESSION_MAX; i++) {
		struct session *s = &c->s[i];
		/* every slot compared in full: the time taken says nothing of which matched */
		if (s->used && eq32(s->id_hash, h))
			found = s;
	}
	if (found && found->expires <= now) {
		memset(found, 0, sizeof(*found));
		found = NULL;
	}
	if (found) {
		r->tok = found->tok;
		r->cred_kind = found->ticket[0] ? IPC_CRED_TICKET : IPC_CRED_NONE;
		snprintf(r->cred, sizeof(r->cred), "%s", found->ticket);
		if (found->gen != gen) {
			/* a token was revoked since: is it this session's? (checked outside the lock) */
			pthread_mutex_unlock(&c->m);
			live = token_live(r->api, r->tok.id);
			pthread_mutex_lock(&c->m);
			for (int i = 0; i < SESSION_MAX; i++)
				if (c->s[i].used && eq32(c->s[i].id_hash, h)) {
					if (live == 1)
						c->s[i].gen = gen;
					else
						memset(&c->s[i], 0, sizeof(c->s[i]));
				}
			if (live != 1)
				found = NULL;
		}
	}
	pthread_mutex_unlock(&c->m);
	explicit_bzero(h, sizeof(h));
	if (!found) {
		memset(&r->tok, 0, sizeof(r->tok));
		explicit_bzero(r->cred, sizeof(r->cred));
		r->cred_kind = IPC_CRED_NONE;
		return -ENOENT;
	}
	r->authed = 1;
	r->via_cookie = 1;
	r->role = role_of(r->tok.role);
	return 0;
}


int console_csrf_ok(struct req *r)
{
	struct console *c = r->api->console;
	const char *cookie = conn_get(r, MHD_COOKIE_KIND, SESSION_COOKIE);
	const char *hdr = conn_get(r, MHD_HEADER_KIND, "X-CSRF-Token");
	uint8_t h[32], hc[32];
	int ok = 0;

	if (!c || !cookie || !hdr || strlen(hdr) != RANDOM_B64_LEN || strlen(cookie) != RANDOM_B64_LEN)
		return 0;
	merkle_sha256(cookie, RANDOM_B64_LEN, h);
	merkle_sha256(hdr, RANDOM_B64_LEN, hc);
	pthread_mutex_lock(&c->m);
	for (int i = 0; i < SESSION_MAX; i++)
		if (c->s[i].used && eq32(c->s[i].id_hash, h))
			ok = eq32(c->s[i].csrf_hash, hc);
	pthread_mutex_unlock(&c->m);
	return ok;
}

/* A random base64url string of RANDOM_BYTES into out (RANDOM_B64_LEN + 1).  0 or -ENOMEM. */
static int random_b64(char out[RANDOM_B64_LEN + 1])
{
	uint8_t b[RANDOM_BYTES];
	char *s;

	gcry_randomize(b, sizeof(b), GCRY_STRONG_RANDOM);
	s = b64_encode(b, sizeof(b), B64_URL);
	explicit_bzero(b, sizeof(b));
	if (!s || strlen(s) != RANDOM_B64_LEN) {
		free(s);
		return -ENOMEM;
	}
	memcpy(out, s, RANDOM_B64_LEN + 1);
	explicit_bzero(s, RANDOM_B64_LEN);
	free(s);
	return 0;
}

/* The cookies of a new session, or of a signed-out one (value empty, Max-Age=0). */
static void set_cookies(struct req *r, struct resp *out, const char *sid, const char *csrf, long max_age)
{
	const char *secure = r->api->cfg.tls_cert ? "; Secure" : "";
	char buf[256];

	snprintf(buf, sizeof(buf), SESSION_COOKIE "=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
		 sid, max_age, secure);
	free(out->set_cookie[0]);
	out->set_cookie[0] = strdup(buf);
	/* read by the page's script and sent back in X-CSRF-Token: another site can do neither */
	snprintf(buf, sizeof(buf), CSRF_COOKIE "=%s; Path=/; Max-Age=%ld; SameSite=Strict%s", csrf, max_age,
		 secure);
	free(out->set_cookie[1]);
	out->set_cookie[1] = strdup(buf);
}

static json_t *session_json(const struct req *r, time_t expires)
{
	char ts[32];
	struct tm tm;

	gmtime_r(&expires, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}", "token_id", r->tok.id, "role", r->tok.role,
			 "name", r->tok.name, "tenant", r->tok.tenant, "expires_at", expires ? ts : NULL,
			 "via", r->via_cookie ? "cookie" : "bearer");
}

void h_session_create(struct req *r, struct resp *out)
{
	struct console *c = r->api->console;
	json_t *body = req_json(r, out);
	const char *tok;
	char sid[RANDOM_B64_LEN + 1], csrf[RANDOM_B64_LEN + 1], ticket[LW_CRED_MAX] = "";
	struct session *slot = NULL;
	struct ledger *l;
	time_t now = time(NULL);
	int rc;

	if (!body)
		return;
	tok = json_string_value(json_object_get(body, "token"));
	if (!tok || json_object_size(body) != 1) {
		json_decref(body);
		reply_error(out, 400, "bad_request", "want {\"token\": \"szt_...\"}");
		return;
	}
	l = api_read_acquire(r->api);
	rc = token_check(l, tok, &r->tok);
	api_read_release(r->api, l);
	/* the session's writes carry a ticket the ledger process made for this token, not the token (issue 12) */
	if (rc == 0 && r->api->mode == API_HTTP)
		rc = api_ticket(r->api, tok, ticket, sizeof(ticket));
	json_decref(body);
	if (rc == -EAGAIN) {
		reply_error(out, 503, "unavailable", "the ledger process is restarting; try again");
		return;
	}
	if (rc < 0) {
		reply_error(out, 401, "unauthorized", "the token is not valid");
		return;
	}
	if (random_b64(sid) < 0 || random_b64(csrf) < 0) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	pthread_mutex_lock(&c->m);
	/* a free or expired slot, else the one that expires first */
	for (int i = 0; i < SESSION_MAX; i++) {
		struct session *s = &c->s[i];
		if (!s->used || s->expires <= now) {
			slot = s;
			break;
		}
		if (!slot || s->expires < slot->expires)
			slot = s;
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = 1;
	merkle_sha256(sid, RANDOM_B64_LEN, slot->id_hash);
	merkle_sha256(csrf, RANDOM_B64_LEN, slot->csrf_hash);
	slot->tok = r->tok;
	memcpy(slot->ticket, ticket, sizeof(slot->ticket));
	explicit_bzero(ticket, sizeof(ticket));
	slot->expires = now + SESSION_TTL_S;
	slot->gen = tc_gen(r->api);
	pthread_mutex_unlock(&c->m);
	r->authed = 1;
	r->via_cookie = 1;
	set_cookies(r, out, sid, csrf, SESSION_TTL_S);
	explicit_bzero(sid, sizeof(sid));
	api_log(r->api, "session: signed in with token %s (%s)", r->tok.id, r->tok.role);
	reply_json(out, 201, session_json(r, now + SESSION_TTL_S));
}

void h_session_get(struct req *r, struct resp *out)
{
	struct console *c = r->api->console;
	time_t expires = 0;
	const char *v = conn_get(r, MHD_COOKIE_KIND, SESSION_COOKIE);
	uint8_t h[32];

	if (r->via_cookie && v && strlen(v) == RANDOM_B64_LEN) {
		merkle_sha256(v, RANDOM_B64_LEN, h);
		pthread_mutex_lock(&c->m);
		for (int i = 0; i < SESSION_MAX; i++)
			if (c->s[i].used && eq32(c->s[i].id_hash, h))
				expires = c->s[i].expires;
		pthread_mutex_unlock(&c->m);
	}
	reply_json(out, 200, session_json(r, expires));
}

void h_session_delete(struct req *r, struct resp *out)
{
	struct console *c = r->api->console;
	const char *v = conn_get(r, MHD_COOKIE_KIND, SESSION_COOKIE);
	uint8_t h[32];

	if (!r->via_cookie || !v || strlen(v) != RANDOM_B64_LEN) {
		reply_error(out, 400, "bad_request", "no session: sign-out is for a session cookie");
		return;
	}
	merkle_sha256(v, RANDOM_B64_LEN, h);
	pthread_mutex_lock(&c->m);
	for (int i = 0; i < SESSION_MAX; i++)
		if (c->s[i].used && eq32(c->s[i].id_hash, h))
			memset(&c->s[i], 0, sizeof(c->s[i]));
	pthread_mutex_unlock(&c->m);
	set_cookies(r, out, "", "", 0);
	reply_json(out, 200, json_pack("{s:b}", "signed_out", 1));
}

void console_headers(void *response, struct resp *out)
{
	struct MHD_Response *mr = response;

	if (mr) {
		MHD_add_response_header(mr, "Content-Security-Policy", csp);
		MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(mr, "X-Frame-Options", "DENY");
	}
	for (int i = 0; i < 2; i++) {
		if (mr && out->set_cookie[i])
			MHD_add_response_header(mr, "Set-Cookie", out->set_cookie[i]);
		free(out->set_cookie[i]);
		out->set_cookie[i] = NULL;
	}
}

/* ---- the verification page ---- */

/* A page being rendered: capped at HTML_MAX; err set once anything failed. */
struct html {
	char *p;
	size_t len, cap;
	int err;
};

static void h_raw(struct html *h, const char *s, size_t n)
{
	if (h->err)
		return;
	if (h->len + n + 1 > h->cap) {
		size_t nc = h->cap ? h->cap : 4096;
		char *np;
		while (nc < h->len + n + 1)
			nc *= 2;
		if (nc > HTML_MAX || !(np = realloc(h->p, nc))) {
			h->err = 1;
			return;
		}
		h->p = np;
		h->cap = nc;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

/* The page h built as the answer (200, ctype), or a 500 naming what could not be rendered. */
static void h_reply(struct html *h, struct resp *out, const char *ctype, const char *what)
{
	if (h->err) {
		free(h->p);
		reply_error(out, 500, "internal", "cannot render %s", what);
		return;
	}
	free(out->body);
	out->body = h->p;
	out->len = h->len;
	out->status = 200;
	out->ctype = ctype;
}

/* Markup we wrote ourselves: never input. */
static void h_lit(struct html *h, const char *s)
{
	h_raw(h, s, strlen(s));
}

/* Text or an attribute value from anywhere (a JWS, a payload, a reason): escaped, and valid UTF-8. */
static void h_text(struct html *h, const char *s)
{
	char *safe;
	size_t n;

	if (!s)
		return;
	n = strlen(s) * 4 + 1;
	if (n > HTML_MAX || !(safe = malloc(n))) {
		h->err = 1;
		return;
	}
	api_safe_text(safe, n, s);
	for (const char *p = safe; *p; p++) {
		switch (*p) {
		case '&': h_lit(h, "&amp;"); break;
		case '<': h_lit(h, "&lt;"); break;
		case '>': h_lit(h, "&gt;"); break;
		case '"': h_lit(h, "&quot;"); break;
		case '\'': h_lit(h, "&#39;"); break;
		default: h_raw(h, p, 1);
		}
	}
	free(safe);
}

static const char *jstr(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	o = json_object_get(o, path);
	return json_is_string(o) ? json_string_value(o) : NULL;
}

/* One row of the payload summary, when the payload has it. */
static void h_row(struct html *h, const char *label, const json_t *payload, const char *path)
{
	const char *v = jstr(payload, path);

	if (!v)
		return;
	h_lit(h, "<dt>");
	h_text(h, label);
	h_lit(h, "</dt><dd>");
	h_text(h, v);
	h_lit(h, "</dd>");
}

/* One of the three checks; the page's script replaces it with its own result. */
static void h_check(struct html *h, const char *id, const char *title, int pass, const char *detail)
{
	h_lit(h, "<li class=\"check\" id=\"");
	h_lit(h, id);
	h_lit(h, pass ? "\" data-result=\"pass\">" : "\" data-result=\"fail\">");
	h_lit(h, "<span class=\"verdict\">");
	h_lit(h, pass ? "PASSED" : "FAILED");
	h_lit(h, "</span> <strong>");
	h_text(h, title);
	h_lit(h, "</strong> <span class=\"detail\">");
	h_text(h, detail);
	h_lit(h, "</span> <span class=\"by\">(checked by the server)</span></li>");
}

/*
 * The page: the certificate's summary and the server's three checks (what
 * a browser without JavaScript shows), the form to check another JWS, and
 * what the checks do not prove.  res is cert_verify's answer (NULL: no JWS
 * yet), payload the certificate's (NULL: unknown).
 */
static void render_verify(struct resp *out, const char *cert_id, const json_t *res, const json_t *payload,
			  const char *jws_shown, const char *problem)
{
	struct html h = { 0 };
	const json_t *st = json_object_get(res, "status");
	char detail[300];

	h_lit(&h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		  "<title>Verify a sanitization certificate</title>"
		  "<link rel=\"stylesheet\" href=\"/console/style.css\">"
		  "<script type=\"module\" src=\"/console/verify.js\"></script></head><body>"
		  "<header><p class=\"brand\">sanitizerd</p></header>"
		  "<main id=\"verify\" data-cert=\"");
	h_text(&h, cert_id ? cert_id : "");
	h_lit(&h, "\"><h1>Verify a sanitization certificate</h1>");
	if (cert_id) {
		h_lit(&h, "<p>Certificate <code id=\"cert-id\">");
		h_text(&h, cert_id);
		h_lit(&h, "</code></p>");
	}
	if (problem) {
		h_lit(&h, "<p class=\"problem\" role=\"alert\">");
		h_text(&h, problem);
		h_lit(&h, "</p>");
	}
	if (payload) {
		h_lit(&h, "<dl class=\"summary\">");
		h_row(&h, "Drive serial", payload, "media.serial");
		h_row(&h, "Model", payload, "media.model");
		h_row(&h, "Property number", payload, "media.property_number");
		h_row(&h, "Method", payload, "sanitization.method");
		h_row(&h, "Category (NIST SP 800-88)", payload, "sanitization.method_type");
		h_row(&h, "Technique", payload, "sanitization.method_used");
		h_row(&h, "Verification", payload, "sanitization.verification.result");
		h_row(&h, "Outcome", payload, "sanitization.outcome");
		h_row(&h, "Issued", payload, "issued_at");
		h_lit(&h, "</dl>");
	}
	if (res) {
		int valid = json_is_true(json_object_get(res, "valid"));
		int in_ledger = json_is_true(json_object_get(res, "in_ledger"));
		const char *state = jstr(st, "state"), *astate = jstr(st, "asset_state");

		h_lit(&h, "<h2>Checks</h2><p id=\"checks-note\" role=\"status\" aria-live=\"polite\">"
			  "These checks were made by the server.</p><ul class=\"checks\" id=\"checks\">");
		snprintf(detail, sizeof(detail), "%s%s%s", valid ? "signed by key " : "",
			 valid ? jstr(res, "kid") ?: "" : "", valid ? "" : jstr(res, "reason") ?: "not valid");
		h_check(&h, "check-signature", "Signature against the published keys (JWKS)", valid, detail);
		h_check(&h, "check-inclusion", "Included in the ledger under a signed checkpoint", in_ledger,
			in_ledger ? "its certificate_issued entry is in the ledger"
				  : "no ledger entry holds this certificate");
		snprintf(detail, sizeof(detail), "certificate %s, drive %s", state ? state : "unknown",
			 astate ? astate : "unknown");
		h_check(&h, "check-custody", "Custody status of the drive", in_ledger && state, detail);
		h_lit(&h, "</ul>");
	}
	h_lit(&h, "<section aria-labelledby=\"limits-h\"><h2 id=\"limits-h\">What these checks do not prove</h2>"
		  "<ul><li>A valid signature proves that this service's key signed these words, not that the "
		  "words are true: the method and result are what the station recorded.</li>"
		  "<li>Inclusion proves the certificate was recorded in the ledger before the checkpoint; "
		  "compare the checkpoint with one you obtained elsewhere to rule out a rewritten ledger.</li>"
		  "<li>The custody status is the ledger's latest record; it says nothing of events nobody "
		  "recorded.</li></ul></section>"
		  "<section aria-labelledby=\"form-h\"><h2 id=\"form-h\">Check a certificate file</h2>"
		  "<form id=\"verify-form\" method=\"post\" action=\"/verify\">"
		  "<label for=\"jws\">Certificate (compact JWS)</label>"
		  "<textarea id=\"jws\" name=\"jws\" rows=\"6\" spellcheck=\"false\">");
	h_text(&h, jws_shown);
	h_lit(&h, "</textarea><label for=\"jws-file\">or choose a .jws file</label>"
		  "<input type=\"file\" id=\"jws-file\" accept=\".jws,application/jose,text/plain\">"
		  "<button type=\"submit\">Verify</button></form></section></main></body></html>\n");
	h_reply(&h, out, "text/html; charset=utf-8", "the page");
}

/* cert_verify of jws and, when the ledger knows it, the certificate's payload. */
static int verify_jws(struct req *r, const char *jws, size_t len, json_t **res, json_t **cert)
{
	struct api *a = r->api;
	json_t *jwks = jwk_set(a->st->pub);
	const char *id;
	char *tenant = NULL;
	struct ledger *l;
	int rc;

	*res = *cert = NULL;
	if (!jwks)
		return -ENOMEM;
	l = api_read_acquire(a);
	rc = cert_verify(l, jwks, jws, len, res, &tenant);
	id = json_string_value(json_object_get(*res, "id"));
	if (rc == 0 && id) {
		free(tenant);
		tenant = NULL;
		if (cert_get(l, id, cert, &tenant) < 0)
			*cert = NULL;
	}
	api_read_release(a, l);
	json_decref(jwks);
	free(tenant);
	if (rc == 0)
		cert_verify_public(*res);	/* the page is public: the verdict and the state only */
	return rc;
}

void h_verify_page(struct req *r, struct resp *out)
{
	struct api *a = r->api;
	const char *id = r->cap[0], *jws;
	json_t *cert = NULL, *res = NULL, *c2 = NULL;
	struct ledger *l;
	int rc;

	l = api_read_acquire(a);
	rc = cert_get(l, id, &cert, NULL);
	api_read_release(a, l);
	if (rc < 0) {
		render_verify(out, NULL, NULL, NULL, "", "No certificate of that id is known to this service.");
		out->status = rc == -ENOENT || rc == -EINVAL ? 404 : 500;
		json_decref(cert);
		return;
	}
	jws = json_string_value(json_object_get(cert, "jws"));
	rc = jws ? verify_jws(r, jws, strlen(jws), &res, &c2) : -EINVAL;
	if (rc < 0)
		render_verify(out, id, NULL, json_object_get(cert, "payload"), "", "The server cannot check it now.");
	else
		render_verify(out, id, res, json_object_get(cert, "payload"), "", NULL);
	json_decref(res);
	json_decref(c2);
	json_decref(cert);
}

void h_verify_form(struct req *r, struct resp *out)
{
	(void)r;
	render_verify(out, NULL, NULL, NULL, "", NULL);
}

/*
 * The value of field in an application/x-www-form-urlencoded body (the
 * WHATWG URL standard's form encoding), decoded into a new string; NULL if
 * absent or on ENOMEM.  Hand-written: the body is already buffered and capped
 * (API_BODY_MAX) by the server, and libmicrohttpd's post processor needs a
 * live connection, which the in-process test dispatch does not have.
 */
static char *form_field(const char *body, size_t len, const char *field)
{
	size_t fl = strlen(field);
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
		if ((size_t)(e - p) > fl && !strncmp(p, field, fl) && p[fl] == '=') {
			const char *v = p + fl + 1;
			char *o = malloc((size_t)(e - v) + 1), *q = o;
			if (!o)
				return NULL;
			for (; v < e; v++) {
				int hi, lo;
				if (*v == '+')
					*q++ = ' ';
				else if (*v == '%' && e - v >= 3 && (hi = hex_digit((unsigned char)v[1])) >= 0 && (lo = hex_digit((unsigned char)v[2])) >= 0) {
					*q++ = (char)(hi << 4 | lo);
					v += 2;
				} else
					*q++ = *v;
			}
			*q = '\0';
			return o;
		}
		p = e + 1;
	}
	return NULL;
}

void h_verify_post(struct req *r, struct resp *out)
{
	const char *ct = r->content_type ? r->content_type : "";
	size_t n = strcspn(ct, ";"), len;
	json_t *res = NULL, *cert = NULL;
	char *jws;
	int rc;

	if (!(n == 33 && !strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
		reply_error(out, 415, "unsupported_media_type", "the form must be application/x-www-form-urlencoded");
		return;
	}
	jws = form_field(r->body ? r->body : "", r->len, "jws");
	if (!jws) {
		render_verify(out, NULL, NULL, NULL, "", "Paste a certificate (compact JWS) to check it.");
		out->status = 400;
		return;
	}
	/* pasted text often ends with a newline or spaces */
	len = strlen(jws);
	while (len && (jws[len - 1] == '\n' || jws[len - 1] == '\r' || jws[len - 1] == ' '))
		jws[--len] = '\0';
	rc = verify_jws(r, jws, len, &res, &cert);
	if (rc < 0)
		render_verify(out, NULL, NULL, NULL, jws, rc == -E2BIG ? "The JWS is too large." : "The server cannot check it now.");
	else
		render_verify(out, json_string_value(json_object_get(res, "id")), res,
			      json_object_get(cert, "payload"), jws, NULL);
	json_decref(res);
	json_decref(cert);
	free(jws);
}

/*
 * GET /v1/verify/{cert_id}: what the public page's script checks by itself:
 * the JWS, its certificate_issued entry, the inclusion proof and the signed
 * checkpoint it is under, and the custody state (details only for those who
 * may read the asset's events).
 */
void h_verify_data(struct req *r, struct resp *out)
{
	struct api *a = r->api;
	json_t *cert = NULL, *led, *o, *wrap;
	char *tenant = NULL;
	struct ledger *l;
	int rc;

	rc = api_authenticate(r);
	if (rc < 0 && rc != -ENOENT) {
		reply_error(out, 401, "unauthorized", "the bearer token is not valid; send none for the public answer");
		return;
	}
	l = api_read_acquire(a);
	rc = cert_get(l, r->cap[0], &cert, &tenant);
	api_read_release(a, l);
	if (rc < 0) {
		json_decref(cert);
		free(tenant);
		if (rc == -ENOENT || rc == -EINVAL)
			reply_error(out, 404, "not_found", "no certificate %s", r->cap[0]);
		else
			reply_error(out, 500, "internal", "cannot read certificate %s", r->cap[0]);
		return;
	}
	led = json_object_get(cert, "ledger");
	wrap = json_pack("{s:O?}", "status", json_object_get(cert, "status"));
	if (wrap && !api_custody_visible(r, tenant))
		cert_verify_public(wrap);
	o = json_pack("{s:O, s:O, s:{s:O?, s:O?, s:O?, s:O?, s:O?}, s:O?}", "id", json_object_get(cert, "id"),
		      "jws", json_object_get(cert, "jws"), "ledger", "seq", json_object_get(led, "seq"),
		      "entry", json_object_get(led, "entry"), "leaf_hash", json_object_get(led, "leaf_hash"),
		      "inclusion", json_object_get(led, "inclusion"), "checkpoint",
		      json_object_get(led, "checkpoint"), "status", json_object_get(wrap, "status"));
	json_decref(wrap);
	json_decref(cert);
	free(tenant);
	if (!o)
		reply_error(out, 500, "internal", "cannot render certificate");
	else
		reply_json(out, 200, o);
}

/* 1 if a Host header value is a plain host[:port] (RFC 9110 7.2): nothing to break out of a URL. */
static int host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

int console_verify_url(struct req *r, const char *cert_id, char **out)
{
	const char *host = conn_get(r, MHD_HEADER_KIND, "Host");
	char base[300];
	int rc = cert_verify_url(r->api->cfg.public_url, cert_id, out);

	if (rc == 0 || rc == -ENOMEM || !host_ok(host))
		return rc;
	/* issue 14: without a usable --public-url, the address the client used; the same checks apply */
	snprintf(base, sizeof(base), "%s://%s", r->api->cfg.tls_cert ? "https" : "http", host);
	return cert_verify_url(base, cert_id, out);
}

/*
 * GET /verify/{cert_id}/qr.svg: the QR code of the certificate's public
 * page, for the batch sheet: the same URL as the PDF's (console_verify_url).
 */
void h_verify_qr(struct req *r, struct resp *out)
{
	struct api *a = r->api;
	const char *id = r->cap[0];
	json_t *cert = NULL;
	struct ledger *l;
	struct html h = { 0 };
	char *url = NULL, buf[96];
	QRcode *qr;
	int rc, w;

	l = api_read_acquire(a);
	rc = cert_get(l, id, &cert, NULL);
	api_read_release(a, l);
	json_decref(cert);
	if (rc < 0) {
		reply_error(out, 404, "not_found", "no certificate %s", id);
		return;
	}
	rc = console_verify_url(r, id, &url);
	if (rc < 0 && rc != -ENOMEM) {
		/* as on the PDF: no QR code rather than one a customer cannot open */
		reply_error(out, 400, "bad_request",
			    "no public URL: set --public-url, or use the console at an address other than loopback");
		return;
	}
	qr = url ? QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8, 1) : NULL;
	free(url);
	if (!qr) {
		reply_error(out, 500, "internal", "cannot encode the QR code");
		return;
	}
	w = qr->width;
	/* ISO/IEC 18004 6.3.8: a quiet zone of four modules on every side */
	snprintf(buf, sizeof(buf), "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-4 -4 %d %d\"", w + 8, w + 8);
	h_lit(&h, buf);
	h_lit(&h, " shape-rendering=\"crispEdges\"><rect x=\"-4\" y=\"-4\" width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
		  "<path fill=\"#000\" d=\"");
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (qr->data[y * w + x] & 1) {
				snprintf(buf, sizeof(buf), "M%d %dh1v1h-1z", x, y);
				h_lit(&h, buf);
			}
	h_lit(&h, "\"/></svg>\n");
	QRcode_free(qr);
	h_reply(&h, out, "image/svg+xml", "the QR code");
}
