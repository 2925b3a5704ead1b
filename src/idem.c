/*
 * Idempotency-Key (contract §9.6; IETF httpapi draft "The Idempotency-Key
 * HTTP Header Field"): a POST sent again with the same key and the same
 * body gets the first answer, and its work is not done again.
 *
 * Four calls from the dispatcher:
 *   idem_replay()   after authorization, before the MFA guard: a malformed
 *                   key is 400 115; the key's named lock is taken (409 117
 *                   while another request holds it); a stored answer of the
 *                   key is replayed, or 422 116 when the body differs.
 *   idem_claim()    after the guard: the key's row is inserted in the
 *                   request's unit of work (the guard's, or one opened here
 *                   for the routes whose handler keeps all its work in one
 *                   transaction), so the work and its answer commit
 *                   together.
 *   idem_conclude() in conclude(), before the commit: a success's answer
 *                   is sealed into the row.  Routes that commit on their
 *                   own (the MFA resources, sign-in, sign-up) store it in a
 *                   transaction of its own after their work.
 *   idem_done()     after the commit: the lock is let go.
 * Refusals (4xx, 5xx) are never stored: the row is rolled back with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

/*
 * Routes whose handler's writes are one transaction that sends nothing
 * before it commits: opening the unit of work here keeps their work and
 * its answer together.  Others (code issuance commits and mails before it
 * answers; sign-up commits its limit counts even when it refuses) keep
 * their own transactions.
 */
static const char *const one_unit[] = { "addresses", "users" };

static int
is_one_unit(const struct req *r)
{
	size_t	 i;

	for (i = 0; i < nitems(one_unit); i++)
		if (strcmp(r->route->type, one_unit[i]) == 0)
			return 1;
	return 0;
}

/* The key's text (the quotes of a structured-field string taken off):
 * 0, or -1 when it is not IDEM_KEY_MIN-IDEM_KEY_MAX of IDEM_KEY_CHARS. */
static int
key_text(const char *v, const char **k, size_t *n)
{
	size_t	 len = strlen(v);

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (len < IDEM_KEY_MIN || len > IDEM_KEY_MAX ||
	    strspn(v, IDEM_KEY_CHARS) < len)
		return -1;
	*k = v;
	*n = len;
	return 0;
}

/* The scope of a key (contract §9.6): side, account (0: none), path. */
static size_t
scope_text(const struct req *r, char *buf, size_t sz)
{
	int	 n;

	n = snprintf(buf, sz, "%d/%lld/%s\n", (int)r->side, r->acct.id,
	    r->path);
	return n > 0 && (size_t)n < sz ? (size_t)n : 0;
}

/*
 * The row's index and the seal's binding: keyed hashes of the scope and
 * the key, for two purposes; the body's keyed hash in the same scope.
 */
static void
idem_hashes(struct req *r, const char *key, size_t keylen)
{
	char		 scope[MAX_PATH + 64];
	unsigned char	 h[HASH_BYTES];
	char		*buf;
	size_t		 n, i;

	n = scope_text(r, scope, sizeof(scope));
	buf = xmalloc(n + IDEM_KEY_MAX + r->body_len + 1);
	memcpy(buf, scope, n);
	memcpy(buf + n, key, keylen);
	keyed_hash(r->idem.index, "idem-index", buf, n + keylen);
	keyed_hash(h, "idem-seal", buf, n + keylen);
	snprintf(r->idem.bind, sizeof(r->idem.bind), "idem/");
	for (i = 0; i < sizeof(h); i++)
		snprintf(r->idem.bind + 5 + 2 * i, sizeof(r->idem.bind) - 5 -
		    2 * i, "%02x", h[i]);
	if (r->body_len > 0)
		memcpy(buf + n, r->body, r->body_len);
	keyed_hash(r->idem.body, "idem-body", buf, n + r->body_len);
	wipe(h, sizeof(h));
	wipe(buf, n + IDEM_KEY_MAX + r->body_len + 1);
	free(buf);
}

/* A refusal of the key's own; the token endpoint's answers all carry
 * Pragma (RFC 6749 §5.1). */
static void
refuse(struct req *r, enum err e)
{
	if (r->route->flags & R_FORM)
		http_header(r, "Pragma", "no-cache");
	if (e == E_IDEM_BUSY)
		jsonapi_error_retry(r, e, 1);
	else
		jsonapi_error(r, e);
}

/*
 * The key's stored answer, for this request: replayed (1), 422 for
 * another body (1), none (0), or a failure answered (1).
 */
static int
answer_stored(struct req *r)
{
	struct idem_row	 row;
	unsigned char	*plain;
	int		 rc;

	memset(&row, 0, sizeof(row));
	row.boxcap = IDEM_ANSWER_MAX + SEAL_MAC_BYTES + 1;
	row.box = xmalloc(row.boxcap);
	if ((rc = db_idem_get(r->idem.index, &row)) != 1) {
		free(row.box);
		if (rc < 0)
			jsonapi_db_error(r);
		return rc < 0;
	}
	if (row.created <= r->now - cfg.idempotency_window) {
		/* Expired: forgotten, the key is new again. */
		free(row.box);
		if (db_idem_forget(r->idem.index, r->now -
		    cfg.idempotency_window) != 0) {
			jsonapi_db_error(r);
			return 1;
		}
		return 0;
	}
	if (!ct_equal(row.body, r->idem.body, HASH_BYTES)) {
		free(row.box);
		refuse(r, E_IDEM_MISMATCH);
		return 1;
	}
	plain = xmalloc(row.boxlen + 1);
	if (row.status == 0 || row.boxlen < SEAL_MAC_BYTES ||
	    secret_open(plain, row.box, row.boxlen, row.nonce,
	    r->idem.bind) != 0 ||
	    jsonapi_replay(r, (const char *)plain,
	    row.boxlen - SEAL_MAC_BYTES) != 0) {
		log_err("idempotency: a stored answer does not open");
		jsonapi_error(r, E_INTERNAL);
	} else {
		r->idem.replayed = 1;
		log_info("idempotency: answer %d replayed", r->status);
	}
	wipe(plain, row.boxlen);
	free(plain);
	free(row.box);
	return 1;
}

/*
 * One request per key at a time, until its answer is stored (idem_done()
 * lets go): a second one waits IDEM_LOCK_WAIT seconds for the first, then
 * finds its answer; still busy, 409 117.
 */
static int
take_lock(struct req *r)
{
	size_t	 i;
	int	 rc;

	if (r->idem.locked)
		return 0;
	snprintf(r->idem.lock, sizeof(r->idem.lock), "glue-idem-");
	for (i = 0; i < 16; i++)
		snprintf(r->idem.lock + 10 + 2 * i, sizeof(r->idem.lock) - 10 -
		    2 * i, "%02x", r->idem.index[i]);
	if ((rc = db_idem_lock(r->idem.lock, IDEM_LOCK_WAIT)) == 1) {
		r->idem.locked = 1;
		return 0;
	}
	if (rc == 0)
		refuse(r, E_IDEM_BUSY);
	else
		jsonapi_db_error(r);
	return -1;
}

void
idem_replay(struct req *r)
{
	const char	*key;
	size_t		 keylen;
	int		 locked = r->idem.locked;

	/* A pipeline run again (a transaction retried) keeps the lock it
	 * holds: GET_LOCK counts, and one release would leave it held. */
	if (!locked)
		memset(&r->idem, 0, sizeof(r->idem));
	else
		r->idem.claimed = r->idem.replayed = 0;
	/* Empty is absent: not every web server passes an empty header. */
	if (r->method != M_POST || r->idem_key == NULL ||
	    r->idem_key[0] == '\0')
		return;
	if (key_text(r->idem_key, &key, &keylen) != 0) {
		refuse(r, E_IDEM_KEY_INVALID);
		return;
	}
	idem_hashes(r, key, keylen);
	r->idem.active = 1;
	if (take_lock(r) != 0)
		return;
	/* Expired rows go a batch at a time, with the requests that add. */
	if (db_idem_purge(r->now - cfg.idempotency_window) != 0) {
		jsonapi_db_error(r);
		return;
	}
	(void)answer_stored(r);
}

/* After the commit: the next request with the key may look. */
void
idem_done(struct req *r)
{
	if (r->idem.locked && db_idem_unlock(r->idem.lock) != 0)
		log_warn("idempotency: key lock not released");
	r->idem.locked = 0;
}

/* Another request with the key committed first: its answer, not ours.
 * What this one did is rolled back, the guard's code check with it (no
 * audit row of it, no outbox row of a spent recovery code). */
static void
lost_race(struct req *r)
{
	db_rollback();
	r->guard_passed = 0;
	if (r->answered)
		jsonapi_discard(r);
	if (!answer_stored(r)) {
		log_err("idempotency: a claimed key has no row");
		jsonapi_error(r, E_INTERNAL);
	}
}

void
idem_claim(struct req *r)
{
	int	 rc;

	if (!r->idem.active)
		return;
	if (!db_in_transaction()) {
		if (!is_one_unit(r))
			return;		/* stored after the work */
		if (db_begin() != 0) {
			jsonapi_db_error(r);
			return;
		}
	}
	/* The key's lock keeps a second request out; should one get here
	 * all the same (the lock lost with a connection), it waits on the
	 * row for the first's end and replays its answer. */
	rc = db_idem_claim(r->idem.index, r->side, r->acct.id, r->idem.body,
	    r->now);
	if (rc == DB_DUP)
		lost_race(r);
	else if (rc != 0) {
		db_rollback();
		jsonapi_db_error(r);
	} else
		r->idem.claimed = 1;
}

/* The held answer less this request's own lines, sealed. */
static int
seal_answer(struct req *r, unsigned char **box, size_t *boxlen,
    unsigned char nonce[SEAL_NONCE_BYTES])
{
	const char	*out;
	char		*plain;
	size_t		 len, n;
	int		 rc;

	out = jsonapi_held(r, &len);
	if (out == NULL || len == 0 || len > IDEM_ANSWER_MAX + 64)
		return -1;
	plain = xmalloc(len);
	if ((n = jsonapi_held_stored(r, plain, len)) == 0) {
		free(plain);
		return -1;
	}
	if (n > IDEM_ANSWER_MAX) {
		free(plain);
		return -1;
	}
	*box = xmalloc(n + SEAL_MAC_BYTES);
	*boxlen = n + SEAL_MAC_BYTES;
	rc = secret_seal(*box, nonce, (unsigned char *)plain, n,
	    r->idem.bind);
	wipe(plain, n);
	free(plain);
	if (rc != 0) {
		free(*box);
		*box = NULL;
	}
	return rc;
}

/*
 * A success's answer into the key's row, before the unit of work commits.
 * 0 stored (or nothing to store); 1 answered otherwise (a concurrent
 * request's answer replayed); -1 the unit of work failed (the caller
 * rolls back and answers 503/500).  A route that committed its work
 * already gets its answer stored in a transaction of its own, and keeps
 * its answer when that fails.
 */
int
idem_conclude(struct req *r)
{
	unsigned char	*box = NULL, nonce[SEAL_NONCE_BYTES];
	size_t		 boxlen = 0;
	int		 own = 0, rc;

	if (!r->idem.active || r->idem.replayed || !r->answered ||
	    r->status < 200 || r->status > 299)
		return 0;
	if (seal_answer(r, &box, &boxlen, nonce) != 0) {
		log_warn("idempotency: answer %d not stored (too large or "
		    "not sealed)", r->status);
		if (r->idem.claimed)
			return db_idem_forget(r->idem.index, r->now) == 0 ?
			    0 : -1;
		return 0;
	}
	if (!r->idem.claimed) {
		own = !db_in_transaction();
		if (own && db_begin() != 0)
			goto fail;
		if ((rc = db_idem_claim(r->idem.index, r->side, r->acct.id,
		    r->idem.body, r->now)) == DB_DUP) {
			free(box);
			lost_race(r);
			return 1;
		}
		if (rc != 0)
			goto fail;
	}
	if (db_idem_answer(r->idem.index, r->status, box, boxlen, nonce) != 0)
		goto fail;
	free(box);
	if (own && db_commit() != 0) {
		db_rollback();
		log_warn("idempotency: answer %d not stored", r->status);
	}
	return 0;
fail:
	free(box);
	if (!own)
		return -1;
	db_rollback();
	log_warn("idempotency: answer %d not stored", r->status);
	return 0;
}
