/*
 * station — what the wipe station sees now (issue 13): the live set of
 * block devices, kept up to date from devwatch's events (no polling), each
 * matched to its enrolled asset when asked; and the event stream of
 * GET /v1/stream (Server-Sent Events, the WHATWG HTML "server-sent events"
 * section), which carries device and job events to every subscriber.
 *
 * Events are kept in a ring of STATION_EVENTS (and STATION_RING_BYTES); each has an id that grows
 * across restarts (the start time in ms times 10^6, plus a counter), so a
 * client reconnecting with Last-Event-ID gets every event it missed while
 * they are still in the ring, and an "event: reset" telling it to refetch
 * when they are not.  A stream with nothing to send is suspended
 * (libmicrohttpd's suspend/resume: no thread waits on it) and woken by the
 * next event, or every 15 s for a keep-alive comment.
 */
#ifndef SZ_STATION_H
#define SZ_STATION_H
#include <jansson.h>

#define STATION_EVENTS 4096		/* events kept for Last-Event-ID */
#define STATION_RING_BYTES (2u << 20)	/* ... in at most this many bytes */
#define STATION_EVENT_MAX 16384		/* bytes of one event's data */

struct api;
struct req;
struct resp;
struct station;

/* Probe the present devices and start watching.  0 with *out, or -errno with err set. */
int station_start(struct api *a, struct station **out, char *err, size_t errlen);
/* End every stream (they get END_OF_STREAM at their next read); call before the daemon stops. */
void station_close_streams(struct station *s);
/* Stop watching and free; station_free(NULL) is a no-op.  Call after the daemon stopped. */
void station_free(struct station *s);
/*
 * Send an event of type ("device.added", "job.progress", ...) with data
 * (stolen) to every stream.  Data over STATION_EVENT_MAX is replaced by
 * {"truncated":true}.  A NULL station or data is a no-op.  Cannot fail.
 */
void station_publish(struct station *s, const char *type, json_t *data);

/* The path of the present device whose identity (or WWN) is identity: 0, or -ENOENT. */
int station_device_of(struct station *s, const char *identity, char *path, size_t len);
/* The present devices as [{path, identity, wwn}], a new reference; NULL on ENOMEM. */
json_t *station_present(struct station *s);

/* GET /v1/devices from the live set; GET /v1/stream. */
void h_station_devices(struct req *r, struct resp *out);
void h_stream(struct req *r, struct resp *out);

#endif
