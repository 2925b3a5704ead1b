/*
 * POST /customer-confirmation (contract §3.2): a customer confirms the
 * e-mail address given at sign-up with the registration key mailed to it,
 * as in Spryker's Glue API.  Anonymous: the key (256 random bits) is the
 * proof.  A key works once and until registration_key_ttl has passed.
 */
#include <string.h>

#include "glue.h"

static const struct field confirm_fields[] = {
	{ "registrationKey", F_STRING, REQ_VALUE, NULL },
};

static int
confirm(struct req *r)
{
	struct fval	 f[1];
	unsigned char	 h[HASH_BYTES];
	long long	 id;

	if (fields_read(r, confirm_fields, nitems(confirm_fields), f) != 0)
		return -1;
	if (!valid_token(f[0].s))
		return jsonapi_error(r, E_CONFIRMATION_INVALID);
	keyed_hash(h, "registration-key", f[0].s, strlen(f[0].s));
	if ((id = db_customer_confirm(h, r->now)) < 0)
		return jsonapi_db_error(r);
	if (id == 0)
		return jsonapi_error(r, E_CONFIRMATION_INVALID);
	log_info("customer %lld confirmed", id);
	audit(r, SIDE_STOREFRONT, id, 0, "confirmation", NULL, E_NONE);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "customer-confirmation", "customer-confirmation", R_BODY,
	    confirm },
};

GLUE_MAIN("customer-confirmation", routes)
