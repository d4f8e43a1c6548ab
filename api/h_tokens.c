/* Tokens (admin): create, list, revoke.  Creation and revocation are ledger entries. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "audit/ledger.h"
#include "audit/tokens.h"

struct create_ctx {
	const char *role, *name, *tenant, *actor;
	struct token_info info;
	char secret[TOKEN_LEN + 1];
};

static int do_create(struct ledger *l, void *ctx)
{
	struct create_ctx *c = ctx;

	return token_create(l, c->role, c->name, c->tenant, c->actor, &c->info, c->secret);
}

void h_tokens_create(struct req *r, struct resp *out)
{
	json_t *body = req_json(r, out), *v;
	struct create_ctx c = { 0 };
	const char *key;
	char actor[64], err[300];
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
	req_actor(r, actor, sizeof(actor));
	c.actor = actor;
	rc = api_write(r->api, 0, do_create, &c, err, sizeof(err));
	if (rc < 0) {
		reply_errno(out, rc, err[0] ? err : "cannot create the token");
		goto out;
	}
	reply_json(out, 201, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", c.info.id, "token", c.secret,
				       "role", c.info.role, "name", c.info.name, "tenant", c.info.tenant));
	explicit_bzero(c.secret, sizeof(c.secret));
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

struct revoke_ctx {
	const char *id, *actor;
};

static int do_revoke(struct ledger *l, void *ctx)
{
	struct revoke_ctx *c = ctx;

	return token_revoke(l, c->id, c->actor);
}

void h_tokens_revoke(struct req *r, struct resp *out)
{
	char actor[64], err[300];
	struct revoke_ctx c = { .id = r->cap[0], .actor = actor };
	int rc;

	req_actor(r, actor, sizeof(actor));
	rc = api_write(r->api, 0, do_revoke, &c, err, sizeof(err));
	/* a revoked token must stop working on the very next request */
	tokcache_clear(r->api);
	if (rc == -ENOENT)
		reply_error(out, 404, "not_found", "no token %s", c.id);
	else if (rc == -EALREADY)
		reply_error(out, 409, "conflict", "token %s is already revoked", c.id);
	else if (rc < 0)
		reply_errno(out, rc, err);
	else
		reply_json(out, 200, json_pack("{s:s, s:b}", "id", c.id, "revoked", 1));
}
