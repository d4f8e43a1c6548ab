#include "audit/export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "audit/b64.h"
#include "audit/cert.h"
#include "audit/ledger.h"

const char *const export_entry_cols[] = { "seq", "time", "subject", "type", "actor", "data", "leaf_hash",
					  "canonical", NULL };
const char *const export_cert_cols[] = { "id", "asset_id", "serial", "model", "media_type", "tenant",
					 "method", "category", "result", "with_exceptions", "issued_at",
					 "issued_seq", "completed_seq", "sha256", "asset_state", NULL };

void export_buf_init(struct export_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->alloc = 0;
	b->max = max;
}

void export_buf_free(struct export_buf *b)
{
	free(b->p);
	export_buf_init(b, b->max);
}

int export_buf_add(struct export_buf *b, const char *s, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -E2BIG;
	if (b->len + n + 1 > b->alloc) {
		size_t want = b->alloc ? b->alloc : 4096;
		char *p;
		while (want < b->len + n + 1)
			want *= 2;
		if (want > b->max + 1)
			want = b->max + 1;
		p = realloc(b->p, want);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->alloc = want;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

/* RFC 4180 2.6/2.7, and a leading ' before what a spreadsheet would take for a formula. */
static int csv_cell(struct export_buf *b, const char *s, size_t n, int text)
{
	int quote = 0, rc = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (quote)
		rc = export_buf_add(b, "\"", 1);
	if (rc == 0 && text && n && strchr("=+-@\t\r", s[0]))
		rc = export_buf_add(b, "'", 1);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = export_buf_add(b, s[i] == '"' ? "\"\"" : s + i, s[i] == '"' ? 2 : 1);
	if (rc == 0 && quote)
		rc = export_buf_add(b, "\"", 1);
	return rc;
}

int export_csv_header(struct export_buf *b, const char *const *cols)
{
	size_t before = b->len;
	int rc = 0;

	for (size_t i = 0; rc == 0 && cols[i]; i++) {
		if (i)
			rc = export_buf_add(b, ",", 1);
		if (rc == 0)
			rc = csv_cell(b, cols[i], strlen(cols[i]), 1);
	}
	if (rc == 0)
		rc = export_buf_add(b, "\r\n", 2);
	if (rc < 0 && b->p)
		b->p[b->len = before] = 0;
	return rc;
}

int export_csv_row(struct export_buf *b, const json_t *obj, const char *const *cols)
{
	size_t before = b->len;
	int rc = 0;

	for (size_t i = 0; rc == 0 && cols[i]; i++) {
		const json_t *v = json_object_get(obj, cols[i]);
		char num[32], *js = NULL;

		if (i)
			rc = export_buf_add(b, ",", 1);
		if (rc < 0)
			break;
		if (json_is_string(v)) {
			rc = csv_cell(b, json_string_value(v), json_string_length(v), 1);
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			rc = csv_cell(b, num, strlen(num), 0);
		} else if (json_is_boolean(v)) {
			rc = csv_cell(b, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5, 0);
		} else if (json_is_object(v) || json_is_array(v)) {
			js = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
			rc = js ? csv_cell(b, js, strlen(js), 1) : -ENOMEM;
			free(js);
		}
	}
	if (rc == 0)
		rc = export_buf_add(b, "\r\n", 2);
	if (rc < 0 && b->p)
		b->p[b->len = before] = 0;
	return rc;
}

int export_jsonl_row(struct export_buf *b, const json_t *obj)
{
	size_t before = b->len;
	char *s = json_dumps(obj, JSON_COMPACT);
	int rc;

	if (!s)
		return -ENOMEM;
	rc = export_buf_add(b, s, strlen(s));
	if (rc == 0)
		rc = export_buf_add(b, "\n", 1);
	if (rc < 0 && b->p)
		b->p[b->len = before] = 0;
	free(s);
	return rc;
}

int export_entry_json(struct ledger *l, uint64_t seq, json_t **out)
{
	uint8_t leaf[32];
	char hex[65], *text = NULL;
	json_t *e;
	int rc = ledger_get(l, seq, &text, leaf);

	*out = NULL;
	if (rc < 0)
		return rc;
	hex_encode(leaf, 32, hex);
	e = json_loads(text, 0, NULL);
	if (e)
		*out = json_pack("{s:I, s:o, s:s, s:s}", "seq", (json_int_t)seq, "entry", e, "canonical", text,
				 "leaf_hash", hex);
	free(text);
	return *out ? 0 : -ENOMEM;
}

json_t *export_entry_flat(const json_t *ej)
{
	const json_t *e = json_object_get(ej, "entry");

	return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "seq", json_object_get(ej, "seq"),
			 "time", json_object_get(e, "time"), "subject", json_object_get(e, "subject"), "type",
			 json_object_get(e, "type"), "actor", json_object_get(e, "actor"), "data",
			 json_object_get(e, "data"), "leaf_hash", json_object_get(ej, "leaf_hash"), "canonical",
			 json_object_get(ej, "canonical"));
}

int export_date_bound(const char *s, int end, char out[25])
{
	size_t n, f = 0;
	char frac[4] = "000";

	if (!cert_date_valid(s))
		return -EINVAL;
	n = strlen(s);
	if (n == 10) {
		snprintf(out, 25, "%sT%s", s, end ? "23:59:59.999Z" : "00:00:00.000Z");
		return 0;
	}
	/* a leap second never appears in entry times (ledger_time_check) */
	if (s[17] == '6')
		return -EINVAL;
	if (end)
		memcpy(frac, "999", 3);
	if (s[19] == '.')
		for (f = 0; f < 3 && s[20 + f] >= '0' && s[20 + f] <= '9'; f++)
			frac[f] = s[20 + f];
	snprintf(out, 25, "%.19s.%sZ", s, frac);
	return 0;
}

/*
 * Certificates with what an auditor filters on, from the entries they point
 * at: certificate_issued (time), sanitize_completed (method, category,
 * verification), the asset's enrolment (serial, model, tenant).
 */
static const char certs_sql[] =
	"SELECT c.id, c.asset_id, json_extract(en.entry, '$.data.serial'),"
	" json_extract(en.entry, '$.data.model'), json_extract(en.entry, '$.data.media_type'),"
	" json_extract(en.entry, '$.data.tenant'), json_extract(co.entry, '$.data.method'),"
	" json_extract(co.entry, '$.data.category'), json_extract(co.entry, '$.data.verification.result'),"
	" json_extract(co.entry, '$.data.with_exceptions'), json_extract(iss.entry, '$.time'),"
	" c.issued_seq, c.completed_seq, c.sha256, s.state"
	" FROM certificates c"
	" JOIN entries iss ON iss.seq = c.issued_seq"
	" JOIN entries co ON co.seq = c.completed_seq"
	" JOIN entries en ON en.subject = 'asset:' || c.asset_id AND en.type = 'enrolled'"
	" LEFT JOIN subjects s ON s.subject = 'asset:' || c.asset_id"
	" WHERE c.issued_seq > ?1"
	" AND (?2 IS NULL OR c.asset_id = ?2)"
	" AND (?3 IS NULL OR json_extract(en.entry, '$.data.serial') = ?3)"
	" AND (?4 IS NULL OR json_extract(en.entry, '$.data.tenant') = ?4)"
	" AND (?5 IS NULL OR json_extract(co.entry, '$.data.method') = ?5)"
	" AND (?6 IS NULL OR json_extract(co.entry, '$.data.verification.result') = ?6)"
	" AND (?7 IS NULL OR json_extract(iss.entry, '$.time') >= ?7)"
	" AND (?8 IS NULL OR json_extract(iss.entry, '$.time') <= ?8)"
	" ORDER BY c.issued_seq LIMIT ?9";

static json_t *col(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER: return json_integer((json_int_t)sqlite3_column_int64(s, i));
	case SQLITE_TEXT: return json_string((const char *)sqlite3_column_text(s, i));
	default: return json_null();
	}
}

int export_certs(struct ledger *l, const struct export_cert_filter *f,
		 int (*fn)(void *ctx, const json_t *row), void *ctx)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	const char *const binds[7] = { f->asset_id, f->serial, f->tenant, f->method, f->result, f->from, f->to };
	int src = SQLITE_DONE, rc = 0;

	if (sqlite3_prepare_v2(db, certs_sql, -1, &s, NULL) != SQLITE_OK)
		/* a ledger that never issued a certificate has no table: none to list */
		return strstr(sqlite3_errmsg(db), "no such table") ? 0 : -EIO;
	sqlite3_bind_int64(s, 1, f->after);
	for (int i = 0; i < 7; i++)
		if (binds[i])
			sqlite3_bind_text(s, i + 2, binds[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, f->limit ? (sqlite3_int64)f->limit : -1);
	while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *row = json_object();
		for (int i = 0; row && export_cert_cols[i]; i++) {
			json_t *v = col(s, i);
			/* with_exceptions is a JSON boolean in the entry (json_extract gives 0/1) */
			if (i == 9) {
				json_t *b = json_boolean(json_is_integer(v) && json_integer_value(v));
				json_decref(v);
				v = b;
			}
			if (json_object_set_new(row, export_cert_cols[i], v) < 0)
				rc = -ENOMEM;
		}
		rc = rc ? rc : row ? fn(ctx, row) : -ENOMEM;
		json_decref(row);
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	return rc;
}

int export_entry_row(struct export_buf *b, const json_t *ej, int format)
{
	json_t *flat;
	int rc;

	if (format != EXPORT_CSV)
		return export_jsonl_row(b, ej);
	flat = export_entry_flat(ej);
	rc = flat ? export_csv_row(b, flat, export_entry_cols) : -ENOMEM;
	json_decref(flat);
	return rc;
}
