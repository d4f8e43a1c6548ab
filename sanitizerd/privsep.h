/*
 * privsep — `sanitizerd serve` as four processes (issue 12), as OpenBSD's
 * ntpd and bgpd are built: a parent that only starts, links and restarts
 * its children, and three children, each re-executed from the same binary
 * (fexecve of the file the parent started from) so that each gets an
 * address space of its own and no memory of the others:
 *   ledger   the only writer of ledger.db and holder of signing.key
 *            (sanitizerd/ledgerd.c)
 *   devices  root, the job manager, the drives (api/ in API_DEVICES mode)
 *   http     libmicrohttpd, unprivileged and locked down (API_HTTP mode)
 * A child learns its part from SANITIZERD_CHILD in its environment, finds
 * its control socket to the parent on fd 3 (and the http child its
 * listening socket on fd 4), and gets its links to the other two as
 * IPC_LINK frames on the control socket: at start, and again whenever the
 * parent has restarted one of them.
 */
#ifndef SZ_PRIVSEP_H
#define SZ_PRIVSEP_H

struct api;
struct ipc_link;

#define PRIVSEP_CTL_FD 3
#define PRIVSEP_LISTEN_FD 4
#define PRIVSEP_ENV "SANITIZERD_CHILD"

/* The part this process plays: 0 the parent (no SANITIZERD_CHILD), an IPC_PEER_*, or -1 for a bad value. */
int privsep_role(void);
/*
 * The parent: start the children over a's configuration (argv: serve's own,
 * argv[0] "serve", passed on to each child), restart the ones that die,
 * and on SIGTERM/SIGINT stop them in order (http, devices, ledger).  The
 * listening socket is bound here (before any child runs, so a busy port is
 * the parent's error).  Returns the process exit code.
 */
int privsep_parent(struct api *a, int argc, char **argv);
/*
 * A child's control link to the parent (fd 3): IPC_LINK frames attach
 * links[peer] (NULL entries: peers it has no link to), IPC_LOGFD replaces
 * its log, end of stream (the parent stops it, or is gone) stops the child
 * as SIGTERM does.  NULL on failure.  privsep_ready tells the parent the child serves.
 */
struct ipc_link *privsep_control(struct api *a, struct ipc_link *const links[4]);
int privsep_ready(struct ipc_link *ctl, unsigned self);
/* The ledger child (sanitizerd/ledgerd.c): a's state opened with its key.  Returns the exit code. */
int privsep_ledger(struct api *a);

#endif
