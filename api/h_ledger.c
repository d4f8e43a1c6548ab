/* Public and auditor routes: health, keys, checkpoint, entries, proofs, OpenAPI. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "audit/ledger.h"
#include "util/xio.h"

void h_health(struct req *r, struct resp *out)
{
	(void)r;
	reply_text(out, 200, "application/json", "{\"status\":\"ok\"}", 15);
}

void h_jwks(struct req *r, struct resp *out)
{
	reply_text(out, 200, "application/json", r->api->jwks_doc, strlen(r->api->jwks_doc));
}

void h_keys(struct req *r, struct resp *out)
{
	reply_text(out, 200, "application/json", r->api->keys_doc, strlen(r->api->keys_doc));
}

/* api/openapi.json, linked into the binary (see the Makefile). */
extern const char _binary_api_openapi_json_start[], _binary_api_openapi_json_end[];

void h_openapi(struct req *r, struct resp *out)
{
	(void)r;
	reply_text(out, 200, "application/json", _binary_api_openapi_json_start,
		   (size_t)(_binary_api_openapi_json_end - _binary_api_openapi_json_start));
}

void h_checkpoint(struct req *r, struct resp *out)
{
	char *note = NULL;
	int rc = api_checkpoint(r->api, &note);

	if (rc < 0) {
		reply_error(out, rc == -ENOENT ? 404 : 500, rc == -ENOENT ? "not_found" : "internal",
			    "no checkpoint available");
		return;
	}
	reply_text(out, 200, "text/plain; charset=utf-8", note, strlen(note));
	free(note);
}

void h_entry(struct req *r, struct resp *out)
{
	struct ledger *l;
	json_t *j = NULL;
	uint64_t seq;
	int rc;

	if (xparse_u64(r->cap[0], &seq) < 0) {
		reply_error(out, 400, "bad_request", "seq must be a decimal number");
		return;
	}
	l = api_read_acquire(r->api);
	rc = ledger_entry_json(l, seq, &j);
	if (rc < 0)
		reply_errno(out, rc, ledger_errmsg(l));
	else
		reply_json(out, 200, j);
	api_read_release(r->api, l);
}

/* The size of the latest signed checkpoint: proofs are for it (api_checkpoint never signs). */
static int signed_size(struct req *r, uint64_t *size)
{
	char *note = NULL, *nl;
	int rc = api_checkpoint(r->api, &note);

	if (rc < 0)
		return rc;
	nl = strchr(note, '\n');
	*size = nl ? strtoull(nl + 1, NULL, 10) : 0;
	free(note);
	return 0;
}

/*
 * A proof's tree size: the asked one, or the latest signed size if none was
 * asked or the asked one is past it (and within the ledger), so every proof
 * verifies against a checkpoint the daemon has published.  A size past the
 * ledger stays as asked, for ledger_*_json to refuse.
 */
static int proof_size(struct ledger *l, int asked, uint64_t *size, uint64_t signd, uint64_t *have)
{
	int rc = ledger_size(l, have);

	if (rc < 0)
		return rc;
	if (!asked || (*size > signd && *size <= *have))
		*size = signd;
	return 0;
}

void h_proof_inclusion(struct req *r, struct resp *out)
{
	uint64_t seq, size = 0, signd = 0, have = 0;
	struct ledger *l;
	json_t *j = NULL;
	int rc;

	if (req_query_u64(r, "seq", &seq) < 0) {
		reply_error(out, 400, "bad_request", "seq is required: a decimal number");
		return;
	}
	rc = req_query_u64(r, "size", &size);
	if (rc == -EINVAL) {
		reply_error(out, 400, "bad_request", "size must be a decimal number");
		return;
	}
	/* before taking a read connection: api_checkpoint takes one of its own */
	if (signed_size(r, &signd) < 0) {
		reply_error(out, 500, "internal", "no checkpoint available");
		return;
	}
	l = api_read_acquire(r->api);
	if (proof_size(l, rc == 0, &size, signd, &have) < 0) {
		reply_errno(out, -EIO, ledger_errmsg(l));
		api_read_release(r->api, l);
		return;
	}
	/* an entry the ledger holds but no checkpoint covers yet; past the ledger is a bad range */
	if (seq >= size && size == signd && seq < have) {
		api_read_release(r->api, l);
		reply_error(out, 404, "not_found", "entry %llu is not covered by a signed checkpoint yet (the"
			    " latest covers %llu entries); the daemon signs one within its checkpoint interval",
			    (unsigned long long)seq, (unsigned long long)signd);
		return;
	}
	rc = ledger_inclusion_json(l, seq, size, &j);
	if (rc < 0)
		reply_errno(out, rc, ledger_errmsg(l));
	else
		reply_json(out, 200, j);
	api_read_release(r->api, l);
}

void h_proof_consistency(struct req *r, struct resp *out)
{
	uint64_t from, to = 0, signd = 0, have = 0;
	struct ledger *l;
	json_t *j = NULL;
	int rc;

	if (req_query_u64(r, "from", &from) < 0) {
		reply_error(out, 400, "bad_request", "from is required: a decimal number");
		return;
	}
	rc = req_query_u64(r, "to", &to);
	if (rc == -EINVAL) {
		reply_error(out, 400, "bad_request", "to must be a decimal number");
		return;
	}
	/* before taking a read connection: api_checkpoint takes one of its own */
	if (signed_size(r, &signd) < 0) {
		reply_error(out, 500, "internal", "no checkpoint available");
		return;
	}
	l = api_read_acquire(r->api);
	if (proof_size(l, rc == 0, &to, signd, &have) < 0) {
		reply_errno(out, -EIO, ledger_errmsg(l));
		api_read_release(r->api, l);
		return;
	}
	rc = ledger_consistency_json(l, from, to, &j);
	if (rc < 0)
		reply_errno(out, rc, ledger_errmsg(l));
	else
		reply_json(out, 200, j);
	api_read_release(r->api, l);
}
