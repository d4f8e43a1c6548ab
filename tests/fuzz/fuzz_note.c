/*
 * fuzz_note — C2SP signed notes and checkpoints (audit/note.c): note_verify,
 * checkpoint_open and note_verifier_parse on hostile text.
 * Input: a note.  The seeds are checkpoints signed by the fixed key, so the
 * fuzzer starts from notes that verify and mutates their bodies, signature
 * lines and extension lines.
 * Properties: a note that opens has a well-formed origin equal to the key
 * name, and re-signing its (origin, size, root) reproduces a body that
 * checkpoint_open accepts; a verified note's signed text ends in a newline
 * inside the note; verifier strings that parse re-render to themselves
 * (up to the case of the key ID's hex).
 */
#include "audit/note.h"
#include "tests/fuzz/fuzz.h"

#define EM "\xe2\x80\x94"	/* U+2014 EM DASH */

static uint8_t pub[32];
static char *vkey;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sz_key *k = fuzz_key();
	uint8_t root[32] = { 0 };
	char *note, *two;
	size_t n;

	(void)argc; (void)argv;
	key_public(k, pub);
	vkey = note_verifier(FUZZ_ORIGIN, pub);
	if (!vkey)
		abort();
	if (!getenv("SZ_FUZZ_SEEDS"))
		return 0;
	for (unsigned i = 0; i < 4; i++) {
		char name[32];
		root[0] = (uint8_t)i;
		if (checkpoint_sign(k, FUZZ_ORIGIN, (uint64_t[]){ 0, 1, 255, 18446744073709551615u }[i], root,
				    &note) < 0)
			abort();
		snprintf(name, sizeof(name), "checkpoint-%u", i);
		fuzz_seed_str(name, note);
		free(note);
	}
	/* an extension line, and a second signature by a foreign key */
	if (checkpoint_sign(k, FUZZ_ORIGIN, 7, root, &note) < 0)
		abort();
	n = strlen(note);
	two = malloc(n + 200);
	snprintf(two, n + 200, "%s" EM " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGr"
		 "Q5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n", note);
	fuzz_seed_str("checkpoint-cosigned", two);
	free(two);
	free(note);
	fuzz_seed_str("verifier", vkey);
	fuzz_seed_str("verifier-enoch", "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop");
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *note = (const char *)data;
	struct checkpoint c;
	size_t tl = 0;
	char *s, *name = NULL, *re;
	uint8_t p2[32];
	int rc;

	rc = note_verify(note, size, FUZZ_ORIGIN, pub, &tl);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0)
		FUZZ_CHECK(tl > 0 && tl < size && note[tl - 1] == '\n' && note[tl] == '\n');

	rc = checkpoint_open(note, size, FUZZ_ORIGIN, pub, &c);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		char *again;
		struct checkpoint c2;
		FUZZ_CHECK(strcmp(c.origin, FUZZ_ORIGIN) == 0);
		FUZZ_CHECK(checkpoint_sign(fuzz_key(), c.origin, c.size, c.root, &again) == 0);
		FUZZ_CHECK(checkpoint_open(again, strlen(again), FUZZ_ORIGIN, pub, &c2) == 0);
		FUZZ_CHECK(c2.size == c.size && memcmp(c2.root, c.root, 32) == 0);
		free(again);
	}

	/* the whole input as a verifier key string */
	s = fuzz_str(data, size);
	rc = note_verifier_parse(s, &name, p2);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		FUZZ_CHECK(note_name_valid(name));
		re = note_verifier(name, p2);
		/* one text per key, but the key ID's hex may be in either case (Go's ParseUint takes both) */
		size_t nl = strlen(name);
		FUZZ_CHECK(re && strlen(re) == strlen(s) && memcmp(re, s, nl + 1) == 0 &&
			   strncasecmp(re + nl + 1, s + nl + 1, 8) == 0 && strcmp(re + nl + 9, s + nl + 9) == 0);
		free(re);
		free(name);
	}
	free(s);
	return 0;
}
