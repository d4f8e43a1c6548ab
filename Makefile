# sanitizerd — hand-written Makefile (STYLE.md rule 12).
# Targets: all run check install deb clean bench fuzz fuzz-smoke.

PKGS     := libgcrypt blkid libmicrohttpd sqlite3 jansson libcryptsetup liburing libcurl libqrencode libudev libseccomp
CC       ?= cc
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
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

LIB_SRC  := $(wildcard util/*.c audit/*.c drivers/*.c core/*.c api/*.c) $(filter-out sanitizerd/main.c,$(wildcard sanitizerd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=build/obj/%.o) build/obj/api/openapi_blob.o build/obj/api/web_blob.o
SAN_OBJ  := $(LIB_SRC:%.c=build/asan/obj/%.o) build/obj/api/openapi_blob.o build/obj/api/web_blob.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=build/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all run check install deb clean deps unit banned layers bench fuzz fuzz-build fuzz-smoke
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
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

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

# issue 12: no layer includes one above it (scripts/layers.sh lists them)
layers:
	@scripts/layers.sh

run: deps
	@$(MAKE) --no-print-directory all
	build/sanitizerd serve --listen 127.0.0.1:8420 --state-dir ./var

check: deps
	@$(MAKE) --no-print-directory banned layers all unit build/asan/sanitizerd $(HELPER_BIN) $(BENCH_BIN) fuzz-build
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

# The binary, the systemd unit (naming the binary where it was put), the
# manual pages, bash completion, and the example configuration, which never
# replaces one that is there (README "Installing").
install: build/sanitizerd
	install -D -m 0755 build/sanitizerd $(DESTDIR)$(SBINDIR)/sanitizerd
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/sbin/sanitizerd|$(SBINDIR)/sanitizerd|g' dist/sanitizerd.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/sanitizerd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/sanitizerd.service
	install -D -m 0644 man/sanitizerd.8 $(DESTDIR)$(MANDIR)/man8/sanitizerd.8
	install -D -m 0644 man/sanitizerd.conf.5 $(DESTDIR)$(MANDIR)/man5/sanitizerd.conf.5
	install -D -m 0644 dist/sanitizerd.bash-completion $(DESTDIR)$(BASHCOMPDIR)/sanitizerd
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sanitizerd/sanitizerd.conf ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/sanitizerd/sanitizerd.conf"; \
	else \
		install -D -m 0644 dist/sanitizerd.conf $(DESTDIR)$(SYSCONFDIR)/sanitizerd/sanitizerd.conf; \
	fi

# A Debian package with Debian's own tools (debian/, dh), built from a copy
# of the tree in build/deb/src so that dh's clean leaves this build/ alone;
# the .deb lands in build/deb/.
deb: deps
	@scripts/deps.sh package
	rm -rf build/deb && mkdir -p build/deb/src
	tar -cf - --exclude=./build --exclude=./.git --exclude=./var . | tar -xf - -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	@ls build/deb/*.deb

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
