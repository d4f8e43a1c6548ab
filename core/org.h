/*
 * org — the organisation that issues certificates (its name, location and
 * phone, NIST SP 800-88 Rev. 2 4.6), chosen at `sanitizerd init` and kept in
 * the state directory as organization.json, so `serve` and `cert issue`
 * print it without repeating it on every command line (issue 15).  It is
 * configuration, not evidence: each certificate signs the values it had.
 */
#ifndef SZ_ORG_H
#define SZ_ORG_H
#include <stddef.h>

#define ORG_FILE "organization.json"
#define ORG_FIELD_MAX 200	/* bytes of one value: a line on the printed certificate */

struct sz_org {
	char *name, *location, *phone;	/* each NULL when not configured */
};

/*
 * A value fit for a certificate: 1 to ORG_FIELD_MAX bytes of UTF-8 with no
 * control characters.  1 when it is.
 */
int org_value_valid(const char *v);
/*
 * Read dir/organization.json into *o (fields strdup'ed; org_clear frees).
 * 0; -ENOENT when none is stored (o all NULL); -EINVAL with err set when
 * the file is not what org_store writes.
 */
int org_load(const char *dir, struct sz_org *o, char *err, size_t errlen);
/*
 * Write *o to dir/organization.json (mode 0600) through a temporary file
 * and rename(2), so a reader sees the old or the new one whole.  Fields
 * that are NULL are left out.  0 or -errno with err set.
 */
int org_store(const char *dir, const struct sz_org *o, char *err, size_t errlen);
/* Free the fields and set them NULL; org_clear(NULL) is a no-op. */
void org_clear(struct sz_org *o);

#endif
