/*
 * defer — threads that answer writing requests while their connections are
 * suspended, so that waiting for the ledger's commit holds no HTTP thread
 * (api/defer.c).
 */
#ifndef SZ_DEFER_H
#define SZ_DEFER_H

struct defer;
struct req;

/* nthreads threads calling run(r) for each submitted request.  0 or -errno. */
int defer_start(unsigned nthreads, void (*run)(struct req *r), struct defer **out);
/*
 * Queue r (its connection already suspended): run(r) is called on a defer
 * thread, r->deferred becomes 2 and the connection is resumed.  0, or
 * -ESHUTDOWN once defer_stop began (the caller answers inline).
 */
int defer_submit(struct defer *d, struct req *r);
/* A deferred request's answer was queued, or its connection closed. */
void defer_answered(struct defer *d);
/*
 * Take no more; run what is queued; join; then wait up to wait_ms for the
 * answers to be queued on their connections.  defer_stop(NULL) is a no-op.
 */
void defer_stop(struct defer *d, unsigned wait_ms);
void defer_free(struct defer *d);

#endif
