#!/usr/bin/env bash
# The layers (issue 12, STYLE.md): a directory may include its own headers
# and those of the layers below it, never one above.
#
#   util/      I/O helpers, time, parsing, the version      (the bottom)
#   audit/     the ledger, Merkle tree, keys, certificates  util
#   drivers/   block devices, ATA/NVMe/SCSI, wipe, purge    util
#   core/      the state directory and the wipe record      util audit drivers
#   api/       the REST API                                 util audit drivers core
#   sanitizerd/ the commands and main                       everything
#
# Within api/ only the job manager reaches drivers/: api/jobs.c (the jobs,
# the interlocks and O_EXCL probe before one) and api/station.c (the live
# device list): they are what the devices process runs (issue 12); every
# route handler, batches included, goes through them, and the http process
# through the devices process.
# Exit 1 with each offending line, 0 when the tree keeps the rule.
set -eu
cd "${1:-$(dirname "$0")/..}"
api_drivers="api/jobs.c api/station.c"
allowed() { # allowed DIR: the directories DIR may include
	case $1 in
	util) echo "util" ;;
	audit) echo "util audit" ;;
	drivers) echo "util drivers" ;;
	core) echo "util audit drivers core" ;;
	api) echo "util audit drivers core api" ;;
	*) echo "" ;;
	esac
}
bad=0
for dir in util audit drivers core api; do
	ok=$(allowed $dir)
	for f in $(find "$dir" -name '*.[ch]' | sort); do
		while IFS= read -r line; do
			inc=${line#*\"}; inc=${inc%%\"*}
			top=${inc%%/*}
			[ "$top" = "$inc" ] && continue	# a header beside it
			case " $ok " in *" $top "*) ;; *)
				echo "$f: includes \"$inc\": $dir/ may include only $ok" >&2; bad=1; continue ;;
			esac
			if [ "$dir" = api ] && [ "$top" = drivers ]; then
				case " $api_drivers " in *" $f "*) ;; *)
					echo "$f: includes \"$inc\": in api/ only $api_drivers reach drivers/" >&2; bad=1 ;;
				esac
			fi
		done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$f" || true)
	done
done
exit $bad
