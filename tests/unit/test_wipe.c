/*
 * wipe: the engine on image files in a temporary directory.  Every byte is
 * checked here with plain read(2), not with the engine's own verifier.
 */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/wipe.h"
#include "tests/unit/tap.h"

static char dir[64];
static const char sentinel[] = "SENTINEL-customer-data-";

/* A file of size bytes filled with sentinel strings. */
static void make_image(const char *path, uint64_t size)
{
	char block[4096];
	uint64_t off;
	int fd;

	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = sentinel[i % (sizeof(sentinel) - 1)];
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (off = 0; off < size; off += sizeof(block)) {
		size_t n = size - off < sizeof(block) ? (size_t)(size - off) : sizeof(block);
		if (pwrite(fd, block, n, (off_t)off) != (ssize_t)n)
			abort();
	}
	close(fd);
}

/* Offset of the first byte in [from, to) that is not c, or -1. */
static int64_t first_not(const char *path, uint64_t from, uint64_t to, int c)
{
	static unsigned char buf[65536];
	uint64_t off = from;
	int fd = open(path, O_RDONLY);

	while (off < to) {
		size_t n = to - off < sizeof(buf) ? (size_t)(to - off) : sizeof(buf);
		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (buf[i] != c) {
				close(fd);
				return (int64_t)(off + i);
			}
		off += n;
	}
	close(fd);
	return -1;
}

/* 1 if [from, to) still holds the sentinel fill. */
static int untouched(const char *path, uint64_t from, uint64_t to)
{
	unsigned char c;
	int fd = open(path, O_RDONLY), ok = 1;

	for (uint64_t off = from; off < to && ok; off += 4093) {
		if (pread(fd, &c, 1, (off_t)off) != 1 || c != (unsigned char)sentinel[off % 4096 % (sizeof(sentinel) - 1)])
			ok = 0;
	}
	close(fd);
	return ok;
}

static int contains_sentinel(const char *path, uint64_t size)
{
	char *buf = malloc(size);
	int fd = open(path, O_RDONLY), found;

	if (pread(fd, buf, size, 0) != (ssize_t)size)
		abort();
	close(fd);
	found = memmem(buf, size, sentinel, sizeof(sentinel) - 1) != NULL;
	free(buf);
	return found;
}

static void params(struct wipe_params *p, const char *path, enum wipe_method m, enum verify_mode v)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->device, sizeof(p->device), "%s", path);
	p->method = m;
	p->verify = v;
	p->allow_regular_file = 1;
}

struct cancel_at {
	struct wipe_job *job;
	uint64_t at;
	int calls, monotonic, bad_fields;
	uint64_t last;
};

static void progress(void *ctx, const struct wipe_progress *pr)
{
	struct cancel_at *c = ctx;

	c->calls++;
	if (pr->state == WIPE_RUNNING) {
		if (pr->bytes_done < c->last && pr->pass == 1)
			c->monotonic = 0;
		c->last = pr->bytes_done;
	}
	if (pr->bytes_done > pr->bytes_total || pr->pass == 0 || pr->passes == 0)
		c->bad_fields++;
	if (c->at && pr->state == WIPE_RUNNING && pr->bytes_done >= c->at)
		wipe_job_cancel(c->job);
}

int main(void)
{
	struct wipe_params p;
	struct wipe_job *j = NULL;
	const struct wipe_result *r;
	char img[128], odd[128];
	uint64_t size = 8ull << 20, oddsize = (3ull << 20) + 3 * 512, resume;
	struct cancel_at ca;
	enum wipe_method m;
	json_t *js;
	char *text;
	int rc;

	gcry_check_version(NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	snprintf(dir, sizeof(dir), "/var/tmp/sz-wipe.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(odd, sizeof(odd), "%s/odd.img", dir);

	/* methods: SPEC section 8 names, the ones this build does, and garbage */
	CHECK_EQ_INT(wipe_method_parse("clear-zero", &m), 0, "clear-zero parses");
	CHECK_EQ_INT(wipe_method_parse("luks-crypto-erase", &m), 0, "luks-crypto-erase parses");
	CHECK_EQ_INT(m, WIPE_LUKS_CRYPTO_ERASE, "  to the LUKS method");
	CHECK_EQ_INT(wipe_method_parse("nvme-sanitize-crypto", &m), -ENOTSUP, "nvme method known but not supported yet");
	CHECK_EQ_INT(wipe_method_parse("ata-secure-erase", &m), -ENOTSUP, "ata method known but not supported yet");
	CHECK_EQ_INT(wipe_method_parse("gutmann", &m), -EINVAL, "unknown method");
	CHECK_EQ_INT(wipe_method_parse("", &m), -EINVAL, "empty method");

	/* clear-zero over a sentinel-filled image, full verification */
	make_image(img, size);
	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.io_size = 1 << 20;
	CHECK_EQ_INT(wipe_job_new(&p, &j), 0, "clear-zero job");
	rc = wipe_job_run(j, NULL, NULL);
	r = wipe_job_result(j);
	CHECK_EQ_INT(rc, 0, "clear-zero completes");
	CHECK_EQ_INT(r->state, WIPE_COMPLETED, "  state completed");
	CHECK_EQ_INT(first_not(img, 0, size, 0), -1, "  every byte is zero (checked with read(2))");
	CHECK(r->verify.performed && r->verify.passed && r->verify.bytes == size, "  full verification read every byte");
	CHECK_EQ_INT(r->bytes_written, size, "  bytes written = size");
	CHECK(r->pass[0].done && r->resume_pass == 0, "  pass done, nothing to resume");
	wipe_job_free(j);
	j = NULL;

	/* size not a multiple of the I/O size: the tail I/O is smaller */
	make_image(odd, oddsize);
	params(&p, odd, WIPE_DOD_3PASS, VERIFY_FULL);
	p.io_size = 1 << 20;
	p.queue_depth = 4;
	CHECK_EQ_INT(wipe_job_new(&p, &j), 0, "dod-3pass job on an odd size");
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), 0, "dod-3pass completes");
	r = wipe_job_result(j);
	CHECK(r->passes == 3 && r->pass[0].done && r->pass[1].done && r->pass[2].done, "  three passes done");
	CHECK_STR(r->pass[1].pattern, "ones", "  pass 2 is ones");
	CHECK_EQ_INT(r->bytes_written, 3 * oddsize, "  every pass wrote the whole odd size");
	CHECK(!contains_sentinel(odd, oddsize), "  no sentinel left, the tail included");
	CHECK(first_not(odd, oddsize - 512, oddsize, 0) != -1 && first_not(odd, oddsize - 512, oddsize, 0xff) != -1,
	      "  the last block holds random data, not zeros or ones");
	CHECK(r->verify.passed, "  random pass verified");
	wipe_job_free(j);
	j = NULL;

	/* clear-random: verified, no sentinel, key id and nonce but no key in the report */
	make_image(img, size);
	params(&p, img, WIPE_CLEAR_RANDOM, VERIFY_SAMPLE);
	wipe_job_new(&p, &j);
	memset(&ca, 0, sizeof(ca));
	ca.job = j;
	ca.monotonic = 1;
	CHECK_EQ_INT(wipe_job_run(j, progress, &ca), 0, "clear-random completes");
	r = wipe_job_result(j);
	CHECK(!contains_sentinel(img, size), "  no sentinel left");
	CHECK(r->verify.passed && r->verify.bytes * 10 >= size, "  sample verification read >= 10%%");
	CHECK(ca.calls > 2 && ca.monotonic && !ca.bad_fields, "  progress called, monotonic, sane fields");
	js = wipe_result_to_json(r);
	text = json_dumps(js, 0);
	CHECK(text && strstr(text, "\"key_id\"") && strstr(text, "\"state\": \"completed\"") && !strstr(text, "\"key\""),
	      "  JSON report: state, key id, no key");
	CHECK(strlen(r->key_id) == 32 && strlen(r->nonce) == 32, "  key id and nonce are 128-bit hex");
	free(text);
	json_decref(js);
	wipe_job_free(j);
	j = NULL;

	/* cancel from the progress callback, then resume in a new job (zero pass) */
	make_image(img, size);
	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.io_size = 256 << 10;
	p.queue_depth = 2;
	wipe_job_new(&p, &j);
	memset(&ca, 0, sizeof(ca));
	ca.job = j;
	ca.at = size / 3;
	rc = wipe_job_run(j, progress, &ca);
	r = wipe_job_result(j);
	CHECK_EQ_INT(rc, -ECANCELED, "cancel from the progress callback");
	CHECK_EQ_INT(r->state, WIPE_CANCELLED, "  state cancelled");
	resume = r->resume_offset;
	CHECK(r->resume_pass == 1 && resume >= size / 3 && resume < size && resume % 512 == 0,
	      "  resume point in pass 1 at a block boundary (%llu)", (unsigned long long)resume);
	CHECK_EQ_INT(first_not(img, 0, resume, 0), -1, "  everything before the resume point is zero");
	CHECK(untouched(img, resume, size), "  nothing after it was written");
	CHECK(!r->verify.performed, "  no verification ran");
	wipe_job_free(j);
	j = NULL;
	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.resume_pass = 1;
	p.resume_offset = resume;
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), 0, "resumed job completes");
	r = wipe_job_result(j);
	CHECK_EQ_INT(r->bytes_written, size - resume, "  it wrote only from the resume point");
	CHECK_EQ_INT(first_not(img, 0, size, 0), -1, "  and the whole image is zero");
	CHECK(r->verify.passed, "  full verification passed");
	wipe_job_free(j);
	j = NULL;

	/* a random pass resumed in the same job keeps its key and verifies */
	make_image(img, size);
	params(&p, img, WIPE_CLEAR_RANDOM, VERIFY_FULL);
	p.io_size = 256 << 10;
	p.queue_depth = 2;
	wipe_job_new(&p, &j);
	memset(&ca, 0, sizeof(ca));
	ca.job = j;
	ca.at = size / 2;
	CHECK_EQ_INT(wipe_job_run(j, progress, &ca), -ECANCELED, "random pass cancelled half way");
	resume = wipe_job_result(j)->resume_offset;
	CHECK(untouched(img, resume, size), "  the rest still holds the sentinel fill");
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), 0, "  running the job again finishes it");
	r = wipe_job_result(j);
	CHECK(r->verify.passed && r->verify.bytes == size, "  full verification of both halves passed (same key)");
	CHECK(!contains_sentinel(img, size), "  no sentinel left");
	CHECK_EQ_INT(r->bytes_written, size, "  bytes written add up to the size");
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), -EALREADY, "  a completed job does not run again");
	wipe_job_free(j);
	j = NULL;

	/* a new job cannot verify a random pass written under a lost key: it starts it over */
	params(&p, img, WIPE_DOD_3PASS, VERIFY_SAMPLE);
	p.resume_pass = 3;
	p.resume_offset = 1 << 20;
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), 0, "dod-3pass resumed in pass 3 by a new job");
	r = wipe_job_result(j);
	CHECK(r->bytes_written == size && !r->pass[0].done && r->pass[2].done, "  pass 3 rewritten from 0, passes 1-2 skipped");
	wipe_job_free(j);
	j = NULL;

	/* verification catches a wrong byte, at its offset: verify-only resume of a zero wipe */
	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_NONE);
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), 0, "zero wipe without read-back");
	CHECK(!wipe_job_result(j)->verify.performed, "  no verification when none asked");
	wipe_job_free(j);
	j = NULL;
	{
		int fd = open(img, O_WRONLY);
		char x = 'X';
		if (pwrite(fd, &x, 1, 5000001) != 1)
			abort();
		close(fd);
	}
	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.resume_pass = 2;	/* passes + 1: verification only */
	wipe_job_new(&p, &j);
	rc = wipe_job_run(j, NULL, NULL);
	r = wipe_job_result(j);
	CHECK_EQ_INT(rc, -EILSEQ, "verification fails on a planted byte");
	CHECK_EQ_INT(r->state, WIPE_FAILED, "  state failed");
	CHECK_EQ_INT(r->verify.mismatch_offset, 5000001, "  at the planted byte's offset");
	CHECK_EQ_INT(r->fail_offset, 5000001, "  and the job's failing offset says so");
	CHECK(!r->verify.passed && strstr(r->error, "offset 5000001"), "  message names the offset");
	CHECK_EQ_INT(r->bytes_written, 0, "  nothing was written");
	wipe_job_free(j);
	j = NULL;

	/*
	 * Write errors at a known offset, without device-mapper: RLIMIT_FSIZE
	 * makes every write at or past the limit fail with EFBIG, and a write
	 * straddling it come back short.
	 */
	{
		struct rlimit old, lim;
		getrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_IGN);
		make_image(img, size);
		lim = old;
		lim.rlim_cur = 3 << 20;
		setrlimit(RLIMIT_FSIZE, &lim);
		params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
		p.io_size = 1 << 20;
		wipe_job_new(&p, &j);
		rc = wipe_job_run(j, NULL, NULL);
		r = wipe_job_result(j);
		CHECK_EQ_INT(rc, -EFBIG, "write error fails the job");
		CHECK_EQ_INT(r->state, WIPE_FAILED, "  state failed, never completed");
		CHECK_EQ_INT(r->fail_offset, 3 << 20, "  at the first failing offset");
		CHECK_EQ_INT(r->err, EFBIG, "  with its errno");
		CHECK(!r->pass[0].done && !r->verify.performed, "  pass not done, nothing verified");
		CHECK_EQ_INT(r->resume_offset, 3 << 20, "  resume point at the failed I/O");
		wipe_job_free(j);
		j = NULL;

		lim.rlim_cur = (3 << 20) + 1536;	/* inside an I/O: a short write */
		setrlimit(RLIMIT_FSIZE, &lim);
		params(&p, img, WIPE_CLEAR_RANDOM, VERIFY_FULL);
		p.io_size = 1 << 20;
		wipe_job_new(&p, &j);
		rc = wipe_job_run(j, NULL, NULL);
		r = wipe_job_result(j);
		/* the retry in single blocks finds the block that fails and its errno (issue 13 item 3) */
		CHECK_EQ_INT(rc, -EFBIG, "short write fails the job, with the errno its block's retry got");
		CHECK_EQ_INT(r->fail_offset, (3 << 20) + 1536, "  at the byte where the write stopped");
		CHECK(r->io.retries > 0 && r->io.errors > 0, "  after retries (%u)", r->io.retries);
		wipe_job_free(j);
		j = NULL;

		/* on_error continue: the rest is recorded, the job completes with exceptions */
		params(&p, img, WIPE_CLEAR_RANDOM, VERIFY_FULL);
		p.io_size = 1 << 20;
		p.on_error = WIPE_ON_ERROR_CONTINUE;
		wipe_job_new(&p, &j);
		rc = wipe_job_run(j, NULL, NULL);
		r = wipe_job_result(j);
		CHECK_EQ_INT(rc, 0, "continue: the job runs to its end past the write errors (%s)", r->error);
		CHECK(r->state == WIPE_COMPLETED && r->with_exceptions, "  completed, with exceptions");
		CHECK(r->io.n == 1 && r->io.r[0].off == (3 << 20) + 1536 && r->io.r[0].off + r->io.r[0].len == size,
		      "  one merged range from the first failing block to the end (%u ranges)", r->io.n);
		CHECK_EQ_INT(r->io.bad_bytes, size - (3 << 20) - 1536, "  unwritten bytes counted once");
		CHECK(r->verify.performed && r->verify.passed && r->verify.skipped == r->io.bad_bytes,
		      "  the verification passed over the rest and skipped exactly that range");
		{
			json_t *o = wipe_result_to_json(r);
			json_t *rs = json_object_get(json_object_get(o, "io_errors"), "ranges");
			CHECK(json_array_size(rs) == 1 && json_integer_value(json_object_get(json_array_get(rs, 0),
			      "offset")) == (3 << 20) + 1536 && json_is_true(json_object_get(o, "with_exceptions")),
			      "  the JSON lists the range and with_exceptions");
			json_decref(o);
		}
		wipe_job_free(j);
		j = NULL;
		setrlimit(RLIMIT_FSIZE, &old);
	}

	/* bad input */
	params(&p, "", WIPE_CLEAR_ZERO, VERIFY_FULL);
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "empty device refused");
	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.io_size = 1000;
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "I/O size not a multiple of 4096 refused");
	p.io_size = 64 << 20;
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "I/O size past the cap refused");
	p.io_size = 0;
	p.queue_depth = 1000;
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "queue depth past the cap refused");
	p.queue_depth = 0;
	p.resume_pass = 3;
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "resume pass past the end refused");
	p.resume_pass = 0;
	p.method = (enum wipe_method)17;
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "bad method number refused");
	memset(p.device, 'a', sizeof(p.device));
	p.method = WIPE_CLEAR_ZERO;
	CHECK_EQ_INT(wipe_job_new(&p, &j), -EINVAL, "unterminated device name refused");

	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.allow_regular_file = 0;
	wipe_job_new(&p, &j);
	make_image(img, size);
	rc = wipe_job_run(j, NULL, NULL);
	r = wipe_job_result(j);
	CHECK_EQ_INT(rc, -ENOTBLK, "a regular file is refused unless allowed");
	CHECK_STR(r->refusal, "not_block_device", "  reason not_block_device");
	CHECK(untouched(img, 0, size), "  and not written");
	wipe_job_free(j);
	j = NULL;

	params(&p, "/nonexistent/disk", WIPE_CLEAR_ZERO, VERIFY_FULL);
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), -ENOENT, "missing device fails");
	CHECK(strstr(wipe_job_result(j)->error, "cannot wipe /nonexistent/disk") != NULL, "  message names it");
	wipe_job_free(j);
	j = NULL;

	make_image(odd, 1000);
	params(&p, odd, WIPE_CLEAR_ZERO, VERIFY_FULL);
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), -EINVAL, "size not a multiple of 512 refused");
	wipe_job_free(j);
	j = NULL;

	params(&p, img, WIPE_CLEAR_ZERO, VERIFY_FULL);
	p.resume_pass = 1;
	p.resume_offset = 1000;
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), -EINVAL, "unaligned resume offset refused");
	CHECK(untouched(img, 0, size), "  before writing anything");
	wipe_job_free(j);
	j = NULL;
	p.resume_offset = size + 512;
	wipe_job_new(&p, &j);
	CHECK_EQ_INT(wipe_job_run(j, NULL, NULL), -EINVAL, "resume offset past the end refused");
	wipe_job_free(j);
	wipe_job_free(NULL);

	unlink(img);
	unlink(odd);
	rmdir(dir);
	return tap_done();
}
