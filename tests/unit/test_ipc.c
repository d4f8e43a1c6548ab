/*
 * The frames between the processes (core/ipc.h), over a real
 * socketpair(AF_UNIX, SOCK_STREAM): every type crosses and decodes to what
 * was sent, descriptors passed with IPC_LINK and IPC_LOGFD work on the
 * other side, and the receiver refuses what it must.  Each message is
 * written twice: by its encoder and by hand, field by field, from the wire
 * format in the header; the two must be the same bytes (a known answer),
 * and the hand-built one is then cut at every byte (-EPROTO), lengthened
 * by a byte (-EMSGSIZE), each of its strings made one byte over its
 * maximum (-EMSGSIZE) or given a NUL (-EPROTO), and its ranged values moved
 * just outside their ranges (-ERANGE).  Payloads are copied into buffers of
 * their exact size, so an over-read is an ASan error; leaks fail at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "core/ipc.h"
#include "tests/unit/tap.h"

#define TOKEN "szt_0123456789012345678901234567890123456789abc"	/* TOKEN_LEN characters */
#define TOKEN_SHORT "szt_0123456789012345678901234567890123456789ab"
#define TOKEN_BADPFX "szx_0123456789012345678901234567890123456789abc"
#define TICKET "tkt-0a1b2c"
#define ACTOR "token:abcdefabcdef"
#define EXPIRES 1764640000ull

static char big[IPC_FRAME_MAX + 16];	/* 'a' * n: strings of any length; NUL-terminated */

static void big_reset(void)
{
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
}

/* A C string of n 'a's (the tail of big). */
static char *tail(size_t n)
{
	return big + sizeof(big) - 1 - n;
}

/* ---- hand-built payloads: a message as its list of fields ---- */

enum fk { F_END, F_U8, F_U16, F_U32, F_U64, F_STR, F_BYTES };
struct fld {
	enum fk k;
	uint64_t v;		/* integers */
	const char *s;		/* strings, bytes */
	size_t n;
	size_t max;		/* the field's maximum on the wire */
};
#define U8(x) { F_U8, (x), NULL, 0, 0 }
#define U16(x) { F_U16, (x), NULL, 0, 0 }
#define U32(x) { F_U32, (uint32_t)(x), NULL, 0, 0 }
#define U64(x) { F_U64, (x), NULL, 0, 0 }
#define STR(lit, mx) { F_STR, 0, (lit), sizeof(lit) - 1, (mx) }
#define BYTES(lit, mx) { F_BYTES, 0, (lit), sizeof(lit) - 1, (mx) }
#define NFLD 48

typedef int (*dec_fn)(const struct ipc_frame *f);
typedef int (*enc_fn)(struct ipc_w *w);

struct msg {
	const char *name;
	uint16_t type;
	dec_fn dec;
	enc_fn enc;		/* the same message through its encoder */
	struct fld f[NFLD];
};

struct hb {
	uint8_t *p;
	size_t len;
};

static void hb_put(struct hb *b, const void *src, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	if (!b->p)
		abort();
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void hb_uint(struct hb *b, uint64_t v, unsigned n)
{
	uint8_t x[8];

	for (unsigned i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	hb_put(b, x, n);
}

static struct hb build(const struct fld *f)
{
	struct hb b = { NULL, 0 };

	hb_put(&b, "", 0);
	for (; f->k != F_END; f++) {
		switch (f->k) {
		case F_U8: hb_uint(&b, f->v, 1); break;
		case F_U16: hb_uint(&b, f->v, 2); break;
		case F_U32: hb_uint(&b, f->v, 4); break;
		case F_U64: hb_uint(&b, f->v, 8); break;
		default:
			hb_uint(&b, f->n, 4);
			hb_put(&b, f->s, f->n);
			break;
		}
	}
	return b;
}

/* Decode n bytes of p with fn, from a buffer of exactly n bytes. */
static int dec_exact(uint16_t type, dec_fn fn, const uint8_t *p, size_t n)
{
	struct ipc_frame f = { .type = type, .fd = -1, .len = (uint32_t)n };
	int rc;

	f.payload = malloc(n ? n : 1);
	if (!f.payload)
		abort();
	if (n)
		memcpy(f.payload, p, n);
	rc = fn(&f);
	free(f.payload);
	return rc;
}

static int dec_fields(const struct msg *m, const struct fld *f)
{
	struct hb b = build(f);
	int rc = dec_exact(m->type, m->dec, b.p, b.len);

	free(b.p);
	return rc;
}

/* ---- the decoders, freeing what they return ---- */

static unsigned lw_rep_type;	/* the request a reply answers */

static int d_peer(const struct ipc_frame *f) { unsigned p; return ipc_dec_peer(f, &p); }
static int d_empty(const struct ipc_frame *f) { return ipc_dec_empty(f); }
static int d_cred(const struct ipc_frame *f) { struct ipc_cred c; return ipc_dec_cred(f, &c); }

static int d_lw_req(const struct ipc_frame *f)
{
	struct ipc_cred c;
	struct lw_op op;

	return ipc_dec_lw_req(f, &c, &op);
}

static void out_free(struct lw_op *op)
{
	if (op->type == LW_APPEND || op->type == LW_ENROL)
		free(op->out.entry.entry);
	if (op->type == LW_CERT_ISSUE)
		free(op->out.cert.cert);
	if (op->type == LW_PATCH_AUDIT)
		free(op->out.patch_audit.entry);
	memset(&op->out, 0, sizeof(op->out));
}

/* 1 if op->out holds nothing (all zero) */
static int out_zero(const struct lw_op *op)
{
	static const char zero[sizeof(op->out)];

	return memcmp(&op->out, zero, sizeof(zero)) == 0;
}

static int d_lw_rep(const struct ipc_frame *f)
{
	struct lw_op op;
	char err[IPC_ERR_MAX];
	int rc, drc;

	memset(&op, 0, sizeof(op));
	op.type = lw_rep_type;
	drc = ipc_dec_lw_rep(f, &rc, err, sizeof(err), &op);
	if (drc && !out_zero(&op))
		return 1;	/* left something in op->out: never a valid code */
	out_free(&op);
	return drc;
}

static int d_who_rep(const struct ipc_frame *f)
{
	struct token_info t;
	int rc;

	return ipc_dec_who_rep(f, &rc, &t, NULL, 0, NULL);
}

static int d_ticket_rep(const struct ipc_frame *f)
{
	struct token_info t;
	char ticket[IPC_CRED_MAX];
	uint64_t exp;
	int rc;

	return ipc_dec_who_rep(f, &rc, &t, ticket, sizeof(ticket), &exp);
}

static int d_dev_req(const struct ipc_frame *f) { struct ipc_dev_req q; return ipc_dec_dev_req(f, &q); }
static int d_dev_rep(const struct ipc_frame *f) { struct ipc_dev_rep p; return ipc_dec_dev_rep(f, &p); }

static int d_event(const struct ipc_frame *f)
{
	char type[IPC_EVENT_TYPE_MAX];
	const char *data;
	size_t len;

	return ipc_dec_event(f, type, &data, &len);
}

static int d_stats(const struct ipc_frame *f) { struct ipc_stats s; return ipc_dec_stats(f, &s); }

/* ---- the messages, through their encoders ---- */

static struct ipc_cred cred_of(unsigned kind, const char *text)
{
	struct ipc_cred c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	snprintf(c.text, sizeof(c.text), "%s", text);
	return c;
}

static struct lw_op op_of(enum lw_type type, unsigned role, const char *tenant, const char *actor)
{
	struct lw_op op;

	memset(&op, 0, sizeof(op));
	op.type = type;
	op.caller.role = role;
	snprintf(op.caller.tenant, sizeof(op.caller.tenant), "%s", tenant);
	snprintf(op.caller.actor, sizeof(op.caller.actor), "%s", actor);
	return op;
}

#define SET(a, s) snprintf((a), sizeof(a), "%s", (s))
#define TEXT(s) ((struct lw_text){ (s), sizeof(s) - 1 })

static struct lw_op q_append(void)
{
	struct lw_op op = op_of(LW_APPEND, LW_ROLE_TECH, "", ACTOR);

	SET(op.in.append.subject, "asset:A1");
	SET(op.in.append.type, "note_added");
	op.in.append.data = TEXT("{\"k\":1}");
	return op;
}

static struct lw_op q_enrol(void)
{
	struct lw_op op = op_of(LW_ENROL, LW_ROLE_SERVICE, "", "sanitizerd");

	SET(op.in.enrol.asset_id, "A1");
	op.in.enrol.data = TEXT("{\"serial\":\"SN-1\"}");
	return op;
}

static struct lw_op q_cert(void)
{
	struct lw_op op = op_of(LW_CERT_ISSUE, LW_ROLE_AUDITOR, "", ACTOR);

	SET(op.in.cert.asset_id, "A1");
	return op;
}

static struct lw_op q_tcreate(void)
{
	struct lw_op op = op_of(LW_TOKEN_CREATE, LW_ROLE_ADMIN, "", ACTOR);

	SET(op.in.token_create.role, "customer");
	SET(op.in.token_create.name, "Acme ops");
	SET(op.in.token_create.tenant, "acme");
	return op;
}

static struct lw_op q_trevoke(void)
{
	struct lw_op op = op_of(LW_TOKEN_REVOKE, LW_ROLE_CUSTOMER, "acme", ACTOR);

	SET(op.in.token_revoke.id, "abcdefabcdef");
	return op;
}

static struct lw_op q_patch(void)
{
	struct lw_op op = op_of(LW_PATCH_AUDIT, LW_ROLE_ANONYMOUS, "", "token:anonymous");

	SET(op.in.patch_audit.host, "web1.example");
	op.in.patch_audit.body = TEXT("{}");
	return op;
}

static struct lw_op q_ckpt(void)
{
	return op_of(LW_CHECKPOINT, LW_ROLE_SERVICE, "", "sanitizerd");
}

static int e_link(struct ipc_w *w) { return ipc_enc_peer(w, IPC_PEER_DEVICES); }
static int e_ready(struct ipc_w *w) { return ipc_enc_peer(w, IPC_PEER_HTTP); }

static int e_lw_append(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_BEARER, TOKEN);
	struct lw_op op = q_append();

	return ipc_enc_lw_req(w, &c, &op);
}

static int e_lw_enrol(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_NONE, "");
	struct lw_op op = q_enrol();

	return ipc_enc_lw_req(w, &c, &op);
}

static int e_lw_cert(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_TICKET, TICKET);
	struct lw_op op = q_cert();

	return ipc_enc_lw_req(w, &c, &op);
}

static int e_lw_tcreate(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_BEARER, TOKEN);
	struct lw_op op = q_tcreate();

	return ipc_enc_lw_req(w, &c, &op);
}

static int e_lw_trevoke(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_BEARER, TOKEN);
	struct lw_op op = q_trevoke();

	return ipc_enc_lw_req(w, &c, &op);
}

static int e_lw_patch(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_NONE, "");
	struct lw_op op = q_patch();

	return ipc_enc_lw_req(w, &c, &op);
}

static int e_lw_ckpt(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_NONE, "");
	struct lw_op op = q_ckpt();

	return ipc_enc_lw_req(w, &c, &op);
}

static struct lw_op r_of(enum lw_type type)
{
	struct lw_op op;

	memset(&op, 0, sizeof(op));
	op.type = type;
	switch (type) {
	case LW_APPEND:
		op.out.entry.seq = 42;
		op.out.entry.entry = "{\"seq\":42}";
		break;
	case LW_ENROL:
		op.out.entry.seq = 1ull << 40;
		op.out.entry.entry = "{\"seq\":1}";
		break;
	case LW_CERT_ISSUE:
		op.out.cert.cert = "{\"id\":\"c1\",\"jws\":\"e30.e30.sig\"}";
		break;
	case LW_TOKEN_CREATE:
		SET(op.out.token.info.id, "abcdefabcdef");
		SET(op.out.token.info.role, "customer");
		SET(op.out.token.info.name, "Acme ops");
		SET(op.out.token.info.tenant, "acme");
		SET(op.out.token.secret, TOKEN);
		break;
	case LW_PATCH_AUDIT:
		op.out.patch_audit.entry = "{\"type\":\"host_audit\"}";
		break;
	default:
		break;
	}
	return op;
}

#define E_LW_REP(name, type) \
	static int name(struct ipc_w *w) { struct lw_op op = r_of(type); return ipc_enc_lw_rep(w, 0, "", &op); }
E_LW_REP(e_rep_append, LW_APPEND)
E_LW_REP(e_rep_enrol, LW_ENROL)
E_LW_REP(e_rep_cert, LW_CERT_ISSUE)
E_LW_REP(e_rep_tcreate, LW_TOKEN_CREATE)
E_LW_REP(e_rep_trevoke, LW_TOKEN_REVOKE)
E_LW_REP(e_rep_patch, LW_PATCH_AUDIT)
E_LW_REP(e_rep_ckpt, LW_CHECKPOINT)

static int e_rep_err(struct ipc_w *w)
{
	struct lw_op op = r_of(LW_APPEND);	/* an output on error is not sent */

	return ipc_enc_lw_rep(w, -EPERM, "cannot append: the role may not", &op);
}

static int e_cred_bearer(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_BEARER, TOKEN);

	return ipc_enc_cred(w, &c);
}

static int e_cred_ticket(struct ipc_w *w)
{
	struct ipc_cred c = cred_of(IPC_CRED_TICKET, TICKET);

	return ipc_enc_cred(w, &c);
}

static struct token_info tok_of(const char *id, const char *role, const char *name, const char *tenant)
{
	struct token_info t;

	memset(&t, 0, sizeof(t));
	SET(t.id, id);
	SET(t.role, role);
	SET(t.name, name);
	SET(t.tenant, tenant);
	return t;
}

static int e_who(struct ipc_w *w)
{
	struct token_info t = tok_of("abcdefabcdef", "technician", "bench 3", "");

	return ipc_enc_who_rep(w, 0, &t, NULL, 0);
}

static int e_who_anon(struct ipc_w *w)
{
	struct token_info t = tok_of("", "", "", "");

	return ipc_enc_who_rep(w, 0, &t, NULL, 0);
}

static int e_who_err(struct ipc_w *w) { return ipc_enc_who_rep(w, -EACCES, NULL, NULL, 0); }

static int e_ticket(struct ipc_w *w)
{
	struct token_info t = tok_of("abcdefabcdef", "customer", "Acme", "acme");

	return ipc_enc_who_rep(w, 0, &t, TICKET, EXPIRES);
}

static struct ipc_dev_req devq_of(void)
{
	struct ipc_dev_req q;

	memset(&q, 0, sizeof(q));
	q.cred = cred_of(IPC_CRED_BEARER, TOKEN);
	q.method = IPC_M_POST;
	SET(q.path, "/v1/jobs");
	SET(q.query, "a=1&b=2");
	SET(q.content_type, "application/json");
	SET(q.host, "wipe.example:8420");
	SET(q.accept, "*/*");
	q.body = (const uint8_t *)"ab\0cd";
	q.body_len = 5;
	return q;
}

static int e_dev_req(struct ipc_w *w)
{
	struct ipc_dev_req q = devq_of();

	return ipc_enc_dev_req(w, &q);
}

static struct ipc_dev_rep devp_of(void)
{
	struct ipc_dev_rep p;

	memset(&p, 0, sizeof(p));
	p.status = 201;
	SET(p.ctype, "application/pdf");
	p.body = (const uint8_t *)"%PDF\0\1\2";
	p.body_len = 7;
	return p;
}

static int e_dev_rep(struct ipc_w *w)
{
	struct ipc_dev_rep p = devp_of();

	return ipc_enc_dev_rep(w, &p);
}

static int e_event(struct ipc_w *w) { return ipc_enc_event(w, "job.progress", "{\"pct\":5}", 9); }

static struct ipc_stats stats_of(void)
{
	struct ipc_stats s;

	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 6; i++)
		s.jobs[i] = i + 1;
	s.job_bytes = 1ull << 40;
	s.bytes_written = 12345;
	s.nrefusals = 2;
	SET(s.refusals[0].reason, "device_mounted");
	s.refusals[0].n = 3;
	SET(s.refusals[1].reason, "hpa_present");
	s.refusals[1].n = UINT64_MAX;
	return s;
}

static int e_stats(struct ipc_w *w)
{
	struct ipc_stats s = stats_of();

	return ipc_enc_stats(w, &s);
}

/* ---- the table: each message by hand ---- */

#define CRED_BEARER U8(IPC_CRED_BEARER), STR(TOKEN, IPC_CRED_MAX - 1)
#define CRED_NONE U8(IPC_CRED_NONE), STR("", IPC_CRED_MAX - 1)
#define CRED_TICKET U8(IPC_CRED_TICKET), STR(TICKET, IPC_CRED_MAX - 1)
#define CALLER(role, tenant, actor) U32(role), STR(tenant, LW_TENANT_MAX - 1), STR(actor, LW_ACTOR_MAX - 1)
#define LWT(lit) U8(1), STR(lit, LW_TEXT_MAX)
#define REP_OK(type) U32(0), STR("", IPC_ERR_MAX - 1), U32(type)
#define TOKF(id, role, name, tenant) STR(id, TOKEN_ID_LEN), STR(role, 15), STR(name, 127), STR(tenant, 127)
#define END { F_END, 0, NULL, 0, 0 }

static const struct msg msgs[] = {
	{ "link", IPC_LINK, d_peer, e_link, { U32(IPC_PEER_DEVICES), END } },
	{ "ready", IPC_READY, d_peer, e_ready, { U32(IPC_PEER_HTTP), END } },
	{ "lw_req append", IPC_LW_REQ, d_lw_req, e_lw_append,
	  { CRED_BEARER, U32(LW_APPEND), CALLER(LW_ROLE_TECH, "", ACTOR),
	    STR("asset:A1", LW_SUBJECT_MAX - 1), STR("note_added", LW_TYPE_MAX - 1), LWT("{\"k\":1}"), END } },
	{ "lw_req enrol", IPC_LW_REQ, d_lw_req, e_lw_enrol,
	  { CRED_NONE, U32(LW_ENROL), CALLER(LW_ROLE_SERVICE, "", "sanitizerd"),
	    STR("A1", LW_ASSET_ID_MAX - 1), LWT("{\"serial\":\"SN-1\"}"), END } },
	{ "lw_req cert_issue", IPC_LW_REQ, d_lw_req, e_lw_cert,
	  { CRED_TICKET, U32(LW_CERT_ISSUE), CALLER(LW_ROLE_AUDITOR, "", ACTOR),
	    STR("A1", LW_ASSET_ID_MAX - 1), U8(0), END } },
	{ "lw_req token_create", IPC_LW_REQ, d_lw_req, e_lw_tcreate,
	  { CRED_BEARER, U32(LW_TOKEN_CREATE), CALLER(LW_ROLE_ADMIN, "", ACTOR),
	    STR("customer", 15), STR("Acme ops", 127), STR("acme", 127), END } },
	{ "lw_req token_revoke", IPC_LW_REQ, d_lw_req, e_lw_trevoke,
	  { CRED_BEARER, U32(LW_TOKEN_REVOKE), CALLER(LW_ROLE_CUSTOMER, "acme", ACTOR),
	    STR("abcdefabcdef", TOKEN_ID_LEN), END } },
	{ "lw_req patch_audit", IPC_LW_REQ, d_lw_req, e_lw_patch,
	  { CRED_NONE, U32(LW_PATCH_AUDIT), CALLER(LW_ROLE_ANONYMOUS, "", "token:anonymous"),
	    STR("web1.example", PATCH_AUDIT_HOST_MAX), LWT("{}"), END } },
	{ "lw_req checkpoint", IPC_LW_REQ, d_lw_req, e_lw_ckpt,
	  { CRED_NONE, U32(LW_CHECKPOINT), CALLER(LW_ROLE_SERVICE, "", "sanitizerd"), END } },
	{ "lw_rep append", IPC_LW_REP, d_lw_rep, e_rep_append,
	  { REP_OK(LW_APPEND), U64(42), STR("{\"seq\":42}", IPC_LW_OUT_MAX), END } },
	{ "lw_rep enrol", IPC_LW_REP, d_lw_rep, e_rep_enrol,
	  { REP_OK(LW_ENROL), U64(1ull << 40), STR("{\"seq\":1}", IPC_LW_OUT_MAX), END } },
	{ "lw_rep cert_issue", IPC_LW_REP, d_lw_rep, e_rep_cert,
	  { REP_OK(LW_CERT_ISSUE), STR("{\"id\":\"c1\",\"jws\":\"e30.e30.sig\"}", IPC_LW_OUT_MAX), END } },
	{ "lw_rep token_create", IPC_LW_REP, d_lw_rep, e_rep_tcreate,
	  { REP_OK(LW_TOKEN_CREATE), TOKF("abcdefabcdef", "customer", "Acme ops", "acme"),
	    STR(TOKEN, TOKEN_LEN), END } },
	{ "lw_rep token_revoke", IPC_LW_REP, d_lw_rep, e_rep_trevoke, { REP_OK(LW_TOKEN_REVOKE), END } },
	{ "lw_rep patch_audit", IPC_LW_REP, d_lw_rep, e_rep_patch,
	  { REP_OK(LW_PATCH_AUDIT), STR("{\"type\":\"host_audit\"}", IPC_LW_OUT_MAX), END } },
	{ "lw_rep checkpoint", IPC_LW_REP, d_lw_rep, e_rep_ckpt, { REP_OK(LW_CHECKPOINT), END } },
	{ "lw_rep error", IPC_LW_REP, d_lw_rep, e_rep_err,
	  { U32(-EPERM), STR("cannot append: the role may not", IPC_ERR_MAX - 1), U32(LW_APPEND), END } },
	{ "who_req", IPC_WHO_REQ, d_cred, e_cred_bearer, { CRED_BEARER, END } },
	{ "who_req ticket", IPC_WHO_REQ, d_cred, e_cred_ticket, { CRED_TICKET, END } },
	{ "ticket_req", IPC_TICKET_REQ, d_cred, e_cred_bearer, { CRED_BEARER, END } },
	{ "who_rep", IPC_WHO_REP, d_who_rep, e_who,
	  { U32(0), TOKF("abcdefabcdef", "technician", "bench 3", ""), END } },
	{ "who_rep anonymous", IPC_WHO_REP, d_who_rep, e_who_anon, { U32(0), TOKF("", "", "", ""), END } },
	{ "who_rep error", IPC_WHO_REP, d_who_rep, e_who_err, { U32(-EACCES), END } },
	{ "ticket_rep", IPC_TICKET_REP, d_ticket_rep, e_ticket,
	  { U32(0), TOKF("abcdefabcdef", "customer", "Acme", "acme"), STR(TICKET, IPC_CRED_MAX - 1),
	    U64(EXPIRES), END } },
	{ "dev_req", IPC_DEV_REQ, d_dev_req, e_dev_req,
	  { CRED_BEARER, U8(IPC_M_POST), STR("/v1/jobs", IPC_PATH_MAX - 1), STR("a=1&b=2", IPC_QUERY_MAX - 1),
	    STR("application/json", IPC_HDRVAL_MAX - 1), STR("wipe.example:8420", IPC_HDRVAL_MAX - 1),
	    STR("*/*", IPC_HDRVAL_MAX - 1), BYTES("ab\0cd", IPC_BODY_MAX), END } },
	{ "dev_rep", IPC_DEV_REP, d_dev_rep, e_dev_rep,
	  { U16(201), STR("application/pdf", IPC_HDRVAL_MAX - 1), BYTES("%PDF\0\1\2", IPC_REPLY_MAX), END } },
	{ "dev_event", IPC_DEV_EVENT, d_event, e_event,
	  { STR("job.progress", IPC_EVENT_TYPE_MAX - 1), STR("{\"pct\":5}", IPC_EVENT_DATA_MAX), END } },
	{ "stats_rep", IPC_STATS_REP, d_stats, e_stats,
	  { U64(1), U64(2), U64(3), U64(4), U64(5), U64(6), U64(1ull << 40), U64(12345), U32(2),
	    STR("device_mounted", IPC_REASON_MAX - 1), U64(3), STR("hpa_present", IPC_REASON_MAX - 1),
	    U64(UINT64_MAX), END } },
};
#define NMSGS (sizeof(msgs) / sizeof(msgs[0]))

static const struct msg *msg_named(const char *name)
{
	for (size_t i = 0; i < NMSGS; i++)
		if (!strcmp(msgs[i].name, name))
			return &msgs[i];
	abort();
}

/* The rep decoder needs the request's type: the third field of a reply. */
static void set_rep_type(const struct msg *m)
{
	if (m->type == IPC_LW_REP)
		lw_rep_type = (unsigned)m->f[2].v;
}

/* ---- the known answers, cuts, extra bytes, long strings and NULs of every message ---- */

static void test_known_answers(void)
{
	struct ipc_w w = { 0 };

	for (size_t i = 0; i < NMSGS; i++) {
		const struct msg *m = &msgs[i];
		struct hb b = build(m->f);
		int rc = m->enc(&w);

		CHECK(rc == 0 && w.len == b.len && memcmp(w.buf, b.p, b.len) == 0,
		      "%s: the encoder writes the header's wire format, byte for byte (%zu bytes)", m->name, b.len);
		free(b.p);
	}
	ipc_w_free(&w);
}

static void test_cuts_and_extra(void)
{
	for (size_t i = 0; i < NMSGS; i++) {
		const struct msg *m = &msgs[i];
		struct hb b = build(m->f);
		size_t bad = SIZE_MAX;
		int rc = 0;

		set_rep_type(m);
		CHECK_EQ_INT(dec_exact(m->type, m->dec, b.p, b.len), 0, "%s: the whole payload decodes", m->name);
		for (size_t n = 0; n < b.len && bad == SIZE_MAX; n++)
			if ((rc = dec_exact(m->type, m->dec, b.p, n)) != -EPROTO)
				bad = n;
		CHECK(bad == SIZE_MAX, "%s: cut at each of its %zu bytes, refused -EPROTO (first not: %zu, rc %d)",
		      m->name, b.len, bad, rc);
		hb_put(&b, "\0", 1);
		CHECK_EQ_INT(dec_exact(m->type, m->dec, b.p, b.len), -EMSGSIZE, "%s: a byte after the last field", m->name);
		free(b.p);
	}
	CHECK_EQ_INT(dec_exact(IPC_LOGFD, d_empty, (const uint8_t *)"", 0), 0, "logfd: empty");
	CHECK_EQ_INT(dec_exact(IPC_LOGFD, d_empty, (const uint8_t *)"x", 1), -EMSGSIZE, "logfd: one byte refused");
	CHECK_EQ_INT(dec_exact(IPC_STATS_REQ, d_empty, (const uint8_t *)"", 0), 0, "stats_req: empty");
	CHECK_EQ_INT(dec_exact(IPC_STATS_REQ, d_empty, (const uint8_t *)"x", 1), -EMSGSIZE, "stats_req: one byte refused");
}

static void test_long_strings_and_nuls(void)
{
	for (size_t i = 0; i < NMSGS; i++) {
		const struct msg *m = &msgs[i];
		unsigned nstr = 0, nlong = 0, nnul = 0, nnul_ok = 0, nbytes = 0;

		set_rep_type(m);
		for (size_t j = 0; m->f[j].k != F_END; j++) {
			struct fld f[NFLD];

			if (m->f[j].k != F_STR && m->f[j].k != F_BYTES)
				continue;
			memcpy(f, m->f, sizeof(f));
			f[j].s = big;
			f[j].n = f[j].max + 1;
			nstr++;
			nlong += dec_fields(m, f) == -EMSGSIZE;
			f[j].s = "a\0b";
			f[j].n = 3;
			if (m->f[j].k == F_STR)
				nnul += dec_fields(m, f) == -EPROTO;
			else
				nbytes++, nnul_ok += dec_fields(m, f) != -EPROTO;
		}
		CHECK(nlong == nstr, "%s: each of its %u strings one byte over its maximum: -EMSGSIZE (%u)",
		      m->name, nstr, nlong);
		CHECK(nnul == nstr - nbytes, "%s: a NUL inside each of its %u strings: -EPROTO (%u)",
		      m->name, nstr - nbytes, nnul);
		if (nbytes)
			CHECK(nnul_ok == nbytes, "%s: its bytes fields may hold a NUL", m->name);
	}
}

/* ---- values just outside their ranges ---- */

struct mut {
	const char *msg;
	unsigned field;		/* index into the message's fields */
	uint64_t v;		/* a new integer ... */
	const char *s;		/* ... or a new string (when not NULL) */
	int want;
	const char *what;
};

static const struct mut muts[] = {
	{ "lw_req append", 2, 0, NULL, -ERANGE, "op type 0" },
	{ "lw_req append", 2, LW_NTYPES, NULL, -ERANGE, "op type LW_NTYPES" },
	{ "lw_req append", 3, 0, NULL, -ERANGE, "caller role 0" },
	{ "lw_req append", 3, 3, NULL, -ERANGE, "caller role 3 (two bits)" },
	{ "lw_req append", 3, 64, NULL, -ERANGE, "caller role 64" },
	{ "lw_req append", 0, IPC_NCREDS, NULL, -ERANGE, "cred kind 3" },
	{ "lw_req append", 1, 0, TOKEN_SHORT, -ERANGE, "a bearer one character short" },
	{ "lw_req append", 1, 0, TOKEN "x", -ERANGE, "a bearer one character long" },
	{ "lw_req append", 1, 0, TOKEN_BADPFX, -ERANGE, "a bearer without szt_" },
	{ "lw_req append", 1, 0, "szt_0123456789012345678901234567890123456789ab=", -ERANGE,
	  "a bearer with a character outside base64url" },
	{ "lw_req append", 8, 2, NULL, -ERANGE, "an lw_text present flag of 2" },
	{ "lw_req enrol", 1, 0, "x", -ERANGE, "an anonymous credential with a text" },
	{ "lw_req cert_issue", 1, 0, "", -ERANGE, "an empty ticket" },
	{ "who_req", 0, IPC_NCREDS, NULL, -ERANGE, "cred kind 3" },
	{ "ticket_req", 0, IPC_CRED_TICKET, NULL, -ERANGE, "a ticket asked for with a ticket" },
	{ "ticket_req", 1, 0, "", -ERANGE, "an empty bearer" },
	{ "lw_rep append", 0, 1, NULL, -ERANGE, "rc 1" },
	{ "lw_rep error", 0, (uint32_t)-4096, NULL, -ERANGE, "rc -4096" },
	{ "lw_rep append", 2, 0, NULL, -ERANGE, "op type 0" },
	{ "lw_rep append", 2, LW_NTYPES, NULL, -ERANGE, "op type LW_NTYPES" },
	{ "lw_rep append", 2, LW_ENROL, NULL, -EPROTO, "a reply to another request's type" },
	{ "lw_rep token_create", 4, 0, "root", -ERANGE, "a created token's role not a role" },
	{ "lw_rep token_create", 7, 0, TOKEN_SHORT, -ERANGE, "a created token's secret one short" },
	{ "who_rep", 0, 1, NULL, -ERANGE, "rc 1" },
	{ "who_rep error", 0, (uint32_t)-4096, NULL, -ERANGE, "rc -4096" },
	{ "who_rep", 2, 0, "root", -ERANGE, "a token role not a role" },
	{ "who_rep", 1, 0, "abcdefabcde", -ERANGE, "a token id one character short" },
	{ "who_rep", 4, 0, "acme", -ERANGE, "a technician with a tenant" },
	{ "who_rep anonymous", 1, 0, "abcdefabcdef", -ERANGE, "the anonymous caller with a token id" },
	{ "who_rep anonymous", 4, 0, "acme", -ERANGE, "the anonymous caller with a tenant" },
	{ "ticket_rep", 4, 0, "", -ERANGE, "a customer without a tenant" },
	{ "lw_rep token_create", 6, 0, "", -ERANGE, "a created customer token without a tenant" },
	{ "lw_rep token_create", 3, 0, "abc", -ERANGE, "a created token's id too short" },
	{ "lw_rep token_create", 7, 0, TOKEN_BADPFX, -ERANGE, "a created token's secret without szt_" },
	{ "ticket_rep", 5, 0, "", -ERANGE, "an empty ticket" },
	{ "dev_req", 2, 0, NULL, -ERANGE, "method 0" },
	{ "dev_req", 2, IPC_NMETHODS, NULL, -ERANGE, "method 4" },
	{ "dev_req", 3, 0, "/x", -ERANGE, "path /x" },
	{ "dev_req", 3, 0, "/v1", -ERANGE, "path /v1" },
	{ "dev_req", 0, IPC_NCREDS, NULL, -ERANGE, "cred kind 3" },
	{ "dev_rep", 0, 99, NULL, -ERANGE, "status 99" },
	{ "dev_rep", 0, 600, NULL, -ERANGE, "status 600" },
	{ "link", 0, 0, NULL, -ERANGE, "peer 0" },
	{ "link", 0, IPC_NPEERS, NULL, -ERANGE, "peer 4" },
	{ "ready", 0, 0, NULL, -ERANGE, "peer 0" },
	{ "stats_rep", 8, IPC_REFUSALS_MAX + 1, NULL, -ERANGE, "17 refusals" },
	{ "stats_rep", 9, 0, "device_Mounted", -ERANGE, "a refusal reason with an upper-case letter" },
	{ "stats_rep", 9, 0, "", -ERANGE, "an empty refusal reason" },
	{ "dev_event", 0, 0, "Job.progress", -ERANGE, "an event type with an upper-case letter" },
	{ "dev_event", 0, 0, "job progress", -ERANGE, "an event type with a space" },
	{ "dev_event", 0, 0, "", -ERANGE, "an empty event type" },
};

static void test_ranges(void)
{
	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		const struct mut *u = &muts[i];
		const struct msg *m = msg_named(u->msg);
		struct fld f[NFLD];

		memcpy(f, m->f, sizeof(f));
		if (u->s) {
			f[u->field].s = u->s;
			f[u->field].n = strlen(u->s);
		} else {
			f[u->field].v = u->v;
		}
		set_rep_type(m);
		CHECK_EQ_INT(dec_fields(m, f), u->want, "%s: %s refused", u->msg, u->what);
	}
	/* just inside: the limits themselves pass */
	{
		const struct msg *m = msg_named("dev_rep");
		struct fld f[NFLD];

		memcpy(f, m->f, sizeof(f));
		f[0].v = 100;
		CHECK_EQ_INT(dec_fields(m, f), 0, "dev_rep: status 100 accepted");
		f[0].v = 599;
		CHECK_EQ_INT(dec_fields(m, f), 0, "dev_rep: status 599 accepted");
		m = msg_named("lw_rep error");
		memcpy(f, m->f, sizeof(f));
		f[0].v = (uint32_t)-4095;
		lw_rep_type = LW_APPEND;
		CHECK_EQ_INT(dec_fields(m, f), 0, "lw_rep: rc -4095 accepted");
		m = msg_named("lw_req append");
		memcpy(f, m->f, sizeof(f));
		f[3].v = LW_ROLE_SERVICE;
		CHECK_EQ_INT(dec_fields(m, f), 0, "lw_req: role 32 (service) accepted");
		f[3].v = LW_ROLE_ADMIN;
		CHECK_EQ_INT(dec_fields(m, f), 0, "lw_req: role 1 (admin) accepted");
		m = msg_named("stats_rep");
		memcpy(f, m->f, sizeof(f));
		f[8].v = 0;
		f[9] = (struct fld)END;
		CHECK_EQ_INT(dec_fields(m, f), 0, "stats_rep: no refusals accepted");
	}
}

/* ---- the encoders refuse what the decoders would ---- */

#define FILL(a) memset((a), 'a', sizeof(a))

static void test_encoders_refuse(void)
{
	struct ipc_w w = { 0 };
	struct ipc_cred c = cred_of(IPC_CRED_BEARER, TOKEN), c2;
	struct lw_op op;
	struct ipc_dev_req q;
	struct ipc_dev_rep p;
	struct ipc_stats s;
	struct token_info t;

#define REFUSES(call, want, ...) CHECK_EQ_INT((call), (want), __VA_ARGS__)
	op = q_append(); FILL(op.caller.tenant);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a tenant without its NUL");
	op = q_append(); FILL(op.caller.actor);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: an actor without its NUL");
	op = q_append(); FILL(op.in.append.subject);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a subject without its NUL");
	op = q_append(); FILL(op.in.append.type);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: an entry type without its NUL");
	op = q_append(); op.in.append.data = (struct lw_text){ big, LW_TEXT_MAX + 1 };
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: data over LW_TEXT_MAX");
	op.in.append.data = (struct lw_text){ big, LW_TEXT_MAX };
	REFUSES(ipc_enc_lw_req(&w, &c, &op), 0, "encoder: data of LW_TEXT_MAX");
	op.in.append.data = (struct lw_text){ "{\0}", 3 };
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EINVAL, "encoder: data with a NUL");
	op = q_enrol(); FILL(op.in.enrol.asset_id);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: an asset id without its NUL");
	op = q_cert(); op.in.cert.request = (struct lw_text){ big, LW_TEXT_MAX + 1 };
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a certificate request over LW_TEXT_MAX");
	op = q_tcreate(); FILL(op.in.token_create.name);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a token name without its NUL");
	op = q_trevoke(); FILL(op.in.token_revoke.id);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a token id without its NUL");
	op = q_patch(); FILL(op.in.patch_audit.host);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a host without its NUL");
	op = q_enrol(); op.in.enrol.data = (struct lw_text){ big, LW_TEXT_MAX + 1 };
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: enrol data over LW_TEXT_MAX");
	op = q_patch(); op.in.patch_audit.body = (struct lw_text){ big, LW_TEXT_MAX + 1 };
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a patch audit body over LW_TEXT_MAX");
	op = q_cert(); FILL(op.in.cert.asset_id);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a certificate's asset id without its NUL");
	op = q_tcreate(); FILL(op.in.token_create.role);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a new token's role without its NUL");
	op = q_tcreate(); FILL(op.in.token_create.tenant);
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -EMSGSIZE, "encoder: a new token's tenant without its NUL");
	op = q_append(); op.type = 0;
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -ERANGE, "encoder: op type 0");
	op = q_append(); op.type = LW_NTYPES;
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -ERANGE, "encoder: op type LW_NTYPES");
	op = q_append(); op.caller.role = 3;
	REFUSES(ipc_enc_lw_req(&w, &c, &op), -ERANGE, "encoder: role 3");
	op = q_append(); c2 = cred_of(IPC_NCREDS, "");
	REFUSES(ipc_enc_lw_req(&w, &c2, &op), -ERANGE, "encoder: cred kind 3");
	c2 = cred_of(IPC_CRED_BEARER, TOKEN_SHORT);
	REFUSES(ipc_enc_lw_req(&w, &c2, &op), -ERANGE, "encoder: a bearer one short");
	c2 = cred_of(IPC_CRED_NONE, "x");
	REFUSES(ipc_enc_cred(&w, &c2), -ERANGE, "encoder: an anonymous credential with a text");
	FILL(c2.text);
	c2.kind = IPC_CRED_TICKET;
	REFUSES(ipc_enc_cred(&w, &c2), -EMSGSIZE, "encoder: a credential without its NUL");

	op = r_of(LW_APPEND);
	REFUSES(ipc_enc_lw_rep(&w, 1, "", &op), -ERANGE, "encoder: rc 1");
	REFUSES(ipc_enc_lw_rep(&w, -4096, "", &op), -ERANGE, "encoder: rc -4096");
	REFUSES(ipc_enc_lw_rep(&w, -EIO, tail(IPC_ERR_MAX - 1), &op), 0, "encoder: an error message of IPC_ERR_MAX - 1");
	REFUSES(ipc_enc_lw_rep(&w, -EIO, tail(IPC_ERR_MAX), &op), -EMSGSIZE, "encoder: an error message of IPC_ERR_MAX");
	op.out.entry.entry = tail(IPC_LW_OUT_MAX + 1);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: an entry over IPC_LW_OUT_MAX");
	op.out.entry.entry = tail(IPC_LW_OUT_MAX);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), 0, "encoder: an entry of IPC_LW_OUT_MAX");
	op = r_of(LW_CERT_ISSUE); op.out.cert.cert = tail(IPC_LW_OUT_MAX + 1);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: a certificate over IPC_LW_OUT_MAX");
	op = r_of(LW_PATCH_AUDIT); op.out.patch_audit.entry = tail(IPC_LW_OUT_MAX + 1);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: a patch audit entry over IPC_LW_OUT_MAX");
	op = r_of(LW_TOKEN_CREATE); FILL(op.out.token.info.id);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: a created token's id without its NUL");
	op = r_of(LW_TOKEN_CREATE); FILL(op.out.token.info.name);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: a created token's name without its NUL");
	op = r_of(LW_TOKEN_CREATE); FILL(op.out.token.info.tenant);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: a created token's tenant without its NUL");
	op = r_of(LW_TOKEN_CREATE); FILL(op.out.token.secret);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -EMSGSIZE, "encoder: a secret without its NUL");
	op = r_of(LW_TOKEN_CREATE); SET(op.out.token.secret, TOKEN_SHORT);
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -ERANGE, "encoder: a secret one short");
	op = r_of(LW_TOKEN_CREATE); SET(op.out.token.info.role, "root");
	REFUSES(ipc_enc_lw_rep(&w, 0, "", &op), -ERANGE, "encoder: a created token with no role");

	t = tok_of("abcdefabcdef", "root", "", "");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -ERANGE, "encoder: a who reply with a role not a role");
	t = tok_of("", "", "", "");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, TICKET, 1), -ERANGE, "encoder: a ticket for no token");
	t = tok_of("abcdefabcdef", "customer", "", "");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -ERANGE, "encoder: a customer without a tenant");
	t = tok_of("abc", "admin", "", "");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -ERANGE, "encoder: a token id too short");
	t = tok_of("abcdefabcdef", "admin", "", "");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, "", 1), -ERANGE, "encoder: an empty ticket");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, tail(IPC_CRED_MAX), 1), -EMSGSIZE, "encoder: a ticket of IPC_CRED_MAX");
	REFUSES(ipc_enc_who_rep(&w, 0, &t, tail(IPC_CRED_MAX - 1), 1), 0, "encoder: a ticket of IPC_CRED_MAX - 1");
	REFUSES(ipc_enc_who_rep(&w, 1, &t, NULL, 0), -ERANGE, "encoder: a who reply with rc 1");
	FILL(t.name);
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -EMSGSIZE, "encoder: a token name without its NUL");
	t = tok_of("abcdefabcdef", "admin", "", ""); FILL(t.id);
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -EMSGSIZE, "encoder: a token id without its NUL");
	t = tok_of("abcdefabcdef", "customer", "", ""); FILL(t.tenant);
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -EMSGSIZE, "encoder: a token tenant without its NUL");
	t = tok_of("abcdefabcdef", "admin", "", ""); FILL(t.role);
	REFUSES(ipc_enc_who_rep(&w, 0, &t, NULL, 0), -EMSGSIZE, "encoder: a token role without its NUL");

	q = devq_of(); q.method = 0;
	REFUSES(ipc_enc_dev_req(&w, &q), -ERANGE, "encoder: method 0");
	q = devq_of(); q.method = IPC_NMETHODS;
	REFUSES(ipc_enc_dev_req(&w, &q), -ERANGE, "encoder: method 4");
	q = devq_of(); SET(q.path, "/x");
	REFUSES(ipc_enc_dev_req(&w, &q), -ERANGE, "encoder: path /x");
	q = devq_of(); memset(q.path + 4, 'a', sizeof(q.path) - 4);
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: a path without its NUL");
	q = devq_of(); FILL(q.content_type);
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: a content type without its NUL");
	q = devq_of(); FILL(q.accept);
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: an Accept without its NUL");
	q = devq_of(); FILL(q.cred.text);
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: a credential without its NUL");
	q = devq_of(); q.body = (const uint8_t *)big; q.body_len = IPC_BODY_MAX;
	REFUSES(ipc_enc_dev_req(&w, &q), 0, "encoder: a body of IPC_BODY_MAX");
	q = devq_of(); FILL(q.query);
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: a query without its NUL");
	q = devq_of(); FILL(q.host);
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: a host without its NUL");
	q = devq_of(); q.body = (const uint8_t *)big; q.body_len = IPC_BODY_MAX + 1;
	REFUSES(ipc_enc_dev_req(&w, &q), -EMSGSIZE, "encoder: a body over IPC_BODY_MAX");
	p = devp_of(); p.status = 99;
	REFUSES(ipc_enc_dev_rep(&w, &p), -ERANGE, "encoder: status 99");
	p = devp_of(); p.status = 600;
	REFUSES(ipc_enc_dev_rep(&w, &p), -ERANGE, "encoder: status 600");
	p = devp_of(); FILL(p.ctype);
	REFUSES(ipc_enc_dev_rep(&w, &p), -EMSGSIZE, "encoder: a content type without its NUL");
	p = devp_of(); p.body = (const uint8_t *)big; p.body_len = IPC_REPLY_MAX + 1;
	REFUSES(ipc_enc_dev_rep(&w, &p), -EMSGSIZE, "encoder: a reply over IPC_REPLY_MAX");

	REFUSES(ipc_enc_event(&w, "Job.progress", "{}", 2), -ERANGE, "encoder: an event type with an upper-case letter");
	REFUSES(ipc_enc_event(&w, "", "{}", 2), -ERANGE, "encoder: an empty event type");
	REFUSES(ipc_enc_event(&w, tail(IPC_EVENT_TYPE_MAX), "{}", 2), -EMSGSIZE, "encoder: an event type of IPC_EVENT_TYPE_MAX");
	REFUSES(ipc_enc_event(&w, tail(IPC_EVENT_TYPE_MAX - 1), "{}", 2), 0,
		"encoder: an event type of IPC_EVENT_TYPE_MAX - 1");
	REFUSES(ipc_enc_event(&w, "job", big, IPC_EVENT_DATA_MAX + 1), -EMSGSIZE, "encoder: event data over its maximum");
	REFUSES(ipc_enc_event(&w, "job", "{\0}", 3), -EINVAL, "encoder: event data with a NUL");

	s = stats_of(); s.nrefusals = IPC_REFUSALS_MAX + 1;
	REFUSES(ipc_enc_stats(&w, &s), -ERANGE, "encoder: 17 refusals");
	s = stats_of(); SET(s.refusals[1].reason, "Hpa");
	REFUSES(ipc_enc_stats(&w, &s), -ERANGE, "encoder: a refusal reason with an upper-case letter");
	s = stats_of(); FILL(s.refusals[0].reason);
	REFUSES(ipc_enc_stats(&w, &s), -EMSGSIZE, "encoder: a refusal reason without its NUL");
	REFUSES(ipc_enc_peer(&w, 0), -ERANGE, "encoder: peer 0");
	REFUSES(ipc_enc_peer(&w, IPC_NPEERS), -ERANGE, "encoder: peer 4");
	/* an error sticks, and a new message starts clean */
	REFUSES(ipc_enc_peer(&w, IPC_PEER_LEDGER), 0, "encoder: the next message starts clean");
	CHECK(w.len == 4, "encoder: a reset writer holds only the new message");
	ipc_w_free(&w);
}

/* ---- the type table: each limit is the largest message its fields allow ---- */

static void test_type_limits(void)
{
	struct ipc_w w = { 0 };
	struct ipc_cred c = cred_of(IPC_CRED_TICKET, "");
	struct lw_op op;
	uint32_t lw_max = 0;

	CHECK(ipc_type_max(0) == 0 && ipc_type_max(IPC_NTYPES) == 0, "no limit for an unknown type");
	CHECK_STR(ipc_type_name(IPC_LW_REQ), "lw_req", "a type's name");
	CHECK_STR(ipc_type_name(IPC_NTYPES), "unknown", "an unknown type's name");
	CHECK(ipc_type_max(IPC_LINK) == 4 && ipc_type_max(IPC_READY) == 4 && ipc_type_max(IPC_LOGFD) == 0 &&
	      ipc_type_max(IPC_STATS_REQ) == 0, "peer types 4 bytes, the empty ones 0");
	for (uint16_t t = 1; t < IPC_NTYPES; t++)
		CHECK(ipc_type_max(t) <= IPC_FRAME_MAX, "%s: its limit within IPC_FRAME_MAX", ipc_type_name(t));

	memset(c.text, 'a', IPC_CRED_MAX - 1);
	/* the largest of each operation: every string at its maximum */
	for (unsigned t = LW_APPEND; t < LW_NTYPES; t++) {
		op = op_of(t, LW_ROLE_ADMIN, "", "");
		memset(op.caller.tenant, 'a', sizeof(op.caller.tenant) - 1);
		memset(op.caller.actor, 'a', sizeof(op.caller.actor) - 1);
		struct lw_text x = { big, LW_TEXT_MAX };
		switch (t) {
		case LW_APPEND:
			memset(op.in.append.subject, 'a', sizeof(op.in.append.subject) - 1);
			memset(op.in.append.type, 'a', sizeof(op.in.append.type) - 1);
			op.in.append.data = x;
			break;
		case LW_ENROL:
			memset(op.in.enrol.asset_id, 'a', sizeof(op.in.enrol.asset_id) - 1);
			op.in.enrol.data = x;
			break;
		case LW_CERT_ISSUE:
			memset(op.in.cert.asset_id, 'a', sizeof(op.in.cert.asset_id) - 1);
			op.in.cert.request = x;
			break;
		case LW_TOKEN_CREATE:
			memset(op.in.token_create.role, 'a', sizeof(op.in.token_create.role) - 1);
			memset(op.in.token_create.name, 'a', sizeof(op.in.token_create.name) - 1);
			memset(op.in.token_create.tenant, 'a', sizeof(op.in.token_create.tenant) - 1);
			break;
		case LW_TOKEN_REVOKE:
			memset(op.in.token_revoke.id, 'a', sizeof(op.in.token_revoke.id) - 1);
			break;
		case LW_PATCH_AUDIT:
			memset(op.in.patch_audit.host, 'a', sizeof(op.in.patch_audit.host) - 1);
			op.in.patch_audit.body = x;
			break;
		default:
			break;
		}
		if (ipc_enc_lw_req(&w, &c, &op) == 0 && w.len > lw_max)
			lw_max = (uint32_t)w.len;
	}
	CHECK_EQ_INT(ipc_type_max(IPC_LW_REQ), lw_max, "lw_req: the limit is the largest operation");
	CHECK(lw_max >= LW_TEXT_MAX && lw_max < LW_TEXT_MAX + 4096, "lw_req: one text and its fixed strings");

	op = r_of(LW_APPEND);
	op.out.entry.entry = tail(IPC_LW_OUT_MAX);
	CHECK(ipc_enc_lw_rep(&w, 0, tail(IPC_ERR_MAX - 1), &op) == 0 && w.len == ipc_type_max(IPC_LW_REP),
	      "lw_rep: the limit is an entry of IPC_LW_OUT_MAX (%zu, %u)", w.len, ipc_type_max(IPC_LW_REP));

	CHECK(ipc_enc_cred(&w, &c) == 0 && w.len == ipc_type_max(IPC_WHO_REQ) &&
	      ipc_type_max(IPC_TICKET_REQ) == w.len, "who_req, ticket_req: the limit is the longest credential");
	struct token_info t = tok_of("", "customer", "", "");
	memset(t.id, 'a', sizeof(t.id) - 1);
	memset(t.name, 'a', sizeof(t.name) - 1);
	memset(t.tenant, 'a', sizeof(t.tenant) - 1);
	/* the longest role on the wire is 15 bytes, 7 more than "customer": the limit allows it */
	CHECK(ipc_enc_who_rep(&w, 0, &t, NULL, 0) == 0 && w.len + 7 == ipc_type_max(IPC_WHO_REP),
	      "who_rep: the limit is the longest token fields");
	CHECK(ipc_enc_who_rep(&w, 0, &t, tail(IPC_CRED_MAX - 1), 1) == 0 && w.len + 7 == ipc_type_max(IPC_TICKET_REP),
	      "ticket_rep: and the longest ticket");

	struct ipc_dev_req q = devq_of();
	q.cred = c;
	memset(q.path + 4, 'a', sizeof(q.path) - 5);
	memset(q.query, 'a', sizeof(q.query) - 1);
	memset(q.content_type, 'a', sizeof(q.content_type) - 1);
	memset(q.host, 'a', sizeof(q.host) - 1);
	memset(q.accept, 'a', sizeof(q.accept) - 1);
	q.body = (const uint8_t *)big;
	q.body_len = IPC_BODY_MAX;
	CHECK(ipc_enc_dev_req(&w, &q) == 0 && w.len == ipc_type_max(IPC_DEV_REQ), "dev_req: the limit is the longest request");
	struct ipc_dev_rep p = devp_of();
	memset(p.ctype, 'a', sizeof(p.ctype) - 1);
	p.body = (const uint8_t *)big;
	p.body_len = IPC_REPLY_MAX;
	CHECK(ipc_enc_dev_rep(&w, &p) == 0 && w.len == ipc_type_max(IPC_DEV_REP), "dev_rep: the limit is the longest reply");
	CHECK(ipc_enc_event(&w, tail(IPC_EVENT_TYPE_MAX - 1), big, IPC_EVENT_DATA_MAX) == 0 &&
	      w.len == ipc_type_max(IPC_DEV_EVENT), "dev_event: the limit is the longest event");
	struct ipc_stats s = stats_of();
	s.nrefusals = IPC_REFUSALS_MAX;
	for (unsigned i = 0; i < IPC_REFUSALS_MAX; i++)
		memset(s.refusals[i].reason, 'a', IPC_REASON_MAX - 1);
	CHECK(ipc_enc_stats(&w, &s) == 0 && w.len == ipc_type_max(IPC_STATS_REP), "stats_rep: the limit is 16 long reasons");
	ipc_w_free(&w);
}

/* ---- random damage: the decoders accept exactly what an encoder writes ---- */

/* Decode f; when that succeeds, encode the result again into w.  The decoder's rc. */
static int redo(const struct ipc_frame *f, struct ipc_w *w)
{
	int rc, orc = 0;

	switch (f->type) {
	case IPC_LINK:
	case IPC_READY: {
		unsigned peer;
		if (!(rc = ipc_dec_peer(f, &peer)))
			ipc_enc_peer(w, peer);
		return rc;
	}
	case IPC_LW_REQ: {
		struct ipc_cred c;
		struct lw_op op;
		if (!(rc = ipc_dec_lw_req(f, &c, &op)))
			ipc_enc_lw_req(w, &c, &op);
		return rc;
	}
	case IPC_LW_REP: {
		struct lw_op op;
		char err[IPC_ERR_MAX];
		memset(&op, 0, sizeof(op));
		op.type = lw_rep_type;
		if (!(rc = ipc_dec_lw_rep(f, &orc, err, sizeof(err), &op)))
			ipc_enc_lw_rep(w, orc, err, &op);
		else if (!out_zero(&op))
			rc = 1;
		out_free(&op);
		return rc;
	}
	case IPC_WHO_REQ:
	case IPC_TICKET_REQ: {
		struct ipc_cred c;
		if (!(rc = ipc_dec_cred(f, &c)))
			ipc_enc_cred(w, &c);
		return rc;
	}
	case IPC_WHO_REP: {
		struct token_info t;
		if (!(rc = ipc_dec_who_rep(f, &orc, &t, NULL, 0, NULL)))
			ipc_enc_who_rep(w, orc, &t, NULL, 0);
		return rc;
	}
	case IPC_TICKET_REP: {
		struct token_info t;
		char ticket[IPC_CRED_MAX];
		uint64_t exp;
		if (!(rc = ipc_dec_who_rep(f, &orc, &t, ticket, sizeof(ticket), &exp)))
			ipc_enc_who_rep(w, orc, &t, ticket, exp);
		return rc;
	}
	case IPC_DEV_REQ: {
		struct ipc_dev_req q;
		if (!(rc = ipc_dec_dev_req(f, &q)))
			ipc_enc_dev_req(w, &q);
		return rc;
	}
	case IPC_DEV_REP: {
		struct ipc_dev_rep p;
		if (!(rc = ipc_dec_dev_rep(f, &p)))
			ipc_enc_dev_rep(w, &p);
		return rc;
	}
	case IPC_DEV_EVENT: {
		char type[IPC_EVENT_TYPE_MAX];
		const char *data;
		size_t len;
		if (!(rc = ipc_dec_event(f, type, &data, &len)))
			ipc_enc_event(w, type, data, len);
		return rc;
	}
	case IPC_STATS_REP: {
		struct ipc_stats st;
		if (!(rc = ipc_dec_stats(f, &st)))
			ipc_enc_stats(w, &st);
		return rc;
	}
	default:
		return 1;
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void test_random_damage(void)
{
	struct ipc_w w = { 0 };
	unsigned bad_rc = 0, not_canonical = 0, accepted = 0, n = 40000;
	int first_bad = 0;

	for (unsigned it = 0; it < n; it++) {
		const struct msg *m = &msgs[rnd(NMSGS)];
		struct hb b = build(m->f);
		unsigned k = 1 + rnd(3);

		for (unsigned i = 0; i < k && b.len; i++) {
			size_t at = rnd((uint32_t)b.len);
			switch (rnd(5)) {
			case 0: b.p[at] ^= (uint8_t)(1u << rnd(8)); break;
			case 1: b.p[at] = (uint8_t)rnd(256); break;
			case 2: b.len = at; break;	/* cut */
			case 3: memmove(b.p + at, b.p + at + 1, b.len - at - 1); b.len--; break;
			default: b.p[at] = (uint8_t)"\0\1\377a/._AZ"[rnd(10)]; break;
			}
		}
		struct ipc_frame f = { .type = m->type, .fd = -1, .len = (uint32_t)b.len };
		f.payload = malloc(b.len ? b.len : 1);
		if (b.len)
			memcpy(f.payload, b.p, b.len);
		set_rep_type(m);
		int rc = redo(&f, &w);
		if (rc == 0) {
			accepted++;
			if (w.err || w.len != b.len || memcmp(w.buf, b.p, b.len))
				not_canonical++;
		} else if (rc != -EPROTO && rc != -EMSGSIZE && rc != -ERANGE) {
			bad_rc++;
			if (!first_bad)
				first_bad = rc;
		}
		free(f.payload);
		free(b.p);
	}
	CHECK(bad_rc == 0, "random damage: %u payloads, every refusal -EPROTO, -EMSGSIZE or -ERANGE (%u not: %d)",
	      n, bad_rc, first_bad);
	CHECK(not_canonical == 0 && accepted > 0,
	      "random damage: each of the %u accepted re-encodes to the same bytes (%u differ)", accepted, not_canonical);
	ipc_w_free(&w);
}

/* ---- over the socketpair ---- */

/* A fresh pair for a test that leaves its link unusable. */
static void pair(int p[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
		abort();
}

static int sv[2];

struct xfer {
	int sock;
	uint16_t type;
	uint32_t id;
	struct ipc_w *w;
	int fd;
	int rc;
};

/* The transfer threads take the test's SIGALRM (the main thread blocks it while they run). */
static void unblock_alarm(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void *sender(void *arg)
{
	struct xfer *x = arg;

	unblock_alarm();
	x->rc = ipc_send(x->sock, x->type, x->id, x->w, x->fd);
	return NULL;
}

struct rcv {
	int sock;
	struct ipc_frame *f;
	int rc;
};

static void *receiver(void *arg)
{
	struct rcv *r = arg;

	unblock_alarm();
	r->rc = ipc_recv(r->sock, r->f);
	return NULL;
}

/*
 * ipc_recv on sock in a thread, waiting at most ms: a receiver that blocks
 * where it must not is a failed check (-ETIMEDOUT), not a hung test.  On
 * timeout both sockets are shut, so every thread returns.
 */
static int recv_within(int sock, int peer, struct ipc_frame *f, long ms)
{
	struct rcv r = { sock, f, -1 };
	struct timespec ts;
	pthread_t th;

	if (pthread_create(&th, NULL, receiver, &r))
		abort();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_sec++, ts.tv_nsec -= 1000000000L;
	if (pthread_timedjoin_np(th, NULL, &ts) == 0)
		return r.rc;
	shutdown(peer, SHUT_RDWR);
	shutdown(sock, SHUT_RDWR);
	pthread_join(th, NULL);
	ipc_frame_free(f);
	return -ETIMEDOUT;
}

/* Send from a thread on s0 (a frame larger than the socket's buffer must not deadlock), receive on s1. */
static int xfer_on(int s0, int s1, uint16_t type, uint32_t id, struct ipc_w *w, int fd, struct ipc_frame *f,
		   int *send_rc)
{
	struct xfer x = { s0, type, id, w, fd, -1 };
	pthread_t th;
	int rc;

	if (pthread_create(&th, NULL, sender, &x))
		abort();
	rc = recv_within(s1, s0, f, 10000);
	if (rc) {
		shutdown(s0, SHUT_RDWR);	/* a sender still blocked on a receiver that gave up */
		shutdown(s1, SHUT_RDWR);
	}
	pthread_join(th, NULL);
	*send_rc = x.rc;
	return rc;
}

static int xfer(uint16_t type, uint32_t id, struct ipc_w *w, int fd, struct ipc_frame *f, int *send_rc)
{
	return xfer_on(sv[0], sv[1], type, id, w, fd, f, send_rc);
}

static void test_roundtrip_fds(void)
{
	struct ipc_w w = { 0 };
	struct ipc_frame f;
	int p[2], src, rc, fd;
	unsigned peer = 0;
	char buf[16] = "";

	/* IPC_LINK: a socket to a peer; write through the received end, read at the other */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
		abort();
	CHECK_EQ_INT(ipc_enc_peer(&w, IPC_PEER_LEDGER), 0, "link: encoded");
	rc = xfer(IPC_LINK, 7, &w, p[0], &f, &src);
	CHECK(rc == 0 && src == 0 && f.type == IPC_LINK && f.id == 7 && f.fd >= 0 && f.fd != p[0],
	      "link: crosses with a new descriptor (rc %d/%d, fd %d)", rc, src, f.fd);
	CHECK(ipc_dec_peer(&f, &peer) == 0 && peer == IPC_PEER_LEDGER, "link: names the ledger");
	CHECK((fcntl(f.fd, F_GETFD) & FD_CLOEXEC) != 0, "link: the received descriptor is close-on-exec");
	CHECK(write(f.fd, "ping", 4) == 4 && read(p[1], buf, sizeof(buf)) == 4 && !memcmp(buf, "ping", 4),
	      "link: the received socket reaches the peer");
	fd = f.fd;
	ipc_frame_free(&f);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF && f.fd == -1 && !f.payload,
	      "link: ipc_frame_free closes it");
	ipc_frame_free(&f);	/* twice: harmless */
	ipc_frame_free(NULL);
	close(p[0]);
	close(p[1]);

	/* IPC_LOGFD: a log file; what is written through the received descriptor is in the file */
	src = memfd_create("ipc-log", MFD_CLOEXEC);
	rc = xfer(IPC_LOGFD, 8, NULL, src, &f, &p[0]);
	CHECK(rc == 0 && p[0] == 0 && f.len == 0 && ipc_dec_empty(&f) == 0 && f.fd >= 0, "logfd: crosses, empty");
	CHECK(write(f.fd, "log line\n", 9) == 9 && pread(src, buf, sizeof(buf), 0) == 9 && !memcmp(buf, "log line\n", 9),
	      "logfd: the received descriptor writes the same file");
	ipc_frame_free(&f);
	close(src);

	/* the sender refuses what the receiver would */
	CHECK_EQ_INT(ipc_send(sv[0], IPC_LINK, 1, &w, -1), -EINVAL, "send: a link without a descriptor");
	CHECK_EQ_INT(ipc_send(sv[0], IPC_LW_REQ, 1, &w, 0), -EINVAL, "send: a descriptor on lw_req");
	CHECK_EQ_INT(ipc_send(sv[0], 0, 1, &w, -1), -EINVAL, "send: type 0");
	CHECK_EQ_INT(ipc_send(sv[0], IPC_NTYPES, 1, &w, -1), -EINVAL, "send: type IPC_NTYPES");
	CHECK_EQ_INT(ipc_send(sv[0], IPC_STATS_REQ, 1, &w, -1), -EMSGSIZE, "send: a payload over its type's limit");
	w.err = -ENOMEM;
	CHECK_EQ_INT(ipc_send(sv[0], IPC_READY, 1, &w, -1), -ENOMEM, "send: a writer's error is returned, nothing sent");
	ipc_w_free(&w);
}

static void test_roundtrip_all(void)
{
	struct ipc_w w = { 0 };
	struct ipc_frame f;
	int rc, src;
	uint32_t id = 100;

	/* every message of the table crosses unchanged */
	for (size_t i = 0; i < NMSGS; i++) {
		const struct msg *m = &msgs[i];
		if (m->type == IPC_LINK)
			continue;	/* with a descriptor, above */
		m->enc(&w);
		rc = xfer(m->type, ++id, &w, -1, &f, &src);
		set_rep_type(m);
		CHECK(rc == 0 && src == 0 && f.type == m->type && f.id == id && f.len == w.len && f.fd == -1 &&
		      !memcmp(f.payload, w.buf, w.len) && m->dec(&f) == 0, "%s: crosses and decodes", m->name);
		ipc_frame_free(&f);
	}

	/* and decodes field for field */
	struct ipc_cred c;
	struct lw_op op, want;
	for (unsigned t = LW_APPEND; t < LW_NTYPES; t++) {
		static const enc_fn enc[] = { NULL, e_lw_append, e_lw_enrol, e_lw_cert, e_lw_tcreate, e_lw_trevoke,
					     e_lw_patch, e_lw_ckpt };
		static struct lw_op (*const mk[])(void) = { NULL, q_append, q_enrol, q_cert, q_tcreate, q_trevoke,
							    q_patch, q_ckpt };
		enc[t](&w);
		rc = xfer(IPC_LW_REQ, t, &w, -1, &f, &src);
		want = mk[t]();
		rc = rc ? rc : ipc_dec_lw_req(&f, &c, &op);
		int same = rc == 0 && op.type == want.type && op.caller.role == want.caller.role &&
			!strcmp(op.caller.tenant, want.caller.tenant) && !strcmp(op.caller.actor, want.caller.actor) &&
			out_zero(&op);
		const struct lw_text *a = NULL, *b = NULL;
		switch (t) {
		case LW_APPEND:
			same &= !strcmp(op.in.append.subject, want.in.append.subject) &&
				!strcmp(op.in.append.type, want.in.append.type);
			a = &op.in.append.data, b = &want.in.append.data;
			same &= c.kind == IPC_CRED_BEARER && !strcmp(c.text, TOKEN);
			break;
		case LW_ENROL:
			same &= !strcmp(op.in.enrol.asset_id, want.in.enrol.asset_id);
			a = &op.in.enrol.data, b = &want.in.enrol.data;
			same &= c.kind == IPC_CRED_NONE && !c.text[0];
			break;
		case LW_CERT_ISSUE:
			same &= !strcmp(op.in.cert.asset_id, want.in.cert.asset_id);
			a = &op.in.cert.request, b = &want.in.cert.request;
			same &= c.kind == IPC_CRED_TICKET && !strcmp(c.text, TICKET);
			break;
		case LW_TOKEN_CREATE:
			same &= !strcmp(op.in.token_create.role, want.in.token_create.role) &&
				!strcmp(op.in.token_create.name, want.in.token_create.name) &&
				!strcmp(op.in.token_create.tenant, want.in.token_create.tenant);
			break;
		case LW_TOKEN_REVOKE:
			same &= !strcmp(op.in.token_revoke.id, want.in.token_revoke.id);
			break;
		case LW_PATCH_AUDIT:
			same &= !strcmp(op.in.patch_audit.host, want.in.patch_audit.host);
			a = &op.in.patch_audit.body, b = &want.in.patch_audit.body;
			break;
		default:
			break;
		}
		if (a)
			same &= (a->text == NULL) == (b->text == NULL) && a->len == b->len &&
				(!a->text || (!memcmp(a->text, b->text, a->len) &&
					      (const uint8_t *)a->text >= f.payload &&
					      (const uint8_t *)a->text + a->len <= f.payload + f.len));
		CHECK(same, "lw_req %u: every field as sent (texts pointing into the frame)", t);
		ipc_frame_free(&f);
	}

	/* replies: op->out filled with new strings */
	for (unsigned t = LW_APPEND; t < LW_NTYPES; t++) {
		char err[64] = "x";
		int orc = 1;

		want = r_of(t);
		CHECK_EQ_INT(ipc_enc_lw_rep(&w, 0, "", &want), 0, "lw_rep %u: encoded", t);
		rc = xfer(IPC_LW_REP, t, &w, -1, &f, &src);
		memset(&op, 0, sizeof(op));
		op.type = t;
		rc = rc ? rc : ipc_dec_lw_rep(&f, &orc, err, sizeof(err), &op);
		int same = rc == 0 && orc == 0 && err[0] == 0;
		switch (t) {
		case LW_APPEND:
		case LW_ENROL:
			same &= op.out.entry.seq == want.out.entry.seq && op.out.entry.entry &&
				!strcmp(op.out.entry.entry, want.out.entry.entry);
			break;
		case LW_CERT_ISSUE:
			same &= op.out.cert.cert && !strcmp(op.out.cert.cert, want.out.cert.cert);
			break;
		case LW_TOKEN_CREATE:
			same &= !memcmp(&op.out.token.info, &want.out.token.info, sizeof(op.out.token.info)) &&
				!strcmp(op.out.token.secret, TOKEN);
			break;
		case LW_PATCH_AUDIT:
			same &= op.out.patch_audit.entry && !strcmp(op.out.patch_audit.entry, want.out.patch_audit.entry);
			break;
		default:
			same &= out_zero(&op);
			break;
		}
		CHECK(same, "lw_rep %u: the output as sent, in new strings", t);
		out_free(&op);
		ipc_frame_free(&f);
	}
	{
		char err[8];
		int orc = 0;

		e_rep_err(&w);
		rc = xfer(IPC_LW_REP, 1, &w, -1, &f, &src);
		memset(&op, 0, sizeof(op));
		op.type = LW_APPEND;
		rc = rc ? rc : ipc_dec_lw_rep(&f, &orc, err, sizeof(err), &op);
		CHECK(rc == 0 && orc == -EPERM && !strcmp(err, "cannot ") && out_zero(&op),
		      "lw_rep: an error's rc and message (cut to its buffer), no output");
		ipc_frame_free(&f);
	}

	/* who, ticket */
	{
		struct token_info t, tw = tok_of("abcdefabcdef", "customer", "Acme", "acme");
		char ticket[IPC_CRED_MAX];
		uint64_t exp = 0;
		int orc = 1;

		e_cred_bearer(&w);
		rc = xfer(IPC_TICKET_REQ, 1, &w, -1, &f, &src);
		CHECK(rc == 0 && ipc_dec_cred(&f, &c) == 0 && c.kind == IPC_CRED_BEARER && !strcmp(c.text, TOKEN),
		      "ticket_req: the bearer as sent");
		ipc_frame_free(&f);
		e_ticket(&w);
		rc = xfer(IPC_TICKET_REP, 1, &w, -1, &f, &src);
		rc = rc ? rc : ipc_dec_who_rep(&f, &orc, &t, ticket, sizeof(ticket), &exp);
		CHECK(rc == 0 && orc == 0 && !memcmp(&t, &tw, sizeof(t)) && !strcmp(ticket, TICKET) && exp == EXPIRES,
		      "ticket_rep: the token, ticket and expiry as sent");
		CHECK_EQ_INT(ipc_dec_who_rep(&f, &orc, &t, NULL, 0, NULL), -EINVAL, "ticket_rep: decoded without a ticket buffer");
		CHECK_EQ_INT(ipc_dec_who_rep(&f, &orc, &t, ticket, 4, &exp), -EMSGSIZE,
			     "ticket_rep: a ticket longer than the caller's buffer");
		ipc_frame_free(&f);
		e_who(&w);
		rc = xfer(IPC_WHO_REP, 1, &w, -1, &f, &src);
		tw = tok_of("abcdefabcdef", "technician", "bench 3", "");
		rc = rc ? rc : ipc_dec_who_rep(&f, &orc, &t, NULL, 0, NULL);
		CHECK(rc == 0 && orc == 0 && !memcmp(&t, &tw, sizeof(t)), "who_rep: the token as sent");
		CHECK_EQ_INT(ipc_dec_who_rep(&f, &orc, &t, ticket, sizeof(ticket), &exp), -EINVAL,
			     "who_rep: decoded with a ticket buffer");
		ipc_frame_free(&f);
		e_who_err(&w);
		rc = xfer(IPC_WHO_REP, 1, &w, -1, &f, &src);
		rc = rc ? rc : ipc_dec_who_rep(&f, &orc, &t, NULL, 0, NULL);
		CHECK(rc == 0 && orc == -EACCES && !t.role[0], "who_rep: an error's rc");
		ipc_frame_free(&f);
	}

	/* the job manager's requests and replies */
	{
		struct ipc_dev_req q, qw = devq_of();

		e_dev_req(&w);
		rc = xfer(IPC_DEV_REQ, 1, &w, -1, &f, &src);
		rc = rc ? rc : ipc_dec_dev_req(&f, &q);
		CHECK(rc == 0 && q.cred.kind == qw.cred.kind && !strcmp(q.cred.text, qw.cred.text) && q.method == qw.method &&
		      !strcmp(q.path, qw.path) && !strcmp(q.query, qw.query) && !strcmp(q.content_type, qw.content_type) &&
		      !strcmp(q.host, qw.host) && !strcmp(q.accept, qw.accept) && q.body_len == 5 &&
		      !memcmp(q.body, "ab\0cd", 5) && q.body >= f.payload && q.body + 5 <= f.payload + f.len,
		      "dev_req: every field as sent, the body (with its NUL) in the frame");
		ipc_frame_free(&f);
	}
	{
		char type[IPC_EVENT_TYPE_MAX];
		const char *data;
		size_t len;

		e_event(&w);
		rc = xfer(IPC_DEV_EVENT, 1, &w, -1, &f, &src);
		rc = rc ? rc : ipc_dec_event(&f, type, &data, &len);
		CHECK(rc == 0 && !strcmp(type, "job.progress") && len == 9 && !memcmp(data, "{\"pct\":5}", 9),
		      "dev_event: type and data as sent");
		ipc_frame_free(&f);
	}
	{
		struct ipc_stats s, sw = stats_of();

		e_stats(&w);
		rc = xfer(IPC_STATS_REP, 1, &w, -1, &f, &src);
		rc = rc ? rc : ipc_dec_stats(&f, &s);
		CHECK(rc == 0 && !memcmp(&s, &sw, sizeof(s)), "stats_rep: every counter and reason as sent");
		ipc_frame_free(&f);
		rc = xfer(IPC_STATS_REQ, 1, NULL, -1, &f, &src);
		CHECK(rc == 0 && f.len == 0 && !f.payload && ipc_dec_empty(&f) == 0, "stats_req: empty");
		ipc_frame_free(&f);
	}
	/* the decoders decode their own types only */
	e_event(&w);
	rc = xfer(IPC_DEV_EVENT, 1, &w, -1, &f, &src);
	CHECK(rc == 0 && ipc_dec_dev_rep(&f, &(struct ipc_dev_rep){ 0 }) == -EPROTO &&
	      ipc_dec_peer(&f, &(unsigned){ 0 }) == -EPROTO, "a frame decoded as another type: -EPROTO");
	ipc_frame_free(&f);
	ipc_w_free(&w);
}

/*
 * The largest frame crosses a socket whose buffer is far smaller: once from
 * a non-blocking sender (every sendmsg writes part of the frame), once from
 * a blocking one with a timer's signals interrupting both sides (EINTR, and
 * partial writes cut short by a signal).
 */
static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

static void test_large_frame(void)
{
	struct ipc_w w = { 0 };
	struct ipc_frame f;
	struct ipc_dev_rep p = devp_of(), r;
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: calls see EINTR */
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	sigset_t set;
	int rc, src, lp[2];

	for (size_t i = 0; i < IPC_REPLY_MAX; i++)
		big[i] = (char)(i * 131 + (i >> 16));
	memset(p.ctype, 'a', sizeof(p.ctype) - 1);
	p.body = (const uint8_t *)big;
	p.body_len = IPC_REPLY_MAX;
	CHECK_EQ_INT(ipc_enc_dev_rep(&w, &p), 0, "large: a reply of IPC_REPLY_MAX encoded");

	pair(lp);
	fcntl(lp[0], F_SETFL, O_NONBLOCK);
	rc = xfer_on(lp[0], lp[1], IPC_DEV_REP, 9, &w, -1, &f, &src);
	CHECK(rc == 0 && src == 0 && f.len == ipc_type_max(IPC_DEV_REP) && ipc_dec_dev_rep(&f, &r) == 0 &&
	      r.body_len == IPC_REPLY_MAX && !memcmp(r.body, big, IPC_REPLY_MAX),
	      "large: %u bytes cross intact from a non-blocking sender (rc %d/%d)", f.len, rc, src);
	ipc_frame_free(&f);
	close(lp[0]), close(lp[1]);

	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (int round = 0; round < 3; round++) {
		pair(lp);
		ticks = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		rc = xfer_on(lp[0], lp[1], IPC_DEV_REP, 10, &w, -1, &f, &src);
		memset(&it.it_value, 0, sizeof(it.it_value));
		setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
		it.it_value.tv_usec = 200;
		CHECK(rc == 0 && src == 0 && f.len == ipc_type_max(IPC_DEV_REP) && ipc_dec_dev_rep(&f, &r) == 0 &&
		      r.body_len == IPC_REPLY_MAX && !memcmp(r.body, big, IPC_REPLY_MAX),
		      "large: %u bytes cross intact while %d signals interrupt (rc %d/%d)", f.len, (int)ticks, rc, src);
		ipc_frame_free(&f);
		close(lp[0]), close(lp[1]);
	}
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGALRM, SIG_DFL);
	ipc_w_free(&w);
	big_reset();
	alarm(120);
}

/* A signal to a thread blocked in ipc_recv or ipc_send: it goes on (EINTR is no error). */
static void test_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct ipc_w w = { 0 };
	struct ipc_frame f, g;
	struct ipc_dev_rep p = devp_of(), r;
	struct rcv rv;
	struct xfer x;
	pthread_t th;
	unsigned peer = 0;
	int lp[2], rc;

	sigaction(SIGALRM, &sa, NULL);
	pair(lp);
	rv = (struct rcv){ lp[1], &f, -1 };
	ticks = 0;
	pthread_create(&th, NULL, receiver, &rv);
	for (int i = 0; i < 5; i++) {
		usleep(20000);	/* blocked in recvmsg by now */
		pthread_kill(th, SIGALRM);
	}
	usleep(20000);
	ipc_enc_peer(&w, IPC_PEER_HTTP);
	rc = ipc_send(lp[0], IPC_READY, 3, &w, -1);
	pthread_join(th, NULL);
	CHECK(rc == 0 && rv.rc == 0 && ipc_dec_peer(&f, &peer) == 0 && peer == IPC_PEER_HTTP && ticks >= 1,
	      "eintr: a receiver interrupted %d times while waiting gets its frame (rc %d)", (int)ticks, rv.rc);
	ipc_frame_free(&f);

	p.body = (const uint8_t *)big;
	p.body_len = IPC_REPLY_MAX;
	ipc_enc_dev_rep(&w, &p);
	x = (struct xfer){ lp[0], IPC_DEV_REP, 4, &w, -1, -1 };
	ticks = 0;
	pthread_create(&th, NULL, sender, &x);
	for (int i = 0; i < 5; i++) {
		usleep(20000);	/* blocked in sendmsg on a full buffer by now */
		pthread_kill(th, SIGALRM);
	}
	rc = recv_within(lp[1], lp[0], &g, 10000);
	/* the sender must not wait for a receiver that gave up (all sent is sent by now) */
	shutdown(lp[0], SHUT_RDWR);
	pthread_join(th, NULL);
	CHECK(rc == 0 && x.rc == 0 && ipc_dec_dev_rep(&g, &r) == 0 && r.body_len == IPC_REPLY_MAX &&
	      !memcmp(r.body, big, IPC_REPLY_MAX) && ticks >= 1,
	      "eintr: a sender interrupted %d times on a full buffer sends the whole frame (rc %d/%d)", (int)ticks, rc, x.rc);
	ipc_frame_free(&g);
	close(lp[0]), close(lp[1]);
	signal(SIGALRM, SIG_DFL);
	ipc_w_free(&w);
}

/* ---- what ipc_recv refuses ---- */

static void put_hdr(uint8_t *h, uint16_t type, uint16_t version, uint32_t id, uint32_t len)
{
	uint8_t x[IPC_HDR_LEN] = {
		(uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(version >> 8), (uint8_t)version,
		(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id,
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
	};

	memcpy(h, x, sizeof(x));
}

/* Send bytes raw, with nfd descriptors attached. */
static int send_raw(int sock, const void *b, size_t n, const int *fds, unsigned nfd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(16 * sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)b, n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfd) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_recv_refuses(void)
{
	uint8_t h[IPC_HDR_LEN + 8];
	struct ipc_frame f;
	int p[2], rc;

	pair(p);
	put_hdr(h, IPC_READY, IPC_VERSION + 1, 1, 4);
	send_raw(p[0], h, IPC_HDR_LEN, NULL, 0);
	rc = ipc_recv(p[1], &f);
	CHECK(rc == -EPROTO && !f.payload && f.fd == -1, "recv: version 2 refused -EPROTO, the frame clean (%d)", rc);
	ipc_frame_free(&f);
	close(p[0]), close(p[1]);

	pair(p);
	put_hdr(h, 0, IPC_VERSION, 1, 0);
	send_raw(p[0], h, IPC_HDR_LEN, NULL, 0);
	CHECK_EQ_INT(ipc_recv(p[1], &f), -EPROTO, "recv: type 0 refused");
	close(p[0]), close(p[1]);
	pair(p);
	put_hdr(h, IPC_NTYPES, IPC_VERSION, 1, 0);
	send_raw(p[0], h, IPC_HDR_LEN, NULL, 0);
	CHECK_EQ_INT(ipc_recv(p[1], &f), -EPROTO, "recv: type IPC_NTYPES refused");
	close(p[0]), close(p[1]);

	/* over the type's limit: refused from the header alone, without waiting for a payload */
	static const uint16_t tys[] = { IPC_LW_REQ, IPC_DEV_REP, IPC_READY, IPC_STATS_REQ };
	for (size_t i = 0; i < sizeof(tys) / sizeof(tys[0]); i++) {
		pair(p);
		put_hdr(h, tys[i], IPC_VERSION, 1, ipc_type_max(tys[i]) + 1);
		send_raw(p[0], h, IPC_HDR_LEN, NULL, 0);
		rc = recv_within(p[1], p[0], &f, 2000);
		CHECK(rc == -EMSGSIZE && !f.payload,
		      "recv: %s of its limit + 1 refused -EMSGSIZE at once, the payload never sent (%d)",
		      ipc_type_name(tys[i]), rc);
		close(p[0]), close(p[1]);
	}
	pair(p);
	put_hdr(h, IPC_DEV_REP, IPC_VERSION, 1, UINT32_MAX);
	send_raw(p[0], h, IPC_HDR_LEN, NULL, 0);
	CHECK_EQ_INT(recv_within(p[1], p[0], &f, 2000), -EMSGSIZE, "recv: a length of 4 GiB refused at once");
	close(p[0]), close(p[1]);

	/* a stray descriptor on lw_req: closed, the number it had free again */
	{
		int x, fds[2];
		unsigned before;

		pair(p);
		fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		before = count_fds();
		put_hdr(h, IPC_LW_REQ, IPC_VERSION, 1, 0);
		send_raw(p[0], h, IPC_HDR_LEN, fds, 1);
		x = dup(p[1]);	/* the lowest free number: the one the received descriptor takes */
		close(x);
		rc = ipc_recv(p[1], &f);
		CHECK(rc == -EPROTO && f.fd == -1, "recv: a descriptor on lw_req refused -EPROTO (%d)", rc);
		CHECK(fcntl(x, F_GETFD) == -1 && errno == EBADF && count_fds() == before,
		      "recv: the stray descriptor closed (fd %d, %u open as before)", x, before);
		close(p[0]), close(p[1]);

		/* none on a link */
		pair(p);
		put_hdr(h, IPC_LINK, IPC_VERSION, 1, 4);
		memcpy(h + IPC_HDR_LEN, "\0\0\0\1", 4);
		send_raw(p[0], h, IPC_HDR_LEN + 4, NULL, 0);
		CHECK_EQ_INT(ipc_recv(p[1], &f), -EPROTO, "recv: a link without a descriptor refused");
		close(p[0]), close(p[1]);

		/* two on a link: both closed */
		pair(p);
		fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		before = count_fds();
		send_raw(p[0], h, IPC_HDR_LEN + 4, fds, 2);
		rc = ipc_recv(p[1], &f);
		CHECK(rc == -EPROTO && count_fds() == before, "recv: a link with two descriptors refused, both closed (%d)", rc);
		close(p[0]), close(p[1]);

		/* one sent inside the payload, after the header */
		pair(p);
		before = count_fds();
		put_hdr(h, IPC_READY, IPC_VERSION, 1, 4);
		send_raw(p[0], h, IPC_HDR_LEN, NULL, 0);
		send_raw(p[0], "\0\0\0\1", 4, fds, 1);
		rc = ipc_recv(p[1], &f);
		CHECK(rc == -EPROTO && count_fds() == before && !f.payload,
		      "recv: a descriptor inside a frame refused, closed (%d)", rc);
		close(p[0]), close(p[1]);

		/* more than the receiver takes in one read (the kernel drops those that do not fit) */
		int many[12];
		pair(p);
		before = count_fds();
		for (unsigned i = 0; i < 12; i++)
			many[i] = fds[i % 2];
		put_hdr(h, IPC_LINK, IPC_VERSION, 1, 4);
		send_raw(p[0], h, IPC_HDR_LEN + 4, many, 12);
		rc = ipc_recv(p[1], &f);
		CHECK(rc == -EPROTO && count_fds() == before, "recv: a link with 12 descriptors refused, all closed (%d)", rc);
		close(p[0]), close(p[1]);
		close(fds[0]), close(fds[1]);
	}

	/* end of stream: before a frame, inside the header, inside the payload */
	pair(p);
	close(p[0]);
	CHECK_EQ_INT(ipc_recv(p[1], &f), -ECONNRESET, "recv: end of stream before a frame");
	close(p[1]);
	pair(p);
	put_hdr(h, IPC_READY, IPC_VERSION, 1, 4);
	send_raw(p[0], h, 5, NULL, 0);
	close(p[0]);
	CHECK_EQ_INT(ipc_recv(p[1], &f), -ECONNRESET, "recv: end of stream inside the header");
	close(p[1]);
	pair(p);
	send_raw(p[0], h, IPC_HDR_LEN + 2, NULL, 0);
	close(p[0]);
	rc = ipc_recv(p[1], &f);
	CHECK(rc == -ECONNRESET && !f.payload, "recv: end of stream inside the payload (nothing leaked)");
	close(p[1]);

	/* a header in pieces, then the payload in pieces: one frame */
	pair(p);
	memcpy(h + IPC_HDR_LEN, "\0\0\0\2", 4);
	for (size_t i = 0; i < IPC_HDR_LEN + 4; i++)
		send_raw(p[0], h + i, 1, NULL, 0);
	unsigned peer = 0;
	CHECK(ipc_recv(p[1], &f) == 0 && ipc_dec_peer(&f, &peer) == 0 && peer == IPC_PEER_DEVICES,
	      "recv: a frame sent one byte at a time");
	ipc_frame_free(&f);
	close(p[0]), close(p[1]);

	/* a link that asked for credentials (SO_PASSCRED) gets them with each read: not descriptors */
	pair(p);
	setsockopt(p[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	send_raw(p[0], h, IPC_HDR_LEN + 4, NULL, 0);
	CHECK(ipc_recv(p[1], &f) == 0 && f.fd == -1 && ipc_dec_peer(&f, &peer) == 0,
	      "recv: credentials that come with a frame are no stray descriptor");
	ipc_frame_free(&f);
	close(p[0]), close(p[1]);
	pair(p);

	/* a non-blocking link with nothing waiting */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	CHECK_EQ_INT(ipc_recv(p[1], &f), -EAGAIN, "recv: -EAGAIN on a non-blocking link with no frame");
	/* the peer gone: -EPIPE, and no SIGPIPE (which would end this test) */
	close(p[1]);
	CHECK_EQ_INT(ipc_send(p[0], IPC_STATS_REQ, 1, NULL, -1), -EPIPE, "send: -EPIPE when the peer is gone");
	close(p[0]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* every line out before a crash */
	alarm(120);	/* a safety net: no check should ever need it */
	big_reset();
	CHECK(strlen(TOKEN) == TOKEN_LEN && strlen(TOKEN_SHORT) == TOKEN_LEN - 1, "the test's token has TOKEN_LEN characters");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 1;
	test_type_limits();
	test_known_answers();
	test_cuts_and_extra();
	test_long_strings_and_nuls();
	test_ranges();
	test_encoders_refuse();
	test_random_damage();
	test_roundtrip_fds();
	test_roundtrip_all();
	test_large_frame();
	test_eintr();
	test_recv_refuses();
	close(sv[0]);
	close(sv[1]);
	return tap_done();
}
