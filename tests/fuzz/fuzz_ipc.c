/*
 * fuzz_ipc — the decoders of the frames between the daemon's processes
 * (core/ipc.c, issue 12): what a compromised http process could send the
 * ledger and devices processes.  Input: one byte that picks the type, then
 * the payload.  Properties: every decoder returns 0, -EPROTO, -EMSGSIZE or
 * -ERANGE (nothing else, no crash, no leak under ASan); what it accepts, its
 * encoder writes back to the same bytes (one meaning per frame), and the
 * strings it hands on are NUL-terminated within their arrays.
 */
#include "core/ipc.h"
#include "tests/fuzz/fuzz.h"

static const uint16_t types[] = { IPC_LINK, IPC_READY, IPC_LOGFD, IPC_LW_REQ, IPC_LW_REP, IPC_WHO_REQ, IPC_WHO_REP,
				  IPC_TICKET_REQ, IPC_TICKET_REP, IPC_DEV_REQ, IPC_DEV_REP, IPC_DEV_EVENT,
				  IPC_STATS_REQ, IPC_STATS_REP };
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int refusal(int rc)
{
	return rc == -EPROTO || rc == -EMSGSIZE || rc == -ERANGE;
}

static void same(const struct ipc_frame *f, int enc_rc, struct ipc_w *w)
{
	FUZZ_CHECK(enc_rc == 0);
	FUZZ_CHECK(w->len == f->len && (f->len == 0 || memcmp(w->buf, f->payload, f->len) == 0));
	ipc_w_free(w);
}

static void one(struct ipc_frame *f)
{
	struct ipc_w w = { 0 };
	int rc;

	switch (f->type) {
	case IPC_LINK: case IPC_READY: {
		unsigned peer;

		rc = ipc_dec_peer(f, &peer);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0)
			same(f, ipc_enc_peer(&w, peer), &w);
		break;
	}
	case IPC_LOGFD: case IPC_STATS_REQ:
		rc = ipc_dec_empty(f);
		FUZZ_CHECK(rc == 0 ? f->len == 0 : refusal(rc));
		break;
	case IPC_LW_REQ: {
		struct ipc_cred c;
		struct lw_op op;

		rc = ipc_dec_lw_req(f, &c, &op);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0) {
			FUZZ_CHECK(memchr(op.caller.actor, 0, sizeof(op.caller.actor)) != NULL);
			FUZZ_CHECK(memchr(c.text, 0, sizeof(c.text)) != NULL);
			same(f, ipc_enc_lw_req(&w, &c, &op), &w);
		}
		break;
	}
	case IPC_LW_REP: {
		struct lw_op op;
		char err[IPC_ERR_MAX];
		int orc;

		for (int t = 1; t < LW_NTYPES; t++) {
			memset(&op, 0, sizeof(op));
			op.type = (enum lw_type)t;
			rc = ipc_dec_lw_rep(f, &orc, err, sizeof(err), &op);
			FUZZ_CHECK(rc == 0 || refusal(rc));
			if (rc < 0)
				continue;
			FUZZ_CHECK(memchr(err, 0, sizeof(err)) != NULL);
			/* err is cut to its buffer and op->out made anew: not every accepted reply re-encodes the same */
			switch (op.type) {
			case LW_APPEND: case LW_ENROL: free(op.out.entry.entry); break;
			case LW_CERT_ISSUE: free(op.out.cert.cert); break;
			case LW_PATCH_AUDIT: free(op.out.patch_audit.entry); break;
			default: break;
			}
		}
		break;
	}
	case IPC_WHO_REQ: case IPC_TICKET_REQ: {
		struct ipc_cred c;

		rc = ipc_dec_cred(f, &c);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0)
			same(f, ipc_enc_cred(&w, &c), &w);
		break;
	}
	case IPC_WHO_REP: case IPC_TICKET_REP: {
		struct token_info tok;
		char ticket[IPC_CRED_MAX];
		uint64_t exp = 0;
		int who, t = f->type == IPC_TICKET_REP;

		rc = ipc_dec_who_rep(f, &who, &tok, t ? ticket : NULL, t ? sizeof(ticket) : 0, t ? &exp : NULL);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0)
			same(f, ipc_enc_who_rep(&w, who, &tok, t ? ticket : NULL, exp), &w);
		break;
	}
	case IPC_DEV_REQ: {
		struct ipc_dev_req *q = malloc(sizeof(*q));

		if (!q)
			return;
		rc = ipc_dec_dev_req(f, q);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0) {
			FUZZ_CHECK(!strncmp(q->path, "/v1/", 4));
			same(f, ipc_enc_dev_req(&w, q), &w);
		}
		free(q);
		break;
	}
	case IPC_DEV_REP: {
		struct ipc_dev_rep p;

		rc = ipc_dec_dev_rep(f, &p);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0) {
			FUZZ_CHECK(p.status >= 100 && p.status <= 599);
			same(f, ipc_enc_dev_rep(&w, &p), &w);
		}
		break;
	}
	case IPC_DEV_EVENT: {
		char type[IPC_EVENT_TYPE_MAX];
		const char *data;
		size_t len;

		rc = ipc_dec_event(f, type, &data, &len);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0)
			same(f, ipc_enc_event(&w, type, data, len), &w);
		break;
	}
	case IPC_STATS_REP: {
		struct ipc_stats s;

		rc = ipc_dec_stats(f, &s);
		FUZZ_CHECK(rc == 0 || refusal(rc));
		if (rc == 0) {
			FUZZ_CHECK(s.nrefusals <= IPC_REFUSALS_MAX);
			same(f, ipc_enc_stats(&w, &s), &w);
		}
		break;
	}
	default:
		break;
	}
}

/* Seeds: one valid payload of the busiest types, behind its type byte. */
static void seed_frame(const char *name, uint16_t type, const struct ipc_w *w)
{
	uint8_t *b = malloc(w->len + 1);
	size_t k;

	for (k = 0; k < NTYPES && types[k] != type; k++)
		;
	if (!b)
		return;
	b[0] = (uint8_t)k;
	memcpy(b + 1, w->buf, w->len);
	fuzz_seed(name, b, w->len + 1);
	free(b);
}

static void write_seeds(void)
{
	struct ipc_w w = { 0 };
	struct ipc_cred c = { .kind = IPC_CRED_BEARER, .text = "szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	struct lw_op op = { .type = LW_APPEND, .caller = { .role = LW_ROLE_TECH, .actor = "token:abcdefghijkl" } };
	struct ipc_dev_req q = { .cred = c, .method = IPC_M_POST, .path = "/v1/jobs", .query = "limit=5",
				 .content_type = "application/json", .host = "127.0.0.1:8420",
				 .body = (const uint8_t *)"{\"asset_id\":\"a\"}", .body_len = 16 };
	struct ipc_stats st = { .jobs = { 1, 2, 3 }, .nrefusals = 1, .refusals = { { "mounted", 4 } } };

	snprintf(op.in.append.subject, sizeof(op.in.append.subject), "asset:a1");
	snprintf(op.in.append.type, sizeof(op.in.append.type), "note");
	op.in.append.data.text = "{\"x\":1}";
	op.in.append.data.len = 7;
	if (ipc_enc_lw_req(&w, &c, &op) == 0)
		seed_frame("lw_req", IPC_LW_REQ, &w);
	if (ipc_enc_dev_req(&w, &q) == 0)
		seed_frame("dev_req", IPC_DEV_REQ, &w);
	if (ipc_enc_cred(&w, &c) == 0)
		seed_frame("who_req", IPC_WHO_REQ, &w);
	if (ipc_enc_event(&w, "job.progress", "{\"id\":\"job_x\"}", 14) == 0)
		seed_frame("event", IPC_DEV_EVENT, &w);
	if (ipc_enc_stats(&w, &st) == 0)
		seed_frame("stats", IPC_STATS_REP, &w);
	ipc_w_free(&w);
	exit(0);
}

FUZZ_SEEDS_INITIALIZE(write_seeds)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_frame f = { .fd = -1 };

	if (size < 1)
		return 0;
	f.type = types[data[0] % NTYPES];
	f.len = (uint32_t)(size - 1);
	f.payload = malloc(f.len ? f.len : 1);
	if (!f.payload)
		return 0;
	memcpy(f.payload, data + 1, f.len);
	one(&f);
	free(f.payload);
	return 0;
}
