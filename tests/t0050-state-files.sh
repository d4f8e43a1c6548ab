#!/usr/bin/env bash
# Opening the state must check before it changes anything, and fail with a
# message rather than a signal (issue 11):
# - a 0-byte ledger.db and a foreign SQLite database are refused as "not a
#   sanitizerd ledger" and left byte for byte as they were, no -wal beside;
# - a state directory on a read-only mount is refused by serve and by
#   writing commands ("mounted read-only"), even with a -wal left over;
# - a full file system with 1 KiB blocks and a leftover -wal and -shm makes
#   serve and ledger verify exit 1 with a "sanitizerd: " line (SQLite's WAL
#   index is memory-mapped: without the space check this was a SIGBUS).
# The mounts are ext2 images on loop devices the test makes.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

# run_sz OUT CMD...: the exit code in $code; stdout+stderr in OUT
run_sz() { local o=$1; shift; timeout 10 "$SZ" "$@" >"$o" 2>&1; code=$?; }
# no signal, exit 1, and a "sanitizerd: " line saying $2
refused() {
	[ "$code" = 1 ] || { echo "exit code $code, want 1:"; cat "$1"; return 1; }
	grep -q "^sanitizerd: .*$2" "$1" || { echo "no line with '$2':"; cat "$1"; return 1; }
}

test_expect_success_here 'setup: a state directory' '
	"$SZ" init --state-dir st0 >/dev/null &&
	mkdir st && cp st0/signing.key st0/admin.token st/ && chmod 600 st/*
'

test_expect_success 'a 0-byte ledger.db is refused and stays 0 bytes, no -wal or -shm' '
	: >st/ledger.db &&
	for cmd in "ledger append --state-dir st --subject system --type note --data {}" \
		   "ledger verify --state-dir st" "ledger show --state-dir st" \
		   "serve --state-dir st --listen 127.0.0.1:1"; do
		run_sz out $cmd && refused out "not a sanitizerd ledger: .*is empty" || { echo "$cmd"; exit 1; }
		[ ! -s st/ledger.db ] && [ ! -e st/ledger.db-wal ] && [ ! -e st/ledger.db-shm ] &&
		[ ! -e st/ledger.db-journal ] || { echo "$cmd changed the files:"; ls -l st; exit 1; }
	done
'

test_expect_success 'a foreign SQLite database is refused and not rewritten (not switched to WAL)' '
	rm -f st/ledger.db && sqlite3 foreign.db "create table t(x); insert into t values(1),(2);" &&
	sqlite3 meta.db "create table meta(k text primary key, v text); insert into meta values(\"format\",\"other\");" &&
	for db in foreign meta; do
		cp $db.db st/ledger.db &&
		for cmd in "ledger append --state-dir st --subject system --type note --data {}" \
			   "ledger verify --state-dir st" "ledger verify --ledger st/ledger.db" \
			   "serve --state-dir st --listen 127.0.0.1:1"; do
			run_sz out $cmd && refused out "not a sanitizerd ledger" || { echo "$db: $cmd"; exit 1; }
			cmp $db.db st/ledger.db && [ ! -e st/ledger.db-wal ] && [ ! -e st/ledger.db-shm ] ||
				{ echo "$db: $cmd changed the files:"; ls -l st; exit 1; }
		done
	done &&
	grep -q "format .other." out
'

test_expect_success 'a file that is not SQLite at all is refused unchanged' '
	printf "hello, this is not a database\n" >st/ledger.db && cp st/ledger.db text.db &&
	run_sz out ledger append --state-dir st --subject system --type note --data {} &&
	refused out "not an SQLite database" && cmp text.db st/ledger.db && [ ! -e st/ledger.db-wal ]
'

test_expect_success 'a real ledger still opens for writing and reading' '
	run_sz out ledger append --state-dir st0 --subject system --type note --data {} && [ "$code" = 0 ] &&
	run_sz out ledger verify --state-dir st0 && [ "$code" = 0 ]
'

if [ "$(id -u)" != 0 ] || ! command -v mkfs.ext2 >/dev/null; then
	test_skip 'read-only and full file systems' 'needs root, loop devices and mkfs.ext2'
	test_done
fi
require_loop

# mkext2 NAME SIZE BLOCK: an ext2 file system on a loop device, mounted at NAME
mkext2() {
	truncate -s "$2" "$1.img" && mkfs.ext2 -q -F -b "$3" -m 0 "$1.img" &&
	local d && d=$(loop_attach "$1.img") && mkdir "$1" && mount "$d" "$1" && mount_register "$TRASH/$1"
}
# a daemon killed with -9 after some appends: its -wal and -shm stay behind
leave_wal() {
	"$SZ" init --state-dir "$1" >/dev/null && sz_serve "$1" &&
	for i in 1 2 3 4 5 6 7 8; do
		"$SZ" ledger append --state-dir "$1" --subject system --type note --data "{\"i\":$i}" >/dev/null || return 1
	done &&
	sz_crash $SZPID &&
	[ -s "$1/ledger.db-wal" ] && [ -e "$1/ledger.db-shm" ]
}

test_expect_success_here 'setup: a state directory with a leftover -wal on an ext2 mount, remounted read-only' '
	mkext2 ro 8M 4096 && leave_wal ro/st && mount -o remount,ro ro && ! touch ro/x 2>/dev/null
'

test_expect_success 'read-only mount: serve refuses to start, saying so' '
	run_sz out serve --state-dir ro/st --listen 127.0.0.1:1 && refused out "mounted read-only"
'

test_expect_success 'read-only mount: a writing command refuses, saying so' '
	run_sz out ledger append --state-dir ro/st --subject system --type note --data {} && refused out "mounted read-only"
'

test_expect_success 'read-only mount: ledger verify and show still read everything, the -wal included' '
	run_sz out ledger verify --state-dir ro/st && [ "$code" = 0 ] && grep -q "ledger verified: 10 entries" out &&
	[ "$("$SZ" ledger show --state-dir ro/st | grep -c "local:cli")" = 8 ]
'

# SQLite grows the -shm by writing one byte at the end of each 4 KiB page and
# then fills the pages through the mapping; on 1 KiB blocks the rest of each
# page is a hole until then.  A -shm that a killed SQLite left so (made here
# as SQLite makes it) and a full file system: the first store into a hole is
# a SIGBUS.  (A -shm SQLite had filled gives back as many blocks at the
# first open, which truncates it, as the mapping needs again.)
sparse_shm() {
	truncate -s 3 "$1" && for p in 0 1 2 3 4 5 6 7; do
		printf "\\0" | dd of="$1" bs=1 seek=$((p * 4096 + 4095)) conv=notrunc 2>/dev/null || return 1
	done && [ "$(stat -c %s "$1")" = 32768 ] && [ "$(stat -c %b "$1")" -lt 64 ]
}

test_expect_success_here 'setup: 1 KiB blocks, a leftover -wal and a sparse -shm, the file system full' '
	mkext2 full 4M 1024 && leave_wal full/st && sparse_shm full/st/ledger.db-shm &&
	{ dd if=/dev/zero of=full/filler bs=1k 2>/dev/null; true; } && sync &&
	{ dd if=/dev/zero of=full/filler2 bs=1k 2>/dev/null; true; } && sync &&
	[ "$(df --output=avail full | tail -n 1)" -eq 0 ]
'

test_expect_success 'full file system: serve exits 1 with a message, no SIGBUS' '
	run_sz out serve --state-dir full/st --listen 127.0.0.1:1 && refused out "file system is full"
'

test_expect_success 'full file system: ledger verify exits 1 with a message, no SIGBUS' '
	run_sz out ledger verify --state-dir full/st && refused out "file system is full"
'

test_expect_success 'full file system: ledger show and append exit 1 with a message' '
	run_sz out ledger show --state-dir full/st && refused out "file system is full" &&
	run_sz out ledger append --state-dir full/st --subject system --type note --data {} && refused out "file system is full"
'

test_expect_success 'space again: the ledger recovers its WAL and verifies with every entry' '
	rm -f full/filler full/filler2 &&
	run_sz out ledger verify --state-dir full/st && [ "$code" = 0 ] &&
	[ "$("$SZ" ledger show --state-dir full/st | grep -c "local:cli")" = 8 ]
'

test_done
