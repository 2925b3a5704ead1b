# glue-mfa.  `make run` and `make test` are the two commands; see README.md.
#
# VARIANT=release (default): programs in cgi-bin/, tools in bin/.
# VARIANT=test:  build/test/...  (honours test_clock_file)
# VARIANT=asan:  build/asan/...  (test build with AddressSanitizer + UBSan)

VARIANT	?= release
# openssl: src/db.c starts it before Connector/C does (tls_start_light);
# libfido2 and libcbor: src/webauthn.c.
PKGS	 = fcgi libcjson libsodium libmariadb liboath libqrencode libfido2 \
	   libcbor openssl
CC	?= cc
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Werror
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# STATIC_LIBS=1: libfcgi, libsodium, MariaDB Connector/C with OpenSSL and
# zlib, and liboath linked statically (Debian's -dev packages ship the .a
# files).  For plain CGI, where every request starts a process: the
# dynamic linker's work for those libraries (Debian builds libcrypto and
# libmariadb with BIND_NOW) is most of a request's instructions (README:
# Benchmarks, plain CGI).  A security update of those libraries then needs
# a rebuild.  Run `make clean` when switching.
ifeq ($(STATIC_LIBS),1)
LIBS	 = -Wl,-Bstatic -lfcgi -lsodium -lmariadb -lssl -lcrypto -lz -loath \
	   -Wl,-Bdynamic -lcjson -lqrencode -lpthread -ldl -lm
endif

ifeq ($(VARIANT),release)
OUT	 = .
OBJ	 = build/release
else ifeq ($(VARIANT),test)
OUT	 = build/test
OBJ	 = build/test/obj
ALL_CFLAGS += -DGLUE_TESTING
else ifeq ($(VARIANT),asan)
OUT	 = build/asan
OBJ	 = build/asan/obj
ALL_CFLAGS += -DGLUE_TESTING -O1 -fno-omit-frame-pointer \
	   -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
else
$(error VARIANT must be release, test or asan)
endif

CORE	 = log config clock fault crypto db io req jsonapi valid netaddr \
	   catalog fields router auth audit mail outbox method_email \
	   method_totp method_webauthn mfa form idem webauthn main
# Programs serving the Storefront API (customers) and the Backend API (users).
# A program in both lists is one source compiled once per side.  not-found
# serves no path: the web servers send it unknown paths asked for as JSON,
# for a JSON:API 404 (README: deployment).
MFA	 = multi-factor-auth-types multi-factor-auth-type-activate \
	   multi-factor-auth-type-verify multi-factor-auth-trigger \
	   multi-factor-auth-type-deactivate multi-factor-auth-recovery-codes \
	   multi-factor-auth-webauthn-credentials
STOREFRONT = access-tokens refresh-tokens token customers customer-confirmation \
	   customer-password addresses dev-mailbox not-found $(MFA)
BACKEND	 = token users customer-multi-factor-auth-type-deactivate $(MFA)
UNITS	 = valid config jsonapi crypto router req form fields totp netaddr mail \
	   webauthn

CORE_OBJ = $(CORE:%=$(OBJ)/src/%.o)
SF_BIN	 = $(STOREFRONT:%=$(OUT)/cgi-bin/%)
BE_BIN	 = $(BACKEND:%=$(OUT)/cgi-bin/backend/%)
TOOLS	 = $(OUT)/bin/glue-mfa-admin
UNIT_BIN = $(UNITS:%=$(OUT)/tests/unit/%_test)

all: $(SF_BIN) $(BE_BIN) $(TOOLS)

$(OBJ)/src/%.o: src/%.c src/glue.h src/bounds.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# webauthn.h is the interface of webauthn.c (and of the method using it).
$(OBJ)/src/webauthn.o $(OUT)/tests/unit/webauthn_test: src/webauthn.h
$(OUT)/tests/unit/webauthn_test: tests/unit/webauthn_vectors.h

$(OBJ)/sf/%.o: cgi-bin/%.c src/glue.h src/bounds.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DGLUE_SIDE=SIDE_STOREFRONT -c -o $@ $<

$(OBJ)/be/%.o: cgi-bin/%.c src/glue.h src/bounds.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DGLUE_SIDE=SIDE_BACKEND -c -o $@ $<

$(OUT)/cgi-bin/%: $(OBJ)/sf/%.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/cgi-bin/backend/%: $(OBJ)/be/%.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/bin/%: $(OBJ)/tools/%.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OBJ)/tools/%.o: tools/%.c src/glue.h src/bounds.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OUT)/tests/unit/%_test: tests/unit/%_test.c tests/unit/unit.h $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(CORE_OBJ) $(LIBS)

# Unit tests of the core; each prints "N passed, M failed".
unit: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do $$t || rc=1; done; exit $$rc

deps:
	@tools/instance.sh deps

run: deps
	@$(MAKE) --no-print-directory all
	@tools/instance.sh run

start: deps
	@$(MAKE) --no-print-directory all
	@tools/instance.sh start

stop:
	@tools/instance.sh stop

test:
	@tools/instance.sh deps test
	@tools/test.sh

# The fault suite (README: "The fault suite"): its own instance on
# FAULTS_PORT (default 18860); FAULTS_ONLY=name,... runs only those scenarios.
.PHONY: test-faults
test-faults:
	@tests/faults/run.sh

# The cluster suite (README: "The cluster suite"): three Galera nodes and
# two web nodes of its own on CLUSTER_PORT .. CLUSTER_PORT + 13 (default
# 18500); CLUSTER_ONLY=name,... runs only those proofs.
.PHONY: test-cluster
test-cluster:
	@tests/cluster/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh

# Throughput and p99 against GLUE_PROCS (1, 2, 4, 8): the README's table.
bench-procs: deps
	@$(MAKE) --no-print-directory all
	@bench/procs.sh

# Warnings as errors are in every build; lint adds the banned calls and
# SQL built from strings (all SQL lives in src/db.c as constant text), the
# layers, the README's copies of docs/examples/*.sh (verbatim), and the
# OpenAPI documents (tools/lint-openapi.sh: up to date, no @redocly/cli or
# @stoplight/spectral-cli problem, warnings included).
lint:
	@bad=$$(grep -nE '\<(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)\s*\(' \
	    src/*.c src/*.h cgi-bin/*.c tools/*.c tests/unit/*.c 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "lint: banned call:"; echo "$$bad"; exit 1; fi
	@bad=$$(grep -nE 'mysql_(real_)?query|mysql_stmt_prepare' \
	    src/*.c cgi-bin/*.c tools/*.c | grep -v '^src/db.c:'); \
	if [ -n "$$bad" ]; then echo "lint: SQL outside src/db.c:"; \
	    echo "$$bad"; exit 1; fi
	@bad=$$(grep -nE '(SELECT .* FROM|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)' \
	    src/*.c cgi-bin/*.c tools/*.c | grep -v '^src/db.c:'); \
	if [ -n "$$bad" ]; then echo "lint: SQL text outside src/db.c:"; \
	    echo "$$bad"; exit 1; fi
	@$(MAKE) --no-print-directory -s all
	@/usr/bin/python3 tools/layers.py $(OBJ)/src
	@d=build/lint-selftest; mkdir -p $$d && \
	    $(CC) -c -o $$d/cycle_a.o tests/lint/cycle_a.c && \
	    $(CC) -c -o $$d/cycle_b.o tests/lint/cycle_b.c && \
	    if /usr/bin/python3 tools/layers.py $$d | grep -q 'call cycle'; \
	    then :; else echo "lint: tools/layers.py missed a cycle"; exit 1; fi
	@/usr/bin/python3 tools/readme_examples.py
	@d=build/lint-selftest; mkdir -p $$d && \
	    sed '/^<!-- example: /{n;n;s/^/# changed /;}' README.md >$$d/README.md && \
	    { /usr/bin/python3 tools/readme_examples.py $$d/README.md >$$d/out; :; } && \
	    if grep -q 'differs from the file' $$d/out; \
	    then :; else echo "lint: tools/readme_examples.py missed a change"; exit 1; fi
	@tools/lint-openapi.sh
	@echo "lint: ok"

clean:
	rm -rf build bin $(STOREFRONT:%=cgi-bin/%) cgi-bin/backend

distclean: clean
	@if [ -d var ]; then tools/instance.sh stop >/dev/null 2>&1 || true; fi
	rm -rf var

.PHONY: all unit deps run start stop test bench bench-procs lint clean distclean

# --- install, uninstall, migrate ----------------------------------------
#
# make install [PREFIX=/usr/local] [SYSCONFDIR=/etc] [DESTDIR=]: the build
# (release unless VARIANT says otherwise) in conventional places:
#   $(PREFIX)/lib/glue-mfa/cgi-bin[/backend]  the programs
#   $(PREFIX)/sbin/glue-mfa-admin, glue-mfa-migrate
#   $(PREFIX)/share/glue-mfa/sql, www         migrations and grants, pages
#   $(PREFIX)/share/glue-mfa/etc/rate-limit.lua  lighttpd's per-address limit
#   $(PREFIX)/share/doc/glue-mfa              README, examples/ (web servers)
#   $(SYSCONFDIR)/glue-mfa/                   *.example; glue-mfa.conf and
#                                             migrate.cnf only when absent
# Development only, left out: the dev-mailbox program (it serves the
# development mail spool) and its page (WWW_DEV); the README's picture goes
# with the README (WWW_DOC, under share/doc/glue-mfa/www/).  An
# existing configuration is never overwritten; `make uninstall` removes it
# only when it is still the example unchanged.  make migrate: see
# tools/glue-mfa-migrate (MIGRATE_CNF, the migration user's option file).

PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
INSTALL	?= install
LIBDIR	 = $(PREFIX)/lib/glue-mfa
SBINDIR	 = $(PREFIX)/sbin
DATADIR	 = $(PREFIX)/share/glue-mfa
DOCDIR	 = $(PREFIX)/share/doc/glue-mfa
CONFDIR	 = $(SYSCONFDIR)/glue-mfa
DEV_SF	 = dev-mailbox
INST_SF	 = $(filter-out $(DEV_SF),$(STOREFRONT))
WWW_DEV	 = mailbox.html js/mailbox.js
WWW_DOC	 = screenshot.png
INST_SBIN = glue-mfa-admin glue-mfa-migrate
EXAMPLES = $(wildcard *.conf.example htaccess.example)
# live file : its example, in $(CONFDIR)
ETC_FILES = glue-mfa.conf:glue-mfa.conf.example:640 \
	   migrate.cnf:migrate.cnf.example:600
MIGRATE_CNF ?= $(CONFDIR)/migrate.cnf

install: all
	$(INSTALL) -d -m 755 $(DESTDIR)$(LIBDIR)/cgi-bin/backend \
	    $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/sql \
	    $(DESTDIR)$(DATADIR)/www $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(DOCDIR)/www $(DESTDIR)$(CONFDIR)
	$(INSTALL) -m 755 $(INST_SF:%=$(OUT)/cgi-bin/%) \
	    $(DESTDIR)$(LIBDIR)/cgi-bin/
	$(INSTALL) -m 755 $(BE_BIN) $(DESTDIR)$(LIBDIR)/cgi-bin/backend/
	$(INSTALL) -m 755 $(TOOLS) tools/glue-mfa-migrate $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 644 sql/*.sql $(DESTDIR)$(DATADIR)/sql/
	cp -R www/. $(DESTDIR)$(DATADIR)/www/
	rm -f $(WWW_DEV:%=$(DESTDIR)$(DATADIR)/www/%) \
	    $(WWW_DOC:%=$(DESTDIR)$(DATADIR)/www/%)
	find $(DESTDIR)$(DATADIR)/www -type d -exec chmod 755 {} +
	find $(DESTDIR)$(DATADIR)/www -type f -exec chmod 644 {} +
	$(INSTALL) -d -m 755 $(DESTDIR)$(DATADIR)/etc
	$(INSTALL) -m 644 etc/rate-limit.lua $(DESTDIR)$(DATADIR)/etc/
	$(INSTALL) -m 644 README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 644 $(WWW_DOC:%=www/%) $(DESTDIR)$(DOCDIR)/www/
	$(if $(EXAMPLES),$(INSTALL) -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/)
	$(INSTALL) -m 644 etc/glue-mfa.conf.example etc/migrate.cnf.example \
	    $(DESTDIR)$(CONFDIR)/
	@for e in $(ETC_FILES); do \
	    f=$(DESTDIR)$(CONFDIR)/$${e%%:*}; x=$${e#*:}; m=$${x#*:}; \
	    if [ -e "$$f" ]; then echo "kept $$f (exists)"; \
	    else echo "$(INSTALL) -m $$m etc/$${x%:*} $$f"; \
	        $(INSTALL) -m $$m etc/$${x%:*} "$$f" || exit 1; fi; \
	done

uninstall:
	@for e in $(ETC_FILES); do \
	    f=$(DESTDIR)$(CONFDIR)/$${e%%:*}; x=$${e#*:}; \
	    x=$(DESTDIR)$(CONFDIR)/$${x%:*}; \
	    [ -e "$$f" ] || continue; \
	    if [ -e "$$x" ] && cmp -s "$$f" "$$x"; then echo "rm -f $$f"; rm -f "$$f"; \
	    else echo "kept $$f (changed)"; fi; \
	done
	rm -f $(DESTDIR)$(CONFDIR)/glue-mfa.conf.example \
	    $(DESTDIR)$(CONFDIR)/migrate.cnf.example
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true
	rm -f $(INST_SBIN:%=$(DESTDIR)$(SBINDIR)/%)
	rm -rf $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# Upgrades: the pending migrations, then the runtime user's grants, as the
# migration user (make migrate MIGRATE_CNF=...).  The development instance
# migrates itself on make run / make start (tools/instance.sh migrate).
migrate:
	tools/glue-mfa-migrate --defaults-file=$(MIGRATE_CNF)

.PHONY: install uninstall migrate
.SECONDARY:
include tests/fuzz/fuzz.mk
