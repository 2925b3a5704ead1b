/*
 * glue-mfa internal interface: the shared core used by every program in
 * cgi-bin/.  One concept per source file; this header is the only one the
 * programs include.
 *
 * Out-of-memory policy: allocation failure is fatal.  xmalloc() and friends
 * log one line and exit; the web server starts a fresh process.  A half-served
 * request is never answered with made-up data.
 *
 * Ownership: x_new/x_free and x_init/x_release pairs; everything allocated for
 * a request hangs off struct req and is released by req_release().
 */
#ifndef GLUE_H
#define GLUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cJSON.h>

#include "bounds.h"

/* ---- sides ------------------------------------------------------------ */

enum side {
	SIDE_STOREFRONT = 0,	/* customers, Storefront API */
	SIDE_BACKEND = 1	/* back-office users, Backend API */
};

/* ---- log.c ------------------------------------------------------------ */

void	 log_set_request(const char *);
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
char	*xstrdup(const char *);

/* ---- config.c --------------------------------------------------------- */

/*
 * The MFA engine's code and limit settings, one set per side (contract
 * §10.6): "storefront.<key>" and "backend.<key>", each the shared key's
 * value unless given.  The engine reads them through limits_of(side).
 */
struct mfa_limits {
	long	 code_length;
	long	 code_ttl;
	long	 attempts_per_code;
	long	 max_failures;
	long	 lockout_seconds;
	long	 grace_period;
	long	 resend_cooldown;
	long	 daily_send_cap;
	long	 mail_failure_cap;
	long	 mail_failure_window;
	long	 daily_recipient_cap;
	long	 totp_window;
	long	 mfa_at_sign_in;	/* 1: "on" (contract §10.12) */
};

struct config {
	char	*db_socket;
	char	*db_host;
	unsigned db_port;
	char	*db_user;
	char	*db_password;
	char	*db_name;
	unsigned db_connect_timeout;
	unsigned db_read_timeout;	/* seconds; above DB_LOCK_WAIT_TIMEOUT */
	unsigned db_write_timeout;
	unsigned db_wsrep_sync_wait;	/* 0: not set (contract §9.9) */
	char	*secret_key_file;
	char	*mail_transport;	/* "sendmail" or "spool" */
	char	*sendmail_command;
	char	*mail_spool_dir;
	unsigned mail_timeout;
	char	*mail_from;
	char	*default_locale;	/* normalised (contract §10.9) */
	long	 access_token_ttl;
	long	 refresh_token_ttl;
	long	 login_max_failures;
	long	 login_max_failures_per_address;
	long	 login_window;
	long	 code_length;
	long	 code_ttl;
	long	 attempts_per_code;
	long	 max_failures;
	long	 lockout_seconds;
	long	 grace_period;
	long	 resend_cooldown;
	long	 daily_send_cap;
	long	 mail_failure_cap;	/* failed code mails per window */
	long	 mail_failure_window;	/* seconds (contract §9.4) */
	char	*totp_issuer;		/* otpauth:// issuer (contract §6) */
	long	 totp_window;		/* steps either side accepted, 0-2 */
	long	 mfa_at_sign_in;	/* 1: "on": a code at sign-in (§10.12) */
	char	*protected_storefront;	/* comma-separated resource types */
	char	*protected_backend;
	char	*methods;		/* comma-separated method names */
	char	*dev_mailbox;		/* "on": serve the spool (development) */
	char	*trusted_proxies;	/* addresses, networks: "" none */
	char	*oauth_issuer;		/* "" : from the request (§10.5) */
	long	 login_delay_after;
	long	 login_delay_base;
	long	 login_delay_max;
	long	 login_account_window;
	long	 password_memory_kib;	/* Argon2id m, KiB (contract §11.1) */
	long	 password_iterations;	/* Argon2id t */
	long	 login_max_failures_per_account_address;
	char	*test_clock_file;	/* test builds only */
	char	*test_fault_file;	/* test builds only */
	/* Sign-up and confirmation (contract §3.2, §5.3). */
	long	 signup_limit_per_address;	/* per client address, hour */
	long	 signup_limit_global;		/* all addresses, minute */
	char	*customer_confirmation;		/* "on" or "off" */
	long	 registration_key_ttl;
	long	 daily_recipient_cap;	/* code mails per address, 24 h */
	long	 idempotency_window;	/* seconds a stored answer replays */
	char	*cors_allow_origins;	/* origins, comma-separated: "" off */
	/* Method webauthn (contract §12). */
	char	*webauthn_rp_id;	/* the RP ID: a host name, "" none */
	char	*webauthn_rp_name;
	char	*webauthn_origins;	/* exact origins, comma-separated */
	char	*webauthn_user_verification;	/* required|preferred|discouraged */
	char	*webauthn_counter;	/* audit|refuse */
	long	 webauthn_challenge_ttl;	/* seconds */
	long	 webauthn_max_credentials;	/* per account */
	/* The shared keys above, per side (limits_of()). */
	struct mfa_limits side[2];
};

extern struct config cfg;

const struct mfa_limits *limits_of(enum side);

int	 config_load(const char *path, char *err, size_t errsz);
int	 config_parse(const char *text, char *err, size_t errsz);
void	 config_defaults(void);
int	 list_contains(const char *list, const char *item);
/* A file others may not read nor the group write: its fd, else -1 and err
 * "what: ..." (the configuration, the secret key). */
int	 private_open(const char *what, const char *path, char *err,
	    size_t errsz);
/* The resource types each side serves, comma-separated: the one list. */
extern const char storefront_types[], backend_types[];
struct program;
int	 config_check_routes(const struct program *, char *err, size_t errsz);

/* A protected request a code can be bound to (contract §10.8), and what
 * names its resource in the path: nothing, a customer reference, a UUID. */
enum action_id { AID_NONE, AID_REF, AID_UUID };
struct protected_action {
	enum side	 side;
	unsigned	 method;	/* enum method: M_POST, M_PATCH, ... */
	const char	*type;		/* its route's resource type */
	enum action_id	 id;
};
extern const struct protected_action protected_actions[];
extern const size_t nprotected_actions;
const struct protected_action *protected_action(enum side, unsigned method,
	    const char *type);
/* ---- catalog.c: the mail catalogue, locales (pure, contract §10.9) --- */

#define MAX_LOCALE	5	/* "ll_CC"; customers.locale, users.locale */

enum lang { LANG_EN, LANG_DE, LANG__COUNT };

/* Every text of every mail; the table is in src/catalog.c.  mail.c relies
 * on the order: a _TEXT is followed by its _HTML, a notice's _SUBJECT by
 * its _EVENT, a unit's _ONE by its _MANY (asserted in catalog.c). */
enum msg {
	MSG_CODE_SUBJECT, MSG_CODE_TEXT, MSG_CODE_HTML,
	MSG_MINUTES_ONE, MSG_MINUTES_MANY, MSG_HOURS_ONE, MSG_HOURS_MANY,
	MSG_REG_SUBJECT, MSG_REG_TEXT, MSG_REG_HTML,
	MSG_NOTICE_TEXT, MSG_NOTICE_HTML,
	MSG_ON_SUBJECT, MSG_ON_EVENT, MSG_OFF_SUBJECT, MSG_OFF_EVENT,
	MSG_ADMIN_OFF_SUBJECT, MSG_ADMIN_OFF_EVENT,
	MSG_LOCKED_SUBJECT, MSG_LOCKED_EVENT,
	MSG_USERNAME_OLD_SUBJECT, MSG_USERNAME_OLD_EVENT,
	MSG_USERNAME_NEW_SUBJECT, MSG_USERNAME_NEW_EVENT,
	MSG_RECOVERY_NEW_SUBJECT, MSG_RECOVERY_NEW_EVENT,
	MSG_RECOVERY_USED_SUBJECT, MSG_RECOVERY_USED_EVENT,
	/* Codes bound to an action (contract §10.8): the sentence, and what
	 * each protected action allows (mail.c's action_phrases). */
	MSG_PURPOSE,
	MSG_ACT_CUSTOMER_PATCH, MSG_ACT_CUSTOMER_DELETE, MSG_ACT_PASSWORD,
	MSG_ACT_ADDRESS_POST, MSG_ACT_ADDRESS_PATCH, MSG_ACT_ADDRESS_DELETE,
	MSG_ACT_USER_POST, MSG_ACT_USER_PATCH, MSG_ACT_USER_DELETE,
	MSG_ACT_RESCUE,
	MSG__COUNT
};

const char *catalog_text(enum lang, enum msg);
int	 catalog_check(char *why, size_t sz);
int	 catalog_render(char *out, size_t sz, const char *tmpl,
	    const char *const vars[][2], size_t n);
/* "de", "de-at", "de_DE" ... into out[MAX_LOCALE + 1] as "de_AT"; 0/-1. */
int	 locale_normalise(char *out, const char *in);
enum lang locale_lang(const char *normalised);

/* ---- netaddr.c: client addresses behind proxies (pure) -------------- */

#define MAX_CLIENT_ADDR	46	/* INET6_ADDRSTRLEN; audit_log.client_address */

int	 net_list_ok(const char *list);
void	 client_address(const char *peer, const char *forwarded,
	    const char *xff, const char *trusted, char *out, size_t sz);

/* ---- fault.c ---------------------------------------------------------- */

void	 fault_point(const char *);
int	 fault_wanted(const char *);

/* ---- clock.c ---------------------------------------------------------- */

time_t	 clock_now(void);

/* ---- crypto.c: the only user of libsodium ----------------------------- */

int	 crypto_start(const char *keyfile, char *err, size_t errsz);
int	 secret_load(const char *path, char *err, size_t errsz);
void	 random_hex(char *out, size_t nbytes);	/* out: 2*nbytes+1 */
int	 hex_decode(unsigned char *, size_t, const char *, size_t);
uint64_t random_u64(void);
uint32_t random_uniform(uint32_t);
void	 token_new(char out[TOKEN_CHARS + 1]);
void	 keyed_hash(unsigned char out[HASH_BYTES], const char *domain,
	    const void *, size_t);
int	 password_hash(char *out, size_t outsz, const char *pw);
int	 password_verify(const char *hash, const char *pw);
/* 1: hash was not made with the configured parameters (contract §11.1). */
int	 password_needs_rehash(const char *hash);
void	 password_burn(const char *pw);
/* The Argon2id string password_burn() verifies against: the configured
 * parameters, a random salt and digest ("" if it could not be made). */
const char *password_dummy(void);
int	 ct_equal(const void *, const void *, size_t);
void	 wipe(void *, size_t);
void	 uuid_v4(char out[37]);
void	 random_bytes(void *, size_t);
/* Sealed secrets (crypto_secretbox), bound to their owner (bind). */
#define SEAL_NONCE_BYTES	24
#define SEAL_MAC_BYTES		16
int	 secret_seal(unsigned char *box, unsigned char nonce[SEAL_NONCE_BYTES],
	    const unsigned char *in, size_t len, const char *bind);
int	 secret_open(unsigned char *out, const unsigned char *box,
	    size_t boxlen, const unsigned char nonce[SEAL_NONCE_BYTES],
	    const char *bind);
struct subject;
void	 code_hash(unsigned char out[HASH_BYTES], const struct subject *,
	    const char *type, long long id, const char *code);
void	 recovery_format(char out[RECOVERY_CODE_CHARS + 1],
	    const unsigned char b[RECOVERY_BYTES]);
void	 recovery_code_new(char out[RECOVERY_CODE_CHARS + 1]);
int	 recovery_normalize(char out[RECOVERY_SYMBOLS + 1], const char *in);
int	 recovery_hash(char *out, size_t outsz, const struct subject *,
	    const char *norm);
int	 recovery_verify(const char *hash, const struct subject *,
	    const char *norm);

/* ---- db.c: the only SQL, as one typed function per statement ---------- */

/*
 * The statements, their bindings and the driver stay inside db.c.  Every
 * function returns 0 (or a count, or 1 found / 0 not found) on success,
 * DB_ERR on failure (db_unavailable() tells 503 from 500), DB_DUP on a
 * duplicate key where noted.  Time is always passed in.  Text results are
 * NUL-ended in buffers sized from the schema (bounds.h).
 */
#define DB_ERR		(-1)	/* failed; db_unavailable() tells whether the DB is gone */
#define DB_DUP		(-2)	/* duplicate key */

int	 db_open(void);
void	 db_close(void);
int	 db_unavailable(void);
void	 db_request_start(void);
/* What this attempt at the request's unit of work met: ER_LOCK_DEADLOCK
 * (1213) or ER_LOCK_WAIT_TIMEOUT (1205), else 0.  Once set, every
 * statement but ROLLBACK is refused until db_request_start(). */
unsigned int db_conflict(void);
/* Commits this request made (a transaction, or a write outside one). */
int	 db_committed(void);
/* The pause before attempt + 1 after a conflict (contract §9.1). */
void	 db_retry_pause(int attempt);
int	 db_commit_unknown(void);
int	 db_begin(void);
int	 db_commit(void);
int	 db_commit_step(void);
void	 db_rollback(void);
int	 db_in_transaction(void);
/* Prepares every statement once, checking its parameter and column counts
 * against the table (a mismatch aborts a test build): how many failed. */
int	 db_check(void);
int	 db_statements(void);

/* An account, named apart from any request. */
struct subject {
	enum side	 side;
	long long	 id;
};

/* -- tokens (access_tokens, refresh_tokens) -- */

int	 db_access_insert(const struct subject *, unsigned long long family,
	    const unsigned char hash[HASH_BYTES], time_t now, time_t expires);
int	 db_refresh_insert(const struct subject *, unsigned long long family,
	    const unsigned char hash[HASH_BYTES], time_t now, time_t expires);
/* The one access token (sign-out). */
int	 db_access_revoke(long long token_id);
/* Every access and refresh token of a sign-in (a refresh token reused). */
int	 db_family_revoke(enum side, unsigned long long family);
/* Every access token of the account but keep (0: none), every refresh token. */
int	 db_tokens_revoke_others(const struct subject *, long long keep);
int	 db_refresh_revoke_all(const struct subject *);
int	 db_refresh_revoke(const struct subject *,
	    const unsigned char hash[HASH_BYTES]);

struct refresh_row {
	long long	 id;
	long long	 account;
	unsigned long long family;
	int		 used;
	int		 revoked;
	long long	 expires;
};

/* 1 found, 0 none, DB_ERR. */
int	 db_refresh_get(enum side, const unsigned char hash[HASH_BYTES],
	    struct refresh_row *);
/* Marks an unused, valid refresh token used: rows changed (1 or 0). */
long long db_refresh_use(long long id, time_t now);
/* An account's tokens and MFA state, inside the caller's transaction. */
int	 db_account_purge(const struct subject *);

/* -- sign-in limits (login_failures; scopes are keyed hashes) -- */

/* The three scopes one attempt counts in (contract §3.6). */
enum login_scope { LF_ACCOUNT, LF_PAIR, LF_ADDRESS, LF__COUNT };

struct login_scopes {
	unsigned char	 account[HASH_BYTES];	/* the account (or name) */
	unsigned char	 pair[HASH_BYTES];	/* (account, client address) */
	unsigned char	 address[HASH_BYTES];	/* the client address */
};

/* Each scope's row as stored (all 0: no row), indexed by enum login_scope. */
struct login_failures {
	struct {
		long long	 failures;
		long long	 window_start;
		long long	 last_failure;
	}		 row[LF__COUNT];
};

/* The three scopes' rows, locked until the transaction ends. */
int	 db_login_failures_lock(const struct login_scopes *,
	    struct login_failures *);
/* One more failure in each scope, the rows as they are now into out.  The
 * pair's and the address's window started at or before window_old starts
 * again at now; the account's count whose last failure was at or before
 * account_old starts again. */
int	 db_login_failure_add(const struct login_scopes *, time_t now,
	    time_t window_old, time_t account_old, struct login_failures *out);
/* A success: the account's and the pair's counts end. */
int	 db_login_failure_clear(const struct login_scopes *);
/* An attempt counted (db_login_failure_add(): before, after) that did not
 * fail after all: taken back in scope k. */
int	 db_login_failure_take_back(const struct login_scopes *,
	    enum login_scope k, const struct login_failures *before,
	    const struct login_failures *after);

/* A sign-in's or password check's attempt, counted before its password
 * is checked (auth.c, contract §3.6). */
struct login_attempt {
	struct login_scopes sc;
	struct login_failures before, after;	/* the rows around its count */
	int		 counted;	/* committed in the rows, not given
					   back: a unit run again after a
					   conflict does not count it again */
	int		 limited;	/* refused by the limits, nothing
					   counted; retry: Retry-After */
	long		 retry;
	int		 failed;	/* the password was wrong: it stands */
	int		 passed;	/* right: given back in the unit */
};

struct login_row {
	long long	 id;
	char		 password_hash[MAX_PASSWORD + 32];
	int		 active;	/* users.status = 1; customers always */
};

/* The account signing in, by e-mail (customer) or username (user). */
int	 db_login(enum side, const char *username, struct login_row *);
/* The account's hash old replaced by hash, if it is still old (a
 * rehash at sign-in, contract §11.1): 0 (rows changed or not), DB_ERR. */
int	 db_password_rehash(enum side, long long id, const char *old,
	    const char *hash);

/* -- customers -- */

/* Insert: salutation may be NULL.  Update: NULL leaves a column as it is. */
struct customer_fields {
	const char	*email;
	const char	*salutation;
	const char	*first;
	const char	*last;
	const char	*locale;	/* normalised; NULL none (update: kept) */
};

/* The new customer's id, DB_DUP (e-mail taken) or DB_ERR. */
long long db_customer_insert(const struct customer_fields *,
	    const char *password_hash, time_t now);
/* Rows matched, DB_DUP or DB_ERR. */
long long db_customer_update(long long id, const struct customer_fields *,
	    time_t now);
int	 db_customer_delete(long long id);
/* 1 with the hash in buf, 0 gone, DB_ERR. */
int	 db_customer_password(long long id, char *buf, size_t sz);
int	 db_customer_password_set(long long id, const char *hash, time_t now);
/* Locks the customer's row (FOR UPDATE) in the caller's transaction. */
/* The customer's id, 0 none, DB_ERR. */
long long db_customer_by_email(const char *email);

/* -- addresses -- */

struct address_row {
	char		 uuid[40];
	char		 salutation[8];
	int		 salutation_null;
	char		 first[4 * MAX_NAME + 1];
	char		 last[4 * MAX_NAME + 1];
	char		 address1[4 * MAX_ADDRESS_LINE + 1];
	char		 address2[4 * MAX_ADDRESS_LINE + 1];
	char		 zip[4 * MAX_ZIP + 1];
	char		 city[4 * MAX_NAME + 1];
	char		 iso2[4];
	int		 shipping;	/* the default shipping address */
	int		 billing;	/* the default billing address */
};

/* Insert: salutation may be NULL.  Update: NULL and -1 leave it as it is. */
struct address_fields {
	const char	*salutation;
	const char	*first;
	const char	*last;
	const char	*address1;
	const char	*address2;
	const char	*zip;
	const char	*city;
	const char	*iso2;
	int		 shipping;
	int		 billing;
};

/* Calls cb for at most limit of the customer's addresses, oldest first,
 * skipping offset of them: rows or DB_ERR. */
int	 db_address_iterate(long long customer, long offset, long limit,
	    void (*cb)(const struct address_row *, void *), void *arg);
int	 db_address_get(long long customer, const char *uuid,
	    struct address_row *);
long long db_address_count(long long customer);
int	 db_address_insert(long long customer, const char *uuid,
	    const struct address_fields *, time_t now);
/* Rows matched (0: no such address of the customer). */
long long db_address_update(long long customer, const char *uuid,
	    const struct address_fields *, time_t now);
long long db_address_delete(long long customer, const char *uuid);
/* The other addresses lose the defaults this one takes. */
int	 db_address_clear_defaults(long long customer, const char *uuid,
	    int shipping, int billing);

/* -- users (back office) -- */

struct user_row {
	long long	 id;
	char		 uuid[40];
	char		 username[4 * MAX_EMAIL + 1];
	char		 first[4 * MAX_NAME + 1];
	char		 last[4 * MAX_NAME + 1];
	int		 active;	/* status 1; else blocked */
	long long	 created, updated;
	char		 locale[MAX_LOCALE + 1];	/* "" none */
};

/* Insert: every member.  Update: NULL and active -1 leave it as it is. */
struct user_fields {
	const char	*username;
	const char	*password_hash;
	const char	*first;
	const char	*last;
	int		 active;
	const char	*locale;	/* normalised; NULL none (update: kept) */
};

/* Calls cb for at most limit users, oldest first, skipping offset of
 * them, and sets *total to the number of users (the same read): rows or
 * DB_ERR. */
int	 db_user_iterate(long offset, long limit,
	    void (*cb)(const struct user_row *, void *), void *arg,
	    long long *total);
int	 db_user_get(const char *uuid, struct user_row *);
/* The new user's id, DB_DUP (username taken) or DB_ERR. */
long long db_user_insert(const char *uuid, const struct user_fields *,
	    time_t now);
/* Rows matched, DB_DUP or DB_ERR. */
long long db_user_update(long long id, const struct user_fields *,
	    time_t now);
int	 db_user_delete(long long id);
/* The user's id, 0 none, DB_ERR. */
long long db_user_by_name(const char *username);
/* 1 with the hash in buf, 0 gone, DB_ERR. */
int	 db_user_password(long long id, char *buf, size_t sz);

/* -- audit (audit_log, append-only) -- */

/* account, actor 0 and method, error_code NULL are stored as NULL. */
struct audit_entry {
	long long	 at;
	enum side	 side;
	long long	 account;
	long long	 actor;
	const char	*action;
	const char	*method;
	const char	*result;
	const char	*error_code;
	const char	*client_address;
	const char	*user_agent;
	const char	*request_id;
};

struct audit_row {
	long long	 at;
	enum side	 side;
	long long	 account;	/* 0: none */
	long long	 actor;		/* 0: none */
	char		 action[33];
	char		 method[17];	/* "": none */
	char		 result[17];
	char		 code[9];	/* "": none */
	char		 address[46];
	char		 request[33];
};

int	 db_audit_insert(const struct audit_entry *);
/* The newest n rows, newest first. */
int	 db_audit_iterate(long n, void (*cb)(const struct audit_row *, void *),
	    void *arg);

/* -- MFA and authentication -- */

enum method_status { ST_DEACTIVATED = 0, ST_PENDING = 1, ST_ACTIVE = 2 };

#define MAX_METHOD_NAME	16	/* mfa_methods.type, mfa_codes.type */
#define MAX_METHODS	8	/* methods one account can have rows for */
/*
 * Codes whose grace window a token may hold open at once (contract §5.1 rule 5):
 * the authentication query returns the newest this many; an older window
 * is dropped (its header no longer passes).  20 codes a day fit many times.
 */
#define MAX_GRACE_WINDOWS 16

struct method_row {
	char			 type[MAX_METHOD_NAME + 1];
	enum method_status	 status;
};

struct methods {
	struct method_row	 m[MAX_METHODS];
	size_t			 n;
};

/* Methods with status ST_ACTIVE. */
size_t	 methods_active(const struct methods *);

/* A code the calling token used, still within its grace window. */
struct grace_row {
	long long	 id;
	char		 type[MAX_METHOD_NAME + 1];
	unsigned char	 hash[HASH_BYTES];
};

struct lockout {
	long long	 failures;	/* consecutive failed checks */
	long long	 lockouts;	/* lockouts since the last success */
	long long	 locked_until;	/* unix time; 0 = not locked */
};

/* What the authentication query loads besides the token and the account. */
enum auth_level { AUTH_PLAIN, AUTH_METHODS, AUTH_FULL };

/*
 * The signed-in account as the one authentication query returns it (one
 * round trip serves most requests whole, README: benchmarks).
 * AUTH_METHODS fills methods; AUTH_FULL also grace (newest first, at most
 * MAX_GRACE_WINDOWS, decoded in db.c only) and locked_until.
 */
struct account {
	long long	 id;		/* 0: no account behind the request */
	long long	 token_id;	/* the calling access token's row */
	unsigned long long family;	/* its refresh family */
	unsigned char	 token_hash[HASH_BYTES];
	struct methods	 methods;
	struct grace_row grace[MAX_GRACE_WINDOWS];
	size_t		 ngrace;
	long long	 locked_until;
	char		 email[4 * MAX_EMAIL + 1];	/* or username */
	char		 extra[40];	/* salutation, or a user's uuid */
	int		 extra_null;
	char		 first[4 * MAX_NAME + 1];
	char		 last[4 * MAX_NAME + 1];
	long long	 created, updated;
	char		 locale[MAX_LOCALE + 1];	/* its mails' ("" none) */
	enum auth_level	 level;		/* what of the MFA state was loaded */
};

/* 1: found, a filled (token_hash is the caller's, set before); 0: no
 * valid token; DB_ERR.  A user's token counts only while the user is active. */
int	 db_auth_token(enum side, const unsigned char hash[HASH_BYTES],
	    time_t now, enum auth_level, struct account *a);

/* The account's e-mail (customer) or username (user): 1, 0 gone, DB_ERR. */
int	 db_contact(const struct subject *, char *buf, size_t sz);
/* The same and the locale its mails are in ("" none: contract §10.9). */
int	 db_contact_locale(const struct subject *, char *buf, size_t sz,
	    char locale[MAX_LOCALE + 1]);
/* Sets (NULL: clears) the account's locale: rows matched or DB_ERR. */
long long db_locale_set(const struct subject *, const char *locale,
	    time_t now);

int	 db_mfa_methods(const struct subject *, struct methods *);
/* Inserts or sets the method's row to pending. */
int	 db_mfa_method_pending(const struct subject *, const char *type,
	    time_t now);
/* pending -> active; returns rows changed (1) or 0 when not pending. */
long long db_mfa_method_activate(const struct subject *, const char *type,
	    time_t now);
/* active -> deactivated; returns rows changed (1) or 0. */
long long db_mfa_method_deactivate(const struct subject *, const char *type,
	    time_t now);

/* A code row as the code check sees it. */
enum code_state { CODE_LIVE = 0, CODE_USED = 1, CODE_BLOCKED = 2,
	CODE_INVALIDATED = 3 };

/* mfa_codes.action (migration 015): "METHOD type[ id]" (contract §10.8). */
#define MAX_ACTION	128

struct code_row {
	long long	 id;
	char		 action[MAX_ACTION + 1];	/* "": any request */
	char		 type[MAX_METHOD_NAME + 1];
	unsigned char	 hash[HASH_BYTES];
	enum code_state	 state;
	enum method_status method_status;	/* of the code's method */
};

#define MAX_CODE_ROWS	32	/* live codes an account can have at once, and more */

struct codes {
	struct code_row	 c[MAX_CODE_ROWS];
	size_t		 n;
};

/* Live (unexpired) codes of the account, newest first, at most MAX_CODE_ROWS. */
int	 db_mfa_codes_live(const struct subject *, time_t now, struct codes *);

/* The account's lock: its lockout row, made if missing and changed, so
 * that it serialises the account's units of work on a Galera cluster too
 * (contract §9.9); must run inside a transaction.  db_mfa_lock() also
 * fills *l. */
int	 db_account_lock(const struct subject *);
int	 db_mfa_lock(const struct subject *, struct lockout *l);
int	 db_mfa_lock_set(const struct subject *, const struct lockout *);
int	 db_mfa_lock_clear(const struct subject *);

/* live -> used, opening the grace window for the token; rows changed. */
long long db_mfa_code_consume(long long id,
	    const unsigned char token_hash[HASH_BYTES], time_t grace_until);
/* A wrong code: attempts + 1 on the live codes of type (NULL: of every
 * active method), blocked once attempts_per_code is reached. */
int	 db_mfa_code_fail(const struct subject *, const char *type, time_t now,
	    long attempts_per_code);

/* The sending limits' counts (contract §5.3, §9.4), in one statement. */
struct send_stats {
	long long	 count;		/* codes of the type of the last 24 h,
					 * but for those whose mail failed
					 * (withdrawn) */
	long long	 oldest;	/* the oldest of them (0: none) */
	long long	 newest_live;	/* created_at of the newest live one (0) */
	long long	 failures;	/* the account's code mails, of every
					 * method, since failures_since that
					 * failed or are still being handed
					 * over */
	long long	 failures_oldest; /* the oldest of them (0: none) */
};

/* failures_since: at least now - 24 h (mail_failure_window's bound). */
int	 db_mfa_send_stats(const struct subject *, const char *type,
	    time_t now, time_t failures_since, struct send_stats *);
/* Every live code of type becomes invalidated (a newer code). */
int	 db_mfa_codes_invalidate(const struct subject *, const char *type);
/* action: the request the code is bound to (contract §10.8); NULL: any. */
int	 db_mfa_code_insert(const struct subject *, long long id,
	    const char *type, const unsigned char hash[HASH_BYTES], time_t now,
	    time_t expires, const char *action);
/* A new code's mail was handed over (contract §9.4). */
int	 db_mfa_code_handed_over(long long id);
/* A code whose mail could not be handed over: withdrawn (invalidated,
 * its mail failed). */
int	 db_mfa_code_cancel(long long id);
/* Deactivation: live codes of type invalidated, grace windows closed. */
int	 db_mfa_codes_end(const struct subject *, const char *type);
/* A code checked by its method (not stored beforehand) recorded as used
 * by the token, its grace window open until grace_until. */
int	 db_mfa_code_insert_used(const struct subject *, long long id,
	    const char *type, const unsigned char hash[HASH_BYTES], time_t now,
	    const unsigned char token_hash[HASH_BYTES], time_t grace_until);

/* Method totp's row (sql/009): the sealed secret and the replay guard. */
#define TOTP_SECRET_BYTES	20	/* 160 bits (RFC 4226 §4 R6) */
#define TOTP_BOX_MAX		64	/* mfa_totp.secret_box */
struct totp_row {
	unsigned char	 box[TOTP_BOX_MAX + 1];
	size_t		 boxlen;
	unsigned char	 nonce[SEAL_NONCE_BYTES];
	long long	 last_step;	/* newest accepted time step */
	long		 drift;		/* steps, of the last success */
};
/* Stores a new secret (last_step and drift reset). */
int	 db_mfa_totp_set(const struct subject *, const struct totp_row *,
	    time_t now);
/* 1 found, 0 none, -1. */
int	 db_mfa_totp_get(const struct subject *, struct totp_row *);
/* Accepts step if later than the last accepted: rows changed (1), 0, -1. */
long long db_mfa_totp_step(const struct subject *, long long step,
	    long drift);
int	 db_mfa_totp_delete(const struct subject *);

/* -- sign-up, confirmation, sessions (migration 008) -- */

/* One more hit in scope's window (a window started at or before old
 * starts again at now); *hits and *start as they are now.  The row stays
 * locked until the caller's transaction ends. */
int	 db_signup_hit(const unsigned char scope[HASH_BYTES], time_t now,
	    time_t old, long long *hits, long long *start);
/* A new customer waits for the key (hash); or is confirmed at now. */
int	 db_customer_key_set(long long id,
	    const unsigned char hash[HASH_BYTES], time_t expires);
int	 db_customer_confirmed_at(long long id, time_t now);
/* The key's unconfirmed customer confirmed: its id, 0 none, DB_ERR. */
long long db_customer_confirm(const unsigned char hash[HASH_BYTES],
	    time_t now);
/* 1 confirmed, 0 not (or gone), DB_ERR. */
int	 db_customer_is_confirmed(long long id);
/* Every live code of the account invalidated (sign-in, sign-out). */
int	 db_mfa_codes_drop(const struct subject *);
/* The access tokens of a sign-in (a rotation). */
int	 db_family_access_revoke(enum side, unsigned long long family);
/* The recipient's lock row (a keyed hash), held until the transaction
 * ends; then its code mails in the last 24 h. */
int	 db_recipient_lock(const unsigned char recipient[HASH_BYTES]);
int	 db_code_mail_stats(const unsigned char recipient[HASH_BYTES],
	    time_t now, long long *count, long long *oldest);
int	 db_code_mail_insert(long long code_id,
	    const unsigned char recipient[HASH_BYTES], time_t now);
int	 db_code_mail_delete(long long code_id);

/* -- the notification outbox (mail_outbox, migration 011, contract §9.3) -- */

#define OUTBOX_BATCH_MAX	32	/* rows one db_outbox_due() returns */

/* A notice waiting to be handed over: what renders the mail, no secret. */
struct outbox_row {
	long long	 id;
	enum side	 side;
	long long	 account;
	char		 to[4 * MAX_EMAIL + 1];
	int		 notice;	/* enum notice */
	long long	 event_at;
	long long	 attempts;	/* hand-overs tried */
	long long	 next_attempt_at;
	int		 failed;	/* gave up (db_outbox_iterate only) */
};

struct outbox_batch {
	struct outbox_row r[OUTBOX_BATCH_MAX];
	size_t		 n;
};

/* Inside the caller's transaction: o's side, account, to, notice,
 * event_at and next_attempt_at. */
int	 db_outbox_insert(const struct outbox_row *, const char *request_id);
/* Due, unclaimed rows, oldest first, at most max (and OUTBOX_BATCH_MAX). */
int	 db_outbox_due(time_t now, long max, struct outbox_batch *);
/* Claims a due, unclaimed row until `until` (one more attempt): rows
 * changed, 1 when this caller holds it, 0 when another does. */
long long db_outbox_claim(long long id, time_t now, time_t until);
/* Handed over: the row goes. */
int	 db_outbox_done(long long id);
/* Not handed over: due again at next; failed once attempts reach max. */
int	 db_outbox_retry(long long id, time_t next, long max_attempts);
/* The first n rows not yet handed over, due and failed, oldest first. */
int	 db_outbox_iterate(long n, void (*cb)(const struct outbox_row *, void *),
	    void *arg);
/* Failed rows due again, attempts from 0: how many. */
long long db_outbox_requeue(time_t now);

/* -- recovery codes (mfa_recovery_codes, contract §8) -- */

struct recovery_row {
	int		 slot;
	char		 hash[RECOVERY_HASH_CHARS];	/* crypto_pwhash_str */
	long long	 created;	/* when the set was made */
	long long	 used;		/* 0: unused */
};

struct recovery_set {
	struct recovery_row r[RECOVERY_CODES];
	size_t		 n;		/* 0: no set */
};

/* The account's set, by slot, used ones included. */
int	 db_recovery_list(const struct subject *, struct recovery_set *);
/* Slot of a new set: inserted, or the old set's slot rewritten (unused). */
int	 db_recovery_insert(const struct subject *, int slot, const char *hash,
	    time_t now);
/* Spends an unused code of the set made at created: rows changed (1, 0). */
long long db_recovery_use(const struct subject *, int slot, long long created,
	    time_t now);
/* Deletes the set when the account has no active method left. */
int	 db_recovery_end(const struct subject *);

/* -- stored answers of Idempotency-Key requests (migration 013) -- */

struct idem_row {
	unsigned char	 body[HASH_BYTES];	/* keyed hash of the body */
	long long	 created;
	int		 status;		/* 0: claimed, no answer yet */
	unsigned char	 nonce[SEAL_NONCE_BYTES];
	unsigned char	*box;			/* caller's, boxcap bytes */
	size_t		 boxcap, boxlen;
};

/* 1 found, 0 none, DB_ERR. */
int	 db_idem_get(const unsigned char key[HASH_BYTES], struct idem_row *);
/* The row of a request under way, in its transaction: 0, DB_DUP, DB_ERR. */
int	 db_idem_claim(const unsigned char key[HASH_BYTES], enum side,
	    long long account, const unsigned char body[HASH_BYTES],
	    time_t now);
int	 db_idem_answer(const unsigned char key[HASH_BYTES], int status,
	    const unsigned char *box, size_t boxlen,
	    const unsigned char nonce[SEAL_NONCE_BYTES]);
/* Deletes the key's row if created at or before old. */
int	 db_idem_forget(const unsigned char key[HASH_BYTES], time_t old);
/* Deletes at most IDEM_PURGE_BATCH rows created at or before old. */
int	 db_idem_purge(time_t old);
/* The key's named lock (GET_LOCK): 1 taken, 0 busy after wait s, DB_ERR. */
int	 db_idem_lock(const char *name, long wait);
int	 db_idem_unlock(const char *name);

/* -- method webauthn (migration 016, contract §12) -- */

#define WA_NAME_MAX		64	/* webauthn_credentials.name, chars */

/* A stored credential as the method reads it (struct wa_credential's
 * fields, and what the API shows). */
struct wa_row {
	long long	 id;
	char		 uuid[37];
	unsigned char	 cred_id[1024];
	size_t		 cred_id_len;
	unsigned char	 pubkey[601];
	size_t		 pubkey_len;
	int		 alg;
	unsigned long long sign_count;
	unsigned char	 aaguid[17];
	char		 fmt[17];
	int		 flags;		/* 1 UV, 2 BE, 4 BS */
	char		 name[4 * WA_NAME_MAX + 1];
	long long	 created;
	long long	 last_used;	/* 0: never */
};

#define WA_PURPOSE_CREATE	0
#define WA_PURPOSE_GET		1

/* The account's user handle: 1 found, 0 none, DB_ERR. */
int	 db_wa_user_get(const struct subject *, unsigned char out[32]);
int	 db_wa_user_insert(const struct subject *, const unsigned char h[32],
	    time_t now);
int	 db_wa_user_delete(const struct subject *);
/* A challenge (its keyed hash); the oldest beyond WA_LIVE_CHALLENGES - 1
 * of the account and purpose deleted first, expired ones too. */
int	 db_wa_challenge_insert(const struct subject *, int purpose,
	    const unsigned char hash[HASH_BYTES], time_t now, time_t expires);
/* The live challenge's id (a row locked), 0 none, DB_ERR. */
long long db_wa_challenge_find(const struct subject *, int purpose,
	    const unsigned char hash[HASH_BYTES], time_t now);
/* live -> used: rows changed (1, 0), DB_ERR. */
long long db_wa_challenge_use(long long id, time_t now);
int	 db_wa_challenges_delete(const struct subject *);
/* Every challenge of the account and purpose (spent or not). */
int	 db_wa_challenges_drop(const struct subject *, int purpose);
/* Calls cb for each credential of the account, oldest first: rows, DB_ERR. */
int	 db_wa_iterate(const struct subject *,
	    void (*cb)(const struct wa_row *, void *), void *arg);
long long db_wa_count(const struct subject *);
/* By cred_hash (the account's only): 1, 0, DB_ERR. */
int	 db_wa_get(const struct subject *, const unsigned char hash[HASH_BYTES],
	    struct wa_row *);
/* By uuid: 1, 0, DB_ERR. */
int	 db_wa_get_uuid(const struct subject *, const char *uuid,
	    struct wa_row *);
/* 0, DB_DUP (the credential id is registered), DB_ERR. */
int	 db_wa_insert(const struct subject *, const struct wa_row *,
	    const unsigned char hash[HASH_BYTES], time_t now);
/* After an assertion: counter (when greater) and last use: rows. */
long long db_wa_used(long long id, unsigned long long count, time_t now);
/* Rows deleted (1, 0), DB_ERR. */
long long db_wa_delete(const struct subject *, const char *uuid);
int	 db_wa_delete_all(const struct subject *);

/* ---- req.c: the request ----------------------------------------------- */

enum method {
	M_GET = 1 << 0,
	M_HEAD = 1 << 1,
	M_POST = 1 << 2,
	M_PUT = 1 << 3,
	M_PATCH = 1 << 4,
	M_DELETE = 1 << 5,
	M_OPTIONS = 1 << 6
};

struct io;
struct route;

/* A request's Idempotency-Key, as idem.c works it out (contract §9.6). */
struct idem {
	int		 active;	/* a POST with a well-formed key */
	int		 claimed;	/* its row is in the open transaction */
	int		 replayed;	/* answered with the stored answer */
	int		 locked;	/* holds the key's named lock */
	char		 lock[48];	/* its name */
	unsigned char	 index[HASH_BYTES];	/* the row's key_hash */
	unsigned char	 body[HASH_BYTES];
	char		 bind[2 * HASH_BYTES + 8];	/* the answer's seal */
};

/*
 * The JSON:API query parameters (contract §10.10), read once by req_init()
 * and refused, if need be, by the front line: err is the refusal (an enum
 * err, 0 none), param the parameter it names (source.parameter).
 */
struct fieldset {
	char		 type[MAX_PARAM_NAME + 1];
	char		*name[MAX_FIELDSET_FIELDS];
	size_t		 n;
};

struct query {
	char		 buf[MAX_QUERY + 1];	/* the decoded names and values */
	struct fieldset	 set[MAX_FIELDSETS];
	size_t		 nsets;
	const char	*paged;			/* the first page[...] given */
	long		 offset, limit;		/* the page, defaults filled */
	int		 err;
	char		 param[MAX_PARAM_NAME + 1];
};

struct req {
	struct io	*io;
	enum side	 side;
	enum method	 method;
	const char	*method_name;
	char		 path[MAX_PATH + 1];	/* decoded, without query */
	char		*seg[MAX_SEGMENTS];	/* into segbuf */
	size_t		 nseg;
	char		 segbuf[MAX_PATH + 1];
	size_t		 prefix;		/* segments before the route */
	char		 base[MAX_PATH + 512];	/* scheme://host/prefix, no '/' at end */
	const char	*content_type;
	const char	*accept;
	const char	*authorization;
	const char	*mfa_code;
	const char	*idem_key;		/* Idempotency-Key, unbounded */
	struct idem	 idem;
	const char	*remote_addr;		/* the client (client_address()) */
	char		 client_addr[MAX_CLIENT_ADDR + 1];
	const char	*user_agent;
	long		 content_length;	/* or one of CL_* below */
	char		*body;
	size_t		 body_len;
	cJSON		*doc;
	cJSON		*attrs;			/* data.attributes when present */
	const struct route *route;
	const char	*param[4];		/* path parameters, in order */
	struct query	 q;
	struct account	 acct;
	char		 id[REQUEST_ID_CHARS + 1];
	time_t		 now;
	int		 answered;		/* a response was written */
	int		 hold;			/* keep it in out until flushed */
	char		*out;
	size_t		 outlen, outcap;
	int		 guard_passed;		/* the MFA guard let it through */
	/* 5900/5901 carry WWW-Authenticate without R_AUTH (§10.12). */
	int		 step_up;
	/* A passkey's request options for a sign-in's 5900 (§10.12):
	 * set by mfa_sign_in(), taken by the answer, else freed by
	 * req_release(). */
	cJSON		*mfa_options;
	int		 notices;		/* notices it queued (outbox.c) */
	struct login_attempt login;		/* a password attempt (auth.c) */
	int		 status;		/* its HTTP status, for the log */
	char		 headers[512];		/* more header lines (CRLF ended) */
	char		 ok_headers[64];	/* more, for a success (< 400) only */
	const char	*cors_origin;		/* Origin, when listed (§10.1) */
	int		 cors_preflight;	/* the answer is a CORS preflight */
	size_t		 own_at, own_len;	/* the held answer's lines of this
						   request alone (X-Request-Id,
						   CORS), not stored (§9.6) */
};

#define CL_ABSENT	(-1)	/* no body */
#define CL_INVALID	(-2)	/* CONTENT_LENGTH not a number */
#define CL_UNTIL_EOF	(-3)	/* chunked, no CONTENT_LENGTH: read to the end */

const char *req_env(const struct req *, const char *);
int	 req_init(struct req *, struct io *, enum side);
int	 url_decode(char *, int plus);
void	 query_parse(struct query *, const char *);
const struct fieldset *query_fieldset(const struct query *, const char *);
int	 req_read_body(struct req *);
void	 req_release(struct req *);

/* ---- io.c: the transport (FastCGI, CGI, in memory) ------------------- */

int	 io_is_cgi(void);
struct io *io_cgi(void);
struct io *io_fcgi(void);
int	 io_accept(struct io *);
void	 io_finish(struct io *);
/* The answer is whole: under CGI, standard output is closed (the server
 * sends it while the process finishes). */
void	 io_answered(struct io *);
void	 io_stop(void);
const char *io_getenv(struct io *, const char *);
long	 io_read(struct io *, char *, size_t);
int	 io_write(struct io *, const char *, size_t);
/* 1 when the request's client is known to be gone (contract §9.5). */
int	 io_client_gone(struct io *);
struct io *io_mem_new(const char *const *env, const char *in, size_t inlen);
const char *io_mem_output(const struct io *, size_t *len);
void	 io_mem_free(struct io *);

/* ---- jsonapi.c: the only writer of responses -------------------------- */

enum err {
	E_NONE,			/* not an error: success */
	E_MALFORMED,		/* 400 100 */
	E_MEMBER,		/* 400 101, pointer */
	E_TYPE_MISMATCH,	/* 409 102, pointer /data/type */
	E_NOT_FOUND,		/* 404 103 */
	E_METHOD,		/* 405 104 */
	E_NOT_ACCEPTABLE,	/* 406 105 */
	E_TOO_LARGE,		/* 413 106 */
	E_MEDIA_TYPE,		/* 415 107 */
	E_UNAVAILABLE,		/* 503 110 */
	E_INTERNAL,		/* 500 111 */
	E_COMMIT_UNKNOWN,	/* 503 118 */
	E_LOGIN_LIMIT,		/* 429 113 */
	E_TOKEN_INVALID,	/* 401 001 */
	E_TOKEN_MISSING,	/* 403 002 */
	E_LOGIN_FAILED,		/* 401 003 */
	E_REFRESH_FAILED,	/* 401 004 */
	E_INVALID_FIELD,	/* 422 901, pointer */
	E_LOCALE_UNKNOWN,	/* 422 140, pointer (contract §10.9) */
	E_CUSTOMER_EXISTS,	/* 422 400 */
	E_PASSWORDS_DIFFER,	/* 422 406 */
	E_WRONG_PASSWORD,	/* 400 408 */
	E_UNAUTHORIZED,		/* 403 411 */
	E_ADDRESS_NOT_FOUND,	/* 404 412 */
	E_TOO_MANY_ADDRESSES,	/* 422 413 */
	E_SELF_ACTION,		/* 403 415 */
	E_USER_EXISTS,		/* 422 416 */
	E_USER_UNKNOWN,		/* 404 417 */
	E_RESCUE_NO_CUSTOMER,	/* 404 5907 */
	E_MFA_CODE_MISSING,	/* 403 5900 */
	E_MFA_CODE_INVALID,	/* 403 5901 */
	E_MFA_TYPE_MISSING,	/* 400 5902 */
	E_MFA_DEACTIVATION_FAILED, /* 400 5903 */
	E_MFA_ALREADY_ACTIVE,	/* 400 5904 */
	E_NO_CUSTOMER_ID,	/* 400 5905 */
	E_MFA_TYPE_NOT_FOUND,	/* 400 5906 */
	E_CUSTOMER_NOT_FOUND,	/* 400 5907 */
	E_NO_USER_ID,		/* 400 5908 */
	E_USER_NOT_FOUND,	/* 400 5909 */
	E_MFA_SEND_FAILED,	/* 503 5910 */
	E_MFA_LOCKED,		/* 429 5911 */
	E_MFA_RESEND,		/* 429 5912 */
	E_MFA_SEND_PAUSED,	/* 429 5913 */
	E_SIGNUP_LIMIT,		/* 429 114 */
	E_CONFIRMATION_INVALID,	/* 422 423 */
	E_UNCONFIRMED,		/* 403 425 */
	E_IDEM_KEY_INVALID,	/* 400 115, header Idempotency-Key */
	E_IDEM_MISMATCH,	/* 422 116, header Idempotency-Key */
	E_IDEM_BUSY,		/* 409 117, header Idempotency-Key, Retry-After */
	E_DUPLICATE_MEMBER,	/* 400 125, pointer */
	E_PARAM_UNSUPPORTED,	/* 400 135, parameter */
	E_PARAM_PAGE,		/* 400 136, parameter page[offset|limit] */
	E_PARAM_FIELDS,		/* 400 137, parameter fields[TYPE] */
	E_PARAM_MALFORMED,	/* 400 138 */
	/* Method webauthn (contract §12.6). */
	E_WA_MALFORMED,		/* 422 141, pointer /data/attributes/credential */
	E_WA_CHALLENGE,		/* 422 142 */
	E_WA_ORIGIN,		/* 422 143 */
	E_WA_USER_VERIFICATION,	/* 422 144 */
	E_WA_ATTESTATION,	/* 422 145 */
	E_WA_CREDENTIAL_EXISTS,	/* 422 146 */
	E_WA_TOO_MANY,		/* 422 147 */
	E_WA_NOT_FOUND,		/* 404 148 */
	E_WA_COUNTER,		/* 149: audit rows only */
	E__COUNT
};

enum source { SRC_NONE, SRC_POINTER, SRC_HEADER, SRC_PARAMETER };

const char *jsonapi_code(enum err);
int	 jsonapi_error(struct req *, enum err);
int	 jsonapi_error_meta(struct req *, enum err, cJSON *meta);
int	 jsonapi_error_src(struct req *, enum err, enum source, const char *);
int	 jsonapi_error_retry(struct req *, enum err, long retry_after);
enum err jsonapi_db_err(void);
int	 jsonapi_db_error(struct req *);
int	 jsonapi_flush(struct req *);
const char *jsonapi_held(const struct req *, size_t *len);
size_t	 jsonapi_held_stored(const struct req *, char *out, size_t sz);
int	 jsonapi_replay(struct req *, const char *answer, size_t len);
void	 jsonapi_discard(struct req *);
int	 jsonapi_send(struct req *, int status, cJSON *doc);
int	 jsonapi_no_content(struct req *);
int	 jsonapi_allow(struct req *, int status, unsigned methods);
int	 http_send_json(struct req *, int status, cJSON *doc);
void	 http_header(struct req *, const char *name, const char *value);
void	 http_header_ok(struct req *, const char *name, const char *value);
cJSON	*jsonapi_resource(struct req *, const char *type, const char *id,
	    cJSON *attrs, const char *self);
cJSON	*jsonapi_document(cJSON *data, const char *self);
cJSON	*jsonapi_page(const struct req *, cJSON *data, const char *path,
	    long long total);
void	 self_link(const struct req *, char *, size_t, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 iso8601(char out[21], long long);

/* ---- valid.c: pure validators ----------------------------------------- */

int	 json_scan(const char *, size_t, int maxdepth);
int	 valid_utf8(const char *, size_t);
size_t	 utf8_chars(const char *);
int	 valid_name(const char *);
int	 valid_line(const char *);
int	 valid_line_opt(const char *);
int	 valid_email(const char *);
int	 email_canonical(char *, size_t, const char *);
int	 valid_password(const char *);
int	 valid_salutation(const char *);
int	 valid_user_status(const char *);
int	 valid_iso2(const char *);
int	 valid_zip(const char *);
int	 valid_uuid(const char *);
int	 valid_token(const char *);
long long customer_ref_id(const char *);
int	 media_type_ok(const char *);
void	 utf8_truncate(char *, size_t, const char *, size_t max);
int	 accept_ok(const char *);
int	 json_duplicate(const cJSON *, char *ptr, size_t sz);
const char *origin_bad(const char *, size_t);
int	 origin_listed(const char *list, const char *origin);

/* ---- fields.c: declarative attribute rules ---------------------------- */

enum ftype { F_STRING, F_BOOL };

/* required: 0 optional; REQ_VALUE missing is 422 901; REQ_MEMBER 400 101. */
#define REQ_VALUE	1
#define REQ_MEMBER	2

struct field {
	const char	*name;
	enum ftype	 type;
	int		 required;
	int		(*check)(const char *);	/* F_STRING: the validator */
};

struct fval {
	const char	*s;	/* NULL when absent */
	int		 b;	/* F_BOOL: 0/1 */
	int		 present;
};

int	 fields_read(struct req *, const struct field *, size_t, struct fval *);
/* The locale attribute read: f->s normalised into buf, or answered 422 140
 * (contract §10.9) and -1. */
int	 fields_locale(struct req *, struct fval *f,
	    char buf[MAX_LOCALE + 1]);

/* ---- form.c: application/x-www-form-urlencoded ----------------------- */

#define MAX_FORM_FIELDS	16

struct form {
	char	*buf;			/* owns the decoded text */
	char	*name[MAX_FORM_FIELDS];
	char	*value[MAX_FORM_FIELDS];
	size_t	 n;
};

int	 form_parse(struct form *, const char *, size_t);
const char *form_get(const struct form *, const char *);
/* The client_id of "Authorization: Basic" (RFC 6749 §2.3.1), at most
 * MAX_CLIENT_ID bytes; *secret: a secret was given.  0, or -1 malformed. */
#define MAX_CLIENT_ID	128
int	 form_basic(const char *, char *id, size_t idsz, int *secret);
void	 form_release(struct form *);

/* ---- router.c: routes and the front line ------------------------------ */

#define R_AUTH		0x01	/* needs a bearer token of the program's side */
#define R_BODY		0x02	/* needs a JSON:API document of the route's type */
#define R_FORM		0x04	/* body is application/x-www-form-urlencoded */
#define R_METHODS	0x08	/* uses the account's MFA methods */
#define R_MFA		0x10	/* checks codes: methods, grace codes, lockout */
#define R_SELF		0x20	/* the first path parameter must name the caller
				   (a customer reference) */
#define R_PAGED		0x40	/* a collection answered a page at a time
				   (page[offset], page[limit]) */
#define R_PASSWORD	0x80	/* its body may carry the caller's current
				   password: counted before the MFA guard
				   (auth_password_count()) */


struct route {
	unsigned	 method;
	const char	*pattern;	/* e.g. "customers/:/addresses/:" */
	const char	*type;		/* resource type: body, protection */
	unsigned	 flags;
	int		(*handler)(struct req *);
};

/* The side a program serves is compiled in (Makefile: -DGLUE_SIDE). */
#ifndef GLUE_SIDE
#define GLUE_SIDE	SIDE_STOREFRONT
#endif

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct program {
	const char		*name;
	enum side		 side;
	const struct route	*routes;
	size_t			 nroutes;
};

/* The whole main() of a program: its name and its route table. */
#define GLUE_MAIN(name, routes)						\
int									\
main(int argc, char *argv[])						\
{									\
	static const struct program p = {				\
		(name), GLUE_SIDE, (routes), nitems(routes)		\
	};								\
									\
	return glue_main(&p, argc, argv);				\
}

void	 dispatch(struct req *, const struct program *);

/* ---- idem.c: Idempotency-Key, stored answers (contract §9.6) --------- */

void	 idem_replay(struct req *);
void	 idem_claim(struct req *);
int	 idem_conclude(struct req *);
void	 idem_done(struct req *);

/* ---- main.c: the process --------------------------------------------- */

int	 glue_main(const struct program *, int, char *[]);

/* ---- auth.c: tokens, passwords, login limits -------------------------- */

struct issued {
	char		 access[TOKEN_CHARS + 1];
	char		 refresh[TOKEN_CHARS + 1];
	unsigned long long family;
	long long	 account;	/* whose tokens */
};

#define LOGIN_FAILED	0
#define LOGIN_OK	1
#define LOGIN_LIMITED	2
/* contract §10.12, mfa_at_sign_in on: the password was right. */
#define LOGIN_MFA_MISSING 3	/* 5900 (a code sent, r->mfa_options) */
#define LOGIN_MFA_INVALID 4	/* 5901, counted */
#define LOGIN_MFA_LOCKED 5	/* 5911, *retry */

int	 auth_bearer(struct req *, enum auth_level);
int	 auth_login(struct req *, const char *user, const char *password,
	    struct issued *, long *retry);
int	 auth_issue(struct req *, long long account, unsigned long long family,
	    struct issued *);
#define PASSWORD_WRONG	0
#define PASSWORD_OK	1
#define PASSWORD_LIMITED 2

int	 auth_password_check(struct req *, const char *hash,
	    const char *password, long *retry);
int	 auth_password_passed(struct req *);
int	 auth_password_count(struct req *);
void	 auth_attempt_end(struct req *, int undone);
int	 auth_send_tokens(struct req *, const char *type,
	    const struct issued *);
int	 auth_refresh(struct req *, const char *token, struct issued *);
int	 auth_revoke_others(struct req *);
int	 auth_purge_account(struct req *, long long account);
void	 auth_scope(unsigned char out[HASH_BYTES], enum side, const char *kind,
	    const char *value);
void	 auth_token_hash(unsigned char out[HASH_BYTES], enum side, const char *);

/* ---- audit.c ---------------------------------------------------------- */

/* 0, or -1 when the row could not be written: the caller's unit of work
 * then fails with it (contract §5.4). */
int	 audit(struct req *, enum side, long long account, long long actor,
	    const char *action, const char *method, enum err failure);

/* ---- mail.c: messages and transports ------------------------------- */

/* The notifications (contract §6): what happened, never a code. */
enum notice { NOTICE_ON, NOTICE_OFF, NOTICE_ADMIN_OFF, NOTICE_LOCKED,
	NOTICE_USERNAME_OLD, NOTICE_USERNAME_NEW, NOTICE_RECOVERY_NEW,
	NOTICE_RECOVERY_USED };
#define NOTICE_NONE	(-1)	/* a decision that tells nobody */

int	 mail_send(const char *to, const char *subject, const char *text,
	    const char *html);
/*
 * The mails, in the language of locale (a stored, normalised locale; NULL
 * or "" is default_locale's: contract §10.9).  mail_code's purpose: NULL,
 * or mail_action_phrase()'s phrase of what the code allows, put into the
 * mail's language.
 */
int	 mail_code(const char *to, const char *locale, const char *code,
	    long ttl, const char *purpose);
/* The English phrase of a protected action (method, resource type) ("to
 * change your password"), or NULL; mail_code() takes it as purpose. */
const char *mail_action_phrase(unsigned method, const char *type);
int	 mail_notice(const char *to, const char *locale, enum notice,
	    long long when);
/* The registration key mailed at sign-up (contract §3.2). */
int	 mail_registration(const char *to, const char *locale, const char *key,
	    long ttl);
enum lang mail_lang(const char *locale);
/* A Subject value, RFC 2047-encoded when needed; length or -1. */
int	 mail_subject_encode(char *out, size_t sz, const char *subject);
/* The reverse (the development mailbox); length or -1. */
int	 mail_subject_decode(char *out, size_t sz, const char *v, size_t n);
int	 mail_headers(char *out, size_t sz, const char *from, const char *to,
	    const char *subject, time_t when, const char *id,
	    const char *boundary);

/* ---- outbox.c: notifications handed over after the commit ------------ */

/*
 * Contract §9.3.  A notice is queued inside the transaction of the
 * decision it tells of and handed over after the commit; a hand-over that
 * fails is tried again later, OUTBOX_RETRY_BASE seconds doubled per
 * attempt up to OUTBOX_RETRY_MAX, until OUTBOX_MAX_ATTEMPTS, when the row
 * stays, marked failed, for the operator (glue-mfa-admin outbox).
 */
#define OUTBOX_MAX_ATTEMPTS	10	/* hand-overs tried before giving up */
#define OUTBOX_RETRY_BASE	60	/* seconds before the second attempt */
#define OUTBOX_RETRY_MAX	3600	/* the longest wait between attempts */
#define OUTBOX_LEASE		300	/* seconds a claim holds a row: more
					 * than OUTBOX_PER_REQUEST hand-overs
					 * of the longest mail_timeout */
#define OUTBOX_PER_REQUEST	4	/* due rows one request hands over */
#define OUTBOX_POLL_SECONDS	10	/* a process looks for due rows at
					 * most this often, unless it queued
					 * one itself */

struct outbox_result {
	long		 sent;		/* handed over */
	long		 retry;		/* not handed over: due again later */
	long		 failed;	/* not handed over: given up */
};

/* Queues a notice to the account (to: its address; NULL: looked up)
 * inside the caller's transaction: 0, or -1 (the unit of work fails). */
int	 outbox_add(struct req *, const struct subject *, const char *to,
	    enum notice);
/* Hands over at most max due notices, stopping at the first that fails
 * (counted into *res, which the caller zeroes): 0, or -1 on a database
 * error. */
int	 outbox_send_due(time_t now, long max, struct outbox_result *);
/* After the answer: the notices this request queued, and others due. */
void	 outbox_after(struct req *);

/* ---- mfa.c: the MFA engine, both sides, every method ------------------- */

/*
 * One call of the engine, as a method sees it: whose codes (who), of which
 * method (type), checked for which access token, at what time, with which
 * submitted code.  Nothing of the request beyond that.
 */
struct mfa_ctx {
	struct subject	 who;
	const char	*type;
	const unsigned char *token;	/* the calling token's hash (grace) */
	time_t		 now;
	const char	*code;		/* X-MFA-Code; NULL when absent */
	struct io	*io;		/* the request's (io_client_gone()) */
	int		 activating;	/* issue(): for an activation */
	/* issue(): the request the new code is bound to, and the mail's
	 * phrase for it; check(): the request being checked (the guard's),
	 * NULL in the MFA resources' own checks (contract §10.8). */
	const char	*action;
	const char	*purpose;
	cJSON		*answer;	/* issue(): attributes of a 200 answer */
	const cJSON	*attrs;		/* enroll(): the body's attributes */
	/* check(): a remark the engine audits with the check, whatever it
	 * decides (webauthn: a signature counter that did not increase). */
	const char	*note_action;
	enum err	 note;
	struct codes	 live;		/* loaded by the first check() */
	int		 live_loaded;
	/* The account's address and its mails' locale, read once per unit
	 * of work by the e-mail method (its limits, then the code's mail). */
	char		 to[4 * MAX_EMAIL + 1];
	char		 locale[MAX_LOCALE + 1];
	int		 contact_loaded;
};

/*
 * An MFA method: one row of mfa.c's methods[], one file method_<name>.c.
 * Everything else (the order of checks, failures and lockout, grace,
 * audit, notifications, the sending limits' answers) is the engine's.
 * Hooks run with the account's lock held, inside its transaction.
 */
#define MF_CREDENTIALS	0x01	/* several credentials: activate while
				   active adds one (a code of an active
				   method), enroll() registers it */
#define MF_ANSWERS	0x02	/* trigger answers what the client needs
				   (200) instead of sending a code; never
				   bound to an action, never at sign-in */

struct mfa_method {
	const char	*name;		/* attributes.type */
	unsigned	 flags;		/* MF_* */
	/* Is the header shaped like one of its codes?  Else not checked. */
	int		(*well_formed)(enum side, const char *code);
	/* Sending limits before a new code (contract §5.3); NULL: none. */
	enum err	(*limit)(struct mfa_ctx *, long *retry);
	/* Stores and delivers what activation needs: commits what it
	 * stores, then delivers (E_MFA_SEND_FAILED).  May leave in
	 * c->answer the attributes activate answers with (200, type
	 * multi-factor-auth-type-activate); else activate answers 204. */
	enum err	(*issue)(struct mfa_ctx *);
	/* The same for trigger; NULL: nothing to send, trigger answers 204
	 * (an app makes its codes itself). */
	enum err	(*trigger)(struct mfa_ctx *);
	/* The code against the method's live credentials: 1 matched and
	 * spent (its grace window opened for the token), 0 no match, -1. */
	int		(*check)(struct mfa_ctx *);
	/* A wrong code: counted against the method's live credentials;
	 * NULL: nothing of the method's to count (the engine counts). */
	int		(*fail)(struct mfa_ctx *);
	/* The method was switched off: its codes and windows end. */
	int		(*end)(struct mfa_ctx *);
	/* Verify without X-MFA-Code (NULL: verify checks a code): what the
	 * body (c->attrs) carries is checked and stored, inside the
	 * transaction holding the account's lock.  E_NONE, or the refusal
	 * (nothing stored). */
	enum err	(*enroll)(struct mfa_ctx *);
};

extern const struct mfa_method method_email;
extern const struct mfa_method method_totp;
extern const struct mfa_method method_webauthn;

/* method_webauthn.c: the passkeys of an account (contract §12). */
#define WA_MAX_CREDENTIALS	50	/* webauthn_max_credentials' bound */
#define WA_LIVE_CHALLENGES	8	/* live challenges per account and
					   purpose: an older one is dropped */
#define WA_NAME_DEFAULT		"Passkey"
#define WA_HEADER_MIN		16	/* X-MFA-Code shorter: not an assertion
					   (the longest: webauthn.h) */
#define WA_MAX_ORIGINS		16	/* webauthn_origins entries */
int	 webauthn_check_config(char *err, size_t errsz);
enum err webauthn_body_check(const cJSON *attrs);

/* method_totp.c's wrapper of liboath, for the unit tests too. */
#define TOTP_STEP	30	/* seconds (RFC 6238 X) */
#define TOTP_DIGITS	6
#define TOTP_MAX_DRIFT	2	/* steps: the remembered offset's bound */
#define TOTP_B32_MAX	64	/* base32 of a secret, NUL included */
int	 totp_hotp(const unsigned char *key, size_t len, unsigned long long
	    counter, char out[TOTP_DIGITS + 1]);
int	 totp_at(const unsigned char *key, size_t len, time_t t,
	    char out[TOTP_DIGITS + 1]);
int	 totp_base32(char *out, size_t outsz, const unsigned char *key,
	    size_t len);
int	 totp_unbase32(unsigned char *out, size_t *len, size_t outsz,
	    const char *b32);
long long totp_match(const unsigned char *key, size_t len, const char *code,
	    time_t now, long window, long drift, long long last_step,
	    long *new_drift);

int	 mfa_check_config(char *err, size_t errsz);
enum method_status methods_status(const struct methods *, const char *type);
int	 mfa_types(struct req *);
int	 mfa_activate(struct req *);
int	 mfa_verify(struct req *);
int	 mfa_trigger(struct req *);
int	 mfa_deactivate(struct req *);
void	 mfa_guard(struct req *);
int	 mfa_guard_passed(struct req *);
enum err mfa_sign_in(struct req *, long long account,
	    const unsigned char token[HASH_BYTES], long *retry);
/* A counted failure is audited as (action, method), with its count. */
enum err mfa_method_code(struct req *, const char *action, const char *method,
	    long *retry);
int	 mfa_notify(struct req *, enum notice);
int	 mfa_protects(const struct req *);
/* Switches the request's account's method off inside the caller's open
 * transaction, audited as (action, type) with its notice: 0, -1. */
int	 mfa_switch_off(struct req *, const char *type, const char *action);
enum err mfa_admin_off(struct req *, const struct subject *, const char *type,
	    long long actor, struct methods *off);

#endif
