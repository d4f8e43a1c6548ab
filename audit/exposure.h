/*
 * exposure — was this drive ever on a vulnerable host, and for how long?
 * (SPEC section 9; the API serves it at GET /v1/assets/{id}/exposure.)
 *
 * Computed from the ledger alone, in ledger order (seq), which is what the
 * Merkle tree attests: a scanner's own "time" is shown, never trusted for
 * ordering.  For each deployment interval of the asset (its `deployed`
 * entry to the `removed` that ends it, or "now" while it is still deployed)
 * the host's host_audit entries are replayed: every audit before the interval
 * gives the state at its start (the latest audit that listed a check
 * decides that check), every audit inside it can change a check's status
 * from then on.  An audit that does not list a check leaves the check as it
 * was.  A check no audit had listed by some point is "unknown" there.  The
 * asset's own patch_audit entries that name the interval's host count as
 * audits too.  Within one audit that lists a check twice (possible only
 * through `ledger append`), vulnerable wins.
 *
 * The report (all "seq" integers, all "time" the ledger's RFC 3339 times):
 * {
 *   "asset_id": "d1", "state": "removed", "tenant": "acme",
 *   "ledger_size": 42,                  the report covers seq 0 .. ledger_size-1
 *   "exposed": true,                    some check was vulnerable in some interval
 *   "unknown": false,                   some period of some interval was not covered
 *   "intervals": [{
 *     "host": "web1",
 *     "from": {"seq": 5, "time": "…"},                     the deployed entry
 *     "to": {"seq": 19, "time": "…", "type": "removed"},   or null: still deployed
 *     "baseline": AUDIT or null,        the host's last audit before "from"
 *     "audits": [AUDIT, …],             the audits inside the interval, by seq
 *     "covered": true,                  false when no audit (before or inside) says anything
 *     "checks": [{                      sorted by id: every id any of those audits listed
 *       "id": "CVE-2014-6271",
 *       "periods": [{                   consecutive, covering the whole interval
 *         "status": "unknown" | "vulnerable" | "patched" | "not_applicable",
 *         "from": {"seq","time"},       the interval start, or the audit that changed it
 *         "to": {"seq","time"} | null,  the next change or the interval end; null: now
 *         "audit": N | null}],          the audit that showed this status (null: unknown)
 *       "vulnerable": [{                the vulnerable periods again, as the auditor asks
 *         "from": {"seq","time"}, "to": {"seq","time"} | null,
 *         "since_audit": N,             the audit that showed it vulnerable
 *         "patched_by": N | null}]      the first later audit that showed it patched (or
 *     }]                                not_applicable); null: the interval ended first
 *   }]
 * }
 * AUDIT = {"seq": N, "time": "…", "subject": "host:web1" | "asset:d1",
 *          "type": "host_audit" | "patch_audit", "scanner": "…" (if given),
 *          "scanned_at": "…" (the body's time, if given),
 *          "checks": {"CVE-2014-6271": "patched", …}}
 */
#ifndef SZ_EXPOSURE_H
#define SZ_EXPOSURE_H
#include <jansson.h>

struct ledger;

#define EXPOSURE_INTERVALS_MAX 1024	/* deployments of one asset */
#define EXPOSURE_AUDITS_MAX 10000	/* audits of one host read for one interval */
#define EXPOSURE_CHECKS_MAX 1024	/* distinct check ids in one interval */

/*
 * The report above for asset_id (without "asset:") in *out (new reference,
 * caller decrefs).  Read-only: works on a LEDGER_RDONLY copy.  Returns 0;
 * -ENOENT if there is no such asset (including ids that could not name
 * one); -E2BIG past one of the caps above; -ENOMEM; -EIO or other -errno
 * when the ledger cannot be read (ledger_errmsg may say more).  *out is
 * NULL on error.
 */
int exposure_report(struct ledger *l, const char *asset_id, json_t **out);

#endif
