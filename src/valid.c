/*
 * Pure validators: no I/O, no state; table-tested in tests/unit.
 * Lengths count characters (code points), as utf8mb4 VARCHAR columns do.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

/* RFC 3629: shortest forms only, no surrogates, nothing above U+10FFFF. */
int
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	unsigned int	 c, need, min;

	while (p < e) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; min = 0x80; c &= 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; min = 0x800; c &= 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; min = 0x10000; c &= 0x07;
		} else
			return 0;
		if ((size_t)(e - p) < need)
			return 0;
		while (need-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (*p++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}

/* Length of a JSON number (RFC 8259 §6) at s, 0 if it is not one. */
static size_t
number_len(const char *s, size_t n)
{
	size_t	 i = 0;

#define DIGITS()	while (i < n && isdigit((unsigned char)s[i])) i++
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9') {
		DIGITS();
	} else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || !isdigit((unsigned char)s[i]))
			return 0;
		DIGITS();
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
		DIGITS();
	}
#undef DIGITS
	/* "01", "1.2.3", "1x": not one number. */
	if (i < n && (isalnum((unsigned char)s[i]) || s[i] == '.'))
		return 0;
	return i;
}

/* Length of a JSON string at s (opening quote included), 0 if refused. */
static size_t
string_len(const char *s, size_t n)
{
	size_t	 i;

	for (i = 1; i < n; i++) {
		if ((unsigned char)s[i] < 0x20)
			return 0;	/* raw control characters: RFC 8259 §7 */
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\\') {
			if (i + 5 < n && s[i + 1] == 'u' &&
			    strncmp(s + i + 2, "0000", 4) == 0)
				return 0;	/* would cut a C string */
			i++;
		}
	}
	return 0;
}

/*
 * What cJSON lets through and we do not: invalid UTF-8, nesting deeper
 * than maxdepth, strings that would carry a NUL, numbers outside the
 * grammar (leading zeros), and text after the document.  The structure
 * itself (commas, colons) is left to cJSON.  1 if acceptable.
 */
int
json_scan(const char *s, size_t n, int maxdepth)
{
	size_t	 i = 0, len;
	int	 depth = 0, done = 0;

	if (!valid_utf8(s, n))
		return 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		if (done)
			return 0;
		len = 1;
		if (c == '{' || c == '[') {
			if (++depth > maxdepth)
				return 0;
		} else if (c == '}' || c == ']') {
			if (--depth < 0)
				return 0;
		} else if (c == '"')
			len = string_len(s + i, n - i);
		else if (c == '-' || isdigit(c))
			len = number_len(s + i, n - i);
		else if (n - i >= 4 && (strncmp(s + i, "true", 4) == 0 ||
		    strncmp(s + i, "null", 4) == 0))
			len = 4;
		else if (n - i >= 5 && strncmp(s + i, "false", 5) == 0)
			len = 5;
		else if (c != ',' && c != ':')
			return 0;
		if (len == 0)
			return 0;
		i += len;
		if (depth == 0)
			done = 1;
	}
	return done;
}

size_t
utf8_chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* 1..max characters, no C0/C1 control characters (CR/LF included). */
static int
text_ok(const char *s, size_t min, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	 n = utf8_chars(s);

	if (n < min || n > max)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
	}
	return 1;
}

int
valid_name(const char *s)
{
	return text_ok(s, 1, MAX_NAME);
}

int
valid_line(const char *s)
{
	return text_ok(s, 1, MAX_ADDRESS_LINE);
}

int
valid_line_opt(const char *s)
{
	return text_ok(s, 0, MAX_ADDRESS_LINE);
}

int
valid_zip(const char *s)
{
	return text_ok(s, 1, MAX_ZIP);
}

/*
 * The identity grammar (contract §3.9): a practical subset of RFC 5321
 * §4.1.2's Mailbox and RFC 5322 §3.4.1's addr-spec, in ASCII only.
 *
 *   local-part  1-64 octets of a-z A-Z 0-9 . _ + -, no leading or trailing
 *               dot, no two dots in a row (a dot-atom without the atext
 *               that routes or runs: % and ! are source routes, | and /
 *               pipe and file deliveries in aliases, the rest is quoting);
 *   domain      two or more labels of a-z A-Z 0-9 -, each 1-63 octets,
 *               neither starting nor ending with -, the last not all
 *               digits (no IP addresses, literal or dotted);
 *   whole       at most 254 octets (RFC 5321 §4.5.3.1.3's path, 256, less
 *               its angle brackets).
 *
 * Refused, never repaired: quoted local parts, comments, IP literals,
 * blanks anywhere (leading and trailing too), anything not ASCII (accents,
 * zero-width and full-width characters, the long s).  The canonical form,
 * the one stored and compared, is the address in ASCII lower case.
 * 0 and out set, or -1 (out then empty) when not acceptable.  Mail
 * headers are built from it: it never carries CR, LF, commas or brackets.
 */
#define EMAIL_MAX	254
#define EMAIL_LOCAL_MAX	64
#define EMAIL_LABEL_MAX	63

static int
ascii_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
email_check(const char *s)
{
	const char	*at = strchr(s, '@'), *p;
	size_t		 n = strlen(s), label = 0;
	int		 labels = 0, digits = 1;

	if (at == NULL || n > EMAIL_MAX || at == s ||
	    (size_t)(at - s) > EMAIL_LOCAL_MAX)
		return -1;
	for (p = s; p < at; p++)
		if (!ascii_alnum(*p) && *p != '_' && *p != '+' && *p != '-' &&
		    (*p != '.' || p == s || p + 1 == at || p[1] == '.'))
			return -1;
	for (p = at + 1;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > EMAIL_LABEL_MAX ||
			    p[-1] == '-')
				return -1;
			labels++;
			if (*p == '\0')
				break;
			label = 0;
			digits = 1;
			continue;
		}
		if (!ascii_alnum(*p) && (*p != '-' || label == 0))
			return -1;
		if (*p < '0' || *p > '9')
			digits = 0;
		label++;
	}
	return labels >= 2 && !digits ? 0 : -1;
}

int
email_canonical(char *out, size_t outsz, const char *in)
{
	size_t	 i, n = strlen(in);

	if (outsz > 0)
		out[0] = '\0';
	if (n >= outsz || email_check(in) != 0)
		return -1;
	for (i = 0; i <= n; i++)
		out[i] = in[i] >= 'A' && in[i] <= 'Z' ?
		    (char)(in[i] - 'A' + 'a') : in[i];
	return 0;
}

int
valid_email(const char *s)
{
	char	 buf[EMAIL_MAX + 1];

	return email_canonical(buf, sizeof(buf), s) == 0;
}

int
valid_password(const char *s)
{
	size_t	 n = strlen(s);

	return n >= MIN_PASSWORD && n <= MAX_PASSWORD;
}

int
valid_salutation(const char *s)
{
	return strcmp(s, "Mr") == 0 || strcmp(s, "Mrs") == 0 ||
	    strcmp(s, "Ms") == 0 || strcmp(s, "Dr") == 0;
}

int
valid_user_status(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "blocked") == 0;
}

int
valid_iso2(const char *s)
{
	return strlen(s) == 2 && isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]);
}

/* Lowercase canonical UUID, as uuid_v4() makes them. */
int
valid_uuid(const char *s)
{
	size_t	 i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return 0;
	}
	return 1;
}

/* TOKEN_CHARS of base64url. */
int
valid_token(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return i == TOKEN_CHARS;
}

/* "DE--<n>", n a positive decimal without leading zeros: n, else 0. */
long long
customer_ref_id(const char *s)
{
	long long	 n = 0;
	size_t		 i;

	if (strncmp(s, "DE--", 4) != 0 || s[4] < '1' || s[4] > '9')
		return 0;
	for (i = 4; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]) || i > 4 + 17)
			return 0;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

static int
param_ok(const char *p, const char *const *allowed)
{
	size_t	 i;

	while (*p == ' ' || *p == '\t')
		p++;
	for (i = 0; allowed[i] != NULL; i++)
		if (strncasecmp(p, allowed[i], strlen(allowed[i])) == 0 &&
		    p[strlen(allowed[i])] == '=')
			return 1;
	return 0;
}

/*
 * contract §2.2: application/vnd.api+json with only ext/profile parameters
 * (JSON:API 1.1 §5.1), or application/json, optionally with charset.
 */
int
media_type_ok(const char *ct)
{
	static const char *const jsonapi_params[] = { "ext", "profile", NULL };
	static const char *const json_params[] = { "charset", NULL };
	const char *const *allowed;
	const char	*p;
	size_t		 n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 24 && strncasecmp(ct, "application/vnd.api+json", n) == 0)
		allowed = jsonapi_params;
	else if (n == 16 && strncasecmp(ct, "application/json", n) == 0)
		allowed = json_params;
	else
		return 0;
	for (p = strchr(ct, ';'); p != NULL; p = strchr(p + 1, ';'))
		if (!param_ok(p + 1, allowed))
			return 0;
	/* RFC 8259 §8.1: JSON is UTF-8; another charset is refused. */
	if ((p = strcasestr(ct, "charset=")) != NULL) {
		p += 8;
		if (*p == '"')
			p++;
		if (strncasecmp(p, "utf-8", 5) != 0 ||
		    (p[5] != '\0' && p[5] != '"' && p[5] != ';' &&
		    p[5] != ' '))
			return 0;
	}
	return 1;
}

/* Does one media range of Accept admit JSON:API or JSON?  q=0 refuses. */
static int
range_ok(const char *r, size_t n)
{
	char		 buf[128], *semi, *q;
	size_t		 len;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, r, n);
	buf[n] = '\0';
	len = strlen(buf);	/* RFC 9110 §5.6.1: OWS around the comma */
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if ((semi = strchr(buf, ';')) != NULL) {
		*semi = '\0';
		if ((q = strstr(semi + 1, "q=")) != NULL &&
		    strspn(q + 2, "0.") == strlen(q + 2))
			return 0;
	}
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return strcmp(buf, "*/*") == 0 ||
	    strcasecmp(buf, "application/*") == 0 ||
	    strcasecmp(buf, "application/json") == 0 ||
	    strcasecmp(buf, "application/vnd.api+json") == 0;
}

/* No Accept header admits everything (RFC 9110 §12.5.1). */
int
accept_ok(const char *accept)
{
	const char	*p = accept, *e;
	size_t		 n;

	if (accept == NULL || *accept == '\0')
		return 1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (range_ok(p, n))
			return 1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* Copies at most max characters of valid UTF-8 s, never splitting one. */
void
utf8_truncate(char *out, size_t sz, const char *s, size_t max)
{
	size_t	 i = 0, chars = 0;

	while (s[i] != '\0') {
		size_t	 len = 1;

		while ((s[i + len] & 0xc0) == 0x80)
			len++;
		if (chars == max || i + len >= sz)
			break;
		i += len;
		chars++;
	}
	memcpy(out, s, i);
	out[i] = '\0';
	if (!valid_utf8(out, i))
		out[0] = '\0';
}
