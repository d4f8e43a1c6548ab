/*
 * The NIST SP 800-88 Rev. 2 category table: every SPEC section 8 method on
 * every media type, each cell asserted (category or refusal, technique,
 * the clause it cites, whether a text we read confirms it), the cells issue
 * 10 corrected asserted once more by name, and the table's own shape: one
 * row per cell, every reference citing Rev. 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/nist.h"
#include "tests/unit/tap.h"

/* X: no row (refused); N: a row without a category (no Clear, no Purge) */
#define X NULL, NULL, NULL, -1
#define N(tech, ref, ok) "none", tech, ref, ok

struct cell {
	const char *method, *media, *category, *technique, *ref;
	int confirmed;
};

static const struct cell cells[] = {
	{ "clear-zero", "hdd", "clear", "Overwrite", "Table A-5", 1 },
	{ "clear-zero", "ssd", "clear", "Overwrite", "Table A-8", 1 },
	{ "clear-zero", "nvme", "clear", "Overwrite", "Table A-8", 1 },
	{ "clear-zero", "usb", N("Overwrite", "USB removable media", 1) },
	{ "clear-zero", "tape", "clear", "Overwrite", "magnetic tape", 0 },
	{ "clear-zero", "other", "clear", "Overwrite", "3.1.1", 0 },
	{ "clear-random", "hdd", "clear", "Overwrite", "Table A-5", 1 },
	{ "clear-random", "ssd", "clear", "Overwrite", "Table A-8", 1 },
	{ "clear-random", "nvme", "clear", "Overwrite", "Table A-8", 1 },
	{ "clear-random", "usb", N("Overwrite", "USB removable media", 1) },
	{ "clear-random", "tape", "clear", "Overwrite", "magnetic tape", 0 },
	{ "clear-random", "other", "clear", "Overwrite", "3.1.1", 0 },
	{ "dod-3pass", "hdd", "clear", "Overwrite", "Table A-5", 1 },
	{ "dod-3pass", "ssd", "clear", "Overwrite", "Table A-8", 1 },
	{ "dod-3pass", "nvme", "clear", "Overwrite", "Table A-8", 1 },
	{ "dod-3pass", "usb", "clear", "Overwrite", "USB removable media", 1 },
	{ "dod-3pass", "tape", "clear", "Overwrite", "magnetic tape", 0 },
	{ "dod-3pass", "other", "clear", "Overwrite", "3.1.1", 0 },
	{ "luks-crypto-erase", "hdd", "purge", "Crypto Erase", "3.2.1-3.2.4", 1 },
	{ "luks-crypto-erase", "ssd", "clear", "Crypto Erase", "3.2", 0 },
	{ "luks-crypto-erase", "nvme", "clear", "Crypto Erase", "3.2", 0 },
	{ "luks-crypto-erase", "usb", "clear", "Crypto Erase", "3.2", 0 },
	{ "luks-crypto-erase", "tape", X },
	{ "luks-crypto-erase", "other", "clear", "Crypto Erase", "3.2", 0 },
	{ "nvme-sanitize-crypto", "hdd", "purge", "Crypto Erase", "IEEE 2883", 0 },
	{ "nvme-sanitize-crypto", "ssd", "purge", "Crypto Erase", "IEEE 2883", 0 },
	{ "nvme-sanitize-crypto", "nvme", "purge", "Crypto Erase", "IEEE 2883", 0 },
	{ "nvme-sanitize-crypto", "usb", X },
	{ "nvme-sanitize-crypto", "tape", X },
	{ "nvme-sanitize-crypto", "other", "purge", "Crypto Erase", "3.1.2", 0 },
	{ "nvme-sanitize-block", "hdd", X },
	{ "nvme-sanitize-block", "ssd", "purge", "Block Erase", "IEEE 2883", 0 },
	{ "nvme-sanitize-block", "nvme", "purge", "Block Erase", "IEEE 2883", 0 },
	{ "nvme-sanitize-block", "usb", X },
	{ "nvme-sanitize-block", "tape", X },
	{ "nvme-sanitize-block", "other", "purge", "Block Erase", "3.1.2", 0 },
	{ "nvme-sanitize-overwrite", "hdd", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "nvme-sanitize-overwrite", "ssd", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "nvme-sanitize-overwrite", "nvme", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "nvme-sanitize-overwrite", "usb", X },
	{ "nvme-sanitize-overwrite", "tape", X },
	{ "nvme-sanitize-overwrite", "other", "purge", "Overwrite", "3.1.2", 0 },
	{ "nvme-format-crypto", "hdd", "purge", "Crypto Erase", "3.2", 0 },
	{ "nvme-format-crypto", "ssd", "purge", "Crypto Erase", "Table A-8 (NVMe SSD)", 1 },
	{ "nvme-format-crypto", "nvme", "purge", "Crypto Erase", "Table A-8 (NVMe SSD)", 1 },
	{ "nvme-format-crypto", "usb", X },
	{ "nvme-format-crypto", "tape", X },
	{ "nvme-format-crypto", "other", "purge", "Crypto Erase", "3.2", 0 },
	{ "nvme-format-user", "hdd", "purge", "User Data Erase", "IEEE 2883", 0 },
	{ "nvme-format-user", "ssd", "purge", "User Data Erase", "Table A-8 (NVMe SSD)", 1 },
	{ "nvme-format-user", "nvme", "purge", "User Data Erase", "Table A-8 (NVMe SSD)", 1 },
	{ "nvme-format-user", "usb", X },
	{ "nvme-format-user", "tape", X },
	{ "nvme-format-user", "other", "purge", "User Data Erase", "3.1.2", 0 },
	{ "ata-sanitize-crypto", "hdd", "purge", "Crypto Erase", "Table A-5 (ATA HDD), Purge 1b", 1 },
	{ "ata-sanitize-crypto", "ssd", "purge", "Crypto Erase", "Table A-8 (ATA SSD), Purge 1b", 1 },
	{ "ata-sanitize-crypto", "nvme", "purge", "Crypto Erase", "Table A-8 (ATA SSD), Purge 1b", 1 },
	{ "ata-sanitize-crypto", "usb", "purge", "Crypto Erase", "USB removable media", 0 },
	{ "ata-sanitize-crypto", "tape", X },
	{ "ata-sanitize-crypto", "other", "purge", "Crypto Erase", "3.1.2", 0 },
	{ "ata-sanitize-block", "hdd", X },
	{ "ata-sanitize-block", "ssd", "purge", "Block Erase", "Table A-8 (ATA SSD), Purge 1a", 1 },
	{ "ata-sanitize-block", "nvme", "purge", "Block Erase", "Table A-8 (ATA SSD), Purge 1a", 1 },
	{ "ata-sanitize-block", "usb", "purge", "Block Erase", "USB removable media", 0 },
	{ "ata-sanitize-block", "tape", X },
	{ "ata-sanitize-block", "other", "purge", "Block Erase", "3.1.2", 0 },
	{ "ata-sanitize-overwrite", "hdd", "purge", "Overwrite", "Table A-5 (ATA HDD), Purge 1a", 1 },
	{ "ata-sanitize-overwrite", "ssd", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "ata-sanitize-overwrite", "nvme", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "ata-sanitize-overwrite", "usb", "purge", "Overwrite", "USB removable media", 0 },
	{ "ata-sanitize-overwrite", "tape", X },
	{ "ata-sanitize-overwrite", "other", "purge", "Overwrite", "3.1.2", 0 },
	{ "ata-secure-erase", "hdd", "clear", "Overwrite", "Purge 2 names Enhanced Erase mode only", 1 },
	{ "ata-secure-erase", "ssd", "clear", "Overwrite", "Table A-8 (ATA SSD), Clear 2", 1 },
	{ "ata-secure-erase", "nvme", "clear", "Overwrite", "Table A-8 (ATA SSD), Clear 2", 1 },
	{ "ata-secure-erase", "usb", N("Overwrite", "USB removable media", 0) },
	{ "ata-secure-erase", "tape", X },
	{ "ata-secure-erase", "other", "clear", "Overwrite", "Table A-8 (ATA SSD)", 0 },
	{ "ata-secure-erase-enhanced", "hdd", "purge", "Overwrite", "Purge 2 (SECURITY ERASE UNIT, Enhanced", 1 },
	{ "ata-secure-erase-enhanced", "ssd", "clear", "Overwrite", "Table A-8 (ATA SSD), Clear 2", 1 },
	{ "ata-secure-erase-enhanced", "nvme", "clear", "Overwrite", "Table A-8 (ATA SSD), Clear 2", 1 },
	{ "ata-secure-erase-enhanced", "usb", N("Overwrite", "USB removable media", 0) },
	{ "ata-secure-erase-enhanced", "tape", X },
	{ "ata-secure-erase-enhanced", "other", "clear", "Overwrite", "Table A-8 (ATA SSD)", 0 },
	{ "scsi-sanitize-crypto", "hdd", "purge", "Crypto Erase", "IEEE 2883", 0 },
	{ "scsi-sanitize-crypto", "ssd", "purge", "Crypto Erase", "Table A-8 (SCSI SSD)", 1 },
	{ "scsi-sanitize-crypto", "nvme", "purge", "Crypto Erase", "Table A-8 (SCSI SSD)", 1 },
	{ "scsi-sanitize-crypto", "usb", "purge", "Crypto Erase", "USB removable media", 0 },
	{ "scsi-sanitize-crypto", "tape", X },
	{ "scsi-sanitize-crypto", "other", "purge", "Crypto Erase", "3.1.2", 0 },
	{ "scsi-sanitize-block", "hdd", X },
	{ "scsi-sanitize-block", "ssd", "purge", "Block Erase", "Table A-8 (SCSI SSD)", 1 },
	{ "scsi-sanitize-block", "nvme", "purge", "Block Erase", "Table A-8 (SCSI SSD)", 1 },
	{ "scsi-sanitize-block", "usb", "purge", "Block Erase", "USB removable media", 0 },
	{ "scsi-sanitize-block", "tape", X },
	{ "scsi-sanitize-block", "other", "purge", "Block Erase", "3.1.2", 0 },
	{ "scsi-sanitize-overwrite", "hdd", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "scsi-sanitize-overwrite", "ssd", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "scsi-sanitize-overwrite", "nvme", "purge", "Overwrite", "IEEE 2883", 0 },
	{ "scsi-sanitize-overwrite", "usb", "purge", "Overwrite", "USB removable media", 0 },
	{ "scsi-sanitize-overwrite", "tape", X },
	{ "scsi-sanitize-overwrite", "other", "purge", "Overwrite", "3.1.2", 0 },
};

static const char *const spec_methods[] = {
	"clear-zero", "clear-random", "dod-3pass", "luks-crypto-erase", "nvme-sanitize-crypto",
	"nvme-sanitize-block", "nvme-sanitize-overwrite", "nvme-format-crypto", "nvme-format-user",
	"ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite", "ata-secure-erase",
	"ata-secure-erase-enhanced", "scsi-sanitize-crypto", "scsi-sanitize-block", "scsi-sanitize-overwrite",
};
static const char *const media[] = { "hdd", "ssd", "nvme", "usb", "tape", "other" };
#define NMETHODS (sizeof(spec_methods) / sizeof(spec_methods[0]))
#define NMEDIA (sizeof(media) / sizeof(media[0]))

static void check_cell(const struct cell *w)
{
	const struct nist_row *r = NULL;
	const char *cat = NULL, *tech = NULL, *ref = NULL;
	int lrc = nist_lookup(w->method, w->media, &r);
	int crc = nist_category(w->method, w->media, &cat, &tech, &ref);

	if (!w->category) {
		CHECK(lrc == -EINVAL && crc == -EINVAL, "%s on %s: refused (no row)", w->method, w->media);
		return;
	}
	if (!strcmp(w->category, "none")) {
		CHECK(lrc == 0 && r && !r->category && crc == -EINVAL, "%s on %s: no category, so no certificate",
		      w->method, w->media);
	} else {
		CHECK(crc == 0 && cat && !strcmp(cat, w->category) && tech && !strcmp(tech, w->technique),
		      "%s on %s: %s / %s", w->method, w->media, w->category, w->technique);
		CHECK(ref && ref == r->reference, "%s on %s: nist_category gives the row's reference", w->method,
		      w->media);
	}
	if (lrc < 0 || !r)
		return;
	CHECK(r->technique && !strcmp(r->technique, w->technique), "%s on %s: technique %s", w->method, w->media,
	      w->technique);
	CHECK(strstr(r->reference, w->ref) != NULL, "%s on %s: cites \"%s\"", w->method, w->media, w->ref);
	CHECK(strstr(r->standard, "NIST SP 800-88 Rev. 2") == r->standard && strstr(r->reference, r->clause),
	      "%s on %s: the reference opens with Rev. 2 and holds the clause", w->method, w->media);
	CHECK_EQ_INT(r->confirmed, w->confirmed, "%s on %s: %s", w->method, w->media,
		     w->confirmed ? "confirmed" : "unconfirmed");
	CHECK(r->confirmed || strstr(r->basis, "unconfirmed: ") == r->basis,
	      "%s on %s: an unconfirmed row says so in its words", w->method, w->media);
}

/* The README's line for a row, as the "NIST SP 800-88 category" section prints it. */
static void readme_line(const struct nist_row *r, char *buf, size_t cap)
{
	char m[64] = "";

	snprintf(m, sizeof(m), "%s%s%s%s%s", r->media & NIST_M_HDD ? "hdd, " : "",
		 r->media & NIST_M_FLASH ? "ssd, nvme, " : "", r->media & NIST_M_USB ? "usb, " : "",
		 r->media & NIST_M_OTHER ? "other, " : "", r->media & NIST_M_TAPE ? "tape, " : "");
	if (strlen(m) >= 2)
		m[strlen(m) - 2] = 0;
	snprintf(buf, cap, "| `%s` | %s | %s | %s | %s | %s |\n", r->method, m,
		 r->category ? nist_category_title(r->category) : "none (refused)", r->technique, r->clause,
		 r->confirmed ? "yes" : "no");
}

/* README.md, read from the working directory (tests/run.sh runs from the top), or NULL */
static char *readme(void)
{
	FILE *f = fopen("README.md", "rb");
	char *s = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1 << 22) && fseek(f, 0, SEEK_SET) == 0 &&
	    (s = calloc(1, (size_t)n + 1)) && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

int main(void)
{
	const char *cat, *tech, *ref;
	const struct nist_row *rows, *r;
	unsigned n;

	/* every cell of the method x media grid is in the expectations, once */
	CHECK_EQ_INT(sizeof(cells) / sizeof(cells[0]), NMETHODS * NMEDIA, "%zu methods x %zu media", NMETHODS,
		     NMEDIA);
	for (size_t i = 0; i < NMETHODS; i++)
		for (size_t j = 0; j < NMEDIA; j++) {
			int found = 0;
			for (size_t k = 0; k < sizeof(cells) / sizeof(cells[0]); k++)
				found += !strcmp(cells[k].method, spec_methods[i]) && !strcmp(cells[k].media, media[j]);
			CHECK_EQ_INT(found, 1, "cell %s / %s expected once", spec_methods[i], media[j]);
		}
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		check_cell(&cells[i]);

	/* the table: no two rows claim one cell, every row names a SPEC method */
	rows = nist_rows(&n);
	for (unsigned i = 0; i < n; i++) {
		int bad = 0;
		for (unsigned k = i + 1; k < n; k++)
			bad |= !strcmp(rows[i].method, rows[k].method) && (rows[i].media & rows[k].media);
		CHECK(!bad, "row %u (%s) overlaps no other row", i, rows[i].method);
		CHECK(nist_method_known(rows[i].method), "row %u names a known method", i);
	}

	/* every clause names the revision it cites; the README shows every row as the code has it */
	{
		char *doc = readme(), line[512];
		for (unsigned i = 0; i < n; i++) {
			CHECK(!strncmp(rows[i].clause, "Rev. 2 ", 7), "row %u (%s): its clause opens with Rev. 2 (%s)", i,
			      rows[i].method, rows[i].clause);
			readme_line(&rows[i], line, sizeof(line));
			if (doc)
				CHECK(strstr(doc, line) != NULL, "README.md has the row: %.*s", (int)strlen(line) - 1, line);
		}
		if (!doc)
			printf("ok %d # skip README.md not found from here\n", ++tap_n);
		free(doc);
	}

	/* the corrections of issue 10, by name */
	r = NULL;
	CHECK(nist_lookup("ata-secure-erase", "hdd", &r) == 0 && r && !strcmp(r->category, "clear"),
	      "ATA normal secure erase on a hard disk is Clear, not Purge (Rev. 1 Table A-5 Purge 2: Enhanced only)");
	CHECK(nist_lookup("ata-secure-erase-enhanced", "hdd", &r) == 0 && !strcmp(r->category, "purge"),
	      "the enhanced erase on a hard disk stays Purge");
	tech = NULL;
	nist_category("nvme-format-user", "nvme", NULL, &tech, NULL);
	CHECK(tech && !strcmp(tech, "User Data Erase"), "Format NVM SES 001b is User Data Erase, not Block Erase");
	CHECK(nist_lookup("nvme-sanitize-block", "nvme", &r) == 0 && strstr(r->standard, "IEEE 2883-2022") &&
	      !strstr(r->reference, "Table A-8") && !r->confirmed,
	      "NVMe Sanitize rests on Rev. 2 and IEEE 2883, not on Rev. 1 Table A-8, and says it is unconfirmed");
	for (size_t i = 0; i < 3; i++) {
		CHECK(nist_lookup(spec_methods[i], "usb", &r) == 0 && r, "%s on usb has a row", spec_methods[i]);
		CHECK((i == 2) == (r->category != NULL), "%s on usb flash: %s", spec_methods[i],
		      i == 2 ? "Clear (zeros, then the complement)" : "no Clear without the complement pass");
	}
	/* no overwrite of any kind is Purge on flash through the host */
	for (size_t i = 0; i < 3; i++) {
		cat = NULL;
		nist_category(spec_methods[i], "ssd", &cat, NULL, NULL);
		CHECK(cat && !strcmp(cat, "clear"), "host overwrite %s is never Purge on flash", spec_methods[i]);
	}

	CHECK_EQ_INT(nist_category("shred", "hdd", &cat, &tech, &ref), -EINVAL, "unknown method: refused");
	CHECK_EQ_INT(nist_category("", "hdd", &cat, &tech, &ref), -EINVAL, "empty method: refused");
	CHECK_EQ_INT(nist_category(NULL, "hdd", &cat, &tech, &ref), -EINVAL, "no method: refused");
	CHECK_EQ_INT(nist_category("clear-zero", "floppy", &cat, &tech, &ref), -EINVAL, "unknown media: refused");
	CHECK_EQ_INT(nist_category("clear-zero", NULL, &cat, &tech, &ref), -EINVAL, "no media: refused");
	CHECK_EQ_INT(nist_category("CLEAR-ZERO", "hdd", &cat, &tech, &ref), -EINVAL, "names are exact");
	CHECK_EQ_INT(nist_category("clear-zero", "HDD", &cat, &tech, &ref), -EINVAL, "media names are exact");
	CHECK_EQ_INT(nist_lookup("shred", "hdd", &r), -EINVAL, "lookup: unknown method refused");
	CHECK_EQ_INT(nist_lookup("clear-zero", "flash", &r), -EINVAL, "lookup: unknown media refused");
	CHECK(!nist_method_known("shred") && !nist_method_known(NULL), "unknown methods are unknown");
	for (size_t i = 0; i < NMETHODS; i++)
		CHECK(nist_method_known(spec_methods[i]), "SPEC method %s is in the table", spec_methods[i]);
	CHECK_STR(nist_category_title("clear"), "Clear", "record wording: Clear");
	CHECK_STR(nist_category_title("purge"), "Purge", "record wording: Purge");
	CHECK_STR(nist_category_title("destroy"), "", "no title for anything else");
	CHECK_STR(nist_category_title(NULL), "", "nor for none");
	return tap_done();
}
