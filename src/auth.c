/*
 * Bearer tokens, sign-in limits and token families (contract §3).  Tokens are
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

/*
 * RFC 6750 §2.1: "Bearer" (case-insensitive), one space, the token.  The
 * caller (the dispatcher) decides how much of the MFA state to load.
 */
int
auth_bearer(struct req *r, enum auth_level level)
{
	const char	*h = r->authorization;
	struct account	*a = &r->acct;
	int		 rc;

	if (h == NULL || *h == '\0')
		return jsonapi_error(r, E_TOKEN_MISSING), -1;
	if (strncasecmp(h, "Bearer ", 7) != 0 || !valid_token(h + 7))
		return jsonapi_error(r, E_TOKEN_INVALID), -1;
	auth_token_hash(a->token_hash, r->side, h + 7);
	if ((rc = db_auth_token(r->side, a->token_hash, r->now, level, a)) < 0)
		return jsonapi_db_error(r), -1;
	if (rc == 0)
		return jsonapi_error(r, E_TOKEN_INVALID), -1;
	return 0;
}

/* Stores the tokens made in out in family (0: a new family). */
static int
store_tokens(struct req *r, long long account, unsigned long long family,
    struct issued *out)
{
	unsigned char	 h[HASH_BYTES];
	struct subject	 who = { r->side, account };

	if (family == 0)	/* 63 bits, never 0: fits a signed BIGINT */
		family = (random_u64() >> 1) | 1;
	out->family = family;
	out->account = account;
	auth_token_hash(h, r->side, out->refresh);
	if (db_refresh_insert(&who, family, h, r->now,
	    r->now + cfg.refresh_token_ttl) != 0)
		return -1;
	auth_token_hash(h, r->side, out->access);
	if (db_access_insert(&who, family, h, r->now,
	    r->now + cfg.access_token_ttl) != 0)
		return -1;
	return 0;
}

/* Issues an access and a refresh token in family (0: a new family). */
int
auth_issue(struct req *r, long long account, unsigned long long family,
    struct issued *out)
{
	token_new(out->refresh);
	token_new(out->access);
	return store_tokens(r, account, family, out);
}

/*
 * The scopes an attempt counts in (contract §3.6): the account by its id
 * whenever the name reaches one (every spelling that the lookup takes is
 * the same account), else the submitted name; the account with the client
 * address; the client address alone.
 */
static void
login_scopes(const struct req *r, long long account, const char *name,
    struct login_scopes *sc)
{
	char	 who[MAX_EMAIL + 32], pair[2 * HASH_BYTES + MAX_CLIENT_ADDR + 2];
	size_t	 i;

	if (account > 0)
		snprintf(who, sizeof(who), "id:%lld", account);
	else
		snprintf(who, sizeof(who), "name:%s", name != NULL ? name : "");
	auth_scope(sc->account, r->side, "account", who);
	/* The pair names the account by its scope, so that the address is
	 * never cut off a long name. */
	for (i = 0; i < HASH_BYTES; i++)
		snprintf(pair + 2 * i, 3, "%02x", sc->account[i]);
	snprintf(pair + 2 * HASH_BYTES, sizeof(pair) - 2 * HASH_BYTES, "/%s",
	    r->remote_addr);
	auth_scope(sc->pair, r->side, "pair", pair);
	auth_scope(sc->address, r->side, "address", r->remote_addr);
}

/* The delay after the account's nth consecutive failure (n >= after). */
static long long
login_delay(long long n)
{
	long long	 d = cfg.login_delay_base, k;

	for (k = n - cfg.login_delay_after; k > 0 && d < cfg.login_delay_max;
	    k--)
		d *= 2;
	return d < cfg.login_delay_max ? d : cfg.login_delay_max;
}

static void
later(long long *until, long long t)
{
	if (t > *until)
		*until = t;
}

/*
 * The limits (contract §3.6), checked before any password work:
 * - the client address: login_max_failures_per_address per login_window;
 * - the account from this address: login_max_failures_per_account_address
 *   per login_window;
 * - the account: login_max_failures consecutive failures (forgotten
 *   login_account_window after the last one) lock it for everyone;
 *   from login_delay_after on, each failure imposes a doubling delay, but
 *   only on addresses that failed on the account within the window: an
 *   address without a failure (the owner's, elsewhere) is not held.
 * 1 and *retry set when limited, 0 when not, -1 on a database error.
 */
static int
login_limited(const struct req *r, const struct login_failures *lf,
    long *retry)
{
	long long	 acct = 0, pair = 0, addr = 0, until = 0, win;

	*retry = 0;
	win = (long long)r->now - cfg.login_window;
	if (lf->row[LF_ACCOUNT].last_failure > (long long)r->now -
	    cfg.login_account_window)
		acct = lf->row[LF_ACCOUNT].failures;
	if (lf->row[LF_PAIR].window_start > win)
		pair = lf->row[LF_PAIR].failures;
	if (lf->row[LF_ADDRESS].window_start > win)
		addr = lf->row[LF_ADDRESS].failures;
	if (addr >= cfg.login_max_failures_per_address)
		later(&until, lf->row[LF_ADDRESS].window_start +
		    cfg.login_window);
	if (pair >= cfg.login_max_failures_per_account_address)
		later(&until, lf->row[LF_PAIR].window_start + cfg.login_window);
	if (acct >= cfg.login_max_failures)
		later(&until, lf->row[LF_ACCOUNT].last_failure +
		    cfg.login_account_window);
	else if (acct >= cfg.login_delay_after && pair > 0)
		later(&until, lf->row[LF_ACCOUNT].last_failure +
		    login_delay(acct));
	if (until <= (long long)r->now)
		return 0;
	*retry = (long)(until - (long long)r->now);
	return 1;
}

/*
 * An attempt counted before its password is checked (contract §3.6):
 * under the locks of its three scopes' rows the limits are checked and,
 * when none holds, the attempt is counted as a failure, so that a
 * parallel attempt sees it while this one's Argon2id work runs.  It
 * commits at once, in a transaction of its own (the locks are held for a
 * few statements, not for the password check): a sign-in's, or a password
 * check's counted before the MFA guard opens the unit of work
 * (auth_password_count()).  A right password takes it back in the work it
 * lets through (login_take_back()); a request refused for anything else
 * gives it back when it ends (auth_attempt_end()).  The attempt is kept in
 * r->login: a unit of work run again after a conflict does not count it
 * twice.  0: counted; 1: limited (r->login.limited, .retry), nothing
 * written; -1: database error, nothing counted.
 */
static int
login_count(struct req *r, const struct login_scopes *sc)
{
	struct login_attempt *at = &r->login;

	if (at->counted)	/* a unit of work run again */
		return 0;
	at->sc = *sc;
	if (db_begin() != 0 || db_login_failures_lock(sc, &at->before) != 0)
		goto fail;
	if (login_limited(r, &at->before, &at->retry) != 0) {
		db_rollback();
		at->limited = 1;
		return 1;
	}
	if (db_login_failure_add(sc, r->now, r->now - cfg.login_window,
	    r->now - cfg.login_account_window, &at->after) != 0 ||
	    db_commit_step() != 0)
		goto fail;
	at->counted = 1;
	return 0;
fail:
	db_rollback();
	return -1;
}

/*
 * The password was right: the attempt is no failure.  A sign-in or a
 * password change clears the account's and the pair's counts and gives
 * the address its count back (clear); a sign-in refused by its second
 * factor gives every scope its count back.  Inside the caller's
 * transaction.
 */
static int
login_take_back(struct req *r, int clear)
{
	struct login_attempt *at = &r->login;
	enum login_scope k;

	if (!at->counted)
		return 0;
	if (clear && db_login_failure_clear(&at->sc) != 0)
		return -1;
	for (k = clear ? LF_ADDRESS : LF_ACCOUNT; k < LF__COUNT; k++)
		if (db_login_failure_take_back(&at->sc, k, &at->before,
		    &at->after) != 0)
			return -1;
	at->passed = clear;
	return 0;
}

/*
 * The end of a request (router.c, conclude()): an attempt it counted
 * whose password was not found wrong, and whose giving back was not
 * committed with its work (undone: that work was rolled back), is given
 * back in every scope on its own: a request refused for anything else (a
 * second factor at sign-in, the MFA guard, a field) leaves the counts as
 * it found them.  An attempt cut short by the database (or by a conflict
 * whose retries are spent: the statement is refused here) stays counted
 * (contract §3.6).
 */
void
auth_attempt_end(struct req *r, int undone)
{
	struct login_attempt *at = &r->login;

	if (!at->counted || at->failed || (at->passed && !undone))
		return;
	at->passed = 0;
	if (db_begin() != 0 || login_take_back(r, 0) != 0 ||
	    db_commit_step() != 0) {
		db_rollback();
		log_warn("a password attempt could not be given back: it stays "
		    "counted");
		return;
	}
	at->counted = 0;
}

/*
 * Before the MFA guard, for a request of an R_PASSWORD route that carries
 * the caller's current password: the attempt is counted on its own,
 * as a sign-in's is, so that parallel attempts behind the guard see each
 * other (contract §3.6); a limit that holds is recorded for the password
 * check to answer, after the guard and the fields, in the order of
 * contract §4.  0, or -1 (database error).
 */
int
auth_password_count(struct req *r)
{
	/* Spryker's PATCH /customer-password names it password; a
	 * back-office user's own change, currentPassword. */
	const char	*name = r->side == SIDE_STOREFRONT ? "password" :
		    "currentPassword";
	struct login_scopes sc;

	if (db_in_transaction() || r->attrs == NULL ||
	    cJSON_GetObjectItemCaseSensitive(r->attrs, name) == NULL)
		return 0;
	login_scopes(r, r->acct.id, NULL, &sc);
	return login_count(r, &sc) < 0 ? -1 : 0;
}

/*
 * The password was wrong: its count stands (contract §9.3: the count is
 * made before the check, the failure's audit row after it), and the
 * request's unit of work, if one is open, ends here, so that a code the
 * MFA guard accepted stays unspent.  The row (account, action, err) on
 * its own.  0, or -1.
 */
static int
login_failed(struct req *r, long long account, const char *action,
    enum err e)
{
	r->login.failed = 1;
	db_rollback();
	if (db_begin() != 0 ||
	    audit(r, r->side, account, 0, action, NULL, e) != 0)
		goto fail;
	fault_point("login-failure-stored");
	if (db_commit() != 0)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

/*
 * The current password of the signed-in account (a password change), under
 * the sign-in limits of that account and the client address (contract
 * §3.6).  A wrong one is counted and audited ("password_check").  Returns
 * PASSWORD_OK (nothing written: the caller calls auth_password_passed()
 * once its change is made), PASSWORD_WRONG, PASSWORD_LIMITED with *retry,
 * or -1.
 */
int
auth_password_check(struct req *r, const char *hash, const char *password,
    long *retry)
{
	struct login_attempt *at = &r->login;

	/* Counted before the guard (auth_password_count(), R_PASSWORD). */
	if (!at->counted && !at->limited) {
		log_err("password check: no attempt counted (route without "
		    "R_PASSWORD?)");
		return -1;
	}
	if (at->limited) {
		db_rollback();		/* the guard's work stays undone */
		(void)audit(r, r->side, r->acct.id, 0, "password_check", NULL,
		    E_LOGIN_LIMIT);
		*retry = at->retry;
		return PASSWORD_LIMITED;
	}
	if (password_verify(hash, password))
		return PASSWORD_OK;
	/* A refusal that counts, audited whatever the answer. */
	return login_failed(r, r->acct.id, "password_check",
	    E_WRONG_PASSWORD) != 0 ? -1 : PASSWORD_WRONG;
}

/*
 * The check passed: audited and the counts ended inside the transaction of
 * the change, before the caller commits it (contract §9.3).  -1: the
 * caller rolls the change back and answers the database error.
 */
int
auth_password_passed(struct req *r)
{
	if (audit(r, r->side, r->acct.id, 0, "password_check", NULL,
	    E_NONE) != 0 || login_take_back(r, 1) != 0)
		return -1;
	fault_point("password-stored");
	return 0;
}

/*
 * After a password change: every token but the calling access token is
 * revoked, refresh tokens included (a stolen one must not outlive the
 * change).  The caller signs in again when its access token expires.
 */
int
auth_revoke_others(struct req *r)
{
	struct subject	 who = { r->side, r->acct.id };

	return db_tokens_revoke_others(&who, r->acct.token_id) != 0 ? -1 : 0;
}

/*
 * Removes what belongs to an account: tokens and MFA state (inside the
 * caller's transaction).  Audit rows stay: the trail is append-only.
 */
int
auth_purge_account(struct req *r, long long account)
{
	struct subject	 who = { r->side, account };

	return db_account_purge(&who) != 0 ? -1 : 0;
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

static int
revoke_family(struct req *r, long long family)
{
	return db_family_revoke(r->side, (unsigned long long)family) != 0 ?
	    -1 : 0;
}

/* Uses the token and issues its successor, in one transaction. */
static int
rotate(struct req *r, long long id, long long account, long long family,
    struct issued *t)
{
	long long	 n;

	if (db_begin() != 0)
		return -1;
	if ((n = db_refresh_use(id, r->now)) < 0)
		goto fail;
	if (n == 0) {		/* used by a parallel request: a reuse */
		db_rollback();
		return 0;
	}
	/* The access token issued with the rotated one ends with it. */
	if (db_family_access_revoke(r->side, (unsigned long long)family) != 0 ||
	    auth_issue(r, account, (unsigned long long)family, t) != 0 ||
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
	struct refresh_row rt;
	int		 rc;

	if (!valid_token(token))
		return 0;
	auth_token_hash(h, r->side, token);
	if ((rc = db_refresh_get(r->side, h, &rt)) <= 0)
		return rc;
	if (rt.revoked || rt.expires <= (long long)r->now)
		return 0;
	if (!rt.used && (rc = rotate(r, rt.id, rt.account,
	    (long long)rt.family, t)) != 0)
		return rc;
	log_warn("refresh token reused: family of account %lld revoked",
	    rt.account);
	return revoke_family(r, (long long)rt.family) != 0 ? -1 : 0;
}

/*
 * The password just checked against stored, hashed again when stored was
 * made with other parameters than the configured ones (contract §11.1):
 * into fresh, which stays "" when no rehash is due (or the hash could not
 * be made: the next sign-in tries again).  Hashed before any transaction
 * opens, so no lock is held for the Argon2id work; written with the
 * sign-in's other rows.
 */
static void
rehash(const char *password, const char *stored, char *fresh, size_t sz)
{
	fresh[0] = '\0';
	if (!password_needs_rehash(stored))
		return;
	if (password_hash(fresh, sz, password) != 0) {
		log_warn("password rehash: Argon2id failed (out of memory?)");
		fresh[0] = '\0';
	}
}

/*
 * Sign-in with a password (contract §3.1, §3.3), both sides.  An unknown
 * account, a blocked user and a wrong password answer alike, after the
 * same Argon2id work; so does a username outside the identity grammar
 * (contract §3.9), which is looked up only in its canonical form.
 * Only then, with mfa_at_sign_in on, the second factor (contract §10.12,
 * mfa_sign_in()): the tokens are made first, so that the code opens its
 * grace window for the access token it lets be issued.
 * Audited.  Returns LOGIN_OK with *t issued, LOGIN_FAILED, LOGIN_LIMITED
 * with *retry, LOGIN_MFA_MISSING, LOGIN_MFA_INVALID, LOGIN_MFA_LOCKED
 * with *retry (nothing issued), or -1 (database error).
 */
int
auth_login(struct req *r, const char *username, const char *password,
    struct issued *t, long *retry)
{
	struct login_row lr;
	struct login_scopes sc;
	unsigned char	 h[HASH_BYTES];
	char		 name[MAX_EMAIL + 1], fresh[PASSWORD_HASH_CHARS];
	int		 rc, lim, ok, canonical;
	enum err	 e;

	/* contract §3.9: only the canonical form can name an account; any
	 * other spelling is an unknown account, with the same work. */
	canonical = email_canonical(name, sizeof(name), username) == 0;
	if (canonical)
		username = name;
	if ((rc = canonical ? db_login(r->side, username, &lr) : 0) < 0)
		return -1;
	login_scopes(r, rc == 1 ? lr.id : 0, username, &sc);
	if ((lim = login_count(r, &sc)) != 0) {
		if (lim < 0)
			return -1;
		(void)audit(r, r->side, 0, 0, "login", NULL, E_LOGIN_LIMIT);
		*retry = r->login.retry;
		return LOGIN_LIMITED;
	}
	if (rc == 0) {
		password_burn(password);
		ok = 0;
	} else
		ok = password_verify(lr.password_hash, password) && lr.active;
	if (!ok)
		return login_failed(r, rc == 1 ? lr.id : 0, "login",
		    E_LOGIN_FAILED) != 0 ? -1 : LOGIN_FAILED;
	rehash(password, lr.password_hash, fresh, sizeof(fresh));
	token_new(t->refresh);
	token_new(t->access);
	auth_token_hash(h, r->side, t->access);
	switch ((e = mfa_sign_in(r, lr.id, h, retry))) {
	case E_NONE:
		break;
	case E_MFA_CODE_MISSING:
	case E_MFA_CODE_INVALID:
	case E_MFA_LOCKED:
		/* The password was right: the refusal's end gives its
		 * attempt back (auth_attempt_end()). */
		wipe(t, sizeof(*t));
		return e == E_MFA_CODE_MISSING ? LOGIN_MFA_MISSING :
		    e == E_MFA_CODE_INVALID ? LOGIN_MFA_INVALID :
		    LOGIN_MFA_LOCKED;
	default:
		wipe(t, sizeof(*t));
		return -1;
	}
	/* The tokens, the counts' end, the end of the account's unused codes
	 * (contract §3.1) and the row: together or none (with the code spent,
	 * when one was checked: its transaction is open). */
	if ((!db_in_transaction() && db_begin() != 0) ||
	    login_take_back(r, 1) != 0 ||
	    (fresh[0] != '\0' && db_password_rehash(r->side, lr.id,
	    lr.password_hash, fresh) != 0) ||
	    store_tokens(r, lr.id, 0, t) != 0 ||
	    db_mfa_codes_drop(&(struct subject){ r->side, lr.id }) != 0 ||
	    audit(r, r->side, lr.id, 0, "login", NULL, E_NONE) != 0)
		goto fail;
	fault_point("login-stored");
	if (db_commit() != 0)
		goto fail;
	r->login.counted = 0;	/* given back, committed: settled */
	return LOGIN_OK;
fail:
	db_rollback();
	wipe(t, sizeof(*t));
	return -1;
}
