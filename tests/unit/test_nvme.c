/* nvme: command encodings dword by dword (NVMe 2.0 Base 5.16, 5.17, 5.23, 5.24) and parsers on captured-like data. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "drivers/nvme.h"
#include "tests/unit/tap.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static void pad(uint8_t *p, const char *s, size_t n) { memset(p, ' ', n); memcpy(p, s, strlen(s)); }

static void id_ctrl(uint8_t *b)
{
	memset(b, 0, NVME_ID_SIZE);
	put16(b + 0, 0x1b36);
	pad(b + 4, "S123", 20);
	pad(b + 24, "QEMU NVMe Ctrl", 40);
	pad(b + 64, "7.2.22", 8);
	put16(b + 256, 0x010a);
	put32(b + 328, 0x20000007);
	put32(b + 516, 256);
	b[524] = 0x04;
}

static void id_ns(uint8_t *b)
{
	memset(b, 0, NVME_ID_SIZE);
	put64(b + 0, 131072);
	put64(b + 8, 131072);
	put64(b + 16, 4096);
	b[25] = 1;			/* two formats */
	b[26] = 1;			/* format 1 in use */
	put32(b + 128, 9u << 16);	/* 512 */
	put32(b + 132, 12u << 16);	/* 4096 */
}

int main(void)
{
	struct nvme_admin_cmd c;
	struct nvme_sanitize_opts o;
	struct nvme_ctrl_info ci;
	struct nvme_ns_info ns;
	struct nvme_sanitize_status st;
	static uint8_t b[NVME_ID_SIZE], buf[NVME_ID_SIZE];

	/* Identify */
	nvme_identify_cmd(&c, 1, 0, buf);
	CHECK_EQ_INT(c.opcode, 0x06, "identify opcode 06h");
	CHECK_EQ_INT(c.cdw10, 1, "identify controller: CNS 1 in CDW10 7:0");
	CHECK_EQ_INT(c.data_len, 4096, "identify moves 4096 bytes");
	CHECK_EQ_INT(c.addr, (uint64_t)(uintptr_t)buf, "identify buffer address");
	nvme_identify_cmd(&c, 0, 7, buf);
	CHECK(c.cdw10 == 0 && c.nsid == 7, "identify namespace: CNS 0, NSID 7");

	/* Get Log Page */
	CHECK_EQ_INT(nvme_get_log_cmd(&c, NVME_LOG_SANITIZE, 0xffffffffu, buf, 512), 0, "get log 81h, 512 bytes");
	CHECK_EQ_INT(c.opcode, 0x02, "  opcode 02h");
	CHECK_EQ_INT(c.cdw10, 0x007f0081, "  CDW10: NUMDL 127 (0-based dwords) << 16 | LID 81h");
	CHECK_EQ_INT(c.cdw11, 0, "  CDW11: NUMDU 0");
	CHECK_EQ_INT(c.nsid, 0xffffffffu, "  NSID all");
	CHECK_EQ_INT(nvme_get_log_cmd(&c, 0x81, 0, buf, 64u << 10), 0, "get log 64 KiB");
	CHECK_EQ_INT(c.cdw10, 0x3fff0081, "  NUMDL 16383");
	CHECK_EQ_INT(nvme_get_log_cmd(&c, 0x81, 0, buf, 0), -EINVAL, "get log of 0 bytes refused");
	CHECK_EQ_INT(nvme_get_log_cmd(&c, 0x81, 0, buf, 6), -EINVAL, "get log not a dword multiple refused");
	CHECK_EQ_INT(nvme_get_log_cmd(&c, 0x81, 0, buf, (64u << 10) + 4), -EINVAL, "get log beyond 64 KiB refused");

	/* Sanitize: NVMe 2.0 Base 5.24 Figure 372 */
	CHECK_EQ_INT(nvme_sanitize_cmd(&c, NVME_SANACT_CRYPTO, NULL), 0, "sanitize crypto");
	CHECK_EQ_INT(c.opcode, 0x84, "  opcode 84h");
	CHECK_EQ_INT(c.cdw10, 0x4, "  CDW10 SANACT 100b");
	CHECK_EQ_INT(c.cdw11, 0, "  CDW11 0");
	CHECK_EQ_INT(c.nsid, 0, "  NSID 0 (the whole subsystem)");
	nvme_sanitize_cmd(&c, NVME_SANACT_BLOCK, NULL);
	CHECK_EQ_INT(c.cdw10, 0x2, "sanitize block: SANACT 010b");
	nvme_sanitize_cmd(&c, NVME_SANACT_EXIT_FAILURE, NULL);
	CHECK_EQ_INT(c.cdw10, 0x1, "sanitize exit failure mode: SANACT 001b");
	memset(&o, 0, sizeof(o));
	o.owpass = 3;
	o.oipbp = 1;
	o.pattern = 0xdeadbeef;
	CHECK_EQ_INT(nvme_sanitize_cmd(&c, NVME_SANACT_OVERWRITE, &o), 0, "sanitize overwrite");
	CHECK_EQ_INT(c.cdw10, 0x133, "  SANACT 3, OWPASS 3 in 7:4, OIPBP bit 8");
	CHECK_EQ_INT(c.cdw11, 0xdeadbeef, "  CDW11 overwrite pattern");
	o.owpass = 16;
	o.oipbp = 0;
	nvme_sanitize_cmd(&c, NVME_SANACT_OVERWRITE, &o);
	CHECK_EQ_INT(c.cdw10, 0x3, "  16 passes encode as OWPASS 0");
	memset(&o, 0, sizeof(o));
	o.ause = 1;
	o.ndas = 1;
	nvme_sanitize_cmd(&c, NVME_SANACT_CRYPTO, &o);
	CHECK_EQ_INT(c.cdw10, 0x20c, "  AUSE bit 3, NDAS bit 9");
	o.owpass = 0;
	CHECK_EQ_INT(nvme_sanitize_cmd(&c, NVME_SANACT_OVERWRITE, &o), -EINVAL, "overwrite with 0 passes refused");
	o.owpass = 17;
	CHECK_EQ_INT(nvme_sanitize_cmd(&c, NVME_SANACT_OVERWRITE, &o), -EINVAL, "overwrite with 17 passes refused");
	CHECK_EQ_INT(nvme_sanitize_cmd(&c, (enum nvme_sanact)0, NULL), -EINVAL, "SANACT 0 refused");
	CHECK_EQ_INT(nvme_sanitize_cmd(&c, (enum nvme_sanact)5, NULL), -EINVAL, "SANACT 5 refused");

	/* Format NVM: NVMe 2.0 Base 5.23 Figure 369 */
	CHECK_EQ_INT(nvme_format_cmd(&c, 1, 0, NVME_SES_USER), 0, "format user-data erase");
	CHECK_EQ_INT(c.opcode, 0x80, "  opcode 80h");
	CHECK_EQ_INT(c.nsid, 1, "  NSID 1");
	CHECK_EQ_INT(c.cdw10, 0x200, "  SES 001b in 11:9");
	nvme_format_cmd(&c, 1, 5, NVME_SES_CRYPTO);
	CHECK_EQ_INT(c.cdw10, 0x405, "format crypto erase, LBAF 5: SES 010b, LBAF 0101b");
	nvme_format_cmd(&c, 1, 17, NVME_SES_NONE);
	CHECK_EQ_INT(c.cdw10, 0x1001, "LBAF 17: low nibble in 3:0, upper bits in LBAFU 13:12");
	CHECK_EQ_INT(nvme_format_cmd(&c, 1, 64, NVME_SES_USER), -EINVAL, "LBAF 64 refused");
	CHECK_EQ_INT(nvme_format_cmd(&c, 0, 0, NVME_SES_USER), -EINVAL, "NSID 0 refused");
	CHECK_EQ_INT(nvme_format_cmd(&c, 1, 0, (enum nvme_ses)3), -EINVAL, "SES 3 refused");

	/* issue 10 item 2: a purge keeps the namespace's MSET/PI/PIL instead of zeroing them */
	id_ns(b);
	b[26] = 0x11;			/* FLBAS: format 1, bit 4 metadata at the end of the LBA (MSET 1) */
	b[29] = 0x09;			/* DPS: PI type 1, bit 3 PI first in the metadata (PIL 1) */
	b[33] = 0x01;			/* DLFEAT 001b: deallocated blocks read as zeros */
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), 0, "identify namespace with PI parses");
	CHECK(ns.flbas == 1 && ns.mset == 1 && ns.pi == 1 && ns.pil == 1, "  FLBAS bit 4 -> MSET, DPS 2:0 -> PI, DPS 3 -> PIL");
	CHECK_EQ_INT(ns.dlfeat, 1, "  DLFEAT bits 2:0");
	CHECK_EQ_INT(nvme_format_cmd_keep(&c, 3, &ns, NVME_SES_USER), 0, "format keeping the current format");
	CHECK_EQ_INT(c.cdw10, 0x331, "  CDW10: LBAF 1, MSET bit 4, PI 001b in 7:5, PIL bit 8, SES 001b in 11:9");
	CHECK_EQ_INT(c.nsid, 3, "  NSID 3");
	ns.pi = 3;
	ns.pil = 0;
	ns.mset = 0;
	ns.flbas = 17;
	nvme_format_cmd_keep(&c, 1, &ns, NVME_SES_CRYPTO);
	CHECK_EQ_INT(c.cdw10, 0x1461, "  PI type 3, LBAF 17, crypto erase: 0x1461");
	ns.pi = 4;
	CHECK_EQ_INT(nvme_format_cmd_keep(&c, 1, &ns, NVME_SES_USER), -EINVAL, "  PI 4 (reserved) refused");
	id_ns(b);
	b[29] = 0x05;
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), -EINVAL, "DPS protection type 5 (reserved) refused");
	id_ns(b);
	CHECK(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns) == 0 && ns.mset == 0 && ns.pi == 0 && ns.dlfeat == 0,
	      "no PI, no metadata, DLFEAT not reported: all 0");

	/* Identify Controller */
	id_ctrl(b);
	CHECK_EQ_INT(nvme_parse_id_ctrl(b, NVME_ID_SIZE, &ci), 0, "identify controller parses");
	CHECK_STR(ci.serial, "S123", "  SN bytes 4-23, spaces trimmed");
	CHECK_STR(ci.model, "QEMU NVMe Ctrl", "  MN bytes 24-63");
	CHECK_STR(ci.firmware, "7.2.22", "  FR bytes 64-71");
	CHECK_EQ_INT(ci.vid, 0x1b36, "  VID");
	CHECK_EQ_INT(ci.oacs, 0x010a, "  OACS bytes 256-257");
	CHECK(ci.format_supported, "  OACS bit 1: format nvm");
	CHECK_EQ_INT(ci.sanicap, 0x20000007, "  SANICAP bytes 328-331");
	CHECK(ci.san_crypto && ci.san_block && ci.san_overwrite && ci.san_ndi, "  SANICAP CES, BES, OWS, NDI");
	CHECK_EQ_INT(ci.fna, 0x04, "  FNA byte 524");
	CHECK(ci.fna_crypto && !ci.fna_all_ns && !ci.fna_erase_all_ns, "  FNA bit 2 crypto erase only");
	CHECK_EQ_INT(ci.nn, 256, "  NN");
	CHECK_EQ_INT(nvme_parse_id_ctrl(b, NVME_ID_SIZE - 1, &ci), -EINVAL, "truncated identify refused");
	CHECK_EQ_INT(nvme_parse_id_ctrl(NULL, NVME_ID_SIZE, &ci), -EINVAL, "no buffer refused");
	b[6] = 0x07;
	CHECK_EQ_INT(nvme_parse_id_ctrl(b, NVME_ID_SIZE, &ci), -EINVAL, "control byte in the serial refused");
	id_ctrl(b);
	memset(b + 4, 0xff, 20);
	CHECK_EQ_INT(nvme_parse_id_ctrl(b, NVME_ID_SIZE, &ci), -EINVAL, "non-ascii serial refused");
	id_ctrl(b);
	memset(b + 4, 0, 20);
	CHECK_EQ_INT(nvme_parse_id_ctrl(b, NVME_ID_SIZE, &ci), 0, "an empty serial parses");
	CHECK_STR(ci.serial, "", "  as \"\"");

	/* Identify Namespace */
	id_ns(b);
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), 0, "identify namespace parses");
	CHECK_EQ_INT(ns.nsze, 131072, "  NSZE");
	CHECK_EQ_INT(ns.nuse, 4096, "  NUSE");
	CHECK_EQ_INT(ns.nlbaf, 2, "  NLBAF is 0-based");
	CHECK_EQ_INT(ns.flbas, 1, "  FLBAS format 1");
	CHECK_EQ_INT(ns.lba_size, 4096, "  LBADS 12 -> 4096");
	b[26] = 2;
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), -EINVAL, "FLBAS beyond NLBAF refused");
	id_ns(b);
	put32(b + 132, 8u << 16);
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), -EINVAL, "LBADS 8 (256 bytes) refused");
	id_ns(b);
	put64(b + 8, 131073);
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), -EINVAL, "NCAP above NSZE refused");
	id_ns(b);
	CHECK_EQ_INT(nvme_parse_id_ns(b, 100, &ns), -EINVAL, "truncated namespace data refused");
	b[25] = 64;
	CHECK_EQ_INT(nvme_parse_id_ns(b, NVME_ID_SIZE, &ns), -EINVAL, "NLBAF 64 (65 formats) refused");

	/* Sanitize Status log */
	memset(b, 0, 512);
	put16(b + 0, 0x8000);
	put16(b + 2, 0x0002);
	put32(b + 4, 0x4);
	put32(b + 8, 0xffffffff);
	put32(b + 12, 120);
	put32(b + 16, 10);
	CHECK_EQ_INT(nvme_parse_sanitize_log(b, 512, &st), 0, "sanitize log parses");
	CHECK_EQ_INT(st.state, NVME_SSTAT_IN_PROGRESS, "  SSTAT 2: in progress");
	CHECK(st.progress == 0.5, "  SPROG 8000h is half");
	CHECK_EQ_INT(st.scdw10, 4, "  SCDW10");
	CHECK(st.eto == 0xffffffff && st.etbe == 120 && st.etce == 10, "  estimates");
	put16(b + 2, 0x0119);
	nvme_parse_sanitize_log(b, 512, &st);
	CHECK(st.state == NVME_SSTAT_COMPLETED && st.passes == 3 && st.global_erased,
	      "SSTAT 0119h: completed, 3 passes, global data erased");
	put16(b + 2, 0x0004);
	nvme_parse_sanitize_log(b, 512, &st);
	CHECK_EQ_INT(st.state, NVME_SSTAT_COMPLETED_NDA, "SSTAT 4: completed without deallocation");
	put16(b + 2, 0x0005);
	CHECK_EQ_INT(nvme_parse_sanitize_log(b, 512, &st), -EINVAL, "reserved SSTAT 5 refused");
	put16(b + 2, 0x0001);
	CHECK_EQ_INT(nvme_parse_sanitize_log(b, 19, &st), -EINVAL, "a log shorter than 20 bytes refused");

	CHECK_STR(nvme_status_str(0x4001), "invalid command opcode", "status 4001h (DNR) in words");
	CHECK_STR(nvme_status_str(0x0002), "invalid field in command", "status 0002h");
	CHECK_STR(nvme_status_str(0x001d), "sanitize in progress", "status 001dh");
	CHECK_STR(nvme_status_str(0x010a), "invalid format", "command specific 0ah");
	CHECK_EQ_INT(nvme_admin(-1, &c, NULL), -EBADF, "a bad descriptor is -EBADF, not a crash");
	return tap_done();
}
