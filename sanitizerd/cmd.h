/*
 * The subcommands of build/sanitizerd, found through the table in main.c
 * (git's builtins).  Each returns the process exit code: 0 success, 1 the
 * operation or a verification failed, 2 usage error (SPEC section 3).
 */
#ifndef SZ_CMD_H
#define SZ_CMD_H
#include <stdint.h>

#include "util/version.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_audit_host(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_wipe(int argc, char **argv);

/* One error line on stderr: "sanitizerd: <message>\n". */
void sz_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The command line's one style (issue 15): --help prints the usage text on
 * stdout and exits 0; a usage error prints one line on stderr,
 * "sanitizerd: <what is wrong>", main adds "see 'sanitizerd <command>
 * --help'", nothing goes to stdout, and the exit status is 2.
 * sz_usage(text, 0) prints text on stdout and returns EXIT_OK; with
 * to_stderr it prints text on stderr (only for a command given nothing at
 * all, as git does) and returns EXIT_USAGE.
 */
int sz_usage(const char *text, int to_stderr);
/*
 * The line for what getopt_long refused (c is what it returned; optstrings
 * start with ':' so that a missing value is ':'), or for an argument left
 * over; argv is the vector getopt_long parsed.  Returns EXIT_USAGE.
 */
int sz_opt_error(int c, char *const *argv);
int sz_extra_arg(const char *arg);

/* One compact JSON line on stdout. */
struct json_t;
void sz_print_json(const struct json_t *j);

#endif
