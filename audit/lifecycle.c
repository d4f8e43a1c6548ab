#include "audit/lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[LC_STATE_COUNT] = {
	[LC_NONE] = "", [LC_RECEIVED] = "received", [LC_DEPLOYED] = "deployed",
	[LC_REMOVED] = "removed", [LC_RETIRED] = "retired", [LC_SANITIZING] = "sanitizing",
	[LC_SANITIZED] = "sanitized", [LC_CERTIFIED] = "certified",
	[LC_IN_TRANSIT] = "in_transit", [LC_DESTROYED] = "destroyed",
	[LC_ACTIVE] = "active", [LC_REVOKED] = "revoked",
};

enum subj { S_ASSET = 1, S_HOST = 2, S_TOKEN = 4, S_SYSTEM = 8, S_ANY = 15 };
enum kind { K_STR, K_INT, K_ARR, K_BOOL, K_OBJ, K_STR_INT, K_STR_BOOL, K_MEDIA, K_CHECKS };

struct field {
	const char *name;
	enum kind kind;
	int required;
};

#define B(s) (1u << (s))
#define KEEP (-1)
#define ANY_ASSET (B(LC_RECEIVED) | B(LC_DEPLOYED) | B(LC_REMOVED) | B(LC_RETIRED) | \
		   B(LC_SANITIZING) | B(LC_SANITIZED) | B(LC_CERTIFIED) | B(LC_IN_TRANSIT))

/* SPEC section 5: entry type, subject kind, states it may follow, state it leaves. */
struct rule {
	const char *type;
	unsigned subj;
	unsigned from;		/* bitmask of states; B(LC_NONE) = a new subject */
	int to;			/* KEEP: unchanged */
	int service_only;
	struct field fields[12];
};

static const struct rule rules[] = {
	{ "enrolled", S_ASSET, B(LC_NONE), LC_RECEIVED, 0, {
		{ "serial", K_STR, 1 }, { "model", K_STR, 1 }, { "media_type", K_MEDIA, 1 },
		{ "capacity_bytes", K_INT, 1 }, { "tenant", K_STR, 1 }, { "wwn", K_STR, 0 },
		{ "vendor", K_STR, 0 }, { "property_number", K_STR, 0 },
		{ "classification", K_STR, 0 }, { "source", K_STR, 0 },
		{ "data_backed_up", K_STR_BOOL, 0 } } },
	{ "deployed", S_ASSET, B(LC_RECEIVED) | B(LC_REMOVED) | B(LC_SANITIZED), LC_DEPLOYED, 0, {
		{ "host", K_STR, 1 }, { "slot", K_STR_INT, 0 }, { "site", K_STR, 0 } } },
	{ "removed", S_ASSET, B(LC_DEPLOYED), LC_REMOVED, 0, { { "reason", K_STR, 0 } } },
	{ "retired", S_ASSET, B(LC_RECEIVED) | B(LC_REMOVED), LC_RETIRED, 0, { { "reason", K_STR, 0 } } },
	{ "sanitize_started", S_ASSET, B(LC_RETIRED), LC_SANITIZING, 1, { { NULL, 0, 0 } } },
	{ "sanitize_completed", S_ASSET, B(LC_SANITIZING), LC_SANITIZED, 1, { { NULL, 0, 0 } } },
	{ "sanitize_failed", S_ASSET, B(LC_SANITIZING), LC_RETIRED, 1, { { "reason", K_STR, 0 } } },
	{ "certificate_issued", S_ASSET, B(LC_SANITIZED), LC_CERTIFIED, 1, { { NULL, 0, 0 } } },
	{ "shipped", S_ASSET, B(LC_CERTIFIED), LC_IN_TRANSIT, 0, {
		{ "carrier", K_STR, 1 }, { "seal", K_STR, 0 }, { "tracking", K_STR, 0 } } },
	{ "destroyed", S_ASSET, B(LC_CERTIFIED) | B(LC_IN_TRANSIT), LC_DESTROYED, 0, {
		{ "facility", K_STR, 1 }, { "method", K_STR, 1 }, { "witness", K_STR, 0 },
		{ "particle_size_mm", K_INT, 0 }, { "vendor_certificate", K_STR, 0 } } },
	{ "patch_audit", S_ASSET, ANY_ASSET, KEEP, 0, {
		{ "host", K_STR, 1 }, { "checks", K_CHECKS, 1 }, { "scanner", K_STR, 0 } } },
	{ "custody_transfer", S_ASSET, ANY_ASSET, KEEP, 0, {
		{ "from", K_STR, 1 }, { "to", K_STR, 1 }, { "location", K_STR, 0 },
		{ "seal", K_STR, 0 } } },
	/* a note may be written about anything, even before it exists elsewhere */
	{ "note", S_ANY, ~0u, KEEP, 0, { { NULL, 0, 0 } } },
	{ "host_audit", S_HOST, B(LC_NONE) | B(LC_ACTIVE), LC_ACTIVE, 0, {
		{ "host", K_STR, 1 }, { "checks", K_CHECKS, 1 }, { "scanner", K_STR, 0 } } },
	{ "token_created", S_TOKEN, B(LC_NONE), LC_ACTIVE, 1, {
		{ "role", K_STR, 1 }, { "name", K_STR, 0 }, { "tenant", K_STR, 0 } } },
	{ "token_revoked", S_TOKEN, B(LC_ACTIVE), LC_REVOKED, 1, { { NULL, 0, 0 } } },
	{ "key_created", S_SYSTEM, B(LC_NONE) | B(LC_ACTIVE), LC_ACTIVE, 1, {
		{ "public_key", K_STR, 1 }, { "origin", K_STR, 1 } } },
};

static const char *const media_types[] = { "hdd", "ssd", "nvme", "usb", "tape", "other" };
static const char *const check_status[] = { "patched", "vulnerable", "not_applicable" };

const char *lifecycle_state_name(int state)
{
	if (state < 0 || state >= LC_STATE_COUNT)
		return "";
	return state_names[state];
}

int lifecycle_state_parse(const char *name)
{
	for (int i = 1; i < LC_STATE_COUNT; i++)
		if (!strcmp(name, state_names[i]))
			return i;
	return -EINVAL;
}

static const struct rule *rule_find(const char *type)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (!strcmp(rules[i].type, type))
			return &rules[i];
	return NULL;
}

int lifecycle_type_known(const char *type)
{
	return rule_find(type) != NULL;
}

int lifecycle_type_service_only(const char *type)
{
	const struct rule *r = rule_find(type);

	return r && r->service_only;
}

static int id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == ':'))
			return 0;
	}
	return 1;
}

static unsigned subject_kind(const char *subject)
{
	if (!strcmp(subject, "system"))
		return S_SYSTEM;
	if (!strncmp(subject, "asset:", 6))
		return id_valid(subject + 6) ? S_ASSET : 0;
	if (!strncmp(subject, "host:", 5))
		return id_valid(subject + 5) ? S_HOST : 0;
	if (!strncmp(subject, "token:", 6))
		return id_valid(subject + 6) ? S_TOKEN : 0;
	return 0;
}

int lifecycle_subject_valid(const char *subject)
{
	return subject_kind(subject) != 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int check_checks(const json_t *v, char *msg, size_t msglen)
{
	size_t i;
	json_t *c;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		snprintf(msg, msglen, "checks must be a non-empty array");
		return -EINVAL;
	}
	json_array_foreach(v, i, c) {
		json_t *id = json_object_get(c, "id"), *st = json_object_get(c, "status");
		if (!json_is_object(c) || !json_is_string(id) || json_string_length(id) == 0) {
			snprintf(msg, msglen, "checks[%zu] must be an object with a string id", i);
			return -EINVAL;
		}
		if (!json_is_string(st) || !in_list(json_string_value(st), check_status, 3)) {
			snprintf(msg, msglen, "checks[%zu].status must be patched, vulnerable or not_applicable", i);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_field(const struct field *f, const json_t *v, char *msg, size_t msglen)
{
	static const char *const want[] = {
		[K_STR] = "a non-empty string", [K_INT] = "a non-negative integer",
		[K_ARR] = "an array", [K_BOOL] = "a boolean", [K_OBJ] = "an object",
		[K_STR_INT] = "a string or an integer", [K_STR_BOOL] = "a string or a boolean",
		[K_MEDIA] = "one of hdd, ssd, nvme, usb, tape, other", [K_CHECKS] = "",
	};
	int ok;

	switch (f->kind) {
	case K_STR: ok = json_is_string(v) && json_string_length(v) > 0; break;
	case K_INT: ok = json_is_integer(v) && json_integer_value(v) >= 0; break;
	case K_ARR: ok = json_is_array(v); break;
	case K_BOOL: ok = json_is_boolean(v); break;
	case K_OBJ: ok = json_is_object(v); break;
	case K_STR_INT: ok = (json_is_string(v) && json_string_length(v) > 0) || json_is_integer(v); break;
	case K_STR_BOOL: ok = json_is_string(v) || json_is_boolean(v); break;
	case K_MEDIA: ok = json_is_string(v) && in_list(json_string_value(v), media_types, 6); break;
	case K_CHECKS: return check_checks(v, msg, msglen);
	default: ok = 0;
	}
	if (!ok) {
		snprintf(msg, msglen, "data.%s must be %s", f->name, want[f->kind]);
		return -EINVAL;
	}
	return 0;
}

int lifecycle_check(const char *subject, const char *type, const json_t *data, int cur,
		    int *next, char *msg, size_t msglen)
{
	const struct rule *r = rule_find(type);
	unsigned kind = subject_kind(subject);
	int rc;

	if (!r) {
		snprintf(msg, msglen, "unknown entry type '%s'", type);
		return -EINVAL;
	}
	if (!kind) {
		snprintf(msg, msglen, "invalid subject '%s' (want asset:ID, host:NAME, token:ID or system)",
			 subject);
		return -EINVAL;
	}
	if (!(r->subj & kind)) {
		snprintf(msg, msglen, "entry type %s does not apply to subject %s", type, subject);
		return -EINVAL;
	}
	if (!json_is_object(data)) {
		snprintf(msg, msglen, "data must be a JSON object");
		return -EINVAL;
	}
	for (const struct field *f = r->fields; f < r->fields + 12 && f->name; f++) {
		json_t *v = json_object_get(data, f->name);
		if (!v) {
			if (f->required) {
				snprintf(msg, msglen, "data.%s is required for %s", f->name, type);
				return -EINVAL;
			}
			continue;
		}
		rc = check_field(f, v, msg, msglen);
		if (rc < 0)
			return rc;
	}
	if (kind == S_HOST && json_is_string(json_object_get(data, "host")) &&
	    strcmp(json_string_value(json_object_get(data, "host")), subject + 5)) {
		snprintf(msg, msglen, "data.host must name the subject's host");
		return -EINVAL;
	}
	if (cur < 0 || cur >= LC_STATE_COUNT || !(r->from & B(cur))) {
		if (cur == LC_NONE)
			snprintf(msg, msglen, "cannot record %s: %s does not exist", type, subject);
		else if (r->from == B(LC_NONE))
			snprintf(msg, msglen, "cannot record %s: %s exists already", type, subject);
		else
			snprintf(msg, msglen, "cannot record %s: %s is %s", type, subject,
				 lifecycle_state_name(cur));
		return -EPROTO;
	}
	/* a note about an asset that never existed would be an orphan */
	if (r->to == KEEP && kind == S_ASSET && cur == LC_NONE) {
		snprintf(msg, msglen, "cannot record %s: %s does not exist", type, subject);
		return -EPROTO;
	}
	*next = r->to == KEEP ? (cur == LC_NONE && kind != S_ASSET ? LC_ACTIVE : cur) : r->to;
	return 0;
}
