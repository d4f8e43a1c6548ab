/*
 * ledger — the append-only chain-of-custody ledger (SPEC section 4).
 *
 * One SQLite file in WAL mode.  Each entry is RFC 8785 canonical JSON, a leaf
 * of an RFC 6962 Merkle tree whose interior nodes are stored as they
 * complete; triggers make entries, tree nodes and checkpoints refuse UPDATE
 * and DELETE.  The lifecycle of SPEC section 5 is checked on every append.
 * Every commit is durable (fdatasync of the WAL) unless LEDGER_NOSYNC.
 * A struct ledger is one connection; use it from one thread at a time.
 */
#ifndef SZ_LEDGER_H
#define SZ_LEDGER_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct ledger;
struct sz_key;
struct sqlite3;

/* The largest accepted `data` object, canonical form (SPEC: 64 KiB). */
#define LEDGER_DATA_MAX 65536
/* Illegal lifecycle transition: -LEDGER_ECONFLICT (the API's 409). */
#define LEDGER_ECONFLICT EPROTO

enum {
	LEDGER_CREATE = 1,	/* create the file and schema if missing */
	LEDGER_RDONLY = 2,	/* open read-only (an auditor's copy) */
	LEDGER_NOSYNC = 4,	/* no fsync per commit (synchronous=NORMAL): bulk imports only */
	/*
	 * with LEDGER_RDONLY: the -shm file read-only too (SQLite's readonly_shm):
	 * the http process (issue 12), whose reads then need a live writer
	 * elsewhere, and which must not be able to scribble on the WAL index
	 * the writer trusts.  Start its reads with ledger_read_begin.
	 */
	LEDGER_RO_SHM = 8,
};

/*
 * Open the ledger at path.  On error *out is NULL and, when err is not NULL,
 * a message goes there.  -ENOENT without LEDGER_CREATE if missing, -EINVAL if
 * the file is not a sanitizerd ledger.
 */
int ledger_open(const char *path, int flags, struct ledger **out, char *err, size_t errlen);
/* Close; ledger_close(NULL) is a no-op. */
void ledger_close(struct ledger *l);
/*
 * One read transaction over the statements that follow, until
 * ledger_read_end.  A LEDGER_RO_SHM reader cannot take part in WAL
 * recovery, so the start of a read may be refused for a moment (SQLite's
 * SQLITE_READONLY_CANTINIT, _RECOVERY, SQLITE_BUSY_RECOVERY, while the
 * writer restarts its WAL or recovers): it is tried again for up to ~2 s.
 * 0 or -EAGAIN.  Both are no-ops inside a transaction of the caller's.
 */
int ledger_read_begin(struct ledger *l);
void ledger_read_end(struct ledger *l);
/* The message of the last failure on this ledger ("" if none). */
const char *ledger_errmsg(const struct ledger *l);
/* The SQLite handle, for modules that keep their own tables in the same file (tokens). */
struct sqlite3 *ledger_sqlite(struct ledger *l);

/*
 * Attest commits: with a signer set, a transaction that appends (one entry,
 * or a batch at ledger_commit) also signs and stores a checkpoint covering it,
 * in the same transaction, when at least every_n entries or every_ms
 * milliseconds have passed since the last checkpoint (every_n 1: every
 * commit).  Signing costs ~0.3 ms and verifying it ~0.8 ms with libgcrypt, so
 * a busy daemon batches them; ledger_checkpoint attests the rest on demand.
 * k is not copied: it must outlive l (or be unset with NULL).
 */
void ledger_set_signer(struct ledger *l, const struct sz_key *k, const char *origin,
		       unsigned every_n, unsigned every_ms);

/*
 * Group commit: appends between begin and commit are one transaction;
 * rollback drops them all.  0 or -errno.
 */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
int ledger_rollback(struct ledger *l);
/* 1 while a batch is open (a storage failure inside ledger_append closes it). */
int ledger_in_batch(const struct ledger *l);

/*
 * Append one entry.  time NULL means now; actor NULL means "local".  data is
 * not consumed.  On success *seq is the new entry's seq and, when entry is
 * not NULL, *entry is its canonical text (caller frees).  Errors, each with a
 * message in ledger_errmsg, nothing written: -EINVAL bad input (unknown type,
 * bad subject, data not an object, a float, invalid UTF-8, missing field;
 * a time that fails ledger_time_check, is more than 5 minutes ahead of the
 * clock or is before the previous entry's time: entries are in time order,
 * and with time NULL the clock's time is raised to the previous entry's
 * should the clock have stepped back), -E2BIG data over LEDGER_DATA_MAX, -LEDGER_ECONFLICT illegal transition
 * or an "enrolled" whose data.serial belongs to an asset not destroyed
 * (checked inside the write transaction, so concurrent enrolments of one
 * serial cannot both succeed), -EBADMSG for an entry only the service writes
 * (lifecycle_type_service_only) on an asset whose subjects row disagrees with
 * the state replayed from its entries, other -errno for storage failures.
 */
int ledger_append(struct ledger *l, const char *subject, const char *type, const char *actor,
		  const json_t *data, const char *time, uint64_t *seq, char **entry);

/*
 * Is t an entry time: RFC 3339 in the one form entries carry,
 * YYYY-MM-DDThh:mm:ss.mmmZ, with every field in range (month 01-12, the day
 * within the month, leap years included, hour 00-23, minute and second
 * 00-59; no leap second 60; 'Z' only, exactly 3 digits of milliseconds)?
 * 0, or -EINVAL with why (when not NULL) saying which part is wrong.
 */
int ledger_time_check(const char *t, char *why, size_t whylen);

/* The number of entries.  0 or -errno. */
int ledger_size(struct ledger *l, uint64_t *size);
/* The current lifecycle state of subject (LC_NONE if unknown) in *state.  0 or -errno. */
int ledger_state(struct ledger *l, const char *subject, int *state);
/*
 * Entry seq: *text (caller frees, NUL-terminated) and its leaf hash.
 * -ENOENT past the end.
 */
int ledger_get(struct ledger *l, uint64_t seq, char **text, uint8_t leaf[32]);
/*
 * Walk a subject's entries in seq order, at most limit of them (0: all):
 * fn gets each seq and entry text; a non-zero return from fn stops the walk
 * and is returned.
 */
int ledger_subject_entries(struct ledger *l, const char *subject, size_t limit,
			   int (*fn)(void *ctx, uint64_t seq, const char *text), void *ctx);

/*
 * A page of a subject's entries: those after seq after (-1: from the start),
 * in seq order, at most limit; fn gets each seq, text and its length, and a
 * non-zero return stops the walk and is returned.
 */
int ledger_subject_page(struct ledger *l, const char *subject, int64_t after, size_t limit,
			int (*fn)(void *ctx, uint64_t seq, const char *text, size_t len), void *ctx);
/*
 * The assets enrolled for tenant, in id order after the id after ("" or NULL:
 * from the start), only those in state (NULL: any), at most limit: fn gets
 * each id and state.  An index (the enrolment's data.tenant) answers it
 * without looking at other tenants' assets; ledger_tenant_assets_sql is its
 * query (for EXPLAIN QUERY PLAN in the tests).  A non-zero return from fn
 * stops the walk and is returned.
 */
int ledger_tenant_assets(struct ledger *l, const char *tenant, const char *after, const char *state,
			 size_t limit, int (*fn)(void *ctx, const char *id, const char *state), void *ctx);
extern const char ledger_tenant_assets_sql[];
/*
 * The state of subject replayed from its entries alone (LC_NONE if it has
 * none), never read from the derived subjects table, and its last entry in
 * *last_seq (may be NULL).  For code that acts on a state (recovery of
 * interrupted wipes).  0; -EBADMSG (message set) if an entry does not parse
 * or breaks the lifecycle; other -errno.
 */
int ledger_replayed_state(struct ledger *l, const char *subject, int *state, uint64_t *last_seq);
/*
 * Call fn for each asset whose entries, replayed, leave it sanitizing (a wipe
 * started and not ended), with the seq of its sanitize_started; candidates
 * come from the entries (an index of the wipe entries), not from subjects.
 * A non-zero return from fn stops the walk and is returned.  fn must not use
 * l for writing (the walk's statement is open).
 */
int ledger_replayed_sanitizing(struct ledger *l, int (*fn)(void *ctx, const char *subject, uint64_t started),
			       void *ctx);

/* Tree head at size (0 <= size <= ledger size): O(log n) reads.  0 or -errno. */
int ledger_root(struct ledger *l, uint64_t size, uint8_t root[32]);
/* Proofs as merkle_prove_* (hashes holds MERKLE_MAX_PROOF).  -EINVAL for bad ranges. */
int ledger_prove_inclusion(struct ledger *l, uint64_t seq, uint64_t size, uint8_t hashes[][32], size_t *n);
int ledger_prove_consistency(struct ledger *l, uint64_t from, uint64_t to, uint8_t hashes[][32], size_t *n);

/*
 * Sign a checkpoint of the current tree with k under origin and store it,
 * unless the latest stored one already covers the current size.  *note (may
 * be NULL) receives the latest checkpoint text (caller frees).  0 or -errno.
 */
int ledger_checkpoint(struct ledger *l, const struct sz_key *k, const char *origin, char **note);
/* The latest stored checkpoint text in *note (caller frees); -ENOENT if none. */
int ledger_checkpoint_latest(struct ledger *l, char **note);
/* The checkpoint signing origin and public key recorded at creation (meta). */
int ledger_identity(struct ledger *l, char **origin, uint8_t pub[32]);
/* Record the origin and public key in a new ledger (once).  0, -EEXIST, -errno. */
int ledger_set_identity(struct ledger *l, const char *origin, const uint8_t pub[32]);

/*
 * Copy the ledger file, consistently while a writer appends (SQLite's online
 * backup API: one read transaction), to dest: written under a temporary name
 * beside it (0600), as one file (no WAL), fsynced, then renamed.  Without
 * force an existing dest is never replaced (-EEXIST).  0, or -errno with a
 * message in err; on failure dest is untouched and no temporary file is left.
 */
int ledger_backup(struct ledger *l, const char *dest, int force, char *err, size_t errlen);

struct ledger_verify_opts {
	const char *vkey;		/* verifier key string required of checkpoints, or NULL: the ledger's own */
	const char *checkpoint;		/* a checkpoint kept elsewhere, or NULL */
	size_t checkpoint_len;
	int require_attested;		/* fail if entries follow the latest checkpoint */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct ledger_verify_report {
	uint64_t entries;		/* entries read */
	uint64_t checkpoints;		/* stored checkpoints verified */
	int64_t bad_seq;		/* first bad entry, or -1 */
	uint64_t attested;		/* entries covered by the latest valid checkpoint */
	char message[512];		/* what failed, or a summary */
	uint8_t root[32];		/* recomputed root at the full size */
};

/*
 * Recompute every leaf hash and tree node, check canonical form and gap-free
 * seq, replay the lifecycle, verify every stored checkpoint's signature and
 * root; with opts->checkpoint, prove the ledger consistent with it.  Returns
 * 0 when everything holds, -EBADMSG when something does not (the report says
 * what and, where it can, the first bad seq), other -errno when the ledger
 * cannot be read.
 */
int ledger_verify(struct ledger *l, const struct ledger_verify_opts *opts,
		  struct ledger_verify_report *rep);



/*
 * The JSON shapes shared by the CLI and the API (SPEC sections 3 and 6), each
 * a new reference in *out, or -errno with a message in ledger_errmsg:
 *   entry:        {"seq":N,"entry":"<canonical JSON text>","leaf_hash":"<hex>"}
 *   inclusion:    {"seq":N,"tree_size":M,"hashes":["<base64>",…]}
 *   consistency:  {"from":A,"to":B,"hashes":[…]}
 */
int ledger_entry_json(struct ledger *l, uint64_t seq, json_t **out);
int ledger_inclusion_json(struct ledger *l, uint64_t seq, uint64_t size, json_t **out);
int ledger_consistency_json(struct ledger *l, uint64_t from, uint64_t to, json_t **out);
#endif
