#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "audit/jwk.h"
#include "sanitizerd/cmd.h"
#include "core/state.h"

static const char init_usage[] =
	"usage: sanitizerd init [--state-dir D] [--origin NAME]\n"
	"\n"
	"Create the state directory (default " SZ_DEFAULT_STATE_DIR "): ledger.db, the\n"
	"Ed25519 signing.key (0600) and the bootstrap admin.token (0600), and record\n"
	"the key and the token in the ledger.  Running it again changes nothing.\n";

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "origin", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = SZ_DEFAULT_STATE_DIR, *origin = NULL;
	char err[512] = "";
	int c, created, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': origin = optarg; break;
		case 'h': return sz_usage(init_usage, 0);
		default: return sz_usage(init_usage, 1);
		}
	}
	if (optind != argc)
		return sz_usage(init_usage, 1);
	rc = state_init(dir, origin, &created, err, sizeof(err));
	if (rc < 0) {
		sz_err("%s", err);
		return EXIT_FAIL;
	}
	if (!created) {
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

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h': return sz_usage(keys_usage, 0);
		default: return sz_usage(keys_usage, 1);
		}
	}
	if (optind != argc)
		return sz_usage(keys_usage, 1);
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
