#include "core/ipclink.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/xio.h"

#define IPC_QUEUE_MAX 4096	/* requests waiting for a worker; the reader waits beyond */

struct pending {
	uint32_t id;
	unsigned gen;		/* the connection it was sent on */
	int done, rc;
	struct ipc_frame f;
	pthread_cond_t cv;
	struct pending *next;
};

struct qitem {
	struct ipc_frame f;
	struct qitem *next;
};

struct ipc_link {
	char name[32];
	ipc_on_frame on_req;
	void *ctx;
	void (*log)(void *ctx, const char *msg);
	void (*on_down)(void *ctx);
	void *down_ctx;
	pthread_mutex_t m;
	pthread_cond_t upcv;		/* a connection came, or closing */
	pthread_mutex_t sendm;		/* one frame at a time on the socket; guards fd against replacement */
	int fd;				/* -1 before the first attach */
	int up;				/* the reader of connection gen runs */
	int closing;
	int closed;			/* ipc_link_close has joined the threads */
	unsigned gen;
	int reader_live;		/* a reader thread to join */
	pthread_t reader;
	uint32_t next_id;
	struct pending *pend;
	/* requests for the workers */
	unsigned nworkers;
	pthread_t *workers;
	struct qitem *qh, *qt;
	size_t qn;
	pthread_cond_t qcv, qroom;
};

static void link_log(struct ipc_link *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void link_log(struct ipc_link *l, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (!l->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->log(l->ctx, msg);
}

static int is_reply(uint16_t t)
{
	return t == IPC_LW_REP || t == IPC_WHO_REP || t == IPC_TICKET_REP || t == IPC_DEV_REP || t == IPC_STATS_REP;
}

struct reader_arg {
	struct ipc_link *l;
	int fd;
	unsigned gen;
};

static void handle(struct ipc_link *l, struct ipc_frame *f)
{
	l->on_req(l->ctx, l, f);
	ipc_frame_free(f);
}

static void *reader(void *arg)
{
	struct reader_arg ra = *(struct reader_arg *)arg;
	struct ipc_link *l = ra.l;
	struct ipc_frame f;
	int rc;

	free(arg);
	for (;;) {
		rc = ipc_recv(ra.fd, &f);
		if (rc < 0)
			break;
		if (is_reply(f.type)) {
			struct pending *p;

			pthread_mutex_lock(&l->m);
			for (p = l->pend; p && !(p->id == f.id && p->gen == ra.gen); p = p->next)
				;
			if (p && !p->done) {
				p->f = f;
				p->done = 1;
				pthread_cond_signal(&p->cv);
				f.payload = NULL;
				f.fd = -1;
			}
			pthread_mutex_unlock(&l->m);
			ipc_frame_free(&f);	/* an answer nobody waits for any more (timed out) */
			continue;
		}
		if (!l->on_req) {
			link_log(l, "error: link %s: an unexpected %s frame, refused", l->name, ipc_type_name(f.type));
			ipc_frame_free(&f);
			rc = -EPROTO;
			break;
		}
		if (!l->nworkers) {
			handle(l, &f);
			continue;
		}
		{
			struct qitem *q = malloc(sizeof(*q));

			if (!q) {
				ipc_frame_free(&f);
				continue;	/* the caller's call times out; nothing else can be done */
			}
			q->f = f;
			q->next = NULL;
			pthread_mutex_lock(&l->m);
			while (l->qn >= IPC_QUEUE_MAX && !l->closing)
				pthread_cond_wait(&l->qroom, &l->m);
			if (l->qt)
				l->qt->next = q;
			else
				l->qh = q;
			l->qt = q;
			l->qn++;
			pthread_cond_signal(&l->qcv);
			pthread_mutex_unlock(&l->m);
		}
	}
	if (rc != -ECONNRESET)
		link_log(l, "error: link %s: %s; the connection is closed", l->name,
			 rc == -EPROTO || rc == -EMSGSIZE ? "the peer sent a malformed frame" : strerror(-rc));
	pthread_mutex_lock(&l->m);
	if (l->gen == ra.gen)
		l->up = 0;
	for (struct pending *p = l->pend; p; p = p->next) {
		if (p->gen == ra.gen && !p->done) {
			p->done = 1;
			p->rc = -EPIPE;
			pthread_cond_signal(&p->cv);
		}
	}
	{
		int closing = l->closing, current = l->gen == ra.gen;

		pthread_mutex_unlock(&l->m);
		/* the peer's end is gone; ours stays open (and sends fail) until the next attach */
		shutdown(ra.fd, SHUT_RDWR);
		if (l->on_down && !closing && current)
			l->on_down(l->down_ctx);
	}
	return NULL;
}

static void *worker(void *arg)
{
	struct ipc_link *l = arg;

	for (;;) {
		struct qitem *q;

		pthread_mutex_lock(&l->m);
		while (!l->qh && !l->closing)
			pthread_cond_wait(&l->qcv, &l->m);
		q = l->qh;
		if (!q) {
			pthread_mutex_unlock(&l->m);
			return NULL;
		}
		l->qh = q->next;
		if (!l->qh)
			l->qt = NULL;
		l->qn--;
		pthread_cond_signal(&l->qroom);
		pthread_mutex_unlock(&l->m);
		handle(l, &q->f);
		free(q);
	}
}

struct ipc_link *ipc_link_new(const char *name, ipc_on_frame on_req, void *ctx, unsigned workers,
			      void (*log)(void *ctx, const char *msg))
{
	struct ipc_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->on_req = on_req;
	l->ctx = ctx;
	l->log = log;
	l->fd = -1;
	pthread_mutex_init(&l->m, NULL);
	pthread_mutex_init(&l->sendm, NULL);
	pthread_cond_init(&l->upcv, NULL);
	pthread_cond_init(&l->qcv, NULL);
	pthread_cond_init(&l->qroom, NULL);
	if (workers) {
		l->workers = calloc(workers, sizeof(*l->workers));
		if (!l->workers) {
			ipc_link_free(l);
			return NULL;
		}
		for (; l->nworkers < workers; l->nworkers++) {
			if (pthread_create(&l->workers[l->nworkers], NULL, worker, l) != 0) {
				ipc_link_free(l);
				return NULL;
			}
		}
	}
	return l;
}

int ipc_link_attach(struct ipc_link *l, int fd)
{
	struct reader_arg *ra = malloc(sizeof(*ra));
	int old;

	if (!ra) {
		xclose(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&l->m);
	if (l->reader_live) {
		shutdown(l->fd, SHUT_RDWR);	/* the old reader sees its end and fails its calls */
		pthread_mutex_unlock(&l->m);
		pthread_join(l->reader, NULL);
		pthread_mutex_lock(&l->m);
		l->reader_live = 0;
	}
	pthread_mutex_lock(&l->sendm);
	old = l->fd;
	l->fd = fd;
	pthread_mutex_unlock(&l->sendm);
	if (old >= 0)
		close(old);
	l->gen++;
	*ra = (struct reader_arg){ .l = l, .fd = fd, .gen = l->gen };
	if (pthread_create(&l->reader, NULL, reader, ra) != 0) {
		pthread_mutex_unlock(&l->m);
		free(ra);
		return -EAGAIN;
	}
	l->reader_live = 1;
	l->up = 1;
	pthread_cond_broadcast(&l->upcv);
	pthread_mutex_unlock(&l->m);
	return 0;
}

void ipc_link_on_down(struct ipc_link *l, void (*fn)(void *ctx), void *ctx)
{
	l->on_down = fn;
	l->down_ctx = ctx;
}

int ipc_link_up(struct ipc_link *l)
{
	int up;

	pthread_mutex_lock(&l->m);
	up = l->up;
	pthread_mutex_unlock(&l->m);
	return up;
}

/* Send on connection gen only (a frame meant for a dead peer must not reach its successor). */
static int send_on(struct ipc_link *l, unsigned gen, uint16_t type, uint32_t id, const struct ipc_w *w)
{
	int rc;

	pthread_mutex_lock(&l->sendm);
	pthread_mutex_lock(&l->m);
	rc = l->up && (!gen || l->gen == gen) ? 0 : -ENOTCONN;
	pthread_mutex_unlock(&l->m);
	if (rc == 0)
		rc = ipc_send(l->fd, type, id, w, -1);
	pthread_mutex_unlock(&l->sendm);
	return rc;
}

int ipc_link_send(struct ipc_link *l, uint16_t type, uint32_t id, const struct ipc_w *w)
{
	return send_on(l, 0, type, id, w);
}

int ipc_link_call(struct ipc_link *l, uint16_t type, const struct ipc_w *w, uint16_t rep_type,
		  struct ipc_frame *rep, unsigned wait_ms)
{
	struct pending p = { .f = { .fd = -1 } }, **pp;
	struct timespec dl;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	rep->fd = -1;
	pthread_cond_init(&p.cv, NULL);
	pthread_mutex_lock(&l->m);
	xdeadline_ms(&dl, wait_ms);
	while (!l->up && !l->closing && rc == 0)
		rc = pthread_cond_timedwait(&l->upcv, &l->m, &dl);
	if (l->closing || !l->up) {
		pthread_mutex_unlock(&l->m);
		pthread_cond_destroy(&p.cv);
		return l->closing ? -ESHUTDOWN : -ENOTCONN;
	}
	if (++l->next_id == 0)
		l->next_id = 1;
	p.id = l->next_id;
	p.gen = l->gen;
	p.next = l->pend;
	l->pend = &p;
	pthread_mutex_unlock(&l->m);

	rc = send_on(l, p.gen, type, p.id, w);
	pthread_mutex_lock(&l->m);
	if (rc == 0) {
		int t = 0;

		xdeadline_ms(&dl, IPC_CALL_TIMEOUT_MS);
		while (!p.done && t == 0)
			t = pthread_cond_timedwait(&p.cv, &l->m, &dl);
		rc = p.done ? p.rc : -ETIMEDOUT;
	}
	for (pp = &l->pend; *pp && *pp != &p; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = p.next;
	pthread_mutex_unlock(&l->m);
	pthread_cond_destroy(&p.cv);
	if (rc == 0 && p.f.type != rep_type) {
		link_log(l, "error: link %s: a %s answered a %s", l->name, ipc_type_name(p.f.type), ipc_type_name(type));
		ipc_frame_free(&p.f);
		return -EPROTO;
	}
	if (rc < 0) {
		ipc_frame_free(&p.f);
		return rc;
	}
	*rep = p.f;
	return 0;
}

void ipc_link_close(struct ipc_link *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->m);
	if (l->closed) {
		pthread_mutex_unlock(&l->m);
		return;
	}
	l->closing = 1;
	pthread_cond_broadcast(&l->upcv);
	pthread_cond_broadcast(&l->qcv);
	pthread_cond_broadcast(&l->qroom);
	if (l->fd >= 0)
		shutdown(l->fd, SHUT_RDWR);
	pthread_mutex_unlock(&l->m);
	if (l->reader_live)
		pthread_join(l->reader, NULL);
	l->reader_live = 0;
	for (unsigned i = 0; i < l->nworkers; i++)
		pthread_join(l->workers[i], NULL);
	pthread_mutex_lock(&l->m);
	l->up = 0;
	l->closed = 1;
	pthread_mutex_unlock(&l->m);
}

void ipc_link_free(struct ipc_link *l)
{
	if (!l)
		return;
	ipc_link_close(l);
	while (l->qh) {
		struct qitem *q = l->qh;
		l->qh = q->next;
		ipc_frame_free(&q->f);
		free(q);
	}
	if (l->fd >= 0)
		close(l->fd);
	free(l->workers);
	pthread_cond_destroy(&l->qroom);
	pthread_cond_destroy(&l->qcv);
	pthread_cond_destroy(&l->upcv);
	pthread_mutex_destroy(&l->sendm);
	pthread_mutex_destroy(&l->m);
	free(l);
}
