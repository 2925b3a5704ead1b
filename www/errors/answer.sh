# www/errors/answer.sh: lighttpd's error handler for the program routes
# (tools/instance.sh, lighttpd.conf.example), run by /bin/sh as CGI.
# lighttpd can neither choose a static error document by status nor add a
# header to its own answers alone, so this does it: for an error lighttpd
# produced itself (REDIRECT_STATUS: 500 when a program died with the
# request, which it answers as 502: the gateway failed; 503 when none
# could take it, 504 when it did not answer in time, 413 for a body over
# the limit) it sends the JSON:API document NNN.json beside it, with Retry-After (contract §9.7).  It needs no
# program and no database.  Requested directly (REDIRECT_STATUS 200 or
# none) it is not there: 404.
dir=${SCRIPT_FILENAME%/*}
status=${REDIRECT_STATUS:-200}
retry=
case $status in
500) status=502 retry=1 ;; # a program that died: the gateway failed
502) retry=1 ;;
503 | 504) retry=5 ;;
413) ;;
200) status=404 ;;
*) # another error of lighttpd's own: its status, no document of ours
	printf 'Status: %s\r\nContent-Length: 0\r\n\r\n' "$status"
	exit 0
	;;
esac
printf 'Status: %s\r\nContent-Type: application/vnd.api+json\r\n' "$status"
printf 'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n'
[ -z "$retry" ] || printf 'Retry-After: %s\r\n' "$retry"
printf '\r\n'
if [ "$status" = 404 ]; then
	printf '{"errors":[{"status":"404","code":"103","detail":"Resource not found."}]}'
else
	cat "$dir/$status.json"
fi
