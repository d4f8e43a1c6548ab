#!/usr/bin/env bash
# STYLE.md rule 9 and SPEC section 9: fail on any banned call in our C code.
#
# Usage: scripts/banned.sh [ROOT]   (ROOT: a tree with our layout; default the
# repository; tests/t3010-banned.sh runs it on scratch trees)
#
# 1. Unbounded string calls, everywhere: sprintf vsprintf strcpy strcat
#    strtok atoi gets.  Shell starters, everywhere: system popen wordexp
#    (wordexp runs a shell for $(...)).
# 2. Starting a program, anywhere but the Shellshock probe (audit/probe.c and
#    its header): any exec* (execl, execle, execlp, execv, execve, execvp,
#    execvpe, execveat, fexecve), posix_spawn[p], vfork, the raw
#    SYS_execve/__NR_execve syscalls, and dlopen/dlsym (a way round all of
#    it).  Identifiers are matched, not only calls, so a function pointer or a
#    macro alias is caught too.
# 3. Shell strings, anywhere but the probe: a literal "sh" or "-c", a literal
#    naming a shell by path (any "/...sh" of sh bash dash zsh ksh csh tcsh
#    fish, or busybox), or containing "sh -c".
# 4. In the probe itself: execve only (a fixed path, no PATH search), so no
#    other exec* or posix_spawn there either.
# 5. The one planned exception to rule 2 (issue 12): sanitizerd/privsep.c
#    re-executes the daemon's own binary for each child process, as ntpd and
#    bgpd do, with fexecve on the file it was started from (no path, no
#    PATH search).  fexecve only, and only there.
# Comments are skipped, and so are string literals for rules 1, 2 and 4 (a
# message may say "system()").  One awk pass over all files: a process per
# file and rule took half a minute on a busy machine.
set -u
root=${1:-"$(dirname "$0")/.."}
cd "$root" || { echo "banned.sh: cannot enter $root" >&2; exit 2; }
src=$(find sanitizerd api drivers audit core util bench \( -name '*.c' -o -name '*.h' \) -type f 2>/dev/null | sort)
[ -n "$src" ] || exit 0

# shellcheck disable=SC2086 # the file list splits on purpose: our names have no spaces
awk '
function report(what, line) {
	printf "%s in %s:\n%d:%s\n", what, FILENAME, FNR, line
	bad = 1
}
# Split the line into code (comments blanked, literal contents masked with x,
# quotes kept, so columns line up) and lit (comments blanked, literals kept).
function lex(s,    i, n, c, d, out, keep) {
	out = ""; keep = ""; n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1); d = substr(s, i, 2)
		if (incom) {
			if (d == "*/") { incom = 0; out = out "  "; keep = keep "  "; i++ }
			else { out = out " "; keep = keep " " }
			continue
		}
		if (q != "") {
			if (c == "\\") { out = out "xx"; keep = keep d; i++; continue }
			if (c == q) { q = ""; out = out c; keep = keep c; continue }
			out = out "x"; keep = keep c
			continue
		}
		if (d == "/*") { incom = 1; out = out "  "; keep = keep "  "; i++; continue }
		if (d == "//") break
		if (c == "\"" || c == "\047") q = c
		out = out c; keep = keep c
	}
	q = ""	# a literal does not continue on the next line
	code = out; lit = keep
}
FNR == 1 { incom = 0; q = "" }
{
	lex($0)
	probe = (FILENAME == "audit/probe.c" || FILENAME == "audit/probe.h")
	if (code ~ /(^|[^A-Za-z0-9_.>])(system|popen|wordexp|sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets)[ \t]*\(/)
		report("banned call", $0)
	ids = "(^|[^A-Za-z0-9_])(execl|execle|execlp|execv|execvp|execvpe|execveat|fexecve|posix_spawnp?|vfork|SYS_execve(at)?|__NR_execve(at)?|dlopen|dlsym|dlvsym)([^A-Za-z0-9_]|$)"
	if (probe) {
		if (code ~ ids)
			report("program start other than execve (the probe runs a fixed path)", $0)
		next
	}
	if (FILENAME == "sanitizerd/privsep.c") {
		# rule 5: its own binary again, by fexecve, and nothing else
		c2 = code
		gsub(/(^|[^A-Za-z0-9_])fexecve[ \t]*\(/, " (", c2)
		if (c2 ~ ids || c2 ~ /(^|[^A-Za-z0-9_])execve([^A-Za-z0-9_]|$)/)
			report("program start other than fexecve of our own binary in sanitizerd/privsep.c", $0)
	} else if (code ~ ids || code ~ /(^|[^A-Za-z0-9_])execve([^A-Za-z0-9_]|$)/)
		report("program start outside audit/probe.c", $0)
	if (lit ~ /"(sh|-c)"/ || lit ~ /"[^"]*\/(ba|da|z|k|c|tc|fi)?sh"/ || lit ~ /"[^"]*\/busybox"/ ||
	    lit ~ /"[^"]*sh -c[^"]*"/)
		report("shell string outside audit/probe.c", $0)
}
END {
	if (bad) {
		print "banned.sh: banned calls found (STYLE.md rule 9)" > "/dev/stderr"
		exit 1
	}
}' $src
