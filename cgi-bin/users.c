/*
 * /backend/users (contract §3.3): back-office users.  Any signed-in user may
 * manage users (the Backend API has no roles yet); nobody may block or
 * delete their own account.  A blocked user's tokens stop at once (the
 * token check requires an active user); a password set by someone else,
 * or a block, also revokes the user's tokens.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"

enum { U_USERNAME, U_PASSWORD, U_FIRST, U_LAST, U_STATUS, U_LOCALE,
    U_CURRENT, U__COUNT };

static const struct field create_fields[U_CURRENT] = {
	[U_USERNAME] = { "username", F_STRING, REQ_VALUE, valid_email },
	[U_PASSWORD] = { "password", F_STRING, REQ_VALUE, valid_password },
	[U_FIRST] = { "firstName", F_STRING, REQ_VALUE, valid_name },
	[U_LAST] = { "lastName", F_STRING, REQ_VALUE, valid_name },
	[U_STATUS] = { "status", F_STRING, 0, valid_user_status },
	/* The mails' language (contract §10.9); checked by fields_locale. */
	[U_LOCALE] = { "locale", F_STRING, 0, NULL },
};

static const struct field update_fields[U__COUNT] = {
	[U_USERNAME] = { "username", F_STRING, 0, valid_email },
	[U_PASSWORD] = { "password", F_STRING, 0, valid_password },
	[U_FIRST] = { "firstName", F_STRING, 0, valid_name },
	[U_LAST] = { "lastName", F_STRING, 0, valid_name },
	[U_STATUS] = { "status", F_STRING, 0, valid_user_status },
	[U_LOCALE] = { "locale", F_STRING, 0, NULL },
	/* One's own new password needs the current one (contract §3.6). */
	[U_CURRENT] = { "currentPassword", F_STRING, 0, NULL },
};

/* The username as stored and compared (contract §3.9); the rule passed. */
static int
canonical_username(struct req *r, struct fval *f, char *buf, size_t sz)
{
	if (f->s == NULL)
		return 0;
	if (email_canonical(buf, sz, f->s) != 0)
		return jsonapi_error_src(r, E_INVALID_FIELD, SRC_POINTER,
		    "/data/attributes/username"), -1;
	f->s = buf;
	return 0;
}

static cJSON *
user_resource(struct req *r, const struct user_row *u)
{
	cJSON	*a;
	char	 self[MAX_PATH + 600], t[21];

	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "username", u->username);
	cJSON_AddStringToObject(a, "firstName", u->first);
	cJSON_AddStringToObject(a, "lastName", u->last);
	cJSON_AddStringToObject(a, "status", u->active ? "active" : "blocked");
	if (u->locale[0] != '\0')
		cJSON_AddStringToObject(a, "locale", u->locale);
	else
		cJSON_AddNullToObject(a, "locale");
	iso8601(t, u->created);
	cJSON_AddStringToObject(a, "createdAt", t);
	iso8601(t, u->updated);
	cJSON_AddStringToObject(a, "updatedAt", t);
	self_link(r, self, sizeof(self), "users/%s", u->uuid);
	return jsonapi_resource(r, "users", u->uuid, a, self);
}

/* 1 found, 0 not, DB_ERR. */
static int
user_load(const char *uuid, struct user_row *u)
{
	if (!valid_uuid(uuid))
		return 0;
	return db_user_get(uuid, u);
}

static int
send_user(struct req *r, int status, const char *uuid)
{
	struct user_row	 u;
	int		 rc;

	if ((rc = user_load(uuid, &u)) < 0)
		return jsonapi_db_error(r);
	if (rc == 0)
		return jsonapi_error(r, E_USER_UNKNOWN);
	return jsonapi_send(r, status, jsonapi_document(user_resource(r, &u),
	    NULL));
}

struct listing {
	struct req	*r;
	cJSON		*arr;
};

static void
list_add(const struct user_row *u, void *arg)
{
	struct listing	*l = arg;

	cJSON_AddItemToArray(l->arr, user_resource(l->r, u));
}

/* A page of the users, oldest first (contract §10.10). */
static int
list(struct req *r)
{
	struct listing	 l = { r, cJSON_CreateArray() };
	long long	 total;

	if (db_user_iterate(r->q.offset, r->q.limit, list_add, &l,
	    &total) < 0) {
		cJSON_Delete(l.arr);
		return jsonapi_db_error(r);
	}
	return jsonapi_send(r, 200, jsonapi_page(r, l.arr, "users", total));
}

static int
get(struct req *r)
{
	return send_user(r, 200, r->param[0]);
}

static int
create(struct req *r)
{
	struct fval	 f[U__COUNT];
	char		 hash[MAX_PASSWORD + 32], uuid[37], name[MAX_EMAIL + 1];
	char		 locale[MAX_LOCALE + 1];
	long long	 rc;

	if (fields_read(r, create_fields, U_CURRENT, f) != 0 ||
	    canonical_username(r, &f[U_USERNAME], name, sizeof(name)) != 0 ||
	    fields_locale(r, &f[U_LOCALE], locale) != 0)
		return -1;
	if (password_hash(hash, sizeof(hash), f[U_PASSWORD].s) != 0)
		return jsonapi_error(r, E_INTERNAL);
	uuid_v4(uuid);
	if ((rc = db_user_insert(uuid, &(struct user_fields){ f[U_USERNAME].s,
	    hash, f[U_FIRST].s, f[U_LAST].s, f[U_STATUS].s == NULL ||
	    strcmp(f[U_STATUS].s, "active") == 0, f[U_LOCALE].s }, r->now)) ==
	    DB_DUP)
		return jsonapi_error_src(r, E_USER_EXISTS, SRC_POINTER,
		    "/data/attributes/username");
	if (rc < 0)
		return jsonapi_db_error(r);
	log_info("user %lld created by user %lld", rc, r->acct.id);
	return send_user(r, 201, uuid);
}

/* Tokens of a user whose password another user set, or who is blocked. */
static int
revoke_user(struct req *r, long long id)
{
	struct req	 other = *r;

	other.acct.id = id;
	other.acct.token_id = 0;
	return auth_revoke_others(&other);
}

/*
 * A new username (contract §3.3): the user's sessions and unused codes end
 * with the old one (the caller's own token stays when it renames itself),
 * inside the change's transaction.
 */
static int
rename_end(struct req *r, const struct user_row *u, int self)
{
	struct subject	 who = { SIDE_BACKEND, u->id };

	if ((self ? auth_revoke_others(r) : revoke_user(r, u->id)) != 0)
		return -1;
	return db_mfa_codes_drop(&who);
}

/* Both addresses are told: notices queued in the change's transaction
 * (contract §9.3), handed over after its commit. */
static int
rename_notify(struct req *r, const struct user_row *u, const char *to)
{
	struct subject	 who = { SIDE_BACKEND, u->id };

	return outbox_add(r, &who, u->username, NOTICE_USERNAME_OLD) != 0 ||
	    outbox_add(r, &who, to, NOTICE_USERNAME_NEW) != 0 ? -1 : 0;
}

/*
 * One's own new password: the current one, checked under the sign-in
 * limits and audited (contract §3.6).  0, or -1 answered.  Another user's
 * password is set without it (an administrator's act, audited by revoking
 * that user's tokens).
 */
static int
own_password(struct req *r, const struct fval *f)
{
	char		 hash[MAX_PASSWORD + 32];
	long		 retry;
	int		 rc;

	if (f[U_CURRENT].s == NULL)
		return jsonapi_error_src(r, E_INVALID_FIELD, SRC_POINTER,
		    "/data/attributes/currentPassword"), -1;
	if ((rc = db_user_password(r->acct.id, hash, sizeof(hash))) <= 0)
		return (rc < 0 ? jsonapi_db_error(r) :
		    jsonapi_error(r, E_USER_UNKNOWN)), -1;
	rc = auth_password_check(r, hash, f[U_CURRENT].s, &retry);
	wipe(hash, sizeof(hash));
	switch (rc) {
	case PASSWORD_OK:
		return 0;
	case PASSWORD_WRONG:
		return jsonapi_error_src(r, E_WRONG_PASSWORD, SRC_POINTER,
		    "/data/attributes/currentPassword"), -1;
	case PASSWORD_LIMITED:
		return jsonapi_error_retry(r, E_LOGIN_LIMIT, retry), -1;
	default:
		return jsonapi_db_error(r), -1;
	}
}

static int
update(struct req *r)
{
	struct fval	 f[U__COUNT];
	struct user_row	 u;
	char		 hash[MAX_PASSWORD + 32], name[MAX_EMAIL + 1];
	char		 locale[MAX_LOCALE + 1];
	long long	 rc;
	int		 blocking, self, renamed;

	if (fields_read(r, update_fields, U__COUNT, f) != 0 ||
	    canonical_username(r, &f[U_USERNAME], name, sizeof(name)) != 0 ||
	    fields_locale(r, &f[U_LOCALE], locale) != 0)
		return -1;
	if ((rc = user_load(r->param[0], &u)) <= 0)
		return rc < 0 ? jsonapi_db_error(r) :
		    jsonapi_error(r, E_USER_UNKNOWN);
	self = u.id == r->acct.id;
	blocking = f[U_STATUS].s != NULL &&
	    strcmp(f[U_STATUS].s, "blocked") == 0;
	if (self && blocking)
		return jsonapi_error(r, E_SELF_ACTION);
	renamed = f[U_USERNAME].s != NULL &&
	    strcmp(f[U_USERNAME].s, u.username) != 0;
	if (self && f[U_PASSWORD].s != NULL && own_password(r, f) != 0)
		return -1;
	if (f[U_PASSWORD].s != NULL &&
	    password_hash(hash, sizeof(hash), f[U_PASSWORD].s) != 0)
		return jsonapi_error(r, E_INTERNAL);
	if (db_begin() != 0)
		return jsonapi_db_error(r);
	if ((rc = db_user_update(u.id, &(struct user_fields){ f[U_USERNAME].s,
	    f[U_PASSWORD].s != NULL ? hash : NULL, f[U_FIRST].s, f[U_LAST].s,
	    f[U_STATUS].s != NULL ? !blocking : -1, f[U_LOCALE].s }, r->now)) ==
	    DB_DUP) {
		db_rollback();
		return jsonapi_error_src(r, E_USER_EXISTS, SRC_POINTER,
		    "/data/attributes/username");
	}
	if (rc < 0 || ((blocking || f[U_PASSWORD].s != NULL) &&
	    (self ? auth_revoke_others(r) : revoke_user(r, u.id)) != 0) ||
	    (renamed && rename_end(r, &u, self) != 0) ||
	    (renamed && rename_notify(r, &u, f[U_USERNAME].s) != 0) ||
	    (self && f[U_PASSWORD].s != NULL && auth_password_passed(r) != 0) ||
	    db_commit() != 0) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	return send_user(r, 200, r->param[0]);
}

static int
delete(struct req *r)
{
	struct user_row	 u;
	int		 rc;

	if ((rc = user_load(r->param[0], &u)) <= 0)
		return rc < 0 ? jsonapi_db_error(r) :
		    jsonapi_error(r, E_USER_UNKNOWN);
	if (u.id == r->acct.id)
		return jsonapi_error(r, E_SELF_ACTION);
	if (db_begin() != 0 || auth_purge_account(r, u.id) != 0 ||
	    db_user_delete(u.id) != 0 ||
	    db_commit() != 0) {
		db_rollback();
		return jsonapi_db_error(r);
	}
	log_info("user %lld deleted by user %lld", u.id, r->acct.id);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_GET, "users", "users", R_AUTH | R_PAGED, list },
	{ M_POST, "users", "users", R_AUTH | R_BODY, create },
	{ M_GET, "users/:", "users", R_AUTH, get },
	{ M_PATCH, "users/:", "users", R_AUTH | R_BODY | R_PASSWORD, update },
	{ M_DELETE, "users/:", "users", R_AUTH, delete },
};

GLUE_MAIN("users", routes)
