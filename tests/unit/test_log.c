/*
 * api/log.c: the line formats and their escaping.  A value with a newline,
 * a carriage return, invalid UTF-8 or a C1 control must never end a line or
 * reach the reader raw, in text or in JSON; a JSON line always parses, even
 * cut to its cap; the journald form has the sd-daemon(3) prefix.
 */
#include <errno.h>
#include <jansson.h>

#include "api/api.h"
#include "api/log.h"
#include "tests/unit/tap.h"

static int one_line(const char *s, size_t n)
{
	return n > 0 && s[n - 1] == '\n' && memchr(s, '\n', n - 1) == NULL && strlen(s) == n && !strchr(s, '\r');
}

static json_t *parse(const char *s)
{
	return json_loads(s, 0, NULL);
}

int main(void)
{
	char buf[4096], small[96];
	size_t n;
	json_t *j;
	int v;
	const char *hostile = "/v1/x\n2099-01-01T00:00:00.000Z info GET /forged 200\r\xff\xc2\x9b\"q\\";

	/* levels and formats */
	CHECK(log_level_parse("warn", &v) == 0 && v == LOG_WARN, "warn parses");
	CHECK(log_level_parse("debug", &v) == 0 && v == LOG_DEBUG, "debug parses");
	CHECK(log_level_parse("warning", &v) == -EINVAL, "warning is not a level name");
	CHECK(log_format_parse("json", &v) == 0 && v == LOG_JSON, "json parses");
	CHECK(log_format_parse("JSON", &v) == -EINVAL, "formats are lowercase");
	CHECK_STR(log_level_name(LOG_ERROR), "error", "level names");

	/* text */
	n = log_format_line(buf, sizeof(buf), LOG_TEXT, 0, "2026-01-02T03:04:05.678Z", LOG_INFO, "GET /x 200",
			    (struct log_field[]){ LF_S("route", "/x"), LF_I("status", 200), LF_MS("duration_ms", 1.5),
						  LF_S("none", NULL), LF_S("error", "a b=c") }, 5);
	CHECK_STR(buf, "2026-01-02T03:04:05.678Z info GET /x 200 route=/x status=200 duration_ms=1.500 error=\"a b=c\"\n",
		  "text: time, level, message, fields; a NULL field is left out; a value with spaces is quoted");
	CHECK(one_line(buf, n), "text: one line");

	n = log_format_line(buf, sizeof(buf), LOG_TEXT, 0, "2026-01-02T03:04:05.678Z", LOG_WARN, hostile,
			    (struct log_field[]){ LF_S("path", hostile) }, 1);
	CHECK(one_line(buf, n), "text: a newline, a CR in the message and a value stay on one line");
	CHECK(strstr(buf, "/v1/x\\x0a2099-01-01T00:00:00.000Z info GET /forged 200\\x0d\\xff\\xc2\\x9b\"q\\ ") != NULL,
	      "text: the message shows each control and invalid byte as \\xNN");
	CHECK(strstr(buf, "path=\"/v1/x\\x0a2099-01-01T00:00:00.000Z info GET /forged 200\\x0d\\xff\\xc2\\x9b\\x22q\\\"\n") != NULL,
	      "text: a quoted value has no raw quote inside (\\x22)");
	CHECK(strchr(buf, 0x9b) == NULL && strchr(buf, 0xff) == NULL, "text: no C1 control and no invalid byte passes");

	/* JSON */
	n = log_format_line(buf, sizeof(buf), LOG_JSON, 0, "2026-01-02T03:04:05.678Z", LOG_ERROR, hostile,
			    (struct log_field[]){ LF_S("path", hostile), LF_I("status", 404), LF_MS("duration_ms", 0.25) }, 3);
	CHECK(one_line(buf, n), "json: one line");
	j = parse(buf);
	CHECK(j != NULL, "json: the line parses");
	CHECK_STR(json_string_value(json_object_get(j, "time")), "2026-01-02T03:04:05.678Z", "json: time member");
	CHECK_STR(json_string_value(json_object_get(j, "level")), "error", "json: level member");
	CHECK_STR(json_string_value(json_object_get(j, "path")),
		  "/v1/x\\x0a2099-01-01T00:00:00.000Z info GET /forged 200\\x0d\\xff\\xc2\\x9b\"q\\",
		  "json: a value decodes to the same \\xNN text as the text format shows");
	CHECK(json_integer_value(json_object_get(j, "status")) == 404, "json: an integer field is a number");
	CHECK(json_is_real(json_object_get(j, "duration_ms")) && json_real_value(json_object_get(j, "duration_ms")) == 0.25,
	      "json: a duration is a number");
	json_decref(j);

	/* one long value is cut at 1 KiB (a character is not cut), and the fields after it stay */
	{
		static char longv[3001];
		json_t *p;

		memset(longv, 'A', 3000);
		memcpy(longv + 1020, "\n\xe2\x82\xac", 4);	/* "\\x0a" then a euro sign across the cut */
		n = log_format_line(buf, sizeof(buf), LOG_JSON, 0, "2026-01-02T03:04:05.678Z", LOG_WARN, longv,
				    (struct log_field[]){ LF_S("path", longv), LF_S("error", longv), LF_I("status", 404) }, 3);
		j = parse(buf);
		p = json_object_get(j, "path");
		CHECK(one_line(buf, n) && j && p, "json long values: the line parses, path is kept");
		CHECK(p && json_string_length(p) <= 1024 && json_string_length(p) >= 1018,
		      "json long values: path cut to at most 1 KiB of escaped text (%zu)", p ? json_string_length(p) : 0);
		CHECK(j && json_integer_value(json_object_get(j, "status")) == 404 && json_object_get(j, "error"),
		      "json long values: the fields after a long one stay");
		json_decref(j);
		n = log_format_line(buf, sizeof(buf), LOG_TEXT, 0, NULL, LOG_WARN, longv,
				    (struct log_field[]){ LF_S("path", longv), LF_I("status", 404) }, 2);
		CHECK(one_line(buf, n) && strstr(buf, " status=404\n"), "text long values: cut, the fields after stay");
	}

	/* cut to a small cap: still one line, and JSON still parses */
	n = log_format_line(small, sizeof(small), LOG_JSON, 0, "2026-01-02T03:04:05.678Z", LOG_INFO,
			    "a message longer than the line's cap: \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			    " and more and more and more", (struct log_field[]){ LF_S("path", "/never/fits") }, 1);
	CHECK(one_line(small, n) && n < sizeof(small), "json cut: one line within the cap");
	j = parse(small);
	CHECK(j != NULL, "json cut: the line still parses");
	CHECK(j && json_object_get(j, "path") == NULL, "json cut: a field that does not fit is left out whole");
	json_decref(j);
	n = log_format_line(small, sizeof(small), LOG_JSON, 0, NULL, LOG_INFO, "short",
			    (struct log_field[]){ LF_S("a", "0123456789012345678901234567890123456789"),
						  LF_S("b", "0123456789012345678901234567890123456789") }, 2);
	j = parse(small);
	CHECK(j && json_object_get(j, "a") && !json_object_get(j, "b") && !json_object_get(j, "time"),
	      "json cut: the fields that fit are kept, no time when none is given");
	json_decref(j);
	n = log_format_line(small, sizeof(small), LOG_TEXT, 0, NULL, LOG_INFO,
			    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", NULL, 0);
	CHECK(one_line(small, n) && (n - 1 - strlen("info ")) % 3 == 0, "text cut: no character is cut in half");

	/* journald: the sd-daemon(3) prefix, and text without a time */
	n = log_format_line(buf, sizeof(buf), LOG_TEXT, 1, NULL, LOG_WARN, "refused", NULL, 0);
	CHECK_STR(buf, "<4>refused\n", "journal text: <4> for warn, no time, no level word");
	log_format_line(buf, sizeof(buf), LOG_TEXT, 1, NULL, LOG_DEBUG, "d", NULL, 0);
	CHECK(!strncmp(buf, "<7>", 3), "journal: <7> for debug");
	log_format_line(buf, sizeof(buf), LOG_TEXT, 1, NULL, LOG_ERROR, "e", NULL, 0);
	CHECK(!strncmp(buf, "<3>", 3), "journal: <3> for error");
	log_format_line(buf, sizeof(buf), LOG_JSON, 1, "2026-01-02T03:04:05.678Z", LOG_INFO, "i", NULL, 0);
	CHECK(!strncmp(buf, "<6>{", 4) && (j = parse(buf + 3)) != NULL, "journal json: <6> then an object");
	json_decref(j);

	/* api_safe_text (JSON error messages) keeps its issue 11 behaviour */
	api_safe_text(buf, sizeof(buf), "a\nb\xff");
	CHECK_STR(buf, "a\\x0ab\\xff", "api_safe_text: control and invalid bytes as \\xNN");
	api_safe_text(small, 6, "abc\xe2\x82\xac");
	CHECK_STR(small, "abc", "api_safe_text: a character that does not fit is not cut");
	return tap_done();
}
