/*
 * bench/ledger — the ledger's speed, against this machine's raw fdatasync
 * rate measured in the same run (issue 2's benchmark; not a timed test).
 *
 *   build/bench/ledger [--entries N] [--durable N] [--dir D]
 *   build/bench/ledger --burst N --dir D    (append forever-ish; for the kill -9 test)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/merkle.h"
#include "sanitizerd/cmd.h"
#include "core/state.h"
#include "util/xio.h"

static const char *const cycle[] = { "enrolled", "deployed", "removed", "retired", "note" };

/* The i-th entry of a plausible history: assets enrolled, deployed, pulled, retired. */
static int append_nth(struct ledger *l, uint64_t i)
{
	char subject[32], serial[32];
	uint64_t asset = i / 5;
	const char *type = cycle[i % 5];
	json_t *d;
	int rc;

	snprintf(subject, sizeof(subject), "asset:b%llu", (unsigned long long)asset);
	if (i % 5 == 0) {
		snprintf(serial, sizeof(serial), "WD-%012llu", (unsigned long long)asset);
		d = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "serial", serial, "model", "WDC WD40EFRX-68N32N0",
			      "media_type", "hdd", "capacity_bytes", (json_int_t)4000787030016LL, "tenant", "acme",
			      "property_number", "PN-4431");
	} else if (i % 5 == 1) {
		d = json_pack("{s:s, s:i, s:s}", "host", "web-17.rack4", "slot", 3, "site", "fra1");
	} else {
		d = json_pack("{s:s}", "reason", "capacity upgrade");
	}
	rc = ledger_append(l, subject, type, "token:bench", d, NULL, NULL, NULL);
	json_decref(d);
	return rc;
}

static double rate_fdatasync(const char *dir, int n)
{
	char path[4096], buf[4096];
	double t0, t;
	int fd;

	snprintf(path, sizeof(path), "%s/fsync.probe", dir);
	if (xopen(path, O_WRONLY | O_CREAT | O_TRUNC, 0600, &fd) < 0)
		return 0;
	memset(buf, 'x', sizeof(buf));
	t0 = xmono();
	for (int i = 0; i < n; i++) {
		/* what a WAL commit does: append a page, make it durable */
		if (xwrite_full(fd, buf, sizeof(buf)) < 0 || xfdatasync(fd) < 0)
			break;
	}
	t = xmono() - t0;
	xclose(fd);
	unlink(path);
	return n / t;
}

static long long file_size(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static int burst(const char *dir, uint64_t n)
{
	struct state *st = NULL;
	char err[512];
	uint64_t size;

	if (state_open(dir, STATE_KEY, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	ledger_size(st->ledger, &size);
	/* assets of this run never collide with an earlier run's: it had fewer than size entries */
	uint64_t base = 5 * (1000000000ULL + size * 1000);
	for (uint64_t i = 0; i < n; i += 50) {
		if (ledger_begin(st->ledger) < 0)
			return 1;
		for (uint64_t j = 0; j < 50; j++)
			if (append_nth(st->ledger, base + i + j) < 0) {
				fprintf(stderr, "bench: %s\n", ledger_errmsg(st->ledger));
				return 1;
			}
		if (ledger_commit(st->ledger) < 0)
			return 1;
		if (i % 1000 == 0) {
			printf("%llu\n", (unsigned long long)(size + i + 50));
			fflush(stdout);
		}
	}
	state_free(st);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "entries", required_argument, NULL, 'n' },
		{ "durable", required_argument, NULL, 'u' },
		{ "dir", required_argument, NULL, 'd' },
		{ "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n = 1000000, durable = 2000, bursts = 0, size;
	const char *dir = "/var/tmp/sz-bench-ledger";
	struct state *st = NULL;
	struct ledger_verify_report rep;
	uint8_t root[32], hashes[MERKLE_MAX_PROOF][32];
	char err[512];
	double t0, t_batch, t_dur, raw, t_root, t_incl, t_cons, t_verify;
	size_t np;
	int c, created, q = 2000;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': xparse_u64(optarg, &n); break;
		case 'u': xparse_u64(optarg, &durable); break;
		case 'd': dir = optarg; break;
		case 'b': xparse_u64(optarg, &bursts); break;
		default: return 2;
		}
	}
	if (crypto_init() < 0)
		return 1;
	if (bursts)
		return burst(dir, bursts);
	if (state_init(dir, "bench.example/ledger", &created, err, sizeof(err)) < 0 || !created) {
		fprintf(stderr, "bench: %s (give a --dir that does not exist yet)\n", created ? err : dir);
		return 1;
	}
	if (state_open(dir, STATE_KEY, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	/* the daemon's policy: a checkpoint every 1000 entries or every second */
	ledger_set_signer(st->ledger, st->key, st->origin, 1000, 1000);
	/* 1. batched: group commit of 1000, one fsync and one checkpoint per batch */
	t0 = xmono();
	for (uint64_t i = 0; i < n; i += 1000) {
		ledger_begin(st->ledger);
		for (uint64_t j = i; j < i + 1000 && j < n; j++)
			if (append_nth(st->ledger, j) < 0) {
				fprintf(stderr, "bench: %s\n", ledger_errmsg(st->ledger));
				return 1;
			}
		if (ledger_commit(st->ledger) < 0) {
			fprintf(stderr, "bench: %s\n", ledger_errmsg(st->ledger));
			return 1;
		}
	}
	t_batch = xmono() - t0;
	ledger_size(st->ledger, &size);

	/* 2. durable one by one (fsync + signed checkpoint each) against raw fdatasync */
	raw = rate_fdatasync(dir, (int)durable);
	t0 = xmono();
	for (uint64_t j = 0; j < durable; j++)
		if (append_nth(st->ledger, 5000000000ULL + j) < 0) {
			fprintf(stderr, "bench: %s\n", ledger_errmsg(st->ledger));
			return 1;
		}
	t_dur = xmono() - t0;
	ledger_size(st->ledger, &size);

	/* 3. proofs at full size, random arguments */
	srand(42);
	t0 = xmono();
	for (int i = 0; i < q; i++)
		ledger_root(st->ledger, size - (uint64_t)rand() % 1000, root);
	t_root = (xmono() - t0) / q;
	t0 = xmono();
	for (int i = 0; i < q; i++)
		ledger_prove_inclusion(st->ledger, ((uint64_t)rand() * 7919) % size, size, hashes, &np);
	t_incl = (xmono() - t0) / q;
	t0 = xmono();
	for (int i = 0; i < q; i++)
		ledger_prove_consistency(st->ledger, 1 + ((uint64_t)rand() * 7919) % (size - 1), size, hashes, &np);
	t_cons = (xmono() - t0) / q;

	/* 4. verify everything */
	t0 = xmono();
	if (ledger_verify(st->ledger, NULL, &rep) < 0) {
		fprintf(stderr, "bench: verify failed: %s\n", rep.message);
		return 1;
	}
	t_verify = xmono() - t0;
	state_free(st);

	printf("| ledger benchmark (%llu entries) | result | target |\n|---|---|---|\n", (unsigned long long)size);
	printf("| batched appends (1000/commit) | %.0f/s | >= 50,000/s |\n", (double)n / t_batch);
	printf("| durable single appends (fsync each; checkpoint each 1000 or 1 s) | %.0f/s | |\n", durable / t_dur);
	printf("| raw 4 KiB write+fdatasync, same dir | %.0f/s | |\n", raw);
	printf("| durable / raw fdatasync | %.2fx | >= 0.8x |\n", durable / t_dur / raw);
	printf("| root at ~%lluM | %.1f us | < 1 ms |\n", (unsigned long long)size / 1000000, t_root * 1e6);
	printf("| inclusion proof | %.1f us | < 1 ms |\n", t_incl * 1e6);
	printf("| consistency proof | %.1f us | < 1 ms |\n", t_cons * 1e6);
	printf("| ledger verify, all entries | %.1f s | < 30 s |\n", t_verify);
	printf("| bytes per entry on disk | %.0f | |\n",
	       (double)(file_size(dir, "ledger.db") + file_size(dir, "ledger.db-wal")) / (double)size);
	return 0;
}
