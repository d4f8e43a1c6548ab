/*
 * merkle — the RFC 6962 / RFC 9162 Merkle tree over SHA-256.
 *
 * The tree lives in the caller's storage as perfect subtrees node(level,
 * index).  Any range the RFC's recursion names, [start, end), begins on a
 * multiple of the largest power of two not above its length, so it splits
 * into at most 64 stored perfect subtrees: one per bit of end - start.  That
 * is what keeps a root and every proof at O(log n) reads.
 */
#include <errno.h>
#include <string.h>

#include <gcrypt.h>

#include "audit/merkle.h"

void merkle_sha256(const void *data, size_t len, uint8_t out[32])
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
}

/* RFC 9162 2.1.1: the leaf and node prefixes keep the two domains apart. */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
	static const uint8_t zero = 0x00;
	gcry_buffer_t iov[2] = {
		{ .data = (void *)&zero, .len = 1 },
		{ .data = (void *)data, .len = len },
	};

	/* Fails only for an unknown algorithm or bad flags, neither possible here. */
	(void)gcry_md_hash_buffers(GCRY_MD_SHA256, 0, out, iov, 2);
}

void merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, buf, sizeof(buf));
}

/* RFC 9162 2.1.1: k, the largest power of two smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return 1ULL << (63 - __builtin_clzll(n - 1));
}

/*
 * MTH(D[start:end]) for a range the RFC recursion produces: the perfect
 * subtrees along the bits of end - start, largest first, folded from the
 * right (the recursion's shape).  One read per set bit.
 */
static int range_hash(merkle_get_fn get, void *ctx, uint64_t start, uint64_t end, uint8_t out[32])
{
	uint8_t part[64][MERKLE_HASH_LEN];
	uint64_t n = end - start, pos = start;
	int level, cnt = 0, rc;

	if (end <= start)
		return -EINVAL;
	for (level = 63; level >= 0; level--) {
		uint64_t w = 1ULL << level;

		if (!(n & w))
			continue;
		if (pos & (w - 1))
			return -EINVAL;	/* not a range of the RFC's recursion */
		rc = get(ctx, (unsigned)level, pos >> level, part[cnt]);
		if (rc)
			return rc;
		cnt++;
		pos += w;
	}
	memcpy(out, part[cnt - 1], MERKLE_HASH_LEN);
	while (--cnt > 0)
		merkle_node_hash(part[cnt - 1], out, out);
	return 0;
}

int merkle_frontier_load(struct merkle_frontier *f, uint64_t size, merkle_get_fn get, void *ctx)
{
	struct merkle_frontier t;
	unsigned level;
	int rc;

	memset(&t, 0, sizeof(t));
	t.size = size;
	for (level = 0; level < 64; level++) {
		if (!(size >> level & 1))
			continue;
		rc = get(ctx, level, (size >> level) - 1, t.h[level]);
		if (rc)
			return rc;
	}
	*f = t;
	return 0;
}

int merkle_frontier_append(struct merkle_frontier *f, const uint8_t leaf[32], merkle_put_fn put, void *ctx)
{
	uint8_t h[MERKLE_HASH_LEN];
	uint64_t next;
	unsigned level = 0;
	int rc;

	if (f->size == UINT64_MAX)
		return -EOVERFLOW;
	next = f->size + 1;
	memcpy(h, leaf, MERKLE_HASH_LEN);
	for (;;) {
		/* node(level, next/2^level - 1) is complete: store it before climbing */
		if (put && (rc = put(ctx, level, (next >> level) - 1, h)))
			return rc;
		if (!(f->size >> level & 1))
			break;
		merkle_node_hash(f->h[level], h, h);
		level++;
	}
	memcpy(f->h[level], h, MERKLE_HASH_LEN);
	f->size = next;
	return 0;
}

void merkle_frontier_root(const struct merkle_frontier *f, uint8_t out[32])
{
	int level, have = 0;

	if (f->size == 0) {
		merkle_sha256("", 0, out);	/* RFC 9162 2.1.1: MTH({}) */
		return;
	}
	for (level = 0; level < 64; level++) {
		if (!(f->size >> level & 1))
			continue;
		if (have)
			merkle_node_hash(f->h[level], out, out);
		else
			memcpy(out, f->h[level], MERKLE_HASH_LEN);
		have = 1;
	}
}

int merkle_root(merkle_get_fn get, void *ctx, uint64_t size, uint8_t out[32])
{
	if (size == 0) {
		merkle_sha256("", 0, out);
		return 0;
	}
	return range_hash(get, ctx, 0, size, out);
}

/* The proof was collected root side first; RFC 9162 sends it leaf side first. */
static void reverse(uint8_t hashes[][32], size_t n)
{
	uint8_t t[MERKLE_HASH_LEN];
	size_t i;

	for (i = 0; i < n / 2; i++) {
		memcpy(t, hashes[i], MERKLE_HASH_LEN);
		memcpy(hashes[i], hashes[n - 1 - i], MERKLE_HASH_LEN);
		memcpy(hashes[n - 1 - i], t, MERKLE_HASH_LEN);
	}
}

/*
 * RFC 9162 2.1.3.1 (PATH), unrolled from the root down.  A step left takes
 * the possibly imperfect right sibling and leaves a perfect range, so only
 * one sibling ever costs more than one read.
 */
int merkle_prove_inclusion(merkle_get_fn get, void *ctx, uint64_t index, uint64_t size,
			   uint8_t hashes[][32], size_t *n)
{
	uint64_t start = 0, end = size, m = index;
	size_t cnt = 0;
	int rc;

	if (index >= size)
		return -EINVAL;
	while (end - start > 1) {
		uint64_t k = split_point(end - start);

		if (cnt == MERKLE_MAX_PROOF)
			return -EOVERFLOW;
		if (m < k) {
			rc = range_hash(get, ctx, start + k, end, hashes[cnt]);
			end = start + k;
		} else {
			rc = range_hash(get, ctx, start, start + k, hashes[cnt]);
			start += k;
			m -= k;
		}
		if (rc)
			return rc;
		cnt++;
	}
	reverse(hashes, cnt);
	*n = cnt;
	return 0;
}

/* RFC 9162 2.1.4.1 (SUBPROOF), unrolled the same way. */
int merkle_prove_consistency(merkle_get_fn get, void *ctx, uint64_t from, uint64_t to,
			     uint8_t hashes[][32], size_t *n)
{
	uint64_t start = 0, end = to, m = from;
	size_t cnt = 0;
	int whole = 1, rc;	/* b: the old tree is the current subtree */

	if (from == 0 || from > to)
		return -EINVAL;
	while (m != end - start) {
		uint64_t k = split_point(end - start);

		if (cnt == MERKLE_MAX_PROOF)
			return -EOVERFLOW;
		if (m <= k) {
			rc = range_hash(get, ctx, start + k, end, hashes[cnt]);
			end = start + k;
		} else {
			rc = range_hash(get, ctx, start, start + k, hashes[cnt]);
			start += k;
			m -= k;
			whole = 0;
		}
		if (rc)
			return rc;
		cnt++;
	}
	if (!whole) {
		if (cnt == MERKLE_MAX_PROOF)
			return -EOVERFLOW;
		rc = range_hash(get, ctx, start, end, hashes[cnt]);
		if (rc)
			return rc;
		cnt++;
	}
	reverse(hashes, cnt);
	*n = cnt;
	return 0;
}

int merkle_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			    const uint8_t hashes[][32], size_t n, const uint8_t root[32])
{
	uint8_t r[MERKLE_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	/* RFC 9162 2.1.3.2 step 1 */
	if (index >= size || n > MERKLE_MAX_PROOF)
		return -EINVAL;
	/* steps 2 and 3 */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	/* step 4 */
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return -EBADMSG;	/* 4a */
		if ((fn & 1) || fn == sn) {	/* 4b */
			merkle_node_hash(hashes[i], r, r);
			if (!(fn & 1)) {
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			merkle_node_hash(r, hashes[i], r);
		}
		fn >>= 1;	/* 4c */
		sn >>= 1;
	}
	/* step 5 */
	if (sn != 0 || memcmp(r, root, MERKLE_HASH_LEN) != 0)
		return -EBADMSG;
	return 0;
}

int merkle_verify_consistency(uint64_t from, uint64_t to, const uint8_t hashes[][32], size_t n,
			      const uint8_t root_from[32], const uint8_t root_to[32])
{
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t i;

	if (from == 0 || from > to || n > MERKLE_MAX_PROOF)
		return -EINVAL;
	/* RFC 9162 2.1.4.1: equal sizes have the empty proof; the roots must agree */
	if (from == to)
		return n == 0 && memcmp(root_from, root_to, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
	/* RFC 9162 2.1.4.2 step 1 */
	if (n == 0)
		return -EBADMSG;
	/* step 2: a power-of-two first tree is itself the proof's first node */
	i = 0;
	if ((from & (from - 1)) == 0)
		c = root_from;
	else
		c = hashes[i++];
	/* step 3 */
	fn = from - 1;
	sn = to - 1;
	/* step 4 */
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* step 5 */
	memcpy(fr, c, MERKLE_HASH_LEN);
	memcpy(sr, c, MERKLE_HASH_LEN);
	/* step 6 */
	for (; i < n; i++) {
		c = hashes[i];
		if (sn == 0)
			return -EBADMSG;	/* 6a */
		if ((fn & 1) || fn == sn) {	/* 6b */
			merkle_node_hash(c, fr, fr);
			merkle_node_hash(c, sr, sr);
			if (!(fn & 1)) {
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			merkle_node_hash(sr, c, sr);
		}
		fn >>= 1;	/* 6c */
		sn >>= 1;
	}
	/* step 7 */
	if (sn != 0 || memcmp(fr, root_from, MERKLE_HASH_LEN) != 0 ||
	    memcmp(sr, root_to, MERKLE_HASH_LEN) != 0)
		return -EBADMSG;
	return 0;
}
