#!/usr/bin/env bash
# Install the Debian packages sanitizerd needs that are missing; do nothing
# when all are present.  Usage: deps.sh build|bench|emulator|package|metrics|console|apicheck
# Another apt or dpkg running (unattended-upgrades, a second session) is
# waited for, not a failure: apt-get waits up to DEPS_LOCK_WAIT seconds for
# the dpkg lock (DPkg::Lock::Timeout), and `apt-get update`, which takes the
# lists lock without that option, runs only once nobody holds it.
set -eu
lock_wait=${DEPS_LOCK_WAIT:-600}
build_pkgs="gcc make pkg-config libgcrypt20-dev libblkid-dev libmicrohttpd-dev libsqlite3-dev
 libjansson-dev libcryptsetup-dev liburing-dev libcurl4-openssl-dev libhpdf-dev libqrencode-dev libudev-dev libseccomp-dev
 sqlite3 cryptsetup-bin curl e2fsprogs dmsetup util-linux openssl gzip python3 jq poppler-utils
 fonts-dejavu-core clang libclang-rt-14-dev zbar-tools"
# deps.sh apicheck: the OpenAPI test (tests/t5200-openapi.sh) installs these itself, then
# its validators from npm into build/npm; make check runs without them (the test skips)
apicheck_pkgs="nodejs npm"
bench_pkgs="fio nwipe coreutils wrk nginx-light"
# the emulator test (tests/t4000-qemu.sh) installs these itself; make check runs without them
emulator_pkgs="qemu-system-x86 busybox-static"
# `make deb` and the package test (tests/t8010-deb.sh) need these; make check skips without them
package_pkgs="debhelper dpkg-dev fakeroot debootstrap man-db groff-base bash-completion lintian systemd-container"
# promtool, for tests/t7010-metrics.sh (which installs it itself, or skips)
metrics_pkgs="prometheus"
# the console's browser test (tests/t6000-console.sh) installs these itself; node and npm
# only when missing, so that a node from elsewhere (whose npm conflicts with Debian's) stays
console_pkgs="chromium fonts-dejavu-core"
command -v node >/dev/null || console_pkgs="$console_pkgs nodejs"
command -v npm >/dev/null || console_pkgs="$console_pkgs npm"
case "${1:-build}" in
apicheck) want=$apicheck_pkgs	# a node and npm from elsewhere (NodeSource, nvm) do as well
	command -v node >/dev/null && command -v npm >/dev/null && exit 0 ;;
build) want=$build_pkgs ;;
bench) want=$bench_pkgs ;;
emulator) want=$emulator_pkgs ;;
package) want=$package_pkgs ;;
metrics) want=$metrics_pkgs ;;
console) want=$console_pkgs ;;
*) echo "usage: deps.sh build|bench|emulator|package|metrics|console|apicheck" >&2; exit 2 ;;
esac
missing=
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# apt takes its locks with fcntl(F_SETLK), which flock(1) does not see, and
# fuser(1) is not in a minimal Debian; /proc/locks lists every held POSIX
# lock as "MAJ:MIN:INODE" (hex, hex, decimal), so look the file up there.
# Polls each second up to lock_wait seconds, then lets apt-get report it.
lock_held() {
	local dev ino key
	[ -e "$1" ] || return 1
	dev=$(stat -c %d "$1") ino=$(stat -c %i "$1")
	key=$(printf '%02x:%02x:%s' $(((dev >> 8) & 0xfff)) $(((dev & 0xff) | ((dev >> 12) & 0xfff00))) "$ino")
	grep -q " $key " /proc/locks
}
wait_lock() {
	local n=0
	while lock_held "$1" && [ "$n" -lt "$lock_wait" ]; do
		[ "$n" = 0 ] && echo "deps.sh: waiting for $1 (another apt or dpkg is running)" >&2
		sleep 1
		n=$((n + 1))
	done
}
apt_opts="-o DPkg::Lock::Timeout=$lock_wait"
wait_lock /var/lib/apt/lists/lock
apt-get $apt_opts update -qq >/dev/null
apt-get $apt_opts install -y -qq --no-install-recommends $missing >/dev/null
