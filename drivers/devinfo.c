#include "drivers/devinfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/purge.h"

static int add_purge(json_t *o, const struct blkdev_info *d)
{
	struct purge_caps caps;
	json_t *methods = json_object_get(o, "methods"), *names = json_array(), *c;
	char msg[160];
	int rc, bad = !names;

	/* identify-class commands only; a loop or virtio device is never opened (-ENOTSUP) */
	rc = d->partition ? -ENOTSUP : purge_probe(d->path, &caps);
	if (rc == -ENOTSUP) {
		bad |= json_object_set_new(o, "purge", json_null());
		bad |= json_object_set_new(o, "purge_capabilities", names);
		return bad ? -ENOMEM : 0;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot identify %s: %s", d->path, strerror(-rc));
		bad |= json_object_set_new(o, "purge", json_pack("{s:s}", "error", msg));
		bad |= json_object_set_new(o, "purge_capabilities", names);
		return bad ? -ENOMEM : 0;
	}
	for (int m = 0; !bad && m < PURGE_METHOD_COUNT; m++) {
		if (!(caps.methods & (1u << m)))
			continue;
		bad |= json_array_append_new(names, json_string(purge_method_name((enum purge_method)m)));
		if (!d->read_only && json_is_array(methods))
			bad |= json_array_append_new(methods, json_string(purge_method_name((enum purge_method)m)));
	}
	c = purge_caps_to_json(&caps);
	bad |= !c;
	bad |= json_object_set_new(o, "purge", c ? c : json_null());
	bad |= json_object_set_new(o, "purge_capabilities", names);
	return bad ? -ENOMEM : 0;
}

json_t *devinfo_to_json(const struct blkdev_info *d)
{
	json_t *o = blkdev_to_json(d);

	if (o && add_purge(o, d) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *devinfo_list_to_json(const struct blkdev_info *d, size_t n)
{
	json_t *arr = json_array(), *o;
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(arr, devinfo_to_json(&d[i]))) {
			json_decref(arr);
			return NULL;
		}
	}
	o = json_pack("{s:o}", "devices", arr);
	return o;
}
