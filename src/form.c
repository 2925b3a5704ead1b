/*
 * application/x-www-form-urlencoded bodies (the OAuth 2.0 token endpoint,
 * RFC 6749 §4.3.2, §6), decoded into a small fixed table.
 */
#include <stdlib.h>
#include <string.h>

#include "glue.h"

/*
 * Parses body into f (which then owns a copy).  -1 when malformed, with
 * more than MAX_FORM_FIELDS fields, invalid UTF-8, or a name given twice
 * (RFC 6749 §3.2: parameters must not be repeated).
 */
int
form_parse(struct form *f, const char *body, size_t len)
{
	char	*p, *save = NULL, *eq;
	size_t	 i;

	memset(f, 0, sizeof(*f));
	f->buf = xmalloc(len + 1);
	memcpy(f->buf, body, len);
	f->buf[len] = '\0';
	if (strlen(f->buf) != len)
		return -1;
	for (p = strtok_r(f->buf, "&", &save); p != NULL;
	    p = strtok_r(NULL, "&", &save)) {
		if (f->n == MAX_FORM_FIELDS || (eq = strchr(p, '=')) == NULL)
			return -1;
		*eq = '\0';
		if (url_decode(p, 1) == -1 || url_decode(eq + 1, 1) == -1 ||
		    !valid_utf8(p, strlen(p)) ||
		    !valid_utf8(eq + 1, strlen(eq + 1)))
			return -1;
		for (i = 0; i < f->n; i++)
			if (strcmp(f->name[i], p) == 0)
				return -1;
		f->name[f->n] = p;
		f->value[f->n++] = eq + 1;
	}
	return 0;
}

/* The value of name, or NULL; an empty value counts as absent. */
const char *
form_get(const struct form *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i][0] != '\0' ? f->value[i] : NULL;
	return NULL;
}

void
form_release(struct form *f)
{
	free(f->buf);
	f->buf = NULL;
	f->n = 0;
}
