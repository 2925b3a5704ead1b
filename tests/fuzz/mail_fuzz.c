/*
 * The mail header builder: mail_headers() with a sender and a recipient
 * as mail_send() admits them (valid_email), a subject of printable
 * ASCII, any date and any buffer size.  Checked: the block is never cut
 * short (it fits whole or is refused), it holds exactly the eight header
 * lines in order and the blank line, values are the ones given, and no
 * CR or LF comes from a value.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	static const char boundary[] = "fedcba9876543210fedcba9876543210";
	char		 out[2048], whole[2048], *s, *from, *to, *subject, *p;
	const char	*line, *values[3];
	uint64_t	 t = 0;
	size_t		 sz, i, n;
	int		 rc, full;

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
	if (!valid_email(from) || !valid_email(to) || !printable(subject) ||
	    strlen(subject) > 200) {
		free(s);
		return 0;
	}
	/* With room enough it always fits. */
	full = mail_headers(whole, sizeof(whole), from, to, subject,
	    (time_t)t, id, boundary);
	FUZZ_CHECK(full > 0 && (size_t)full == strlen(whole));
	FUZZ_CHECK(full < 1024);	/* what message_build() gives it */
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
		n = (size_t)(p - line);
		FUZZ_CHECK(memchr(line, '\r', n) == NULL &&
		    memchr(line, '\n', n) == NULL);
		FUZZ_CHECK(strncmp(line, names[i], strlen(names[i])) == 0);
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
