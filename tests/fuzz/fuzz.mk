# libFuzzer targets (tests/fuzz/*_fuzz.c), included from the Makefile.
# The core is compiled again with clang, the fuzzer's coverage and the
# sanitizers, in build/fuzz/obj; seeds are in tests/fuzz/<target>/, what
# libFuzzer adds goes to build/fuzz/corpus/<target>, crashes to
# build/fuzz/artifacts/<target>/.
#
#   make fuzz         each target FUZZ_SECONDS (60) seconds
#   make fuzz-smoke   each target FUZZ_SMOKE_SECONDS (10) seconds (make test)
# (clang: -Wno-format-nonliteral, for log.c's vsnprintf of its own format;
# -Wno-missing-field-initializers, for tables whose rows leave trailing
# members zero, as C guarantees.)
# Both fail on any crash, leak, sanitizer report or broken invariant.

FUZZ_TARGETS	 = json form path media config mail query webauthn wa_body
FUZZ_SECONDS	?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_CC		?= clang
FUZZ_DIR	 = build/fuzz
FUZZ_CFLAGS	 = -std=c11 -D_GNU_SOURCE $(WARN) -Wno-format-nonliteral \
		   -Wno-missing-field-initializers -O1 -g -fno-omit-frame-pointer \
		   -DGLUE_TESTING -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
		   -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CORE	 = $(CORE:%=$(FUZZ_DIR)/obj/src/%.o)
FUZZ_BIN	 = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%_fuzz)

$(FUZZ_DIR)/obj/src/%.o: src/%.c src/glue.h src/bounds.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/%_fuzz: tests/fuzz/%_fuzz.c tests/fuzz/fuzz.h $(FUZZ_CORE)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_CORE) $(LIBS)

$(FUZZ_DIR)/obj/src/webauthn.o: src/webauthn.h
$(FUZZ_DIR)/webauthn_fuzz: src/webauthn.h tests/unit/webauthn_vectors.h

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-smoke fuzz-build
