/*
 * The Shellshock probe against the system bash (patched, every check) and
 * against stand-ins built from tests/helpers: fakebash_vuln (every bug, or
 * one bug when a copy's file name names a CVE), fakebash_hang (never ends,
 * leaves a child behind), fakebash_crash (SIGSEGV).  A crash and a timeout
 * are vulnerable; a binary that is no shell is inconclusive; the probe
 * always returns in time and leaves nothing behind.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/probe.h"
#include "util/xio.h"
#include "tests/unit/tap.h"

#define HELPERS "build/tests/"

static char tmp[] = "/tmp/sz-test-probe.XXXXXX";

static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

static int copy_file(const char *from, const char *to)
{
	char *buf = NULL;
	size_t len;
	int fd, rc;

	rc = xread_file(from, 16 << 20, &buf, &len);
	if (rc < 0)
		return rc;
	rc = xopen(to, O_WRONLY | O_CREAT | O_TRUNC, 0700, &fd);
	if (rc == 0) {
		rc = xwrite_full(fd, buf, len);
		xclose(fd);
	}
	free(buf);
	return rc;
}

static int have(const char *path)
{
	return access(path, X_OK) == 0;
}

static void skip(const char *why)
{
	printf("ok %d # skip %s\n", ++tap_n, why);
}

/* Every check of bash has status want; evidence must contain sign. */
static void all_are(const char *bash, const struct probe_opts *o, int want, const char *sign)
{
	struct probe_result res[PROBE_CHECKS];
	char err[256] = "";
	double t0 = xmono();
	int rc = probe_run(bash, o, res, err, sizeof(err));

	CHECK_EQ_INT(rc, 0, "%s: the probe runs (%s)", bash, err);
	if (rc < 0)
		return;
	for (size_t i = 0; i < PROBE_CHECKS; i++) {
		CHECK_STR(probe_status_name(res[i].status), probe_status_name(want), "%s: %s is %s", bash,
			  res[i].id, probe_status_name(want));
		CHECK(strstr(res[i].evidence, sign) != NULL, "%s: %s evidence says '%s' (%s)", bash, res[i].id,
		      sign, res[i].evidence);
	}
	printf("# %s: %.2f s for %d checks\n", bash, xmono() - t0, PROBE_CHECKS);
}

static void system_bash(const struct probe_opts *o)
{
	all_are("/bin/bash", o, PROBE_PATCHED, "no sign of the bug");
}

static void fake_vulnerable(const struct probe_opts *o)
{
	static const char *const sign[PROBE_CHECKS] = {
		"printing SZPROBE_VULNERABLE", "file ./echo created", "exit status 1",
		"killed by signal 11 (SIGSEGV)", "killed by signal 11 (SIGSEGV)", "printing SZPROBE_VULNERABLE",
	};
	struct probe_result res[PROBE_CHECKS];
	char err[256] = "";

	if (!have(HELPERS "fakebash_vuln"))
		return skip("build/tests/fakebash_vuln not built");
	CHECK_EQ_INT(probe_run(HELPERS "fakebash_vuln", o, res, err, sizeof(err)), 0, "fakebash_vuln runs (%s)", err);
	for (size_t i = 0; i < PROBE_CHECKS; i++) {
		CHECK_EQ_INT(res[i].status, PROBE_VULNERABLE, "fakebash_vuln: %s is vulnerable", res[i].id);
		CHECK(strstr(res[i].evidence, sign[i]) != NULL, "fakebash_vuln: %s evidence: %s", res[i].id,
		      res[i].evidence);
	}
	CHECK(dir_empty(o->tmp_parent), "the per-check directories (and ./echo) are gone");
}

/* A copy that has one bug only: exactly that check fires, the others do not cross over. */
static void fake_one_bug(const struct probe_opts *o)
{
	for (size_t k = 0; k < PROBE_CHECKS; k++) {
		struct probe_result res[PROBE_CHECKS];
		char path[256], err[256] = "";
		const char *id = probe_check_id(k);

		snprintf(path, sizeof(path), "%s/only/bash-%s", tmp, id + 9);
		if (copy_file(HELPERS "fakebash_vuln", path) < 0)
			return skip("cannot copy fakebash_vuln");
		CHECK_EQ_INT(probe_run(path, o, res, err, sizeof(err)), 0, "bash-%s runs (%s)", id + 9, err);
		for (size_t i = 0; i < PROBE_CHECKS; i++)
			CHECK_EQ_INT(res[i].status, i == k ? PROBE_VULNERABLE : PROBE_PATCHED,
				     "a bash with only %s: %s is %s (%s)", id, res[i].id,
				     i == k ? "vulnerable" : "patched", res[i].evidence);
		unlink(path);
	}
}

static void fake_hang(void)
{
	struct probe_opts o = { .timeout_ms = 400, .tmp_parent = tmp };
	struct probe_result r;
	char err[256] = "";
	double t0;

	if (!have(HELPERS "fakebash_hang"))
		return skip("build/tests/fakebash_hang not built");
	all_are(HELPERS "fakebash_hang", &o, PROBE_VULNERABLE, "timed out after 400 ms, process group killed");
	t0 = xmono();
	CHECK_EQ_INT(probe_run_one(HELPERS "fakebash_hang", 0, &o, &r, err, sizeof(err)), 0, "one hung check");
	/* the child it left behind held the pipe: the group kill must have ended it too */
	CHECK(xmono() - t0 < 0.4 + 0.5, "a hung check returns within its limit (%.2f s)", xmono() - t0);
	CHECK(r.elapsed_s >= 0.39, "and did wait for the limit (%.2f s)", r.elapsed_s);
}

static void fake_crash(const struct probe_opts *o)
{
	if (!have(HELPERS "fakebash_crash"))
		return skip("build/tests/fakebash_crash not built");
	all_are(HELPERS "fakebash_crash", o, PROBE_VULNERABLE, "killed by signal 11 (SIGSEGV)");
}

static void not_a_bash(const struct probe_opts *o)
{
	struct probe_result res[PROBE_CHECKS], small;
	struct probe_opts tiny = *o;
	char err[256] = "", path[256];
	json_t *j = (json_t *)1;
	int fd;

	all_are("/bin/true", o, PROBE_INCONCLUSIVE, "no control marker");
	probe_run("/bin/true", o, res, err, sizeof(err));
	CHECK_EQ_INT(probe_results_json(res, PROBE_CHECKS, &j), -EINVAL, "an inconclusive run cannot become an audit");
	CHECK(j == NULL, "and nothing is returned");

	/* output over the cap proves nothing either */
	tiny.output_cap = 4;
	CHECK_EQ_INT(probe_run_one("/bin/bash", 0, &tiny, &small, err, sizeof(err)), 0, "a capped run");
	CHECK_EQ_INT(small.status, PROBE_INCONCLUSIVE, "output past the cap is inconclusive (%s)", small.evidence);

	CHECK_EQ_INT(probe_run_one("/nonexistent/bash", 0, o, &small, err, sizeof(err)), -ENOENT,
		     "a missing binary: -ENOENT");
	CHECK(strstr(err, "cannot execute /nonexistent/bash") != NULL, "with a message: %s", err);
	CHECK_EQ_INT(probe_run_one(tmp, 0, o, &small, err, sizeof(err)), -EACCES, "a directory: -EACCES");
	snprintf(path, sizeof(path), "%s/noexec", tmp);
	if (xopen(path, O_WRONLY | O_CREAT, 0600, &fd) == 0)
		xclose(fd);
	CHECK_EQ_INT(probe_run_one(path, 0, o, &small, err, sizeof(err)), -EACCES, "not executable: -EACCES (%s)", err);
	unlink(path);
	CHECK_EQ_INT(probe_run_one("/bin/bash", PROBE_CHECKS, o, &small, err, sizeof(err)), -EINVAL,
		     "a check index past the end: -EINVAL");
	CHECK(probe_check_id(PROBE_CHECKS) == NULL, "no id past the end");
}

static void json_shape(const struct probe_opts *o)
{
	struct probe_result res[PROBE_CHECKS];
	char err[256] = "";
	json_t *j = NULL, *c;
	size_t i;

	if (probe_run("/bin/bash", o, res, err, sizeof(err)) < 0)
		return skip("no bash");
	CHECK_EQ_INT(probe_results_json(res, PROBE_CHECKS, &j), 0, "results as a checks array");
	CHECK_EQ_INT(json_array_size(j), PROBE_CHECKS, "one element per check");
	json_array_foreach(j, i, c) {
		CHECK(json_object_size(c) == 3 && json_is_string(json_object_get(c, "evidence")),
		      "checks[%zu] is {id, status, evidence}", i);
		CHECK_STR(json_string_value(json_object_get(c, "id")), probe_check_id(i), "checks[%zu].id", i);
		CHECK_STR(json_string_value(json_object_get(c, "status")), "patched", "checks[%zu].status", i);
	}
	json_decref(j);
}

int main(void)
{
	struct probe_opts o = { .tmp_parent = tmp };
	char only[300];

	if (!mkdtemp(tmp))
		return 1;
	snprintf(only, sizeof(only), "%s/only", tmp);
	mkdir(only, 0700);

	system_bash(&o);
	json_shape(&o);
	/* the stand-ins run with their own directory parent: it must end up empty */
	{
		char p[300];
		struct probe_opts v = o;
		snprintf(p, sizeof(p), "%s/vuln", tmp);
		mkdir(p, 0700);
		v.tmp_parent = p;
		fake_vulnerable(&v);
		rmdir(p);
	}
	o.tmp_parent = only;
	fake_one_bug(&o);
	o.tmp_parent = tmp;
	fake_hang();
	fake_crash(&o);
	not_a_bash(&o);

	rmdir(only);
	CHECK(dir_empty(tmp), "no probe directory is left behind");
	rmdir(tmp);
	return tap_done();
}
