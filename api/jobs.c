#include "api/jobs.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "api/api.h"
#include "api/station.h"
#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lifecycle.h"
#include "audit/lwriter.h"
#include "drivers/sanitize.h"
#include "util/version.h"
#include "core/state.h"
#include "core/wiprec.h"
#include "util/xio.h"

#define JOBS_MAX 4096		/* jobs accepted and not yet ended */
#define JOBS_DONE_MAX 256	/* ended jobs whose view is kept in memory, newest first out last */

/* What GET /v1/jobs/{id} serves: small, and all that is kept of a job once it ended. */
struct job_view {
	char id[16];
	char asset_id[160];
	char device[PATH_MAX];
	char method[32];
	char verify[8];
	/* as the engine last reported it; under owner->m */
	struct sanitize_progress prog;
	char error[768];
	json_t *report;
	const char *record;		/* the end's ledger entry: "none" yet, "pending", "written", "kept" */
	const char *reason;		/* why it failed (sanitize_failed's reason), NULL otherwise */
};

struct job {
	struct jobs *owner;
	struct job_view v;
	char media_type[16];
	uint64_t capacity;		/* the asset's enrolled capacity_bytes */
	struct sanitize_params params;
	struct sanitize_job *wj;	/* the engine, with its buffers: freed as soon as the job ends */
	struct wiprec_pending *pending;	/* where its end is kept until the ledger has it */
	struct blkdev_info dev;
	int gone;			/* the drive left during the job (under owner->m) */
	double checked;			/* when blkdev_gone last looked */
};

struct jobs {
	struct api *a;
	pthread_mutex_t m;
	pthread_cond_t slot;		/* a running slot came free, or stopping */
	pthread_cond_t idle;		/* a job left the live table */
	unsigned running;
	int stopping;
	struct job *list[JOBS_MAX];	/* live: queued, running, verifying */
	size_t n;
	struct job_view *done[JOBS_DONE_MAX];	/* ended, a ring */
	size_t ndone, done_head;
	unsigned long long ended[6];	/* ended jobs by final state since start, for /metrics */
	unsigned long long ended_bytes;
};

/* Take j out of the live table (under js->m): it alone, wherever it is. */
static void live_remove(struct jobs *js, const struct job *j)
{
	for (size_t i = 0; i < js->n; i++) {
		if (js->list[i] == j) {
			memmove(&js->list[i], &js->list[i + 1], (js->n - i - 1) * sizeof(js->list[0]));
			js->n--;
			break;
		}
	}
	pthread_cond_broadcast(&js->idle);
}

/* Keep the view of an ended job (under js->m); the oldest kept one goes.  Takes v. */
static void done_add(struct jobs *js, struct job_view *v)
{
	size_t slot = (js->done_head + js->ndone) % JOBS_DONE_MAX;

	if (js->ndone == JOBS_DONE_MAX) {
		slot = js->done_head;
		json_decref(js->done[slot]->report);
		free(js->done[slot]);
		js->done_head = (js->done_head + 1) % JOBS_DONE_MAX;
	} else {
		js->ndone++;
	}
	js->done[slot] = v;
}

/* ---- ledger writes through the writer thread ---- */

/*
 * Append one entry through the ledger writer, as the service (the writer
 * lets only it record sanitize_*); data is borrowed.
 */
static int append(struct api *a, const char *subject, const char *type, const char *actor, json_t *data,
		  char *err, size_t errlen)
{
	struct lw_op op = { .type = LW_APPEND, .caller = { .role = LW_ROLE_SERVICE } };
	char *text;
	int rc;

	snprintf(op.caller.actor, sizeof(op.caller.actor), "%s", actor);
	snprintf(op.in.append.subject, sizeof(op.in.append.subject), "%s", subject);
	snprintf(op.in.append.type, sizeof(op.in.append.type), "%s", type);
	text = json_dumps(data, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot record %s: out of memory", type);
		return -ENOMEM;
	}
	op.in.append.data = (struct lw_text){ text, strlen(text) };
	rc = api_write(a, &op, err, errlen);
	free(text);
	free(op.out.entry.entry);
	return rc;
}

/* The same for an asset; steals data. */
static int record(struct api *a, const char *asset_id, const char *type, const char *actor, json_t *data,
		  char *err, size_t errlen)
{
	char subject[200];
	int rc;

	snprintf(subject, sizeof(subject), "asset:%.180s", asset_id);
	rc = data ? append(a, subject, type, actor, data, err, errlen) : -ENOMEM;
	json_decref(data);
	return rc;
}

/* ---- recovery ---- */

/*
 * A job's end kept in STATE/jobs because the ledger could not take it then:
 * recorded now if the asset is still sanitizing under that job (0), or
 * found recorded already (1).
 */
static int replay_one(void *ctx, const char *subject, const char *type, const char *actor, json_t *data)
{
	struct api *a = ctx;
	struct ledger *l;
	sqlite3_stmt *s = NULL;
	const char *job = json_string_value(json_object_get(data, "job_id"));
	char err[512];
	int live = 0, rc, st = 0;

	if (!job || strncmp(subject, "asset:", 6) || (strcmp(type, "sanitize_completed") && strcmp(type, "sanitize_failed")))
		return 1;	/* not a job's end: nothing this daemon would have written */
	l = api_read_acquire(a);
	/* still sanitizing by the entries themselves, and under this job's start */
	if (ledger_replayed_state(l, subject, &st, NULL) == 0 && st == LC_SANITIZING &&
	    sqlite3_prepare_v2(ledger_sqlite(l), "SELECT json_extract(entry, '$.data.job_id') = ?2 FROM entries"
			       " WHERE subject = ?1 AND type = 'sanitize_started' ORDER BY seq DESC LIMIT 1",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, job, -1, SQLITE_STATIC);
		live = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1;
	}
	sqlite3_finalize(s);
	api_read_release(a, l);
	if (!live)
		return 1;
	rc = append(a, subject, type, actor, data, err, sizeof(err));
	if (rc < 0) {
		api_log(a, "error: cannot record the kept end of job %s: %s", job, err);
		return rc;
	}
	api_log(a, "job %s: recorded its end kept from an earlier run: %s", job, type);
	return 0;
}

/* The subjects left sanitizing, by replay (never the derived subjects table), and their starts. */
struct interrupted {
	size_t n, cap;
	struct { char subject[168]; uint64_t started; } *v;
};

static int note_interrupted(void *ctx, const char *subject, uint64_t started)
{
	struct interrupted *x = ctx;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		void *nv = cap <= 1000000 ? realloc(x->v, cap * sizeof(*x->v)) : NULL;
		if (!nv)
			return -ENOMEM;
		x->v = nv;
		x->cap = cap;
	}
	snprintf(x->v[x->n].subject, sizeof(x->v[0].subject), "%s", subject);
	x->v[x->n++].started = started;
	return 0;
}

/* The job id its sanitize_started at seq recorded ("" if none), into id. */
static void started_job_id(struct ledger *l, uint64_t seq, char *id, size_t len)
{
	sqlite3_stmt *s = NULL;

	id[0] = '\0';
	if (sqlite3_prepare_v2(ledger_sqlite(l), "SELECT json_extract(entry, '$.data.job_id') FROM entries WHERE seq = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT)
		snprintf(id, len, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

/* Every subjects row that says sanitizing must be so by its entries: 0, or -EBADMSG naming the first that is not. */
static int derived_sanitizing_agrees(struct ledger *l, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(ledger_sqlite(l), "SELECT subject FROM subjects WHERE state = 'sanitizing'", -1, &s,
			       NULL) != SQLITE_OK)
		return xerr(err, errlen, -EIO, "cannot read the subjects table: %s", sqlite3_errmsg(ledger_sqlite(l)));
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		const char *subject = (const char *)sqlite3_column_text(s, 0);
		int st = LC_NONE;

		if (ledger_replayed_state(l, subject, &st, NULL) == 0 && st != LC_SANITIZING)
			rc = xerr(err, errlen, -EBADMSG, "cannot recover interrupted wipes: for %s the subjects table says "
				  "'sanitizing' but its entries say '%s'; the ledger was changed behind its back (run "
				  "ledger verify)", subject, lifecycle_state_name(st));
	}
	sqlite3_finalize(s);
	return rc;
}

static int recover(struct api *a, char *err, size_t errlen)
{
	struct interrupted x = { 0 };
	struct ledger *l;
	char jobid[64];
	int rc;

	/* first what really happened, kept outside the ledger; only then "interrupted" for the rest */
	rc = wiprec_pending_replay(a->cfg.state_dir, replay_one, a, err, errlen);
	if (rc == -EBADMSG) {
		api_log(a, "warning: %s", err);
		rc = 0;
	}
	if (rc < 0)
		return rc;
	/* SPEC section 5: no asset stays sanitizing without a live job; what the entries say, not the tables */
	l = api_read_acquire(a);
	rc = ledger_replayed_sanitizing(l, note_interrupted, &x);
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot look for interrupted wipes: %s", ledger_errmsg(l));
		api_read_release(a, l);
		free(x.v);
		return rc;
	}
	/* the derived table must agree, both ways, before anything is appended */
	for (size_t i = 0; i < x.n && rc == 0; i++) {
		int st = LC_NONE;
		if (ledger_state(l, x.v[i].subject, &st) == 0 && st != LC_SANITIZING)
			rc = xerr(err, errlen, -EBADMSG, "cannot recover interrupted wipes: for %s the subjects table says "
				  "'%s' but its entries say 'sanitizing'; the ledger was changed behind its back (run "
				  "ledger verify)", x.v[i].subject, lifecycle_state_name(st));
	}
	if (rc == 0)
		rc = derived_sanitizing_agrees(l, err, errlen);
	for (size_t i = 0; i < x.n && rc == 0; i++) {
		started_job_id(l, x.v[i].started, jobid, sizeof(jobid));
		json_t *d = json_pack("{s:s, s:s, s:s}", "job_id", jobid, "reason", "interrupted", "error",
				      "the daemon stopped or crashed while the wipe ran");
		rc = d ? append(a, x.v[i].subject, "sanitize_failed", "sanitizerd", d, err, errlen) : -ENOMEM;
		json_decref(d);
		if (rc == 0)
			api_log(a, "%s was left sanitizing by an earlier run: recorded sanitize_failed (interrupted)",
				x.v[i].subject);
	}
	api_read_release(a, l);
	free(x.v);
	return rc;
}

/* ---- the worker ---- */

static json_t *job_json(const struct job_view *j);

/* The drive left: the job stops at its next safe point and fails with reason device_removed. */
static void mark_gone(struct job *j)
{
	pthread_mutex_lock(&j->owner->m);
	if (!j->gone) {
		j->gone = 1;
		sanitize_job_cancel(j->wj);
	}
	pthread_mutex_unlock(&j->owner->m);
}

static void on_progress(void *ctx, const struct sanitize_progress *p)
{
	struct job *j = ctx;
	json_t *view;

	pthread_mutex_lock(&j->owner->m);
	j->v.prog = *p;
	view = job_json(&j->v);
	pthread_mutex_unlock(&j->owner->m);
	station_publish(j->owner->a->station, "job.progress", view);
	/* a drive pulled (or a loop device detached) while it is held: no event may come, so look */
	if (xmono() - j->checked >= 1.0) {
		j->checked = xmono();
		if (blkdev_gone(&j->dev))
			mark_gone(j);
	}
}

void jobs_device_gone(struct jobs *js, unsigned major, unsigned minor)
{
	pthread_mutex_lock(&js->m);
	for (size_t i = 0; i < js->n; i++) {
		struct job *j = js->list[i];
		if (j->dev.major == major && j->dev.minor == minor && !j->gone) {
			j->gone = 1;
			sanitize_job_cancel(j->wj);
		}
	}
	pthread_mutex_unlock(&js->m);
}

/* A job that will not run, or has run: out of the live table, its view kept, everything else freed. */
static void job_end(struct jobs *js, struct job *j, const struct sanitize_result *r)
{
	struct job_view *v = malloc(sizeof(*v));

	pthread_mutex_lock(&js->m);
	if (r)
		js->ended_bytes += r->bytes_written;
	if ((unsigned)j->v.prog.state < 6)
		js->ended[j->v.prog.state]++;
	live_remove(js, j);
	if (!j->v.record)
		j->v.record = "none";
	if (v) {
		*v = j->v;
		done_add(js, v);
	} else {
		json_decref(j->v.report);
	}
	pthread_mutex_unlock(&js->m);
	sanitize_job_free(j->wj);
	wiprec_pending_close(j->pending, strcmp(j->v.record ? j->v.record : "none", "kept") != 0);
	free(j);
}

/* The ledger could not store an entry (a full disk, an I/O error, busy): trying again may help; a refusal will not. */
static int store_failed(int rc)
{
	return rc == -ENOSPC || rc == -EIO || rc == -EBUSY || rc == -EAGAIN || rc == -ENOMEM;
}

static void set_record(struct job *j, const char *what)
{
	pthread_mutex_lock(&j->owner->m);
	j->v.record = what;
	pthread_mutex_unlock(&j->owner->m);
}

/*
 * The job's end into the ledger (steals data).  Kept in the job's reserved
 * file first, then appended; while the ledger cannot take it (a full disk)
 * the job shows record "pending" and, with retry, it is tried again every
 * second; when the daemon stops first (or without retry: a request thread
 * must not wait), the file keeps it for the next start ("kept").
 */
static int record_end(struct job *j, const char *type, const char *actor, json_t *data, int retry, char *err,
		      size_t errlen)
{
	struct api *a = j->owner->a;
	char subject[200];
	int rc, kept, logged = 0;

	if (!data)
		return -ENOMEM;
	snprintf(subject, sizeof(subject), "asset:%.180s", j->v.asset_id);
	kept = j->pending && wiprec_pending_write(j->pending, subject, type, actor, data) == 0;
	for (;;) {
		rc = append(a, subject, type, actor, data, err, errlen);
		if (rc == 0 || !kept)
			break;
		if (!store_failed(rc)) {
			/* refused, not failed to store: trying again cannot help */
			api_log(a, "error: job %s: the ledger refused its %s: %s", j->v.id, type, err);
			break;
		}
		if (!logged++)
			api_log(a, "error: job %s: cannot record %s yet, kept in the state directory and retried: %s",
				j->v.id, type, err);
		set_record(j, "pending");
		pthread_mutex_lock(&j->owner->m);
		if (j->owner->stopping || !retry) {
			pthread_mutex_unlock(&j->owner->m);
			set_record(j, "kept");
			break;
		}
		pthread_mutex_unlock(&j->owner->m);
		sleep(1);
	}
	if (rc == 0) {
		set_record(j, "written");
		if (logged)
			api_log(a, "job %s: recorded %s after %d tries", j->v.id, type, logged + 1);
	}
	json_decref(data);
	return rc;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct jobs *js = j->owner;
	struct api *a = js->a;
	const struct sanitize_result *r;
	char err[512], actor[64];
	int rc, ok, partial = 0;
	json_t *report, *ended;

	pthread_mutex_lock(&js->m);
	while (js->running >= a->cfg.max_jobs && !js->stopping)
		pthread_cond_wait(&js->slot, &js->m);
	js->running++;
	j->v.prog.state = WIPE_RUNNING;
	pthread_mutex_unlock(&js->m);

	if (js->stopping)
		sanitize_job_cancel(j->wj);
	rc = sanitize_job_run(j->wj, on_progress, j);
	r = sanitize_job_result(j->wj);
	/* the wipe's own end shows at once; "record" says whether the ledger has it yet */
	report = sanitize_result_to_json(r);
	pthread_mutex_lock(&js->m);
	j->v.prog.state = r->state;
	snprintf(j->v.error, sizeof(j->v.error), "%s", r->error);
	j->v.report = report;
	pthread_mutex_unlock(&js->m);
	snprintf(actor, sizeof(actor), "job:%s", j->v.id);
	/* the one rule for a pass, the CLI's too: passed, or completed with exceptions said plainly */
	ok = rc == 0 && wiprec_outcome(r, err, sizeof(err)) != WIPREC_FAILED;
	/* SPEC section 7: what the engine covered must be the asset's whole drive, or it is no sanitization */
	if (ok && wiprec_coverage_check(r, &j->dev, j->capacity, err, sizeof(err)) < 0) {
		api_log(a, "error: job %s: %s", j->v.id, err);
		ok = 0;
		partial = 1;
	}
	if (ok) {
		rc = record_end(j, "sanitize_completed", actor,
				wiprec_completed(j->v.id, r, &j->dev, j->media_type, j->capacity), 1, err, sizeof(err));
		if (rc < 0 && !store_failed(rc)) {
			/* a wipe whose evidence the ledger will not take is not a sanitization it can certify */
			json_t *d = json_pack("{s:s, s:s, s:s}", "job_id", j->v.id, "reason", "record_refused", "error", err);
			ok = 0;
			pthread_mutex_lock(&js->m);
			j->v.reason = "record_refused";
			j->v.prog.state = WIPE_FAILED;
			snprintf(j->v.error, sizeof(j->v.error), "the ledger refused the record of the wipe: %s", err);
			pthread_mutex_unlock(&js->m);
			rc = record_end(j, "sanitize_failed", actor, d, 1, err, sizeof(err));
		}
	} else {
		int gone;
		const char *reason;
		json_t *d;

		pthread_mutex_lock(&js->m);
		gone = j->gone;
		pthread_mutex_unlock(&js->m);
		reason = partial ? "partial_device" : gone ? "device_removed" :
			 rc == -ECANCELED ? (js->stopping ? "interrupted" : "cancelled") :
			 rc == -EILSEQ ? "verification_failed" : "failed";
		d = wiprec_failed(j->v.id, reason, r);
		pthread_mutex_lock(&js->m);
		j->v.reason = reason;
		pthread_mutex_unlock(&js->m);
		if (gone && d) {
			char msg[400];
			snprintf(msg, sizeof(msg), "the drive %s was removed during the wipe", j->dev.path);
			json_object_set_new(d, "error", json_string(msg));
			pthread_mutex_lock(&js->m);
			j->v.prog.state = WIPE_FAILED;
			snprintf(j->v.error, sizeof(j->v.error), "%s", msg);
			pthread_mutex_unlock(&js->m);
		}
		rc = record_end(j, "sanitize_failed", actor, d, 1, err, sizeof(err));
	}
	if (rc < 0)
		api_log(a, "error: job %s: cannot record its end in the ledger: %s", j->v.id, err);
	api_log_fields(a, r->state == WIPE_COMPLETED ? LOG_INFO : LOG_WARN, "wipe job ended",
		       (struct log_field[]){ LF_S("job", j->v.id), LF_S("asset", j->v.asset_id), LF_S("device", r->device),
					     LF_S("method", j->v.method), LF_S("state", wipe_state_name(r->state)),
					     LF_S("reason", j->v.reason), LF_S("error", r->error[0] ? r->error : NULL) }, 7);
	atomic_fetch_add(&a->m.bytes_written, r->bytes_written);
	pthread_mutex_lock(&js->m);
	ended = job_json(&j->v);
	pthread_mutex_unlock(&js->m);
	station_publish(a->station, "job.ended", ended);
	pthread_mutex_lock(&js->m);
	js->running--;
	pthread_cond_broadcast(&js->slot);
	pthread_mutex_unlock(&js->m);
	job_end(js, j, r);	/* j is gone after this; and js too once jobs_stop sees the table empty */
	return NULL;
}

/* 1 if every component of p is a name: none empty, none "." or "..".  Cannot fail. */
static int plain_path(const char *p)
{
	for (;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* A worker thread nobody joins: jobs_stop waits for the live table to empty instead. */
static int start_detached(struct job *j)
{
	pthread_attr_t at;
	pthread_t th;
	int rc;

	if (pthread_attr_init(&at) != 0)
		return -EAGAIN;
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &at, worker, j);
	pthread_attr_destroy(&at);
	return rc ? -rc : 0;
}

/*
 * Fault injection for the system tests (tests/t5060-jobs-table.sh), in the
 * test build only (SZ_TEST_HOOKS): SZ_TEST_FAULT="job_thread:ASSET" makes
 * the start of that asset's job fail after sanitize_started is written,
 * a second later, so that another request can be accepted in between.
 */
static int test_fault(struct api *a, const char *what, const char *asset_id)
{
#ifdef SZ_TEST_HOOKS
	const char *f = getenv("SZ_TEST_FAULT");
	size_t n = strlen(what);

	(void)a;
	if (f && !strncmp(f, what, n) && f[n] == ':' && !strcmp(f + n + 1, asset_id)) {
		sleep(1);
		return 1;
	}
#else
	(void)a, (void)what, (void)asset_id;
#endif
	return 0;
}

/* ---- handlers ---- */

static json_t *job_json(const struct job_view *j)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:s?}",
			      "id", j->id, "asset_id", j->asset_id, "device", j->device,
			      "method", j->method, "verify", j->verify,
			      "state", wipe_state_name(j->prog.state), "pass", (int)j->prog.pass,
			      "passes", (int)j->prog.passes, "bytes_done", (json_int_t)j->prog.bytes_done,
			      "bytes_total", (json_int_t)j->prog.bytes_total,
			      "rate_bytes_per_s", (json_int_t)j->prog.rate,
			      "eta_s", (json_int_t)(j->prog.eta < 0 ? -1 : j->prog.eta),
			      "error", j->error[0] ? j->error : NULL);
	if (o && !j->error[0])
		json_object_set_new(o, "error", json_null());
	if (o) {
		/* bytes_* are the current phase's; overall is the whole job's, which eta_s is over */
		json_object_set_new(o, "overall", json_pack("{s:I, s:I, s:f}", "done", (json_int_t)j->prog.overall_done,
							    "total", (json_int_t)j->prog.overall_total,
							    "fraction", j->prog.overall_fraction));
		json_object_set_new(o, "record", json_string(j->record ? j->record : "none"));
		json_object_set_new(o, "reason", j->reason ? json_string(j->reason) : json_null());
	}
	if (o && j->report)
		json_object_set(o, "report", j->report);
	return o;
}

/* The live job of that id, or NULL (under js->m). */
static struct job *find(struct jobs *js, const char *id)
{
	for (size_t i = 0; i < js->n; i++)
		if (!strcmp(js->list[i]->v.id, id))
			return js->list[i];
	return NULL;
}

/* The view of a live or recently ended job, or NULL (under js->m). */
static const struct job_view *find_view(struct jobs *js, const char *id)
{
	struct job *j = find(js, id);

	if (j)
		return &j->v;
	for (size_t i = 0; i < js->ndone; i++) {
		const struct job_view *v = js->done[(js->done_head + i) % JOBS_DONE_MAX];
		if (!strcmp(v->id, id))
			return v;
	}
	return NULL;
}

static int busy_on(struct jobs *js, const char *asset_id, dev_t devno)
{
	for (size_t i = 0; i < js->n; i++) {
		struct job *j = js->list[i];
		if (!strcmp(j->v.asset_id, asset_id) || makedev(j->dev.major, j->dev.minor) == devno)
			return 1;
	}
	return 0;
}

void h_jobs_create(struct req *r, struct resp *out)
{
	json_t *body = req_json(r, out), *unknown;
	const char *asset_id = NULL, *device = NULL, *method = NULL, *verify = "full", *key;
	const char *on_error = NULL, *hpa = NULL;
	struct jobs_opt opt;

	if (!body)
		return;
	json_object_foreach(body, key, unknown) {
		if (strcmp(key, "asset_id") && strcmp(key, "device") && strcmp(key, "method") && strcmp(key, "verify") &&
		    strcmp(key, "on_error") && strcmp(key, "restore_hpa")) {
			reply_error(out, 400, "bad_request", "unknown member '%.60s' (want asset_id, device, method, verify, "
				    "on_error, restore_hpa)", key);
			json_decref(body);
			return;
		}
	}
	if (json_unpack(body, "{s:s, s:s, s:s, s?s, s?s, s?s}", "asset_id", &asset_id, "device", &device, "method",
			&method, "verify", &verify, "on_error", &on_error, "restore_hpa", &hpa) < 0)
		reply_error(out, 400, "bad_request", "asset_id, device and method must be strings; verify, on_error "
			    "and restore_hpa are optional strings");
	else if (jobs_options(on_error, hpa, &opt) < 0)
		reply_error(out, 400, "bad_request", "on_error must be fail or continue; restore_hpa no, volatile or permanent");
	else
		jobs_create(r, asset_id, device, method, verify, NULL, &opt, out);
	json_decref(body);
}

int jobs_options(const char *on_error, const char *restore_hpa, struct jobs_opt *o)
{
	enum wipe_on_error e = WIPE_ON_ERROR_FAIL;

	memset(o, 0, sizeof(*o));
	if (on_error && wipe_on_error_parse(on_error, &e) < 0)
		return -EINVAL;
	o->on_error = e;
	if (!restore_hpa || !strcmp(restore_hpa, "no"))
		o->restore_hpa = SANITIZE_HPA_REFUSE;
	else if (!strcmp(restore_hpa, "volatile"))
		o->restore_hpa = SANITIZE_HPA_RESTORE;
	else if (!strcmp(restore_hpa, "permanent"))
		o->restore_hpa = SANITIZE_HPA_RESTORE_PERMANENT;
	else
		return -EINVAL;
	return 0;
}

void jobs_create(struct req *r, const char *asset_id, const char *device, const char *method, const char *verify,
		 const char *batch_id, const struct jobs_opt *opt, struct resp *out)
{
	struct api *a = r->api;
	struct jobs *js = a->jobs;
	json_t *asset = NULL, *started;
	struct job *j = NULL;
	struct ledger *l;
	char msg[600], reason[24] = "", actor[64], rnd_id[16];
	uint8_t rnd[6];
	char *b;
	int rc;

	if (strcmp(verify, "full") && strcmp(verify, "sample")) {
		reply_error(out, 400, "bad_request", "verify must be full or sample");
		goto out;
	}
	if (strlen(device) >= PATH_MAX - 1 || strncmp(device, "/dev/", 5) || !plain_path(device + 1)) {
		reply_error(out, 400, "bad_request", "device must be a path under /dev, without . or .. components");
		goto out;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		reply_error(out, 500, "internal", "out of memory");
		goto out;
	}
	if (sanitize_method_kind(method) == SANITIZE_UNKNOWN) {
		reply_error(out, 400, "bad_request", "unknown method '%.60s'", method);
		goto out;
	}
	snprintf(j->params.method, sizeof(j->params.method), "%s", method);
	l = api_read_acquire(a);
	rc = api_asset_load(a, l, r, asset_id, &asset);
	api_read_release(a, l);
	if (rc < 0) {
		reply_error(out, rc == -ENOENT ? 404 : 400, rc == -ENOENT ? "not_found" : "bad_request",
			    "no asset %.100s", asset_id);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(asset, "state")), "retired")) {
		reply_error(out, 409, "conflict", "cannot wipe asset %s: it is %s, and a wipe needs retired",
			    asset_id, json_string_value(json_object_get(asset, "state")));
		goto out;
	}
	snprintf(j->params.device, sizeof(j->params.device), "%s", device);
	snprintf(j->params.expected_identity, sizeof(j->params.expected_identity), "%s",
		 json_string_value(json_object_get(asset, "serial")));
	snprintf(j->params.state_dir, sizeof(j->params.state_dir), "%s", a->cfg.state_dir);
	snprintf(j->v.verify, sizeof(j->v.verify), "%s", verify);
	snprintf(j->v.asset_id, sizeof(j->v.asset_id), "%s", asset_id);
	snprintf(j->v.device, sizeof(j->v.device), "%s", device);
	snprintf(j->v.method, sizeof(j->v.method), "%s", method);
	snprintf(j->media_type, sizeof(j->media_type), "%s", json_string_value(json_object_get(asset, "media_type")));
	if (!json_is_integer(json_object_get(asset, "capacity_bytes")) ||
	    json_integer_value(json_object_get(asset, "capacity_bytes")) <= 0) {
		reply_error(out, 409, "conflict", "cannot wipe asset %s: it has no usable capacity_bytes", asset_id);
		goto out;
	}
	j->capacity = (uint64_t)json_integer_value(json_object_get(asset, "capacity_bytes"));
	j->params.verify = strcmp(verify, "full") ? VERIFY_SAMPLE : VERIFY_FULL;
	j->params.progress_interval = 0.5;
	if (opt) {
		j->params.on_error = opt->on_error;
		j->params.restore_hpa = opt->restore_hpa;
	}
	/* the interlocks, before anything is recorded: a refusal is a 409 naming its reason */
	rc = sanitize_preflight(&j->params, &j->dev, msg, sizeof(msg), reason);
	/*
	 * Anything that is not a block device gets one answer, whether the path
	 * exists or not: the API must not tell a technician which files the host has.
	 */
	if (rc < 0 && (rc == -ENOENT || rc == -ENOTBLK || rc == -ENOTDIR || rc == -ELOOP || rc == -EACCES ||
		       rc == -ENAMETOOLONG || !strcmp(reason, "not_block_device"))) {
		reply_json(out, 409, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "conflict", "reason",
					       "not_block_device", "message",
					       "cannot wipe the device: the path is not a block device under /dev"));
		goto out;
	}
	if (rc < 0) {
		if (reason[0])
			reply_json(out, 409, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "conflict",
						       "reason", reason, "message", msg));
		else
			reply_error(out, rc == -ENOENT || rc == -ENOTBLK ? 400 : 409,
				    rc == -ENOENT || rc == -ENOTBLK ? "bad_request" : "conflict", "%s", msg);
		goto out;
	}
	/* O_EXCL now, so a device someone holds is refused here, not later in the worker */
	{
		struct interlock_result ir = { 0 };
		int fd = -1;

		/* SPEC section 7: the whole drive of this asset, or nothing */
		if (interlock_whole(&j->dev, j->capacity, &ir) < 0) {
			reply_json(out, 409, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "conflict",
						       "reason", interlock_reason_name(ir.reason), "message", ir.message));
			goto out;
		}
		rc = interlock_open(&j->dev, 0, &fd, &ir);
		if (rc < 0) {
			reply_json(out, 409, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "conflict",
						       "reason", ir.reason ? interlock_reason_name(ir.reason) : "busy",
						       "message", ir.message[0] ? ir.message : strerror(-rc)));
			goto out;
		}
		xclose(fd);
	}
	crypto_random(rnd, sizeof(rnd));
	b = b64_encode(rnd, sizeof(rnd), B64_URL);
	snprintf(rnd_id, sizeof(rnd_id), "job_%s", b ? b : "x");
	free(b);
	snprintf(j->v.id, sizeof(j->v.id), "%s", rnd_id);
	j->owner = js;
	j->v.prog.state = WIPE_QUEUED;
	j->v.prog.eta = -1;
	/* the engine first: it opens nothing, and once sanitize_started is written only the thread can fail */
	rc = sanitize_job_new(&j->params, &j->wj);
	if (rc < 0) {
		reply_errno(out, rc, "cannot create the job");
		goto out;
	}
	/* room for its end before it starts: a wipe that finishes must be recordable */
	rc = wiprec_pending_reserve(a->cfg.state_dir, j->v.id, &j->pending);
	if (rc < 0) {
		reply_errno(out, rc, rc == -ENOSPC ? "cannot start a wipe: the state disk is full"
						   : "cannot start a wipe: cannot reserve its record in the state directory");
		goto out;
	}
	pthread_mutex_lock(&js->m);
	if (js->stopping || js->n >= JOBS_MAX || busy_on(js, asset_id, makedev(j->dev.major, j->dev.minor))) {
		int full = !js->stopping && js->n >= JOBS_MAX;
		pthread_mutex_unlock(&js->m);
		reply_error(out, full || js->stopping ? 503 : 409, full || js->stopping ? "unavailable" : "conflict",
			    js->stopping ? "the daemon is stopping" : full ? "too many jobs" :
			    "a job is already running on this asset or device");
		goto out;
	}
	js->list[js->n++] = j;
	pthread_mutex_unlock(&js->m);

	req_actor(r, actor, sizeof(actor));
	started = wiprec_started(j->v.id, method, verify, device, j->dev.identity);
	if (started && batch_id)
		json_object_set_new(started, "batch_id", json_string(batch_id));
	rc = record(a, asset_id, "sanitize_started", actor, started, msg, sizeof(msg));
	if (rc < 0) {
		/* nothing was recorded: the job leaves the table, the asset stays retired */
		job_end(js, j, NULL);
		j = NULL;
		reply_errno(out, rc, msg);
		goto out;
	}
	if (test_fault(a, "job_thread", asset_id) || start_detached(j) != 0) {
		/* recorded but never ran: the asset leaves sanitizing with its own sanitize_failed */
		int wrc = record_end(j, "sanitize_failed", actor,
				     json_pack("{s:s, s:s, s:s}", "job_id", j->v.id, "reason", "failed", "error",
					       "the job could not be started"), 0, msg, sizeof(msg));
		if (wrc < 0)
			api_log(a, "error: job %s: cannot record that it never started: %s", j->v.id, msg);
		j->v.prog.state = WIPE_FAILED;
		snprintf(j->v.error, sizeof(j->v.error), "the job could not be started");
		job_end(js, j, NULL);
		j = NULL;
		reply_error(out, 503, "unavailable", "cannot start the job: out of threads");
		goto out;
	}
	pthread_mutex_lock(&js->m);
	/* the worker may already have run and ended it: answer from whatever view is current */
	{
		const struct job_view *v = find_view(js, rnd_id);
		reply_json(out, 202, v ? job_json(v) : json_pack("{s:s, s:s}", "id", rnd_id, "state", "queued"));
	}
	pthread_mutex_unlock(&js->m);
	j = NULL;
out:
	api_job_answered(a, asset_id, device, out);	/* an interlock's refusal: counted and logged */
	if (j) {
		sanitize_job_free(j->wj);
		wiprec_pending_close(j->pending, 1);
	}
	free(j);
	json_decref(asset);
}

json_t *jobs_view(struct api *a, const char *id)
{
	struct jobs *js = a->jobs;
	const struct job_view *v;
	struct ledger *l;
	json_t *o = NULL;

	pthread_mutex_lock(&js->m);
	v = find_view(js, id);
	if (v)
		o = job_json(v);
	pthread_mutex_unlock(&js->m);
	if (o)
		return o;
	l = api_read_acquire(a);
	if (wiprec_job_get(l, id, &o) < 0)
		o = NULL;
	api_read_release(a, l);
	return o;
}

int jobs_cancel(struct jobs *js, const char *id)
{
	struct job *j;

	pthread_mutex_lock(&js->m);
	j = find(js, id);
	if (j)
		sanitize_job_cancel(j->wj);
	pthread_mutex_unlock(&js->m);
	return j != NULL;
}

void h_job_get(struct req *r, struct resp *out)
{
	struct jobs *js = r->api->jobs;

	const struct job_view *v;

	json_t *o = NULL;
	struct ledger *l;
	int rc;

	pthread_mutex_lock(&js->m);
	v = find_view(js, r->cap[0]);
	if (v)
		o = job_json(v);
	pthread_mutex_unlock(&js->m);
	if (o) {
		reply_json(out, 200, o);
		return;
	}
	/* a job of an earlier run, or one that left the kept views: the ledger has it */
	l = api_read_acquire(r->api);
	rc = wiprec_job_get(l, r->cap[0], &o);
	api_read_release(r->api, l);
	if (rc == 0)
		reply_json(out, 200, o);
	else if (rc == -ENOENT)
		reply_error(out, 404, "not_found", "no job %s", r->cap[0]);
	else
		reply_errno(out, rc, "cannot read the job from the ledger");
}

/* The live view of job id as JSON, for wiprec_job_list; NULL when it is not in memory. */
static json_t *live_view(void *ctx, const char *id)
{
	struct jobs *js = ctx;
	struct job *j;
	json_t *o = NULL;

	pthread_mutex_lock(&js->m);
	j = find(js, id);
	if (j)
		o = job_json(&j->v);
	pthread_mutex_unlock(&js->m);
	return o;
}

void h_jobs_list(struct req *r, struct resp *out)
{
	static const char *states[] = { "queued", "running", "verifying", "completed", "failed", "cancelled" };
	struct jobs *js = r->api->jobs;
	struct wiprec_job_filter f = { .limit = 50 };
	const char *limit = req_query(r, "limit"), *after = req_query(r, "after");
	struct ledger *l;
	json_t *jobs = NULL;
	uint64_t v, next = 0;
	size_t i;
	int rc;

	f.state = req_query(r, "state");
	f.asset_id = req_query(r, "asset_id");
	f.since = req_query(r, "since");
	for (i = 0; f.state && i < 6 && strcmp(f.state, states[i]); i++)
		;
	if (f.state && i == 6) {
		reply_error(out, 400, "bad_request", "state must be one of queued, running, verifying, completed, "
			    "failed, cancelled");
		return;
	}
	if (f.since && ledger_time_check(f.since, NULL, 0) < 0) {
		reply_error(out, 400, "bad_request", "since must be a time as entries carry it (YYYY-MM-DDThh:mm:ss.mmmZ)");
		return;
	}
	if (f.asset_id && (!f.asset_id[0] || strlen(f.asset_id) > 128 || strspn(f.asset_id,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(f.asset_id))) {
		reply_error(out, 400, "bad_request", "asset_id must be an asset id");
		return;
	}
	if (limit) {
		if (xparse_u64(limit, &v) < 0 || v < 1 || v > 200) {
			reply_error(out, 400, "bad_request", "limit must be 1 to 200");
			return;
		}
		f.limit = (unsigned)v;
	}
	if (after) {
		if (xparse_u64(after, &v) < 0 || v < 1) {
			reply_error(out, 400, "bad_request", "after must be the next cursor of an earlier page");
			return;
		}
		f.before_seq = v;
	}
	l = api_read_acquire(r->api);
	rc = wiprec_job_list(l, &f, live_view, js, &jobs, &next);
	api_read_release(r->api, l);
	if (rc < 0) {
		reply_errno(out, rc, "cannot list the jobs");
		return;
	}
	reply_json(out, 200, json_pack("{s:o, s:o}", "jobs", jobs,
				       "next", next ? json_sprintf("%llu", (unsigned long long)next) : json_null()));
}

void h_job_cancel(struct req *r, struct resp *out)
{
	struct jobs *js = r->api->jobs;
	struct job *j;

	const struct job_view *v;

	pthread_mutex_lock(&js->m);
	j = find(js, r->cap[0]);
	v = j ? NULL : find_view(js, r->cap[0]);
	if (j) {
		sanitize_job_cancel(j->wj);
		reply_json(out, 202, job_json(&j->v));
	} else if (v) {
		reply_error(out, 409, "conflict", "job %s has already ended: %s", v->id, wipe_state_name(v->prog.state));
	} else {
		reply_error(out, 404, "not_found", "no job %s", r->cap[0]);
	}
	pthread_mutex_unlock(&js->m);
}

/* ---- lifecycle ---- */

int jobs_start(struct api *a, struct jobs **out, char *err, size_t errlen)
{
	struct jobs *js = calloc(1, sizeof(*js));
	int rc;

	if (!js)
		return -ENOMEM;
	js->a = a;
	pthread_mutex_init(&js->m, NULL);
	pthread_cond_init(&js->slot, NULL);
	pthread_cond_init(&js->idle, NULL);
	a->jobs = js;
	rc = recover(a, err, errlen);
	if (rc < 0) {
		a->jobs = NULL;
		free(js);
		return rc;
	}
	*out = js;
	return 0;
}

void jobs_stop(struct jobs *js)
{
	pthread_mutex_lock(&js->m);
	js->stopping = 1;
	for (size_t i = 0; i < js->n; i++)
		sanitize_job_cancel(js->list[i]->wj);
	pthread_cond_broadcast(&js->slot);
	/* every accepted job, queued ones too, records its end and leaves the table */
	while (js->n)
		pthread_cond_wait(&js->idle, &js->m);
	pthread_mutex_unlock(&js->m);
}

void jobs_free(struct jobs *js)
{
	if (!js)
		return;
	for (size_t i = 0; i < js->ndone; i++) {
		struct job_view *v = js->done[(js->done_head + i) % JOBS_DONE_MAX];
		json_decref(v->report);
		free(v);
	}
	pthread_cond_destroy(&js->idle);
	pthread_cond_destroy(&js->slot);
	pthread_mutex_destroy(&js->m);
	free(js);
}

void jobs_counts(struct jobs *js, unsigned long long counts[6], unsigned long long *bytes)
{
	pthread_mutex_lock(&js->m);
	memcpy(counts, js->ended, 6 * sizeof(counts[0]));
	*bytes = js->ended_bytes;
	for (size_t i = 0; i < js->n; i++) {
		if ((unsigned)js->list[i]->v.prog.state < 6)
			counts[js->list[i]->v.prog.state]++;
		*bytes += js->list[i]->v.prog.bytes_done;
	}
	pthread_mutex_unlock(&js->m);
}

int jobs_method_known(const char *method)
{
	return sanitize_method_kind(method) != SANITIZE_UNKNOWN;
}

const char *jobs_interlock_reason(unsigned i)
{
	if (i > (unsigned)(INTERLOCK_PARTIAL - INTERLOCK_NOT_BLOCK))
		return NULL;
	return interlock_reason_name((enum interlock_reason)(INTERLOCK_NOT_BLOCK + (int)i));
}
