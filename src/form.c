/*
 * application/x-www-form-urlencoded bodies (the OAuth 2.0 token endpoint,
 * RFC 6749 §4.3.2, §6), decoded into a small fixed table; and the client
 * identification of a Basic Authorization header (§2.3.1).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Standard base64 (RFC 4648 §4), padded: bytes written, -1 if malformed. */
static long
base64_decode(unsigned char *out, size_t outsz, const char *in)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		 n = strlen(in), i, o = 0, pad = 0;
	unsigned long	 acc = 0;
	const char	*c = NULL;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i++) {
		if (i >= n - pad) {
			if (in[i] != '=')
				return -1;
			acc <<= 6;
		} else if (in[i] == '=' || (c = strchr(abc, in[i])) == NULL)
			return -1;
		else
			acc = acc << 6 | (unsigned long)(c - abc);
		if (i % 4 == 3) {
			if (o + 3 > outsz)
				return -1;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	return (long)(o - pad);
}

/*
 * Authorization: Basic (RFC 7617) as RFC 6749 §2.3.1 has clients send
 * it: base64 of the form-encoded client_id, ':', the form-encoded secret.
 * The client_id goes into id (NUL-ended, valid UTF-8, not empty);
 * *secret tells whether a secret was given.  -1 when malformed.
 */
int
form_basic(const char *authorization, char *id, size_t idsz, int *secret)
{
	unsigned char	 buf[MAX_CLIENT_ID * 3 + 8];
	char		*colon;
	long		 n;
	int		 rc;

	*secret = 0;
	id[0] = '\0';
	if (strncasecmp(authorization, "Basic ", 6) != 0 ||
	    strlen(authorization + 6) > (sizeof(buf) - 1) / 3 * 4)
		return -1;
	rc = -1;
	if ((n = base64_decode(buf, sizeof(buf) - 1, authorization + 6)) < 0)
		goto done;
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) != NULL ||
	    (colon = strchr((char *)buf, ':')) == NULL)
		goto done;
	*colon = '\0';
	if (url_decode((char *)buf, 1) == -1 || url_decode(colon + 1, 1) == -1 ||
	    buf[0] == '\0' || !valid_utf8((char *)buf, strlen((char *)buf)) ||
	    strlen((char *)buf) >= idsz)
		goto done;
	*secret = colon[1] != '\0';
	memcpy(id, buf, strlen((char *)buf) + 1);
	rc = 0;
done:
	wipe(buf, sizeof(buf));		/* it may hold a secret */
	return rc;
}
