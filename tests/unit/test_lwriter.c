/*
 * The ledger writer over a real ledger file: each operation does what its
 * audit function does; the writer refuses a role that may not ask (-EPERM)
 * and out-of-range operations (-EINVAL) before anything is written; the
 * lifecycle rules still hold under it; a reader's checkpoint request signs
 * only a ledger's first; appends submitted together share commits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/keys.h"
#include "audit/ledger.h"
#include "audit/lwriter.h"
#include "tests/unit/tap.h"

#define ORIGIN "test.example/lwriter"
#define NTHREADS 16

static char dir[] = "/tmp/sz-test-lwriter.XXXXXX";
static struct ledger *l, *rd;		/* the writer's connection, and a reader */
static struct lwriter *w;

static uint64_t size_of(void)
{
	uint64_t n = 0;

	ledger_size(rd, &n);
	return n;
}

/* the tree size the latest checkpoint note covers (its second line), 0 if none */
static unsigned long long ckpt_size(void)
{
	char *note = NULL, *p;
	unsigned long long n = 0;

	if (ledger_checkpoint_latest(rd, &note) == 0 && (p = strchr(note, '\n')))
		n = strtoull(p + 1, NULL, 10);
	free(note);
	return n;
}

static struct lw_op op_of(enum lw_type type, unsigned role, const char *actor)
{
	struct lw_op op;

	memset(&op, 0, sizeof(op));
	op.type = type;
	op.caller.role = role;
	snprintf(op.caller.actor, sizeof(op.caller.actor), "%s", actor);
	if (role == LW_ROLE_CUSTOMER)
		snprintf(op.caller.tenant, sizeof(op.caller.tenant), "acme");
	return op;
}

static struct lw_op append_op(unsigned role, const char *subject, const char *type, const char *data)
{
	struct lw_op op = op_of(LW_APPEND, role, role == LW_ROLE_SERVICE ? "sanitizerd" : "token:t1");

	snprintf(op.in.append.subject, sizeof(op.in.append.subject), "%s", subject);
	snprintf(op.in.append.type, sizeof(op.in.append.type), "%s", type);
	op.in.append.data = (struct lw_text){ data, data ? strlen(data) : 0 };
	return op;
}

static int run(struct lw_op *op, char *err, size_t errlen)
{
	int rc = lwriter_run(w, op, err, errlen);

	if (op->type == LW_APPEND || op->type == LW_ENROL) {
		free(op->out.entry.entry);
		op->out.entry.entry = NULL;
	}
	return rc;
}

static const char enrol_data[] = "{\"serial\":\"SN-1\",\"model\":\"WD Blue\",\"media_type\":\"hdd\","
	"\"capacity_bytes\":4096,\"tenant\":\"acme\"}";

static const char completed[] =
	"{\"job_id\":\"j1\",\"method\":\"clear-zero\",\"category\":\"clear\",\"technique\":\"Overwrite\","
	"\"verification\":{\"method\":\"full\",\"result\":\"passed\",\"bytes_read\":4096},\"passes\":1,"
	"\"bytes_written\":4096,\"duration_ms\":5,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},"
	"\"device\":{\"path\":\"/dev/loop7\",\"identity\":\"loop:/tmp/x\",\"model\":\"Disk\",\"serial\":\"SN-1\","
	"\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T00:00:00.000Z\","
	"\"completed_at\":\"2026-01-01T00:00:05.000Z\"}";

static const char audit_body[] =
	"{\"scanner\":\"test/1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}";

static void test_checkpoint_first(void)
{
	struct lw_op op = op_of(LW_CHECKPOINT, LW_ROLE_ANONYMOUS, "token:anonymous");
	char err[256];

	CHECK(ckpt_size() == 0 && ledger_checkpoint_latest(rd, &(char *){ NULL }) == -ENOENT, "no checkpoint yet");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "an anonymous reader gets a first checkpoint signed (%s)", err);
	CHECK_EQ_INT(ckpt_size(), 0, "it covers the empty tree");
}

static void test_operations(void)
{
	struct lw_op op;
	char err[512];
	uint64_t n;

	/* enrol */
	op = op_of(LW_ENROL, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.enrol.asset_id, sizeof(op.in.enrol.asset_id), "a1");
	op.in.enrol.data = (struct lw_text){ enrol_data, strlen(enrol_data) };
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), 0, "a technician enrols an asset (%s)", err);
	CHECK_EQ_INT(op.out.entry.seq, 0, "the first entry");
	CHECK(op.out.entry.entry && strstr(op.out.entry.entry, "\"type\":\"enrolled\"") &&
	      strstr(op.out.entry.entry, "\"subject\":\"asset:a1\"") && strstr(op.out.entry.entry, "\"actor\":\"token:t1\""),
	      "the entry is the enrolment of asset:a1 by the caller's actor");
	free(op.out.entry.entry);
	op = op_of(LW_ENROL, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.enrol.asset_id, sizeof(op.in.enrol.asset_id), "a2");
	op.in.enrol.data = (struct lw_text){ enrol_data, strlen(enrol_data) };
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPROTO, "the same serial again is refused by the ledger (%s)", err);

	/* append, and the lifecycle rules the ledger keeps */
	op = append_op(LW_ROLE_TECH, "asset:a1", "retired", "{}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "a technician appends retired (%s)", err);
	op = append_op(LW_ROLE_SERVICE, "asset:a1", "sanitize_completed", completed);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPROTO, "sanitize_completed before sanitize_started: 409 (%s)", err);
	n = size_of();
	op = append_op(LW_ROLE_TECH, "asset:a1", "sanitize_started", "{\"job_id\":\"j1\"}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPERM, "a technician may not write sanitize_started (%s)", err);
	CHECK_EQ_INT(size_of(), n, "nothing written");
	op = append_op(LW_ROLE_SERVICE, "asset:a1", "sanitize_started", "{\"job_id\":\"j1\"}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "the service writes sanitize_started (%s)", err);
	op = append_op(LW_ROLE_SERVICE, "asset:a1", "sanitize_completed", completed);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "and sanitize_completed (%s)", err);
	CHECK_EQ_INT(size_of(), n + 2, "two entries");

	/* issue a certificate */
	n = size_of();
	op = op_of(LW_CERT_ISSUE, LW_ROLE_AUDITOR, "token:t2");
	snprintf(op.in.cert.asset_id, sizeof(op.in.cert.asset_id), "a1");
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), -EPERM, "an auditor may not issue a certificate (%s)", err);
	CHECK(!op.out.cert.cert && size_of() == n, "no certificate, nothing written");
	op = op_of(LW_CERT_ISSUE, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.cert.asset_id, sizeof(op.in.cert.asset_id), "a1");
	op.in.cert.request = (struct lw_text){ "{\"destination\":\"reuse\"}", 23 };
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), 0, "a technician issues the certificate (%s)", err);
	CHECK(op.out.cert.cert && strstr(op.out.cert.cert, "\"id\":\"crt_") && strstr(op.out.cert.cert, "\"jws\":\""),
	      "the result is {id, jws} as text");
	CHECK_EQ_INT(size_of(), n + 1, "one certificate_issued entry");
	CHECK(ckpt_size() == size_of(), "signed with the writer's key: a checkpoint covers it");
	free(op.out.cert.cert);
	op = op_of(LW_CERT_ISSUE, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.cert.asset_id, sizeof(op.in.cert.asset_id), "a1");
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), -EPROTO, "a second one for that wipe: 409 (%s)", err);
	CHECK(err[0] != '\0' && !op.out.cert.cert, "with cert_issue's message, no result");

	/* tokens */
	n = size_of();
	op = op_of(LW_TOKEN_CREATE, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.token_create.role, sizeof(op.in.token_create.role), "admin");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPERM, "a technician may not create a token (%s)", err);
	CHECK_EQ_INT(size_of(), n, "nothing written");
	op = op_of(LW_TOKEN_CREATE, LW_ROLE_ADMIN, "token:t0");
	snprintf(op.in.token_create.role, sizeof(op.in.token_create.role), "customer");
	snprintf(op.in.token_create.name, sizeof(op.in.token_create.name), "portal");
	snprintf(op.in.token_create.tenant, sizeof(op.in.token_create.tenant), "acme");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "an admin creates a customer token (%s)", err);
	CHECK(!strncmp(op.out.token.secret, TOKEN_PREFIX, 4) && strlen(op.out.token.secret) == TOKEN_LEN &&
	      !strcmp(op.out.token.info.tenant, "acme") && strlen(op.out.token.info.id) == TOKEN_ID_LEN,
	      "its secret, id and tenant come back");
	{
		struct token_info ti;
		CHECK_EQ_INT(token_check(rd, op.out.token.secret, &ti), 0, "the new token is live");
	}
	char id[TOKEN_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", op.out.token.info.id);
	op = op_of(LW_TOKEN_REVOKE, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.token_revoke.id, sizeof(op.in.token_revoke.id), "%s", id);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPERM, "a technician may not revoke a token (%s)", err);
	op = op_of(LW_TOKEN_REVOKE, LW_ROLE_ADMIN, "token:t0");
	snprintf(op.in.token_revoke.id, sizeof(op.in.token_revoke.id), "%s", id);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "an admin revokes it (%s)", err);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EALREADY, "twice: already revoked");
	CHECK_EQ_INT(size_of(), n + 2, "token_created and token_revoked");

	/* patch audit */
	n = size_of();
	op = op_of(LW_PATCH_AUDIT, LW_ROLE_CUSTOMER, "token:t3");
	snprintf(op.in.patch_audit.host, sizeof(op.in.patch_audit.host), "web1");
	op.in.patch_audit.body = (struct lw_text){ audit_body, strlen(audit_body) };
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPERM, "a customer may not record a patch audit (%s)", err);
	op = op_of(LW_PATCH_AUDIT, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.patch_audit.host, sizeof(op.in.patch_audit.host), "web1");
	op.in.patch_audit.body = (struct lw_text){ audit_body, strlen(audit_body) };
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), 0, "a technician records a patch audit (%s)", err);
	CHECK(op.out.patch_audit.entry && strstr(op.out.patch_audit.entry, "host_audit"), "the entry comes back as text");
	free(op.out.patch_audit.entry);
	CHECK_EQ_INT(size_of(), n + 1, "one host_audit entry");
	op = op_of(LW_PATCH_AUDIT, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.patch_audit.host, sizeof(op.in.patch_audit.host), "web1");
	op.in.patch_audit.body = (struct lw_text){ "{\"checks\":[]}", 13 };
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "a body patch_audit_record refuses is still refused (%s)", err);
	CHECK_EQ_INT(size_of(), n + 1, "nothing more written");
}

static void test_checkpoints(void)
{
	struct lw_op op;
	char err[256];
	unsigned long long before;

	/* the policy given at start (every 1000 entries or an hour) leaves a note appended now unattested */
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{\"text\":\"hello\"}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "a note (%s)", err);
	before = ckpt_size();
	CHECK(before < size_of(), "not covered yet");
	op = op_of(LW_CHECKPOINT, LW_ROLE_ANONYMOUS, "token:anonymous");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "an anonymous request to sign (%s)", err);
	CHECK_EQ_INT(ckpt_size(), before, "signs nothing when a checkpoint exists (issue 11)");
	op = op_of(LW_CHECKPOINT, LW_ROLE_TECH, "token:t1");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "nor does a technician's");
	CHECK_EQ_INT(ckpt_size(), before, "still the old one");
	op = op_of(LW_CHECKPOINT, LW_ROLE_SERVICE, "sanitizerd");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), 0, "the service signs (%s)", err);
	CHECK_EQ_INT(ckpt_size(), size_of(), "the checkpoint covers the tree");
}

static void test_invalid(void)
{
	static char big[LW_TEXT_MAX + 2];
	struct lw_op op;
	char err[256];
	uint64_t n = size_of();
	int type;

	CHECK_EQ_INT(lwriter_run(w, NULL, err, sizeof(err)), -EINVAL, "no operation: EINVAL");
	for (type = -1; type <= LW_NTYPES + 1; type += LW_NTYPES + 1) {
		op = append_op(LW_ROLE_ADMIN, "asset:a1", "note", "{}");
		op.type = (enum lw_type)type;
		CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "unknown type %d: EINVAL (%s)", type, err);
	}
	op = append_op(LW_ROLE_ADMIN, "asset:a1", "note", "{}");
	op.type = (enum lw_type)0;
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "type 0: EINVAL");
	op = append_op(0, "asset:a1", "note", "{}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "no role: EINVAL (%s)", err);
	op = append_op(LW_ROLE_ADMIN | LW_ROLE_TECH, "asset:a1", "note", "{}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "two roles at once: EINVAL");
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{}");
	memset(op.caller.actor, 'a', sizeof(op.caller.actor));
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "an actor without its NUL: EINVAL (%s)", err);
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{}");
	op.caller.actor[0] = '\0';
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "an empty actor: EINVAL");
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{}");
	snprintf(op.caller.tenant, sizeof(op.caller.tenant), "acme");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "a technician with a tenant: EINVAL (%s)", err);
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{}");
	memset(op.in.append.subject, 'x', sizeof(op.in.append.subject));
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "an over-long subject: EINVAL (%s)", err);
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{}");
	memset(op.in.append.type, 'n', sizeof(op.in.append.type));
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "an over-long type: EINVAL");
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", NULL);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "no data: EINVAL (%s)", err);
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", NULL);
	op.in.append.data = (struct lw_text){ big, sizeof(big) };
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "data over LW_TEXT_MAX: EINVAL (%s)", err);
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "[1]");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "data not an object: EINVAL (%s)", err);
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{\"a\":1,\"a\":2}");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "a duplicate member: EINVAL");
	op = append_op(LW_ROLE_TECH, "asset:a1", "note", "{}");
	op.in.append.data.len = 1;
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "a truncated text: EINVAL");
	op = append_op(LW_ROLE_ADMIN, "asset:a9", "enrolled", enrol_data);
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "enrolled through append: EINVAL (%s)", err);
	op = op_of(LW_ENROL, LW_ROLE_TECH, "token:t1");
	op.in.enrol.data = (struct lw_text){ enrol_data, strlen(enrol_data) };
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "enrol without an asset id: EINVAL");
	memset(op.in.enrol.asset_id, 'z', sizeof(op.in.enrol.asset_id));
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "enrol with an over-long asset id: EINVAL");
	op = op_of(LW_ENROL, LW_ROLE_AUDITOR, "token:t2");
	snprintf(op.in.enrol.asset_id, sizeof(op.in.enrol.asset_id), "a9");
	op.in.enrol.data = (struct lw_text){ enrol_data, strlen(enrol_data) };
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EPERM, "an auditor may not enrol (%s)", err);
	op = op_of(LW_CERT_ISSUE, LW_ROLE_TECH, "token:t1");
	memset(op.in.cert.asset_id, 'c', sizeof(op.in.cert.asset_id));
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), -EINVAL, "a certificate for an over-long asset id: EINVAL");
	op = op_of(LW_TOKEN_CREATE, LW_ROLE_ADMIN, "token:t0");
	memset(op.in.token_create.role, 'r', sizeof(op.in.token_create.role));
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "a token role without its NUL: EINVAL");
	op = op_of(LW_TOKEN_CREATE, LW_ROLE_ADMIN, "token:t0");
	snprintf(op.in.token_create.role, sizeof(op.in.token_create.role), "admin");
	memset(op.in.token_create.name, 'n', sizeof(op.in.token_create.name));
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "a token name of 128 bytes: EINVAL");
	op = op_of(LW_TOKEN_REVOKE, LW_ROLE_ADMIN, "token:t0");
	CHECK_EQ_INT(run(&op, err, sizeof(err)), -EINVAL, "revoke without an id: EINVAL");
	op = op_of(LW_PATCH_AUDIT, LW_ROLE_TECH, "token:t1");
	snprintf(op.in.patch_audit.host, sizeof(op.in.patch_audit.host), "web1");
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), -EINVAL, "a patch audit without a body: EINVAL (%s)", err);
	memset(op.in.patch_audit.host, 'h', sizeof(op.in.patch_audit.host));
	op.in.patch_audit.body = (struct lw_text){ audit_body, strlen(audit_body) };
	CHECK_EQ_INT(lwriter_run(w, &op, err, sizeof(err)), -EINVAL, "a host without its NUL: EINVAL");
	CHECK_EQ_INT(size_of(), n, "none of them wrote anything");
}

/* ---- group commit ---- */

static pthread_barrier_t gate;

static void *appender(void *arg)
{
	long i = (long)arg;
	char subject[64], err[256];
	struct lw_op op;

	snprintf(subject, sizeof(subject), "asset:a1");
	op = append_op(LW_ROLE_TECH, subject, "note", "{\"text\":\"together\"}");
	pthread_barrier_wait(&gate);
	long rc = run(&op, err, sizeof(err));
	if (rc)
		printf("# appender %ld: %ld %s\n", i, rc, err);
	return (void *)rc;
}

static void test_group(void)
{
	pthread_t th[NTHREADS];
	unsigned long c0 = lwriter_commits(w), c1;
	uint64_t n = size_of();
	int ok = 1;

	pthread_barrier_init(&gate, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, appender, (void *)i);
	for (int i = 0; i < NTHREADS; i++) {
		void *rc;
		pthread_join(th[i], &rc);
		ok &= rc == NULL;
	}
	pthread_barrier_destroy(&gate);
	c1 = lwriter_commits(w);
	CHECK(ok, "%d appends from %d threads all succeed", NTHREADS, NTHREADS);
	CHECK_EQ_INT(size_of(), n + NTHREADS, "%d entries", NTHREADS);
	CHECK(c1 - c0 < NTHREADS && c1 > c0, "they share commits: %lu commits for %d appends", c1 - c0, NTHREADS);
}

int main(void)
{
	char path[256], err[256];
	struct sz_key *key = NULL;
	uint8_t pub[32];
	struct lwriter_config cfg = { .origin = ORIGIN, .ckpt_every_n = 1000, .ckpt_every_ms = 3600000,
		.cert = { .org_name = "Acme Recycling", .tool_name = "sanitizerd", .tool_version = "0.1.0" } };

	/* test builds: every group commit takes 20 ms more, so concurrent appends queue up behind one */
	setenv("SZ_TEST_WRITER_DELAY_MS", "20", 1);
	if (!mkdtemp(dir) || key_generate(&key) < 0)
		return 1;
	key_public(key, pub);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	if (ledger_open(path, LEDGER_CREATE | LEDGER_NOSYNC, &l, err, sizeof(err)) < 0 ||
	    ledger_set_identity(l, ORIGIN, pub) < 0 || ledger_open(path, LEDGER_RDONLY, &rd, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		return 1;
	}
	cfg.ledger = l;
	cfg.key = key;
	{
		struct lwriter_config bad = cfg;
		struct lwriter *none = (struct lwriter *)1;
		struct sz_key *k2 = NULL;
		bad.ledger = NULL;
		CHECK(key_generate(&k2) == 0, "a second key");
		bad.key = k2;
		CHECK_EQ_INT(lwriter_start(&bad, &none), -EINVAL, "no ledger: EINVAL (the key is freed: ASan)");
		CHECK(none == NULL, "and no writer");
	}
	CHECK_EQ_INT(lwriter_start(&cfg, &w), 0, "the writer starts");
	if (!w)
		return tap_done();
	test_checkpoint_first();
	test_operations();
	test_checkpoints();
	test_invalid();
	test_group();
	lwriter_stop(w);
	lwriter_stop(NULL);
	CHECK(ckpt_size() == size_of(), "stopping attests the tail");
	ledger_close(rd);
	ledger_close(l);
	{
		char f[300];
		const char *names[] = { "ledger.db", "ledger.db-wal", "ledger.db-shm" };
		for (size_t i = 0; i < 3; i++) {
			snprintf(f, sizeof(f), "%s/%s", dir, names[i]);
			unlink(f);
		}
		rmdir(dir);
	}
	return tap_done();
}
