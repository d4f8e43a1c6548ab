/*
 * Certificates over a real ledger file: issuance rules (state, verification,
 * one per sanitization, request validation, nothing written on refusal), the
 * payload's NIST SP 800-88 Rev. 2 record fields, the certificate_issued entry and its proof
 * checked independently, status after shipping and destruction, online and
 * offline verification with hostile twins, the PDF.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/b64.h"
#include "audit/cert.h"
#include "audit/certpdf.h"
#include "audit/jwk.h"
#include "audit/jws.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "tests/unit/tap.h"

#define ORIGIN "test.example/cert"

static char dir[] = "/tmp/sz-test-cert.XXXXXX";
static struct sz_key *key;
static uint8_t pub[32];

static const struct cert_config cfg = { .org_name = "Acme Recycling", .org_address = "1 Main St",
					.org_phone = "+1 555 0100", .base_url = "https://wipe.example/",
					.tool_name = "sanitizerd", .tool_version = "0.1.0" };

static struct ledger *fresh(const char *name)
{
	char path[256], err[256];
	struct ledger *l = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &l, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		exit(1);
	}
	ledger_set_identity(l, ORIGIN, pub);
	ledger_set_signer(l, key, ORIGIN, 1, 0);
	return l;
}

static uint64_t size_of(struct ledger *l)
{
	uint64_t n = 0;

	ledger_size(l, &n);
	return n;
}

static int add(struct ledger *l, const char *asset, const char *type, const char *data)
{
	char subject[64];
	json_t *d = json_loads(data, 0, NULL);
	int rc;

	if (!d)
		return -999;
	snprintf(subject, sizeof(subject), "asset:%s", asset);
	rc = ledger_append(l, subject, type, "test", d, NULL, NULL, NULL);
	json_decref(d);
	return rc;
}

static const char completed_fmt[] =
	"{\"job_id\":\"j1\",\"method\":\"%s\",\"category\":\"%s\",\"technique\":\"Overwrite\","
	"\"verification\":{\"method\":\"full\",\"result\":\"%s\",\"bytes_read\":4096},\"passes\":1,"
	"\"bytes_written\":4096,\"duration_ms\":5,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},"
	"\"device\":{\"path\":\"/dev/loop7\",\"identity\":\"loop:/tmp/x\",\"model\":\"Disk\",\"serial\":\"SN-%s\","
	"\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T00:00:00.000Z\","
	"\"completed_at\":\"2026-01-01T00:00:05.000Z\"}";

/* enrolled, retired, sanitize_started, sanitize_completed with the given method, category, result */
static void sanitized(struct ledger *l, const char *asset, const char *media, const char *method,
		      const char *category, const char *result)
{
	char data[2048];

	snprintf(data, sizeof(data), "{\"serial\":\"SN-%s\",\"model\":\"WD Blue\",\"media_type\":\"%s\","
		 "\"capacity_bytes\":4096,\"tenant\":\"acme\",\"vendor\":\"WDC\",\"property_number\":\"P-1\","
		 "\"classification\":\"confidential\",\"data_backed_up\":true,\"asset_tag\":\"T\"}", asset, media);
	add(l, asset, "enrolled", data);
	add(l, asset, "retired", "{}");
	add(l, asset, "sanitize_started", "{\"method\":\"clear-zero\"}");
	snprintf(data, sizeof(data), completed_fmt, method, category, result, asset);
	add(l, asset, "sanitize_completed", data);
}

static int issue(struct ledger *l, const char *asset, const char *request, json_t **out, char *err, size_t errlen)
{
	json_t *req = request ? json_loads(request, JSON_ALLOW_NUL, NULL) : NULL;
	int rc;

	if (request && !req)
		return -999;
	rc = cert_issue(l, key, ORIGIN, &cfg, asset, req, "tech:ann", out, err, errlen);
	json_decref(req);
	return rc;
}

static json_t *payload_of(const char *jws)
{
	struct jws *j = NULL;
	json_t *p = NULL;

	if (jws && jws_parse(jws, strlen(jws), &j, NULL, 0) == 0)
		p = json_loadb((const char *)j->payload, j->payload_len, 0, NULL);
	jws_free(j);
	return p;
}

/* verify a JWS against a JWKS */
static int verify_jws(const char *jws, const json_t *set)
{
	struct jws *j = NULL;
	int rc = jws ? jws_parse(jws, strlen(jws), &j, NULL, 0) : -EINVAL;

	if (rc == 0)
		rc = jws_verify_jwks(j, set, NULL, 0);
	jws_free(j);
	return rc;
}

#define PATH(o, ...) json_path(o, (const char *[]){ __VA_ARGS__, NULL })
static json_t *json_path(json_t *o, const char **keys)
{
	for (; *keys && o; keys++)
		o = json_object_get(o, *keys);
	return o;
}
#define PSTR(o, ...) json_string_value(PATH(o, __VA_ARGS__))

static void test_issue(void)
{
	struct ledger *l = fresh("issue.db");
	char err[512] = "", *tenant = NULL, hex[65];
	json_t *out = NULL, *p, *cert = NULL, *set = jwk_set(pub), *e;
	const char *id, *jws;
	uint64_t before, completed_seq;
	uint8_t digest[32];

	sanitized(l, "d1", "hdd", "clear-zero", "clear", "passed");
	completed_seq = size_of(l) - 1;
	before = size_of(l);
	CHECK_EQ_INT(issue(l, "d1", "{\"performed_by\":{\"name\":\"Ann Tech\",\"title\":\"Technician\","
			   "\"organization\":\"Acme\",\"location\":\"DC1\",\"phone\":\"+1 555\"},"
			   "\"validated_by\":{\"name\":\"Bob Lead\"},\"destination\":\"Recycling Facility\","
			   "\"notes\":\"line one\\nline two\",\"post_sanitization_classification\":\"Unclassified\"}",
			   &out, err, sizeof(err)), 0, "issue for a sanitized asset with a passed verification (%s)", err);
	id = json_string_value(json_object_get(out, "id"));
	jws = json_string_value(json_object_get(out, "jws"));
	CHECK(id && strlen(id) == CERT_ID_LEN && !strncmp(id, "crt_", 4), "id crt_ + 12 characters: %s", id ? id : "");
	CHECK_EQ_INT(size_of(l), before + 1, "one certificate_issued entry written");
	CHECK_EQ_INT(verify_jws(jws, set), 0, "the JWS verifies against the service JWKS");

	p = payload_of(jws);
	CHECK(p != NULL, "the payload is JSON");
	CHECK_STR(PSTR(p, "cert_id"), id, "payload cert_id");
	CHECK_STR(PSTR(p, "asset_id"), "d1", "payload asset_id");
	CHECK(PSTR(p, "issued_at") && strlen(PSTR(p, "issued_at")) == 24, "payload issued_at RFC 3339 ms");
	CHECK_STR(PSTR(p, "organization", "name"), "Acme Recycling", "organisation from the configuration");
	CHECK_STR(PSTR(p, "performed_by", "name"), "Ann Tech", "person performing from the request");
	CHECK_STR(PSTR(p, "validated_by", "name"), "Bob Lead", "validation from the request");
	CHECK_STR(PSTR(p, "media", "make"), "WDC", "media make = enrolled vendor");
	CHECK_STR(PSTR(p, "media", "serial"), "SN-d1", "media serial");
	CHECK_STR(PSTR(p, "media", "property_number"), "P-1", "media property number");
	CHECK_STR(PSTR(p, "media", "tenant"), "acme", "media source/tenant");
	CHECK_STR(PSTR(p, "media", "classification"), "confidential", "media classification");
	CHECK(json_is_true(PATH(p, "media", "data_backed_up")), "data backed up");
	CHECK(!PATH(p, "media", "asset_tag"), "custom enrolment fields stay out of the certificate");
	CHECK_STR(PSTR(p, "sanitization", "method_type"), "Clear", "method type from the NIST table");
	CHECK_STR(PSTR(p, "sanitization", "method_used"), "Overwrite", "method used");
	CHECK_STR(PSTR(p, "sanitization", "method"), "clear-zero", "method name");
	CHECK(PSTR(p, "sanitization", "nist_reference") && strstr(PSTR(p, "sanitization", "nist_reference"), "A-5"),
	      "the NIST clause");
	CHECK_STR(PSTR(p, "sanitization", "tool", "version"), "0.1.0", "tool and version");
	CHECK_STR(PSTR(p, "sanitization", "verification", "method"), "full", "verification method");
	CHECK_STR(PSTR(p, "sanitization", "verification", "result"), "passed", "verification result");
	CHECK_STR(PSTR(p, "sanitization", "post_sanitization_classification"), "Unclassified",
		  "post-sanitization classification");
	CHECK_STR(PSTR(p, "sanitization", "notes"), "line one\nline two", "notes");
	CHECK_STR(PSTR(p, "destination"), "Recycling Facility", "media destination");
	CHECK_STR(PSTR(p, "ledger", "origin"), ORIGIN, "ledger origin");
	CHECK_EQ_INT(json_integer_value(PATH(p, "ledger", "seq")), completed_seq, "ledger seq = sanitize_completed");
	json_decref(p);

	CHECK_EQ_INT(cert_get(l, id, &cert, &tenant), 0, "cert_get");
	CHECK_STR(tenant, "acme", "the asset's tenant for scoping");
	CHECK_STR(PSTR(cert, "jws"), jws, "the stored JWS");
	CHECK_STR(PSTR(cert, "status", "state"), "issued", "status issued");
	CHECK_STR(PSTR(cert, "status", "asset_state"), "certified", "the asset is certified");
	merkle_sha256(jws, strlen(jws), digest);
	hex_encode(digest, 32, hex);
	CHECK_STR(PSTR(cert, "sha256"), hex, "sha256 of the JWS");
	e = json_loads(PSTR(cert, "ledger", "entry"), 0, NULL);
	CHECK_STR(PSTR(e, "type"), "certificate_issued", "the entry is certificate_issued");
	CHECK_STR(PSTR(e, "data", "sha256"), hex, "the entry holds the JWS's SHA-256");
	CHECK_STR(PSTR(e, "data", "cert_id"), id, "and the certificate id");
	CHECK_EQ_INT(json_integer_value(PATH(e, "data", "completed_seq")), completed_seq, "and the completed seq");
	CHECK_STR(PSTR(e, "time"), PSTR(cert, "payload", "issued_at"), "entry time = issued_at");
	CHECK_STR(PSTR(e, "actor"), "tech:ann", "the actor recorded");
	json_decref(e);
	{
		/* the inclusion proof, checked against the signed checkpoint by merkle_verify */
		json_t *incl = PATH(cert, "ledger", "inclusion"), *hs = json_object_get(incl, "hashes");
		const char *note = PSTR(cert, "ledger", "checkpoint"), *entry = PSTR(cert, "ledger", "entry");
		uint8_t hashes[MERKLE_MAX_PROOF][32], leaf[32];
		struct checkpoint cp;
		size_t n = json_array_size(hs);
		for (size_t i = 0; i < n && i < MERKLE_MAX_PROOF; i++)
			b64_decode_exact(json_string_value(json_array_get(hs, i)), 44, B64_STD, hashes[i], 32);
		CHECK_EQ_INT(checkpoint_open(note, strlen(note), ORIGIN, pub, &cp), 0, "the checkpoint is signed");
		CHECK_EQ_INT(cp.size, size_of(l), "a checkpoint covering the issuance was signed with it");
		merkle_leaf_hash(entry, strlen(entry), leaf);
		CHECK_EQ_INT(merkle_verify_inclusion(leaf, size_of(l) - 1, cp.size, (const uint8_t(*)[32])hashes, n,
						     cp.root), 0, "the entry is included under the checkpoint");
		CHECK(!strncmp(PSTR(cert, "ledger", "tlog_proof"), "c2sp.org/tlog-proof@v1\nextra ", 29),
		      "a C2SP tlog-proof text too");
	}
	json_decref(cert);
	free(tenant);

	/* twice for one sanitization */
	json_decref(out);
	out = NULL;
	before = size_of(l);
	CHECK_EQ_INT(issue(l, "d1", NULL, &out, err, sizeof(err)), -EPROTO, "a second certificate: refused");
	CHECK(strstr(err, "already has certificate") != NULL, "saying why: %s", err);
	CHECK_EQ_INT(size_of(l), before, "nothing written");
	json_decref(out);
	json_decref(set);
	ledger_close(l);
}


/* Every refusal: the right code, a message, and the ledger unchanged. */
static void refused(struct ledger *l, const char *asset, const char *request, int want, const char *msg,
		    const char *what)
{
	char err[512] = "";
	json_t *out = (json_t *)1;
	uint64_t before = size_of(l);
	int rc = issue(l, asset, request, &out, err, sizeof(err));

	CHECK(rc == want && out == NULL && strstr(err, msg) && size_of(l) == before,
	      "%s: %d, \"%s\", nothing written", what, rc, err);
}

static void test_refusals(void)
{
	struct ledger *l = fresh("refuse.db");
	char big[400], req[600];

	sanitized(l, "failed", "hdd", "clear-zero", "clear", "failed");
	refused(l, "failed", NULL, -EPROTO, "no passed verification", "verification failed");
	add(l, "ret", "enrolled", "{\"serial\":\"S\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,"
	    "\"tenant\":\"acme\"}");
	add(l, "ret", "retired", "{}");
	refused(l, "ret", NULL, -EPROTO, "is retired, not sanitized", "a retired asset");
	add(l, "ret", "sanitize_started", "{}");
	refused(l, "ret", NULL, -EPROTO, "is sanitizing, not sanitized", "a sanitizing asset");
	refused(l, "ghost", NULL, -ENOENT, "no asset asset:ghost", "an unknown asset");
	refused(l, "../x", NULL, -EINVAL, "invalid asset id", "a hostile asset id");
	refused(l, "", NULL, -EINVAL, "invalid asset id", "an empty asset id");
	sanitized(l, "mism", "hdd", "clear-zero", "purge", "passed");
	refused(l, "mism", NULL, -EPROTO, "disagrees with NIST", "a recorded category the table does not back");
	sanitized(l, "weird", "hdd", "shred-it", "purge", "passed");
	refused(l, "weird", NULL, -EPROTO, "has no NIST SP 800-88 category", "an unknown method");
	sanitized(l, "blk", "hdd", "ata-sanitize-block", "purge", "passed");
	refused(l, "blk", NULL, -EPROTO, "has no NIST SP 800-88 category", "block erase on a hard disk");

	sanitized(l, "ok", "ssd", "ata-sanitize-crypto", "purge", "passed");
	refused(l, "ok", "[1]", -EINVAL, "must be a JSON object", "request not an object");
	refused(l, "ok", "{\"performed_by\":\"Ann\"}", -EINVAL, "performed_by must be an object", "person not an object");
	refused(l, "ok", "{\"performed_by\":{\"name\":5}}", -EINVAL, "performed_by.name must be a string",
		"a number for a name");
	refused(l, "ok", "{\"performed_by\":{\"badge\":\"x\"}}", -EINVAL, "unknown member performed_by.badge",
		"an unknown person field");
	refused(l, "ok", "{\"category\":\"purge\"}", -EINVAL, "unknown member category",
		"the caller cannot choose the category");
	refused(l, "ok", "{\"notes\":1}", -EINVAL, "notes must be a string", "notes not a string");
	refused(l, "ok", "{\"destination\":\"a\\u0000b\"}", -EINVAL, "destination must be a string",
		"a NUL inside a string");
	refused(l, "ok", "{\"destination\":\"a\\nb\"}", -EINVAL, "destination must be a string",
		"a newline in a one-line field");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	snprintf(req, sizeof(req), "{\"validated_by\":{\"name\":\"%.*s\"}}", CERT_STR_MAX + 1, big);
	refused(l, "ok", req, -EINVAL, "at most 256 bytes", "a name over the cap");
	snprintf(req, sizeof(req), "{\"validated_by\":{\"name\":\"%.*s\"}}", CERT_STR_MAX, big);
	{
		char err[512] = "";
		json_t *out = NULL, *p;
		CHECK_EQ_INT(issue(l, "ok", req, &out, err, sizeof(err)), 0,
			     "a name of exactly the cap is accepted, on flash with a device crypto erase (%s)", err);
		p = payload_of(json_string_value(json_object_get(out, "jws")));
		CHECK_STR(PSTR(p, "sanitization", "method_type"), "Purge", "crypto erase: Purge");
		CHECK_STR(PSTR(p, "sanitization", "method_used"), "Crypto Erase", "method used Crypto Erase");
		json_decref(p);
		json_decref(out);
	}
	ledger_close(l);
}

static void test_status_and_verify(void)
{
	struct ledger *l = fresh("status.db");
	char err[512] = "", why[512], *id = NULL, *jws = NULL, *proof_json = NULL;
	json_t *out = NULL, *cert = NULL, *set = jwk_set(pub), *res = NULL;
	struct sz_key *other = NULL;
	uint8_t opub[32];
	char *vkey = note_verifier(ORIGIN, pub), *ovkey;

	key_generate(&other);
	key_public(other, opub);
	ovkey = note_verifier(ORIGIN, opub);
	sanitized(l, "d2", "nvme", "nvme-sanitize-crypto", "purge", "passed");
	CHECK_EQ_INT(issue(l, "d2", NULL, &out, err, sizeof(err)), 0, "issue without a request body (%s)", err);
	id = strdup(json_string_value(json_object_get(out, "id")));
	jws = strdup(json_string_value(json_object_get(out, "jws")));
	json_decref(out);

	CHECK_EQ_INT(add(l, "d2", "shipped", "{\"carrier\":\"UPS\",\"seal\":\"SEAL-9\",\"tracking\":\"1Z\"}"), 0,
		     "shipped");
	CHECK_EQ_INT(cert_get(l, id, &cert, NULL), 0, "cert_get after shipping");
	CHECK_STR(PSTR(cert, "status", "state"), "shipped", "status shipped");
	CHECK_STR(PSTR(cert, "status", "carrier"), "UPS", "with the carrier");
	CHECK_STR(PSTR(cert, "status", "seal"), "SEAL-9", "and the seal");
	json_decref(cert);
	CHECK_EQ_INT(add(l, "d2", "destroyed", "{\"facility\":\"ShredCo Plant 2\",\"method\":\"shred\","
			 "\"witness\":\"Eve\",\"particle_size_mm\":2}"), 0, "destroyed");
	ledger_checkpoint(l, key, ORIGIN, NULL);
	CHECK_EQ_INT(cert_get(l, id, &cert, NULL), 0, "cert_get after destruction");
	CHECK_STR(PSTR(cert, "status", "state"), "destroyed", "status destroyed");
	CHECK_STR(PSTR(cert, "status", "facility"), "ShredCo Plant 2", "with the facility");
	CHECK(PSTR(cert, "status", "date") != NULL, "and the date");
	CHECK_STR(PSTR(cert, "status", "destroyed", "witness"), "Eve", "and the witness");
	CHECK_STR(PSTR(cert, "status", "shipped", "carrier"), "UPS", "the shipment kept");
	CHECK_EQ_INT(json_integer_value(PATH(cert, "ledger", "inclusion", "tree_size")), size_of(l),
		     "the proof is at the latest checkpoint");
	proof_json = json_dumps(cert, JSON_COMPACT);

	/* online: POST /v1/verify */
	CHECK_EQ_INT(cert_verify(l, set, jws, strlen(jws), &res, NULL), 0, "cert_verify");
	CHECK(json_is_true(json_object_get(res, "valid")) && json_is_true(json_object_get(res, "in_ledger")),
	      "valid and in the ledger");
	CHECK_STR(PSTR(res, "status", "state"), "destroyed", "with the current status");
	CHECK_STR(PSTR(res, "id"), id, "and the id");
	CHECK_STR(PSTR(res, "status", "destroyed", "witness"), "Eve", "the full answer has the custody data");
	json_decref(res);
	{
		/* issue 11: the public answer keeps the verdict and the state, nothing of the custody */
		char *tn = NULL, *text;
		CHECK_EQ_INT(cert_verify(l, set, jws, strlen(jws), &res, &tn), 0, "cert_verify with the tenant");
		CHECK_STR(tn, "acme", "the asset's tenant comes back");
		cert_verify_public(res);
		CHECK(json_is_true(json_object_get(res, "valid")) && json_is_true(json_object_get(res, "in_ledger")),
		      "the public answer keeps the verdict");
		CHECK_STR(PSTR(res, "id"), id, "and the id");
		CHECK_STR(PSTR(res, "status", "state"), "destroyed", "and the state");
		CHECK_STR(PSTR(res, "status", "asset_state"), "destroyed", "and the asset's state");
		CHECK_EQ_INT(json_object_size(json_object_get(res, "status")), 2, "and nothing else in status");
		text = json_dumps(res, JSON_COMPACT);
		CHECK(text && !strstr(text, "ShredCo") && !strstr(text, "Eve") && !strstr(text, "UPS") &&
		      !strstr(text, "SEAL-9") && !strstr(text, "1Z"), "no custody value: %s", text ? text : "");
		free(text);
		cert_verify_public(res);	/* twice is harmless */
		CHECK_EQ_INT(json_object_size(json_object_get(res, "status")), 2, "reducing twice");
		json_decref(res);
		free(tn);
	}
	{
		char *t = strdup(jws);
		t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
		CHECK_EQ_INT(cert_verify(l, set, t, strlen(t), &res, NULL), 0, "cert_verify of a changed signature");
		CHECK(json_is_false(json_object_get(res, "valid")) && json_is_false(json_object_get(res, "in_ledger")),
		      "invalid, not in the ledger: %s", PSTR(res, "reason"));
		json_decref(res);
		free(t);
	}
	{
		/* signed by our key but never issued: valid, not in the ledger */
		json_t *pl = json_pack("{s:s}", "cert_id", "crt_forgedforged");
		char *f = NULL;
		jws_sign_json(key, pl, &f);
		char *tn = (char *)"unset";
		CHECK_EQ_INT(cert_verify(l, set, f, strlen(f), &res, &tn), 0, "cert_verify of an unissued JWS");
		CHECK(json_is_true(json_object_get(res, "valid")) && json_is_false(json_object_get(res, "in_ledger")) &&
		      json_is_null(json_object_get(res, "status")), "valid signature, not in the ledger");
		CHECK(tn == NULL, "no tenant for a certificate the ledger does not hold");
		cert_verify_public(res);
		CHECK(json_is_null(json_object_get(res, "status")), "a null status stays null");
		json_decref(res);
		free(f);
		json_decref(pl);
	}
	CHECK_EQ_INT(cert_verify(l, set, "garbage", 7, &res, NULL), 0, "cert_verify of garbage");
	CHECK(json_is_false(json_object_get(res, "valid")) && json_is_null(json_object_get(res, "kid")),
	      "invalid, no kid");
	json_decref(res);

	/* offline: files alone */
	{
		struct cert_offline in = { .jws = jws, .jws_len = strlen(jws), .jwks = set,
					   .proof = proof_json, .proof_len = strlen(proof_json), .vkey = vkey };
		const char *tp = PSTR(cert, "ledger", "tlog_proof"), *cp = PSTR(cert, "ledger", "checkpoint");
		json_t *doc = jwk_keys_document(vkey, pub);
		char *t;

		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), 0, "offline with the certificate JSON: %s", why);
		in.proof = tp;
		in.proof_len = strlen(tp);
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), 0, "offline with the tlog-proof: %s", why);
		in.checkpoint = cp;
		in.checkpoint_len = strlen(cp);
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), 0, "with a separate checkpoint: %s", why);
		in.jwks = doc;
		in.vkey = NULL;
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), 0, "with a /v1/keys document: %s", why);
		in.jwks = set;
		in.vkey = ovkey;
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EBADMSG, "another verifier key: %s", why);
		in.vkey = NULL;
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EINVAL, "no verifier key: %s", why);
		in.vkey = vkey;
		/* a tlog-proof whose extra carries another entry */
		t = strdup(tp);
		t[40] = t[40] == 'A' ? 'B' : 'A';
		in.proof = t;
		in.proof_len = strlen(t);
		CHECK(cert_verify_offline(&in, why, sizeof(why)) < 0, "a changed entry in the proof: %s", why);
		free(t);
		/* a changed hash line */
		t = strdup(tp);
		{
			char *h = strstr(t, "\nindex ");
			h = strchr(h + 1, '\n') + 1;
			h[3] = h[3] == 'A' ? 'B' : 'A';
		}
		in.proof = t;
		in.proof_len = strlen(t);
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EBADMSG, "a changed proof hash: %s", why);
		free(t);
		in.proof = "c2sp.org/tlog-proof@v1\nindex 3\n\nx\n";
		in.proof_len = strlen(in.proof);
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EINVAL, "a tlog-proof without extra: %s", why);
		in.proof = "{\"ledger\":{}}";
		in.proof_len = strlen(in.proof);
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EINVAL, "an empty JSON proof: %s", why);
		/* another certificate's proof for this JWS */
		in.proof = tp;
		in.proof_len = strlen(tp);
		{
			json_t *pl = json_pack("{s:s, s:s}", "cert_id", id, "asset_id", "d2");
			char *f = NULL;
			jws_sign_json(key, pl, &f);
			in.jws = f;
			in.jws_len = strlen(f);
			CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EBADMSG,
				     "a re-signed JWS does not match the entry's SHA-256: %s", why);
			free(f);
			json_decref(pl);
		}
		in.jws = jws;
		in.jws_len = strlen(jws);
		in.proof = NULL;
		CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), 0, "signature only: %s", why);
		{
			json_t *oset = jwk_set(opub);
			in.jwks = oset;
			CHECK_EQ_INT(cert_verify_offline(&in, why, sizeof(why)), -EBADMSG, "another key's JWKS: %s", why);
			json_decref(oset);
		}
		json_decref(doc);
	}

	/* the PDF */
	{
		uint8_t *pdf = NULL;
		size_t len = 0;
		char *url = NULL, want[128];
		json_t *empty = json_object();
		struct cert_pdf_opts po;

		CHECK_EQ_INT(cert_verify_url(cfg.base_url, id, &url), 0, "the verification URL");
		snprintf(want, sizeof(want), "https://wipe.example/verify/%s", id);
		CHECK_STR(url, want, "the public page of SPEC section 10, not an authenticated route");
		po = (struct cert_pdf_opts){ .verify_url = url };
		CHECK_EQ_INT(cert_pdf(cert, &po, &pdf, &len), 0, "render the PDF");
		CHECK(pdf && len > 1000 && !memcmp(pdf, "%PDF-", 5), "a PDF of %zu bytes", len);
		CHECK(len >= 6 && memmem(pdf, len, "%%EOF", 5), "complete (%%EOF)");
		CHECK(len < CERTPDF_MAX / 4, "with its font subsets, %zu bytes", len);
		free(pdf);
		CHECK_EQ_INT(cert_pdf(empty, &po, &pdf, &len), -EINVAL, "no payload: refused");
		json_decref(empty);
		free(url);
	}

	json_decref(cert);
	free(proof_json);
	free(id);
	free(jws);
	free(vkey);
	free(ovkey);
	key_free(other);
	json_decref(set);
	ledger_close(l);
}

static void test_storage(void)
{
	struct ledger *l = fresh("store.db"), *ro = NULL;
	char path[256], err[512], *errmsg = NULL;
	json_t *out = NULL, *cert = NULL;
	char *id;
	int src;

	CHECK_EQ_INT(cert_get(l, "crt_AAAAAAAAAAAA", &cert, NULL), -ENOENT, "a ledger without certificates: -ENOENT");
	sanitized(l, "d3", "hdd", "ata-secure-erase", "clear", "passed");
	CHECK_EQ_INT(issue(l, "d3", NULL, &out, err, sizeof(err)), 0, "issue (%s)", err);
	id = strdup(json_string_value(json_object_get(out, "id")));
	json_decref(out);
	CHECK_EQ_INT(cert_get(l, "crt_AAAAAAAAAAAA", &cert, NULL), -ENOENT, "an unknown id: -ENOENT");
	CHECK_EQ_INT(cert_get(l, "crt_'; DROP TABLE", &cert, NULL), -ENOENT, "a hostile id: -ENOENT");
	CHECK_EQ_INT(cert_get(l, "", &cert, NULL), -ENOENT, "an empty id: -ENOENT");
	src = sqlite3_exec(ledger_sqlite(l), "UPDATE certificates SET jws = 'x'", NULL, NULL, &errmsg);
	CHECK(src != SQLITE_OK && errmsg && strstr(errmsg, "append-only"), "the table refuses UPDATE");
	sqlite3_free(errmsg);
	errmsg = NULL;
	src = sqlite3_exec(ledger_sqlite(l), "DELETE FROM certificates", NULL, NULL, &errmsg);
	CHECK(src != SQLITE_OK, "and DELETE");
	sqlite3_free(errmsg);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	CHECK_EQ_INT(ledger_open(path, LEDGER_RDONLY, &ro, err, sizeof(err)), 0, "open read-only");
	CHECK_EQ_INT(cert_get(ro, id, &cert, NULL), 0, "an auditor's read-only copy reads it");
	CHECK_STR(PSTR(cert, "payload", "sanitization", "method_type"), "Clear",
		  "ATA normal secure erase on a hard disk: Clear, not Purge (issue 10)");
	json_decref(cert);
	CHECK_EQ_INT(issue(ro, "d3", NULL, &out, err, sizeof(err)), -EROFS, "no issuance through a read-only ledger");
	ledger_close(ro);
	free(id);
	ledger_close(l);
}

/* sanitized() with members merged into the sanitize_completed data (coverage, exceptions, ...) */
static void sanitized_with(struct ledger *l, const char *asset, const char *media, const char *method,
			   const char *category, const char *extra)
{
	char data[2048], *text;
	json_t *d, *x = json_loads(extra, 0, NULL);

	snprintf(data, sizeof(data), "{\"serial\":\"SN-%s\",\"model\":\"M\",\"media_type\":\"%s\","
		 "\"capacity_bytes\":4096,\"tenant\":\"acme\"}", asset, media);
	add(l, asset, "enrolled", data);
	add(l, asset, "retired", "{}");
	add(l, asset, "sanitize_started", "{}");
	snprintf(data, sizeof(data), completed_fmt, method, category, "passed", asset);
	d = json_loads(data, 0, NULL);
	json_object_update(d, x);
	text = json_dumps(d, JSON_COMPACT);
	add(l, asset, "sanitize_completed", text);
	free(text);
	json_decref(d);
	json_decref(x);
}

/* issue, and the signed payload (new reference) or NULL */
static json_t *issued_payload(struct ledger *l, const char *asset, const char *request, const char *what)
{
	char err[512] = "";
	json_t *out = NULL, *p;

	CHECK_EQ_INT(issue(l, asset, request, &out, err, sizeof(err)), 0, "%s: issued (%s)", what, err);
	p = payload_of(json_string_value(json_object_get(out, "jws")));
	json_decref(out);
	return p;
}

/*
 * Issue 10, NIST SP 800-88 Rev. 2: the payload cites Rev. 2 and its table
 * row; validation (4.5.2) is a named person with a date, or "not recorded";
 * coverage and exceptions are carried, and an exception is never a plain pass.
 */
static void test_rev2_record(void)
{
	struct ledger *l = fresh("rev2.db");
	json_t *p;

	/* RFC 3339 dates, ranges checked */
	CHECK(cert_date_valid("2026-01-31") && cert_date_valid("2024-02-29") && cert_date_valid("2026-01-31T10:20:00Z") &&
	      cert_date_valid("2026-01-31T10:20:00.123Z") && cert_date_valid("2000-02-29"), "valid dates accepted");
	CHECK(!cert_date_valid("2026-02-30") && !cert_date_valid("2025-02-29") && !cert_date_valid("1900-02-29") &&
	      !cert_date_valid("2026-13-01") && !cert_date_valid("2026-00-10") && !cert_date_valid("2026-04-31") &&
	      !cert_date_valid("2026-01-31T25:00:00Z") && !cert_date_valid("2026-01-31T10:61:00Z") &&
	      !cert_date_valid("2026-01-31T10:20:00+02:00") && !cert_date_valid("2026-01-31T10:20:00") &&
	      !cert_date_valid("2026-01-31T10:20:00.Z") && !cert_date_valid("yesterday") && !cert_date_valid("") &&
	      !cert_date_valid("2026-1-31") && !cert_date_valid("2026-01-31 ") && !cert_date_valid(NULL),
	      "impossible or malformed dates refused");

	/* an older record: no coverage, no exceptions; no validator named */
	sanitized(l, "old", "hdd", "clear-zero", "clear", "passed");
	p = issued_payload(l, "old", "{\"performed_by\":{\"name\":\"Ann\"}}", "an older record");
	CHECK_STR(PSTR(p, "standard"), "NIST SP 800-88 Rev. 2", "the payload cites Rev. 2");
	CHECK(json_is_false(PATH(p, "validation", "recorded")) && !PATH(p, "validated_by"),
	      "no validated_by: validation recorded false, nothing implied");
	CHECK_STR(PSTR(p, "validation", "standard"), "NIST SP 800-88 Rev. 2 4.5.2", "validation cites 4.5.2");
	CHECK_STR(PSTR(p, "performed_by", "date"), "2026-01-01T00:00:05.000Z",
		  "performed_by's date defaults to the sanitization's completion");
	CHECK_STR(PSTR(p, "sanitization", "coverage", "scope"), "not recorded", "coverage not recorded, said so");
	CHECK(json_array_size(PATH(p, "sanitization", "exceptions")) == 0, "no exceptions");
	CHECK_STR(PSTR(p, "sanitization", "outcome"), "passed", "outcome: passed");
	CHECK(json_is_true(PATH(p, "sanitization", "category_basis", "confirmed")), "clear-zero on hdd: confirmed row");
	CHECK(strstr(PSTR(p, "sanitization", "category_basis", "clause") ?: "", "3.1.1") != NULL,
	      "the clause is carried: %s", PSTR(p, "sanitization", "category_basis", "clause"));
	json_decref(p);

	/* a validator with date and place; coverage and two exceptions */
	sanitized_with(l, "exc", "nvme", "nvme-sanitize-block", "purge",
		       "{\"coverage\":{\"scope\":\"whole_device\",\"bytes\":4096,\"capacity_bytes\":4096},"
		       "\"hidden_sectors\":{\"hpa\":0,\"dco\":0},"
		       "\"exceptions\":[{\"kind\":\"hidden_area_undetermined\",\"detail\":\"no IDENTIFY\",\"offset\":-1,"
		       "\"length\":0},{\"kind\":\"readback_not_applicable\",\"detail\":\"deallocated\",\"offset\":-1,"
		       "\"length\":0},7]}");
	p = issued_payload(l, "exc", "{\"validated_by\":{\"name\":\"Bob\",\"title\":\"QA\",\"organization\":\"Acme\","
			   "\"location\":\"DC1\",\"phone\":\"1\",\"date\":\"2026-01-02\"},\"performed_by\":{\"name\":\"Ann\","
			   "\"date\":\"2026-01-01\"}}", "with exceptions");
	CHECK(json_is_true(PATH(p, "validation", "recorded")), "validated_by: validation recorded");
	CHECK_STR(PSTR(p, "validated_by", "date"), "2026-01-02", "validated_by's date carried");
	CHECK_STR(PSTR(p, "validated_by", "location"), "DC1", "and where");
	CHECK_STR(PSTR(p, "performed_by", "date"), "2026-01-01", "performed_by's own date kept");
	CHECK_EQ_INT(json_array_size(PATH(p, "sanitization", "exceptions")), 2,
		     "both exceptions carried, the non-object dropped");
	CHECK_STR(PSTR(p, "sanitization", "outcome"), "passed with 2 exception(s)", "never a plain pass");
	CHECK_STR(json_string_value(json_object_get(json_array_get(PATH(p, "sanitization", "exceptions"), 0), "kind")),
		  "hidden_area_undetermined", "the first exception's kind");
	CHECK(json_integer_value(PATH(p, "sanitization", "coverage", "bytes")) == 4096, "coverage bytes carried");
	CHECK(PATH(p, "sanitization", "hidden_sectors") != NULL, "hidden sectors carried");
	CHECK(json_is_false(PATH(p, "sanitization", "category_basis", "confirmed")),
	      "NVMe Sanitize: the certificate says the row is unconfirmed");
	CHECK_STR(PSTR(p, "sanitization", "method_used"), "Block Erase", "technique");
	json_decref(p);

	/* refusals: a bad date, a partial coverage, a single pass on USB flash */
	sanitized(l, "vd", "hdd", "clear-zero", "clear", "passed");
	refused(l, "vd", "{\"validated_by\":{\"name\":\"Bob\",\"date\":\"2026-02-30\"}}", -EINVAL,
		"validated_by.date must be an RFC 3339 date", "validation dated February 30th");
	refused(l, "vd", "{\"performed_by\":{\"date\":\"soon\"}}", -EINVAL, "performed_by.date must be",
		"a date that is not a date");
	refused(l, "vd", "{\"validated_by\":{\"date\":\"2026-01-02\",\"title\":\"QA\"}}", -EINVAL,
		"validated_by needs the validator's name", "a validation without a name");
	refused(l, "vd", "{\"validated_by\":{}}", -EINVAL, "validated_by needs the validator's name",
		"an empty validated_by");
	sanitized_with(l, "part", "hdd", "clear-zero", "clear",
		       "{\"coverage\":{\"scope\":\"partition\",\"bytes\":2048,\"capacity_bytes\":4096}}");
	refused(l, "part", NULL, -EPROTO, "covered 2048 of 4096 bytes (scope partition), not the whole drive",
		"a partition's sanitization gets no certificate");
	sanitized_with(l, "short", "hdd", "clear-zero", "clear",
		       "{\"coverage\":{\"scope\":\"whole_device\",\"bytes\":2048,\"capacity_bytes\":4096}}");
	refused(l, "short", NULL, -EPROTO, "covered 2048 of 4096 bytes", "fewer bytes than the capacity");
	sanitized_with(l, "odd", "hdd", "clear-zero", "clear", "{\"coverage\":{\"scope\":\"whole_device\"}}");
	refused(l, "odd", NULL, -EPROTO, "not the whole drive", "a coverage without its byte counts");
	sanitized(l, "stick", "usb", "clear-zero", "clear", "passed");
	refused(l, "stick", NULL, -EPROTO, "clear-zero on usb is neither Clear nor Purge",
		"one pass of zeros on USB flash: no certificate");
	/* no read-back applies: certified only when an exception says so in words, never as a plain pass */
	sanitized_with(l, "na", "nvme", "nvme-format-crypto", "purge",
		       "{\"verification\":{\"method\":\"none\",\"result\":\"not_applicable\",\"bytes_read\":0},"
		       "\"exceptions\":[{\"kind\":\"readback_not_applicable\",\"detail\":\"crypto erase leaves"
		       " ciphertext that no pattern check can judge\",\"offset\":-1,\"length\":0}]}");
	p = issued_payload(l, "na", NULL, "read-back not applicable, said so");
	CHECK_STR(PSTR(p, "sanitization", "outcome"), "passed with 1 exception(s)", "not a plain pass");
	CHECK_STR(PSTR(p, "sanitization", "verification", "result"), "not_applicable", "the verification says so");
	json_decref(p);
	sanitized_with(l, "na2", "nvme", "nvme-format-crypto", "purge",
		       "{\"verification\":{\"method\":\"none\",\"result\":\"not_applicable\",\"bytes_read\":0}}");
	refused(l, "na2", NULL, -EPROTO, "has no passed verification (result not_applicable)",
		"no read-back and no exception saying why: refused");
	sanitized_with(l, "na3", "nvme", "nvme-format-crypto", "purge",
		       "{\"verification\":{\"method\":\"full\",\"result\":\"failed\",\"bytes_read\":0},"
		       "\"exceptions\":[{\"kind\":\"readback_not_applicable\",\"detail\":\"x\"}]}");
	refused(l, "na3", NULL, -EPROTO, "has no passed verification (result failed)",
		"a failed read-back is never excused by an exception");
	sanitized_with(l, "na4", "nvme", "nvme-format-crypto", "purge",
		       "{\"verification\":{\"method\":\"none\",\"result\":\"not_applicable\"},"
		       "\"exceptions\":[{\"kind\":\"readback_not_applicable\",\"detail\":\"\"}]}");
	refused(l, "na4", NULL, -EPROTO, "has no passed verification", "an exception without words: refused");
	sanitized(l, "stick3", "usb", "dod-3pass", "clear", "passed");
	p = issued_payload(l, "stick3", NULL, "dod-3pass on USB flash");
	CHECK_STR(PSTR(p, "sanitization", "method_type"), "Clear", "dod-3pass on USB flash: Clear");
	json_decref(p);
	ledger_close(l);
}

/*
 * The page as text: pdftotext -layout by execvp, no shell.  Returns a new
 * string, or NULL if pdftotext is missing or fails (the caller skips).
 */
static char *pdf_text(const uint8_t *pdf, size_t len)
{
	char in[256], out[256], *text = NULL;
	FILE *f;
	pid_t pid;
	int status = 0;
	long n;

	snprintf(in, sizeof(in), "%s/page.pdf", dir);
	snprintf(out, sizeof(out), "%s/page.txt", dir);
	f = fopen(in, "wb");
	if (!f || fwrite(pdf, 1, len, f) != len) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execlp("pdftotext", "pdftotext", "-q", "-layout", in, out, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		goto done;
	f = fopen(out, "rb");
	if (!f)
		goto done;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = n >= 0 ? calloc(1, (size_t)n + 1) : NULL;
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
done:
	unlink(in);
	unlink(out);
	return text;
}

/* The value printed after label on its line, whitespace trimmed, into buf; NULL if no such line. */
static const char *pdf_row(const char *text, const char *label, char *buf, size_t cap)
{
	const char *p = text;
	size_t ll = strlen(label);

	while ((p = strstr(p, label))) {
		const char *e, *v = p + ll;
		if ((p == text || p[-1] == ' ' || p[-1] == '\n') && v[0] == ' ' && v[1] == ' ') {
			while (*v == ' ')
				v++;
			e = strchr(v, '\n');
			if (!e)
				e = v + strlen(v);
			while (e > v && (e[-1] == ' ' || e[-1] == '\r'))
				e--;
			snprintf(buf, cap, "%.*s", (int)(e - v), v);
			return buf;
		}
		p = v;
	}
	return NULL;
}

/*
 * Issue 10 item 11: each printed value comes from its own member.  Payloads
 * the ledger would refuse (a capacity that is not an integer) are rendered
 * too: the page must show what the payload says, never a leftover buffer.
 */
static void test_pdf_values(void)
{
	static const struct {
		const char *media, *type_row, *backed_row, *what;
	} cases[] = {
		{ "{\"media_type\":\"hdd\",\"capacity_bytes\":4000787030016,\"data_backed_up\":true}",
		  "hdd, 4.00 TB (4,000,787,030,016 bytes)", "Yes", "backed up: Yes, not the capacity" },
		{ "{\"media_type\":\"hdd\",\"capacity_bytes\":4000787030016,\"data_backed_up\":false}",
		  "hdd, 4.00 TB (4,000,787,030,016 bytes)", "No", "not backed up: No" },
		{ "{\"media_type\":\"ssd\",\"capacity_bytes\":\"4 TB\",\"data_backed_up\":true}",
		  "ssd, 4 TB", "Yes", "a string capacity: printed as given, backed up still Yes" },
		{ "{\"media_type\":\"ssd\",\"capacity_bytes\":\"4 TB\",\"data_backed_up\":\"offsite tape\"}",
		  "ssd, 4 TB", "offsite tape", "a string backup note: printed as given" },
		{ "{\"media_type\":\"usb\"}", "usb", "Unknown", "neither: Unknown" },
		{ "{\"capacity_bytes\":[1],\"data_backed_up\":{\"x\":1}}", "-", "Unknown",
		  "wrong types: nothing invented" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *media = json_loads(cases[i].media, 0, NULL);
		json_t *cert = json_pack("{s:s, s:s, s:{s:s, s:o, s:{s:s, s:I}}}", "id", "crt_AAAAAAAAAAAA",
					 "sha256", "00", "payload", "asset_id", "a1", "media", media, "ledger",
					 "origin", "o", "seq", (json_int_t)7);
		uint8_t *pdf = NULL;
		size_t len = 0;
		char *text, b1[256], b2[256];

		CHECK_EQ_INT(cert_pdf(cert, &(struct cert_pdf_opts){ .verify_url = "https://wipe.example/verify/crt_AAAAAAAAAAAA" },
				      &pdf, &len), 0, "render case %zu", i);
		text = pdf ? pdf_text(pdf, len) : NULL;
		if (!text) {
			printf("ok %d # skip pdftotext is missing or failed\n", ++tap_n);
		} else {
			CHECK_STR(pdf_row(text, "Data Backed Up", b1, sizeof(b1)), cases[i].backed_row, "%s", cases[i].what);
			CHECK_STR(pdf_row(text, "Media Type", b2, sizeof(b2)), cases[i].type_row, "%s: media type row",
				  cases[i].what);
			CHECK_STR(pdf_row(text, "Ledger", b2, sizeof(b2)), "o, sanitization entry 7", "%s: ledger row",
				  cases[i].what);
		}
		free(text);
		free(pdf);
		json_decref(cert);
	}

	/* a hostile record: an exception of 10,000 characters is printed up to a cap and marked as cut */
	{
		char *big = malloc(10001), *text;
		json_t *cert;
		uint8_t *pdf = NULL;
		size_t len = 0;

		memset(big, 'w', 10000);
		for (int i = 7; i < 10000; i += 8)
			big[i] = ' ';
		big[10000] = 0;
		cert = json_pack("{s:s, s:s, s:{s:s, s:{s:[{s:s, s:s, s:i, s:i}]}}}", "id", "crt_AAAAAAAAAAAA",
				 "sha256", "00", "payload", "asset_id", "a1", "sanitization", "exceptions", "kind",
				 "io_retry", "detail", big, "offset", -1, "length", 0);
		CHECK_EQ_INT(cert_pdf(cert, NULL, &pdf, &len), 0, "render a 10,000-character exception");
		text = pdf ? pdf_text(pdf, len) : NULL;
		if (!text)
			printf("ok %d # skip pdftotext is missing or failed\n", ++tap_n);
		else
			CHECK(strstr(text, "[...]") && strstr(text, "page 2 (continued)"),
			      "it runs onto a second page and says where it is cut");
		free(text);
		free(pdf);
		free(big);
		json_decref(cert);
	}
}

/* Issue 15: the public verification URL, never loopback or an authenticated route. */
static void test_verify_url(void)
{
	static const struct {
		const char *base, *want;
		int rc;
	} cases[] = {
		{ "https://wipe.example", "https://wipe.example/verify/crt_AAAAAAAAAAAA", 0 },
		{ "https://wipe.example///", "https://wipe.example/verify/crt_AAAAAAAAAAAA", 0 },
		{ "https://wipe.example/sz", "https://wipe.example/sz/verify/crt_AAAAAAAAAAAA", 0 },
		{ "HTTP://wipe.example:8443/", "HTTP://wipe.example:8443/verify/crt_AAAAAAAAAAAA", 0 },
		{ "https://[2001:db8::1]:443", "https://[2001:db8::1]:443/verify/crt_AAAAAAAAAAAA", 0 },
		{ "https://10.0.0.7", "https://10.0.0.7/verify/crt_AAAAAAAAAAAA", 0 },
		{ NULL, NULL, -ENOENT },
		{ "", NULL, -ENOENT },
		{ "http://127.0.0.1:8420", NULL, -EINVAL },
		{ "http://127.1", NULL, -EINVAL },
		{ "http://2130706433/", NULL, -EINVAL },
		{ "http://0x7f.1/", NULL, -EINVAL },
		{ "http://localhost:8420", NULL, -EINVAL },
		{ "http://LocalHost./", NULL, -EINVAL },
		{ "https://verify.localhost", NULL, -EINVAL },
		{ "http://[::1]:8420", NULL, -EINVAL },
		{ "http://[::ffff:127.0.0.1]/", NULL, -EINVAL },
		{ "http://[::]/", NULL, -EINVAL },
		{ "http://0.0.0.0", NULL, -EINVAL },
		{ "ftp://wipe.example", NULL, -EINVAL },
		{ "wipe.example", NULL, -EINVAL },
		{ "https://", NULL, -EINVAL },
		{ "https://:443", NULL, -EINVAL },
		{ "https://user@wipe.example", NULL, -EINVAL },
		{ "https://wipe.example@127.0.0.1", NULL, -EINVAL },
		{ "https://wipe.example/?next=x", NULL, -EINVAL },
		{ "https://wipe.example/#x", NULL, -EINVAL },
		{ "https://wipe.example:84x3", NULL, -EINVAL },
		{ "https://wipe.example:", NULL, -EINVAL },
		{ "https://wipe example", NULL, -EINVAL },
		{ "https://w\xc3\xafpe.example", NULL, -EINVAL },
		{ "https://[::1", NULL, -EINVAL },
	};
	char longurl[CERT_URL_MAX + 16], *u;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = (char *)"unset";
		CHECK_EQ_INT(cert_verify_url(cases[i].base, "crt_AAAAAAAAAAAA", &u), cases[i].rc, "public URL %s",
			     cases[i].base ? cases[i].base : "(none)");
		if (cases[i].want)
			CHECK_STR(u, cases[i].want, "the URL for %s", cases[i].base);
		else
			CHECK(u == NULL, "no URL for %s", cases[i].base ? cases[i].base : "(none)");
		free(u);
	}
	CHECK_EQ_INT(cert_verify_url("https://wipe.example", "crt_../../v1/x", &u), -EINVAL, "a malformed id");
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = 0;
	memcpy(longurl, "https://wipe.example/", 21);
	CHECK_EQ_INT(cert_verify_url(longurl, "crt_AAAAAAAAAAAA", &u), -EINVAL, "a URL past CERT_URL_MAX");
}

/* Render cert as text with opts; NULL if pdftotext is missing (the caller skips). */
static char *render_text(const json_t *cert, const struct cert_pdf_opts *o, const char *what)
{
	uint8_t *pdf = NULL;
	size_t len = 0;
	char *text;

	CHECK_EQ_INT(cert_pdf(cert, o, &pdf, &len), 0, "render %s", what);
	text = pdf ? pdf_text(pdf, len) : NULL;
	free(pdf);
	if (!text)
		printf("ok %d # skip %s: pdftotext is missing or failed\n", ++tap_n, what);
	return text;
}

/* Issue 15 "the certificate on paper": font, sizes, issuer, QR text, bidirectional controls. */
static void test_pdf_paper(void)
{
	static const struct {
		uint64_t n;
		const char *want;
	} sizes[] = {
		{ 0, "0 bytes" }, { 999, "999 bytes" }, { 1000, "1.00 kB (1,000 bytes)" },
		{ 8192, "8.19 kB (8,192 bytes)" }, { 9995, "10.0 kB (9,995 bytes)" },
		{ 99950, "100 kB (99,950 bytes)" }, { 999500, "1.00 MB (999,500 bytes)" },
		{ 999999, "1.00 MB (999,999 bytes)" }, { 25165824, "25.2 MB (25,165,824 bytes)" },
		{ 512110190592ULL, "512 GB (512,110,190,592 bytes)" },
		{ 4000787030016ULL, "4.00 TB (4,000,787,030,016 bytes)" },
		{ 18446744073709551615ULL, "18.4 EB (18,446,744,073,709,551,615 bytes)" },
	};
	char buf[128], b[256], fontfile[512];
	json_t *cert;
	char *text;
	int have_font;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cert_pdf_size(sizes[i].n, buf, sizeof(buf));
		CHECK_STR(buf, sizes[i].want, "size %llu in SI units", (unsigned long long)sizes[i].n);
	}
	cert_pdf_size(4000787030016ULL, buf, 8);
	CHECK_EQ_INT((int)strlen(buf), 7, "a short buffer is cut, still terminated");

	cert = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:b}}}",
			 "id", "crt_AAAAAAAAAAAA", "sha256", "00", "payload", "asset_id", "a1",
			 "performed_by", "name", "Jos\xc3\xa9 M\xc3\xbcller", "title", "A \xe2\x80\xae" "exe.txt\xe2\x80\xac B",
			 "validated_by", "name", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m", "date", "2026-01-03",
			 "organization", "name", "", "address", "", "phone", "",
			 "validation", "recorded", 1);
	snprintf(fontfile, sizeof(fontfile), "%s/DejaVuSans.ttf", CERTPDF_FONT_DIR);
	have_font = access(fontfile, R_OK) == 0;

	/* the Unicode font: the exact UTF-8 name comes back; a U+202E is replaced, and the page says so */
	if (!have_font) {
		printf("ok %d # skip %s is missing (fonts-dejavu-core)\n", ++tap_n, fontfile);
	} else if ((text = render_text(cert, NULL, "with DejaVu"))) {
		CHECK_STR(pdf_row(text, "Name", b, sizeof(b)), "Jos\xc3\xa9 M\xc3\xbcller", "a UTF-8 name prints exactly");
		CHECK(strstr(text, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m"), "and the validator's");
		CHECK_STR(pdf_row(text, "Title", b, sizeof(b)), "A \xef\xbf\xbd" "exe.txt\xef\xbf\xbd B",
			  "U+202E and U+202C print as U+FFFD");
		CHECK(!strstr(text, "\xe2\x80\xae") && !strstr(text, "\xe2\x80\xac"), "no override is on the page");
		CHECK(strstr(text, "could reorder or hide text"), "the page says a character was replaced");
		CHECK(!strstr(text, "built-in font"), "no fallback notice");
		CHECK_STR(pdf_row(text, "Verify", b, sizeof(b)), "no public verification URL configured",
			  "no URL: no QR code, and the page says so");
		CHECK(!strchr(text, '|'), "no stray |");
		CHECK_STR(pdf_row(text, "Location", b, sizeof(b)), "not configured", "an empty issuer location");
		free(text);
	}

	/* no font: the built-in one, '?' for what it cannot print, and the page says so */
	if ((text = render_text(cert, &(struct cert_pdf_opts){ .font_dir = "/nonexistent",
			.verify_url = "https://wipe.example/verify/crt_AAAAAAAAAAAA" }, "without DejaVu"))) {
		CHECK_STR(pdf_row(text, "Name", b, sizeof(b)), "Jos? M?ller", "the fallback prints '?'");
		CHECK(strstr(text, "built-in font") && strstr(text, "/nonexistent/DejaVuSans.ttf"),
		      "and names the missing font");
		CHECK_STR(pdf_row(text, "Title", b, sizeof(b)), "A ?exe.txt? B", "the override is still replaced");
		CHECK(strstr(text, "could reorder or hide text"), "and said so");
		CHECK_STR(pdf_row(text, "Verify", b, sizeof(b)), "https://wipe.example/verify/crt_AAAAAAAAAAAA",
			  "the URL printed beside the QR code");
		free(text);
	}
	json_decref(cert);

	/* an exception's kind is cut at 36 characters, never inside one */
	if (have_font) {
		char kind[64], label[80];
		memset(kind, 'k', 35);
		memcpy(kind + 35, "\xc3\xbczz", 5);	/* "ü" is the 36th character */
		snprintf(label, sizeof(label), "1. %.37s", kind);
		cert = json_pack("{s:s, s:s, s:{s:s, s:{s:[{s:s, s:s}]}}}", "id", "crt_AAAAAAAAAAAA", "sha256", "00",
				 "payload", "asset_id", "a1", "sanitization", "exceptions", "kind", kind, "detail", "d");
		if ((text = render_text(cert, NULL, "a long exception kind"))) {
			const char *at = strstr(text, label), *nl = at ? strchr(at, '\n') : NULL;
			CHECK(at && nl && !strncmp(at, label, strlen(label)) && nl == at + strlen(label) + strspn(at + strlen(label), " "),
			      "the label keeps its 36th character whole, on a line of its own");
			while (nl && *nl == '\n')
				nl++;
			CHECK(nl && !strncmp(nl + strspn(nl, " "), "d\n", 2), "and the value on the next line");
			CHECK(!strstr(text, "\xef\xbf\xbd"), "no U+FFFD from a split character");
			free(text);
		}
		json_decref(cert);
	}

	/* a clean record: no notice */
	cert = json_pack("{s:s, s:s, s:{s:s, s:{s:s}, s:{s:s}}}", "id", "crt_AAAAAAAAAAAA", "sha256", "00",
			 "payload", "asset_id", "a1", "performed_by", "name", "Ann", "organization", "name", "Acme");
	if ((text = render_text(cert, NULL, "a clean record"))) {
		CHECK(!strstr(text, "could reorder or hide text"), "no replacement notice for a clean record");
		CHECK_STR(pdf_row(text, "Organization", b, sizeof(b)), "Acme", "the issuer's name");
		CHECK_STR(pdf_row(text, "Phone", b, sizeof(b)), "not configured", "an unset issuer phone");
		free(text);
	}
	json_decref(cert);
}

/*
 * Issue 13: the station's evidence.  Health before and after (a whitelist of
 * its scalars), the station's DMI identifiers, a performed HPA restore, a
 * compact speed summary (never the raw sample arrays), and the host the drive
 * was last deployed on before the sanitization.
 */
static void test_evidence(void)
{
	struct ledger *l = fresh("evidence.db");
	char data[2048], sp[8192];
	json_t *p, *d, *x;
	size_t n = 0;

	/* 10 samples of 1 s: 8 writes (the last one partial), 2 verification reads */
	n += (size_t)snprintf(sp + n, sizeof(sp) - n, "{\"interval_ms\":1000,\"written_bytes\":[200000000,"
			      "100000000,300000000,200000000,200000000,200000000,200000000,50000000,0,0],"
			      "\"read_bytes\":[0,0,0,0,0,0,0,0,400000000,400000000]}");
	add(l, "ev", "enrolled", "{\"serial\":\"SN-ev\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,"
	    "\"tenant\":\"acme\"}");
	CHECK_EQ_INT(add(l, "ev", "deployed", "{\"host\":\"old-host\",\"slot\":\"1\"}"), 0, "deployed (old)");
	CHECK_EQ_INT(add(l, "ev", "removed", "{\"reason\":\"moved\"}"), 0, "removed (old)");
	CHECK_EQ_INT(add(l, "ev", "deployed", "{\"host\":\"db-17\",\"slot\":\"bay 4\",\"site\":\"FRA1\"}"), 0,
		     "deployed (last)");
	CHECK_EQ_INT(add(l, "ev", "removed", "{\"reason\":\"decommission\"}"), 0, "removed (last)");
	add(l, "ev", "retired", "{}");
	add(l, "ev", "sanitize_started", "{}");
	snprintf(data, sizeof(data), completed_fmt, "clear-zero", "clear", "passed", "ev");
	d = json_loads(data, 0, NULL);
	x = json_loads("{\"health\":{\"before\":{\"available\":true,\"source\":\"ata-smart\",\"note\":null,"
		       "\"power_on_hours\":12345,\"temperature_c\":35,\"reallocated_sectors\":0,\"pending_sectors\":0,"
		       "\"uncorrectable_errors\":null,\"media_errors\":null,\"percentage_used\":null,"
		       "\"failure_predicted\":false,\"ata_attributes\":[{\"id\":9,\"raw\":12345}],\"extra\":\"no\"},"
		       "\"after\":{\"available\":false,\"source\":null,\"note\":\"a loop device has no SMART\"}},"
		       "\"station\":{\"hostname\":\"ws-01\",\"sys_vendor\":\"Dell Inc.\",\"product_name\":\"R740\","
		       "\"product_serial\":\"ABC123\",\"product_uuid\":null,\"board_serial\":null,"
		       "\"chassis_serial\":null,\"bogus\":\"x\"},"
		       "\"hpa_restore\":{\"performed\":true,\"command\":\"SET MAX ADDRESS EXT\",\"permanent\":false,"
		       "\"old_max_lba\":1000,\"new_max_lba\":2000,\"error\":null},"
		       "\"io_errors\":{\"errors\":0}}", 0, NULL);
	json_object_update(d, x);
	json_object_set_new(d, "speed", json_loads(sp, 0, NULL));
	{
		char *text = json_dumps(d, JSON_COMPACT);
		add(l, "ev", "sanitize_completed", text);
		free(text);
	}
	json_decref(d);
	json_decref(x);
	p = issued_payload(l, "ev", NULL, "with the station's evidence");
	CHECK_STR(PSTR(p, "media", "last_host", "host"), "db-17", "last_host: the last deployment before the wipe");
	CHECK_STR(PSTR(p, "media", "last_host", "slot"), "bay 4", "its slot");
	CHECK_STR(PSTR(p, "media", "last_host", "site"), "FRA1", "its site");
	CHECK(PSTR(p, "media", "last_host", "removed_at") && PSTR(p, "media", "last_host", "deployed_at"),
	      "removed_at and deployed_at carried");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "health", "before", "power_on_hours")), 12345,
		     "health before: power-on hours");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "health", "before", "temperature_c")), 35,
		     "health before: temperature");
	CHECK(json_is_false(PATH(p, "sanitization", "health", "before", "failure_predicted")),
	      "health before: failure_predicted false");
	CHECK(json_is_null(PATH(p, "sanitization", "health", "before", "media_errors")), "unknown stays null");
	CHECK(!PATH(p, "sanitization", "health", "before", "ata_attributes") &&
	      !PATH(p, "sanitization", "health", "before", "extra"), "no attribute table, no stray member");
	CHECK(json_is_false(PATH(p, "sanitization", "health", "after", "available")), "health after: not available");
	CHECK_STR(PSTR(p, "sanitization", "health", "after", "note"), "a loop device has no SMART", "and why");
	CHECK_STR(PSTR(p, "sanitization", "station", "hostname"), "ws-01", "station hostname");
	CHECK_STR(PSTR(p, "sanitization", "station", "product_serial"), "ABC123", "station serial");
	CHECK(json_is_null(PATH(p, "sanitization", "station", "product_uuid")) &&
	      !PATH(p, "sanitization", "station", "bogus"), "station: null kept, stray member dropped");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "hpa_restore", "new_max_lba")), 2000,
		     "hpa_restore carried when performed");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "interval_ms")), 1000, "speed interval");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "samples")), 10, "speed: sample count");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "write_samples")), 8, "write samples");
	/* 1,450,000,000 bytes over 8 s */
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "write_avg_bytes_per_s")), 181250000,
		     "average write speed");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "write_min_bytes_per_s")), 100000000,
		     "minimum: the partial last write sample does not count");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "write_max_bytes_per_s")), 300000000,
		     "maximum");
	CHECK(!PATH(p, "sanitization", "speed", "written_bytes") && !PATH(p, "sanitization", "speed", "read_bytes"),
	      "the raw sample arrays are not in the JWS");
	CHECK_EQ_INT(json_array_size(PATH(p, "sanitization", "speed", "profile_bytes_per_s")), 10,
		     "a short profile: one point per sample");
	CHECK_EQ_INT(json_integer_value(json_array_get(PATH(p, "sanitization", "speed", "profile_bytes_per_s"), 2)),
		     300000000, "profile point 3");
	json_decref(p);

	/* never deployed, no evidence: nothing invented; 600 samples: a profile of 60 points */
	sanitized(l, "bare", "hdd", "clear-zero", "clear", "passed");
	p = issued_payload(l, "bare", NULL, "without evidence");
	CHECK(!PATH(p, "media", "last_host") && !PATH(p, "sanitization", "health") &&
	      !PATH(p, "sanitization", "station") && !PATH(p, "sanitization", "speed") &&
	      !PATH(p, "sanitization", "hpa_restore"), "an older record: no evidence members");
	json_decref(p);
	n = (size_t)snprintf(sp, sizeof(sp), "{\"speed\":{\"interval_ms\":500,\"written_bytes\":[");
	for (int i = 0; i < 600; i++)
		n += (size_t)snprintf(sp + n, sizeof(sp) - n, "%s%d", i ? "," : "", i < 599 ? 1000000 : 1);
	snprintf(sp + n, sizeof(sp) - n, "]},\"hpa_restore\":{\"performed\":false,\"error\":\"x\"}}");
	sanitized_with(l, "many", "hdd", "clear-zero", "clear", sp);
	p = issued_payload(l, "many", NULL, "600 samples");
	CHECK_EQ_INT(json_array_size(PATH(p, "sanitization", "speed", "profile_bytes_per_s")), 60, "60 points");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "profile_interval_ms")), 5000,
		     "each point 10 samples");
	CHECK_EQ_INT(json_integer_value(PATH(p, "sanitization", "speed", "write_min_bytes_per_s")), 2000000,
		     "minimum of the full samples");
	CHECK(!PATH(p, "sanitization", "hpa_restore"), "hpa_restore not performed: not carried");
	json_decref(p);
	/* hostile samples: negative or not integers, no summary rather than a wrong one */
	sanitized_with(l, "bad", "hdd", "clear-zero", "clear",
		       "{\"speed\":{\"interval_ms\":1000,\"written_bytes\":[1,-5,\"x\"]}}");
	p = issued_payload(l, "bad", NULL, "bad samples");
	CHECK(!PATH(p, "sanitization", "speed"), "malformed samples: no speed summary");
	json_decref(p);
	sanitized_with(l, "huge", "hdd", "clear-zero", "clear",
		       "{\"speed\":{\"interval_ms\":1,\"written_bytes\":[17592186044417,1]}}");
	p = issued_payload(l, "huge", NULL, "a sample past 2^44 bytes");
	CHECK(!PATH(p, "sanitization", "speed"), "a sample no drive writes: no speed summary, no overflow");
	json_decref(p);
	ledger_close(l);
}

/* The evidence rows of the PDF from payloads the ledger would not hold: nothing invented, no chart. */
static void test_pdf_evidence(void)
{
	static const struct {
		const char *san, *label, *want, *what;
	} cases[] = {
		{ "{\"health\":{\"before\":{\"available\":true,\"source\":\"nvme-log\",\"power_on_hours\":\"lots\","
		  "\"temperature_c\":[1],\"percentage_used\":3},\"after\":5}}", "Before",
		  "nvme-log: power-on hours unknown, temperature unknown, reallocated sectors",
		  "health of the wrong types: unknown (the row's first line)" },
		{ "{\"health\":{\"before\":{\"available\":true,\"source\":\"nvme-log\"},\"after\":5}}", "After",
		  "not recorded", "an after that is not an object: not recorded" },
		{ "{\"health\":{\"before\":{\"available\":\"yes\"}}}", "Before", "not available: no reason recorded",
		  "available not true: not available" },
		{ "{\"station\":{\"hostname\":7,\"product_name\":\"R740\"}}", "Station", "-, R740",
		  "a hostname that is no string" },
		{ "{\"speed\":{\"interval_ms\":9223372036854775807,\"samples\":\"x\",\"profile_bytes_per_s\":[1,2],"
		  "\"profile_interval_ms\":9223372036854775807,\"write_avg_bytes_per_s\":-5}}", "Minimum / Maximum", NULL,
		  "an interval past any drive's: no chart, no overflow" },
		{ "{\"speed\":{\"interval_ms\":1000,\"samples\":2,\"write_samples\":2,\"write_avg_bytes_per_s\":5,"
		  "\"profile_bytes_per_s\":[1,\"x\"],\"profile_interval_ms\":1000}}", "Write Speed",
		  "average 0.0 MB/s, minimum 0.0 MB/s, maximum 0.0 MB/s", "a profile with a string: no chart" },
		{ "{\"hpa_restore\":{\"command\":\"SET MAX ADDRESS\",\"permanent\":true,\"old_max_lba\":\"x\"}}",
		  "HPA Restored", "SET MAX ADDRESS (permanent), max LBA unknown to unknown", "hpa_restore of wrong types" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *san = json_loads(cases[i].san, 0, NULL);
		json_t *cert = json_pack("{s:s, s:s, s:{s:s, s:o, s:{s:{s:[s]}}}}", "id", "crt_AAAAAAAAAAAA", "sha256", "00",
					 "payload", "asset_id", "a1", "sanitization", san, "media", "last_host", "host",
					 "x");
		char *text = render_text(cert, NULL, cases[i].what), buf[512];

		if (text) {
			const char *got = pdf_row(text, cases[i].label, buf, sizeof(buf));
			if (cases[i].want)
				CHECK_STR(got ? got : "(no row)", cases[i].want, "%s", cases[i].what);
			else
				CHECK(!got && !strstr(text, "Chart "), "%s (row %s: %s)", cases[i].what, cases[i].label,
				      got ? got : "absent");
			if (i == 0)
				CHECK(strstr(text, "unknown, media errors unknown, percentage used 3%, failure predicted unknown"),
				      "health of the wrong types: the rest of the row");
			CHECK(strstr(text, "Removed From") && pdf_row(text, "Removed From", buf, sizeof(buf)) &&
			      !strcmp(buf, "host -"), "%s: a host that is no string prints -", cases[i].what);
			free(text);
		}
		json_decref(cert);
	}
}

int main(void)
{
	char cmd[64];

	if (crypto_init() < 0 || !mkdtemp(dir) || key_generate(&key) < 0)
		return 1;
	key_public(key, pub);
	test_issue();
	test_refusals();
	test_status_and_verify();
	test_storage();
	test_pdf_values();
	test_verify_url();
	test_pdf_paper();
	test_rev2_record();
	test_evidence();
	test_pdf_evidence();
	key_free(key);
	snprintf(cmd, sizeof(cmd), "%s", dir);
	for (const char *n = "issue.db\0refuse.db\0status.db\0store.db\0rev2.db\0evidence.db\0"; *n; n += strlen(n) + 1) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", dir, n);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%s-wal", dir, n);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%s-shm", dir, n);
		unlink(p);
	}
	rmdir(cmd);
	return tap_done();
}
