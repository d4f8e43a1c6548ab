#include "api/station.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <microhttpd.h>

#include "api/api.h"
#include "api/jobs.h"
#include "audit/ledger.h"
#include "drivers/blkdev.h"
#include "drivers/devinfo.h"
#include "drivers/devwatch.h"
#include "core/wiprec.h"
#include "core/ipc.h"
#include "core/ipclink.h"
#include "util/xio.h"

#define KEEPALIVE_S 15

struct device {
	struct blkdev_info info;
	json_t *json;		/* devinfo_to_json, made when it was probed */
};

/* An event's text, "id: N\nevent: T\ndata: {...}\n\n", lives at off in the byte ring. */
struct event {
	uint64_t id;
	size_t off, len;
};

struct stream {
	struct station *s;
	struct MHD_Connection *c;
	uint64_t next;		/* the id of the next event it wants */
	int suspended;
	int ping;		/* a keep-alive is due */
	char *pending;		/* the rest of an event the buffer had no room for */
	size_t plen, poff;
	struct stream *prev, *nextsub;
};

struct station {
	struct api *a;
	struct blkdev_env env;
	struct devwatch *watch;
	pthread_mutex_t m;
	/* devices, by kernel name */
	struct device *dev[BLKDEV_MAX_DEVICES];
	size_t ndev;
	/*
	 * The event ring: an index of the last STATION_EVENTS events over one
	 * byte ring of STATION_RING_BYTES, both allocated once at start, so that
	 * kept events pin no memory in the threads' malloc arenas.  Writing an
	 * event evicts the oldest ones whose bytes it covers.
	 */
	struct event ring[STATION_EVENTS];
	char *bytes;
	size_t head;		/* where the next event's text goes */
	uint64_t base, last;	/* ids: base + 1 is the first; last is the newest (base when none) */
	uint64_t oldest;	/* the oldest id still kept (last + 1 when none) */
	/* streams */
	struct stream *subs;
	int closing;
	pthread_t ka;
	pthread_cond_t kacond;
	int kastop;
	int enumerated;		/* the devices present at start have all been probed */
	pthread_cond_t enumcond;
};

/* ---- events ---- */

/* The event with that id, or NULL if it is not in the ring (under s->m). */
static struct event *event_at(struct station *s, uint64_t id)
{
	struct event *e;

	if (id < s->oldest || id > s->last)
		return NULL;
	e = &s->ring[id % STATION_EVENTS];
	return e->id == id ? e : NULL;
}

/* Room for len bytes in the byte ring: their offset, the oldest events they cover evicted (under s->m). */
static size_t ring_place(struct station *s, size_t len)
{
	size_t at = s->head + len > STATION_RING_BYTES ? 0 : s->head;

	while (s->oldest <= s->last) {
		struct event *o = &s->ring[s->oldest % STATION_EVENTS];
		if (o->id == s->oldest && o->off < at + len && at < o->off + o->len)
			s->oldest++;		/* its bytes are about to be overwritten */
		else
			break;
	}
	s->head = at + len;
	return at;
}

/* Wake the suspended streams: outside s->m (libmicrohttpd takes its own locks). */
static void wake(struct MHD_Connection **c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(c[i]);
}

/* Mark every suspended stream awake and collect its connection (under s->m); *n of them. */
static struct MHD_Connection **take_suspended(struct station *s, size_t *n, int ping)
{
	struct MHD_Connection **c;
	size_t k = 0;

	*n = 0;
	for (struct stream *t = s->subs; t; t = t->nextsub)
		k += t->suspended;
	c = k ? malloc(k * sizeof(*c)) : NULL;
	if (!c)
		return NULL;
	for (struct stream *t = s->subs; t; t = t->nextsub) {
		if (ping)
			t->ping = 1;
		if (t->suspended) {
			t->suspended = 0;
			c[(*n)++] = t->c;
		}
	}
	return c;
}

void station_publish(struct station *s, const char *type, json_t *data)
{
	struct MHD_Connection **c = NULL;
	struct event *e;
	char *d;
	size_t n = 0;

	if (!s || !data) {
		json_decref(data);
		return;
	}
	d = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (d && strlen(d) > STATION_EVENT_MAX) {
		free(d);
		d = strdup("{\"truncated\":true}");
	}
	if (!d)
		return;
	if (s->a->mode == API_DEVICES) {
		/* the streams are the http process's (issue 12): the event goes there; lost while it restarts */
		struct ipc_w w = { 0 };

		if (ipc_enc_event(&w, type, d, strlen(d)) == 0)
			ipc_link_send(s->a->lk_http, IPC_DEV_EVENT, 0, &w);
		ipc_w_free(&w);
		free(d);
		return;
	}
	pthread_mutex_lock(&s->m);
	/* the id first, then the oldest slot's index entry goes whatever its bytes */
	if (s->last + 1 - s->oldest >= STATION_EVENTS)
		s->oldest++;
	s->last++;
	e = &s->ring[s->last % STATION_EVENTS];
	e->id = s->last;
	/* JSON text has no raw newline, so one data line carries it whole */
	e->len = (size_t)snprintf(NULL, 0, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", e->id, type, d);
	e->off = ring_place(s, e->len + 1);
	snprintf(s->bytes + e->off, e->len + 1, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", e->id, type, d);
	if (s->oldest > s->last)
		s->oldest = s->last;
	c = take_suspended(s, &n, 0);
	pthread_mutex_unlock(&s->m);
	free(d);
	wake(c, n);
	free(c);
}

static void on_device(void *ctx, enum devwatch_action act, const char *name);
static struct device *dev_find(struct station *s, const char *name, size_t *at);

/* The devices present at start, probed off the start-up path (a station's drives answer identify commands slowly). */
static void enumerate(struct station *s)
{
	struct blkdev_info *list = NULL;
	size_t n = 0;

	if (blkdev_list(&s->env, &list, &n) < 0) {
		api_log(s->a, "warning: cannot list block devices at start");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct device *d;
		pthread_mutex_lock(&s->m);
		d = dev_find(s, list[i].name, NULL);
		pthread_mutex_unlock(&s->m);
		if (!d)
			on_device(s, DEVWATCH_ADD, list[i].name);
	}
	free(list);
}

static void *keepalive(void *arg)
{
	struct station *s = arg;
	struct MHD_Connection **c;
	struct timespec ts;
	size_t n;

	if (s->a->mode != API_HTTP)	/* the http process has no devices: only the streams */
		enumerate(s);
	pthread_mutex_lock(&s->m);
	s->enumerated = 1;
	pthread_cond_broadcast(&s->enumcond);
	while (!s->kastop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += KEEPALIVE_S;
		if (pthread_cond_timedwait(&s->kacond, &s->m, &ts) != ETIMEDOUT || s->kastop)
			continue;
		c = take_suspended(s, &n, 1);
		pthread_mutex_unlock(&s->m);
		wake(c, n);
		free(c);
		pthread_mutex_lock(&s->m);
	}
	pthread_mutex_unlock(&s->m);
	return NULL;
}

/* ---- devices ---- */

static struct device *dev_find(struct station *s, const char *name, size_t *at)
{
	for (size_t i = 0; i < s->ndev; i++) {
		if (!strcmp(s->dev[i]->info.name, name)) {
			if (at)
				*at = i;
			return s->dev[i];
		}
	}
	return NULL;
}

/* Probe name; a new struct device, or NULL when it is not there (or has no size: a loop with nothing attached). */
static struct device *probe(struct station *s, const char *name)
{
	struct device *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (blkdev_probe_name(&s->env, name, &d->info) < 0 || d->info.size == 0 || d->info.partition ||
	    !(d->json = devinfo_to_json(&d->info))) {
		free(d);
		return NULL;
	}
	return d;
}

static void dev_free(struct device *d)
{
	if (d) {
		json_decref(d->json);
		free(d);
	}
}

static void on_device(void *ctx, enum devwatch_action act, const char *name)
{
	struct station *s = ctx;
	struct device *nd = act == DEVWATCH_REMOVE ? NULL : probe(s, name), *old;
	const char *type = NULL;
	json_t *ev = NULL;
	unsigned maj = 0, min = 0;
	size_t at;
	int gone = 0;

	pthread_mutex_lock(&s->m);
	old = dev_find(s, name, &at);
	if (old && !nd) {
		maj = old->info.major;
		min = old->info.minor;
		ev = json_pack("{s:s, s:s?}", "name", name, "identity", old->info.identity[0] ? old->info.identity : NULL);
		memmove(&s->dev[at], &s->dev[at + 1], (s->ndev - at - 1) * sizeof(s->dev[0]));
		s->ndev--;
		dev_free(old);
		type = "device.removed";
		gone = 1;
	} else if (old && nd) {
		/* the same name with another device number is another drive */
		gone = old->info.major != nd->info.major || old->info.minor != nd->info.minor ||
		       strcmp(old->info.identity, nd->info.identity);
		maj = old->info.major;
		min = old->info.minor;
		s->dev[at] = nd;
		dev_free(old);
		ev = json_incref(nd->json);
		type = "device.changed";
	} else if (nd && s->ndev < BLKDEV_MAX_DEVICES) {
		s->dev[s->ndev++] = nd;
		ev = json_incref(nd->json);
		type = "device.added";
	} else {
		dev_free(nd);
	}
	pthread_mutex_unlock(&s->m);
	if (gone && s->a->jobs)
		jobs_device_gone(s->a->jobs, maj, min);
	if (type)
		station_publish(s, type, ev);
	else
		json_decref(ev);
}

/* The asset a device is, as GET /v1/devices shows it: {id, state, tenant, serial} or null. */
static json_t *asset_of(struct api *a, struct ledger *l, const struct blkdev_info *d)
{
	char id[160], media[16];
	json_t *asset = NULL, *o;

	if (!d->identity[0] || wiprec_find_asset(l, d->identity, d->wwn, id, sizeof(id), media, sizeof(media)) < 0 ||
	    api_asset_load(a, l, NULL, id, &asset) < 0)
		return json_null();
	o = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "id", json_object_get(asset, "id"),
		      "state", json_object_get(asset, "state"), "tenant", json_object_get(asset, "tenant"),
		      "serial", json_object_get(asset, "serial"),
		      "capacity_bytes", json_object_get(asset, "capacity_bytes"));
	json_decref(asset);
	return o ? o : json_null();
}

void h_station_devices(struct req *r, struct resp *out)
{
	struct api *a = r->api;
	struct station *s = a->station;
	struct ledger *l;
	json_t *arr = json_array();
	int bad = !arr;

	if (!s->watch) {
		struct blkdev_info *list = NULL;
		char (*known)[BLKDEV_NAME_MAX] = calloc(BLKDEV_MAX_DEVICES, BLKDEV_NAME_MAX);
		size_t n = 0, k = 0;

		/* everything known and everything listed, probed again: what is gone is removed */
		pthread_mutex_lock(&s->m);
		for (size_t i = 0; known && i < s->ndev; i++)
			snprintf(known[k++], BLKDEV_NAME_MAX, "%s", s->dev[i]->info.name);
		pthread_mutex_unlock(&s->m);
		for (size_t i = 0; i < k; i++)
			on_device(s, DEVWATCH_CHANGE, known[i]);
		if (blkdev_list(&s->env, &list, &n) == 0)
			for (size_t i = 0; i < n; i++)
				on_device(s, DEVWATCH_CHANGE, list[i].name);
		free(list);
		free(known);
	}
	l = api_read_acquire(a);
	pthread_mutex_lock(&s->m);
	/* just after start: the list once the present devices are probed (10 s at most) */
	if (!s->enumerated) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		while (!s->enumerated && pthread_cond_timedwait(&s->enumcond, &s->m, &ts) == 0)
			;
	}
	for (size_t i = 0; !bad && i < s->ndev; i++) {
		json_t *o = json_deep_copy(s->dev[i]->json);
		bad = !o || json_object_set_new(o, "asset", asset_of(a, l, &s->dev[i]->info)) ||
		      json_array_append_new(arr, o);
	}
	pthread_mutex_unlock(&s->m);
	api_read_release(a, l);
	if (bad) {
		json_decref(arr);
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	reply_json(out, 200, json_pack("{s:o, s:s}", "devices", arr, "watch", devwatch_source(s->watch)));
}

int station_device_of(struct station *s, const char *identity, char *path, size_t len)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&s->m);
	for (size_t i = 0; i < s->ndev && rc; i++) {
		if (blkdev_identity_matches(&s->dev[i]->info, identity)) {
			snprintf(path, len, "%s", s->dev[i]->info.path);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&s->m);
	return rc;
}

json_t *station_present(struct station *s)
{
	json_t *a = json_array();
	int bad = !a;

	pthread_mutex_lock(&s->m);
	for (size_t i = 0; !bad && i < s->ndev; i++)
		bad = json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "path", s->dev[i]->info.path,
							 "identity", s->dev[i]->info.identity,
							 "wwn", s->dev[i]->info.wwn));
	pthread_mutex_unlock(&s->m);
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* ---- the stream ---- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *t = cls;
	struct station *s = t->s;
	size_t n = 0;

	(void)pos;
	pthread_mutex_lock(&s->m);
	for (;;) {
		if (t->pending) {
			size_t k = t->plen - t->poff < max - n ? t->plen - t->poff : max - n;
			memcpy(buf + n, t->pending + t->poff, k);
			n += k;
			t->poff += k;
			if (t->poff < t->plen)
				break;		/* the buffer is full */
			free(t->pending);
			t->pending = NULL;
		}
		if (n == max)
			break;
		if (s->closing)
			break;
		if (t->next <= s->last) {
			struct event *e = event_at(s, t->next);
			if (!e) {
				/* what it asked for left the ring: say so, and go on from the oldest kept */
				t->pending = strdup("event: reset\ndata: {\"reason\":\"events were missed; fetch the state again\"}\n\n");
				t->next = s->oldest > t->next ? s->oldest : t->next + 1;
			} else {
				t->pending = strndup(s->bytes + e->off, e->len);
				t->next++;
			}
			t->plen = t->pending ? strlen(t->pending) : 0;
			t->poff = 0;
			continue;
		}
		if (t->ping) {
			t->ping = 0;
			t->pending = strdup(": keep-alive\n\n");
			t->plen = t->pending ? strlen(t->pending) : 0;
			t->poff = 0;
			continue;
		}
		break;
	}
	if (n == 0 && s->closing) {
		pthread_mutex_unlock(&s->m);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (n == 0) {
		/* nothing to say: park the connection until the next event (microhttpd.h: suspend, return 0) */
		t->suspended = 1;
		MHD_suspend_connection(t->c);
	}
	pthread_mutex_unlock(&s->m);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *t = cls;
	struct station *s = t->s;

	pthread_mutex_lock(&s->m);
	if (t->prev)
		t->prev->nextsub = t->nextsub;
	else
		s->subs = t->nextsub;
	if (t->nextsub)
		t->nextsub->prev = t->prev;
	pthread_mutex_unlock(&s->m);
	free(t->pending);
	free(t);
}

void h_stream(struct req *r, struct resp *out)
{
	struct station *s = r->api->station;
	const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
	struct stream *t = calloc(1, sizeof(*t));
	struct MHD_Response *mr;
	uint64_t v;

	if (!t) {
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	t->s = s;
	t->c = r->conn;
	pthread_mutex_lock(&s->m);
	/* resume after the last event it saw; from now on without one (or one from before this daemon) */
	if (last && xparse_u64(last, &v) == 0 && v >= s->base && v <= s->last)
		t->next = v + 1;
	else if (last)
		t->next = s->base;	/* unknown to this run: a reset first, then everything kept */
	else
		t->next = s->last + 1;
	t->nextsub = s->subs;
	if (s->subs)
		s->subs->prev = t;
	s->subs = t;
	pthread_mutex_unlock(&s->m);
	mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, t, stream_free);
	if (!mr) {
		stream_free(t);
		reply_error(out, 500, "internal", "out of memory");
		return;
	}
	MHD_add_response_header(mr, "Content-Type", "text/event-stream");
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	out->status = 200;
	out->stream = mr;
}

/* ---- lifecycle ---- */

int station_start(struct api *a, struct station **out, char *err, size_t errlen)
{
	struct station *s = calloc(1, sizeof(*s));
	struct timespec now;
	int rc;

	if (!s)
		return -ENOMEM;
	s->a = a;
	blkdev_env_default(&s->env);
	s->env.state_dir = a->cfg.state_dir;
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->kacond, NULL);
	pthread_cond_init(&s->enumcond, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	/* ids grow across restarts: a Last-Event-ID of an earlier run is below base */
	s->base = s->last = ((uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000) * 1000000;
	s->oldest = s->last + 1;
	s->bytes = malloc(STATION_RING_BYTES);
	if (!s->bytes) {
		station_free(s);
		return -ENOMEM;
	}
	/* the watch first, so nothing that arrives while the present devices are probed is missed */
	rc = a->mode == API_HTTP ? 0 : devwatch_start(on_device, s, &s->watch);
	if (rc < 0) {
		/* a container without uevents: the list is probed again on every GET instead */
		api_log(a, "warning: cannot watch block devices (netlink uevents: %s): /v1/devices probes on "
			"every request and the stream carries no device events", strerror(-rc));
		s->watch = NULL;
	}
	/* the present devices are probed by the keep-alive thread before it starts keeping alive */
	rc = -pthread_create(&s->ka, NULL, keepalive, s);
	if (rc < 0) {
		xerr(err, errlen, rc, "cannot start the event stream");
		s->ka = 0;
		station_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void station_close_streams(struct station *s)
{
	struct MHD_Connection **c;
	size_t n;

	if (!s)
		return;
	pthread_mutex_lock(&s->m);
	s->closing = 1;
	c = take_suspended(s, &n, 0);
	pthread_mutex_unlock(&s->m);
	wake(c, n);
	free(c);
}

void station_free(struct station *s)
{
	if (!s)
		return;
	devwatch_stop(s->watch);
	if (s->ka) {
		pthread_mutex_lock(&s->m);
		s->kastop = 1;
		pthread_cond_signal(&s->kacond);
		pthread_mutex_unlock(&s->m);
		pthread_join(s->ka, NULL);
	}
	for (size_t i = 0; i < s->ndev; i++)
		dev_free(s->dev[i]);
	free(s->bytes);
	pthread_cond_destroy(&s->kacond);
	pthread_cond_destroy(&s->enumcond);
	pthread_mutex_destroy(&s->m);
	free(s);
}
