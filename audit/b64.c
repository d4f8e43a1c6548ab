/*
 * b64 — strict base64 (RFC 4648 section 4), base64url without padding
 * (section 5, as JOSE uses it, RFC 7515 appendix C) and lowercase hex.
 *
 * Strict means one text per byte string: a decoder that accepted stray
 * whitespace, missing or surplus padding, or non-zero trailing bits would
 * let two different texts name the same signature or key, and the ledger's
 * evidence is compared as text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"

static const char alpha_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alpha_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *b64_encode(const void *data, size_t len, enum b64_variant v)
{
	const uint8_t *p = data;
	const char *a = v == B64_URL ? alpha_url : alpha_std;
	size_t full = len / 3, rest = len % 3, olen, i, o = 0;
	char *out;

	if (full > (SIZE_MAX - 5) / 4)
		return NULL;
	olen = full * 4 + (rest ? 4 : 0);
	if (v == B64_URL && rest)
		olen -= 3 - rest;	/* RFC 4648 3.2: padding omitted */
	out = malloc(olen + 1);
	if (!out)
		return NULL;
	for (i = 0; i < full * 3; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = a[w >> 18 & 63];
		out[o++] = a[w >> 12 & 63];
		out[o++] = a[w >> 6 & 63];
		out[o++] = a[w & 63];
	}
	if (rest) {
		uint32_t w = (uint32_t)p[i] << 16 | (rest == 2 ? (uint32_t)p[i + 1] << 8 : 0);

		out[o++] = a[w >> 18 & 63];
		out[o++] = a[w >> 12 & 63];
		if (rest == 2)
			out[o++] = a[w >> 6 & 63];
		if (v == B64_STD) {
			if (rest == 1)
				out[o++] = '=';
			out[o++] = '=';
		}
	}
	out[o] = '\0';
	return out;
}

/* The 6-bit value of c in the variant's alphabet, or -1. */
static int b64_val(unsigned char c, enum b64_variant v)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (v == B64_STD)
		return c == '+' ? 62 : c == '/' ? 63 : -1;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/*
 * Checks the shape of s (length, padding) and sets *nchars to the number of
 * data characters and *n to the decoded length.  -EINVAL if malformed.
 */
static int b64_shape(const char *s, size_t slen, enum b64_variant v, size_t *nchars, size_t *n)
{
	size_t pad = 0;

	if (v == B64_STD) {
		/* RFC 4648 4: the text is whole quanta, padded with at most two '=' */
		if (slen % 4)
			return -EINVAL;
		if (slen && s[slen - 1] == '=')
			pad++;
		if (slen > 1 && pad && s[slen - 2] == '=')
			pad++;
	} else if (slen % 4 == 1) {
		return -EINVAL;	/* six bits cannot end a byte */
	}
	*nchars = slen - pad;
	*n = *nchars / 4 * 3 + (*nchars % 4 ? *nchars % 4 - 1 : 0);
	return 0;
}

/* Decodes nchars data characters into dst (which holds the decoded length). */
static int b64_run(const char *s, size_t nchars, enum b64_variant v, uint8_t *dst)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	for (i = 0; i < nchars; i++) {
		int d = b64_val((unsigned char)s[i], v);

		if (d < 0)
			return -EINVAL;	/* also '=' before the end, whitespace, NUL */
		acc = (acc << 6 | (uint32_t)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* RFC 4648 3.5: the pad bits must be zero for one canonical text */
	if (acc & ((1u << bits) - 1))
		return -EINVAL;
	return 0;
}

int b64_decode(const char *s, size_t slen, enum b64_variant v, uint8_t **out, size_t *outlen)
{
	size_t nchars, n;
	uint8_t *buf;
	int rc;

	rc = b64_shape(s, slen, v, &nchars, &n);
	if (rc)
		return rc;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	rc = b64_run(s, nchars, v, buf);
	if (rc) {
		explicit_bzero(buf, n);	/* the text may have been a key */
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int b64_decode_exact(const char *s, size_t slen, enum b64_variant v, uint8_t *out, size_t want)
{
	size_t nchars, n;
	int rc;

	rc = b64_shape(s, slen, v, &nchars, &n);
	if (rc)
		return rc;
	if (n != want)
		return -EINVAL;
	rc = b64_run(s, nchars, v, out);
	if (rc)
		explicit_bzero(out, want);
	return rc;
}

void hex_encode(const void *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, size_t slen, uint8_t *out, size_t n)
{
	size_t i;

	if (n > SIZE_MAX / 2 || slen != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)s[2 * i]);
		int lo = hex_digit((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			explicit_bzero(out, n);
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
