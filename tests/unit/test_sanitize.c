/*
 * sanitize: one job interface over the overwrite engine and the purge
 * runner.  Image files in a temporary directory (no root, no devices):
 * method routing, an overwrite through the unified job with its progress
 * and report, a purge method refused on an image file with nothing
 * written, the purge progress mapping, the HPA/DCO rule, and the ledger
 * data wiprec makes from the unified result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/sanitize.h"
#include "core/wiprec.h"
#include "tests/unit/tap.h"

static char dir[64];
static const char sentinel[] = "SENTINEL-customer-data-";

static void make_image(const char *path, uint64_t size)
{
	char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = sentinel[i % (sizeof(sentinel) - 1)];
	for (uint64_t off = 0; off < size; off += sizeof(block))
		if (pwrite(fd, block, sizeof(block), (off_t)off) != (ssize_t)sizeof(block))
			abort();
	close(fd);
}

/* 1 if every byte of the file is c */
static int all_bytes(const char *path, uint64_t size, int c)
{
	static unsigned char buf[65536];
	int fd = open(path, O_RDONLY), ok = 1;

	for (uint64_t off = 0; off < size && ok; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
			abort();
		for (size_t i = 0; i < n && ok; i++)
			ok = buf[i] == c;
	}
	close(fd);
	return ok;
}

/* 1 if the first 4 KiB still hold the sentinel fill */
static int untouched(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY), ok;

	ok = pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) &&
	     !memcmp(buf, sentinel, sizeof(sentinel) - 1);
	close(fd);
	return ok;
}

struct seen {
	unsigned calls, verifying, bad_fraction;
	char first_phase[16];
	uint64_t last_done, last_total;
	struct sanitize_job *cancel_job;
	uint64_t cancel_at;
};

static void progress(void *ctx, const struct sanitize_progress *p)
{
	struct seen *s = ctx;

	if (!s->calls)
		snprintf(s->first_phase, sizeof(s->first_phase), "%s", p->phase);
	s->calls++;
	s->verifying += p->state == WIPE_VERIFYING;
	if (p->fraction < 0 || p->fraction > 1 ||
	    (p->bytes_total && p->fraction != (double)p->bytes_done / (double)p->bytes_total))
		s->bad_fraction++;
	s->last_done = p->bytes_done;
	s->last_total = p->bytes_total;
	if (s->cancel_job && p->state == WIPE_RUNNING && p->bytes_done >= s->cancel_at)
		sanitize_job_cancel(s->cancel_job);
}

static void params(struct sanitize_params *p, const char *dev, const char *method, enum verify_mode v)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->device, sizeof(p->device), "%s", dev);
	snprintf(p->method, sizeof(p->method), "%s", method);
	p->verify = v;
	p->allow_regular_file = 1;
}

static void test_routing(void)
{
	static const char *const purges[] = {
		"nvme-sanitize-crypto", "nvme-sanitize-block", "nvme-sanitize-overwrite", "nvme-format-crypto",
		"nvme-format-user", "ata-sanitize-crypto", "ata-sanitize-block", "ata-sanitize-overwrite",
		"ata-secure-erase", "ata-secure-erase-enhanced", "scsi-sanitize-crypto", "scsi-sanitize-block",
		"scsi-sanitize-overwrite",
	};
	struct sanitize_params p;
	struct sanitize_job *j = (void *)1;

	CHECK_EQ_INT(sanitize_method_kind("clear-zero"), SANITIZE_OVERWRITE, "clear-zero is an overwrite");
	CHECK_EQ_INT(sanitize_method_kind("clear-random"), SANITIZE_OVERWRITE, "clear-random is an overwrite");
	CHECK_EQ_INT(sanitize_method_kind("dod-3pass"), SANITIZE_OVERWRITE, "dod-3pass is an overwrite");
	CHECK_EQ_INT(sanitize_method_kind("luks-crypto-erase"), SANITIZE_LUKS, "luks-crypto-erase is luks");
	for (size_t i = 0; i < sizeof(purges) / sizeof(purges[0]); i++)
		CHECK_EQ_INT(sanitize_method_kind(purges[i]), SANITIZE_PURGE, "%s is a purge", purges[i]);
	CHECK_EQ_INT(sanitize_method_kind("gutmann"), SANITIZE_UNKNOWN, "gutmann is unknown");
	CHECK_EQ_INT(sanitize_method_kind(""), SANITIZE_UNKNOWN, "the empty name is unknown");
	CHECK_EQ_INT(sanitize_method_kind("NVME-FORMAT-USER"), SANITIZE_UNKNOWN, "names are case-sensitive");
	CHECK_EQ_INT(sanitize_method_kind(NULL), SANITIZE_UNKNOWN, "NULL is unknown");
	CHECK_STR(sanitize_kind_name(SANITIZE_PURGE), "purge", "kind name purge");
	CHECK_STR(sanitize_kind_name((enum sanitize_kind)42), "unknown", "kind name out of range");

	params(&p, "/dev/null", "gutmann", VERIFY_SAMPLE);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), -EINVAL, "a job for an unknown method: -EINVAL");
	CHECK(j == NULL, "  and *out is NULL");
	params(&p, "", "clear-zero", VERIFY_SAMPLE);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), -EINVAL, "a job without a device: -EINVAL");
	params(&p, "/dev/null", "clear-zero", (enum verify_mode)7);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), -EINVAL, "a bad verify mode: -EINVAL");
	params(&p, "/dev/null", "clear-zero", VERIFY_SAMPLE);
	memset(p.method, 'x', sizeof(p.method));
	CHECK_EQ_INT(sanitize_job_new(&p, &j), -EINVAL, "an unterminated method: -EINVAL");
	params(&p, "/dev/null", "nvme-format-user", VERIFY_SAMPLE);
	p.progress_interval = -1;
	CHECK_EQ_INT(sanitize_job_new(&p, &j), -EINVAL, "a negative progress interval: -EINVAL");
	sanitize_job_free(NULL);
	CHECK(1, "sanitize_job_free(NULL) is a no-op");

	CHECK(sanitize_purge_zeroes(PURGE_NVME_SANITIZE_OVERWRITE) && sanitize_purge_zeroes(PURGE_ATA_SECURE_ERASE) &&
	      sanitize_purge_zeroes(PURGE_SCSI_SANITIZE_OVERWRITE) && sanitize_purge_zeroes(PURGE_ATA_SANITIZE_OVERWRITE),
	      "overwrite purges and ata normal erase are checked as zeros");
	CHECK(!sanitize_purge_zeroes(PURGE_NVME_SANITIZE_CRYPTO) && !sanitize_purge_zeroes(PURGE_NVME_FORMAT_USER) &&
	      !sanitize_purge_zeroes(PURGE_ATA_SECURE_ERASE_ENHANCED) && !sanitize_purge_zeroes(PURGE_SCSI_SANITIZE_BLOCK),
	      "crypto, block, format and enhanced erase are only read back (content is vendor-specific)");
}

static void test_overwrite(const char *img)
{
	const uint64_t size = 8 << 20;
	struct sanitize_params p;
	struct sanitize_job *j = NULL;
	const struct sanitize_result *r;
	struct seen s = { 0 };
	json_t *o, *rec;
	int rc;

	make_image(img, size);
	params(&p, img, "clear-zero", VERIFY_FULL);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "clear-zero job on an image file");
	r = sanitize_job_result(j);
	CHECK_EQ_INT(r->state, WIPE_QUEUED, "  queued before it runs");
	CHECK_EQ_INT(r->kind, SANITIZE_OVERWRITE, "  kind overwrite");
	rc = sanitize_job_run(j, progress, &s);
	CHECK_EQ_INT(rc, 0, "  runs to completion");
	CHECK_EQ_INT(r->state, WIPE_COMPLETED, "  state completed");
	CHECK(all_bytes(img, size, 0), "  every byte is zero (read with pread)");
	CHECK_STR(r->method, "clear-zero", "  method");
	CHECK_EQ_INT(r->bytes_written, size, "  bytes_written");
	CHECK_EQ_INT(r->passes, 1, "  one pass");
	CHECK(r->verify.performed && r->verify.passed, "  verification performed and passed");
	CHECK_STR(r->verify.mode, "full", "  verification mode full");
	CHECK_STR(r->verify.check, "pattern", "  checked against the pattern");
	CHECK_EQ_INT(r->verify.bytes, size, "  every byte read back");
	CHECK(!r->hidden.checked, "  an image file is not asked about HPA/DCO");
	CHECK(r->started_at[0] && r->finished_at[0] && !r->error[0] && r->fail_offset == -1, "  times, no error");
	CHECK(s.calls > 0 && s.verifying > 0, "progress: %u calls, %u while verifying", s.calls, s.verifying);
	CHECK_STR(s.first_phase, "zero", "  the first phase names the pattern");
	CHECK_EQ_INT(s.bad_fraction, 0, "  fraction = bytes_done / bytes_total, within 0..1");
	CHECK(s.last_done == s.last_total, "  ends at 100%%");

	o = sanitize_result_to_json(r);
	CHECK(o && !strcmp(json_string_value(json_object_get(o, "engine")), "overwrite") &&
	      !strcmp(json_string_value(json_object_get(o, "state")), "completed") &&
	      json_is_null(json_object_get(o, "hidden_sectors")) &&
	      json_integer_value(json_object_get(o, "bytes_written")) == (json_int_t)size,
	      "the report is the overwrite engine's, with engine and hidden_sectors");
	json_decref(o);

	{
		struct blkdev_info dev;

		memset(&dev, 0, sizeof(dev));
		snprintf(dev.transport, sizeof(dev.transport), "loop");
		rec = wiprec_completed("job_x", r, &dev, "hdd", size);
		CHECK(rec && json_integer_value(json_object_get(json_object_get(rec, "coverage"), "bytes")) ==
			     (json_int_t)size &&
		      json_integer_value(json_object_get(json_object_get(rec, "coverage"), "capacity_bytes")) ==
			     (json_int_t)size &&
		      !strcmp(json_string_value(json_object_get(json_object_get(rec, "coverage"), "scope")), "whole_device") &&
		      json_array_size(json_object_get(rec, "exceptions")) == 0,
		      "wiprec_completed states the coverage and an empty list of exceptions");
		CHECK(rec && !strcmp(json_string_value(json_object_get(rec, "category")), "clear") &&
		      !json_object_get(rec, "purge") && !json_object_get(rec, "hidden_sectors") &&
		      !strcmp(json_string_value(json_object_get(json_object_get(rec, "verification"), "result")), "passed"),
		      "wiprec_completed from the unified result of an overwrite");
		json_decref(rec);
	}
	sanitize_job_free(j);

	/* cancel part way, then run the same job again: it continues */
	make_image(img, size);
	params(&p, img, "clear-random", VERIFY_SAMPLE);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "clear-random job");
	memset(&s, 0, sizeof(s));
	s.cancel_job = j;
	s.cancel_at = 1;
	rc = sanitize_job_run(j, progress, &s);
	r = sanitize_job_result(j);
	CHECK_EQ_INT(rc, -ECANCELED, "  cancelled from the progress callback");
	CHECK_EQ_INT(r->state, WIPE_CANCELLED, "  state cancelled");
	CHECK(r->resume_pass == 1, "  a resume point in pass 1 (offset %llu)", (unsigned long long)r->resume_offset);
	rec = wiprec_failed("job_y", "cancelled", r);
	CHECK(rec && !json_object_get(rec, "command_sent") &&
	      json_integer_value(json_object_get(json_object_get(rec, "resume"), "pass")) == 1,
	      "wiprec_failed carries the resume point");
	json_decref(rec);
	s.cancel_job = NULL;
	CHECK_EQ_INT(sanitize_job_run(j, progress, &s), 0, "  run again: it completes");
	CHECK(r->verify.passed && !untouched(img), "  verified, the sentinels gone");
	sanitize_job_free(j);

	/* a cancel while queued: the job never starts, and nothing is written */
	make_image(img, size);
	params(&p, img, "clear-zero", VERIFY_SAMPLE);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "clear-zero job");
	sanitize_job_cancel(j);
	CHECK_EQ_INT(sanitize_job_run(j, NULL, NULL), -ECANCELED, "  cancelled before run: -ECANCELED");
	r = sanitize_job_result(j);
	CHECK(r->state == WIPE_CANCELLED && r->bytes_written == 0 && untouched(img) &&
	      strstr(r->error, "cancelled before it started"), "  state cancelled, nothing written: %s", r->error);
	CHECK_EQ_INT(sanitize_job_run(j, NULL, NULL), 0, "  the cancel is consumed: run again, it completes");
	CHECK(all_bytes(img, size, 0), "  and the image is zero");
	sanitize_job_free(j);
}

static void test_purge_refused(const char *img)
{
	static const char *const methods[] = { "nvme-format-user", "nvme-sanitize-crypto", "ata-secure-erase",
					       "scsi-sanitize-block" };
	struct sanitize_params p;
	struct sanitize_job *j = NULL;
	const struct sanitize_result *r;
	struct blkdev_info *dev = calloc(1, sizeof(*dev));
	char msg[768], reason[24];
	json_t *o, *rec;
	int rc;

	make_image(img, 1 << 20);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		params(&p, img, methods[i], VERIFY_SAMPLE);
		CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "%s job on an image file", methods[i]);
		CHECK_EQ_INT(sanitize_job_result(j)->kind, SANITIZE_PURGE, "  kind purge");
		rc = sanitize_job_run(j, NULL, NULL);
		r = sanitize_job_result(j);
		CHECK_EQ_INT(rc, -EPERM, "  refused, even with allow_regular_file");
		CHECK_STR(r->refusal, "not_block_device", "  refusal not_block_device");
		CHECK(strstr(r->error, "needs a drive (/dev/nvmeXnY or /dev/sdX)") != NULL, "  says why: %s", r->error);
		CHECK_EQ_INT(r->state, WIPE_FAILED, "  state failed");
		CHECK(!r->confirmed && !r->verify.performed && r->bytes_written == 0, "  nothing confirmed or verified");
		CHECK(untouched(img), "  nothing written");
		sanitize_job_free(j);
	}

	params(&p, img, "nvme-sanitize-crypto", VERIFY_SAMPLE);
	rc = sanitize_preflight(&p, dev, msg, sizeof(msg), reason);
	CHECK_EQ_INT(rc, -EPERM, "preflight of a purge on an image file: refused");
	CHECK_STR(reason, "not_block_device", "  reason not_block_device");
	CHECK(strstr(msg, "nvme-sanitize-crypto sends drive commands") != NULL, "  message: %s", msg);
	params(&p, "/nonexistent/sz-disk", "ata-secure-erase", VERIFY_SAMPLE);
	rc = sanitize_preflight(&p, dev, msg, sizeof(msg), reason);
	CHECK(rc == -ENOENT && !reason[0], "preflight of a missing path: -ENOENT, no reason (%d %s)", rc, msg);
	params(&p, img, "clear-zero", VERIFY_SAMPLE);
	rc = sanitize_preflight(&p, dev, msg, sizeof(msg), reason);
	CHECK(rc < 0 && !strcmp(reason, "not_block_device"), "preflight of an overwrite on an image file: as wipe_preflight");
	params(&p, img, "gutmann", VERIFY_SAMPLE);
	CHECK_EQ_INT(sanitize_preflight(&p, dev, msg, sizeof(msg), reason), -EINVAL, "preflight of an unknown method");

	/* a refusal made outside the job (confirmation, lifecycle) */
	params(&p, img, "nvme-format-user", VERIFY_FULL);
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "nvme-format-user job");
	sanitize_job_refuse(j, EPERM, "identity_mismatch", "cannot wipe x: confirmation does not match");
	r = sanitize_job_result(j);
	CHECK(r->state == WIPE_FAILED && !strcmp(r->refusal, "identity_mismatch") && r->err == EPERM &&
	      !r->started_at[0], "sanitize_job_refuse: failed, the reason, no start time");
	o = sanitize_result_to_json(r);
	CHECK(o && !strcmp(json_string_value(json_object_get(o, "engine")), "purge") &&
	      !strcmp(json_string_value(json_object_get(o, "state")), "failed") &&
	      !strcmp(json_string_value(json_object_get(o, "refusal")), "identity_mismatch") &&
	      json_is_false(json_object_get(o, "command_sent")) && json_is_null(json_object_get(o, "readback")),
	      "the report is the purge runner's: refused, no command sent");
	json_decref(o);
	rec = wiprec_failed("job_z", "failed", r);
	CHECK(rec && !strcmp(json_string_value(json_object_get(rec, "refusal")), "identity_mismatch") &&
	      json_is_false(json_object_get(rec, "command_sent")),
	      "wiprec_failed of a purge: the refusal, command_sent false");
	json_decref(rec);
	sanitize_job_free(j);
	free(dev);
}

static void test_progress_mapping(void)
{
	struct purge_progress pp = { PURGE_RUNNING, "erasing", 0.25, 10.0 };
	struct sanitize_progress s;

	sanitize_progress_from_purge(&pp, 1000000, &s);
	CHECK_EQ_INT(s.state, WIPE_RUNNING, "purge progress: running");
	CHECK_STR(s.phase, "erasing", "  the phase");
	CHECK(s.pass == 1 && s.passes == 1, "  pass 1 of 1");
	CHECK_EQ_INT(s.bytes_done, 250000, "  bytes_done = fraction * size");
	CHECK_EQ_INT(s.bytes_total, 1000000, "  bytes_total = size");
	CHECK(s.fraction == 0.25, "  fraction kept");
	CHECK(s.eta > 29.99 && s.eta < 30.01, "  eta from the elapsed time: %.2f", s.eta);
	CHECK(s.rate > 24999 && s.rate < 25001, "  rate %.1f bytes/s", s.rate);
	pp.fraction = -1;
	sanitize_progress_from_purge(&pp, 1000000, &s);
	CHECK(s.bytes_done == 0 && s.fraction == -1 && s.eta == -1 && s.rate == 0, "unknown fraction: 0 bytes, eta -1");
	pp.fraction = 1.5;
	sanitize_progress_from_purge(&pp, 1000000, &s);
	CHECK(s.bytes_done == 1000000 && s.fraction == 1 && s.eta == 0, "a fraction past 1 is clamped");
	pp.state = PURGE_VERIFYING;
	pp.phase = "verifying";
	pp.fraction = 1;
	sanitize_progress_from_purge(&pp, 0, &s);
	CHECK(s.state == WIPE_VERIFYING && s.bytes_done == 0 && s.bytes_total == 0, "verifying, size unknown");
	pp.phase = NULL;
	sanitize_progress_from_purge(&pp, 4096, &s);
	CHECK_STR(s.phase, "", "a NULL phase is empty");
}

static void test_hidden(void)
{
	struct ata_hidden h = { 0 };
	struct blkdev_info *d = calloc(1, sizeof(*d));
	char msg[256] = "";

	CHECK_EQ_INT(sanitize_hidden_check("/dev/sdb", &h, msg, sizeof(msg)), 0, "nothing hidden: 0");
	h.hpa_hidden = 48576;
	CHECK_EQ_INT(sanitize_hidden_check("/dev/sdb", &h, msg, sizeof(msg)), -EPERM, "hpa hides sectors: -EPERM");
	CHECK_STR(msg, "cannot certify /dev/sdb: 48576 sectors are hidden by HPA/DCO; remove the HPA first",
		  "  the message");
	h.hpa_hidden = 0;
	h.dco_hidden = 7;
	CHECK_EQ_INT(sanitize_hidden_check("/dev/sdc", &h, msg, sizeof(msg)), -EPERM, "dco alone: -EPERM");
	h.hpa_hidden = 3;
	sanitize_hidden_check("/dev/sdc", &h, msg, sizeof(msg));
	CHECK(strstr(msg, " 10 sectors ") != NULL, "  hpa and dco add up: %s", msg);

	snprintf(d->name, sizeof(d->name), "sda");
	snprintf(d->transport, sizeof(d->transport), "sata");
	CHECK(sanitize_hidden_applies(d), "sata sda is asked");
	snprintf(d->transport, sizeof(d->transport), "usb");
	CHECK(sanitize_hidden_applies(d), "usb sda is asked (SAT bridge)");
	snprintf(d->transport, sizeof(d->transport), "sas");
	snprintf(d->name, sizeof(d->name), "sdaa");
	CHECK(sanitize_hidden_applies(d), "sas sdaa is asked (SATA behind a SAS HBA)");
	d->partition = 1;
	snprintf(d->name, sizeof(d->name), "sda1");
	CHECK(!sanitize_hidden_applies(d), "a partition is not");
	d->partition = 0;
	snprintf(d->name, sizeof(d->name), "vda");
	snprintf(d->transport, sizeof(d->transport), "virtio");
	CHECK(!sanitize_hidden_applies(d), "virtio vda is not");
	snprintf(d->name, sizeof(d->name), "loop0");
	snprintf(d->transport, sizeof(d->transport), "loop");
	CHECK(!sanitize_hidden_applies(d), "loop0 is not");
	snprintf(d->name, sizeof(d->name), "nvme0n1");
	snprintf(d->transport, sizeof(d->transport), "nvme");
	CHECK(!sanitize_hidden_applies(d), "nvme0n1 is not");
	free(d);
}

static void test_from_wipe(const char *img)
{
	struct wipe_params *wp = calloc(1, sizeof(*wp));
	struct sanitize_job *j = NULL;
	const struct sanitize_result *r;

	snprintf(wp->device, sizeof(wp->device), "%s", img);
	wp->method = WIPE_DOD_3PASS;
	wp->verify = VERIFY_SAMPLE;
	CHECK_EQ_INT(sanitize_job_new_from_wipe(wp, &j), 0, "a job from wipe_params");
	r = sanitize_job_result(j);
	CHECK(!strcmp(r->method, "dod-3pass") && r->passes == 3 && !strcmp(r->verify.mode, "sample") &&
	      !strcmp(r->device, img), "  method, passes, verify and device carried over");
	sanitize_job_free(j);
	wp->method = (enum wipe_method)9;
	CHECK_EQ_INT(sanitize_job_new_from_wipe(wp, &j), -EINVAL, "  a bad wipe method: -EINVAL");
	free(wp);
}

int main(void)
{
	char img[128];

	snprintf(dir, sizeof(dir), "/var/tmp/sz-sanitize.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	test_routing();
	test_overwrite(img);
	test_purge_refused(img);
	test_progress_mapping();
	test_hidden();
	test_from_wipe(img);
	unlink(img);
	rmdir(dir);
	return tap_done();
}
