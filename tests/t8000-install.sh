#!/usr/bin/env bash
# make install (issue 15): the binary, the systemd unit, the manual pages,
# bash completion and the example configuration, under DESTDIR and PREFIX;
# the pages render without a warning; every serve option is documented;
# the completion offers what the commands take.  And scripts/deps.sh's wait
# for another apt's lock.
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null || skip_all "needs make"
[ -x "$SZ" ] || skip_all "needs build/sanitizerd (make all)"

D=$TRASH/dest
inst() { make -s -C "$TOP" install "$@" >"$TRASH/inst.out" 2>&1 || { cat "$TRASH/inst.out"; false; }; }

test_expect_success 'make install DESTDIR=D: the whole set, with its modes' '
	inst DESTDIR="$D" &&
	for f in usr/local/sbin/sanitizerd:755 usr/local/lib/systemd/system/sanitizerd.service:644 \
		usr/local/share/man/man8/sanitizerd.8:644 usr/local/share/man/man5/sanitizerd.conf.5:644 \
		usr/local/share/bash-completion/completions/sanitizerd:644 etc/sanitizerd/sanitizerd.conf:644; do
		test -f "$D/${f%:*}" || { echo "missing ${f%:*}"; exit 1; }
		[ "$(stat -c %a "$D/${f%:*}")" = "${f#*:}" ] || { echo "mode of ${f%:*}"; exit 1; }
	done &&
	test "$(find "$D" -type f | wc -l)" = 6 &&
	cmp "$D/usr/local/sbin/sanitizerd" "$SZ" &&
	"$D/usr/local/sbin/sanitizerd" --help | grep -q "^usage: sanitizerd" &&
	cmp "$D/etc/sanitizerd/sanitizerd.conf" "$TOP/dist/sanitizerd.conf"
'

test_expect_success 'the unit names the binary where PREFIX put it' '
	grep -qx "ExecStart=/usr/local/sbin/sanitizerd serve" "$D/usr/local/lib/systemd/system/sanitizerd.service" &&
	! grep -q "/usr/sbin/" "$D/usr/local/lib/systemd/system/sanitizerd.service" &&
	inst DESTDIR="$TRASH/usr" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system &&
	test -x "$TRASH/usr/usr/sbin/sanitizerd" &&
	grep -qx "ExecStart=/usr/sbin/sanitizerd serve" "$TRASH/usr/lib/systemd/system/sanitizerd.service" &&
	test -f "$TRASH/usr/usr/share/man/man8/sanitizerd.8"
'

test_expect_success 'a second install keeps the administrator'\''s configuration' '
	echo "threads = 9" >>"$D/etc/sanitizerd/sanitizerd.conf" &&
	inst DESTDIR="$D" && grep -q "^keeping .*sanitizerd.conf" "$TRASH/inst.out" &&
	tail -n 1 "$D/etc/sanitizerd/sanitizerd.conf" | grep -qx "threads = 9"
'

if command -v man >/dev/null && command -v groff >/dev/null; then
	test_expect_success 'the manual pages render without a warning, and man -w finds them' '
		for p in man8/sanitizerd.8 man5/sanitizerd.conf.5; do
			f=$D/usr/local/share/man/$p
			LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" >page 2>warn &&
			test ! -s warn || { echo "$p:"; cat warn; exit 1; }
			groff -ww -man -z "$f" 2>warn && test ! -s warn || { cat warn; exit 1; }
			test "$(wc -l <page)" -gt 40 || exit 1
		done &&
		[ "$(MANPATH=$D/usr/local/share/man man -w sanitizerd)" = "$D/usr/local/share/man/man8/sanitizerd.8" ] &&
		[ "$(MANPATH=$D/usr/local/share/man man -w 5 sanitizerd.conf)" = "$D/usr/local/share/man/man5/sanitizerd.conf.5" ]
	'
else
	test_skip 'the manual pages render' 'needs man-db and groff (scripts/deps.sh package)'
fi

# the value-taking options of serve, from its own --help
serve_keys() { "$SZ" serve --help | grep -o -- "--[a-z][a-z-]* [A-Z]" | sed "s/^--//; s/ .*//" | grep -vx config | sort -u; }

test_expect_success 'every serve option is a documented key: example file and sanitizerd.conf(5)' '
	serve_keys >keys && test "$(wc -l <keys)" -ge 19 &&
	while read -r k; do
		grep -q "^#$k = " "$TOP/dist/sanitizerd.conf" || { echo "$k not in dist/sanitizerd.conf"; exit 1; }
		grep -q "^\.BI $(echo "$k" | sed "s/-/\\\\\\\\-/g") " "$TOP/man/sanitizerd.conf.5" ||
			{ echo "$k not in sanitizerd.conf.5"; exit 1; }
	done <keys
'

test_expect_success 'the example file, every key uncommented, is accepted as it stands' '
	sed -n "s/^#\([a-z-]* = .*\)/\1/p" "$TOP/dist/sanitizerd.conf" >all.conf &&
	test "$(wc -l <all.conf)" = "$(wc -l <keys)" &&
	test_expect_code 2 "$SZ" serve --config all.conf --threads 0 2>err &&
	grep -q "invalid value .0. for --threads" err
'

test_expect_success 'every command is in sanitizerd(8)' '
	for c in $("$SZ" --help | sed -n "s/^  \([a-z-]*\) .*/\1/p"); do
		grep -q "^\.B $(echo "$c" | sed "s/-/\\\\\\\\-/g")" "$TOP/man/sanitizerd.8" || { echo "$c"; exit 1; }
	done
'

if [ -r /usr/share/bash-completion/bash_completion ]; then
	# complete WORDS...: what the completion offers for the last word
	complete_words() {
		bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_sanitizerd; printf "%s\n" "${COMPREPLY[@]}"' _ "$D/usr/local/share/bash-completion/completions/sanitizerd" "$@"
	}
	test_expect_success 'bash completion: commands, methods, and every option of each command' '
		[ "$(complete_words sanitizerd wi)" = wipe ] &&
		complete_words sanitizerd wipe --method clear- | sort | tr "\n" " " | grep -qx "clear-random clear-zero " &&
		complete_words sanitizerd ledger pro | grep -qx proof &&
		for c in audit-host devices init keys serve version wipe ledger cert; do
			if [ $c = ledger ] || [ $c = cert ]; then w="sanitizerd $c show --"; else w="sanitizerd $c --"; fi
			complete_words $w >offered
			"$SZ" $c --help | grep -o -- "--[a-z][a-z-]*[a-z]" | sort -u >wanted
			for o in $(cat wanted); do
				grep -qx -- "$o" offered || { echo "$c: $o is not offered"; exit 1; }
			done
		done
	'
else
	test_skip 'bash completion' 'needs bash-completion (scripts/deps.sh package)'
fi

if command -v python3 >/dev/null; then
	test_expect_success 'deps.sh sees a lock another apt holds (fcntl, as apt takes it)' '
		sed -n "/^lock_held()/,/^}/p" "$TOP/scripts/deps.sh" >lock.sh && . ./lock.sh &&
		: >lockfile && ! lock_held lockfile &&
		{ python3 -c "import fcntl, os, sys, time
f = open(sys.argv[1], \"a\"); fcntl.lockf(f, fcntl.LOCK_EX); open(sys.argv[2], \"w\").close(); time.sleep(30)" \
			lockfile ready & } && holder=$! && pid_register $holder &&
		for i in $(seq 100); do [ -e ready ] && break; sleep 0.05; done &&
		lock_held lockfile && kill $holder && wait $holder; ! lock_held lockfile &&
		! lock_held nowhere &&
		grep -q "DPkg::Lock::Timeout=\$lock_wait" "$TOP/scripts/deps.sh"
	'
fi

test_done
