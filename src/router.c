/*
 * The table-driven router and the front line (SPEC §2), in one fixed
 * order: route (404), method (405), content type (415), Accept (406), body
 * size (413), JSON shape (400/409), authentication (403/401).  Handlers see
 * only valid input.
 *
 * Routes match the end of the path: whatever comes before the first
 * segment of a route is the prefix ("backend", a sub-directory, nothing),
 * so programs do not care where the web server mounts them.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

/* Does the route pattern match segments seg[from..]?  Fills params. */
static int
match(struct req *r, const char *pattern, size_t from)
{
	char		 pat[128], *p, *save = NULL;
	const char	*param[4];
	size_t		 i = from, np = 0;

	snprintf(pat, sizeof(pat), "%s", pattern);
	for (p = strtok_r(pat, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save), i++) {
		if (i >= r->nseg)
			return 0;
		if (strcmp(p, ":") == 0) {
			if (np < 4)
				param[np++] = r->seg[i];
		} else if (strcmp(p, r->seg[i]) != 0)
			return 0;
	}
	if (i != r->nseg)
		return 0;
	memcpy(r->param, param, np * sizeof(param[0]));
	return 1;
}

/*
 * Finds the route for the request.  Returns the methods served at the
 * matched path (0: no such path); sets r->route when one serves the method.
 */
static unsigned
route_find(struct req *r, const struct program *p)
{
	enum method	 m = r->method == M_HEAD ? M_GET : r->method;
	unsigned	 allowed = 0;
	size_t		 from, i;

	for (from = 0; from < r->nseg && allowed == 0; from++)
		for (i = 0; i < p->nroutes; i++) {
			if (!match(r, p->routes[i].pattern, from))
				continue;
			allowed |= p->routes[i].method;
			r->prefix = from;
			if (p->routes[i].method == m && r->route == NULL)
				r->route = &p->routes[i];
		}
	/* The matched route's own params win over later matches. */
	if (r->route != NULL)
		(void)match(r, r->route->pattern, r->prefix);
	if (allowed & M_GET)
		allowed |= M_HEAD;
	return allowed != 0 ? allowed | M_OPTIONS : 0;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept). */
static size_t
append_encoded(char *buf, size_t n, size_t sz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0' && n + 4 < sz; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~", c) != NULL)
			buf[n++] = (char)c;
		else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = '\0';
	return n;
}

/* A Host header we are willing to echo into links (RFC 3986 reg-name/IP). */
static int
host_ok(const char *h)
{
	size_t	 n = strlen(h);

	return n > 0 && n < 256 &&
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") == n;
}

/* scheme://host[/prefix], from the request itself (SPEC §2). */
static void
base_build(struct req *r)
{
	const char	*https = req_env(r, "HTTPS");
	const char	*scheme = req_env(r, "REQUEST_SCHEME");
	const char	*host = req_env(r, "HTTP_HOST");
	const char	*name = req_env(r, "SERVER_NAME");
	const char	*port = req_env(r, "SERVER_PORT");
	size_t		 n, i;

	if (https != NULL && (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0))
		scheme = "https";
	else if (scheme == NULL || strcmp(scheme, "https") != 0)
		scheme = "http";
	if (host != NULL && host_ok(host))
		n = (size_t)snprintf(r->base, sizeof(r->base), "%s://%s",
		    scheme, host);
	else
		n = (size_t)snprintf(r->base, sizeof(r->base), "%s://%s%s%s",
		    scheme, name != NULL && host_ok(name) ? name : "localhost",
		    port != NULL && host_ok(port) ? ":" : "",
		    port != NULL && host_ok(port) ? port : "");
	for (i = 0; i < r->prefix && n + 2 < sizeof(r->base); i++) {
		r->base[n++] = '/';
		n = append_encoded(r->base, n, sizeof(r->base), r->seg[i]);
	}
}

/* Any body: a valid Content-Length within the limit, read whole. */
static int
body_read(struct req *r)
{
	if (r->content_length == CL_INVALID)
		return jsonapi_error(r, E_MALFORMED);
	if (r->content_length > MAX_BODY)
		return jsonapi_error(r, E_TOO_LARGE);
	switch (req_read_body(r)) {
	case -1:
		return jsonapi_error(r, E_MALFORMED);
	case -2:
		return jsonapi_error(r, E_TOO_LARGE);
	default:
		return 0;
	}
}

/* A JSON:API body: UTF-8, depth, JSON, then the document's shape. */
static int
body_check(struct req *r)
{
	const cJSON	*data, *type;

	if (body_read(r) != 0)
		return -1;
	if (r->body_len == 0)
		return jsonapi_error_src(r, E_MEMBER, SRC_POINTER, "/data");
	/* json_scan() refuses what cJSON would let through, trailing text
	 * included, so one whole document is all that parses. */
	if (!json_scan(r->body, r->body_len, MAX_JSON_DEPTH) ||
	    (r->doc = cJSON_ParseWithLength(r->body, r->body_len)) == NULL)
		return jsonapi_error(r, E_MALFORMED);
	data = cJSON_GetObjectItemCaseSensitive(r->doc, "data");
	if (!cJSON_IsObject(data))
		return jsonapi_error_src(r, E_MEMBER, SRC_POINTER, "/data");
	type = cJSON_GetObjectItemCaseSensitive(data, "type");
	if (!cJSON_IsString(type))
		return jsonapi_error_src(r, E_MEMBER, SRC_POINTER,
		    "/data/type");
	r->attrs = cJSON_GetObjectItemCaseSensitive(data, "attributes");
	if (!cJSON_IsObject(r->attrs))
		return jsonapi_error_src(r, E_MEMBER, SRC_POINTER,
		    "/data/attributes");
	if (strcmp(type->valuestring, r->route->type) != 0)
		return jsonapi_error_src(r, E_TYPE_MISMATCH, SRC_POINTER,
		    "/data/type");
	return 0;
}

/* The front line; 0 when the handler may run, else the answer is written. */
static int
front_line(struct req *r, const struct program *p)
{
	unsigned	 allowed;
	unsigned	 flags;

	if ((allowed = route_find(r, p)) == 0)
		return jsonapi_error(r, E_NOT_FOUND), -1;
	base_build(r);
	if (r->method == M_OPTIONS)
		return jsonapi_allow(r, 204, allowed), -1;
	if (r->route == NULL)
		return jsonapi_allow(r, 405, allowed), -1;
	flags = r->route->flags;
	if ((flags & R_BODY) && (r->content_length > 0 ||
	    r->content_length == CL_UNTIL_EOF) &&
	    !media_type_ok(r->content_type))
		return jsonapi_error(r, E_MEDIA_TYPE), -1;
	if (!accept_ok(r->accept))
		return jsonapi_error(r, E_NOT_ACCEPTABLE), -1;
	if ((flags & R_BODY) && body_check(r) != 0)
		return -1;
	/* A form's media type and fields are the handler's (OAuth errors). */
	if ((flags & R_FORM) && body_read(r) != 0)
		return -1;
	if ((flags & R_AUTH) && auth_bearer(r, (flags & R_MFA) ||
	    mfa_protects(r) ? AUTH_FULL : (flags & R_METHODS) ? AUTH_METHODS :
	    AUTH_PLAIN) != 0)
		return -1;
	if ((flags & R_SELF) && (r->acct.id == 0 ||
	    customer_ref_id(r->param[0]) != r->acct.id))
		return jsonapi_error(r, E_UNAUTHORIZED), -1;
	if ((flags & R_AUTH) && mfa_guard(r) != 0)
		return -1;
	return 0;
}

void
dispatch(struct req *r, const struct program *p)
{
	db_request_start();
	if (front_line(r, p) == 0)
		(void)r->route->handler(r);
	if (!r->answered) {
		log_err("%s %s: handler wrote no response", r->method_name,
		    r->path);
		jsonapi_error(r, E_INTERNAL);
	}
	db_rollback();
}
