/*
 * Known answers from outside the project: the RFC 8032 section 7.1 Ed25519
 * vectors, and the PEM text OpenSSL 3.0 writes for those keys
 * (printf '302e020100300506032b657004220420<seed>' | xxd -r -p |
 *  openssl pkey -inform DER [-pubout]).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/keys.h"
#include "tests/unit/tap.h"

struct vec {
	const char *seed, *pub, *msg, *sig;
	const char *pem, *pub_pem;	/* as openssl pkey writes them */
};

static const struct vec vecs[] = {
	{	/* RFC 8032 7.1 TEST 1 */
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"",
		"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		"5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
		"-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
		"-----END PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
		"-----END PUBLIC KEY-----\n",
	},
	{	/* TEST 2 */
		"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		"72",
		"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		"085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
		"-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7\n"
		"-----END PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEAPUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n"
		"-----END PUBLIC KEY-----\n",
	},
	{	/* TEST 3 */
		"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
		"af82",
		"6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
		"18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
		"-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VwBCIEIMWqjfQ/n4N77bdELzHct7Fm04U1B28JS4XOOi4LRFj3\n"
		"-----END PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEA/FHNjmIYoaONpH7QAjDwWAgW7RO6MwOsXeuRFUiQgCU=\n"
		"-----END PUBLIC KEY-----\n",
	},
};

/*
 * libgcrypt keeps a heap block for the whole process and its only pointer
 * to it inside the secure-memory pool, an mmap LeakSanitizer does not scan:
 * a false leak of 128 KiB once GCRYCTL_INIT_SECMEM is used.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgcrypt.so\n";
}

static char dir[] = "/tmp/test_keys.XXXXXX";
static char paths[32][300];
static int npaths;

static const char *path_in_dir(const char *name)
{
	char *p = paths[npaths++];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2, i;

	for (i = 0; i < n; i++) {
		unsigned v;

		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Plain libc on purpose: the fixtures must not depend on the code under test. */
static int put_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ssize_t n;

	if (fd < 0)
		return -errno;
	fchmod(fd, mode);
	n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static char *get_file(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_vectors(void)
{
	struct sz_key *k[3] = { NULL, NULL, NULL };
	size_t i;

	for (i = 0; i < 3; i++) {
		const struct vec *v = &vecs[i];
		uint8_t pub[32], want_pub[32], sig[64], want_sig[64], msg[8], pub2[32];
		size_t mlen = unhex(v->msg, msg);
		char name[32], *pem;
		const char *path, *copy;
		int rc;

		unhex(v->pub, want_pub);
		unhex(v->sig, want_sig);
		snprintf(name, sizeof(name), "rfc%zu.key", i + 1);
		path = path_in_dir(name);
		CHECK_EQ_INT(put_file(path, v->pem, strlen(v->pem), 0600), 0, "fixture %s", name);
		rc = key_load(path, &k[i]);
		CHECK_EQ_INT(rc, 0, "TEST %zu: openssl's PEM loads", i + 1);
		if (rc)
			continue;
		key_public(k[i], pub);
		CHECK(memcmp(pub, want_pub, 32) == 0, "TEST %zu: public key derived from the seed", i + 1);
		CHECK_EQ_INT(key_sign(k[i], msg, mlen, sig), 0, "TEST %zu: sign", i + 1);
		CHECK(memcmp(sig, want_sig, 64) == 0, "TEST %zu: signature is RFC 8032's", i + 1);
		CHECK_EQ_INT(ed25519_verify(want_pub, msg, mlen, want_sig), 0,
			     "TEST %zu: RFC signature verifies", i + 1);

		/* negative twins */
		if (mlen) {
			msg[0] ^= 1;
			CHECK_EQ_INT(ed25519_verify(want_pub, msg, mlen, want_sig), -EBADMSG,
				     "TEST %zu: flipped message bit", i + 1);
			msg[0] ^= 1;
		}
		msg[mlen] = 0;
		CHECK_EQ_INT(ed25519_verify(want_pub, msg, mlen + 1, want_sig), -EBADMSG,
			     "TEST %zu: message one byte longer", i + 1);
		want_sig[10] ^= 0x10;
		CHECK_EQ_INT(ed25519_verify(want_pub, msg, mlen, want_sig), -EBADMSG,
			     "TEST %zu: flipped bit in R", i + 1);
		want_sig[10] ^= 0x10;
		want_sig[40] ^= 0x01;
		CHECK_EQ_INT(ed25519_verify(want_pub, msg, mlen, want_sig), -EBADMSG,
			     "TEST %zu: flipped bit in S", i + 1);
		want_sig[40] ^= 0x01;
		unhex(vecs[(i + 1) % 3].pub, pub2);
		CHECK_EQ_INT(ed25519_verify(pub2, msg, mlen, want_sig), -EBADMSG,
			     "TEST %zu: other key", i + 1);

		/* the same bytes OpenSSL writes, both ways */
		snprintf(name, sizeof(name), "rfc%zu.copy", i + 1);
		copy = path_in_dir(name);
		CHECK_EQ_INT(key_save(k[i], copy), 0, "TEST %zu: save", i + 1);
		CHECK_STR(get_file(copy), v->pem, "TEST %zu: key_save writes openssl's PKCS#8 text", i + 1);
		pem = ed25519_public_pem(want_pub);
		CHECK_STR(pem, v->pub_pem, "TEST %zu: public PEM is openssl's SPKI text", i + 1);
		free(pem);
		memset(pub2, 0, 32);
		CHECK_EQ_INT(ed25519_public_from_pem(v->pub_pem, strlen(v->pub_pem), pub2), 0,
			     "TEST %zu: openssl's public PEM parses", i + 1);
		CHECK(memcmp(pub2, want_pub, 32) == 0, "TEST %zu: to the RFC public key", i + 1);
	}
	for (i = 0; i < 3; i++)
		key_free(k[i]);
}

static void test_generate(void)
{
	struct sz_key *a = NULL, *b = NULL, *c = NULL;
	uint8_t pa[32], pb[32], pc[32], sa[64], sc[64];
	const char *path = path_in_dir("gen.key");
	char before[512];
	struct stat st;
	const char *msg = "checkpoint body\n";

	CHECK_EQ_INT(key_generate(&a), 0, "generate a key");
	CHECK_EQ_INT(key_generate(&b), 0, "generate another");
	if (!a || !b)
		goto out;
	key_public(a, pa);
	key_public(b, pb);
	CHECK(memcmp(pa, pb, 32) != 0, "two generated keys differ");
	CHECK_EQ_INT(key_sign(a, msg, strlen(msg), sa), 0, "sign with a generated key");
	CHECK_EQ_INT(ed25519_verify(pa, msg, strlen(msg), sa), 0, "its signature verifies");
	CHECK_EQ_INT(ed25519_verify(pb, msg, strlen(msg), sa), -EBADMSG, "not under the other key");

	CHECK_EQ_INT(key_save(a, path), 0, "save");
	CHECK_EQ_INT(stat(path, &st), 0, "key file exists");
	CHECK_EQ_INT(st.st_mode & 07777, 0600, "key file mode is 0600");
	snprintf(before, sizeof(before), "%s", get_file(path));
	CHECK(strncmp(before, "-----BEGIN PRIVATE KEY-----\n", 28) == 0, "PKCS#8 armour");

	CHECK_EQ_INT(key_save(b, path), -EEXIST, "save over an existing file: -EEXIST");
	CHECK_STR(get_file(path), before, "the existing file is unchanged");

	CHECK_EQ_INT(key_load(path, &c), 0, "load it back");
	if (c) {
		key_public(c, pc);
		CHECK(memcmp(pa, pc, 32) == 0, "same public key after the round trip");
		CHECK_EQ_INT(key_sign(c, msg, strlen(msg), sc), 0, "sign with the loaded key");
		/* RFC 8032 signatures are deterministic: same seed, same signature */
		CHECK(memcmp(sa, sc, 64) == 0, "same signature as before saving");
	}
out:
	key_free(a);
	key_free(b);
	key_free(c);
	key_free(NULL);
}

static void expect_load(const char *name, const char *text, size_t len, mode_t mode, int want,
			const char *what)
{
	struct sz_key *k = NULL;
	const char *path = path_in_dir(name);

	if (len == 0)
		len = strlen(text);
	if (put_file(path, text, len, mode) < 0) {
		CHECK(0, "fixture %s", name);
		return;
	}
	CHECK_EQ_INT(key_load(path, &k), want, "%s", what);
	if (want)
		CHECK(k == NULL, "%s: no key returned", what);
	else
		CHECK(k != NULL, "%s: a key returned", what);
	key_free(k);
}

static void test_bad_files(void)
{
	const char *good = vecs[0].pem;
	struct sz_key *k = NULL;
	char big[5000];
	const char *link = path_in_dir("link.key");

	expect_load("open.key", good, strlen(good), 0644, -EPERM, "mode 0644: -EPERM");
	expect_load("group.key", good, strlen(good), 0640, -EPERM, "mode 0640: -EPERM");
	expect_load("other.key", good, strlen(good), 0602, -EPERM, "mode 0602: -EPERM");

	CHECK_EQ_INT(symlink(paths[0], link), 0, "fixture symlink");
	CHECK_EQ_INT(key_load(link, &k), -ELOOP, "a symlink to a good key: -ELOOP");
	CHECK_EQ_INT(key_load(path_in_dir("missing.key"), &k), -ENOENT, "missing: -ENOENT");
	CHECK_EQ_INT(key_load(dir, &k), -EINVAL, "a directory: -EINVAL");

	expect_load("zero.key", "", 0, 0600, -EINVAL, "an empty file");
	expect_load("empty.key", "\n", 1, 0600, -EINVAL, "a file with only a newline");
	expect_load("garbage.key", "hello, world\n", 13, 0600, -EINVAL, "garbage");
	expect_load("trunc1.key", good, strlen(good) / 2, 0600, -EINVAL, "truncated in the base64");
	expect_load("trunc2.key", good, strlen(good) - 8, 0600, -EINVAL, "truncated END line");
	expect_load("pub.key", vecs[0].pub_pem, strlen(vecs[0].pub_pem), 0600, -EINVAL,
		    "a public key PEM");
	/* the same DER with the Ed448 OID 1.3.101.113 */
	expect_load("oid.key",
		    "-----BEGIN PRIVATE KEY-----\n"
		    "MC4CAQAwBQYDK2VxBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
		    "-----END PRIVATE KEY-----\n", 0, 0600, -EINVAL, "wrong OID");
	/* DER one byte short: OCTET STRING length 0x21 holding 31 bytes */
	expect_load("short.key",
		    "-----BEGIN PRIVATE KEY-----\n"
		    "MC0CAQAwBQYDK2VwBCEEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn8=\n"
		    "-----END PRIVATE KEY-----\n", 0, 0600, -EINVAL, "DER one byte short");
	/* RFC 8410 10.3: a version-1 key with attributes and the public key */
	expect_load("v2.key",
		    "-----BEGIN PRIVATE KEY-----\n"
		    "MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
		    "oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n"
		    "Z9w7lshQhqowtrbLDFw4rXAxZuE=\n"
		    "-----END PRIVATE KEY-----\n", 0, 0600, -EINVAL, "RFC 8410 10.3 v2 key");
	expect_load("label.key",
		    "-----BEGIN EC PRIVATE KEY-----\n"
		    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
		    "-----END EC PRIVATE KEY-----\n", 0, 0600, -EINVAL, "wrong label");
	expect_load("space.key",
		    "-----BEGIN PRIVATE KEY-----\n"
		    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMc rn9g\n"
		    "-----END PRIVATE KEY-----\n", 0, 0600, -EINVAL, "space inside the base64");
	expect_load("trail.key",
		    "-----BEGIN PRIVATE KEY-----\n"
		    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
		    "-----END PRIVATE KEY-----\nextra\n", 0, 0600, -EINVAL, "text after the END line");
	memset(big, 'A', sizeof(big));
	memcpy(big, good, strlen(good));
	expect_load("big.key", big, sizeof(big), 0600, -EINVAL, "oversized file");
	/* the good key again, so a refusal above is about the damage, not the path */
	expect_load("good.key", good, strlen(good), 0600, 0, "control: the intact key loads");
}

/* Add L to the little-endian scalar s (RFC 8032 5.1): the same value mod L, another encoding. */
static void add_order(uint8_t s[32])
{
	static const uint8_t l[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		[31] = 0x10,
	};
	unsigned c = 0;
	int i;

	for (i = 0; i < 32; i++) {
		c += (unsigned)s[i] + l[i];
		s[i] = (uint8_t)c;
		c >>= 8;
	}
}

/* RFC 8032 5.1.7: one signature, one encoding (issue 10 item 10) */
static void test_malleability(void)
{
	static const char *small[] = {
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0000000000000000000000000000000000000000000000000000000000000000",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	};
	uint8_t pub[32], sig[64], bad[64], msg[8];
	size_t mlen, i;

	unhex(vecs[1].pub, pub);
	unhex(vecs[1].sig, sig);
	mlen = unhex(vecs[1].msg, msg);
	CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, sig), 0, "RFC 8032 TEST 2 verifies");
	memcpy(bad, sig, 64);
	add_order(bad + 32);
	CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, bad), -EBADMSG, "S + L is refused (5.1.7)");
	add_order(bad + 32);
	CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, bad), -EBADMSG, "S + 2L is refused");
	/* S = L exactly, and S = 2^256 - 1 */
	memcpy(bad, sig, 64);
	memset(bad + 32, 0, 32);
	add_order(bad + 32);
	CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, bad), -EBADMSG, "S = L is refused");
	memset(bad + 32, 0xff, 32);
	CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, bad), -EBADMSG, "S = 2^256 - 1 is refused");
	/* R = y = p + 1 (a non-canonical neutral point) and every small-order R */
	memcpy(bad, sig, 64);
	unhex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", bad);
	CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, bad), -EBADMSG, "R with y = p + 1 is refused");
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memcpy(bad, sig, 64);
		unhex(small[i], bad);
		CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, bad), -EBADMSG, "small-order R %zu is refused", i);
		unhex(small[i], pub);
		CHECK_EQ_INT(ed25519_verify(pub, msg, mlen, sig), -EINVAL, "small-order A %zu is a bad key", i);
		unhex(vecs[1].pub, pub);
	}
}

static void test_public(void)
{
	/*
	 * Keys that are not points, or points libgcrypt 1.10.1 aborts on (its
	 * field code needs full-size coordinates): each must be -EINVAL, and
	 * a crash here fails the suite.  Whether y gives a square x^2 =
	 * (y^2-1)/(dy^2+1) mod p was computed outside, in Python.
	 */
	static const struct { const char *hex, *what; } bad[] = {
		{ "0200000000000000000000000000000000000000000000000000000000000000",
		  "y = 2, not on the curve" },
		{ "0200000000000000000000000000000000000000000000000000000000000040",
		  "y = 2^254 + 2, not on the curve" },
		{ "0100000000000000000000000000000000000000000000000000000000000000",
		  "y = 1, the neutral point" },
		{ "0000000000000000000000000000000000000000000000000000000000000000",
		  "y = 0, a point of order 4" },
		{ "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		  "y = p - 1, the point of order 2" },
		{ "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		  "y = p, not canonical" },
		{ "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		  "y = 2^255 - 1, not canonical" },
	};
	uint8_t pub[32], key[32], sig[64];
	const char *p = vecs[0].pub_pem;
	char buf[256];
	size_t i;

	unhex(vecs[0].sig, sig);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unhex(bad[i].hex, key);
		CHECK_EQ_INT(ed25519_verify(key, "", 0, sig), -EINVAL, "public key %s: -EINVAL",
			     bad[i].what);
	}
	/* y = 2^254 + 1 is on the curve: a wrong signature, not a bad key */
	unhex("0100000000000000000000000000000000000000000000000000000000000040", key);
	CHECK_EQ_INT(ed25519_verify(key, "", 0, sig), -EBADMSG, "a valid point's wrong signature: -EBADMSG");
	CHECK_EQ_INT(ed25519_public_from_pem("", 0, pub), -EINVAL, "empty public PEM");
	CHECK_EQ_INT(ed25519_public_from_pem(p, strlen(p) - 30, pub), -EINVAL, "truncated public PEM");
	CHECK_EQ_INT(ed25519_public_from_pem(vecs[0].pem, strlen(vecs[0].pem), pub), -EINVAL,
		     "a private key given as public");
	/* SPKI with the X25519 OID 1.3.101.110 */
	snprintf(buf, sizeof(buf), "%s", p);
	buf[27 + 11] = 'u';	/* "MCowBQYDK2VwAyEA" -> "MCowBQYDK2VuAyEA" */
	CHECK(strncmp(buf + 27, "MCowBQYDK2VuAyEA", 16) == 0, "fixture X25519 SPKI");
	CHECK_EQ_INT(ed25519_public_from_pem(buf, strlen(buf), pub), -EINVAL, "X25519 OID refused");
}

int main(void)
{
	int i;

	CHECK_EQ_INT(crypto_init(), 0, "crypto_init");
	CHECK_EQ_INT(crypto_init(), 0, "crypto_init again is harmless");
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return tap_done();
	}
	test_vectors();
	test_generate();
	test_bad_files();
	test_public();
	test_malleability();
	for (i = 0; i < npaths; i++)
		unlink(paths[i]);
	rmdir(dir);
	return tap_done();
}
