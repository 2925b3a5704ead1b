/*
 * Multi-factor authentication, shared by both sides and every method
 * (contract §4, §5): the method list, the five resources' checks in the
 * order of contract §4.2, the failure counts and lockout, the grace
 * window, the sending limits' answers, the audit and the notifications,
 * and the guard of protected resources.  What a method does differently
 * (how a code is issued, stored and checked) is one row of methods[],
 * each in a file of its own (method_*.c).  What differs between customers
 * and users is one row of sides[].
 *
 * Concurrency: every decision that changes an account's codes or counters
 * runs in a transaction holding that account's mfa_lockouts row, so
 * parallel requests can neither use one code twice nor pass a limit.  A
 * code check that passes leaves that transaction open: the caller's
 * change (switching a method on or off, or the protected request itself)
 * commits with it, or nothing does.  Only the read-only grace path (a
 * header repeated within its window) runs without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

/* The methods this build knows; cfg.methods says which are offered. */
static const struct mfa_method *const methods[] = {
	&method_email,
	&method_totp,
	&method_webauthn,
};

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

/* ---- the method table --------------------------------------------------- */

static const struct mfa_method *
method_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(methods); i++)
		if (strcmp(methods[i]->name, name) == 0)
			return methods[i];
	return NULL;
}

/* Offered by configuration (and so known to this build: mfa_check_config). */
static const struct mfa_method *
method_offered(const char *name)
{
	return list_contains(cfg.methods, name) ? method_find(name) : NULL;
}

/* At start-up: every method the configuration offers exists. */
int
mfa_check_config(char *err, size_t errsz)
{
	char	 list[256], *t, *save = NULL;

	snprintf(list, sizeof(list), "%s", cfg.methods);
	for (t = strtok_r(list, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save))
		if (method_find(t) == NULL) {
			snprintf(err, errsz, "methods: unknown method '%s'", t);
			return -1;
		}
	/* A method's own keys (webauthn: the RP ID and origins, §12.1). */
	return webauthn_check_config(err, errsz);
}

enum method_status
methods_status(const struct methods *ms, const char *type)
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

/* ---- the engine's context ----------------------------------------------- */

/* A call of the engine: whose codes, checked for which token, when. */
static struct mfa_ctx
ctx_of(struct req *r, const struct subject *who)
{
	struct mfa_ctx	 c;

	memset(&c, 0, sizeof(c));
	c.who = *who;
	c.token = r->acct.token_hash;
	c.now = r->now;
	c.code = r->mfa_code;
	c.io = r->io;
	return c;
}

/* ---- grace, failures, lockout ------------------------------------------- */

/*
 * Does the header repeat a code this token used within its grace window
 * (contract §5.1 rule 5), for type (NULL: any active method)?  Decided
 * from what the authentication query returned, without a query.
 */
static int
grace_match(const struct req *r, const char *type)
{
	const struct account *a = &r->acct;
	struct subject	 who = { r->side, a->id };
	unsigned char	 h[HASH_BYTES];
	size_t		 i;
	int		 found = 0;

	for (i = 0; i < a->ngrace; i++) {
		if (type != NULL ? strcmp(a->grace[i].type, type) != 0 :
		    methods_status(&a->methods, a->grace[i].type) != ST_ACTIVE)
			continue;
		code_hash(h, &who, a->grace[i].type, a->grace[i].id,
		    r->mfa_code);
		found |= ct_equal(h, a->grace[i].hash, HASH_BYTES);
	}
	return found;
}

/* lockout_seconds, doubled for each lockout after the first, capped. */
static long
lockout_length(enum side side, long long lockouts)
{
	long	 s = limits_of(side)->lockout_seconds;

	while (--lockouts > 0 && s < MAX_LOCKOUT_SECONDS)
		s *= 2;
	return s < MAX_LOCKOUT_SECONDS ? s : MAX_LOCKOUT_SECONDS;
}

/* The audit row a code check's counted failure is written as (contract
 * §5.4): the resource's action, and the method it names. */
struct audit_as {
	const char	*action;
	const char	*method;
};

/*
 * A wrong code (contract §5.2): counted against the codes it could have
 * been meant for, and against the account, locking it at max_failures.
 * Commits, with the refusal's audit row and, when it locks, the lockout's
 * row and its notice (contract §9.3): a refusal that is counted stays
 * counted, and its rows and notice commit with the count or not at all.
 */
static int
count_failure(struct req *r, struct mfa_ctx *c, const struct methods *ms,
    const char *type, struct lockout lk, const struct audit_as *as)
{
	const struct lockout before = lk;
	size_t		 i;

	for (i = 0; i < ms->n; i++) {
		const struct mfa_method *m = method_find(ms->m[i].type);

		if (m == NULL || (type != NULL ?
		    strcmp(ms->m[i].type, type) != 0 :
		    ms->m[i].status != ST_ACTIVE))
			continue;
		c->type = ms->m[i].type;
		if (m->fail != NULL && m->fail(c) != 0)
			return -1;
	}
	lk.failures++;
	if (lk.failures >= limits_of(c->who.side)->max_failures) {
		lk.lockouts++;
		lk.locked_until = (long long)r->now +
		    lockout_length(c->who.side, lk.lockouts);
	}
	if (db_mfa_lock_set(&c->who, &lk) != 0)
		return -1;
	if (lk.lockouts > before.lockouts && (audit(r, c->who.side,
	    c->who.id, 0, "lockout", type, E_MFA_LOCKED) != 0 ||
	    outbox_add(r, &c->who, NULL, NOTICE_LOCKED) != 0))
		return -1;
	if (audit(r, c->who.side, c->who.id, 0, as->action, as->method,
	    E_MFA_CODE_INVALID) != 0)
		return -1;
	fault_point("failure-counted");
	if (db_commit() != 0)
		return -1;
	if (lk.lockouts > before.lockouts)
		log_warn("account %lld: MFA locked for %lld s", c->who.id,
		    lk.locked_until - (long long)r->now);
	return 0;
}

/* Does a live code of one of the candidate methods match?  Consumes it. */
static int
match_and_consume(struct mfa_ctx *c, const struct methods *ms,
    const char *type)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < ms->n; i++) {
		const struct mfa_method *m = method_offered(ms->m[i].type);

		if (m == NULL || (type != NULL ?
		    strcmp(ms->m[i].type, type) != 0 :
		    ms->m[i].status != ST_ACTIVE) || !m->well_formed(c->who.side, c->code))
			continue;
		c->type = ms->m[i].type;
		if ((rc = m->check(c)) != 0)
			return rc;	/* 1: matched and used; -1 */
	}
	return 0;
}

/*
 * Is the header one of the account's unused recovery codes (contract §8)?
 * Every slot of the set is verified, used ones too, so a wrong code costs
 * the same whichever slot it would match.  The slot that matched is spent
 * by one conditional UPDATE, so parallel requests cannot both spend it.
 * 1: spent, audited and its notice queued in the transaction left open
 * (so a refused request spends, records and tells nothing); the answer
 * tells when few are left.  0, -1.
 */
static int
recovery_check(struct req *r, const struct subject *who)
{
	struct recovery_set set;
	char		 norm[RECOVERY_SYMBOLS + 1], left_s[8];
	size_t		 i, hit = RECOVERY_CODES;
	int		 unused = 0;
	long long	 n;

	if (recovery_normalize(norm, r->mfa_code) != 0)
		return 0;
	if (db_recovery_list(who, &set) != 0) {
		wipe(norm, sizeof(norm));
		return -1;
	}
	for (i = 0; i < set.n; i++) {
		if (recovery_verify(set.r[i].hash, who, norm) &&
		    set.r[i].used == 0 && hit == RECOVERY_CODES)
			hit = i;
		unused += set.r[i].used == 0;
	}
	wipe(norm, sizeof(norm));
	if (hit == RECOVERY_CODES)
		return 0;
	if ((n = db_recovery_use(who, set.r[hit].slot, set.r[hit].created,
	    r->now)) != 1)
		return n == 0 ? 0 : -1;
	if (audit(r, who->side, who->id, 0, "recovery_use", "recovery",
	    E_NONE) != 0 || outbox_add(r, who, NULL, NOTICE_RECOVERY_USED) != 0)
		return -1;
	if (unused - 1 <= RECOVERY_LOW) {
		snprintf(left_s, sizeof(left_s), "%d", unused - 1);
		http_header_ok(r, "X-MFA-Recovery-Codes-Remaining", left_s);
	}
	return 1;
}

/*
 * Checks the X-MFA-Code header against the codes of type (NULL: of any
 * active method), and when recovery is set, after them, against the
 * account's recovery codes.  E_NONE when acceptable, the transaction
 * holding the account's lock left open for the caller's change (none on
 * the grace path); else E_MFA_CODE_INVALID (counted, and audited as `as`
 * with the count), E_MFA_LOCKED with *retry, or E_UNAVAILABLE/E_INTERNAL,
 * with nothing left open.
 */
static enum err
code_check_as(struct req *r, const char *type, int recovery, long *retry,
    const struct audit_as *as, const char *action)
{
	struct mfa_ctx	 c = ctx_of(r, &(struct subject){ r->side,
			    r->acct.id });
	const struct methods *ms = &r->acct.methods;
	struct lockout	 lk;
	int		 grace = grace_match(r, type), rc;

	c.action = action;	/* the guard's request, for bound codes */

	if (grace && r->acct.locked_until <= (long long)r->now)
		return E_NONE;		/* no query: the grace path */
	if (db_begin() != 0 || db_mfa_lock(&c.who, &lk) != 0)
		goto dberr;
	if (lk.locked_until > (long long)r->now) {
		db_rollback();
		*retry = (long)(lk.locked_until - (long long)r->now);
		return E_MFA_LOCKED;
	}
	/* Under the lock: what this request sees nobody else changes. */
	if (!grace) {
		rc = match_and_consume(&c, ms, type);
		/* A method's remark is recorded whatever the check decides
		 * (it commits with the count or with the change). */
		if (rc >= 0 && c.note_action != NULL && audit(r, c.who.side,
		    c.who.id, 0, c.note_action, c.type, c.note) != 0)
			rc = -1;
		/* The one place recovery codes are accepted: after the
		 * methods' live codes (contract §8). */
		if (rc == 0 && recovery)
			rc = recovery_check(r, &c.who);
		if (rc <= 0) {
			if (rc < 0 ||
			    count_failure(r, &c, ms, type, lk, as) != 0)
				goto dberr;
			return E_MFA_CODE_INVALID;
		}
	}
	if ((lk.failures != 0 || lk.lockouts != 0) &&
	    db_mfa_lock_clear(&c.who) != 0)
		goto dberr;
	return E_NONE;
dberr:
	db_rollback();
	return jsonapi_db_err();
}

/* A recovery code stands in for a code of an active method, never for
 * the activation code of a pending one (verify). */
static enum err
code_check(struct req *r, const char *type, long *retry, const char *action,
    const char *method)
{
	return code_check_as(r, type, type == NULL ||
	    methods_status(&r->acct.methods, type) == ST_ACTIVE, retry,
	    &(struct audit_as){ action, method }, NULL);
}

/*
 * Starts a method (activate) or asks it for a code (trigger), under the
 * account's lock: taken here, or already held by the code check that let
 * an activation through, whose code is then spent together with what the
 * method stores.  The method commits what it stores before it delivers
 * anything, and rolls back when it refuses; so the transaction is over
 * when it returns.
 */
static enum err
issue(struct mfa_ctx *c, const struct mfa_method *m,
    enum err (*deliver)(struct mfa_ctx *), long *retry)
{
	struct lockout	 lk;
	enum err	 e;

	if (!db_in_transaction() &&
	    (db_begin() != 0 || db_mfa_lock(&c->who, &lk) != 0)) {
		db_rollback();
		return jsonapi_db_err();
	}
	if (m->limit != NULL && (e = m->limit(c, retry)) != E_NONE) {
		db_rollback();
		return e;
	}
	if (c->activating &&
	    db_mfa_method_pending(&c->who, c->type, c->now) != 0) {
		db_rollback();
		return jsonapi_db_err();
	}
	if ((e = deliver(c)) != E_NONE && db_in_transaction())
		db_rollback();
	return e;
}

/* ---- answers ------------------------------------------------------------ */

/*
 * Answers a decision (contract §4.3: sources per code).  A success and a
 * counted failure have their audit row already, written in their
 * transaction; a refusal that changed nothing gets its row here, on its
 * own (one that cannot be written is logged: there is nothing to undo).
 */
static int
finish(struct req *r, const char *action, const char *type, enum err e,
    long retry)
{
	if (e != E_NONE && e != E_MFA_CODE_INVALID)
		(void)audit(r, r->side, r->acct.id, 0, action, type, e);
	if (e == E_NONE)
		return jsonapi_no_content(r);
	return jsonapi_error_retry(r, e, retry);
}

/* The request's unit of work, opened if none is (the grace path holds
 * none): the change, its audit row and its notice go into it. */
static int
unit_open(void)
{
	return db_in_transaction() ? 0 : db_begin();
}

/* A fault point named after the action's step ("verify-stored"). */
static void
fault_step(const char *action, const char *step)
{
	char	 name[64];

	snprintf(name, sizeof(name), "%s-%s", action, step);
	fault_point(name);
}

/*
 * Ends a passed check's transaction with the change made in it, its audit
 * row and its notice (NOTICE_NONE: none), all committed together or none
 * (contract §9.3).  -1: rolled back.
 */
static int
commit_decision(struct req *r, const char *action, const char *type,
    int notice)
{
	struct subject	 who = { r->side, r->acct.id };

	if (audit(r, r->side, r->acct.id, 0, action, type, E_NONE) != 0 ||
	    (notice != NOTICE_NONE &&
	    outbox_add(r, &who, NULL, (enum notice)notice) != 0))
		goto fail;
	fault_step(action, "stored");
	if (db_commit() != 0)
		goto fail;
	fault_step(action, "committed");
	return 0;
fail:
	db_rollback();
	return -1;
}

/*
 * Before a method issues a code (activate, trigger): the account's lock
 * taken as issue() would take it, and the decision's audit row written in
 * that transaction, which the method commits with what it stores.  A
 * refusal rolls the row back with the rest; a code whose hand-over fails
 * after the commit is recorded by a failure row after it (contract §5.4).
 */
static int
issue_open(struct req *r, const struct subject *who, const char *action,
    const char *type)
{
	struct lockout	 lk;

	if ((!db_in_transaction() &&
	    (db_begin() != 0 || db_mfa_lock(who, &lk) != 0)) ||
	    audit(r, who->side, who->id, 0, action, type, E_NONE) != 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

static int
has_code(const struct req *r)
{
	return r->mfa_code != NULL && r->mfa_code[0] != '\0';
}

/*
 * attributes.type: absent, null or "" is 5902; not a string is a 400 of
 * its own; not offered is 5906.  Sets *type and *m.
 */
static enum err
read_type(struct req *r, const char **type, const struct mfa_method **m)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(r->attrs, "type");

	*type = NULL;
	if (t == NULL || cJSON_IsNull(t) ||
	    (cJSON_IsString(t) && t->valuestring[0] == '\0'))
		return E_MFA_TYPE_MISSING;
	if (!cJSON_IsString(t))
		return E_MEMBER;
	*type = t->valuestring;
	return (*m = method_offered(*type)) != NULL ? E_NONE :
	    E_MFA_TYPE_NOT_FOUND;
}

/* Does the body name a method whose verify takes no code (enroll())? */
static int
enrolls(const struct req *r)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(r->attrs, "type");
	const struct mfa_method *m;

	return cJSON_IsString(t) && (m = method_offered(t->valuestring)) !=
	    NULL && m->enroll != NULL;
}

/* The checks every MFA resource starts with; answers when one fails.
 * need_code: 1 X-MFA-Code is needed, -1 unless the method enrolls. */
static int
preamble(struct req *r, const char *action, const char **type,
    const struct mfa_method **m, int need_code)
{
	enum err	 e;

	*type = NULL;
	if (r->acct.id == 0)
		e = sides[r->side].no_id;
	else if (need_code && !has_code(r) && !(need_code < 0 && enrolls(r)))
		e = E_MFA_CODE_MISSING;
	else if ((e = read_type(r, type, m)) == E_MEMBER)
		return jsonapi_error_src(r, E_MEMBER, SRC_POINTER,
		    "/data/attributes/type"), -1;
	if (e == E_NONE)
		return 0;
	return finish(r, action, *type, e, 0), -1;
}

/* ---- the five resources ------------------------------------------------- */

static cJSON *
method_resource(struct req *r, const char *type, enum method_status st)
{
	cJSON	*a;
	char	 self[MAX_PATH + 600];

	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", type);
	cJSON_AddStringToObject(a, "status", status_label[st]);
	self_link(r, self, sizeof(self), "multi-factor-auth-types/%s", type);
	return jsonapi_resource(r, "multi-factor-auth-types", type, a, self);
}

/* GET multi-factor-auth-types[/{type}]: active, then pending, then the rest. */
int
mfa_types(struct req *r)
{
	const struct methods *ms = &r->acct.methods;
	char		 list[256], self[MAX_PATH + 600], *t, *save;
	cJSON		*arr;
	int		 want;

	if (r->acct.id == 0)
		return jsonapi_error(r, sides[r->side].no_id);
	if (r->param[0] != NULL)
		return method_offered(r->param[0]) == NULL ?
		    jsonapi_error(r, E_NOT_FOUND) :
		    jsonapi_send(r, 200, jsonapi_document(method_resource(r,
		    r->param[0], methods_status(ms, r->param[0])), NULL));
	arr = cJSON_CreateArray();
	for (want = ST_ACTIVE; want >= ST_DEACTIVATED; want--) {
		snprintf(list, sizeof(list), "%s", cfg.methods);
		save = NULL;
		for (t = strtok_r(list, ",", &save); t != NULL;
		    t = strtok_r(NULL, ",", &save))
			if ((int)methods_status(ms, t) == want)
				cJSON_AddItemToArray(arr,
				    method_resource(r, t, want));
	}
	self_link(r, self, sizeof(self), "multi-factor-auth-types");
	return jsonapi_send(r, 200, jsonapi_document(arr, self));
}

/* 200 with what a method answers an activation or a trigger with. */
static int
answer_with(struct req *r, const char *resource, const char *type,
    cJSON *attrs)
{
	char	 self[MAX_PATH + 600];

	self_link(r, self, sizeof(self), "%s", resource);
	return jsonapi_send(r, 200, jsonapi_document(jsonapi_resource(r,
	    resource, type, attrs, self), NULL));
}

int
mfa_activate(struct req *r)
{
	const struct methods *ms = &r->acct.methods;
	const struct mfa_method *m;
	struct mfa_ctx	 c = ctx_of(r, &(struct subject){ r->side,
			    r->acct.id });
	const char	*type;
	enum err	 e;
	long		 retry = 0;

	if (preamble(r, "activate", &type, &m, 0) != 0)
		return -1;
	if (methods_status(ms, type) == ST_ACTIVE) {
		/* A method of several credentials adds one, with a code of
		 * an active method (not a recovery code: contract §12.2). */
		if (!(m->flags & MF_CREDENTIALS))
			return finish(r, "activate", type,
			    E_MFA_ALREADY_ACTIVE, 0);
		if (!has_code(r))
			return finish(r, "activate", type,
			    E_MFA_CODE_MISSING, 0);
		if ((e = code_check_as(r, NULL, 0, &retry, &(struct audit_as){
		    "activate", type }, NULL)) != E_NONE)
			return finish(r, "activate", type, e, retry);
	} else if (other_active(ms, type)) {
		if (!has_code(r))
			return finish(r, "activate", type,
			    E_MFA_CODE_MISSING, 0);
		/* Passed: the other method's code is spent only if this
		 * activation goes ahead (issue() commits both). */
		if ((e = code_check(r, NULL, &retry, "activate", type)) !=
		    E_NONE)
			return finish(r, "activate", type, e, retry);
	}
	c.type = type;
	c.activating = methods_status(ms, type) != ST_ACTIVE;
	if (issue_open(r, &c.who, "activate", type) != 0)
		return jsonapi_db_error(r);
	e = issue(&c, m, m->issue, &retry);
	if (e == E_NONE)
		fault_point("activate-committed");
	if (e != E_NONE || c.answer == NULL) {
		cJSON_Delete(c.answer);
		return finish(r, "activate", type, e, retry);
	}
	/* What the method answers with (totp: its secret, contract §6.4). */
	return answer_with(r, "multi-factor-auth-type-activate", type,
	    c.answer);
}

/*
 * Verify of a method that registers what the body carries (enroll(): a
 * passkey, contract §12.2) instead of checking a code: pending, it
 * becomes active with its first credential; active (MF_CREDENTIALS,
 * after an activation that asked for a code) it gains one.  Under the
 * account's lock; a locked account is refused as a code check would be.
 */
static int
verify_enroll(struct req *r, const struct mfa_method *m, const char *type)
{
	struct mfa_ctx	 c = ctx_of(r, &(struct subject){ r->side,
			    r->acct.id });
	struct lockout	 lk;
	enum method_status st = methods_status(&r->acct.methods, type);
	enum err	 e;

	if (st == ST_DEACTIVATED)
		return finish(r, "verify", type, E_MFA_TYPE_NOT_FOUND, 0);
	if (db_begin() != 0 || db_mfa_lock(&c.who, &lk) != 0) {
		db_rollback();
		return finish(r, "verify", type, jsonapi_db_err(), 0);
	}
	if (lk.locked_until > (long long)r->now) {
		db_rollback();
		return finish(r, "verify", type, E_MFA_LOCKED,
		    (long)(lk.locked_until - (long long)r->now));
	}
	c.type = type;
	c.attrs = r->attrs;
	if ((e = m->enroll(&c)) != E_NONE) {
		db_rollback();
		return finish(r, "verify", type, e, 0);
	}
	if (st == ST_PENDING && db_mfa_method_activate(&c.who, type,
	    r->now) != 1) {
		db_rollback();
		return finish(r, "verify", type, jsonapi_db_err(), 0);
	}
	if (commit_decision(r, "verify", type, NOTICE_ON) != 0)
		return jsonapi_db_error(r);
	return jsonapi_no_content(r);
}

int
mfa_verify(struct req *r)
{
	const struct methods *ms = &r->acct.methods;
	const struct mfa_method *m;
	const char	*type;
	enum err	 e;
	enum method_status st;
	long		 retry = 0;
	long long	 n;

	if (preamble(r, "verify", &type, &m, -1) != 0)
		return -1;
	if (m->enroll != NULL)
		return verify_enroll(r, m, type);
	if ((st = methods_status(ms, type)) == ST_ACTIVE)
		return finish(r, "verify", type, E_MFA_ALREADY_ACTIVE, 0);
	if (st != ST_PENDING)
		return finish(r, "verify", type, E_MFA_TYPE_NOT_FOUND, 0);
	if ((e = code_check(r, type, &retry, "verify", type)) != E_NONE)
		return finish(r, "verify", type, e, retry);
	if (unit_open() != 0) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	n = db_mfa_method_activate(&(struct subject){ r->side, r->acct.id },
	    type, r->now);
	if (n != 1) {
		/* Switched on by a parallel verify: this one did nothing. */
		db_rollback();
		return finish(r, "verify", type, n == 0 ?
		    E_MFA_ALREADY_ACTIVE : jsonapi_db_err(), 0);
	}
	if (commit_decision(r, "verify", type, NOTICE_ON) != 0)
		return jsonapi_db_error(r);
	return jsonapi_no_content(r);
}

#define ACTION_PTR	"/data/attributes/action"

static const struct {
	const char	*name;
	unsigned	 method;
} write_methods[] = {
	{ "POST", M_POST }, { "PUT", M_PUT }, { "PATCH", M_PATCH },
	{ "DELETE", M_DELETE },
};

/* A member of the action: a string, else E_MEMBER (wrong JSON type) or
 * E_INVALID_FIELD (absent or null), *where naming it. */
static enum err
action_member(const cJSON *a, const char *name, const char *ptr,
    const char **v, const char **where)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(a, name);

	*where = ptr;
	if (m == NULL || cJSON_IsNull(m))
		return E_INVALID_FIELD;
	if (!cJSON_IsString(m))
		return E_MEMBER;
	*v = m->valuestring;
	return E_NONE;
}

/*
 * A trigger's attributes.action (contract §10.8): absent or null, the code
 * is for any protected request, as before; else {method, resourceType,
 * id} naming one protected action of this side (src/config.c's
 * protected_actions, its type on the side's protected list) and its
 * resource: the caller's own reference, a UUID, or no id.  A method that
 * sends nothing cannot bind.  E_NONE with out the action ("" none) and
 * *purpose the mail's phrase; else E_MEMBER or E_INVALID_FIELD, *where.
 */
static enum err
read_action(struct req *r, const struct mfa_method *m, char *out, size_t sz,
    const char **purpose, const char **where)
{
	const cJSON	*a = cJSON_GetObjectItemCaseSensitive(r->attrs, "action");
	const cJSON	*idm;
	const struct protected_action *pa = NULL;
	const char	*meth = NULL, *type = NULL, *id = NULL;
	size_t		 i;
	enum err	 e;

	out[0] = '\0';
	*purpose = NULL;
	*where = ACTION_PTR;
	if (a == NULL || cJSON_IsNull(a))
		return E_NONE;
	if (!cJSON_IsObject(a))
		return E_MEMBER;
	if ((e = action_member(a, "method", ACTION_PTR "/method", &meth,
	    where)) != E_NONE || (e = action_member(a, "resourceType",
	    ACTION_PTR "/resourceType", &type, where)) != E_NONE)
		return e;
	idm = cJSON_GetObjectItemCaseSensitive(a, "id");
	if (idm != NULL && !cJSON_IsNull(idm)) {
		*where = ACTION_PTR "/id";
		if (!cJSON_IsString(idm))
			return E_MEMBER;
		id = idm->valuestring;
	}
	*where = ACTION_PTR "/method";
	for (i = 0; i < nitems(write_methods); i++)
		if (strcmp(write_methods[i].name, meth) == 0)
			break;
	if (i == nitems(write_methods))
		return E_INVALID_FIELD;
	*where = ACTION_PTR;
	if (m->trigger == NULL || (m->flags & MF_ANSWERS) ||
	    (pa = protected_action(r->side, write_methods[i].method,
	    type)) == NULL || !list_contains(r->side == SIDE_BACKEND ?
	    cfg.protected_backend : cfg.protected_storefront, type) ||
	    (*purpose = mail_action_phrase(pa->method, pa->type)) == NULL)
		return E_INVALID_FIELD;
	*where = ACTION_PTR "/id";
	if (pa->id == AID_NONE ? id != NULL : id == NULL ||
	    (pa->id == AID_REF ? customer_ref_id(id) != r->acct.id :
	    !valid_uuid(id)))
		return E_INVALID_FIELD;
	if (id != NULL)
		snprintf(out, sz, "%s %s %s", meth, type, id);
	else
		snprintf(out, sz, "%s %s", meth, type);
	return E_NONE;
}

int
mfa_trigger(struct req *r)
{
	const struct mfa_method *m;
	struct mfa_ctx	 c = ctx_of(r, &(struct subject){ r->side,
			    r->acct.id });
	const char	*type, *where;
	char		 action[MAX_ACTION + 1];
	enum err	 e;
	long		 retry = 0;

	if (preamble(r, "trigger", &type, &m, 0) != 0)
		return -1;
	if (methods_status(&r->acct.methods, type) != ST_ACTIVE)
		return finish(r, "trigger", type, E_MFA_TYPE_NOT_FOUND, 0);
	/* A document with a member of the wrong type is malformed, not
	 * audited; a value against the rules is the trigger's refusal. */
	if ((e = read_action(r, m, action, sizeof(action), &c.purpose,
	    &where)) != E_NONE) {
		if (e == E_INVALID_FIELD)
			(void)audit(r, r->side, r->acct.id, 0, "trigger", type, e);
		return jsonapi_error_src(r, e, SRC_POINTER, where);
	}
	c.action = action[0] != '\0' ? action : NULL;
	c.type = type;
	/* A method that sends nothing (an app makes its own codes) changes
	 * nothing: its row is all there is to write. */
	if (m->trigger == NULL)
		return audit(r, r->side, r->acct.id, 0, "trigger", type,
		    E_NONE) != 0 ? jsonapi_db_error(r) : jsonapi_no_content(r);
	if (issue_open(r, &c.who, "trigger", type) != 0)
		return jsonapi_db_error(r);
	e = issue(&c, m, m->trigger, &retry);
	if (e == E_NONE)
		fault_point("trigger-committed");
	if (e != E_NONE || c.answer == NULL) {
		cJSON_Delete(c.answer);
		return finish(r, "trigger", type, e, retry);
	}
	/* What the client needs for the code (webauthn: the request
	 * options, contract §12.3). */
	return answer_with(r, "multi-factor-auth-trigger", type, c.answer);
}

/*
 * Switches a method off, inside the caller's transaction: its codes and
 * grace windows end (contract §5.1), and with the last active method the
 * recovery codes (contract §8).  0, or -1 when it was not active.
 */
static int
method_off(const struct subject *who, const char *type, time_t now)
{
	const struct mfa_method *m = method_find(type);
	struct mfa_ctx	 c;

	memset(&c, 0, sizeof(c));
	c.who = *who;
	c.type = type;
	c.now = now;
	if (db_mfa_method_deactivate(who, type, now) != 1 ||
	    (m != NULL && m->end(&c) != 0) || db_recovery_end(who) != 0)
		return -1;
	return 0;
}

int
mfa_switch_off(struct req *r, const char *type, const char *action)
{
	struct subject	 who = { r->side, r->acct.id };

	if (method_off(&who, type, r->now) != 0 ||
	    audit(r, r->side, r->acct.id, 0, action, type, E_NONE) != 0 ||
	    outbox_add(r, &who, NULL, NOTICE_OFF) != 0)
		return -1;
	return 0;
}

int
mfa_deactivate(struct req *r)
{
	const struct mfa_method *m;
	struct subject	 who = { r->side, r->acct.id };
	const char	*type;
	enum err	 e;
	long		 retry = 0;

	if (preamble(r, "deactivate", &type, &m, 1) != 0)
		return -1;
	if (methods_status(&r->acct.methods, type) != ST_ACTIVE)
		return finish(r, "deactivate", type, E_MFA_TYPE_NOT_FOUND, 0);
	if ((e = code_check(r, type, &retry, "deactivate", type)) != E_NONE)
		return finish(r, "deactivate", type, e, retry);
	/* The grace path holds no lock yet: take it for the change. */
	if (unit_open() != 0 || method_off(&who, type, r->now) != 0 ||
	    commit_decision(r, "deactivate", type, NOTICE_OFF) != 0) {
		db_rollback();
		return finish(r, "deactivate", type, db_commit_unknown() ?
		    E_COMMIT_UNKNOWN : E_MFA_DEACTIVATION_FAILED, 0);
	}
	return jsonapi_no_content(r);
}

/*
 * The request as a code bound to an action names it (contract §10.8):
 * "METHOD type", and " id" when the route's path ends with its resource's
 * id (the route's last parameter).
 */
static void
request_action(const struct req *r, char *out, size_t sz)
{
	const char	*pat = r->route->pattern, *id = NULL, *p;
	size_t		 n = strlen(pat), np = 0;

	for (p = pat; (p = strchr(p, ':')) != NULL; p++)
		np++;
	if (n > 0 && pat[n - 1] == ':' && np <= nitems(r->param))
		id = r->param[np - 1];
	if (id != NULL)
		snprintf(out, sz, "%s %s %s", r->method_name, r->route->type,
		    id);
	else
		snprintf(out, sz, "%s %s", r->method_name, r->route->type);
}

/* Is the request a write to a protected resource type (contract §4.3)? */
int
mfa_protects(const struct req *r)
{
	const char	*list = r->side == SIDE_BACKEND ?
	    cfg.protected_backend : cfg.protected_storefront;

	return (r->method & (M_POST | M_PUT | M_PATCH | M_DELETE)) &&
	    list_contains(list, r->route->type);
}

/*
 * The guard of protected resources (contract §4.3), run by the dispatcher
 * after authentication and authorization.  A refusal is answered and
 * audited here (a counted one with its count).  A code that passes is
 * spent in the transaction left open, opened on the grace path too: the
 * request's writes join it and commit with its audit row
 * (mfa_guard_passed()) or not at all.
 */
void
mfa_guard(struct req *r)
{
	char		 action[MAX_ACTION + 1];
	enum err	 e;
	long		 retry = 0;

	if (!mfa_protects(r) || methods_active(&r->acct.methods) == 0)
		return;
	request_action(r, action, sizeof(action));
	e = has_code(r) ? code_check_as(r, NULL, 1, &retry,
	    &(struct audit_as){ "protected", NULL }, action) :
	    E_MFA_CODE_MISSING;
	if (e == E_NONE && unit_open() != 0) {
		db_rollback();
		e = jsonapi_db_err();
	}
	if (e == E_NONE) {
		r->guard_passed = 1;
		return;
	}
	if (e != E_MFA_CODE_INVALID)
		(void)audit(r, r->side, r->acct.id, 0, "protected", NULL, e);
	jsonapi_error_retry(r, e, retry);
}

/*
 * At sign-in without a code (contract §10.12), each active method that
 * has something to give without a token is asked for it, under its
 * limits and the account's lock, as a trigger would: a passkey's method
 * (MF_ANSWERS) for fresh request options, left in r->mfa_options for the
 * 5900; the first method that sends codes (the e-mail method) for a
 * code.  The options come first: what a mail sent cannot be undone by a
 * database error after it.  A locked account gets neither; a refused or
 * failed send sends nothing and changes nothing of the answer (5900).
 * E_MFA_CODE_MISSING, or the database's error (no options then).
 */
static enum err
sign_in_send(struct req *r, const struct subject *who)
{
	const struct mfa_method *m;
	struct mfa_ctx	 c;
	struct lockout	 lk;
	size_t		 i;
	long		 retry;
	int		 pass, answers, mailed = 0;
	enum err	 e;

	/* Pass 0: the methods that answer with options; 1: the first that
	 * sends a code. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < nitems(methods); i++) {
			m = methods[i];
			answers = (m->flags & MF_ANSWERS) != 0;
			if (m->trigger == NULL || answers != (pass == 0) ||
			    (answers && r->mfa_options != NULL) ||
			    (!answers && mailed) ||
			    method_offered(m->name) == NULL ||
			    methods_status(&r->acct.methods, m->name) !=
			    ST_ACTIVE)
				continue;
			if (!answers)
				mailed = 1;
			if (db_begin() != 0 || db_mfa_lock(who, &lk) != 0) {
				db_rollback();
				goto dberr;
			}
			if (lk.locked_until > (long long)r->now) {
				db_rollback();
				return E_MFA_CODE_MISSING;
			}
			c = ctx_of(r, who);
			c.type = m->name;
			retry = 0;
			e = issue(&c, m, m->trigger, &retry);
			if (e == E_UNAVAILABLE || e == E_INTERNAL ||
			    e == E_COMMIT_UNKNOWN) {
				cJSON_Delete(c.answer);
				goto dberr;
			}
			if (e != E_NONE)
				log_info("account %lld: no %s at sign-in "
				    "(error %d)", who->id, m->name, (int)e);
			else if (answers)
				r->mfa_options = cJSON_DetachItemFromObject(
				    c.answer, "publicKey");
			else
				fault_point("sign-in-code-sent");
			cJSON_Delete(c.answer);
		}
	return E_MFA_CODE_MISSING;
dberr:
	cJSON_Delete(r->mfa_options);
	r->mfa_options = NULL;
	return jsonapi_db_err();
}

/*
 * MFA at sign-in (contract §10.12), for auth_login() once the password is
 * right.  With mfa_at_sign_in on for the side and an active method, the
 * sign-in needs X-MFA-Code, checked as the guard checks it (a code of any
 * active method or a recovery code, failures and lockout counted, audited
 * as "login").  token is the hash of the access token about to be issued:
 * a code that passes opens its grace window for it.  E_NONE: go on, with
 * the account's transaction left open when a code was checked (the tokens
 * join it), none when no code is wanted.  Else the refusal, audited:
 * E_MFA_CODE_MISSING (a code sent, a passkey's options in
 * r->mfa_options, see sign_in_send()),
 * E_MFA_CODE_INVALID (counted), E_MFA_LOCKED with *retry, or the
 * database's error; nothing left open.
 */
enum err
mfa_sign_in(struct req *r, long long account,
    const unsigned char token[HASH_BYTES], long *retry)
{
	struct subject	 who = { r->side, account };
	struct account	*a = &r->acct;
	enum err	 e;

	*retry = 0;
	if (!limits_of(r->side)->mfa_at_sign_in)
		return E_NONE;
	memset(a, 0, sizeof(*a));
	a->id = account;
	memcpy(a->token_hash, token, HASH_BYTES);
	if (db_mfa_methods(&who, &a->methods) != 0)
		return jsonapi_db_err();
	if (methods_active(&a->methods) == 0)
		return E_NONE;
	if (!has_code(r)) {
		if (audit(r, r->side, account, 0, "login", NULL,
		    E_MFA_CODE_MISSING) != 0)
			return jsonapi_db_err();
		return sign_in_send(r, &who);
	}
	/* A new token has no grace window: the code is always checked,
	 * under the lock; a code bound to an action is no code here. */
	e = code_check_as(r, NULL, 1, retry,
	    &(struct audit_as){ "login", NULL }, NULL);
	if (e != E_NONE && e != E_MFA_CODE_INVALID)
		(void)audit(r, r->side, account, 0, "login", NULL, e);
	return e;
}

/*
 * For a resource that needs a code of an active method and nothing else
 * (making recovery codes, contract §8): the account has an active method,
 * the header is there and is one of its codes, not a recovery code.
 * E_NONE with the account's transaction left open for the change.
 */
enum err
mfa_method_code(struct req *r, const char *action, const char *method,
    long *retry)
{
	struct lockout	 lk;
	enum err	 e;

	if (r->acct.id == 0)
		return sides[r->side].no_id;
	if (methods_active(&r->acct.methods) == 0)
		return E_MFA_TYPE_NOT_FOUND;
	if (!has_code(r))
		return E_MFA_CODE_MISSING;
	if ((e = code_check_as(r, NULL, 0, retry,
	    &(struct audit_as){ action, method }, NULL)) != E_NONE)
		return e;
	/* The grace path holds no lock yet: take it for the change. */
	if (!db_in_transaction() && (db_begin() != 0 ||
	    db_mfa_lock(&(struct subject){ r->side, r->acct.id }, &lk) != 0)) {
		db_rollback();
		return jsonapi_db_err();
	}
	return E_NONE;
}

/* A notification to the request's account, queued in its transaction. */
int
mfa_notify(struct req *r, enum notice what)
{
	return outbox_add(r, &(struct subject){ r->side, r->acct.id }, NULL,
	    what);
}

/*
 * The request the guard let through succeeded: its audit row, in the
 * transaction the guard opened, before the dispatcher commits it.  -1:
 * not written, and the request's work must not commit.
 */
int
mfa_guard_passed(struct req *r)
{
	if (!r->guard_passed)
		return 0;
	if (audit(r, r->side, r->acct.id, 0, "protected", NULL, E_NONE) != 0)
		return -1;
	fault_point("protected-stored");
	return 0;
}

/*
 * Switches off, inside the caller's transaction, the account's active
 * method type, or with type NULL every active one (contract §10.7), each
 * with its own audit row naming the administrator.  0, or -1.
 */
static int
admin_switch_off(struct req *r, const struct subject *who,
    const struct methods *ms, const char *type, long long actor,
    struct methods *off)
{
	size_t	 i;

	for (i = 0; i < ms->n; i++) {
		if (ms->m[i].status != ST_ACTIVE ||
		    (type != NULL && strcmp(ms->m[i].type, type) != 0))
			continue;
		if (method_off(who, ms->m[i].type, r->now) != 0 ||
		    audit(r, who->side, who->id, actor, "admin_deactivate",
		    ms->m[i].type, E_NONE) != 0)
			return -1;
		if (off != NULL)
			off->m[off->n++] = ms->m[i];
	}
	return 0;
}

/*
 * An administrator (actor, a back-office user; 0 for the operator tool)
 * switches off an account's method (type NULL: every active method,
 * contract §10.7): for a customer locked out of it.  Audited with both
 * accounts named, one row per method, and the account's one notice
 * queued, in the transaction of the change (contract §9.3).  off (or
 * NULL) gets the methods switched off, in the order of their audit rows.
 */
enum err
mfa_admin_off(struct req *r, const struct subject *who, const char *type,
    long long actor, struct methods *off)
{
	struct methods	 ms;
	char		 to[4 * MAX_EMAIL + 1];
	enum err	 e = E_NONE;
	int		 rc;

	if (off != NULL)
		off->n = 0;
	if (type != NULL && method_offered(type) == NULL)
		e = E_MFA_TYPE_NOT_FOUND;
	else if ((rc = db_contact(who, to, sizeof(to))) < 0)
		e = jsonapi_db_err();
	else if (rc == 0)
		e = E_CUSTOMER_NOT_FOUND;
	else if (db_begin() != 0 || db_mfa_methods(who, &ms) != 0)
		e = jsonapi_db_err();
	else if (type != NULL ? methods_status(&ms, type) != ST_ACTIVE :
	    methods_active(&ms) == 0)
		e = E_MFA_TYPE_NOT_FOUND;
	/* A rescued account starts afresh: no lockout left. */
	else if (admin_switch_off(r, who, &ms, type, actor, off) != 0 ||
	    db_mfa_lock_clear(who) != 0 ||
	    outbox_add(r, who, to, NOTICE_ADMIN_OFF) != 0)
		e = E_MFA_DEACTIVATION_FAILED;
	else {
		fault_point("rescue-stored");
		if (db_commit() != 0)
			e = db_commit_unknown() ? E_COMMIT_UNKNOWN :
			    E_MFA_DEACTIVATION_FAILED;
	}
	if (e == E_NONE)
		return E_NONE;
	db_rollback();
	if (off != NULL)
		off->n = 0;
	(void)audit(r, who->side, who->id, actor, "admin_deactivate", type, e);
	return e;
}
