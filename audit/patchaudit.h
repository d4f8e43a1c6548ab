/*
 * patchaudit — record a host's patch audit (SPEC section 9) as one
 * host_audit ledger entry on subject "host:NAME", linked to every asset
 * deployed on that host when it is recorded.
 *
 * The API's POST /v1/hosts/{name}/patch-audits and `sanitizerd audit-host`
 * both come here: the API parses the request body with jansson, checks the
 * role, and passes the body and the {name} of the path as they are; the
 * validation below is the whole of it.
 *
 * Body (all strings valid UTF-8; the caps are in the defines below):
 *   {"scanner":"sanitizerd-audit-host/0.1.0",   required, 1..128 bytes, no control characters
 *    "time":"2014-09-25T10:00:00Z",              optional, RFC 3339 (date-time, 'T' and 'Z' upper
 *                                                case, offset or Z): when the scanner ran, by its clock
 *    "checks":[{"id":"CVE-2014-6271",            required, 1..256 checks, ids unique; an id is
 *               "status":"patched",              CVE-YYYY-NNNN[N…] or a short name [A-Za-z0-9._:-]{1,64}
 *               "evidence":"…"}],                starting with a letter or digit; status patched |
 *                                                vulnerable | not_applicable; evidence optional,
 *                                                up to 1024 bytes, no control characters but \t \n
 *    …}
 * Other members of a check are refused (the shape is ours).  Other top-level
 * members are kept in the entry as given, as SPEC section 5 keeps a client's
 * custom fields (at most 32 of them; names 1..64 bytes), except "host"
 * (taken from the URL) and "assets" (computed here), which are refused.
 *
 * The entry's data is the body plus "host":NAME and "assets":["ID",…]: the
 * asset ids (without "asset:"), sorted, whose current state is deployed and
 * whose latest `deployed` entry names exactly this host.  The entry's own
 * time is the ledger's clock at recording; the exposure report orders audits
 * by ledger seq, never by the scanner's "time", which it only shows.
 */
#ifndef SZ_PATCHAUDIT_H
#define SZ_PATCHAUDIT_H
#include <stddef.h>
#include <jansson.h>

struct ledger;

#define PATCH_AUDIT_HOST_MAX 128	/* the ledger's subject NAME limit */
#define PATCH_AUDIT_CHECKS_MAX 256
#define PATCH_AUDIT_ID_MAX 64
#define PATCH_AUDIT_SCANNER_MAX 128
#define PATCH_AUDIT_EVIDENCE_MAX 1024
#define PATCH_AUDIT_EXTRA_MAX 32	/* custom top-level members */
#define PATCH_AUDIT_ASSETS_MAX 1024	/* assets linked to one audit */

/*
 * 1 if host is a valid host name for a patch audit: 1..PATCH_AUDIT_HOST_MAX
 * bytes of [A-Za-z0-9.-], starting and ending with a letter or digit, no
 * "..".  Names are compared exactly (no case folding), as the `deployed`
 * entries name them.  Cannot fail.  The API may use it on the path first.
 */
int patch_audit_host_valid(const char *host);

/*
 * Validate a body without touching a ledger.  0, or -EINVAL with a message
 * in err naming the first fault ("checks[2].status must be patched,
 * vulnerable or not_applicable").
 */
int patch_audit_validate(const char *host, const json_t *body, char *err, size_t errlen);

/*
 * The ids (without "asset:") of the assets deployed on host now, sorted, as
 * a new array in *out (caller decrefs).  -E2BIG past PATCH_AUDIT_ASSETS_MAX,
 * other -errno on a storage error, with a message in err.
 */
int patch_audit_hosted_assets(struct ledger *l, const char *host, json_t **out, char *err, size_t errlen);

/*
 * Validate body (as patch_audit_validate) and append one host_audit entry to
 * "host:NAME", in one transaction with the query of the deployed assets, so
 * no deployment can slip between them: the caller's open batch if there is
 * one (ledger_begin; the API's writer groups appends so: the caller then
 * commits, and a storage failure rolls its whole batch back, as
 * ledger_append does), else a transaction of its own, committed here.  actor NULL means "local".  body is
 * not consumed.  On success returns 0 and, when entry_out is not NULL, the
 * appended entry as a JSON object {"v","seq","time","subject","type",
 * "actor","data"} (new reference, caller decrefs; ledger_entry_json(l, seq)
 * gives the {seq, entry, leaf_hash} form).  Errors, each with a message in
 * err, nothing written: -EINVAL bad host or body (the API's 400), -E2BIG
 * more deployed assets than fit one entry, -EROFS a read-only ledger, other
 * -errno for storage failures (500).
 */
int patch_audit_record(struct ledger *l, const char *host, const json_t *body, const char *actor,
		       json_t **entry_out, char *err, size_t errlen);

#endif
