/* verify: the sample plan covers >= 10%, every region, both ends; bad input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "drivers/verify.h"
#include "tests/unit/tap.h"

/* 1 if the plan is sorted, disjoint, aligned and inside the device. */
static int well_formed(const struct verify_plan *p, uint64_t size, uint32_t lbs)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->r[i].off % lbs || p->r[i].len % lbs || p->r[i].len == 0 || p->r[i].off + p->r[i].len > size)
			return 0;
		if (i && p->r[i].off <= p->r[i - 1].off + p->r[i - 1].len)
			return 0;
		sum += p->r[i].len;
	}
	return sum == p->bytes;
}

static int covers(const struct verify_plan *p, uint64_t off, uint64_t len)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->r[i].off <= off && off + len <= p->r[i].off + p->r[i].len)
			return 1;
	return 0;
}

/* every region of `region` bytes holds at least 10% of itself (ranges are sorted) */
static int every_region(const struct verify_plan *p, uint64_t size, uint64_t region)
{
	uint64_t a;
	size_t i = 0;

	for (a = 0; a < size; a += region) {
		uint64_t end = a + region < size ? a + region : size, got = 0;
		size_t k;

		while (i < p->n && p->r[i].off + p->r[i].len <= a)
			i++;
		for (k = i; k < p->n && p->r[k].off < end; k++) {
			uint64_t s = p->r[k].off > a ? p->r[k].off : a;
			uint64_t e = p->r[k].off + p->r[k].len < end ? p->r[k].off + p->r[k].len : end;
			got += e - s;
		}
		if (got * 10 < end - a)
			return 0;
	}
	return 1;
}

int main(void)
{
	static const struct { uint64_t size; uint32_t lbs; } cases[] = {
		{ 64ull << 20, 512 }, { (64ull << 20) + 3 * 512, 512 }, { 1ull << 30, 4096 },
		{ 300ull << 20, 4096 }, { 4096 * 3, 4096 }, { 512, 512 }, { 2000ull << 30, 4096 },
	};
	struct verify_plan *p = NULL, *q = NULL;
	size_t i;
	int same;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t size = cases[i].size, edge = size < VERIFY_EDGE ? size : VERIFY_EDGE;
		uint64_t region = size / VERIFY_MAX_REGIONS > VERIFY_MIN_REGION ? (size + VERIFY_MAX_REGIONS - 1) / VERIFY_MAX_REGIONS : VERIFY_MIN_REGION;
		region = (region + cases[i].lbs - 1) / cases[i].lbs * cases[i].lbs;
		CHECK_EQ_INT(verify_plan_new(VERIFY_SAMPLE, size, cases[i].lbs, 42 + i, &p), 0,
			     "sample plan for %llu bytes, lbs %u", (unsigned long long)size, cases[i].lbs);
		CHECK(well_formed(p, size, cases[i].lbs), "  sorted, disjoint, aligned, inside");
		CHECK(p->bytes * 10 >= size, "  at least 10%% (%llu of %llu)", (unsigned long long)p->bytes,
		      (unsigned long long)size);
		CHECK(covers(p, 0, edge) && covers(p, size - edge, edge), "  first and last MiB");
		CHECK(every_region(p, size, region), "  every region sampled");
		CHECK(p->n <= VERIFY_MAX_REGIONS + 2, "  plan size capped");
		verify_plan_free(p);
		p = NULL;
	}
	/* the seed decides the positions; it is recorded so an auditor can replay them */
	verify_plan_new(VERIFY_SAMPLE, 1ull << 30, 512, 7, &p);
	verify_plan_new(VERIFY_SAMPLE, 1ull << 30, 512, 7, &q);
	same = p->n == q->n;
	for (i = 0; same && i < p->n; i++)
		same = p->r[i].off == q->r[i].off && p->r[i].len == q->r[i].len;
	CHECK(same, "same seed, same plan");
	verify_plan_free(q);
	verify_plan_new(VERIFY_SAMPLE, 1ull << 30, 512, 8, &q);
	same = p->n == q->n;
	for (i = 0; same && i < p->n; i++)
		same = p->r[i].off == q->r[i].off;
	CHECK(!same, "another seed moves the sample");
	verify_plan_free(p);
	verify_plan_free(q);
	p = q = NULL;

	CHECK_EQ_INT(verify_plan_new(VERIFY_FULL, 5 << 20, 512, 0, &p), 0, "full plan");
	CHECK(p->n == 1 && p->r[0].off == 0 && p->r[0].len == 5 << 20 && p->bytes == 5 << 20, "full reads everything");
	verify_plan_free(p);

	CHECK_EQ_INT(verify_plan_new(VERIFY_SAMPLE, 1 << 20, 0, 0, &p), -EINVAL, "lbs 0 refused");
	CHECK_EQ_INT(verify_plan_new(VERIFY_SAMPLE, 1 << 20, 768, 0, &p), -EINVAL, "lbs not a power of two refused");
	CHECK_EQ_INT(verify_plan_new(VERIFY_SAMPLE, (1 << 20) + 100, 512, 0, &p), -EINVAL, "size not a block multiple refused");
	CHECK_EQ_INT(verify_plan_new(VERIFY_SAMPLE, 0, 512, 0, &p), -EINVAL, "empty device refused");
	CHECK_EQ_INT(verify_plan_new(VERIFY_NONE, 1 << 20, 512, 0, &p), -EINVAL, "mode none has no plan");
	enum verify_mode m;
	CHECK_EQ_INT(verify_mode_parse("sample", &m), 0, "parse sample");
	CHECK_EQ_INT(m, VERIFY_SAMPLE, "  is sample");
	CHECK_EQ_INT(verify_mode_parse("Full", &m), -EINVAL, "parse is exact");
	CHECK_EQ_INT(verify_mode_parse("", &m), -EINVAL, "empty mode refused");
	verify_plan_free(NULL);
	return tap_done();
}
