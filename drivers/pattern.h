/*
 * pattern — the data an overwrite pass writes, regenerated at any offset so
 * verification and resume never store it.
 *
 * Random passes are the AES-128-CTR keystream (NIST SP 800-38A 6.5) under a
 * fresh per-job key from libgcrypt's strong generator; the byte at offset o is
 * keystream byte o, counter block = nonce + o/16 (128-bit big-endian add), so
 * any 16-aligned block is produced on its own.  The key lives in libgcrypt
 * secure memory and is wiped by pattern_free; only a key id (the first 16
 * bytes of SHA-256(key), hex) and the nonce ever leave the object.
 */
#ifndef SZ_PATTERN_H
#define SZ_PATTERN_H
#include <stddef.h>
#include <stdint.h>

enum pattern_kind { PATTERN_ZERO, PATTERN_ONES, PATTERN_RANDOM };

struct pattern;

/* "zero", "ones", "random". */
const char *pattern_kind_name(enum pattern_kind k);

/*
 * A new pattern.  For PATTERN_RANDOM, key (16 bytes) and nonce (16 bytes) may
 * be NULL to draw fresh ones (the normal case; tests pass fixed ones for
 * known answers).  Caller frees with pattern_free.  0, -ENOMEM, or -EIO when
 * libgcrypt refuses the cipher.
 */
int pattern_new(enum pattern_kind k, const uint8_t *key, const uint8_t *nonce, struct pattern **out);
/* Wipes the key; pattern_free(NULL) is a no-op. */
void pattern_free(struct pattern *p);
enum pattern_kind pattern_kind(const struct pattern *p);
/* 32 hex digits + NUL; empty strings for zero and ones. */
void pattern_key_id(const struct pattern *p, char out[33]);
void pattern_nonce_hex(const struct pattern *p, char out[33]);

/*
 * The pattern bytes for [off, off + len) into buf.  off must be a multiple of
 * 16 (every I/O is block-aligned).  0, or -EINVAL / -EIO.
 */
int pattern_fill(struct pattern *p, void *buf, uint64_t off, size_t len);

/*
 * Compare buf, read from [off, off + len), with the pattern; scratch is a
 * buffer of at least len bytes to regenerate into.  0 if equal, -EILSEQ with
 * *bad = the absolute offset of the first differing byte, or -errno.
 */
int pattern_check(struct pattern *p, const void *buf, uint64_t off, size_t len,
		  void *scratch, uint64_t *bad);

/* Offset of the first byte of buf that is not c, or len if none.  Cannot fail. */
size_t pattern_first_not(const void *buf, size_t len, uint8_t c);

#endif
