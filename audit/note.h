/*
 * note — C2SP signed notes with Ed25519 keys, and the C2SP tlog-checkpoint
 * carried inside them (SPEC section 4).
 *
 *   body:       "<origin>\n<tree size>\n<base64 root>\n"
 *   signature:  "\n— <origin> <base64(key ID || signature)>\n"
 *   key ID:     first 4 bytes of SHA-256(origin || 0x0A || 0x01 || public key)
 *   verifier:   "<origin>+<key ID as 8 hex>+<base64(0x01 || public key)>"
 */
#ifndef SZ_NOTE_H
#define SZ_NOTE_H
#include <stddef.h>
#include <stdint.h>

struct sz_key;

/* Upper bound on an accepted note, so parsing hostile input stays bounded. */
#define NOTE_MAX 16384
#define NOTE_ORIGIN_MAX 255

/*
 * Is name a valid key name / origin: 1..NOTE_ORIGIN_MAX bytes of UTF-8 with
 * no whitespace, no '+' and no control characters.  1 or 0.
 */
int note_name_valid(const char *name);
/* C2SP signed-note key ID for an Ed25519 key (algorithm byte 0x01).  Cannot fail. */
void note_key_id(const char *name, const uint8_t pub[32], uint8_t id[4]);
/* The verifier key string; new string (caller frees) or NULL on ENOMEM or an invalid name. */
char *note_verifier(const char *name, const uint8_t pub[32]);
/*
 * Parse a verifier key string.  *name is new (caller frees).  -EINVAL if it is
 * malformed, not Ed25519, or its key ID does not match its key.
 */
int note_verifier_parse(const char *vkey, char **name, uint8_t pub[32]);

/*
 * Verify any signed note (not only a checkpoint) of len bytes against the
 * Ed25519 key (name, pub): at most NOTE_MAX bytes of UTF-8 without control
 * characters but newline, a text ending in a newline, a blank line, then one
 * to 100 signature lines.  Lines by other keys, even with our name or our key
 * ID (but not both), are ignored.  On success *text_len is the length of the
 * signed text (through its final newline).  Returns 0, -EBADMSG when no line
 * by that key verifies or one by it fails, -EINVAL when the note or name is
 * malformed, -ENOMEM.
 */
int note_verify(const char *note, size_t len, const char *name, const uint8_t pub[32],
		size_t *text_len);

struct checkpoint {
	char origin[NOTE_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/*
 * Sign a checkpoint for (origin, size, root) with k, the key named origin.
 * *note is the whole signed note text, new (caller frees).  0 or -errno.
 */
int checkpoint_sign(const struct sz_key *k, const char *origin, uint64_t size,
		    const uint8_t root[32], char **note);
/*
 * Verify a signed checkpoint note against the key (name, pub): the note must
 * carry a valid signature line by that key (other signature lines are
 * ignored, as C2SP allows), its origin line must equal name, and its body
 * must be a well-formed checkpoint (decimal size without leading zeros, a
 * 32-byte base64 root; extension lines are allowed).  Fills *out.
 * Returns 0, -EBADMSG when no valid signature by that key is present,
 * -EINVAL when the note or body is malformed.
 */
int checkpoint_open(const char *note, size_t len, const char *name, const uint8_t pub[32],
		    struct checkpoint *out);

#endif
