/*
 * devinfo — a device as GET /v1/devices and `sanitizerd devices --json`
 * serve it (SPEC section 7): blkdev.h's description plus what the drive
 * says it can purge, read with identify-class commands only (purge_probe).
 * Kept apart from blkdev.c so that discovery stays free of SG_IO and NVMe
 * ioctls.
 *
 * Added to blkdev_to_json's object:
 *   "purge": purge_caps_to_json's object for an NVMe namespace or a whole
 *            SCSI/SATA disk; null for anything with no drive command set
 *            (loop, virtio, dm, md, partitions); {"error": "..."} when the
 *            drive could not be asked;
 *   "purge_capabilities": the supported purge method names (was []);
 *   "methods": those names appended when the device is writable.
 */
#ifndef SZ_DEVINFO_H
#define SZ_DEVINFO_H
#include <stddef.h>
#include <jansson.h>

#include "drivers/blkdev.h"

/* One device.  A new reference, or NULL on ENOMEM.  Sends nothing but identify commands. */
json_t *devinfo_to_json(const struct blkdev_info *d);
/* {"devices":[...]}: for h_devices and cmd_devices.  A new reference, or NULL on ENOMEM. */
json_t *devinfo_list_to_json(const struct blkdev_info *d, size_t n);

#endif
