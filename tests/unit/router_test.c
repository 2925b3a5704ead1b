/*
 * src/router.c through dispatch() on the in-memory transport: which route
 * a path reaches (prefixes, parameters), 404, 405 with Allow, OPTIONS,
 * and the front line's fixed order (contract §2): 404, 405, 415, 406, 413,
 * 400 (with its pointer), 409, then authentication (403 002, 401 001).
 * Every refusal is checked to be the only response and to leave the
 * handler unrun.  No route here reaches the database.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "unit.h"

#define CT_JSONAPI	"application/vnd.api+json"
#define GOOD_BODY	"{\"data\":{\"type\":\"widgets\",\"attributes\":{}}}"
#define SECURE		"{\"data\":{\"type\":\"secure\",\"attributes\":{}}}"

/* ---- the program under test ------------------------------------------ */

/* What the last handler saw; ran counts handler calls. */
static struct {
	int		 ran;
	size_t		 prefix;
	char		 param[4][128];
	char		 base[MAX_PATH + 512];
	char		 body[128];
	size_t		 body_len;
	char		 type[64];
} seen;

static void
see(struct req *r)
{
	size_t	 i;

	seen.ran++;
	seen.prefix = r->prefix;
	for (i = 0; i < 4; i++)
		snprintf(seen.param[i], sizeof(seen.param[i]), "%s",
		    r->param[i] != NULL ? r->param[i] : "(null)");
	snprintf(seen.base, sizeof(seen.base), "%s", r->base);
	seen.body_len = r->body_len;
	snprintf(seen.body, sizeof(seen.body), "%.*s", (int)r->body_len,
	    r->body != NULL ? r->body : "");
	snprintf(seen.type, sizeof(seen.type), "%s",
	    r->attrs != NULL ? "attributes" : "");
}

/* GET: 200 with an empty collection; anything else: 204. */
static int
h_ok(struct req *r)
{
	see(r);
	if (r->method == M_GET || r->method == M_HEAD)
		return jsonapi_send(r, 200,
		    jsonapi_document(cJSON_CreateArray(), NULL));
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_GET, "widgets", NULL, 0, h_ok },
	{ M_POST, "widgets", "widgets", R_BODY, h_ok },
	{ M_GET, "widgets/:", NULL, 0, h_ok },
	{ M_PATCH, "widgets/:", "widgets", R_BODY, h_ok },
	{ M_DELETE, "widgets/:", NULL, 0, h_ok },
	{ M_GET, "widgets/:/parts/:", NULL, 0, h_ok },
	{ M_POST, "token", NULL, R_FORM, h_ok },
	{ M_GET, "secure", NULL, R_AUTH, h_ok },
	{ M_POST, "secure", "secure", R_BODY | R_AUTH, h_ok },
};

static const struct program prog = {
	"router_test", SIDE_STOREFRONT, routes, nitems(routes)
};

/* ---- one request, its response ---------------------------------------- */

static struct {
	char		 out[MAX_BODY * 2];
	size_t		 len;
	int		 nresp;		/* "Status: " lines written */
	int		 status;
	char		 line[128];	/* the status line, without CRLF */
	char		 allow[128];	/* the Allow value, or "" */
	const char	*body;		/* after the blank line */
	char		 code[16];	/* errors[0].code, or "" */
	char		 pointer[64];	/* errors[0].source.pointer, or "" */
	int		 has_source;
} res;

/* The value of header name in the head of the response, or "". */
static void
header(const char *name, char *buf, size_t sz)
{
	char		 key[64];
	const char	*p, *end = strstr(res.out, "\r\n\r\n");

	buf[0] = '\0';
	snprintf(key, sizeof(key), "\r\n%s: ", name);
	if ((p = strstr(res.out, key)) == NULL || end == NULL || p > end)
		return;
	p += strlen(key);
	snprintf(buf, sz, "%.*s", (int)strcspn(p, "\r"), p);
}

static void
parse_response(void)
{
	const char	*p;
	cJSON		*doc, *e, *src;
	const cJSON	*v;

	memset(res.line, 0, sizeof(res.line));
	res.status = 0;
	res.code[0] = res.pointer[0] = '\0';
	res.has_source = 0;
	res.nresp = 0;
	for (p = res.out; (p = strstr(p, "Status: ")) != NULL; p++)
		res.nresp++;
	snprintf(res.line, sizeof(res.line), "%.*s",
	    (int)strcspn(res.out, "\r"), res.out);
	if (strncmp(res.line, "Status: ", 8) == 0)
		res.status = (int)strtol(res.line + 8, NULL, 10);
	header("Allow", res.allow, sizeof(res.allow));
	p = strstr(res.out, "\r\n\r\n");
	res.body = p != NULL ? p + 4 : "";
	if ((doc = cJSON_Parse(res.body)) == NULL)
		return;
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "errors"), 0);
	if ((v = cJSON_GetObjectItem(e, "code")) != NULL &&
	    cJSON_IsString(v))
		snprintf(res.code, sizeof(res.code), "%s", v->valuestring);
	if ((src = cJSON_GetObjectItem(e, "source")) != NULL) {
		res.has_source = 1;
		if ((v = cJSON_GetObjectItem(src, "pointer")) != NULL &&
		    cJSON_IsString(v))
			snprintf(res.pointer, sizeof(res.pointer), "%s",
			    v->valuestring);
	}
	cJSON_Delete(doc);
}

/* Dispatches one request to pg: env "NAME=value" strings up to NULL, a body. */
static void
run_to(const struct program *pg, const char *const *env, const char *body,
    size_t len)
{
	struct io	*io = io_mem_new(env, body, len);
	struct req	 r;
	const char	*o;

	memset(&seen, 0, sizeof(seen));
	req_init(&r, io, pg->side);
	dispatch(&r, pg);
	req_release(&r);
	o = io_mem_output(io, &res.len);
	if (res.len >= sizeof(res.out))
		res.len = sizeof(res.out) - 1;
	memcpy(res.out, o, res.len);
	res.out[res.len] = '\0';
	io_mem_free(io);
	parse_response();
}

/* The same to prog. */
static void
run(const char *const *env, const char *body, size_t len)
{
	run_to(&prog, env, body, len);
}

/* method uri with the usual headers of a JSON:API client and no body. */
static void
req(const char *method, const char *uri)
{
	char	 m[64], u[MAX_PATH + 64];
	const char *env[] = { m, u, "HTTP_HOST=shop.example",
	    "HTTP_ACCEPT=" CT_JSONAPI, NULL };

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	run(env, NULL, 0);
}

/*
 * method uri with a body (its CONTENT_LENGTH given: NULL for the body's
 * own length, "" for none), a Content-Type and an Accept (NULL: absent),
 * and an Authorization (NULL: absent).
 */
static void
submit(const char *method, const char *uri, const char *ctype,
    const char *accept, const char *cl, const char *auth, const char *body,
    size_t len)
{
	char		 m[64], u[MAX_PATH + 64], c[128], a[128], l[64], z[128];
	const char	*env[8];
	size_t		 n = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[n++] = m;
	env[n++] = u;
	if (ctype != NULL) {
		snprintf(c, sizeof(c), "CONTENT_TYPE=%s", ctype);
		env[n++] = c;
	}
	if (accept != NULL) {
		snprintf(a, sizeof(a), "HTTP_ACCEPT=%s", accept);
		env[n++] = a;
	}
	if (cl == NULL) {
		snprintf(l, sizeof(l), "CONTENT_LENGTH=%zu", len);
		env[n++] = l;
	} else if (*cl != '\0') {
		snprintf(l, sizeof(l), "CONTENT_LENGTH=%s", cl);
		env[n++] = l;
	}
	if (auth != NULL) {
		snprintf(z, sizeof(z), "HTTP_AUTHORIZATION=%s", auth);
		env[n++] = z;
	}
	env[n] = NULL;
	run(env, body, len);
}

/* A JSON:API POST of body to uri. */
static void
post(const char *uri, const char *body)
{
	submit("POST", uri, CT_JSONAPI, CT_JSONAPI, NULL, NULL, body,
	    strlen(body));
}

/* The response was exactly one error: status line, code, pointer (NULL:
 * no source at all), and the handler did not run. */
#define CHECK_ERR(want_line, want_code, want_pointer) do {		\
	CHECK_STR(res.line, (want_line));				\
	CHECK_STR(res.code, (want_code));				\
	if ((want_pointer) == NULL)					\
		CHECK_INT(res.has_source, 0);				\
	else								\
		CHECK_STR(res.pointer, (want_pointer));			\
	CHECK_INT(res.nresp, 1);					\
	CHECK_INT(seen.ran, 0);						\
} while (0)

/* The handler ran once and answered alone. */
#define CHECK_RAN(want_line) do {					\
	CHECK_STR(res.line, (want_line));				\
	CHECK_INT(res.nresp, 1);					\
	CHECK_INT(seen.ran, 1);						\
} while (0)

/* ---- tests ------------------------------------------------------------ */

/* Which route a path reaches; its parameters and prefix. */
static void
test_paths(void)
{
	static const struct {
		const char	*uri;
		const char	*line;
		size_t		 prefix;
		const char	*p0, *p1;
	} t[] = {
		{ "/widgets", "Status: 200 OK", 0, "(null)", "(null)" },
		{ "/widgets/", "Status: 200 OK", 0, "(null)", "(null)" },
		{ "//widgets//", "Status: 200 OK", 0, "(null)", "(null)" },
		{ "/widgets?_page=2#top", "Status: 200 OK", 0, "(null)",
		    "(null)" },
		{ "/widgets/7", "Status: 200 OK", 0, "7", "(null)" },
		{ "/backend/widgets/7", "Status: 200 OK", 1, "7", "(null)" },
		{ "/a/b/c/widgets/x/parts/y", "Status: 200 OK", 3, "x", "y" },
		/* Segments are decoded after the split: %2F stays inside. */
		{ "/widgets/a%2Fb", "Status: 200 OK", 0, "a/b", "(null)" },
		{ "/widgets/x%20y?z_=1", "Status: 200 OK", 0, "x y", "(null)" },
		{ "/widgets/%E2%82%AC", "Status: 200 OK", 0, "\xe2\x82\xac",
		    "(null)" },
		{ "/widgets/a+b", "Status: 200 OK", 0, "a+b", "(null)" },
		{ "/wid%67ets/7", "Status: 200 OK", 0, "7", "(null)" },
		/* A route matches the end; what comes before is the prefix. */
		{ "/parts/widgets", "Status: 200 OK", 1, "(null)", "(null)" },
		{ "/widgets/widgets/7", "Status: 200 OK", 1, "7", "(null)" },
		{ "/widgets/7/parts/8/widgets/9", "Status: 200 OK", 4, "9",
		    "(null)" },
		/* Nothing matches. */
		{ "/", "Status: 404 Not Found", 0, NULL, NULL },
		{ "", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/Widgets", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widget", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets/7/8", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets/7/parts", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets/7/parts/8/9", "Status: 404 Not Found", 0, NULL,
		    NULL },
		{ "/widgets.json", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets%2F7", "Status: 404 Not Found", 0, NULL, NULL },
		/* Bad escapes and NUL bytes: the path matches nothing. */
		{ "/widgets/%zz", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets/%2", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets/100%", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/widgets/%00", "Status: 404 Not Found", 0, NULL, NULL },
		{ "/x%00/widgets", "Status: 404 Not Found", 0, NULL, NULL },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		req("GET", t[i].uri);
		CHECKF(strcmp(res.line, t[i].line) == 0, "GET %s: \"%s\", want "
		    "\"%s\"", t[i].uri, res.line, t[i].line);
		CHECKF(res.nresp == 1, "GET %s: %d responses", t[i].uri,
		    res.nresp);
		if (t[i].p0 == NULL) {
			CHECKF(seen.ran == 0 && strcmp(res.code, "103") == 0 &&
			    strcmp(res.body, "{\"errors\":[{\"status\":\"404\","
			    "\"code\":\"103\",\"detail\":\"Resource not found.\""
			    "}]}") == 0, "GET %s: body %s", t[i].uri, res.body);
			continue;
		}
		CHECKF(seen.ran == 1, "GET %s: handler ran %d times",
		    t[i].uri, seen.ran);
		CHECKF(seen.prefix == t[i].prefix, "GET %s: prefix %zu, want "
		    "%zu", t[i].uri, seen.prefix, t[i].prefix);
		CHECKF(strcmp(seen.param[0], t[i].p0) == 0 &&
		    strcmp(seen.param[1], t[i].p1) == 0, "GET %s: params "
		    "\"%s\" \"%s\", want \"%s\" \"%s\"", t[i].uri,
		    seen.param[0], seen.param[1], t[i].p0, t[i].p1);
		CHECKF(strcmp(res.body, "{\"data\":[]}") == 0, "GET %s: body "
		    "%s", t[i].uri, res.body);
	}
}

/* MAX_PATH and MAX_SEGMENTS: at the limit served, one over it 404. */
static void
test_path_limits(void)
{
	char	 uri[MAX_PATH + 2];
	size_t	 i, n;

	/* "/xxx...x/widgets", MAX_PATH bytes in all. */
	n = MAX_PATH - strlen("/widgets");
	uri[0] = '/';
	memset(uri + 1, 'x', n - 1);
	snprintf(uri + n, sizeof(uri) - n, "/widgets");
	CHECK_INT(strlen(uri), MAX_PATH);
	req("GET", uri);
	CHECK_RAN("Status: 200 OK");
	CHECK_INT(seen.prefix, 1);
	uri[0] = '/';
	memset(uri + 1, 'x', n);
	snprintf(uri + n + 1, sizeof(uri) - n - 1, "/widgets");
	CHECK_INT(strlen(uri), MAX_PATH + 1);
	req("GET", uri);
	CHECK_ERR("Status: 404 Not Found", "103", NULL);

	/* CGI: SCRIPT_NAME + PATH_INFO over MAX_PATH is not cut to a path
	 * naming another resource ("widgets/7" instead of its part 8). */
	{
		char	 info[MAX_PATH + 64];
		const char *env[] = { "REQUEST_METHOD=GET",
		    "SCRIPT_NAME=/cgi-bin/w", info, NULL };

		n = (size_t)snprintf(info, sizeof(info), "PATH_INFO=/widgets/7");
		memset(info + n, '/', MAX_PATH - 20);
		snprintf(info + n + MAX_PATH - 20, sizeof(info) - n -
		    (MAX_PATH - 20), "/parts/8");
		run(env, NULL, 0);
		CHECK_ERR("Status: 404 Not Found", "103", NULL);
	}

	/* MAX_SEGMENTS segments, the last two "widgets/7". */
	n = 0;
	for (i = 0; i < MAX_SEGMENTS - 2; i++)
		n += (size_t)snprintf(uri + n, sizeof(uri) - n, "/s");
	snprintf(uri + n, sizeof(uri) - n, "/widgets/7");
	req("GET", uri);
	CHECK_RAN("Status: 200 OK");
	CHECK_INT(seen.prefix, MAX_SEGMENTS - 2);
	CHECK_STR(seen.param[0], "7");
	snprintf(uri, sizeof(uri), "/s");
	n = 2;
	for (i = 0; i < MAX_SEGMENTS - 2; i++)
		n += (size_t)snprintf(uri + n, sizeof(uri) - n, "/s");
	snprintf(uri + n, sizeof(uri) - n, "/widgets/7");
	req("GET", uri);
	CHECK_ERR("Status: 404 Not Found", "103", NULL);
}

/* The base of links: scheme, host, and the prefix, encoded again. */
static void
test_base(void)
{
	static const struct {
		const char	*env[6];
		const char	*base;
		size_t		 prefix;
	} t[] = {
		{ { "REQUEST_URI=/widgets", "HTTP_HOST=shop.example" },
		    "http://shop.example", 0 },
		{ { "REQUEST_URI=/backend/widgets/7",
		    "HTTP_HOST=shop.example:8080" },
		    "http://shop.example:8080/backend", 1 },
		{ { "REQUEST_URI=/my%20dir/api/widgets", "HTTP_HOST=h",
		    "HTTPS=on" }, "https://h/my%20dir/api", 2 },
		{ { "REQUEST_URI=/widgets", "HTTP_HOST=h", "HTTPS=1" },
		    "https://h", 0 },
		{ { "REQUEST_URI=/widgets", "HTTP_HOST=h", "HTTPS=off",
		    "REQUEST_SCHEME=https" }, "https://h", 0 },
		{ { "REQUEST_URI=/widgets", "HTTP_HOST=h",
		    "REQUEST_SCHEME=ftp" }, "http://h", 0 },
		/* A Host we would not echo: SERVER_NAME and SERVER_PORT. */
		{ { "REQUEST_URI=/widgets", "HTTP_HOST=evil/x",
		    "SERVER_NAME=shop.example", "SERVER_PORT=8443" },
		    "http://shop.example:8443", 0 },
		{ { "REQUEST_URI=/widgets", "HTTP_HOST=a b" },
		    "http://localhost", 0 },
		{ { "REQUEST_URI=/widgets" }, "http://localhost", 0 },
		/* CGI without REQUEST_URI: SCRIPT_NAME + PATH_INFO. */
		{ { "SCRIPT_NAME=/cgi-bin/widgets", "PATH_INFO=/7",
		    "HTTP_HOST=h" }, "http://h/cgi-bin", 1 },
		{ { "SCRIPT_NAME=/cgi-bin/widgets", "HTTP_HOST=h" },
		    "http://h/cgi-bin", 1 },
		/* REQUEST_URI wins. */
		{ { "REQUEST_URI=/widgets", "SCRIPT_NAME=/x/y",
		    "PATH_INFO=/z", "HTTP_HOST=h" }, "http://h", 0 },
	};
	const char	*env[8];
	size_t		 i, j;

	for (i = 0; i < nitems(t); i++) {
		env[0] = "REQUEST_METHOD=GET";
		for (j = 0; j < 6 && t[i].env[j] != NULL; j++)
			env[j + 1] = t[i].env[j];
		env[j + 1] = NULL;
		run(env, NULL, 0);
		CHECKF(seen.ran == 1 && strcmp(seen.base, t[i].base) == 0 &&
		    seen.prefix == t[i].prefix, "%s: base \"%s\" prefix %zu, "
		    "want \"%s\" %zu", t[i].env[0], seen.base, seen.prefix,
		    t[i].base, t[i].prefix);
	}
	CHECK_STR(seen.param[0], "(null)");
}

/* 405 with Allow, OPTIONS with Allow, HEAD as GET without a body. */
static void
test_methods(void)
{
	static const struct {
		const char	*method, *uri, *line, *allow;
	} t[] = {
		{ "DELETE", "/widgets", "Status: 405 Method Not Allowed",
		    "GET, HEAD, POST, OPTIONS" },
		{ "PUT", "/widgets/7", "Status: 405 Method Not Allowed",
		    "GET, HEAD, PATCH, DELETE, OPTIONS" },
		{ "POST", "/backend/widgets/7/parts/8",
		    "Status: 405 Method Not Allowed", "GET, HEAD, OPTIONS" },
		{ "GET", "/token", "Status: 405 Method Not Allowed",
		    "POST, OPTIONS" },
		{ "HEAD", "/token", "Status: 405 Method Not Allowed",
		    "POST, OPTIONS" },
		/* Unknown or lower-case methods are no method at all. */
		{ "get", "/widgets", "Status: 405 Method Not Allowed",
		    "GET, HEAD, POST, OPTIONS" },
		{ "TRACE", "/widgets", "Status: 405 Method Not Allowed",
		    "GET, HEAD, POST, OPTIONS" },
		{ "OPTIONS", "/widgets", "Status: 204 No Content",
		    "GET, HEAD, POST, OPTIONS" },
		{ "OPTIONS", "/x/widgets/7", "Status: 204 No Content",
		    "GET, HEAD, PATCH, DELETE, OPTIONS" },
		{ "OPTIONS", "/token", "Status: 204 No Content",
		    "POST, OPTIONS" },
		/* OPTIONS answers before authentication. */
		{ "OPTIONS", "/secure", "Status: 204 No Content",
		    "GET, HEAD, POST, OPTIONS" },
		{ "OPTIONS", "/nowhere", "Status: 404 Not Found", "" },
		{ "DELETE", "/nowhere", "Status: 404 Not Found", "" },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		req(t[i].method, t[i].uri);
		CHECKF(strcmp(res.line, t[i].line) == 0 &&
		    strcmp(res.allow, t[i].allow) == 0 && res.nresp == 1 &&
		    seen.ran == 0, "%s %s: \"%s\" Allow \"%s\" (%d responses, "
		    "ran %d), want \"%s\" Allow \"%s\"", t[i].method, t[i].uri,
		    res.line, res.allow, res.nresp, seen.ran, t[i].line,
		    t[i].allow);
		if (strncmp(t[i].line, "Status: 405", 11) == 0 &&
		    strcmp(t[i].method, "HEAD") != 0)
			CHECKF(strcmp(res.body, "{\"errors\":[{\"status\":"
			    "\"405\",\"code\":\"104\",\"detail\":\"Method not "
			    "allowed.\"}]}") == 0, "%s %s: body %s",
			    t[i].method, t[i].uri, res.body);
		if (strncmp(t[i].line, "Status: 204", 11) == 0 ||
		    strcmp(t[i].method, "HEAD") == 0)
			CHECKF(*res.body == '\0', "%s %s: body %s",
			    t[i].method, t[i].uri, res.body);
	}
	/* No REQUEST_METHOD at all. */
	run((const char *const[]){ "REQUEST_URI=/widgets", NULL }, NULL, 0);
	CHECK_ERR("Status: 405 Method Not Allowed", "104", NULL);
	CHECK_STR(res.allow, "GET, HEAD, POST, OPTIONS");

	req("HEAD", "/widgets/7");
	CHECK_RAN("Status: 200 OK");
	CHECK_STR(res.body, "");
	CHECK_STR(seen.param[0], "7");
	req("DELETE", "/widgets/7");
	CHECK_RAN("Status: 204 No Content");
}

/*
 * The front line's order: each request below fails every check from its
 * own on, and must get the first one's answer.
 */
static void
test_order(void)
{
	/* 404 before 405, 415, 406, 413. */
	submit("PUT", "/nowhere", "text/plain", "text/html", "999999", NULL,
	    "x", 1);
	CHECK_ERR("Status: 404 Not Found", "103", NULL);
	/* 405 before 415, 406, 413. */
	submit("PUT", "/widgets", "text/plain", "text/html", "999999", NULL,
	    "x", 1);
	CHECK_ERR("Status: 405 Method Not Allowed", "104", NULL);
	CHECK_STR(res.allow, "GET, HEAD, POST, OPTIONS");
	/* 415 before 406, 413, 400. */
	submit("POST", "/widgets", "text/plain", "text/html", "999999", NULL,
	    "x", 1);
	CHECK_ERR("Status: 415 Unsupported Media Type", "107", NULL);
	/* 406 before 413, 400. */
	submit("POST", "/widgets", CT_JSONAPI, "text/html", "999999", NULL,
	    "x", 1);
	CHECK_ERR("Status: 406 Not Acceptable", "105", NULL);
	/* 413 before 400: announced, or found while reading to the end. */
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, "65537", NULL,
	    "x", 1);
	CHECK_ERR("Status: 413 Content Too Large", "106", NULL);
	/* 400 with its pointer before 409. */
	post("/widgets", "{\"data\":{\"type\":\"other\"}}");
	CHECK_ERR("Status: 400 Bad Request", "101", "/data/attributes");
	post("/widgets", "{\"data\":{\"attributes\":{}}}");
	CHECK_ERR("Status: 400 Bad Request", "101", "/data/type");
	/* 409 before authentication. */
	post("/secure", "{\"data\":{\"type\":\"widgets\",\"attributes\":{}}}");
	CHECK_ERR("Status: 409 Conflict", "102", "/data/type");
	/* 409 alone: the handler must not run. */
	post("/widgets", "{\"data\":{\"type\":\"secure\",\"attributes\":{}}}");
	CHECK_ERR("Status: 409 Conflict", "102", "/data/type");
	/* Then authentication: missing 403 002, malformed 401 001. */
	post("/secure", SECURE);
	CHECK_ERR("Status: 403 Forbidden", "002", NULL);
	submit("POST", "/secure", CT_JSONAPI, CT_JSONAPI, NULL, "", SECURE,
	    strlen(SECURE));
	CHECK_ERR("Status: 403 Forbidden", "002", NULL);
	submit("POST", "/secure", CT_JSONAPI, CT_JSONAPI, NULL, "Bearer short",
	    SECURE, strlen(SECURE));
	CHECK_ERR("Status: 401 Unauthorized", "001", NULL);
	submit("POST", "/secure", CT_JSONAPI, CT_JSONAPI, NULL,
	    "Basic dXNlcjpwYXNz", SECURE, strlen(SECURE));
	CHECK_ERR("Status: 401 Unauthorized", "001", NULL);
	req("GET", "/secure");
	CHECK_ERR("Status: 403 Forbidden", "002", NULL);
	/* 406 and 405 before authentication too. */
	submit("GET", "/secure", NULL, "text/html", "", NULL, NULL, 0);
	CHECK_ERR("Status: 406 Not Acceptable", "105", NULL);
	req("DELETE", "/secure");
	CHECK_ERR("Status: 405 Method Not Allowed", "104", NULL);
	/* 415 before 409 and 403 on an authenticated route. */
	submit("POST", "/secure", "text/plain", CT_JSONAPI, NULL, NULL,
	    GOOD_BODY, strlen(GOOD_BODY));
	CHECK_ERR("Status: 415 Unsupported Media Type", "107", NULL);
}

/* 415 needs a body; the media types and Accept values the front line takes. */
static void
test_media(void)
{
	static const struct {
		const char	*ctype, *accept;
		const char	*line;
	} t[] = {
		{ CT_JSONAPI, CT_JSONAPI, "Status: 204 No Content" },
		{ "application/json", NULL, "Status: 204 No Content" },
		{ "application/json; charset=utf-8", "*/*",
		    "Status: 204 No Content" },
		{ "Application/VND.API+JSON", "application/*",
		    "Status: 204 No Content" },
		/* contract §10.2 (JSON:API 1.1 §5.1): profile ignored; no
		 * extension supported (415 in Content-Type, 406 in Accept
		 * when no JSON:API range is left); any other parameter of
		 * a JSON:API range ignores that range. */
		{ CT_JSONAPI "; profile=\"https://x/p\"", "text/html, "
		    CT_JSONAPI "; profile=\"https://x/p\"",
		    "Status: 204 No Content" },
		{ CT_JSONAPI "; ext=\"https://x\"", "text/html, " CT_JSONAPI,
		    "Status: 415 Unsupported Media Type" },
		{ CT_JSONAPI "; ext=\"https://x\"", "text/html",
		    "Status: 415 Unsupported Media Type" },
		{ CT_JSONAPI "; foo=bar", CT_JSONAPI,
		    "Status: 415 Unsupported Media Type" },
		{ CT_JSONAPI, CT_JSONAPI "; ext=\"https://x\"",
		    "Status: 406 Not Acceptable" },
		{ CT_JSONAPI, CT_JSONAPI "; charset=utf-8",
		    "Status: 406 Not Acceptable" },
		{ CT_JSONAPI, CT_JSONAPI "; charset=utf-8, */*",
		    "Status: 406 Not Acceptable" },
		{ CT_JSONAPI, CT_JSONAPI "; charset=utf-8, " CT_JSONAPI,
		    "Status: 204 No Content" },
		{ CT_JSONAPI, CT_JSONAPI "; ext=\"https://x\", " CT_JSONAPI
		    "; profile=y", "Status: 204 No Content" },
		{ CT_JSONAPI, "", "Status: 204 No Content" },
		{ "application/json;charset=latin1", CT_JSONAPI,
		    "Status: 415 Unsupported Media Type" },
		{ CT_JSONAPI "; charset=utf-8", CT_JSONAPI,
		    "Status: 415 Unsupported Media Type" },
		{ "text/json", CT_JSONAPI, "Status: 415 Unsupported Media Type" },
		{ "", CT_JSONAPI, "Status: 415 Unsupported Media Type" },
		{ NULL, CT_JSONAPI, "Status: 415 Unsupported Media Type" },
		{ CT_JSONAPI, "text/html", "Status: 406 Not Acceptable" },
		{ CT_JSONAPI, CT_JSONAPI ";q=0", "Status: 406 Not Acceptable" },
		{ CT_JSONAPI, "application/xml, text/*",
		    "Status: 406 Not Acceptable" },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		submit("POST", "/widgets", t[i].ctype, t[i].accept, NULL, NULL,
		    GOOD_BODY, strlen(GOOD_BODY));
		CHECKF(strcmp(res.line, t[i].line) == 0 && res.nresp == 1 &&
		    seen.ran == (t[i].line[8] == '2'), "Content-Type %s, "
		    "Accept %s: \"%s\" (ran %d), want \"%s\"",
		    t[i].ctype != NULL ? t[i].ctype : "(absent)",
		    t[i].accept != NULL ? t[i].accept : "(absent)", res.line,
		    seen.ran, t[i].line);
	}
	/* No body, no media type to check: the document is missing. */
	submit("POST", "/widgets", "text/plain", CT_JSONAPI, "0", NULL, NULL, 0);
	CHECK_ERR("Status: 400 Bad Request", "101", "/data");
	submit("POST", "/widgets", NULL, CT_JSONAPI, "", NULL, NULL, 0);
	CHECK_ERR("Status: 400 Bad Request", "101", "/data");
	/* A GET needs no media type. */
	submit("GET", "/widgets", "text/plain", CT_JSONAPI, "3", NULL, "abc", 3);
	CHECK_RAN("Status: 200 OK");
}

/* Body lengths: invalid, short, at MAX_BODY, over it, read to the end. */
static void
test_lengths(void)
{
	static char	 body[MAX_BODY + 2];
	const char	*chunked[] = { "REQUEST_METHOD=POST",
	    "REQUEST_URI=/widgets", "CONTENT_TYPE=" CT_JSONAPI,
	    "HTTP_TRANSFER_ENCODING=chunked", NULL };
	size_t		 n = strlen(GOOD_BODY);
	char		 cl[32];

	/* GOOD_BODY padded with spaces to exactly MAX_BODY bytes. */
	memset(body, ' ', sizeof(body));
	memcpy(body, GOOD_BODY, n);
	body[MAX_BODY] = '\0';
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, NULL, NULL, body,
	    MAX_BODY);
	CHECK_RAN("Status: 204 No Content");
	CHECK_INT(seen.body_len, MAX_BODY);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, "65537", NULL, body,
	    MAX_BODY + 1);
	CHECK_ERR("Status: 413 Content Too Large", "106", NULL);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI,
	    "99999999999999999999999", NULL, body, MAX_BODY + 1);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);

	/* Chunked without a length: up to the end of the input. */
	run(chunked, body, MAX_BODY);
	CHECK_RAN("Status: 204 No Content");
	CHECK_INT(seen.body_len, MAX_BODY);
	run(chunked, body, MAX_BODY + 1);
	CHECK_ERR("Status: 413 Content Too Large", "106", NULL);
	run(chunked, GOOD_BODY, n);
	CHECK_RAN("Status: 204 No Content");
	CHECK_INT(seen.body_len, n);
	run(chunked, NULL, 0);
	CHECK_ERR("Status: 400 Bad Request", "101", "/data");

	/* CONTENT_LENGTH forms that are not a length: 400 100. */
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, "abc", NULL,
	    GOOD_BODY, n);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, "-1", NULL,
	    GOOD_BODY, n);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	snprintf(cl, sizeof(cl), "%zu ", n);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, cl, NULL,
	    GOOD_BODY, n);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	/* Shorter than announced: 400 100. */
	snprintf(cl, sizeof(cl), "%zu", n + 1);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, cl, NULL,
	    GOOD_BODY, n);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	/* Longer than announced: only the announced bytes are the body. */
	snprintf(cl, sizeof(cl), "%zu", n);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, cl, NULL,
	    GOOD_BODY "garbage", n + 7);
	CHECK_RAN("Status: 204 No Content");
	CHECK_INT(seen.body_len, n);
	snprintf(cl, sizeof(cl), "%zu", n - 1);
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, cl, NULL,
	    GOOD_BODY, n);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
}

/* The document's shape: 400 100 (no source) or 400 101 with a pointer,
 * then 409 102 at /data/type. */
static void
test_documents(void)
{
	static const struct {
		const char	*body;
		const char	*line, *code, *pointer;
	} t[] = {
		{ GOOD_BODY, "Status: 204 No Content", "", NULL },
		{ " \r\n\t" GOOD_BODY "\n", "Status: 204 No Content", "", NULL },
		{ "{\"data\":{\"type\":\"widgets\",\"id\":\"1\",\"attributes\":"
		    "{\"a\":[1,2.5e3,true,null,\"\\u00e9\"]}},\"meta\":{}}",
		    "Status: 204 No Content", "", NULL },
		{ "", "Status: 400 Bad Request", "101", "/data" },
		{ "{}", "Status: 400 Bad Request", "101", "/data" },
		{ "[]", "Status: 400 Bad Request", "101", "/data" },
		{ "null", "Status: 400 Bad Request", "101", "/data" },
		{ "{\"data\":null}", "Status: 400 Bad Request", "101", "/data" },
		{ "{\"data\":[]}", "Status: 400 Bad Request", "101", "/data" },
		{ "{\"data\":\"widgets\"}", "Status: 400 Bad Request", "101",
		    "/data" },
		{ "{\"Data\":{\"type\":\"widgets\",\"attributes\":{}}}",
		    "Status: 400 Bad Request", "101", "/data" },
		{ "{\"data\":{}}", "Status: 400 Bad Request", "101",
		    "/data/type" },
		{ "{\"data\":{\"type\":7,\"attributes\":{}}}",
		    "Status: 400 Bad Request", "101", "/data/type" },
		{ "{\"data\":{\"type\":null,\"attributes\":{}}}",
		    "Status: 400 Bad Request", "101", "/data/type" },
		{ "{\"data\":{\"type\":\"widgets\"}}", "Status: 400 Bad Request",
		    "101", "/data/attributes" },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":[]}}",
		    "Status: 400 Bad Request", "101", "/data/attributes" },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":null}}",
		    "Status: 400 Bad Request", "101", "/data/attributes" },
		{ "{\"data\":{\"type\":\"Widgets\",\"attributes\":{}}}",
		    "Status: 409 Conflict", "102", "/data/type" },
		{ "{\"data\":{\"type\":\"widgets \",\"attributes\":{}}}",
		    "Status: 409 Conflict", "102", "/data/type" },
		{ "{\"data\":{\"type\":\"\",\"attributes\":{}}}",
		    "Status: 409 Conflict", "102", "/data/type" },
		/* Malformed: 400 100, no source. */
		{ "{", "Status: 400 Bad Request", "100", NULL },
		{ "x", "Status: 400 Bad Request", "100", NULL },
		{ GOOD_BODY "x", "Status: 400 Bad Request", "100", NULL },
		{ GOOD_BODY GOOD_BODY, "Status: 400 Bad Request", "100", NULL },
		{ GOOD_BODY ",", "Status: 400 Bad Request", "100", NULL },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":{}},}",
		    "Status: 400 Bad Request", "100", NULL },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":{\"n\":01}}}",
		    "Status: 400 Bad Request", "100", NULL },
		{ "{\"data\":{\"type\":\"wid\\u0000gets\",\"attributes\":{}}}",
		    "Status: 400 Bad Request", "100", NULL },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":{\"a\":"
		    "\"\xff\"}}}", "Status: 400 Bad Request", "100", NULL },
		{ "{'data':{}}", "Status: 400 Bad Request", "100", NULL },
		/* contract §10.2: a member name twice, at any depth, before
		 * the document's shape is looked at. */
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":{\"a\":1,"
		    "\"a\":2}}}", "Status: 400 Bad Request", "125",
		    "/data/attributes/a" },
		{ "{\"data\":{\"type\":\"widgets\",\"type\":\"widgets\","
		    "\"attributes\":{}}}", "Status: 400 Bad Request", "125",
		    "/data/type" },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":{}},"
		    "\"data\":{}}", "Status: 400 Bad Request", "125", "/data" },
		{ "{\"data\":{\"type\":\"nope\",\"attributes\":{\"l\":[{"
		    "\"x\":1,\"x\":1}]}}}", "Status: 400 Bad Request", "125",
		    "/data/attributes/l/0/x" },
		{ "{\"meta\":{\"a\":1,\"a\":1}}", "Status: 400 Bad Request",
		    "125", "/meta/a" },
		{ "{\"data\":{\"type\":\"widgets\",\"attributes\":{\"a\":1,"
		    "\"A\":2,\"b\":{\"a\":1}}}}", "Status: 204 No Content", "",
		    NULL },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		post("/widgets", t[i].body);
		CHECKF(strcmp(res.line, t[i].line) == 0 &&
		    strcmp(res.code, t[i].code) == 0 &&
		    (t[i].pointer == NULL ? !res.has_source :
		    strcmp(res.pointer, t[i].pointer) == 0) && res.nresp == 1,
		    "POST %s: \"%s\" %s %s (%d responses), want \"%s\" %s %s",
		    t[i].body, res.line, res.code, res.pointer, res.nresp,
		    t[i].line, t[i].code, t[i].pointer != NULL ?
		    t[i].pointer : "(no source)");
		CHECKF(seen.ran == (t[i].line[8] == '2'), "POST %s: handler "
		    "ran %d times", t[i].body, seen.ran);
	}
	/* A NUL byte inside the body (the length counts it). */
	submit("POST", "/widgets", CT_JSONAPI, CT_JSONAPI, NULL, NULL,
	    GOOD_BODY "\0", strlen(GOOD_BODY) + 1);
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
}

/* MAX_JSON_DEPTH nested containers pass; one more is malformed. */
static void
test_depth(void)
{
	char	 body[512];
	size_t	 n, i, inner;

	for (inner = MAX_JSON_DEPTH - 3; inner <= MAX_JSON_DEPTH - 2; inner++) {
		n = (size_t)snprintf(body, sizeof(body), "{\"data\":{\"type\":"
		    "\"widgets\",\"attributes\":{\"a\":");
		for (i = 0; i < inner; i++)
			body[n++] = '[';
		for (i = 0; i < inner; i++)
			body[n++] = ']';
		snprintf(body + n, sizeof(body) - n, "}}}");
		post("/widgets", body);
		if (inner + 3 <= MAX_JSON_DEPTH)
			CHECK_RAN("Status: 204 No Content");
		else
			CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	}
}

/* A form route: the front line reads the body, the handler parses it. */
static void
test_form_route(void)
{
	static const char form[] = "grant_type=password&username=a%40b.de";

	submit("POST", "/token", "application/x-www-form-urlencoded", NULL,
	    NULL, NULL, form, strlen(form));
	CHECK_RAN("Status: 204 No Content");
	CHECK_STR(seen.body, form);
	/* The media type is the handler's (OAuth errors), not 415. */
	submit("POST", "/token", "text/plain", NULL, NULL, NULL, form,
	    strlen(form));
	CHECK_RAN("Status: 204 No Content");
	submit("POST", "/token", "application/x-www-form-urlencoded",
	    "text/html", NULL, NULL, form, strlen(form));
	CHECK_ERR("Status: 406 Not Acceptable", "105", NULL);
	submit("POST", "/token", "application/x-www-form-urlencoded", NULL,
	    "65537", NULL, form, strlen(form));
	CHECK_ERR("Status: 413 Content Too Large", "106", NULL);
	submit("POST", "/token", "application/x-www-form-urlencoded", NULL,
	    "x1", NULL, form, strlen(form));
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	submit("POST", "/token", "application/x-www-form-urlencoded", NULL,
	    "100", NULL, form, strlen(form));
	CHECK_ERR("Status: 400 Bad Request", "100", NULL);
	submit("POST", "/token", "application/x-www-form-urlencoded", NULL,
	    "", NULL, NULL, 0);
	CHECK_RAN("Status: 204 No Content");
	CHECK_INT(seen.body_len, 0);
}

/* One request with these extra CGI variables ("NAME=value"), to prog. */
static void
run_with(const struct program *pg, const char *method, const char *uri,
    const char *const *extra)
{
	char		 m[64], u[MAX_PATH + 64];
	const char	*env[16];
	size_t		 n = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[n++] = m;
	env[n++] = u;
	env[n++] = "HTTP_HOST=api.example";
	while (*extra != NULL && n + 1 < nitems(env))
		env[n++] = *extra++;
	env[n] = NULL;
	run_to(pg, env, NULL, 0);
}

/* The head of the response, X-Request-Id's value replaced by "ID". */
static const char *
head_of(void)
{
	static char	 buf[2048];
	const char	*end = strstr(res.out, "\r\n\r\n"), *id;
	size_t		 n;

	n = end != NULL ? (size_t)(end - res.out) + 4 : 0;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, res.out, n);
	buf[n] = '\0';
	if ((id = strstr(buf, "X-Request-Id: ")) != NULL &&
	    strlen(id) > 14 + REQUEST_ID_CHARS) {
		memcpy((char *)id + 14, "ID", 2);
		memmove((char *)id + 16, id + 14 + REQUEST_ID_CHARS,
		    strlen(id + 14 + REQUEST_ID_CHARS) + 1);
	}
	return buf;
}

#define H_START	"X-Request-Id: ID\r\n"
#define H_ACAO	"Access-Control-Allow-Origin: https://shop.example\r\n" \
		"Vary: Origin\r\n"
#define H_EXP	"Access-Control-Expose-Headers: X-Request-Id, Retry-After, " \
		"WWW-Authenticate\r\n"
#define H_FIXED	"Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"

/* contract §10.1: preflights and the CORS lines of every answer. */
static void
test_cors(void)
{
	static const struct program mailbox = {
		"dev-mailbox", SIDE_STOREFRONT, routes, nitems(routes)
	};
	const char *listed[] = { "HTTP_ORIGIN=https://shop.example",
	    "HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST",
	    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS=authorization,content-type,"
	    "x-mfa-code", NULL };
	const char *other[] = { "HTTP_ORIGIN=https://evil.example",
	    "HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST", NULL };
	const char *plain[] = { "HTTP_ORIGIN=https://shop.example", NULL };
	const char *upper[] = { "HTTP_ORIGIN=https://SHOP.example", NULL };
	const char *nul[] = { "HTTP_ORIGIN=null", NULL };
	char	*saved = cfg.cors_allow_origins;

	cfg.cors_allow_origins = "https://shop.example, http://127.0.0.1:9";
	run_with(&prog, "OPTIONS", "/widgets", listed);
	CHECK_STR(head_of(), "Status: 204 No Content\r\n" H_START H_ACAO
	    H_FIXED "Allow: GET, HEAD, POST, OPTIONS\r\n"
	    "Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS\r\n"
	    "Access-Control-Allow-Headers: Authorization, Content-Type, "
	    "Accept, X-MFA-Code, Idempotency-Key\r\n"
	    "Access-Control-Max-Age: 600\r\n\r\n");
	CHECK_INT(seen.ran, 0);
	/* A preflight of an authenticated route needs no token. */
	run_with(&prog, "OPTIONS", "/widgets/7", listed);
	CHECK(strstr(res.out, "Access-Control-Allow-Methods: GET, HEAD, "
	    "PATCH, DELETE, OPTIONS\r\n") != NULL);
	run_with(&prog, "OPTIONS", "/secure", listed);
	CHECK_STR(res.line, "Status: 204 No Content");
	/* Not on the list: the plain OPTIONS answer, no CORS line. */
	run_with(&prog, "OPTIONS", "/widgets", other);
	CHECK_STR(head_of(), "Status: 204 No Content\r\n" H_START H_FIXED
	    "Allow: GET, HEAD, POST, OPTIONS\r\n\r\n");
	/* OPTIONS without Access-Control-Request-Method: not a preflight,
	 * but from a listed origin, so the lines of an answer. */
	run_with(&prog, "OPTIONS", "/widgets", plain);
	CHECK_STR(head_of(), "Status: 204 No Content\r\n" H_START H_ACAO H_EXP
	    H_FIXED "Allow: GET, HEAD, POST, OPTIONS\r\n\r\n");
	/* Answers: success, the front line's refusals, 404. */
	run_with(&prog, "GET", "/widgets", plain);
	CHECK_STR(head_of(), "Status: 200 OK\r\n" H_START H_ACAO H_EXP H_FIXED
	    "Content-Type: application/vnd.api+json\r\n\r\n");
	CHECK_INT(seen.ran, 1);
	run_with(&prog, "GET", "/nowhere", plain);
	CHECK_STR(head_of(), "Status: 404 Not Found\r\n" H_START H_ACAO H_EXP
	    H_FIXED "Content-Type: application/vnd.api+json\r\n\r\n");
	run_with(&prog, "DELETE", "/widgets", plain);
	CHECK_STR(head_of(), "Status: 405 Method Not Allowed\r\n" H_START
	    H_ACAO H_EXP H_FIXED "Content-Type: application/vnd.api+json\r\n"
	    "Allow: GET, HEAD, POST, OPTIONS\r\n\r\n");
	run_with(&prog, "GET", "/widgets", (const char *[]){
	    "HTTP_ORIGIN=https://shop.example", "HTTP_ACCEPT=text/html",
	    NULL });
	CHECK_ERR("Status: 406 Not Acceptable", "105", NULL);
	CHECK(strstr(head_of(), H_START H_ACAO H_EXP) != NULL);
	/* Exact origins only: case, null, not listed. */
	run_with(&prog, "GET", "/widgets", upper);
	CHECK(strstr(res.out, "Access-Control") == NULL);
	CHECK(strstr(res.out, "Vary") == NULL);
	run_with(&prog, "GET", "/widgets", nul);
	CHECK(strstr(res.out, "Access-Control") == NULL);
	run_with(&prog, "GET", "/widgets", other);
	CHECK_STR(res.line, "Status: 200 OK");
	CHECK(strstr(res.out, "Access-Control") == NULL);
	run_with(&prog, "GET", "/widgets", (const char *[]){
	    "HTTP_ORIGIN=http://127.0.0.1:9", NULL });
	CHECK(strstr(res.out, "Access-Control-Allow-Origin: "
	    "http://127.0.0.1:9\r\n") != NULL);
	/* Never the development mailbox. */
	run_with(&mailbox, "GET", "/widgets", plain);
	CHECK_STR(res.line, "Status: 200 OK");
	CHECK(strstr(res.out, "Access-Control") == NULL);
	run_with(&mailbox, "OPTIONS", "/widgets", listed);
	CHECK(strstr(res.out, "Access-Control") == NULL);
	/* Off (the default): nothing, whatever the Origin. */
	cfg.cors_allow_origins = "";
	run_with(&prog, "OPTIONS", "/widgets", listed);
	CHECK_STR(head_of(), "Status: 204 No Content\r\n" H_START H_FIXED
	    "Allow: GET, HEAD, POST, OPTIONS\r\n\r\n");
	cfg.cors_allow_origins = saved;
}

/* The query parameters (contract §10.10): after 415 and 406, before 413;
 * never on the form route; page[...] only where a route is paged. */
static void
test_query(void)
{
	static const struct {
		const char	*uri;
		const char	*code;
		const char	*param;
	} t[] = {
		{ "/widgets?include=parts", "135", "include" },
		{ "/widgets?sort=-id", "135", "sort" },
		{ "/widgets/7?page[limit]=1", "135", "page[limit]" },
		{ "/widgets?page[offset]=2&page[limit]=1", "135",
		    "page[offset]" },
		/* Nothing is paged here: 135 whatever the number. */
		{ "/widgets?page[limit]=0", "135", "page[limit]" },
		{ "/widgets?fields[widgets]=a,,b", "137", "fields[widgets]" },
		{ "/widgets?a=%zz", "138", NULL },
		{ "/secure?include=x", "135", "include" },	/* before 403 */
	};
	char	 want[96];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		req("GET", t[i].uri);
		CHECKF(strcmp(res.line, "Status: 400 Bad Request") == 0 &&
		    strcmp(res.code, t[i].code) == 0 && seen.ran == 0,
		    "GET %s: %s %s", t[i].uri, res.line, res.code);
		if (t[i].param != NULL)
			snprintf(want, sizeof(want), "\"source\":{\"parameter\":"
			    "\"%s\"}", t[i].param);
		CHECKF(t[i].param != NULL ? strstr(res.body, want) != NULL :
		    strstr(res.body, "source") == NULL, "GET %s: body %s",
		    t[i].uri, res.body);
	}
	req("GET", "/widgets?fields[widgets]=a&_=1");
	CHECK_RAN("Status: 200 OK");
	/* 415 and 406 first, then the query, then 413. */
	submit("POST", "/widgets?include=x", "text/plain", CT_JSONAPI, "1",
	    NULL, "x", 1);
	CHECK_ERR("Status: 415 Unsupported Media Type", "107", NULL);
	submit("GET", "/widgets?include=x", NULL, "text/html", "", NULL, NULL,
	    0);
	CHECK_ERR("Status: 406 Not Acceptable", "105", NULL);
	submit("POST", "/widgets?include=x", CT_JSONAPI, CT_JSONAPI, "65537",
	    NULL, "x", 1);
	CHECK_STR(res.code, "135");
	/* The OAuth form route does not read its query. */
	submit("POST", "/token?include=x", "application/x-www-form-urlencoded",
	    NULL, "", NULL, NULL, 0);
	CHECK_RAN("Status: 204 No Content");
}

int
main(void)
{
	config_defaults();
	test_paths();
	test_path_limits();
	test_base();
	test_methods();
	test_order();
	test_media();
	test_lengths();
	test_documents();
	test_depth();
	test_form_route();
	test_cors();
	test_query();
	return unit_done();
}
