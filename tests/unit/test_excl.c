/*
 * The overwrite path holds its device O_EXCL from the first write through
 * the read-back (issue 10 item 8): a sanitize job (clear-zero, verify full)
 * on the loop device named by SZ_TEST_LOOP, whose progress function tries
 * to open the device O_EXCL at every phase it sees; each try must fail
 * with EBUSY, and one after the job must succeed.  tests/t1070-excl.sh
 * makes the loop device (its own, over a file) and runs this; without
 * SZ_TEST_LOOP the test skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/sanitize.h"
#include "tests/unit/tap.h"

struct probe {
	const char *dev;
	char phases[8][16];
	unsigned nphases, tries, busy, other;
	unsigned last_pass;
	int last_state;
};

static void on_progress(void *ctx, const struct sanitize_progress *p)
{
	struct probe *x = ctx;
	int fd;

	/* once per phase (pattern or verify) and pass */
	if (x->nphases && p->pass == x->last_pass && (int)p->state == x->last_state &&
	    !strcmp(x->phases[x->nphases - 1], p->phase))
		return;
	x->last_pass = p->pass;
	x->last_state = (int)p->state;
	if (x->nphases < 8)
		snprintf(x->phases[x->nphases++], sizeof(x->phases[0]), "%s", p->phase);
	x->tries++;
	fd = open(x->dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		x->other++;
	} else if (errno == EBUSY) {
		x->busy++;
	} else {
		x->other++;
	}
}

int main(void)
{
	const char *dev = getenv("SZ_TEST_LOOP");
	struct sanitize_params p;
	struct sanitize_job *j;
	struct probe x;
	char why[256];
	int rc, fd;

	if (!dev || strncmp(dev, "/dev/loop", 9)) {
		printf("ok 1 # skip SZ_TEST_LOOP names no loop device (tests/t1070-excl.sh sets it)\n1..1\n");
		return 0;
	}
	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	x.dev = dev;
	snprintf(p.device, sizeof(p.device), "%s", dev);
	snprintf(p.method, sizeof(p.method), "dod-3pass");
	p.verify = VERIFY_FULL;
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "a dod-3pass job with full verification on %s", dev);
	rc = sanitize_job_run(j, on_progress, &x);
	CHECK_EQ_INT(rc, 0, "  it completes");
	CHECK(x.nphases >= 4, "  the progress function saw %u phases (3 passes and the verify)", x.nphases);
	for (unsigned i = 0; i < x.nphases; i++)
		printf("#   phase %u: %s\n", i, x.phases[i]);
	CHECK(x.tries > 0 && x.busy == x.tries && x.other == 0,
	      "  every O_EXCL open during the job failed with EBUSY (%u of %u)", x.busy, x.tries);
	CHECK(!strcmp(x.phases[x.nphases - 1], "verify"), "  including during the read-back");
	CHECK_EQ_INT(sanitize_result_passed(sanitize_job_result(j), why, sizeof(why)), 1, "  and it counts as a pass");
	sanitize_job_free(j);
	fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	CHECK(fd >= 0, "after the job the device can be opened O_EXCL again (the probe is not always busy)");
	if (fd >= 0)
		close(fd);
	return tap_done();
}
