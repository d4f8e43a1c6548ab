/*
 * The Shellshock proof-of-concept checks (SPEC section 9).  The crafted
 * strings are the well-known public tests (Chazelas' original, Ormandy's
 * parser-error file, Weimer's redir_stack and word_lineno tests, Zalewski's
 * function-import tests, as collected in hannob's bashcheck), with our own
 * markers in place of "vulnerable" so that nothing else bash prints can be
 * mistaken for them.
 */
#include "audit/probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/xio.h"

/* Our markers: a line that is exactly one of these is what counts. */
#define MARK_OK "SZPROBE_OK"
#define MARK_VULN "SZPROBE_VULNERABLE"
/* A safe PATH: the checks run as root, so never the caller's PATH. */
#define PROBE_PATH "PATH=/usr/bin:/bin"
#define ENV_MAX 2048
#define CMD_MAX 8192
#define RM_DEPTH_MAX 8

enum {
	V_MARKER = 1,		/* vulnerable if bash printed MARK_VULN */
	V_EXIT = 2,		/* vulnerable if bash exited non-zero */
	V_FILE_ECHO = 4,	/* vulnerable if a file named "echo" appeared in the cwd */
};

struct check {
	const char *id;
	unsigned how;
	const char *test;	/* what the check does, the first half of its evidence */
};

static const struct check checks[PROBE_CHECKS] = {
	{ "CVE-2014-6271", V_MARKER, "command after an imported function definition" },
	{ "CVE-2014-7169", V_FILE_ECHO, "parser error left by a function definition" },
	{ "CVE-2014-7186", V_EXIT, "14 stacked here-documents (redir_stack)" },
	{ "CVE-2014-7187", V_EXIT, "200 nested for loops (word_lineno)" },
	{ "CVE-2014-6277", V_EXIT, "function import with a 1000-byte here-document word" },
	{ "CVE-2014-6278", V_MARKER, "function import with a command after a redirection" },
};

/* The crafted environment variable (or none) and the -c command of check i. */
static int build_case(size_t i, char *env, size_t envlen, char *cmd, size_t cmdlen)
{
	size_t off = 0;
	int n;

	env[0] = '\0';
	n = snprintf(cmd, cmdlen, "echo " MARK_OK);
	switch (i) {
	case 0:	/* CVE-2014-6271: Chazelas */
		n = snprintf(env, envlen, "x=() { :;}; echo " MARK_VULN);
		break;
	case 1:	/* CVE-2014-7169: Ormandy; a vulnerable bash runs ">echo " MARK_OK */
		n = snprintf(env, envlen, "X=() { (a)=>\\");
		break;
	case 2:	/* CVE-2014-7186: the marker comes first, the line is parsed whole */
		n = snprintf(cmd, cmdlen, "echo " MARK_OK "; true <<EOF <<EOF <<EOF <<EOF <<EOF <<EOF"
			     " <<EOF <<EOF <<EOF <<EOF <<EOF <<EOF <<EOF <<EOF");
		break;
	case 3:	/* CVE-2014-7187 */
		for (int k = 1; k <= 200 && off < cmdlen; k++) {
			n = snprintf(cmd + off, cmdlen - off, "for x%d in ; do :\n", k);
			off += n > 0 ? (size_t)n : cmdlen;
		}
		for (int k = 1; k <= 200 && off < cmdlen; k++) {
			n = snprintf(cmd + off, cmdlen - off, "done\n");
			off += n > 0 ? (size_t)n : cmdlen;
		}
		if (off >= cmdlen)
			return -ENOBUFS;
		n = snprintf(cmd + off, cmdlen - off, "echo " MARK_OK "\n");
		break;
	case 4:	/* CVE-2014-6277: Zalewski, a 1000-byte here-document word */
		n = snprintf(env, envlen, "HTTP_COOKIE=() { x() { _; }; x() { _; } <<");
		off = n > 0 ? (size_t)n : envlen;
		if (off + 1000 + 4 > envlen)
			return -ENOBUFS;
		memset(env + off, 'A', 1000);
		off += 1000;
		n = snprintf(env + off, envlen - off, "; }");
		break;
	case 5:	/* CVE-2014-6278: Zalewski */
		n = snprintf(env, envlen, "HTTP_COOKIE=() { _; } >_[$($())] { echo " MARK_VULN "; }");
		break;
	default:
		return -EINVAL;
	}
	return n < 0 ? -EINVAL : 0;
}

const char *probe_check_id(size_t i)
{
	return i < PROBE_CHECKS ? checks[i].id : NULL;
}

const char *probe_status_name(int status)
{
	switch (status) {
	case PROBE_PATCHED: return "patched";
	case PROBE_VULNERABLE: return "vulnerable";
	default: return "inconclusive";
	}
}

/* Keep descriptors off 0..2 so the child's dup2 onto them cannot clobber one. */
static int lift_fd(int *fd)
{
	int n;

	if (*fd > 2)
		return 0;
	n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (n < 0)
		return -errno;
	close(*fd);
	*fd = n;
	return 0;
}

/*
 * Remove what a (possibly vulnerable) bash left in our directory, never
 * following symlinks and never deeper than RM_DEPTH_MAX.
 */
static void rm_tree_at(int pfd, const char *name, int depth)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd >= 0 && depth < RM_DEPTH_MAX && (d = fdopendir(fd)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (unlinkat(fd, de->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
				rm_tree_at(fd, de->d_name, depth + 1);
		}
		closedir(d);	/* closes fd */
	} else if (fd >= 0) {
		close(fd);
	}
	(void)unlinkat(pfd, name, AT_REMOVEDIR);
}

static void rm_tree(const char *path)
{
	rm_tree_at(AT_FDCWD, path, 0);
}

/* Is there a line exactly equal to mark in buf? */
static int has_line(const char *buf, size_t len, const char *mark)
{
	size_t ml = strlen(mark);
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((nl ? nl : end) - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (ll == ml && !memcmp(p, mark, ml))
			return 1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/*
 * The child, between fork and execve: async-signal-safe calls only (the
 * caller may have threads).  On failure the errno goes up errfd and it exits.
 */
static void __attribute__((noreturn)) child(const char *bash, char *const argv[], char *const envp[],
					     int dirfd, int nullfd, int outfd, int errfd, unsigned timeout_s)
{
	static const int lims[][2] = {
		{ RLIMIT_CORE, 0 }, { RLIMIT_NOFILE, 64 }, { RLIMIT_FSIZE, 1 << 20 },
	};
	struct sigaction sa;
	struct rlimit rl;
	sigset_t all;
	int e;

	(void)setpgid(0, 0);
	if (fchdir(dirfd) < 0 || dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
		goto fail;
	if (errfd != 3 && dup2(errfd, 3) < 0)
		goto fail;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	/* nothing of ours (the ledger, a key, a socket) may reach bash */
	if (close_range(4, ~0U, 0) < 0)
		goto fail;
	for (size_t k = 0; k < sizeof(lims) / sizeof(lims[0]); k++) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)lims[k][1];
		if (setrlimit(lims[k][0], &rl) < 0)
			goto fail;
	}
	rl.rlim_cur = timeout_s + 1;
	rl.rlim_max = timeout_s + 2;
	if (setrlimit(RLIMIT_CPU, &rl) < 0)
		goto fail;
	rl.rlim_cur = rl.rlim_max = (rlim_t)1 << 30;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		goto fail;
	/* ignored signals and the mask survive execve: give bash a clean slate */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	umask(077);
	execve(bash, argv, envp);
fail:
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

struct run {
	int status;		/* waitpid status */
	int timed_out;
	int truncated;
	char *out;		/* captured output, NUL-terminated */
	size_t len;
};

/* Read what is there into r->out, keeping at most cap bytes.  1 at end of file. */
static int drain_some(int fd, size_t cap, struct run *r)
{
	char chunk[4096];
	ssize_t got = read(fd, chunk, sizeof(chunk));
	size_t keep;

	if (got == 0)
		return 1;
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	keep = cap - r->len < (size_t)got ? cap - r->len : (size_t)got;
	memcpy(r->out + r->len, chunk, keep);
	r->len += keep;
	if (keep < (size_t)got)
		r->truncated = 1;
	return 0;
}

/*
 * Read the child's output until it exits or the deadline passes; then kill
 * its process group, drain the pipe and reap it.  The exit is seen with
 * WNOWAIT so the zombie still holds its pid while we signal the group: the
 * kill can never reach a process that reused the number.
 */
static int supervise(pid_t pid, int outfd, double deadline, size_t cap, struct run *r)
{
	int exited = 0, eof = 0, rc = 0;
	siginfo_t si;

	for (;;) {
		double now = xmono();
		struct pollfd p = { .fd = outfd, .events = POLLIN };
		int ms, n;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (si.si_pid == pid) {
			exited = 1;
			break;
		}
		if (now >= deadline) {
			r->timed_out = 1;
			break;
		}
		ms = (int)((deadline - now) * 1000) + 1;
		if (ms > 50)
			ms = 50;	/* wake to notice an exit while a grandchild holds the pipe */
		if (eof) {
			struct timespec ts = { 0, (long)ms * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		n = poll(&p, 1, ms);
		if (n > 0) {
			n = drain_some(outfd, cap, r);
			if (n < 0) {
				rc = n;
				break;
			}
			eof = n;
		} else if (n < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
	}
	/* whatever is left of the group (a hung bash, its children) dies now */
	(void)kill(-pid, SIGKILL);
	if (!exited)
		(void)kill(pid, SIGKILL);
	/* the rest of the output; bounded, a process that left the group may hold the pipe */
	for (double stop = xmono() + 1.0; !eof && xmono() < stop;) {
		struct pollfd p = { .fd = outfd, .events = POLLIN };
		int n = poll(&p, 1, 100);
		if (n > 0) {
			n = drain_some(outfd, cap, r);
			if (n < 0)
				break;
			eof = n;
		} else if (n < 0 && errno != EINTR) {
			break;
		}
	}
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	r->out[r->len] = '\0';
	return rc;
}

static void verdict(const struct check *c, const struct run *run, int echo_file, unsigned timeout_ms,
		    struct probe_result *r)
{
	char *ev = r->evidence;
	size_t evlen = sizeof(r->evidence);
	const char *sig;
	int st = run->status;

	r->status = PROBE_VULNERABLE;
	if (run->timed_out) {
		snprintf(ev, evlen, "%s: timed out after %u ms, process group killed", c->test, timeout_ms);
	} else if (WIFSIGNALED(st)) {
		sig = sigabbrev_np(WTERMSIG(st));
		snprintf(ev, evlen, "%s: killed by signal %d (SIG%s)", c->test, WTERMSIG(st), sig ? sig : "?");
	} else if ((c->how & V_MARKER) && has_line(run->out, run->len, MARK_VULN)) {
		snprintf(ev, evlen, "%s: it ran, printing " MARK_VULN, c->test);
	} else if ((c->how & V_FILE_ECHO) && echo_file) {
		snprintf(ev, evlen, "%s: file ./echo created ('echo' became a redirection)", c->test);
	} else if ((c->how & V_EXIT) && WIFEXITED(st) && WEXITSTATUS(st) != 0) {
		snprintf(ev, evlen, "%s: exit status %d", c->test, WEXITSTATUS(st));
	} else if (run->truncated) {
		r->status = PROBE_INCONCLUSIVE;
		snprintf(ev, evlen, "%s: output over the cap, a sign of the bug may be past it", c->test);
	} else if (!has_line(run->out, run->len, MARK_OK)) {
		r->status = PROBE_INCONCLUSIVE;
		snprintf(ev, evlen, "%s: no control marker, exit status %d: not a working bash?", c->test,
			 WEXITSTATUS(st));
	} else {
		r->status = PROBE_PATCHED;
		snprintf(ev, evlen, "%s: no sign of the bug, control marker printed, exit 0", c->test);
	}
}

int probe_run_one(const char *bash, size_t i, const struct probe_opts *opts,
		  struct probe_result *r, char *err, size_t errlen)
{
	unsigned timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : PROBE_TIMEOUT_MS;
	size_t cap = opts && opts->output_cap ? opts->output_cap : PROBE_OUTPUT_CAP;
	const char *parent = opts && opts->tmp_parent ? opts->tmp_parent : "/tmp";
	char env[ENV_MAX], cmd[CMD_MAX], dir[PATH_MAX], *exe = NULL;
	char *argv[] = { "bash", "-c", cmd, NULL };
	char *envp[] = { PROBE_PATH, env, NULL };
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, dirfd = -1, nullfd = -1, rc, e = 0;
	struct run run = { 0 };
	struct stat sb;
	double t0 = xmono();
	ssize_t n;
	pid_t pid;

	if (i >= PROBE_CHECKS || !bash || timeout_ms > 600000 || cap > (64u << 20))
		return xerr(err, errlen, -EINVAL, "cannot run check %zu: bad arguments", i);
	memset(r, 0, sizeof(*r));
	r->id = checks[i].id;
	rc = build_case(i, env, sizeof(env), cmd, sizeof(cmd));
	if (rc < 0)
		return xerr(err, errlen, rc, "cannot build check %s: %s", r->id, strerror(-rc));
	if (!env[0])
		envp[1] = NULL;
	/* the child changes directory before execve: a relative path must not follow it */
	exe = realpath(bash, NULL);
	if (!exe)
		return xerr(err, errlen, -errno, "cannot execute %s: %s", bash, strerror(errno));
	if (stat(exe, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		free(exe);
		return xerr(err, errlen, -EACCES, "cannot execute %s: not a regular file", bash);
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/sz-probe.XXXXXX", parent) >= sizeof(dir)) {
		free(exe);
		return xerr(err, errlen, -ENAMETOOLONG, "cannot make a directory in %s: name too long", parent);
	}
	run.out = malloc(cap + 1);
	if (!run.out) {
		free(exe);
		return xerr(err, errlen, -ENOMEM, "cannot run check %s: out of memory", r->id);
	}
	if (!mkdtemp(dir)) {
		rc = xerr(err, errlen, -errno, "cannot make a directory in %s: %s", parent, strerror(errno));
		goto out_nodir;
	}
	if ((rc = xopen(dir, O_RDONLY | O_DIRECTORY, 0, &dirfd)) < 0 ||
	    (rc = xopen("/dev/null", O_RDWR, 0, &nullfd)) < 0) {
		xerr(err, errlen, rc, "cannot set up check %s: %s", r->id, strerror(-rc));
		goto out;
	}
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		rc = xerr(err, errlen, -errno, "cannot set up check %s: %s", r->id, strerror(errno));
		goto out;
	}
	if ((rc = lift_fd(&dirfd)) < 0 || (rc = lift_fd(&nullfd)) < 0 || (rc = lift_fd(&outp[0])) < 0 ||
	    (rc = lift_fd(&outp[1])) < 0 || (rc = lift_fd(&errp[0])) < 0 || (rc = lift_fd(&errp[1])) < 0) {
		xerr(err, errlen, rc, "cannot set up check %s: %s", r->id, strerror(-rc));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = xerr(err, errlen, -errno, "cannot fork for check %s: %s", r->id, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(exe, argv, envp, dirfd, nullfd, outp[1], errp[1], (timeout_ms + 999) / 1000);
	(void)setpgid(pid, pid);	/* both sides set it: no window where kill(-pid) misses */
	xclose(outp[1]);
	xclose(errp[1]);
	outp[1] = errp[1] = -1;
	/* CLOEXEC: end of file here means execve succeeded */
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		rc = xerr(err, errlen, -e, "cannot execute %s: %s", bash, strerror(e));
		goto out;
	}
	rc = supervise(pid, outp[0], t0 + timeout_ms / 1000.0, cap, &run);
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot watch check %s: %s", r->id, strerror(-rc));
		goto out;
	}
	verdict(&checks[i], &run, fstatat(dirfd, "echo", &sb, AT_SYMLINK_NOFOLLOW) == 0, timeout_ms, r);
	r->elapsed_s = xmono() - t0;
out:
	xclose(dirfd);
	xclose(nullfd);
	for (int k = 0; k < 2; k++) {
		xclose(outp[k]);
		xclose(errp[k]);
	}
	rm_tree(dir);
out_nodir:
	free(run.out);
	free(exe);
	return rc;
}

int probe_run(const char *bash, const struct probe_opts *opts,
	      struct probe_result res[PROBE_CHECKS], char *err, size_t errlen)
{
	for (size_t i = 0; i < PROBE_CHECKS; i++) {
		int rc = probe_run_one(bash, i, opts, &res[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int probe_results_json(const struct probe_result *res, size_t n, json_t **out)
{
	json_t *arr = json_array();

	*out = NULL;
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != PROBE_PATCHED && res[i].status != PROBE_VULNERABLE) {
			json_decref(arr);
			return -EINVAL;
		}
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", res[i].id, "status",
							 probe_status_name(res[i].status), "evidence",
							 res[i].evidence)) < 0) {
			json_decref(arr);
			return -ENOMEM;
		}
	}
	*out = arr;
	return 0;
}
