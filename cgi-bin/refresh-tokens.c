/*
 * POST /refresh-tokens: rotation (SPEC §3.1, auth_refresh()).
 * DELETE /refresh-tokens/mine (or /{refreshToken}): sign-out.
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
