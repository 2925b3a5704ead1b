/*
 * POST /backend/customer-multi-factor-auth-type-deactivate (contract §3.3):
 * an administrator switches off a customer's method, for a customer
 * locked out of it.  Protected by default: the administrator's own code
 * is needed when they have an active method.  mfa_admin_off() audits
 * (naming both accounts) and tells the customer by mail.
 *
 * Answers: 204; attributes.type not offered or not active for that
 * customer 5906 (400); no type: every active method is switched off, in
 * one transaction, one audit row each and one notice (contract §10.7),
 * 5906 when none is active; customerReference missing or not a string
 * 400 code 101; a reference that names no customer 404 5907.
 */
#include "glue.h"

static const struct field rescue_fields[] = {
	{ "customerReference", F_STRING, REQ_MEMBER, NULL },
	{ "type", F_STRING, 0, NULL },
};

static int
rescue(struct req *r)
{
	struct fval	 f[2];
	struct subject	 who = { SIDE_STOREFRONT, 0 };
	enum err	 e;

	if (fields_read(r, rescue_fields, nitems(rescue_fields), f) != 0)
		return -1;
	/* No type (absent, null or ""): every active method (contract
	 * §10.7), as Spryker's Back Office does. */
	if ((who.id = customer_ref_id(f[0].s)) == 0)
		e = E_CUSTOMER_NOT_FOUND;
	else
		e = mfa_admin_off(r, &who, f[1].s != NULL && f[1].s[0] != '\0' ?
		    f[1].s : NULL, r->acct.id, NULL);
	/* The rescue names its unknown customer with 404 (contract §3.3). */
	if (e == E_CUSTOMER_NOT_FOUND)
		e = E_RESCUE_NO_CUSTOMER;
	return e == E_NONE ? jsonapi_no_content(r) : jsonapi_error(r, e);
}

static const struct route routes[] = {
	{ M_POST, "customer-multi-factor-auth-type-deactivate",
	    "customer-multi-factor-auth-type-deactivate", R_AUTH | R_BODY,
	    rescue },
};

GLUE_MAIN("customer-multi-factor-auth-type-deactivate", routes)
