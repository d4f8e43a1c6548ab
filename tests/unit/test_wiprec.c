/* wiprec: the station's identifiers in every job record (issue 13), from a fake DMI directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/wiprec.h"
#include "tests/unit/tap.h"

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	char dir[] = "/tmp/sz-dmi.XXXXXX";
	json_t *st, *started;

	if (!mkdtemp(dir))
		return 1;
	put(dir, "sys_vendor", "Acme Corp\n");
	put(dir, "product_serial", "SN-123  \n");
	put(dir, "product_uuid", "\n");
	put(dir, "board_serial", "\xff\xfe\n");
	st = wiprec_station(dir);
	CHECK(st != NULL, "the station's identifiers");
	CHECK_STR(json_string_value(json_object_get(st, "sys_vendor")), "Acme Corp", "  vendor, trimmed");
	CHECK_STR(json_string_value(json_object_get(st, "product_serial")), "SN-123", "  serial, trimmed");
	CHECK(json_is_null(json_object_get(st, "product_uuid")), "  an empty attribute is null");
	CHECK(json_is_null(json_object_get(st, "product_name")), "  a missing attribute is null");
	CHECK(json_is_null(json_object_get(st, "board_serial")), "  an attribute that is not UTF-8 is null");
	CHECK(json_string_length(json_object_get(st, "hostname")) > 0, "  the hostname");
	json_decref(st);
	st = wiprec_station("/nonexistent/dmi");
	CHECK(st && json_is_null(json_object_get(st, "sys_vendor")), "no DMI at all: nulls, not an error");
	json_decref(st);
	started = wiprec_started("job_x", "clear-zero", "full", "/dev/loop9", "loop:/srv/a.img");
	/* a loop device has no drive health: "not available" when the node exists, null when it does not */
	CHECK(started && json_object_get(started, "health") &&
	      (json_is_null(json_object_get(started, "health")) ||
	       json_is_false(json_object_get(json_object_get(started, "health"), "available"))),
	      "sanitize_started carries the drive's health, or null");
	CHECK(started && json_is_object(json_object_get(started, "station")) &&
	      !strcmp(json_string_value(json_object_get(started, "job_id")), "job_x"),
	      "sanitize_started carries the station");
	json_decref(started);
	for (const char *n[] = { "sys_vendor", "product_serial", "product_uuid", "board_serial", NULL }, **p = n; *p; p++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, *p);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
