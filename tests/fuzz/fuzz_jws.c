/*
 * fuzz_jws — compact JWS parsing and verification (audit/jws.c) and JWK Set
 * lookup (jws_verify_jwks over audit/jwk.c's shape).
 * Input: byte 0 bit 0 picks the mode.  0: the rest is a compact JWS,
 * verified against the fixed key and its JWKS.  1: the rest is a JWKS (or
 * a /v1/keys document), against which a valid certificate JWS is verified.
 * Properties: parse errors leave *out NULL and say why; a parsed JWS has a
 * 64-byte signature, a header that is a JSON object with alg EdDSA, and a
 * signing input that is exactly the first two parts; whatever verifies
 * against the key verifies against its JWKS when it names our kid, and a
 * JWS verified by a fuzzed JWKS holds a key equal to ours.
 */
#include "audit/jwk.h"
#include "audit/jws.h"
#include "tests/fuzz/fuzz.h"

static uint8_t pub[32];
static json_t *jwks;
static char *good, kid[44];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sz_key *k = fuzz_key();
	json_t *payload;
	char *s;

	(void)argc; (void)argv;
	key_public(k, pub);
	jwk_kid(pub, kid);
	jwks = jwk_set(pub);
	payload = json_pack("{s:s, s:s, s:i}", "cert_id", "crt_AAAAAAAAAAAA", "asset_id", "abc", "n", 1);
	if (!jwks || !payload || jws_sign_json(k, payload, &good) < 0)
		abort();
	json_decref(payload);
	if (!getenv("SZ_FUZZ_SEEDS"))
		return 0;
	s = malloc(strlen(good) + 2);
	s[0] = 0;
	memcpy(s + 1, good, strlen(good) + 1);
	fuzz_seed("jws-ours", s, strlen(good) + 1);
	free(s);
	/* RFC 8037 A.4: no kid, another key */
	fuzz_seed_str("jws-rfc8037", "\x02" "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
		      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
	s = json_dumps(jwks, JSON_COMPACT);
	{
		char *m = malloc(strlen(s) + 2);
		m[0] = 1;
		memcpy(m + 1, s, strlen(s) + 1);
		fuzz_seed_str("jwks-ours", m);
		free(m);
	}
	free(s);
	fuzz_seed_str("jwks-rfc8037", "\x01{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		      "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
		      "\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}");
	fuzz_seed_str("jwks-empty", "\x01{\"keys\":[]}");
	exit(0);
}

static void check_parsed(const struct jws *j, const char *text, size_t len)
{
	json_t *h = json_loadb(j->header, j->header_len, 0, NULL);
	const char *dot2;

	FUZZ_CHECK(json_is_object(h));
	FUZZ_CHECK(json_is_string(json_object_get(h, "alg")) &&
		   strcmp(json_string_value(json_object_get(h, "alg")), JWS_ALG) == 0);
	FUZZ_CHECK(json_object_get(h, "crit") == NULL);
	json_decref(h);
	dot2 = memrchr(text, '.', len);
	FUZZ_CHECK(dot2 != NULL);
	FUZZ_CHECK(j->signing_input_len == (size_t)(dot2 - text) &&
		   memcmp(j->signing_input, text, j->signing_input_len) == 0);
	FUZZ_CHECK(j->payload[j->payload_len] == '\0');
	FUZZ_CHECK(strlen(j->kid) <= JWS_KID_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jws *j = (struct jws *)1;
	char err[256] = "";
	int rc, rk, rs;

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		const char *text = (const char *)data + 1;
		rc = jws_parse(text, size - 1, &j, err, sizeof(err));
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
		if (rc < 0) {
			FUZZ_CHECK(j == NULL && err[0]);
			return 0;
		}
		check_parsed(j, text, size - 1);
		rk = jws_verify_key(j, pub);
		rs = jws_verify_jwks(j, jwks, err, sizeof(err));
		FUZZ_CHECK(rk == 0 || rk == -EBADMSG);
		FUZZ_CHECK(rs == 0 || rs == -EBADMSG || rs == -ENOKEY || rs == -EINVAL);
		if (rs == 0)
			FUZZ_CHECK(rk == 0 && strcmp(j->kid, kid) == 0);
		if (rk == 0 && strcmp(j->kid, kid) == 0)
			FUZZ_CHECK(rs == 0);
		jws_free(j);
	} else {
		json_t *set = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
		if (!set)
			return 0;
		rc = jws_parse(good, strlen(good), &j, err, sizeof(err));
		FUZZ_CHECK(rc == 0);
		rs = jws_verify_jwks(j, set, err, sizeof(err));
		FUZZ_CHECK(rs == 0 || rs == -EBADMSG || rs == -ENOKEY || rs == -EINVAL);
		if (rs == 0) {
			/* only our key can verify our signature */
			int found = 0;
			json_t *keys = json_object_get(set, "keys"), *key;
			size_t i;
			json_array_foreach(keys, i, key) {
				uint8_t x[32];
				const char *xs = json_string_value(json_object_get(key, "x"));
				if (xs && b64_decode_exact(xs, strlen(xs), B64_URL, x, 32) == 0 && !memcmp(x, pub, 32))
					found = 1;
			}
			FUZZ_CHECK(found);
		}
		jws_free(j);
		json_decref(set);
	}
	return 0;
}
