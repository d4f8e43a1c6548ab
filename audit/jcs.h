/*
 * jcs — RFC 8785 JSON Canonicalization Scheme over jansson values, for the
 * ledger's entries.  The ledger takes integers only, so numbers are integers
 * in the I-JSON safe range; a real is refused rather than rounded.
 */
#ifndef SZ_JCS_H
#define SZ_JCS_H
#include <stddef.h>
#include <jansson.h>

/* Largest magnitude of an integer the ledger accepts: 2^53 - 1 (RFC 7493 2.2). */
#define JCS_MAX_INT 9007199254740991LL

/*
 * Serialise v canonically (RFC 8785 3.2: members sorted by UTF-16 code units,
 * no whitespace, minimal string escapes).  On success *out is a new
 * NUL-terminated string (caller frees) and *len its length.  Returns -EINVAL
 * for a real number, an integer beyond JCS_MAX_INT, or a string or key that is
 * not valid UTF-8 or holds U+0000, or nesting deeper than 2048 (jansson's
 * parser limit; it also stops a cyclic value); -ENOMEM; -E2BIG if the text
 * would pass cap bytes (cap 0: no cap).  Nothing is allocated on error.
 */
int jcs_dump(const json_t *v, size_t cap, char **out, size_t *len);

#endif
