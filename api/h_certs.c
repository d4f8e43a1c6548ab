/* Certificates: issue (technician), read (auditor, customer of the tenant), verify (anyone). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "audit/cert.h"
#include "audit/certpdf.h"
#include "audit/export.h"
#include "audit/jwk.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "util/version.h"
#include "core/state.h"

void h_cert_issue(struct req *r, struct resp *out)
{
	struct lw_op op = { .type = LW_CERT_ISSUE };
	json_t *body = NULL, *cert;
	char err[512], *text = NULL;
	int rc;

	/* the body is optional: an empty one is {} */
	if (r->len) {
		body = req_json(r, out);
		if (!body)
			return;
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (!text) {
			reply_error(out, 500, "internal", "out of memory");
			return;
		}
		op.in.cert.request = (struct lw_text){ text, strlen(text) };
	}
	snprintf(op.in.cert.asset_id, sizeof(op.in.cert.asset_id), "%s", r->cap[0]);
	req_caller(r, &op.caller);
	rc = api_write(r->api, &op, err, sizeof(err));
	free(text);
	cert = rc == 0 ? json_loads(op.out.cert.cert, 0, NULL) : NULL;
	free(op.out.cert.cert);
	if (rc < 0)
		reply_errno(out, rc, err);
	else if (!cert)
		reply_error(out, 500, "internal", "out of memory");
	else
		reply_json(out, 201, cert);
}

/*
 * Issue 15: a technician may download the PDF and JWS of a certificate its
 * own token issued (the certificate_issued entry's actor); a certificate
 * another technician's token issued is refused (403).
 */
static int issued_by_caller(const struct req *r, const json_t *cert)
{
	const char *text = json_string_value(json_object_get(json_object_get(cert, "ledger"), "entry"));
	json_t *e = text ? json_loads(text, 0, NULL) : NULL;
	const char *actor = json_string_value(json_object_get(e, "actor"));
	char me[64];
	int ok;

	req_actor(r, me, sizeof(me));
	ok = actor && !strcmp(actor, me);
	json_decref(e);
	return ok;
}

/* The certificate as JSON, as its raw JWS (kind "jws") or as a PDF (kind "pdf"). */
static void cert_get_as(struct req *r, struct resp *out, const char *kind)
{
	struct api *a = r->api;
	const char *id = r->cap[0];
	char *tenant = NULL, *url = NULL;
	struct ledger *l;
	json_t *cert = NULL;
	uint8_t *pdf = NULL;
	size_t len = 0;
	int rc;

	l = api_read_acquire(a);
	rc = cert_get(l, id, &cert, &tenant);
	api_read_release(a, l);
	/* SPEC section 6: another tenant's certificate does not exist for a customer */
	if (rc == 0 && r->role == ROLE_CUSTOMER && (!tenant || strcmp(tenant, r->tok.tenant)))
		rc = -ENOENT;
	free(tenant);
	if (rc < 0) {
		json_decref(cert);
		reply_error(out, rc == -ENOENT ? 404 : 500, rc == -ENOENT ? "not_found" : "internal",
			    rc == -ENOENT ? "no certificate %s" : "cannot read certificate %s", id);
		return;
	}
	if (r->role == ROLE_TECH && !issued_by_caller(r, cert)) {
		json_decref(cert);
		reply_error(out, 403, "forbidden", "only the technician whose token issued certificate %s may"
			    " download it", id);
		return;
	}
	if (!strcmp(kind, "jws")) {
		const char *jws = json_string_value(json_object_get(cert, "jws"));
		reply_text(out, 200, "application/jose", jws, strlen(jws));
	} else if (!strcmp(kind, "pdf")) {
		/* no public URL, or a loopback one: the request's Host; else no QR code, and the page says so */
		rc = console_verify_url(r, id, &url);
		if (rc != -ENOMEM) {
			struct cert_pdf_opts po = { .verify_url = url };
			rc = cert_pdf(cert, &po, &pdf, &len);
		}
		free(url);
		if (rc < 0)
			reply_error(out, 500, "internal", "cannot render the PDF");
		else
			reply_text(out, 200, "application/pdf", (const char *)pdf, len);
		free(pdf);
	} else {
		reply_json(out, 200, json_incref(cert));
	}
	json_decref(cert);
}

void h_cert_get(struct req *r, struct resp *out)
{
	cert_get_as(r, out, "");
}

void h_cert_jws(struct req *r, struct resp *out)
{
	cert_get_as(r, out, "jws");
}

void h_cert_pdf(struct req *r, struct resp *out)
{
	cert_get_as(r, out, "pdf");
}

int api_custody_visible(const struct req *r, const char *tenant)
{
	if (!r->authed)
		return 0;
	if (r->role & (ROLE_ADMIN | ROLE_TECH | ROLE_AUDITOR))
		return 1;
	return r->role == ROLE_CUSTOMER && tenant && *tenant && !strcmp(tenant, r->tok.tenant);
}

void h_verify(struct req *r, struct resp *out)
{
	struct api *a = r->api;
	const char *ct = r->content_type ? r->content_type : "";
	size_t n = strcspn(ct, ";");
	json_t *body = NULL, *jwks, *res = NULL;
	char *tenant = NULL;
	const char *jws;
	size_t len;
	struct ledger *l;
	int rc;

	if (n == 16 && !strncasecmp(ct, "application/jose", 16)) {
		jws = r->body ? r->body : "";
		len = r->len;
		while (len && (jws[len - 1] == '\n' || jws[len - 1] == '\r'))
			len--;
	} else {
		body = req_json(r, out);
		if (!body)
			return;
		jws = json_string_value(json_object_get(body, "jws"));
		if (!jws || json_object_size(body) != 1) {
			json_decref(body);
			reply_error(out, 400, "bad_request", "want {\"jws\": \"<compact JWS>\"} or an application/jose body");
			return;
		}
		len = strlen(jws);
	}
	/*
	 * Issue 11: anyone may ask, but the custody details (carrier, seal,
	 * tracking, facility, witness, handlers) are for those who may read the
	 * asset's events: admin, technician, auditor, the customer of its tenant.
	 * A token that is sent must be valid; none at all is the public answer.
	 */
	rc = api_authenticate(r);
	if (rc < 0 && rc != -ENOENT) {
		json_decref(body);
		reply_error(out, 401, "unauthorized",
			    "the bearer token is not valid; send none for the public answer");
		return;
	}
	jwks = jwk_set(a->st->pub);
	l = api_read_acquire(a);
	rc = jwks ? cert_verify(l, jwks, jws, len, &res, &tenant) : -ENOMEM;
	api_read_release(a, l);
	json_decref(jwks);
	json_decref(body);
	if (rc == -E2BIG) {
		reply_error(out, 413, "too_large", "the JWS is too large");
	} else if (rc < 0) {
		reply_error(out, 500, "internal", "cannot verify");
	} else {
		if (!api_custody_visible(r, tenant))
			cert_verify_public(res);
		reply_json(out, 200, res);
	}
	free(tenant);
}

/* ---- GET /v1/certificates (issue 15) ---- */

struct list_ctx {
	int format;
	json_t *arr;
	struct export_buf b;
	size_t n, limit;
	int64_t last;
	int more;
};

static int list_row(void *ctx, const json_t *row)
{
	struct list_ctx *c = ctx;
	int rc;

	if (c->n == c->limit) {
		c->more = 1;
		return 1;
	}
	/* every format is measured as its rows: JSON pages as JSON Lines would be */
	rc = c->format == EXPORT_CSV ? export_csv_row(&c->b, row, export_cert_cols) : export_jsonl_row(&c->b, row);
	if (rc == -E2BIG && c->n) {
		c->more = 1;
		return 1;
	}
	if (rc == 0 && c->arr)
		rc = json_array_append(c->arr, (json_t *)row) < 0 ? -ENOMEM : 0;
	if (rc < 0)
		return rc;
	c->n++;
	c->last = json_integer_value(json_object_get(row, "issued_seq"));
	return 0;
}

/*
 * Certificates for auditors, and for a customer those of its own tenant (a
 * tenant= naming another tenant finds none), filtered by asset_id, serial,
 * tenant, method, result (the verification result) and issued_at from/to
 * (dates or UTC date-times, inclusive), paged by after (the issued_seq of
 * the previous page's last row) and limit; format=csv|jsonl exports them.
 */
void h_certs_list(struct req *r, struct resp *out)
{
	static const char *const names[] = { "asset_id", "serial", "tenant", "method", "result" };
	struct list_ctx c = { .last = -1 };
	struct export_cert_filter f = { .after = -1 };
	const char **vals[] = { &f.asset_id, &f.serial, &f.tenant, &f.method, &f.result };
	char from[25], to[25];
	const char *v;
	uint64_t after;
	struct ledger *l;
	int rc;

	c.format = req_export_format(r, out);
	if (c.format < 0 || req_page_limit(r, out, &c.limit) < 0)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*vals[i] = v = req_query(r, names[i]);
		if (v && (!*v || strlen(v) > CERT_STR_MAX)) {
			reply_error(out, 400, "bad_request", "%s must be 1..%d bytes", names[i], CERT_STR_MAX);
			return;
		}
	}
	if (((v = req_query(r, "from")) && export_date_bound(v, 0, from) < 0) ||
	    ((v = req_query(r, "to")) && export_date_bound(v, 1, to) < 0)) {
		reply_error(out, 400, "bad_request", "from and to must be dates (YYYY-MM-DD) or UTC date-times");
		return;
	}
	f.from = req_query(r, "from") ? from : NULL;
	f.to = req_query(r, "to") ? to : NULL;
	rc = req_query_u64(r, "after", &after);
	if (rc == -EINVAL || (rc == 0 && after > INT64_MAX)) {
		reply_error(out, 400, "bad_request", "after must be a decimal issued_seq (the next of the previous page)");
		return;
	}
	if (rc == 0)
		f.after = (int64_t)after;
	/* SPEC section 6: a customer sees its own tenant only, whatever it asks for */
	if (r->role == ROLE_CUSTOMER) {
		if (f.tenant && strcmp(f.tenant, r->tok.tenant))
			f.tenant = "\x01none";	/* matches no tenant */
		else
			f.tenant = r->tok.tenant;
	}
	f.limit = c.limit + 1;
	export_buf_init(&c.b, API_EXPORT_BYTES_MAX);
	if (c.format == EXPORT_CSV && export_csv_header(&c.b, export_cert_cols) < 0) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	if (c.format == EXPORT_JSON && !(c.arr = json_array())) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	l = api_read_acquire(r->api);
	rc = export_certs(l, &f, list_row, &c);
	api_read_release(r->api, l);
	if (rc < 0) {
		json_decref(c.arr);
		export_buf_free(&c.b);
		reply_error(out, 500, "internal", "cannot list the certificates");
		return;
	}
	if (c.format != EXPORT_JSON) {
		reply_export(out, c.format, &c.b);
		return;
	}
	export_buf_free(&c.b);
	reply_json(out, 200, json_pack("{s:o, s:o}", "certificates", c.arr, "next",
				       c.more ? json_integer((json_int_t)c.last) : json_null()));
}
