/*
 * api/metrics.c: the route classes and the histogram's buckets.  Prometheus
 * buckets are "less than or equal": a duration equal to a bound counts in
 * that bucket; one past the last bound only in +Inf.
 */
#include <stdlib.h>

#include "api/api.h"
#include "api/metrics.h"
#include "tests/unit/tap.h"

static unsigned long long bucket(struct api *a, int c, int b)
{
	return atomic_load(&a->m.hist[c][b]);
}

int main(void)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return 1;
	CHECK_EQ_INT(metrics_route_class("GET", ROLE_ANYONE, 0), RCLASS_PUBLIC, "a route open to anyone is public");
	CHECK_EQ_INT(metrics_route_class("POST", ROLE_ANYONE, 0), RCLASS_PUBLIC, "POST /v1/verify is public too");
	CHECK_EQ_INT(metrics_route_class("GET", ROLE_TECH, 0), RCLASS_READ, "an authenticated GET is read");
	CHECK_EQ_INT(metrics_route_class("POST", ROLE_TECH, 0), RCLASS_WRITE, "an authenticated POST is write");
	CHECK_EQ_INT(metrics_route_class("DELETE", ROLE_ADMIN, 0), RCLASS_WRITE, "DELETE is write");
	CHECK_EQ_INT(metrics_route_class("GET", ROLE_TECH | ROLE_AUDITOR, 1), RCLASS_STREAM, "the event stream");

	metrics_request(a, RCLASS_READ, 200, 0.0005);	/* exactly the first bound */
	metrics_request(a, RCLASS_READ, 200, 0.00051);
	metrics_request(a, RCLASS_READ, 404, 10.0);	/* exactly the last bound */
	metrics_request(a, RCLASS_READ, 200, 11.0);
	metrics_request(a, RCLASS_WRITE, 201, -1.0);	/* a clock step: counted as 0 */
	metrics_request(a, 99, 700, 0.001);		/* out of range: unmatched, no status */
	CHECK_EQ_INT(bucket(a, RCLASS_READ, 0), 1, "0.5 ms is in le=0.0005");
	CHECK_EQ_INT(bucket(a, RCLASS_READ, 1), 1, "0.51 ms is in le=0.001");
	CHECK_EQ_INT(bucket(a, RCLASS_READ, METRICS_BUCKETS - 1), 1, "10 s is in le=10");
	CHECK_EQ_INT(bucket(a, RCLASS_READ, METRICS_BUCKETS), 1, "11 s only in +Inf");
	CHECK_EQ_INT(bucket(a, RCLASS_WRITE, 0), 1, "a negative duration is the first bucket");
	CHECK_EQ_INT(bucket(a, RCLASS_UNMATCHED, 1), 1, "an unknown class counts as unmatched");
	CHECK_EQ_INT(atomic_load(&a->m.by_status[200]), 3, "by status: 200");
	CHECK_EQ_INT(atomic_load(&a->m.by_status[404]), 1, "by status: 404");
	CHECK(atomic_load(&a->m.hist_sum_ns[RCLASS_READ]) == 500000ULL + 510000ULL + 10000000000ULL + 11000000000ULL,
	      "the sum in nanoseconds");
	free(a);
	return tap_done();
}
