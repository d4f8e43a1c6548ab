/*
 * ata — ATA commands through SAT ATA PASS-THROUGH(16) (opcode 0x85) over
 * SG_IO: IDENTIFY DEVICE, READ NATIVE MAX ADDRESS EXT and DCO IDENTIFY for
 * hidden areas, the SANITIZE feature set (ACS-4 7.36) and the Security
 * feature set (ACS-4 7.40-7.45).
 *
 * A command is a struct ata_tf (the taskfile registers); ata_pt16_cdb
 * packs it into the 16-byte CDB and ata_regs_from_sense reads the
 * registers back from the ATA Status Return descriptor.  All parsers take a
 * length and return -EINVAL on short or inconsistent data.
 */
#ifndef SZ_ATA_H
#define SZ_ATA_H
#include <stddef.h>
#include <stdint.h>

#include "drivers/scsi.h"

#define ATA_CMD_READ_NATIVE_MAX_EXT 0x27
#define ATA_CMD_AMAC 0x78		/* ACS-3 7.4 ACCESSIBLE MAX ADDRESS CONFIGURATION */
#define ATA_AMAC_GET_NATIVE_MAX 0x0000	/* ACS-3 7.4.2 GET NATIVE MAX ADDRESS EXT */
#define ATA_CMD_SANITIZE 0xb4
#define ATA_CMD_DCO 0xb1
#define ATA_CMD_IDENTIFY 0xec
#define ATA_CMD_SEC_SET_PASS 0xf1
#define ATA_CMD_SEC_ERASE_PREPARE 0xf3
#define ATA_CMD_SEC_UNLOCK 0xf2
#define ATA_CMD_SEC_ERASE_UNIT 0xf4
#define ATA_CMD_SEC_DISABLE_PASS 0xf6

/* ACS-4 7.36 SANITIZE EXT FEATURE field */
#define ATA_SANITIZE_STATUS 0x0000
#define ATA_SANITIZE_CRYPTO 0x0011
#define ATA_SANITIZE_BLOCK 0x0012
#define ATA_SANITIZE_OVERWRITE 0x0014
/* ACS-4 7.36 keys in the LBA field */
#define ATA_SANITIZE_KEY_CRYPTO 0x43727970u	/* "Cryp" */
#define ATA_SANITIZE_KEY_BLOCK 0x426b4572u	/* "BkEr" */
#define ATA_SANITIZE_KEY_OVERWRITE 0x00004f57u	/* "OW", in LBA 47:32 */
#define ATA_DCO_IDENTIFY 0xc2

/* SAT-4 12.2.2 PROTOCOL field */
enum ata_proto { ATA_PROTO_NON_DATA = 3, ATA_PROTO_PIO_IN = 4, ATA_PROTO_PIO_OUT = 5 };

struct ata_tf {
	uint16_t feature, count;
	uint64_t lba;		/* 48 bits */
	uint8_t device, command;
	enum ata_proto proto;
	int ext;		/* 48-bit command */
	int ck_cond;		/* ask for the registers back */
};

/* Registers from the ATA Status Return descriptor (SAT-4 12.2.2.6) */
struct ata_regs {
	uint8_t error, status, device;
	uint16_t count;
	uint64_t lba;
	int ext;
	int valid;		/* the device returned them */
	/*
	 * SAT-4 12.2.2.7 fixed-format sense carries ERROR, STATUS, DEVICE,
	 * COUNT 7:0 and LBA 23:0 only, with flags saying whether the upper
	 * bytes were non-zero: when a flag is set the value above is
	 * incomplete and must not be used for a decision.
	 */
	int fixed;
	int count_hi_unknown;	/* COUNT UPPER NONZERO: COUNT 15:8 not zero, and not known */
	int lba_hi_unknown;	/* LBA UPPER NONZERO: LBA 47:24 not zero, and not known */
};

#define ATA_STATUS_ERR 0x01
#define ATA_STATUS_DF 0x20
#define ATA_STATUS_BSY 0x80
#define ATA_ERROR_ABRT 0x04

struct ata_info {
	char serial[21], model[41], firmware[9];
	int lba48;
	uint64_t sectors;		/* current user-addressable sectors (words 60-61 / 100-103) */
	uint32_t logical_sector_size;
	int rotational;			/* -1 unknown, 0 SSD (word 217 == 1), 1 rotating */
	/* word 59 */
	int sanitize, sanitize_crypto, sanitize_block, sanitize_overwrite, sanitize_antifreeze;
	/* words 82/85/128 */
	int sec_supported, sec_enabled, sec_locked, sec_frozen, sec_count_expired, sec_enhanced;
	int sec_master_max;		/* master password capability: maximum */
	unsigned erase_minutes, enhanced_erase_minutes;	/* 0 = not given */
	int hpa_supported, hpa_enabled, dco_supported;
	int ama_supported;		/* word 119 bit 8: Accessible Max Address Configuration (ACS-3 4.4) */
};

/* SANITIZE STATUS EXT output (ACS-4 7.47.9: COUNT and LBA fields) */
struct ata_sanitize_status {
	int completed, in_progress, frozen, antifreeze;	/* COUNT bits 15, 14, 13, 12 */
	double progress;		/* LBA 15:0 / 65536 */
	unsigned progress_raw;		/* LBA 15:0; FFFFh when no operation is in progress */
	int aborted;			/* error outputs: ABORT set; reason below */
	unsigned reason;		/* SANITIZE DEVICE ERROR REASON, LBA 7:0 of the error outputs */
	int flags_unknown;		/* fixed-format sense hid COUNT 15:8: the four bits above are not known */
	int fixed;			/* the registers came in fixed-format sense */
};

/* ACS-4 7.47.9 Table: SANITIZE DEVICE ERROR REASON */
enum ata_sanitize_reason {
	ATA_SANITIZE_REASON_NONE = 0,		/* reason not reported */
	ATA_SANITIZE_REASON_FAILED = 1,		/* the last sanitize operation completed unsuccessfully */
	ATA_SANITIZE_REASON_UNSUPPORTED = 2,	/* unsupported command */
	ATA_SANITIZE_REASON_FROZEN = 3,		/* the device is in the Sanitize Frozen state */
	ATA_SANITIZE_REASON_ANTIFREEZE = 4,	/* the antifreeze lock is enabled */
};

/* HPA/DCO: what the host cannot reach */
struct ata_hidden {
	uint64_t current_sectors;	/* IDENTIFY */
	uint64_t native_sectors;	/* READ NATIVE MAX ADDRESS EXT + 1; 0 unknown */
	uint64_t dco_sectors;		/* DCO IDENTIFY maximum LBA + 1; 0 unknown */
	uint64_t hpa_hidden;		/* native - current */
	uint64_t dco_hidden;		/* dco - native */
	int ama;			/* the native maximum came from GET NATIVE MAX ADDRESS EXT */
	int undetermined;		/* the native maximum could not be read: see why */
	int unreadable;			/* ... because the translator's fixed-format sense cannot carry it */
	char why[160];
};

/* SAT-4 12.2.2 ATA PASS-THROUGH(16): pack tf into cdb.  0 or -EINVAL (lba beyond 28/48 bits). */
int ata_pt16_cdb(uint8_t cdb[16], const struct ata_tf *tf);
/*
 * Registers from sense data: the ATA Status Return descriptor of
 * descriptor-format sense, or the fixed-format fields (SAT-4 12.2.2.6/7).
 * 0, -ENOENT if the sense carries no ATA registers, -EINVAL if malformed.
 */
int ata_regs_from_sense(const uint8_t *s, size_t len, struct ata_regs *r);

/* The taskfiles (pure; tested byte by byte). */
void ata_identify_tf(struct ata_tf *tf);
void ata_read_native_max_tf(struct ata_tf *tf);
void ata_dco_identify_tf(struct ata_tf *tf);
/*
 * SANITIZE EXT sub-command: feature ATA_SANITIZE_*; passes 1..16 and
 * pattern/invert for overwrite.  0 or -EINVAL.
 */
int ata_sanitize_tf(struct ata_tf *tf, uint16_t feature, unsigned passes, uint32_t pattern, int invert);
/* A security command (0xf1/0xf2/0xf3/0xf4/0xf6). */
void ata_security_tf(struct ata_tf *tf, uint8_t command);
/*
 * The 512-byte SECURITY SET PASSWORD / ERASE UNIT / DISABLE PASSWORD data
 * (ACS-4 7.44.2): user password (master 0), enhanced erase bit for ERASE
 * UNIT.  pw is at most 32 bytes, padded with zeros.
 */
void ata_security_data(uint8_t out[512], const char *pw, int enhanced);

/* IDENTIFY DEVICE data (512 bytes, ACS-4 7.12.7) into *out.  0 or -EINVAL. */
int ata_parse_identify(const uint8_t *b, size_t len, struct ata_info *out);
/* DCO IDENTIFY data (ACS-3 7.9.4): maximum LBA into *max_lba.  0 or -EINVAL. */
int ata_parse_dco(const uint8_t *b, size_t len, uint64_t *max_lba);
/*
 * SANITIZE STATUS EXT output registers into *st: the normal outputs, or
 * for a command the device aborted the error outputs (st->aborted, the
 * reason from LBA 7:0).  When fixed-format sense hid COUNT 15:8,
 * st->flags_unknown is set and the four state bits are left 0: the caller
 * must not read "not frozen" or "not completed" into them.  0, or -EINVAL
 * for BSY, or completed and in progress at once.
 */
int ata_parse_sanitize_status(const struct ata_regs *r, struct ata_sanitize_status *st);
/* "the last sanitize operation completed unsuccessfully", ... ; "reason 0x%02x" as "unknown reason".  Cannot fail. */
const char *ata_sanitize_reason_str(unsigned reason);
/* ACS-3 7.4.2 GET NATIVE MAX ADDRESS EXT. */
void ata_get_native_max_tf(struct ata_tf *tf);
/*
 * Hidden sectors from the three maxima (native_max_lba/dco_max_lba are
 * LBAs; have_* 0 when unknown).  0, or -EINVAL when they contradict each
 * other (native below current, DCO below native).
 */
int ata_hidden_compute(uint64_t current_sectors, int have_native, uint64_t native_max_lba,
		       int have_dco, uint64_t dco_max_lba, struct ata_hidden *out);
/* Minutes to wait for SECURITY ERASE UNIT from word 89/90 (ACS-3 7.12.7.30). */
unsigned ata_erase_minutes(uint16_t word);
/*
 * Seconds a SECURITY ERASE UNIT may take: never less than the drive's own
 * estimate (minutes from word 89/90, 0 = none given) and never less than a
 * capacity bound of one second per 30 MiB plus 30 minutes (hdparm's
 * get_erase_timeout_secs), plus a margin.  Cannot fail.
 */
unsigned ata_erase_timeout_s(unsigned minutes, uint64_t sectors, uint32_t sector_size);

/*
 * Run tf on fd.  data/len for PIO (512 bytes per sector).  0 when the
 * device completed it (regs in *r if it returned them), -EIO with *r and
 * *err (a lowercase reason) when it aborted, -EOPNOTSUPP when the path does
 * not do ATA pass-through, -errno of the transport.
 */
int ata_exec(int fd, const struct ata_tf *tf, void *data, size_t len, unsigned timeout_ms,
	     struct ata_regs *r, char *err, size_t errlen);

/* IDENTIFY DEVICE: 0 or -errno. */
int ata_identify(int fd, struct ata_info *out);
/*
 * The native maximum into *h: GET NATIVE MAX ADDRESS EXT when the drive
 * has the Accessible Max Address feature set (ACS-3), else READ NATIVE MAX
 * ADDRESS EXT (HPA), and DCO IDENTIFY when supported.  A maximum that
 * cannot be read sets h->undetermined and h->why (h->unreadable when only
 * the sense format is to blame) and returns 0: "could not determine" is
 * not "nothing hidden".  -EINVAL for contradicting maxima, -errno of the
 * transport.
 */
int ata_probe_hidden(int fd, const struct ata_info *id, struct ata_hidden *h);
/*
 * SANITIZE STATUS EXT into *st (ata_parse_sanitize_status: an aborted
 * status is 0 with st->aborted).  -EPROTO when the device returned no
 * registers, -errno of the transport.
 */
int ata_sanitize_status(int fd, struct ata_sanitize_status *st);

#endif
