#!/usr/bin/env bash
# `sanitizerd wipe` with several devices (issue 13): every device is checked
# first and nothing is written unless all pass; then they are wiped at once,
# one progress line each on a terminal; the report is an array; enrolled
# drives are recorded each under its own asset.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed (scripts/deps.sh build)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed (scripts/deps.sh build)"
require_loop

MiB=1048576
mkdisk() { # mkdisk NAME MIB: an image full of sentinels
	python3 -c "
import sys
with open(sys.argv[1], 'wb') as f:
    for i in range(int(sys.argv[2])):
        f.write((b'SENTINEL-%06d-' % i).ljust(1 << 20, b'x'))
" "$TRASH/$1.img" "$2"
}
ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }

test_expect_success_here 'setup: four drives with sentinels, a ledger with two of them enrolled and retired' '
	for x in a b c d; do mkdisk $x 8 || exit 1; done &&
	A=$(loop_attach a.img) && B=$(loop_attach b.img) && C=$(loop_attach c.img) && D=$(loop_attach d.img) &&
	"$SZ" init --state-dir st >/dev/null &&
	for x in a b; do
		ev $x enrolled "{\"serial\":\"loop:$TRASH/$x.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$((8 * MiB)),\"tenant\":\"acme\"}" &&
		ev $x retired || exit 1
	done
'

test_expect_success 'one device mounted among four: all refused, nothing written, the report says which' '
	mkfs.ext2 -q "$D" && mkdir mnt && mount "$D" mnt && mount_register "$TRASH/mnt" &&
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	test_expect_code 1 "$SZ" wipe --json "$A" "$B" "$C" "$D" --method clear-zero --yes --state-dir st >rep.json 2>err;
	rc=$?; umount mnt; [ $rc = 0 ] &&
	jq -e "length == 4 and .[3].error.refusal == \"mounted\"" rep.json &&
	for x in "$A" "$B" "$C"; do grep -aq SENTINEL "$x" || exit 1; done &&
	[ "$(sqlite3 st/ledger.db "select count(*) from entries")" = "$n" ]
'

test_expect_success 'four at once: one array of four passed reports, every drive zeroed, two recorded' '
	"$SZ" wipe "$A" "$B" "$C" "$D" --method clear-zero --verify full --yes --state-dir st >rep.json 2>err &&
	jq -e "length == 4 and all(.[]; .state == \"completed\" and .verification.passed)" rep.json &&
	for x in "$A" "$B" "$C" "$D"; do cmp -n $((8 * MiB)) "$x" /dev/zero || exit 1; done &&
	[ "$(grep -c "^wiped /dev/loop" err)" = 4 ] &&
	[ "$(sqlite3 st/ledger.db "select state from subjects where subject in ('"'"'asset:a'"'"', '"'"'asset:b'"'"') order by subject" | tr "\n" " ")" = "sanitized sanitized " ] &&
	"$SZ" ledger verify --state-dir st >/dev/null
'

test_expect_success 'on a terminal: one progress line per drive, redrawn in place' '
	truncate -s $((256 * MiB)) e.img f.img g.img && E=$(loop_attach e.img) && F=$(loop_attach f.img) && G=$(loop_attach g.img) &&
	script -qec "\"$SZ\" wipe \"$E\" \"$F\" \"$G\" --method dod-3pass --verify sample --yes >/dev/null" tty.log >/dev/null &&
	grep -aq "$(printf "\033\\[3A")" tty.log &&
	for x in "$E" "$F" "$G"; do grep -aq "$x *pass [123]/3" tty.log || { echo "no line for $x"; exit 1; }; done
'

test_expect_success 'usage: a device named twice, or --expect-identity with several, is exit 2' '
	test_expect_code 2 "$SZ" wipe "$A" "$A" --method clear-zero --yes 2>err && grep -q "named twice" err &&
	test_expect_code 2 "$SZ" wipe "$A" "$B" --method clear-zero --yes --expect-identity x 2>err
'

test_done
