/*
 * fuzz_cert.h — a certificate that verifies, for the harnesses of offline
 * certificate verification (fuzz_tlogproof, fuzz_certverify): a JWS signed
 * by the fixed key, its certificate_issued entry at index 3 of a four-leaf
 * tree, the checkpoint of that tree, and the proof in both forms
 * (c2sp.org/tlog-proof@v1 text, and the JSON of GET /v1/certificates/{id}).
 */
#ifndef SZ_FUZZ_CERT_H
#define SZ_FUZZ_CERT_H
#include <jansson.h>

#include "audit/cert.h"
#include "audit/jcs.h"
#include "audit/jwk.h"
#include "audit/jws.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "tests/fuzz/fuzz.h"

struct fuzz_cert {
	uint8_t pub[32];
	json_t *jwks, *keys_doc;
	char *vkey, *jws, *entry, *checkpoint, *proof_text, *proof_json, *jwks_text, *keys_text;
};

static inline void fuzz_cert_make(struct fuzz_cert *fc)
{
	struct sz_key *k = fuzz_key();
	uint8_t digest[32], leaf[4][32], n01[32], n23[32], root[32];
	char sha[65], *b;
	json_t *payload, *entry, *hashes, *doc;
	size_t len;

	key_public(k, fc->pub);
	fc->vkey = note_verifier(FUZZ_ORIGIN, fc->pub);
	fc->jwks = jwk_set(fc->pub);
	fc->keys_doc = jwk_keys_document(fc->vkey, fc->pub);
	payload = json_pack("{s:s, s:s, s:s}", "cert_id", "crt_AAAAAAAAAAAA", "asset_id", "abc",
			    "method", "clear-zero");
	if (!fc->vkey || !fc->jwks || !fc->keys_doc || !payload || jws_sign_json(k, payload, &fc->jws) < 0)
		abort();
	json_decref(payload);
	merkle_sha256(fc->jws, strlen(fc->jws), digest);
	hex_encode(digest, 32, sha);
	entry = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:i}}", "v", 1, "seq", 3,
			  "time", "2026-01-01T00:00:00.000Z", "subject", "asset:abc",
			  "type", "certificate_issued", "actor", "local", "data",
			  "cert_id", "crt_AAAAAAAAAAAA", "sha256", sha, "completed_seq", 2);
	if (!entry || jcs_dump(entry, 0, &fc->entry, &len) < 0)
		abort();
	json_decref(entry);
	/* RFC 9162 2.1.1: a tree of four leaves, the entry last */
	merkle_leaf_hash("a", 1, leaf[0]);
	merkle_leaf_hash("b", 1, leaf[1]);
	merkle_leaf_hash("c", 1, leaf[2]);
	merkle_leaf_hash(fc->entry, len, leaf[3]);
	merkle_node_hash(leaf[0], leaf[1], n01);
	merkle_node_hash(leaf[2], leaf[3], n23);
	merkle_node_hash(n01, n23, root);
	if (checkpoint_sign(k, FUZZ_ORIGIN, 4, root, &fc->checkpoint) < 0)
		abort();
	hashes = json_array();
	b = b64_encode(leaf[2], 32, B64_STD);
	json_array_append_new(hashes, json_string(b));
	free(b);
	b = b64_encode(n01, 32, B64_STD);
	json_array_append_new(hashes, json_string(b));
	free(b);
	if (cert_tlog_proof(fc->entry, 3, hashes, fc->checkpoint, &fc->proof_text) < 0)
		abort();
	doc = json_pack("{s:s, s:{s:i, s:s, s:{s:i, s:i, s:O}, s:s}}", "id", "crt_AAAAAAAAAAAA", "ledger",
			"seq", 3, "entry", fc->entry, "inclusion", "seq", 3, "tree_size", 4, "hashes", hashes,
			"checkpoint", fc->checkpoint);
	fc->proof_json = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	fc->jwks_text = json_dumps(fc->jwks, JSON_COMPACT);
	fc->keys_text = json_dumps(fc->keys_doc, JSON_COMPACT);
	if (!fc->proof_json || !fc->jwks_text || !fc->keys_text)
		abort();
	json_decref(doc);
	json_decref(hashes);
}

/* The verification must hold for the fixture itself, or the harness tests nothing. */
static inline void fuzz_cert_selftest(const struct fuzz_cert *fc)
{
	char why[512];
	struct cert_offline in = { .jws = fc->jws, .jws_len = strlen(fc->jws), .jwks = fc->jwks,
				   .vkey = fc->vkey, .proof = fc->proof_text,
				   .proof_len = strlen(fc->proof_text) };

	if (cert_verify_offline(&in, why, sizeof(why)) != 0) {
		fprintf(stderr, "fixture does not verify (text): %s\n", why);
		abort();
	}
	in.proof = fc->proof_json;
	in.proof_len = strlen(fc->proof_json);
	if (cert_verify_offline(&in, why, sizeof(why)) != 0) {
		fprintf(stderr, "fixture does not verify (json): %s\n", why);
		abort();
	}
}

#endif
