#include "audit/ledger_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "audit/b64.h"
#include "audit/jcs.h"
#include "audit/lifecycle.h"
#include "audit/note.h"
#include "util/xio.h"

#define LEDGER_FORMAT "sanitizerd-ledger-v1"

/*
 * Entries, tree nodes and checkpoints are append-only: the triggers refuse
 * UPDATE and DELETE, so no code path (ours or a careless admin's) rewrites
 * history without first dropping them, which ledger verify then catches.
 */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS entries(seq INTEGER PRIMARY KEY, subject TEXT NOT NULL,"
	" type TEXT NOT NULL, entry TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS entries_by_subject ON entries(subject, seq);"
	/* the serials of enrolments, for the one-live-asset-per-serial rule (enrolled_elsewhere) */
	"CREATE INDEX IF NOT EXISTS entries_enrolled_serial"
	" ON entries(json_extract(entry, '$.data.serial')) WHERE type = 'enrolled';"
	/* wipe jobs by id, and their starts in order (GET /v1/jobs, jobs of earlier runs) */
	"CREATE INDEX IF NOT EXISTS entries_jobs ON entries(json_extract(entry, '$.data.job_id'))"
	" WHERE type IN ('sanitize_started', 'sanitize_completed', 'sanitize_failed');"
	"CREATE INDEX IF NOT EXISTS entries_job_starts ON entries(seq) WHERE type = 'sanitize_started';"
	/* each tenant's assets in id order, for a customer's asset list (ledger_tenant_assets) */
	"CREATE INDEX IF NOT EXISTS entries_enrolled_tenant"
	" ON entries(json_extract(entry, '$.data.tenant'), subject) WHERE type = 'enrolled';"
	/* the ends of wipes, for ledger_replayed_sanitizing (recovery at start) */
	"CREATE INDEX IF NOT EXISTS entries_sanitize ON entries(subject, seq)"
	" WHERE type IN ('sanitize_started', 'sanitize_completed', 'sanitize_failed');"
	"CREATE TABLE IF NOT EXISTS tree(level INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS subjects(subject TEXT PRIMARY KEY, state TEXT NOT NULL,"
	" last_seq INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS tree_no_update BEFORE UPDATE ON tree"
	" BEGIN SELECT RAISE(ABORT, 'ledger tree is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS tree_no_delete BEFORE DELETE ON tree"
	" BEGIN SELECT RAISE(ABORT, 'ledger tree is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;"
	/*
	 * subjects is derived (each subject's state after its last entry): it
	 * changes, but only by an append, so a row must follow an entry of its
	 * subject later than the row's last one, and rows are never deleted.
	 * ledger verify compares every row with the replayed entries.
	 */
	"CREATE TRIGGER IF NOT EXISTS subjects_no_delete BEFORE DELETE ON subjects"
	" BEGIN SELECT RAISE(ABORT, 'ledger subjects follow the entries: rows are never deleted'); END;"
	"CREATE TRIGGER IF NOT EXISTS subjects_insert_follows BEFORE INSERT ON subjects"
	" WHEN NOT EXISTS (SELECT 1 FROM entries WHERE seq = NEW.last_seq AND subject = NEW.subject)"
	" BEGIN SELECT RAISE(ABORT, 'ledger subjects follow the entries: no such entry of this subject'); END;"
	"CREATE TRIGGER IF NOT EXISTS subjects_update_follows BEFORE UPDATE ON subjects"
	" WHEN NEW.subject != OLD.subject OR NEW.last_seq <= OLD.last_seq"
	" OR NOT EXISTS (SELECT 1 FROM entries WHERE seq = NEW.last_seq AND subject = NEW.subject)"
	" BEGIN SELECT RAISE(ABORT, 'ledger subjects follow the entries: only an append changes a state'); END;"
	"CREATE TRIGGER IF NOT EXISTS meta_no_update BEFORE UPDATE ON meta"
	" BEGIN SELECT RAISE(ABORT, 'ledger meta is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS meta_no_delete BEFORE DELETE ON meta"
	" BEGIN SELECT RAISE(ABORT, 'ledger meta is append-only'); END;";

static int sign_locked(struct ledger *l, const struct sz_key *k, const char *origin, char **note);
static int maybe_sign(struct ledger *l);

static const char *const sql[ST_COUNT] = {
	[ST_MAXSEQ] = "SELECT max(seq) FROM entries",
	/* ledger_read_begin's, prepared once: a read of the http process costs no parse (issue 12) */
	[ST_BEGIN] = "BEGIN",
	[ST_READ_PROBE] = "SELECT 1 FROM meta LIMIT 1",
	[ST_COMMIT] = "COMMIT",
	[ST_INS_ENTRY] = "INSERT INTO entries(seq, subject, type, entry) VALUES(?,?,?,?)",
	[ST_INS_NODE] = "INSERT INTO tree(level, idx, hash) VALUES(?,?,?)",
	[ST_GET_NODE] = "SELECT hash FROM tree WHERE level = ? AND idx = ?",
	[ST_GET_ENTRY] = "SELECT e.entry, t.hash FROM entries e LEFT JOIN tree t"
			 " ON t.level = 0 AND t.idx = e.seq WHERE e.seq = ?",
	[ST_GET_STATE] = "SELECT state FROM subjects WHERE subject = ?",
	[ST_PUT_STATE] = "INSERT INTO subjects(subject, state, last_seq) VALUES(?1,?2,?3)"
			 " ON CONFLICT(subject) DO UPDATE SET state = ?2, last_seq = ?3",
	[ST_INS_CKPT] = "INSERT INTO checkpoints(size, note) VALUES(?,?)",
	[ST_LAST_CKPT] = "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
	[ST_GET_META] = "SELECT v FROM meta WHERE k = ?",
	[ST_PUT_META] = "INSERT INTO meta(k, v) VALUES(?,?)",
	[ST_SUBJECT_ENTRIES] = "SELECT seq, entry FROM entries WHERE subject = ? ORDER BY seq",
	[ST_ENROLLED_SERIAL] = "SELECT substr(e.subject, 7) FROM entries e JOIN subjects s"
			       " ON s.subject = e.subject WHERE e.type = 'enrolled'"
			       " AND json_extract(e.entry, '$.data.serial') = ?1"
			       " AND s.state != 'destroyed' ORDER BY e.seq DESC LIMIT 1",
	[ST_LAST_TIME] = "SELECT json_extract(entry, '$.time'), seq FROM entries ORDER BY seq DESC LIMIT 1",
};

int ledger_seterr(struct ledger *l, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return rc;
}

const char *ledger_errmsg(const struct ledger *l)
{
	return l ? l->err : "";
}

struct sqlite3 *ledger_sqlite(struct ledger *l)
{
	return l->db;
}

/* Map an SQLite result to -errno, keeping SQLite's message. */
static int sqerr(struct ledger *l, int src, const char *what)
{
	int rc;

	switch (src & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: rc = -EBUSY; break;
	case SQLITE_NOMEM: rc = -ENOMEM; break;
	case SQLITE_READONLY: rc = -EROFS; break;
	case SQLITE_FULL: rc = -ENOSPC; break;
	case SQLITE_CONSTRAINT: rc = -EEXIST; break;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: rc = -EINVAL; break;
	default: rc = -EIO;
	}
	return ledger_seterr(l, rc, "%s: %s", what, sqlite3_errmsg(l->db));
}

static int exec(struct ledger *l, const char *q)
{
	int src = sqlite3_exec(l->db, q, NULL, NULL, NULL);

	return src == SQLITE_OK ? 0 : sqerr(l, src, q);
}

/* Reset, clear and return the statement for reuse. */
static sqlite3_stmt *stmt(struct ledger *l, int which)
{
	sqlite3_stmt *s = l->st[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static int step_done(struct ledger *l, sqlite3_stmt *s, const char *what)
{
	int src = sqlite3_step(s);

	sqlite3_reset(s);
	return src == SQLITE_DONE ? 0 : sqerr(l, src, what);
}

int ledger_get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct ledger *l = ctx;
	sqlite3_stmt *s;
	int src, rc = 0;

	s = stmt(l, ST_GET_NODE);
	sqlite3_bind_int(s, 1, (int)level);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32)
		memcpy(out, sqlite3_column_blob(s, 0), 32);
	else if (src == SQLITE_ROW || src == SQLITE_DONE)
		rc = ledger_seterr(l, -ENOENT, "tree node %u/%llu is missing", level,
				   (unsigned long long)index);
	else
		rc = sqerr(l, src, "cannot read tree node");
	sqlite3_reset(s);
	return rc;
}

static int put_node(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
	struct ledger *l = ctx;
	sqlite3_stmt *s;

	/*
	 * Leaves are stored in the tree too, apart from the entries, so an entry
	 * changed behind our back is caught at its own seq, not only by the node
	 * above it.
	 */
	s = stmt(l, ST_INS_NODE);
	sqlite3_bind_int(s, 1, (int)level);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(s, 3, h, 32, SQLITE_STATIC);
	return step_done(l, s, "cannot store tree node");
}

int ledger_size(struct ledger *l, uint64_t *size)
{
	sqlite3_stmt *s = stmt(l, ST_MAXSEQ);
	int src = sqlite3_step(s), rc = 0;

	if (src != SQLITE_ROW)
		rc = sqerr(l, src, "cannot read the ledger size");
	else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		*size = 0;
	else
		*size = (uint64_t)sqlite3_column_int64(s, 0) + 1;
	sqlite3_reset(s);
	return rc;
}

/* Another process may have appended since we last looked: reload the right edge. */
int ledger_sync_frontier(struct ledger *l)
{
	uint64_t size;
	int rc = ledger_size(l, &size);

	if (rc < 0 || size == l->fr.size)
		return rc;
	rc = merkle_frontier_load(&l->fr, size, ledger_get_node, l);
	if (rc < 0) {
		char why[sizeof(l->err)];
		memcpy(why, l->err, sizeof(why));
		return ledger_seterr(l, rc == -ENOENT ? -EINVAL : rc,
				     "the ledger's tree is damaged (%s): run sanitizerd ledger verify", why);
	}
	return 0;
}

static int meta_get(struct ledger *l, const char *k, char **v)
{
	sqlite3_stmt *s = stmt(l, ST_GET_META);
	int src, rc = 0;

	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*v = strdup((const char *)sqlite3_column_text(s, 0));
		if (!*v)
			rc = -ENOMEM;
	} else if (src == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sqerr(l, src, "cannot read ledger meta");
	}
	sqlite3_reset(s);
	return rc;
}

static int meta_put(struct ledger *l, const char *k, const char *v)
{
	sqlite3_stmt *s = stmt(l, ST_PUT_META);

	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, v, -1, SQLITE_STATIC);
	return step_done(l, s, "cannot write ledger meta");
}

/*
 * The format mark of a file that already existed, read before anything is
 * written: a foreign SQLite database must not be switched to WAL mode (or
 * get our schema) before we refuse it.
 */
static int check_format(struct ledger *l)
{
	sqlite3_stmt *s = NULL;
	int src, rc;

	if (sqlite3_prepare_v2(l->db, "SELECT v FROM meta WHERE k = 'format'", -1, &s, NULL) != SQLITE_OK) {
		rc = sqlite3_errcode(l->db);
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
			return sqerr(l, rc, "cannot read ledger meta");
		if ((rc & 0xff) == SQLITE_NOTADB)
			return ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: %s is not an SQLite database",
					     sqlite3_db_filename(l->db, "main"));
		return ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: %s", sqlite3_errmsg(l->db));
	}
	src = sqlite3_step(s);
	if (src == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT &&
	    !strcmp((const char *)sqlite3_column_text(s, 0), LEDGER_FORMAT))
		rc = 0;
	else if (src == SQLITE_ROW)
		rc = ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: format '%.100s'",
				   sqlite3_column_type(s, 0) == SQLITE_TEXT ?
				   (const char *)sqlite3_column_text(s, 0) : "?");
	else if (src == SQLITE_DONE)
		rc = ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: no format mark");
	else
		rc = sqerr(l, src, "cannot read ledger meta");
	sqlite3_finalize(s);
	return rc;
}

static int setup(struct ledger *l, int flags, int existed)
{
	char *fmt = NULL;
	int rc, i;

	sqlite3_busy_timeout(l->db, 10000);
	/* a LEDGER_RO_SHM reader may open no file once it serves (issue 12): sorts stay in memory */
	if ((flags & LEDGER_RO_SHM) && sqlite3_exec(l->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK)
		return ledger_seterr(l, -EIO, "cannot keep temporary tables in memory: %s", sqlite3_errmsg(l->db));
	if (existed) {
		rc = check_format(l);
		if (rc < 0)
			return rc;
	}
	if (!(flags & LEDGER_RDONLY)) {
		/* a write-protected file: SQLite opens it read-only without a word */
		if (sqlite3_db_readonly(l->db, "main") == 1)
			return ledger_seterr(l, -EROFS, "cannot open the ledger for writing: it is read-only"
					     " (file mode or mount)");
		rc = exec(l, "PRAGMA journal_mode=WAL");
		if (rc == 0)
			rc = exec(l, flags & LEDGER_NOSYNC ? "PRAGMA synchronous=NORMAL"
							   : "PRAGMA synchronous=FULL");
		/* every writable open: a ledger made by an older version gets new indexes and guards */
		if (rc == 0)
			rc = exec(l, schema);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(l->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i], NULL) != SQLITE_OK)
			return ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: %s", sqlite3_errmsg(l->db));
	}
	rc = meta_get(l, "format", &fmt);
	if (rc == -ENOENT && (flags & LEDGER_CREATE) && !existed) {
		rc = meta_put(l, "format", LEDGER_FORMAT);
	} else if (rc == 0 && strcmp(fmt, LEDGER_FORMAT)) {
		rc = ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: format '%s'", fmt);
	} else if (rc == -ENOENT) {
		rc = ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: no format mark");
	}
	free(fmt);
	if (rc < 0)
		return rc;
	/* the right edge is for appending; a read-only auditor may be opening a damaged copy */
	l->fr.size = 0;
	return flags & LEDGER_RDONLY ? 0 : ledger_sync_frontier(l);
}

/* The directory part of path, in buf. */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/*
 * The bytes of SQLite's WAL index (<path>-shm) that opening must allocate.
 * The index is memory-mapped; SQLite grows it by writing one byte at the end
 * of each 4 KiB page and then fills the pages through the mapping, so on a
 * file system with 1 KiB blocks the rest of each page is a hole until then,
 * and a store into a hole of a full file system is a SIGBUS, not an error
 * (seen in WAL recovery).  So the space is checked before SQLite maps
 * anything: 32 KiB per 4096 WAL frames (SQLite's wal.c: the first block of
 * the index holds 4062 frames, each further one 4096), counted from the -wal
 * file's size (an upper bound), less what the -shm file has allocated.
 */
static uint64_t shm_needed(const char *path)
{
	char p[PATH_MAX];
	uint8_t wh[32];
	struct stat st;
	uint64_t pgsz = 4096, frames = 0, blocks, need, have = 0;
	int fd;

	snprintf(p, sizeof(p), "%s-wal", path);
	/*
	 * Only the -wal is opened: SQLite holds no lock on it.  Opening and
	 * closing the database file itself would drop this process's POSIX
	 * locks on it, held by any connection already open (fcntl(2)).
	 */
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* the WAL header: page size at bytes 8-11, big-endian (SQLite file format 4.1) */
		if (fstat(fd, &st) == 0 && pread(fd, wh, sizeof(wh), 0) == (ssize_t)sizeof(wh)) {
			uint64_t v = (uint64_t)wh[8] << 24 | (uint64_t)wh[9] << 16 | wh[10] << 8 | wh[11];
			if (v >= 512 && v <= 65536 && !(v & (v - 1)))
				pgsz = v;
			frames = ((uint64_t)st.st_size - 32) / (pgsz + 24);
		}
		close(fd);
	}
	blocks = frames <= 4062 ? 1 : 1 + (frames - 4062 + 4095) / 4096;
	need = blocks * 32768;
	snprintf(p, sizeof(p), "%s-shm", path);
	if (stat(p, &st) == 0)
		have = (uint64_t)st.st_blocks * 512;
	return have >= need ? 0 : need - have;
}

/*
 * Before SQLite opens path: may it be opened as asked?  SQLite would quietly
 * open a file on a read-only mount read-only, and fault (SIGBUS) on a full
 * file system.  The file itself is not opened here (see shm_needed); its
 * contents are checked by check_format before anything is written.
 * *existed says whether the file is there.  Changes nothing.  0 or -errno
 * with the message set.
 */
static int precheck(struct ledger *l, const char *path, int flags, int *existed)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct statvfs vfs;
	struct stat st;

	*existed = 0;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT && (flags & LEDGER_CREATE) && !(flags & LEDGER_RDONLY))
			goto space;
		return ledger_seterr(l, -errno, "cannot open %s: %s", path, strerror(errno));
	}
	*existed = 1;
	if (!S_ISREG(st.st_mode))
		return ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: %s is not a regular file", path);
	/* SQLite would write a database header into it */
	if (st.st_size == 0)
		return ledger_seterr(l, -EINVAL, "not a sanitizerd ledger: %s is empty (0 bytes)", path);
	if (flags & LEDGER_RDONLY) {
		/* a database in rollback mode needs no -shm; one in WAL mode has a -wal or makes one */
		snprintf(p, sizeof(p), "%s-wal", path);
		if (stat(p, &st) < 0)
			return 0;
	}
space:
	dir_of(path, dir, sizeof(dir));
	if (statvfs(dir, &vfs) < 0)
		return ledger_seterr(l, -errno, "cannot open %s: cannot stat its file system: %s",
				     path, strerror(errno));
	if (!(flags & LEDGER_RDONLY) && ((vfs.f_flag & ST_RDONLY) || access(dir, W_OK) < 0 ||
					 (*existed && access(path, W_OK) < 0)))
		return ledger_seterr(l, -EROFS, "cannot open %s for writing: %s", path,
				     vfs.f_flag & ST_RDONLY ? "its file system is mounted read-only"
							    : "no write access to it or its directory");
	{
		uint64_t need = *existed ? shm_needed(path) : 32768;
		uint64_t avail = (uint64_t)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) * vfs.f_frsize;

		if (need > avail)
			return ledger_seterr(l, -ENOSPC, "cannot open %s: its file system is full: SQLite's"
					     " WAL index (%s-shm) needs %llu KiB more and %llu KiB are free;"
					     " free some space first", path, path,
					     (unsigned long long)(need + 1023) / 1024,
					     (unsigned long long)avail / 1024);
	}
	return 0;
}

int ledger_open(const char *path, int flags, struct ledger **out, char *err, size_t errlen)
{
	struct ledger *l;
	int oflags, src, rc, existed = 0;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->rdonly = !!(flags & LEDGER_RDONLY);
	oflags = l->rdonly ? SQLITE_OPEN_READONLY
			   : SQLITE_OPEN_READWRITE | (flags & LEDGER_CREATE ? SQLITE_OPEN_CREATE : 0);
	rc = precheck(l, path, flags, &existed);
	if (rc < 0)
		goto fail;
	if (flags & LEDGER_RO_SHM) {
		/* RFC 8089 file URI, SQLite's parameters: the path's %, ? and # escaped */
		char uri[PATH_MAX * 3 + 64], *o = uri;

		o += snprintf(o, 8, "file:");
		for (const char *c = path; *c && o < uri + sizeof(uri) - 40; c++) {
			if (*c == '%' || *c == '?' || *c == '#')
				o += snprintf(o, 4, "%%%02X", (unsigned char)*c);
			else
				*o++ = *c;
		}
		snprintf(o, 32, "?mode=ro&readonly_shm=1");
		src = sqlite3_open_v2(uri, &l->db, oflags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	} else {
		src = sqlite3_open_v2(path, &l->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	}
	if (src != SQLITE_OK) {
		rc = src == SQLITE_CANTOPEN ? -ENOENT : -EIO;
		ledger_seterr(l, rc, "cannot open %s: %s", path,
			      l->db ? sqlite3_errmsg(l->db) : "out of memory");
	} else {
		rc = setup(l, flags, existed);
	}
fail:
	if (rc < 0) {
		if (err)
			snprintf(err, errlen, "%s", l->err);
		ledger_close(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* A start of a read a LEDGER_RO_SHM reader may retry (sqlite3.h's extended result codes). */
static int read_retry(sqlite3 *db)
{
	int x = sqlite3_extended_errcode(db);

	return x == SQLITE_READONLY_CANTINIT || x == SQLITE_READONLY_RECOVERY || x == SQLITE_BUSY_RECOVERY ||
	       x == SQLITE_BUSY_SNAPSHOT || x == SQLITE_BUSY || x == SQLITE_PROTOCOL;
}

/* Step a prepared statement of no rows to its end: an SQLite result code. */
static int step_reset(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc;
}

int ledger_read_begin(struct ledger *l)
{
	if (!sqlite3_get_autocommit(l->db))
		return 0;
	for (int i = 0; i < 200; i++) {
		/* a read transaction starts at its first read: the meta table is small */
		if (step_reset(l->st[ST_BEGIN]) == SQLITE_DONE && step_reset(l->st[ST_READ_PROBE]) == SQLITE_DONE) {
			l->in_read = 1;
			return 0;
		}
		if (!read_retry(l->db))
			break;
		if (!sqlite3_get_autocommit(l->db))
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		usleep(i < 20 ? 1000 : 10000);
	}
	if (!sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return -EAGAIN;
}

void ledger_read_end(struct ledger *l)
{
	if (l->in_read) {
		if (step_reset(l->st[ST_COMMIT]) != SQLITE_DONE)
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		l->in_read = 0;
	}
}

void ledger_close(struct ledger *l)
{
	if (!l)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close_v2(l->db);
	free(l);
}

/* Start the write transaction of one append, or join the batch. */
static int write_begin(struct ledger *l)
{
	int rc;

	if (l->rdonly)
		return ledger_seterr(l, -EROFS, "the ledger is open read-only");
	if (l->in_batch)
		return 0;
	rc = exec(l, "BEGIN IMMEDIATE");
	l->last_time_ok = 0;	/* another connection may have appended since */
	if (rc == 0) {
		rc = ledger_sync_frontier(l);
		if (rc < 0)
			exec(l, "ROLLBACK");
	}
	return rc;
}

int ledger_begin(struct ledger *l)
{
	int rc;

	if (l->in_batch)
		return ledger_seterr(l, -EALREADY, "a batch is already open");
	rc = write_begin(l);
	if (rc < 0)
		return rc;
	l->in_batch = 1;
	l->fr_saved = l->fr;
	return 0;
}

int ledger_commit(struct ledger *l)
{
	int rc;

	if (!l->in_batch)
		return ledger_seterr(l, -EINVAL, "no batch is open");
	rc = maybe_sign(l);
	if (rc == 0)
		rc = exec(l, "COMMIT");
	if (rc < 0)
		return ledger_rollback(l), rc;
	l->in_batch = 0;
	return 0;
}

int ledger_in_batch(const struct ledger *l)
{
	return l->in_batch;
}

int ledger_rollback(struct ledger *l)
{
	if (!l->in_batch)
		return ledger_seterr(l, -EINVAL, "no batch is open");
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->fr = l->fr_saved;
	l->in_batch = 0;
	l->last_time_ok = 0;
	return 0;
}

/* Proleptic Gregorian calendar: the days of month m (1-12) of year y. */
static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int num(const char *p, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*p++ - '0');
	return v;
}

int ledger_time_check(const char *t, char *why, size_t whylen)
{
	/* RFC 3339 5.6 date-time, restricted to the one form entries carry */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	int y, mo, d, h, mi, sec;
	char dummy[1];

	if (!why) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	if (strlen(t) != sizeof(shape) - 1)
		goto shape;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			goto shape;
	}
	y = num(t, 4);
	mo = num(t + 5, 2);
	d = num(t + 8, 2);
	h = num(t + 11, 2);
	mi = num(t + 14, 2);
	sec = num(t + 17, 2);
	/* RFC 3339 5.7: date-month 01-12, date-mday 01-28/29/30/31, hour 00-23, minute 00-59 */
	if (mo < 1 || mo > 12)
		return snprintf(why, whylen, "month %02d is not 01-12", mo), -EINVAL;
	if (d < 1 || d > days_in_month(y, mo))
		return snprintf(why, whylen, "day %02d is not in %04d-%02d, which has %d days", d, y, mo,
				days_in_month(y, mo)), -EINVAL;
	if (h > 23)
		return snprintf(why, whylen, "hour %02d is not 00-23", h), -EINVAL;
	if (mi > 59)
		return snprintf(why, whylen, "minute %02d is not 00-59", mi), -EINVAL;
	/*
	 * RFC 3339 5.7 allows second 60 for a leap second.  Entries do not: the
	 * system clock (POSIX time) never reads :60, and 23:59:60.500 would sort
	 * before the 00:00:00.000 that follows it in no useful way -- an import
	 * records a leap second as 23:59:59.999.
	 */
	if (sec == 60)
		return snprintf(why, whylen, "second 60 (a leap second) is not accepted; write 59.999"),
		       -EINVAL;
	if (sec > 59)
		return snprintf(why, whylen, "second %02d is not 00-59", sec), -EINVAL;
	return 0;
shape:
	snprintf(why, whylen, "want YYYY-MM-DDThh:mm:ss.mmmZ (RFC 3339 in UTC, 'Z', milliseconds"
		 " exactly 3 digits)");
	return -EINVAL;
}

int ledger_time_valid(const char *t)
{
	return ledger_time_check(t, NULL, 0) == 0;
}

int ledger_state(struct ledger *l, const char *subject, int *state)
{
	sqlite3_stmt *s = stmt(l, ST_GET_STATE);
	int src, rc = 0;

	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		int st = lifecycle_state_parse((const char *)sqlite3_column_text(s, 0));
		*state = st < 0 ? LC_NONE : st;
	} else if (src == SQLITE_DONE) {
		*state = LC_NONE;
	} else {
		rc = sqerr(l, src, "cannot read the subject's state");
	}
	sqlite3_reset(s);
	return rc;
}

/* How far ahead of the clock an explicit entry time may be (clocks differ a little). */
#define TIME_SKEW_S 300

/* The clock plus secs, as an entry time at the end of that second. */
static void time_later(char out[25], int secs)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + secs;
	gmtime_r(&t, &tm);
	if (strftime(out, 25, "%Y-%m-%dT%H:%M:%S.999Z", &tm) == 0)
		snprintf(out, 25, "9999-12-31T23:59:59.999Z");
}

/* Validate without writing: the message says what is wrong with the input. */
static int check_input(struct ledger *l, const char *subject, const char *type,
		       const char *actor, const json_t *data, const char *time)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (!subject || !type || !data)
		return ledger_seterr(l, -EINVAL, "subject, type and data are required");
	if (!lifecycle_type_known(type))
		return ledger_seterr(l, -EINVAL, "unknown entry type '%s'", type);
	if (!lifecycle_subject_valid(subject))
		return ledger_seterr(l, -EINVAL,
				     "invalid subject '%.200s' (want asset:ID, host:NAME, token:ID or system)",
				     subject);
	if (!json_is_object(data))
		return ledger_seterr(l, -EINVAL, "data must be a JSON object");
	if (strlen(actor) == 0 || strlen(actor) > 256)
		return ledger_seterr(l, -EINVAL, "actor must be 1 to 256 bytes");
	if (time) {
		char why[160], later[25], now[25];

		if (ledger_time_check(time, why, sizeof(why)) < 0)
			return ledger_seterr(l, -EINVAL, "invalid time '%.40s': %s", time, why);
		/* a future time would hold every later entry back (times never decrease) */
		time_later(later, TIME_SKEW_S);
		if (strcmp(time, later) > 0) {
			xtime_rfc3339(now);
			return ledger_seterr(l, -EINVAL,
					     "time %s is in the future: the clock says %s, and a"
					     " time more than %d s ahead is refused", time, now, TIME_SKEW_S);
		}
	}
	rc = jcs_dump(data, LEDGER_DATA_MAX, &text, &len);
	free(text);
	if (rc == -E2BIG)
		return ledger_seterr(l, rc, "data is larger than %d bytes", LEDGER_DATA_MAX);
	if (rc < 0)
		return ledger_seterr(l, -EINVAL,
				     "data is not valid ledger JSON: numbers must be integers within"
				     " +/-(2^53-1), strings valid UTF-8 without NUL");
	return 0;
}

/*
 * One drive, one live asset: an enrolment is refused while an asset that is
 * not destroyed was enrolled with the same serial.  Run inside the write
 * transaction, so two enrolments racing for one serial are serialised by
 * SQLite's write lock and exactly one wins; the entries of an open batch are
 * visible here too.  0, or -LEDGER_ECONFLICT (409) naming the asset.
 */
static int enrolled_elsewhere(struct ledger *l, const char *type, const json_t *data)
{
	const char *serial = json_string_value(json_object_get(data, "serial"));
	sqlite3_stmt *s;
	int src, rc = 0;

	if (strcmp(type, "enrolled") != 0 || !serial)
		return 0;
	s = stmt(l, ST_ENROLLED_SERIAL);
	sqlite3_bind_text(s, 1, serial, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW)
		rc = ledger_seterr(l, -LEDGER_ECONFLICT, "a drive with serial %.128s is already enrolled as asset %.160s",
				   serial, (const char *)sqlite3_column_text(s, 0));
	else if (src != SQLITE_DONE)
		rc = sqerr(l, src, "cannot look up the serial");
	sqlite3_reset(s);
	return rc;
}

/*
 * Entries are in time order as well as seq order: a time is never before the
 * previous entry's.  An explicit time (an import) that is earlier is refused,
 * naming both; with no time, now is taken inside the write transaction and,
 * should the clock have stepped back (or the previous entry be an import up
 * to TIME_SKEW_S ahead), the previous entry's time is used instead.  *time is
 * set to the time to record (now[] holds it when it is the clock's).
 */
static int time_in_order(struct ledger *l, const char **time, char now[25])
{
	sqlite3_stmt *s = stmt(l, ST_LAST_TIME);
	const unsigned char *prev;
	int src, rc = 0;

	if (!*time) {
		xtime_rfc3339(now);
		*time = now;
	}
	if (l->last_time_ok) {
		/* the batch's own last entry, without parsing it again */
		if (strcmp(*time, l->last_time) >= 0)
			return 0;
		if (*time == now) {
			memcpy(now, l->last_time, 25);
			return 0;
		}
	}
	src = sqlite3_step(s);
	if (src == SQLITE_ROW && (prev = sqlite3_column_text(s, 0)) != NULL &&
	    strcmp(*time, (const char *)prev) < 0) {
		if (*time == now && strlen((const char *)prev) == 24)
			memcpy(now, prev, 25);
		else
			rc = ledger_seterr(l, -EINVAL,
					   "time %s is before %.40s, the time of entry %lld:"
					   " entries are in time order",
					   *time, (const char *)prev, (long long)sqlite3_column_int64(s, 1));
	} else if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = sqerr(l, src, "cannot read the previous entry's time");
	}
	sqlite3_reset(s);
	return rc;
}

int ledger_append(struct ledger *l, const char *subject, const char *type, const char *actor,
		  const json_t *data, const char *time, uint64_t *seq, char **entry)
{
	struct merkle_frontier saved;
	char now[25], msg[300];
	char *text = NULL;
	json_t *obj = NULL;
	uint8_t leaf[32];
	size_t len;
	int rc, cur, next;
	sqlite3_stmt *s;

	if (!actor)
		actor = "local";
	rc = check_input(l, subject, type, actor, data, time);
	if (rc < 0)
		return rc;
	rc = write_begin(l);
	if (rc < 0)
		return rc;
	rc = time_in_order(l, &time, now);
	if (rc < 0)
		goto fail;
	rc = ledger_state(l, subject, &cur);
	if (rc < 0)
		goto fail;
	/*
	 * The entries the service writes on its own (a wipe's start and end, a
	 * certificate; recovery at start writes sanitize_failed) are checked
	 * against the state replayed from the entries, not only the derived
	 * subjects row: a row changed behind the ledger's back must not lead to
	 * an entry that breaks the lifecycle.  They are rare; a replay of one
	 * asset's entries is cheap.
	 */
	if (lifecycle_type_service_only(type) && !strncmp(subject, "asset:", 6)) {
		int replayed;
		rc = ledger_replayed_state(l, subject, &replayed, NULL);
		if (rc < 0)
			goto fail;
		if (replayed != cur) {
			rc = ledger_seterr(l, -EBADMSG, "cannot record %s for %s: the subjects table says '%s' but"
					   " its entries say '%s' (changed behind the ledger's back): run sanitizerd"
					   " ledger verify", type, subject, lifecycle_state_name(cur),
					   lifecycle_state_name(replayed));
			goto fail;
		}
	}
	rc = lifecycle_check(subject, type, data, cur, &next, msg, sizeof(msg));
	if (rc < 0) {
		ledger_seterr(l, rc, "%s", msg);
		goto fail;
	}
	rc = enrolled_elsewhere(l, type, data);
	if (rc < 0)
		goto fail;
	/* SPEC section 4: the entry object, serialised canonically */
	obj = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:O}", "v", 1, "seq",
			(json_int_t)l->fr.size, "time", time, "subject", subject, "type", type,
			"actor", actor, "data", (json_t *)data);
	if (!obj) {
		rc = ledger_seterr(l, -EINVAL, "actor must be valid UTF-8");
		goto fail;
	}
	rc = jcs_dump(obj, 0, &text, &len);
	if (rc < 0) {
		ledger_seterr(l, rc, "cannot serialise the entry");
		goto fail;
	}
	merkle_leaf_hash(text, len, leaf);

	s = stmt(l, ST_INS_ENTRY);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)l->fr.size);
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, text, (int)len, SQLITE_STATIC);
	rc = step_done(l, s, "cannot store the entry");
	if (rc < 0)
		goto storage_fail;
	saved = l->fr;
	rc = merkle_frontier_append(&l->fr, leaf, put_node, l);
	if (rc < 0)
		goto storage_fail;
	s = stmt(l, ST_PUT_STATE);
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, lifecycle_state_name(next), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)saved.size);
	rc = step_done(l, s, "cannot store the subject's state");
	if (rc < 0) {
		l->fr = saved;
		goto storage_fail;
	}
	if (!l->in_batch) {
		rc = maybe_sign(l);
		if (rc == 0)
			rc = exec(l, "COMMIT");
		if (rc < 0) {
			l->fr = saved;
			goto storage_fail;
		}
	}
	if (strlen(time) == 24) {
		memcpy(l->last_time, time, 25);
		l->last_time_ok = 1;
	}
	if (seq)
		*seq = saved.size;
	if (entry)
		*entry = text;
	else
		free(text);
	json_decref(obj);
	return 0;

storage_fail:
	/* a half-written entry must never survive: in a batch the whole batch goes */
	if (l->in_batch) {
		char keep[sizeof(l->err)];
		memcpy(keep, l->err, sizeof(keep));
		ledger_rollback(l);
		ledger_seterr(l, rc, "%s (the batch was rolled back)", keep);
	} else {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	}
	free(text);
	json_decref(obj);
	return rc;
fail:
	/* nothing was written: a batch stays open for the next entry */
	if (!l->in_batch)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	free(text);
	json_decref(obj);
	return rc;
}

int ledger_get(struct ledger *l, uint64_t seq, char **text, uint8_t leaf[32])
{
	sqlite3_stmt *s = stmt(l, ST_GET_ENTRY);
	int src, rc = 0;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		*text = strdup((const char *)sqlite3_column_text(s, 0));
		if (!*text)
			rc = -ENOMEM;
		else if (leaf && sqlite3_column_bytes(s, 1) == 32)
			memcpy(leaf, sqlite3_column_blob(s, 1), 32);
	} else if (src == SQLITE_DONE) {
		rc = ledger_seterr(l, -ENOENT, "no entry %llu", (unsigned long long)seq);
	} else {
		rc = sqerr(l, src, "cannot read the entry");
	}
	sqlite3_reset(s);
	return rc;
}

int ledger_subject_entries(struct ledger *l, const char *subject, size_t limit,
			   int (*fn)(void *ctx, uint64_t seq, const char *text), void *ctx)
{
	sqlite3_stmt *s = stmt(l, ST_SUBJECT_ENTRIES);
	size_t n = 0;
	int src, rc = 0;

	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	while ((limit == 0 || n < limit) && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = fn(ctx, (uint64_t)sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1));
		if (rc)
			break;
		n++;
	}
	if (!rc && (limit == 0 || n < limit) && src != SQLITE_DONE)
		rc = sqerr(l, src, "cannot read the subject's entries");
	sqlite3_reset(s);
	return rc;
}

const char ledger_tenant_assets_sql[] =
	"SELECT substr(e.subject, 7), s.state FROM entries e JOIN subjects s ON s.subject = e.subject"
	" WHERE e.type = 'enrolled' AND json_extract(e.entry, '$.data.tenant') = ?1 AND e.subject > ?2"
	" AND (?3 IS NULL OR s.state = ?3) ORDER BY e.subject LIMIT ?4";

int ledger_tenant_assets(struct ledger *l, const char *tenant, const char *after, const char *state,
			 size_t limit, int (*fn)(void *ctx, const char *id, const char *state), void *ctx)
{
	char from[200];
	sqlite3_stmt *s = NULL;
	int src, rc = 0;

	if (sqlite3_prepare_v2(l->db, ledger_tenant_assets_sql, -1, &s, NULL) != SQLITE_OK)
		return sqerr(l, sqlite3_errcode(l->db), "cannot list the tenant's assets");
	snprintf(from, sizeof(from), "asset:%.150s", after ? after : "");
	sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
	if (state)
		sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)limit);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = fn(ctx, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
		if (rc)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqerr(l, src, "cannot list the tenant's assets");
	sqlite3_finalize(s);
	return rc;
}

int ledger_subject_page(struct ledger *l, const char *subject, int64_t after, size_t limit,
			int (*fn)(void *ctx, uint64_t seq, const char *text, size_t len), void *ctx)
{
	sqlite3_stmt *s = NULL;
	int src, rc = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT seq, entry FROM entries WHERE subject = ?1 AND seq > ?2"
			       " ORDER BY seq LIMIT ?3", -1, &s, NULL) != SQLITE_OK)
		return sqerr(l, sqlite3_errcode(l->db), "cannot read the subject's entries");
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = fn(ctx, (uint64_t)sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
			(size_t)sqlite3_column_bytes(s, 1));
		if (rc)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqerr(l, src, "cannot read the subject's entries");
	sqlite3_finalize(s);
	return rc;
}

int ledger_replayed_state(struct ledger *l, const char *subject, int *state, uint64_t *last_seq)
{
	sqlite3_stmt *s = NULL;
	int src, rc = 0, cur = LC_NONE, next;
	uint64_t last = 0;
	char msg[300];

	/* its own statement: fn callbacks of ledger_subject_entries may use the shared one */
	if (sqlite3_prepare_v2(l->db, "SELECT seq, entry FROM entries WHERE subject = ? ORDER BY seq", -1, &s,
			       NULL) != SQLITE_OK)
		return sqerr(l, sqlite3_errcode(l->db), "cannot read the subject's entries");
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_STATIC);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		json_t *e = json_loadb((const char *)sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
				       0, NULL);
		const char *type = json_string_value(json_object_get(e, "type"));
		json_t *data = json_object_get(e, "data");

		if (!type || !json_is_object(data)) {
			rc = ledger_seterr(l, -EBADMSG, "entry %llu of %.140s is damaged: run sanitizerd ledger verify",
					   (unsigned long long)seq, subject);
		} else if (lifecycle_check(subject, type, data, cur, &next, msg, sizeof(msg)) < 0) {
			rc = ledger_seterr(l, -EBADMSG, "entry %llu of %.140s breaks the lifecycle (%s):"
					   " run sanitizerd ledger verify", (unsigned long long)seq, subject, msg);
		} else {
			cur = next;
			last = seq;
		}
		json_decref(e);
		if (rc < 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqerr(l, src, "cannot read the subject's entries");
	sqlite3_finalize(s);
	if (rc == 0) {
		*state = cur;
		if (last_seq)
			*last_seq = last;
	}
	return rc;
}

int ledger_replayed_sanitizing(struct ledger *l, int (*fn)(void *ctx, const char *subject, uint64_t started),
			       void *ctx)
{
	sqlite3_stmt *s = NULL;
	int src, rc = 0;

	/*
	 * Candidates from the entries, not from subjects: the assets whose last
	 * wipe entry is a sanitize_started (SQLite gives the bare columns of
	 * the max(seq) row).  Each is then replayed in full.
	 */
	if (sqlite3_prepare_v2(l->db, "SELECT subject, type, max(seq) FROM entries"
			       " WHERE type IN ('sanitize_started', 'sanitize_completed', 'sanitize_failed')"
			       " GROUP BY subject", -1, &s, NULL) != SQLITE_OK)
		return sqerr(l, sqlite3_errcode(l->db), "cannot look for interrupted wipes");
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *subject = (const char *)sqlite3_column_text(s, 0);
		uint64_t started = (uint64_t)sqlite3_column_int64(s, 2);
		int st;

		if (strcmp((const char *)sqlite3_column_text(s, 1), "sanitize_started"))
			continue;
		rc = ledger_replayed_state(l, subject, &st, NULL);
		if (rc == 0 && st == LC_SANITIZING)
			rc = fn(ctx, subject, started);
		if (rc)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = sqerr(l, src, "cannot look for interrupted wipes");
	sqlite3_finalize(s);
	return rc;
}

static int check_size(struct ledger *l, uint64_t size, uint64_t *have)
{
	int rc = ledger_size(l, have);

	if (rc < 0)
		return rc;
	if (size > *have)
		return ledger_seterr(l, -EINVAL, "tree size %llu is larger than the ledger (%llu entries)",
				     (unsigned long long)size, (unsigned long long)*have);
	return 0;
}

int ledger_root(struct ledger *l, uint64_t size, uint8_t root[32])
{
	uint64_t have;
	int rc = check_size(l, size, &have);

	if (rc < 0)
		return rc;
	return merkle_root(ledger_get_node, l, size, root);
}

int ledger_prove_inclusion(struct ledger *l, uint64_t seq, uint64_t size, uint8_t hashes[][32], size_t *n)
{
	uint64_t have;
	int rc = check_size(l, size, &have);

	if (rc < 0)
		return rc;
	if (seq >= size)
		return ledger_seterr(l, -EINVAL, "seq %llu is not in a tree of size %llu",
				     (unsigned long long)seq, (unsigned long long)size);
	return merkle_prove_inclusion(ledger_get_node, l, seq, size, hashes, n);
}

int ledger_prove_consistency(struct ledger *l, uint64_t from, uint64_t to, uint8_t hashes[][32], size_t *n)
{
	uint64_t have;
	int rc = check_size(l, to, &have);

	if (rc < 0)
		return rc;
	if (from == 0 || from > to)
		return ledger_seterr(l, -EINVAL, "need 0 < from <= to (from %llu, to %llu)",
				     (unsigned long long)from, (unsigned long long)to);
	return merkle_prove_consistency(ledger_get_node, l, from, to, hashes, n);
}

static int last_checkpoint(struct ledger *l, uint64_t *size, char **note)
{
	sqlite3_stmt *s = stmt(l, ST_LAST_CKPT);
	int src = sqlite3_step(s), rc = 0;

	if (src == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(s, 0);
		*note = strdup((const char *)sqlite3_column_text(s, 1));
		if (!*note)
			rc = -ENOMEM;
	} else if (src == SQLITE_DONE) {
		rc = ledger_seterr(l, -ENOENT, "the ledger has no checkpoint yet");
	} else {
		rc = sqerr(l, src, "cannot read the latest checkpoint");
	}
	sqlite3_reset(s);
	return rc;
}

int ledger_checkpoint_latest(struct ledger *l, char **note)
{
	uint64_t size;

	return last_checkpoint(l, &size, note);
}

/*
 * Inside a write transaction: sign and store a checkpoint of the current tree
 * unless the latest one covers it.  *note (may be NULL) gets the latest text.
 */
static int sign_locked(struct ledger *l, const struct sz_key *k, const char *origin, char **note)
{
	uint64_t last = 0;
	uint8_t root[32];
	char *text = NULL;
	sqlite3_stmt *s;
	int rc;

	rc = last_checkpoint(l, &last, &text);
	if (rc == 0 && last == l->fr.size)
		goto done;
	if (rc < 0 && rc != -ENOENT)
		goto done;
	free(text);
	text = NULL;
	merkle_frontier_root(&l->fr, root);
	rc = checkpoint_sign(k, origin, l->fr.size, root, &text);
	if (rc < 0) {
		ledger_seterr(l, rc, "cannot sign the checkpoint");
		goto done;
	}
	s = stmt(l, ST_INS_CKPT);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)l->fr.size);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	rc = step_done(l, s, "cannot store the checkpoint");
done:
	if (rc == 0 && note)
		*note = text;
	else
		free(text);
	return rc;
}

int ledger_checkpoint(struct ledger *l, const struct sz_key *k, const char *origin, char **note)
{
	int rc;

	if (l->in_batch)
		return sign_locked(l, k, origin, note);
	rc = write_begin(l);
	if (rc < 0)
		return rc;
	rc = sign_locked(l, k, origin, note);
	if (rc == 0)
		rc = exec(l, "COMMIT");
	if (rc < 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		if (note) {
			free(*note);
			*note = NULL;
		}
	}
	return rc;
}

void ledger_set_signer(struct ledger *l, const struct sz_key *k, const char *origin,
		       unsigned every_n, unsigned every_ms)
{
	l->sign_key = k;
	snprintf(l->origin, sizeof(l->origin), "%s", origin ? origin : "");
	l->sign_every_n = every_n ? every_n : 1;
	l->sign_every_ms = every_ms;
	l->last_sign = 0;
}

/* At commit: attest the tree when the policy of ledger_set_signer says so. */
static int maybe_sign(struct ledger *l)
{
	uint64_t last = 0;
	char *text = NULL;
	double now;
	int rc;

	if (!l->sign_key)
		return 0;
	now = xmono();
	rc = last_checkpoint(l, &last, &text);
	free(text);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == 0 && l->fr.size - last < l->sign_every_n &&
	    (now - l->last_sign) * 1000 < l->sign_every_ms)
		return 0;
	rc = sign_locked(l, l->sign_key, l->origin, NULL);
	if (rc == 0)
		l->last_sign = now;
	return rc;
}

int ledger_identity(struct ledger *l, char **origin, uint8_t pub[32])
{
	char *hex = NULL;
	int rc;

	rc = meta_get(l, "public_key", &hex);
	if (rc == -ENOENT)
		return ledger_seterr(l, rc, "the ledger has no signing identity yet");
	if (rc < 0)
		return rc;
	rc = hex_decode(hex, strlen(hex), pub, 32);
	free(hex);
	if (rc < 0)
		return ledger_seterr(l, -EINVAL, "the ledger's public key is malformed");
	rc = meta_get(l, "origin", origin);
	if (rc < 0)
		return ledger_seterr(l, rc == -ENOENT ? -EINVAL : rc, "the ledger has no origin");
	return 0;
}

int ledger_set_identity(struct ledger *l, const char *origin, const uint8_t pub[32])
{
	char hex[65];
	int rc;

	hex_encode(pub, 32, hex);
	rc = exec(l, "BEGIN IMMEDIATE");
	if (rc < 0)
		return rc;
	rc = meta_put(l, "origin", origin);
	if (rc == 0)
		rc = meta_put(l, "public_key", hex);
	if (rc < 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return exec(l, "COMMIT");
}
