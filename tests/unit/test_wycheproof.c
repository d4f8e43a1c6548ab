/*
 * Project Wycheproof's Ed25519 verification vectors (tests/vectors/README)
 * through ed25519_verify, the one Ed25519 check every caller uses (JWS,
 * signed notes and checkpoints, cert verify, POST /v1/verify).
 *
 * "valid" must verify, "invalid" must be refused.  "acceptable" (none in
 * this file today) would be refused too: we follow RFC 8032 5.1.7 strictly,
 * as OpenSSL and Go do.  A signature that is not 64 bytes never reaches
 * ed25519_verify (its type is a 64-byte array): jws_parse and note_verify
 * refuse the length first, so such a case counts as refused here, and the
 * test asserts that the file marks it invalid.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "audit/keys.h"
#include "tests/unit/tap.h"

#define VECTORS "tests/vectors/wycheproof_ed25519_test.json"

/* hex to bytes; a new buffer (never NULL on success), or NULL on bad hex */
static uint8_t *unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *out;

	if (n % 2)
		return NULL;
	out = malloc(n / 2 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return out;
}

static const char *str_of(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

/* 1 when the case's flags include flag */
static int has_flag(const json_t *t, const char *flag)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(t, "flags"), i, f)
		if (strcmp(json_string_value(f) ? json_string_value(f) : "", flag) == 0)
			return 1;
	return 0;
}

int main(void)
{
	json_error_t jerr;
	json_t *root, *groups, *g, *tests, *t;
	size_t gi, ti, total = 0, nvalid = 0, ninvalid = 0, nlen = 0, nmall = 0;
	long long want_total;

	CHECK_EQ_INT(crypto_init(), 0, "crypto_init");
	root = json_load_file(VECTORS, 0, &jerr);
	CHECK(root != NULL, "%s parses (%s)", VECTORS, root ? "ok" : jerr.text);
	if (!root)
		return tap_done();
	CHECK_STR(json_string_value(json_object_get(root, "algorithm")), "EDDSA", "algorithm is EDDSA");
	want_total = json_integer_value(json_object_get(root, "numberOfTests"));
	groups = json_object_get(root, "testGroups");
	json_array_foreach(groups, gi, g) {
		const json_t *pk = json_object_get(g, "publicKey");
		uint8_t *pub, *msg, *sig;
		size_t publen = 0, msglen = 0, siglen = 0;

		CHECK_STR(str_of(pk, "curve"), "edwards25519", "group %zu: curve edwards25519", gi);
		pub = unhex(str_of(pk, "pk"), &publen);
		CHECK(pub && publen == 32, "group %zu: a 32-byte public key", gi);
		if (!pub || publen != 32) {
			free(pub);
			continue;
		}
		tests = json_object_get(g, "tests");
		json_array_foreach(tests, ti, t) {
			const char *result = str_of(t, "result");
			long long id = json_integer_value(json_object_get(t, "tcId"));
			int rc;

			total++;
			msg = unhex(str_of(t, "msg"), &msglen);
			sig = unhex(str_of(t, "sig"), &siglen);
			if (!msg || !sig) {
				CHECK(0, "tcId %lld: hex decodes", id);
				free(msg);
				free(sig);
				continue;
			}
			if (siglen != 64) {
				rc = -EBADMSG;	/* refused by length in jws.c and note.c */
				nlen++;
			} else {
				rc = ed25519_verify(pub, msg, msglen, sig);
			}
			if (has_flag(t, "SignatureMalleability"))
				nmall++;
			if (strcmp(result, "valid") == 0) {
				nvalid++;
				CHECK_EQ_INT(rc, 0, "tcId %lld valid: verifies (%s)", id,
					     str_of(t, "comment"));
			} else {
				/* "invalid", and "acceptable" by our strict reading */
				ninvalid++;
				CHECK(rc == -EBADMSG || rc == -EINVAL,
				      "tcId %lld %s: refused (%s)", id, result, str_of(t, "comment"));
				if (rc == 0)
					printf("#   tcId %lld was accepted\n", id);
			}
			free(msg);
			free(sig);
		}
		free(pub);
	}
	CHECK_EQ_INT(total, want_total, "every one of the %lld cases ran", want_total);
	CHECK(nvalid > 0 && ninvalid > 0, "both kinds present: %zu valid, %zu invalid", nvalid, ninvalid);
	CHECK(nmall >= 8, "the S >= L malleability cases are among them (%zu)", nmall);
	printf("# %zu cases refused by length before ed25519_verify\n", nlen);
	json_decref(root);
	return tap_done();
}
