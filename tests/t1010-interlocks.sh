#!/usr/bin/env bash
# Every interlock refuses with its own reason, exit 1, before anything is
# written: mounted, holders, system disk, read-only, busy (O_EXCL), identity.
. "$(dirname "$0")/lib.sh"
require_loop
command -v jq >/dev/null || skip_all "jq is not installed (scripts/deps.sh build)"

# 8 MiB of sentinel text; count_sentinels FILE must stay 8192 after a refusal
fill() { yes "SENTINEL-customer-record-0123456789-ABCDEFGHIJKLMNOPQRSTUV-xyz-" | head -c 8388608 >"$1"; }
count() { grep -c SENTINEL "$1"; }
fill a.img && want=$(count a.img) && dev=$(loop_attach "$TRASH/a.img") && loop_register "$dev" || exit 1
id="loop:$TRASH/a.img"

refused() { # refused REASON DEVICE [ARGS...]: exit 1, the reason, nothing written
	local why=$1; shift
	test_expect_code 1 "$SZ" wipe --json "$@" >rep.json 2>err &&
	jq -e --arg w "$why" ".error.refusal == \$w and .state == \"failed\" and .bytes_written == 0" rep.json &&
	test "$(grep -c "^sanitizerd: cannot wipe" err)" = 1
}

test_expect_success 'wipe --help exits 0 and lists the methods' '
	"$SZ" wipe --help >out && grep -q clear-random out && grep -q luks-crypto-erase out
'
test_expect_success 'usage errors exit 2' '
	test_expect_code 2 "$SZ" wipe "$dev" 2>err && grep -q "no --method" err &&
	test_expect_code 2 "$SZ" wipe --method clear-zero 2>err && grep -q "no device" err &&
	test_expect_code 2 "$SZ" wipe "$dev" --method gutmann --yes 2>err && grep -q "unknown method" err &&
	test_expect_code 2 "$SZ" wipe "$dev" --method clear-zero --verify half --yes 2>err &&
	test_expect_code 2 "$SZ" wipe "$dev" "$dev" --method clear-zero --yes 2>err &&
	test_expect_code 2 "$SZ" wipe "$dev" --method clear-zero --bogus 2>err &&
	test "$(count a.img)" = "$want"
'
test_expect_success 'a purge method on a loop device: refused, nothing written' '
	test_expect_code 1 "$SZ" wipe --json "$dev" --method nvme-sanitize-crypto --yes >rep.json 2>err &&
	grep -q "needs an nvme namespace (/dev/nvmeXnY), this is a loop device" err &&
	jq -e ".refusal == \"unsupported_device\"" rep.json && test "$(count a.img)" = "$want"
'
if ! root_disk >/dev/null; then test_skip 'system disk: the disk holding / is refused' "$ROOT_DISK_SKIP"; else
test_expect_success 'system disk: the disk holding / is refused (read-only test)' '
	root=$(findmnt -n -o SOURCE /) && test -b "$root" &&
	refused system "$root" --method clear-zero --yes &&
	grep -q "device is the system disk (holds /)" err
'
fi
test_expect_success 'mounted: refused, named by its mount point' '
	mkdir -p mnt && fill m.img && truncate -s 16M m.img && mdev=$(losetup --find --show m.img) &&
	echo "$mdev" >mdev && mkfs.ext4 -q -F "$mdev" && mount "$mdev" "$TRASH/mnt" &&
	refused mounted "$mdev" --method clear-zero --yes &&
	grep -q "device is mounted on $TRASH/mnt" err &&
	test -e mnt/lost+found
'
mount_register "$TRASH/mnt"; [ -s mdev ] && loop_register "$(cat mdev)"
test_expect_success 'mounted: the test unmounts it' 'umount "$TRASH/mnt"'

test_expect_success 'read-only: losetup -r is refused' '
	rodev=$(losetup -r --find --show a.img) && echo "$rodev" >rodev &&
	refused read_only "$rodev" --method clear-zero --yes && grep -q "device is read-only" err
'
[ -s rodev ] && loop_register "$(cat rodev)"
test_expect_success 'read-only: the data is intact' 'test "$(count a.img)" = "$want"'

test_expect_success 'busy: a device another process holds with O_EXCL is refused' '
	"$HELPERS/hold_excl" "$dev" held & echo $! >holder
	for i in 1 2 3 4 5 6 7 8 9 10; do test -e held && break; sleep 0.2; done &&
	refused busy "$dev" --method clear-zero --yes && grep -q "device is busy" err
'
[ -s holder ] && pid_register "$(cat holder)"
test_expect_success 'busy: released, data intact' '
	kill "$(cat holder)" && wait "$(cat holder)" 2>/dev/null; test "$(count a.img)" = "$want"
'
test_expect_success 'identity: --expect-identity that differs is refused' '
	refused identity_mismatch "$dev" --method clear-zero --yes --expect-identity "loop:/elsewhere.img" &&
	grep -q "expected .loop:/elsewhere.img." err
'
test_expect_success 'identity: a wrong typed confirmation is refused' '
	echo "loop:/not/this/one" | test_expect_code 1 "$SZ" wipe --json "$dev" --method clear-zero >rep.json 2>err &&
	grep -q "confirmation does not match" err && jq -e ".error.refusal == \"identity_mismatch\"" rep.json &&
	test "$(count a.img)" = "$want"
'
test_expect_success 'identity: no confirmation (EOF) is refused' '
	test_expect_code 1 "$SZ" wipe --json "$dev" --method clear-zero </dev/null >rep.json 2>err &&
	grep -q "no confirmation given" err && test "$(count a.img)" = "$want"
'
test_expect_success 'not a block device: a regular file is refused' '
	refused not_block_device "$TRASH/a.img" --method clear-zero --yes && test "$(count a.img)" = "$want"
'
if dmsetup version >/dev/null 2>&1; then
	test_expect_success 'holders: a device-mapper target on it is refused' '
		dmsetup create "sz-t1010-$$" --table "0 $((8388608 / 512)) linear $dev 0" &&
		refused holders "$dev" --method clear-zero --yes && grep -q "device is held by dm-" err
	'
	dmsetup remove "sz-t1010-$$" 2>/dev/null
	test_expect_success 'holders: data intact' 'test "$(count a.img)" = "$want"'
else
	test_skip 'holders: a device-mapper target on it is refused' \
		'device-mapper is not available in this kernel (dmsetup version fails); the holders check is unit-tested in test_interlock and test_blkdev'
fi
test_expect_success 'the right typed identity, and --expect-identity, let the wipe run' '
	echo "$id" | "$SZ" wipe "$dev" --method clear-zero --expect-identity "$id" >rep.json 2>err &&
	jq -e ".state == \"completed\" and .identity == \"$id\"" rep.json &&
	cmp -n 8388608 a.img /dev/zero
'
test_done
