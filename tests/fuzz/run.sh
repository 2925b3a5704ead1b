#!/bin/bash
# Runs fuzz targets, FUZZ_JOBS at a time (default: the number of CPUs),
# each for a number of seconds, from its seeds (tests/fuzz/<target>/) and
# its growing corpus (scratch, under the build directory).  One line per
# target, in the order given; exit 1 when any target crashed, leaked,
# broke an invariant or had a sanitizer report.
#
#   tests/fuzz/run.sh build/fuzz SECONDS TARGET...

dir=$1 secs=$2
shift 2
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
# LeakSanitizer needs ptrace, which works here; a machine without it
# makes every run fail loudly instead of passing without leak checks.
ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS UBSAN_OPTIONS

# fuzz_one TARGET: one target's run; its line goes to $dir/TARGET.result,
# and the file $dir/TARGET.failed exists when it failed.
fuzz_one() {
	t=$1
	case $t in
	json|config|webauthn|wa_body) maxlen=8200 ;;
	media)		maxlen=2100 ;;
	mail)		maxlen=1200 ;;
	*)		maxlen=4096 ;;
	esac
	corpus=$dir/corpus/$t
	art=$dir/artifacts/$t
	log=$dir/$t.log
	rm -f "$dir/$t.failed"
	mkdir -p "$corpus" "$art"
	"$dir/${t}_fuzz" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len="$maxlen" -print_final_stats=1 \
	    -artifact_prefix="$art/" "$corpus" "tests/fuzz/$t" >"$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	if [ "$st" -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|invariant failed|deadly signal' "$log"; then
		{
			echo "fuzz $t: FAILED (exit $st) after ${execs:-?} execs, log $log"
			grep -m 3 -E 'ERROR:|runtime error:|invariant failed|Test unit written' "$log" | sed 's/^/    /'
		} >"$dir/$t.result"
		: >"$dir/$t.failed"
	else
		echo "fuzz $t: ok, ${execs:-?} execs in $secs s, corpus $(ls "$corpus" | wc -l) inputs" >"$dir/$t.result"
	fi
}

mkdir -p "$dir"
running=0
for t in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n 2>/dev/null || wait
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
wait
rc=0
for t in "$@"; do
	cat "$dir/$t.result"
	[ -e "$dir/$t.failed" ] && rc=1
done
exit $rc
