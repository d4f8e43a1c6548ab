/*
 * fuzz_jcs — RFC 8785 canonicalisation (audit/jcs.c) of arbitrary JSON text.
 * Input: any bytes, parsed by jansson as the ledger's callers parse them.
 * Properties: a canonical text is NUL-free, parses back to an equal value,
 * is a fixed point (canonicalising it again gives the same bytes), and the
 * cap is exact: cap = len passes, cap = len - 1 is -E2BIG.
 */
#include <jansson.h>

#include "audit/jcs.h"
#include "tests/fuzz/fuzz.h"

static const char *const seeds[] = {
	/* RFC 8785 3.2.3 (sorting) and 3.2.4 (strings and literals, integers only) */
	("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
	"\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
	"\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}"),
	"{\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\"literals\":[null,true,false]}",
	"[9007199254740991,-9007199254740991,0,-1]",
	"[9007199254740992]",
	"1.5",
	("{\"v\":1,\"seq\":0,\"time\":\"2026-01-01T00:00:00.000Z\",\"subject\":\"asset:abc\","
	"\"type\":\"enrolled\",\"actor\":\"local\",\"data\":{\"serial\":\"WD-1\",\"tags\":[\"a\",\"b\"]}}"),
	"\"\\u0000\"",
	"\"\\ud800\"",
	"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
	"{\"b\":{\"z\":1,\"a\":[{}]},\"a\":\"\\u007f\\u001f\"}",
};

static void write_seeds(void)
{
	fuzz_seed_strs(seeds, sizeof(seeds) / sizeof(seeds[0]));
	exit(0);
}

FUZZ_SEEDS_INITIALIZE(write_seeds)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL), *w;
	char *out = NULL, *again = NULL, *capped = NULL;
	size_t len = 0, len2 = 0, len3 = 0;
	int rc;

	if (!v)
		return 0;
	rc = jcs_dump(v, 0, &out, &len);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc < 0) {
		FUZZ_CHECK(out == NULL);
		json_decref(v);
		return 0;
	}
	FUZZ_CHECK(out[len] == '\0' && strlen(out) == len);
	w = json_loadb(out, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(w != NULL);
	FUZZ_CHECK(json_equal(v, w));
	FUZZ_CHECK(jcs_dump(w, 0, &again, &len2) == 0);
	FUZZ_CHECK(len2 == len && memcmp(out, again, len) == 0);
	FUZZ_CHECK(jcs_dump(v, len, &capped, &len3) == 0 && len3 == len);
	free(capped);
	capped = NULL;
	if (len > 1) {
		FUZZ_CHECK(jcs_dump(v, len - 1, &capped, &len3) == -E2BIG);
		FUZZ_CHECK(capped == NULL);
	}
	free(again);
	free(out);
	json_decref(w);
	json_decref(v);
	return 0;
}
