/*
 * GET /metrics (api/metrics.h), in the Prometheus text exposition format
 * 0.0.4 and its naming conventions (prometheus.io/docs/practices/naming:
 * base units, _total for counters, _bytes, _seconds, _info with value 1).
 */
#include "api/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/connguard.h"
#include "api/jobs.h"
#include "audit/ledger.h"
#include "util/version.h"
#include "core/state.h"
#include "core/ipc.h"
#include "util/xio.h"

#define METRICS_TEXT_MAX (256 * 1024)	/* the whole answer */

/* Upper bounds of the duration buckets, seconds: 0.5 ms (a cached read) to 10 s (a slow disk's fsync). */
static const double bucket_le[METRICS_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
						   0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const char *const bucket_name[METRICS_BUCKETS] = { "0.0005", "0.001", "0.0025", "0.005", "0.01",
							 "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
							 "5", "10" };
static const char *const class_name[RCLASS_N] = { "public", "read", "write", "stream", "unmatched" };

int metrics_route_class(const char *method, unsigned roles, int stream)
{
	if (stream)
		return RCLASS_STREAM;
	if (roles & ROLE_ANYONE)
		return RCLASS_PUBLIC;
	return !strcmp(method, "GET") || !strcmp(method, "HEAD") ? RCLASS_READ : RCLASS_WRITE;
}

void metrics_request(struct api *a, int rclass, unsigned status, double seconds)
{
	struct api_metrics *m = &a->m;
	unsigned b = 0;

	if (status < 600)
		atomic_fetch_add_explicit(&m->by_status[status], 1, memory_order_relaxed);
	if (rclass < 0 || rclass >= RCLASS_N)
		rclass = RCLASS_UNMATCHED;
	if (seconds < 0)
		seconds = 0;
	while (b < METRICS_BUCKETS && seconds > bucket_le[b])
		b++;
	atomic_fetch_add_explicit(&m->hist[rclass][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->hist_sum_ns[rclass], (unsigned long long)(seconds * 1e9), memory_order_relaxed);
}

/* ---- labelled counts (under m->lock) ---- */

/* A label value as it may appear: [A-Za-z0-9_.:-], 1 to 31 bytes; anything else is "other". */
static const char *label_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 31 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") != n)
		return "other";
	return s;
}

/* The count for (label, label2), made if new; past METRICS_LABELS the last slot, "other". */
static struct mcount *slot(struct mcount *t, unsigned *n, const char *label, const char *label2)
{
	label = label_ok(label);
	label2 = label2 ? label_ok(label2) : "";
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(t[i].label, label) && !strcmp(t[i].label2, label2))
			return &t[i];
	if (*n == METRICS_LABELS - 1) {
		label = "other";
		label2 = label2[0] ? "other" : "";
		for (unsigned i = 0; i < *n; i++)
			if (!strcmp(t[i].label, label) && !strcmp(t[i].label2, label2))
				return &t[i];
	}
	if (*n == METRICS_LABELS)
		return &t[METRICS_LABELS - 1];
	snprintf(t[*n].label, sizeof(t[*n].label), "%s", label);
	snprintf(t[*n].label2, sizeof(t[*n].label2), "%s", label2);
	return &t[(*n)++];
}

void metrics_auth_failure(struct api *a, const char *why)
{
	pthread_mutex_lock(&a->m.lock);
	slot(a->m.authfail, &a->m.nauthfail, why, NULL)->n++;
	pthread_mutex_unlock(&a->m.lock);
}

void api_job_answered(struct api *a, const char *asset, const char *device, const struct resp *out)
{
	json_t *j, *e;
	const char *reason, *msg;

	if ((out->status != 409 && out->status != 202) || !out->body)
		return;
	j = json_loadb(out->body, out->len, 0, NULL);
	if (out->status == 202) {
		api_log_fields(a, LOG_INFO, "wipe job started",
			       (struct log_field[]){ LF_S("job", json_string_value(json_object_get(j, "id"))),
						     LF_S("asset", asset), LF_S("device", device),
						     LF_S("method", json_string_value(json_object_get(j, "method"))) }, 4);
		json_decref(j);
		return;
	}
	e = json_object_get(j, "error");
	reason = json_string_value(json_object_get(e, "reason"));
	msg = json_string_value(json_object_get(e, "message"));
	if (reason) {
		/* SPEC section 7: an interlock refusal names its reason */
		pthread_mutex_lock(&a->m.lock);
		slot(a->m.refusals, &a->m.nrefusals, reason, NULL)->n++;
		pthread_mutex_unlock(&a->m.lock);
		api_log_fields(a, LOG_WARN, "wipe refused by an interlock",
			       (struct log_field[]){ LF_S("asset", asset), LF_S("device", device), LF_S("reason", reason),
						     LF_S("error", msg) }, 4);
	}
	json_decref(j);
}

/* ---- counters derived from the ledger ---- */

/*
 * The wipe and certificate entries of [from, to), summed per kind: one
 * statement, a range of seq (the primary key), so a scrape reads only what
 * was appended since the previous one.
 */
static const char ledger_counts_sql[] =
	"SELECT type, json_extract(entry, '$.data.method'), json_extract(entry, '$.data.reason'),"
	" json_extract(entry, '$.data.refusal'), count(*),"
	" total(json_extract(entry, '$.data.bytes_written')),"
	" total(json_extract(entry, '$.data.verification.bytes_read'))"
	" FROM entries WHERE seq >= ?1 AND seq < ?2"
	" AND type IN ('sanitize_started', 'sanitize_completed', 'sanitize_failed', 'certificate_issued')"
	" GROUP BY 1, 2, 3, 4";

/* Add the entries from m->next to the ledger's size now (under m->lock). */
static int ledger_catch_up(struct api *a, struct ledger *l)
{
	struct api_metrics *m = &a->m;
	sqlite3_stmt *s = NULL;
	uint64_t size;
	int rc, src;

	rc = ledger_size(l, &size);
	if (rc < 0 || size <= m->next)
		return rc;
	if (sqlite3_prepare_v2(ledger_sqlite(l), ledger_counts_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)m->next);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)size);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(s, 0);
		const char *method = (const char *)sqlite3_column_text(s, 1);
		const char *reason = (const char *)sqlite3_column_text(s, 2);
		const char *refusal = (const char *)sqlite3_column_text(s, 3);
		unsigned long long n = (unsigned long long)sqlite3_column_int64(s, 4);
		double written = sqlite3_column_double(s, 5), verified = sqlite3_column_double(s, 6);
		struct mcount *c;

		if (!type)
			continue;
		if (!strcmp(type, "certificate_issued")) {
			m->certs += n;
		} else if (!strcmp(type, "sanitize_started")) {
			slot(m->started, &m->nstarted, method ? method : "unknown", NULL)->n += n;
		} else {
			int failed = !strcmp(type, "sanitize_failed");

			c = slot(m->ended, &m->nended, method ? method : "unknown", failed ? "failed" : "completed");
			c->n += n;
			/* the evidence of recorded wipes: a failed one records no byte counts */
			c->written += (unsigned long long)written;
			c->verified += (unsigned long long)verified;
			if (failed)
				slot(m->failures, &m->nfailures, reason ? reason : "unknown", NULL)->n += n;
		}
		/* the engine's own refusals (sanitize_failed.refusal) of this run: a scrape's range is all after base */
		if (refusal && m->next >= m->base)
			slot(m->refusals, &m->nrefusals, refusal, NULL)->n += n;
	}
	sqlite3_finalize(s);
	if (src != SQLITE_DONE)
		return -EIO;
	m->next = size;
	return 0;
}

/* Boot time plus the process's start in clock ticks (proc(5): /proc/stat btime, /proc/self/stat field 22). */
static double process_start(void)
{
	char *text = NULL, *p;
	size_t len;
	unsigned long long btime = 0, start = 0;
	long tck = sysconf(_SC_CLK_TCK);

	if (xread_file("/proc/stat", 1 << 20, &text, &len) == 0 && (p = strstr(text, "\nbtime ")))
		btime = strtoull(p + 7, NULL, 10);
	free(text);
	text = NULL;
	if (xread_file("/proc/self/stat", 4096, &text, &len) == 0 && (p = strrchr(text, ')'))) {
		/* field 3 follows ") "; starttime is field 22 */
		p += 2;
		for (int f = 3; f < 22 && p; f++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (p)
			start = strtoull(p, NULL, 10);
	}
	free(text);
	return tck > 0 ? (double)btime + (double)start / (double)tck : (double)btime;
}

int metrics_start(struct api *a)
{
	struct ledger *l;
	const char *name;
	unsigned k = 0;
	int rc;

	/* the reasons known in advance show as 0, so an alert's rate() has a series from the start */
	static const char *const failures[] = { "failed", "verification_failed", "cancelled", "interrupted",
						"device_removed", "partial_device", "record_refused" };

	pthread_mutex_init(&a->m.lock, NULL);
	a->m.start_time = process_start();
	a->m.stat_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	a->m.fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 2; i++) {
		char *p = state_path(a->cfg.state_dir, i ? "ledger.db-wal" : "ledger.db");

		a->m.file_fd[i] = p && a->mode == API_HTTP ? open(p, O_PATH | O_CLOEXEC) : -1;
		free(p);
	}
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		slot(a->m.failures, &a->m.nfailures, failures[i], NULL);
	while ((name = jobs_interlock_reason(k++)))
		slot(a->m.refusals, &a->m.nrefusals, name, NULL);
	l = api_read_acquire(a);
	rc = ledger_size(l, &a->m.base);
	pthread_mutex_lock(&a->m.lock);
	if (rc == 0)
		rc = ledger_catch_up(a, l);
	pthread_mutex_unlock(&a->m.lock);
	api_read_release(a, l);
	return rc;
}

/* ---- the text ---- */

struct mtext {
	char *b;
	size_t n, cap;
	int over;
};

static void P(struct mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void P(struct mtext *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->over)
		return;
	va_start(ap, fmt);
	k = vsnprintf(t->b + t->n, t->cap - t->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= t->cap - t->n)
		t->over = 1;
	else
		t->n += (size_t)k;
}

static void family(struct mtext *t, const char *name, const char *type, const char *help)
{
	P(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A /proc file read again from its start through a descriptor kept open: 0 and *text (caller frees), or -errno. */
static int read_proc(int fd, char **text, size_t *len)
{
	char *b = malloc(4096);
	ssize_t n;

	if (!b)
		return -ENOMEM;
	n = fd >= 0 ? pread(fd, b, 4095, 0) : -1;
	if (n < 0) {
		free(b);
		return -EIO;
	}
	b[n] = '\0';
	*text = b;
	*len = (size_t)n;
	return 0;
}

/* proc(5) /proc/self/stat: utime 14, stime 15 (ticks), vsize 23 (bytes), rss 24 (pages). */
static void process_metrics(struct mtext *t, const struct api_metrics *m)
{
	char *text = NULL, *p;
	size_t len;
	unsigned long long v[25] = { 0 };
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	unsigned long fds = 0;
	DIR *d;
	struct dirent *e;

	/* through the descriptors metrics_start opened: the http process opens no file later (issue 12) */
	if (read_proc(m->stat_fd, &text, &len) == 0 && (p = strrchr(text, ')'))) {
		p += 2;
		for (int f = 3; f <= 24 && p && *p; f++) {
			if (f != 3)
				v[f] = strtoull(p, NULL, 10);
			p = strchr(p, ' ');
			if (p)
				p++;
		}
	}
	free(text);
	if (m->fd_dir >= 0 && (d = fdopendir(fcntl(m->fd_dir, F_DUPFD_CLOEXEC, 0)))) {
		rewinddir(d);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				fds++;
		closedir(d);
		if (fds)
			fds--;	/* the duplicate readdir used */
	}
	family(t, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
	P(t, "process_cpu_seconds_total %.2f\n", tck > 0 ? (double)(v[14] + v[15]) / (double)tck : 0.0);
	family(t, "process_open_fds", "gauge", "Open file descriptors.");
	P(t, "process_open_fds %lu\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		family(t, "process_max_fds", "gauge", "The limit of open file descriptors.");
		P(t, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	family(t, "process_resident_memory_bytes", "gauge", "Resident memory size, in bytes.");
	P(t, "process_resident_memory_bytes %llu\n", v[24] * (unsigned long long)(page > 0 ? page : 4096));
	family(t, "process_virtual_memory_bytes", "gauge", "Virtual memory size, in bytes.");
	P(t, "process_virtual_memory_bytes %llu\n", v[23]);
	family(t, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
	P(t, "process_start_time_seconds %.2f\n", m->start_time);
}

/*
 * The size of a ledger file: through the O_PATH descriptor metrics_start
 * took (the http process may not even look into the state directory, issue
 * 12; an O_PATH descriptor holds none of SQLite's locks and closing one
 * would release none, fcntl(2)), else by its name.
 */
static unsigned long long file_size(const struct api_metrics *m, const char *dir, const char *name, int which)
{
	char *p;
	struct stat st;
	unsigned long long n = 0;

	if (m->file_fd[which] >= 0)
		return fstat(m->file_fd[which], &st) == 0 ? (unsigned long long)st.st_size : 0;
	p = state_path(dir, name);
	if (p && stat(p, &st) == 0)
		n = (unsigned long long)st.st_size;
	free(p);
	return n;
}

/*
 * The latest checkpoint's size and the time of the newest entry it covers:
 * checkpoints carry no time, and one is signed in the commit of that entry
 * or by the writer's quiet timer within --checkpoint-interval of it.
 */
static int last_checkpoint(struct ledger *l, uint64_t *size, double *when)
{
	static const char sql[] =
		"SELECT c.size, json_extract(e.entry, '$.time') FROM checkpoints c"
		" LEFT JOIN entries e ON e.seq = c.size - 1 ORDER BY c.size DESC LIMIT 1";
	sqlite3_stmt *s = NULL;
	const char *t;
	struct tm tm = { 0 };
	int rc = -ENOENT;

	if (sqlite3_prepare_v2(ledger_sqlite(l), sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		t = (const char *)sqlite3_column_text(s, 1);
		/* YYYY-MM-DDThh:mm:ss.mmmZ (ledger_time_check) */
		if (t && strlen(t) == 24 && strptime(t, "%Y-%m-%dT%H:%M:%S", &tm)) {
			*when = (double)timegm(&tm) + strtod(t + 19, NULL);
			rc = 0;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

static void counts(struct mtext *t, const char *name, const char *label, const struct mcount *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		P(t, "%s{%s=\"%s\"} %llu\n", name, label, c[i].label, c[i].n);
}

void h_metrics(struct req *r, struct resp *out)
{
	static const char *const states[6] = { "queued", "running", "verifying", "completed", "failed", "cancelled" };
	struct api *a = r->api;
	struct api_metrics *m = &a->m;
	unsigned long long jobs[6], jbytes;
	static struct mcount refusals[METRICS_LABELS];	/* under m->lock */
	unsigned nrefusals;
	struct ipc_stats js;
	uint64_t size = 0, csize = 0;
	double cwhen = 0, now;
	struct timespec ts;
	struct ledger *l;
	struct mtext t = { .cap = METRICS_TEXT_MAX };
	int have_ckpt, rc;

	t.b = malloc(t.cap);
	if (!t.b) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	/* the job manager's counters: this process's, or the devices process's (issue 12); before m->lock */
	if (api_job_stats(a, &js) < 0)
		api_logl(a, LOG_WARN, "warning: /metrics without the job counters: the devices process is not answering");
	for (int i = 0; i < 6; i++)
		jobs[i] = js.jobs[i];
	jbytes = js.job_bytes;
	l = api_read_acquire(a);
	ledger_size(l, &size);
	have_ckpt = last_checkpoint(l, &csize, &cwhen) == 0;
	pthread_mutex_lock(&m->lock);
	memcpy(refusals, m->refusals, sizeof(refusals));
	nrefusals = m->nrefusals;
	/* the devices process's refusals before a job, beside the engine's own the ledger shows */
	for (unsigned i = 0; a->mode == API_HTTP && i < js.nrefusals; i++)
		slot(refusals, &nrefusals, js.refusals[i].reason, NULL)->n += js.refusals[i].n;
	rc = ledger_catch_up(a, l);
	api_read_release(a, l);
	if (rc < 0)
		api_logl(a, LOG_ERROR, "cannot count the ledger's entries for /metrics: %s", strerror(-rc));
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;

	family(&t, "sanitizerd_build_info", "gauge", "The running build: its version as a label, value 1.");
	P(&t, "sanitizerd_build_info{version=\"%s\"} 1\n", SZ_VERSION);

	family(&t, "sanitizerd_http_requests_total", "counter", "HTTP requests answered, by status code.");
	for (unsigned s = 100; s < 600; s++) {
		unsigned long long c = atomic_load_explicit(&m->by_status[s], memory_order_relaxed);
		if (c)
			P(&t, "sanitizerd_http_requests_total{code=\"%u\"} %llu\n", s, c);
	}
	family(&t, "sanitizerd_http_request_duration_seconds", "histogram",
	       "Time from a request's headers to its answer, by route class (public, read, write, stream, unmatched).");
	for (int c = 0; c < RCLASS_N; c++) {
		unsigned long long cum = 0;

		for (int b = 0; b <= METRICS_BUCKETS; b++) {
			cum += atomic_load_explicit(&m->hist[c][b], memory_order_relaxed);
			P(&t, "sanitizerd_http_request_duration_seconds_bucket{class=\"%s\",le=\"%s\"} %llu\n",
			  class_name[c], b < METRICS_BUCKETS ? bucket_name[b] : "+Inf", cum);
		}
		P(&t, "sanitizerd_http_request_duration_seconds_sum{class=\"%s\"} %.6f\n", class_name[c],
		  (double)atomic_load_explicit(&m->hist_sum_ns[c], memory_order_relaxed) / 1e9);
		P(&t, "sanitizerd_http_request_duration_seconds_count{class=\"%s\"} %llu\n", class_name[c], cum);
	}
	family(&t, "sanitizerd_http_auth_failures_total", "counter",
	       "Requests refused for their token: missing, malformed, rejected (unknown or revoked), forbidden (role).");
	counts(&t, "sanitizerd_http_auth_failures_total", "reason", m->authfail, m->nauthfail);

	family(&t, "sanitizerd_http_connections_cut_total", "counter",
	       "Connections shut down for missing a deadline (headers, whole request) or a request line with too many parameters.");
	P(&t, "sanitizerd_http_connections_cut_total %llu\n", a->guard ? connguard_cut(a->guard) : 0ULL);
	family(&t, "sanitizerd_jobs", "gauge", "Wipe jobs now live, by state.");
	for (int i = 0; i < 3; i++)
		P(&t, "sanitizerd_jobs{state=\"%s\"} %llu\n", states[i], jobs[i]);
	family(&t, "sanitizerd_jobs_ended_total", "counter", "Wipe jobs of this run that ended, by final state.");
	for (int i = 3; i < 6; i++)
		P(&t, "sanitizerd_jobs_ended_total{state=\"%s\"} %llu\n", states[i], jobs[i]);
	family(&t, "sanitizerd_jobs_done_bytes", "gauge",
	       "Bytes the live jobs have done in their current phase, and the ended jobs of this run.");
	P(&t, "sanitizerd_jobs_done_bytes %llu\n", jbytes);
	family(&t, "sanitizerd_engine_written_bytes_total", "counter",
	       "Bytes the wipe engine wrote in this run, in jobs that passed or failed.");
	P(&t, "sanitizerd_engine_written_bytes_total %llu\n", a->mode == API_HTTP ? (unsigned long long)js.bytes_written :
	  (unsigned long long)atomic_load_explicit(&m->bytes_written, memory_order_relaxed));

	/* from the ledger: these survive a restart */
	family(&t, "sanitizerd_wipes_started_total", "counter", "Wipes started (sanitize_started), by method.");
	counts(&t, "sanitizerd_wipes_started_total", "method", m->started, m->nstarted);
	family(&t, "sanitizerd_wipes_total", "counter",
	       "Wipes ended in the ledger (sanitize_completed, sanitize_failed), by method and result.");
	for (unsigned i = 0; i < m->nended; i++)
		P(&t, "sanitizerd_wipes_total{method=\"%s\",result=\"%s\"} %llu\n", m->ended[i].label,
		  m->ended[i].label2, m->ended[i].n);
	family(&t, "sanitizerd_wipe_written_bytes_total", "counter",
	       "Bytes written by recorded completed wipes (data.bytes_written), by method.");
	for (unsigned i = 0; i < m->nended; i++)
		if (!strcmp(m->ended[i].label2, "completed"))
			P(&t, "sanitizerd_wipe_written_bytes_total{method=\"%s\"} %llu\n", m->ended[i].label,
			  m->ended[i].written);
	family(&t, "sanitizerd_wipe_verified_bytes_total", "counter",
	       "Bytes read back by the verification of recorded completed wipes, by method.");
	for (unsigned i = 0; i < m->nended; i++)
		if (!strcmp(m->ended[i].label2, "completed"))
			P(&t, "sanitizerd_wipe_verified_bytes_total{method=\"%s\"} %llu\n", m->ended[i].label,
			  m->ended[i].verified);
	family(&t, "sanitizerd_wipe_failures_total", "counter", "Failed wipes (sanitize_failed), by reason.");
	counts(&t, "sanitizerd_wipe_failures_total", "reason", m->failures, m->nfailures);
	family(&t, "sanitizerd_certificates_issued_total", "counter", "Certificates issued (certificate_issued).");
	P(&t, "sanitizerd_certificates_issued_total %llu\n", m->certs);
	family(&t, "sanitizerd_interlock_refusals_total", "counter",
	       "Wipes an interlock refused in this run (before the job, or the engine's own), by reason.");
	counts(&t, "sanitizerd_interlock_refusals_total", "reason", refusals, nrefusals);
	pthread_mutex_unlock(&m->lock);

	family(&t, "sanitizerd_ledger_entries", "gauge", "Entries in the custody ledger.");
	P(&t, "sanitizerd_ledger_entries %llu\n", (unsigned long long)size);
	family(&t, "sanitizerd_ledger_file_size_bytes", "gauge", "Size of the ledger's files (the database and its WAL).");
	P(&t, "sanitizerd_ledger_file_size_bytes{file=\"ledger.db\"} %llu\n", file_size(m, a->cfg.state_dir, "ledger.db", 0));
	P(&t, "sanitizerd_ledger_file_size_bytes{file=\"ledger.db-wal\"} %llu\n",
	  file_size(m, a->cfg.state_dir, "ledger.db-wal", 1));
	if (have_ckpt) {
		family(&t, "sanitizerd_ledger_checkpoint_entries", "gauge", "Entries the latest signed checkpoint covers.");
		P(&t, "sanitizerd_ledger_checkpoint_entries %llu\n", (unsigned long long)csize);
		family(&t, "sanitizerd_ledger_checkpoint_age_seconds", "gauge",
		       "Seconds since the latest signed checkpoint (since the newest entry it covers).");
		P(&t, "sanitizerd_ledger_checkpoint_age_seconds %.3f\n", now > cwhen ? now - cwhen : 0.0);
	}
	process_metrics(&t, m);
	if (t.over)
		reply_error(out, 500, "internal", "the metrics do not fit in %d bytes", METRICS_TEXT_MAX);
	else
		reply_text(out, 200, "text/plain; version=0.0.4; charset=utf-8", t.b, t.n);
	free(t.b);
}
