/*
 * fuzz_ata — the parsers of drive responses in drivers/ata.c: IDENTIFY
 * DEVICE data (ACS-4 7.12.7), DCO IDENTIFY data (ACS-3 7.9.4), the ATA
 * registers in sense data (SAT-4 12.2.2.6/7), SANITIZE STATUS EXT output
 * (ACS-4 7.36.9), and the hidden-area arithmetic (HPA/DCO).
 * Input: byte 0 picks the parser (mod 5); the rest is the response, in a
 * buffer of exactly its length, so any read past it is an ASan report.
 * Properties: strings are NUL-terminated within their fields and hold no
 * control characters; the sector size is an even 512..65536 bytes when
 * parsing succeeds; progress lies in [0, 1); hidden counts add up.
 */
#include "drivers/ata.h"
#include "tests/fuzz/fuzz.h"

static void put_w(uint8_t *b, unsigned word, uint16_t v)
{
	b[2 * word] = (uint8_t)v;
	b[2 * word + 1] = (uint8_t)(v >> 8);
}

/* ATA strings: two characters per word, the first in the high byte */
static void put_s(uint8_t *b, unsigned word, unsigned words, const char *s)
{
	for (unsigned i = 0; i < 2 * words; i++) {
		char c = i < strlen(s) ? s[i] : ' ';
		b[2 * word + (i ^ 1)] = (uint8_t)c;
	}
}

static void write_seeds(void)
{
	uint8_t b[513], sum = 0;

	memset(b, 0, sizeof(b));
	b[0] = 0;
	put_s(b + 1, 10, 10, "WD-WCC4E1234567");
	put_s(b + 1, 23, 4, "80.00A80");
	put_s(b + 1, 27, 20, "WDC WD40EFRX-68N32N0");
	put_w(b + 1, 59, 0xd000 | 0x0100);	/* sanitize: crypto, block, overwrite supported */
	put_w(b + 1, 82, 0x4400);		/* HPA */
	put_w(b + 1, 83, 0x4c00);		/* lba48, DCO */
	put_w(b + 1, 84, 0x4000);
	put_w(b + 1, 85, 0x0400);
	put_w(b + 1, 89, 0x8010);
	put_w(b + 1, 90, 0x8020);
	put_w(b + 1, 100, 0x5000);
	put_w(b + 1, 101, 0x1d1c);
	put_w(b + 1, 106, 0x6003);		/* 8 logical per physical */
	put_w(b + 1, 128, 0x0029);		/* security supported, frozen */
	put_w(b + 1, 217, 1);			/* SSD */
	fuzz_seed("identify", b, sizeof(b));
	put_w(b + 1, 255, 0xa5);		/* with the integrity word */
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + b[1 + i]);
	b[512] = (uint8_t)(0 - sum);
	fuzz_seed("identify-checksum", b, sizeof(b));
	memset(b, 0, sizeof(b));
	b[0] = 1;
	put_w(b + 1, 0, 2);
	put_w(b + 1, 3, 0x1234);
	put_w(b + 1, 4, 0x5678);
	put_w(b + 1, 255, 0);
	fuzz_seed("dco", b, sizeof(b));
	{
		/* descriptor sense with the ATA Status Return descriptor */
		uint8_t s[1 + 22] = { 2, 0x72, 0x01, 0x00, 0x1d, 0, 0, 0, 14,
				      0x09, 0x0c, 0x01, 0x00, 0x00, 0x80, 0x00, 0x01, 0, 0, 0, 0, 0x40, 0x50 };
		uint8_t f[1 + 18] = { 2, 0x70, 0, 0x01, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x00, 0x1d, 0, 0, 0, 0 };
		fuzz_seed("regs-desc", s, sizeof(s));
		fuzz_seed("regs-fixed", f, sizeof(f));
		s[0] = 3;
		fuzz_seed("sanitize-status", s, sizeof(s));
	}
	{
		uint8_t h[1 + 8 * 3 + 2] = { 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0,
					     0x30, 0, 0, 0, 3, 0 };
		fuzz_seed("hidden", h, sizeof(h));
	}
	exit(0);
}

FUZZ_SEEDS_INITIALIZE(write_seeds)


static uint64_t u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *b = data + 1;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] % 5) {
	case 0: {
		struct ata_info id;
		rc = ata_parse_identify(b, len, &id);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			fuzz_check_text(id.serial, sizeof(id.serial));
			fuzz_check_text(id.model, sizeof(id.model));
			fuzz_check_text(id.firmware, sizeof(id.firmware));
			/* words 117-118 (ACS-4 7.12.7.41): 520- and 528-byte sectors exist, so not a power of two */
			FUZZ_CHECK(id.logical_sector_size >= 512 && id.logical_sector_size <= 65536 &&
				   id.logical_sector_size % 2 == 0);
			FUZZ_CHECK(id.rotational >= -1 && id.rotational <= 1);
		}
		break;
	}
	case 1: {
		uint64_t max = 0;
		rc = ata_parse_dco(b, len, &max);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			FUZZ_CHECK(max < (1ull << 48));
		break;
	}
	case 2: case 3: {
		struct ata_regs r;
		struct ata_sanitize_status st;
		rc = ata_regs_from_sense(b, len, &r);
		/* -ERANGE: fixed format whose upper LBA bytes did not fit (not in ata.h's comment) */
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT || rc == -ERANGE);
		if (rc != 0)
			break;
		FUZZ_CHECK(r.valid);
		if (!r.ext)
			FUZZ_CHECK(r.count <= 0xff && r.lba <= 0xffffff);
		FUZZ_CHECK(r.lba < (1ull << 48));
		if (data[0] % 5 == 3) {
			rc = ata_parse_sanitize_status(&r, &st);
			FUZZ_CHECK(rc == 0 || rc == -EINVAL);
			if (rc == 0)
				FUZZ_CHECK(st.progress >= 0 && st.progress < 1);
		}
		break;
	}
	case 4: {
		struct ata_hidden h;
		uint64_t cur, nat, dco;
		if (len < 26)
			break;
		cur = u64(b);
		nat = u64(b + 8);
		dco = u64(b + 16);
		rc = ata_hidden_compute(cur, b[24] & 1, nat, b[24] & 2, dco, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE || rc == -EIO);
		if (rc == 0) {
			if (h.native_sectors)
				FUZZ_CHECK(h.hpa_hidden == h.native_sectors - h.current_sectors);
			if (h.dco_sectors)
				FUZZ_CHECK(h.dco_hidden == h.dco_sectors -
					   (h.native_sectors ? h.native_sectors : h.current_sectors));
		}
		(void)ata_erase_minutes((uint16_t)(b[25] << 8 | b[24]));
		break;
	}
	}
	return 0;
}
