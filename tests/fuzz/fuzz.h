/*
 * Shared by the fuzz targets: a NUL-ended copy of the input, one request
 * through dispatch() on the in-memory transport, and a check that aborts
 * (libFuzzer then saves the input) naming what failed.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	 LLVMFuzzerInitialize(int *, char ***);

/* A NUL-ended copy of n bytes of data (the caller frees it). */
static inline char *
fuzz_str(const uint8_t *data, size_t n)
{
	char	*s = xmalloc(n + 1);

	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* What one dispatched request answered. */
struct fuzz_resp {
	int	 status;	/* from the first status line */
	int	 nresp;		/* answers written */
	char	 code[16];	/* errors[0].code, or "" */
};

/* Dispatches env (up to NULL) with body through p; fills *out. */
static inline void
fuzz_dispatch(const struct program *p, const char *const *env,
    const char *body, size_t len, struct fuzz_resp *out)
{
	struct io	*io = io_mem_new(env, body, len);
	struct req	 r;
	const char	*o, *s, *c;
	size_t		 olen;

	req_init(&r, io, p->side);
	dispatch(&r, p);
	FUZZ_CHECK(r.answered);
	req_release(&r);
	o = io_mem_output(io, &olen);
	FUZZ_CHECK(strlen(o) == olen);
	FUZZ_CHECK(strncmp(o, "Status: ", 8) == 0);
	out->status = (int)strtol(o + 8, NULL, 10);
	/* One X-Request-Id line per answer: a raw CRLF is never inside a
	 * JSON body (cJSON escapes it), where "Status: " may be (an error's
	 * source.pointer names the member at fault). */
	out->nresp = 0;
	for (s = o; (s = strstr(s, "\r\nX-Request-Id: ")) != NULL; s++)
		out->nresp++;
	out->code[0] = '\0';
	if ((c = strstr(o, "\"code\":\"")) != NULL)
		snprintf(out->code, sizeof(out->code), "%.*s",
		    (int)strcspn(c + 8, "\""), c + 8);
	FUZZ_CHECK(strstr(o, "\r\nX-Request-Id: ") != NULL);
	io_mem_free(io);
}

#endif
