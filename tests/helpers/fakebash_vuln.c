/*
 * fakebash_vuln -c CMD: a stand-in for a 2014 bash that has the Shellshock
 * bugs, for the probe's tests (never a shell: it only pattern-matches the
 * public proof-of-concept strings and acts out what a vulnerable bash did).
 * Named with a CVE number in its file name (a copy called bash-7186, say),
 * it has only that bug and otherwise behaves like a patched bash: prints the
 * word after the first "echo" of CMD and exits 0.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char self[PATH_MAX];

/* Is the bug with this CVE number emulated?  All of them unless the file name names one. */
static int has(const char *num)
{
	const char *base = strrchr(self, '/');
	base = base ? base + 1 : self;
	if (!strpbrk(base, "0123456789"))
		return 1;
	return strstr(base, num) != NULL;
}

/* Print the word after the first "echo " in s, as echo would. */
static void echo_after(const char *s)
{
	const char *p = strstr(s, "echo ");
	size_t n;

	if (!p)
		return;
	p += 5;
	n = strcspn(p, " ;}\n");
	printf("%.*s\n", (int)n, p);
	fflush(stdout);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *cmd;

	self[n > 0 ? n : 0] = '\0';
	if (argc != 3 || strcmp(argv[1], "-c")) {
		fprintf(stderr, "fakebash: usage: fakebash -c CMD\n");
		return 2;
	}
	cmd = argv[2];
	for (char **e = environ; *e; e++) {
		const char *v = strchr(*e, '=');
		if (!v || strncmp(v + 1, "() {", 4))
			continue;
		v++;
		if (has("6277") && strstr(v, "<<"))
			raise(SIGSEGV);		/* the uninitialised here-document pointer */
		if (has("7169") && strstr(v, "(a)=>\\")) {
			/* ">\<newline>echo X" : output of X goes to a file named echo */
			int fd = open("echo", O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "fakebash: %s: command not found\n", cmd + 5);
			return 127;
		}
		if (has("6278") && strstr(v, ">_[$($())]"))
			echo_after(strchr(v, ']'));
		else if (has("6271") && strstr(v, "};"))
			echo_after(strstr(v, "};"));
	}
	if (has("7186") && count(cmd, "<<EOF") > 10) {
		echo_after(cmd);
		fprintf(stderr, "fakebash: redir_stack overflow\n");
		return 1;
	}
	if (has("7187") && count(cmd, "for x") > 127)
		raise(SIGSEGV);			/* word_lineno[] written past its end */
	echo_after(cmd);
	return 0;
}
