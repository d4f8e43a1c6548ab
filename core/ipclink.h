/*
 * ipclink — one process's end of a link to a peer process (core/ipc.h
 * frames over a socket): calls that wait for their reply, replies and
 * notices, and a reader thread that hands the peer's requests to a handler,
 * inline or on a small pool of workers.  A link outlives its connections:
 * when the peer dies (end of stream) every call waiting on it fails with
 * -EPIPE, new calls wait up to their wait_ms for the next connection, which
 * the parent process hands over with ipc_link_attach when it has restarted
 * the peer.
 */
#ifndef SZ_IPCLINK_H
#define SZ_IPCLINK_H
#include <stdint.h>

#include "core/ipc.h"

struct ipc_link;

/*
 * A request or notice from the peer; the handler answers with ipc_link_send
 * (the request's f->id).  The link frees f when the handler returns: a
 * handler that keeps the frame's fd sets f->fd to -1.
 */
typedef void (*ipc_on_frame)(void *ctx, struct ipc_link *l, struct ipc_frame *f);

/*
 * A link named name (for logs) whose peer's requests go to on_req: on the
 * reader thread when workers is 0 (the handler must be quick), else on that
 * many worker threads.  log (may be NULL) gets the link's own errors: a
 * frame refused, a peer gone.  NULL on ENOMEM or when threads cannot start.
 */
struct ipc_link *ipc_link_new(const char *name, ipc_on_frame on_req, void *ctx, unsigned workers,
			      void (*log)(void *ctx, const char *msg));
/* Use socket fd (taken) from now on; a previous connection ends, its waiting calls fail with -EPIPE. */
int ipc_link_attach(struct ipc_link *l, int fd);
/* Call fn(ctx) on the reader thread when the current connection ends (not at ipc_link_free); before the first attach. */
void ipc_link_on_down(struct ipc_link *l, void (*fn)(void *ctx), void *ctx);
/* 1 while a connection is up. */
int ipc_link_up(struct ipc_link *l);
/*
 * Send a request of type with payload w (NULL: empty) and wait for the
 * peer's answer of rep_type with the same id into *rep (the caller frees it
 * with ipc_frame_free).  With no connection, wait up to wait_ms for one.
 * 0, or -ENOTCONN (none came), -EPIPE (the peer went away before it
 * answered), -ETIMEDOUT (no answer in IPC_CALL_TIMEOUT_MS), -EPROTO (an
 * answer of another type), -ESHUTDOWN (the link is closing), or ipc_send's.
 */
#define IPC_CALL_TIMEOUT_MS 120000
int ipc_link_call(struct ipc_link *l, uint16_t type, const struct ipc_w *w, uint16_t rep_type,
		  struct ipc_frame *rep, unsigned wait_ms);
/* Send an answer (id of the request) or a notice (id 0).  0 or -errno; -ENOTCONN without a connection. */
int ipc_link_send(struct ipc_link *l, uint16_t type, uint32_t id, const struct ipc_w *w);
/*
 * Close the connection and stop the threads (the handlers in progress
 * finish first); the link stays valid: a send or call on it fails with
 * -ENOTCONN or -ESHUTDOWN.  ipc_link_free does it too, then frees.  Both NULL-safe.
 */
void ipc_link_close(struct ipc_link *l);
void ipc_link_free(struct ipc_link *l);

#endif
