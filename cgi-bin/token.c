/*
 * POST /backend/token: the back office's OAuth 2.0 token endpoint (contract
 * §3.3): the password grant (RFC 6749 §4.3) and the refresh_token grant
 * (§6), form-encoded; answers and errors in RFC 6749's shapes (§5.1,
 * §5.2), not JSON:API.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

static int
oauth_error(struct req *r, int status, const char *error, const char *desc)
{
	cJSON	*doc = cJSON_CreateObject();

	if (status == 401)	/* RFC 6749 §5.2: name the scheme tried */
		http_header(r, "WWW-Authenticate", "Basic realm=\"glue-mfa\"");

	cJSON_AddStringToObject(doc, "error", error);
	cJSON_AddStringToObject(doc, "error_description", desc);
	return http_send_json(r, status, doc);
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
		/* A sign-in ends the user's unused codes (contract §3.3). */
		if (db_mfa_codes_drop(&(struct subject){ r->side,
		    t.account }) != 0) {
			wipe(&t, sizeof(t));
			return oauth_error(r, 503, "temporarily_unavailable",
			    "Service temporarily unavailable.");
		}
		return oauth_tokens(r, &t);
	case LOGIN_FAILED:
		return oauth_error(r, 400, "invalid_grant",
		    "The user credentials were incorrect.");
	case LOGIN_LIMITED:
		snprintf(wait, sizeof(wait), "%ld", retry > 0 ? retry : 1);
		http_header(r, "Retry-After", wait);
		return oauth_error(r, 429, "invalid_grant",
		    "Too many failed login attempts. Please try again later.");
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

static int
token(struct req *r)
{
	struct form	 f;
	const char	*grant;
	int		 rc;

	/* No client authentication: public clients only (RFC 6749 §2.1). */
	if (r->authorization != NULL &&
	    strncasecmp(r->authorization, "Basic ", 6) == 0)
		return oauth_error(r, 401, "invalid_client",
		    "Client authentication is not supported.");
	if (!form_media_type(r->content_type))
		return oauth_error(r, 400, "invalid_request", "The body must "
		    "be application/x-www-form-urlencoded.");
	if (form_parse(&f, r->body != NULL ? r->body : "", r->body_len) != 0) {
		form_release(&f);
		return oauth_error(r, 400, "invalid_request",
		    "The form is malformed or repeats a parameter.");
	}
	if (form_get(&f, "client_secret") != NULL)
		rc = oauth_error(r, 401, "invalid_client",
		    "Client authentication is not supported.");
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

static const struct route routes[] = {
	{ M_POST, "token", "token", R_FORM, token },
};

GLUE_MAIN("token", routes)
