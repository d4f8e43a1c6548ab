#!/usr/bin/env bash
# Issue 15: README.md's "A short tour" runs as it is.  Its ```sh blocks are
# taken from the README itself (so the tour cannot drift from the code) and
# run, verbatim and in order, in a scratch directory with build/ on the PATH:
# the tour starts its own daemon, makes its own loop device, walks a drive to
# retired, wipes it, fetches and verifies the certificate offline.
. "$(dirname "$0")/lib.sh"
for t in curl jq openssl realpath; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
require_loop

# the ```sh blocks between "## A short tour" and the next "## " heading
extract() {
	awk '/^## A short tour$/ { on = 1; next } on && /^## / { exit }
	     on && /^```sh$/ { code = 1; next } code && /^```$/ { code = 0; print ""; next }
	     code { print }' "$1"
}

test_expect_success 'the tour is found in the README and writes to no real disk' '
	extract "$TOP/README.md" >tour.sh &&
	grep -q "sanitizerd serve" tour.sh && grep -q "until curl" tour.sh &&
	grep -q "losetup --find --show" tour.sh && grep -q "\"type\":\"retired\"" tour.sh &&
	grep -q "/certificate" tour.sh && grep -q "ledger backup" tour.sh &&
	grep -q "ledger verify" tour.sh && grep -q "cert verify" tour.sh &&
	! grep -En "/dev/(sd|nvme|hd|vd|xvd|mmcblk)" tour.sh
'

test_expect_success 'the extraction sees a changed tour (it reads the README, not a copy)' '
	sed "s/^TECH=\$(tok/TECH_RENAMED=\$(tok/" "$TOP/README.md" >changed.md &&
	extract changed.md | grep -q "^TECH_RENAMED=" && ! grep -q "^TECH_RENAMED=" tour.sh
'

test_expect_success_here 'the tour runs verbatim, copy-pasted, against its own daemon and loop device' '
	mkdir run && (
		cd run &&
		export PATH="$TOP/build:$PATH" PORT=$((20000 + RANDOM % 20000)) &&
		# its own session, so whatever it leaves running is stopped below
		setsid bash -eo pipefail ../tour.sh >../tour.log 2>&1 & tp=$! ; wait $tp; rc=$?
		kill -- -$tp 2>/dev/null
		exit $rc
	); rc=$?
	for d in $(losetup -j "$TRASH/run/drive.img" -O NAME -n 2>/dev/null); do losetup -d "$d"; done
	cat tour.log; [ $rc = 0 ]
'

test_expect_success 'it walked the lifecycle, wiped, and verified the certificate offline' '
	grep -q "\"type\":\"retired\"" tour.log &&
	grep -q "{\"state\":\"completed\",\"bytes_done\":67108864,\"bytes_total\":67108864}" tour.log &&
	head -c5 run/cert.pdf | grep -q "%PDF-" &&
	grep -q "^ledger verified: .*consistent with the given checkpoint" tour.log &&
	grep -q "^valid: certificate crt_" tour.log && grep -q "^Signature Verified Successfully" tour.log &&
	"$SZ" cert list --ledger run/var/ledger.db | jq -e -s "length == 1 and .[0].asset_state == \"certified\"" >/dev/null &&
	[ -z "$(losetup -j "$TRASH/run/drive.img")" ]
'

test_done
