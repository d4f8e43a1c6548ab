/*
 * A minimal TAP producer for unit tests: each CHECK prints one "ok"/"not ok"
 * line; tests/run.sh counts them.  Header-only on purpose: a test binary is
 * one .c file.
 */
#ifndef SZ_TAP_H
#define SZ_TAP_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int tap_n, tap_fail;

/* cond is evaluated once: it may have side effects (an append, an allocation) */
#define CHECK(cond, ...) do { \
	int tap_ok_ = !!(cond); \
	tap_n++; \
	if (tap_ok_) { printf("ok %d - ", tap_n); } \
	else { tap_fail++; printf("not ok %d - ", tap_n); } \
	printf(__VA_ARGS__); \
	if (!tap_ok_) printf(" (%s:%d: %s)", __FILE__, __LINE__, #cond); \
	printf("\n"); \
} while (0)

#define CHECK_EQ_INT(a, b, ...) do { \
	long long tap_a_ = (long long)(a), tap_b_ = (long long)(b); \
	CHECK(tap_a_ == tap_b_, __VA_ARGS__); \
	if (tap_a_ != tap_b_) printf("#   got %lld, want %lld\n", tap_a_, tap_b_); \
} while (0)

#define CHECK_STR(a, b, ...) do { \
	const char *tap_a_ = (a), *tap_b_ = (b); \
	int tap_s_ok_ = tap_a_ && tap_b_ && strcmp(tap_a_, tap_b_) == 0; \
	CHECK(tap_s_ok_, __VA_ARGS__); \
	if (!tap_s_ok_) printf("#   got \"%s\"\n#  want \"%s\"\n", tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif
