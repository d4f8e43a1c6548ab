/*
 * The NIST SP 800-88 Rev. 1 category table: every SPEC section 8 method on
 * every media type it applies to, the weaker category where the standard
 * says so, and refusals for what no table covers.
 */
#include <errno.h>
#include <string.h>

#include "audit/nist.h"
#include "tests/unit/tap.h"

struct want {
	const char *method, *media, *category, *technique;
};

static const struct want table[] = {
	/* host overwrites: Clear everywhere (Tables) */
	{ "clear-zero", "hdd", "clear", "Overwrite" },
	{ "clear-zero", "ssd", "clear", "Overwrite" },
	{ "clear-zero", "nvme", "clear", "Overwrite" },
	{ "clear-zero", "usb", "clear", "Overwrite" },
	{ "clear-zero", "tape", "clear", "Overwrite" },
	{ "clear-zero", "other", "clear", "Overwrite" },
	{ "clear-random", "hdd", "clear", "Overwrite" },
	{ "clear-random", "nvme", "clear", "Overwrite" },
	{ "dod-3pass", "hdd", "clear", "Overwrite" },
	{ "dod-3pass", "ssd", "clear", "Overwrite" },
	/* LUKS crypto erase: Purge on disks, Clear on flash */
	{ "luks-crypto-erase", "hdd", "purge", "Crypto Erase" },
	{ "luks-crypto-erase", "ssd", "clear", "Crypto Erase" },
	{ "luks-crypto-erase", "nvme", "clear", "Crypto Erase" },
	/* device sanitize commands: Purge */
	{ "nvme-sanitize-crypto", "nvme", "purge", "Crypto Erase" },
	{ "nvme-format-crypto", "nvme", "purge", "Crypto Erase" },
	{ "ata-sanitize-crypto", "ssd", "purge", "Crypto Erase" },
	{ "ata-sanitize-crypto", "hdd", "purge", "Crypto Erase" },
	{ "scsi-sanitize-crypto", "hdd", "purge", "Crypto Erase" },
	{ "nvme-sanitize-block", "nvme", "purge", "Block Erase" },
	{ "ata-sanitize-block", "ssd", "purge", "Block Erase" },
	{ "scsi-sanitize-block", "ssd", "purge", "Block Erase" },
	{ "nvme-sanitize-overwrite", "nvme", "purge", "Overwrite" },
	{ "ata-sanitize-overwrite", "hdd", "purge", "Overwrite" },
	{ "ata-sanitize-overwrite", "ssd", "purge", "Overwrite" },
	{ "scsi-sanitize-overwrite", "hdd", "purge", "Overwrite" },
	{ "nvme-format-user", "nvme", "purge", "Block Erase" },
	/* ATA SECURITY ERASE UNIT: Purge on a hard disk, Clear on flash */
	{ "ata-secure-erase", "hdd", "purge", "Overwrite" },
	{ "ata-secure-erase", "ssd", "clear", "Overwrite" },
	{ "ata-secure-erase-enhanced", "hdd", "purge", "Overwrite" },
	{ "ata-secure-erase-enhanced", "ssd", "clear", "Overwrite" },
	{ "ata-secure-erase-enhanced", "other", "clear", "Overwrite" },
};

static const char *const spec_methods[] = {
	"clear-zero", "clear-random", "dod-3pass", "luks-crypto-erase", "nvme-sanitize-crypto",
	"nvme-sanitize-block", "nvme-sanitize-overwrite", "nvme-format-crypto", "nvme-format-user",
	"ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite", "ata-secure-erase",
	"ata-secure-erase-enhanced", "scsi-sanitize-crypto", "scsi-sanitize-block", "scsi-sanitize-overwrite",
};

int main(void)
{
	const char *cat, *tech, *ref;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct want *w = &table[i];
		cat = tech = ref = NULL;
		int rc = nist_category(w->method, w->media, &cat, &tech, &ref);
		CHECK(rc == 0 && cat && !strcmp(cat, w->category) && tech && !strcmp(tech, w->technique) &&
		      ref && (strstr(ref, "SP 800-88") || strstr(ref, "IEEE 2883")),
		      "%s on %s: %s / %s (%s)", w->method, w->media, w->category, w->technique, ref ? ref : "");
	}
	for (size_t i = 0; i < sizeof(spec_methods) / sizeof(spec_methods[0]); i++) {
		CHECK(nist_method_known(spec_methods[i]), "SPEC method %s is in the table", spec_methods[i]);
		CHECK(nist_category(spec_methods[i], "ssd", NULL, NULL, NULL) == 0 ||
		      nist_category(spec_methods[i], "hdd", NULL, NULL, NULL) == 0,
		      "%s has a category on some disk", spec_methods[i]);
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
	CHECK_EQ_INT(nist_category("ata-sanitize-block", "hdd", &cat, &tech, &ref), -EINVAL,
		     "block erase on a hard disk: no such thing");
	CHECK_EQ_INT(nist_category("nvme-sanitize-crypto", "tape", &cat, &tech, &ref), -EINVAL,
		     "a device command on tape: refused");
	CHECK_EQ_INT(nist_category("luks-crypto-erase", "tape", &cat, &tech, &ref), -EINVAL,
		     "LUKS on tape: refused");
	CHECK(!nist_method_known("shred") && !nist_method_known(NULL), "unknown methods are unknown");
	CHECK_STR(nist_category_title("clear"), "Clear", "Appendix G wording: Clear");
	CHECK_STR(nist_category_title("purge"), "Purge", "Appendix G wording: Purge");
	CHECK_STR(nist_category_title("destroy"), "", "no title for anything else");
	return tap_done();
}
