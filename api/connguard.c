#include "api/connguard.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/xio.h"

enum phase { WAIT_HEADERS, WAIT_BODY, HANDLING };

struct slot {
	int used;
	int fd;
	enum phase phase;
	double since;		/* when the current request's clock started */
	int cut;		/* already shut down */
};

struct connguard {
	pthread_mutex_t m;
	pthread_cond_t wake;
	pthread_t th;
	int stop;
	unsigned header_s, request_s, max_params;
	unsigned cap;
	unsigned long long ncut;
	struct slot *slots;
};

/* Cut a connection off: the daemon sees the client gone and cleans up.  Under g->m. */
static void cut(struct connguard *g, struct slot *s)
{
	if (!s->cut) {
		(void)shutdown(s->fd, SHUT_RDWR);
		s->cut = 1;
		g->ncut++;
	}
}

static void *watchdog(void *arg)
{
	struct connguard *g = arg;
	struct timespec ts;

	pthread_mutex_lock(&g->m);
	while (!g->stop) {
		double now = xmono();

		for (unsigned i = 0; i < g->cap; i++) {
			struct slot *s = &g->slots[i];
			if (!s->used || s->cut || s->phase == HANDLING)
				continue;
			if ((s->phase == WAIT_HEADERS && now - s->since > g->header_s) ||
			    (s->phase == WAIT_BODY && now - s->since > g->request_s))
				cut(g, s);
		}
		xdeadline_ms(&ts, 250);
		pthread_cond_timedwait(&g->wake, &g->m, &ts);
	}
	pthread_mutex_unlock(&g->m);
	return NULL;
}

int connguard_new(unsigned cap, unsigned header_s, unsigned request_s, unsigned max_params,
		  struct connguard **out)
{
	struct connguard *g;
	int rc;

	if (!cap || !header_s || !request_s || !max_params)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->slots = calloc(cap, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		return -ENOMEM;
	}
	g->cap = cap;
	g->header_s = header_s;
	g->request_s = request_s;
	g->max_params = max_params;
	pthread_mutex_init(&g->m, NULL);
	pthread_cond_init(&g->wake, NULL);
	rc = pthread_create(&g->th, NULL, watchdog, g);
	if (rc) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->m);
		free(g->slots);
		free(g);
		return -rc;
	}
	*out = g;
	return 0;
}

void connguard_free(struct connguard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->m);
	g->stop = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->m);
	pthread_join(g->th, NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->m);
	free(g->slots);
	free(g);
}

static struct slot *slot_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void connguard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	struct connguard *g = cls;
	struct slot *s = *socket_context;

	pthread_mutex_lock(&g->m);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		for (unsigned i = 0; ci && i < g->cap; i++) {
			if (!g->slots[i].used) {
				g->slots[i] = (struct slot){ .used = 1, .fd = ci->connect_fd, .phase = WAIT_HEADERS,
							     .since = xmono() };
				*socket_context = &g->slots[i];
				break;
			}
		}
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && s) {
		/* called before the daemon closes the descriptor: after this it may be reused */
		s->used = 0;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&g->m);
}

void *connguard_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct connguard *g = cls;
	struct slot *s = slot_of(c);
	const char *q = uri ? strchr(uri, '?') : NULL;
	unsigned n = q && q[1] ? 1 : 0;

	for (; q && *q; q++)
		n += *q == '&';
	if (s && n > g->max_params) {
		pthread_mutex_lock(&g->m);
		cut(g, s);
		pthread_mutex_unlock(&g->m);
	}
	return NULL;
}

static void set_phase(struct connguard *g, struct MHD_Connection *c, enum phase p, int restart)
{
	struct slot *s = slot_of(c);

	if (!s)
		return;
	pthread_mutex_lock(&g->m);
	if (s->used) {
		s->phase = p;
		if (restart)
			s->since = xmono();
	}
	pthread_mutex_unlock(&g->m);
}

void connguard_headers(struct connguard *g, struct MHD_Connection *c)
{
	set_phase(g, c, WAIT_BODY, 0);
}

void connguard_received(struct connguard *g, struct MHD_Connection *c)
{
	set_phase(g, c, HANDLING, 0);
}

void connguard_completed(struct connguard *g, struct MHD_Connection *c)
{
	set_phase(g, c, WAIT_HEADERS, 1);
}

unsigned long long connguard_cut(struct connguard *g)
{
	unsigned long long n;

	pthread_mutex_lock(&g->m);
	n = g->ncut;
	pthread_mutex_unlock(&g->m);
	return n;
}
