/*
 * The daemon's log (api/log.h): levels, text or JSON lines, journald's
 * priority prefix, and the escaping that keeps every logged value on its
 * own line.  Also api_safe_text, the same escaping for JSON error messages.
 */
#include "api/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "api/api.h"
#include "util/xio.h"

#define LOG_LINE_MAX 4096	/* one line, prefix to newline: a longer one is cut */
#define LOG_VALUE_MAX 1024	/* one value (the message too), escaped: a longer one is cut, the others stay */

/*
 * The length of the valid UTF-8 character at s (RFC 3629 section 4: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0 if s does not
 * start one.
 */
static size_t utf8_char(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

void api_safe_text(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n;

	if (!cap)
		return;
	while (*s) {
		n = utf8_char(s);
		if (n == 1 && (*s < 0x20 || *s == 0x7f))
			n = 0;
		if (n) {
			if (o + n >= cap)
				break;
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		} else {
			/* a control character or a byte that starts no character: shown, never passed on */
			if (o + 4 >= cap)
				break;
			snprintf(dst + o, 5, "\\x%02x", *s);
			o += 4;
			s++;
		}
	}
	dst[o] = '\0';
}

/* ---- one line into a capped buffer ---- */

struct lbuf {
	char *b;
	size_t cap;		/* bytes usable before the tail that closes the line */
	size_t o;
	int full;		/* something did not fit: nothing more is added */
};

static void put(struct lbuf *w, const char *s, size_t n)
{
	if (w->full || w->o + n > w->cap) {
		w->full = 1;
		return;
	}
	memcpy(w->b + w->o, s, n);
	w->o += n;
}

static void puts_(struct lbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

enum { ESC_TEXT, ESC_TEXT_VALUE, ESC_JSON };

/*
 * src, escaped for where it goes.  A control character (C0, DEL, and the C1
 * controls U+0080-U+009F, which a terminal may take as escape sequences) or
 * a byte that starts no UTF-8 character is written as \xNN of its bytes; in
 * JSON that text is itself escaped ("\\x0a"), so a reader of either format
 * sees the same thing.  In a text value '"' is \x22 as well, so a quoted
 * value has no quote inside.  A character that does not fit is not cut.
 */
static void put_esc(struct lbuf *w, const char *src, int mode)
{
	const unsigned char *s = (const unsigned char *)src;
	char x[16];
	size_t n;

	while (*s && !w->full) {
		n = utf8_char(s);
		if (n && !(n == 1 && (*s < 0x20 || *s == 0x7f)) && !(n == 2 && s[0] == 0xc2 && s[1] < 0xa0) &&
		    !(n == 1 && *s == '"' && mode == ESC_TEXT_VALUE)) {
			if (mode == ESC_JSON && (*s == '"' || *s == '\\')) {
				x[0] = '\\';
				x[1] = (char)*s;
				put(w, x, 2);
			} else {
				put(w, (const char *)s, n);
			}
		} else {
			/* escaped: every byte of the character (one for a byte that starts none) */
			size_t len = 0;

			if (!n)
				n = 1;
			for (size_t k = 0; k < n; k++)
				len += (size_t)snprintf(x + len, sizeof(x) - len, mode == ESC_JSON ? "\\\\x%02x" : "\\x%02x",
							s[k]);
			put(w, x, len);
		}
		if (!w->full)
			s += n;
	}
}

/*
 * A string value, escaped, cut at LOG_VALUE_MAX bytes (at a character
 * boundary) so that one long value leaves room for the others.  Only the
 * line's own cap sets w->full.
 */
static void put_value(struct lbuf *w, const char *s, int mode)
{
	size_t cap = w->cap;

	if (w->full)
		return;
	if (w->o + LOG_VALUE_MAX < cap) {
		w->cap = w->o + LOG_VALUE_MAX;
		put_esc(w, s, mode);
		w->full = 0;
		w->cap = cap;
	} else {
		put_esc(w, s, mode);
	}
}

/* A text value needs quotes when empty or holding a space or '='. */
static int needs_quotes(const char *s)
{
	return !*s || strpbrk(s, " =") != NULL;
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

const char *log_level_name(int level)
{
	return level >= LOG_ERROR && level <= LOG_DEBUG ? level_names[level] : "info";
}

int log_level_parse(const char *s, int *level)
{
	for (int i = LOG_ERROR; i <= LOG_DEBUG; i++) {
		if (!strcmp(s, level_names[i])) {
			*level = i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_format_parse(const char *s, int *format)
{
	if (!strcmp(s, "text"))
		*format = LOG_TEXT;
	else if (!strcmp(s, "json"))
		*format = LOG_JSON;
	else
		return -EINVAL;
	return 0;
}

/* sd-daemon(3): SD_ERR 3, SD_WARNING 4, SD_INFO 6, SD_DEBUG 7 */
static const char *const journal_prefix[] = { "<3>", "<4>", "<6>", "<7>" };

size_t log_format_line(char *buf, size_t cap, int format, int journal, const char *ts, int level,
		       const char *msg, const struct log_field *f, size_t nf)
{
	/* room is always kept for the tail that closes a line: '"', '}', the newline, the NUL */
	struct lbuf w = { .b = buf, .cap = cap - 4, .o = 0 };
	char num[48];
	int json = format == LOG_JSON;

	if (level < LOG_ERROR || level > LOG_DEBUG)
		level = LOG_INFO;
	if (journal)
		puts_(&w, journal_prefix[level]);
	if (json) {
		puts_(&w, "{");
		if (ts) {
			puts_(&w, "\"time\":\"");
			puts_(&w, ts);
			puts_(&w, "\",");
		}
		puts_(&w, "\"level\":\"");
		puts_(&w, level_names[level]);
		puts_(&w, "\",\"msg\":\"");
		put_value(&w, msg, ESC_JSON);
		if (w.full) {
			/* a message cut short still ends its string */
			w.full = 0;
			w.cap = cap - 3;
			put(&w, "\"", 1);
			w.full = 1;
		} else {
			puts_(&w, "\"");
		}
	} else {
		if (ts) {
			puts_(&w, ts);
			puts_(&w, " ");
		}
		if (!journal) {
			puts_(&w, level_names[level]);
			puts_(&w, " ");
		}
		put_value(&w, msg, ESC_TEXT);
	}
	for (size_t i = 0; i < nf && !w.full; i++) {
		size_t mark = w.o;

		if (f[i].type == LOGF_STR && !f[i].s)
			continue;
		puts_(&w, json ? ",\"" : " ");
		puts_(&w, f[i].key);
		puts_(&w, json ? "\":" : "=");
		switch (f[i].type) {
		case LOGF_INT:
			snprintf(num, sizeof(num), "%lld", f[i].i);
			puts_(&w, num);
			break;
		case LOGF_MS:
			snprintf(num, sizeof(num), "%.3f", f[i].ms);
			puts_(&w, num);
			break;
		default:
			if (json || needs_quotes(f[i].s)) {
				puts_(&w, "\"");
				put_value(&w, f[i].s, json ? ESC_JSON : ESC_TEXT_VALUE);
				puts_(&w, "\"");
			} else {
				put_value(&w, f[i].s, ESC_TEXT_VALUE);
			}
		}
		if (w.full)
			w.o = mark;	/* a field that does not fit is left out whole */
	}
	if (json)
		buf[w.o++] = '}';
	buf[w.o++] = '\n';
	buf[w.o] = '\0';
	return w.o;
}

/* ---- the daemon's log ---- */

int api_log_enabled(const struct api *a, int level)
{
	return level <= a->cfg.log_level;
}

void api_log_fields(struct api *a, int level, const char *msg, const struct log_field *f, size_t nf)
{
	char ts[25], line[LOG_LINE_MAX];
	size_t n;
	FILE *out;

	if (!api_log_enabled(a, level))
		return;
	/* journald stamps each text line itself; a JSON object keeps its own time member */
	if (a->log_journal && a->cfg.log_format == LOG_TEXT)
		n = log_format_line(line, sizeof(line), a->cfg.log_format, 1, NULL, level, msg, f, nf);
	else {
		xtime_rfc3339(ts);
		n = log_format_line(line, sizeof(line), a->cfg.log_format, a->log_journal, ts, level, msg, f, nf);
	}
	pthread_mutex_lock(&a->loglock);
	out = a->log ? (FILE *)a->log : stderr;
	fwrite(line, 1, n, out);
	fflush(out);
	pthread_mutex_unlock(&a->loglock);
}

void api_logl(struct api *a, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!api_log_enabled(a, level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_log_fields(a, level, msg, NULL, 0);
}

/*
 * The older calls say their level in the message ("error: ...",
 * "warning: ..."): the prefix becomes the level and leaves the message.
 */
void api_log(struct api *a, const char *fmt, ...)
{
	char msg[1024];
	const char *m = msg;
	int level = LOG_INFO;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!strncmp(msg, "error: ", 7)) {
		level = LOG_ERROR;
		m += 7;
	} else if (!strncmp(msg, "warning: ", 9)) {
		level = LOG_WARN;
		m += 9;
	}
	api_log_fields(a, level, m, NULL, 0);
}

void api_log_mhd(void *cls, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	api_log_fields(cls, LOG_WARN, msg, (struct log_field[]){ LF_S("source", "libmicrohttpd") }, 1);
}

/*
 * systemd.exec(5), JOURNAL_STREAM: "<device>:<inode>" of the stream journald
 * connected to our stderr; it counts only if stderr is still that stream
 * (a redirection under the service, say, is not the journal).
 */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Write the log to f (taken) from now on, closing the file before it. */
static void log_use(struct api *a, FILE *f)
{
	pthread_mutex_lock(&a->loglock);
	if (a->log)
		fclose(a->log);
	a->log = f;
	a->log_journal = 0;
	pthread_mutex_unlock(&a->loglock);
}

void api_reopen_log(struct api *a)
{
	FILE *f;

	if (!a->cfg.log_path) {
		int j = stderr_is_journal();
		pthread_mutex_lock(&a->loglock);
		a->log_journal = j;
		pthread_mutex_unlock(&a->loglock);
		return;
	}
	f = fopen(a->cfg.log_path, "ae");
	if (!f) {
		int e = errno;
		api_logl(a, LOG_ERROR, "cannot open the log %s: %s", a->cfg.log_path, strerror(e));
		return;
	}
	log_use(a, f);
}

void api_log_fd(struct api *a, int fd)
{
	FILE *f = fdopen(fd, "a");

	if (!f) {
		close(fd);
		return;
	}
	log_use(a, f);
}

/* The client's address, numeric ("-" when unknown: a test dispatch has no connection). */
static void remote_addr(const struct req *r, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "-");
	if (!r->conn)
		return;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

void api_log_request(struct api *a, const struct req *r, const struct resp *out, double seconds)
{
	int level = out->status >= 500 ? LOG_ERROR : out->status >= 400 ? LOG_WARN : LOG_INFO;
	char msg[1200], remote[INET6_ADDRSTRLEN];
	const char *code = NULL, *reason = NULL, *error = NULL;
	json_t *j = NULL, *e;
	int json = a->cfg.log_format == LOG_JSON;

	/* a scraper's every-15-seconds answer is no news: at debug */
	if (level == LOG_INFO && r->route && !strcmp(r->route, "/metrics"))
		level = LOG_DEBUG;
	if (!api_log_enabled(a, level))
		return;
	/* a refusal says why: the error code, reason and message the client was given */
	if (out->status >= 400 && out->body && !out->stream && out->ctype && !strcmp(out->ctype, "application/json")) {
		j = json_loadb(out->body, out->len, 0, NULL);
		e = json_object_get(j, "error");
		code = json_string_value(json_object_get(e, "code"));
		reason = json_string_value(json_object_get(e, "reason"));
		error = json_string_value(json_object_get(e, "message"));
	}
	remote_addr(r, remote, sizeof(remote));
	snprintf(msg, sizeof(msg), "%s %s %u", r->method, r->path, out->status);
	{
		/* the token's id, never the token */
		struct log_field f[] = {
			LF_S("method", json ? r->method : NULL), LF_S("path", json ? r->path : NULL),
			LF_I("status", out->status), LF_S("route", r->route), LF_MS("duration_ms", seconds * 1000),
			LF_S("remote", remote), LF_S("token", r->authed ? r->tok.id : "-"), LF_S("auth", r->deny),
			LF_S("code", code), LF_S("reason", reason), LF_S("error", error),
		};
		size_t nf = sizeof(f) / sizeof(f[0]);

		if (!json)
			f[2].type = LOGF_STR, f[2].s = NULL;	/* the message has the status */
		api_log_fields(a, level, msg, f, nf);
	}
	json_decref(j);
}
