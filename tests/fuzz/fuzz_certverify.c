/*
 * fuzz_certverify — certificate verification as `sanitizerd cert verify`
 * runs it (cert_verify_offline: JWS, JWKS or /v1/keys document, proof,
 * checkpoint, verifier key, all from files).  POST /v1/verify (cert_verify
 * against a ledger holding real certificates) is driven by fuzz_routes;
 * the JWS and JWKS parsers under both by fuzz_jws.
 * Input: up to five parts separated by NUL bytes: JWS, JWKS text, proof,
 * checkpoint, verifier key.  An empty JWKS part means the fixed key's JWKS;
 * an empty proof, checkpoint or verifier means none.
 * Properties: results are 0, -EBADMSG or -EINVAL with a reason, never a
 * crash; with the fixed JWKS, a certificate that verifies offline verifies
 * against the key alone (jws_verify_key).
 */
#include "tests/fuzz/fuzz_cert.h"

static struct fuzz_cert fc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
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
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[5];
	size_t len[5];
	char *buf = fuzz_split(data, size, 5, part, len), why[512] = "";
	json_t *jwks = NULL;
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

out:
	json_decref(jwks);
	free(buf);
	return 0;
}
