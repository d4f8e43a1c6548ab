/*
 * ipc — the frames between the processes of `sanitizerd serve` (issue 12).
 *
 * The sender writes a frame in one sendmsg where it can; the receiver reads
 * the 12-byte header, refuses it on its version, type, file descriptors or
 * the type's own length limit BEFORE it allocates anything, then reads the
 * payload; each decoder walks its fields with a bounded reader that refuses
 * a field running past the end (-EPROTO), a field over its maximum or bytes
 * left over (-EMSGSIZE), and a value out of range (-ERANGE).  The encoders
 * check the same limits, so a sender cannot produce what its receiver
 * refuses.  As OpenBSD ntpd checks imsg.hdr.len before it trusts a message.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/ipc.h"

/* ---- the sizes of fields on the wire, from which the type limits follow ---- */

#define FSTR(n) (4u + (n))		/* a string of at most n bytes */
#define FTEXT (1u + FSTR(LW_TEXT_MAX))	/* an lw_text: u8 present, string */
#define FCRED (1u + FSTR(IPC_CRED_MAX - 1))
#define MEMBER_MAX(type, m) (sizeof(((type *)0)->m) - 1)	/* an array's string, its NUL left out */
#define MAX2(a, b) ((a) > (b) ? (a) : (b))

#define LW_REQ_HEAD (FCRED + 4u + 4u + FSTR(LW_TENANT_MAX - 1) + FSTR(LW_ACTOR_MAX - 1))
#define LW_REQ_APPEND (FSTR(LW_SUBJECT_MAX - 1) + FSTR(LW_TYPE_MAX - 1) + FTEXT)
#define LW_REQ_ENROL (FSTR(LW_ASSET_ID_MAX - 1) + FTEXT)	/* LW_CERT_ISSUE the same */
#define LW_REQ_TOKEN (FSTR(MEMBER_MAX(struct lw_token_create_in, role)) + \
		      FSTR(MEMBER_MAX(struct lw_token_create_in, name)) + \
		      FSTR(MEMBER_MAX(struct lw_token_create_in, tenant)))
#define LW_REQ_REVOKE FSTR(TOKEN_ID_LEN)
#define LW_REQ_PATCH (FSTR(PATCH_AUDIT_HOST_MAX) + FTEXT)
#define LW_REQ_MAX (LW_REQ_HEAD + MAX2(MAX2(LW_REQ_APPEND, LW_REQ_ENROL), \
				       MAX2(MAX2(LW_REQ_TOKEN, LW_REQ_REVOKE), LW_REQ_PATCH)))

#define TOK_FIELDS (FSTR(TOKEN_ID_LEN) + FSTR(MEMBER_MAX(struct token_info, role)) + \
		    FSTR(MEMBER_MAX(struct token_info, name)) + FSTR(MEMBER_MAX(struct token_info, tenant)))
#define LW_REP_HEAD (4u + FSTR(IPC_ERR_MAX - 1) + 4u)
#define LW_REP_MAX (LW_REP_HEAD + MAX2(8u + FSTR(IPC_LW_OUT_MAX), TOK_FIELDS + FSTR(TOKEN_LEN)))
#define WHO_REP_MAX (4u + TOK_FIELDS)
#define TICKET_REP_MAX (WHO_REP_MAX + FSTR(IPC_CRED_MAX - 1) + 8u)
#define DEV_REQ_MAX (FCRED + 1u + FSTR(IPC_PATH_MAX - 1) + FSTR(IPC_QUERY_MAX - 1) + \
		     3u * FSTR(IPC_HDRVAL_MAX - 1) + FSTR(IPC_BODY_MAX))
#define DEV_REP_MAX (2u + FSTR(IPC_HDRVAL_MAX - 1) + FSTR(IPC_REPLY_MAX))
#define EVENT_MAX (FSTR(IPC_EVENT_TYPE_MAX - 1) + FSTR(IPC_EVENT_DATA_MAX))
#define STATS_MAX (8u * 8u + 4u + IPC_REFUSALS_MAX * (FSTR(IPC_REASON_MAX - 1) + 8u))

static const struct {
	const char *name;
	uint32_t max;
} types[IPC_NTYPES] = {
	[IPC_LINK] = { "link", 4 },
	[IPC_LOGFD] = { "logfd", 0 },
	[IPC_READY] = { "ready", 4 },
	[IPC_LW_REQ] = { "lw_req", LW_REQ_MAX },
	[IPC_LW_REP] = { "lw_rep", LW_REP_MAX },
	[IPC_WHO_REQ] = { "who_req", FCRED },
	[IPC_WHO_REP] = { "who_rep", WHO_REP_MAX },
	[IPC_TICKET_REQ] = { "ticket_req", FCRED },
	[IPC_TICKET_REP] = { "ticket_rep", TICKET_REP_MAX },
	[IPC_DEV_REQ] = { "dev_req", DEV_REQ_MAX },
	[IPC_DEV_REP] = { "dev_rep", DEV_REP_MAX },
	[IPC_DEV_EVENT] = { "dev_event", EVENT_MAX },
	[IPC_STATS_REQ] = { "stats_req", 0 },
	[IPC_STATS_REP] = { "stats_rep", STATS_MAX },
};
_Static_assert(DEV_REP_MAX <= IPC_FRAME_MAX, "a reply frame fits the frame maximum");
_Static_assert(LW_REP_MAX <= IPC_FRAME_MAX && LW_REQ_MAX <= IPC_FRAME_MAX, "writer frames fit");

uint32_t ipc_type_max(uint16_t type)
{
	return type > 0 && type < IPC_NTYPES ? types[type].max : 0;
}

const char *ipc_type_name(uint16_t type)
{
	return type > 0 && type < IPC_NTYPES ? types[type].name : "unknown";
}

/* The two types that carry a file descriptor, and only with one. */
static int carries_fd(uint16_t type)
{
	return type == IPC_LINK || type == IPC_LOGFD;
}

/* Frames carry bearer tokens, tickets and new secrets: wiped before they are freed. */
void ipc_frame_free(struct ipc_frame *f)
{
	if (!f)
		return;
	if (f->payload)
		explicit_bzero(f->payload, f->len);
	free(f->payload);
	f->payload = NULL;
	f->len = 0;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

void ipc_w_free(struct ipc_w *w)
{
	if (!w)
		return;
	if (w->buf)
		explicit_bzero(w->buf, w->cap);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* ---- sending and receiving frames ---- */

/* Wait until sock is ready for events (a non-blocking socket mid-frame). */
static int wait_for(int sock, short events)
{
	struct pollfd p = { .fd = sock, .events = events };

	for (;;) {
		if (poll(&p, 1, -1) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int ipc_send(int sock, uint16_t type, uint32_t id, const struct ipc_w *w, int pass_fd)
{
	uint8_t hdr[IPC_HDR_LEN];
	size_t plen = w ? w->len : 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov[2];
	struct msghdr msg;
	struct iovec *v = iov;
	int niov = 2;

	if (w && w->err)
		return w->err;
	/* refuse here what the receiver would refuse there */
	if (type == 0 || type >= IPC_NTYPES || (pass_fd >= 0) != carries_fd(type))
		return -EINVAL;
	if (plen > ipc_type_max(type))
		return -EMSGSIZE;
	put_be(hdr, type, 2);
	put_be(hdr + 2, IPC_VERSION, 2);
	put_be(hdr + 4, id, 4);
	put_be(hdr + 8, plen, 4);
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(hdr) };
	iov[1] = (struct iovec){ .iov_base = plen ? w->buf : NULL, .iov_len = plen };
	memset(&msg, 0, sizeof(msg));
	if (pass_fd >= 0) {
		/* the descriptor rides with the first byte of the frame */
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	while (niov > 0) {
		msg.msg_iov = v;
		msg.msg_iovlen = (size_t)niov;
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int rc = wait_for(sock, POLLOUT);
				if (rc)
					return rc;
				continue;
			}
			return -errno;
		}
		msg.msg_control = NULL;	/* sent: never twice */
		msg.msg_controllen = 0;
		size_t left = (size_t)n;
		while (niov > 0 && left >= v->iov_len) {
			left -= v->iov_len;
			v++;
			niov--;
		}
		if (niov > 0) {
			v->iov_base = (uint8_t *)v->iov_base + left;
			v->iov_len -= left;
		}
	}
	return 0;
}

#define FDS_MAX 8	/* descriptors taken per read; a sender that sends more is refused anyway */

struct fdset {
	int fd[FDS_MAX];
	unsigned n;		/* descriptors held in fd[] */
	int extra;		/* more arrived than fit, or the control data was cut */
};

static void fds_close(struct fdset *s)
{
	for (unsigned i = 0; i < s->n; i++)
		close(s->fd[i]);
	s->n = 0;
}

/* Take every SCM_RIGHTS descriptor of msg into s (closing what does not fit). */
static void fds_take(struct fdset *s, struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		/* others (SCM_CREDENTIALS) come only to a socket that asked for them, and hold nothing */
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (s->n < FDS_MAX)
				s->fd[s->n++] = fd;
			else {
				close(fd);
				s->extra = 1;
			}
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		s->extra = 1;	/* the kernel dropped those that did not fit */
}

/*
 * Read exactly n bytes, taking the descriptors that come with them.  0;
 * -ECONNRESET at end of stream; -EAGAIN when the socket is non-blocking and
 * nothing of a frame has arrived (first set); -errno.
 */
static int read_full(int sock, uint8_t *buf, size_t n, struct fdset *s, int first)
{
	size_t got = 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} ctl;

	while (got < n) {
		struct iovec iov = { .iov_base = buf + got, .iov_len = n - got };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (first && got == 0)
					return -EAGAIN;
				int rc = wait_for(sock, POLLIN);
				if (rc)
					return rc;
				continue;
			}
			return -errno;
		}
		fds_take(s, &msg);
		if (r == 0)
			return -ECONNRESET;
		got += (size_t)r;
	}
	return 0;
}

int ipc_recv(int sock, struct ipc_frame *f)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct fdset s = { .n = 0 };
	uint16_t type;
	uint32_t len;
	int rc;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	rc = read_full(sock, hdr, sizeof(hdr), &s, 1);
	if (rc)
		goto fail;
	type = (uint16_t)get_be(hdr, 2);
	len = (uint32_t)get_be(hdr + 8, 4);
	if (get_be(hdr + 2, 2) != IPC_VERSION || type == 0 || type >= IPC_NTYPES ||
	    s.extra || s.n != (carries_fd(type) ? 1u : 0u)) {
		rc = -EPROTO;
		goto fail;
	}
	/* the limit before the allocation: a hostile length costs nothing */
	if (len > ipc_type_max(type)) {
		rc = -EMSGSIZE;
		goto fail;
	}
	if (len) {
		f->payload = malloc(len);
		if (!f->payload) {
			rc = -ENOMEM;
			goto fail;
		}
		unsigned before = s.n;
		rc = read_full(sock, f->payload, len, &s, 0);
		if (rc)
			goto fail;
		if (s.n != before || s.extra) {
			rc = -EPROTO;	/* a descriptor sent inside a frame */
			goto fail;
		}
	}
	f->type = type;
	f->id = (uint32_t)get_be(hdr + 4, 4);
	f->len = len;
	f->fd = s.n ? s.fd[0] : -1;
	return 0;
fail:
	fds_close(&s);
	free(f->payload);
	f->payload = NULL;
	return rc;
}

/* ---- the payload writer: fields in network byte order, each checked ---- */

static void w_reset(struct ipc_w *w)
{
	w->len = 0;
	w->err = 0;
}

static uint8_t *w_room(struct ipc_w *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > IPC_FRAME_MAX - w->len) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;

		while (cap < w->len + n)
			cap *= 2;
		if (cap > IPC_FRAME_MAX)
			cap = IPC_FRAME_MAX;
		uint8_t *b = malloc(cap);	/* not realloc: the old copy is wiped */
		if (!b) {
			w->err = -ENOMEM;
			return NULL;
		}
		if (w->buf) {
			memcpy(b, w->buf, w->len);
			explicit_bzero(w->buf, w->cap);
			free(w->buf);
		}
		w->buf = b;
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static void put_uint(struct ipc_w *w, uint64_t v, unsigned n)
{
	uint8_t *p = w_room(w, n);

	if (p)
		put_be(p, v, n);
}

static void put_u8(struct ipc_w *w, unsigned v) { put_uint(w, v, 1); }
static void put_u16(struct ipc_w *w, unsigned v) { put_uint(w, v, 2); }
static void put_u32(struct ipc_w *w, uint32_t v) { put_uint(w, v, 4); }
static void put_u64(struct ipc_w *w, uint64_t v) { put_uint(w, v, 8); }
static void put_i32(struct ipc_w *w, int v) { put_uint(w, (uint32_t)v, 4); }

static void w_fail(struct ipc_w *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Bytes that may hold anything (a request or reply body): u32 length, the bytes. */
static void put_bytes(struct ipc_w *w, const void *b, size_t len, size_t max)
{
	if (len > max) {
		w_fail(w, -EMSGSIZE);
		return;
	}
	put_u32(w, (uint32_t)len);
	uint8_t *p = w_room(w, len);
	if (p && len)
		memcpy(p, b, len);
}

/* A string: at most max bytes, no NUL among them (-EINVAL). */
static void put_strn(struct ipc_w *w, const char *s, size_t len, size_t max)
{
	if (len && memchr(s, 0, len)) {
		w_fail(w, -EINVAL);
		return;
	}
	put_bytes(w, s, len, max);
}

/* A C string held in an array of size bytes: it must end within it. */
static void put_arr(struct ipc_w *w, const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len == size) {
		w_fail(w, -EMSGSIZE);
		return;
	}
	put_strn(w, s, len, size - 1);
}
#define PUT_ARR(w, a) put_arr((w), (a), sizeof(a))

/* A C string of at most max bytes (its pointer unbounded: a caller's). */
static void put_str(struct ipc_w *w, const char *s, size_t max)
{
	size_t len = s ? strnlen(s, max + 1) : 0;

	put_strn(w, s, len, max);
}

static void put_text(struct ipc_w *w, const struct lw_text *t)
{
	put_u8(w, t->text != NULL);
	if (t->text)
		put_strn(w, t->text, t->len, LW_TEXT_MAX);
}

/* ---- the payload reader: every field bounded by what is left ---- */

struct ipc_r {
	const uint8_t *p;
	size_t len, off;
};

static struct ipc_r reader(const struct ipc_frame *f)
{
	return (struct ipc_r){ .p = f->payload, .len = f->payload ? f->len : 0, .off = 0 };
}

static int get_uint(struct ipc_r *r, uint64_t *v, unsigned n)
{
	if (r->len - r->off < n)
		return -EPROTO;
	*v = get_be(r->p + r->off, n);
	r->off += n;
	return 0;
}

static int get_u8(struct ipc_r *r, unsigned *v)
{
	uint64_t x = 0;
	int rc = get_uint(r, &x, 1);

	*v = (unsigned)x;
	return rc;
}

static int get_u16(struct ipc_r *r, unsigned *v)
{
	uint64_t x = 0;
	int rc = get_uint(r, &x, 2);

	*v = (unsigned)x;
	return rc;
}

static int get_u32(struct ipc_r *r, uint32_t *v)
{
	uint64_t x = 0;
	int rc = get_uint(r, &x, 4);

	*v = (uint32_t)x;
	return rc;
}

static int get_u64(struct ipc_r *r, uint64_t *v)
{
	return get_uint(r, v, 8);
}

/* An rc as the replies carry it: 0 or a negated errno, -4095..0. */
static int get_rc(struct ipc_r *r, int *v)
{
	uint32_t x;
	int rc = get_u32(r, &x);

	if (rc)
		return rc;
	int32_t s = (int32_t)x;
	if (s > 0 || s < -4095)
		return -ERANGE;
	*v = s;
	return 0;
}

/* Bytes in place: u32 length (at most max), then that many. */
static int get_bytes(struct ipc_r *r, const uint8_t **b, size_t *len, size_t max)
{
	uint32_t n;
	int rc = get_u32(r, &n);

	if (rc)
		return rc;
	if (n > max)
		return -EMSGSIZE;
	if (r->len - r->off < n)
		return -EPROTO;
	*b = r->p + r->off;
	*len = n;
	r->off += n;
	return 0;
}

/* A string in place: as bytes, with no NUL among them. */
static int get_strp(struct ipc_r *r, const char **s, size_t *len, size_t max)
{
	const uint8_t *b;
	int rc = get_bytes(r, &b, len, max);

	if (rc)
		return rc;
	if (*len && memchr(b, 0, *len))
		return -EPROTO;
	*s = (const char *)b;
	return 0;
}

/* A string copied into an array of size bytes (at most size - 1), NUL-terminated. */
static int get_arr(struct ipc_r *r, char *dst, size_t size)
{
	const char *s;
	size_t len;
	int rc = get_strp(r, &s, &len, size - 1);

	if (rc)
		return rc;
	memcpy(dst, s, len);
	dst[len] = 0;
	return 0;
}
#define GET_ARR(r, a) get_arr((r), (a), sizeof(a))

/* A string as a new C string (the caller frees it). */
static int get_dup(struct ipc_r *r, char **out, size_t max)
{
	const char *s;
	size_t len;
	int rc = get_strp(r, &s, &len, max);

	if (rc)
		return rc;
	*out = malloc(len + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, s, len);
	(*out)[len] = 0;
	return 0;
}

static int get_text(struct ipc_r *r, struct lw_text *t)
{
	unsigned present;
	int rc = get_u8(r, &present);

	t->text = NULL;
	t->len = 0;
	if (rc)
		return rc;
	if (present > 1)
		return -ERANGE;
	return present ? get_strp(r, &t->text, &t->len, LW_TEXT_MAX) : 0;
}

/* The payload must end where its last field does. */
static int get_end(const struct ipc_r *r)
{
	return r->off == r->len ? 0 : -EMSGSIZE;
}

/* 1 if every byte of s is in the set [a-z] plus the characters of extra. */
static int lower_word(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || strchr(extra, *s)))
			return 0;
	return 1;
}

/* A decoder is called on the frame of its type only. */
static int want_type(const struct ipc_frame *f, uint16_t a, uint16_t b)
{
	return f->type == a || f->type == b ? 0 : -EPROTO;
}

/* ---- the credential, common to the requests ---- */

static int cred_valid(const struct ipc_cred *c)
{
	size_t n = strnlen(c->text, sizeof(c->text));

	switch (c->kind) {
	case IPC_CRED_NONE:
		return n == 0;
	case IPC_CRED_BEARER:
		if (n != TOKEN_LEN || strncmp(c->text, TOKEN_PREFIX, strlen(TOKEN_PREFIX)))
			return 0;
		for (size_t i = strlen(TOKEN_PREFIX); i < n; i++) {
			char ch = c->text[i];	/* RFC 4648 5: base64url */
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
				return 0;
		}
		return 1;
	case IPC_CRED_TICKET:
		return n > 0 && n < sizeof(c->text);
	default:
		return 0;
	}
}

static void put_cred(struct ipc_w *w, const struct ipc_cred *c)
{
	if (c->kind >= IPC_NCREDS || strnlen(c->text, sizeof(c->text)) == sizeof(c->text)) {
		w_fail(w, c->kind >= IPC_NCREDS ? -ERANGE : -EMSGSIZE);
		return;
	}
	if (!cred_valid(c))
		w_fail(w, -ERANGE);
	put_u8(w, c->kind);
	PUT_ARR(w, c->text);
}

static int get_cred(struct ipc_r *r, struct ipc_cred *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = get_u8(r, &c->kind)) || (rc = GET_ARR(r, c->text)))
		return rc;
	return cred_valid(c) ? 0 : -ERANGE;
}

int ipc_enc_cred(struct ipc_w *w, const struct ipc_cred *cred)
{
	w_reset(w);
	put_cred(w, cred);
	return w->err;
}

int ipc_dec_cred(const struct ipc_frame *f, struct ipc_cred *cred)
{
	struct ipc_r r = reader(f);
	int rc = want_type(f, IPC_WHO_REQ, IPC_TICKET_REQ);

	if (!rc)
		rc = get_cred(&r, cred);
	if (!rc && f->type == IPC_TICKET_REQ && cred->kind != IPC_CRED_BEARER)
		rc = -ERANGE;	/* a ticket is had for a bearer token only */
	if (!rc)
		rc = get_end(&r);
	if (rc)
		memset(cred, 0, sizeof(*cred));
	return rc;
}

/* ---- IPC_LINK, IPC_READY, and the empty ones ---- */

int ipc_enc_peer(struct ipc_w *w, unsigned peer)
{
	w_reset(w);
	if (peer < IPC_PEER_LEDGER || peer >= IPC_NPEERS)
		w_fail(w, -ERANGE);
	put_u32(w, peer);
	return w->err;
}

int ipc_dec_peer(const struct ipc_frame *f, unsigned *peer)
{
	struct ipc_r r = reader(f);
	uint32_t v = 0;
	int rc = want_type(f, IPC_LINK, IPC_READY);

	if (!rc)
		rc = get_u32(&r, &v);
	if (!rc && (v < IPC_PEER_LEDGER || v >= IPC_NPEERS))
		rc = -ERANGE;
	if (!rc)
		rc = get_end(&r);
	*peer = rc ? 0 : v;
	return rc;
}

int ipc_dec_empty(const struct ipc_frame *f)
{
	return f->len == 0 ? 0 : -EMSGSIZE;
}

/* ---- IPC_LW_REQ, IPC_LW_REP: the writer's operations ---- */

static int role_valid(unsigned role)
{
	return role >= LW_ROLE_ADMIN && role <= LW_ROLE_SERVICE && (role & (role - 1)) == 0;
}

static int op_type_valid(unsigned type)
{
	return type >= LW_APPEND && type < LW_NTYPES;
}

int ipc_enc_lw_req(struct ipc_w *w, const struct ipc_cred *cred, const struct lw_op *op)
{
	w_reset(w);
	if (!op_type_valid(op->type) || !role_valid(op->caller.role)) {
		w_fail(w, -ERANGE);
		return w->err;
	}
	put_cred(w, cred);
	put_u32(w, op->type);
	put_u32(w, op->caller.role);
	PUT_ARR(w, op->caller.tenant);
	PUT_ARR(w, op->caller.actor);
	switch (op->type) {
	case LW_APPEND:
		PUT_ARR(w, op->in.append.subject);
		PUT_ARR(w, op->in.append.type);
		put_text(w, &op->in.append.data);
		break;
	case LW_ENROL:
		PUT_ARR(w, op->in.enrol.asset_id);
		put_text(w, &op->in.enrol.data);
		break;
	case LW_CERT_ISSUE:
		PUT_ARR(w, op->in.cert.asset_id);
		put_text(w, &op->in.cert.request);
		break;
	case LW_TOKEN_CREATE:
		PUT_ARR(w, op->in.token_create.role);
		PUT_ARR(w, op->in.token_create.name);
		PUT_ARR(w, op->in.token_create.tenant);
		break;
	case LW_TOKEN_REVOKE:
		PUT_ARR(w, op->in.token_revoke.id);
		break;
	case LW_PATCH_AUDIT:
		PUT_ARR(w, op->in.patch_audit.host);
		put_text(w, &op->in.patch_audit.body);
		break;
	default:	/* LW_CHECKPOINT: nothing more */
		break;
	}
	return w->err;
}

int ipc_dec_lw_req(const struct ipc_frame *f, struct ipc_cred *cred, struct lw_op *op)
{
	struct ipc_r r = reader(f);
	uint32_t type = 0, role = 0;
	int rc;

	memset(op, 0, sizeof(*op));
	memset(cred, 0, sizeof(*cred));
	if ((rc = want_type(f, IPC_LW_REQ, IPC_LW_REQ)) || (rc = get_cred(&r, cred)) ||
	    (rc = get_u32(&r, &type)))
		goto out;
	if (!op_type_valid(type)) {
		rc = -ERANGE;
		goto out;
	}
	op->type = (enum lw_type)type;
	if ((rc = get_u32(&r, &role)))
		goto out;
	if (!role_valid(role)) {
		rc = -ERANGE;
		goto out;
	}
	op->caller.role = role;
	if ((rc = GET_ARR(&r, op->caller.tenant)) || (rc = GET_ARR(&r, op->caller.actor)))
		goto out;
	switch (op->type) {
	case LW_APPEND:
		if ((rc = GET_ARR(&r, op->in.append.subject)) || (rc = GET_ARR(&r, op->in.append.type)))
			goto out;
		rc = get_text(&r, &op->in.append.data);
		break;
	case LW_ENROL:
		if (!(rc = GET_ARR(&r, op->in.enrol.asset_id)))
			rc = get_text(&r, &op->in.enrol.data);
		break;
	case LW_CERT_ISSUE:
		if (!(rc = GET_ARR(&r, op->in.cert.asset_id)))
			rc = get_text(&r, &op->in.cert.request);
		break;
	case LW_TOKEN_CREATE:
		if (!(rc = GET_ARR(&r, op->in.token_create.role)) &&
		    !(rc = GET_ARR(&r, op->in.token_create.name)))
			rc = GET_ARR(&r, op->in.token_create.tenant);
		break;
	case LW_TOKEN_REVOKE:
		rc = GET_ARR(&r, op->in.token_revoke.id);
		break;
	case LW_PATCH_AUDIT:
		if (!(rc = GET_ARR(&r, op->in.patch_audit.host)))
			rc = get_text(&r, &op->in.patch_audit.body);
		break;
	default:
		break;
	}
	if (!rc)
		rc = get_end(&r);
out:
	if (rc) {
		memset(op, 0, sizeof(*op));
		explicit_bzero(cred, sizeof(*cred));
	}
	return rc;
}

static int rc_valid(int rc)
{
	return rc <= 0 && rc >= -4095;
}

/*
 * A token as token_create makes one: a valid role, an id of TOKEN_ID_LEN
 * characters, a tenant if and only if a customer.  Or, where anon allows
 * it, the anonymous caller: no role, no id, no tenant.
 */
static int tok_valid(const struct token_info *t, int anon)
{
	if (!t->role[0])
		return anon && !t->id[0] && !t->tenant[0];
	return token_role_valid(t->role) && strnlen(t->id, sizeof(t->id)) == TOKEN_ID_LEN &&
	       !strcmp(t->role, "customer") == !!t->tenant[0];
}

int ipc_enc_lw_rep(struct ipc_w *w, int rc, const char *err, const struct lw_op *op)
{
	w_reset(w);
	if (!rc_valid(rc) || !op_type_valid(op->type)) {
		w_fail(w, -ERANGE);
		return w->err;
	}
	put_i32(w, rc);
	put_str(w, err, IPC_ERR_MAX - 1);
	put_u32(w, op->type);
	if (rc)
		return w->err;
	switch (op->type) {
	case LW_APPEND:
	case LW_ENROL:
		put_u64(w, op->out.entry.seq);
		put_str(w, op->out.entry.entry, IPC_LW_OUT_MAX);
		break;
	case LW_CERT_ISSUE:
		put_str(w, op->out.cert.cert, IPC_LW_OUT_MAX);
		break;
	case LW_TOKEN_CREATE:
		PUT_ARR(w, op->out.token.info.id);
		PUT_ARR(w, op->out.token.info.role);
		PUT_ARR(w, op->out.token.info.name);
		PUT_ARR(w, op->out.token.info.tenant);
		PUT_ARR(w, op->out.token.secret);
		/* the strings are terminated (checked above) before they are compared */
		if (!w->err && (strlen(op->out.token.secret) != TOKEN_LEN ||
				strncmp(op->out.token.secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) ||
				!tok_valid(&op->out.token.info, 0)))
			w_fail(w, -ERANGE);
		break;
	case LW_PATCH_AUDIT:
		put_str(w, op->out.patch_audit.entry, IPC_LW_OUT_MAX);
		break;
	default:	/* LW_TOKEN_REVOKE, LW_CHECKPOINT: nothing */
		break;
	}
	return w->err;
}

/* Free the strings of op->out for its type and zero it. */
static void lw_out_clear(struct lw_op *op)
{
	switch (op->type) {
	case LW_APPEND:
	case LW_ENROL:
		free(op->out.entry.entry);
		break;
	case LW_CERT_ISSUE:
		free(op->out.cert.cert);
		break;
	case LW_PATCH_AUDIT:
		free(op->out.patch_audit.entry);
		break;
	case LW_TOKEN_CREATE:
		explicit_bzero(op->out.token.secret, sizeof(op->out.token.secret));
		break;
	default:
		break;
	}
	memset(&op->out, 0, sizeof(op->out));
}

int ipc_dec_lw_rep(const struct ipc_frame *f, int *rc, char *err, size_t errlen, struct lw_op *op)
{
	struct ipc_r r = reader(f);
	const char *e = "";
	size_t elen = 0;
	uint32_t type = 0;
	int ret;

	memset(&op->out, 0, sizeof(op->out));
	*rc = 0;
	if ((ret = want_type(f, IPC_LW_REP, IPC_LW_REP)) || (ret = get_rc(&r, rc)) ||
	    (ret = get_strp(&r, &e, &elen, IPC_ERR_MAX - 1)) || (ret = get_u32(&r, &type)))
		goto out;
	if (!op_type_valid(type)) {
		ret = -ERANGE;
		goto out;
	}
	if (type != (uint32_t)op->type) {
		ret = -EPROTO;	/* a reply to some other request */
		goto out;
	}
	if (*rc == 0) {
		struct lw_token_out *t = &op->out.token;

		switch (op->type) {
		case LW_APPEND:
		case LW_ENROL:
			if (!(ret = get_u64(&r, &op->out.entry.seq)))
				ret = get_dup(&r, &op->out.entry.entry, IPC_LW_OUT_MAX);
			break;
		case LW_CERT_ISSUE:
			ret = get_dup(&r, &op->out.cert.cert, IPC_LW_OUT_MAX);
			break;
		case LW_TOKEN_CREATE:
			if ((ret = GET_ARR(&r, t->info.id)) || (ret = GET_ARR(&r, t->info.role)) ||
			    (ret = GET_ARR(&r, t->info.name)) || (ret = GET_ARR(&r, t->info.tenant)) ||
			    (ret = GET_ARR(&r, t->secret)))
				break;
			if (!tok_valid(&t->info, 0) || strlen(t->secret) != TOKEN_LEN ||
			    strncmp(t->secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)))
				ret = -ERANGE;
			break;
		case LW_PATCH_AUDIT:
			ret = get_dup(&r, &op->out.patch_audit.entry, IPC_LW_OUT_MAX);
			break;
		default:
			break;
		}
	}
	if (!ret)
		ret = get_end(&r);
out:
	if (ret) {
		lw_out_clear(op);
		*rc = ret;	/* a caller that reads only *rc sees the failure too */
		e = "";
		elen = 0;
	}
	if (err && errlen) {
		if (elen >= errlen)
			elen = errlen - 1;
		memcpy(err, e, elen);
		err[elen] = 0;
	}
	return ret;
}

/* ---- IPC_WHO_REP, IPC_TICKET_REP ---- */

int ipc_enc_who_rep(struct ipc_w *w, int rc, const struct token_info *tok, const char *ticket, uint64_t expires)
{
	w_reset(w);
	if (!rc_valid(rc)) {
		w_fail(w, -ERANGE);
		return w->err;
	}
	put_i32(w, rc);
	if (rc)
		return w->err;
	if (!tok) {
		w_fail(w, -ERANGE);
		return w->err;
	}
	PUT_ARR(w, tok->id);
	PUT_ARR(w, tok->role);
	PUT_ARR(w, tok->name);
	PUT_ARR(w, tok->tenant);
	if (!w->err && (!tok_valid(tok, !ticket) || (ticket && !*ticket)))
		w_fail(w, -ERANGE);
	if (ticket) {
		put_str(w, ticket, IPC_CRED_MAX - 1);
		put_u64(w, expires);
	}
	return w->err;
}

int ipc_dec_who_rep(const struct ipc_frame *f, int *rc, struct token_info *tok, char *ticket, size_t ticketlen,
		    uint64_t *expires)
{
	struct ipc_r r = reader(f);
	int is_ticket = f->type == IPC_TICKET_REP;
	int ret;

	memset(tok, 0, sizeof(*tok));
	if (ticket && ticketlen)
		ticket[0] = 0;
	if (expires)
		*expires = 0;
	*rc = 0;
	if ((ret = want_type(f, IPC_WHO_REP, IPC_TICKET_REP)))
		goto out;
	if (is_ticket ? !ticket || !ticketlen || !expires : ticket || expires) {
		ret = -EINVAL;	/* the caller's mistake, not the sender's */
		goto out;
	}
	if ((ret = get_rc(&r, rc)) || *rc)
		goto end;
	if ((ret = GET_ARR(&r, tok->id)) || (ret = GET_ARR(&r, tok->role)) || (ret = GET_ARR(&r, tok->name)) ||
	    (ret = GET_ARR(&r, tok->tenant)))
		goto out;
	if (!tok_valid(tok, !is_ticket)) {
		ret = -ERANGE;	/* a ticket belongs to a token, never to the anonymous caller */
		goto out;
	}
	if (is_ticket) {
		const char *t;
		size_t tlen;

		if ((ret = get_strp(&r, &t, &tlen, IPC_CRED_MAX - 1)) || (ret = get_u64(&r, expires)))
			goto out;
		if (tlen == 0) {
			ret = -ERANGE;
			goto out;
		}
		if (tlen >= ticketlen) {
			ret = -EMSGSIZE;
			goto out;
		}
		memcpy(ticket, t, tlen);
		ticket[tlen] = 0;
	}
end:
	if (!ret)
		ret = get_end(&r);
out:
	if (ret) {
		memset(tok, 0, sizeof(*tok));
		if (ticket && ticketlen)
			explicit_bzero(ticket, ticketlen);
		if (expires)
			*expires = 0;
		*rc = ret;
	}
	return ret;
}

/* ---- IPC_DEV_REQ, IPC_DEV_REP: the job manager's routes ---- */

static int method_valid(unsigned m)
{
	return m >= IPC_M_GET && m < IPC_NMETHODS;
}

static int path_valid(const char *p)
{
	return strncmp(p, "/v1/", 4) == 0;
}

int ipc_enc_dev_req(struct ipc_w *w, const struct ipc_dev_req *q)
{
	w_reset(w);
	if (!method_valid(q->method) || !path_valid(q->path))
		w_fail(w, -ERANGE);
	put_cred(w, &q->cred);
	put_u8(w, q->method);
	PUT_ARR(w, q->path);
	PUT_ARR(w, q->query);
	PUT_ARR(w, q->content_type);
	PUT_ARR(w, q->host);
	PUT_ARR(w, q->accept);
	put_bytes(w, q->body, q->body_len, IPC_BODY_MAX);
	return w->err;
}

int ipc_dec_dev_req(const struct ipc_frame *f, struct ipc_dev_req *q)
{
	struct ipc_r r = reader(f);
	int rc;

	memset(q, 0, sizeof(*q));
	if ((rc = want_type(f, IPC_DEV_REQ, IPC_DEV_REQ)) || (rc = get_cred(&r, &q->cred)) ||
	    (rc = get_u8(&r, &q->method)))
		goto out;
	if (!method_valid(q->method)) {
		rc = -ERANGE;
		goto out;
	}
	if ((rc = GET_ARR(&r, q->path)))
		goto out;
	if (!path_valid(q->path)) {
		rc = -ERANGE;
		goto out;
	}
	if ((rc = GET_ARR(&r, q->query)) || (rc = GET_ARR(&r, q->content_type)) || (rc = GET_ARR(&r, q->host)) ||
	    (rc = GET_ARR(&r, q->accept)) || (rc = get_bytes(&r, &q->body, &q->body_len, IPC_BODY_MAX)))
		goto out;
	rc = get_end(&r);
out:
	if (rc)
		memset(q, 0, sizeof(*q));
	return rc;
}

static int status_valid(unsigned s)
{
	return s >= 100 && s <= 599;	/* RFC 9110 15: three digits, 1xx..5xx */
}

int ipc_enc_dev_rep(struct ipc_w *w, const struct ipc_dev_rep *p)
{
	w_reset(w);
	if (!status_valid(p->status))
		w_fail(w, -ERANGE);
	put_u16(w, p->status);
	PUT_ARR(w, p->ctype);
	put_bytes(w, p->body, p->body_len, IPC_REPLY_MAX);
	return w->err;
}

int ipc_dec_dev_rep(const struct ipc_frame *f, struct ipc_dev_rep *p)
{
	struct ipc_r r = reader(f);
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = want_type(f, IPC_DEV_REP, IPC_DEV_REP)) || (rc = get_u16(&r, &p->status)))
		goto out;
	if (!status_valid(p->status)) {
		rc = -ERANGE;
		goto out;
	}
	if ((rc = GET_ARR(&r, p->ctype)) || (rc = get_bytes(&r, &p->body, &p->body_len, IPC_REPLY_MAX)))
		goto out;
	rc = get_end(&r);
out:
	if (rc)
		memset(p, 0, sizeof(*p));
	return rc;
}

/* ---- IPC_DEV_EVENT ---- */

int ipc_enc_event(struct ipc_w *w, const char *type, const char *data, size_t len)
{
	w_reset(w);
	put_str(w, type, IPC_EVENT_TYPE_MAX - 1);
	if (!w->err && !lower_word(type, "._"))
		w_fail(w, -ERANGE);
	put_strn(w, data, data ? len : 0, IPC_EVENT_DATA_MAX);
	return w->err;
}

int ipc_dec_event(const struct ipc_frame *f, char type[IPC_EVENT_TYPE_MAX], const char **data, size_t *len)
{
	struct ipc_r r = reader(f);
	int rc;

	type[0] = 0;
	*data = NULL;
	*len = 0;
	if ((rc = want_type(f, IPC_DEV_EVENT, IPC_DEV_EVENT)) || (rc = get_arr(&r, type, IPC_EVENT_TYPE_MAX)))
		goto out;
	if (!lower_word(type, "._")) {
		rc = -ERANGE;
		goto out;
	}
	if ((rc = get_strp(&r, data, len, IPC_EVENT_DATA_MAX)))
		goto out;
	rc = get_end(&r);
out:
	if (rc) {
		type[0] = 0;
		*data = NULL;
		*len = 0;
	}
	return rc;
}

/* ---- IPC_STATS_REP ---- */

int ipc_enc_stats(struct ipc_w *w, const struct ipc_stats *s)
{
	w_reset(w);
	if (s->nrefusals > IPC_REFUSALS_MAX) {
		w_fail(w, -ERANGE);
		return w->err;
	}
	for (unsigned i = 0; i < 6; i++)
		put_u64(w, s->jobs[i]);
	put_u64(w, s->job_bytes);
	put_u64(w, s->bytes_written);
	put_u32(w, s->nrefusals);
	for (unsigned i = 0; i < s->nrefusals; i++) {
		PUT_ARR(w, s->refusals[i].reason);
		if (!w->err && !lower_word(s->refusals[i].reason, "_"))
			w_fail(w, -ERANGE);
		put_u64(w, s->refusals[i].n);
	}
	return w->err;
}

int ipc_dec_stats(const struct ipc_frame *f, struct ipc_stats *s)
{
	struct ipc_r r = reader(f);
	uint32_t n = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = want_type(f, IPC_STATS_REP, IPC_STATS_REP)))
		goto out;
	for (unsigned i = 0; i < 6; i++)
		if ((rc = get_u64(&r, &s->jobs[i])))
			goto out;
	if ((rc = get_u64(&r, &s->job_bytes)) || (rc = get_u64(&r, &s->bytes_written)) || (rc = get_u32(&r, &n)))
		goto out;
	if (n > IPC_REFUSALS_MAX) {
		rc = -ERANGE;
		goto out;
	}
	s->nrefusals = n;
	for (unsigned i = 0; i < n; i++) {
		if ((rc = GET_ARR(&r, s->refusals[i].reason)))
			goto out;
		if (!lower_word(s->refusals[i].reason, "_")) {
			rc = -ERANGE;
			goto out;
		}
		if ((rc = get_u64(&r, &s->refusals[i].n)))
			goto out;
	}
	rc = get_end(&r);
out:
	if (rc)
		memset(s, 0, sizeof(*s));
	return rc;
}
