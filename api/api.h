/*
 * api — the REST API of SPEC section 6 over libmicrohttpd.  Thin: it parses,
 * authenticates, checks roles and tenants, calls audit/ and drivers/ (the
 * latter only through the job interface of api/jobs.c), and renders JSON.
 * Internal to the api/ files and sanitizerd/cmd_serve.c.
 */
#ifndef SZ_API_H
#define SZ_API_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "api/log.h"
#include "api/metrics.h"
#include "audit/lwriter.h"
#include "audit/tokens.h"

#define API_BODY_MAX 65536
#define API_MAX_CAPTURES 3
#define API_MAX_PARAMS 64		/* query parameters in one request line */

struct api;
struct ledger;
struct state;
struct jobs;
struct lwriter;
struct lw_caller;
struct connguard;
struct station;
struct batches;
struct defer;
struct console;
struct ipc_link;
struct ipc_frame;

/* What this process of `sanitizerd serve` is (issue 12, sanitizerd/privsep.h). */
enum api_mode {
	API_SINGLE = 0,		/* everything in one process: the tests' entry points (fuzzing) */
	API_HTTP,		/* libmicrohttpd; writes through the ledger process, jobs through devices */
	API_DEVICES,		/* the job manager and the drives; requests come from the http process */
};

struct api_config {
	const char *listen;		/* "127.0.0.1:8420" */
	const char *state_dir;
	const char *origin;
	const char *tls_cert, *tls_key;
	const char *log_path;		/* NULL: stderr */
	int log_level;			/* enum log_level: lines above it are not written */
	int log_format;			/* enum log_format */
	unsigned threads;		/* libmicrohttpd thread pool */
	unsigned conn_limit;
	unsigned conn_timeout;		/* seconds idle */
	unsigned conn_per_ip;		/* connections from one client address */
	unsigned header_timeout;	/* seconds from a connection's (or request's) start to its headers */
	unsigned request_timeout;	/* ... and to its whole body */
	unsigned ckpt_every_n;		/* checkpoint at least every N entries */
	unsigned ckpt_every_ms;		/* ... and every T milliseconds */
	unsigned max_jobs;		/* wipes running at once */
	const char *org_name, *org_location, *org_phone, *public_url;
	const char *user;		/* the http process's user (issue 12) */
};

/* Roles as bits: a route lists who may call it; admin may call everything. */
enum {
	ROLE_ADMIN = 1, ROLE_TECH = 2, ROLE_AUDITOR = 4, ROLE_CUSTOMER = 8,
	ROLE_ANYONE = 16,	/* no token needed (and none looked at) */
};

struct resp {
	unsigned status;
	char *body;			/* malloc'd */
	size_t len;
	const char *ctype;
	void *stream;			/* a struct MHD_Response * of the handler's own (an event stream), or NULL */
	char *set_cookie[2];		/* Set-Cookie values (malloc'd) or NULL: the console's sign-in and out */
};

struct req {
	struct api *api;
	const char *method;
	const char *path;
	void *conn;			/* struct MHD_Connection * */
	char *body;
	size_t len;
	int too_big;
	const char *content_type;
	int authed;
	int via_cookie;			/* authenticated by a console session (api/console.c) */
	unsigned role;			/* ROLE_* of the token */
	struct token_info tok;
	const char *cap[API_MAX_CAPTURES];	/* path parameters, validated */
	char capbuf[API_MAX_CAPTURES][160];
	double t0;
	int deferred;			/* 1 queued on a defer thread, 2 answered there, 3 sent */
	struct resp dout;		/* the answer a defer thread made */
	struct req *dnext;		/* the defer queue */
	const char *route;		/* the matched route's pattern, or NULL */
	int rclass;			/* its RCLASS_* (api/metrics.h) */
	const char *deny;		/* why the token was refused (401/403), for the log */
	unsigned cred_kind;		/* how the caller authenticated: an IPC_CRED_* (core/ipc.h) */
	char cred[LW_CRED_MAX];		/* ... its bearer token or console ticket, for the other processes */
};

/* Handlers fill *out; they return nothing: every outcome is a response. */
typedef void (*api_handler)(struct req *r, struct resp *out);

/*
 * src as text safe to quote in a JSON message or a log line: valid UTF-8
 * (RFC 3629) with no control characters, each offending byte written as
 * \xNN, truncated to cap bytes (NUL included) without cutting a character.
 * Cannot fail.
 */
void api_safe_text(char *dst, size_t cap, const char *src);

/* Responses. */
void reply_json(struct resp *out, unsigned status, json_t *j);	/* steals j */
void reply_text(struct resp *out, unsigned status, const char *ctype, const char *text, size_t len);
void reply_error(struct resp *out, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Map a -errno of audit/ledger to a response: EINVAL 400, ENOENT 404, EPROTO 409, E2BIG 413. */
void reply_errno(struct resp *out, int rc, const char *msg);
/* The JSON body of a request, or NULL after replying 400/415 (checks the content type). */
json_t *req_json(struct req *r, struct resp *out);
/* A query parameter, or NULL. */
const char *req_query(struct req *r, const char *key);
/* Parse a decimal query parameter; 0, -ENOENT if absent, -EINVAL otherwise. */
int req_query_u64(struct req *r, const char *key, uint64_t *v);
/*
 * For a route open to anyone that answers more to a known caller: check the
 * request's bearer token as the authenticated routes do, setting r->role and
 * r->tok.  0; -ENOENT if no Authorization header was sent; another -errno
 * if the token is not valid (the caller answers 401).
 */
int api_authenticate(struct req *r);
/* The actor recorded in ledger entries for this request: "token:<id>". */
void req_actor(const struct req *r, char *buf, size_t len);
/* The caller of a ledger writer operation: this request's role, tenant and actor.  Cannot fail. */
void req_caller(const struct req *r, struct lw_caller *c);

/* Database access: one read-only connection per caller at a time, and the writer. */
struct ledger *api_read_acquire(struct api *a);
void api_read_release(struct api *a, struct ledger *l);
/*
 * Start the ledger writer over the state's ledger, handing it the signing
 * key (the state holds none after) and the checkpoint policy.  0 or -errno.
 */
int api_writer_start(struct api *a);
/*
 * Run a ledger writer operation: on this process's writer, or (API_HTTP,
 * API_DEVICES) in the ledger process, as lwriter_run does.  A ledger
 * process that is restarting answers -EAGAIN (after waiting a moment for it).
 */
int api_write(struct api *a, struct lw_op *op, char *err, size_t errlen);
/*
 * The other processes (issue 12, api/remote.c).  api_forward: a job
 * manager's route, already authenticated and allowed, answered by the
 * devices process (503 while it restarts).  api_who: the token of a
 * forwarded credential, as the ledger process finds it: 0, -EACCES, or
 * -EAGAIN.  api_ticket: a console session's ticket for the bearer token
 * secret: 0 and ticket (IPC_CRED_MAX bytes), or -errno.  api_job_stats: the
 * job counters of /metrics, from this process's jobs or the devices
 * process's: 0, or -EAGAIN.  api_publish: an event for GET /v1/stream
 * (data stolen), sent to the http process from the devices process.
 */
struct ipc_stats;
void api_forward(struct req *r, struct resp *out);
int api_who(struct api *a, unsigned cred_kind, const char *cred, struct token_info *tok);
int api_ticket(struct api *a, const char *secret, char *ticket, size_t len);
int api_job_stats(struct api *a, struct ipc_stats *s);
/* Link handlers: the devices process's requests from http; the http process's events from devices. */
void api_devices_frame(void *ctx, struct ipc_link *l, struct ipc_frame *f);
void api_http_frame(void *ctx, struct ipc_link *l, struct ipc_frame *f);
/* Sign a fresh checkpoint if entries are unattested; the latest note in *note (caller frees). */
int api_checkpoint(struct api *a, char **note);

/*
 * Tokens already checked, by the SHA-256 of the presented token, so a busy
 * client does not cost a database lookup per request.  Cleared whenever a
 * token is revoked (only the API revokes tokens).
 */
#define TOKCACHE_SLOTS 256
struct tokcache {
	pthread_rwlock_t lock;
	unsigned long gen;	/* bumped by every clear */
	struct {
		int used;
		uint8_t hash[32];
		struct token_info info;
	} slot[TOKCACHE_SLOTS];
};
void tokcache_clear(struct api *a);
/*
 * tokcache_get: 1 and *info if the token whose SHA-256 is hash was checked
 * since the last clear, else 0; *gen either way, for tokcache_put, which
 * keeps info for hash unless a clear came since gen.  Cannot fail.  The
 * http process's check before a request, and the ledger process's of the
 * credentials it is sent (sanitizerd/ledgerd.c).
 */
int tokcache_get(struct api *a, const uint8_t hash[32], struct token_info *info, unsigned long *gen);
void tokcache_put(struct api *a, const uint8_t hash[32], const struct token_info *info, unsigned long gen);

/* Shared state of the daemon. */
struct api {
	struct api_config cfg;
	enum api_mode mode;
	struct ipc_link *lk_ledger;	/* API_HTTP, API_DEVICES: to the ledger process */
	struct ipc_link *lk_devices;	/* API_HTTP: to the devices process */
	struct ipc_link *lk_http;	/* API_DEVICES: to the http process */
	struct ipc_link *lk_parent;	/* the control link (sanitizerd/privsep.h) */
	int listen_fd;			/* API_HTTP: the socket the parent bound */
	char *tls_cert, *tls_key;	/* read by api_open, given to libmicrohttpd by api_serve */
	size_t tls_cert_len, tls_key_len;
	struct state *st;		/* writer ledger, origin, public key (the signing key is the writer's) */
	pthread_mutex_t wlock;		/* the writer connection */
	struct lwriter *writer;		/* the only door to ledger writes (audit/lwriter.h) */
	pthread_mutex_t rlock;		/* the pool of read connections */
	pthread_cond_t rcond;
	struct ledger **readers;
	size_t nreaders, nfree;
	struct jobs *jobs;
	struct api_metrics m;
	struct tokcache tc;
	char *keys_doc, *jwks_doc;	/* rendered once */
	void *log;			/* FILE * */
	pthread_mutex_t loglock;
	int log_journal;		/* stderr is journald's stream (api/log.c) */
	void *mhd;			/* struct MHD_Daemon * */
	struct connguard *guard;	/* request deadlines */
	struct station *station;	/* live devices and the event stream */
	struct batches *batches;	/* the batches of this run (api/batches.c) */
	struct defer *defer;		/* threads that answer POST and DELETE (api/defer.c) */
	struct console *console;	/* the web console's sessions (api/console.c) */
};

/* Route handlers, by file. */
void h_health(struct req *r, struct resp *out);
void h_metrics(struct req *r, struct resp *out);
void h_jwks(struct req *r, struct resp *out);
void h_keys(struct req *r, struct resp *out);
void h_openapi(struct req *r, struct resp *out);
void h_checkpoint(struct req *r, struct resp *out);
void h_entry(struct req *r, struct resp *out);
void h_proof_inclusion(struct req *r, struct resp *out);
void h_proof_consistency(struct req *r, struct resp *out);
void h_tokens_create(struct req *r, struct resp *out);
void h_tokens_list(struct req *r, struct resp *out);
void h_tokens_revoke(struct req *r, struct resp *out);
void h_assets_create(struct req *r, struct resp *out);
void h_assets_list(struct req *r, struct resp *out);
void h_asset_get(struct req *r, struct resp *out);
void h_events_create(struct req *r, struct resp *out);
void h_events_list(struct req *r, struct resp *out);
void h_jobs_create(struct req *r, struct resp *out);
void h_job_get(struct req *r, struct resp *out);
void h_jobs_list(struct req *r, struct resp *out);
void h_job_cancel(struct req *r, struct resp *out);
void h_batches_create(struct req *r, struct resp *out);
void h_batch_get(struct req *r, struct resp *out);
void h_batch_cancel(struct req *r, struct resp *out);
/* The batches kept in memory: NULL on ENOMEM; batches_free(NULL) is a no-op. */
struct batches *batches_new(void);
void batches_free(struct batches *b);
void h_cert_issue(struct req *r, struct resp *out);
void h_cert_get(struct req *r, struct resp *out);
void h_cert_jws(struct req *r, struct resp *out);
void h_cert_pdf(struct req *r, struct resp *out);
void h_verify(struct req *r, struct resp *out);
void h_patch_audit(struct req *r, struct resp *out);
void h_exposure(struct req *r, struct resp *out);

/*
 * The web console (api/console.c): its pages, the public verification page,
 * and sessions.  console_new: NULL on ENOMEM; console_free(NULL) is a no-op.
 * console_session_auth: authenticate r by its session cookie: 0 (r->tok,
 * r->role, r->authed and r->via_cookie set), -ENOENT without a live session.
 * console_csrf_ok: 1 if the request carries its session's X-CSRF-Token.
 * console_headers: add the security headers and any cookies of out to a
 * struct MHD_Response, or to none when NULL (frees out's cookies either way).
 */
/*
 * console_verify_url: the public verification URL of cert_id for the QR
 * codes (PDF and batch sheet): from --public-url, or without a usable one
 * from the request's Host; as cert_verify_url (0 and *out, caller frees).
 */
int console_verify_url(struct req *r, const char *cert_id, char **out);
struct console *console_new(void);
void console_free(struct console *c);
int console_session_auth(struct req *r);
int console_csrf_ok(struct req *r);
void console_headers(void *response, struct resp *out);
void h_console_index(struct req *r, struct resp *out);
void h_console_asset(struct req *r, struct resp *out);
void h_verify_page(struct req *r, struct resp *out);
void h_verify_form(struct req *r, struct resp *out);
void h_verify_post(struct req *r, struct resp *out);
void h_verify_data(struct req *r, struct resp *out);
void h_verify_qr(struct req *r, struct resp *out);
void h_session_create(struct req *r, struct resp *out);
void h_session_get(struct req *r, struct resp *out);
void h_session_delete(struct req *r, struct resp *out);

/* 1 if the caller may read the custody chain of an asset of tenant (SPEC section 6 roles). */
int api_custody_visible(const struct req *r, const char *tenant);
/* Asset lookup shared by handlers: 0 and *asset (new ref), -ENOENT (also for another tenant's asset). */
int api_asset_load(struct api *a, struct ledger *l, const struct req *r, const char *id, json_t **asset);

/*
 * Lists and exports (issue 15, api/h_ledger.c): pages of limit rows
 * (1..API_PAGE_LIMIT_MAX) or API_EXPORT_BYTES_MAX bytes; the format from
 * ?format=json|csv|jsonl or else the Accept header (EXPORT_* of
 * audit/export.h; -1 after replying 400); reply_export sends b's rows and
 * empties b.
 */
#define API_PAGE_LIMIT 100
#define API_PAGE_LIMIT_MAX 1000
#define API_EXPORT_BYTES_MAX (1024 * 1024)
struct export_buf;
int req_export_format(struct req *r, struct resp *out);
int req_page_limit(struct req *r, struct resp *out, size_t *limit);
void reply_export(struct resp *out, int format, struct export_buf *b);
void h_entries_list(struct req *r, struct resp *out);
void h_certs_list(struct req *r, struct resp *out);

/*
 * Route one request that came without a libmicrohttpd connection (a request
 * the http process forwarded to the devices process; a test's) through the
 * table, authentication and handlers.  path is decoded, query the raw text
 * after '?' (NULL: none), auth an Authorization header (NULL: none), cred
 * the forwarded caller's credential (cred_kind IPC_CRED_*, 0: none).
 * *resp_body (caller frees), *resp_len, *status and *resp_ctype are the
 * answer.  0 or -ENOMEM.
 */
struct api_raw {
	const char *method, *path, *query, *content_type, *auth, *host, *accept;
	unsigned cred_kind;
	const char *cred;
	const char *body;
	size_t len;
};
int api_dispatch_raw(struct api *a, const struct api_raw *q, unsigned *status, const char **resp_ctype,
		     char **resp_body, size_t *resp_len);
#ifdef SZ_TEST_HOOKS
/*
 * Test build only (tests/fuzz/fuzz_routes.c): route one request through the
 * table, authentication and handlers as the daemon would, without a
 * libmicrohttpd connection.  path is decoded (as libmicrohttpd passes it),
 * query the raw text after '?' (NULL: none), auth the Authorization header
 * (NULL: none).  *resp_body (caller frees) and *resp_len are the answer,
 * *status its code, *resp_ctype its Content-Type.  0 or -ENOMEM.
 */
int api_dispatch_for_test(struct api *a, const char *method, const char *path, const char *query,
			  const char *content_type, const char *auth, const char *body, size_t len,
			  unsigned *status, const char **resp_ctype, char **resp_body, size_t *resp_len);
#endif

/* The listening socket of cfg->listen, bound (the parent does it, for the http process).  0 or -errno with err. */
int api_listen(const struct api_config *cfg, int *fd, char *err, size_t errlen);
/* Use fd (taken) as the log file from now on: the parent's answer to SIGHUP (api/log.c). */
void api_log_fd(struct api *a, int fd);

/*
 * Start and stop the daemon.  0 or -errno with a message in err.
 * api_start is api_open (read the files: TLS, the ledger's read
 * connections, the writer of one process; no thread but the writer's) then
 * api_serve (the threads: jobs, station, the request threads and
 * libmicrohttpd, by mode): the http process locks itself down in between.
 */
#define API_DEVICES_WORKERS 8	/* the devices process's threads for forwarded requests */
int api_start(struct api *a, char *err, size_t errlen);
int api_open(struct api *a, char *err, size_t errlen);
int api_serve(struct api *a, char *err, size_t errlen);
void api_stop(struct api *a);
/* Reopen the log file (SIGHUP), or look again whether stderr is journald's (api/log.c). */
void api_reopen_log(struct api *a);
/* A line at level info, or error/warn when the message starts "error: "/"warning: " (api/log.c). */
void api_log(struct api *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The request line of an answered request: its fields, and a 4xx/5xx's error code and message. */
void api_log_request(struct api *a, const struct req *r, const struct resp *out, double seconds);

#endif
