/*
 * The accept loop.  At start-up: configuration, crypto, database, then
 * either FastCGI (stdin is a listening socket, FCGX_IsCGI() is false) or
 * plain CGI, one request per process (RFC 3875).  Each request gets one
 * struct req, initialised and released here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "glue.h"

struct io {
	FCGX_Request	*fr;	/* NULL in CGI mode */
};

/* The CGI channel: environment, stdin, stdout. */
struct io *
io_cgi(void)
{
	static struct io cgi = { NULL };

	return &cgi;
}

const char *
io_getenv(struct io *io, const char *name)
{
	if (io->fr != NULL)
		return FCGX_GetParam(name, io->fr->envp);
	return getenv(name);
}

long
io_read(struct io *io, char *buf, size_t n)
{
	if (io->fr != NULL)
		return FCGX_GetStr(buf, (int)n, io->fr->in);
	return (long)fread(buf, 1, n, stdin);
}

int
io_write(struct io *io, const char *buf, size_t n)
{
	if (io->fr != NULL)
		return FCGX_PutStr(buf, (int)n, io->fr->out) == (int)n ? 0 : -1;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

/*
 * SIGTERM (how web servers stop FastCGI programs) ends the loop after the
 * request in progress: the next accept returns, main() returns, and the
 * process exits cleanly (leak checkers then run).
 */
static void
on_term(int sig)
{
	(void)sig;
	FCGX_ShutdownPending();
}

static void
serve_one(const struct program *p, struct io *io)
{
	struct req	 r;

	req_init(&r, io, p->side);
	dispatch(&r, p);
	req_release(&r);
	log_set_request(NULL);
}

/* A CGI program that cannot start still answers, without internals. */
static int
fail_cgi(void)
{
	struct req	 r;

	req_init(&r, io_cgi(), SIDE_STOREFRONT);
	jsonapi_error(&r, E_INTERNAL);
	req_release(&r);
	return 1;
}

int
glue_main(const struct program *p, int argc, char *argv[])
{
	FCGX_Request	 fr;
	struct io	 fio;
	char		 err[512];
	int		 cgi = FCGX_IsCGI();

	cJSON_Hooks	 hooks = { xmalloc, free };

	(void)argc;
	(void)argv;
	cJSON_InitHooks(&hooks);	/* out of memory is fatal, see glue.h */
	signal(SIGPIPE, SIG_IGN);
	if (config_load(getenv("MFA_CONFIG"), err, sizeof(err)) == -1 ||
	    crypto_start(cfg.secret_key_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", p->name, err);
		return cgi ? fail_cgi() : 1;
	}
	/* A database that is down now is answered with 503 until it is back. */
	(void)db_open();
	if (cgi) {
		serve_one(p, io_cgi());
		fflush(stdout);
		db_close();
		return 0;
	}
	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		fprintf(stderr, "%s: FastCGI initialisation failed\n", p->name);
		return 1;
	}
	fio.fr = &fr;
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_term }, NULL);
	while (FCGX_Accept_r(&fr) >= 0) {
		serve_one(p, &fio);
		FCGX_Finish_r(&fr);
	}
	db_close();
	return 0;
}
