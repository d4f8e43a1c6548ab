/*
 * jws — JSON Web Signature, compact serialisation only (RFC 7515 7.1), with
 * the one algorithm we sign with: EdDSA over Ed25519 (RFC 8037 3.1).
 *
 * Our protected header is {"alg":"EdDSA","kid":<RFC 7638 thumbprint>,
 * "typ":"sanitizerd-certificate+jws"}, canonical (RFC 8785), and the payload
 * bytes are the RFC 8785 canonical JSON of the payload object, so the same
 * certificate always has the same bytes.  The explicit typ (RFC 8725 3.11)
 * keeps a certificate from being mistaken for any other token signed with
 * the same key.
 *
 * Parsing is strict because verifiers are fed hostile input: at most
 * JWS_MAX bytes, exactly three base64url parts without padding, a header
 * that is a JSON object with "alg" exactly "EdDSA", no "crit" (we implement
 * no extensions, RFC 7515 4.1.11), a 64-byte signature.
 */
#ifndef SZ_JWS_H
#define SZ_JWS_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct sz_key;

/* The largest compact JWS accepted (a certificate is a few KiB). */
#define JWS_MAX (256 * 1024)
#define JWS_ALG "EdDSA"
#define JWS_TYP "sanitizerd-certificate+jws"
#define JWS_KID_MAX 128

/* A parsed compact JWS.  Only jws_parse makes one; free with jws_free. */
struct jws {
	char *header;		/* the decoded protected header, NUL-terminated */
	size_t header_len;
	uint8_t *payload;	/* the decoded payload, NUL-terminated for convenience */
	size_t payload_len;
	uint8_t sig[64];
	char kid[JWS_KID_MAX + 1];	/* "" when the header has none */
	char *signing_input;	/* ASCII(BASE64URL(header) || '.' || BASE64URL(payload)) */
	size_t signing_input_len;
};

/*
 * Sign: the compact serialisation of (header bytes, payload bytes) as given
 * (RFC 7515 5.1).  The caller vouches that header is a JSON object naming
 * alg EdDSA; jws_sign_json is the usual entry.  *out is new (caller frees).
 * 0, -ENOMEM, or the -errno of key_sign.
 */
int jws_sign_raw(const struct sz_key *k, const char *header, size_t header_len,
		 const void *payload, size_t payload_len, char **out);
/*
 * Sign the RFC 8785 canonical form of payload under our header (alg, kid
 * of k's public key, typ).  *out is new (caller frees).  -EINVAL if payload
 * is not an object or not canonicalisable (a real number, say), -E2BIG past
 * JWS_MAX, -ENOMEM.
 */
int jws_sign_json(const struct sz_key *k, const json_t *payload, char **out);

/*
 * Parse a compact JWS of len bytes (no trailing newline).  On success *out
 * is new (jws_free).  On error *out is NULL, err says why, and the return is
 * -EINVAL (malformed, wrong alg, "crit"), -E2BIG (over JWS_MAX) or -ENOMEM.
 */
int jws_parse(const char *text, size_t len, struct jws **out, char *err, size_t errlen);
/* Free; jws_free(NULL) is a no-op. */
void jws_free(struct jws *j);
/* Verify against one Ed25519 public key.  0 valid, -EBADMSG not. */
int jws_verify_key(const struct jws *j, const uint8_t pub[32]);
/*
 * Verify against a JWK Set ({"keys":[…]}, RFC 7517 5): the header must carry
 * a kid, the set a key with that kid of kty OKP, crv Ed25519 (and alg EdDSA
 * and use sig when present).  0 valid; -ENOKEY no such key in the set;
 * -EBADMSG bad signature; -EINVAL a malformed set or key.  err says why.
 */
int jws_verify_jwks(const struct jws *j, const json_t *jwks, char *err, size_t errlen);

#endif
