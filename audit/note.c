#include "audit/note.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <gcrypt.h>

#include "audit/b64.h"
#include "audit/keys.h"

/* c2sp.org/signed-note: a signature line starts with U+2014 EM DASH and a space */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN (sizeof(sig_prefix) - 1)
/* Go's x/mod/sumdb/note refuses more; c2sp.org/signed-note asks for at least 16 */
#define NOTE_MAX_SIGS 100
/* c2sp.org/signed-note "Signature types": Ed25519 */
#define ALG_ED25519 0x01
#define KEY_ID_LEN 4
#define ED25519_SIG_LEN 64

/*
 * Decode one UTF-8 sequence (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing past U+10FFFF).  Hand-written: none of our libraries
 * exports a validator, and this is all of it.  Returns the sequence length,
 * 0 if s does not start with a valid one.
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode White_Space, the set Go's unicode.IsSpace tests for key names. */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* c2sp.org/signed-note: non-empty, no Unicode spaces, no '+'; we add no controls and a cap. */
static int name_ok(const char *s, size_t n, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t c;

	if (n == 0 || n > cap)
		return 0;
	while (i < n) {
		l = utf8_next(p + i, n - i, &c);
		if (l == 0 || is_space(c) || c == '+' || c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return 0;
		i += l;
	}
	return 1;
}

int note_name_valid(const char *name)
{
	return name_ok(name, strnlen(name, NOTE_ORIGIN_MAX + 1), NOTE_ORIGIN_MAX);
}

void note_key_id(const char *name, const uint8_t pub[32], uint8_t id[4])
{
	static const uint8_t sep[2] = { '\n', ALG_ED25519 };
	uint8_t digest[32];
	gcry_buffer_t iov[3];

	/* c2sp.org/signed-note "Ed25519 signatures": SHA-256(name || 0x0A || 0x01 || key)[:4] */
	memset(iov, 0, sizeof(iov));
	iov[0].data = (void *)name;
	iov[0].len = strlen(name);
	iov[1].data = (void *)sep;
	iov[1].len = sizeof(sep);
	iov[2].data = (void *)pub;
	iov[2].len = 32;
	/* fails only for an unknown algorithm or HMAC flag, neither used here */
	(void)gcry_md_hash_buffers(GCRY_MD_SHA256, 0, digest, iov, 3);
	memcpy(id, digest, KEY_ID_LEN);
}

char *note_verifier(const char *name, const uint8_t pub[32])
{
	uint8_t key[33], id[KEY_ID_LEN];
	char hex[2 * KEY_ID_LEN + 1], *b64, *out;
	size_t nlen, blen, len;

	if (!note_name_valid(name))
		return NULL;
	note_key_id(name, pub, id);
	hex_encode(id, sizeof(id), hex);
	key[0] = ALG_ED25519;
	memcpy(key + 1, pub, 32);
	b64 = b64_encode(key, sizeof(key), B64_STD);
	if (!b64)
		return NULL;
	nlen = strlen(name);
	blen = strlen(b64);
	len = nlen + 1 + 8 + 1 + blen + 1;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%s+%s+%s", name, hex, b64);
	free(b64);
	return out;
}

int note_verifier_parse(const char *vkey, char **name, uint8_t pub[32])
{
	uint8_t key[33], id[KEY_ID_LEN], want[KEY_ID_LEN];
	const char *p1, *p2;
	size_t len, nlen;
	char *n;

	/* <name>+<8 hex>+<base64(0x01 || key)>; the base64 may itself hold '+' */
	len = strnlen(vkey, NOTE_ORIGIN_MAX + 64);
	p1 = memchr(vkey, '+', len);
	if (!p1)
		return -EINVAL;
	nlen = (size_t)(p1 - vkey);
	p2 = memchr(p1 + 1, '+', len - nlen - 1);
	if (!p2 || p2 - p1 - 1 != 2 * KEY_ID_LEN)
		return -EINVAL;
	if (!name_ok(vkey, nlen, NOTE_ORIGIN_MAX) ||
	    hex_decode(p1 + 1, 2 * KEY_ID_LEN, id, sizeof(id)) < 0 ||
	    b64_decode_exact(p2 + 1, len - (size_t)(p2 + 1 - vkey), B64_STD, key, sizeof(key)) < 0 ||
	    key[0] != ALG_ED25519)
		return -EINVAL;
	n = strndup(vkey, nlen);
	if (!n)
		return -ENOMEM;
	note_key_id(n, key + 1, want);
	if (memcmp(id, want, sizeof(id)) != 0) {
		free(n);
		return -EINVAL;
	}
	memcpy(pub, key + 1, 32);
	*name = n;
	return 0;
}

/* c2sp.org/signed-note "Format": UTF-8, and no control character but newline. */
static int note_text_ok(const char *note, size_t len)
{
	const unsigned char *p = (const unsigned char *)note;
	size_t i = 0, l;
	uint32_t c;

	while (i < len) {
		l = utf8_next(p + i, len - i, &c);
		if (l == 0 || (c < 0x20 && c != '\n'))
			return 0;
		i += l;
	}
	return 1;
}

/* One signature line's verdict for the key (name, id, pub): 1 ours and valid, 0 not ours, <0 error. */
static int check_sig_line(const char *note, size_t text_len, const char *line, size_t n,
			  const char *name, const uint8_t id[KEY_ID_LEN], const uint8_t pub[32])
{
	const char *sp;
	uint8_t *raw = NULL;
	size_t nlen, rlen = 0;
	int rc;

	/* "— <key name> <base64(key ID || signature)>" */
	if (n < SIG_PREFIX_LEN || memcmp(line, sig_prefix, SIG_PREFIX_LEN) != 0)
		return -EINVAL;
	line += SIG_PREFIX_LEN;
	n -= SIG_PREFIX_LEN;
	sp = memchr(line, ' ', n);
	if (!sp)
		return -EINVAL;
	nlen = (size_t)(sp - line);
	if (!name_ok(line, nlen, SIZE_MAX) || nlen + 1 == n)
		return -EINVAL;
	rc = b64_decode(sp + 1, n - nlen - 1, B64_STD, &raw, &rlen);
	if (rc < 0)
		return rc == -ENOMEM ? rc : -EINVAL;
	if (rlen <= KEY_ID_LEN) {
		rc = -EINVAL;
	} else if (nlen != strlen(name) || memcmp(line, name, nlen) != 0 ||
		   memcmp(raw, id, KEY_ID_LEN) != 0) {
		/* c2sp.org/signed-note: unknown keys, even sharing a name or an ID, are ignored */
		rc = 0;
	} else if (rlen != KEY_ID_LEN + ED25519_SIG_LEN) {
		rc = -EBADMSG;
	} else {
		rc = ed25519_verify(pub, note, text_len, raw + KEY_ID_LEN);
		if (rc == 0)
			rc = 1;
	}
	free(raw);
	return rc;
}

int note_verify(const char *note, size_t len, const char *name, const uint8_t pub[32],
		size_t *text_len)
{
	uint8_t id[KEY_ID_LEN];
	size_t i, tlen, off, nsig = 0;
	int rc, found = 0, bad = 0;

	if (len > NOTE_MAX || !note_text_ok(note, len) || !name_ok(name, strlen(name), SIZE_MAX))
		return -EINVAL;
	/* the text ends at the last blank line, and keeps its final newline */
	for (i = len; i >= 2; i--)
		if (note[i - 1] == '\n' && note[i - 2] == '\n')
			break;
	if (i < 2)
		return -EINVAL;
	tlen = i - 1;
	if (tlen == len - 1 || note[len - 1] != '\n')
		return -EINVAL;	/* no signature line, or the last one is cut */
	note_key_id(name, pub, id);
	for (off = tlen + 1; off < len; off = i + 1) {
		i = (size_t)((const char *)memchr(note + off, '\n', len - off) - note);
		if (++nsig > NOTE_MAX_SIGS)
			return -EINVAL;
		rc = check_sig_line(note, tlen, note + off, i - off, name, id, pub);
		if (rc == -EBADMSG)
			bad = 1;	/* c2sp.org/signed-note: a bad known signature spoils the note */
		else if (rc < 0)
			return rc;
		else if (rc == 1)
			found = 1;
	}
	if (bad || !found)
		return -EBADMSG;
	*text_len = tlen;
	return 0;
}

int checkpoint_sign(const struct sz_key *k, const char *origin, uint64_t size,
		    const uint8_t root[32], char **note)
{
	uint8_t pub[32], raw[KEY_ID_LEN + ED25519_SIG_LEN];
	char *root64, *sig64 = NULL, *out;
	size_t olen, blen, len;
	int n, rc;

	if (!note_name_valid(origin))
		return -EINVAL;
	root64 = b64_encode(root, 32, B64_STD);
	if (!root64)
		return -ENOMEM;
	/* c2sp.org/tlog-checkpoint "Note text": origin, size, root, each ending in a newline */
	olen = strlen(origin);
	len = olen + 1 + 20 + 1 + 44 + 1 + 1 + SIG_PREFIX_LEN + olen + 1 + 92 + 1 + 1;
	out = malloc(len);
	if (!out) {
		free(root64);
		return -ENOMEM;
	}
	n = snprintf(out, len, "%s\n%" PRIu64 "\n%s\n", origin, size, root64);
	free(root64);
	blen = (size_t)n;
	key_public(k, pub);
	note_key_id(origin, pub, raw);
	rc = key_sign(k, out, blen, raw + KEY_ID_LEN);
	if (rc == 0) {
		sig64 = b64_encode(raw, sizeof(raw), B64_STD);
		if (!sig64)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		free(out);
		return rc;
	}
	snprintf(out + blen, len - blen, "\n%s%s %s\n", sig_prefix, origin, sig64);
	free(sig64);
	*note = out;
	return 0;
}

/* c2sp.org/tlog-checkpoint: ASCII decimal, no leading zeroes unless it is "0". */
static int parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int checkpoint_open(const char *note, size_t len, const char *name, const uint8_t pub[32],
		    struct checkpoint *out)
{
	const char *line[3], *p, *end, *nl;
	size_t llen[3], tlen = 0, i;
	struct checkpoint c;
	int rc;

	rc = note_verify(note, len, name, pub, &tlen);
	if (rc < 0)
		return rc;
	/* c2sp.org/tlog-checkpoint "Note text": at least three non-empty lines */
	p = note;
	end = note + tlen;
	for (i = 0; i < 3; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -EINVAL;
		line[i] = p;
		llen[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	/* extension lines, if any, must be non-empty */
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p)
			return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	/*
	 * The signature is good but names another log: not a checkpoint of the
	 * log we were asked about, so the body does not fit (-EINVAL).
	 */
	if (llen[0] != strlen(name) || llen[0] > NOTE_ORIGIN_MAX ||
	    memcmp(line[0], name, llen[0]) != 0)
		return -EINVAL;
	memcpy(c.origin, line[0], llen[0]);
	if (parse_size(line[1], llen[1], &c.size) < 0 ||
	    b64_decode_exact(line[2], llen[2], B64_STD, c.root, sizeof(c.root)) < 0)
		return -EINVAL;
	*out = c;
	return 0;
}
