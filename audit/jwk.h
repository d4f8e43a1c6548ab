/*
 * jwk — the public signing key as JOSE sees it: an OKP/Ed25519 JWK (RFC 8037)
 * whose kid is its RFC 7638 thumbprint, and the /v1/keys document.
 */
#ifndef SZ_JWK_H
#define SZ_JWK_H
#include <stdint.h>
#include <jansson.h>

/* RFC 7638 thumbprint of the Ed25519 JWK, base64url (43 chars + NUL).  Cannot fail. */
void jwk_kid(const uint8_t pub[32], char kid[44]);
/* {"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}: new reference or NULL. */
json_t *jwk_public(const uint8_t pub[32]);
/* {"keys":[jwk]}: new reference or NULL. */
json_t *jwk_set(const uint8_t pub[32]);
/* {"note_verifier","jwks","public_key_pem"} as GET /v1/keys serves it: new reference or NULL. */
json_t *jwk_keys_document(const char *note_verifier, const uint8_t pub[32]);

#endif
