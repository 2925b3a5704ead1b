/*
 * A tiny unit-test framework: checks count, failures say where and what on
 * stderr, and unit_done() prints exactly "N passed, M failed" on stdout and
 * returns the exit status (non-zero if anything failed).
 *
 *	CHECK(cond)			a truth
 *	CHECK_INT(got, want)		integers (as long long)
 *	CHECK_STR(got, want)		C strings; NULL only equals NULL
 *	CHECK_MEM(got, n, want, m)	byte strings of known length
 *	CHECKF(cond, fmt, ...)		a truth, described for table rows
 *
 * Everything is static: each test program includes this once.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	 unit_passed, unit_failed;

static inline int
unit_vcheck(int ok, const char *file, int line, const char *fmt, va_list ap)
{
	if (ok) {
		unit_passed++;
		return 1;
	}
	unit_failed++;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return 0;
}

static inline int __attribute__((format(printf, 4, 5)))
unit_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = unit_vcheck(ok, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

/* Shows a byte string on one line, escaping what is not printable ASCII. */
static inline const char *
unit_show(char *buf, size_t sz, const char *s, size_t n)
{
	size_t	 i, w = 0;

	if (s == NULL)
		return "(null)";
	for (i = 0; i < n && w + 5 < sz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[w++] = (char)c;
		else
			w += (size_t)snprintf(buf + w, sz - w, "\\x%02x", c);
	}
	if (i < n && w + 4 <= sz)
		w += (size_t)snprintf(buf + w, sz - w, "...");
	buf[w] = '\0';
	return buf;
}

static inline int
unit_mem(const char *file, int line, const char *expr, const char *got,
    size_t n, const char *want, size_t m)
{
	char	 a[1024], b[1024];
	int	 ok;

	ok = got != NULL && want != NULL ? n == m && memcmp(got, want, n) == 0 :
	    got == want;
	return unit_check(ok, file, line, "%s\n  got:  \"%s\"\n  want: \"%s\"",
	    expr, unit_show(a, sizeof(a), got, n),
	    unit_show(b, sizeof(b), want, m));
}

static inline int
unit_str(const char *file, int line, const char *expr, const char *got,
    const char *want)
{
	return unit_mem(file, line, expr, got, got != NULL ? strlen(got) : 0,
	    want, want != NULL ? strlen(want) : 0);
}

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	fflush(stdout);
	return unit_failed != 0;
}

#define CHECK(c) \
	unit_check((c) != 0, __FILE__, __LINE__, "%s", #c)
#define CHECKF(c, ...) \
	unit_check((c) != 0, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_INT(got, want) do {					\
	long long unit_g_ = (long long)(got), unit_w_ = (long long)(want); \
	unit_check(unit_g_ == unit_w_, __FILE__, __LINE__,		\
	    "%s: got %lld, want %lld", #got, unit_g_, unit_w_);		\
} while (0)
#define CHECK_STR(got, want) \
	unit_str(__FILE__, __LINE__, #got, (got), (want))
#define CHECK_MEM(got, n, want, m) \
	unit_mem(__FILE__, __LINE__, #got, (got), (n), (want), (m))

#endif
