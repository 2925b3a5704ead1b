/*
 * The only SQL.  One connection per process, opened before the first
 * request; each statement in sql_text[] is prepared on first use and kept
 * for the life of the connection.  A connection found gone (server restart)
 * is re-opened on the next call; while the server is down calls fail fast
 * and db_unavailable() tells the caller to answer 503.
 *
 * Time is always passed in as a parameter (never NOW()), so the clock is
 * the programs' own: one clock for every decision, and testable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "glue.h"

#define MAX_BINDS	16

static const char *const sql_text[S__COUNT] = {
	/*
	 * The token and the account's row, in one round trip, at three
	 * levels (struct account in glue.h): plain; with the account's MFA
	 * methods; in full, with the codes in a grace window for this very
	 * token and the lockout too.  The MFA parts cost the database more
	 * than the rest together, so a request asks only for what it uses.
	 */
#define AUTH_METHODS \
	    " (SELECT GROUP_CONCAT(m.type, '=', m.status) FROM mfa_methods m" \
	    " WHERE m.side = t.side AND m.account_id = t.account_id),"
#define AUTH_GRACE \
	    " (SELECT GROUP_CONCAT(c.id, ':', c.type, ':', HEX(c.code_hash))" \
	    " FROM mfa_codes c WHERE c.used_token_hash = t.token_hash" \
	    " AND c.state = 1 AND c.grace_until > ?)," \
	    " (SELECT l.locked_until FROM mfa_lockouts l WHERE l.side = t.side" \
	    " AND l.account_id = t.account_id),"
#define AUTH_CUSTOMER \
	    " a.email, a.salutation, a.first_name, a.last_name, a.created_at," \
	    " a.updated_at FROM access_tokens t" \
	    " JOIN customers a ON a.id = t.account_id"
	/* A user's token works only while the user is active. */
#define AUTH_USER \
	    " a.username, a.uuid, a.first_name, a.last_name, a.created_at," \
	    " a.updated_at FROM access_tokens t" \
	    " JOIN users a ON a.id = t.account_id AND a.status = 1"
#define AUTH_WHERE \
	    " WHERE t.token_hash = ? AND t.side = ? AND t.revoked = 0" \
	    " AND t.expires_at > ?"
	[S_AUTH_CUSTOMER] = "SELECT t.id, t.account_id, t.family_id, '', '', 0,"
	    AUTH_CUSTOMER AUTH_WHERE,
	[S_AUTH_CUSTOMER_METHODS] = "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS " '', 0," AUTH_CUSTOMER AUTH_WHERE,
	[S_AUTH_CUSTOMER_FULL] = "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS AUTH_GRACE AUTH_CUSTOMER AUTH_WHERE,
	[S_AUTH_USER] = "SELECT t.id, t.account_id, t.family_id, '', '', 0,"
	    AUTH_USER AUTH_WHERE,
	[S_AUTH_USER_METHODS] = "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS " '', 0," AUTH_USER AUTH_WHERE,
	[S_AUTH_USER_FULL] = "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS AUTH_GRACE AUTH_USER AUTH_WHERE,
	[S_ACCESS_INSERT] =
	    "INSERT INTO access_tokens (side, account_id, family_id,"
	    " token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	[S_ACCESS_REVOKE_ONE] =
	    "UPDATE access_tokens SET revoked = 1 WHERE id = ?",
	[S_ACCESS_REVOKE_FAMILY] =
	    "UPDATE access_tokens SET revoked = 1"
	    " WHERE family_id = ? AND side = ?",
	[S_ACCESS_REVOKE_OTHERS] =
	    "UPDATE access_tokens SET revoked = 1"
	    " WHERE side = ? AND account_id = ? AND id <> ?",
	[S_ACCESS_DELETE_ACCOUNT] =
	    "DELETE FROM access_tokens WHERE side = ? AND account_id = ?",
	[S_REFRESH_BY_HASH] =
	    "SELECT id, account_id, family_id, used, revoked, expires_at"
	    " FROM refresh_tokens WHERE token_hash = ? AND side = ?",
	[S_REFRESH_INSERT] =
	    "INSERT INTO refresh_tokens (side, account_id, family_id,"
	    " token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	[S_REFRESH_USE] =
	    "UPDATE refresh_tokens SET used = 1 WHERE id = ? AND used = 0"
	    " AND revoked = 0 AND expires_at > ?",
	[S_REFRESH_REVOKE_FAMILY] =
	    "UPDATE refresh_tokens SET revoked = 1"
	    " WHERE family_id = ? AND side = ?",
	[S_REFRESH_REVOKE_ACCOUNT] =
	    "UPDATE refresh_tokens SET revoked = 1"
	    " WHERE side = ? AND account_id = ?",
	[S_REFRESH_REVOKE_ONE] =
	    "UPDATE refresh_tokens SET revoked = 1"
	    " WHERE token_hash = ? AND side = ? AND account_id = ?",
	[S_REFRESH_DELETE_ACCOUNT] =
	    "DELETE FROM refresh_tokens WHERE side = ? AND account_id = ?",
	[S_LOGIN_FAILURES_GET] =
	    "SELECT failures, window_start, scope = ? FROM login_failures"
	    " WHERE scope IN (?, ?) AND window_start > ?",
	/* Order matters: failures is computed from the old window_start. */
	[S_LOGIN_FAILURE_ADD] =
	    "INSERT INTO login_failures (scope, failures, window_start)"
	    " VALUES (?, 1, ?), (?, 1, ?) ON DUPLICATE KEY UPDATE"
	    " failures = IF(window_start <= ?, 1, failures + 1),"
	    " window_start = IF(window_start <= ?, VALUES(window_start),"
	    " window_start)",
	[S_LOGIN_FAILURE_CLEAR] =
	    "DELETE FROM login_failures WHERE scope = ?",
	[S_CUSTOMER_LOGIN] =
	    "SELECT id, password_hash, 1 FROM customers WHERE email = ?",
	[S_CUSTOMER_INSERT] =
	    "INSERT INTO customers (email, password_hash, salutation,"
	    " first_name, last_name, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_CUSTOMER_UPDATE] =
	    "UPDATE customers SET email = COALESCE(?, email),"
	    " salutation = COALESCE(?, salutation),"
	    " first_name = COALESCE(?, first_name),"
	    " last_name = COALESCE(?, last_name), updated_at = ?"
	    " WHERE id = ?",
	[S_CUSTOMER_DELETE] =
	    "DELETE FROM customers WHERE id = ?",
	[S_CUSTOMER_PASSWORD_GET] =
	    "SELECT password_hash FROM customers WHERE id = ?",
	[S_CUSTOMER_PASSWORD_SET] =
	    "UPDATE customers SET password_hash = ?, updated_at = ?"
	    " WHERE id = ?",
	[S_CUSTOMER_LOCK] =
	    "SELECT id FROM customers WHERE id = ? FOR UPDATE",
	[S_ADDRESS_LIST] =
	    "SELECT uuid, salutation, first_name, last_name, address1,"
	    " address2, zip_code, city, iso2_code, is_default_shipping,"
	    " is_default_billing FROM addresses WHERE customer_id = ?"
	    " ORDER BY id",
	[S_ADDRESS_GET] =
	    "SELECT uuid, salutation, first_name, last_name, address1,"
	    " address2, zip_code, city, iso2_code, is_default_shipping,"
	    " is_default_billing FROM addresses WHERE customer_id = ?"
	    " AND uuid = ?",
	[S_ADDRESS_COUNT] =
	    "SELECT COUNT(*) FROM addresses WHERE customer_id = ?",
	[S_ADDRESS_INSERT] =
	    "INSERT INTO addresses (uuid, customer_id, salutation, first_name,"
	    " last_name, address1, address2, zip_code, city, iso2_code,"
	    " is_default_shipping, is_default_billing, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_ADDRESS_UPDATE] =
	    "UPDATE addresses SET salutation = COALESCE(?, salutation),"
	    " first_name = COALESCE(?, first_name),"
	    " last_name = COALESCE(?, last_name),"
	    " address1 = COALESCE(?, address1),"
	    " address2 = COALESCE(?, address2),"
	    " zip_code = COALESCE(?, zip_code), city = COALESCE(?, city),"
	    " iso2_code = COALESCE(?, iso2_code),"
	    " is_default_shipping = COALESCE(?, is_default_shipping),"
	    " is_default_billing = COALESCE(?, is_default_billing),"
	    " updated_at = ? WHERE customer_id = ? AND uuid = ?",
	[S_ADDRESS_DELETE] =
	    "DELETE FROM addresses WHERE customer_id = ? AND uuid = ?",
	[S_ADDRESS_CLEAR_SHIPPING] =
	    "UPDATE addresses SET is_default_shipping = 0"
	    " WHERE customer_id = ? AND uuid <> ?",
	[S_ADDRESS_CLEAR_BILLING] =
	    "UPDATE addresses SET is_default_billing = 0"
	    " WHERE customer_id = ? AND uuid <> ?",
	[S_CUSTOMER_CONTACT] =
	    "SELECT email FROM customers WHERE id = ?",
	[S_USER_CONTACT] =
	    "SELECT username FROM users WHERE id = ?",
	[S_MFA_METHODS] =
	    "SELECT type, status FROM mfa_methods"
	    " WHERE side = ? AND account_id = ?",
	[S_MFA_METHOD_PENDING] =
	    "INSERT INTO mfa_methods (side, account_id, type, status,"
	    " updated_at) VALUES (?, ?, ?, 1, ?) ON DUPLICATE KEY UPDATE"
	    " status = 1, updated_at = VALUES(updated_at)",
	[S_MFA_METHOD_ACTIVATE] =
	    "UPDATE mfa_methods SET status = 2, updated_at = ?"
	    " WHERE side = ? AND account_id = ? AND type = ? AND status = 1",
	[S_MFA_METHOD_DEACTIVATE] =
	    "UPDATE mfa_methods SET status = 0, updated_at = ?"
	    " WHERE side = ? AND account_id = ? AND type = ? AND status = 2",
	/* Live codes and codes in a grace window, newest first, with their
	 * method's status. */
	[S_MFA_CODES] =
	    "SELECT c.id, c.type, c.code_hash, c.state, c.used_token_hash,"
	    " COALESCE(m.status, 0)"
	    " FROM mfa_codes c"
	    " LEFT JOIN mfa_methods m ON m.side = c.side"
	    " AND m.account_id = c.account_id AND m.type = c.type"
	    " WHERE c.side = ? AND c.account_id = ?"
	    " AND ((c.state = 0 AND c.expires_at > ?)"
	    " OR (c.state = 1 AND c.grace_until > ?))"
	    " ORDER BY c.created_at DESC LIMIT 32",
	/* Creates the account's lock row if needed, and takes its lock. */
	[S_MFA_LOCK_INIT] =
	    "INSERT INTO mfa_lockouts (side, account_id) VALUES (?, ?)"
	    " ON DUPLICATE KEY UPDATE failures = failures",
	[S_MFA_LOCK_GET] =
	    "SELECT failures, lockouts, locked_until FROM mfa_lockouts"
	    " WHERE side = ? AND account_id = ? FOR UPDATE",
	[S_MFA_LOCK_SET] =
	    "UPDATE mfa_lockouts SET failures = ?, lockouts = ?,"
	    " locked_until = ? WHERE side = ? AND account_id = ?",
	[S_MFA_LOCK_CLEAR] =
	    "UPDATE mfa_lockouts SET failures = 0, lockouts = 0,"
	    " locked_until = 0 WHERE side = ? AND account_id = ?",
	[S_MFA_CODE_CONSUME] =
	    "UPDATE mfa_codes SET state = 1, used_token_hash = ?,"
	    " grace_until = ? WHERE id = ? AND state = 0",
	/* A wrong code counts against the live codes it could have been
	 * meant for: those of the method checked, or (type NULL) of every
	 * active method.  Blocked (2) once attempts_per_code is reached. */
	[S_MFA_CODE_FAIL] =
	    "UPDATE mfa_codes SET attempts = attempts + 1,"
	    " state = IF(attempts >= ?, 2, state)"
	    " WHERE side = ? AND account_id = ? AND state = 0"
	    " AND expires_at > ? AND type IN (SELECT m.type FROM mfa_methods m"
	    " WHERE m.side = ? AND m.account_id = ?"
	    " AND (m.type = ? OR (? IS NULL AND m.status = 2)))",
	/* Codes of the last 24 h, the oldest of them, the newest live one. */
	[S_MFA_SEND_STATS] =
	    "SELECT COUNT(*), COALESCE(MIN(created_at), 0),"
	    " COALESCE(MAX(IF(state = 0 AND expires_at > ?, created_at, 0)), 0)"
	    " FROM mfa_codes WHERE side = ? AND account_id = ? AND type = ?"
	    " AND created_at > ?",
	[S_MFA_CODES_INVALIDATE] =
	    "UPDATE mfa_codes SET state = 3"
	    " WHERE side = ? AND account_id = ? AND type = ? AND state = 0",
	[S_MFA_CODE_INSERT] =
	    "INSERT INTO mfa_codes (id, side, account_id, type, code_hash,"
	    " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_MFA_CODE_CANCEL] =
	    "UPDATE mfa_codes SET state = 3 WHERE id = ? AND state = 0",
	/* Deactivation: live codes invalidated, grace windows closed. */
	[S_MFA_CODES_END] =
	    "UPDATE mfa_codes SET state = IF(state = 0, 3, state),"
	    " grace_until = 0 WHERE side = ? AND account_id = ? AND type = ?"
	    " AND state IN (0, 1)",
	[S_MFA_PURGE_METHODS] =
	    "DELETE FROM mfa_methods WHERE side = ? AND account_id = ?",
	[S_MFA_PURGE_CODES] =
	    "DELETE FROM mfa_codes WHERE side = ? AND account_id = ?",
	[S_MFA_PURGE_LOCKOUT] =
	    "DELETE FROM mfa_lockouts WHERE side = ? AND account_id = ?",
	[S_USER_LOGIN] =
	    "SELECT id, password_hash, status FROM users WHERE username = ?",
	[S_USER_LIST] =
	    "SELECT id, uuid, username, first_name, last_name, status,"
	    " created_at, updated_at FROM users ORDER BY id",
	[S_USER_GET] =
	    "SELECT id, uuid, username, first_name, last_name, status,"
	    " created_at, updated_at FROM users WHERE uuid = ?",
	[S_USER_INSERT] =
	    "INSERT INTO users (uuid, username, password_hash, first_name,"
	    " last_name, status, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[S_USER_UPDATE] =
	    "UPDATE users SET username = COALESCE(?, username),"
	    " password_hash = COALESCE(?, password_hash),"
	    " first_name = COALESCE(?, first_name),"
	    " last_name = COALESCE(?, last_name),"
	    " status = COALESCE(?, status), updated_at = ? WHERE id = ?",
	[S_USER_DELETE] =
	    "DELETE FROM users WHERE id = ?",
	[S_USER_BY_NAME] =
	    "SELECT id FROM users WHERE username = ?",
	[S_CUSTOMER_BY_EMAIL] =
	    "SELECT id FROM customers WHERE email = ?",
	[S_AUDIT_RECENT] =
	    "SELECT at, side, COALESCE(account_id, 0), COALESCE(actor_id, 0),"
	    " action, COALESCE(method, ''), result, COALESCE(error_code, ''),"
	    " client_address, request_id FROM audit_log"
	    " ORDER BY id DESC LIMIT ?",
	[S_AUDIT_INSERT] =
	    "INSERT INTO audit_log (at, side, account_id, actor_id, action,"
	    " method, result, error_code, client_address, user_agent,"
	    " request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

/* CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, changed or not. */
static MYSQL		*conn;
static MYSQL_STMT	*stmts[S__COUNT];
static int		 down;		/* last failure was a lost server */
static int		 in_tx;
static int		 first;		/* no statement of this request ran yet */
static int		 dup;		/* last failure was a duplicate key */

static int
lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	    e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	    e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	    e == ER_SERVER_SHUTDOWN;
}

void
db_close(void)
{
	size_t	 i;

	for (i = 0; i < S__COUNT; i++)
		if (stmts[i] != NULL) {
			mysql_stmt_close(stmts[i]);
			stmts[i] = NULL;
		}
	if (conn != NULL)
		mysql_close(conn);
	conn = NULL;
	in_tx = 0;
}

int
db_open(void)
{
	unsigned int	 t = cfg.db_connect_timeout, rw = 5;
	int		 tcp = cfg.db_host[0] != '\0';

	db_close();
	if ((conn = mysql_init(NULL)) == NULL)
		return -1;
	mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &rw);
	mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &rw);
	mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(conn, tcp ? cfg.db_host : NULL, cfg.db_user,
	    cfg.db_password, cfg.db_name, tcp ? cfg.db_port : 0,
	    tcp ? NULL : cfg.db_socket, CLIENT_FOUND_ROWS) == NULL) {
		log_err("database: connect failed: %s", mysql_error(conn));
		mysql_close(conn);
		conn = NULL;
		down = 1;
		return -1;
	}
	down = 0;
	return 0;
}

int
db_unavailable(void)
{
	return down;
}

static void
db_failed(const char *what, unsigned int e, const char *msg)
{
	if (lost(e)) {
		down = 1;
		log_err("database: %s: connection lost: %s", what, msg);
		db_close();
	} else
		log_err("database: %s: %s", what, msg);
}

static MYSQL_STMT *
stmt_get(enum stmt s)
{
	MYSQL_STMT	*st;

	if (conn == NULL && db_open() == -1)
		return NULL;
	if (stmts[s] != NULL)
		return stmts[s];
	if ((st = mysql_stmt_init(conn)) == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, sql_text[s], strlen(sql_text[s])) != 0) {
		db_failed("prepare", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	return stmts[s] = st;
}

static void
bind_in(MYSQL_BIND *b, const struct dbv *v, size_t n)
{
	size_t	 i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		switch (v[i].t) {
		case DB_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DB_INT:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)&v[i].i;
			break;
		case DB_TEXT:
		case DB_BLOB:
			b[i].buffer_type = v[i].t == DB_TEXT ?
			    MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			b[i].buffer = (void *)v[i].p;
			b[i].buffer_length = v[i].len;
			b[i].length = (unsigned long *)&v[i].len;
			break;
		}
	}
}

/*
 * Binds and executes.  A connection found gone on the first statement of a
 * request (the server restarted since the last one) is re-opened and the
 * statement tried once more, so a restart costs no request.  Never inside a
 * transaction, or after a statement of this request went through: that
 * work went with the connection.
 */
static MYSQL_STMT *
run(enum stmt s, const struct dbv *args, size_t n)
{
	MYSQL_BIND	 b[MAX_BINDS];
	MYSQL_STMT	*st;
	int		 retry = first && !in_tx;
	unsigned int	 e;

	if (n > MAX_BINDS)
		abort();
	dup = 0;
	for (;;) {
		if ((st = stmt_get(s)) != NULL) {
			bind_in(b, args, n);
			if (mysql_stmt_bind_param(st, b) == 0 &&
			    mysql_stmt_execute(st) == 0) {
				first = 0;
				return st;
			}
			e = mysql_stmt_errno(st);
			if (e == ER_DUP_ENTRY) {
				dup = 1;
				return NULL;
			}
			db_failed("execute", e, mysql_stmt_error(st));
		}
		if (!retry || conn != NULL || !down)
			return NULL;
		retry = 0;
	}
}

long long
db_exec(enum stmt s, const struct dbv *args, size_t n)
{
	MYSQL_STMT	*st;

	if ((st = run(s, args, n)) == NULL)
		return dup ? DB_DUP : DB_ERR;
	return (long long)mysql_stmt_affected_rows(st);
}

long long
db_insert_id(void)
{
	return conn != NULL ? (long long)mysql_insert_id(conn) : 0;
}

/*
 * Executes a SELECT and binds the caller's columns; then db_fetch() per
 * row and db_finish() once.  Text longer than a column's buffer is an error
 * (the buffers are sized from the schema, so it means a schema mismatch).
 */
int
db_select(enum stmt s, const struct dbv *args, size_t n, struct dbcol *c,
    size_t nc)
{
	MYSQL_BIND	 b[MAX_BINDS];
	MYSQL_STMT	*st;
	size_t		 i;

	if (nc > MAX_BINDS)
		abort();
	if ((st = run(s, args, n)) == NULL)
		return DB_ERR;
	memset(b, 0, nc * sizeof(*b));
	for (i = 0; i < nc; i++) {
		b[i].is_null = (my_bool *)&c[i].null;
		b[i].error = (my_bool *)&c[i].error;
		if (c[i].t == DB_INT) {
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &c[i].i;
		} else {
			b[i].buffer_type = c[i].t == DB_TEXT ?
			    MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			b[i].buffer = c[i].buf;
			b[i].buffer_length = c[i].cap;
			b[i].length = &c[i].len;
		}
	}
	if (mysql_stmt_bind_result(st, b) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		db_failed("result", mysql_stmt_errno(st), mysql_stmt_error(st));
		if (conn != NULL)
			mysql_stmt_free_result(st);
		return DB_ERR;
	}
	return 0;
}

/* 1: a row is in the columns; 0: no more rows; DB_ERR. */
int
db_fetch(enum stmt s, struct dbcol *c, size_t nc)
{
	size_t	 i;
	int	 rc;

	rc = mysql_stmt_fetch(stmts[s]);
	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return DB_ERR;
	for (i = 0; i < nc; i++) {
		if (c[i].t == DB_INT)
			continue;
		if (c[i].null)
			c[i].len = 0;
		if (c[i].len >= c[i].cap) {
			log_err("database: column %zu of statement %d "
			    "longer than its buffer", i, (int)s);
			return DB_ERR;
		}
		c[i].buf[c[i].len] = '\0';
	}
	return 1;
}

void
db_finish(enum stmt s)
{
	if (stmts[s] != NULL)
		mysql_stmt_free_result(stmts[s]);
}

/* A query for at most one row: 1 found, 0 none, DB_ERR. */
int
db_one(enum stmt s, const struct dbv *args, size_t n, struct dbcol *c,
    size_t nc)
{
	int	 rc;

	if (db_select(s, args, n, c, nc) != 0)
		return DB_ERR;
	rc = db_fetch(s, c, nc);
	db_finish(s);
	return rc;
}

static int
simple(const char *q)
{
	if (conn == NULL && db_open() == -1)
		return -1;
	if (mysql_real_query(conn, q, strlen(q)) != 0) {
		db_failed(q, mysql_errno(conn), mysql_error(conn));
		return -1;
	}
	return 0;
}

/*
 * Transactions nest: an inner begin/commit joins the one already open
 * (the request's unit of work, opened by the MFA guard), and only the
 * outermost commit commits.  A rollback at any depth ends it all.
 */
int
db_begin(void)
{
	if (in_tx > 0) {
		in_tx++;
		return 0;
	}
	if (simple("START TRANSACTION") == -1)
		return -1;
	in_tx = 1;
	first = 0;
	return 0;
}

int
db_commit(void)
{
	if (in_tx > 1) {
		in_tx--;
		return 0;
	}
	if (in_tx == 0)		/* rolled back inside: nothing to commit */
		return -1;
	in_tx = 0;
	return simple("COMMIT");
}

void
db_rollback(void)
{
	if (in_tx && conn != NULL)
		(void)simple("ROLLBACK");
	in_tx = 0;
}

int
db_in_transaction(void)
{
	return in_tx > 0;
}

/* Marks the start of a request: its first statement may be retried. */
void
db_request_start(void)
{
	first = 1;
	if (in_tx)
		db_rollback();
}
