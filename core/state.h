/*
 * state — the state directory of SPEC section 2: ledger.db, signing.key and
 * admin.token.  Creating it is init; opening it checks the secrets' modes.
 */
#ifndef SZ_STATE_H
#define SZ_STATE_H
#include <stddef.h>
#include <stdint.h>

struct ledger;
struct sz_key;

struct state {
	char *dir;
	char *origin;
	struct ledger *ledger;
	struct sz_key *key;	/* NULL unless opened with STATE_KEY */
	uint8_t pub[32];
	char *vkey;		/* note verifier key string */
};

enum {
	STATE_KEY = 1,		/* load the signing key (refusing lax modes) */
	STATE_RDONLY = 2,	/* open the ledger read-only */
	STATE_NOSYNC = 4,	/* ledger commits without fsync (bulk work) */
	STATE_RO_SHM = 8,	/* with STATE_RDONLY: the WAL index read-only too (LEDGER_RO_SHM) */
};

/*
 * Create the state directory dir (mode 0700) with a new ledger, signing key
 * and admin token, and the key_created and token_created entries and a first
 * checkpoint.  origin NULL means "<hostname>/sanitizerd".  *created is 0 when
 * everything was already there (nothing is changed then).  0 or -errno, with
 * a message in err.
 */
int state_init(const char *dir, const char *origin, int *created, char *err, size_t errlen);
/*
 * Open an initialised state directory.  Refuses group/other-readable
 * secrets.  On error *out is NULL and err says why.  0 or -errno.
 */
int state_open(const char *dir, int flags, struct state **out, char *err, size_t errlen);
/*
 * Move the signing key out of st (st->key is NULL after): the ledger writer
 * (audit/lwriter.h) takes it at start and is its only holder from then on.
 * NULL if st holds none.  The caller frees it (key_free); cannot fail.
 */
struct sz_key *state_take_key(struct state *st);
/* Close and wipe; state_free(NULL) is a no-op. */
void state_free(struct state *st);
/* Path of a file in the state directory; new string or NULL. */
char *state_path(const char *dir, const char *name);

#endif
