/*
 * The ledger process as its receiver (issue 12, sanitizerd/ledgerd.c): run
 * in a child as `serve` runs it, linked by this test as the parent would,
 * then fed frames an honest and a compromised http process might send.  It
 * believes no role it is told by the http link (the caller is its
 * credential's), takes the service role from the devices link only, answers
 * WHO only to devices and tickets only to http, refuses malformed and
 * truncated frames, and drops a link that sends a frame it cannot read while
 * it goes on serving the other.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tap.h"
#include "api/api.h"
#include "audit/ledger.h"
#include "audit/tokens.h"
#include "core/ipc.h"
#include "core/state.h"
#include "sanitizerd/privsep.h"

static char dir[] = "/tmp/sz-test-ledgerd.XXXXXX";
static int hl = -1, dl = -1;	/* our ends of the http and devices links */
static char tech[TOKEN_LEN + 1], admin[TOKEN_LEN + 1], tech_id[TOKEN_ID_LEN + 1];
static uint32_t next_id = 1;

/* An answer to id within ms, or -ETIMEDOUT (nothing came), -ECONNRESET (the ledger closed the link). */
static int answer(int fd, struct ipc_frame *f, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc = poll(&p, 1, ms);

	if (rc <= 0)
		return -ETIMEDOUT;
	return ipc_recv(fd, f);
}

static void caller(struct lw_op *op, unsigned role, const char *actor, unsigned cred_kind, const char *cred)
{
	memset(op, 0, sizeof(*op));
	op->caller.role = role;
	snprintf(op->caller.actor, sizeof(op->caller.actor), "%s", actor);
	op->caller.cred_kind = cred_kind;
	snprintf(op->caller.cred, sizeof(op->caller.cred), "%s", cred ? cred : "");
}

/* Send op on fd with the credential in it; its rc, and the entry's text in *entry (caller frees) when asked. */
static int run(int fd, struct lw_op *op, char **entry)
{
	struct ipc_cred c = { .kind = op->caller.cred_kind };
	struct ipc_w w = { 0 };
	struct ipc_frame f;
	char err[IPC_ERR_MAX];
	uint32_t id = next_id++;
	int rc, orc;

	snprintf(c.text, sizeof(c.text), "%s", op->caller.cred);
	if (ipc_enc_lw_req(&w, &c, op) < 0 || ipc_send(fd, IPC_LW_REQ, id, &w, -1) < 0) {
		ipc_w_free(&w);
		return -999;
	}
	ipc_w_free(&w);
	rc = answer(fd, &f, 10000);
	if (rc < 0)
		return rc == -ETIMEDOUT ? -998 : -997;
	if (f.type != IPC_LW_REP || f.id != id || ipc_dec_lw_rep(&f, &orc, err, sizeof(err), op) < 0)
		orc = -996;
	ipc_frame_free(&f);
	if (orc == 0 && (op->type == LW_APPEND || op->type == LW_ENROL)) {
		if (entry)
			*entry = op->out.entry.entry;
		else
			free(op->out.entry.entry);
	}
	return orc;
}

static int append_note(int fd, unsigned role, const char *actor, unsigned kind, const char *cred, char **entry)
{
	struct lw_op op;

	caller(&op, role, actor, kind, cred);
	op.type = LW_APPEND;
	snprintf(op.in.append.subject, sizeof(op.in.append.subject), "system");
	snprintf(op.in.append.type, sizeof(op.in.append.type), "note");
	op.in.append.data.text = "{\"x\":1}";
	op.in.append.data.len = 7;
	return run(fd, &op, entry);
}

/* A WHO or TICKET request; its frame's rc, or -998 when no answer came within ms. */
static int ask(int fd, uint16_t type, unsigned kind, const char *cred, struct token_info *tok, char *ticket, int ms)
{
	struct ipc_cred c = { .kind = kind };
	struct ipc_w w = { 0 };
	struct ipc_frame f;
	uint64_t exp;
	int rc, who;

	snprintf(c.text, sizeof(c.text), "%s", cred);
	if (ipc_enc_cred(&w, &c) < 0 || ipc_send(fd, type, next_id++, &w, -1) < 0) {
		ipc_w_free(&w);
		return -999;
	}
	ipc_w_free(&w);
	rc = answer(fd, &f, ms);
	if (rc < 0)
		return -998;
	rc = ipc_dec_who_rep(&f, &who, tok, type == IPC_TICKET_REQ ? ticket : NULL, type == IPC_TICKET_REQ ? IPC_CRED_MAX : 0,
			     type == IPC_TICKET_REQ ? &exp : NULL);
	ipc_frame_free(&f);
	return rc < 0 ? -996 : who;
}

static int has(const char *entry, const char *what)
{
	return entry && strstr(entry, what) != NULL;
}

static pid_t start(void)
{
	int ctl[2], hp[2], dp[2];
	struct ipc_frame f;
	struct ipc_w w = { 0 };
	unsigned peer = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, hp) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, dp) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct api *a = calloc(1, sizeof(*a));
		char err[300];
		sigset_t set;

		dup2(ctl[1], PRIVSEP_CTL_FD);
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		a->cfg = (struct api_config){ .state_dir = dir, .ckpt_every_n = 256, .ckpt_every_ms = 5000,
					      .org_name = "", .org_location = "", .org_phone = "", .log_level = LOG_DEBUG };
		if (state_open(dir, STATE_KEY, &a->st, err, sizeof(err)) < 0)
			_exit(3);
		_exit(privsep_ledger(a));
	}
	close(ctl[1]);
	if (answer(ctl[0], &f, 20000) < 0 || f.type != IPC_READY || ipc_dec_peer(&f, &peer) < 0)
		return -1;
	ipc_frame_free(&f);
	CHECK_EQ_INT(peer, IPC_PEER_LEDGER, "the ledger process says it serves");
	ipc_enc_peer(&w, IPC_PEER_HTTP);
	ipc_send(ctl[0], IPC_LINK, 0, &w, hp[1]);
	ipc_enc_peer(&w, IPC_PEER_DEVICES);
	ipc_send(ctl[0], IPC_LINK, 0, &w, dp[1]);
	ipc_w_free(&w);
	close(hp[1]);
	close(dp[1]);
	hl = hp[0];
	dl = dp[0];
	return pid;
}

int main(void)
{
	struct state *st = NULL;
	struct token_info info, tok;
	char err[300], *entry = NULL, ticket[IPC_CRED_MAX] = "", forged[IPC_CRED_MAX];
	int created, status;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir) || state_init(dir, "test/ledgerd", &created, err, sizeof(err)) < 0 ||
	    state_open(dir, STATE_KEY, &st, err, sizeof(err)) < 0 ||
	    token_create(st->ledger, "technician", "t", "", "test", &info, tech) < 0) {
		printf("# setup: %s\n", err);
		return 1;
	}
	snprintf(tech_id, sizeof(tech_id), "%s", info.id);
	if (token_create(st->ledger, "admin", "a", "", "test", &info, admin) < 0)
		return 1;
	state_free(st);
	pid = start();
	CHECK(pid > 0, "the ledger process runs and is linked");
	if (pid <= 0)
		return tap_done();

	/* the caller is the credential's, whatever the frame claims */
	CHECK_EQ_INT(append_note(hl, LW_ROLE_ADMIN, "token:evil", IPC_CRED_BEARER, tech, &entry), 0,
		     "http link: an append with a technician's token, the frame claiming admin: written");
	CHECK(has(entry, tech_id) && !has(entry, "evil"), "... as the technician, not the actor the frame named");
	free(entry);
	entry = NULL;
	CHECK_EQ_INT(append_note(hl, LW_ROLE_SERVICE, "sanitizerd", IPC_CRED_NONE, NULL, NULL), -EPERM,
		     "http link: the service role claimed without a credential: refused, the caller is anonymous");
	{
		struct lw_op op;

		caller(&op, LW_ROLE_ADMIN, "token:x", IPC_CRED_BEARER, tech);
		op.type = LW_TOKEN_CREATE;
		snprintf(op.in.token_create.role, sizeof(op.in.token_create.role), "admin");
		CHECK_EQ_INT(run(hl, &op, NULL), -EPERM, "http link: a token created with a technician's token, claiming admin: refused");
	}
	{
		char unknown[TOKEN_LEN + 1];

		memcpy(unknown, tech, sizeof(unknown));
		unknown[TOKEN_LEN - 1] = unknown[TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
		CHECK_EQ_INT(append_note(hl, LW_ROLE_TECH, "token:x", IPC_CRED_BEARER, unknown, NULL), -EACCES,
			     "http link: a token the ledger does not know: refused");
	}
	/* the devices link is the service */
	CHECK_EQ_INT(append_note(dl, LW_ROLE_SERVICE, "sanitizerd", IPC_CRED_NONE, NULL, &entry), 0,
		     "devices link: the service appends as itself");
	CHECK(has(entry, "\"actor\":\"sanitizerd\""), "... with its own actor");
	free(entry);
	entry = NULL;

	/* who answers what */
	CHECK_EQ_INT(ask(hl, IPC_WHO_REQ, IPC_CRED_BEARER, tech, &tok, NULL, 300), -998,
		     "http link: a WHO request gets no answer (devices only)");
	CHECK_EQ_INT(ask(dl, IPC_TICKET_REQ, IPC_CRED_BEARER, tech, &tok, ticket, 300), -998,
		     "devices link: a ticket request gets no answer (http only)");
	CHECK_EQ_INT(ask(dl, IPC_WHO_REQ, IPC_CRED_BEARER, admin, &tok, NULL, 5000), 0, "devices link: WHO of the admin token");
	CHECK_STR(tok.role, "admin", "... is the admin");
	{
		int rc = ask(hl, IPC_TICKET_REQ, IPC_CRED_NONE, "", &tok, ticket, 5000);

		/* the frame itself is refused (a ticket request carries a bearer token): -EPROTO; a refused credential: -EACCES */
		CHECK(rc == -EPROTO || rc == -EACCES, "http link: a ticket without a token: refused (%d)", rc);
	}
	CHECK_EQ_INT(ask(hl, IPC_TICKET_REQ, IPC_CRED_BEARER, tech, &tok, ticket, 5000), 0,
		     "http link: a console ticket for the technician's token");
	CHECK(!strncmp(ticket, "t1.", 3) && strstr(ticket, tech_id) && !strstr(ticket, tech + 4),
	      "... names the token's id, not its secret");
	CHECK_EQ_INT(append_note(hl, LW_ROLE_ADMIN, "token:evil", IPC_CRED_TICKET, ticket, &entry), 0,
		     "http link: an append with the ticket: written");
	CHECK(has(entry, tech_id), "... as the technician");
	free(entry);
	entry = NULL;
	snprintf(forged, sizeof(forged), "%s", ticket);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(append_note(hl, LW_ROLE_TECH, "token:x", IPC_CRED_TICKET, forged, NULL), -EACCES,
		     "http link: a ticket with its MAC changed: refused");
	{
		/* a ticket for another token id with the technician's MAC */
		char *p = strchr(forged, '.');

		snprintf(forged, sizeof(forged), "%s", ticket);
		p = strchr(forged, '.') + 1;
		p[0] = p[0] == 'a' ? 'b' : 'a';
		CHECK_EQ_INT(append_note(hl, LW_ROLE_TECH, "token:x", IPC_CRED_TICKET, forged, NULL), -EACCES,
			     "http link: a ticket moved to another token id: refused");
	}
	{
		struct lw_op op;

		caller(&op, LW_ROLE_ADMIN, "token:a", IPC_CRED_BEARER, admin);
		op.type = LW_TOKEN_REVOKE;
		snprintf(op.in.token_revoke.id, sizeof(op.in.token_revoke.id), "%s", tech_id);
		CHECK_EQ_INT(run(hl, &op, NULL), 0, "http link: the admin revokes the technician's token");
	}
	CHECK_EQ_INT(append_note(hl, LW_ROLE_TECH, "token:x", IPC_CRED_BEARER, tech, NULL), -EACCES,
		     "... its bearer token is refused at once (the cache was cleared)");
	CHECK_EQ_INT(append_note(hl, LW_ROLE_TECH, "token:x", IPC_CRED_TICKET, ticket, NULL), -EACCES,
		     "... and so is its ticket");
	CHECK_EQ_INT(ask(dl, IPC_WHO_REQ, IPC_CRED_BEARER, tech, &tok, NULL, 5000), -EACCES, "... and WHO says so");

	/* malformed frames */
	{
		struct lw_op op;
		struct ipc_cred c = { .kind = IPC_CRED_BEARER };
		struct ipc_w w = { 0 };
		struct ipc_frame f;
		uint8_t hdr[IPC_HDR_LEN];
		uint16_t t = htons(IPC_LW_REQ), v = htons(IPC_VERSION);
		uint32_t id = htonl(77), len;
		int rc, orc = 1;
		char e[IPC_ERR_MAX];

		caller(&op, LW_ROLE_ADMIN, "token:a", IPC_CRED_BEARER, admin);
		op.type = LW_CHECKPOINT;
		snprintf(c.text, sizeof(c.text), "%s", admin);
		ipc_enc_lw_req(&w, &c, &op);
		len = htonl((uint32_t)w.len - 3);
		memcpy(hdr, &t, 2);
		memcpy(hdr + 2, &v, 2);
		memcpy(hdr + 4, &id, 4);
		memcpy(hdr + 8, &len, 4);
		/* a frame whose payload is three bytes short of its last field: a whole frame, a truncated operation */
		rc = write(hl, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) && write(hl, w.buf, w.len - 3) == (ssize_t)(w.len - 3);
		ipc_w_free(&w);
		rc = rc ? answer(hl, &f, 5000) : -1;
		if (rc == 0) {
			memset(&op, 0, sizeof(op));
			op.type = LW_CHECKPOINT;
			if (f.type != IPC_LW_REP || ipc_dec_lw_rep(&f, &orc, e, sizeof(e), &op) < 0)
				orc = 1;
			ipc_frame_free(&f);
		}
		CHECK_EQ_INT(orc, -EPROTO, "http link: a truncated operation is answered -EPROTO, nothing run");
		/* a header of another version: the link cannot be read any more and is closed */
		v = htons(IPC_VERSION + 1);
		memcpy(hdr + 2, &v, 2);
		len = 0;
		memcpy(hdr + 8, &len, 4);
		rc = write(hl, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) ? answer(hl, &f, 5000) : -1;
		CHECK_EQ_INT(rc, -ECONNRESET, "http link: a header of another version: the ledger closes the link");
		if (rc == 0)
			ipc_frame_free(&f);
	}
	CHECK_EQ_INT(append_note(dl, LW_ROLE_SERVICE, "sanitizerd", IPC_CRED_NONE, NULL, NULL), 0,
		     "the devices link still serves");
	CHECK_EQ_INT(ask(dl, IPC_WHO_REQ, IPC_CRED_BEARER, admin, &tok, NULL, 5000), 0, "... WHO too");

	kill(pid, SIGTERM);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "SIGTERM: the ledger process exits 0");
	{
		struct ledger *l = NULL;
		struct ledger_verify_opts vo = { 0 };
		struct ledger_verify_report rep;
		char path[300];

		snprintf(path, sizeof(path), "%s/ledger.db", dir);
		CHECK(ledger_open(path, LEDGER_RDONLY, &l, err, sizeof(err)) == 0 && ledger_verify(l, &vo, &rep) == 0,
		      "the ledger verifies after it all");
		ledger_close(l);
	}
	close(hl);
	close(dl);
	{
		const char *names[] = { "ledger.db", "ledger.db-wal", "ledger.db-shm", "signing.key", "admin.token",
					"organization.json", NULL };
		char p[300];

		for (int i = 0; names[i]; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return tap_done();
}
