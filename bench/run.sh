#!/usr/bin/env bash
# make bench: every benchmark in one run; results go to stdout as tables.
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d /var/tmp/sz-bench.XXXXXX)
trap 'rm -rf --one-file-system "$dir"' EXIT
echo "## ledger"
build/bench/ledger --entries "${LEDGER_ENTRIES:-1000000}" --durable "${LEDGER_DURABLE:-3000}" --dir "$dir/ledger"
for b in bench/*.sh; do
	case "$b" in bench/run.sh|bench/lib.sh) continue ;; esac
	echo
	echo "## $(basename "$b" .sh)"
	bash "$b"
done
