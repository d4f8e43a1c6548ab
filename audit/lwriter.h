/*
 * lwriter — the ledger writer: the one thread that writes the ledger and the
 * only holder of the signing key.  Callers hand it OPERATIONS, fixed structs
 * of plain data (ids, strings of stated maximum lengths, JSON as text, the
 * caller's role, tenant and actor), never code: so the same operations can
 * later cross a socketpair to a separate ledger process (issue 12) as
 * length-checked messages.  The writer checks every operation where it
 * arrives (lwriter_run): the type, every length and NUL, the caller's role
 * against the roles the operation allows; the lifecycle rules stay with
 * ledger_append and the audit functions it calls.
 *
 * Appends (LW_APPEND, LW_ENROL) that arrive together share one transaction
 * and one fsync (group commit); the other operations run alone, in order.  A
 * signed checkpoint covers commits by the policy given at start, and a timer
 * attests a quiet tail every ckpt_every_ms.
 */
#ifndef SZ_LWRITER_H
#define SZ_LWRITER_H
#include <stddef.h>
#include <stdint.h>

#include "audit/cert.h"
#include "audit/patchaudit.h"
#include "audit/tokens.h"

struct ledger;
struct sz_key;
struct lwriter;

/* The operations: one enum, one input and one output struct each. */
enum lw_type {
	LW_APPEND = 1,		/* an event on a subject; grouped */
	LW_ENROL,		/* an asset's "enrolled" entry; grouped */
	LW_CERT_ISSUE,		/* a certificate of the last sanitization */
	LW_TOKEN_CREATE,
	LW_TOKEN_REVOKE,
	LW_PATCH_AUDIT,		/* a host_audit entry (patchaudit.h) */
	LW_CHECKPOINT,		/* sign a checkpoint of the current tree */
	LW_NTYPES
};

/* Who asks: exactly one of these. */
enum {
	LW_ROLE_ADMIN = 1, LW_ROLE_TECH = 2, LW_ROLE_AUDITOR = 4, LW_ROLE_CUSTOMER = 8,
	LW_ROLE_ANONYMOUS = 16,	/* a request without a token */
	LW_ROLE_SERVICE = 32,	/* the daemon itself: its job manager, recovery */
};

/* Lengths include the NUL: a field that has none within its array is refused. */
#define LW_ACTOR_MAX 64
#define LW_TENANT_MAX 128
#define LW_SUBJECT_MAX 200
#define LW_TYPE_MAX 64
#define LW_ASSET_ID_MAX 129		/* the ledger's subject NAME limit, 128 */
#define LW_CRED_MAX 192		/* a bearer token or a console ticket, NUL included */
#define LW_TEXT_MAX 65536		/* a JSON text: data, a request body (API_BODY_MAX) */

struct lw_caller {
	unsigned role;			/* one LW_ROLE_* */
	char tenant[LW_TENANT_MAX];	/* a customer's tenant; "" for every other role */
	char actor[LW_ACTOR_MAX];	/* recorded in the entries: "token:<id>", "sanitizerd" */
	/*
	 * How the caller proved it (issue 12): a writer in another process
	 * (the ledger process) takes role, tenant and actor from this, never
	 * from the fields above, when the request comes from the http process.
	 * The in-process writer ignores it.  cred_kind is an IPC_CRED_* of core/ipc.h.
	 */
	unsigned cred_kind;
	char cred[LW_CRED_MAX];
};

/* A JSON text: text NULL means absent; len bytes, at most LW_TEXT_MAX. */
struct lw_text {
	const char *text;
	size_t len;
};

struct lw_append_in {
	char subject[LW_SUBJECT_MAX];	/* "asset:<id>", ... */
	char type[LW_TYPE_MAX];		/* not enrolled, host_audit (their own operations) */
	struct lw_text data;		/* required: a JSON object */
};
struct lw_enrol_in {
	char asset_id[LW_ASSET_ID_MAX];
	struct lw_text data;		/* required: the enrolled entry's data */
};
struct lw_cert_in {
	char asset_id[LW_ASSET_ID_MAX];
	struct lw_text request;		/* optional: the body cert_issue takes */
};
struct lw_token_create_in {
	char role[16];			/* admin, technician, auditor, customer */
	char name[128];
	char tenant[128];		/* a customer's; "" otherwise */
};
struct lw_token_revoke_in {
	char id[TOKEN_ID_LEN + 1];
};
struct lw_patch_audit_in {
	char host[PATCH_AUDIT_HOST_MAX + 1];
	struct lw_text body;		/* required */
};

/* Outputs; the strings are new (the caller frees them), NULL on failure. */
struct lw_entry_out {
	uint64_t seq;
	char *entry;			/* the entry's canonical text */
};
struct lw_cert_out {
	char *cert;			/* {"id":…,"jws":…} as JSON text */
};
struct lw_token_out {
	struct token_info info;
	char secret[TOKEN_LEN + 1];	/* the caller wipes it */
};
struct lw_patch_audit_out {
	char *entry;			/* the host_audit entry as JSON text */
};

struct lw_op {
	enum lw_type type;
	struct lw_caller caller;
	union {
		struct lw_append_in append;
		struct lw_enrol_in enrol;
		struct lw_cert_in cert;
		struct lw_token_create_in token_create;
		struct lw_token_revoke_in token_revoke;
		struct lw_patch_audit_in patch_audit;
	} in;
	union {
		struct lw_entry_out entry;	/* LW_APPEND, LW_ENROL */
		struct lw_cert_out cert;
		struct lw_token_out token;	/* LW_TOKEN_CREATE */
		struct lw_patch_audit_out patch_audit;
	} out;
};

struct lwriter_config {
	struct ledger *ledger;		/* the writing connection: borrowed, outlives the writer */
	struct sz_key *key;		/* taken: the writer frees it at lwriter_stop, even on error */
	const char *origin;		/* the checkpoint origin (copied) */
	unsigned ckpt_every_n;		/* sign at least every N entries (0: 1) ... */
	unsigned ckpt_every_ms;		/* ... or every T ms; and the quiet timer (0: 10 s) */
	struct cert_config cert;	/* certificates' issuer fields (its strings borrowed) */
	void (*log)(void *ctx, const char *msg);	/* errors of the writer's own work; may be NULL */
	void *log_ctx;
};

/*
 * Start the writer thread with cfg; it owns cfg->key from now on (also when
 * starting fails).  0 and *out, or -errno.
 */
int lwriter_start(const struct lwriter_config *cfg, struct lwriter **out);
/* Finish queued work, attest the tail, join, wipe the key.  lwriter_stop(NULL) is a no-op. */
void lwriter_stop(struct lwriter *w);

/*
 * Check op and run it on the writer thread; wait for it.  Fills op->out on
 * success.  0, or -errno with a message in err (when not NULL):
 *   -EINVAL   unknown type or role, a string without its NUL, a required
 *             value missing, a text over LW_TEXT_MAX or not a JSON object
 *   -EPERM    the caller's role may not ask for this operation (or for an
 *             entry type only the service writes)
 *   -ESHUTDOWN the writer is stopping
 *   others    as ledger_append, cert_issue, token_create, token_revoke,
 *             patch_audit_record and ledger_checkpoint return them
 * Nothing is written on any error but one: -ENOMEM rendering the result of
 * a certificate or patch audit that was recorded (err says so).
 */
int lwriter_run(struct lwriter *w, struct lw_op *op, char *err, size_t errlen);

/* Transactions the writer committed (a group counts once); for tests and metrics. */
unsigned long lwriter_commits(struct lwriter *w);

#endif
