#include "drivers/verify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *verify_mode_name(enum verify_mode m)
{
	switch (m) {
	case VERIFY_NONE: return "none";
	case VERIFY_FULL: return "full";
	case VERIFY_SAMPLE: return "sample";
	}
	return "unknown";
}

int verify_mode_parse(const char *s, enum verify_mode *m)
{
	if (!strcmp(s, "full"))
		*m = VERIFY_FULL;
	else if (!strcmp(s, "sample"))
		*m = VERIFY_SAMPLE;
	else
		return -EINVAL;
	return 0;
}

/* splitmix64: positions only need to be unguessable by the drive, not secret */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int cmp_range(const void *a, const void *b)
{
	const struct ioq_range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

int verify_plan_new(enum verify_mode m, uint64_t size, uint32_t lbs, uint64_t seed,
		    struct verify_plan **out)
{
	struct verify_plan *p;
	uint64_t region, nreg, edge, i, s = seed;
	size_t k = 0, j;

	if (lbs == 0 || (lbs & (lbs - 1)) || size == 0 || size % lbs || m == VERIFY_NONE)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->seed = seed;
	if (m == VERIFY_FULL) {
		p->r = calloc(1, sizeof(*p->r));
		if (!p->r)
			goto nomem;
		p->r[0].off = 0;
		p->r[0].len = size;
		p->n = 1;
		p->bytes = size;
		*out = p;
		return 0;
	}
	/* regions: at least 8 MiB, at most VERIFY_MAX_REGIONS of them, lbs-aligned */
	region = (size + VERIFY_MAX_REGIONS - 1) / VERIFY_MAX_REGIONS;
	if (region < VERIFY_MIN_REGION)
		region = VERIFY_MIN_REGION;
	region = (region + lbs - 1) / lbs * lbs;
	nreg = (size + region - 1) / region;
	p->r = calloc(nreg + 2, sizeof(*p->r));
	if (!p->r)
		goto nomem;
	edge = size < VERIFY_EDGE ? size : VERIFY_EDGE;
	edge = edge / lbs * lbs;
	p->r[k++] = (struct ioq_range){ 0, edge };
	p->r[k++] = (struct ioq_range){ size - edge, edge };
	for (i = 0; i < nreg; i++) {
		uint64_t a = i * region, len = size - a < region ? size - a : region;
		/* ceil(10%), rounded up to whole blocks: never less than a tenth */
		uint64_t chunk = ((len + 9) / 10 + lbs - 1) / lbs * lbs;
		uint64_t slots;

		if (chunk > len)
			chunk = len;
		slots = (len - chunk) / lbs + 1;
		p->r[k].off = a + next_rand(&s) % slots * lbs;
		p->r[k].len = chunk;
		k++;
	}
	qsort(p->r, k, sizeof(*p->r), cmp_range);
	/* merge overlaps so no byte is read (or counted) twice */
	for (i = 1, j = 0; i < k; i++) {
		struct ioq_range *last = &p->r[j];
		if (p->r[i].off <= last->off + last->len) {
			uint64_t end = p->r[i].off + p->r[i].len;
			if (end > last->off + last->len)
				last->len = end - last->off;
		} else {
			p->r[++j] = p->r[i];
		}
	}
	p->n = j + 1;
	for (j = 0; j < p->n; j++)
		p->bytes += p->r[j].len;
	*out = p;
	return 0;
nomem:
	verify_plan_free(p);
	return -ENOMEM;
}

void verify_plan_free(struct verify_plan *p)
{
	if (!p)
		return;
	free(p->r);
	free(p);
}

struct vctx {
	struct pattern *p;
	void *scratch;
	int (*tick)(void *ctx, uint64_t done);
	void *ctx;
};

static int check(void *c, const void *buf, uint64_t off, size_t len, uint64_t *bad)
{
	struct vctx *v = c;

	return pattern_check(v->p, buf, off, len, v->scratch, bad);
}

static int tick(void *c, uint64_t done)
{
	struct vctx *v = c;

	return v->tick ? v->tick(v->ctx, done) : 0;
}

int verify_run(struct ioq *q, struct pattern *p, const struct verify_plan *plan,
	       int (*tickfn)(void *ctx, uint64_t done), void *ctx, struct ioq_status *st)
{
	struct vctx v = { p, ioq_scratch(q), tickfn, ctx };
	struct ioq_ops ops = { .check = check, .tick = tick, .ctx = &v };

	return ioq_run(q, 0, plan->r, plan->n, &ops, st);
}
