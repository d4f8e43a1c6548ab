/*
 * sanitizerd cert issue|show|list|export|pdf|verify — sanitization certificates from the
 * command line (issue 5): the same audit/cert.h calls the API makes, and an
 * offline verifier that needs no server and no state directory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "audit/cert.h"
#include "audit/certpdf.h"
#include "audit/export.h"
#include "audit/jws.h"
#include "audit/ledger.h"
#include "sanitizerd/cmd.h"
#include "core/org.h"
#include "core/state.h"
#include "util/xio.h"

static const char cert_usage[] =
	"usage: sanitizerd cert <command> [options]\n"
	"\n"
	"  issue ASSET_ID [--request JSON] [--actor A] [--org NAME] [--org-address A]\n"
	"                 [--org-phone P] [--base-url URL]\n"
	"        issue the certificate of the asset's last, verified sanitization\n"
	"        (the issuer: --org, --org-address, --org-phone, else what\n"
	"        sanitizerd init stored);\n"
	"        prints {\"id\",\"jws\"}\n"
	"  show ID         the certificate, its status and ledger proof, as JSON\n"
	"  list [FILTERS]  the certificates, one JSON object a line, in issue order\n"
	"  export --format csv|jsonl [FILTERS]\n"
	"                  the same for an auditor: CSV (RFC 4180, a header line,\n"
	"                  formula-like cells prefixed with ') or JSON Lines\n"
	"        FILTERS: --asset-id ID --serial S --tenant T --method M --result R\n"
	"                 (the verification result) --from DATE --to DATE (issued_at,\n"
	"                 inclusive; YYYY-MM-DD or a UTC date-time); --ledger FILE\n"
	"                 reads a copy (sanitizerd ledger backup) instead\n"
	"  pdf ID --out FILE [--base-url URL]\n"
	"                  the printable certificate (one A4 page)\n"
	"  verify --jwks FILE [--proof FILE [--checkpoint FILE] [--verifier VKEY]] CERT.jws\n"
	"        offline: the signature against the JWKS (GET /.well-known/jwks.json, or\n"
	"        the output of sanitizerd keys); with --proof (the JSON of GET\n"
	"        /v1/certificates/ID, or its tlog_proof text), that the ledger's\n"
	"        certificate_issued entry holds this JWS's SHA-256 and is included in\n"
	"        the checkpoint (--checkpoint, or the proof's own) signed by VKEY\n"
	"        (default: the note_verifier of a sanitizerd keys document).\n"
	"        Exit 0 valid, 1 invalid (the reason on stderr), 2 usage.\n"
	"\n"
	"Options: --state-dir D (default " SZ_DEFAULT_STATE_DIR ") for issue, show, pdf.\n";

struct copts {
	const char *dir, *request, *actor, *org, *org_address, *org_phone, *base_url, *out;
	const char *jwks, *checkpoint, *verifier, *proof;
	const char *f_asset, *f_serial, *f_tenant, *f_method, *f_result, *f_from, *f_to, *format, *ledger;
};

static int parse(int argc, char **argv, struct copts *o)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "request", required_argument, NULL, 'r' },
		{ "actor", required_argument, NULL, 'a' },
		{ "org", required_argument, NULL, 'O' },
		{ "org-address", required_argument, NULL, 'A' },
		{ "org-phone", required_argument, NULL, 'P' },
		{ "base-url", required_argument, NULL, 'u' },
		{ "out", required_argument, NULL, 'o' },
		{ "jwks", required_argument, NULL, 'j' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "verifier", required_argument, NULL, 'v' },
		{ "proof", required_argument, NULL, 'p' },
		{ "asset-id", required_argument, NULL, 'I' },
		{ "serial", required_argument, NULL, 'S' },
		{ "tenant", required_argument, NULL, 'T' },
		{ "method", required_argument, NULL, 'M' },
		{ "result", required_argument, NULL, 'R' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'F' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = SZ_DEFAULT_STATE_DIR;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'r': o->request = optarg; break;
		case 'a': o->actor = optarg; break;
		case 'O': o->org = optarg; break;
		case 'A': o->org_address = optarg; break;
		case 'P': o->org_phone = optarg; break;
		case 'u': o->base_url = optarg; break;
		case 'o': o->out = optarg; break;
		case 'j': o->jwks = optarg; break;
		case 'c': o->checkpoint = optarg; break;
		case 'v': o->verifier = optarg; break;
		case 'p': o->proof = optarg; break;
		case 'I': o->f_asset = optarg; break;
		case 'S': o->f_serial = optarg; break;
		case 'T': o->f_tenant = optarg; break;
		case 'M': o->f_method = optarg; break;
		case 'R': o->f_result = optarg; break;
		case 'f': o->f_from = optarg; break;
		case 't': o->f_to = optarg; break;
		case 'F': o->format = optarg; break;
		case 'l': o->ledger = optarg; break;
		case 'h': return 1;
		default: return -sz_opt_error(c, argv);
		}
	}
	return 0;
}

static int do_issue(const struct copts *o, const char *asset)
{
	struct cert_config cfg = { .org_name = o->org, .org_address = o->org_address,
				   .org_phone = o->org_phone, .base_url = o->base_url,
				   .tool_name = "sanitizerd", .tool_version = SZ_VERSION };
	struct state *st = NULL;
	struct sz_org org = { 0 };
	json_t *req = NULL, *out = NULL;
	json_error_t jerr;
	char err[512] = "";
	int rc;

	if (o->request) {
		req = json_loads(o->request, JSON_REJECT_DUPLICATES, &jerr);
		if (!req) {
			sz_err("invalid --request: %s (at character %d)", jerr.text, jerr.position);
			return EXIT_USAGE;
		}
	}
	rc = state_open(o->dir, STATE_KEY, &st, err, sizeof(err));
	/* the issuer init stored, for each detail not given here (issue 15) */
	if (rc == 0 && (rc = org_load(o->dir, &org, err, sizeof(err))) == -ENOENT)
		rc = 0;
	if (rc == 0) {
		cfg.org_name = o->org ? o->org : org.name;
		cfg.org_address = o->org_address ? o->org_address : org.location;
		cfg.org_phone = o->org_phone ? o->org_phone : org.phone;
	}
	if (rc == 0)
		rc = cert_issue(st->ledger, st->key, st->origin, &cfg, asset, req,
				o->actor ? o->actor : "local:cli", &out, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
	} else {
		sz_print_json(out);
		json_decref(out);
	}
	json_decref(req);
	state_free(st);
	org_clear(&org);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* cert_get through a read-only ledger: reading needs no key. */
static int load_cert(const struct copts *o, const char *id, json_t **cert)
{
	struct state *st = NULL;
	char err[512] = "";
	int rc;

	rc = state_open(o->dir, STATE_RDONLY, &st, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
		return rc;
	}
	rc = cert_get(st->ledger, id, cert, NULL);
	if (rc == -ENOENT)
		sz_err("no certificate %.64s", id);
	else if (rc < 0)
		sz_err("cannot read certificate %.64s: %s", id, strerror(-rc));
	state_free(st);
	return rc;
}

static int do_show(const struct copts *o, const char *id)
{
	json_t *cert = NULL;

	if (load_cert(o, id, &cert) < 0)
		return EXIT_FAIL;
	json_dumpf(cert, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(cert);
	return EXIT_OK;
}

static int do_pdf(const struct copts *o, const char *id)
{
	json_t *cert = NULL;
	uint8_t *pdf = NULL;
	size_t len = 0;
	char *url = NULL;
	int rc;

	if (!o->out) {
		sz_err("cert pdf needs --out FILE");
		return EXIT_USAGE;
	}
	if (load_cert(o, id, &cert) < 0)
		return EXIT_FAIL;
	/* no public URL, or a loopback one: no QR code, and the page says so */
	rc = cert_verify_url(o->base_url, id, &url);
	if (rc != -ENOMEM) {
		struct cert_pdf_opts po = { .verify_url = url };
		rc = cert_pdf(cert, &po, &pdf, &len);
	}
	if (rc < 0)
		sz_err("cannot render certificate %s: %s", id, strerror(-rc));
	else if ((rc = xwrite_file_excl(o->out, pdf, len, 0644)) < 0)
		sz_err("cannot write %s: %s", o->out, strerror(-rc));
	json_decref(cert);
	free(pdf);
	free(url);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static int read_or_fail(const char *path, size_t cap, char **buf, size_t *len)
{
	int rc = xread_file(path, cap, buf, len);

	if (rc == -EFBIG)
		sz_err("cannot read %s: larger than %zu bytes", path, cap);
	else if (rc < 0)
		sz_err("cannot read %s: %s", path, strerror(-rc));
	return rc;
}

static int do_verify(const struct copts *o, const char *path)
{
	struct cert_offline in = { .vkey = o->verifier };
	char *jws = NULL, *jwks_text = NULL, *proof = NULL, *cp = NULL, why[512] = "";
	size_t jlen = 0, klen = 0;
	json_t *jwks = NULL;
	json_error_t jerr;
	int rc = -1;

	if (!o->jwks) {
		sz_err("cert verify needs --jwks FILE (GET /.well-known/jwks.json or sanitizerd keys)");
		return EXIT_USAGE;
	}
	if (o->checkpoint && !o->proof) {
		sz_err("--checkpoint needs --proof (the JSON of GET /v1/certificates/ID or its tlog-proof)");
		return EXIT_USAGE;
	}
	/* a JWS past the cap is an invalid certificate, said by jws_parse */
	if (read_or_fail(path, JWS_MAX + 64, &jws, &jlen) < 0 ||
	    read_or_fail(o->jwks, 1024 * 1024, &jwks_text, &klen) < 0 ||
	    (o->proof && read_or_fail(o->proof, CERT_PROOF_MAX, &proof, &in.proof_len) < 0) ||
	    (o->checkpoint && read_or_fail(o->checkpoint, 16384, &cp, &in.checkpoint_len) < 0))
		goto out;
	while (jlen && (jws[jlen - 1] == '\n' || jws[jlen - 1] == '\r'))
		jws[--jlen] = 0;
	jwks = json_loadb(jwks_text, klen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(jwks)) {
		sz_err("invalid %s: not a JSON object (%s)", o->jwks, jerr.text);
		goto out;
	}
	in.jws = jws;
	in.jws_len = jlen;
	in.jwks = jwks;
	in.proof = proof;
	in.checkpoint = cp;
	rc = cert_verify_offline(&in, why, sizeof(why));
	if (rc < 0)
		sz_err("%s", why[0] ? why : strerror(-rc));
	else
		puts(why);
out:
	json_decref(jwks);
	free(jws);
	free(jwks_text);
	free(proof);
	free(cp);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

struct list_out {
	int format;
	struct export_buf b;
};

static int print_row(void *ctx, const json_t *row)
{
	struct list_out *lo = ctx;
	int rc = lo->format == EXPORT_CSV ? export_csv_row(&lo->b, row, export_cert_cols)
					  : export_jsonl_row(&lo->b, row);

	if (rc == 0 && lo->b.len && fwrite(lo->b.p, 1, lo->b.len, stdout) != lo->b.len)
		rc = -EIO;
	export_buf_free(&lo->b);
	return rc;
}

static int do_list(const struct copts *o, int export)
{
	struct export_cert_filter f = { .asset_id = o->f_asset, .serial = o->f_serial, .tenant = o->f_tenant,
					.method = o->f_method, .result = o->f_result, .after = -1 };
	struct list_out lo = { .format = EXPORT_JSONL };
	struct ledger *l = NULL;
	struct state *st = NULL;
	char from[25], to[25], err[512] = "";
	int rc;

	if (export) {
		if (!o->format || (strcmp(o->format, "csv") && strcmp(o->format, "jsonl"))) {
			sz_err("cert export needs --format csv or --format jsonl");
			return EXIT_USAGE;
		}
		lo.format = !strcmp(o->format, "csv") ? EXPORT_CSV : EXPORT_JSONL;
	}
	if ((o->f_from && export_date_bound(o->f_from, 0, from) < 0) ||
	    (o->f_to && export_date_bound(o->f_to, 1, to) < 0)) {
		sz_err("invalid --from or --to: want YYYY-MM-DD or a UTC date-time");
		return EXIT_USAGE;
	}
	f.from = o->f_from ? from : NULL;
	f.to = o->f_to ? to : NULL;
	if (o->ledger)
		rc = ledger_open(o->ledger, LEDGER_RDONLY, &l, err, sizeof(err));
	else if ((rc = state_open(o->dir, STATE_RDONLY, &st, err, sizeof(err))) == 0)
		l = st->ledger;
	if (rc < 0) {
		sz_err("%s", err[0] ? err : strerror(-rc));
		return EXIT_FAIL;
	}
	/* one row in memory at a time: a certificate row is well under 64 KiB */
	export_buf_init(&lo.b, 65536);
	rc = lo.format == EXPORT_CSV ? export_csv_header(&lo.b, export_cert_cols) : 0;
	if (rc == 0 && lo.b.len && fwrite(lo.b.p, 1, lo.b.len, stdout) != lo.b.len)
		rc = -EIO;
	export_buf_free(&lo.b);
	if (rc == 0)
		rc = export_certs(l, &f, print_row, &lo);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -EIO;
	if (rc < 0)
		sz_err("cannot list the certificates: %s", strerror(-rc));
	export_buf_free(&lo.b);
	if (st)
		state_free(st);
	else
		ledger_close(l);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_cert(int argc, char **argv)
{
	struct copts o;
	const char *sub;
	int r;

	if (argc < 2)
		return sz_err("cert needs a command"), EXIT_USAGE;
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return sz_usage(cert_usage, 0);
	if (sub[0] == '-')
		return sz_err("unknown option '%.200s'", sub), EXIT_USAGE;
	r = parse(argc - 1, argv + 1, &o);
	if (r)
		return r < 0 ? EXIT_USAGE : sz_usage(cert_usage, 0);
	argc -= 1 + optind;
	argv += 1 + optind;
	if (!strcmp(sub, "list") || !strcmp(sub, "export"))
		return argc ? sz_usage(cert_usage, 1) : do_list(&o, !strcmp(sub, "export"));
	if (argc != 1) {
		sz_err("cert %.64s takes one argument", sub);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "issue"))
		return do_issue(&o, argv[0]);
	if (!strcmp(sub, "show"))
		return do_show(&o, argv[0]);
	if (!strcmp(sub, "pdf"))
		return do_pdf(&o, argv[0]);
	if (!strcmp(sub, "verify"))
		return do_verify(&o, argv[0]);
	sz_err("unknown cert command '%.200s'", sub);
	return EXIT_USAGE;
}
