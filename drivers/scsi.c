#include "drivers/ident.h"
#include "drivers/scsi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* SPC-5 6.7.1 INQUIRY */
void scsi_inquiry_cdb(uint8_t cdb[6], int evpd, uint8_t page, uint16_t alloc)
{
	memset(cdb, 0, 6);
	cdb[0] = SCSI_OP_INQUIRY;
	cdb[1] = evpd ? 0x01 : 0x00;
	cdb[2] = evpd ? page : 0;
	put_be16(cdb + 3, alloc);
}

/* SPC-5 6.39 REQUEST SENSE */
void scsi_request_sense_cdb(uint8_t cdb[6], int desc, uint8_t alloc)
{
	memset(cdb, 0, 6);
	cdb[0] = SCSI_OP_REQUEST_SENSE;
	cdb[1] = desc ? 0x01 : 0x00;
	cdb[4] = alloc;
}

/* SBC-4 5.30 SANITIZE */
int scsi_sanitize_cdb(uint8_t cdb[10], enum scsi_sanitize_sa sa, int immed, int ause, uint16_t param_len)
{
	memset(cdb, 0, 10);
	switch (sa) {
	case SCSI_SANITIZE_OVERWRITE:
		if (param_len < 5)
			return -EINVAL;
		break;
	case SCSI_SANITIZE_BLOCK_ERASE:
	case SCSI_SANITIZE_CRYPTO_ERASE:
	case SCSI_SANITIZE_EXIT_FAILURE:
		if (param_len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	cdb[0] = SCSI_OP_SANITIZE;
	cdb[1] = (uint8_t)((immed ? 0x80 : 0) | (ause ? 0x20 : 0) | (sa & 0x1f));
	put_be16(cdb + 7, param_len);
	return 0;
}

/* SBC-4 5.30.2.2 Table 145: SANITIZE OVERWRITE parameter list */
int scsi_sanitize_overwrite_params(uint8_t *p, size_t plen, unsigned count, int invert,
				   const uint8_t *pat, size_t pat_len, size_t *out_len)
{
	if (count < 1 || count > 31 || !pat || pat_len < 1 || pat_len > 0xffff ||
	    plen < 4 || pat_len > plen - 4)
		return -EINVAL;
	memset(p, 0, 4);
	p[0] = (uint8_t)((invert ? 0x80 : 0) | count);
	put_be16(p + 2, (uint16_t)pat_len);
	memcpy(p + 4, pat, pat_len);
	*out_len = 4 + pat_len;
	return 0;
}

/* SPC-5 6.34 REPORT SUPPORTED OPERATION CODES */
void scsi_rsoc_cdb(uint8_t cdb[12], uint8_t op, int with_sa, uint16_t sa, uint32_t alloc)
{
	memset(cdb, 0, 12);
	cdb[0] = SCSI_OP_MAINTENANCE_IN;
	cdb[1] = SCSI_SA_RSOC;
	cdb[2] = with_sa ? 0x02 : 0x01;
	cdb[3] = op;
	put_be16(cdb + 4, with_sa ? sa : 0);
	cdb[6] = (uint8_t)(alloc >> 24);
	cdb[7] = (uint8_t)(alloc >> 16);
	cdb[8] = (uint8_t)(alloc >> 8);
	cdb[9] = (uint8_t)alloc;
}

static void sks_progress(struct scsi_sense *o)
{
	/* SPC-5 4.4.2.4.4: progress indication for NO SENSE and NOT READY */
	if (o->sksv && (o->key == SCSI_KEY_NO_SENSE || o->key == SCSI_KEY_NOT_READY)) {
		o->has_progress = 1;
		o->progress = get_be16(o->sks + 1) / 65536.0;
	}
}

int scsi_sense_find_desc(const uint8_t *s, size_t len, uint8_t type, const uint8_t **d, size_t *dlen)
{
	size_t end, off;

	if (!s || len < 8 || ((s[0] & 0x7f) != 0x72 && (s[0] & 0x7f) != 0x73))
		return -EINVAL;
	end = 8 + (size_t)s[7];
	if (end > len)
		return -EINVAL;
	for (off = 8; off < end;) {
		size_t n;

		if (end - off < 2)
			return -EINVAL;
		n = 2 + (size_t)s[off + 1];
		if (n > end - off)
			return -EINVAL;
		if (s[off] == type) {
			*d = s + off;
			*dlen = n;
			return 0;
		}
		off += n;
	}
	return -ENOENT;
}

/* SPC-5 4.4.2 descriptor format, 4.4.3 fixed format */
int scsi_parse_sense(const uint8_t *s, size_t len, struct scsi_sense *o)
{
	const uint8_t *d;
	size_t dlen;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!s || len < 8)
		return -EINVAL;
	o->response = s[0] & 0x7f;
	switch (o->response) {
	case 0x70:
	case 0x71:
		if (8 + (size_t)s[7] > len)
			return -EINVAL;
		o->key = s[2] & 0x0f;
		if (len >= 14 && s[7] >= 6) {
			o->asc = s[12];
			o->ascq = s[13];
		}
		if (len >= 18 && s[7] >= 10) {
			memcpy(o->sks, s + 15, 3);
			o->sksv = !!(s[15] & 0x80);
		}
		break;
	case 0x72:
	case 0x73:
		if (8 + (size_t)s[7] > len)
			return -EINVAL;
		o->key = s[1] & 0x0f;
		o->asc = s[2];
		o->ascq = s[3];
		/* SPC-5 4.4.2.4: sense key specific descriptor, type 02h, 6 bytes */
		rc = scsi_sense_find_desc(s, len, 0x02, &d, &dlen);
		if (rc == -EINVAL)
			return rc;
		if (rc == 0) {
			if (dlen < 8 || d[1] != 0x06)
				return -EINVAL;
			memcpy(o->sks, d + 4, 3);
			o->sksv = !!(d[4] & 0x80);
		}
		break;
	default:
		return -EINVAL;
	}
	sks_progress(o);
	return 0;
}

const char *scsi_key_name(uint8_t key)
{
	static const char *const names[16] = {
		"no sense", "recovered error", "not ready", "medium error", "hardware error",
		"illegal request", "unit attention", "data protect", "blank check", "vendor specific",
		"copy aborted", "aborted command", "reserved", "volume overflow", "miscompare",
		"completed",
	};
	return names[key & 0x0f];
}

static const char *asc_name(uint8_t asc, uint8_t ascq)
{
	switch (asc << 8 | ascq) {
	case 0x0000: return "no additional sense information";
	case 0x0400: return "logical unit not ready";
	case 0x0404: return "logical unit not ready, format in progress";
	case 0x041b: return "logical unit not ready, sanitize in progress";
	case 0x1a00: return "parameter list length error";
	case 0x2000: return "invalid command operation code";
	case 0x2400: return "invalid field in cdb";
	case 0x2600: return "invalid field in parameter list";
	case 0x2700: return "write protected";
	case 0x2900: return "power on or reset occurred";
	case 0x2c00: return "command sequence error";
	case 0x3100: return "medium format corrupted";
	case 0x3103: return "sanitize command failed";
	case 0x001d: return "ata pass-through information available";
	}
	return "";
}

void scsi_sense_str(const struct scsi_sense *s, char *buf, size_t len)
{
	const char *a = asc_name(s->asc, s->ascq);

	snprintf(buf, len, "%s%s%s (asc 0x%02x ascq 0x%02x)", scsi_key_name(s->key),
		 *a ? ": " : "", a, s->asc, s->ascq);
}

/* SPC-5 6.7.2 standard INQUIRY data */
int scsi_parse_inquiry(const uint8_t *b, size_t len, struct scsi_ident *id)
{
	int rc;

	if (!b || len < 36 || (size_t)b[4] + 5 < 36)
		return -EINVAL;
	id->device_type = b[0] & 0x1f;
	rc = ident_ascii(id->vendor, sizeof(id->vendor), b + 8, 8);
	if (!rc)
		rc = ident_ascii(id->product, sizeof(id->product), b + 16, 16);
	if (!rc)
		rc = ident_ascii(id->revision, sizeof(id->revision), b + 32, 4);
	return rc;
}

static int vpd_header(const uint8_t *b, size_t len, uint8_t page, size_t *plen)
{
	if (!b || len < 4 || b[1] != page)
		return -EINVAL;
	*plen = get_be16(b + 2);
	if (*plen > len - 4)
		return -EINVAL;
	return 0;
}

/* SPC-5 7.7.18 Unit Serial Number VPD page */
int scsi_parse_vpd_serial(const uint8_t *b, size_t len, struct scsi_ident *id)
{
	size_t n;
	int rc = vpd_header(b, len, 0x80, &n);

	if (rc)
		return rc;
	return ident_ascii(id->serial, sizeof(id->serial), b + 4, n);
}

/* SPC-5 7.7.6 Device Identification VPD page: LU-associated NAA designator */
int scsi_parse_vpd_devid(const uint8_t *b, size_t len, struct scsi_ident *id)
{
	size_t n, off, end;
	int rc = vpd_header(b, len, 0x83, &n);

	if (rc)
		return rc;
	id->wwn[0] = 0;
	end = 4 + n;
	for (off = 4; off < end;) {
		size_t dl, k;
		uint8_t code_set, assoc, type;

		if (end - off < 4)
			return -EINVAL;
		dl = b[off + 3];
		if (dl > end - off - 4)
			return -EINVAL;
		code_set = b[off] & 0x0f;
		assoc = (b[off + 1] >> 4) & 0x03;
		type = b[off + 1] & 0x0f;
		/* NAA: binary, 8 or 16 bytes, first nibble the NAA type (2,3,5,6) */
		if (type == 0x3 && assoc == 0 && code_set == 1 && !id->wwn[0]) {
			if (dl != 8 && dl != 16)
				return -EINVAL;
			memcpy(id->wwn, "naa.", 4);
			for (k = 0; k < dl; k++)
				snprintf(id->wwn + 4 + 2 * k, 3, "%02x", b[off + 4 + k]);
		}
		off += 4 + dl;
	}
	return 0;
}

/* SPC-5 6.34.3 Table 233: one_command parameter data */
int scsi_parse_rsoc_one(const uint8_t *b, size_t len, uint8_t *support)
{
	size_t cdbsz;

	if (!b || len < 4)
		return -EINVAL;
	cdbsz = get_be16(b + 2);
	if (cdbsz > len - 4)
		return -EINVAL;
	*support = b[1] & 0x07;
	if (*support == 2 || *support == 4 || *support > 5)
		return -EINVAL;
	return 0;
}

int scsi_status(const struct sgio_reply *r, struct scsi_sense *sense)
{
	struct scsi_sense tmp;

	switch (r->status) {
	case SGIO_STATUS_GOOD:
		return 0;
	case SGIO_STATUS_CHECK_CONDITION:
		if (scsi_parse_sense(r->sense, r->sense_len, sense ? sense : &tmp) < 0 && sense)
			memset(sense, 0, sizeof(*sense));
		return -EIO;
	case SGIO_STATUS_BUSY:
		return -EBUSY;
	}
	return -EPROTO;
}

static int data_in(int fd, const uint8_t *cdb, size_t cdb_len, uint8_t *buf, size_t len, size_t *got,
		   struct scsi_sense *sense)
{
	struct sgio_reply r;
	int rc = sgio_run(fd, cdb, cdb_len, SGIO_FROM_DEV, buf, len, 30000, &r);

	if (rc)
		return rc;
	rc = scsi_status(&r, sense);
	if (rc)
		return rc;
	*got = r.resid > 0 && (size_t)r.resid <= len ? len - (size_t)r.resid : len;
	return 0;
}

int scsi_identify(int fd, struct scsi_ident *id)
{
	uint8_t cdb[6], buf[252];
	size_t got;
	int rc;

	memset(id, 0, sizeof(*id));
	memset(buf, 0, sizeof(buf));
	scsi_inquiry_cdb(cdb, 0, 0, 96);
	rc = data_in(fd, cdb, sizeof(cdb), buf, 96, &got, NULL);
	if (rc)
		return rc;
	rc = scsi_parse_inquiry(buf, got, id);
	if (rc)
		return rc;
	memset(buf, 0, sizeof(buf));
	scsi_inquiry_cdb(cdb, 1, 0x80, sizeof(buf));
	if (data_in(fd, cdb, sizeof(cdb), buf, sizeof(buf), &got, NULL) == 0 &&
	    (rc = scsi_parse_vpd_serial(buf, got, id)) < 0)
		return rc;
	memset(buf, 0, sizeof(buf));
	scsi_inquiry_cdb(cdb, 1, 0x83, sizeof(buf));
	if (data_in(fd, cdb, sizeof(cdb), buf, sizeof(buf), &got, NULL) == 0 &&
	    (rc = scsi_parse_vpd_devid(buf, got, id)) < 0)
		return rc;
	return 0;
}

int scsi_sanitize_supported(int fd, enum scsi_sanitize_sa sa, int *supported)
{
	uint8_t cdb[12], buf[64];
	struct scsi_sense sense;
	uint8_t support;
	size_t got;
	int rc;

	memset(buf, 0, sizeof(buf));
	scsi_rsoc_cdb(cdb, SCSI_OP_SANITIZE, 1, sa, sizeof(buf));
	rc = data_in(fd, cdb, sizeof(cdb), buf, sizeof(buf), &got, &sense);
	if (rc == -EIO && sense.key == SCSI_KEY_ILLEGAL_REQUEST)
		return -EOPNOTSUPP;
	if (rc)
		return rc;
	rc = scsi_parse_rsoc_one(buf, got, &support);
	if (rc)
		return rc;
	*supported = support == 3 || support == 5;
	return 0;
}

int scsi_sanitize(int fd, enum scsi_sanitize_sa sa, int immed, const uint8_t *params, size_t plen,
		  struct scsi_sense *sense)
{
	uint8_t cdb[10], buf[516];
	struct sgio_reply r;
	int rc;

	memset(sense, 0, sizeof(*sense));
	if (plen > sizeof(buf) || (plen && !params))
		return -EINVAL;
	rc = scsi_sanitize_cdb(cdb, sa, immed, 0, (uint16_t)plen);
	if (rc)
		return rc;
	if (plen)
		memcpy(buf, params, plen);
	/* without IMMED the command holds the bus for the whole erase: hours on a disk */
	rc = sgio_run(fd, cdb, sizeof(cdb), plen ? SGIO_TO_DEV : SGIO_NONE, plen ? buf : NULL, plen,
		      immed ? 60000 : 24u * 3600 * 1000, &r);
	if (rc)
		return rc;
	return scsi_status(&r, sense);
}

int scsi_request_sense(int fd, struct scsi_sense *sense)
{
	uint8_t cdb[6], buf[SGIO_SENSE_MAX];
	size_t got;
	int rc;

	memset(buf, 0, sizeof(buf));
	scsi_request_sense_cdb(cdb, 0, sizeof(buf));
	rc = data_in(fd, cdb, sizeof(cdb), buf, sizeof(buf), &got, NULL);
	if (rc)
		return rc;
	return scsi_parse_sense(buf, got, sense);
}
