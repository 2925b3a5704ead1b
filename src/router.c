/*
 * The table-driven router and the front line (contract §2.1), in one fixed
 * order: route (404), method (405), content type (415), Accept (406), query
 * parameters (400, contract §10.10), body size (413), JSON shape
 * (400/409), authentication (403/401).  Handlers see
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
#include <time.h>

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

/* scheme://host[/prefix], from the request itself (contract §2.6). */
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

/*
 * The pipeline.  Each step answers the request or passes it on; a step
 * returns nothing, so there is no result to mistake for success: the
 * response writer marks the request answered, and the dispatcher stops at
 * the first step that answered.  No step before the handler changes
 * anything for a request that a later step refuses: the MFA guard's code
 * consumption is part of the request's unit of work, which commits only
 * with a successful answer (conclude()).
 */

/* Any body: a valid Content-Length within the limit, read whole. */
static void
body_read(struct req *r)
{
	if (r->content_length == CL_INVALID) {
		jsonapi_error(r, E_MALFORMED);
		return;
	}
	if (r->content_length > MAX_BODY) {
		jsonapi_error(r, E_TOO_LARGE);
		return;
	}
	switch (req_read_body(r)) {
	case -1:
		jsonapi_error(r, E_MALFORMED);
		break;
	case -2:
		jsonapi_error(r, E_TOO_LARGE);
		break;
	default:
		break;
	}
}

/* A JSON:API document: UTF-8, depth, JSON, then its shape (contract §2). */
static void
body_check(struct req *r)
{
	const cJSON	*data, *type;
	char		 ptr[256];

	body_read(r);
	if (r->answered)
		return;
	if (r->body_len == 0) {
		jsonapi_error_src(r, E_MEMBER, SRC_POINTER, "/data");
		return;
	}
	/* json_scan() refuses what cJSON would let through, trailing text
	 * included, so one whole document is all that parses. */
	if (!json_scan(r->body, r->body_len, MAX_JSON_DEPTH) ||
	    (r->doc = cJSON_ParseWithLength(r->body, r->body_len)) == NULL) {
		jsonapi_error(r, E_MALFORMED);
		return;
	}
	/* contract §10.2: cJSON would read the first of two members of one
	 * name, other parsers the last. */
	if (json_duplicate(r->doc, ptr, sizeof(ptr))) {
		jsonapi_error_src(r, E_DUPLICATE_MEMBER, SRC_POINTER, ptr);
		return;
	}
	data = cJSON_GetObjectItemCaseSensitive(r->doc, "data");
	if (!cJSON_IsObject(data)) {
		jsonapi_error_src(r, E_MEMBER, SRC_POINTER, "/data");
		return;
	}
	type = cJSON_GetObjectItemCaseSensitive(data, "type");
	if (!cJSON_IsString(type)) {
		jsonapi_error_src(r, E_MEMBER, SRC_POINTER, "/data/type");
		return;
	}
	r->attrs = cJSON_GetObjectItemCaseSensitive(data, "attributes");
	if (!cJSON_IsObject(r->attrs)) {
		jsonapi_error_src(r, E_MEMBER, SRC_POINTER, "/data/attributes");
		return;
	}
	if (strcmp(type->valuestring, r->route->type) != 0)
		jsonapi_error_src(r, E_TYPE_MISMATCH, SRC_POINTER,
		    "/data/type");
}

/* 404, OPTIONS, 405 + Allow. */
static void
step_route(struct req *r, const struct program *p)
{
	unsigned	 allowed;

	if ((allowed = route_find(r, p)) == 0) {
		jsonapi_error(r, E_NOT_FOUND);
		return;
	}
	base_build(r);
	/* A CORS preflight (Fetch §3.2.2): OPTIONS from a listed Origin with
	 * Access-Control-Request-Method.  Answered whatever method it asks
	 * for: the browser compares it with what is allowed. */
	if (r->method == M_OPTIONS && r->cors_origin != NULL &&
	    req_env(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") != NULL)
		r->cors_preflight = 1;
	if (r->method == M_OPTIONS)
		jsonapi_allow(r, 204, allowed);
	else if (r->route == NULL)
		jsonapi_allow(r, 405, allowed);
}

/* 415, 406. */
static void
step_media(struct req *r, const struct program *p)
{
	(void)p;
	if ((r->route->flags & R_BODY) && (r->content_length > 0 ||
	    r->content_length == CL_UNTIL_EOF) &&
	    !media_type_ok(r->content_type))
		jsonapi_error(r, E_MEDIA_TYPE);
	else if (!accept_ok(r->accept))
		jsonapi_error(r, E_NOT_ACCEPTABLE);
}

/*
 * 400 with source.parameter (contract §10.10): the query parameters
 * req_init() read, refused once for every JSON:API route.  include and
 * sort are refused as JSON:API 1.1 requires of a server that supports
 * neither; page[...] only on a collection that is paged.  The OAuth
 * token endpoints (forms) are not JSON:API: their query is not read.
 */
static void
step_query(struct req *r, const struct program *p)
{
	const struct query	*q = &r->q;
	int			 paged = (r->route->flags & R_PAGED) != 0;

	(void)p;
	if (r->route->flags & R_FORM)
		return;
	/* Where nothing is paged, page[...] is not supported, whatever its
	 * value: 135 for a bad page number too. */
	if (q->err == E_PARAM_PAGE && !paged)
		jsonapi_error_src(r, E_PARAM_UNSUPPORTED, SRC_PARAMETER,
		    q->param);
	else if (q->err != 0)
		jsonapi_error_src(r, (enum err)q->err,
		    q->param[0] != '\0' ? SRC_PARAMETER : SRC_NONE, q->param);
	else if (q->paged != NULL && !paged)
		jsonapi_error_src(r, E_PARAM_UNSUPPORTED, SRC_PARAMETER,
		    q->paged);
}

/* 413, 400 with its pointer, 409.  A form's media type and fields are
 * the handler's (OAuth errors have their own shape). */
static void
step_body(struct req *r, const struct program *p)
{
	(void)p;
	if (r->route->flags & R_BODY)
		body_check(r);
	else if (r->route->flags & R_FORM)
		body_read(r);
}

/* What of the MFA state the authentication query loads: decided once. */
static enum auth_level
auth_level_for(const struct req *r)
{
	if ((r->route->flags & R_MFA) || mfa_protects(r))
		return AUTH_FULL;
	return (r->route->flags & R_METHODS) ? AUTH_METHODS : AUTH_PLAIN;
}

/* 403 002, 401 001 (contract §3.1). */
static void
step_authenticate(struct req *r, const struct program *p)
{
	(void)p;
	if (r->route->flags & R_AUTH)
		(void)auth_bearer(r, auth_level_for(r));
}

/*
 * The path names the caller: another customer's reference, or one that
 * does not exist, gets the same 403 (contract §3.2: nothing reveals
 * whether a reference exists).  Before the MFA guard, so a code is never
 * spent on a request that is refused anyway.
 */
static void
step_authorize(struct req *r, const struct program *p)
{
	(void)p;
	if ((r->route->flags & R_SELF) && (r->acct.id == 0 ||
	    r->param[0] == NULL || customer_ref_id(r->param[0]) != r->acct.id))
		jsonapi_error(r, E_UNAUTHORIZED);
}

/*
 * The MFA guard (contract §4.3).  Routes that check codes themselves
 * (R_MFA: the MFA resources) are never guarded as well, even when listed
 * as protected: one code check per request, so a failure it counts is
 * never inside another check's unit of work.
 */
static void
step_guard(struct req *r, const struct program *p)
{
	(void)p;
	if (!(r->route->flags & R_AUTH) || (r->route->flags & R_MFA))
		return;
	/* The caller's current password, counted before the guard opens
	 * the unit of work (contract §3.6). */
	if ((r->route->flags & R_PASSWORD) && auth_password_count(r) != 0) {
		jsonapi_db_error(r);
		return;
	}
	mfa_guard(r);
}

/* Idempotency-Key (contract §9.6): the key checked and a stored answer
 * replayed before the guard (a replay needs no code and spends none);
 * the key's row claimed in the unit of work after it. */
static void
step_replay(struct req *r, const struct program *p)
{
	(void)p;
	idem_replay(r);
}

static void
step_claim(struct req *r, const struct program *p)
{
	(void)p;
	idem_claim(r);
}

static void
step_handler(struct req *r, const struct program *p)
{
	(void)p;
	(void)r->route->handler(r);
	if (!r->answered) {
		log_err("%s %s: handler wrote no response", r->method_name,
		    r->path);
		jsonapi_error(r, E_INTERNAL);
	}
}

static void (*const pipeline[])(struct req *, const struct program *) = {
	step_route, step_media, step_query, step_body, step_authenticate,
	step_authorize, step_replay, step_guard, step_claim, step_handler,
};
/* Where a unit of work run again starts: the steps before it (the front
 * line) use no database and their result stands. */
#define STEP_UNIT	4

/*
 * The request's unit of work ends with its answer: a success commits what
 * is still open (the guard's code consumption and the handler's writes
 * together) and records the guard's decision; a refusal rolls it back.
 * A commit that fails replaces the answer: nothing was done.  A success
 * sent with an Idempotency-Key stores its answer first (idem.c), in the
 * same commit where the route's work is still open.
 */
static void
conclude(struct req *r)
{
	int	 rc;

	if (r->status >= 400) {
		db_rollback();
		auth_attempt_end(r, 1);
		return;
	}
	rc = mfa_guard_passed(r) != 0 ? -1 : idem_conclude(r);
	if (rc > 0) {		/* another request's answer, replayed */
		auth_attempt_end(r, 1);
		return;
	}
	if (rc < 0 || (db_in_transaction() && db_commit() != 0)) {
		db_rollback();
		auth_attempt_end(r, 1);
		jsonapi_discard(r);
		jsonapi_db_error(r);
		return;
	}
	auth_attempt_end(r, 0);
}

/*
 * Contract §9.1: an attempt that met a deadlock or a lock wait timeout
 * committed nothing after it (db.c refuses every statement from then on)
 * and its answer is discarded.  When nothing of the request was committed
 * before it either, nothing has left the process (every mail and other
 * effect outside the database follows a commit), so the unit of work runs
 * again from authentication on, with the request's per-attempt state
 * reset, up to MAX_TX_RETRIES times after a jittered pause.  Otherwise, or
 * when the retries are spent, the answer is 503 with Retry-After: the
 * client may try again.  1: run it again.
 */
static int
rerun(struct req *r, int attempt)
{
	unsigned int	 e = db_conflict();
	const char	*what = e == 1213 ? "deadlock" : "lock wait timeout";

	if (e == 0)
		return 0;
	db_rollback();
	jsonapi_discard(r);
	if (db_committed() != 0 || attempt > MAX_TX_RETRIES) {
		log_warn("%s %s: %s (%u): not run again (%s)", r->method_name,
		    r->path, what, e, db_committed() != 0 ?
		    "part of it was committed" : "retries spent");
		jsonapi_error(r, E_UNAVAILABLE);
		return 0;
	}
	log_warn("%s %s: %s (%u): the unit of work runs again (attempt %d "
	    "of %d)", r->method_name, r->path, what, e, attempt + 1,
	    MAX_TX_RETRIES + 1);
	db_retry_pause(attempt);
	memset(&r->acct, 0, sizeof(r->acct));
	r->guard_passed = 0;
	/* A committed count stays (login_count()); the rest is this
	 * attempt's. */
	r->login.limited = r->login.passed = 0;
	db_request_start();
	return 1;
}

/*
 * contract §10.1: a request from an Origin listed in cors_allow_origins
 * gets the CORS headers on its answer, whatever the answer (jsonapi.c
 * writes them); any other Origin gets none, and the same answer.  Never
 * the development mailbox: a page trusted with the API is not trusted
 * with every account's codes.
 */
static void
cors_decide(struct req *r, const struct program *p)
{
	const char	*origin = req_env(r, "HTTP_ORIGIN");

	if (origin != NULL && cfg.cors_allow_origins != NULL &&
	    strcmp(p->name, "dev-mailbox") != 0 &&
	    origin_listed(cfg.cors_allow_origins, origin))
		r->cors_origin = origin;
}

void
dispatch(struct req *r, const struct program *p)
{
	size_t	 i;
	int	 attempt = 1;

	cors_decide(r, p);
	db_request_start();
	r->hold = 1;		/* the answer leaves after conclude() */
	do {
		for (i = attempt == 1 ? 0 : STEP_UNIT; i < nitems(pipeline) &&
		    !r->answered; i++)
			pipeline[i](r, p);
		conclude(r);
	} while (rerun(r, attempt++));
	idem_done(r);
	fault_point("request-committed");
	jsonapi_flush(r);
	/* A request that queued notices hands them over before its client
	 * has the answer (who reads the answer finds the mail sent); one that
	 * queued none lets the answer go first, then looks at others'. */
	if (r->notices == 0) {
		io_answered(r->io);
		if (io_is_cgi())
			fault_point("cgi-answered");
	}
	outbox_after(r);	/* the notices it queued, after its answer */
}
