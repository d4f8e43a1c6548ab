/*
 * ioq — a bounded queue of aligned O_DIRECT I/Os over one descriptor,
 * through io_uring (liburing), with a synchronous pread/pwrite fallback
 * where io_uring is unavailable (seccomp, old kernels).  The overwrite
 * engine writes through it and verification reads through it.
 *
 * Memory is bounded when the queue is made: depth buffers of io_size bytes,
 * 4096-aligned (O_DIRECT needs the logical block size; 4096 covers 512 and
 * 4096-byte devices).  Completions come back out of order; ioq_run reports
 * the lowest failing offset, never the first one to complete.
 */
#ifndef SZ_IOQ_H
#define SZ_IOQ_H
#include <stddef.h>
#include <stdint.h>

#define IOQ_MAX_DEPTH 64
#define IOQ_MAX_IO_SIZE (16u << 20)
#define IOQ_ALIGN 4096

struct ioq;

/* One byte range [off, off + len) to write or read. */
struct ioq_range {
	uint64_t off;
	uint64_t len;
};

/*
 * What ioq_run does with each I/O.  For writes, shared (if not NULL) is
 * written everywhere and fill is not called: a zero or ones pass then costs
 * no CPU beyond the system calls.  Otherwise fill writes the data for
 * [off, off + len) into buf before submission, while other I/Os are in
 * flight.  For reads, check is called on each completed buffer; it returns 0,
 * or -EILSEQ with *bad set to the absolute offset of the first wrong byte.
 * tick is called after completions with the bytes done so far; a non-zero
 * return stops the run at a safe point (cancellation).
 */
struct ioq_ops {
	const void *shared;
	int (*fill)(void *ctx, void *buf, uint64_t off, size_t len);
	int (*check)(void *ctx, const void *buf, uint64_t off, size_t len, uint64_t *bad);
	int (*tick)(void *ctx, uint64_t bytes_done);
	void *ctx;
};

/* How a run ended. */
struct ioq_status {
	uint64_t bytes_done;	/* completed successfully */
	uint64_t resume;	/* every byte of the ranges below this completed (one range runs) */
	int cancelled;		/* tick asked to stop */
	int err;		/* positive errno of the failure, 0 if none */
	uint64_t fail_off;	/* lowest failing offset, valid when err != 0 */
	int mismatch;		/* err is EILSEQ: check found wrong data at fail_off */
};

/*
 * A queue of depth I/Os of at most io_size bytes over fd (opened by the
 * caller, O_DIRECT or not).  depth 1..IOQ_MAX_DEPTH, io_size a multiple of
 * IOQ_ALIGN up to IOQ_MAX_IO_SIZE.  *out is freed with ioq_free.  0, -EINVAL
 * or -ENOMEM.
 */
int ioq_new(int fd, unsigned depth, size_t io_size, struct ioq **out);
/* ioq_free(NULL) is a no-op.  The descriptor stays open (the caller's). */
void ioq_free(struct ioq *q);
/* 1 if io_uring is in use, 0 for the synchronous fallback. */
int ioq_uring(const struct ioq *q);
/* The largest I/O, as given to ioq_new. */
size_t ioq_io_size(const struct ioq *q);
/* An aligned scratch buffer of io_size bytes that ioq_run never uses. */
void *ioq_scratch(struct ioq *q);

/*
 * Write (write = 1) or read the ranges in order, each cut into I/Os of at most
 * io_size.  Every length and offset must be a multiple of the device's logical
 * block size when the descriptor is O_DIRECT.  Returns 0 when every byte was
 * done, -ECANCELED when tick stopped it, or -errno of the failure (-EILSEQ for
 * a mismatch, -EIO for a short transfer); *st says where in every case.
 */
int ioq_run(struct ioq *q, int write, const struct ioq_range *ranges, size_t n,
	    const struct ioq_ops *ops, struct ioq_status *st);

#endif
