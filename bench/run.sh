#!/usr/bin/env bash
# bench/run.sh: `make bench`.
#
# Starts a private instance (var/bench, port 18090) with tools/instance.sh,
# measures every endpoint class with wrk against its floor, one after the
# other in one run, and prints the ratios:
#   (a) hello    bench/hello.c: a FastCGI program that only answers
#   (b) select1  bench/select1.c: one prepared primary-key SELECT per request
#   (c) customer GET /customers/DE--1 with the demo customer's bearer token
#   (d) types    GET /multi-factor-auth-types with that token
#   (e) update1  bench/select1.c built with -DBENCH_UPDATE: one prepared
#                single-row UPDATE (and the SELECT of the row) per request
#   (f) patch    PATCH /customers/DE--1, a protected write, with X-MFA-Code
#                inside the code's grace window (the customer has e-mail MFA)
#   (g) totp     PATCH /customers/DE--n, a protected write with a fresh app
#                code each (no grace window): BENCH_TOTP_ACCOUNTS customers
#                with method totp, three codes each (bench/totp_setup.py,
#                bench/totp.lua); no warm-up (it would spend the codes); a
#                thread that has sent its codes stops early
#   (h) recovery PATCH /customers/DE--n, a protected write, with a recovery
#                code never sent before (bench/recovery.py, bench/recovery.lua)
#   (i) argon2   bench/argon2.c: one Argon2id verification per request at the
#                default password parameters (the floor of a sign-in)
#   (j) signin   POST /access-tokens with the demo customer's password
#   (k) refresh  POST /refresh-tokens, each request a refresh token never
#                used (bench/refresh_setup.py, bench/once.lua)
#   (l) trigger  POST /multi-factor-auth-trigger (spool transport), the (h)
#                accounts in turn (bench/once.lua)
#   (m) cgi      GET /multi-factor-auth-types as plain CGI behind lighttpd's
#                mod_cgi, one connection: milliseconds per request
# then checks that no program grows while serving 2 x BENCH_MEM_REQUESTS
# requests of its own kind (mem).  Prints numbers, never judges them.  Exit
# status: 0 ran, 1 something failed to run or a request did not succeed,
# 2 VmRSS of a program grew by more than BENCH_MEM_LIMIT_KB or ended above
# BENCH_MEM_MAX_KB.  Stops everything it started on exit (Ctrl-C included).
# See bench/README.md.
#
# Environment (all optional):
#   BENCH_ONLY         comma-separated targets to run (hello, select1,
#                      update1, customer, types, patch, recovery, totp,
#                      argon2, signin, refresh, trigger, cgi, mem); default all
#   BENCH_SECONDS      measured wrk duration per target (10)
#   BENCH_WARMUP       wrk warm-up seconds per target (2)
#   BENCH_THREADS      wrk threads (2)
#   BENCH_CONNECTIONS  wrk connections (8)
#   BENCH_PORT         port of the bench instance (18090)
#   BENCH_MEM_REQUESTS requests per memory round (10000)
#   BENCH_MEM_SLOW_REQUESTS  the same for the programs that hash a password
#                      per request (Argon2id, ~35 ms each) (500)
#   BENCH_MEM_MAILBOX_REQUESTS  the same for dev-mailbox, which lists the whole
#                      spool per request, by then tens of thousands of mails (100)
#   BENCH_MEM_LIMIT_KB allowed VmRSS growth in KiB (256)
#   BENCH_MEM_MAX_KB   largest VmRSS allowed after the rounds, KiB (8192)
#   BENCH_KEEP=1       keep var/bench from a previous run (default: wipe it)
#   BENCH_TOTP_ACCOUNTS accounts for target (g) (2000: 6000 requests)
#   BENCH_RECOVERY_ACCOUNTS  customers with a set of recovery codes for (h) (300)
#   BENCH_RECOVERY_SECONDS   wrk duration of (h), no warm-up (3)
#   BENCH_TOTP_SECONDS       wrk duration of (g), no warm-up (3: 6000 codes
#                            last about 3 s on an idle 2-core machine)
#   BENCH_REFRESH_TOKENS     refresh tokens made for (k) (40000)
#   BENCH_TRIGGER_REQUESTS   triggers prepared for (l) (30000)
#   BENCH_CGI_SECONDS  wrk duration of (m) (5)
#   GLUE_PROCS         FastCGI processes per program (2), same for all
#   GLUE_BIN, GLUE_ADMIN  programs to measure (default: the release build)
#
# Raw wrk output goes to var/bench/log/wrk-<name>.txt.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
PY=/usr/bin/python3	# Debian's python, whatever is first on PATH

SECONDS_RUN=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-8}
MEM_N=${BENCH_MEM_REQUESTS:-10000}
MEM_SLOW_N=${BENCH_MEM_SLOW_REQUESTS:-500}
MEM_MAILBOX_N=${BENCH_MEM_MAILBOX_REQUESTS:-100}
MEM_LIMIT_KB=${BENCH_MEM_LIMIT_KB:-256}
MEM_MAX_KB=${BENCH_MEM_MAX_KB:-8192}
RC_ACCOUNTS=${BENCH_RECOVERY_ACCOUNTS:-300}
RC_SECONDS=${BENCH_RECOVERY_SECONDS:-3}
TOTP_SECONDS=${BENCH_TOTP_SECONDS:-3}
REFRESH_N=${BENCH_REFRESH_TOKENS:-40000}
TRIGGER_N=${BENCH_TRIGGER_REQUESTS:-30000}
CGI_SECONDS=${BENCH_CGI_SECONDS:-5}
ONLY=${BENCH_ONLY:-}
ALL_TARGETS=" hello select1 update1 customer types patch recovery totp argon2 signin refresh trigger cgi mem "

# want NAME: is target NAME part of this run (BENCH_ONLY)?
want() {
	[[ -z $ONLY || ,$ONLY, == *,$1,* ]]
}

export GLUE_INSTANCE=$ROOT/var/bench
export PORT=${BENCH_PORT:-18090}
export GLUE_BENCH_BIN=$GLUE_INSTANCE/bin
export GLUE_BIN=${GLUE_BIN:-$ROOT/cgi-bin}
export GLUE_ADMIN=${GLUE_ADMIN:-$ROOT/bin/glue-mfa-admin}
export GLUE_MODE=fcgi
export GLUE_PROCS=${GLUE_PROCS:-2}
# wrk sends thousands of requests a second from 127.0.0.1: the development
# configuration's per-address limit (etc/rate-limit.lua) would answer most
# of them 429.  The bench measures the programs, so it runs without it.
export GLUE_RATE_LIMIT=off
# (l) triggers the same accounts many times: no cool-down, the highest
# caps (contract §5.3, src/config.c bounds).
export GLUE_CONFIG_EXTRA="resend_cooldown = 0
daily_send_cap = 10000
daily_recipient_cap = 100000"

INST=$GLUE_INSTANCE
INSTANCE_SH=$ROOT/tools/instance.sh
BASE=http://127.0.0.1:$PORT
LOG=$INST/log

die() {
	echo "bench: $*" >&2
	exit 1
}

# --- preflight ---------------------------------------------------------------

for f in "$INSTANCE_SH" "$GLUE_BIN/customers" "$GLUE_ADMIN"; do
	[[ -x $f ]] || die "$f is missing or not executable (run make first)"
done
for c in wrk curl cc pkg-config; do
	command -v "$c" >/dev/null || die "$c not found (make deps)"
done
[[ -x $PY ]] || die "$PY not found"
for n in "$SECONDS_RUN" "$WARMUP" "$THREADS" "$CONNS" "$MEM_N" "$MEM_LIMIT_KB" \
    "$GLUE_PROCS" "$RC_ACCOUNTS" "$RC_SECONDS" "$MEM_SLOW_N" "$MEM_MAX_KB" "$MEM_MAILBOX_N" \
    "$REFRESH_N" "$TRIGGER_N" "$CGI_SECONDS"; do
	[[ $n =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
((SECONDS_RUN > 0 && THREADS > 0 && CONNS >= THREADS && GLUE_PROCS > 0)) ||
	die "need BENCH_SECONDS > 0, GLUE_PROCS > 0, BENCH_CONNECTIONS >= BENCH_THREADS > 0"
for t in ${ONLY//,/ }; do
	[[ $ALL_TARGETS == *" $t "* ]] || die "BENCH_ONLY: unknown target '$t' (known:$ALL_TARGETS)"
done

# A bench instance left running by an interrupted run would keep old programs.
"$INSTANCE_SH" stop >/dev/null 2>&1 || true
if [[ ${BENCH_KEEP:-0} != 1 ]]; then
	rm -rf "$INST"	# fresh database: every run measures the same data
fi
mkdir -p "$GLUE_BENCH_BIN" "$LOG"

started=0
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if ((started)); then
		"$INSTANCE_SH" stop >"$LOG/stop.out" 2>&1 ||
			{ echo "bench: stopping the instance failed:" >&2; cat "$LOG/stop.out" >&2; rc=1; }
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build the baselines -------------------------------------------------------

# Same flags as the project's programs (STYLE.md §12), -O2 like a release build.
CFLAGS_BENCH="-O2 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror"
for p in hello select1 update1 argon2; do
	src=$p extra=""
	[[ $p == update1 ]] && src=select1 extra=-DBENCH_UPDATE
	# shellcheck disable=SC2086,SC2046
	cc $CFLAGS_BENCH $extra -o "$GLUE_BENCH_BIN/$p" "$ROOT/bench/$src.c" \
		$(pkg-config --cflags --libs fcgi libmariadb libsodium) ||
		die "building bench/$src.c as $p failed"
done

# --- start ---------------------------------------------------------------------

echo "bench: starting instance $INST on port $PORT (GLUE_PROCS=$GLUE_PROCS)"
started=1
"$INSTANCE_SH" start >"$LOG/start.out" 2>&1 ||
	{ cat "$LOG/start.out" >&2; die "tools/instance.sh start failed"; }

token=$(curl -sS --max-time 10 -X POST "$BASE/access-tokens" \
	-H 'Content-Type: application/vnd.api+json' \
	-H 'Accept: application/vnd.api+json' \
	--data '{"data":{"type":"access-tokens","attributes":{"username":"sonia@example.com","password":"change123"}}}' |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["data"]["attributes"]["accessToken"])') ||
	die "POST /access-tokens for sonia@example.com did not give an access token"

# e-mail MFA for the customer: activate, then verify with the mailed code.
# The verification uses the code with this token, which opens its grace
# window (grace_period, 300 s by default): target (f) runs inside it.
mfa_post() {	# mfa_post RESOURCE [CODE]
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$BASE/$1" \
		-H 'Content-Type: application/vnd.api+json' \
		-H "Authorization: Bearer $token" ${2:+-H "X-MFA-Code: $2"} \
		--data "{\"data\":{\"type\":\"$1\",\"attributes\":{\"type\":\"email\"}}}"
}
[[ $(mfa_post multi-factor-auth-type-activate) == 204 ]] ||
	die "activating e-mail MFA for the demo customer failed"
mail=$(ls -d "$INST"/mail/*.eml | tail -n 1)
mfa_code=$(grep -o 'code is: [0-9]*' "$mail" | head -n 1 | cut -d' ' -f3)
[[ -n $mfa_code && $(mfa_post multi-factor-auth-type-verify "$mfa_code") == 204 ]] ||
	die "verifying e-mail MFA for the demo customer failed"
patch_body='{"data":{"type":"customers","attributes":{"lastName":"Wagner"}}}'

signin_body='{"data":{"type":"access-tokens","attributes":{"username":"sonia@example.com","password":"change123"}}}'
trigger_body='{"data":{"type":"multi-factor-auth-trigger","attributes":{"type":"email"}}}'

# name|path|token|method|body|code
targets=()
for t in \
	"hello|/bench/hello|" \
	"select1|/bench/select1|" \
	"update1|/bench/update1|" \
	"customer|/customers/DE--1|$token" \
	"types|/multi-factor-auth-types|$token" \
	"patch|/customers/DE--1|$token|PATCH|$patch_body|$mfa_code" \
	"argon2|/bench/argon2|" \
	"signin|/access-tokens||POST|$signin_body|"; do
	want "${t%%|*}" && targets+=("$t")
done

# Every target must answer 2xx before its numbers mean anything.
for t in "${targets[@]}"; do
	IFS='|' read -r name path tok meth body mcode <<<"$t"
	auth=()
	[[ -n $tok ]] && auth=(-H "Authorization: Bearer $tok")
	[[ -n $meth ]] && auth+=(-X "$meth" -H 'Content-Type: application/vnd.api+json' \
		--data "$body")
	[[ -n $mcode ]] && auth+=(-H "X-MFA-Code: $mcode")
	code=$(curl -sS --max-time 10 -o "$LOG/check-$name.body" -w '%{http_code}' \
		-H 'Accept: application/vnd.api+json' "${auth[@]}" "$BASE$path") || code=000
	[[ $code == 20? ]] ||
		{ tail -n 5 "$LOG/programs.log" >&2 2>/dev/null || true;
		  die "${meth:-GET} $path answered $code, not 2xx (programs' stderr:" \
			"$LOG/programs.log, body: $LOG/check-$name.body)"; }
done

# (h), (l) and the memory check of the trigger: customers with e-mail MFA
# and ten recovery codes each; every request of (h) spends one code that
# was never sent before.
if want recovery || want trigger || want mem; then
	"$PY" "$ROOT/bench/recovery.py" "$BASE" "$INST/mail" "$RC_ACCOUNTS" "$INST/recovery-pairs" ||
		die "bench/recovery.py could not make the accounts for (h)"
	# (l): the accounts in turn, each trigger one line (bench/once.lua);
	# the memory check's come after the run's.
	awk -v n=$((TRIGGER_N + 2 * MEM_N)) -v body="$trigger_body" '
		!seen[$2]++ { tok[k++] = $2 }
		END { for (i = 0; i < n; i++)
			printf "POST /multi-factor-auth-trigger %s %s\n", tok[i % k], body }' \
		"$INST/recovery-pairs" >"$INST/trigger-all"
	head -n "$TRIGGER_N" "$INST/trigger-all" >"$INST/trigger-run"
	tail -n $((2 * MEM_N)) "$INST/trigger-all" >"$INST/trigger-mem"
fi
# (k) and the memory check of refresh-tokens: refresh tokens never used.
if want refresh || want mem; then
	"$PY" "$ROOT/bench/refresh_setup.py" "$INST" $((REFRESH_N + 2 * MEM_N)) \
		"$INST/refresh-all" >"$LOG/refresh-setup.out" ||
		die "bench/refresh_setup.py failed (see $LOG/refresh-setup.out)"
	head -n "$REFRESH_N" "$INST/refresh-all" >"$INST/refresh-run"
	tail -n $((2 * MEM_N)) "$INST/refresh-all" >"$INST/refresh-mem"
fi

# --- throughput and latency ------------------------------------------------------

# socket_of PATH: the socket name (INST/run/<it>.sock-N) of the program
# serving PATH.
socket_of() {
	case $1 in
	/bench/*) echo "bench-${1#/bench/}" ;;
	/customers/*/addresses*) echo addresses ;;
	/backend/*) local p=${1#/backend/}; echo "backend-${p%%/*}" ;;
	*) local p=${1#/}; echo "${p%%/*}" ;;
	esac
}

# cpu_start PATH / cpu_end: the CPU the database and the program spent
# during a run, per request (CPU_DB, CPU_PROG in microseconds; set by
# cpu_end from the last run's request count in REQS).
cpu_start() {
	CPU_SOCK=$(socket_of "$1")
	read -r CPU_DB0 CPU_PROG0 < <("$PY" "$ROOT/bench/cpu.py" "$INST" "$CPU_SOCK")
}
cpu_end() {
	local db prog hz
	read -r db prog < <("$PY" "$ROOT/bench/cpu.py" "$INST" "$CPU_SOCK")
	hz=$(getconf CLK_TCK)
	CPU_DB=$(awk -v a="$CPU_DB0" -v b="$db" -v n="$REQS" -v hz="$hz" \
		'BEGIN { printf "%.0f", (b - a) * 1e6 / hz / n }')
	CPU_PROG=$(awk -v a="$CPU_PROG0" -v b="$prog" -v n="$REQS" -v hz="$hz" \
		'BEGIN { printf "%.0f", (b - a) * 1e6 / hz / n }')
}

# run_wrk NAME PATH TOKEN [METHOD BODY CODE]: sets RPS P50 P99 (ms).
run_wrk() {
	local name=$1 path=$2 tok=$3 out=$LOG/wrk-$1.txt
	export BENCH_METHOD=${4:-} BENCH_BODY=${5:-} BENCH_MFA_CODE=${6:-}
	BENCH_TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" \
		-s "$ROOT/bench/wrk.lua" "$BASE$path" >"$LOG/wrk-$name-warmup.txt" 2>&1 ||
		die "wrk warm-up against $path failed (see $LOG/wrk-$name-warmup.txt)"
	cpu_start "$path"
	BENCH_TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_RUN}s" --latency \
		-s "$ROOT/bench/wrk.lua" "$BASE$path" >"$out" 2>&1 ||
		die "wrk against $path failed (see $out)"
	parse_bench "$out" "$path"
	cpu_end
}

# run_lines NAME FILE SCRIPT SECONDS PATH: each line (or code) once, no
# warm-up (it would spend them); sets RPS P50 P99.
run_lines() {
	local name=$1 out=$LOG/wrk-$1.txt
	cpu_start "$5"
	BENCH_LINES=$2 BENCH_PAIRS=$2 BENCH_THREADS=$THREADS \
		wrk -t"$THREADS" -c"$CONNS" -d"${4}s" --latency \
		-s "$ROOT/bench/$3" "$BASE/" >"$out" 2>&1 ||
		die "wrk for $name failed (see $out)"
	grep -q '^BENCH .* exhausted=0$' "$out" ||
		die "($name) ran out of prepared requests: raise its BENCH_* count (see $out)"
	parse_bench "$out" "$5"
	cpu_end
}

# parse_bench FILE PATH: the BENCH line of a wrk run into RPS P50 P99.
parse_bench() {
	local out=$1 path=$2 line
	line=$(grep '^BENCH ' "$out") || die "no BENCH line in $out"
	local -A m=()
	local kv k
	for kv in ${line#BENCH }; do
		m[${kv%%=*}]=${kv#*=}
	done
	for k in requests duration_us p50_us p99_us non2xx errors; do
		[[ ${m[$k]:-} =~ ^[0-9]+$ ]] || die "bad BENCH line in $out: $line"
	done
	((m[requests] > 0 && m[duration_us] > 0)) || die "wrk made no request to $path"
	((m[non2xx] == 0 && m[errors] == 0)) ||
		die "$path: ${m[non2xx]} non-2xx answers and ${m[errors]} socket errors" \
			"during the run (see $out)"
	REQS=${m[requests]}
	RPS=$(awk -v n="${m[requests]}" -v d="${m[duration_us]}" 'BEGIN { printf "%.1f", n / (d / 1e6) }')
	P50=$(awk -v u="${m[p50_us]}" 'BEGIN { printf "%.3f", u / 1000 }')
	P99=$(awk -v u="${m[p99_us]}" 'BEGIN { printf "%.3f", u / 1000 }')
}

declare -A rps
table=""
row() {	# row NAME PATH: the last run's numbers into the table
	rps[$1]=$RPS
	table+=$(printf '%-10s %-30s %10s %8s %8s %7s %7s' "$1" "$2" "$RPS" "$P50" "$P99" \
		"${CPU_DB:--}" "${CPU_PROG:--}")$'\n'
	CPU_DB='' CPU_PROG=''
}

echo "bench: wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s --latency per target" \
	"(after ${WARMUP}s warm-up), FastCGI max-procs $GLUE_PROCS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${targets[@]}"; do
	IFS='|' read -r name path tok meth body mcode <<<"$t"
	run_wrk "$name" "$path" "$tok" "$meth" "$body" "$mcode"
	row "$name" "$path"
done
if want recovery; then
	run_lines recovery "$INST/recovery-pairs" recovery.lua "$RC_SECONDS" /customers/DE--n
	row recovery /customers/DE--n
fi
if want refresh; then
	run_lines refresh "$INST/refresh-run" once.lua "$SECONDS_RUN" /refresh-tokens
	row refresh /refresh-tokens
fi
if want trigger; then
	run_lines trigger "$INST/trigger-run" once.lua "$SECONDS_RUN" /multi-factor-auth-trigger
	row trigger /multi-factor-auth-trigger
fi

# (g): accounts with an app each; the codes stay good for one time step
# (~29 s from the step's start, where totp_setup.py leaves off).
if want totp; then
	TOTP_K=${BENCH_TOTP_ACCOUNTS:-2000}
	[[ $TOTP_K =~ ^[0-9]+$ ]] && ((TOTP_K > 0)) || die "not a number: '$TOTP_K'"
	echo "bench: (g) $TOTP_K customers with totp (bench/totp_setup.py)"
	"$PY" "$ROOT/bench/totp_setup.py" "$BASE" "$INST" "$TOTP_K" "$LOG/totp-requests.txt" \
		>"$LOG/totp-setup.out" || die "bench/totp_setup.py failed (see $LOG/totp-setup.out)"
	out=$LOG/wrk-totp.txt
	cpu_start /customers
	BENCH_TOTP_FILE=$LOG/totp-requests.txt BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" \
		-d"${TOTP_SECONDS}s" --latency -s "$ROOT/bench/totp.lua" "$BASE" >"$out" 2>&1 ||
		die "wrk against the totp target failed (see $out)"
	line=$(grep '^BENCH ' "$out") || die "no BENCH line in $out"
	declare -A g=()
	for kv in ${line#BENCH }; do
		g[${kv%%=*}]=${kv#*=}
	done
	((g[requests] > 0 && g[non2xx] == 0 && g[errors] == 0)) ||
		die "totp: ${g[non2xx]} answers not 200, ${g[errors]} socket errors (see $out)"
	RPS=$(awk -v n="${g[requests]}" -v d="${g[duration_us]}" 'BEGIN { printf "%.1f", n / (d / 1e6) }')
	P50=$(awk -v u="${g[p50_us]}" 'BEGIN { printf "%.3f", u / 1000 }')
	P99=$(awk -v u="${g[p99_us]}" 'BEGIN { printf "%.3f", u / 1000 }')
	REQS=${g[requests]}
	cpu_end
	row totp /customers/DE--n
	echo "bench: (g) ${g[requests]} protected writes with fresh app codes"
	((${g[exhausted]:-0} == 0)) ||
		echo "bench: (g) ${g[exhausted]} wrk thread(s) ran out of codes before the end:" \
			"its rate is a lower bound (raise BENCH_TOTP_ACCOUNTS or lower BENCH_TOTP_SECONDS)"
fi

# (m): the same read as plain CGI (a process per request: exec, config,
# key, connection, statements), one connection so that the time per
# request is the process's whole cost; then back to FastCGI.
if want cgi; then
	echo "bench: (m) plain CGI: restarting lighttpd with mod_cgi for the API programs"
	GLUE_MODE=cgi "$INSTANCE_SH" restart-web >"$LOG/restart-web-cgi.out" 2>&1 ||
		{ cat "$LOG/restart-web-cgi.out" >&2; die "tools/instance.sh restart-web (cgi) failed"; }
	out=$LOG/wrk-cgi.txt
	BENCH_TOKEN=$token BENCH_METHOD='' BENCH_BODY='' BENCH_MFA_CODE='' \
		wrk -t1 -c1 -d"${CGI_SECONDS}s" --latency -s "$ROOT/bench/wrk.lua" \
		"$BASE/multi-factor-auth-types" >"$out" 2>&1 || die "wrk against CGI failed (see $out)"
	parse_bench "$out" /multi-factor-auth-types
	row cgi "/multi-factor-auth-types (CGI)"	# CGI processes are gone: no CPU column
	CGI_MS=$(awk -v r="$RPS" 'BEGIN { printf "%.2f", 1000 / r }')
	"$INSTANCE_SH" restart-web >"$LOG/restart-web-fcgi.out" 2>&1 ||
		{ cat "$LOG/restart-web-fcgi.out" >&2; die "tools/instance.sh restart-web failed"; }
fi

echo
printf '%-10s %-30s %10s %8s %8s %7s %7s\n' name path req/s p50_ms p99_ms db_us prog_us
printf '%s' "$table"
ratio() {	# ratio A B TEXT: A/B when both ran
	[[ -n ${rps[$1]:-} && -n ${rps[$2]:-} ]] || return 0
	awk -v a="${rps[$1]}" -v b="${rps[$2]}" -v t="$3" \
		'BEGIN { printf "  %-22s = %5.2f  %s\n", t, a / b, "" }'
}
echo
echo "ratios of req/s (issue 13's goals in brackets):"
ratio customer hello "c/a customer/hello"
ratio customer select1 "c/b customer/select1 [0.9]"
ratio types select1 "d/b types/select1 [0.85]"
ratio patch update1 "f/e patch/update1 [0.5]"
ratio totp update1 "g/e totp/update1 [0.5]"
ratio recovery update1 "h/e recovery/update1"
ratio signin argon2 "j/i signin/argon2"
ratio refresh update1 "k/e refresh/update1 [0.5]"
ratio trigger update1 "l/e trigger/update1 [0.3]"
if [[ -n ${rps[signin]:-} ]]; then
	awk -v r="${rps[signin]}" -v n="$(nproc)" 'BEGIN {
		printf "  sign-ins per second per core: %.1f (%s cores, shared with wrk) [15]\n", r / n, n }'
fi
[[ -n ${CGI_MS:-} ]] && echo "  plain CGI: $CGI_MS ms per request at one connection [5]"

# --- memory --------------------------------------------------------------------

want mem || { echo "bench: done"; exit 0; }

# lighttpd spreads requests over GLUE_PROCS processes; for an exact count
# per process the memory rounds run with max-procs 1 (one process per
# program that receives every request).
echo
echo "bench: memory: restarting lighttpd with max-procs 1; per program $MEM_N +" \
	"$MEM_N requests of its own kind ($MEM_SLOW_N + $MEM_SLOW_N where each hashes a password," \
	"$MEM_MAILBOX_N + $MEM_MAILBOX_N for dev-mailbox, which reads the whole spool per request)"
GLUE_PROCS=1 "$INSTANCE_SH" restart-web >"$LOG/restart-web.out" 2>&1 ||
	{ cat "$LOG/restart-web.out" >&2; die "tools/instance.sh restart-web failed"; }
admin=$(curl -sS --max-time 10 -X POST "$BASE/backend/token" \
	--data 'grant_type=password&username=admin@example.com&password=change123' |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
	die "POST /backend/token for admin@example.com did not give an access token"
verify_body='{"data":{"type":"multi-factor-auth-type-verify","attributes":{"type":"email"}}}'
activate_body='{"data":{"type":"multi-factor-auth-type-activate","attributes":{"type":"email"}}}'
deact_body='{"data":{"type":"multi-factor-auth-type-deactivate","attributes":{"type":"email"}}}'
rc_body='{"data":{"type":"multi-factor-auth-recovery-codes","attributes":{}}}'
# The back-office user has no method on: activating one would change what
# every later request answers, so its activation names an unknown type
# (the same 422 every time); its trigger, verification and deactivation of
# e-mail are refused alike.
be_activate_body='{"data":{"type":"multi-factor-auth-type-activate","attributes":{"type":"none-such"}}}'
trigger_body='{"data":{"type":"multi-factor-auth-trigger","attributes":{"type":"email"}}}'
pw_body='{"data":{"type":"customer-password","attributes":{"password":"change123","newPassword":"change1234","confirmPassword":"change1234"}}}'
conf_body='{"data":{"type":"customer-confirmation","attributes":{"registrationKey":"0000000000000000000000000000000000000000000000000000000000000000"}}}'
# program|socket|count|status (0: whatever the first answer is, every
# time)|request (METHOD PATH TOKEN [BODY], or @file of bench/once.lua lines)
mem_specs=(
	"customers|customers|$MEM_N|200|GET /customers/DE--1 $token"
	"addresses|addresses|$MEM_N|200|GET /customers/DE--1/addresses $token"
	"multi-factor-auth-types|multi-factor-auth-types|$MEM_N|200|GET /multi-factor-auth-types $token"
	"refresh-tokens|refresh-tokens|$MEM_N|201|@$INST/refresh-mem"
	"multi-factor-auth-trigger|multi-factor-auth-trigger|$MEM_N|204|@$INST/trigger-mem"
	"multi-factor-auth-type-activate|multi-factor-auth-type-activate|$MEM_N|0|POST /multi-factor-auth-type-activate $token $activate_body"
	"multi-factor-auth-type-verify|multi-factor-auth-type-verify|$MEM_N|0|POST /multi-factor-auth-type-verify $token $verify_body"
	"multi-factor-auth-type-deactivate|multi-factor-auth-type-deactivate|$MEM_N|0|POST /multi-factor-auth-type-deactivate $token $deact_body"
	"multi-factor-auth-recovery-codes|multi-factor-auth-recovery-codes|$MEM_N|0|POST /multi-factor-auth-recovery-codes $token $rc_body"
	"customer-password|customer-password|$MEM_N|0|PATCH /customer-password/DE--1 $token $pw_body"
	"customer-confirmation|customer-confirmation|$MEM_N|0|POST /customer-confirmation - $conf_body"
	"dev-mailbox|dev-mailbox|$MEM_MAILBOX_N|0|GET /dev-mailbox -"
	"multi-factor-auth-webauthn-credentials|multi-factor-auth-webauthn-credentials|$MEM_N|200|GET /multi-factor-auth-webauthn-credentials $token"
	"not-found|not-found|$MEM_N|404|GET /not-found -"
	"token (metadata)|token-metadata|$MEM_N|200|GET /.well-known/oauth-authorization-server -"
	"backend/users|backend-users|$MEM_N|200|GET /backend/users $admin"
	"backend/multi-factor-auth-types|backend-multi-factor-auth-types|$MEM_N|200|GET /backend/multi-factor-auth-types $admin"
	"backend/customer-mfa-deactivate|backend-customer-multi-factor-auth-type-deactivate|$MEM_N|0|POST /backend/customer-multi-factor-auth-type-deactivate $admin {}"
	"backend/multi-factor-auth-type-activate|backend-multi-factor-auth-type-activate|$MEM_N|0|POST /backend/multi-factor-auth-type-activate $admin $be_activate_body"
	"backend/multi-factor-auth-type-verify|backend-multi-factor-auth-type-verify|$MEM_N|0|POST /backend/multi-factor-auth-type-verify $admin $verify_body"
	"backend/multi-factor-auth-type-deactivate|backend-multi-factor-auth-type-deactivate|$MEM_N|0|POST /backend/multi-factor-auth-type-deactivate $admin $deact_body"
	"backend/multi-factor-auth-trigger|backend-multi-factor-auth-trigger|$MEM_N|0|POST /backend/multi-factor-auth-trigger $admin $trigger_body"
	"backend/multi-factor-auth-recovery-codes|backend-multi-factor-auth-recovery-codes|$MEM_N|0|POST /backend/multi-factor-auth-recovery-codes $admin $rc_body"
	"backend/multi-factor-auth-webauthn-credentials|backend-multi-factor-auth-webauthn-credentials|$MEM_N|200|GET /backend/multi-factor-auth-webauthn-credentials $admin"
	"access-tokens|access-tokens|$MEM_SLOW_N|201|POST /access-tokens - $signin_body"
	"token|token|$MEM_SLOW_N|200|POST /token - grant_type=password&username=sonia@example.com&password=change123"
	"backend/token|backend-token|$MEM_SLOW_N|200|POST /backend/token - grant_type=password&username=admin@example.com&password=change123"
)
# The Galera cluster against one server (bench/cluster.sh), when asked.
if [[ ${BENCH_CLUSTER:-0} == 1 ]]; then
	"$ROOT/bench/cluster.sh" || die "bench/cluster.sh failed"
fi
mem_rc=0
for m in "${mem_specs[@]}"; do
	IFS='|' read -r name sock n status spec <<<"$m"
	name=${name// /_}
	# shellcheck disable=SC2086
	"$PY" "$ROOT/bench/mem.py" "$name" "$BASE" "$INST/run/$sock.sock" "$n" \
		"$MEM_LIMIT_KB" "$MEM_MAX_KB" "$status" $spec || {
		rc=$?
		((rc == 2)) && mem_rc=2 || die "the memory check of $name could not run"
	}
done
((mem_rc == 0)) || exit 2
echo "bench: done"
