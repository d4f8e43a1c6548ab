/*
 * Known answers from outside the project: the PeterNeumann and EnochRoot
 * keys and notes of golang.org/x/mod/sumdb/note's note_test.go, the Go
 * signer key's seed as OpenSSL writes it in PKCS#8, and SHA-256("") as
 * `openssl dgst -sha256 -binary | base64` prints it (the RFC 6962 root of
 * an empty tree).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/note.h"
#include "tests/unit/tap.h"

/* See test_keys.c: libgcrypt's secure-memory pool hides a pointer from LeakSanitizer. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgcrypt.so\n";
}

#define EM "\xe2\x80\x94"	/* U+2014 EM DASH */

static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
/* the seed of Go's skey "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALV...", through openssl pkey */
static const char peter_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIIEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n"
	"-----END PRIVATE KEY-----\n";
static const char text[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n";
static const char peter_sig[] =
	EM " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
	EM " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
static const char empty_root64[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
static const char origin[] = "example.com/sanitizerd";

static char buf[2 * NOTE_MAX];

/* Concatenate up to four strings into buf. */
static const char *cat(const char *a, const char *b, const char *c, const char *d)
{
	snprintf(buf, sizeof(buf), "%s%s%s%s", a, b ? b : "", c ? c : "", d ? d : "");
	return buf;
}

static int verify_s(const char *note, const char *name, const uint8_t pub[32])
{
	size_t tl = 0;

	return note_verify(note, strlen(note), name, pub, &tl);
}

/*
 * A signed note over any text, written the way c2sp.org/signed-note says,
 * independently of checkpoint_sign, so malformed bodies can carry good
 * signatures.  id overrides the key ID when not NULL.  Caller frees.
 */
static char *sign_note(const struct sz_key *k, const char *name, const char *t,
		       const uint8_t *id)
{
	uint8_t pub[32], raw[68];
	char *b64, *out;
	size_t len;

	key_public(k, pub);
	note_key_id(name, pub, raw);
	if (id)
		memcpy(raw, id, 4);
	if (key_sign(k, t, strlen(t), raw + 4) < 0)
		return NULL;
	b64 = b64_encode(raw, sizeof(raw), B64_STD);
	len = strlen(t) + strlen(name) + strlen(b64) + 8;
	out = malloc(len);
	snprintf(out, len, "%s\n" EM " %s %s\n", t, name, b64);
	free(b64);
	return out;
}

static struct sz_key *load_pem(const char *pem)
{
	char path[] = "/tmp/test_note.XXXXXX";
	struct sz_key *k = NULL;
	int fd = mkstemp(path);

	if (fd < 0)
		return NULL;
	fchmod(fd, 0600);
	if (write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem))
		k = NULL;
	close(fd);
	if (key_load(path, &k) < 0)
		k = NULL;
	unlink(path);
	return k;
}

static void test_names(void)
{
	char n255[256], n256[257];

	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'a', 256);
	n256[256] = '\0';
	CHECK_EQ_INT(note_name_valid("example.com/log42"), 1, "name: schema-less URL");
	CHECK_EQ_INT(note_name_valid("h\xc3\xa9llo"), 1, "name: UTF-8 letter");
	CHECK_EQ_INT(note_name_valid(n255), 1, "name: 255 bytes");
	CHECK_EQ_INT(note_name_valid(n256), 0, "name: 256 bytes");
	CHECK_EQ_INT(note_name_valid(""), 0, "name: empty");
	CHECK_EQ_INT(note_name_valid("a+b"), 0, "name: plus");
	CHECK_EQ_INT(note_name_valid("a b"), 0, "name: space");
	CHECK_EQ_INT(note_name_valid("a\tb"), 0, "name: tab");
	CHECK_EQ_INT(note_name_valid("a\nb"), 0, "name: newline");
	CHECK_EQ_INT(note_name_valid("a\xc2\xa0" "b"), 0, "name: U+00A0 no-break space");
	CHECK_EQ_INT(note_name_valid("a\xe3\x80\x80" "b"), 0, "name: U+3000 ideographic space");
	CHECK_EQ_INT(note_name_valid("a\x7f" "b"), 0, "name: DEL");
	CHECK_EQ_INT(note_name_valid("a\xe2\x80\xa8" "b"), 0, "name: U+2028 line separator");
	CHECK_EQ_INT(note_name_valid("a\xc2\x85" "b"), 0, "name: U+0085");
	CHECK_EQ_INT(note_name_valid("\xc0\xaf"), 0, "name: overlong UTF-8");
	CHECK_EQ_INT(note_name_valid("\xed\xa0\x80"), 0, "name: UTF-16 surrogate");
	CHECK_EQ_INT(note_name_valid("\xff"), 0, "name: not UTF-8");
}

static void test_verifier(const uint8_t peter_pub[32])
{
	static const uint8_t want_id[4] = { 0xc7, 0x4f, 0x20, 0xa3 };
	uint8_t id[4], pub[32];
	char *name = NULL, *s, mangled[sizeof(peter_vkey)];
	size_t n = strlen(peter_vkey), i, j;
	int bad = 0;

	note_key_id("PeterNeumann", peter_pub, id);
	CHECK(memcmp(id, want_id, 4) == 0, "key ID of Go's PeterNeumann key is c74f20a3");
	s = note_verifier("PeterNeumann", peter_pub);
	CHECK_STR(s, peter_vkey, "verifier string is Go's");
	free(s);
	CHECK(note_verifier("Peter Neumann", peter_pub) == NULL, "no verifier for a bad name");

	CHECK_EQ_INT(note_verifier_parse(peter_vkey, &name, pub), 0, "parse Go's verifier key");
	CHECK_STR(name, "PeterNeumann", "its name");
	CHECK(memcmp(pub, peter_pub, 32) == 0, "its key is the one Go's signer key derives");
	free(name);
	name = NULL;
	CHECK_EQ_INT(note_verifier_parse(enoch_vkey, &name, pub), 0, "parse Go's EnochRoot key");
	free(name);
	name = NULL;

	/* Go's TestNewVerifier: no substring and no one-byte change is accepted */
	for (i = 0; i <= n; i++)
		for (j = i + 1; j <= n; j++) {
			if (i == 0 && j == n)
				continue;
			memcpy(mangled, peter_vkey + i, j - i);
			mangled[j - i] = '\0';
			if (note_verifier_parse(mangled, &name, pub) != -EINVAL) {
				bad++;
				free(name);
				name = NULL;
			}
		}
	CHECK_EQ_INT(bad, 0, "every proper substring of the verifier key is refused");
	bad = 0;
	for (i = 0; i < n; i++) {
		memcpy(mangled, peter_vkey, sizeof(mangled));
		mangled[i]++;
		if (note_verifier_parse(mangled, &name, pub) != -EINVAL) {
			bad++;
			free(name);
			name = NULL;
		}
	}
	CHECK_EQ_INT(bad, 0, "every one-byte change of the verifier key is refused");
	CHECK_EQ_INT(note_verifier_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
					 &name, pub), -EINVAL, "Go: wrong length key, adjusted key hash");
	CHECK_EQ_INT(note_verifier_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
					 &name, pub), -EINVAL, "Go: unknown algorithm, adjusted key hash");
}

static void test_go_notes(const struct sz_key *peter, const uint8_t peter_pub[32])
{
	uint8_t enoch_pub[32], sig[64];
	char *name = NULL, *s;
	const char *n;
	size_t tl = 0, i;
	char many[101 * sizeof(peter_sig) + sizeof(text) + 2];

	if (note_verifier_parse(enoch_vkey, &name, enoch_pub) < 0) {
		CHECK(0, "fixture EnochRoot");
		return;
	}
	free(name);

	/* Go's TestSign: our signature of the text is Go's, byte for byte */
	s = sign_note(peter, "PeterNeumann", text, NULL);
	CHECK_STR(s, cat(text, "\n", peter_sig, NULL), "signing Go's text gives Go's signed note");
	free(s);
	CHECK_EQ_INT(key_sign(peter, text, strlen(text), sig), 0, "sign");

	n = cat(text, "\n", peter_sig, NULL);
	CHECK_EQ_INT(note_verify(n, strlen(n), "PeterNeumann", peter_pub, &tl), 0, "Go's signed note verifies");
	CHECK_EQ_INT(tl, strlen(text), "signed text is the body with its final newline");

	/* Go's TestOpen */
	n = cat(text, "\n", peter_sig, enoch_sig);
	CHECK_EQ_INT(verify_s(n, "PeterNeumann", peter_pub), 0, "ours and an unknown signature: accepted");
	CHECK_EQ_INT(verify_s(n, "EnochRoot", enoch_pub), 0, "Go's EnochRoot signature verifies too");
	n = cat(text, "\n", enoch_sig, NULL);
	CHECK_EQ_INT(verify_s(n, "PeterNeumann", peter_pub), -EBADMSG, "only another key's valid signature: -EBADMSG");
	CHECK_EQ_INT(verify_s(n, "PeterNeumann", enoch_pub), -EBADMSG, "our name, another key: -EBADMSG");

	snprintf(many, sizeof(many), "%s\n", text);
	for (i = 0; i < 100; i++)
		strncat(many, peter_sig, sizeof(many) - strlen(many) - 1);
	CHECK_EQ_INT(verify_s(many, "PeterNeumann", peter_pub), 0, "100 signature lines: accepted");
	strncat(many, peter_sig, sizeof(many) - strlen(many) - 1);
	CHECK_EQ_INT(verify_s(many, "PeterNeumann", peter_pub), -EINVAL, "101 signature lines: -EINVAL");

	snprintf(buf, sizeof(buf), "%s\n%.60sABCD%s", text, peter_sig, peter_sig + 60);
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), -EBADMSG, "Go: invalid signature by our key");

	snprintf(buf, sizeof(buf), "%s\n%s%.60sABCD%s", text, peter_sig, peter_sig, peter_sig + 60);
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), -EBADMSG,
		     "a valid and an invalid signature by our key: -EBADMSG");
	snprintf(buf, sizeof(buf), "%s\n%s%s%s%s%.60sABCD%s", text, peter_sig, peter_sig, enoch_sig,
		 enoch_sig, enoch_sig, enoch_sig + 60);
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), 0, "Go: duplicated and broken unknown signatures");

	/* Go's badMsgs: malformed whatever the key */
	CHECK_EQ_INT(verify_s(text, "PeterNeumann", peter_pub), -EINVAL, "Go: text alone");
	CHECK_EQ_INT(verify_s(cat(text, "\n", NULL, NULL), "PeterNeumann", peter_pub), -EINVAL,
		     "Go: blank line, no signature");
	snprintf(buf, sizeof(buf), "%s\n%.*s", text, (int)strlen(peter_sig) - 1, peter_sig);
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), -EINVAL, "Go: signature line without newline");
	CHECK_EQ_INT(verify_s(cat("\x01", text, "\n", peter_sig), "PeterNeumann", peter_pub), -EINVAL,
		     "Go: control character");
	CHECK_EQ_INT(verify_s(cat("\xff", text, "\n", peter_sig), "PeterNeumann", peter_pub), -EINVAL,
		     "Go: not UTF-8");
	CHECK_EQ_INT(verify_s(cat(text, "\n" EM " Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
				  NULL, NULL), "PeterNeumann", peter_pub), -EINVAL, "Go: name with a space");
	CHECK_EQ_INT(verify_s(cat(text, "\n", peter_sig, "Unexpected line.\n"), "PeterNeumann", peter_pub),
		     -EINVAL, "Go: a line that is not a signature");
	CHECK_EQ_INT(verify_s(cat(text, "\n", peter_sig, "\n"), "PeterNeumann", peter_pub),
		     -EINVAL, "an empty line after the signatures");
	CHECK_EQ_INT(verify_s(cat(text, "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
				  NULL, NULL), "PeterNeumann", peter_pub), -EINVAL, "hyphen instead of em dash");
	CHECK_EQ_INT(verify_s(cat(text, "\n", peter_sig, EM " Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
			      "PeterNeumann", peter_pub), -EINVAL, "a signer name with '+'");
	CHECK_EQ_INT(verify_s(cat(text, "\n" EM " PeterNeumann \n", NULL, NULL), "PeterNeumann", peter_pub),
		     -EINVAL, "empty signature");
	CHECK_EQ_INT(verify_s(cat(text, "\n" EM " PeterNeumann x08g\n", NULL, NULL), "PeterNeumann", peter_pub),
		     -EINVAL, "signature of only a key ID");
	CHECK_EQ_INT(verify_s(cat(text, "\r\n", peter_sig, NULL), "PeterNeumann", peter_pub), -EINVAL,
		     "carriage return");

	/* Go's wrong name and wrong hash: not our key, so no signature of ours */
	snprintf(buf, sizeof(buf), "%s\n" EM " CarmenSandiego %s", text, peter_sig + strlen(EM " PeterNeumann "));
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), -EBADMSG, "Go: another name");
	snprintf(buf, sizeof(buf), "%s\n" EM " PeterNeumann xxxx%s", text, peter_sig + strlen(EM " PeterNeumann x08g"));
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), -EBADMSG, "Go: another key ID (ignored)");

	/* the signature covers the text only, not the blank line */
	snprintf(buf, sizeof(buf), "%s\n\n%s", text, peter_sig);
	CHECK_EQ_INT(verify_s(buf, "PeterNeumann", peter_pub), -EBADMSG, "text with an extra blank line");
	CHECK_EQ_INT(verify_s(cat(text, "\n", peter_sig, NULL), "PeterNeumann+x", peter_pub), -EINVAL,
		     "a bad name to verify for");
}

static void test_checkpoints(const struct sz_key *a, const struct sz_key *b)
{
	uint8_t pa[32], pb[32], root[32], root0[32], id[4];
	struct checkpoint c;
	char *note = NULL, *nb = NULL, *s, *p, body[NOTE_MAX + 256];
	size_t len, i;

	key_public(a, pa);
	key_public(b, pb);
	if (b64_decode_exact(empty_root64, strlen(empty_root64), B64_STD, root0, 32) < 0)
		CHECK(0, "fixture empty root");
	for (i = 0; i < 32; i++)
		root[i] = (uint8_t)(i * 7 + 1);

	/* the text is exactly c2sp.org/tlog-checkpoint's */
	CHECK_EQ_INT(checkpoint_sign(a, origin, 0, root0, &note), 0, "sign the empty tree");
	snprintf(body, sizeof(body), "%s\n0\n%s\n\n" EM " %s ", origin, empty_root64, origin);
	CHECK(note && strncmp(note, body, strlen(body)) == 0, "body and signature line prefix");
	CHECK(note && strlen(note) == strlen(body) + 92 + 1 && note[strlen(note) - 1] == '\n',
	      "one signature line of 92 base64 characters");
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), 0, "open it");
	CHECK_STR(c.origin, origin, "origin");
	CHECK_EQ_INT(c.size, 0, "size 0");
	CHECK(memcmp(c.root, root0, 32) == 0, "root is SHA-256 of nothing");
	free(note);
	note = NULL;

	CHECK_EQ_INT(checkpoint_sign(a, origin, 42, root, &note), 0, "sign size 42");
	if (!note)
		return;
	len = strlen(note);
	CHECK_EQ_INT(checkpoint_open(note, len, origin, pa, &c), 0, "open size 42");
	CHECK_EQ_INT(c.size, 42, "size 42");
	CHECK(memcmp(c.root, root, 32) == 0, "root");

	/* negative twins */
	s = strdup(note);
	p = strstr(s, "\n42\n");
	p[2] = '3';
	CHECK_EQ_INT(checkpoint_open(s, len, origin, pa, &c), -EBADMSG, "changed size");
	p[2] = '2';
	p = s + strlen(origin) + 4;	/* into the root line */
	p[5] = p[5] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(checkpoint_open(s, len, origin, pa, &c), -EBADMSG, "changed root");
	free(s);
	s = strdup(note);
	s[0] = 'E';
	CHECK_EQ_INT(checkpoint_open(s, len, "Example.com/sanitizerd", pa, &c), -EBADMSG,
		     "changed origin (and name)");
	CHECK_EQ_INT(checkpoint_open(s, len, origin, pa, &c), -EBADMSG, "changed origin");
	free(s);
	CHECK_EQ_INT(checkpoint_open(note, len, origin, pb, &c), -EBADMSG, "other key");
	CHECK_EQ_INT(checkpoint_open(note, len, "example.com/other", pa, &c), -EBADMSG,
		     "asked for another key name");
	CHECK_EQ_INT(checkpoint_open(note, len - 1, origin, pa, &c), -EINVAL, "last newline cut");
	s = strdup(note);
	p = strstr(s, "\n\n");
	memmove(p + 1, p + 2, strlen(p + 2) + 1);
	CHECK_EQ_INT(checkpoint_open(s, strlen(s), origin, pa, &c), -EINVAL, "missing blank line");
	free(s);

	/* the same name signed by another key: a different key ID, so ignored */
	CHECK_EQ_INT(checkpoint_sign(b, origin, 42, root, &nb), 0, "sign with key b, same origin");
	if (nb) {
		CHECK_EQ_INT(checkpoint_open(nb, strlen(nb), origin, pa, &c), -EBADMSG,
			     "same name, other key ID: not accepted");
		/* b's line after ours, and ours after b's: ours is enough */
		snprintf(body, sizeof(body), "%s%s", note, strstr(nb, "\n\n") + 2);
		CHECK_EQ_INT(checkpoint_open(body, strlen(body), origin, pa, &c), 0,
			     "a second signature by another key: accepted");
		CHECK_EQ_INT(checkpoint_open(body, strlen(body), origin, pb, &c), 0,
			     "and b finds its own");
		free(nb);
	}
	note_key_id(origin, pa, id);
	free(note);
	note = NULL;

	/* bodies that are signed well but are no checkpoint */
	{
		static const struct { const char *size, *what; } sizes[] = {
			{ "01", "size 01" }, { "-1", "size -1" }, { "+1", "size +1" },
			{ " 42", "size with a leading space" }, { "42 ", "size with a trailing space" },
			{ "4 2", "size with a space inside" }, { "", "empty size" },
			{ "0x2a", "hex size" }, { "18446744073709551616", "size 2^64" },
			{ "99999999999999999999", "size of 20 nines" },
		};
		char *r64 = b64_encode(root, 32, B64_STD), *r31 = b64_encode(root, 31, B64_STD);

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			snprintf(body, sizeof(body), "%s\n%s\n%s\n", origin, sizes[i].size, r64);
			note = sign_note(a, origin, body, NULL);
			CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL,
				     "%s: -EINVAL", sizes[i].what);
			free(note);
		}
		snprintf(body, sizeof(body), "%s\n18446744073709551615\n%s\n", origin, r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), 0, "size 2^64-1");
		CHECK(c.size == UINT64_MAX, "is read exactly");
		free(note);

		snprintf(body, sizeof(body), "%s\n42\n%s\n", origin, r31);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL, "root of 31 bytes");
		free(note);
		snprintf(body, sizeof(body), "%s\n42\n%sAAAA\n", origin, r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL, "root with more base64");
		free(note);
		snprintf(body, sizeof(body), "%s\n42\n%.43s\n", origin, r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL, "root without its padding");
		free(note);
		snprintf(body, sizeof(body), "%s\n42\n", origin);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL, "no root line");
		free(note);
		snprintf(body, sizeof(body), "other.example/log\n42\n%s\n", r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL,
			     "our key, but the body names another origin");
		free(note);
		snprintf(body, sizeof(body), "example.com/sanitizerX\n42\n%s\n", r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL,
			     "our key, another origin of the same length");
		free(note);
		snprintf(body, sizeof(body), "%s\n42\n%s\next one\next two\n", origin, r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), 0, "extension lines");
		CHECK_EQ_INT(c.size, 42, "with the size read");
		free(note);
		snprintf(body, sizeof(body), "%s\n42\n%s\n\next\n", origin, r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL, "an empty extension line");
		free(note);
		snprintf(body, sizeof(body), "%s\n42\n%s\n\xff\n", origin, r64);
		note = sign_note(a, origin, body, NULL);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EINVAL, "non-UTF-8 in the body");
		free(note);

		/* our name and key ID on a line, b's signature bytes: a known key that fails */
		snprintf(body, sizeof(body), "%s\n42\n%s\n", origin, r64);
		note = sign_note(b, origin, body, id);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), -EBADMSG,
			     "our name and key ID, another key's signature");
		nb = sign_note(a, origin, body, NULL);
		snprintf(buf, sizeof(buf), "%s%s", nb, strstr(note, "\n\n") + 2);
		CHECK_EQ_INT(checkpoint_open(buf, strlen(buf), origin, pa, &c), -EBADMSG,
			     "and beside our good one: the whole note is refused");
		CHECK_EQ_INT(checkpoint_open(nb, strlen(nb), origin, pa, &c), 0, "control: ours alone is good");
		free(nb);
		free(note);

		/* NOTE_MAX exactly, then one byte more */
		for (i = 0; i < 2; i++) {
			size_t sig_line = 1 + 4 + strlen(origin) + 1 + 92 + 1;
			size_t head = strlen(origin) + 4 + strlen(r64) + 1;
			size_t ext = NOTE_MAX + i - sig_line - head - 1;

			snprintf(body, sizeof(body), "%s\n42\n%s\n", origin, r64);
			memset(body + head, 'x', ext);
			body[head + ext] = '\n';
			body[head + ext + 1] = '\0';
			note = sign_note(a, origin, body, NULL);
			CHECK_EQ_INT(strlen(note), NOTE_MAX + i, "fixture note of %zu bytes", NOTE_MAX + i);
			CHECK_EQ_INT(checkpoint_open(note, strlen(note), origin, pa, &c), i ? -EINVAL : 0,
				     "a note of NOTE_MAX%s bytes", i ? " + 1" : "");
			free(note);
		}
		free(r64);
		free(r31);
	}
	note = NULL;
	CHECK_EQ_INT(checkpoint_sign(a, "bad origin", 1, root, &note), -EINVAL, "sign: origin with a space");
	CHECK(note == NULL, "no note");
	CHECK_EQ_INT(checkpoint_sign(a, "", 1, root, &note), -EINVAL, "sign: empty origin");
}

int main(void)
{
	struct sz_key *peter, *b = NULL;
	uint8_t peter_pub[32];

	CHECK_EQ_INT(crypto_init(), 0, "crypto_init");
	test_names();
	peter = load_pem(peter_pem);
	CHECK(peter != NULL, "load Go's PeterNeumann signer key");
	if (!peter)
		return tap_done();
	key_public(peter, peter_pub);
	test_verifier(peter_pub);
	test_go_notes(peter, peter_pub);
	CHECK_EQ_INT(key_generate(&b), 0, "generate a second key");
	if (b)
		test_checkpoints(peter, b);
	key_free(peter);
	key_free(b);
	return tap_done();
}
