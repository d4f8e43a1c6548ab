/*
 * probe — the Shellshock proof-of-concept checks of SPEC section 9, run
 * against a bash binary: CVE-2014-6271, -7169, -7186, -7187, -6277, -6278.
 *
 * This is the one place in sanitizerd that starts a program (scripts/banned.sh
 * enforces it): bash itself is the program under test.  Each check forks and
 * execve()s the given binary with a fixed argv that we wrote, an environment
 * holding only the crafted variable and PATH=/usr/bin:/bin, stdin /dev/null,
 * stdout and stderr captured through one pipe up to an output cap, in a fresh
 * mkdtemp directory (removed afterwards), in its own process group with
 * RLIMIT_CPU/AS/FSIZE/NOFILE/CORE limits, and a wall-clock limit after which
 * the whole group is killed with SIGKILL.  A crash (death by a signal) and a
 * timeout count as vulnerable.
 *
 * Every check also makes bash print a control marker; a run that shows no
 * sign of the bug and no marker either (say, --bash /bin/true) proves nothing
 * and is PROBE_INCONCLUSIVE rather than patched.
 *
 * Not thread-safe in one sense only: it waits for its own child by pid, so a
 * caller that reaps all children (waitpid(-1)) elsewhere would race with it.
 */
#ifndef SZ_PROBE_H
#define SZ_PROBE_H
#include <stddef.h>
#include <jansson.h>

/* The binary tested when the caller names none. */
#define PROBE_DEFAULT_BASH "/bin/bash"
#define PROBE_CHECKS 6			/* the checks, in probe_check_id order */
#define PROBE_TIMEOUT_MS 5000		/* default wall-clock limit per check */
#define PROBE_OUTPUT_CAP 65536		/* default bytes kept of a check's output; the rest is read and dropped */
#define PROBE_EVIDENCE_MAX 200		/* evidence text, NUL included */

enum probe_status {
	PROBE_PATCHED = 0,
	PROBE_VULNERABLE = 1,
	PROBE_INCONCLUSIVE = 2,		/* bash did not behave like a shell: no control marker */
};

struct probe_opts {
	unsigned timeout_ms;		/* 0: PROBE_TIMEOUT_MS */
	size_t output_cap;		/* 0: PROBE_OUTPUT_CAP */
	const char *tmp_parent;		/* where the per-check directory is made; NULL: "/tmp" */
};

struct probe_result {
	const char *id;			/* "CVE-2014-6271", static storage */
	int status;			/* enum probe_status */
	char evidence[PROBE_EVIDENCE_MAX];	/* what was seen, one line of ASCII */
	double elapsed_s;		/* wall-clock time the check took */
};

/* The id of check i (0 <= i < PROBE_CHECKS), or NULL past the end.  Cannot fail. */
const char *probe_check_id(size_t i);
/* "patched", "vulnerable" or "inconclusive".  Cannot fail. */
const char *probe_status_name(int status);

/*
 * Run check i against the bash at path bash (an absolute or relative path;
 * never looked up in PATH).  opts may be NULL for the defaults.  Returns 0
 * with *r filled in whatever bash did (including crashing or hanging);
 * -EINVAL for a bad index or options, -ENOENT/-EACCES/-ENOEXEC/... when
 * the binary cannot be executed at all, other -errno when the probe itself
 * cannot work (fork, pipe, mkdtemp); err (may be NULL) says why.  The
 * temporary directory is gone and no child is left on return.
 */
int probe_run_one(const char *bash, size_t i, const struct probe_opts *opts,
		  struct probe_result *r, char *err, size_t errlen);

/*
 * Run every check, in order, into res.  Stops at the first check that
 * returns an error and returns it (res is then partly filled).  0 or -errno.
 */
int probe_run(const char *bash, const struct probe_opts *opts,
	      struct probe_result res[PROBE_CHECKS], char *err, size_t errlen);

/*
 * The results as the "checks" array of a patch-audit body (SPEC section 9):
 * [{"id":"CVE-2014-6271","status":"patched"|"vulnerable","evidence":"…"},…]
 * in *out (new reference, caller decrefs).  -EINVAL if any result is
 * PROBE_INCONCLUSIVE, which the ledger cannot express: a caller must not
 * record a run that proved nothing.  -ENOMEM.
 */
int probe_results_json(const struct probe_result *res, size_t n, json_t **out);

#endif
