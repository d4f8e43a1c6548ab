#include "core/wiprec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/ledger.h"
#include "audit/nist.h"
#include "drivers/health.h"
#include "drivers/interlock.h"
#include "drivers/sanitize.h"
#include "util/version.h"
#include "core/state.h"
#include "util/xio.h"

#define DMI_DIR "/sys/class/dmi/id"	/* the station's own identifiers (SMBIOS, through sysfs) */

static json_t *exceptions_json(const struct sanitize_result *r)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < r->exceptions.n && i < SANITIZE_EXCEPTIONS_MAX; i++) {
		const struct sanitize_exception *e = &r->exceptions.e[i];
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}", "kind", e->kind, "detail", e->detail,
						       "offset", (json_int_t)e->offset,
						       "length", (json_int_t)e->length))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* "passed", "failed", or "not_applicable" where an exception says plainly that no read-back applies */
static const char *verification_result(const struct sanitize_result *r)
{
	char why[256];

	if (r->verify.performed)
		return !r->verify.passed ? "failed" : r->with_exceptions ? "passed_with_exceptions" : "passed";
	return sanitize_result_passed(r, why, sizeof(why)) ? "not_applicable" : "failed";
}

int wiprec_outcome(const struct sanitize_result *r, char *why, size_t len)
{
	if (sanitize_result_passed(r, why, len))
		return WIPREC_PASSED;
	/* SPEC section 7: went on past I/O errors by policy: completed, never a plain pass */
	if (r->state == WIPE_COMPLETED && r->with_exceptions && r->verify.performed && r->verify.passed) {
		snprintf(why, len, "completed with exceptions: %llu bytes in %u ranges could not be written",
			 (unsigned long long)r->io.bad_bytes, r->io.n);
		return WIPREC_WITH_EXCEPTIONS;
	}
	return WIPREC_FAILED;
}

json_t *wiprec_completed(const char *job_id, const struct sanitize_result *r, const struct blkdev_info *dev,
			 const char *media_type, uint64_t capacity)
{
	const char *category = "", *technique = "", *ref = "";
	const struct purge_result *p = &r->engine.purge;
	json_t *d, *x = NULL;

	/* NIST SP 800-88: the category follows from method and media, never from the caller */
	nist_category(r->method, media_type, &category, &technique, &ref);
	d = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I}, s:i, s:I, s:I,"
		      " s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:s}",
		      "job_id", job_id, "method", r->method, "category", category, "technique", technique,
		      "verification", "method", r->verify.mode,
		      "result", verification_result(r),
		      "bytes_read", (json_int_t)r->verify.bytes,
		      "passes", (int)r->passes, "bytes_written", (json_int_t)r->bytes_written,
		      "duration_ms", (json_int_t)(r->seconds * 1000),
		      "tool", "name", "sanitizerd", "version", SZ_VERSION,
		      "device", "path", r->device, "identity", r->identity, "model", dev->model,
		      "serial", dev->serial, "wwn", dev->wwn, "transport", dev->transport,
		      "started_at", r->started_at, "completed_at", r->finished_at);
	if (!d)
		return NULL;
	if (r->kind == SANITIZE_PURGE) {
		/* what the drive was told and how we know it did it */
		x = json_pack("{s:s, s:s, s:b, s:s, s:s, s:{s:b, s:i}, s:{s:s, s:b, s:I}}",
			      "transport", p->transport, "command", p->command, "confirmed", r->confirmed,
			      "confirmation", p->confirmation, "firmware", p->firmware,
			      "sentinels", "passed", p->verify.passed, "count", (int)p->verify.sentinels,
			      "readback", "check", r->verify.check, "passed", r->readback.passed,
			      "bytes", (json_int_t)r->readback.bytes);
		if (!x || json_object_set_new(d, "purge", x)) {
			json_decref(d);
			return NULL;
		}
	}
	/* SPEC section 7: the bytes the sanitization reached, beside the capacity enrolled */
	if (json_object_set_new(d, "coverage", json_pack("{s:s, s:I, s:I}", "scope", blkdev_scope(dev, NULL, 0),
							 "bytes", (json_int_t)r->size,
							 "capacity_bytes", (json_int_t)capacity)) ||
	    json_object_set_new(d, "exceptions", exceptions_json(r))) {
		json_decref(d);
		return NULL;
	}
	/* the drive's own evidence from the engine's report: health, speed, I/O errors, a restored HPA */
	{
		json_t *rep = sanitize_result_to_json(r);
		static const char *keep[] = { "health", "speed", "io_errors", "hpa_restore" };
		int bad = !rep;

		for (size_t i = 0; !bad && i < sizeof(keep) / sizeof(keep[0]); i++) {
			json_t *v = json_object_get(rep, keep[i]);
			if (v && !json_is_null(v))
				bad = json_object_set(d, keep[i], v);
		}
		/* ledger entries hold integers only (RFC 8785 as SPEC section 4 restricts it): the interval in ms */
		{
			json_t *sp = json_object_get(d, "speed"), *iv = json_object_get(sp, "interval_s");
			if (iv && json_is_real(iv)) {
				bad = bad || json_object_set_new(sp, "interval_ms",
								 json_integer((json_int_t)(json_real_value(iv) * 1000 + 0.5)));
				json_object_del(sp, "interval_s");
			}
		}
		bad = bad || json_object_set_new(d, "with_exceptions", json_boolean(r->with_exceptions)) ||
		      json_object_set_new(d, "station", wiprec_station(DMI_DIR));
		json_decref(rep);
		if (bad) {
			json_decref(d);
			return NULL;
		}
	}
	if (r->hidden.checked &&
	    json_object_set_new(d, "hidden_sectors", json_pack("{s:I, s:I}", "hpa", (json_int_t)r->hidden.hpa,
								"dco", (json_int_t)r->hidden.dco))) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* One DMI attribute, trimmed, or NULL when absent or empty. */
static json_t *dmi_attr(const char *dir, const char *name)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, n;
	json_t *v = NULL;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    xread_file(path, 256, &buf, &len) < 0)
		return json_null();
	n = strnlen(buf, len);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (n)
		v = json_stringn(buf, n);	/* NULL if it is not UTF-8: shown as null */
	free(buf);
	return v ? v : json_null();
}

json_t *wiprec_station(const char *dmi_dir)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "hostname", host,
			 "sys_vendor", dmi_attr(dmi_dir, "sys_vendor"), "product_name", dmi_attr(dmi_dir, "product_name"),
			 "product_serial", dmi_attr(dmi_dir, "product_serial"),
			 "product_uuid", dmi_attr(dmi_dir, "product_uuid"), "board_serial", dmi_attr(dmi_dir, "board_serial"),
			 "chassis_serial", dmi_attr(dmi_dir, "chassis_serial"));
}

json_t *wiprec_started(const char *job_id, const char *method, const char *verify, const char *device,
		       const char *identity)
{
	struct health *h = calloc(1, sizeof(*h));
	json_t *health = NULL, *d;

	/* the drive's own health as the wipe starts (its SMART or health log; read commands only) */
	if (h && health_read(device, h) == 0)
		health = health_to_json(h);
	free(h);
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "job_id", job_id, "method", method, "verify", verify,
		      "device", device, "identity", identity, "station", wiprec_station(DMI_DIR),
		      "health", health ? health : json_null());
	return d;
}

json_t *wiprec_failed(const char *job_id, const char *reason, const struct sanitize_result *r)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:{s:i, s:I}}", "job_id", job_id, "reason", reason,
			      "method", r->method, "error", r->error, "errno", r->err,
			      "offset", (json_int_t)r->fail_offset, "resume", "pass", (int)r->resume_pass,
			      "offset", (json_int_t)r->resume_offset);
	int bad = !d;

	if (!bad && r->refusal[0])
		bad = json_object_set_new(d, "refusal", json_string(r->refusal));
	if (!bad)
		bad = json_object_set_new(d, "station", wiprec_station(DMI_DIR));
	/* a purge whose command reached the drive may have erased it even though it failed */
	if (!bad && r->kind == SANITIZE_PURGE)
		bad = json_object_set_new(d, "command_sent", json_boolean(r->engine.purge.command_sent));
	if (bad) {
		json_decref(d);
		return NULL;
	}
	return d;
}

int wiprec_asset_capacity(struct ledger *l, const char *id, uint64_t *capacity)
{
	char subject[200];
	sqlite3_stmt *s = NULL;
	int rc = -ENOENT;

	snprintf(subject, sizeof(subject), "asset:%s", id);
	if (sqlite3_prepare_v2(ledger_sqlite(l),
			       "SELECT json_extract(entry, '$.data.capacity_bytes') FROM entries"
			       " WHERE subject = ?1 AND type = 'enrolled' ORDER BY seq DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		rc = sqlite3_column_type(s, 0) == SQLITE_INTEGER && sqlite3_column_int64(s, 0) > 0 ? 0 : -EINVAL;
		if (rc == 0)
			*capacity = (uint64_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return rc;
}

int wiprec_coverage_check(const struct sanitize_result *r, const struct blkdev_info *dev, uint64_t capacity,
			  char *msg, size_t len)
{
	struct interlock_result ir;
	struct blkdev_info d = *dev;

	/* the size the engine wrote over, not the one probed before it ran */
	if (r->size)
		d.size = r->size;
	if (interlock_whole(&d, capacity, &ir) == 0)
		return 0;
	snprintf(msg, len, "%s", ir.message);
	return -EPERM;
}

int wiprec_find_asset(struct ledger *l, const char *identity, const char *wwn, char *id, size_t idlen,
		      char *media_type, size_t mtlen)
{
	sqlite3_stmt *s = NULL;
	int rc = -ENOENT;

	if (sqlite3_prepare_v2(ledger_sqlite(l),
			       "SELECT substr(e.subject, 7), json_extract(e.entry, '$.data.media_type')"
			       " FROM entries e JOIN subjects s ON s.subject = e.subject"
			       " WHERE e.type = 'enrolled' AND s.state != 'destroyed'"
			       " AND json_extract(e.entry, '$.data.serial') IN (?1, ?2) ORDER BY e.seq DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, identity, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, wwn && wwn[0] ? wwn : identity, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(id, idlen, "%s", sqlite3_column_text(s, 0));
		if (media_type)
			snprintf(media_type, mtlen, "%s", sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1) : "other");
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- the end of a job, kept until the ledger has it ---- */

struct wiprec_pending {
	int fd;
	char path[PATH_MAX];
};

static int pending_dir(const char *state_dir, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/jobs", state_dir) >= len)
		return -ENAMETOOLONG;
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Make a new or removed directory entry durable. */
static int sync_dir(const char *dir)
{
	int fd = -1, rc = xopen(dir, O_RDONLY | O_DIRECTORY, 0, &fd);

	if (rc == 0) {
		rc = fsync(fd) < 0 ? -errno : 0;
		xclose(fd);
	}
	return rc;
}

int wiprec_pending_reserve(const char *state_dir, const char *job_id, struct wiprec_pending **out)
{
	struct wiprec_pending *p = calloc(1, sizeof(*p));
	char dir[PATH_MAX];
	int rc;

	if (!p)
		return -ENOMEM;
	p->fd = -1;
	rc = pending_dir(state_dir, dir, sizeof(dir));
	if (rc == 0 && (size_t)snprintf(p->path, sizeof(p->path), "%s/%s.end", dir, job_id) >= sizeof(p->path))
		rc = -ENAMETOOLONG;
	if (rc == 0)
		rc = xopen(p->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, &p->fd);
	/* the blocks now, while there is space: the record must be writable on a full disk */
	if (rc == 0)
		rc = -posix_fallocate(p->fd, 0, WIPREC_PENDING_MAX);
	if (rc == 0)
		rc = xfdatasync(p->fd);
	if (rc == 0)
		rc = sync_dir(dir);
	if (rc < 0) {
		if (p->fd >= 0)
			unlink(p->path);
		wiprec_pending_close(p, 0);
		return rc;
	}
	*out = p;
	return 0;
}

int wiprec_pending_write(struct wiprec_pending *p, const char *subject, const char *type, const char *actor,
			 const json_t *data)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:O}", "subject", subject, "type", type, "actor", actor, "data", data);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	size_t n = text ? strlen(text) : 0;
	int rc = text ? 0 : -ENOMEM;

	json_decref(o);
	if (rc == 0 && n >= WIPREC_PENDING_MAX)
		rc = -E2BIG;
	/* in place over the allocated blocks; the NULs after it are where a reader stops */
	if (rc == 0)
		rc = xpwrite_full(p->fd, text, n + 1, 0);
	if (rc == 0)
		rc = xfdatasync(p->fd);
	free(text);
	return rc;
}

void wiprec_pending_close(struct wiprec_pending *p, int remove)
{
	char *slash;

	if (!p)
		return;
	xclose(p->fd);
	if (remove && unlink(p->path) == 0 && (slash = strrchr(p->path, '/'))) {
		*slash = '\0';
		(void)sync_dir(p->path);
	}
	free(p);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_end_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && d->d_name[0] != '.' && !strcmp(d->d_name + n - 4, ".end");
}

int wiprec_pending_replay(const char *state_dir, wiprec_replay_fn cb, void *ctx, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 256], *buf = NULL;
	int n, rc = 0, bad = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/jobs", state_dir) >= sizeof(dir))
		return -ENAMETOOLONG;
	n = scandir(dir, &names, is_end_file, by_name);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		json_t *rec = NULL, *data;
		const char *subject = NULL, *type = NULL, *actor = NULL;
		int r, remove = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(buf);
		buf = NULL;
		r = xread_file(path, WIPREC_PENDING_MAX, &buf, &len);
		if (r == 0 && (!len || !buf[0])) {
			remove = 1;	/* reserved, never written: the job never ended; recovery says interrupted */
		} else if (r == 0) {
			rec = json_loadb(buf, strnlen(buf, len), 0, NULL);
			if (rec && json_unpack(rec, "{s:s, s:s, s:s, s:o}", "subject", &subject, "type", &type,
					       "actor", &actor, "data", &data) == 0) {
				r = cb(ctx, subject, type, actor, data);
				if (r < 0 && rc == 0)
					rc = r;
				remove = r >= 0;
			} else {
				bad = 1;
				xerr(err, errlen, -EBADMSG, "cannot replay %s: not a job record", path);
			}
		} else if (rc == 0) {
			rc = r;
		}
		json_decref(rec);
		if (remove && unlink(path) == 0)
			(void)sync_dir(dir);
		if (rc < 0)
			break;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(buf);
	return rc < 0 ? rc : bad ? -EBADMSG : 0;
}

/* ---- jobs read back from the ledger ---- */

/* The view of the job that started with entry text start (at seq), given its end entry text or NULL. */
static json_t *job_view(uint64_t seq, const char *start, const char *end)
{
	json_t *st = json_loads(start, 0, NULL), *en = end ? json_loads(end, 0, NULL) : NULL;
	json_t *sd = json_object_get(st, "data"), *ed = json_object_get(en, "data"), *v = NULL;
	const char *subject = json_string_value(json_object_get(st, "subject"));
	const char *type = json_string_value(json_object_get(en, "type"));
	const char *reason = json_string_value(json_object_get(ed, "reason"));
	const char *state = !en ? "running" : type && !strcmp(type, "sanitize_completed") ? "completed"
			    : reason && !strcmp(reason, "cancelled") ? "cancelled" : "failed";
	json_int_t bytes = json_integer_value(json_object_get(ed, "bytes_written"));
	const char *error = json_string_value(json_object_get(ed, "error"));

	if (st && subject && !strncmp(subject, "asset:", 6))
		v = json_pack("{s:O?, s:s, s:O?, s:O?, s:O?, s:s, s:i, s:i, s:I, s:I, s:i, s:i, s:s?, s:s,"
			      " s:I, s:O?, s:O?}",
			      "id", json_object_get(sd, "job_id"), "asset_id", subject + 6,
			      "device", json_object_get(sd, "device"), "method", json_object_get(sd, "method"),
			      "verify", json_object_get(sd, "verify"), "state", state,
			      "pass", 0, "passes", (int)json_integer_value(json_object_get(ed, "passes")),
			      "bytes_done", bytes, "bytes_total", bytes, "rate_bytes_per_s", 0, "eta_s", -1,
			      "error", error && error[0] ? error : NULL, "record", en ? "written" : "none",
			      "started_seq", (json_int_t)seq, "started_at", json_object_get(st, "time"),
			      "report", ed);
	if (v)
		json_object_set_new(v, "reason", reason && strcmp(state, "completed") ? json_string(reason) : json_null());
	if (v && !json_object_get(v, "error"))
		json_object_set_new(v, "error", json_null());
	json_decref(st);
	json_decref(en);
	return v;
}

/* The end entry of job id (text, caller frees), or NULL. */
static char *job_end_entry(sqlite3 *db, const char *id, uint64_t after_seq)
{
	sqlite3_stmt *s = NULL;
	char *out = NULL;

	/* the first IN repeats the index's own condition, so that SQLite uses it */
	if (sqlite3_prepare_v2(db, "SELECT entry FROM entries WHERE json_extract(entry, '$.data.job_id') = ?1"
			       " AND type IN ('sanitize_started', 'sanitize_completed', 'sanitize_failed')"
			       " AND type IN ('sanitize_completed', 'sanitize_failed') AND seq > ?2"
			       " ORDER BY seq LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)after_seq);
	if (sqlite3_step(s) == SQLITE_ROW)
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

int wiprec_job_get(struct ledger *l, const char *job_id, json_t **out)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	int rc = -ENOENT;

	if (sqlite3_prepare_v2(db, "SELECT seq, entry FROM entries WHERE json_extract(entry, '$.data.job_id') = ?1"
			       " AND type IN ('sanitize_started', 'sanitize_completed', 'sanitize_failed')"
			       " AND type = 'sanitize_started' ORDER BY seq LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		char *end = job_end_entry(db, job_id, seq);
		*out = job_view(seq, (const char *)sqlite3_column_text(s, 1), end);
		free(end);
		rc = *out ? 0 : -ENOMEM;
	}
	sqlite3_finalize(s);
	return rc;
}

int wiprec_job_list(struct ledger *l, const struct wiprec_job_filter *f, json_t *(*live)(void *ctx, const char *id),
		    void *ctx, json_t **jobs, uint64_t *next)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	json_t *a = json_array();
	char subject[200];
	unsigned examined = 0;
	int rc = 0;

	*next = 0;
	if (!a)
		return -ENOMEM;
	snprintf(subject, sizeof(subject), "asset:%.180s", f->asset_id ? f->asset_id : "");
	/* newest first; the partial index on starts keeps this off the rest of the ledger */
	if (sqlite3_prepare_v2(db, "SELECT seq, entry FROM entries WHERE type = 'sanitize_started' AND seq < ?1"
			       " AND (?2 IS NULL OR subject = ?2) ORDER BY seq DESC", -1, &s, NULL) != SQLITE_OK) {
		json_decref(a);
		return -EIO;
	}
	sqlite3_bind_int64(s, 1, f->before_seq ? (sqlite3_int64)f->before_seq : INT64_MAX);
	if (f->asset_id)
		sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		const char *start = (const char *)sqlite3_column_text(s, 1);
		json_t *st = json_loads(start, 0, NULL), *v = NULL;
		const char *id = json_string_value(json_object_get(json_object_get(st, "data"), "job_id"));
		const char *time = json_string_value(json_object_get(st, "time"));

		/* entry times never go back (audit/ledger.c): older starts are older still */
		if (f->since && time && strcmp(time, f->since) < 0) {
			json_decref(st);
			break;
		}
		if (json_array_size(a) == f->limit || ++examined > 10000) {
			*next = seq + 1;
			json_decref(st);
			break;
		}
		if (id && live)
			v = live(ctx, id);
		if (!v && id) {
			char *end = job_end_entry(db, id, seq);
			v = job_view(seq, start, end);
			free(end);
		}
		json_decref(st);
		if (v && f->state && strcmp(json_string_value(json_object_get(v, "state")) ?: "", f->state)) {
			json_decref(v);
			continue;
		}
		if (v && json_array_append_new(a, v))
			rc = -ENOMEM;
	}
	sqlite3_finalize(s);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*jobs = a;
	return 0;
}
