/*
 * Method "email" (contract §6): codes mailed to the account's address.
 * A code is code_length digits, stored only as its keyed hash bound to
 * the account, the method and the code's random row id (contract §5.1),
 * lives code_ttl seconds, and is blocked after attempts_per_code wrong
 * tries.  A newer code invalidates the older ones.
 */
#include <ctype.h>
#include <string.h>

#include "glue.h"

#define DAY	86400L

/* code_length digits, uniform, leading zeros included (contract §5.1). */
static void
code_new(char *out, long length)
{
	long	 i;

	for (i = 0; i < length; i++)
		out[i] = (char)('0' + random_uniform(10));
	out[i] = '\0';
}

static int
well_formed(enum side side, const char *code)
{
	return strlen(code) == (size_t)limits_of(side)->code_length &&
	    strspn(code, "0123456789") == strlen(code);
}

/* The recipient as the per-recipient cap counts it: a keyed hash of the
 * address, case folded, so the table names no address. */
static void
recipient_hash(unsigned char out[HASH_BYTES], const char *to)
{
	char	 buf[4 * MAX_EMAIL + 1];
	size_t	 i, n = strlen(to);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)to[i]);
	keyed_hash(out, "code-recipient", buf, n);
	wipe(buf, sizeof(buf));
}

/* The account's address and locale into c, read at most once. */
static enum err
contact(struct mfa_ctx *c)
{
	int	 rc;

	if (c->contact_loaded)
		return E_NONE;
	if ((rc = db_contact_locale(&c->who, c->to, sizeof(c->to),
	    c->locale)) != 1)
		return rc == 0 ? (c->who.side == SIDE_BACKEND ?
		    E_USER_NOT_FOUND : E_CUSTOMER_NOT_FOUND) : jsonapi_db_err();
	c->contact_loaded = 1;
	return E_NONE;
}

/*
 * No code goes to an address its owner has not confirmed (contract §3.2),
 * and no address gets more than daily_recipient_cap code mails in 24 h,
 * whichever accounts they are for (contract §5.3), counted under the
 * recipient's lock row (taken after the account's, never before it).
 */
static enum err
recipient_limit(struct mfa_ctx *c, long *retry)
{
	unsigned char	 h[HASH_BYTES];
	long long	 count, oldest;
	enum err	 e;
	int		 rc;

	if (c->who.side == SIDE_STOREFRONT &&
	    strcmp(cfg.customer_confirmation, "on") == 0 &&
	    (rc = db_customer_is_confirmed(c->who.id)) != 1)
		return rc < 0 ? jsonapi_db_err() : E_UNCONFIRMED;
	if ((e = contact(c)) != E_NONE)
		return e;
	recipient_hash(h, c->to);
	/* Under the recipient's lock too: accounts of both sides may share
	 * the address (migration 018). */
	if (db_recipient_lock(h) != 0 ||
	    db_code_mail_stats(h, c->now, &count, &oldest) != 0)
		return jsonapi_db_err();
	if (count >= limits_of(c->who.side)->daily_recipient_cap) {
		*retry = (long)(oldest + DAY - c->now);
		return E_MFA_RESEND;
	}
	return E_NONE;
}

/*
 * Failed code mails of the account, of every method, in the last
 * mail_failure_window seconds (contract §9.4): at mail_failure_cap, no
 * hand-over is tried until the oldest of them leaves the window.  Mails
 * still being handed over count as failed until they are known not to be,
 * so parallel requests (each counting under the account's lock) cannot
 * pass the bound.
 */
static enum err
failure_limit(const struct mfa_ctx *c, const struct send_stats *st,
    long *retry)
{
	const struct mfa_limits *l = limits_of(c->who.side);

	if (st->failures >= l->mail_failure_cap) {
		*retry = (long)(st->failures_oldest + l->mail_failure_window -
		    c->now);
		return E_MFA_SEND_PAUSED;
	}
	return E_NONE;
}

/* The sending limits of contract §5.3: resend cool-down, daily cap, the
 * recipient's cap; and the bound on failed mails (§9.4).  A withdrawn
 * code counts toward neither the cool-down (it is not live) nor the cap. */
static enum err
limit(struct mfa_ctx *c, long *retry)
{
	struct send_stats st;
	enum err	 e;

	if (db_mfa_send_stats(&c->who, c->type, c->now, c->now -
	    limits_of(c->who.side)->mail_failure_window, &st) != 0)
		return jsonapi_db_err();
	if (st.newest_live != 0 &&
	    st.newest_live + limits_of(c->who.side)->resend_cooldown > (long long)c->now) {
		*retry = (long)(st.newest_live + limits_of(c->who.side)->resend_cooldown - c->now);
		return E_MFA_RESEND;
	}
	if (st.count >= limits_of(c->who.side)->daily_send_cap) {
		*retry = (long)(st.oldest + DAY - c->now);
		return E_MFA_RESEND;
	}
	if ((e = failure_limit(c, &st, retry)) != E_NONE)
		return e;
	return recipient_limit(c, retry);
}

/*
 * Makes and stores a new code, commits, then mails it.  A request whose
 * client has gone makes none (contract §9.5: nobody would read the answer,
 * and a hanging mail path would hold the process for nothing).  A code
 * whose mail could not be handed over is withdrawn (contract §9.4).
 */
static enum err
issue(struct mfa_ctx *c)
{
	char		 code[MAX_CODE_LENGTH + 1];
	unsigned char	 h[HASH_BYTES], rh[HASH_BYTES];
	long long	 id;
	enum err	 e;
	int		 rc;

	if (c->io != NULL && io_client_gone(c->io)) {
		log_warn("account %lld: client gone, no code sent",
		    c->who.id);
		return E_MFA_SEND_FAILED;
	}
	if ((e = contact(c)) != E_NONE)
		return e;
	id = (long long)(random_u64() >> 1);
	code_new(code, limits_of(c->who.side)->code_length);
	code_hash(h, &c->who, c->type, id, code);
	recipient_hash(rh, c->to);
	if (db_mfa_codes_invalidate(&c->who, c->type) != 0 ||
	    db_code_mail_insert(id, rh, c->now) != 0 ||
	    db_mfa_code_insert(&c->who, id, c->type, h, c->now,
	    c->now + limits_of(c->who.side)->code_ttl, c->action) != 0 ||
	    db_commit() != 0) {
		wipe(code, sizeof(code));
		return jsonapi_db_err();
	}
	rc = mail_code(c->to, c->locale, code, limits_of(c->who.side)->code_ttl,
	    c->purpose);
	wipe(code, sizeof(code));
	if (rc != 0) {
		if (db_mfa_code_cancel(id) != 0 ||
		    db_code_mail_delete(id) != 0)
			log_warn("code %lld: not withdrawn", id);
		return E_MFA_SEND_FAILED;
	}
	/* Not counted as failed any more; if this fails, the code keeps
	 * counting until it leaves the window. */
	if (db_mfa_code_handed_over(id) != 0)
		log_warn("code %lld: hand-over not recorded", id);
	return E_NONE;
}

/*
 * A code bound to an action (contract §10.8) is a candidate only for the
 * request it names: elsewhere it is no code of the account, so a check
 * that finds nothing else counts the header as a wrong code.
 */
static int
candidate(const struct mfa_ctx *c, const struct code_row *row)
{
	return strcmp(row->type, c->type) == 0 && (row->action[0] == '\0' ||
	    (c->action != NULL && strcmp(row->action, c->action) == 0));
}

/*
 * 1: a live code of this method matched and is now used, its grace window
 * opened (none for a code bound to an action: it allows one request); 0;
 * -1.
 */
static int
check(struct mfa_ctx *c)
{
	unsigned char	 h[HASH_BYTES];
	size_t		 i, hit = 0;
	long long	 found = 0, n;

	if (!c->live_loaded) {
		if (db_mfa_codes_live(&c->who, c->now, &c->live) != 0)
			return -1;
		c->live_loaded = 1;
	}
	/* Every candidate is hashed and compared in constant time. */
	for (i = 0; i < c->live.n; i++) {
		if (!candidate(c, &c->live.c[i]))
			continue;
		code_hash(h, &c->who, c->type, c->live.c[i].id, c->code);
		if (ct_equal(h, c->live.c[i].hash, HASH_BYTES) && found == 0) {
			found = c->live.c[i].id;
			hit = i;
		}
	}
	if (found == 0)
		return 0;
	/* No row changed: spent since it was read (by another Galera node's
	 * request, contract §9.9; on one server the account's lock rules it
	 * out), so this one came second, as with TOTP's step. */
	n = db_mfa_code_consume(found, c->token,
	    c->live.c[hit].action[0] != '\0' ? 0 :
	    c->now + limits_of(c->who.side)->grace_period);
	return n == 1 ? 1 : n == 0 ? 0 : -1;
}

/* A wrong code counts against this method's live codes. */
static int
fail(struct mfa_ctx *c)
{
	return db_mfa_code_fail(&c->who, c->type, c->now,
	    limits_of(c->who.side)->attempts_per_code);
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
