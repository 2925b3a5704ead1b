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

/*
 * The header block of a message, up to and including the blank line, into
 * out.  The length, or -1 when it does not fit in sz (never cut short).
 */
int
mail_headers(char *out, size_t sz, const char *from, const char *to,
    const char *subject, time_t when, const char *id, const char *boundary)
{
	char		 date[64];
	struct tm	 tm;
	int		 n;

	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		return -1;
	n = snprintf(out, sz, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%s@glue-mfa>\r\nMIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
	    from, to, subject, date, id, boundary);
	return n >= 0 && (size_t)n < sz ? n : -1;
}

static char *
message_build(const char *to, const char *subject, const char *text,
    const char *html)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 hdr[1024], boundary[33], id[33];

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

/* ---- the texts ------------------------------------------------------ */

/* The code mail (contract §6): the code, how long it lives, what to do. */
/*
 * What a code bound to an action allows (contract §10.8), one phrase per
 * protected action of src/config.c's protected_actions (a unit test checks
 * that each has one), completing "Use this code only ...".  Constant text:
 * nothing a client sent reaches the mail but the choice of the row.
 */
static const struct {
	unsigned	 method;
	const char	*type;
	const char	*phrase;
} action_phrases[] = {
	{ M_PATCH, "customers", "to change your account details" },
	{ M_DELETE, "customers", "to delete your account" },
	{ M_PATCH, "customer-password", "to change your password" },
	{ M_POST, "addresses", "to add an address" },
	{ M_PATCH, "addresses", "to change an address" },
	{ M_DELETE, "addresses", "to delete an address" },
	{ M_POST, "users", "to create a back-office user" },
	{ M_PATCH, "users", "to change a back-office user" },
	{ M_DELETE, "users", "to delete a back-office user" },
	{ M_POST, "customer-multi-factor-auth-type-deactivate",
	    "to switch off a customer's multi-factor authentication" },
};

const char *
mail_action_phrase(unsigned method, const char *type)
{
	size_t	 i;

	for (i = 0; i < nitems(action_phrases); i++)
		if (action_phrases[i].method == method &&
		    strcmp(action_phrases[i].type, type) == 0)
			return action_phrases[i].phrase;
	return NULL;
}

int
mail_code(const char *to, const char *code, long ttl, const char *purpose)
{
	char	 text[1024], html[2048], use[160];
	long	 minutes = (ttl + 59) / 60;
	int	 rc;

	if (purpose != NULL)
		snprintf(use, sizeof(use), "Use this code only %s: it allows "
		    "that request and nothing else.", purpose);
	else
		snprintf(use, sizeof(use), "Use this code to proceed with "
		    "your request.");
	snprintf(text, sizeof(text),
	    "Your verification code is: %s\n\n"
	    "%s It expires in "
	    "%ld minute%s and works once.\n\n"
	    "If you did not ask for this code, ignore this e-mail: "
	    "nothing happens without it.\n", code, use, minutes,
	    minutes == 1 ? "" : "s");
	snprintf(html, sizeof(html),
	    "<!DOCTYPE html><html><body>"
	    "<p>Your verification code is:</p>"
	    "<p style=\"font-size:24px;font-weight:bold;letter-spacing:4px\">"
	    "%s</p>"
	    "<p>%s It expires in "
	    "%ld minute%s and works once.</p>"
	    "<p>If you did not ask for this code, ignore this e-mail: "
	    "nothing happens without it.</p></body></html>\n", code, use,
	    minutes, minutes == 1 ? "" : "s");
	rc = mail_send(to, "Verification Code for Secure Access", text, html);
	wipe(text, sizeof(text));
	wipe(html, sizeof(html));
	return rc;
}

/*
 * The registration key mailed at sign-up (contract §3.2): the customer
 * sends it to POST /customer-confirmation.  The key, like a code, is wiped
 * after use.
 */
int
mail_registration(const char *to, const char *key, long ttl)
{
	char	 text[1024], html[2048];
	long	 hours = (ttl + 3599) / 3600;
	int	 rc;

	snprintf(text, sizeof(text),
	    "Welcome! Please confirm your e-mail address.\n\n"
	    "Your registration key is: %s\n\n"
	    "It expires in %ld hour%s and works once. Until your address is "
	    "confirmed you cannot sign in.\n\n"
	    "If you did not sign up, ignore this e-mail: the account stays "
	    "unconfirmed.\n", key, hours, hours == 1 ? "" : "s");
	snprintf(html, sizeof(html),
	    "<!DOCTYPE html><html><body>"
	    "<p>Welcome! Please confirm your e-mail address.</p>"
	    "<p>Your registration key is:</p>"
	    "<p style=\"font-family:monospace;font-weight:bold\">%s</p>"
	    "<p>It expires in %ld hour%s and works once. Until your address "
	    "is confirmed you cannot sign in.</p>"
	    "<p>If you did not sign up, ignore this e-mail: the account stays "
	    "unconfirmed.</p></body></html>\n", key, hours,
	    hours == 1 ? "" : "s");
	rc = mail_send(to, "Please confirm your e-mail address", text, html);
	wipe(text, sizeof(text));
	wipe(html, sizeof(html));
	return rc;
}

/* Notification mails carry no code: what happened, when, what to do. */
int
mail_notice(const char *to, enum notice what, long long when)
{
	static const struct {
		const char	*subject, *event;
	} kinds[] = {
		[NOTICE_ON] = { "Multi-factor authentication switched on",
		    "Multi-factor authentication was switched on for your "
		    "account." },
		[NOTICE_OFF] = { "Multi-factor authentication switched off",
		    "Multi-factor authentication was switched off for your "
		    "account." },
		[NOTICE_ADMIN_OFF] = { "Multi-factor authentication switched "
		    "off by an administrator", "An administrator switched off "
		    "multi-factor authentication for your account." },
		[NOTICE_LOCKED] = { "Verification temporarily locked",
		    "Too many wrong verification codes were entered for your "
		    "account, so code checks are locked for a while." },
		[NOTICE_USERNAME_OLD] = { "Your username was changed",
		    "An administrator changed the username of your back-office "
		    "account: it is no longer this address, and sign-ins and "
		    "codes now use the new one. Every session of the account "
		    "was ended." },
		[NOTICE_USERNAME_NEW] = { "This address is now your username",
		    "An administrator made this address the username of a "
		    "back-office account. Sign in with it from now on." },
		[NOTICE_RECOVERY_NEW] = { "New recovery codes",
		    "A new set of recovery codes was made for your account; "
		    "the codes of any earlier set no longer work." },
		[NOTICE_RECOVERY_USED] = { "A recovery code was used",
		    "One of your recovery codes was used to confirm a request "
		    "on your account. It cannot be used again." },
	};
	char	 stamp[21], text[1024], html[2048];

	iso8601(stamp, when);
	snprintf(text, sizeof(text), "%s\n\nWhen: %s (UTC)\n\n"
	    "If this was not you, change your password now and contact "
	    "support.\n", kinds[what].event, stamp);
	snprintf(html, sizeof(html), "<!DOCTYPE html><html><body><p>%s</p>"
	    "<p>When: %s (UTC)</p><p>If this was not you, change your "
	    "password now and contact support.</p></body></html>\n",
	    kinds[what].event, stamp);
	return mail_send(to, kinds[what].subject, text, html);
}
