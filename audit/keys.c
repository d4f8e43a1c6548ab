#include "audit/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>

#include "audit/b64.h"
#include "util/xio.h"

/*
 * The oldest libgcrypt whose EdDSA behaviour (opaque r/s/q values, the
 * "q@eddsa" derivation) the tests were run against.
 */
#define NEED_LIBGCRYPT_VERSION "1.10.0"
#define SECMEM_SIZE (64 * 1024)
/* A key file is ~120 bytes; anything much larger is not one of ours. */
#define KEY_FILE_MAX 4096
/* Base64 characters between the PEM armour lines: our DERs need 60 or 64. */
#define PEM_B64_MAX 128

/*
 * RFC 8410 section 7: the PKCS#8 OneAsymmetricKey (version 0, no attributes,
 * no public key) and the SubjectPublicKeyInfo of an Ed25519 key.  The OID is
 * 1.3.101.112 and the algorithm has no parameters, the key sizes are fixed,
 * and DER admits one encoding per value, so every such key is these bytes
 * followed by the 32-byte seed or public key: comparing a fixed prefix is a
 * complete parser, not a shortcut.  A version-1 key carrying the optional
 * public key is refused (OpenSSL and Go write version 0).
 */
static const uint8_t pkcs8_prefix[16] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
	0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
};
static const uint8_t spki_prefix[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
	0x70, 0x03, 0x21, 0x00,
};
#define PKCS8_LEN (sizeof(pkcs8_prefix) + 32)
#define SPKI_LEN (sizeof(spki_prefix) + 32)

/* The whole struct lives in gcry secure memory (mlocked, wiped on free). */
struct sz_key {
	uint8_t seed[32];	/* RFC 8032 5.1.5: the private key */
	uint8_t pub[32];
};

/* A libgcrypt error as -errno: system errors keep their errno, the rest mean bad input. */
static int gcry_rc(gcry_error_t e)
{
	int no;

	if (!e)
		return 0;
	no = gcry_err_code_to_errno(gcry_err_code(e));
	return no ? -no : -EINVAL;
}

int crypto_init(void)
{
	/* libgcrypt keeps its own once-only state; a second call is a no-op */
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return 0;
	if (!gcry_check_version(NEED_LIBGCRYPT_VERSION))
		return -ENOTSUP;
	/* the warning would be printed before mlock is even tried */
	gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
	if (gcry_control(GCRYCTL_INIT_SECMEM, SECMEM_SIZE, 0))
		return -ENOMEM;
	gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

void crypto_random(void *buf, size_t n)
{
	gcry_randomize(buf, n, GCRY_STRONG_RANDOM);
}

/*
 * RFC 8032 5.1.5: A = [s]B with s the clamped first half of SHA-512(seed).
 * libgcrypt does exactly this when asked for "q@eddsa" of a context that has
 * only d, so no curve arithmetic is written here.
 */
static int derive_public(const uint8_t seed[32], uint8_t pub[32])
{
	gcry_sexp_t sk = NULL;
	gcry_ctx_t ctx = NULL;
	gcry_mpi_t q = NULL;
	const unsigned char *p;
	unsigned int nbits = 0;
	int rc;

	/* the sexp is allocated in secure memory because seed is (libgcrypt sexp.c) */
	rc = gcry_rc(gcry_sexp_build(&sk, NULL,
				     "(private-key (ecc (curve Ed25519) (flags eddsa) (d %b)))",
				     32, seed));
	if (rc == 0)
		rc = gcry_rc(gcry_mpi_ec_new(&ctx, sk, NULL));
	if (rc == 0) {
		q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1);
		if (!q || !gcry_mpi_get_flag(q, GCRYMPI_FLAG_OPAQUE))
			rc = -EINVAL;
	}
	if (rc == 0) {
		p = gcry_mpi_get_opaque(q, &nbits);
		if (!p || nbits != 256)
			rc = -EINVAL;
		else
			memcpy(pub, p, 32);
	}
	gcry_mpi_release(q);
	gcry_ctx_release(ctx);
	gcry_sexp_release(sk);
	return rc;
}

static int point_usable(const uint8_t pub[32]);

/* Secure memory: NULL (ENOMEM) too when crypto_init has not set the pool up. */
static struct sz_key *key_alloc(void)
{
	return gcry_calloc_secure(1, sizeof(struct sz_key));
}

void key_free(struct sz_key *k)
{
	if (!k)
		return;
	explicit_bzero(k, sizeof(*k));
	gcry_free(k);
}

/* A key from a seed; the seed is copied.  0 or -errno. */
static int key_from_seed(const uint8_t seed[32], struct sz_key **out)
{
	struct sz_key *k;
	int rc;

	k = key_alloc();
	if (!k)
		return -ENOMEM;
	memcpy(k->seed, seed, 32);
	rc = derive_public(k->seed, k->pub);
	/* a key whose signatures ed25519_verify would refuse is no use to us */
	if (rc == 0 && !point_usable(k->pub))
		rc = -EINVAL;
	if (rc < 0) {
		key_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

int key_generate(struct sz_key **out)
{
	struct sz_key *k;
	int rc;

	k = key_alloc();
	if (!k)
		return -ENOMEM;
	/* RFC 8032 5.1.5 step 1: 32 random octets are the whole private key */
	do {
		gcry_randomize(k->seed, sizeof(k->seed), GCRY_VERY_STRONG_RANDOM);
		rc = derive_public(k->seed, k->pub);
	} while (rc == 0 && !point_usable(k->pub));	/* see point_usable */
	if (rc < 0) {
		key_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void key_public(const struct sz_key *k, uint8_t pub[32])
{
	memcpy(pub, k->pub, 32);
}

/* Copy a libgcrypt value of up to 32 bytes, restoring leading zero bytes it may have dropped. */
static int sexp_value32(gcry_sexp_t s, const char *name, uint8_t out[32])
{
	gcry_sexp_t tok;
	const char *p;
	size_t n = 0;
	int rc = 0;

	tok = gcry_sexp_find_token(s, name, 0);
	if (!tok)
		return -EINVAL;
	p = gcry_sexp_nth_data(tok, 1, &n);
	if (!p || n > 32) {
		rc = -EINVAL;
	} else {
		memset(out, 0, 32 - n);
		memcpy(out + 32 - n, p, n);
	}
	gcry_sexp_release(tok);
	return rc;
}

/* (data ...) for a pure Ed25519 signature of msg (RFC 8032 5.1: PH is the identity). */
static int data_sexp(const void *msg, size_t len, gcry_sexp_t *out)
{
	if (len > INT_MAX)
		return -EMSGSIZE;
	if (!msg)
		msg = "";
	return gcry_rc(gcry_sexp_build(out, NULL,
				       "(data (flags eddsa) (hash-algo sha512) (value %b))",
				       (int)len, msg));
}

int key_sign(const struct sz_key *k, const void *msg, size_t len, uint8_t sig[64])
{
	gcry_sexp_t sk = NULL, data = NULL, sv = NULL;
	int rc;

	rc = gcry_rc(gcry_sexp_build(&sk, NULL,
				     "(private-key (ecc (curve Ed25519) (flags eddsa) (q %b) (d %b)))",
				     32, k->pub, 32, k->seed));
	if (rc == 0)
		rc = data_sexp(msg, len, &data);
	if (rc == 0)
		rc = gcry_rc(gcry_pk_sign(&sv, data, sk));
	/* RFC 8032 5.1.6 step 6: signature = R || S, each 32 octets */
	if (rc == 0)
		rc = sexp_value32(sv, "r", sig);
	if (rc == 0)
		rc = sexp_value32(sv, "s", sig + 32);
	gcry_sexp_release(sv);
	gcry_sexp_release(data);
	gcry_sexp_release(sk);
	return rc;
}

/*
 * Would libgcrypt take pub as a public key?  RFC 8032 5.1.3 decoding, done
 * with plain MPI arithmetic because libgcrypt 1.10.1 cannot be asked safely:
 * its Ed25519 field code aborts the process ("mulm_25519: different sizes")
 * when a decoded coordinate has fewer limbs than the field, as for y = 0, 1,
 * 2 or p-1 (seen with gcry_pk_verify; WebKit hit the same).  A hostile
 * verifier key must be an error, not a crash, so a coordinate below 2^224
 * (short with 32- or 64-bit limbs) is refused too: an honest key is one
 * with odds of about 2^-31, and key_generate draws again.
 * 1 usable, 0 not.
 */
static int point_usable(const uint8_t pub[32])
{
	gcry_mpi_t p, d, y, x, u, v, t, e;
	uint8_t be[32];
	int i, ok = 0, sign = pub[31] >> 7;

	for (i = 0; i < 32; i++)
		be[i] = pub[31 - i];
	be[0] &= 0x7f;
	p = gcry_mpi_set_ui(NULL, 1);
	d = gcry_mpi_new(256);
	x = gcry_mpi_new(256);
	u = gcry_mpi_new(256);
	v = gcry_mpi_new(256);
	t = gcry_mpi_new(256);
	e = gcry_mpi_new(256);
	y = NULL;
	if (gcry_mpi_scan(&y, GCRYMPI_FMT_USG, be, sizeof(be), NULL))
		goto out;
	gcry_mpi_mul_2exp(p, p, 255);
	gcry_mpi_sub_ui(p, p, 19);			/* p = 2^255 - 19 */
	if (gcry_mpi_cmp(y, p) >= 0)
		goto out;				/* 5.1.3 step 1 */
	/* d = -121665 / 121666 (RFC 8032 5.1) */
	gcry_mpi_set_ui(t, 121666);
	if (!gcry_mpi_invm(t, t, p))
		goto out;
	gcry_mpi_set_ui(d, 121665);
	gcry_mpi_mulm(d, d, t, p);
	gcry_mpi_sub(d, p, d);
	/* x^2 = (y^2 - 1) / (d y^2 + 1)  (step 2) */
	gcry_mpi_mulm(t, y, y, p);
	gcry_mpi_sub_ui(u, t, 1);
	gcry_mpi_mod(u, u, p);
	gcry_mpi_mulm(v, d, t, p);
	gcry_mpi_add_ui(v, v, 1);
	if (!gcry_mpi_invm(v, v, p))
		goto out;
	gcry_mpi_mulm(u, u, v, p);			/* u = x^2 */
	/* candidate root u^((p+3)/8), times sqrt(-1) = 2^((p-1)/4) if needed (step 3) */
	gcry_mpi_add_ui(e, p, 3);
	gcry_mpi_rshift(e, e, 3);
	gcry_mpi_powm(x, u, e, p);
	gcry_mpi_mulm(t, x, x, p);
	if (gcry_mpi_cmp(t, u) != 0) {
		gcry_mpi_sub_ui(e, p, 1);
		gcry_mpi_rshift(e, e, 2);
		gcry_mpi_set_ui(t, 2);
		gcry_mpi_powm(t, t, e, p);
		gcry_mpi_mulm(x, x, t, p);
		gcry_mpi_mulm(t, x, x, p);
		if (gcry_mpi_cmp(t, u) != 0)
			goto out;			/* no square root: not a point */
	}
	if (gcry_mpi_cmp_ui(x, 0) == 0 && sign)
		goto out;				/* step 4 */
	if (gcry_mpi_test_bit(x, 0) != sign)
		gcry_mpi_sub(x, p, x);
	ok = gcry_mpi_get_nbits(x) > 224 && gcry_mpi_get_nbits(y) > 224;
out:
	gcry_mpi_release(p);
	gcry_mpi_release(d);
	gcry_mpi_release(y);
	gcry_mpi_release(x);
	gcry_mpi_release(u);
	gcry_mpi_release(v);
	gcry_mpi_release(t);
	gcry_mpi_release(e);
	return ok;
}

/* L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 5.1), little-endian */
static const uint8_t group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/*
 * RFC 8032 5.1.7 step 1: "If ... S is not in the range 0 <= s < L, the
 * signature is rejected."  libgcrypt 1.10 reduces S mod L instead, so
 * S + L (+ 2L ...) would verify too: one signature, many encodings.
 * S is public, so a plain comparison is fine.  1 when s < L.
 */
static int scalar_canonical(const uint8_t s[32])
{
	int i;

	for (i = 31; i >= 0; i--) {
		if (s[i] != group_order[i])
			return s[i] < group_order[i];
	}
	return 0;			/* s == L */
}

/*
 * The canonical encodings of the eight points of order dividing 8
 * (RFC 8032 5.1.3 decodings; the same list libsodium refuses).  No honest key
 * or R is one of them: A = [s]B and R = [r]B lie in the prime-order subgroup.
 * With a small-order A, or R, a "signature" can hold for many messages or
 * keys at once, so both are refused: stricter than RFC 8032 asks (and, as
 * far as we know, than OpenSSL and Go, which check only S and canonical
 * encodings), as libsodium is, and harmless for every signature a real
 * signer makes.
 */
static const uint8_t small_order[8][32] = {
	{ 0x01 },					/* y = 1, the neutral point */
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
							/* y = p - 1, order 2 */
	{ 0x00 },					/* y = 0, order 4 */
	{ [31] = 0x80 },				/* y = 0, x negated */
	/* the four points of order 8, each with x and -x */
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
	  0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
	  0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
	  0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
	  0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa },
};

/* 1 when enc is the encoding of a point of small order */
static int is_small_order(const uint8_t enc[32])
{
	size_t i;

	for (i = 0; i < sizeof(small_order) / sizeof(small_order[0]); i++)
		if (memcmp(enc, small_order[i], 32) == 0)
			return 1;
	return 0;
}

/*
 * RFC 8032 5.1.3 step 1: y (the encoding without its top bit) must be below
 * p = 2^255 - 19.  1 when canonical.
 */
static int y_canonical(const uint8_t enc[32])
{
	int i;

	if ((enc[31] & 0x7f) != 0x7f)
		return 1;
	for (i = 30; i >= 1; i--)
		if (enc[i] != 0xff)
			return 1;
	return enc[0] < 0xed;
}

int ed25519_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t sig[64])
{
	gcry_sexp_t pk = NULL, data = NULL, sv = NULL;
	gcry_error_t e;
	int rc;

	rc = gcry_rc(gcry_sexp_build(&pk, NULL,
				     "(public-key (ecc (curve Ed25519) (flags eddsa) (q %b)))",
				     32, pub));
	if (rc == 0 && (!point_usable(pub) || is_small_order(pub)))
		rc = -EINVAL;
	/* RFC 8032 5.1.7 step 1: R must decode (canonically) and S be below L */
	if (rc == 0 && (!y_canonical(sig) || is_small_order(sig) || !scalar_canonical(sig + 32)))
		rc = -EBADMSG;
	if (rc == 0)
		rc = data_sexp(msg, len, &data);
	if (rc == 0)
		rc = gcry_rc(gcry_sexp_build(&sv, NULL, "(sig-val (eddsa (r %b) (s %b)))",
					     32, sig, 32, sig + 32));
	if (rc == 0) {
		e = gcry_pk_verify(sv, data, pk);
		if (!e)
			rc = 0;
		else if (gcry_err_code(e) == GPG_ERR_BROKEN_PUBKEY)
			rc = -EINVAL;
		else if (gcry_err_code(e) == GPG_ERR_ENOMEM)
			rc = -ENOMEM;
		else
			rc = -EBADMSG;	/* whatever else fails is the signature's fault */
	}
	gcry_sexp_release(sv);
	gcry_sexp_release(data);
	gcry_sexp_release(pk);
	return rc;
}

/*
 * RFC 7468 textual encoding of der under label, 64 characters a line.  With
 * secret set, *out is in secure memory (free with gcry_free), else malloc.
 */
static int pem_encode(const char *label, const uint8_t *der, size_t len, int secret,
		      char **out, size_t *outlen)
{
	static const char begin[] = "-----BEGIN ", end[] = "-----END ", dashes[] = "-----\n";
	size_t lab = strlen(label), b64len, n, i, off = 0;
	char *b64, *buf;

	b64 = b64_encode(der, len, B64_STD);
	if (!b64)
		return -ENOMEM;
	b64len = strlen(b64);
	n = 2 * (sizeof(begin) - 1 + lab + sizeof(dashes) - 1) + b64len + b64len / 64 + 2;
	buf = secret ? gcry_malloc_secure(n) : malloc(n);
	if (!buf) {
		explicit_bzero(b64, b64len);
		free(b64);
		return -ENOMEM;
	}
#define PUT(s, l) do { memcpy(buf + off, (s), (l)); off += (l); } while (0)
	PUT(begin, sizeof(begin) - 1);
	PUT(label, lab);
	PUT(dashes, sizeof(dashes) - 1);
	for (i = 0; i < b64len; i += 64) {
		size_t l = b64len - i < 64 ? b64len - i : 64;

		PUT(b64 + i, l);
		PUT("\n", 1);
	}
	PUT(end, sizeof(end) - 1);
	PUT(label, lab);
	PUT(dashes, sizeof(dashes) - 1);
#undef PUT
	buf[off] = '\0';
	explicit_bzero(b64, b64len);
	free(b64);
	*out = buf;
	*outlen = off;
	return 0;
}

/* Does p[0..len) start with the n bytes of s?  Advances *off past them if so. */
static int eat(const char *p, size_t len, size_t *off, const char *s, size_t n)
{
	if (len - *off < n || memcmp(p + *off, s, n) != 0)
		return 0;
	*off += n;
	return 1;
}

/* Skip an end of line ("\n" or "\r\n"); 0 if there is none at *off. */
static int eat_eol(const char *p, size_t len, size_t *off)
{
	return eat(p, len, off, "\n", 1) || eat(p, len, off, "\r\n", 2);
}

/*
 * Decode the PEM block labelled label that is all of p[0..len) (trailing
 * whitespace aside) into exactly want bytes of der.  Hand-written because
 * libgcrypt has no PEM reader; it takes RFC 7468's strict form only.
 * Intermediate copies are wiped: der may be a private key.  0 or -EINVAL.
 */
static int pem_decode(const char *p, size_t len, const char *label, uint8_t *der, size_t want)
{
	char b64[PEM_B64_MAX];
	size_t off = 0, n = 0, lab = strlen(label);
	int rc = -EINVAL;

	if (!eat(p, len, &off, "-----BEGIN ", 11) || !eat(p, len, &off, label, lab) ||
	    !eat(p, len, &off, "-----", 5) || !eat_eol(p, len, &off))
		return -EINVAL;
	while (off < len && p[off] != '-') {
		size_t line = 0;

		while (off < len && p[off] != '\n' && p[off] != '\r') {
			if (n == sizeof(b64) || ++line > 64)
				goto out;
			b64[n++] = p[off++];
		}
		if (line == 0 || !eat_eol(p, len, &off))
			goto out;
	}
	if (!eat(p, len, &off, "-----END ", 9) || !eat(p, len, &off, label, lab) ||
	    !eat(p, len, &off, "-----", 5))
		goto out;
	for (; off < len; off++)
		if (p[off] != '\n' && p[off] != '\r' && p[off] != ' ' && p[off] != '\t')
			goto out;
	/* straight into der: b64_decode would leave a heap copy we cannot wipe on error */
	rc = b64_decode_exact(b64, n, B64_STD, der, want) < 0 ? -EINVAL : 0;
out:
	explicit_bzero(b64, sizeof(b64));
	return rc;
}

int key_save(const struct sz_key *k, const char *path)
{
	uint8_t *der;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	der = gcry_malloc_secure(PKCS8_LEN);
	if (!der)
		return -ENOMEM;
	memcpy(der, pkcs8_prefix, sizeof(pkcs8_prefix));
	memcpy(der + sizeof(pkcs8_prefix), k->seed, 32);
	rc = pem_encode("PRIVATE KEY", der, PKCS8_LEN, 1, &pem, &len);
	explicit_bzero(der, PKCS8_LEN);
	gcry_free(der);
	if (rc < 0)
		return rc;
	rc = xwrite_file_excl(path, pem, len, 0600);
	explicit_bzero(pem, len);
	gcry_free(pem);
	return rc;
}

int key_load(const char *path, struct sz_key **out)
{
	struct stat st;
	uint8_t *der = NULL;
	char *text = NULL;
	size_t got = 0;
	int fd = -1, rc;

	/*
	 * The checks of xcheck_secret, made on the descriptor we read rather
	 * than on the path, so nothing can be swapped in between.  O_NONBLOCK
	 * keeps a FIFO planted at path from hanging us; S_ISREG then refuses it.
	 */
	rc = xopen(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0, &fd);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if (st.st_uid != geteuid() || (st.st_mode & 077))
		rc = -EPERM;
	else if (st.st_size > KEY_FILE_MAX)
		rc = -EINVAL;
	if (rc == 0) {
		text = gcry_malloc_secure(KEY_FILE_MAX + 1);
		der = gcry_malloc_secure(PKCS8_LEN);
		if (!text || !der)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = xread_full(fd, text, KEY_FILE_MAX + 1, &got);
	if (rc == 0 && got > KEY_FILE_MAX)
		rc = -EINVAL;
	if (rc == 0)
		rc = pem_decode(text, got, "PRIVATE KEY", der, PKCS8_LEN);
	if (rc == 0 && memcmp(der, pkcs8_prefix, sizeof(pkcs8_prefix)) != 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = key_from_seed(der + sizeof(pkcs8_prefix), out);
	if (text) {
		explicit_bzero(text, KEY_FILE_MAX + 1);
		gcry_free(text);
	}
	if (der) {
		explicit_bzero(der, PKCS8_LEN);
		gcry_free(der);
	}
	xclose(fd);
	return rc;
}

char *ed25519_public_pem(const uint8_t pub[32])
{
	uint8_t der[SPKI_LEN];
	char *pem = NULL;
	size_t len;

	memcpy(der, spki_prefix, sizeof(spki_prefix));
	memcpy(der + sizeof(spki_prefix), pub, 32);
	if (pem_encode("PUBLIC KEY", der, sizeof(der), 0, &pem, &len) < 0)
		return NULL;
	return pem;
}

int ed25519_public_from_pem(const char *pem, size_t len, uint8_t pub[32])
{
	uint8_t der[SPKI_LEN];
	int rc;

	rc = pem_decode(pem, len, "PUBLIC KEY", der, sizeof(der));
	if (rc == 0 && memcmp(der, spki_prefix, sizeof(spki_prefix)) != 0)
		rc = -EINVAL;
	if (rc == 0)
		memcpy(pub, der + sizeof(spki_prefix), 32);
	return rc;
}
