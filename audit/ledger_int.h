/* Internal to audit/ledger*.c: the connection and its prepared statements. */
#ifndef SZ_LEDGER_INT_H
#define SZ_LEDGER_INT_H
#include <sqlite3.h>
#include "audit/ledger.h"
#include "audit/merkle.h"

enum {
	ST_MAXSEQ, ST_INS_ENTRY, ST_INS_NODE, ST_GET_NODE, ST_GET_ENTRY,
	ST_GET_STATE, ST_PUT_STATE, ST_INS_CKPT, ST_LAST_CKPT, ST_GET_META, ST_PUT_META,
	ST_SUBJECT_ENTRIES, ST_ENROLLED_SERIAL, ST_LAST_TIME, ST_BEGIN, ST_READ_PROBE, ST_COMMIT, ST_COUNT
};

struct ledger {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct merkle_frontier fr;
	struct merkle_frontier fr_saved;	/* the frontier when a batch began */
	const struct sz_key *sign_key;		/* not owned; see ledger_set_signer */
	char origin[256];
	unsigned sign_every_n, sign_every_ms;
	double last_sign;			/* xmono() of the last checkpoint we signed */
	int rdonly;
	int in_batch;
	int in_read;				/* ledger_read_begin's transaction is open */
	char last_time[25];			/* the last entry's time, valid in this transaction */
	int last_time_ok;			/* ... when set; cleared by every BEGIN and ROLLBACK */
	char err[512];
};

int ledger_seterr(struct ledger *l, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ledger_get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);
int ledger_sync_frontier(struct ledger *l);
/* An RFC 3339 UTC time with milliseconds, exactly as entries carry it: 1 or 0. */
int ledger_time_valid(const char *t);

#endif
