#!/usr/bin/env bash
# tools/test.sh: every test, in a fresh instance of its own on port
# TEST_PORT (default 18080), so it runs beside `make run`.  Exits non-zero
# on any failure and always stops what it started.  The last line of the
# output is exactly "N passed, M failed" (unit tests, checks and pytest
# runs summed) for CI; each stage prints its wall time, and the total
# comes before that line.
#
#   1. builds: make VARIANT=test, VARIANT=asan, and the default build
#   2. unit tests (test build, then the ASan/UBSan build)
#   3. make lint; make fuzz-smoke (every fuzz target for a short time,
#      one at a time), in the background beside 4-5b; shown as 5c
#   4. start the instance with the ASan/UBSan build (test_clock_file =
#      INST/clock)
#   5. end-to-end tests through lighttpd + FastCGI, ASan/UBSan build, then
#      the www/ pages in headless Chromium (tests/browser); any sanitizer
#      report fails the run (5d)
#   6. end-to-end tests through lighttpd + plain CGI (test build), but for
#      CGI_SKIP; beside it, in the background, the fault suite (6b: make
#      test-faults, its own instance on TEST_PORT + 6); the cluster suite
#      (10b, alone after 10: make test-cluster, three Galera nodes and two web nodes on
#      TEST_PORT + 20 .. + 33)
#   7-10. the example configurations, each run by tools/serve.sh on its own
#      port (TEST_PORT + 1..4) with the test build: its own checks, then a
#      representative part of the end-to-end tests (SERVER_TESTS below)
#      through Apache + FastCGI (apache.conf.example), nginx + FastCGI
#      (nginx.conf.example), Apache mod_cgi (htaccess.example) and lighttpd
#      (lighttpd.conf.example)
#  11. stop, summary
#  TEST_PORT + 9 is the CORS tests' second origin (http://127.0.0.1:<it>,
#  in the test instance's cors_allow_origins; the browser test serves it).
#
# The instance lives in a directory made for the run under TEST_TMP
# (default /tmp; mode 0711) and removed by it, also on failure or
# interrupt: the servers' workers and the programs they run are www-data,
# which must enter the instance (configuration, key, sockets, spool, the
# copies of the pages and programs that serve.sh makes) even when the
# checkout sits in a 0700 home directory.  Its logs are kept in
# var/test/log.  var/test.inst names the directory while a run is on, so
# that the next run cleans up after one that was killed.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO" || exit 1

KEEP=$REPO/var/test
PORT=${TEST_PORT:-18080}
# The second origin of the CORS tests (contract §10.1): listed in the test
# instance's cors_allow_origins; tests/browser/test_cors.py serves its page
# there.
CORS_PORT=$((PORT + 9))
TMP_ROOT=${TEST_TMP:-/tmp}
PY=/usr/bin/python3
TEST_BIN=$REPO/build/test/cgi-bin
ASAN_BIN=$REPO/build/asan/cgi-bin
JOBS=$(nproc 2>/dev/null || echo 2)

# What the example servers run the end-to-end tests on: the front line,
# unknown paths, bad input, both APIs' tokens, a protected MFA flow,
# addresses, the pages' headers; that is, the paths every set-up routes
# differently (addresses before customers, /backend/<name>), the headers
# the servers must pass (Authorization, X-MFA-Code) or set themselves (the
# pages'), bodies and their limits.  The whole suite runs above through
# lighttpd with FastCGI, and most of it again with plain CGI (CGI_SKIP).
SERVER_TESTS=(test_front_line.py test_unknown_paths.py test_bad_input.py
	test_access_tokens.py test_refresh_tokens.py test_mfa_protected.py
	test_addresses.py test_backend_token.py test_page_headers.py
	test_storefront_token.py)
# The lighttpd example and Apache's mod_cgi get the front line, bad input,
# the sign-ins and the protected flow (SERVER_TESTS_SHORT): the addresses'
# nested paths, the refresh and Backend token forms take the same routes
# and header rules there as through the servers above.
SERVER_TESTS_SHORT=(test_front_line.py test_unknown_paths.py test_bad_input.py
	test_access_tokens.py test_mfa_protected.py test_page_headers.py
	test_storefront_token.py)

export PORT
unset GLUE_BENCH_BIN GLUE_SQL ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

passed=0
failed=0
started=""
serving=""
LOGS=$(mktemp -d)

# Each stage's wall time: step NAME ends the running stage (if any) and
# starts the next; stage_end ends it.  TIMES keeps "seconds name" lines.
T0=$SECONDS
stage=""
stage_t0=0
TIMES=()
stage_end() {
	[[ -n $stage ]] || return 0
	local took=$((SECONDS - stage_t0))
	printf '==== %s (took %d s)\n' "$stage" "$took"
	TIMES+=("$(printf '%6d s  %s' "$took" "$stage")")
	stage=""
}
step() {
	stage_end
	stage=$*
	stage_t0=$SECONDS
	printf '\n==== %s\n' "$*"
}
fail() { printf 'FAILED: %s\n' "$*"; failed=$((failed + 1)); }

# stop_instance DIR: stops whatever a run left in instance DIR (the
# example servers, lighttpd, MariaDB), by their pid files; 1 if any is
# still running.
stop_instance() {
	local s rc=0
	for s in apache nginx apache-cgi lighttpd; do
		[[ -d $1/run/$s ]] || continue
		GLUE_INSTANCE=$1 tools/serve.sh "$s" stop >/dev/null || rc=1
	done
	GLUE_INSTANCE=$1 tools/instance.sh stop >/dev/null || rc=1
	return $rc
}

# Stops what still runs in the instance, keeps its logs in var/test/log,
# then removes it (unless something in it would not stop).
drop_instance() {
	local stopped=0
	[[ -n ${INST:-} && -d $INST ]] || return 0
	stop_instance "$INST" && stopped=1
	rm -rf "$KEEP"
	mkdir -p "$KEEP"
	cp -R "$INST/log" "$KEEP/log" 2>/dev/null || true
	if ((stopped)); then
		rm -rf "$INST"
		rm -f "$REPO/var/test.inst"
	else
		fail "something in $INST would not stop; left in place"
	fi
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	# npm ci of step 0, lint and fuzz beside step 5, the suites beside step 6 (a run that ended
	# early): let them finish; each suite stops what it started.
	[[ -n ${npm_pid:-} ]] && wait "$npm_pid" 2>/dev/null
	[[ -n ${lint_pid:-} ]] && wait "$lint_pid" 2>/dev/null
	[[ -n ${beside_pid:-} ]] && wait "$beside_pid" 2>/dev/null
	if [[ -n $started ]]; then
		step "11. stop"
		if [[ -n $serving ]]; then
			tools/serve.sh "$serving" stop || fail "stopping $serving"
		fi
		tools/instance.sh stop || fail "stopping the test instance"
	fi
	drop_instance
	stage_end
	rm -rf "$LOGS"
	if ((failed == 0 && rc != 0)); then
		failed=1
	fi
	if ((${#TIMES[@]})); then
		printf '\nstage times:\n'
		printf '%s\n' "${TIMES[@]}"
	fi
	printf 'total: %d s; logs in %s\n' "$((SECONDS - T0))" "$KEEP/log"
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

# pytest_run LABEL MODE BUILD [BASE_URL [FILE...]]: one pass of the
# end-to-end suite (or of those files of it) through the server at
# BASE_URL (default the instance's lighttpd); the tests that run programs
# or the operator tool themselves take them from BUILD.
pytest_run() {
	local log=$LOGS/pytest-${1//[^A-Za-z0-9]/_}.log rc label=$1 mode=$2 build=$3
	local base=${4:-http://127.0.0.1:$PORT} f targets=()
	shift $(($# < 4 ? $# : 4))
	for f in "$@"; do targets+=("tests/e2e/$f"); done
	((${#targets[@]})) || targets=(tests/e2e)
	GLUE_BASE_URL=$base GLUE_ROOT=$REPO GLUE_MODE=$mode \
		GLUE_BIN=$REPO/build/$build/cgi-bin \
		GLUE_ADMIN=$REPO/build/$build/bin/glue-mfa-admin \
		"$PY" -m pytest -q "${targets[@]}" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if ! count_pytest "$log"; then
		fail "$label: pytest gave no result (exit $rc)"
	elif ((rc != 0)); then
		grep -qE '[0-9]+ (failed|errors?)' <(tail -n 1 "$log") ||
			fail "$label: pytest exited $rc"
	fi
}

# make_check LABEL TARGET: one make target that passes or fails as a whole
# (its own "N passed, M failed" lines count instead when it prints any).
make_check() {
	local log=$LOGS/make-$2.log rc
	make --no-print-directory -s "$2" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	check_log "$1" "$log" "$rc"
}

# check_log LABEL LOG RC: a make target's log and exit status, counted as
# make_check counts them.
check_log() {
	if count_unit "$2"; then
		(($3 == 0)) || grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$2" ||
			fail "$1: exit $3"
	elif (($3 == 0)); then
		passed=$((passed + 1))
	else
		fail "$1 (exit $3)"
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
# The lock is on fd 9, which the servers and the database are started
# without (9>&-): one left running by a killed run does not hold it.
exec 9>"$REPO/var/test.lock"
if ! flock -n 9; then
	echo "another tools/test.sh is running (var/test.lock)"
	exit 1
fi
# What a killed run left behind (var/test.inst names it), and the instance
# directory of older versions of this script (var/test/ itself).
if [[ -s $REPO/var/test.inst ]]; then
	old=$(<"$REPO/var/test.inst")
	if [[ $old == */glue-test.* && -d $old ]]; then
		stop_instance "$old" || { echo "cannot stop the old test instance in $old"; exit 1; }
		rm -rf "$old"
	fi
	rm -f "$REPO/var/test.inst"
fi
if [[ -d $KEEP/run ]]; then
	stop_instance "$KEEP" || { echo "cannot stop the old test instance in $KEEP"; exit 1; }
fi
rm -rf "$KEEP"
if ! INST=$(mktemp -d "$TMP_ROOT/glue-test.XXXXXX"); then
	echo "cannot make the instance directory under $TMP_ROOT"
	exit 1
fi
echo "$INST" >"$REPO/var/test.inst"
chmod 0711 "$INST"
export GLUE_INSTANCE=$INST
if ! runuser -u www-data -- test -x "$INST"; then
	fail "www-data cannot enter $INST (set TEST_TMP to a directory it can enter)"
	exit 1
fi

# --- 1. builds -----------------------------------------------------------

# The pinned npm packages of make lint (tools/lint-npm) and of the OAuth
# client test (tests/oauth-npm) download while the builds compile: npm ci
# waits on the network, the compiler on the CPU.  Waited for before step 3;
# a failure here shows again, with its message, where they are used.
npm_pid=""
if command -v npm >/dev/null; then
	{
		tools/lint-npm/npm-ci.sh
		[[ -d tests/oauth-npm/node_modules/oauth4webapi ]] ||
			(cd tests/oauth-npm && npm ci --no-audit --no-fund --loglevel=error)
	} >"$LOGS/npm-ci.log" 2>&1 9>&- &
	npm_pid=$!
fi

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

# --- 3. lint, fuzz smoke ------------------------------------------------

# They share nothing with the end-to-end run (no port, no database, their
# own build directory) and take one core (FUZZ_JOBS=1) while that run,
# latency-bound, leaves the other mostly idle: started here, beside steps
# 4-5b, their output and results shown at step 5c.  Started before step 4
# exports the instance's sanitizer options: fuzz-smoke's reports stay in
# its own log.
step "3. make lint, make fuzz-smoke (started, beside 4-5b)"
if [[ -n $npm_pid ]] && ! wait "$npm_pid"; then
	echo "npm ci in the background failed (make lint and the tests try again):"
	cat "$LOGS/npm-ci.log"
fi
npm_pid=""
beside_logs=$LOGS/beside
mkdir -p "$beside_logs"
{
	make --no-print-directory -s lint >"$beside_logs/lint.log" 2>&1
	echo $? >"$beside_logs/lint.rc"
	if make -n fuzz-smoke >/dev/null 2>&1; then
		FUZZ_JOBS=1 ASAN_OPTIONS=detect_leaks=$leaks \
			make --no-print-directory -s fuzz-smoke >"$beside_logs/fuzz.log" 2>&1
		echo $? >"$beside_logs/fuzz.rc"
	else
		echo "skipped: no fuzz-smoke target" >"$beside_logs/fuzz.log"
		echo none >"$beside_logs/fuzz.rc"
	fi
} 9>&- </dev/null &
lint_pid=$!

# show_beside TITLE LABEL NAME: the output of a job run beside, and its
# result counted as make_check counts one.
show_beside() {
	printf -- '---- %s\n' "$1"
	cat "$beside_logs/$3.log" 2>/dev/null
	[[ $(cat "$beside_logs/$3.rc" 2>/dev/null) == none ]] && return 0
	check_log "$2" "$beside_logs/$3.log" \
		"$(cat "$beside_logs/$3.rc" 2>/dev/null || echo 1)"
}

# --- 4. instance ---------------------------------------------------------

# The ASan/UBSan build serves the main end-to-end run.  Exported for the
# pytest run too: the programs and the operator tool the tests start
# themselves (ASan build) then report into the same files.
step "4. start the test instance ($INST, port $PORT, ASan/UBSan build)"
if ((leaks)); then
	echo "LeakSanitizer works here: detect_leaks=1"
else
	echo "LeakSanitizer cannot run here (no ptrace): detect_leaks=0"
fi
started=yes
export ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=0:log_path=$INST/log/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$INST/log/ubsan
if ! GLUE_MODE=fcgi GLUE_BIN=$ASAN_BIN GLUE_ADMIN=$REPO/build/test/bin/glue-mfa-admin \
	GLUE_CONFIG_EXTRA="test_clock_file = $INST/clock
test_fault_file = $INST/fault
cors_allow_origins = http://127.0.0.1:$CORS_PORT
# settings per side (contract §10.6): Backend codes longer than the
# Storefront's (tests/e2e/test_mfa_per_side.py tests both)
backend.code_length = 8" tools/instance.sh start 9>&-; then
	fail "starting the test instance (logs in $KEEP/log)"
	exit 1
fi

# --- 5-6. end-to-end -----------------------------------------------------

step "5. end-to-end, FastCGI, ASan/UBSan build"
pytest_run "e2e FastCGI (ASan/UBSan)" fcgi asan

step "5b. the www/ pages in headless Chromium (FastCGI, ASan/UBSan build)"
blog=$LOGS/browser.log
GLUE_BASE_URL=http://127.0.0.1:$PORT GLUE_BIN=$ASAN_BIN tests/browser/run.sh 2>&1 | tee "$blog"
brc=${PIPESTATUS[0]}
if ! count_unit "$blog"; then
	fail "browser test gave no result (exit $brc)"
elif ((brc != 0)) && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$blog"; then
	fail "browser test exited $brc"
fi

step "5c. make lint, make fuzz-smoke (beside 4-5b)"
wait "$lint_pid"
lint_pid=""
show_beside "make lint" "make lint" lint
show_beside "make fuzz-smoke" "make fuzz-smoke" fuzz

step "5d. sanitizer reports"
# Stop the programs first: leak reports are written when they exit.
unset ASAN_OPTIONS UBSAN_OPTIONS
tools/instance.sh web-stop || fail "stopping lighttpd"
reports=$(compgen -G "$INST/log/[au]*san.*")
if [[ -n $reports ]]; then
	for f in $reports; do
		printf -- '---- %s\n' "$f"
		cat "$f"
	done
	fail "sanitizer reports: $(wc -w <<<"$reports") file(s), kept in $KEEP/log"
else
	echo "no sanitizer reports"
	passed=$((passed + 1))
fi

# The suite again through plain CGI: its own transport (one process per
# request, the body read from stdin, the environment as the server sets
# it), and what the shared-hosting set-up runs.  Left out (CGI_SKIP): the
# files whose subject the transport does not touch (spelling rules, limit
# arithmetic, the operator tool, the document's gaps, parallel requests on
# one account, which the database serialises alike; the deadlock, outbox,
# mail-failure and web-server fault tests, which are about FastCGI
# processes; the OAuth client libraries, whose requests
# test_storefront_token.py sends itself; the generated OpenAPI client;
# media-type negotiation, CORS and step-up headers, per-side settings
# and MFA at sign-in (those files run the programs as CGI themselves),
# query parameters, Idempotency-Key, the app, passkey and recovery-code methods,
# the rescue and the back-office users (the engine's rules), the refused
# configurations and database grants, the core's defect list,
# bound codes, mail
# languages, the README's examples and the installed tree, all decided
# above the transport) and the check that every
# documented answer was exercised, which needs the whole suite; they ran
# in step 5.
CGI_SKIP=" test_identity.py test_signin_limits.py test_defects_front.py
	test_openapi_gaps.py test_backend_cli.py test_zzz_openapi.py
	test_db_deadlock.py test_fault_outbox.py test_mail_failures.py
	test_web_server.py test_mfa_concurrency.py test_oauth_clients.py
	test_openapi_clients.py test_jsonapi11.py test_cors.py test_step_up.py
	test_mfa_per_side.py test_mfa_action_codes.py test_mail_locale.py
	test_readme_examples.py test_install.py test_mfa_sign_in.py
	test_query_params.py test_idempotency.py test_mfa_totp.py
	test_mfa_recovery.py test_backend_rescue.py test_backend_users.py
	test_config_refused.py test_zz_privileges.py test_defects_core.py
	test_mfa_webauthn.py "
cgi_files=()
for f in tests/e2e/test_*.py; do
	f=${f##*/}
	[[ $CGI_SKIP == *[[:space:]]$f[[:space:]]* ]] || cgi_files+=("$f")
done
# The fault suite (tests/faults/run.sh: its own instance, on TEST_PORT + 6)
# runs in the background beside step 6: it shares nothing with it but the
# test build, and much of its time is spent waiting (killed processes, a
# frozen database), which the CPU-bound plain CGI pass fills.  Its output
# is shown at step 6b.  The cluster suite runs alone at the end (step 10b):
# beside the CGI pass and the fault suite, on two shared cores, one of its
# runs met a Galera stall (a request's lock waited out five retries) and
# answered one of its 200 wrong codes 503 instead of 5911.
{
	FAULTS_PORT=$((PORT + 6)) make --no-print-directory -s test-faults \
		>"$beside_logs/faults.log" 2>&1
	echo $? >"$beside_logs/faults.rc"
} 9>&- &
beside_pid=$!

step "6. end-to-end, plain CGI (${#cgi_files[@]} files)"
if GLUE_MODE=cgi GLUE_BIN=$TEST_BIN tools/instance.sh web-start 9>&-; then
	pytest_run "e2e CGI" cgi test "http://127.0.0.1:$PORT" "${cgi_files[@]}"
	tools/instance.sh web-stop || fail "stopping lighttpd"
else
	fail "starting lighttpd with plain CGI"
fi

# The suites that ran beside step 6: waited for (this stage's time is the
# wait beyond step 6), then their output and results.
step "6b. the fault suite (port $((PORT + 6))), beside 6"
wait "$beside_pid"
beside_pid=""
show_beside "6b. the fault suite (make test-faults)" "fault suite" faults

# --- 7-10. the example configurations ------------------------------------

# serve_run STEP SERVER LABEL MODE [LIST]: SERVER on its own port,
# configured by its example file (tools/serve.sh), then serve.sh's checks
# and, unless MODE is "none", the files of the array LIST (SERVER_TESTS)
# through it; stopped by pid after.
serve_port=$PORT
serve_run() {
	local log=$LOGS/serve-$2.log rc
	serve_port=$((serve_port + 1))
	step "$1. $3 (port $serve_port)"
	serving=$2
	if SERVE_PORT=$serve_port GLUE_BIN=$TEST_BIN tools/serve.sh "$2" start 9>&-; then
		SERVE_PORT=$serve_port tools/serve.sh "$2" test 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		if ! count_unit "$log"; then
			fail "$3: serve.sh test gave no result (exit $rc)"
		elif ((rc != 0)) && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' "$log"; then
			fail "$3: serve.sh test exited $rc"
		fi
		if [[ $4 != none ]]; then
			local -n files=${5:-SERVER_TESTS}
			pytest_run "e2e $3" "$4" test "http://127.0.0.1:$serve_port" "${files[@]}"
		fi
	else
		fail "$3: starting $2 (logs in $KEEP/log/$2)"
	fi
	tools/serve.sh "$2" stop || fail "stopping $2"
	serving=""
}

serve_run 7 apache "Apache + FastCGI" fcgi
serve_run 8 nginx "nginx + FastCGI" fcgi
serve_run 9 apache-cgi "Apache mod_cgi" cgi SERVER_TESTS_SHORT
serve_run 10 lighttpd "lighttpd.conf.example" fcgi SERVER_TESTS_SHORT

# --- 10b. the cluster suite ----------------------------------------------

# Three Galera nodes and two web nodes of its own (tests/cluster/run.sh),
# on TEST_PORT + 20 .. + 33, with the machine to itself.
step "10b. the cluster suite (make test-cluster, ports $((PORT + 20))-$((PORT + 33)))"
CLUSTER_PORT=$((PORT + 20)) CLUSTER_TMP=$TMP_ROOT \
	make --no-print-directory -s test-cluster 9>&- 2>&1 | tee "$LOGS/cluster.log"
check_log "cluster suite" "$LOGS/cluster.log" "${PIPESTATUS[0]}"
