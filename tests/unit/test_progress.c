/*
 * Overall progress of a multi-pass job (issue 13 item 1): a dod-3pass job
 * with full verification, on the loop device named by SZ_TEST_LOOP
 * (tests/t1080-progress.sh makes one) or else on an image file.  Over the
 * whole job: pass never exceeds passes (verification is its own phase),
 * the overall fraction only rises, overall_total is the three passes plus
 * the read-back and does not change, and from the first byte on the ETA is
 * known (never -1 again at a pass boundary) and is over what is left of
 * the whole job.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/sanitize.h"
#include "tests/unit/tap.h"

struct seen {
	unsigned n, pass_over, frac_drop, total_changed, eta_lost, eta_off, phase_verify, verify_pass_bad;
	double last_frac;
	uint64_t total, last_done;
	double eta_at_pass2;	/* the first eta seen in pass 2 */
	unsigned passes;
	int any_bytes;
};

static void on_progress(void *ctx, const struct sanitize_progress *p)
{
	struct seen *s = ctx;
	double left;

	s->n++;
	s->passes = p->passes;
	if (p->pass > p->passes || p->pass == 0)
		s->pass_over++;
	if (s->n == 1)
		s->total = p->overall_total;
	else if (p->overall_total != s->total)
		s->total_changed++;
	if (p->overall_fraction < s->last_frac || p->overall_done < s->last_done)
		s->frac_drop++;
	s->last_frac = p->overall_fraction;
	s->last_done = p->overall_done;
	if (p->state == WIPE_VERIFYING) {
		s->phase_verify++;
		if (strcmp(p->phase, "verify") || p->pass != p->passes)
			s->verify_pass_bad++;
	}
	if (p->pass == 2 && p->state == WIPE_RUNNING && s->eta_at_pass2 == 0)
		s->eta_at_pass2 = p->eta;
	if (p->overall_done > 0)
		s->any_bytes = 1;
	if (s->any_bytes && p->overall_done < p->overall_total && !(p->eta > 0))
		s->eta_lost++;
	/* the eta is what is left of the whole job at the job's rate */
	left = (double)(p->overall_total - p->overall_done);
	if (p->eta > 0 && p->rate > 0 && fabs(p->eta - left / p->rate) > 0.01 * p->eta + 1e-6)
		s->eta_off++;
}

int main(void)
{
	const char *dev = getenv("SZ_TEST_LOOP");
	char img[] = "/tmp/sz-progress-XXXXXX", why[256];
	const struct sanitize_result *r;
	struct sanitize_params p;
	struct sanitize_job *j;
	struct seen s;
	uint64_t size = 8u << 20;
	int fd = -1, rc;

	if (!dev || strncmp(dev, "/dev/loop", 9)) {
		fd = mkstemp(img);
		CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "an 8 MiB image file (no SZ_TEST_LOOP)");
		dev = img;
	}
	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	snprintf(p.device, sizeof(p.device), "%s", dev);
	snprintf(p.method, sizeof(p.method), "dod-3pass");
	p.verify = VERIFY_FULL;
	p.allow_regular_file = fd >= 0;
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "a dod-3pass job with full verification on %s", dev);
	rc = sanitize_job_run(j, on_progress, &s);
	r = sanitize_job_result(j);
	size = r->size;
	CHECK_EQ_INT(rc, 0, "  it completes");
	CHECK(s.n > 10, "  progress was reported %u times", s.n);
	CHECK_EQ_INT(s.passes, 3, "  passes is 3");
	CHECK_EQ_INT(s.pass_over, 0, "  pass never exceeds passes (no 'pass 4 of 3' while verifying)");
	CHECK(s.phase_verify > 0 && s.verify_pass_bad == 0,
	      "  the verification is its own phase ('verify', pass 3 of 3, state verifying; %u reports)", s.phase_verify);
	CHECK_EQ_INT(s.total, 4 * size, "  overall_total is three passes plus the full read-back");
	CHECK_EQ_INT(s.total_changed, 0, "  and it never changes during the job");
	CHECK_EQ_INT(s.frac_drop, 0, "  the overall fraction and bytes only rise");
	CHECK(fabs(s.last_frac - 1.0) < 1e-9 && s.last_done == s.total, "  and end at 1 (%f)", s.last_frac);
	CHECK_EQ_INT(s.eta_lost, 0, "  once bytes moved the eta is always known until the end (no reset at a pass)");
	CHECK(s.eta_at_pass2 > 0, "  at the start of pass 2 the eta is already known (%f s)", s.eta_at_pass2);
	CHECK_EQ_INT(s.eta_off, 0, "  the eta is what is left of the whole job over the job's rate");
	CHECK_EQ_INT(sanitize_result_passed(r, why, sizeof(why)), 1, "  it counts as a pass (%s)", why);
	/* item 2: health before and after; a loop device or a file has none, and says so without failing */
	CHECK(!r->health_before.available && !r->health_after.available && r->health_before.why[0] &&
	      (fd >= 0 || strstr(r->health_after.why, "loop device")),
	      "health: not available before and after (%s), and the job still passed", r->health_after.why);
	{
		json_t *o = sanitize_result_to_json(r), *h = json_object_get(o, "health");

		CHECK(h && json_is_false(json_object_get(json_object_get(h, "before"), "available")) &&
		      json_is_false(json_object_get(json_object_get(h, "after"), "available")),
		      "  the JSON has health.before and health.after");
		json_decref(o);
	}
	{
		/* item 4: the default profile, one sample a second */
		uint64_t w = 0, rd = 0;

		for (unsigned i = 0; i < r->speed.n; i++)
			w += r->speed.written[i], rd += r->speed.read[i];
		CHECK(r->speed.interval == 1.0 && r->speed.n >= 1 && r->speed.n <= (unsigned)r->seconds + 2,
		      "speed: one sample a second by default (%u samples over %.2f s)", r->speed.n, r->seconds);
		CHECK(w == r->bytes_written && w == 3 * size, "  the written samples add up to the bytes written (%llu)",
		      (unsigned long long)w);
		CHECK(rd == r->verify.bytes && rd == size, "  the read samples to the bytes read back (%llu)",
		      (unsigned long long)rd);
	}
	sanitize_job_free(j);

	/*
	 * item 4: many samples, bounded.  A sample every 50 us: a job longer
	 * than 0.03 s fills the profile and merges it (a 32 MiB loop device
	 * takes over 0.1 s), and what it holds still adds up.
	 */
	memset(&p, 0, sizeof(p));
	snprintf(p.device, sizeof(p.device), "%s", dev);
	snprintf(p.method, sizeof(p.method), "dod-3pass");
	p.verify = VERIFY_FULL;
	p.allow_regular_file = fd >= 0;
	p.speed_interval = 0.00005;
	CHECK_EQ_INT(sanitize_job_new(&p, &j), 0, "speed: the same job, a sample every 50 us");
	CHECK_EQ_INT(sanitize_job_run(j, NULL, NULL), 0, "  it completes");
	r = sanitize_job_result(j);
	{
		uint64_t w = 0, rd = 0;
		unsigned nonzero = 0;
		json_t *o = sanitize_result_to_json(r), *sp = json_object_get(o, "speed");

		for (unsigned i = 0; i < r->speed.n; i++) {
			w += r->speed.written[i], rd += r->speed.read[i];
			nonzero += r->speed.written[i] || r->speed.read[i];
		}
		CHECK(r->speed.n > 10 && r->speed.n <= WIPE_SPEED_SAMPLES, "  %u samples, at most %u", r->speed.n,
		      WIPE_SPEED_SAMPLES);
		CHECK(nonzero > 5, "  several of them carry bytes (%u)", nonzero);
		CHECK(r->seconds < 0.1 || r->speed.interval > 0.00005,
		      "  a job longer than the profile merged pairs (interval now %.4f s over %.3f s)", r->speed.interval,
		      r->seconds);
		CHECK(r->speed.n * r->speed.interval >= r->seconds * 0.5 && (r->speed.n - 1) * r->speed.interval <= r->seconds,
		      "  and the samples span the job's time");
		CHECK(w == r->bytes_written && rd == r->verify.bytes, "  they still add up to the bytes written and read");
		CHECK(sp && json_array_size(json_object_get(sp, "written_bytes")) == r->speed.n &&
		      json_array_size(json_object_get(sp, "read_bytes")) == r->speed.n &&
		      json_real_value(json_object_get(sp, "interval_s")) == r->speed.interval,
		      "  the JSON has them (speed.interval_s, written_bytes, read_bytes)");
		json_decref(o);
	}
	sanitize_job_free(j);
	if (fd >= 0) {
		close(fd);
		unlink(img);
	}
	return tap_done();
}
