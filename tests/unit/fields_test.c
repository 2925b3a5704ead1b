/*
 * src/fields.c: declared attribute rules read from data.attributes, in
 * declaration order; the first bad one answers: wrong JSON type 400 101,
 * missing (REQ_VALUE) or invalid value 422 901, missing REQ_MEMBER
 * 400 101, each with its pointer.  Null counts as missing; unknown
 * attributes are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "unit.h"

static const struct field rules[] = {
	{ "email", F_STRING, REQ_VALUE, valid_email },
	{ "firstName", F_STRING, REQ_MEMBER, NULL },
	{ "salutation", F_STRING, 0, valid_salutation },
	{ "acceptedTerms", F_BOOL, REQ_MEMBER, NULL },
	{ "isDefault", F_BOOL, 0, NULL },
	{ "note", F_STRING, 0, NULL },
};
#define NRULES	nitems(rules)

static struct {
	int		 rc;
	struct fval	 v[NRULES];
	char		 out[4096];
} got;

/* fields_read over the attributes object attrs (JSON text). */
static void
read_attrs(const char *attrs)
{
	const char	*env[] = { "REQUEST_METHOD=POST", NULL };
	struct io	*io = io_mem_new(env, NULL, 0);
	struct req	 r;
	cJSON		*doc = cJSON_Parse(attrs);

	req_init(&r, io, SIDE_STOREFRONT);
	r.attrs = doc;
	got.rc = fields_read(&r, rules, NRULES, got.v);
	/* Values point into the document: keep copies of what we check. */
	snprintf(got.out, sizeof(got.out), "%s", io_mem_output(io, NULL));
	if (got.rc == 0 && r.answered)
		got.rc = 99;	/* answered and yet "fine" */
	if (got.rc != 0)
		memset(got.v, 0, sizeof(got.v));
	io_mem_free(io);
	r.doc = doc;	/* req_release() frees it */
	req_release(&r);
}

/* The error body fields_read wrote: status line, code, pointer, detail. */
static int
answered(const char *line, const char *code, const char *pointer,
    const char *detail)
{
	char	 want[512];
	const char *body = strstr(got.out, "\r\n\r\n");

	snprintf(want, sizeof(want), "{\"errors\":[{\"status\":\"%.3s\","
	    "\"code\":\"%s\",\"detail\":\"%s\",\"source\":{\"pointer\":"
	    "\"%s\"}}]}", line + 8, code, detail, pointer);
	return got.rc == -1 && strncmp(got.out, line, strlen(line)) == 0 &&
	    got.out[strlen(line)] == '\r' && body != NULL &&
	    strcmp(body + 4, want) == 0;
}

static void
test_errors(void)
{
	static const struct {
		const char	*attrs;
		const char	*line, *code, *pointer, *detail;
	} t[] = {
		/* A missing REQ_VALUE: 422 901 (the first rule). */
		{ "{\"firstName\":\"A\",\"acceptedTerms\":true}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
		{ "{\"email\":null,\"firstName\":\"A\",\"acceptedTerms\":true}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
		/* Names are case-sensitive. */
		{ "{\"Email\":\"a@b.de\",\"firstName\":\"A\","
		    "\"acceptedTerms\":true}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
		/* A value its validator refuses: 422 901. */
		{ "{\"email\":\"nope\",\"firstName\":\"A\","
		    "\"acceptedTerms\":true}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
		{ "{\"email\":\"\",\"firstName\":\"A\",\"acceptedTerms\":true}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
		/* A wrong JSON type: 400 101. */
		{ "{\"email\":7,\"firstName\":\"A\",\"acceptedTerms\":true}",
		    "Status: 400 Bad Request", "101",
		    "/data/attributes/email", "Invalid or missing member." },
		{ "{\"email\":[\"a@b.de\"],\"acceptedTerms\":true}",
		    "Status: 400 Bad Request", "101",
		    "/data/attributes/email", "Invalid or missing member." },
		{ "{\"email\":true}", "Status: 400 Bad Request", "101",
		    "/data/attributes/email", "Invalid or missing member." },
		/* A missing REQ_MEMBER: 400 101. */
		{ "{\"email\":\"a@b.de\",\"acceptedTerms\":true}",
		    "Status: 400 Bad Request", "101",
		    "/data/attributes/firstName", "Invalid or missing member." },
		{ "{\"email\":\"a@b.de\",\"firstName\":null,"
		    "\"acceptedTerms\":true}", "Status: 400 Bad Request", "101",
		    "/data/attributes/firstName", "Invalid or missing member." },
		/* An optional one, present and invalid. */
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\",\"salutation\":"
		    "\"Sir\",\"acceptedTerms\":true}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/salutation", "salutation is invalid." },
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\",\"salutation\":"
		    "1,\"acceptedTerms\":true}", "Status: 400 Bad Request",
		    "101", "/data/attributes/salutation",
		    "Invalid or missing member." },
		/* Booleans: only true and false. */
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\"}",
		    "Status: 400 Bad Request", "101",
		    "/data/attributes/acceptedTerms",
		    "Invalid or missing member." },
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\","
		    "\"acceptedTerms\":\"true\"}", "Status: 400 Bad Request",
		    "101", "/data/attributes/acceptedTerms",
		    "Invalid or missing member." },
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\","
		    "\"acceptedTerms\":1}", "Status: 400 Bad Request", "101",
		    "/data/attributes/acceptedTerms",
		    "Invalid or missing member." },
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\","
		    "\"acceptedTerms\":true,\"isDefault\":0}",
		    "Status: 400 Bad Request", "101",
		    "/data/attributes/isDefault", "Invalid or missing member." },
		{ "{\"email\":\"a@b.de\",\"firstName\":\"A\","
		    "\"acceptedTerms\":true,\"note\":{}}",
		    "Status: 400 Bad Request", "101",
		    "/data/attributes/note", "Invalid or missing member." },
		/* Declaration order decides, not the document's order. */
		{ "{\"acceptedTerms\":\"x\",\"firstName\":3,\"email\":\"bad\"}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
		{ "{\"acceptedTerms\":\"x\",\"salutation\":\"Sir\","
		    "\"email\":\"a@b.de\",\"firstName\":\"A\"}",
		    "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/salutation", "salutation is invalid." },
		/* No attributes object at all: everything is missing. */
		{ NULL, "Status: 422 Unprocessable Content", "901",
		    "/data/attributes/email", "email is invalid." },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		read_attrs(t[i].attrs != NULL ? t[i].attrs : "");
		CHECKF(answered(t[i].line, t[i].code, t[i].pointer,
		    t[i].detail), "fields_read(%s): rc %d, wrote\n%s\n  want "
		    "%s %s %s", t[i].attrs != NULL ? t[i].attrs : "NULL",
		    got.rc, got.out, t[i].line, t[i].code, t[i].pointer);
		CHECKF(strstr(got.out + 1, "Status: ") == NULL,
		    "fields_read(%s): more than one response", t[i].attrs);
	}
}

static void
test_values(void)
{
	read_attrs("{\"email\":\"a@b.de\",\"firstName\":\"\","
	    "\"acceptedTerms\":false,\"unknown\":[1,{}],\"note\":null}");
	CHECK_INT(got.rc, 0);
	CHECK_STR(got.out, "");
	CHECK_INT(got.v[0].present, 1);
	CHECK_INT(got.v[1].present, 1);	/* no validator: "" is a value */
	CHECK_INT(got.v[2].present, 0);
	CHECK(got.v[2].s == NULL);
	CHECK_INT(got.v[3].present, 1);
	CHECK_INT(got.v[3].b, 0);
	CHECK_INT(got.v[4].present, 0);
	CHECK_INT(got.v[4].b, 0);
	CHECK_INT(got.v[5].present, 0);	/* null: absent */
	CHECK(got.v[5].s == NULL);

	read_attrs("{\"email\":\"a@b.de\",\"firstName\":\"Ann\","
	    "\"salutation\":\"Dr\",\"acceptedTerms\":true,\"isDefault\":true,"
	    "\"note\":\"n\"}");
	CHECK_INT(got.rc, 0);
	CHECK_STR(got.out, "");
	CHECK_INT(got.v[2].present, 1);
	CHECK_INT(got.v[3].b, 1);
	CHECK_INT(got.v[4].present, 1);
	CHECK_INT(got.v[4].b, 1);
	CHECK_INT(got.v[5].present, 1);
}

/* The pointer's buffer: a long field name is cut, never overrun. */
static void
test_long_name(void)
{
	static char	 name[300];
	struct field	 f[1] = { { name, F_STRING, REQ_VALUE, NULL } };
	struct fval	 v[1];
	const char	*env[] = { "REQUEST_METHOD=POST", NULL };
	struct io	*io = io_mem_new(env, NULL, 0);
	struct req	 r;

	memset(name, 'n', sizeof(name) - 1);
	req_init(&r, io, SIDE_STOREFRONT);
	r.attrs = NULL;
	CHECK_INT(fields_read(&r, f, 1, v), -1);
	CHECK(strstr(io_mem_output(io, NULL), "Status: 422 ") != NULL);
	req_release(&r);
	io_mem_free(io);
}

int
main(void)
{
	config_defaults();
	test_errors();
	test_values();
	test_long_name();
	return unit_done();
}
