/*
 * wiprec — how a wipe is written into the ledger, shared by the daemon's
 * jobs and the standalone `sanitizerd wipe`, so both record the same thing:
 * sanitize_started, then sanitize_completed (with method, NIST category,
 * passes, bytes, duration, verification, tool, device) or sanitize_failed.
 */
#ifndef SZ_WIPREC_H
#define SZ_WIPREC_H
#include <stddef.h>
#include <jansson.h>

struct ledger;
struct sanitize_result;
struct blkdev_info;

/*
 * sanitize_completed's data, from the unified result of either engine
 * (drivers/sanitize.h); a purge adds "purge" {command, confirmed,
 * confirmation, sentinels, readback}, an overwrite of an ATA disk
 * "hidden_sectors".  A new reference or NULL (ENOMEM).
 */
json_t *wiprec_completed(const char *job_id, const struct sanitize_result *r, const struct blkdev_info *dev,
			 const char *media_type);
/*
 * sanitize_failed's data: reason is interrupted, cancelled,
 * verification_failed or failed; a refusal's name and, for a purge,
 * whether the command reached the drive.  A new reference or NULL.
 */
json_t *wiprec_failed(const char *job_id, const char *reason, const struct sanitize_result *r);
/*
 * The enrolled asset a device is, by its identity (SPEC section 7): the
 * asset whose enrolled serial equals identity or wwn and that is not
 * destroyed.  0 with id (and media_type) filled, -ENOENT if none.
 */
int wiprec_find_asset(struct ledger *l, const char *identity, const char *wwn, char *id, size_t idlen,
		      char *media_type, size_t mtlen);

#endif
