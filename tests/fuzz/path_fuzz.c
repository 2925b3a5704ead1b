/*
 * The path decoder: url_decode() against a reference decoder, and the
 * request path through req_init() and dispatch() (REQUEST_URI, or
 * SCRIPT_NAME + PATH_INFO).  Checked: the segments are non-empty and
 * within the bounds, the route's parameters are segments, the base link
 * is built from the request alone, and the answer is one of the router's.
 *
 * Input: byte 0 picks the method and the variables, the rest is the
 * target (SCRIPT_NAME and PATH_INFO split at the first '\x01').
 */
#include "fuzz.h"

static struct req *current;
static int	 ran;

static int
handler(struct req *r)
{
	size_t	 i, nparam = r->route->pattern[0] == 't' ? 0 :
	    strchr(r->route->pattern, '/') == NULL ? 0 :
	    strstr(r->route->pattern, "parts") != NULL ? 2 : 1;

	ran++;
	current = r;
	FUZZ_CHECK(r->prefix < r->nseg);
	for (i = 0; i < nparam; i++) {
		FUZZ_CHECK(r->param[i] != NULL);
		FUZZ_CHECK(r->param[i] >= r->segbuf &&
		    r->param[i] < r->segbuf + sizeof(r->segbuf));
		FUZZ_CHECK(r->param[i][0] != '\0');
	}
	FUZZ_CHECK(strncmp(r->base, "http://", 7) == 0 ||
	    strncmp(r->base, "https://", 8) == 0);
	FUZZ_CHECK(strlen(r->base) < sizeof(r->base));
	FUZZ_CHECK(strchr(r->base, '\r') == NULL &&
	    strchr(r->base, '\n') == NULL && strchr(r->base, ' ') == NULL);
	if (r->method == M_POST)
		return jsonapi_no_content(r);
	return jsonapi_send(r, 200, jsonapi_document(cJSON_CreateArray(),
	    NULL));
}

static const struct route routes[] = {
	{ M_GET, "widgets", NULL, 0, handler },
	{ M_GET, "widgets/:", NULL, 0, handler },
	{ M_DELETE, "widgets/:", NULL, 0, handler },
	{ M_GET, "widgets/:/parts/:", NULL, 0, handler },
	{ M_POST, "token", NULL, R_FORM, handler },
};
static const struct program prog = {
	"path_fuzz", SIDE_BACKEND, routes, nitems(routes)
};

static int
hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The reference: RFC 3986 §2.1 decoding; %00 and bad escapes refused. */
static int
ref_decode(const char *s, char *out, int plus)
{
	size_t	 i, n = 0;
	int	 v;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '%') {
			if (hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
				return -1;
			if ((v = hex(s[i + 1]) * 16 + hex(s[i + 2])) == 0)
				return -1;
			out[n++] = (char)v;
			i += 2;
		} else
			out[n++] = plus && s[i] == '+' ? ' ' : s[i];
	}
	out[n] = '\0';
	return 0;
}

static void
decode_check(const char *s)
{
	size_t	 n = strlen(s);
	char	*a = xmalloc(n + 1), *b = xmalloc(n + 1);
	int	 plus, rc;

	for (plus = 0; plus <= 1; plus++) {
		memcpy(a, s, n + 1);
		rc = url_decode(a, plus);
		FUZZ_CHECK(rc == ref_decode(s, b, plus));
		if (rc == 0)
			FUZZ_CHECK(strcmp(a, b) == 0);
	}
	free(a);
	free(b);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	config_defaults();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {
		"REQUEST_METHOD=GET", "REQUEST_METHOD=HEAD",
		"REQUEST_METHOD=POST", "REQUEST_METHOD=DELETE",
		"REQUEST_METHOD=OPTIONS", "REQUEST_METHOD=PUT",
	};
	char		*s, *v1, *v2, *cut = NULL;
	const char	*env[8];
	struct fuzz_resp res;
	size_t		 n = 0, len, target_len;

	if (size < 1 || size > 4 * MAX_PATH)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	len = strlen(s);
	decode_check(s);
	v1 = xmalloc(len + 32);
	v2 = xmalloc(len + 32);
	env[n++] = methods[data[0] % nitems(methods)];
	if (data[0] & 0x80) {
		/* CGI without REQUEST_URI: SCRIPT_NAME + PATH_INFO. */
		if ((cut = strchr(s, '\x01')) != NULL)
			*cut++ = '\0';
		snprintf(v1, len + 32, "SCRIPT_NAME=%s", s);
		env[n++] = v1;
		if (cut != NULL) {
			snprintf(v2, len + 32, "PATH_INFO=%s", cut);
			env[n++] = v2;
		}
	} else {
		snprintf(v1, len + 32, "REQUEST_URI=%s", s);
		env[n++] = v1;
	}
	if (data[0] & 0x40)
		env[n++] = "HTTP_HOST=shop.example:8080";
	if (data[0] & 0x20)
		env[n++] = "HTTPS=on";
	env[n] = NULL;
	/* The path the variables make, when it holds no query part. */
	target_len = 0;
	if ((data[0] & 0x80) && strlen(s) <= MAX_HEADER &&
	    (cut == NULL || strlen(cut) <= MAX_HEADER))
		target_len = strlen(s) + (cut != NULL ? strlen(cut) : 0);
	if (strpbrk(s, "?#") != NULL || (cut != NULL && strpbrk(cut, "?#")))
		target_len = 0;
	ran = 0;
	current = NULL;
	fuzz_dispatch(&prog, env, NULL, 0, &res);
	FUZZ_CHECK(res.nresp == 1);
	/* 400: a query part the front line refuses (contract §10.10). */
	FUZZ_CHECK(res.status == 200 || res.status == 204 ||
	    res.status == 404 || res.status == 405 ||
	    (res.status == 400 && (strchr(s, '?') != NULL ||
	    (cut != NULL && strchr(cut, '?') != NULL))));
	FUZZ_CHECK(ran == (res.status == 200 ||
	    (res.status == 204 && strcmp(env[0], "REQUEST_METHOD=POST") == 0)));

	/* The request's own reading of the path. */
	{
		struct io	*io = io_mem_new(env, NULL, 0);
		struct req	 r;
		size_t		 i;

		req_init(&r, io, SIDE_BACKEND);
		FUZZ_CHECK(r.nseg <= MAX_SEGMENTS);
		FUZZ_CHECK(strlen(r.path) <= MAX_PATH);
		FUZZ_CHECK(strpbrk(r.path, "?#") == NULL);
		for (i = 0; i < r.nseg; i++) {
			FUZZ_CHECK(r.seg[i][0] != '\0');
			FUZZ_CHECK(r.seg[i] >= r.segbuf && r.seg[i] +
			    strlen(r.seg[i]) < r.segbuf + sizeof(r.segbuf));
		}
		if (r.nseg == 0 && strspn(r.path, "/") != strlen(r.path))
			FUZZ_CHECK(r.path[0] == '\0');
		/* A target longer than MAX_PATH names nothing: never a
		 * shortened path that may name another resource. */
		if (target_len > MAX_PATH)
			FUZZ_CHECK(r.nseg == 0);
		req_release(&r);
		io_mem_free(io);
	}
	free(v1);
	free(v2);
	free(s);
	return 0;
}
