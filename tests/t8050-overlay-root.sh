#!/usr/bin/env bash
# A container whose / is an overlay (issue 15): no block device holds /, so
# the system-disk interlock cannot see the host's disks; `devices` says so
# on stderr (its JSON on stdout stays whole), and says nothing on a host.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "needs jq (scripts/deps.sh installs it)"
ASZ="$TOP/build/asan/sanitizerd"
warning="warning: the system-disk interlock cannot see the disk holding /"

root_dev=$(findmnt -n -o MAJ:MIN / 2>/dev/null | tr -d ' ')
if [ -n "$root_dev" ] && [ -e "/sys/dev/block/$root_dev" ]; then
	test_expect_success 'on a host whose / is a block device: no warning' '
		"$SZ" devices >out 2>err && ! grep -q "$warning" err
	'
else
	test_skip 'no warning on a host' "/ is not on a block device here ($(findmnt -n -o FSTYPE /))"
fi

if [ -x "$ASZ" ]; then
	test_expect_success 'a docker-like mountinfo (test build): the warning, the JSON intact' '
		printf "501 420 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u\n" >mi &&
		SZ_TEST_MOUNTINFO=$PWD/mi "$ASZ" devices --json >out 2>err &&
		jq -e ".devices | type == \"array\"" out &&
		grep -q "^sanitizerd: $warning: / is overlay (overlay, device 0:52), not a block device here" err &&
		grep -q "protected only by the exclusive open" err
	'
else
	test_skip 'a docker-like mountinfo' 'needs build/asan/sanitizerd (make check builds it)'
fi

# For real: a mount namespace whose / is an overlay over this machine's /
# (the binary is at the same path inside), as a container sees it.
# an overlay over / in a mount namespace of its own (it vanishes with it);
# not where / is itself an overlay: its upper directory cannot be on one
can_overlay() {
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null || return 1
	grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null
	mkdir -p "$TRASH/probe/up" "$TRASH/probe/work" "$TRASH/probe/m" &&
	unshare -m --propagation private mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$TRASH/probe/up,workdir=$TRASH/probe/work" "$TRASH/probe/m" 2>/dev/null
}
if can_overlay; then
	test_expect_success 'in a mount namespace whose / is an overlay: devices warns' '
		mkdir -p up work merged &&
		unshare -m --propagation private bash -c "
			mount -t overlay overlay -o lowerdir=/,upperdir=$PWD/up,workdir=$PWD/work $PWD/merged &&
			mount -t proc proc $PWD/merged/proc && mount -t sysfs sysfs $PWD/merged/sys &&
			chroot $PWD/merged $SZ devices --json" >out 2>err &&
		jq -e ".devices | type == \"array\"" out &&
		grep -q "^sanitizerd: $warning: / is overlay (overlay, device 0:" err &&
		! mountpoint -q merged
	'
else
	test_skip 'devices in an overlay root' 'cannot mount an overlay over / here (needs root and unshare(1); / is not an overlay already)'
fi

test_done
