#include "audit/ledger.h"

#include <errno.h>
#include <stdlib.h>

#include "audit/b64.h"
#include "audit/merkle.h"

int ledger_entry_json(struct ledger *l, uint64_t seq, json_t **out)
{
	uint8_t leaf[32];
	char hex[65], *text = NULL;
	int rc = ledger_get(l, seq, &text, leaf);

	if (rc < 0)
		return rc;
	hex_encode(leaf, 32, hex);
	*out = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "entry", text, "leaf_hash", hex);
	free(text);
	return *out ? 0 : -ENOMEM;
}

static json_t *hashes_json(uint8_t hashes[][32], size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		char *b = b64_encode(hashes[i], 32, B64_STD);
		if (!b || json_array_append_new(arr, json_string(b)) < 0) {
			free(b);
			json_decref(arr);
			return NULL;
		}
		free(b);
	}
	return arr;
}

int ledger_inclusion_json(struct ledger *l, uint64_t seq, uint64_t size, json_t **out)
{
	uint8_t hashes[MERKLE_MAX_PROOF][32];
	size_t n = 0;
	json_t *h;
	int rc = ledger_prove_inclusion(l, seq, size, hashes, &n);

	if (rc < 0)
		return rc;
	h = hashes_json(hashes, n);
	*out = h ? json_pack("{s:I, s:I, s:o}", "seq", (json_int_t)seq, "tree_size", (json_int_t)size,
			     "hashes", h) : NULL;
	return *out ? 0 : -ENOMEM;
}

int ledger_consistency_json(struct ledger *l, uint64_t from, uint64_t to, json_t **out)
{
	uint8_t hashes[MERKLE_MAX_PROOF][32];
	size_t n = 0;
	json_t *h;
	int rc = ledger_prove_consistency(l, from, to, hashes, &n);

	if (rc < 0)
		return rc;
	h = hashes_json(hashes, n);
	*out = h ? json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to,
			     "hashes", h) : NULL;
	return *out ? 0 : -ENOMEM;
}
