/*
 * defer — the threads that answer writing requests (issue 11, the soak's
 * tail).  A POST or DELETE waits for the ledger writer's group commit and
 * its fsync; run on a libmicrohttpd pool thread, that wait also held every
 * other connection the thread serves.  The access handler instead suspends
 * the connection (microhttpd.h: MHD_suspend_connection, allowed with
 * MHD_ALLOW_SUSPEND_RESUME), queues the request here, and returns; a defer
 * thread routes it as the handler would have, keeps the response in the
 * request, and resumes the connection, whose handler is then called again
 * and queues that response.  While a request waits, its connection is not
 * polled, so nothing else touches it.
 */
#include "api/defer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api/api.h"
#include "util/xio.h"

struct defer {
	pthread_mutex_t m;
	pthread_cond_t work, idle;
	struct req *head, *tail;
	unsigned long pending;		/* submitted and not yet answered */
	int stop;
	void (*run)(struct req *r);
	size_t n;
	pthread_t th[];
};

static void *loop(void *arg)
{
	struct defer *d = arg;
	struct req *r;

	/*
	 * A write's path (this thread, then the writer's commit) runs before
	 * the reads that compete with it for the CPU, as the writer does (a
	 * Linux thread has its own nice value; without the privilege this
	 * quietly stays 0).
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -5);
	pthread_mutex_lock(&d->m);
	for (;;) {
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->work, &d->m);
		if (!d->head)
			break;
		r = d->head;
		d->head = r->dnext;
		if (!d->head)
			d->tail = NULL;
		pthread_mutex_unlock(&d->m);
		d->run(r);
		r->deferred = 2;	/* answered: the handler queues r->dout when called again */
		MHD_resume_connection(r->conn);
		pthread_mutex_lock(&d->m);
	}
	pthread_mutex_unlock(&d->m);
	return NULL;
}

int defer_start(unsigned nthreads, void (*run)(struct req *r), struct defer **out)
{
	struct defer *d;

	if (!nthreads)
		return -EINVAL;
	d = calloc(1, sizeof(*d) + nthreads * sizeof(pthread_t));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->m, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->idle, NULL);
	d->run = run;
	for (; d->n < nthreads; d->n++)
		if (pthread_create(&d->th[d->n], NULL, loop, d) != 0)
			break;
	if (!d->n) {
		free(d);
		return -EAGAIN;
	}
	*out = d;
	return 0;
}

int defer_submit(struct defer *d, struct req *r)
{
	pthread_mutex_lock(&d->m);
	if (d->stop) {
		pthread_mutex_unlock(&d->m);
		return -ESHUTDOWN;
	}
	r->deferred = 1;
	r->dnext = NULL;
	if (d->tail)
		d->tail->dnext = r;
	else
		d->head = r;
	d->tail = r;
	d->pending++;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->m);
	return 0;
}

void defer_answered(struct defer *d)
{
	pthread_mutex_lock(&d->m);
	if (d->pending && !--d->pending)
		pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->m);
}

void defer_stop(struct defer *d, unsigned wait_ms)
{
	struct timespec ts;

	if (!d)
		return;
	pthread_mutex_lock(&d->m);
	d->stop = 1;
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->m);
	for (size_t i = 0; i < d->n; i++)
		pthread_join(d->th[i], NULL);
	/* every queued request was run; give their answers the time to go out */
	xdeadline_ms(&ts, wait_ms);
	pthread_mutex_lock(&d->m);
	while (d->pending)
		if (pthread_cond_timedwait(&d->idle, &d->m, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&d->m);
}

void defer_free(struct defer *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->m);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->idle);
	free(d);
}
