/*
 * fuzz_nvme — the parsers of NVMe responses in drivers/nvme.c: Identify
 * Controller and Identify Namespace data (NVMe 2.0 Base 5.17.2.1/5.17.2.2)
 * and the Sanitize Status log page (5.16.1.25), and the status strings.
 * Input: byte 0 picks the parser (mod 4); the rest is the response, in a
 * buffer of exactly its length.
 * Properties: strings NUL-terminated without control characters; a parsed
 * namespace has a format index below its format count, an LBA size of
 * 2^9..2^24 and nuse <= ncap <= nsze; sanitize progress lies in [0, 1).
 */
#include "drivers/nvme.h"
#include "tests/fuzz/fuzz.h"

static void put_s(uint8_t *b, size_t off, size_t n, const char *s)
{
	memset(b + off, ' ', n);
	memcpy(b + off, s, strlen(s));
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> 8 * i);
}

static void write_seeds(void)
{
	static uint8_t b[1 + NVME_ID_SIZE];

	memset(b, 0, sizeof(b));
	b[0] = 0;
	b[1] = 0x4d; b[2] = 0x14;			/* VID */
	put_s(b + 1, 4, 20, "S4EWNX0R123456");
	put_s(b + 1, 24, 40, "Samsung SSD 980 PRO 1TB");
	put_s(b + 1, 64, 8, "5B2QGXA7");
	b[1 + 256] = 0x02;				/* OACS: format */
	b[1 + 524] = 0x07;				/* FNA */
	put32(b + 1 + 328, 0x20000007);			/* SANICAP */
	put32(b + 1 + 516, 1);				/* NN */
	fuzz_seed("id-ctrl", b, sizeof(b));
	memset(b, 0, sizeof(b));
	b[0] = 1;
	b[1 + 0] = 0x00; b[1 + 1] = 0x10;		/* NSZE 4096 */
	b[1 + 8] = 0x00; b[1 + 9] = 0x10;		/* NCAP */
	b[1 + 16] = 0x00; b[1 + 17] = 0x08;		/* NUSE */
	b[1 + 25] = 1;					/* two formats */
	b[1 + 26] = 1;					/* format 1 in use */
	put32(b + 1 + 128, 9u << 16);
	put32(b + 1 + 132, 12u << 16);
	fuzz_seed("id-ns", b, sizeof(b));
	memset(b, 0, sizeof(b));
	b[0] = 2;
	b[1 + 0] = 0x00; b[1 + 1] = 0x80;		/* SPROG */
	b[1 + 2] = 0x02;				/* SSTAT: in progress */
	put32(b + 1 + 4, 0x00000004);			/* SCDW10: crypto */
	put32(b + 1 + 8, 0xffffffff);
	put32(b + 1 + 12, 0xffffffff);
	put32(b + 1 + 16, 30);
	fuzz_seed("sanitize-log", b, 1 + NVME_SANITIZE_LOG_SIZE);
	fuzz_seed("status", "\x03\x02\x40", 3);
	exit(0);
}

FUZZ_SEEDS_INITIALIZE(write_seeds)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *b = data + 1;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] % 4) {
	case 0: {
		struct nvme_ctrl_info c;
		rc = nvme_parse_id_ctrl(b, len, &c);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			fuzz_check_text(c.serial, sizeof(c.serial));
			fuzz_check_text(c.model, sizeof(c.model));
			fuzz_check_text(c.firmware, sizeof(c.firmware));
			FUZZ_CHECK(c.format_supported == !!(c.oacs & 0x2));
		}
		break;
	}
	case 1: {
		struct nvme_ns_info ns;
		rc = nvme_parse_id_ns(b, len, &ns);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			FUZZ_CHECK(ns.flbas < ns.nlbaf && ns.nlbaf <= 64);
			FUZZ_CHECK(ns.lba_size >= 512 && ns.lba_size <= (1u << 24) &&
				   (ns.lba_size & (ns.lba_size - 1)) == 0);
			FUZZ_CHECK(ns.nuse <= ns.ncap && ns.ncap <= ns.nsze);
		}
		break;
	}
	case 2: {
		struct nvme_sanitize_status st;
		rc = nvme_parse_sanitize_log(b, len, &st);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			FUZZ_CHECK(st.progress >= 0 && st.progress < 1);
		break;
	}
	case 3: {
		const char *s;
		if (len < 2)
			break;
		s = nvme_status_str((uint16_t)(b[1] << 8 | b[0]));
		FUZZ_CHECK(s != NULL && strlen(s) < 256);
		break;
	}
	}
	return 0;
}
