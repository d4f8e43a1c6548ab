/*
 * verify — read the media back and compare it with the pattern of the last
 * pass (NIST SP 800-88r1 4.7.1: full verification, or a representative
 * sample).  SPEC section 8: "full" reads every byte; "sample" reads at least
 * 10% of the device in pseudo-random ranges, one in every region of the
 * device, plus the first and the last 1 MiB.  The first mismatch fails with
 * its offset.
 */
#ifndef SZ_VERIFY_H
#define SZ_VERIFY_H
#include <stddef.h>
#include <stdint.h>

#include "drivers/ioq.h"
#include "drivers/pattern.h"

enum verify_mode { VERIFY_NONE, VERIFY_FULL, VERIFY_SAMPLE };

/* At most this many sampled regions, so a plan stays small on any disk (1 MiB). */
#define VERIFY_MAX_REGIONS 65536
/* Regions are at least this big; each gets one range of >= 10% of it. */
#define VERIFY_MIN_REGION (8u << 20)
#define VERIFY_EDGE (1u << 20)

/* "none", "full", "sample". */
const char *verify_mode_name(enum verify_mode m);
/* "full" or "sample" into *m: 0, or -EINVAL for anything else. */
int verify_mode_parse(const char *s, enum verify_mode *m);

/* Sorted, non-overlapping, block-aligned ranges to read, and their total. */
struct verify_plan {
	struct ioq_range *r;
	size_t n;
	uint64_t bytes;
	uint64_t seed;
};

/*
 * The ranges for mode over a device of size bytes with logical block size
 * lbs (size a multiple of lbs).  seed picks the sample's positions (the
 * caller draws it at random and records it).  Caller frees with
 * verify_plan_free.  0, -EINVAL or -ENOMEM.
 */
int verify_plan_new(enum verify_mode m, uint64_t size, uint32_t lbs, uint64_t seed,
		    struct verify_plan **out);
/* verify_plan_free(NULL) is a no-op. */
void verify_plan_free(struct verify_plan *p);

/*
 * Read the plan's ranges through q and compare with p.  tick (may be NULL)
 * is called with the bytes checked so far and may stop the run.  Returns 0
 * if every byte matched, -EILSEQ with st->fail_off at the first wrong byte,
 * -ECANCELED, or -errno of a read error with st->fail_off.
 */
int verify_run(struct ioq *q, struct pattern *p, const struct verify_plan *plan,
	       int (*tick)(void *ctx, uint64_t done), void *ctx, struct ioq_status *st);

#endif
