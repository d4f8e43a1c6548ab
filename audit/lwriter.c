#include "audit/lwriter.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "util/xio.h"

#define ALL_ROLES (LW_ROLE_ADMIN | LW_ROLE_TECH | LW_ROLE_AUDITOR | LW_ROLE_CUSTOMER | LW_ROLE_ANONYMOUS | \
		   LW_ROLE_SERVICE)

/*
 * Who may ask for what (SPEC section 6's routes; admin may call every one),
 * and which operations share a transaction.  The service is the daemon's own
 * job manager: it writes the sanitize_* entries.
 */
static const struct {
	const char *name;
	unsigned roles;
	int group;
} ops[LW_NTYPES] = {
	[LW_APPEND] = { "append an event", LW_ROLE_ADMIN | LW_ROLE_TECH | LW_ROLE_SERVICE, 1 },
	[LW_ENROL] = { "enrol an asset", LW_ROLE_ADMIN | LW_ROLE_TECH, 1 },
	[LW_CERT_ISSUE] = { "issue a certificate", LW_ROLE_ADMIN | LW_ROLE_TECH, 0 },
	[LW_TOKEN_CREATE] = { "create a token", LW_ROLE_ADMIN, 0 },
	[LW_TOKEN_REVOKE] = { "revoke a token", LW_ROLE_ADMIN, 0 },
	[LW_PATCH_AUDIT] = { "record a patch audit", LW_ROLE_ADMIN | LW_ROLE_TECH, 0 },
	/* anyone: the first checkpoint of a ledger is signed on a reader's demand (issue 11) */
	[LW_CHECKPOINT] = { "sign a checkpoint", ALL_ROLES, 0 },
};

struct wop {
	struct lw_op *op;
	json_t *json;		/* the op's JSON text, parsed by lwriter_run, or NULL */
	json_t *res;		/* a JSON result (cert, patch audit) before it becomes text */
	int group;
	int rc;
	int done;
	char *err;
	size_t errlen;
	pthread_cond_t cv;	/* its own: a finished op wakes its waiter only */
	struct wop *next;
};

struct lwriter {
	struct ledger *l;
	struct sz_key *key;
	char *origin;
	unsigned every_ms;
	struct cert_config cert;
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	pthread_t th;

	pthread_mutex_t m;
	pthread_cond_t work;
	struct wop *head, *tail;
	int stop;
	unsigned long commits;
};

static void wlog(struct lwriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wlog(struct lwriter *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!w->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->log(w->log_ctx, msg);
}

static void finish(struct lwriter *w, struct wop *op, int rc, const char *msg)
{
	op->rc = rc;
	/* keep a message the operation wrote itself */
	if (rc < 0 && msg && op->err && op->errlen && !op->err[0])
		snprintf(op->err, op->errlen, "%s", msg);
	pthread_mutex_lock(&w->m);
	op->done = 1;
	pthread_cond_signal(&op->cv);
	pthread_mutex_unlock(&w->m);
}

#ifdef SZ_TEST_HOOKS
/* test build only: SZ_TEST_WRITER_DELAY_MS=N makes every commit take N ms longer (a slow disk) */
static void test_delay(void)
{
	const char *v = getenv("SZ_TEST_WRITER_DELAY_MS");
	unsigned long ms = v ? strtoul(v, NULL, 10) : 0;
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	if (ms)
		nanosleep(&ts, NULL);
}
#else
static void test_delay(void) {}
#endif

/* Run one checked operation on the writing connection (the writer thread only). */
static int exec(struct lwriter *w, struct wop *o)
{
	struct lw_op *op = o->op;
	const char *actor = op->caller.actor;
	char subject[LW_SUBJECT_MAX + 8];
	int rc;

	switch (op->type) {
	case LW_APPEND:
		return ledger_append(w->l, op->in.append.subject, op->in.append.type, actor, o->json, NULL,
				     &op->out.entry.seq, &op->out.entry.entry);
	case LW_ENROL:
		snprintf(subject, sizeof(subject), "asset:%s", op->in.enrol.asset_id);
		return ledger_append(w->l, subject, "enrolled", actor, o->json, NULL, &op->out.entry.seq,
				     &op->out.entry.entry);
	case LW_CERT_ISSUE:
		return cert_issue(w->l, w->key, w->origin, &w->cert, op->in.cert.asset_id, o->json, actor, &o->res,
				  o->err, o->errlen);
	case LW_TOKEN_CREATE:
		return token_create(w->l, op->in.token_create.role, op->in.token_create.name,
				    op->in.token_create.tenant, actor, &op->out.token.info, op->out.token.secret);
	case LW_TOKEN_REVOKE:
		return token_revoke(w->l, op->in.token_revoke.id, actor);
	case LW_PATCH_AUDIT:
		return patch_audit_record(w->l, op->in.patch_audit.host, o->json, actor, &o->res, o->err, o->errlen);
	case LW_CHECKPOINT:
		/* issue 11: only the daemon signs on its own schedule; a caller gets a first one, once */
		if (op->caller.role != LW_ROLE_SERVICE) {
			char *note = NULL;

			rc = ledger_checkpoint_latest(w->l, &note);
			free(note);
			if (rc != -ENOENT)
				return rc;
		}
		return ledger_checkpoint(w->l, w->key, w->origin, NULL);
	default:
		return -EINVAL;	/* lwriter_run refused it already */
	}
}

/* All grouped operations of one round: one transaction, one fsync. */
static void run_group(struct lwriter *w, struct wop **v, size_t n)
{
	int rc = ledger_begin(w->l);
	size_t i;

	test_delay();

	if (rc < 0) {
		for (i = 0; i < n; i++)
			finish(w, v[i], rc, ledger_errmsg(w->l));
		return;
	}
	for (i = 0; i < n; i++) {
		v[i]->rc = exec(w, v[i]);
		if (v[i]->rc < 0 && v[i]->err)
			snprintf(v[i]->err, v[i]->errlen, "%s", ledger_errmsg(w->l));
		if (!ledger_in_batch(w->l))
			break;	/* a storage failure rolled the whole batch back */
	}
	if (i < n || (rc = ledger_commit(w->l)) < 0) {
		int bad = i < n ? v[i]->rc : rc;
		for (size_t j = 0; j < n; j++) {
			struct lw_entry_out *e = &v[j]->op->out.entry;

			free(e->entry);
			e->entry = NULL;
			if (v[j]->err)
				v[j]->err[0] = '\0';
			finish(w, v[j], bad, "the ledger could not store the entry; nothing was written");
		}
		return;
	}
	pthread_mutex_lock(&w->m);
	w->commits++;
	pthread_mutex_unlock(&w->m);
	for (i = 0; i < n; i++)
		finish(w, v[i], v[i]->rc, NULL);
}

static void run_one(struct lwriter *w, struct wop *o)
{
	int rc = exec(w, o);

	if (rc == 0) {
		pthread_mutex_lock(&w->m);
		w->commits++;
		pthread_mutex_unlock(&w->m);
	}
	finish(w, o, rc, ledger_errmsg(w->l));
}

static void *loop(void *arg)
{
	struct lwriter *w = arg;
	struct wop *batch[256];
	unsigned ms = w->every_ms ? w->every_ms : 10000;

	/*
	 * Every appending request waits on this one thread: let the scheduler
	 * prefer it over the HTTP threads (a Linux thread has its own nice value;
	 * without the privilege this quietly stays 0).
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -5);
	pthread_mutex_lock(&w->m);
	for (;;) {
		struct timespec ts;
		size_t n = 0;
		struct wop *op;

		if (!w->head && !w->stop) {
			xdeadline_ms(&ts, ms);
			if (pthread_cond_timedwait(&w->work, &w->m, &ts) == ETIMEDOUT && !w->head) {
				/* quiet: attest whatever the policy left unattested */
				pthread_mutex_unlock(&w->m);
				if (ledger_checkpoint(w->l, w->key, w->origin, NULL) < 0)
					wlog(w, "error: cannot sign a checkpoint: %s", ledger_errmsg(w->l));
				pthread_mutex_lock(&w->m);
				continue;
			}
		}
		if (!w->head && w->stop)
			break;
		/* take the queue: grouped ones together, the others one by one, in order */
		while ((op = w->head) && n < sizeof(batch) / sizeof(batch[0])) {
			if (!op->group && n)
				break;
			w->head = op->next;
			if (!w->head)
				w->tail = NULL;
			if (!op->group) {
				pthread_mutex_unlock(&w->m);
				run_one(w, op);
				pthread_mutex_lock(&w->m);
				break;
			}
			batch[n++] = op;
		}
		if (n) {
			pthread_mutex_unlock(&w->m);
			run_group(w, batch, n);
			pthread_mutex_lock(&w->m);
		}
	}
	pthread_mutex_unlock(&w->m);
	if (ledger_checkpoint(w->l, w->key, w->origin, NULL) < 0)
		wlog(w, "error: cannot sign the final checkpoint: %s", ledger_errmsg(w->l));
	return NULL;
}

int lwriter_start(const struct lwriter_config *cfg, struct lwriter **out)
{
	struct lwriter *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w || !cfg->ledger || !cfg->key || !cfg->origin || !(w->origin = strdup(cfg->origin))) {
		int rc = !w || (cfg->ledger && cfg->key && cfg->origin) ? -ENOMEM : -EINVAL;

		key_free(cfg->key);
		if (w)
			free(w->origin);
		free(w);
		return rc;
	}
	w->l = cfg->ledger;
	w->key = cfg->key;
	w->every_ms = cfg->ckpt_every_ms;
	w->cert = cfg->cert;
	w->log = cfg->log;
	w->log_ctx = cfg->log_ctx;
	pthread_mutex_init(&w->m, NULL);
	pthread_cond_init(&w->work, NULL);
	ledger_set_signer(w->l, w->key, w->origin, cfg->ckpt_every_n ? cfg->ckpt_every_n : 1, cfg->ckpt_every_ms);
	/*
	 * SQLite checkpoints the WAL inside the commit that crosses 1000 pages.
	 * We measured a separate checkpoint thread: its fsyncs compete with the
	 * commits' for the disk and tripled the p99 of appends, so checkpoints
	 * stay serialised with commits; the WAL is kept to 64 MiB once reset.
	 */
	sqlite3_exec(ledger_sqlite(w->l), "PRAGMA journal_size_limit=67108864", NULL, NULL, NULL);
	if (pthread_create(&w->th, NULL, loop, w) != 0) {
		ledger_set_signer(w->l, NULL, NULL, 1, 0);
		key_free(w->key);
		free(w->origin);
		free(w);
		return -EAGAIN;
	}
	*out = w;
	return 0;
}

void lwriter_stop(struct lwriter *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->m);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->m);
	pthread_join(w->th, NULL);
	/* the last word: everything into the database file */
	sqlite3_wal_checkpoint_v2(ledger_sqlite(w->l), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	ledger_set_signer(w->l, NULL, NULL, 1, 0);
	key_free(w->key);
	free(w->origin);
	pthread_mutex_destroy(&w->m);
	pthread_cond_destroy(&w->work);
	free(w);
}

unsigned long lwriter_commits(struct lwriter *w)
{
	unsigned long n;

	pthread_mutex_lock(&w->m);
	n = w->commits;
	pthread_mutex_unlock(&w->m);
	return n;
}

/* A fixed string field: its NUL within the array, and not empty when required. */
static int str_ok(const char *s, size_t cap, int required)
{
	return memchr(s, '\0', cap) && (!required || s[0]);
}

static const char *role_name(unsigned role)
{
	switch (role) {
	case LW_ROLE_ADMIN: return "admin";
	case LW_ROLE_TECH: return "technician";
	case LW_ROLE_AUDITOR: return "auditor";
	case LW_ROLE_CUSTOMER: return "customer";
	case LW_ROLE_ANONYMOUS: return "anonymous caller";
	case LW_ROLE_SERVICE: return "service";
	default: return NULL;
	}
}

/* A JSON text into an object: absent is NULL (0) unless required. */
static int parse_text(const struct lw_text *t, int required, const char *what, json_t **out, char *err,
		      size_t errlen)
{
	json_error_t je;

	*out = NULL;
	if (!t->text)
		return required ? xerr(err, errlen, -EINVAL, "invalid operation: %s is required", what) : 0;
	if (t->len > LW_TEXT_MAX)
		return xerr(err, errlen, -EINVAL, "invalid operation: %s is %zu bytes, at most %d", what, t->len,
			    LW_TEXT_MAX);
	*out = json_loadb(t->text, t->len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return xerr(err, errlen, -EINVAL, "invalid operation: %s is not a JSON object", what);
	}
	return 0;
}

/*
 * The receiver checks (STYLE.md, ntpd's imsg dispatch): type, role, every
 * field's length and presence, before the operation is queued.  Parses the
 * JSON text into *json.
 */
static int check(const struct lw_op *op, json_t **json, char *err, size_t errlen)
{
	const struct lw_caller *c = &op->caller;
	const char *rn;

	*json = NULL;
	if ((int)op->type < LW_APPEND || (int)op->type >= LW_NTYPES)
		return xerr(err, errlen, -EINVAL, "invalid operation: unknown type %d", (int)op->type);
	rn = role_name(c->role);
	if (!rn)
		return xerr(err, errlen, -EINVAL, "invalid operation: unknown caller role %#x", c->role);
	if (!str_ok(c->actor, sizeof(c->actor), 1) || !str_ok(c->tenant, sizeof(c->tenant), 0))
		return xerr(err, errlen, -EINVAL, "invalid operation: the caller's actor or tenant is empty or too long");
	if ((c->role == LW_ROLE_CUSTOMER) != !!c->tenant[0])
		return xerr(err, errlen, -EINVAL, "invalid operation: a customer caller needs a tenant, and only one has");
	if (!(ops[op->type].roles & c->role))
		return xerr(err, errlen, -EPERM, "forbidden: a %s may not %s", rn, ops[op->type].name);

	switch (op->type) {
	case LW_APPEND:
		if (!str_ok(op->in.append.subject, sizeof(op->in.append.subject), 1) ||
		    !str_ok(op->in.append.type, sizeof(op->in.append.type), 1))
			return xerr(err, errlen, -EINVAL, "invalid operation: subject and type are required, "
				    "at most %d and %d bytes", LW_SUBJECT_MAX - 1, LW_TYPE_MAX - 1);
		if (!strcmp(op->in.append.type, "enrolled") || !strcmp(op->in.append.type, "host_audit"))
			return xerr(err, errlen, -EINVAL, "invalid operation: %s has an operation of its own",
				    op->in.append.type);
		if (lifecycle_type_service_only(op->in.append.type) && c->role != LW_ROLE_SERVICE)
			return xerr(err, errlen, -EPERM, "forbidden: only the service records %s",
				    op->in.append.type);
		return parse_text(&op->in.append.data, 1, "data", json, err, errlen);
	case LW_ENROL:
		if (!str_ok(op->in.enrol.asset_id, sizeof(op->in.enrol.asset_id), 1))
			return xerr(err, errlen, -EINVAL, "invalid operation: asset id is required, at most %d bytes",
				    LW_ASSET_ID_MAX - 1);
		return parse_text(&op->in.enrol.data, 1, "data", json, err, errlen);
	case LW_CERT_ISSUE:
		if (!str_ok(op->in.cert.asset_id, sizeof(op->in.cert.asset_id), 1))
			return xerr(err, errlen, -EINVAL, "invalid operation: asset id is required, at most %d bytes",
				    LW_ASSET_ID_MAX - 1);
		return parse_text(&op->in.cert.request, 0, "the request", json, err, errlen);
	case LW_TOKEN_CREATE:
		if (!str_ok(op->in.token_create.role, sizeof(op->in.token_create.role), 1) ||
		    !str_ok(op->in.token_create.name, sizeof(op->in.token_create.name), 0) ||
		    !str_ok(op->in.token_create.tenant, sizeof(op->in.token_create.tenant), 0))
			return xerr(err, errlen, -EINVAL, "invalid operation: role is required; role, name and "
				    "tenant have their NUL within 16, 128 and 128 bytes");
		return 0;
	case LW_TOKEN_REVOKE:
		if (!str_ok(op->in.token_revoke.id, sizeof(op->in.token_revoke.id), 1))
			return xerr(err, errlen, -EINVAL, "invalid operation: token id is required, at most %d bytes",
				    TOKEN_ID_LEN);
		return 0;
	case LW_PATCH_AUDIT:
		if (!str_ok(op->in.patch_audit.host, sizeof(op->in.patch_audit.host), 1))
			return xerr(err, errlen, -EINVAL, "invalid operation: host is required, at most %d bytes",
				    PATCH_AUDIT_HOST_MAX);
		return parse_text(&op->in.patch_audit.body, 1, "the body", json, err, errlen);
	case LW_CHECKPOINT:
	default:
		return 0;
	}
}

/* A JSON result as text in the op's output (the caller's thread). */
static int result_text(struct wop *o, char **dst)
{
	*dst = o->res ? json_dumps(o->res, JSON_COMPACT) : NULL;
	json_decref(o->res);
	o->res = NULL;
	return *dst ? 0 : -ENOMEM;
}

int lwriter_run(struct lwriter *w, struct lw_op *op, char *err, size_t errlen)
{
	struct wop o = { .op = op, .err = err, .errlen = errlen };
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!w || !op)
		return xerr(err, errlen, -EINVAL, "invalid operation: none given");
	rc = check(op, &o.json, err, errlen);
	if (rc < 0)
		return rc;
	memset(&op->out, 0, sizeof(op->out));
	o.group = ops[op->type].group;
	pthread_cond_init(&o.cv, NULL);
	pthread_mutex_lock(&w->m);
	if (w->stop) {
		pthread_mutex_unlock(&w->m);
		pthread_cond_destroy(&o.cv);
		json_decref(o.json);
		return xerr(err, errlen, -ESHUTDOWN, "the daemon is stopping");
	}
	if (w->tail)
		w->tail->next = &o;
	else
		w->head = &o;
	w->tail = &o;
	pthread_cond_signal(&w->work);
	while (!o.done)
		pthread_cond_wait(&o.cv, &w->m);
	pthread_mutex_unlock(&w->m);
	pthread_cond_destroy(&o.cv);
	json_decref(o.json);
	rc = o.rc;
	if (rc == 0 && op->type == LW_CERT_ISSUE)
		rc = result_text(&o, &op->out.cert.cert);
	else if (rc == 0 && op->type == LW_PATCH_AUDIT)
		rc = result_text(&o, &op->out.patch_audit.entry);
	json_decref(o.res);
	if (rc == -ENOMEM && !o.rc)
		xerr(err, errlen, rc, "cannot render the result: out of memory (the entry was recorded)");
	return rc;
}
