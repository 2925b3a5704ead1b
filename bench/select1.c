/*
 * select1: baseline (b) of `make bench`.
 *
 * A FastCGI responder that does the least a database-backed Glue resource
 * can do: one connection and one prepared statement made at start-up, and
 * per request one primary-key SELECT answered as a small JSON:API document.
 * The difference between this and GET /customers/{ref} is what the real
 * program adds (request parsing, token check, routing, JSON writer).
 *
 * It reads db_socket, db_user, db_password and db_name from the file named
 * by MFA_CONFIG (key = value, # comments), like the API programs.  Any
 * start-up failure exits with one line on stderr.
 *
 * Built by bench/run.sh; served by lighttpd as /bench/select1.  Built with
 * -DBENCH_UPDATE it is update1, the baseline of a protected write: one
 * prepared single-row UPDATE per request, answered with the same document
 * after a SELECT of the row (what PATCH /customers/{ref} answers too).
 */

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <mysql.h>

#define VALUE_MAX	1024	/* longest config value and column value kept */
#define BODY_MAX	4096	/* the reply body; the row is far smaller */

static const char query[] =
    "SELECT id, email, first_name, last_name FROM customers WHERE id = ?";
#ifdef BENCH_UPDATE
static const char update[] =
    "UPDATE customers SET updated_at = ? WHERE id = 1";
static MYSQL_STMT *upd;
static long long upd_time;
#endif

struct conf {
	char	socket[VALUE_MAX];
	char	user[VALUE_MAX];
	char	password[VALUE_MAX];
	char	name[VALUE_MAX];
};

/* The result row, bound once to the statement. */
struct row {
	long long	id;
	char		col[3][VALUE_MAX];	/* email, first_name, last_name */
	unsigned long	len[3];
	my_bool		null[3];
	my_bool		err[4];
};

static char *
trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
conf_set(struct conf *c, const char *key, const char *val)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} keys[] = {
		{ "db_socket",   offsetof(struct conf, socket) },
		{ "db_user",     offsetof(struct conf, user) },
		{ "db_password", offsetof(struct conf, password) },
		{ "db_name",     offsetof(struct conf, name) },
	};
	size_t	 i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		n = strlen(val);
		if (n >= VALUE_MAX) {
			fprintf(stderr, "select1: config: %s is too long\n", key);
			return -1;
		}
		memcpy((char *)c + keys[i].off, val, n + 1);
	}
	return 0;	/* other keys belong to the API programs */
}

static int
conf_read(struct conf *c, const char *path)
{
	FILE	*f;
	char	 line[2 * VALUE_MAX], *eq, *s;
	int	 rc = -1;

	memset(c, 0, sizeof(*c));
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "select1: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			fprintf(stderr, "select1: %s: line without '='\n", path);
			goto out;
		}
		*eq = '\0';
		if (conf_set(c, trim(s), trim(eq + 1)) == -1)
			goto out;
	}
	if (c->socket[0] == '\0' || c->user[0] == '\0' || c->name[0] == '\0') {
		fprintf(stderr, "select1: %s: db_socket, db_user and db_name "
		    "are required\n", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static MYSQL_STMT *
db_open(const struct conf *c, MYSQL **dbp, long long *param, struct row *r)
{
	MYSQL		*db;
	MYSQL_STMT	*st = NULL;
	MYSQL_BIND	 in[1], out[4];
	int		 i;

	if ((db = mysql_init(NULL)) == NULL ||
	    mysql_real_connect(db, NULL, c->user, c->password, c->name, 0,
	    c->socket, 0) == NULL ||
	    mysql_set_character_set(db, "utf8mb4") != 0 ||
	    (st = mysql_stmt_init(db)) == NULL ||
	    mysql_stmt_prepare(st, query, sizeof(query) - 1) != 0)
		goto fail;

	memset(in, 0, sizeof(in));
	in[0].buffer_type = MYSQL_TYPE_LONGLONG;
	in[0].buffer = param;

	memset(out, 0, sizeof(out));
	out[0].buffer_type = MYSQL_TYPE_LONGLONG;
	out[0].buffer = &r->id;
	out[0].error = &r->err[0];
	for (i = 0; i < 3; i++) {
		out[i + 1].buffer_type = MYSQL_TYPE_STRING;
		out[i + 1].buffer = r->col[i];
		out[i + 1].buffer_length = VALUE_MAX;
		out[i + 1].length = &r->len[i];
		out[i + 1].is_null = &r->null[i];
		out[i + 1].error = &r->err[i + 1];
	}
	if (mysql_stmt_bind_param(st, in) != 0 ||
	    mysql_stmt_bind_result(st, out) != 0)
		goto fail;
#ifdef BENCH_UPDATE
	in[0].buffer = &upd_time;
	if ((upd = mysql_stmt_init(db)) == NULL ||
	    mysql_stmt_prepare(upd, update, sizeof(update) - 1) != 0 ||
	    mysql_stmt_bind_param(upd, in) != 0)
		goto fail;
#endif
	*dbp = db;
	return st;
fail:
	fprintf(stderr, "select1: database: %s\n",
	    db == NULL ? "out of memory" :
	    st != NULL && mysql_stmt_errno(st) != 0 ? mysql_stmt_error(st) :
	    mysql_error(db));
	if (st != NULL)
		mysql_stmt_close(st);
	if (db != NULL)
		mysql_close(db);
	return NULL;
}

/* Appends s[0..n) as a JSON string body (RFC 8259 §7); -1 when full. */
static int
json_str(char *buf, size_t *pos, size_t cap, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 ch;
	size_t			 i;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (*pos + 6 >= cap)
			return -1;
		if (ch == '"' || ch == '\\') {
			buf[(*pos)++] = '\\';
			buf[(*pos)++] = (char)ch;
		} else if (ch < 0x20) {
			memcpy(buf + *pos, "\\u00", 4);
			buf[*pos + 4] = hex[ch >> 4];
			buf[*pos + 5] = hex[ch & 0xf];
			*pos += 6;
		} else
			buf[(*pos)++] = (char)ch;
	}
	return 0;
}

static int
json_lit(char *buf, size_t *pos, size_t cap, const char *s)
{
	size_t	 n = strlen(s);

	if (*pos + n >= cap)
		return -1;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return 0;
}

/* Builds the reply body from the fetched row; returns its length or -1. */
static int
row_json(const struct row *r, char *buf, size_t cap)
{
	static const char	*names[3] = { "email", "firstName", "lastName" };
	char			 id[32];
	size_t			 pos = 0;
	int			 i, n;

	n = snprintf(id, sizeof(id), "%lld", r->id);
	if (n < 0 || (size_t)n >= sizeof(id))
		return -1;
	if (json_lit(buf, &pos, cap, "{\"data\":{\"type\":\"customers\",\"id\":\"") ||
	    json_lit(buf, &pos, cap, id) ||
	    json_lit(buf, &pos, cap, "\",\"attributes\":{"))
		return -1;
	for (i = 0; i < 3; i++) {
		if (json_lit(buf, &pos, cap, i ? ",\"" : "\"") ||
		    json_lit(buf, &pos, cap, names[i]) ||
		    json_lit(buf, &pos, cap, "\":"))
			return -1;
		if (r->null[i]) {
			if (json_lit(buf, &pos, cap, "null"))
				return -1;
		} else if (json_lit(buf, &pos, cap, "\"") ||
		    json_str(buf, &pos, cap, r->col[i], r->len[i]) ||
		    json_lit(buf, &pos, cap, "\""))
			return -1;
	}
	if (json_lit(buf, &pos, cap, "}}}"))
		return -1;
	return (int)pos;
}

static void
reply(FCGX_Request *req, const char *status, const char *body, int len)
{
	char	 head[160];
	int	 n;

	n = snprintf(head, sizeof(head),
	    "Status: %s\r\n"
	    "Content-Type: application/vnd.api+json\r\n"
	    "Content-Length: %d\r\n\r\n", status, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	FCGX_PutStr(head, n, req->out);
	FCGX_PutStr(body, len, req->out);
}

static void
reply_error(FCGX_Request *req, const char *status, const char *code)
{
	char	 body[160];
	int	 n;

	n = snprintf(body, sizeof(body),
	    "{\"errors\":[{\"status\":\"%.3s\",\"code\":\"%s\"}]}",
	    status, code);
	if (n > 0 && (size_t)n < sizeof(body))
		reply(req, status, body, n);
}

static void
handle(FCGX_Request *req, MYSQL_STMT *st, long long *param,
    struct row *r)
{
	char	 body[BODY_MAX];
	int	 rc, len;

	*param = 1;
#ifdef BENCH_UPDATE
	upd_time++;
	if (mysql_stmt_execute(upd) != 0) {
		fprintf(stderr, "update1: execute: %s\n", mysql_stmt_error(upd));
		reply_error(req, "503 Service Unavailable", "db");
		return;
	}
#endif
	if (mysql_stmt_execute(st) != 0) {
		fprintf(stderr, "select1: execute: %s\n", mysql_stmt_error(st));
		reply_error(req, "503 Service Unavailable", "db");
		return;
	}
	rc = mysql_stmt_fetch(st);
	mysql_stmt_free_result(st);
	if (rc == MYSQL_NO_DATA) {
		reply_error(req, "404 Not Found", "no-row");
		return;
	}
	if (rc != 0 || (len = row_json(r, body, sizeof(body))) < 0) {
		fprintf(stderr, "select1: fetch: %s\n", rc == MYSQL_DATA_TRUNCATED ?
		    "value too long" : rc != 0 ? mysql_stmt_error(st) :
		    "reply too long");
		reply_error(req, "500 Internal Server Error", "fetch");
		return;
	}
	reply(req, "200 OK", body, len);
}

int
main(void)
{
	FCGX_Request	 req;
	struct conf	 conf;
	struct row	 row;
	MYSQL		*db = NULL;
	MYSQL_STMT	*st;
	long long	 param = 1;
	const char	*path;

	if ((path = getenv("MFA_CONFIG")) == NULL || *path == '\0') {
		fputs("select1: MFA_CONFIG is not set\n", stderr);
		return 1;
	}
	if (conf_read(&conf, path) == -1)
		return 1;
	memset(&row, 0, sizeof(row));
	if ((st = db_open(&conf, &db, &param, &row)) == NULL)
		return 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("select1: cannot initialise libfcgi\n", stderr);
		return 1;
	}

	while (FCGX_Accept_r(&req) >= 0) {
		handle(&req, st, &param, &row);
		FCGX_Finish_r(&req);
	}

	mysql_stmt_close(st);
	mysql_close(db);
	return 0;
}
