/*
 * The OAuth 2.0 token endpoint of each side: POST /backend/token, the back
 * office's (contract §3.3), and POST /token, the Storefront's (§10.4),
 * one source compiled once per side: the password grant (RFC 6749 §4.3)
 * and the refresh_token grant (§6), form-encoded; answers and errors in
 * RFC 6749's shapes (§5.1, §5.2), not JSON:API.  Sign-in and rotation are
 * auth_login() and auth_refresh(), as for POST /access-tokens and POST
 * /refresh-tokens.  Public clients only (§10.5); the RFC 8414 metadata
 * of the side's authorization server is here too.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

/* RFC 6749 §5.2's body; code, when given, the JSON:API code (§10.12). */
static int
oauth_error_code(struct req *r, int status, const char *error,
    const char *desc, const char *code)
{
	cJSON	*doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", error);
	cJSON_AddStringToObject(doc, "error_description", desc);
	if (code != NULL)
		cJSON_AddStringToObject(doc, "code", code);
	return http_send_json(r, status, doc);
}

static int
oauth_error(struct req *r, int status, const char *error, const char *desc)
{
	return oauth_error_code(r, status, error, desc, NULL);
}

/*
 * 401 invalid_client.  RFC 6749 §5.2: WWW-Authenticate names the scheme
 * only when the client authenticated through the Authorization header
 * (basic); a client that did not is not invited to (contract §10.5).
 */
static int
client_error(struct req *r, int basic, const char *desc)
{
	if (basic)
		http_header(r, "WWW-Authenticate", "Basic realm=\"glue-mfa\"");
	return oauth_error(r, 401, "invalid_client", desc);
}

static int
oauth_tokens(struct req *r, struct issued *t)
{
	cJSON	*doc = cJSON_CreateObject();
	int	 rc;

	cJSON_AddStringToObject(doc, "token_type", "Bearer");
	cJSON_AddNumberToObject(doc, "expires_in", (double)cfg.access_token_ttl);
	cJSON_AddStringToObject(doc, "access_token", t->access);
	cJSON_AddStringToObject(doc, "refresh_token", t->refresh);
	rc = http_send_json(r, 200, doc);
	wipe(t, sizeof(*t));
	return rc;
}

/*
 * mfa_at_sign_in (contract §10.12): RFC 6749 has no error for a missing
 * second factor, so 403 with an error of our own, the JSON:API code in
 * "code", and RFC 9470's challenge in WWW-Authenticate, as a protected
 * resource answers 5900 and 5901 (§10.3); a 5900 of an account with an
 * active passkey carries its request options in "publicKey".
 */
static int
mfa_error(struct req *r, int invalid)
{
	cJSON	*doc = cJSON_CreateObject();

	http_header(r, "WWW-Authenticate", invalid ?
	    "Bearer error=\"insufficient_user_authentication\", "
	    "error_description=\"The code in X-MFA-Code is not valid\"" :
	    "Bearer error=\"insufficient_user_authentication\", "
	    "error_description=\"A second factor is required: send a code "
	    "in X-MFA-Code\"");
	cJSON_AddStringToObject(doc, "error", invalid ? "invalid_mfa_code" :
	    "mfa_required");
	cJSON_AddStringToObject(doc, "error_description", invalid ?
	    "X-MFA-Code is invalid." : "X-MFA-Code header is missing.");
	cJSON_AddStringToObject(doc, "code", invalid ? "5901" : "5900");
	/* A passkey's request options (contract §10.12, §12.3). */
	if (!invalid && r->mfa_options != NULL) {
		cJSON_AddItemToObject(doc, "publicKey", r->mfa_options);
		r->mfa_options = NULL;
	}
	return http_send_json(r, 403, doc);
}

static int
password_grant(struct req *r, const struct form *f)
{
	const char	*user = form_get(f, "username");
	const char	*pass = form_get(f, "password");
	struct issued	 t;
	char		 wait[24];
	long		 retry;

	if (user == NULL || pass == NULL)
		return oauth_error(r, 400, "invalid_request",
		    "username and password are required.");
	switch (auth_login(r, user, pass, &t, &retry)) {
	case LOGIN_OK:
		return oauth_tokens(r, &t);
	case LOGIN_FAILED:
		return oauth_error(r, 400, "invalid_grant",
		    "The user credentials were incorrect.");
	case LOGIN_LIMITED:
		snprintf(wait, sizeof(wait), "%ld", retry > 0 ? retry : 1);
		http_header(r, "Retry-After", wait);
		return oauth_error(r, 429, "invalid_grant",
		    "Too many failed login attempts. Please try again later.");
	case LOGIN_MFA_MISSING:
		return mfa_error(r, 0);
	case LOGIN_MFA_INVALID:
		return mfa_error(r, 1);
	case LOGIN_MFA_LOCKED:
		snprintf(wait, sizeof(wait), "%ld", retry > 0 ? retry : 1);
		http_header(r, "Retry-After", wait);
		return oauth_error_code(r, 429, "invalid_grant",
		    "Too many failed attempts. Please try again later.",
		    "5911");
	default:
		return oauth_error(r, 503, "temporarily_unavailable",
		    "Service temporarily unavailable.");
	}
}

static int
refresh_grant(struct req *r, const struct form *f)
{
	const char	*token = form_get(f, "refresh_token");
	struct issued	 t;

	if (token == NULL)
		return oauth_error(r, 400, "invalid_request",
		    "refresh_token is required.");
	switch (auth_refresh(r, token, &t)) {
	case 1:
		return oauth_tokens(r, &t);
	case 0:
		return oauth_error(r, 400, "invalid_grant",
		    "The refresh token is invalid, expired or revoked.");
	default:
		return oauth_error(r, 503, "temporarily_unavailable",
		    "Service temporarily unavailable.");
	}
}

/* Form media type, optionally with a charset (RFC 6749 §4.3.2). */
static int
form_media_type(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t	 n = sizeof(form) - 1;

	return ct != NULL && strncasecmp(ct, form, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * The client (contract §10.5).  Every client is public (RFC 6749 §2.1):
 * none has a secret.  One that identifies itself with "Authorization:
 * Basic" and an empty secret, as requests-oauthlib and others do for a
 * public client (§2.3.1), is taken like a client_id parameter; a secret,
 * in the header or the form, is refused as invalid_client, as is a
 * malformed header.  0: go on; else the request was answered.
 */
static int
client_check(struct req *r, int *basic, char *id, size_t idsz)
{
	int	 secret;

	*basic = 0;
	id[0] = '\0';
	if (r->authorization == NULL ||
	    strncasecmp(r->authorization, "Basic ", 6) != 0)
		return 0;
	*basic = 1;
	if (form_basic(r->authorization, id, idsz, &secret) != 0)
		return client_error(r, 1, "The Authorization header is "
		    "malformed."), -1;
	if (secret)
		return client_error(r, 1,
		    "Client authentication is not supported."), -1;
	return 0;
}

static int
token(struct req *r)
{
	struct form	 f;
	const char	*grant, *cid;
	char		 id[MAX_CLIENT_ID + 1];
	int		 rc, basic;

	if (client_check(r, &basic, id, sizeof(id)) != 0)
		return -1;
	if (!form_media_type(r->content_type))
		return oauth_error(r, 400, "invalid_request", "The body must "
		    "be application/x-www-form-urlencoded.");
	if (form_parse(&f, r->body != NULL ? r->body : "", r->body_len) != 0) {
		form_release(&f);
		return oauth_error(r, 400, "invalid_request",
		    "The form is malformed or repeats a parameter.");
	}
	cid = form_get(&f, "client_id");
	if (form_get(&f, "client_secret") != NULL)
		rc = client_error(r, basic,
		    "Client authentication is not supported.");
	else if (basic && cid != NULL && strcmp(cid, id) != 0)
		rc = oauth_error(r, 400, "invalid_request", "client_id names "
		    "another client than the Authorization header.");
	else if ((grant = form_get(&f, "grant_type")) == NULL)
		rc = oauth_error(r, 400, "invalid_request",
		    "grant_type is required.");
	else if (strcmp(grant, "password") == 0)
		rc = password_grant(r, &f);
	else if (strcmp(grant, "refresh_token") == 0)
		rc = refresh_grant(r, &f);
	else
		rc = oauth_error(r, 400, "unsupported_grant_type",
		    "grant_type must be password or refresh_token.");
	form_release(&f);
	return rc;
}

/*
 * RFC 8414 authorization server metadata (contract §10.5), one per side:
 * the Storefront's issuer is its base URL, the back office's that plus
 * "/backend", its metadata at the path RFC 8414 §3.1 inserts it into.
 * The base is oauth_issuer, or else the request's own (contract §2.6);
 * answered no-store like every answer, so no shared cache keeps one built
 * from another client's Host header.  No authorization endpoint, so no
 * response_types_supported (§2, §3.2: empty members are omitted).
 */
static int
metadata(struct req *r)
{
	cJSON	*doc = cJSON_CreateObject(), *a;
	char	 issuer[sizeof(r->base) + 16], url[sizeof(issuer) + 8];

	snprintf(issuer, sizeof(issuer), "%s%s", cfg.oauth_issuer[0] != '\0' ?
	    cfg.oauth_issuer : r->base, r->side == SIDE_BACKEND ?
	    "/backend" : "");
	snprintf(url, sizeof(url), "%s/token", issuer);
	cJSON_AddStringToObject(doc, "issuer", issuer);
	cJSON_AddStringToObject(doc, "token_endpoint", url);
	a = cJSON_AddArrayToObject(doc, "grant_types_supported");
	cJSON_AddItemToArray(a, cJSON_CreateString("password"));
	cJSON_AddItemToArray(a, cJSON_CreateString("refresh_token"));
	a = cJSON_AddArrayToObject(doc, "token_endpoint_auth_methods_supported");
	cJSON_AddItemToArray(a, cJSON_CreateString("none"));
	return http_send_json(r, 200, doc);
}

#define METADATA ".well-known/oauth-authorization-server"

static const struct route routes[] = {
	{ M_POST, "token", "token", R_FORM, token },
	{ M_GET, GLUE_SIDE == SIDE_BACKEND ? METADATA "/backend" : METADATA,
	    "token", 0, metadata },
};

GLUE_MAIN("token", routes)
