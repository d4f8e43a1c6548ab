/*
 * cert, offline half: the C2SP tlog-proof@v1 text, and verifying a
 * certificate from files alone (sanitizerd cert verify), trusting only the
 * JWKS and the note verifier key the user brings.
 */
#include "audit/cert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"
#include "audit/jws.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "util/xio.h"

#define TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"

int cert_tlog_proof(const char *entry, uint64_t index, const json_t *hashes,
		    const char *checkpoint, char **out)
{
	char *extra = b64_encode(entry, strlen(entry), B64_STD), *buf;
	size_t cap, n;

	*out = NULL;
	if (!extra)
		return -ENOMEM;
	cap = strlen(TLOG_PROOF_HEADER) + strlen(extra) + strlen(checkpoint) + 64 +
	      json_array_size(hashes) * 46;
	buf = malloc(cap);
	if (!buf) {
		free(extra);
		return -ENOMEM;
	}
	/* C2SP tlog-proof: header, extra (the entry, to recompute the leaf), index, hashes, blank, checkpoint */
	n = (size_t)snprintf(buf, cap, TLOG_PROOF_HEADER "\nextra %s\nindex %llu\n", extra,
			     (unsigned long long)index);
	for (size_t i = 0; i < json_array_size(hashes) && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\n", json_string_value(json_array_get(hashes, i)));
	if (n < cap)
		snprintf(buf + n, cap - n, "\n%s", checkpoint);
	free(extra);
	*out = buf;
	return 0;
}

/* What a proof holds, from either format; the strings point into the caller's buffers. */
struct proof {
	char *entry;			/* owned */
	uint64_t index, size;		/* size 0: not stated (tlog-proof: the checkpoint's) */
	uint8_t hashes[MERKLE_MAX_PROOF][32];
	size_t n;
	char *checkpoint;		/* owned, or NULL */
};

static int decode_hash(const char *s, size_t len, uint8_t out[32])
{
	return b64_decode_exact(s, len, B64_STD, out, 32);
}

static int parse_proof_json(const char *text, size_t len, struct proof *p, char *why, size_t whylen)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *lg, *incl, *hs;
	json_int_t seq, size;
	int rc = 0;

	lg = json_object_get(root, "ledger");
	if (!lg)
		lg = root;		/* the ledger block saved on its own */
	incl = json_object_get(lg, "inclusion");
	hs = json_object_get(incl, "hashes");
	if (!json_is_string(json_object_get(lg, "entry")) || !json_is_array(hs) ||
	    !json_is_integer(json_object_get(incl, "seq")) || !json_is_integer(json_object_get(incl, "tree_size"))) {
		rc = xerr(why, whylen, -EINVAL,
			     "invalid proof: want the JSON of GET /v1/certificates/ID (ledger.entry, ledger.inclusion)");
		goto done;
	}
	seq = json_integer_value(json_object_get(incl, "seq"));
	size = json_integer_value(json_object_get(incl, "tree_size"));
	if (seq < 0 || size <= seq || json_array_size(hs) > MERKLE_MAX_PROOF) {
		rc = xerr(why, whylen, -EINVAL, "invalid proof: bad seq, tree size or hash count");
		goto done;
	}
	p->index = (uint64_t)seq;
	p->size = (uint64_t)size;
	p->n = json_array_size(hs);
	for (size_t i = 0; i < p->n; i++) {
		json_t *h = json_array_get(hs, i);
		if (!json_is_string(h) || decode_hash(json_string_value(h), json_string_length(h), p->hashes[i]) < 0) {
			rc = xerr(why, whylen, -EINVAL, "invalid proof: hash %zu is not 32 bytes of base64", i);
			goto done;
		}
	}
	p->entry = strdup(json_string_value(json_object_get(lg, "entry")));
	if (json_is_string(json_object_get(lg, "checkpoint")))
		p->checkpoint = strdup(json_string_value(json_object_get(lg, "checkpoint")));
	if (!p->entry)
		rc = -ENOMEM;
done:
	json_decref(root);
	return rc;
}

/* Next line of [*pos, end) without its newline; 0 when none is left. */
static int next_line(const char **pos, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*pos >= end)
		return 0;
	nl = memchr(*pos, '\n', (size_t)(end - *pos));
	if (!nl)
		return 0;	/* every line of the format ends in a newline */
	*line = *pos;
	*len = (size_t)(nl - *pos);
	*pos = nl + 1;
	return 1;
}

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* C2SP tlog-proof@v1 "Format". */
static int parse_proof_text(const char *text, size_t len, struct proof *p, char *why, size_t whylen)
{
	const char *pos = text, *end = text + len, *line;
	uint8_t *extra = NULL;
	size_t ll, elen;
	int rc;

	if (!next_line(&pos, end, &line, &ll) || ll != strlen(TLOG_PROOF_HEADER) ||
	    memcmp(line, TLOG_PROOF_HEADER, ll))
		return xerr(why, whylen, -EINVAL, "invalid proof: not JSON and not a " TLOG_PROOF_HEADER " text");
	if (!next_line(&pos, end, &line, &ll))
		goto malformed;
	if (ll > 6 && !memcmp(line, "extra ", 6)) {
		rc = b64_decode(line + 6, ll - 6, B64_STD, &extra, &elen);
		if (rc < 0 || memchr(extra, 0, elen)) {
			free(extra);
			return xerr(why, whylen, -EINVAL, "invalid proof: the extra line is not base64 text");
		}
		p->entry = strndup((const char *)extra, elen);
		free(extra);
		if (!p->entry)
			return -ENOMEM;
		if (!next_line(&pos, end, &line, &ll))
			goto malformed;
	}
	if (ll < 7 || memcmp(line, "index ", 6) || parse_u64(line + 6, ll - 6, &p->index) < 0)
		goto malformed;
	while (next_line(&pos, end, &line, &ll) && ll > 0) {
		if (p->n == MERKLE_MAX_PROOF || decode_hash(line, ll, p->hashes[p->n]) < 0)
			goto malformed;
		p->n++;
	}
	if (ll != 0 || pos >= end)
		goto malformed;
	if (!p->entry)
		return xerr(why, whylen, -EINVAL,
			       "invalid proof: no extra line carrying the certificate_issued entry");
	p->checkpoint = strndup(pos, (size_t)(end - pos));
	return p->checkpoint ? 0 : -ENOMEM;
malformed:
	return xerr(why, whylen, -EINVAL, "invalid proof: malformed " TLOG_PROOF_HEADER " text");
}

/* The entry must be this certificate's certificate_issued entry at index. */
static int check_entry(const struct proof *p, const json_t *payload, const char *sha,
		       char *why, size_t whylen)
{
	json_t *e = json_loads(p->entry, JSON_REJECT_DUPLICATES, NULL), *d = json_object_get(e, "data");
	const char *asset = json_string_value(json_object_get(payload, "asset_id"));
	const char *id = json_string_value(json_object_get(payload, "cert_id"));
	const char *subject = json_string_value(json_object_get(e, "subject"));
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *esha = json_string_value(json_object_get(d, "sha256"));
	const char *eid = json_string_value(json_object_get(d, "cert_id"));
	json_t *seq = json_object_get(e, "seq");
	int rc = 0;

	if (!type || strcmp(type, "certificate_issued"))
		rc = xerr(why, whylen, -EBADMSG, "the proof's entry is not a certificate_issued entry");
	else if (!json_is_integer(seq) || (uint64_t)json_integer_value(seq) != p->index)
		rc = xerr(why, whylen, -EBADMSG, "the proof's entry is not entry %llu",
			     (unsigned long long)p->index);
	else if (!esha || strcmp(esha, sha))
		rc = xerr(why, whylen, -EBADMSG,
			     "the certificate_issued entry holds SHA-256 %.64s, not this certificate's %s",
			     esha ? esha : "(none)", sha);
	else if (!id || !eid || strcmp(id, eid))
		rc = xerr(why, whylen, -EBADMSG, "the certificate_issued entry is for another certificate id");
	else if (!asset || !subject || strncmp(subject, "asset:", 6) || strcmp(subject + 6, asset))
		rc = xerr(why, whylen, -EBADMSG, "the certificate_issued entry is for another asset");
	json_decref(e);
	return rc;
}

static int check_inclusion(const struct cert_offline *in, struct proof *p, const char *vkey,
			   char *why, size_t whylen)
{
	const char *cp = in->checkpoint ? in->checkpoint : p->checkpoint;
	size_t cplen = in->checkpoint ? in->checkpoint_len : cp ? strlen(cp) : 0;
	struct checkpoint c;
	char *name = NULL;
	uint8_t pub[32], leaf[32];
	int rc;

	if (!cp)
		return xerr(why, whylen, -EINVAL, "no checkpoint: give --checkpoint or a proof that carries one");
	/* a note ends in exactly one newline; blank lines a file or a shell added are not part of it */
	while (cplen > 1 && cp[cplen - 1] == '\n' && cp[cplen - 2] == '\n')
		cplen--;
	if (note_verifier_parse(vkey, &name, pub) < 0)
		return xerr(why, whylen, -EINVAL, "invalid verifier key '%.200s'", vkey);
	/* SPEC section 4: a C2SP signed note by the ledger's key, its origin its key name */
	rc = checkpoint_open(cp, cplen, name, pub, &c);
	if (rc < 0) {
		rc = xerr(why, whylen, -EBADMSG, "the checkpoint is not validly signed by %s", name);
		goto done;
	}
	if (p->size && p->size != c.size) {
		rc = xerr(why, whylen, -EBADMSG,
			     "the proof is for a tree of %llu entries, the checkpoint for %llu",
			     (unsigned long long)p->size, (unsigned long long)c.size);
		goto done;
	}
	/* RFC 9162 2.1.3.2: the entry's leaf hash up the path to the signed root */
	merkle_leaf_hash(p->entry, strlen(p->entry), leaf);
	if (merkle_verify_inclusion(leaf, p->index, c.size, (const uint8_t(*)[32])p->hashes, p->n, c.root) < 0) {
		rc = xerr(why, whylen, -EBADMSG,
			     "entry %llu is not included in the checkpoint of %llu entries: the proof fails",
			     (unsigned long long)p->index, (unsigned long long)c.size);
		goto done;
	}
	rc = xerr(why, whylen, 0, "certificate_issued entry %llu is in the ledger %s of %llu entries",
		     (unsigned long long)p->index, name, (unsigned long long)c.size);
done:
	free(name);
	return rc;
}

int cert_verify_offline(const struct cert_offline *in, char *why, size_t whylen)
{
	const json_t *jwks = in->jwks;
	const char *vkey = in->vkey;
	char sha[65], kid[JWS_KID_MAX + 1], tail[300] = "";
	struct proof *p = NULL;
	struct jws *j = NULL;
	json_t *payload = NULL;
	uint8_t digest[32];
	int rc;

	/* a /v1/keys document carries the JWKS and the note verifier key together */
	if (json_object_get(jwks, "jwks") && !json_object_get(jwks, "keys")) {
		if (!vkey)
			vkey = json_string_value(json_object_get(jwks, "note_verifier"));
		jwks = json_object_get(jwks, "jwks");
	}
	rc = jws_parse(in->jws, in->jws_len, &j, why, whylen);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return -EBADMSG;
	rc = jws_verify_jwks(j, jwks, why, whylen);
	if (rc == -EINVAL)
		goto out;
	if (rc < 0) {
		rc = -EBADMSG;
		goto out;
	}
	snprintf(kid, sizeof(kid), "%s", j->kid);
	payload = json_loadb((const char *)j->payload, j->payload_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(payload)) {
		rc = xerr(why, whylen, -EBADMSG, "the payload is not a JSON object");
		goto out;
	}
	if (in->proof) {
		if (!vkey) {
			rc = xerr(why, whylen, -EINVAL, "a ledger proof needs the note verifier key (--verifier)");
			goto out;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			rc = -ENOMEM;
			goto out;
		}
		merkle_sha256(in->jws, in->jws_len, digest);
		hex_encode(digest, 32, sha);
		rc = in->proof_len && in->proof[strspn(in->proof, " \t\r\n")] == '{'
		     ? parse_proof_json(in->proof, in->proof_len, p, why, whylen)
		     : parse_proof_text(in->proof, in->proof_len, p, why, whylen);
		if (rc == 0)
			rc = check_entry(p, payload, sha, why, whylen);
		if (rc == 0)
			rc = check_inclusion(in, p, vkey, tail, sizeof(tail));
		if (rc < 0) {
			if (tail[0])
				xerr(why, whylen, rc, "%s", tail);
			goto out;
		}
	}
	xerr(why, whylen, 0, "valid: certificate %.20s signed by key %s%s%s",
		json_string_value(json_object_get(payload, "cert_id")) ?
		json_string_value(json_object_get(payload, "cert_id")) : "?", kid, tail[0] ? "; " : "", tail);
	rc = 0;
out:
	if (p) {
		free(p->entry);
		free(p->checkpoint);
		free(p);
	}
	json_decref(payload);
	jws_free(j);
	return rc;
}
