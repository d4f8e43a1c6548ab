/*
 * log — the daemon's log: one line per event, a level, a message and named
 * fields, as text or as JSON (one object per line).  Every value is escaped
 * where it is written (control characters, invalid UTF-8, C1 controls as
 * \xNN), so no value, a request path say, can start a line of its own.
 * Under journald (JOURNAL_STREAM names our stderr) lines carry the
 * sd-daemon(3) "<N>" priority prefix and text lines no time of their own.
 * The log's state (file, level, format) lives in struct api.
 */
#ifndef SZ_LOG_H
#define SZ_LOG_H
#include <stdarg.h>
#include <stddef.h>

struct api;

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT = 0, LOG_JSON };

enum { LOGF_STR, LOGF_INT, LOGF_MS };
struct log_field {
	const char *key;	/* [a-z_]+, written as is */
	int type;		/* LOGF_* */
	const char *s;		/* LOGF_STR: any bytes, escaped; NULL: the field is left out */
	long long i;		/* LOGF_INT */
	double ms;		/* LOGF_MS: a duration in milliseconds, written with 3 decimals */
};
#define LF_S(k, v) ((struct log_field){ .key = (k), .type = LOGF_STR, .s = (v) })
#define LF_I(k, v) ((struct log_field){ .key = (k), .type = LOGF_INT, .i = (long long)(v) })
#define LF_MS(k, v) ((struct log_field){ .key = (k), .type = LOGF_MS, .ms = (v) })

/* "error", "warn", "info", "debug" into *level: 0, or -EINVAL. */
int log_level_parse(const char *s, int *level);
/* "text", "json" into *format: 0, or -EINVAL. */
int log_format_parse(const char *s, int *format);
/* The level's name ("warn"); "info" for an unknown one.  Cannot fail. */
const char *log_level_name(int level);

/*
 * One log line into buf (cap bytes, cap >= 64), newline included, NUL
 * terminated; a line that does not fit is cut at a character boundary and
 * still ends in a newline (and in JSON, still parses).  ts is the RFC 3339
 * time, or NULL for none (journald's own); journal adds the "<N>" prefix.
 * Returns the length written.  Cannot fail.
 */
size_t log_format_line(char *buf, size_t cap, int format, int journal, const char *ts, int level,
		       const char *msg, const struct log_field *f, size_t nf);

/* 1 if a line of that level would be written (cheap: check before building fields). */
int api_log_enabled(const struct api *a, int level);
/* Write one line with fields.  Cannot fail (a line that cannot be written is dropped). */
void api_log_fields(struct api *a, int level, const char *msg, const struct log_field *f, size_t nf);
/* printf-style at a level, without fields. */
void api_logl(struct api *a, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* libmicrohttpd's own messages (MHD_OPTION_EXTERNAL_LOGGER, cls the struct api): warn lines like ours. */
void api_log_mhd(void *cls, const char *fmt, va_list ap);

#endif
