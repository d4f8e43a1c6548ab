/*
 * export — ledger entries and certificates as rows for auditors (issue 15):
 * JSON objects, CSV (RFC 4180) and JSON Lines, shared by the CLI
 * (ledger export, cert list/export) and the API (GET /v1/ledger/entries,
 * GET /v1/certificates).
 *
 * CSV: a header line, then one line per row, CRLF line ends (RFC 4180 2.1);
 * a cell holding a comma, a double quote, CR or LF is quoted, its quotes
 * doubled (2.6, 2.7).  A text cell that starts with = + - @ TAB or CR gets a
 * leading apostrophe, so a spreadsheet that opens the file shows it rather
 * than evaluating it as a formula (OWASP "CSV injection").  Numbers are
 * written as they are; an object or array cell is its compact JSON text.
 */
#ifndef SZ_EXPORT_H
#define SZ_EXPORT_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct ledger;

/* A growing buffer with a cap fixed when it is made (curl's dynbuf). */
struct export_buf {
	char *p;
	size_t len, alloc, max;
};

enum { EXPORT_JSON, EXPORT_CSV, EXPORT_JSONL };

/* Start an empty buffer that never grows past max bytes.  Cannot fail. */
void export_buf_init(struct export_buf *b, size_t max);
/* Free the bytes; the buffer is empty again.  export_buf_free of an empty buffer is a no-op. */
void export_buf_free(struct export_buf *b);
/* Append n bytes: 0, -E2BIG past the cap (nothing appended), -ENOMEM. */
int export_buf_add(struct export_buf *b, const char *s, size_t n);

/*
 * One row: obj's members named by cols (NULL-terminated), as one CSV line
 * or (cols ignored) as obj's compact JSON and a newline.  A missing member
 * or null is an empty cell.  0, or -E2BIG / -ENOMEM with the buffer as it
 * was before the row.
 */
int export_csv_header(struct export_buf *b, const char *const *cols);
int export_csv_row(struct export_buf *b, const json_t *obj, const char *const *cols);
int export_jsonl_row(struct export_buf *b, const json_t *obj);

/*
 * Entry seq as an object: {"seq","entry":{…the entry…},"canonical":"<its
 * RFC 8785 text, the leaf's bytes>","leaf_hash":"<hex>"} (new reference).
 * For CSV, export_entry_flat gives {"seq","time","subject","type","actor",
 * "data","leaf_hash","canonical"} for export_entry_cols.  -ENOENT past the
 * end, other -errno.
 */
int export_entry_json(struct ledger *l, uint64_t seq, json_t **out);
json_t *export_entry_flat(const json_t *entry_json);
extern const char *const export_entry_cols[];
/* One entry object of export_entry_json as a row of format (CSV flattened, or JSON Lines); as the rows above. */
int export_entry_row(struct export_buf *b, const json_t *entry_json, int format);

/* Which certificates export_certs walks; NULL members do not filter. */
struct export_cert_filter {
	const char *asset_id, *serial, *tenant, *method, *result;
	const char *from, *to;		/* issued_at bounds, inclusive, as export_date_bound made them */
	int64_t after;			/* issued_seq of the previous page's last row, or -1 */
	size_t limit;			/* rows at most (0: all) */
};

/*
 * The certificates matching f in the order they were issued, each as
 * {"id","asset_id","serial","model","media_type","tenant","method",
 * "category","result","with_exceptions","issued_at","issued_seq",
 * "completed_seq","sha256","asset_state"} (result: the sanitization's
 * verification result), read from the certificates table and the ledger
 * entries it points at.  fn gets each row (borrowed); a non-zero return
 * stops the walk and is returned.  A ledger that never issued a
 * certificate has none.  0 or -errno.
 */
int export_certs(struct ledger *l, const struct export_cert_filter *f,
		 int (*fn)(void *ctx, const json_t *row), void *ctx);
/* The columns of a certificate row, in CSV order. */
extern const char *const export_cert_cols[];

/*
 * A filter date as the entries' time form, YYYY-MM-DDThh:mm:ss.mmmZ: a date
 * (RFC 3339 full-date) or a UTC date-time, with or without a fraction; for
 * an upper bound (end set) the missing parts are the latest time they name
 * (a date is its whole day).  0, -EINVAL if s is neither.
 */
int export_date_bound(const char *s, int end, char out[25]);
#endif
