#include "drivers/ioq.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "util/xio.h"

struct ioq_slot {
	void *buf;
	uint64_t off;
	size_t len;
	int busy;
};

struct ioq {
	int fd;
	unsigned depth;
	size_t io_size;
	int have_ring;
	struct io_uring ring;
	struct ioq_slot slot[IOQ_MAX_DEPTH];
	void *scratch;
};

int ioq_new(int fd, unsigned depth, size_t io_size, struct ioq **out)
{
	struct ioq *q;
	unsigned i;

	if (fd < 0 || depth == 0 || depth > IOQ_MAX_DEPTH || io_size == 0 ||
	    io_size > IOQ_MAX_IO_SIZE || io_size % IOQ_ALIGN)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->fd = fd;
	q->depth = depth;
	q->io_size = io_size;
	for (i = 0; i < depth; i++)
		if (posix_memalign(&q->slot[i].buf, IOQ_ALIGN, io_size))
			goto nomem;
	if (posix_memalign(&q->scratch, IOQ_ALIGN, io_size))
		goto nomem;
	/* io_uring may be refused (seccomp, io_uring_disabled): fall back to pwrite */
	if (io_uring_queue_init(depth, &q->ring, 0) == 0)
		q->have_ring = 1;
	*out = q;
	return 0;
nomem:
	ioq_free(q);
	return -ENOMEM;
}

void ioq_free(struct ioq *q)
{
	unsigned i;

	if (!q)
		return;
	if (q->have_ring)
		io_uring_queue_exit(&q->ring);
	for (i = 0; i < q->depth; i++)
		free(q->slot[i].buf);
	free(q->scratch);
	free(q);
}

int ioq_uring(const struct ioq *q)
{
	return q->have_ring;
}

size_t ioq_io_size(const struct ioq *q)
{
	return q->io_size;
}

void *ioq_scratch(struct ioq *q)
{
	return q->scratch;
}

/* Keep the lowest failure: completions arrive out of order. */
static void note_fail(struct ioq_status *st, uint64_t *fail_io, int err, uint64_t off,
		      uint64_t io_off, int mismatch)
{
	if (st->err && st->fail_off <= off)
		return;
	st->err = err;
	st->fail_off = off;
	st->mismatch = mismatch;
	*fail_io = io_off;
}

/* The result of one finished I/O: res is bytes moved or -errno. */
static void complete(struct ioq *q, int write, const struct ioq_ops *ops, struct ioq_slot *s,
		     long res, struct ioq_status *st, uint64_t *fail_io)
{
	uint64_t bad = 0;
	int rc;

	if (res < 0) {
		note_fail(st, fail_io, (int)-res, s->off, s->off, 0);
		return;
	}
	if ((size_t)res < s->len) {
		/* a short transfer on a block device is the end of good media */
		note_fail(st, fail_io, EIO, s->off + (uint64_t)res, s->off, 0);
		return;
	}
	if (!write && ops->check) {
		rc = ops->check(ops->ctx, s->buf, s->off, s->len, &bad);
		if (rc == -EILSEQ) {
			note_fail(st, fail_io, EILSEQ, bad, s->off, 1);
			return;
		}
		if (rc < 0) {
			note_fail(st, fail_io, -rc, s->off, s->off, 0);
			return;
		}
	}
	st->bytes_done += s->len;
	(void)q;
}

/* Synchronous I/O for one slot, when io_uring is unavailable. */
static long sync_io(struct ioq *q, int write, const void *buf, struct ioq_slot *s)
{
	int rc;

	if (write)
		rc = xpwrite_full(q->fd, buf, s->len, (off_t)s->off);
	else
		rc = xpread_full(q->fd, s->buf, s->len, (off_t)s->off);
	return rc < 0 ? rc : (long)s->len;
}

int ioq_run(struct ioq *q, int write, const struct ioq_range *ranges, size_t n,
	    const struct ioq_ops *ops, struct ioq_status *st)
{
	size_t r = 0;
	uint64_t pos = 0, fail_io = 0;
	struct ioq_slot *pend[IOQ_MAX_DEPTH];	/* queued since the last submit, in order */
	unsigned inflight = 0, queued = 0, i;
	int stop = 0, rc;

	memset(st, 0, sizeof(*st));
	while (r < n && ranges[r].len == 0)
		r++;
	for (;;) {
		/* keep the queue full; fill the next buffer while others are in flight */
		while (!stop && r < n && inflight < q->depth) {
			struct ioq_slot *s = NULL;
			const void *buf;
			long res;

			for (i = 0; i < q->depth && !s; i++)
				if (!q->slot[i].busy)
					s = &q->slot[i];
			s->off = ranges[r].off + pos;
			s->len = ranges[r].len - pos < q->io_size ? (size_t)(ranges[r].len - pos) : q->io_size;
			buf = s->buf;
			if (write && ops->shared) {
				buf = ops->shared;
			} else if (write && ops->fill) {
				rc = ops->fill(ops->ctx, s->buf, s->off, s->len);
				if (rc < 0) {
					note_fail(st, &fail_io, -rc, s->off, s->off, 0);
					stop = 1;
					break;
				}
			}
			pos += s->len;
			if (pos == ranges[r].len) {
				pos = 0;
				do
					r++;
				while (r < n && ranges[r].len == 0);
			}
			if (!q->have_ring) {
				res = sync_io(q, write, buf, s);
				complete(q, write, ops, s, res, st, &fail_io);
				if (st->err)
					stop = 1;
				else if (ops->tick && ops->tick(ops->ctx, st->bytes_done))
					stop = st->cancelled = 1;
				continue;
			}
			struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
			if (!sqe) {
				note_fail(st, &fail_io, EAGAIN, s->off, s->off, 0);
				stop = 1;
				break;
			}
			if (write)
				io_uring_prep_write(sqe, q->fd, buf, (unsigned)s->len, s->off);
			else
				io_uring_prep_read(sqe, q->fd, s->buf, (unsigned)s->len, s->off);
			io_uring_sqe_set_data(sqe, s);
			s->busy = 1;
			inflight++;
			pend[queued++] = s;
		}
		/*
		 * One system call for everything queued since the last one.  The
		 * ring is FIFO: if the kernel takes only some, they are the first
		 * ones queued, and the rest fail the run where they start.
		 */
		if (queued) {
			unsigned done = 0;

			do {
				rc = io_uring_submit(&q->ring);
				if (rc > 0)
					done += (unsigned)rc;
			} while ((rc > 0 && done < queued) || rc == -EINTR);
			for (i = done; i < queued; i++) {
				pend[i]->busy = 0;
				inflight--;
				note_fail(st, &fail_io, rc < 0 ? -rc : EAGAIN, pend[i]->off, pend[i]->off, 0);
				stop = 1;
			}
			queued = 0;
		}
		if (inflight == 0)
			break;
		struct io_uring_cqe *cqe;
		do
			rc = io_uring_wait_cqe(&q->ring, &cqe);
		while (rc == -EINTR);
		if (rc < 0) {
			/* the ring is broken; the I/Os in flight cannot be accounted for */
			st->err = -rc;
			return rc;
		}
		/* this one and every other already finished, before refilling the queue */
		do {
			struct ioq_slot *s = io_uring_cqe_get_data(cqe);
			long res = cqe->res;

			io_uring_cqe_seen(&q->ring, cqe);
			s->busy = 0;
			inflight--;
			complete(q, write, ops, s, res, st, &fail_io);
			if (st->err)
				stop = 1;
			else if (!stop && ops->tick && ops->tick(ops->ctx, st->bytes_done))
				stop = st->cancelled = 1;
		} while (inflight && io_uring_peek_cqe(&q->ring, &cqe) == 0);
	}
	/* after the drain every submitted I/O below the cursor has completed */
	if (st->err) {
		st->resume = fail_io;
		st->cancelled = 0;
		return -st->err;
	}
	st->resume = r < n ? ranges[r].off + pos : (n ? ranges[n - 1].off + ranges[n - 1].len : 0);
	return st->cancelled ? -ECANCELED : 0;
}
