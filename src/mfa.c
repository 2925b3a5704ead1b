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

#define MAX_CODE_ROWS	32	/* live codes plus codes in a grace window */
#define MAX_METHODS	8
#define DAY		86400L

enum { ST_DEACTIVATED = 0, ST_PENDING = 1, ST_ACTIVE = 2 };
enum { CODE_LIVE = 0, CODE_USED = 1 };

/* What differs between customers and users. */
static const struct side_info {
	enum err	 no_id;		/* 5905 / 5908 */
	enum err	 not_found;	/* 5907 / 5909 */
	enum stmt	 contact;	/* the account's e-mail address */
} sides[] = {
	[SIDE_STOREFRONT] = { E_NO_CUSTOMER_ID, E_CUSTOMER_NOT_FOUND,
	    S_CUSTOMER_CONTACT },
	[SIDE_BACKEND] = { E_NO_USER_ID, E_USER_NOT_FOUND, S_USER_CONTACT },
};

static const char *const status_label[] = {
	[ST_DEACTIVATED] = "deactivated",
	[ST_PENDING] = "activation is pending",
	[ST_ACTIVE] = "activated",
};

struct methods {
	struct {
		char	 type[17];
		int	 status;
	}	 m[MAX_METHODS];
	size_t	 n;
};

struct code_row {
	long long	 id;
	char		 type[17];
	unsigned char	 hash[HASH_BYTES + 1];
	unsigned char	 used_token[HASH_BYTES + 1];
	int		 state;
	int		 used_null;
	int		 method_status;
};

struct codes {
	struct code_row	 c[MAX_CODE_ROWS];
	size_t		 n;
};

/* ---- reading state ------------------------------------------------------ */

static int
methods_load(struct req *r, struct methods *ms)
{
	char		 type[17];
	struct dbcol	 c[2] = { DBC_TEXT(type), DBC_INT };
	struct dbv	 v[2] = { DBV_INT(r->side), DBV_INT(r->acct.id) };
	int		 rc;

	ms->n = 0;
	if (db_select(S_MFA_METHODS, v, 2, c, 2) != 0)
		return -1;
	while ((rc = db_fetch(S_MFA_METHODS, c, 2)) == 1)
		if (ms->n < MAX_METHODS) {
			memcpy(ms->m[ms->n].type, type, sizeof(type));
			ms->m[ms->n++].status = (int)c[1].i;
		}
	db_finish(S_MFA_METHODS);
	return rc < 0 ? -1 : 0;
}

/* The methods the authentication query returned: "type=status,...". */
static void
methods_parse(const char *list, struct methods *ms)
{
	const char	*p = list, *eq, *e;
	size_t		 len;

	ms->n = 0;
	while (*p != '\0' && ms->n < MAX_METHODS) {
		e = p + strcspn(p, ",");
		if ((eq = memchr(p, '=', (size_t)(e - p))) != NULL &&
		    (len = (size_t)(eq - p)) < sizeof(ms->m[0].type)) {
			memcpy(ms->m[ms->n].type, p, len);
			ms->m[ms->n].type[len] = '\0';
			ms->m[ms->n++].status = eq[1] - '0';
		}
		p = *e == ',' ? e + 1 : e;
	}
}

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

/* Live codes and codes within a grace window, with the lockout. */
static int
codes_load(struct req *r, struct codes *cs)
{
	struct code_row	 row;
	struct dbcol	 c[6];
	struct dbv	 v[4];
	int		 rc;

	c[0] = (struct dbcol)DBC_INT;
	c[1] = (struct dbcol)DBC_TEXT(row.type);
	c[2] = (struct dbcol)DBC_BLOB(row.hash);
	c[3] = (struct dbcol)DBC_INT;
	c[4] = (struct dbcol)DBC_BLOB(row.used_token);
	c[5] = (struct dbcol)DBC_INT;
	v[0] = DBV_INT(r->side);
	v[1] = DBV_INT(r->acct.id);
	v[2] = DBV_INT((long long)r->now);
	v[3] = DBV_INT((long long)r->now);
	cs->n = 0;
	if (db_select(S_MFA_CODES, v, 4, c, 6) != 0)
		return -1;
	while ((rc = db_fetch(S_MFA_CODES, c, 6)) == 1) {
		if (cs->n == MAX_CODE_ROWS || c[2].len != HASH_BYTES)
			continue;
		row.id = c[0].i;
		row.state = (int)c[3].i;
		row.used_null = c[4].null || c[4].len != HASH_BYTES;
		row.method_status = (int)c[5].i;
		cs->c[cs->n++] = row;
	}
	db_finish(S_MFA_CODES);
	return rc < 0 ? -1 : 0;
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

/* A used code passes again only for the token that used it (§5.1 rule 5). */
static int
in_grace(const struct req *r, const struct code_row *c)
{
	return c->state == CODE_USED && !c->used_null &&
	    ct_equal(c->used_token, r->acct.token_hash, HASH_BYTES);
}

/*
 * Does the header repeat a code this token used within its grace window?
 * Decided from what the authentication query returned, without a query:
 * "id:type:hexhash,..." of the codes in a window for this very token.
 */
static int
grace_match(const struct req *r, const char *type)
{
	struct methods	 ms;
	unsigned char	 want[HASH_BYTES], h[HASH_BYTES];
	char		 list[sizeof(r->acct.grace)], *item, *save = NULL;
	char		*t, *hex;
	long long	 id;
	int		 found = 0;

	if (strlen(r->mfa_code) != (size_t)cfg.code_length)
		return 0;
	methods_parse(r->acct.methods, &ms);
	snprintf(list, sizeof(list), "%s", r->acct.grace);
	for (item = strtok_r(list, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((t = strchr(item, ':')) == NULL ||
		    (hex = strchr(t + 1, ':')) == NULL)
			continue;
		*t++ = '\0';
		*hex++ = '\0';
		id = strtoll(item, NULL, 10);
		if ((type != NULL ? strcmp(t, type) != 0 :
		    status_of(&ms, t) != ST_ACTIVE) ||
		    hex_decode(want, HASH_BYTES, hex, strlen(hex)) != 0)
			continue;
		code_hash(h, r, t, id, r->mfa_code);
		found |= ct_equal(h, want, HASH_BYTES);
	}
	return found;
}

/* Takes the account's lock row; reads failures, lockouts, locked_until. */
static int
lock_account(struct req *r, long long out[3])
{
	struct dbcol	 c[3] = { DBC_INT, DBC_INT, DBC_INT };
	struct dbv	 v[2] = { DBV_INT(r->side), DBV_INT(r->acct.id) };

	if (db_begin() != 0 || db_exec(S_MFA_LOCK_INIT, v, 2) < 0 ||
	    db_one(S_MFA_LOCK_GET, v, 2, c, 3) != 1)
		return -1;
	out[0] = c[0].i;
	out[1] = c[1].i;
	out[2] = c[2].i;
	return 0;
}

static int
lock_set(struct req *r, long long failures, long long lockouts,
    long long until)
{
	struct dbv	 v[5];

	v[0] = DBV_INT(failures);
	v[1] = DBV_INT(lockouts);
	v[2] = DBV_INT(until);
	v[3] = DBV_INT(r->side);
	v[4] = DBV_INT(r->acct.id);
	return db_exec(S_MFA_LOCK_SET, v, 5) < 0 ? -1 : 0;
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
count_failure(struct req *r, const char *type, const long long lk[3])
{
	struct dbv	 v[8];
	long long	 failures = lk[0] + 1, lockouts = lk[1], until = lk[2];

	v[0] = DBV_INT(cfg.attempts_per_code);
	v[1] = DBV_INT(r->side);
	v[2] = DBV_INT(r->acct.id);
	v[3] = DBV_INT((long long)r->now);
	v[4] = DBV_INT(r->side);
	v[5] = DBV_INT(r->acct.id);
	v[6] = DBV_OPT(type);
	v[7] = DBV_OPT(type);
	if (db_exec(S_MFA_CODE_FAIL, v, 8) < 0)
		return -1;
	if (failures >= cfg.max_failures) {
		lockouts++;
		until = (long long)r->now + lockout_length(lockouts);
	}
	if (lock_set(r, failures, lockouts, until) != 0 || db_commit() != 0)
		return -1;
	if (lockouts > lk[1]) {
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
	long long	 lk[3];
	struct dbv	 v[3];
	int		 i;

	if (grace_match(r, type) && r->acct.locked_until <= (long long)r->now)
		return E_NONE;		/* no query: the grace path */
	if (lock_account(r, lk) != 0)
		goto dberr;
	if (lk[2] > (long long)r->now) {
		db_rollback();
		*retry = (long)(lk[2] - (long long)r->now);
		return E_MFA_LOCKED;
	}
	/* Under the lock: what this request sees nobody else changes. */
	if (codes_load(r, &cs) != 0)
		goto dberr;
	i = code_match(r, &cs, type, r->mfa_code);
	if (i >= 0 && cs.c[i].state == CODE_LIVE) {
		v[0] = DBV_BLOB(r->acct.token_hash, HASH_BYTES);
		v[1] = DBV_INT((long long)r->now + cfg.grace_period);
		v[2] = DBV_INT(cs.c[i].id);
		if (db_exec(S_MFA_CODE_CONSUME, v, 3) != 1)
			goto dberr;
	} else if (i < 0 || !in_grace(r, &cs.c[i])) {
		if (count_failure(r, type, lk) != 0)
			goto dberr;
		return E_MFA_CODE_INVALID;
	}
	if ((lk[0] != 0 || lk[1] != 0) && lock_set(r, 0, 0, 0) != 0)
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

/* 1 with the account's address in buf, 0 if the account is gone, DB_ERR. */
static int
account_email(const struct subject *who, char *buf, size_t sz)
{
	struct dbcol	 c[1];

	c[0] = (struct dbcol){ DB_TEXT, 0, buf, sz, 0, 0, 0 };
	return db_one(sides[who->side].contact, &DBV_INT(who->id), 1, c, 1);
}

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
	if (i == nitems(kinds) || account_email(who, to, sizeof(to)) != 1)
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
	struct dbcol	 c[3] = { DBC_INT, DBC_INT, DBC_INT };
	struct dbv	 v[7];
	long long	 lk[3], id;
	int		 rc;

	if ((rc = account_email(&(struct subject){ r->side, r->acct.id }, to,
	    sizeof(to))) != 1)
		return rc == 0 ? sides[r->side].not_found :
		    db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	if (lock_account(r, lk) != 0)
		goto dberr;
	v[0] = DBV_INT((long long)r->now);
	v[1] = DBV_INT(r->side);
	v[2] = DBV_INT(r->acct.id);
	v[3] = DBV_TEXT(type);
	v[4] = DBV_INT((long long)r->now - DAY);
	if (db_one(S_MFA_SEND_STATS, v, 5, c, 3) != 1)
		goto dberr;
	if (c[2].i != 0 && c[2].i + cfg.resend_cooldown > (long long)r->now) {
		db_rollback();
		*retry = (long)(c[2].i + cfg.resend_cooldown - r->now);
		return E_MFA_RESEND;
	}
	if (c[0].i >= cfg.daily_send_cap) {
		db_rollback();
		*retry = (long)(c[1].i + DAY - r->now);
		return E_MFA_RESEND;
	}
	if (db_exec(S_MFA_CODES_INVALIDATE, v + 1, 3) < 0)
		goto dberr;
	id = (long long)(random_u64() >> 1);
	code_new(code);
	code_hash(h, r, type, id, code);
	v[0] = DBV_INT(id);
	v[1] = DBV_INT(r->side);
	v[2] = DBV_INT(r->acct.id);
	v[3] = DBV_TEXT(type);
	v[4] = DBV_BLOB(h, HASH_BYTES);
	v[5] = DBV_INT((long long)r->now);
	v[6] = DBV_INT((long long)r->now + cfg.code_ttl);
	if (db_exec(S_MFA_CODE_INSERT, v, 7) != 1 || db_commit() != 0)
		goto dberr;
	rc = send_code(to, code);
	wipe(code, sizeof(code));
	if (rc != 0) {
		(void)db_exec(S_MFA_CODE_CANCEL, &DBV_INT(id), 1);
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
	methods_parse(r->acct.methods, ms);
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
	methods_parse(r->acct.methods, &ms);
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
	struct dbv	 v[4];
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
	v[0] = DBV_INT(r->side);
	v[1] = DBV_INT(r->acct.id);
	v[2] = DBV_TEXT(type);
	v[3] = DBV_INT((long long)r->now);
	if (db_exec(S_MFA_METHOD_PENDING, v, 4) < 0)
		return jsonapi_db_error(r);
	e = code_issue(r, type, &retry);
	return finish(r, "activate", type, e, retry);
}

int
mfa_verify(struct req *r)
{
	struct methods	 ms;
	struct dbv	 v[4];
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
	v[0] = DBV_INT((long long)r->now);
	v[1] = DBV_INT(r->side);
	v[2] = DBV_INT(r->acct.id);
	v[3] = DBV_TEXT(type);
	if (db_exec(S_MFA_METHOD_ACTIVATE, v, 4) < 0)
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
	struct dbv	 v[4];

	v[0] = DBV_INT((long long)r->now);
	v[1] = DBV_INT(who->side);
	v[2] = DBV_INT(who->id);
	v[3] = DBV_TEXT(type);
	if (db_begin() != 0 || db_exec(S_MFA_METHOD_DEACTIVATE, v, 4) != 1 ||
	    db_exec(S_MFA_CODES_END, v + 1, 3) < 0 || db_commit() != 0) {
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

	if (!mfa_protects(r) || r->acct.mfa_active == 0)
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
	struct req	 probe = *r;
	char		 to[4 * MAX_EMAIL + 1];
	enum err	 e;
	int		 rc;

	if (!list_contains(cfg.methods, type))
		e = E_MFA_TYPE_NOT_FOUND;
	else if ((rc = account_email(who, to, sizeof(to))) < 0)
		e = db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	else if (rc == 0)
		e = E_CUSTOMER_NOT_FOUND;
	else {
		probe.side = who->side;
		probe.acct.id = who->id;
		probe.doc = NULL;
		probe.body = NULL;
		if (methods_load(&probe, &ms) != 0)
			e = db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
		else if (status_of(&ms, type) != ST_ACTIVE)
			e = E_MFA_TYPE_NOT_FOUND;
		else if ((e = method_off(r, who, type)) == E_NONE) {
			/* A rescued account starts afresh: no lockout left. */
			if (db_exec(S_MFA_LOCK_CLEAR, (struct dbv[]){
			    DBV_INT(who->side), DBV_INT(who->id) }, 2) < 0)
				log_err("lockout of account %lld not cleared",
				    who->id);
			(void)notify(r, who, "admin-off");
		}
	}
	audit(r, who->side, who->id, actor, "admin_deactivate", type, e);
	return e;
}
