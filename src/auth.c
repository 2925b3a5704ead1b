/*
 * Bearer tokens, sign-in limits and token families (SPEC §3).  Tokens are
 * 256-bit random strings handed out once; only their keyed hash is stored.
 * A refresh token is used once: its successor joins the same family, and a
 * second use of a used one revokes the whole family (RFC 6819 §5.2.2.3).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

void
auth_token_hash(unsigned char out[HASH_BYTES], enum side side,
    const char *token)
{
	keyed_hash(out, side == SIDE_BACKEND ? "token/backend" :
	    "token/storefront", token, strlen(token));
}

/* Limit scopes are stored hashed: the table names no e-mail or address. */
void
auth_scope(unsigned char out[HASH_BYTES], enum side side, const char *kind,
    const char *value)
{
	char	 buf[MAX_EMAIL + 64];
	size_t	 i, n;

	n = (size_t)snprintf(buf, sizeof(buf), "%d/%s/%s", (int)side, kind,
	    value);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	keyed_hash(out, "login-scope", buf, n);
}

/* Active methods in "type=status,..." (the methods column). */
static long long
count_active(const char *methods)
{
	const char	*p;
	long long	 n = 0;

	for (p = methods; (p = strstr(p, "=2")) != NULL; p += 2)
		if (p[2] == ',' || p[2] == '\0')
			n++;
	return n;
}

/* RFC 6750 §2.1: "Bearer" (case-insensitive), one space, the token. */
int
auth_bearer(struct req *r)
{
	const char	*h = r->authorization;
	struct account	*a = &r->acct;
	struct dbcol	 c[12];
	struct dbv	 v[4];
	size_t		 n;
	int		 rc;

	if (h == NULL || *h == '\0')
		return jsonapi_error(r, E_TOKEN_MISSING), -1;
	if (strncasecmp(h, "Bearer ", 7) != 0 || !valid_token(h + 7))
		return jsonapi_error(r, E_TOKEN_INVALID), -1;
	auth_token_hash(a->token_hash, r->side, h + 7);
	a->level = r->route->flags & R_MFA || mfa_protects(r) ? AUTH_FULL :
	    r->route->flags & R_METHODS ? AUTH_METHODS : AUTH_PLAIN;
	n = 0;
	if (a->level == AUTH_FULL)	/* the grace window's clock comes first */
		v[n++] = DBV_INT((long long)r->now);
	v[n++] = DBV_BLOB(a->token_hash, HASH_BYTES);
	v[n++] = DBV_INT(r->side);
	v[n++] = DBV_INT((long long)r->now);
	c[0] = (struct dbcol)DBC_INT;
	c[1] = (struct dbcol)DBC_INT;
	c[2] = (struct dbcol)DBC_INT;
	c[3] = (struct dbcol)DBC_TEXT(a->methods);
	c[4] = (struct dbcol)DBC_TEXT(a->grace);
	c[5] = (struct dbcol)DBC_INT;
	c[6] = (struct dbcol)DBC_TEXT(a->email);
	c[7] = (struct dbcol)DBC_TEXT(a->extra);
	c[8] = (struct dbcol)DBC_TEXT(a->first);
	c[9] = (struct dbcol)DBC_TEXT(a->last);
	c[10] = (struct dbcol)DBC_INT;
	c[11] = (struct dbcol)DBC_INT;
	if ((rc = db_one((r->side == SIDE_BACKEND ? S_AUTH_USER :
	    S_AUTH_CUSTOMER) + a->level, v, n, c, 12)) < 0)
		return jsonapi_db_error(r), -1;
	if (rc == 0)
		return jsonapi_error(r, E_TOKEN_INVALID), -1;
	a->token_id = c[0].i;
	a->id = c[1].i;
	a->family = (unsigned long long)c[2].i;
	a->mfa_active = count_active(a->methods);
	a->locked_until = c[5].null ? 0 : c[5].i;
	a->extra_null = c[7].null;
	a->created = c[10].i;
	a->updated = c[11].i;
	return 0;
}

/* Issues an access and a refresh token in family (0: a new family). */
int
auth_issue(struct req *r, long long account, unsigned long long family,
    struct issued *out)
{
	unsigned char	 h[HASH_BYTES];
	struct dbv	 v[6];

	if (family == 0)	/* 63 bits, never 0: fits a signed BIGINT */
		family = (random_u64() >> 1) | 1;
	out->family = family;
	token_new(out->refresh);
	token_new(out->access);
	auth_token_hash(h, r->side, out->refresh);
	v[0] = DBV_INT(r->side);
	v[1] = DBV_INT(account);
	v[2] = DBV_INT((long long)family);
	v[3] = DBV_BLOB(h, HASH_BYTES);
	v[4] = DBV_INT((long long)r->now);
	v[5] = DBV_INT((long long)r->now + cfg.refresh_token_ttl);
	if (db_exec(S_REFRESH_INSERT, v, 6) != 1)
		return -1;
	auth_token_hash(h, r->side, out->access);
	v[5] = DBV_INT((long long)r->now + cfg.access_token_ttl);
	if (db_exec(S_ACCESS_INSERT, v, 6) != 1)
		return -1;
	return 0;
}

/*
 * Sign-in limits: per account (login_max_failures) and per client address
 * (login_max_failures_per_address), each within login_window seconds.
 * 1 and *retry set when limited, 0 when not, -1 on a database error.
 */
int
auth_login_limited(struct req *r, const char *username, long *retry)
{
	unsigned char	 acct[HASH_BYTES], addr[HASH_BYTES];
	struct dbcol	 c[3] = { DBC_INT, DBC_INT, DBC_INT };
	struct dbv	 v[4];
	long		 limit, wait;
	int		 rc, limited = 0;

	auth_scope(acct, r->side, "account", username);
	auth_scope(addr, r->side, "address", r->remote_addr);
	v[0] = DBV_BLOB(acct, HASH_BYTES);
	v[1] = DBV_BLOB(acct, HASH_BYTES);
	v[2] = DBV_BLOB(addr, HASH_BYTES);
	v[3] = DBV_INT((long long)r->now - cfg.login_window);
	*retry = 0;
	if (db_select(S_LOGIN_FAILURES_GET, v, 4, c, 3) != 0)
		return -1;
	while ((rc = db_fetch(S_LOGIN_FAILURES_GET, c, 3)) == 1) {
		limit = c[2].i ? cfg.login_max_failures :
		    cfg.login_max_failures_per_address;
		if (c[0].i < limit)
			continue;
		limited = 1;
		wait = (long)(c[1].i + cfg.login_window - r->now);
		if (wait > *retry)
			*retry = wait;
	}
	db_finish(S_LOGIN_FAILURES_GET);
	return rc < 0 ? -1 : limited;
}

int
auth_login_failed(struct req *r, const char *username)
{
	unsigned char	 acct[HASH_BYTES], addr[HASH_BYTES];
	struct dbv	 v[6];
	long long	 old = (long long)r->now - cfg.login_window;

	auth_scope(acct, r->side, "account", username);
	auth_scope(addr, r->side, "address", r->remote_addr);
	v[0] = DBV_BLOB(acct, HASH_BYTES);
	v[1] = DBV_INT((long long)r->now);
	v[2] = DBV_BLOB(addr, HASH_BYTES);
	v[3] = DBV_INT((long long)r->now);
	v[4] = DBV_INT(old);
	v[5] = DBV_INT(old);
	return db_exec(S_LOGIN_FAILURE_ADD, v, 6) < 0 ? -1 : 0;
}

int
auth_login_succeeded(struct req *r, const char *username)
{
	unsigned char	 acct[HASH_BYTES];
	struct dbv	 v[1];

	auth_scope(acct, r->side, "account", username);
	v[0] = DBV_BLOB(acct, HASH_BYTES);
	return db_exec(S_LOGIN_FAILURE_CLEAR, v, 1) < 0 ? -1 : 0;
}

/*
 * After a password change: every token but the calling access token is
 * revoked, refresh tokens included (a stolen one must not outlive the
 * change).  The caller signs in again when its access token expires.
 */
int
auth_revoke_others(struct req *r)
{
	struct dbv	 v[3];

	v[0] = DBV_INT(r->side);
	v[1] = DBV_INT(r->acct.id);
	v[2] = DBV_INT(r->acct.token_id);
	if (db_exec(S_ACCESS_REVOKE_OTHERS, v, 3) < 0)
		return -1;
	return db_exec(S_REFRESH_REVOKE_ACCOUNT, v, 2) < 0 ? -1 : 0;
}

/*
 * Removes what belongs to an account: tokens and MFA state (inside the
 * caller's transaction).  Audit rows stay: the trail is append-only.
 */
int
auth_purge_account(struct req *r, long long account)
{
	static const enum stmt purge[] = {
		S_ACCESS_DELETE_ACCOUNT, S_REFRESH_DELETE_ACCOUNT,
		S_MFA_PURGE_METHODS, S_MFA_PURGE_CODES, S_MFA_PURGE_LOCKOUT,
	};
	struct dbv	 v[2];
	size_t		 i;

	v[0] = DBV_INT(r->side);
	v[1] = DBV_INT(account);
	for (i = 0; i < nitems(purge); i++)
		if (db_exec(purge[i], v, 2) < 0)
			return -1;
	return 0;
}

/* The token pair as the access-tokens and refresh-tokens resources show it. */
int
auth_send_tokens(struct req *r, const char *type, const struct issued *t)
{
	cJSON	*a;
	char	 id[17], self[MAX_PATH + 600];

	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "tokenType", "Bearer");
	cJSON_AddNumberToObject(a, "expiresIn", (double)cfg.access_token_ttl);
	cJSON_AddStringToObject(a, "accessToken", t->access);
	cJSON_AddStringToObject(a, "refreshToken", t->refresh);
	cJSON_AddNumberToObject(a, "refreshTokenExpiresIn",
	    (double)cfg.refresh_token_ttl);
	snprintf(id, sizeof(id), "%016llx", t->family);
	self_link(r, self, sizeof(self), "%s", type);
	return jsonapi_send(r, 201, jsonapi_document(
	    jsonapi_resource(r, type, id, a, self), NULL));
}

/*
 * A customer may only name itself: another customer's reference, or one
 * that does not exist, gets the same 403 (SPEC §3.2: nothing reveals
 * whether a reference exists).
 */
int
auth_is_self(struct req *r, const char *ref)
{
	if (r->acct.id != 0 && customer_ref_id(ref) == r->acct.id)
		return 0;
	return jsonapi_error(r, E_UNAUTHORIZED), -1;
}

static int
revoke_family(struct req *r, long long family)
{
	struct dbv	 v[2];

	v[0] = DBV_INT(family);
	v[1] = DBV_INT(r->side);
	if (db_exec(S_REFRESH_REVOKE_FAMILY, v, 2) < 0 ||
	    db_exec(S_ACCESS_REVOKE_FAMILY, v, 2) < 0)
		return -1;
	return 0;
}

/* Uses the token and issues its successor, in one transaction. */
static int
rotate(struct req *r, long long id, long long account, long long family,
    struct issued *t)
{
	struct dbv	 v[2];
	long long	 n;

	v[0] = DBV_INT(id);
	v[1] = DBV_INT((long long)r->now);
	if (db_begin() != 0)
		return -1;
	if ((n = db_exec(S_REFRESH_USE, v, 2)) < 0)
		goto fail;
	if (n == 0) {		/* used by a parallel request: a reuse */
		db_rollback();
		return 0;
	}
	if (auth_issue(r, account, (unsigned long long)family, t) != 0 ||
	    db_commit() != 0)
		goto fail;
	return 1;
fail:
	db_rollback();
	return -1;
}

/*
 * Rotation: a valid refresh token is used once and replaced in its family.
 * A second use means it leaked: the whole family (every access and refresh
 * token of that sign-in) is revoked (RFC 6819 §5.2.2.3).
 * 1: *t issued; 0: refused; -1: database error.
 */
int
auth_refresh(struct req *r, const char *token, struct issued *t)
{
	unsigned char	 h[HASH_BYTES];
	struct dbcol	 c[6] = { DBC_INT, DBC_INT, DBC_INT, DBC_INT, DBC_INT,
			    DBC_INT };
	struct dbv	 v[2];
	int		 rc;

	if (!valid_token(token))
		return 0;
	auth_token_hash(h, r->side, token);
	v[0] = DBV_BLOB(h, HASH_BYTES);
	v[1] = DBV_INT(r->side);
	if ((rc = db_one(S_REFRESH_BY_HASH, v, 2, c, 6)) <= 0)
		return rc;
	if (c[4].i != 0 || c[5].i <= (long long)r->now)
		return 0;
	if (c[3].i == 0 && (rc = rotate(r, c[0].i, c[1].i, c[2].i, t)) != 0)
		return rc;
	log_warn("refresh token reused: family of account %lld revoked",
	    c[1].i);
	return revoke_family(r, c[2].i) != 0 ? -1 : 0;
}

/*
 * Sign-in with a password (SPEC §3.1, §3.3), both sides.  An unknown
 * account, a blocked user and a wrong password answer alike, after the
 * same Argon2id work.  Audited.  Returns LOGIN_OK with *t issued,
 * LOGIN_FAILED, LOGIN_LIMITED with *retry, or -1 (database error).
 */
int
auth_login(struct req *r, const char *username, const char *password,
    struct issued *t, long *retry)
{
	char		 hash[MAX_PASSWORD + 32];
	struct dbcol	 c[3];
	int		 rc, ok;

	if ((rc = auth_login_limited(r, username, retry)) != 0) {
		if (rc == 1)
			audit(r, r->side, 0, 0, "login", NULL, E_LOGIN_LIMIT);
		return rc < 0 ? -1 : LOGIN_LIMITED;
	}
	c[0] = (struct dbcol)DBC_INT;
	c[1] = (struct dbcol)DBC_TEXT(hash);
	c[2] = (struct dbcol)DBC_INT;
	rc = db_one(r->side == SIDE_BACKEND ? S_USER_LOGIN : S_CUSTOMER_LOGIN,
	    &DBV_TEXT(username), 1, c, 3);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		password_burn(password);
		ok = 0;
	} else
		ok = password_verify(hash, password) && c[2].i == 1;
	if (!ok) {
		audit(r, r->side, rc == 1 ? c[0].i : 0, 0, "login", NULL,
		    E_LOGIN_FAILED);
		return auth_login_failed(r, username) != 0 ? -1 : LOGIN_FAILED;
	}
	if (auth_login_succeeded(r, username) != 0 ||
	    auth_issue(r, c[0].i, 0, t) != 0)
		return -1;
	audit(r, r->side, c[0].i, 0, "login", NULL, E_NONE);
	return LOGIN_OK;
}
