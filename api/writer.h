/*
 * writer — the one thread that writes the ledger.  Requests hand it
 * operations and wait; appends that arrive together share one transaction
 * and one fsync (group commit), and a signed checkpoint covers them by the
 * configured policy.  A timer attests a quiet tail every ckpt_every_ms.
 */
#ifndef SZ_WRITER_H
#define SZ_WRITER_H

struct api;
struct writer;

/* Start the thread over a->st->ledger.  0 or -errno. */
int writer_start(struct api *a, struct writer **out);
/* Finish queued work, attest the tail, join.  writer_stop(NULL) is a no-op. */
void writer_stop(struct writer *w);

#endif
