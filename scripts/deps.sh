#!/usr/bin/env bash
# Install the Debian packages sanitizerd needs that are missing; do nothing
# when all are present.  Usage: deps.sh build|bench|emulator|console
set -eu
build_pkgs="gcc make pkg-config libgcrypt20-dev libblkid-dev libmicrohttpd-dev libsqlite3-dev
 libjansson-dev libcryptsetup-dev liburing-dev libcurl4-openssl-dev libhpdf-dev libqrencode-dev libudev-dev
 sqlite3 cryptsetup-bin curl e2fsprogs dmsetup util-linux openssl gzip python3 jq poppler-utils
 fonts-dejavu-core clang libclang-rt-14-dev zbar-tools"
bench_pkgs="fio nwipe coreutils wrk nginx-light"
# the emulator test (tests/t4000-qemu.sh) installs these itself; make check runs without them
emulator_pkgs="qemu-system-x86 busybox-static"
# the console's browser test (tests/t6000-console.sh) installs these itself; node and npm
# only when missing, so that a node from elsewhere (whose npm conflicts with Debian's) stays
console_pkgs="chromium fonts-dejavu-core"
command -v node >/dev/null || console_pkgs="$console_pkgs nodejs"
command -v npm >/dev/null || console_pkgs="$console_pkgs npm"
case "${1:-build}" in
build) want=$build_pkgs ;;
bench) want=$bench_pkgs ;;
emulator) want=$emulator_pkgs ;;
console) want=$console_pkgs ;;
*) echo "usage: deps.sh build|bench|emulator|console" >&2; exit 2 ;;
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
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
