#!/usr/bin/env bash
# tools/test.sh: every test, in a fresh instance of its own (var/test, port
# TEST_PORT or 18080), so it runs beside `make run`.  Exits non-zero on any
# failure and always stops what it started.  The last line of the output is
# exactly "N passed, M failed" (unit tests and pytest runs summed) for CI.
#
#   1. builds: make VARIANT=test, VARIANT=asan, and the default build
#   2. unit tests (test build, then the ASan/UBSan build)
#   3. start the instance with the test build (test_clock_file = INST/clock)
#   4. end-to-end tests through lighttpd + FastCGI, then the www/ pages in
#      headless Chromium (tests/browser)
#   5. end-to-end tests through lighttpd + plain CGI
#   6. end-to-end tests through lighttpd + FastCGI with the ASan/UBSan build;
#      any sanitizer report fails the run
#   7-10. the example configurations, each run by tools/serve.sh on its own
#      port (TEST_PORT + 1..4) with the test build: its own checks, then
#      the end-to-end tests through Apache + FastCGI (apache.conf.example),
#      nginx + FastCGI (nginx.conf.example), Apache mod_cgi
#      (htaccess.example) and lighttpd (lighttpd.conf.example)
#  11. stop, summary

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO" || exit 1

INST=$REPO/var/test
PORT=${TEST_PORT:-18080}
PY=/usr/bin/python3
TEST_BIN=$REPO/build/test/cgi-bin
ASAN_BIN=$REPO/build/asan/cgi-bin
JOBS=$(nproc 2>/dev/null || echo 2)

export GLUE_INSTANCE=$INST PORT
unset GLUE_BENCH_BIN GLUE_SQL ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

passed=0
failed=0
started=""
serving=""
LOGS=$(mktemp -d)

step() { printf '\n==== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*"; failed=$((failed + 1)); }

finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $started ]]; then
		step "11. stop"
		if [[ -n $serving ]]; then
			tools/serve.sh "$serving" stop || fail "stopping $serving"
		fi
		tools/instance.sh stop || fail "stopping the test instance"
	fi
	rm -rf "$LOGS"
	if ((failed == 0 && rc != 0)); then
		failed=1
	fi
	printf '\n%d passed, %d failed\n' "$passed" "$failed"
	exit $((failed > 0))
}
trap finish EXIT
trap 'echo; echo "interrupted"; failed=$((failed + 1)); exit 130' INT TERM

# count LOG: add the "N passed, M failed" lines the unit tests print.
# Returns 1 when the log has none.
count_unit() {
	local line p f found=1
	while IFS= read -r line; do
		[[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] || continue
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		passed=$((passed + p))
		failed=$((failed + f))
		found=0
	done <"$1"
	return $found
}

# count_pytest LOG: add pytest's own final summary ("3 failed, 97 passed,
# 2 skipped, 1 error in 12.3s"); errors count as failures.  Returns 1 when
# the log has no summary.
count_pytest() {
	local line word n p=0 f=0 found=1
	line=$(grep -E '[0-9]+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)' "$1" |
		grep -E ' in [0-9.]+s' | tail -n 1)
	[[ -n $line ]] || return 1
	line=${line//=/}
	for word in $(grep -oE '[0-9]+ [a-z]+' <<<"$line" | tr ' ' ':'); do
		n=${word%%:*}
		case ${word#*:} in
		passed) p=$((p + n)) found=0 ;;
		failed | error | errors) f=$((f + n)) found=0 ;;
		esac
	done
	passed=$((passed + p))
	failed=$((failed + f))
	return $found
}

# pytest_run LABEL MODE BUILD [BASE_URL]: one pass of the end-to-end suite
# through the server at BASE_URL (default the instance's lighttpd); the
# tests that run programs or the operator tool themselves take them from
# BUILD.
pytest_run() {
	local log=$LOGS/pytest-${1//[^A-Za-z0-9]/_}.log rc
	GLUE_BASE_URL=${4:-http://127.0.0.1:$PORT} GLUE_ROOT=$REPO GLUE_MODE=$2 \
		GLUE_BIN=$REPO/build/$3/cgi-bin GLUE_ADMIN=$REPO/build/$3/bin/glue-mfa-admin \
		"$PY" -m pytest -q tests/e2e 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if ! count_pytest "$log"; then
		fail "$1: pytest gave no result (exit $rc)"
	elif ((rc != 0)); then
		grep -qE '[0-9]+ (failed|errors?)' <(tail -n 1 "$log") ||
			fail "$1: pytest exited $rc"
	fi
}

# LeakSanitizer needs to stop the process's threads with ptrace; some
# containers forbid it and LSan then dies with a fatal error instead of
# reporting.  Try it on a program that leaks on purpose.
leaks_detectable() {
	local dir out
	dir=$(mktemp -d)
	printf '#include <stdlib.h>\nvoid *p;\nint main(void) { p = malloc(7); p = 0; return 0; }\n' \
		>"$dir/leak.c"
	cc -fsanitize=address -o "$dir/leak" "$dir/leak.c" 2>/dev/null &&
		out=$(ASAN_OPTIONS=detect_leaks=1 "$dir/leak" 2>&1)
	rm -rf "$dir"
	grep -q 'detected memory leaks' <<<"${out:-}"
}

# --- 0. a fresh instance -------------------------------------------------

mkdir -p "$REPO/var"
exec 9>"$REPO/var/test.lock"
if ! flock -n 9; then
	echo "another tools/test.sh is running (var/test.lock)"
	exit 1
fi
if [[ -d $INST ]]; then
	tools/instance.sh stop >/dev/null || { echo "cannot stop the old test instance"; exit 1; }
	rm -rf "$INST"
fi

# --- 1. builds -----------------------------------------------------------

step "1. build (test, asan, default)"
for variant in test asan release; do
	if ! make --no-print-directory -s -j"$JOBS" VARIANT=$variant; then
		fail "make VARIANT=$variant"
		exit 1
	fi
done

# --- 2. unit tests -------------------------------------------------------

if leaks_detectable; then
	leaks=1
else
	leaks=0
fi
for variant in test asan; do
	step "2. unit tests ($variant build)"
	log=$LOGS/unit-$variant.log
	ASAN_OPTIONS=detect_leaks=$leaks \
		make --no-print-directory -s -j"$JOBS" VARIANT=$variant unit 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if ! count_unit "$log"; then
		fail "unit tests ($variant): no result (exit $rc)"
	elif ((rc != 0)) && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$log"; then
		fail "unit tests ($variant): exit $rc"
	fi
done

# --- 3. instance ---------------------------------------------------------

step "3. start the test instance ($INST, port $PORT)"
started=yes
if ! GLUE_MODE=fcgi GLUE_BIN=$TEST_BIN GLUE_ADMIN=$REPO/build/test/bin/glue-mfa-admin \
	GLUE_CONFIG_EXTRA="test_clock_file = $INST/clock" tools/instance.sh start; then
	fail "starting the test instance (logs in $INST/log)"
	exit 1
fi

# --- 4-6. end-to-end -----------------------------------------------------

step "4. end-to-end, FastCGI"
pytest_run "e2e FastCGI" fcgi test

step "4b. the www/ pages in headless Chromium (FastCGI)"
blog=$LOGS/browser.log
GLUE_BASE_URL=http://127.0.0.1:$PORT tests/browser/run.sh 2>&1 | tee "$blog"
brc=${PIPESTATUS[0]}
if ! count_unit "$blog"; then
	fail "browser test gave no result (exit $brc)"
elif ((brc != 0)) && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$blog"; then
	fail "browser test exited $brc"
fi

step "5. end-to-end, plain CGI"
if GLUE_MODE=cgi GLUE_BIN=$TEST_BIN tools/instance.sh restart-web; then
	pytest_run "e2e CGI" cgi test
else
	fail "switching to CGI"
fi

step "6. end-to-end, FastCGI, ASan/UBSan build"
if ((leaks)); then
	echo "LeakSanitizer works here: detect_leaks=1"
else
	echo "LeakSanitizer cannot run here (no ptrace): detect_leaks=0"
fi
rm -f "$INST"/log/asan.* "$INST"/log/ubsan.*
# Exported for the pytest run too: the programs and the operator tool the
# tests start themselves (ASan build) then report into the same files.
export ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=0:log_path=$INST/log/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$INST/log/ubsan
if GLUE_MODE=fcgi GLUE_BIN=$ASAN_BIN tools/instance.sh restart-web; then
	pytest_run "e2e ASan/UBSan" fcgi asan
	# Stop the programs first: leak reports are written when they exit.
	unset ASAN_OPTIONS UBSAN_OPTIONS
	tools/instance.sh web-stop || fail "stopping lighttpd"
	reports=$(compgen -G "$INST/log/[au]*san.*")
	if [[ -n $reports ]]; then
		for f in $reports; do
			printf -- '---- %s\n' "$f"
			cat "$f"
		done
		fail "sanitizer reports: $(wc -w <<<"$reports") file(s) in $INST/log"
	else
		echo "no sanitizer reports"
	fi
else
	fail "switching to the ASan/UBSan build"
fi

# --- 7-10. the example configurations ------------------------------------

# serve_run STEP SERVER LABEL MODE: SERVER on its own port, configured by
# its example file (tools/serve.sh), then serve.sh's checks and, unless
# MODE is "none", the end-to-end suite through it; stopped by pid after.
serve_port=$PORT
serve_run() {
	local log=$LOGS/serve-$2.log rc
	serve_port=$((serve_port + 1))
	step "$1. $3 (port $serve_port)"
	serving=$2
	if SERVE_PORT=$serve_port GLUE_BIN=$TEST_BIN tools/serve.sh "$2" start; then
		SERVE_PORT=$serve_port tools/serve.sh "$2" test 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		if ! count_unit "$log"; then
			fail "$3: serve.sh test gave no result (exit $rc)"
		elif ((rc != 0)) && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$log"; then
			fail "$3: serve.sh test exited $rc"
		fi
		[[ $4 == none ]] || pytest_run "e2e $3" "$4" test "http://127.0.0.1:$serve_port"
	else
		fail "$3: starting $2 (logs in $INST/log/$2)"
	fi
	tools/serve.sh "$2" stop || fail "stopping $2"
	serving=""
}

serve_run 7 apache "Apache + FastCGI" fcgi
serve_run 8 nginx "nginx + FastCGI" fcgi
serve_run 9 apache-cgi "Apache mod_cgi" cgi
serve_run 10 lighttpd "lighttpd.conf.example" fcgi
