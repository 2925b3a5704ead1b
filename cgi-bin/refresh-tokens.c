/*
 * POST /refresh-tokens: rotation (SPEC §3.1).  A refresh token is used
 * once; a second use means it leaked, and the whole family (every access
 * and refresh token of that sign-in) is revoked.
 * DELETE /refresh-tokens/mine (or /{refreshToken}): sign-out.
 */
#include <string.h>

#include "glue.h"

static const struct field refresh_fields[] = {
	{ "refreshToken", F_STRING, REQ_MEMBER, NULL },
};

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

static int
refresh(struct req *r)
{
	unsigned char	 h[HASH_BYTES];
	struct fval	 f[1];
	struct dbcol	 c[6] = { DBC_INT, DBC_INT, DBC_INT, DBC_INT, DBC_INT,
			    DBC_INT };
	struct dbv	 v[2];
	struct issued	 t;
	int		 rc;

	if (fields_read(r, refresh_fields, nitems(refresh_fields), f) != 0)
		return -1;
	if (!valid_token(f[0].s))
		return jsonapi_error(r, E_REFRESH_FAILED);
	auth_token_hash(h, r->side, f[0].s);
	v[0] = DBV_BLOB(h, HASH_BYTES);
	v[1] = DBV_INT(r->side);
	if ((rc = db_one(S_REFRESH_BY_HASH, v, 2, c, 6)) < 0)
		return jsonapi_db_error(r);
	if (rc == 0 || c[4].i != 0 || c[5].i <= (long long)r->now)
		return jsonapi_error(r, E_REFRESH_FAILED);
	if (c[3].i == 0 && (rc = rotate(r, c[0].i, c[1].i, c[2].i, &t)) != 0) {
		if (rc < 0)
			return jsonapi_db_error(r);
		rc = auth_send_tokens(r, "refresh-tokens", &t);
		wipe(&t, sizeof(t));
		return rc;
	}
	log_warn("refresh token reused: family of account %lld revoked",
	    c[1].i);
	if (revoke_family(r, c[2].i) != 0)
		return jsonapi_db_error(r);
	return jsonapi_error(r, E_REFRESH_FAILED);
}

/* Sign-out: "mine" revokes every refresh token of the account. */
static int
sign_out(struct req *r)
{
	unsigned char	 h[HASH_BYTES];
	struct dbv	 v[3];
	const char	*which = r->param[0];

	if (strcmp(which, "mine") == 0) {
		v[0] = DBV_INT(r->side);
		v[1] = DBV_INT(r->acct.id);
		if (db_exec(S_REFRESH_REVOKE_ACCOUNT, v, 2) < 0)
			return jsonapi_db_error(r);
	} else if (valid_token(which)) {
		auth_token_hash(h, r->side, which);
		v[0] = DBV_BLOB(h, HASH_BYTES);
		v[1] = DBV_INT(r->side);
		v[2] = DBV_INT(r->acct.id);
		if (db_exec(S_REFRESH_REVOKE_ONE, v, 3) < 0)
			return jsonapi_db_error(r);
	}
	v[0] = DBV_INT(r->acct.token_id);
	if (db_exec(S_ACCESS_REVOKE_ONE, v, 1) < 0)
		return jsonapi_db_error(r);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "refresh-tokens", "refresh-tokens", R_BODY, refresh },
	{ M_DELETE, "refresh-tokens/:", "refresh-tokens", R_AUTH, sign_out },
};

GLUE_MAIN("refresh-tokens", routes)
