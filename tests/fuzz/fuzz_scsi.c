/*
 * fuzz_scsi — the parsers of SCSI responses in drivers/scsi.c: sense data
 * in fixed and descriptor format (SPC-5 4.4) and its descriptors, its text,
 * standard INQUIRY data (SPC-5 6.7.2), VPD pages 0x80 and 0x83 (SPC-5
 * 7.7.15, 7.7.6) and REPORT SUPPORTED OPERATION CODES one-command data
 * (SPC-5 6.34.2).
 * Input: byte 0 picks the parser (mod 5), byte 1 the descriptor type for
 * scsi_sense_find_desc; the rest is the response, exactly its length.
 * Properties: a descriptor found lies inside the buffer; progress lies in
 * [0, 1); texts are NUL-terminated within their buffers without control
 * characters; a WWN is "naa." and hex digits.
 */
#include <ctype.h>

#include "drivers/scsi.h"
#include "tests/fuzz/fuzz.h"

static void write_seeds(void)
{
	/* NOT READY, format in progress, progress 0x8000 (fixed); then descriptor format with a progress descriptor */
	static const uint8_t fixed[] = { 0, 0, 0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x04, 0, 0x80, 0x80, 0 };
	static const uint8_t desc[] = { 0, 0x0a, 0x72, 0x02, 0x04, 0x1b, 0, 0, 0, 22,
					0x0a, 0x06, 0, 0, 0, 0, 0x40, 0,
					0x09, 0x0c, 0x01, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 0x50 };
	static const uint8_t inq[] = { 1, 0, 0x00, 0x00, 0x07, 0x02, 31, 0, 0, 0,
				       'A', 'T', 'A', ' ', ' ', ' ', ' ', ' ',
				       'S', 'a', 'm', 's', 'u', 'n', 'g', ' ', 'S', 'S', 'D', ' ', '8', '7', '0', ' ',
				       '1', 'B', '6', 'Q' };
	static const uint8_t serial[] = { 2, 0, 0x00, 0x80, 0x00, 0x0c, ' ', ' ', 'S', '3', 'Z', '9', 'N', 'B', '0',
					  'K', '1', '2', '3' };
	static const uint8_t devid[] = { 3, 0, 0x00, 0x83, 0x00, 0x0c, 0x01, 0x03, 0x00, 0x08,
					 0x50, 0x02, 0x53, 0x8e, 0x40, 0x12, 0x34, 0x56 };
	static const uint8_t rsoc[] = { 4, 0, 0x00, 0x03, 0x00, 0x0a, 0x48, 0x01, 0xff, 0x00, 0, 0, 0, 0, 0, 0 };

	fuzz_seed("sense-fixed", fixed, sizeof(fixed));
	fuzz_seed("sense-desc", desc, sizeof(desc));
	fuzz_seed("inquiry", inq, sizeof(inq));
	fuzz_seed("vpd-serial", serial, sizeof(serial));
	fuzz_seed("vpd-devid", devid, sizeof(devid));
	fuzz_seed("rsoc", rsoc, sizeof(rsoc));
	exit(0);
}

FUZZ_SEEDS_INITIALIZE(write_seeds)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *b = data + 2;
	size_t len;
	int rc;

	if (size < 2)
		return 0;
	len = size - 2;
	switch (data[0] % 5) {
	case 0: {
		struct scsi_sense s;
		const uint8_t *d;
		size_t dlen;
		char text[200];
		rc = scsi_parse_sense(b, len, &s);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			if (s.has_progress)
				FUZZ_CHECK(s.progress >= 0 && s.progress < 1);
			FUZZ_CHECK(s.key <= 0xf);
			scsi_sense_str(&s, text, sizeof(text));
			fuzz_check_text(text, sizeof(text));
			scsi_sense_str(&s, text, 1 + data[1] % sizeof(text));
			FUZZ_CHECK(strlen(text) < 1 + data[1] % sizeof(text));
		}
		rc = scsi_sense_find_desc(b, len, data[1], &d, &dlen);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT);
		if (rc == 0)
			FUZZ_CHECK(d >= b && dlen >= 2 && d + dlen <= b + len && d[0] == data[1]);
		fuzz_check_text(scsi_key_name(data[1]), 64);
		break;
	}
	case 1: {
		struct scsi_ident id;
		memset(&id, 0, sizeof(id));
		rc = scsi_parse_inquiry(b, len, &id);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			fuzz_check_text(id.vendor, sizeof(id.vendor));
			fuzz_check_text(id.product, sizeof(id.product));
			fuzz_check_text(id.revision, sizeof(id.revision));
			FUZZ_CHECK(id.device_type <= 0x1f);
		}
		break;
	}
	case 2: {
		struct scsi_ident id;
		memset(&id, 0, sizeof(id));
		rc = scsi_parse_vpd_serial(b, len, &id);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			fuzz_check_text(id.serial, sizeof(id.serial));
		break;
	}
	case 3: {
		struct scsi_ident id;
		memset(&id, 0, sizeof(id));
		rc = scsi_parse_vpd_devid(b, len, &id);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0 && id.wwn[0]) {
			fuzz_check_text(id.wwn, sizeof(id.wwn));
			FUZZ_CHECK(strncmp(id.wwn, "naa.", 4) == 0);
			for (const char *p = id.wwn + 4; *p; p++)
				FUZZ_CHECK(isxdigit((unsigned char)*p));
		}
		break;
	}
	case 4: {
		uint8_t support = 0xee;
		rc = scsi_parse_rsoc_one(b, len, &support);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			FUZZ_CHECK(support <= 7);
		break;
	}
	}
	return 0;
}
