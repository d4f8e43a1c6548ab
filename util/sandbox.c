/*
 * sandbox — lock a child process down (issue 12).  The order is the one that
 * works (STYLE.md "Drop privileges in order", OpenBSD ntpd's ntp.c):
 *   1. chroot into an empty removed directory (only where Landlock is missing:
 *      it needs CAP_SYS_CHROOT, so before the uid drop)
 *   2. bounding-set drops (need CAP_SETPCAP: before the uid drop)
 *   3. setgroups(0) + setresgid + setresuid, then setuid(0) must fail
 *   4. capset: permitted/effective/inheritable to the kept set, ambient cleared
 *   5. PR_SET_NO_NEW_PRIVS (always), PR_SET_DUMPABLE 0
 *   6. Landlock: a ruleset with no rules (needs no_new_privs without CAP_SYS_ADMIN)
 *   7. seccomp: the http allow-list, all threads (TSYNC)
 * Kernel documents followed: Documentation/userspace-api/landlock.rst,
 * Documentation/userspace-api/seccomp_filter.rst, Documentation/userspace-api/
 * no_new_privs.rst, man 7 capabilities.
 */
#include "util/sandbox.h"
#include "util/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <seccomp.h>

/* The kernel's uapi header on Debian 12 (6.1) knows Landlock ABI 2 only; the
   later fields and rights are fixed by the ABI, so they are spelt out here
   (landlock.rst "Landlock ABI versions"). */
struct sb_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;    /* ABI 4 */
	uint64_t scoped;                /* ABI 6 */
};
#define SB_LL_FS_ABI1     ((1ULL << 13) - 1)   /* EXECUTE .. MAKE_SYM */
#define SB_LL_FS_REFER    (1ULL << 13)         /* ABI 2 */
#define SB_LL_FS_TRUNCATE (1ULL << 14)         /* ABI 3 */
#define SB_LL_FS_IOCTL_DEV (1ULL << 15)        /* ABI 5 */
#define SB_LL_NET_BIND_TCP    (1ULL << 0)      /* ABI 4 */
#define SB_LL_NET_CONNECT_TCP (1ULL << 1)      /* ABI 4 */
#define SB_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)  /* ABI 6 */
#define SB_LL_SCOPE_SIGNAL        (1ULL << 1)  /* ABI 6 */
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#ifdef SZ_TEST_HOOKS
/* the only file-static state (STYLE.md rule 7): the tests' switch */
static volatile sig_atomic_t force_chroot;

void sandbox_test_force_chroot(int on)
{
	force_chroot = on ? 1 : 0;
}
#define FORCE_CHROOT force_chroot
#else
#define FORCE_CHROOT 0
#endif

int sandbox_landlock_version(void)
{
	/* landlock.rst: "Landlock ABI versions", the VERSION flag with a NULL attr */
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

int sandbox_landlock_abi(void)
{
	return sandbox_landlock_version() >= 1;
}

/* --- the SIGSYS handler: write(2) and _exit(2) only (signal-safety(7)) --- */

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char msg[80];
	static const char pre[] = "sanitizerd: seccomp refused system call ";
	char num[16];
	size_t n = 0, k = 0;
	unsigned v = si && si->si_syscall >= 0 ? (unsigned)si->si_syscall : 0;

	(void)sig; (void)uc;
	memcpy(msg, pre, sizeof(pre) - 1);
	n = sizeof(pre) - 1;
	do { num[k++] = (char)('0' + v % 10); v /= 10; } while (v && k < sizeof(num));
	while (k) msg[n++] = num[--k];
	msg[n++] = '\n';
	/* nothing to do if stderr is gone: the exit code says it */
	if (write(2, msg, n) < 0) { /* ignored */ }
	_exit(SANDBOX_EXIT_SECCOMP);
}

/* --- capabilities (man 7 capabilities; linux/capability.h, no libcap) --- */

static int cap_last(void)
{
	int c;

	/* PR_CAPBSET_READ answers EINVAL past the last capability the kernel knows */
	for (c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			break;
	return c - 1;
}

static int caps_check(const struct sandbox_opts *o, int last, uint64_t *mask, char *err, size_t errlen)
{
	size_t i;

	*mask = 0;
	if (o->nkeep && !o->keep_caps)
		return xerr(err, errlen, -EINVAL, "cannot keep capabilities: nkeep %zu with no list", o->nkeep);
	if (o->nkeep > 64)
		return xerr(err, errlen, -EINVAL, "cannot keep capabilities: %zu is too many", o->nkeep);
	for (i = 0; i < o->nkeep; i++) {
		int c = o->keep_caps[i];

		if (c < 0 || c > last)
			return xerr(err, errlen, -EINVAL, "cannot keep capability %d: out of range 0..%d", c, last);
		*mask |= 1ULL << c;
	}
	return 0;
}

static int caps_set(uint64_t mask, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)mask;
	d[1].effective = d[1].permitted = (uint32_t)(mask >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return xerr(err, errlen, -errno, "cannot set capabilities: %s", strerror(errno));
	/* ambient capabilities: kernel >= 4.3 (prctl(2) PR_CAP_AMBIENT) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return xerr(err, errlen, -errno, "cannot clear ambient capabilities: %s", strerror(errno));
	/* read them back: the kernel is the judge */
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return xerr(err, errlen, -errno, "cannot read capabilities: %s", strerror(errno));
	if (d[0].effective != (uint32_t)mask || d[1].effective != (uint32_t)(mask >> 32) ||
	    d[0].permitted != (uint32_t)mask || d[1].permitted != (uint32_t)(mask >> 32) ||
	    d[0].inheritable || d[1].inheritable)
		return xerr(err, errlen, -EPERM, "cannot set capabilities: the kernel kept others");
	return 0;
}

static int bounding_drop(uint64_t keep, int last, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int c;

	/*
	 * A process started without capabilities (serve run by a user, not
	 * root) cannot empty its bounding set (that needs CAP_SETPCAP), and
	 * need not: it holds none, and no_new_privs (set next) keeps an exec
	 * from granting any (capabilities(7), "Capability bounding set").
	 */
	memset(d, 0, sizeof(d));
	if (!keep && syscall(SYS_capget, &h, d) == 0 && !d[0].permitted && !d[1].permitted)
		return 0;

	for (c = 0; c <= last; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0)
			continue;       /* already out: no CAP_SETPCAP needed */
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return xerr(err, errlen, -errno, "cannot drop capability %d from the bounding set: %s",
				    c, strerror(errno));
	}
	for (c = 0; c <= last; c++)
		if ((keep & (1ULL << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			return xerr(err, errlen, -EPERM, "cannot keep capability %d: not in the bounding set", c);
	return 0;
}

/* --- the file system: Landlock, or an empty chroot --- */

static int empty_chroot(char *err, size_t errlen)
{
	char dir[] = "/tmp/sanitizerd-root.XXXXXX";
	int rc;

	if (!mkdtemp(dir))
		return xerr(err, errlen, -errno, "cannot make an empty root: %s", strerror(errno));
	if (chdir(dir) < 0) {
		rc = -errno;
		rmdir(dir);
		return xerr(err, errlen, rc, "cannot enter %s: %s", dir, strerror(-rc));
	}
	/* removed before the chroot: nothing can ever be created in it */
	if (rmdir(dir) < 0)
		return xerr(err, errlen, -errno, "cannot remove %s: %s", dir, strerror(errno));
	if (chroot(".") < 0)
		return xerr(err, errlen, -errno, "cannot chroot into an empty directory: %s", strerror(errno));
	if (chdir("/") < 0)
		return xerr(err, errlen, -errno, "cannot enter the empty root: %s", strerror(errno));
	return 0;
}

/* the rights that make sense on a file (not a directory) in a rule */
#define SB_LL_FS_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		       LANDLOCK_ACCESS_FS_READ_FILE | SB_LL_FS_TRUNCATE | SB_LL_FS_IOCTL_DEV)
#define SB_LL_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* the paths of ll_read and ll_write, opened O_PATH before anything changes */
struct sb_paths {
	int fd[SANDBOX_MAX_PATHS];
	int write[SANDBOX_MAX_PATHS];
	int dir[SANDBOX_MAX_PATHS];
	size_t n;
};

static int landlock_on(int abi, const struct sb_paths *ps, char *err, size_t errlen)
{
	struct sb_ruleset_attr a;
	size_t size, i;
	int fd;

	/* landlock.rst "Defining and enforcing a security policy": handle every
	   right the kernel knows, add no rule */
	memset(&a, 0, sizeof(a));
	a.handled_access_fs = SB_LL_FS_ABI1;
	if (abi >= 2)
		a.handled_access_fs |= SB_LL_FS_REFER;
	if (abi >= 3)
		a.handled_access_fs |= SB_LL_FS_TRUNCATE;
	if (abi >= 5)
		a.handled_access_fs |= SB_LL_FS_IOCTL_DEV;
	size = sizeof(a.handled_access_fs);
	if (abi >= 4) {
		a.handled_access_net = SB_LL_NET_BIND_TCP | SB_LL_NET_CONNECT_TCP;
		size = offsetof(struct sb_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		a.scoped = SB_LL_SCOPE_ABSTRACT_UNIX | SB_LL_SCOPE_SIGNAL;
		size = sizeof(a);
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &a, size, 0);
	if (fd < 0)
		return xerr(err, errlen, -errno, "cannot create a landlock ruleset (abi %d): %s", abi, strerror(errno));
	/* landlock.rst "Defining and enforcing a security policy": one
	   LANDLOCK_RULE_PATH_BENEATH rule per path; a file takes file rights only */
	for (i = 0; i < ps->n; i++) {
		struct landlock_path_beneath_attr r;    /* ABI 1: in Debian's header */

		r.allowed_access = ps->write[i] ? a.handled_access_fs : SB_LL_FS_READ & a.handled_access_fs;
		if (!ps->dir[i])
			r.allowed_access &= SB_LL_FS_FILE;
		r.parent_fd = ps->fd[i];
		if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &r, 0) < 0) {
			int rc = -errno;

			close(fd);
			return xerr(err, errlen, rc, "cannot add a landlock rule: %s", strerror(-rc));
		}
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		int rc = -errno;

		close(fd);
		return xerr(err, errlen, rc, "cannot enforce the landlock ruleset: %s", strerror(-rc));
	}
	close(fd);
	return 0;
}

/* --- seccomp: the http process's allow-list (seccomp_filter.rst) --- */

/* Measured, not guessed: strace -f of `sanitizerd serve` (build/sanitizerd and
   build/asan/sanitizerd) under the HTTP system tests t5000 t5030 t5050 (TLS)
   t5070 t5120 t5180 t5200 t6000, and of the locked children of tests/unit/test_sandbox.c
   (libmicrohttpd with and without TLS, SQLite WAL readers, ASan).  What only
   the device and ledger side use (io_uring_*, BLK* ioctls, pwrite64,
   fsync, fdatasync, ftruncate, fallocate, fchown, fchmod, unlink, mkdir,
   statfs, mlock, ...) and whatever makes sockets or processes is left out;
   README "Lock-down of the children" has the table.  Names a kernel or
   libseccomp does not know are skipped. */
static const char *const allow_plain[] = {
	/* memory (mremap: glibc's realloc of a large block) */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* threads (clone is below, filtered), time, randomness */
	"futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity", "gettid", "getpid",
	"clock_gettime", "gettimeofday", "time", "clock_nanosleep", "getrandom", "exit", "exit_group",
	/* descriptors already open: files, sockets, socketpairs (readv/writev and
	   fstat do what read, write and newfstatat do; ASan calls fstat) */
	"read", "write", "readv", "writev", "pread64", "lseek", "close", "fstat", "newfstatat", "fcntl",
	/* /metrics counts /proc/self/fd through a directory it opened before the lock-down */
	"getdents64",
	/* SQLite and libraries probe paths with access(2): Landlock does not cover it */
	"access", "faccessat", "faccessat2",
	/* opens: Landlock (or the empty root) refuses every file; ASan opens
	   /proc/self/maps and reads /proc/self/exe when it reports */
	"open", "openat", "readlink",
	/* the inherited listening socket, accepted connections, socketpairs */
	"accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown",
	"getsockopt", "setsockopt", "getsockname",
	/* waiting: libmicrohttpd's epoll and its ITC (eventfd, pipe where there is none) */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "ppoll", "eventfd2", "pipe2",
	/* signals (rt_sigreturn and restart_syscall: the kernel's way back from a handler) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigtimedwait", "restart_syscall",
	/* reads of the process's own state: ids, the metrics' rusage */
	"getuid", "geteuid", "getgid", "getegid", "uname", "sysinfo", "getrusage",
};

/* a comparison of argument arg (SCMP_A0 and friends leave datum_b out, which
   clang's -Wmissing-field-initializers refuses) */
static struct scmp_arg_cmp arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = { .arg = arg, .op = op, .datum_a = a, .datum_b = b };

	return c;
}

static int rule(scmp_filter_ctx ctx, uint32_t act, const char *name, unsigned n,
		const struct scmp_arg_cmp *cmp, char *err, size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name);
	int rc;

	if (nr == __NR_SCMP_ERROR)
		return 0;       /* not a call on this architecture */
	rc = seccomp_rule_add_array(ctx, act, nr, n, cmp);
	if (rc < 0)
		return xerr(err, errlen, rc, "cannot add the seccomp rule for %s: %s", name, strerror(-rc));
	return 0;
}

static int seccomp_on(char *err, size_t errlen)
{
	/* none was seen on the http side; these three are the harmless ones
	   libc and libraries use on sockets and terminals (isatty: TCGETS) */
	static const unsigned long ioctls[] = { FIONBIO, FIONREAD, TCGETS };
	static const int prctls[] = { PR_GET_DUMPABLE, PR_SET_NAME, PR_GET_NAME, PR_GET_NO_NEW_PRIVS,
				      PR_CAPBSET_READ, PR_GET_SECCOMP };
	struct scmp_arg_cmp a[1];
	struct sigaction sa;
	scmp_filter_ctx ctx;
	pid_t me = getpid();
	size_t i;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return xerr(err, errlen, -errno, "cannot install the SIGSYS handler: %s", strerror(errno));

	/* seccomp_filter.rst "Return values": SECCOMP_RET_TRAP sends SIGSYS with
	   si_syscall set */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return xerr(err, errlen, -ENOMEM, "cannot start a seccomp filter");
	/* an i386 or x32 call from an x86_64 process is the classic way round a
	   filter: any other architecture kills the process */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0 && seccomp_arch_native() != SCMP_ARCH_X86_64) {
		rc = seccomp_arch_add(ctx, SCMP_ARCH_X86_64);
		if (rc == -EEXIST)
			rc = 0;
	}
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* a binary tree of the allowed numbers (libseccomp 2.5): every request makes a hundred system
	   calls, and a list of eighty compares each costs the http process (bench/api.sh: README) */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0) {
		seccomp_release(ctx);
		return xerr(err, errlen, rc, "cannot set up the seccomp filter: %s", strerror(-rc));
	}
	rc = 0;
	for (i = 0; rc == 0 && i < sizeof(allow_plain) / sizeof(allow_plain[0]); i++)
		rc = rule(ctx, SCMP_ACT_ALLOW, allow_plain[i], 0, NULL, err, errlen);
	/* threads only: clone with CLONE_THREAD; clone3's flags sit in a struct a
	   filter cannot read, so ENOSYS makes glibc fall back to clone */
	a[0] = arg_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	if (rc == 0)
		rc = rule(ctx, SCMP_ACT_ALLOW, "clone", 1, a, err, errlen);
	if (rc == 0)
		rc = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err, errlen);
	/* the commit threads (api/defer.c, audit/lwriter.c) ask for nice -5 and
	   go on without it: answer what the kernel answers an unprivileged caller */
	if (rc == 0)
		rc = rule(ctx, SCMP_ACT_ERRNO(EACCES), "setpriority", 0, NULL, err, errlen);
	/* getrlimit(3) is prlimit64(0, r, NULL, old): reading only */
	{
		struct scmp_arg_cmp b[2];

		b[0] = arg_cmp(0, SCMP_CMP_EQ, 0, 0);
		b[1] = arg_cmp(2, SCMP_CMP_EQ, 0, 0);

		if (rc == 0)
			rc = rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 2, b, err, errlen);
	}
	/* signals to this process only (raise, abort, pthread_kill) */
	a[0] = arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)me, 0);
	if (rc == 0)
		rc = rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, a, err, errlen);
	if (rc == 0)
		rc = rule(ctx, SCMP_ACT_ALLOW, "kill", 1, a, err, errlen);
	for (i = 0; rc == 0 && i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		/* the request is an unsigned int in the kernel: compare the low 32 bits */
		a[0] = arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffUL, ioctls[i]);
		rc = rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, a, err, errlen);
	}
	for (i = 0; rc == 0 && i < sizeof(prctls) / sizeof(prctls[0]); i++) {
		a[0] = arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)prctls[i], 0);
		rc = rule(ctx, SCMP_ACT_ALLOW, "prctl", 1, a, err, errlen);
	}
	if (rc == 0) {
		rc = seccomp_load(ctx);
		if (rc < 0)
			xerr(err, errlen, rc, "cannot load the seccomp filter: %s", strerror(-rc));
	}
	seccomp_release(ctx);
	return rc;
}

/* --- the whole lock-down --- */

static int paths_open(const struct sandbox_opts *o, struct sb_paths *ps, char *err, size_t errlen)
{
	size_t i, k;

	ps->n = 0;
	if ((o->nll_read && !o->ll_read) || (o->nll_write && !o->ll_write))
		return xerr(err, errlen, -EINVAL, "cannot lock the file system: a path count with no list");
	if (o->nll_read > SANDBOX_MAX_PATHS || o->nll_write > SANDBOX_MAX_PATHS - o->nll_read)
		return xerr(err, errlen, -E2BIG, "cannot lock the file system: more than %d paths",
			    SANDBOX_MAX_PATHS);
	for (k = 0; k < 2; k++) {
		const char *const *list = k ? o->ll_write : o->ll_read;
		size_t n = k ? o->nll_write : o->nll_read;

		for (i = 0; i < n; i++) {
			struct stat st;
			int fd;

			if (!list[i] || list[i][0] != '/')
				return xerr(err, errlen, -EINVAL, "cannot allow %s: not an absolute path",
					    list[i] ? list[i] : "(null)");
			fd = open(list[i], O_PATH | O_CLOEXEC);
			if (fd < 0)
				return xerr(err, errlen, -errno, "cannot allow %s: %s", list[i], strerror(errno));
			ps->fd[ps->n] = fd;
			ps->write[ps->n] = (int)k;
			ps->dir[ps->n] = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
			ps->n++;
		}
	}
	return 0;
}

static void paths_close(struct sb_paths *ps)
{
	while (ps->n)
		close(ps->fd[--ps->n]);
}

static int lock_steps(const struct sandbox_opts *o, uint64_t keep, int last, const struct sb_paths *ps,
		      char *how, size_t howlen, char *err, size_t errlen);

int sandbox_lockdown(const struct sandbox_opts *o, char *how, size_t howlen, char *err, size_t errlen)
{
	struct sb_paths ps;
	struct stat st;
	uint64_t keep = 0;
	int last, rc;

	if (how && howlen)
		how[0] = '\0';
	if (err && errlen)
		err[0] = '\0';
	if (!o)
		return xerr(err, errlen, -EINVAL, "cannot lock down: no options");
	/* every check before the first change: refused input leaves the process as it was */
	if (o->drop_user && (o->uid == 0 || o->gid == 0 || o->uid == (uid_t)-1 || o->gid == (gid_t)-1))
		return xerr(err, errlen, -EINVAL, "cannot drop to uid %ld gid %ld: not an unprivileged user",
			    (long)(int)o->uid, (long)(int)o->gid);
	if (!o->landlock && (o->nll_read || o->nll_write))
		return xerr(err, errlen, -EINVAL, "cannot allow paths without landlock = 1");
	/* capset, PR_CAPBSET_DROP, no_new_privs and Landlock bind the calling
	   thread only (TSYNC covers seccomp alone): another thread would keep
	   all of it.  /proc/self/task has 2 + the number of threads as links. */
	if (stat("/proc/self/task", &st) < 0)
		return xerr(err, errlen, -errno, "cannot count this process's threads: /proc/self/task: %s",
			    strerror(errno));
	if (st.st_nlink != 3)
		return xerr(err, errlen, -EBUSY, "cannot lock down: %ld threads are running; lock down before "
			    "the first thread starts", (long)st.st_nlink - 2);
	last = cap_last();
	if (last < 0)
		return xerr(err, errlen, -ENOSYS, "cannot read the bounding set: no capabilities here");
	rc = caps_check(o, last, &keep, err, errlen);
	if (rc < 0)
		return rc;
	/* the allowed paths are looked up now, with the ids and capabilities
	   the caller has (a 0700 state directory), and held as O_PATH */
	rc = paths_open(o, &ps, err, errlen);
	if (rc == 0)
		rc = lock_steps(o, keep, last, &ps, how, howlen, err, errlen);
	paths_close(&ps);
	return rc;
}

static int lock_steps(const struct sandbox_opts *o, uint64_t keep, int last, const struct sb_paths *ps,
		      char *how, size_t howlen, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int abi = 0, rc, chrooted = 0;

	if (o->landlock) {
		abi = FORCE_CHROOT ? 0 : sandbox_landlock_version();
		/* an empty root would take the allowed paths away too: refuse,
		   the caller decides (sandbox_landlock_abi()) */
		if (abi < 1 && ps->n)
			return xerr(err, errlen, -EOPNOTSUPP, "cannot allow %zu path%s: the kernel has no landlock",
				    ps->n, ps->n == 1 ? "" : "s");
		if (abi < 1) {
			rc = empty_chroot(err, errlen);
			if (rc < 0)
				return rc;
			chrooted = 1;
		}
	}
	rc = bounding_drop(keep, last, err, errlen);
	if (rc < 0)
		return rc;
	if (o->drop_user) {
		/* the kept capabilities survive setresuid only with keepcaps (man 7
		   capabilities, "Effect of user ID changes on capabilities") */
		if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return xerr(err, errlen, -errno, "cannot set keepcaps: %s", strerror(errno));
		if (setgroups(0, NULL) < 0)
			return xerr(err, errlen, -errno, "cannot drop supplementary groups: %s", strerror(errno));
		if (setresgid(o->gid, o->gid, o->gid) < 0)
			return xerr(err, errlen, -errno, "cannot set gid %ld: %s", (long)o->gid, strerror(errno));
		if (setresuid(o->uid, o->uid, o->uid) < 0)
			return xerr(err, errlen, -errno, "cannot set uid %ld: %s", (long)o->uid, strerror(errno));
		if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return xerr(err, errlen, -errno, "cannot clear keepcaps: %s", strerror(errno));
		if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
		    ru != o->uid || eu != o->uid || su != o->uid ||
		    rg != o->gid || eg != o->gid || sg != o->gid)
			return xerr(err, errlen, -EPERM, "cannot drop to uid %ld: the ids did not change",
				    (long)o->uid);
		/* the drop must be for good (ntpd's ntp.c does the same check) */
		if (setuid(0) == 0 || setgid(0) == 0)
			return xerr(err, errlen, -EPERM, "cannot drop to uid %ld: setuid(0) still works",
				    (long)o->uid);
	}
	rc = caps_set(keep, err, errlen);
	if (rc < 0)
		return rc;
	/* no_new_privs.rst: no execve can give back what was dropped; Landlock
	   and seccomp need it without CAP_SYS_ADMIN */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return xerr(err, errlen, -errno, "cannot set no_new_privs: %s", strerror(errno));
	/* a uid change resets dumpable to fs.suid_dumpable: set it after */
	if (!o->dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return xerr(err, errlen, -errno, "cannot clear dumpable: %s", strerror(errno));
	if (o->landlock && !chrooted) {
		rc = landlock_on(abi, ps, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (o->seccomp) {
		rc = seccomp_on(err, errlen);
		if (rc < 0)
			return rc;
	}
	if (how && howlen) {
		char fs[64], u[32] = "";

		if (!o->landlock)
			snprintf(fs, sizeof(fs), "no file-system lock");
		else if (chrooted)
			snprintf(fs, sizeof(fs), "empty chroot (no landlock)");
		else if (ps->n)
			snprintf(fs, sizeof(fs), "landlock abi %d (%zu path%s)", abi, ps->n, ps->n == 1 ? "" : "s");
		else
			snprintf(fs, sizeof(fs), "landlock abi %d", abi);
		if (o->drop_user)
			snprintf(u, sizeof(u), ", uid %ld", (long)o->uid);
		snprintf(how, howlen, "%s, %s%s, %s", fs, o->seccomp ? "seccomp allow-list" : "no seccomp",
			 u, keep ? "capabilities kept" : "no capabilities");
	}
	return 0;
}
