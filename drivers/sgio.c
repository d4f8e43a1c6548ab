#include "drivers/sgio.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <scsi/sg.h>

/* the driver_status bits that say the device answered with sense: not a transport fault */
#define SGIO_DRIVER_SENSE 0x08

int sgio_run(int fd, const uint8_t *cdb, size_t cdb_len, enum sgio_dir dir, void *buf,
	     size_t len, unsigned timeout_ms, struct sgio_reply *r)
{
	struct sg_io_hdr io;
	int rc;

	memset(r, 0, sizeof(*r));
	if (cdb_len < 6 || cdb_len > 16 || len > SGIO_MAX_XFER || (dir == SGIO_NONE) != (len == 0) ||
	    (len && !buf))
		return -EINVAL;
	memset(&io, 0, sizeof(io));
	io.interface_id = 'S';
	io.dxfer_direction = dir == SGIO_FROM_DEV ? SG_DXFER_FROM_DEV :
			     dir == SGIO_TO_DEV ? SG_DXFER_TO_DEV : SG_DXFER_NONE;
	io.cmd_len = (unsigned char)cdb_len;
	io.cmdp = (unsigned char *)cdb;
	io.dxferp = buf;
	io.dxfer_len = (unsigned)len;
	io.mx_sb_len = sizeof(r->sense);
	io.sbp = r->sense;
	io.timeout = timeout_ms ? timeout_ms : 60000;
	do {
		rc = ioctl(fd, SG_IO, &io);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	r->status = io.status;
	r->host_status = io.host_status;
	r->driver_status = io.driver_status;
	r->sense_len = io.sb_len_wr > sizeof(r->sense) ? sizeof(r->sense) : io.sb_len_wr;
	r->resid = io.resid;
	r->duration_ms = io.duration;
	if (io.host_status || (io.driver_status & ~SGIO_DRIVER_SENSE))
		return -EIO;
	return 0;
}
