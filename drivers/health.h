/*
 * health — the drive's own account of its health, read through its own
 * commands (no smartctl, no shell), for the record before and after a
 * sanitize (issue 13):
 *
 *  - ATA: SMART READ DATA (ACS-4 7.48.5, B0h/D0h, LBA 4Fh/C2h) through SAT
 *    pass-through, its attribute table (30 entries of 12 bytes from byte 2,
 *    checksum in byte 511) and the common ids: 5 reallocated sectors,
 *    9 power-on hours, 194 temperature, 197 pending, 198 uncorrectable.
 *  - NVMe: the SMART / Health Information log page (NVMe 2.0 Base 5.16.1.3,
 *    LID 02h, controller-wide): critical warning, composite temperature,
 *    percentage used, power-on hours, unsafe shutdowns, media errors.
 *  - SCSI: LOG SENSE (SPC-5 6.8), SUPPORTED LOG PAGES (00h) first, then
 *    those of Temperature (0Dh), Informational Exceptions (2Fh), Write and
 *    Read Error Counters (02h, 03h: total uncorrected) and Background Scan
 *    Results (15h: accumulated power-on minutes, SBC-4) that it lists.
 *
 * A loop, virtio, device-mapper or other device without a drive behind it
 * is "not available" (available 0, why says so), which is not an error.
 * Everything is plain fixed data; unknown numbers are -1.
 */
#ifndef SZ_HEALTH_H
#define SZ_HEALTH_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define HEALTH_ATA_ATTRS 30
#define HEALTH_TEMP_UNKNOWN (-1000)

struct health_attr {
	uint8_t id;
	uint16_t flags;
	uint8_t value, worst;
	uint64_t raw;			/* 48 bits */
};

struct health {
	int available;			/* 1: the drive answered; 0: not available (why) */
	char source[12];		/* "ata-smart", "nvme-smart", "scsi-log", "" */
	char why[160];			/* when not available, or what could not be read */
	int64_t power_on_hours;		/* -1 unknown */
	int temperature_c;		/* HEALTH_TEMP_UNKNOWN unknown */
	int64_t reallocated;		/* ATA 5 */
	int64_t pending;		/* ATA 197 */
	int64_t uncorrectable;		/* ATA 198; SCSI: read + write total uncorrected errors */
	int64_t media_errors;		/* NVMe media and data integrity errors */
	int64_t unsafe_shutdowns;	/* NVMe */
	int percentage_used;		/* NVMe, -1 unknown (may exceed 100) */
	int critical_warning;		/* NVMe bit mask, -1 unknown */
	int available_spare;		/* NVMe percent, -1 unknown */
	int failure_predicted;		/* SCSI IE ASC 5Dh / NVMe critical warning: 1, 0 no, -1 unknown */
	uint8_t ie_asc, ie_ascq;	/* SCSI informational exceptions */
	unsigned nattrs;		/* ATA attribute table */
	struct health_attr attrs[HEALTH_ATA_ATTRS];
	unsigned npages;		/* SCSI: supported log pages */
	uint8_t pages[64];
};

/* All unknown, not available. */
void health_init(struct health *h);

/* ACS-4 7.48.5 SMART READ DATA: the taskfile (ata.h) into *tf. */
struct ata_tf;
void health_ata_smart_tf(struct ata_tf *tf);
/* A 512-byte SMART data structure into *h: 0, -EINVAL short, -EBADMSG bad checksum. */
int health_parse_ata_smart(const uint8_t *b, size_t len, struct health *h);
/* A 512-byte NVMe SMART / Health log page into *h: 0 or -EINVAL. */
int health_parse_nvme_smart(const uint8_t *b, size_t len, struct health *h);
/* LOG SENSE (10) of page with allocation length len into cdb: 0 or -EINVAL. */
int health_log_sense_cdb(uint8_t cdb[10], uint8_t page, uint16_t len);
/* SUPPORTED LOG PAGES (00h) into h->pages: 0 or -EINVAL. */
int health_parse_scsi_supported(const uint8_t *b, size_t len, struct health *h);
/* One log page (0Dh, 2Fh, 02h, 03h, 15h) into *h; other pages are ignored.  0 or -EINVAL. */
int health_parse_scsi_page(const uint8_t *b, size_t len, struct health *h);

/*
 * Read the health of the drive at path.  0 with *out filled (available 0
 * and why for a device with no drive health: loop, virtio, dm, md, nbd,
 * zram, or a drive that refuses every way of asking), or -errno when path
 * cannot be opened.  Read-only: only log and SMART read commands are sent.
 */
int health_read(const char *path, struct health *out);

/* The JSON view: {"available", "source", ...}.  A new reference, NULL on ENOMEM. */
json_t *health_to_json(const struct health *h);

#endif
