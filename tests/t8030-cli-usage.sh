#!/usr/bin/env bash
# The command line's one style (issue 15): --help is the usage on stdout and
# exit 0; a usage error is one line on stderr ("sanitizerd: <what>") and a
# pointer to --help, nothing on stdout, exit 2 -- for every command.  A
# failed wipe prints one line, not the JSON report, unless --json.
. "$(dirname "$0")/lib.sh"

commands="audit-host cert devices init keys ledger serve version wipe"

# usage_error CMD ARGS...: exit 2, stdout empty, exactly the two lines
usage_error() {
	local cmd=$1; shift
	test_expect_code 2 "$SZ" "$@" >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 2 &&
	head -n 1 err | grep -q "^sanitizerd: [a-z]" &&
	test "$(tail -n 1 err)" = "see 'sanitizerd $cmd --help'"
}

test_expect_success '--help of every command: its usage on stdout, nothing on stderr, exit 0' '
	for c in $commands; do
		"$SZ" $c --help >out 2>err || { echo "$c --help: exit $?"; exit 1; }
		test ! -s err || { echo "$c --help wrote to stderr"; exit 1; }
		head -n 1 out | grep -q "^usage: sanitizerd $c" || { echo "$c --help:"; cat out; exit 1; }
	done &&
	"$SZ" --help >out 2>err && test ! -s err && grep -q "^usage: sanitizerd <command>" out &&
	"$SZ" cert issue --help >out && grep -q "^usage: sanitizerd cert" out &&
	"$SZ" ledger show --help >out && grep -q "^usage: sanitizerd ledger" out
'

test_expect_success 'an unknown option, for every command: one line naming it, exit 2' '
	for c in $commands; do
		usage_error $c $c --bogus || { echo "$c:"; cat err; exit 1; }
		grep -q "^sanitizerd: unknown option .--bogus.$" err || { cat err; exit 1; }
	done
'

test_expect_success 'an unknown short option names itself' '
	for c in $commands; do
		usage_error $c $c -q || { echo "$c:"; cat err; exit 1; }
		grep -q "^sanitizerd: unknown option .-q.$" err || { cat err; exit 1; }
	done
'

test_expect_success 'an option without its value says so' '
	for c in audit-host devices init keys serve wipe; do
		usage_error $c $c --state-dir || { echo "$c:"; cat err; exit 1; }
		grep -q "^sanitizerd: option .--state-dir. needs a value$" err || { cat err; exit 1; }
	done &&
	usage_error ledger ledger show --state-dir && grep -q "needs a value" err &&
	usage_error cert cert show --state-dir && grep -q "needs a value" err
'

test_expect_success 'an argument left over is named' '
	for c in audit-host devices init keys serve version; do
		usage_error $c $c stray || { echo "$c:"; cat err; exit 1; }
		grep -q "^sanitizerd: unexpected argument .stray.$" err || { cat err; exit 1; }
	done &&
	usage_error ledger ledger verify --ledger x stray && grep -q "unexpected argument" err
'

test_expect_success 'a group without its command, or a wrong one, is one line too' '
	usage_error cert cert && grep -q "cert needs a command" err &&
	usage_error ledger ledger && grep -q "ledger needs a command" err &&
	usage_error cert cert frob x && grep -q "unknown cert command" err &&
	usage_error ledger ledger frob && grep -q "unknown ledger command" err &&
	usage_error cert cert issue && grep -q "takes one argument" err
'

test_expect_success 'a bad value names the option (serve)' '
	usage_error serve serve --threads 0 && grep -q "^sanitizerd: invalid value .0. for --threads$" err &&
	usage_error serve serve --conn-limit=x && grep -q "for --conn-limit$" err
'

test_expect_success 'an unknown command, and none at all' '
	test_expect_code 2 "$SZ" frobnicate >out 2>err && test ! -s out &&
	test "$(head -n 1 err)" = "sanitizerd: unknown command '\''frobnicate'\''" &&
	test "$(tail -n 1 err)" = "see '\''sanitizerd --help'\''" &&
	test_expect_code 2 "$SZ" >out 2>err && test ! -s out && grep -q "^usage: sanitizerd" err
'

test_expect_success 'a refused wipe: one line on stderr, no report on stdout' '
	: >not-a-disk &&
	test_expect_code 1 "$SZ" wipe ./not-a-disk --method clear-zero --yes >out 2>err &&
	test ! -s out && test "$(wc -l <err)" = 1 && grep -q "^sanitizerd: cannot wipe" err
'

test_expect_success 'the same with --json: the report on stdout, the line on stderr' '
	test_expect_code 1 "$SZ" wipe ./not-a-disk --method clear-zero --yes --json >out 2>err &&
	jq -e ".state == \"failed\" and .bytes_written == 0" out && test "$(wc -l <err)" = 1
'

test_done
