/*
 * connguard — absolute deadlines for a client to deliver its request
 * (issue 11: slowloris).  libmicrohttpd's own timeout is an idle timeout: a
 * client that sends a byte every few seconds keeps a connection forever.
 * The guard tracks each connection from its start (and each further request
 * on a kept-alive one from the end of the previous), and a watchdog thread
 * shuts down the socket of any connection that has not delivered its
 * headers within header_s, or its whole request within request_s; the
 * daemon then closes it as a connection the client dropped.  A request
 * line with more than max_params query parameters is cut off at once
 * (libmicrohttpd 0.9.75 stalls on those until its idle timeout).
 *
 * Per-address connection limits are libmicrohttpd's own
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT); the guard only adds the deadlines.
 */
#ifndef SZ_CONNGUARD_H
#define SZ_CONNGUARD_H

#include <microhttpd.h>

struct connguard;

/*
 * A guard for at most cap connections at once, with its watchdog thread.
 * 0 with *out, -EINVAL for a zero cap or deadline, -ENOMEM, -errno of the thread.
 */
int connguard_new(unsigned cap, unsigned header_s, unsigned request_s, unsigned max_params,
		  struct connguard **out);
/* Stop the watchdog and free; connguard_free(NULL) is a no-op.  Call after the daemon stopped. */
void connguard_free(struct connguard *g);

/* The daemon's callbacks (MHD_OPTION_NOTIFY_CONNECTION, MHD_OPTION_URI_LOG_CALLBACK). */
void connguard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode code);
void *connguard_uri(void *cls, const char *uri, struct MHD_Connection *c);
/* The request's headers are in (first call of the access handler). */
void connguard_headers(struct connguard *g, struct MHD_Connection *c);
/* The whole request is in: no deadline while the handler runs. */
void connguard_received(struct connguard *g, struct MHD_Connection *c);
/* The response went out: the next request on this connection starts its clock now. */
void connguard_completed(struct connguard *g, struct MHD_Connection *c);
/* Connections cut off so far, for /metrics.  Cannot fail. */
unsigned long long connguard_cut(struct connguard *g);

#endif
