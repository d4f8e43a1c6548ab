#include "drivers/pattern.h"

#include <errno.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

struct pattern {
	enum pattern_kind kind;
	gcry_cipher_hd_t h;
	uint8_t nonce[16];
	char key_id[33];
};

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *pattern_kind_name(enum pattern_kind k)
{
	switch (k) {
	case PATTERN_ZERO: return "zero";
	case PATTERN_ONES: return "ones";
	case PATTERN_RANDOM: return "random";
	}
	return "unknown";
}

int pattern_new(enum pattern_kind k, const uint8_t *key, const uint8_t *nonce, struct pattern **out)
{
	struct pattern *p;
	uint8_t *kbuf = NULL, digest[32];
	int rc = 0;

	if (k != PATTERN_ZERO && k != PATTERN_ONES && k != PATTERN_RANDOM)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->kind = k;
	if (k != PATTERN_RANDOM) {
		*out = p;
		return 0;
	}
	/* the key only ever exists in secure (locked, wiped) memory */
	kbuf = gcry_malloc_secure(16);
	if (!kbuf) {
		rc = -ENOMEM;
		goto fail;
	}
	if (key)
		memcpy(kbuf, key, 16);
	else
		gcry_randomize(kbuf, 16, GCRY_STRONG_RANDOM);
	if (nonce)
		memcpy(p->nonce, nonce, 16);
	else
		gcry_create_nonce(p->nonce, 16);
	if (gcry_cipher_open(&p->h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CTR, GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(p->h, kbuf, 16)) {
		rc = -EIO;
		goto fail;
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, kbuf, 16);
	hex(digest, 16, p->key_id);
	gcry_free(kbuf);	/* secure memory is zeroed on free */
	*out = p;
	return 0;
fail:
	gcry_free(kbuf);
	pattern_free(p);
	return rc;
}

void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	if (p->h)
		gcry_cipher_close(p->h);	/* wipes the expanded key */
	free(p);
}

enum pattern_kind pattern_kind(const struct pattern *p)
{
	return p->kind;
}

void pattern_key_id(const struct pattern *p, char out[33])
{
	memcpy(out, p->key_id, 33);
}

void pattern_nonce_hex(const struct pattern *p, char out[33])
{
	if (p->kind == PATTERN_RANDOM)
		hex(p->nonce, 16, out);
	else
		out[0] = '\0';
}

/* NIST SP 800-38A 6.5 and B.1: counter block i = nonce + i, mod 2^128. */
static void counter_at(const uint8_t nonce[16], uint64_t block, uint8_t ctr[16])
{
	unsigned carry = 0;
	int i;

	for (i = 15; i >= 0; i--) {
		unsigned add = i >= 8 ? (unsigned)((block >> (8 * (15 - i))) & 0xff) : 0;
		unsigned v = nonce[i] + add + carry;
		ctr[i] = (uint8_t)v;
		carry = v >> 8;
	}
}

int pattern_fill(struct pattern *p, void *buf, uint64_t off, size_t len)
{
	uint8_t ctr[16];

	switch (p->kind) {
	case PATTERN_ZERO:
		memset(buf, 0, len);
		return 0;
	case PATTERN_ONES:
		memset(buf, 0xff, len);
		return 0;
	case PATTERN_RANDOM:
		break;
	}
	if (off % 16)
		return -EINVAL;
	counter_at(p->nonce, off / 16, ctr);
	if (gcry_cipher_setctr(p->h, ctr, 16))
		return -EIO;
	/* the keystream is the encryption of zeros */
	memset(buf, 0, len);
	if (gcry_cipher_encrypt(p->h, buf, len, NULL, 0))
		return -EIO;
	return 0;
}

size_t pattern_first_not(const void *buf, size_t len, uint8_t c)
{
	const uint8_t *b = buf;
	uint64_t w;
	size_t i = 0;

	memset(&w, c, sizeof(w));
	/* word at a time: a verify pass must keep up with the device */
	for (; i + 64 <= len; i += 64) {
		uint64_t v[8];
		memcpy(v, b + i, sizeof(v));	/* any alignment; compiles to loads */
		if ((v[0] ^ w) | (v[1] ^ w) | (v[2] ^ w) | (v[3] ^ w) |
		    (v[4] ^ w) | (v[5] ^ w) | (v[6] ^ w) | (v[7] ^ w))
			break;
	}
	for (; i < len; i++)
		if (b[i] != c)
			return i;
	return len;
}

int pattern_check(struct pattern *p, const void *buf, uint64_t off, size_t len,
		  void *scratch, uint64_t *bad)
{
	const uint8_t *a = buf, *e = scratch;
	size_t i;
	int rc;

	if (p->kind != PATTERN_RANDOM) {
		i = pattern_first_not(buf, len, p->kind == PATTERN_ONES ? 0xff : 0);
		if (i == len)
			return 0;
		*bad = off + i;
		return -EILSEQ;
	}
	rc = pattern_fill(p, scratch, off, len);
	if (rc < 0)
		return rc;
	if (memcmp(buf, scratch, len) == 0)
		return 0;
	for (i = 0; i < len && a[i] == e[i]; i++)
		;
	*bad = off + i;
	return -EILSEQ;
}
