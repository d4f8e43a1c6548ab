/*
 * patch_audit_record: a good body becomes one host_audit entry linked to the
 * assets deployed on the host (and only those); every malformed body or host
 * is -EINVAL with a message and writes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit/ledger.h"
#include "audit/patchaudit.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/sz-test-patchaudit.XXXXXX";

static uint64_t size_of(struct ledger *l)
{
	uint64_t n = 0;

	ledger_size(l, &n);
	return n;
}

static int add(struct ledger *l, const char *subject, const char *type, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);
	int rc;

	if (!d)
		return -999;
	rc = ledger_append(l, subject, type, "test", d, NULL, NULL, NULL);
	json_decref(d);
	return rc;
}

static void enrol(struct ledger *l, const char *id)
{
	char subject[64], data[160];

	snprintf(subject, sizeof(subject), "asset:%s", id);
	/* one live asset per serial (ledger_append): each its own */
	snprintf(data, sizeof(data), "{\"serial\":\"S-%s\",\"model\":\"M\",\"media_type\":\"ssd\","
		 "\"capacity_bytes\":1,\"tenant\":\"acme\"}", id);
	add(l, subject, "enrolled", data);
}

static const char good[] =
	"{\"scanner\":\"test/1\",\"time\":\"2014-09-25T10:00:00Z\",\"ticket\":\"CHG-42\","
	"\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\",\"evidence\":\"it ran\"},"
	"{\"id\":\"CVE-2014-7169\",\"status\":\"patched\"},"
	"{\"id\":\"bash-version\",\"status\":\"not_applicable\",\"evidence\":\"line 1\\nline 2\"}]}";

static void records(struct ledger *l)
{
	json_t *body = json_loads(good, 0, NULL), *e = NULL, *d, *want, *assets = NULL;
	char err[256] = "";
	uint64_t n = size_of(l);
	int rc;

	rc = patch_audit_record(l, "web1", body, "token:t1", &e, err, sizeof(err));
	CHECK_EQ_INT(rc, 0, "a good body is recorded (%s)", err);
	CHECK_EQ_INT(size_of(l), n + 1, "as one entry");
	CHECK_EQ_INT(json_integer_value(json_object_get(e, "seq")), n, "the entry is returned with its seq");
	CHECK_STR(json_string_value(json_object_get(e, "subject")), "host:web1", "on subject host:web1");
	CHECK_STR(json_string_value(json_object_get(e, "type")), "host_audit", "of type host_audit");
	CHECK_STR(json_string_value(json_object_get(e, "actor")), "token:t1", "by the actor given");
	d = json_object_get(e, "data");
	CHECK_STR(json_string_value(json_object_get(d, "host")), "web1", "data.host from the URL");
	want = json_loads("[\"d1\",\"d2\",\"d5\"]", 0, NULL);
	{
		char *got = json_dumps(json_object_get(d, "assets"), JSON_COMPACT);
		CHECK(json_equal(json_object_get(d, "assets"), want),
		      "data.assets: deployed now, latest deployment on web1, sorted (%s)", got ? got : "");
		free(got);
	}
	json_decref(want);
	CHECK(json_equal(json_object_get(d, "checks"), json_object_get(body, "checks")), "checks kept as given");
	CHECK_STR(json_string_value(json_object_get(d, "ticket")), "CHG-42", "a custom member is kept");
	CHECK_STR(json_string_value(json_object_get(d, "time")), "2014-09-25T10:00:00Z", "the scanner's time is kept");
	CHECK_STR(json_string_value(json_object_get(d, "scanner")), "test/1", "and the scanner");
	CHECK(strcmp(json_string_value(json_object_get(e, "time")), "2014-09-25T10:00:00.000Z") != 0,
	      "the entry's own time is the ledger's clock");
	json_decref(e);

	CHECK_EQ_INT(patch_audit_record(l, "web9", body, NULL, NULL, err, sizeof(err)), 0,
		     "a host with nothing deployed, no entry wanted (%s)", err);
	CHECK_EQ_INT(patch_audit_hosted_assets(l, "web9", &assets, err, sizeof(err)), 0, "hosted assets of web9");
	CHECK_EQ_INT(json_array_size(assets), 0, "none");
	json_decref(assets);
	CHECK_EQ_INT(patch_audit_hosted_assets(l, "web2", &assets, err, sizeof(err)), 0, "hosted assets of web2");
	want = json_loads("[\"d3\",\"d6\"]", 0, NULL);
	CHECK(json_equal(assets, want), "d3 and d6 are on web2");
	json_decref(want);
	json_decref(assets);
	json_decref(body);
}

static void boundaries(struct ledger *l)
{
	static const char *const ok[] = {
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2016-02-29T23:59:60.123456789+05:30\",\"checks\":[{\"id\":\"CVE-2021-44228\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25T10:00:00-00:00\",\"checks\":[{\"id\":\"CVE-2014-1234567\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"},{\"id\":\"A\",\"status\":\"patched\"}]}",
	};
	char err[256];
	json_t *b;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b = json_loads(ok[i], 0, NULL);
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), 0, "valid: %s (%s)",
			     ok[i], err);
		json_decref(b);
	}
	/* the largest counts and sizes are accepted */
	b = json_pack("{s:s, s:[]}", "scanner", "s", "checks");
	for (int i = 0; i < PATCH_AUDIT_CHECKS_MAX; i++) {
		char id[32];
		snprintf(id, sizeof(id), "c%d", i);
		json_array_append_new(json_object_get(b, "checks"), json_pack("{s:s, s:s}", "id", id, "status", "patched"));
	}
	CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), 0, "%d checks (%s)",
		     PATCH_AUDIT_CHECKS_MAX, err);
	json_decref(b);
	{
		char ev[PATCH_AUDIT_EVIDENCE_MAX + 1], host[PATCH_AUDIT_HOST_MAX + 1];
		memset(ev, 'e', sizeof(ev) - 1);
		ev[sizeof(ev) - 1] = '\0';
		memset(host, 'h', sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		b = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "scanner", "s", "checks", "id", "x", "status",
			      "patched", "evidence", ev);
		CHECK_EQ_INT(patch_audit_record(l, host, b, NULL, NULL, err, sizeof(err)), 0,
			     "a %d-byte host name and %d-byte evidence (%s)", PATCH_AUDIT_HOST_MAX,
			     PATCH_AUDIT_EVIDENCE_MAX, err);
		json_decref(b);
	}
}

static void bad_bodies(struct ledger *l)
{
	static const char *const bad[] = {
		"[]", "\"x\"", "1", "null", "{}",
		/* scanner */
		"{\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":1,\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"a\\nb\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"a\\u0000b\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		/* time */
		"{\"scanner\":\"s\",\"time\":\"yesterday\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":123,\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-13-01T00:00:00Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-02-30T00:00:00Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2015-02-29T00:00:00Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25T10:00:00\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25t10:00:00z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25T24:00:00Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25T10:00:00.Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25T10:00:00+2:00\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"time\":\"2014-09-25T10:00:00.1234567890Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		/* checks */
		"{\"scanner\":\"s\"}",
		"{\"scanner\":\"s\",\"checks\":{}}",
		"{\"scanner\":\"s\",\"checks\":[]}",
		"{\"scanner\":\"s\",\"checks\":[1]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-6271\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"fixed\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":1}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":7,\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"cve-2014-6271\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-14-6271\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-627\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-6271x\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"-x\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a b\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a/b\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\",\"evidence\":1}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\",\"evidence\":\"\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\",\"evidence\":\"\\u0001\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\",\"severity\":\"high\"}]}",
		"{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"},{\"id\":\"a\",\"status\":\"vulnerable\"}]}",
		/* members the service owns, and custom members the ledger cannot hold */
		"{\"scanner\":\"s\",\"host\":\"web1\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"assets\":[],\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"x\":1.5,\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
		"{\"scanner\":\"s\",\"\":1,\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
	};
	char err[256];
	uint64_t n = size_of(l);
	json_t *b;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t je;
		b = json_loads(bad[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!b) {
			CHECK(0, "test body %zu parses: %s", i, je.text);
			continue;
		}
		err[0] = '\0';
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "bad body refused: %s -> %s", bad[i], err);
		CHECK(err[0] != '\0' && strncmp(err, "cannot", 6) != 0, "with a message saying what is wrong");
		json_decref(b);
	}
	err[0] = '\0';
	CHECK_EQ_INT(patch_audit_record(l, "web1", NULL, NULL, NULL, err, sizeof(err)), -EINVAL, "no body: %s", err);

	/* counts and sizes one past their caps */
	b = json_pack("{s:s, s:[]}", "scanner", "s", "checks");
	for (i = 0; i <= PATCH_AUDIT_CHECKS_MAX; i++) {
		char id[32];
		snprintf(id, sizeof(id), "c%zu", i);
		json_array_append_new(json_object_get(b, "checks"), json_pack("{s:s, s:s}", "id", id, "status", "patched"));
	}
	CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL, "%d checks: %s",
		     PATCH_AUDIT_CHECKS_MAX + 1, err);
	json_decref(b);
	{
		char big[70000], id[PATCH_AUDIT_ID_MAX + 2], sc[PATCH_AUDIT_SCANNER_MAX + 2];
		memset(big, 'e', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memset(id, 'i', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		memset(sc, 's', sizeof(sc) - 1);
		sc[sizeof(sc) - 1] = '\0';
		big[PATCH_AUDIT_EVIDENCE_MAX + 1] = '\0';
		b = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "scanner", "s", "checks", "id", "x", "status",
			      "patched", "evidence", big);
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "evidence of %d bytes: %s", PATCH_AUDIT_EVIDENCE_MAX + 1, err);
		json_decref(b);
		b = json_pack("{s:s, s:[{s:s, s:s}]}", "scanner", "s", "checks", "id", id, "status", "patched");
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "an id of %d bytes: %s", PATCH_AUDIT_ID_MAX + 1, err);
		json_decref(b);
		b = json_pack("{s:s, s:[{s:s, s:s}]}", "scanner", sc, "checks", "id", "a", "status", "patched");
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "a scanner of %d bytes: %s", PATCH_AUDIT_SCANNER_MAX + 1, err);
		json_decref(b);
		memset(big, 'e', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		b = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "scanner", "s", "pad", big, "checks", "id", "a", "status",
			      "patched");
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "a body over the ledger's 64 KiB: %s", err);
		json_decref(b);
		b = json_pack("{s:s, s:[{s:s, s:s}]}", "scanner", "s", "checks", "id", "a", "status", "patched");
		for (i = 0; i <= PATCH_AUDIT_EXTRA_MAX; i++) {
			char k[16];
			snprintf(k, sizeof(k), "x%zu", i);
			json_object_set_new(b, k, json_true());
		}
		CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "%d custom members: %s", PATCH_AUDIT_EXTRA_MAX + 1, err);
		json_decref(b);
	}
	CHECK_EQ_INT(size_of(l), n, "nothing was written by any of them");
}

static void bad_hosts(struct ledger *l)
{
	static const char *const bad[] = {
		"", "-web", "web-", ".web", "web.", "a..b", "web_1", "web/1", "host:x", "web 1", "w\xc3\xa9" "b",
		"web1\n",
	};
	char err[256], longhost[PATCH_AUDIT_HOST_MAX + 2];
	json_t *b = json_loads(good, 0, NULL);
	uint64_t n = size_of(l);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(patch_audit_record(l, bad[i], b, NULL, NULL, err, sizeof(err)), -EINVAL,
			     "bad host '%s' refused: %s", bad[i], err);
		CHECK(!patch_audit_host_valid(bad[i]), "patch_audit_host_valid('%s') is 0", bad[i]);
	}
	memset(longhost, 'h', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	CHECK_EQ_INT(patch_audit_record(l, longhost, b, NULL, NULL, err, sizeof(err)), -EINVAL,
		     "a %d-byte host refused", PATCH_AUDIT_HOST_MAX + 1);
	CHECK_EQ_INT(patch_audit_record(l, NULL, b, NULL, NULL, err, sizeof(err)), -EINVAL, "no host refused");
	CHECK(patch_audit_host_valid("db-01.dc2.example.com") && patch_audit_host_valid("a") &&
	      patch_audit_host_valid("10.0.0.1"), "ordinary names are valid");
	CHECK_EQ_INT(size_of(l), n, "nothing was written");
	json_decref(b);
}

/* Inside the caller's batch (the API's group commit): the caller decides. */
static void in_batch(struct ledger *l)
{
	json_t *b = json_loads(good, 0, NULL), *e = NULL;
	char err[256] = "";
	uint64_t n = size_of(l);

	CHECK_EQ_INT(ledger_begin(l), 0, "a caller's batch");
	CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, &e, err, sizeof(err)), 0, "records into it (%s)", err);
	CHECK(ledger_in_batch(l), "and leaves the batch open");
	CHECK_EQ_INT(ledger_rollback(l), 0, "the caller rolls back");
	CHECK_EQ_INT(size_of(l), n, "and nothing is left");
	json_decref(e);
	CHECK_EQ_INT(ledger_begin(l), 0, "another batch");
	CHECK_EQ_INT(patch_audit_record(l, "web1", b, NULL, NULL, err, sizeof(err)), 0, "records (%s)", err);
	CHECK_EQ_INT(patch_audit_record(l, "web2", b, NULL, NULL, err, sizeof(err)), 0, "twice (%s)", err);
	CHECK_EQ_INT(ledger_commit(l), 0, "the caller commits");
	CHECK_EQ_INT(size_of(l), n + 2, "both are in");
	json_decref(b);
}

static void read_only(const char *path)
{
	struct ledger *ro = NULL;
	json_t *b = json_loads(good, 0, NULL);
	char err[256] = "";

	if (ledger_open(path, LEDGER_RDONLY, &ro, err, sizeof(err)) < 0) {
		CHECK(0, "open read-only: %s", err);
		json_decref(b);
		return;
	}
	CHECK_EQ_INT(patch_audit_record(ro, "web1", b, NULL, NULL, err, sizeof(err)), -EROFS,
		     "a read-only ledger: -EROFS (%s)", err);
	ledger_close(ro);
	json_decref(b);
}

int main(void)
{
	struct ledger *l = NULL;
	char path[256], err[256];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &l, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		return 1;
	}
	for (const char *const *id = (const char *const[]){ "d1", "d2", "d3", "d4", "d5", "d6", "d7", NULL }; *id; id++)
		enrol(l, *id);
	add(l, "asset:d1", "deployed", "{\"host\":\"web1\"}");
	add(l, "asset:d2", "deployed", "{\"host\":\"web1\",\"slot\":3}");
	add(l, "asset:d3", "deployed", "{\"host\":\"web2\"}");
	add(l, "asset:d4", "deployed", "{\"host\":\"web1\"}");		/* removed: not linked */
	add(l, "asset:d4", "removed", "{}");
	add(l, "asset:d5", "deployed", "{\"host\":\"web2\"}");		/* moved to web1: linked */
	add(l, "asset:d5", "removed", "{}");
	add(l, "asset:d5", "deployed", "{\"host\":\"web1\"}");
	add(l, "asset:d6", "deployed", "{\"host\":\"web1\"}");		/* moved to web2: not linked */
	add(l, "asset:d6", "removed", "{}");
	add(l, "asset:d6", "deployed", "{\"host\":\"web2\"}");
	add(l, "asset:d7", "deployed", "{\"host\":\"WEB1\"}");		/* names compare exactly */

	records(l);
	boundaries(l);
	bad_bodies(l);
	bad_hosts(l);
	in_batch(l);
	read_only(path);

	ledger_close(l);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ledger.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ledger.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
