/*
 * /customers (contract §3.2): anonymous registration, and the signed-in
 * customer's own record: read, change, delete.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"

enum { F_FIRST, F_LAST, F_SALUTATION, F_EMAIL, F_LOCALE, F_PASSWORD,
    F_CONFIRM, F_TERMS };

static const struct field register_fields[] = {
	[F_FIRST] = { "firstName", F_STRING, REQ_VALUE, valid_name },
	[F_LAST] = { "lastName", F_STRING, REQ_VALUE, valid_name },
	[F_SALUTATION] = { "salutation", F_STRING, 0, valid_salutation },
	[F_EMAIL] = { "email", F_STRING, REQ_VALUE, valid_email },
	/* The mails' language (contract §10.9); checked by fields_locale. */
	[F_LOCALE] = { "locale", F_STRING, 0, NULL },
	[F_PASSWORD] = { "password", F_STRING, REQ_VALUE, valid_password },
	[F_CONFIRM] = { "confirmPassword", F_STRING, REQ_VALUE, NULL },
	[F_TERMS] = { "acceptedTerms", F_BOOL, REQ_VALUE, NULL },
};

static const struct field update_fields[] = {
	[F_FIRST] = { "firstName", F_STRING, 0, valid_name },
	[F_LAST] = { "lastName", F_STRING, 0, valid_name },
	[F_SALUTATION] = { "salutation", F_STRING, 0, valid_salutation },
	[F_EMAIL] = { "email", F_STRING, 0, valid_email },
	[F_LOCALE] = { "locale", F_STRING, 0, NULL },
};

/*
 * The e-mail as stored and compared: its canonical form (contract §3.9).
 * The field's rule has accepted it already.
 */
static int
canonical_email(struct req *r, struct fval *f, char *buf, size_t sz)
{
	if (f->s == NULL)
		return 0;
	if (email_canonical(buf, sz, f->s) != 0)
		return jsonapi_error_src(r, E_INVALID_FIELD, SRC_POINTER,
		    "/data/attributes/email"), -1;
	f->s = buf;
	return 0;
}

/* The customer as the resource shows it. */
struct customer {
	const char	*email, *salutation, *first, *last;
	const char	*locale;	/* NULL or "": none chosen */
	long long	 created, updated;
};

static cJSON *
customer_resource(struct req *r, long long id, const struct customer *c)
{
	cJSON	*a;
	char	 ref[32], self[MAX_PATH + 600], t[21];

	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "email", c->email);
	cJSON_AddStringToObject(a, "firstName", c->first);
	cJSON_AddStringToObject(a, "lastName", c->last);
	if (c->salutation != NULL)
		cJSON_AddStringToObject(a, "salutation", c->salutation);
	else
		cJSON_AddNullToObject(a, "salutation");
	if (c->locale != NULL && c->locale[0] != '\0')
		cJSON_AddStringToObject(a, "locale", c->locale);
	else
		cJSON_AddNullToObject(a, "locale");
	iso8601(t, c->created);
	cJSON_AddStringToObject(a, "createdAt", t);
	iso8601(t, c->updated);
	cJSON_AddStringToObject(a, "updatedAt", t);
	snprintf(ref, sizeof(ref), "DE--%lld", id);
	self_link(r, self, sizeof(self), "customers/%s", ref);
	return jsonapi_resource(r, "customers", ref, a, self);
}

/* The signed-in customer, as the authentication query read it (its
 * locale included: no second round trip). */
static struct customer
signed_in(const struct req *r)
{
	const struct account *a = &r->acct;

	return (struct customer){ a->email, a->extra_null ? NULL : a->extra,
	    a->first, a->last, a->locale[0] != '\0' ? a->locale : NULL,
	    a->created, a->updated };
}

static int
send_customer(struct req *r, int status, long long id,
    const struct customer *c, int collection)
{
	cJSON	*data, *arr;
	char	 self[MAX_PATH + 600];

	data = customer_resource(r, id, c);
	if (!collection)
		return jsonapi_send(r, status, jsonapi_document(data, NULL));
	arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, data);
	self_link(r, self, sizeof(self), "customers");
	return jsonapi_send(r, status, jsonapi_document(arr, self));
}

#define HOUR	3600L
#define MINUTE	60L

/*
 * The sign-up limits (contract §3.2): signup_limit_per_address per client
 * address an hour, signup_limit_global a minute over all addresses.  Each
 * counter row is locked from its hit to the commit, so parallel sign-ups
 * are counted one after the other.  An address over its limit is refused
 * before it counts against the global limit (one address cannot hold
 * everyone's sign-ups back).  0 passed, 1 refused (*retry set), -1.
 */
static int
signup_limited(struct req *r, long *retry)
{
	static const struct {
		const char	*kind;
		long		 window;
	} scope[] = { { "signup-address", HOUR }, { "signup-global", MINUTE } };
	unsigned char	 h[HASH_BYTES];
	long long	 hits, start;
	long		 limit;
	size_t		 i;

	if (db_begin() != 0)
		return -1;
	for (i = 0; i < nitems(scope); i++) {
		keyed_hash(h, scope[i].kind, i == 0 ? r->remote_addr : "*",
		    i == 0 ? strlen(r->remote_addr) : 1);
		limit = i == 0 ? cfg.signup_limit_per_address :
		    cfg.signup_limit_global;
		if (db_signup_hit(h, r->now, r->now - scope[i].window,
		    &hits, &start) != 0)
			goto fail;
		if (hits > limit) {
			*retry = (long)(start + scope[i].window - r->now);
			return db_commit() != 0 ? -1 : 1;
		}
	}
	return db_commit() != 0 ? -1 : 0;
fail:
	db_rollback();
	return -1;
}

/*
 * The new customer is confirmed now (customer_confirmation off), or waits
 * for the registration key mailed here: random, stored only as its keyed
 * hash, expiring after registration_key_ttl (contract §3.2).  Inside the
 * sign-up's transaction: a key that cannot be mailed undoes the sign-up.
 */
static int
confirmation_start(struct req *r, long long id, const char *to,
    const char *locale)
{
	char		 key[TOKEN_CHARS + 1];
	unsigned char	 h[HASH_BYTES];
	int		 rc;

	if (strcmp(cfg.customer_confirmation, "on") != 0)
		return db_customer_confirmed_at(id, r->now);
	token_new(key);
	keyed_hash(h, "registration-key", key, strlen(key));
	if (db_customer_key_set(id, h, r->now + cfg.registration_key_ttl) != 0) {
		wipe(key, sizeof(key));
		return -1;
	}
	rc = mail_registration(to, locale, key, cfg.registration_key_ttl);
	wipe(key, sizeof(key));
	if (rc != 0) {
		log_err("registration mail for customer %lld not handed over",
		    id);
		return -2;
	}
	return 0;
}

static int
create(struct req *r)
{
	struct fval	 f[nitems(register_fields)];
	struct customer	 c;
	char		 hash[MAX_PASSWORD + 32], email[MAX_EMAIL + 1];
	char		 locale[MAX_LOCALE + 1];
	long long	 rc;
	long		 retry = 0;
	int		 lim;

	if (fields_read(r, register_fields, nitems(register_fields), f) != 0 ||
	    canonical_email(r, &f[F_EMAIL], email, sizeof(email)) != 0 ||
	    fields_locale(r, &f[F_LOCALE], locale) != 0)
		return -1;
	if (strcmp(f[F_PASSWORD].s, f[F_CONFIRM].s) != 0)
		return jsonapi_error_src(r, E_PASSWORDS_DIFFER, SRC_POINTER,
		    "/data/attributes/confirmPassword");
	if (!f[F_TERMS].b)
		return jsonapi_error_src(r, E_INVALID_FIELD, SRC_POINTER,
		    "/data/attributes/acceptedTerms");
	/* Before any Argon2id work (contract §3.2). */
	if ((lim = signup_limited(r, &retry)) != 0)
		return lim < 0 ? jsonapi_db_error(r) :
		    jsonapi_error_retry(r, E_SIGNUP_LIMIT, retry);
	if (password_hash(hash, sizeof(hash), f[F_PASSWORD].s) != 0) {
		log_err("password hashing failed");
		return jsonapi_error(r, E_INTERNAL);
	}
	if (db_begin() != 0)
		return jsonapi_db_error(r);
	if ((rc = db_customer_insert(&(struct customer_fields){ f[F_EMAIL].s,
	    f[F_SALUTATION].s, f[F_FIRST].s, f[F_LAST].s, f[F_LOCALE].s }, hash,
	    r->now)) == DB_DUP) {
		db_rollback();
		return jsonapi_error_src(r, E_CUSTOMER_EXISTS, SRC_POINTER,
		    "/data/attributes/email");
	}
	if (rc < 0 || (lim = confirmation_start(r, rc, f[F_EMAIL].s,
	    f[F_LOCALE].s)) == -1 ||
	    (lim == 0 && db_commit() != 0)) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	if (lim == -2) {	/* no key mailed: no account */
		db_rollback();
		return jsonapi_error(r, E_UNAVAILABLE);
	}
	log_info("customer %lld registered", rc);
	c = (struct customer){ f[F_EMAIL].s, f[F_SALUTATION].s, f[F_FIRST].s,
	    f[F_LAST].s, f[F_LOCALE].s, (long long)r->now, (long long)r->now };
	return send_customer(r, 201, rc, &c, 0);
}

static int
list(struct req *r)
{
	struct customer	 c = signed_in(r);

	return send_customer(r, 200, r->acct.id, &c, 1);
}

static int
get(struct req *r)
{
	struct customer	 c = signed_in(r);

	return send_customer(r, 200, r->acct.id, &c, 0);
}

static int
update(struct req *r)
{
	struct fval	 f[nitems(update_fields)];
	struct customer	 c;
	char		 email[MAX_EMAIL + 1], locale[MAX_LOCALE + 1];
	long long	 rc;

	if (fields_read(r, update_fields, nitems(update_fields), f) != 0 ||
	    canonical_email(r, &f[F_EMAIL], email, sizeof(email)) != 0 ||
	    fields_locale(r, &f[F_LOCALE], locale) != 0)
		return -1;
	if ((rc = db_customer_update(r->acct.id, &(struct customer_fields){
	    f[F_EMAIL].s, f[F_SALUTATION].s, f[F_FIRST].s, f[F_LAST].s,
	    f[F_LOCALE].s }, r->now)) == DB_DUP)
		return jsonapi_error_src(r, E_CUSTOMER_EXISTS, SRC_POINTER,
		    "/data/attributes/email");
	if (rc < 0)
		return jsonapi_db_error(r);
	/* The row is the signed-in one with the changes. */
	c = signed_in(r);
	c.email = f[F_EMAIL].s != NULL ? f[F_EMAIL].s : c.email;
	c.salutation = f[F_SALUTATION].s != NULL ? f[F_SALUTATION].s :
	    c.salutation;
	c.first = f[F_FIRST].s != NULL ? f[F_FIRST].s : c.first;
	c.last = f[F_LAST].s != NULL ? f[F_LAST].s : c.last;
	c.locale = f[F_LOCALE].s != NULL ? f[F_LOCALE].s : c.locale;
	c.updated = (long long)r->now;
	return send_customer(r, 200, r->acct.id, &c, 0);
}

/* The account, its addresses (cascade) and its tokens go together. */
static int
delete(struct req *r)
{
	if (db_begin() != 0 || auth_purge_account(r, r->acct.id) != 0 ||
	    db_customer_delete(r->acct.id) != 0 ||
	    db_commit() != 0) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	log_info("customer %lld deleted", r->acct.id);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "customers", "customers", R_BODY, create },
	{ M_GET, "customers", "customers", R_AUTH, list },
	{ M_GET, "customers/:", "customers", R_AUTH | R_SELF, get },
	{ M_PATCH, "customers/:", "customers", R_AUTH | R_SELF | R_BODY,
	    update },
	{ M_DELETE, "customers/:", "customers", R_AUTH | R_SELF, delete },
};

GLUE_MAIN("customers", routes)
