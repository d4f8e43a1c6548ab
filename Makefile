# sanitizerd — hand-written Makefile (STYLE.md rule 12).
# Targets: all run check install clean bench fuzz fuzz-smoke.

PKGS     := libgcrypt blkid libmicrohttpd sqlite3 jansson libcryptsetup liburing libcurl libqrencode libudev
CC       ?= cc
PREFIX   ?= /usr/local
WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
ifneq ($(CI),)
WARN     += -Werror
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS_ALL = $(PKG_LIBS) -lhpdf -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC  := $(wildcard audit/*.c drivers/*.c api/*.c) $(filter-out sanitizerd/main.c,$(wildcard sanitizerd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=build/obj/%.o) build/obj/api/openapi_blob.o build/obj/api/web_blob.o
SAN_OBJ  := $(LIB_SRC:%.c=build/asan/obj/%.o) build/obj/api/openapi_blob.o build/obj/api/web_blob.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=build/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all run check install clean deps unit banned bench fuzz fuzz-build fuzz-smoke
all: build/sanitizerd

deps:
	@scripts/deps.sh build

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/obj/api/openapi_blob.o: api/openapi_blob.S api/openapi.json
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

# the web console's files (api/web/), embedded as they are: no build step
WEB_FILES := $(wildcard api/web/*)
build/obj/api/web_blob.o: api/web_blob.S $(WEB_FILES)
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

# the sanitizer build is the test build: it also compiles the fault-injection
# hooks (SZ_TEST_HOOKS), which the installed binary never has
build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -DSZ_TEST_HOOKS -c -o $@ $<

build/libsz.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/libsz.a: $(SAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/sanitizerd: build/obj/sanitizerd/main.o build/libsz.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# the daemon under ASan+UBSan with the test hooks, for the system tests that need them
build/asan/sanitizerd: build/asan/obj/sanitizerd/main.o build/asan/libsz.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS_ALL)

build/asan/test_%: tests/unit/test_%.c tests/unit/tap.h build/asan/libsz.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/asan/libsz.a $(LDLIBS_ALL)

build/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -o $@ $<

build/bench/%: bench/%.c build/libsz.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libsz.a $(LDLIBS_ALL)

unit: $(UNIT_BIN)

# STYLE.md rule 9: no shells, no unbounded string calls.  The Shellshock probe
# (audit-host, SPEC section 9) is the one place allowed to execve a bash.
banned:
	@scripts/banned.sh

run: deps
	@$(MAKE) --no-print-directory all
	build/sanitizerd serve --listen 127.0.0.1:8420 --state-dir ./var

check: deps
	@$(MAKE) --no-print-directory banned all unit build/asan/sanitizerd $(HELPER_BIN) $(BENCH_BIN) fuzz-build
	@tests/run.sh

bench: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	bench/run.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang into their own
# objects under build/fuzz (never mixed with the gcc ones).  `make fuzz` runs
# each for FUZZ_SECONDS on a scratch copy of its corpus and keeps what it
# finds in build/fuzz/found/; `make check` runs tests/t9000-fuzz.sh, which
# runs each for a few seconds on tests/fuzz/corpus/<name> (fuzz-smoke alone).
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_FLAGS  = -std=gnu11 -D_GNU_SOURCE -I. $(WARN) -g -O1 $(PKG_CFLAGS) -DSZ_TEST_HOOKS $(FUZZ_SAN) -MMD -MP
FUZZ_OBJ   := $(LIB_SRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/api/openapi_blob.o build/fuzz/obj/api/web_blob.o
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 60

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/obj/api/openapi_blob.o: api/openapi_blob.S api/openapi.json
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -c -o $@ $<

build/fuzz/obj/api/web_blob.o: api/web_blob.S $(WEB_FILES)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -c -o $@ $<

build/fuzz/libsz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_cert.h build/fuzz/libsz.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libsz.a $(LDLIBS_ALL)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-smoke: fuzz-build
	@TESTS=t9000-fuzz tests/run.sh

install: build/sanitizerd
	install -D -m 0755 build/sanitizerd $(DESTDIR)$(PREFIX)/sbin/sanitizerd

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
