#!/usr/bin/env bash
# bench/procs.sh: throughput and tail latency against the FastCGI process
# count, for sizing (README: Benchmarks, the GLUE_PROCS table).
#
# Runs bench/run.sh once per count in BENCH_PROCS (default "1 2 4 8") with
# BENCH_ONLY=hello,select1,types and BENCH_CONNECTIONS=32 (both may be
# given), each on a fresh bench instance, and prints one table: per count
# the req/s, p50 and p99 of each target and the load average before the
# run.  Exit status: that of the first bench/run.sh that failed, else 0.
# Every other BENCH_* knob passes through (bench/README.md).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
PROCS=${BENCH_PROCS:-1 2 4 8}
export BENCH_ONLY=${BENCH_ONLY:-hello,select1,types}
export BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
LOGDIR=$ROOT/var/bench-procs
mkdir -p "$LOGDIR"

table=""
for p in $PROCS; do
	[[ $p =~ ^[1-9][0-9]*$ ]] || { echo "procs: not a count: '$p'" >&2; exit 1; }
	load=$(cut -d' ' -f1 /proc/loadavg)
	echo "procs: GLUE_PROCS=$p (load $load)"
	GLUE_PROCS=$p "$ROOT/bench/run.sh" >"$LOGDIR/run-$p.txt" 2>&1 ||
		{ rc=$?; cat "$LOGDIR/run-$p.txt" >&2; exit "$rc"; }
	# The result lines of run.sh: name path req/s p50 p99 db_us prog_us.
	while read -r name _ rps p50 p99 _; do
		table+=$(printf '%6s %-8s %10s %8s %8s %6s' "$p" "$name" "$rps" "$p50" "$p99" "$load")$'\n'
	done < <(awk '$1 == "name" { on = 1; next } on && NF == 0 { exit } on' "$LOGDIR/run-$p.txt")
done
echo
printf '%6s %-8s %10s %8s %8s %6s\n' procs target req/s p50_ms p99_ms load
printf '%s' "$table"
