/*
 * Mail building and the two transports (contract §7.3): the development spool
 * (one RFC 5322 message per file, names sorting in send order) and a
 * sendmail-compatible command fed on stdin under a time limit.
 *
 * Header values come only from validated addresses (valid_email: no CR,
 * LF, comma or angle bracket) and constant subjects: nothing from a name
 * ever reaches a header.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "glue.h"

#define MAX_ARGS	16

/* A growing buffer for one message. */
struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *s)
{
	size_t	 n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		char *q = xmalloc(b->cap);
		if (b->p != NULL)
			memcpy(q, b->p, b->len);
		free(b->p);
		b->p = q;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* Text bodies use LF; RFC 5322 wants CRLF on the wire and in files. */
static void
buf_add_crlf(struct buf *b, const char *s)
{
	char	 line[1024];
	size_t	 n;

	while (*s != '\0') {
		n = strcspn(s, "\n");
		if (n >= sizeof(line) - 3)
			n = sizeof(line) - 3;
		memcpy(line, s, n);
		memcpy(line + n, "\r\n", 3);
		buf_add(b, line);
		s += n;
		if (*s == '\n')
			s++;
	}
}

/* ---- RFC 2047 subjects ------------------------------------------- */

/* Input bytes per encoded-word: 36 bytes are 48 base64 characters, so a
 * word ("=?utf-8?B?" + 48 + "?=") is 60 characters, and a line holding one
 * ("Subject: " or the folding space before it) stays under 76. */
#define WORD_BYTES	36
/* A subject of printable ASCII this long or shorter goes as it is:
 * "Subject: " and it fit in 78 characters (RFC 5322 2.1.1). */
#define PLAIN_MAX	69

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
base64(char *out, const unsigned char *in, size_t n)
{
	size_t		 i, o = 0;
	unsigned long	 v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	return o;
}

/*
 * A Subject value as it goes into the header (contract §10.9): printable
 * ASCII up to PLAIN_MAX characters as it is; anything else as RFC 2047
 * encoded-words (UTF-8, B encoding) of at most WORD_BYTES input bytes,
 * never splitting a UTF-8 sequence between two words (RFC 2047 5), one
 * word a line, lines folded with CRLF and a space.  The length, or -1
 * when it does not fit in sz.
 */
int
mail_subject_encode(char *out, size_t sz, const char *subject)
{
	const unsigned char *s = (const unsigned char *)subject;
	size_t		 n = strlen(subject), i, k, b, len = 0;
	char		 word[WORD_BYTES / 3 * 4 + 1];

	for (i = 0; i < n && s[i] >= 0x20 && s[i] <= 0x7e; i++)
		continue;
	if (i == n && n <= PLAIN_MAX) {
		if (n + 1 > sz)
			return -1;
		memcpy(out, subject, n + 1);
		return (int)n;
	}
	for (i = 0; i < n; i += k) {
		k = n - i < WORD_BYTES ? n - i : WORD_BYTES;
		/* Back off to the start of a character: at most 3 bytes,
		 * a UTF-8 character being 4 at most (text that is not
		 * UTF-8 there is cut where it is). */
		for (b = 0; b < 3 && k > 1 && i + k < n &&
		    (s[i + k] & 0xc0) == 0x80; b++)
			k--;
		if (b == 3 && (s[i + k] & 0xc0) == 0x80)
			k += 3;
		word[base64(word, s + i, k)] = '\0';
		if (len + strlen(word) + 16 > sz)
			return -1;
		len += (size_t)snprintf(out + len, sz - len, "%s=?utf-8?B?%s?=",
		    i == 0 ? "" : "\r\n ", word);
	}
	return (int)len;	/* n > 0 here: "" went as it is */
}

/*
 * The reverse, for the development mailbox: a Subject value of n
 * characters as mail_subject_encode() writes it (folded lines included)
 * into out.  A value that is not encoded-words is copied as it is.  The
 * length, or -1 (malformed, or no room).
 */
int
mail_subject_decode(char *out, size_t sz, const char *v, size_t n)
{
	const char	*p = v, *end = v + n, *e, *q;
	size_t		 len = 0;
	int		 x[4], k;
	const char	*a;

	if (n < 10 || strncmp(v, "=?utf-8?B?", 10) != 0) {
		if (n + 1 > sz)
			return -1;
		memcpy(out, v, n);
		out[n] = '\0';
		return (int)n;
	}
	while (p < end) {
		while (p < end && (*p == '\r' || *p == '\n' || *p == ' '))
			p++;
		if (p == end)
			break;
		if (end - p < 12 || strncmp(p, "=?utf-8?B?", 10) != 0 ||
		    (e = memmem(p + 10, (size_t)(end - p - 10), "?=", 2)) ==
		    NULL || (e - p - 10) % 4 != 0)
			return -1;
		for (q = p + 10; q < e; q += 4) {
			for (k = 0; k < 4; k++) {
				a = q[k] != '=' ? strchr(b64, q[k]) : b64;
				if (a == NULL || q[k] == '\0')
					return -1;
				x[k] = (int)(a - b64);
			}
			if (len + 4 > sz)
				return -1;
			out[len++] = (char)(x[0] << 2 | x[1] >> 4);
			if (q[2] != '=')
				out[len++] = (char)((x[1] & 15) << 4 | x[2] >> 2);
			if (q[3] != '=')
				out[len++] = (char)((x[2] & 3) << 6 | x[3]);
		}
		p = e + 2;
	}
	if (len + 1 > sz)
		return -1;
	out[len] = '\0';
	return (int)len;
}

/*
 * The header block of a message, up to and including the blank line, into
 * out.  The length, or -1 when it does not fit in sz (never cut short).
 */
int
mail_headers(char *out, size_t sz, const char *from, const char *to,
    const char *subject, time_t when, const char *id, const char *boundary)
{
	char		 date[64], subj[1024];
	struct tm	 tm;
	int		 n;

	if (strlen(subject) > MAX_SUBJECT || gmtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0 ||
	    mail_subject_encode(subj, sizeof(subj), subject) == -1)
		return -1;
	n = snprintf(out, sz, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%s@glue-mfa>\r\nMIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
	    from, to, subj, date, id, boundary);
	return n >= 0 && (size_t)n < sz ? n : -1;
}

static char *
message_build(const char *to, const char *subject, const char *text,
    const char *html)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 hdr[MAIL_HEADERS_MAX], boundary[33], id[33];

	random_hex(boundary, 16);
	random_hex(id, 16);
	if (mail_headers(hdr, sizeof(hdr), cfg.mail_from, to, subject,
	    clock_now(), id, boundary) == -1) {
		log_err("mail: headers too long");
		return NULL;
	}
	buf_add(&b, hdr);
	snprintf(hdr, sizeof(hdr), "--%s\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	    boundary);
	buf_add(&b, hdr);
	buf_add_crlf(&b, text);
	snprintf(hdr, sizeof(hdr), "\r\n--%s\r\nContent-Type: text/html; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	    boundary);
	buf_add(&b, hdr);
	buf_add_crlf(&b, html);
	snprintf(hdr, sizeof(hdr), "\r\n--%s--\r\n", boundary);
	buf_add(&b, hdr);
	return b.p;
}

/* Written to a temporary name, then renamed: readers never see half. */
static int
spool_write(const char *msg)
{
	char		 tmp[1024], path[1024];
	struct timeval	 tv;
	size_t		 n = strlen(msg);
	int		 fd, ok;

	gettimeofday(&tv, NULL);
	snprintf(path, sizeof(path), "%s/%020lld-%06ld-%ld.eml",
	    cfg.mail_spool_dir, (long long)tv.tv_sec, (long)tv.tv_usec,
	    (long)getpid());
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld", cfg.mail_spool_dir,
	    (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1) {
		log_err("mail: spool %s: %s", cfg.mail_spool_dir,
		    strerror(errno));
		return -1;
	}
	ok = write(fd, msg, n) == (ssize_t)n;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) == -1) {
		log_err("mail: spool write failed: %s", strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Splits sendmail_command on blanks; no shell is involved. */
static int
split_command(char *cmd, char *argv[MAX_ARGS + 1])
{
	char	*p, *save = NULL;
	int	 n = 0;

	for (p = strtok_r(cmd, " \t", &save); p != NULL && n < MAX_ARGS;
	    p = strtok_r(NULL, " \t", &save))
		argv[n++] = p;
	argv[n] = NULL;
	return n;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Feeds msg to the child's stdin within the time limit; -1 on time-out. */
static int
feed(int fd, const char *msg, const struct timespec *t0, long limit)
{
	struct pollfd	 pfd = { fd, POLLOUT, 0 };
	size_t		 off = 0, n = strlen(msg);
	ssize_t		 w;
	long		 left;

	while (off < n) {
		if ((left = limit - ms_since(t0)) <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((w = write(fd, msg + off, n - off)) <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* Waits for the child within the limit; kills it when the time is up. */
static int
reap(pid_t pid, const struct timespec *t0, long limit)
{
	int	 st;
	pid_t	 w;

	for (;;) {
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 :
			    (log_err("mail: sendmail command failed (status "
			    "%d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1), -1);
		if (w == -1 && errno != EINTR)
			return -1;
		if (ms_since(t0) >= limit) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			log_err("mail: sendmail command timed out after %u s",
			    cfg.mail_timeout);
			return -1;
		}
		usleep(5000);
	}
}

static int
sendmail_pipe(const char *msg)
{
	char		*cmd, *argv[MAX_ARGS + 1];
	struct timespec	 t0;
	long		 limit = (long)cfg.mail_timeout * 1000;
	int		 fds[2], devnull, rc;
	pid_t		 pid;

	cmd = xstrdup(cfg.sendmail_command);
	if (split_command(cmd, argv) == 0 || pipe(fds) == -1) {
		free(cmd);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1) {
		log_err("mail: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(cmd);
		return -1;
	}
	if (pid == 0) {
		/* Its own process group, so a time-out ends what it started;
		 * stdin: the message; stdout: nowhere; no inherited sockets. */
		setpgid(0, 0);
		devnull = open("/dev/null", O_WRONLY);
		dup2(fds[0], 0);
		if (devnull != -1)
			dup2(devnull, 1);
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);	/* as in the child: whichever runs first */
	close(fds[0]);
	free(cmd);
	rc = feed(fds[1], msg, &t0, limit);
	close(fds[1]);
	if (rc == -1) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		log_err("mail: sendmail command did not take the message");
		return -1;
	}
	return reap(pid, &t0, limit);
}

/* Hands one message over; 0 on success.  The caller answers 5910 on -1. */
int
mail_send(const char *to, const char *subject, const char *text,
    const char *html)
{
	char	*msg;
	int	 rc;

	if (!valid_email(to) || !valid_email(cfg.mail_from)) {
		log_err("mail: refusing an invalid address");
		return -1;
	}
	if ((msg = message_build(to, subject, text, html)) == NULL)
		return -1;
	if (strcmp(cfg.mail_transport, "spool") == 0)
		rc = spool_write(msg);
	else
		rc = sendmail_pipe(msg);
	free(msg);
	return rc;
}

/* ---- the texts (src/catalog.c, contract §10.9) ----------------------- */

/*
 * What a code bound to an action allows (contract §10.8), one phrase per
 * protected action of src/config.c's protected_actions (a unit test checks
 * that each has one), completing "Use this code only ...".  Constant text:
 * nothing a client sent reaches the mail but the choice of the row.
 */
static const struct {
	unsigned	 method;
	const char	*type;
	enum msg	 phrase;
} action_phrases[] = {
	{ M_PATCH, "customers", MSG_ACT_CUSTOMER_PATCH },
	{ M_DELETE, "customers", MSG_ACT_CUSTOMER_DELETE },
	{ M_PATCH, "customer-password", MSG_ACT_PASSWORD },
	{ M_POST, "addresses", MSG_ACT_ADDRESS_POST },
	{ M_PATCH, "addresses", MSG_ACT_ADDRESS_PATCH },
	{ M_DELETE, "addresses", MSG_ACT_ADDRESS_DELETE },
	{ M_POST, "users", MSG_ACT_USER_POST },
	{ M_PATCH, "users", MSG_ACT_USER_PATCH },
	{ M_DELETE, "users", MSG_ACT_USER_DELETE },
	{ M_POST, "customer-multi-factor-auth-type-deactivate",
	    MSG_ACT_RESCUE },
};

const char *
mail_action_phrase(unsigned method, const char *type)
{
	size_t	 i;

	for (i = 0; i < nitems(action_phrases); i++)
		if (action_phrases[i].method == method &&
		    strcmp(action_phrases[i].type, type) == 0)
			return catalog_text(LANG_EN, action_phrases[i].phrase);
	return NULL;
}

/* The sentence of a code bound to an action, in language l: purpose is
 * the English phrase mail_action_phrase() gave. */
static void
purpose_sentence(char *out, size_t sz, enum lang l, const char *purpose)
{
	const char	*what = purpose;
	size_t		 i;

	for (i = 0; i < nitems(action_phrases); i++)
		if (strcmp(catalog_text(LANG_EN, action_phrases[i].phrase),
		    purpose) == 0)
			what = catalog_text(l, action_phrases[i].phrase);
	if (catalog_render(out, sz, catalog_text(l, MSG_PURPOSE),
	    (const char *const [][2]){ { "what", what } }, 1) < 0)
		out[0] = '\0';
}

/* The language of a stored locale: "" or NULL is default_locale's. */
enum lang
mail_lang(const char *locale)
{
	return locale_lang(locale != NULL && locale[0] != '\0' ? locale :
	    cfg.default_locale);
}

/* "5 minutes", "1 Stunde": n of a unit, singular for 1. */
static void
amount(char *out, size_t sz, enum lang l, enum msg one, long n)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%ld", n);
	if (catalog_render(out, sz, catalog_text(l, n == 1 ? one : one + 1),
	    (const char *const [][2]){ { "n", num } }, 1) == -1)
		snprintf(out, sz, "%s", num);
}

/*
 * Renders subject, text and HTML of one mail and hands it over.  tv and
 * hv are the values of the text and of the HTML part (n each), alike but
 * for a paragraph that is a line in one and a <p> in the other.
 */
static int
send_rendered(const char *to, enum lang l, enum msg subject, enum msg text,
    const char *const tv[][2], const char *const hv[][2], size_t n)
{
	char	 t[2048], h[4096];
	int	 rc = -1;

	if (catalog_render(t, sizeof(t), catalog_text(l, text), tv, n) < 0 ||
	    catalog_render(h, sizeof(h), catalog_text(l, text + 1), hv,
	    n) < 0)
		log_err("mail: message %d does not render", (int)text);
	else
		rc = mail_send(to, catalog_text(l, subject), t, h);
	wipe(t, sizeof(t));
	wipe(h, sizeof(h));
	return rc;
}

/*
 * The code mail (contract §6): the code, how long it lives, what to do.
 * purpose is NULL, or the English phrase of what a code bound to an
 * action allows (mail_action_phrase(), contract §10.8): its sentence, in
 * the mail's language, goes in a paragraph of its own after the code.
 */
int
mail_code(const char *to, const char *locale, const char *code, long ttl,
    const char *purpose)
{
	enum lang l = mail_lang(locale);
	char	 expiry[64], sentence[400], ptext[512], phtml[560];

	amount(expiry, sizeof(expiry), l, MSG_MINUTES_ONE, (ttl + 59) / 60);
	ptext[0] = phtml[0] = '\0';
	if (purpose != NULL && purpose[0] != '\0') {
		purpose_sentence(sentence, sizeof(sentence), l, purpose);
		snprintf(ptext, sizeof(ptext), "%s\n\n", sentence);
		snprintf(phtml, sizeof(phtml), "<p>%s</p>\n", sentence);
	}
	return send_rendered(to, l, MSG_CODE_SUBJECT, MSG_CODE_TEXT,
	    (const char *const [][2]){ { "code", code }, { "expiry", expiry },
	    { "purpose", ptext } },
	    (const char *const [][2]){ { "code", code }, { "expiry", expiry },
	    { "purpose", phtml } }, 3);
}

/*
 * The registration key mailed at sign-up (contract §3.2): the customer
 * sends it to POST /customer-confirmation.  The key, like a code, is wiped
 * after use.
 */
int
mail_registration(const char *to, const char *locale, const char *key,
    long ttl)
{
	enum lang l = mail_lang(locale);
	char	 expiry[64];
	const char *const v[][2] = { { "key", key }, { "expiry", expiry } };

	amount(expiry, sizeof(expiry), l, MSG_HOURS_ONE, (ttl + 3599) / 3600);
	return send_rendered(to, l, MSG_REG_SUBJECT, MSG_REG_TEXT, v, v, 2);
}

/* Notification mails carry no code: what happened, when, what to do. */
int
mail_notice(const char *to, const char *locale, enum notice what,
    long long when)
{
	/* Each notice's subject; its event sentence is the next message. */
	static const enum msg kinds[] = {
		[NOTICE_ON] = MSG_ON_SUBJECT,
		[NOTICE_OFF] = MSG_OFF_SUBJECT,
		[NOTICE_ADMIN_OFF] = MSG_ADMIN_OFF_SUBJECT,
		[NOTICE_LOCKED] = MSG_LOCKED_SUBJECT,
		[NOTICE_USERNAME_OLD] = MSG_USERNAME_OLD_SUBJECT,
		[NOTICE_USERNAME_NEW] = MSG_USERNAME_NEW_SUBJECT,
		[NOTICE_RECOVERY_NEW] = MSG_RECOVERY_NEW_SUBJECT,
		[NOTICE_RECOVERY_USED] = MSG_RECOVERY_USED_SUBJECT,
	};
	enum lang l = mail_lang(locale);
	char	 stamp[21];
	const char *const v[][2] = {
		{ "event", (unsigned)what < nitems(kinds) ?
		    catalog_text(l, kinds[what] + 1) : "" },
		{ "when", stamp } };

	if ((unsigned)what >= nitems(kinds)) {
		log_err("mail: unknown notice %d", (int)what);
		return -1;
	}
	iso8601(stamp, when);
	return send_rendered(to, l, kinds[what], MSG_NOTICE_TEXT, v, v, 2);
}
