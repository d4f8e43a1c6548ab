#include <stdarg.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "sanitizerd/cmd.h"

void sz_err(const char *fmt, ...)
{
	va_list ap;

	fputs("sanitizerd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sz_usage(const char *text, int to_stderr)
{
	fputs(text, to_stderr ? stderr : stdout);
	return to_stderr ? EXIT_USAGE : EXIT_OK;
}

int sz_opt_error(int c, char *const *argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (c == ':')
		sz_err("option '%.200s' needs a value", arg);
	else if (optopt && optopt != '?' && arg[0] == '-' && arg[1] != '-')
		sz_err("unknown option '-%c'", optopt);
	else
		sz_err("unknown option '%.200s'", arg);
	return EXIT_USAGE;
}

int sz_extra_arg(const char *arg)
{
	sz_err("unexpected argument '%.200s'", arg);
	return EXIT_USAGE;
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return sz_usage("usage: sanitizerd version\n\nPrint the version.\n", 0);
	if (argc > 1)
		return argv[1][0] == '-' ? (sz_err("unknown option '%.200s'", argv[1]), EXIT_USAGE)
					 : sz_extra_arg(argv[1]);
	printf("sanitizerd %s\n", SZ_VERSION);
	return EXIT_OK;
}

void sz_print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
}
