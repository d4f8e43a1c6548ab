#include "drivers/health.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/ata.h"
#include "drivers/nvme.h"
#include "drivers/scsi.h"
#include "drivers/sgio.h"
#include "util/xio.h"

#define ATA_CMD_SMART 0xb0
#define ATA_SMART_READ_DATA 0xd0
#define NVME_LOG_SMART 0x02
#define SCSI_LOG_SENSE 0x4d

void health_init(struct health *h)
{
	memset(h, 0, sizeof(*h));
	h->power_on_hours = h->reallocated = h->pending = h->uncorrectable = -1;
	h->media_errors = h->unsafe_shutdowns = -1;
	h->temperature_c = HEALTH_TEMP_UNKNOWN;
	h->percentage_used = h->critical_warning = h->available_spare = h->failure_predicted = -1;
}

/* ---- ATA ---- */

void health_ata_smart_tf(struct ata_tf *tf)
{
	/* ACS-4 7.48.5: FEATURE D0h, LBA 15:8 4Fh and 23:16 C2h (the SMART signature), one sector in */
	memset(tf, 0, sizeof(*tf));
	tf->command = ATA_CMD_SMART;
	tf->feature = ATA_SMART_READ_DATA;
	tf->lba = 0xc24f00;
	tf->count = 1;
	tf->proto = ATA_PROTO_PIO_IN;
}

static uint64_t le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | b[n];
	return v;
}

static uint64_t be(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

int health_parse_ata_smart(const uint8_t *b, size_t len, struct health *h)
{
	uint8_t sum = 0;

	if (len < 512)
		return -EINVAL;
	/* ACS-4 7.48.5.2: byte 511 makes the sum of all 512 bytes zero */
	for (unsigned i = 0; i < 512; i++)
		sum = (uint8_t)(sum + b[i]);
	if (sum)
		return -EBADMSG;
	h->nattrs = 0;
	for (unsigned i = 0; i < HEALTH_ATA_ATTRS; i++) {
		/* the attribute table (vendor-specific layout, de facto common): id, flags, value, worst, raw[6], reserved */
		const uint8_t *a = b + 2 + 12 * i;
		struct health_attr *x;

		if (!a[0])
			continue;
		x = &h->attrs[h->nattrs++];
		x->id = a[0];
		x->flags = (uint16_t)le(a + 1, 2);
		x->value = a[3];
		x->worst = a[4];
		x->raw = le(a + 5, 6);
		switch (x->id) {
		case 5: h->reallocated = (int64_t)x->raw; break;
		/* hours in the low 32 bits: some drives keep minutes or milliseconds above */
		case 9: h->power_on_hours = (int64_t)(x->raw & 0xffffffffu); break;
		/* current temperature in raw byte 0 (the others: min/max on many drives) */
		case 194: h->temperature_c = (int)(x->raw & 0xff); break;
		case 197: h->pending = (int64_t)x->raw; break;
		case 198: h->uncorrectable = (int64_t)x->raw; break;
		default: break;
		}
	}
	h->available = 1;
	snprintf(h->source, sizeof(h->source), "ata-smart");
	return 0;
}

/* ---- NVMe ---- */

/* a 128-bit little-endian counter, saturated at INT64_MAX */
static int64_t le128(const uint8_t *b)
{
	uint64_t lo = le(b, 8), hi = le(b + 8, 8);

	return hi || lo > INT64_MAX ? INT64_MAX : (int64_t)lo;
}

int health_parse_nvme_smart(const uint8_t *b, size_t len, struct health *h)
{
	unsigned k;

	if (len < 512)
		return -EINVAL;
	/* NVMe 2.0 Base 5.16.1.3 Figure 207 */
	h->critical_warning = b[0];
	k = (unsigned)le(b + 1, 2);	/* composite temperature, kelvin; 0 = not reported */
	h->temperature_c = k ? (int)k - 273 : HEALTH_TEMP_UNKNOWN;
	h->available_spare = b[3];
	h->percentage_used = b[5];
	h->power_on_hours = le128(b + 128);
	h->unsafe_shutdowns = le128(b + 144);
	h->media_errors = le128(b + 160);
	/* bit 0 spare below threshold, 2 reliability degraded, 3 read-only, 4 volatile backup failed */
	h->failure_predicted = (b[0] & 0x1d) != 0;
	h->available = 1;
	snprintf(h->source, sizeof(h->source), "nvme-smart");
	return 0;
}

/* ---- SCSI ---- */

int health_log_sense_cdb(uint8_t cdb[10], uint8_t page, uint16_t len)
{
	if (page > 0x3f || len < 4)
		return -EINVAL;
	/* SPC-5 6.8 LOG SENSE: PC 01b (cumulative values), SP 0, subpage 0 */
	memset(cdb, 0, 10);
	cdb[0] = SCSI_LOG_SENSE;
	cdb[2] = (uint8_t)(0x40 | page);
	cdb[7] = (uint8_t)(len >> 8);
	cdb[8] = (uint8_t)len;
	return 0;
}

/* The page's length from its header, bounded by what arrived. */
static int page_len(const uint8_t *b, size_t len, size_t *end)
{
	if (len < 4)
		return -EINVAL;
	*end = 4 + (size_t)be(b + 2, 2);
	if (*end > len)
		*end = len;
	return 0;
}

int health_parse_scsi_supported(const uint8_t *b, size_t len, struct health *h)
{
	size_t end;

	if (page_len(b, len, &end) < 0 || (b[0] & 0x3f) != 0)
		return -EINVAL;
	h->npages = 0;
	for (size_t i = 4; i < end && h->npages < sizeof(h->pages); i++)
		h->pages[h->npages++] = b[i] & 0x3f;
	return 0;
}

int health_parse_scsi_page(const uint8_t *b, size_t len, struct health *h)
{
	uint8_t page;
	size_t end, i;

	if (page_len(b, len, &end) < 0)
		return -EINVAL;
	page = b[0] & 0x3f;
	/* SPC-5 7.3.1: parameters of a 4-byte header (code, control, length) and their value */
	for (i = 4; i + 4 <= end;) {
		unsigned code = (unsigned)be(b + i, 2), plen = b[i + 3];
		const uint8_t *v = b + i + 4;

		if (i + 4 + plen > end)
			return -EINVAL;
		switch (page) {
		case 0x0d:	/* SPC-5 7.3.21 Temperature: parameter 0000h, byte 1 of the value; FFh none */
			if (code == 0 && plen >= 2 && v[1] != 0xff)
				h->temperature_c = v[1];
			break;
		case 0x2f:	/* SPC-5 7.3.8 Informational Exceptions: ASC, ASCQ, most recent temperature */
			if (code == 0 && plen >= 3) {
				h->ie_asc = v[0];
				h->ie_ascq = v[1];
				/* ASC 5Dh: failure prediction threshold exceeded */
				h->failure_predicted = v[0] == 0x5d;
				if (h->temperature_c == HEALTH_TEMP_UNKNOWN && v[2] != 0xff && v[2])
					h->temperature_c = v[2];
			}
			break;
		case 0x02:	/* SPC-5 7.3.9 Write / 7.3.7 Read Error Counters: 0006h total uncorrected */
		case 0x03:
			if (code == 6 && plen >= 1 && plen <= 8) {
				/* an 8-byte counter may pass INT64_MAX, and so may the sum: saturate, as le128 does */
				uint64_t cur = h->uncorrectable < 0 ? 0 : (uint64_t)h->uncorrectable, add = be(v, plen);
				h->uncorrectable = add > (uint64_t)INT64_MAX - cur ? INT64_MAX : (int64_t)(cur + add);
			}
			break;
		case 0x15:	/* SBC-4 6.4.2 Background Scan Results: accumulated power on minutes */
			if (code == 0 && plen >= 4)
				h->power_on_hours = (int64_t)(be(v, 4) / 60);
			break;
		default:
			return 0;
		}
		i += 4 + plen;
	}
	return 0;
}

/* ---- reading ---- */

static void not_available(struct health *h, const char *fmt, const char *a, const char *b)
{
	h->available = 0;
	h->source[0] = '\0';
	snprintf(h->why, sizeof(h->why), fmt, a, b);
}

static int read_nvme(int fd, struct health *h)
{
	uint8_t buf[512] __attribute__((aligned(64)));
	struct nvme_admin_cmd c;
	uint16_t status = 0;
	int rc;

	memset(buf, 0, sizeof(buf));
	/* controller-wide: NSID FFFFFFFFh */
	rc = nvme_get_log_cmd(&c, NVME_LOG_SMART, 0xffffffffu, buf, sizeof(buf));
	if (!rc)
		rc = nvme_admin(fd, &c, &status);
	if (rc) {
		not_available(h, "the nvme smart / health log could not be read: %s%s",
			      rc == -EIO ? "the controller refused it: " : "",
			      rc == -EIO ? nvme_status_str(status) : strerror(-rc));
		return 0;
	}
	return health_parse_nvme_smart(buf, sizeof(buf), h);
}

static int read_ata(int fd, struct health *h, char *err, size_t errlen)
{
	uint8_t buf[512];
	struct ata_tf tf;
	struct ata_regs r;
	int rc;

	memset(buf, 0, sizeof(buf));
	health_ata_smart_tf(&tf);
	rc = ata_exec(fd, &tf, buf, sizeof(buf), 10000, &r, err, errlen);
	if (rc == 0)
		rc = health_parse_ata_smart(buf, sizeof(buf), h);
	if (rc == -EBADMSG)
		snprintf(err, errlen, "smart data checksum mismatch");
	else if (rc < 0 && rc != -EIO)
		snprintf(err, errlen, "%s", rc == -EOPNOTSUPP ? "no ata pass-through" : strerror(-rc));
	return rc;
}

static int log_sense(int fd, uint8_t page, uint8_t *buf, size_t len, size_t *got)
{
	struct sgio_reply r;
	uint8_t cdb[10];
	int rc;

	health_log_sense_cdb(cdb, page, (uint16_t)len);
	memset(buf, 0, len);
	rc = sgio_run(fd, cdb, sizeof(cdb), SGIO_FROM_DEV, buf, len, 10000, &r);
	if (rc == 0)
		rc = scsi_status(&r, NULL);
	if (rc == 0)
		*got = r.resid > 0 && (size_t)r.resid < len ? len - (size_t)r.resid : len;
	return rc;
}

static int read_scsi(int fd, struct health *h)
{
	static const uint8_t want[] = { 0x0d, 0x2f, 0x02, 0x03, 0x15 };
	uint8_t *buf = malloc(4096);
	size_t got = 0;
	int rc, any = 0;

	if (!buf)
		return -ENOMEM;
	rc = log_sense(fd, 0x00, buf, 4096, &got);
	if (rc == 0)
		rc = health_parse_scsi_supported(buf, got, h);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	for (unsigned i = 0; i < sizeof(want); i++) {
		if (!memchr(h->pages, want[i], h->npages))
			continue;
		if (log_sense(fd, want[i], buf, 4096, &got) == 0 && health_parse_scsi_page(buf, got, h) == 0)
			any = 1;
	}
	free(buf);
	h->available = 1;
	snprintf(h->source, sizeof(h->source), "scsi-log");
	if (!any)
		snprintf(h->why, sizeof(h->why), "no health log page among the %u supported", h->npages);
	return 0;
}

/* Devices with no drive of their own behind them. */
static const char *virtual_kind(const char *n)
{
	static const struct { const char *prefix, *what; } v[] = {
		{ "loop", "a loop device" }, { "vd", "a virtio disk" }, { "xvd", "a xen disk" },
		{ "dm-", "a device-mapper device" }, { "md", "a software raid" }, { "nbd", "a network block device" },
		{ "zram", "a compressed ram disk" }, { "ram", "a ram disk" }, { "sr", "an optical drive" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strncmp(n, v[i].prefix, strlen(v[i].prefix)))
			return v[i].what;
	return NULL;
}

int health_read(const char *path, struct health *out)
{
	char real[PATH_MAX], err[96] = "";
	const char *name, *what;
	int fd = -1, rc;

	health_init(out);
	if (!realpath(path, real))
		return -errno;
	name = strrchr(real, '/');
	name = name ? name + 1 : real;
	what = virtual_kind(name);
	if (what) {
		not_available(out, "%.40s has no drive health: it is %s", name, what);
		return 0;
	}
	rc = xopen(real, O_RDONLY | O_NONBLOCK, 0, &fd);
	if (rc < 0)
		return rc;
	if (!strncmp(name, "nvme", 4)) {
		read_nvme(fd, out);	/* a refusal is "not available", not an error */
		xclose(fd);
		return 0;
	}
	/* an ATA drive (directly or behind a SAT bridge) answers SMART; a SCSI drive has log pages */
	rc = read_ata(fd, out, err, sizeof(err));
	if (rc < 0) {
		char ata[96];

		snprintf(ata, sizeof(ata), "%s", err[0] ? err : strerror(-rc));
		if (read_scsi(fd, out) < 0)
			not_available(out, "%.40s answers neither ata smart read data (%.60s) nor log sense", name, ata);
	}
	xclose(fd);
	return 0;
}

/* ---- JSON ---- */

static json_t *num(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

json_t *health_to_json(const struct health *h)
{
	json_t *o, *a;
	int bad = 0;

	o = json_object();
	if (!o)
		return NULL;
	bad |= json_object_set_new(o, "available", json_boolean(h->available));
	bad |= json_object_set_new(o, "source", h->source[0] ? json_string(h->source) : json_null());
	bad |= json_object_set_new(o, "note", h->why[0] ? json_string(h->why) : json_null());
	if (h->available) {
		bad |= json_object_set_new(o, "power_on_hours", num(h->power_on_hours));
		bad |= json_object_set_new(o, "temperature_c", h->temperature_c == HEALTH_TEMP_UNKNOWN ? json_null() :
					   json_integer(h->temperature_c));
		bad |= json_object_set_new(o, "reallocated_sectors", num(h->reallocated));
		bad |= json_object_set_new(o, "pending_sectors", num(h->pending));
		bad |= json_object_set_new(o, "uncorrectable_errors", num(h->uncorrectable));
		bad |= json_object_set_new(o, "media_errors", num(h->media_errors));
		bad |= json_object_set_new(o, "unsafe_shutdowns", num(h->unsafe_shutdowns));
		bad |= json_object_set_new(o, "percentage_used", num(h->percentage_used));
		bad |= json_object_set_new(o, "available_spare", num(h->available_spare));
		bad |= json_object_set_new(o, "critical_warning", num(h->critical_warning));
		bad |= json_object_set_new(o, "failure_predicted", h->failure_predicted < 0 ? json_null() :
					   json_boolean(h->failure_predicted));
		if (h->nattrs) {
			a = json_array();
			for (unsigned i = 0; a && i < h->nattrs && i < HEALTH_ATA_ATTRS; i++)
				bad |= json_array_append_new(a, json_pack("{s:i,s:i,s:i,s:i,s:I}", "id", h->attrs[i].id,
					"flags", h->attrs[i].flags, "value", h->attrs[i].value, "worst", h->attrs[i].worst,
					"raw", (json_int_t)h->attrs[i].raw));
			bad |= json_object_set_new(o, "ata_attributes", a);
		}
		if (!strcmp(h->source, "scsi-log"))
			bad |= json_object_set_new(o, "informational_exception", json_pack("{s:i,s:i}", "asc", h->ie_asc,
											 "ascq", h->ie_ascq));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
