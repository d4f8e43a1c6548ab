#include "audit/patchaudit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>

#include "audit/jcs.h"
#include "audit/ledger.h"
#include "util/xio.h"

/*
 * The latest `deployed` entry of each asset in state deployed, kept when it
 * names this host.  The subquery walks entries_by_subject(subject, seq)
 * backwards, so the cost is one short index walk per deployed asset.
 */
static const char hosted_sql[] =
	"SELECT substr(s.subject, 7) FROM subjects s"
	" WHERE s.state = 'deployed' AND s.subject >= 'asset:' AND s.subject < 'asset;'"
	" AND (SELECT json_extract(e.entry, '$.data.host') FROM entries e"
	"      WHERE e.subject = s.subject AND e.type = 'deployed'"
	"      ORDER BY e.seq DESC LIMIT 1) = ?1"
	" ORDER BY s.subject LIMIT ?2";

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int patch_audit_host_valid(const char *host)
{
	size_t n = host ? strlen(host) : 0;

	if (n == 0 || n > PATCH_AUDIT_HOST_MAX || !is_alnum(host[0]) || !is_alnum(host[n - 1]) ||
	    strstr(host, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(host[i]) && host[i] != '.' && host[i] != '-')
			return 0;
	return 1;
}

/* n decimal digits at s, as a number; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* RFC 3339 section 5.6 date-time, upper-case T and Z, with 5.7's ranges. */
static int time_valid(const char *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t n = strlen(t);
	int y, mo, d, h, mi, s;
	const char *p;

	if (n < 20 || n > 35 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
		return 0;
	y = digits(t, 4), mo = digits(t + 5, 2), d = digits(t + 8, 2);
	h = digits(t + 11, 2), mi = digits(t + 14, 2), s = digits(t + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	p = t + 19;
	if (*p == '.') {
		size_t f = 0;
		for (p++; is_digit(*p); p++)
			f++;
		if (f == 0 || f > 9)
			return 0;
	}
	if (!strcmp(p, "Z"))
		return 1;
	if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':')
		return 0;
	h = digits(p + 1, 2), mi = digits(p + 4, 2);
	return h >= 0 && h <= 23 && mi >= 0 && mi <= 59;
}

/* CVE-YYYY-NNNN with four or more digits (the 2014 syntax change), or a short name. */
static int check_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > PATCH_AUDIT_ID_MAX || !is_alnum(id[0]))
		return 0;
	if (!strncasecmp(id, "CVE-", 4)) {
		if (strncmp(id, "CVE-", 4) || n < 13 || digits(id + 4, 4) < 0 || id[8] != '-')
			return 0;
		for (size_t i = 9; i < n; i++)
			if (!is_digit(id[i]))
				return 0;
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(id[i]) && id[i] != '.' && id[i] != '_' && id[i] != ':' && id[i] != '-')
			return 0;
	return 1;
}

/* A string of 1..max bytes without control characters (but those in allow). */
static int text_valid(const json_t *v, size_t max, const char *allow)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 || c == 0x7f) && !(c && strchr(allow, c)))
			return 0;
	}
	return 1;
}

static int check_one(const json_t *c, size_t i, char *err, size_t errlen)
{
	const char *key, *st;
	json_t *v;

	if (!json_is_object(c))
		return xerr(err, errlen, -EINVAL, "checks[%zu] must be an object", i);
	json_object_foreach((json_t *)c, key, v) {
		if (strcmp(key, "id") && strcmp(key, "status") && strcmp(key, "evidence"))
			return xerr(err, errlen, -EINVAL,
				      "checks[%zu] has an unknown member (want id, status, evidence)", i);
	}
	v = json_object_get(c, "id");
	if (!json_is_string(v) || !check_id_valid(json_string_value(v)) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return xerr(err, errlen, -EINVAL,
			      "checks[%zu].id must be CVE-YYYY-NNNN or a name of 1 to %d of [A-Za-z0-9._:-]",
			      i, PATCH_AUDIT_ID_MAX);
	v = json_object_get(c, "status");
	st = json_string_value(v);
	if (!st || (strcmp(st, "patched") && strcmp(st, "vulnerable") && strcmp(st, "not_applicable")))
		return xerr(err, errlen, -EINVAL,
			      "checks[%zu].status must be patched, vulnerable or not_applicable", i);
	v = json_object_get(c, "evidence");
	if (v && !text_valid(v, PATCH_AUDIT_EVIDENCE_MAX, "\t\n"))
		return xerr(err, errlen, -EINVAL,
			      "checks[%zu].evidence must be a string of 1 to %d bytes without control characters",
			      i, PATCH_AUDIT_EVIDENCE_MAX);
	return 0;
}

int patch_audit_validate(const char *host, const json_t *body, char *err, size_t errlen)
{
	const json_t *checks, *v;
	const char *key;
	size_t n, extra = 0;
	int rc;

	if (!patch_audit_host_valid(host))
		return xerr(err, errlen, -EINVAL,
			      "invalid host name: want 1 to %d of [A-Za-z0-9.-], starting and ending with a"
			      " letter or digit", PATCH_AUDIT_HOST_MAX);
	if (!json_is_object(body))
		return xerr(err, errlen, -EINVAL, "the body must be a JSON object");
	json_object_foreach((json_t *)body, key, v) {
		if (!strcmp(key, "host"))
			return xerr(err, errlen, -EINVAL, "host must not be in the body: it is taken from the URL");
		if (!strcmp(key, "assets"))
			return xerr(err, errlen, -EINVAL, "assets must not be in the body: the service links them");
		if (strcmp(key, "scanner") && strcmp(key, "time") && strcmp(key, "checks")) {
			if (++extra > PATCH_AUDIT_EXTRA_MAX || strlen(key) == 0 || strlen(key) > 64)
				return xerr(err, errlen, -EINVAL,
					      "too many or too long custom members: at most %d, names 1 to 64 bytes",
					      PATCH_AUDIT_EXTRA_MAX);
		}
	}
	if (!text_valid(json_object_get(body, "scanner"), PATCH_AUDIT_SCANNER_MAX, ""))
		return xerr(err, errlen, -EINVAL,
			      "scanner is required: a string of 1 to %d bytes without control characters",
			      PATCH_AUDIT_SCANNER_MAX);
	v = json_object_get(body, "time");
	if (v && (!json_is_string(v) || !time_valid(json_string_value(v))))
		return xerr(err, errlen, -EINVAL, "time must be an RFC 3339 date-time (2014-09-25T10:00:00Z)");
	checks = json_object_get(body, "checks");
	n = json_array_size(checks);
	if (!json_is_array(checks) || n == 0 || n > PATCH_AUDIT_CHECKS_MAX)
		return xerr(err, errlen, -EINVAL, "checks must be an array of 1 to %d checks",
			      PATCH_AUDIT_CHECKS_MAX);
	for (size_t i = 0; i < n; i++) {
		rc = check_one(json_array_get(checks, i), i, err, errlen);
		if (rc < 0)
			return rc;
		/* n is at most 256: the quadratic scan costs nothing worth an index */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(checks, i), "id")),
				    json_string_value(json_object_get(json_array_get(checks, j), "id"))))
				return xerr(err, errlen, -EINVAL, "checks[%zu].id repeats checks[%zu].id", i, j);
	}
	return 0;
}

int patch_audit_hosted_assets(struct ledger *l, const char *host, json_t **out, char *err, size_t errlen)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	json_t *arr;
	int src, rc = 0;

	*out = NULL;
	arr = json_array();
	if (!arr)
		return xerr(err, errlen, -ENOMEM, "cannot list the assets on %s: out of memory", host);
	src = sqlite3_prepare_v2(db, hosted_sql, -1, &s, NULL);
	if (src != SQLITE_OK) {
		json_decref(arr);
		return xerr(err, errlen, -EIO, "cannot list the assets on %s: %s", host, sqlite3_errmsg(db));
	}
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, PATCH_AUDIT_ASSETS_MAX + 1);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (json_array_size(arr) == PATCH_AUDIT_ASSETS_MAX) {
			rc = xerr(err, errlen, -E2BIG, "cannot link the assets on %s: more than %d are deployed",
				    host, PATCH_AUDIT_ASSETS_MAX);
			break;
		}
		if (json_array_append_new(arr, json_string((const char *)sqlite3_column_text(s, 0))) < 0) {
			rc = xerr(err, errlen, -ENOMEM, "cannot list the assets on %s: out of memory", host);
			break;
		}
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = xerr(err, errlen, -EIO, "cannot list the assets on %s: %s", host, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	if (rc < 0)
		json_decref(arr);
	else
		*out = arr;
	return rc;
}

int patch_audit_record(struct ledger *l, const char *host, const json_t *body, const char *actor,
		       json_t **entry_out, char *err, size_t errlen)
{
	char subject[6 + PATCH_AUDIT_HOST_MAX], *text = NULL, msg[512];
	json_t *data = NULL, *assets = NULL;
	size_t len;
	uint64_t seq;
	int rc, own;

	if (entry_out)
		*entry_out = NULL;
	rc = patch_audit_validate(host, body, err, errlen);
	if (rc < 0)
		return rc;
	data = json_deep_copy(body);
	if (!data || json_object_set_new(data, "host", json_string(host)) < 0)
		goto nomem;
	/* the body's own size decides a 400 here; the linked assets come later */
	rc = jcs_dump(data, LEDGER_DATA_MAX, &text, &len);
	free(text);
	text = NULL;
	if (rc < 0) {
		json_decref(data);
		if (rc == -ENOMEM)
			goto nomem;
		return xerr(err, errlen, -EINVAL, rc == -E2BIG
			      ? "the body is too large: the audit would pass %d bytes"
			      : "the body is not valid ledger JSON: numbers must be integers, strings valid"
				" UTF-8 (limit %d bytes)", LEDGER_DATA_MAX);
	}
	snprintf(subject, sizeof(subject), "host:%s", host);
	/* the caller's batch (the API's group commit) or one of our own */
	own = !ledger_in_batch(l);
	rc = own ? ledger_begin(l) : 0;
	if (rc < 0) {
		json_decref(data);
		return xerr(err, errlen, rc, "cannot record the audit of %s: %s", host, ledger_errmsg(l));
	}
	rc = patch_audit_hosted_assets(l, host, &assets, err, errlen);
	if (rc == 0 && json_object_set_new(data, "assets", assets) < 0)
		rc = xerr(err, errlen, -ENOMEM, "cannot record the audit of %s: out of memory", host);
	if (rc == 0) {
		rc = ledger_append(l, subject, "host_audit", actor, data, NULL, &seq, &text);
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "%s", ledger_errmsg(l));
			xerr(err, errlen, rc, "cannot record the audit of %s: %s", host, msg);
		}
	}
	if (own && rc == 0) {
		rc = ledger_commit(l);
		if (rc < 0)
			xerr(err, errlen, rc, "cannot record the audit of %s: %s", host, ledger_errmsg(l));
	} else if (own && ledger_in_batch(l)) {
		(void)ledger_rollback(l);
	}
	json_decref(data);
	if (rc == 0 && entry_out) {
		*entry_out = json_loads(text, 0, NULL);
		if (!*entry_out)
			rc = xerr(err, errlen, -ENOMEM, "cannot return the audit entry: out of memory");
	}
	free(text);
	return rc;

nomem:
	json_decref(data);
	return xerr(err, errlen, -ENOMEM, "cannot record the audit of %s: out of memory", host);
}
