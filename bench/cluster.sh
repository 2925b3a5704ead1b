#!/usr/bin/env bash
# bench/cluster.sh: throughput of the programs on a 3-node Galera cluster
# (tests/cluster/run.sh: web node A on DB node 1, B on DB node 2,
# db_wsrep_sync_wait = 1) against one plain MariaDB server
# (tools/instance.sh), same machine, same test build, same wrk settings,
# through bench/wrk.lua:
#   read:  GET /customers/{ref} with a token
#   write: PATCH /customers/{ref} (an account without MFA: one UPDATE)
# each against the single node, the cluster through web node A, and the
# cluster through A and B at once (two wrk, half the connections each; their
# requests summed).  Prints one table; raw wrk output in var/bench/cluster/.
# Both set-ups run GLUE_PROCS (2) FastCGI processes per program and web
# node, so "A+B" has twice the program processes of "single": it measures
# what a second web node on its own DB node adds, on one machine.
#
#   BENCH_SECONDS (10), BENCH_THREADS (2), BENCH_CONNECTIONS (8),
#   BENCH_CLUSTER_PORT (18560: ports .. + 14)
#
# Run by hand, or by make bench with BENCH_CLUSTER=1.  Must run as root
# (the cluster suite's nodes).

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT" || exit 1
SECS=${BENCH_SECONDS:-10}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-8}
PORT0=${BENCH_CLUSTER_PORT:-18560}
OUT=$ROOT/var/bench/cluster
RES=$OUT/results

die() { printf 'bench/cluster.sh: %s\n' "$*" >&2; exit 1; }

# account BASE: a new customer signed in; prints "ref token" (nothing when
# it failed: it runs in a subshell, the caller checks).
account() {
	local mail="bench-$RANDOM$RANDOM@example.com" pw="s3cret-Passw0rd" ref tok
	ref=$(curl -s -H 'Content-Type: application/vnd.api+json' -H 'Accept: application/vnd.api+json' \
		-d "{\"data\":{\"type\":\"customers\",\"attributes\":{\"firstName\":\"B\",\"lastName\":\"C\",\"email\":\"$mail\",\"password\":\"$pw\",\"confirmPassword\":\"$pw\",\"acceptedTerms\":true}}}" \
		"$1/customers" | sed -n 's/.*"id":"\(DE--[0-9]*\)".*/\1/p')
	tok=$(curl -s -H 'Content-Type: application/vnd.api+json' -H 'Accept: application/vnd.api+json' \
		-d "{\"data\":{\"type\":\"access-tokens\",\"attributes\":{\"username\":\"$mail\",\"password\":\"$pw\"}}}" \
		"$1/access-tokens" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
	[[ -n $ref && -n $tok ]] && echo "$ref $tok"
}

# wrk_run NAME URL TOKEN CONNS [METHOD BODY]: the BENCH line in OUT/NAME.txt.
wrk_run() {
	BENCH_TOKEN=$3 BENCH_METHOD=${5:-} BENCH_BODY=${6:-} wrk -t"$THREADS" -c"$4" \
		-d"${SECS}s" --latency -s "$ROOT/bench/wrk.lua" "$2" >"$OUT/$1.txt" 2>&1
}

# rps FILE: requests per second of a BENCH line; non-2xx and errors too.
rps() {
	awk '/^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.0f %d %.2f", v["requests"] / (v["duration_us"] / 1e6),
		    v["non2xx"] + v["errors"], v["p99_us"] / 1000 }' "$1"
}

# measure LABEL URL [URL2]: read and write rows for one set-up.
measure() {
	local label=$1 u1=$2 u2=${3:-} ref tok ref2 tok2 body kind m b r a w r2 a2 w2
	read -r ref tok < <(account "$u1")
	[[ -n ${tok:-} ]] || die "no account through $u1"
	if [[ -n $u2 ]]; then
		read -r ref2 tok2 < <(account "$u2")
		[[ -n ${tok2:-} ]] || die "no account through $u2"
	fi
	body='{"data":{"type":"customers","attributes":{"firstName":"Bench"}}}'
	for kind in read write; do
		m="" b=""
		[[ $kind == write ]] && m=PATCH b=$body
		if [[ -z $u2 ]]; then
			wrk_run "$label-$kind" "$u1/customers/$ref" "$tok" "$CONNS" "$m" "$b"
			read -r r a w < <(rps "$OUT/$label-$kind.txt")
		else
			wrk_run "$label-$kind-A" "$u1/customers/$ref" "$tok" $((CONNS / 2)) "$m" "$b" &
			wrk_run "$label-$kind-B" "$u2/customers/$ref2" "$tok2" $((CONNS / 2)) "$m" "$b"
			wait
			read -r r a w < <(rps "$OUT/$label-$kind-A.txt")
			read -r r2 a2 w2 < <(rps "$OUT/$label-$kind-B.txt")
			r=$((r + r2)) a=$((a + a2))
			w="$w/$w2"
		fi
		printf '%s %s %s %s %s\n' "$label" "$kind" "$r" "$a" "$w" >>"$RES"
	done
}

if [[ ${1:-} == --inside ]]; then
	# run by tests/cluster/run.sh, the cluster up (CLUSTER_PORT: web A)
	measure cluster-A "http://127.0.0.1:$CLUSTER_PORT"
	measure cluster-A+B "http://127.0.0.1:$CLUSTER_PORT" "http://127.0.0.1:$((CLUSTER_PORT + 1))"
	exit 0
fi

((EUID == 0)) || die "must run as root"
command -v wrk >/dev/null || die "wrk missing"
make --no-print-directory -s -j2 VARIANT=test all || die "build failed"
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$RES"

# One plain server: the development instance's set-up, in a directory of its own.
INST=$(mktemp -d /tmp/glue-bench-single.XXXXXX) || die "mktemp failed"
chmod 0711 "$INST"
single() {
	GLUE_INSTANCE=$INST PORT=$((PORT0 + 14)) GLUE_RATE_LIMIT=off GLUE_MODE=fcgi \
		GLUE_BIN=$ROOT/build/test/cgi-bin GLUE_ADMIN=$ROOT/build/test/bin/glue-mfa-admin \
		tools/instance.sh "$@"
}
trap 'single stop >/dev/null 2>&1; rm -rf "$INST"' EXIT
single start >/dev/null || die "the single-node instance did not start"
measure single "http://127.0.0.1:$((PORT0 + 14))"
single stop >/dev/null || die "stopping the single-node instance failed"
rm -rf "$INST"
trap - EXIT

CLUSTER_PORT=$PORT0 CLUSTER_RUN="$ROOT/bench/cluster.sh --inside" tests/cluster/run.sh \
	>"$OUT/cluster-run.txt" 2>&1 || die "the cluster run failed (see $OUT/cluster-run.txt)"

printf '\nGalera cluster against one server (wrk -t%s -c%s -d%ss, test build, %s):\n' \
	"$THREADS" "$CONNS" "$SECS" "$(nproc) cores"
printf '  %-12s %-6s %9s %8s %12s %8s\n' set-up kind req/s non2xx p99_ms "x single"
awk 'NR == FNR && $1 == "single" { base[$2] = $3 }
	NR != FNR { printf "  %-12s %-6s %9d %8d %12s %8.2f\n", $1, $2, $3, $4, $5,
	    base[$2] ? $3 / base[$2] : 0 }' "$RES" "$RES"
