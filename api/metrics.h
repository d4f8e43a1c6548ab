/*
 * metrics — what GET /metrics serves (Prometheus text format 0.0.4): the
 * request counters and duration histogram (lock-free atomics, the one cost
 * on the hot path), the job and refusal counts of this run, counters derived
 * from the ledger (so they survive a restart), the ledger's size and
 * checkpoint age, and the process metrics of /proc/self.
 */
#ifndef SZ_METRICS_H
#define SZ_METRICS_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct api;
struct resp;

/* Route classes: the histogram's label, fixed, derived from the route table. */
enum { RCLASS_PUBLIC, RCLASS_READ, RCLASS_WRITE, RCLASS_STREAM, RCLASS_UNMATCHED, RCLASS_N };
#define METRICS_BUCKETS 14	/* upper bounds in metrics.c; one more counts the rest (+Inf) */
#define METRICS_LABELS 32	/* distinct label values kept per family; more count as "other" */

struct mcount {
	char label[32];
	char label2[16];
	unsigned long long n, written, verified;
};

struct api_metrics {
	atomic_ullong by_status[600];
	atomic_ullong bytes_written;	/* by the engine in this run's jobs, passed or not (api/jobs.c) */
	atomic_ullong hist[RCLASS_N][METRICS_BUCKETS + 1];
	atomic_ullong hist_sum_ns[RCLASS_N];

	/* the rest changes rarely: under lock */
	pthread_mutex_t lock;
	double start_time;		/* process_start_time_seconds */
	int stat_fd, fd_dir;		/* /proc/self/stat and /proc/self/fd, opened by metrics_start */
	int file_fd[2];			/* API_HTTP: ledger.db and its -wal, O_PATH */
	uint64_t base;			/* ledger size at start: what came after is this run's */
	uint64_t next;			/* entries before next are counted */
	unsigned long long certs;
	struct mcount started[METRICS_LABELS];	/* sanitize_started by method */
	struct mcount ended[METRICS_LABELS];	/* wipe ends by method and result, with their bytes */
	struct mcount failures[METRICS_LABELS];	/* sanitize_failed by reason */
	struct mcount refusals[METRICS_LABELS];	/* interlock refusals of this run, by reason */
	struct mcount authfail[METRICS_LABELS];	/* 401 and 403 by why */
	unsigned nstarted, nended, nfailures, nrefusals, nauthfail;
};

/*
 * Count what the ledger holds (certificates, wipes and their bytes): one
 * query over the entries, at start; later scrapes add the entries appended
 * since.  Needs the read connections.  0 or -errno.
 */
int metrics_start(struct api *a);
/* The class of a route (its method, its roles, whether it is the event stream). */
int metrics_route_class(const char *method, unsigned roles, int stream);
/* One answered request: its status and its duration in the histogram.  Lock-free; cannot fail. */
void metrics_request(struct api *a, int rclass, unsigned status, double seconds);
/* A refused authentication (why: "missing", "malformed", "rejected", "forbidden").  Cannot fail. */
void metrics_auth_failure(struct api *a, const char *why);
/*
 * jobs_create answered out for asset and device: a 202 is a started job,
 * logged; a 409 with error.reason is an interlock refusal, counted by reason
 * and logged with its message.  Cannot fail.
 */
void api_job_answered(struct api *a, const char *asset, const char *device, const struct resp *out);

#endif
