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
/* The usage text on stdout (for --help, exit 0) or stderr (exit 2). */
int sz_usage(const char *text, int to_stderr);

/* One compact JSON line on stdout. */
struct json_t;
void sz_print_json(const struct json_t *j);

#endif
