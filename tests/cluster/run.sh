#!/usr/bin/env bash
# tests/cluster/run.sh: the Galera cluster suite (make test-cluster; README:
# "The cluster suite").  Builds the test variant, then, in a fresh
# directory under CLUSTER_TMP (default /tmp, mode 0711):
#   - three MariaDB Galera nodes on 127.0.0.1, each with its own datadir,
#     socket and ports; node 1 starts the cluster (--wsrep-new-cluster),
#     nodes 2 and 3 join it by SST (rsync);
#   - the schema, users and grants applied through node 1 (the same
#     tools/glue-mfa-migrate tools/instance.sh runs), replicated to the
#     others;
#   - two web nodes (tools/instance.sh web-start: lighttpd + the programs of
#     the test build), one configuration and one secret key, web node A on
#     DB node 1 and web node B on DB node 2 (multi-writer); DB node 3 serves
#     no web node;
# then runs the proofs (tests/cluster/cluster.py; CLUSTER_ONLY=name,...
# runs only those) and stops everything it started by pid, also on failure
# or interrupt.  Logs are kept in var/cluster/log.  The proofs' last line
# is "N passed, M failed" (checks); the time taken follows it.
#
# Ports: CLUSTER_PORT (default 18500) .. CLUSTER_PORT + 13: web A, web B,
# DB client ports (3), wsrep group (3), IST (3), SST (3).  CLUSTER_RUN, when
# set, is run instead of the proofs, with the same environment
# (bench/cluster.sh uses it).

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$REPO" || exit 1
PY=/usr/bin/python3
KEEP=$REPO/var/cluster
TMP_ROOT=${CLUSTER_TMP:-/tmp}
BASE=${CLUSTER_PORT:-18500}
JOBS=$(nproc 2>/dev/null || echo 2)
GALERA=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
C=""
# The nodes run as the mysql account (the mariadb-server package's), not
# as root: the joiner's side of an rsync SST is an rsync daemon started by
# mariadbd, and a daemon started by root writes as nobody, which cannot
# enter a datadir of root's; one started by mysql writes as mysql.
DB_OS_USER=mysql
# How soon a node that stopped answering is left behind: keep-alives every
# 0.5 s, suspected after 2 s, out after 3 s (Galera's defaults: 1, 5, 15 s).
# Below db_read_timeout (2 s) plus a retry, so that a COMMIT that waits for
# the group while a node dies is answered, not timed out.
EVS="evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;evs.install_timeout=PT3S;evs.inactive_check_period=PT0.5S"

export GLUE_PROCS=${GLUE_PROCS:-2} GLUE_MODE=fcgi GLUE_RATE_LIMIT=off
export GLUE_BIN=$REPO/build/test/cgi-bin
export GLUE_ADMIN=$REPO/build/test/bin/glue-mfa-admin
unset GLUE_BENCH_BIN GLUE_SQL ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

WEB_A=$BASE
WEB_B=$((BASE + 1))
db_port() { echo $((BASE + 1 + $1)); }     # 1..3 -> BASE+2..4
gcomm_port() { echo $((BASE + 4 + $1)); }  # BASE+5..7
ist_port() { echo $((BASE + 7 + $1)); }    # BASE+8..10
sst_port() { echo $((BASE + 10 + $1)); }   # BASE+11..13

say() { printf 'test-cluster: %s\n' "$*"; }

# node_pid N: the pid of DB node N when it runs (its pid file, checked
# against its command line: a recycled pid is not ours).
node_pid() {
	local f=$C/db$1/run/mysqld.pid pid
	[[ -s $f ]] || return 1
	pid=$(<"$f")
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' </proc/"$pid"/cmdline | grep -qF -- "--datadir=$C/db$1/data " || return 1
	echo "$pid"
}

node_sql() {
	local n=$1
	shift
	mariadb --no-defaults --socket="$C/db$n/run/mysqld.sock" -u root -N -B "$@"
}

node_status() {
	node_sql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{ print $2 }'
}

# node_start N [--wsrep-new-cluster]: start DB node N and wait until it is
# Synced (a joiner receives its state by SST first, or IST when it comes
# back with its gcache position).
node_start() {
	local n=$1 d=$C/db$1 i pid state peers
	shift
	mkdir -p "$d/data" "$d/run" "$d/log"
	chown -R "$DB_OS_USER:" "$d"
	chmod 700 "$d/data"
	peers="127.0.0.1:$(gcomm_port 1),127.0.0.1:$(gcomm_port 2),127.0.0.1:$(gcomm_port 3)"
	rm -f "$d/run/mysqld.pid"
	# After a crash (kill -9) grastate.dat says seqno -1: the position is
	# recovered from InnoDB first (what Debian's galera_recovery does for
	# systemd), so the node asks for IST from there, not for a whole SST.
	if grep -q '^seqno: *-1' "$d/data/grastate.dat" 2>/dev/null; then
		local pos
		mariadbd --no-defaults --datadir="$d/data" --user="$DB_OS_USER" \
			--skip-networking --socket="$d/run/recover.sock" \
			--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
			--binlog-format=ROW --innodb-autoinc-lock-mode=2 \
			--wsrep-on=ON --wsrep-provider="$GALERA" --wsrep-recover \
			--wsrep-cluster-address="gcomm://$peers" --wsrep-sst-method=rsync \
			--log-error="$d/log/recover.log" </dev/null >"$d/log/recover.out" 2>&1
		pos=$(grep -a 'WSREP: Recovered position:' "$d/log/recover.log" | tail -n 1 |
			sed 's/.*Recovered position: *//')
		[[ -n $pos ]] && set -- "$@" --wsrep-start-position="$pos"
		say "DB node $n: recovered position ${pos:-none}"
	fi
	setsid mariadbd --no-defaults --datadir="$d/data" --socket="$d/run/mysqld.sock" \
		--pid-file="$d/run/mysqld.pid" --user="$DB_OS_USER" \
		--bind-address=127.0.0.1 --port="$(db_port "$n")" \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--log-error="$d/log/mysqld.log" \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--performance-schema=OFF --skip-name-resolve --max-connections=200 \
		--binlog-format=ROW --default-storage-engine=InnoDB \
		--innodb-autoinc-lock-mode=2 --innodb-flush-log-at-trx-commit=2 \
		--wsrep-on=ON --wsrep-provider="$GALERA" \
		--wsrep-cluster-name=glue-mfa-test --wsrep-cluster-address="gcomm://$peers" \
		--wsrep-node-name="db$n" --wsrep-node-address="127.0.0.1:$(gcomm_port "$n")" \
		--wsrep-sst-method=rsync \
		--wsrep-sst-receive-address="127.0.0.1:$(sst_port "$n")" \
		--wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=64M;gcs.fc_limit=128;$EVS" \
		--wsrep-slave-threads=4 \
		"$@" </dev/null >>"$d/log/mysqld.out" 2>&1 8>&- &
	# no "Killed" notice from this shell when a proof kills it
	disown $!
	for ((i = 0; i < 600; i++)); do
		state=$(node_status "$n" wsrep_local_state_comment)
		[[ $state == Synced ]] && break
		if ! kill -0 $! 2>/dev/null; then
			tail -n 30 "$d/log/mysqld.log" >&2
			say "DB node $n exited"
			return 1
		fi
		sleep 0.1
	done
	((i < 600)) || { tail -n 30 "$d/log/mysqld.log" >&2; say "DB node $n not Synced within 60 s"; return 1; }
	pid=$(node_pid "$n") || { say "DB node $n: no pid file"; return 1; }
	say "DB node $n Synced (pid $pid, size $(node_status "$n" wsrep_cluster_size))"
}

node_stop() {
	local pid i
	pid=$(node_pid "$1") || return 0
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	say "DB node $1 (pid $pid) did not stop within 30 s: killed"
	return 1
}

web() {
	local w=$1
	shift
	GLUE_INSTANCE=$C/web$w PORT=$([[ $w == A ]] && echo "$WEB_A" || echo "$WEB_B") \
		tools/instance.sh "$@"
}

# What cluster.py asks for while the suite runs (CLUSTER_DIR is the
# cluster's directory): start DB node N again (it rejoins; by IST when the
# cluster's gcache still holds what it missed).
if [[ ${1:-} == node-start ]]; then
	C=${CLUSTER_DIR:?}
	node_start "$2" >&2
	exit
fi

finish() {
	local rc=$? n ok=1
	trap - EXIT INT TERM
	if [[ -n $C && -d $C ]]; then
		web A web-stop >/dev/null 2>&1 || ok=0
		web B web-stop >/dev/null 2>&1 || ok=0
		for n in 3 2 1; do node_stop "$n" || ok=0; done
		for n in 1 2 3; do node_pid "$n" >/dev/null && ok=0; done
		rm -rf "$KEEP"
		mkdir -p "$KEEP/log"
		for n in 1 2 3; do cp -R "$C/db$n/log" "$KEEP/log/db$n" 2>/dev/null || true; done
		cp -R "$C/webA/log" "$KEEP/log/webA" 2>/dev/null || true
		cp -R "$C/webB/log" "$KEEP/log/webB" 2>/dev/null || true
		if ((rc != 0)); then
			# what CI keeps is this output: the programs' errors with it
			for w in A B; do
				say "web node $w: the programs' last errors (of $KEEP/log/web$w/programs.log):"
				grep -h ' error: ' "$KEEP/log/web$w/programs.log" 2>/dev/null | tail -n 20 | sed 's/^/  /'
			done
		fi
		if ((ok)); then
			rm -rf "$C"
			rm -f "$REPO/var/cluster.inst"
		else
			say "something in $C would not stop; left in place"
			rc=1
		fi
	fi
	exit "$rc"
}
trap finish EXIT
trap 'echo; say "interrupted"; exit 130' INT TERM

((EUID == 0)) || { say "must run as root (like tools/test.sh)"; exit 1; }
id "$DB_OS_USER" >/dev/null 2>&1 || { say "no $DB_OS_USER account (Debian: mariadb-server)"; exit 1; }
[[ -r $GALERA ]] || { say "no Galera provider at $GALERA (Debian: galera-4)"; exit 1; }
command -v rsync >/dev/null || { say "rsync missing (the SST method; Debian: rsync)"; exit 1; }
mkdir -p "$REPO/var"
exec 8>"$REPO/var/cluster.lock"
flock -n 8 || { say "another run holds var/cluster.lock"; exit 1; }
# What a killed run left behind: its processes, found by their pid files.
if [[ -s $REPO/var/cluster.inst ]]; then
	old=$(<"$REPO/var/cluster.inst")
	if [[ $old == */glue-cluster.* && -d $old ]]; then
		C=$old
		web A web-stop >/dev/null 2>&1
		web B web-stop >/dev/null 2>&1
		for n in 3 2 1; do node_stop "$n"; done
		rm -rf "$old"
	fi
	rm -f "$REPO/var/cluster.inst"
	C=""
fi

t0=$SECONDS
make --no-print-directory -s -j"$JOBS" VARIANT=test all || { say "build failed"; exit 1; }
C=$(mktemp -d "$TMP_ROOT/glue-cluster.XXXXXX") || { say "mktemp failed"; exit 1; }
echo "$C" >"$REPO/var/cluster.inst"
chmod 0711 "$C"
say "cluster in $C, ports $BASE-$((BASE + 13))"

# --- the database nodes ----------------------------------------------------

mkdir -p "$C/db1/data" "$C/db1/log"
chown -R "$DB_OS_USER:" "$C/db1"
if ! mariadb-install-db --no-defaults --datadir="$C/db1/data" --user="$DB_OS_USER" \
	--skip-test-db --auth-root-authentication-method=socket \
	>"$C/db1/log/mariadb-install-db.log" 2>&1; then
	cat "$C/db1/log/mariadb-install-db.log" >&2
	say "mariadb-install-db failed"
	exit 1
fi
node_start 1 --wsrep-new-cluster || exit 1
node_start 2 || exit 1
node_start 3 || exit 1
t_db=$SECONDS

# --- one configuration, one key; the schema through node 1 -------------------

umask 077
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$C/secret.key"
echo >>"$C/secret.key"
mkdir -p "$C/mail"
PW=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
MPW=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat >"$C/glue-mfa.conf" <<EOF
# glue-mfa configuration of both web nodes (tests/cluster/run.sh); each
# node's copy differs only in db_socket
db_socket = @SOCKET@
db_user = glue_mfa
db_password = $PW
db_name = glue_mfa
db_wsrep_sync_wait = ${CLUSTER_SYNC_WAIT:-1}
# above the time the group takes to drop a node that died (evs.suspect_timeout
# and the new view, EVS below): a statement that waits for the group then is
# answered, not timed out (README: "Galera")
db_read_timeout = ${CLUSTER_READ_TIMEOUT:-5}
secret_key_file = $C/secret.key
mail_transport = spool
mail_spool_dir = $C/mail
mail_from = no-reply@glue-mfa.test
methods = email,totp
signup_limit_per_address = 100000
signup_limit_global = 1000000
customer_confirmation = off
# the load sends a code per protected write: no cool-down, room per day
resend_cooldown = 0
daily_send_cap = 10000
daily_recipient_cap = 100000
# test build: the proof commit_conflict names a fault point here
test_fault_file = $C/fault
EOF
umask 022
node_sql 1 <<EOF || { say "creating the users failed"; exit 1; }
CREATE DATABASE glue_mfa CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'glue_mfa'@'localhost' IDENTIFIED BY '$PW';
CREATE USER 'glue_mfa_migrate'@'localhost' IDENTIFIED BY '$MPW';
EOF
node_sql 1 <sql/migrate-user.sql || { say "sql/migrate-user.sql failed"; exit 1; }
(umask 077 && printf '[client]\nuser = glue_mfa_migrate\npassword = %s\nsocket = %s\n' \
	"$MPW" "$C/db1/run/mysqld.sock" >"$C/migrate.cnf")
if ! tools/glue-mfa-migrate --defaults-file="$C/migrate.cnf" --database=glue_mfa \
	--runtime-user=glue_mfa@localhost --sql-dir="$REPO/sql" >"$C/db1/log/migrate.log" 2>&1; then
	cat "$C/db1/log/migrate.log" >&2
	say "migrating through node 1 failed"
	exit 1
fi

# --- the web nodes -------------------------------------------------------------

for w in A B; do
	n=$([[ $w == A ]] && echo 1 || echo 2)
	mkdir -p "$C/web$w/run" "$C/web$w/log"
	chmod 0711 "$C/web$w"
	sed "s|@SOCKET@|$C/db$n/run/mysqld.sock|" "$C/glue-mfa.conf" >"$C/web$w/glue-mfa.conf"
	chmod 600 "$C/web$w/glue-mfa.conf"
	# (8>&-: the servers do not hold var/cluster.lock)
	web "$w" web-start >/dev/null 8>&- || { say "web node $w did not start"; exit 1; }
done
say "set up in $((SECONDS - t0)) s (DB nodes $((t_db - t0)) s): web A :$WEB_A -> DB 1, web B :$WEB_B -> DB 2"

# --- the proofs ------------------------------------------------------------------

export CLUSTER_DIR=$C CLUSTER_PORT=$BASE GLUE_ROOT=$REPO
if [[ -n ${CLUSTER_RUN:-} ]]; then
	# another command instead of the proofs (bench/cluster.sh --inside)
	$CLUSTER_RUN
else
	$PY tests/cluster/cluster.py
fi
rc=$?
say "took $((SECONDS - t0)) s"
exit "$rc"
