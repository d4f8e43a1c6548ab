/* Tokens (admin): create, list, revoke.  Creation and revocation are ledger entries. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "audit/tokens.h"

void h_tokens_create(struct req *r, struct resp *out)
{
	json_t *body = req_json(r, out), *v;
	struct { const char *role, *name, *tenant; } c = { 0 };
	struct lw_op op = { .type = LW_TOKEN_CREATE };
	struct token_info *info = &op.out.token.info;
	const char *key;
	char err[300];
	int rc;

	if (!body)
		return;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "role") && strcmp(key, "name") && strcmp(key, "tenant")) {
			reply_error(out, 400, "bad_request", "unknown member '%.60s' (want role, name, tenant)", key);
			goto out;
		}
	}
	if (json_unpack(body, "{s:s, s?s, s?s}", "role", &c.role, "name", &c.name, "tenant", &c.tenant) < 0) {
		reply_error(out, 400, "bad_request", "role is required; role, name and tenant are strings");
		goto out;
	}
	if (!token_role_valid(c.role)) {
		reply_error(out, 400, "bad_request", "role must be admin, technician, auditor or customer");
		goto out;
	}
	if (!strcmp(c.role, "customer") != !!(c.tenant && c.tenant[0])) {
		reply_error(out, 400, "bad_request", "a customer token needs a tenant, and only a customer token has one");
		goto out;
	}
	if ((c.name && strlen(c.name) > 127) || (c.tenant && strlen(c.tenant) > 127)) {
		reply_error(out, 400, "bad_request", "name and tenant are at most 127 bytes");
		goto out;
	}
	snprintf(op.in.token_create.role, sizeof(op.in.token_create.role), "%s", c.role);
	snprintf(op.in.token_create.name, sizeof(op.in.token_create.name), "%s", c.name ? c.name : "");
	snprintf(op.in.token_create.tenant, sizeof(op.in.token_create.tenant), "%s", c.tenant ? c.tenant : "");
	req_caller(r, &op.caller);
	rc = api_write(r->api, &op, err, sizeof(err));
	if (rc < 0) {
		reply_errno(out, rc, err[0] ? err : "cannot create the token");
		goto out;
	}
	reply_json(out, 201, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", info->id, "token", op.out.token.secret,
				       "role", info->role, "name", info->name, "tenant", info->tenant));
	explicit_bzero(op.out.token.secret, sizeof(op.out.token.secret));
out:
	json_decref(body);
}

void h_tokens_list(struct req *r, struct resp *out)
{
	struct ledger *l = api_read_acquire(r->api);
	json_t *arr = NULL;
	int rc = token_list(l, &arr);

	api_read_release(r->api, l);
	if (rc < 0)
		reply_errno(out, rc, "cannot list tokens");
	else
		reply_json(out, 200, json_pack("{s:o}", "tokens", arr));
}

void h_tokens_revoke(struct req *r, struct resp *out)
{
	struct lw_op op = { .type = LW_TOKEN_REVOKE };
	const char *id = r->cap[0];
	char err[300];
	int rc;

	req_caller(r, &op.caller);
	/* an id longer than any token's is no token */
	rc = !id[0] || strlen(id) > TOKEN_ID_LEN ? -ENOENT : 0;
	if (rc == 0) {
		snprintf(op.in.token_revoke.id, sizeof(op.in.token_revoke.id), "%s", id);
		rc = api_write(r->api, &op, err, sizeof(err));
	}
	/* a revoked token must stop working on the very next request */
	tokcache_clear(r->api);
	if (rc == -ENOENT)
		reply_error(out, 404, "not_found", "no token %s", id);
	else if (rc == -EALREADY)
		reply_error(out, 409, "conflict", "token %s is already revoked", id);
	else if (rc < 0)
		reply_errno(out, rc, err);
	else
		reply_json(out, 200, json_pack("{s:s, s:b}", "id", id, "revoked", 1));
}
