/* Patch audits of hosts (technician) and the exposure of a drive (auditor, customer of the tenant). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "audit/exposure.h"
#include "audit/ledger.h"
#include "audit/patchaudit.h"

struct audit_ctx {
	const char *host, *actor;
	const json_t *body;
	json_t *entry;
	char err[512];
};

static int do_record(struct ledger *l, void *ctx)
{
	struct audit_ctx *c = ctx;

	return patch_audit_record(l, c->host, c->body, c->actor, &c->entry, c->err, sizeof(c->err));
}

void h_patch_audit(struct req *r, struct resp *out)
{
	struct audit_ctx c = { .host = r->cap[0] };
	json_t *body;
	char actor[64], werr[300];
	int rc;

	if (!patch_audit_host_valid(c.host)) {
		reply_error(out, 400, "bad_request", "invalid host name (want 1..128 of [A-Za-z0-9.-])");
		return;
	}
	body = req_json(r, out);
	if (!body)
		return;
	req_actor(r, actor, sizeof(actor));
	c.actor = actor;
	c.body = body;
	rc = api_write(r->api, 0, do_record, &c, werr, sizeof(werr));
	if (rc == -E2BIG)
		reply_error(out, 409, "conflict", "%s", c.err[0] ? c.err : "too many drives on this host");
	else if (rc < 0)
		reply_errno(out, rc, c.err[0] ? c.err : werr);
	else
		reply_json(out, 201, c.entry);
	json_decref(body);
}

void h_exposure(struct req *r, struct resp *out)
{
	struct ledger *l = api_read_acquire(r->api);
	json_t *rep = NULL;
	const char *tenant;
	int rc = exposure_report(l, r->cap[0], &rep);

	api_read_release(r->api, l);
	/* SPEC section 6: another tenant's drive does not exist for a customer */
	tenant = json_string_value(json_object_get(rep, "tenant"));
	if (rc == 0 && r->role == ROLE_CUSTOMER && (!tenant || strcmp(tenant, r->tok.tenant)))
		rc = -ENOENT;
	if (rc == -ENOENT)
		reply_error(out, 404, "not_found", "no asset %s", r->cap[0]);
	else if (rc < 0)
		reply_error(out, 500, "internal", "cannot build the exposure report");
	else {
		reply_json(out, 200, rep);
		return;
	}
	json_decref(rep);
}
