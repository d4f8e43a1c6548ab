/*
 * fuzz_ledger — ledger entry data as ledger_append validates it before
 * writing (audit/ledger.c check_input, the lifecycle of audit/lifecycle.c,
 * the one-live-asset-per-serial check), on a temporary ledger.
 * Input: records of five lines each, subject, type, actor, time, data
 * (JSON on one line); an empty actor or time line means NULL.  Up to 16
 * records are appended in one batch, which is then rolled back, so every
 * run starts from the same (empty) ledger.  Every 512th run commits instead
 * and runs ledger_verify; the file is started over past 4096 entries.
 * Properties: every refusal is -EINVAL, -E2BIG or -EPROTO with a message,
 * and writes nothing (the size is unchanged); every success adds exactly
 * one entry, which reads back byte for byte as returned, is canonical, and
 * carries the given subject, type, actor (or "local") and data; a rollback
 * restores the size; the committed ledger verifies.
 */
#include "audit/jcs.h"
#include "audit/ledger.h"
#include "tests/fuzz/fuzz.h"

#define RECORDS_MAX 16

static struct ledger *led;
static char path[300];
static unsigned long runs;

static const char *const seeds[] = {
	("asset:a1\nenrolled\n\n\n{\"serial\":\"S-1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,"
	 "\"tenant\":\"acme\"}\nasset:a1\ndeployed\ntoken:t1\n\n{\"host\":\"web-17\",\"slot\":3}\n"
	 "asset:a1\nremoved\n\n\n{}\nasset:a1\nretired\n\n\n{}\n"),
	("asset:a1\nenrolled\n\n\n{\"serial\":\"S-1\"}\nasset:a2\nenrolled\n\n\n{\"serial\":\"S-1\"}\n"),
	("asset:a1\ndeployed\n\n\n{}\n"),
	("system\nnote\nlocal\n2026-01-01T00:00:00.000Z\n{\"text\":\"hello\",\"n\":9007199254740991}\n"),
	("host:web-17\nnote\n\n2099-01-01T00:00:00.000Z\n{\"n\":1.5}\n"),
	("token:abc\nnote\n\n\n{\"s\":\"\\ud800\"}\n"),
	("asset:../x\nenrolled\n\n\n{}\n"),
	("asset:a1\nenrolled\n\n2026-02-30T00:00:00.000Z\n{\"serial\":\"S\"}\n"),
	("asset:a1\nenrolled\n\n\n{\"serial\":\"S\"}\nasset:a1\nsanitize_started\n\n\n{\"method\":\"clear-zero\"}\n"),
};

static void start_over(void)
{
	char err[256], p[320];
	uint8_t pub[32];

	ledger_close(led);
	led = NULL;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &led, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	/* ledger_verify needs the identity a state directory's ledger has */
	key_public(fuzz_key(), pub);
	if (ledger_set_identity(led, FUZZ_ORIGIN, pub) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	if (getenv("SZ_FUZZ_SEEDS")) {
		fuzz_seed_strs(seeds, sizeof(seeds) / sizeof(seeds[0]));
		exit(0);
	}
	snprintf(path, sizeof(path), "%s/ledger.db", fuzz_tmpdir());
	start_over();
	return 0;
}

/* Next line of [*p, end) as a NUL-terminated string in place (the buffer is ours); NULL at the end. */
static char *line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		nl = end;
	*nl = '\0';
	*p = nl + 1;
	return s;
}

static void check_entry(const char *text, const char *subject, const char *type, const char *actor,
			const json_t *data, uint64_t seq)
{
	json_t *e = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	char *canon = NULL, *got = NULL;
	uint8_t leaf[32];
	size_t len;

	FUZZ_CHECK(json_is_object(e));
	FUZZ_CHECK(jcs_dump(e, 0, &canon, &len) == 0 && strcmp(canon, text) == 0);
	FUZZ_CHECK(json_integer_value(json_object_get(e, "seq")) == (json_int_t)seq);
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(e, "subject")), subject));
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(e, "type")), type));
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(e, "actor")), actor ? actor : "local"));
	FUZZ_CHECK(json_equal(json_object_get(e, "data"), data));
	FUZZ_CHECK(ledger_time_check(json_string_value(json_object_get(e, "time")), NULL, 0) == 0);
	FUZZ_CHECK(ledger_get(led, seq, &got, leaf) == 0 && strcmp(got, text) == 0);
	free(got);
	free(canon);
	json_decref(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_str(data, size), *p = buf, *end = buf + size;
	int commit = ++runs % 512 == 0;
	uint64_t base, n;

	FUZZ_CHECK(ledger_size(led, &base) == 0);
	FUZZ_CHECK(ledger_begin(led) == 0);
	for (int i = 0; i < RECORDS_MAX; i++) {
		char *subject = line(&p, end), *type = line(&p, end), *actor = line(&p, end);
		char *time = line(&p, end), *dtext = line(&p, end), *entry = NULL;
		json_t *d;
		uint64_t seq = 0, before;
		int rc;

		if (!dtext)
			break;
		if (!*actor)
			actor = NULL;
		if (!*time)
			time = NULL;
		else
			(void)ledger_time_check(time, NULL, 0);
		d = json_loads(dtext, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!d)
			continue;
		FUZZ_CHECK(ledger_size(led, &before) == 0);
		rc = ledger_append(led, subject, type, actor, d, time, &seq, &entry);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -LEDGER_ECONFLICT);
		FUZZ_CHECK(ledger_size(led, &n) == 0);
		if (rc == 0) {
			FUZZ_CHECK(n == before + 1 && seq == before);
			check_entry(entry, subject, type, actor, d, seq);
		} else {
			FUZZ_CHECK(n == before && entry == NULL);
			FUZZ_CHECK(ledger_errmsg(led)[0] != '\0');
		}
		FUZZ_CHECK(ledger_in_batch(led));
		free(entry);
		json_decref(d);
	}
	if (commit) {
		struct ledger_verify_report rep;
		struct ledger_verify_opts opts = { 0 };
		int rc;

		FUZZ_CHECK(ledger_commit(led) == 0);
		rc = ledger_verify(led, &opts, &rep);
		if (rc != 0)
			fprintf(stderr, "ledger_verify: %d %s %s\n", rc, rep.message, ledger_errmsg(led));
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(ledger_size(led, &n) == 0);
		if (n > 4096)
			start_over();
	} else {
		FUZZ_CHECK(ledger_rollback(led) == 0);
		FUZZ_CHECK(ledger_size(led, &n) == 0 && n == base);
	}
	free(buf);
	return 0;
}
