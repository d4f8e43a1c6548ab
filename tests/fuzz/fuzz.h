/*
 * fuzz.h — what the libFuzzer harnesses in tests/fuzz/ share: a fixed
 * Ed25519 key (so signed seeds stay valid from run to run), a scratch
 * directory removed at exit, NUL-terminated copies of the input, splitting
 * an input into NUL-separated parts, and writing seed files.
 *
 * Each harness has a seeds() function: with SZ_FUZZ_SEEDS=DIR in the
 * environment it writes its generated seeds (signed notes, proofs, device
 * responses) into DIR and exits, so tests/fuzz/corpus/<name>/ can be
 * regenerated: SZ_FUZZ_SEEDS=tests/fuzz/corpus/note build/fuzz/fuzz_note.
 *
 * A property that fails calls FUZZ_CHECK, which aborts: libFuzzer keeps the
 * input as a crash.
 */
#ifndef SZ_FUZZ_H
#define SZ_FUZZ_H
#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/b64.h"
#include "audit/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* The LLVMFuzzerInitialize of a harness with generated seeds: SZ_FUZZ_SEEDS=DIR writes them (write_seeds exits). */
#define FUZZ_SEEDS_INITIALIZE(write_seeds) \
	int LLVMFuzzerInitialize(int *argc, char ***argv) \
	{ \
		(void)argc; (void)argv; \
		if (getenv("SZ_FUZZ_SEEDS")) \
			write_seeds(); \
		return 0; \
	}

/* A text a parser hands on (a model, a serial, a message): NUL-terminated within cap, no control characters. */
static inline void fuzz_check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	FUZZ_CHECK(n < cap);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

/* The seed of Go's PeterNeumann test key (tests/unit/test_note.c), PKCS#8. */
static const char fuzz_key_pem[] __attribute__((unused)) =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIIEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n"
	"-----END PRIVATE KEY-----\n";
#define FUZZ_ORIGIN "example.com/sanitizerd"

static char fuzz_dir[256] __attribute__((unused));

static inline int fuzz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static inline void fuzz_cleanup(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	fuzz_dir[0] = '\0';
}

/* A scratch directory (in /dev/shm when there is one: ledger commits are many), removed at exit. */
static inline const char *fuzz_tmpdir(void)
{
	if (fuzz_dir[0])
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/sz-fuzz.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(fuzz_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(fuzz_cleanup);
	return fuzz_dir;
}

/* The fixed key; loaded once, never freed (the process ends). */
static inline struct sz_key *fuzz_key(void)
{
	static struct sz_key *k;
	char path[300];
	FILE *f;

	if (k)
		return k;
	if (crypto_init() < 0)
		abort();
	snprintf(path, sizeof(path), "%s/key.pem", fuzz_tmpdir());
	f = fopen(path, "wx");
	if (!f || fchmod(fileno(f), 0600) < 0 || fputs(fuzz_key_pem, f) < 0 || fclose(f) != 0)
		abort();
	if (key_load(path, &k) < 0)
		abort();
	unlink(path);
	return k;
}

/* data as a new NUL-terminated string (it may hold NULs of its own). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Split [data, data+size) at NUL bytes into at most n parts (the last takes
 * the rest, NULs included).  part[i] points into buf, a NUL-terminated copy
 * the caller frees; len[i] is each part's length.  Parts not present are
 * NULL.  Returns buf.
 */
static inline char *fuzz_split(const uint8_t *data, size_t size, size_t n, const char **part, size_t *len)
{
	char *buf = fuzz_str(data, size), *p = buf, *end = buf + size;

	for (size_t i = 0; i < n; i++) {
		part[i] = NULL;
		len[i] = 0;
	}
	for (size_t i = 0; i < n && p <= end; i++) {
		char *z = i + 1 < n ? memchr(p, '\0', (size_t)(end - p)) : NULL;
		part[i] = p;
		len[i] = z ? (size_t)(z - p) : (size_t)(end - p);
		if (!z)
			break;
		p = z + 1;
	}
	return buf;
}

/* Write one seed file DIR/name when seeding. */
static inline void fuzz_seed(const char *name, const void *data, size_t len)
{
	const char *dir = getenv("SZ_FUZZ_SEEDS");
	char path[1024];
	FILE *f;

	if (!dir)
		return;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static inline void fuzz_seed_str(const char *name, const char *s)
{
	fuzz_seed(name, s, strlen(s));
}

/* Text seeds, written as seed-00, seed-01, ... */
static inline void fuzz_seed_strs(const char *const *seeds, size_t n)
{
	char name[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "seed-%02zu", i);
		fuzz_seed_str(name, seeds[i]);
	}
}

/* Parts joined with NUL bytes, as fuzz_split takes them apart. */
static inline void fuzz_seed_parts(const char *name, const char *const *parts, size_t n)
{
	size_t total = 0, o = 0;
	char *buf;

	for (size_t i = 0; i < n; i++)
		total += strlen(parts[i]) + 1;
	buf = malloc(total);
	if (!buf)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);
		memcpy(buf + o, parts[i], l);
		o += l;
		if (i + 1 < n)
			buf[o++] = '\0';
	}
	fuzz_seed(name, buf, o);
	free(buf);
}

#endif
