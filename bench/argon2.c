/*
 * argon2: the floor of the sign-in target (i) of `make bench`.
 *
 * A FastCGI responder that does per request the one thing a sign-in
 * cannot avoid: one Argon2id verification (libsodium's
 * crypto_pwhash_str_verify) of a password against a hash made at start-up
 * with the programs' default parameters (password_memory_kib 19456,
 * password_iterations 2: contract §11.1), answered with the hello body.
 * No database, no parsing.  BENCH_ARGON2_KIB and BENCH_ARGON2_T (the
 * environment) change the parameters, to follow a configuration.
 *
 * Built by bench/run.sh; served by lighttpd as /bench/argon2.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <sodium.h>

#define DEFAULT_KIB	19456	/* src/config.c: password_memory_kib */
#define DEFAULT_T	2	/* password_iterations */

static const char body[] =
    "{\"data\":{\"type\":\"hello\",\"id\":\"1\",\"attributes\":"
    "{\"message\":\"Hello from the glue-mfa FastCGI baseline.\"}}}";
static const char password[] = "change123";

static unsigned long
param(const char *name, unsigned long def)
{
	const char	*v = getenv(name);
	char		*end;
	unsigned long	 n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoul(v, &end, 10);
	return *end == '\0' && n > 0 ? n : def;
}

int
main(void)
{
	FCGX_Request	 req;
	char		 head[160], hash[crypto_pwhash_STRBYTES];
	int		 headlen, ok;

	if (sodium_init() < 0 || crypto_pwhash_str_alg(hash, password,
	    strlen(password), param("BENCH_ARGON2_T", DEFAULT_T),
	    (size_t)param("BENCH_ARGON2_KIB", DEFAULT_KIB) * 1024,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		fputs("argon2: cannot make the hash\n", stderr);
		return 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("argon2: cannot initialise libfcgi\n", stderr);
		return 1;
	}
	headlen = snprintf(head, sizeof(head),
	    "Status: 200 OK\r\n"
	    "Content-Type: application/vnd.api+json\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(body) - 1);
	if (headlen < 0 || (size_t)headlen >= sizeof(head)) {
		fputs("argon2: response head too long\n", stderr);
		return 1;
	}

	while (FCGX_Accept_r(&req) >= 0) {
		ok = crypto_pwhash_str_verify(hash, password,
		    strlen(password)) == 0;
		if (ok) {
			FCGX_PutStr(head, headlen, req.out);
			FCGX_PutStr(body, (int)(sizeof(body) - 1), req.out);
		} else
			FCGX_PutS("Status: 500 Internal Server Error\r\n\r\n",
			    req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
