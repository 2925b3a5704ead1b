/*
 * The process: configuration -> crypto -> database -> the accept loop,
 * one request at a time.  FastCGI when stdin is a listening socket, else
 * plain CGI, one request per process (RFC 3875).  Each request gets one
 * struct req, initialised and released here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "glue.h"

/*
 * SIGTERM (how web servers stop FastCGI programs) ends the loop after the
 * request in progress: the next accept returns, main() returns, and the
 * process exits cleanly (leak checkers then run).
 */
static void
on_term(int sig)
{
	(void)sig;
	io_stop();
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
	struct io	*io;
	char		 err[512];
	int		 cgi = io_is_cgi();

	cJSON_Hooks	 hooks = { xmalloc, free };

	(void)argc;
	(void)argv;
	cJSON_InitHooks(&hooks);	/* out of memory is fatal, see glue.h */
	signal(SIGPIPE, SIG_IGN);
	if (config_load(getenv("MFA_CONFIG"), err, sizeof(err)) == -1 ||
	    config_check_routes(p, err, sizeof(err)) == -1 ||
	    mfa_check_config(err, sizeof(err)) == -1 ||
	    crypto_start(cfg.secret_key_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", p->name, err);
		return cgi ? fail_cgi() : 1;
	}
	/* A database that is down now is answered with 503 until it is back.
	 * A CGI request connects when it first needs to: one connect per
	 * request (contract §9.2), not one here and one again in it. */
	if (!cgi)
		(void)db_open();
	if (cgi) {
		serve_one(p, io_cgi());
		io_finish(io_cgi());
		db_close();
		return 0;
	}
	if ((io = io_fcgi()) == NULL) {
		fprintf(stderr, "%s: FastCGI initialisation failed\n", p->name);
		return 1;
	}
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_term }, NULL);
	while (io_accept(io) == 0) {
		serve_one(p, io);
		io_finish(io);
	}
	db_close();
	return 0;
}
