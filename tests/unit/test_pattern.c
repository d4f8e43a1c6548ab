/* pattern: AES-128-CTR keystream known answers, offset addressing, checks. */
#include <errno.h>
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/pattern.h"
#include "tests/unit/tap.h"

static void unhex(const char *h, uint8_t *out)
{
	size_t i, n = strlen(h) / 2;

	for (i = 0; i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

int main(void)
{
	/* NIST SP 800-38A F.5.1 CTR-AES128.Encrypt: keystream = ciphertext ^ plaintext */
	static const char *pt[4] = { "6bc1bee22e409f96e93d7e117393172a", "ae2d8a571e03ac9c9eb76fac45af8e51",
				     "30c81c46a35ce411e5fbc1191a0a52ef", "f69f2445df4f9b17ad2b417be66c3710" };
	static const char *ct[4] = { "874d6191b620e3261bef6864990db6ce", "9806f66b7970fdff8617187bb9fffdff",
				     "5ae4df3edbd5d35e5b4f09020db03eab", "1e031dda2fbe03d1792170a0f3009cee" };
	uint8_t key[16], nonce[16], want[64], p[16], c[16], buf[64], ones[16];
	uint8_t *big, *part, *scratch;
	struct pattern *a = NULL, *b = NULL, *z = NULL, *o = NULL, *w = NULL;
	char id1[33], id2[33], nh[33];
	uint64_t bad = 0;
	int i, rc;

	gcry_check_version(NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

	unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", nonce);
	for (i = 0; i < 4; i++) {
		unhex(pt[i], p);
		unhex(ct[i], c);
		for (int k = 0; k < 16; k++)
			want[16 * i + k] = p[k] ^ c[k];
	}
	CHECK_EQ_INT(pattern_new(PATTERN_RANDOM, key, nonce, &a), 0, "known key: new");
	CHECK_EQ_INT(pattern_fill(a, buf, 0, 64), 0, "known key: fill 64 bytes");
	CHECK(memcmp(buf, want, 64) == 0, "SP 800-38A F.5.1 keystream blocks 1-4");
	CHECK_EQ_INT(pattern_fill(a, buf, 32, 32), 0, "fill at offset 32");
	CHECK(memcmp(buf, want + 32, 32) == 0, "offset 32 regenerates blocks 3-4 alone (counter = nonce + off/16)");
	CHECK_EQ_INT(pattern_fill(a, buf, 8, 16), -EINVAL, "unaligned offset is refused");

	/* counter carries across all 128 bits: nonce ff..ff, block 1 == nonce 0, block 0 */
	memset(nonce, 0xff, 16);
	CHECK_EQ_INT(pattern_new(PATTERN_RANDOM, key, nonce, &w), 0, "wrap nonce: new");
	memset(nonce, 0, 16);
	CHECK_EQ_INT(pattern_new(PATTERN_RANDOM, key, nonce, &b), 0, "zero nonce: new");
	pattern_fill(w, buf, 16, 16);
	pattern_fill(b, buf + 16, 0, 16);
	CHECK(memcmp(buf, buf + 16, 16) == 0, "counter wraps mod 2^128");
	/* and across the low 64 bits into the high half */
	memset(nonce, 0, 16);
	memset(nonce + 8, 0xff, 8);
	pattern_free(w);
	w = NULL;
	pattern_new(PATTERN_RANDOM, key, nonce, &w);
	memset(nonce, 0, 16);
	nonce[7] = 1;
	pattern_free(b);
	b = NULL;
	pattern_new(PATTERN_RANDOM, key, nonce, &b);
	pattern_fill(w, buf, 16, 16);
	pattern_fill(b, buf + 16, 0, 16);
	CHECK(memcmp(buf, buf + 16, 16) == 0, "carry from the low 64 bits into the high 64");

	/* a big fill equals the same bytes made in pieces at their offsets */
	big = malloc(1 << 20);
	part = malloc(1 << 20);
	scratch = malloc(1 << 20);
	pattern_fill(a, big, 1 << 20, 1 << 20);
	pattern_fill(a, part, (1 << 20) + 4096, 65536);
	CHECK(memcmp(big + 4096, part, 65536) == 0, "1 MiB fill and a piece at +4096 agree");
	CHECK_EQ_INT(pattern_check(a, big, 1 << 20, 1 << 20, scratch, &bad), 0, "check accepts the pattern");
	big[777777] ^= 1;
	CHECK_EQ_INT(pattern_check(a, big, 1 << 20, 1 << 20, scratch, &bad), -EILSEQ, "check finds a flipped bit");
	CHECK_EQ_INT(bad, (1 << 20) + 777777, "mismatch reported at its absolute offset");

	CHECK_EQ_INT(pattern_new(PATTERN_ZERO, NULL, NULL, &z), 0, "zero pattern");
	CHECK_EQ_INT(pattern_new(PATTERN_ONES, NULL, NULL, &o), 0, "ones pattern");
	pattern_fill(o, ones, 0, 16);
	CHECK(ones[0] == 0xff && ones[15] == 0xff, "ones are 0xff");
	memset(big, 0, 1 << 20);
	CHECK_EQ_INT(pattern_check(z, big, 4096, 1 << 20, scratch, &bad), 0, "zeros check");
	big[(1 << 20) - 1] = 1;
	CHECK_EQ_INT(pattern_check(z, big, 4096, 1 << 20, scratch, &bad), -EILSEQ, "last byte wrong");
	CHECK_EQ_INT(bad, 4096 + (1 << 20) - 1, "at the last byte's offset");
	CHECK_EQ_INT(pattern_check(o, big, 0, 1 << 20, scratch, &bad), -EILSEQ, "zeros are not ones");
	CHECK_EQ_INT(bad, 0, "first byte");
	CHECK_EQ_INT(pattern_first_not(big + 1, 100, 0), 100, "first_not on an unaligned buffer");
	big[50] = 7;
	CHECK_EQ_INT(pattern_first_not(big + 1, 100, 0), 49, "first_not finds the byte");

	/* fresh keys: different ids, 32 hex digits, no key anywhere in the API */
	pattern_free(b);
	pattern_free(w);
	b = w = NULL;
	CHECK_EQ_INT(pattern_new(PATTERN_RANDOM, NULL, NULL, &b), 0, "fresh key 1");
	CHECK_EQ_INT(pattern_new(PATTERN_RANDOM, NULL, NULL, &w), 0, "fresh key 2");
	pattern_key_id(b, id1);
	pattern_key_id(w, id2);
	CHECK(strlen(id1) == 32 && strcmp(id1, id2) != 0, "key ids differ and are 32 hex digits");
	pattern_fill(b, buf, 0, 16);
	pattern_fill(w, buf + 16, 0, 16);
	CHECK(memcmp(buf, buf + 16, 16) != 0, "fresh keys give different streams");
	pattern_nonce_hex(z, nh);
	CHECK_STR(nh, "", "zero pattern has no nonce");
	CHECK_EQ_INT(pattern_new((enum pattern_kind)9, NULL, NULL, &o), -EINVAL, "unknown kind refused");
	CHECK_STR(pattern_kind_name(PATTERN_RANDOM), "random", "kind name");

	pattern_free(a);
	pattern_free(b);
	pattern_free(w);
	pattern_free(z);
	pattern_free(o);
	pattern_free(NULL);
	free(big);
	free(part);
	free(scratch);
	rc = tap_done();
	return rc;
}
