/* Devices, assets and their custody events. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "audit/lwriter.h"
#include "audit/merkle.h"

/* GET /v1/assets/{id}/events pages: limit defaults to 100, at most 1000, and about 1 MiB of entries */
#define EVENTS_LIMIT 100
#define EVENTS_LIMIT_MAX 1000
#define EVENTS_BYTES_MAX (1024 * 1024)

static int first_entry(void *ctx, uint64_t seq, const char *text)
{
	json_t **e = ctx;

	(void)seq;
	*e = json_loads(text, 0, NULL);
	return 1;	/* stop: only the enrolment */
}

int api_asset_load(struct api *a, struct ledger *l, const struct req *r, const char *id, json_t **asset)
{
	char subject[200];
	json_t *e = NULL, *data, *o;
	const char *tenant;
	int st, rc;

	(void)a;
	if (strlen(id) > 128)
		return -ENOENT;
	snprintf(subject, sizeof(subject), "asset:%s", id);
	rc = ledger_state(l, subject, &st);
	if (rc < 0)
		return rc;
	if (st == LC_NONE)
		return -ENOENT;
	ledger_subject_entries(l, subject, 1, first_entry, &e);
	data = json_object_get(e, "data");
	tenant = json_string_value(json_object_get(data, "tenant"));
	if (!e || !json_is_object(data) || !tenant) {
		json_decref(e);
		return -EIO;
	}
	/* SPEC section 6: another tenant's asset does not exist for a customer */
	if (r && r->role == ROLE_CUSTOMER && strcmp(tenant, r->tok.tenant)) {
		json_decref(e);
		return -ENOENT;
	}
	o = json_deep_copy(data);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "state", json_string(lifecycle_state_name(st)));
	json_object_set(o, "enrolled_at", json_object_get(e, "time"));
	json_decref(e);
	*asset = o;
	return 0;
}

static void reply_asset(struct req *r, struct resp *out, const char *id, unsigned status)
{
	struct ledger *l = api_read_acquire(r->api);
	json_t *asset = NULL;
	int rc = api_asset_load(r->api, l, r, id, &asset);

	api_read_release(r->api, l);
	if (rc == -ENOENT)
		reply_error(out, 404, "not_found", "no asset %s", id);
	else if (rc < 0)
		reply_error(out, 500, "internal", "cannot read asset %s", id);
	else
		reply_json(out, status, asset);
}

void h_asset_get(struct req *r, struct resp *out)
{
	reply_asset(r, out, r->cap[0], 200);
}

/* data as the JSON text of a writer operation (new; NULL when out of memory) */
static char *op_text(const json_t *data, struct lw_text *t)
{
	char *s = json_dumps(data, JSON_COMPACT);

	t->text = s;
	t->len = s ? strlen(s) : 0;
	return s;
}

void h_assets_create(struct req *r, struct resp *out)
{
	json_t *body = req_json(r, out);
	struct lw_op op = { .type = LW_ENROL };
	char err[400], id[16];
	const char *serial;
	uint8_t rnd[8];
	char *b, *text;
	int rc;

	if (!body)
		return;
	if (json_object_get(body, "id") || json_object_get(body, "state")) {
		reply_error(out, 400, "bad_request", "id and state are assigned by the service");
		goto out;
	}
	serial = json_string_value(json_object_get(body, "serial"));
	if (serial && strlen(serial) > 128) {
		reply_error(out, 400, "bad_request", "serial is at most 128 bytes");
		goto out;
	}
	/*
	 * A serial already enrolled is refused by ledger_append inside the write
	 * transaction (409, "a drive with serial ... is already enrolled as
	 * asset ..."): a check on a read connection here would let two
	 * concurrent enrolments of one serial both pass.
	 */
	crypto_random(rnd, sizeof(rnd));
	b = b64_encode(rnd, sizeof(rnd), B64_URL);
	snprintf(id, sizeof(id), "%s", b ? b : "");
	free(b);
	snprintf(op.in.enrol.asset_id, sizeof(op.in.enrol.asset_id), "%s", id);
	req_caller(r, &op.caller);
	text = op_text(body, &op.in.enrol.data);
	rc = text ? api_write(r->api, &op, err, sizeof(err)) : -ENOMEM;
	free(text);
	free(op.out.entry.entry);
	if (rc == -ENOMEM && !text)
		snprintf(err, sizeof(err), "out of memory");
	if (rc < 0) {
		reply_errno(out, rc, err);
		goto out;
	}
	reply_asset(r, out, id, 201);
out:
	json_decref(body);
}

struct list_ctx {
	struct req *r;
	struct ledger *l;
	json_t *arr;
	char last[160];
	size_t n;
};

static int list_one(void *ctx, const char *id, const char *state)
{
	struct list_ctx *c = ctx;
	json_t *asset = NULL;

	(void)state;
	if (api_asset_load(c->r->api, c->l, c->r, id, &asset) < 0)
		return 0;
	json_array_append_new(c->arr, asset);
	snprintf(c->last, sizeof(c->last), "%s", id);
	c->n++;
	return 0;
}

void h_assets_list(struct req *r, struct resp *out)
{
	struct ledger *l;
	sqlite3_stmt *s = NULL;
	const char *after = req_query(r, "after"), *state = req_query(r, "state");
	uint64_t limit = 100;
	struct list_ctx c = { .r = r, .arr = json_array() };
	char from[200];
	int rc;

	rc = req_query_u64(r, "limit", &limit);
	if (rc == -EINVAL || limit == 0 || limit > 1000) {
		json_decref(c.arr);
		reply_error(out, 400, "bad_request", "limit must be 1..1000");
		return;
	}
	if (state && lifecycle_state_parse(state) < 0) {
		json_decref(c.arr);
		reply_error(out, 400, "bad_request", "unknown state '%.40s'", state);
		return;
	}
	if (after && strlen(after) >= 150) {
		json_decref(c.arr);
		reply_error(out, 400, "bad_request", "after is an asset id: at most 128 bytes");
		return;
	}
	l = c.l = api_read_acquire(r->api);
	if (r->role == ROLE_CUSTOMER) {
		/* the tenant's own assets by an index: never a walk through every tenant's (issue 11) */
		rc = ledger_tenant_assets(l, r->tok.tenant, after, state, (size_t)limit, list_one, &c);
		api_read_release(r->api, l);
		if (rc < 0) {
			json_decref(c.arr);
			reply_error(out, 500, "internal", "cannot list assets");
			return;
		}
		reply_json(out, 200, json_pack("{s:o, s:s?}", "assets", c.arr, "next", c.n == limit ? c.last : NULL));
		return;
	}
	snprintf(from, sizeof(from), "asset:%s", after ? after : "");
	if (sqlite3_prepare_v2(ledger_sqlite(l), "SELECT substr(subject, 7), state FROM subjects WHERE subject > ?"
			       " AND subject < 'asset;' ORDER BY subject", -1, &s, NULL) != SQLITE_OK) {
		api_read_release(r->api, l);
		json_decref(c.arr);
		reply_error(out, 500, "internal", "cannot list assets");
		return;
	}
	sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
	while (c.n < limit && sqlite3_step(s) == SQLITE_ROW) {
		if (state && strcmp(state, (const char *)sqlite3_column_text(s, 1)))
			continue;
		list_one(&c, (const char *)sqlite3_column_text(s, 0), NULL);
	}
	sqlite3_finalize(s);
	api_read_release(r->api, l);
	reply_json(out, 200, json_pack("{s:o, s:s?}", "assets", c.arr, "next", c.n == limit ? c.last : NULL));
}

void h_events_create(struct req *r, struct resp *out)
{
	json_t *body = req_json(r, out), *data, *v, *entry;
	struct lw_op op = { .type = LW_APPEND };
	const char *type;
	char err[400], *text;
	const char *key;
	struct ledger *l;
	char hex[65];
	uint8_t leaf[32];
	int rc, st;

	if (!body)
		return;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "type") && strcmp(key, "data")) {
			reply_error(out, 400, "bad_request", "unknown member '%.60s' (want type, data)", key);
			goto out;
		}
	}
	type = json_string_value(json_object_get(body, "type"));
	data = json_object_get(body, "data");
	if (!type) {
		reply_error(out, 400, "bad_request", "type is required: a string");
		goto out;
	}
	if (!lifecycle_type_known(type)) {
		reply_error(out, 400, "bad_request", "unknown event type '%.60s'", type);
		goto out;
	}
	if (lifecycle_type_service_only(type) || !strcmp(type, "enrolled") || !strcmp(type, "host_audit")) {
		reply_error(out, 400, "bad_request", "%s is not an event a client records here%s", type,
			    !strcmp(type, "enrolled") ? " (POST /v1/assets enrols)" : " (the service writes it)");
		goto out;
	}
	if (data && !json_is_object(data)) {
		reply_error(out, 400, "bad_request", "data must be a JSON object");
		goto out;
	}
	/* technicians see every tenant: existence is all there is to check here */
	snprintf(op.in.append.subject, sizeof(op.in.append.subject), "asset:%s", r->cap[0]);
	snprintf(op.in.append.type, sizeof(op.in.append.type), "%s", type);
	l = api_read_acquire(r->api);
	rc = ledger_state(l, op.in.append.subject, &st);
	api_read_release(r->api, l);
	if (rc < 0 || st == LC_NONE) {
		reply_error(out, 404, "not_found", "no asset %s", r->cap[0]);
		goto out;
	}
	req_caller(r, &op.caller);
	if (data)
		text = op_text(data, &op.in.append.data);
	else {
		op.in.append.data = (struct lw_text){ "{}", 2 };
		text = NULL;
	}
	rc = data && !text ? -ENOMEM : api_write(r->api, &op, err, sizeof(err));
	free(text);
	if (rc == -ENOMEM && data && !text)
		snprintf(err, sizeof(err), "out of memory");
	if (rc < 0) {
		reply_errno(out, rc, err);
		goto out;
	}
	entry = json_loads(op.out.entry.entry, 0, NULL);
	merkle_leaf_hash(op.out.entry.entry, strlen(op.out.entry.entry), leaf);
	hex_encode(leaf, 32, hex);
	reply_json(out, 201, json_pack("{s:I, s:o, s:s}", "seq", (json_int_t)op.out.entry.seq, "entry", entry,
				       "leaf_hash", hex));
	free(op.out.entry.entry);
out:
	json_decref(body);
}

struct events_ctx {
	json_t *arr;
	size_t n, limit, bytes;
	uint64_t last;
	int more;
};

static int collect(void *ctx, uint64_t seq, const char *text, size_t len)
{
	struct events_ctx *c = ctx;
	json_t *e;

	/* a full page, or the byte cap (one entry always fits: it is at most 64 KiB of data) */
	if (c->n == c->limit || (c->n && c->bytes + len > EVENTS_BYTES_MAX)) {
		c->more = 1;
		return 1;
	}
	e = json_loadb(text, len, 0, NULL);
	if (!e || json_array_append_new(c->arr, e) < 0)
		return -ENOMEM;
	c->n++;
	c->bytes += len;
	c->last = seq;
	return 0;
}

void h_events_list(struct req *r, struct resp *out)
{
	struct events_ctx c = { .arr = json_array(), .limit = EVENTS_LIMIT };
	struct ledger *l;
	json_t *asset = NULL;
	char subject[200];
	uint64_t limit = EVENTS_LIMIT, after = 0;
	int has_after, rc;

	rc = req_query_u64(r, "limit", &limit);
	if (rc == -EINVAL || limit == 0 || limit > EVENTS_LIMIT_MAX) {
		json_decref(c.arr);
		reply_error(out, 400, "bad_request", "limit must be 1..%d", EVENTS_LIMIT_MAX);
		return;
	}
	has_after = req_query_u64(r, "after", &after);
	if (has_after == -EINVAL || (has_after == 0 && after > INT64_MAX)) {
		json_decref(c.arr);
		reply_error(out, 400, "bad_request", "after must be a decimal seq (the next of the previous page)");
		return;
	}
	c.limit = (size_t)limit;
	l = api_read_acquire(r->api);
	rc = api_asset_load(r->api, l, r, r->cap[0], &asset);
	if (rc == 0) {
		snprintf(subject, sizeof(subject), "asset:%s", r->cap[0]);
		/* one more than the page, to know whether another follows */
		rc = ledger_subject_page(l, subject, has_after == 0 ? (int64_t)after : -1, c.limit + 1, collect, &c);
		if (rc == 1)
			rc = 0;
	}
	api_read_release(r->api, l);
	json_decref(asset);
	if (rc == -ENOENT)
		reply_error(out, 404, "not_found", "no asset %s", r->cap[0]);
	else if (rc < 0)
		reply_error(out, 500, "internal", "cannot read the events");
	else {
		/* next: the seq to pass as after for the following page, null on the last page */
		reply_json(out, 200, json_pack("{s:s, s:o, s:o}", "asset_id", r->cap[0], "events", c.arr, "next",
					       c.more ? json_integer((json_int_t)c.last) : json_null()));
		return;
	}
	json_decref(c.arr);
}
