/*
 * The form body: form_parse() on the input.  Checked when accepted: at
 * most MAX_FORM_FIELDS fields, names unique, names and values UTF-8
 * without NUL, form_get() agrees, and the fields encoded again parse to
 * the same fields.
 */
#include "fuzz.h"

/* Every byte but the unreserved ones percent-encoded. */
static size_t
encode(char *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			out[n++] = (char)c;
		else if (c == ' ')
			out[n++] = '+';
		else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form	 f, g;
	const char	*v;
	char		*again;
	size_t		 i, j, n = 0;

	if (size > MAX_BODY)
		return 0;
	if (form_parse(&f, (const char *)data, size) != 0) {
		form_release(&f);
		return 0;
	}
	FUZZ_CHECK(f.n <= MAX_FORM_FIELDS);
	FUZZ_CHECK(memchr(data, '\0', size) == NULL);
	again = xmalloc(3 * size + 2);
	for (i = 0; i < f.n; i++) {
		FUZZ_CHECK(valid_utf8(f.name[i], strlen(f.name[i])));
		FUZZ_CHECK(valid_utf8(f.value[i], strlen(f.value[i])));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(f.name[i], f.name[j]) != 0);
		v = form_get(&f, f.name[i]);
		FUZZ_CHECK(f.value[i][0] == '\0' ? v == NULL : v == f.value[i]);
		if (i > 0)
			again[n++] = '&';
		n += encode(again + n, f.name[i]);
		again[n++] = '=';
		n += encode(again + n, f.value[i]);
	}
	FUZZ_CHECK(n <= 3 * size + 1);
	FUZZ_CHECK(form_parse(&g, again, n) == 0);
	FUZZ_CHECK(g.n == f.n);
	for (i = 0; i < f.n; i++)
		FUZZ_CHECK(strcmp(f.name[i], g.name[i]) == 0 &&
		    strcmp(f.value[i], g.value[i]) == 0);
	form_release(&g);
	form_release(&f);
	free(again);
	return 0;
}
