#!/usr/bin/env bash
# scripts/banned.sh, the check behind `make check`'s rule that nothing but
# the Shellshock probe starts a program and nothing starts a shell: the tree
# passes it; a scratch copy of the tree with one offending file added fails
# it, naming the file; harmless look-alikes pass.
. "$(dirname "$0")/lib.sh"
BANNED="$TOP/scripts/banned.sh"

# a scratch copy of the source folders banned.sh reads
test_expect_success 'setup: a copy of the tree' '
	mkdir tree && for d in sanitizerd api drivers audit core util bench; do
		[ ! -d "$TOP/$d" ] || cp -r "$TOP/$d" tree/ || exit 1
	done &&
	find tree -type f ! -name "*.[ch]" -delete
'

test_expect_success 'the tree passes, by default and given as ROOT' '
	"$BANNED" && "$BANNED" "$TOP" && "$BANNED" tree
'

# must_fail FILE 'C code' WHAT: adding FILE makes banned.sh fail and name it
must_fail() {
	printf "%s\n" "$2" >"tree/$1" &&
	{ test_expect_code 1 "$BANNED" tree >out 2>err; r=$?; rm -f "tree/$1"; [ $r = 0 ]; } &&
	grep -q "in $1:" out && grep -q "$3" out || { echo "--- $1: $2"; cat out err; return 1; }
}
# must_pass FILE 'C code': adding FILE keeps banned.sh happy
must_pass() {
	printf "%s\n" "$2" >"tree/$1" &&
	{ "$BANNED" tree >out 2>&1; r=$?; rm -f "tree/$1"; [ $r = 0 ]; } || { echo "--- $1: $2"; cat out; return 1; }
}

test_expect_success 'shells: system, popen, wordexp anywhere, the probe included' '
	must_fail sanitizerd/evil.c "int f(void) { return system(\"ls\"); }" "banned call" &&
	must_fail api/evil.c "void f(void) { FILE *p = popen(\"ls\", \"r\"); }" "banned call" &&
	must_fail drivers/evil.c "void f(wordexp_t *w) { wordexp(\"\$(id)\", w, 0); }" "banned call" &&
	cp tree/audit/probe.c probe.keep &&
	printf "static int g(void) { return system(\"x\"); }\n" >>tree/audit/probe.c &&
	{ test_expect_code 1 "$BANNED" tree >out; r=$?; cp probe.keep tree/audit/probe.c; [ $r = 0 ]; } &&
	grep -q "banned call in audit/probe.c" out
'

test_expect_success 'program starts outside the probe: every exec*, posix_spawn, vfork, raw syscalls, dlsym' '
	must_fail sanitizerd/evil.c "void f(char **a) { execl(\"/usr/bin/id\", \"id\", (char *)0); }" "program start" &&
	must_fail sanitizerd/evil.c "void f(char **a) { execv(a[0], a); }" "program start" &&
	must_fail sanitizerd/evil.c "void f(char **a) { execvp(a[0], a); }" "program start" &&
	must_fail api/evil.c "void f(char **a, char **e) { execve(a[0], a, e); }" "program start" &&
	must_fail api/evil.c "void f(char **a, char **e) { execvpe(a[0], a, e); }" "program start" &&
	must_fail drivers/evil.c "void f(int fd, char **a, char **e) { fexecve(fd, a, e); }" "program start" &&
	must_fail drivers/evil.c "void f(pid_t *p, char **a, char **e) { posix_spawn(p, a[0], 0, 0, a, e); }" "program start" &&
	must_fail drivers/evil.c "void f(pid_t *p, char **a, char **e) { posix_spawnp(p, a[0], 0, 0, a, e); }" "program start" &&
	must_fail bench/evil.c "int f(void) { return vfork(); }" "program start" &&
	must_fail audit/evil.c "long f(char **a) { return syscall(SYS_execve, a[0], a, 0); }" "program start" &&
	must_fail audit/evil.c "int (*run)(const char *, char *const[], char *const[]) = execve;" "program start" &&
	must_fail audit/evil.h "#define RUN execv" "program start" &&
	must_fail audit/evil.c "void *f(void) { return dlsym(RTLD_DEFAULT, \"sys\" \"tem\"); }" "program start" &&
	must_fail audit/probe2.c "$(cat "$TOP/audit/probe.c")" "program start outside audit/probe.c"
'

test_expect_success 'the probe itself may use execve only' '
	cp tree/audit/probe.c probe.keep &&
	printf "static void g(char **a) { execvp(a[0], a); }\n" >>tree/audit/probe.c &&
	{ test_expect_code 1 "$BANNED" tree >out; r=$?; cp probe.keep tree/audit/probe.c; [ $r = 0 ]; } &&
	grep -q "program start other than execve" out &&
	"$BANNED" tree
'

test_expect_success 'shell strings outside the probe' '
	must_fail sanitizerd/evil.c "static const char *sh = \"/bin/sh\";" "shell string" &&
	must_fail sanitizerd/evil.c "static const char *sh = \"/usr/bin/bash\";" "shell string" &&
	must_fail sanitizerd/evil.c "static const char *z = \"/usr/local/bin/zsh\";" "shell string" &&
	must_fail sanitizerd/evil.c "static const char *b = \"/bin/busybox\";" "shell string" &&
	must_fail api/evil.c "static const char *c = \"sh -c id\";" "shell string" &&
	must_fail api/evil.c "static const char *argv[] = { \"sh\", \"-c\", 0 };" "shell string" &&
	must_fail api/evil.c "static const char *argv[] = { \"dash\", \"-c\", 0 };" "shell string"
'

test_expect_success 'look-alikes pass: comments, messages, fields, fork alone' '
	must_pass sanitizerd/ok.c "/* never system() or popen(): no /bin/sh here */" &&
	must_pass sanitizerd/ok.c "// execve(\"/bin/sh\") would be wrong" &&
	must_pass sanitizerd/ok.c "static const char *m = \"cannot run system(): refused\";" &&
	must_pass drivers/ok.c "int f(struct dev *d) { return d->system || d[0].system; }" &&
	must_pass drivers/ok.c "static const char q = (char)0x22; static int k(int c) { return c == (int)q; }" &&
	must_pass sanitizerd/ok.c "static const char *k = \"bash\";" &&
	must_pass sanitizerd/ok.c "int f(void) { return fork(); }" &&
	must_pass audit/ok.c "static const char *s = \"/dev/sdb\"; static int execution_count;"
'

# the planned exception (issue 12): sanitizerd/privsep.c re-executes our own binary, by fexecve alone
privsep_with() {
	cp tree/sanitizerd/privsep.c privsep.keep &&
	printf "%s\n" "$1" >>tree/sanitizerd/privsep.c &&
	{ "$BANNED" tree >out 2>&1; r=$?; cp privsep.keep tree/sanitizerd/privsep.c; return $r; }
}
test_expect_success 'privsep.c: fexecve of our own binary passes, any other program start there does not' '
	grep -q "fexecve(" tree/sanitizerd/privsep.c &&
	privsep_with "void g(int fd, char **a, char **e) { fexecve(fd, a, e); }" &&
	{ privsep_with "void g(char **a, char **e) { execve(a[0], a, e); }"; test $? = 1; } &&
	grep -q "other than fexecve of our own binary in sanitizerd/privsep.c" out &&
	{ privsep_with "void g(char **a) { execv(a[0], a); }"; test $? = 1; } &&
	{ privsep_with "void g(char **a) { posix_spawn(0, a[0], 0, 0, a, 0); }"; test $? = 1; } &&
	must_fail sanitizerd/other.c "void f(int fd, char **a, char **e) { fexecve(fd, a, e); }" "program start outside" &&
	must_fail util/evil.c "void f(char **a) { execv(a[0], a); }" "program start outside" &&
	must_fail core/evil.c "int f(char *b) { return atoi(b); }" "banned call"
'

test_expect_success 'unbounded string calls are still caught' '
	must_fail sanitizerd/evil.c "void f(char *b) { sprintf(b, \"x\"); }" "banned call" &&
	must_fail sanitizerd/evil.c "void f(char *b) { strcpy(b, \"x\"); }" "banned call" &&
	must_fail sanitizerd/evil.c "int f(char *b) { return atoi(b); }" "banned call"
'

test_expect_success 'make banned runs it on the tree' '
	make -s -C "$TOP" banned
'

test_done
