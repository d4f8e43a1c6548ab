/*
 * fuzz_health — the parsers of the drives' health reports in
 * drivers/health.c: ATA SMART READ DATA (ACS-4 7.48.5), the NVMe SMART /
 * Health Information log (NVMe 2.0 Base 5.16.1.3), and SCSI LOG SENSE
 * pages (SPC-5 7.3: supported pages, temperature, informational
 * exceptions, error counters, background scan).
 * Input: byte 0 picks the parser (mod 4; 3 runs the supported-pages parser
 * on the first half and the page parser on the rest, into one record); the
 * rest is the response, exactly its length.
 * Properties: counts stay within their tables (attributes, pages); counters
 * are -1 (unknown) or not negative; the texts are NUL-terminated; the
 * record renders as JSON (health_to_json) that dumps.
 */
#include "drivers/health.h"
#include "tests/fuzz/fuzz.h"

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void write_seeds(void)
{
	static uint8_t b[513];
	uint8_t sum = 0;
	static const uint8_t attrs[][2] = { { 1, 100 }, { 5, 99 }, { 9, 90 }, { 194, 64 }, { 197, 100 }, { 198, 100 } };

	memset(b, 0, sizeof(b));
	b[0] = 0;
	b[1] = 0x10;
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		uint8_t *a = b + 1 + 2 + 12 * i;
		a[0] = attrs[i][0];
		a[1] = 0x33;
		a[3] = attrs[i][1];
		a[4] = (uint8_t)(attrs[i][1] - 1);
		put_le(a + 5, i == 2 ? 20001 : i == 3 ? 0x3c00120024ull : i, 6);
	}
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + b[1 + i]);
	b[512] = (uint8_t)(0 - sum);
	fuzz_seed("ata-smart", b, sizeof(b));
	memset(b, 0, sizeof(b));
	b[0] = 1;
	b[1 + 0] = 0x04;
	put_le(b + 1 + 1, 310, 2);
	b[1 + 3] = 97;
	b[1 + 4] = 10;
	b[1 + 5] = 7;
	put_le(b + 1 + 128, 12345, 8);
	put_le(b + 1 + 144, 42, 8);
	put_le(b + 1 + 160, 2, 8);
	fuzz_seed("nvme-smart", b, sizeof(b));
	fuzz_seed("scsi-supported", (uint8_t[]){ 2, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x03, 0x0d, 0x15, 0x2f }, 11);
	fuzz_seed("scsi-temperature", (uint8_t[]){ 3, 0x0d, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x03, 0x02, 0x00, 41,
						  0x00, 0x01, 0x03, 0x02, 0x00, 65 }, 17);
	fuzz_seed("scsi-ie", (uint8_t[]){ 3, 0x2f, 0x00, 0x00, 0x07, 0x00, 0x00, 0x03, 0x03, 0x5d, 0x10, 40 }, 12);
	fuzz_seed("scsi-read-errors", (uint8_t[]){ 3, 0x03, 0x00, 0x00, 0x06, 0x00, 0x06, 0x02, 0x02, 0x00, 0x03 }, 11);
	fuzz_seed("scsi-bgscan", (uint8_t[]){ 3, 0x15, 0x00, 0x00, 0x10, 0x00, 0x00, 0x03, 0x0c, 0x00, 0x00, 0xea,
					     0x60, 0, 0, 0, 0, 0, 0, 0, 0 }, 21);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	if (getenv("SZ_FUZZ_SEEDS"))
		write_seeds();
	return 0;
}

static void check(const struct health *h)
{
	json_t *j;
	char *s;

	FUZZ_CHECK(h->nattrs <= HEALTH_ATA_ATTRS);
	FUZZ_CHECK(h->npages <= sizeof(h->pages));
	FUZZ_CHECK(strnlen(h->source, sizeof(h->source)) < sizeof(h->source));
	FUZZ_CHECK(strnlen(h->why, sizeof(h->why)) < sizeof(h->why));
	FUZZ_CHECK(h->power_on_hours >= -1 && h->reallocated >= -1 && h->pending >= -1);
	FUZZ_CHECK(h->uncorrectable >= -1 && h->media_errors >= -1 && h->unsafe_shutdowns >= -1);
	FUZZ_CHECK(h->percentage_used >= -1 && h->critical_warning >= -1 && h->available_spare >= -1);
	FUZZ_CHECK(h->failure_predicted >= -1 && h->failure_predicted <= 1);
	for (unsigned i = 0; i < h->nattrs; i++)
		FUZZ_CHECK(h->attrs[i].raw < (1ull << 48));
	j = health_to_json(h);
	FUZZ_CHECK(json_is_object(j));
	s = json_dumps(j, JSON_COMPACT);
	FUZZ_CHECK(s != NULL);
	free(s);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *b = data + 1;
	struct health h;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	len = size - 1;
	health_init(&h);
	switch (data[0] % 4) {
	case 0:
		rc = health_parse_ata_smart(b, len, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EBADMSG);
		break;
	case 1:
		rc = health_parse_nvme_smart(b, len, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		break;
	case 2:
		rc = health_parse_scsi_supported(b, len, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		break;
	default:
		rc = health_parse_scsi_supported(b, len / 2, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		rc = health_parse_scsi_page(b + len / 2, len - len / 2, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		rc = health_parse_scsi_page(b, len, &h);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		break;
	}
	check(&h);
	return 0;
}
