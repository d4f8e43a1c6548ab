/*
 * cert — sanitization certificates (SPEC section 8, issue 5): a JWS signed
 * with the service key (audit/jws.h) whose payload carries every field of
 * NIST SP 800-88 Rev. 2's sanitization record (4.6, the sample certificate
 * of Appendix C) that the service knows or was told, and a
 * certificate_issued ledger entry holding the JWS's SHA-256, so the
 * certificate is anchored in the tamper-evident ledger.
 *
 * Storage: a table `certificates` in the ledger file (append-only, like the
 * ledger's own tables), keyed by an id "crt_" + 12 base64url characters.
 * The table is an index only: everything in it can be rebuilt from the
 * ledger entries and the JWS, which is why cert_get re-reads the entry.
 *
 * The functions speak plain data (strings and JSON), so the HTTP side can
 * call them across a process boundary later: api/ parses the request, checks
 * role and tenant, calls these, renders the JSON.
 */
#ifndef SZ_CERT_H
#define SZ_CERT_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct ledger;
struct sz_key;

#define CERT_ID_PREFIX "crt_"
#define CERT_ID_LEN 16			/* "crt_" + 12 base64url characters */
#define CERT_STR_MAX 256		/* each person field, destination, classification */
#define CERT_NOTES_MAX 2048
/* The largest proof file cert_verify_offline reads (a certificate JSON). */
#define CERT_PROOF_MAX (512 * 1024)

/* The organisation and tool, from the daemon's configuration.  NULL members are left out. */
struct cert_config {
	const char *org_name;
	const char *org_address;
	const char *org_phone;
	const char *base_url;		/* public base URL for the QR code, e.g. "https://wipe.example" */
	const char *tool_name;		/* NULL: "sanitizerd" */
	const char *tool_version;	/* NULL: the tool version recorded by the job */
};

/*
 * Issue the certificate of asset_id's last sanitization.  request is the
 * optional body of POST /v1/assets/{id}/certificate (NULL or an object):
 *   {"performed_by":{"name","title","organization","location","phone","date"},
 *    "validated_by":{…same…}, "destination":"…", "notes":"…",
 *    "post_sanitization_classification":"…"}
 * all optional, strings only, unknown members refused; "date" is an RFC 3339
 * date or UTC date-time (cert_date_valid).  performed_by's date defaults to
 * the sanitization's completion; validated_by needs a name, and without
 * validated_by the payload says
 * validation {"recorded":false}.  The payload carries the job's coverage and
 * exceptions, and its sanitization.outcome is "passed" only without any.  In one ledger
 * transaction: append certificate_issued {cert_id, sha256, completed_seq} by
 * actor, store the row, sign a checkpoint covering it with k under origin.
 * On success *out is {"id":…,"jws":…} (new reference).  Errors, nothing
 * written, a message in err:
 *   -EINVAL   bad request or asset id (the API's 400)
 *   -ENOENT   no such asset (404)
 *   -EPROTO   not sanitized, last verification not passed (a result
 *             "not_applicable" passes only with an exception of kind
 *             "readback_not_applicable" that says why), already
 *             certified for that sanitization, a recorded method or
 *             category the NIST table does not back (or gives no category,
 *             such as a single pass on USB flash), or a recorded coverage
 *             that is not the whole drive (409)
 *   other -errno: storage or signing failures (500)
 */
int cert_issue(struct ledger *l, const struct sz_key *k, const char *origin,
	       const struct cert_config *cfg, const char *asset_id, const json_t *request,
	       const char *actor, json_t **out, char *err, size_t errlen);

/*
 * Read a certificate: {"id","asset_id","jws","sha256","payload","status",
 * "ledger":{"seq","entry","leaf_hash","inclusion":{seq,tree_size,hashes},
 * "checkpoint","tlog_proof"}} with status {"state":"issued"|"shipped"|
 * "destroyed","asset_state",…, "shipped":{seq,date,carrier,seal,tracking},
 * "destroyed":{seq,date,facility,method,witness,…}} and the inclusion proof
 * at the latest signed checkpoint.  *out is new; *tenant (may be NULL) is a
 * new string, the asset's tenant, so the API can scope customers.
 * -ENOENT unknown id (or a ledger with no certificates), -EINVAL malformed
 * id, other -errno.
 */
int cert_get(struct ledger *l, const char *cert_id, json_t **out, char **tenant);

/*
 * POST /v1/verify: check a JWS against jwks and look it up in the ledger.
 * *out is {"valid":bool,"reason":"…","kid":…|null,"in_ledger":bool,
 * "id":…|null,"status":{…}|null} (new reference), with the full status of
 * cert_get, custody details included: a caller that may not see them
 * passes the result through cert_verify_public.  *tenant (tenant may be
 * NULL) is a new string, the asset's tenant, or NULL when the certificate
 * is not in the ledger.  A bad JWS is a result, not an error.  0, or
 * -ENOMEM / storage -errno.
 */
int cert_verify(struct ledger *l, const json_t *jwks, const char *jws, size_t len, json_t **out,
		char **tenant);

/*
 * Reduce a cert_verify result in place to what anyone may read (issue 11):
 * the verdict, the id and the state ({"state","asset_state"}), none of the
 * custody data (carrier, seal, tracking, facility, witness, handlers,
 * dates).  A whitelist, so a member added to the status later stays
 * private until it is added here.  Cannot fail.
 */
void cert_verify_public(json_t *res);

/* 1 if s is an RFC 3339 full-date or UTC date-time with valid ranges (no February 30th), else 0. */
int cert_date_valid(const char *s);

/* The longest public URL cert_verify_url takes (the QR code must stay scannable). */
#define CERT_URL_MAX 512

/*
 * The public verification URL of a certificate, for its QR code and page:
 * "<public_url>/verify/<cert_id>" (SPEC section 10), trailing slashes of
 * public_url dropped.  0 and *out (new string); -ENOENT if public_url is
 * NULL or empty; -EINVAL if it is not an http(s) URL of another machine
 * (loopback or unspecified address, localhost, user information, a query
 * or fragment, longer than CERT_URL_MAX) or cert_id is malformed; -ENOMEM.
 * On error *out is NULL: print no QR code rather than a wrong one.
 */
int cert_verify_url(const char *public_url, const char *cert_id, char **out);

/* Offline verification inputs (sanitizerd cert verify): files already read. */
struct cert_offline {
	const char *jws;
	size_t jws_len;
	const json_t *jwks;		/* required: a JWKS or a /v1/keys document */
	const char *proof;		/* GET /v1/certificates/{id} JSON or a tlog-proof text, or NULL */
	size_t proof_len;
	const char *checkpoint;		/* a checkpoint kept elsewhere, or NULL: the proof's own */
	size_t checkpoint_len;
	const char *vkey;		/* note verifier key; NULL: the /v1/keys document's */
};

/*
 * Verify a certificate from files alone: the signature against the JWKS;
 * with a proof, the certificate_issued entry (it must hold the JWS's SHA-256,
 * cert id and asset), its inclusion proof, and the checkpoint signed by the
 * verifier key.  0 valid; -EBADMSG invalid; -EINVAL malformed input or
 * missing verifier key.  why receives the reason either way.
 */
int cert_verify_offline(const struct cert_offline *in, char *why, size_t whylen);

/*
 * The C2SP tlog-proof@v1 text for entry index in the tree of the checkpoint:
 * the entry text goes in the "extra" line (the data needed to recompute the
 * leaf hash).  *out is new.  0 or -ENOMEM.
 */
int cert_tlog_proof(const char *entry, uint64_t index, const json_t *hashes,
		    const char *checkpoint, char **out);

#endif
