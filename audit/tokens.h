/*
 * tokens — bearer tokens "szt_" + 256 random bits (base64url), stored only as
 * their SHA-256 in the ledger file's tokens table; creation and revocation
 * are ledger entries (token_created, token_revoked) in the same transaction.
 */
#ifndef SZ_TOKENS_H
#define SZ_TOKENS_H
#include <stddef.h>
#include <jansson.h>

struct ledger;

#define TOKEN_PREFIX "szt_"
#define TOKEN_LEN 47		/* "szt_" + 43 base64url characters */
#define TOKEN_ID_LEN 12

struct token_info {
	char id[TOKEN_ID_LEN + 1];
	char role[16];		/* admin, technician, auditor, customer */
	char name[128];
	char tenant[128];	/* "" unless a customer */
	int revoked;
};

/* 1 if role is admin, technician, auditor or customer. */
int token_role_valid(const char *role);
/*
 * Create a token: a new id and secret, its hash stored, a token_created entry
 * appended by actor.  secret receives TOKEN_LEN + 1 bytes (caller wipes it).
 * A customer needs a tenant; others must not have one.  0, -EINVAL (message
 * in ledger_errmsg), or -errno.
 */
int token_create(struct ledger *l, const char *role, const char *name, const char *tenant,
		 const char *actor, struct token_info *info, char secret[TOKEN_LEN + 1]);
/*
 * Look a presented token up: 0 and *info if it is a live token, -EACCES if
 * unknown, malformed or revoked.  The comparison of hashes is constant-time.
 */
int token_check(struct ledger *l, const char *presented, struct token_info *info);
/* The token of that id, revoked ones too (info->revoked says): 0, -ENOENT, -EIO. */
int token_get(struct ledger *l, const char *id, struct token_info *info);
/* Revoke by id, appending token_revoked.  -ENOENT unknown, -EALREADY revoked. */
int token_revoke(struct ledger *l, const char *id, const char *actor);
/* All tokens (no secrets) as a JSON array, new reference in *out.  0 or -errno. */
int token_list(struct ledger *l, json_t **out);

#endif
