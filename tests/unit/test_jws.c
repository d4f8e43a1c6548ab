/*
 * JWS compact / EdDSA: the RFC 8037 Appendix A vectors reproduced byte for
 * byte, our header and canonical payload, JWKS selection, and a hostile
 * twin for every positive case.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/b64.h"
#include "audit/jwk.h"
#include "audit/jws.h"
#include "audit/keys.h"
#include "tests/unit/tap.h"

/* RFC 8037 A.1 */
static const char rfc_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char rfc_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/* RFC 8037 A.3 */
static const char rfc_kid[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/* RFC 8037 A.4 */
static const char rfc_jws[] =
	"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
	"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* The RFC's private key as an RFC 8410 PKCS#8 file, the form key_load reads. */
static struct sz_key *rfc_key(void)
{
	static const uint8_t prefix[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b,
					    0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
	char path[] = "/tmp/sz-test-jws.XXXXXX", pem[256], *b;
	uint8_t der[48];
	struct sz_key *k = NULL;
	int fd;

	memcpy(der, prefix, 16);
	if (b64_decode_exact(rfc_d, strlen(rfc_d), B64_URL, der + 16, 32) < 0)
		return NULL;
	b = b64_encode(der, sizeof(der), B64_STD);
	snprintf(pem, sizeof(pem), "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", b);
	free(b);
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	fchmod(fd, 0600);
	if (write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem))
		key_load(path, &k);
	close(fd);
	unlink(path);
	return k;
}

static int parse(const char *s, struct jws **j)
{
	char err[256];

	return jws_parse(s, strlen(s), j, err, sizeof(err));
}

/* Parse then verify against a JWKS: the whole verifier path. */
static int verify(const char *s, const json_t *jwks)
{
	struct jws *j = NULL;
	char err[256];
	int rc = parse(s, &j);

	if (rc == 0)
		rc = jws_verify_jwks(j, jwks, err, sizeof(err));
	jws_free(j);
	return rc;
}

/* a JWS with the given header JSON, payload and a zero signature */
static char *forge(const char *header, const char *payload)
{
	uint8_t sig[64] = { 0 };
	char *h = b64_encode(header, strlen(header), B64_URL), *p = b64_encode(payload, strlen(payload), B64_URL);
	char *s = b64_encode(sig, 64, B64_URL), *out;
	size_t n = strlen(h) + strlen(p) + strlen(s) + 3;

	out = malloc(n);
	snprintf(out, n, "%s.%s.%s", h, p, s);
	free(h);
	free(p);
	free(s);
	return out;
}

static void test_rfc8037(void)
{
	struct sz_key *k = rfc_key(), *other = NULL;
	uint8_t pub[32], x[32];
	char kid[44], *out = NULL;
	struct jws *j = NULL;

	CHECK(k != NULL, "RFC 8037 A.1 private key loads as PKCS#8");
	if (!k)
		return;
	key_public(k, pub);
	b64_decode_exact(rfc_x, strlen(rfc_x), B64_URL, x, 32);
	CHECK(memcmp(pub, x, 32) == 0, "RFC 8037 A.2: its public key is x");
	jwk_kid(pub, kid);
	CHECK_STR(kid, rfc_kid, "RFC 8037 A.3: the RFC 7638 thumbprint");

	CHECK_EQ_INT(jws_sign_raw(k, "{\"alg\":\"EdDSA\"}", 15, "Example of Ed25519 signing", 26, &out), 0,
		     "RFC 8037 A.4: sign");
	CHECK_STR(out, rfc_jws, "RFC 8037 A.4: the compact JWS byte for byte");
	free(out);

	CHECK_EQ_INT(parse(rfc_jws, &j), 0, "RFC 8037 A.5: the vector parses");
	CHECK_EQ_INT(jws_verify_key(j, pub), 0, "RFC 8037 A.5: and verifies");
	CHECK(j->payload_len == 26 && !memcmp(j->payload, "Example of Ed25519 signing", 26), "payload decoded");
	CHECK_STR(j->kid, "", "no kid in the vector's header");
	{
		json_t *set = jwk_set(pub);
		char err[256];
		CHECK_EQ_INT(jws_verify_jwks(j, set, err, sizeof(err)), -ENOKEY,
			     "a JWS without kid does not pick a key from a JWKS");
		json_decref(set);
	}
	key_generate(&other);
	{
		uint8_t opub[32];
		key_public(other, opub);
		CHECK_EQ_INT(jws_verify_key(j, opub), -EBADMSG, "another key: rejected");
	}
	jws_free(j);

	/* negative twins of the vector */
	{
		char *t = strdup(rfc_jws), *p = strchr(t, '.') + 1;
		p[0] = p[0] == 'R' ? 'S' : 'R';		/* "Example" -> another first byte */
		int ok;
		j = NULL;
		ok = parse(t, &j) == 0 && jws_verify_key(j, pub) == -EBADMSG;
		CHECK(ok, "changed payload: rejected");
		jws_free(j);
		free(t);
	}
	{
		char *t = strdup(rfc_jws), *s = strrchr(t, '.') + 10;
		*s = *s == 'A' ? 'B' : 'A';
		int ok;
		j = NULL;
		ok = parse(t, &j) == 0 && jws_verify_key(j, pub) == -EBADMSG;
		CHECK(ok, "changed signature: rejected");
		jws_free(j);
		free(t);
	}
	{
		/* RFC 8032 5.1.7: S + L is the same scalar mod L, and still refused */
		static const uint8_t l[32] = {
			0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
			[31] = 0x10,
		};
		uint8_t sig[64];
		unsigned c = 0;
		char *b, *t = NULL;
		int ok;

		j = NULL;
		ok = parse(rfc_jws, &j) == 0;
		if (ok) {
			memcpy(sig, j->sig, 64);
			for (int i = 0; i < 32; i++) {
				c += (unsigned)sig[32 + i] + l[i];
				sig[32 + i] = (uint8_t)c;
				c >>= 8;
			}
			b = b64_encode(sig, 64, B64_URL);
			if (b && asprintf(&t, "%s.%s", j->signing_input, b) < 0)
				t = NULL;
			free(b);
			jws_free(j);
			j = NULL;
			ok = t && parse(t, &j) == 0 && jws_verify_key(j, pub) == -EBADMSG;
		}
		CHECK(ok, "S + L: rejected (RFC 8032 5.1.7)");
		jws_free(j);
		free(t);
	}
	key_free(other);
	key_free(k);
}

static void test_ours(void)
{
	struct sz_key *k = NULL, *other = NULL;
	uint8_t pub[32], opub[32];
	char kid[44], want[256], *out = NULL, *out2 = NULL, err[256];
	json_t *payload = json_pack("{s:i, s:s, s:{s:s}}", "b", 1, "a", "x", "z", "k", "\xc3\xa9");
	json_t *set, *oset, *mixed;
	struct jws *j = NULL;

	key_generate(&k);
	key_generate(&other);
	key_public(k, pub);
	key_public(other, opub);
	jwk_kid(pub, kid);
	set = jwk_set(pub);
	oset = jwk_set(opub);

	CHECK_EQ_INT(jws_sign_json(k, payload, &out), 0, "sign a JSON payload");
	CHECK_EQ_INT(parse(out, &j), 0, "our JWS parses");
	snprintf(want, sizeof(want), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"%s\"}", kid, JWS_TYP);
	CHECK_STR(j ? j->header : NULL, want, "header: alg, kid (RFC 7638), typ, canonical");
	CHECK_STR(j ? (char *)j->payload : NULL, "{\"a\":\"x\",\"b\":1,\"z\":{\"k\":\"\xc3\xa9\"}}",
		  "payload: RFC 8785 canonical bytes");
	CHECK_STR(j ? j->kid : NULL, kid, "kid read back");
	jws_free(j);
	j = NULL;
	CHECK_EQ_INT(jws_sign_json(k, payload, &out2), 0, "sign again");
	CHECK_STR(out2, out, "EdDSA is deterministic: the same certificate, the same bytes");
	free(out2);

	CHECK_EQ_INT(verify(out, set), 0, "verifies against the JWKS");
	CHECK_EQ_INT(verify(out, oset), -ENOKEY, "another key's JWKS: no such kid");
	/* the right kid but another key's x: a substituted JWKS */
	mixed = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "keys", "kty", "OKP", "crv", "Ed25519", "kid", kid, "x",
			  json_string_value(json_object_get(json_array_get(json_object_get(oset, "keys"), 0), "x")));
	CHECK_EQ_INT(verify(out, mixed), -EBADMSG, "right kid, another key: bad signature");
	json_decref(mixed);
	mixed = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA", "crv", "Ed25519", "kid", kid, "x", "AA");
	CHECK_EQ_INT(verify(out, mixed), -EINVAL, "a JWK that is not OKP: refused");
	json_decref(mixed);
	mixed = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "keys", "kty", "OKP", "crv", "Ed25519", "kid", kid, "x", "AAAA");
	CHECK_EQ_INT(verify(out, mixed), -EINVAL, "x of the wrong length: refused");
	json_decref(mixed);
	mixed = json_pack("{s:{}}", "keys");
	CHECK_EQ_INT(verify(out, mixed), -EINVAL, "keys not an array: refused");
	json_decref(mixed);

	/* wrong kid: a header naming a key the set does not hold */
	{
		char *f = forge("{\"alg\":\"EdDSA\",\"kid\":\"nope\"}", "{}");
		CHECK_EQ_INT(verify(f, set), -ENOKEY, "wrong kid: rejected");
		free(f);
	}
	/* changed payload under our header and signature */
	{
		char *t = strdup(out), *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
		char *p = b64_encode("{\"a\":\"y\",\"b\":1}", 15, B64_URL), *u;
		size_t n = strlen(t) + strlen(p) + 2;
		u = malloc(n);
		*d1 = 0;
		snprintf(u, n, "%s.%s%s", t, p, d2);
		CHECK_EQ_INT(verify(u, set), -EBADMSG, "changed payload: rejected");
		free(p);
		free(u);
		free(t);
	}
	json_decref(set);
	json_decref(oset);
	free(out);
	json_decref(payload);

	payload = json_pack("{s:f}", "x", 1.5);
	CHECK_EQ_INT(jws_sign_json(k, payload, &out), -EINVAL, "a real number is not canonical: refused");
	json_decref(payload);
	payload = json_pack("[i]", 1);
	CHECK_EQ_INT(jws_sign_json(k, payload, &out), -EINVAL, "a payload that is not an object: refused");
	json_decref(payload);
	(void)err;
	key_free(k);
	key_free(other);
}

static void test_hostile(void)
{
	struct jws *j = (struct jws *)1;
	char *f, err[256];
	size_t n;

	f = forge("{\"alg\":\"none\"}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "alg none: refused");
	CHECK(j == NULL, "nothing returned on error");
	free(f);
	f = forge("{\"alg\":\"HS256\",\"kid\":\"x\"}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "alg HS256: refused");
	free(f);
	f = forge("{\"alg\":\"eddsa\"}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "alg compared exactly (case)");
	free(f);
	f = forge("{\"kid\":\"x\"}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "no alg: refused");
	free(f);
	f = forge("{\"alg\":\"EdDSA\",\"alg\":\"none\"}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "duplicate header members: refused");
	free(f);
	f = forge("{\"alg\":\"EdDSA\",\"crit\":[\"b64\"],\"b64\":false}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "crit extensions: refused");
	free(f);
	f = forge("[\"EdDSA\"]", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "header not an object: refused");
	free(f);
	f = forge("{\"alg\":\"EdDSA\",\"kid\":7}", "{}");
	CHECK_EQ_INT(parse(f, &j), -EINVAL, "kid not a string: refused");
	free(f);

	{
		/* padding: "eyJhbGciOiJFZERTQSJ9" is 20 chars, so pad a 2-char-short part */
		char t[512];
		snprintf(t, sizeof(t), "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZQ==.%s", strrchr(rfc_jws, '.') + 1);
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "base64 padding: refused");
		snprintf(t, sizeof(t), "%s.AAAA", rfc_jws);
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "four parts: refused");
		snprintf(t, sizeof(t), "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "two parts: refused");
		snprintf(t, sizeof(t), "eyJhbGciOiJFZERTQSJ9..%s", strrchr(rfc_jws, '.') + 1);
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "empty payload part: refused");
		snprintf(t, sizeof(t), "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.AAAA");
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "short signature: refused");
		snprintf(t, sizeof(t), "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc+%s",
			 strrchr(rfc_jws, '.'));
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "standard base64 alphabet: refused");
		snprintf(t, sizeof(t), " %s", rfc_jws);
		CHECK_EQ_INT(parse(t, &j), -EINVAL, "whitespace: refused");
		CHECK_EQ_INT(jws_parse(rfc_jws, strlen(rfc_jws) - 1, &j, err, sizeof(err)), -EINVAL,
			     "truncated: refused");
		memcpy(t, rfc_jws, strlen(rfc_jws) + 1);
		t[5] = 0;
		CHECK_EQ_INT(jws_parse(t, strlen(rfc_jws), &j, err, sizeof(err)), -EINVAL, "a NUL byte: refused");
	}
	n = JWS_MAX + 1;
	f = malloc(n);
	memset(f, 'A', n);
	f[100] = '.';
	f[200] = '.';
	CHECK_EQ_INT(jws_parse(f, n, &j, err, sizeof(err)), -E2BIG, "oversized: refused before decoding");
	CHECK(strstr(err, "larger than") != NULL, "with a message: %s", err);
	free(f);
	jws_free(NULL);
}

int main(void)
{
	if (crypto_init() < 0)
		return 1;
	test_rfc8037();
	test_ours();
	test_hostile();
	return tap_done();
}
