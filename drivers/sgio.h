/*
 * sgio — one wrapper around the SG_IO ioctl (scsi/sg.h) shared by the ATA
 * pass-through and SCSI command modules.  It only moves a CDB, a data
 * buffer and the sense data; it knows nothing of what the CDB means.
 *
 * The descriptor may be a block device (/dev/sdb) or an sg node
 * (/dev/sg2); the kernel accepts SG_IO on both (CAP_SYS_RAWIO for commands
 * outside its read-only list).
 */
#ifndef SZ_SGIO_H
#define SZ_SGIO_H
#include <stddef.h>
#include <stdint.h>

#define SGIO_SENSE_MAX 64
#define SGIO_MAX_XFER (64u << 10)	/* nothing here moves more than a few pages */

enum sgio_dir { SGIO_NONE, SGIO_FROM_DEV, SGIO_TO_DEV };

/* SAM-5 status codes seen here. */
#define SGIO_STATUS_GOOD 0x00
#define SGIO_STATUS_CHECK_CONDITION 0x02
#define SGIO_STATUS_BUSY 0x08

struct sgio_reply {
	uint8_t status;			/* SCSI status */
	uint16_t host_status, driver_status;
	uint8_t sense[SGIO_SENSE_MAX];
	uint8_t sense_len;		/* bytes of sense the device returned */
	int32_t resid;			/* bytes not transferred */
	unsigned duration_ms;
};

/*
 * Send cdb (6..16 bytes) to fd and move len bytes of buf in direction dir
 * (len 0 and buf NULL for SGIO_NONE; len at most SGIO_MAX_XFER).
 * timeout_ms 0 means 60 s.  Returns 0 when the command reached the device
 * and came back (the SCSI status, possibly CHECK CONDITION, is in *r),
 * -EIO when the host or driver reported a transport failure (r has the
 * codes), -EINVAL for bad arguments, or -errno of ioctl(2).
 */
int sgio_run(int fd, const uint8_t *cdb, size_t cdb_len, enum sgio_dir dir, void *buf,
	     size_t len, unsigned timeout_ms, struct sgio_reply *r);

#endif
