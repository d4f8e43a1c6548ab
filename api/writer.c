#include "api/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "api/api.h"
#include "audit/ledger.h"
#include "core/state.h"

struct wop {
	int (*fn)(struct ledger *l, void *ctx);
	void *ctx;
	int group;
	int rc;
	int done;
	char *err;
	size_t errlen;
	pthread_cond_t cv;	/* its own: a finished op wakes its waiter only */
	struct wop *next;
};

struct writer {
	struct api *a;
	pthread_t th;

	pthread_mutex_t m;
	pthread_cond_t work;
	struct wop *head, *tail;
	int stop;
};

static void finish(struct writer *w, struct wop *op, int rc, const char *msg)
{
	op->rc = rc;
	/* msg NULL: the message is in op->err already */
	if (rc < 0 && msg && op->err && op->errlen)
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

/* All grouped operations of one round: one transaction, one fsync. */
static void run_group(struct writer *w, struct wop **ops, size_t n)
{
	struct ledger *l = w->a->st->ledger;
	int rc = ledger_begin(l);
	size_t i;

	test_delay();

	if (rc < 0) {
		for (i = 0; i < n; i++)
			finish(w, ops[i], rc, ledger_errmsg(l));
		return;
	}
	for (i = 0; i < n; i++) {
		ops[i]->rc = ops[i]->fn(l, ops[i]->ctx);
		if (ops[i]->rc < 0 && ops[i]->err)
			snprintf(ops[i]->err, ops[i]->errlen, "%s", ledger_errmsg(l));
		if (!ledger_in_batch(l))
			break;	/* a storage failure rolled the whole batch back */
	}
	if (i < n || (rc = ledger_commit(l)) < 0) {
		int bad = i < n ? ops[i]->rc : rc;
		for (size_t j = 0; j < n; j++)
			finish(w, ops[j], bad, "the ledger could not store the entry; nothing was written");
		return;
	}
	for (i = 0; i < n; i++)
		finish(w, ops[i], ops[i]->rc, NULL);
}

static void *loop(void *arg)
{
	struct writer *w = arg;
	struct ledger *l = w->a->st->ledger;
	struct wop *batch[256];
	unsigned ms = w->a->cfg.ckpt_every_ms ? w->a->cfg.ckpt_every_ms : 10000;

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
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += ms / 1000;
			ts.tv_nsec += (long)(ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&w->work, &w->m, &ts) == ETIMEDOUT && !w->head) {
				/* quiet: attest whatever the policy left unattested */
				pthread_mutex_unlock(&w->m);
				if (ledger_checkpoint(l, w->a->st->key, w->a->st->origin, NULL) < 0)
					api_log(w->a, "error: cannot sign a checkpoint: %s", ledger_errmsg(l));
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
				int rc = op->fn(l, op->ctx);
				finish(w, op, rc, ledger_errmsg(l));
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
	if (ledger_checkpoint(l, w->a->st->key, w->a->st->origin, NULL) < 0)
		api_log(w->a, "error: cannot sign the final checkpoint: %s", ledger_errmsg(l));
	return NULL;
}

int writer_start(struct api *a, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->a = a;
	pthread_mutex_init(&w->m, NULL);
	pthread_cond_init(&w->work, NULL);
	/*
	 * SQLite checkpoints the WAL inside the commit that crosses 1000 pages.
	 * We measured a separate checkpoint thread: its fsyncs compete with the
	 * commits' for the disk and tripled the p99 of appends, so checkpoints
	 * stay serialised with commits; the WAL is kept to 64 MiB once reset.
	 */
	sqlite3_exec(ledger_sqlite(a->st->ledger), "PRAGMA journal_size_limit=67108864", NULL, NULL, NULL);
	if (pthread_create(&w->th, NULL, loop, w) != 0) {
		free(w);
		return -EAGAIN;
	}
	*out = w;
	return 0;
}

void writer_stop(struct writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->m);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->m);
	pthread_join(w->th, NULL);
	/* the last word: everything into the database file */
	sqlite3_wal_checkpoint_v2(ledger_sqlite(w->a->st->ledger), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	free(w);
}

int api_write(struct api *a, int group, int (*fn)(struct ledger *l, void *ctx), void *ctx,
	      char *err, size_t errlen)
{
	struct writer *w = a->writer;
	struct wop op = { .fn = fn, .ctx = ctx, .group = group, .err = err, .errlen = errlen };

	if (err && errlen)
		err[0] = '\0';
	pthread_cond_init(&op.cv, NULL);
	pthread_mutex_lock(&w->m);
	if (w->stop) {
		pthread_mutex_unlock(&w->m);
		pthread_cond_destroy(&op.cv);
		if (err)
			snprintf(err, errlen, "the daemon is stopping");
		return -ESHUTDOWN;
	}
	if (w->tail)
		w->tail->next = &op;
	else
		w->head = &op;
	w->tail = &op;
	pthread_cond_signal(&w->work);
	while (!op.done)
		pthread_cond_wait(&op.cv, &w->m);
	pthread_mutex_unlock(&w->m);
	pthread_cond_destroy(&op.cv);
	return op.rc;
}

static int sign_now(struct ledger *l, void *ctx)
{
	struct api *a = ctx;

	(void)l;
	return ledger_checkpoint(a->st->ledger, a->st->key, a->st->origin, NULL);
}

/*
 * The latest signed checkpoint.  Reads never sign: the daemon signs on its
 * own schedule (--checkpoint-every N entries or --checkpoint-interval ms at
 * commit, and the writer's quiet timer for a tail), so anonymous requests
 * cannot add rows to the database (issue 11).  The one exception is a
 * ledger with no checkpoint at all, whose first one is signed here, once.
 */
int api_checkpoint(struct api *a, char **note)
{
	struct ledger *l = api_read_acquire(a);
	char *text = NULL, err[256];
	int rc;

	rc = ledger_checkpoint_latest(l, &text);
	api_read_release(a, l);
	if (rc == -ENOENT) {
		rc = api_write(a, 0, sign_now, a, err, sizeof(err));
		if (rc == 0) {
			l = api_read_acquire(a);
			rc = ledger_checkpoint_latest(l, &text);
			api_read_release(a, l);
		}
	}
	if (rc == 0)
		*note = text;
	else
		free(text);
	return rc;
}
