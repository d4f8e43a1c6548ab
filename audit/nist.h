/*
 * nist — the NIST SP 800-88 Rev. 1 category of a sanitization, derived from
 * the method (SPEC section 8's names) and the enrolled media type, never
 * chosen by a caller.  The table in nist.c cites the clause behind every row
 * (Appendix A tables, section 2.6 for cryptographic erase, IEEE 2883-2022 for
 * the device sanitize commands); the README reproduces it.
 *
 * Where the standard gives a technique only the weaker category on some
 * media, the weaker one is what we report: an overwrite is Clear on every
 * medium, and on flash it stays Clear because remapped and over-provisioned
 * cells are beyond the host's reach (Table A-8).
 */
#ifndef SZ_NIST_H
#define SZ_NIST_H

/*
 * The category of method on media_type (hdd, ssd, nvme, usb, tape, other).
 * On success *category is "clear" or "purge", *technique "Overwrite",
 * "Block Erase" or "Crypto Erase", *reference the clauses behind it; all are
 * static strings (any pointer may be NULL).  -EINVAL for an unknown method
 * or media type, or a device command that no tape drive has.
 */
int nist_category(const char *method, const char *media_type, const char **category,
		  const char **technique, const char **reference);
/* 1 if method is one of SPEC section 8's names, else 0. */
int nist_method_known(const char *method);
/* "Clear" / "Purge" as Appendix G writes the method type; "" for anything else. */
const char *nist_category_title(const char *category);

#endif
