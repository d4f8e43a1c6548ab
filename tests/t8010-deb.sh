#!/usr/bin/env bash
# The Debian package (issue 15): `make deb` builds it with dh; installed with
# apt on a clean Debian 12 root (debootstrap minbase, cached as a tarball in
# /var/cache/sanitizerd-test), it runs `sanitizerd --help`, `man -w
# sanitizerd` and the daemon, creates the system user and keeps
# /etc/sanitizerd/sanitizerd.conf as a conffile; removing it keeps the
# evidence.  The root is a scratch directory under /var/tmp, entered with
# chroot and its own /proc; the host's /dev is never bind-mounted (the root
# has debootstrap's device nodes).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (chroot, mount)"
for t in dpkg-buildpackage dh debootstrap curl; do
	command -v $t >/dev/null || skip_all "needs $t (scripts/deps.sh package installs it)"
done

CACHE=/var/cache/sanitizerd-test
TARBALL=$CACHE/bookworm-minbase.tar.gz
R=$(mktemp -d /var/tmp/sz-deb.XXXXXX) || exit 1
T0=$(date +%s)
# bounded: each step has its own limit, the whole test stays well under 10 minutes
in_root() { timeout "${LIMIT:-120}" chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
undo_root() {
	local m
	[ -n "${DPID:-}" ] && kill -9 "$DPID" 2>/dev/null
	for m in "$R/sys" "$R/proc"; do
		mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
	done
	# never cross into a file system that is still mounted there
	if ! grep -q " $R/" /proc/self/mountinfo; then rm -rf --one-file-system "$R"; fi
	_cleanup
}
trap undo_root EXIT

test_expect_success 'make deb: a .deb from debian/ with dh, holding the whole set' '
	start=$(date +%s) &&
	make -s -C "$TOP" deb >deb.log 2>&1 || { tail -n 30 deb.log; exit 1; }
	deb=$(ls "$TOP"/build/deb/sanitizerd_*_amd64.deb) && cp "$deb" "$TRASH/sanitizerd.deb" &&
	dpkg-deb -c sanitizerd.deb >list &&
	for f in ./usr/sbin/sanitizerd ./lib/systemd/system/sanitizerd.service ./usr/share/man/man8/sanitizerd.8.gz \
		./usr/share/man/man5/sanitizerd.conf.5.gz ./usr/share/bash-completion/completions/sanitizerd \
		./etc/sanitizerd/sanitizerd.conf; do
		grep -q " $f$" list || { echo "not in the package: $f"; exit 1; }
	done &&
	dpkg-deb -f sanitizerd.deb Depends | grep -q adduser &&
	echo "make deb: $(( $(date +%s) - start )) s"
'

if command -v lintian >/dev/null; then
	test_expect_success 'lintian: no error and no warning' '
		timeout 300 lintian --fail-on error,warning "$TRASH/sanitizerd.deb" >lint 2>&1 || { cat lint; exit 1; }
	'
else
	test_skip 'lintian' 'needs lintian (scripts/deps.sh package installs it)'
fi

# a cached clean root, made again when missing or older than 30 days
if [ -f "$TARBALL" ] && [ -n "$(find "$TARBALL" -mtime -30)" ]; then
	have_root=cached
else
	mkdir -p "$CACHE" &&
	LIMIT=600 timeout 600 debootstrap --variant=minbase bookworm "$R" >"$TRASH/debootstrap.log" 2>&1 &&
	tar --numeric-owner -C "$R" -czf "$TARBALL.$$" . && mv "$TARBALL.$$" "$TARBALL" &&
	rm -rf --one-file-system "$R" && mkdir "$R" && have_root=made || have_root=
fi
if [ -z "$have_root" ]; then
	tail -n 5 "$TRASH/debootstrap.log" | sed "s/^/# /"
	test_skip 'the package on a clean Debian 12 root' "debootstrap failed (no network to the Debian registry?)"
	test_done
fi
tar --numeric-owner -C "$R" -xzf "$TARBALL" || exit 1
say "root: $have_root ($(( $(date +%s) - T0 )) s)"

test_expect_success 'the root is clean Debian 12, with its own /dev nodes and /proc' '
	grep -q "^12\." "$R/etc/debian_version" && test -c "$R/dev/null" && test ! -e "$R/usr/sbin/sanitizerd" &&
	mount -t proc proc "$R/proc" && mount -t sysfs sysfs "$R/sys" &&
	in_root test -r /proc/self/status
'

# the registry, for the package's dependencies: none reachable is a skip
if ! LIMIT=300 in_root apt-get update -qq >"$TRASH/update.log" 2>&1; then
	sed "s/^/# /" "$TRASH/update.log" | tail -n 5
	test_skip 'the package on a clean Debian 12 root' "apt-get update failed in the root (no network to the Debian registry?)"
	test_done
fi

test_expect_success 'apt installs the package and its dependencies from the registry' '
	start=$(date +%s) &&
	cp sanitizerd.deb "$R/tmp/sanitizerd.deb" &&
	LIMIT=300 in_root apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends \
		/tmp/sanitizerd.deb man-db curl >apt.log 2>&1 || { tail -n 20 apt.log; exit 1; }
	in_root dpkg-query -W -f="\${Status}\n" sanitizerd | grep -qx "install ok installed" &&
	echo "apt: $(( $(date +%s) - start )) s"
'

test_expect_success 'sanitizerd --help in the root' '
	in_root sanitizerd --help >out 2>err && grep -q "^usage: sanitizerd <command>" out && test ! -s err &&
	in_root sanitizerd version | grep -q "^sanitizerd 0\."
'

test_expect_success 'man -w sanitizerd finds the packaged pages, and man renders them' '
	[ "$(in_root man -w sanitizerd)" = /usr/share/man/man8/sanitizerd.8.gz ] &&
	[ "$(in_root man -w 5 sanitizerd.conf)" = /usr/share/man/man5/sanitizerd.conf.5.gz ] &&
	in_root env MANWIDTH=80 man --warnings sanitizerd >page 2>warn && test ! -s warn && grep -q "EXIT STATUS" page
'

test_expect_success 'the system user, the conffile, the unit' '
	in_root getent passwd sanitizerd | grep -q "^sanitizerd:x:[0-9]*:[0-9]*:.*:/nonexistent:/usr/sbin/nologin$" &&
	in_root dpkg-query -W -f="\${Conffiles}\n" sanitizerd | grep -q "/etc/sanitizerd/sanitizerd.conf" &&
	test -f "$R/lib/systemd/system/sanitizerd.service"
'

test_expect_success_here 'the daemon runs in the root: initialises /var/lib/sanitizerd, answers, stops on SIGTERM' '
	PORT=$((20000 + RANDOM % 20000)) &&
	{ chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin LC_ALL=C \
		sanitizerd serve --listen 127.0.0.1:$PORT >"$TRASH/d.log" 2>&1 & DPID=$!; } &&
	for i in $(seq 1 200); do curl -s -m 2 "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done &&
	curl -sf -m 5 "http://127.0.0.1:$PORT/healthz" >health &&
	[ "$(stat -c %a "$R/var/lib/sanitizerd")" = 700 ] &&
	[ "$(stat -c %a "$R/var/lib/sanitizerd/admin.token")" = 600 ] &&
	tok=$(cat "$R/var/lib/sanitizerd/admin.token") &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" "http://127.0.0.1:$PORT/v1/assets")" = 200 ] &&
	kill -TERM $DPID && wait $DPID && DPID= && grep -q "SIGTERM: stopping" "$TRASH/d.log" &&
	in_root sanitizerd ledger verify >/dev/null
'
[ -n "${DPID:-}" ] && cat "$TRASH/d.log"

test_expect_success 'in the chroot, devices warns that it cannot see the disk holding /' '
	in_root sanitizerd devices >out 2>err;
	grep -q "warning: the system-disk interlock cannot see the disk holding /" err
'

# The unit for real: systemd booted in the root (systemd-nspawn), the daemon
# started by the packaged unit with all its sandboxing; a probe unit reads
# /proc/PID/status and stops it.  nspawn filters mlock(2) unless the
# container may have CAP_IPC_LOCK, and libgcrypt's secure memory (the
# signing key) needs it; the unit itself does not keep it.
if command -v systemd-nspawn >/dev/null; then
	test_expect_success 'under systemd the unit runs the daemon sandboxed, and systemctl stop is a clean exit' '
		start=$(date +%s) &&
		LIMIT=300 in_root apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends \
			systemd systemd-sysv >apt.log 2>&1 || { tail -n 20 apt.log; exit 1; }
		port=$((20000 + RANDOM % 20000)) &&
		echo "listen = 127.0.0.1:$port" >>"$R/etc/sanitizerd/sanitizerd.conf" &&
		cat >"$R/usr/local/sbin/sz-probe" <<-EOF &&
		#!/bin/sh
		exec >/sz-probe.out 2>&1
		for i in \$(seq 1 100); do curl -s -m 2 http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
		echo "health \$(curl -s -m 5 http://127.0.0.1:$port/healthz)"
		t=\$(cat /var/lib/sanitizerd/admin.token)
		echo "devices \$(curl -s -m 10 -o /dev/null -w %{http_code} -H "Authorization: Bearer \$t" http://127.0.0.1:$port/v1/devices)"
		p=\$(systemctl show -p MainPID --value sanitizerd)
		grep -E "^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/\$p/status
		systemctl stop sanitizerd
		systemctl show -p Result -p ExecMainStatus -p NRestarts sanitizerd
		journalctl -u sanitizerd --no-pager -q -o cat | grep -v " info " | head -n 12
		sanitizerd ledger verify >/dev/null && echo "verify ok"
		systemctl poweroff
		EOF
		chmod 755 "$R/usr/local/sbin/sz-probe" &&
		printf "[Unit]\nAfter=sanitizerd.service\nWants=sanitizerd.service\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/sz-probe\n" \
			>"$R/etc/systemd/system/sz-probe.service" &&
		ln -s /etc/systemd/system/sz-probe.service "$R/etc/systemd/system/multi-user.target.wants/sz-probe.service" &&
		test -L "$R/etc/systemd/system/multi-user.target.wants/sanitizerd.service" &&
		umount "$R/sys" && umount "$R/proc" &&
		timeout 180 systemd-nspawn -q -D "$R" --boot --register=no --keep-unit --resolv-conf=off \
			--machine="sz-t8010-$$" --capability=CAP_IPC_LOCK >boot.log 2>&1;
		rmdir "/run/systemd/nspawn/propagate/sz-t8010-$$" 2>/dev/null;
		mount -t proc proc "$R/proc" && mount -t sysfs sysfs "$R/sys" &&
		cat "$R/sz-probe.out" &&
		grep -q "^health {\"status\":\"ok\"}" "$R/sz-probe.out" && grep -qx "devices 200" "$R/sz-probe.out" &&
		grep -qx "Seccomp:	2" "$R/sz-probe.out" && grep -qx "NoNewPrivs:	1" "$R/sz-probe.out" &&
		bnd=$(sed -n "s/^CapBnd:	//p" "$R/sz-probe.out") && eff=$(sed -n "s/^CapEff:	//p" "$R/sz-probe.out") &&
		[ $(( 0x$bnd & ~0x2601c0 )) = 0 ] && [ $(( 0x$eff & 0x200000 )) != 0 ] &&
		grep -qx "Result=success" "$R/sz-probe.out" && grep -qx "ExecMainStatus=0" "$R/sz-probe.out" &&
		grep -qx "NRestarts=0" "$R/sz-probe.out" && grep -qx "verify ok" "$R/sz-probe.out" &&
		echo "systemd in the root: $(( $(date +%s) - start )) s"
	'
else
	test_skip 'the unit under systemd' 'needs systemd-nspawn (systemd-container; scripts/deps.sh package installs it)'
fi

test_expect_success 'remove and purge keep the evidence in /var/lib/sanitizerd' '
	LIMIT=120 in_root apt-get purge -y -qq sanitizerd >apt.log 2>&1 || { tail apt.log; exit 1; }
	test ! -e "$R/usr/sbin/sanitizerd" && test ! -e "$R/etc/sanitizerd/sanitizerd.conf" &&
	test -f "$R/var/lib/sanitizerd/ledger.db" && test -f "$R/var/lib/sanitizerd/signing.key"
'

say "t8010 took $(( $(date +%s) - T0 )) s"
test_done
