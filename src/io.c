/*
 * The transport: a request's parameters, body and response stream, over
 * FastCGI or plain CGI (RFC 3875), or in memory for the unit tests and
 * fuzz targets.  The only user of libfcgi.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "glue.h"

enum io_kind { IO_CGI, IO_FCGI, IO_MEM };

struct io {
	enum io_kind	 kind;
	FCGX_Request	 fr;		/* IO_FCGI */
	const char *const *env;		/* IO_MEM: "NAME=value", NULL-ended */
	const char	*in;		/* IO_MEM: the body */
	size_t		 inlen, inpos;
	char		*out;		/* IO_MEM: what was written */
	size_t		 outlen, outcap;
};

/* The CGI channel: environment, stdin, stdout. */
struct io *
io_cgi(void)
{
	static struct io cgi = { .kind = IO_CGI };

	return &cgi;
}

int
io_is_cgi(void)
{
	return FCGX_IsCGI();
}

/* The FastCGI channel on stdin's listening socket; NULL on failure. */
struct io *
io_fcgi(void)
{
	static struct io fio = { .kind = IO_FCGI };

	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fio.fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return NULL;
	return &fio;
}

/* Waits for the next FastCGI request: 0, or -1 when the loop must end. */
int
io_accept(struct io *io)
{
	return FCGX_Accept_r(&io->fr) >= 0 ? 0 : -1;
}

void
io_finish(struct io *io)
{
	if (io->kind == IO_FCGI)
		FCGX_Finish_r(&io->fr);
	else if (io->kind == IO_CGI)
		fflush(stdout);
}

/*
 * The answer is whole.  Under CGI the server is told so now, by closing
 * standard output (onto /dev/null, so the descriptor stays taken): it
 * sends the answer while the process does what follows it (the outbox's
 * look, the database's quit, the exit) instead of after.
 */
void
io_answered(struct io *io)
{
	int	 fd;

	if (io->kind != IO_CGI)
		return;
	fflush(stdout);
	if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(fd, STDOUT_FILENO);
		if (fd != STDOUT_FILENO)
			close(fd);
	}
}

/* Async-signal-safe: makes the next io_accept() return -1. */
void
io_stop(void)
{
	FCGX_ShutdownPending();
}

static const char *
mem_getenv(const struct io *io, const char *name)
{
	size_t	 n = strlen(name), i;

	for (i = 0; io->env != NULL && io->env[i] != NULL; i++)
		if (strncmp(io->env[i], name, n) == 0 && io->env[i][n] == '=')
			return io->env[i] + n + 1;
	return NULL;
}

const char *
io_getenv(struct io *io, const char *name)
{
	switch (io->kind) {
	case IO_FCGI:
		return FCGX_GetParam(name, io->fr.envp);
	case IO_MEM:
		return mem_getenv(io, name);
	default:
		return getenv(name);
	}
}

long
io_read(struct io *io, char *buf, size_t n)
{
	switch (io->kind) {
	case IO_FCGI:
		return FCGX_GetStr(buf, (int)n, io->fr.in);
	case IO_MEM:
		if (n > io->inlen - io->inpos)
			n = io->inlen - io->inpos;
		memcpy(buf, io->in + io->inpos, n);
		io->inpos += n;
		return (long)n;
	default:
		return (long)fread(buf, 1, n, stdin);
	}
}

int
io_write(struct io *io, const char *buf, size_t n)
{
	switch (io->kind) {
	case IO_FCGI:
		return FCGX_PutStr(buf, (int)n, io->fr.out) == (int)n ? 0 : -1;
	case IO_MEM:
		if (io->outlen + n + 1 > io->outcap) {
			io->outcap = (io->outlen + n + 1) * 2;
			if ((io->out = realloc(io->out, io->outcap)) == NULL) {
				log_err("out of memory");
				exit(1);
			}
		}
		memcpy(io->out + io->outlen, buf, n);
		io->outlen += n;
		io->out[io->outlen] = '\0';
		return 0;
	default:
		return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
	}
}

/*
 * Is the client known to be gone (contract §9.5)?  Asked before work that
 * a client who left would wait for in vain (the mail hand-over); never
 * blocks.  FastCGI: each request has a connection of its own (no
 * FCGI_KEEP_CONN), which the web server closes when it gives the request
 * up; poll() then reports the peer's end (POLLRDHUP) or a hang-up.
 * lighttpd gives a request up when its client's connection is reset, not
 * when the client only closes its side (that cannot be told from a
 * half-close, which HTTP allows; README "Mail hand-over and
 * mail_timeout").  Data still unread (the rest of the request) is not an
 * end.  Plain CGI: stdout is a pipe or socket to the server; its read end
 * closed is POLLERR or POLLHUP.  0 when it cannot be told.
 */
int
io_client_gone(struct io *io)
{
	struct pollfd	 pfd = { -1, 0, 0 };
	struct stat	 st;

	switch (io->kind) {
	case IO_FCGI:
		pfd.fd = io->fr.ipcFd;
		pfd.events = POLLIN | POLLRDHUP;
		break;
	case IO_CGI:
		if (fstat(1, &st) != 0 ||
		    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
			return 0;
		pfd.fd = 1;
		pfd.events = POLLOUT;
		break;
	default:
		return 0;
	}
	if (pfd.fd < 0 || poll(&pfd, 1, 0) != 1)
		return 0;
	return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/*
 * An in-memory request: env holds "NAME=value" strings up to a NULL, in
 * the body (both kept by the caller until io_mem_free()).
 */
struct io *
io_mem_new(const char *const *env, const char *in, size_t inlen)
{
	struct io	*io = xcalloc(1, sizeof(*io));

	io->kind = IO_MEM;
	io->env = env;
	io->in = in != NULL ? in : "";	/* io_read() copies from it */
	io->inlen = in != NULL ? inlen : 0;
	return io;
}

/* What was written so far, NUL-ended ("" when nothing). */
const char *
io_mem_output(const struct io *io, size_t *len)
{
	if (len != NULL)
		*len = io->outlen;
	return io->out != NULL ? io->out : "";
}

void
io_mem_free(struct io *io)
{
	if (io == NULL)
		return;
	free(io->out);
	free(io);
}
