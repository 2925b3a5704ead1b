#!/usr/bin/env bash
# tools/instance.sh: the development/test instance (MariaDB + lighttpd + the
# programs) living in one directory, by default <repo>/var.
#
#   tools/instance.sh deps|init|db-start|db-stop|migrate|seed|web-start|web-stop|
#                     start|stop|status|run|restart-web
#
# Environment (all optional):
#   GLUE_INSTANCE      instance directory            (default <repo>/var)
#   PORT               HTTP port on 127.0.0.1        (default 8080)
#   GLUE_BIN           programs directory            (default <repo>/cgi-bin)
#   GLUE_ADMIN         operator tool                 (default <repo>/bin/glue-mfa-admin)
#   GLUE_MODE          fcgi | cgi                    (default fcgi)
#   GLUE_PROCS         FastCGI processes per program (default 2)
#   GLUE_CONFIG_EXTRA  text appended to the config file when it is first created
#   GLUE_BENCH_BIN     directory whose executables are also served (FastCGI) at
#                      /bench/<name>, sockets INST/run/bench-<name>.sock-N
#   GLUE_SQL           migrations directory          (default <repo>/sql)
#   GLUE_RATE_LIMIT    on | off: lighttpd's limit of requests per client address,
#                      etc/rate-limit.lua (default on; bench/run.sh and the
#                      fault suite, load from one address, turn it off)
#
# Every command is safe to re-run; the data in INST/db survives stop/start.
# Processes are found through their pid files and the sockets in INST/run,
# never by name.  A start that fails at a step stops what it started and
# names the step; web-stop is a graceful stop, restart-web a graceful
# restart (contract §9.8).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
INST=$(realpath -m "${GLUE_INSTANCE:-$REPO/var}")
PORT=${PORT:-8080}
BIN=$(realpath -m "${GLUE_BIN:-$REPO/cgi-bin}")
ADMIN=$(realpath -m "${GLUE_ADMIN:-$REPO/bin/glue-mfa-admin}")
MODE=${GLUE_MODE:-fcgi}
PROCS=${GLUE_PROCS:-2}
SQL_DIR=$(realpath -m "${GLUE_SQL:-$REPO/sql}")
BENCH_BIN=${GLUE_BENCH_BIN:+$(realpath -m "$GLUE_BENCH_BIN")}
RATE_LIMIT=${GLUE_RATE_LIMIT:-on}

CONF=$INST/glue-mfa.conf
DB_SOCK=$INST/run/mysqld.sock
DB_PID=$INST/run/mysqld.pid
WEB_CONF=$INST/lighttpd.conf
WEB_PID=$INST/run/lighttpd.pid
DB_NAME=glue_mfa
DB_USER=glue_mfa
# The migration user (schema changes) and its client option file; the
# programs connect as DB_USER, which can only do what they need
# (sql/grants.sql, applied by tools/glue-mfa-migrate).
MIG_USER=glue_mfa_migrate
MIG_CNF=$INST/migrate.cnf
MIGRATE=$REPO/tools/glue-mfa-migrate

DEPS=(build-essential pkg-config libfcgi-dev libfcgi-bin spawn-fcgi libcjson-dev
	libsodium-dev libmariadb-dev libssl-dev libmariadb-dev-compat mariadb-server
	mariadb-client lighttpd lighttpd-modules-lua python3-pytest python3-requests python3-aiosmtpd
	msmtp wrk curl liboath-dev libqrencode-dev libfido2-dev libcbor-dev
	libssl-dev)
# Only `make test` needs these (the real-browser test of www/, the example
# web servers).
# libapache2-mod-security2: apache.conf.example's per-address limit, which
# tools/serve.sh apache and apache-cgi load and test.
# galera-4 and rsync: the cluster suite (tests/cluster/run.sh; rsync is
# its SST method).
TEST_DEPS=(chromium chromium-driver python3-selenium apache2 libapache2-mod-fcgid nginx
	libapache2-mod-security2 oathtool python3-pyotp python3-jsonschema python3-authlib
	python3-requests-oauthlib python3-cryptography galera-4 rsync)

say() { printf '%s\n' "$*"; }
die() { printf 'instance.sh: %s\n' "$*" >&2; exit 1; }

# --- helpers -------------------------------------------------------------

check_settings() {
	if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
		die "PORT must be a TCP port number, not '$PORT'"
	fi
	[[ $PROCS =~ ^[1-9][0-9]*$ ]] || die "GLUE_PROCS must be a positive integer"
	[[ $MODE == fcgi || $MODE == cgi ]] || die "GLUE_MODE must be fcgi or cgi, not '$MODE'"
	[[ $RATE_LIMIT == on || $RATE_LIMIT == off ]] ||
		die "GLUE_RATE_LIMIT must be on or off, not '$RATE_LIMIT'"
	# sun_path holds 108 bytes; the longest socket we create is below.
	local longest="$INST/run/backend-customer-multi-factor-auth-type-deactivate.sock-99"
	((${#longest} < 108)) || die "instance path too long for UNIX sockets: $INST"
}

# pid_alive PIDFILE PATTERN: the pid in PIDFILE is a live process whose
# command line contains PATTERN (guards against a recycled pid).
pid_alive() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	printf ' %s ' "$(tr '\0' ' ' </proc/"$pid"/cmdline)" | grep -qF -- " $2 "
}

pid_of() { cat "$1"; }

# wait_gone PID SECONDS: wait for a process to exit.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# socket_pids PATH...: pids of the processes holding the listening UNIX
# sockets bound at PATH (via /proc/net/unix inodes, not process names).
socket_pids() {
	local inodes path fd ino
	(($#)) || return 0
	inodes=$(awk -v want="$(printf '%s\n' "$@")" '
		BEGIN { n = split(want, w, "\n"); for (i = 1; i <= n; i++) p[w[i]] = 1 }
		NR > 1 && $8 != "" && ($8 in p) { print $7 }' /proc/net/unix | sort -u)
	[[ -n $inodes ]] || return 0
	for fd in /proc/[0-9]*/fd/*; do
		ino=$(readlink "$fd" 2>/dev/null) || continue
		[[ $ino == socket:\[*\] ]] || continue
		ino=${ino#socket:[}
		ino=${ino%]}
		grep -qx -- "$ino" <<<"$inodes" || continue
		path=${fd#/proc/}
		echo "${path%%/*}"
	done | sort -un
}

# The FastCGI sockets lighttpd creates: <socket>-0 .. <socket>-(max-procs - 1).
run_sockets() {
	compgen -G "$INST/run/*.sock-[0-9]*" || true
}

mariadb_root() {
	mariadb --no-defaults --socket="$DB_SOCK" -u root "$@"
}

# conf_get KEY: the value of KEY in the config file, read as the programs
# read it (a key is given once; a '#' that begins the value or follows a
# blank starts a comment, except in db_password: contract §7.1).
conf_get() {
	awk -v k="$1" '
		/^[ \t]*#/ { next }
		{ line = $0; i = index(line, "="); if (!i) next
		  key = substr(line, 1, i - 1); val = substr(line, i + 1)
		  gsub(/^[ \t]+|[ \t]+$/, "", key)
		  if (key != "db_password") sub(/(^|[ \t])#.*/, "", val)
		  gsub(/^[ \t]+|[ \t]+$/, "", val)
		  if (key == k) v = val }
		END { print v }' "$CONF"
}

sql_quote() {
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\'\'}"
}

# programs DIR: executables in DIR named like a resource (no dot, no dir).
programs() {
	local f
	[[ -d $1 ]] || return 0
	for f in "$1"/*; do
		[[ -f $f && -x $f ]] || continue
		[[ ${f##*/} =~ ^[a-z0-9][a-z0-9_-]*$ ]] && echo "${f##*/}"
	done
}

port_answers() {
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"
}

# --- deps ----------------------------------------------------------------

cmd_deps() {
	local missing=() p log want=("${DEPS[@]}")
	[[ ${1:-} == test ]] && want+=("${TEST_DEPS[@]}")
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	# The npm tools of make lint and the client tests (tests/npm): Debian's
	# nodejs and npm, unless a node with npm is already on the machine.
	[[ ${1:-} == test ]] && ! command -v npm >/dev/null && missing+=(nodejs npm)
	((${#missing[@]} == 0)) && return 0
	((EUID == 0)) || die "missing packages (${missing[*]}); run as root to install them"
	log=$(mktemp)
	if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "installing ${missing[*]} failed"
	fi
	rm -f "$log"
}

# --- init ----------------------------------------------------------------

cmd_init() {
	check_settings
	mkdir -p "$INST"/{db,run,log,mail}
	chmod 700 "$INST/db"
	if [[ ! -s $INST/secret.key ]]; then
		(umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$INST/secret.key" &&
			echo >>"$INST/secret.key")
	fi
	chmod 600 "$INST/secret.key"
	if [[ -z $(ls -A "$INST/db") ]]; then
		if ! mariadb-install-db --no-defaults --datadir="$INST/db" --user=root \
			--skip-test-db --auth-root-authentication-method=socket \
			>"$INST/log/mariadb-install-db.log" 2>&1; then
			cat "$INST/log/mariadb-install-db.log" >&2
			find "$INST/db" -mindepth 1 -delete
			die "mariadb-install-db failed"
		fi
	fi
	if [[ ! -e $CONF ]]; then
		(
			umask 077
			cat >"$CONF.tmp" <<-EOF
				# glue-mfa configuration, generated by tools/instance.sh init
				db_socket = $DB_SOCK
				db_user = $DB_USER
				db_password = $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
				db_name = $DB_NAME
				secret_key_file = $INST/secret.key
				mail_transport = spool
				mail_spool_dir = $INST/mail
				mail_from = no-reply@glue-mfa.test
				# development only: serves the spool at /dev-mailbox for www/
				dev_mailbox = on
				# the MFA methods: e-mail codes, authenticator apps and
				# passkeys (contract §12); an IP address cannot be an RP
				# ID, so the pages are opened at http://localhost:$PORT
				methods = email,totp,webauthn
				webauthn_rp_id = localhost
				webauthn_rp_name = glue-mfa dev
				webauthn_origins = http://localhost:$PORT
				totp_issuer = glue-mfa dev
				# development only: many sign-ups from one address, no
				# confirmation step (contract §3.2)
				signup_limit_per_address = 5000
				signup_limit_global = 100000
				customer_confirmation = off
			EOF
			[[ -z ${GLUE_CONFIG_EXTRA:-} ]] || printf '%s\n' "$GLUE_CONFIG_EXTRA" >>"$CONF.tmp"
			mv "$CONF.tmp" "$CONF"
		)
	fi
	# The programs refuse a configuration others may read or its group
	# write (contract §7.1); tools/serve.sh makes it 0640, group www-data,
	# where www-data runs the programs.
	dev_settings_add
	chmod 600 "$CONF"
}

# A configuration generated before the sign-up limits and confirmation
# (migration 008) gets their development settings, each one it lacks.
dev_settings_add() {
	local kv
	for kv in "signup_limit_per_address = 5000" "signup_limit_global = 100000" \
		"customer_confirmation = off"; do
		grep -q "^${kv%% *}[[:space:]]*=" "$CONF" || printf '%s\n' "$kv" >>"$CONF"
	done
}

# --- database ------------------------------------------------------------

# The migration user's option file, with a generated password (once).
write_mig_cnf() {
	[[ -s $MIG_CNF ]] && return 0
	(
		umask 077
		cat >"$MIG_CNF.tmp" <<-EOF
			# glue-mfa migration user, generated by tools/instance.sh db-start
			# (tools/glue-mfa-migrate --defaults-file=$MIG_CNF)
			[client]
			user = $MIG_USER
			password = $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
			socket = $DB_SOCK
		EOF
		mv "$MIG_CNF.tmp" "$MIG_CNF"
	)
}

# db_users: the database, the runtime user (password from the config) and
# the migration user (password from its option file) with its grant
# (sql/migrate-user.sql).  The runtime user's grants come with the schema
# (cmd_migrate), as grants on tables that exist.
db_users() {
	local pw mpw
	pw=$(conf_get db_password)
	[[ -n $pw ]] || die "db_password missing in $CONF"
	write_mig_cnf
	chmod 600 "$MIG_CNF"
	mpw=$(awk -F= '/^[ \t]*password[ \t]*=/ { v = $2; gsub(/^[ \t]+|[ \t]+$/, "", v) } END { print v }' "$MIG_CNF")
	[[ -n $mpw ]] || die "password missing in $MIG_CNF"
	mariadb_root <<-EOF
		CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY $(sql_quote "$pw");
		ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY $(sql_quote "$pw");
		CREATE USER IF NOT EXISTS '$MIG_USER'@'localhost' IDENTIFIED BY $(sql_quote "$mpw");
		ALTER USER '$MIG_USER'@'localhost' IDENTIFIED BY $(sql_quote "$mpw");
	EOF
	mariadb_root <"$SQL_DIR/migrate-user.sql"
}

cmd_db_start() {
	local pid i
	[[ -d $INST/db && -e $CONF ]] || die "no instance at $INST (run init first)"
	if pid_alive "$DB_PID" "--datadir=$INST/db"; then
		say "mariadb already running (pid $(pid_of "$DB_PID"))"
		return 0
	fi
	rm -f "$DB_PID"
	setsid mariadbd --no-defaults --datadir="$INST/db" --socket="$DB_SOCK" \
		--pid-file="$DB_PID" --user=root --skip-networking \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--log-error="$INST/log/mysqld.log" \
		--innodb-buffer-pool-size=64M --performance-schema=OFF \
		--skip-name-resolve --max-connections=200 \
		</dev/null >>"$INST/log/mysqld.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		mariadb_root -e 'select 1' >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$INST/log/mysqld.log" >&2; die "mariadbd exited"; }
		sleep 0.1
	done
	((i < 200)) || { tail -n 20 "$INST/log/mysqld.log" >&2; die "mariadbd did not answer within 20 s"; }
	db_users
	say "mariadb started (pid $pid)"
}

cmd_db_stop() {
	local pid
	if ! pid_alive "$DB_PID" "--datadir=$INST/db"; then
		rm -f "$DB_PID"
		return 0
	fi
	pid=$(pid_of "$DB_PID")
	kill -TERM "$pid"
	wait_gone "$pid" 20 || die "mariadbd (pid $pid) did not exit within 20 s"
	say "mariadb stopped"
}

# The same script as `make migrate` and an installed system's
# glue-mfa-migrate, as the migration user: pending migrations, then the
# runtime user's grants (sql/grants.sql).
cmd_migrate() {
	mariadb_root -e 'select 1' >/dev/null 2>&1 || die "mariadb is not running"
	[[ -s $MIG_CNF ]] || db_users
	"$MIGRATE" --defaults-file="$MIG_CNF" --database="$DB_NAME" \
		--runtime-user="$DB_USER@localhost" --sql-dir="$SQL_DIR" ||
		die "migrating failed"
	# Instances made before least privilege granted the runtime user every
	# table at once; now that its own grants are in place, take that away.
	if [[ -n $(mariadb_root -N -B -e "SELECT 1 FROM mysql.db WHERE Db = '$DB_NAME'
		AND User = '$DB_USER' AND Host = 'localhost'") ]]; then
		mariadb_root -e "REVOKE ALL PRIVILEGES ON $DB_NAME.* FROM '$DB_USER'@'localhost'"
		say "database-wide grant of $DB_USER revoked"
	fi
}

cmd_seed() {
	[[ -x $ADMIN ]] || die "operator tool not found: $ADMIN (build first)"
	MFA_CONFIG=$CONF "$ADMIN" seed-demo
}

# --- web server ----------------------------------------------------------

lighttpd_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

# The environment the programs get: MFA_CONFIG and, when set, the sanitizer
# options, as lighttpd ("KEY" => "value") pairs.
program_env() {
	local v out
	out="\"MFA_CONFIG\" => $(lighttpd_str "$CONF")"
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[[ -n ${!v:-} ]] && out+=", \"$v\" => $(lighttpd_str "${!v}")"
	done
	printf '%s' "$out"
}

# fcgi_block URL_REGEX PROGRAM SOCKET
fcgi_block() {
	cat <<-EOF
		\$HTTP["url"] =~ $(lighttpd_str "$1") {
		    fastcgi.server = ( "/" => ( (
		        "bin-path" => $(lighttpd_str "$2"),
		        "socket" => $(lighttpd_str "$3"),
		        "check-local" => "disable",
		        "max-procs" => $PROCS,
		        "connect-timeout" => 5,
		        "read-timeout" => $BACKEND_READ_TIMEOUT,
		        "bin-environment" => ( $(program_env) )
		    ) ) )
		    $ERROR_HANDLER
		}
	EOF
}

# cgi_block URL_REGEX URL_PREFIX PROGRAM: the prefix is aliased to the
# program file, so lighttpd finds it and puts the rest into PATH_INFO.
cgi_block() {
	cat <<-EOF
		\$HTTP["url"] =~ $(lighttpd_str "$1") {
		    alias.url = ( $(lighttpd_str "$2") => $(lighttpd_str "$3") )
		    cgi.assign = ( "" => "" )
		    $ERROR_HANDLER
		}
	EOF
}

# route URL_REGEX URL_PREFIX PROGRAM SOCKET: one program, in the current mode.
route() {
	local block
	if [[ $MODE == fcgi ]]; then
		block=$(fcgi_block "$1" "$3" "$4")
	else
		block=$(cgi_block "$1" "$2" "$3")
	fi
	# Chain with "else" so the first matching route wins (addresses before
	# customers).
	printf '%s%s\n' "${ROUTE_ELSE:-}" "$block"
	ROUTE_ELSE="else "
}

# What lighttpd answers itself on a program's path when the program is
# gone (its 500, answered as 502: it died with the request; 503: none
# could take it; 504: no answer within read-timeout) or the body is too large (413): a JSON:API
# document of www/errors/ with Retry-After, by www/errors/answer.sh
# (contract §9.7), never its HTML page.  read-timeout is above the longest
# a program may take (mail_timeout and the database timeouts).
ERROR_HANDLER='server.error-handler = "/errors/answer.sh"'
BACKEND_READ_TIMEOUT=60

# errors_block: the error handler's own route (CGI, by /bin/sh, so that it
# needs no execute bit); its documents are static files beside it.
errors_block() {
	cat <<-EOF
		\$HTTP["url"] =~ "^/errors/" {
		    cgi.assign = ( ".sh" => "/bin/sh" )
		    mimetype.assign = ( ".json" => "application/vnd.api+json" )
		}
	EOF
}

# What asks for JSON (RFC 8259 or JSON:API), whatever the parameters or
# the case; the web server examples use the same expression.
ACCEPT_JSON='(?i)application/(vnd[.]api[+])?json'

# The headers of the www/ pages and their assets (contract §7.9), the same
# as every web server example sets: a policy of 'self' only, as the pages'
# own <meta> says, plus what a <meta> cannot carry (frame-ancestors).
PAGE_CSP="default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"

page_headers() {
	cat <<-EOF
		setenv.set-response-header = (
		    "Content-Security-Policy" => $(lighttpd_str "$PAGE_CSP"),
		    "X-Content-Type-Options" => "nosniff",
		    "X-Frame-Options" => "DENY",
		    "Referrer-Policy" => "no-referrer",
		    "Cross-Origin-Opener-Policy" => "same-origin"
		)
	EOF
}

# What no program route takes: the pages, with their headers.  Where
# lighttpd would answer its own 404 (no program, no file) to a request
# asked for as JSON, not-found answers instead (its route is above;
# lighttpd passes the path asked for as REQUEST_URI): a JSON:API 404 with
# X-Request-Id, and none of the pages' headers, like every API answer
# (lighttpd decides the headers before it turns to the error handler, so
# a request asking for JSON gets none; no browser asks for a page so).
# Browsers (Accept text/html, */* or none) keep lighttpd's HTML 404.
pages_block() {
	if [[ -x $BIN/not-found ]]; then
		cat <<-EOF
			\$REQUEST_HEADER["Accept"] =~ $(lighttpd_str "$ACCEPT_JSON") {
			    server.error-handler-404 = "/not-found"
			}
			else {
			$(page_headers)
			}
		EOF
	else
		page_headers
	fi
}

# The limit of requests per client address (contract §9.7): the same
# script as lighttpd.conf.example's, nginx.conf.example's figures (200 a
# second, bursts of 1000), 429 with code 124 beyond.  Every request of the
# tests comes from 127.0.0.1; the end-to-end suite stays well below it.
rate_limit_line() {
	[[ $RATE_LIMIT == on ]] || return 0
	printf 'magnet.attract-raw-url-to = ( %s )\n' "$(lighttpd_str "$REPO/etc/rate-limit.lua")"
}

write_web_conf() {
	local name modules env_line=""
	modules='"mod_access", "mod_alias", "mod_setenv", "mod_accesslog", "mod_fastcgi", "mod_cgi"'
	[[ $RATE_LIMIT == off ]] || modules="\"mod_magnet\", $modules"
	if [[ $MODE == cgi ]]; then
		env_line="setenv.add-environment = ( $(program_env), \"PATH\" => $(lighttpd_str "$PATH") )"
	fi
	{
		cat <<-EOF
			# Generated by tools/instance.sh web-start; edits are overwritten.
			server.modules = ( $modules )
			server.bind = "127.0.0.1"
			server.port = $PORT
			server.document-root = $(lighttpd_str "$REPO/www")
			server.errorlog = $(lighttpd_str "$INST/log/lighttpd-error.log")
			server.breakagelog = $(lighttpd_str "$INST/log/programs.log")
			server.pid-file = $(lighttpd_str "$WEB_PID")
			server.upload-dirs = ( $(lighttpd_str "$INST/run") )
			server.max-request-size = 64
			server.tag = "glue-mfa"
			# Limits (contract §9.7): room for many slow clients (a
			# connection costs lighttpd one descriptor, the limit is
			# checked against max-fds/2), none of them idle for long
			# while it sends its request or takes the answer, and a
			# graceful stop or restart that lets requests in flight end.
			server.max-fds = 16384
			server.max-connections = 8000
			server.listen-backlog = 1024
			server.max-read-idle = 10
			server.max-write-idle = 30
			server.max-keep-alive-idle = 5
			server.max-keep-alive-requests = 100
			server.max-request-field-size = 8192
			server.feature-flags = ( "server.graceful-shutdown-timeout" => 15 )
			$(rate_limit_line)
			accesslog.filename = $(lighttpd_str "$INST/log/lighttpd-access.log")
			index-file.names = ( "index.html" )
			url.access-deny = ( "~", ".inc" )
			mimetype.assign = (
			    ".html" => "text/html; charset=utf-8",
			    ".css" => "text/css; charset=utf-8",
			    ".js" => "text/javascript; charset=utf-8",
			    ".json" => "application/json",
			    ".svg" => "image/svg+xml",
			    ".png" => "image/png",
			    ".ico" => "image/x-icon",
			    ".txt" => "text/plain; charset=utf-8",
			    "" => "application/octet-stream"
			)
			$env_line
		EOF
		printf '%s\n' "$(errors_block)"
		ROUTE_ELSE="else "
		if [[ -x $BIN/addresses ]]; then
			route '^/customers/[^/]+/addresses(/|$)' /customers "$BIN/addresses" \
				"$INST/run/addresses.sock"
		fi
		for name in $(programs "$BIN"); do
			[[ $name == addresses ]] && continue
			route "^/$name(/|\$)" "/$name" "$BIN/$name" "$INST/run/$name.sock"
		done
		for name in $(programs "$BIN/backend"); do
			route "^/backend/$name(/|\$)" "/backend/$name" "$BIN/backend/$name" \
				"$INST/run/backend-$name.sock"
		done
		# RFC 8414 metadata of each side's token endpoint (contract
		# §10.5), the back office's at the path §3.1 inserts "/backend"
		# into; served by the token programs, on sockets of their own.
		if [[ -x $BIN/token ]]; then
			route '^/[.]well-known/oauth-authorization-server$' \
				/.well-known/oauth-authorization-server "$BIN/token" \
				"$INST/run/token-metadata.sock"
		fi
		if [[ -x $BIN/backend/token ]]; then
			route '^/[.]well-known/oauth-authorization-server/backend$' \
				/.well-known/oauth-authorization-server/backend \
				"$BIN/backend/token" "$INST/run/backend-token-metadata.sock"
		fi
		if [[ -n $BENCH_BIN ]]; then
			[[ -d $BENCH_BIN ]] || die "GLUE_BENCH_BIN is not a directory: $BENCH_BIN"
			for name in $(programs "$BENCH_BIN"); do
				# Benchmark programs are FastCGI whatever the mode.
				printf '%s%s\n' "$ROUTE_ELSE" "$(fcgi_block "^/bench/$name(/|\$)" \
					"$BENCH_BIN/$name" "$INST/run/bench-$name.sock")"
				ROUTE_ELSE="else "
			done
		fi
		if [[ -n $ROUTE_ELSE ]]; then
			printf 'else {\n%s\n}\n' "$(pages_block)"
		else
			pages_block
		fi
	} >"$WEB_CONF.tmp"
	mv "$WEB_CONF.tmp" "$WEB_CONF"
}

# write_web_conf_checked: the configuration, checked by lighttpd before it
# replaces the current one; RESTART_LOG_LINES is the error log's length.
write_web_conf_checked() {
	local live=$WEB_CONF
	WEB_CONF=$live.new
	write_web_conf
	WEB_CONF=$live
	if ! lighttpd -tt -f "$WEB_CONF.new" >"$INST/log/lighttpd-check.log" 2>&1; then
		cat "$INST/log/lighttpd-check.log" >&2
		die "lighttpd rejects the configuration (kept in $WEB_CONF.new)"
	fi
	mv "$WEB_CONF.new" "$WEB_CONF"
	RESTART_LOG_LINES=0
	[[ ! -e $INST/log/lighttpd-error.log ]] ||
		RESTART_LOG_LINES=$(wc -l <"$INST/log/lighttpd-error.log")
}

cmd_web_start() {
	local pid i
	check_settings
	[[ -d $INST/run && -e $CONF ]] || die "no instance at $INST (run init first)"
	if pid_alive "$WEB_PID" "$WEB_CONF"; then
		say "lighttpd already running (pid $(pid_of "$WEB_PID"), port $PORT)"
		return 0
	fi
	rm -f "$WEB_PID"
	[[ -n $(programs "$BIN") || -n $(programs "$BIN/backend") ]] ||
		say "warning: no programs in $BIN (build first?)" >&2
	port_answers && die "port $PORT is already in use (set PORT=...)"
	write_web_conf_checked
	# Leftovers of a crash would answer instead of freshly spawned programs.
	reap_fastcgi
	setsid lighttpd -D -f "$WEB_CONF" </dev/null >>"$INST/log/lighttpd.out" 2>&1 &
	pid=$!
	echo "$pid" >"$WEB_PID"
	for ((i = 0; i < 100; i++)); do
		port_answers && break
		kill -0 "$pid" 2>/dev/null || {
			tail -n 8 "$INST/log/lighttpd-error.log" "$INST/log/lighttpd.out" \
				"$INST/log/programs.log" >&2 || true
			reap_fastcgi
			die "lighttpd exited (a program that fails at start-up stops it; see above)"
		}
		sleep 0.1
	done
	((i < 100)) || die "lighttpd did not answer on port $PORT within 10 s"
	say "lighttpd started (pid $pid, $MODE, port $PORT)"
}

# reap_fastcgi: with lighttpd gone, terminate any process still holding one
# of its FastCGI sockets (lighttpd normally stops them itself; a killed
# lighttpd leaves them behind), then remove the sockets.
reap_fastcgi() {
	local pid left socks
	mapfile -t socks < <(run_sockets)
	((${#socks[@]})) || return 0
	left=$(socket_pids "${socks[@]}" | tr '\n' ' ')
	if [[ -n $left ]]; then
		say "warning: FastCGI processes left behind, terminating: $left" >&2
		# shellcheck disable=SC2086
		kill -TERM $left 2>/dev/null || true
		for pid in $left; do
			wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
		done
	fi
	rm -f "${socks[@]}"
}

# A graceful stop (SIGINT): lighttpd stops accepting, lets the requests in
# flight end (at most server.graceful-shutdown-timeout, 15 s, then it
# closes what is left) and stops the programs.  SIGTERM after 25 s.
cmd_web_stop() {
	local pid
	if pid_alive "$WEB_PID" "$WEB_CONF"; then
		pid=$(pid_of "$WEB_PID")
		kill -INT "$pid"
		if ! wait_gone "$pid" 25; then
			say "warning: lighttpd (pid $pid) still draining after 25 s; terminating" >&2
			kill -TERM "$pid" 2>/dev/null || true
			wait_gone "$pid" 10 || die "lighttpd (pid $pid) did not exit"
		fi
		say "lighttpd stopped"
	fi
	rm -f "$WEB_PID"
	reap_fastcgi
}

# A graceful restart (SIGUSR1) with a freshly written configuration:
# lighttpd stops accepting, lets the requests in flight end (as a graceful
# stop does), stops the programs, reads the configuration again and starts
# anew in the same process, which keeps its listening socket, so a client
# only waits; during the switch a connection may be refused.  The new
# configuration is checked first: one lighttpd rejects leaves the running
# server as it was.
cmd_restart_web() {
	local pid i
	check_settings
	if ! pid_alive "$WEB_PID" "$WEB_CONF"; then
		cmd_web_start
		return
	fi
	pid=$(pid_of "$WEB_PID")
	write_web_conf_checked
	kill -USR1 "$pid"
	# Wait until the new generation answers: the old one is gone once
	# the error log says so; then the port answers again.
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || {
			tail -n 8 "$INST/log/lighttpd-error.log" "$INST/log/programs.log" >&2 || true
			rm -f "$WEB_PID"
			reap_fastcgi
			die "lighttpd exited on restart (see above)"
		}
		restart_done "$pid" && port_answers && break
		sleep 0.1
	done
	((i < 300)) || die "lighttpd did not answer within 30 s of its restart"
	say "lighttpd restarted gracefully (pid $pid, $MODE, port $PORT)"
}

# restart_done PID: the error log has a "server started" line after the
# last "graceful" line written since the restart was asked for.
restart_done() {
	awk -v from="$RESTART_LOG_LINES" '
		NR > from && /graceful/ { g = NR }
		NR > from && /server started/ { s = NR }
		END { exit !(g && s > g) }' "$INST/log/lighttpd-error.log"
}

# --- whole instance ------------------------------------------------------

print_urls() {
	cat <<-EOF

		  Storefront API  http://127.0.0.1:$PORT/<resource>
		  Backend API     http://127.0.0.1:$PORT/backend/<resource>
		  Pages           http://127.0.0.1:$PORT/
		  Pages, passkeys http://localhost:$PORT/ (the webauthn origin)
		  Demo customer   sonia@example.com / change123 (reference DE--1)
		  Demo user       admin@example.com / change123
		  Instance        $INST (config $CONF)

	EOF
}

# A start that fails at any step (or is interrupted) stops what it started
# itself, MariaDB and lighttpd (what already ran before it is left
# running), and says which step failed; the next start then starts anew.
START_STEP=""
START_DONE=1
cmd_start() {
	check_settings
	if pid_alive "$DB_PID" "--datadir=$INST/db" && pid_alive "$WEB_PID" "$WEB_CONF"; then
		say "already running (instance $INST)"
		print_urls
		return 0
	fi
	START_DB_RAN=0
	START_WEB_RAN=0
	pid_alive "$DB_PID" "--datadir=$INST/db" && START_DB_RAN=1
	pid_alive "$WEB_PID" "$WEB_CONF" && START_WEB_RAN=1
	START_DONE=0
	trap start_cleanup EXIT
	START_STEP="init (instance directory, configuration)"
	cmd_init
	START_STEP="db-start (MariaDB)"
	cmd_db_start
	START_STEP="migrate (schema and grants)"
	cmd_migrate
	START_STEP="seed (the operator tool, which reads the configuration)"
	cmd_seed
	START_STEP="web-start (lighttpd and the programs, which read the configuration)"
	cmd_web_start
	START_DONE=1
	trap - EXIT
	[[ -z ${RUN_TRAP:-} ]] || trap "$RUN_TRAP" EXIT
	print_urls
}

start_cleanup() {
	local rc=$?
	trap - EXIT
	if ((START_DONE == 0)); then
		((rc != 0)) || rc=1
		printf 'instance.sh: start failed at step %s; stopping what it started\n' \
			"$START_STEP" >&2
		if ((START_WEB_RAN == 0)); then
			cmd_web_stop >/dev/null 2>&1 || say "warning: could not stop lighttpd" >&2
		fi
		if ((START_DB_RAN == 0)); then
			cmd_db_stop >/dev/null 2>&1 || say "warning: could not stop mariadb" >&2
		fi
		pid_alive "$DB_PID" "--datadir=$INST/db" && ((START_DB_RAN == 0)) &&
			say "warning: mariadb still running" >&2
		say "instance.sh: stopped; fix the cause and start again" >&2
	fi
	exit "$rc"
}

cmd_stop() {
	cmd_web_stop
	cmd_db_stop
}

cmd_status() {
	local pids socks
	say "instance  $INST"
	if pid_alive "$DB_PID" "--datadir=$INST/db"; then
		say "mariadb   running (pid $(pid_of "$DB_PID"), socket $DB_SOCK)"
	else
		say "mariadb   stopped"
	fi
	if pid_alive "$WEB_PID" "$WEB_CONF"; then
		say "lighttpd  running (pid $(pid_of "$WEB_PID"), $(grep -m1 '^server.port' "$WEB_CONF" | tr -d ' '))"
	else
		say "lighttpd  stopped"
	fi
	mapfile -t socks < <(run_sockets)
	pids=$(socket_pids "${socks[@]}" | tr '\n' ' ')
	say "fastcgi   ${pids:-none}"
}

cmd_run() {
	local sleeper=""
	# Whatever ends this (Ctrl-C, TERM), stop what runs; a start that
	# fails stops what it started itself (cmd_start), then this trap
	# comes back.
	RUN_TRAP='[[ -z $sleeper ]] || kill "$sleeper" 2>/dev/null; trap - EXIT; cmd_stop'
	trap 'say; exit 0' INT TERM
	cmd_start
	trap "$RUN_TRAP" EXIT
	say "Serving; Ctrl-C stops everything."
	while :; do
		sleep 3600 &
		sleeper=$!
		wait "$sleeper" || true
	done
}

usage() {
	sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

case ${1:-} in
deps) cmd_deps "${2:-}" ;;
init) cmd_init ;;
db-start) cmd_db_start ;;
db-stop) cmd_db_stop ;;
migrate) cmd_migrate ;;
seed) cmd_seed ;;
web-start) cmd_web_start ;;
web-stop) cmd_web_stop ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
run) cmd_run ;;
restart-web) cmd_restart_web ;;
*) usage ;;
esac
