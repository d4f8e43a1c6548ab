/*
 * test_merkle — the tree against answers it did not produce: the RFC 6962
 * recursive definitions written out naively here (MTH, PATH, SUBPROOF of
 * section 2.1), the Certificate Transparency test vectors, and corrupted
 * twins of every proof.  Then the cost: reads per root and per proof must
 * stay O(log n) at a million leaves and at 2^63.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "audit/b64.h"
#include "audit/merkle.h"
#include "tests/unit/tap.h"

typedef uint8_t hash_t[32];
#define CP(p) ((const uint8_t (*)[32])(p))

/* ---- the reference: RFC 6962 2.1, straight from the text, own hashing ---- */

static void t_sha(const void *a, size_t alen, const void *b, size_t blen, const void *c, size_t clen,
		  uint8_t out[32])
{
	uint8_t buf[128] = { 0 };

	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	memcpy(buf + alen + blen, c, clen);
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, buf, alen + blen + clen);
}

static void t_leaf(const void *d, size_t n, uint8_t out[32])
{
	t_sha("\x00", 1, d, n, "", 0, out);
}

static void t_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	t_sha("\x01", 1, l, 32, r, 32, out);
}

/* k: the largest power of two smaller than n */
static size_t t_k(size_t n)
{
	size_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void mth(const hash_t *d, size_t n, uint8_t out[32])
{
	uint8_t l[32], r[32];
	size_t k;

	if (n == 0) {
		t_sha("", 0, "", 0, "", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], 32);
		return;
	}
	k = t_k(n);
	mth(d, k, l);
	mth(d + k, n - k, r);
	t_node(l, r, out);
}

static void path(size_t m, const hash_t *d, size_t n, hash_t *out, size_t *cnt)
{
	size_t k;

	if (n <= 1)
		return;
	k = t_k(n);
	if (m < k) {
		path(m, d, k, out, cnt);
		mth(d + k, n - k, out[(*cnt)++]);
	} else {
		path(m - k, d + k, n - k, out, cnt);
		mth(d, k, out[(*cnt)++]);
	}
}

static void subproof(size_t m, const hash_t *d, size_t n, int b, hash_t *out, size_t *cnt)
{
	size_t k;

	if (m == n) {
		if (!b)
			mth(d, n, out[(*cnt)++]);
		return;
	}
	k = t_k(n);
	if (m <= k) {
		subproof(m, d, k, b, out, cnt);
		mth(d + k, n - k, out[(*cnt)++]);
	} else {
		subproof(m - k, d + k, n - k, 0, out, cnt);
		mth(d, k, out[(*cnt)++]);
	}
}

/* ---- storage: an in-memory node table, with the reads counted ---- */

struct store {
	hash_t *lv[64];
	uint8_t *have[64];
	uint64_t cap[64];
	uint64_t limit;		/* gets refuse nodes not complete at this size */
	long gets, puts, dups, fail_at;	/* fail_at > 0: that call fails with -EIO */
};

static int store_init(struct store *s, uint64_t n)
{
	unsigned l;

	memset(s, 0, sizeof(*s));
	for (l = 0; l < 64 && (n >> l); l++) {
		s->cap[l] = n >> l;
		s->lv[l] = calloc(s->cap[l], sizeof(hash_t));
		s->have[l] = calloc(s->cap[l], 1);
		if (!s->lv[l] || !s->have[l])
			return -ENOMEM;
	}
	s->limit = n;
	return 0;
}

static void store_free(struct store *s)
{
	unsigned l;

	for (l = 0; l < 64; l++) {
		free(s->lv[l]);
		free(s->have[l]);
	}
}

static int store_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct store *s = ctx;

	s->gets++;
	if (s->fail_at && s->gets == s->fail_at)
		return -EIO;
	if (level >= 64 || index >= (s->limit >> level) || index >= s->cap[level] ||
	    !s->have[level][index])
		return -ENOENT;
	memcpy(out, s->lv[level][index], 32);
	return 0;
}

static int store_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
	struct store *s = ctx;

	s->puts++;
	if (s->fail_at && s->puts == s->fail_at)
		return -EIO;
	if (level >= 64 || index >= s->cap[level])
		return -ERANGE;
	s->dups += s->have[level][index];
	s->have[level][index] = 1;
	memcpy(s->lv[level][index], h, 32);
	return 0;
}

static void unhex(const char *s, uint8_t *out, size_t n)
{
	if (hex_decode(s, strlen(s), out, n) != 0)
		memset(out, 0, n);
}

/* ---- published vectors ---- */

/* Certificate Transparency's RFC 6962 test data (merkle_tree_test.cc). */
static const char *ct_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *ct_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
static const struct { uint64_t a, b; size_t n; const char *h[3]; } ct_incl[] = {
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 0, 1, 0, { NULL } },
};
static const struct { uint64_t a, b; size_t n; const char *h[3]; } ct_cons[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static void test_vectors(void)
{
	struct merkle_frontier f = { 0 };
	struct store s;
	hash_t leaves[8], want, got, proof[MERKLE_MAX_PROOF], w[3];
	uint8_t data[16];
	size_t i, j, n;
	int bad_leaf = 0, bad_root = 0, rc;

	if (store_init(&s, 8)) {
		CHECK(0, "store");
		return;
	}
	merkle_sha256("", 0, got);
	unhex(ct_roots[0], want, 32);
	CHECK(memcmp(got, want, 32) == 0, "empty tree: SHA-256 of nothing (e3b0c442...)");
	merkle_frontier_root(&f, got);
	CHECK(memcmp(got, want, 32) == 0, "empty frontier root");
	memset(got, 0, 32);
	CHECK(merkle_root(store_get, &s, 0, got) == 0 && memcmp(got, want, 32) == 0, "empty merkle_root");

	for (i = 0; i < 8; i++) {
		size_t dl = strlen(ct_leaves[i]) / 2;

		unhex(ct_leaves[i], data, dl);
		merkle_leaf_hash(data, dl, leaves[i]);
		t_leaf(data, dl, got);
		bad_leaf += memcmp(got, leaves[i], 32) != 0;
		merkle_frontier_append(&f, leaves[i], store_put, &s);
		unhex(ct_roots[i + 1], want, 32);
		merkle_frontier_root(&f, got);
		bad_root += memcmp(got, want, 32) != 0;
		s.limit = i + 1;
		rc = merkle_root(store_get, &s, i + 1, got);
		bad_root += rc != 0 || memcmp(got, want, 32) != 0;
		mth(CP(leaves), i + 1, got);
		bad_root += memcmp(got, want, 32) != 0;
	}
	CHECK_EQ_INT(bad_leaf, 0, "leaf hash = SHA-256(0x00 || data)");
	CHECK_EQ_INT(bad_root, 0, "CT roots for sizes 1..8 (frontier, storage, reference)");

	for (i = 0; i < sizeof(ct_incl) / sizeof(ct_incl[0]); i++) {
		s.limit = ct_incl[i].b;
		n = 99;
		rc = merkle_prove_inclusion(store_get, &s, ct_incl[i].a, ct_incl[i].b, proof, &n);
		for (j = 0; j < ct_incl[i].n; j++)
			unhex(ct_incl[i].h[j], w[j], 32);
		CHECK(rc == 0 && n == ct_incl[i].n && memcmp(proof, w, n * 32) == 0,
		      "CT inclusion proof leaf %llu of %llu", (unsigned long long)ct_incl[i].a,
		      (unsigned long long)ct_incl[i].b);
		unhex(ct_roots[ct_incl[i].b], want, 32);
		CHECK_EQ_INT(merkle_verify_inclusion(leaves[ct_incl[i].a], ct_incl[i].a, ct_incl[i].b,
						     CP(w), ct_incl[i].n, want), 0,
			     "CT inclusion proof verifies");
	}
	for (i = 0; i < sizeof(ct_cons) / sizeof(ct_cons[0]); i++) {
		s.limit = ct_cons[i].b;
		n = 99;
		rc = merkle_prove_consistency(store_get, &s, ct_cons[i].a, ct_cons[i].b, proof, &n);
		for (j = 0; j < ct_cons[i].n; j++)
			unhex(ct_cons[i].h[j], w[j], 32);
		CHECK(rc == 0 && n == ct_cons[i].n && memcmp(proof, w, n * 32) == 0,
		      "CT consistency proof %llu -> %llu", (unsigned long long)ct_cons[i].a,
		      (unsigned long long)ct_cons[i].b);
		unhex(ct_roots[ct_cons[i].a], got, 32);
		unhex(ct_roots[ct_cons[i].b], want, 32);
		CHECK_EQ_INT(merkle_verify_consistency(ct_cons[i].a, ct_cons[i].b, CP(w), ct_cons[i].n,
						       got, want), 0, "CT consistency proof verifies");
	}
	store_free(&s);
}

/* ---- every size, index and pair against the reference, with corrupted twins ---- */

#define NMAX ((uint64_t)70)

struct tally {
	long bad;
	char first[160];
};

static void fail(struct tally *t, const char *what, uint64_t a, uint64_t b, int rc)
{
	if (!t->bad++)
		snprintf(t->first, sizeof(t->first), "first: %s at (%llu, %llu) rc %d", what,
			 (unsigned long long)a, (unsigned long long)b, rc);
}

static void report(const struct tally *t, const char *what)
{
	CHECK_EQ_INT(t->bad, 0, "%s", what);
	if (t->bad)
		printf("#   %s\n", t->first);
}

/* Each corrupted variant of a valid inclusion proof must be refused. */
static void incl_twins(struct tally *t, const uint8_t leaf[32], uint64_t i, uint64_t n,
		       hash_t *p, size_t cnt, const uint8_t root[32])
{
	static const uint8_t zero[32];
	hash_t q[MERKLE_MAX_PROOF + 1], empty, other;
	uint8_t wl[32];
	size_t j;

	merkle_sha256("", 0, empty);
	memset(other, 0x5a, 32);
	memcpy(wl, leaf, 32);
	wl[31] ^= 1;
#define REFUSE(expr, what) do { int rc_ = (expr); if (rc_ == 0) fail(t, what, i, n, rc_); } while (0)
	REFUSE(merkle_verify_inclusion(wl, i, n, CP(p), cnt, root), "wrong leaf");
	REFUSE(merkle_verify_inclusion(leaf, i - 1, n, CP(p), cnt, root), "index - 1");
	REFUSE(merkle_verify_inclusion(leaf, i + 1, n, CP(p), cnt, root), "index + 1");
	REFUSE(merkle_verify_inclusion(leaf, i ^ 2, n, CP(p), cnt, root), "index ^ 2");
	REFUSE(merkle_verify_inclusion(leaf, i, n * 2, CP(p), cnt, root), "size * 2");
	REFUSE(merkle_verify_inclusion(leaf, i, n / 2, CP(p), cnt, root), "size / 2");
	REFUSE(merkle_verify_inclusion(leaf, i, n, CP(p), cnt, empty), "empty root");
	REFUSE(merkle_verify_inclusion(leaf, i, n, CP(p), cnt, other), "other root");
	for (j = 0; j < cnt; j++) {
		memcpy(q, p, cnt * 32);
		q[j][j % 32] ^= (uint8_t)(1u << (j % 8));
		REFUSE(merkle_verify_inclusion(leaf, i, n, CP(q), cnt, root), "flipped bit");
	}
	if (cnt)
		REFUSE(merkle_verify_inclusion(leaf, i, n, CP(p), cnt - 1, root), "truncated");
	memcpy(q, p, cnt * 32);
	memcpy(q[cnt], zero, 32);
	REFUSE(merkle_verify_inclusion(leaf, i, n, CP(q), cnt + 1, root), "extra zero hash");
	memcpy(q[cnt], root, 32);
	REFUSE(merkle_verify_inclusion(leaf, i, n, CP(q), cnt + 1, root), "extra root");
	memcpy(q[0], root, 32);
	memcpy(q + 1, p, cnt * 32);
	REFUSE(merkle_verify_inclusion(leaf, i, n, CP(q), cnt + 1, root), "root prepended");
	if (cnt > 1) {
		memcpy(q, p, 32);
		memcpy(q[1], other, 32);
		memcpy(q + 2, p + 1, (cnt - 1) * 32);
		REFUSE(merkle_verify_inclusion(leaf, i, n, CP(q), cnt + 1, root), "inserted hash");
	}
	/* one level too many, with the root it implies: only the size forbids it (4a) */
	memcpy(q, p, cnt * 32);
	memcpy(q[cnt], other, 32);
	t_node(other, root, wl);
	REFUSE(merkle_verify_inclusion(leaf, i, n, CP(q), cnt + 1, wl), "extra level and its root");
}

static void cons_twins(struct tally *t, uint64_t m, uint64_t n, hash_t *p, size_t cnt,
		       const uint8_t r1[32], const uint8_t r2[32])
{
	hash_t q[MERKLE_MAX_PROOF + 1], other, x1, x2;
	size_t j;
	uint64_t i = m;	/* for REFUSE's report */

	memset(other, 0xa5, 32);
	REFUSE(merkle_verify_consistency(m - 1, n, CP(p), cnt, r1, r2), "from - 1");
	REFUSE(merkle_verify_consistency(m + 1, n, CP(p), cnt, r1, r2), "from + 1");
	REFUSE(merkle_verify_consistency(m ^ 2, n, CP(p), cnt, r1, r2), "from ^ 2");
	REFUSE(merkle_verify_consistency(m, n * 2, CP(p), cnt, r1, r2), "to * 2");
	REFUSE(merkle_verify_consistency(m, n / 2, CP(p), cnt, r1, r2), "to / 2");
	REFUSE(merkle_verify_consistency(n, m, CP(p), cnt, r2, r1), "from > to");
	REFUSE(merkle_verify_consistency(m, n, CP(p), cnt, other, r2), "wrong first root");
	REFUSE(merkle_verify_consistency(m, n, CP(p), cnt, r1, other), "wrong second root");
	REFUSE(merkle_verify_consistency(m, n, CP(p), cnt, r2, r1), "swapped roots");
	REFUSE(merkle_verify_consistency(m, n, CP(p), 0, r1, r2), "empty proof");
	REFUSE(merkle_verify_consistency(0, n, CP(p), cnt, r1, r2), "from 0");
	for (j = 0; j < cnt; j++) {
		memcpy(q, p, cnt * 32);
		q[j][(j * 7) % 32] ^= 0x10;
		REFUSE(merkle_verify_consistency(m, n, CP(q), cnt, r1, r2), "flipped bit");
	}
	REFUSE(merkle_verify_consistency(m, n, CP(p), cnt - 1, r1, r2), "truncated");
	memcpy(q, p, cnt * 32);
	memcpy(q[cnt], r1, 32);
	REFUSE(merkle_verify_consistency(m, n, CP(q), cnt + 1, r1, r2), "extra first root");
	memcpy(q[cnt], r2, 32);
	REFUSE(merkle_verify_consistency(m, n, CP(q), cnt + 1, r1, r2), "extra second root");
	memcpy(q[0], r1, 32);
	memcpy(q + 1, p, cnt * 32);
	REFUSE(merkle_verify_consistency(m, n, CP(q), cnt + 1, r1, r2), "first root prepended");
	memcpy(q[0], p[0], 32);
	REFUSE(merkle_verify_consistency(m, n, CP(q), cnt + 1, r1, r2), "proof[0] repeated");
	/* one level too many, with the roots it implies: only the sizes forbid it (6a) */
	memcpy(q, p, cnt * 32);
	memcpy(q[cnt], other, 32);
	t_node(other, r1, x1);
	t_node(other, r2, x2);
	REFUSE(merkle_verify_consistency(m, n, CP(q), cnt + 1, x1, x2), "extra level and its roots");
}

static void test_exhaustive(void)
{
	static hash_t leaves[NMAX], ref[MERKLE_MAX_PROOF], proof[MERKLE_MAX_PROOF], roots[NMAX + 1];
	static struct merkle_frontier fr[NMAX + 1];
	struct tally t_leafh = { 0 }, t_front = { 0 }, t_nodes = { 0 }, t_load = { 0 }, t_root = { 0 };
	struct tally t_ip = { 0 }, t_iv = { 0 }, t_it = { 0 }, t_cp = { 0 }, t_cv = { 0 }, t_ct = { 0 };
	struct merkle_frontier f = { 0 }, g;
	struct store s;
	uint8_t data[8], h[32];
	uint64_t i, m, n, l;
	size_t cnt, rcnt;
	long want_puts;
	int rc;

	if (store_init(&s, NMAX)) {
		CHECK(0, "store");
		return;
	}
	for (i = 0; i < NMAX; i++) {
		for (l = 0; l < sizeof(data); l++)
			data[l] = (uint8_t)(i * 31 + l * 7);
		t_leaf(data, i % 9, leaves[i]);
		merkle_leaf_hash(data, i % 9, h);
		if (memcmp(h, leaves[i], 32))
			fail(&t_leafh, "leaf hash", i, 0, 0);
	}
	report(&t_leafh, "merkle_leaf_hash agrees with the reference, lengths 0..8");

	/* the frontier appends, storing every completed node */
	fr[0] = f;
	mth(CP(leaves), 0, roots[0]);
	for (n = 1; n <= NMAX; n++) {
		rc = merkle_frontier_append(&f, leaves[n - 1], store_put, &s);
		if (rc || f.size != n)
			fail(&t_front, "append", n, 0, rc);
		fr[n] = f;
		mth(CP(leaves), n, roots[n]);
		merkle_frontier_root(&f, h);
		if (memcmp(h, roots[n], 32))
			fail(&t_front, "frontier root", n, 0, 0);
	}
	report(&t_front, "frontier_root equals MTH for sizes 1..70");

	/* storage now holds exactly the perfect subtrees, each once, each right */
	want_puts = 0;
	for (l = 0; l < 64; l++)
		want_puts += (long)(NMAX >> l);
	if (s.puts != want_puts || s.dups)
		fail(&t_nodes, "put count", (uint64_t)s.puts, (uint64_t)want_puts, (int)s.dups);
	for (l = 0; l < 64 && (NMAX >> l); l++) {
		for (i = 0; i < (NMAX >> l); i++) {
			mth(CP(leaves + (i << l)), (size_t)1 << l, h);
			if (!s.have[l][i] || memcmp(h, s.lv[l][i], 32))
				fail(&t_nodes, "stored node", l, i, 0);
		}
	}
	report(&t_nodes, "append stores each perfect subtree once, equal to its MTH");

	for (n = 0; n <= NMAX; n++) {
		s.limit = n;
		memset(&g, 0xee, sizeof(g));
		rc = merkle_frontier_load(&g, n, store_get, &s);
		if (rc || g.size != n)
			fail(&t_load, "load", n, 0, rc);
		for (l = 0; l < 64; l++)
			if ((n >> l & 1) && memcmp(g.h[l], fr[n].h[l], 32))
				fail(&t_load, "load level", n, l, 0);
		merkle_frontier_root(&g, h);
		if (memcmp(h, roots[n], 32))
			fail(&t_load, "loaded root", n, 0, 0);
		s.gets = 0;
		rc = merkle_root(store_get, &s, n, h);
		if (rc || memcmp(h, roots[n], 32) || s.gets != __builtin_popcountll(n))
			fail(&t_root, "root", n, (uint64_t)s.gets, rc);
	}
	report(&t_load, "frontier_load from storage reproduces the appended frontier");
	report(&t_root, "merkle_root equals MTH, one read per set bit of the size");

	for (n = 1; n <= NMAX; n++) {
		s.limit = n;
		for (i = 0; i < n; i++) {
			rcnt = 0;
			path(i, CP(leaves), n, ref, &rcnt);
			rc = merkle_prove_inclusion(store_get, &s, i, n, proof, &cnt);
			if (rc || cnt != rcnt || memcmp(proof, ref, cnt * 32))
				fail(&t_ip, "inclusion proof", i, n, rc);
			rc = merkle_verify_inclusion(leaves[i], i, n, CP(ref), rcnt, roots[n]);
			if (rc)
				fail(&t_iv, "inclusion verify", i, n, rc);
			incl_twins(&t_it, leaves[i], i, n, ref, rcnt, roots[n]);
		}
	}
	report(&t_ip, "inclusion proofs equal RFC 6962 PATH, every index of sizes 1..70");
	report(&t_iv, "every inclusion proof verifies (RFC 9162 2.1.3.2)");
	report(&t_it, "every corrupted twin of an inclusion proof is refused");

	for (n = 1; n <= NMAX; n++) {
		s.limit = n;
		for (m = 1; m <= n; m++) {
			rcnt = 0;
			subproof(m, CP(leaves), n, 1, ref, &rcnt);
			rc = merkle_prove_consistency(store_get, &s, m, n, proof, &cnt);
			if (rc || cnt != rcnt || memcmp(proof, ref, cnt * 32))
				fail(&t_cp, "consistency proof", m, n, rc);
			rc = merkle_verify_consistency(m, n, CP(ref), rcnt, roots[m], roots[n]);
			if (rc)
				fail(&t_cv, "consistency verify", m, n, rc);
			if (m < n)
				cons_twins(&t_ct, m, n, ref, rcnt, roots[m], roots[n]);
		}
	}
	report(&t_cp, "consistency proofs equal RFC 6962 PROOF, every pair m <= n <= 70");
	report(&t_cv, "every consistency proof verifies (RFC 9162 2.1.4.2)");
	report(&t_ct, "every corrupted twin of a consistency proof is refused");
	store_free(&s);
}

/* ---- argument checks and errors from storage ---- */

static void test_edges(void)
{
	struct merkle_frontier f = { 0 }, before;
	struct store s;
	hash_t leaf, r1, proof[MERKLE_MAX_PROOF];
	size_t n = 77;
	uint64_t i;
	int rc;

	if (store_init(&s, 16)) {
		CHECK(0, "store");
		return;
	}
	memset(leaf, 0x11, 32);
	for (i = 0; i < 13; i++)
		merkle_frontier_append(&f, leaf, store_put, &s);
	s.limit = 13;
	merkle_frontier_root(&f, r1);

	CHECK_EQ_INT(merkle_prove_inclusion(store_get, &s, 13, 13, proof, &n), -EINVAL, "prove index == size");
	CHECK_EQ_INT(merkle_prove_inclusion(store_get, &s, 0, 0, proof, &n), -EINVAL, "prove in empty tree");
	CHECK_EQ_INT(merkle_prove_consistency(store_get, &s, 0, 13, proof, &n), -EINVAL, "prove from 0");
	CHECK_EQ_INT(merkle_prove_consistency(store_get, &s, 9, 8, proof, &n), -EINVAL, "prove from > to");
	CHECK(n == 77, "refused proofs leave *n alone");
	CHECK(merkle_prove_consistency(store_get, &s, 13, 13, proof, &n) == 0 && n == 0,
	      "from == to: the empty proof");
	CHECK(merkle_prove_inclusion(store_get, &s, 0, 1, proof, &n) == 0 && n == 0,
	      "a one-leaf tree: the empty inclusion proof");
	CHECK_EQ_INT(merkle_verify_inclusion(leaf, 0, 1, CP(proof), 0, leaf), 0,
		     "one leaf: the root is the leaf");
	CHECK_EQ_INT(merkle_verify_inclusion(leaf, 1, 1, CP(proof), 0, leaf), -EINVAL, "verify index == size");
	CHECK_EQ_INT(merkle_verify_inclusion(leaf, 0, 0, CP(proof), 0, leaf), -EINVAL, "verify size 0");
	CHECK_EQ_INT(merkle_verify_consistency(0, 5, CP(proof), 0, r1, r1), -EINVAL, "verify from 0");
	CHECK_EQ_INT(merkle_verify_consistency(0, 0, CP(proof), 0, r1, r1), -EINVAL, "verify 0 -> 0");
	CHECK_EQ_INT(merkle_verify_consistency(6, 5, CP(proof), 0, r1, r1), -EINVAL, "verify from > to");
	CHECK_EQ_INT(merkle_verify_consistency(13, 13, CP(proof), 0, r1, r1), 0, "verify from == to, same root");
	CHECK_EQ_INT(merkle_verify_consistency(13, 13, CP(proof), 0, r1, leaf), -EBADMSG,
		     "verify from == to, different roots");
	CHECK_EQ_INT(merkle_verify_consistency(13, 13, CP(&r1), 1, r1, r1), -EBADMSG,
		     "verify from == to with a non-empty proof");
	CHECK_EQ_INT(merkle_verify_consistency(4, 13, CP(proof), 0, r1, r1), -EBADMSG,
		     "verify from < to with an empty proof");
	CHECK_EQ_INT(merkle_verify_inclusion(leaf, 0, 13, CP(proof), MERKLE_MAX_PROOF + 1, r1), -EINVAL,
		     "verify an over-long inclusion proof");
	CHECK_EQ_INT(merkle_verify_consistency(4, 13, CP(proof), MERKLE_MAX_PROOF + 1, r1, r1), -EINVAL,
		     "verify an over-long consistency proof");

	/* storage errors come back unchanged */
	s.gets = 0;
	s.fail_at = 2;
	CHECK_EQ_INT(merkle_root(store_get, &s, 13, r1), -EIO, "root passes a read error on");
	s.gets = 0;
	CHECK_EQ_INT(merkle_prove_inclusion(store_get, &s, 5, 13, proof, &n), -EIO,
		     "inclusion proof passes a read error on");
	s.gets = 0;
	CHECK_EQ_INT(merkle_prove_consistency(store_get, &s, 5, 13, proof, &n), -EIO,
		     "consistency proof passes a read error on");
	s.gets = 0;
	CHECK_EQ_INT(merkle_frontier_load(&before, 13, store_get, &s), -EIO, "load passes a read error on");
	s.fail_at = 0;
	s.limit = 12;
	CHECK_EQ_INT(merkle_root(store_get, &s, 13, r1), -ENOENT, "a missing node is an error, not a guess");
	s.limit = 13;

	/* a failed put leaves the frontier as it was: 15 -> 16 completes 5 nodes */
	merkle_frontier_append(&f, leaf, store_put, &s);
	merkle_frontier_append(&f, leaf, store_put, &s);
	before = f;
	s.puts = 0;
	s.fail_at = 4;
	rc = merkle_frontier_append(&f, leaf, store_put, &s);
	CHECK(rc == -EIO && memcmp(&f, &before, sizeof(f)) == 0, "append: put fails, frontier unchanged");
	s.fail_at = 0;
	s.puts = 0;
	CHECK(merkle_frontier_append(&f, leaf, store_put, &s) == 0 && f.size == 16 && s.puts == 5,
	      "append to 16 stores 5 nodes");
	CHECK(merkle_frontier_append(&f, leaf, NULL, NULL) == 0 && f.size == 17, "append without put");
	f.size = UINT64_MAX;
	CHECK_EQ_INT(merkle_frontier_append(&f, leaf, NULL, NULL), -EOVERFLOW, "append past 2^64 - 1");
	store_free(&s);
}

/* ---- cost: O(log n) reads ---- */

static void test_million(void)
{
	const uint64_t N = 1000003;
	static const uint64_t sizes[] = { 1000003, 1 << 20, 999999, 524289, 65537, 3 };
	struct merkle_frontier f = { 0 };
	struct store s;
	hash_t *leaves, proof[MERKLE_MAX_PROOF], root, ref, rm;
	uint64_t i, j, k;
	long worst_i = 0, worst_c = 0, bad = 0;
	size_t n;
	int rc;

	leaves = malloc(N * sizeof(hash_t));
	if (!leaves || store_init(&s, N)) {
		CHECK(0, "memory for a million leaves");
		free(leaves);
		return;
	}
	for (i = 0; i < N; i++) {
		t_leaf(&i, sizeof(i), leaves[i]);
		if (merkle_frontier_append(&f, leaves[i], store_put, &s))
			bad++;
	}
	mth(CP(leaves), N, ref);
	merkle_frontier_root(&f, root);
	s.gets = 0;
	rc = merkle_root(store_get, &s, N, rm);
	CHECK(bad == 0 && rc == 0 && memcmp(root, ref, 32) == 0 && memcmp(rm, ref, 32) == 0,
	      "1000003 leaves: frontier and stored roots equal MTH");
	CHECK(s.gets <= 64, "root at 1000003 reads %ld nodes", s.gets);

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]) && sizes[k] <= N; k++) {
		uint64_t size = sizes[k], probe[] = { 0, 1, size / 2, size / 3, size - 2, size - 1 };
		hash_t rs;

		s.limit = size;
		mth(CP(leaves), size, rs);
		for (j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
			i = probe[j] % size;
			s.gets = 0;
			rc = merkle_prove_inclusion(store_get, &s, i, size, proof, &n);
			if (s.gets > worst_i)
				worst_i = s.gets;
			if (rc || merkle_verify_inclusion(leaves[i], i, size, CP(proof), n, rs))
				bad++;
			if (i == 0)
				continue;
			s.gets = 0;
			rc = merkle_prove_consistency(store_get, &s, i, size, proof, &n);
			if (s.gets > worst_c)
				worst_c = s.gets;
			mth(CP(leaves), i, ref);
			if (rc || merkle_verify_consistency(i, size, CP(proof), n, ref, rs))
				bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "proofs around a million leaves verify");
	CHECK(worst_i <= 2 * 64, "inclusion proof reads at most %ld nodes", worst_i);
	CHECK(worst_c <= 2 * 64, "consistency proof reads at most %ld nodes", worst_c);
	store_free(&s);
	free(leaves);
}

/*
 * A tree of identical leaves has one hash per level, so any size up to 2^64
 * can be stored in 64 entries; that lets the read count be checked where a
 * linear walk would never finish.
 */
struct uniform {
	hash_t t[64];
	uint64_t size;
	long gets;
};

static int uniform_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct uniform *u = ctx;

	u->gets++;
	if (level >= 64 || index >= (u->size >> level))
		return -ENOENT;
	memcpy(out, u->t[level], 32);
	return 0;
}

static void uniform_root(const struct uniform *u, uint64_t size, uint8_t out[32])
{
	int l, have = 0;

	for (l = 0; l < 64; l++) {
		if (!(size >> l & 1))
			continue;
		if (have)
			t_node(u->t[l], out, out);
		else
			memcpy(out, u->t[l], 32);
		have = 1;
	}
}

static void test_huge(void)
{
	static const uint64_t sizes[] = { (1ULL << 63) - 1, 1ULL << 63, (1ULL << 62) + 12345,
					  0xfedcba9876543211ULL, UINT64_MAX - 1, 1ULL << 40 };
	struct uniform u;
	struct merkle_frontier f;
	hash_t proof[MERKLE_MAX_PROOF], r, rf, rs;
	long worst_r = 0, worst_i = 0, worst_c = 0, bad = 0;
	size_t k, j, n;
	int l, rc;

	t_leaf("x", 1, u.t[0]);
	for (l = 1; l < 64; l++)
		t_node(u.t[l - 1], u.t[l - 1], u.t[l]);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t size = sizes[k];
		uint64_t probe[] = { 0, 1, size / 2, size / 3 + 7, size - 2, size - 1 };

		u.size = size;
		uniform_root(&u, size, rs);
		u.gets = 0;
		rc = merkle_root(uniform_get, &u, size, r);
		if (u.gets > worst_r)
			worst_r = u.gets;
		if (rc || memcmp(r, rs, 32) ||
		    merkle_frontier_load(&f, size, uniform_get, &u) != 0)
			bad++;
		merkle_frontier_root(&f, r);
		if (memcmp(r, rs, 32))
			bad++;
		for (j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
			uint64_t i = probe[j];

			u.gets = 0;
			rc = merkle_prove_inclusion(uniform_get, &u, i, size, proof, &n);
			if (u.gets > worst_i)
				worst_i = u.gets;
			if (rc || merkle_verify_inclusion(u.t[0], i, size, CP(proof), n, rs))
				bad++;
			if (i == 0)
				continue;
			u.gets = 0;
			rc = merkle_prove_consistency(uniform_get, &u, i, size, proof, &n);
			if (u.gets > worst_c)
				worst_c = u.gets;
			uniform_root(&u, i, rf);
			if (rc || merkle_verify_consistency(i, size, CP(proof), n, rf, rs))
				bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "roots and proofs at sizes up to 2^64 - 2 verify");
	CHECK(worst_r <= 64, "root reads at most %ld nodes", worst_r);
	CHECK(worst_i <= 2 * 64, "inclusion proof reads at most %ld nodes", worst_i);
	CHECK(worst_c <= 2 * 64, "consistency proof reads at most %ld nodes", worst_c);
}

int main(void)
{
	gcry_check_version(NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	test_vectors();
	test_exhaustive();
	test_edges();
	test_million();
	test_huge();
	return tap_done();
}
