#include "drivers/luks.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <libcryptsetup.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "drivers/pattern.h"
#include "drivers/verify.h"
#include "util/xio.h"

/* libcryptsetup's last error line, so our message can carry it. */
struct log_buf {
	char last[256];
};

static void on_log(int level, const char *msg, void *usrptr)
{
	struct log_buf *lb = usrptr;
	size_t n;

	if (level != CRYPT_LOG_ERROR || !lb)
		return;
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	if (n >= sizeof(lb->last))
		n = sizeof(lb->last) - 1;
	memcpy(lb->last, msg, n);
	lb->last[n] = '\0';
}

/* Load the header into a new context; -EMEDIUMTYPE when there is none. */
static int load(const char *path, struct crypt_device **cd, struct log_buf *lb,
		struct luks_report *rep, char *msg, size_t msglen)
{
	const char *type, *uuid;
	uint64_t md = 0, ks = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	crypt_set_log_callback(NULL, on_log, lb);
	rc = crypt_init(cd, path);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	crypt_set_log_callback(*cd, on_log, lb);
	rc = crypt_load(*cd, CRYPT_LUKS, NULL);
	if (rc < 0) {
		crypt_free(*cd);
		*cd = NULL;
		if (rc == -EINVAL || rc == -ENOENT) {
			snprintf(msg, msglen, "cannot erase %s: not a LUKS device", path);
			return -EMEDIUMTYPE;
		}
		snprintf(msg, msglen, "cannot read the LUKS header of %s: %s", path,
			 lb->last[0] ? lb->last : strerror(-rc));
		return rc;
	}
	type = crypt_get_type(*cd);
	uuid = crypt_get_uuid(*cd);
	snprintf(rep->type, sizeof(rep->type), "%s", type ? type : "");
	snprintf(rep->uuid, sizeof(rep->uuid), "%s", uuid ? uuid : "");
	rep->data_offset = crypt_get_data_offset(*cd) * 512;	/* libcryptsetup counts 512-byte sectors */
	if (crypt_get_metadata_size(*cd, &md, &ks) == 0) {
		rep->metadata_size = md;
		rep->keyslots_size = ks;
	}
	return 0;
}

int luks_probe(const char *path, struct luks_report *rep, char *msg, size_t msglen)
{
	struct crypt_device *cd = NULL;
	struct log_buf lb = { "" };
	int rc;

	rc = load(path, &cd, &lb, rep, msg, msglen);
	crypt_free(cd);
	crypt_set_log_callback(NULL, NULL, NULL);
	return rc;
}

/* libblkid, from the start of the device: is any LUKS signature left? */
static int blkid_sees_luks(const char *path)
{
	const char *type;
	blkid_probe pr;
	int found = 0;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	while (blkid_do_probe(pr) == 0)
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && !strcmp(type, "crypto_LUKS"))
			found = 1;
	blkid_free_probe(pr);
	return found;
}

int luks_erase(const char *path, int fd, struct ioq *q, struct luks_report *rep,
	       uint64_t *fail_off, char *msg, size_t msglen)
{
	struct crypt_device *cd = NULL;
	struct log_buf lb = { "" };
	struct pattern *zero = NULL;
	struct verify_plan *plan = NULL;
	struct ioq_range area;
	struct ioq_ops ops = { 0 };
	struct ioq_status st;
	void *zbuf = NULL;
	int rc, max, slot, seen;

	*fail_off = 0;
	rc = load(path, &cd, &lb, rep, msg, msglen);
	if (rc < 0)
		goto out;
	if (rep->data_offset == 0 || rep->data_offset % 4096) {
		/* a detached header lives elsewhere: erasing here would destroy nothing */
		snprintf(msg, msglen, "cannot erase %s: the LUKS header is detached or misaligned (data offset %llu)",
			 path, (unsigned long long)rep->data_offset);
		rc = -EINVAL;
		goto out;
	}
	/* 1. every keyslot, active or unbound: the wrapped volume key goes first */
	max = crypt_keyslot_max(rep->type);
	for (slot = 0; max > 0 && slot < max && slot < LUKS_MAX_SLOTS; slot++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, slot);
		if (ki == CRYPT_SLOT_INACTIVE || ki == CRYPT_SLOT_INVALID)
			continue;
		rc = crypt_keyslot_destroy(cd, slot);
		if (rc < 0) {
			snprintf(msg, msglen, "cannot destroy keyslot %d of %s: %s", slot, path,
				 lb.last[0] ? lb.last : strerror(-rc));
			goto out;
		}
		rep->slots[rep->nslots++] = slot;
	}
	crypt_free(cd);
	cd = NULL;

	/*
	 * 2. zeros over [0, data offset): LUKS2's two header copies and keyslot
	 * area, or LUKS1's header and key material, whatever their sizes.
	 */
	rc = pattern_new(PATTERN_ZERO, NULL, NULL, &zero);
	if (rc < 0)
		goto out;
	area.off = 0;
	area.len = rep->data_offset;
	if (posix_memalign(&zbuf, IOQ_ALIGN, ioq_io_size(q))) {
		rc = -ENOMEM;
		goto out;
	}
	memset(zbuf, 0, ioq_io_size(q));
	ops.shared = zbuf;
	rc = ioq_run(q, 1, &area, 1, &ops, &st);
	if (rc < 0) {
		*fail_off = st.fail_off;
		snprintf(msg, msglen, "cannot write %s at offset %llu: %s", path,
			 (unsigned long long)st.fail_off, strerror(st.err));
		goto out;
	}
	rc = xfdatasync(fd);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot flush %s: %s", path, strerror(-rc));
		goto out;
	}
	/* drop cached header pages, so libblkid reads the media, not memory */
	(void)ioctl(fd, BLKFLSBUF, 0);

	/* 3. check: no signature, and the area reads back all zero */
	seen = blkid_sees_luks(path);
	rep->signature_gone = seen == 0;
	rc = verify_plan_new(VERIFY_FULL, rep->data_offset, 512, 0, &plan);
	if (rc < 0)
		goto out;
	rc = verify_run(q, zero, plan, NULL, NULL, &st);
	rep->area_zero = rc == 0;
	if (rc < 0 && rc != -EILSEQ) {
		*fail_off = st.fail_off;
		snprintf(msg, msglen, "cannot read %s at offset %llu: %s", path,
			 (unsigned long long)st.fail_off, strerror(st.err));
		goto out;
	}
	if (!rep->signature_gone || !rep->area_zero) {
		snprintf(msg, msglen, "verification failed on %s: %s", path,
			 !rep->signature_gone ? "a LUKS signature is still found" :
						"the header area is not all zero");
		rc = -EILSEQ;
		goto out;
	}
	rc = 0;
out:
	crypt_free(cd);
	crypt_set_log_callback(NULL, NULL, NULL);
	verify_plan_free(plan);
	pattern_free(zero);
	free(zbuf);
	return rc;
}
