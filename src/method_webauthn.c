/*
 * Method "webauthn" (contract §12): passkeys and security keys.  The
 * byte-level checks are webauthn.c's (libfido2, libcbor); this file keeps
 * the challenges, the credentials and the user handle, and answers the
 * five resources' method hooks and the credentials resource.
 *
 * Challenges: WA_CHALLENGE_BYTES from the CSPRNG, handed out once in the
 * options and stored only as a keyed hash (like codes), bound to the
 * account and a purpose (registration, authentication), expiring after
 * webauthn_challenge_ttl, spent by one conditional UPDATE in the
 * transaction of the work they allow (the account's lock held), so one
 * response never passes twice, even in parallel.
 *
 * An assertion in X-MFA-Code goes through the engine like any code: a
 * wrong one is a counted failure (lockout), a right one opens the grace
 * window for the token (a used code row with the header's hash).  The
 * signature counter (WebAuthn §6.1.1): zero never fails (synced
 * passkeys); a non-zero count that did not increase is audited
 * (webauthn_counter = audit) or refused as a wrong code (refuse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "webauthn.h"

#define USER_HANDLE	32	/* random bytes of user.id */
#define B64(n)		(((n) * 4 + 2) / 3 + 1)	/* base64url of n bytes, NUL */

/* ---- configuration ------------------------------------------------------- */

static const char	*origin_list[WA_MAX_ORIGINS];
static char		 origin_buf[4096];
static struct wa_policy	 pol;

/* An origin's host (scheme, port stripped) into out. */
static void
origin_host(char *out, size_t sz, const char *o)
{
	const char	*h = strstr(o, "://"), *e;

	h = h != NULL ? h + 3 : o;
	e = strchr(h, ':');
	snprintf(out, sz, "%.*s", (int)(e != NULL ? (size_t)(e - h) :
	    strlen(h)), h);
}

/* WebAuthn §5.1.3: the RP ID is the origin's host or a registrable
 * suffix of it. */
static int
host_in_rp(const char *host, const char *rp)
{
	size_t	 h = strlen(host), n = strlen(rp);

	return strcmp(host, rp) == 0 || (h > n + 1 &&
	    strcmp(host + h - n, rp) == 0 && host[h - n - 1] == '.');
}

/* A host name: labels of [a-z0-9-], not all digits and dots (an IP
 * address cannot be an RP ID: browsers refuse it). */
static int
rp_id_ok(const char *v)
{
	size_t	 n = strlen(v);

	return n > 0 && n <= 253 && strspn(v,
	    "abcdefghijklmnopqrstuvwxyz0123456789.-") == n &&
	    strspn(v, "0123456789.") != n && v[0] != '.' && v[n - 1] != '.' &&
	    strstr(v, "..") == NULL && strchr(v, ':') == NULL;
}

/*
 * At start-up (config_check()): when methods offers webauthn, an RP ID
 * and at least one origin, each https (or http on localhost, as browsers
 * allow) and on the RP ID's host or below it.  The policy is built here.
 */
int
webauthn_check_config(char *err, size_t errsz)
{
	char	*t, *save = NULL, host[256];
	size_t	 n = 0;

	memset(&pol, 0, sizeof(pol));
	snprintf(origin_buf, sizeof(origin_buf), "%s", cfg.webauthn_origins);
	for (t = strtok_r(origin_buf, ", \t", &save); t != NULL;
	    t = strtok_r(NULL, ", \t", &save)) {
		if (n == WA_MAX_ORIGINS) {
			snprintf(err, errsz, "webauthn_origins: more than %d "
			    "origins", WA_MAX_ORIGINS);
			return -1;
		}
		origin_list[n++] = t;
	}
	pol.rp_id = cfg.webauthn_rp_id;
	pol.origins = origin_list;
	pol.norigins = n;
	pol.require_uv = strcmp(cfg.webauthn_user_verification,
	    "required") == 0;
	if (!list_contains(cfg.methods, "webauthn"))
		return 0;
	if (!rp_id_ok(cfg.webauthn_rp_id)) {
		snprintf(err, errsz, "webauthn_rp_id: a host name (not an "
		    "address) is required when methods offers webauthn");
		return -1;
	}
	if (n == 0) {
		snprintf(err, errsz, "webauthn_origins: at least one origin is "
		    "required when methods offers webauthn");
		return -1;
	}
	for (; n > 0; n--) {
		origin_host(host, sizeof(host), origin_list[n - 1]);
		if (!host_in_rp(host, cfg.webauthn_rp_id) ||
		    (strncmp(origin_list[n - 1], "https://", 8) != 0 &&
		    !host_in_rp(host, "localhost"))) {
			snprintf(err, errsz, "webauthn_origins: \"%.64s\" is "
			    "not an https origin of webauthn_rp_id",
			    origin_list[n - 1]);
			return -1;
		}
	}
	return 0;
}

/* ---- what the options carry ---------------------------------------------- */

static void
add_b64(cJSON *o, const char *name, const unsigned char *b, size_t n)
{
	char	 s[B64(WA_CRED_ID_MAX)];

	if (wa_b64url_encode(s, sizeof(s), b, n) != 0)
		s[0] = '\0';
	cJSON_AddStringToObject(o, name, s);
}

/* Each credential of the account as {type, id} (exclude/allowCredentials). */
static void
descriptor(const struct wa_row *w, void *arg)
{
	cJSON	*d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "type", "public-key");
	add_b64(d, "id", w->cred_id, w->cred_id_len);
	cJSON_AddItemToArray(arg, d);
}

static int
descriptors(const struct subject *who, cJSON *o, const char *name)
{
	cJSON	*arr = cJSON_AddArrayToObject(o, name);

	return db_wa_iterate(who, descriptor, arr) < 0 ? -1 : 0;
}

/* A new challenge of purpose, stored hashed, and into o as "challenge". */
static int
challenge_new(const struct mfa_ctx *c, int purpose, cJSON *o)
{
	unsigned char	 b[WA_CHALLENGE_BYTES], h[HASH_BYTES];

	random_bytes(b, sizeof(b));
	keyed_hash(h, "webauthn-challenge", b, sizeof(b));
	if (db_wa_challenge_insert(&c->who, purpose, h, c->now, c->now +
	    cfg.webauthn_challenge_ttl) != 0)
		return -1;
	add_b64(o, "challenge", b, sizeof(b));
	return 0;
}

/* The account's user handle, made at its first activation. */
static int
user_handle(const struct mfa_ctx *c, unsigned char h[USER_HANDLE])
{
	int	 rc;

	if ((rc = db_wa_user_get(&c->who, h)) != 0)
		return rc == 1 ? 0 : -1;
	random_bytes(h, USER_HANDLE);
	return db_wa_user_insert(&c->who, h, c->now);
}

static void
add_params(cJSON *o)
{
	static const int algs[] = { WA_ALG_ES256, WA_ALG_EDDSA, WA_ALG_RS256 };
	cJSON	*arr = cJSON_AddArrayToObject(o, "pubKeyCredParams"), *p;
	size_t	 i;

	for (i = 0; i < nitems(algs); i++) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "type", "public-key");
		cJSON_AddNumberToObject(p, "alg", algs[i]);
		cJSON_AddItemToArray(arr, p);
	}
}

static cJSON *
answer_of(cJSON *pk)
{
	cJSON	*a = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "type", "webauthn");
	cJSON_AddItemToObject(a, "publicKey", pk);
	return a;
}

/*
 * Activate (contract §12.2): PublicKeyCredentialCreationOptions, with a
 * fresh registration challenge, committed before they are answered.
 */
static enum err
issue(struct mfa_ctx *c)
{
	unsigned char	 uh[USER_HANDLE];
	char		 label[4 * MAX_EMAIL + 1];
	cJSON		*pk = NULL, *o;
	long long	 n;
	int		 rc;

	if ((rc = db_contact(&c->who, label, sizeof(label))) != 1)
		return rc == 0 ? (c->who.side == SIDE_BACKEND ?
		    E_USER_NOT_FOUND : E_CUSTOMER_NOT_FOUND) : jsonapi_db_err();
	if ((n = db_wa_count(&c->who)) < 0)
		return jsonapi_db_err();
	if (n >= cfg.webauthn_max_credentials)
		return E_WA_TOO_MANY;
	pk = cJSON_CreateObject();
	o = cJSON_AddObjectToObject(pk, "rp");
	cJSON_AddStringToObject(o, "id", cfg.webauthn_rp_id);
	cJSON_AddStringToObject(o, "name", cfg.webauthn_rp_name);
	o = cJSON_AddObjectToObject(pk, "user");
	if (user_handle(c, uh) != 0 || challenge_new(c, WA_PURPOSE_CREATE,
	    pk) != 0 || descriptors(&c->who, pk, "excludeCredentials") != 0)
		goto dberr;
	add_b64(o, "id", uh, sizeof(uh));
	cJSON_AddStringToObject(o, "name", label);
	cJSON_AddStringToObject(o, "displayName", label);
	add_params(pk);
	cJSON_AddNumberToObject(pk, "timeout",
	    (double)cfg.webauthn_challenge_ttl * 1000);
	o = cJSON_AddObjectToObject(pk, "authenticatorSelection");
	cJSON_AddStringToObject(o, "residentKey", "preferred");
	cJSON_AddStringToObject(o, "userVerification",
	    cfg.webauthn_user_verification);
	cJSON_AddStringToObject(pk, "attestation", "none");
	if (db_commit() != 0)
		goto dberr;
	c->answer = answer_of(pk);
	return E_NONE;
dberr:
	cJSON_Delete(pk);
	return jsonapi_db_err();
}

/* Trigger (contract §12.3): PublicKeyCredentialRequestOptions. */
static enum err
trigger(struct mfa_ctx *c)
{
	cJSON	*pk = cJSON_CreateObject();

	if (challenge_new(c, WA_PURPOSE_GET, pk) != 0 ||
	    descriptors(&c->who, pk, "allowCredentials") != 0 ||
	    db_commit() != 0) {
		cJSON_Delete(pk);
		return jsonapi_db_err();
	}
	cJSON_AddNumberToObject(pk, "timeout",
	    (double)cfg.webauthn_challenge_ttl * 1000);
	cJSON_AddStringToObject(pk, "rpId", cfg.webauthn_rp_id);
	cJSON_AddStringToObject(pk, "userVerification",
	    cfg.webauthn_user_verification);
	c->answer = answer_of(pk);
	return E_NONE;
}

/* ---- checking what the client sends -------------------------------------- */

static enum err
err_of(enum wa_result w)
{
	switch (w) {
	case WA_OK:
		return E_NONE;
	case WA_MALFORMED:
		return E_WA_MALFORMED;
	case WA_CHALLENGE:
		return E_WA_CHALLENGE;
	case WA_TYPE:
	case WA_ORIGIN:
	case WA_RP_ID:
		return E_WA_ORIGIN;
	case WA_NO_UP:
	case WA_NO_UV:
		return E_WA_USER_VERIFICATION;
	case WA_ALG:
	case WA_ATTESTATION:
	case WA_SIGNATURE:
	case WA_COUNTER:
		return E_WA_ATTESTATION;
	default:
		return E_INTERNAL;
	}
}

/* The live challenge a clientDataJSON names, of purpose: its id, 0, -1. */
static long long
challenge_of(const struct mfa_ctx *c, int purpose, const unsigned char *cdj,
    size_t len, enum wa_result *w)
{
	unsigned char	 chal[64], h[HASH_BYTES];
	size_t		 n = 0;

	*w = wa_client_data(&pol, purpose == WA_PURPOSE_CREATE ?
	    "webauthn.create" : "webauthn.get", cdj, len, chal, sizeof(chal),
	    &n);
	if (*w != WA_OK)
		return 0;
	keyed_hash(h, "webauthn-challenge", chal, n);
	return db_wa_challenge_find(&c->who, purpose, h, c->now);
}

static int
well_formed(enum side side, const char *code)
{
	size_t	 n = strlen(code);

	(void)side;
	return n >= WA_HEADER_MIN && n <= WA_HEADER_MAX && strspn(code,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == n;
}

static void
cred_of(const struct wa_row *w, struct wa_credential *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->id, w->cred_id, w->cred_id_len);
	k->id_len = w->cred_id_len;
	k->alg = w->alg;
	memcpy(k->pubkey, w->pubkey, w->pubkey_len);
	k->pubkey_len = w->pubkey_len;
	k->sign_count = (unsigned long)w->sign_count;
	memcpy(k->aaguid, w->aaguid, 16);
	k->uv = (w->flags & 1) != 0;
	k->backup_eligible = (w->flags & 2) != 0;
	k->backed_up = (w->flags & 4) != 0;
	snprintf(k->fmt, sizeof(k->fmt), "%.15s", w->fmt);
}

/* The assertion's credential and user handle: the account's own. */
static int
credential_of(const struct mfa_ctx *c, const struct wa_assertion *as,
    struct wa_row *w)
{
	unsigned char	 h[HASH_BYTES], uh[USER_HANDLE];
	int		 rc;

	keyed_hash(h, "webauthn-credential", as->id, as->id_len);
	if ((rc = db_wa_get(&c->who, h, w)) != 1)
		return rc;
	if (as->user_handle_len == 0)
		return 1;
	if ((rc = db_wa_user_get(&c->who, uh)) != 1)
		return rc;
	return as->user_handle_len == USER_HANDLE &&
	    ct_equal(uh, as->user_handle, USER_HANDLE);
}

/*
 * X-MFA-Code (contract §12.4): 1 the assertion is right for a live
 * authentication challenge of the account and one of its credentials;
 * the challenge is spent, the credential's counter and last use updated,
 * the grace window opened.  0 not; -1.
 */
static int
check(struct mfa_ctx *c)
{
	struct wa_assertion *as = xcalloc(1, sizeof(*as));
	struct wa_credential *k = xcalloc(1, sizeof(*k));
	struct wa_row	*w = xcalloc(1, sizeof(*w));
	unsigned char	 h[HASH_BYTES];
	unsigned long	 count = 0;
	enum wa_result	 wr;
	long long	 chal = 0, id, n;
	int		 regressed = 0, rc = 0;

	if (wa_parse_assertion(c->code, as) != WA_OK ||
	    (chal = challenge_of(c, WA_PURPOSE_GET, as->client_data,
	    as->client_data_len, &wr)) == 0)
		goto out;
	if (chal < 0 || (rc = credential_of(c, as, w)) != 1)
		goto out;
	rc = 0;
	cred_of(w, k);
	wr = wa_assert(&pol, k, as, strcmp(cfg.webauthn_counter, "refuse") ==
	    0, &count, &regressed);
	if (regressed) {
		c->note_action = "webauthn_counter";
		c->note = E_WA_COUNTER;
	}
	if (wr != WA_OK)
		goto out;
	if ((n = db_wa_challenge_use(chal, c->now)) != 1) {
		rc = n == 0 ? 0 : -1;
		goto out;
	}
	if (db_wa_used(w->id, count, c->now) != 1) {
		rc = -1;
		goto out;
	}
	rc = 1;
	if (c->token == NULL || limits_of(c->who.side)->grace_period == 0)
		goto out;
	id = (long long)(random_u64() >> 1);
	code_hash(h, &c->who, c->type, id, c->code);
	rc = db_mfa_code_insert_used(&c->who, id, c->type, h, c->now,
	    c->token, c->now + limits_of(c->who.side)->grace_period) == 0 ?
	    1 : -1;
out:
	if (chal < 0)
		rc = -1;
	free(as);
	free(k);
	free(w);
	return rc;
}

/* A base64url string member of o, decoded: 0, or -1 (absent, not a
 * string, not base64url, too long). */
static int
b64_member(const cJSON *o, const char *name, unsigned char *out, size_t sz,
    size_t *len)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(m) || m->valuestring[0] == '\0')
		return -1;
	return wa_b64url_decode(out, sz, len, m->valuestring,
	    strlen(m->valuestring));
}

/* The body of verify (contract §12.2): attributes.credential {id, type
 * "public-key", response {clientDataJSON, attestationObject}} and an
 * optional name (1-WA_NAME_MAX characters of one line). */
struct enrolment {
	unsigned char	 id[WA_CRED_ID_MAX];
	size_t		 id_len;
	unsigned char	 cdj[WA_CLIENT_DATA_MAX];
	size_t		 cdj_len;
	unsigned char	 att[WA_ATT_OBJ_MAX];
	size_t		 att_len;
	const char	*name;
};

static enum err
enrolment_read(const cJSON *attrs, struct enrolment *en)
{
	const cJSON	*cr = cJSON_GetObjectItemCaseSensitive(attrs,
			    "credential");
	const cJSON	*t, *resp, *nm;

	nm = cJSON_GetObjectItemCaseSensitive(attrs, "name");
	en->name = WA_NAME_DEFAULT;
	if (nm != NULL && !cJSON_IsNull(nm)) {
		if (!cJSON_IsString(nm) || !valid_line(nm->valuestring) ||
		    utf8_chars(nm->valuestring) > WA_NAME_MAX)
			return E_INVALID_FIELD;
		en->name = nm->valuestring;
	}
	t = cJSON_GetObjectItemCaseSensitive(cr, "type");
	resp = cJSON_GetObjectItemCaseSensitive(cr, "response");
	if (!cJSON_IsObject(cr) || !cJSON_IsString(t) ||
	    strcmp(t->valuestring, "public-key") != 0 ||
	    !cJSON_IsObject(resp) ||
	    b64_member(cr, "id", en->id, sizeof(en->id), &en->id_len) != 0 ||
	    b64_member(resp, "clientDataJSON", en->cdj, sizeof(en->cdj),
	    &en->cdj_len) != 0 ||
	    b64_member(resp, "attestationObject", en->att, sizeof(en->att),
	    &en->att_len) != 0)
		return E_WA_MALFORMED;
	return E_NONE;
}

/* verify's body read as enroll() reads it, nothing else done: E_NONE,
 * E_WA_MALFORMED or E_INVALID_FIELD (tests/fuzz/wa_body_fuzz.c). */
enum err
webauthn_body_check(const cJSON *attrs)
{
	struct enrolment *en = xcalloc(1, sizeof(*en));
	enum err	 e = enrolment_read(attrs, en);

	free(en);
	return e;
}

/* The registered credential as stored. */
static void
row_of(const struct wa_credential *k, const char *name, struct wa_row *w)
{
	memset(w, 0, sizeof(*w));
	uuid_v4(w->uuid);
	memcpy(w->cred_id, k->id, k->id_len);
	w->cred_id_len = k->id_len;
	memcpy(w->pubkey, k->pubkey, k->pubkey_len);
	w->pubkey_len = k->pubkey_len;
	w->alg = k->alg;
	w->sign_count = k->sign_count;
	memcpy(w->aaguid, k->aaguid, 16);
	snprintf(w->fmt, sizeof(w->fmt), "%s", k->fmt);
	w->flags = (k->uv ? 1 : 0) | (k->backup_eligible ? 2 : 0) |
	    (k->backed_up ? 4 : 0);
	snprintf(w->name, sizeof(w->name), "%s", name);
}

/*
 * Verify (contract §12.2): the attestation response against a live
 * registration challenge of the account; the credential stored, the
 * challenge spent, in the transaction the engine commits.
 */
static enum err
enroll(struct mfa_ctx *c)
{
	struct enrolment *en = xcalloc(1, sizeof(*en));
	struct wa_credential *k = xcalloc(1, sizeof(*k));
	struct wa_row	*w = xcalloc(1, sizeof(*w));
	unsigned char	 h[HASH_BYTES];
	enum wa_result	 wr = WA_OK;
	enum err	 e;
	long long	 chal, n;
	int		 rc;

	if ((e = enrolment_read(c->attrs, en)) != E_NONE)
		goto out;
	if ((chal = challenge_of(c, WA_PURPOSE_CREATE, en->cdj, en->cdj_len,
	    &wr)) <= 0) {
		e = chal < 0 ? jsonapi_db_err() : wr != WA_OK ? err_of(wr) :
		    E_WA_CHALLENGE;
		goto out;
	}
	if ((e = err_of(wa_register(&pol, en->cdj, en->cdj_len, en->att,
	    en->att_len, k))) != E_NONE)
		goto out;
	/* The id the browser names is the one the authenticator made. */
	if (k->id_len != en->id_len || memcmp(k->id, en->id, k->id_len) != 0) {
		e = E_WA_MALFORMED;
		goto out;
	}
	if ((n = db_wa_count(&c->who)) < 0) {
		e = jsonapi_db_err();
		goto out;
	}
	if (n >= cfg.webauthn_max_credentials) {
		e = E_WA_TOO_MANY;
		goto out;
	}
	row_of(k, en->name, w);
	keyed_hash(h, "webauthn-credential", k->id, k->id_len);
	if ((rc = db_wa_insert(&c->who, w, h, c->now)) != 0)
		e = rc == DB_DUP ? E_WA_CREDENTIAL_EXISTS : jsonapi_db_err();
	else if ((n = db_wa_challenge_use(chal, c->now)) != 1)
		e = n == 0 ? E_WA_CHALLENGE : jsonapi_db_err();
	/* The other registration challenges end with this registration: a
	 * new credential always follows an activate of its own (which,
	 * once the method is active, needs a code). */
	else if (db_wa_challenges_drop(&c->who, WA_PURPOSE_CREATE) != 0)
		e = jsonapi_db_err();
out:
	free(en);
	free(k);
	free(w);
	return e;
}

/* Switched off (deactivate, the last credential removed, a rescue): the
 * credentials and challenges go, grace windows close.  The user handle
 * stays: an authenticator's old passkey of this account is replaced, not
 * duplicated, when the account registers again. */
static int
end(struct mfa_ctx *c)
{
	return db_wa_delete_all(&c->who) == 0 &&
	    db_wa_challenges_delete(&c->who) == 0 &&
	    db_mfa_codes_end(&c->who, c->type) == 0 ? 0 : -1;
}

const struct mfa_method method_webauthn = {
	.name = "webauthn",
	.flags = MF_CREDENTIALS | MF_ANSWERS,
	.well_formed = well_formed,
	.limit = NULL,
	.issue = issue,
	.trigger = trigger,
	.check = check,
	.end = end,
	.enroll = enroll,
};
