/*
 * merkle — the RFC 6962 / RFC 9162 Merkle tree over SHA-256 (libgcrypt).
 *
 * Storage is the caller's: the tree is described by its perfect subtrees.
 * node(level, index) is the root of the perfect subtree over leaves
 * [index << level, (index + 1) << level); level 0 is the leaf hash.  The
 * ledger stores these as they complete, so a root at any size and every proof
 * cost O(log n) node reads.
 */
#ifndef SZ_MERKLE_H
#define SZ_MERKLE_H
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* The longest proof for a tree of at most 2^63 leaves. */
#define MERKLE_MAX_PROOF 128

/* RFC 9162 2.1.1: SHA-256(0x00 || data).  Cannot fail. */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[32]);
/* RFC 9162 2.1.1: SHA-256(0x01 || left || right).  Cannot fail. */
void merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);
/* SHA-256 of data, the hash of the empty tree when len is 0.  Cannot fail. */
void merkle_sha256(const void *data, size_t len, uint8_t out[32]);

/* Reads node(level, index) into out; returns 0 or -errno (-ENOENT if absent). */
typedef int (*merkle_get_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);
/* Stores node(level, index); returns 0 or -errno. */
typedef int (*merkle_put_fn)(void *ctx, unsigned level, uint64_t index, const uint8_t h[32]);

/*
 * The right edge of a tree: for every bit set in size, the root of the
 * perfect subtree of that height at the tree's right end.  Enough to append
 * and to compute the current root without reading storage.
 */
struct merkle_frontier {
	uint64_t size;
	uint8_t h[64][32];	/* h[level] is valid when bit level of size is set */
};

/* Load the frontier of a tree of the given size through get.  0 or -errno. */
int merkle_frontier_load(struct merkle_frontier *f, uint64_t size, merkle_get_fn get, void *ctx);
/*
 * Append a leaf hash: stores node(0, size) and every node it completes through
 * put (put may be NULL), then advances f.  0 or -errno; on error f is unchanged.
 */
int merkle_frontier_append(struct merkle_frontier *f, const uint8_t leaf[32], merkle_put_fn put, void *ctx);
/* The root of the tree the frontier describes (RFC 9162 2.1.1).  Cannot fail. */
void merkle_frontier_root(const struct merkle_frontier *f, uint8_t out[32]);

/* MTH of the first size leaves, O(log size) reads.  0 or -errno. */
int merkle_root(merkle_get_fn get, void *ctx, uint64_t size, uint8_t out[32]);
/*
 * RFC 9162 2.1.3.1: the inclusion proof of leaf index in the tree of the
 * first size leaves.  hashes must hold MERKLE_MAX_PROOF; *n is set to the
 * count.  -EINVAL unless index < size.
 */
int merkle_prove_inclusion(merkle_get_fn get, void *ctx, uint64_t index, uint64_t size,
			   uint8_t hashes[][32], size_t *n);
/*
 * RFC 9162 2.1.4.1: the consistency proof between the trees of sizes from and
 * to.  -EINVAL unless 0 < from <= to.  from == to gives an empty proof.
 */
int merkle_prove_consistency(merkle_get_fn get, void *ctx, uint64_t from, uint64_t to,
			     uint8_t hashes[][32], size_t *n);

/* RFC 9162 2.1.3.2.  0 if the proof holds, -EBADMSG if not, -EINVAL if malformed. */
int merkle_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			    const uint8_t hashes[][32], size_t n, const uint8_t root[32]);
/* RFC 9162 2.1.4.2.  0 if the proof holds, -EBADMSG if not, -EINVAL if malformed. */
int merkle_verify_consistency(uint64_t from, uint64_t to, const uint8_t hashes[][32], size_t n,
			      const uint8_t root_from[32], const uint8_t root_to[32]);

#endif
