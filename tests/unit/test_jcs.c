/*
 * test_jcs — RFC 8785 known answers (the 3.2.3 sorting example, the 3.2.4
 * example's strings and literals), escapes, integers at the I-JSON edge, and
 * everything the ledger must refuse: reals, big integers, bad UTF-8, NUL,
 * oversized output, runaway nesting.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/jcs.h"
#include "tests/unit/tap.h"

/* Dump v (stolen) and compare with want; want NULL expects error rc. */
static void expect(json_t *v, size_t cap, const char *want, size_t wantlen, int rc_want, const char *what)
{
	char *sentinel = (char *)"untouched", *out = sentinel;
	size_t len = 12345;
	int rc;

	if (!v) {
		CHECK(0, "%s: test value could not be built", what);
		return;
	}
	rc = jcs_dump(v, cap, &out, &len);
	if (want) {
		int ok = rc == 0 && out != sentinel && len == wantlen && memcmp(out, want, wantlen) == 0 &&
			 out[len] == '\0';

		CHECK(ok, "%s", what);
		if (!ok)
			printf("#   rc %d, got %.*s\n#  want %s\n", rc, rc ? 0 : (int)len, rc ? "" : out, want);
		if (!rc)
			free(out);
	} else {
		CHECK(rc == rc_want && out == sentinel && len == 12345, "%s: refused with %d", what, rc_want);
		if (rc != rc_want)
			printf("#   got rc %d\n", rc);
		if (!rc)
			free(out);
	}
	json_decref(v);
}

#define OK(v, want, what) expect((v), 0, (want), sizeof(want) - 1, 0, (what))
#define BAD(v, rc, what) expect((v), 0, NULL, 0, (rc), (what))

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!v)
		printf("# parse: %s\n", err.text);
	return v;
}

static void test_rfc8785(void)
{
	/* RFC 8785 3.2.3, plus the empty name, which sorts first */
	OK(parse("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
		 "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
		 "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
		 "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\":\"Empty\"}"),
	   "{\"\":\"Empty\",\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
	   "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
	   "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	   "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}",
	   "rfc8785 3.2.3: names sorted by UTF-16 code units");

	/* RFC 8785 3.2.4 without its numbers, which are reals the ledger refuses */
	OK(parse("{\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
		 "\"literals\":[null,true,false]}"),
	   "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
	   "rfc8785 3.2.4: strings and literals");
}

static void test_sorting(void)
{
	/* byte order puts U+E000 and U+FFFF before U+10000; UTF-16 does not */
	OK(parse("{\"\\uffff\":1,\"\\ue000\":2,\"\\ud800\\udc00\":3,\"\\udbff\\udfff\":4,\"\\ud7ff\":5}"),
	   "{\"\xed\x9f\xbf\":5,\"\xf0\x90\x80\x80\":3,\"\xf4\x8f\xbf\xbf\":4,"
	   "\"\xee\x80\x80\":2,\"\xef\xbf\xbf\":1}",
	   "supplementary names sort by surrogates, before U+E000..U+FFFF");
	OK(parse("{\"b\":1,\"ab\":2,\"a\":3,\"\":4,\"B\":5,\"a\\u0001\":6}"),
	   "{\"\":4,\"B\":5,\"a\":3,\"a\\u0001\":6,\"ab\":2,\"b\":1}",
	   "a prefix sorts before its extensions");
	OK(parse("{\"\\ud83d\\ude01\":1,\"\\ud83d\\ude00\":2,\"\\ud83c\\udfff\":3}"),
	   "{\"\xf0\x9f\x8f\xbf\":3,\"\xf0\x9f\x98\x80\":2,\"\xf0\x9f\x98\x81\":1}",
	   "supplementary names compare on both surrogates");
}

static void test_strings(void)
{
	char in[40], want[256];
	size_t i, o = 0;
	json_t *v;

	/* every control character, then DEL which is not one in RFC 8259 */
	for (i = 1; i < 0x20; i++)
		in[i - 1] = (char)i;
	in[31] = 0x7f;
	o += (size_t)snprintf(want + o, sizeof(want) - o, "\"");
	for (i = 1; i < 0x20; i++) {
		const char *s = i == '\b' ? "\\b" : i == '\t' ? "\\t" : i == '\n' ? "\\n" :
				i == '\f' ? "\\f" : i == '\r' ? "\\r" : NULL;

		if (s)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s", s);
		else
			o += (size_t)snprintf(want + o, sizeof(want) - o, "\\u%04x", (unsigned)i);
	}
	o += (size_t)snprintf(want + o, sizeof(want) - o, "\x7f\"");
	v = json_stringn(in, 32);
	expect(v, 0, want, o, 0, "controls: short forms, else \\u00xx lowercase; DEL literal");
	CHECK(strstr(want, "\\u001f") && strstr(want, "\\u000b") && strstr(want, "\\u001a"),
	      "the expected text holds \\u001f \\u000b \\u001a");

	OK(json_string("a/b</script>"), "\"a/b</script>\"", "solidus is not escaped");
	OK(json_string("\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80"),
	   "\"\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\"", "non-ASCII and U+2028 are literal UTF-8");
	OK(json_string("q\"b\\s"), "\"q\\\"b\\\\s\"", "quote and backslash escaped");
	OK(json_string(""), "\"\"", "empty string");
	OK(json_string("x\x1f"), "\"x\\u001f\"", "U+001F as \\u001f");
}

static void test_structure(void)
{
	OK(json_object(), "{}", "empty object");
	OK(json_array(), "[]", "empty array");
	OK(json_true(), "true", "true");
	OK(json_false(), "false", "false");
	OK(json_null(), "null", "null");
	OK(parse("{\"b\":[1,{\"d\":true,\"c\":null}],\"a\":{\"z\":{},\"y\":[]},\"c\":[[],[[]],{}]}"),
	   "{\"a\":{\"y\":[],\"z\":{}},\"b\":[1,{\"c\":null,\"d\":true}],\"c\":[[],[[]],{}]}",
	   "nested objects sorted at every level; arrays keep order");
	OK(parse("{\"v\":1,\"seq\":0,\"time\":\"2024-01-02T03:04:05.678Z\",\"subject\":\"asset:A1\","
		 "\"type\":\"intake\",\"actor\":\"op\",\"data\":{}}"),
	   "{\"actor\":\"op\",\"data\":{},\"seq\":0,\"subject\":\"asset:A1\","
	   "\"time\":\"2024-01-02T03:04:05.678Z\",\"type\":\"intake\",\"v\":1}",
	   "a ledger entry");
}

static void test_integers(void)
{
	OK(json_integer(0), "0", "0");
	OK(json_integer(-1), "-1", "-1");
	OK(json_integer(1234567890), "1234567890", "1234567890");
	OK(json_integer(JCS_MAX_INT), "9007199254740991", "2^53-1");
	OK(json_integer(-JCS_MAX_INT), "-9007199254740991", "-(2^53-1)");
	BAD(json_integer(JCS_MAX_INT + 1), -EINVAL, "2^53");
	BAD(json_integer(-JCS_MAX_INT - 1), -EINVAL, "-2^53");
	BAD(json_integer(LLONG_MAX), -EINVAL, "LLONG_MAX");
	BAD(json_integer(LLONG_MIN), -EINVAL, "LLONG_MIN");
	BAD(json_real(1.5), -EINVAL, "real 1.5");
	BAD(json_real(1.0), -EINVAL, "real 1.0 (no silent rounding)");
	BAD(parse("{\"a\":[1,2,{\"b\":0.0}]}"), -EINVAL, "a nested real");
	BAD(parse("[1,9007199254740992]"), -EINVAL, "a nested 2^53");
}

static void test_bad_text(void)
{
	static const struct { const char *s; size_t n; const char *what; } bad[] = {
		{ "\xff", 1, "0xff" },
		{ "\x80", 1, "lone continuation" },
		{ "\xc0\x80", 2, "overlong NUL" },
		{ "\xc1\xbf", 2, "overlong 2-byte" },
		{ "\xe0\x80\xaf", 3, "overlong 3-byte" },
		{ "\xf0\x80\x80\xaf", 4, "overlong 4-byte" },
		{ "\xed\xa0\x80", 3, "surrogate U+D800" },
		{ "\xed\xbf\xbf", 3, "surrogate U+DFFF" },
		{ "\xf4\x90\x80\x80", 4, "beyond U+10FFFF" },
		{ "\xf5\x80\x80\x80", 4, "0xf5 lead" },
		{ "ab\xe2\x82", 4, "truncated sequence" },
		{ "\xe2\x28\xa1", 3, "bad continuation" },
		{ "a\0b", 3, "embedded U+0000" },
		{ "\0", 1, "lone U+0000" },
	};
	size_t i;
	char what[80];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = json_object();

		snprintf(what, sizeof(what), "string: %s", bad[i].what);
		BAD(json_stringn_nocheck(bad[i].s, bad[i].n), -EINVAL, what);
		snprintf(what, sizeof(what), "key: %s", bad[i].what);
		if (o && json_object_setn_new_nocheck(o, bad[i].s, bad[i].n, json_integer(1)) == 0)
			json_object_set_new(o, "z", json_integer(2));
		BAD(o, -EINVAL, what);
	}
	{
		json_t *o = json_object();

		json_object_setn_new_nocheck(o, "\xff" "a", 2, json_true());
		json_object_setn_new_nocheck(o, "\xff" "b", 2, json_true());
		BAD(o, -EINVAL, "two keys with the same bad prefix");
	}
	/* json_stringn builds a NUL-holding string through the checked path too */
	BAD(json_stringn("a\0b", 3), -EINVAL, "json_stringn with NUL");
	{
		json_t *o = json_object();

		json_object_setn(o, "k\0", 2, json_true());
		BAD(o, -EINVAL, "json_object_setn key with NUL");
	}
	OK(json_stringn("\xf4\x8f\xbf\xbf\xef\xbf\xbf", 7), "\"\xf4\x8f\xbf\xbf\xef\xbf\xbf\"",
	   "U+10FFFF and U+FFFF are valid");
}

static void test_cap(void)
{
	json_t *arr = json_array();
	char *out = NULL;
	size_t len = 0, i;
	int rc;

	expect(parse("{\"a\":1}"), 7, "{\"a\":1}", 7, 0, "cap equal to the length");
	expect(parse("{\"a\":1}"), 6, NULL, 0, -E2BIG, "cap one short");
	expect(parse("{\"a\":1}"), 1, NULL, 0, -E2BIG, "cap 1");
	expect(parse("{\"a\":1}"), 0, "{\"a\":1}", 7, 0, "cap 0 means none");

	/* a long text, to cross the buffer's growth steps */
	for (i = 0; i < 2000; i++)
		json_array_append_new(arr, json_string("0123456789abcdef"));
	rc = jcs_dump(arr, 0, &out, &len);
	CHECK(rc == 0 && len == 2 + 2000 * 19 - 1 && strlen(out) == len, "2000 strings, no cap");
	if (rc == 0) {
		expect(json_incref(arr), len, out, len, 0, "2000 strings, cap equal to the length");
		expect(json_incref(arr), len - 1, NULL, 0, -E2BIG, "2000 strings, cap one short");
		expect(json_incref(arr), 4096, NULL, 0, -E2BIG, "2000 strings, cap 4096");
		free(out);
	}
	json_decref(arr);
}

static void test_depth(void)
{
	json_t *v = json_integer(7), *cyc;
	int i;

	for (i = 0; i < 100; i++) {
		json_t *a = json_array();

		json_array_append_new(a, v);
		v = a;
	}
	{
		char want[256];

		memset(want, '[', 100);
		want[100] = '7';
		memset(want + 101, ']', 100);
		expect(json_incref(v), 0, want, 201, 0, "100 nested arrays");
	}
	for (i = 0; i < 5000; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "k", v);
		v = o;
	}
	BAD(v, -EINVAL, "5100 levels of nesting");

	/* jansson lets an array hold itself; the depth limit stops the walk */
	cyc = json_array();
	if (json_array_append(cyc, cyc) == 0) {
		char *out = NULL;
		size_t len;

		CHECK_EQ_INT(jcs_dump(cyc, 0, &out, &len), -EINVAL, "a cyclic value");
		json_array_clear(cyc);
	} else {
		printf("# jansson refuses to build a cyclic value; nothing to check\n");
	}
	json_decref(cyc);
}

int main(void)
{
	test_rfc8785();
	test_sorting();
	test_strings();
	test_structure();
	test_integers();
	test_bad_text();
	test_cap();
	test_depth();
	return tap_done();
}
