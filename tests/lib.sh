# System test library, in the style of git's t/test-lib.sh.
# A test script sources this, then calls test_expect_success 'what' 'commands'
# (an && chain) and finally test_done.  Each script runs in its own scratch
# directory, removed at exit; loop devices and mounts it made are undone first.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SZ="$TOP/build/sanitizerd"
HELPERS="$TOP/build/tests"
export LC_ALL=C
# the system tools first (a pyenv shim, say, costs half a second a call)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
test_count=0
test_failed=0
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/sz-test.XXXXXX")
# What a test made and must undo, kept in files: test bodies run in subshells.
_reg() { echo "$2" >>"$TRASH/.cleanup-$1"; }
_each() { [ -f "$TRASH/.cleanup-$1" ] && tac "$TRASH/.cleanup-$1"; }

_cleanup() {
	local p m l
	for p in $(_each pids); do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for m in $(_each mounts); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	for l in $(_each dm); do dmsetup remove "$l" 2>/dev/null; done
	for l in $(_each loops); do losetup -d "$l" 2>/dev/null; done
	cd /
	# never cross into another filesystem (a mount we failed to undo)
	rm -rf --one-file-system "$TRASH"
}
trap _cleanup EXIT
cd "$TRASH" || exit 1

say() { echo "# $*"; }

test_expect_success() {
	local what=$1 body=$2
	test_count=$((test_count + 1))
	if ([ -n "${TEST_TRACE:-}" ] && set -x; eval "$body") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $what"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $what"
		sed -e 's/^/#   /' "$TRASH/.out" | tail -n 40
	fi
}

# The same, for commands that must set variables in this shell.
test_expect_success_here() {
	local what=$1 body=$2
	test_count=$((test_count + 1))
	if eval "$body" >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $what"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $what"
		sed -e 's/^/#   /' "$TRASH/.out" | tail -n 40
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # skip $1: $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
	exit
}

# Expect a command to exit with a given code: test_expect_code 1 cmd args
test_expect_code() {
	local want=$1; shift
	"$@"; local got=$?
	[ "$got" = "$want" ] || { echo "exit code $got, want $want: $*"; return 1; }
}

require_root() { [ "$(id -u)" = 0 ] || skip_all "needs root for loop devices"; }

# loop_attach FILE [LOGICAL_BLOCK_SIZE] -> prints /dev/loopN, registered for cleanup
loop_attach() {
	local dev
	dev=$(losetup --find --show ${2:+--sector-size "$2"} "$1") || return 1
	_reg loops "$dev"
	echo "$dev"
}
loop_register() { _reg loops "$1"; }
mount_register() { _reg mounts "$1"; }
pid_register() { _reg pids "$1"; }
dm_register() { _reg dm "$1"; }

# root_disk: the block device holding / (/dev/NAME); fails when none is
# visible, as in a container whose / is an overlay, where the tests of the
# system-disk interlock skip with ROOT_DISK_SKIP as the reason (issue 15).
root_disk() {
	local mm
	mm=$(findmnt -n -o MAJ:MIN / 2>/dev/null | tr -d ' ')
	[ -n "$mm" ] && [ -e "/sys/dev/block/$mm" ] || return 1
	mm=/dev/$(basename "$(readlink -f "/sys/dev/block/$mm")")
	[ -b "$mm" ] && echo "$mm"
}
ROOT_DISK_SKIP="no block device here holds / (a container on an overlay?): the system-disk interlock cannot see it"

require_loop() {
	require_root
	truncate -s 1M "$TRASH/.probe" && local d && d=$(losetup --find --show "$TRASH/.probe" 2>/dev/null) \
		|| skip_all "loop devices are not available here"
	losetup -d "$d"
	rm -f "$TRASH/.probe"
}

# sz_serve DIR [args]: start the daemon on a free loopback port with state in
# DIR; sets PORT, URL, ADMIN (the admin token) and SZPID; killed at exit.
sz_serve() {
	local dir=$1 i; shift
	for i in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 20000))
		"$SZ" serve --state-dir "$dir" --listen "127.0.0.1:$PORT" "$@" >>"$TRASH/serve.log" 2>&1 &
		SZPID=$!
		pid_register "$SZPID"
		URL="http://127.0.0.1:$PORT"
		for _ in $(seq 1 400); do	# 20 s: a loaded machine, a first start that makes its key
			curl -s -m 2 "$URL/healthz" >/dev/null 2>&1 && { ADMIN=$(cat "$dir/admin.token"); return 0; }
			kill -0 "$SZPID" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$SZPID" 2>/dev/null; wait "$SZPID" 2>/dev/null
	done
	echo "cannot start the daemon; see $TRASH/serve.log" >&2
	cat "$TRASH/serve.log" >&2
	return 1
}

# sz_crash PID: the daemon started as PID crashes: it and its child processes
# (issue 12: ledger, devices, http) are killed with SIGKILL at once, as power
# loss would end them; returns when all are gone.
sz_crash() {
	local p=$1 kids k
	kids=$(pgrep -P "$p" 2>/dev/null)
	kill -9 "$p" $kids 2>/dev/null
	wait "$p" 2>/dev/null
	for k in $kids; do
		for _ in $(seq 1 200); do [ -e "/proc/$k" ] || break; sleep 0.05; done
	done
	true
}

# sz_child PID ROLE: the pid of the daemon PID's ledger, devices or http process
sz_child() {
	local k
	for k in $(pgrep -P "$1" 2>/dev/null); do
		tr '\0' '\n' <"/proc/$k/environ" 2>/dev/null | grep -qx "SANITIZERD_CHILD=$2" && { echo "$k"; return 0; }
	done
	return 1
}

# api METHOD PATH [TOKEN] [BODY]: curl with a time limit; prints the body to
# the file "body" and the status code to stdout.
api() {
	local m=$1 p=$2 t=${3:-} b=${4:-}
	curl -s -m 20 -o body -w '%{http_code}' -X "$m" ${t:+-H "Authorization: Bearer $t"} \
		${b:+-H "Content-Type: application/json" --data-binary "$b"} "$URL$p"
}
# jget FIELD < json: one field of a JSON object (dotted path)
jget() { python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1"; }
