/*
 * sanitizerd — chain of custody and verified sanitization for drives.
 * main finds the subcommand in a table (git's builtins) and runs it.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/keys.h"
#include "sanitizerd/cmd.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "audit-host", cmd_audit_host, "run the Shellshock patch probe on a bash and record the audit" },
	{ "cert", cmd_cert, "issue, show, print and verify sanitization certificates" },
	{ "devices", cmd_devices, "list block devices and what would refuse a wipe" },
	{ "init", cmd_init, "create the state directory: ledger, signing key, admin token" },
	{ "keys", cmd_keys, "print the public keys as JSON" },
	{ "ledger", cmd_ledger, "append, show, prove, checkpoint and verify the custody ledger" },
	{ "serve", cmd_serve, "run the daemon and its REST API" },
	{ "version", cmd_version, "print the version" },
	{ "wipe", cmd_wipe, "wipe a device: interlocks, overwrite or crypto-erase, verify" },
};

static const char usage_head[] =
	"usage: sanitizerd <command> [options]   (sanitizerd <command> --help)\n\ncommands:\n";

static int usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/*
 * SQLite maps its WAL index (-shm) into memory; should the state disk fill
 * while the daemon runs, touching a page it cannot back is a SIGBUS.  Say
 * so in one line and stop, rather than die silently (issue 11).  Only
 * async-signal-safe calls: write(2) and _exit(2).
 */
static void on_sigbus(int sig)
{
	static const char msg[] = "sanitizerd: fatal: SIGBUS: a memory-mapped file could not be backed "
				  "(is the state directory's file system full?)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	opterr = 0;	/* every command says what getopt refused itself, in one style */
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	umask(077);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (crypto_init() < 0) {
			sz_err("cannot initialise libgcrypt");
			return EXIT_FAIL;
		}
		rc = commands[i].fn(argc - 1, argv + 1);
		if (rc == EXIT_USAGE)
			fprintf(stderr, "see 'sanitizerd %s --help'\n", commands[i].name);
		return rc;
	}
	sz_err("unknown command '%.200s'", argv[1]);
	fputs("see 'sanitizerd --help'\n", stderr);
	return EXIT_USAGE;
}
