#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "audit/jwk.h"
#include "sanitizerd/cmd.h"
#include "core/org.h"
#include "core/state.h"

static const char init_usage[] =
	"usage: sanitizerd init [--state-dir D] [--origin NAME]\n"
	"                       [--org-name S] [--org-location S] [--org-phone S]\n"
	"\n"
	"Create the state directory (default " SZ_DEFAULT_STATE_DIR "): ledger.db, the\n"
	"Ed25519 signing.key (0600) and the bootstrap admin.token (0600), and record\n"
	"the key and the token in the ledger.  Running it again changes nothing.\n"
	"\n"
	"The organisation that issues certificates (the issuer on every certificate:\n"
	"its name, location and phone) is kept in organization.json there; serve and\n"
	"cert issue use it unless their own options or the configuration file say\n"
	"otherwise.  On a terminal, init asks for each one not given (an empty answer\n"
	"leaves it \"not configured\"); given on an initialised directory, the options\n"
	"replace the stored values they name and change nothing else.\n";

/* Ask for one value on the terminal; an empty answer keeps it unset.  0 or -errno. */
static int ask(const char *what, char **out)
{
	char line[ORG_FIELD_MAX + 2], *nl;

	for (;;) {
		fprintf(stderr, "%s (printed on certificates; empty to leave out): ", what);
		fflush(stderr);
		if (!fgets(line, sizeof(line), stdin))
			return 0;
		nl = strchr(line, '\n');
		if (!nl && !feof(stdin)) {
			int ch;
			while ((ch = getchar()) != EOF && ch != '\n')
				;
			fprintf(stderr, "sanitizerd: too long: at most %d bytes\n", ORG_FIELD_MAX);
			continue;
		}
		if (nl)
			*nl = '\0';
		if (!line[0])
			return 0;
		if (!org_value_valid(line)) {
			fprintf(stderr, "sanitizerd: want text on one line (UTF-8, no control characters)\n");
			continue;
		}
		*out = strdup(line);
		return *out ? 0 : -ENOMEM;
	}
}

/* The --org-* values given, over the stored ones (or asked for on a new state). */
static int init_org(const char *dir, const char *const given[3], int created, char *err, size_t errlen)
{
	static const char *const what[3] = { "organisation name", "organisation location", "organisation phone" };
	struct sz_org o;
	char **f[3] = { &o.name, &o.location, &o.phone };
	int rc, any = 0, tty = created && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);

	rc = org_load(dir, &o, err, errlen);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	for (int i = 0; i < 3 && rc != -ENOMEM; i++) {
		if (given[i]) {
			free(*f[i]);
			*f[i] = strdup(given[i]);
			rc = *f[i] ? 0 : -ENOMEM;
			any = 1;
		} else if (tty && !*f[i]) {
			rc = ask(what[i], f[i]);
			any |= *f[i] != NULL;
		}
	}
	if (rc == -ENOMEM) {
		org_clear(&o);
		return -ENOMEM;
	}
	rc = any ? org_store(dir, &o, err, errlen) : 0;
	org_clear(&o);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "origin", required_argument, NULL, 'o' },
		{ "org-name", required_argument, NULL, 'O' },
		{ "org-location", required_argument, NULL, 'A' },
		{ "org-phone", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = SZ_DEFAULT_STATE_DIR, *origin = NULL, *org[3] = { NULL, NULL, NULL };
	char err[512] = "";
	int c, created, rc;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': origin = optarg; break;
		case 'O': org[0] = optarg; break;
		case 'A': org[1] = optarg; break;
		case 'P': org[2] = optarg; break;
		case 'h': return sz_usage(init_usage, 0);
		default: return sz_opt_error(c, argv);
		}
	}
	if (optind != argc)
		return sz_extra_arg(argv[optind]);
	for (int i = 0; i < 3; i++)
		if (org[i] && !org_value_valid(org[i])) {
			sz_err("invalid --%s: want 1 to %d bytes of text on one line", opts[2 + i].name, ORG_FIELD_MAX);
			return EXIT_USAGE;
		}
	rc = state_init(dir, origin, &created, err, sizeof(err));
	if (rc == 0)
		rc = init_org(dir, org, created, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err[0] ? err : strerror(-rc));
		return EXIT_FAIL;
	}
	if (!created) {
		if (org[0] || org[1] || org[2])
			printf("%s is already initialised; the organisation is updated\n", dir);
		else
			printf("%s is already initialised; nothing changed\n", dir);
		return EXIT_OK;
	}
	printf("initialised %s: ledger.db, signing.key, admin.token\n", dir);
	return EXIT_OK;
}

static const char keys_usage[] =
	"usage: sanitizerd keys [--state-dir D]\n"
	"\n"
	"Print the public keys as GET /v1/keys serves them: the checkpoint note\n"
	"verifier key, the JWKS and the PEM public key.\n";

int cmd_keys(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = SZ_DEFAULT_STATE_DIR;
	struct state *st = NULL;
	char err[512] = "";
	json_t *doc;
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h': return sz_usage(keys_usage, 0);
		default: return sz_opt_error(c, argv);
		}
	}
	if (optind != argc)
		return sz_extra_arg(argv[optind]);
	if (state_open(dir, STATE_RDONLY, &st, err, sizeof(err)) < 0) {
		sz_err("%s", err);
		return EXIT_FAIL;
	}
	doc = jwk_keys_document(st->vkey, st->pub);
	state_free(st);
	if (!doc) {
		sz_err("cannot build the keys document: out of memory");
		return EXIT_FAIL;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(doc);
	return EXIT_OK;
}
