/*
 * src/valid.c: tables of accepted and refused inputs, with the boundaries
 * exactly at the limits of src/bounds.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"
#include "unit.h"

/* A byte string with its length: may hold NULs or be cut mid-sequence. */
#define B(lit)	lit, sizeof(lit) - 1

struct bytes_case {
	const char	*s;
	size_t		 n;
	int		 want;
};

struct str_case {
	const char	*s;
	int		 want;
};

/* count copies of unit, in a buffer the caller frees. */
static char *
rep(const char *unit, size_t count)
{
	size_t	 n = strlen(unit), i;
	char	*s = xmalloc(n * count + 1);

	for (i = 0; i < count; i++)
		memcpy(s + i * n, unit, n);
	s[n * count] = '\0';
	return s;
}

/* rep() followed by a suffix. */
static char *
rep_then(const char *unit, size_t count, const char *suffix)
{
	char	*a = rep(unit, count), *s;
	size_t	 n = strlen(a), m = strlen(suffix);

	s = xmalloc(n + m + 1);
	memcpy(s, a, n);
	memcpy(s + n, suffix, m + 1);
	free(a);
	return s;
}

static void
str_table(const char *name, int (*f)(const char *),
    const struct str_case *t, size_t n)
{
	char	 buf[512];
	size_t	 i;

	for (i = 0; i < n; i++)
		CHECKF(f(t[i].s) == t[i].want, "%s(\"%s\") != %d", name,
		    unit_show(buf, sizeof(buf), t[i].s, strlen(t[i].s)),
		    t[i].want);
}

/* f on count copies of unit (plus suffix) is want. */
static void
str_rep(const char *name, int (*f)(const char *), const char *unit,
    size_t count, const char *suffix, int want)
{
	char	*s = rep_then(unit, count, suffix);

	CHECKF(f(s) == want, "%s(%zu x \"%s\" + \"%s\") != %d", name, count,
	    unit, suffix, want);
	free(s);
}

static void
test_valid_utf8(void)
{
	static const struct bytes_case t[] = {
		{ B(""), 1 },
		{ B("plain ASCII ~"), 1 },
		{ B("a\0b"), 1 },			/* U+0000 is UTF-8 */
		/* 2 bytes */
		{ B("\xc2\x80"), 1 },			/* U+0080, smallest */
		{ B("\xc3\xa9"), 1 },			/* é */
		{ B("\xdf\xbf"), 1 },			/* U+07FF, largest */
		{ B("\xc0\x80"), 0 },			/* overlong NUL */
		{ B("\xc0\xaf"), 0 },			/* overlong '/' */
		{ B("\xc1\xbf"), 0 },			/* overlong U+007F */
		/* 3 bytes */
		{ B("\xe0\xa0\x80"), 1 },		/* U+0800, smallest */
		{ B("\xe2\x82\xac"), 1 },		/* € */
		{ B("\xed\x9f\xbf"), 1 },		/* U+D7FF */
		{ B("\xee\x80\x80"), 1 },		/* U+E000 */
		{ B("\xef\xbf\xbf"), 1 },		/* U+FFFF */
		{ B("\xe0\x80\x80"), 0 },		/* overlong U+0000 */
		{ B("\xe0\x9f\xbf"), 0 },		/* overlong U+07FF */
		{ B("\xed\xa0\x80"), 0 },		/* U+D800, surrogate */
		{ B("\xed\xaf\xbf"), 0 },		/* U+DBFF */
		{ B("\xed\xb0\x80"), 0 },		/* U+DC00 */
		{ B("\xed\xbf\xbf"), 0 },		/* U+DFFF */
		{ B("\xed\xa0\xbd\xed\xb8\x80"), 0 },	/* CESU-8 pair */
		/* 4 bytes */
		{ B("\xf0\x90\x80\x80"), 1 },		/* U+10000, smallest */
		{ B("\xf0\x9f\x98\x80"), 1 },		/* U+1F600 */
		{ B("\xf4\x8f\xbf\xbf"), 1 },		/* U+10FFFF, largest */
		{ B("\xf0\x80\x80\x80"), 0 },		/* overlong U+0000 */
		{ B("\xf0\x8f\xbf\xbf"), 0 },		/* overlong U+FFFF */
		{ B("\xf4\x90\x80\x80"), 0 },		/* U+110000 */
		{ B("\xf5\x80\x80\x80"), 0 },		/* lead byte past F4 */
		{ B("\xf7\xbf\xbf\xbf"), 0 },		/* U+1FFFFF */
		{ B("\xf8\x88\x80\x80\x80"), 0 },	/* 5-byte form */
		{ B("\xfc\x84\x80\x80\x80\x80"), 0 },	/* 6-byte form */
		{ B("\xfe"), 0 },
		{ B("\xff"), 0 },
		/* lone continuation bytes */
		{ B("\x80"), 0 },
		{ B("a\xbf"), 0 },
		/* truncated sequences */
		{ B("\xc3"), 0 },
		{ B("\xe2\x82"), 0 },
		{ B("\xe2"), 0 },
		{ B("\xf0\x9f\x98"), 0 },
		{ B("\xf0\x9f"), 0 },
		{ B("x\xc3"), 0 },
		/* a sequence interrupted by a non-continuation byte */
		{ B("\xc3" "a"), 0 },
		{ B("\xe2\x82" "a"), 0 },
		{ B("\xf0\x9f\x98" "a"), 0 },
		{ B("\xe2" "\xc3\xa9"), 0 },
		/* valid sequences in a row */
		{ B("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), 1 },
	};
	char	 buf[128];
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF(valid_utf8(t[i].s, t[i].n) == t[i].want,
		    "valid_utf8(\"%s\") != %d",
		    unit_show(buf, sizeof(buf), t[i].s, t[i].n), t[i].want);
	/* The length bounds the scan: a cut sequence is truncated. */
	CHECK(valid_utf8("\xc3\xa9", 1) == 0);
	CHECK(valid_utf8("\xe2\x82\xac", 2) == 0);
	CHECK(valid_utf8("ab\xff", 2) == 1);
}

static int
scan(const char *s, size_t n)
{
	return json_scan(s, n, MAX_JSON_DEPTH);
}

static int
scan_depth(const char *s, int maxdepth)
{
	return json_scan(s, strlen(s), maxdepth);
}

/* depth nested arrays (or objects) around 1. */
static int
scan_nested(size_t depth, int objects)
{
	char	*open = rep(objects ? "{\"a\":" : "[", depth);
	char	*close = rep(objects ? "}" : "]", depth);
	char	*s = xmalloc(strlen(open) + strlen(close) + 2);
	size_t	 n = strlen(open);
	int	 rc;

	memcpy(s, open, n);
	s[n++] = '1';
	memcpy(s + n, close, strlen(close) + 1);
	rc = scan(s, strlen(s));
	free(open);
	free(close);
	free(s);
	return rc;
}

static void
test_json_scan(void)
{
	static const struct bytes_case t[] = {
		{ B("{}"), 1 },
		{ B("{\"data\":{\"type\":\"x\",\"attributes\":{\"a\":[1,2]}}}"), 1 },
		{ B("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"), 1 },
		/* \u0000 would cut a C string short */
		{ B("{\"a\":\"\\u0000\"}"), 0 },
		{ B("{\"a\":\"x\\u0000y\"}"), 0 },
		{ B("{\"\\u0000\":1}"), 0 },			/* in a key */
		{ B("{\"a\":\"\\u0001\"}"), 1 },
		{ B("{\"a\":\"\\u00000\"}"), 0 },
		{ B("{\"a\":\"\\u0100\"}"), 1 },
		{ B("{\"a\":\"\\u1000\"}"), 1 },
		/* an escaped backslash, then the letters u0000: fine */
		{ B("{\"a\":\"\\\\u0000\"}"), 1 },
		/* raw control characters inside strings */
		{ B("{\"a\":\"x\ny\"}"), 0 },
		{ B("{\"a\":\"x\ty\"}"), 0 },
		{ B("{\"a\":\"x\ry\"}"), 0 },
		{ B("{\"a\":\"\x01\"}"), 0 },
		{ B("{\"a\":\"\x1f\"}"), 0 },
		{ B("{\"a\":\"\0\"}"), 0 },
		{ B("{\"a\":\"\x7f\"}"), 1 },			/* DEL is allowed */
		/* whitespace between tokens is not inside a string */
		{ B("{\n\t\"a\" :\r\n 1 }"), 1 },
		/* a NUL outside any string */
		{ B("{}\0"), 0 },
		{ B("{\"a\":\0}"), 0 },
		/* invalid UTF-8, in or out of strings */
		{ B("{\"a\":\"\xff\"}"), 0 },
		{ B("{\"a\":\"\xc0\x80\"}"), 0 },
		{ B("{\"a\":\"\xed\xa0\x80\"}"), 0 },
		{ B("{\"a\":\"\xc3\"}"), 0 },
		{ B("{\"a\":1}\xc3"), 0 },
		/* one document, any JSON value, whitespace around it */
		{ B(""), 0 },
		{ B(" \n\t\r"), 0 },
		{ B("1"), 1 },
		{ B("\"s\""), 1 },
		{ B("true"), 1 },
		{ B("false"), 1 },
		{ B("null"), 1 },
		{ B(" \r\n{ } \n"), 1 },
		/* text after the document */
		{ B("{}x"), 0 },
		{ B("{}{}"), 0 },
		{ B("{} {}"), 0 },
		{ B("[]1"), 0 },
		{ B("{},"), 0 },
		{ B("1 2"), 0 },
		{ B("\"a\"\"b\""), 0 },
		{ B("{}\xef\xbb\xbf"), 0 },
		{ B("\xef\xbb\xbf{}"), 0 },		/* a BOM before it */
		/* unbalanced or unterminated */
		{ B("{"), 0 },
		{ B("]"), 0 },
		{ B("{}}"), 0 },
		{ B("[[]"), 0 },
		{ B("{\"a\":1"), 0 },
		{ B("\"abc"), 0 },
		{ B("[\"abc]"), 0 },
		{ B("[\"abc\\\"]"), 0 },		/* the quote is escaped */
		/* numbers: RFC 8259 §6 */
		{ B("[0]"), 1 },
		{ B("[-0]"), 1 },
		{ B("[10]"), 1 },
		{ B("[1.5]"), 1 },
		{ B("[0.0]"), 1 },
		{ B("[-1.5e10]"), 1 },
		{ B("[1E+2]"), 1 },
		{ B("[1e-2]"), 1 },
		{ B("[1,-2,3.0]"), 1 },
		{ B("[01]"), 0 },			/* leading zero */
		{ B("[-01]"), 0 },
		{ B("[00]"), 0 },
		{ B("[1.]"), 0 },
		{ B("[.5]"), 0 },
		{ B("[+1]"), 0 },
		{ B("[-]"), 0 },
		{ B("[1e]"), 0 },
		{ B("[1e+]"), 0 },
		{ B("[1.2.3]"), 0 },
		{ B("[1x]"), 0 },
		{ B("[0x10]"), 0 },
		{ B("[NaN]"), 0 },
		{ B("[Infinity]"), 0 },
		{ B("[-Infinity]"), 0 },
		{ B("1."), 0 },
		{ B("-"), 0 },
		/* literals */
		{ B("[true,false,null]"), 1 },
		{ B("[True]"), 0 },
		{ B("[NULL]"), 0 },
		{ B("[tru]"), 0 },
		{ B("[nul]"), 0 },
		{ B("[truex]"), 0 },
		{ B("[undefined]"), 0 },
		{ B("tru"), 0 },
		{ B("{a:1}"), 0 },			/* unquoted key */
		{ B("{'a':1}"), 0 },			/* single quotes */
		{ B("[1]//c"), 0 },			/* comments */
	};
	char	 buf[128];
	char	*s, *a;
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF(scan(t[i].s, t[i].n) == t[i].want,
		    "json_scan(\"%s\") != %d",
		    unit_show(buf, sizeof(buf), t[i].s, t[i].n), t[i].want);

	/* Depth: MAX_JSON_DEPTH (16) is accepted, one more is refused. */
	CHECK(MAX_JSON_DEPTH == 16);
	CHECK(scan_nested(1, 0) == 1);
	CHECK(scan_nested(MAX_JSON_DEPTH, 0) == 1);
	CHECK(scan_nested(MAX_JSON_DEPTH + 1, 0) == 0);
	CHECK(scan_nested(MAX_JSON_DEPTH, 1) == 1);
	CHECK(scan_nested(MAX_JSON_DEPTH + 1, 1) == 0);
	CHECK(scan_nested(200, 0) == 0);
	/* Siblings do not add up: depth is nesting, not a count. */
	a = rep_then("[[]],", 40, "[[]]]");
	s = rep_then("[", 1, a);
	CHECK(scan_depth(s, 3) == 1);
	CHECK(scan_depth(s, 2) == 0);
	free(a);
	free(s);
	CHECK(scan_depth("[1]", 1) == 1);
	CHECK(scan_depth("[[1]]", 1) == 0);
	CHECK(scan_depth("{\"a\":[1]}", 1) == 0);

	/* Brackets inside strings are text, not nesting. */
	CHECK(scan_depth("[\"[[[[{{{{\"]", 1) == 1);
	/* An escaped quote does not end the string: the brackets after it
	 * are still text. */
	CHECK(scan_depth("[\"\\\"[[\"]", 1) == 1);
	/* An escaped backslash does not escape the closing quote: the
	 * bracket after it is nesting. */
	CHECK(scan_depth("[\"\\\\\",[1]]", 1) == 0);
	CHECK(scan_depth("[\"\\\\\",[1]]", 2) == 1);
	/* A quote escaped after an escaped backslash. */
	CHECK(scan_depth("[\"\\\\\\\"[[\"]", 1) == 1);
}

static void
test_utf8_chars(void)
{
	CHECK_INT(utf8_chars(""), 0);
	CHECK_INT(utf8_chars("abc"), 3);
	CHECK_INT(utf8_chars("\xc3\xa9"), 1);
	CHECK_INT(utf8_chars("\xe2\x82\xac"), 1);
	CHECK_INT(utf8_chars("\xf0\x9f\x98\x80"), 1);
	CHECK_INT(utf8_chars("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), 5);
}

/* 1..MAX_NAME characters, no C0 or C1 control characters. */
static void
test_valid_name(void)
{
	static const struct str_case t[] = {
		{ "", 0 },
		{ "a", 1 },
		{ "Sonia", 1 },
		{ "Jean-Luc O'Neil", 1 },
		{ "Zo\xc3\xab", 1 },			/* Zoë */
		{ "\xe5\xb1\xb1\xe7\x94\xb0", 1 },	/* 山田 */
		{ "\xf0\x9f\x98\x80", 1 },
		{ "a\xc2\xa0" "b", 1 },			/* U+00A0 is not C1 */
		{ "a\rb", 0 },
		{ "a\nb", 0 },
		{ "a\tb", 0 },
		{ "Sonia\r\nBcc: x@y.z", 0 },
		{ "\x01", 0 },
		{ "a\x1f", 0 },
		{ "a\x7f", 0 },				/* DEL */
		{ "a\xc2\x80", 0 },			/* U+0080, C1 */
		{ "a\xc2\x85" "b", 0 },			/* NEL */
		{ "a\xc2\x9f", 0 },			/* U+009F, C1 */
	};

	str_table("valid_name", valid_name, t, nitems(t));
	/* NUL ends a C string: what follows it is not part of the name. */
	CHECK(valid_name("\0abc") == 0);
	/* Lengths count code points, as VARCHAR(100) does. */
	CHECK(MAX_NAME == 100);
	str_rep("valid_name", valid_name, "a", MAX_NAME, "", 1);
	str_rep("valid_name", valid_name, "a", MAX_NAME + 1, "", 0);
	str_rep("valid_name", valid_name, "\xc3\xa9", MAX_NAME, "", 1);
	str_rep("valid_name", valid_name, "\xc3\xa9", MAX_NAME + 1, "", 0);
	str_rep("valid_name", valid_name, "\xe2\x82\xac", MAX_NAME, "", 1);
	str_rep("valid_name", valid_name, "\xf0\x9f\x98\x80", MAX_NAME, "", 1);
	str_rep("valid_name", valid_name, "\xf0\x9f\x98\x80", MAX_NAME + 1,
	    "", 0);
	str_rep("valid_name", valid_name, "a", MAX_NAME - 1, "\xc3\xa9", 1);
	str_rep("valid_name", valid_name, "a", MAX_NAME, "\xc3\xa9", 0);
	str_rep("valid_name", valid_name, "a", MAX_NAME - 1, "\n", 0);
}

static void
test_valid_line(void)
{
	static const struct str_case line[] = {
		{ "", 0 },
		{ "Julie-Wolff-Str. 10", 1 },
		{ "Stra\xc3\x9f" "e 1", 1 },
		{ "a\nb", 0 },
		{ "a\rb", 0 },
		{ "a\tb", 0 },
		{ "a\x7f", 0 },
		{ "a\xc2\x9b", 0 },
	};
	static const struct str_case opt[] = {
		{ "", 1 },
		{ "c/o Jane", 1 },
		{ "a\nb", 0 },
		{ "\r", 0 },
		{ "a\xc2\x80", 0 },
	};

	str_table("valid_line", valid_line, line, nitems(line));
	str_table("valid_line_opt", valid_line_opt, opt, nitems(opt));
	CHECK(MAX_ADDRESS_LINE == 255);
	str_rep("valid_line", valid_line, "a", MAX_ADDRESS_LINE, "", 1);
	str_rep("valid_line", valid_line, "a", MAX_ADDRESS_LINE + 1, "", 0);
	str_rep("valid_line", valid_line, "\xc3\xa9", MAX_ADDRESS_LINE, "", 1);
	str_rep("valid_line", valid_line, "\xc3\xa9", MAX_ADDRESS_LINE + 1,
	    "", 0);
	str_rep("valid_line_opt", valid_line_opt, "a", MAX_ADDRESS_LINE, "", 1);
	str_rep("valid_line_opt", valid_line_opt, "a", MAX_ADDRESS_LINE + 1,
	    "", 0);
	str_rep("valid_line_opt", valid_line_opt, "\xe2\x82\xac",
	    MAX_ADDRESS_LINE, "", 1);
}

static void
test_valid_zip(void)
{
	static const struct str_case t[] = {
		{ "", 0 },
		{ "1", 1 },
		{ "10115", 1 },
		{ "SW1A 1AA", 1 },
		{ "10115\n", 0 },
		{ "\t10115", 0 },
		{ "1\xc2\x80", 0 },
	};

	str_table("valid_zip", valid_zip, t, nitems(t));
	CHECK(MAX_ZIP == 15);
	str_rep("valid_zip", valid_zip, "9", MAX_ZIP, "", 1);
	str_rep("valid_zip", valid_zip, "9", MAX_ZIP + 1, "", 0);
	str_rep("valid_zip", valid_zip, "\xc3\xa9", MAX_ZIP, "", 1);
	str_rep("valid_zip", valid_zip, "\xc3\xa9", MAX_ZIP + 1, "", 0);
}

/* contract §3.9: the canonical form, or NULL when refused. */
struct canon_case {
	const char	*in, *want;
};

static void
test_email_canonical(void)
{
	static const struct canon_case t[] = {
		{ "sonia@example.com", "sonia@example.com" },
		{ "a@b.c", "a@b.c" },
		{ "first.last+tag@sub.example.co.uk",
		    "first.last+tag@sub.example.co.uk" },
		{ "x_y-z@ex-ample.org", "x_y-z@ex-ample.org" },
		{ "0-9@xn--mnchen-3ya.de", "0-9@xn--mnchen-3ya.de" },
		{ "a@b-c.d-e.fg", "a@b-c.d-e.fg" },
		{ "a@1.2.3.d4", "a@1.2.3.d4" },	/* digits fine but the last */
		/* ASCII case folds: the same account. */
		{ "ADMIN@EXAMPLE.COM", "admin@example.com" },
		{ "Sonia@Example.Com", "sonia@example.com" },
		{ "sOnIa@eXaMpLe.CoM", "sonia@example.com" },
		/* never trimmed */
		{ "sonia@example.com ", NULL },
		{ " sonia@example.com", NULL },
		{ "sonia@example.com\t", NULL },
		{ "sonia@example.com\n", NULL },
		{ "sonia @example.com", NULL },
		{ "so\xe2\x80\x8bnia@example.com", NULL },	/* U+200B */
		{ "sonia@example.com\xe2\x80\x8b", NULL },
		{ "\xef\xbb\xbfsonia@example.com", NULL },	/* U+FEFF */
		{ "sonia\xc2\xa0@example.com", NULL },		/* U+00A0 */
		/* look-alikes and accents */
		{ "s\xc3\xb6nia@example.com", NULL },		/* ö */
		{ "so\xcc\x88nia@example.com", NULL },		/* o + U+0308 */
		{ "\xef\xbd\x93onia@example.com", NULL },	/* full-width s */
		{ "sonia@\xef\xbd\x85xample.com", NULL },	/* full-width e */
		{ "\xc5\xbfonia@example.com", NULL },		/* long s */
		{ "sonia@ex\xc3\xa4mple.com", NULL },
		{ "\xd1\x95onia@example.com", NULL },		/* Cyrillic dze */
		{ "\xe2\x84\xaa@example.com", NULL },		/* Kelvin sign */
		{ "\xc3\xa9@b.c", NULL },
		{ "a\x7f@b.c", NULL },
		/* routing, pipes, files, quoting */
		{ "a%b@c.de", NULL },
		{ "a!b@c.de", NULL },
		{ "|/bin/sh@b.cd", NULL },
		{ "/tmp/x@b.cd", NULL },
		{ "a|b@c.de", NULL },
		{ "a&b@c.de", NULL },
		{ "a'b@c.de", NULL },
		{ "a*b@c.de", NULL },
		{ "a=b@c.de", NULL },
		{ "a?b@c.de", NULL },
		{ "a^b@c.de", NULL },
		{ "a`b@c.de", NULL },
		{ "a{b}@c.de", NULL },
		{ "a~b@c.de", NULL },
		{ "a#b@c.de", NULL },
		{ "a$b@c.de", NULL },
		{ "\"a\"@b.c", NULL },				/* quoted */
		{ "\"a b\"@b.c", NULL },
		{ "\"a@b\"@c.d", NULL },
		{ "a\\b@c.d", NULL },
		{ "a(comment)@b.c", NULL },			/* comments */
		{ "a@b.c(comment)", NULL },
		{ "(c)a@b.c", NULL },
		{ "a@[1.2.3.4]", NULL },			/* IP literals */
		{ "a@[IPv6:::1]", NULL },
		{ "a@1.2.3.4", NULL },
		{ "a@b.123", NULL },
		{ "<a@b.c>", NULL },
		{ "Sonia <a@b.c>", NULL },
		{ "a,b@c.d", NULL },
		{ "a@b.c,d@e.f", NULL },
		{ "a;b@c.d", NULL },
		{ "a:b@c.d", NULL },
		{ "a@b.c\r\nBcc: x@y.z", NULL },		/* header injection */
		/* dots */
		{ "a..b@c.de", NULL },
		{ ".a@c.de", NULL },
		{ "a.@c.de", NULL },
		{ ".@c.de", NULL },
		{ "a@b..c", NULL },
		{ "a@.b.c", NULL },
		{ "a@b.c.", NULL },
		{ "a@.c", NULL },
		{ "a@b.", NULL },
		/* labels */
		{ "a@b", NULL },				/* one label */
		{ "a@localhost", NULL },
		{ "a.b@c", NULL },
		{ "a@-b.c", NULL },
		{ "a@b-.c", NULL },
		{ "a@b.-c", NULL },
		{ "a@b.c-", NULL },
		{ "a@b_c.de", NULL },
		{ "a@b.c_d", NULL },
		{ "a@b+c.de", NULL },
		/* structure */
		{ "", NULL },
		{ "a", NULL },
		{ "@", NULL },
		{ "@b.c", NULL },
		{ "a@", NULL },
		{ "ab.c", NULL },
		{ "a@@b.c", NULL },
		{ "a@b@c.d", NULL },
	};
	char	 out[300], buf[512];
	size_t	 i;
	int	 rc;

	for (i = 0; i < nitems(t); i++) {
		rc = email_canonical(out, sizeof(out), t[i].in);
		CHECKF(t[i].want != NULL ? rc == 0 &&
		    strcmp(out, t[i].want) == 0 : rc == -1 && out[0] == '\0',
		    "email_canonical(\"%s\") gave %d \"%s\"",
		    unit_show(buf, sizeof(buf), t[i].in, strlen(t[i].in)), rc,
		    out);
		CHECKF(valid_email(t[i].in) == (t[i].want != NULL),
		    "valid_email(\"%s\")",
		    unit_show(buf, sizeof(buf), t[i].in, strlen(t[i].in)));
	}
	/* The canonical form is canonical: a second pass changes nothing. */
	for (i = 0; i < nitems(t); i++) {
		char	 again[300];

		if (t[i].want == NULL)
			continue;
		CHECK(email_canonical(again, sizeof(again), t[i].want) == 0 &&
		    strcmp(again, t[i].want) == 0);
	}
	/* An output buffer too small is a refusal, never a cut address. */
	CHECK(email_canonical(out, 6, "a@b.cd") == -1 && out[0] == '\0');
	CHECK(email_canonical(out, 7, "A@B.CD") == 0 &&
	    strcmp(out, "a@b.cd") == 0);
}

/* valid_email on local@ + labels labels of width d's + "." + tld. */
static void
email_len(size_t local, size_t labels, size_t width, const char *tld,
    size_t len, int want)
{
	char	 s[600];
	size_t	 n = 0, i;

	memset(s, 'l', local);
	n = local;
	s[n++] = '@';
	for (i = 0; i < labels; i++) {
		memset(s + n, 'd', width);
		n += width;
		s[n++] = '.';
	}
	snprintf(s + n, sizeof(s) - n, "%s", tld);
	CHECKF(strlen(s) == len, "%zu octets, not %zu", strlen(s), len);
	CHECKF(valid_email(s) == want, "valid_email(%zu octets: %s) != %d",
	    len, s, want);
}

static void
test_valid_email(void)
{
	/* The local part: 64 octets. */
	email_len(64, 1, 1, "com", 64 + 1 + 2 + 3, 1);
	email_len(65, 1, 1, "com", 65 + 1 + 2 + 3, 0);
	str_rep("valid_email", valid_email, "a.", 31, "bc@b.com", 1);
	str_rep("valid_email", valid_email, "a.", 32, "b@b.com", 0);
	/* A label: 63 octets. */
	email_len(1, 1, 63, "com", 1 + 1 + 64 + 3, 1);
	email_len(1, 1, 64, "com", 1 + 1 + 65 + 3, 0);
	/* The whole address: 254 octets. */
	email_len(64, 3, 61, "com", 254, 1);
	email_len(64, 3, 61, "comm", 255, 0);
	email_len(63, 3, 61, "comm", 254, 1);
	email_len(64, 3, 63, "dd", 64 + 1 + 3 * 64 + 2, 0);
	CHECK(MAX_EMAIL == 255);	/* the column: one more than the rule */
}

static void
test_valid_password(void)
{
	CHECK(MIN_PASSWORD == 8);
	CHECK(MAX_PASSWORD == 128);
	CHECK(valid_password("") == 0);
	CHECK(valid_password("change1") == 0);		/* 7 */
	CHECK(valid_password("change12") == 1);		/* 8 */
	CHECK(valid_password("change123") == 1);
	CHECK(valid_password("with spaces and \xc3\xa9") == 1);
	str_rep("valid_password", valid_password, "p", MIN_PASSWORD - 1, "", 0);
	str_rep("valid_password", valid_password, "p", MIN_PASSWORD, "", 1);
	str_rep("valid_password", valid_password, "p", MAX_PASSWORD, "", 1);
	str_rep("valid_password", valid_password, "p", MAX_PASSWORD + 1, "", 0);
	/* The maximum counts bytes (bounds.h): 32 four-byte characters fit,
	 * 33 do not. */
	str_rep("valid_password", valid_password, "\xf0\x9f\x98\x80",
	    MAX_PASSWORD / 4, "", 1);
	str_rep("valid_password", valid_password, "\xf0\x9f\x98\x80",
	    MAX_PASSWORD / 4 + 1, "", 0);
}

static void
test_valid_salutation(void)
{
	static const struct str_case t[] = {
		{ "Mr", 1 }, { "Mrs", 1 }, { "Ms", 1 }, { "Dr", 1 },
		{ "", 0 }, { "mr", 0 }, { "MR", 0 }, { "Mr.", 0 },
		{ "Mr ", 0 }, { " Mr", 0 }, { "Miss", 0 }, { "M", 0 },
		{ "Mrs\n", 0 },
	};

	str_table("valid_salutation", valid_salutation, t, nitems(t));
}

static void
test_valid_iso2(void)
{
	static const struct str_case t[] = {
		{ "DE", 1 }, { "US", 1 }, { "AT", 1 },
		{ "", 0 }, { "D", 0 }, { "DEU", 0 }, { "de", 0 }, { "De", 0 },
		{ "D1", 0 }, { "D-", 0 }, { " DE", 0 }, { "D\xc3\x89", 0 },
		{ "\xc3\x89", 0 },
	};

	str_table("valid_iso2", valid_iso2, t, nitems(t));
}

static void
test_valid_uuid(void)
{
	static const struct str_case t[] = {
		{ "123e4567-e89b-42d3-a456-556642440000", 1 },
		{ "00000000-0000-0000-0000-000000000000", 1 },
		{ "ffffffff-ffff-4fff-bfff-ffffffffffff", 1 },
		{ "", 0 },
		{ "123E4567-E89B-42D3-A456-556642440000", 0 },	/* uppercase */
		{ "123e4567e89b42d3a456556642440000", 0 },	/* no hyphens */
		{ "123e4567-e89b-42d3-a456-55664244000", 0 },	/* 35 */
		{ "123e4567-e89b-42d3-a456-5566424400000", 0 },	/* 37 */
		{ "123e4567-e89b-42d3-a456-55664244000g", 0 },
		{ "123e4567-e89b-42d3-a4565-56642440000", 0 },	/* '-' moved */
		{ "123e4567-e89b-42d3-a456-55664244000-", 0 },
		{ "{23e4567-e89b-42d3-a456-556642440000", 0 },
		{ "123e4567-e89b-42d3-a456-55664244000\n", 0 },
		{ "../../../../../../../../../etc/passw", 0 },
	};
	char	 u[37];

	str_table("valid_uuid", valid_uuid, t, nitems(t));
	uuid_v4(u);
	CHECK(valid_uuid(u) == 1);
}

static void
test_valid_token(void)
{
	static const struct str_case t[] = {
		{ "", 0 },
		{ "abc", 0 },
	};
	char	 tok[TOKEN_CHARS + 1];

	str_table("valid_token", valid_token, t, nitems(t));
	CHECK(TOKEN_CHARS == 43);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS, "", 1);
	str_rep("valid_token", valid_token, "z", TOKEN_CHARS - 1, "9", 1);
	str_rep("valid_token", valid_token, "-", TOKEN_CHARS - 1, "_", 1);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, "", 0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS + 1, "", 0);
	/* Standard base64, padding and anything else are refused. */
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, "+", 0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, "/", 0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, "=", 0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, " ", 0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, ".", 0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 2, "\xc3\xa9",
	    0);
	str_rep("valid_token", valid_token, "A", TOKEN_CHARS - 1, "\n", 0);
	token_new(tok);
	CHECK(valid_token(tok) == 1);
}

static void
test_customer_ref_id(void)
{
	static const struct {
		const char	*s;
		long long	 want;
	} t[] = {
		{ "DE--1", 1 },
		{ "DE--9", 9 },
		{ "DE--10", 10 },
		{ "DE--42", 42 },
		{ "DE--123456789", 123456789 },
		/* 18 digits: the most accepted, well inside a BIGINT */
		{ "DE--999999999999999999", 999999999999999999LL },
		{ "DE--100000000000000000", 100000000000000000LL },
		/* 19 digits and more: refused, never wrapped */
		{ "DE--1000000000000000000", 0 },
		{ "DE--9223372036854775807", 0 },
		{ "DE--9223372036854775808", 0 },
		{ "DE--99999999999999999999", 0 },
		{ "DE--0", 0 },
		{ "DE--01", 0 },
		{ "DE--00", 0 },
		{ "DE--", 0 },
		{ "", 0 },
		{ "DE", 0 },
		{ "de--1", 0 },
		{ "De--1", 0 },
		{ "DE-1", 0 },
		{ "DE---1", 0 },
		{ "DE--+1", 0 },
		{ "DE-- 1", 0 },
		{ " DE--1", 0 },
		{ "DE--1 ", 0 },
		{ "DE--1x", 0 },
		{ "DE--1.0", 0 },
		{ "DE--1\n", 0 },
		{ "AT--1", 0 },
		{ "1", 0 },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF(customer_ref_id(t[i].s) == t[i].want,
		    "customer_ref_id(\"%s\") = %lld, want %lld", t[i].s,
		    customer_ref_id(t[i].s), t[i].want);
}

static void
test_media_type_ok(void)
{
	static const struct str_case t[] = {
		{ "application/vnd.api+json", 1 },
		{ "APPLICATION/VND.API+JSON", 1 },
		/* contract §10.2: no extension is supported (JSON:API 1.1
		 * §5.1: 415), a profile is ignored. */
		{ "application/vnd.api+json; ext=\"https://jsonapi.org/ext/atomic\"", 0 },
		{ "application/vnd.api+json; ext=\"\"", 1 },
		{ "application/vnd.api+json; ext=\" \"", 1 },
		{ "application/vnd.api+json; profile=\"https://a/p https://b/q\"", 1 },
		{ "application/vnd.api+json; profile=\"a;b,c\"", 1 },
		{ "application/vnd.api+json; profile=\"a\\\"b\"", 1 },
		{ "application/vnd.api+json; profile=\"a", 0 },
		{ "application/vnd.api+json; PROFILE=x", 1 },
		{ "application/vnd.api+json;;", 1 },
		{ "application/vnd.api+json; q=1", 0 },
		{ "application/vnd.api+json; profile=a b", 0 },
		{ "application/vnd.api+json x", 0 },
		{ "application/vnd.api+json, application/json", 0 },
		{ " application/json", 0 },
		{ "application/vnd.api+json;profile=\"https://example.com/p\"", 1 },
		{ "application/vnd.api+json; ext=a; profile=b", 0 },
		{ "application/vnd.api+json; ext=\"\"; profile=b", 1 },
		{ "application/vnd.api+json ; ext=a", 0 },
		{ "application/vnd.api+json ; profile=a", 1 },
		{ "application/vnd.api+json; charset=utf-8", 0 },
		{ "application/vnd.api+json; foo=bar", 0 },
		{ "application/vnd.api+json; extension=a", 0 },
		{ "application/vnd.api+json; ext", 0 },
		{ "application/vnd.api+json; ext=a; charset=utf-8", 0 },
		{ "application/json", 1 },
		{ "application/json; charset=utf-8", 1 },
		{ "application/json;charset=UTF-8", 1 },
		{ "Application/JSON; Charset=utf-8", 1 },
		{ "application/json; charset=\"utf-8\"", 1 },
		{ "application/json; charset=utf-8 ", 1 },
		/* RFC 8259 §8.1: JSON is UTF-8 */
		{ "application/json; charset=iso-8859-1", 0 },
		{ "application/json; charset=utf-16", 0 },
		{ "application/json; charset=utf-8x", 0 },
		{ "application/json; charset=utf8", 0 },
		{ "application/json; charset=", 0 },
		{ "application/json; charset", 0 },
		{ "application/json; foo=bar", 0 },
		{ "application/json; ext=a", 0 },
		{ "application/json; profile=a", 0 },
		{ "application/json; charset=utf-8; charset=utf-8", 1 },
		{ "", 0 },
		{ "text/plain", 0 },
		{ "text/json", 0 },
		{ "multipart/form-data; boundary=xyz", 0 },
		{ "application/x-www-form-urlencoded", 0 },
		{ "application/xml", 0 },
		{ "application/jsonx", 0 },
		{ "application/json-patch+json", 0 },
		{ "application/vnd.api+jsonx", 0 },
		{ "application/vnd.api", 0 },
		{ "application/", 0 },
		{ "*/*", 0 },
		{ "application/*", 0 },
	};
	char	 buf[128];
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF(media_type_ok(t[i].s) == t[i].want,
		    "media_type_ok(\"%s\") != %d",
		    unit_show(buf, sizeof(buf), t[i].s, strlen(t[i].s)),
		    t[i].want);
	CHECK(media_type_ok(NULL) == 0);
}

static void
test_accept_ok(void)
{
	static const struct str_case t[] = {
		{ "", 1 },
		{ "*/*", 1 },
		{ "application/*", 1 },
		{ "application/json", 1 },
		{ "application/vnd.api+json", 1 },
		{ "APPLICATION/VND.API+JSON", 1 },
		{ "Application/Json", 1 },
		{ "*/*;q=0.1", 1 },
		{ "application/json; q=1", 1 },
		{ "application/json;q=0.001", 1 },
		{ "application/json;q=0.5", 1 },
		/* contract §10.2 (JSON:API 1.1 §5.1): a JSON:API range with a
		 * parameter other than ext/profile, or an ext naming an
		 * extension (none is supported), is ignored; when every
		 * JSON:API range is ignored, 406 whatever else admits JSON. */
		{ "application/vnd.api+json; ext=\"https://x/e\"", 0 },
		{ "application/vnd.api+json; ext=\"\"", 1 },
		{ "application/vnd.api+json; profile=\"https://x/p\"", 1 },
		{ "application/vnd.api+json;profile=\"a,b\";q=0.5", 1 },
		{ "application/vnd.api+json;charset=utf-8", 0 },
		{ "application/vnd.api+json; charset=utf-8, */*", 0 },
		{ "application/vnd.api+json; charset=utf-8, application/json", 0 },
		{ "application/vnd.api+json;charset=utf-8, application/vnd.api+json", 1 },
		{ "application/vnd.api+json; ext=\"https://x/e\", application/vnd.api+json", 1 },
		{ "application/vnd.api+json; foo=bar, application/vnd.api+json; ext=x", 0 },
		{ "application/vnd.api+json; foo=bar, application/vnd.api+json;q=0, */*", 1 },
		{ "application/vnd.api+json;q=0", 0 },
		{ "application/vnd.api+json;q=0, application/json", 1 },
		{ "application/vnd.api+json; Q=0", 0 },
		{ "application/vnd.api+json; q=0.5; foo=bar", 0 },
		{ "application/json; charset=utf-8", 1 },
		{ "application/json; foo=bar", 1 },
		{ "text/html;level=\"1,2\", application/json", 1 },
		{ "text/html;level=\"1,application/json\"", 0 },
		{ ", application/json", 1 },
		{ "application/json,", 1 },
		{ "application/ json", 0 },
		{ "application/json x, text/html", 0 },
		{ "garbage, application/json", 1 },
		/* an unterminated quote runs to the end (found by fuzzing) */
		{ "text/html;a=\"x, application/json", 0 },
		{ "application/json, text/html;a=\"x\\", 1 },
		{ "text/html, application/json", 1 },
		{ "text/html,application/vnd.api+json;q=0.9", 1 },
		{ "text/html, */*", 1 },
		{ "text/html,\tapplication/*", 1 },
		{ "text/html", 0 },
		{ "text/*", 0 },
		{ "application/xml", 0 },
		{ "image/*", 0 },
		{ "application/jsonx", 0 },
		{ "application/json;q=0", 0 },
		{ "application/json; q=0", 0 },
		{ "application/json;q=0.0", 0 },
		{ "application/json;q=0.000", 0 },
		{ "*/*;q=0", 0 },
		{ "application/json ;q=0", 0 },
		{ "text/html, application/json;q=0", 0 },
		{ "application/json;q=0, text/html", 0 },
		/* RFC 9110 §5.6.1: OWS may precede the comma */
		{ "application/json;q=0 , text/html", 0 },
		{ "application/json;q=0\t, text/html", 0 },
		{ "application/json;q=0 ", 0 },
	};
	char	 buf[128];
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF(accept_ok(t[i].s) == t[i].want,
		    "accept_ok(\"%s\") != %d",
		    unit_show(buf, sizeof(buf), t[i].s, strlen(t[i].s)),
		    t[i].want);
	CHECK(accept_ok(NULL) == 1);
}

/* At most max characters and sz - 1 bytes, never half a character. */
static void
test_utf8_truncate(void)
{
	static const struct {
		const char	*s;
		size_t		 sz, max;
		const char	*want;
	} t[] = {
		{ "abc", 256, 2, "ab" },
		{ "abc", 256, 3, "abc" },
		{ "abc", 256, 10, "abc" },
		{ "abc", 256, 0, "" },
		{ "", 256, 5, "" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 256, 3,
		    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 256, 2,
		    "\xc3\xa9\xe2\x82\xac" },
		/* the buffer bounds bytes, the NUL included */
		{ "abcdef", 4, 10, "abc" },
		{ "a\xc3\xa9", 4, 10, "a\xc3\xa9" },
		{ "a\xc3\xa9", 3, 10, "a" },
		{ "\xf0\x9f\x98\x80", 4, 10, "" },
		{ "\xf0\x9f\x98\x80", 5, 10, "\xf0\x9f\x98\x80" },
		/* input that is not UTF-8 gives nothing */
		{ "a\xff", 256, 10, "" },
	};
	char	 out[256], a[128], b[128];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		memset(out, 'x', sizeof(out));
		utf8_truncate(out, t[i].sz, t[i].s, t[i].max);
		CHECKF(strcmp(out, t[i].want) == 0,
		    "utf8_truncate(\"%s\", %zu, %zu) = \"%s\", want \"%s\"",
		    unit_show(a, sizeof(a), t[i].s, strlen(t[i].s)), t[i].sz,
		    t[i].max, unit_show(b, sizeof(b), out, strnlen(out,
		    sizeof(out))), t[i].want);
		CHECKF(out[t[i].sz - 1] == 'x' || strlen(out) < t[i].sz,
		    "utf8_truncate wrote past %zu bytes", t[i].sz);
	}
	/* MAX_USER_AGENT characters of a longer, multi-byte agent. */
	{
		char	*ua = rep("\xc3\xa9", MAX_USER_AGENT + 10);
		char	 buf[4 * MAX_USER_AGENT + 1];

		utf8_truncate(buf, sizeof(buf), ua, MAX_USER_AGENT);
		CHECK_INT(utf8_chars(buf), MAX_USER_AGENT);
		CHECK_INT(strlen(buf), 2 * MAX_USER_AGENT);
		free(ua);
	}
}

/* contract §10.2: the first member name given twice, its pointer. */
static void
test_json_duplicate(void)
{
	static const struct {
		const char	*json, *pointer;	/* NULL: none */
	} t[] = {
		{ "{}", NULL },
		{ "[]", NULL },
		{ "7", NULL },
		{ "{\"a\":1,\"b\":2}", NULL },
		{ "{\"a\":1,\"A\":2}", NULL },
		{ "{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}", NULL },
		{ "{\"a\":1,\"a\":2}", "/a" },
		{ "{\"a\":1,\"b\":2,\"a\":3}", "/a" },
		{ "{\"data\":{\"type\":\"x\",\"attributes\":{\"email\":\"a\","
		    "\"email\":\"b\"}}}", "/data/attributes/email" },
		{ "{\"data\":{\"type\":\"x\",\"type\":\"y\"}}", "/data/type" },
		{ "{\"data\":{},\"data\":{}}", "/data" },
		{ "{\"a\":[{},{\"x\":1,\"x\":1}]}", "/a/1/x" },
		{ "[[{\"k\":0,\"k\":0}]]", "/0/0/k" },
		{ "{\"a/b\":1,\"a/b\":2}", "/a~1b" },
		{ "{\"m~n\":{\"\":1,\"\":2}}", "/m~0n/" },
		/* the first in document order: the inner one comes first */
		{ "{\"a\":{\"x\":1,\"x\":2},\"a\":3}", "/a/x" },
		{ "{\"a\":1,\"a\":{\"x\":1,\"x\":2}}", "/a" },
		{ "{\"\\u00e9\":1,\"\xc3\xa9\":2}", "/\xc3\xa9" },
	};
	char	 ptr[256], small[8];
	cJSON	*doc;
	size_t	 i;
	int	 got;

	for (i = 0; i < nitems(t); i++) {
		doc = cJSON_Parse(t[i].json);
		CHECKF(doc != NULL, "cJSON_Parse(%s)", t[i].json);
		if (doc == NULL)
			continue;
		got = json_duplicate(doc, ptr, sizeof(ptr));
		CHECKF(got == (t[i].pointer != NULL) && (!got ||
		    strcmp(ptr, t[i].pointer) == 0), "json_duplicate(%s) = %d "
		    "\"%s\", want %s", t[i].json, got, got ? ptr : "",
		    t[i].pointer != NULL ? t[i].pointer : "none");
		cJSON_Delete(doc);
	}
	/* A pointer longer than the buffer ends at what fits. */
	doc = cJSON_Parse("{\"abc\":{\"defghij\":{\"k\":1,\"k\":2}}}");
	CHECK(json_duplicate(doc, small, sizeof(small)) == 1);
	CHECK_STR(small, "/abc");
	cJSON_Delete(doc);
}

/* contract §10.1: the entries cors_allow_origins takes, and matching. */
static void
test_origins(void)
{
	static const struct str_case t[] = {
		{ "https://shop.example", 1 },
		{ "http://127.0.0.1:18201", 1 },
		{ "http://localhost:8080", 1 },
		{ "https://[::1]:8443", 1 },
		{ "http://[2001:db8::1]", 1 },
		{ "https://a-b.example.com", 1 },
		{ "https://shop.example:1", 1 },
		{ "https://shop.example:65535", 1 },
		{ "https://shop.example/", 0 },
		{ "https://shop.example/path", 0 },
		{ "https://Shop.example", 0 },
		{ "HTTPS://shop.example", 0 },
		{ "ftp://shop.example", 0 },
		{ "shop.example", 0 },
		{ "*", 0 },
		{ "https://*.example", 0 },
		{ "null", 0 },
		{ "https://", 0 },
		{ "https://shop.example:", 0 },
		{ "https://shop.example:0", 0 },
		{ "https://shop.example:080", 0 },
		{ "https://shop.example:65536", 0 },
		{ "https://shop.example:443", 0 },
		{ "http://shop.example:80", 0 },
		{ "http://shop.example:443", 1 },
		{ "https://shop.example:8x", 0 },
		{ "https://user@shop.example", 0 },
		{ "https://shop.example?x", 0 },
		{ "https://[::1", 0 },
		{ "https://[]", 0 },
		{ "https://shop example", 0 },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF((origin_bad(t[i].s, strlen(t[i].s)) == NULL) == t[i].want,
		    "origin_bad(\"%s\"): %s", t[i].s,
		    origin_bad(t[i].s, strlen(t[i].s)) != NULL ?
		    origin_bad(t[i].s, strlen(t[i].s)) : "accepted");
	CHECK(origin_listed("https://a.example, http://b.example:81",
	    "https://a.example") == 1);
	CHECK(origin_listed("https://a.example, http://b.example:81",
	    "http://b.example:81") == 1);
	CHECK(origin_listed(" https://a.example ,http://b.example:81 ",
	    "https://a.example") == 1);
	CHECK(origin_listed("https://a.example", "https://a.example.evil") == 0);
	CHECK(origin_listed("https://a.example", "https://a.exampl") == 0);
	CHECK(origin_listed("https://a.example", "HTTPS://A.EXAMPLE") == 0);
	CHECK(origin_listed("https://a.example", "http://a.example") == 0);
	CHECK(origin_listed("https://a.example", "") == 0);
	CHECK(origin_listed("", "") == 0);
	CHECK(origin_listed("", "null") == 0);
}

int
main(void)
{
	test_valid_utf8();
	test_json_scan();
	test_utf8_chars();
	test_utf8_truncate();
	test_valid_name();
	test_valid_line();
	test_valid_zip();
	test_email_canonical();
	test_valid_email();
	test_valid_password();
	test_valid_salutation();
	test_valid_iso2();
	test_valid_uuid();
	test_valid_token();
	test_customer_ref_id();
	test_media_type_ok();
	test_accept_ok();
	test_json_duplicate();
	test_origins();
	return unit_done();
}
