# tempmail — build, run and test.
#
#   make run     install what is missing, build, start the local stack on loopback
#   make test    install what is missing, build, run every test against the real stack
#   make stop    stop the local stack
#
# Everything else here serves those three.

PREFIX      ?= /usr/local
SQLDIR      ?= $(PREFIX)/share/tempmail/sql

CC          ?= cc
PKGS        := gmime-3.0 json-c libsodium libmariadb libcurl
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN        := -Wall -Wextra -Werror -Wformat=2 -Wno-format-nonliteral
CFLAGS      ?= -O2 -g
ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ilib $(PKG_CFLAGS) \
               -DTEMPMAIL_SQLDIR='"$(SQLDIR)"'
LIBS         = lib/libtempmail.a -lfcgi -lmilter $(PKG_LIBS) -lpthread -lresolv

LIB_SRC     := $(sort $(wildcard lib/*.c))
LIB_OBJ     := $(LIB_SRC:.c=.o)
ROUTE_SRC   := $(sort $(wildcard cgi-bin/*.c))
ROUTES      := $(ROUTE_SRC:.c=.fcgi)
WEBHOOKD    := milter/tempmail-webhookd
MILTER_SRC  := $(filter-out $(WEBHOOKD).c,$(sort $(wildcard milter/*.c)))
MILTER      := milter/tempmail-milter
CTL         := tools/tempmailctl
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(UNIT_SRC:.c=)

# The sanitizer build of the library and unit tests lives apart from the normal one.
ASAN_DIR    := build/asan
ASAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJ    := $(patsubst lib/%.c,$(ASAN_DIR)/lib/%.o,$(LIB_SRC))
ASAN_UNIT   := $(patsubst tests/unit/%.c,$(ASAN_DIR)/unit/%,$(UNIT_SRC))
ASAN_ROUTES := $(patsubst cgi-bin/%,$(ASAN_DIR)/cgi-bin/%,$(ROUTES))
ASAN_MILTER := $(ASAN_DIR)/milter/tempmail-milter
ASAN_LIBS    = $(subst lib/libtempmail.a,$(ASAN_DIR)/libtempmail.a,$(LIBS))

# libFuzzer harnesses (tests/fuzz/fuzz_<name>.c), built with clang. Each compiles the lib/
# sources it needs itself, so they carry the fuzzer's coverage (lib/*.o are plain gcc).
# `make fuzz` runs each FUZZ_TIME seconds from its corpus in tests/fuzz/corpus/<name>/;
# `make fuzz FUZZ_TIME=600` is the long run. New inputs found go to build/fuzz/found-<name>/.
CLANG       ?= clang
FUZZ_DIR    := build/fuzz
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_TIME   ?= 10
FUZZ_FLAGS  := -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
FUZZ_LIB_http    := lib/http.c lib/config.c lib/cors.c lib/log.c lib/reply.c lib/timefmt.c
FUZZ_LIB_json    :=
FUZZ_LIB_address := lib/address.c lib/config.c
FUZZ_LIB_timefmt := lib/timefmt.c
FUZZ_LIB_mime    := lib/mime.c lib/extract.c lib/words.c lib/log.c
FUZZ_LIB_config  := lib/config.c
FUZZ_LIB_dns     := lib/dns.c lib/config.c
FUZZ_LIB_extract := lib/extract.c lib/log.c

PYTEST      := /usr/bin/python3 -m pytest

# Quiet by default; `make V=1` shows each command.
V           ?= 0
ifeq ($(V),0)
Q           := @
say          = @printf '  %-6s %s\n' $(1) $(2);
else
Q           :=
say          =
endif

.PHONY: all deps run stop test unit unit-asan fuzz integration integration-asan clean
.DELETE_ON_ERROR:

all: $(ROUTES) $(MILTER) $(WEBHOOKD) $(CTL)

deps:
	@tools/install-deps

run: deps
	@$(MAKE) --no-print-directory all
	@tools/stack start

stop:
	@tools/stack stop

# A stack that `make test` had to start is stopped again when every test passed (a failure
# leaves it running, to be looked at: `make stop`); one that was running stays running.
TEST_STARTED := .make-test-started-the-stack

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(ASAN_UNIT) $(ASAN_ROUTES) $(ASAN_MILTER)
	@$(MAKE) --no-print-directory unit unit-asan
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=5
	@if tools/stack status >/dev/null 2>&1; then rm -f $(TEST_STARTED); else touch $(TEST_STARTED); fi
	@tools/stack start
	@$(MAKE) --no-print-directory milter-test db-test
	@$(MAKE) --no-print-directory integration-asan
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory soak-short
	@$(MAKE) --no-print-directory test-ops test-apache
	@$(MAKE) --no-print-directory web
	@$(MAKE) --no-print-directory cluster-test
	@if [ -e $(TEST_STARTED) ]; then rm -f $(TEST_STARTED); tools/stack stop; fi
	@echo "make test: every test passed"

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

unit-asan: $(ASAN_UNIT)
	@set -e; for t in $(ASAN_UNIT); do echo "== $$t (ASan+UBSan)"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# Any crash, sanitizer report, leak or timeout stops the run and fails (the input is kept
# in $(FUZZ_DIR)/crash-*, replay it with `$(FUZZ_DIR)/fuzz_<name> FILE`). A timeout is one
# input running 2 s (the corpora's slowest take 7 ms). Inputs stay near 4 KB, too short for a
# quadratic scan to show: tests/unit/test_linear times 1 MiB shapes for that.
# Two at a time, each on a core of its own (the test hosts have two).
FUZZ_RUNS   := $(patsubst $(FUZZ_DIR)/fuzz_%,fuzz-run-%,$(FUZZ_BIN))
.PHONY: fuzz $(FUZZ_RUNS)
fuzz: $(FUZZ_BIN)
	@$(MAKE) --no-print-directory -j2 $(FUZZ_RUNS)

$(FUZZ_RUNS): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/found-$*
	@UBSAN_OPTIONS=print_stacktrace=1 $< -max_total_time=$(FUZZ_TIME) -timeout=2 \
	    -rss_limit_mb=2048 -print_final_stats=0 -artifact_prefix=$(FUZZ_DIR)/ \
	    $(FUZZ_DIR)/found-$* tests/fuzz/corpus/$* 2>$(FUZZ_DIR)/fuzz_$*.log \
	  || { echo "== $< FAILED"; tail -n 60 $(FUZZ_DIR)/fuzz_$*.log; exit 1; }
	@echo "== $< ($(FUZZ_TIME) s): $$(grep -h '^Done' $(FUZZ_DIR)/fuzz_$*.log)"

# The pages in a real Chromium (Playwright), against the running stack.
.PHONY: web
web:
	@tests/web/run

# Real deadlocks (error 1213) on the stack's MariaDB, and db(3)'s retries (tests/db/retry.c).
.PHONY: db-test
# The lease of store_lock(3) raced by two connections (tests/db/lease.c; tests/cluster
# races it across two Galera nodes). The purge's batches and the call between them
# (tests/db/purge.c). What the webhook worker reads at every scan (tests/db/arrivals.c).
# Captures stored in groups (tests/db/group.c). Concurrent rate-limit hits sharing upserts
# (tests/db/ratelimit.c), concurrent generates sharing transactions (tests/db/generate.c),
# concurrent requests of one key sharing its lookup (tests/db/keyauth.c) and of one inbox
# sharing its listing (tests/db/listing.c). Which connections the route pool closes for
# the large rows they read (tests/db/heavy.c).
DB_TESTS    := tests/db/retry tests/db/lease tests/db/purge tests/db/arrivals tests/db/group \
               tests/db/ratelimit tests/db/generate tests/db/keyauth tests/db/listing tests/db/heavy

# Each against the stack (var/stack.env); lease takes two milters' configurations.
db-test: $(DB_TESTS)
	@set -a && . var/stack.env && set +a && for t in $(DB_TESTS); do \
	  echo "== $$t"; \
	  case $$t in \
	    */lease) $$t $$TEMPMAIL_CONF $$TEMPMAIL_CONF ;; \
	    *) $$t ;; \
	  esac || exit 1; \
	done

tests/db/%: tests/db/%.c tests/db/dbtest.h lib/libtempmail.a lib/*.h
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIBS)

# Three Galera nodes on loopback, two web and two MX hosts on them, a node killed under
# load (tests/cluster; ports and layout in tests/cluster/conftest.py).
.PHONY: cluster-test
cluster-test: all $(DB_TESTS)
	@cd tests && $(PYTEST) -q -p no:cacheprovider -s cluster

# miltertest scripts drive a milter of their own against the stack's MariaDB (tests/milter/run).
.PHONY: milter-test
milter-test: $(MILTER) $(CTL)
	@tests/milter/run

# The fault tests stop and start services, so they run after everything else.
integration:
	@set -a && . var/stack.env && set +a && cd tests && \
	  $(PYTEST) -q -p no:cacheprovider -m "not faults" api && \
	  $(PYTEST) -q -p no:cacheprovider -m faults api

# tests/api (but the fault tests) once more, against the route binaries and the milter
# built with ASan+UBSan (build/asan); any sanitizer report fails it (tests/asan/run).
integration-asan: $(ASAN_ROUTES) $(ASAN_MILTER)
	@tests/asan/run

# make soak: SOAK_MINUTES (30) of mixed API and SMTP load with a fault every few minutes
# (tests/soak/run: accepted, stored, lost, and the processes' memory over time), then every
# fuzzer SOAK_FUZZ_TIME seconds (300; 0 leaves them out). Not part of make test, which runs
# soak-short: the same for one minute. Needs the stack (make run).
SOAK_MINUTES   ?= 30
SOAK_FUZZ_TIME ?= 300
.PHONY: soak soak-short
soak: all
	@tools/stack start >/dev/null
	@SOAK_MINUTES=$(SOAK_MINUTES) tests/soak/run
	@if [ "$(SOAK_FUZZ_TIME)" != 0 ]; then $(MAKE) --no-print-directory fuzz FUZZ_TIME=$(SOAK_FUZZ_TIME); fi

soak-short:
	@SOAK_MINUTES=1 tests/soak/run

lib/%.o: lib/%.c lib/*.h
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -c $< -o $@

lib/libtempmail.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

cgi-bin/%.fcgi: cgi-bin/%.c lib/libtempmail.a lib/*.h
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIBS)

# notfound.fcgi serves the OpenAPI document compiled in (.incbin, relative to this directory).
cgi-bin/notfound.fcgi: htdocs/openapi.json

$(MILTER): $(MILTER_SRC) lib/libtempmail.a lib/*.h $(wildcard milter/*.h)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(MILTER_SRC) -o $@ $(LIBS)

# The webhook worker: no libmilter, its own program beside the milter (tempmail-webhookd(8)).
$(WEBHOOKD): $(WEBHOOKD).c lib/libtempmail.a lib/*.h
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIBS)

$(CTL): tools/tempmailctl.c lib/libtempmail.a lib/*.h
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIBS)

tests/unit/test_%: tests/unit/test_%.c lib/libtempmail.a lib/*.h
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIBS) -lcmocka

$(ASAN_DIR)/lib/%.o: lib/%.c lib/*.h
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN_DIR)/libtempmail.a: $(ASAN_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(ASAN_DIR)/unit/test_%: tests/unit/test_%.c $(ASAN_DIR)/libtempmail.a lib/*.h
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $< -o $@ $(ASAN_LIBS) -lcmocka

$(ASAN_DIR)/cgi-bin/%.fcgi: cgi-bin/%.c $(ASAN_DIR)/libtempmail.a lib/*.h
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $< -o $@ $(ASAN_LIBS)

$(ASAN_DIR)/cgi-bin/notfound.fcgi: htdocs/openapi.json

$(ASAN_MILTER): $(MILTER_SRC) $(ASAN_DIR)/libtempmail.a lib/*.h $(wildcard milter/*.h)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(MILTER_SRC) -o $@ $(ASAN_LIBS)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c lib/*.h
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(CLANG) $(ALL_CFLAGS) $(FUZZ_FLAGS) $< $(FUZZ_LIB_$*) -o $@ \
	  $(PKG_LIBS) -lfcgi -lresolv

$(FUZZ_DIR)/fuzz_http: $(FUZZ_LIB_http)
$(FUZZ_DIR)/fuzz_address: $(FUZZ_LIB_address)
$(FUZZ_DIR)/fuzz_timefmt: $(FUZZ_LIB_timefmt)
$(FUZZ_DIR)/fuzz_mime: $(FUZZ_LIB_mime)
$(FUZZ_DIR)/fuzz_config: $(FUZZ_LIB_config)
$(FUZZ_DIR)/fuzz_dns: $(FUZZ_LIB_dns)
$(FUZZ_DIR)/fuzz_extract: $(FUZZ_LIB_extract)

# ---- make install, and the tests of installing (issue 8) --------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc]: programs in PREFIX/sbin,
# route binaries in PREFIX/libexec/tempmail, htdocs, sql and the example configs (paths
# made concrete for PREFIX) in PREFIX/share/tempmail, and SYSCONFDIR/tempmail/tempmail.conf
# from the sample when there is none. Give the same PREFIX to the build: tempmailctl has
# SQLDIR compiled in (build/sqldir notices a change and rebuilds it).
SYSCONFDIR  ?= /etc
LIBEXECDIR  ?= $(PREFIX)/libexec/tempmail
SHAREDIR    ?= $(PREFIX)/share/tempmail
EXAMPLES    := etc/tempmail.conf.sample etc/postfix/main.cf.tempmail \
               etc/postfix/tempmail-domains.cf etc/sendmail/tempmail.mc etc/sendmail/mailertable \
               $(wildcard etc/systemd/*.service etc/systemd/*.socket)

.PHONY: install test-ops test-apache FORCE

build/sqldir: FORCE
	@mkdir -p build && echo '$(SQLDIR)' | cmp -s - $@ || echo '$(SQLDIR)' >$@
$(CTL): build/sqldir

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SHAREDIR)/htdocs \
	  $(DESTDIR)$(SQLDIR)/migrations $(DESTDIR)$(SHAREDIR)/examples/lighttpd \
	  $(DESTDIR)$(SHAREDIR)/examples/apache2 $(DESTDIR)$(SHAREDIR)/examples/postfix \
	  $(DESTDIR)$(SHAREDIR)/examples/sendmail $(DESTDIR)$(SHAREDIR)/examples/systemd
	install -m 0755 $(MILTER) $(WEBHOOKD) $(CTL) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(ROUTES) $(DESTDIR)$(LIBEXECDIR)/
	cp -R htdocs/. $(DESTDIR)$(SHAREDIR)/htdocs/
	chmod -R u=rwX,go=rX $(DESTDIR)$(SHAREDIR)/htdocs
	install -m 0644 sql/schema.sql $(DESTDIR)$(SQLDIR)/
	install -m 0644 $(wildcard sql/migrations/*.sql) sql/migrations/README $(DESTDIR)$(SQLDIR)/migrations/
	install -m 0644 cgi-bin/routes.conf $(DESTDIR)$(SHAREDIR)/examples/
	set -e; for f in $(EXAMPLES); do \
	  sed -e 's|/usr/local|$(PREFIX)|g' -e 's|/etc/tempmail/|$(SYSCONFDIR)/tempmail/|g' $$f \
	    >$(DESTDIR)$(SHAREDIR)/examples/$${f#etc/}; done
	tools/render-webconf lighttpd etc/lighttpd/tempmail.conf --prefix $(PREFIX) \
	  --conf $(SYSCONFDIR)/tempmail/tempmail.conf >$(DESTDIR)$(SHAREDIR)/examples/lighttpd/tempmail.conf
	tools/render-webconf apache-fcgid etc/apache2/tempmail-fcgid.conf --prefix $(PREFIX) \
	  --conf $(SYSCONFDIR)/tempmail/tempmail.conf >$(DESTDIR)$(SHAREDIR)/examples/apache2/tempmail-fcgid.conf
	tools/render-webconf apache-proxy etc/apache2/tempmail-proxy-fcgi.conf --prefix $(PREFIX) \
	  --conf $(SYSCONFDIR)/tempmail/tempmail.conf >$(DESTDIR)$(SHAREDIR)/examples/apache2/tempmail-proxy-fcgi.conf
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/tempmail
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/tempmail/tempmail.conf ]; then \
	  echo "  keep   $(DESTDIR)$(SYSCONFDIR)/tempmail/tempmail.conf (exists)"; else \
	  echo "install -m 0640 etc/tempmail.conf.sample $(DESTDIR)$(SYSCONFDIR)/tempmail/tempmail.conf"; \
	  install -m 0640 etc/tempmail.conf.sample $(DESTDIR)$(SYSCONFDIR)/tempmail/tempmail.conf; fi

# tempmailctl, db upgrade, the samples (systemd-analyze, Postfix), make install into a
# DESTDIR and the end-to-end tests served from that installed tree. Needs the stack.
test-ops:
	@set -a && . var/stack.env && set +a && cd tests && $(PYTEST) -q -p no:cacheprovider install

# tests/api behind Apache: mod_fcgid (8081), then mod_proxy_fcgi with spawn-fcgi (8082),
# beside the stack's lighttpd; left out: the fault tests (they restart services), and
# test_hostile.py and test_wait.py, written against lighttpd's limits (Apache answers an
# over-long URL itself, in HTML; mod_fcgid's process and timeout limits differ).
# Behind mod_fcgid (which starts a process a request at first, so slow to test) the tests
# of what a web server can change: routing, methods, headers, request and answer bodies,
# downloads, pages; not the mail-side ones (capture, catch-all, webhooks, domains' DNS),
# which the whole suite runs behind lighttpd, mod_proxy_fcgi and the installed tree.
FCGID_TESTS := $(addprefix api/,test_end_to_end.py test_leveragers.py test_aurelion.py \
               test_authz.py test_web_routes.py test_stored.py test_openapi.py \
               test_pages_headers.py test_search.py)
test-apache:
	@tools/stack start apache-fcgid && tools/stack start apache-proxy
	@set -a && . var/stack.env && set +a && cd tests && rc=0 && \
	  echo "== tests/api behind Apache mod_proxy_fcgi"; \
	  TEMPMAIL_HTTP=$${TEMPMAIL_HTTP_PROXY:-http://127.0.0.1:8082} \
	    $(PYTEST) -q -p no:cacheprovider -m "not faults" api || rc=1; \
	  echo "== tests/api behind Apache mod_fcgid: the routes, headers, bodies and downloads"; \
	  TEMPMAIL_HTTP=$${TEMPMAIL_HTTP_FCGID:-http://127.0.0.1:8081} \
	    $(PYTEST) -q -p no:cacheprovider -m "not faults" $(FCGID_TESTS) || rc=1; \
	  echo "== tests/api/test_events.py behind Apache mod_fcgid, last: each closed stream holds a process until its next ping"; \
	  TEMPMAIL_HTTP=$${TEMPMAIL_HTTP_FCGID:-http://127.0.0.1:8081} \
	    $(PYTEST) -q -p no:cacheprovider api/test_events.py || rc=1; \
	  cd .. && tools/stack stop apache-proxy >/dev/null && tools/stack stop apache-fcgid >/dev/null; exit $$rc

clean:
	rm -f lib/*.o lib/libtempmail.a $(ROUTES) $(MILTER) $(WEBHOOKD) $(CTL) $(UNIT_BIN) $(DB_TESTS)
	rm -rf build

# ---- make bench (issue 9) -----------------------------------------------------------
# Speed and memory beside their limits and a peer, one table (tests/bench/run, which runs
# a stack of its own from build/bench/top; BENCH_SECONDS, BENCH_MESSAGES, BENCH_SKIP).
# The baseline route build/bench/bench.fcgi is built here only, never by all or install.
BENCH_DIR   := build/bench

.PHONY: bench
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_DIR)/bench.fcgi
	@tests/bench/run

$(BENCH_DIR)/bench.fcgi: tests/bench/bench.c lib/libtempmail.a lib/*.h
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIBS)
