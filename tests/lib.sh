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
_loops=""
_mounts=""
_pids=""

_cleanup() {
	local p m l
	for p in $_pids; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for m in $_mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	for l in $_loops; do losetup -d "$l" 2>/dev/null; done
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
	if (eval "$body") >"$TRASH/.out" 2>&1; then
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
	_loops="$dev $_loops"
	echo "$dev"
}
loop_register() { _loops="$1 $_loops"; }
mount_register() { _mounts="$1 $_mounts"; }
pid_register() { _pids="$1 $_pids"; }

require_loop() {
	require_root
	truncate -s 1M "$TRASH/.probe" && local d && d=$(losetup --find --show "$TRASH/.probe" 2>/dev/null) \
		|| skip_all "loop devices are not available here"
	losetup -d "$d"
	rm -f "$TRASH/.probe"
}
