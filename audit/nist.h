/*
 * nist — the NIST SP 800-88 Rev. 2 (September 2025) sanitization method
 * (Clear or Purge) of a sanitization, derived from the method (SPEC section
 * 8's names) and the enrolled media type, never chosen by a caller.
 *
 * Rev. 2 keeps Clear, Purge and Destroy (3.1) but no longer lists techniques
 * per medium: apart from cryptographic erase (3.2) it defers to IEEE 2883,
 * NSA specifications or an organisationally approved standard (3.1, 3.1.2,
 * 4.4).  IEEE 2883-2022 could not be read here, so each row says on what it
 * rests: Rev. 2's own clauses, and Rev. 1's withdrawn Appendix A tables used
 * as the organisationally approved standard where they name the technique.
 * A row whose category no text we read states is marked unconfirmed, and the
 * certificate carries that mark.  The README reproduces the table.
 *
 * Where the sources give a technique only the weaker category on a medium,
 * the weaker one is what we report; where they give it none (a single
 * overwrite pass of removable USB flash), there is no category and no
 * certificate.
 */
#ifndef SZ_NIST_H
#define SZ_NIST_H

/* One row of the table; all strings static. */
struct nist_row {
	const char *method;
	unsigned media;			/* NIST_M_* bits the row covers */
	const char *category;		/* "clear", "purge", or NULL: no category (refused) */
	const char *technique;		/* "Overwrite", "Block Erase", "Crypto Erase", "User Data Erase" */
	const char *standard;		/* the documents, e.g. "NIST SP 800-88 Rev. 2; Rev. 1 Table A-5" */
	const char *clause;		/* the clauses, e.g. "Rev. 2 3.1.2; Rev. 1 Table A-5 ATA HDD Purge 2" */
	const char *basis;		/* one sentence: why this category */
	const char *reference;		/* "<standard>, <clause>: <basis>" in one string */
	int confirmed;			/* 1: a text we read states it; 0: our reading only */
};

enum { NIST_M_HDD = 1, NIST_M_FLASH = 2, NIST_M_USB = 4, NIST_M_OTHER = 8, NIST_M_TAPE = 16 };

/*
 * The row for method on media_type (hdd, ssd, nvme, usb, tape, other).
 * 0 and *row set, also for a row without a category (the caller refuses and
 * can print row->basis); -EINVAL for an unknown method or media type, or a
 * combination no row covers (a block erase on a hard disk, a device command
 * on tape).
 */
int nist_lookup(const char *method, const char *media_type, const struct nist_row **row);

/*
 * The category of method on media_type.  On success *category is "clear" or
 * "purge", *technique the technique, *reference row->reference;
 * all static strings (any pointer may be NULL).  -EINVAL when nist_lookup
 * fails or the row has no category.
 */
int nist_category(const char *method, const char *media_type, const char **category,
		  const char **technique, const char **reference);
/* 1 if method is one of SPEC section 8's names, else 0. */
int nist_method_known(const char *method);
/* "Clear" / "Purge" as the Rev. 2 sanitization record writes the method; "" for anything else. */
const char *nist_category_title(const char *category);
/* The rows, for the README generator and the tests: *n receives the count. */
const struct nist_row *nist_rows(unsigned *n);

#endif
