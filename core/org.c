#include "core/org.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "core/state.h"
#include "util/xio.h"

static const char *const keys[] = { "name", "location", "phone" };

static char **field(struct sz_org *o, size_t i)
{
	return i == 0 ? &o->name : i == 1 ? &o->location : &o->phone;
}

int org_value_valid(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	json_t *s;

	if (n == 0 || n > ORG_FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	s = json_string(v);	/* NULL for invalid UTF-8 */
	json_decref(s);
	return s != NULL;
}

void org_clear(struct sz_org *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < 3; i++) {
		free(*field(o, i));
		*field(o, i) = NULL;
	}
}

int org_load(const char *dir, struct sz_org *o, char *err, size_t errlen)
{
	char *path = state_path(dir, ORG_FILE), *text = NULL;
	json_error_t jerr;
	json_t *j = NULL;
	size_t len;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!path)
		return -ENOMEM;
	rc = xread_file(path, 4096, &text, &len);
	if (rc == -ENOENT)
		goto out;
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot read %s: %s", path, strerror(-rc));
		goto out;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		rc = xerr(err, errlen, -EINVAL, "invalid %s: not a JSON object", path);
		goto out;
	}
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		json_t *v = json_object_get(j, keys[i]);

		if (!v)
			continue;
		if (!json_is_string(v) || !org_value_valid(json_string_value(v)))
			rc = xerr(err, errlen, -EINVAL, "invalid %s: %s is not a line of text", path, keys[i]);
		else if (!(*field(o, i) = strdup(json_string_value(v))))
			rc = -ENOMEM;
	}
	if (rc == 0 && json_object_size(j) != (size_t)((o->name != NULL) + (o->location != NULL) + (o->phone != NULL)))
		rc = xerr(err, errlen, -EINVAL, "invalid %s: want only name, location and phone", path);
out:
	if (rc < 0)
		org_clear(o);
	json_decref(j);
	free(text);
	free(path);
	return rc;
}

int org_store(const char *dir, const struct sz_org *o, char *err, size_t errlen)
{
	char *path = state_path(dir, ORG_FILE), *tmp = state_path(dir, ORG_FILE ".new"), *text = NULL;
	json_t *j = json_object();
	int rc = 0;

	if (!path || !tmp || !j) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		const char *v = *field((struct sz_org *)o, i);

		if (v && !org_value_valid(v))
			rc = xerr(err, errlen, -EINVAL, "invalid organisation %s: want 1 to %d bytes of text on one line",
				  keys[i], ORG_FIELD_MAX);
		else if (v && json_object_set_new(j, keys[i], json_string(v)))
			rc = -ENOMEM;
	}
	if (rc == 0 && !(text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS)))
		rc = -ENOMEM;
	if (rc < 0)
		goto out;
	unlink(tmp);	/* one left by a crash; xwrite_file_excl refuses to reuse it */
	rc = xwrite_file_excl(tmp, text, strlen(text), 0600);
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
	}
	if (rc < 0)
		xerr(err, errlen, rc, "cannot write %s: %s", path, strerror(-rc));
out:
	if (rc == -ENOMEM)
		xerr(err, errlen, rc, "cannot store the organisation: out of memory");
	json_decref(j);
	free(text);
	free(tmp);
	free(path);
	return rc;
}
