/*
 * The query string (contract §10.10): query_parse() on the input.  Checked
 * always: a refusal is one of the query codes, its parameter printable
 * ASCII; when accepted: the page in its bounds, at most MAX_FIELDSETS sets
 * of at most MAX_FIELDSET_FIELDS member names each, each set found again by
 * its type; and parsing is a function of the input.
 */
#include "fuzz.h"

static int
member(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= MAX_PARAM_NAME && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
	    == n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query	*q, *again;
	char		*s;
	const char	*p;
	size_t		 i, j;

	if (size > 2 * MAX_QUERY)
		return 0;
	s = fuzz_str(data, size);
	q = xmalloc(sizeof(*q));
	again = xmalloc(sizeof(*again));
	query_parse(q, s);
	FUZZ_CHECK(q->err == 0 || q->err == E_PARAM_UNSUPPORTED ||
	    q->err == E_PARAM_PAGE || q->err == E_PARAM_FIELDS ||
	    q->err == E_PARAM_MALFORMED);
	for (p = q->param; *p != '\0'; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
	FUZZ_CHECK((q->err == E_PARAM_MALFORMED) == (q->param[0] == '\0' &&
	    q->err != 0));
	if (q->err == 0) {
		FUZZ_CHECK(q->offset >= 0 && q->offset <= 999999999L);
		FUZZ_CHECK(q->limit >= 1 && q->limit <= PAGE_LIMIT_MAX);
		FUZZ_CHECK(q->nsets <= MAX_FIELDSETS);
		for (i = 0; i < q->nsets; i++) {
			FUZZ_CHECK(member(q->set[i].type));
			FUZZ_CHECK(query_fieldset(q, q->set[i].type) == &q->set[i]);
			FUZZ_CHECK(q->set[i].n <= MAX_FIELDSET_FIELDS);
			for (j = 0; j < q->set[i].n; j++)
				FUZZ_CHECK(member(q->set[i].name[j]));
		}
	}
	query_parse(again, s);
	FUZZ_CHECK(again->err == q->err && strcmp(again->param, q->param) == 0 &&
	    again->offset == q->offset && again->limit == q->limit &&
	    again->nsets == q->nsets);
	free(again);
	free(q);
	free(s);
	return 0;
}
