/*
 * GET /dev-mailbox[/{id}]: the development mail spool, for the manual
 * testing pages in www/ (newest first; one message with its text and HTML
 * parts).  Served only when dev_mailbox = on and mail_transport = spool;
 * otherwise every path is 404.  It shows codes to anyone who can reach it:
 * never enable it in production.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

#define MAX_LISTED	100
#define MAX_MESSAGE	(256 * 1024)

static int
enabled(void)
{
	return strcmp(cfg.dev_mailbox, "on") == 0 &&
	    strcmp(cfg.mail_transport, "spool") == 0;
}

/* Spool names as mail.c writes them: digits, dashes, ".eml". */
static int
valid_name_eml(const char *s)
{
	size_t	 n = strlen(s);

	return n > 4 && n < 64 && strcmp(s + n - 4, ".eml") == 0 &&
	    strspn(s, "0123456789-") == n - 4;
}

/* Reads a spool file into a new NUL-terminated buffer; NULL if absent. */
static char *
message_read(const char *name)
{
	char	 path[1024], *buf;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/%s", cfg.mail_spool_dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	buf = xmalloc(MAX_MESSAGE + 1);
	n = fread(buf, 1, MAX_MESSAGE, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Copies header name's value (first line only) out of msg. */
static void
header(const char *msg, const char *name, char *out, size_t sz)
{
	const char	*p = msg, *end = strstr(msg, "\r\n\r\n");
	size_t		 n = strlen(name), len;

	out[0] = '\0';
	while (p != NULL && (end == NULL || p < end)) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			p += strspn(p, " ");
			len = strcspn(p, "\r\n");
			/* Folded lines (an encoded subject, contract §10.9). */
			while (strncmp(p + len, "\r\n ", 3) == 0)
				len += 2 + strcspn(p + len + 2, "\r\n");
			if (mail_subject_decode(out, sz, p, len) == -1)
				snprintf(out, sz, "%.*s", (int)len, p);
			return;
		}
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
}

/* The body of the MIME part whose Content-Type starts with type. */
static char *
part(const char *msg, const char *type)
{
	char		 want[64];
	const char	*p, *body, *end;

	snprintf(want, sizeof(want), "Content-Type: %s", type);
	if ((p = strstr(msg, want)) == NULL ||
	    (body = strstr(p, "\r\n\r\n")) == NULL)
		return xstrdup("");
	body += 4;
	if ((end = strstr(body, "\r\n--")) == NULL)
		end = body + strlen(body);
	return strndup(body, (size_t)(end - body));
}

static cJSON *
message_attrs(const char *msg, int full)
{
	cJSON	*a = cJSON_CreateObject();
	char	 v[512], *s;

	header(msg, "To", v, sizeof(v));
	cJSON_AddStringToObject(a, "to", v);
	header(msg, "Subject", v, sizeof(v));
	cJSON_AddStringToObject(a, "subject", v);
	header(msg, "Date", v, sizeof(v));
	cJSON_AddStringToObject(a, "date", v);
	if (full) {
		s = part(msg, "text/plain");
		cJSON_AddStringToObject(a, "text", s);
		free(s);
		s = part(msg, "text/html");
		cJSON_AddStringToObject(a, "html", s);
		free(s);
	}
	return a;
}

static int
newest_first(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/*
 * Every message name in the spool (directory order is arbitrary, so all of
 * them are read before the newest are picked); the caller frees them.
 */
static char **
spool_names(size_t *np)
{
	char		**names = NULL, **grown;
	size_t		 n = 0, cap = 0;
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(cfg.mail_spool_dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (!valid_name_eml(de->d_name))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL) {
				log_err("dev-mailbox: out of memory");
				exit(1);
			}
			names = grown;
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	*np = n;
	return names != NULL ? names : xcalloc(1, sizeof(*names));
}

static int
list(struct req *r)
{
	char		**names, self[MAX_PATH + 600], *msg;
	size_t		 n = 0, i, listed;
	cJSON		*arr;

	if (!enabled())
		return jsonapi_error(r, E_NOT_FOUND);
	if ((names = spool_names(&n)) == NULL)
		return jsonapi_error(r, E_INTERNAL);
	qsort(names, n, sizeof(names[0]), newest_first);
	arr = cJSON_CreateArray();
	/* The newest MAX_LISTED this program may read (under mod_cgi it runs
	 * as the web server's user, who may not read every file). */
	for (i = 0, listed = 0; i < n; i++) {
		if (listed < MAX_LISTED && (msg = message_read(names[i])) != NULL) {
			listed++;
			self_link(r, self, sizeof(self), "dev-mailbox/%s",
			    names[i]);
			cJSON_AddItemToArray(arr, jsonapi_resource(r,
			    "dev-mailbox", names[i], message_attrs(msg, 0),
			    self));
			free(msg);
		}
		free(names[i]);
	}
	free(names);
	self_link(r, self, sizeof(self), "dev-mailbox");
	return jsonapi_send(r, 200, jsonapi_document(arr, self));
}

static int
get(struct req *r)
{
	char	 self[MAX_PATH + 600], *msg;
	int	 rc;

	if (!enabled() || !valid_name_eml(r->param[0]) ||
	    (msg = message_read(r->param[0])) == NULL)
		return jsonapi_error(r, E_NOT_FOUND);
	self_link(r, self, sizeof(self), "dev-mailbox/%s", r->param[0]);
	rc = jsonapi_send(r, 200, jsonapi_document(jsonapi_resource(r,
	    "dev-mailbox", r->param[0], message_attrs(msg, 1), self), NULL));
	free(msg);
	return rc;
}

static const struct route routes[] = {
	{ M_GET, "dev-mailbox", "dev-mailbox", 0, list },
	{ M_GET, "dev-mailbox/:", "dev-mailbox", 0, get },
};

GLUE_MAIN("dev-mailbox", routes)
