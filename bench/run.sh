#!/usr/bin/env bash
# bench/run.sh: `make bench`.
#
# Starts a private instance (var/bench, port 18090) with tools/instance.sh,
# measures three things with wrk and compares them:
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
# then checks that one customers process does not grow while serving
# 2 x 10,000 requests.  Prints numbers, never judges them.  Exit status:
# 0 ran, 1 something failed to run or a request did not succeed, 2 VmRSS of
# the customers process grew by more than 256 KiB.  Stops everything it
# started on exit (Ctrl-C included).  See bench/README.md.
#
# Environment (all optional):
#   BENCH_SECONDS      measured wrk duration per target (10)
#   BENCH_WARMUP       wrk warm-up seconds per target (2)
#   BENCH_THREADS      wrk threads (2)
#   BENCH_CONNECTIONS  wrk connections (8)
#   BENCH_PORT         port of the bench instance (18090)
#   BENCH_MEM_REQUESTS requests per memory round (10000)
#   BENCH_MEM_LIMIT_KB allowed VmRSS growth in KiB (256)
#   BENCH_KEEP=1       keep var/bench from a previous run (default: wipe it)
#   BENCH_TOTP_ACCOUNTS accounts for target (g) (2000: 6000 requests)
#   BENCH_RECOVERY_ACCOUNTS  customers with a set of recovery codes for (h) (100)
#   BENCH_RECOVERY_SECONDS   wrk duration of (h), no warm-up (3)
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
MEM_LIMIT_KB=${BENCH_MEM_LIMIT_KB:-256}
RC_ACCOUNTS=${BENCH_RECOVERY_ACCOUNTS:-100}
RC_SECONDS=${BENCH_RECOVERY_SECONDS:-3}

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
unset GLUE_CONFIG_EXTRA

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
    "$GLUE_PROCS" "$RC_ACCOUNTS" "$RC_SECONDS"; do
	[[ $n =~ ^[0-9]+$ ]] || die "not a number: '$n'"
done
((SECONDS_RUN > 0 && THREADS > 0 && CONNS >= THREADS && GLUE_PROCS > 0)) ||
	die "need BENCH_SECONDS > 0, GLUE_PROCS > 0, BENCH_CONNECTIONS >= BENCH_THREADS > 0"

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
for p in hello select1 update1; do
	src=$p extra=""
	[[ $p == update1 ]] && src=select1 extra=-DBENCH_UPDATE
	# shellcheck disable=SC2086,SC2046
	cc $CFLAGS_BENCH $extra -o "$GLUE_BENCH_BIN/$p" "$ROOT/bench/$src.c" \
		$(pkg-config --cflags --libs fcgi libmariadb) ||
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

# name|path|token|method|body|code
targets=(
	"hello|/bench/hello|"
	"select1|/bench/select1|"
	"update1|/bench/update1|"
	"customer|/customers/DE--1|$token"
	"types|/multi-factor-auth-types|$token"
	"patch|/customers/DE--1|$token|PATCH|$patch_body|$mfa_code"
)

# Every target must answer 200 before its numbers mean anything.
for t in "${targets[@]}"; do
	IFS='|' read -r name path tok meth body mcode <<<"$t"
	auth=()
	[[ -n $tok ]] && auth=(-H "Authorization: Bearer $tok")
	[[ -n $meth ]] && auth+=(-X "$meth" -H 'Content-Type: application/vnd.api+json' \
		-H "X-MFA-Code: $mcode" --data "$body")
	code=$(curl -sS --max-time 10 -o "$LOG/check-$name.body" -w '%{http_code}' \
		-H 'Accept: application/vnd.api+json' "${auth[@]}" "$BASE$path") || code=000
	[[ $code == 200 ]] ||
		{ tail -n 5 "$LOG/programs.log" >&2 2>/dev/null || true;
		  die "GET $path answered $code, not 200 (programs' stderr:" \
			"$LOG/programs.log, body: $LOG/check-$name.body)"; }
done

# (h): customers with e-mail MFA and ten recovery codes each; every request
# of the run spends one code that was never sent before.
"$PY" "$ROOT/bench/recovery.py" "$BASE" "$INST/mail" "$RC_ACCOUNTS" "$INST/recovery-pairs" ||
	die "bench/recovery.py could not make the accounts for (h)"

# --- throughput and latency ------------------------------------------------------

# run_wrk NAME PATH TOKEN [METHOD BODY CODE]: sets RPS P50 P99 (ms).
run_wrk() {
	local name=$1 path=$2 tok=$3 out=$LOG/wrk-$1.txt line
	export BENCH_METHOD=${4:-} BENCH_BODY=${5:-} BENCH_MFA_CODE=${6:-}
	BENCH_TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" \
		-s "$ROOT/bench/wrk.lua" "$BASE$path" >"$LOG/wrk-$name-warmup.txt" 2>&1 ||
		die "wrk warm-up against $path failed (see $LOG/wrk-$name-warmup.txt)"
	BENCH_TOKEN=$tok wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_RUN}s" --latency \
		-s "$ROOT/bench/wrk.lua" "$BASE$path" >"$out" 2>&1 ||
		die "wrk against $path failed (see $out)"
	parse_bench "$out" "$path"
}

# run_recovery: (h), every code once, no warm-up (each code works once);
# sets RPS P50 P99.
run_recovery() {
	local out=$LOG/wrk-recovery.txt
	BENCH_PAIRS=$INST/recovery-pairs BENCH_THREADS=$THREADS \
		wrk -t"$THREADS" -c"$CONNS" -d"${RC_SECONDS}s" --latency \
		-s "$ROOT/bench/recovery.lua" "$BASE/customers" >"$out" 2>&1 ||
		die "wrk with recovery codes failed (see $out)"
	grep -q '^BENCH .* exhausted=0$' "$out" ||
		die "(h) ran out of recovery codes: raise BENCH_RECOVERY_ACCOUNTS (see $out)"
	parse_bench "$out" "/customers/DE--n"
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
	RPS=$(awk -v n="${m[requests]}" -v d="${m[duration_us]}" 'BEGIN { printf "%.1f", n / (d / 1e6) }')
	P50=$(awk -v u="${m[p50_us]}" 'BEGIN { printf "%.3f", u / 1000 }')
	P99=$(awk -v u="${m[p99_us]}" 'BEGIN { printf "%.3f", u / 1000 }')
}

echo "bench: wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s --latency per target" \
	"(after ${WARMUP}s warm-up), FastCGI max-procs $GLUE_PROCS"
declare -A rps
table=""
for t in "${targets[@]}"; do
	IFS='|' read -r name path tok meth body mcode <<<"$t"
	run_wrk "$name" "$path" "$tok" "$meth" "$body" "$mcode"
	rps[$name]=$RPS
	table+=$(printf '%-10s %-18s %12s %10s %10s' "$name" "$path" "$RPS" "$P50" "$P99")$'\n'
done
run_recovery
rps[recovery]=$RPS
table+=$(printf '%-10s %-18s %12s %10s %10s' recovery /customers/DE--n "$RPS" "$P50" "$P99")$'\n'

# (g): accounts with an app each; the codes stay good for one time step
# (~29 s from the step's start, where totp_setup.py leaves off).
TOTP_K=${BENCH_TOTP_ACCOUNTS:-2000}
[[ $TOTP_K =~ ^[0-9]+$ ]] && ((TOTP_K > 0)) || die "not a number: '$TOTP_K'"
echo "bench: (g) $TOTP_K customers with totp (bench/totp_setup.py)"
"$PY" "$ROOT/bench/totp_setup.py" "$BASE" "$INST" "$TOTP_K" "$LOG/totp-requests.txt" \
	>"$LOG/totp-setup.out" || die "bench/totp_setup.py failed (see $LOG/totp-setup.out)"
out=$LOG/wrk-totp.txt
BENCH_TOTP_FILE=$LOG/totp-requests.txt BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" \
	-d"${SECONDS_RUN}s" --latency -s "$ROOT/bench/totp.lua" "$BASE" >"$out" 2>&1 ||
	die "wrk against the totp target failed (see $out)"
line=$(grep '^BENCH ' "$out") || die "no BENCH line in $out"
declare -A g=()
for kv in ${line#BENCH }; do
	g[${kv%%=*}]=${kv#*=}
done
((g[requests] > 0 && g[non2xx] == 0 && g[errors] == 0)) ||
	die "totp: ${g[non2xx]} answers not 200, ${g[errors]} socket errors (see $out)"
rps[totp]=$(awk -v n="${g[requests]}" -v d="${g[duration_us]}" 'BEGIN { printf "%.1f", n / (d / 1e6) }')
table+=$(printf '%-10s %-18s %12s %10s %10s' totp "/customers/DE--n" "${rps[totp]}" \
	"$(awk -v u="${g[p50_us]}" 'BEGIN { printf "%.3f", u / 1000 }')" \
	"$(awk -v u="${g[p99_us]}" 'BEGIN { printf "%.3f", u / 1000 }')")$'\n'
echo "bench: (g) ${g[requests]} protected writes with fresh app codes"
((${g[exhausted]:-0} == 0)) ||
	echo "bench: (g) ${g[exhausted]} wrk thread(s) ran out of codes before the end:" \
		"its rate is a lower bound (raise BENCH_TOTP_ACCOUNTS)"

echo
printf '%-10s %-18s %12s %10s %10s\n' name path req/s p50_ms p99_ms
printf '%s' "$table"
awk -v a="${rps[hello]}" -v b="${rps[select1]}" -v c="${rps[customer]}" \
    -v d="${rps[types]}" -v e="${rps[update1]}" -v f="${rps[patch]}" \
    -v g="${rps[totp]}" -v hh="${rps[recovery]}" 'BEGIN {
	printf "\nratios of req/s (goals: c/b >= 0.7, d/b >= 0.7, f/e >= 0.5, g/e >= 0.4):\n"
	printf "  c/a = %.2f  customer / hello\n", c / a
	printf "  c/b = %.2f  customer / select1\n", c / b
	printf "  d/b = %.2f  types / select1\n", d / b
	printf "  f/e = %.2f  protected patch in grace / update1\n", f / e
	printf "  g/e = %.2f  protected patch with a fresh app code / update1\n", g / e
	printf "  h/e = %.2f  protected patch with a recovery code / update1\n", hh / e
}'

# --- memory --------------------------------------------------------------------


# lighttpd spreads requests over GLUE_PROCS processes; for an exact count
# per process the memory round runs with max-procs 1 (one customers process
# that receives every request).
echo
echo "bench: memory: restarting lighttpd with max-procs 1 so that one customers" \
	"process receives all $MEM_N + $MEM_N requests"
GLUE_PROCS=1 "$INSTANCE_SH" restart-web >"$LOG/restart-web.out" 2>&1 ||
	{ cat "$LOG/restart-web.out" >&2; die "tools/instance.sh restart-web failed"; }
mem_rc=0
"$PY" "$ROOT/bench/mem.py" "$BASE/customers/DE--1" "$INST/run/customers.sock" \
	"$MEM_N" "$MEM_LIMIT_KB" "$token" || mem_rc=$?
case $mem_rc in
0) echo "bench: done" ;;
2) exit 2 ;;	# mem.py printed the FAIL line
*) die "the memory check could not run" ;;
esac
