/*
 * test_b64 — RFC 4648 section 10 vectors for base64 and base64url, the
 * strictness rules (padding, alphabet, trailing bits, whitespace) and hex.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"
#include "tests/unit/tap.h"

struct vec {
	const char *plain, *std, *url, *hex;
};

/* RFC 4648 section 10; url is the same text without '=' (section 5, 3.2). */
static const struct vec rfc4648[] = {
	{ "", "", "", "" },
	{ "f", "Zg==", "Zg", "66" },
	{ "fo", "Zm8=", "Zm8", "666f" },
	{ "foo", "Zm9v", "Zm9v", "666f6f" },
	{ "foob", "Zm9vYg==", "Zm9vYg", "666f6f62" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172" },
};

/* s with control and non-ASCII bytes as \xNN, for one TAP line per check. */
static const char *vis(const char *s)
{
	static char buf[4][64];
	static int turn;
	char *b = buf[turn++ & 3];
	size_t o = 0;

	for (; *s && o + 5 < sizeof(buf[0]); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "\\x%02x", c);
		else
			b[o++] = (char)c;
	}
	b[o] = '\0';
	return b;
}

static int dec(const char *s, enum b64_variant v)
{
	uint8_t *out = NULL;
	size_t n = 0;
	int rc = b64_decode(s, strlen(s), v, &out, &n);

	free(out);
	return rc;
}

static void test_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		const struct vec *t = &rfc4648[i];
		size_t plen = strlen(t->plain), n = 99;
		char *e, hx[16];
		uint8_t *out = NULL, raw[8];
		int rc;

		e = b64_encode(t->plain, plen, B64_STD);
		CHECK_STR(e, t->std, "rfc4648 10: BASE64(\"%s\")", t->plain);
		free(e);
		e = b64_encode(t->plain, plen, B64_URL);
		CHECK_STR(e, t->url, "base64url without padding (\"%s\")", t->plain);
		free(e);

		rc = b64_decode(t->std, strlen(t->std), B64_STD, &out, &n);
		CHECK(rc == 0 && out && n == plen && memcmp(out, t->plain, plen) == 0,
		      "decode std \"%s\"", t->std);
		free(out);
		out = NULL;
		rc = b64_decode(t->url, strlen(t->url), B64_URL, &out, &n);
		CHECK(rc == 0 && out && n == plen && memcmp(out, t->plain, plen) == 0,
		      "decode url \"%s\"", t->url);
		free(out);
		out = NULL;

		/* the other variant's padding rule refuses each padded/unpadded form */
		if (strcmp(t->std, t->url) != 0) {
			CHECK_EQ_INT(dec(t->std, B64_URL), -EINVAL, "url refuses padding \"%s\"", t->std);
			CHECK_EQ_INT(dec(t->url, B64_STD), -EINVAL, "std refuses missing padding \"%s\"", t->url);
		}

		hex_encode(t->plain, plen, hx);
		CHECK_STR(hx, t->hex, "rfc4648 10: BASE16 lowercase (\"%s\")", t->plain);
		memset(raw, 0xaa, sizeof(raw));
		CHECK(hex_decode(t->hex, strlen(t->hex), raw, plen) == 0 &&
		      memcmp(raw, t->plain, plen) == 0, "hex_decode \"%s\"", t->hex);
	}
}

static void test_alphabets(void)
{
	static const uint8_t hi[] = { 0xfb, 0xff, 0xbf };
	uint8_t out[3];
	char *e;

	e = b64_encode(hi, 3, B64_STD);
	CHECK_STR(e, "+/+/", "std alphabet uses + and /");
	free(e);
	e = b64_encode(hi, 3, B64_URL);
	CHECK_STR(e, "-_-_", "url alphabet uses - and _");
	free(e);
	e = b64_encode(hi, 2, B64_STD);
	CHECK_STR(e, "+/8=", "std 0xfbff");
	free(e);
	e = b64_encode(hi, 2, B64_URL);
	CHECK_STR(e, "-_8", "url 0xfbff");
	free(e);
	CHECK(b64_decode_exact("+/+/", 4, B64_STD, out, 3) == 0 && memcmp(out, hi, 3) == 0,
	      "std decodes + and /");
	CHECK(b64_decode_exact("-_-_", 4, B64_URL, out, 3) == 0 && memcmp(out, hi, 3) == 0,
	      "url decodes - and _");
	CHECK_EQ_INT(dec("-_-_", B64_STD), -EINVAL, "std refuses - and _");
	CHECK_EQ_INT(dec("+/+/", B64_URL), -EINVAL, "url refuses + and /");
	CHECK_EQ_INT(dec("Zm+v", B64_URL), -EINVAL, "url refuses +");
	CHECK_EQ_INT(dec("Zm_v", B64_STD), -EINVAL, "std refuses _");
	CHECK_EQ_INT(dec("Zm-v", B64_STD), -EINVAL, "std refuses -");
	CHECK_EQ_INT(dec("Zm/v", B64_URL), -EINVAL, "url refuses /");
}

static void test_negative(void)
{
	static const char *bad_std[] = {
		"Zg", "Zg=", "Zg===", "Z===", "====", "Z", "Zm9", "Zm8",
		"Zh==",		/* trailing bits 0001 */
		"Zm9=",		/* trailing bits 01 */
		"Zg==Zg==",	/* padding inside */
		"Zm=v", "=m9v", "Zm9v=", "Zm9v====",
		"Zm9v\n", " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\r\n", "Zm\t9v", "Zg= =",
		"Zm9*", "Zm9\x80", "Zm9\xff",
	};
	static const char *bad_url[] = {
		"Zg==", "Zm8=", "Zg=", "Z", "Zm9vY",
		"Zh",		/* trailing bits 0001 */
		"Zm9",		/* trailing bits 01 */
		"Zm9v\n", " Zm9v", "Zm 9v", "Zm9v=", "Zm.v",
	};
	uint8_t out[8], *p = (uint8_t *)"unchanged";
	size_t i, n = 7;
	int rc;

	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		CHECK_EQ_INT(dec(bad_std[i], B64_STD), -EINVAL, "std refuses \"%s\"", vis(bad_std[i]));
	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		CHECK_EQ_INT(dec(bad_url[i], B64_URL), -EINVAL, "url refuses \"%s\"", vis(bad_url[i]));

	/* an embedded NUL counts as a bad character, not an end */
	rc = b64_decode("Zm9v\0mFy", 8, B64_STD, &p, &n);
	CHECK(rc == -EINVAL && n == 7, "std refuses an embedded NUL and leaves outputs alone");

	/* exhaustive: of "A?==", only the 4 characters with zero low bits decode */
	{
		const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		int ok = 0, right = 1;
		char t[5] = "A?==";

		for (i = 0; i < 64; i++) {
			t[1] = a[i];
			rc = b64_decode_exact(t, 4, B64_STD, out, 1);
			ok += rc == 0;
			if ((rc == 0) != ((i & 15) == 0))
				right = 0;
		}
		CHECK(ok == 4 && right, "std: exactly the canonical 1-byte texts decode (%d)", ok);
		ok = 0;
		right = 1;
		for (i = 0; i < 64; i++) {
			t[0] = 'A';
			t[1] = 'A';
			t[2] = a[i];
			t[3] = '=';
			rc = b64_decode_exact(t, 4, B64_STD, out, 2);
			ok += rc == 0;
			if ((rc == 0) != ((i & 3) == 0))
				right = 0;
		}
		CHECK(ok == 16 && right, "std: exactly the canonical 2-byte texts decode (%d)", ok);
	}

	CHECK_EQ_INT(b64_decode_exact("Zm9vYmFy", 8, B64_STD, out, 6), 0, "exact 6");
	CHECK(memcmp(out, "foobar", 6) == 0, "exact 6 bytes right");
	CHECK_EQ_INT(b64_decode_exact("Zm9vYmFy", 8, B64_STD, out, 5), -EINVAL, "exact refuses 6 for 5");
	CHECK_EQ_INT(b64_decode_exact("Zm9vYmFy", 8, B64_STD, out, 7), -EINVAL, "exact refuses 6 for 7");
	CHECK_EQ_INT(b64_decode_exact("Zm9vYmE", 7, B64_URL, out, 5), 0, "exact url 5");
	CHECK_EQ_INT(b64_decode_exact("Zm9vYmE=", 8, B64_URL, out, 5), -EINVAL, "exact url refuses =");
	CHECK_EQ_INT(b64_decode_exact("Zm9vYmX", 7, B64_URL, out, 5), -EINVAL,
		     "exact url refuses trailing bits");
}

static void test_roundtrip(void)
{
	uint8_t buf[67], *out;
	size_t len, n;
	int v, bad = 0;

	for (len = 0; len < sizeof(buf); len++)
		buf[len] = (uint8_t)(len * 151 + 7);
	for (v = 0; v < 2; v++) {
		for (len = 0; len <= sizeof(buf); len++) {
			char *e = b64_encode(buf, len, (enum b64_variant)v);
			size_t want = v == B64_STD ? (len + 2) / 3 * 4 : (len * 4 + 2) / 3;

			out = NULL;
			if (!e || strlen(e) != want ||
			    b64_decode(e, strlen(e), (enum b64_variant)v, &out, &n) != 0 ||
			    n != len || memcmp(out, buf, len) != 0)
				bad++;
			free(out);
			free(e);
		}
	}
	CHECK_EQ_INT(bad, 0, "round trip lengths 0..67, both variants");
}

static void test_hex(void)
{
	static const uint8_t all[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	uint8_t out[8];
	char hx[17];

	hex_encode(all, 8, hx);
	CHECK_STR(hx, "00017f80abcdefff", "hex_encode lowercase");
	CHECK(hex_decode("00017F80ABCDEFFF", 16, out, 8) == 0 && memcmp(out, all, 8) == 0,
	      "hex_decode accepts uppercase");
	CHECK(hex_decode("00017f80AbCdEfFf", 16, out, 8) == 0 && memcmp(out, all, 8) == 0,
	      "hex_decode accepts mixed case");
	CHECK_EQ_INT(hex_decode("00017f80abcdeff", 15, out, 8), -EINVAL, "hex refuses odd length");
	CHECK_EQ_INT(hex_decode("00017f80abcdefff00", 18, out, 8), -EINVAL, "hex refuses too long");
	CHECK_EQ_INT(hex_decode("00017f80abcdef", 14, out, 8), -EINVAL, "hex refuses too short");
	CHECK_EQ_INT(hex_decode("00017f80abcdefgf", 16, out, 8), -EINVAL, "hex refuses g");
	CHECK_EQ_INT(hex_decode("0x017f80abcdefff", 16, out, 8), -EINVAL, "hex refuses 0x");
	CHECK_EQ_INT(hex_decode(" 0017f80abcdefff", 16, out, 8), -EINVAL, "hex refuses space");
	CHECK_EQ_INT(hex_decode("00017f80abcdeff\0", 16, out, 8), -EINVAL, "hex refuses NUL");
	CHECK_EQ_INT(hex_decode("", 0, out, 0), 0, "hex of nothing");
}

int main(void)
{
	test_vectors();
	test_alphabets();
	test_negative();
	test_roundtrip();
	test_hex();
	return tap_done();
}
