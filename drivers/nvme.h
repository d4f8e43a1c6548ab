/*
 * nvme — NVMe admin commands through NVME_IOCTL_ADMIN_CMD
 * (linux/nvme_ioctl.h): Identify Controller and Namespace, Get Log Page
 * (Sanitize Status, 81h), Sanitize (84h) and Format NVM (80h).
 *
 * Encoders fill a struct nvme_admin_cmd and are tested dword by dword;
 * parsers take a length and return -EINVAL on short or inconsistent data.
 * The device functions work on a controller node (/dev/nvme0) or a
 * namespace block device (/dev/nvme0n1): the kernel takes admin commands on
 * both, so the purge runner can keep the O_EXCL block descriptor.
 */
#ifndef SZ_NVME_H
#define SZ_NVME_H
#include <stddef.h>
#include <stdint.h>
#include <linux/nvme_ioctl.h>

#define NVME_OP_GET_LOG 0x02
#define NVME_OP_IDENTIFY 0x06
#define NVME_OP_FORMAT 0x80
#define NVME_OP_SANITIZE 0x84
#define NVME_LOG_SANITIZE 0x81
#define NVME_ID_SIZE 4096
#define NVME_SANITIZE_LOG_SIZE 512

/* NVMe 2.0 Base 5.24 Figure 372: Sanitize Action */
enum nvme_sanact {
	NVME_SANACT_EXIT_FAILURE = 1,
	NVME_SANACT_BLOCK = 2,
	NVME_SANACT_OVERWRITE = 3,
	NVME_SANACT_CRYPTO = 4,
};

/* NVMe 2.0 Base 5.23 Figure 369: Secure Erase Settings of Format NVM */
enum nvme_ses { NVME_SES_NONE = 0, NVME_SES_USER = 1, NVME_SES_CRYPTO = 2 };

struct nvme_sanitize_opts {
	int ause;		/* allow unrestricted sanitize exit */
	unsigned owpass;	/* overwrite passes, 1..16 (16 encodes as 0) */
	int oipbp;		/* invert pattern between passes */
	int ndas;		/* no deallocate after sanitize */
	uint32_t pattern;	/* overwrite pattern (CDW11) */
};

struct nvme_ctrl_info {
	uint16_t vid;
	char serial[21], model[41], firmware[9];
	uint16_t oacs;
	int format_supported;		/* OACS bit 1 */
	uint32_t sanicap;
	int san_crypto, san_block, san_overwrite, san_ndi;	/* SANICAP bits 0,1,2,29 */
	uint8_t fna;
	int fna_all_ns, fna_erase_all_ns, fna_crypto;	/* FNA bits 0,1,2 */
	uint32_t nn;
};

struct nvme_ns_info {
	uint64_t nsze, ncap, nuse;	/* in logical blocks */
	unsigned nlbaf;			/* number of formats (1-based) */
	unsigned flbas;			/* the format in use */
	uint32_t lba_size;
	unsigned mset;			/* FLBAS bit 4: metadata at the end of each LBA (extended) */
	unsigned pi, pil;		/* DPS bits 2:0 (protection type) and bit 3 (PI first in metadata) */
	unsigned dlfeat;		/* DLFEAT bits 2:0: 001b deallocated reads 0, 010b reads FFh, 000b not said */
};

/* NVMe 2.0 Base 5.16.1.25 Sanitize Status log */
enum nvme_sstat {
	NVME_SSTAT_NEVER = 0,
	NVME_SSTAT_COMPLETED = 1,
	NVME_SSTAT_IN_PROGRESS = 2,
	NVME_SSTAT_FAILED = 3,
	NVME_SSTAT_COMPLETED_NDA = 4,	/* completed, no deallocation */
};

struct nvme_sanitize_status {
	double progress;		/* SPROG / 65536 */
	uint16_t sprog, sstat;
	enum nvme_sstat state;
	unsigned passes;		/* completed overwrite passes */
	int global_erased;
	uint32_t scdw10;		/* CDW10 of the last sanitize */
	uint32_t eto, etbe, etce;	/* estimated seconds, 0xffffffff none */
};

/* Identify with CNS (1 controller, 0 namespace) for nsid into buf (4096 bytes). */
void nvme_identify_cmd(struct nvme_admin_cmd *c, uint8_t cns, uint32_t nsid, void *buf);
/* Get Log Page lid of len bytes (a multiple of 4, at most 64 KiB).  0 or -EINVAL. */
int nvme_get_log_cmd(struct nvme_admin_cmd *c, uint8_t lid, uint32_t nsid, void *buf, uint32_t len);
/* NVMe 2.0 Base 5.24 Sanitize.  0 or -EINVAL for a bad action or pass count. */
int nvme_sanitize_cmd(struct nvme_admin_cmd *c, enum nvme_sanact act, const struct nvme_sanitize_opts *o);
/* NVMe 2.0 Base 5.23 Format NVM of nsid to format lbaf (0..63).  0 or -EINVAL. */
int nvme_format_cmd(struct nvme_admin_cmd *c, uint32_t nsid, unsigned lbaf, enum nvme_ses ses);
/*
 * Format NVM of nsid that keeps the namespace's current format: LBAF from
 * FLBAS, MSET from FLBAS bit 4, PI and PIL from DPS (5.23 Figure 368), so
 * a purge never silently drops protection information.  0 or -EINVAL.
 */
int nvme_format_cmd_keep(struct nvme_admin_cmd *c, uint32_t nsid, const struct nvme_ns_info *ns, enum nvme_ses ses);

/* Identify Controller data (>= 4096 bytes) into *o.  0 or -EINVAL. */
int nvme_parse_id_ctrl(const uint8_t *b, size_t len, struct nvme_ctrl_info *o);
/* Identify Namespace data into *o.  0 or -EINVAL (bad format index, LBA size). */
int nvme_parse_id_ns(const uint8_t *b, size_t len, struct nvme_ns_info *o);
/* Sanitize Status log page (>= 20 bytes) into *o.  0 or -EINVAL (reserved status). */
int nvme_parse_sanitize_log(const uint8_t *b, size_t len, struct nvme_sanitize_status *o);
/* "invalid command opcode", ... for a completion status field (SCT/SC).  Cannot fail. */
const char *nvme_status_str(uint16_t status);

/*
 * Run an admin command.  0 on success; -EIO with *status (the completion
 * status field: SC bits 7:0, SCT 10:8, DNR 14) when the controller failed
 * it; -errno of ioctl(2).
 */
int nvme_admin(int fd, struct nvme_admin_cmd *c, uint16_t *status);
/* The namespace id of a namespace device (NVME_IOCTL_ID).  0 or -errno. */
int nvme_nsid(int fd, uint32_t *nsid);
int nvme_identify_ctrl(int fd, struct nvme_ctrl_info *o, uint16_t *status);
int nvme_identify_ns(int fd, uint32_t nsid, struct nvme_ns_info *o, uint16_t *status);
int nvme_sanitize_log(int fd, struct nvme_sanitize_status *o, uint16_t *status);
/* Destructive: Sanitize / Format NVM.  As nvme_admin. */
int nvme_sanitize(int fd, enum nvme_sanact act, const struct nvme_sanitize_opts *o, uint16_t *status);
int nvme_format(int fd, uint32_t nsid, unsigned lbaf, enum nvme_ses ses, unsigned timeout_ms,
		uint16_t *status);
/* Format NVM as nvme_format_cmd_keep.  As nvme_admin. */
int nvme_format_keep(int fd, uint32_t nsid, const struct nvme_ns_info *ns, enum nvme_ses ses, unsigned timeout_ms,
		     uint16_t *status);

#endif
