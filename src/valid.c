/*
 * Pure validators: no I/O, no state; table-tested in tests/unit.
 * Lengths count characters (code points), as utf8mb4 VARCHAR columns do.
 */
#include <ctype.h>
#include <stdio.h>
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

/* RFC 9110 §5.6.2 tchar. */
#define TCHARS	"!#$%&'*+-.^_`|~0123456789" \
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

static const char *
ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One media type parameter (RFC 9110 §5.6.6): name and value, the value a
 * token or a quoted-string (kept with its escapes, quotes removed). */
struct mparam {
	const char	*name, *val;
	size_t		 nlen, vlen;
};

/* Reads "name=value" at p: the position after it, or NULL if malformed. */
static const char *
mparam_read(const char *p, struct mparam *m)
{
	if ((m->nlen = strspn(p, TCHARS)) == 0 || p[m->nlen] != '=')
		return NULL;
	m->name = p;
	p += m->nlen + 1;
	if (*p != '"') {
		m->val = p;
		m->vlen = strspn(p, TCHARS);
		return m->vlen > 0 ? p + m->vlen : NULL;
	}
	m->val = ++p;
	for (; *p != '"'; p++)
		if (*p == '\0' || (*p == '\\' && *++p == '\0'))
			return NULL;
	m->vlen = (size_t)(p - m->val);
	return p + 1;
}

static int
mparam_is(const struct mparam *m, const char *name)
{
	return m->nlen == strlen(name) && strncasecmp(m->name, name,
	    m->nlen) == 0;
}

/* An ext value naming any extension: none is supported (JSON:API 1.1
 * §5.1: ext is a space-separated list of extension URIs). */
static int
ext_unsupported(const struct mparam *m)
{
	size_t	 i;

	for (i = 0; i < m->vlen; i++)
		if (m->val[i] != ' ')
			return 1;
	return 0;
}

/* Reads type/subtype at p into buf (lower case): after it, or NULL. */
static const char *
mtype_read(const char *p, char *buf, size_t sz)
{
	size_t	 a, b, i;

	if ((a = strspn(p, TCHARS)) == 0 || p[a] != '/' ||
	    (b = strspn(p + a + 1, TCHARS)) == 0 || a + 1 + b >= sz)
		return NULL;
	for (i = 0; i < a + 1 + b; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[i] = '\0';
	return p + a + 1 + b;
}

/* What a media type's parameters say (JSON:API 1.1 §5.1, RFC 9110). */
#define MT_OTHER	0x01	/* a parameter not named below */
#define MT_EXT		0x02	/* ext, naming an extension */
#define MT_EXT_NONE	0x04	/* ext, naming none */
#define MT_PROFILE	0x08	/* profile */
#define MT_CHARSET	0x10	/* charset=utf-8 */
#define MT_BAD_CHARSET	0x20	/* another charset */
#define MT_Q0		0x40	/* a weight of 0 (Accept only) */

/* Not acceptable on a JSON:API media type; on application/json. */
#define MT_NOT_JSONAPI	(MT_OTHER | MT_EXT | MT_CHARSET | MT_BAD_CHARSET)
#define MT_NOT_JSON	(MT_OTHER | MT_EXT | MT_EXT_NONE | MT_PROFILE | \
			MT_BAD_CHARSET)

/* One parameter's flag. */
static int
mparam_flag(const struct mparam *m, int weight)
{
	size_t	 i;

	if (weight && mparam_is(m, "q")) {
		for (i = 0; i < m->vlen && strchr("0.", m->val[i]) != NULL; i++)
			;
		return i == m->vlen ? MT_Q0 : 0;
	}
	if (mparam_is(m, "ext"))
		return ext_unsupported(m) ? MT_EXT : MT_EXT_NONE;
	if (mparam_is(m, "profile"))
		return MT_PROFILE;	/* allowed, and ignored: none applies */
	if (mparam_is(m, "charset"))
		return m->vlen == 5 && strncasecmp(m->val, "utf-8", 5) == 0 ?
		    MT_CHARSET : MT_BAD_CHARSET;
	return MT_OTHER;
}

/*
 * The parameters from p on, up to a ',' (Accept) or the end: their flags,
 * or -1 when malformed; *end: where they stopped.  Empty parameters are
 * allowed (RFC 9110 §5.6.6: parameters = *( OWS ";" OWS [ parameter ] )).
 * With weight, "q" is the weight wherever it stands (RFC 9110 §12.4.2:
 * recipients process any parameter named "q" as the weight).
 */
static int
mparams(const char *p, int weight, const char **end)
{
	struct mparam	 m;
	int		 f = 0;

	for (p = ows(p); *p == ';'; p = ows(p)) {
		p = ows(p + 1);
		if (*p == ';' || *p == ',' || *p == '\0')
			continue;
		if ((p = mparam_read(p, &m)) == NULL)
			return -1;
		f |= mparam_flag(&m, weight);
	}
	*end = p;
	return f;
}

/*
 * contract §2.2, §10.2: application/vnd.api+json with at most the
 * parameters ext (naming no extension: none is supported) and profile
 * (ignored), as JSON:API 1.1 §5.1 requires (415 for any media type
 * parameter other than ext or profile, and for an ext listing an
 * extension the server does not support); or application/json with at
 * most charset=utf-8 (RFC 8259 §8.1: JSON is UTF-8).
 */
int
media_type_ok(const char *ct)
{
	char		 type[64];
	const char	*p, *end;
	int		 f;

	if (ct == NULL || (p = mtype_read(ct, type, sizeof(type))) ==
	    NULL || (f = mparams(p, 0, &end)) < 0 || *end != '\0')
		return 0;
	if (strcmp(type, "application/vnd.api+json") == 0)
		return (f & MT_NOT_JSONAPI) == 0;
	if (strcmp(type, "application/json") == 0)
		return (f & MT_NOT_JSON) == 0;
	return 0;
}

/* Skips to the next range of Accept (past a ','), quotes respected. */
static const char *
range_skip(const char *p)
{
	for (; *p != '\0' && *p != ','; p++)
		if (*p == '"') {
			for (p++; *p != '"' && *p != '\0'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				break;
		}
	return *p == ',' ? p + 1 : p;
}

/*
 * Accept (RFC 9110 §12.5.1, JSON:API 1.1 §5.1, contract §2.2, §10.2).  A
 * JSON:API range with a parameter other than ext and profile, or whose ext
 * names an extension (none is supported), is ignored; when Accept has
 * JSON:API ranges and every one of them is ignored so, 406, whatever else
 * it admits ("servers MUST respond with a 406 Not Acceptable status code
 * if all instances of that media type are modified with a media type
 * parameter other than ext or profile").  Otherwise one range must admit
 * JSON:API or JSON: any type, application/ any subtype, application/json or an
 * acceptable JSON:API range, with a weight above 0.  A malformed range
 * admits nothing.  No Accept header admits everything.
 */
int
accept_ok(const char *accept)
{
	char		 type[64];
	const char	*p = accept, *end;
	int		 f, jsonapi = 0, ignored = 0, admits = 0;

	if (accept == NULL || *ows(accept) == '\0')
		return 1;
	for (; *(p = ows(p)) != '\0'; p = range_skip(end)) {
		end = p;
		if (*p == ',')
			continue;	/* an empty list element */
		if ((p = mtype_read(p, type, sizeof(type))) == NULL ||
		    (f = mparams(p, 1, &end)) < 0 ||
		    (*end != ',' && *end != '\0')) {
			end = p != NULL ? p : end;
			continue;
		}
		if (strcmp(type, "application/vnd.api+json") == 0) {
			jsonapi++;
			if (f & MT_NOT_JSONAPI) {
				ignored++;
				continue;
			}
		} else if (strcmp(type, "*/*") != 0 &&
		    strcmp(type, "application/*") != 0 &&
		    strcmp(type, "application/json") != 0)
			continue;
		if (!(f & MT_Q0))
			admits = 1;
	}
	if (jsonapi > 0 && ignored == jsonapi)
		return 0;
	return admits;
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

/* Appends "/" and seg, escaped (RFC 6901 §3), when all of it fits. */
static int
pointer_add(char *ptr, size_t sz, const char *seg)
{
	size_t	 n = strlen(ptr), need = 1;
	const char *s;

	for (s = seg; *s != '\0'; s++)
		need += *s == '~' || *s == '/' ? 2 : 1;
	if (n + need >= sz)
		return 0;
	ptr[n++] = '/';
	for (s = seg; *s != '\0'; s++) {
		if (*s == '~' || *s == '/') {
			ptr[n++] = '~';
			ptr[n++] = *s == '~' ? '0' : '1';
		} else
			ptr[n++] = *s;
	}
	ptr[n] = '\0';
	return 1;
}

/* json_duplicate() below; room: segments may still be added. */
static int
dup_walk(const cJSON *item, char *ptr, size_t sz, int room)
{
	const cJSON	*c, *e;
	char		 idx[24];
	size_t		 n = strlen(ptr), i = 0;
	int		 added;

	for (c = item->child; c != NULL; c = c->next, i++) {
		if (cJSON_IsObject(item)) {
			for (e = item->child; e != c; e = e->next)
				if (strcmp(e->string, c->string) == 0) {
					if (room)
						(void)pointer_add(ptr, sz,
						    c->string);
					return 1;
				}
			added = room && pointer_add(ptr, sz, c->string);
		} else {
			snprintf(idx, sizeof(idx), "%zu", i);
			added = room && pointer_add(ptr, sz, idx);
		}
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    dup_walk(c, ptr, sz, added))
			return 1;
		ptr[n] = '\0';
	}
	return 0;
}

/*
 * The first member name given twice in one object (contract §10.2), in
 * document order: 1 and ptr (which starts as "") its JSON pointer (RFC
 * 6901), else 0.  cJSON keeps both members and finds the first, where
 * JavaScript and Python take the last: a proxy and this server would read
 * different values.  A pointer too long for sz ends at the deepest member
 * that fits.
 */
int
json_duplicate(const cJSON *item, char *ptr, size_t sz)
{
	ptr[0] = '\0';
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return 0;
	return dup_walk(item, ptr, sz, 1);
}

/*
 * One entry of cors_allow_origins (contract §10.1): an origin as browsers
 * serialise it in Origin (RFC 6454 §6.2): "http" or "https", "://", a
 * lower-case host name or IPv4 address or a bracketed IPv6 address, and a
 * port only when it is not the scheme's default (browsers leave that
 * out, so such an entry would never match).  No path, no wildcard, not
 * "null" (the origin of every sandboxed document and file: page alike).
 * NULL if it is one, else why not.
 */
const char *
origin_bad(const char *s, size_t n)
{
	size_t	 h, p, i;
	int	 https;
	long	 port = 0;

	if (n == 4 && strncmp(s, "null", 4) == 0)
		return "\"null\" is the origin of any sandboxed page";
	if (memchr(s, '*', n) != NULL)
		return "no wildcards: list each origin";
	for (i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return "upper case: browsers send origins in lower case";
	if (n > 7 && strncmp(s, "http://", 7) == 0)
		https = 0, h = 7;
	else if (n > 8 && strncmp(s, "https://", 8) == 0)
		https = 1, h = 8;
	else
		return "not http:// or https://";
	if (s[h] == '[') {
		p = h + 1 + strspn(s + h + 1, "0123456789abcdef:.");
		if (p >= n || s[p] != ']' || p == h + 1)
			return "not a bracketed IPv6 address in lower case";
		p++;
	} else {
		p = h + strspn(s + h, "abcdefghijklmnopqrstuvwxyz0123456789.-");
		if (p == h)
			return "no host (a lower-case name or address)";
	}
	if (p == n)
		return NULL;
	if (s[p] != ':')
		return "a path or more: scheme://host[:port] only";
	for (i = p + 1; i < n && isdigit((unsigned char)s[i]) && i < p + 6; i++)
		port = port * 10 + (s[i] - '0');
	if (i != n || i == p + 1 || s[p + 1] == '0' || port > 65535)
		return "a port is 1-65535, digits only, and nothing follows it";
	if (port == (https ? 443 : 80))
		return "the default port: browsers never send it";
	return NULL;
}

/* Is origin exactly one of the comma-separated entries (blanks around
 * them ignored)? */
int
origin_listed(const char *list, const char *origin)
{
	size_t	 n = strlen(origin), len;
	const char *p = list, *e;

	if (n == 0)
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncmp(p, origin, n) == 0)
			return 1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}
