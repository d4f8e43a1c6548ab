/*
 * The lock-down of the children (issue 12, util/sandbox.c).  Each case runs
 * in a fork()ed child, which locks itself down and reports through pipes and
 * its exit code; the parent (this process, never locked) judges from the
 * outside where it can: /proc/PID/status, the exit code, stderr.  Children
 * end with _exit(): LeakSanitizer's exit-time check needs ptrace and a
 * fork, which the seccomp allow-list refuses (README "Lock-down of the
 * children").  Needs root (it drops to uid 65534).
 */
/* the test switch sandbox_test_force_chroot(), in the ASan library (SZ_TEST_HOOKS) */
#define SZ_TEST_HOOKS 1
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "util/sandbox.h"
#include "tests/unit/tap.h"

#define NOBODY 65534

/* --- a child and its pipes --- */

struct kid {
	pid_t pid;
	int up;         /* child -> parent */
	int down;       /* parent -> child */
	int err;        /* the child's stderr */
	int status;
	char errtext[4096];
};

typedef int (*kid_fn)(void *arg, int up, int down);

static void kid_start(struct kid *k, kid_fn fn, void *arg)
{
	int up[2], down[2], er[2];

	memset(k, 0, sizeof(*k));
	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		perror("pipe2");
		exit(2);
	}
	fflush(stdout);
	k->pid = fork();
	if (k->pid < 0) {
		perror("fork");
		exit(2);
	}
	if (k->pid == 0) {
		close(up[0]); close(down[1]); close(er[0]);
		dup2(er[1], 2);
		close(er[1]);
		_exit(fn(arg, up[1], down[0]));
	}
	close(up[1]); close(down[0]); close(er[1]);
	k->up = up[0];
	k->down = down[1];
	k->err = er[0];
}

/* a line from the child (up to its newline), or "" at end of file */
static void kid_line(struct kid *k, char *buf, size_t len)
{
	size_t n = 0;
	char c;

	while (n + 1 < len && read(k->up, &c, 1) == 1 && c != '\n')
		buf[n++] = c;
	buf[n] = '\0';
}

static void kid_say(struct kid *k, const char *s)
{
	if (write(k->down, s, strlen(s)) < 0) { /* the child may be gone: its status says why */ }
}

static void kid_end(struct kid *k)
{
	size_t n = 0;
	ssize_t r;

	close(k->down);
	while (n + 1 < sizeof(k->errtext) && (r = read(k->err, k->errtext + n, sizeof(k->errtext) - 1 - n)) > 0)
		n += (size_t)r;
	k->errtext[n] = '\0';
	waitpid(k->pid, &k->status, 0);
	close(k->up);
	close(k->err);
}

static int exited(const struct kid *k, int code)
{
	if (!(WIFEXITED(k->status) && WEXITSTATUS(k->status) == code)) {
		if (WIFEXITED(k->status))
			printf("#   exit %d, want %d\n", WEXITSTATUS(k->status), code);
		else if (WIFSIGNALED(k->status))
			printf("#   killed by signal %d, want exit %d\n", WTERMSIG(k->status), code);
		if (k->errtext[0])
			printf("#   stderr: %.600s\n", k->errtext);
		return 0;
	}
	return 1;
}

/* child side: tell the parent a line, wait for its word (or its close) */
static void up_line(int up, const char *s)
{
	if (write(up, s, strlen(s)) < 0 || write(up, "\n", 1) < 0) { /* the parent reads the status */ }
}

static void down_wait(int down)
{
	char c;

	while (read(down, &c, 1) == 1 && c != '\n')
		;
}

/* a field of /proc/PID/status, as text after the tab */
static int status_field(pid_t pid, const char *name, char *out, size_t len)
{
	char path[64], line[256];
	size_t nl = strlen(name);
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, nl) && line[nl] == ':') {
			char *v = line + nl + 1;

			while (*v == '\t' || *v == ' ')
				v++;
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static uint64_t status_hex(pid_t pid, const char *name)
{
	char v[64];

	if (!status_field(pid, name, v, sizeof(v)))
		return UINT64_MAX;
	return strtoull(v, NULL, 16);
}

static uint64_t cap_eff_self(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (uint64_t)d[0].effective | ((uint64_t)d[1].effective << 32);
}

/* --- the options each child takes --- */

static int kid_bad(void *arg, int up, int down);

struct job {
	struct sandbox_opts o;
	int rc;                 /* what sandbox_lockdown returned (child's copy) */
	const char *file;       /* a file the parent made, mode 0644 */
	const char *dir;        /* a directory the child may not create in */
	int port;               /* a loopback port the parent listens on */
	int sp;                 /* the child's end of a socketpair made before the lock-down */
	const char *db;         /* a WAL database the parent writes */
	int what;               /* which refused call (seccomp cases) */
	int lfd;                /* a listening socket (the MHD case) */
	int want_rc;            /* kid_bad: the refusal expected (0: -EINVAL) */
};

static int lock(struct job *j, int up)
{
	char how[160], err[256];

	j->rc = sandbox_lockdown(&j->o, how, sizeof(how), err, sizeof(err));
	if (j->rc < 0) {
		char line[300];

		snprintf(line, sizeof(line), "fail %d %s", j->rc, err);
		up_line(up, line);
		return -1;
	}
	up_line(up, how);
	return 0;
}

static struct sandbox_opts http_opts(void)
{
	struct sandbox_opts o;

	memset(&o, 0, sizeof(o));
	o.uid = NOBODY;
	o.gid = NOBODY;
	o.drop_user = 1;
	o.landlock = 1;
	o.seccomp = 1;
	o.dumpable = 0;
	return o;
}

/* --- 1. the http configuration, seen from /proc/PID/status --- */

static int kid_wait_after_lock(void *arg, int up, int down)
{
	struct job *j = arg;
	static const gid_t groups[] = { 0, 6 };

	/* supplementary groups the drop must clear (root's list may be empty) */
	if (setgroups(2, groups) < 0)
		return 9;
	if (lock(j, up) < 0)
		return 1;
	down_wait(down);
	return 0;
}

static void test_status(void)
{
	struct job j;
	struct kid k;
	char how[200], v[128];

	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	kid_start(&k, kid_wait_after_lock, &j);
	kid_line(&k, how, sizeof(how));
	CHECK(strncmp(how, "fail", 4) != 0 && how[0], "http lock-down succeeds: %s", how);
	CHECK(strstr(how, "seccomp allow-list") && strstr(how, "uid 65534"), "the log line names seccomp and the uid");
	CHECK(status_field(k.pid, "Uid", v, sizeof(v)) && !strcmp(v, "65534\t65534\t65534\t65534"),
	      "Uid is 65534 four times (%s)", v);
	CHECK(status_field(k.pid, "Gid", v, sizeof(v)) && !strcmp(v, "65534\t65534\t65534\t65534"),
	      "Gid is 65534 four times (%s)", v);
	CHECK(status_field(k.pid, "Groups", v, sizeof(v)) && !strcmp(v, ""), "no supplementary groups (%s)", v);
	CHECK_EQ_INT(status_hex(k.pid, "CapEff"), 0, "CapEff is 0");
	CHECK_EQ_INT(status_hex(k.pid, "CapPrm"), 0, "CapPrm is 0");
	CHECK_EQ_INT(status_hex(k.pid, "CapInh"), 0, "CapInh is 0");
	CHECK_EQ_INT(status_hex(k.pid, "CapAmb"), 0, "CapAmb is 0");
	CHECK_EQ_INT(status_hex(k.pid, "CapBnd"), 0, "CapBnd is 0");
	CHECK(status_field(k.pid, "NoNewPrivs", v, sizeof(v)) && !strcmp(v, "1"), "NoNewPrivs is 1");
	CHECK(status_field(k.pid, "Seccomp", v, sizeof(v)) && !strcmp(v, "2"), "Seccomp is 2 (filter)");
	kid_end(&k);
	CHECK(exited(&k, 0), "the locked child ends normally");
	/* the parent, which never locked itself, is untouched */
	CHECK(status_field(getpid(), "Seccomp", v, sizeof(v)) && !strcmp(v, "0"), "the test process has no filter");
}

/* --- 2. the uid drop is for good --- */

static int kid_setuid(void *arg, int up, int down)
{
	struct job *j = arg;

	(void)down;
	if (lock(j, up) < 0)
		return 1;
	if (setuid(0) == 0 || errno != EPERM)
		return 2;
	if (setgid(0) == 0)
		return 3;
	if (setgroups(0, NULL) == 0)
		return 4;
	if (getuid() != NOBODY || geteuid() != NOBODY)
		return 5;
	if (cap_eff_self() != 0)
		return 6;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 7;
	return 0;
}

static void test_setuid(void)
{
	struct job j;
	struct kid k;
	char how[200];

	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	j.o.landlock = 0;
	j.o.seccomp = 0;       /* setuid is not on the allow-list: see what the kernel says */
	kid_start(&k, kid_setuid, &j);
	kid_line(&k, how, sizeof(how));
	kid_end(&k);
	CHECK(exited(&k, 0), "after the drop, setuid(0), setgid(0) and setgroups fail with EPERM (%s)", how);
}

/* --- 3. Landlock: no file, no port, no signal; what was open still works --- */

static int send_fd(int sock, int fd, const char *data)
{
	struct msghdr m;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	memset(cbuf, 0, sizeof(cbuf));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) < 0 ? -errno : 0;
}

static int recv_fd(int sock, int *fd, char *data, size_t len)
{
	struct msghdr m;
	struct iovec iov = { .iov_base = data, .iov_len = len - 1 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr *c;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	data[n] = '\0';
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

static int db_count(sqlite3 *db, long *n)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(x), 0) FROM t", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Child: open the database read-only and read once (that opens -wal and
   -shm), lock down, then show what the lock allows and refuses. */
static int kid_landlock(void *arg, int up, int down)
{
	struct job *j = arg;
	char uri[512], path[512], buf[64];
	sqlite3 *db = NULL, *db2 = NULL;
	long n = 0, want;
	int fd, r, round;
	int pfd[2];

	snprintf(uri, sizeof(uri), "file:%s?mode=ro&readonly_shm=1", j->db);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
		return 10;
	if (db_count(db, &n) < 0 || n != 10)
		return 11;
	/* and as audit/ledger.c's ledger_open(LEDGER_RDONLY) opens it: no URI,
	   the -shm opened read-write */
	if (sqlite3_open_v2(j->db, &db2, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return 12;
	if (db_count(db2, &n) < 0 || n != 10)
		return 13;
	if (lock(j, up) < 0)
		return 1;
	/* the file is 0644: only Landlock stands between uid 65534 and it */
	fd = open(j->file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		return 20;
	snprintf(path, sizeof(path), "%s/new", j->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0 || errno != EACCES)
		return 21;
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return 22;
	if (j->port) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)j->port) };
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s < 0)
			return 23;
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EACCES)
			return 24;
		close(s);
	}
	/* the socketpair: data and a descriptor, both ways */
	if (recv_fd(j->sp, &fd, buf, sizeof(buf)) < 0 || strcmp(buf, "ping"))
		return 30;
	r = (int)read(fd, buf, sizeof(buf) - 1);
	if (r < 0)
		return 31;
	buf[r] = '\0';
	close(fd);
	if (strcmp(buf, "secret 0644\n"))
		return 32;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 33;
	if (write(pfd[1], "from the child", 14) != 14)
		return 34;
	close(pfd[1]);
	if (send_fd(j->sp, pfd[0], "pong") < 0)
		return 35;
	close(pfd[0]);
	/* the growing table: the parent adds ten rows a round (one round with a
	   checkpoint that restarts the WAL) */
	for (round = 1; round <= 3; round++) {
		char word[32];
		ssize_t r2;

		up_line(up, "read");
		r2 = read(down, word, sizeof(word) - 1);
		if (r2 <= 3)
			return 39;
		word[r2] = '\0';
		want = strtol(word + 3, NULL, 10);      /* "go N\n" */
		if (db_count(db, &n) < 0)
			return 40 + round;
		if (n != want) {
			fprintf(stderr, "round %d: %ld rows, want %ld\n", round, n, want);
			return 45 + round;
		}
		if (db_count(db2, &n) < 0)
			return 50 + round;
		if (n != want) {
			fprintf(stderr, "round %d, second connection: %ld rows, want %ld\n", round, n, want);
			return 55 + round;
		}
	}
	sqlite3_close(db);
	sqlite3_close(db2);
	return 0;
}

static int db_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int listen_loopback(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 128) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

static void landlock_case(const char *name, struct sandbox_opts o, const char *tmp, int with_port)
{
	char file[600], db[512], how[200], line[64];
	struct job j;
	struct kid k;
	sqlite3 *w = NULL;
	int sp[2], lsock = -1, port = 0, fd, got = -1, round, i, total = 10;
	FILE *f;

	snprintf(file, sizeof(file), "%s/readable", tmp);
	snprintf(db, sizeof(db), "%s/%s.db", tmp, name);
	f = fopen(file, "w");
	if (!f || fputs("secret 0644\n", f) < 0 || fclose(f) != 0 || chmod(file, 0644) < 0) {
		CHECK(0, "%s: cannot make %s", name, file);
		return;
	}
	if (sqlite3_open(db, &w) != SQLITE_OK || db_exec(w, "PRAGMA journal_mode=WAL") ||
	    db_exec(w, "PRAGMA synchronous=OFF") || db_exec(w, "PRAGMA wal_autocheckpoint=0") ||
	    db_exec(w, "CREATE TABLE t(x INTEGER)") ||
	    db_exec(w, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10) "
		       "INSERT INTO t SELECT i FROM c")) {
		CHECK(0, "%s: cannot make the database: %s", name, w ? sqlite3_errmsg(w) : "no memory");
		sqlite3_close(w);
		return;
	}
	if (with_port)
		lsock = listen_loopback(&port);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		CHECK(0, "%s: socketpair", name);
		return;
	}
	memset(&j, 0, sizeof(j));
	j.o = o;
	j.file = file;
	j.dir = tmp;
	j.port = lsock >= 0 ? port : 0;
	j.sp = sp[1];
	j.db = db;
	kid_start(&k, kid_landlock, &j);
	close(sp[1]);
	kid_line(&k, how, sizeof(how));
	CHECK(how[0] && strncmp(how, "fail", 4) && strstr(how, "landlock abi"), "%s: lock-down with landlock: %s",
	      name, how);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && send_fd(sp[0], fd, "ping") == 0, "%s: the parent passes the child a descriptor", name);
	if (fd >= 0)
		close(fd);
	{
		char buf[64];
		int rfd = -1;
		ssize_t r = 0;

		if (recv_fd(sp[0], &rfd, buf, sizeof(buf)) == 0 && !strcmp(buf, "pong")) {
			r = read(rfd, buf, sizeof(buf) - 1);
			close(rfd);
			got = r == 14 && !memcmp(buf, "from the child", 14);
		}
		CHECK(got == 1, "%s: the child passes one back over the socketpair made before the lock-down", name);
	}
	/* round 1: ten rows; round 2: ten and a checkpoint that restarts the
	   WAL; round 3: 5,000 commits, past the first 32 KiB region of -shm
	   (4,062 frames), which the reader must map anew */
	for (round = 1; round <= 3; round++) {
		char go[32];
		int rows = round == 3 ? 5000 : 10;

		kid_line(&k, line, sizeof(line));
		if (strcmp(line, "read"))
			break;
		for (i = 0; i < rows; i++)
			db_exec(w, "INSERT INTO t VALUES (100)");
		total += rows;
		if (round == 2)
			db_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
		snprintf(go, sizeof(go), "go %d\n", total);
		kid_say(&k, go);
	}
	kid_end(&k);
	CHECK(exited(&k, 0), "%s: no file opens (EACCES), none is created, %s; both read-only connections (readonly_shm, "
	      "and ledger_open's flags) read the growing table (three rounds: past a WAL checkpoint, past 5,000 frames)", name,
	      j.port ? "no TCP connect" : "(no TCP check: landlock abi < 4 or seccomp refuses connect first)");
	{
		char wal[600];
		struct stat st;

		snprintf(wal, sizeof(wal), "%s-wal", db);
		CHECK(stat(wal, &st) == 0 && st.st_size > 4100L * (4096 + 24),
		      "%s: the WAL did grow past 4,100 frames (%lld bytes)", name, (long long)st.st_size);
	}
	sqlite3_close(w);
	close(sp[0]);
	if (lsock >= 0)
		close(lsock);
	unlink(file);
	snprintf(file, sizeof(file), "%s-wal", db);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", db);
	unlink(file);
	unlink(db);
}

/* control: the same child without Landlock opens the file (so the EACCES above is Landlock's) */
static int kid_open_plain(void *arg, int up, int down)
{
	struct job *j = arg;
	int fd;

	(void)down;
	if (lock(j, up) < 0)
		return 1;
	fd = open(j->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	close(fd);
	return 0;
}

static int kid_signal(void *arg, int up, int down)
{
	struct job *j = arg;

	(void)down;
	if (lock(j, up) < 0)
		return 1;
	/* root without capabilities may signal a root process (same uid) -- but
	   not out of its Landlock domain (ABI 6 signal scope) */
	if (kill(getppid(), 0) == 0)
		return 2;
	if (errno != EPERM)
		return 3;
	if (kill(getpid(), 0) != 0)
		return 4;
	return 0;
}

static void test_landlock(const char *tmp)
{
	struct sandbox_opts o = http_opts();
	int abi = sandbox_landlock_version();
	char file[512], how[200];
	struct job j;
	struct kid k;

	if (!sandbox_landlock_abi()) {
		printf("ok %d # skip the kernel has no Landlock (the chroot case covers it)\n", ++tap_n);
		return;
	}
	CHECK(abi >= 1, "landlock abi %d", abi);
	/* Landlock alone (connect is on seccomp's list of refusals: it would trap first) */
	o.seccomp = 0;
	landlock_case("landlock", o, tmp, abi >= 4);
	/* the http configuration: Landlock and seccomp together */
	landlock_case("http", http_opts(), tmp, 0);

	/* the control: no Landlock, the same uid, the same file */
	snprintf(file, sizeof(file), "%s/control", tmp);
	{
		FILE *f = fopen(file, "w");

		if (f)
			fclose(f);
		chmod(file, 0644);
	}
	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	j.o.landlock = 0;
	j.o.seccomp = 0;
	j.file = file;
	kid_start(&k, kid_open_plain, &j);
	kid_line(&k, how, sizeof(how));
	kid_end(&k);
	CHECK(exited(&k, 0), "control: without landlock uid 65534 opens the 0644 file");
	unlink(file);

	if (abi >= 6) {
		memset(&j, 0, sizeof(j));
		j.o = http_opts();
		j.o.drop_user = 0;
		j.o.seccomp = 0;
		kid_start(&k, kid_signal, &j);
		kid_line(&k, how, sizeof(how));
		kid_end(&k);
		CHECK(exited(&k, 0), "landlock abi %d: no signal to the parent (EPERM), one to itself works", abi);
	} else {
		printf("ok %d # skip landlock abi %d has no signal scope\n", ++tap_n, abi);
	}
}

/* --- 4. the chroot fallback (as on a kernel without Landlock) --- */

static int kid_chroot(void *arg, int up, int down)
{
	struct job *j = arg;
	struct stat st;
	char cwd[64];
	int fd;

	(void)down;
	if (lock(j, up) < 0)
		return 1;
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	/* EACCES: the root is root's 0700 directory; ENOENT: it is empty */
	if (fd >= 0 || (errno != ENOENT && errno != EACCES)) {
		fprintf(stderr, "open /etc/passwd: %d %s\n", fd, fd < 0 ? strerror(errno) : "opened");
		return 2;
	}
	/* getcwd(2) of a removed directory is ENOENT: where the process is has no name */
	if (getcwd(cwd, sizeof(cwd)) || errno != ENOENT)
		return 3;
	/* the root is a removed directory: nothing can be made in it */
	fd = open("/x", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		return 4;
	if (stat("/", &st) < 0 || st.st_nlink != 0)
		return 5;
	if (getuid() != NOBODY)
		return 6;
	return 0;
}

static void test_chroot(void)
{
	struct job j;
	struct kid k;
	char how[200];

	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	j.o.seccomp = 0;
	sandbox_test_force_chroot(1);
	kid_start(&k, kid_chroot, &j);
	sandbox_test_force_chroot(0);
	kid_line(&k, how, sizeof(how));
	kid_end(&k);
	CHECK(strstr(how, "empty chroot"), "no landlock: the log line says chroot (%s)", how);
	CHECK(exited(&k, 0), "no landlock: an empty removed root, /etc/passwd cannot be opened, nothing can be created");
}

/* --- 4b. Landlock with allowed paths (the ledger's state directory, the devices' /dev) --- */

enum { P_READ_DIR, P_WRITE_DIR, P_READ_FILE, P_N };

struct pjob {
	struct job j;
	char allowed[512], other[512];
};

static int try_open(const char *dir, const char *name, int flags)
{
	char p[600];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int kid_paths(void *arg, int up, int down)
{
	struct pjob *pj = arg;
	char p[600];
	DIR *d;

	(void)down;
	if (lock(&pj->j, up) < 0)
		return 1;
	switch (pj->j.what) {
	case P_READ_DIR:
		if (try_open(pj->allowed, "f", O_RDONLY))
			return 2;
		d = opendir(pj->allowed);
		if (!d)
			return 3;
		closedir(d);
		if (try_open(pj->allowed, "new", O_WRONLY | O_CREAT) != -EACCES)
			return 4;
		if (try_open(pj->allowed, "f", O_WRONLY) != -EACCES)
			return 5;
		if (try_open(pj->other, "f", O_RDONLY) != -EACCES)
			return 6;
		break;
	case P_WRITE_DIR:
		if (try_open(pj->allowed, "new", O_WRONLY | O_CREAT | O_EXCL))
			return 2;
		snprintf(p, sizeof(p), "%s/new", pj->allowed);
		if (unlink(p) < 0)
			return 3;
		snprintf(p, sizeof(p), "%s/sub", pj->allowed);
		if (mkdir(p, 0700) < 0 || rmdir(p) < 0)
			return 4;
		if (try_open(pj->other, "f", O_RDONLY) != -EACCES)
			return 5;
		if (try_open(pj->other, "new", O_WRONLY | O_CREAT) != -EACCES)
			return 6;
		break;
	case P_READ_FILE:
		if (try_open(pj->other, "f", O_RDONLY))
			return 2;
		if (try_open(pj->other, "g", O_RDONLY) != -EACCES)
			return 3;
		if (try_open(pj->other, "f", O_WRONLY) != -EACCES)
			return 4;
		break;
	}
	return 0;
}

static void touch(const char *dir, const char *name)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs("x\n", f);
		fclose(f);
	}
	chmod(p, 0644);
}

static void test_landlock_paths(const char *tmp)
{
	static const char *const what[P_N] = {
		"ll_read of a directory: its files read, listed, not written, nothing created; others refused",
		"ll_write of a directory: create, remove, mkdir in it; others refused",
		"ll_read of one file: it reads, its neighbour does not, nor is it written",
	};
	struct pjob pj;
	struct kid k;
	char how[200], line[400], p[600];
	const char *list[SANDBOX_MAX_PATHS + 1];
	int w;

	if (!sandbox_landlock_abi()) {
		printf("ok %d # skip the kernel has no Landlock\n", ++tap_n);
		return;
	}
	memset(&pj, 0, sizeof(pj));
	snprintf(pj.allowed, sizeof(pj.allowed), "%s/allowed", tmp);
	snprintf(pj.other, sizeof(pj.other), "%s/other", tmp);
	mkdir(pj.allowed, 0755);
	mkdir(pj.other, 0755);
	touch(pj.allowed, "f");
	touch(pj.other, "f");
	touch(pj.other, "g");
	for (w = 0; w < P_N; w++) {
		const char *one[1];

		memset(&pj.j, 0, sizeof(pj.j));
		pj.j.o = http_opts();
		pj.j.o.seccomp = 0;
		pj.j.what = w;
		/* root without capabilities: the owner of the 0755 directories and
		   0644 files, so that only Landlock stands in the way of a write */
		pj.j.o.drop_user = 0;
		snprintf(p, sizeof(p), "%s/f", pj.other);
		one[0] = w == P_READ_FILE ? p : pj.allowed;
		if (w == P_WRITE_DIR) {
			pj.j.o.ll_write = one;
			pj.j.o.nll_write = 1;
		} else {
			pj.j.o.ll_read = one;
			pj.j.o.nll_read = 1;
		}
		kid_start(&k, kid_paths, &pj);
		kid_line(&k, how, sizeof(how));
		kid_end(&k);
		CHECK(exited(&k, 0), "%s (%s)", what[w], how);
		CHECK(strstr(how, "(1 path)") != NULL, "the log line counts the allowed paths");
	}

	/* refused before anything changes */
	{
		struct { const char *what; int rc; int n; int landlock; int force; const char *path; } c[] = {
			{ "a relative path", -EINVAL, 1, 1, 0, "tmp" },
			{ "a missing path", -ENOENT, 1, 1, 0, "/nonexistent/sanitizerd" },
			{ "33 paths", -E2BIG, SANDBOX_MAX_PATHS + 1, 1, 0, "/tmp" },
			{ "paths with landlock = 0", -EINVAL, 1, 0, 0, "/tmp" },
			{ "paths on a kernel without Landlock", -EOPNOTSUPP, 1, 1, 1, "/tmp" },
		};
		size_t i;
		int n;

		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			for (n = 0; n < c[i].n; n++)
				list[n] = c[i].path;
			memset(&pj.j, 0, sizeof(pj.j));
			pj.j.o = http_opts();
			pj.j.o.landlock = c[i].landlock;
			pj.j.o.ll_read = list;
			pj.j.o.nll_read = (size_t)c[i].n;
			pj.j.want_rc = c[i].rc;
			sandbox_test_force_chroot(c[i].force);
			kid_start(&k, kid_bad, &pj.j);
			sandbox_test_force_chroot(0);
			kid_line(&k, line, sizeof(line));
			kid_end(&k);
			CHECK(exited(&k, 0), "bad paths, %s: %d and the child is as it was (%s)", c[i].what, c[i].rc, line);
		}
	}
	snprintf(p, sizeof(p), "%s/f", pj.allowed);
	unlink(p);
	snprintf(p, sizeof(p), "%s/new", pj.allowed);
	unlink(p);      /* there only if a case failed */
	snprintf(p, sizeof(p), "%s/f", pj.other);
	unlink(p);
	snprintf(p, sizeof(p), "%s/g", pj.other);
	unlink(p);
	rmdir(pj.allowed);
	rmdir(pj.other);
}

/* --- 5. seccomp: refused calls end the child with 159, allowed work runs --- */

enum { R_SOCKET, R_EXECVE, R_FORK, R_IOCTL, R_PRCTL, R_BIND, R_PTRACE, R_SETRLIMIT, R_THREAD, R_BLOCKED, R_I386, R_X32, R_N };
static const char *const refused_name[R_N] = {
	"socket(AF_INET)", "execve", "fork", "ioctl(BLKGETSIZE64)", "prctl(PR_SET_DUMPABLE, 1)",
	"bind", "ptrace", "setrlimit", "socket() in a thread started after the lock-down",
	"socket() in a thread that blocks every signal", "an i386 call (int 0x80)", "an x32 call (getpid | 0x40000000)",
};

static void *thread_socket(void *p)
{
	if (p) {
		sigset_t all;

		/* a thread that keeps signals for sigwait(3) elsewhere */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

static int kid_refused(void *arg, int up, int down)
{
	struct job *j = arg;
	uint64_t size;
	char *argv[] = { (char *)"/bin/true", NULL };

	(void)down;
	if (lock(j, up) < 0)
		return 1;
	switch (j->what) {
	case R_SOCKET: socket(AF_INET, SOCK_STREAM, 0); break;
	case R_EXECVE: execve("/bin/true", argv, NULL); break;
	case R_FORK: if (fork() == 0) _exit(0); break;
	case R_IOCTL: ioctl(0, BLKGETSIZE64, &size); break;
	case R_PRCTL: prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); break;
	case R_BIND: {
		struct sockaddr_in a = { .sin_family = AF_INET };
		bind(j->sp, (struct sockaddr *)&a, sizeof(a));
		break;
	}
	case R_PTRACE: syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0); break;
	case R_I386:
#if defined(__x86_64__)
	{
		long ret;

		/* i386 getpid (20) through the 32-bit entry: another architecture */
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		(void)ret;
	}
#endif
		break;
	case R_SETRLIMIT: {
		struct rlimit rl = { 64, 64 };

		setrlimit(RLIMIT_NOFILE, &rl);
		break;
	}
	case R_X32:
		syscall(0x40000000L | SYS_getpid);
		break;
	case R_THREAD:
	case R_BLOCKED: {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_socket, j->what == R_BLOCKED ? &t : NULL))
			return 2;
		pthread_join(t, NULL);
		break;
	}
	}
	return 0;       /* the call went through: the filter failed */
}

static void *thread_work(void *p)
{
	unsigned char r[16];
	struct timespec ts;
	char *m = malloc(1 << 16);

	if (!m || getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r) || clock_gettime(CLOCK_MONOTONIC, &ts))
		*(int *)p = 1;
	if (m)
		memset(m, 1, 1 << 16);
	free(m);
	return NULL;
}

static int kid_allowed(void *arg, int up, int down)
{
	struct job *j = arg;
	pthread_t t[4];
	int bad[4] = { 0 }, i, ep, ev, n;
	struct epoll_event e = { .events = EPOLLIN }, got;
	uint64_t one = 1;
	long r;

	(void)down;
	if (lock(j, up) < 0)
		return 1;
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_work, &bad[i]))
			return 2;
	for (i = 0; i < 4; i++)
		if (pthread_join(t[i], NULL) || bad[i])
			return 3;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ep < 0 || ev < 0)
		return 4;
	e.data.fd = ev;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) || write(ev, &one, sizeof(one)) != sizeof(one))
		return 5;
	n = epoll_wait(ep, &got, 1, 1000);
	if (n != 1 || got.data.fd != ev)
		return 6;
	/* clone3 answers ENOSYS (glibc then uses clone, whose flags the filter reads) */
	r = syscall(SYS_clone3, NULL, 0);
	if (r != -1 || errno != ENOSYS)
		return 7;
	/* the allowed ioctl and prctl requests */
	if (ioctl(ev, FIONREAD, &n) < 0 && errno != ENOTTY && errno != EINVAL)
		return 8;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 9;
	/* nice -5 is refused as the kernel refuses it an unprivileged caller */
	if (setpriority(PRIO_PROCESS, 0, -5) == 0 || errno != EACCES)
		return 11;
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return 12;
	}
	/* a signal to itself */
	signal(SIGUSR1, SIG_IGN);
	if (raise(SIGUSR1) != 0)
		return 10;
	return 0;
}

static void test_seccomp(void)
{
	static const int nr[R_N] = { SYS_socket, SYS_execve, SYS_clone, SYS_ioctl, SYS_prctl, SYS_bind,
				     SYS_ptrace, SYS_prlimit64, SYS_socket, -1, -1, -1 };
	struct job j;
	struct kid k;
	char how[200], want[96];
	int w, sp[2];

	for (w = 0; w < R_N; w++) {
#if !defined(__x86_64__)
		if (w == R_I386 || w == R_X32) {
			printf("ok %d # skip not x86_64\n", ++tap_n);
			continue;
		}
#endif
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return;
		memset(&j, 0, sizeof(j));
		j.o = http_opts();
		j.what = w;
		j.sp = sp[1];
		kid_start(&k, kid_refused, &j);
		kid_line(&k, how, sizeof(how));
		kid_end(&k);
		close(sp[0]);
		close(sp[1]);
		if (w == R_I386 || w == R_X32) {
			CHECK(WIFSIGNALED(k.status) && WTERMSIG(k.status) == SIGSYS,
			      "seccomp: %s kills the process (another architecture)", refused_name[w]);
			continue;
		}
		if (w == R_BLOCKED) {
			/* the kernel forces a blocked SIGSYS to its default action:
			   the handler cannot run, the parent sees the signal */
			CHECK(WIFSIGNALED(k.status) && WTERMSIG(k.status) == SIGSYS,
			      "seccomp: %s kills the process with SIGSYS (no handler can run)", refused_name[w]);
			continue;
		}
		snprintf(want, sizeof(want), "sanitizerd: seccomp refused system call %d\n", nr[w]);
		CHECK(exited(&k, SANDBOX_EXIT_SECCOMP), "seccomp: %s ends the child with exit %d", refused_name[w],
		      SANDBOX_EXIT_SECCOMP);
		CHECK(strstr(k.errtext, want) != NULL, "seccomp: %s is named on stderr (%d)", refused_name[w], nr[w]);
	}
	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	kid_start(&k, kid_allowed, &j);
	kid_line(&k, how, sizeof(how));
	kid_end(&k);
	CHECK(exited(&k, 0), "seccomp: threads, malloc, epoll, eventfd, clock_gettime, getrandom, raise, getrlimit "
	      "run; clone3 is ENOSYS, setpriority EACCES");
}

/* --- 6. keep_caps and dumpable --- */

static int kid_dumpable(void *arg, int up, int down)
{
	struct job *j = arg;

	if (lock(j, up) < 0)
		return 1;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 2;
	down_wait(down);
	return 0;
}

static void test_keep_caps(void)
{
	static const int keep[] = { CAP_SYS_ADMIN, CAP_SYS_RAWIO };
	const uint64_t want = (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SYS_RAWIO);
	struct job j;
	struct kid k;
	char how[200], v[64];
	int drop;

	for (drop = 0; drop <= 1; drop++) {
		memset(&j, 0, sizeof(j));
		j.o.keep_caps = keep;
		j.o.nkeep = 2;
		j.o.dumpable = 0;
		j.o.drop_user = drop;
		j.o.uid = j.o.gid = NOBODY;
		kid_start(&k, kid_dumpable, &j);
		kid_line(&k, how, sizeof(how));
		CHECK(how[0] && strncmp(how, "fail", 4), "keep_caps (%s): lock-down succeeds: %s",
		      drop ? "uid 65534" : "root", how);
		CHECK_EQ_INT(status_hex(k.pid, "CapEff"), want, "keep_caps: CapEff is CAP_SYS_ADMIN|CAP_SYS_RAWIO");
		CHECK_EQ_INT(status_hex(k.pid, "CapPrm"), want, "keep_caps: CapPrm the same");
		CHECK_EQ_INT(status_hex(k.pid, "CapBnd"), want, "keep_caps: CapBnd the same");
		CHECK_EQ_INT(status_hex(k.pid, "CapInh"), 0, "keep_caps: CapInh 0");
		CHECK_EQ_INT(status_hex(k.pid, "CapAmb"), 0, "keep_caps: CapAmb 0");
		CHECK(status_field(k.pid, "Uid", v, sizeof(v)) &&
		      !strcmp(v, drop ? "65534\t65534\t65534\t65534" : "0\t0\t0\t0"), "keep_caps: Uid %s", v);
		CHECK(status_field(k.pid, "NoNewPrivs", v, sizeof(v)) && !strcmp(v, "1"), "keep_caps: NoNewPrivs 1");
		kid_end(&k);
		CHECK(exited(&k, 0), "keep_caps: PR_GET_DUMPABLE is 0");
	}
}

/* --- 7. bad input: refused, nothing changed --- */

static int kid_bad(void *arg, int up, int down)
{
	struct job *j = arg;
	char how[160] = "x", err[256] = "";
	char line[400];

	(void)down;
	j->rc = sandbox_lockdown(&j->o, how, sizeof(how), err, sizeof(err));
	snprintf(line, sizeof(line), "%d %s", j->rc, err);
	up_line(up, line);
	if (j->rc != (j->want_rc ? j->want_rc : -EINVAL))
		return 2;
	if (getuid() != 0 || geteuid() != 0)
		return 3;
	if (cap_eff_self() == 0)
		return 4;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return 5;
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 1)
		return 6;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0)
		return 7;
	if (how[0])
		return 8;       /* no log line for a lock-down that did not happen */
	return 0;
}

static void *thread_idle(void *p)
{
	int fd = *(int *)p;
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* a second thread would keep what capset, no_new_privs and Landlock take from the first */
static int kid_threaded(void *arg, int up, int down)
{
	struct job *j = arg;
	int pfd[2], r;
	pthread_t t;

	(void)down;
	if (pipe2(pfd, O_CLOEXEC) < 0 || pthread_create(&t, NULL, thread_idle, &pfd[0]))
		return 2;
	r = kid_bad(j, up, down);
	close(pfd[1]);
	pthread_join(t, NULL);
	return r == 2 && j->rc == -EBUSY ? 0 : 3;
}

static void test_threads(void)
{
	struct job j;
	struct kid k;
	char line[400];

	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	kid_start(&k, kid_threaded, &j);
	kid_line(&k, line, sizeof(line));
	kid_end(&k);
	CHECK(exited(&k, 0), "a process with two threads is refused (-EBUSY): %s", line);
	CHECK(strstr(line, "2 threads are running") != NULL, "and the message says how many");
}

static void test_bad_input(void)
{
	static const int out_of_range[] = { CAP_SYS_ADMIN, 99 };
	static const int negative[] = { -1 };
	struct { const char *what; struct sandbox_opts o; } c[5];
	struct job j;
	struct kid k;
	char line[400];
	size_t i;

	memset(c, 0, sizeof(c));
	c[0].what = "drop_user to uid 0";
	c[0].o = http_opts();
	c[0].o.uid = 0;
	c[1].what = "drop_user to gid 0";
	c[1].o = http_opts();
	c[1].o.gid = 0;
	c[2].what = "keep_caps with 99";
	c[2].o = http_opts();
	c[2].o.keep_caps = out_of_range;
	c[2].o.nkeep = 2;
	c[3].what = "keep_caps with -1";
	c[3].o = http_opts();
	c[3].o.keep_caps = negative;
	c[3].o.nkeep = 1;
	c[4].what = "nkeep 1 with no list";
	c[4].o = http_opts();
	c[4].o.nkeep = 1;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&j, 0, sizeof(j));
		j.o = c[i].o;
		kid_start(&k, kid_bad, &j);
		kid_line(&k, line, sizeof(line));
		kid_end(&k);
		CHECK(exited(&k, 0), "bad input, %s: -EINVAL and the child is still root, unfiltered (%s)",
		      c[i].what, line);
		CHECK(strstr(line, "cannot ") != NULL, "bad input, %s: a message", c[i].what);
	}
}

/* --- 8. libmicrohttpd started after the lock-down --- */

#define MHD_REQUESTS 100

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **ptr)
{
	static int first;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char body[128];
	int n;

	(void)cls; (void)method; (void)version; (void)data; (void)size;
	if (*ptr == NULL) {
		/* the first call: suspend and resume at once, the path the
		   daemon's deferred POSTs take (the ITC wakes the thread) */
		*ptr = &first;
		MHD_suspend_connection(c);
		MHD_resume_connection(c);
		return MHD_YES;
	}
	n = snprintf(body, sizeof(body), "ok %s\n", url);
	r = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static int kid_mhd(void *arg, int up, int down)
{
	struct job *j = arg;
	struct MHD_Daemon *d;

	if (lock(j, up) < 0)
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			     MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_LISTEN_SOCKET, j->lfd, MHD_OPTION_THREAD_POOL_SIZE, 2,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
	if (!d) {
		up_line(up, "no daemon");
		return 2;
	}
	up_line(up, "serving");
	down_wait(down);
	MHD_stop_daemon(d);
	return 0;
}

static int http_get(int port, int i)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[128], resp[2048], want[32];
	size_t n = 0;
	ssize_t r;
	struct timeval tv = { .tv_sec = 10 };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return 0;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return 0;
	}
	snprintf(req, sizeof(req), "GET /r%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", i);
	if (write(s, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(s);
		return 0;
	}
	while (n + 1 < sizeof(resp) && (r = read(s, resp + n, sizeof(resp) - 1 - n)) > 0)
		n += (size_t)r;
	resp[n] = '\0';
	close(s);
	snprintf(want, sizeof(want), "\r\n\r\nok /r%d\n", i);
	ok = !strncmp(resp, "HTTP/1.1 200", 12) && strstr(resp, want);
	return ok;
}

static void test_mhd(void)
{
	struct job j;
	struct kid k;
	char line[200];
	int port = 0, lfd = listen_loopback(&port), i, good = 0;

	if (lfd < 0) {
		CHECK(0, "mhd: cannot listen on loopback");
		return;
	}
	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	j.lfd = lfd;
	kid_start(&k, kid_mhd, &j);
	close(lfd);
	kid_line(&k, line, sizeof(line));
	CHECK(line[0] && strncmp(line, "fail", 4), "mhd: the http lock-down succeeds (%s)", line);
	kid_line(&k, line, sizeof(line));
	CHECK(!strcmp(line, "serving"), "mhd: libmicrohttpd starts after the lock-down (%s)", line);
	if (!strcmp(line, "serving"))
		for (i = 0; i < MHD_REQUESTS; i++)
			good += http_get(port, i);
	CHECK_EQ_INT(good, MHD_REQUESTS, "mhd: %d requests answered 200 with their own body", MHD_REQUESTS);
	kid_end(&k);
	CHECK(exited(&k, 0), "mhd: the daemon stops cleanly, no call refused");
}

/* --- 9. the same over TLS (GnuTLS in libmicrohttpd), as the http process serves --- */

/* a self-signed P-256 certificate for 127.0.0.1, made once with openssl req
   -x509 (valid for 100 years); a test key, nothing else trusts it */
static const char tls_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBnDCCAUGgAwIBAgIUTXyZlm2SE7uwZ66/kb0tC3s8DWUwCgYIKoZIzj0EAwIw\n"
	"FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMjAxMTg0NVoYDzIxMjYxMTA4\n"
	"MDExODQ1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAARlmyGwzEwKl1nZEPBl6bd9M/hk09hY6Qv0g6U8qSgILuNO6CUss+qc\n"
	"kXe+SNusWgWTyWnV5Vh0aL8rUtWVIycJo28wbTAdBgNVHQ4EFgQUbDeeF7hh0/TO\n"
	"708ETBYLt36RCogwHwYDVR0jBBgwFoAUbDeeF7hh0/TO708ETBYLt36RCogwDwYD\n"
	"VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI\n"
	"zj0EAwIDSQAwRgIhAMkZXxnTHyr6O8w7I1Vrtr/bXYL6RBC3BPX81BTFNLeaAiEA\n"
	"laGoUw5xZrkhVF5jMfIDhnq3KQbHD7c0V2ZOPgWS07I=\n"
	"-----END CERTIFICATE-----\n";
static const char tls_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvWWrWpSvg0/Ts+ec\n"
	"M1RwltkwSO6oRyObxKdilaroRnGhRANCAARlmyGwzEwKl1nZEPBl6bd9M/hk09hY\n"
	"6Qv0g6U8qSgILuNO6CUss+qckXe+SNusWgWTyWnV5Vh0aL8rUtWVIycJ\n"
	"-----END PRIVATE KEY-----\n";

static int kid_mhd_tls(void *arg, int up, int down)
{
	struct job *j = arg;
	struct MHD_Daemon *d;

	if (lock(j, up) < 0)
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TLS, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_LISTEN_SOCKET, j->lfd, MHD_OPTION_THREAD_POOL_SIZE, 2,
			     MHD_OPTION_HTTPS_MEM_CERT, tls_cert, MHD_OPTION_HTTPS_MEM_KEY, tls_key,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
	if (!d) {
		up_line(up, "no daemon");
		return 2;
	}
	up_line(up, "serving");
	down_wait(down);
	MHD_stop_daemon(d);
	return 0;
}

struct sink { char buf[256]; size_t n; };

static size_t on_body(char *p, size_t sz, size_t nm, void *ctx)
{
	struct sink *b = ctx;
	size_t len = sz * nm, room = sizeof(b->buf) - 1 - b->n;

	if (len > room)
		len = room;
	memcpy(b->buf + b->n, p, len);
	b->n += len;
	b->buf[b->n] = '\0';
	return sz * nm;
}

static void test_mhd_tls(void)
{
	struct curl_blob ca = { .data = (void *)tls_cert, .len = sizeof(tls_cert) - 1, .flags = CURL_BLOB_COPY };
	struct job j;
	struct kid k;
	char line[200], url[96], want[32];
	int port = 0, lfd = listen_loopback(&port), i, good = 0;
	CURL *c;

	if (lfd < 0) {
		CHECK(0, "mhd tls: cannot listen on loopback");
		return;
	}
	memset(&j, 0, sizeof(j));
	j.o = http_opts();
	j.lfd = lfd;
	kid_start(&k, kid_mhd_tls, &j);
	close(lfd);
	kid_line(&k, line, sizeof(line));
	CHECK(line[0] && strncmp(line, "fail", 4), "mhd tls: the http lock-down succeeds (%s)", line);
	kid_line(&k, line, sizeof(line));
	CHECK(!strcmp(line, "serving"), "mhd tls: libmicrohttpd with TLS starts after the lock-down (%s)", line);
	c = curl_easy_init();
	if (c && !strcmp(line, "serving")) {
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		for (i = 0; i < MHD_REQUESTS; i++) {
			struct sink b = { .n = 0 };
			long code = 0;

			snprintf(url, sizeof(url), "https://127.0.0.1:%d/t%d", port, i);
			snprintf(want, sizeof(want), "ok /t%d\n", i);
			curl_easy_setopt(c, CURLOPT_URL, url);
			curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
			curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
			/* half on new connections (a handshake each), half kept alive */
			curl_easy_setopt(c, CURLOPT_FORBID_REUSE, i % 2 ? 1L : 0L);
			if (curl_easy_perform(c) == CURLE_OK &&
			    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200 &&
			    !strcmp(b.buf, want))
				good++;
		}
	}
	curl_easy_cleanup(c);
	CHECK_EQ_INT(good, MHD_REQUESTS, "mhd tls: %d requests over TLS (verified against the test certificate) "
		     "answered 200", MHD_REQUESTS);
	kid_end(&k);
	CHECK(exited(&k, 0), "mhd tls: the daemon stops cleanly, no call refused");
}

int main(void)
{
	char tmp[] = "/tmp/sz-sandbox.XXXXXX";

	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (geteuid() != 0) {
		printf("1..0 # SKIP not root: the lock-down drops to uid 65534\n");
		return 0;
	}
	if (!mkdtemp(tmp) || chmod(tmp, 0755) < 0) {
		printf("1..0 # SKIP cannot make a scratch directory\n");
		return 0;
	}
	test_status();
	test_setuid();
	test_landlock(tmp);
	test_chroot();
	test_landlock_paths(tmp);
	test_seccomp();
	test_keep_caps();
	test_bad_input();
	test_threads();
	test_mhd();
	test_mhd_tls();
	rmdir(tmp);
	curl_global_cleanup();
	return tap_done();
}
