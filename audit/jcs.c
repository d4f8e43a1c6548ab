/*
 * jcs — RFC 8785 canonical JSON over jansson values.
 *
 * Written over json_t instead of json_dumps(JSON_SORT_KEYS|JSON_COMPACT)
 * because jansson sorts keys by bytes (RFC 8785 3.2.3 wants UTF-16 code
 * units) and escapes differently (it writes "\/" optionally and uppercase
 * hex).  The ledger hashes these bytes, so they must match any other
 * implementation of the RFC exactly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/jcs.h"

/* Deeper values are refused; jansson's own parser stops at the same depth. */
#define JCS_MAX_DEPTH 2048

/* A growable output buffer with a cap fixed at creation (STYLE rule 6). */
struct jbuf {
	char *p;
	size_t len, alloc, cap;
};

static int jbuf_put(struct jbuf *b, const char *s, size_t n)
{
	size_t want;

	if (n > SIZE_MAX - 1 - b->len || (b->cap && b->len + n > b->cap))
		return -E2BIG;
	want = b->len + n + 1;	/* room for the final NUL */
	if (want > b->alloc) {
		size_t na = b->alloc ? b->alloc : 256;
		char *np;

		while (na < want)
			na = na > SIZE_MAX / 2 ? want : na * 2;
		if (b->cap && na > b->cap + 1)
			na = b->cap + 1;
		np = realloc(b->p, na);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->alloc = na;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

/*
 * Decodes one code point of valid UTF-8 at s (RFC 3629 4): no overlong forms,
 * no surrogates, nothing past U+10FFFF, and here no U+0000.  Returns its
 * length in bytes, or 0 if the bytes are not such a code point.
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0 || s[0] == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = utf8_next((const unsigned char *)s + i, n - i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

/* The i-th UTF-16 code unit (0 or 1) of a code point. */
static uint32_t utf16_unit(uint32_t cp, int i)
{
	if (cp < 0x10000)
		return cp;
	cp -= 0x10000;
	return i == 0 ? 0xd800 + (cp >> 10) : 0xdc00 + (cp & 0x3ff);
}

struct jkey {
	const char *s;
	size_t n;
	json_t *v;
};

/*
 * RFC 8785 3.2.3: compare names as arrays of UTF-16 code units.  Code point
 * order (which byte order of UTF-8 gives) differs only where a supplementary
 * character's high surrogate sorts before U+E000..U+FFFF.  A key that is
 * not UTF-8 is refused when it is written; until then a bad byte counts as
 * one unit, so the sort still ends.
 */
static int jkey_cmp(const void *pa, const void *pb)
{
	const struct jkey *a = pa, *b = pb;
	const unsigned char *sa = (const unsigned char *)a->s, *sb = (const unsigned char *)b->s;
	size_t ia = 0, ib = 0;

	while (ia < a->n && ib < b->n) {
		uint32_t ca = sa[ia], cb = sb[ib], ua, ub;
		size_t ka = utf8_next(sa + ia, a->n - ia, &ca);
		size_t kb = utf8_next(sb + ib, b->n - ib, &cb);

		ia += ka ? ka : 1;
		ib += kb ? kb : 1;
		if (ca == cb)
			continue;
		ua = utf16_unit(ca, 0);
		ub = utf16_unit(cb, 0);
		if (ua == ub) {
			ua = utf16_unit(ca, 1);
			ub = utf16_unit(cb, 1);
		}
		return ua < ub ? -1 : 1;
	}
	return (ia < a->n) - (ib < b->n);
}

/* RFC 8785 3.2.2.2: escape only '"', '\\' and controls; all else literal. */
static int put_string(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	int rc;

	if (!utf8_valid(s, n))
		return -EINVAL;
	if ((rc = jbuf_put(b, "\"", 1)))
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if ((rc = jbuf_put(b, s + run, i - run)) || (rc = jbuf_put(b, esc, elen)))
			return rc;
		run = i + 1;
	}
	if ((rc = jbuf_put(b, s + run, n - run)))
		return rc;
	return jbuf_put(b, "\"", 1);
}

static int put_value(struct jbuf *b, const json_t *v, int depth);

static int put_object(struct jbuf *b, const json_t *v, int depth)
{
	json_t *o = (json_t *)v;	/* jansson's iterators take no const */
	size_t n = json_object_size(o), i = 0;
	struct jkey *keys;
	void *it;
	int rc;

	if (n == 0)
		return jbuf_put(b, "{}", 2);
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (it = json_object_iter(o); it && i < n; it = json_object_iter_next(o, it), i++) {
		keys[i].s = json_object_iter_key(it);
		keys[i].n = json_object_iter_key_len(it);
		keys[i].v = json_object_iter_value(it);
	}
	n = i;
	qsort(keys, n, sizeof(*keys), jkey_cmp);
	rc = jbuf_put(b, "{", 1);
	for (i = 0; !rc && i < n; i++) {
		if (i && (rc = jbuf_put(b, ",", 1)))
			break;
		if ((rc = put_string(b, keys[i].s, keys[i].n)) || (rc = jbuf_put(b, ":", 1)))
			break;
		rc = put_value(b, keys[i].v, depth + 1);
	}
	if (!rc)
		rc = jbuf_put(b, "}", 1);
	free(keys);
	return rc;
}

static int put_value(struct jbuf *b, const json_t *v, int depth)
{
	char num[32];
	json_int_t x;
	size_t i, n;
	int rc;

	if (!v || depth > JCS_MAX_DEPTH)
		return -EINVAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(b, v, depth);
	case JSON_ARRAY:
		n = json_array_size(v);
		if ((rc = jbuf_put(b, "[", 1)))
			return rc;
		for (i = 0; i < n; i++) {
			if (i && (rc = jbuf_put(b, ",", 1)))
				return rc;
			if ((rc = put_value(b, json_array_get(v, i), depth + 1)))
				return rc;
		}
		return jbuf_put(b, "]", 1);
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		/* RFC 8785 3.2.2.3 with RFC 7493 2.2: only exactly representable integers */
		x = json_integer_value(v);
		if (x > JCS_MAX_INT || x < -JCS_MAX_INT)
			return -EINVAL;
		n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)x);
		return jbuf_put(b, num, n);
	case JSON_TRUE:
		return jbuf_put(b, "true", 4);
	case JSON_FALSE:
		return jbuf_put(b, "false", 5);
	case JSON_NULL:
		return jbuf_put(b, "null", 4);
	case JSON_REAL:
	default:
		return -EINVAL;	/* the ledger takes integers only; never round */
	}
}

int jcs_dump(const json_t *v, size_t cap, char **out, size_t *len)
{
	struct jbuf b = { .cap = cap };
	int rc;

	rc = put_value(&b, v, 0);
	if (!rc && !b.p)
		rc = -EINVAL;	/* cannot happen: every value writes something */
	if (rc) {
		free(b.p);
		return rc;
	}
	b.p[b.len] = '\0';
	*out = b.p;
	*len = b.len;
	return 0;
}
