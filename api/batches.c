/*
 * Batches (issue 13, SPEC section 10): one request wipes many drives, each
 * as its own job under the station's concurrency limit (--max-jobs), with
 * one view of every drive and one cancel.  A batch is its drives' jobs: each
 * job's sanitize_started records the batch_id, so a batch of an earlier run
 * is read back from the ledger; what a batch kept only in memory is which
 * drives were refused before a job could start (the last BATCHES_MAX batches).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/station.h"
#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "core/wiprec.h"
#include "util/xio.h"

#define BATCHES_MAX 256
#define BATCH_DRIVES_MAX 256

struct batch {
	char id[24];
	char method[32], verify[8], created_at[25];
	json_t *drives;		/* [{asset_id, device, job_id|null, refusal|null}] as started */
};

struct batches {
	pthread_mutex_t m;
	struct batch *ring[BATCHES_MAX];
	size_t n, head;
};

struct batches *batches_new(void)
{
	struct batches *b = calloc(1, sizeof(*b));

	if (b)
		pthread_mutex_init(&b->m, NULL);
	return b;
}

void batches_free(struct batches *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct batch *x = b->ring[(b->head + i) % BATCHES_MAX];
		json_decref(x->drives);
		free(x);
	}
	pthread_mutex_destroy(&b->m);
	free(b);
}

static void keep(struct batches *b, struct batch *x)
{
	pthread_mutex_lock(&b->m);
	if (b->n == BATCHES_MAX) {
		struct batch *old = b->ring[b->head];
		json_decref(old->drives);
		free(old);
		b->ring[b->head] = x;
		b->head = (b->head + 1) % BATCHES_MAX;
	} else {
		b->ring[(b->head + b->n++) % BATCHES_MAX] = x;
	}
	pthread_mutex_unlock(&b->m);
}

/* The drives as started of batch id, a new reference, or NULL if this run does not know it. */
static json_t *kept(struct batches *b, const char *id, char method[32], char verify[8], char created[25])
{
	json_t *d = NULL;

	if (!b)
		return NULL;
	pthread_mutex_lock(&b->m);
	for (size_t i = 0; i < b->n && !d; i++) {
		struct batch *x = b->ring[(b->head + i) % BATCHES_MAX];
		if (!strcmp(x->id, id)) {
			d = json_deep_copy(x->drives);
			snprintf(method, 32, "%s", x->method);
			snprintf(verify, 8, "%s", x->verify);
			snprintf(created, 25, "%s", x->created_at);
		}
	}
	pthread_mutex_unlock(&b->m);
	return d;
}

/* A batch of an earlier run, from its jobs' sanitize_started entries; NULL if none has it. */
static json_t *from_ledger(struct api *a, const char *id, char method[32], char verify[8], char created[25])
{
	struct ledger *l = api_read_acquire(a);
	sqlite3_stmt *s = NULL;
	json_t *d = json_array();

	if (d && sqlite3_prepare_v2(ledger_sqlite(l), "SELECT substr(subject, 7), entry FROM entries"
				    " WHERE type = 'sanitize_started' AND json_extract(entry, '$.data.batch_id') = ?1"
				    " ORDER BY seq", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			json_t *e = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
			json_t *ed = json_object_get(e, "data");
			if (!json_array_size(d)) {
				snprintf(method, 32, "%s", json_string_value(json_object_get(ed, "method")) ?: "");
				snprintf(verify, 8, "%s", json_string_value(json_object_get(ed, "verify")) ?: "");
				snprintf(created, 25, "%s", json_string_value(json_object_get(e, "time")) ?: "");
			}
			json_array_append_new(d, json_pack("{s:s, s:O?, s:O?, s:n}", "asset_id",
							   (const char *)sqlite3_column_text(s, 0),
							   "device", json_object_get(ed, "device"),
							   "job_id", json_object_get(ed, "job_id"), "refusal"));
			json_decref(e);
		}
	}
	sqlite3_finalize(s);
	api_read_release(a, l);
	if (d && !json_array_size(d)) {
		json_decref(d);
		d = NULL;
	}
	return d;
}

/* The batch's view: every drive with its job as it is now, the counts, and the batch's state. */
static json_t *view(struct api *a, const char *id, json_t *drives, const char *method, const char *verify,
		    const char *created)
{
	static const char *states[] = { "queued", "running", "verifying", "completed", "failed", "cancelled" };
	json_int_t count[7] = { 0 };
	size_t i;
	json_t *dr, *o;
	int live = 0;

	json_array_foreach(drives, i, dr) {
		const char *jid = json_string_value(json_object_get(dr, "job_id"));
		json_t *jv = jid ? jobs_view(a, jid) : NULL;
		const char *st = json_string_value(json_object_get(jv, "state"));
		size_t k;

		for (k = 0; st && k < 6 && strcmp(st, states[k]); k++)
			;
		if (!jid)
			count[6]++;
		else if (st && k < 6)
			count[k]++;
		live |= st && k < 3;
		json_object_set_new(dr, "job", jv ? jv : json_null());
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:O}",
		      "id", id, "method", method, "verify", verify, "created_at", created,
		      "state", live ? "running" : count[4] || count[5] || count[6] ? "ended_with_failures" : "completed",
		      "counts", "queued", count[0], "running", count[1], "verifying", count[2], "completed", count[3],
		      "failed", count[4], "cancelled", count[5], "refused", count[6], "drives", drives);
	return o;
}

/* The outcome of one drive's jobs_create answer: its job id, or its refusal. */
static json_t *drive_outcome(const char *asset_id, const char *device, const struct resp *rs)
{
	json_t *b = rs->body ? json_loadb(rs->body, rs->len, 0, NULL) : NULL, *e = json_object_get(b, "error"), *o;

	if (rs->status == 202)
		o = json_pack("{s:s, s:s, s:O?, s:n}", "asset_id", asset_id, "device", device, "job_id",
			      json_object_get(b, "id"), "refusal");
	else
		o = json_pack("{s:s, s:s?, s:n, s:{s:i, s:O?, s:O?, s:O?}}", "asset_id", asset_id, "device", device,
			      "job_id", "refusal", "status", (int)rs->status, "code", json_object_get(e, "code"),
			      "reason", json_object_get(e, "reason"), "message", json_object_get(e, "message"));
	json_decref(b);
	return o;
}

static int valid_id(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 128 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The asset ids of the retired assets whose drives are present, a new array. */
static json_t *present_retired(struct api *a)
{
	json_t *present = station_present(a->station), *ids = json_array(), *p;
	struct ledger *l = api_read_acquire(a);
	size_t i;

	json_array_foreach(present, i, p) {
		char id[160], media[16], subject[200];
		int st;
		const char *identity = json_string_value(json_object_get(p, "identity"));

		if (!identity || !identity[0] ||
		    wiprec_find_asset(l, identity, json_string_value(json_object_get(p, "wwn")), id, sizeof(id),
				      media, sizeof(media)) < 0)
			continue;
		snprintf(subject, sizeof(subject), "asset:%s", id);
		if (ledger_state(l, subject, &st) == 0 && st == LC_RETIRED)
			json_array_append_new(ids, json_string(id));
	}
	api_read_release(a, l);
	json_decref(present);
	return ids;
}

void h_batches_create(struct req *r, struct resp *out)
{
	struct api *a = r->api;
	json_t *body = req_json(r, out), *ids = NULL, *drives = NULL, *v, *unknown;
	const char *method = NULL, *verify = "full", *key, *on_error = NULL;
	struct jobs_opt opt;
	struct batches *reg = a->batches;
	struct batch *x = NULL;
	int all = 0;
	size_t i;
	uint8_t rnd[9];
	char *b;

	if (!body)
		return;
	json_object_foreach(body, key, unknown) {
		if (strcmp(key, "asset_ids") && strcmp(key, "all_present_retired") && strcmp(key, "method") &&
		    strcmp(key, "verify") && strcmp(key, "on_error")) {
			reply_error(out, 400, "bad_request", "unknown member '%.60s' (want asset_ids or "
				    "all_present_retired, method, verify)", key);
			goto out;
		}
	}
	if (json_unpack(body, "{s:s, s?s, s?o, s?b, s?s}", "method", &method, "verify", &verify, "asset_ids", &ids,
			"all_present_retired", &all, "on_error", &on_error) < 0 || (!ids == !all) ||
	    jobs_options(on_error, NULL, &opt) < 0 ||
	    (ids && (!json_is_array(ids) || !json_array_size(ids) || json_array_size(ids) > BATCH_DRIVES_MAX))) {
		reply_error(out, 400, "bad_request", "give method and either asset_ids (1 to %d asset ids) or "
			    "all_present_retired: true", BATCH_DRIVES_MAX);
		goto out;
	}
	if (!jobs_method_known(method) || (strcmp(verify, "full") && strcmp(verify, "sample"))) {
		reply_error(out, 400, "bad_request", "unknown method '%.60s', or verify not full or sample", method);
		goto out;
	}
	if (ids) {
		json_array_foreach(ids, i, v) {
			if (!json_is_string(v) || !valid_id(json_string_value(v))) {
				reply_error(out, 400, "bad_request", "asset_ids[%zu] is not an asset id", i);
				goto out;
			}
			for (size_t k = 0; k < i; k++)
				if (json_equal(v, json_array_get(ids, k))) {
					reply_error(out, 400, "bad_request", "asset %s is named twice", json_string_value(v));
					goto out;
				}
		}
		ids = json_incref(ids);
	} else {
		ids = present_retired(a);
	}
	x = calloc(1, sizeof(*x));
	drives = json_array();
	if (!x || !drives || !reg) {
		reply_error(out, 500, "internal", "out of memory");
		goto out;
	}
	crypto_random(rnd, sizeof(rnd));
	b = b64_encode(rnd, sizeof(rnd), B64_URL);
	snprintf(x->id, sizeof(x->id), "bat_%s", b ? b : "x");
	free(b);
	snprintf(x->method, sizeof(x->method), "%s", method);
	snprintf(x->verify, sizeof(x->verify), "%s", verify);
	xtime_rfc3339(x->created_at);
	/* each drive as its own job: the same checks, the same records, the station's concurrency limit */
	json_array_foreach(ids, i, v) {
		const char *asset_id = json_string_value(v);
		struct ledger *l = api_read_acquire(a);
		json_t *asset = NULL;
		char dev[PATH_MAX] = "";
		int rc = api_asset_load(a, l, r, asset_id, &asset);

		api_read_release(a, l);
		if (rc == 0 && station_device_of(a->station, json_string_value(json_object_get(asset, "serial")), dev,
						 sizeof(dev)) < 0)
			rc = -ENODEV;
		json_decref(asset);
		if (rc < 0) {
			json_array_append_new(drives, json_pack("{s:s, s:n, s:n, s:{s:i, s:s, s:s, s:s}}", "asset_id",
								asset_id, "device", "job_id", "refusal", "status",
								rc == -ENODEV ? 409 : 404, "code",
								rc == -ENODEV ? "conflict" : "not_found", "reason",
								rc == -ENODEV ? "not_present" : "no_asset", "message",
								rc == -ENODEV ? "no drive with this asset's identity is present"
									      : "no such asset"));
			continue;
		}
		{
			struct resp rs = { 0 };
			jobs_create(r, asset_id, dev, method, verify, x->id, &opt, &rs);
			json_array_append_new(drives, drive_outcome(asset_id, dev, &rs));
			free(rs.body);
		}
	}
	x->drives = json_incref(drives);
	keep(reg, x);
	reply_json(out, 202, view(a, x->id, json_deep_copy(drives), x->method, x->verify, x->created_at));
	x = NULL;
out:
	free(x);
	json_decref(drives);
	json_decref(ids);
	json_decref(body);
}

/* The drives of batch r->cap[0] into *drives, from this run or the ledger: 0, or -ENOENT. */
static int find(struct req *r, json_t **drives, char method[32], char verify[8], char created[25])
{
	*drives = kept(r->api->batches, r->cap[0], method, verify, created);
	if (!*drives)
		*drives = from_ledger(r->api, r->cap[0], method, verify, created);
	return *drives ? 0 : -ENOENT;
}

void h_batch_get(struct req *r, struct resp *out)
{
	char method[32], verify[8], created[25];
	json_t *drives;

	if (find(r, &drives, method, verify, created) < 0) {
		reply_error(out, 404, "not_found", "no batch %s", r->cap[0]);
		return;
	}
	reply_json(out, 200, view(r->api, r->cap[0], drives, method, verify, created));
}

void h_batch_cancel(struct req *r, struct resp *out)
{
	char method[32], verify[8], created[25];
	json_t *drives, *dr;
	size_t i;

	if (find(r, &drives, method, verify, created) < 0) {
		reply_error(out, 404, "not_found", "no batch %s", r->cap[0]);
		return;
	}
	json_array_foreach(drives, i, dr) {
		const char *jid = json_string_value(json_object_get(dr, "job_id"));
		if (jid)
			jobs_cancel(r->api->jobs, jid);
	}
	reply_json(out, 202, view(r->api, r->cap[0], drives, method, verify, created));
}
