/*
 * POST /access-tokens: a customer signs in with e-mail and password
 * (contract §3.1), with X-MFA-Code when mfa_at_sign_in asks for it
 * (§10.12; a 5900 carries a passkey's request options in
 * errors[0].meta.publicKey); auth_login() has the rules.
 */
#include "glue.h"

static const struct field login_fields[] = {
	{ "username", F_STRING, REQ_MEMBER, NULL },
	{ "password", F_STRING, REQ_MEMBER, NULL },
};

static int
login(struct req *r)
{
	struct fval	 f[2];
	struct issued	 t;
	cJSON		*meta;
	long		 retry;
	int		 rc;

	if (fields_read(r, login_fields, nitems(login_fields), f) != 0)
		return -1;
	switch (auth_login(r, f[0].s, f[1].s, &t, &retry)) {
	case LOGIN_OK:
		rc = auth_send_tokens(r, "access-tokens", &t);
		wipe(&t, sizeof(t));
		return rc;
	case LOGIN_FAILED:
		return jsonapi_error(r, E_LOGIN_FAILED);
	case LOGIN_LIMITED:
		return jsonapi_error_retry(r, E_LOGIN_LIMIT, retry);
	/* mfa_at_sign_in (contract §10.12): the step-up header too, and a
	 * passkey's request options in the error's meta. */
	case LOGIN_MFA_MISSING:
		r->step_up = 1;
		if (r->mfa_options == NULL)
			return jsonapi_error(r, E_MFA_CODE_MISSING);
		meta = cJSON_CreateObject();
		cJSON_AddItemToObject(meta, "publicKey", r->mfa_options);
		r->mfa_options = NULL;
		return jsonapi_error_meta(r, E_MFA_CODE_MISSING, meta);
	case LOGIN_MFA_INVALID:
		r->step_up = 1;
		return jsonapi_error(r, E_MFA_CODE_INVALID);
	case LOGIN_MFA_LOCKED:
		return jsonapi_error_retry(r, E_MFA_LOCKED, retry);
	default:
		return jsonapi_db_error(r);
	}
}

static const struct route routes[] = {
	{ M_POST, "access-tokens", "access-tokens", R_BODY, login },
};

GLUE_MAIN("access-tokens", routes)
