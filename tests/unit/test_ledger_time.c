/*
 * Entry times (issue 10 item 12): the RFC 3339 parser field by field, and the
 * ledger's time order -- an import before the previous entry is refused, a
 * future one too, the clock's time never goes backwards, and ledger verify
 * names an entry whose time is before its predecessor's.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "audit/jcs.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/merkle.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/sz-test-time.XXXXXX";

struct tcase {
	const char *t, *why;	/* why NULL: valid */
};

static const struct tcase cases[] = {
	{ "2026-01-01T00:00:00.000Z", NULL },
	{ "2026-12-31T23:59:59.999Z", NULL },
	{ "0000-01-01T00:00:00.000Z", NULL },
	{ "9999-12-31T23:59:59.999Z", NULL },
	/* every field out of range */
	{ "2023-00-10T10:00:00.000Z", "month 00 is not 01-12" },
	{ "2023-13-10T10:00:00.000Z", "month 13 is not 01-12" },
	{ "2023-01-00T10:00:00.000Z", "day 00 is not in 2023-01, which has 31 days" },
	{ "2023-01-32T10:00:00.000Z", "day 32 is not in 2023-01, which has 31 days" },
	{ "2023-04-31T10:00:00.000Z", "day 31 is not in 2023-04, which has 30 days" },
	{ "2023-06-30T10:00:00.000Z", NULL },
	{ "2023-02-31T25:61:61.000Z", "day 31 is not in 2023-02, which has 28 days" },
	{ "2023-02-28T24:00:00.000Z", "hour 24 is not 00-23" },
	{ "2023-02-28T25:00:00.000Z", "hour 25 is not 00-23" },
	{ "2023-02-28T23:60:00.000Z", "minute 60 is not 00-59" },
	{ "2023-02-28T23:59:61.000Z", "second 61 is not 00-59" },
	{ "2023-02-28T23:59:99.000Z", "second 99 is not 00-59" },
	{ "2016-12-31T23:59:60.000Z", "second 60 (a leap second) is not accepted; write 59.999" },
	/* February 29: leap years are divisible by 4, centuries only by 400 */
	{ "2024-02-29T12:00:00.000Z", NULL },
	{ "2023-02-29T12:00:00.000Z", "day 29 is not in 2023-02, which has 28 days" },
	{ "2000-02-29T12:00:00.000Z", NULL },
	{ "1900-02-29T12:00:00.000Z", "day 29 is not in 1900-02, which has 28 days" },
	{ "2100-02-29T12:00:00.000Z", "day 29 is not in 2100-02, which has 28 days" },
	{ "2024-02-30T12:00:00.000Z", "day 30 is not in 2024-02, which has 29 days" },
	/* shape: truncated, trailing junk, other RFC 3339 spellings we do not carry */
	{ "", "" },
	{ "2023", "" },
	{ "2023-02-28", "" },
	{ "2023-02-28T10:00:00Z", "" },
	{ "2023-02-28T10:00:00.0Z", "" },
	{ "2023-02-28T10:00:00.00Z", "" },
	{ "2023-02-28T10:00:00.0000Z", "" },
	{ "2023-02-28T10:00:00.000", "" },
	{ "2023-02-28T10:00:00.000Zx", "" },
	{ "2023-02-28T10:00:00.000Z ", "" },
	{ " 2023-02-28T10:00:00.000Z", "" },
	{ "2023-02-28T10:00:00.000+00:00", "" },
	{ "2023-02-28T10:00:00.000z", "" },
	{ "2023-02-28t10:00:00.000Z", "" },
	{ "2023-02-28 10:00:00.000Z", "" },
	{ "2023-2-28T10:00:00.000ZZ", "" },
	{ "2023-02-2aT10:00:00.000Z", "" },
	{ "+023-02-28T10:00:00.000Z", "" },
	{ "2023-02-28T10:00:00,000Z", "" },
};

static void test_parser(void)
{
	const char *shape = "want YYYY-MM-DDThh:mm:ss.mmmZ (RFC 3339 in UTC, 'Z', milliseconds"
			    " exactly 3 digits)";
	char why[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		int rc;

		why[0] = '\0';
		rc = ledger_time_check(c->t, why, sizeof(why));
		if (!c->why) {
			CHECK_EQ_INT(rc, 0, "valid: '%s'", c->t);
		} else {
			CHECK_EQ_INT(rc, -EINVAL, "refused: '%s'", c->t);
			CHECK_STR(why, c->why[0] ? c->why : shape, "  why: %s", c->why[0] ? c->why : "shape");
		}
	}
	CHECK_EQ_INT(ledger_time_check("2023-13-01T00:00:00.000Z", NULL, 0), -EINVAL, "why may be NULL");
}

static struct ledger *open_at(const char *name, struct sz_key *k)
{
	char path[256], err[256];
	struct ledger *l = NULL;
	uint8_t pub[32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &l, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		exit(1);
	}
	key_public(k, pub);
	ledger_set_identity(l, "test.example/time", pub);
	ledger_set_signer(l, k, "test.example/time", 1, 0);
	return l;
}

/* Append a note about asset:t with an explicit time (NULL: now); its time in got. */
static int note_at(struct ledger *l, const char *time, char got[32])
{
	json_t *d = json_object(), *e;
	char *text = NULL;
	int rc;

	rc = ledger_append(l, "asset:t", "note", "test", d, time, NULL, &text);
	json_decref(d);
	if (rc == 0 && got) {
		e = json_loads(text, 0, NULL);
		snprintf(got, 32, "%s", json_string_value(json_object_get(e, "time")));
		json_decref(e);
	}
	free(text);
	return rc;
}

/* The clock plus secs in entry form. */
static void clock_plus(char out[25], int secs)
{
	time_t t = time(NULL) + secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 25, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static uint64_t size_of(struct ledger *l)
{
	uint64_t n = 0;

	ledger_size(l, &n);
	return n;
}

static void test_order(struct sz_key *k)
{
	struct ledger *l = open_at("order.db", k);
	json_t *enrol = json_pack("{s:s, s:s, s:s, s:i, s:s}", "serial", "T-1", "model", "M",
				  "media_type", "ssd", "capacity_bytes", 1000, "tenant", "acme");
	char got[32], soon[25], later[25], msg[600];
	uint64_t n;

	CHECK_EQ_INT(ledger_append(l, "asset:t", "enrolled", "test", enrol, "2026-03-01T10:00:00.000Z",
				   NULL, NULL), 0, "an import at 2026-03-01T10:00:00.000Z");
	json_decref(enrol);
	CHECK_EQ_INT(note_at(l, "2026-03-01T10:00:00.000Z", got), 0, "the same time again is fine");
	CHECK_EQ_INT(note_at(l, "2026-03-01T10:00:00.001Z", got), 0, "a millisecond later is fine");
	n = size_of(l);
	CHECK_EQ_INT(note_at(l, "2026-03-01T09:59:59.999Z", NULL), -EINVAL, "a millisecond earlier is refused");
	CHECK_STR(ledger_errmsg(l), "time 2026-03-01T09:59:59.999Z is before 2026-03-01T10:00:00.001Z,"
		  " the time of entry 2: entries are in time order", "the message names both times");
	CHECK_EQ_INT(note_at(l, "2023-02-31T25:61:61.000Z", NULL), -EINVAL, "an impossible time is refused");
	CHECK_STR(ledger_errmsg(l), "invalid time '2023-02-31T25:61:61.000Z': day 31 is not in 2023-02,"
		  " which has 28 days", "saying what is wrong");
	CHECK_EQ_INT(size_of(l), n, "nothing written");

	/* the future: a little clock skew is allowed, more is refused */
	clock_plus(later, 600);
	CHECK_EQ_INT(note_at(l, later, NULL), -EINVAL, "ten minutes ahead of the clock is refused");
	snprintf(msg, sizeof(msg), "time %s is in the future", later);
	CHECK(strncmp(ledger_errmsg(l), msg, strlen(msg)) == 0, "as in the future: %s", ledger_errmsg(l));
	clock_plus(soon, 120);
	CHECK_EQ_INT(note_at(l, soon, got), 0, "two minutes ahead is within the skew");
	/* now the previous entry is ahead of the clock: now is raised to it, never recorded earlier */
	CHECK_EQ_INT(note_at(l, NULL, got), 0, "an entry at the clock's time");
	CHECK_STR(got, soon, "recorded at the previous entry's time, not before it");
	CHECK_EQ_INT(note_at(l, "2026-03-02T00:00:00.000Z", NULL), -EINVAL, "an import before it is refused");
	ledger_close(l);
}

static int put_tree(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(ctx, "INSERT INTO tree(level, idx, hash) VALUES(?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)level);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(s, 3, h, 32, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(s);
	return rc;
}

/*
 * A ledger whose entries carry the given times, written as someone holding
 * the key would: canonical entries, the whole tree, a signed checkpoint.
 * Everything but the time order is right.  The result of ledger_verify.
 */
static int verify_built(struct sz_key *k, const char *name, const char *const times[3],
			struct ledger_verify_report *rep)
{
	static const char *const types[3] = { "enrolled", "note", "note" };
	struct merkle_frontier fr = { .size = 0 };
	struct ledger *l = open_at(name, k);
	char path[256];
	sqlite3 *db = NULL;
	int rc = 0;

	ledger_close(l);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -999;
	for (int i = 0; i < 3 && rc == 0; i++) {
		json_t *data = i ? json_object()
				 : json_pack("{s:s, s:s, s:s, s:i, s:s}", "serial", "V-1", "model", "M",
					     "media_type", "ssd", "capacity_bytes", 1000, "tenant", "acme");
		json_t *e = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:o}", "v", 1, "seq", i, "time", times[i],
				      "subject", "asset:v", "type", types[i], "actor", "test", "data", data);
		sqlite3_stmt *s = NULL;
		char *text = NULL;
		size_t len = 0;
		uint8_t leaf[32];

		rc = jcs_dump(e, 0, &text, &len);
		json_decref(e);
		if (rc < 0)
			break;
		merkle_leaf_hash(text, len, leaf);
		if (sqlite3_prepare_v2(db, "INSERT INTO entries(seq, subject, type, entry) VALUES(?,?,?,?)",
				       -1, &s, NULL) != SQLITE_OK) {
			free(text);
			rc = -EIO;
			break;
		}
		sqlite3_bind_int(s, 1, i);
		sqlite3_bind_text(s, 2, "asset:v", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, types[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, text, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
		sqlite3_finalize(s);
		free(text);
		if (rc == 0)
			rc = merkle_frontier_append(&fr, leaf, put_tree, db);
	}
	/* and the derived state, as the entries make it (ledger verify compares it) */
	if (rc == 0 && sqlite3_exec(db, "INSERT INTO subjects(subject, state, last_seq) VALUES('asset:v', 'received', 2)",
				    NULL, NULL, NULL) != SQLITE_OK)
		rc = -EIO;
	sqlite3_close(db);
	if (rc < 0)
		return -998;
	l = open_at(name, k);
	rc = ledger_checkpoint(l, k, "test.example/time", NULL);
	if (rc == 0)
		rc = ledger_verify(l, NULL, rep);
	ledger_close(l);
	return rc;
}

static void test_verify(struct sz_key *k)
{
	static const char *const good[3] = {
		"2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.001Z",
	};
	static const char *const back[3] = {
		"2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.002Z", "2026-03-01T10:00:00.001Z",
	};
	static const char *const impossible[3] = {
		"2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.002Z", "2026-02-31T10:00:00.000Z",
	};
	struct ledger_verify_report rep;

	CHECK_EQ_INT(verify_built(k, "good.db", good, &rep), 0, "a built ledger in time order verifies: %s",
		     rep.message);
	CHECK(strstr(rep.message, "times in order") != NULL, "and says its times are in order");
	CHECK_EQ_INT(verify_built(k, "back.db", back, &rep), -EBADMSG, "one whose last entry goes back does not");
	CHECK_EQ_INT(rep.bad_seq, 2, "naming entry 2");
	CHECK_STR(rep.message, "entry 2: its time 2026-03-01T10:00:00.001Z is before"
		  " 2026-03-01T10:00:00.002Z, the time of entry 1", "and both times");
	CHECK_EQ_INT(verify_built(k, "impossible.db", impossible, &rep), -EBADMSG,
		     "one with February 31 does not verify");
	CHECK_STR(rep.message, "entry 2: invalid time '2026-02-31T10:00:00.000Z': day 31 is not in 2026-02,"
		  " which has 28 days", "saying why");
}

int main(void)
{
	static const char *const names[] = { "order.db", "good.db", "back.db", "impossible.db" };
	struct sz_key *k = NULL;

	if (crypto_init() < 0 || !mkdtemp(dir) || key_generate(&k) < 0)
		return 1;
	test_parser();
	test_order(k);
	test_verify(k);
	key_free(k);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		for (size_t j = 0; j < 3; j++) {
			char p[300];
			snprintf(p, sizeof(p), "%s/%s%s", dir, names[i], sfx[j]);
			unlink(p);
		}
	}
	rmdir(dir);
	return tap_done();
}
