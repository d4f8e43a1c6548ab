/*
 * ledger_backup — a consistent copy of a live ledger for an auditor (issue 15).
 *
 * A plain cp of ledger.db misses what is still in its WAL, so the copy
 * verifies as a cut tail.  SQLite's online backup API copies the pages of
 * one read transaction: a snapshot that a writer appending meanwhile does
 * not disturb (https://sqlite.org/backup.html; with nPage -1 one step copies
 * every page under one read lock).  The copy is written under a temporary
 * name in DEST's directory, made a single file (journal_mode DELETE),
 * fsynced, and renamed into place, so DEST is either absent or complete.
 */
#include "audit/ledger_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define BACKUP_BUSY_MS 30000

static int berr(char *err, size_t errlen, int rc, const char *fmt, const char *a, const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
	return rc;
}

/* fsync the directory holding path, so the rename survives a crash. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return -ENAMETOOLONG;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Copy every page of src into the (new, empty) file tmp; a single file, synced. */
static int copy_into(sqlite3 *src, const char *tmp, char *err, size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int src_rc, rc = 0, fd;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = berr(err, errlen, -EIO, "cannot open %s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return rc;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		rc = berr(err, errlen, -EIO, "cannot back up to %s: %s", tmp, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return rc;
	}
	/*
	 * One step of every page: one read transaction on src, so one snapshot.
	 * A WAL reader is not blocked by the writer; BUSY is retried for at most
	 * BACKUP_BUSY_MS (a recovery or a schema change holding the file).
	 */
	for (int waited = 0;; waited += 10) {
		src_rc = sqlite3_backup_step(b, -1);
		if ((src_rc != SQLITE_BUSY && src_rc != SQLITE_LOCKED) || waited >= BACKUP_BUSY_MS)
			break;
		sqlite3_sleep(10);
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK || src_rc != SQLITE_DONE)
		rc = berr(err, errlen, src_rc == SQLITE_FULL ? -ENOSPC : -EIO, "cannot back up to %s: %s", tmp,
			  sqlite3_errmsg(dst));
	/* page 1 came over saying WAL: the auditor gets one self-contained file */
	if (rc == 0 && sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
		rc = berr(err, errlen, -EIO, "cannot finish %s: %s", tmp, sqlite3_errmsg(dst));
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = berr(err, errlen, -EIO, "cannot close %s%s", tmp, "");
	if (rc == 0) {
		fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fsync(fd) < 0)
			rc = berr(err, errlen, -errno, "cannot sync %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

int ledger_backup(struct ledger *l, const char *dest, int force, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct stat sb;
	int fd, rc, n;

	if (!force && lstat(dest, &sb) == 0)
		return berr(err, errlen, -EEXIST, "cannot write %s: %s", dest, "the file exists (use --force to replace it)");
	if (lstat(dest, &sb) == 0 && !S_ISREG(sb.st_mode))
		return berr(err, errlen, -EEXIST, "cannot write %s: %s", dest, "not a regular file");
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dest, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return berr(err, errlen, -ENAMETOOLONG, "cannot write %s: %s", dest, "path too long");
	/* a new file of our own, never through a link someone left there */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr(err, errlen, -errno, "cannot create %s: %s", tmp, strerror(errno));
	close(fd);
	rc = copy_into(l->db, tmp, err, errlen);
	/* DELETE mode leaves no -journal behind; a failed copy may have */
	if (rc == 0) {
		/* glibc 2.28: renameat2; without --force the copy never replaces a file that appeared meanwhile */
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, force ? 0 : RENAME_NOREPLACE) < 0)
			rc = berr(err, errlen, -errno, "cannot rename the copy to %s: %s", dest, strerror(errno));
		else
			rc = sync_dir(dest);
	}
	if (rc < 0) {
		char j[PATH_MAX + 16];
		unlink(tmp);
		snprintf(j, sizeof(j), "%s-journal", tmp);
		unlink(j);
	}
	return rc;
}
