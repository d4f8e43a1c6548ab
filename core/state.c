#include "core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/note.h"
#include "audit/tokens.h"
#include "util/xio.h"

char *state_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int exists(const char *dir, const char *name)
{
	char *p = state_path(dir, name);
	struct stat st;
	int r = p && lstat(p, &st) == 0;

	free(p);
	return r;
}

static int default_origin(char *buf, size_t len)
{
	char host[256] = "localhost";

	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	snprintf(buf, len, "%s/sanitizerd", host);
	return note_name_valid(buf) ? 0 : -EINVAL;
}

/* Refuse a secret that others could read; the message names the file and mode. */
static int check_secret(const char *dir, const char *name, char *err, size_t errlen)
{
	char *p = state_path(dir, name);
	mode_t mode = 0;
	int rc;

	if (!p)
		return -ENOMEM;
	rc = xcheck_secret(p, &mode);
	if (rc == -EPERM)
		snprintf(err, errlen, "refusing to use %s: mode %04o is readable by group or others"
			 " (or not owned by us); chmod 600 it", p, (unsigned)mode);
	else if (rc == -ENOENT)
		snprintf(err, errlen, "cannot open %s: missing (run sanitizerd init)", p);
	else if (rc < 0)
		snprintf(err, errlen, "cannot use %s: %s", p, strerror(-rc));
	free(p);
	return rc;
}

static int write_token(const char *dir, const char *secret, char *err, size_t errlen)
{
	char *p = state_path(dir, "admin.token");
	char line[TOKEN_LEN + 2];
	int rc;

	if (!p)
		return -ENOMEM;
	snprintf(line, sizeof(line), "%s\n", secret);
	rc = xwrite_file_excl(p, line, strlen(line), 0600);
	explicit_bzero(line, sizeof(line));
	if (rc < 0)
		snprintf(err, errlen, "cannot create %s: %s", p, strerror(-rc));
	free(p);
	return rc;
}

/* Build everything in files the final renames make visible, ledger.db last. */
static int create(const char *dir, const char *origin, char *err, size_t errlen)
{
	char *kpath = state_path(dir, "signing.key"), *lpath = state_path(dir, "ledger.db");
	struct sz_key *key = NULL;
	struct ledger *l = NULL;
	struct token_info ti;
	char secret[TOKEN_LEN + 1] = "";
	char *vkey = NULL, *pubb64 = NULL;
	uint8_t pub[32], id[4];
	char idhex[9];
	json_t *data = NULL;
	int rc;

	if (!kpath || !lpath) {
		rc = -ENOMEM;
		goto out;
	}
	rc = key_generate(&key);
	if (rc == 0)
		rc = key_save(key, kpath);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create %s: %s", kpath, strerror(-rc));
		goto out;
	}
	key_public(key, pub);
	note_key_id(origin, pub, id);
	hex_encode(id, 4, idhex);
	vkey = note_verifier(origin, pub);
	pubb64 = b64_encode(pub, 32, B64_STD);
	rc = ledger_open(lpath, LEDGER_CREATE, &l, err, errlen);
	if (rc < 0)
		goto out;
	rc = ledger_set_identity(l, origin, pub);
	ledger_set_signer(l, key, origin, 1, 0);
	data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "algorithm", "Ed25519", "origin", origin,
			 "public_key", pubb64 ? pubb64 : "", "key_id", idhex, "verifier", vkey ? vkey : "");
	if (rc == 0)
		rc = data && vkey && pubb64 ? 0 : -ENOMEM;
	if (rc == 0)
		rc = ledger_append(l, "system", "key_created", "sanitizerd init", data, NULL, NULL, NULL);
	if (rc == 0)
		rc = token_create(l, "admin", "bootstrap admin", NULL, "sanitizerd init", &ti, secret);
	if (rc < 0) {
		snprintf(err, errlen, "cannot initialise %s: %s", lpath, ledger_errmsg(l));
		goto out;
	}
	rc = write_token(dir, secret, err, errlen);
out:
	explicit_bzero(secret, sizeof(secret));
	ledger_close(l);
	if (rc < 0 && lpath) {
		/* leave nothing half-made: the next init starts clean */
		char *w = state_path(dir, "ledger.db-wal"), *s = state_path(dir, "ledger.db-shm");
		if (kpath)
			unlink(kpath);
		unlink(lpath);
		if (w)
			unlink(w);
		if (s)
			unlink(s);
		free(w);
		free(s);
	}
	json_decref(data);
	free(vkey);
	free(pubb64);
	key_free(key);
	free(kpath);
	free(lpath);
	return rc;
}

int state_init(const char *dir, const char *origin, int *created, char *err, size_t errlen)
{
	char obuf[NOTE_ORIGIN_MAX + 1];
	struct stat st;
	int have_l, have_k, have_t;

	*created = 0;
	if (!origin) {
		if (default_origin(obuf, sizeof(obuf)) < 0) {
			snprintf(err, errlen, "cannot make an origin from the host name: give --origin");
			return -EINVAL;
		}
		origin = obuf;
	}
	if (!note_name_valid(origin)) {
		snprintf(err, errlen, "invalid origin '%.100s': 1 to 255 bytes, no spaces or '+'", origin);
		return -EINVAL;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot use %s: not a directory", dir);
		return -ENOTDIR;
	}
	have_l = exists(dir, "ledger.db");
	have_k = exists(dir, "signing.key");
	have_t = exists(dir, "admin.token");
	if (have_l && have_k && have_t)
		return 0;
	if (have_l || have_k || have_t) {
		snprintf(err, errlen, "cannot initialise %s: it holds %s%s%s%s%s but not all three of"
			 " ledger.db, signing.key, admin.token; move them away or restore the rest",
			 dir, have_l ? "ledger.db" : "", have_l && (have_k || have_t) ? " and " : "",
			 have_k ? "signing.key" : "", have_k && have_t ? " and " : "",
			 have_t ? "admin.token" : "");
		return -EEXIST;
	}
	int rc = create(dir, origin, err, errlen);
	if (rc == 0)
		*created = 1;
	return rc;
}

int state_open(const char *dir, int flags, struct state **out, char *err, size_t errlen)
{
	struct state *st;
	char *lpath = NULL, *kpath = NULL;
	uint8_t kpub[32];
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->dir = strdup(dir))) {
		free(st);
		return -ENOMEM;
	}
	lpath = state_path(dir, "ledger.db");
	kpath = state_path(dir, "signing.key");
	if (!lpath || !kpath) {
		rc = -ENOMEM;
		goto out;
	}
	if (flags & STATE_KEY) {
		rc = check_secret(dir, "signing.key", err, errlen);
		if (rc == 0)
			rc = check_secret(dir, "admin.token", err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = ledger_open(lpath, (flags & STATE_RDONLY ? LEDGER_RDONLY : 0) | (flags & STATE_RO_SHM ? LEDGER_RO_SHM : 0) |
			 (flags & STATE_NOSYNC ? LEDGER_NOSYNC : 0), &st->ledger, err, errlen);
	if (rc == -ENOENT)
		snprintf(err, errlen, "cannot open %s: no ledger (run sanitizerd init --state-dir %s)",
			 lpath, dir);
	if (rc < 0)
		goto out;
	rc = ledger_identity(st->ledger, &st->origin, st->pub);
	if (rc < 0) {
		snprintf(err, errlen, "cannot use %s: %s", lpath, ledger_errmsg(st->ledger));
		goto out;
	}
	st->vkey = note_verifier(st->origin, st->pub);
	if (!st->vkey) {
		rc = -ENOMEM;
		goto out;
	}
	if (flags & STATE_KEY) {
		rc = key_load(kpath, &st->key);
		if (rc < 0) {
			snprintf(err, errlen, "cannot load %s: %s", kpath,
				 rc == -EINVAL ? "not an Ed25519 PKCS#8 key" : strerror(-rc));
			goto out;
		}
		key_public(st->key, kpub);
		if (memcmp(kpub, st->pub, 32)) {
			snprintf(err, errlen, "cannot use %s: it is not the key the ledger was created with",
				 kpath);
			rc = -EINVAL;
			goto out;
		}
		ledger_set_signer(st->ledger, st->key, st->origin, 1, 0);
	}
out:
	free(lpath);
	free(kpath);
	if (rc < 0) {
		state_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

struct sz_key *state_take_key(struct state *st)
{
	struct sz_key *k = st->key;

	st->key = NULL;
	return k;
}

void state_free(struct state *st)
{
	if (!st)
		return;
	ledger_close(st->ledger);
	key_free(st->key);
	free(st->dir);
	free(st->origin);
	free(st->vkey);
	free(st);
}
