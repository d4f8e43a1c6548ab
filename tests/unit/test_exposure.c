/*
 * exposure_report over a drive deployed on two hosts across several audits,
 * checked entry by entry: intervals, baselines, the audits inside, each
 * check's periods and vulnerable spans; unknown where nothing covered;
 * audits outside the intervals ignored; unknown assets -ENOENT.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit/ledger.h"
#include "audit/exposure.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/sz-test-exposure.XXXXXX";

/* Entry seq n is written at 2014-09-(n+1) midnight: times follow seq. */
static const char *tm(int seq)
{
	static char buf[8][40];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, 40, "2014-09-%02dT00:00:00.000Z", seq + 1);
	return b;
}

static int next_seq;

static void add(struct ledger *l, const char *subject, const char *type, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);
	uint64_t seq = 0;
	int rc = d ? ledger_append(l, subject, type, "test", d, tm(next_seq), &seq, NULL) : -999;

	if (rc < 0 || (int)seq != next_seq) {
		printf("# cannot append %s %s: %d %s\n", subject, type, rc, ledger_errmsg(l));
		exit(1);
	}
	next_seq++;
	json_decref(d);
}

static json_t *pt(int seq)
{
	return seq < 0 ? json_null() : json_pack("{s:i, s:s}", "seq", seq, "time", tm(seq));
}

static json_t *num(int v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *period(const char *status, int from, int to, int audit)
{
	return json_pack("{s:s, s:o, s:o, s:o}", "status", status, "from", pt(from), "to", pt(to), "audit", num(audit));
}

static json_t *vspan(int from, int to, int since, int patched_by)
{
	return json_pack("{s:o, s:o, s:i, s:o}", "from", pt(from), "to", pt(to), "since_audit", since, "patched_by",
			 num(patched_by));
}

static void same(json_t *got, json_t *want, const char *what)
{
	int ok = json_equal(got, want);

	CHECK(ok, "%s", what);
	if (!ok) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS), *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
		printf("#   got  %s\n#   want %s\n", g ? g : "(null)", w ? w : "(null)");
		free(g);
		free(w);
	}
	json_decref(want);
}

static json_t *check_of(json_t *iv, const char *id)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(iv, "checks"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "id")), id))
			return c;
	return NULL;
}

static void audit_is(json_t *a, int seq, const char *subject, const char *type, const char *checks)
{
	char what[128];

	snprintf(what, sizeof(what), "audit %d: seq, time, subject, type", seq);
	CHECK(json_integer_value(json_object_get(a, "seq")) == seq &&
	      !strcmp(json_string_value(json_object_get(a, "time")), tm(seq)) &&
	      !strcmp(json_string_value(json_object_get(a, "subject")), subject) &&
	      !strcmp(json_string_value(json_object_get(a, "type")), type), "%s", what);
	snprintf(what, sizeof(what), "audit %d: its checks", seq);
	same(json_object_get(a, "checks"), json_loads(checks, 0, NULL), what);
}

static void two_hosts(struct ledger *l)
{
	json_t *r = NULL, *iv, *c;

	CHECK_EQ_INT(exposure_report(l, "d1", &r), 0, "a report for d1");
	if (!r)
		return;
	CHECK_STR(json_string_value(json_object_get(r, "asset_id")), "d1", "asset_id");
	CHECK_STR(json_string_value(json_object_get(r, "state")), "deployed", "state");
	CHECK_STR(json_string_value(json_object_get(r, "tenant")), "acme", "tenant, for the API's check");
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "ledger_size")), next_seq, "ledger_size");
	CHECK(json_is_true(json_object_get(r, "exposed")), "exposed: it was on a vulnerable host");
	CHECK(json_is_true(json_object_get(r, "unknown")), "unknown: some periods were not covered");
	CHECK_EQ_INT(json_array_size(json_object_get(r, "intervals")), 2, "two deployments");

	/* web1, seq 2 to the removal at 6 */
	iv = json_array_get(json_object_get(r, "intervals"), 0);
	CHECK_STR(json_string_value(json_object_get(iv, "host")), "web1", "1: host web1");
	same(json_object_get(iv, "from"), pt(2), "1: from the deployed entry, seq 2");
	same(json_object_get(iv, "to"), json_pack("{s:i, s:s, s:s}", "seq", 6, "time", tm(6), "type", "removed"),
	     "1: to the removed entry, seq 6");
	CHECK(json_is_true(json_object_get(iv, "covered")), "1: covered");
	audit_is(json_object_get(iv, "baseline"), 1, "host:web1", "host_audit",
		 "{\"CVE-2014-6271\":\"vulnerable\",\"CVE-2014-7169\":\"vulnerable\"}");
	CHECK_STR(json_string_value(json_object_get(json_object_get(iv, "baseline"), "scanner")), "scan/1",
		  "1: the baseline's scanner");
	CHECK_STR(json_string_value(json_object_get(json_object_get(iv, "baseline"), "scanned_at")),
		  "2014-09-01T23:00:00Z", "1: the baseline's own time, as scanned_at");
	CHECK_EQ_INT(json_array_size(json_object_get(iv, "audits")), 2, "1: two audits inside (3, 5), not 7");
	audit_is(json_array_get(json_object_get(iv, "audits"), 0), 3, "host:web1", "host_audit",
		 "{\"CVE-2014-6271\":\"vulnerable\",\"CVE-2014-7169\":\"patched\"}");
	audit_is(json_array_get(json_object_get(iv, "audits"), 1), 5, "host:web1", "host_audit",
		 "{\"CVE-2014-6271\":\"patched\"}");
	CHECK_EQ_INT(json_array_size(json_object_get(iv, "checks")), 2, "1: two checks");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(iv, "checks"), 0), "id")),
		  "CVE-2014-6271", "1: checks sorted by id");
	c = check_of(iv, "CVE-2014-6271");
	same(json_object_get(c, "periods"), json_pack("[o, o]", period("vulnerable", 2, 5, 1), period("patched", 5, 6, 5)),
	     "1: 6271 vulnerable from the start (audit 1) until audit 5, then patched");
	same(json_object_get(c, "vulnerable"), json_pack("[o]", vspan(2, 5, 1, 5)),
	     "1: 6271 vulnerable 2..5, since audit 1, patched by audit 5");
	c = check_of(iv, "CVE-2014-7169");
	same(json_object_get(c, "periods"), json_pack("[o, o]", period("vulnerable", 2, 3, 1), period("patched", 3, 6, 3)),
	     "1: 7169 vulnerable until audit 3");
	same(json_object_get(c, "vulnerable"), json_pack("[o]", vspan(2, 3, 1, 3)), "1: 7169 patched by audit 3");

	/* web2, seq 8 to now */
	iv = json_array_get(json_object_get(r, "intervals"), 1);
	CHECK_STR(json_string_value(json_object_get(iv, "host")), "web2", "2: host web2");
	same(json_object_get(iv, "from"), pt(8), "2: from seq 8");
	CHECK(json_is_null(json_object_get(iv, "to")), "2: to null: still deployed");
	audit_is(json_object_get(iv, "baseline"), 4, "host:web2", "host_audit", "{\"CVE-2014-6271\":\"patched\"}");
	CHECK_EQ_INT(json_array_size(json_object_get(iv, "audits")), 3, "2: three audits inside");
	audit_is(json_array_get(json_object_get(iv, "audits"), 0), 9, "host:web2", "host_audit",
		 "{\"CVE-2014-6271\":\"patched\",\"CVE-2014-7186\":\"vulnerable\"}");
	audit_is(json_array_get(json_object_get(iv, "audits"), 1), 10, "asset:d1", "patch_audit",
		 "{\"CVE-2014-7186\":\"patched\"}");
	audit_is(json_array_get(json_object_get(iv, "audits"), 2), 11, "host:web2", "host_audit",
		 "{\"CVE-2014-7187\":\"vulnerable\",\"CVE-2014-7186\":\"vulnerable\"}");
	CHECK_EQ_INT(json_array_size(json_object_get(iv, "checks")), 3, "2: three checks");
	c = check_of(iv, "CVE-2014-6271");
	same(json_object_get(c, "periods"), json_pack("[o]", period("patched", 8, -1, 4)),
	     "2: 6271 patched throughout, by the audit before (4)");
	same(json_object_get(c, "vulnerable"), json_array(), "2: 6271 never vulnerable");
	c = check_of(iv, "CVE-2014-7186");
	same(json_object_get(c, "periods"),
	     json_pack("[o, o, o, o]", period("unknown", 8, 9, -1), period("vulnerable", 9, 10, 9),
		       period("patched", 10, 11, 10), period("vulnerable", 11, -1, 11)),
	     "2: 7186 unknown, vulnerable, patched by the asset's own audit, vulnerable again (vulnerable wins a repeat)");
	same(json_object_get(c, "vulnerable"), json_pack("[o, o]", vspan(9, 10, 9, 10), vspan(11, -1, 11, -1)),
	     "2: 7186 two vulnerable spans, the second still open");
	c = check_of(iv, "CVE-2014-7187");
	same(json_object_get(c, "periods"), json_pack("[o, o]", period("unknown", 8, 11, -1), period("vulnerable", 11, -1, 11)),
	     "2: 7187 unknown until audit 11, vulnerable since");
	same(json_object_get(c, "vulnerable"), json_pack("[o]", vspan(11, -1, 11, -1)), "2: 7187 still vulnerable");
	json_decref(r);
}

static void others(struct ledger *l, const char *path)
{
	struct ledger *ro = NULL;
	json_t *r = NULL, *iv;
	char err[256];

	CHECK_EQ_INT(exposure_report(l, "d2", &r), 0, "a drive never deployed");
	CHECK_EQ_INT(json_array_size(json_object_get(r, "intervals")), 0, "has no intervals");
	CHECK(json_is_false(json_object_get(r, "exposed")) && json_is_false(json_object_get(r, "unknown")),
	      "is neither exposed nor unknown");
	json_decref(r);

	CHECK_EQ_INT(exposure_report(l, "d3", &r), 0, "a drive on a host never audited");
	iv = json_array_get(json_object_get(r, "intervals"), 0);
	CHECK(json_is_false(json_object_get(iv, "covered")) && json_array_size(json_object_get(iv, "checks")) == 0 &&
	      json_is_null(json_object_get(iv, "baseline")), "the interval is not covered");
	CHECK(json_is_true(json_object_get(r, "unknown")) && json_is_false(json_object_get(r, "exposed")),
	      "the report says unknown, not exposed");
	json_decref(r);

	CHECK_EQ_INT(exposure_report(l, "d4", &r), 0, "a drive on a host whose name is no subject");
	iv = json_array_get(json_object_get(r, "intervals"), 0);
	CHECK_STR(json_string_value(json_object_get(iv, "host")), "rack 4/slot 2", "the host as deployed");
	CHECK(json_is_false(json_object_get(iv, "covered")), "not covered");
	json_decref(r);

	r = (json_t *)1;
	CHECK_EQ_INT(exposure_report(l, "nope", &r), -ENOENT, "an unknown asset: -ENOENT");
	CHECK(r == NULL, "and no report");
	CHECK_EQ_INT(exposure_report(l, "../d1", &r), -ENOENT, "an id that cannot be an asset: -ENOENT");
	CHECK_EQ_INT(exposure_report(l, "", &r), -ENOENT, "an empty id: -ENOENT");
	CHECK_EQ_INT(exposure_report(l, "web1", &r), -ENOENT, "a host is not an asset");

	if (ledger_open(path, LEDGER_RDONLY, &ro, err, sizeof(err)) == 0) {
		CHECK_EQ_INT(exposure_report(ro, "d1", &r), 0, "a read-only copy gives the same report");
		json_decref(r);
		ledger_close(ro);
	}
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
	add(l, "asset:d1", "enrolled",		/* 0 */
	    "{\"serial\":\"S1\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}");
	add(l, "host:web1", "host_audit",	/* 1: before the first deployment */
	    "{\"host\":\"web1\",\"scanner\":\"scan/1\",\"time\":\"2014-09-01T23:00:00Z\",\"checks\":["
	    "{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\"},{\"id\":\"CVE-2014-7169\",\"status\":\"vulnerable\"}]}");
	add(l, "asset:d1", "deployed", "{\"host\":\"web1\",\"slot\":2}");	/* 2 */
	add(l, "host:web1", "host_audit",	/* 3 */
	    "{\"host\":\"web1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\"},"
	    "{\"id\":\"CVE-2014-7169\",\"status\":\"patched\"}]}");
	add(l, "host:web2", "host_audit",	/* 4: web2, before the second deployment */
	    "{\"host\":\"web2\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}");
	add(l, "host:web1", "host_audit",	/* 5 */
	    "{\"host\":\"web1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}");
	add(l, "asset:d1", "removed", "{}");	/* 6 */
	add(l, "host:web1", "host_audit",	/* 7: after d1 left web1 */
	    "{\"host\":\"web1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\"}]}");
	add(l, "asset:d1", "deployed", "{\"host\":\"web2\"}");	/* 8 */
	add(l, "host:web2", "host_audit",	/* 9 */
	    "{\"host\":\"web2\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"},"
	    "{\"id\":\"CVE-2014-7186\",\"status\":\"vulnerable\"}]}");
	add(l, "asset:d1", "patch_audit",	/* 10: the asset's own audit of its host */
	    "{\"host\":\"web2\",\"checks\":[{\"id\":\"CVE-2014-7186\",\"status\":\"patched\"}]}");
	add(l, "host:web2", "host_audit",	/* 11: 7186 listed twice: vulnerable wins */
	    "{\"host\":\"web2\",\"checks\":[{\"id\":\"CVE-2014-7187\",\"status\":\"vulnerable\"},"
	    "{\"id\":\"CVE-2014-7186\",\"status\":\"vulnerable\"},{\"id\":\"CVE-2014-7186\",\"status\":\"patched\"}]}");
	two_hosts(l);

	add(l, "asset:d2", "enrolled",
	    "{\"serial\":\"S2\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}");
	add(l, "asset:d3", "enrolled",
	    "{\"serial\":\"S3\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"other\"}");
	add(l, "asset:d3", "deployed", "{\"host\":\"db9\"}");
	add(l, "asset:d4", "enrolled",
	    "{\"serial\":\"S4\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"other\"}");
	add(l, "asset:d4", "deployed", "{\"host\":\"rack 4/slot 2\"}");
	others(l, path);

	ledger_close(l);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ledger.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ledger.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
