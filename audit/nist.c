#include "audit/nist.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/*
 * Media as Appendix A groups them: magnetic disks (Table A-5), flash
 * (Table A-8: SSDs, NVMe, USB sticks), magnetic tape (Table A-5).  "other"
 * is read as flash, the medium on which fewer techniques reach Purge, so an
 * unknown medium never earns a stronger category than it may deserve.
 */
enum media { M_HDD = 1, M_FLASH = 2, M_TAPE = 4 };

struct row {
	const char *method;
	unsigned media;
	const char *category;
	const char *technique;
	const char *reference;
};

#define OVERWRITE_HDD "NIST SP 800-88 Rev. 1 Table A-5 (ATA and SCSI hard disk drives): Clear by " \
	"overwriting all user-addressable locations"
#define OVERWRITE_FLASH "NIST SP 800-88 Rev. 1 Table A-8 (flash memory): an overwrite through the " \
	"host interface is Clear only; remapped and over-provisioned cells are not reached"
#define OVERWRITE_TAPE "NIST SP 800-88 Rev. 1 Table A-5 (magnetic tape): Clear by re-recording " \
	"(overwriting) all data"
#define IEEE2883 "; IEEE 2883-2022 Purge"

static const struct row rows[] = {
	/* host overwrites: Clear on every medium; more passes add nothing (SP 800-88 Rev. 1 2.4) */
	{ "clear-zero", M_HDD, "clear", "Overwrite", OVERWRITE_HDD },
	{ "clear-zero", M_FLASH, "clear", "Overwrite", OVERWRITE_FLASH },
	{ "clear-zero", M_TAPE, "clear", "Overwrite", OVERWRITE_TAPE },
	{ "clear-random", M_HDD, "clear", "Overwrite", OVERWRITE_HDD },
	{ "clear-random", M_FLASH, "clear", "Overwrite", OVERWRITE_FLASH },
	{ "clear-random", M_TAPE, "clear", "Overwrite", OVERWRITE_TAPE },
	{ "dod-3pass", M_HDD, "clear", "Overwrite", OVERWRITE_HDD },
	{ "dod-3pass", M_FLASH, "clear", "Overwrite", OVERWRITE_FLASH },
	{ "dod-3pass", M_TAPE, "clear", "Overwrite", OVERWRITE_TAPE },

	/*
	 * LUKS: destroying every keyslot is a cryptographic erase (2.6, Appendix D)
	 * when all data was written through dm-crypt from the start, with AES-128
	 * or stronger, and no header backup survives elsewhere.  The keyslots are
	 * destroyed by host writes, which on flash may leave old copies in
	 * remapped cells: there it is only Clear.
	 */
	{ "luks-crypto-erase", M_HDD, "purge", "Crypto Erase",
	  "NIST SP 800-88 Rev. 1 2.6 and Appendix D: cryptographic erase of a volume encrypted from its "
	  "first write; valid only if no copy of the LUKS header or a key survives elsewhere" },
	{ "luks-crypto-erase", M_FLASH, "clear", "Crypto Erase",
	  "NIST SP 800-88 Rev. 1 2.6 and Appendix D, limited by Table A-8: the keyslots are overwritten "
	  "through the host interface, which on flash may leave copies in remapped cells, so Clear only" },

	/* the device's own sanitize commands reach every physical block */
	{ "ata-sanitize-crypto", M_HDD | M_FLASH, "purge", "Crypto Erase",
	  "NIST SP 800-88 Rev. 1 Tables A-5 and A-8 (ATA): Purge by SANITIZE CRYPTO SCRAMBLE EXT" IEEE2883 },
	{ "scsi-sanitize-crypto", M_HDD | M_FLASH, "purge", "Crypto Erase",
	  "NIST SP 800-88 Rev. 1 Tables A-5 and A-8 (SCSI): Purge by SANITIZE CRYPTOGRAPHIC ERASE" IEEE2883 },
	{ "nvme-sanitize-crypto", M_HDD | M_FLASH, "purge", "Crypto Erase",
	  "NIST SP 800-88 Rev. 1 Table A-8 (NVMe): Purge by Sanitize, Crypto Erase" IEEE2883 },
	{ "nvme-format-crypto", M_HDD | M_FLASH, "purge", "Crypto Erase",
	  "NIST SP 800-88 Rev. 1 Table A-8 (NVMe): Purge by Format NVM, Secure Erase Settings 010b "
	  "(cryptographic erase)" IEEE2883 },
	/* block erase is a flash operation: no hard disk or tape has it */
	{ "ata-sanitize-block", M_FLASH, "purge", "Block Erase",
	  "NIST SP 800-88 Rev. 1 Table A-8 (ATA): Purge by SANITIZE BLOCK ERASE EXT" IEEE2883 },
	{ "scsi-sanitize-block", M_FLASH, "purge", "Block Erase",
	  "NIST SP 800-88 Rev. 1 Table A-8 (SCSI): Purge by SANITIZE BLOCK ERASE" IEEE2883 },
	{ "nvme-sanitize-block", M_FLASH, "purge", "Block Erase",
	  "NIST SP 800-88 Rev. 1 Table A-8 (NVMe): Purge by Sanitize, Block Erase" IEEE2883 },
	{ "ata-sanitize-overwrite", M_HDD, "purge", "Overwrite",
	  "NIST SP 800-88 Rev. 1 Table A-5 (ATA hard disk drives): Purge by SANITIZE OVERWRITE EXT" IEEE2883 },
	{ "ata-sanitize-overwrite", M_FLASH, "purge", "Overwrite",
	  "IEEE 2883-2022 Purge: the device's SANITIZE OVERWRITE EXT reaches over-provisioned and remapped "
	  "blocks, which a host overwrite does not (NIST SP 800-88 Rev. 1 Table A-8)" },
	{ "scsi-sanitize-overwrite", M_HDD, "purge", "Overwrite",
	  "NIST SP 800-88 Rev. 1 Table A-5 (SCSI hard disk drives): Purge by SANITIZE OVERWRITE" IEEE2883 },
	{ "scsi-sanitize-overwrite", M_FLASH, "purge", "Overwrite",
	  "IEEE 2883-2022 Purge: the device's SANITIZE OVERWRITE reaches over-provisioned and remapped "
	  "blocks, which a host overwrite does not (NIST SP 800-88 Rev. 1 Table A-8)" },
	{ "nvme-sanitize-overwrite", M_HDD | M_FLASH, "purge", "Overwrite",
	  "IEEE 2883-2022 Purge by the NVMe Sanitize Overwrite operation, which reaches every physical "
	  "block (NIST SP 800-88 Rev. 1 Table A-8)" },
	{ "nvme-format-user", M_HDD | M_FLASH, "purge", "Block Erase",
	  "NIST SP 800-88 Rev. 1 Table A-8 (NVMe): Purge by Format NVM, Secure Erase Settings 001b "
	  "(user data erase)" },

	/*
	 * ATA SECURITY ERASE UNIT: on a hard disk both modes are Purge (Table
	 * On flash the normal mode is only Clear (Table A-8), and the
	 * enhanced mode's action is vendor unique with "varying levels of
	 * effectiveness" (SP 800-88 Rev. 1 glossary), so it earns no more.
	 */
	{ "ata-secure-erase", M_HDD, "purge", "Overwrite",
	  "NIST SP 800-88 Rev. 1 Table A-5 (ATA hard disk drives): Purge by SECURITY ERASE UNIT, normal erase" },
	{ "ata-secure-erase", M_FLASH, "clear", "Overwrite",
	  "NIST SP 800-88 Rev. 1 Table A-8 (ATA SSDs): SECURITY ERASE UNIT, normal erase, is Clear only" },
	{ "ata-secure-erase-enhanced", M_HDD, "purge", "Overwrite",
	  "NIST SP 800-88 Rev. 1 Table A-5 (ATA hard disk drives): Purge by SECURITY ERASE UNIT, enhanced erase" },
	{ "ata-secure-erase-enhanced", M_FLASH, "clear", "Overwrite",
	  "NIST SP 800-88 Rev. 1 Table A-8 (ATA SSDs): an enhanced SECURITY ERASE UNIT is vendor unique "
	  "and not a verifiable Purge on flash; reported as Clear (IEEE 2883-2022 keeps Purge for SANITIZE)" },
};

static int media_class(const char *media_type)
{
	if (!media_type)
		return -EINVAL;
	if (!strcmp(media_type, "hdd"))
		return M_HDD;
	if (!strcmp(media_type, "ssd") || !strcmp(media_type, "nvme") || !strcmp(media_type, "usb") ||
	    !strcmp(media_type, "other"))
		return M_FLASH;
	if (!strcmp(media_type, "tape"))
		return M_TAPE;
	return -EINVAL;
}

int nist_method_known(const char *method)
{
	for (size_t i = 0; method && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].method, method))
			return 1;
	return 0;
}

int nist_category(const char *method, const char *media_type, const char **category,
		  const char **technique, const char **reference)
{
	int m = media_class(media_type);

	if (m < 0 || !method)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strcmp(rows[i].method, method) || !(rows[i].media & (unsigned)m))
			continue;
		if (category)
			*category = rows[i].category;
		if (technique)
			*technique = rows[i].technique;
		if (reference)
			*reference = rows[i].reference;
		return 0;
	}
	return -EINVAL;
}

const char *nist_category_title(const char *category)
{
	if (category && !strcmp(category, "clear"))
		return "Clear";
	if (category && !strcmp(category, "purge"))
		return "Purge";
	return "";
}
