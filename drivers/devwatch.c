#include "drivers/devwatch.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <libudev.h>

struct devwatch {
	struct udev *udev;
	struct udev_monitor *mon;
	int stopfd;
	pthread_t th;
	devwatch_fn fn;
	void *ctx;
	const char *source;
};

static void deliver(struct devwatch *w, struct udev_device *d)
{
	const char *action = udev_device_get_action(d), *type = udev_device_get_devtype(d);
	const char *name = udev_device_get_sysname(d);
	enum devwatch_action a;

	if (!action || !name)
		return;
	if (!strcmp(action, "add"))
		a = DEVWATCH_ADD;
	else if (!strcmp(action, "remove"))
		a = DEVWATCH_REMOVE;
	else
		a = DEVWATCH_CHANGE;	/* change, online, offline, move, bind */
	if (type && !strcmp(type, "partition")) {
		/* a partition that comes or goes changes what its disk holds */
		struct udev_device *p = udev_device_get_parent_with_subsystem_devtype(d, "block", "disk");
		const char *pn = p ? udev_device_get_sysname(p) : NULL;
		if (pn)
			w->fn(w->ctx, DEVWATCH_CHANGE, pn);
		return;
	}
	w->fn(w->ctx, a, name);
}

static void *watch(void *arg)
{
	struct devwatch *w = arg;
	struct pollfd p[2] = { { .fd = udev_monitor_get_fd(w->mon), .events = POLLIN },
			       { .fd = w->stopfd, .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			struct udev_device *d = udev_monitor_receive_device(w->mon);
			if (d) {
				deliver(w, d);
				udev_device_unref(d);
			}
		}
	}
	return NULL;
}

int devwatch_start(devwatch_fn fn, void *ctx, struct devwatch **out)
{
	struct devwatch *w = calloc(1, sizeof(*w));
	int rc = -ENOMEM;

	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->ctx = ctx;
	w->stopfd = -1;
	w->udev = udev_new();
	if (!w->udev)
		goto fail;
	/* udev's events once its rules ran, where udevd runs; the kernel's own where it does not */
	w->source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	w->mon = udev_monitor_new_from_netlink(w->udev, w->source);
	if (!w->mon) {
		rc = errno ? -errno : -EPERM;
		goto fail;
	}
	if (udev_monitor_filter_add_match_subsystem_devtype(w->mon, "block", NULL) < 0 ||
	    udev_monitor_enable_receiving(w->mon) < 0) {
		rc = errno ? -errno : -EPERM;
		goto fail;
	}
	w->stopfd = eventfd(0, EFD_CLOEXEC);
	if (w->stopfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -pthread_create(&w->th, NULL, watch, w);
	if (rc < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	if (w->stopfd >= 0)
		close(w->stopfd);
	udev_monitor_unref(w->mon);
	udev_unref(w->udev);
	free(w);
	return rc;
}

void devwatch_stop(struct devwatch *w)
{
	uint64_t one = 1;

	if (!w)
		return;
	/* an eventfd takes 8 bytes whole or not at all; only a signal can interrupt it */
	while (write(w->stopfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(w->th, NULL);
	close(w->stopfd);
	udev_monitor_unref(w->mon);
	udev_unref(w->udev);
	free(w);
}

const char *devwatch_source(const struct devwatch *w)
{
	return w ? w->source : "none";
}
