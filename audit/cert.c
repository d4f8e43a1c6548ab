#include "audit/cert.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "audit/b64.h"
#include "audit/jws.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "audit/merkle.h"
#include "audit/nist.h"
#include "audit/note.h"
#include "util/xio.h"

/*
 * Append-only like the ledger's tables: a certificate once issued is never
 * rewritten; its later status comes from later ledger entries.  UNIQUE on
 * completed_seq is "one certificate per sanitization" in the schema itself.
 */
static const char cert_schema[] =
	"CREATE TABLE IF NOT EXISTS certificates(id TEXT PRIMARY KEY, asset_id TEXT NOT NULL,"
	" jws TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, completed_seq INTEGER NOT NULL UNIQUE,"
	" issued_seq INTEGER NOT NULL UNIQUE);"
	"CREATE INDEX IF NOT EXISTS certificates_by_asset ON certificates(asset_id);"
	"CREATE TRIGGER IF NOT EXISTS certificates_no_update BEFORE UPDATE ON certificates"
	" BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS certificates_no_delete BEFORE DELETE ON certificates"
	" BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;";

/* A string member of o, or NULL. */
static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* ---- the asset's history ---- */

struct history {
	uint64_t after;			/* only entries past this seq count as "later" */
	json_t *enrolled;		/* the enrolled entry */
	json_t *completed;		/* the last sanitize_completed entry */
	uint64_t completed_seq;
	json_t *shipped, *destroyed;	/* the last ones after `after` */
	uint64_t shipped_seq, destroyed_seq;
	json_t *custody;		/* custody_transfer entries after `after` */
	json_t *deployed;		/* the last deployed entry so far, and the removal after it */
	json_t *removed_at;
	json_t *last_host;		/* media.last_host as of the last sanitize_completed */
};

static void history_clear(struct history *h)
{
	json_decref(h->enrolled);
	json_decref(h->completed);
	json_decref(h->shipped);
	json_decref(h->destroyed);
	json_decref(h->custody);
	json_decref(h->deployed);
	json_decref(h->removed_at);
	json_decref(h->last_host);
	memset(h, 0, sizeof(*h));
}

/*
 * The host the drive was removed from: the last deployed entry before the
 * sanitization (its host, slot and site, string members only) and when it
 * was removed.  NULL if the drive was never deployed.
 */
static json_t *last_host(const struct history *h)
{
	static const char *const names[] = { "host", "slot", "site" };
	const json_t *d = json_object_get(h->deployed, "data");
	json_t *o;

	if (!h->deployed || !json_is_string(json_object_get(d, "host")))
		return NULL;
	o = json_object();
	for (size_t i = 0; o && i < sizeof(names) / sizeof(names[0]); i++)
		if (json_is_string(json_object_get(d, names[i])))
			json_object_set(o, names[i], json_object_get(d, names[i]));
	if (o && json_is_string(json_object_get(h->deployed, "time")))
		json_object_set(o, "deployed_at", json_object_get(h->deployed, "time"));
	if (o && h->removed_at)
		json_object_set(o, "removed_at", h->removed_at);
	return o;
}

static int history_fn(void *ctx, uint64_t seq, const char *text)
{
	struct history *h = ctx;
	json_t *e = json_loads(text, 0, NULL);
	const char *type = str(e, "type");
	json_t **slot = NULL;

	if (!type) {
		json_decref(e);
		return -EINVAL;
	}
	if (!strcmp(type, "enrolled") && !h->enrolled) {
		slot = &h->enrolled;
	} else if (!strcmp(type, "deployed")) {
		/* SPEC section 3: deployed carries host, and may carry slot and site */
		json_decref(h->removed_at);
		h->removed_at = NULL;
		slot = &h->deployed;
	} else if (!strcmp(type, "removed")) {
		if (h->deployed && !h->removed_at && json_is_string(json_object_get(e, "time")))
			h->removed_at = json_incref(json_object_get(e, "time"));
	} else if (!strcmp(type, "sanitize_completed")) {
		slot = &h->completed;
		h->completed_seq = seq;
		json_decref(h->last_host);
		h->last_host = last_host(h);
	} else if (seq > h->after && !strcmp(type, "shipped")) {
		slot = &h->shipped;
		h->shipped_seq = seq;
	} else if (seq > h->after && !strcmp(type, "destroyed")) {
		slot = &h->destroyed;
		h->destroyed_seq = seq;
	} else if (seq > h->after && !strcmp(type, "custody_transfer")) {
		json_t *c = json_pack("{s:I, s:O?, s:O?}", "seq", (json_int_t)seq, "date",
				      json_object_get(e, "time"), "data", json_object_get(e, "data"));
		if (!h->custody)
			h->custody = json_array();
		if (c && h->custody)
			json_array_append_new(h->custody, c);
		else
			json_decref(c);
	}
	if (slot) {
		json_decref(*slot);
		*slot = e;
		return 0;
	}
	json_decref(e);
	return 0;
}

static int history_load(struct ledger *l, const char *subject, uint64_t after, struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->after = after;
	return ledger_subject_entries(l, subject, 0, history_fn, h);
}

/* ---- request validation ---- */

/* NIST SP 800-88 Rev. 2 4.6: who performed and who validated, each with a date and a place */
static const char *const person_fields[] = { "name", "title", "organization", "location", "phone", "date" };

/* A string of at most cap bytes, no NUL, no control characters (newline too unless multiline). */
static int text_ok(const json_t *v, size_t cap, int multiline)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (!s || n > cap || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f)
			return 0;
	}
	return 1;
}

/* n decimal digits at s, their value in *v; 0 if any is not a digit. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/*
 * RFC 3339 5.6 full-date ("2026-01-31") or date-time in UTC
 * ("2026-01-31T10:20:00Z", fractions allowed), with the ranges of 5.7: a
 * validation dated February 30th is refused, not signed.
 */
int cert_date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec;
	size_t i;

	if (!s || strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return 0;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	if (!s[10])
		return 1;
	if (s[10] != 'T' || strlen(s) < 20 || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 60)
		return 0;
	i = 19;
	if (s[i] == '.') {
		size_t f = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f || i - f > 9)
			return 0;
	}
	return s[i] == 'Z' && !s[i + 1];
}

static int check_person(const char *what, const json_t *p, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	if (!json_is_object(p))
		return xerr(err, errlen, -EINVAL, "invalid request: %s must be an object", what);
	json_object_foreach((json_t *)p, k, v) {
		size_t i;
		for (i = 0; i < sizeof(person_fields) / sizeof(person_fields[0]); i++)
			if (!strcmp(k, person_fields[i]))
				break;
		if (i == sizeof(person_fields) / sizeof(person_fields[0]))
			return xerr(err, errlen, -EINVAL,
				      "invalid request: unknown member %s.%.64s (want name, title, organization,"
				      " location, phone, date)", what, k);
		if (!text_ok(v, CERT_STR_MAX, 0))
			return xerr(err, errlen, -EINVAL,
				      "invalid request: %s.%s must be a string of at most %d bytes without"
				      " control characters", what, k, CERT_STR_MAX);
		if (!strcmp(k, "date") && !cert_date_valid(json_string_value(v)))
			return xerr(err, errlen, -EINVAL,
				      "invalid request: %s.date must be an RFC 3339 date (2026-01-31) or UTC"
				      " date-time (2026-01-31T10:20:00Z), got '%.40s'", what, json_string_value(v));
	}
	return 0;
}

static int check_request(const json_t *req, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	int rc;

	if (!req)
		return 0;
	if (!json_is_object(req))
		return xerr(err, errlen, -EINVAL, "invalid request: the body must be a JSON object");
	json_object_foreach((json_t *)req, k, v) {
		if (!strcmp(k, "performed_by") || !strcmp(k, "validated_by")) {
			rc = check_person(k, v, err, errlen);
			if (rc < 0)
				return rc;
			/* Rev. 2 4.5.2: a validation is someone's; a nameless one would imply what nobody did */
			if (!strcmp(k, "validated_by") && !json_object_get(v, "name"))
				return xerr(err, errlen, -EINVAL,
					      "invalid request: validated_by needs the validator's name");
		} else if (!strcmp(k, "destination") || !strcmp(k, "post_sanitization_classification")) {
			if (!text_ok(v, CERT_STR_MAX, 0))
				return xerr(err, errlen, -EINVAL,
					      "invalid request: %s must be a string of at most %d bytes without"
					      " control characters", k, CERT_STR_MAX);
		} else if (!strcmp(k, "notes")) {
			if (!text_ok(v, CERT_NOTES_MAX, 1))
				return xerr(err, errlen, -EINVAL,
					      "invalid request: notes must be a string of at most %d bytes",
					      CERT_NOTES_MAX);
		} else {
			return xerr(err, errlen, -EINVAL,
				      "invalid request: unknown member %.64s (want performed_by, validated_by,"
				      " destination, notes, post_sanitization_classification)", k);
		}
	}
	return 0;
}

/* ---- the payload (NIST SP 800-88 Rev. 2 4.6, the sanitization record; Appendix C) ---- */

/* Copy the named members of src that exist into dst. */
static void copy_members(json_t *dst, const json_t *src, const char *const *names)
{
	for (; *names; names++) {
		json_t *v = json_object_get(src, *names);
		if (v)
			json_object_set(dst, *names, v);
	}
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

/* "Method details": what a reader of the paper certificate needs in a line. */
static json_t *method_details(const json_t *d, const char *method)
{
	const json_t *ver = json_object_get(d, "verification");
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "%s", method);
	if (json_is_integer(json_object_get(d, "passes")))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", %lld pass(es)",
			      (long long)json_integer_value(json_object_get(d, "passes")));
	if (json_is_integer(json_object_get(d, "bytes_written")))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ", %lld bytes written",
			      (long long)json_integer_value(json_object_get(d, "bytes_written")));
	if (str(ver, "method") && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ", %s read-back verification %s",
			 str(ver, "method"), str(ver, "result") ? str(ver, "result") : "");
	return json_string(buf);
}

/*
 * A person block of the request with its date: the request's own, else
 * fallback (NULL: none).  New reference, or NULL if p is absent.
 */
static json_t *person_json(const json_t *p, const char *fallback_date)
{
	json_t *o;

	if (!json_is_object(p))
		return NULL;
	o = json_deep_copy(p);
	if (o && !json_object_get(o, "date") && fallback_date)
		json_object_set_new(o, "date", json_string(fallback_date));
	return o;
}

/*
 * The exceptions the job recorded, as given (an array of objects): a
 * certificate with one is never a plain pass.  Anything else in the field is
 * not an exception list and is not carried (the entry was not written by us).
 */
static json_t *exceptions_of(const json_t *cd)
{
	const json_t *x = json_object_get(cd, "exceptions");
	json_t *a = json_array(), *e;
	size_t i;

	if (!a || !json_is_array(x))
		return a;
	json_array_foreach(x, i, e)
		if (json_is_object(e))
			json_array_append(a, e);
	return a;
}

/* ---- the station's evidence (issue 13) ---- */

/*
 * The members of src named in names whose values are strings, integers,
 * booleans or null: the scalars a record of ours holds there.  Anything else
 * (an array, an object, a member we do not know) is not carried.
 */
static json_t *scalars(const json_t *src, const char *const *names)
{
	json_t *o = json_object();

	for (size_t i = 0; o && names[i]; i++) {
		json_t *v = json_object_get(src, names[i]);
		if (v && (json_is_string(v) || json_is_integer(v) || json_is_boolean(v) || json_is_null(v)))
			json_object_set(o, names[i], v);
	}
	return o;
}

/* at most this many points in the payload's speed profile; the samples are at most 600 (wipe.h) */
#define SPEED_POINTS 60
#define SPEED_SAMPLES_MAX 600

/*
 * A compact speed summary from the written_bytes samples: the count, the
 * interval, the average over the write samples (those with bytes written),
 * their minimum and maximum (the last write sample may cover part of an
 * interval and counts for neither when there are others), and a profile of at
 * most 60 points (consecutive samples averaged) for the chart.  All integers,
 * in bytes per second.  The sample arrays themselves (up to 2 x 600 numbers)
 * stay in the ledger, not in the JWS.  NULL if the samples are malformed.
 */
static json_t *speed_summary(const json_t *sp)
{
	const json_t *w = json_object_get(sp, "written_bytes"), *ivj = json_object_get(sp, "interval_ms");
	size_t n = json_array_size(w), nw = 0, lastw = 0, bucket, i;
	uint64_t sum = 0, min = UINT64_MAX, max = 0, v;
	json_int_t iv = json_integer_value(ivj);
	json_t *prof, *o;

	if (!json_is_integer(ivj) || iv <= 0 || iv > 3600000 || !json_is_array(w) || n == 0 ||
	    n > SPEED_SAMPLES_MAX)
		return NULL;
	for (i = 0; i < n; i++) {
		json_t *x = json_array_get(w, i);
		/* 17.6 TB in one sample is no drive's; under it every sum and product below fits 64 bits */
		if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > (json_int_t)1 << 44)
			return NULL;
		if (json_integer_value(x) > 0)
			nw++, lastw = i;
	}
	for (i = 0; i < n; i++) {
		v = (uint64_t)json_integer_value(json_array_get(w, i));
		sum += v;
		if (v && (i != lastw || nw == 1)) {
			min = v < min ? v : min;
			max = v > max ? v : max;
		}
	}
	bucket = (n + SPEED_POINTS - 1) / SPEED_POINTS;
	prof = json_array();
	for (i = 0; prof && i < n; i += bucket) {
		size_t m = i + bucket <= n ? bucket : n - i;
		uint64_t s = 0;
		for (size_t j = 0; j < m; j++)
			s += (uint64_t)json_integer_value(json_array_get(w, i + j));
		json_array_append_new(prof, json_integer((json_int_t)(s * 1000 / (m * (uint64_t)iv))));
	}
	o = json_pack("{s:I, s:I, s:I, s:o}", "interval_ms", (json_int_t)iv, "samples", (json_int_t)n,
		      "write_samples", (json_int_t)nw, "profile_bytes_per_s", prof ? prof : json_array());
	if (o && nw) {
		json_object_set_new(o, "write_avg_bytes_per_s", json_integer((json_int_t)(sum * 1000 / (nw * (uint64_t)iv))));
		json_object_set_new(o, "write_min_bytes_per_s", json_integer((json_int_t)(min * 1000 / (uint64_t)iv)));
		json_object_set_new(o, "write_max_bytes_per_s", json_integer((json_int_t)(max * 1000 / (uint64_t)iv)));
	}
	if (o)
		json_object_set_new(o, "profile_interval_ms", json_integer((json_int_t)bucket * iv));
	return o;
}

/*
 * Issue 13: what the station recorded about the drive and itself, in the
 * sanitization details: health before and after (drivers/health.c
 * health_to_json's scalars; the ATA attribute table stays in the ledger),
 * the station's DMI identifiers, an HPA restore that was performed, and the
 * speed summary.  Each only when the record has it.
 */
static void evidence(json_t *san, const json_t *cd)
{
	static const char *const health_names[] = { "available", "source", "note", "power_on_hours",
		"temperature_c", "reallocated_sectors", "pending_sectors", "uncorrectable_errors", "media_errors",
		"unsafe_shutdowns", "percentage_used", "available_spare", "critical_warning", "failure_predicted",
		NULL };
	static const char *const station_names[] = { "hostname", "sys_vendor", "product_name", "product_serial",
		"product_uuid", "board_serial", "chassis_serial", NULL };
	static const char *const hpa_names[] = { "performed", "command", "permanent", "old_max_lba", "new_max_lba",
		NULL };
	const json_t *health = json_object_get(cd, "health"), *st = json_object_get(cd, "station");
	const json_t *hpa = json_object_get(cd, "hpa_restore"), *sp = json_object_get(cd, "speed");
	json_t *v;

	if (json_is_object(health)) {
		json_t *hh = json_object();
		for (int i = 0; hh && i < 2; i++) {
			const json_t *one = json_object_get(health, i ? "after" : "before");
			if (json_is_object(one))
				json_object_set_new(hh, i ? "after" : "before", scalars(one, health_names));
		}
		if (hh && json_object_size(hh))
			json_object_set_new(san, "health", hh);
		else
			json_decref(hh);
	}
	if (json_is_object(st))
		json_object_set_new(san, "station", scalars(st, station_names));
	if (json_is_object(hpa) && json_is_true(json_object_get(hpa, "performed")))
		json_object_set_new(san, "hpa_restore", scalars(hpa, hpa_names));
	if (json_is_object(sp) && (v = speed_summary(sp)))
		json_object_set_new(san, "speed", v);
}

static json_t *build_payload(const struct cert_config *cfg, const char *origin, const char *cert_id,
			     const char *asset_id, const char *issued_at, const json_t *req,
			     const json_t *enrolled, const json_t *completed, uint64_t completed_seq,
			     const struct nist_row *row, const json_t *host)
{
	static const char *const media_names[] = { "model", "serial", "property_number", "media_type",
		"capacity_bytes", "wwn", "source", "tenant", "classification", "data_backed_up", NULL };
	static const char *const run_names[] = { "job_id", "passes", "bytes_written", "duration_ms",
		"started_at", "completed_at", "device", "purge", "hidden_sectors", NULL };
	const json_t *ed = json_object_get(enrolled, "data"), *cd = json_object_get(completed, "data");
	const json_t *tool = json_object_get(cd, "tool"), *ver = json_object_get(cd, "verification");
	json_t *cov = json_object_get(cd, "coverage");
	json_t *p = json_object(), *org = json_object(), *media = json_object(), *san = json_object();
	json_t *t = json_object(), *v = json_object(), *x = exceptions_of(cd), *who;
	char outcome[64];

	if (!p || !org || !media || !san || !t || !v || !x) {
		json_decref(p);
		json_decref(org);
		json_decref(media);
		json_decref(san);
		json_decref(t);
		json_decref(v);
		json_decref(x);
		return NULL;
	}
	set_str(p, "cert_id", cert_id);
	set_str(p, "asset_id", asset_id);
	set_str(p, "issued_at", issued_at);
	/* Rev. 1, whose Appendix G this replaces, was withdrawn on 2025-09-26 */
	set_str(p, "standard", "NIST SP 800-88 Rev. 2");
	/* the organisation on whose behalf the media was sanitized */
	if (cfg) {
		set_str(org, "name", cfg->org_name);
		set_str(org, "address", cfg->org_address);
		set_str(org, "phone", cfg->org_phone);
	}
	json_object_set_new(p, "organization", org);
	/* 4.6: who performed it; the date defaults to when the job completed */
	who = person_json(json_object_get(req, "performed_by"), str(cd, "completed_at"));
	if (who)
		json_object_set_new(p, "performed_by", who);
	/*
	 * 4.5.2: validation is the organisation's acceptance of the outcome, not
	 * the read-back (that is verification, 4.5.1).  Only a person named in
	 * the request validates; without one the certificate says "not recorded".
	 */
	who = person_json(json_object_get(req, "validated_by"), NULL);
	json_object_set_new(p, "validation", json_pack("{s:b, s:s}", "recorded", who != NULL, "standard",
						       "NIST SP 800-88 Rev. 2 4.5.2"));
	if (who)
		json_object_set_new(p, "validated_by", who);
	/* media information: make is the enrolled vendor */
	if (json_object_get(ed, "vendor"))
		json_object_set(media, "make", json_object_get(ed, "vendor"));
	copy_members(media, ed, media_names);
	if (host)
		json_object_set(media, "last_host", (json_t *)host);
	json_object_set_new(p, "media", media);
	/* sanitization details */
	set_str(san, "method_type", nist_category_title(row->category));
	set_str(san, "method_used", row->technique);
	set_str(san, "method", str(cd, "method"));
	json_object_set_new(san, "method_details", method_details(cd, str(cd, "method")));
	set_str(san, "nist_reference", row->reference);
	/* the table row behind the category, and whether a text we read confirms it */
	json_object_set_new(san, "category_basis", json_pack("{s:s, s:s, s:s, s:b}", "standard", row->standard,
							     "clause", row->clause, "basis", row->basis,
							     "confirmed", row->confirmed));
	set_str(t, "name", str(tool, "name") ? str(tool, "name")
					      : cfg && cfg->tool_name ? cfg->tool_name : "sanitizerd");
	set_str(t, "version", str(tool, "version") ? str(tool, "version") : cfg ? cfg->tool_version : NULL);
	json_object_set_new(san, "tool", t);
	/* 4.5.1 verification: what was read back and what it showed */
	set_str(v, "method", str(ver, "method"));
	set_str(v, "result", str(ver, "result"));
	if (json_object_get(ver, "bytes_read"))
		json_object_set(v, "bytes_read", json_object_get(ver, "bytes_read"));
	json_object_set_new(san, "verification", v);
	copy_members(san, cd, run_names);
	/* SPEC section 7: the bytes covered; older entries did not record them */
	if (json_is_object(cov))
		json_object_set(san, "coverage", cov);
	else
		json_object_set_new(san, "coverage", json_pack("{s:s}", "scope", "not recorded"));
	if (json_is_true(json_object_get(cd, "with_exceptions")))
		snprintf(outcome, sizeof(outcome), "completed with exceptions: %zu (sectors left unwritten)",
			 json_array_size(x));
	else if (json_array_size(x))
		snprintf(outcome, sizeof(outcome), "passed with %zu exception(s)", json_array_size(x));
	else
		snprintf(outcome, sizeof(outcome), "passed");
	set_str(san, "outcome", outcome);
	json_object_set_new(san, "exceptions", x);
	evidence(san, cd);
	if (json_object_get(req, "post_sanitization_classification"))
		json_object_set(san, "post_sanitization_classification",
				json_object_get(req, "post_sanitization_classification"));
	if (json_object_get(req, "notes"))
		json_object_set(san, "notes", json_object_get(req, "notes"));
	json_object_set_new(p, "sanitization", san);
	/* post-sanitization destination of the media */
	if (json_object_get(req, "destination"))
		json_object_set(p, "destination", json_object_get(req, "destination"));
	json_object_set_new(p, "ledger", json_pack("{s:s, s:I}", "origin", origin ? origin : "",
						   "seq", (json_int_t)completed_seq));
	return p;
}

/* ---- the table ---- */

/*
 * issued_at, which is also the certificate_issued entry's time: now, or the
 * previous entry's time should the clock be behind it (a clock stepped back,
 * or an import a little ahead), since entry times never go back.  Inside the
 * issuing transaction.  0 or -EIO.
 */
static int issue_time(struct ledger *l, char now[25], char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = 0;

	xtime_rfc3339(now);
	if (sqlite3_prepare_v2(ledger_sqlite(l), "SELECT json_extract(entry, '$.time') FROM entries"
			       " ORDER BY seq DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return xerr(err, errlen, -EIO, "cannot read the previous entry's time: %s",
			    sqlite3_errmsg(ledger_sqlite(l)));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT &&
	    sqlite3_column_bytes(s, 0) == 24 && strcmp((const char *)sqlite3_column_text(s, 0), now) > 0)
		memcpy(now, sqlite3_column_text(s, 0), 25);
	sqlite3_finalize(s);
	return rc;
}

/* The id of the certificate of sanitize_completed seq, if any: 1 found, 0 not, -errno. */
static int find_by_completed(sqlite3 *db, uint64_t seq, char id[CERT_ID_LEN + 1])
{
	sqlite3_stmt *s = NULL;
	int src, rc;

	if (sqlite3_prepare_v2(db, "SELECT id FROM certificates WHERE completed_seq = ?", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	src = sqlite3_step(s);
	rc = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 : -EIO;
	if (rc == 1)
		snprintf(id, CERT_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc;
}

static int store_row(sqlite3 *db, const char *id, const char *asset_id, const char *jws,
		     const char *sha, uint64_t completed_seq, uint64_t issued_seq)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO certificates(id, asset_id, jws, sha256, completed_seq,"
			       " issued_seq) VALUES(?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, asset_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, jws, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)completed_seq);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)issued_seq);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(s);
	return rc;
}

static void new_id(char id[CERT_ID_LEN + 1])
{
	uint8_t raw[9];
	char *b;

	crypto_random(raw, sizeof(raw));
	b = b64_encode(raw, sizeof(raw), B64_URL);
	snprintf(id, CERT_ID_LEN + 1, CERT_ID_PREFIX "%s", b ? b : "");
	free(b);
}

/*
 * Everything that must hold before anything is written; inside the
 * transaction so no append slips in between the checks and the write.
 */
/*
 * The one rule for success the jobs use (drivers/sanitize.h,
 * sanitize_result_passed): the read-back was performed and passed, or it
 * does not apply to the method and an exception of kind
 * "readback_not_applicable" says so in words.  A failed read-back never
 * certifies.  The exception is carried onto the certificate, so it never
 * reads as a plain pass.
 */
static int verified(const json_t *cd)
{
	const char *result = str(json_object_get(cd, "verification"), "result");
	const json_t *x = json_object_get(cd, "exceptions"), *e;
	size_t i;

	if (result && !strcmp(result, "passed"))
		return 1;
	/* SPEC section 7: a job that went on past I/O errors by policy and verified the rest certifies
	   with its exceptions stated, never as a plain pass (the outcome below says so) */
	if (result && !strcmp(result, "passed_with_exceptions") && json_is_true(json_object_get(cd, "with_exceptions")))
		return json_array_size(x) > 0;
	if (!result || (strcmp(result, "not_applicable") && strcmp(result, "not_performed")))
		return 0;
	json_array_foreach(x, i, e)
		if (str(e, "kind") && !strcmp(str(e, "kind"), "readback_not_applicable") && str(e, "detail") &&
		    *str(e, "detail"))
			return 1;
	return 0;
}

static int check_issuable(struct ledger *l, const char *subject, struct history *h,
			  const struct nist_row **row, char *err, size_t errlen)
{
	const json_t *cd, *ver, *cov;
	const char *method, *media, *recorded;
	char id[CERT_ID_LEN + 1];
	int rc, state;

	rc = ledger_state(l, subject, &state);
	if (rc < 0)
		return xerr(err, errlen, rc, "cannot read the state of %s: %s", subject, ledger_errmsg(l));
	if (state == LC_NONE)
		return xerr(err, errlen, -ENOENT, "cannot issue a certificate: no asset %s", subject);
	rc = history_load(l, subject, 0, h);
	if (rc < 0)
		return xerr(err, errlen, rc, "cannot read the entries of %s", subject);
	if (h->completed) {
		rc = find_by_completed(ledger_sqlite(l), h->completed_seq, id);
		if (rc < 0)
			return xerr(err, errlen, rc, "cannot read the certificates table");
		if (rc == 1)
			return xerr(err, errlen, -EPROTO,
				      "cannot issue a certificate: %s already has certificate %s for its"
				      " sanitization at seq %llu", subject, id,
				      (unsigned long long)h->completed_seq);
	}
	if (state != LC_SANITIZED)
		return xerr(err, errlen, -EPROTO, "cannot issue a certificate: %s is %s, not sanitized",
			      subject, lifecycle_state_name(state));
	cd = json_object_get(h->completed, "data");
	ver = json_object_get(cd, "verification");
	if (!h->completed || !verified(cd))
		return xerr(err, errlen, -EPROTO,
			      "cannot issue a certificate: the last sanitization of %s has no passed"
			      " verification (result %s)", subject, str(ver, "result") ? str(ver, "result") : "missing");
	method = str(cd, "method");
	media = str(json_object_get(h->enrolled, "data"), "media_type");
	if (nist_lookup(method, media, row) < 0)
		return xerr(err, errlen, -EPROTO,
			      "cannot issue a certificate: method '%.64s' on media '%.16s' has no NIST SP 800-88"
			      " category", method ? method : "missing", media ? media : "missing");
	if (!(*row)->category)
		return xerr(err, errlen, -EPROTO,
			      "cannot issue a certificate: %s on %s is neither Clear nor Purge under NIST SP 800-88"
			      " (%s): %s", method, media, (*row)->clause, (*row)->basis);
	recorded = str(cd, "category");
	if (recorded && strcmp(recorded, (*row)->category))
		return xerr(err, errlen, -EPROTO,
			      "cannot issue a certificate: the recorded category '%.16s' disagrees with NIST"
			      " SP 800-88 ('%s' for %s on %s)", recorded, (*row)->category, method, media);
	/* SPEC section 7: a certificate covers the whole drive; a record that says less gets none */
	cov = json_object_get(cd, "coverage");
	if (cov && (!str(cov, "scope") || strcmp(str(cov, "scope"), "whole_device") ||
		    !json_is_integer(json_object_get(cov, "bytes")) ||
		    !json_is_integer(json_object_get(cov, "capacity_bytes")) ||
		    json_integer_value(json_object_get(cov, "bytes")) !=
			    json_integer_value(json_object_get(cov, "capacity_bytes"))))
		return xerr(err, errlen, -EPROTO,
			      "cannot issue a certificate: the sanitization of %s covered %lld of %lld bytes"
			      " (scope %.32s), not the whole drive", subject,
			      (long long)json_integer_value(json_object_get(cov, "bytes")),
			      (long long)json_integer_value(json_object_get(cov, "capacity_bytes")),
			      str(cov, "scope") ? str(cov, "scope") : "missing");
	return 0;
}

int cert_issue(struct ledger *l, const struct sz_key *k, const char *origin,
	       const struct cert_config *cfg, const char *asset_id, const json_t *request,
	       const char *actor, json_t **out, char *err, size_t errlen)
{
	const struct nist_row *row = NULL;
	char subject[160], id[CERT_ID_LEN + 1], now[25], sha[65], *jws = NULL;
	struct history h = { 0 };
	json_t *payload = NULL, *data = NULL;
	uint8_t digest[32];
	uint64_t issued_seq;
	int rc;

	*out = NULL;
	if (!asset_id || strlen(asset_id) > 128 ||
	    (snprintf(subject, sizeof(subject), "asset:%s", asset_id), !lifecycle_subject_valid(subject)))
		return xerr(err, errlen, -EINVAL, "invalid asset id '%.140s'", asset_id ? asset_id : "");
	rc = check_request(request, err, errlen);
	if (rc < 0)
		return rc;
	rc = ledger_begin(l);
	if (rc < 0)
		return xerr(err, errlen, rc, "cannot start a ledger transaction: %s", ledger_errmsg(l));
	if (sqlite3_exec(ledger_sqlite(l), cert_schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = xerr(err, errlen, -EIO, "cannot create the certificates table: %s",
			    sqlite3_errmsg(ledger_sqlite(l)));
		goto fail;
	}
	rc = check_issuable(l, subject, &h, &row, err, errlen);
	if (rc < 0)
		goto fail;

	new_id(id);
	rc = issue_time(l, now, err, errlen);
	if (rc < 0)
		goto fail;
	payload = build_payload(cfg, origin, id, asset_id, now, request, h.enrolled, h.completed,
				h.completed_seq, row, h.last_host);
	rc = payload ? jws_sign_json(k, payload, &jws) : -ENOMEM;
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot sign the certificate: %s",
		       rc == -EINVAL ? "the recorded data is not canonical JSON" : strerror(-rc));
		goto fail;
	}
	merkle_sha256(jws, strlen(jws), digest);
	hex_encode(digest, 32, sha);
	/* SPEC section 8: the entry holds the SHA-256 of the JWS; its time is issued_at */
	data = json_pack("{s:s, s:s, s:I}", "cert_id", id, "sha256", sha, "completed_seq",
			 (json_int_t)h.completed_seq);
	rc = data ? ledger_append(l, subject, "certificate_issued", actor, data, now, &issued_seq, NULL) : -ENOMEM;
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot record the certificate: %s", ledger_errmsg(l));
		goto fail;
	}
	rc = store_row(ledger_sqlite(l), id, asset_id, jws, sha, h.completed_seq, issued_seq);
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot store the certificate: %s", sqlite3_errmsg(ledger_sqlite(l)));
		goto fail;
	}
	/* SPEC section 4: a checkpoint is signed after every certificate, in the same commit */
	rc = ledger_checkpoint(l, k, origin, NULL);
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot sign a checkpoint: %s", ledger_errmsg(l));
		goto fail;
	}
	rc = ledger_commit(l);
	if (rc < 0) {
		/* ledger_commit rolled back already */
		xerr(err, errlen, rc, "cannot commit the certificate: %s", ledger_errmsg(l));
		goto out;
	}
	*out = json_pack("{s:s, s:s}", "id", id, "jws", jws);
	rc = *out ? 0 : -ENOMEM;
	goto out;
fail:
	ledger_rollback(l);
out:
	history_clear(&h);
	json_decref(payload);
	json_decref(data);
	free(jws);
	return rc;
}

/* ---- reading ---- */

struct row {
	char id[CERT_ID_LEN + 1];
	char *asset_id, *jws, *sha;
	uint64_t completed_seq, issued_seq;
};

static void row_clear(struct row *r)
{
	free(r->asset_id);
	free(r->jws);
	free(r->sha);
	memset(r, 0, sizeof(*r));
}

static int id_valid(const char *id)
{
	if (!id || strlen(id) != CERT_ID_LEN || strncmp(id, CERT_ID_PREFIX, 4))
		return 0;
	for (const char *p = id + 4; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* Look a row up by id or by sha256 (one of them NULL).  -ENOENT if absent or no table. */
static int row_load(struct ledger *l, const char *id, const char *sha, struct row *r)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	int src, rc;

	memset(r, 0, sizeof(*r));
	src = sqlite3_prepare_v2(db, id ? "SELECT id, asset_id, jws, sha256, completed_seq, issued_seq"
				      " FROM certificates WHERE id = ?"
				    : "SELECT id, asset_id, jws, sha256, completed_seq, issued_seq"
				      " FROM certificates WHERE sha256 = ?", -1, &s, NULL);
	if (src != SQLITE_OK)
		/* a ledger that never issued a certificate has no table: nothing to find */
		return strstr(sqlite3_errmsg(db), "no such table") ? -ENOENT : -EIO;
	sqlite3_bind_text(s, 1, id ? id : sha, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(s, 0));
		r->asset_id = strdup((const char *)sqlite3_column_text(s, 1));
		r->jws = strdup((const char *)sqlite3_column_text(s, 2));
		r->sha = strdup((const char *)sqlite3_column_text(s, 3));
		r->completed_seq = (uint64_t)sqlite3_column_int64(s, 4);
		r->issued_seq = (uint64_t)sqlite3_column_int64(s, 5);
		rc = r->asset_id && r->jws && r->sha ? 0 : -ENOMEM;
	} else {
		rc = src == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(s);
	if (rc < 0)
		row_clear(r);
	return rc;
}

/* The certificate's status from the entries after its issuance. */
static json_t *status_json(struct ledger *l, const char *subject, const struct history *h)
{
	const json_t *sd = json_object_get(h->shipped, "data"), *dd = json_object_get(h->destroyed, "data");
	json_t *st;
	int state = LC_NONE;

	ledger_state(l, subject, &state);
	st = json_pack("{s:s, s:s}", "state", h->destroyed ? "destroyed" : h->shipped ? "shipped" : "issued",
		       "asset_state", lifecycle_state_name(state));
	if (!st)
		return NULL;
	if (h->shipped) {
		json_t *o = json_pack("{s:I, s:O?}", "seq", (json_int_t)h->shipped_seq, "date",
				      json_object_get(h->shipped, "time"));
		copy_members(o, sd, (const char *const[]){ "carrier", "seal", "tracking", NULL });
		json_object_set_new(st, "shipped", o);
	}
	if (h->destroyed) {
		json_t *o = json_pack("{s:I, s:O?}", "seq", (json_int_t)h->destroyed_seq, "date",
				      json_object_get(h->destroyed, "time"));
		copy_members(o, dd, (const char *const[]){ "facility", "method", "witness",
			     "particle_size_mm", "vendor_certificate", NULL });
		json_object_set_new(st, "destroyed", o);
		/* the headline: where and when it ended */
		json_object_set(st, "date", json_object_get(h->destroyed, "time"));
		json_object_set(st, "facility", json_object_get(dd, "facility"));
	} else if (h->shipped) {
		json_object_set(st, "date", json_object_get(h->shipped, "time"));
		json_object_set(st, "carrier", json_object_get(sd, "carrier"));
		if (json_object_get(sd, "seal"))
			json_object_set(st, "seal", json_object_get(sd, "seal"));
	}
	if (h->custody)
		json_object_set(st, "custody", h->custody);
	return st;
}

/* The ledger proof block: entry, inclusion at the latest checkpoint, checkpoint, tlog-proof. */
static int ledger_json(struct ledger *l, uint64_t seq, json_t **out)
{
	char *entry = NULL, *note = NULL, *origin = NULL, *tp = NULL, hex[65];
	struct checkpoint cp;
	uint8_t leaf[32], pub[32];
	json_t *incl = NULL;
	int rc;

	*out = NULL;
	rc = ledger_get(l, seq, &entry, leaf);
	if (rc == 0)
		rc = ledger_checkpoint_latest(l, &note);
	if (rc == 0)
		rc = ledger_identity(l, &origin, pub);
	if (rc == 0)
		rc = checkpoint_open(note, strlen(note), origin, pub, &cp) < 0 ? -EIO : 0;
	/* issuance signs a checkpoint in its own commit, so the latest one covers seq */
	if (rc == 0 && cp.size <= seq)
		rc = -EIO;
	if (rc == 0)
		rc = ledger_inclusion_json(l, seq, cp.size, &incl);
	if (rc == 0)
		rc = cert_tlog_proof(entry, seq, json_object_get(incl, "hashes"), note, &tp);
	if (rc == 0) {
		hex_encode(leaf, 32, hex);
		*out = json_pack("{s:I, s:s, s:s, s:O, s:s, s:s}", "seq", (json_int_t)seq, "entry", entry,
				 "leaf_hash", hex, "inclusion", incl, "checkpoint", note, "tlog_proof", tp);
		rc = *out ? 0 : -ENOMEM;
	}
	json_decref(incl);
	free(entry);
	free(note);
	free(origin);
	free(tp);
	return rc;
}

int cert_get(struct ledger *l, const char *cert_id, json_t **out, char **tenant)
{
	char subject[160];
	struct history h = { 0 };
	struct jws *j = NULL;
	json_t *payload = NULL, *status = NULL, *lj = NULL;
	struct row r;
	int rc;

	*out = NULL;
	if (tenant)
		*tenant = NULL;
	if (!id_valid(cert_id))
		return -ENOENT;
	rc = row_load(l, cert_id, NULL, &r);
	if (rc < 0)
		return rc;
	snprintf(subject, sizeof(subject), "asset:%s", r.asset_id);
	rc = jws_parse(r.jws, strlen(r.jws), &j, NULL, 0);
	if (rc == 0) {
		payload = json_loadb((const char *)j->payload, j->payload_len, 0, NULL);
		rc = payload ? 0 : -EINVAL;
	}
	if (rc == 0)
		rc = history_load(l, subject, r.issued_seq, &h);
	if (rc == 0) {
		status = status_json(l, subject, &h);
		rc = status ? 0 : -ENOMEM;
	}
	if (rc == 0)
		rc = ledger_json(l, r.issued_seq, &lj);
	if (rc == 0) {
		*out = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "id", r.id, "asset_id", r.asset_id,
				 "jws", r.jws, "sha256", r.sha, "payload", payload, "status", status,
				 "ledger", lj);
		rc = *out ? 0 : -ENOMEM;
	}
	if (rc == 0 && tenant) {
		const char *t = str(json_object_get(h.enrolled, "data"), "tenant");
		*tenant = strdup(t ? t : "");
		if (!*tenant) {
			json_decref(*out);
			*out = NULL;
			rc = -ENOMEM;
		}
	}
	jws_free(j);
	json_decref(payload);
	json_decref(status);
	json_decref(lj);
	history_clear(&h);
	row_clear(&r);
	return rc;
}

/*
 * 1 if host (no brackets, no port) names this machine or no machine: a QR
 * code pointing there sends whoever scans it to their own computer.
 * inet_aton takes the shorthand forms a browser takes too ("127.1",
 * "2130706433", "0x7f.1").
 */
static int host_is_local(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[256];
	size_t n = strlen(host);

	if (n == 0 || n >= sizeof(h))
		return 1;
	for (size_t i = 0; i < n; i++)
		h[i] = (char)tolower((unsigned char)host[i]);
	h[n] = 0;
	if (h[n - 1] == '.')	/* "localhost." is localhost */
		h[--n] = 0;
	/* RFC 6761 6.3: localhost and every name under it */
	if (!strcmp(h, "localhost") || (n > 10 && !strcmp(h + n - 10, ".localhost")))
		return 1;
	if (inet_aton(h, &a4))
		return (ntohl(a4.s_addr) >> 24) == 127 || (ntohl(a4.s_addr) >> 24) == 0;
	if (inet_pton(AF_INET6, h, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return a6.s6_addr[12] == 127 || a6.s6_addr[12] == 0;
	}
	return 0;
}

/*
 * 1 if u is an absolute http(s) URL of another machine (RFC 3986 3):
 * printable ASCII, no user information, no query or fragment, a host that is
 * not loopback or unspecified, an optional decimal port, an optional path.
 */
static int public_url_ok(const char *u)
{
	const char *auth, *end, *host, *hend, *port = NULL;
	char h[256];
	size_t n = strlen(u);

	if (n > CERT_URL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '?' || u[i] == '#' || u[i] == '\\')
			return 0;
	if (!strncasecmp(u, "https://", 8))
		auth = u + 8;
	else if (!strncasecmp(u, "http://", 7))
		auth = u + 7;
	else
		return 0;
	end = auth + strcspn(auth, "/");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return 0;
	if (*auth == '[') {
		host = auth + 1;
		hend = memchr(host, ']', (size_t)(end - host));
		if (!hend)
			return 0;
		if (hend + 1 < end) {
			if (hend[1] != ':')
				return 0;
			port = hend + 2;
		}
	} else {
		host = auth;
		hend = memchr(host, ':', (size_t)(end - host));
		if (hend)
			port = hend + 1;
		else
			hend = end;
	}
	if (hend == host || (size_t)(hend - host) >= sizeof(h))
		return 0;
	if (port) {
		if (port == end || end - port > 5)
			return 0;
		for (const char *q = port; q < end; q++)
			if (*q < '0' || *q > '9')
				return 0;
	}
	memcpy(h, host, (size_t)(hend - host));
	h[hend - host] = 0;
	return !host_is_local(h);
}

int cert_verify_url(const char *public_url, const char *cert_id, char **out)
{
	size_t n, bl;

	*out = NULL;
	if (!public_url || !*public_url)
		return -ENOENT;
	if (!public_url_ok(public_url) || !id_valid(cert_id))
		return -EINVAL;
	bl = strlen(public_url);
	while (bl > 1 && public_url[bl - 1] == '/')
		bl--;
	/* SPEC section 10: GET /verify/{cert_id}, the public page */
	n = bl + strlen("/verify/") + strlen(cert_id) + 1;
	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	snprintf(*out, n, "%.*s/verify/%s", (int)bl, public_url, cert_id);
	return 0;
}

int cert_verify(struct ledger *l, const json_t *jwks, const char *jws, size_t len, json_t **out,
		char **tenant)
{
	char why[256] = "", hex[65];
	struct jws *j = NULL;
	struct row r = { 0 };
	json_t *cert = NULL, *res;
	uint8_t digest[32];
	int rc, valid, in_ledger = 0;

	*out = NULL;
	if (tenant)
		*tenant = NULL;
	rc = jws_parse(jws, len, &j, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (rc == 0)
		rc = jws_verify_jwks(j, jwks, why, sizeof(why));
	valid = rc == 0;
	if (valid) {
		snprintf(why, sizeof(why), "signed by key %s", j->kid);
		merkle_sha256(jws, len, digest);
		hex_encode(digest, 32, hex);
		rc = row_load(l, NULL, hex, &r);
		if (rc == 0)
			rc = cert_get(l, r.id, &cert, tenant);
		if (rc == 0) {
			/* the entry, not only our index, must hold this JWS's hash */
			json_t *e = json_loads(json_string_value(json_object_get(
				json_object_get(cert, "ledger"), "entry")), 0, NULL);
			const char *s = str(json_object_get(e, "data"), "sha256");
			in_ledger = s && !strcmp(s, hex);
			json_decref(e);
		} else if (rc != -ENOENT) {
			jws_free(j);
			row_clear(&r);
			return rc;
		}
		if (!in_ledger)
			snprintf(why, sizeof(why), "signed by key %s, but the ledger holds no such certificate",
				 j->kid);
	}
	res = json_pack("{s:b, s:s, s:s?, s:b, s:s?, s:O?}", "valid", valid, "reason", why, "kid",
			j && j->kid[0] ? j->kid : NULL, "in_ledger", in_ledger, "id", in_ledger ? r.id : NULL,
			"status", in_ledger ? json_object_get(cert, "status") : NULL);
	jws_free(j);
	row_clear(&r);
	json_decref(cert);
	if (tenant && *tenant && (!res || !in_ledger)) {
		free(*tenant);
		*tenant = NULL;
	}
	if (!res)
		return -ENOMEM;
	if (!json_object_get(res, "kid"))
		json_object_set_new(res, "kid", json_null());
	if (!json_object_get(res, "id"))
		json_object_set_new(res, "id", json_null());
	if (!json_object_get(res, "status"))
		json_object_set_new(res, "status", json_null());
	*out = res;
	return 0;
}

void cert_verify_public(json_t *res)
{
	static const char *const public_status[] = { "state", "asset_state", NULL };
	json_t *st = json_object_get(res, "status"), *pub;

	if (!json_is_object(st))
		return;
	pub = json_object();
	if (!pub) {
		/* cannot build the reduced one: say nothing rather than too much */
		json_object_set_new(res, "status", json_null());
		return;
	}
	copy_members(pub, st, public_status);
	json_object_set_new(res, "status", pub);
}
