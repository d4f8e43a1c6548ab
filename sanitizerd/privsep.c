#include "sanitizerd/privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/ipc.h"
#include "core/ipclink.h"
#include "sanitizerd/cmd.h"
#include "util/xio.h"

extern char **environ;

static const char *const names[IPC_NPEERS] = { [IPC_PEER_LEDGER] = "ledger", [IPC_PEER_DEVICES] = "devices",
					       [IPC_PEER_HTTP] = "http" };

int privsep_role(void)
{
	const char *v = getenv(PRIVSEP_ENV);

	if (!v)
		return 0;
	for (int i = 1; i < IPC_NPEERS; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

/* ---- the parent ---- */

/* fd moved to a number of at least 100 (close-on-exec), or -1; fd is closed either way. */
static int fcntl_dup_high(int fd)
{
	int h;

	if (fd < 0)
		return -1;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	close(fd);
	return h;
}

struct child {
	pid_t pid;
	int ctl;		/* the parent's end of the control socket, -1 when not running */
	double started;
	unsigned fails;		/* quick deaths in a row, for the back-off */
};

struct parent {
	struct api *a;
	int exe;		/* the binary we started from, for fexecve */
	int listen_fd;
	int argc;
	char **argv;
	struct child c[IPC_NPEERS];
};

/* Fork and re-execute ourselves as child `peer`; the control socket becomes its fd 3. */
static int spawn(struct parent *p, unsigned peer)
{
	struct child *c = &p->c[peer];
	char **av = calloc((size_t)p->argc + 2, sizeof(*av));
	int sv[2];
	pid_t pid;

	if (!av)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(av);
		return -errno;
	}
	av[0] = "sanitizerd";
	for (int i = 0; i < p->argc; i++)
		av[i + 1] = p->argv[i];
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		free(av);
		return -e;
	}
	if (pid == 0) {
		sigset_t none;

		/* the child: fds 3 (and 4) as privsep.h says, nothing else inherited */
		if (sv[1] == PRIVSEP_CTL_FD ? fcntl(sv[1], F_SETFD, 0) < 0 : dup2(sv[1], PRIVSEP_CTL_FD) < 0)
			_exit(127);
		if (peer == IPC_PEER_HTTP) {
			if (dup2(p->listen_fd, PRIVSEP_LISTEN_FD) < 0)
				_exit(127);
		}
		for (int fd = peer == IPC_PEER_HTTP ? PRIVSEP_LISTEN_FD + 1 : PRIVSEP_CTL_FD + 1; fd < 1024; fd++)
			if (fd != p->exe)
				close(fd);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* the parent gone is the daemon crashed: so are its children (the http one also sees its control link end) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setenv(PRIVSEP_ENV, names[peer], 1) < 0)
			_exit(127);
		fexecve(p->exe, av, environ);
		_exit(127);
	}
	free(av);
	close(sv[1]);
	c->pid = pid;
	c->ctl = sv[0];
	c->started = xmono();
	return 0;
}

/* Wait up to ms for child peer's IPC_READY; 0, or -errno (it died, or said nothing). */
static int wait_ready(struct parent *p, unsigned peer, int ms)
{
	struct child *c = &p->c[peer];
	struct pollfd pf = { .fd = c->ctl, .events = POLLIN };
	struct ipc_frame f;
	unsigned who = 0;
	int rc;

	rc = poll(&pf, 1, ms);
	if (rc <= 0)
		return rc == 0 ? -ETIMEDOUT : -errno;
	rc = ipc_recv(c->ctl, &f);
	if (rc < 0)
		return rc;
	if (f.type != IPC_READY || ipc_dec_peer(&f, &who) < 0 || who != peer)
		rc = -EPROTO;
	ipc_frame_free(&f);
	return rc;
}

/* A new link between two running children: one socketpair, an end to each. */
static void link_pair(struct parent *p, unsigned x, unsigned y)
{
	struct ipc_w w = { 0 };
	int sv[2];

	if (p->c[x].ctl < 0 || p->c[y].ctl < 0)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		api_log(p->a, "error: cannot link %s and %s: %s", names[x], names[y], strerror(errno));
		return;
	}
	if (ipc_enc_peer(&w, y) == 0)
		ipc_send(p->c[x].ctl, IPC_LINK, 0, &w, sv[0]);
	if (ipc_enc_peer(&w, x) == 0)
		ipc_send(p->c[y].ctl, IPC_LINK, 0, &w, sv[1]);
	ipc_w_free(&w);
	close(sv[0]);
	close(sv[1]);
}

/* Start child peer, wait for it to serve, and link it to the running others.  0 or -errno. */
static int start_child(struct parent *p, unsigned peer)
{
	int rc = spawn(p, peer);

	if (rc < 0) {
		api_log(p->a, "error: cannot start the %s process: %s", names[peer], strerror(-rc));
		return rc;
	}
	/* the ledger first: the others need it (devices records its recovery; http opens its readers after it) */
	if (peer != IPC_PEER_LEDGER)
		link_pair(p, peer, IPC_PEER_LEDGER);
	if (peer == IPC_PEER_DEVICES)
		link_pair(p, peer, IPC_PEER_HTTP);
	if (peer == IPC_PEER_HTTP)
		link_pair(p, peer, IPC_PEER_DEVICES);
	rc = wait_ready(p, peer, 120000);
	if (rc < 0) {
		api_log(p->a, "error: the %s process did not start: %s", names[peer],
			rc == -ECONNRESET ? "it exited (its error is above)" : strerror(-rc));
		return rc;
	}
	if (peer == IPC_PEER_LEDGER) {
		link_pair(p, IPC_PEER_DEVICES, peer);
		link_pair(p, IPC_PEER_HTTP, peer);
	}
	api_logl(p->a, LOG_DEBUG, "the %s process %ld serves", names[peer], (long)p->c[peer].pid);
	return 0;
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 159 ? " (a system call its seccomp filter refuses)" : "");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)%s", WTERMSIG(status), strsignal(WTERMSIG(status)),
			 WTERMSIG(status) == SIGSYS ? ": a system call its seccomp filter refuses" : "");
	else
		snprintf(buf, len, "ended (status %d)", status);
}

/* Children that ended: restart each (after a back-off when it keeps dying at once). */
static void reap(struct parent *p, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (unsigned i = 1; i < IPC_NPEERS; i++) {
			struct child *c = &p->c[i];
			char how[160];

			if (c->pid != pid)
				continue;
			c->pid = 0;
			close(c->ctl);
			c->ctl = -1;
			if (stopping)
				break;
			describe(status, how, sizeof(how));
			c->fails = xmono() - c->started < 5 ? c->fails + 1 : 0;
			api_log(p->a, "error: the %s process %ld %s; restarting it", names[i], (long)pid, how);
			if (c->fails > 1)
				sleep(c->fails > 10 ? 10 : c->fails);
			/* a child that cannot start is retried at the next tick */
			start_child(p, i);
			break;
		}
	}
}

static void stop_child(struct parent *p, unsigned peer, int ms)
{
	struct child *c = &p->c[peer];
	double t0 = xmono();
	int status;

	if (c->pid <= 0)
		return;
	/* SIGTERM, or (the http process, another uid: no CAP_KILL under the unit) the end of its control socket */
	kill(c->pid, SIGTERM);
	if (c->ctl >= 0)
		shutdown(c->ctl, SHUT_RDWR);
	while (waitpid(c->pid, &status, WNOHANG) == 0) {
		if ((xmono() - t0) * 1000 > ms) {
			api_log(p->a, "error: the %s process did not stop in %d s: killed", names[peer], ms / 1000);
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	c->pid = 0;
	if (c->ctl >= 0)
		close(c->ctl);
	c->ctl = -1;
}

/* SIGHUP: reopen the log here and hand each child the new file (the http process can open none). */
static void reopen_logs(struct parent *p)
{
	api_reopen_log(p->a);
	if (!p->a->cfg.log_path)
		return;
	for (unsigned i = 1; i < IPC_NPEERS; i++) {
		int fd;

		if (p->c[i].ctl < 0)
			continue;
		fd = open(p->a->cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			continue;	/* api_reopen_log said why */
		ipc_send(p->c[i].ctl, IPC_LOGFD, 0, NULL, fd);
		close(fd);
	}
}

int privsep_parent(struct api *a, int argc, char **argv)
{
	struct parent p = { .a = a, .argc = argc, .argv = argv };
	char err[300];
	sigset_t set;
	int rc, sig, code = EXIT_OK;

	for (unsigned i = 0; i < IPC_NPEERS; i++)
		p.c[i].ctl = -1;
	/* above the numbers the children's fds take (privsep.h) */
	p.exe = fcntl_dup_high(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
	if (p.exe < 0) {
		sz_err("cannot open my own binary to start the children: %s", strerror(errno));
		return EXIT_FAIL;
	}
	rc = api_listen(&a->cfg, &p.listen_fd, err, sizeof(err));
	if (rc == 0 && (p.listen_fd = fcntl_dup_high(p.listen_fd)) < 0)
		rc = -EMFILE;
	if (rc < 0) {
		sz_err("%s", err);
		close(p.exe);
		return EXIT_FAIL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 1; i < IPC_NPEERS && code == EXIT_OK; i++)
		if (start_child(&p, i) < 0)
			code = EXIT_FAIL;
	while (code == EXIT_OK) {
		struct timespec tick = { 1, 0 };

		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGHUP) {
			reopen_logs(&p);
			api_log(a, "SIGHUP: log reopened");
		} else if (sig == SIGTERM || sig == SIGINT) {
			api_log(a, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		reap(&p, 0);
		for (unsigned i = 1; i < IPC_NPEERS; i++)
			if (p.c[i].pid <= 0)
				start_child(&p, i);
	}
	/* http first (no new requests), then devices (wipes stop and are recorded through the ledger), the ledger last */
	stop_child(&p, IPC_PEER_HTTP, 15000);
	stop_child(&p, IPC_PEER_DEVICES, 120000);
	stop_child(&p, IPC_PEER_LEDGER, 30000);
	reap(&p, 1);
	close(p.listen_fd);
	close(p.exe);
	if (code == EXIT_OK)
		api_log(a, "stopped");
	return code;
}

/* ---- a child's control link ---- */

struct control {
	struct api *a;
	struct ipc_link *links[IPC_NPEERS];
};

static void control_frame(void *ctx, struct ipc_link *l, struct ipc_frame *f)
{
	struct control *c = ctx;
	unsigned peer;

	(void)l;
	if (f->type == IPC_LINK && ipc_dec_peer(f, &peer) == 0 && c->links[peer]) {
		if (ipc_link_attach(c->links[peer], f->fd) == 0)
			api_logl(c->a, LOG_DEBUG, "linked to the %s process", names[peer]);
		f->fd = -1;
	} else if (f->type == IPC_LOGFD && ipc_dec_empty(f) == 0) {
		api_log_fd(c->a, f->fd);
		f->fd = -1;
	} else {
		api_log(c->a, "error: the parent sent a %s frame this process does not take", ipc_type_name(f->type));
	}
}

static void control_log(void *ctx, const char *msg)
{
	struct control *c = ctx;

	api_log(c->a, "%s", msg);
}

static void control_down(void *ctx)
{
	(void)ctx;
	/*
	 * The parent closed our control socket (it stops us: the http process's
	 * SIGTERM), or is gone (the others have died of PR_SET_PDEATHSIG by
	 * now, which does not survive the http process's uid change): stop as
	 * SIGTERM would, through the main thread's sigwait.
	 */
	kill(getpid(), SIGTERM);
}

struct ipc_link *privsep_control(struct api *a, struct ipc_link *const links[4])
{
	struct control *c = calloc(1, sizeof(*c));
	struct ipc_link *l;

	if (!c)
		return NULL;
	c->a = a;
	for (unsigned i = 0; i < IPC_NPEERS; i++)
		c->links[i] = links[i];
	l = ipc_link_new("parent", control_frame, c, 0, control_log);
	if (!l) {
		free(c);
		return NULL;
	}
	ipc_link_on_down(l, control_down, c);
	if (ipc_link_attach(l, PRIVSEP_CTL_FD) < 0) {
		ipc_link_free(l);
		free(c);
		return NULL;
	}
	return l;	/* c lives as long as the process */
}

int privsep_ready(struct ipc_link *ctl, unsigned self)
{
	struct ipc_w w = { 0 };
	int rc = ipc_enc_peer(&w, self);

	if (rc == 0)
		rc = ipc_link_send(ctl, IPC_READY, 0, &w);
	ipc_w_free(&w);
	return rc;
}
