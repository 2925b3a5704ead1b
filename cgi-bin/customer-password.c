/*
 * PATCH /customer-password/{ref} (contract §3.2): the current password, the
 * new one twice.  The current password is checked under the sign-in limits
 * and audited (contract §3.6).  The calling token stays valid; every other
 * token of the customer is revoked, in the same transaction as the change.
 */
#include <string.h>

#include "glue.h"

enum { F_PASSWORD, F_NEW, F_CONFIRM };

static const struct field password_fields[] = {
	[F_PASSWORD] = { "password", F_STRING, REQ_VALUE, NULL },
	[F_NEW] = { "newPassword", F_STRING, REQ_VALUE, valid_password },
	[F_CONFIRM] = { "confirmPassword", F_STRING, REQ_VALUE, NULL },
};

static int
change(struct req *r)
{
	struct fval	 f[nitems(password_fields)];
	char		 hash[MAX_PASSWORD + 32];
	long		 retry;
	int		 rc;

	if (fields_read(r, password_fields, nitems(password_fields), f) != 0)
		return -1;
	if (strcmp(f[F_NEW].s, f[F_CONFIRM].s) != 0)
		return jsonapi_error_src(r, E_PASSWORDS_DIFFER, SRC_POINTER,
		    "/data/attributes/confirmPassword");
	rc = db_customer_password(r->acct.id, hash, sizeof(hash));
	if (rc < 0)
		return jsonapi_db_error(r);
	if (rc == 0)
		return jsonapi_error(r, E_UNAUTHORIZED);
	/* Limited and audited like a sign-in (contract §3.6). */
	switch (auth_password_check(r, hash, f[F_PASSWORD].s, &retry)) {
	case PASSWORD_OK:
		break;
	case PASSWORD_WRONG:
		log_info("password change refused: wrong current password");
		return jsonapi_error_src(r, E_WRONG_PASSWORD, SRC_POINTER,
		    "/data/attributes/password");
	case PASSWORD_LIMITED:
		return jsonapi_error_retry(r, E_LOGIN_LIMIT, retry);
	default:
		return jsonapi_db_error(r);
	}
	if (password_hash(hash, sizeof(hash), f[F_NEW].s) != 0)
		return jsonapi_error(r, E_INTERNAL);
	/* The change, its audit row and the counts' end: one transaction. */
	if (db_begin() != 0 ||
	    db_customer_password_set(r->acct.id, hash, r->now) != 0 ||
	    auth_revoke_others(r) != 0 || auth_password_passed(r) != 0 ||
	    db_commit() != 0) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	log_info("customer %lld changed the password", r->acct.id);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_PATCH, "customer-password/:", "customer-password",
	    R_AUTH | R_SELF | R_BODY | R_PASSWORD, change },
};

GLUE_MAIN("customer-password", routes)
