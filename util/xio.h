/*
 * xio — each I/O system call wrapped once (STYLE.md rule 8): EINTR retried,
 * short reads and writes completed, O_CLOEXEC always.  Every function returns
 * 0 or -errno; none exits.
 */
#ifndef SZ_XIO_H
#define SZ_XIO_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* open(2) with O_CLOEXEC added; the descriptor goes to *fd. */
int xopen(const char *path, int flags, mode_t mode, int *fd);
/* close(2), ignoring EINTR (the descriptor is gone either way on Linux). */
void xclose(int fd);
/* Read up to len bytes; *got is less than len only at end of file. */
int xread_full(int fd, void *buf, size_t len, size_t *got);
/* Write all of buf or fail. */
int xwrite_full(int fd, const void *buf, size_t len);
/* pread/pwrite of exactly len bytes at off; a short read at end of file is -EIO. */
int xpread_full(int fd, void *buf, size_t len, off_t off);
int xpwrite_full(int fd, const void *buf, size_t len, off_t off);
/* fdatasync(2): the sync point after a pass or a key file. */
int xfdatasync(int fd);
/*
 * Read a whole regular file of at most cap bytes into a new NUL-terminated
 * buffer (*out, caller frees; *len without the NUL).  -EFBIG past cap.
 */
int xread_file(const char *path, size_t cap, char **out, size_t *len);
/*
 * Create path with O_CREAT|O_EXCL|O_NOFOLLOW and the given mode, write buf,
 * fdatasync it.  -EEXIST if it exists.  On failure nothing is left behind.
 */
int xwrite_file_excl(const char *path, const void *buf, size_t len, mode_t mode);
/*
 * Check that a secret file is a regular file owned by us and not readable or
 * writable by group or others.  -EPERM (with the mode) if it is, -ENOENT if
 * missing.
 */
int xcheck_secret(const char *path, mode_t *mode);
/*
 * A strict decimal: digits only, no sign, no leading zero, no overflow.
 * 0 with *out set, or -EINVAL (for command-line and query arguments).
 */
int xparse_u64(const char *s, uint64_t *out);
/*
 * Format a message into a caller's buffer (err may be NULL) and return rc,
 * so a failing path reads "return xerr(err, errlen, -EINVAL, "...", ...)".
 */
int xerr(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Wall-clock now as RFC 3339 UTC with milliseconds: "2026-11-29T00:25:01.123Z". */
void xtime_rfc3339(char out[25]);
/* Monotonic seconds. */
double xmono(void);
/* *ts = the wall clock ms milliseconds from now: an absolute pthread_cond_timedwait deadline.  Cannot fail. */
struct timespec;
void xdeadline_ms(struct timespec *ts, unsigned ms);

#endif
