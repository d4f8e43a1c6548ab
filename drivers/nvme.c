#include "drivers/ident.h"
#include "drivers/nvme.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* NVMe 2.0 Base 5.17 Identify: CDW10 bits 7:0 CNS */
void nvme_identify_cmd(struct nvme_admin_cmd *c, uint8_t cns, uint32_t nsid, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->opcode = NVME_OP_IDENTIFY;
	c->nsid = nsid;
	c->addr = (uint64_t)(uintptr_t)buf;
	c->data_len = NVME_ID_SIZE;
	c->cdw10 = cns;
}

/* NVMe 2.0 Base 5.16 Get Log Page: CDW10 LID 7:0, NUMDL 31:16; CDW11 NUMDU 15:0 (0-based dwords) */
int nvme_get_log_cmd(struct nvme_admin_cmd *c, uint8_t lid, uint32_t nsid, void *buf, uint32_t len)
{
	uint32_t numd;

	memset(c, 0, sizeof(*c));
	if (len < 4 || len % 4 || len > (64u << 10))
		return -EINVAL;
	numd = len / 4 - 1;
	c->opcode = NVME_OP_GET_LOG;
	c->nsid = nsid;
	c->addr = (uint64_t)(uintptr_t)buf;
	c->data_len = len;
	c->cdw10 = (numd & 0xffff) << 16 | lid;
	c->cdw11 = numd >> 16;
	return 0;
}

/* NVMe 2.0 Base 5.24 Sanitize: CDW10 SANACT 2:0, AUSE 3, OWPASS 7:4, OIPBP 8, NDAS 9; CDW11 OVRPAT */
int nvme_sanitize_cmd(struct nvme_admin_cmd *c, enum nvme_sanact act, const struct nvme_sanitize_opts *o)
{
	static const struct nvme_sanitize_opts none;
	uint32_t v;

	memset(c, 0, sizeof(*c));
	if (!o)
		o = &none;
	if (act < NVME_SANACT_EXIT_FAILURE || act > NVME_SANACT_CRYPTO)
		return -EINVAL;
	v = (uint32_t)act;
	if (o->ause)
		v |= 1u << 3;
	if (act == NVME_SANACT_OVERWRITE) {
		if (o->owpass < 1 || o->owpass > 16)
			return -EINVAL;
		v |= (o->owpass & 0x0f) << 4;	/* 16 passes encode as 0 */
		if (o->oipbp)
			v |= 1u << 8;
		c->cdw11 = o->pattern;
	}
	if (o->ndas)
		v |= 1u << 9;
	c->opcode = NVME_OP_SANITIZE;
	c->cdw10 = v;
	return 0;
}

/* NVMe 2.0 Base 5.23 Format NVM: CDW10 LBAF 3:0, MSET 4, PI 7:5, PIL 8, SES 11:9, LBAFU 13:12 */
int nvme_format_cmd(struct nvme_admin_cmd *c, uint32_t nsid, unsigned lbaf, enum nvme_ses ses)
{
	memset(c, 0, sizeof(*c));
	if (lbaf > 63 || (ses != NVME_SES_NONE && ses != NVME_SES_USER && ses != NVME_SES_CRYPTO) || !nsid)
		return -EINVAL;
	c->opcode = NVME_OP_FORMAT;
	c->nsid = nsid;
	c->cdw10 = (lbaf & 0x0f) | ((uint32_t)ses & 0x7) << 9 | ((lbaf >> 4) & 0x3) << 12;
	return 0;
}

/* NVMe 2.0 Base 5.23 Figure 368: LBAFL 3:0, MSET 4, PI 7:5, PIL 8, SES 11:9, LBAFU 13:12 */
int nvme_format_cmd_keep(struct nvme_admin_cmd *c, uint32_t nsid, const struct nvme_ns_info *ns, enum nvme_ses ses)
{
	int rc = nvme_format_cmd(c, nsid, ns->flbas, ses);

	if (rc)
		return rc;
	if (ns->mset > 1 || ns->pi > 3 || ns->pil > 1) {
		memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	c->cdw10 |= ns->mset << 4 | ns->pi << 5 | ns->pil << 8;
	return 0;
}

/* NVMe 2.0 Base 5.17.2.1 Figure 275: Identify Controller data structure */
int nvme_parse_id_ctrl(const uint8_t *b, size_t len, struct nvme_ctrl_info *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	if (!b || len < NVME_ID_SIZE)
		return -EINVAL;
	o->vid = le16(b + 0);
	rc = ident_ascii(o->serial, sizeof(o->serial), b + 4, 20);
	if (!rc)
		rc = ident_ascii(o->model, sizeof(o->model), b + 24, 40);
	if (!rc)
		rc = ident_ascii(o->firmware, sizeof(o->firmware), b + 64, 8);
	if (rc)
		return rc;
	o->oacs = le16(b + 256);
	o->format_supported = !!(o->oacs & 0x0002);
	o->sanicap = le32(b + 328);
	o->san_crypto = !!(o->sanicap & 0x1);
	o->san_block = !!(o->sanicap & 0x2);
	o->san_overwrite = !!(o->sanicap & 0x4);
	o->san_ndi = !!(o->sanicap & (1u << 29));
	o->nn = le32(b + 516);
	o->fna = b[524];
	o->fna_all_ns = !!(o->fna & 0x1);
	o->fna_erase_all_ns = !!(o->fna & 0x2);
	o->fna_crypto = !!(o->fna & 0x4);
	return 0;
}

/* NVMe 2.0 NVM Command Set 4.1.5.1 Identify Namespace: NSZE, NCAP, NUSE, NLBAF 25, FLBAS 26, LBAF 128+4n */
int nvme_parse_id_ns(const uint8_t *b, size_t len, struct nvme_ns_info *o)
{
	unsigned idx, lbads;
	uint32_t lbaf;

	memset(o, 0, sizeof(*o));
	if (!b || len < NVME_ID_SIZE)
		return -EINVAL;
	o->nsze = le64(b + 0);
	o->ncap = le64(b + 8);
	o->nuse = le64(b + 16);
	o->nlbaf = (unsigned)b[25] + 1;	/* 0-based */
	if (o->nlbaf > 64)
		return -EINVAL;
	idx = (b[26] & 0x0f) | ((b[26] >> 5) & 0x3) << 4;
	if (idx >= o->nlbaf)
		return -EINVAL;
	o->flbas = idx;
	o->mset = (b[26] >> 4) & 1;	/* 5.17.2.1 Figure 277 FLBAS bit 4 */
	o->pi = b[29] & 0x7;		/* DPS bits 2:0; 4..7 reserved */
	o->pil = (b[29] >> 3) & 1;
	o->dlfeat = b[33] & 0x7;
	if (o->pi > 3)
		return -EINVAL;
	lbaf = le32(b + 128 + 4 * idx);
	lbads = (lbaf >> 16) & 0xff;	/* log2 of the LBA data size */
	if (lbads < 9 || lbads > 24)
		return -EINVAL;
	o->lba_size = 1u << lbads;
	if (o->ncap > o->nsze || o->nuse > o->ncap)
		return -EINVAL;
	return 0;
}

/* NVMe 2.0 Base 5.16.1.25 Figure 287: Sanitize Status log page */
int nvme_parse_sanitize_log(const uint8_t *b, size_t len, struct nvme_sanitize_status *o)
{
	memset(o, 0, sizeof(*o));
	if (!b || len < 20)
		return -EINVAL;
	o->sprog = le16(b + 0);
	o->sstat = le16(b + 2);
	o->progress = o->sprog / 65536.0;
	if ((o->sstat & 0x7) > NVME_SSTAT_COMPLETED_NDA)
		return -EINVAL;
	o->state = (enum nvme_sstat)(o->sstat & 0x7);
	o->passes = (o->sstat >> 3) & 0x1f;
	o->global_erased = !!(o->sstat & 0x100);
	o->scdw10 = le32(b + 4);
	o->eto = le32(b + 8);
	o->etbe = le32(b + 12);
	o->etce = le32(b + 16);
	return 0;
}

const char *nvme_status_str(uint16_t status)
{
	unsigned sct = (status >> 8) & 0x7, sc = status & 0xff;

	if (sct == 0) {
		switch (sc) {
		case 0x00: return "success";
		case 0x01: return "invalid command opcode";
		case 0x02: return "invalid field in command";
		case 0x04: return "data transfer error";
		case 0x05: return "commands aborted due to power loss notification";
		case 0x06: return "internal error";
		case 0x07: return "command abort requested";
		case 0x0b: return "invalid namespace or format";
		case 0x0c: return "command sequence error";
		case 0x1c: return "sanitize failed";
		case 0x1d: return "sanitize in progress";
		case 0x20: return "namespace is write protected";
		case 0x21: return "command interrupted";
		case 0x23: return "sanitize prohibited while persistent memory region is enabled";
		}
		return "generic command error";
	}
	if (sct == 1) {
		switch (sc) {
		case 0x0a: return "invalid format";
		case 0x0b: return "firmware activation requires conventional reset";
		case 0x15: return "namespace insufficient capacity";
		case 0x20: return "namespace is write protected";
		}
		return "command specific error";
	}
	if (sct == 2)
		return "media or data integrity error";
	return "vendor specific or path error";
}

int nvme_admin(int fd, struct nvme_admin_cmd *c, uint16_t *status)
{
	int rc;

	if (status)
		*status = 0;
	do {
		rc = ioctl(fd, NVME_IOCTL_ADMIN_CMD, c);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	if (rc > 0) {
		if (status)
			*status = (uint16_t)rc;
		return -EIO;
	}
	return 0;
}

int nvme_nsid(int fd, uint32_t *nsid)
{
	int rc = ioctl(fd, NVME_IOCTL_ID);

	if (rc < 0)
		return -errno;
	if (rc == 0)
		return -ENOTTY;	/* a controller node, not a namespace */
	*nsid = (uint32_t)rc;
	return 0;
}

int nvme_identify_ctrl(int fd, struct nvme_ctrl_info *o, uint16_t *status)
{
	uint8_t buf[NVME_ID_SIZE] __attribute__((aligned(64)));
	struct nvme_admin_cmd c;
	int rc;

	memset(buf, 0, sizeof(buf));
	nvme_identify_cmd(&c, 1, 0, buf);
	rc = nvme_admin(fd, &c, status);
	if (rc)
		return rc;
	return nvme_parse_id_ctrl(buf, sizeof(buf), o);
}

int nvme_identify_ns(int fd, uint32_t nsid, struct nvme_ns_info *o, uint16_t *status)
{
	uint8_t buf[NVME_ID_SIZE] __attribute__((aligned(64)));
	struct nvme_admin_cmd c;
	int rc;

	memset(buf, 0, sizeof(buf));
	nvme_identify_cmd(&c, 0, nsid, buf);
	rc = nvme_admin(fd, &c, status);
	if (rc)
		return rc;
	return nvme_parse_id_ns(buf, sizeof(buf), o);
}

int nvme_sanitize_log(int fd, struct nvme_sanitize_status *o, uint16_t *status)
{
	uint8_t buf[NVME_SANITIZE_LOG_SIZE] __attribute__((aligned(64)));
	struct nvme_admin_cmd c;
	int rc;

	memset(buf, 0, sizeof(buf));
	rc = nvme_get_log_cmd(&c, NVME_LOG_SANITIZE, 0xffffffffu, buf, sizeof(buf));
	if (!rc)
		rc = nvme_admin(fd, &c, status);
	if (rc)
		return rc;
	return nvme_parse_sanitize_log(buf, sizeof(buf), o);
}

int nvme_sanitize(int fd, enum nvme_sanact act, const struct nvme_sanitize_opts *o, uint16_t *status)
{
	struct nvme_admin_cmd c;
	int rc = nvme_sanitize_cmd(&c, act, o);

	if (rc)
		return rc;
	/* the command only starts the operation; progress is in the log page */
	c.timeout_ms = 60000;
	return nvme_admin(fd, &c, status);
}

int nvme_format(int fd, uint32_t nsid, unsigned lbaf, enum nvme_ses ses, unsigned timeout_ms,
		uint16_t *status)
{
	struct nvme_admin_cmd c;
	int rc = nvme_format_cmd(&c, nsid, lbaf, ses);

	if (rc)
		return rc;
	/* Format NVM completes when the erase is done: minutes on a large drive */
	c.timeout_ms = timeout_ms ? timeout_ms : 3600u * 1000;
	return nvme_admin(fd, &c, status);
}

int nvme_format_keep(int fd, uint32_t nsid, const struct nvme_ns_info *ns, enum nvme_ses ses, unsigned timeout_ms,
		     uint16_t *status)
{
	struct nvme_admin_cmd c;
	int rc = nvme_format_cmd_keep(&c, nsid, ns, ses);

	if (rc)
		return rc;
	c.timeout_ms = timeout_ms ? timeout_ms : 3600u * 1000;
	return nvme_admin(fd, &c, status);
}
