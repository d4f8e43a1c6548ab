/*
 * sandbox — the lock-down of sanitizerd's child processes (issue 12): a
 * uid drop, capability sets, PR_SET_NO_NEW_PRIVS, a Landlock ruleset with no
 * rules (or an empty chroot where the kernel has no Landlock) and the http
 * process's seccomp allow-list.  Linux only; the bottom layer (util/).
 */
#ifndef SZ_SANDBOX_H
#define SZ_SANDBOX_H
#include <stddef.h>
#include <sys/types.h>

struct sandbox_opts {
	uid_t uid; gid_t gid;   /* the user to become; ignored unless drop_user */
	int drop_user;          /* 1: setgroups(0), setresgid, setresuid, then check setuid(0) fails */
	int landlock;           /* 1: a Landlock ruleset that handles every file-system right
				   the kernel knows (by ABI version), TCP bind/connect (ABI >= 4)
				   and the abstract-socket and signal scopes (ABI >= 6), with NO
				   rules: no file can be opened, no port bound or connected,
				   no other process signalled. If the kernel has no Landlock
				   (ABI < 1): chroot into an empty, already removed directory
				   (mkdtemp, chdir into it, rmdir it, chroot(".")) -- needs root,
				   so it happens before the uid drop; say which in *how */
	int seccomp;            /* 1: the http allow-list below, loaded with TSYNC */
	int dumpable;           /* 0: PR_SET_DUMPABLE 0 (all children use this) */
	const int *keep_caps;   /* NULL: drop every capability (effective, permitted,
				   inheritable, ambient, and the bounding set); else keep only
				   these CAP_* in the bounding/permitted/effective sets (the
				   devices process: CAP_SYS_ADMIN, CAP_SYS_RAWIO, ...) */
	size_t nkeep;
	/* Added (landlock = 1 only; zero them for the http process): absolute
	   paths, files or directories, looked up before anything changes, to
	   allow beneath the ruleset: ll_read to read files and list directories,
	   ll_write every right the ruleset handles (read, write, create, remove,
	   device ioctls).  At most SANDBOX_MAX_PATHS in all.  Without Landlock
	   there is no empty-root fallback for them: -EOPNOTSUPP. */
	const char *const *ll_read;
	size_t nll_read;
	const char *const *ll_write;
	size_t nll_write;
};
#define SANDBOX_MAX_PATHS 32
/* Lock the calling process down, in the order that works: chroot (fallback), bounding-set
   drops, uid drop, capabilities, PR_SET_NO_NEW_PRIVS (always), Landlock, seccomp.
   Call it before the process starts any thread (Landlock binds only the calling thread
   and those it creates later). 0, or -errno with a message in err; *how (may be NULL)
   gets a short text for the log: "landlock abi 7, seccomp allow-list, uid 65534".
   Any failure is an error: a child that cannot lock itself down must not run.
   Refused before anything changes: -EINVAL (uid/gid 0 with drop_user, a capability
   out of range, a bad path), -EBUSY (a second thread runs), -ENOENT/-E2BIG/-EOPNOTSUPP
   (the allowed paths).  After it, a refused call exits 159 (SANDBOX_EXIT_SECCOMP), or
   kills the process with SIGSYS where the calling thread blocks SIGSYS. */
int sandbox_lockdown(const struct sandbox_opts *o, char *how, size_t howlen, char *err, size_t errlen);
/* 1 if the kernel has Landlock (ABI >= 1), for the tests and the log. */
int sandbox_landlock_abi(void);

/* Additions (the names above are the contract). */

/* The exit code of a process whose seccomp filter refused a call (its SIGSYS
   handler writes "sanitizerd: seccomp refused system call N" to stderr first). */
#define SANDBOX_EXIT_SECCOMP 159
/* The Landlock ABI version the kernel has (0 if none): for the log line. */
int sandbox_landlock_version(void);
#ifdef SZ_TEST_HOOKS
/* Test builds only: with on = 1, sandbox_lockdown() with landlock = 1 takes
   the chroot fallback as if the kernel had no Landlock. */
void sandbox_test_force_chroot(int on);
#endif

#endif
