/*
 * src/jsonapi.c, the only writer of responses: the exact bytes of the CGI
 * responses (RFC 3875 §6) it writes through io_write on stdout.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glue.h"
#include "unit.h"

#define CT_JSONAPI	"application/vnd.api+json"

/* ---- capturing stdout ------------------------------------------------- */

static FILE	*cap_file;
static int	 cap_saved = -1;
static char	 out[16384];
static size_t	 outlen;

static void
cap_start(void)
{
	fflush(stdout);
	if ((cap_file = tmpfile()) == NULL ||
	    (cap_saved = dup(STDOUT_FILENO)) == -1 ||
	    dup2(fileno(cap_file), STDOUT_FILENO) == -1) {
		perror("jsonapi_test: capturing stdout");
		exit(2);
	}
}

/* Ends the capture: out holds what was written, NUL-ended. */
static void
cap_end(void)
{
	fflush(stdout);
	dup2(cap_saved, STDOUT_FILENO);
	close(cap_saved);
	rewind(cap_file);
	outlen = fread(out, 1, sizeof(out) - 1, cap_file);
	out[outlen] = '\0';
	fclose(cap_file);
}

/* ---- requests in CGI mode --------------------------------------------- */

/* A CGI request as a web server would start it (RFC 3875 §4.1). */
static void
req_make(struct req *r, const char *method, const char *uri)
{
	static const char *const clear[] = {
		"CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_ACCEPT",
		"HTTP_AUTHORIZATION", "HTTP_X_MFA_CODE", "SCRIPT_NAME",
		"PATH_INFO", "HTTPS", "REQUEST_SCHEME",
	};
	size_t	 i;

	for (i = 0; i < nitems(clear); i++)
		unsetenv(clear[i]);
	setenv("REQUEST_METHOD", method, 1);
	setenv("REQUEST_URI", uri, 1);
	setenv("HTTP_HOST", "shop.example", 1);
	setenv("SERVER_NAME", "shop.example", 1);
	setenv("SERVER_PORT", "80", 1);
	setenv("REMOTE_ADDR", "127.0.0.1", 1);
	setenv("GATEWAY_INTERFACE", "CGI/1.1", 1);
	req_init(r, io_cgi(), SIDE_STOREFRONT);
	snprintf(r->base, sizeof(r->base), "http://shop.example");
}

/* The head every response carries, then ctype and extra header lines. */
static const char *
head(const struct req *r, const char *status, const char *ctype,
    const char *extra)
{
	static char	 buf[2048];

	snprintf(buf, sizeof(buf), "Status: %s\r\n"
	    "X-Request-Id: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s%s%s\r\n", status, r->id,
	    ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "", extra != NULL ? extra : "");
	return buf;
}

/* head() followed by body. */
static const char *
response(const struct req *r, const char *status, const char *ctype,
    const char *extra, const char *body)
{
	static char	 buf[8192];

	snprintf(buf, sizeof(buf), "%s%s", head(r, status, ctype, extra),
	    body);
	return buf;
}

/* ---- tests ------------------------------------------------------------ */

static int
is_lower_hex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return s[n] == '\0';
}

static void
test_request_id(void)
{
	struct req	 a, b;

	req_make(&a, "GET", "/customers/DE--1");
	req_make(&b, "GET", "/customers/DE--1");
	CHECK(REQUEST_ID_CHARS == 32);
	CHECK_INT(strlen(a.id), REQUEST_ID_CHARS);
	CHECK(is_lower_hex(a.id, REQUEST_ID_CHARS));
	CHECK(is_lower_hex(b.id, REQUEST_ID_CHARS));
	CHECK(strcmp(a.id, b.id) != 0);
	CHECK_INT(a.method, M_GET);
	CHECK_INT(a.answered, 0);
	/* The id goes out in the X-Request-Id header. */
	cap_start();
	jsonapi_no_content(&a);
	cap_end();
	CHECK(strstr(out, "\r\nX-Request-Id: ") != NULL);
	CHECK(strstr(out, a.id) != NULL);
	req_release(&a);
	req_release(&b);
}

/* Every error of the table: status line, reason, code, exact detail. */
static void
test_error_table(void)
{
	static const struct {
		const char	*status;	/* the Status header's value */
		const char	*code;
		const char	*detail;
	} t[E__COUNT] = {
		[E_MALFORMED] = { "400 Bad Request", "100",
		    "Malformed request body." },
		[E_MEMBER] = { "400 Bad Request", "101",
		    "Invalid or missing member." },
		[E_TYPE_MISMATCH] = { "409 Conflict", "102",
		    "Resource type does not match the endpoint." },
		[E_NOT_FOUND] = { "404 Not Found", "103",
		    "Resource not found." },
		[E_METHOD] = { "405 Method Not Allowed", "104",
		    "Method not allowed." },
		[E_NOT_ACCEPTABLE] = { "406 Not Acceptable", "105",
		    "Not acceptable." },
		[E_TOO_LARGE] = { "413 Content Too Large", "106",
		    "Request body too large." },
		[E_MEDIA_TYPE] = { "415 Unsupported Media Type", "107",
		    "Unsupported media type." },
		[E_UNAVAILABLE] = { "503 Service Unavailable", "110",
		    "Service temporarily unavailable." },
		[E_INTERNAL] = { "500 Internal Server Error", "111",
		    "Internal server error." },
		[E_COMMIT_UNKNOWN] = { "503 Service Unavailable", "118",
		    "Service temporarily unavailable. The request may have been "
		    "carried out." },
		[E_LOGIN_LIMIT] = { "429 Too Many Requests", "113",
		    "Too many failed login attempts. Please try again later." },
		/* contract §3.8 */
		[E_TOKEN_INVALID] = { "401 Unauthorized", "001",
		    "Invalid access token." },
		[E_TOKEN_MISSING] = { "403 Forbidden", "002",
		    "Missing access token." },
		[E_LOGIN_FAILED] = { "401 Unauthorized", "003",
		    "Failed to authenticate user." },
		[E_REFRESH_FAILED] = { "401 Unauthorized", "004",
		    "Failed to refresh token." },
		[E_INVALID_FIELD] = { "422 Unprocessable Content", "901",
		    "value is invalid." },
		[E_LOCALE_UNKNOWN] = { "422 Unprocessable Content", "140",
		    "Locale is not supported." },
		[E_CUSTOMER_EXISTS] = { "422 Unprocessable Content", "400",
		    "Customer with this email already exists." },
		[E_PASSWORDS_DIFFER] = { "422 Unprocessable Content", "406",
		    "Passwords do not match." },
		[E_WRONG_PASSWORD] = { "400 Bad Request", "408",
		    "Invalid password." },
		[E_UNAUTHORIZED] = { "403 Forbidden", "411",
		    "Unauthorized request." },
		[E_ADDRESS_NOT_FOUND] = { "404 Not Found", "412",
		    "Address not found." },
		[E_TOO_MANY_ADDRESSES] = { "422 Unprocessable Content", "413",
		    "Too many addresses." },
		[E_SELF_ACTION] = { "403 Forbidden", "415",
		    "You cannot block or delete your own account." },
		[E_USER_EXISTS] = { "422 Unprocessable Content", "416",
		    "User with this username already exists." },
		[E_USER_UNKNOWN] = { "404 Not Found", "417", "User not found." },
		/* contract §3.3: the rescue, unknown customer */
		[E_RESCUE_NO_CUSTOMER] = { "404 Not Found", "5907",
		    "Customer not found." },
		/* contract §4.4, exact */
		[E_MFA_CODE_MISSING] = { "403 Forbidden", "5900",
		    "X-MFA-Code header is missing." },
		[E_MFA_CODE_INVALID] = { "403 Forbidden", "5901",
		    "X-MFA-Code is invalid." },
		[E_MFA_TYPE_MISSING] = { "400 Bad Request", "5902",
		    "Multi-factor authentication type is missing." },
		[E_MFA_DEACTIVATION_FAILED] = { "400 Bad Request", "5903",
		    "Failed to deactivate multi-factor authentication." },
		[E_MFA_ALREADY_ACTIVE] = { "400 Bad Request", "5904",
		    "Multi-factor authentication type already activated." },
		[E_NO_CUSTOMER_ID] = { "400 Bad Request", "5905",
		    "No customer identifier provided." },
		[E_MFA_TYPE_NOT_FOUND] = { "400 Bad Request", "5906",
		    "Multi-factor authentication type is not found." },
		[E_CUSTOMER_NOT_FOUND] = { "400 Bad Request", "5907",
		    "Customer not found." },
		[E_NO_USER_ID] = { "400 Bad Request", "5908",
		    "No user identifier provided." },
		[E_USER_NOT_FOUND] = { "400 Bad Request", "5909",
		    "User not found." },
		[E_MFA_SEND_FAILED] = { "503 Service Unavailable", "5910",
		    "Something went wrong while sending your code. Please try "
		    "again later or contact the system administrator." },
		[E_MFA_LOCKED] = { "429 Too Many Requests", "5911",
		    "Too many failed attempts. Please try again later." },
		[E_MFA_RESEND] = { "429 Too Many Requests", "5912",
		    "A code was sent recently. Please wait before requesting "
		    "another." },
		[E_MFA_SEND_PAUSED] = { "429 Too Many Requests", "5913",
		    "Your codes could not be sent several times. Please try "
		    "again later." },
		[E_SIGNUP_LIMIT] = { "429 Too Many Requests", "114",
		    "Too many sign-ups. Please try again later." },
		[E_CONFIRMATION_INVALID] = { "422 Unprocessable Content", "423",
		    "This email confirmation code is invalid or has been "
		    "already used." },
		[E_UNCONFIRMED] = { "403 Forbidden", "425",
		    "The customer's email address is not confirmed." },
		/* contract §9.6 */
		[E_IDEM_KEY_INVALID] = { "400 Bad Request", "115",
		    "Invalid Idempotency-Key header." },
		[E_IDEM_MISMATCH] = { "422 Unprocessable Content", "116",
		    "Idempotency-Key was already used for a different request." },
		[E_IDEM_BUSY] = { "409 Conflict", "117",
		    "A request with this Idempotency-Key is still in progress." },
		/* contract §10.2 */
		[E_DUPLICATE_MEMBER] = { "400 Bad Request", "125",
		    "Duplicate member name: a member may appear only once in "
		    "an object." },
		/* contract §10.10 (the parameter is the caller's) */
		[E_PARAM_UNSUPPORTED] = { "400 Bad Request", "135",
		    "Query parameter is not supported." },
		[E_PARAM_PAGE] = { "400 Bad Request", "136",
		    "Invalid page parameter." },
		[E_PARAM_FIELDS] = { "400 Bad Request", "137",
		    "Invalid fields parameter." },
		[E_PARAM_MALFORMED] = { "400 Bad Request", "138",
		    "Malformed query string." },
		[E_WA_MALFORMED] = { "422 Unprocessable Content", "141",
		    "WebAuthn response is malformed." },
		[E_WA_CHALLENGE] = { "422 Unprocessable Content", "142",
		    "WebAuthn challenge is unknown, used or expired." },
		[E_WA_ORIGIN] = { "422 Unprocessable Content", "143",
		    "WebAuthn origin or relying party is not accepted." },
		[E_WA_USER_VERIFICATION] = { "422 Unprocessable Content", "144",
		    "User presence or verification is missing." },
		[E_WA_ATTESTATION] = { "422 Unprocessable Content", "145",
		    "WebAuthn attestation or algorithm is not accepted." },
		[E_WA_CREDENTIAL_EXISTS] = { "422 Unprocessable Content", "146",
		    "This credential is already registered." },
		[E_WA_TOO_MANY] = { "422 Unprocessable Content", "147",
		    "Too many WebAuthn credentials." },
		[E_WA_NOT_FOUND] = { "404 Not Found", "148",
		    "WebAuthn credential not found." },
		[E_WA_COUNTER] = { "422 Unprocessable Content", "149",
		    "WebAuthn signature counter did not increase." },
	};
	/* The input at fault and Retry-After, where the table has them. */
	static const char *const src[E__COUNT] = {
		[E_RESCUE_NO_CUSTOMER] =
		    ",\"source\":{\"pointer\":\"/data/attributes/customerReference\"}",
		[E_LOCALE_UNKNOWN] =
		    ",\"source\":{\"pointer\":\"/data/attributes/locale\"}",
		[E_MFA_CODE_MISSING] = ",\"source\":{\"header\":\"X-MFA-Code\"}",
		[E_MFA_CODE_INVALID] = ",\"source\":{\"header\":\"X-MFA-Code\"}",
		[E_MFA_TYPE_MISSING] =
		    ",\"source\":{\"pointer\":\"/data/attributes/type\"}",
		[E_MFA_ALREADY_ACTIVE] =
		    ",\"source\":{\"pointer\":\"/data/attributes/type\"}",
		[E_MFA_TYPE_NOT_FOUND] =
		    ",\"source\":{\"pointer\":\"/data/attributes/type\"}",
		[E_IDEM_KEY_INVALID] =
		    ",\"source\":{\"header\":\"Idempotency-Key\"}",
		[E_IDEM_MISMATCH] =
		    ",\"source\":{\"header\":\"Idempotency-Key\"}",
		[E_IDEM_BUSY] =
		    ",\"source\":{\"header\":\"Idempotency-Key\"}",
		[E_WA_MALFORMED] =
		    ",\"source\":{\"pointer\":\"/data/attributes/credential\"}",
		[E_WA_CHALLENGE] =
		    ",\"source\":{\"pointer\":\"/data/attributes/credential\"}",
		[E_WA_ORIGIN] =
		    ",\"source\":{\"pointer\":\"/data/attributes/credential\"}",
		[E_WA_USER_VERIFICATION] =
		    ",\"source\":{\"pointer\":\"/data/attributes/credential\"}",
		[E_WA_ATTESTATION] =
		    ",\"source\":{\"pointer\":\"/data/attributes/credential\"}",
		[E_WA_CREDENTIAL_EXISTS] =
		    ",\"source\":{\"pointer\":\"/data/attributes/credential\"}",
	};
	static const int retry[E__COUNT] = {
		[E_LOGIN_LIMIT] = 1, [E_MFA_LOCKED] = 1, [E_MFA_RESEND] = 1,
		[E_MFA_SEND_PAUSED] = 1,
		[E_SIGNUP_LIMIT] = 1, [E_UNAVAILABLE] = 1, [E_COMMIT_UNKNOWN] = 1,
		[E_IDEM_BUSY] = 1,
	};
	struct req	 r;
	char		 body[512], status[4];
	int		 e;

	for (e = 0; e < E__COUNT; e++) {
		if (e == E_NONE)
			continue;
		if (t[e].code == NULL) {
			CHECKF(0, "error %d: no expectation in this test", e);
			continue;
		}
		CHECK_STR(jsonapi_code((enum err)e), t[e].code);
		memcpy(status, t[e].status, 3);
		status[3] = '\0';
		snprintf(body, sizeof(body), "{\"errors\":[{\"status\":\"%s\","
		    "\"code\":\"%s\",\"detail\":\"%s\"%s}]}", status, t[e].code,
		    t[e].detail, src[e] != NULL ? src[e] : "");
		req_make(&r, "POST", "/customers");
		cap_start();
		CHECK_INT(jsonapi_error(&r, (enum err)e), 0);
		cap_end();
		CHECKF(strcmp(out, response(&r, t[e].status, CT_JSONAPI,
		    retry[e] ? "Retry-After: 1\r\n" : NULL, body)) == 0, "error %d (code %s): got \"%s\"", e, t[e].code,
		    out);
		CHECK_INT(r.status, strtol(t[e].status, NULL, 10));
		CHECK_INT(r.answered, 1);
		req_release(&r);
	}
}

/*
 * A held answer and its replay (contract §9.6): the replay is the stored
 * answer with this request's X-Request-Id and Idempotent-Replayed after
 * the status line; only a 2xx is replayed, and only into a held answer.
 */
static void
test_replay(void)
{
	static const char stored[] = "Status: 201 Created\r\n"
	    "Cache-Control: no-store\r\nContent-Type: " CT_JSONAPI "\r\n"
	    "\r\n{\"data\":1}";
	struct req	 r;
	const char	*held;
	size_t		 len;
	char		 want[512];

	req_make(&r, "POST", "/customers");
	r.hold = 1;
	CHECK_INT(jsonapi_replay(&r, stored, sizeof(stored) - 1), 0);
	CHECK_INT(r.status, 201);
	CHECK_INT(r.answered, 1);
	held = jsonapi_held(&r, &len);
	snprintf(want, sizeof(want), "Status: 201 Created\r\n"
	    "X-Request-Id: %s\r\nIdempotent-Replayed: true\r\n"
	    "Cache-Control: no-store\r\nContent-Type: " CT_JSONAPI "\r\n"
	    "\r\n{\"data\":1}", r.id);
	CHECK_INT((long)len, (long)strlen(want));
	CHECKF(held != NULL && len == strlen(want) &&
	    memcmp(held, want, len) == 0, "replay: got \"%.*s\"", (int)len,
	    held != NULL ? held : "");
	/* Answered already: no second answer. */
	CHECK_INT(jsonapi_replay(&r, stored, sizeof(stored) - 1), -1);
	jsonapi_discard(&r);
	/* Not a success, not a status line, not held: refused. */
	CHECK_INT(jsonapi_replay(&r, "Status: 422 X\r\n\r\n", 17), -1);
	CHECK_INT(jsonapi_replay(&r, "HTTP/1.1 201\r\n\r\n", 16), -1);
	CHECK_INT(r.answered, 0);
	r.hold = 0;
	CHECK_INT(jsonapi_replay(&r, stored, sizeof(stored) - 1), -1);
	CHECK_INT(r.answered, 0);
	req_release(&r);
}

static void
test_error_source(void)
{
	struct req	 r;

	req_make(&r, "POST", "/customers");
	cap_start();
	jsonapi_error_src(&r, E_INVALID_FIELD, SRC_POINTER,
	    "/data/attributes/firstName");
	cap_end();
	CHECK_STR(out, response(&r, "422 Unprocessable Content", CT_JSONAPI,
	    NULL, "{\"errors\":[{\"status\":\"422\",\"code\":\"901\","
	    "\"detail\":\"firstName is invalid.\",\"source\":"
	    "{\"pointer\":\"/data/attributes/firstName\"}}]}"));
	req_release(&r);

	req_make(&r, "POST", "/customers");
	cap_start();
	jsonapi_error_src(&r, E_MEMBER, SRC_POINTER, "/data/attributes");
	cap_end();
	CHECK_STR(out, response(&r, "400 Bad Request", CT_JSONAPI, NULL,
	    "{\"errors\":[{\"status\":\"400\",\"code\":\"101\",\"detail\":"
	    "\"Invalid or missing member.\",\"source\":"
	    "{\"pointer\":\"/data/attributes\"}}]}"));
	req_release(&r);

	req_make(&r, "POST", "/multi-factor-auth-trigger");
	cap_start();
	jsonapi_error_src(&r, E_MFA_CODE_MISSING, SRC_HEADER, "X-MFA-Code");
	cap_end();
	CHECK_STR(out, response(&r, "403 Forbidden", CT_JSONAPI, NULL,
	    "{\"errors\":[{\"status\":\"403\",\"code\":\"5900\",\"detail\":"
	    "\"X-MFA-Code header is missing.\",\"source\":"
	    "{\"header\":\"X-MFA-Code\"}}]}"));
	req_release(&r);

	req_make(&r, "GET", "/customers?page=x");
	cap_start();
	jsonapi_error_src(&r, E_MEMBER, SRC_PARAMETER, "page");
	cap_end();
	CHECK_STR(out, response(&r, "400 Bad Request", CT_JSONAPI, NULL,
	    "{\"errors\":[{\"status\":\"400\",\"code\":\"101\",\"detail\":"
	    "\"Invalid or missing member.\",\"source\":"
	    "{\"parameter\":\"page\"}}]}"));
	req_release(&r);

	/* SRC_NONE, or no location: no source member. */
	req_make(&r, "POST", "/customers");
	cap_start();
	jsonapi_error_src(&r, E_MALFORMED, SRC_POINTER, NULL);
	cap_end();
	CHECK_STR(out, response(&r, "400 Bad Request", CT_JSONAPI, NULL,
	    "{\"errors\":[{\"status\":\"400\",\"code\":\"100\",\"detail\":"
	    "\"Malformed request body.\"}]}"));
	req_release(&r);

	/* Text from the request is escaped as JSON, never raw. */
	req_make(&r, "POST", "/customers");
	cap_start();
	jsonapi_error_src(&r, E_INVALID_FIELD, SRC_POINTER,
	    "/data/attributes/a\"b\\c\n");
	cap_end();
	CHECK_STR(out, response(&r, "422 Unprocessable Content", CT_JSONAPI,
	    NULL, "{\"errors\":[{\"status\":\"422\",\"code\":\"901\","
	    "\"detail\":\"a\\\"b\\\\c\\n is invalid.\",\"source\":"
	    "{\"pointer\":\"/data/attributes/a\\\"b\\\\c\\n\"}}]}"));
	req_release(&r);
}

static void
test_retry_after(void)
{
	static const struct {
		long		 retry;
		const char	*header;
	} t[] = {
		{ 30, "Retry-After: 30\r\n" },
		{ 1, "Retry-After: 1\r\n" },
		{ 3600, "Retry-After: 3600\r\n" },
		{ 0, "Retry-After: 1\r\n" },		/* never 0 */
		{ -5, "Retry-After: 1\r\n" },
	};
	struct req	 r;
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		req_make(&r, "POST", "/access-tokens");
		cap_start();
		jsonapi_error_retry(&r, E_LOGIN_LIMIT, t[i].retry);
		cap_end();
		CHECK_STR(out, response(&r, "429 Too Many Requests",
		    CT_JSONAPI, t[i].header, "{\"errors\":[{\"status\":\"429\","
		    "\"code\":\"113\",\"detail\":\"Too many failed login "
		    "attempts. Please try again later.\"}]}"));
		req_release(&r);
	}
	req_make(&r, "POST", "/multi-factor-auth-type-verify");
	cap_start();
	jsonapi_error_retry(&r, E_MFA_LOCKED, 600);
	cap_end();
	CHECK_STR(out, response(&r, "429 Too Many Requests", CT_JSONAPI,
	    "Retry-After: 600\r\n", "{\"errors\":[{\"status\":\"429\","
	    "\"code\":\"5911\",\"detail\":\"Too many failed attempts. "
	    "Please try again later.\"}]}"));
	req_release(&r);
}

static void
test_allow(void)
{
	struct req	 r;

	/* 405 carries Allow and the error document. */
	req_make(&r, "DELETE", "/customers");
	cap_start();
	jsonapi_allow(&r, 405, M_POST | M_OPTIONS);
	cap_end();
	CHECK_STR(out, response(&r, "405 Method Not Allowed", CT_JSONAPI,
	    "Allow: POST, OPTIONS\r\n", "{\"errors\":[{\"status\":\"405\","
	    "\"code\":\"104\",\"detail\":\"Method not allowed.\"}]}"));
	CHECK_INT(r.status, 405);
	req_release(&r);

	/* OPTIONS: 204 with Allow, no type, no body. */
	req_make(&r, "OPTIONS", "/customers/DE--1");
	cap_start();
	jsonapi_allow(&r, 204, M_GET | M_HEAD | M_PATCH | M_DELETE |
	    M_OPTIONS);
	cap_end();
	CHECK_STR(out, head(&r, "204 No Content", NULL,
	    "Allow: GET, HEAD, PATCH, DELETE, OPTIONS\r\n"));
	CHECK_INT(r.status, 204);
	req_release(&r);

	/* Every method, in a fixed order whatever the bits. */
	req_make(&r, "OPTIONS", "/x");
	cap_start();
	jsonapi_allow(&r, 204, M_OPTIONS | M_DELETE | M_PATCH | M_PUT |
	    M_POST | M_HEAD | M_GET);
	cap_end();
	CHECK_STR(out, head(&r, "204 No Content", NULL,
	    "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n"));
	req_release(&r);
}

static void
test_no_content(void)
{
	struct req	 r;

	req_make(&r, "DELETE", "/customers/DE--1");
	cap_start();
	CHECK_INT(jsonapi_no_content(&r), 0);
	cap_end();
	/* No Content-Type and not one byte after the blank line. */
	CHECK_STR(out, head(&r, "204 No Content", NULL, NULL));
	CHECK_INT(r.status, 204);
	CHECK_INT(r.answered, 1);
	req_release(&r);
}

static void
test_send(void)
{
	struct req	 r;
	cJSON		*attrs, *doc, *list;
	char		 self[256];

	/* A resource document, with UTF-8 passed through as is. */
	req_make(&r, "GET", "/customers/DE--1");
	attrs = cJSON_CreateObject();
	cJSON_AddStringToObject(attrs, "firstName", "Zo\xc3\xab");
	cJSON_AddBoolToObject(attrs, "acceptedTerms", 1);
	self_link(&r, self, sizeof(self), "customers/%s", "DE--1");
	doc = jsonapi_document(jsonapi_resource(&r, "customers", "DE--1",
	    attrs, self), NULL);
	cap_start();
	CHECK_INT(jsonapi_send(&r, 200, doc), 0);
	cap_end();
	CHECK_STR(out, response(&r, "200 OK", CT_JSONAPI, NULL,
	    "{\"data\":{\"type\":\"customers\",\"id\":\"DE--1\","
	    "\"attributes\":{\"firstName\":\"Zo\xc3\xab\","
	    "\"acceptedTerms\":true},\"links\":{\"self\":"
	    "\"http://shop.example/customers/DE--1\"}}}"));
	CHECK_INT(r.status, 200);
	req_release(&r);

	/* 201 and a collection with its own links.self. */
	req_make(&r, "POST", "/customers/DE--1/addresses");
	list = cJSON_CreateArray();
	self_link(&r, self, sizeof(self), "customers/DE--1/addresses/%s",
	    "123e4567-e89b-42d3-a456-556642440000");
	cJSON_AddItemToArray(list, jsonapi_resource(&r, "addresses",
	    "123e4567-e89b-42d3-a456-556642440000", cJSON_CreateObject(),
	    self));
	self_link(&r, self, sizeof(self), "customers/DE--1/addresses");
	cap_start();
	jsonapi_send(&r, 201, jsonapi_document(list, self));
	cap_end();
	CHECK_STR(out, response(&r, "201 Created", CT_JSONAPI, NULL,
	    "{\"data\":[{\"type\":\"addresses\","
	    "\"id\":\"123e4567-e89b-42d3-a456-556642440000\","
	    "\"attributes\":{},\"links\":{\"self\":\"http://shop.example/"
	    "customers/DE--1/addresses/123e4567-e89b-42d3-a456-556642440000\""
	    "}}],\"links\":{\"self\":"
	    "\"http://shop.example/customers/DE--1/addresses\"}}"));
	req_release(&r);

	/* OAuth answers are plain JSON, never cached (RFC 6749 §5.1). */
	req_make(&r, "POST", "/backend/token");
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "token_type", "Bearer");
	cJSON_AddNumberToObject(doc, "expires_in", 28800);
	cap_start();
	http_send_json(&r, 200, doc);
	cap_end();
	CHECK_STR(out, response(&r, "200 OK",
	    "application/json;charset=UTF-8", "Pragma: no-cache\r\n",
	    "{\"token_type\":\"Bearer\",\"expires_in\":28800}"));
	req_release(&r);

	/* ... with the headers the handler added, in order. */
	req_make(&r, "POST", "/backend/token");
	http_header(&r, "Retry-After", "120");
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "error", "invalid_grant");
	cap_start();
	http_send_json(&r, 429, doc);
	cap_end();
	CHECK_STR(out, response(&r, "429 Too Many Requests",
	    "application/json;charset=UTF-8",
	    "Retry-After: 120\r\nPragma: no-cache\r\n",
	    "{\"error\":\"invalid_grant\"}"));
	req_release(&r);
}

static void
test_head(void)
{
	struct req	 r;
	cJSON		*doc;

	/* HEAD: the headers of the GET answer, no body. */
	req_make(&r, "HEAD", "/customers/DE--1");
	CHECK_INT(r.method, M_HEAD);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "data", "x");
	cap_start();
	CHECK_INT(jsonapi_send(&r, 200, doc), 0);
	cap_end();
	CHECK_STR(out, head(&r, "200 OK", CT_JSONAPI, NULL));
	req_release(&r);

	req_make(&r, "HEAD", "/nowhere");
	cap_start();
	jsonapi_error(&r, E_NOT_FOUND);
	cap_end();
	CHECK_STR(out, head(&r, "404 Not Found", CT_JSONAPI, NULL));
	CHECK_INT(r.status, 404);
	req_release(&r);
}

/* One response per request: a second one is refused and writes nothing. */
static void
test_answered_once(void)
{
	struct req	 r;
	char		 first[4096];

	req_make(&r, "GET", "/customers/DE--1");
	cap_start();
	CHECK_INT(jsonapi_error(&r, E_TOKEN_MISSING), 0);
	CHECK_INT(jsonapi_error(&r, E_INTERNAL), -1);
	CHECK_INT(jsonapi_no_content(&r), -1);
	CHECK_INT(jsonapi_send(&r, 200, cJSON_CreateObject()), -1);
	CHECK_INT(jsonapi_allow(&r, 405, M_GET), -1);
	cap_end();
	snprintf(first, sizeof(first), "%s", response(&r, "403 Forbidden",
	    CT_JSONAPI, NULL, "{\"errors\":[{\"status\":\"403\","
	    "\"code\":\"002\",\"detail\":\"Missing access token.\"}]}"));
	CHECK_STR(out, first);
	CHECK_INT(r.status, 403);
	req_release(&r);
}

/* A database error while the server is not known to be gone: 500. */
static void
test_db_error(void)
{
	struct req	 r;

	CHECK_INT(db_unavailable(), 0);
	req_make(&r, "GET", "/customers/DE--1");
	cap_start();
	jsonapi_db_error(&r);
	cap_end();
	CHECK_STR(out, response(&r, "500 Internal Server Error", CT_JSONAPI,
	    NULL, "{\"errors\":[{\"status\":\"500\",\"code\":\"111\","
	    "\"detail\":\"Internal server error.\"}]}"));
	req_release(&r);
}

static void
test_self_link(void)
{
	struct req	 r;
	char		 buf[256], small[12];

	req_make(&r, "GET", "/customers/DE--1");
	self_link(&r, buf, sizeof(buf), "customers/%s", "DE--1");
	CHECK_STR(buf, "http://shop.example/customers/DE--1");
	self_link(&r, buf, sizeof(buf), "access-tokens");
	CHECK_STR(buf, "http://shop.example/access-tokens");

	/* The base carries scheme, host, port and prefix as found. */
	snprintf(r.base, sizeof(r.base), "https://api.example:8443/backend");
	self_link(&r, buf, sizeof(buf), "users/%s",
	    "123e4567-e89b-42d3-a456-556642440000");
	CHECK_STR(buf, "https://api.example:8443/backend/users/"
	    "123e4567-e89b-42d3-a456-556642440000");
	self_link(&r, buf, sizeof(buf), "multi-factor-auth-types/%s", "email");
	CHECK_STR(buf, "https://api.example:8443/backend/"
	    "multi-factor-auth-types/email");

	/* A short buffer is cut and stays a C string. */
	self_link(&r, small, sizeof(small), "users");
	CHECK_STR(small, "https://api");
	snprintf(r.base, sizeof(r.base), "http://h");
	self_link(&r, small, sizeof(small), "users/%d", 12345);
	CHECK_STR(small, "http://h/us");
	self_link(&r, small, 10, "x");
	CHECK_STR(small, "http://h/");
	req_release(&r);
}

static void
test_iso8601(void)
{
	static const struct {
		long long	 t;
		const char	*want;
	} t[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1, "1970-01-01T00:00:01Z" },
		{ -1, "1969-12-31T23:59:59Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 1700000000, "2023-11-14T22:13:20Z" },
		{ 2147483647, "2038-01-19T03:14:07Z" },
		{ 2147483648LL, "2038-01-19T03:14:08Z" },
		{ 253402300799LL, "9999-12-31T23:59:59Z" },
		/* Not representable in 20 characters: the epoch, not garbage. */
		{ 253402300800LL, "1970-01-01T00:00:00Z" },
	};
	char	 buf[21];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		memset(buf, 'x', sizeof(buf));
		iso8601(buf, t[i].t);
		CHECKF(strcmp(buf, t[i].want) == 0, "iso8601(%lld) = \"%.21s\","
		    " want \"%s\"", t[i].t, buf, t[i].want);
	}
}

/* contract §10.3 (RFC 9470 §3): 5900 and 5901 on a bearer route. */
static void
test_step_up(void)
{
	static const struct route bearer = { M_POST, "customers", "customers",
		R_AUTH | R_BODY, NULL };
	static const struct route open = { M_POST, "access-tokens",
		"access-tokens", R_BODY, NULL };
	struct req	 r;

	req_make(&r, "PATCH", "/customers/DE--1");
	r.route = &bearer;
	cap_start();
	CHECK_INT(jsonapi_error(&r, E_MFA_CODE_MISSING), 0);
	cap_end();
	CHECK_STR(out, response(&r, "403 Forbidden", CT_JSONAPI,
	    "WWW-Authenticate: Bearer error=\"insufficient_user_authentication"
	    "\", error_description=\"A second factor is required: send a code "
	    "in X-MFA-Code\"\r\n",
	    "{\"errors\":[{\"status\":\"403\",\"code\":\"5900\",\"detail\":"
	    "\"X-MFA-Code header is missing.\",\"source\":"
	    "{\"header\":\"X-MFA-Code\"}}]}"));
	req_release(&r);

	req_make(&r, "PATCH", "/customers/DE--1");
	r.route = &bearer;
	cap_start();
	CHECK_INT(jsonapi_error(&r, E_MFA_CODE_INVALID), 0);
	cap_end();
	CHECK_STR(out, response(&r, "403 Forbidden", CT_JSONAPI,
	    "WWW-Authenticate: Bearer error=\"insufficient_user_authentication"
	    "\", error_description=\"The code in X-MFA-Code is not valid\"\r\n",
	    "{\"errors\":[{\"status\":\"403\",\"code\":\"5901\",\"detail\":"
	    "\"X-MFA-Code is invalid.\",\"source\":"
	    "{\"header\":\"X-MFA-Code\"}}]}"));
	req_release(&r);

	/* Not a bearer route (a sign-in asking for a code): no challenge. */
	req_make(&r, "POST", "/access-tokens");
	r.route = &open;
	cap_start();
	CHECK_INT(jsonapi_error(&r, E_MFA_CODE_MISSING), 0);
	cap_end();
	CHECK(strstr(out, "WWW-Authenticate") == NULL);
	req_release(&r);

	/* Another 403 on a bearer route: none either. */
	req_make(&r, "PATCH", "/customers/DE--1");
	r.route = &bearer;
	cap_start();
	CHECK_INT(jsonapi_error(&r, E_UNAUTHORIZED), 0);
	cap_end();
	CHECK(strstr(out, "WWW-Authenticate") == NULL);
	req_release(&r);
}

#define ACAO	"Access-Control-Allow-Origin: https://shop.example\r\n" \
		"Vary: Origin\r\n"
#define EXPOSE	"Access-Control-Expose-Headers: X-Request-Id, Retry-After, " \
		"WWW-Authenticate\r\n"

/* contract §10.1: the CORS lines follow X-Request-Id, on every answer. */
static void
test_cors_lines(void)
{
	static const char stored[] = "Status: 201 Created\r\n"
	    "Cache-Control: no-store\r\n\r\n{}";
	struct req	 r;
	char		 want[1024], copy[1024];
	const char	*held;
	size_t		 len, n;

	req_make(&r, "DELETE", "/customers/DE--1");
	r.cors_origin = "https://shop.example";
	cap_start();
	CHECK_INT(jsonapi_no_content(&r), 0);
	cap_end();
	snprintf(want, sizeof(want), "Status: 204 No Content\r\n"
	    "X-Request-Id: %s\r\n" ACAO EXPOSE "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n", r.id);
	CHECK_STR(out, want);
	req_release(&r);

	req_make(&r, "POST", "/access-tokens");
	r.cors_origin = "https://shop.example";
	cap_start();
	CHECK_INT(jsonapi_error_retry(&r, E_LOGIN_LIMIT, 30), 0);
	cap_end();
	snprintf(want, sizeof(want), "Status: 429 Too Many Requests\r\n"
	    "X-Request-Id: %s\r\n" ACAO EXPOSE "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Type: " CT_JSONAPI
	    "\r\nRetry-After: 30\r\n\r\n{\"errors\":[{\"status\":\"429\","
	    "\"code\":\"113\",\"detail\":\"Too many failed login attempts. "
	    "Please try again later.\"}]}", r.id);
	CHECK_STR(out, want);
	req_release(&r);

	/* A preflight: what it allows, no Expose-Headers. */
	req_make(&r, "OPTIONS", "/customers");
	r.cors_origin = "https://shop.example";
	r.cors_preflight = 1;
	cap_start();
	CHECK_INT(jsonapi_allow(&r, 204, M_GET | M_HEAD | M_POST | M_OPTIONS),
	    0);
	cap_end();
	snprintf(want, sizeof(want), "Status: 204 No Content\r\n"
	    "X-Request-Id: %s\r\n" ACAO "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Allow: GET, HEAD, POST, OPTIONS\r\n"
	    "Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS\r\n"
	    "Access-Control-Allow-Headers: Authorization, Content-Type, "
	    "Accept, X-MFA-Code, Idempotency-Key\r\n"
	    "Access-Control-Max-Age: 600\r\n\r\n", r.id);
	CHECK_STR(out, want);
	req_release(&r);

	/* Held: stored without this request's lines, replayed with the
	 * replaying request's. */
	req_make(&r, "POST", "/customers");
	r.cors_origin = "https://shop.example";
	r.hold = 1;
	CHECK_INT(jsonapi_no_content(&r), 0);
	n = jsonapi_held_stored(&r, copy, sizeof(copy));
	copy[n] = '\0';
	CHECK_STR(copy, "Status: 204 No Content\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n");
	CHECK_INT((long)jsonapi_held_stored(&r, copy, 10), 0);
	jsonapi_discard(&r);
	r.cors_origin = NULL;
	CHECK_INT(jsonapi_no_content(&r), 0);
	n = jsonapi_held_stored(&r, copy, sizeof(copy));
	copy[n] = '\0';
	CHECK_STR(copy, "Status: 204 No Content\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n");
	jsonapi_discard(&r);
	r.cors_origin = "https://shop.example";
	CHECK_INT(jsonapi_replay(&r, stored, sizeof(stored) - 1), 0);
	held = jsonapi_held(&r, &len);
	snprintf(want, sizeof(want), "Status: 201 Created\r\n"
	    "X-Request-Id: %s\r\n" ACAO EXPOSE "Idempotent-Replayed: true\r\n"
	    "Cache-Control: no-store\r\n\r\n{}", r.id);
	CHECKF(len == strlen(want) && memcmp(held, want, len) == 0,
	    "replay: got \"%.*s\"", (int)len, held);
	jsonapi_discard(&r);
	r.hold = 0;
	req_release(&r);
}

/* A page's links and meta (contract §10.10) as one string. */
static char *
page_json(struct req *r, long long total)
{
	cJSON	*doc = jsonapi_page(r, cJSON_CreateArray(), "users", total);
	char	*s = cJSON_PrintUnformatted(doc);

	cJSON_Delete(doc);
	return s;
}

static void
test_page(void)
{
	static const struct {
		const char	*qs;
		long long	 total;
		const char	*want;
	} t[] = {
		{ "", 0, "{\"data\":[],\"links\":{\"self\":\"http://h/users\","
		    "\"first\":\"http://h/users?page[offset]=0&page[limit]=50\","
		    "\"last\":\"http://h/users?page[offset]=0&page[limit]=50\"},"
		    "\"meta\":{\"totalItems\":0,\"page\":{\"offset\":0,"
		    "\"limit\":50}}}" },
		{ "page[limit]=10&page[offset]=10", 25, "{\"data\":[],\"links\":{"
		    "\"self\":\"http://h/users?page[offset]=10&page[limit]=10\","
		    "\"first\":\"http://h/users?page[offset]=0&page[limit]=10\","
		    "\"prev\":\"http://h/users?page[offset]=0&page[limit]=10\","
		    "\"next\":\"http://h/users?page[offset]=20&page[limit]=10\","
		    "\"last\":\"http://h/users?page[offset]=20&page[limit]=10\"},"
		    "\"meta\":{\"totalItems\":25,\"page\":{\"offset\":10,"
		    "\"limit\":10}}}" },
		/* The last page exactly: no next. */
		{ "page[offset]=20&page[limit]=10", 30, "{\"data\":[],\"links\":{"
		    "\"self\":\"http://h/users?page[offset]=20&page[limit]=10\","
		    "\"first\":\"http://h/users?page[offset]=0&page[limit]=10\","
		    "\"prev\":\"http://h/users?page[offset]=10&page[limit]=10\","
		    "\"last\":\"http://h/users?page[offset]=20&page[limit]=10\"},"
		    "\"meta\":{\"totalItems\":30,\"page\":{\"offset\":20,"
		    "\"limit\":10}}}" },
		/* Past the end: prev is the last page; fieldsets carried. */
		{ "fields[users]=a,b&page[offset]=99&page[limit]=5", 7,
		    "{\"data\":[],\"links\":{"
		    "\"self\":\"http://h/users?fields[users]=a,b&page[offset]=99&page[limit]=5\","
		    "\"first\":\"http://h/users?fields[users]=a,b&page[offset]=0&page[limit]=5\","
		    "\"prev\":\"http://h/users?fields[users]=a,b&page[offset]=5&page[limit]=5\","
		    "\"last\":\"http://h/users?fields[users]=a,b&page[offset]=5&page[limit]=5\"},"
		    "\"meta\":{\"totalItems\":7,\"page\":{\"offset\":99,"
		    "\"limit\":5}}}" },
		/* An offset inside the first page: prev is the first. */
		{ "page[offset]=3&page[limit]=5", 7, "{\"data\":[],\"links\":{"
		    "\"self\":\"http://h/users?page[offset]=3&page[limit]=5\","
		    "\"first\":\"http://h/users?page[offset]=0&page[limit]=5\","
		    "\"prev\":\"http://h/users?page[offset]=0&page[limit]=5\","
		    "\"last\":\"http://h/users?page[offset]=5&page[limit]=5\"},"
		    "\"meta\":{\"totalItems\":7,\"page\":{\"offset\":3,"
		    "\"limit\":5}}}" },
	};
	struct req	 r;
	size_t		 i;
	char		*s;

	for (i = 0; i < nitems(t); i++) {
		req_make(&r, "GET", "/users");
		snprintf(r.base, sizeof(r.base), "http://h");
		query_parse(&r.q, t[i].qs);
		CHECK_INT(r.q.err, 0);
		s = page_json(&r, t[i].total);
		CHECKF(strcmp(s, t[i].want) == 0, "%s: %s", t[i].qs, s);
		free(s);
	}
}

/* Sparse fieldsets: the attributes named stay, in their order. */
static void
test_fieldsets(void)
{
	struct req	 r;
	cJSON		*a, *o;
	char		*s;

	req_make(&r, "GET", "/users");
	snprintf(r.base, sizeof(r.base), "http://h");
	query_parse(&r.q, "fields[users]=status,nope,username&fields[x]=");
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "username", "u@x.de");
	cJSON_AddStringToObject(a, "firstName", "U");
	cJSON_AddStringToObject(a, "status", "active");
	o = jsonapi_resource(&r, "users", "1", a, "http://h/users/1");
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"type\":\"users\",\"id\":\"1\",\"attributes\":{"
	    "\"username\":\"u@x.de\",\"status\":\"active\"},\"links\":{"
	    "\"self\":\"http://h/users/1\"}}");
	free(s);
	cJSON_Delete(o);
	/* An empty fieldset keeps nothing; another type's keeps everything. */
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "k", "v");
	o = jsonapi_resource(&r, "x", "1", a, "s");
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"type\":\"x\",\"id\":\"1\",\"attributes\":{},"
	    "\"links\":{\"self\":\"s\"}}");
	free(s);
	cJSON_Delete(o);
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "k", "v");
	o = jsonapi_resource(&r, "addresses", "1", a, "s");
	s = cJSON_PrintUnformatted(o);
	CHECK_STR(s, "{\"type\":\"addresses\",\"id\":\"1\",\"attributes\":{"
	    "\"k\":\"v\"},\"links\":{\"self\":\"s\"}}");
	free(s);
	cJSON_Delete(o);
}

int
main(void)
{
	test_request_id();
	test_error_table();
	test_error_source();
	test_retry_after();
	test_allow();
	test_replay();
	test_step_up();
	test_cors_lines();
	test_no_content();
	test_send();
	test_head();
	test_answered_once();
	test_db_error();
	test_self_link();
	test_iso8601();
	test_page();
	test_fieldsets();
	return unit_done();
}
