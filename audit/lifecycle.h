/*
 * lifecycle — the asset lifecycle of SPEC section 5 and the shape of each
 * entry's data.  Pure functions: the ledger calls them on append and again
 * when it replays history in ledger verify, so both enforce the same rules.
 */
#ifndef SZ_LIFECYCLE_H
#define SZ_LIFECYCLE_H
#include <stddef.h>
#include <jansson.h>

enum lc_state {
	LC_NONE = 0,		/* subject never seen */
	LC_RECEIVED, LC_DEPLOYED, LC_REMOVED, LC_RETIRED, LC_SANITIZING,
	LC_SANITIZED, LC_CERTIFIED, LC_IN_TRANSIT, LC_DESTROYED,
	LC_ACTIVE,		/* a token, host or the system: exists */
	LC_REVOKED,		/* a token after token_revoked */
	LC_STATE_COUNT
};

/* The SPEC name of a state ("received", ...); "" for LC_NONE.  Cannot fail. */
const char *lifecycle_state_name(int state);
/* The state for a name, or -EINVAL. */
int lifecycle_state_parse(const char *name);
/* 1 if type is one of SPEC section 5's entry types, else 0. */
int lifecycle_type_known(const char *type);
/* 1 if only the service may write this type (sanitize_*, certificate_issued, token_*, key_created). */
int lifecycle_type_service_only(const char *type);
/*
 * Validate a subject string: "asset:ID", "host:NAME", "token:ID" or "system",
 * ID and NAME 1..128 of [A-Za-z0-9._:-] not starting with '.'.  1 or 0.
 */
int lifecycle_subject_valid(const char *subject);

/*
 * Check one entry against the state its subject is in (cur) and the rules of
 * SPEC section 5: the subject kind fits the type, data has the required
 * fields with the right types.  On success *next is the subject's state after
 * the entry.  Returns 0; -EINVAL for bad input; -EPROTO for an illegal
 * transition (the API's 409).  A message saying what is wrong goes to msg.
 */
int lifecycle_check(const char *subject, const char *type, const json_t *data, int cur,
		    int *next, char *msg, size_t msglen);

#endif
