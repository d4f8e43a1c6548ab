/*
 * sanitizerd ledger append|show|export|backup|proof|checkpoint|verify — the offline
 * commands of SPEC section 3, working from a ledger file alone.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "audit/b64.h"
#include "audit/export.h"
#include "audit/ledger.h"
#include "sanitizerd/cmd.h"
#include "core/state.h"
#include "util/xio.h"

static const char ledger_usage[] =
	"usage: sanitizerd ledger <command> [--state-dir D] ...\n"
	"\n"
	"  append --subject S --type T [--actor A] [--time T] --data JSON\n"
	"                              append one entry (lifecycle rules apply); print it\n"
	"  show [SEQ | --from A --to B]  entries as JSON lines {seq, entry, canonical,\n"
	"                              leaf_hash}: entry as an object, canonical its\n"
	"                              RFC 8785 text (the leaf's bytes)\n"
	"  export --format csv|jsonl [--from A --to B]\n"
	"                              entries for an auditor: CSV (RFC 4180, a header\n"
	"                              line, formula-like cells prefixed with ') or JSON\n"
	"                              Lines as show prints them\n"
	"  backup DEST [--force]       a consistent copy of the ledger while the daemon\n"
	"                              runs (SQLite online backup), mode 0600; never\n"
	"                              replaces DEST unless --force\n"
	"  proof inclusion SEQ [SIZE]  inclusion proof (RFC 9162 2.1.3)\n"
	"  proof consistency FROM TO   consistency proof (RFC 9162 2.1.4)\n"
	"  checkpoint                  print the latest signed checkpoint (signing a\n"
	"                              fresh one first when the key is at hand)\n"
	"  verify [--checkpoint FILE] [--verifier KEY] [--require-attested]\n"
	"                              recompute leaves, tree, checkpoints, lifecycle;\n"
	"                              exit 1 naming the first bad entry; with\n"
	"                              --require-attested, also when entries follow\n"
	"                              the latest signed checkpoint\n"
	"\n"
	"Options for every command: --state-dir D (default " SZ_DEFAULT_STATE_DIR "),\n"
	"--ledger FILE (a copy of ledger.db, instead of the state directory's).\n";

struct lopts {
	const char *dir, *ledger_file, *subject, *type, *actor, *data, *time;
	const char *from, *to, *checkpoint, *verifier, *format;
	int require_attested, force;
};

static int parse(int argc, char **argv, struct lopts *o)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "subject", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' },
		{ "data", required_argument, NULL, 'D' },
		{ "time", required_argument, NULL, 'T' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'o' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "verifier", required_argument, NULL, 'v' },
		{ "require-attested", no_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'x' },
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
		case 'l': o->ledger_file = optarg; break;
		case 's': o->subject = optarg; break;
		case 't': o->type = optarg; break;
		case 'a': o->actor = optarg; break;
		case 'D': o->data = optarg; break;
		case 'T': o->time = optarg; break;
		case 'f': o->from = optarg; break;
		case 'o': o->to = optarg; break;
		case 'c': o->checkpoint = optarg; break;
		case 'v': o->verifier = optarg; break;
		case 'r': o->require_attested = 1; break;
		case 'F': o->format = optarg; break;
		case 'x': o->force = 1; break;
		case 'h': return 1;
		default: return -sz_opt_error(c, argv);
		}
	}
	return 0;
}

/*
 * Open the ledger read-only from --ledger FILE or the state directory.  An
 * auditor's copy needs no key and no token.
 */
static int open_ro(const struct lopts *o, struct ledger **l)
{
	char err[512] = "", *path;
	int rc;

	path = o->ledger_file ? strdup(o->ledger_file) : state_path(o->dir, "ledger.db");
	if (!path)
		return -ENOMEM;
	rc = ledger_open(path, LEDGER_RDONLY, l, err, sizeof(err));
	if (rc == -ENOENT)
		sz_err("cannot open %s: no such ledger", path);
	else if (rc < 0)
		sz_err("%s", err);
	free(path);
	return rc;
}

static int do_append(const struct lopts *o)
{
	struct state *st = NULL;
	json_error_t jerr;
	json_t *data;
	char err[512] = "", *entry = NULL;
	uint64_t seq;
	int rc;

	if (!o->subject || !o->type || !o->data) {
		sz_err("ledger append needs --subject, --type and --data");
		return EXIT_USAGE;
	}
	data = json_loads(o->data, JSON_REJECT_DUPLICATES, &jerr);
	if (!data) {
		sz_err("invalid --data: %s (at character %d)", jerr.text, jerr.position);
		return EXIT_USAGE;
	}
	rc = state_open(o->dir, STATE_KEY, &st, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
		json_decref(data);
		return EXIT_FAIL;
	}
	rc = ledger_append(st->ledger, o->subject, o->type, o->actor ? o->actor : "local:cli", data,
			   o->time, &seq, &entry);
	json_decref(data);
	if (rc < 0) {
		sz_err("cannot append: %s", ledger_errmsg(st->ledger));
		state_free(st);
		return EXIT_FAIL;
	}
	/* state_open set the signer: the entry was committed with a checkpoint over it */
	puts(entry);
	free(entry);
	state_free(st);
	return EXIT_OK;
}

/* Write b to stdout and empty it; 0 or -EIO. */
static int flush_buf(struct export_buf *b)
{
	int rc = 0;

	if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len)
		rc = -EIO;
	export_buf_free(b);
	return rc;
}

/*
 * show and export: entries from..to as JSON lines (format EXPORT_JSONL) or
 * CSV rows, written out as they are rendered, so a ledger of any size goes
 * through a buffer of one entry.
 */
static int print_entries(struct ledger *l, uint64_t from, uint64_t to, uint64_t size, int format)
{
	struct export_buf b;
	int rc = 0;

	/* an entry is at most 64 KiB of data, quoted and as canonical text: well under 1 MiB */
	export_buf_init(&b, 1024 * 1024);
	if (format == EXPORT_CSV)
		rc = export_csv_header(&b, export_entry_cols);
	for (uint64_t s = from; rc == 0 && size && s <= to && s < size; s++) {
		json_t *j = NULL;
		rc = export_entry_json(l, s, &j);
		if (rc < 0) {
			sz_err("cannot read entry %llu: %s", (unsigned long long)s, ledger_errmsg(l));
			break;
		}
		rc = export_entry_row(&b, j, format);
		json_decref(j);
		if (rc == 0)
			rc = flush_buf(&b);
		if (rc < 0)
			sz_err("cannot write entry %llu: %s", (unsigned long long)s, strerror(-rc));
	}
	if (rc == 0)
		rc = flush_buf(&b);
	export_buf_free(&b);
	if (rc == 0 && fflush(stdout) != 0) {
		sz_err("cannot write the entries: %s", strerror(errno));
		rc = -EIO;
	}
	return rc;
}

static int do_show(const struct lopts *o, int argc, char **argv, int export)
{
	struct ledger *l = NULL;
	uint64_t from = 0, to = 0, size;
	int rc, format = EXPORT_JSONL;

	if (export) {
		if (!o->format || (strcmp(o->format, "csv") && strcmp(o->format, "jsonl"))) {
			sz_err("ledger export needs --format csv or --format jsonl");
			return EXIT_USAGE;
		}
		format = !strcmp(o->format, "csv") ? EXPORT_CSV : EXPORT_JSONL;
		if (argc) {
			sz_err("ledger export takes --from A --to B, not a seq");
			return EXIT_USAGE;
		}
	}
	if (argc > 1 || (argc == 1 && (o->from || o->to))) {
		sz_err("ledger show takes SEQ or --from A --to B");
		return EXIT_USAGE;
	}
	if ((argc == 1 && xparse_u64(argv[0], &from) < 0) ||
	    (o->from && xparse_u64(o->from, &from) < 0) || (o->to && xparse_u64(o->to, &to) < 0)) {
		sz_err("invalid seq: want a decimal number");
		return EXIT_USAGE;
	}
	if (open_ro(o, &l) < 0)
		return EXIT_FAIL;
	rc = ledger_size(l, &size);
	if (argc == 1)
		to = from;
	else if (!o->to)
		to = size ? size - 1 : 0;
	if (rc == 0 && argc == 1 && from >= size) {
		sz_err("no entry %llu: the ledger has %llu entries", (unsigned long long)from,
		       (unsigned long long)size);
		rc = -ENOENT;
	}
	if (rc == 0)
		rc = print_entries(l, from, to, size, format);
	ledger_close(l);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static int do_proof(const struct lopts *o, int argc, char **argv)
{
	struct ledger *l = NULL;
	uint64_t a, b = 0, size;
	json_t *j = NULL;
	int rc, incl;

	if (argc < 2) {
		sz_err("ledger proof needs 'inclusion SEQ [SIZE]' or 'consistency FROM TO'");
		return EXIT_USAGE;
	}
	incl = !strcmp(argv[0], "inclusion");
	if ((!incl && strcmp(argv[0], "consistency")) || (incl && argc > 3) || (!incl && argc != 3) ||
	    xparse_u64(argv[1], &a) < 0 || (argc == 3 && xparse_u64(argv[2], &b) < 0)) {
		sz_err("ledger proof needs 'inclusion SEQ [SIZE]' or 'consistency FROM TO' (decimal numbers)");
		return EXIT_USAGE;
	}
	if (open_ro(o, &l) < 0)
		return EXIT_FAIL;
	rc = ledger_size(l, &size);
	if (rc == 0 && incl && argc == 2)
		b = size;
	if (rc == 0)
		rc = incl ? ledger_inclusion_json(l, a, b, &j) : ledger_consistency_json(l, a, b, &j);
	if (rc < 0) {
		sz_err("cannot prove: %s", ledger_errmsg(l));
	} else {
		sz_print_json(j);
		json_decref(j);
	}
	ledger_close(l);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static int do_checkpoint(const struct lopts *o)
{
	struct state *st = NULL;
	char err[512] = "", *note = NULL;
	int rc;

	/* with the key at hand, bring the checkpoint up to date first */
	if (!o->ledger_file && state_open(o->dir, STATE_KEY, &st, err, sizeof(err)) == 0) {
		rc = ledger_checkpoint(st->ledger, st->key, st->origin, &note);
		if (rc < 0)
			sz_err("cannot sign a checkpoint: %s", ledger_errmsg(st->ledger));
		state_free(st);
	} else {
		struct ledger *l = NULL;
		if (open_ro(o, &l) < 0)
			return EXIT_FAIL;
		rc = ledger_checkpoint_latest(l, &note);
		if (rc < 0)
			sz_err("%s", ledger_errmsg(l));
		ledger_close(l);
	}
	if (rc < 0)
		return EXIT_FAIL;
	fputs(note, stdout);
	free(note);
	return EXIT_OK;
}

static int do_backup(const struct lopts *o, int argc, char **argv)
{
	struct ledger *l = NULL, *copy = NULL;
	char err[600] = "", *note = NULL;
	uint64_t size = 0;
	int rc;

	if (argc != 1) {
		sz_err("ledger backup needs one DEST");
		return EXIT_USAGE;
	}
	if (open_ro(o, &l) < 0)
		return EXIT_FAIL;
	rc = ledger_backup(l, argv[0], o->force, err, sizeof(err));
	ledger_close(l);
	if (rc < 0) {
		sz_err("%s", err);
		return EXIT_FAIL;
	}
	/* say what the copy holds, read from the copy itself */
	if (ledger_open(argv[0], LEDGER_RDONLY, &copy, err, sizeof(err)) == 0 && ledger_size(copy, &size) == 0) {
		const char *nl = ledger_checkpoint_latest(copy, &note) == 0 ? strchr(note, '\n') : NULL;
		printf("backed up %llu entries to %s (latest checkpoint: %llu entries)\n", (unsigned long long)size,
		       argv[0], nl ? strtoull(nl + 1, NULL, 10) : 0ULL);
	}
	free(note);
	ledger_close(copy);
	return EXIT_OK;
}

static void verify_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (isatty(2))
		fprintf(stderr, "\rverifying: %llu/%llu entries", (unsigned long long)done,
			(unsigned long long)total);
}

static int do_verify(const struct lopts *o)
{
	struct ledger_verify_opts vo = { .vkey = o->verifier, .progress = verify_progress,
					 .require_attested = o->require_attested };
	struct ledger_verify_report rep;
	struct ledger *l = NULL;
	char *kept = NULL;
	size_t kept_len = 0;
	int rc;

	if (o->checkpoint) {
		rc = xread_file(o->checkpoint, 16384, &kept, &kept_len);
		if (rc < 0) {
			sz_err("cannot read %s: %s", o->checkpoint, strerror(-rc));
			return EXIT_FAIL;
		}
		vo.checkpoint = kept;
		vo.checkpoint_len = kept_len;
	}
	if (open_ro(o, &l) < 0) {
		free(kept);
		return EXIT_FAIL;
	}
	rc = ledger_verify(l, &vo, &rep);
	if (isatty(2))
		fputs("\r\033[K", stderr);
	if (rc == -EBADMSG) {
		if (rep.bad_seq >= 0)
			sz_err("ledger verification failed at seq %lld: %s", (long long)rep.bad_seq, rep.message);
		else
			sz_err("ledger verification failed: %s", rep.message);
	} else if (rc < 0) {
		sz_err("cannot verify: %s", ledger_errmsg(l));
	} else {
		printf("%s\n", rep.message);
	}
	ledger_close(l);
	free(kept);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_ledger(int argc, char **argv)
{
	struct lopts o;
	const char *sub;
	int r;

	if (argc < 2)
		return sz_err("ledger needs a command"), EXIT_USAGE;
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
		return sz_usage(ledger_usage, 0);
	if (sub[0] == '-')
		return sz_err("unknown option '%.200s'", sub), EXIT_USAGE;
	r = parse(argc - 1, argv + 1, &o);
	if (r)
		return r < 0 ? EXIT_USAGE : sz_usage(ledger_usage, 0);
	argc -= 1 + optind;
	argv += 1 + optind;
	if (!strcmp(sub, "append"))
		return argc ? sz_extra_arg(argv[0]) : do_append(&o);
	if (!strcmp(sub, "show"))
		return do_show(&o, argc, argv, 0);
	if (!strcmp(sub, "export"))
		return do_show(&o, argc, argv, 1);
	if (!strcmp(sub, "backup"))
		return do_backup(&o, argc, argv);
	if (!strcmp(sub, "proof"))
		return do_proof(&o, argc, argv);
	if (!strcmp(sub, "checkpoint"))
		return argc ? sz_extra_arg(argv[0]) : do_checkpoint(&o);
	if (!strcmp(sub, "verify"))
		return argc ? sz_extra_arg(argv[0]) : do_verify(&o);
	sz_err("unknown ledger command '%.200s'", sub);
	return EXIT_USAGE;
}
