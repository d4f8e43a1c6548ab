/*
 * ledger verify: recompute everything an auditor would, from the file alone.
 * Nothing stored is trusted: leaf hashes, tree nodes, the subjects' states
 * and the checkpoints are all derived again from the entries and compared.
 */
#include "audit/ledger_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b64.h"
#include "audit/jcs.h"
#include "audit/lifecycle.h"
#include "audit/note.h"

/*
 * Replay maps, open addressing, growing by doubling: subject -> its state and
 * last seq; serial -> the asset that enrolled it last (str) and that entry.
 */
struct smap {
	char **keys;
	unsigned char *vals;
	uint64_t *seqs;
	char **strs;
	size_t cap, n;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int smap_grow(struct smap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 1024;
	char **nk = calloc(ncap, sizeof(*nk)), **ns = calloc(ncap, sizeof(*ns));
	unsigned char *nv = calloc(ncap, 1);
	uint64_t *nq = calloc(ncap, sizeof(*nq));

	if (!nk || !nv || !nq || !ns) {
		free(nk);
		free(nv);
		free(nq);
		free(ns);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = fnv1a(m->keys[i]) & (ncap - 1);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->keys[i];
		nv[j] = m->vals[i];
		nq[j] = m->seqs[i];
		ns[j] = m->strs[i];
	}
	free(m->keys);
	free(m->vals);
	free(m->seqs);
	free(m->strs);
	m->keys = nk;
	m->vals = nv;
	m->seqs = nq;
	m->strs = ns;
	m->cap = ncap;
	return 0;
}

/* The slot of key: inserted (LC_NONE, seq 0, no str) if absent and insert; -1 absent, -2 ENOMEM. */
static long smap_find(struct smap *m, const char *key, int insert)
{
	size_t j;

	if (!m->cap && !insert)
		return -1;
	if ((m->n + 1) * 2 > m->cap && (insert || !m->cap) && smap_grow(m) < 0)
		return -2;
	j = fnv1a(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key))
			return (long)j;
		j = (j + 1) & (m->cap - 1);
	}
	if (!insert)
		return -1;
	m->keys[j] = strdup(key);
	if (!m->keys[j])
		return -2;
	m->vals[j] = LC_NONE;
	m->seqs[j] = 0;
	m->strs[j] = NULL;
	m->n++;
	return (long)j;
}

static void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->keys[i]);
		free(m->strs[i]);
	}
	free(m->keys);
	free(m->vals);
	free(m->seqs);
	free(m->strs);
	memset(m, 0, sizeof(*m));
}

struct vctx {
	struct ledger *l;
	struct ledger_verify_report *rep;
	uint64_t nodes;		/* interior nodes recomputed */
	struct smap states;	/* subject -> replayed state and last seq */
	struct smap serials;	/* serial -> the asset holding it */
};

static int bad(struct ledger_verify_report *rep, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct ledger_verify_report *rep, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	rep->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->message, sizeof(rep->message), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* The recomputed node must be the stored one. */
static int compare_node(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
	struct vctx *v = ctx;
	uint8_t stored[32];
	uint64_t first = index << level, last = ((index + 1) << level) - 1;

	v->nodes++;
	if (level == 0)		/* compared by check_entry, which can name the entry */
		return 0;
	if (ledger_get_node(v->l, level, index, stored) < 0 || memcmp(stored, h, 32)) {
		if (level == 1 && first == last - 1)
			return bad(v->rep, (int64_t)first,
				   "entries %llu..%llu do not match the stored tree (node %u/%llu):"
				   " one of them was changed",
				   (unsigned long long)first, (unsigned long long)last, level,
				   (unsigned long long)index);
		return bad(v->rep, (int64_t)first,
			   "entries %llu..%llu do not match the stored tree (node %u/%llu)",
			   (unsigned long long)first, (unsigned long long)last, level,
			   (unsigned long long)index);
	}
	return 0;
}

/* One entry: canonical, self-consistent, its leaf, its lifecycle step. */
static int check_entry(struct vctx *v, uint64_t seq, const char *subject,
		       const char *type, const char *text, size_t len, const uint8_t *leaf, int leaflen,
		       char prev_time[25])
{
	struct ledger_verify_report *rep = v->rep;
	json_error_t jerr;
	json_t *e = NULL, *data;
	char *canon = NULL, msg[300], why[160];
	size_t clen;
	uint8_t h[32];
	long slot;
	int rc = 0, next;
	const char *es, *et, *ea, *etime;
	json_int_t ev, eseq;

	merkle_leaf_hash(text, len, h);
	if (leaflen != 32 || memcmp(h, leaf, 32))
		return bad(rep, (int64_t)seq, "entry %llu: its text does not match its leaf in the tree",
			   (unsigned long long)seq);
	e = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!e)
		return bad(rep, (int64_t)seq, "entry %llu: not JSON: %s", (unsigned long long)seq, jerr.text);
	if (jcs_dump(e, 0, &canon, &clen) < 0 || clen != len || memcmp(canon, text, len)) {
		rc = bad(rep, (int64_t)seq, "entry %llu: not in canonical form", (unsigned long long)seq);
		goto out;
	}
	if (json_unpack(e, "{s:I, s:I, s:s, s:s, s:s, s:s, s:o !}", "v", &ev, "seq", &eseq,
			"time", &etime, "subject", &es, "type", &et, "actor", &ea, "data", &data) < 0 ||
	    ev != 1) {
		rc = bad(rep, (int64_t)seq, "entry %llu: not a version 1 entry", (unsigned long long)seq);
		goto out;
	}
	if ((uint64_t)eseq != seq) {
		rc = bad(rep, (int64_t)seq, "entry %llu: it says it is entry %lld (moved or swapped)",
			 (unsigned long long)seq, (long long)eseq);
		goto out;
	}
	if (strcmp(es, subject) || strcmp(et, type)) {
		rc = bad(rep, (int64_t)seq, "entry %llu: its index columns do not match its text",
			 (unsigned long long)seq);
		goto out;
	}
	if (ledger_time_check(etime, why, sizeof(why)) < 0) {
		rc = bad(rep, (int64_t)seq, "entry %llu: invalid time '%.40s': %s", (unsigned long long)seq,
			 etime, why);
		goto out;
	}
	/* entries are in time order as well as seq order (ledger_append); same-width text compares as time */
	if (seq > 0 && strcmp(etime, prev_time) < 0) {
		rc = bad(rep, (int64_t)seq, "entry %llu: its time %s is before %s, the time of entry %llu",
			 (unsigned long long)seq, etime, prev_time, (unsigned long long)seq - 1);
		goto out;
	}
	memcpy(prev_time, etime, 25);
	slot = smap_find(&v->states, es, 1);
	if (slot < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (lifecycle_check(es, et, data, v->states.vals[slot], &next, msg, sizeof(msg)) < 0) {
		rc = bad(rep, (int64_t)seq, "entry %llu breaks the lifecycle: %s", (unsigned long long)seq, msg);
		goto out;
	}
	v->states.vals[slot] = (unsigned char)next;
	v->states.seqs[slot] = seq;
	/* one live asset per serial (ledger_append's enrolled_elsewhere), replayed */
	if (!strcmp(et, "enrolled") && json_is_string(json_object_get(data, "serial"))) {
		const char *serial = json_string_value(json_object_get(data, "serial"));
		long k = smap_find(&v->serials, serial, 1), hold;

		if (k < 0) {
			rc = -ENOMEM;
			goto out;
		}
		if (v->serials.strs[k] && (hold = smap_find(&v->states, v->serials.strs[k], 0)) >= 0 &&
		    v->states.vals[hold] != LC_DESTROYED) {
			rc = bad(rep, (int64_t)seq, "entry %llu enrols serial '%.100s', which %.140s (entry %llu)"
				 " still holds: two live assets with one serial",
				 (unsigned long long)seq, serial, v->serials.strs[k],
				 (unsigned long long)v->serials.seqs[k]);
			goto out;
		}
		free(v->serials.strs[k]);
		v->serials.strs[k] = strdup(es);
		v->serials.seqs[k] = seq;
		if (!v->serials.strs[k]) {
			rc = -ENOMEM;
			goto out;
		}
	}
out:
	free(canon);
	json_decref(e);
	return rc;
}

static int check_entries(struct vctx *v, const struct ledger_verify_opts *opts, uint64_t total)
{
	struct ledger_verify_report *rep = v->rep;
	struct merkle_frontier fr = { .size = 0 };
	sqlite3_stmt *s = NULL;
	uint64_t expect = 0;
	char prev_time[25] = "";
	int src, rc = 0;

	if (sqlite3_prepare_v2(v->l->db, "SELECT e.seq, e.subject, e.type, e.entry, t.hash FROM entries e"
			       " LEFT JOIN tree t ON t.level = 0 AND t.idx = e.seq ORDER BY e.seq",
			       -1, &s, NULL) != SQLITE_OK)
		return ledger_seterr(v->l, -EIO, "cannot read entries: %s", sqlite3_errmsg(v->l->db));
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		const char *subject = (const char *)sqlite3_column_text(s, 1);
		const char *type = (const char *)sqlite3_column_text(s, 2);
		const char *text = (const char *)sqlite3_column_blob(s, 3);
		size_t len = (size_t)sqlite3_column_bytes(s, 3);
		uint8_t leaf[32] = { 0 };
		int leaflen = sqlite3_column_bytes(s, 4);

		if (seq != expect) {
			rc = bad(rep, (int64_t)expect, seq > expect ? "entry %llu is missing (deleted)"
								    : "entry %llu is out of order",
				 (unsigned long long)expect);
			break;
		}
		if (leaflen == 32)
			memcpy(leaf, sqlite3_column_blob(s, 4), 32);
		rc = check_entry(v, seq, subject ? subject : "", type ? type : "",
				 text ? text : "", len, leaf, leaflen, prev_time);
		if (rc < 0)
			break;
		rc = merkle_frontier_append(&fr, leaf, compare_node, v);
		if (rc < 0)
			break;
		expect++;
		rep->entries = expect;
		if (opts && opts->progress && (expect & 0xffff) == 0)
			opts->progress(opts->progress_ctx, expect, total);
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = ledger_seterr(v->l, -EIO, "cannot read entries: %s", sqlite3_errmsg(v->l->db));
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	merkle_frontier_root(&fr, rep->root);
	return 0;
}

/*
 * The subjects table is derived from the entries (each subject's state and
 * last entry): it must be exactly what the replay made, row for row, or
 * something (recovery, the API) would act on a state the entries do not
 * record.  The first difference is named.
 */
static int check_subjects(struct vctx *v)
{
	sqlite3_stmt *s = NULL;
	size_t rows = 0;
	int src, rc = 0;

	if (sqlite3_prepare_v2(v->l->db, "SELECT subject, state, last_seq FROM subjects ORDER BY subject",
			       -1, &s, NULL) != SQLITE_OK)
		return ledger_seterr(v->l, -EIO, "cannot read subjects: %s", sqlite3_errmsg(v->l->db));
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *subject = (const char *)sqlite3_column_text(s, 0);
		const char *state = (const char *)sqlite3_column_text(s, 1);
		uint64_t last = (uint64_t)sqlite3_column_int64(s, 2);
		long k = smap_find(&v->states, subject ? subject : "", 0);

		rows++;
		if (k < 0) {
			rc = bad(v->rep, -1, "the subjects table has a row for %.140s, which no entry names:"
				 " the derived state was changed behind the ledger's back", subject ? subject : "");
			break;
		}
		if (strcmp(state ? state : "", lifecycle_state_name(v->states.vals[k])) || last != v->states.seqs[k]) {
			rc = bad(v->rep, (int64_t)v->states.seqs[k],
				 "the subjects table says %.140s is '%.20s' after entry %llu, but its entries"
				 " make it '%s' after entry %llu: the derived state was changed behind the"
				 " ledger's back", subject, state ? state : "", (unsigned long long)last,
				 lifecycle_state_name(v->states.vals[k]), (unsigned long long)v->states.seqs[k]);
			break;
		}
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = ledger_seterr(v->l, -EIO, "cannot read subjects: %s", sqlite3_errmsg(v->l->db));
	sqlite3_finalize(s);
	if (rc == 0 && rows != v->states.n) {
		/* a row is missing: name the first subject (in entry order of the map) without one */
		for (size_t i = 0; i < v->states.cap && rc == 0; i++) {
			int st;
			if (!v->states.keys[i])
				continue;
			if (sqlite3_prepare_v2(v->l->db, "SELECT 1 FROM subjects WHERE subject = ?", -1, &s,
					       NULL) != SQLITE_OK)
				return ledger_seterr(v->l, -EIO, "cannot read subjects: %s", sqlite3_errmsg(v->l->db));
			sqlite3_bind_text(s, 1, v->states.keys[i], -1, SQLITE_STATIC);
			st = sqlite3_step(s);
			sqlite3_finalize(s);
			if (st == SQLITE_DONE)
				rc = bad(v->rep, (int64_t)v->states.seqs[i],
					 "the subjects table has no row for %.140s, whose last entry is %llu:"
					 " the derived state was changed behind the ledger's back",
					 v->states.keys[i], (unsigned long long)v->states.seqs[i]);
		}
		if (rc == 0)
			rc = bad(v->rep, -1, "the subjects table has %zu rows but the entries name %zu subjects",
				 rows, v->states.n);
	}
	return rc;
}

/*
 * SQLite's own check of the entries table and its indexes (by subject, and
 * the enrolled serials that the one-live-asset rule looks up): an index
 * that disagrees with the table would make that rule, or a subject's
 * history, see other entries than the ledger holds.
 */
static int check_indexes(struct vctx *v)
{
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(v->l->db, "PRAGMA integrity_check(entries)", -1, &s, NULL) != SQLITE_OK)
		return ledger_seterr(v->l, -EIO, "cannot check the entries' indexes: %s", sqlite3_errmsg(v->l->db));
	if (sqlite3_step(s) != SQLITE_ROW)
		rc = ledger_seterr(v->l, -EIO, "cannot check the entries' indexes: %s", sqlite3_errmsg(v->l->db));
	else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok"))
		rc = bad(v->rep, -1, "the entries' indexes disagree with the entries: %.300s",
			 (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc;
}

/* No node may exist that the entries do not account for (an insertion). */
static int check_node_count(struct vctx *v, uint64_t total)
{
	sqlite3_stmt *s = NULL;
	uint64_t have = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(v->l->db, "SELECT count(*) FROM tree", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		rc = ledger_seterr(v->l, -EIO, "cannot count tree nodes: %s", sqlite3_errmsg(v->l->db));
	else
		have = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == 0 && have != v->nodes)
		rc = bad(v->rep, (int64_t)total, "the tree holds %llu nodes but %llu entries need %llu",
			 (unsigned long long)have, (unsigned long long)total, (unsigned long long)v->nodes);
	return rc;
}

static int check_checkpoints(struct vctx *v, const char *origin, const uint8_t pub[32], uint64_t total,
			     int require)
{
	struct ledger_verify_report *rep = v->rep;
	struct checkpoint cp;
	sqlite3_stmt *s = NULL;
	uint8_t root[32];
	uint64_t covered = 0;
	int src, rc = 0;

	if (sqlite3_prepare_v2(v->l->db, "SELECT size, note FROM checkpoints ORDER BY size", -1, &s,
			       NULL) != SQLITE_OK)
		return ledger_seterr(v->l, -EIO, "cannot read checkpoints: %s", sqlite3_errmsg(v->l->db));
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t size = (uint64_t)sqlite3_column_int64(s, 0);
		const char *note = (const char *)sqlite3_column_text(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);

		rc = checkpoint_open(note ? note : "", len, origin, pub, &cp);
		if (rc < 0) {
			rc = bad(rep, -1, "checkpoint at size %llu: %s", (unsigned long long)size,
				 rc == -EBADMSG ? "no valid signature by the verifier key"
						: "malformed");
			break;
		}
		if (cp.size != size || size > total) {
			rc = bad(rep, size > total ? (int64_t)total : -1,
				 "checkpoint at size %llu: the ledger has only %llu entries",
				 (unsigned long long)cp.size, (unsigned long long)total);
			break;
		}
		rc = merkle_root(ledger_get_node, v->l, size, root);
		if (rc < 0)
			break;
		if (memcmp(root, cp.root, 32)) {
			rc = bad(rep, size ? (int64_t)size - 1 : -1,
				 "checkpoint at size %llu: the entries before it were rewritten"
				 " (its root differs)", (unsigned long long)size);
			break;
		}
		rep->checkpoints++;
		covered = size;
	}
	/*
	 * Entries after the latest checkpoint are not yet attested: a daemon
	 * signs them within its interval; one added behind its back stays so.
	 */
	rep->attested = covered;
	if (rc == 0 && src == SQLITE_DONE && covered < total && require)
		rc = bad(rep, (int64_t)covered,
			 "entries %llu..%llu are not covered by any signed checkpoint",
			 (unsigned long long)covered, (unsigned long long)total - 1);
	if (rc == 0 && src != SQLITE_DONE)
		rc = ledger_seterr(v->l, -EIO, "cannot read checkpoints: %s", sqlite3_errmsg(v->l->db));
	sqlite3_finalize(s);
	return rc;
}

/* A checkpoint kept elsewhere: the ledger must extend it (RFC 9162 2.1.4). */
static int check_kept(struct vctx *v, const struct ledger_verify_opts *opts, const char *origin,
		      const uint8_t pub[32], uint64_t total)
{
	struct checkpoint cp;
	uint8_t root[32];
	int rc;

	rc = checkpoint_open(opts->checkpoint, opts->checkpoint_len, origin, pub, &cp);
	if (rc < 0)
		return bad(v->rep, -1, "the given checkpoint is %s",
			   rc == -EBADMSG ? "not signed by the verifier key" : "malformed");
	if (cp.size > total)
		return bad(v->rep, (int64_t)total,
			   "the ledger has %llu entries but the given checkpoint covers %llu:"
			   " its tail was cut", (unsigned long long)total, (unsigned long long)cp.size);
	rc = merkle_root(ledger_get_node, v->l, cp.size, root);
	if (rc < 0)
		return rc;
	if (memcmp(root, cp.root, 32))
		return bad(v->rep, cp.size ? (int64_t)cp.size - 1 : -1,
			   "the ledger is not consistent with the given checkpoint at size %llu:"
			   " history was rewritten", (unsigned long long)cp.size);
	return 0;
}

int ledger_verify(struct ledger *l, const struct ledger_verify_opts *opts,
		  struct ledger_verify_report *rep)
{
	struct vctx v = { .l = l, .rep = rep };
	char *origin = NULL, *own_origin = NULL;
	uint8_t pub[32], own_pub[32];
	uint64_t total;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->bad_seq = -1;

	rc = sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
	if (rc < 0)
		return ledger_seterr(l, rc, "cannot read the ledger: %s", sqlite3_errmsg(l->db));
	rc = ledger_size(l, &total);
	if (rc < 0)
		goto out;
	rc = ledger_identity(l, &own_origin, own_pub);
	if (rc < 0)
		goto out;
	if (opts && opts->vkey) {
		rc = note_verifier_parse(opts->vkey, &origin, pub);
		if (rc < 0) {
			rc = ledger_seterr(l, -EINVAL, "the verifier key is malformed");
			goto out;
		}
	} else {
		origin = strdup(own_origin);
		memcpy(pub, own_pub, 32);
		if (!origin) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = check_entries(&v, opts, total);
	if (rc == 0)
		rc = check_node_count(&v, total);
	if (rc == 0)
		rc = check_checkpoints(&v, origin, pub, total, opts && opts->require_attested);
	if (rc == 0 && opts && opts->checkpoint)
		rc = check_kept(&v, opts, origin, pub, total);
	if (rc == 0 && (strcmp(origin, own_origin) || memcmp(pub, own_pub, 32)))
		rc = bad(rep, -1, "the ledger names another signing key than the verifier's");
	/* the evidence first, then what is derived from it */
	if (rc == 0)
		rc = check_subjects(&v);
	if (rc == 0)
		rc = check_indexes(&v);
	if (rc == 0)
		snprintf(rep->message, sizeof(rep->message),
			 "ledger verified: %llu entries, %llu checkpoints, times in order,"
			 " subjects and indexes match the entries%s%s",
			 (unsigned long long)rep->entries, (unsigned long long)rep->checkpoints,
			 opts && opts->checkpoint ? ", consistent with the given checkpoint" : "",
			 rep->attested < rep->entries ? "; the entries after the latest checkpoint"
							 " are not attested yet" : "");
out:
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	smap_free(&v.states);
	smap_free(&v.serials);
	free(origin);
	free(own_origin);
	return rc;
}
