/*
 * sz-guest — runs inside the QEMU guest of tests/t4000-qemu.sh, never on a
 * host: it refuses to start unless the kernel command line carries
 * sz_guest=1.  It identifies the emulated NVMe, AHCI and virtio-scsi disks
 * through drivers/nvme.c, ata.c and scsi.c, runs every purge method of
 * drivers/purge.c against them, sends the raw commands the emulator
 * rejects, and prints one "SZ ..." line per result on the console for the
 * host script to parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "drivers/ata.h"
#include "drivers/blkdev.h"
#include "drivers/nvme.h"
#include "drivers/purge.h"
#include "drivers/scsi.h"

#define PAT_LEN (1u << 20)

static int guest_only(void)
{
	char buf[1024];
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, "sz_guest=1") != NULL;
}

/* one line per field set; spaces in values become '_' so the host can split */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\n')
			*s = '_';
}

static int find_disks(char *nvme, char *nvme2, char *ata, char *scsi, size_t len)
{
	struct blkdev_env env;
	struct blkdev_info *d = NULL;
	size_t n = 0;
	int rc;

	blkdev_env_default(&env);
	env.no_blkid = 1;
	rc = blkdev_list(&env, &d, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(d[i].name, "nvme0n1"))
			snprintf(nvme, len, "%s", d[i].path);
		else if (!strcmp(d[i].name, "nvme0n2"))
			snprintf(nvme2, len, "%s", d[i].path);
		else if (!strncmp(d[i].name, "sd", 2) && !strcmp(d[i].transport, "sata"))
			snprintf(ata, len, "%s", d[i].path);
		else if (!strncmp(d[i].name, "sd", 2))
			snprintf(scsi, len, "%s", d[i].path);
		printf("SZ disk %s transport=%s serial=%s\n", d[i].path, d[i].transport,
		       d[i].serial[0] ? d[i].serial : "-");
	}
	free(d);
	return 0;
}

static void ident_nvme(const char *dev)
{
	struct nvme_ctrl_info c;
	struct nvme_ns_info ns;
	uint16_t st = 0;
	uint32_t nsid = 0;
	int fd = open(dev, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		printf("SZ ident nvme %s rc=%d\n", dev, -errno);
		return;
	}
	rc = nvme_nsid(fd, &nsid);
	if (!rc)
		rc = nvme_identify_ctrl(fd, &c, &st);
	if (!rc)
		rc = nvme_identify_ns(fd, nsid, &ns, &st);
	if (rc) {
		printf("SZ ident nvme %s rc=%d status=0x%04x\n", dev, rc, st);
	} else {
		clean(c.model);
		printf("SZ ident nvme %s rc=0 serial=%s model=%s fw=%s oacs=0x%04x sanicap=0x%08x fna=0x%02x "
		       "nsid=%u nsze=%llu lba=%u\n", dev, c.serial, c.model, c.firmware, c.oacs, c.sanicap,
		       c.fna, nsid, (unsigned long long)ns.nsze, ns.lba_size);
	}
	close(fd);
}

static void ident_ata(const char *dev)
{
	struct ata_info a;
	struct ata_hidden h;
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;

	if (fd < 0) {
		printf("SZ ident ata %s rc=%d\n", dev, -errno);
		return;
	}
	rc = ata_identify(fd, &a);
	if (rc) {
		printf("SZ ident ata %s rc=%d\n", dev, rc);
		close(fd);
		return;
	}
	{
		/* which sense format libata returns the registers in on this kernel (issue 10 item 3) */
		struct ata_tf tf;
		struct ata_regs r;
		char err[160];
		int xrc;

		ata_read_native_max_tf(&tf);
		xrc = ata_exec(fd, &tf, NULL, 0, 10000, &r, err, sizeof(err));
		printf("SZ ata-sense %s rc=%d valid=%d fixed=%d lba=%llu\n", dev, xrc, r.valid, r.fixed,
		       (unsigned long long)r.lba);
	}
	rc = ata_probe_hidden(fd, &a, &h);
	clean(a.model);
	printf("SZ ident ata %s rc=0 serial=%s model=%s fw=%s sectors=%llu lba48=%d sanitize=%d security=%d "
	       "frozen=%d hidden_rc=%d native=%llu hpa_hidden=%llu dco_hidden=%llu\n", dev, a.serial, a.model,
	       a.firmware, (unsigned long long)a.sectors, a.lba48, a.sanitize, a.sec_supported, a.sec_frozen, rc,
	       (unsigned long long)h.native_sectors, (unsigned long long)h.hpa_hidden,
	       (unsigned long long)h.dco_hidden);
	close(fd);
}

static void ident_scsi(const char *dev)
{
	struct scsi_ident id;
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;

	if (fd < 0) {
		printf("SZ ident scsi %s rc=%d\n", dev, -errno);
		return;
	}
	rc = scsi_identify(fd, &id);
	clean(id.vendor);
	clean(id.product);
	printf("SZ ident scsi %s rc=%d serial=%s vendor=%s product=%s rev=%s wwn=%s\n", dev, rc,
	       rc ? "-" : id.serial, id.vendor, id.product, id.revision, id.wwn[0] ? id.wwn : "-");
	close(fd);
}

static int fill(const char *dev, uint8_t byte)
{
	uint8_t *b;
	int fd, rc = 0;

	if (posix_memalign((void **)&b, 4096, PAT_LEN))
		return -ENOMEM;
	memset(b, byte, PAT_LEN);
	fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, b, PAT_LEN, 0) != (ssize_t)PAT_LEN || fdatasync(fd))
		rc = -EIO;
	if (fd >= 0)
		close(fd);
	free(b);
	return rc;
}

/* 1 if the first MiB reads back as zeros, 0 if not, -errno */
static int zeros(const char *dev)
{
	uint8_t *b;
	int fd, rc = 1;

	if (posix_memalign((void **)&b, 4096, PAT_LEN))
		return -ENOMEM;
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || pread(fd, b, PAT_LEN, 0) != (ssize_t)PAT_LEN)
		rc = -EIO;
	for (size_t i = 0; rc == 1 && i < PAT_LEN; i++)
		if (b[i])
			rc = 0;
	if (fd >= 0)
		close(fd);
	free(b);
	return rc;
}

static int run_tag(const char *tag, const char *dev, const char *method, const char *expected, int precheck)
{
	struct purge_params p;
	struct purge_job *j;
	const struct purge_result *r;
	char err[768], cmd[128];
	int rc;

	memset(&p, 0, sizeof(p));
	snprintf(p.device, sizeof(p.device), "%s", dev);
	if (purge_method_parse(method, &p.method)) {
		printf("SZ %s %s %s rc=-22 state=bad_method\n", tag, method, dev);
		return -EINVAL;
	}
	if (expected)
		snprintf(p.expected_identity, sizeof(p.expected_identity), "%s", expected);
	p.precheck = precheck;
	p.poll_interval = 0.2;
	p.max_seconds = 60;
	rc = purge_job_new(&p, &j);
	if (rc) {
		printf("SZ %s %s %s rc=%d state=bad_params\n", tag, method, dev, rc);
		return rc;
	}
	rc = purge_job_run(j, NULL, NULL);
	r = purge_job_result(j);
	snprintf(err, sizeof(err), "%s", r->error[0] ? r->error : "-");
	clean(err);
	snprintf(cmd, sizeof(cmd), "%s", r->command[0] ? r->command : "-");
	clean(cmd);
	printf("SZ %s %s %s rc=%d state=%s refusal=%s sent=%d confirmed=%d verify=%s sentinels=%u "
	       "zero_blocks=%u serial=%s command=%s error=%s\n", tag, method, dev, rc, purge_state_name(r->state),
	       r->refusal[0] ? r->refusal : "-", r->command_sent, r->confirmed,
	       !r->verify.performed ? "none" : r->verify.passed ? "passed" : "failed", r->verify.sentinels,
	       r->verify.zero_blocks, r->serial[0] ? r->serial : "-", cmd, err);
	purge_job_free(j);
	return rc;
}

static int run(const char *dev, const char *method, const char *expected, int precheck)
{
	return run_tag("method", dev, method, expected, precheck);
}

/* the marker file on the mounted second namespace: 1 if it reads back, 0 if not */
static int marker(int write_it)
{
	static const char want[] = "sz-guest namespace 2 marker\n";
	char got[64];
	ssize_t n;
	int fd = open("/mnt/n2/marker", write_it ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644);

	if (fd < 0)
		return 0;
	if (write_it) {
		n = write(fd, want, sizeof(want) - 1);
		n = n == (ssize_t)sizeof(want) - 1 && fsync(fd) == 0 ? n : -1;
	} else {
		n = read(fd, got, sizeof(got));
	}
	close(fd);
	return n == (ssize_t)sizeof(want) - 1 && (write_it || !memcmp(got, want, sizeof(want) - 1));
}

/*
 * issue 10 item 8: while a purge job runs, nobody else may open the device
 * O_EXCL, at every phase the progress function sees and in the read-back,
 * which runs on the job's own descriptor.
 */
struct excl {
	const char *dev;
	char last[16];
	int readback_rc;
};

static void excl_probe(const char *dev, const char *phase)
{
	int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC), busy = fd < 0 && errno == EBUSY;

	if (fd >= 0)
		close(fd);
	printf("SZ excl %s phase=%s ebusy=%d\n", dev, phase, busy);
}

static void on_progress(void *ctx, const struct purge_progress *p)
{
	struct excl *x = ctx;

	if (!strcmp(x->last, p->phase))
		return;
	snprintf(x->last, sizeof(x->last), "%s", p->phase);
	if (strcmp(p->phase, "checking"))	/* before the open: nothing held yet */
		excl_probe(x->dev, p->phase);
}

static int on_readback(void *ctx, int fd, const struct purge_result *r)
{
	struct excl *x = ctx;
	uint8_t *b;
	int z = -1;

	excl_probe(x->dev, "readback-callback");
	if (posix_memalign((void **)&b, 4096, 4096) == 0) {
		z = pread(fd, b, 4096, 4096) == 4096;
		for (int i = 0; z == 1 && i < 4096; i++)
			if (b[i])
				z = 0;
		free(b);
	}
	printf("SZ excl-readback %s accepts=%s block1_zeros=%d\n", x->dev, purge_readback_name(r->readback_accept), z);
	return x->readback_rc;
}

static void run_excl(const char *dev)
{
	struct purge_params p;
	struct purge_job *j;
	struct excl x;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	x.dev = dev;
	snprintf(p.device, sizeof(p.device), "%s", dev);
	p.method = PURGE_NVME_FORMAT_USER;
	snprintf(p.expected_identity, sizeof(p.expected_identity), "NVME0001");
	p.precheck = 1;
	p.poll_interval = 0.2;
	p.max_seconds = 60;
	if (purge_job_new(&p, &j))
		return;
	purge_job_set_readback(j, on_readback, &x);
	rc = purge_job_run(j, on_progress, &x);
	printf("SZ excl-done %s rc=%d state=%s\n", dev, rc, purge_state_name(purge_job_result(j)->state));
	purge_job_free(j);
	excl_probe(dev, "after");
}

static void raw_nvme(const char *dev)
{
	uint16_t st = 0;
	uint32_t nsid = 0;
	int fd = open(dev, O_RDWR | O_CLOEXEC), rc;

	if (fd < 0)
		return;
	/* the runner never sends what SANICAP denies; this shows what the controller answers */
	rc = nvme_sanitize(fd, NVME_SANACT_CRYPTO, NULL, &st);
	printf("SZ raw nvme-sanitize-crypto %s rc=%d status=0x%04x reason=%s\n", dev, rc, st,
	       rc == -EIO ? nvme_status_str(st) : "-");
	rc = nvme_sanitize(fd, NVME_SANACT_BLOCK, NULL, &st);
	printf("SZ raw nvme-sanitize-block %s rc=%d status=0x%04x reason=%s\n", dev, rc, st,
	       rc == -EIO ? nvme_status_str(st) : "-");
	if (nvme_nsid(fd, &nsid) == 0) {
		close(fd);
		fill(dev, 0xa5);
		printf("SZ raw pattern-before-ses2 %s zeros=%d\n", dev, zeros(dev));
		fd = open(dev, O_RDWR | O_CLOEXEC);
		rc = nvme_format(fd, nsid, 0, NVME_SES_CRYPTO, 60000, &st);
		printf("SZ raw nvme-format-ses2 %s rc=%d status=0x%04x zeros=%d\n", dev, rc, st, zeros(dev));
	}
	if (fd >= 0)
		close(fd);
}

static void raw_ata(const char *dev)
{
	struct ata_tf tf;
	struct ata_regs r;
	uint8_t data[512];
	char err[192];
	int fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK), rc;

	if (fd < 0)
		return;
	ata_sanitize_tf(&tf, ATA_SANITIZE_CRYPTO, 0, 0, 0);
	rc = ata_exec(fd, &tf, NULL, 0, 10000, &r, err, sizeof(err));
	clean(err);
	printf("SZ raw ata-sanitize-crypto %s rc=%d reason=%s\n", dev, rc, err[0] ? err : "-");
	ata_security_tf(&tf, ATA_CMD_SEC_SET_PASS);
	ata_security_data(data, "szguest", 0);
	rc = ata_exec(fd, &tf, data, sizeof(data), 10000, &r, err, sizeof(err));
	clean(err);
	printf("SZ raw ata-security-set-password %s rc=%d reason=%s\n", dev, rc, err[0] ? err : "-");
	close(fd);
}

static void raw_scsi(const char *dev)
{
	struct scsi_sense s;
	char words[160];
	int fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK), rc;

	if (fd < 0)
		return;
	rc = scsi_sanitize(fd, SCSI_SANITIZE_BLOCK_ERASE, 1, NULL, 0, &s);
	scsi_sense_str(&s, words, sizeof(words));
	clean(words);
	printf("SZ raw scsi-sanitize-block %s rc=%d reason=%s\n", dev, rc, rc == -EIO ? words : "-");
	close(fd);
}

int main(void)
{
	char nvme[64] = "", nvme2[64] = "", ata[64] = "", scsi[64] = "";
	static const char *const nvme_m[] = { "nvme-sanitize-crypto", "nvme-sanitize-block",
					      "nvme-sanitize-overwrite", "nvme-format-crypto" };
	static const char *const ata_m[] = { "ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite",
					     "ata-secure-erase", "ata-secure-erase-enhanced" };
	static const char *const scsi_m[] = { "scsi-sanitize-crypto", "scsi-sanitize-block",
					      "scsi-sanitize-overwrite" };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!guest_only()) {
		fprintf(stderr, "sz-guest: refusing to run outside the test guest (no sz_guest=1 on the kernel command line)\n");
		return 2;
	}
	if (find_disks(nvme, nvme2, ata, scsi, sizeof(nvme)) < 0 || !nvme[0] || !nvme2[0] || !ata[0] || !scsi[0])
		printf("SZ warn missing disks nvme=%s nvme2=%s ata=%s scsi=%s\n", nvme, nvme2, ata, scsi);
	if (nvme[0])
		ident_nvme(nvme);
	if (ata[0])
		ident_ata(ata);
	if (scsi[0])
		ident_scsi(scsi);

	/* refusals that must hold whatever the device can do */
	if (nvme[0]) {
		run(nvme, "nvme-format-user", "NOT-THIS-DRIVE", 1);
		run(nvme, "ata-secure-erase", NULL, 0);
		run(nvme, "scsi-sanitize-block", NULL, 0);
	}
	if (ata[0])
		run(ata, "nvme-format-user", NULL, 0);
	if (access("/dev/vda", F_OK) == 0)
		run("/dev/vda", "nvme-format-user", NULL, 0);

	/*
	 * issue 10 item 2: the second namespace of the same controller is
	 * mounted.  Sanitize acts on the whole subsystem: refused naming
	 * nvme0n2, before the capability check.  Format NVM with FNA 0 (QEMU's)
	 * acts on nvme0n1 alone: allowed, and nvme0n2's file survives.
	 */
	if (nvme[0] && nvme2[0]) {
		int rc;

		mkdir("/mnt", 0755);
		mkdir("/mnt/n2", 0755);
		rc = mount(nvme2, "/mnt/n2", "ext2", 0, NULL) ? -errno : 0;
		printf("SZ ns2-mount %s rc=%d marker=%d\n", nvme2, rc, rc ? 0 : marker(1));
		run_tag("ns2", nvme, "nvme-sanitize-block", "NVME0001", 1);
		run_tag("ns2", nvme, "nvme-sanitize-crypto", "NVME0001", 1);
		run_tag("ns2", nvme, "nvme-sanitize-overwrite", "NVME0001", 0);
	}
	/* the real erase: sentinels written, format nvm, none may survive */
	if (nvme[0]) {
		fill(nvme, 0x5a);
		printf("SZ pattern-before %s zeros=%d\n", nvme, zeros(nvme));
		run(nvme, "nvme-format-user", "NVME0001", 1);
		printf("SZ pattern-after nvme-format-user %s zeros=%d\n", nvme, zeros(nvme));
		if (nvme2[0]) {
			int rc;

			printf("SZ ns2-after-format marker=%d\n", marker(0));
			rc = umount("/mnt/n2") ? -errno : 0;
			printf("SZ ns2-umount rc=%d\n", rc);
		}
		fill(nvme, 0x77);
		run_excl(nvme);
		for (size_t i = 0; i < sizeof(nvme_m) / sizeof(nvme_m[0]); i++)
			run(nvme, nvme_m[i], "NVME0001", 1);
		raw_nvme(nvme);
	}
	if (ata[0]) {
		for (size_t i = 0; i < sizeof(ata_m) / sizeof(ata_m[0]); i++)
			run(ata, ata_m[i], "ATA0001", 1);
		raw_ata(ata);
	}
	if (scsi[0]) {
		fill(scsi, 0x3c);
		for (size_t i = 0; i < sizeof(scsi_m) / sizeof(scsi_m[0]); i++)
			run(scsi, scsi_m[i], "SCSI0001", 1);
		raw_scsi(scsi);
		printf("SZ pattern-after scsi-sanitize %s zeros=%d\n", scsi, zeros(scsi));
	}
	printf("SZ done\n");
	return 0;
}
