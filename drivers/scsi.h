/*
 * scsi — SCSI commands for identity and purge, through SG_IO (sgio.h):
 * INQUIRY with VPD 0x80/0x83, SANITIZE (SBC-4 5.30), REQUEST SENSE with its
 * progress indication, REPORT SUPPORTED OPERATION CODES, and the sense
 * data parser shared with the ATA pass-through (ata.h).
 *
 * Each command has a pure encoder (tested byte by byte) and each response a
 * pure parser that takes a length and returns -EINVAL for a short,
 * mislabelled or self-contradicting buffer; the device functions only glue
 * them to sgio_run.
 */
#ifndef SZ_SCSI_H
#define SZ_SCSI_H
#include <stddef.h>
#include <stdint.h>

#include "drivers/sgio.h"

#define SCSI_OP_REQUEST_SENSE 0x03
#define SCSI_OP_INQUIRY 0x12
#define SCSI_OP_SANITIZE 0x48
#define SCSI_OP_MAINTENANCE_IN 0xa3
#define SCSI_SA_RSOC 0x0c

/* SBC-4 5.30 SANITIZE service actions */
enum scsi_sanitize_sa {
	SCSI_SANITIZE_OVERWRITE = 0x01,
	SCSI_SANITIZE_BLOCK_ERASE = 0x02,
	SCSI_SANITIZE_CRYPTO_ERASE = 0x03,
	SCSI_SANITIZE_EXIT_FAILURE = 0x1f,
};

/* SPC-5 sense keys used here */
#define SCSI_KEY_NO_SENSE 0x0
#define SCSI_KEY_RECOVERED 0x1
#define SCSI_KEY_NOT_READY 0x2
#define SCSI_KEY_MEDIUM_ERROR 0x3
#define SCSI_KEY_HARDWARE_ERROR 0x4
#define SCSI_KEY_ILLEGAL_REQUEST 0x5
#define SCSI_KEY_UNIT_ATTENTION 0x6
#define SCSI_KEY_DATA_PROTECT 0x7
#define SCSI_KEY_ABORTED 0xb

struct scsi_sense {
	uint8_t response;	/* 0x70/0x71 fixed, 0x72/0x73 descriptor */
	uint8_t key, asc, ascq;
	int sksv;		/* sense-key specific bytes valid */
	uint8_t sks[3];		/* SPC-5 4.4.2.4: for NOT READY, bytes 1-2 are progress */
	int has_progress;
	double progress;	/* 0..1 from the progress indication (x / 65536) */
};

struct scsi_ident {
	uint8_t device_type;	/* peripheral device type, 0 = direct access block */
	char vendor[9], product[17], revision[5];
	char serial[128];	/* VPD 0x80, trimmed; "" if none */
	char wwn[64];		/* "naa.<hex>" from VPD 0x83 (logical unit, NAA); "" if none */
};

/* SPC-5 6.7 INQUIRY: 6-byte CDB for the standard data (evpd 0) or a VPD page. */
void scsi_inquiry_cdb(uint8_t cdb[6], int evpd, uint8_t page, uint16_t alloc);
/* SPC-5 6.39 REQUEST SENSE: desc asks for descriptor-format sense. */
void scsi_request_sense_cdb(uint8_t cdb[6], int desc, uint8_t alloc);
/*
 * SBC-4 5.30 SANITIZE: 10-byte CDB.  param_len is the parameter list
 * length (0 except for overwrite).  0, or -EINVAL for an unknown service
 * action or a parameter list on an action that takes none.
 */
int scsi_sanitize_cdb(uint8_t cdb[10], enum scsi_sanitize_sa sa, int immed, int ause, uint16_t param_len);
/*
 * SBC-4 5.30.2.2 overwrite parameter list: count 1..31 passes, invert
 * between passes, a pattern of pat_len bytes (1..plen-4).  *out_len is the
 * list length.  0 or -EINVAL.
 */
int scsi_sanitize_overwrite_params(uint8_t *p, size_t plen, unsigned count, int invert,
				   const uint8_t *pat, size_t pat_len, size_t *out_len);
/* SPC-5 6.34 REPORT SUPPORTED OPERATION CODES, one command (reporting options 1 or 2). */
void scsi_rsoc_cdb(uint8_t cdb[12], uint8_t op, int with_sa, uint16_t sa, uint32_t alloc);

/*
 * Parse sense data (SPC-5 4.4, fixed or descriptor format) of len bytes.
 * 0, or -EINVAL for an unknown response code or a length field beyond
 * the buffer.
 */
int scsi_parse_sense(const uint8_t *s, size_t len, struct scsi_sense *out);
/*
 * Find the first descriptor of type in descriptor-format sense (0x72/0x73).
 * 0 with *d and *dlen (header included), -ENOENT if absent, -EINVAL if
 * the sense is not descriptor format or a descriptor overruns the buffer.
 */
int scsi_sense_find_desc(const uint8_t *s, size_t len, uint8_t type, const uint8_t **d, size_t *dlen);
/* "not ready", "illegal request", ...  Cannot fail. */
const char *scsi_key_name(uint8_t key);
/* Sense in words ("illegal request: invalid command operation code (asc 0x20 ascq 0x00)"). */
void scsi_sense_str(const struct scsi_sense *s, char *buf, size_t len);

/* Standard INQUIRY data (>= 36 bytes) into id's type, vendor, product, revision.  0 or -EINVAL. */
int scsi_parse_inquiry(const uint8_t *b, size_t len, struct scsi_ident *id);
/* VPD 0x80 Unit Serial Number into id->serial.  0 or -EINVAL. */
int scsi_parse_vpd_serial(const uint8_t *b, size_t len, struct scsi_ident *id);
/* VPD 0x83 Device Identification: the logical unit's NAA designator into id->wwn.  0 or -EINVAL. */
int scsi_parse_vpd_devid(const uint8_t *b, size_t len, struct scsi_ident *id);
/*
 * REPORT SUPPORTED OPERATION CODES one-command data: *support is SPC-5
 * Table 233's SUPPORT value (1 not supported, 3 or 5 supported).  0 or -EINVAL.
 */
int scsi_parse_rsoc_one(const uint8_t *b, size_t len, uint8_t *support);

/*
 * A command's outcome: 0 for GOOD, -EIO with *sense (if not NULL) filled
 * for CHECK CONDITION, -EBUSY for BUSY, -EPROTO for any other status.
 */
int scsi_status(const struct sgio_reply *r, struct scsi_sense *sense);

/* INQUIRY standard + VPD 0x80 + 0x83 into *id (missing VPD pages leave fields ""). 0 or -errno. */
int scsi_identify(int fd, struct scsi_ident *id);
/*
 * Ask whether SANITIZE with service action sa is supported: *supported 1/0.
 * -EOPNOTSUPP when the device does not implement the report itself
 * (then nobody knows until the command is tried).
 */
int scsi_sanitize_supported(int fd, enum scsi_sanitize_sa sa, int *supported);
/*
 * Send SANITIZE (destructive).  For overwrite, params/plen is the list from
 * scsi_sanitize_overwrite_params.  0 when accepted; -EIO with *sense when the
 * device refused; -errno of the transport.
 */
int scsi_sanitize(int fd, enum scsi_sanitize_sa sa, int immed, const uint8_t *params, size_t plen,
		  struct scsi_sense *sense);
/* REQUEST SENSE (fixed format) into *sense: 0 or -errno. */
int scsi_request_sense(int fd, struct scsi_sense *sense);

#endif
