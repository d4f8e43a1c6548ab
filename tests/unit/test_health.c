/*
 * Health from the drive's own data (issue 13 item 2): byte strings built
 * from the spec layouts (ACS-4 7.48.5 SMART READ DATA and its attribute
 * table, NVMe 2.0 Base Figure 207 SMART / Health log, SPC-5 LOG SENSE
 * pages 00h, 0Dh, 2Fh, 03h, SBC-4 15h), the SMART command's taskfile and
 * CDB, and health_read on devices without a drive behind them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/ata.h"
#include "drivers/health.h"
#include "tests/unit/tap.h"

static void attr(uint8_t *b, unsigned slot, uint8_t id, uint8_t value, uint64_t raw)
{
	uint8_t *a = b + 2 + 12 * slot;

	a[0] = id;
	a[1] = 0x33;	/* flags: prefailure, online, ... */
	a[3] = value;
	a[4] = value - 1;
	for (unsigned i = 0; i < 6; i++)
		a[5 + i] = (uint8_t)(raw >> (8 * i));
}

static void checksum(uint8_t *b)
{
	uint8_t s = 0;

	for (unsigned i = 0; i < 511; i++)
		s = (uint8_t)(s + b[i]);
	b[511] = (uint8_t)(0x100 - s);
}

static void put_le(uint8_t *b, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

int main(void)
{
	uint8_t b[512], cdb[16], lp[64];
	struct ata_tf tf;
	struct health h;
	json_t *o;
	char *js;

	/* ---- ATA ---- */
	health_ata_smart_tf(&tf);
	CHECK(tf.command == 0xb0 && tf.feature == 0xd0 && tf.lba == 0xc24f00 && tf.count == 1 &&
	      tf.proto == ATA_PROTO_PIO_IN && !tf.ext, "smart read data: B0h/D0h, LBA 4Fh/C2h, one sector in");
	CHECK(ata_pt16_cdb(cdb, &tf) == 0 && cdb[0] == 0x85 && cdb[4] == 0xd0 && cdb[10] == 0x4f && cdb[12] == 0xc2 &&
	      cdb[14] == 0xb0, "  packed into ATA PASS-THROUGH(16): feature, lba mid/high, command");

	memset(b, 0, sizeof(b));
	b[0] = 0x10;	/* revision */
	attr(b, 0, 1, 100, 0);
	attr(b, 1, 5, 99, 12);
	attr(b, 2, 9, 90, 0x0000aa0000004e21ull);	/* 20001 hours, junk above bit 32 */
	attr(b, 3, 194, 64, 0x0000003c00120024ull);	/* 36 C now, min/max above */
	attr(b, 4, 197, 100, 3);
	attr(b, 5, 198, 100, 1);
	checksum(b);
	health_init(&h);
	CHECK_EQ_INT(health_parse_ata_smart(b, sizeof(b), &h), 0, "ata smart data parses");
	CHECK(h.available && !strcmp(h.source, "ata-smart") && h.nattrs == 6, "  available, 6 attributes");
	CHECK_EQ_INT(h.reallocated, 12, "  5 reallocated sectors");
	CHECK_EQ_INT(h.power_on_hours, 20001, "  9 power-on hours (low 32 bits)");
	CHECK_EQ_INT(h.temperature_c, 36, "  194 temperature (raw byte 0)");
	CHECK_EQ_INT(h.pending, 3, "  197 pending");
	CHECK_EQ_INT(h.uncorrectable, 1, "  198 uncorrectable");
	CHECK(h.attrs[1].id == 5 && h.attrs[1].value == 99 && h.attrs[1].worst == 98 && h.attrs[1].flags == 0x33,
	      "  value, worst and flags kept");
	CHECK(h.media_errors == -1 && h.percentage_used == -1, "  nvme fields stay unknown");
	b[100] ^= 1;
	CHECK_EQ_INT(health_parse_ata_smart(b, sizeof(b), &h), -EBADMSG, "a bad checksum is refused");
	CHECK_EQ_INT(health_parse_ata_smart(b, 511, &h), -EINVAL, "short data is refused");
	memset(b, 0, sizeof(b));
	checksum(b);
	health_init(&h);
	CHECK(health_parse_ata_smart(b, sizeof(b), &h) == 0 && h.nattrs == 0 && h.power_on_hours == -1 &&
	      h.temperature_c == HEALTH_TEMP_UNKNOWN, "an empty table: nothing known, nothing made up");

	/* ---- NVMe ---- */
	memset(b, 0, sizeof(b));
	b[0] = 0x04;			/* reliability degraded */
	put_le(b + 1, 310, 2);		/* 310 K = 37 C */
	b[3] = 97;			/* available spare */
	b[4] = 10;
	b[5] = 7;			/* percentage used */
	put_le(b + 128, 12345, 8);	/* power on hours */
	put_le(b + 144, 42, 8);		/* unsafe shutdowns */
	put_le(b + 160, 2, 8);		/* media errors */
	health_init(&h);
	CHECK_EQ_INT(health_parse_nvme_smart(b, sizeof(b), &h), 0, "nvme smart / health log parses");
	CHECK(h.available && !strcmp(h.source, "nvme-smart"), "  available");
	CHECK_EQ_INT(h.critical_warning, 4, "  critical warning");
	CHECK_EQ_INT(h.temperature_c, 37, "  composite temperature, kelvin to celsius");
	CHECK_EQ_INT(h.percentage_used, 7, "  percentage used");
	CHECK_EQ_INT(h.available_spare, 97, "  available spare");
	CHECK_EQ_INT(h.power_on_hours, 12345, "  power-on hours");
	CHECK_EQ_INT(h.unsafe_shutdowns, 42, "  unsafe shutdowns");
	CHECK_EQ_INT(h.media_errors, 2, "  media and data integrity errors");
	CHECK_EQ_INT(h.failure_predicted, 1, "  reliability degraded counts as a predicted failure");
	b[0] = 0x02;	/* temperature only */
	b[136] = 1;	/* power on hours above 64 bits: saturated */
	health_parse_nvme_smart(b, sizeof(b), &h);
	CHECK(h.failure_predicted == 0 && h.power_on_hours == INT64_MAX, "  a temperature warning alone is not; a 128-bit count saturates");
	CHECK_EQ_INT(health_parse_nvme_smart(b, 100, &h), -EINVAL, "a short log is refused");

	/* ---- SCSI ---- */
	CHECK(health_log_sense_cdb(cdb, 0x0d, 4096) == 0 && cdb[0] == 0x4d && cdb[2] == 0x4d && cdb[7] == 0x10 &&
	      cdb[8] == 0, "log sense (10): opcode 4Dh, PC 01b + page, allocation length");
	CHECK_EQ_INT(health_log_sense_cdb(cdb, 0x40, 4096), -EINVAL, "  a page code above 3Fh is refused");
	health_init(&h);
	memcpy(lp, (uint8_t[]){ 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x03, 0x0d, 0x15, 0x2f }, 10);
	CHECK(health_parse_scsi_supported(lp, 10, &h) == 0 && h.npages == 6 && h.pages[3] == 0x0d &&
	      h.pages[5] == 0x2f, "supported log pages: 6 listed");
	/* 0Dh: parameter 0000h (temperature 41 C), 0001h (reference 65 C) */
	memcpy(lp, (uint8_t[]){ 0x0d, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x03, 0x02, 0x00, 41, 0x00, 0x01, 0x03, 0x02,
				 0x00, 65 }, 16);
	CHECK(health_parse_scsi_page(lp, 16, &h) == 0 && h.temperature_c == 41, "temperature page: 41 C");
	/* 2Fh: ASC 5Dh ASCQ 10h, temperature 40 */
	memcpy(lp, (uint8_t[]){ 0x2f, 0x00, 0x00, 0x07, 0x00, 0x00, 0x03, 0x03, 0x5d, 0x10, 40 }, 11);
	CHECK(health_parse_scsi_page(lp, 11, &h) == 0 && h.failure_predicted == 1 && h.ie_asc == 0x5d &&
	      h.temperature_c == 41, "informational exceptions: failure predicted (5Dh), temperature kept");
	/* 03h: 0006h total uncorrected = 3 (2 bytes) */
	memcpy(lp, (uint8_t[]){ 0x03, 0x00, 0x00, 0x06, 0x00, 0x06, 0x02, 0x02, 0x00, 0x03 }, 10);
	CHECK(health_parse_scsi_page(lp, 10, &h) == 0 && h.uncorrectable == 3, "read error counters: 3 uncorrected");
	/* 15h: accumulated power on minutes 60000 = 1000 h */
	memcpy(lp, (uint8_t[]){ 0x15, 0x00, 0x00, 0x10, 0x00, 0x00, 0x03, 0x0c, 0x00, 0x00, 0xea, 0x60, 0, 0, 0, 0,
				 0, 0, 0, 0 }, 20);
	CHECK(health_parse_scsi_page(lp, 20, &h) == 0 && h.power_on_hours == 1000, "background scan: 1000 power-on hours");
	memcpy(lp, (uint8_t[]){ 0x0d, 0x00, 0x00, 0x08, 0x00, 0x00, 0x03, 0x20, 0x00, 41 }, 10);
	CHECK_EQ_INT(health_parse_scsi_page(lp, 10, &h), -EINVAL, "a parameter longer than its page is refused");

	/* ---- JSON and health_read ---- */
	health_init(&h);
	health_parse_nvme_smart(b, sizeof(b), &h);
	o = health_to_json(&h);
	js = o ? json_dumps(o, JSON_SORT_KEYS) : NULL;
	CHECK(js && strstr(js, "\"available\": true") && strstr(js, "\"media_errors\": 2") &&
	      strstr(js, "\"reallocated_sectors\": null"), "json: known numbers, unknown as null");
	free(js);
	json_decref(o);
	CHECK_EQ_INT(health_read("/nonexistent/sz", &h), -ENOENT, "health_read of a missing path: -ENOENT");
	{
		const char *loop = getenv("SZ_TEST_LOOP");

		if (loop && !strncmp(loop, "/dev/loop", 9)) {
			CHECK(health_read(loop, &h) == 0 && !h.available && strstr(h.why, "loop device"),
			      "health_read of %s: not available, no error (%s)", loop, h.why);
		} else if (access("/dev/loop0", F_OK) == 0) {
			CHECK(health_read("/dev/loop0", &h) == 0 && !h.available && strstr(h.why, "loop device"),
			      "health_read of /dev/loop0: not available, no error (%s)", h.why);
		}
	}
	health_init(&h);
	o = health_to_json(&h);
	js = o ? json_dumps(o, JSON_SORT_KEYS) : NULL;
	CHECK(js && strstr(js, "\"available\": false") && !strstr(js, "power_on_hours"),
	      "json of not available: no numbers at all");
	free(js);
	json_decref(o);
	return tap_done();
}
