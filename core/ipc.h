/*
 * ipc — the messages between the processes of `sanitizerd serve` (issue 12):
 * the parent, http, ledger and devices.  One enum of message types; each is
 * a frame of a fixed 12-byte header and a payload of typed fields, every
 * field of a stated maximum, written in network byte order, so that the
 * same frames can later cross TCP (a wipe station reporting to a site's
 * ledger) unchanged.  The receiver trusts nothing: ipc_recv checks the
 * header (version, type, the type's own length limit, the file descriptor
 * only the types that carry one may carry), and each decoder checks every
 * length, every value's range, that no string has a NUL inside it, and that
 * the payload ends exactly where its last field does.  As ntpd's parent
 * checks imsg.hdr.len before it trusts a message.
 *
 * Wire format (RFC 791 "network byte order" for every integer):
 *   header:  u16 type, u16 version (IPC_VERSION), u32 id, u32 payload length
 *   string:  u32 length, then that many bytes (no NUL among them)
 *   integers: u8, u16, u32 (also i32 as two's complement), u64
 */
#ifndef SZ_IPC_H
#define SZ_IPC_H
#include <stddef.h>
#include <stdint.h>

#include "audit/lwriter.h"
#include "audit/tokens.h"

#define IPC_VERSION 1
#define IPC_HDR_LEN 12
#define IPC_FRAME_MAX (4u << 20)	/* the largest payload of any type */
#define IPC_CRED_MAX 192		/* a credential's text, NUL included */
#define IPC_ERR_MAX 512			/* an error message, NUL included */
#define IPC_PATH_MAX 1024
#define IPC_QUERY_MAX 8192
#define IPC_HDRVAL_MAX 256		/* Content-Type, Host, Accept */
#define IPC_BODY_MAX 65536		/* a request body (API_BODY_MAX) */
#define IPC_REPLY_MAX (IPC_FRAME_MAX - 4096)	/* a reply body */
#define IPC_EVENT_TYPE_MAX 64
#define IPC_EVENT_DATA_MAX 16384	/* STATION_EVENT_MAX */
#define IPC_LW_OUT_MAX (1u << 20)	/* an entry, certificate or patch audit as text */
#define IPC_REFUSALS_MAX 16		/* interlock reasons in a stats reply */
#define IPC_REASON_MAX 32

enum ipc_type {
	IPC_LINK = 1,		/* parent -> child: a new link to a peer; carries its fd */
	IPC_LOGFD,		/* parent -> child: the reopened log file (SIGHUP); carries its fd */
	IPC_READY,		/* child -> parent: started and serving */
	IPC_LW_REQ,		/* http, devices -> ledger: a writer operation (audit/lwriter.h) */
	IPC_LW_REP,
	IPC_WHO_REQ,		/* devices -> ledger: whose is this credential */
	IPC_WHO_REP,
	IPC_TICKET_REQ,		/* http -> ledger: a console session's ticket for a bearer token */
	IPC_TICKET_REP,
	IPC_DEV_REQ,		/* http -> devices: a request for the job manager */
	IPC_DEV_REP,
	IPC_DEV_EVENT,		/* devices -> http: an event for GET /v1/stream (no reply) */
	IPC_STATS_REQ,		/* http -> devices: the job counters for /metrics */
	IPC_STATS_REP,
	IPC_NTYPES
};

/* The processes, as IPC_LINK and IPC_READY name them. */
enum ipc_peer { IPC_PEER_LEDGER = 1, IPC_PEER_DEVICES, IPC_PEER_HTTP, IPC_NPEERS };

/* How a caller proved who it is; the ledger resolves it itself (never trusting a role it is told). */
enum ipc_cred_kind {
	IPC_CRED_NONE = 0,	/* anonymous */
	IPC_CRED_BEARER,	/* a bearer token as presented: TOKEN_LEN characters */
	IPC_CRED_TICKET,	/* a console session's ticket, from IPC_TICKET_REP */
	IPC_NCREDS
};
struct ipc_cred {
	unsigned kind;
	char text[IPC_CRED_MAX];	/* "" for IPC_CRED_NONE */
};

/* A received frame: payload is malloc'd (len bytes), fd -1 unless the type carries one. */
struct ipc_frame {
	uint16_t type;
	uint32_t id;
	uint8_t *payload;
	uint32_t len;
	int fd;
};
void ipc_frame_free(struct ipc_frame *f);	/* frees the payload and closes the fd; NULL-safe */

/* A payload being written: grows up to IPC_FRAME_MAX; err sticks at the first failure. */
struct ipc_w {
	uint8_t *buf;
	size_t len, cap;
	int err;		/* 0, -ENOMEM, -EMSGSIZE (a field over its maximum, or the frame over IPC_FRAME_MAX),
				 * -ERANGE (a value out of its range), -EINVAL (a NUL inside a string) */
};
void ipc_w_free(struct ipc_w *w);

/*
 * Send one frame (header and payload; w NULL for an empty payload) with
 * pass_fd attached (-1: none), all of it, on a stream or seqpacket socket;
 * never raises SIGPIPE.  0, w->err, -EINVAL (a type out of range, or
 * pass_fd given on a type other than IPC_LINK/IPC_LOGFD or missing on
 * those), -EMSGSIZE (w->len over ipc_type_max(type)), or -errno (-EPIPE:
 * the peer is gone).  On a non-blocking socket it waits (poll) until the
 * frame is out.  Callers serialise the sends on one socket themselves.
 */
int ipc_send(int sock, uint16_t type, uint32_t id, const struct ipc_w *w, int pass_fd);
/*
 * Receive one frame from a stream socket (SOCK_STREAM: the header and the
 * payload are read apart, which a seqpacket socket would cut).  0 and *f;
 * -ECONNRESET at end of stream (the peer is gone, also mid-frame); -EPROTO
 * for a bad header (version, type out of range, a file descriptor on a
 * type that carries none or none on one that must, more than one, or one
 * sent inside the payload; all are closed); -EMSGSIZE for a length over
 * the type's maximum (the frame is not read: the link is unusable after
 * any error); -ENOMEM; -EAGAIN on a non-blocking socket with no frame
 * begun (once a frame has begun it waits for the rest).  On any error *f
 * holds nothing (payload NULL, fd -1), so ipc_frame_free on it is safe.
 * A received fd is close-on-exec (MSG_CMSG_CLOEXEC).
 */
int ipc_recv(int sock, struct ipc_frame *f);
/* The largest payload a frame of type may have (0 for an unknown type). */
uint32_t ipc_type_max(uint16_t type);
/* The type's name for logs ("lw_req"), or "unknown". */
const char *ipc_type_name(uint16_t type);

/*
 * Encoders write a payload into w (which they reset first); they check what
 * they write (a string over its maximum sets w->err = -EMSGSIZE), so a
 * sender cannot produce a frame its receiver would refuse.  Decoders read
 * a frame's payload: 0, or
 *   -EPROTO   truncated (a field runs past the end), or a string with a NUL
 *   -EMSGSIZE a field over its maximum, or bytes left after the last field
 *   -ERANGE   a value out of range (an enum, a role, a status, a count)
 * and on any error leave nothing allocated (and the outputs zeroed).  Texts
 * the decoded structs point at (struct lw_text, body pointers, event data)
 * point into f->payload, are NOT NUL-terminated (use their lengths), and
 * live as long as the frame.  A decoder refuses a frame of another type
 * (-EPROTO).  Bytes (a request or reply body) are a u32 length and that
 * many bytes of anything, NUL included; strings may hold no NUL.
 */

/* IPC_LINK: u32 peer. IPC_LOGFD: empty. IPC_READY: u32 peer (the sender's own). */
int ipc_enc_peer(struct ipc_w *w, unsigned peer);
int ipc_dec_peer(const struct ipc_frame *f, unsigned *peer);

/*
 * IPC_LW_REQ: the caller's credential and an operation: u8 cred kind, cred
 * text, u32 op type (1..LW_NTYPES-1), u32 caller role (exactly one LW_ROLE_*
 * bit), tenant, actor, then the fields of op->in for that type, each string
 * at most its array's size minus one, each lw_text at most LW_TEXT_MAX
 * bytes: LW_APPEND subject, type, u8 present + data; LW_ENROL asset_id,
 * data; LW_CERT_ISSUE asset_id, request; LW_TOKEN_CREATE role, name,
 * tenant; LW_TOKEN_REVOKE id; LW_PATCH_AUDIT host, body; LW_CHECKPOINT none.
 * An lw_text is u8 present (0 or 1; 0 is text NULL) and, if present, a string.
 * Decoding fills *op (op->out zeroed) and *cred.  A credential: NONE with
 * an empty text, BEARER of exactly TOKEN_LEN base64url characters starting
 * TOKEN_PREFIX, TICKET with a text of 1..IPC_CRED_MAX-1 bytes (-ERANGE).
 */
int ipc_enc_lw_req(struct ipc_w *w, const struct ipc_cred *cred, const struct lw_op *op);
int ipc_dec_lw_req(const struct ipc_frame *f, struct ipc_cred *cred, struct lw_op *op);
/*
 * IPC_LW_REP: i32 rc (-4095..0), err, u32 op type, and when rc is 0 the
 * op's output: LW_APPEND/LW_ENROL u64 seq, entry; LW_CERT_ISSUE cert;
 * LW_TOKEN_CREATE id, role, name, tenant, secret (TOKEN_LEN exactly);
 * LW_PATCH_AUDIT entry; LW_TOKEN_REVOKE/LW_CHECKPOINT none.  Each text at
 * most IPC_LW_OUT_MAX.  Decoding: *rc, err (NUL-terminated, cut to errlen),
 * and op->out filled with NEW strings (the caller frees them, as after
 * lwriter_run); the decoded type must equal op->type (-EPROTO otherwise).
 * A created token's role must be valid and its secret start TOKEN_PREFIX.
 * When decoding fails, *rc is set to the same error, so a caller that
 * reads only *rc sees the failure too.
 */
int ipc_enc_lw_rep(struct ipc_w *w, int rc, const char *err, const struct lw_op *op);
int ipc_dec_lw_rep(const struct ipc_frame *f, int *rc, char *err, size_t errlen, struct lw_op *op);

/* IPC_WHO_REQ, IPC_TICKET_REQ: the credential alone (a ticket request takes IPC_CRED_BEARER only). */
int ipc_enc_cred(struct ipc_w *w, const struct ipc_cred *cred);
int ipc_dec_cred(const struct ipc_frame *f, struct ipc_cred *cred);
/*
 * IPC_WHO_REP: i32 rc, and when 0 the token: id, role (a valid role name,
 * or "" for an anonymous caller), name, tenant.  IPC_TICKET_REP: the same,
 * then the ticket text (at most IPC_CRED_MAX - 1) and u64 its expiry (Unix
 * seconds).  ticket and expires may be NULL when encoding a WHO reply and
 * must be NULL when decoding one (and not NULL when decoding a TICKET
 * reply: -EINVAL); a ticket longer than ticketlen - 1 is -EMSGSIZE.  A
 * ticket reply's token has a role (never anonymous) and a non-empty ticket.
 * The encoder writes a TICKET reply when ticket is not NULL.
 */
int ipc_enc_who_rep(struct ipc_w *w, int rc, const struct token_info *tok, const char *ticket, uint64_t expires);
int ipc_dec_who_rep(const struct ipc_frame *f, int *rc, struct token_info *tok, char *ticket, size_t ticketlen,
		    uint64_t *expires);

/*
 * IPC_DEV_REQ: a request the http process forwards to the devices process
 * for the routes of the job manager (jobs, batches, devices): cred, u8
 * method (IPC_M_*), path (starting "/v1/"), query (the raw text after '?'),
 * content type, host (the request's Host header, for QR code URLs), accept,
 * body (bytes, at most IPC_BODY_MAX).
 */
enum { IPC_M_GET = 1, IPC_M_POST, IPC_M_DELETE, IPC_NMETHODS };
struct ipc_dev_req {
	struct ipc_cred cred;
	unsigned method;
	char path[IPC_PATH_MAX];
	char query[IPC_QUERY_MAX];
	char content_type[IPC_HDRVAL_MAX];
	char host[IPC_HDRVAL_MAX];
	char accept[IPC_HDRVAL_MAX];
	const uint8_t *body;	/* into the frame when decoded */
	size_t body_len;
};
int ipc_enc_dev_req(struct ipc_w *w, const struct ipc_dev_req *q);
int ipc_dec_dev_req(const struct ipc_frame *f, struct ipc_dev_req *q);
/* IPC_DEV_REP: u16 status (100..599), content type (at most IPC_HDRVAL_MAX - 1), body (at most IPC_REPLY_MAX). */
struct ipc_dev_rep {
	unsigned status;
	char ctype[IPC_HDRVAL_MAX];
	const uint8_t *body;
	size_t body_len;
};
int ipc_enc_dev_rep(struct ipc_w *w, const struct ipc_dev_rep *p);
int ipc_dec_dev_rep(const struct ipc_frame *f, struct ipc_dev_rep *p);
/* IPC_DEV_EVENT: type ([a-z._], 1..IPC_EVENT_TYPE_MAX-1 bytes), data (a JSON text, at most IPC_EVENT_DATA_MAX). */
int ipc_enc_event(struct ipc_w *w, const char *type, const char *data, size_t len);
int ipc_dec_event(const struct ipc_frame *f, char type[IPC_EVENT_TYPE_MAX], const char **data, size_t *len);
/*
 * IPC_STATS_REQ: empty (ipc_dec_empty checks that).  IPC_STATS_REP: the
 * counters of /metrics: u64 jobs[6], u64 job_bytes, u64 bytes_written,
 * u32 nrefusals (at most IPC_REFUSALS_MAX), then each refusal: reason, u64 n.
 */
int ipc_dec_empty(const struct ipc_frame *f);
struct ipc_stats {
	uint64_t jobs[6];		/* live and ended jobs by state, as jobs_counts */
	uint64_t job_bytes;
	uint64_t bytes_written;
	unsigned nrefusals;		/* 0..IPC_REFUSALS_MAX */
	struct {
		char reason[IPC_REASON_MAX];	/* [a-z_], 1..IPC_REASON_MAX-1 bytes */
		uint64_t n;
	} refusals[IPC_REFUSALS_MAX];
};
int ipc_enc_stats(struct ipc_w *w, const struct ipc_stats *s);
int ipc_dec_stats(const struct ipc_frame *f, struct ipc_stats *s);

#endif
