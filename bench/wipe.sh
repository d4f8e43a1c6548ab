#!/usr/bin/env bash
# bench/wipe.sh — overwrite and verification speed against the raw device.
#
# Two loop devices: one over a 2 GiB file on disk (/var/tmp, loop direct I/O
# on) and one over a 1 GiB file on tmpfs.  On each: fio direct write and
# read (io_uring, iodepth 16, 1 MiB), dd oflag=direct, GNU shred -n 1 (one
# random pass), nwipe zero and PRNG, and sanitizerd clear-zero, clear-random
# and both verifications (rates from sanitizerd's own JSON report, whose pass
# timing includes the final fdatasync).  Prints MB/s (10^6 bytes) and the
# ratio to raw fio write (read, for verification), and the CPU seconds per
# GB of clear-random.  Only the loop devices made here are ever written.
set -eu
cd "$(dirname "$0")/.."
SZ=$PWD/build/sanitizerd
DISK_SIZE=${DISK_SIZE:-2G}
TMPFS_SIZE=${TMPFS_SIZE:-1G}
[ "$(id -u)" = 0 ] || { echo "bench/wipe.sh: needs root (loop devices)" >&2; exit 1; }
for t in fio jq shred nwipe; do command -v $t >/dev/null || { echo "bench/wipe.sh: $t missing (scripts/deps.sh bench)" >&2; exit 1; }; done
[ -x "$SZ" ] || { echo "bench/wipe.sh: build first (make)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/sz-bench.XXXXXX)
loops="" mnt=""
cleanup() {
	for l in $loops; do losetup -d "$l" 2>/dev/null || true; done
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

fallocate -l "$DISK_SIZE" "$work/disk.img"
disk=$(losetup --find --show --direct-io=on "$work/disk.img"); loops="$disk"
mkdir "$work/tmpfs" && mount -t tmpfs -o size=$(( $(numfmt --from=iec "$TMPFS_SIZE") / 1048576 + 64 ))m sz-bench "$work/tmpfs" && mnt="$work/tmpfs"
fallocate -l "$TMPFS_SIZE" "$work/tmpfs/mem.img"
mem=$(losetup --find --show "$work/tmpfs/mem.img"); loops="$loops $mem"

mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
now() { date +%s.%N; }
# seconds for a command
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }

declare -A R
run_dev() { # run_dev KEY DEVICE
	local k=$1 d=$2 size s out cpu
	size=$(blockdev --getsize64 "$d")
	fio_bw() { fio --name=b --filename="$d" --rw="$1" --bs=1M --iodepth=16 --ioengine=io_uring --direct=1 \
		--size="$size" --end_fsync=1 --output-format=json 2>/dev/null | jq ".jobs[0].$1.bw_bytes"; }
	R[$k,fio_w]=$(awk -v b="$(fio_bw write)" 'BEGIN { printf "%.0f", b / 1e6 }')
	R[$k,fio_r]=$(awk -v b="$(fio_bw read)" 'BEGIN { printf "%.0f", b / 1e6 }')
	s=$(timed dd if=/dev/zero of="$d" bs=1M count=$((size / 1048576)) oflag=direct conv=fdatasync)
	R[$k,dd]=$(mbps "$size" "$s")
	s=$(timed shred -n 1 "$d")
	R[$k,shred]=$(mbps "$size" "$s")
	s=$(timed nwipe --autonuke --nogui --nousb --nosignals --verify=off --noblank --method=zero -l "$work/nw.log" "$d")
	R[$k,nw_zero]=$(mbps "$size" "$s")
	s=$(timed nwipe --autonuke --nogui --nousb --nosignals --verify=off --noblank --method=random -l "$work/nw.log" "$d")
	R[$k,nw_prng]=$(mbps "$size" "$s")
	"$SZ" wipe "$d" --method clear-zero --verify full --yes --json >"$work/z.json"
	jq -e '.state == "completed"' "$work/z.json" >/dev/null
	R[$k,sz_zero]=$(jq '.passes[0].rate_bytes_per_s / 1e6 | round' "$work/z.json")
	R[$k,sz_vfull]=$(jq '.verification.rate_bytes_per_s / 1e6 | round' "$work/z.json")
	/usr/bin/time -f "%U %S" -o "$work/cpu" "$SZ" wipe "$d" --method clear-random --verify sample --yes --json >"$work/r.json"
	jq -e '.state == "completed"' "$work/r.json" >/dev/null
	R[$k,sz_rand]=$(jq '.passes[0].rate_bytes_per_s / 1e6 | round' "$work/r.json")
	R[$k,sz_vsample]=$(jq '.verification.rate_bytes_per_s / 1e6 | round' "$work/r.json")
	cpu=$(awk '{ print $1 + $2 }' "$work/cpu")
	R[$k,cpu]=$(awk -v c="$cpu" -v b="$size" 'BEGIN { printf "%.3f", c / (b / 1e9) }')
	"$SZ" wipe "$d" --method clear-random --verify full --yes --json >"$work/rf.json"
	R[$k,sz_vfull_rand]=$(jq '.verification.rate_bytes_per_s / 1e6 | round' "$work/rf.json")
}

echo "# disk: loop (direct I/O) over $DISK_SIZE in /var/tmp; tmpfs: loop over $TMPFS_SIZE on tmpfs; $(nproc) CPUs"
run_dev disk "$disk"
run_dev mem "$mem"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() { # row LABEL KEY BASE
	printf "| %-34s | %8s | %5s | %8s | %5s |\n" "$1" "${R[disk,$2]}" "$(ratio "${R[disk,$2]}" "${R[disk,$3]}")" \
		"${R[mem,$2]}" "$(ratio "${R[mem,$2]}" "${R[mem,$3]}")"
}
printf "| %-34s | %8s | %5s | %8s | %5s |\n" "MB/s (ratio to raw fio)" "disk" "ratio" "tmpfs" "ratio"
printf "|%s|%s|%s|%s|%s|\n" "------------------------------------" "----------" "-------" "----------" "-------"
row "fio write, direct, QD16, 1 MiB" fio_w fio_w
row "fio read, direct, QD16, 1 MiB" fio_r fio_r
row "dd oflag=direct bs=1M" dd fio_w
row "shred -n 1 (one random pass)" shred fio_w
row "nwipe --method=zero" nw_zero fio_w
row "nwipe --method=random (PRNG)" nw_prng fio_w
row "sanitizerd clear-zero" sz_zero fio_w
row "sanitizerd clear-random" sz_rand fio_w
row "sanitizerd verify full (zeros)" sz_vfull fio_r
row "sanitizerd verify full (random)" sz_vfull_rand fio_r
row "sanitizerd verify sample (random)" sz_vsample fio_r
echo
echo "clear-random CPU (user+sys, with sample verify) per GB: disk ${R[disk,cpu]} s, tmpfs ${R[mem,cpu]} s"
best_disk=$(( ${R[disk,shred]} > ${R[disk,nw_prng]} ? ${R[disk,shred]} : ${R[disk,nw_prng]} ))
best_mem=$(( ${R[mem,shred]} > ${R[mem,nw_prng]} ? ${R[mem,shred]} : ${R[mem,nw_prng]} ))
echo "clear-random vs fastest of shred/nwipe random: disk $(ratio "${R[disk,sz_rand]}" $best_disk)x, tmpfs $(ratio "${R[mem,sz_rand]}" $best_mem)x"
