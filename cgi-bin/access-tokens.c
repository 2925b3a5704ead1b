/*
 * POST /access-tokens: a customer signs in with e-mail and password
 * (SPEC §3.1).  Unknown e-mail and wrong password answer alike, after the
 * same Argon2id work; failures count towards the sign-in limits.
 */
#include <string.h>

#include "glue.h"

static const struct field login_fields[] = {
	{ "username", F_STRING, REQ_MEMBER, NULL },
	{ "password", F_STRING, REQ_MEMBER, NULL },
};

static int
login(struct req *r)
{
	struct fval	 f[2];
	struct dbcol	 c[2];
	struct issued	 t;
	char		 hash[MAX_PASSWORD + 32];
	long		 retry;
	int		 rc, ok;

	if (fields_read(r, login_fields, nitems(login_fields), f) != 0)
		return -1;
	if ((rc = auth_login_limited(r, f[0].s, &retry)) < 0)
		return jsonapi_db_error(r);
	if (rc == 1) {
		log_info("login refused: limit reached");
		return jsonapi_error_retry(r, E_LOGIN_LIMIT, retry);
	}
	c[0] = (struct dbcol)DBC_INT;
	c[1] = (struct dbcol)DBC_TEXT(hash);
	rc = db_one(S_CUSTOMER_LOGIN, &DBV_TEXT(f[0].s), 1, c, 2);
	if (rc < 0)
		return jsonapi_db_error(r);
	if (rc == 0) {
		password_burn(f[1].s);
		ok = 0;
	} else
		ok = password_verify(hash, f[1].s);
	if (!ok) {
		log_info("login failed");
		if (auth_login_failed(r, f[0].s) != 0)
			return jsonapi_db_error(r);
		return jsonapi_error(r, E_LOGIN_FAILED);
	}
	if (auth_login_succeeded(r, f[0].s) != 0 ||
	    auth_issue(r, c[0].i, 0, &t) != 0)
		return jsonapi_db_error(r);
	log_info("login: customer %lld", c[0].i);
	rc = auth_send_tokens(r, "access-tokens", &t);
	wipe(&t, sizeof(t));
	return rc;
}

static const struct route routes[] = {
	{ M_POST, "access-tokens", "access-tokens", R_BODY, login },
};

GLUE_MAIN("access-tokens", routes)
