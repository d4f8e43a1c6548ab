/*
 * The ledger process (issue 12): the only writer of ledger.db and the only
 * holder of signing.key.  It takes the writer's operations (audit/lwriter.h)
 * as IPC_LW_REQ frames from the http and devices processes, and answers who
 * a credential belongs to (IPC_WHO_REQ) and console tickets (IPC_TICKET_REQ).
 *
 * It believes no role it is told by the http process: every operation from
 * there carries the caller's credential (the bearer token as presented, or a
 * console session's ticket), and the caller (role, tenant, actor) is what
 * this process finds for it in the tokens table, so that a compromised http
 * process can ask only for what a token it was shown allows.  The service
 * role (sanitize_* entries, recovery) is taken from the devices process only.
 *
 * A ticket is "t1.<token id>.<expiry>.<HMAC-SHA-256 (RFC 2104) of the part
 * before it, base64url>", keyed by 32 random bytes this process draws at
 * start and keeps in memory only: a restart of the ledger process ends the
 * console's sessions (they sign in again), and a ticket dies with its token.
 */
#include <errno.h>
#include <gcrypt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "api/api.h"
#include "audit/b64.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "audit/merkle.h"
#include "audit/tokens.h"
#include "core/ipc.h"
#include "core/ipclink.h"
#include "core/state.h"
#include "sanitizerd/cmd.h"
#include "sanitizerd/privsep.h"
#include "util/xio.h"

#define TICKET_TTL_S (8 * 3600)		/* the console's session (api/console.c) */

struct ledgerd {
	struct api *a;
	struct ipc_link *http, *devices;
	pthread_mutex_t rlock;		/* the read connection for credentials */
	struct ledger *reader;
	uint8_t tkey[32];		/* the tickets' HMAC key */
};

static int eq_const(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x |= a[i] ^ b[i];
	return x == 0;
}

static int hmac(const struct ledgerd *d, const char *msg, uint8_t out[32])
{
	gcry_mac_hd_t h;
	size_t n = 32;
	int rc = -EIO;

	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL))
		return -EIO;
	if (!gcry_mac_setkey(h, d->tkey, sizeof(d->tkey)) && !gcry_mac_write(h, msg, strlen(msg)) &&
	    !gcry_mac_read(h, out, &n) && n == 32)
		rc = 0;
	gcry_mac_close(h);
	return rc;
}

/* A live token by its presented secret: through the cache, else the tokens table. */
static int bearer(struct ledgerd *d, const char *secret, struct token_info *tok)
{
	uint8_t hash[32];
	unsigned long gen;
	int rc;

	if (strlen(secret) != TOKEN_LEN)
		return -EACCES;
	merkle_sha256(secret, TOKEN_LEN, hash);
	/* the api's token cache (api/server.c), this process's own: cleared at every revocation here */
	if (tokcache_get(d->a, hash, tok, &gen))
		return 0;
	pthread_mutex_lock(&d->rlock);
	rc = token_check(d->reader, secret, tok);
	pthread_mutex_unlock(&d->rlock);
	if (rc < 0)
		return -EACCES;
	tokcache_put(d->a, hash, tok, gen);
	return 0;
}

static int ticket_make(struct ledgerd *d, const struct token_info *tok, char *out, size_t len, uint64_t *expires)
{
	char head[64];
	uint8_t mac[32];
	char *b;

	*expires = (uint64_t)time(NULL) + TICKET_TTL_S;
	snprintf(head, sizeof(head), "t1.%s.%llu", tok->id, (unsigned long long)*expires);
	if (hmac(d, head, mac) < 0 || !(b = b64_encode(mac, 32, B64_URL)))
		return -ENOMEM;
	snprintf(out, len, "%s.%s", head, b);
	free(b);
	return 0;
}

static int ticket_check(struct ledgerd *d, const char *t, struct token_info *tok)
{
	char head[64], id[TOKEN_ID_LEN + 1];
	const char *dot;
	uint8_t mac[32];
	char *want;
	unsigned long long exp;
	size_t hl;
	int ok, rc;

	dot = strrchr(t, '.');
	if (strncmp(t, "t1.", 3) || !dot || (hl = (size_t)(dot - t)) >= sizeof(head))
		return -EACCES;
	memcpy(head, t, hl);
	head[hl] = '\0';
	if (sscanf(head, "t1.%12[A-Za-z0-9_-].%llu", id, &exp) != 2 || strlen(id) != TOKEN_ID_LEN)
		return -EACCES;
	if (hmac(d, head, mac) < 0 || !(want = b64_encode(mac, 32, B64_URL)))
		return -EACCES;
	ok = strlen(want) == strlen(dot + 1) && eq_const((const uint8_t *)want, (const uint8_t *)dot + 1, strlen(want));
	free(want);
	if (!ok || exp < (unsigned long long)time(NULL))
		return -EACCES;
	pthread_mutex_lock(&d->rlock);
	rc = token_get(d->reader, id, tok);
	pthread_mutex_unlock(&d->rlock);
	return rc == 0 && !tok->revoked ? 0 : -EACCES;
}

/* Who the credential is: 0 and *tok (all "" for an anonymous caller), or -EACCES. */
static int resolve(struct ledgerd *d, const struct ipc_cred *c, struct token_info *tok)
{
	memset(tok, 0, sizeof(*tok));
	switch (c->kind) {
	case IPC_CRED_NONE: return 0;
	case IPC_CRED_BEARER: return bearer(d, c->text, tok);
	case IPC_CRED_TICKET: return ticket_check(d, c->text, tok);
	default: return -EACCES;
	}
}

/* The writer's caller for a token, as api/server.c's req_caller makes it in one process. */
static void caller_of(const struct token_info *tok, struct lw_caller *c)
{
	unsigned cred_kind = c->cred_kind;

	memset(c, 0, sizeof(*c));
	c->cred_kind = cred_kind;
	c->role = !tok->id[0] ? LW_ROLE_ANONYMOUS : !strcmp(tok->role, "admin") ? LW_ROLE_ADMIN :
		  !strcmp(tok->role, "technician") ? LW_ROLE_TECH : !strcmp(tok->role, "auditor") ? LW_ROLE_AUDITOR :
		  !strcmp(tok->role, "customer") ? LW_ROLE_CUSTOMER : LW_ROLE_ANONYMOUS;
	if (c->role == LW_ROLE_CUSTOMER)
		snprintf(c->tenant, sizeof(c->tenant), "%s", tok->tenant);
	snprintf(c->actor, sizeof(c->actor), "token:%s", tok->id[0] ? tok->id : "anonymous");
}

static void free_out(struct lw_op *op)
{
	switch (op->type) {
	case LW_APPEND: case LW_ENROL: free(op->out.entry.entry); break;
	case LW_CERT_ISSUE: free(op->out.cert.cert); break;
	case LW_PATCH_AUDIT: free(op->out.patch_audit.entry); break;
	case LW_TOKEN_CREATE: explicit_bzero(op->out.token.secret, sizeof(op->out.token.secret)); break;
	default: break;
	}
}

static void answer(struct ipc_link *l, uint16_t type, uint32_t id, struct ipc_w *w, int rc)
{
	if (rc == 0)
		rc = ipc_link_send(l, type, id, w);
	(void)rc;	/* a peer gone since it asked: its call failed already */
	ipc_w_free(w);
}

static void on_lw(struct ledgerd *d, struct ipc_link *l, const struct ipc_frame *f)
{
	struct ipc_cred cred;
	struct lw_op op;
	struct token_info tok;
	struct ipc_w w = { 0 };
	char err[IPC_ERR_MAX] = "";
	int rc;

	rc = ipc_dec_lw_req(f, &cred, &op);
	if (rc < 0) {
		api_log(d->a, "error: refused an operation from the %s process: a malformed frame (%s)",
			l == d->http ? "http" : "devices", strerror(-rc));
		memset(&op, 0, sizeof(op));
		op.type = LW_CHECKPOINT;	/* an answer of no output */
		snprintf(err, sizeof(err), "a malformed operation");
		answer(l, IPC_LW_REP, f->id, &w, ipc_enc_lw_rep(&w, -EPROTO, err, &op));
		return;
	}
	if (l == d->http) {
		/* the caller is who its credential says, whatever the frame claims */
		op.caller.cred_kind = cred.kind;
		if (resolve(d, &cred, &tok) < 0) {
			rc = -EACCES;
			snprintf(err, sizeof(err), "the caller's credential is not valid");
		} else {
			caller_of(&tok, &op.caller);
		}
	}
	explicit_bzero(&cred, sizeof(cred));
	if (rc == 0)
		rc = lwriter_run(d->a->writer, &op, err, sizeof(err));
	if (rc == 0 && op.type == LW_TOKEN_REVOKE)
		tokcache_clear(d->a);
	rc = ipc_enc_lw_rep(&w, rc, err, &op);
	free_out(&op);
	answer(l, IPC_LW_REP, f->id, &w, rc);
}

static void on_who(struct ledgerd *d, struct ipc_link *l, const struct ipc_frame *f, int ticket)
{
	struct ipc_cred cred;
	struct token_info tok = { 0 };
	struct ipc_w w = { 0 };
	char t[IPC_CRED_MAX] = "";
	uint64_t exp = 0;
	int rc = ipc_dec_cred(f, &cred);

	if (rc == 0 && ticket && cred.kind != IPC_CRED_BEARER)
		rc = -EACCES;
	if (rc == 0)
		rc = resolve(d, &cred, &tok);
	if (rc == 0 && ticket)
		rc = ticket_make(d, &tok, t, sizeof(t), &exp);
	explicit_bzero(&cred, sizeof(cred));
	if (rc < 0)
		memset(&tok, 0, sizeof(tok));
	rc = ipc_enc_who_rep(&w, rc < 0 ? (rc == -EACCES ? -EACCES : -EPROTO) : 0, &tok, ticket ? t : NULL, exp);
	explicit_bzero(t, sizeof(t));
	answer(l, ticket ? IPC_TICKET_REP : IPC_WHO_REP, f->id, &w, rc);
}

static void on_frame(void *ctx, struct ipc_link *l, struct ipc_frame *f)
{
	struct ledgerd *d = ctx;

	switch (f->type) {
	case IPC_LW_REQ:
		on_lw(d, l, f);
		return;
	case IPC_WHO_REQ:
		if (l == d->devices) {
			on_who(d, l, f, 0);
			return;
		}
		break;
	case IPC_TICKET_REQ:
		if (l == d->http) {
			on_who(d, l, f, 1);
			return;
		}
		break;
	default:
		break;
	}
	api_log(d->a, "error: refused a %s frame from the %s process: not one it may send here",
		ipc_type_name(f->type), l == d->http ? "http" : "devices");
}

static void link_log(void *ctx, const char *msg)
{
	struct ledgerd *d = ctx;

	api_log(d->a, "%s", msg);
}

int privsep_ledger(struct api *a)
{
	struct ledgerd *d = calloc(1, sizeof(*d));
	struct ipc_link *links[IPC_NPEERS] = { 0 }, *ctl = NULL;
	char err[300], *lpath = NULL;
	sigset_t set;
	int rc, sig, code = EXIT_FAIL;

	if (!d)
		return EXIT_FAIL;
	/* no core dump, no ptrace by the same user: the key stays in this address space (h2o's neverbleed) */
	prctl(PR_SET_DUMPABLE, 0);
	d->a = a;
	pthread_mutex_init(&d->rlock, NULL);
	pthread_rwlock_init(&a->tc.lock, NULL);	/* no api_open in this process */
	gcry_randomize(d->tkey, sizeof(d->tkey), GCRY_STRONG_RANDOM);
	lpath = state_path(a->cfg.state_dir, "ledger.db");
	rc = lpath ? ledger_open(lpath, LEDGER_RDONLY, &d->reader, err, sizeof(err)) : -ENOMEM;
	free(lpath);
	if (rc < 0) {
		sz_err("ledger process: %s", rc == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	rc = api_writer_start(a);
	if (rc < 0) {
		sz_err("ledger process: cannot start the ledger writer: %s", strerror(-rc));
		goto out;
	}
	/* the http link's workers wait on group commits: as many as the http process may send at once */
	d->http = links[IPC_PEER_HTTP] = ipc_link_new("http", on_frame, d, 64, link_log);
	d->devices = links[IPC_PEER_DEVICES] = ipc_link_new("devices", on_frame, d, 16, link_log);
	ctl = d->http && d->devices ? privsep_control(a, links) : NULL;
	if (!ctl || privsep_ready(ctl, IPC_PEER_LEDGER) < 0) {
		sz_err("ledger process: cannot start its links");
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) == 0 && sig != SIGHUP)
			break;
	}
	code = EXIT_OK;
out:
	/* the requests in progress are answered before the links close, then the writer attests its tail */
	ipc_link_free(ctl);	/* no new links from here on */
	ipc_link_free(d->http);
	ipc_link_free(d->devices);
	lwriter_stop(a->writer);
	a->writer = NULL;
	ledger_close(d->reader);
	explicit_bzero(d->tkey, sizeof(d->tkey));
	pthread_mutex_destroy(&d->rlock);
	free(d);
	return code;
}
