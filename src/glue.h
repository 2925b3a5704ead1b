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

struct config {
	char	*db_socket;
	char	*db_host;
	unsigned db_port;
	char	*db_user;
	char	*db_password;
	char	*db_name;
	unsigned db_connect_timeout;
	char	*secret_key_file;
	char	*mail_transport;	/* "sendmail" or "spool" */
	char	*sendmail_command;
	char	*mail_spool_dir;
	unsigned mail_timeout;
	char	*mail_from;
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
	char	*protected_storefront;	/* comma-separated resource types */
	char	*protected_backend;
	char	*methods;		/* comma-separated method names */
	char	*dev_mailbox;		/* "on": serve the spool (development) */
	char	*test_clock_file;	/* test builds only */
};

extern struct config cfg;

int	 config_load(const char *path, char *err, size_t errsz);
int	 config_parse(const char *text, char *err, size_t errsz);
void	 config_defaults(void);
int	 list_contains(const char *list, const char *item);

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
void	 password_burn(const char *pw);
int	 ct_equal(const void *, const void *, size_t);
void	 wipe(void *, size_t);
void	 uuid_v4(char out[37]);

/* ---- db.c: the only SQL ----------------------------------------------- */

enum stmt {
	S_AUTH_CUSTOMER,	/* + enum auth_level */
	S_AUTH_CUSTOMER_METHODS,
	S_AUTH_CUSTOMER_FULL,
	S_AUTH_USER,		/* + enum auth_level */
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
	S_LOGIN_FAILURES_GET,
	S_LOGIN_FAILURE_ADD,
	S_LOGIN_FAILURE_CLEAR,
	S_CUSTOMER_LOGIN,
	S_CUSTOMER_INSERT,
	S_CUSTOMER_UPDATE,
	S_CUSTOMER_DELETE,
	S_CUSTOMER_PASSWORD_GET,
	S_CUSTOMER_PASSWORD_SET,
	S_CUSTOMER_LOCK,
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
	S_MFA_METHODS,
	S_MFA_METHOD_PENDING,
	S_MFA_METHOD_ACTIVATE,
	S_MFA_METHOD_DEACTIVATE,
	S_MFA_CODES,
	S_MFA_LOCK_INIT,
	S_MFA_LOCK_GET,
	S_MFA_LOCK_SET,
	S_MFA_LOCK_CLEAR,
	S_MFA_CODE_CONSUME,
	S_MFA_CODE_FAIL,
	S_MFA_SEND_STATS,
	S_MFA_CODES_INVALIDATE,
	S_MFA_CODE_INSERT,
	S_MFA_CODE_CANCEL,
	S_MFA_CODES_END,
	S_MFA_PURGE_METHODS,
	S_MFA_PURGE_CODES,
	S_MFA_PURGE_LOCKOUT,
	S_USER_LOGIN,
	S_USER_LIST,
	S_USER_GET,
	S_USER_INSERT,
	S_USER_UPDATE,
	S_USER_DELETE,
	S_USER_BY_NAME,
	S_CUSTOMER_BY_EMAIL,
	S_AUDIT_RECENT,
	S_AUDIT_INSERT,
	S__COUNT
};

enum dbtype { DB_NULL, DB_INT, DB_TEXT, DB_BLOB };

/* An input parameter; DB_TEXT and DB_BLOB point at caller memory. */
struct dbv {
	enum dbtype	 t;
	long long	 i;
	const void	*p;
	unsigned long	 len;
};

#define DBV_INT(x)	((struct dbv){ DB_INT, (x), NULL, 0 })
#define DBV_TEXT(x)	((struct dbv){ DB_TEXT, 0, (x), strlen(x) })
#define DBV_BLOB(x, n)	((struct dbv){ DB_BLOB, 0, (x), (n) })
#define DBV_NULL	((struct dbv){ DB_NULL, 0, NULL, 0 })
#define DBV_OPT(x)	((x) != NULL ? DBV_TEXT(x) : DBV_NULL)

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

#define DBC_INT		((struct dbcol){ DB_INT, 0, NULL, 0, 0, 0, 0 })
#define DBC_TEXT(b)	((struct dbcol){ DB_TEXT, 0, (b), sizeof(b), 0, 0, 0 })
#define DBC_BLOB(b)	((struct dbcol){ DB_BLOB, 0, (char *)(b), sizeof(b), 0, 0, 0 })

/* Results of db calls below 0. */
#define DB_ERR		(-1)	/* failed; db_unavailable() tells whether the DB is gone */
#define DB_DUP		(-2)	/* duplicate key */

int	 db_open(void);
void	 db_close(void);
int	 db_unavailable(void);
long long db_exec(enum stmt, const struct dbv *, size_t);
long long db_insert_id(void);
int	 db_select(enum stmt, const struct dbv *, size_t, struct dbcol *, size_t);
int	 db_fetch(enum stmt, struct dbcol *, size_t);
void	 db_request_start(void);
void	 db_finish(enum stmt);
int	 db_one(enum stmt, const struct dbv *, size_t, struct dbcol *, size_t);
int	 db_begin(void);
int	 db_commit(void);
void	 db_rollback(void);

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

/* What the authentication query loads besides the account (auth.c). */
enum auth_level { AUTH_PLAIN, AUTH_METHODS, AUTH_FULL };

/*
 * The signed-in account, as the one authentication query returns it: the
 * token, the account's own row, its MFA methods ("email=2,..."), the codes
 * in a grace window for this token ("id:type:hexhash,...") and its lockout.
 * One round trip serves most requests whole (SPEC §7, README: benchmarks).
 */
struct account {
	long long	 id;		/* 0: no account behind the request */
	long long	 mfa_active;	/* active MFA methods */
	long long	 token_id;	/* the calling access token's row */
	unsigned long long family;	/* its refresh family */
	unsigned char	 token_hash[HASH_BYTES];
	char		 methods[256];
	char		 grace[1024];
	long long	 locked_until;
	char		 email[4 * MAX_EMAIL + 1];	/* or username */
	char		 extra[40];	/* salutation, or a user's uuid */
	int		 extra_null;
	char		 first[4 * MAX_NAME + 1];
	char		 last[4 * MAX_NAME + 1];
	long long	 created, updated;
	enum auth_level	 level;		/* what of the MFA state was loaded */
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
	const char	*remote_addr;
	const char	*user_agent;
	long		 content_length;	/* or one of CL_* below */
	char		*body;
	size_t		 body_len;
	cJSON		*doc;
	cJSON		*attrs;			/* data.attributes when present */
	const struct route *route;
	const char	*param[4];		/* path parameters, in order */
	struct account	 acct;
	char		 id[REQUEST_ID_CHARS + 1];
	time_t		 now;
	int		 answered;		/* a response was written */
	int		 status;		/* its HTTP status, for the log */
	char		 headers[160];		/* more header lines (CRLF ended) */
};

#define CL_ABSENT	(-1)	/* no body */
#define CL_INVALID	(-2)	/* CONTENT_LENGTH not a number */
#define CL_UNTIL_EOF	(-3)	/* chunked, no CONTENT_LENGTH: read to the end */

const char *req_env(const struct req *, const char *);
int	 req_init(struct req *, struct io *, enum side);
int	 url_decode(char *, int plus);
int	 req_read_body(struct req *);
void	 req_release(struct req *);

/* ---- io.c: the transport (FastCGI, CGI, in memory) ------------------- */

int	 io_is_cgi(void);
struct io *io_cgi(void);
struct io *io_fcgi(void);
int	 io_accept(struct io *);
void	 io_finish(struct io *);
void	 io_stop(void);
const char *io_getenv(struct io *, const char *);
long	 io_read(struct io *, char *, size_t);
int	 io_write(struct io *, const char *, size_t);
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
	E_LOGIN_LIMIT,		/* 429 113 */
	E_TOKEN_INVALID,	/* 401 001 */
	E_TOKEN_MISSING,	/* 403 002 */
	E_LOGIN_FAILED,		/* 401 003 */
	E_REFRESH_FAILED,	/* 401 004 */
	E_INVALID_FIELD,	/* 422 901, pointer */
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
	E__COUNT
};

enum source { SRC_NONE, SRC_POINTER, SRC_HEADER, SRC_PARAMETER };

const char *jsonapi_code(enum err);
int	 jsonapi_error(struct req *, enum err);
int	 jsonapi_error_src(struct req *, enum err, enum source, const char *);
int	 jsonapi_error_retry(struct req *, enum err, long retry_after);
int	 jsonapi_db_error(struct req *);
int	 jsonapi_send(struct req *, int status, cJSON *doc);
int	 jsonapi_no_content(struct req *);
int	 jsonapi_allow(struct req *, int status, unsigned methods);
int	 http_send_json(struct req *, int status, cJSON *doc);
void	 http_header(struct req *, const char *name, const char *value);
cJSON	*jsonapi_resource(struct req *, const char *type, const char *id,
	    cJSON *attrs, const char *self);
cJSON	*jsonapi_document(cJSON *data, const char *self);
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
void	 form_release(struct form *);

/* ---- router.c: routes and the front line ------------------------------ */

#define R_AUTH		0x01	/* needs a bearer token of the program's side */
#define R_BODY		0x02	/* needs a JSON:API document of the route's type */
#define R_FORM		0x04	/* body is application/x-www-form-urlencoded */
#define R_METHODS	0x08	/* uses the account's MFA methods */
#define R_MFA		0x10	/* checks codes: methods, grace codes, lockout */


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

/* ---- main.c: the process --------------------------------------------- */

int	 glue_main(const struct program *, int, char *[]);

/* ---- auth.c: tokens, passwords, login limits -------------------------- */

struct issued {
	char		 access[TOKEN_CHARS + 1];
	char		 refresh[TOKEN_CHARS + 1];
	unsigned long long family;
};

#define LOGIN_FAILED	0
#define LOGIN_OK	1
#define LOGIN_LIMITED	2

int	 auth_bearer(struct req *);
int	 auth_login(struct req *, const char *user, const char *password,
	    struct issued *, long *retry);
int	 auth_issue(struct req *, long long account, unsigned long long family,
	    struct issued *);
int	 auth_login_limited(struct req *, const char *username, long *retry);
int	 auth_login_failed(struct req *, const char *username);
int	 auth_login_succeeded(struct req *, const char *username);
int	 auth_send_tokens(struct req *, const char *type,
	    const struct issued *);
int	 auth_refresh(struct req *, const char *token, struct issued *);
int	 auth_revoke_others(struct req *);
int	 auth_is_self(struct req *, const char *ref);
int	 auth_purge_account(struct req *, long long account);
void	 auth_scope(unsigned char out[HASH_BYTES], enum side, const char *kind,
	    const char *value);
void	 auth_token_hash(unsigned char out[HASH_BYTES], enum side, const char *);

/* ---- audit.c ---------------------------------------------------------- */

void	 audit(struct req *, enum side, long long account, long long actor,
	    const char *action, const char *method, enum err failure);

/* ---- mail.c ----------------------------------------------------------- */

int	 mail_send(const char *to, const char *subject, const char *text,
	    const char *html);
int	 mail_headers(char *out, size_t sz, const char *from, const char *to,
	    const char *subject, time_t when, const char *id,
	    const char *boundary);

/* ---- mfa.c: the MFA core, both sides ---------------------------------- */

int	 mfa_types(struct req *);
int	 mfa_activate(struct req *);
int	 mfa_verify(struct req *);
int	 mfa_trigger(struct req *);
int	 mfa_deactivate(struct req *);
int	 mfa_guard(struct req *);
int	 mfa_protects(const struct req *);

/* An account, named apart from the request's own (admin actions). */
struct subject {
	enum side	 side;
	long long	 id;
};

enum err mfa_admin_off(struct req *, const struct subject *, const char *type,
	    long long actor);

#endif
