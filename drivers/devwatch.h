/*
 * devwatch — block devices as they appear, change and disappear (issue 13),
 * from the kernel's uevents through libudev: no polling loop, no shell.
 * When udevd runs (/run/udev/control) the monitor listens to udev's
 * events, which come after its rules have run; otherwise (containers, a
 * rescue image without udevd) to the kernel's own.  A thread waits on the
 * monitor and calls back with the kernel name of the whole disk concerned:
 * an event on a partition is reported as a change of its disk.
 */
#ifndef SZ_DEVWATCH_H
#define SZ_DEVWATCH_H

enum devwatch_action { DEVWATCH_ADD, DEVWATCH_CHANGE, DEVWATCH_REMOVE };

/* Called from the watch thread; name is the whole disk ("loop3", "sdb", "nvme0n1"). */
typedef void (*devwatch_fn)(void *ctx, enum devwatch_action a, const char *name);

struct devwatch;

/* Start watching: 0 with *out, -ENOMEM, or -errno (no netlink socket: not allowed here). */
int devwatch_start(devwatch_fn fn, void *ctx, struct devwatch **out);
/* Stop the thread and free; devwatch_stop(NULL) is a no-op.  No callback runs after it returns. */
void devwatch_stop(struct devwatch *w);
/* "udev" or "kernel": where the events come from; "none" for NULL.  Cannot fail. */
const char *devwatch_source(const struct devwatch *w);

#endif
