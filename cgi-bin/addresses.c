/*
 * /customers/{ref}/addresses[/{uuid}] (SPEC §3.2): the signed-in
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

/* One row of S_ADDRESS_LIST / S_ADDRESS_GET. */
struct address {
	char		 uuid[40];
	char		 salutation[8];
	char		 first[4 * MAX_NAME + 1];
	char		 last[4 * MAX_NAME + 1];
	char		 address1[4 * MAX_ADDRESS_LINE + 1];
	char		 address2[4 * MAX_ADDRESS_LINE + 1];
	char		 zip[4 * MAX_ZIP + 1];
	char		 city[4 * MAX_NAME + 1];
	char		 iso2[4];
	struct dbcol	 col[11];
};

static void
address_bind(struct address *a)
{
	a->col[0] = (struct dbcol)DBC_TEXT(a->uuid);
	a->col[1] = (struct dbcol)DBC_TEXT(a->salutation);
	a->col[2] = (struct dbcol)DBC_TEXT(a->first);
	a->col[3] = (struct dbcol)DBC_TEXT(a->last);
	a->col[4] = (struct dbcol)DBC_TEXT(a->address1);
	a->col[5] = (struct dbcol)DBC_TEXT(a->address2);
	a->col[6] = (struct dbcol)DBC_TEXT(a->zip);
	a->col[7] = (struct dbcol)DBC_TEXT(a->city);
	a->col[8] = (struct dbcol)DBC_TEXT(a->iso2);
	a->col[9] = (struct dbcol)DBC_INT;
	a->col[10] = (struct dbcol)DBC_INT;
}

static cJSON *
address_resource(struct req *r, const struct address *a)
{
	cJSON	*o;
	char	 self[MAX_PATH + 600];

	o = cJSON_CreateObject();
	if (a->col[1].null)
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
	cJSON_AddBoolToObject(o, "isDefaultShipping", a->col[9].i != 0);
	cJSON_AddBoolToObject(o, "isDefaultBilling", a->col[10].i != 0);
	self_link(r, self, sizeof(self), "customers/%s/addresses/%s",
	    r->param[0], a->uuid);
	return jsonapi_resource(r, "addresses", a->uuid, o, self);
}

/* Answers one address; 404 when the customer has no such address. */
static int
send_address(struct req *r, int status, const char *uuid)
{
	struct address	 a;
	struct dbv	 v[2];
	int		 rc;

	address_bind(&a);
	v[0] = DBV_INT(r->acct.id);
	v[1] = DBV_TEXT(uuid);
	if ((rc = db_one(S_ADDRESS_GET, v, 2, a.col, 11)) < 0)
		return jsonapi_db_error(r);
	if (rc == 0)
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	return jsonapi_send(r, status, jsonapi_document(
	    address_resource(r, &a), NULL));
}

static int
list(struct req *r)
{
	struct address	 a;
	cJSON		*arr;
	char		 self[MAX_PATH + 600];
	int		 rc;

	if (auth_is_self(r, r->param[0]) != 0)
		return -1;
	address_bind(&a);
	if (db_select(S_ADDRESS_LIST, &DBV_INT(r->acct.id), 1, a.col, 11) != 0)
		return jsonapi_db_error(r);
	arr = cJSON_CreateArray();
	while ((rc = db_fetch(S_ADDRESS_LIST, a.col, 11)) == 1)
		cJSON_AddItemToArray(arr, address_resource(r, &a));
	db_finish(S_ADDRESS_LIST);
	if (rc < 0) {
		cJSON_Delete(arr);
		return jsonapi_db_error(r);
	}
	self_link(r, self, sizeof(self), "customers/%s/addresses",
	    r->param[0]);
	return jsonapi_send(r, 200, jsonapi_document(arr, self));
}

static int
get(struct req *r)
{
	if (auth_is_self(r, r->param[0]) != 0)
		return -1;
	if (!valid_uuid(r->param[1]))
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	return send_address(r, 200, r->param[1]);
}

/* Clears the other addresses' defaults where this one takes them. */
static int
clear_defaults(struct req *r, const char *uuid, const struct fval *f)
{
	struct dbv	 v[2];

	v[0] = DBV_INT(r->acct.id);
	v[1] = DBV_TEXT(uuid);
	if (f[A_SHIPPING].present && f[A_SHIPPING].b &&
	    db_exec(S_ADDRESS_CLEAR_SHIPPING, v, 2) < 0)
		return -1;
	if (f[A_BILLING].present && f[A_BILLING].b &&
	    db_exec(S_ADDRESS_CLEAR_BILLING, v, 2) < 0)
		return -1;
	return 0;
}

static struct dbv
opt_bool(const struct fval *f)
{
	return f->present ? DBV_INT(f->b) : DBV_NULL;
}

static int
create(struct req *r)
{
	struct fval	 f[A__COUNT];
	struct dbcol	 c[1] = { DBC_INT };
	struct dbv	 v[14];
	char		 uuid[37];
	int		 i;

	if (auth_is_self(r, r->param[0]) != 0 ||
	    fields_read(r, create_fields, A__COUNT, f) != 0)
		return -1;
	uuid_v4(uuid);
	/* The customer row lock serialises creations: the cap holds. */
	if (db_begin() != 0 ||
	    db_one(S_CUSTOMER_LOCK, &DBV_INT(r->acct.id), 1, c, 1) != 1 ||
	    db_one(S_ADDRESS_COUNT, &DBV_INT(r->acct.id), 1, c, 1) != 1)
		goto fail;
	if (c[0].i >= MAX_ADDRESSES) {
		db_rollback();
		return jsonapi_error(r, E_TOO_MANY_ADDRESSES);
	}
	v[0] = DBV_TEXT(uuid);
	v[1] = DBV_INT(r->acct.id);
	for (i = A_SALUTATION; i <= A_ISO2; i++)
		v[2 + i] = DBV_OPT(f[i].s);
	if (f[A_ADDRESS2].s == NULL)
		v[2 + A_ADDRESS2] = DBV_TEXT("");
	v[10] = DBV_INT(f[A_SHIPPING].b);
	v[11] = DBV_INT(f[A_BILLING].b);
	v[12] = DBV_INT((long long)r->now);
	v[13] = DBV_INT((long long)r->now);
	if (db_exec(S_ADDRESS_INSERT, v, 14) != 1 ||
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
	struct dbv	 v[13];
	long long	 n;
	int		 i;

	if (auth_is_self(r, r->param[0]) != 0 ||
	    fields_read(r, update_fields, A__COUNT, f) != 0)
		return -1;
	if (!valid_uuid(r->param[1]))
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	for (i = A_SALUTATION; i <= A_ISO2; i++)
		v[i] = DBV_OPT(f[i].s);
	v[8] = opt_bool(&f[A_SHIPPING]);
	v[9] = opt_bool(&f[A_BILLING]);
	v[10] = DBV_INT((long long)r->now);
	v[11] = DBV_INT(r->acct.id);
	v[12] = DBV_TEXT(r->param[1]);
	if (db_begin() != 0 || (n = db_exec(S_ADDRESS_UPDATE, v, 13)) < 0)
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
	struct dbv	 v[2];
	long long	 n;

	if (auth_is_self(r, r->param[0]) != 0)
		return -1;
	if (!valid_uuid(r->param[1]))
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	v[0] = DBV_INT(r->acct.id);
	v[1] = DBV_TEXT(r->param[1]);
	if ((n = db_exec(S_ADDRESS_DELETE, v, 2)) < 0)
		return jsonapi_db_error(r);
	if (n == 0)
		return jsonapi_error(r, E_ADDRESS_NOT_FOUND);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_GET, "customers/:/addresses", "addresses", R_AUTH, list },
	{ M_POST, "customers/:/addresses", "addresses", R_AUTH | R_BODY,
	    create },
	{ M_GET, "customers/:/addresses/:", "addresses", R_AUTH, get },
	{ M_PATCH, "customers/:/addresses/:", "addresses", R_AUTH | R_BODY,
	    update },
	{ M_DELETE, "customers/:/addresses/:", "addresses", R_AUTH, delete },
};

GLUE_MAIN("addresses", routes)
