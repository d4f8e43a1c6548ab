#include "audit/tokens.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"
#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/merkle.h"

static const char tokens_schema[] =
	"CREATE TABLE IF NOT EXISTS tokens(id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
	" role TEXT NOT NULL, name TEXT NOT NULL, tenant TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)";

int token_role_valid(const char *role)
{
	return role && (!strcmp(role, "admin") || !strcmp(role, "technician") ||
			!strcmp(role, "auditor") || !strcmp(role, "customer"));
}

/* Compare without an early exit, so timing says nothing of where they differ. */
static int memeq_const(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int ensure_schema(sqlite3 *db)
{
	return sqlite3_exec(db, tokens_schema, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int token_create(struct ledger *l, const char *role, const char *name, const char *tenant,
		 const char *actor, struct token_info *info, char secret[TOKEN_LEN + 1])
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	uint8_t raw[32], idraw[9], hash[32];
	char subject[8 + TOKEN_ID_LEN];
	char *b = NULL, *idb = NULL;
	json_t *data = NULL;
	int rc;

	if (!tenant)
		tenant = "";
	if (!name)
		name = "";
	if (!token_role_valid(role))
		return -EINVAL;
	if (!strcmp(role, "customer") != !!tenant[0] || strlen(name) >= sizeof(info->name) ||
	    strlen(tenant) >= sizeof(info->tenant))
		return -EINVAL;
	crypto_random(raw, sizeof(raw));
	crypto_random(idraw, sizeof(idraw));
	b = b64_encode(raw, sizeof(raw), B64_URL);
	idb = b64_encode(idraw, sizeof(idraw), B64_URL);
	if (!b || !idb) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(secret, TOKEN_LEN + 1, TOKEN_PREFIX "%s", b);
	merkle_sha256(secret, strlen(secret), hash);
	memset(info, 0, sizeof(*info));
	memcpy(info->id, idb, TOKEN_ID_LEN);
	snprintf(info->role, sizeof(info->role), "%s", role);
	snprintf(info->name, sizeof(info->name), "%s", name);
	snprintf(info->tenant, sizeof(info->tenant), "%s", tenant);
	snprintf(subject, sizeof(subject), "token:%s", info->id);

	rc = ensure_schema(db);
	if (rc == 0)
		rc = ledger_begin(l);
	if (rc < 0)
		goto out;
	data = json_pack("{s:s}", "role", role);
	if (data && name[0])
		json_object_set_new(data, "name", json_string(name));
	if (data && tenant[0])
		json_object_set_new(data, "tenant", json_string(tenant));
	rc = data ? ledger_append(l, subject, "token_created", actor, data, NULL, NULL, NULL) : -EINVAL;
	if (rc == 0 && sqlite3_prepare_v2(db, "INSERT INTO tokens(id, hash, role, name, tenant) VALUES(?,?,?,?,?)",
					  -1, &s, NULL) != SQLITE_OK)
		rc = -EIO;
	if (rc == 0) {
		sqlite3_bind_text(s, 1, info->id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, tenant, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	}
	sqlite3_finalize(s);
	if (rc == 0)
		rc = ledger_commit(l);
	else
		ledger_rollback(l);
out:
	if (rc < 0)
		explicit_bzero(secret, TOKEN_LEN + 1);
	explicit_bzero(raw, sizeof(raw));
	if (b)
		explicit_bzero(b, strlen(b));
	free(b);
	free(idb);
	json_decref(data);
	return rc;
}

int token_check(struct ledger *l, const char *presented, struct token_info *info)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	uint8_t hash[32];
	int rc = -EACCES;

	if (!presented || strlen(presented) != TOKEN_LEN || strncmp(presented, TOKEN_PREFIX, 4))
		return -EACCES;
	merkle_sha256(presented, TOKEN_LEN, hash);
	if (sqlite3_prepare_v2(db, "SELECT id, hash, role, name, tenant, revoked FROM tokens WHERE hash = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return -EACCES;
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		/* the index found it by hash; still compare without early exit */
		if (memeq_const(sqlite3_column_blob(s, 1), hash, 32) && !sqlite3_column_int(s, 5)) {
			memset(info, 0, sizeof(*info));
			snprintf(info->id, sizeof(info->id), "%s", sqlite3_column_text(s, 0));
			snprintf(info->role, sizeof(info->role), "%s", sqlite3_column_text(s, 2));
			snprintf(info->name, sizeof(info->name), "%s", sqlite3_column_text(s, 3));
			snprintf(info->tenant, sizeof(info->tenant), "%s", sqlite3_column_text(s, 4));
			rc = 0;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

int token_get(struct ledger *l, const char *id, struct token_info *info)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	int rc = -ENOENT, src;

	if (!id || strlen(id) != TOKEN_ID_LEN)
		return -ENOENT;
	if (sqlite3_prepare_v2(db, "SELECT id, role, name, tenant, revoked FROM tokens WHERE id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		memset(info, 0, sizeof(*info));
		snprintf(info->id, sizeof(info->id), "%s", sqlite3_column_text(s, 0));
		snprintf(info->role, sizeof(info->role), "%s", sqlite3_column_text(s, 1));
		snprintf(info->name, sizeof(info->name), "%s", sqlite3_column_text(s, 2));
		snprintf(info->tenant, sizeof(info->tenant), "%s", sqlite3_column_text(s, 3));
		info->revoked = sqlite3_column_int(s, 4);
		rc = 0;
	} else if (src != SQLITE_DONE) {
		rc = -EIO;
	}
	sqlite3_finalize(s);
	return rc;
}

int token_revoke(struct ledger *l, const char *id, const char *actor)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	char subject[64];
	json_t *data = json_object();
	int rc, revoked = -1;

	if (!data)
		return -ENOMEM;
	if (ensure_schema(db) < 0 || strlen(id) > TOKEN_ID_LEN) {
		json_decref(data);
		return strlen(id) > TOKEN_ID_LEN ? -ENOENT : -EIO;
	}
	snprintf(subject, sizeof(subject), "token:%s", id);
	rc = ledger_begin(l);
	if (rc < 0)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT revoked FROM tokens WHERE id = ?", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			revoked = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
	s = NULL;
	rc = revoked < 0 ? -ENOENT : revoked ? -EALREADY : 0;
	if (rc == 0)
		rc = ledger_append(l, subject, "token_revoked", actor, data, NULL, NULL, NULL);
	if (rc == 0 && sqlite3_prepare_v2(db, "UPDATE tokens SET revoked = 1 WHERE id = ?", -1, &s,
					  NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	}
	sqlite3_finalize(s);
	if (rc == 0)
		rc = ledger_commit(l);
	else
		ledger_rollback(l);
out:
	json_decref(data);
	return rc;
}

int token_list(struct ledger *l, json_t **out)
{
	sqlite3 *db = ledger_sqlite(l);
	sqlite3_stmt *s = NULL;
	json_t *arr = json_array();
	int src, rc = 0;

	if (!arr)
		return -ENOMEM;
	if (ensure_schema(db) < 0 ||
	    sqlite3_prepare_v2(db, "SELECT id, role, name, tenant, revoked FROM tokens ORDER BY rowid",
			       -1, &s, NULL) != SQLITE_OK) {
		json_decref(arr);
		return -EIO;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", sqlite3_column_text(s, 0),
				      "role", sqlite3_column_text(s, 1), "name", sqlite3_column_text(s, 2),
				      "tenant", sqlite3_column_text(s, 3), "revoked", sqlite3_column_int(s, 4));
		if (!t || json_array_append_new(arr, t) < 0) {
			rc = -ENOMEM;
			break;
		}
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	if (rc < 0)
		json_decref(arr);
	else
		*out = arr;
	return rc;
}
