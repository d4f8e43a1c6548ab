#include "audit/exposure.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "audit/ledger.h"
#include "audit/lifecycle.h"

/* One deployment of the asset: [from, to), to open while still deployed. */
struct ival {
	json_t *host;		/* the deployed entry's data.host (a reference) */
	json_t *from;		/* {"seq","time"} */
	json_t *to;		/* {"seq","time","type"} or NULL: still deployed */
	uint64_t from_seq, to_seq;
};

struct asset_walk {
	struct ival *iv;
	size_t n, cap;
	json_t *tenant;		/* string or NULL */
	json_t *own;		/* the asset's patch_audit entries, parsed */
};

/* An audit on the timeline: its seq and summary (AUDIT in exposure.h). */
struct audit {
	uint64_t seq;
	json_t *sum;
};

struct host_walk {
	const struct ival *iv;
	struct audit *a;
	size_t n, cap;
};

/* The fields every entry has; *e is the parsed entry (caller decrefs). */
static int parse_entry(const char *text, json_t **e, uint64_t *seq, const char **time,
		       const char **type, json_t **data)
{
	json_int_t s;

	*e = json_loads(text, 0, NULL);
	if (!*e)
		return -EIO;
	if (json_unpack(*e, "{s:I, s:s, s:s, s:o}", "seq", &s, "time", time, "type", type, "data", data) < 0 ||
	    s < 0) {
		json_decref(*e);
		*e = NULL;
		return -EIO;
	}
	*seq = (uint64_t)s;
	return 0;
}

static json_t *point(uint64_t seq, const char *time)
{
	return json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "time", time);
}

static int asset_cb(void *ctx, uint64_t seq, const char *text)
{
	struct asset_walk *w = ctx;
	struct ival *last = w->n ? &w->iv[w->n - 1] : NULL;
	const char *time, *type;
	json_t *e, *data;
	uint64_t eseq;
	int rc;

	rc = parse_entry(text, &e, &eseq, &time, &type, &data);
	if (rc < 0)
		return rc;
	(void)seq;
	if (!strcmp(type, "enrolled") && json_is_string(json_object_get(data, "tenant"))) {
		json_decref(w->tenant);
		w->tenant = json_incref(json_object_get(data, "tenant"));
	} else if (!strcmp(type, "patch_audit")) {
		if (json_array_append(w->own, e) < 0)
			rc = -ENOMEM;
	}
	/* SPEC section 5: only removed leaves deployed; the rest guard a hand-edited history */
	if (last && !last->to && (!strcmp(type, "removed") || !strcmp(type, "retired") ||
				  !strcmp(type, "destroyed") || !strcmp(type, "deployed"))) {
		last->to = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)eseq, "time", time, "type", type);
		last->to_seq = eseq;
		if (!last->to)
			rc = -ENOMEM;
	}
	if (rc == 0 && !strcmp(type, "deployed")) {
		if (w->n == EXPOSURE_INTERVALS_MAX) {
			rc = -E2BIG;
		} else if (w->n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 8;
			struct ival *t = realloc(w->iv, nc * sizeof(*t));
			if (!t)
				rc = -ENOMEM;
			else
				w->iv = t, w->cap = nc;
		}
		if (rc == 0) {
			struct ival *v = &w->iv[w->n];
			memset(v, 0, sizeof(*v));
			v->host = json_incref(json_object_get(data, "host"));
			v->from = point(eseq, time);
			v->from_seq = eseq;
			w->n++;
			if (!v->host || !v->from)
				rc = -ENOMEM;
		}
	}
	json_decref(e);
	return rc < 0 ? rc : 0;
}

/*
 * AUDIT of exposure.h for a host_audit or patch_audit entry.  A check
 * listed twice: vulnerable wins, else the last one.
 */
static json_t *audit_summary(json_t *e, uint64_t seq, const char *time, const char *type, json_t *data)
{
	json_t *sum, *checks = json_object(), *c, *v;
	size_t i;

	sum = json_pack("{s:I, s:s, s:O, s:s}", "seq", (json_int_t)seq, "time", time, "subject",
			json_object_get(e, "subject"), "type", type);
	if (!sum || !checks || json_object_set(sum, "checks", checks) < 0)
		goto fail;
	if (json_is_string(v = json_object_get(data, "scanner")) && json_object_set(sum, "scanner", v) < 0)
		goto fail;
	if (json_is_string(v = json_object_get(data, "time")) && json_object_set(sum, "scanned_at", v) < 0)
		goto fail;
	json_array_foreach(json_object_get(data, "checks"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *st = json_object_get(c, "status"), *prev;
		if (!id || !json_is_string(st))
			continue;
		prev = json_object_get(checks, id);
		if (prev && !strcmp(json_string_value(prev), "vulnerable"))
			continue;
		if (json_object_set(checks, id, st) < 0)
			goto fail;
	}
	json_decref(checks);
	return sum;
fail:
	json_decref(checks);
	json_decref(sum);
	return NULL;
}

/* Add an audit entry (parsed) to the timeline if it comes before the interval's end. */
static int add_audit(struct host_walk *w, json_t *e, uint64_t seq, const char *time, const char *type,
		     json_t *data)
{
	struct audit *t;

	if (w->iv->to && seq > w->iv->to_seq)
		return 1;
	if (w->n == EXPOSURE_AUDITS_MAX)
		return -E2BIG;
	if (w->n == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 16;
		t = realloc(w->a, nc * sizeof(*t));
		if (!t)
			return -ENOMEM;
		w->a = t, w->cap = nc;
	}
	w->a[w->n].seq = seq;
	w->a[w->n].sum = audit_summary(e, seq, time, type, data);
	if (!w->a[w->n].sum)
		return -ENOMEM;
	w->n++;
	return 0;
}

static int host_cb(void *ctx, uint64_t seq, const char *text)
{
	struct host_walk *w = ctx;
	const char *time, *type;
	json_t *e, *data;
	int rc;

	if (w->iv->to && seq > w->iv->to_seq)
		return 1;	/* entries come in seq order: the rest are later still */
	rc = parse_entry(text, &e, &seq, &time, &type, &data);
	if (rc < 0)
		return rc;
	if (!strcmp(type, "host_audit"))
		rc = add_audit(w, e, seq, time, type, data);
	json_decref(e);
	return rc;
}

static int by_seq(const void *a, const void *b)
{
	const struct audit *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The periods and vulnerable spans of one check over the interval, from its
 * state at the start (st: {"status","audit"} or NULL) and the audits inside.
 */
static json_t *check_timeline(const char *id, json_t *st, const struct ival *iv, const struct audit *in,
			      size_t nin, int *exposed, int *unknown)
{
	json_t *periods = json_array(), *vuln = json_array(), *out = NULL, *pfrom, *p;
	const char *cur = st ? json_string_value(json_object_get(st, "status")) : "unknown";
	json_t *cur_audit = st ? json_object_get(st, "audit") : NULL;
	size_t i;

	pfrom = json_incref(iv->from);
	for (i = 0; periods && vuln && i <= nin; i++) {
		const char *s = i < nin ? json_string_value(json_object_get(json_object_get(in[i].sum, "checks"), id))
					: NULL;
		json_t *to;
		if (i < nin && (!s || !strcmp(s, cur)))
			continue;
		to = i < nin ? point(in[i].seq, json_string_value(json_object_get(in[i].sum, "time")))
			     : iv->to ? point(iv->to_seq, json_string_value(json_object_get(iv->to, "time")))
				      : json_null();
		p = json_pack("{s:s, s:o, s:o, s:o}", "status", cur, "from", pfrom, "to", to, "audit",
			      cur_audit ? json_incref(cur_audit) : json_null());
		pfrom = NULL;
		if (!p || json_array_append_new(periods, p) < 0)
			goto fail;
		if (!strcmp(cur, "unknown"))
			*unknown = 1;
		if (i == nin)
			break;
		cur = s;
		cur_audit = json_object_get(in[i].sum, "seq");
		pfrom = point(in[i].seq, json_string_value(json_object_get(in[i].sum, "time")));
		if (!pfrom)
			goto fail;
	}
	if (!periods || !vuln)
		goto fail;
	json_array_foreach(periods, i, p) {
		json_t *next = json_array_get(periods, i + 1), *v;
		if (strcmp(json_string_value(json_object_get(p, "status")), "vulnerable"))
			continue;
		*exposed = 1;
		v = json_pack("{s:O, s:O, s:O, s:o}", "from", json_object_get(p, "from"), "to",
			      json_object_get(p, "to"), "since_audit", json_object_get(p, "audit"),
			      "patched_by", next ? json_incref(json_object_get(next, "audit")) : json_null());
		if (!v || json_array_append_new(vuln, v) < 0)
			goto fail;
	}
	out = json_pack("{s:s, s:O, s:O}", "id", id, "periods", periods, "vulnerable", vuln);
fail:
	json_decref(pfrom);
	json_decref(periods);
	json_decref(vuln);
	return out;
}

/* The report of one interval; the flags collect exposed/unknown for the whole report. */
static int interval_report(struct ledger *l, const struct ival *iv, json_t *own, json_t **out,
			   int *exposed, int *unknown)
{
	struct host_walk w = { .iv = iv };
	json_t *state = json_object(), *audits = json_array(), *checks = json_array(), *baseline = NULL;
	json_t *e, *v;
	const char **ids = NULL;
	const char *key;
	size_t i, nids = 0, first_in = 0;
	int rc = 0;

	*out = NULL;
	if (!state || !audits || !checks) {
		rc = -ENOMEM;
		goto out;
	}
	/* a host name that cannot be a subject was never audited: all unknown */
	if (json_is_string(iv->host)) {
		char subject[160];
		const char *h = json_string_value(iv->host);
		if (strlen(h) < sizeof(subject) - 5) {
			memcpy(subject, "host:", 5);
			memcpy(subject + 5, h, strlen(h) + 1);
			if (lifecycle_subject_valid(subject)) {
				rc = ledger_subject_entries(l, subject, 0, host_cb, &w);
				if (rc > 0)
					rc = 0;
			}
		}
	}
	json_array_foreach(own, i, e) {
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(e, "seq"));
		json_t *data = json_object_get(e, "data");
		if (rc < 0)
			break;
		if (!json_equal(json_object_get(data, "host"), iv->host))
			continue;
		rc = add_audit(&w, e, seq, json_string_value(json_object_get(e, "time")), "patch_audit", data);
		if (rc > 0)
			rc = 0;
	}
	if (rc < 0)
		goto out;
	if (w.n > 1)
		qsort(w.a, w.n, sizeof(*w.a), by_seq);
	/* before the interval: the state at its start */
	for (i = 0; i < w.n && w.a[i].seq < iv->from_seq; i++) {
		baseline = w.a[i].sum;
		json_object_foreach(json_object_get(w.a[i].sum, "checks"), key, v) {
			if (json_object_set_new(state, key, json_pack("{s:O, s:I}", "status", v, "audit",
								      (json_int_t)w.a[i].seq)) < 0) {
				rc = -ENOMEM;
				goto out;
			}
		}
	}
	first_in = i;
	for (; i < w.n; i++)
		if (json_array_append(audits, w.a[i].sum) < 0) {
			rc = -ENOMEM;
			goto out;
		}
	/* every id known at the start or listed inside, sorted */
	ids = calloc(EXPOSURE_CHECKS_MAX, sizeof(*ids));
	if (!ids) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = first_in; i <= w.n; i++) {
		json_t *m = i == w.n ? state : json_object_get(w.a[i].sum, "checks");
		json_object_foreach(m, key, v) {
			size_t k;
			for (k = 0; k < nids && strcmp(ids[k], key); k++)
				;
			if (k < nids)
				continue;
			if (nids == EXPOSURE_CHECKS_MAX) {
				rc = -E2BIG;
				goto out;
			}
			ids[nids++] = key;
		}
	}
	qsort(ids, nids, sizeof(*ids), by_str);
	for (i = 0; i < nids; i++) {
		json_t *c = check_timeline(ids[i], json_object_get(state, ids[i]), iv, w.a + first_in,
					   w.n - first_in, exposed, unknown);
		if (!c || json_array_append_new(checks, c) < 0) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (nids == 0)
		*unknown = 1;
	*out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:b, s:O}", "host", iv->host, "from", iv->from, "to",
			 iv->to ? iv->to : json_null(), "baseline", baseline ? baseline : json_null(), "audits",
			 audits, "covered", nids > 0, "checks", checks);
	if (!*out)
		rc = -ENOMEM;
out:
	for (i = 0; i < w.n; i++)
		json_decref(w.a[i].sum);
	free(w.a);
	free(ids);
	json_decref(state);
	json_decref(audits);
	json_decref(checks);
	return rc;
}

int exposure_report(struct ledger *l, const char *asset_id, json_t **out)
{
	struct asset_walk w = { 0 };
	json_t *intervals = NULL, *r;
	sqlite3 *db = ledger_sqlite(l);
	char subject[160];
	uint64_t size = 0;
	int rc, state, exposed = 0, unknown = 0, txn = 0;

	*out = NULL;
	if (!asset_id || strlen(asset_id) > 128)
		return -ENOENT;
	memcpy(subject, "asset:", 6);
	memcpy(subject + 6, asset_id, strlen(asset_id) + 1);
	if (!lifecycle_subject_valid(subject))
		return -ENOENT;
	/* one read transaction: every walk below sees the same ledger */
	if (sqlite3_get_autocommit(db)) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return -EIO;
		txn = 1;
	}
	rc = ledger_state(l, subject, &state);
	if (rc == 0 && state == LC_NONE)
		rc = -ENOENT;
	if (rc == 0)
		rc = ledger_size(l, &size);
	if (rc < 0)
		goto out;
	w.own = json_array();
	intervals = json_array();
	if (!w.own || !intervals) {
		rc = -ENOMEM;
		goto out;
	}
	rc = ledger_subject_entries(l, subject, 0, asset_cb, &w);
	for (size_t i = 0; rc == 0 && i < w.n; i++) {
		rc = interval_report(l, &w.iv[i], w.own, &r, &exposed, &unknown);
		if (rc == 0 && json_array_append_new(intervals, r) < 0)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		*out = json_pack("{s:s, s:s, s:O, s:I, s:b, s:b, s:O}", "asset_id", asset_id, "state",
				 lifecycle_state_name(state), "tenant", w.tenant ? w.tenant : json_null(),
				 "ledger_size", (json_int_t)size, "exposed", exposed, "unknown", unknown,
				 "intervals", intervals);
		if (!*out)
			rc = -ENOMEM;
	}
out:
	for (size_t i = 0; i < w.n; i++) {
		json_decref(w.iv[i].host);
		json_decref(w.iv[i].from);
		json_decref(w.iv[i].to);
	}
	free(w.iv);
	json_decref(w.tenant);
	json_decref(w.own);
	json_decref(intervals);
	if (txn)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
