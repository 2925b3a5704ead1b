# glue-mfa.  `make run` and `make test` are the two commands; see README.md.
#
# VARIANT=release (default): programs in cgi-bin/, tools in bin/.
# VARIANT=test:  build/test/...  (honours test_clock_file)
# VARIANT=asan:  build/asan/...  (test build with AddressSanitizer + UBSan)

VARIANT	?= release
PKGS	 = fcgi libcjson libsodium libmariadb
CC	?= cc
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Werror
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

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

CORE	 = log config crypto db req fcgi jsonapi valid fields router auth \
	   audit mail mfa form
# Programs serving the Storefront API (customers) and the Backend API (users).
# A program in both lists is one source compiled once per side.
MFA	 = multi-factor-auth-types multi-factor-auth-type-activate \
	   multi-factor-auth-type-verify multi-factor-auth-trigger \
	   multi-factor-auth-type-deactivate
STOREFRONT = access-tokens refresh-tokens customers customer-password \
	   addresses dev-mailbox $(MFA)
BACKEND	 = token users customer-multi-factor-auth-type-deactivate $(MFA)
UNITS	 = valid config jsonapi crypto

CORE_OBJ = $(CORE:%=$(OBJ)/src/%.o)
SF_BIN	 = $(STOREFRONT:%=$(OUT)/cgi-bin/%)
BE_BIN	 = $(BACKEND:%=$(OUT)/cgi-bin/backend/%)
TOOLS	 = $(OUT)/bin/glue-mfa-admin
UNIT_BIN = $(UNITS:%=$(OUT)/tests/unit/%_test)

all: $(SF_BIN) $(BE_BIN) $(TOOLS)

$(OBJ)/src/%.o: src/%.c src/glue.h src/bounds.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

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

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh

# Warnings as errors are in every build; lint adds the banned calls and
# SQL built from strings (all SQL lives in src/db.c as constant text).
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
	@echo "lint: ok"

clean:
	rm -rf build bin $(STOREFRONT:%=cgi-bin/%) cgi-bin/backend

distclean: clean
	@if [ -d var ]; then tools/instance.sh stop >/dev/null 2>&1 || true; fi
	rm -rf var

.PHONY: all unit deps run start stop test bench lint clean distclean
.SECONDARY:
