#!/usr/bin/env bash
# Install the Debian packages sanitizerd needs that are missing; do nothing
# when all are present.  Usage: deps.sh build|bench|emulator
set -eu
build_pkgs="gcc make pkg-config libgcrypt20-dev libblkid-dev libmicrohttpd-dev libsqlite3-dev
 libjansson-dev libcryptsetup-dev liburing-dev libcurl4-openssl-dev libhpdf-dev libqrencode-dev libudev-dev
 sqlite3 cryptsetup-bin curl e2fsprogs dmsetup util-linux openssl gzip python3 jq poppler-utils
 fonts-dejavu-core clang libclang-rt-14-dev zbar-tools"
# deps.sh apicheck: the OpenAPI test (tests/t5200-openapi.sh) installs these itself, then
# its validators from npm into build/npm; make check runs without them (the test skips)
apicheck_pkgs="nodejs npm"
bench_pkgs="fio nwipe coreutils wrk nginx-light"
# the emulator test (tests/t4000-qemu.sh) installs these itself; make check runs without them
emulator_pkgs="qemu-system-x86 busybox-static"
case "${1:-build}" in
apicheck) want=$apicheck_pkgs	# a node and npm from elsewhere (NodeSource, nvm) do as well
	command -v node >/dev/null && command -v npm >/dev/null && exit 0 ;;
build) want=$build_pkgs ;;
bench) want=$bench_pkgs ;;
emulator) want=$emulator_pkgs ;;
*) echo "usage: deps.sh build|bench|emulator" >&2; exit 2 ;;
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
