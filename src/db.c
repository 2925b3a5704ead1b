/*
 * The only SQL.  One connection per process, opened before the first
 * request; each statement in stmt_def[] is prepared on first use and kept
 * for the life of the connection.  A connection found gone (server restart)
 * is re-opened on the next call; while the server is down calls fail fast
 * and db_unavailable() tells the caller to answer 503.
 *
 * Callers see one typed function per statement (or per pair that always
 * runs together), declared in glue.h by table area; the statement enum,
 * the bindings and the driver never leave this file.  Each table entry
 * carries its parameter and result column counts: prepare checks them
 * against the server's, every execution checks the values bound, and a
 * mismatch aborts a test build (db_check() prepares every statement, see
 * glue-mfa-admin check-sql) and is a logged error in a release build.
 *
 * Time is always passed in as a parameter (never NOW()), so the clock is
 * the programs' own: one clock for every decision, and testable.
 *
 * Bounded waits (contract §9.2): every read, write and connect has its
 * timeout (db_read_timeout, db_write_timeout, db_connect_timeout), and a
 * request connects at most once: a connection that times out is a server
 * that is frozen or overloaded, and connecting again would only wait
 * once more.  Conflicts (contract §9.1): a deadlock or a lock wait
 * timeout is remembered for the request (db_conflict()); every statement
 * after it is refused without reaching the server, so the attempt commits
 * nothing more, and the dispatcher runs the unit of work again when
 * nothing of the request was committed (db_committed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/ssl.h>

#include "glue.h"

#define MAX_BINDS	16
#define DAY		86400L
#define STR_(x)		#x
#define STR(x)		STR_(x)

enum stmt {
	S_AUTH_CUSTOMER,
	S_AUTH_CUSTOMER_METHODS,
	S_AUTH_CUSTOMER_FULL,
	S_AUTH_USER,
	S_AUTH_USER_METHODS,
	S_AUTH_USER_FULL,
	S_ACCESS_INSERT,
	S_ACCESS_REVOKE_ONE,
	S_ACCESS_REVOKE_FAMILY,
	S_ACCESS_REVOKE_OTHERS,
	S_ACCESS_DELETE_ACCOUNT,
	S_REFRESH_BY_HASH,
	S_REFRESH_INSERT,
	S_REFRESH_USE,
	S_REFRESH_REVOKE_FAMILY,
	S_REFRESH_REVOKE_ACCOUNT,
	S_REFRESH_REVOKE_ONE,
	S_REFRESH_DELETE_ACCOUNT,
	S_LOGIN_FAILURES_LOCK,
	S_LOGIN_FAILURE_ADD,
	S_LOGIN_FAILURE_ADD_ACCOUNT,
	S_LOGIN_FAILURE_CLEAR,
	S_LOGIN_FAILURE_RESTORE,
	S_LOGIN_FAILURE_FORGET,
	S_LOGIN_FAILURE_TAKE_BACK,
	S_USER_PASSWORD_GET,
	S_USER_PASSWORD_REHASH,
	S_CUSTOMER_LOGIN,
	S_CUSTOMER_INSERT,
	S_CUSTOMER_UPDATE,
	S_CUSTOMER_DELETE,
	S_CUSTOMER_PASSWORD_GET,
	S_CUSTOMER_PASSWORD_SET,
	S_CUSTOMER_PASSWORD_REHASH,
	S_ADDRESS_LIST,
	S_ADDRESS_GET,
	S_ADDRESS_COUNT,
	S_ADDRESS_INSERT,
	S_ADDRESS_UPDATE,
	S_ADDRESS_DELETE,
	S_ADDRESS_CLEAR_SHIPPING,
	S_ADDRESS_CLEAR_BILLING,
	S_CUSTOMER_CONTACT,
	S_USER_CONTACT,
	S_CUSTOMER_LOCALE_SET,
	S_USER_LOCALE_SET,
	S_MFA_METHODS,
	S_MFA_METHOD_PENDING,
	S_MFA_METHOD_ACTIVATE,
	S_MFA_METHOD_DEACTIVATE,
	S_MFA_CODES_LIVE,
	S_MFA_LOCK,
	S_MFA_LOCK_SET,
	S_MFA_LOCK_CLEAR,
	S_MFA_CODE_CONSUME,
	S_MFA_CODE_FAIL,
	S_MFA_SEND_STATS,
	S_MFA_CODES_INVALIDATE,
	S_MFA_CODE_INSERT,
	S_MFA_CODE_CANCEL,
	S_MFA_CODE_HANDED_OVER,
	S_MFA_CODES_END,
	S_MFA_PURGE_METHODS,
	S_MFA_PURGE_CODES,
	S_MFA_PURGE_LOCKOUT,
	S_MFA_PURGE_TOTP,
	S_MFA_CODE_INSERT_USED,
	S_MFA_TOTP_SET,
	S_MFA_TOTP_GET,
	S_MFA_TOTP_STEP,
	S_RECOVERY_LIST,
	S_RECOVERY_DELETE,
	S_RECOVERY_INSERT,
	S_RECOVERY_USE,
	S_RECOVERY_END,
	S_USER_LOGIN,
	S_USER_LIST,
	S_USER_COUNT,
	S_USER_GET,
	S_USER_INSERT,
	S_USER_UPDATE,
	S_USER_DELETE,
	S_USER_BY_NAME,
	S_CUSTOMER_BY_EMAIL,
	S_AUDIT_RECENT,
	S_AUDIT_INSERT,
	/* sign-up, confirmation, sessions (migration 008) */
	S_SIGNUP_HIT,
	S_SIGNUP_GET,
	S_CUSTOMER_KEY_SET,
	S_CUSTOMER_CONFIRMED_AT,
	S_CUSTOMER_BY_KEY,
	S_CUSTOMER_CONFIRM,
	S_CUSTOMER_IS_CONFIRMED,
	S_MFA_CODES_DROP,
	S_RECIPIENT_LOCK,
	S_CODE_MAIL_STATS,
	S_CODE_MAIL_INSERT,
	S_CODE_MAIL_DELETE,
	/* the notification outbox (migration 011) */
	S_OUTBOX_INSERT,
	S_OUTBOX_DUE,
	S_OUTBOX_CLAIM,
	S_OUTBOX_DONE,
	S_OUTBOX_RETRY,
	S_OUTBOX_LIST,
	S_OUTBOX_REQUEUE,
	/* Idempotency-Key answers (migration 013) */
	S_IDEM_GET,
	S_IDEM_CLAIM,
	S_IDEM_ANSWER,
	S_IDEM_FORGET,
	S_IDEM_PURGE,
	S_IDEM_LOCK,
	S_IDEM_UNLOCK,
	/* method webauthn (migration 016) */
	S_WA_USER_GET,
	S_WA_USER_INSERT,
	S_WA_USER_DELETE,
	S_WA_CHAL_PURGE,
	S_WA_CHAL_COUNT,
	S_WA_CHAL_DROP_OLDEST,
	S_WA_CHAL_INSERT,
	S_WA_CHAL_FIND,
	S_WA_CHAL_USE,
	S_WA_CHAL_DELETE,
	S_WA_CHAL_DROP_PURPOSE,
	S_WA_LIST,
	S_WA_COUNT,
	S_WA_GET,
	S_WA_GET_UUID,
	S_WA_INSERT,
	S_WA_USED,
	S_WA_DELETE,
	S_WA_DELETE_ALL,
#ifdef GLUE_TESTING
	S_TEST_RESULT_FAILS,
#endif
	S__COUNT
};

/*
 * What the authentication query returns, sized so that the most it can
 * return always fits:
 *   a method, a row each:  "type=status"  (status a TINYINT: at most 4
 *                                           characters)
 *   the grace list:        "id:type:HEXHASH,..."  (GROUP_CONCAT ... LIMIT
 *                          n; id a BIGINT UNSIGNED: at most 20 digits)
 */
#define METHOD_ITEM	(MAX_METHOD_NAME + 1 + 4 + 1)
#define GRACE_ITEM	(20 + 1 + MAX_METHOD_NAME + 1 + 2 * HASH_BYTES + 1)
#define GRACE_TEXT	(MAX_GRACE_WINDOWS * GRACE_ITEM + 1)

static const struct stmt_def {
	const char	*sql;
	unsigned	 params;	/* its '?' placeholders */
	unsigned	 cols;		/* its result columns; 0: no result */
} stmt_def[S__COUNT] = {
	/*
	 * The token and the account's row, in one round trip, at three
	 * levels (struct account in glue.h): plain; with the account's MFA
	 * methods; in full, with the newest MAX_GRACE_WINDOWS codes in a
	 * grace window for this very token and the lockout too.  The MFA
	 * parts cost the database more than the rest together, so a request
	 * asks only for what it uses.  The methods come as a LEFT JOIN, a
	 * row per method ("type=status"; one row with NULL when there are
	 * none): a third less of the server's CPU than a GROUP_CONCAT
	 * subquery (README: "Where the time goes").
	 */
#define AUTH_METHODS \
	    " CONCAT(m.type, '=', m.status),"
#define AUTH_METHODS_JOIN \
	    " LEFT JOIN mfa_methods m ON m.side = t.side" \
	    " AND m.account_id = t.account_id"
#define AUTH_GRACE \
	    " (SELECT GROUP_CONCAT(c.id, ':', c.type, ':', HEX(c.code_hash)" \
	    " ORDER BY c.grace_until DESC, c.seq DESC SEPARATOR ','" \
	    " LIMIT " STR(MAX_GRACE_WINDOWS) ")" \
	    " FROM mfa_codes c WHERE c.used_token_hash = t.token_hash" \
	    " AND c.state = 1 AND c.grace_until > ?)," \
	    " (SELECT l.locked_until FROM mfa_lockouts l WHERE l.side = t.side" \
	    " AND l.account_id = t.account_id),"
#define AUTH_CUSTOMER \
	    " a.email, a.salutation, a.first_name, a.last_name, a.created_at," \
	    " a.updated_at, a.locale FROM access_tokens t" \
	    " JOIN customers a ON a.id = t.account_id"
	/* A user's token works only while the user is active. */
#define AUTH_USER \
	    " a.username, a.uuid, a.first_name, a.last_name, a.created_at," \
	    " a.updated_at, a.locale FROM access_tokens t" \
	    " JOIN users a ON a.id = t.account_id AND a.status = 1"
#define AUTH_WHERE \
	    " WHERE t.token_hash = ? AND t.side = ? AND t.revoked = 0" \
	    " AND t.expires_at > ?"
	[S_AUTH_CUSTOMER] = { "SELECT t.id, t.account_id, t.family_id, '', '',"
	    " 0," AUTH_CUSTOMER AUTH_WHERE, 3, 13 },
	[S_AUTH_CUSTOMER_METHODS] = { "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS " '', 0," AUTH_CUSTOMER AUTH_METHODS_JOIN AUTH_WHERE,
	    3, 13 },
	[S_AUTH_CUSTOMER_FULL] = { "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS AUTH_GRACE AUTH_CUSTOMER AUTH_METHODS_JOIN AUTH_WHERE,
	    4, 13 },
	[S_AUTH_USER] = { "SELECT t.id, t.account_id, t.family_id, '', '', 0,"
	    AUTH_USER AUTH_WHERE, 3, 13 },
	[S_AUTH_USER_METHODS] = { "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS " '', 0," AUTH_USER AUTH_METHODS_JOIN AUTH_WHERE,
	    3, 13 },
	[S_AUTH_USER_FULL] = { "SELECT t.id, t.account_id, t.family_id,"
	    AUTH_METHODS AUTH_GRACE AUTH_USER AUTH_METHODS_JOIN AUTH_WHERE,
	    4, 13 },
	[S_ACCESS_INSERT] = {
	    "INSERT INTO access_tokens (side, account_id, family_id,"
	    " token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	    6, 0 },
	[S_ACCESS_REVOKE_ONE] = {
	    "UPDATE access_tokens SET revoked = 1 WHERE id = ?", 1, 0 },
	[S_ACCESS_REVOKE_FAMILY] = {
	    "UPDATE access_tokens SET revoked = 1"
	    " WHERE family_id = ? AND side = ?", 2, 0 },
	[S_ACCESS_REVOKE_OTHERS] = {
	    "UPDATE access_tokens SET revoked = 1"
	    " WHERE side = ? AND account_id = ? AND id <> ?", 3, 0 },
	[S_ACCESS_DELETE_ACCOUNT] = {
	    "DELETE FROM access_tokens WHERE side = ? AND account_id = ?",
	    2, 0 },
	[S_REFRESH_BY_HASH] = {
	    "SELECT id, account_id, family_id, used, revoked, expires_at"
	    " FROM refresh_tokens WHERE token_hash = ? AND side = ?", 2, 6 },
	[S_REFRESH_INSERT] = {
	    "INSERT INTO refresh_tokens (side, account_id, family_id,"
	    " token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	    6, 0 },
	[S_REFRESH_USE] = {
	    "UPDATE refresh_tokens SET used = 1 WHERE id = ? AND used = 0"
	    " AND revoked = 0 AND expires_at > ?", 2, 0 },
	[S_REFRESH_REVOKE_FAMILY] = {
	    "UPDATE refresh_tokens SET revoked = 1"
	    " WHERE family_id = ? AND side = ?", 2, 0 },
	[S_REFRESH_REVOKE_ACCOUNT] = {
	    "UPDATE refresh_tokens SET revoked = 1"
	    " WHERE side = ? AND account_id = ?", 2, 0 },
	[S_REFRESH_REVOKE_ONE] = {
	    "UPDATE refresh_tokens SET revoked = 1"
	    " WHERE token_hash = ? AND side = ? AND account_id = ?", 3, 0 },
	[S_REFRESH_DELETE_ACCOUNT] = {
	    "DELETE FROM refresh_tokens WHERE side = ? AND account_id = ?",
	    2, 0 },
	/* The three scopes' rows, locked until the transaction ends; a
	 * missing one is made as all 0 (no row), so that a parallel attempt
	 * on it waits as well (contract §3.6). */
	[S_LOGIN_FAILURES_LOCK] = {
	    "INSERT INTO login_failures (scope, failures, window_start,"
	    " last_failure) VALUES (?, 0, 0, 0), (?, 0, 0, 0), (?, 0, 0, 0)"
	    " ON DUPLICATE KEY UPDATE failures = failures"
	    " RETURNING failures, window_start, last_failure,"
	    " CASE scope WHEN ? THEN 0 WHEN ? THEN 1 ELSE 2 END", 5, 4 },
	/* Order matters: each assignment sees the old window_start (windowed
	 * scopes) or the old last_failure (the account scope). */
	[S_LOGIN_FAILURE_ADD] = {
	    "INSERT INTO login_failures (scope, failures, window_start,"
	    " last_failure) VALUES (?, 1, ?, ?), (?, 1, ?, ?)"
	    " ON DUPLICATE KEY UPDATE"
	    " failures = IF(window_start <= ?, 1, failures + 1),"
	    " window_start = IF(window_start <= ?, VALUES(window_start),"
	    " window_start), last_failure = VALUES(last_failure)"
	    " RETURNING failures, window_start, last_failure,"
	    " CASE scope WHEN ? THEN 1 ELSE 2 END", 9, 4 },
	[S_LOGIN_FAILURE_ADD_ACCOUNT] = {
	    "INSERT INTO login_failures (scope, failures, window_start,"
	    " last_failure) VALUES (?, 1, ?, ?) ON DUPLICATE KEY UPDATE"
	    " failures = IF(last_failure <= ?, 1, failures + 1),"
	    " window_start = IF(last_failure <= ?, VALUES(window_start),"
	    " window_start), last_failure = VALUES(last_failure)"
	    " RETURNING failures, window_start, last_failure, 0", 5, 4 },
	[S_LOGIN_FAILURE_CLEAR] = {
	    "DELETE FROM login_failures WHERE scope IN (?, ?)", 2, 0 },
	/* An attempt taken back: its row as before it, when nothing counted
	 * on it since (RESTORE, or FORGET for a row it made); else one
	 * failure fewer (TAKE_BACK). */
	[S_LOGIN_FAILURE_RESTORE] = {
	    "UPDATE login_failures SET failures = ?, window_start = ?,"
	    " last_failure = ? WHERE scope = ? AND failures = ?"
	    " AND window_start = ? AND last_failure = ?", 7, 0 },
	[S_LOGIN_FAILURE_FORGET] = {
	    "DELETE FROM login_failures WHERE scope = ? AND failures = ?"
	    " AND window_start = ? AND last_failure = ?", 4, 0 },
	[S_LOGIN_FAILURE_TAKE_BACK] = {
	    "UPDATE login_failures SET failures = failures - 1"
	    " WHERE scope = ? AND failures > 0", 1, 0 },
	[S_CUSTOMER_LOGIN] = {
	    "SELECT id, password_hash, 1 FROM customers WHERE email = ?",
	    1, 3 },
	[S_CUSTOMER_INSERT] = {
	    "INSERT INTO customers (email, password_hash, salutation,"
	    " first_name, last_name, locale, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 8, 0 },
	[S_CUSTOMER_UPDATE] = {
	    "UPDATE customers SET email = COALESCE(?, email),"
	    " salutation = COALESCE(?, salutation),"
	    " first_name = COALESCE(?, first_name),"
	    " last_name = COALESCE(?, last_name),"
	    " locale = COALESCE(?, locale), updated_at = ?"
	    " WHERE id = ?", 7, 0 },
	[S_CUSTOMER_DELETE] = {
	    "DELETE FROM customers WHERE id = ?", 1, 0 },
	[S_CUSTOMER_PASSWORD_GET] = {
	    "SELECT password_hash FROM customers WHERE id = ?", 1, 1 },
	[S_CUSTOMER_PASSWORD_SET] = {
	    "UPDATE customers SET password_hash = ?, updated_at = ?"
	    " WHERE id = ?", 3, 0 },
	/* contract §11.1: only the hash the sign-in checked is replaced, so a
	 * password changed in parallel stays; updated_at stays too (the
	 * account's data did not change). */
	[S_CUSTOMER_PASSWORD_REHASH] = {
	    "UPDATE customers SET password_hash = ?"
	    " WHERE id = ? AND password_hash = ?", 3, 0 },
#define ADDRESS_COLUMNS \
	    "SELECT uuid, salutation, first_name, last_name, address1," \
	    " address2, zip_code, city, iso2_code, is_default_shipping," \
	    " is_default_billing FROM addresses WHERE customer_id = ?"
	[S_ADDRESS_LIST] = { ADDRESS_COLUMNS " ORDER BY id LIMIT ? OFFSET ?",
	    3, 11 },
	[S_ADDRESS_GET] = { ADDRESS_COLUMNS " AND uuid = ?", 2, 11 },
	[S_ADDRESS_COUNT] = {
	    "SELECT COUNT(*) FROM addresses WHERE customer_id = ?", 1, 1 },
	[S_ADDRESS_INSERT] = {
	    "INSERT INTO addresses (uuid, customer_id, salutation, first_name,"
	    " last_name, address1, address2, zip_code, city, iso2_code,"
	    " is_default_shipping, is_default_billing, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 14, 0 },
	[S_ADDRESS_UPDATE] = {
	    "UPDATE addresses SET salutation = COALESCE(?, salutation),"
	    " first_name = COALESCE(?, first_name),"
	    " last_name = COALESCE(?, last_name),"
	    " address1 = COALESCE(?, address1),"
	    " address2 = COALESCE(?, address2),"
	    " zip_code = COALESCE(?, zip_code), city = COALESCE(?, city),"
	    " iso2_code = COALESCE(?, iso2_code),"
	    " is_default_shipping = COALESCE(?, is_default_shipping),"
	    " is_default_billing = COALESCE(?, is_default_billing),"
	    " updated_at = ? WHERE customer_id = ? AND uuid = ?", 13, 0 },
	[S_ADDRESS_DELETE] = {
	    "DELETE FROM addresses WHERE customer_id = ? AND uuid = ?", 2, 0 },
	[S_ADDRESS_CLEAR_SHIPPING] = {
	    "UPDATE addresses SET is_default_shipping = 0"
	    " WHERE customer_id = ? AND uuid <> ?", 2, 0 },
	[S_ADDRESS_CLEAR_BILLING] = {
	    "UPDATE addresses SET is_default_billing = 0"
	    " WHERE customer_id = ? AND uuid <> ?", 2, 0 },
	/* The address and the mails' locale ("" none: contract §10.9). */
	[S_CUSTOMER_CONTACT] = {
	    "SELECT email, COALESCE(locale, '') FROM customers WHERE id = ?",
	    1, 2 },
	[S_USER_CONTACT] = {
	    "SELECT username, COALESCE(locale, '') FROM users WHERE id = ?",
	    1, 2 },
	/* The operator tool's set-locale (NULL clears it). */
	[S_CUSTOMER_LOCALE_SET] = {
	    "UPDATE customers SET locale = ?, updated_at = ? WHERE id = ?",
	    3, 0 },
	[S_USER_LOCALE_SET] = {
	    "UPDATE users SET locale = ?, updated_at = ? WHERE id = ?", 3, 0 },
	[S_MFA_METHODS] = {
	    "SELECT type, status FROM mfa_methods"
	    " WHERE side = ? AND account_id = ? ORDER BY type", 2, 2 },
	[S_MFA_METHOD_PENDING] = {
	    "INSERT INTO mfa_methods (side, account_id, type, status,"
	    " updated_at) VALUES (?, ?, ?, 1, ?) ON DUPLICATE KEY UPDATE"
	    " status = 1, updated_at = VALUES(updated_at)", 4, 0 },
	[S_MFA_METHOD_ACTIVATE] = {
	    "UPDATE mfa_methods SET status = 2, updated_at = ?"
	    " WHERE side = ? AND account_id = ? AND type = ? AND status = 1",
	    4, 0 },
	[S_MFA_METHOD_DEACTIVATE] = {
	    "UPDATE mfa_methods SET status = 0, updated_at = ?"
	    " WHERE side = ? AND account_id = ? AND type = ? AND status = 2",
	    4, 0 },
	/* Live codes, newest first, with their method's status. */
	[S_MFA_CODES_LIVE] = {
	    "SELECT c.id, c.type, c.code_hash, c.state, COALESCE(m.status, 0),"
	    " COALESCE(c.action, '')"
	    " FROM mfa_codes c"
	    " LEFT JOIN mfa_methods m ON m.side = c.side"
	    " AND m.account_id = c.account_id AND m.type = c.type"
	    " WHERE c.side = ? AND c.account_id = ?"
	    " AND c.state = 0 AND c.expires_at > ?"
	    " ORDER BY c.created_at DESC LIMIT " STR(MAX_CODE_ROWS), 3, 6 },
	/* The account's lock, in one round trip: its row made if needed and
	 * changed, so that it is in every Galera write set of a unit of work
	 * that takes it (sql/017_lock_seq.sql, contract §9.9), and read as it
	 * is after the change (INSERT ... RETURNING, MariaDB 10.5 and later). */
	[S_MFA_LOCK] = {
	    "INSERT INTO mfa_lockouts (side, account_id, lock_seq)"
	    " VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE lock_seq = lock_seq + 1"
	    " RETURNING failures, lockouts, locked_until", 2, 3 },
	[S_MFA_LOCK_SET] = {
	    "UPDATE mfa_lockouts SET failures = ?, lockouts = ?,"
	    " locked_until = ? WHERE side = ? AND account_id = ?", 5, 0 },
	[S_MFA_LOCK_CLEAR] = {
	    "UPDATE mfa_lockouts SET failures = 0, lockouts = 0,"
	    " locked_until = 0 WHERE side = ? AND account_id = ?", 2, 0 },
	[S_MFA_CODE_CONSUME] = {
	    "UPDATE mfa_codes SET state = 1, used_token_hash = ?,"
	    " grace_until = ? WHERE id = ? AND state = 0", 3, 0 },
	/* A wrong code counts against the live codes it could have been
	 * meant for: those of the method checked, or (type NULL) of every
	 * active method.  Blocked (2) once attempts_per_code is reached. */
	[S_MFA_CODE_FAIL] = {
	    "UPDATE mfa_codes SET attempts = attempts + 1,"
	    " state = IF(attempts >= ?, 2, state)"
	    " WHERE side = ? AND account_id = ? AND state = 0"
	    " AND expires_at > ? AND type IN (SELECT m.type FROM mfa_methods m"
	    " WHERE m.side = ? AND m.account_id = ?"
	    " AND (m.type = ? OR (? IS NULL AND m.status = 2)))", 8, 0 },
	/* The sending limits in one statement, over the account's codes of
	 * the last 24 h (mail_failure_window is at most that): of the type,
	 * those but whose mail failed (handover 2), the oldest of them, the
	 * newest live one; of every method, the mails failed (2) or under
	 * way (0) since the window's start, and the oldest of them. */
	[S_MFA_SEND_STATS] = {
	    "SELECT COUNT(IF(type = ? AND handover <> 2, 1, NULL)),"
	    " COALESCE(MIN(IF(type = ? AND handover <> 2, created_at, NULL)), 0),"
	    " COALESCE(MAX(IF(type = ? AND state = 0 AND expires_at > ?,"
	    " created_at, 0)), 0),"
	    " COUNT(IF(handover <> 1 AND created_at > ?, 1, NULL)),"
	    " COALESCE(MIN(IF(handover <> 1 AND created_at > ?, created_at,"
	    " NULL)), 0)"
	    " FROM mfa_codes WHERE side = ? AND account_id = ?"
	    " AND created_at > ?", 9, 5 },
	[S_MFA_CODES_INVALIDATE] = {
	    "UPDATE mfa_codes SET state = 3"
	    " WHERE side = ? AND account_id = ? AND type = ? AND state = 0",
	    3, 0 },
	[S_MFA_CODE_INSERT] = {
	    "INSERT INTO mfa_codes (id, side, account_id, type, code_hash,"
	    " created_at, expires_at, handover, action)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)", 8, 0 },
	/* Withdrawn: invalidated if still live, its mail failed.  A code
	 * used meanwhile did reach its owner.  (SET runs left to right.) */
	[S_MFA_CODE_CANCEL] = {
	    "UPDATE mfa_codes SET handover = IF(state = 1, 1, 2),"
	    " state = IF(state = 0, 3, state) WHERE id = ? AND handover = 0",
	    1, 0 },
	[S_MFA_CODE_HANDED_OVER] = {
	    "UPDATE mfa_codes SET handover = 1 WHERE id = ? AND handover = 0",
	    1, 0 },
	/* Deactivation: live codes invalidated, grace windows closed. */
	[S_MFA_CODES_END] = {
	    "UPDATE mfa_codes SET state = IF(state = 0, 3, state),"
	    " grace_until = 0 WHERE side = ? AND account_id = ? AND type = ?"
	    " AND state IN (0, 1)", 3, 0 },
	[S_MFA_PURGE_METHODS] = {
	    "DELETE FROM mfa_methods WHERE side = ? AND account_id = ?", 2, 0 },
	[S_MFA_PURGE_CODES] = {
	    "DELETE FROM mfa_codes WHERE side = ? AND account_id = ?", 2, 0 },
	[S_MFA_PURGE_LOCKOUT] = {
	    "DELETE FROM mfa_lockouts WHERE side = ? AND account_id = ?",
	    2, 0 },
	/* Also the end of method totp: its secret is destroyed. */
	[S_MFA_PURGE_TOTP] = {
	    "DELETE FROM mfa_totp WHERE side = ? AND account_id = ?", 2, 0 },
	/* A code checked elsewhere (an app's), recorded as used by the token
	 * so that its grace window works like any other's. */
	[S_MFA_CODE_INSERT_USED] = {
	    "INSERT INTO mfa_codes (id, side, account_id, type, code_hash,"
	    " created_at, expires_at, state, used_token_hash, grace_until)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)", 9, 0 },
	/* A new sealed secret: no step accepted yet, no drift. */
	[S_MFA_TOTP_SET] = {
	    "INSERT INTO mfa_totp (side, account_id, secret_box, secret_nonce,"
	    " created_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
	    " secret_box = VALUES(secret_box),"
	    " secret_nonce = VALUES(secret_nonce), last_step = 0, drift = 0,"
	    " created_at = VALUES(created_at)", 5, 0 },
	[S_MFA_TOTP_GET] = {
	    "SELECT secret_box, secret_nonce, last_step, drift FROM mfa_totp"
	    " WHERE side = ? AND account_id = ?", 2, 4 },
	/* The one statement that accepts a step: only a later one than the
	 * last accepted, so a code never passes twice (rows changed: 1). */
	[S_MFA_TOTP_STEP] = {
	    "UPDATE mfa_totp SET last_step = ?, drift = ?"
	    " WHERE side = ? AND account_id = ? AND last_step < ?", 5, 0 },
	[S_USER_PASSWORD_GET] = {
	    "SELECT password_hash FROM users WHERE id = ?", 1, 1 },
	[S_USER_PASSWORD_REHASH] = {
	    "UPDATE users SET password_hash = ?"
	    " WHERE id = ? AND password_hash = ?", 3, 0 },
	/* Recovery codes (contract §8): a set is one row per slot. */
	[S_RECOVERY_LIST] = {
	    "SELECT slot, code_hash, created_at, used_at FROM mfa_recovery_codes"
	    " WHERE side = ? AND account_id = ? ORDER BY slot LIMIT "
	    STR(RECOVERY_CODES), 2, 4 },
	[S_RECOVERY_DELETE] = {
	    "DELETE FROM mfa_recovery_codes WHERE side = ? AND account_id = ?",
	    2, 0 },
	/* A new set rewrites every slot of the old one in place: no DELETE,
	 * whose gap locks made parallel sets of neighbouring accounts
	 * deadlock on each other's inserts. */
	[S_RECOVERY_INSERT] = {
	    "INSERT INTO mfa_recovery_codes (side, account_id, slot, code_hash,"
	    " created_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
	    " code_hash = VALUES(code_hash), created_at = VALUES(created_at),"
	    " used_at = 0", 5, 0 },
	/* Single use: only an unused code of that very set is spent. */
	[S_RECOVERY_USE] = {
	    "UPDATE mfa_recovery_codes SET used_at = ? WHERE side = ?"
	    " AND account_id = ? AND slot = ? AND created_at = ?"
	    " AND used_at = 0", 5, 0 },
	/* The last active method switched off: the set goes with it. */
	[S_RECOVERY_END] = {
	    "DELETE FROM mfa_recovery_codes WHERE side = ? AND account_id = ?"
	    " AND NOT EXISTS (SELECT 1 FROM mfa_methods m WHERE m.side = ?"
	    " AND m.account_id = ? AND m.status = 2)", 4, 0 },
	[S_USER_LOGIN] = {
	    "SELECT id, password_hash, status FROM users WHERE username = ?",
	    1, 3 },
#define USER_COLUMNS \
	    "SELECT id, uuid, username, first_name, last_name, status," \
	    " created_at, updated_at, COALESCE(locale, '') FROM users"
	/* The page and the count in one statement: one read view, so the
	 * total agrees with the page (contract §10.10), one round trip. */
	[S_USER_LIST] = {
	    "SELECT id, uuid, username, first_name, last_name, status,"
	    " created_at, updated_at, COALESCE(locale, ''),"
	    " (SELECT COUNT(*) FROM users) FROM users"
	    " ORDER BY id LIMIT ? OFFSET ?", 2, 10 },
	[S_USER_COUNT] = { "SELECT COUNT(*) FROM users", 0, 1 },
	[S_USER_GET] = { USER_COLUMNS " WHERE uuid = ?", 1, 9 },
	[S_USER_INSERT] = {
	    "INSERT INTO users (uuid, username, password_hash, first_name,"
	    " last_name, status, locale, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", 9, 0 },
	[S_USER_UPDATE] = {
	    "UPDATE users SET username = COALESCE(?, username),"
	    " password_hash = COALESCE(?, password_hash),"
	    " first_name = COALESCE(?, first_name),"
	    " last_name = COALESCE(?, last_name),"
	    " status = COALESCE(?, status), locale = COALESCE(?, locale),"
	    " updated_at = ? WHERE id = ?", 8, 0 },
	[S_USER_DELETE] = {
	    "DELETE FROM users WHERE id = ?", 1, 0 },
	[S_USER_BY_NAME] = {
	    "SELECT id FROM users WHERE username = ?", 1, 1 },
	[S_CUSTOMER_BY_EMAIL] = {
	    "SELECT id FROM customers WHERE email = ?", 1, 1 },
	[S_AUDIT_RECENT] = {
	    "SELECT at, side, COALESCE(account_id, 0), COALESCE(actor_id, 0),"
	    " action, COALESCE(method, ''), result, COALESCE(error_code, ''),"
	    " client_address, request_id FROM audit_log"
	    " ORDER BY id DESC LIMIT ?", 1, 10 },
	[S_AUDIT_INSERT] = {
	    "INSERT INTO audit_log (at, side, account_id, actor_id, action,"
	    " method, result, error_code, client_address, user_agent,"
	    " request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 11, 0 },
	/* Order matters: hits is computed from the old window_start. */
	[S_SIGNUP_HIT] = {
	    "INSERT INTO signup_limits (scope, hits, window_start)"
	    " VALUES (?, 1, ?) ON DUPLICATE KEY UPDATE"
	    " hits = IF(window_start <= ?, 1, hits + 1),"
	    " window_start = IF(window_start <= ?, VALUES(window_start),"
	    " window_start)", 4, 0 },
	[S_SIGNUP_GET] = {
	    "SELECT hits, window_start FROM signup_limits WHERE scope = ?",
	    1, 2 },
	[S_CUSTOMER_KEY_SET] = {
	    "UPDATE customers SET confirmed_at = NULL,"
	    " registration_key_hash = ?, registration_key_expires = ?"
	    " WHERE id = ?", 3, 0 },
	[S_CUSTOMER_CONFIRMED_AT] = {
	    "UPDATE customers SET confirmed_at = ? WHERE id = ?", 2, 0 },
	[S_CUSTOMER_BY_KEY] = {
	    "SELECT id FROM customers WHERE registration_key_hash = ?"
	    " AND registration_key_expires > ? AND confirmed_at IS NULL",
	    2, 1 },
	[S_CUSTOMER_CONFIRM] = {
	    "UPDATE customers SET confirmed_at = ?,"
	    " registration_key_hash = NULL, registration_key_expires = NULL"
	    " WHERE id = ? AND confirmed_at IS NULL", 2, 0 },
	[S_CUSTOMER_IS_CONFIRMED] = {
	    "SELECT confirmed_at IS NOT NULL FROM customers WHERE id = ?",
	    1, 1 },
	[S_MFA_CODES_DROP] = {
	    "UPDATE mfa_codes SET state = 3"
	    " WHERE side = ? AND account_id = ? AND state = 0", 2, 0 },
	/* Written, so that it is in the write set on Galera (as the
	 * account's lock row, S_MFA_LOCK; sql/018_recipient_lock.sql). */
	[S_RECIPIENT_LOCK] = {
	    "INSERT INTO code_recipients (recipient_hash, lock_seq)"
	    " VALUES (?, 1) ON DUPLICATE KEY UPDATE lock_seq = lock_seq + 1",
	    1, 0 },
	[S_CODE_MAIL_STATS] = {
	    "SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM code_mails"
	    " WHERE recipient_hash = ? AND created_at > ?", 2, 2 },
	[S_CODE_MAIL_INSERT] = {
	    "INSERT INTO code_mails (code_id, recipient_hash, created_at)"
	    " VALUES (?, ?, ?)", 3, 0 },
	[S_CODE_MAIL_DELETE] = {
	    "DELETE FROM code_mails WHERE code_id = ?", 1, 0 },
	[S_OUTBOX_INSERT] = {
	    "INSERT INTO mail_outbox (side, account_id, recipient, notice,"
	    " event_at, next_attempt_at, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    7, 0 },
	[S_OUTBOX_DUE] = {
	    "SELECT id, side, account_id, recipient, notice, event_at, attempts"
	    " FROM mail_outbox WHERE state = 0 AND next_attempt_at <= ?"
	    " AND claimed_until < ? ORDER BY next_attempt_at, id LIMIT ?",
	    3, 7 },
	/* Matched only while unclaimed and due: 1 row is this caller's claim. */
	[S_OUTBOX_CLAIM] = {
	    "UPDATE mail_outbox SET claimed_until = ?, attempts = attempts + 1"
	    " WHERE id = ? AND state = 0 AND next_attempt_at <= ?"
	    " AND claimed_until < ?", 4, 0 },
	[S_OUTBOX_DONE] = {
	    "DELETE FROM mail_outbox WHERE id = ?", 1, 0 },
	[S_OUTBOX_RETRY] = {
	    "UPDATE mail_outbox SET claimed_until = 0, next_attempt_at = ?,"
	    " state = IF(attempts >= ?, 2, 0) WHERE id = ?", 3, 0 },
	[S_OUTBOX_LIST] = {
	    "SELECT id, side, account_id, recipient, notice, event_at, attempts,"
	    " state, next_attempt_at FROM mail_outbox ORDER BY id LIMIT ?",
	    1, 9 },
	[S_OUTBOX_REQUEUE] = {
	    "UPDATE mail_outbox SET state = 0, attempts = 0, claimed_until = 0,"
	    " next_attempt_at = ? WHERE state = 2", 1, 0 },
	/* Stored answers (contract §9.6): rows by a keyed hash of the key,
	 * the answer sealed; purged oldest first, a batch at a time. */
	[S_IDEM_GET] = {
	    "SELECT body_hash, created_at, status, answer_box, answer_nonce"
	    " FROM idempotency_keys WHERE key_hash = ?", 1, 5 },
	[S_IDEM_CLAIM] = {
	    "INSERT INTO idempotency_keys (key_hash, side, account_id,"
	    " body_hash, created_at, status) VALUES (?, ?, ?, ?, ?, 0)", 5, 0 },
	[S_IDEM_ANSWER] = {
	    "UPDATE idempotency_keys SET status = ?, answer_box = ?,"
	    " answer_nonce = ? WHERE key_hash = ?", 4, 0 },
	[S_IDEM_FORGET] = {
	    "DELETE FROM idempotency_keys WHERE key_hash = ?"
	    " AND created_at <= ?", 2, 0 },
	[S_IDEM_PURGE] = {
	    "DELETE FROM idempotency_keys WHERE created_at <= ?"
	    " ORDER BY created_at LIMIT " STR(IDEM_PURGE_BATCH), 1, 0 },
	/* One request per key at a time: a named lock of the connection,
	 * so a process that dies lets go of it with its connection. */
	[S_IDEM_LOCK] = { "SELECT GET_LOCK(?, ?)", 2, 1 },
	[S_IDEM_UNLOCK] = { "SELECT RELEASE_LOCK(?)", 1, 1 },
	/* Method webauthn (contract §12): the account's user handle. */
	[S_WA_USER_GET] = {
	    "SELECT user_handle FROM webauthn_users WHERE side = ?"
	    " AND account_id = ?", 2, 1 },
	[S_WA_USER_INSERT] = {
	    "INSERT INTO webauthn_users (side, account_id, user_handle,"
	    " created_at) VALUES (?, ?, ?, ?)", 4, 0 },
	[S_WA_USER_DELETE] = {
	    "DELETE FROM webauthn_users WHERE side = ? AND account_id = ?",
	    2, 0 },
	/* Challenges: expired or used ones of the account go when a new one
	 * comes; of the live ones the oldest beyond WA_LIVE_CHALLENGES - 1. */
	[S_WA_CHAL_PURGE] = {
	    "DELETE FROM webauthn_challenges WHERE side = ? AND account_id = ?"
	    " AND (used = 1 OR expires_at <= ?)", 3, 0 },
	[S_WA_CHAL_COUNT] = {
	    "SELECT COUNT(*) FROM webauthn_challenges WHERE side = ?"
	    " AND account_id = ? AND purpose = ?", 3, 1 },
	[S_WA_CHAL_DROP_OLDEST] = {
	    "DELETE FROM webauthn_challenges WHERE side = ? AND account_id = ?"
	    " AND purpose = ? ORDER BY id LIMIT ?", 4, 0 },
	[S_WA_CHAL_INSERT] = {
	    "INSERT INTO webauthn_challenges (side, account_id, purpose,"
	    " challenge_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	    6, 0 },
	[S_WA_CHAL_FIND] = {
	    "SELECT id FROM webauthn_challenges WHERE challenge_hash = ?"
	    " AND side = ? AND account_id = ? AND purpose = ? AND used = 0"
	    " AND expires_at > ? FOR UPDATE", 5, 1 },
	/* The one statement that spends a challenge: once, while live. */
	[S_WA_CHAL_USE] = {
	    "UPDATE webauthn_challenges SET used = 1 WHERE id = ? AND used = 0"
	    " AND expires_at > ?", 2, 0 },
	[S_WA_CHAL_DELETE] = {
	    "DELETE FROM webauthn_challenges WHERE side = ? AND account_id = ?",
	    2, 0 },
	[S_WA_CHAL_DROP_PURPOSE] = {
	    "DELETE FROM webauthn_challenges WHERE side = ? AND account_id = ?"
	    " AND purpose = ?", 3, 0 },
#define WA_COLS \
	    "SELECT id, uuid, credential_id, public_key, alg, sign_count," \
	    " aaguid, fmt, flags, name, created_at, COALESCE(last_used_at, 0)" \
	    " FROM webauthn_credentials"
	[S_WA_LIST] = {
	    WA_COLS " WHERE side = ? AND account_id = ? ORDER BY id LIMIT "
	    STR(WA_MAX_CREDENTIALS), 2, 12 },
	[S_WA_COUNT] = {
	    "SELECT COUNT(*) FROM webauthn_credentials WHERE side = ?"
	    " AND account_id = ?", 2, 1 },
	[S_WA_GET] = {
	    WA_COLS " WHERE side = ? AND cred_hash = ? AND account_id = ?",
	    3, 12 },
	[S_WA_GET_UUID] = {
	    WA_COLS " WHERE uuid = ? AND side = ? AND account_id = ?", 3, 12 },
	[S_WA_INSERT] = {
	    "INSERT INTO webauthn_credentials (uuid, side, account_id,"
	    " cred_hash, credential_id, public_key, alg, sign_count, aaguid,"
	    " fmt, flags, name, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 13, 0 },
	/* WebAuthn §7.2 step 22: the stored count follows a greater one. */
	[S_WA_USED] = {
	    "UPDATE webauthn_credentials SET sign_count = GREATEST(sign_count,"
	    " ?), last_used_at = ? WHERE id = ?", 3, 0 },
	[S_WA_DELETE] = {
	    "DELETE FROM webauthn_credentials WHERE uuid = ? AND side = ?"
	    " AND account_id = ?", 3, 0 },
	[S_WA_DELETE_ALL] = {
	    "DELETE FROM webauthn_credentials WHERE side = ? AND account_id = ?",
	    2, 0 },
#ifdef GLUE_TESTING
	/* Test builds: a SELECT whose result fails at its first row, after
	 * the server has sent the columns (a scalar subquery of two rows,
	 * error 1242), as a result cut off by a conflict does (fault point
	 * "result-fails", db_auth_token()). */
	[S_TEST_RESULT_FAILS] = {
	    "SELECT s.n, (SELECT t.n FROM (SELECT 1 AS n UNION ALL SELECT 2) t"
	    " WHERE t.n >= s.n - 1) FROM (SELECT 1 AS n UNION ALL SELECT 2) s",
	    0, 2 },
#endif
};

/* ---- the driver ------------------------------------------------------ */

enum dbtype { DB_NULL, DB_INT, DB_TEXT, DB_BLOB };

/* An input parameter; DB_TEXT and DB_BLOB point at caller memory. */
struct dbv {
	enum dbtype	 t;
	long long	 i;
	const void	*p;
	unsigned long	 len;
};

#define V_INT(x)	((struct dbv){ DB_INT, (long long)(x), NULL, 0 })
#define V_TEXT(x)	((struct dbv){ DB_TEXT, 0, (x), strlen(x) })
#define V_BLOB(x, n)	((struct dbv){ DB_BLOB, 0, (x), (n) })
#define V_NULL		((struct dbv){ DB_NULL, 0, NULL, 0 })
#define V_OPT(x)	((x) != NULL ? V_TEXT(x) : V_NULL)
#define V_OPT_INT(x)	((x) >= 0 ? V_INT(x) : V_NULL)

/* An output column: DB_INT fills i; DB_TEXT/DB_BLOB fill buf (NUL-ended). */
struct dbcol {
	enum dbtype	 t;
	long long	 i;
	char		*buf;
	unsigned long	 cap;
	unsigned long	 len;
	char		 null;
	char		 error;
};

#define C_INT		((struct dbcol){ DB_INT, 0, NULL, 0, 0, 0, 0 })
#define C_BUF(b, n)	((struct dbcol){ DB_TEXT, 0, (b), (n), 0, 0, 0 })
#define C_TEXT(b)	C_BUF((b), sizeof(b))
#define C_BLOB(b)	((struct dbcol){ DB_BLOB, 0, (char *)(b), sizeof(b), 0, 0, 0 })

/* The values of a statement, counted by the compiler. */
#define ARGS(...)	(const struct dbv[]){ __VA_ARGS__ }, \
			nitems(((const struct dbv[]){ __VA_ARGS__ }))

/* CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, changed or not. */
static MYSQL		*conn;
static MYSQL_STMT	*stmts[S__COUNT];
static int		 down;		/* last failure was a lost server */
static int		 in_tx;
static int		 first;		/* no statement of this request ran yet */
static int		 dup;		/* last failure was a duplicate key */
static int		 connects = 1;	/* connects this request may still make */
static unsigned int	 conflict;	/* 1213 or 1205 met by this attempt */
static int		 commit_unknown;	/* a COMMIT went out, its answer
					 * was lost with the connection */
static int		 tx_lost;	/* the connection went with an open
					 * transaction: the request's work is
					 * gone, it can commit nothing more */
static int		 commits;	/* units of work this request committed */

/*
 * A statement used with a count its table entry does not have: a bug in
 * this file, caught by the first test that runs the statement (or by
 * db_check()).  A release build refuses the statement and says why.
 */
static void
miscount(enum stmt s, const char *what, unsigned long got, unsigned long want)
{
	log_err("database: statement %d (%.60s...): %lu %s, its table entry "
	    "says %lu", (int)s, stmt_def[s].sql != NULL ? stmt_def[s].sql :
	    "(none)", got, what, want);
#ifdef GLUE_TESTING
	abort();
#endif
}

/*
 * 1047 (ER_UNKNOWN_COM_ERROR) is what a Galera node answers while it is
 * not part of the primary component or not yet synced (wsrep_ready OFF):
 * it refuses every statement but SET and SHOW.  It is treated as a lost
 * server (contract §9.9): the connection is closed, the request answered
 * 503 at once, and the next request connects again, by then perhaps to a
 * node that is back.  No other server sends it to a client that speaks
 * only the protocol's known commands.
 */
#define ER_WSREP_NOT_READY	ER_UNKNOWN_COM_ERROR

static int
not_ready(unsigned int e)
{
	return e == ER_WSREP_NOT_READY;
}

static int
lost(unsigned int e)
{
	return not_ready(e) || e == CR_SERVER_GONE_ERROR ||
	    e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
	    e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED ||
	    e == ER_CONNECTION_KILLED || e == ER_SERVER_SHUTDOWN;
}

/* The two errors that say "run the transaction again" (contract §9.1). */
static int
conflicting(unsigned int e)
{
	return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT;
}

static double
seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Before a call to the server: when it started, errno cleared, so that a
 * failure's ETIMEDOUT is its own (db_failed()). */
static double
call_start(void)
{
	errno = 0;
	return seconds();
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

/*
 * The session every transaction runs in (contract §9.1): READ COMMITTED,
 * so that locking reads and updates lock the rows they match and no gaps
 * between index records (the gap locks of REPEATABLE READ on
 * mfa_codes_account made two accounts issuing codes at once deadlock).
 * Safe because no decision here rests on repeatable reads: every unit of
 * work that reads and then writes an account's state first takes that
 * account's lock row (db_account_lock()), so from then on nobody else
 * changes what it reads, and each statement sees everything committed
 * before the lock was granted.  On a Galera cluster the lock is only the
 * node's own; taking it changes the row, so two units of work of one
 * account on two nodes both write it, and the later fails certification
 * (or is aborted when the other's write set is applied) and runs again
 * (contract §9.9).  The other writes are single
 * conditional statements (a code consumed once, a step accepted once) or
 * counters updated in one statement, which behave the same at both
 * levels.  A lock is waited for DB_LOCK_WAIT_TIMEOUT seconds, below the
 * read timeout, so a long wait ends as error 1205, which is retried,
 * rather than as a read timeout, which is not.
 */
/* The test build's "commit-pause" (db_commit()) and "handover-pause"
 * (db_mfa_code_handed_over()): long enough for another node's request to
 * commit, or a test's session to lock the code's row, short of
 * db_read_timeout's least value. */
#define FAULT_COMMIT_PAUSE_MS	1000

static void
fault_pause(void)
{
	nanosleep(&(struct timespec){ FAULT_COMMIT_PAUSE_MS / 1000,
	    (FAULT_COMMIT_PAUSE_MS % 1000) * 1000000L }, NULL);
}

#define SESSION_ISOLATION \
	"SET SESSION tx_isolation = 'READ-COMMITTED'," \
	" innodb_lock_wait_timeout = " STR(DB_LOCK_WAIT_TIMEOUT)

/*
 * Connector/C starts OpenSSL in its first mysql_init(), asking for
 * openssl.cnf, every error string and the tables of all ciphers and
 * digests, and OpenSSL frees them all again at exit: measured, 30 % of
 * the instructions of a plain CGI request, two thirds with STATIC_LIBS=1
 * (README: Benchmarks).  The programs never ask for TLS (no key asks for
 * it), and the handshake's password hash needs none of these, so OpenSSL
 * is started first without any of them; its own init then finds them
 * done.  What OpenSSL allocates stays reachable until the process ends.
 */
static void
tls_start_light(void)
{
	static int	 done;

	if (done)
		return;
	done = 1;
	(void)OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
	    OPENSSL_INIT_NO_ATEXIT, NULL);
}

/*
 * Causal reads on Galera (contract §9.9): db_wsrep_sync_wait, when not 0,
 * is set in the same statement as the isolation level and the lock wait, so a connect makes as
 * many round trips as without it, and a server that is not asked for it
 * (0, the default) sees exactly the statements it saw before; a server
 * without the variable would refuse the connect, which is why it is not
 * set by default.  With 1 every read of the session first waits until the
 * node has applied every write the cluster committed before it: a token
 * revoked, a code used or an account locked through another node is seen
 * by the next request here.
 */
#define SESSION_SYNC \
	SESSION_ISOLATION ", wsrep_sync_wait = %u"

int
db_open(void)
{
	unsigned int	 t = cfg.db_connect_timeout, rt = cfg.db_read_timeout;
	unsigned int	 wt = cfg.db_write_timeout;
	int		 tcp = cfg.db_host[0] != '\0';
	static char	 session[sizeof(SESSION_SYNC) + 8];

	db_close();
	tls_start_light();
	if ((conn = mysql_init(NULL)) == NULL)
		return -1;
	/* MariaDB Connector/C waits each timeout once, without retrying
	 * (measured: a read on a stopped server fails after exactly
	 * db_read_timeout; the handshake of a connect is bounded by
	 * db_connect_timeout).  README: database timeouts. */
	mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Run on every connect, before the first statement: one statement,
	 * one round trip (a plain CGI request pays it every time). */
	if (cfg.db_wsrep_sync_wait == 0)
		mysql_options(conn, MYSQL_INIT_COMMAND, SESSION_ISOLATION);
	else {
		snprintf(session, sizeof(session), SESSION_SYNC,
		    cfg.db_wsrep_sync_wait);
		mysql_options(conn, MYSQL_INIT_COMMAND, session);
	}
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

/*
 * A failed call: a lost connection is closed (the server is down, or
 * frozen when the call timed out: then no connect is tried again in this
 * request); a conflict is remembered for the dispatcher.  since: when the
 * call started (call_start()).
 */
static void
db_failed(const char *what, unsigned int e, const char *msg, double since)
{
	int	 timed_out = errno == ETIMEDOUT ||
		    seconds() - since >= (double)cfg.db_read_timeout;

	if (lost(e)) {
		down = 1;
		if (timed_out)
			connects = 0;
		if (in_tx)
			tx_lost = 1;
		if (not_ready(e))
			log_err("database: %s: node not ready (wsrep, %u): %s",
			    what, e, msg);
		else
			log_err("database: %s: connection lost%s: %s", what,
			    timed_out ? " (timed out)" : "", msg);
		db_close();
	} else if (e == ER_LOCK_WAIT_TIMEOUT && cfg.db_wsrep_sync_wait != 0 &&
	    seconds() - since < (double)DB_LOCK_WAIT_TIMEOUT / 2) {
		/* Not a lock wait, which takes DB_LOCK_WAIT_TIMEOUT: a causal
		 * read (db_wsrep_sync_wait) refused at once by a Galera node
		 * that is not in the primary component.  As 1047. */
		down = 1;
		if (in_tx)
			tx_lost = 1;
		log_err("database: %s: node not ready (wsrep, causal read "
		    "refused, %u): %s", what, e, msg);
		db_close();
	} else if (conflicting(e)) {
		if (conflict == 0)
			log_warn("database: %s: %s", what, msg);
		conflict = e;
	} else
		log_err("database: %s: %s", what, msg);
}

/*
 * The connection for a statement: open, or opened again when this request
 * may still connect (once: see connects).  NULL when there is none, or
 * when this attempt met a conflict and may do nothing more.
 */
static MYSQL *
conn_get(void)
{
	if (conflict != 0 || tx_lost)
		return NULL;
	if (conn == NULL) {
		if (connects <= 0) {
			down = 1;
			return NULL;
		}
		connects--;
		if (db_open() == -1)
			return NULL;
	}
	return conn;
}

/* Is s an INSERT ... RETURNING (a result the server describes only when
 * the statement runs)? */
static int
returning(enum stmt s)
{
	return strncmp(stmt_def[s].sql, "INSERT ", 7) == 0 &&
	    strstr(stmt_def[s].sql, " RETURNING ") != NULL;
}

/* Prepares s once; its counts must be the table's. */
static MYSQL_STMT *
stmt_get(enum stmt s)
{
	MYSQL_STMT	*st;
	double		 t0;

	if (stmt_def[s].sql == NULL) {
		miscount(s, "statements", 0, 1);
		return NULL;
	}
	if (conn_get() == NULL)
		return NULL;
	if (stmts[s] != NULL)
		return stmts[s];
	if ((st = mysql_stmt_init(conn)) == NULL)
		return NULL;
	t0 = call_start();
	if (mysql_stmt_prepare(st, stmt_def[s].sql,
	    strlen(stmt_def[s].sql)) != 0) {
		db_failed("prepare", mysql_stmt_errno(st), mysql_stmt_error(st),
		    t0);
		mysql_stmt_close(st);
		return NULL;
	}
	/* An INSERT ... RETURNING has its columns only once executed: they
	 * are counted then (q_select()). */
	if (mysql_stmt_param_count(st) != stmt_def[s].params ||
	    (mysql_stmt_field_count(st) != stmt_def[s].cols &&
	    !(mysql_stmt_field_count(st) == 0 && returning(s)))) {
		if (mysql_stmt_param_count(st) != stmt_def[s].params)
			miscount(s, "parameters at prepare",
			    mysql_stmt_param_count(st), stmt_def[s].params);
		else
			miscount(s, "columns at prepare",
			    mysql_stmt_field_count(st), stmt_def[s].cols);
		mysql_stmt_close(st);
		return NULL;
	}
	return stmts[s] = st;
}

int
db_check(void)
{
	size_t	 i;
	int	 bad = 0;

	for (i = 0; i < S__COUNT; i++)
		if (stmt_get((enum stmt)i) == NULL)
			bad++;
	return bad;
}

int
db_statements(void)
{
	return S__COUNT;
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
 * transaction, or after a statement of this request went through (that
 * work went with the connection), or after a timeout (a frozen server:
 * conn_get() connects no more).  A write outside a transaction commits
 * itself: it is counted as a commit of the request.
 */
static MYSQL_STMT *
run(enum stmt s, const struct dbv *args, size_t n)
{
	MYSQL_BIND	 b[MAX_BINDS];
	MYSQL_STMT	*st;
	int		 retry = first && !in_tx;
	unsigned int	 e;
	double		 t0;

	dup = 0;
	if (n != stmt_def[s].params || n > MAX_BINDS) {
		miscount(s, "values bound", n, stmt_def[s].params);
		return NULL;
	}
	for (;;) {
		if ((st = stmt_get(s)) != NULL) {
			bind_in(b, args, n);
			t0 = call_start();
			if (mysql_stmt_bind_param(st, b) == 0 &&
			    mysql_stmt_execute(st) == 0) {
				first = 0;
				if (!in_tx && stmt_def[s].cols == 0)
					commits++;
				return st;
			}
			e = mysql_stmt_errno(st);
			if (e == ER_DUP_ENTRY) {
				dup = 1;
				return NULL;
			}
			db_failed("execute", e, mysql_stmt_error(st), t0);
		}
		if (!retry || conn != NULL || !down || connects <= 0)
			return NULL;
		retry = 0;
	}
}

/* A statement without a result: rows affected (matched), DB_DUP, DB_ERR. */
static long long
q_exec(enum stmt s, const struct dbv *args, size_t n)
{
	MYSQL_STMT	*st;

	if (stmt_def[s].cols != 0) {
		miscount(s, "columns bound", 0, stmt_def[s].cols);
		return DB_ERR;
	}
	if ((st = run(s, args, n)) == NULL)
		return dup ? DB_DUP : DB_ERR;
	return (long long)mysql_stmt_affected_rows(st);
}

/* q_exec() for a statement that must change exactly one row: 0, DB_DUP,
 * DB_ERR. */
static int
q_exec_one(enum stmt s, const struct dbv *args, size_t n)
{
	long long	 rc = q_exec(s, args, n);

	return rc == 1 ? 0 : rc == DB_DUP ? DB_DUP : DB_ERR;
}

/* q_exec() when only failure matters: 0 or DB_ERR. */
static int
q_run(enum stmt s, const struct dbv *args, size_t n)
{
	return q_exec(s, args, n) < 0 ? DB_ERR : 0;
}

/*
 * The pause before a unit of work runs again after a conflict (contract
 * §9.1): TX_RETRY_BASE_MS << (attempt - 1) ms, plus up to as much again
 * at random, so that the requests that met do not meet again in step.
 */
void
db_retry_pause(int attempt)
{
	long	 ms = (long)TX_RETRY_BASE_MS << (attempt - 1);

	ms += (long)random_uniform((uint32_t)ms);
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L },
	    NULL);
}

/*
 * q_run() for a statement that commits on its own, after something has
 * left the process that no answer can take back (a mail handed over):
 * a conflict (another Galera node's write set, contract §9.9) does not
 * end the request but sends the statement again, up to MAX_TX_RETRIES
 * times, each after db_retry_pause().  0 or DB_ERR, with no conflict
 * left for the dispatcher.
 */
static int
q_run_again(enum stmt s, const struct dbv *args, size_t n)
{
	int	 attempt;

	for (attempt = 1; ; attempt++) {
		if (q_run(s, args, n) == 0)
			return 0;
		if (conflict == 0 || in_tx || attempt > MAX_TX_RETRIES)
			break;
		log_warn("database: %.40s...: conflict (%u): sent again "
		    "(attempt %d of %d)", stmt_def[s].sql, conflict,
		    attempt + 1, MAX_TX_RETRIES + 1);
		conflict = 0;
		db_retry_pause(attempt);
	}
	if (!in_tx)
		conflict = 0;
	return DB_ERR;
}

/*
 * Executes a SELECT and binds the columns; then q_fetch() per row and
 * q_finish() once.  Text longer than a column's buffer is an error (the
 * buffers are sized from the schema, so it means a schema mismatch).
 */
static int
q_select(enum stmt s, const struct dbv *args, size_t n, struct dbcol *c,
    size_t nc)
{
	MYSQL_BIND	 b[MAX_BINDS];
	MYSQL_STMT	*st;
	size_t		 i;
	double		 t0;

	if (nc != stmt_def[s].cols || nc > MAX_BINDS) {
		miscount(s, "columns bound", nc, stmt_def[s].cols);
		return DB_ERR;
	}
	if ((st = run(s, args, n)) == NULL)
		return DB_ERR;
	if (mysql_stmt_field_count(st) != nc) {
		miscount(s, "columns at execute", mysql_stmt_field_count(st),
		    stmt_def[s].cols);
		(void)mysql_stmt_reset(st);
		return DB_ERR;
	}
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
	t0 = call_start();
	if (mysql_stmt_bind_result(st, b) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		db_failed("result", mysql_stmt_errno(st), mysql_stmt_error(st),
		    t0);
		/* A result cut off by the server (a Galera conflict that
		 * aborts the statement while it sorts, a lock wait timeout
		 * in a scan) leaves Connector/C's statement waiting for the
		 * rest of its rows, and mysql_stmt_free_result() does not
		 * clear that: the statement's next execute would read from
		 * the idle server until db_read_timeout and lose the
		 * connection (measured: 1 in 6 runs of the cluster suite;
		 * fault point "result-fails").  mysql_stmt_reset() puts it
		 * back to prepared, in one round trip. */
		if (conn != NULL)
			(void)mysql_stmt_reset(st);
		return DB_ERR;
	}
	return 0;
}

/* 1: a row is in the columns; 0: no more rows; DB_ERR. */
static int
q_fetch(enum stmt s, struct dbcol *c, size_t nc)
{
	size_t	 i;
	int	 rc;

	rc = mysql_stmt_fetch(stmts[s]);
	if (rc == MYSQL_NO_DATA)
		return 0;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return DB_ERR;
	for (i = 0; i < nc; i++) {
		if (c[i].t == DB_INT) {
			if (c[i].null)
				c[i].i = 0;
			continue;
		}
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

static void
q_finish(enum stmt s)
{
	if (stmts[s] != NULL)
		mysql_stmt_free_result(stmts[s]);
}

/* A query for at most one row: 1 found, 0 none, DB_ERR. */
static int
q_one(enum stmt s, const struct dbv *args, size_t n, struct dbcol *c,
    size_t nc)
{
	int	 rc;

	if (q_select(s, args, n, c, nc) != 0)
		return DB_ERR;
	rc = q_fetch(s, c, nc);
	q_finish(s);
	return rc;
}

/* A query for one integer: 1 found (*out), 0 none, DB_ERR. */
static int
q_int(enum stmt s, const struct dbv *args, size_t n, long long *out)
{
	struct dbcol	 c[1] = { C_INT };
	int		 rc;

	*out = 0;
	if ((rc = q_one(s, args, n, c, 1)) == 1)
		*out = c[0].i;
	return rc;
}

/* A statement without arguments (START TRANSACTION, COMMIT).  Like run(),
 * a connection found closed on the request's first statement is opened
 * again and the statement sent once more. */
static int
simple(const char *q)
{
	double	 t0;
	int	 retry = first && !in_tx;	/* as in run() */

	for (;;) {
		if (conn_get() == NULL)
			return -1;
		t0 = call_start();
		if (mysql_real_query(conn, q, strlen(q)) == 0)
			return 0;
		db_failed(q, mysql_errno(conn), mysql_error(conn), t0);
		if (!retry || conn != NULL || !down || connects <= 0)
			return -1;
		retry = 0;
	}
}

/*
 * Transactions nest: an inner begin/commit joins the one already open
 * (the request's unit of work, opened by the MFA guard), and only the
 * outermost commit commits.  A rollback at any depth ends it all.  Every
 * transaction runs at READ COMMITTED, the session's level (db_open(),
 * SESSION_ISOLATION: why that is safe).
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

/* step: a commit the request keeps track of itself (db_commit_step()):
 * not counted in commits, and no fault point of the request's own commit
 * is met there. */
static int
commit(int step)
{
	if (tx_lost)
		return -1;
	if (in_tx > 1) {
		in_tx--;
		return 0;
	}
	if (in_tx == 0)		/* rolled back inside: nothing to commit */
		return -1;
	in_tx = 0;
	/* Test builds: a pause before the COMMIT, in which a test makes
	 * another Galera node commit a conflicting write, so that this COMMIT
	 * fails certification (tests/cluster/cluster.py, commit_conflict). */
	if (!step && fault_wanted("commit-pause"))
		fault_pause();
	if (simple("COMMIT") != 0) {
		if (conn == NULL)	/* sent; the connection went with it */
			commit_unknown = 1;
		return -1;
	}
	if (step)
		return 0;
	/* Test builds: the COMMIT was carried out and its answer is taken as
	 * lost with the connection, which is what a server killed between the
	 * two leaves (tests/e2e/test_commit_unknown.py). */
	if (fault_wanted("commit-answer-lost")) {
		db_failed("COMMIT", CR_SERVER_LOST,
		    "answer lost (test build fault point)", call_start());
		commit_unknown = 1;
		return -1;
	}
	commits++;
	/* Test builds: the server is gone right after the COMMIT, so that
	 * every later statement of the request fails as unavailable: a
	 * request must not answer a refusal for work it committed
	 * (tests/e2e/test_down_after_commit.py). */
	if (fault_wanted("down-after-commit")) {
		log_err("database: down after the COMMIT (test build fault "
		    "point)");
		db_close();
		down = 1;
		connects = 0;
	}
	return 0;
}

int
db_commit(void)
{
	return commit(0);
}

/*
 * A commit of a step that the request remembers itself (a sign-in's
 * attempt counted before its password is checked, auth.c): a conflict
 * later in the request may still run the unit of work again, which skips
 * the step.
 */
int
db_commit_step(void)
{
	return commit(1);
}

/* The request's last COMMIT may or may not have been carried out: the
 * connection was lost before its answer (contract §9.2, 503 118). */
int
db_commit_unknown(void)
{
	return commit_unknown;
}

/* Also after a conflict, which refuses every other statement. */
void
db_rollback(void)
{
	double	 t0 = call_start();

	if (in_tx && conn != NULL &&
	    mysql_real_query(conn, "ROLLBACK", 8) != 0)
		db_failed("ROLLBACK", mysql_errno(conn), mysql_error(conn), t0);
	in_tx = 0;
}

/* Also while a transaction lost with its connection is not yet
 * concluded: the request must answer that nothing was done. */
int
db_in_transaction(void)
{
	return in_tx > 0 || tx_lost;
}

/*
 * Marks the start of a request, or of another attempt at its unit of
 * work: its first statement may be retried, it may connect once, nothing
 * is committed yet and no conflict met.
 */
void
db_request_start(void)
{
	if (in_tx)
		db_rollback();
	first = 1;
	connects = 1;
	conflict = 0;
	tx_lost = 0;
	commit_unknown = 0;
	commits = 0;
}

unsigned int
db_conflict(void)
{
	return conflict;
}

int
db_committed(void)
{
	return commits;
}

/* ---- tokens ---------------------------------------------------------- */

static int
token_insert(enum stmt s, const struct subject *who,
    unsigned long long family, const unsigned char hash[HASH_BYTES],
    time_t now, time_t expires)
{
	return q_exec_one(s, ARGS(V_INT(who->side), V_INT(who->id),
	    V_INT(family), V_BLOB(hash, HASH_BYTES), V_INT(now),
	    V_INT(expires))) == 0 ? 0 : DB_ERR;
}

int
db_access_insert(const struct subject *who, unsigned long long family,
    const unsigned char hash[HASH_BYTES], time_t now, time_t expires)
{
	return token_insert(S_ACCESS_INSERT, who, family, hash, now, expires);
}

int
db_refresh_insert(const struct subject *who, unsigned long long family,
    const unsigned char hash[HASH_BYTES], time_t now, time_t expires)
{
	return token_insert(S_REFRESH_INSERT, who, family, hash, now, expires);
}

int
db_access_revoke(long long token_id)
{
	return q_run(S_ACCESS_REVOKE_ONE, ARGS(V_INT(token_id)));
}

int
db_family_revoke(enum side side, unsigned long long family)
{
	if (q_run(S_REFRESH_REVOKE_FAMILY, ARGS(V_INT(family),
	    V_INT(side))) != 0)
		return DB_ERR;
	return q_run(S_ACCESS_REVOKE_FAMILY, ARGS(V_INT(family), V_INT(side)));
}

int
db_tokens_revoke_others(const struct subject *who, long long keep)
{
	if (q_run(S_ACCESS_REVOKE_OTHERS, ARGS(V_INT(who->side),
	    V_INT(who->id), V_INT(keep))) != 0)
		return DB_ERR;
	return db_refresh_revoke_all(who);
}

int
db_refresh_revoke_all(const struct subject *who)
{
	return q_run(S_REFRESH_REVOKE_ACCOUNT, ARGS(V_INT(who->side),
	    V_INT(who->id)));
}

int
db_refresh_revoke(const struct subject *who,
    const unsigned char hash[HASH_BYTES])
{
	return q_run(S_REFRESH_REVOKE_ONE, ARGS(V_BLOB(hash, HASH_BYTES),
	    V_INT(who->side), V_INT(who->id)));
}

int
db_refresh_get(enum side side, const unsigned char hash[HASH_BYTES],
    struct refresh_row *out)
{
	struct dbcol	 c[6] = { C_INT, C_INT, C_INT, C_INT, C_INT, C_INT };
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = q_one(S_REFRESH_BY_HASH, ARGS(V_BLOB(hash, HASH_BYTES),
	    V_INT(side)), c, nitems(c))) != 1)
		return rc;
	out->id = c[0].i;
	out->account = c[1].i;
	out->family = (unsigned long long)c[2].i;
	out->used = c[3].i != 0;
	out->revoked = c[4].i != 0;
	out->expires = c[5].i;
	return 1;
}

long long
db_refresh_use(long long id, time_t now)
{
	return q_exec(S_REFRESH_USE, ARGS(V_INT(id), V_INT(now)));
}

int
db_account_purge(const struct subject *who)
{
	static const enum stmt purge[] = {
		S_ACCESS_DELETE_ACCOUNT, S_REFRESH_DELETE_ACCOUNT,
		S_MFA_PURGE_METHODS, S_MFA_PURGE_CODES, S_MFA_PURGE_LOCKOUT,
		S_MFA_PURGE_TOTP,
		S_RECOVERY_DELETE, S_WA_DELETE_ALL, S_WA_CHAL_DELETE,
		S_WA_USER_DELETE,
	};
	size_t	 i;

	for (i = 0; i < nitems(purge); i++)
		if (q_run(purge[i], ARGS(V_INT(who->side),
		    V_INT(who->id))) != 0)
			return DB_ERR;
	return 0;
}

/* ---- sign-in limits -------------------------------------------------- */

/* The rows a statement RETURNING (failures, window_start, last_failure,
 * scope index) names, into out (a scope it does not name is left). */
static int
scope_rows(enum stmt s, const struct dbv *args, size_t n,
    struct login_failures *out)
{
	struct dbcol	 c[4] = { C_INT, C_INT, C_INT, C_INT };
	int		 rc;
	size_t		 k;

	if (q_select(s, args, n, c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(s, c, nitems(c))) == 1) {
		k = (size_t)c[3].i;
		if (k >= LF__COUNT)
			continue;
		out->row[k].failures = c[0].i;
		out->row[k].window_start = c[1].i;
		out->row[k].last_failure = c[2].i;
	}
	q_finish(s);
	return rc < 0 ? DB_ERR : 0;
}

int
db_login_failures_lock(const struct login_scopes *sc,
    struct login_failures *out)
{
	memset(out, 0, sizeof(*out));
	return scope_rows(S_LOGIN_FAILURES_LOCK,
	    ARGS(V_BLOB(sc->account, HASH_BYTES), V_BLOB(sc->pair, HASH_BYTES),
	    V_BLOB(sc->address, HASH_BYTES), V_BLOB(sc->account, HASH_BYTES),
	    V_BLOB(sc->pair, HASH_BYTES)), out);
}

int
db_login_failure_add(const struct login_scopes *sc, time_t now,
    time_t window_old, time_t account_old, struct login_failures *out)
{
	memset(out, 0, sizeof(*out));
	if (scope_rows(S_LOGIN_FAILURE_ADD_ACCOUNT, ARGS(V_BLOB(sc->account,
	    HASH_BYTES), V_INT(now), V_INT(now), V_INT(account_old),
	    V_INT(account_old)), out) != 0)
		return DB_ERR;
	return scope_rows(S_LOGIN_FAILURE_ADD, ARGS(V_BLOB(sc->pair,
	    HASH_BYTES), V_INT(now), V_INT(now), V_BLOB(sc->address,
	    HASH_BYTES), V_INT(now), V_INT(now), V_INT(window_old),
	    V_INT(window_old), V_BLOB(sc->pair, HASH_BYTES)), out);
}

int
db_login_failure_take_back(const struct login_scopes *sc, enum login_scope k,
    const struct login_failures *before, const struct login_failures *after)
{
	const unsigned char *scope = k == LF_ACCOUNT ? sc->account :
	    k == LF_PAIR ? sc->pair : sc->address;
	long long	 n;

	if (before->row[k].window_start == 0)	/* the attempt made the row */
		n = q_exec(S_LOGIN_FAILURE_FORGET, ARGS(V_BLOB(scope,
		    HASH_BYTES), V_INT(after->row[k].failures),
		    V_INT(after->row[k].window_start),
		    V_INT(after->row[k].last_failure)));
	else
		n = q_exec(S_LOGIN_FAILURE_RESTORE, ARGS(
		    V_INT(before->row[k].failures),
		    V_INT(before->row[k].window_start),
		    V_INT(before->row[k].last_failure), V_BLOB(scope, HASH_BYTES),
		    V_INT(after->row[k].failures),
		    V_INT(after->row[k].window_start),
		    V_INT(after->row[k].last_failure)));
	if (n == 0)		/* others counted on it since */
		n = q_exec(S_LOGIN_FAILURE_TAKE_BACK, ARGS(V_BLOB(scope,
		    HASH_BYTES)));
	return n < 0 ? DB_ERR : 0;
}

int
db_login_failure_clear(const struct login_scopes *sc)
{
	return q_run(S_LOGIN_FAILURE_CLEAR, ARGS(V_BLOB(sc->account,
	    HASH_BYTES), V_BLOB(sc->pair, HASH_BYTES)));
}

int
db_login(enum side side, const char *username, struct login_row *out)
{
	struct dbcol	 c[3];
	int		 rc;

	memset(out, 0, sizeof(*out));
	c[0] = C_INT;
	c[1] = C_TEXT(out->password_hash);
	c[2] = C_INT;
	if ((rc = q_one(side == SIDE_BACKEND ? S_USER_LOGIN : S_CUSTOMER_LOGIN,
	    ARGS(V_TEXT(username)), c, nitems(c))) != 1)
		return rc;
	out->id = c[0].i;
	out->active = c[2].i == 1;
	/* contract §3.2: an unconfirmed customer signs in like a wrong
	 * password, while confirmation is on. */
	if (side == SIDE_STOREFRONT && out->active &&
	    strcmp(cfg.customer_confirmation, "on") == 0 &&
	    (rc = db_customer_is_confirmed(out->id)) != 1)
		return rc < 0 ? rc : (out->active = 0, 1);
	return 1;
}

int
db_password_rehash(enum side side, long long id, const char *old,
    const char *hash)
{
	return q_run(side == SIDE_BACKEND ? S_USER_PASSWORD_REHASH :
	    S_CUSTOMER_PASSWORD_REHASH, ARGS(V_TEXT(hash), V_INT(id),
	    V_TEXT(old)));
}

/* ---- customers ------------------------------------------------------- */

long long
db_customer_insert(const struct customer_fields *f, const char *hash,
    time_t now)
{
	int	 rc;

	rc = q_exec_one(S_CUSTOMER_INSERT, ARGS(V_TEXT(f->email), V_TEXT(hash),
	    V_OPT(f->salutation), V_TEXT(f->first), V_TEXT(f->last),
	    V_OPT(f->locale), V_INT(now), V_INT(now)));
	if (rc != 0)
		return rc;
	return (long long)mysql_insert_id(conn);
}

long long
db_customer_update(long long id, const struct customer_fields *f,
    time_t now)
{
	return q_exec(S_CUSTOMER_UPDATE, ARGS(V_OPT(f->email),
	    V_OPT(f->salutation), V_OPT(f->first), V_OPT(f->last),
	    V_OPT(f->locale), V_INT(now), V_INT(id)));
}

int
db_customer_delete(long long id)
{
	return q_run(S_CUSTOMER_DELETE, ARGS(V_INT(id)));
}

int
db_customer_password(long long id, char *buf, size_t sz)
{
	struct dbcol	 c[1];

	c[0] = C_BUF(buf, sz);
	return q_one(S_CUSTOMER_PASSWORD_GET, ARGS(V_INT(id)), c, 1);
}

int
db_customer_password_set(long long id, const char *hash, time_t now)
{
	return q_run(S_CUSTOMER_PASSWORD_SET, ARGS(V_TEXT(hash), V_INT(now),
	    V_INT(id)));
}


long long
db_customer_by_email(const char *email)
{
	long long	 id;
	int		 rc;

	if ((rc = q_int(S_CUSTOMER_BY_EMAIL, ARGS(V_TEXT(email)), &id)) < 0)
		return rc;
	return rc == 1 ? id : 0;
}

/* ---- addresses ------------------------------------------------------- */

static void
address_bind(struct dbcol c[11], struct address_row *a)
{
	c[0] = C_TEXT(a->uuid);
	c[1] = C_TEXT(a->salutation);
	c[2] = C_TEXT(a->first);
	c[3] = C_TEXT(a->last);
	c[4] = C_TEXT(a->address1);
	c[5] = C_TEXT(a->address2);
	c[6] = C_TEXT(a->zip);
	c[7] = C_TEXT(a->city);
	c[8] = C_TEXT(a->iso2);
	c[9] = C_INT;
	c[10] = C_INT;
}

static void
address_read(const struct dbcol c[11], struct address_row *a)
{
	a->salutation_null = c[1].null;
	a->shipping = c[9].i != 0;
	a->billing = c[10].i != 0;
}

int
db_address_iterate(long long customer, long offset, long limit,
    void (*cb)(const struct address_row *, void *), void *arg)
{
	struct address_row	 a;
	struct dbcol		 c[11];
	int			 rc, n = 0;

	address_bind(c, &a);
	if (q_select(S_ADDRESS_LIST, ARGS(V_INT(customer), V_INT(limit),
	    V_INT(offset)), c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_ADDRESS_LIST, c, nitems(c))) == 1) {
		address_read(c, &a);
		cb(&a, arg);
		n++;
	}
	q_finish(S_ADDRESS_LIST);
	return rc < 0 ? DB_ERR : n;
}

int
db_address_get(long long customer, const char *uuid, struct address_row *a)
{
	struct dbcol	 c[11];
	int		 rc;

	address_bind(c, a);
	if ((rc = q_one(S_ADDRESS_GET, ARGS(V_INT(customer), V_TEXT(uuid)), c,
	    nitems(c))) == 1)
		address_read(c, a);
	return rc;
}

long long
db_address_count(long long customer)
{
	long long	 n;

	if (q_int(S_ADDRESS_COUNT, ARGS(V_INT(customer)), &n) != 1)
		return DB_ERR;
	return n;
}

int
db_address_insert(long long customer, const char *uuid,
    const struct address_fields *f, time_t now)
{
	return q_exec_one(S_ADDRESS_INSERT, ARGS(V_TEXT(uuid),
	    V_INT(customer), V_OPT(f->salutation), V_TEXT(f->first),
	    V_TEXT(f->last), V_TEXT(f->address1), V_TEXT(f->address2),
	    V_TEXT(f->zip), V_TEXT(f->city), V_TEXT(f->iso2),
	    V_INT(f->shipping), V_INT(f->billing), V_INT(now),
	    V_INT(now))) == 0 ? 0 : DB_ERR;
}

long long
db_address_update(long long customer, const char *uuid,
    const struct address_fields *f, time_t now)
{
	return q_exec(S_ADDRESS_UPDATE, ARGS(V_OPT(f->salutation),
	    V_OPT(f->first), V_OPT(f->last), V_OPT(f->address1),
	    V_OPT(f->address2), V_OPT(f->zip), V_OPT(f->city), V_OPT(f->iso2),
	    V_OPT_INT(f->shipping), V_OPT_INT(f->billing), V_INT(now),
	    V_INT(customer), V_TEXT(uuid)));
}

long long
db_address_delete(long long customer, const char *uuid)
{
	return q_exec(S_ADDRESS_DELETE, ARGS(V_INT(customer), V_TEXT(uuid)));
}

int
db_address_clear_defaults(long long customer, const char *uuid,
    int shipping, int billing)
{
	if (shipping && q_run(S_ADDRESS_CLEAR_SHIPPING, ARGS(V_INT(customer),
	    V_TEXT(uuid))) != 0)
		return DB_ERR;
	if (billing && q_run(S_ADDRESS_CLEAR_BILLING, ARGS(V_INT(customer),
	    V_TEXT(uuid))) != 0)
		return DB_ERR;
	return 0;
}

/* ---- users ----------------------------------------------------------- */

static void
user_bind(struct dbcol c[9], struct user_row *u)
{
	c[0] = C_INT;
	c[1] = C_TEXT(u->uuid);
	c[2] = C_TEXT(u->username);
	c[3] = C_TEXT(u->first);
	c[4] = C_TEXT(u->last);
	c[5] = C_INT;
	c[6] = C_INT;
	c[7] = C_INT;
	c[8] = C_TEXT(u->locale);
}

static void
user_read(const struct dbcol c[9], struct user_row *u)
{
	u->id = c[0].i;
	u->active = c[5].i == 1;
	u->created = c[6].i;
	u->updated = c[7].i;
}

int
db_user_iterate(long offset, long limit,
    void (*cb)(const struct user_row *, void *), void *arg, long long *total)
{
	struct user_row	 u;
	struct dbcol	 c[10];
	int		 rc, n = 0;

	user_bind(c, &u);
	c[9] = C_INT;
	if (q_select(S_USER_LIST, ARGS(V_INT(limit), V_INT(offset)), c,
	    nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_USER_LIST, c, nitems(c))) == 1) {
		user_read(c, &u);
		*total = c[9].i;
		cb(&u, arg);
		n++;
	}
	q_finish(S_USER_LIST);
	if (rc < 0)
		return DB_ERR;
	/* A page past the end has no row to carry the count. */
	if (n == 0 && q_int(S_USER_COUNT, NULL, 0, total) != 1)
		return DB_ERR;
	return n;
}

int
db_user_get(const char *uuid, struct user_row *u)
{
	struct dbcol	 c[9];
	int		 rc;

	user_bind(c, u);
	if ((rc = q_one(S_USER_GET, ARGS(V_TEXT(uuid)), c, nitems(c))) == 1)
		user_read(c, u);
	return rc;
}

long long
db_user_insert(const char *uuid, const struct user_fields *f, time_t now)
{
	int	 rc;

	rc = q_exec_one(S_USER_INSERT, ARGS(V_TEXT(uuid), V_TEXT(f->username),
	    V_TEXT(f->password_hash), V_TEXT(f->first), V_TEXT(f->last),
	    V_INT(f->active), V_OPT(f->locale), V_INT(now), V_INT(now)));
	if (rc != 0)
		return rc;
	return (long long)mysql_insert_id(conn);
}

long long
db_user_update(long long id, const struct user_fields *f, time_t now)
{
	return q_exec(S_USER_UPDATE, ARGS(V_OPT(f->username),
	    V_OPT(f->password_hash), V_OPT(f->first), V_OPT(f->last),
	    V_OPT_INT(f->active), V_OPT(f->locale), V_INT(now), V_INT(id)));
}

int
db_user_delete(long long id)
{
	return q_run(S_USER_DELETE, ARGS(V_INT(id)));
}

/* 1 with the user's password hash in buf, 0 gone, DB_ERR. */
int
db_user_password(long long id, char *buf, size_t sz)
{
	struct dbcol	 c[1];

	c[0] = C_BUF(buf, sz);
	return q_one(S_USER_PASSWORD_GET, ARGS(V_INT(id)), c, 1);
}

long long
db_user_by_name(const char *username)
{
	long long	 id;
	int		 rc;

	if ((rc = q_int(S_USER_BY_NAME, ARGS(V_TEXT(username)), &id)) < 0)
		return rc;
	return rc == 1 ? id : 0;
}

/* ---- audit ----------------------------------------------------------- */

int
db_audit_insert(const struct audit_entry *e)
{
	return q_exec_one(S_AUDIT_INSERT, ARGS(V_INT(e->at), V_INT(e->side),
	    e->account != 0 ? V_INT(e->account) : V_NULL,
	    e->actor != 0 ? V_INT(e->actor) : V_NULL, V_TEXT(e->action),
	    V_OPT(e->method), V_TEXT(e->result), V_OPT(e->error_code),
	    V_TEXT(e->client_address), V_TEXT(e->user_agent),
	    V_TEXT(e->request_id))) == 0 ? 0 : DB_ERR;
}

int
db_audit_iterate(long n, void (*cb)(const struct audit_row *, void *),
    void *arg)
{
	struct audit_row a;
	struct dbcol	 c[10];
	int		 rc, rows = 0;

	memset(&a, 0, sizeof(a));
	c[0] = C_INT;
	c[1] = C_INT;
	c[2] = C_INT;
	c[3] = C_INT;
	c[4] = C_TEXT(a.action);
	c[5] = C_TEXT(a.method);
	c[6] = C_TEXT(a.result);
	c[7] = C_TEXT(a.code);
	c[8] = C_TEXT(a.address);
	c[9] = C_TEXT(a.request);
	if (q_select(S_AUDIT_RECENT, ARGS(V_INT(n)), c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_AUDIT_RECENT, c, nitems(c))) == 1) {
		a.at = c[0].i;
		a.side = c[1].i == SIDE_BACKEND ? SIDE_BACKEND :
		    SIDE_STOREFRONT;
		a.account = c[2].i;
		a.actor = c[3].i;
		cb(&a, arg);
		rows++;
	}
	q_finish(S_AUDIT_RECENT);
	return rc < 0 ? DB_ERR : rows;
}

/* ---- MFA and authentication ------------------------------------------ */

size_t
methods_active(const struct methods *ms)
{
	size_t	 i, n = 0;

	for (i = 0; i < ms->n; i++)
		if (ms->m[i].status == ST_ACTIVE)
			n++;
	return n;
}

/*
 * The one decoder of the authentication query's lists: the next item of
 * the comma-separated *p into buf (NUL-ended), *p moved past it.  0 at the
 * end; an item that does not fit buf comes back empty (no valid item is
 * that long).
 */
static int
list_next(const char **p, char *buf, size_t sz)
{
	size_t	 n;

	if (**p == '\0')
		return 0;
	n = strcspn(*p, ",");
	if (n < sz) {
		memcpy(buf, *p, n);
		buf[n] = '\0';
	} else
		buf[0] = '\0';
	*p += n;
	if (**p == ',')
		(*p)++;
	return 1;
}

/* A method type: 1 to MAX_METHOD_NAME characters into out. */
static int
type_copy(char out[MAX_METHOD_NAME + 1], const char *s, size_t n)
{
	if (n == 0 || n > MAX_METHOD_NAME)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static enum method_status
status_decode(long long v)
{
	return v == ST_ACTIVE ? ST_ACTIVE : v == ST_PENDING ? ST_PENDING :
	    ST_DEACTIVATED;
}

/* One "type=status" (the authentication query's row per method) added
 * to ms; anything else ("" or NULL: no method row) adds nothing. */
static void
method_add(const char *item, struct methods *ms)
{
	const char	*eq;

	if (ms->n < MAX_METHODS && (eq = strrchr(item, '=')) != NULL &&
	    type_copy(ms->m[ms->n].type, item, (size_t)(eq - item)) == 0)
		ms->m[ms->n++].status = status_decode(strtoll(eq + 1, NULL,
		    10));
}

/* "id:type:HEXHASH,...", newest window first. */
static void
grace_decode(const char *p, struct grace_row *g, size_t *n)
{
	char		 item[GRACE_ITEM + 1], *t, *hex;

	*n = 0;
	while (*n < MAX_GRACE_WINDOWS && list_next(&p, item, sizeof(item))) {
		if ((t = strchr(item, ':')) == NULL ||
		    (hex = strchr(t + 1, ':')) == NULL ||
		    type_copy(g[*n].type, t + 1, (size_t)(hex - t - 1)) != 0 ||
		    hex_decode(g[*n].hash, HASH_BYTES, hex + 1,
		    strlen(hex + 1)) != 0)
			continue;
		g[(*n)++].id = strtoll(item, NULL, 10);
	}
}

#ifdef GLUE_TESTING
/*
 * Test builds, fault point "result-fails": a statement whose result the
 * server cuts off, run twice on this connection.  Both fail with 1242;
 * the second must not find the first's leftovers (q_select()), or it
 * waits out db_read_timeout, the connection is lost and the request that
 * follows answers 503 (tests/e2e/test_db_result_cut_off.py).
 */
static void
result_fails_twice(void)
{
	struct dbcol	 c[2] = { C_INT, C_INT };
	int		 i;

	for (i = 0; i < 2; i++)
		if (q_select(S_TEST_RESULT_FAILS, NULL, 0, c, nitems(c)) == 0)
			q_finish(S_TEST_RESULT_FAILS);
}
#endif

int
db_auth_token(enum side side, const unsigned char hash[HASH_BYTES],
    time_t now, enum auth_level level, struct account *a)
{
	static const enum stmt which[2][3] = {
		[SIDE_STOREFRONT] = { S_AUTH_CUSTOMER, S_AUTH_CUSTOMER_METHODS,
		    S_AUTH_CUSTOMER_FULL },
		[SIDE_BACKEND] = { S_AUTH_USER, S_AUTH_USER_METHODS,
		    S_AUTH_USER_FULL },
	};
	char		 method[METHOD_ITEM + 1], grace[GRACE_TEXT];
	struct dbcol	 c[13];
	struct dbv	 v[4];
	size_t		 n = 0;
	int		 rc;
	enum stmt	 st = which[side][level];

	if (level == AUTH_FULL)	/* the grace window's clock comes first */
		v[n++] = V_INT(now);
	v[n++] = V_BLOB(hash, HASH_BYTES);
	v[n++] = V_INT(side);
	v[n++] = V_INT(now);
	c[0] = C_INT;
	c[1] = C_INT;
	c[2] = C_INT;
	c[3] = C_TEXT(method);
	c[4] = C_TEXT(grace);
	c[5] = C_INT;
	c[6] = C_TEXT(a->email);
	c[7] = C_TEXT(a->extra);
	c[8] = C_TEXT(a->first);
	c[9] = C_TEXT(a->last);
	c[10] = C_INT;
	c[11] = C_INT;
	c[12] = C_TEXT(a->locale);
#ifdef GLUE_TESTING
	if (fault_wanted("result-fails"))
		result_fails_twice();
#endif
	/* A row per method row of the account (one when it has none). */
	if (q_select(st, v, n, c, nitems(c)) != 0)
		return DB_ERR;
	a->methods.n = 0;
	if ((rc = q_fetch(st, c, nitems(c))) == 1) {
		method_add(method, &a->methods);
		while ((rc = q_fetch(st, c, nitems(c))) == 1)
			method_add(method, &a->methods);
		rc = rc == 0 ? 1 : rc;
	}
	q_finish(st);
	if (rc != 1)
		return rc;
	a->token_id = c[0].i;
	a->id = c[1].i;
	a->family = (unsigned long long)c[2].i;
	grace_decode(grace, a->grace, &a->ngrace);
	a->locked_until = c[5].i;
	a->extra_null = c[7].null;
	a->created = c[10].i;
	a->updated = c[11].i;
	a->level = level;
	return 1;
}

int
db_contact_locale(const struct subject *who, char *buf, size_t sz,
    char locale[MAX_LOCALE + 1])
{
	struct dbcol	 c[2];

	c[0] = C_BUF(buf, sz);
	c[1] = C_BUF(locale, MAX_LOCALE + 1);
	return q_one(who->side == SIDE_BACKEND ? S_USER_CONTACT :
	    S_CUSTOMER_CONTACT, ARGS(V_INT(who->id)), c, 2);
}

long long
db_locale_set(const struct subject *who, const char *locale, time_t now)
{
	return q_exec(who->side == SIDE_BACKEND ? S_USER_LOCALE_SET :
	    S_CUSTOMER_LOCALE_SET, ARGS(V_OPT(locale), V_INT(now),
	    V_INT(who->id)));
}

int
db_contact(const struct subject *who, char *buf, size_t sz)
{
	char	 locale[MAX_LOCALE + 1];

	return db_contact_locale(who, buf, sz, locale);
}

int
db_mfa_methods(const struct subject *who, struct methods *ms)
{
	char		 type[MAX_METHOD_NAME + 1];
	struct dbcol	 c[2] = { C_TEXT(type), C_INT };
	int		 rc;

	ms->n = 0;
	if (q_select(S_MFA_METHODS, ARGS(V_INT(who->side), V_INT(who->id)), c,
	    nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_MFA_METHODS, c, nitems(c))) == 1)
		if (ms->n < MAX_METHODS) {
			memcpy(ms->m[ms->n].type, type, sizeof(type));
			ms->m[ms->n++].status = status_decode(c[1].i);
		}
	q_finish(S_MFA_METHODS);
	return rc < 0 ? DB_ERR : 0;
}

int
db_mfa_method_pending(const struct subject *who, const char *type,
    time_t now)
{
	return q_run(S_MFA_METHOD_PENDING, ARGS(V_INT(who->side),
	    V_INT(who->id), V_TEXT(type), V_INT(now)));
}

long long
db_mfa_method_activate(const struct subject *who, const char *type,
    time_t now)
{
	return q_exec(S_MFA_METHOD_ACTIVATE, ARGS(V_INT(now),
	    V_INT(who->side), V_INT(who->id), V_TEXT(type)));
}

long long
db_mfa_method_deactivate(const struct subject *who, const char *type,
    time_t now)
{
	return q_exec(S_MFA_METHOD_DEACTIVATE, ARGS(V_INT(now),
	    V_INT(who->side), V_INT(who->id), V_TEXT(type)));
}

int
db_mfa_codes_live(const struct subject *who, time_t now, struct codes *cs)
{
	struct code_row	 row;
	unsigned char	 hash[HASH_BYTES + 1];
	struct dbcol	 c[6];
	int		 rc;

	c[0] = C_INT;
	c[1] = C_TEXT(row.type);
	c[2] = C_BLOB(hash);
	c[3] = C_INT;
	c[4] = C_INT;
	c[5] = C_TEXT(row.action);
	cs->n = 0;
	if (q_select(S_MFA_CODES_LIVE, ARGS(V_INT(who->side), V_INT(who->id),
	    V_INT(now)), c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_MFA_CODES_LIVE, c, nitems(c))) == 1) {
		if (cs->n == MAX_CODE_ROWS || c[2].len != HASH_BYTES)
			continue;
		row.id = c[0].i;
		memcpy(row.hash, hash, HASH_BYTES);
		row.state = CODE_LIVE;
		row.method_status = status_decode(c[4].i);
		cs->c[cs->n++] = row;
	}
	q_finish(S_MFA_CODES_LIVE);
	return rc < 0 ? DB_ERR : 0;
}

/*
 * The account's lock (contract §9.1, §9.9): its row in mfa_lockouts,
 * made if needed and changed (lock_seq), held until the transaction ends;
 * db_mfa_lock() also reads it.
 */
int
db_mfa_lock(const struct subject *who, struct lockout *l)
{
	struct dbcol	 c[3] = { C_INT, C_INT, C_INT };

	if (q_one(S_MFA_LOCK, ARGS(V_INT(who->side), V_INT(who->id)), c,
	    nitems(c)) != 1)
		return DB_ERR;
	l->failures = c[0].i;
	l->lockouts = c[1].i;
	l->locked_until = c[2].i;
	return 0;
}

int
db_account_lock(const struct subject *who)
{
	struct lockout	 l;

	return db_mfa_lock(who, &l);
}

int
db_mfa_lock_set(const struct subject *who, const struct lockout *l)
{
	return q_run(S_MFA_LOCK_SET, ARGS(V_INT(l->failures),
	    V_INT(l->lockouts), V_INT(l->locked_until), V_INT(who->side),
	    V_INT(who->id)));
}

int
db_mfa_lock_clear(const struct subject *who)
{
	return q_run(S_MFA_LOCK_CLEAR, ARGS(V_INT(who->side), V_INT(who->id)));
}

long long
db_mfa_code_consume(long long id, const unsigned char token_hash[HASH_BYTES],
    time_t grace_until)
{
	return q_exec(S_MFA_CODE_CONSUME, ARGS(V_BLOB(token_hash, HASH_BYTES),
	    V_INT(grace_until), V_INT(id)));
}

int
db_mfa_code_fail(const struct subject *who, const char *type, time_t now,
    long attempts_per_code)
{
	return q_run(S_MFA_CODE_FAIL, ARGS(V_INT(attempts_per_code),
	    V_INT(who->side), V_INT(who->id), V_INT(now), V_INT(who->side),
	    V_INT(who->id), V_OPT(type), V_OPT(type)));
}

int
db_mfa_send_stats(const struct subject *who, const char *type, time_t now,
    time_t failures_since, struct send_stats *st)
{
	struct dbcol	 c[5] = { C_INT, C_INT, C_INT, C_INT, C_INT };

	if (q_one(S_MFA_SEND_STATS, ARGS(V_TEXT(type), V_TEXT(type),
	    V_TEXT(type), V_INT(now), V_INT(failures_since),
	    V_INT(failures_since), V_INT(who->side), V_INT(who->id),
	    V_INT((long long)now - DAY)), c, nitems(c)) != 1)
		return DB_ERR;
	st->count = c[0].i;
	st->oldest = c[1].i;
	st->newest_live = c[2].i;
	st->failures = c[3].i;
	st->failures_oldest = c[4].i;
	return 0;
}

int
db_mfa_codes_invalidate(const struct subject *who, const char *type)
{
	return q_run(S_MFA_CODES_INVALIDATE, ARGS(V_INT(who->side),
	    V_INT(who->id), V_TEXT(type)));
}

int
db_mfa_code_insert(const struct subject *who, long long id, const char *type,
    const unsigned char hash[HASH_BYTES], time_t now, time_t expires,
    const char *action)
{
	return q_exec_one(S_MFA_CODE_INSERT, ARGS(V_INT(id), V_INT(who->side),
	    V_INT(who->id), V_TEXT(type), V_BLOB(hash, HASH_BYTES), V_INT(now),
	    V_INT(expires), V_OPT(action))) == 0 ? 0 : DB_ERR;
}

int
db_mfa_code_cancel(long long id)
{
	return q_run(S_MFA_CODE_CANCEL, ARGS(V_INT(id)));
}

int
db_mfa_code_handed_over(long long id)
{
	/* Test builds: a pause in which a test holds the code's row, so that
	 * the record meets a lock wait (tests/e2e/test_db_deadlock.py). */
	if (fault_wanted("handover-pause"))
		fault_pause();
	return q_run_again(S_MFA_CODE_HANDED_OVER, ARGS(V_INT(id)));
}

int
db_mfa_codes_end(const struct subject *who, const char *type)
{
	return q_run(S_MFA_CODES_END, ARGS(V_INT(who->side), V_INT(who->id),
	    V_TEXT(type)));
}

int
db_mfa_code_insert_used(const struct subject *who, long long id,
    const char *type, const unsigned char hash[HASH_BYTES], time_t now,
    const unsigned char token_hash[HASH_BYTES], time_t grace_until)
{
	return q_exec_one(S_MFA_CODE_INSERT_USED, ARGS(V_INT(id),
	    V_INT(who->side), V_INT(who->id), V_TEXT(type),
	    V_BLOB(hash, HASH_BYTES), V_INT(now), V_INT(grace_until),
	    V_BLOB(token_hash, HASH_BYTES), V_INT(grace_until))) == 0 ?
	    0 : DB_ERR;
}

int
db_mfa_totp_set(const struct subject *who, const struct totp_row *t,
    time_t now)
{
	return q_run(S_MFA_TOTP_SET, ARGS(V_INT(who->side), V_INT(who->id),
	    V_BLOB(t->box, t->boxlen), V_BLOB(t->nonce, SEAL_NONCE_BYTES),
	    V_INT(now)));
}

int
db_mfa_totp_get(const struct subject *who, struct totp_row *t)
{
	unsigned char	 nonce[SEAL_NONCE_BYTES + 1];
	struct dbcol	 c[4];
	int		 rc;

	c[0] = C_BLOB(t->box);
	c[1] = C_BLOB(nonce);
	c[2] = C_INT;
	c[3] = C_INT;
	if ((rc = q_one(S_MFA_TOTP_GET, ARGS(V_INT(who->side),
	    V_INT(who->id)), c, nitems(c))) != 1)
		return rc < 0 ? DB_ERR : 0;
	if (c[1].len != SEAL_NONCE_BYTES || c[0].len > TOTP_BOX_MAX)
		return DB_ERR;
	memcpy(t->nonce, nonce, SEAL_NONCE_BYTES);
	t->boxlen = c[0].len;
	t->last_step = c[2].i;
	t->drift = c[3].i;
	return 1;
}

long long
db_mfa_totp_step(const struct subject *who, long long step, long drift)
{
	return q_exec(S_MFA_TOTP_STEP, ARGS(V_INT(step), V_INT(drift),
	    V_INT(who->side), V_INT(who->id), V_INT(step)));
}

int
db_mfa_totp_delete(const struct subject *who)
{
	return q_run(S_MFA_PURGE_TOTP, ARGS(V_INT(who->side), V_INT(who->id)));
}

/* ---- sign-up, confirmation, sessions (migration 008) ----------------- */

int
db_signup_hit(const unsigned char scope[HASH_BYTES], time_t now, time_t old,
    long long *hits, long long *start)
{
	struct dbcol	 c[2] = { C_INT, C_INT };

	if (q_run(S_SIGNUP_HIT, ARGS(V_BLOB(scope, HASH_BYTES), V_INT(now),
	    V_INT(old), V_INT(old))) != 0 ||
	    q_one(S_SIGNUP_GET, ARGS(V_BLOB(scope, HASH_BYTES)), c,
	    nitems(c)) != 1)
		return DB_ERR;
	*hits = c[0].i;
	*start = c[1].i;
	return 0;
}

int
db_customer_key_set(long long id, const unsigned char hash[HASH_BYTES],
    time_t expires)
{
	return q_run(S_CUSTOMER_KEY_SET, ARGS(V_BLOB(hash, HASH_BYTES),
	    V_INT(expires), V_INT(id)));
}

int
db_customer_confirmed_at(long long id, time_t now)
{
	return q_run(S_CUSTOMER_CONFIRMED_AT, ARGS(V_INT(now), V_INT(id)));
}

long long
db_customer_confirm(const unsigned char hash[HASH_BYTES], time_t now)
{
	long long	 id, n;
	int		 rc;

	if ((rc = q_int(S_CUSTOMER_BY_KEY, ARGS(V_BLOB(hash, HASH_BYTES),
	    V_INT(now)), &id)) != 1)
		return rc;
	/* A parallel confirmation with the same key: the first one wins. */
	if ((n = q_exec(S_CUSTOMER_CONFIRM, ARGS(V_INT(now), V_INT(id)))) < 0)
		return DB_ERR;
	return n == 1 ? id : 0;
}

int
db_customer_is_confirmed(long long id)
{
	long long	 v;
	int		 rc;

	if ((rc = q_int(S_CUSTOMER_IS_CONFIRMED, ARGS(V_INT(id)), &v)) != 1)
		return rc;
	return v != 0;
}

int
db_mfa_codes_drop(const struct subject *who)
{
	return q_run(S_MFA_CODES_DROP, ARGS(V_INT(who->side), V_INT(who->id)));
}

int
db_family_access_revoke(enum side side, unsigned long long family)
{
	return q_run(S_ACCESS_REVOKE_FAMILY, ARGS(V_INT(family), V_INT(side)));
}

int
db_recipient_lock(const unsigned char recipient[HASH_BYTES])
{
	return q_run(S_RECIPIENT_LOCK, ARGS(V_BLOB(recipient, HASH_BYTES)));
}

int
db_code_mail_stats(const unsigned char recipient[HASH_BYTES], time_t now,
    long long *count, long long *oldest)
{
	struct dbcol	 c[2] = { C_INT, C_INT };

	if (q_one(S_CODE_MAIL_STATS, ARGS(V_BLOB(recipient, HASH_BYTES),
	    V_INT(now - DAY)), c, nitems(c)) != 1)
		return DB_ERR;
	*count = c[0].i;
	*oldest = c[1].i;
	return 0;
}

int
db_code_mail_insert(long long code_id,
    const unsigned char recipient[HASH_BYTES], time_t now)
{
	return q_exec_one(S_CODE_MAIL_INSERT, ARGS(V_INT(code_id),
	    V_BLOB(recipient, HASH_BYTES), V_INT(now))) == 0 ? 0 : DB_ERR;
}

int
db_code_mail_delete(long long code_id)
{
	return q_run(S_CODE_MAIL_DELETE, ARGS(V_INT(code_id)));
}

/* ---- recovery codes -------------------------------------------------- */

int
db_recovery_list(const struct subject *who, struct recovery_set *set)
{
	struct recovery_row row;
	struct dbcol	 c[4];
	int		 rc;

	c[0] = C_INT;
	c[1] = C_TEXT(row.hash);
	c[2] = C_INT;
	c[3] = C_INT;
	set->n = 0;
	if (q_select(S_RECOVERY_LIST, ARGS(V_INT(who->side), V_INT(who->id)),
	    c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_RECOVERY_LIST, c, nitems(c))) == 1)
		if (set->n < RECOVERY_CODES) {
			row.slot = (int)c[0].i;
			row.created = c[2].i;
			row.used = c[3].i;
			set->r[set->n++] = row;
		}
	q_finish(S_RECOVERY_LIST);
	wipe(&row, sizeof(row));
	return rc < 0 ? DB_ERR : 0;
}

int
db_recovery_insert(const struct subject *who, int slot, const char *hash,
    time_t now)
{
	/* 1 row inserted, or 2 (1 when unchanged) for a slot rewritten. */
	return q_exec(S_RECOVERY_INSERT, ARGS(V_INT(who->side),
	    V_INT(who->id), V_INT(slot), V_TEXT(hash), V_INT(now))) > 0 ?
	    0 : DB_ERR;
}

long long
db_recovery_use(const struct subject *who, int slot, long long created,
    time_t now)
{
	return q_exec(S_RECOVERY_USE, ARGS(V_INT(now), V_INT(who->side),
	    V_INT(who->id), V_INT(slot), V_INT(created)));
}

int
db_recovery_end(const struct subject *who)
{
	return q_run(S_RECOVERY_END, ARGS(V_INT(who->side), V_INT(who->id),
	    V_INT(who->side), V_INT(who->id)));
}

/* ---- the notification outbox (migration 011) ------------------------- */

int
db_outbox_insert(const struct outbox_row *o, const char *request_id)
{
	return q_exec_one(S_OUTBOX_INSERT, ARGS(V_INT(o->side),
	    V_INT(o->account), V_TEXT(o->to), V_INT(o->notice),
	    V_INT(o->event_at), V_INT(o->next_attempt_at),
	    V_TEXT(request_id))) == 0 ? 0 : DB_ERR;
}

static void
outbox_bind(struct dbcol *c, struct outbox_row *o)
{
	c[0] = C_INT;
	c[1] = C_INT;
	c[2] = C_INT;
	c[3] = C_TEXT(o->to);
	c[4] = C_INT;
	c[5] = C_INT;
	c[6] = C_INT;
}

static void
outbox_read(const struct dbcol *c, struct outbox_row *o)
{
	o->id = c[0].i;
	o->side = c[1].i == SIDE_BACKEND ? SIDE_BACKEND : SIDE_STOREFRONT;
	o->account = c[2].i;
	o->notice = (int)c[4].i;
	o->event_at = c[5].i;
	o->attempts = c[6].i;
}

int
db_outbox_due(time_t now, long max, struct outbox_batch *b)
{
	struct outbox_row o;
	struct dbcol	 c[7];
	int		 rc;

	b->n = 0;
	memset(&o, 0, sizeof(o));
	outbox_bind(c, &o);
	if (max > OUTBOX_BATCH_MAX)
		max = OUTBOX_BATCH_MAX;
	if (q_select(S_OUTBOX_DUE, ARGS(V_INT(now), V_INT(now), V_INT(max)),
	    c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_OUTBOX_DUE, c, nitems(c))) == 1 &&
	    b->n < OUTBOX_BATCH_MAX) {
		outbox_read(c, &o);
		b->r[b->n++] = o;
	}
	q_finish(S_OUTBOX_DUE);
	return rc < 0 ? DB_ERR : 0;
}

long long
db_outbox_claim(long long id, time_t now, time_t until)
{
	long long	 n = q_exec(S_OUTBOX_CLAIM, ARGS(V_INT(until), V_INT(id),
			    V_INT(now), V_INT(now)));

	/* A deadlock with another sender's claim or deletion of the same
	 * rows (parallel send-outbox runs): the row is not this caller's. */
	if (n < 0 && conflict != 0 && !in_tx) {
		conflict = 0;
		return 0;
	}
	return n;
}

/* After a hand-over: sent again on a conflict (q_run_again()), so that a
 * notice handed over is not left to be sent twice. */
int
db_outbox_done(long long id)
{
	return q_run_again(S_OUTBOX_DONE, ARGS(V_INT(id)));
}

int
db_outbox_retry(long long id, time_t next, long max_attempts)
{
	return q_run_again(S_OUTBOX_RETRY, ARGS(V_INT(next),
	    V_INT(max_attempts), V_INT(id)));
}

int
db_outbox_iterate(long n, void (*cb)(const struct outbox_row *, void *),
    void *arg)
{
	struct outbox_row o;
	struct dbcol	 c[9];
	int		 rc, rows = 0;

	memset(&o, 0, sizeof(o));
	outbox_bind(c, &o);
	c[7] = C_INT;
	c[8] = C_INT;
	if (q_select(S_OUTBOX_LIST, ARGS(V_INT(n)), c, nitems(c)) != 0)
		return DB_ERR;
	while ((rc = q_fetch(S_OUTBOX_LIST, c, nitems(c))) == 1) {
		outbox_read(c, &o);
		o.failed = c[7].i == 2;
		o.next_attempt_at = c[8].i;
		cb(&o, arg);
		rows++;
	}
	q_finish(S_OUTBOX_LIST);
	return rc < 0 ? DB_ERR : rows;
}

long long
db_outbox_requeue(time_t now)
{
	return q_exec(S_OUTBOX_REQUEUE, ARGS(V_INT(now)));
}

/* ---- Idempotency-Key answers (migration 013) ------------------------- */

int
db_idem_get(const unsigned char key[HASH_BYTES], struct idem_row *row)
{
	unsigned char	 body[HASH_BYTES + 1], nonce[SEAL_NONCE_BYTES + 1];
	struct dbcol	 c[5];
	int		 rc;

	c[0] = C_BLOB(body);
	c[1] = C_INT;
	c[2] = C_INT;
	c[3] = (struct dbcol){ DB_BLOB, 0, (char *)row->box, row->boxcap, 0,
	    0, 0 };
	c[4] = C_BLOB(nonce);
	if ((rc = q_one(S_IDEM_GET, ARGS(V_BLOB(key, HASH_BYTES)), c,
	    nitems(c))) != 1)
		return rc < 0 ? DB_ERR : 0;
	if (c[0].len != HASH_BYTES ||
	    (c[2].i != 0 && c[4].len != SEAL_NONCE_BYTES))
		return DB_ERR;
	memcpy(row->body, body, HASH_BYTES);
	memcpy(row->nonce, nonce, c[2].i != 0 ? SEAL_NONCE_BYTES : 0);
	row->created = c[1].i;
	row->status = (int)c[2].i;
	row->boxlen = c[3].len;
	return 1;
}

int
db_idem_claim(const unsigned char key[HASH_BYTES], enum side side,
    long long account, const unsigned char body[HASH_BYTES], time_t now)
{
	return q_exec_one(S_IDEM_CLAIM, ARGS(V_BLOB(key, HASH_BYTES),
	    V_INT(side), V_INT(account), V_BLOB(body, HASH_BYTES),
	    V_INT(now)));
}

int
db_idem_answer(const unsigned char key[HASH_BYTES], int status,
    const unsigned char *box, size_t boxlen,
    const unsigned char nonce[SEAL_NONCE_BYTES])
{
	return q_exec_one(S_IDEM_ANSWER, ARGS(V_INT(status),
	    V_BLOB(box, boxlen), V_BLOB(nonce, SEAL_NONCE_BYTES),
	    V_BLOB(key, HASH_BYTES))) == 0 ? 0 : DB_ERR;
}

int
db_idem_forget(const unsigned char key[HASH_BYTES], time_t old)
{
	return q_run(S_IDEM_FORGET, ARGS(V_BLOB(key, HASH_BYTES),
	    V_INT(old)));
}

/* Housekeeping: sent again by a unit of work run again, harmlessly, so it
 * does not count among the request's commits (db_committed()): a conflict
 * later in the request still runs the unit again instead of answering
 * 503 (a cluster node's conflict on the key's row, contract §9.9). */
int
db_idem_purge(time_t old)
{
	int	 kept = commits, rc;

	rc = q_run(S_IDEM_PURGE, ARGS(V_INT(old)));
	commits = kept;
	return rc;
}

/* 1 got it, 0 still held by another after wait seconds, DB_ERR. */
int
db_idem_lock(const char *name, long wait)
{
	struct dbcol	 c[1] = { C_INT };
	int		 rc;

	if ((rc = q_one(S_IDEM_LOCK, ARGS(V_TEXT(name), V_INT(wait)), c,
	    nitems(c))) != 1 || c[0].null)
		return DB_ERR;
	return c[0].i == 1;
}

int
db_idem_unlock(const char *name)
{
	struct dbcol	 c[1] = { C_INT };

	return q_one(S_IDEM_UNLOCK, ARGS(V_TEXT(name)), c, nitems(c)) == 1 ?
	    0 : DB_ERR;
}

/* ---- method webauthn (migration 016) --------------------------------- */

int
db_wa_user_get(const struct subject *who, unsigned char out[32])
{
	unsigned char	 h[33];
	struct dbcol	 c[1] = { C_BLOB(h) };
	int		 rc;

	if ((rc = q_one(S_WA_USER_GET, ARGS(V_INT(who->side),
	    V_INT(who->id)), c, 1)) != 1)
		return rc < 0 ? DB_ERR : 0;
	if (c[0].len != 32)
		return DB_ERR;
	memcpy(out, h, 32);
	return 1;
}

int
db_wa_user_insert(const struct subject *who, const unsigned char h[32],
    time_t now)
{
	return q_exec_one(S_WA_USER_INSERT, ARGS(V_INT(who->side),
	    V_INT(who->id), V_BLOB(h, 32), V_INT(now))) == 0 ? 0 : DB_ERR;
}

int
db_wa_user_delete(const struct subject *who)
{
	return q_run(S_WA_USER_DELETE, ARGS(V_INT(who->side), V_INT(who->id)));
}

int
db_wa_challenge_insert(const struct subject *who, int purpose,
    const unsigned char hash[HASH_BYTES], time_t now, time_t expires)
{
	long long	 n;

	if (q_run(S_WA_CHAL_PURGE, ARGS(V_INT(who->side), V_INT(who->id),
	    V_INT(now))) != 0 || q_int(S_WA_CHAL_COUNT, ARGS(V_INT(who->side),
	    V_INT(who->id), V_INT(purpose)), &n) != 1)
		return DB_ERR;
	if (n >= WA_LIVE_CHALLENGES && q_run(S_WA_CHAL_DROP_OLDEST,
	    ARGS(V_INT(who->side), V_INT(who->id), V_INT(purpose),
	    V_INT(n - WA_LIVE_CHALLENGES + 1))) != 0)
		return DB_ERR;
	return q_exec_one(S_WA_CHAL_INSERT, ARGS(V_INT(who->side),
	    V_INT(who->id), V_INT(purpose), V_BLOB(hash, HASH_BYTES),
	    V_INT(now), V_INT(expires))) == 0 ? 0 : DB_ERR;
}

long long
db_wa_challenge_find(const struct subject *who, int purpose,
    const unsigned char hash[HASH_BYTES], time_t now)
{
	long long	 id;
	int		 rc;

	rc = q_int(S_WA_CHAL_FIND, ARGS(V_BLOB(hash, HASH_BYTES),
	    V_INT(who->side), V_INT(who->id), V_INT(purpose), V_INT(now)),
	    &id);
	return rc < 0 ? DB_ERR : rc == 0 ? 0 : id;
}

long long
db_wa_challenge_use(long long id, time_t now)
{
	return q_exec(S_WA_CHAL_USE, ARGS(V_INT(id), V_INT(now)));
}

int
db_wa_challenges_delete(const struct subject *who)
{
	return q_run(S_WA_CHAL_DELETE, ARGS(V_INT(who->side), V_INT(who->id)));
}

int
db_wa_challenges_drop(const struct subject *who, int purpose)
{
	return q_run(S_WA_CHAL_DROP_PURPOSE, ARGS(V_INT(who->side),
	    V_INT(who->id), V_INT(purpose)));
}

static void
wa_bind(struct dbcol c[12], struct wa_row *w)
{
	c[0] = C_INT;
	c[1] = C_TEXT(w->uuid);
	c[2] = C_BLOB(w->cred_id);
	c[3] = C_BLOB(w->pubkey);
	c[4] = C_INT;
	c[5] = C_INT;
	c[6] = C_BLOB(w->aaguid);
	c[7] = C_TEXT(w->fmt);
	c[8] = C_INT;
	c[9] = C_TEXT(w->name);
	c[10] = C_INT;
	c[11] = C_INT;
}

static int
wa_read(const struct dbcol c[12], struct wa_row *w)
{
	if (c[6].len != 16 || c[2].len == 0)
		return DB_ERR;
	w->id = c[0].i;
	w->cred_id_len = c[2].len;
	w->pubkey_len = c[3].len;
	w->alg = (int)c[4].i;
	w->sign_count = (unsigned long long)c[5].i;
	w->flags = (int)c[8].i;
	w->created = c[10].i;
	w->last_used = c[11].i;
	return 0;
}

int
db_wa_iterate(const struct subject *who,
    void (*cb)(const struct wa_row *, void *), void *arg)
{
	struct wa_row	*w = xcalloc(1, sizeof(*w));
	struct dbcol	 c[12];
	int		 rc, n = 0;

	wa_bind(c, w);
	if (q_select(S_WA_LIST, ARGS(V_INT(who->side), V_INT(who->id)), c,
	    nitems(c)) != 0) {
		free(w);
		return DB_ERR;
	}
	while ((rc = q_fetch(S_WA_LIST, c, nitems(c))) == 1) {
		if ((rc = wa_read(c, w)) != 0)
			break;
		cb(w, arg);
		n++;
	}
	q_finish(S_WA_LIST);
	free(w);
	return rc < 0 ? DB_ERR : n;
}

long long
db_wa_count(const struct subject *who)
{
	long long	 n;

	if (q_int(S_WA_COUNT, ARGS(V_INT(who->side), V_INT(who->id)), &n) != 1)
		return DB_ERR;
	return n;
}

static int
wa_one(enum stmt s, const struct dbv *args, size_t nargs, struct wa_row *w)
{
	struct dbcol	 c[12];
	int		 rc;

	wa_bind(c, w);
	if ((rc = q_one(s, args, nargs, c, nitems(c))) != 1)
		return rc < 0 ? DB_ERR : 0;
	return wa_read(c, w) == 0 ? 1 : DB_ERR;
}

int
db_wa_get(const struct subject *who, const unsigned char hash[HASH_BYTES],
    struct wa_row *w)
{
	return wa_one(S_WA_GET, ARGS(V_INT(who->side), V_BLOB(hash,
	    HASH_BYTES), V_INT(who->id)), w);
}

int
db_wa_get_uuid(const struct subject *who, const char *uuid,
    struct wa_row *w)
{
	return wa_one(S_WA_GET_UUID, ARGS(V_TEXT(uuid), V_INT(who->side),
	    V_INT(who->id)), w);
}

int
db_wa_insert(const struct subject *who, const struct wa_row *w,
    const unsigned char hash[HASH_BYTES], time_t now)
{
	return q_exec_one(S_WA_INSERT, ARGS(V_TEXT(w->uuid), V_INT(who->side),
	    V_INT(who->id), V_BLOB(hash, HASH_BYTES),
	    V_BLOB(w->cred_id, w->cred_id_len),
	    V_BLOB(w->pubkey, w->pubkey_len), V_INT(w->alg),
	    V_INT(w->sign_count), V_BLOB(w->aaguid, 16), V_TEXT(w->fmt),
	    V_INT(w->flags), V_TEXT(w->name), V_INT(now)));
}

long long
db_wa_used(long long id, unsigned long long count, time_t now)
{
	return q_exec(S_WA_USED, ARGS(V_INT(count), V_INT(now), V_INT(id)));
}

long long
db_wa_delete(const struct subject *who, const char *uuid)
{
	return q_exec(S_WA_DELETE, ARGS(V_TEXT(uuid), V_INT(who->side),
	    V_INT(who->id)));
}

int
db_wa_delete_all(const struct subject *who)
{
	return q_run(S_WA_DELETE_ALL, ARGS(V_INT(who->side), V_INT(who->id)));
}
