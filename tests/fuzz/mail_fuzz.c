/*
 * The mail header builder: mail_headers() with a sender and a recipient
 * as mail_send() admits them (valid_email), any subject of up to MAX_SUBJECT
 * bytes, any date and any buffer size.  Checked: the block is never cut
 * short (it fits whole or is refused), it holds exactly the eight header
 * fields in order and the blank line, values are the ones given, and no
 * CR or LF comes from a value.  A subject of printable ASCII up to 69
 * characters is written as it is; any other is RFC 2047 encoded-words
 * (contract §10.9), each of its lines at most 76 characters, the words
 * decoding back to the subject, none starting inside a UTF-8 sequence
 * unless the subject itself is not UTF-8 there.
 *
 * Input: byte 0 the buffer size (in 8-byte steps), bytes 1..8 the date,
 * then from, to and subject separated by '\n'.
 */
#include "fuzz.h"

static const char *const names[] = {
	"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: <",
	"MIME-Version: 1.0", "Auto-Submitted: auto-generated",
	"Content-Type: multipart/alternative; boundary=\"",
};

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int
b64val(char c)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(a, c) : NULL;

	return p != NULL ? (int)(p - a) : -1;
}

/*
 * Checks the encoded Subject value v (n characters, up to the CRLF that
 * ends the field) and decodes it into out; its length.
 */
static size_t
decode_subject(const char *v, size_t n, unsigned char *out, int utf8)
{
	const char	*p = v, *end = v + n, *e, *q;
	size_t		 len = 0, i, start;
	int		 first = 1, k, x[4];

	while (p < end) {
		if (!first) {
			FUZZ_CHECK(end - p > 3 && strncmp(p, "\r\n ", 3) == 0);
			p += 3;
		}
		FUZZ_CHECK(strncmp(p, "=?utf-8?B?", 10) == 0);
		e = strstr(p + 10, "?=");
		FUZZ_CHECK(e != NULL && e < end);
		/* "Subject: " before the first line, a space before others. */
		FUZZ_CHECK((size_t)(e + 2 - p) + (first ? 9 : 1) <= 76);
		FUZZ_CHECK((e - p - 10) % 4 == 0 && e - p - 10 <= 48);
		start = len;
		for (q = p + 10; q < e; q += 4) {
			for (k = 0; k < 4; k++) {
				x[k] = q[k] == '=' ? 0 : b64val(q[k]);
				FUZZ_CHECK(x[k] >= 0);
			}
			out[len++] = (unsigned char)(x[0] << 2 | x[1] >> 4);
			if (q[2] != '=')
				out[len++] = (unsigned char)(x[1] << 4 | x[2] >> 2);
			if (q[3] != '=')
				out[len++] = (unsigned char)(x[2] << 6 | x[3]);
		}
		/* A word of UTF-8 text starts on a character. */
		FUZZ_CHECK(!utf8 || len == start ||
		    (out[start] & 0xc0) != 0x80);
		p = e + 2;
		first = 0;
	}
	for (i = 0; i < len; i++)
		FUZZ_CHECK(out[i] != '\0');
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	static const char boundary[] = "fedcba9876543210fedcba9876543210";
	char		 out[2048], whole[2 * MAIL_HEADERS_MAX], *s, *from, *to, *subject, *p;
	const char	*line, *values[3];
	unsigned char	 back[256];
	uint64_t	 t = 0;
	size_t		 sz, i, n;
	int		 rc, full, plain;

	if (size < 9 || size > 2048)
		return 0;
	sz = (size_t)data[0] * 8 + 1;
	for (i = 0; i < 8; i++)
		t = t << 8 | data[1 + i];
	t %= 253402300800ULL;		/* up to the end of the year 9999 */
	s = fuzz_str(data + 9, size - 9);
	from = s;
	if ((to = strchr(from, '\n')) == NULL) {
		free(s);
		return 0;
	}
	*to++ = '\0';
	if ((subject = strchr(to, '\n')) == NULL) {
		free(s);
		return 0;
	}
	*subject++ = '\0';
	if (!valid_email(from) || !valid_email(to) || strlen(subject) > MAX_SUBJECT) {
		free(s);
		return 0;
	}
	/* With room enough it always fits. */
	full = mail_headers(whole, sizeof(whole), from, to, subject,
	    (time_t)t, id, boundary);
	FUZZ_CHECK(full > 0 && (size_t)full == strlen(whole));
	FUZZ_CHECK(full < MAIL_HEADERS_MAX);	/* message_build()'s room */
	plain = printable(subject) && strlen(subject) <= 69;
	/* In a smaller buffer: whole, or refused. */
	memset(out, 'x', sizeof(out));
	rc = mail_headers(out, sz, from, to, subject, (time_t)t, id,
	    boundary);
	FUZZ_CHECK(rc == -1 || rc == full);
	FUZZ_CHECK(rc == -1 ? (size_t)full >= sz : strcmp(out, whole) == 0);

	/* Eight CRLF-ended lines, then the blank line, and nothing more. */
	values[0] = from;
	values[1] = to;
	values[2] = subject;
	line = whole;
	for (i = 0; i < nitems(names); i++) {
		p = strstr(line, "\r\n");
		FUZZ_CHECK(p != NULL);
		/* An encoded subject goes on, folded: CRLF and a space. */
		while (i == 2 && !plain && p[2] == ' ')
			FUZZ_CHECK((p = strstr(p + 2, "\r\n")) != NULL);
		n = (size_t)(p - line);
		FUZZ_CHECK(strncmp(line, names[i], strlen(names[i])) == 0);
		if (i == 2 && !plain) {
			n = decode_subject(line + 9, n - 9, back,
			    valid_utf8(subject, strlen(subject)));
			FUZZ_CHECK(n == strlen(subject) &&
			    memcmp(back, subject, n) == 0);
			line = p + 2;
			continue;
		}
		FUZZ_CHECK(memchr(line, '\r', n) == NULL &&
		    memchr(line, '\n', n) == NULL);
		if (i < 3)
			FUZZ_CHECK(n == strlen(names[i]) + strlen(values[i]) &&
			    strncmp(line + strlen(names[i]), values[i],
			    strlen(values[i])) == 0);
		line = p + 2;
	}
	FUZZ_CHECK(strcmp(line, "\r\n") == 0);
	free(s);
	return 0;
}
