/*
 * fuzz_certverify — certificate verification as `sanitizerd cert verify`
 * runs it (cert_verify_offline: JWS, JWKS or /v1/keys document, proof,
 * checkpoint, verifier key, all from files) and as POST /v1/verify runs it
 * (cert_verify against a ledger).
 * Input: up to five parts separated by NUL bytes: JWS, JWKS text, proof,
 * checkpoint, verifier key.  An empty JWKS part means the fixed key's JWKS;
 * an empty proof, checkpoint or verifier means none.
 * Properties: results are 0, -EBADMSG or -EINVAL with a reason, never a
 * crash; with the fixed JWKS, a certificate that verifies offline verifies
 * against the key alone (jws_verify_key), and cert_verify reports it valid
 * (not in a ledger that holds no certificates); cert_verify's answer always
 * has valid, reason, kid, in_ledger, id and status.
 */
#include "audit/ledger.h"
#include "tests/fuzz/fuzz_cert.h"

static struct fuzz_cert fc;
static struct ledger *led;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[300], err[256];

	(void)argc; (void)argv;
	fuzz_cert_make(&fc);
	fuzz_cert_selftest(&fc);
	if (getenv("SZ_FUZZ_SEEDS")) {
		const char *text[] = { fc.jws, "", fc.proof_text, "", fc.vkey };
		const char *json[] = { fc.jws, fc.keys_text, fc.proof_json, fc.checkpoint, "" };
		const char *plain[] = { fc.jws, fc.jwks_text };
		const char *bare[] = { fc.jws };
		fuzz_seed_parts("text-proof", text, 5);
		fuzz_seed_parts("json-proof-keysdoc-checkpoint", json, 5);
		fuzz_seed_parts("jwks-only", plain, 2);
		fuzz_seed_parts("jws-only", bare, 1);
		exit(0);
	}
	snprintf(path, sizeof(path), "%s/ledger.db", fuzz_tmpdir());
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &led, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[5];
	size_t len[5];
	char *buf = fuzz_split(data, size, 5, part, len), why[512] = "";
	json_t *jwks = NULL, *res = NULL;
	struct cert_offline in = { 0 };
	int rc, own_jwks;

	own_jwks = !part[1] || len[1] == 0;
	if (!own_jwks) {
		jwks = json_loadb(part[1], len[1], JSON_REJECT_DUPLICATES, NULL);
		if (!jwks)
			goto out;
	}
	in.jws = part[0];
	in.jws_len = len[0];
	in.jwks = own_jwks ? fc.jwks : jwks;
	if (part[2] && len[2]) {
		in.proof = part[2];
		in.proof_len = len[2];
	}
	if (part[3] && len[3]) {
		in.checkpoint = part[3];
		in.checkpoint_len = len[3];
	}
	if (part[4] && len[4])
		in.vkey = part[4];
	rc = cert_verify_offline(&in, why, sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ENOMEM);
	FUZZ_CHECK(rc == -ENOMEM || why[0] != '\0');
	if (rc == 0 && own_jwks) {
		struct jws *j;
		char err[256];
		FUZZ_CHECK(jws_parse(in.jws, in.jws_len, &j, err, sizeof(err)) == 0);
		FUZZ_CHECK(jws_verify_key(j, fc.pub) == 0);
		jws_free(j);
	}

	/* POST /v1/verify: the JWS against the JWKS, looked up in the ledger */
	if (json_is_object(in.jwks)) {
		int rv = cert_verify(led, in.jwks, in.jws, in.jws_len, &res);
		FUZZ_CHECK(rv == 0 || rv == -ENOMEM);
		if (rv == 0) {
			FUZZ_CHECK(json_is_boolean(json_object_get(res, "valid")));
			FUZZ_CHECK(json_is_string(json_object_get(res, "reason")));
			FUZZ_CHECK(json_object_get(res, "kid") && json_object_get(res, "id") &&
				   json_object_get(res, "status"));
			FUZZ_CHECK(json_is_false(json_object_get(res, "in_ledger")));
			if (rc == 0 && own_jwks)
				FUZZ_CHECK(json_is_true(json_object_get(res, "valid")));
		}
	}
out:
	json_decref(res);
	json_decref(jwks);
	free(buf);
	return 0;
}
