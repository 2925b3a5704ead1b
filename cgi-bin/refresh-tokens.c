/*
 * POST /refresh-tokens: rotation (contract §3.1, auth_refresh()).
 * DELETE /refresh-tokens/mine, /current (or /{refreshToken}): sign-out.
 */
#include <string.h>

#include "glue.h"

static const struct field refresh_fields[] = {
	{ "refreshToken", F_STRING, REQ_MEMBER, NULL },
};

static int
refresh(struct req *r)
{
	struct fval	 f[1];
	struct issued	 t;
	int		 rc;

	if (fields_read(r, refresh_fields, nitems(refresh_fields), f) != 0)
		return -1;
	if ((rc = auth_refresh(r, f[0].s, &t)) < 0)
		return jsonapi_db_error(r);
	if (rc == 0)
		return jsonapi_error(r, E_REFRESH_FAILED);
	rc = auth_send_tokens(r, "refresh-tokens", &t);
	wipe(&t, sizeof(t));
	return rc;
}

/* Sign-out ends the account's unused codes too (contract §3.1). */
static int
codes_drop(struct req *r)
{
	struct subject	 who = { r->side, r->acct.id };

	return db_mfa_codes_drop(&who);
}

/*
 * A refresh token named in the path: the caller's own ends its sign-in
 * (family); another account's, an unknown or a malformed one is answered
 * alike and revokes only the calling access token.  The path lands in web
 * server logs: clients use /current or /mine (contract §3.1).
 */
static int
revoke_named(struct req *r, const char *token)
{
	unsigned char	 h[HASH_BYTES];
	struct refresh_row rt;
	int		 rc;

	if (!valid_token(token))
		return db_access_revoke(r->acct.token_id);
	auth_token_hash(h, r->side, token);
	if ((rc = db_refresh_get(r->side, h, &rt)) < 0)
		return -1;
	if (rc == 1 && rt.account == r->acct.id &&
	    db_family_revoke(r->side, rt.family) != 0)
		return -1;
	return db_access_revoke(r->acct.token_id);
}

/*
 * Sign-out (contract §3.1): "mine" keeps Spryker's meaning, every refresh
 * token of the account, and ends every access token with them: every
 * session.  "current" ends the calling session only: the access and
 * refresh tokens of its sign-in.  Any other value: revoke_named().
 */
static int
sign_out(struct req *r)
{
	struct subject	 who = { r->side, r->acct.id };
	const char	*which = r->param[0];
	int		 rc;

	if (db_begin() != 0)
		return jsonapi_db_error(r);
	if (strcmp(which, "mine") == 0)
		rc = db_tokens_revoke_others(&who, 0);
	else if (strcmp(which, "current") == 0)
		rc = db_family_revoke(r->side, r->acct.family);
	else
		rc = revoke_named(r, which);
	if (rc != 0 || codes_drop(r) != 0 || db_commit() != 0) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "refresh-tokens", "refresh-tokens", R_BODY, refresh },
	{ M_DELETE, "refresh-tokens/:", "refresh-tokens", R_AUTH, sign_out },
};

GLUE_MAIN("refresh-tokens", routes)
