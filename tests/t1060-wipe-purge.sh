#!/usr/bin/env bash
# sanitizerd wipe with the drives' own purge methods (drivers/sanitize.h):
# on a loop device every nvme-*, ata-* and scsi-* method is refused before
# anything is written or asked, with the reason in the JSON report, and a
# ledger in the state directory records nothing (the asset stays retired).
# The commands themselves run only inside the emulator (t4000-qemu).
. "$(dirname "$0")/lib.sh"
require_loop
command -v jq >/dev/null || skip_all "jq is not installed (scripts/deps.sh build)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed (scripts/deps.sh build)"

fill() { yes "SENTINEL-customer-record-0123456789-ABCDEFGHIJKLMNOPQRSTUV-xyz-" | head -c 16777216 >"$1"; }
count() { grep -c SENTINEL "$1"; }
fill a.img && want=$(count a.img) && dev=$(loop_attach "$TRASH/a.img") && loop_register "$dev" || exit 1
id="loop:$TRASH/a.img"

# purge_refused REASON [ARGS...]: exit 1, one error line, the purge runner's report says refused
purge_refused() {
	local why=$1; shift
	test_expect_code 1 "$SZ" wipe --json "$@" >rep.json 2>err &&
	jq -e --arg w "$why" '.engine == "purge" and .state == "failed" and .refusal == $w and
		.command_sent == false and .confirmed == false and .verify.performed == false' rep.json &&
	test "$(grep -c "^sanitizerd: cannot purge" err)" = 1 &&
	test "$(count a.img)" = "$want"
}

test_expect_success 'wipe --help lists the purge methods' '
	"$SZ" wipe --help >out && grep -q nvme-format-user out && grep -q ata-secure-erase-enhanced out &&
	grep -q scsi-sanitize-overwrite out
'
test_expect_success 'nvme-sanitize-crypto on a loop device: refused, not an nvme device, nothing written' '
	purge_refused unsupported_device "$dev" --method nvme-sanitize-crypto --yes &&
	grep -q "cannot purge $dev: nvme-sanitize-crypto needs an nvme namespace (/dev/nvmeXnY), this is a loop device" err &&
	jq -e ".error | contains(\"needs an nvme namespace\")" rep.json
'
test_expect_success 'ata-secure-erase on a loop device: refused, not a scsi/sata disk' '
	purge_refused unsupported_device "$dev" --method ata-secure-erase --yes &&
	grep -q "ata-secure-erase needs a whole scsi disk (/dev/sdX), this is a loop device" err &&
	jq -e ".ata_password_file == null and (has(\"ata_password\") | not)" rep.json
'
test_expect_success 'every purge method is refused on a loop device, with --verify full too' '
	for m in nvme-sanitize-block nvme-sanitize-overwrite nvme-format-crypto nvme-format-user \
		ata-sanitize-crypto ata-sanitize-block ata-sanitize-overwrite ata-secure-erase-enhanced \
		scsi-sanitize-crypto scsi-sanitize-block scsi-sanitize-overwrite; do
		purge_refused unsupported_device "$dev" --method $m --verify full --yes || { echo "$m"; exit 1; }
	done
'
test_expect_success 'the refusal comes before the typed confirmation' '
	test_expect_code 1 "$SZ" wipe --json "$dev" --method nvme-format-user </dev/null >rep.json 2>err &&
	! grep -q "type the device" err && jq -e ".refusal == \"unsupported_device\"" rep.json &&
	test "$(count a.img)" = "$want"
'
test_expect_success 'a purge method on a regular file: refused, not a block device' '
	purge_refused not_block_device "$TRASH/a.img" --method nvme-format-user --yes &&
	grep -q "nvme-format-user sends drive commands and needs a drive" err
'
test_expect_success '--json: the refusal only on stderr, the report on stdout' '
	test_expect_code 1 "$SZ" wipe "$dev" --method scsi-sanitize-block --yes --json >rep.json 2>err &&
	test "$(wc -l <err)" = 1 && jq -e ".tool | startswith(\"sanitizerd \")" rep.json
'

test_expect_success_here 'setup: a ledger with the loop device enrolled and retired' '
	"$SZ" init --state-dir st >/dev/null &&
	"$SZ" ledger append --state-dir st --subject asset:p1 --type enrolled \
		--data "{\"serial\":\"$id\",\"model\":\"loop\",\"media_type\":\"ssd\",\"capacity_bytes\":$(stat -c %s "${id#loop:}"),\"tenant\":\"acme\"}" >/dev/null &&
	"$SZ" ledger append --state-dir st --subject asset:p1 --type retired --data "{}" >/dev/null
'
test_expect_success 'a refused purge of an enrolled asset records nothing: it stays retired' '
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	purge_refused unsupported_device "$dev" --method nvme-sanitize-crypto --yes --state-dir st &&
	! grep -q "recorded in the ledger" err &&
	[ "$n" = "$(sqlite3 st/ledger.db "select count(*) from entries")" ] &&
	[ "$(sqlite3 st/ledger.db "select state from subjects where subject = '"'"'asset:p1'"'"'")" = retired ] &&
	"$SZ" ledger verify --state-dir st >/dev/null
'
test_expect_success 'an overwrite of the same asset still runs and is recorded (loop: no HPA/DCO check)' '
	{ "$SZ" wipe "$dev" --method clear-zero --verify sample --yes --state-dir st >rep.json 2>err ||
	  { cat err; jq -c "{state, error}" rep.json; false; }; } &&
	grep -q "asset p1 is now sanitized" err &&
	jq -e ".engine == \"overwrite\" and .state == \"completed\" and .hidden_sectors == null" rep.json &&
	cmp -n 16777216 a.img /dev/zero
'
test_expect_success 'devices --json: purge capabilities, none for a loop device (and vda)' '
	"$SZ" devices --json >dev.json &&
	jq -e --arg d "$dev" ".devices[] | select(.path == \$d) | .purge == null and .purge_capabilities == []
		and (.methods | index(\"clear-zero\")) != null" dev.json &&
	jq -e "[.devices[] | select(.transport == \"loop\" or .transport == \"virtio\") | .purge] | all(. == null)" dev.json &&
	jq -e "[.devices[] | has(\"purge\")] | all" dev.json
'
test_done
