/*
 * What a purge's read-back may find (issue 10 item 5), the one success
 * rule for the ledger and the certificate (item 8, sanitize_result_passed),
 * and the exceptions in the report (item 4).  Pure: no device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sanitize.h"
#include "tests/unit/tap.h"

#define BLK 4096

int main(void)
{
	static uint8_t zeros[BLK], ones[BLK], sentinel[BLK], mixed[BLK];
	static struct sanitize_result r;
	char basis[192], why[256];
	size_t bad = 0;
	unsigned acc;
	int assumed = -1, seen;
	json_t *o, *a;

	memset(ones, 0xff, sizeof(ones));
	for (size_t i = 0; i < BLK; i += 32)
		memcpy(sentinel + i, "SZSENTNL", 8);
	memset(mixed, 0xff, sizeof(mixed));
	mixed[100] = 0x00;

	/* the rules */
	acc = purge_readback_rule(PURGE_ATA_SECURE_ERASE, 0, basis, sizeof(basis), &assumed);
	CHECK_EQ_INT(acc, PURGE_RB_ZEROS | PURGE_RB_ONES, "ata normal secure erase: zeros or ones");
	CHECK(!assumed && strstr(basis, "ACS-3 7.45"), "  from the standard, citing ACS-3 7.45");
	CHECK_STR(purge_readback_name(acc), "zeros-or-ones", "  named zeros-or-ones");
	acc = purge_readback_rule(PURGE_ATA_SECURE_ERASE_ENHANCED, 0, basis, sizeof(basis), &assumed);
	CHECK_EQ_INT(acc, PURGE_RB_ANY, "enhanced erase: a vendor pattern, readability only");
	acc = purge_readback_rule(PURGE_NVME_SANITIZE_BLOCK, 1, basis, sizeof(basis), &assumed);
	CHECK(acc == PURGE_RB_ZEROS && !assumed && strstr(basis, "DLFEAT 001b"), "nvme sanitize, DLFEAT 001b: zeros");
	acc = purge_readback_rule(PURGE_NVME_SANITIZE_CRYPTO, 2, basis, sizeof(basis), &assumed);
	CHECK(acc == PURGE_RB_ONES && !assumed && strstr(basis, "DLFEAT 010b"), "nvme sanitize, DLFEAT 010b: ones");
	CHECK_STR(purge_readback_name(acc), "ones", "  named ones");
	acc = purge_readback_rule(PURGE_NVME_SANITIZE_BLOCK, 0, basis, sizeof(basis), &assumed);
	CHECK(acc == (PURGE_RB_ZEROS | PURGE_RB_ONES) && assumed, "DLFEAT 000b: zeros or ones, and said to be assumed");
	CHECK(strstr(basis, "does not report") != NULL, "  in words");
	acc = purge_readback_rule(PURGE_NVME_SANITIZE_OVERWRITE, 2, basis, sizeof(basis), &assumed);
	CHECK_EQ_INT(acc, PURGE_RB_ZEROS | PURGE_RB_ONES, "nvme overwrite, DLFEAT 010b: our zeros or the deallocated ones");
	CHECK_EQ_INT(purge_readback_rule(PURGE_SCSI_SANITIZE_OVERWRITE, 0, basis, sizeof(basis), &assumed), PURGE_RB_ZEROS,
		     "scsi overwrite: zeros");
	CHECK_EQ_INT(purge_readback_rule(PURGE_NVME_FORMAT_USER, 1, basis, sizeof(basis), &assumed), PURGE_RB_ANY,
		     "format nvm user data erase: content indeterminate, readability only");

	/* the check */
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ZEROS | PURGE_RB_ONES, &seen, ones, BLK, &bad), 0,
		     "ata normal erase that wrote ones: passes (the old rule failed it)");
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ZEROS | PURGE_RB_ONES, &seen, ones, BLK, &bad), 0, "  and again");
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ZEROS | PURGE_RB_ONES, &seen, zeros, BLK, &bad), -EILSEQ,
		     "  but not ones here and zeros there: one pattern per device");
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ZEROS | PURGE_RB_ONES, &seen, zeros, BLK, &bad), 0, "zeros pass");
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ZEROS | PURGE_RB_ONES, &seen, sentinel, BLK, &bad), -EILSEQ,
		     "a surviving sentinel never passes");
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ONES, &seen, mixed, BLK, &bad), -EILSEQ, "ones with one zero byte fails");
	CHECK_EQ_INT(bad, 100, "  at offset 100");
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ZEROS, &seen, ones, BLK, &bad), -EILSEQ,
		     "ones where only zeros are defined fail");
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ONES, &seen, ones, BLK, &bad), 0,
		     "DLFEAT 010b: deallocated ones pass");
	seen = 0;
	CHECK_EQ_INT(sanitize_readback_check(PURGE_RB_ANY, &seen, sentinel, BLK, &bad), 0,
		     "readability only: content not judged here (the sentinel check is)");

	/* the one success rule */
	memset(&r, 0, sizeof(r));
	r.state = WIPE_COMPLETED;
	snprintf(r.method, sizeof(r.method), "nvme-sanitize-crypto");
	r.verify.performed = 1;
	r.verify.passed = 1;
	snprintf(r.verify.check, sizeof(r.verify.check), "zeros");
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 1, "completed and verified: passed");
	r.verify.passed = 0;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 0, "verification failed: not passed");
	CHECK(strstr(why, "failed") != NULL, "  why says so");
	r.verify.performed = 0;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 0,
		     "not verified and no exception: not passed (api/jobs.c accepted !verify.performed)");
	snprintf(r.exceptions.e[0].kind, sizeof(r.exceptions.e[0].kind), "hidden_area_undetermined");
	snprintf(r.exceptions.e[0].detail, sizeof(r.exceptions.e[0].detail), "x");
	r.exceptions.e[0].offset = -1;
	r.exceptions.n = 1;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 0, "  another exception does not excuse it");
	snprintf(r.exceptions.e[1].kind, sizeof(r.exceptions.e[1].kind), "readback_not_applicable");
	snprintf(r.exceptions.e[1].detail, sizeof(r.exceptions.e[1].detail), "no read-back applies to this method");
	r.exceptions.e[1].offset = -1;
	r.exceptions.n = 2;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 1, "  readback_not_applicable, said plainly: passed");
	r.exceptions.e[1].detail[0] = 0;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 0, "  but not with an empty detail");
	r.verify.performed = 1;
	r.verify.passed = 1;
	r.state = WIPE_FAILED;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 0, "verified but failed (a later step): not passed");
	r.state = WIPE_CANCELLED;
	CHECK_EQ_INT(sanitize_result_passed(&r, why, sizeof(why)), 0, "cancelled: not passed");

	/* exceptions in the report */
	memset(&r, 0, sizeof(r));
	r.kind = SANITIZE_PURGE;
	r.state = WIPE_COMPLETED;
	r.engine.purge.state = PURGE_COMPLETED;
	r.engine.purge.verify.survivor_offset = -1;
	r.readback.mismatch_offset = -1;
	snprintf(r.exceptions.e[0].kind, sizeof(r.exceptions.e[0].kind), "hidden_area_undetermined");
	snprintf(r.exceptions.e[0].detail, sizeof(r.exceptions.e[0].detail), "get native max address ext: aborted");
	r.exceptions.e[0].offset = -1;
	snprintf(r.exceptions.e[1].kind, sizeof(r.exceptions.e[1].kind), "io_retry");
	snprintf(r.exceptions.e[1].detail, sizeof(r.exceptions.e[1].detail), "one retry");
	r.exceptions.e[1].offset = 4096;
	r.exceptions.e[1].length = 512;
	r.exceptions.n = 2;
	o = sanitize_result_to_json(&r);
	a = o ? json_object_get(o, "exceptions") : NULL;
	CHECK(json_is_array(a) && json_array_size(a) == 2, "the report carries an exceptions array of 2");
	CHECK(a && !strcmp(json_string_value(json_object_get(json_array_get(a, 0), "kind")), "hidden_area_undetermined") &&
	      json_is_null(json_object_get(json_array_get(a, 0), "offset")) &&
	      json_integer_value(json_object_get(json_array_get(a, 0), "length")) == 0,
	      "  {kind, detail, offset null, length 0}");
	CHECK(a && json_integer_value(json_object_get(json_array_get(a, 1), "offset")) == 4096 &&
	      json_integer_value(json_object_get(json_array_get(a, 1), "length")) == 512 &&
	      !strcmp(json_string_value(json_object_get(json_array_get(a, 1), "detail")), "one retry"),
	      "  offset and length when a range applies");
	json_decref(o);
	r.exceptions.n = 0;
	o = sanitize_result_to_json(&r);
	CHECK(o && json_is_array(json_object_get(o, "exceptions")) && json_array_size(json_object_get(o, "exceptions")) == 0,
	      "no exceptions: an empty array, not a missing key");
	json_decref(o);
	return tap_done();
}
