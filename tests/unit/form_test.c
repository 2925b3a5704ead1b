/*
 * src/form.c: application/x-www-form-urlencoded bodies (RFC 6749 §4.3.2),
 * accepted and refused, the decoded fields in order, form_get() and the
 * MAX_FORM_FIELDS bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "unit.h"

/* A byte string with its length: may hold NULs. */
#define B(lit)	lit, sizeof(lit) - 1

static void
test_accepted(void)
{
	static const struct {
		const char	*body;
		size_t		 len;
		size_t		 n;
		const char	*pairs[8];	/* name, value, ... */
	} t[] = {
		{ B(""), 0, { NULL } },
		{ B("&"), 0, { NULL } },
		{ B("a=1"), 1, { "a", "1" } },
		{ B("a="), 1, { "a", "" } },
		{ B("=v"), 1, { "", "v" } },
		{ B("="), 1, { "", "" } },
		{ B("a=b=c"), 1, { "a", "b=c" } },
		{ B("grant_type=password&username=a%40b.de&password=p+w%2Bx"),
		    3, { "grant_type", "password", "username", "a@b.de",
		    "password", "p w+x" } },
		{ B("a=1&&b=2&"), 2, { "a", "1", "b", "2" } },
		{ B("&a=1"), 1, { "a", "1" } },
		{ B("a=1&A=2"), 2, { "a", "1", "A", "2" } },
		{ B("n%61me=%E2%82%AC"), 1, { "name", "\xe2\x82\xac" } },
		{ B("a=%26&b=%3D"), 2, { "a", "&", "b", "=" } },
		{ B("a=x;b=y"), 1, { "a", "x;b=y" } },
		{ B("a=\xc3\xa9"), 1, { "a", "\xc3\xa9" } },
		{ B("a=1\r\n"), 1, { "a", "1\r\n" } },
	};
	struct form	 f;
	size_t		 i, j;
	int		 rc;

	for (i = 0; i < nitems(t); i++) {
		rc = form_parse(&f, t[i].body, t[i].len);
		CHECKF(rc == 0 && f.n == t[i].n, "form_parse(\"%s\") = %d, %zu "
		    "fields, want 0, %zu", t[i].body, rc, f.n, t[i].n);
		for (j = 0; rc == 0 && j < f.n && j < t[i].n; j++)
			CHECKF(strcmp(f.name[j], t[i].pairs[2 * j]) == 0 &&
			    strcmp(f.value[j], t[i].pairs[2 * j + 1]) == 0,
			    "form_parse(\"%s\"): field %zu \"%s\"=\"%s\", want "
			    "\"%s\"=\"%s\"", t[i].body, j, f.name[j],
			    f.value[j], t[i].pairs[2 * j],
			    t[i].pairs[2 * j + 1]);
		form_release(&f);
		CHECK(f.buf == NULL && f.n == 0);
	}
}

static void
test_refused(void)
{
	static const struct {
		const char	*body;
		size_t		 len;
	} t[] = {
		{ B("a") },
		{ B("a=1&b") },
		{ B("a=1&a=2") },
		{ B("a=1&b=2&a=") },
		{ B("a=1&%61=2") },		/* the same name once decoded */
		{ B("a+b=1&a%20b=2") },
		{ B("a=%") },
		{ B("a=%4") },
		{ B("a=%zz") },
		{ B("%zz=1") },
		{ B("a=%00") },
		{ B("a\0=1") },			/* a NUL byte in the body */
		{ B("a=1\0") },
		{ B("a=%FF") },			/* not UTF-8 once decoded */
		{ B("a=\xff") },
		{ B("%C3=1") },
		{ B("a=%C0%AF") },		/* overlong */
		{ B("a=%ED%A0%80") },		/* a surrogate */
	};
	struct form	 f;
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		CHECKF(form_parse(&f, t[i].body, t[i].len) == -1,
		    "form_parse(\"%s\") accepted", t[i].body);
		form_release(&f);
	}
}

/* MAX_FORM_FIELDS fields are taken; one more is refused. */
static void
test_bound(void)
{
	char		 body[512], name[8];
	struct form	 f;
	size_t		 n = 0, i;

	for (i = 0; i < MAX_FORM_FIELDS; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%sf%zu=%zu",
		    i > 0 ? "&" : "", i, i);
	CHECK_INT(form_parse(&f, body, n), 0);
	CHECK_INT(f.n, MAX_FORM_FIELDS);
	snprintf(name, sizeof(name), "f%d", MAX_FORM_FIELDS - 1);
	CHECK_STR(form_get(&f, name), "15");
	form_release(&f);
	/* Empty parts between '&' are not fields. */
	n += (size_t)snprintf(body + n, sizeof(body) - n, "&&&");
	CHECK_INT(form_parse(&f, body, n), 0);
	form_release(&f);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "x=1");
	CHECK_INT(form_parse(&f, body, n), -1);
	form_release(&f);
}

/* form_get: the value, NULL when absent or empty; names are exact. */
static void
test_get(void)
{
	static const char body[] = "grant_type=refresh_token&refresh_token="
	    "abc&scope=&Client=x";
	struct form	 f;

	CHECK_INT(form_parse(&f, body, strlen(body)), 0);
	CHECK_STR(form_get(&f, "grant_type"), "refresh_token");
	CHECK_STR(form_get(&f, "refresh_token"), "abc");
	CHECK_STR(form_get(&f, "scope"), NULL);
	CHECK_STR(form_get(&f, "client"), NULL);
	CHECK_STR(form_get(&f, "Client"), "x");
	CHECK_STR(form_get(&f, "grant"), NULL);
	CHECK_STR(form_get(&f, ""), NULL);
	form_release(&f);
	/* The form owns a copy: the body may go away. */
	{
		char	*b = xstrdup("username=u%40x.de&password=secret");
		size_t	 n = strlen(b);

		CHECK_INT(form_parse(&f, b, n), 0);
		memset(b, 0, n);
		free(b);
		CHECK_STR(form_get(&f, "username"), "u@x.de");
		CHECK_STR(form_get(&f, "password"), "secret");
		form_release(&f);
	}
	/* Only len bytes are read. */
	CHECK_INT(form_parse(&f, "a=1&b=2", 3), 0);
	CHECK_INT(f.n, 1);
	CHECK_STR(form_get(&f, "b"), NULL);
	form_release(&f);
}

/* Authorization: Basic as a public client sends it (RFC 6749 §2.3.1). */
static void
test_basic(void)
{
	char	 id[MAX_CLIENT_ID + 1];
	int	 secret;

	/* base64("shop-pwa:") and base64("shop-pwa:s3cret") */
	CHECK_INT(form_basic("Basic c2hvcC1wd2E6", id, sizeof(id), &secret), 0);
	CHECK_STR(id, "shop-pwa");
	CHECK_INT(secret, 0);
	CHECK_INT(form_basic("basic c2hvcC1wd2E6czNjcmV0", id, sizeof(id),
	    &secret), 0);
	CHECK_STR(id, "shop-pwa");
	CHECK_INT(secret, 1);
	/* Form-encoded parts are decoded: "a%20b+c:" */
	CHECK_INT(form_basic("Basic YSUyMGIrYzo=", id, sizeof(id), &secret), 0);
	CHECK_STR(id, "a b c");
	/* Malformed: no colon, empty id, bad base64, bad padding, bad escape,
	 * an encoded NUL, another scheme, too long. */
	CHECK_INT(form_basic("Basic bm8tY29sb24=", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic Og==", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic !!!!", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic c2hvcC1wd2E6=", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic YT1i=Og==", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic YSV6ejo=", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic YQBiOg==", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Basic ", id, sizeof(id), &secret), -1);
	CHECK_INT(form_basic("Bearer c2hvcC1wd2E6", id, sizeof(id), &secret), -1);
	{
		char	 big[1024];
		size_t	 i;

		memcpy(big, "Basic ", 6);
		for (i = 6; i < 6 + 4 * 200; i++)
			big[i] = 'Y';
		big[i] = '\0';
		CHECK_INT(form_basic(big, id, sizeof(id), &secret), -1);
	}
	/* An id longer than the buffer. */
	CHECK_INT(form_basic("Basic c2hvcC1wd2E6", id, 8, &secret), -1);
}

int
main(void)
{
	test_basic();
	test_accepted();
	test_refused();
	test_bound();
	test_get();
	return unit_done();
}
