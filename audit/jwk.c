#include "audit/jwk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/merkle.h"

void jwk_kid(const uint8_t pub[32], char kid[44])
{
	/* RFC 7638 3.2: the required members only, sorted, no whitespace */
	char json[128], *x = b64_encode(pub, 32, B64_URL), *k;
	uint8_t h[32];

	snprintf(json, sizeof(json), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x ? x : "");
	free(x);
	merkle_sha256(json, strlen(json), h);
	k = b64_encode(h, 32, B64_URL);
	snprintf(kid, 44, "%s", k ? k : "");
	free(k);
}

json_t *jwk_public(const uint8_t pub[32])
{
	char kid[44], *x = b64_encode(pub, 32, B64_URL);
	json_t *j;

	if (!x)
		return NULL;
	jwk_kid(pub, kid);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "x", x,
		      "kid", kid, "alg", "EdDSA", "use", "sig");
	free(x);
	return j;
}

json_t *jwk_set(const uint8_t pub[32])
{
	json_t *k = jwk_public(pub);

	return k ? json_pack("{s:[o]}", "keys", k) : NULL;
}

json_t *jwk_keys_document(const char *note_verifier, const uint8_t pub[32])
{
	char *pem = ed25519_public_pem(pub);
	json_t *set = jwk_set(pub), *doc = NULL;

	if (pem && set)
		doc = json_pack("{s:s, s:O, s:s}", "note_verifier", note_verifier, "jwks", set,
				"public_key_pem", pem);
	json_decref(set);
	free(pem);
	return doc;
}
