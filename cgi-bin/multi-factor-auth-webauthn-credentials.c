/*
 * /multi-factor-auth-webauthn-credentials (contract §12.7), both sides: the
 * account's passkeys.  GET lists them (name, credential id, created and
 * last used); DELETE /{id}, with X-MFA-Code of an active method, removes
 * one, and the last one's removal switches method webauthn off.  They
 * are registered through activate and verify (contract §12.2).
 *
 * Answers of DELETE: 204; unknown id 404 148; no active method 400 5906;
 * header missing 403 5900; not a code of an active method 403 5901
 * (counted), locked 429 5911.
 */
#include <stdlib.h>

#include "glue.h"
#include "webauthn.h"

#define TYPE	"multi-factor-auth-webauthn-credentials"

static cJSON *
cred_resource(struct req *r, const struct wa_row *w)
{
	cJSON	*a = cJSON_CreateObject();
	char	 self[MAX_PATH + 600], stamp[21], id[2 * WA_CRED_ID_MAX];

	cJSON_AddStringToObject(a, "name", w->name);
	if (wa_b64url_encode(id, sizeof(id), w->cred_id, w->cred_id_len) != 0)
		id[0] = '\0';
	cJSON_AddStringToObject(a, "credentialId", id);
	cJSON_AddNumberToObject(a, "algorithm", w->alg);
	cJSON_AddBoolToObject(a, "backupEligible", (w->flags & 2) != 0);
	cJSON_AddBoolToObject(a, "backedUp", (w->flags & 4) != 0);
	iso8601(stamp, w->created);
	cJSON_AddStringToObject(a, "createdAt", stamp);
	if (w->last_used != 0) {
		iso8601(stamp, w->last_used);
		cJSON_AddStringToObject(a, "lastUsedAt", stamp);
	} else
		cJSON_AddNullToObject(a, "lastUsedAt");
	self_link(r, self, sizeof(self), TYPE "/%s", w->uuid);
	return jsonapi_resource(r, TYPE, w->uuid, a, self);
}

struct listing {
	struct req	*r;
	cJSON		*arr;
};

static void
list_one(const struct wa_row *w, void *arg)
{
	struct listing	*l = arg;

	cJSON_AddItemToArray(l->arr, cred_resource(l->r, w));
}

/* GET: the account's credentials, oldest first (at most
 * WA_MAX_CREDENTIALS, so one page). */
static int
list(struct req *r)
{
	struct listing	 l = { r, cJSON_CreateArray() };
	char		 self[MAX_PATH + 600];

	if (db_wa_iterate(&(struct subject){ r->side, r->acct.id }, list_one,
	    &l) < 0) {
		cJSON_Delete(l.arr);
		return jsonapi_db_error(r);
	}
	self_link(r, self, sizeof(self), TYPE);
	return jsonapi_send(r, 200, jsonapi_document(l.arr, self));
}

/*
 * DELETE {uuid}: with a code of an active method (the engine's check, no
 * recovery code); the last credential's removal switches the method off
 * (contract §12.7).  The code is spent only if the credential goes.
 */
static int
remove_one(struct req *r)
{
	struct subject	 who = { r->side, r->acct.id };
	struct wa_row	*w = xcalloc(1, sizeof(*w));
	enum err	 e = E_NONE;
	long long	 n;
	long		 retry = 0;
	int		 rc;

	if (!valid_uuid(r->param[0]) || (rc = db_wa_get_uuid(&who,
	    r->param[0], w)) == 0)
		e = E_WA_NOT_FOUND;
	else if (rc < 0)
		e = jsonapi_db_err();
	else if ((e = mfa_method_code(r, "webauthn_remove", "webauthn",
	    &retry)) != E_NONE)
		goto refused;
	else if ((n = db_wa_delete(&who, r->param[0])) != 1)
		e = n == 0 ? E_WA_NOT_FOUND : jsonapi_db_err();
	else if ((n = db_wa_count(&who)) < 0)
		e = jsonapi_db_err();
	else if ((n == 0 && mfa_switch_off(r, "webauthn", "deactivate") !=
	    0) || audit(r, r->side, r->acct.id, 0, "webauthn_remove",
	    "webauthn", E_NONE) != 0 || db_commit() != 0)
		e = jsonapi_db_err();
	free(w);
	if (e == E_NONE)
		return jsonapi_no_content(r);
	db_rollback();
	(void)audit(r, r->side, r->acct.id, 0, "webauthn_remove", "webauthn",
	    e);
	return jsonapi_error(r, e);
refused:
	free(w);
	db_rollback();
	if (e != E_MFA_CODE_INVALID)
		(void)audit(r, r->side, r->acct.id, 0, "webauthn_remove",
		    "webauthn", e);
	if (e == E_MFA_TYPE_NOT_FOUND)
		return jsonapi_error_src(r, e, SRC_NONE, NULL);
	return jsonapi_error_retry(r, e, retry);
}

static const struct route routes[] = {
	{ M_GET, TYPE, TYPE, R_AUTH, list },
	{ M_DELETE, TYPE "/:", TYPE, R_AUTH | R_MFA, remove_one },
};

GLUE_MAIN(TYPE, routes)
