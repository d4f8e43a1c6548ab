/*
 * keys — the service's Ed25519 signing key (RFC 8032), through libgcrypt.
 * The private scalar lives in libgcrypt secure memory; every temporary copy
 * is wiped.  The key file is PKCS#8 PEM ("PRIVATE KEY", RFC 8410), so OpenSSL
 * and other standard tools read it; it is created O_EXCL|O_NOFOLLOW, 0600.
 */
#ifndef SZ_KEYS_H
#define SZ_KEYS_H
#include <stddef.h>
#include <stdint.h>

struct sz_key;

/*
 * Initialise libgcrypt once per process (version check, secure memory,
 * initialisation finished).  Startup code calls it before anything else.
 * 0 or -errno.
 */
int crypto_init(void);

/* Fill buf with n bytes from libgcrypt's strong random generator.  Cannot fail. */
void crypto_random(void *buf, size_t n);

/* A new random key in *out (caller frees with key_free).  0 or -errno. */
int key_generate(struct sz_key **out);
/* Write the key to path (O_CREAT|O_EXCL|O_NOFOLLOW, 0600, fdatasync).  -EEXIST if present. */
int key_save(const struct sz_key *k, const char *path);
/*
 * Read a key file.  -EPERM if group/other can read or write it (the caller
 * says so: "signing.key is readable by group or others"), -ELOOP for a
 * symlink, -ENOENT, -EINVAL if it is not an Ed25519 PKCS#8 PEM key.
 */
int key_load(const char *path, struct sz_key **out);
/* Free and wipe; key_free(NULL) is a no-op. */
void key_free(struct sz_key *k);
/* The 32-byte public key.  Cannot fail. */
void key_public(const struct sz_key *k, uint8_t pub[32]);
/* Ed25519 signature of msg (RFC 8032 5.1.6).  0 or -errno. */
int key_sign(const struct sz_key *k, const void *msg, size_t len, uint8_t sig[64]);

/*
 * Verify an Ed25519 signature (RFC 8032 5.1.7, strictly): 0 valid, -EBADMSG
 * invalid -- including S >= L, a non-canonical R and a small-order R --,
 * -EINVAL malformed key (not a canonical point, or of small order).  The one
 * Ed25519 check: JWS, signed notes and checkpoints all come through here.
 */
int ed25519_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t sig[64]);
/* SubjectPublicKeyInfo PEM ("PUBLIC KEY", RFC 8410) of pub: new string or NULL (ENOMEM). */
char *ed25519_public_pem(const uint8_t pub[32]);
/* Parse such a PEM.  0 or -EINVAL. */
int ed25519_public_from_pem(const char *pem, size_t len, uint8_t pub[32]);

#endif
