/*
 * The ledger on a real SQLite file: the lifecycle table of SPEC section 5,
 * input validation, group commit, the tree against an independent
 * recomputation, proofs, checkpoints, triggers, verify, tokens.
 */
#include <errno.h>
#include <gcrypt.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "audit/tokens.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/sz-test-ledger.XXXXXX";

static struct ledger *fresh(const char *name, struct sz_key *k)
{
	char path[256], err[256];
	struct ledger *l = NULL;
	uint8_t pub[32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &l, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		exit(1);
	}
	if (k) {
		key_public(k, pub);
		ledger_set_identity(l, "test.example/ledger", pub);
		ledger_set_signer(l, k, "test.example/ledger", 1, 0);
	}
	return l;
}

static uint64_t size_of(struct ledger *l)
{
	uint64_t n = 0;

	ledger_size(l, &n);
	return n;
}

static int add_raw(struct ledger *l, const char *subject, const char *type, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);
	int rc;

	if (!d)
		return -999;
	rc = ledger_append(l, subject, type, "test", d, NULL, NULL, NULL);
	json_decref(d);
	return rc;
}

/*
 * As add_raw, but every asset is its own drive: the placeholder serial "S1"
 * of ENROL becomes the subject (one live asset per serial, issue 10 item 9).
 */
static int add(struct ledger *l, const char *subject, const char *type, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);
	const char *serial = json_string_value(json_object_get(d, "serial"));
	int rc;

	if (!d)
		return -999;
	if (!strcmp(type, "enrolled") && serial && !strcmp(serial, "S1"))
		json_object_set_new(d, "serial", json_string(subject));
	rc = ledger_append(l, subject, type, "test", d, NULL, NULL, NULL);
	json_decref(d);
	return rc;
}

#define ENROL "{\"serial\":\"S1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1000,\"tenant\":\"acme\"}"

/* The data each asset entry type needs, to test transitions alone. */
static const char *data_for(const char *type)
{
	if (!strcmp(type, "enrolled")) return ENROL;
	if (!strcmp(type, "deployed")) return "{\"host\":\"web1\"}";
	if (!strcmp(type, "patch_audit")) return "{\"host\":\"web1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}";
	if (!strcmp(type, "custody_transfer")) return "{\"from\":\"a\",\"to\":\"b\"}";
	if (!strcmp(type, "shipped")) return "{\"carrier\":\"ups\"}";
	if (!strcmp(type, "destroyed")) return "{\"facility\":\"f\",\"method\":\"shred\"}";
	return "{}";
}

/* SPEC section 5, transcribed independently: a path to each state. */
static const char *const paths[][8] = {
	{ "received", "enrolled" },
	{ "deployed", "enrolled", "deployed" },
	{ "removed", "enrolled", "deployed", "removed" },
	{ "retired", "enrolled", "retired" },
	{ "sanitizing", "enrolled", "retired", "sanitize_started" },
	{ "sanitized", "enrolled", "retired", "sanitize_started", "sanitize_completed" },
	{ "certified", "enrolled", "retired", "sanitize_started", "sanitize_completed", "certificate_issued" },
	{ "in_transit", "enrolled", "retired", "sanitize_started", "sanitize_completed", "certificate_issued", "shipped" },
	{ "destroyed", "enrolled", "retired", "sanitize_started", "sanitize_completed", "certificate_issued", "destroyed" },
};

static const char *const types[] = {
	"enrolled", "deployed", "removed", "retired", "sanitize_started", "sanitize_completed",
	"sanitize_failed", "certificate_issued", "shipped", "destroyed", "patch_audit",
	"custody_transfer", "note",
};

/* Which (state, type) pairs SPEC section 5 allows, and the state after. */
static const char *expect(const char *state, const char *type)
{
	static const char *const allowed[][3] = {
		{ "received", "deployed", "deployed" }, { "removed", "deployed", "deployed" },
		{ "sanitized", "deployed", "deployed" }, { "deployed", "removed", "removed" },
		{ "received", "retired", "retired" }, { "removed", "retired", "retired" },
		{ "retired", "sanitize_started", "sanitizing" },
		{ "sanitizing", "sanitize_completed", "sanitized" },
		{ "sanitizing", "sanitize_failed", "retired" },
		{ "sanitized", "certificate_issued", "certified" },
		{ "certified", "shipped", "in_transit" }, { "certified", "destroyed", "destroyed" },
		{ "in_transit", "destroyed", "destroyed" },
	};
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcmp(allowed[i][0], state) && !strcmp(allowed[i][1], type))
			return allowed[i][2];
	if (!strcmp(type, "note"))
		return state;
	if ((!strcmp(type, "patch_audit") || !strcmp(type, "custody_transfer")) && strcmp(state, "destroyed"))
		return state;
	return NULL;
}

static void test_lifecycle(void)
{
	struct ledger *l = fresh("lifecycle.db", NULL);
	int n = 0, all_ok = 1;

	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			char subject[64];
			int rc = 0, st;
			uint64_t before;
			const char *want = expect(paths[p][0], types[t]);

			snprintf(subject, sizeof(subject), "asset:a%d", n++);
			for (int i = 1; i < 8 && paths[p][i] && rc == 0; i++)
				rc = add(l, subject, paths[p][i], data_for(paths[p][i]));
			ledger_state(l, subject, &st);
			if (rc || strcmp(lifecycle_state_name(st), paths[p][0])) {
				CHECK(0, "path to %s", paths[p][0]);
				all_ok = 0;
				continue;
			}
			before = size_of(l);
			rc = add(l, subject, types[t], data_for(types[t]));
			ledger_state(l, subject, &st);
			if (want) {
				if (rc != 0 || strcmp(lifecycle_state_name(st), want)) {
					CHECK(0, "%s -> %s allowed, to %s (rc %d, now %s)", paths[p][0], types[t],
					      want, rc, lifecycle_state_name(st));
					all_ok = 0;
				}
			} else if (rc != -LEDGER_ECONFLICT || size_of(l) != before ||
				   strcmp(lifecycle_state_name(st), paths[p][0])) {
				CHECK(0, "%s -> %s refused with 409 and nothing written (rc %d)", paths[p][0],
				      types[t], rc);
				all_ok = 0;
			}
		}
	}
	CHECK(all_ok, "every (state, entry type) pair of SPEC section 5 behaves as the table says");
	CHECK_EQ_INT(add(l, "asset:a0", "enrolled", ENROL), -LEDGER_ECONFLICT, "enrolling an asset twice is a conflict");
	CHECK_EQ_INT(add(l, "asset:ghost", "retired", "{}"), -LEDGER_ECONFLICT, "an unknown asset cannot be retired");
	CHECK_EQ_INT(add(l, "asset:ghost", "note", "{}"), -LEDGER_ECONFLICT, "no note about an unknown asset");
	CHECK_EQ_INT(add(l, "host:web1", "host_audit", "{\"host\":\"web1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\"}]}"),
		     0, "host_audit on a host subject");
	CHECK_EQ_INT(add(l, "host:web1", "host_audit", "{\"host\":\"web2\",\"checks\":[{\"id\":\"x\",\"status\":\"patched\"}]}"),
		     -EINVAL, "host_audit must name its own host");
	CHECK_EQ_INT(add(l, "host:web1", "enrolled", ENROL), -EINVAL, "enrolled does not apply to a host");
	ledger_close(l);
}

static void test_bad_input(void)
{
	struct ledger *l = fresh("bad.db", NULL);
	json_t *big, *d;
	char *pad;
	uint64_t before;

	add(l, "asset:x", "enrolled", ENROL);
	before = size_of(l);
	CHECK_EQ_INT(add(l, "asset:x", "teleported", "{}"), -EINVAL, "unknown type");
	CHECK(strstr(ledger_errmsg(l), "unknown entry type") != NULL, "message: %s", ledger_errmsg(l));
	CHECK_EQ_INT(add(l, "asset:x", "note", "[1,2]"), -EINVAL, "data an array");
	CHECK(strstr(ledger_errmsg(l), "object") != NULL, "message: %s", ledger_errmsg(l));
	CHECK_EQ_INT(add(l, "asset:x", "note", "{\"f\":1.5}"), -EINVAL, "a float");
	CHECK_EQ_INT(add(l, "asset:x", "note", "{\"f\":1.0}"), -EINVAL, "a float that looks whole");
	CHECK_EQ_INT(add(l, "asset:x", "note", "{\"f\":9007199254740992}"), -EINVAL, "an integer past 2^53-1");
	CHECK_EQ_INT(add(l, "asset:y", "enrolled",
			 "{\"serial\":\"S\",\"model\":\"M\",\"media_type\":\"floppy\",\"capacity_bytes\":1,\"tenant\":\"t\"}"),
		     -EINVAL, "media_type outside the list");
	CHECK_EQ_INT(add(l, "asset:y", "enrolled", "{\"serial\":\"S\",\"model\":\"M\",\"media_type\":\"ssd\",\"tenant\":\"t\"}"),
		     -EINVAL, "capacity_bytes missing");
	CHECK(strstr(ledger_errmsg(l), "capacity_bytes") != NULL, "message names the field: %s", ledger_errmsg(l));
	CHECK_EQ_INT(add(l, "asset:y", "enrolled",
			 "{\"serial\":7,\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"t\"}"),
		     -EINVAL, "serial of the wrong type");
	CHECK_EQ_INT(add(l, "asset:y", "enrolled",
			 "{\"serial\":\"S\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":-5,\"tenant\":\"t\"}"),
		     -EINVAL, "negative capacity");
	CHECK_EQ_INT(add(l, "asset:../../etc", "enrolled", ENROL), -EINVAL, "path traversal in a subject id");
	CHECK_EQ_INT(add(l, "disk:1", "note", "{}"), -EINVAL, "unknown subject kind");
	CHECK_EQ_INT(add(l, "asset:", "note", "{}"), -EINVAL, "empty subject id");

	d = json_object();
	json_object_set_new(d, "s", json_stringn_nocheck("\xff\xfe", 2));
	CHECK_EQ_INT(ledger_append(l, "asset:x", "note", "t", d, NULL, NULL, NULL), -EINVAL, "invalid UTF-8 in data");
	json_decref(d);
	d = json_object();
	CHECK_EQ_INT(ledger_append(l, "asset:x", "note", "t", d, "yesterday", NULL, NULL), -EINVAL, "a malformed time");
	CHECK_EQ_INT(ledger_append(l, "asset:x", "note", "", d, NULL, NULL, NULL), -EINVAL, "an empty actor");
	json_decref(d);

	pad = malloc(70000);
	memset(pad, 'a', 69999);
	pad[69999] = 0;
	big = json_pack("{s:s}", "pad", pad);
	CHECK_EQ_INT(ledger_append(l, "asset:x", "note", "t", big, NULL, NULL, NULL), -E2BIG, "data over 64 KiB");
	json_decref(big);
	pad[65536 - 12] = 0;	/* {"pad":"…"} is 10 bytes more: just under the cap */
	big = json_pack("{s:s}", "pad", pad);
	CHECK_EQ_INT(ledger_append(l, "asset:x", "note", "t", big, NULL, NULL, NULL), 0, "data just under 64 KiB");
	json_decref(big);
	free(pad);
	CHECK_EQ_INT(size_of(l), before + 1, "only the valid entry was written");
	ledger_close(l);
}

/* RFC 6962 2.1 MTH, recursively, over leaf hashes: not the code under test. */
static void mth(uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
	uint64_t k = 1;
	uint8_t l[32], r[32], buf[65];

	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(leaves, k, l);
	mth(leaves + k, n - k, r);
	buf[0] = 1;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, buf, 65);
}

static void test_tree_and_batches(struct sz_key *k)
{
	struct ledger *l = fresh("tree.db", k);
	uint8_t (*leaves)[32] = calloc(300, 32), root[32], want[32], hashes[MERKLE_MAX_PROOF][32];
	uint8_t pub[32];
	struct checkpoint cp;
	char *text = NULL, *note = NULL, subj[32];
	size_t n;
	int ok = 1;

	CHECK_EQ_INT(ledger_begin(l), 0, "begin a batch");
	for (int i = 0; i < 50; i++) {
		snprintf(subj, sizeof(subj), "asset:r%d", i);
		add(l, subj, "enrolled", ENROL);
	}
	CHECK_EQ_INT(ledger_rollback(l), 0, "roll the batch back");
	CHECK_EQ_INT(size_of(l), 0, "a rolled-back batch leaves nothing");
	CHECK_EQ_INT(ledger_begin(l), 0, "begin a batch again");
	for (int i = 0; i < 200; i++) {
		snprintf(subj, sizeof(subj), "asset:b%d", i);
		ok &= add(l, subj, "enrolled", ENROL) == 0;
	}
	CHECK_EQ_INT(add(l, "asset:b0", "enrolled", ENROL), -LEDGER_ECONFLICT, "a bad entry inside a batch is refused");
	CHECK_EQ_INT(ledger_commit(l), 0, "commit the batch");
	CHECK(ok, "200 appends in one batch");
	CHECK_EQ_INT(size_of(l), 200, "the batch's entries are all there, the refused one is not");
	for (int i = 0; i < 57; i++) {
		snprintf(subj, sizeof(subj), "asset:b%d", i);
		ok &= add(l, subj, "deployed", "{\"host\":\"h\",\"slot\":3}") == 0;
	}
	CHECK(ok, "57 single appends");
	for (uint64_t i = 0; i < 257; i++) {
		ok &= ledger_get(l, i, &text, leaves[i]) == 0;
		uint8_t again[32];
		merkle_leaf_hash(text, strlen(text), again);
		ok &= memcmp(again, leaves[i], 32) == 0;
		free(text);
	}
	CHECK(ok, "every stored leaf is SHA-256(0x00 || entry)");
	for (uint64_t sz = 1; sz <= 257; sz++) {
		mth(leaves, sz, want);
		ok &= ledger_root(l, sz, root) == 0 && memcmp(root, want, 32) == 0;
	}
	CHECK(ok, "root at every size 1..257 equals the RFC 6962 recursion");
	for (uint64_t sz = 1; sz <= 257; sz += 16) {
		mth(leaves, sz, want);
		for (uint64_t i = 0; i < sz; i++)
			ok &= ledger_prove_inclusion(l, i, sz, hashes, &n) == 0 &&
			      merkle_verify_inclusion(leaves[i], i, sz, (const uint8_t (*)[32])hashes, n, want) == 0;
	}
	CHECK(ok, "every inclusion proof verifies against the independent root");
	CHECK_EQ_INT(ledger_prove_inclusion(l, 257, 257, hashes, &n), -EINVAL, "inclusion of seq == size refused");
	CHECK_EQ_INT(ledger_prove_inclusion(l, 0, 258, hashes, &n), -EINVAL, "a size past the end refused");
	CHECK_EQ_INT(ledger_prove_consistency(l, 0, 10, hashes, &n), -EINVAL, "consistency from 0 refused");
	CHECK_EQ_INT(ledger_prove_consistency(l, 11, 10, hashes, &n), -EINVAL, "consistency from > to refused");
	{
		uint8_t r1[32], r2[32];
		mth(leaves, 100, r1);
		mth(leaves, 257, r2);
		CHECK(ledger_prove_consistency(l, 100, 257, hashes, &n) == 0 &&
		      merkle_verify_consistency(100, 257, (const uint8_t (*)[32])hashes, n, r1, r2) == 0,
		      "consistency 100 -> 257 verifies");
	}

	CHECK_EQ_INT(ledger_checkpoint_latest(l, &note), 0, "every commit left a checkpoint");
	key_public(k, pub);
	mth(leaves, 257, want);
	CHECK(note && checkpoint_open(note, strlen(note), "test.example/ledger", pub, &cp) == 0 &&
	      cp.size == 257 && memcmp(cp.root, want, 32) == 0, "the latest checkpoint is signed, size 257, right root");
	free(note);
	ledger_close(l);
	free(leaves);
}

static int sql(const char *db, const char *q)
{
	sqlite3 *h;
	int rc;

	sqlite3_open(db, &h);
	rc = sqlite3_exec(h, q, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static void test_triggers_and_verify(struct sz_key *k)
{
	struct ledger *l = fresh("verify.db", k);
	struct ledger_verify_report rep;
	char path[256];

	for (int i = 0; i < 10; i++) {
		char subj[32];
		snprintf(subj, sizeof(subj), "asset:v%d", i);
		add(l, subj, "enrolled", ENROL);
	}
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), 0, "an untouched ledger verifies: %s", rep.message);
	ledger_close(l);
	snprintf(path, sizeof(path), "%s/verify.db", dir);
	CHECK(sql(path, "UPDATE entries SET entry = 'x' WHERE seq = 3") != SQLITE_OK, "UPDATE of an entry is refused");
	CHECK(sql(path, "DELETE FROM entries WHERE seq = 3") != SQLITE_OK, "DELETE of an entry is refused");
	CHECK(sql(path, "DELETE FROM tree") != SQLITE_OK, "DELETE of tree nodes is refused");
	CHECK(sql(path, "UPDATE checkpoints SET size = 1") != SQLITE_OK, "UPDATE of a checkpoint is refused");
	CHECK(sql(path, "DROP TRIGGER entries_no_update; UPDATE entries SET entry = replace(entry, 'acme', 'acmf') WHERE seq = 4") == SQLITE_OK,
	      "an edit behind the ledger's back, triggers dropped");
	ledger_open(path, LEDGER_RDONLY, &l, NULL, 0);
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), -EBADMSG, "verify catches the edit");
	CHECK_EQ_INT(rep.bad_seq, 4, "and names entry 4: %s", rep.message);
	ledger_close(l);
}

#define ENROL_AS(serial) "{\"serial\":\"" serial "\",\"model\":\"M\",\"media_type\":\"ssd\"," \
	"\"capacity_bytes\":1000,\"tenant\":\"acme\"}"

/* The number of enrolled entries carrying serial. */
static int enrolments_of(struct ledger *l, const char *serial)
{
	sqlite3_stmt *s = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(ledger_sqlite(l), "SELECT count(*) FROM entries WHERE type = 'enrolled'"
			       " AND json_extract(entry, '$.data.serial') = ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

struct racer {
	char path[256];
	int rc;
	char err[512];
};

/* A second connection enrolling DUP-3 while the first holds the write lock. */
static void *race_enrol(void *arg)
{
	struct racer *r = arg;
	struct ledger *l2 = NULL;

	r->rc = ledger_open(r->path, LEDGER_NOSYNC, &l2, r->err, sizeof(r->err));
	if (r->rc == 0) {
		r->rc = add_raw(l2, "asset:r2", "enrolled", ENROL_AS("DUP-3"));
		snprintf(r->err, sizeof(r->err), "%s", ledger_errmsg(l2));
		ledger_close(l2);
	}
	return NULL;
}

/* One drive, one live asset: the check runs inside the write transaction. */
static void test_enrol_serial(struct sz_key *k)
{
	static const char *const to_destroyed[] = {
		"retired", "sanitize_started", "sanitize_completed", "certificate_issued", "destroyed",
	};
	struct ledger *l = fresh("serial.db", k);
	struct racer r = { .rc = 1 };
	struct ledger_verify_report rep;
	pthread_t th;
	uint64_t before;
	int st;

	CHECK_EQ_INT(add_raw(l, "asset:s1", "enrolled", ENROL_AS("DUP-1")), 0, "first enrolment of DUP-1");
	before = size_of(l);
	CHECK_EQ_INT(add_raw(l, "asset:s2", "enrolled", ENROL_AS("DUP-1")), -LEDGER_ECONFLICT,
		     "a second asset with the same serial is a conflict");
	CHECK_STR(ledger_errmsg(l), "a drive with serial DUP-1 is already enrolled as asset s1",
		  "the message names the asset that holds the serial");
	CHECK(size_of(l) == before && ledger_state(l, "asset:s2", &st) == 0 && st == LC_NONE,
	      "nothing written, asset:s2 does not exist");
	CHECK_EQ_INT(add_raw(l, "asset:s2", "enrolled", ENROL_AS("DUP-1x")), 0, "another serial is fine");
	CHECK_EQ_INT(add_raw(l, "asset:s9", "enrolled", ENROL_AS("dup-1")), 0,
		     "serials compare exactly (case matters)");

	/* inside one batch, the batch's own enrolment counts */
	CHECK_EQ_INT(ledger_begin(l), 0, "batch");
	CHECK_EQ_INT(add_raw(l, "asset:b1", "enrolled", ENROL_AS("DUP-2")), 0, "DUP-2 in the batch");
	CHECK_EQ_INT(add_raw(l, "asset:b2", "enrolled", ENROL_AS("DUP-2")), -LEDGER_ECONFLICT,
		     "DUP-2 again in the same batch: conflict");
	CHECK(ledger_in_batch(l), "the refusal leaves the batch open");
	CHECK_EQ_INT(ledger_commit(l), 0, "commit");
	CHECK_EQ_INT(enrolments_of(l, "DUP-2"), 1, "one enrolment of DUP-2 stored");

	/* a destroyed asset releases its serial */
	for (size_t i = 0; i < sizeof(to_destroyed) / sizeof(to_destroyed[0]); i++)
		add(l, "asset:s1", to_destroyed[i], data_for(to_destroyed[i]));
	CHECK(ledger_state(l, "asset:s1", &st) == 0 && st == LC_DESTROYED, "asset:s1 destroyed");
	CHECK_EQ_INT(add_raw(l, "asset:s3", "enrolled", ENROL_AS("DUP-1")), 0,
		     "after destruction the serial may be enrolled again");
	CHECK_EQ_INT(add_raw(l, "asset:s4", "enrolled", ENROL_AS("DUP-1")), -LEDGER_ECONFLICT,
		     "but only once more");
	CHECK_STR(ledger_errmsg(l), "a drive with serial DUP-1 is already enrolled as asset s3",
		  "naming the live asset, not the destroyed one");

	/* two connections: the loser waits for the winner's lock, then sees its entry */
	snprintf(r.path, sizeof(r.path), "%s/serial.db", dir);
	CHECK_EQ_INT(ledger_begin(l), 0, "connection 1 holds the write lock");
	CHECK_EQ_INT(add_raw(l, "asset:r1", "enrolled", ENROL_AS("DUP-3")), 0, "connection 1 enrols DUP-3");
	CHECK_EQ_INT(pthread_create(&th, NULL, race_enrol, &r), 0, "connection 2 starts");
	usleep(200 * 1000);
	CHECK_EQ_INT(ledger_commit(l), 0, "connection 1 commits");
	pthread_join(th, NULL);
	CHECK_EQ_INT(r.rc, -LEDGER_ECONFLICT, "connection 2's enrolment of DUP-3 is a conflict");
	CHECK_STR(r.err, "a drive with serial DUP-3 is already enrolled as asset r1", "its message");
	CHECK_EQ_INT(enrolments_of(l, "DUP-3"), 1, "exactly one enrolment of DUP-3");
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), 0, "the ledger verifies: %s", rep.message);
	ledger_close(l);
}

static void test_tokens(void)
{
	struct ledger *l = fresh("tokens.db", NULL);
	struct token_info ti, got;
	char secret[TOKEN_LEN + 1], wrong[TOKEN_LEN + 1];
	int st;

	CHECK_EQ_INT(token_create(l, "technician", "bench 3", NULL, "test", &ti, secret), 0, "create a token");
	CHECK(strncmp(secret, "szt_", 4) == 0 && strlen(secret) == TOKEN_LEN, "szt_ + 43 characters");
	CHECK(token_check(l, secret, &got) == 0 && !strcmp(got.role, "technician") && !strcmp(got.id, ti.id),
	      "the token authenticates with its role");
	memcpy(wrong, secret, sizeof(wrong));
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(token_check(l, wrong, &got), -EACCES, "a changed token does not");
	CHECK_EQ_INT(token_check(l, "szt_short", &got), -EACCES, "a short token does not");
	CHECK_EQ_INT(token_create(l, "customer", "c", NULL, "test", &ti, secret), -EINVAL, "a customer needs a tenant");
	CHECK_EQ_INT(token_create(l, "root", "c", NULL, "test", &ti, secret), -EINVAL, "an unknown role");
	CHECK_EQ_INT(token_create(l, "auditor", "a", NULL, "test", &ti, secret), 0, "create an auditor");
	CHECK_EQ_INT(token_revoke(l, ti.id, "test"), 0, "revoke it");
	CHECK_EQ_INT(token_check(l, secret, &got), -EACCES, "a revoked token is refused");
	CHECK_EQ_INT(token_revoke(l, ti.id, "test"), -EALREADY, "revoking twice");
	CHECK_EQ_INT(token_revoke(l, "nope", "test"), -ENOENT, "revoking an unknown id");
	{
		char subject[64];
		snprintf(subject, sizeof(subject), "token:%s", ti.id);
		ledger_state(l, subject, &st);
		CHECK_STR(lifecycle_state_name(st), "revoked", "creation and revocation are ledger entries");
	}
	ledger_close(l);
}

/* Issue 11: recovery trusts the entries, not the derived subjects table; verify compares them. */
static int on_sanitizing(void *ctx, const char *subject, uint64_t started)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	snprintf(buf + n, 256 - n, "%s@%llu;", subject, (unsigned long long)started);
	return 0;
}

static void test_replayed_state(struct sz_key *k)
{
	struct ledger *l = fresh("replay.db", k);
	struct ledger_verify_report rep;
	sqlite3 *db = ledger_sqlite(l);
	char found[256] = "";
	uint64_t last = 0;
	int st = -1;

	add(l, "asset:r1", "enrolled", ENROL);
	add(l, "asset:r1", "retired", "{}");		/* seq 1 */
	add(l, "asset:r2", "enrolled", ENROL);
	add(l, "asset:r2", "retired", "{}");
	add(l, "asset:r2", "sanitize_started", "{}");	/* seq 4: r2 is sanitizing */
	add(l, "asset:r3", "enrolled", ENROL);
	add(l, "asset:r3", "retired", "{}");
	add(l, "asset:r3", "sanitize_started", "{}");
	add(l, "asset:r3", "sanitize_failed", "{}");	/* r3 retired again */
	CHECK_EQ_INT(ledger_replayed_state(l, "asset:r1", &st, &last), 0, "replay r1");
	CHECK_STR(lifecycle_state_name(st), "retired", "r1 replays as retired");
	CHECK_EQ_INT((int)last, 1, "r1's last entry is seq 1");
	CHECK_EQ_INT(ledger_replayed_state(l, "asset:nobody", &st, NULL), 0, "replay an unknown subject");
	CHECK_EQ_INT(st, LC_NONE, "an unknown subject replays as none");
	CHECK_EQ_INT(ledger_replayed_sanitizing(l, on_sanitizing, found), 0, "walk the sanitizing assets");
	CHECK_STR(found, "asset:r2@4;", "only r2 is sanitizing (r3's wipe ended)");

	/* the guards refuse a state edit; with them dropped the replay is not fooled */
	CHECK(sqlite3_exec(db, "UPDATE subjects SET state = 'sanitizing' WHERE subject = 'asset:r1'", NULL, NULL,
			   NULL) != SQLITE_OK, "an UPDATE of a state alone is refused");
	CHECK(sqlite3_exec(db, "DELETE FROM subjects WHERE subject = 'asset:r2'", NULL, NULL, NULL) != SQLITE_OK,
	      "a DELETE from subjects is refused");
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), 0, "verify passes untouched: %s", rep.message);
	CHECK(sqlite3_exec(db, "DROP TRIGGER subjects_update_follows; DROP TRIGGER subjects_no_delete;"
			   " UPDATE subjects SET state = 'sanitizing' WHERE subject = 'asset:r1';"
			   " DELETE FROM subjects WHERE subject = 'asset:r2'", NULL, NULL, NULL) == SQLITE_OK,
	      "tamper with subjects behind the ledger's back");
	ledger_state(l, "asset:r1", &st);
	CHECK_STR(lifecycle_state_name(st), "sanitizing", "the derived table now says sanitizing");
	CHECK_EQ_INT(ledger_replayed_state(l, "asset:r1", &st, NULL), 0, "replay r1 again");
	CHECK_STR(lifecycle_state_name(st), "retired", "the replay still says retired");
	found[0] = '\0';
	CHECK_EQ_INT(ledger_replayed_sanitizing(l, on_sanitizing, found), 0, "walk again");
	CHECK_STR(found, "asset:r2@4;", "r1 is not offered for recovery; r2 still is without its row");
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), -EBADMSG, "verify fails on the edited subjects");
	CHECK(strstr(rep.message, "asset:r1 is 'sanitizing' after entry 1, but its entries make it 'retired'") != NULL,
	      "names the first difference: %s", rep.message);
	ledger_close(l);
}

/* Verify replays one live asset per serial: a destroyed asset releases it. */
static void test_verify_serials(struct sz_key *k)
{
	struct ledger *l = fresh("vserial.db", k);
	struct ledger_verify_report rep;
	const char *path[] = { "retired", "sanitize_started", "sanitize_completed", "certificate_issued", "destroyed" };
	char enrol[200];

	snprintf(enrol, sizeof(enrol), "{\"serial\":\"SER\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"t\"}");
	CHECK_EQ_INT(add_raw(l, "asset:d1", "enrolled", enrol), 0, "enrol d1 with SER");
	for (size_t i = 0; i < 5; i++)
		add_raw(l, "asset:d1", path[i], data_for(path[i]));
	CHECK_EQ_INT(add_raw(l, "asset:d2", "enrolled", enrol), 0, "d1 destroyed: d2 may enrol SER");
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), 0, "a released serial verifies: %s", rep.message);
	/* bypass the rule: d2 looks destroyed while d3 enrols, then back */
	sqlite3_exec(ledger_sqlite(l), "DROP TRIGGER subjects_update_follows;"
		     " UPDATE subjects SET state = 'destroyed' WHERE subject = 'asset:d2'", NULL, NULL, NULL);
	CHECK_EQ_INT(add_raw(l, "asset:d3", "enrolled", enrol), 0, "the rule bypassed: d3 enrols SER too");
	sqlite3_exec(ledger_sqlite(l), "UPDATE subjects SET state = 'received' WHERE subject = 'asset:d2'", NULL, NULL, NULL);
	CHECK_EQ_INT(ledger_verify(l, NULL, &rep), -EBADMSG, "two live assets with one serial fail verify");
	CHECK(strstr(rep.message, "entry 7 enrols serial 'SER', which asset:d2 (entry 6) still holds") != NULL,
	      "names both: %s", rep.message);
	CHECK_EQ_INT((int)rep.bad_seq, 7, "at the second enrolment");
	ledger_close(l);
}

/* Issue 11: a tenant's assets by an index, not a walk over every tenant's. */
static int on_asset(void *ctx, const char *id, const char *state)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	snprintf(buf + n, 256 - n, "%s=%s;", id, state);
	return 0;
}

static void test_tenant_assets(struct sz_key *k)
{
	struct ledger *l = fresh("tenant.db", k);
	sqlite3_stmt *s = NULL;
	char got[256] = "", plan[1024] = "";
	char d[200];
	const char *ids[] = { "t3", "o1", "t1", "o2", "t2" };

	for (size_t i = 0; i < 5; i++) {
		char subject[32];
		snprintf(subject, sizeof(subject), "asset:%s", ids[i]);
		snprintf(d, sizeof(d), "{\"serial\":\"S-%s\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,"
			 "\"tenant\":\"%s\"}", ids[i], ids[i][0] == 't' ? "tee" : "other");
		add_raw(l, subject, "enrolled", d);
	}
	add_raw(l, "asset:t2", "retired", "{}");
	CHECK_EQ_INT(ledger_tenant_assets(l, "tee", NULL, NULL, 100, on_asset, got), 0, "list tee's assets");
	CHECK_STR(got, "t1=received;t2=retired;t3=received;", "only tee's, in id order, with states");
	got[0] = '\0';
	ledger_tenant_assets(l, "tee", "t1", NULL, 1, on_asset, got);
	CHECK_STR(got, "t2=retired;", "after t1, limit 1");
	got[0] = '\0';
	ledger_tenant_assets(l, "tee", NULL, "received", 100, on_asset, got);
	CHECK_STR(got, "t1=received;t3=received;", "only those received");
	got[0] = '\0';
	ledger_tenant_assets(l, "nobody", NULL, NULL, 100, on_asset, got);
	CHECK_STR(got, "", "a tenant with no assets: none");
	{
		char q[1024];
		snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", ledger_tenant_assets_sql);
		if (sqlite3_prepare_v2(ledger_sqlite(l), q, -1, &s, NULL) == SQLITE_OK) {
			while (sqlite3_step(s) == SQLITE_ROW) {
				size_t n = strlen(plan);
				snprintf(plan + n, sizeof(plan) - n, "%s|", (const char *)sqlite3_column_text(s, 3));
			}
			sqlite3_finalize(s);
		}
	}
	CHECK(strstr(plan, "USING INDEX entries_enrolled_tenant") != NULL, "the query uses the tenant index: %s", plan);
	CHECK(strstr(plan, "SCAN") == NULL, "and scans no table: %s", plan);
	ledger_close(l);
}

int main(void)
{
	struct sz_key *k = NULL;
	char cmd[300];

	if (crypto_init() < 0 || !mkdtemp(dir))
		return 1;
	key_generate(&k);
	test_lifecycle();
	test_bad_input();
	test_tree_and_batches(k);
	test_triggers_and_verify(k);
	test_tokens();
	test_enrol_serial(k);
	test_replayed_state(k);
	test_verify_serials(k);
	test_tenant_assets(k);
	key_free(k);
	snprintf(cmd, sizeof(cmd), "%s", dir);
	/* remove the scratch files; the directory holds only ours */
	{
		const char *names[] = { "lifecycle.db", "bad.db", "tree.db", "verify.db", "tokens.db", "serial.db",
					"replay.db", "vserial.db", "tenant.db" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char p[300];
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
			snprintf(p, sizeof(p), "%s/%s-wal", dir, names[i]);
			unlink(p);
			snprintf(p, sizeof(p), "%s/%s-shm", dir, names[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return tap_done();
}
