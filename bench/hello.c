/*
 * hello: baseline (a) of `make bench`.
 *
 * A FastCGI responder that does nothing but answer: no configuration, no
 * database, no parsing.  Its throughput is the ceiling set by the web
 * server, the FastCGI protocol and libfcgi; the API programs are measured
 * against it (bench/run.sh prints the ratio).
 *
 * Built by bench/run.sh; served by lighttpd as /bench/hello.
 */

#include <stdio.h>

#include <fcgiapp.h>

/* About 100 bytes, shaped like a JSON:API document. */
static const char body[] =
    "{\"data\":{\"type\":\"hello\",\"id\":\"1\",\"attributes\":"
    "{\"message\":\"Hello from the glue-mfa FastCGI baseline.\"}}}";

int
main(void)
{
	FCGX_Request	 req;
	char		 head[160];
	int		 headlen;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("hello: cannot initialise libfcgi\n", stderr);
		return 1;
	}

	/* The reply never changes: build its head once (RFC 3875 §6.3.3). */
	headlen = snprintf(head, sizeof(head),
	    "Status: 200 OK\r\n"
	    "Content-Type: application/vnd.api+json\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(body) - 1);
	if (headlen < 0 || (size_t)headlen >= sizeof(head)) {
		fputs("hello: response head too long\n", stderr);
		return 1;
	}

	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, headlen, req.out);
		FCGX_PutStr(body, (int)(sizeof(body) - 1), req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
