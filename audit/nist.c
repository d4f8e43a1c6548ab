#include "audit/nist.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/*
 * Media as the sources group them: magnetic hard disks (Rev. 1 Table A-5),
 * flash drives (ssd, nvme: Table A-8), removable USB flash (Table A-8's own
 * row, with its own Clear rule), magnetic tape, and "other".  "other" gets
 * the flash answer, the medium on which fewer techniques reach Purge, and is
 * never confirmed: we do not know what it is.
 */
#define HDD NIST_M_HDD
#define FLASH NIST_M_FLASH
#define USB NIST_M_USB
#define OTHER NIST_M_OTHER
#define TAPE NIST_M_TAPE

#define R2 "NIST SP 800-88 Rev. 2"
#define R2R1 "NIST SP 800-88 Rev. 2 and Rev. 1 (withdrawn)"
#define R2IEEE "NIST SP 800-88 Rev. 2; IEEE 2883-2022"

#define ROW(m, media, cat, tech, std, clause, basis, ok) \
	{ m, media, cat, tech, std, clause, basis, std "; " clause ": " basis, ok }

/* Rev. 2 3.1.1: overwrite through the standard read and write commands is a Clear technique */
#define HOST_CLEAR_HDD "Rev. 2 3.1.1; Rev. 1 Table A-5 (ATA/SCSI hard disk drives), Clear"
#define HOST_CLEAR_FLASH "Rev. 2 3.1.1; Rev. 1 Table A-8 (ATA/SCSI/NVMe SSDs), Clear"
#define HOST_BASIS "every user-addressable location overwritten through the host interface"
#define HOST_FLASH_BASIS HOST_BASIS "; spare and remapped flash cells are beyond its reach, so never Purge"
#define USB_CLEAR "Rev. 2 3.1.1; Rev. 1 Table A-8 (USB removable media), Clear"
#define USB_NONE "removable USB flash is Clear only with at least two passes, a pattern and then its " \
	"complement; a single pass is no Clear"
#define UNSURE "unconfirmed: "

/* Rev. 2 3.1.2: Purge by dedicated, standardized device sanitize commands, IEEE 2883 decides which */
#define CMD_PURGE "Rev. 2 3.1.2"
#define CMD_BASIS "the device's own sanitize command reaches every physical block, including spare and " \
	"remapped ones"
#define IEEE_UNREAD " (the IEEE 2883-2022 clause was not checked)"
#define USB_CMD "Rev. 2 3.1.2; Rev. 1 Table A-8 (USB removable media)"
#define USB_CMD_BASIS UNSURE "Rev. 1 held Purge of USB removable media generally unsupported (destroy " \
	"instead); a device sanitize command that completes is reported as Purge on the device's word"

static const struct nist_row rows[] = {
	/* host overwrites: Clear; more passes add nothing, except the complement USB flash needs */
	ROW("clear-zero", HDD, "clear", "Overwrite", R2R1, HOST_CLEAR_HDD, HOST_BASIS " with zeros", 1),
	ROW("clear-zero", FLASH, "clear", "Overwrite", R2R1, HOST_CLEAR_FLASH, HOST_FLASH_BASIS, 1),
	ROW("clear-zero", USB, NULL, "Overwrite", R2R1, USB_CLEAR, USB_NONE, 1),
	ROW("clear-zero", OTHER, "clear", "Overwrite", R2, "Rev. 2 3.1.1", UNSURE "an unknown medium read as flash; "
	    "if it is removable USB flash, only dod-3pass (zeros, then ones) is Clear", 0),
	ROW("clear-zero", TAPE, "clear", "Overwrite", R2R1, "Rev. 2 3.1.1; Rev. 1 Table A-5 (magnetic tape)",
	    UNSURE "re-recording all data through the drive", 0),
	ROW("clear-random", HDD, "clear", "Overwrite", R2R1, HOST_CLEAR_HDD, HOST_BASIS " with random data", 1),
	ROW("clear-random", FLASH, "clear", "Overwrite", R2R1, HOST_CLEAR_FLASH, HOST_FLASH_BASIS, 1),
	ROW("clear-random", USB, NULL, "Overwrite", R2R1, USB_CLEAR, USB_NONE, 1),
	ROW("clear-random", OTHER, "clear", "Overwrite", R2, "Rev. 2 3.1.1", UNSURE "an unknown medium read as flash; "
	    "if it is removable USB flash, only dod-3pass (zeros, then ones) is Clear", 0),
	ROW("clear-random", TAPE, "clear", "Overwrite", R2R1, "Rev. 2 3.1.1; Rev. 1 Table A-5 (magnetic tape)",
	    UNSURE "re-recording all data through the drive", 0),
	ROW("dod-3pass", HDD, "clear", "Overwrite", R2R1, HOST_CLEAR_HDD, HOST_BASIS " three times", 1),
	ROW("dod-3pass", FLASH, "clear", "Overwrite", R2R1, HOST_CLEAR_FLASH, HOST_FLASH_BASIS, 1),
	ROW("dod-3pass", USB, "clear", "Overwrite", R2R1, USB_CLEAR, "zeros, then their complement (ones), "
	    "then random: the two passes USB flash needs for Clear", 1),
	ROW("dod-3pass", OTHER, "clear", "Overwrite", R2, "Rev. 2 3.1.1", UNSURE "an unknown medium read as flash; "
	    "the complement pass also meets the removable USB flash rule", 0),
	ROW("dod-3pass", TAPE, "clear", "Overwrite", R2R1, "Rev. 2 3.1.1; Rev. 1 Table A-5 (magnetic tape)",
	    UNSURE "re-recording all data through the drive", 0),

	/*
	 * LUKS: destroying every keyslot is a cryptographic erase, Purge under
	 * Rev. 2 3.2 if its conditions hold (3.2.1-3.2.4: keys of 128-bit
	 * strength or more, no plaintext ever written, every copy of the key
	 * sanitized), which the host cannot check: the certificate says so.  On
	 * flash the keyslots are overwritten by host writes, which may leave old
	 * copies in remapped cells: there it earns no more than Clear.
	 */
	ROW("luks-crypto-erase", HDD, "purge", "Crypto Erase", R2, "Rev. 2 3.2, 3.2.1-3.2.4",
	    "cryptographic erase of a volume encrypted from its first write; valid only if no copy of the "
	    "LUKS header or a key survives elsewhere and no plaintext was ever written", 1),
	ROW("luks-crypto-erase", FLASH | USB | OTHER, "clear", "Crypto Erase", R2, "Rev. 2 3.2, 3.1.1",
	    UNSURE "the keyslots are overwritten through the host interface, which on flash may leave "
	    "copies in remapped cells, so Clear only", 0),

	/* the device's own sanitize commands */
	ROW("ata-sanitize-crypto", HDD, "purge", "Crypto Erase", R2R1,
	    "Rev. 2 3.1.2, 3.2; Rev. 1 Table A-5 (ATA HDD), Purge 1b (CRYPTO SCRAMBLE EXT)", CMD_BASIS, 1),
	ROW("ata-sanitize-crypto", FLASH, "purge", "Crypto Erase", R2R1,
	    "Rev. 2 3.1.2, 3.2; Rev. 1 Table A-8 (ATA SSD), Purge 1b (sanitize crypto scramble)", CMD_BASIS, 1),
	ROW("ata-sanitize-block", FLASH, "purge", "Block Erase", R2R1,
	    "Rev. 2 3.1.2; Rev. 1 Table A-8 (ATA SSD), Purge 1a (BLOCK ERASE EXT)", CMD_BASIS, 1),
	ROW("ata-sanitize-overwrite", HDD, "purge", "Overwrite", R2R1,
	    "Rev. 2 3.1.2; Rev. 1 Table A-5 (ATA HDD), Purge 1a (OVERWRITE EXT)", CMD_BASIS, 1),
	ROW("ata-sanitize-overwrite", FLASH, "purge", "Overwrite", R2IEEE, CMD_PURGE IEEE_UNREAD,
	    UNSURE "Rev. 2 names overwrite by a dedicated sanitize command among the Purge techniques; "
	    "Rev. 1 Table A-8 did not list OVERWRITE EXT for SSDs", 0),
	ROW("scsi-sanitize-crypto", HDD, "purge", "Crypto Erase", R2IEEE, "Rev. 2 3.1.2, 3.2" IEEE_UNREAD,
	    UNSURE CMD_BASIS, 0),
	ROW("scsi-sanitize-crypto", FLASH, "purge", "Crypto Erase", R2R1,
	    "Rev. 2 3.1.2, 3.2; Rev. 1 Table A-8 (SCSI SSD), Purge (SANITIZE CRYPTOGRAPHIC ERASE)", CMD_BASIS, 1),
	ROW("scsi-sanitize-block", FLASH, "purge", "Block Erase", R2R1,
	    "Rev. 2 3.1.2; Rev. 1 Table A-8 (SCSI SSD), Purge (SANITIZE BLOCK ERASE)", CMD_BASIS, 1),
	ROW("scsi-sanitize-overwrite", HDD, "purge", "Overwrite", R2IEEE, CMD_PURGE IEEE_UNREAD,
	    UNSURE CMD_BASIS, 0),
	ROW("scsi-sanitize-overwrite", FLASH, "purge", "Overwrite", R2IEEE, CMD_PURGE IEEE_UNREAD,
	    UNSURE "Rev. 2 names overwrite by a dedicated sanitize command among the Purge techniques; "
	    "Rev. 1 Table A-8 did not list it for SSDs", 0),
	/*
	 * NVMe Sanitize (NVMe 1.3, 2017) postdates Rev. 1 (2014): its Table A-8
	 * cannot back it.  It rests on Rev. 2 3.1.2 and IEEE 2883-2022, whose
	 * clause we could not read: unconfirmed.
	 */
	ROW("nvme-sanitize-crypto", HDD | FLASH, "purge", "Crypto Erase", R2IEEE, "Rev. 2 3.1.2, 3.2" IEEE_UNREAD,
	    UNSURE "the NVMe Sanitize Crypto Erase action acts on the whole NVM subsystem; not in Rev. 1, "
	    "which predates the command", 0),
	ROW("nvme-sanitize-block", FLASH, "purge", "Block Erase", R2IEEE, CMD_PURGE IEEE_UNREAD,
	    UNSURE "the NVMe Sanitize Block Erase action acts on the whole NVM subsystem; not in Rev. 1, "
	    "which predates the command", 0),
	ROW("nvme-sanitize-overwrite", HDD | FLASH, "purge", "Overwrite", R2IEEE, CMD_PURGE IEEE_UNREAD,
	    UNSURE "the NVMe Sanitize Overwrite action acts on the whole NVM subsystem; not in Rev. 1, "
	    "which predates the command", 0),
	ROW("nvme-format-crypto", FLASH, "purge", "Crypto Erase", R2R1,
	    "Rev. 2 3.2; Rev. 1 Table A-8 (NVMe SSD), Purge (Format, Cryptographic Erase)",
	    "Format NVM with Secure Erase Settings 010b deletes the media encryption key", 1),
	/* SES 001b is what the NVMe base specification calls "User Data Erase" */
	ROW("nvme-format-user", FLASH, "purge", "User Data Erase", R2R1,
	    "Rev. 2 3.1.2; Rev. 1 Table A-8 (NVMe SSD), Purge (Format, User Data Erase)",
	    "Format NVM with Secure Erase Settings 001b; the erased contents are vendor-defined", 1),
	ROW("nvme-format-crypto", HDD, "purge", "Crypto Erase", R2, "Rev. 2 3.2",
	    UNSURE "Format NVM, Secure Erase Settings 010b, on a hard disk: Rev. 1 listed it for NVMe SSDs only", 0),
	ROW("nvme-format-user", HDD, "purge", "User Data Erase", R2IEEE, CMD_PURGE IEEE_UNREAD,
	    UNSURE "Format NVM, Secure Erase Settings 001b, on a hard disk: Rev. 1 listed it for NVMe SSDs only", 0),

	/*
	 * ATA SECURITY ERASE UNIT.  Rev. 1 Table A-5 lists it for Purge of a
	 * hard disk "in Enhanced Erase mode" only; the normal erase addresses
	 * LBA 0 to native max with 0s or 1s (Rev. 1 glossary), an overwrite of
	 * the user-addressable locations: Clear.  On flash Table A-8 lists it
	 * under Clear, and its note says secure erase "is only a Clear mechanism
	 * for flash memory".  Rev. 2 does not name the command.
	 */
	ROW("ata-secure-erase", HDD, "clear", "Overwrite", R2R1,
	    "Rev. 2 3.1.1; Rev. 1 Table A-5 (ATA HDD), Purge 2 names Enhanced Erase mode only",
	    "the normal erase overwrites LBA 0 through native max with 0s or 1s, the user-addressable "
	    "locations, so Clear, not Purge", 1),
	ROW("ata-secure-erase", FLASH, "clear", "Overwrite", R2R1,
	    "Rev. 2 3.1.1; Rev. 1 Table A-8 (ATA SSD), Clear 2 and its note",
	    "SECURITY ERASE UNIT is only a Clear mechanism on flash", 1),
	ROW("ata-secure-erase", OTHER, "clear", "Overwrite", R2R1, "Rev. 2 3.1.1; Rev. 1 Table A-8 (ATA SSD)",
	    UNSURE "an unknown medium read as flash, where SECURITY ERASE UNIT is only Clear", 0),
	ROW("ata-secure-erase", USB, NULL, "Overwrite", R2R1, USB_CLEAR,
	    UNSURE "one firmware pass of 0s or 1s is not the pattern and complement removable USB flash needs", 0),
	ROW("ata-secure-erase-enhanced", HDD, "purge", "Overwrite", R2R1,
	    "Rev. 2 3.1.2; Rev. 1 Table A-5 (ATA HDD), Purge 2 (SECURITY ERASE UNIT, Enhanced Erase mode)",
	    "the enhanced erase also overwrites reallocated sectors; the ATA Sanitize commands are "
	    "preferred where supported", 1),
	ROW("ata-secure-erase-enhanced", FLASH, "clear", "Overwrite", R2R1,
	    "Rev. 2 3.1.1; Rev. 1 Table A-8 (ATA SSD), Clear 2 and its notes",
	    "the enhanced erase is vendor unique on flash and only a Clear mechanism there", 1),
	ROW("ata-secure-erase-enhanced", OTHER, "clear", "Overwrite", R2R1, "Rev. 2 3.1.1; Rev. 1 Table A-8 (ATA SSD)",
	    UNSURE "an unknown medium read as flash, where the enhanced erase is only Clear", 0),
	ROW("ata-secure-erase-enhanced", USB, NULL, "Overwrite", R2R1, USB_CLEAR,
	    UNSURE "a vendor-unique firmware erase is not the pattern and complement removable USB flash needs", 0),

	/* removable USB flash: device commands, on the device's word */
	ROW("ata-sanitize-crypto", USB, "purge", "Crypto Erase", R2R1, USB_CMD, USB_CMD_BASIS, 0),
	ROW("ata-sanitize-block", USB, "purge", "Block Erase", R2R1, USB_CMD, USB_CMD_BASIS, 0),
	ROW("ata-sanitize-overwrite", USB, "purge", "Overwrite", R2R1, USB_CMD, USB_CMD_BASIS, 0),
	ROW("scsi-sanitize-crypto", USB, "purge", "Crypto Erase", R2R1, USB_CMD, USB_CMD_BASIS, 0),
	ROW("scsi-sanitize-block", USB, "purge", "Block Erase", R2R1, USB_CMD, USB_CMD_BASIS, 0),
	ROW("scsi-sanitize-overwrite", USB, "purge", "Overwrite", R2R1, USB_CMD, USB_CMD_BASIS, 0),

	/* an unknown medium: the flash answer, never confirmed */
	ROW("ata-sanitize-crypto", OTHER, "purge", "Crypto Erase", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("ata-sanitize-block", OTHER, "purge", "Block Erase", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("ata-sanitize-overwrite", OTHER, "purge", "Overwrite", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("scsi-sanitize-crypto", OTHER, "purge", "Crypto Erase", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("scsi-sanitize-block", OTHER, "purge", "Block Erase", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("scsi-sanitize-overwrite", OTHER, "purge", "Overwrite", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("nvme-sanitize-crypto", OTHER, "purge", "Crypto Erase", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("nvme-sanitize-block", OTHER, "purge", "Block Erase", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("nvme-sanitize-overwrite", OTHER, "purge", "Overwrite", R2, CMD_PURGE, UNSURE CMD_BASIS, 0),
	ROW("nvme-format-crypto", OTHER, "purge", "Crypto Erase", R2, "Rev. 2 3.2", UNSURE "Format NVM, "
	    "Secure Erase Settings 010b", 0),
	ROW("nvme-format-user", OTHER, "purge", "User Data Erase", R2, CMD_PURGE, UNSURE "Format NVM, "
	    "Secure Erase Settings 001b", 0),
};

static int media_class(const char *media_type)
{
	if (!media_type)
		return -EINVAL;
	if (!strcmp(media_type, "hdd"))
		return HDD;
	if (!strcmp(media_type, "ssd") || !strcmp(media_type, "nvme"))
		return FLASH;
	if (!strcmp(media_type, "usb"))
		return USB;
	if (!strcmp(media_type, "other"))
		return OTHER;
	if (!strcmp(media_type, "tape"))
		return TAPE;
	return -EINVAL;
}

int nist_method_known(const char *method)
{
	for (size_t i = 0; method && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strcmp(rows[i].method, method))
			return 1;
	return 0;
}

int nist_lookup(const char *method, const char *media_type, const struct nist_row **row)
{
	int m = media_class(media_type);

	if (m < 0 || !method)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strcmp(rows[i].method, method) || !(rows[i].media & (unsigned)m))
			continue;
		if (row)
			*row = &rows[i];
		return 0;
	}
	return -EINVAL;
}

int nist_category(const char *method, const char *media_type, const char **category,
		  const char **technique, const char **reference)
{
	const struct nist_row *r = NULL;

	if (nist_lookup(method, media_type, &r) < 0 || !r->category)
		return -EINVAL;
	if (category)
		*category = r->category;
	if (technique)
		*technique = r->technique;
	if (reference)
		*reference = r->reference;
	return 0;
}

const char *nist_category_title(const char *category)
{
	if (category && !strcmp(category, "clear"))
		return "Clear";
	if (category && !strcmp(category, "purge"))
		return "Purge";
	return "";
}

const struct nist_row *nist_rows(unsigned *n)
{
	*n = (unsigned)(sizeof(rows) / sizeof(rows[0]));
	return rows;
}
