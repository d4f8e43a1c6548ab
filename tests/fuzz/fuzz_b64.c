/*
 * fuzz_b64 — the strict base64 (RFC 4648 4) and base64url (RFC 4648 5)
 * decoders and the hex decoder of audit/b64.c.
 * Input: byte 0 picks the alphabet (bit 0) and a length for
 * b64_decode_exact; the rest is the text.
 * Properties: decoding is strict, so what decodes re-encodes to exactly the
 * input (one text per value); b64_decode_exact agrees with b64_decode;
 * hex_decode of 2n digits round-trips through hex_encode up to case.
 */
#include <ctype.h>

#include "tests/fuzz/fuzz.h"

static const char *const seeds[] = {
	"\x00", "\x00Zg==", "\x01Zg", "\x00Zm8=", "\x01Zm8", "\x00Zm9v", "\x00Zm9vYg==", "\x01Zm9vYmE",
	"\x00Zm9vYmFy", "\x01Zm9vYmFy", "\x00+/+/", "\x01-_-_", "\x00+/8=", "\x01-_8", "\x00Zh==",
	"\x20" "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	"\x21" "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
	"\x02" "666f6f626172", "\x02" "DEADbeef",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char name[32];

	(void)argc; (void)argv;
	if (!getenv("SZ_FUZZ_SEEDS"))
		return 0;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(name, sizeof(name), "seed-%02zu", i);
		/* "\x00" alone is a one-byte seed: strlen would make it empty */
		fuzz_seed(name, seeds[i], seeds[i][0] ? strlen(seeds[i]) : strlen(seeds[i] + 1) + 1);
	}
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum b64_variant v;
	const char *s;
	size_t n, outlen = 0;
	uint8_t *out = NULL, fixed[256];
	char *enc;
	int rc, rc2;

	if (size < 1)
		return 0;
	v = data[0] & 1 ? B64_URL : B64_STD;
	s = (const char *)data + 1;
	n = size - 1;
	rc = b64_decode(s, n, v, &out, &outlen);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		enc = b64_encode(out, outlen, v);
		FUZZ_CHECK(enc != NULL);
		FUZZ_CHECK(strlen(enc) == n && memcmp(enc, s, n) == 0);
		free(enc);
	}
	/* exact: want is byte 0's top bits (0..127) */
	rc2 = b64_decode_exact(s, n, v, fixed, data[0] >> 1);
	FUZZ_CHECK(rc2 == 0 || rc2 == -EINVAL || rc2 == -ENOMEM);
	if (rc2 != -ENOMEM)
		FUZZ_CHECK((rc2 == 0) == (rc == 0 && outlen == (size_t)(data[0] >> 1)));
	if (rc2 == 0)
		FUZZ_CHECK(memcmp(fixed, out, outlen) == 0);
	free(out);

	/* hex: the whole text as 2n digits */
	if (n % 2 == 0 && n / 2 <= sizeof(fixed)) {
		char hx[2 * sizeof(fixed) + 1];
		rc = hex_decode(s, n, fixed, n / 2);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			hex_encode(fixed, n / 2, hx);
			for (size_t i = 0; i < n; i++)
				FUZZ_CHECK(hx[i] == tolower((unsigned char)s[i]));
		}
	}
	return 0;
}
