/*
 * /multi-factor-auth-recovery-codes (contract §8), both sides: the
 * account's recovery codes.  GET says how many are left and when the set
 * was made, never a code.  POST, with X-MFA-Code of an active method,
 * makes a new set of RECOVERY_CODES and shows it this once (201); the old
 * set stops working.  A recovery code is then accepted once wherever a
 * code of an active method is (src/mfa.c, code_check).
 *
 * Answers of POST: 201; no active method 400 5906; header missing 403
 * 5900; not a code of an active method 403 5901 (counted, contract §5.2),
 * locked 429 5911.
 */
#include <stdio.h>

#include "glue.h"

#define TYPE	"multi-factor-auth-recovery-codes"

/* The set as a resource: id "mine", one per account. */
static cJSON *
set_resource(struct req *r, const struct recovery_set *set, cJSON *codes)
{
	cJSON		*a = cJSON_CreateObject();
	char		 self[MAX_PATH + 600], stamp[21];
	size_t		 i;
	int		 left = 0;

	for (i = 0; i < set->n; i++)
		left += set->r[i].used == 0;
	if (codes != NULL)
		cJSON_AddItemToObject(a, "codes", codes);
	cJSON_AddNumberToObject(a, "remaining", left);
	if (set->n > 0) {
		iso8601(stamp, set->r[0].created);
		cJSON_AddStringToObject(a, "createdAt", stamp);
	} else
		cJSON_AddNullToObject(a, "createdAt");
	self_link(r, self, sizeof(self), TYPE);
	return jsonapi_resource(r, TYPE, "mine", a, self);
}

static int
show(struct req *r)
{
	struct recovery_set set;

	if (db_recovery_list(&(struct subject){ r->side, r->acct.id },
	    &set) != 0)
		return jsonapi_db_error(r);
	return jsonapi_send(r, 200, jsonapi_document(set_resource(r, &set,
	    NULL), NULL));
}

/* The new set replaces the old one slot by slot (every slot is rewritten),
 * in the transaction of the code check. */
static enum err
store(struct req *r, struct recovery_set *set, cJSON *codes)
{
	struct subject	 who = { r->side, r->acct.id };
	char		 code[RECOVERY_CODE_CHARS + 1];
	char		 norm[RECOVERY_SYMBOLS + 1];
	int		 i, rc = 0;

	set->n = 0;
	for (i = 0; i < RECOVERY_CODES && rc == 0; i++) {
		recovery_code_new(code);
		rc = recovery_normalize(norm, code) != 0 ||
		    recovery_hash(set->r[i].hash, sizeof(set->r[i].hash),
		    &who, norm) != 0 ||
		    db_recovery_insert(&who, i, set->r[i].hash, r->now) != 0;
		set->r[i].slot = i;
		set->r[i].created = r->now;
		set->r[i].used = 0;
		set->n++;
		cJSON_AddItemToArray(codes, cJSON_CreateString(code));
	}
	wipe(code, sizeof(code));
	wipe(norm, sizeof(norm));
	return rc == 0 ? E_NONE : jsonapi_db_err();
}

static int
generate(struct req *r)
{
	struct recovery_set set;
	cJSON		*codes = NULL;
	enum err	 e;
	long		 retry = 0;

	if ((e = mfa_method_code(r, "recovery_codes", "recovery", &retry)) !=
	    E_NONE)
		goto refused;
	codes = cJSON_CreateArray();
	if ((e = store(r, &set, codes)) != E_NONE)
		goto refused;
	/* The set, its audit row and its notice commit together (contract
	 * §9.3). */
	if (audit(r, r->side, r->acct.id, 0, "recovery_codes", "recovery",
	    E_NONE) != 0 || mfa_notify(r, NOTICE_RECOVERY_NEW) != 0 ||
	    db_commit() != 0) {
		e = jsonapi_db_err();
		goto refused;
	}
	return jsonapi_send(r, 201, jsonapi_document(set_resource(r, &set,
	    codes), NULL));
refused:
	cJSON_Delete(codes);
	db_rollback();
	/* A counted failure has its row, written with its count. */
	if (e != E_MFA_CODE_INVALID)
		(void)audit(r, r->side, r->acct.id, 0, "recovery_codes",
		    "recovery", e);
	/* 5906 here is about the account, not about a type in the body. */
	if (e == E_MFA_TYPE_NOT_FOUND)
		return jsonapi_error_src(r, e, SRC_NONE, NULL);
	return jsonapi_error_retry(r, e, retry);
}

static const struct route routes[] = {
	{ M_GET, TYPE, TYPE, R_AUTH, show },
	{ M_POST, TYPE, TYPE, R_AUTH | R_BODY | R_MFA, generate },
};

GLUE_MAIN(TYPE, routes)
