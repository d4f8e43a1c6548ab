/*
 * The api's side of the other processes of `sanitizerd serve` (issue 12,
 * sanitizerd/privsep.h): writes as operations to the ledger process,
 * the job manager's routes forwarded from the http process to the devices
 * process and answered there, the devices process's events back to the
 * http process's stream, and the job counters for /metrics.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/station.h"
#include "core/ipc.h"
#include "core/ipclink.h"
#include "util/xio.h"

/* How long a call waits for a restarting peer before the request fails (503). */
#define PEER_WAIT_MS 3000
/* ... and the devices process for the ledger, which it needs for every record */
#define DEVICES_LEDGER_WAIT_MS 30000

static int peer_gone(int rc)
{
	return rc == -ENOTCONN || rc == -EPIPE || rc == -ETIMEDOUT || rc == -ECONNRESET || rc == -ESHUTDOWN;
}

int api_write(struct api *a, struct lw_op *op, char *err, size_t errlen)
{
	struct ipc_cred cred = { .kind = op->caller.cred_kind };
	struct ipc_w w = { 0 };
	struct ipc_frame rep;
	int rc, src;

	if (a->mode == API_SINGLE || !a->lk_ledger)
		return lwriter_run(a->writer, op, err, errlen);
	if (cred.kind != IPC_CRED_NONE)
		snprintf(cred.text, sizeof(cred.text), "%s", op->caller.cred);
	rc = ipc_enc_lw_req(&w, &cred, op);
	explicit_bzero(&cred, sizeof(cred));
	if (rc < 0) {
		ipc_w_free(&w);	/* wiped there */
		if (err)
			snprintf(err, errlen, "the operation does not fit a message: %s", strerror(-rc));
		return rc == -EMSGSIZE ? -E2BIG : rc;
	}
	rc = ipc_link_call(a->lk_ledger, IPC_LW_REQ, &w, IPC_LW_REP, &rep,
			   a->mode == API_DEVICES ? DEVICES_LEDGER_WAIT_MS : PEER_WAIT_MS);
	ipc_w_free(&w);
	if (rc < 0) {
		if (err)
			snprintf(err, errlen, "the ledger process %s; nothing was written, try again",
				 rc == -EPIPE ? "ended before it answered" : "is not available");
		/* -EPIPE: the ledger died before it answered; it may have committed: the client sees 503 either way */
		return peer_gone(rc) ? -EAGAIN : rc;
	}
	src = ipc_dec_lw_rep(&rep, &rc, err, errlen, op);
	ipc_frame_free(&rep);
	if (src < 0) {
		if (err)
			snprintf(err, errlen, "the ledger process sent a malformed answer");
		return -EIO;
	}
	return rc;
}

/*
 * Ask the ledger process about a credential (IPC_WHO_REQ or IPC_TICKET_REQ)
 * and decode its answer: 0 (ticket and expires filled for a ticket),
 * -EACCES, -EAGAIN when the ledger process is not there, -EIO for an answer
 * that cannot be read.  Every copy of the credential is wiped (ipc_w_free,
 * ipc_frame_free).
 */
static int cred_call(struct api *a, uint16_t type, unsigned kind, const char *text, struct token_info *tok,
		     char *ticket, size_t len, uint64_t *expires)
{
	struct ipc_cred c = { .kind = kind };
	struct ipc_w w = { 0 };
	struct ipc_frame rep;
	int rc, who;

	snprintf(c.text, sizeof(c.text), "%s", text);
	rc = ipc_enc_cred(&w, &c);
	explicit_bzero(&c, sizeof(c));
	if (rc == 0)
		rc = ipc_link_call(a->lk_ledger, type, &w, type == IPC_TICKET_REQ ? IPC_TICKET_REP : IPC_WHO_REP, &rep,
				   PEER_WAIT_MS);
	ipc_w_free(&w);
	if (rc < 0)
		return peer_gone(rc) ? -EAGAIN : rc;
	rc = ipc_dec_who_rep(&rep, &who, tok, ticket, len, expires);
	ipc_frame_free(&rep);
	return rc < 0 ? -EIO : who < 0 ? -EACCES : 0;
}

int api_who(struct api *a, unsigned cred_kind, const char *cred, struct token_info *tok)
{
	return cred_call(a, IPC_WHO_REQ, cred_kind, cred, tok, NULL, 0, NULL);
}

int api_ticket(struct api *a, const char *secret, char *ticket, size_t len)
{
	struct token_info tok;
	uint64_t exp;

	return cred_call(a, IPC_TICKET_REQ, IPC_CRED_BEARER, secret, &tok, ticket, len, &exp);
}

/* ---- the job manager's routes: http forwards, devices answers ---- */

struct qtext {
	char *b;
	size_t len, cap;
	int full;
};

static void q_put(struct qtext *q, const char *s, int escape)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s && !q->full; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = !escape || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || c == '.' || c == '~';

		if (q->len + 4 >= q->cap) {
			q->full = 1;
			break;
		}
		if (plain) {
			q->b[q->len++] = (char)c;
		} else {
			q->b[q->len++] = '%';
			q->b[q->len++] = hex[c >> 4];
			q->b[q->len++] = hex[c & 15];
		}
	}
	q->b[q->len] = '\0';
}

/* libmicrohttpd's decoded arguments written back as a query (RFC 3986 3.4, percent-encoded). */
static enum MHD_Result q_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct qtext *q = cls;

	(void)kind;
	if (q->len)
		q_put(q, "&", 0);
	q_put(q, key, 1);
	if (value) {
		q_put(q, "=", 0);
		q_put(q, value, 1);
	}
	return MHD_YES;
}

static void copy_hdr(struct req *r, const char *name, char *dst, size_t len)
{
	const char *v = r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name) : NULL;

	snprintf(dst, len, "%s", v && strlen(v) < len ? v : "");
}

void api_forward(struct req *r, struct resp *out)
{
	struct ipc_dev_req *q = calloc(1, sizeof(*q));
	struct ipc_dev_rep p;
	struct ipc_w w = { 0 };
	struct ipc_frame rep;
	struct qtext qt;
	int rc;

	if (!q) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	q->cred.kind = r->cred_kind;
	snprintf(q->cred.text, sizeof(q->cred.text), "%s", r->cred);
	q->method = !strcmp(r->method, "GET") ? IPC_M_GET : !strcmp(r->method, "POST") ? IPC_M_POST : IPC_M_DELETE;
	snprintf(q->path, sizeof(q->path), "%s", r->path);
	qt = (struct qtext){ .b = q->query, .cap = sizeof(q->query) };
	if (r->conn)
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, q_arg, &qt);
	snprintf(q->content_type, sizeof(q->content_type), "%s",
		 r->content_type && strlen(r->content_type) < sizeof(q->content_type) ? r->content_type : "");
	copy_hdr(r, "Host", q->host, sizeof(q->host));
	copy_hdr(r, "Accept", q->accept, sizeof(q->accept));
	q->body = (const uint8_t *)r->body;
	q->body_len = r->len;
	rc = qt.full || strlen(r->path) >= sizeof(q->path) ? -E2BIG : ipc_enc_dev_req(&w, q);
	explicit_bzero(q->cred.text, sizeof(q->cred.text));
	free(q);
	if (rc == 0)
		rc = ipc_link_call(r->api->lk_devices, IPC_DEV_REQ, &w, IPC_DEV_REP, &rep, PEER_WAIT_MS);
	ipc_w_free(&w);
	if (rc == -E2BIG || rc == -EMSGSIZE) {
		reply_error(out, 413, "too_large", "the request is too large for the job manager");
		return;
	}
	if (rc < 0) {
		reply_error(out, 503, "unavailable", "the devices process %s; try again",
			    rc == -EPIPE ? "ended before it answered" : "is restarting");
		return;
	}
	if (ipc_dec_dev_rep(&rep, &p) < 0) {
		ipc_frame_free(&rep);
		reply_error(out, 502, "bad_gateway", "the devices process sent a malformed answer");
		return;
	}
	/* the job manager answers JSON only; any other type is not passed on as if it were ours */
	reply_text(out, p.status, "application/json", (const char *)p.body, p.body_len);
	ipc_frame_free(&rep);
}

static const char *method_name(unsigned m)
{
	return m == IPC_M_GET ? "GET" : m == IPC_M_POST ? "POST" : "DELETE";
}

static void answer_dev(struct api *a, struct ipc_link *l, const struct ipc_frame *f)
{
	struct ipc_dev_req *q = malloc(sizeof(*q));
	struct ipc_dev_rep p = { .status = 500 };
	struct ipc_w w = { 0 };
	const char *ctype = NULL;
	char *body = NULL;
	size_t blen = 0;
	int rc = q ? ipc_dec_dev_req(f, q) : -ENOMEM;

	if (rc == 0) {
		struct api_raw raw = {
			.method = method_name(q->method), .path = q->path, .query = q->query,
			.content_type = q->content_type[0] ? q->content_type : NULL,
			.host = q->host[0] ? q->host : NULL, .accept = q->accept[0] ? q->accept : NULL,
			.cred_kind = q->cred.kind, .cred = q->cred.text,
			.body = (const char *)q->body, .len = q->body_len,
		};
		rc = api_dispatch_raw(a, &raw, &p.status, &ctype, &body, &blen);
		explicit_bzero(q->cred.text, sizeof(q->cred.text));
	} else {
		api_log(a, "error: refused a request from the http process: a malformed frame (%s)", strerror(-rc));
	}
	free(q);
	if (rc < 0 || blen > IPC_REPLY_MAX) {
		free(body);
		body = strdup(rc == -EPROTO || rc == -EMSGSIZE || rc == -ERANGE
			      ? "{\"error\":{\"code\":\"bad_request\",\"message\":\"a malformed forwarded request\"}}\n"
			      : "{\"error\":{\"code\":\"internal\",\"message\":\"the devices process cannot answer\"}}\n");
		blen = body ? strlen(body) : 0;
		p.status = rc == -EPROTO || rc == -EMSGSIZE || rc == -ERANGE ? 400 : 500;
		ctype = "application/json";
	}
	snprintf(p.ctype, sizeof(p.ctype), "%s", ctype ? ctype : "application/json");
	p.body = (const uint8_t *)(body ? body : "");
	p.body_len = blen;
	if (ipc_enc_dev_rep(&w, &p) == 0)
		ipc_link_send(l, IPC_DEV_REP, f->id, &w);
	ipc_w_free(&w);
	free(body);
}

int api_job_stats(struct api *a, struct ipc_stats *s)
{
	unsigned long long c[6], bytes;
	struct ipc_frame rep;
	int rc;

	memset(s, 0, sizeof(*s));
	if (a->mode != API_HTTP) {
		if (a->jobs)
			jobs_counts(a->jobs, c, &bytes);
		else
			memset(c, 0, sizeof(c)), bytes = 0;
		for (int i = 0; i < 6; i++)
			s->jobs[i] = c[i];
		s->job_bytes = bytes;
		s->bytes_written = atomic_load(&a->m.bytes_written);
		pthread_mutex_lock(&a->m.lock);
		for (unsigned i = 0; i < a->m.nrefusals && s->nrefusals < IPC_REFUSALS_MAX; i++) {
			if (!a->m.refusals[i].n)
				continue;
			snprintf(s->refusals[s->nrefusals].reason, IPC_REASON_MAX, "%s", a->m.refusals[i].label);
			s->refusals[s->nrefusals++].n = a->m.refusals[i].n;
		}
		pthread_mutex_unlock(&a->m.lock);
		return 0;
	}
	rc = ipc_link_call(a->lk_devices, IPC_STATS_REQ, NULL, IPC_STATS_REP, &rep, 500);
	if (rc < 0)
		return -EAGAIN;
	rc = ipc_dec_stats(&rep, s);
	ipc_frame_free(&rep);
	return rc < 0 ? -EIO : 0;
}

void api_devices_frame(void *ctx, struct ipc_link *l, struct ipc_frame *f)
{
	struct api *a = ctx;

	if (f->type == IPC_DEV_REQ) {
		answer_dev(a, l, f);
	} else if (f->type == IPC_STATS_REQ && ipc_dec_empty(f) == 0) {
		struct ipc_stats s;
		struct ipc_w w = { 0 };

		if (api_job_stats(a, &s) == 0 && ipc_enc_stats(&w, &s) == 0)
			ipc_link_send(l, IPC_STATS_REP, f->id, &w);
		ipc_w_free(&w);
	} else {
		api_log(a, "error: refused a %s frame from the http process", ipc_type_name(f->type));
	}
}

void api_http_frame(void *ctx, struct ipc_link *l, struct ipc_frame *f)
{
	struct api *a = ctx;
	char type[IPC_EVENT_TYPE_MAX];
	const char *data;
	size_t len;
	json_t *j;

	(void)l;
	if (f->type != IPC_DEV_EVENT || ipc_dec_event(f, type, &data, &len) < 0) {
		api_log(a, "error: refused a %s frame from the devices process", ipc_type_name(f->type));
		return;
	}
	j = json_loadb(data, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		api_log(a, "error: refused an event from the devices process: its data is not a JSON object");
		return;
	}
	station_publish(a->station, type, j);
}
