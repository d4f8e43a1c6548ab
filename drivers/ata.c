#include "drivers/ident.h"
#include "drivers/ata.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* SAT-4 12.2.2 ATA PASS-THROUGH(16) CDB byte 2 */
#define PT_CK_COND 0x20
#define PT_T_DIR_IN 0x08
#define PT_BYT_BLOK 0x04
#define PT_TLEN_COUNT 0x02

int ata_pt16_cdb(uint8_t cdb[16], const struct ata_tf *tf)
{
	uint8_t dev = tf->device;

	memset(cdb, 0, 16);
	if (tf->ext) {
		if (tf->lba >> 48)
			return -EINVAL;
	} else {
		/* 28-bit: LBA 27:24 lives in the DEVICE register, no upper bytes */
		if (tf->lba >> 28 || tf->feature > 0xff || tf->count > 0xff)
			return -EINVAL;
		dev = (uint8_t)((dev & 0xf0) | ((tf->lba >> 24) & 0x0f));
	}
	cdb[0] = 0x85;
	cdb[1] = (uint8_t)(tf->proto << 1 | (tf->ext ? 1 : 0));
	switch (tf->proto) {
	case ATA_PROTO_NON_DATA:
		cdb[2] = 0;
		break;
	case ATA_PROTO_PIO_IN:
		cdb[2] = PT_T_DIR_IN | PT_BYT_BLOK | PT_TLEN_COUNT;
		break;
	case ATA_PROTO_PIO_OUT:
		cdb[2] = PT_BYT_BLOK | PT_TLEN_COUNT;
		break;
	default:
		return -EINVAL;
	}
	if (tf->ck_cond)
		cdb[2] |= PT_CK_COND;
	if (tf->ext) {
		cdb[3] = (uint8_t)(tf->feature >> 8);
		cdb[5] = (uint8_t)(tf->count >> 8);
		cdb[7] = (uint8_t)(tf->lba >> 24);
		cdb[9] = (uint8_t)(tf->lba >> 32);
		cdb[11] = (uint8_t)(tf->lba >> 40);
	}
	cdb[4] = (uint8_t)tf->feature;
	cdb[6] = (uint8_t)tf->count;
	cdb[8] = (uint8_t)tf->lba;
	cdb[10] = (uint8_t)(tf->lba >> 8);
	cdb[12] = (uint8_t)(tf->lba >> 16);
	cdb[13] = dev;
	cdb[14] = tf->command;
	return 0;
}

int ata_regs_from_sense(const uint8_t *s, size_t len, struct ata_regs *r)
{
	const uint8_t *d;
	size_t dlen;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!s || len < 8)
		return -EINVAL;
	if ((s[0] & 0x7f) == 0x72 || (s[0] & 0x7f) == 0x73) {
		/* SAT-4 12.2.2.6 ATA Status Return descriptor: type 09h, length 0Ch */
		rc = scsi_sense_find_desc(s, len, 0x09, &d, &dlen);
		if (rc)
			return rc;
		if (dlen != 14 || d[1] != 0x0c)
			return -EINVAL;
		r->ext = d[2] & 0x01;
		r->error = d[3];
		r->count = (uint16_t)(d[4] << 8 | d[5]);
		r->lba = (uint64_t)d[7] | (uint64_t)d[9] << 8 | (uint64_t)d[11] << 16 |
			 (uint64_t)d[6] << 24 | (uint64_t)d[8] << 32 | (uint64_t)d[10] << 40;
		r->device = d[12];
		r->status = d[13];
		if (!r->ext) {
			r->count &= 0xff;
			r->lba &= 0xffffff;
		}
		r->valid = 1;
		return 0;
	}
	if ((s[0] & 0x7f) == 0x70 || (s[0] & 0x7f) == 0x71) {
		/* SAT-4 12.2.2.7 fixed format: only with ATA PASS-THROUGH INFORMATION AVAILABLE */
		if (8 + (size_t)s[7] > len || len < 14 || s[7] < 6)
			return -EINVAL;
		/*
		 * libata fills them in fixed format too when the device failed the
		 * command (sense key ABORTED COMMAND, ASC from the error): accept
		 * that only when the status byte shows the failure itself.
		 */
		if (!(s[12] == 0x00 && s[13] == 0x1d) &&
		    !(((s[2] & 0x0f) == SCSI_KEY_ABORTED || (s[2] & 0x0f) == SCSI_KEY_RECOVERED) &&
		      (s[4] & (ATA_STATUS_ERR | ATA_STATUS_DF))))
			return -ENOENT;
		/*
		 * INFORMATION (bytes 3-6): ERROR, STATUS, DEVICE, COUNT 7:0;
		 * COMMAND-SPECIFIC INFORMATION (bytes 8-11): EXTEND (bit 7),
		 * COUNT UPPER NONZERO (6), LBA UPPER NONZERO (5), then LBA 23:0.
		 * With a flag clear the upper bytes are known to be zero.
		 */
		r->error = s[3];
		r->status = s[4];
		r->device = s[5];
		r->count = s[6];
		r->ext = !!(s[8] & 0x80);
		r->lba = (uint64_t)s[9] | (uint64_t)s[10] << 8 | (uint64_t)s[11] << 16;
		r->valid = 1;
		r->fixed = 1;
		r->count_hi_unknown = !!(s[8] & 0x40);
		r->lba_hi_unknown = !!(s[8] & 0x20);
		/* the upper bytes are not in fixed format; say so rather than guess */
		if (r->count_hi_unknown || r->lba_hi_unknown)
			return -ERANGE;
		return 0;
	}
	return -EINVAL;
}

/* ACS-4 7.12 IDENTIFY DEVICE */
void ata_identify_tf(struct ata_tf *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = ATA_CMD_IDENTIFY;
	tf->count = 1;
	tf->proto = ATA_PROTO_PIO_IN;
}

/* ACS-3 7.34 READ NATIVE MAX ADDRESS EXT (HPA feature set) */
void ata_read_native_max_tf(struct ata_tf *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = ATA_CMD_READ_NATIVE_MAX_EXT;
	tf->device = 0x40;
	tf->ext = 1;
	tf->ck_cond = 1;
	tf->proto = ATA_PROTO_NON_DATA;
}

/* ACS-3 7.4.2 GET NATIVE MAX ADDRESS EXT: 78h, FEATURE 0000h, the maximum back in LBA 47:0 */
void ata_get_native_max_tf(struct ata_tf *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = ATA_CMD_AMAC;
	tf->feature = ATA_AMAC_GET_NATIVE_MAX;
	tf->device = 0x40;
	tf->ext = 1;
	tf->ck_cond = 1;
	tf->proto = ATA_PROTO_NON_DATA;
}

/* ACS-3 7.9.4 DEVICE CONFIGURATION IDENTIFY */
void ata_dco_identify_tf(struct ata_tf *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = ATA_CMD_DCO;
	tf->feature = ATA_DCO_IDENTIFY;
	tf->count = 1;
	tf->proto = ATA_PROTO_PIO_IN;
}

/* ACS-4 7.36 SANITIZE EXT: CRYPTO SCRAMBLE, BLOCK ERASE, OVERWRITE, STATUS */
int ata_sanitize_tf(struct ata_tf *tf, uint16_t feature, unsigned passes, uint32_t pattern, int invert)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = ATA_CMD_SANITIZE;
	tf->feature = feature;
	tf->ext = 1;
	tf->ck_cond = 1;
	tf->proto = ATA_PROTO_NON_DATA;
	switch (feature) {
	case ATA_SANITIZE_STATUS:
		break;
	case ATA_SANITIZE_CRYPTO:
		tf->lba = ATA_SANITIZE_KEY_CRYPTO;
		break;
	case ATA_SANITIZE_BLOCK:
		tf->lba = ATA_SANITIZE_KEY_BLOCK;
		break;
	case ATA_SANITIZE_OVERWRITE:
		/* COUNT 3:0 passes (0 means 16), bit 7 invert; LBA 47:32 key, 31:0 pattern */
		if (passes < 1 || passes > 16)
			return -EINVAL;
		tf->count = (uint16_t)((passes & 0x0f) | (invert ? 0x80 : 0));
		tf->lba = (uint64_t)ATA_SANITIZE_KEY_OVERWRITE << 32 | pattern;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* ACS-4 7.40-7.45 Security feature set */
void ata_security_tf(struct ata_tf *tf, uint8_t command)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = command;
	if (command == ATA_CMD_SEC_ERASE_PREPARE) {
		tf->proto = ATA_PROTO_NON_DATA;
		tf->ck_cond = 1;
	} else {
		tf->proto = ATA_PROTO_PIO_OUT;
		tf->count = 1;
	}
}

void ata_security_data(uint8_t out[512], const char *pw, int enhanced)
{
	size_t n = pw ? strnlen(pw, 32) : 0;

	memset(out, 0, 512);
	/* word 0: bit 0 identifier (0 = user), bit 1 enhanced erase (ERASE UNIT only) */
	out[0] = enhanced ? 0x02 : 0x00;
	if (n)
		memcpy(out + 2, pw, n);	/* words 1-16: the password, as bytes */
}

static uint16_t w(const uint8_t *b, unsigned i) { return (uint16_t)(b[2 * i] | b[2 * i + 1] << 8); }

/* ATA strings: two characters per word, the first in the high byte (ACS-4 3.4.9) */
static int ata_string(char *dst, size_t cap, const uint8_t *b, unsigned first, unsigned nwords)
{
	uint8_t tmp[64];
	size_t n = 2 * (size_t)nwords;

	if (n >= cap || n > sizeof(tmp))
		return -EINVAL;
	for (unsigned k = 0; k < nwords; k++) {
		uint16_t v = w(b, first + k);
		tmp[2 * k] = (uint8_t)(v >> 8);
		tmp[2 * k + 1] = (uint8_t)(v & 0xff);
	}
	return ident_ascii(dst, cap, tmp, n);
}

unsigned ata_erase_minutes(uint16_t v)
{
	/* ACS-3 7.12.7.30: bit 15 set, 14:0 in units of 2 minutes; else 7:0 (255 means > 508) */
	if (v & 0x8000)
		return 2u * (v & 0x7fff);
	return 2u * (v & 0xff);
}

unsigned ata_erase_timeout_s(unsigned minutes, uint64_t sectors, uint32_t sector_size)
{
	uint64_t bytes = sectors * (sector_size ? sector_size : 512);
	/* hdparm get_erase_timeout_secs: 1 s per 30 MiB of capacity, plus 30 minutes */
	uint64_t bound = bytes / (30ull << 20) + 30 * 60;
	/* the drive's estimate, doubled plus an hour as hdparm does ("wiggle room") */
	uint64_t own = minutes ? (2ull * minutes + 60) * 60 : 0;
	uint64_t t = own > bound ? own : bound;

	return t > 0xffffffffull / 1000 ? 0xffffffffu / 1000 : (unsigned)t;
}

/* ACS-4 7.12.7 IDENTIFY DEVICE data */
int ata_parse_identify(const uint8_t *b, size_t len, struct ata_info *o)
{
	uint16_t w83, w84, w106, w217;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!b || len < 512)
		return -EINVAL;
	if (w(b, 0) & 0x8000)	/* not an ATA device (ATAPI) */
		return -EINVAL;
	if ((w(b, 255) & 0xff) == 0xa5) {	/* integrity word: checksum over all 512 bytes */
		uint8_t sum = 0;
		for (size_t i = 0; i < 512; i++)
			sum = (uint8_t)(sum + b[i]);
		if (sum)
			return -EINVAL;
	}
	rc = ata_string(o->serial, sizeof(o->serial), b, 10, 10);
	if (!rc)
		rc = ata_string(o->firmware, sizeof(o->firmware), b, 23, 4);
	if (!rc)
		rc = ata_string(o->model, sizeof(o->model), b, 27, 20);
	if (rc)
		return rc;
	w83 = w(b, 83);
	w84 = w(b, 84);
	/* words 82-84 are valid when bit 14 is one and bit 15 zero */
	if ((w83 & 0xc000) == 0x4000) {
		o->lba48 = !!(w83 & 0x0400);
		o->hpa_supported = !!(w(b, 82) & 0x0400);
		o->dco_supported = !!(w83 & 0x0800);
	}
	/* word 119 valid when bits 15:14 are 01b; bit 8: Accessible Max Address Configuration */
	if ((w(b, 119) & 0xc000) == 0x4000)
		o->ama_supported = !!(w(b, 119) & 0x0100);
	if ((w(b, 86) & 0x8000) == 0 && (w84 & 0xc000) == 0x4000)
		o->hpa_enabled = o->hpa_supported && (w(b, 85) & 0x0400);
	if (o->lba48)
		o->sectors = (uint64_t)w(b, 100) | (uint64_t)w(b, 101) << 16 | (uint64_t)w(b, 102) << 32 |
			     (uint64_t)w(b, 103) << 48;
	if (!o->sectors)
		o->sectors = (uint64_t)w(b, 60) | (uint64_t)w(b, 61) << 16;
	if (o->sectors >> 48)
		return -EINVAL;
	o->logical_sector_size = 512;
	w106 = w(b, 106);
	if ((w106 & 0xc000) == 0x4000 && (w106 & 0x1000)) {
		uint32_t words = (uint32_t)w(b, 117) | (uint32_t)w(b, 118) << 16;
		if (words < 256 || words > 32768)
			return -EINVAL;
		o->logical_sector_size = words * 2;
	}
	w217 = w(b, 217);
	o->rotational = w217 == 1 ? 0 : (w217 >= 0x0401 && w217 != 0xffff) ? 1 : -1;
	/* ACS-4 7.12.7.25 word 59: the SANITIZE feature set */
	o->sanitize = !!(w(b, 59) & 0x1000);
	if (o->sanitize) {
		o->sanitize_block = !!(w(b, 59) & 0x8000);
		o->sanitize_overwrite = !!(w(b, 59) & 0x4000);
		o->sanitize_crypto = !!(w(b, 59) & 0x2000);
		o->sanitize_antifreeze = !!(w(b, 59) & 0x0400);
	}
	/* ACS-4 7.12.7.60 word 128: security status */
	o->sec_supported = !!(w(b, 128) & 0x0001);
	if (o->sec_supported) {
		uint16_t s = w(b, 128);
		o->sec_enabled = !!(s & 0x0002);
		o->sec_locked = !!(s & 0x0004);
		o->sec_frozen = !!(s & 0x0008);
		o->sec_count_expired = !!(s & 0x0010);
		o->sec_enhanced = !!(s & 0x0020);
		o->sec_master_max = !!(s & 0x0100);
		o->erase_minutes = ata_erase_minutes(w(b, 89));
		o->enhanced_erase_minutes = ata_erase_minutes(w(b, 90));
	}
	return 0;
}

/* ACS-3 7.9.4 Table 32: DCO IDENTIFY data */
int ata_parse_dco(const uint8_t *b, size_t len, uint64_t *max_lba)
{
	if (!b || len < 512)
		return -EINVAL;
	if ((w(b, 255) & 0xff) == 0xa5) {
		uint8_t sum = 0;
		for (size_t i = 0; i < 512; i++)
			sum = (uint8_t)(sum + b[i]);
		if (sum)
			return -EINVAL;
	}
	if (w(b, 0) == 0 || w(b, 0) > 0x00ff)	/* data structure revision */
		return -EINVAL;
	*max_lba = (uint64_t)w(b, 3) | (uint64_t)w(b, 4) << 16 | (uint64_t)w(b, 5) << 32 |
		   (uint64_t)w(b, 6) << 48;
	if (*max_lba >> 48)
		return -EINVAL;
	return 0;
}

/* ACS-4 7.47.9 SANITIZE STATUS EXT: normal outputs, and error outputs */
int ata_parse_sanitize_status(const struct ata_regs *r, struct ata_sanitize_status *st)
{
	memset(st, 0, sizeof(*st));
	st->fixed = r->fixed;
	if (r->status & ATA_STATUS_BSY)
		return -EINVAL;
	if (r->status & (ATA_STATUS_ERR | ATA_STATUS_DF)) {
		/* error outputs: LBA 7:0 is the SANITIZE DEVICE ERROR REASON (readable in either format) */
		st->aborted = 1;
		st->reason = (unsigned)(r->lba & 0xff);
		return 0;
	}
	st->progress_raw = (unsigned)(r->lba & 0xffff);
	st->progress = (double)st->progress_raw / 65536.0;
	if (r->count_hi_unknown) {
		st->flags_unknown = 1;
		return 0;
	}
	st->completed = !!(r->count & 0x8000);
	st->in_progress = !!(r->count & 0x4000);
	st->frozen = !!(r->count & 0x2000);
	st->antifreeze = !!(r->count & 0x1000);
	if (st->completed && st->in_progress)
		return -EINVAL;
	return 0;
}

const char *ata_sanitize_reason_str(unsigned reason)
{
	switch (reason) {
	case ATA_SANITIZE_REASON_NONE: return "reason not reported";
	case ATA_SANITIZE_REASON_FAILED: return "the last sanitize operation completed unsuccessfully";
	case ATA_SANITIZE_REASON_UNSUPPORTED: return "unsupported sanitize command";
	case ATA_SANITIZE_REASON_FROZEN: return "the device is in the sanitize frozen state";
	case ATA_SANITIZE_REASON_ANTIFREEZE: return "the sanitize antifreeze lock is enabled";
	}
	return "unknown reason";
}

int ata_hidden_compute(uint64_t current_sectors, int have_native, uint64_t native_max_lba,
		       int have_dco, uint64_t dco_max_lba, struct ata_hidden *o)
{
	memset(o, 0, sizeof(*o));
	o->current_sectors = current_sectors;
	if (have_native) {
		if (native_max_lba >> 48 || native_max_lba + 1 < current_sectors)
			return -EINVAL;
		o->native_sectors = native_max_lba + 1;
		o->hpa_hidden = o->native_sectors - current_sectors;
	}
	if (have_dco) {
		uint64_t base = have_native ? o->native_sectors : current_sectors;
		if (dco_max_lba >> 48 || dco_max_lba + 1 < base)
			return -EINVAL;
		o->dco_sectors = dco_max_lba + 1;
		o->dco_hidden = o->dco_sectors - base;
	}
	return 0;
}

int ata_exec(int fd, const struct ata_tf *tf, void *data, size_t len, unsigned timeout_ms,
	     struct ata_regs *r, char *err, size_t errlen)
{
	uint8_t cdb[16];
	struct sgio_reply rep;
	struct scsi_sense sense;
	enum sgio_dir dir;
	int rc;

	memset(r, 0, sizeof(*r));
	if (errlen)
		err[0] = 0;
	dir = tf->proto == ATA_PROTO_PIO_IN ? SGIO_FROM_DEV :
	      tf->proto == ATA_PROTO_PIO_OUT ? SGIO_TO_DEV : SGIO_NONE;
	if ((dir == SGIO_NONE) != (len == 0) || (len && len != 512u * tf->count))
		return -EINVAL;
	rc = ata_pt16_cdb(cdb, tf);
	if (rc)
		return rc;
	rc = sgio_run(fd, cdb, sizeof(cdb), dir, data, len, timeout_ms, &rep);
	if (rc) {
		snprintf(err, errlen, "transport error (host 0x%x driver 0x%x)", rep.host_status,
			 rep.driver_status);
		return rc;
	}
	if (rep.status == SGIO_STATUS_GOOD)
		return 0;
	if (rep.status != SGIO_STATUS_CHECK_CONDITION) {
		snprintf(err, errlen, "scsi status 0x%02x", rep.status);
		return rep.status == SGIO_STATUS_BUSY ? -EBUSY : -EPROTO;
	}
	rc = ata_regs_from_sense(rep.sense, rep.sense_len, r);
	if (rc == 0 || rc == -ERANGE) {
		if (r->status & (ATA_STATUS_ERR | ATA_STATUS_DF)) {
			snprintf(err, errlen, "device aborted the command (status 0x%02x error 0x%02x)",
				 r->status, r->error);
			return -EIO;
		}
		return rc;
	}
	if (scsi_parse_sense(rep.sense, rep.sense_len, &sense) < 0) {
		snprintf(err, errlen, "malformed sense data");
		return -EIO;
	}
	if (sense.key == SCSI_KEY_ABORTED) {
		/* SAT-4 12.2.2.5: the device aborted it; some translators place no registers */
		char words[96];

		scsi_sense_str(&sense, words, sizeof(words));
		snprintf(err, errlen, "device aborted the command (%s)", words);
	} else {
		scsi_sense_str(&sense, err, errlen);
	}
	{
		size_t used = strnlen(err, errlen);

		/* the raw bytes, for whoever has to explain a translator's answer */
		for (unsigned i = 0; i < rep.sense_len && i < 18 && used + 10 < errlen; i++) {
			snprintf(err + used, errlen - used, "%s%02x", i ? " " : " sense ", rep.sense[i]);
			used = strnlen(err, errlen);
		}
	}
	if (sense.key == SCSI_KEY_ILLEGAL_REQUEST && (sense.asc == 0x20 || sense.asc == 0x24))
		return -EOPNOTSUPP;	/* not an ATA device, or a translator without pass-through */
	return -EIO;
}

int ata_identify(int fd, struct ata_info *out)
{
	uint8_t buf[512];
	struct ata_tf tf;
	struct ata_regs r;
	char err[160];
	int rc;

	memset(buf, 0, sizeof(buf));
	ata_identify_tf(&tf);
	rc = ata_exec(fd, &tf, buf, sizeof(buf), 10000, &r, err, sizeof(err));
	if (rc)
		return rc;
	return ata_parse_identify(buf, sizeof(buf), out);
}

int ata_probe_hidden(int fd, const struct ata_info *id, struct ata_hidden *h)
{
	uint8_t buf[512];
	struct ata_tf tf;
	struct ata_regs r;
	char err[160];
	uint64_t native = 0, dco = 0;
	int have_native = 0, have_dco = 0, ama = 0, rc;
	const char *cmd = "read native max address ext";

	memset(h, 0, sizeof(*h));
	if (id->ama_supported) {
		/* ACS-3 4.4: AMA replaces HPA and DCO; GET NATIVE MAX ADDRESS EXT is mandatory with it */
		ata_get_native_max_tf(&tf);
		cmd = "get native max address ext";
		ama = 1;
	} else {
		ata_read_native_max_tf(&tf);
	}
	if (id->lba48 || ama) {
		rc = ata_exec(fd, &tf, NULL, 0, 10000, &r, err, sizeof(err));
		if (rc == 0 && r.valid) {
			native = r.lba;
			have_native = 1;
		} else if (rc == -ERANGE) {
			snprintf(h->why, sizeof(h->why), "%s: the translator answered in fixed-format sense, which "
				 "cannot carry LBA 47:24 of a maximum above 2^24 sectors", cmd);
			h->undetermined = h->unreadable = 1;
		} else if (rc == 0) {
			snprintf(h->why, sizeof(h->why), "%s: the translator returned no registers", cmd);
			h->undetermined = 1;
		} else if (rc == -EIO && !ama && !id->hpa_supported) {
			/* no HPA feature set: nothing can be hidden by one (ACS-3 4.11) */
		} else if (rc == -EIO) {
			snprintf(h->why, sizeof(h->why), "%s: %.100s", cmd, err);
			h->undetermined = 1;
		} else {
			return rc;
		}
	} else if (id->hpa_supported) {
		snprintf(h->why, sizeof(h->why), "a 28-bit drive with the hpa feature set: read native max address "
			 "is not asked");
		h->undetermined = 1;
	}
	if (id->dco_supported && !ama) {
		memset(buf, 0, sizeof(buf));
		ata_dco_identify_tf(&tf);
		if (ata_exec(fd, &tf, buf, sizeof(buf), 10000, &r, err, sizeof(err)) == 0 &&
		    ata_parse_dco(buf, sizeof(buf), &dco) == 0)
			have_dco = 1;
		else if (!h->undetermined) {
			snprintf(h->why, sizeof(h->why), "device configuration identify failed on a drive that "
				 "reports the dco feature set");
			h->undetermined = 1;
		}
	}
	{
		struct ata_hidden keep = *h;

		rc = ata_hidden_compute(id->sectors, have_native, native, have_dco, dco, h);
		h->ama = ama && have_native;
		h->undetermined = keep.undetermined;
		h->unreadable = keep.unreadable;
		memcpy(h->why, keep.why, sizeof(h->why));
	}
	return rc;
}

int ata_sanitize_status(int fd, struct ata_sanitize_status *st)
{
	struct ata_tf tf;
	struct ata_regs r;
	char err[160];
	int rc;

	memset(st, 0, sizeof(*st));
	ata_sanitize_tf(&tf, ATA_SANITIZE_STATUS, 0, 0, 0);
	rc = ata_exec(fd, &tf, NULL, 0, 10000, &r, err, sizeof(err));
	/* -ERANGE: fixed format hid upper bytes; -EIO with registers: the error outputs */
	if (rc && rc != -ERANGE && !(rc == -EIO && r.valid))
		return rc;
	if (!r.valid)	/* GOOD status without registers: nothing to read */
		return -EPROTO;
	return ata_parse_sanitize_status(&r, st);
}
