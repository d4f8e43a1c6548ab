/*
 * purge: method names, the device-kind guard, the capability refusals
 * built from captured-like identify data, and that a job on anything but
 * an NVMe namespace or a SCSI disk is refused before a command is sent.
 * No test here opens a real disk for writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/purge.h"
#include "tests/unit/tap.h"

static const char *const all[] = {
	"nvme-sanitize-crypto", "nvme-sanitize-block", "nvme-sanitize-overwrite", "nvme-format-crypto",
	"nvme-format-user", "ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite",
	"ata-secure-erase", "ata-secure-erase-enhanced", "scsi-sanitize-crypto", "scsi-sanitize-block",
	"scsi-sanitize-overwrite",
};

static int run_on(const char *path, const char *method, struct purge_result *out)
{
	struct purge_params p;
	struct purge_job *j;
	int rc;

	memset(&p, 0, sizeof(p));
	snprintf(p.device, sizeof(p.device), "%s", path);
	purge_method_parse(method, &p.method);
	rc = purge_job_new(&p, &j);
	if (rc)
		return rc;
	rc = purge_job_run(j, NULL, NULL);
	*out = *purge_job_result(j);
	purge_job_free(j);
	return rc;
}

int main(void)
{
	enum purge_method m;
	struct nvme_ctrl_info nc;
	struct ata_info ai;
	struct ata_hidden h;
	struct purge_caps c;
	struct purge_params p;
	struct purge_job *j;
	static struct purge_result r;
	char refusal[24], msg[512];
	char file[] = "/tmp/sz-purge.XXXXXX";
	int ok = 1, fd;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ok &= purge_method_parse(all[i], &m) == 0 && !strcmp(purge_method_name(m), all[i]);
	CHECK(ok, "all 13 SPEC section 8 purge methods parse and print back");
	CHECK_EQ_INT(purge_method_parse("clear-zero", &m), -EINVAL, "an overwrite method is not a purge method");
	CHECK_EQ_INT(purge_method_parse("nvme-sanitize", &m), -EINVAL, "a partial name is refused");
	CHECK_EQ_INT(purge_method_parse(NULL, &m), -EINVAL, "NULL is refused");
	CHECK(purge_method_transport(PURGE_NVME_FORMAT_USER) == PURGE_NVME &&
	      purge_method_transport(PURGE_ATA_SECURE_ERASE_ENHANCED) == PURGE_ATA &&
	      purge_method_transport(PURGE_SCSI_SANITIZE_CRYPTO) == PURGE_SCSI, "each method's command set");
	CHECK_STR(purge_method_name(PURGE_METHOD_COUNT), "unknown", "out of range is \"unknown\"");

	/* the device-kind guard */
	CHECK_EQ_INT(purge_name_check(PURGE_NVME_FORMAT_USER, "nvme0n1", "nvme", msg, sizeof(msg)), 0, "nvme0n1 for nvme methods");
	CHECK_EQ_INT(purge_name_check(PURGE_NVME_FORMAT_USER, "nvme12n3", "nvme", msg, sizeof(msg)), 0, "nvme12n3 too");
	CHECK_EQ_INT(purge_name_check(PURGE_NVME_FORMAT_USER, "nvme0n1p1", "nvme", msg, sizeof(msg)), -EPERM, "an nvme partition refused");
	CHECK_EQ_INT(purge_name_check(PURGE_NVME_FORMAT_USER, "nvme0", "nvme", msg, sizeof(msg)), -EPERM, "a controller node refused");
	CHECK_EQ_INT(purge_name_check(PURGE_NVME_SANITIZE_BLOCK, "vda", "virtio", msg, sizeof(msg)), -EPERM, "virtio vda refused");
	CHECK_STR(msg, "cannot purge /dev/vda: nvme-sanitize-block needs an nvme namespace (/dev/nvmeXnY), this is a virtio device",
		  "  with the reason");
	CHECK_EQ_INT(purge_name_check(PURGE_NVME_FORMAT_USER, "nvme0n1", "virtio", msg, sizeof(msg)), -EPERM,
		     "an nvme-named device on another bus refused");
	CHECK_EQ_INT(purge_name_check(PURGE_ATA_SECURE_ERASE, "sda", "sata", msg, sizeof(msg)), 0, "sda on sata for ata methods");
	CHECK_EQ_INT(purge_name_check(PURGE_ATA_SECURE_ERASE, "sdab", "sas", msg, sizeof(msg)), 0, "sdab behind sas too");
	CHECK_EQ_INT(purge_name_check(PURGE_ATA_SECURE_ERASE, "sda1", "sata", msg, sizeof(msg)), -EPERM, "a partition refused");
	CHECK_EQ_INT(purge_name_check(PURGE_ATA_SANITIZE_BLOCK, "sdb", "virtio", msg, sizeof(msg)), -EPERM, "ata methods on virtio-scsi refused");
	CHECK_EQ_INT(purge_name_check(PURGE_ATA_SANITIZE_BLOCK, "sdb", "usb", msg, sizeof(msg)), -EPERM, "ata methods through usb refused");
	CHECK_EQ_INT(purge_name_check(PURGE_SCSI_SANITIZE_BLOCK, "sdb", "virtio", msg, sizeof(msg)), 0, "scsi methods on any sd disk");
	CHECK_EQ_INT(purge_name_check(PURGE_SCSI_SANITIZE_BLOCK, "loop0", "loop", msg, sizeof(msg)), -EPERM, "loop refused");
	CHECK_EQ_INT(purge_name_check(PURGE_SCSI_SANITIZE_BLOCK, "dm-0", "dm", msg, sizeof(msg)), -EPERM, "dm refused");
	CHECK_EQ_INT(purge_name_check(PURGE_SCSI_SANITIZE_BLOCK, "sd", "sata", msg, sizeof(msg)), -EPERM, "bare \"sd\" refused");

	/* NVMe capabilities, as QEMU 7.2 reports them: OACS 010ah, SANICAP 0, FNA 0 */
	memset(&nc, 0, sizeof(nc));
	snprintf(nc.serial, sizeof(nc.serial), "NVME0001");
	nc.oacs = 0x010a;
	nc.format_supported = 1;
	memset(&c, 0, sizeof(c));
	purge_caps_from_nvme(&nc, &c);
	CHECK_EQ_INT(c.methods, 1u << PURGE_NVME_FORMAT_USER, "qemu nvme: only nvme-format-user");
	CHECK_EQ_INT(purge_caps_check(PURGE_NVME_FORMAT_USER, &c, refusal, msg, sizeof(msg)), 0, "  format-user allowed");
	CHECK_EQ_INT(purge_caps_check(PURGE_NVME_FORMAT_CRYPTO, &c, refusal, msg, sizeof(msg)), -EOPNOTSUPP, "  format-crypto refused");
	CHECK_STR(refusal, "not_supported", "  as not_supported");
	CHECK_STR(msg, "cannot nvme-format-crypto: the device does not support crypto erase as part of format (FNA bit 2 clear)",
		  "  naming FNA bit 2");
	CHECK_EQ_INT(purge_caps_check(PURGE_NVME_SANITIZE_CRYPTO, &c, refusal, msg, sizeof(msg)), -EOPNOTSUPP, "  sanitize refused");
	CHECK(strstr(msg, "SANICAP bit 0") != NULL, "  naming SANICAP bit 0");
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg)), -EPERM, "an ata method on nvme caps");
	CHECK_STR(refusal, "unsupported_device", "  refused as unsupported_device");
	nc.sanicap = 0x7;
	nc.san_crypto = nc.san_block = nc.san_overwrite = 1;
	nc.fna_crypto = 1;
	memset(&c, 0, sizeof(c));
	purge_caps_from_nvme(&nc, &c);
	CHECK_EQ_INT(c.methods, 0x1f, "a full controller: all five nvme methods");
	nc.format_supported = 0;
	nc.oacs = 0;
	memset(&c, 0, sizeof(c));
	purge_caps_from_nvme(&nc, &c);
	CHECK_EQ_INT(purge_caps_check(PURGE_NVME_FORMAT_CRYPTO, &c, refusal, msg, sizeof(msg)), -EOPNOTSUPP,
		     "no format nvm (OACS bit 1): format-crypto refused even with FNA bit 2");
	CHECK(strstr(msg, "OACS bit 1") != NULL, "  naming OACS bit 1");

	/* ATA capabilities */
	memset(&ai, 0, sizeof(ai));
	snprintf(ai.serial, sizeof(ai.serial), "ATA0001");
	ai.sectors = 1000000;
	ai.sanitize = ai.sanitize_crypto = ai.sanitize_block = 1;
	ai.sec_supported = ai.sec_frozen = 1;
	memset(&h, 0, sizeof(h));
	memset(&c, 0, sizeof(c));
	purge_caps_from_ata(&ai, &h, 0, &c);
	CHECK_EQ_INT(c.methods, (1u << PURGE_ATA_SANITIZE_CRYPTO) | (1u << PURGE_ATA_SANITIZE_BLOCK) | (1u << PURGE_ATA_SECURE_ERASE),
		     "ata: crypto, block, secure erase");
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg)), -EPERM, "frozen security refused");
	CHECK_STR(refusal, "frozen", "  as frozen");
	CHECK(strstr(msg, "security is frozen") != NULL, "  saying so");
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SANITIZE_BLOCK, &c, refusal, msg, sizeof(msg)), 0, "sanitize is not bound by security frozen");
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SANITIZE_OVERWRITE, &c, refusal, msg, sizeof(msg)), -EOPNOTSUPP, "no overwrite in word 59");
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE_ENHANCED, &c, refusal, msg, sizeof(msg)), -EPERM,
		     "enhanced on a frozen drive: frozen first");
	ai.sec_frozen = 0;
	ai.sec_locked = 1;
	memset(&c, 0, sizeof(c));
	purge_caps_from_ata(&ai, &h, 0, &c);
	purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg));
	CHECK_STR(refusal, "locked", "a locked drive refused as locked");
	ai.sec_locked = 0;
	ai.sec_enabled = 1;
	memset(&c, 0, sizeof(c));
	purge_caps_from_ata(&ai, &h, 0, &c);
	purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg));
	CHECK_STR(refusal, "security_enabled", "a drive with a password refused as security_enabled");
	ai.sec_enabled = 0;
	memset(&c, 0, sizeof(c));
	purge_caps_from_ata(&ai, &h, 0, &c);
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg)), 0, "secure erase allowed once thawed");
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE_ENHANCED, &c, refusal, msg, sizeof(msg)), -EOPNOTSUPP,
		     "enhanced erase without word 128 bit 5 refused");
	CHECK(strstr(msg, "word 128 bit 5") != NULL, "  naming the bit");
	memset(&c, 0, sizeof(c));
	purge_caps_from_ata(&ai, &h, 1, &c);
	purge_caps_check(PURGE_ATA_SANITIZE_CRYPTO, &c, refusal, msg, sizeof(msg));
	CHECK_STR(refusal, "frozen", "sanitize frozen (SANITIZE STATUS) refused as frozen");
	CHECK_EQ_INT(ata_hidden_compute(1000000, 1, 1048575, 0, 0, &h), 0, "an hpa hides 48576 sectors");
	memset(&c, 0, sizeof(c));
	purge_caps_from_ata(&ai, &h, 0, &c);
	CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SANITIZE_BLOCK, &c, refusal, msg, sizeof(msg)), -EPERM, "hidden sectors refused");
	CHECK_STR(refusal, "hidden_sectors", "  as hidden_sectors");
	CHECK_STR(msg, "cannot ata-sanitize-block: 48576 sectors hidden by hpa and 0 by dco are out of reach; remove them first",
		  "  with the count");
	CHECK(c.hidden_known && c.native_sectors == 1048576 && c.hpa_hidden == 48576, "  and reported in the caps");

	/* SCSI: without REPORT SUPPORTED OPERATION CODES nobody knows until the device answers */
	memset(&c, 0, sizeof(c));
	snprintf(c.transport, sizeof(c.transport), "scsi");
	CHECK_EQ_INT(purge_caps_check(PURGE_SCSI_SANITIZE_BLOCK, &c, refusal, msg, sizeof(msg)), -EOPNOTSUPP,
		     "scsi sanitize reported unsupported: refused");
	c.unknown = 1;
	CHECK_EQ_INT(purge_caps_check(PURGE_SCSI_SANITIZE_BLOCK, &c, refusal, msg, sizeof(msg)), 0,
		     "scsi support unknown: the device will answer");

	/* jobs: bad parameters, and devices that are not disks */
	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(purge_job_new(&p, &j), -EINVAL, "a job without a device refused");
	snprintf(p.device, sizeof(p.device), "/dev/null");
	p.method = PURGE_METHOD_COUNT;
	CHECK_EQ_INT(purge_job_new(&p, &j), -EINVAL, "a job with no method refused");
	p.method = PURGE_ATA_SANITIZE_OVERWRITE;
	p.overwrite_passes = 17;
	CHECK_EQ_INT(purge_job_new(&p, &j), -EINVAL, "17 overwrite passes refused");
	purge_job_free(NULL);
	CHECK(1, "purge_job_free(NULL) is a no-op");

	CHECK_EQ_INT(run_on("/dev/null", "nvme-format-user", &r), -ENOTBLK, "a character device refused");
	CHECK(r.state == PURGE_FAILED && !strcmp(r.refusal, "not_block_device") && !r.command_sent,
	      "  failed, not_block_device, nothing sent");
	fd = mkstemp(file);
	if (fd >= 0) {
		CHECK_EQ_INT(ftruncate(fd, 1 << 20), 0, "an image file");
		close(fd);
		CHECK_EQ_INT(run_on(file, "scsi-sanitize-block", &r), -ENOTBLK, "a regular file refused");
		CHECK(!strcmp(r.refusal, "not_block_device") && strstr(r.error, "not a block device"), "  saying so");
		unlink(file);
	}
	CHECK_EQ_INT(run_on("/nonexistent/sz-purge", "ata-secure-erase", &r), -ENOENT, "a missing path fails");
	CHECK(r.state == PURGE_FAILED && r.finished_at[0] && !r.command_sent, "  with a finished result");
	{
		json_t *o = purge_result_to_json(&r);
		CHECK(o && !strcmp(json_string_value(json_object_get(o, "state")), "failed") &&
		      json_is_false(json_object_get(o, "command_sent")) &&
		      !strcmp(json_string_value(json_object_get(o, "method")), "ata-secure-erase"),
		      "result as json: state, method, command_sent");
		json_decref(o);
		memset(&c, 0, sizeof(c));
		purge_caps_from_ata(&ai, &h, 0, &c);
		o = purge_caps_to_json(&c);
		CHECK(o && json_array_size(json_object_get(o, "methods")) == 3 &&
		      json_integer_value(json_object_get(json_object_get(o, "hidden"), "hpa_hidden")) == 48576,
		      "caps as json: methods and hidden sectors");
		json_decref(o);
	}
	CHECK_EQ_INT(purge_probe("/dev/null", &c), -ENOTBLK, "probe of a character device refused");

	/* issue 10 items 3/4: "could not determine" is not "nothing hidden" */
	{
		struct ata_hidden hu;
		json_t *o;

		memset(&hu, 0, sizeof(hu));
		hu.undetermined = 1;
		snprintf(hu.why, sizeof(hu.why), "get native max address ext: device aborted the command");
		memset(&c, 0, sizeof(c));
		ai.sec_frozen = 0;
		purge_caps_from_ata(&ai, &hu, 0, &c);
		CHECK(!c.hidden_known && !c.hidden_unreadable && strstr(c.hidden_why, "aborted"),
		      "an undetermined maximum: not known, the reason kept");
		CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg)), 0,
			     "  the purge may run (the report carries the exception)");
		hu.unreadable = 1;
		snprintf(hu.why, sizeof(hu.why), "read native max address ext: fixed-format sense cannot carry LBA 47:24");
		memset(&c, 0, sizeof(c));
		purge_caps_from_ata(&ai, &hu, 0, &c);
		CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg)), -EPERM,
			     "a maximum this path cannot carry: refused");
		CHECK_STR(refusal, "hidden_unknown", "  as hidden_unknown");
		CHECK(strstr(msg, "LBA 47:24") && strstr(msg, "D_SENSE"), "  with the reason and the remedy");
		memset(&c, 0, sizeof(c));
		purge_caps_from_ata(&ai, &h, 0, &c);
		snprintf(c.sanitize_unknown, sizeof(c.sanitize_unknown), "fixed-format sense hides COUNT 15:8");
		c.hpa_hidden = c.dco_hidden = 0;
		CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SANITIZE_BLOCK, &c, refusal, msg, sizeof(msg)), -EPERM,
			     "sanitize with an unreadable sanitize status: refused");
		CHECK_STR(refusal, "status_unknown", "  as status_unknown");
		CHECK_EQ_INT(purge_caps_check(PURGE_ATA_SECURE_ERASE, &c, refusal, msg, sizeof(msg)), 0,
			     "  security erase does not depend on it");
		o = purge_caps_to_json(&c);
		CHECK(o && strstr(json_string_value(json_object_get(o, "sanitize_unknown")), "COUNT 15:8"),
		      "  the caps json says why");
		json_decref(o);
	}
	return tap_done();
}
