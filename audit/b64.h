/*
 * b64 — base64 (RFC 4648 section 4, with padding) and base64url (section 5,
 * without padding, as JOSE uses it), and lowercase hex.  Hand-written because
 * none of our libraries exports one; it is small and strict.
 */
#ifndef SZ_B64_H
#define SZ_B64_H
#include <stddef.h>
#include <stdint.h>

enum b64_variant { B64_STD, B64_URL };

/* Encode; returns a new NUL-terminated string (caller frees) or NULL on ENOMEM. */
char *b64_encode(const void *data, size_t len, enum b64_variant v);
/*
 * Decode strictly: B64_STD requires canonical padding, B64_URL refuses it;
 * no whitespace; non-zero trailing bits are refused.  *out is new (caller
 * frees, may be used for len 0), *outlen its length.  -EINVAL on bad input,
 * -ENOMEM.
 */
int b64_decode(const char *s, size_t slen, enum b64_variant v, uint8_t **out, size_t *outlen);
/* Decode into a fixed buffer: -EINVAL unless the text decodes to exactly want bytes. */
int b64_decode_exact(const char *s, size_t slen, enum b64_variant v, uint8_t *out, size_t want);
/* Lowercase hex of n bytes into out, which holds 2n + 1.  Cannot fail. */
void hex_encode(const void *data, size_t n, char *out);
/* The value of one hex digit (either case), or -1.  Cannot fail. */
int hex_digit(unsigned char c);
/* Parse exactly 2n hex digits (either case).  -EINVAL otherwise. */
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t n);

#endif
