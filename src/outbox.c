/*
 * The notification outbox (contract §9.3).  A notice ("switched on",
 * "switched off", "locked", ...) is a row of mail_outbox written in the
 * transaction of the decision it tells of, so a decision that commits has
 * its notice and one rolled back has none.  After the commit it is handed
 * to the mail transport: by the request itself once its answer is written
 * (outbox_after), by later requests (at most OUTBOX_PER_REQUEST due rows
 * each) and by glue-mfa-admin send-outbox.  A row is claimed with a
 * conditional UPDATE before its hand-over, so two processes never hand
 * one row over at once; a process that dies holding a claim leaves it to
 * expire after OUTBOX_LEASE.  Delivery is at least once: a process dying
 * between the hand-over and the row's deletion sends it again later.
 * The row holds the recipient, the notice and the time, never a code.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"

int
outbox_add(struct req *r, const struct subject *who, const char *to,
    enum notice what)
{
	struct outbox_row o;
	int		 rc;

	memset(&o, 0, sizeof(o));
	o.side = who->side;
	o.account = who->id;
	if (to != NULL)
		snprintf(o.to, sizeof(o.to), "%s", to);
	else if ((rc = db_contact(who, o.to, sizeof(o.to))) != 1) {
		/* An account gone has nobody to tell; its change stands. */
		return rc == 0 ? 0 : -1;
	}
	o.notice = (int)what;
	o.event_at = (long long)r->now;
	o.next_attempt_at = (long long)r->now;
	if (db_outbox_insert(&o, r->id) != 0) {
		log_err("outbox: notice %d to account %lld not queued",
		    (int)what, who->id);
		return -1;
	}
	r->notices++;
	return 0;
}

/* OUTBOX_RETRY_BASE doubled for each attempt after the first, capped. */
static long
retry_after(long long attempts)
{
	long	 s = OUTBOX_RETRY_BASE;

	while (--attempts > 0 && s < OUTBOX_RETRY_MAX)
		s *= 2;
	return s < OUTBOX_RETRY_MAX ? s : OUTBOX_RETRY_MAX;
}

/* One claimed row: handed over and deleted, or put back for later. */
static int
send_one(const struct outbox_row *o, time_t now, struct outbox_result *res)
{
	long long	 attempts = o->attempts + 1;	/* with this claim */

	char		 to[4 * MAX_EMAIL + 1], locale[MAX_LOCALE + 1];

	fault_point("outbox-claimed");
	/* In the account's language of now (contract §10.9); an account
	 * gone, or a database that does not answer, gets default_locale's. */
	if (db_contact_locale(&(struct subject){ o->side, o->account }, to,
	    sizeof(to), locale) != 1)
		locale[0] = '\0';
	if (mail_notice(o->to, locale, (enum notice)o->notice,
	    o->event_at) == 0) {
		fault_point("outbox-handed-over");
		res->sent++;
		return db_outbox_done(o->id);
	}
	if (attempts >= OUTBOX_MAX_ATTEMPTS) {
		log_err("outbox: notice %lld to account %lld not handed over "
		    "after %lld attempts: marked failed", o->id, o->account,
		    attempts);
		res->failed++;
	} else {
		log_warn("outbox: notice %lld to account %lld not handed over "
		    "(attempt %lld): tried again in %ld s", o->id, o->account,
		    attempts, retry_after(attempts));
		res->retry++;
	}
	return db_outbox_retry(o->id, now + retry_after(attempts),
	    OUTBOX_MAX_ATTEMPTS);
}

int
outbox_send_due(time_t now, long max, struct outbox_result *res)
{
	struct outbox_batch b;
	long long	 n;
	long		 failed = res->retry + res->failed;
	size_t		 i;

	if (db_outbox_due(now, max, &b) != 0)
		return -1;
	/* The first hand-over that fails ends the round: the mail path is
	 * likely down, and each try may cost mail_timeout. */
	for (i = 0; i < b.n && res->retry + res->failed == failed; i++) {
		if ((n = db_outbox_claim(b.r[i].id, now,
		    now + OUTBOX_LEASE)) < 0)
			return -1;
		if (n == 1 && send_one(&b.r[i], now, res) != 0)
			return -1;
	}
	return 0;
}

/*
 * After the answer is written (it never changes): the notices of this
 * request, and other due ones, OUTBOX_PER_REQUEST at most.  A process
 * that queued nothing looks at most every OUTBOX_POLL_SECONDS, so a quiet
 * outbox costs one query per process that often.
 */
void
outbox_after(struct req *r)
{
	static time_t	 last;
	struct outbox_result res;

	/* Never inside a unit of work, nor a second connect to a database
	 * that is gone: the rows wait for the next request. */
	if (db_in_transaction() || db_unavailable())
		return;
	if (r->notices == 0 && r->now >= last &&
	    r->now - last < OUTBOX_POLL_SECONDS)
		return;
	last = r->now;
	memset(&res, 0, sizeof(res));
	if (outbox_send_due(r->now, OUTBOX_PER_REQUEST, &res) != 0)
		log_warn("outbox: due notices not looked at (database)");
}
