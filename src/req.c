/*
 * The request: everything a handler may know, read once from the CGI/FastCGI
 * parameters (RFC 3875 §4.1).  Handlers never call getenv().
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

const char *
req_env(const struct req *r, const char *name)
{
	const char	*v = io_getenv(r->io, name);

	return v != NULL && strlen(v) <= MAX_HEADER ? v : NULL;
}

static const struct {
	const char	*name;
	enum method	 m;
} methods[] = {
	{ "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST },
	{ "PUT", M_PUT }, { "PATCH", M_PATCH }, { "DELETE", M_DELETE },
	{ "OPTIONS", M_OPTIONS },
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Percent-decodes s in place (RFC 3986 §2.1); with plus, '+' is a space
 * (application/x-www-form-urlencoded).  A NUL byte or a bad escape: -1.
 */
int
url_decode(char *s, int plus)
{
	char	*w = s;
	int	 hi, lo;

	for (; *s != '\0'; s++) {
		if (plus && *s == '+')
			*w++ = ' ';
		else if (*s != '%')
			*w++ = *s;
		else {
			if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0 ||
			    (hi | lo) == 0)
				return -1;
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		}
	}
	*w = '\0';
	return 0;
}

/*
 * JSON:API query parameters (JSON:API 1.1 "Query Parameters", contract
 * §10.10).  What this server does with each name:
 *   fields[TYPE]=a,b	 sparse fieldsets, honoured by the response writer;
 *   page[offset], page[limit]  paging, on the collections that grow;
 *   include, sort	 not supported: 400 (JSON:API requires it);
 *   any other name whose base (before '[') is all a-z: reserved for
 *			 JSON:API, unknown here: 400;
 *   any other name (a character outside a-z, e.g. "_"): an
 *			 implementation-specific parameter, ignored.
 * The first fault found is the one refused.
 */
static void
query_fail(struct query *q, int err, const char *name)
{
	if (q->err != 0)
		return;
	q->err = err;
	snprintf(q->param, sizeof(q->param), "%s", name != NULL ? name : "");
}

/* A name we may echo in source.parameter: printable ASCII, bounded. */
static int
param_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > MAX_PARAM_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

/* A member name as our resources spell them (JSON:API 1.1 "Member
 * Names", the subset we use): letters, digits, '-' and '_'. */
static int
member_name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > MAX_PARAM_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return 1;
}

/* page[offset] 0 or more, page[limit] 1 to PAGE_LIMIT_MAX: digits only. */
static void
query_page(struct query *q, const char *name, const char *v, int limit)
{
	size_t	 n = strlen(v);
	long	 x;

	if (n == 0 || n > PAGE_NUMBER_DIGITS || strspn(v, "0123456789") != n) {
		query_fail(q, E_PARAM_PAGE, name);
		return;
	}
	x = strtol(v, NULL, 10);
	if (limit && (x < 1 || x > PAGE_LIMIT_MAX)) {
		query_fail(q, E_PARAM_PAGE, name);
		return;
	}
	if (limit)
		q->limit = x;
	else
		q->offset = x;
}

/* fields[TYPE]=a,b: the names split in place. */
static void
query_fields(struct query *q, const char *name, char *v)
{
	struct fieldset	*set;
	char		 type[MAX_PARAM_NAME + 1], *p, *save = NULL;
	size_t		 n = strlen(name) - 8;	/* "fields[" ... "]" */

	memcpy(type, name + 7, n);
	type[n] = '\0';
	if (!member_name_ok(type, n) || q->nsets == MAX_FIELDSETS ||
	    query_fieldset(q, type) != NULL) {
		query_fail(q, E_PARAM_FIELDS, name);
		return;
	}
	set = &q->set[q->nsets++];
	memcpy(set->type, type, n + 1);
	set->n = 0;
	if (*v == '\0')		/* fields[TYPE]= : no attributes at all */
		return;
	if (v[strlen(v) - 1] == ',' || *v == ',' || strstr(v, ",,") != NULL) {
		query_fail(q, E_PARAM_FIELDS, name);
		return;
	}
	for (p = strtok_r(v, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (set->n == MAX_FIELDSET_FIELDS ||
		    !member_name_ok(p, strlen(p))) {
			query_fail(q, E_PARAM_FIELDS, name);
			return;
		}
		set->name[set->n++] = p;
	}
}

/* One name=value pair, both decoded. */
static void
query_param(struct query *q, char *name, char *v, unsigned *seen)
{
	size_t	 base = strcspn(name, "[");
	size_t	 n = strlen(name);

	if (strcmp(name, "page[offset]") == 0 ||
	    strcmp(name, "page[limit]") == 0) {
		unsigned bit = name[5] == 'o' ? 1 : 2;

		if (*seen & bit)
			query_fail(q, E_PARAM_PAGE, name);
		*seen |= bit;
		if (q->paged == NULL)
			q->paged = bit == 1 ? "page[offset]" : "page[limit]";
		query_page(q, name, v, bit == 2);
	} else if (strncmp(name, "fields[", 7) == 0 && n > 8 &&
	    name[n - 1] == ']')
		query_fields(q, name, v);
	else if (base > 0 && strspn(name, "abcdefghijklmnopqrstuvwxyz") >=
	    base)
		/* include, sort, filter, page[number], fields, ...: a name
		 * of JSON:API's own that this server does not support. */
		query_fail(q, E_PARAM_UNSUPPORTED, name);
}

void
query_parse(struct query *q, const char *qs)
{
	char		*p, *save = NULL, *name, *v, *eq;
	size_t		 len = qs != NULL ? strlen(qs) : 0;
	unsigned	 seen = 0;

	memset(q, 0, sizeof(*q));
	q->limit = PAGE_LIMIT_DEFAULT;
	if (len == 0)
		return;
	if (len > MAX_QUERY) {
		query_fail(q, E_PARAM_MALFORMED, NULL);
		return;
	}
	memcpy(q->buf, qs, len + 1);
	for (p = strtok_r(q->buf, "&", &save); p != NULL && q->err == 0;
	    p = strtok_r(NULL, "&", &save)) {
		name = p;
		if ((eq = strchr(p, '=')) != NULL) {
			*eq = '\0';
			v = eq + 1;
		} else
			v = p + strlen(p);	/* "" */
		if (url_decode(name, 1) == -1 || url_decode(v, 1) == -1 ||
		    !param_name_ok(name) || !valid_utf8(v, strlen(v))) {
			query_fail(q, E_PARAM_MALFORMED, NULL);
			return;
		}
		query_param(q, name, v, &seen);
	}
}

/* The fieldset asked for the type, or NULL: every field. */
const struct fieldset *
query_fieldset(const struct query *q, const char *type)
{
	size_t	 i;

	for (i = 0; i < q->nsets; i++)
		if (strcmp(q->set[i].type, type) == 0)
			return &q->set[i];
	return NULL;
}

/* Splits the path of the request target into decoded segments. */
static void
split_path(struct req *r, const char *uri)
{
	size_t	 n = strcspn(uri, "?#");
	char	*p, *save = NULL;

	r->nseg = 0;
	if (n > MAX_PATH)
		return;
	memcpy(r->path, uri, n);
	r->path[n] = '\0';
	memcpy(r->segbuf, r->path, n + 1);
	for (p = strtok_r(r->segbuf, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		if (r->nseg == MAX_SEGMENTS || url_decode(p, 0) == -1) {
			r->nseg = 0;
			r->path[0] = '\0';	/* matches nothing: 404 */
			return;
		}
		r->seg[r->nseg++] = p;
	}
}

/* Digits only; anything else (or overflow) is CL_INVALID. */
static long
content_length(const char *v)
{
	char	*end;
	long	 n;

	if (v == NULL || *v == '\0')
		return CL_ABSENT;
	if (!isdigit((unsigned char)*v))
		return CL_INVALID;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno != 0 || *end != '\0' ? CL_INVALID : n;
}

int
req_init(struct req *r, struct io *io, enum side side)
{
	const char	*v, *uri;
	size_t		 i;
	int		 n;

	memset(r, 0, sizeof(*r));
	r->io = io;
	r->side = side;
	r->now = clock_now();
	random_hex(r->id, REQUEST_ID_CHARS / 2);
	log_set_request(r->id);
	r->method_name = req_env(r, "REQUEST_METHOD");
	for (i = 0; r->method_name != NULL &&
	    i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, r->method_name) == 0)
			r->method = methods[i].m;
	if ((uri = req_env(r, "REQUEST_URI")) == NULL &&
	    (uri = req_env(r, "SCRIPT_NAME")) != NULL) {
		/* CGI servers without REQUEST_URI: SCRIPT_NAME + PATH_INFO.
		 * Longer than MAX_PATH, it names nothing: a path cut short
		 * could name another resource. */
		v = req_env(r, "PATH_INFO");
		n = snprintf(r->segbuf, sizeof(r->segbuf), "%s%s", uri,
		    v != NULL ? v : "");
		uri = n >= 0 && (size_t)n < sizeof(r->segbuf) ? r->segbuf : "";
	}
	/* RFC 3875 §4.1.7; servers that pass no QUERY_STRING still have
	 * the query in REQUEST_URI.  Unbounded: an over-long query is
	 * refused, not ignored.  Read before the path is split: uri may be
	 * r->segbuf, which split_path() decodes in place (a "%3F" there
	 * would become a '?' that starts no query). */
	if ((v = io_getenv(r->io, "QUERY_STRING")) == NULL && uri != NULL &&
	    (v = strchr(uri, '?')) != NULL)
		v++;
	query_parse(&r->q, v);
	split_path(r, uri != NULL ? uri : "");
	r->content_type = req_env(r, "CONTENT_TYPE");
	r->accept = req_env(r, "HTTP_ACCEPT");
	/* Unbounded: an over-long token or code is wrong, not absent. */
	r->authorization = io_getenv(r->io, "HTTP_AUTHORIZATION");
	r->mfa_code = io_getenv(r->io, "HTTP_X_MFA_CODE");
	/* Unbounded too: an over-long key is malformed, not absent. */
	r->idem_key = io_getenv(r->io, "HTTP_IDEMPOTENCY_KEY");
	/* Every per-address limit and audit row keys on the client. */
	client_address(req_env(r, "REMOTE_ADDR"), req_env(r, "HTTP_FORWARDED"),
	    req_env(r, "HTTP_X_FORWARDED_FOR"), cfg.trusted_proxies,
	    r->client_addr, sizeof(r->client_addr));
	r->remote_addr = r->client_addr;
	r->user_agent = req_env(r, "HTTP_USER_AGENT");
	r->content_length = content_length(req_env(r, "CONTENT_LENGTH"));
	/* Some servers pass a chunked body on without a length (Apache's
	 * mod_cgi, mod_proxy_fcgi): it ends where the input ends. */
	if (r->content_length == CL_ABSENT &&
	    (v = req_env(r, "HTTP_TRANSFER_ENCODING")) != NULL &&
	    strcasestr(v, "chunked") != NULL)
		r->content_length = CL_UNTIL_EOF;
	return 0;
}

/*
 * Reads exactly CONTENT_LENGTH bytes (the caller checked the limit), or
 * with CL_UNTIL_EOF all there is up to MAX_BODY.  -1: shorter than
 * announced (malformed); -2: more than MAX_BODY (too large).
 */
int
req_read_body(struct req *r)
{
	size_t	 want, got = 0;
	long	 n;

	if (r->content_length <= 0 && r->content_length != CL_UNTIL_EOF)
		return 0;
	want = r->content_length == CL_UNTIL_EOF ? MAX_BODY + 1 :
	    (size_t)r->content_length;
	r->body = xmalloc(want + 1);
	while (got < want &&
	    (n = io_read(r->io, r->body + got, want - got)) > 0)
		got += (size_t)n;
	/* Ended even when refused: nothing reads past what came. */
	r->body[got] = '\0';
	if (got < want && r->content_length != CL_UNTIL_EOF)
		return -1;
	if (got > MAX_BODY)
		return -2;
	r->body_len = got;
	r->content_length = (long)got;
	return 0;
}

void
req_release(struct req *r)
{
	if (r->doc != NULL)
		cJSON_Delete(r->doc);
	cJSON_Delete(r->mfa_options);
	free(r->body);
	r->doc = NULL;
	r->mfa_options = NULL;
	r->body = NULL;
}
