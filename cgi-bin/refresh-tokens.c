/*
 * POST /refresh-tokens: rotation (contract §3.1, auth_refresh()).
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
	struct subject	 who = { r->side, r->acct.id };
	const char	*which = r->param[0];

	if (strcmp(which, "mine") == 0) {
		if (db_refresh_revoke_all(&who) != 0)
			return jsonapi_db_error(r);
	} else if (valid_token(which)) {
		auth_token_hash(h, r->side, which);
		if (db_refresh_revoke(&who, h) != 0)
			return jsonapi_db_error(r);
	}
	if (db_access_revoke(r->acct.token_id) != 0)
		return jsonapi_db_error(r);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "refresh-tokens", "refresh-tokens", R_BODY, refresh },
	{ M_DELETE, "refresh-tokens/:", "refresh-tokens", R_AUTH, sign_out },
};

GLUE_MAIN("refresh-tokens", routes)
