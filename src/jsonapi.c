/*
 * The only writer of responses: status line, headers and body.  Errors come
 * from one table of (status, code, detail); 5xx bodies never carry internals.
 * Every response carries X-Request-Id, the same id as the request's log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

#define MEDIA_JSONAPI	"application/vnd.api+json"

/*
 * Every error: its status, code and detail, the input at fault (where one
 * always is) and whether the answer says when to retry.  jsonapi_error()
 * and jsonapi_error_retry() take all of it from here.
 */
#define MFA_HEADER	SRC_HEADER, "X-MFA-Code"
#define MFA_TYPE	SRC_POINTER, "/data/attributes/type"
#define RETRY		SRC_NONE, NULL, 1
#define IDEM_HEADER	SRC_HEADER, "Idempotency-Key"

static const struct {
	int		 status;
	const char	*code;
	const char	*detail;
	enum source	 src;
	const char	*where;
	int		 retry;		/* carries Retry-After */
} errs[E__COUNT] = {
	[E_MALFORMED] = { 400, "100", "Malformed request body." },
	[E_MEMBER] = { 400, "101", "Invalid or missing member." },
	[E_TYPE_MISMATCH] = { 409, "102",
	    "Resource type does not match the endpoint." },
	[E_NOT_FOUND] = { 404, "103", "Resource not found." },
	[E_METHOD] = { 405, "104", "Method not allowed." },
	[E_NOT_ACCEPTABLE] = { 406, "105", "Not acceptable." },
	[E_TOO_LARGE] = { 413, "106", "Request body too large." },
	[E_MEDIA_TYPE] = { 415, "107", "Unsupported media type." },
	/* contract §9: the database is down, frozen, or kept conflicting. */
	[E_UNAVAILABLE] = { 503, "110", "Service temporarily unavailable.",
	    RETRY },
	[E_INTERNAL] = { 500, "111", "Internal server error." },
	/* contract §9.2: a COMMIT sent, its answer lost with the connection. */
	[E_COMMIT_UNKNOWN] = { 503, "118", "Service temporarily unavailable. "
	    "The request may have been carried out.", RETRY },
	[E_LOGIN_LIMIT] = { 429, "113",
	    "Too many failed login attempts. Please try again later.", RETRY },
	[E_TOKEN_INVALID] = { 401, "001", "Invalid access token." },
	[E_TOKEN_MISSING] = { 403, "002", "Missing access token." },
	[E_LOGIN_FAILED] = { 401, "003", "Failed to authenticate user." },
	[E_REFRESH_FAILED] = { 401, "004", "Failed to refresh token." },
	[E_INVALID_FIELD] = { 422, "901", NULL },	/* "<field> is invalid." */
	/* contract §10.9: a locale the mail catalogue has no language for. */
	[E_LOCALE_UNKNOWN] = { 422, "140", "Locale is not supported.",
	    SRC_POINTER, "/data/attributes/locale", 0 },
	[E_CUSTOMER_EXISTS] = { 422, "400",
	    "Customer with this email already exists." },
	[E_PASSWORDS_DIFFER] = { 422, "406", "Passwords do not match." },
	[E_WRONG_PASSWORD] = { 400, "408", "Invalid password." },
	[E_UNAUTHORIZED] = { 403, "411", "Unauthorized request." },
	[E_ADDRESS_NOT_FOUND] = { 404, "412", "Address not found." },
	[E_TOO_MANY_ADDRESSES] = { 422, "413", "Too many addresses." },
	[E_SELF_ACTION] = { 403, "415",
	    "You cannot block or delete your own account." },
	[E_USER_EXISTS] = { 422, "416",
	    "User with this username already exists." },
	[E_USER_UNKNOWN] = { 404, "417", "User not found." },
	/* contract §3.3: the rescue names an unknown customer with 404. */
	[E_RESCUE_NO_CUSTOMER] = { 404, "5907", "Customer not found.",
	    SRC_POINTER, "/data/attributes/customerReference", 0 },
	/* contract §4.4, the detail strings exactly as written there. */
	[E_MFA_CODE_MISSING] = { 403, "5900", "X-MFA-Code header is missing.",
	    MFA_HEADER, 0 },
	[E_MFA_CODE_INVALID] = { 403, "5901", "X-MFA-Code is invalid.",
	    MFA_HEADER, 0 },
	[E_MFA_TYPE_MISSING] = { 400, "5902",
	    "Multi-factor authentication type is missing.", MFA_TYPE, 0 },
	[E_MFA_DEACTIVATION_FAILED] = { 400, "5903",
	    "Failed to deactivate multi-factor authentication." },
	[E_MFA_ALREADY_ACTIVE] = { 400, "5904",
	    "Multi-factor authentication type already activated.", MFA_TYPE, 0 },
	[E_NO_CUSTOMER_ID] = { 400, "5905", "No customer identifier provided." },
	[E_MFA_TYPE_NOT_FOUND] = { 400, "5906",
	    "Multi-factor authentication type is not found.", MFA_TYPE, 0 },
	[E_CUSTOMER_NOT_FOUND] = { 400, "5907", "Customer not found." },
	[E_NO_USER_ID] = { 400, "5908", "No user identifier provided." },
	[E_USER_NOT_FOUND] = { 400, "5909", "User not found." },
	[E_MFA_SEND_FAILED] = { 503, "5910", "Something went wrong while "
	    "sending your code. Please try again later or contact the system "
	    "administrator." },
	[E_MFA_LOCKED] = { 429, "5911",
	    "Too many failed attempts. Please try again later.", RETRY },
	[E_MFA_RESEND] = { 429, "5912",
	    "A code was sent recently. Please wait before requesting another.",
	    RETRY },
	/* contract §9.4: too many failed code mails of the account. */
	[E_MFA_SEND_PAUSED] = { 429, "5913", "Your codes could not be sent "
	    "several times. Please try again later.", RETRY },
	/* contract §3.2: sign-up limits, confirmation. */
	[E_SIGNUP_LIMIT] = { 429, "114",
	    "Too many sign-ups. Please try again later.", RETRY },
	[E_CONFIRMATION_INVALID] = { 422, "423",
	    "This email confirmation code is invalid or has been already used." },
	[E_UNCONFIRMED] = { 403, "425",
	    "The customer's email address is not confirmed." },
	/* contract §9.6: retries with an Idempotency-Key. */
	[E_IDEM_KEY_INVALID] = { 400, "115", "Invalid Idempotency-Key header.",
	    IDEM_HEADER, 0 },
	[E_IDEM_MISMATCH] = { 422, "116", "Idempotency-Key was already used "
	    "for a different request.", IDEM_HEADER, 0 },
	[E_IDEM_BUSY] = { 409, "117", "A request with this Idempotency-Key is "
	    "still in progress.", IDEM_HEADER, 1 },
	/* contract §10.2: a member name given twice in one object. */
	[E_DUPLICATE_MEMBER] = { 400, "125",
	    "Duplicate member name: a member may appear only once in an "
	    "object." },
	/* contract §10.10: query parameters, source.parameter names one. */
	[E_PARAM_UNSUPPORTED] = { 400, "135",
	    "Query parameter is not supported." },
	[E_PARAM_PAGE] = { 400, "136", "Invalid page parameter." },
	[E_PARAM_FIELDS] = { 400, "137", "Invalid fields parameter." },
	[E_PARAM_MALFORMED] = { 400, "138", "Malformed query string." },
	/* contract §12.6: method webauthn.  A refused response stores
	 * nothing (its challenge stays live until it expires). */
	[E_WA_MALFORMED] = { 422, "141", "WebAuthn response is malformed.",
	    SRC_POINTER, "/data/attributes/credential", 0 },
	[E_WA_CHALLENGE] = { 422, "142",
	    "WebAuthn challenge is unknown, used or expired.",
	    SRC_POINTER, "/data/attributes/credential", 0 },
	[E_WA_ORIGIN] = { 422, "143",
	    "WebAuthn origin or relying party is not accepted.",
	    SRC_POINTER, "/data/attributes/credential", 0 },
	[E_WA_USER_VERIFICATION] = { 422, "144",
	    "User presence or verification is missing.",
	    SRC_POINTER, "/data/attributes/credential", 0 },
	[E_WA_ATTESTATION] = { 422, "145",
	    "WebAuthn attestation or algorithm is not accepted.",
	    SRC_POINTER, "/data/attributes/credential", 0 },
	[E_WA_CREDENTIAL_EXISTS] = { 422, "146",
	    "This credential is already registered.",
	    SRC_POINTER, "/data/attributes/credential", 0 },
	[E_WA_TOO_MANY] = { 422, "147", "Too many WebAuthn credentials." },
	[E_WA_NOT_FOUND] = { 404, "148", "WebAuthn credential not found." },
	/* In audit rows only: a signature counter that did not increase. */
	[E_WA_COUNTER] = { 422, "149",
	    "WebAuthn signature counter did not increase." },
};

const char *
jsonapi_code(enum err e)
{
	return errs[e].code != NULL ? errs[e].code : "";
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void
out_append(struct req *r, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (r->outlen + n > r->outcap) {
		r->outcap = (r->outlen + n) * 2;
		if ((r->out = realloc(r->out, r->outcap)) == NULL) {
			log_err("response: out of memory");
			exit(1);
		}
	}
	memcpy(r->out + r->outlen, p, n);
	r->outlen += n;
}

/*
 * contract §10.1: what the CORS headers expose and allow, and how long a
 * browser may keep a preflight's answer (it asks again after that).
 */
#define CORS_EXPOSE	"X-Request-Id, Retry-After, WWW-Authenticate"
#define CORS_HEADERS	"Authorization, Content-Type, Accept, X-MFA-Code, " \
			"Idempotency-Key"
#define CORS_MAX_AGE	"600"	/* seconds; Chromium keeps at most 7200 */

/*
 * The header lines of this request alone: its X-Request-Id and, for a
 * listed Origin, Access-Control-Allow-Origin with Vary: Origin (and on an
 * answer that is not a preflight, what it exposes).  An answer stored for
 * an Idempotency-Key is stored without them and given this request's on
 * replay (contract §9.6, §10.1).
 */
static int
own_lines(const struct req *r, char *buf, size_t sz)
{
	int	 cors = r->cors_origin != NULL;

	return snprintf(buf, sz, "X-Request-Id: %s\r\n%s%s%s%s", r->id,
	    cors ? "Access-Control-Allow-Origin: " : "",
	    cors ? r->cors_origin : "", cors ? "\r\nVary: Origin\r\n" : "",
	    cors && !r->cors_preflight ? "Access-Control-Expose-Headers: "
	    CORS_EXPOSE "\r\n" : "");
}

/*
 * Writes one response.  extra: more header lines, each ending in CRLF.
 * Tokens travel in bodies, so nothing may be cached (RFC 6749 §5.1).
 */
static int
respond(struct req *r, int status, const char *ctype, const char *extra,
    const char *body, size_t len)
{
	char	 head[2048], own[512];
	int	 n, first, nown;

	if (r->answered)
		return -1;
	r->answered = 1;
	r->status = status;
	first = snprintf(head, sizeof(head), "Status: %d %s\r\n", status,
	    reason(status));
	nown = own_lines(r, own, sizeof(own));
	if (first < 0 || nown < 0 || (size_t)nown >= sizeof(own))
		return -1;
	n = snprintf(head + first, sizeof(head) - (size_t)first, "%s"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s%s"
	    "%s%s%s\r\n", own,
	    ctype != NULL ? "Content-Type: " : "",
	    ctype != NULL ? ctype : "", ctype != NULL ? "\r\n" : "",
	    extra != NULL ? extra : "", r->headers,
	    status < 400 ? r->ok_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head) - (size_t)first)
		return -1;
	n += first;
	if (r->method == M_HEAD)
		len = 0;
	if (r->hold) {
		r->own_at = r->outlen + (size_t)first;
		r->own_len = (size_t)nown;
		out_append(r, head, (size_t)n);
		out_append(r, body, len);
		return 0;
	}
	if (io_write(r->io, head, (size_t)n) == -1)
		return -1;
	return len == 0 ? 0 : io_write(r->io, body, len);
}

/* Writes a held answer out (the dispatcher, once the request is done). */
int
jsonapi_flush(struct req *r)
{
	int	 rc = 0;

	if (r->outlen > 0)
		rc = io_write(r->io, r->out, r->outlen);
	free(r->out);
	r->out = NULL;
	r->outlen = r->outcap = 0;
	r->hold = 0;
	return rc;
}

/* The held answer as it stands (status line, headers, body). */
const char *
jsonapi_held(const struct req *r, size_t *len)
{
	*len = r->hold ? r->outlen : 0;
	return r->out;
}

/*
 * Answers with a stored answer (contract §9.6): its status line, this
 * request's own lines (X-Request-Id, CORS) and Idempotent-Replayed, then
 * its own headers and body as they were, less the lines of the request
 * that made it (removed before it was stored: jsonapi_held_stored()).
 */
int
jsonapi_replay(struct req *r, const char *ans, size_t len)
{
	const char	*eol = memchr(ans, '\n', len);
	char		 own[512];
	int		 n, status;

	if (r->answered || !r->hold || eol == NULL ||
	    sscanf(ans, "Status: %3d", &status) != 1 || status < 200 ||
	    status > 299)
		return -1;
	n = own_lines(r, own, sizeof(own));
	if (n < 0 || (size_t)n >= sizeof(own))
		return -1;
	r->answered = 1;
	r->status = status;
	out_append(r, ans, (size_t)(eol + 1 - ans));
	out_append(r, own, (size_t)n);
	out_append(r, "Idempotent-Replayed: true\r\n", 27);
	out_append(r, eol + 1, len - (size_t)(eol + 1 - ans));
	return 0;
}

/*
 * The held answer as it is stored for an Idempotency-Key: without this
 * request's own lines (X-Request-Id, CORS), which a replay gives anew.
 * out: the caller's, at least the held length.  Its length, 0 if none.
 */
size_t
jsonapi_held_stored(const struct req *r, char *out, size_t sz)
{
	size_t	 len = r->hold ? r->outlen : 0, n;

	if (len == 0 || sz < len || r->own_at + r->own_len > len)
		return 0;
	memcpy(out, r->out, r->own_at);
	n = len - r->own_at - r->own_len;
	memcpy(out + r->own_at, r->out + r->own_at + r->own_len, n);
	return r->own_at + n;
}

/* Forgets a held answer, so another can be given (a failed commit). */
void
jsonapi_discard(struct req *r)
{
	free(r->out);
	r->out = NULL;
	r->outlen = r->outcap = 0;
	r->answered = 0;
	r->status = 0;
	r->headers[0] = '\0';
	r->ok_headers[0] = '\0';
}

static int
send_doc(struct req *r, int status, const char *ctype, const char *extra,
    cJSON *doc)
{
	char	*s;
	int	 rc;

	s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (s == NULL) {
		log_err("response: out of memory printing JSON");
		exit(1);
	}
	rc = respond(r, status, ctype, extra, s, strlen(s));
	free(s);
	return rc;
}

int
jsonapi_send(struct req *r, int status, cJSON *doc)
{
	return send_doc(r, status, MEDIA_JSONAPI, NULL, doc);
}

/* OAuth 2.0 answers (RFC 6749 §5) are plain JSON, not JSON:API. */
int
http_send_json(struct req *r, int status, cJSON *doc)
{
	http_header(r, "Pragma", "no-cache");
	return send_doc(r, status, "application/json;charset=UTF-8", NULL,
	    doc);
}

/* Adds a header line to the response; values are the caller's constants. */
void
http_header(struct req *r, const char *name, const char *value)
{
	size_t	 n = strlen(r->headers);

	snprintf(r->headers + n, sizeof(r->headers) - n, "%s: %s\r\n", name,
	    value);
}

/* A header line for a successful answer only: what a refusal undoes (a
 * recovery code spent by the guard) must not be announced by it. */
void
http_header_ok(struct req *r, const char *name, const char *value)
{
	size_t	 n = strlen(r->ok_headers);

	snprintf(r->ok_headers + n, sizeof(r->ok_headers) - n, "%s: %s\r\n",
	    name, value);
}

int
jsonapi_no_content(struct req *r)
{
	return respond(r, 204, NULL, NULL, NULL, 0);
}

static void
allow_list(char *buf, size_t sz, unsigned methods)
{
	static const struct { unsigned m; const char *s; } names[] = {
		{ M_GET, "GET" }, { M_HEAD, "HEAD" }, { M_POST, "POST" },
		{ M_PUT, "PUT" }, { M_PATCH, "PATCH" }, { M_DELETE, "DELETE" },
		{ M_OPTIONS, "OPTIONS" },
	};
	size_t	 i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (methods & names[i].m)
			n += (size_t)snprintf(buf + n, sz - n, "%s%s",
			    n > 0 ? ", " : "", names[i].s);
}

static cJSON *
error_doc(const struct req *r, enum err e, enum source src, const char *where,
    cJSON *meta)
{
	cJSON	*doc, *arr, *obj, *s;
	char	 status[8], detail[160];

	doc = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(doc, "errors");
	obj = cJSON_CreateObject();
	cJSON_AddItemToArray(arr, obj);
	snprintf(status, sizeof(status), "%d", errs[e].status);
	cJSON_AddStringToObject(obj, "status", status);
	cJSON_AddStringToObject(obj, "code", errs[e].code);
	if (errs[e].detail != NULL)
		snprintf(detail, sizeof(detail), "%s", errs[e].detail);
	else	/* E_INVALID_FIELD names the field from its pointer. */
		snprintf(detail, sizeof(detail), "%s is invalid.",
		    where != NULL && strrchr(where, '/') != NULL ?
		    strrchr(where, '/') + 1 : "value");
	cJSON_AddStringToObject(obj, "detail", detail);
	if (src != SRC_NONE && where != NULL) {
		s = cJSON_AddObjectToObject(obj, "source");
		cJSON_AddStringToObject(s, src == SRC_POINTER ? "pointer" :
		    src == SRC_HEADER ? "header" : "parameter", where);
	}
	if (meta != NULL)
		cJSON_AddItemToObject(obj, "meta", meta);
	(void)r;
	return doc;
}

/*
 * RFC 9470 §3: a request that needs a second factor (5900) or whose code
 * was wrong (5901), on a route authenticated by a bearer token or at a
 * sign-in that asks for a second factor (r->step_up, contract §10.12),
 * says so in WWW-Authenticate as well as in its body (contract §10.3).
 * NULL: not such an answer.
 */
static const char *
step_up(const struct req *r, enum err e)
{
	if (r->route == NULL || (!(r->route->flags & R_AUTH) && !r->step_up))
		return NULL;
	if (e == E_MFA_CODE_MISSING)
		return "WWW-Authenticate: Bearer "
		    "error=\"insufficient_user_authentication\", "
		    "error_description=\"A second factor is required: send "
		    "a code in X-MFA-Code\"\r\n";
	if (e == E_MFA_CODE_INVALID)
		return "WWW-Authenticate: Bearer "
		    "error=\"insufficient_user_authentication\", "
		    "error_description=\"The code in X-MFA-Code is not "
		    "valid\"\r\n";
	return NULL;
}

/* meta (taken, may be NULL): the error object's "meta" member. */
static int
error_meta_out(struct req *r, enum err e, enum source src, const char *where,
    const char *extra, cJSON *meta)
{
	const char	*www = step_up(r, e);
	char		 both[512];
	if (www != NULL) {
		snprintf(both, sizeof(both), "%s%s", extra != NULL ? extra :
		    "", www);
		extra = both;
	}
	return send_doc(r, errs[e].status, MEDIA_JSONAPI, extra,
	    error_doc(r, e, src, where, meta));
}

static int
error_out(struct req *r, enum err e, enum source src, const char *where,
    const char *extra)
{
	return error_meta_out(r, e, src, where, extra, NULL);
}

/* The error with the source its table row names. */
int
jsonapi_error(struct req *r, enum err e)
{
	return jsonapi_error_retry(r, e, 0);
}

/*
 * The error with meta (taken; NULL: none) as its error object's "meta"
 * member, which JSON:API error objects allow: the sign-in's 5900 carries
 * a passkey's request options there (contract §10.12).
 */
int
jsonapi_error_meta(struct req *r, enum err e, cJSON *meta)
{
	return error_meta_out(r, e, errs[e].src, errs[e].where, NULL, meta);
}

int
jsonapi_error_src(struct req *r, enum err e, enum source src,
    const char *where)
{
	return error_out(r, e, src, where, NULL);
}

/* The error as its table row says, with Retry-After where it has one. */
int
jsonapi_error_retry(struct req *r, enum err e, long retry_after)
{
	char	 extra[64];

	if (!errs[e].retry)
		return error_out(r, e, errs[e].src, errs[e].where, NULL);
	snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n",
	    retry_after > 0 ? retry_after : 1);
	return error_out(r, e, errs[e].src, errs[e].where, extra);
}

/*
 * What a failed database call answers: 503 118 when a COMMIT went out and
 * its answer was lost with the connection (it may have been carried out),
 * 503 110 while the server is gone, else 500.
 */
enum err
jsonapi_db_err(void)
{
	return db_commit_unknown() ? E_COMMIT_UNKNOWN :
	    db_unavailable() ? E_UNAVAILABLE : E_INTERNAL;
}

int
jsonapi_db_error(struct req *r)
{
	return jsonapi_error(r, jsonapi_db_err());
}

/*
 * 405 with Allow, or 204 with Allow for OPTIONS; a CORS preflight's 204
 * also allows the route's methods and the request headers the API reads
 * (contract §10.1).  No Access-Control-Allow-Credentials: bearer tokens
 * travel in Authorization, never in cookies.
 */
int
jsonapi_allow(struct req *r, int status, unsigned methods)
{
	char	 extra[512], list[96];

	allow_list(list, sizeof(list), methods);
	if (status == 204 && r->cors_preflight)
		snprintf(extra, sizeof(extra), "Allow: %s\r\n"
		    "Access-Control-Allow-Methods: %s\r\n"
		    "Access-Control-Allow-Headers: " CORS_HEADERS "\r\n"
		    "Access-Control-Max-Age: " CORS_MAX_AGE "\r\n", list, list);
	else
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", list);
	if (status == 204)
		return respond(r, 204, NULL, extra, NULL, 0);
	return error_out(r, E_METHOD, SRC_NONE, NULL, extra);
}

void
self_link(const struct req *r, char *buf, size_t sz, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;

	n = (size_t)snprintf(buf, sz, "%s/", r->base);
	if (n >= sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
}

/*
 * Sparse fieldsets (JSON:API 1.1 "Sparse Fieldsets", contract §10.10):
 * with fields[TYPE], a resource of the type keeps only the attributes
 * named.  A name the type does not have is no error: nothing to keep.
 */
static void
fieldset_apply(const struct req *r, const char *type, cJSON *attrs)
{
	const struct fieldset	*set = query_fieldset(&r->q, type);
	cJSON			*a, *next;
	size_t			 i;

	if (set == NULL)
		return;
	for (a = attrs->child; a != NULL; a = next) {
		next = a->next;
		for (i = 0; i < set->n; i++)
			if (strcmp(set->name[i], a->string) == 0)
				break;
		if (i == set->n)
			cJSON_Delete(cJSON_DetachItemViaPointer(attrs, a));
	}
}

/* {"type","id","attributes","links":{"self"}}; takes attrs. */
cJSON *
jsonapi_resource(struct req *r, const char *type, const char *id,
    cJSON *attrs, const char *self)
{
	cJSON	*o, *links;

	fieldset_apply(r, type, attrs);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddItemToObject(o, "attributes", attrs);
	links = cJSON_AddObjectToObject(o, "links");
	cJSON_AddStringToObject(links, "self", self);
	return o;
}

/* {"data": data[, "links": {"self"}]}; takes data. */
cJSON *
jsonapi_document(cJSON *data, const char *self)
{
	cJSON	*doc, *links;

	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "data", data);
	if (self != NULL) {
		links = cJSON_AddObjectToObject(doc, "links");
		cJSON_AddStringToObject(links, "self", self);
	}
	return doc;
}

/*
 * A link to the collection at path with the request's fieldsets and, when
 * offset >= 0, a page of it: the same document shape page after page.
 * Brackets and commas stay as they are, as JSON:API's examples and
 * Spryker's links write them; names and values are ours (member names,
 * numbers), so nothing else needs escaping.
 */
static void
page_link(const struct req *r, char *buf, size_t sz, const char *path,
    long long offset, long limit)
{
	size_t	 n, i, j;
	char	 sep = '?';

	self_link(r, buf, sz, "%s", path);
	for (i = 0; i < r->q.nsets && (n = strlen(buf)) < sz; i++, sep = '&') {
		n += (size_t)snprintf(buf + n, sz - n, "%cfields[%s]=", sep,
		    r->q.set[i].type);
		for (j = 0; j < r->q.set[i].n && n < sz; j++)
			n += (size_t)snprintf(buf + n, sz - n, "%s%s",
			    j > 0 ? "," : "", r->q.set[i].name[j]);
	}
	if (offset >= 0 && (n = strlen(buf)) < sz)
		snprintf(buf + n, sz - n, "%cpage[offset]=%lld&page[limit]=%ld",
		    sep, offset, limit);
}

/*
 * A page of a collection (contract §10.10): the resources at
 * page[offset], at most page[limit] of them, of total.  links: self
 * (with the page only when the request named one), first and last
 * always, prev and next where there is such a page (JSON:API: omitted
 * otherwise); meta: totalItems and the page.  Takes data.
 */
cJSON *
jsonapi_page(const struct req *r, cJSON *data, const char *path,
    long long total)
{
	cJSON		*doc, *links, *meta, *page;
	/* base, '/', the path, the fieldsets (no longer than the query they
	 * were decoded from) and the page. */
	char		 link[sizeof(r->base) + MAX_PATH + MAX_QUERY + 64];
	long long	 off = r->q.offset, lim = r->q.limit, last, prev;

	last = total > 0 ? (total - 1) / lim * lim : 0;
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "data", data);
	links = cJSON_AddObjectToObject(doc, "links");
	page_link(r, link, sizeof(link), path, r->q.paged != NULL ? off : -1,
	    r->q.limit);
	cJSON_AddStringToObject(links, "self", link);
	page_link(r, link, sizeof(link), path, 0, r->q.limit);
	cJSON_AddStringToObject(links, "first", link);
	if (off > 0) {
		/* Past the end, the page before is the last one. */
		prev = off - lim < 0 ? 0 : off - lim > last ? last : off - lim;
		page_link(r, link, sizeof(link), path, prev, r->q.limit);
		cJSON_AddStringToObject(links, "prev", link);
	}
	if (off + lim < total) {
		page_link(r, link, sizeof(link), path, off + lim, r->q.limit);
		cJSON_AddStringToObject(links, "next", link);
	}
	page_link(r, link, sizeof(link), path, last, r->q.limit);
	cJSON_AddStringToObject(links, "last", link);
	meta = cJSON_AddObjectToObject(doc, "meta");
	cJSON_AddNumberToObject(meta, "totalItems", (double)total);
	page = cJSON_AddObjectToObject(meta, "page");
	cJSON_AddNumberToObject(page, "offset", (double)off);
	cJSON_AddNumberToObject(page, "limit", (double)lim);
	return doc;
}

void
iso8601(char out[21], long long t)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "1970-01-01T00:00:00Z");
}
