/*
 * Method "email" (contract §6): codes mailed to the account's address.
 * A code is code_length digits, stored only as its keyed hash bound to
 * the account, the method and the code's random row id (contract §5.1),
 * lives code_ttl seconds, and is blocked after attempts_per_code wrong
 * tries.  A newer code invalidates the older ones.
 */
#include <string.h>

#include "glue.h"

#define DAY	86400L

/* code_length digits, uniform, leading zeros included (contract §5.1). */
static void
code_new(char *out)
{
	long	 i;

	for (i = 0; i < cfg.code_length; i++)
		out[i] = (char)('0' + random_uniform(10));
	out[i] = '\0';
}

static int
well_formed(const char *code)
{
	return strlen(code) == (size_t)cfg.code_length &&
	    strspn(code, "0123456789") == strlen(code);
}

/* The sending limits of contract §5.3: resend cool-down, daily cap. */
static enum err
limit(struct mfa_ctx *c, long *retry)
{
	struct send_stats st;

	if (db_mfa_send_stats(&c->who, c->type, c->now, &st) != 0)
		return db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	if (st.newest_live != 0 &&
	    st.newest_live + cfg.resend_cooldown > (long long)c->now) {
		*retry = (long)(st.newest_live + cfg.resend_cooldown - c->now);
		return E_MFA_RESEND;
	}
	if (st.count >= cfg.daily_send_cap) {
		*retry = (long)(st.oldest + DAY - c->now);
		return E_MFA_RESEND;
	}
	return E_NONE;
}

/*
 * Makes and stores a new code, commits, then mails it.  A code whose mail
 * could not be handed over is withdrawn, so the cool-down does not hold
 * back the retry.
 */
static enum err
issue(struct mfa_ctx *c)
{
	char		 to[4 * MAX_EMAIL + 1], code[MAX_CODE_LENGTH + 1];
	unsigned char	 h[HASH_BYTES];
	long long	 id;
	int		 rc;

	if ((rc = db_contact(&c->who, to, sizeof(to))) != 1)
		return rc == 0 ? (c->who.side == SIDE_BACKEND ?
		    E_USER_NOT_FOUND : E_CUSTOMER_NOT_FOUND) :
		    db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	id = (long long)(random_u64() >> 1);
	code_new(code);
	code_hash(h, &c->who, c->type, id, code);
	if (db_mfa_codes_invalidate(&c->who, c->type) != 0 ||
	    db_mfa_code_insert(&c->who, id, c->type, h, c->now,
	    c->now + cfg.code_ttl) != 0 || db_commit() != 0) {
		wipe(code, sizeof(code));
		return db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
	}
	rc = mail_code(to, code, cfg.code_ttl);
	wipe(code, sizeof(code));
	if (rc != 0) {
		(void)db_mfa_code_cancel(id);
		return E_MFA_SEND_FAILED;
	}
	return E_NONE;
}

/* 1: a live code of this method matched and is now used; 0; -1. */
static int
check(struct mfa_ctx *c)
{
	unsigned char	 h[HASH_BYTES];
	size_t		 i;
	long long	 found = 0;

	if (!c->live_loaded) {
		if (db_mfa_codes_live(&c->who, c->now, &c->live) != 0)
			return -1;
		c->live_loaded = 1;
	}
	/* Every candidate is hashed and compared in constant time. */
	for (i = 0; i < c->live.n; i++) {
		if (strcmp(c->live.c[i].type, c->type) != 0)
			continue;
		code_hash(h, &c->who, c->type, c->live.c[i].id, c->code);
		if (ct_equal(h, c->live.c[i].hash, HASH_BYTES) && found == 0)
			found = c->live.c[i].id;
	}
	if (found == 0)
		return 0;
	return db_mfa_code_consume(found, c->token,
	    c->now + cfg.grace_period) == 1 ? 1 : -1;
}

/* A wrong code counts against this method's live codes. */
static int
fail(struct mfa_ctx *c)
{
	return db_mfa_code_fail(&c->who, c->type, c->now,
	    cfg.attempts_per_code);
}

/* Switched off: live codes invalidated, grace windows closed. */
static int
end(struct mfa_ctx *c)
{
	return db_mfa_codes_end(&c->who, c->type);
}

const struct mfa_method method_email = {
	.name = "email",
	.well_formed = well_formed,
	.limit = limit,
	.issue = issue,
	.trigger = issue,
	.check = check,
	.fail = fail,
	.end = end,
};
