#!/usr/bin/env bash
# luks-crypto-erase: LUKS2 and LUKS1 volumes made by cryptsetup lose every
# keyslot and header copy; afterwards the passphrase opens nothing and
# libblkid sees no LUKS.  A device without LUKS is refused untouched.
. "$(dirname "$0")/lib.sh"
require_loop
command -v cryptsetup >/dev/null || skip_all "cryptsetup is not installed (cryptsetup-bin)"
command -v jq >/dev/null || skip_all "jq is not installed (scripts/deps.sh build)"

fast="--batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000"
printf 'correct horse' >pw && printf 'battery staple' >pw2

for t in luks2 luks1; do
	truncate -s 32M $t.img && d=$(loop_attach "$TRASH/$t.img") && loop_register "$d" || exit 1
	if [ $t = luks1 ]; then fast1="--batch-mode --iter-time 1"; else fast1=$fast; fi
	test_expect_success "$t: made with two keyslots, the passphrase opens it" '
		cryptsetup luksFormat $fast1 --type $t --key-file pw "$d" &&
		cryptsetup luksAddKey $fast1 --key-file pw "$d" pw2 &&
		cryptsetup open --test-passphrase --key-file pw "$d" &&
		test "$(blkid -p -o value -s TYPE "$d")" = crypto_LUKS
	'
	test_expect_success "$t: crypto-erase destroys both keyslots and the headers" '
		"$SZ" wipe "$d" --method luks-crypto-erase --yes >rep.json 2>err &&
		jq -e ".state == \"completed\" and .luks.type == \"${t^^}\" and .luks.keyslots_destroyed == [0,1] and
			.luks.signature_gone and .luks.header_area_zero and .verification.passed and
			.bytes_written == .luks.data_offset and .luks.data_offset > 0" rep.json
	'
	test_expect_success "$t: the passphrase no longer opens it" '
		! cryptsetup open --test-passphrase --key-file pw "$d" 2>/dev/null &&
		! cryptsetup open --test-passphrase --key-file pw2 "$d" 2>/dev/null &&
		! cryptsetup isLuks "$d"
	'
	test_expect_success "$t: libblkid finds no signature; the header area is zero (cmp)" '
		test -z "$(blkid -p -o value -s TYPE "$d")" &&
		off=$(jq .luks.data_offset rep.json) && cmp -n "$off" $t.img /dev/zero
	'
done
test_expect_success 'LUKS2 with a larger header (--luks2-keyslots-size): all of it is zeroed' '
	truncate -s 40M big.img && d=$(losetup --find --show big.img) && echo $d >bigdev &&
	cryptsetup luksFormat $fast --type luks2 --luks2-keyslots-size 8m --key-file pw "$d" &&
	"$SZ" wipe "$d" --method luks-crypto-erase --yes >rep.json 2>err &&
	off=$(jq .luks.data_offset rep.json) && cmp -n "$off" big.img /dev/zero &&
	! cryptsetup open --test-passphrase --key-file pw "$d" 2>/dev/null
'
[ -s bigdev ] && loop_register "$(cat bigdev)"
test_expect_success 'a device without LUKS is refused and left alone' '
	yes SENTINEL-plain-data | head -c 8388608 >plain.img && want=$(grep -c SENTINEL plain.img) && d=$(losetup --find --show plain.img) && echo $d >pdev &&
	test_expect_code 1 "$SZ" wipe --json "$d" --method luks-crypto-erase --yes >rep.json 2>err &&
	grep -q "^sanitizerd: cannot erase $d: not a LUKS device" err &&
	jq -e ".error.refusal == \"not_luks\" and .state == \"failed\" and .bytes_written == 0" rep.json &&
	test "$(grep -c SENTINEL plain.img)" = "$want"
'
[ -s pdev ] && loop_register "$(cat pdev)"
test_done
