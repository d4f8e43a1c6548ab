/* scsi: CDBs byte by byte (SPC-5 6.7, 6.34, 6.39; SBC-4 5.30), sense and VPD parsers on captured-like data. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "drivers/scsi.h"
#include "tests/unit/tap.h"

static int bytes_are(const uint8_t *got, const uint8_t *want, size_t n)
{
	if (!memcmp(got, want, n))
		return 1;
	printf("#   got ");
	for (size_t i = 0; i < n; i++)
		printf("%02x ", got[i]);
	printf("\n");
	return 0;
}

int main(void)
{
	uint8_t cdb[16], p[16];
	struct scsi_sense s;
	struct scsi_ident id;
	struct sgio_reply rep;
	uint8_t support;
	size_t n;
	char words[160];

	scsi_inquiry_cdb(cdb, 0, 0, 96);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x12, 0, 0, 0, 0x60, 0 }, 6), "INQUIRY standard, 96 bytes");
	scsi_inquiry_cdb(cdb, 1, 0x80, 252);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x12, 0x01, 0x80, 0, 0xfc, 0 }, 6), "INQUIRY EVPD page 80h");
	scsi_inquiry_cdb(cdb, 1, 0x83, 0x1234);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x12, 0x01, 0x83, 0x12, 0x34, 0 }, 6), "INQUIRY page 83h, big-endian length");
	scsi_request_sense_cdb(cdb, 0, 64);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x03, 0, 0, 0, 0x40, 0 }, 6), "REQUEST SENSE, fixed format, 64 bytes");
	scsi_request_sense_cdb(cdb, 1, 252);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x03, 0x01, 0, 0, 0xfc, 0 }, 6), "REQUEST SENSE, DESC bit");

	CHECK_EQ_INT(scsi_sanitize_cdb(cdb, SCSI_SANITIZE_BLOCK_ERASE, 1, 0, 0), 0, "SANITIZE block erase");
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x48, 0x82, 0, 0, 0, 0, 0, 0, 0, 0 }, 10), "  IMMED bit 7, service action 02h");
	scsi_sanitize_cdb(cdb, SCSI_SANITIZE_CRYPTO_ERASE, 1, 1, 0);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x48, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0 }, 10), "crypto erase with AUSE bit 5");
	scsi_sanitize_cdb(cdb, SCSI_SANITIZE_EXIT_FAILURE, 0, 0, 0);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x48, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0 }, 10), "exit failure mode 1Fh, no IMMED");
	CHECK_EQ_INT(scsi_sanitize_cdb(cdb, SCSI_SANITIZE_OVERWRITE, 1, 0, 8), 0, "overwrite with an 8-byte list");
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0x48, 0x81, 0, 0, 0, 0, 0, 0, 0x08, 0 }, 10), "  parameter list length in bytes 7-8");
	CHECK_EQ_INT(scsi_sanitize_cdb(cdb, SCSI_SANITIZE_OVERWRITE, 1, 0, 0), -EINVAL, "overwrite without a list refused");
	CHECK_EQ_INT(scsi_sanitize_cdb(cdb, SCSI_SANITIZE_BLOCK_ERASE, 1, 0, 4), -EINVAL, "block erase with a list refused");
	CHECK_EQ_INT(scsi_sanitize_cdb(cdb, (enum scsi_sanitize_sa)0x04, 1, 0, 0), -EINVAL, "service action 04h refused");

	CHECK_EQ_INT(scsi_sanitize_overwrite_params(p, sizeof(p), 3, 1, (const uint8_t[]){ 0xde, 0xad, 0xbe, 0xef }, 4, &n), 0,
		     "overwrite parameter list");
	CHECK(n == 8 && bytes_are(p, (const uint8_t[]){ 0x83, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef }, 8),
	      "  INVERT bit 7, count 3, pattern length 4, pattern");
	CHECK_EQ_INT(scsi_sanitize_overwrite_params(p, sizeof(p), 0, 0, p, 4, &n), -EINVAL, "0 passes refused");
	CHECK_EQ_INT(scsi_sanitize_overwrite_params(p, sizeof(p), 32, 0, p, 4, &n), -EINVAL, "32 passes refused");
	CHECK_EQ_INT(scsi_sanitize_overwrite_params(p, sizeof(p), 1, 0, p, 13, &n), -EINVAL, "pattern beyond the buffer refused");
	CHECK_EQ_INT(scsi_sanitize_overwrite_params(p, sizeof(p), 1, 0, p, 0, &n), -EINVAL, "empty pattern refused");

	scsi_rsoc_cdb(cdb, 0x48, 1, 0x02, 64);
	CHECK(bytes_are(cdb, (const uint8_t[]){ 0xa3, 0x0c, 0x02, 0x48, 0x00, 0x02, 0, 0, 0, 0x40, 0, 0 }, 12),
	      "REPORT SUPPORTED OPERATION CODES for SANITIZE 02h");

	/* sense: SANITIZE in progress, half done, fixed format */
	{
		uint8_t f[18] = { 0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x1b, 0, 0x80, 0x80, 0x00 };
		CHECK_EQ_INT(scsi_parse_sense(f, sizeof(f), &s), 0, "fixed sense parses");
		CHECK(s.key == 2 && s.asc == 0x04 && s.ascq == 0x1b, "  NOT READY, sanitize in progress");
		CHECK(s.sksv && s.has_progress && s.progress == 0.5, "  SKSV, progress 8000h = half");
		scsi_sense_str(&s, words, sizeof(words));
		CHECK_STR(words, "not ready: logical unit not ready, sanitize in progress (asc 0x04 ascq 0x1b)", "  in words");
		f[15] = 0;
		scsi_parse_sense(f, sizeof(f), &s);
		CHECK(!s.has_progress, "  without SKSV no progress");
		CHECK_EQ_INT(scsi_parse_sense(f, 17, &s), -EINVAL, "additional length beyond the buffer refused");
		CHECK_EQ_INT(scsi_parse_sense(f, 7, &s), -EINVAL, "7 bytes refused");
		f[0] = 0x7e;
		CHECK_EQ_INT(scsi_parse_sense(f, sizeof(f), &s), -EINVAL, "unknown response code refused");
	}
	{
		uint8_t d[16] = { 0x72, 0x02, 0x04, 0x1b, 0, 0, 0, 8, 0x02, 0x06, 0, 0, 0x80, 0x40, 0x00, 0 };
		CHECK_EQ_INT(scsi_parse_sense(d, sizeof(d), &s), 0, "descriptor sense parses");
		CHECK(s.key == 2 && s.has_progress && s.progress == 0.25, "  sense key specific descriptor: a quarter");
		d[9] = 0x05;
		CHECK_EQ_INT(scsi_parse_sense(d, sizeof(d), &s), -EINVAL, "sense key specific descriptor of length 5 refused");
		d[9] = 0x06;
		d[7] = 9;
		CHECK_EQ_INT(scsi_parse_sense(d, sizeof(d), &s), -EINVAL, "descriptors overrunning their length refused");
		d[7] = 8;
		d[9] = 0x20;
		CHECK_EQ_INT(scsi_parse_sense(d, sizeof(d), &s), -EINVAL, "a descriptor longer than the sense refused");
	}

	/* INQUIRY and VPD, as QEMU's scsi-hd answers */
	{
		uint8_t q[36];
		memset(q, ' ', sizeof(q));
		q[0] = 0x00;
		q[1] = 0;
		q[2] = 5;
		q[3] = 2;
		q[4] = 31;
		memcpy(q + 8, "QEMU", 4);
		memcpy(q + 16, "QEMU HARDDISK", 13);
		memcpy(q + 32, "2.5+", 4);
		memset(&id, 0, sizeof(id));
		CHECK_EQ_INT(scsi_parse_inquiry(q, sizeof(q), &id), 0, "standard inquiry parses");
		CHECK(!strcmp(id.vendor, "QEMU") && !strcmp(id.product, "QEMU HARDDISK") && !strcmp(id.revision, "2.5+") &&
		      id.device_type == 0, "  vendor, product, revision, direct access");
		CHECK_EQ_INT(scsi_parse_inquiry(q, 35, &id), -EINVAL, "35 bytes refused");
		q[4] = 20;
		CHECK_EQ_INT(scsi_parse_inquiry(q, sizeof(q), &id), -EINVAL, "additional length too short for the strings refused");
	}
	{
		uint8_t v[12] = { 0x00, 0x80, 0x00, 0x08, 'S', 'C', 'S', 'I', '0', '0', '0', '1' };
		CHECK_EQ_INT(scsi_parse_vpd_serial(v, sizeof(v), &id), 0, "VPD 80h parses");
		CHECK_STR(id.serial, "SCSI0001", "  unit serial number");
		CHECK_EQ_INT(scsi_parse_vpd_serial(v, 11, &id), -EINVAL, "page length beyond the buffer refused");
		v[1] = 0x83;
		CHECK_EQ_INT(scsi_parse_vpd_serial(v, sizeof(v), &id), -EINVAL, "wrong page code refused");
		CHECK_EQ_INT(scsi_parse_vpd_serial(v, 3, &id), -EINVAL, "3 bytes refused");
	}
	{
		uint8_t v[] = { 0x00, 0x83, 0x00, 0x28,
				/* target port NAA (association 1): not the logical unit's */
				0x61, 0x93, 0x00, 0x08, 0x50, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				/* T10 vendor id, ASCII */
				0x02, 0x01, 0x00, 0x08, 'Q', 'E', 'M', 'U', ' ', ' ', ' ', ' ',
				/* logical unit NAA, binary */
				0x01, 0x03, 0x00, 0x08, 0x50, 0x00, 0xc5, 0x00, 0xa0, 0xb1, 0xc2, 0xd3,
				0x01, 0x03, 0x00, 0x00 };
		CHECK_EQ_INT(scsi_parse_vpd_devid(v, sizeof(v), &id), 0, "VPD 83h parses");
		CHECK_STR(id.wwn, "naa.5000c500a0b1c2d3", "  the logical unit's NAA, not the port's");
		CHECK_EQ_INT(scsi_parse_vpd_devid(v, sizeof(v) - 1, &id), -EINVAL, "page length beyond the buffer refused");
		v[31] = 0x40;
		CHECK_EQ_INT(scsi_parse_vpd_devid(v, sizeof(v), &id), -EINVAL, "designator overrunning the page refused");
		v[31] = 0x05;
		CHECK_EQ_INT(scsi_parse_vpd_devid(v, sizeof(v), &id), -EINVAL, "NAA of 5 bytes refused");
		v[1] = 0x80;
		CHECK_EQ_INT(scsi_parse_vpd_devid(v, sizeof(v), &id), -EINVAL, "wrong page code refused");
	}
	CHECK_EQ_INT(scsi_parse_rsoc_one((const uint8_t[]){ 0, 0x03, 0, 10, 0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0 }, 14, &support), 0,
		     "RSOC one-command data parses");
	CHECK_EQ_INT(support, 3, "  SUPPORT 011b: supported");
	CHECK_EQ_INT(scsi_parse_rsoc_one((const uint8_t[]){ 0, 0x01, 0, 0 }, 4, &support), 0, "SUPPORT 001b");
	CHECK_EQ_INT(support, 1, "  not supported");
	CHECK_EQ_INT(scsi_parse_rsoc_one((const uint8_t[]){ 0, 0x02, 0, 0 }, 4, &support), -EINVAL, "reserved SUPPORT 010b refused");
	CHECK_EQ_INT(scsi_parse_rsoc_one((const uint8_t[]){ 0, 0x03, 0, 10 }, 4, &support), -EINVAL, "CDB size beyond the buffer refused");

	memset(&rep, 0, sizeof(rep));
	CHECK_EQ_INT(scsi_status(&rep, &s), 0, "GOOD is 0");
	rep.status = SGIO_STATUS_CHECK_CONDITION;
	memcpy(rep.sense, (const uint8_t[]){ 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0 }, 18);
	rep.sense_len = 18;
	CHECK_EQ_INT(scsi_status(&rep, &s), -EIO, "CHECK CONDITION is -EIO");
	scsi_sense_str(&s, words, sizeof(words));
	CHECK_STR(words, "illegal request: invalid command operation code (asc 0x20 ascq 0x00)", "  with the sense in words");
	rep.sense_len = 3;
	CHECK_EQ_INT(scsi_status(&rep, &s), -EIO, "CHECK CONDITION with truncated sense is still -EIO");
	CHECK_EQ_INT(s.key, 0, "  and no invented sense key");
	rep.status = SGIO_STATUS_BUSY;
	CHECK_EQ_INT(scsi_status(&rep, &s), -EBUSY, "BUSY is -EBUSY");
	rep.status = 0x18;
	CHECK_EQ_INT(scsi_status(&rep, &s), -EPROTO, "RESERVATION CONFLICT is -EPROTO");
	CHECK_EQ_INT(sgio_run(-1, cdb, 5, SGIO_NONE, NULL, 0, 0, &rep), -EINVAL, "a 5-byte CDB refused");
	CHECK_EQ_INT(sgio_run(-1, cdb, 6, SGIO_FROM_DEV, NULL, 0, 0, &rep), -EINVAL, "a data-in without a buffer refused");
	CHECK_EQ_INT(sgio_run(-1, cdb, 6, SGIO_FROM_DEV, p, SGIO_MAX_XFER + 1, 0, &rep), -EINVAL, "a transfer above the cap refused");
	CHECK_EQ_INT(sgio_run(-1, cdb, 6, SGIO_NONE, NULL, 0, 0, &rep), -EBADF, "a bad descriptor is -EBADF");
	return tap_done();
}
