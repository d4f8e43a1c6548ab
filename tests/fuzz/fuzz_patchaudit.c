/*
 * fuzz_patchaudit — patch-audit bodies (audit/patchaudit.c) as
 * POST /v1/hosts/{name}/patch-audits passes them: the host name of the path
 * and a JSON body, validated and then recorded in a batch that is rolled
 * back, so every run starts from the same ledger: asset a1 deployed on
 * web-17, asset a2 enrolled only.
 * Input: the host name, a newline, the body.
 * Properties: patch_audit_record succeeds only when patch_audit_validate
 * does (and patch_audit_host_valid holds), and refuses a body validate
 * passed only for what the ledger cannot hold (a real number, 64 KiB); the entry is a host_audit on
 * host:NAME whose data is the body plus host and the assets deployed there
 * (["a1"] on web-17, [] elsewhere); a refusal writes nothing and says why.
 */
#include "audit/ledger.h"
#include "audit/patchaudit.h"
#include "tests/fuzz/fuzz.h"

static struct ledger *led;
static uint64_t base;

static const char *const seeds[] = {
	("web-17\n{\"scanner\":\"test/1\",\"time\":\"2014-09-25T10:00:00Z\",\"ticket\":\"CHG-42\","
	"\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"vulnerable\",\"evidence\":\"it ran\"},"
	"{\"id\":\"CVE-2014-7169\",\"status\":\"patched\"},"
	"{\"id\":\"bash-version\",\"status\":\"not_applicable\",\"evidence\":\"line 1\\nline 2\"}]}"),
	("db.example.com\n{\"scanner\":\"s\",\"time\":\"2016-02-29T23:59:60.123456789+05:30\","
	"\"checks\":[{\"id\":\"CVE-2021-44228\",\"status\":\"patched\"}]}"),
	"web-17\n{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"},{\"id\":\"a\",\"status\":\"patched\"}]}",
	"web-17\n{\"scanner\":\"s\",\"host\":\"x\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
	"-bad-\n{\"scanner\":\"s\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
	"a..b\n{}",
	"web-17\n{\"scanner\":\"s\",\"time\":\"2014-02-30T00:00:00Z\",\"checks\":[{\"id\":\"a\",\"status\":\"patched\"}]}",
	"web-17\n{\"scanner\":\"s\",\"checks\":[{\"id\":\"CVE-2014-1234567\",\"status\":\"patched\",\"extra\":1}]}",
};

static void add(const char *subject, const char *type, const char *data)
{
	json_t *d = json_loads(data, 0, NULL);

	if (!d || ledger_append(led, subject, type, "fuzz", d, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "setup: %s\n", ledger_errmsg(led));
		abort();
	}
	json_decref(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[300], err[256];

	(void)argc; (void)argv;
	if (getenv("SZ_FUZZ_SEEDS")) {
		fuzz_seed_strs(seeds, sizeof(seeds) / sizeof(seeds[0]));
		exit(0);
	}
	snprintf(path, sizeof(path), "%s/ledger.db", fuzz_tmpdir());
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &led, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	add("asset:a1", "enrolled", "{\"serial\":\"S-1\",\"model\":\"M\",\"media_type\":\"ssd\","
	    "\"capacity_bytes\":1,\"tenant\":\"acme\"}");
	add("asset:a1", "deployed", "{\"host\":\"web-17\",\"slot\":3}");
	add("asset:a2", "enrolled", "{\"serial\":\"S-2\",\"model\":\"M\",\"media_type\":\"hdd\","
	    "\"capacity_bytes\":1,\"tenant\":\"acme\"}");
	if (ledger_size(led, &base) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *host, err[512] = "", err2[512] = "";
	json_t *body, *entry = NULL;
	uint64_t n;
	int rv, rr;

	if (!nl)
		return 0;
	host = fuzz_str(data, (size_t)(nl - data));
	body = json_loadb((const char *)nl + 1, size - (size_t)(nl + 1 - data), JSON_REJECT_DUPLICATES, NULL);
	if (!body) {
		free(host);
		return 0;
	}
	rv = patch_audit_validate(host, body, err, sizeof(err));
	FUZZ_CHECK(rv == 0 || rv == -EINVAL);
	FUZZ_CHECK(rv == 0 || err[0]);
	if (rv == 0)
		FUZZ_CHECK(patch_audit_host_valid(host));

	FUZZ_CHECK(ledger_begin(led) == 0);
	rr = patch_audit_record(led, host, body, "token:fuzz", &entry, err2, sizeof(err2));
	FUZZ_CHECK(rr == 0 || rr == -EINVAL);
	/*
	 * validate checks the shape only; record also refuses what the ledger
	 * cannot hold (a real or a big integer in a custom member, a body past
	 * 64 KiB), still as a 400
	 */
	FUZZ_CHECK(rr != 0 || rv == 0);
	if (rv == 0 && rr != 0)
		FUZZ_CHECK(strstr(err2, "not valid ledger JSON") || strstr(err2, "too large"));
	if (rr == 0) {
		json_t *d = json_object_get(entry, "data"), *assets = json_object_get(d, "assets");
		const char *key;
		json_t *v;
		char subject[160];

		snprintf(subject, sizeof(subject), "host:%s", host);
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(entry, "type")), "host_audit") == 0);
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(entry, "subject")), subject) == 0);
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(d, "host")), host) == 0);
		FUZZ_CHECK(json_is_array(assets));
		if (!strcmp(host, "web-17"))
			FUZZ_CHECK(json_array_size(assets) == 1 &&
				   !strcmp(json_string_value(json_array_get(assets, 0)), "a1"));
		else
			FUZZ_CHECK(json_array_size(assets) == 0);
		json_object_foreach(body, key, v)
			FUZZ_CHECK(json_equal(json_object_get(d, key), v));
		FUZZ_CHECK(json_object_size(d) == json_object_size(body) + 2);
		FUZZ_CHECK(ledger_size(led, &n) == 0 && n == base + 1);
	} else {
		FUZZ_CHECK(err2[0]);
		FUZZ_CHECK(ledger_size(led, &n) == 0 && n == base);
	}
	if (ledger_in_batch(led))
		FUZZ_CHECK(ledger_rollback(led) == 0);
	FUZZ_CHECK(ledger_size(led, &n) == 0 && n == base);
	json_decref(entry);
	json_decref(body);
	free(host);
	return 0;
}
