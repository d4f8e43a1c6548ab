/* Patch audits of hosts (technician) and the exposure of a drive (auditor, customer of the tenant). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "audit/exposure.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "audit/patchaudit.h"

void h_patch_audit(struct req *r, struct resp *out)
{
	struct lw_op op = { .type = LW_PATCH_AUDIT };
	json_t *body, *entry;
	char err[512], *text;
	int rc;

	if (!patch_audit_host_valid(r->cap[0])) {
		reply_error(out, 400, "bad_request", "invalid host name (want 1..128 of [A-Za-z0-9.-])");
		return;
	}
	body = req_json(r, out);
	if (!body)
		return;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	op.in.patch_audit.body = (struct lw_text){ text, strlen(text) };
	snprintf(op.in.patch_audit.host, sizeof(op.in.patch_audit.host), "%s", r->cap[0]);
	req_caller(r, &op.caller);
	rc = api_write(r->api, &op, err, sizeof(err));
	free(text);
	entry = rc == 0 ? json_loads(op.out.patch_audit.entry, 0, NULL) : NULL;
	free(op.out.patch_audit.entry);
	if (rc == -E2BIG)
		reply_error(out, 409, "conflict", "%s", err[0] ? err : "too many drives on this host");
	else if (rc < 0)
		reply_errno(out, rc, err);
	else if (!entry)
		reply_error(out, 500, "internal", "out of memory");
	else
		reply_json(out, 201, entry);
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
