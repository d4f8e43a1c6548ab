#!/usr/bin/env bash
# STYLE.md rule 9 and SPEC section 9: fail on any banned call in our C code.
# Shells: system, popen, "sh -c", execl*("/bin/sh"...).  Unbounded string
# calls: sprintf strcpy strcat strtok atoi gets.  The Shellshock probe
# (audit/probe.c) may execve a bash binary, with a fixed argv; nothing else may.
set -u
cd "$(dirname "$0")/.."
src=$(find sanitizerd api drivers audit bench -name '*.c' -o -name '*.h' 2>/dev/null)
[ -n "$src" ] || exit 0
bad=0
strip() { # drop comments and string literals' insides are kept: we grep code lines
	sed -e 's://.*$::' "$1"
}
for f in $src; do
	hits=$(strip "$f" | grep -nE '(^|[^A-Za-z0-9_.>])(system|popen|sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets)[[:space:]]*\(' | grep -vE '^[0-9]+:[[:space:]]*(\*|/\*)')
	if [ -n "$hits" ]; then echo "banned call in $f:"; echo "$hits"; bad=1; fi
	hits=$(grep -nE '"(/bin/)?(ba|da|z)?sh"|"-c"' "$f" | grep -vE '^[0-9]+:[[:space:]]*(\*|/\*)')
	if [ -n "$hits" ] && [ "$f" != audit/probe.c ]; then echo "shell start in $f:"; echo "$hits"; bad=1; fi
	if grep -nqE '\bexecl[ep]?[[:space:]]*\(' "$f" && [ "$f" != audit/probe.c ]; then
		echo "execl* in $f (use execve with a fixed argv, and only in the probe)"; bad=1
	fi
done
[ $bad = 0 ] || { echo "banned.sh: banned calls found (STYLE.md rule 9)" >&2; exit 1; }
