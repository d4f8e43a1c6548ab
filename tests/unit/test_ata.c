/*
 * ata: ATA PASS-THROUGH(16) CDBs byte by byte (SAT-4 12.2.2) for every
 * command, the Status Return descriptor, IDENTIFY DEVICE / DCO parsing,
 * SANITIZE STATUS and HPA/DCO hidden sectors, on captured-like data.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "drivers/ata.h"
#include "drivers/purge.h"
#include "tests/unit/tap.h"

static int cdb_is(const uint8_t *got, const uint8_t *want)
{
	if (!memcmp(got, want, 16))
		return 1;
	printf("#   got ");
	for (int i = 0; i < 16; i++)
		printf("%02x ", got[i]);
	printf("\n#  want ");
	for (int i = 0; i < 16; i++)
		printf("%02x ", want[i]);
	printf("\n");
	return 0;
}

static void setw(uint8_t *b, unsigned i, uint16_t v) { b[2 * i] = (uint8_t)v; b[2 * i + 1] = (uint8_t)(v >> 8); }

/* an ATA string: space padded, two characters per word, the first in the high byte */
static void setstr(uint8_t *b, unsigned first, unsigned nwords, const char *s)
{
	char tmp[64];

	memset(tmp, ' ', sizeof(tmp));
	memcpy(tmp, s, strlen(s));
	for (unsigned k = 0; k < nwords; k++)
		setw(b, first + k, (uint16_t)((uint8_t)tmp[2 * k] << 8 | (uint8_t)tmp[2 * k + 1]));
}

static void checksum(uint8_t *b)
{
	uint8_t sum = 0;

	b[510] = 0xa5;
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + b[i]);
	b[511] = (uint8_t)-sum;
}

static void identify(uint8_t *b)
{
	memset(b, 0, 512);
	setw(b, 0, 0x0040);
	setstr(b, 10, 10, "S123");
	setstr(b, 23, 4, "2.5+");
	setstr(b, 27, 20, "QEMU HARDDISK");
	setw(b, 59, 0xb000);		/* sanitize, crypto scramble, block erase */
	setw(b, 60, 0xffff);
	setw(b, 61, 0x0fff);
	setw(b, 82, 0x0400);		/* HPA supported */
	setw(b, 83, 0x4400);		/* valid, 48-bit */
	setw(b, 84, 0x4000);
	setw(b, 85, 0x0400);		/* HPA enabled */
	setw(b, 89, 30);		/* 60 minutes */
	setw(b, 90, 0x8000 | 100);	/* 200 minutes, extended format */
	setw(b, 100, 0x4240);		/* 1,000,000 sectors */
	setw(b, 101, 0x000f);
	setw(b, 128, 0x0029);		/* supported, frozen, enhanced */
	setw(b, 217, 1);		/* non-rotating */
	checksum(b);
}

int main(void)
{
	struct ata_tf tf;
	struct ata_regs r;
	struct ata_info a;
	struct ata_hidden h;
	struct ata_sanitize_status ss;
	uint8_t cdb[16], b[512], data[512];
	uint64_t dco;

	ata_identify_tf(&tf);
	CHECK_EQ_INT(ata_pt16_cdb(cdb, &tf), 0, "identify device packs");
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x08, 0x0e, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xec, 0 }),
	      "IDENTIFY: PIO data-in (4<<1), T_DIR|BYT_BLOK|T_LENGTH=count, count 1, command ECh");

	ata_read_native_max_tf(&tf);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x27, 0 }),
	      "READ NATIVE MAX ADDRESS EXT: non-data, EXTEND, CK_COND, device 40h, command 27h");

	ata_dco_identify_tf(&tf);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x08, 0x0e, 0, 0xc2, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xb1, 0 }),
	      "DCO IDENTIFY: feature C2h, command B1h, one sector in");

	CHECK_EQ_INT(ata_sanitize_tf(&tf, ATA_SANITIZE_CRYPTO, 0, 0, 0), 0, "sanitize crypto scramble");
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x07, 0x20, 0, 0x11, 0, 0, 0x43, 0x70, 0, 0x79, 0, 0x72, 0, 0xb4, 0 }),
	      "CRYPTO SCRAMBLE EXT: feature 0011h, key 43727970h (\"Cryp\") in LBA 31:0");
	ata_sanitize_tf(&tf, ATA_SANITIZE_BLOCK, 0, 0, 0);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x07, 0x20, 0, 0x12, 0, 0, 0x42, 0x72, 0, 0x45, 0, 0x6b, 0, 0xb4, 0 }),
	      "BLOCK ERASE EXT: feature 0012h, key 426B4572h (\"BkEr\")");
	CHECK_EQ_INT(ata_sanitize_tf(&tf, ATA_SANITIZE_OVERWRITE, 3, 0x11223344, 1), 0, "sanitize overwrite");
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x07, 0x20, 0, 0x14, 0, 0x83, 0x11, 0x44, 0x57, 0x33, 0x4f, 0x22, 0, 0xb4, 0 }),
	      "OVERWRITE EXT: count 83h (invert, 3 passes), key 4F57h in LBA 47:32, pattern in 31:0");
	ata_sanitize_tf(&tf, ATA_SANITIZE_OVERWRITE, 16, 0, 0);
	CHECK_EQ_INT(tf.count, 0, "  16 passes encode as 0");
	CHECK_EQ_INT(ata_sanitize_tf(&tf, ATA_SANITIZE_OVERWRITE, 0, 0, 0), -EINVAL, "  0 passes refused");
	CHECK_EQ_INT(ata_sanitize_tf(&tf, ATA_SANITIZE_OVERWRITE, 17, 0, 0), -EINVAL, "  17 passes refused");
	CHECK_EQ_INT(ata_sanitize_tf(&tf, 0x0013, 0, 0, 0), -EINVAL, "unknown sanitize feature refused");
	ata_sanitize_tf(&tf, ATA_SANITIZE_STATUS, 0, 0, 0);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb4, 0 }),
	      "SANITIZE STATUS EXT: feature 0000h");

	ata_security_tf(&tf, ATA_CMD_SEC_SET_PASS);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x0a, 0x06, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xf1, 0 }),
	      "SECURITY SET PASSWORD: PIO data-out (5<<1), BYT_BLOK|T_LENGTH=count, command F1h");
	ata_security_tf(&tf, ATA_CMD_SEC_ERASE_PREPARE);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x06, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf3, 0 }),
	      "SECURITY ERASE PREPARE: non-data, command F3h");
	ata_security_tf(&tf, ATA_CMD_SEC_ERASE_UNIT);
	ata_pt16_cdb(cdb, &tf);
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x0a, 0x06, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xf4, 0 }),
	      "SECURITY ERASE UNIT: PIO data-out, command F4h");
	ata_security_tf(&tf, ATA_CMD_SEC_DISABLE_PASS);
	ata_pt16_cdb(cdb, &tf);
	CHECK_EQ_INT(cdb[14], 0xf6, "SECURITY DISABLE PASSWORD: command F6h");

	ata_security_data(data, "abc", 0);
	CHECK(data[0] == 0 && data[1] == 0 && !memcmp(data + 2, "abc", 3) && data[5] == 0 && data[34] == 0,
	      "security data: user password in words 1-16, zero padded");
	ata_security_data(data, "0123456789abcdef0123456789abcdefXYZ", 1);
	CHECK(data[0] == 0x02 && data[33] == 'f' && data[34] == 0, "  enhanced bit 1 of word 0; 32 bytes at most");

	memset(&tf, 0, sizeof(tf));
	tf.proto = ATA_PROTO_NON_DATA;
	tf.command = 0x40;
	tf.lba = 0x0fffffff;
	tf.device = 0x40;
	CHECK_EQ_INT(ata_pt16_cdb(cdb, &tf), 0, "28-bit command");
	CHECK(cdb[13] == 0x4f && cdb[12] == 0xff && cdb[7] == 0 && cdb[1] == 0x06, "  LBA 27:24 in DEVICE, no EXTEND");
	tf.lba = 0x10000000;
	CHECK_EQ_INT(ata_pt16_cdb(cdb, &tf), -EINVAL, "  a 29-bit LBA refused");
	tf.ext = 1;
	tf.lba = 1ull << 48;
	CHECK_EQ_INT(ata_pt16_cdb(cdb, &tf), -EINVAL, "a 49-bit LBA refused");

	/* Status Return descriptor (SAT-4 12.2.2.6): READ NATIVE MAX of a drive with 1,048,576 sectors */
	{
		uint8_t s[22] = { 0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14,
				  0x09, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0xff, 0x00, 0x0f, 0x40, 0x50 };
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), 0, "status return descriptor parses");
		CHECK_EQ_INT(r.lba, 0x0fffff, "  48-bit LBA reassembled");
		CHECK(r.status == 0x50 && r.device == 0x40 && r.ext && r.valid, "  status, device, extend");
		CHECK_EQ_INT(ata_regs_from_sense(s, 20, &r), -EINVAL, "  additional length beyond the buffer refused");
		s[9] = 0x0b;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -EINVAL, "  a descriptor of the wrong length refused");
		s[9] = 0x0c;
		s[8] = 0x02;
		s[9] = 0x0c;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -ENOENT, "  no type 09h descriptor: -ENOENT");
	}
	{
		/* fixed format as libata builds it for a failed command: ABORTED COMMAND, regs in INFORMATION */
		uint8_t s[18] = { 0x70, 0, 0x0b, 0x04, 0x51, 0x40, 0x00, 10, 0, 0, 0, 0, 0x00, 0x00, 0, 0, 0, 0 };
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), 0, "fixed-format registers of an aborted command");
		CHECK(r.error == 0x04 && r.status == 0x51, "  error ABRT, status ERR");
		s[4] = 0x50;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -ENOENT, "  no ERR in the status byte: not registers");
		s[2] = 0x01;
		s[13] = 0x1d;
		s[8] = 0x80;
		s[9] = 0x34;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), 0, "fixed format with ATA information available");
		CHECK(r.lba == 0x34 && r.ext, "  LBA 7:0 and EXTEND");
		s[8] = 0xa0;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -ERANGE, "  upper LBA bytes not in fixed format: -ERANGE");
		s[2] = 0x05;
		s[12] = 0x20;
		s[13] = 0x00;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -ENOENT, "ILLEGAL REQUEST: no registers");
		s[7] = 40;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -EINVAL, "fixed sense longer than its buffer refused");
		CHECK_EQ_INT(ata_regs_from_sense(s, 7, &r), -EINVAL, "7 bytes of sense refused");
		s[0] = 0x7f;
		CHECK_EQ_INT(ata_regs_from_sense(s, sizeof(s), &r), -EINVAL, "unknown response code refused");
	}

	/* issue 10 item 4: ACS-3 7.4.2 GET NATIVE MAX ADDRESS EXT, 78h / FEATURE 0000h, 48-bit, registers back */
	{
		struct ata_tf t2;

		ata_get_native_max_tf(&t2);
		CHECK_EQ_INT(ata_pt16_cdb(cdb, &t2), 0, "get native max address ext packs");
	}
	CHECK(cdb_is(cdb, (const uint8_t[16]){ 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x78, 0 }),
	      "  85h, non-data 48-bit, CK_COND, feature 0000h, device 40h, command 78h");
	identify(b);
	setw(b, 119, 0x4100);		/* valid (01b in 15:14), bit 8: Accessible Max Address Configuration */
	checksum(b);
	CHECK(ata_parse_identify(b, 512, &a) == 0 && a.ama_supported, "identify word 119 bit 8: ama supported");
	setw(b, 119, 0x0100);		/* bit 8 without the validity bits */
	checksum(b);
	CHECK(ata_parse_identify(b, 512, &a) == 0 && !a.ama_supported, "  not when word 119 is not valid");

	/* IDENTIFY DEVICE */
	identify(b);
	CHECK_EQ_INT(ata_parse_identify(b, 512, &a), 0, "identify device parses");
	CHECK_STR(a.serial, "S123", "  serial from words 10-19, byte-swapped, trimmed");
	CHECK_STR(a.model, "QEMU HARDDISK", "  model from words 27-46");
	CHECK_STR(a.firmware, "2.5+", "  firmware from words 23-26");
	CHECK(a.lba48, "  48-bit (word 83 bit 10)");
	CHECK_EQ_INT(a.sectors, 1000000, "  sectors from words 100-103");
	CHECK(a.sanitize && a.sanitize_crypto && a.sanitize_block && !a.sanitize_overwrite,
	      "  word 59: sanitize, crypto, block, no overwrite");
	CHECK(a.sec_supported && a.sec_frozen && a.sec_enhanced && !a.sec_enabled && !a.sec_locked,
	      "  word 128: supported, frozen, enhanced");
	CHECK_EQ_INT(a.erase_minutes, 60, "  word 89: 30 units of 2 minutes");
	CHECK_EQ_INT(a.enhanced_erase_minutes, 200, "  word 90: extended format");
	CHECK(a.hpa_supported && a.hpa_enabled && !a.dco_supported, "  HPA words 82/85");
	CHECK_EQ_INT(a.rotational, 0, "  word 217 = 1: solid state");
	CHECK_EQ_INT(a.logical_sector_size, 512, "  512-byte sectors by default");
	CHECK_EQ_INT(ata_parse_identify(b, 511, &a), -EINVAL, "truncated identify refused");
	b[20] ^= 1;
	CHECK_EQ_INT(ata_parse_identify(b, 512, &a), -EINVAL, "bad integrity checksum refused");
	identify(b);
	setw(b, 0, 0x8580);
	checksum(b);
	CHECK_EQ_INT(ata_parse_identify(b, 512, &a), -EINVAL, "ATAPI device (word 0 bit 15) refused");
	identify(b);
	setw(b, 10, 0x0753);
	checksum(b);
	CHECK_EQ_INT(ata_parse_identify(b, 512, &a), -EINVAL, "control byte in the serial refused");
	identify(b);
	setw(b, 83, 0x4000);
	setw(b, 60, 0x2000);
	setw(b, 61, 0);
	checksum(b);
	ata_parse_identify(b, 512, &a);
	CHECK(!a.lba48 && a.sectors == 0x2000, "28-bit drive: sectors from words 60-61");
	identify(b);
	setw(b, 106, 0x5000);
	setw(b, 117, 2048);
	checksum(b);
	ata_parse_identify(b, 512, &a);
	CHECK_EQ_INT(a.logical_sector_size, 4096, "words 106/117-118: 4096-byte logical sectors");
	setw(b, 117, 100);
	checksum(b);
	CHECK_EQ_INT(ata_parse_identify(b, 512, &a), -EINVAL, "a 200-byte logical sector refused");
	identify(b);
	setw(b, 255, 0);
	setw(b, 128, 0x0007);
	ata_parse_identify(b, 512, &a);
	CHECK(a.sec_enabled && a.sec_locked, "no integrity word: not checked; security enabled and locked");

	CHECK_EQ_INT(ata_erase_minutes(0), 0, "erase time 0: not given");
	CHECK_EQ_INT(ata_erase_minutes(255), 510, "erase time 255: more than 508 minutes");
	CHECK_EQ_INT(ata_erase_minutes(0x8000 | 0x7fff), 65534, "erase time extended maximum");

	/* HPA/DCO: current max (IDENTIFY) below native max (READ NATIVE MAX) */
	identify(b);
	ata_parse_identify(b, 512, &a);
	{
		uint8_t s[22] = { 0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14,
				  0x09, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0xff, 0x00, 0x0f, 0x40, 0x50 };
		ata_regs_from_sense(s, sizeof(s), &r);
		CHECK_EQ_INT(ata_hidden_compute(a.sectors, r.valid, r.lba, 0, 0, &h), 0, "hpa from identify and native max");
		CHECK_EQ_INT(h.native_sectors, 1048576, "  native sectors = max LBA + 1");
		CHECK_EQ_INT(h.hpa_hidden, 48576, "  48576 sectors hidden by the HPA");
		CHECK_EQ_INT(h.dco_hidden, 0, "  no DCO information");
	}
	memset(b, 0, 512);
	setw(b, 0, 0x0002);
	setw(b, 3, 0xffff);
	setw(b, 4, 0x001f);		/* max LBA 2,097,151 */
	checksum(b);
	CHECK_EQ_INT(ata_parse_dco(b, 512, &dco), 0, "DCO IDENTIFY parses");
	CHECK_EQ_INT(dco, 2097151, "  maximum LBA from words 3-6");
	CHECK_EQ_INT(ata_hidden_compute(1000000, 1, 1048575, 1, dco, &h), 0, "hpa and dco together");
	CHECK(h.hpa_hidden == 48576 && h.dco_hidden == 1048576, "  dco hides 1048576 more");
	CHECK_EQ_INT(ata_hidden_compute(1000000, 0, 0, 1, dco, &h), 0, "dco without native max");
	CHECK_EQ_INT(h.dco_hidden, 1097152, "  measured from the current max");
	CHECK_EQ_INT(ata_hidden_compute(1000000, 1, 999998, 0, 0, &h), -EINVAL, "native max below current refused");
	CHECK_EQ_INT(ata_hidden_compute(1000000, 1, 1048575, 1, 5, &h), -EINVAL, "dco max below native refused");
	CHECK_EQ_INT(ata_hidden_compute(1000000, 1, 999999, 0, 0, &h), 0, "no hpa");
	CHECK_EQ_INT(h.hpa_hidden, 0, "  nothing hidden");
	b[40] ^= 1;
	CHECK_EQ_INT(ata_parse_dco(b, 512, &dco), -EINVAL, "DCO with a bad checksum refused");
	CHECK_EQ_INT(ata_parse_dco(b, 100, &dco), -EINVAL, "truncated DCO refused");
	memset(b, 0, 512);
	CHECK_EQ_INT(ata_parse_dco(b, 512, &dco), -EINVAL, "DCO revision 0 refused");

	/* SANITIZE STATUS EXT outputs */
	memset(&r, 0, sizeof(r));
	r.status = 0x50;
	r.count = 0x8000;
	CHECK_EQ_INT(ata_parse_sanitize_status(&r, &ss), 0, "sanitize status: completed");
	CHECK(ss.completed && !ss.in_progress, "  count bit 15");
	r.count = 0x4000;
	r.lba = 0x4000;
	ata_parse_sanitize_status(&r, &ss);
	CHECK(ss.in_progress && ss.progress == 0.25, "  in progress, a quarter done (LBA 15:0)");
	r.count = 0x2000;
	ata_parse_sanitize_status(&r, &ss);
	CHECK(ss.frozen && !ss.completed, "  frozen (count bit 13)");
	r.count = 0xc000;
	CHECK_EQ_INT(ata_parse_sanitize_status(&r, &ss), -EINVAL, "completed and in progress at once refused");
	r.count = 0x8000;
	r.status = 0x51;
	r.lba = 0x01;
	CHECK_EQ_INT(ata_parse_sanitize_status(&r, &ss), 0, "an aborted status command: the error outputs");
	CHECK(ss.aborted && ss.reason == ATA_SANITIZE_REASON_FAILED && !ss.completed,
	      "  aborted, reason from LBA 7:0 (ACS-4 7.47.9), not completed");
	CHECK_STR(ata_sanitize_reason_str(1), "the last sanitize operation completed unsuccessfully", "  reason 1 in words");
	CHECK_STR(ata_sanitize_reason_str(3), "the device is in the sanitize frozen state", "  reason 3 in words");
	CHECK_STR(ata_sanitize_reason_str(0x77), "unknown reason", "  a reserved reason");
	r.status = 0xd0;
	CHECK_EQ_INT(ata_parse_sanitize_status(&r, &ss), -EINVAL, "BSY refused");

	/*
	 * issue 10 item 3: SANITIZE STATUS EXT answered in fixed-format sense
	 * (SAT-4 12.2.2.7; libata's default).  Built from the layout: byte 0
	 * 70h, byte 2 sense key RECOVERED ERROR, INFORMATION bytes 3-6 =
	 * ERROR, STATUS, DEVICE, COUNT 7:0, byte 7 additional length 0Ah,
	 * COMMAND-SPECIFIC INFORMATION byte 8 = EXTEND 80h | COUNT UPPER
	 * NONZERO 40h | LBA UPPER NONZERO 20h, bytes 9-11 = LBA 7:0, 15:8,
	 * 23:16, ASC/ASCQ 00h/1Dh ATA PASS-THROUGH INFORMATION AVAILABLE.
	 */
	{
		/* a sanitize a quarter done: COUNT 4000h (bit 14 in progress) does not fit; LBA 15:0 = 4000h does */
		static const uint8_t running[18] = { 0x70, 0, 0x01, 0x00, 0x50, 0x40, 0x00, 0x0a,
						     0xc0, 0x00, 0x40, 0x00, 0x00, 0x1d, 0, 0, 0, 0 };
		/* finished: COUNT 8000h (bit 15), progress FFFFh */
		static const uint8_t done[18] = { 0x70, 0, 0x01, 0x00, 0x50, 0x40, 0x00, 0x0a,
						  0xc0, 0xff, 0xff, 0x00, 0x00, 0x1d, 0, 0, 0, 0 };
		/* the drive never sanitized, not frozen: COUNT 0000h, the flag says so */
		static const uint8_t idle[18] = { 0x70, 0, 0x01, 0x00, 0x50, 0x40, 0x00, 0x0a,
						  0x80, 0xff, 0xff, 0x00, 0x00, 0x1d, 0, 0, 0, 0 };
		/* aborted: ABORTED COMMAND, STATUS 51h ERR, ERROR 04h ABRT, LBA 7:0 = 01h "completed unsuccessfully" */
		static const uint8_t failed[18] = { 0x70, 0, 0x0b, 0x04, 0x51, 0x40, 0x00, 0x0a,
						    0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
		/* descriptor format of the same running sanitize: COUNT 15:8 = 40h is there */
		static const uint8_t running_desc[22] = { 0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14,
							  0x09, 0x0c, 0x01, 0x00, 0x40, 0x00, 0x00, 0x00,
							  0x00, 0x40, 0x00, 0x00, 0x40, 0x50 };
		/* READ NATIVE MAX ADDRESS EXT of a 4 TB drive: LBA 1D1C0BEAFh does not fit in 23:0 */
		static const uint8_t native[18] = { 0x70, 0, 0x01, 0x00, 0x50, 0x40, 0x00, 0x0a,
						    0xa0, 0xaf, 0xbe, 0xc0, 0x00, 0x1d, 0, 0, 0, 0 };
		char why[256], msg[256];
		int frozen = -1;

		CHECK_EQ_INT(ata_regs_from_sense(running, sizeof(running), &r), -ERANGE,
			     "fixed format, sanitize running: COUNT 15:8 cannot be carried (-ERANGE)");
		CHECK(r.valid && r.fixed && r.count_hi_unknown && !r.lba_hi_unknown && r.lba == 0x4000,
		      "  registers valid, fixed, COUNT UPPER NONZERO, LBA 23:0 = 4000h");
		CHECK_EQ_INT(ata_parse_sanitize_status(&r, &ss), 0, "  parses as a status");
		CHECK(ss.flags_unknown && !ss.in_progress && !ss.completed && !ss.frozen && ss.progress_raw == 0x4000,
		      "  the state bits are unknown, not zero; progress 4000h");
		CHECK_EQ_INT(purge_ata_sanitize_decide(&ss, msg, sizeof(msg)), 1,
			     "  a running sanitize is still running, not failed at the first poll");
		CHECK_EQ_INT(ata_regs_from_sense(running_desc, sizeof(running_desc), &r), 0, "descriptor format, same state");
		ata_parse_sanitize_status(&r, &ss);
		CHECK(ss.in_progress && !ss.flags_unknown && ss.progress == 0.25, "  in progress, a quarter done");
		CHECK_EQ_INT(purge_ata_sanitize_decide(&ss, msg, sizeof(msg)), 1, "  running");
		r.count = 0x8000;
		r.lba = 0xffff;
		ata_parse_sanitize_status(&r, &ss);
		CHECK_EQ_INT(purge_ata_sanitize_decide(&ss, msg, sizeof(msg)), 0, "descriptor format, bit 15: completed");
		r.count = 0x0000;
		ata_parse_sanitize_status(&r, &ss);
		CHECK_EQ_INT(purge_ata_sanitize_decide(&ss, msg, sizeof(msg)), -EPROTO,
			     "neither in progress nor completed: not a success");

		ata_regs_from_sense(done, sizeof(done), &r);
		ata_parse_sanitize_status(&r, &ss);
		CHECK_EQ_INT(purge_ata_sanitize_decide(&ss, msg, sizeof(msg)), -EPROTO,
			     "fixed format, progress FFFFh, COUNT 15:8 hidden: completion is not assumed");
		CHECK(strstr(msg, "COUNT 15:8") != NULL, "  saying why");

		CHECK_EQ_INT(ata_regs_from_sense(failed, sizeof(failed), &r), 0, "fixed format, aborted: registers");
		CHECK_EQ_INT(ata_parse_sanitize_status(&r, &ss), 0, "  the error outputs parse");
		CHECK(ss.aborted && ss.reason == 1, "  aborted, reason 01h from LBA 7:0");
		CHECK_EQ_INT(purge_ata_sanitize_decide(&ss, msg, sizeof(msg)), -EIO, "  the sanitize failed");
		CHECK_STR(msg, "the drive reports the sanitize failed: the last sanitize operation completed unsuccessfully "
			  "(reason 0x01)", "  with the reason in words");
		CHECK_EQ_INT(purge_ata_sanitize_precheck(0, &ss, &frozen, why, sizeof(why)), 0,
			     "  before a sanitize: a failed one (SD3) is not the frozen state: allowed");
		CHECK_EQ_INT(frozen, 0, "  not frozen");

		/* the frozen pre-check */
		ata_regs_from_sense(running, sizeof(running), &r);
		ata_parse_sanitize_status(&r, &ss);
		CHECK_EQ_INT(purge_ata_sanitize_precheck(0, &ss, &frozen, why, sizeof(why)), -1,
			     "pre-check with COUNT 15:8 hidden: not \"not frozen\"");
		CHECK(strstr(why, "frozen state is unknown") && strstr(why, "D_SENSE"), "  why, and the remedy");
		CHECK_EQ_INT(ata_regs_from_sense(idle, sizeof(idle), &r), 0, "fixed format, flags clear: COUNT known 0");
		ata_parse_sanitize_status(&r, &ss);
		CHECK(!ss.flags_unknown && ss.fixed && !ss.frozen, "  not frozen");
		CHECK_EQ_INT(purge_ata_sanitize_precheck(0, &ss, &frozen, why, sizeof(why)), -1,
			     "  still refused: completion could not be confirmed through this path");
		CHECK(strstr(why, "completion could not be confirmed") != NULL, "  saying so");
		CHECK_EQ_INT(purge_ata_sanitize_precheck(-EIO, &ss, &frozen, why, sizeof(why)), -1,
			     "a failed status command: unknown, not \"not frozen\"");
		ata_regs_from_sense(running_desc, sizeof(running_desc), &r);
		r.count = 0x2000;
		ata_parse_sanitize_status(&r, &ss);
		CHECK_EQ_INT(purge_ata_sanitize_precheck(0, &ss, &frozen, why, sizeof(why)), 0, "descriptor format: known");
		CHECK_EQ_INT(frozen, 1, "  frozen (bit 13)");
		r.count = 0x0000;
		ata_parse_sanitize_status(&r, &ss);
		purge_ata_sanitize_precheck(0, &ss, &frozen, why, sizeof(why));
		CHECK(frozen == 0 && why[0] == 0, "  idle: not frozen, nothing unknown");

		CHECK_EQ_INT(ata_regs_from_sense(native, sizeof(native), &r), -ERANGE,
			     "fixed format, a native max above 2^24: -ERANGE");
		CHECK(r.lba_hi_unknown && !r.count_hi_unknown && r.lba == 0xc0beaf, "  LBA UPPER NONZERO, only 23:0 known");
	}

	CHECK_EQ_INT(ata_exec(-1, &tf, NULL, 0, 1000, &r, (char[64]){ 0 }, 64), -EINVAL,
		     "a non-data command with a 49-bit LBA is refused before any I/O");
	ata_identify_tf(&tf);
	CHECK_EQ_INT(ata_exec(-1, &tf, data, 100, 1000, &r, (char[64]){ 0 }, 64), -EINVAL,
		     "a PIO transfer that is not count sectors refused");
	CHECK_EQ_INT(ata_exec(-1, &tf, data, 512, 1000, &r, (char[64]){ 0 }, 64), -EBADF,
		     "a bad descriptor is -EBADF, not a crash");
	return tap_done();
}
