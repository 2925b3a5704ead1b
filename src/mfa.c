/*
 * Multi-factor authentication, shared by both sides (SPEC §4, §5): the
 * method list, the five resources' checks in the order of SPEC §4.2, codes
 * (generation, keyed-hash storage, expiry, attempts, lockout, grace), the
 * sending limits and the guard of protected resources.  What differs
 * between customers and users is one row of sides[].
 *
 * Concurrency: every decision that changes an account's codes or counters
 * runs in a transaction holding that account's mfa_lockouts row, so
 * parallel requests can neither use one code twice nor pass a limit.  Only
 * the read-only grace path (a header repeated within its window) runs
 * without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

#define DAY		86400L

/* What differs between customers and users. */
static const struct side_info {
	enum err	 no_id;		/* 5905 / 5908 */
	enum err	 not_found;	/* 5907 / 5909 */
} sides[] = {
	[SIDE_STOREFRONT] = { E_NO_CUSTOMER_ID, E_CUSTOMER_NOT_FOUND },
	[SIDE_BACKEND] = { E_NO_USER_ID, E_USER_NOT_FOUND },
};

static const char *const status_label[] = {
	[ST_DEACTIVATED] = "deactivated",
	[ST_PENDING] = "activation is pending",
	[ST_ACTIVE] = "activated",
};

/* ---- reading state ------------------------------------------------------ */

static int
status_of(const struct methods *ms, const char *type)
{
	size_t	 i;

	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->m[i].type, type) == 0)
			return ms->m[i].status;
	return ST_DEACTIVATED;
}

static int
other_active(const struct methods *ms, const char *type)
{
	size_t	 i;

	for (i = 0; i < ms->n; i++)
		if (ms->m[i].status == ST_ACTIVE &&
		    strcmp(ms->m[i].type, type) != 0)
			return 1;
	return 0;
}

/* ---- codes -------------------------------------------------------------- */

/* The stored form: bound to account, method and code id (SPEC §5.1). */
static void
code_hash(unsigned char out[HASH_BYTES], const struct req *r,
    const char *type, long long id, const char *code)
{
	char	 buf[160];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%d/%lld/%s/%lld/%s", (int)r->side,
	    r->acct.id, type, id, code);
	keyed_hash(out, "mfa-code", buf, n > 0 ? (size_t)n : 0);
	wipe(buf, sizeof(buf));
}

/*
 * The row the submitted code matches, among the codes of type (or of any
 * active method when type is NULL); -1 if none.  Every candidate is hashed
 * and compared in constant time.
 */
static int
code_match(const struct req *r, const struct codes *cs, const char *type,
    const char *code)
{
	unsigned char	 h[HASH_BYTES];
	size_t		 i;
	int		 found = -1;

	if (strlen(code) != (size_t)cfg.code_length ||
	    strspn(code, "0123456789") != strlen(code))
		return -1;
	for (i = 0; i < cs->n; i++) {
		if (type != NULL ? strcmp(cs->c[i].type, type) != 0 :
		    cs->c[i].method_status != ST_ACTIVE)
			continue;
		code_hash(h, r, cs->c[i].type, cs->c[i].id, code);
		if (ct_equal(h, cs->c[i].hash, HASH_BYTES) && found == -1)
			found = (int)i;
	}
	return found;
}

/*
 * Does the header repeat a code this token used within its grace window?
 * Decided from what the authentication query returned, without a query.
 */
static int
grace_match(const struct req *r, const char *type)
{
	const struct grace_row *g;
	unsigned char	 h[HASH_BYTES];
	size_t		 i;
	int		 found = 0;

	if (strlen(r->mfa_code) != (size_t)cfg.code_length)
		return 0;
	for (i = 0; i < r->acct.ngrace; i++) {
		g = &r->acct.grace[i];
		if (type != NULL ? strcmp(g->type, type) != 0 :
		    status_of(&r->acct.methods, g->type) != ST_ACTIVE)
			continue;
		code_hash(h, r, g->type, g->id, r->mfa_code);
		found |= ct_equal(h, g->hash, HASH_BYTES);
	}
	return found;
}

/* Takes the account's lock row (in a transaction it starts). */
static int
lock_account(struct req *r, struct lockout *lk)
{
	if (db_begin() != 0 || db_mfa_lock(&(struct subject){ r->side,
	    r->acct.id }, lk) != 0)
		return -1;
	return 0;
}

static int
lock_set(struct req *r, long long failures, long long lockouts,
    long long until)
{
	return db_mfa_lock_set(&(struct subject){ r->side, r->acct.id },
	    &(struct lockout){ failures, lockouts, until }) != 0 ? -1 : 0;
}

/* lockout_seconds, doubled for each lockout after the first, capped. */
static long
lockout_length(long long lockouts)
{
	long	 s = cfg.lockout_seconds;

	while (--lockouts > 0 && s < MAX_LOCKOUT_SECONDS)
		s *= 2;
	return s < MAX_LOCKOUT_SECONDS ? s : MAX_LOCKOUT_SECONDS;
}

static int	 notify(struct req *, const struct subject *, const char *);

/* Counts a wrong code: per code, and per account with lockout (§5.2). */
static int
count_failure(struct req *r, const char *type, const struct lockout *lk)
{
	long long	 failures = lk->failures + 1, lockouts = lk->lockouts;
	long long	 until = lk->locked_until;

	if (db_mfa_code_fail(&(struct subject){ r->side, r->acct.id }, type,
	    r->now, cfg.attempts_per_code) != 0)
		return -1;
	if (failures >= cfg.max_failures) {
		lockouts++;
		until = (long long)r->now + lockout_length(lockouts);
	}
	if (lock_set(r, failures, lockouts, until) != 0 || db_commit() != 0)
		return -1;
	if (lockouts > lk->lockouts) {
		log_warn("account %lld: MFA locked for %lld s", r->acct.id,
		    until - (long long)r->now);
		audit(r, r->side, r->acct.id, 0, "lockout", type, E_MFA_LOCKED);
		(void)notify(r, &(struct subject){ r->side, r->acct.id },
		    "locked");
	}
	return 0;
}

/*
 * Checks the X-MFA-Code header against the codes of type (NULL: of any
 * active method).  E_NONE when acceptable; else E_MFA_CODE_INVALID,
 * E_MFA_LOCKED with *retry, or E_UNAVAILABLE/E_INTERNAL.
 */
static enum err
code_check(struct req *r, const char *type, long *retry)
{
	struct codes	 cs;
	struct lockout	 lk;
	int		 i, grace;

	grace = grace_match(r, type);
	if (grace && r->acct.locked_until <= (long long)r->now)
		return E_NONE;		/* no query: the grace path */
	if (lock_account(r, &lk) != 0)
		goto dberr;
	if (lk.locked_until > (long long)r->now) {
		db_rollback();
		*retry = (long)(lk.locked_until - (long long)r->now);
		return E_MFA_LOCKED;
	}
	/* Under the lock: what this request sees nobody else changes. */
	if (db_mfa_codes_live(&(struct subject){ r->side, r->acct.id }, r->now,
	    &cs) != 0)
		goto dberr;
	i = code_match(r, &cs, type, r->mfa_code);
	if (i >= 0) {
		if (db_mfa_code_consume(cs.c[i].id, r->acct.token_hash,
		    r->now + cfg.grace_period) != 1)
			goto dberr;
	} else if (!grace) {
		if (count_failure(r, type, &lk) != 0)
			goto dberr;
		return E_MFA_CODE_INVALID;
	}
	if ((lk.failures != 0 || lk.lockouts != 0) && lock_set(r, 0, 0, 0) != 0)
		goto dberr;
	if (db_commit() != 0)
		goto dberr;
	return E_NONE;
dberr:
	db_rollback();
	return db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
}

/* code_length digits, uniform, leading zeros included (SPEC §5.1 rule 1). */
static void
code_new(char *out)
{
	long	 i;

	for (i = 0; i < cfg.code_length; i++)
		out[i] = (char)('0' + random_uniform(10));
	out[i] = '\0';
}

/* ---- mail --------------------------------------------------------------- */

static int
send_code(const char *to, const char *code)
{
	char	 text[1024], html[2048];
	long	 minutes = (cfg.code_ttl + 59) / 60;
	int	 rc;

	snprintf(text, sizeof(text),
	    "Your verification code is: %s\n\n"
	    "Use this code to proceed with your request. It expires in "
	    "%ld minute%s and works once.\n\n"
	    "If you did not ask for this code, ignore this e-mail: "
	    "nothing happens without it.\n", code, minutes,
	    minutes == 1 ? "" : "s");
	snprintf(html, sizeof(html),
	    "<!DOCTYPE html><html><body>"
	    "<p>Your verification code is:</p>"
	    "<p style=\"font-size:24px;font-weight:bold;letter-spacing:4px\">"
	    "%s</p>"
	    "<p>Use this code to proceed with your request. It expires in "
	    "%ld minute%s and works once.</p>"
	    "<p>If you did not ask for this code, ignore this e-mail: "
	    "nothing happens without it.</p></body></html>\n", code, minutes,
	    minutes == 1 ? "" : "s");
	rc = mail_send(to, "Verification Code for Secure Access", text, html);
	wipe(text, sizeof(text));
	wipe(html, sizeof(html));
	return rc;
}

/* Notification mails carry no code: what happened, when, what to do. */
static int
notify(struct req *r, const struct subject *who, const char *what)
{
	static const struct {
		const char	*what, *subject, *event;
	} kinds[] = {
		{ "on", "Multi-factor authentication switched on",
		  "Multi-factor authentication was switched on for your "
		  "account." },
		{ "off", "Multi-factor authentication switched off",
		  "Multi-factor authentication was switched off for your "
		  "account." },
		{ "admin-off", "Multi-factor authentication switched off by "
		  "an administrator", "An administrator switched off "
		  "multi-factor authentication for your account." },
		{ "locked", "Verification temporarily locked",
		  "Too many wrong verification codes were entered for your "
		  "account, so code checks are locked for a while." },
	};
	char	 to[4 * MAX_EMAIL + 1], when[21], text[1024], html[2048];
	size_t	 i;

	for (i = 0; i < nitems(kinds) && strcmp(kinds[i].what, what) != 0; i++)
		;
	if (i == nitems(kinds) || db_contact(who, to, sizeof(to)) != 1)
		return -1;
	iso8601(when, (long long)r->now);
	snprintf(text, sizeof(text), "%s\n\nWhen: %s (UTC)\n\n"
	    "If this was not you, change your password now and contact "
	    "support.\n", kinds[i].event, when);
	snprintf(html, sizeof(html), "<!DOCTYPE html><html><body><p>%s</p>"
	    "<p>When: %s (UTC)</p><p>If this was not you, change your "
	    "password now and contact support.</p></body></html>\n",
	    kinds[i].event, when);
	if (mail_send(to, kinds[i].subject, text, html) != 0) {
		log_warn("notification '%s' not sent", what);
		return -1;
	}
	return 0;
}

/*
 * Makes, stores and mails a new code for type, within the sending limits
 * (SPEC §5.3).  A code whose mail could not be handed over is withdrawn,
 * so the cool-down does not hold back the retry.
 */
static enum err
code_issue(struct req *r, const char *type, long *retry)
{
	char		 to[4 * MAX_EMAIL + 1], code[MAX_CODE_LENGTH + 1];
	unsigned char	 h[HASH_BYTES];
	struct subject	 who = { r->side, r->acct.id };
	struct send_stats st;
	struct lockout	 lk;
	long long	 id;
	int		 rc;

	if ((rc = db_contact(&who, to, sizeof(to))) != 1)
		return rc == 0 ? sides[r->side].not_found :
		    db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	if (lock_account(r, &lk) != 0 ||
	    db_mfa_send_stats(&who, type, r->now, &st) != 0)
		goto dberr;
	if (st.newest_live != 0 &&
	    st.newest_live + cfg.resend_cooldown > (long long)r->now) {
		db_rollback();
		*retry = (long)(st.newest_live + cfg.resend_cooldown - r->now);
		return E_MFA_RESEND;
	}
	if (st.count >= cfg.daily_send_cap) {
		db_rollback();
		*retry = (long)(st.oldest + DAY - r->now);
		return E_MFA_RESEND;
	}
	if (db_mfa_codes_invalidate(&who, type) != 0)
		goto dberr;
	id = (long long)(random_u64() >> 1);
	code_new(code);
	code_hash(h, r, type, id, code);
	if (db_mfa_code_insert(&who, id, type, h, r->now,
	    r->now + cfg.code_ttl) != 0 || db_commit() != 0)
		goto dberr;
	rc = send_code(to, code);
	wipe(code, sizeof(code));
	if (rc != 0) {
		(void)db_mfa_code_cancel(id);
		return E_MFA_SEND_FAILED;
	}
	return E_NONE;
dberr:
	db_rollback();
	return db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
}

/* ---- answers ------------------------------------------------------------ */

/* Audits the decision and answers it (SPEC §4.3: sources per code). */
static int
finish(struct req *r, const char *action, const char *type, enum err e,
    long retry)
{
	audit(r, r->side, r->acct.id, 0, action, type, e);
	switch (e) {
	case E_NONE:
		return jsonapi_no_content(r);
	case E_MFA_CODE_MISSING:
	case E_MFA_CODE_INVALID:
		return jsonapi_error_src(r, e, SRC_HEADER, "X-MFA-Code");
	case E_MFA_TYPE_MISSING:
	case E_MFA_ALREADY_ACTIVE:
	case E_MFA_TYPE_NOT_FOUND:
		return jsonapi_error_src(r, e, SRC_POINTER,
		    "/data/attributes/type");
	case E_MFA_LOCKED:
	case E_MFA_RESEND:
		return jsonapi_error_retry(r, e, retry);
	default:
		return jsonapi_error(r, e);
	}
}

static int
has_code(const struct req *r)
{
	return r->mfa_code != NULL && r->mfa_code[0] != '\0';
}

/*
 * attributes.type: absent, null or "" is 5902; not a string is the front
 * line's 400.  Sets *type; E_NONE when present.
 */
static enum err
read_type(struct req *r, const char **type)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(r->attrs, "type");

	*type = NULL;
	if (t == NULL || cJSON_IsNull(t) ||
	    (cJSON_IsString(t) && t->valuestring[0] == '\0'))
		return E_MFA_TYPE_MISSING;
	if (!cJSON_IsString(t))
		return E_MEMBER;
	*type = t->valuestring;
	return list_contains(cfg.methods, *type) ? E_NONE :
	    E_MFA_TYPE_NOT_FOUND;
}

/* The checks every MFA resource starts with. */
static enum err
preamble(struct req *r, struct methods *ms, const char **type, int need_code)
{
	enum err	 e;

	*type = NULL;
	if (r->acct.id == 0)
		return sides[r->side].no_id;
	if (need_code && !has_code(r))
		return E_MFA_CODE_MISSING;
	if ((e = read_type(r, type)) != E_NONE)
		return e;
	*ms = r->acct.methods;
	return E_NONE;
}

static int
answer_type(struct req *r, const char *action, enum err e, const char *type)
{
	if (e == E_MEMBER)
		return jsonapi_error_src(r, E_MEMBER, SRC_POINTER,
		    "/data/attributes/type");
	return finish(r, action, type, e, 0);
}

/* ---- the five resources ------------------------------------------------- */

static cJSON *
method_resource(struct req *r, const char *type, int status)
{
	cJSON	*a;
	char	 self[MAX_PATH + 600];

	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", type);
	cJSON_AddStringToObject(a, "status", status_label[status]);
	self_link(r, self, sizeof(self), "multi-factor-auth-types/%s", type);
	return jsonapi_resource(r, "multi-factor-auth-types", type, a, self);
}

/* GET multi-factor-auth-types[/{type}]: active, then pending, then the rest. */
int
mfa_types(struct req *r)
{
	struct methods	 ms;
	char		 list[256], self[MAX_PATH + 600], *t, *save = NULL;
	cJSON		*arr;
	int		 want;

	if (r->acct.id == 0)
		return jsonapi_error(r, sides[r->side].no_id);
	if (r->param[0] != NULL && !list_contains(cfg.methods, r->param[0]))
		return jsonapi_error(r, E_NOT_FOUND);
	ms = r->acct.methods;
	if (r->param[0] != NULL)
		return jsonapi_send(r, 200, jsonapi_document(method_resource(r,
		    r->param[0], status_of(&ms, r->param[0])), NULL));
	arr = cJSON_CreateArray();
	for (want = ST_ACTIVE; want >= ST_DEACTIVATED; want--) {
		snprintf(list, sizeof(list), "%s", cfg.methods);
		for (t = strtok_r(list, ",", &save); t != NULL;
		    t = strtok_r(NULL, ",", &save))
			if (status_of(&ms, t) == want)
				cJSON_AddItemToArray(arr,
				    method_resource(r, t, want));
	}
	self_link(r, self, sizeof(self), "multi-factor-auth-types");
	return jsonapi_send(r, 200, jsonapi_document(arr, self));
}

int
mfa_activate(struct req *r)
{
	struct methods	 ms;
	const char	*type;
	enum err	 e;
	long		 retry = 0;

	if ((e = preamble(r, &ms, &type, 0)) != E_NONE)
		return answer_type(r, "activate", e, type);
	if (status_of(&ms, type) == ST_ACTIVE)
		return finish(r, "activate", type, E_MFA_ALREADY_ACTIVE, 0);
	if (other_active(&ms, type)) {
		if (!has_code(r))
			return finish(r, "activate", type,
			    E_MFA_CODE_MISSING, 0);
		if ((e = code_check(r, NULL, &retry)) != E_NONE)
			return finish(r, "activate", type, e, retry);
	}
	if (db_mfa_method_pending(&(struct subject){ r->side, r->acct.id },
	    type, r->now) != 0)
		return jsonapi_db_error(r);
	e = code_issue(r, type, &retry);
	return finish(r, "activate", type, e, retry);
}

int
mfa_verify(struct req *r)
{
	struct methods	 ms;
	const char	*type;
	enum err	 e;
	long		 retry = 0;
	int		 st;

	if ((e = preamble(r, &ms, &type, 1)) != E_NONE)
		return answer_type(r, "verify", e, type);
	if ((st = status_of(&ms, type)) == ST_ACTIVE)
		return finish(r, "verify", type, E_MFA_ALREADY_ACTIVE, 0);
	if (st != ST_PENDING)
		return finish(r, "verify", type, E_MFA_TYPE_NOT_FOUND, 0);
	if ((e = code_check(r, type, &retry)) != E_NONE)
		return finish(r, "verify", type, e, retry);
	if (db_mfa_method_activate(&(struct subject){ r->side, r->acct.id },
	    type, r->now) < 0)
		return jsonapi_db_error(r);
	(void)notify(r, &(struct subject){ r->side, r->acct.id }, "on");
	return finish(r, "verify", type, E_NONE, 0);
}

int
mfa_trigger(struct req *r)
{
	struct methods	 ms;
	const char	*type;
	enum err	 e;
	long		 retry = 0;

	if ((e = preamble(r, &ms, &type, 0)) != E_NONE)
		return answer_type(r, "trigger", e, type);
	if (status_of(&ms, type) != ST_ACTIVE)
		return finish(r, "trigger", type, E_MFA_TYPE_NOT_FOUND, 0);
	e = code_issue(r, type, &retry);
	return finish(r, "trigger", type, e, retry);
}

/* Switches a method off; ends its codes and grace windows (SPEC §5.1). */
static enum err
method_off(struct req *r, const struct subject *who, const char *type)
{
	if (db_begin() != 0 ||
	    db_mfa_method_deactivate(who, type, r->now) != 1 ||
	    db_mfa_codes_end(who, type) != 0 || db_commit() != 0) {
		db_rollback();
		return E_MFA_DEACTIVATION_FAILED;
	}
	return E_NONE;
}

int
mfa_deactivate(struct req *r)
{
	struct methods	 ms;
	const char	*type;
	enum err	 e;
	long		 retry = 0;

	if ((e = preamble(r, &ms, &type, 1)) != E_NONE)
		return answer_type(r, "deactivate", e, type);
	if (status_of(&ms, type) != ST_ACTIVE)
		return finish(r, "deactivate", type, E_MFA_TYPE_NOT_FOUND, 0);
	if ((e = code_check(r, type, &retry)) != E_NONE)
		return finish(r, "deactivate", type, e, retry);
	if ((e = method_off(r, &(struct subject){ r->side, r->acct.id },
	    type)) == E_NONE)
		(void)notify(r, &(struct subject){ r->side, r->acct.id }, "off");
	return finish(r, "deactivate", type, e, 0);
}

/* Is the request a write to a protected resource type (SPEC §4.3)? */
int
mfa_protects(const struct req *r)
{
	const char	*list = r->side == SIDE_BACKEND ?
	    cfg.protected_backend : cfg.protected_storefront;

	return (r->method & (M_POST | M_PUT | M_PATCH | M_DELETE)) &&
	    list_contains(list, r->route->type);
}

/*
 * The guard of protected resources (SPEC §4.3), run by the dispatcher
 * after authentication.  0: the request may proceed; -1: answered.
 */
int
mfa_guard(struct req *r)
{
	enum err	 e;
	long		 retry = 0;

	if (!mfa_protects(r) || methods_active(&r->acct.methods) == 0)
		return 0;
	if (!has_code(r))
		e = E_MFA_CODE_MISSING;
	else
		e = code_check(r, NULL, &retry);
	audit(r, r->side, r->acct.id, 0, "protected", NULL, e);
	if (e == E_NONE)
		return 0;
	if (e == E_MFA_LOCKED)
		return jsonapi_error_retry(r, e, retry), -1;
	if (e == E_MFA_CODE_MISSING || e == E_MFA_CODE_INVALID)
		return jsonapi_error_src(r, e, SRC_HEADER, "X-MFA-Code"), -1;
	return jsonapi_error(r, e), -1;
}

/*
 * An administrator (actor, a back-office user; 0 for the operator tool)
 * switches off an account's method: for a customer locked out of it.
 * Audited with both accounts named; the account is told by mail.
 */
enum err
mfa_admin_off(struct req *r, const struct subject *who, const char *type,
    long long actor)
{
	struct methods	 ms;
	char		 to[4 * MAX_EMAIL + 1];
	enum err	 e;
	int		 rc;

	if (!list_contains(cfg.methods, type))
		e = E_MFA_TYPE_NOT_FOUND;
	else if ((rc = db_contact(who, to, sizeof(to))) < 0)
		e = db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	else if (rc == 0)
		e = E_CUSTOMER_NOT_FOUND;
	else {
		if (db_mfa_methods(who, &ms) != 0)
			e = db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
		else if (status_of(&ms, type) != ST_ACTIVE)
			e = E_MFA_TYPE_NOT_FOUND;
		else if ((e = method_off(r, who, type)) == E_NONE) {
			/* A rescued account starts afresh: no lockout left. */
			if (db_mfa_lock_clear(who) != 0)
				log_err("lockout of account %lld not cleared",
				    who->id);
			(void)notify(r, who, "admin-off");
		}
	}
	audit(r, who->side, who->id, actor, "admin_deactivate", type, e);
	return e;
}
