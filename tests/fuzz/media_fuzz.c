/*
 * Accept and Content-Type: accept_ok() and media_type_ok() on the input
 * (split at the first '\n': the Content-Type, then the Accept), then both
 * as headers of a JSON:API POST through the front line.  Checked: an
 * accepted media type names JSON:API or JSON; the front line's answer
 * agrees with the two functions (415 before 406 before the body).
 */
#include <strings.h>

#include "fuzz.h"

static int	 ran;

static int
handler(struct req *r)
{
	ran++;
	return jsonapi_no_content(r);
}

static const struct route routes[] = {
	{ M_POST, "widgets", "widgets", R_BODY, handler },
};
static const struct program prog = {
	"media_fuzz", SIDE_STOREFRONT, routes, nitems(routes)
};

/* s starts with the type t, then ends or has parameters. */
static int
starts_with_type(const char *s, const char *t)
{
	size_t	 n = strlen(t);

	return strncasecmp(s, t, n) == 0 && strchr(" \t;", s[n]) != NULL;
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
	static const char body[] =
	    "{\"data\":{\"type\":\"widgets\",\"attributes\":{}}}";
	char		*s, *accept, *ct, *av;
	const char	*env[6];
	struct fuzz_resp res;
	int		 ct_ok, acc_ok;
	size_t		 n = 0;

	if (size > 2 * MAX_HEADER + 2)
		return 0;
	s = fuzz_str(data, size);
	if ((accept = strchr(s, '\n')) != NULL)
		*accept++ = '\0';
	ct_ok = media_type_ok(s);
	acc_ok = accept_ok(accept != NULL ? accept : s);
	if (ct_ok)
		FUZZ_CHECK(starts_with_type(s, "application/vnd.api+json") ||
		    starts_with_type(s, "application/json"));
	(void)media_type_ok(accept != NULL ? accept : "");
	(void)accept_ok(s);
	if (accept == NULL || strlen(s) > MAX_HEADER ||
	    strlen(accept) > MAX_HEADER) {
		free(s);
		return 0;
	}
	ct = xmalloc(strlen(s) + 16);
	av = xmalloc(strlen(accept) + 16);
	snprintf(ct, strlen(s) + 16, "CONTENT_TYPE=%s", s);
	snprintf(av, strlen(accept) + 16, "HTTP_ACCEPT=%s", accept);
	env[n++] = "REQUEST_METHOD=POST";
	env[n++] = "REQUEST_URI=/widgets";
	env[n++] = "CONTENT_LENGTH=43";
	env[n++] = ct;
	env[n++] = av;
	env[n] = NULL;
	ran = 0;
	fuzz_dispatch(&prog, env, body, strlen(body), &res);
	FUZZ_CHECK(res.nresp == 1);
	FUZZ_CHECK(res.status == (!ct_ok ? 415 : !acc_ok ? 406 : 204));
	FUZZ_CHECK(ran == (res.status == 204));
	free(ct);
	free(av);
	free(s);
	return 0;
}
