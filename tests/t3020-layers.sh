#!/usr/bin/env bash
# The layering rule (issue 12): scripts/layers.sh passes on the tree and
# fails, naming the file and the rule, on copies that break it.
. "$(dirname "$0")/lib.sh"

copy_tree() { mkdir -p "$1" && (cd "$TOP" && cp -r util audit drivers core api "$OLDPWD/$1/"); }

test_expect_success 'the tree keeps the layers' '
	"$TOP/scripts/layers.sh" "$TOP"
'

test_expect_success 'drivers/ including sanitizerd/ is refused, with the file named' '
	copy_tree a && sed -i "1i #include \"sanitizerd/cmd.h\"" a/drivers/wipe.c &&
	! "$TOP/scripts/layers.sh" a 2>err && grep -q "drivers/wipe.c: includes \"sanitizerd/cmd.h\"" err
'

test_expect_success 'audit/ including drivers/ (a sibling, not below) is refused' '
	copy_tree b && sed -i "1i #include \"drivers/blkdev.h\"" b/audit/ledger.c &&
	! "$TOP/scripts/layers.sh" b 2>err && grep -q "audit/ledger.c: includes \"drivers/blkdev.h\": audit/ may include only util audit" err
'

test_expect_success 'util/ including core/, and core/ including api/, are refused' '
	copy_tree c && sed -i "1i #include \"core/state.h\"" c/util/xio.c &&
	sed -i "1i #include \"api/api.h\"" c/core/wiprec.c &&
	! "$TOP/scripts/layers.sh" c 2>err && grep -q "util/xio.c" err && grep -q "core/wiprec.c" err
'

test_expect_success 'a route handler reaching drivers/ directly is refused' '
	copy_tree d && sed -i "1i #include \"drivers/interlock.h\"" d/api/h_assets.c &&
	! "$TOP/scripts/layers.sh" d 2>err && grep -q "api/h_assets.c: .*only api/jobs.c" err
'

test_done
