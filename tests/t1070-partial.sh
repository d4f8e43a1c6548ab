#!/usr/bin/env bash
# A sanitization covers the whole drive or is refused (issue 10 item 1,
# SPEC section 7 "partial_device"): a partition of an enrolled disk, a loop
# device made with --offset or --sizelimit over an enrolled image, and a
# whole device whose size is not the asset's capacity_bytes are refused by
# the CLI and by the API, nothing is written and nothing is recorded; a CLI
# wipe of a bare partition without an asset runs and says "partition".
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v mkfs.ext2 >/dev/null || skip_all "mkfs.ext2 is not installed (e2fsprogs)"
require_loop

MiB=1048576
# mbr IMG: a 32 MiB image with an MBR and two 15 MiB partitions (MBR layout:
# 16-byte entries at offset 446, signature 55 AA at 510), sentinels everywhere
mbr() {
	python3 - "$1" <<-'EOF'
	import struct, sys
	with open(sys.argv[1], "wb") as f:
	    for i in range(32):
	        f.write((b"SENTINEL-%06d-" % i).ljust(1 << 20, b"x"))
	    def part(start, count):
	        return struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", start, count)
	    f.seek(446)
	    f.write(part(2048, 30720) + part(32768, 30720) + b"\0" * 32 + b"\x55\xaa")
	EOF
}
# losetup -P, and partx -a where this kernel does not read the table itself
loop_parts() {
	local d i
	d=$(losetup --find --show -P "$1") || return 1
	echo "$d" >>"$TRASH/.cleanup-loops"
	[ -b "${d}p2" ] || partx -a "$d" 2>/dev/null
	for i in $(seq 50); do [ -b "${d}p2" ] && break; sleep 0.1; done
	[ -b "${d}p1" ] && [ -b "${d}p2" ] && echo "$d"
}
sentinels() { grep -ao 'SENTINEL-[0-9]*' "$1" | wc -l; }
entries() { sqlite3 st/ledger.db "select count(*) from entries"; }
cli_enrol() { # cli_enrol ID IDENTITY CAPACITY
	"$SZ" ledger append --state-dir st --subject "asset:$1" --type enrolled \
		--data "{\"serial\":\"$2\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$3,\"tenant\":\"acme\"}" >/dev/null &&
	"$SZ" ledger append --state-dir st --subject "asset:$1" --type retired --data "{}" >/dev/null
}

test_expect_success_here 'setup: a ledger; a disk image with two partitions, the second mounted' '
	"$SZ" init --state-dir st >/dev/null &&
	mbr disk.img && DISK=$(loop_parts "$TRASH/disk.img") &&
	mkfs.ext2 -q "${DISK}p2" && mkdir mnt && mount "${DISK}p2" mnt && mount_register "$TRASH/mnt" &&
	echo "customer data" >mnt/data.txt && sync &&
	cli_enrol disk "loop:$TRASH/disk.img" $((32 * MiB))
'

test_expect_success 'the CLI refuses a partition of an enrolled disk: partial_device, nothing written or recorded' '
	n=$(entries) && before=$(sentinels "${DISK}p1") && [ "$before" -gt 0 ] &&
	test_expect_code 1 "$SZ" wipe --json "${DISK}p1" --method clear-zero --yes --state-dir st >report.json 2>err &&
	grep -q "partial_device\|partition of" err &&
	[ "$(jq -r ".error.refusal // .refusal" report.json)" = partial_device ] &&
	[ "$(entries)" = "$n" ] && [ "$(sentinels "${DISK}p1")" = "$before" ] &&
	[ "$(sqlite3 st/ledger.db "select state from subjects where subject = '"'"'asset:disk'"'"'")" = retired ] &&
	grep -q "customer data" mnt/data.txt
'

test_expect_success 'the whole disk is refused too while a partition is mounted' '
	n=$(entries) &&
	test_expect_code 1 "$SZ" wipe --json "$DISK" --method clear-zero --yes --state-dir st >report.json 2>err &&
	[ "$(jq -r ".error.refusal // .refusal" report.json)" = mounted ] && [ "$(entries)" = "$n" ]
'

test_expect_success_here 'a loop device with --offset over an enrolled image is refused' '
	truncate -s $((16 * MiB)) whole.img && cli_enrol whole "loop:$TRASH/whole.img" $((16 * MiB)) &&
	printf "SENTINEL-OFF" | dd of=whole.img bs=1 seek=$((2 * MiB)) conv=notrunc 2>/dev/null &&
	OFF=$(losetup --find --show --offset $MiB "$TRASH/whole.img") && loop_register "$OFF" &&
	n=$(entries) &&
	test_expect_code 1 "$SZ" wipe --json "$OFF" --method clear-zero --yes --state-dir st >report.json 2>err &&
	[ "$(jq -r ".error.refusal // .refusal" report.json)" = partial_device ] && grep -q "offset" err &&
	[ "$(entries)" = "$n" ] && grep -aq SENTINEL-OFF whole.img &&
	losetup -d "$OFF"
'

test_expect_success_here 'a loop device with --sizelimit over an enrolled image is refused' '
	LIM=$(losetup --find --show --sizelimit $((8 * MiB)) "$TRASH/whole.img") && loop_register "$LIM" &&
	n=$(entries) &&
	test_expect_code 1 "$SZ" wipe --json "$LIM" --method clear-zero --yes --state-dir st >report.json 2>err &&
	[ "$(jq -r ".error.refusal // .refusal" report.json)" = partial_device ] && grep -q "sizelimit\|covers" err &&
	[ "$(entries)" = "$n" ] && grep -aq SENTINEL-OFF whole.img &&
	losetup -d "$LIM"
'

test_expect_success_here 'a whole device whose size is not the asset'"'"'s capacity_bytes is refused' '
	truncate -s $((8 * MiB)) small.img && printf "SENTINEL-SMALL" | dd of=small.img conv=notrunc 2>/dev/null &&
	cli_enrol small "loop:$TRASH/small.img" $((16 * MiB)) &&
	SMALL=$(loop_attach small.img) && n=$(entries) &&
	test_expect_code 1 "$SZ" wipe --json "$SMALL" --method clear-zero --yes --state-dir st >report.json 2>err &&
	[ "$(jq -r ".error.refusal // .refusal" report.json)" = partial_device ] && grep -q "capacity" err &&
	[ "$(entries)" = "$n" ] && grep -aq SENTINEL-SMALL small.img
'

test_expect_success 'a bare partition of no asset may be wiped: the report says partition, nothing recorded' '
	mbr bare.img && BARE=$(loop_parts "$TRASH/bare.img") &&
	n=$(entries) &&
	"$SZ" wipe "${BARE}p1" --method clear-zero --verify full --yes --state-dir st >report.json 2>err &&
	[ "$(jq -r .scope.target report.json)" = partition ] &&
	[ "$(jq -r .scope.of report.json)" = "$(basename "$BARE")" ] &&
	[ "$(jq -r .scope.bytes report.json)" = $((15 * MiB)) ] &&
	! grep -q "recorded in the ledger" err && grep -q "partition" err &&
	[ "$(entries)" = "$n" ] &&
	cmp -n $((15 * MiB)) "${BARE}p1" /dev/zero && [ "$(sentinels "${BARE}p2")" -gt 0 ]
'

# The API: the same refusals as 409 partial_device; the asset stays retired.
test_expect_success_here 'setup: the daemon over the same ledger' '
	sz_serve st &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body)
'

api_refused() { # api_refused ASSET DEVICE
	local n=$(entries)
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$1\",\"device\":\"$2\",\"method\":\"clear-zero\"}")" = 409 ] &&
	[ "$(jget error.reason <body)" = partial_device ] &&
	[ "$(entries)" = "$n" ] &&
	api GET /v1/assets/$1 "$TECH" >/dev/null && [ "$(jget state <body)" = retired ] ||
	{ echo "not refused as partial_device: $2: $(cat body)"; return 1; }
}

test_expect_success 'POST /v1/jobs on a partition of an enrolled disk is 409 partial_device' '
	api_refused disk "${DISK}p1" && [ "$(sentinels "${DISK}p1")" -gt 0 ] && grep -q "customer data" mnt/data.txt
'

test_expect_success 'POST /v1/jobs on --offset and --sizelimit loops is 409 partial_device' '
	OFF=$(losetup --find --show --offset $MiB "$TRASH/whole.img") && echo "$OFF" >>"$TRASH/.cleanup-loops" &&
	api_refused whole "$OFF" && losetup -d "$OFF" &&
	LIM=$(losetup --find --show --sizelimit $((8 * MiB)) "$TRASH/whole.img") && echo "$LIM" >>"$TRASH/.cleanup-loops" &&
	api_refused whole "$LIM" && losetup -d "$LIM" && grep -aq SENTINEL-OFF whole.img
'

test_expect_success 'POST /v1/jobs on a device smaller than capacity_bytes is 409 partial_device' '
	api_refused small "$SMALL" && grep -aq SENTINEL-SMALL small.img
'

test_expect_success 'the whole device of the right size is wiped; the record states the bytes covered' '
	W=$(loop_attach whole.img) &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"whole\",\"device\":\"$W\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	J=$(jget id <body) &&
	for i in $(seq 300); do api GET /v1/jobs/$J "$TECH" >/dev/null; s=$(jget state <body);
		[ "$s" = completed ] || [ "$s" = failed ] && break; sleep 0.1; done &&
	[ "$s" = completed ] &&
	"$SZ" ledger show --state-dir st | tail -n 1 | jq -r .entry | jq -e "
		.type == \"sanitize_completed\" and .data.coverage.scope == \"whole_device\" and
		.data.coverage.bytes == $((16 * MiB)) and .data.coverage.capacity_bytes == $((16 * MiB))" &&
	! grep -aq SENTINEL-OFF whole.img
'

test_done
