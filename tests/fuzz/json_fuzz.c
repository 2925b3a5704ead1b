/*
 * The JSON body check: a POST of the input to a route taking a JSON:API
 * document of type "widgets", through the whole front line.  Checked:
 * one response; 204 exactly when an independent reading of the input
 * (json_scan + cJSON) finds a whole document with data.type "widgets" and
 * an attributes object, and no member name twice in one object (400 125
 * before the shape: contract §10.2); the handler runs only then;
 * json_scan never accepts a text cJSON reads only a prefix of.
 */
#include "fuzz.h"

static int	 ran;

static int
handler(struct req *r)
{
	const cJSON	*data, *type;

	ran++;
	FUZZ_CHECK(r->doc != NULL && cJSON_IsObject(r->attrs));
	data = cJSON_GetObjectItemCaseSensitive(r->doc, "data");
	type = cJSON_GetObjectItemCaseSensitive(data, "type");
	FUZZ_CHECK(cJSON_IsString(type) &&
	    strcmp(type->valuestring, "widgets") == 0);
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "widgets", "widgets", R_BODY, handler },
};
static const struct program prog = {
	"json_fuzz", SIDE_STOREFRONT, routes, nitems(routes)
};

/* A member name twice in one object, anywhere: cJSON's lookup finds the
 * first of a name, so a member it does not find under its own name is a
 * second one. */
static int
has_duplicate(const cJSON *item)
{
	const cJSON	*c;

	for (c = item->child; c != NULL; c = c->next) {
		if (cJSON_IsObject(item) &&
		    cJSON_GetObjectItemCaseSensitive(item, c->string) != c)
			return 1;
		if (has_duplicate(c))
			return 1;
	}
	return 0;
}

/* The expected verdict, from json_scan and cJSON directly. */
static int
expected(const char *s, size_t n)
{
	const char	*end = NULL;
	cJSON		*doc;
	const cJSON	*data, *type, *attrs;
	int		 ok, scan = json_scan(s, n, MAX_JSON_DEPTH);

	if (n == 0)
		return 400;
	doc = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	/* What json_scan accepts, cJSON reads whole or not at all. */
	if (scan && doc != NULL) {
		FUZZ_CHECK(end != NULL && end >= s && end <= s + n);
		FUZZ_CHECK(strspn(end, " \t\r\n") == (size_t)(s + n - end));
	}
	if (!scan || doc == NULL) {
		cJSON_Delete(doc);
		return 400;
	}
	if (has_duplicate(doc)) {
		cJSON_Delete(doc);
		return 400;
	}
	data = cJSON_GetObjectItemCaseSensitive(doc, "data");
	type = cJSON_GetObjectItemCaseSensitive(data, "type");
	attrs = cJSON_GetObjectItemCaseSensitive(data, "attributes");
	ok = cJSON_IsObject(data) && cJSON_IsString(type) &&
	    cJSON_IsObject(attrs) ? (strcmp(type->valuestring, "widgets") == 0 ?
	    204 : 409) : 400;
	cJSON_Delete(doc);
	return ok;
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
	char		 cl[64];
	const char	*env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/widgets",
	    "CONTENT_TYPE=application/vnd.api+json", cl, NULL };
	struct fuzz_resp res;
	char		*body;
	int		 want;

	if (size > MAX_BODY)
		return 0;
	body = fuzz_str(data, size);
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", size);
	ran = 0;
	fuzz_dispatch(&prog, env, body, size, &res);
	want = expected(body, size);
	FUZZ_CHECK(res.nresp == 1);
	FUZZ_CHECK(res.status == want);
	FUZZ_CHECK(ran == (want == 204));
	free(body);
	return 0;
}
