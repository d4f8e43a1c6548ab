/* Public and auditor routes: health, keys, checkpoint, entries, proofs, OpenAPI. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "api/api.h"
#include "api/jobs.h"
#include "audit/export.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "util/xio.h"

/*
 * The latest signed checkpoint.  Reads never sign: the daemon signs on its
 * own schedule (--checkpoint-every N entries or --checkpoint-interval ms at
 * commit, and the writer's quiet timer for a tail), so anonymous requests
 * cannot add rows to the database (issue 11).  The one exception is a
 * ledger with no checkpoint at all, whose first one is signed here, once
 * (the writer itself refuses a reader's request for any other).
 */
int api_checkpoint(struct api *a, char **note)
{
	struct ledger *l = api_read_acquire(a);
	struct lw_op op = { .type = LW_CHECKPOINT, .caller = { .role = LW_ROLE_ANONYMOUS, .actor = "token:anonymous" } };
	char *text = NULL, err[256];
	int rc;

	rc = ledger_checkpoint_latest(l, &text);
	api_read_release(a, l);
	if (rc == -ENOENT) {
		rc = api_write(a, &op, err, sizeof(err));
		if (rc == 0) {
			l = api_read_acquire(a);
			rc = ledger_checkpoint_latest(l, &text);
			api_read_release(a, l);
		}
	}
	if (rc == 0)
		*note = text;
	else
		free(text);
	return rc;
}

/* A JSON document rendered once, sent with the newline every JSON body ends with (issue 15). */
static void reply_doc(struct resp *out, const char *doc)
{
	size_t n = strlen(doc);
	char *b = malloc(n + 2);

	if (!b) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	memcpy(b, doc, n);
	b[n] = '\n';
	b[n + 1] = 0;
	free(out->body);
	out->body = b;
	out->len = n + 1;
	out->status = 200;
	out->ctype = "application/json";
}

void h_health(struct req *r, struct resp *out)
{
	(void)r;
	reply_doc(out, "{\"status\":\"ok\"}");
}

void h_jwks(struct req *r, struct resp *out)
{
	reply_doc(out, r->api->jwks_doc);
}

void h_keys(struct req *r, struct resp *out)
{
	reply_doc(out, r->api->keys_doc);
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

/* ---- exports (issue 15) ---- */

int req_export_format(struct req *r, struct resp *out)
{
	const char *f = req_query(r, "format"), *acc = NULL;

	if (f) {
		if (!strcmp(f, "json"))
			return EXPORT_JSON;
		if (!strcmp(f, "csv"))
			return EXPORT_CSV;
		if (!strcmp(f, "jsonl"))
			return EXPORT_JSONL;
		reply_error(out, 400, "bad_request", "format must be json, csv or jsonl");
		return -1;
	}
	/* no format=: an Accept naming exactly one of the export types (api_dispatch_for_test has no connection) */
	if (r->conn)
		acc = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	if (acc && strstr(acc, "text/csv"))
		return EXPORT_CSV;
	if (acc && (strstr(acc, "application/jsonl") || strstr(acc, "application/x-ndjson")))
		return EXPORT_JSONL;
	return EXPORT_JSON;
}

void reply_export(struct resp *out, int format, struct export_buf *b)
{
	free(out->body);
	/* an empty page is an empty body (CSV: the header line alone) */
	out->body = b->p ? b->p : strdup("");
	out->len = b->p ? b->len : 0;
	out->status = out->body ? 200 : 500;
	out->ctype = format == EXPORT_CSV ? "text/csv; charset=utf-8; header=present" : "application/jsonl";
	b->p = NULL;
	export_buf_free(b);
}

int req_page_limit(struct req *r, struct resp *out, size_t *limit)
{
	uint64_t v = API_PAGE_LIMIT;
	int rc = req_query_u64(r, "limit", &v);

	if (rc == -EINVAL || v == 0 || v > API_PAGE_LIMIT_MAX) {
		reply_error(out, 400, "bad_request", "limit must be 1..%d", API_PAGE_LIMIT_MAX);
		return -EINVAL;
	}
	*limit = (size_t)v;
	return 0;
}

/*
 * GET /v1/ledger/entries?from=A&to=B (auditor): entries A..B inclusive
 * (default the whole ledger) in seq order, as {"seq","entry":{…},
 * "canonical","leaf_hash"}; a page is limit entries (1..1000, default 100)
 * or about 1 MiB, and after=N resumes after entry N.  JSON: {"entries",
 * "next"}, next the after of the following page or null; CSV and JSON Lines:
 * the rows alone, and an empty page ends the export.
 */
void h_entries_list(struct req *r, struct resp *out)
{
	uint64_t from = 0, to = UINT64_MAX, after = 0, size = 0, s, last = 0;
	struct export_buf b;
	struct ledger *l;
	json_t *arr = NULL;
	size_t limit, n = 0;
	int format, rc, more = 0;

	format = req_export_format(r, out);
	if (format < 0 || req_page_limit(r, out, &limit) < 0)
		return;
	if (req_query_u64(r, "from", &from) == -EINVAL || req_query_u64(r, "to", &to) == -EINVAL ||
	    (rc = req_query_u64(r, "after", &after)) == -EINVAL) {
		reply_error(out, 400, "bad_request", "from, to and after must be decimal seqs");
		return;
	}
	if (rc == 0) {
		if (after == UINT64_MAX) {
			reply_error(out, 400, "bad_request", "after is past any entry");
			return;
		}
		if (after + 1 > from)
			from = after + 1;
	}
	export_buf_init(&b, API_EXPORT_BYTES_MAX);
	if (format == EXPORT_CSV && export_csv_header(&b, export_entry_cols) < 0) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	if (format == EXPORT_JSON)
		arr = json_array();
	l = api_read_acquire(r->api);
	rc = arr || format != EXPORT_JSON ? ledger_size(l, &size) : -ENOMEM;
	for (s = from; rc == 0 && s <= to && s < size; s++) {
		json_t *j = NULL;

		if (n == limit) {
			more = 1;
			break;
		}
		rc = export_entry_json(l, s, &j);
		if (rc < 0)
			break;
		/* JSON pages are measured as JSON Lines would be */
		rc = export_entry_row(&b, j, format);
		if (rc == 0 && format != EXPORT_CSV && arr)
			rc = json_array_append(arr, j) < 0 ? -ENOMEM : 0;
		json_decref(j);
		/* the byte cap ends the page; one entry always fits (at most 64 KiB of data) */
		if (rc == -E2BIG && n) {
			rc = 0;
			more = 1;
			break;
		}
		n++;
		last = s;
	}
	api_read_release(r->api, l);
	if (rc < 0) {
		json_decref(arr);
		export_buf_free(&b);
		reply_error(out, 500, "internal", "cannot read the entries");
		return;
	}
	if (format != EXPORT_JSON) {
		reply_export(out, format, &b);
		return;
	}
	export_buf_free(&b);
	reply_json(out, 200, json_pack("{s:o, s:o}", "entries", arr, "next",
				       more ? json_integer((json_int_t)last) : json_null()));
}
