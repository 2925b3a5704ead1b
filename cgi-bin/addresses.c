/*
 * /customers/{ref}/addresses[/{uuid}] (contract §3.2): the signed-in
 * customer's addresses.  At most one default shipping and one default
 * billing address: setting one clears the others in the same transaction.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"

enum { A_SALUTATION, A_FIRST, A_LAST, A_ADDRESS1, A_ADDRESS2, A_ZIP, A_CITY,
    A_ISO2, A_SHIPPING, A_BILLING, A__COUNT };

static const struct field create_fields[A__COUNT] = {
	[A_SALUTATION] = { "salutation", F_STRING, 0, valid_salutation },
	[A_FIRST] = { "firstName", F_STRING, REQ_VALUE, valid_name },
	[A_LAST] = { "lastName", F_STRING, REQ_VALUE, valid_name },
	[A_ADDRESS1] = { "address1", F_STRING, REQ_VALUE, valid_line },
	[A_ADDRESS2] = { "address2", F_STRING, 0, valid_line_opt },
	[A_ZIP] = { "zipCode", F_STRING, REQ_VALUE, valid_zip },
	[A_CITY] = { "city", F_STRING, REQ_VALUE, valid_name },
	[A_ISO2] = { "iso2Code", F_STRING, REQ_VALUE, valid_iso2 },
	[A_SHIPPING] = { "isDefaultShipping", F_BOOL, 0, NULL },
	[A_BILLING] = { "isDefaultBilling", F_BOOL, 0, NULL },
};

static const struct field update_fields[A__COUNT] = {
	[A_SALUTATION] = { "salutation", F_STRING, 0, valid_salutation },
	[A_FIRST] = { "firstName", F_STRING, 0, valid_name },
	[A_LAST] = { "lastName", F_STRING, 0, valid_name },
	[A_ADDRESS1] = { "address1", F_STRING, 0, valid_line },
	[A_ADDRESS2] = { "address2", F_STRING, 0, valid_line_opt },
	[A_ZIP] = { "zipCode", F_STRING, 0, valid_zip },
	[A_CITY] = { "city", F_STRING, 0, valid_name },
	[A_ISO2] = { "iso2Code", F_STRING, 0, valid_iso2 },
	[A_SHIPPING] = { "isDefaultShipping", F_BOOL, 0, NULL },
	[A_BILLING] = { "isDefaultBilling", F_BOOL, 0, NULL },
};

static cJSON *
address_resource(struct req *r, const struct address_row *a)
{
	cJSON	*o;
	char	 self[MAX_PATH + 600];

	o = cJSON_CreateObject();
	if (a->salutation_null)
		cJSON_AddNullToObject(o, "salutation");
	else
		cJSON_AddStringToObject(o, "salutation", a->salutation);
	cJSON_AddStringToObject(o, "firstName", a->first);
	cJSON_AddStringToObject(o, "lastName", a->last);
	cJSON_AddStringToObject(o, "address1", a->address1);
	cJSON_AddStringToObject(o, "address2", a->address2);
	cJSON_AddStringToObject(o, "zipCode", a->zip);
	cJSON_AddStringToObject(o, "city", a->city);
	cJSON_AddStringToObject(o, "iso2Code", a->iso2);
	cJSON_AddBoolToObject(o, "isDefaultShipping", a->shipping);
	cJSON_AddBoolToObject(o, "isDefaultBilling", a->billing);
	self_link(r, self, sizeof(self), "customers/%s/addresses/%s",
	    r->param[0], a->uuid);
	return jsonapi_resource(r, "addresses", a->uuid, o, self);
}

/* Answers one address; 404 when the customer has no such address. */
static int
send_address(struct req *r, int status, const char *uuid)
{
	struct address_row a;
	int		 rc;

	if ((rc = db_address_get(r->acct.id, uuid, &a)) < 0)
		return jsonapi_db_error(r);
	if (rc == 0)
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	return jsonapi_send(r, status, jsonapi_document(
	    address_resource(r, &a), NULL));
}

struct listing {
	struct req	*r;
	cJSON		*arr;
};

static void
list_add(const struct address_row *a, void *arg)
{
	struct listing	*l = arg;

	cJSON_AddItemToArray(l->arr, address_resource(l->r, a));
}

/* A page of the customer's addresses, oldest first (contract §10.10). */
static int
list(struct req *r)
{
	struct listing	 l = { r, cJSON_CreateArray() };
	char		 path[MAX_PATH + 64];
	long long	 total;

	if ((total = db_address_count(r->acct.id)) < 0 ||
	    db_address_iterate(r->acct.id, r->q.offset, r->q.limit, list_add,
	    &l) < 0) {
		cJSON_Delete(l.arr);
		return jsonapi_db_error(r);
	}
	snprintf(path, sizeof(path), "customers/%s/addresses", r->param[0]);
	return jsonapi_send(r, 200, jsonapi_page(r, l.arr, path, total));
}

static int
get(struct req *r)
{
	if (!valid_uuid(r->param[1]))
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	return send_address(r, 200, r->param[1]);
}

/* Clears the other addresses' defaults where this one takes them. */
static int
clear_defaults(struct req *r, const char *uuid, const struct fval *f)
{
	return db_address_clear_defaults(r->acct.id, uuid,
	    f[A_SHIPPING].present && f[A_SHIPPING].b,
	    f[A_BILLING].present && f[A_BILLING].b) != 0 ? -1 : 0;
}

/* The fields as read; a boolean not sent is -1 (update: unchanged). */
static struct address_fields
fields_of(const struct fval *f)
{
	return (struct address_fields){ f[A_SALUTATION].s, f[A_FIRST].s,
	    f[A_LAST].s, f[A_ADDRESS1].s, f[A_ADDRESS2].s, f[A_ZIP].s,
	    f[A_CITY].s, f[A_ISO2].s,
	    f[A_SHIPPING].present ? f[A_SHIPPING].b : -1,
	    f[A_BILLING].present ? f[A_BILLING].b : -1 };
}

static int
create(struct req *r)
{
	struct fval	 f[A__COUNT];
	struct address_fields a;
	char		 uuid[37];
	long long	 n;

	if (fields_read(r, create_fields, A__COUNT, f) != 0)
		return -1;
	uuid_v4(uuid);
	/* The account's lock serialises creations, on every Galera node
	 * too: the cap holds. */
	if (db_begin() != 0 || db_account_lock(&(struct subject){
	    SIDE_STOREFRONT, r->acct.id }) != 0 ||
	    (n = db_address_count(r->acct.id)) < 0)
		goto fail;
	if (n >= MAX_ADDRESSES) {
		db_rollback();
		return jsonapi_error(r, E_TOO_MANY_ADDRESSES);
	}
	a = fields_of(f);
	if (a.address2 == NULL)
		a.address2 = "";
	a.shipping = f[A_SHIPPING].b;
	a.billing = f[A_BILLING].b;
	if (db_address_insert(r->acct.id, uuid, &a, r->now) != 0 ||
	    clear_defaults(r, uuid, f) != 0 || db_commit() != 0)
		goto fail;
	return send_address(r, 201, uuid);
fail:
	db_rollback();
	return jsonapi_db_error(r);
}

static int
update(struct req *r)
{
	struct fval	 f[A__COUNT];
	struct address_fields a;
	long long	 n;

	if (fields_read(r, update_fields, A__COUNT, f) != 0)
		return -1;
	if (!valid_uuid(r->param[1]))
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	a = fields_of(f);
	if (db_begin() != 0 ||
	    (n = db_address_update(r->acct.id, r->param[1], &a, r->now)) < 0)
		goto fail;
	if (n == 0) {
		db_rollback();
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	}
	if (clear_defaults(r, r->param[1], f) != 0 || db_commit() != 0)
		goto fail;
	return send_address(r, 200, r->param[1]);
fail:
	db_rollback();
	return jsonapi_db_error(r);
}

static int
delete(struct req *r)
{
	long long	 n;

	if (!valid_uuid(r->param[1]))
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	if ((n = db_address_delete(r->acct.id, r->param[1])) < 0)
		return jsonapi_db_error(r);
	if (n == 0)
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_GET, "customers/:/addresses", "addresses",
	    R_AUTH | R_SELF | R_PAGED, list },
	{ M_POST, "customers/:/addresses", "addresses",
	    R_AUTH | R_SELF | R_BODY, create },
	{ M_GET, "customers/:/addresses/:", "addresses", R_AUTH | R_SELF, get },
	{ M_PATCH, "customers/:/addresses/:", "addresses",
	    R_AUTH | R_SELF | R_BODY, update },
	{ M_DELETE, "customers/:/addresses/:", "addresses", R_AUTH | R_SELF,
	    delete },
};

GLUE_MAIN("addresses", routes)
