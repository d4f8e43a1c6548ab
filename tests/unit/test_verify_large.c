/*
 * verify_run over a 320 MiB image, many queue-fulls of I/O completing out of
 * order: every byte is checked, a wrong byte anywhere is found at its offset,
 * the lowest of two is the one reported, progress reaches the whole size,
 * cancelling stops early.
 */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <unistd.h>

#include "drivers/ioq.h"
#include "drivers/pattern.h"
#include "drivers/verify.h"
#include "tests/unit/tap.h"

#define SIZE (320ULL << 20)

static char path[] = "/var/tmp/sz-verify-par.XXXXXX";

static void write_pattern(int fd, struct pattern *p)
{
	size_t chunk = 4 << 20;
	char *buf = malloc(chunk);

	for (uint64_t off = 0; off < SIZE; off += chunk) {
		pattern_fill(p, buf, off, chunk);
		if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk)
			abort();
	}
	free(buf);
}

static void poke(int fd, uint64_t off)
{
	char c;

	if (pread(fd, &c, 1, (off_t)off) != 1)
		abort();
	c ^= 0x5a;
	if (pwrite(fd, &c, 1, (off_t)off) != 1)
		abort();
}

struct tk {
	uint64_t last;
	int calls;
	uint64_t stop_after;
};

static int tick(void *ctx, uint64_t done)
{
	struct tk *t = ctx;

	t->calls++;
	t->last = done;
	return t->stop_after && done >= t->stop_after;
}

static int run(int fd, struct pattern *p, struct tk *t, struct ioq_status *st)
{
	struct verify_plan *plan = NULL;
	struct ioq *q = NULL;
	int rc;

	if (verify_plan_new(VERIFY_FULL, SIZE, 4096, 1, &plan) < 0 || ioq_new(fd, 8, 1 << 20, &q) < 0)
		abort();
	rc = verify_run(q, p, plan, tick, t, st);
	ioq_free(q);
	verify_plan_free(plan);
	return rc;
}

int main(void)
{
	struct pattern *p = NULL;
	struct ioq_status st;
	struct tk t = { 0 };
	int fd;

	gcry_check_version(NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)SIZE) < 0)
		return 1;
	CHECK(pattern_new(PATTERN_RANDOM, NULL, NULL, &p) == 0, "a random pattern");
	write_pattern(fd, p);

	CHECK_EQ_INT(run(fd, p, &t, &st), 0, "an intact 320 MiB image verifies");
	CHECK_EQ_INT(st.bytes_done, SIZE, "every byte was read and checked");
	CHECK(t.calls > 0 && t.last == SIZE, "progress reaches the whole size: %llu", (unsigned long long)t.last);

	poke(fd, (16ULL << 20) + 777);
	CHECK_EQ_INT(run(fd, p, &t, &st), -EILSEQ, "a wrong byte at 16 MiB + 777 fails");
	CHECK_EQ_INT(st.fail_off, (16ULL << 20) + 777, "at its offset");
	poke(fd, (192ULL << 20) + 5);
	CHECK_EQ_INT(run(fd, p, &t, &st), -EILSEQ, "two wrong bytes: fails");
	CHECK_EQ_INT(st.fail_off, (16ULL << 20) + 777, "the lowest one is reported");
	poke(fd, (16ULL << 20) + 777);
	CHECK_EQ_INT(run(fd, p, &t, &st), -EILSEQ, "a wrong byte at 192 MiB + 5 fails");
	CHECK_EQ_INT(st.fail_off, (192ULL << 20) + 5, "at its offset");
	poke(fd, (192ULL << 20) + 5);
	/* the last byte of the device, in the last chunk */
	poke(fd, SIZE - 1);
	CHECK_EQ_INT(run(fd, p, &t, &st), -EILSEQ, "the very last byte is checked");
	CHECK_EQ_INT(st.fail_off, SIZE - 1, "at the end");
	poke(fd, SIZE - 1);

	t.stop_after = 64ULL << 20;
	CHECK_EQ_INT(run(fd, p, &t, &st), -ECANCELED, "cancel from the progress callback stops the run");
	CHECK(st.bytes_done < SIZE, "before the end (%llu bytes)", (unsigned long long)st.bytes_done);

	pattern_free(p);
	close(fd);
	unlink(path);
	return tap_done();
}
