#!/bin/bash
# tests/faults/sendmail.sh SPOOL MODEFILE: the sendmail command of the fault
# suite's sendmail scenarios.  It reads the message on stdin and, as the
# file MODEFILE says:
#   ok (or no file)  delivers it into SPOOL under a name like the spool
#                    transport's (seconds-microseconds-pid.eml), so codes are
#                    read from the same place in every scenario;
#   fail             exits 75 (EX_TEMPFAIL): the hand-over failed;
#   hang             never finishes (exec: the program's time-out kills it).
set -u
mode=ok
[[ -s $2 ]] && mode=$(<"$2")
case $mode in
fail)
	cat >/dev/null
	exit 75
	;;
hang)
	exec sleep 600
	;;
esac
tmp=$1/.sendmail-$$
cat >"$tmp" || { rm -f "$tmp"; exit 74; }
read -r sec nsec < <(date '+%s %N')
printf -v name '%s/%020d-%06d-%d.eml' "$1" "$sec" "$((10#$nsec / 1000))" "$$"
mv "$tmp" "$name" || { rm -f "$tmp"; exit 74; }
