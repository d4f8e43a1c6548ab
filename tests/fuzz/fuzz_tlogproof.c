/*
 * fuzz_tlogproof — the proof parsers of offline certificate verification
 * (audit/cert_proof.c: the c2sp.org/tlog-proof@v1 text and the JSON of
 * GET /v1/certificates/{id}), reached through cert_verify_offline with a
 * certificate whose signature verifies, so every input gets past the JWS to
 * the proof.
 * Input: the proof file.  Seeds: the valid proof in both forms.
 * Properties: the result is 0, -EBADMSG or -EINVAL with a reason; a proof
 * that verifies yields "valid: …" naming the ledger; the fixed checkpoint
 * passed beside the proof (as --checkpoint) gives the same verdict whenever
 * the proof verifies.
 */
#include "tests/fuzz/fuzz_cert.h"

static struct fuzz_cert fc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_cert_make(&fc);
	fuzz_cert_selftest(&fc);
	if (!getenv("SZ_FUZZ_SEEDS"))
		return 0;
	fuzz_seed_str("proof-text", fc.proof_text);
	fuzz_seed_str("proof-json", fc.proof_json);
	{
		/* the ledger block saved on its own, and a text proof without the extra line */
		json_t *doc = json_loads(fc.proof_json, 0, NULL);
		char *s = json_dumps(json_object_get(doc, "ledger"), JSON_INDENT(2));
		fuzz_seed_str("proof-json-ledger", s);
		free(s);
		json_decref(doc);
	}
	fuzz_seed_str("proof-text-noextra", "c2sp.org/tlog-proof@v1\nindex 3\n\n");
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *proof = fuzz_str(data, size), why[512] = "";
	struct cert_offline in = { .jws = fc.jws, .jws_len = strlen(fc.jws), .jwks = fc.jwks,
				   .vkey = fc.vkey, .proof = proof, .proof_len = size };
	int rc;

	rc = cert_verify_offline(&in, why, sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ENOMEM);
	FUZZ_CHECK(why[0] != '\0');
	if (rc == 0) {
		FUZZ_CHECK(strncmp(why, "valid: ", 7) == 0 && strstr(why, "is in the ledger"));
		in.checkpoint = fc.checkpoint;
		in.checkpoint_len = strlen(fc.checkpoint);
		FUZZ_CHECK(cert_verify_offline(&in, why, sizeof(why)) == 0);
	}
	free(proof);
	return 0;
}
