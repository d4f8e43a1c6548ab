/* Known answers for audit/export.c: RFC 4180 CSV, formula neutralisation, JSON Lines, caps, dates. */
#include <errno.h>
#include <jansson.h>

#include "audit/export.h"
#include "tests/unit/tap.h"

static const char *csv_of(struct export_buf *b, const char *json, const char *const *cols)
{
	json_t *o = json_loads(json, 0, NULL);

	export_buf_free(b);
	if (!o || export_csv_row(b, o, cols) < 0) {
		json_decref(o);
		return NULL;
	}
	json_decref(o);
	return b->p;
}

int main(void)
{
	static const char *const one[] = { "v", NULL };
	static const char *const three[] = { "a", "b", "c", NULL };
	struct export_buf b;
	char t[25];

	export_buf_init(&b, 4096);
	/* RFC 4180 2.4-2.7 */
	CHECK_STR(csv_of(&b, "{\"a\":\"x\",\"b\":1,\"c\":true}", three), "x,1,true\r\n", "plain cells, CRLF");
	CHECK_STR(csv_of(&b, "{\"a\":\"x,y\",\"c\":null}", three), "\"x,y\",,\r\n", "a comma is quoted; missing and null are empty");
	CHECK_STR(csv_of(&b, "{\"v\":\"say \\\"hi\\\"\"}", one), "\"say \"\"hi\"\"\"\r\n", "quotes doubled inside quotes");
	CHECK_STR(csv_of(&b, "{\"v\":\"two\\nlines\"}", one), "\"two\nlines\"\r\n", "a line break is quoted");
	CHECK_STR(csv_of(&b, "{\"v\":\"Jos\\u00e9 M\\u00fcller\"}", one), "Jos\xc3\xa9 M\xc3\xbcller\r\n", "UTF-8 as it is");
	/* formula injection (OWASP): = + - @ TAB CR lead */
	CHECK_STR(csv_of(&b, "{\"v\":\"=1+2\"}", one), "'=1+2\r\n", "= neutralised");
	CHECK_STR(csv_of(&b, "{\"v\":\"+1\"}", one), "'+1\r\n", "+ neutralised");
	CHECK_STR(csv_of(&b, "{\"v\":\"-1\"}", one), "'-1\r\n", "- neutralised in a text cell");
	CHECK_STR(csv_of(&b, "{\"v\":\"@SUM(A1)\"}", one), "'@SUM(A1)\r\n", "@ neutralised");
	CHECK_STR(csv_of(&b, "{\"v\":\"\\tx\"}", one), "'\tx\r\n", "TAB neutralised");
	CHECK_STR(csv_of(&b, "{\"v\":\"\\rx\"}", one), "\"'\rx\"\r\n", "CR neutralised and quoted");
	CHECK_STR(csv_of(&b, "{\"v\":\"=HYPERLINK(\\\"u\\\",\\\"a, b\\\")\"}", one),
		  "\"'=HYPERLINK(\"\"u\"\",\"\"a, b\"\")\"\r\n", "a quoted formula: the apostrophe inside the quotes");
	CHECK_STR(csv_of(&b, "{\"v\":-5}", one), "-5\r\n", "a number is not a formula");
	CHECK_STR(csv_of(&b, "{\"v\":\"a=b\"}", one), "a=b\r\n", "= elsewhere is left alone");
	CHECK_STR(csv_of(&b, "{\"v\":{\"z\":1,\"a\":\"x,y\"}}", one), "\"{\"\"a\"\":\"\"x,y\"\",\"\"z\"\":1}\"\r\n",
		  "an object cell is its sorted compact JSON, quoted");
	export_buf_free(&b);
	CHECK(export_csv_header(&b, three) == 0 && !strcmp(b.p, "a,b,c\r\n"), "header line");

	/* JSON Lines */
	export_buf_free(&b);
	{
		json_t *o = json_pack("{s:s}", "k", "line\nbreak");
		CHECK(export_jsonl_row(&b, o) == 0 && !strcmp(b.p, "{\"k\":\"line\\nbreak\"}\n"),
		      "JSON Lines: one line, the newline escaped inside");
		json_decref(o);
	}

	/* the cap: a row that does not fit leaves the buffer as it was */
	export_buf_free(&b);
	export_buf_init(&b, 12);
	{
		json_t *o = json_pack("{s:s}", "v", "01234567890");
		CHECK_EQ_INT(export_csv_row(&b, o, one), -E2BIG, "a row past the cap is -E2BIG");
		CHECK(b.len == 0, "and nothing of it stays");
		json_object_set_new(o, "v", json_string("0123"));
		CHECK(export_csv_row(&b, o, one) == 0 && export_csv_row(&b, o, one) == 0 && b.len == 12,
		      "rows up to the cap fit exactly");
		CHECK_EQ_INT(export_csv_row(&b, o, one), -E2BIG, "one more does not");
		CHECK_EQ_INT(b.len, 12, "the buffer keeps the rows before it");
		json_decref(o);
	}
	export_buf_free(&b);

	/* filter dates in the entries' time form */
	CHECK(export_date_bound("2026-03-02", 0, t) == 0 && !strcmp(t, "2026-03-02T00:00:00.000Z"), "a date from its start");
	CHECK(export_date_bound("2026-03-02", 1, t) == 0 && !strcmp(t, "2026-03-02T23:59:59.999Z"), "a date to its end");
	CHECK(export_date_bound("2026-03-02T10:20:30Z", 0, t) == 0 && !strcmp(t, "2026-03-02T10:20:30.000Z"), "a date-time from");
	CHECK(export_date_bound("2026-03-02T10:20:30Z", 1, t) == 0 && !strcmp(t, "2026-03-02T10:20:30.999Z"), "a date-time to");
	CHECK(export_date_bound("2026-03-02T10:20:30.5Z", 1, t) == 0 && !strcmp(t, "2026-03-02T10:20:30.599Z"),
	      "a fraction kept, the rest the latest");
	CHECK_EQ_INT(export_date_bound("2026-02-30", 0, t), -EINVAL, "no February 30th");
	CHECK_EQ_INT(export_date_bound("2026-03-02T10:20:30+01:00", 0, t), -EINVAL, "UTC only");
	CHECK_EQ_INT(export_date_bound("2026-03-02T23:59:60Z", 0, t), -EINVAL, "no leap second");
	CHECK_EQ_INT(export_date_bound("yesterday", 0, t), -EINVAL, "not a date");
	return tap_done();
}
