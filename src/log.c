/*
 * One-line logs on stderr, which every web server collects (lighttpd and
 * Apache write a FastCGI or CGI program's stderr to their error log).
 * Each line: program, pid, request id, level, message.  Messages are
 * sanitised: control characters become '?', so input can never forge a
 * line.  Callers never pass secrets (codes, tokens, passwords, keys).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glue.h"

static char	 request_id[REQUEST_ID_CHARS + 1] = "-";

void
log_set_request(const char *id)
{
	snprintf(request_id, sizeof(request_id), "%s", id != NULL ? id : "-");
}

static void
log_line(const char *level, const char *fmt, va_list ap)
{
	char	 msg[1024], *p;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "glue-mfa[%ld] %s %s: %s\n", (long)getpid(),
	    request_id, level, msg);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_line("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_line("warn", fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
}

static void
out_of_memory(void)
{
	fputs("glue-mfa: out of memory\n", stderr);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz)) == NULL)
		out_of_memory();
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		out_of_memory();
	return p;
}
