#!/usr/bin/env bash
# tests/faults/run.sh: the fault suite (make test-faults; README:
# "The fault suite").  Builds the test variant, starts an instance of its
# own (tools/instance.sh, in a fresh directory under FAULTS_TMP, default
# /tmp) on FAULTS_PORT (default 18860) with 2 FastCGI processes per
# program, the test clock and the fault file, runs the scenarios
# (tests/faults/faults.py; FAULTS_ONLY=name,... runs only those), then
# stops what it started by its pid files and removes the instance, keeping
# its logs in var/faults/log.  Exits non-zero on any failure; the last line
# is "N passed, M failed" (checks).

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$REPO" || exit 1
PY=/usr/bin/python3
KEEP=$REPO/var/faults
TMP_ROOT=${FAULTS_TMP:-/tmp}
PORT=${FAULTS_PORT:-18860}
JOBS=$(nproc 2>/dev/null || echo 2)
INST=""

export PORT GLUE_PROCS=2 GLUE_MODE=fcgi
export GLUE_BIN=$REPO/build/test/cgi-bin
export GLUE_ADMIN=$REPO/build/test/bin/glue-mfa-admin
unset GLUE_BENCH_BIN GLUE_SQL ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

finish() {
	local rc=$? stopped=1
	trap - EXIT INT TERM
	if [[ -n $INST && -d $INST ]]; then
		# Whatever a scenario mounted over the spool (faults.py unmounts
		# in a finally; this is for a run that was killed).
		while mountpoint -q "$INST/mail" 2>/dev/null; do
			umount "$INST/mail" 2>/dev/null || umount -l "$INST/mail" || break
		done
		GLUE_INSTANCE=$INST tools/instance.sh stop >/dev/null || stopped=0
		rm -rf "$KEEP"
		mkdir -p "$KEEP"
		cp -R "$INST/log" "$KEEP/log" 2>/dev/null || true
		if ((stopped)); then
			rm -rf "$INST"
			rm -f "$REPO/var/faults.inst"
		else
			echo "test-faults: something in $INST would not stop; left in place"
			rc=1
		fi
	fi
	exit "$rc"
}
trap finish EXIT
trap 'echo; echo "test-faults: interrupted"; exit 130' INT TERM

((EUID == 0)) || { echo "test-faults: must run as root (mounts, MariaDB)"; exit 1; }
mkdir -p "$REPO/var"
exec 9>"$REPO/var/faults.lock"
flock -n 9 || { echo "test-faults: another run holds var/faults.lock"; exit 1; }
# What a killed run left behind.
if [[ -s $REPO/var/faults.inst ]]; then
	old=$(<"$REPO/var/faults.inst")
	if [[ $old == */glue-faults.* && -d $old ]]; then
		while mountpoint -q "$old/mail" 2>/dev/null; do
			umount "$old/mail" 2>/dev/null || umount -l "$old/mail" || break
		done
		GLUE_INSTANCE=$old tools/instance.sh stop >/dev/null 2>&1 ||
			{ echo "test-faults: cannot stop the old instance in $old"; exit 1; }
		rm -rf "$old"
	fi
	rm -f "$REPO/var/faults.inst"
fi

t0=$SECONDS
make --no-print-directory -s -j"$JOBS" VARIANT=test all || { echo "test-faults: build failed"; exit 1; }
INST=$(mktemp -d "$TMP_ROOT/glue-faults.XXXXXX") || { echo "test-faults: mktemp failed"; exit 1; }
echo "$INST" >"$REPO/var/faults.inst"
export GLUE_INSTANCE=$INST
echo "test-faults: instance $INST, port $PORT"
mkdir -p "$INST/log"
if ! GLUE_CONFIG_EXTRA="test_clock_file = $INST/clock
test_fault_file = $INST/fault
# the fault suite: every code strictly single use, so one accepted twice is a defect
grace_period = 0
# the clock moves 2 days ahead per scenario; tokens outlive the run
access_token_ttl = 2678400" tools/instance.sh start 9>&- >"$INST/log/start.out" 2>&1; then
	cat "$INST/log/start.out"
	echo "test-faults: starting the instance failed"
	exit 1
fi
echo "test-faults: instance up in $((SECONDS - t0)) s"
GLUE_ROOT=$REPO "$PY" tests/faults/faults.py 9>&-
