#!/usr/bin/env bash
# sanitizerd devices: a loop device we attach shows up with its identity,
# block size and signatures, as a table and as the GET /v1/devices JSON.
. "$(dirname "$0")/lib.sh"
require_loop
command -v jq >/dev/null || skip_all "jq is not installed (scripts/deps.sh build)"

truncate -s 20M plain.img && dev=$(loop_attach "$TRASH/plain.img") && loop_register "$dev" || exit 1
truncate -s 16M big4k.img && dev4k=$(loop_attach "$TRASH/big4k.img" 4096) && loop_register "$dev4k" || exit 1
truncate -s 24M ext.img && mkfs.ext4 -q -F ext.img && devext=$(loop_attach "$TRASH/ext.img") && loop_register "$devext" || exit 1

test_expect_success 'devices --help exits 0 and explains --json' '
	"$SZ" devices --help >out && grep -q -- "--json" out
'
test_expect_success 'devices with a bad option or argument is a usage error' '
	test_expect_code 2 "$SZ" devices --bogus 2>err && grep -q "^sanitizerd: " err &&
	test_expect_code 2 "$SZ" devices extra 2>err && grep -q "unexpected argument" err
'
test_expect_success 'table lists our loop device with loop:<backing file>' '
	"$SZ" devices >out && grep -E "^$dev +20\.0 MiB +loop .*loop:$TRASH/plain.img" out
'
test_expect_success 'JSON: identity, size, transport and free of refusals' '
	"$SZ" devices --json >out.json &&
	jq -e --arg d "$dev" --arg id "loop:$TRASH/plain.img" ".devices[] | select(.path == \$d) |
		.identity == \$id and .size_bytes == 20971520 and .transport == \"loop\" and
		.backing_file == \"$TRASH/plain.img\" and .mounted == false and .system == false and
		.holders == [] and .read_only == false and (.methods | index(\"clear-zero\")) != null" out.json
'
test_expect_success 'JSON: a 4096-byte-sector loop device reports 4096' '
	jq -e --arg d "$dev4k" ".devices[] | select(.path == \$d) | .logical_block_size == 4096" out.json
'
test_expect_success 'JSON: libblkid signatures are listed (ext4)' '
	jq -e --arg d "$devext" ".devices[] | select(.path == \$d) | .signatures[0].type == \"ext4\" and
		.signatures[0].usage == \"filesystem\"" out.json
'
if ! root_disk >/dev/null; then test_skip 'the disk holding / is marked system' "$ROOT_DISK_SKIP"; else
test_expect_success 'the disk holding / is marked system' '
	root=$(findmnt -n -o SOURCE / | sed "s|^/dev/||") &&
	case "$root" in loop*|"") echo "root on $root: nothing to check" ;; *)
	jq -e --arg n "$root" "[.devices[] | select(.name == \$n or (.partitions | index(\$n)))] |
		length == 1 and .[0].system == true and .[0].system_reason == \"holds /\"" out.json ;; esac
'
fi
test_expect_success 'JSON output is exactly one object with a devices array' '
	jq -e "type == \"object\" and (.devices | type) == \"array\" and (keys == [\"devices\"])" out.json
'
test_done
