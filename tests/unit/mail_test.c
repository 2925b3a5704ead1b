/*
 * src/catalog.c and the subject encoder of src/mail.c (contract §10.9):
 * locale names, the catalogue's completeness, rendering, and RFC 2047
 * encoded-words decoded back here, with their line lengths.  The e2e test
 * (tests/e2e/test_mail_locale.py) decodes the same subjects with Python's
 * email.header.decode_header.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glue.h"
#include "unit.h"

static int
b64val(char c)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(a, c);

	return c != '\0' && p != NULL ? (int)(p - a) : -1;
}

/* Base64 text of n characters into out; its length, or -1. */
static long
unb64(unsigned char *out, const char *in, size_t n)
{
	size_t	 i, o = 0;
	int	 v[4], k;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++)
			v[k] = in[i + k] == '=' ? 0 : b64val(in[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (in[i + 2] != '=')
			out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (in[i + 3] != '=')
			out[o++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	return (long)o;
}

/*
 * Decodes an encoded subject value ("=?utf-8?B?...?=" words, folded with
 * CRLF SP) into out; checks every line (with "Subject: " before the first)
 * is at most 76 characters and every word holds whole UTF-8 characters.
 * 0, or -1.
 */
static int
decode_subject(char *out, size_t sz, const char *v)
{
	const char	*p = v, *e;
	size_t		 len = 0, line;
	long		 n;
	unsigned char	 w[64];
	int		 first = 1;

	while (*p != '\0') {
		if (!first) {
			if (strncmp(p, "\r\n ", 3) != 0)
				return -1;
			p += 3;
		}
		if (strncmp(p, "=?utf-8?B?", 10) != 0 ||
		    (e = strstr(p + 10, "?=")) == NULL)
			return -1;
		line = (size_t)(e + 2 - p) + (first ? 9 : 1);
		if (line > 76)
			return -1;
		if ((n = unb64(w, p + 10, (size_t)(e - p - 10))) < 0 ||
		    len + (size_t)n + 1 > sz)
			return -1;
		/* A word starts on a character, ends after a whole one. */
		if (n > 0 && ((w[0] & 0xc0) == 0x80))
			return -1;
		memcpy(out + len, w, (size_t)n);
		len += (size_t)n;
		p = e + 2;
		first = 0;
	}
	out[len] = '\0';
	return 0;
}

static void
test_subject_plain(void)
{
	char	 out[256];

	CHECK_INT(mail_subject_encode(out, sizeof(out),
	    "Verification Code for Secure Access"), 35);
	CHECK_STR(out, "Verification Code for Secure Access");
	/* 69 characters of ASCII: as it is; 70: encoded (folded). */
	CHECK_INT(mail_subject_encode(out, sizeof(out), "Multi-Faktor-"
	    "Authentifizierung von einem Administrator ausgeschaltet"), 68);
	CHECK_INT(mail_subject_encode(out, sizeof(out),
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	    69);
	CHECK(mail_subject_encode(out, sizeof(out),
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	    > 69);
	CHECK(strncmp(out, "=?utf-8?B?", 10) == 0);
	CHECK(strstr(out, "\r\n =?utf-8?B?") != NULL);
	/* The buffer: whole or refused. */
	CHECK_INT(mail_subject_encode(out, 5, "Hello"), -1);
	CHECK_INT(mail_subject_encode(out, 6, "Hello"), 5);
	CHECK_INT(mail_subject_encode(out, sizeof(out), ""), 0);
	CHECK_STR(out, "");
}

static void
test_subject_encoded(void)
{
	char	 out[512], back[256];

	/* One short word, exactly as RFC 2047 B encoding gives it. */
	CHECK(mail_subject_encode(out, sizeof(out), "Grüße") > 0);
	CHECK_STR(out, "=?utf-8?B?R3LDvMOfZQ==?=");
	/* 42 bytes: a word of 36, folded, a word of 6. */
	CHECK_INT(mail_subject_encode(out, sizeof(out),
	    "Bestätigungscode für den sicheren Zugang"), 83);
	CHECK_STR(out, "=?utf-8?B?QmVzdMOkdGlndW5nc2NvZGUgZsO8ciBkZW4gc2ljaG"
	    "VyZW4g?=\r\n =?utf-8?B?WnVnYW5n?=");
	CHECK_INT(decode_subject(back, sizeof(back), out), 0);
	CHECK_STR(back, "Bestätigungscode für den sicheren Zugang");
	/* Too small for the words: refused, not cut. */
	CHECK_INT(mail_subject_encode(out, 40,
	    "Bestätigungscode für den sicheren Zugang"), -1);
	/* A control character is encoded, never written raw. */
	CHECK(mail_subject_encode(out, sizeof(out), "a\r\nBcc: x") > 0);
	CHECK(strchr(out, '\n') == NULL);
	CHECK_INT(decode_subject(back, sizeof(back), out), 0);
	CHECK_STR(back, "a\r\nBcc: x");
}

/* Two-, three- and four-byte characters at every offset: words never
 * split one, lines stay within 76, and the text comes back whole. */
static void
test_subject_boundaries(void)
{
	static const char *const ch[] = { "ä", "€", "😀", "a" };
	char	 in[400], out[2048], back[512];
	size_t	 c, pre, k, n;
	int	 ok = 1;

	for (c = 0; c < nitems(ch); c++)
		for (pre = 0; pre < 8; pre++) {
			n = 0;
			for (k = 0; k < pre; k++)
				in[n++] = 'x';
			for (k = 0; k < 40; k++) {
				memcpy(in + n, ch[c], strlen(ch[c]));
				n += strlen(ch[c]);
			}
			in[n] = '\0';
			/* 40 "a" and up to 7 "x": plain ASCII, as it is. */
			if (mail_subject_encode(out, sizeof(out), in) <= 0 ||
			    (c == 3 ? strcmp(out, in) != 0 :
			    decode_subject(back, sizeof(back), out) != 0 ||
			    strcmp(back, in) != 0))
				ok = 0;
		}
	CHECKF(ok, "every offset encodes and decodes back");
}

/* The longest header block: two addresses of 254 characters and a subject
 * of MAX_SUBJECT bytes that are all encoded; one byte more is refused. */
static void
test_headers_longest(void)
{
	char	 addr[255], subj[MAX_SUBJECT + 2], out[MAIL_HEADERS_MAX];
	size_t	 i;
	int	 n;

	/* 63-character labels: "a...a@b...b.b...b.b...b.example" */
	memset(addr, 'a', 64);
	addr[64] = '@';
	for (i = 65; i < 254; i++)
		addr[i] = (i - 65) % 64 == 63 ? '.' : 'b';
	memcpy(addr + 254 - 8, ".example", 8);
	addr[254] = '\0';
	CHECK(valid_email(addr));
	for (i = 0; i < MAX_SUBJECT; i += 2)
		memcpy(subj + i, "\xc3\xa4", 2);	/* "ä" */
	subj[MAX_SUBJECT] = '\0';
	n = mail_headers(out, sizeof(out), addr, addr, subj, 0,
	    "0123456789abcdef0123456789abcdef",
	    "0123456789abcdef0123456789abcdef");
	CHECKF(n > 1000 && n < MAIL_HEADERS_MAX, "longest block fits: %d", n);
	subj[MAX_SUBJECT] = 'a';
	subj[MAX_SUBJECT + 1] = '\0';
	CHECK_INT(mail_headers(out, sizeof(out), addr, addr, subj, 0,
	    "0123456789abcdef0123456789abcdef",
	    "0123456789abcdef0123456789abcdef"), -1);
}

/* mail_subject_decode (the development mailbox) undoes the encoder. */
static void
test_subject_decode(void)
{
	static const char *const in[] = {
		"Bestätigungscode für den sicheren Zugang", "Grüße", "a",
		"Verification Code for Secure Access",
		"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char	 enc[1024], dec[512];
	size_t	 i;
	int	 n;

	for (i = 0; i < nitems(in); i++) {
		n = mail_subject_encode(enc, sizeof(enc), in[i]);
		CHECKF(n > 0 && mail_subject_decode(dec, sizeof(dec), enc,
		    (size_t)n) == (int)strlen(in[i]) && strcmp(dec, in[i]) == 0,
		    "subject %zu decodes back", i);
	}
	CHECK_INT(mail_subject_decode(dec, sizeof(dec), "=?utf-8?B?R3LDvMOfZQ=?=",
	    22), -1);
	CHECK_INT(mail_subject_decode(dec, sizeof(dec), "=?utf-8?B?R3L*MOfZQ==?=",
	    23), -1);
	CHECK_INT(mail_subject_decode(dec, sizeof(dec), "=?utf-8?B?R3LDvMOfZQ==",
	    22), -1);
	CHECK_INT(mail_subject_decode(dec, 4, "=?utf-8?B?R3LDvMOfZQ==?=", 24), -1);
	CHECK_INT(mail_subject_decode(dec, sizeof(dec), "plain", 5), 5);
	CHECK_STR(dec, "plain");
}

/* A configuration string replaced as config.c would (no leak). */
static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

static void
test_locales(void)
{
	static const struct {
		const char	*in, *want;	/* want NULL: refused */
	} t[] = {
		{ "en_US", "en_US" }, { "de_DE", "de_DE" }, { "de", "de_DE" },
		{ "en", "en_US" }, { "DE", "de_DE" }, { "de-at", "de_AT" },
		{ "de_CH", "de_CH" }, { "en-GB", "en_GB" }, { "En_gB", "en_GB" },
		{ "fr_FR", NULL }, { "fr", NULL }, { "", NULL }, { "d", NULL },
		{ "de_", NULL }, { "de_D", NULL }, { "de_DEU", NULL },
		{ "de DE", NULL }, { "de_D1", NULL }, { "deu", NULL },
		{ "de.DE", NULL }, { "ä_DE", NULL }, { "de_DE.UTF-8", NULL },
		{ "en_US\n", NULL },
	};
	char	 out[MAX_LOCALE + 1];
	size_t	 i;
	int	 rc;

	for (i = 0; i < nitems(t); i++) {
		memset(out, 0, sizeof(out));
		rc = locale_normalise(out, t[i].in);
		if (t[i].want == NULL)
			CHECKF(rc == -1, "locale \"%s\" refused", t[i].in);
		else
			CHECKF(rc == 0 && strcmp(out, t[i].want) == 0,
			    "locale \"%s\" -> \"%s\" (got \"%s\")", t[i].in,
			    t[i].want, out);
	}
	CHECK_INT(locale_lang("de_AT"), LANG_DE);
	CHECK_INT(locale_lang("en_US"), LANG_EN);
	CHECK_INT(locale_lang(NULL), LANG_EN);
	/* "" is the default's: mail_lang resolves it. */
	set_str(&cfg.default_locale, "de_DE");
	CHECK_INT(mail_lang(""), LANG_DE);
	CHECK_INT(mail_lang(NULL), LANG_DE);
	CHECK_INT(mail_lang("en_GB"), LANG_EN);
	set_str(&cfg.default_locale, "en_US");
	CHECK_INT(mail_lang(""), LANG_EN);
}

static void
test_catalog(void)
{
	char		 why[256], out[64];
	size_t		 m, l;
	int		 ok = 1;

	why[0] = '\0';
	CHECK_INT(catalog_check(why, sizeof(why)), 0);
	CHECK_STR(why, "");
	for (m = 0; m < MSG__COUNT; m++)
		for (l = 0; l < LANG__COUNT; l++)
			if (catalog_text((enum lang)l, (enum msg)m) == NULL ||
			    catalog_text((enum lang)l, (enum msg)m)[0] == '\0')
				ok = 0;
	CHECKF(ok, "every message in every language");
	/* The German texts are German, not copies of the English ones. */
	ok = 1;
	for (m = 0; m < MSG__COUNT; m++)
		if (strcmp(catalog_text(LANG_EN, (enum msg)m),
		    catalog_text(LANG_DE, (enum msg)m)) == 0)
			ok = 0;
	CHECKF(ok, "no German text is the English one");
	CHECK_STR(catalog_text(LANG_DE, MSG_CODE_SUBJECT),
	    "Bestätigungscode für den sicheren Zugang");

	CHECK_INT(catalog_render(out, sizeof(out), "{n} Minuten",
	    (const char *const [][2]){ { "n", "5" } }, 1), 9);
	CHECK_STR(out, "5 Minuten");
	/* An unknown name, or no room: refused. */
	CHECK_INT(catalog_render(out, sizeof(out), "{m} Minuten",
	    (const char *const [][2]){ { "n", "5" } }, 1), -1);
	CHECK_INT(catalog_render(out, 9, "{n} Minuten",
	    (const char *const [][2]){ { "n", "5" } }, 1), -1);
	CHECK_INT(catalog_render(out, 10, "{n} Minuten",
	    (const char *const [][2]){ { "n", "5" } }, 1), 9);
	/* A value is not a template. */
	CHECK_INT(catalog_render(out, sizeof(out), "[{n}]",
	    (const char *const [][2]){ { "n", "{n}" } }, 1), 5);
	CHECK_STR(out, "[{n}]");
}

/* The newest file of dir, read whole into a buffer the caller frees. */
static char *
newest(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	char		 best[256] = "", path[512], *buf;
	FILE		*f;
	long		 n;

	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(d);
	snprintf(path, sizeof(path), "%s/%s", dir, best);
	if (best[0] == '\0' || (f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	buf[fread(buf, 1, (size_t)n, f)] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

/* The longest line of a message, CRLF not counted. */
static size_t
longest_line(const char *m)
{
	size_t	 n, max = 0;

	for (; *m != '\0'; m += n + (m[n] != '\0' ? 2 : 0)) {
		n = strcspn(m, "\r");
		if (n > max)
			max = n;
		if (m[n] == '\r' && m[n + 1] != '\n')
			return (size_t)-1;	/* a bare CR */
	}
	return max;
}

/* The mails as the spool gets them, in both languages. */
static void
test_mails(void)
{
	char	 dir[] = "/tmp/glue-mail-test-XXXXXX", *m;

	if (mkdtemp(dir) == NULL) {
		CHECKF(0, "mkdtemp");
		return;
	}
	set_str(&cfg.mail_transport, "spool");
	set_str(&cfg.mail_spool_dir, dir);
	set_str(&cfg.mail_from, "no-reply@example.com");
	set_str(&cfg.default_locale, "en_US");

	CHECK_INT(mail_code("a@example.com", "de_DE", "123456", 300, NULL), 0);
	CHECK((m = newest(dir)) != NULL);
	if (m != NULL) {
		CHECK(strstr(m, "\r\nSubject: =?utf-8?B?QmVzdMOkdGlndW5nc2NvZGUg"
		    "ZsO8ciBkZW4gc2ljaGVyZW4g?=\r\n =?utf-8?B?WnVnYW5n?=\r\n")
		    != NULL);
		CHECK(strstr(m, "Ihr Bestätigungscode lautet: 123456\r\n")
		    != NULL);
		CHECK(strstr(m, "läuft in 5 Minuten ab") != NULL);
		CHECK(strstr(m, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n") != NULL);
		CHECK(strstr(m, "<html lang=\"de\">") != NULL);
		CHECK(longest_line(m) <= 200);
		free(m);
	}
	/* No locale: the default; a purpose (the English phrase of an
	 * action, contract §10.8) goes in its own paragraph. */
	CHECK_INT(mail_code("a@example.com", "", "654321", 60,
	    mail_action_phrase(M_PATCH, "customer-password")), 0);
	CHECK((m = newest(dir)) != NULL);
	if (m != NULL) {
		CHECK(strstr(m, "\r\nSubject: Verification Code for Secure "
		    "Access\r\n") != NULL);
		CHECK(strstr(m, "Your verification code is: 654321\r\n\r\n"
		    "Use this code only to change your password: it allows "
		    "that request and nothing else.\r\n\r\nUse this"
		    " code") != NULL);
		CHECK(strstr(m, "</p>\r\n<p>Use this code only to change your "
		    "password: it allows that request and nothing else.</p>"
		    "\r\n<p>Use") != NULL);
		CHECK(strstr(m, "expires in 1 minute and") != NULL);
		CHECK(longest_line(m) <= 200);
		free(m);
	}
	/* The same action in German: the sentence and the phrase. */
	CHECK_INT(mail_code("a@example.com", "de_DE", "654321", 60,
	    mail_action_phrase(M_PATCH, "customer-password")), 0);
	CHECK((m = newest(dir)) != NULL);
	if (m != NULL) {
		CHECK(strstr(m, "Verwenden Sie diesen Code nur, um Ihr "
		    "Passwort zu ändern: Er erlaubt genau diese Anfrage und "
		    "nichts anderes.\r\n\r\n") != NULL);
		CHECK(strstr(m, "only to change") == NULL);
		free(m);
	}
	CHECK_INT(mail_registration("a@example.com", "de_AT", "KEY", 86400),
	    0);
	CHECK((m = newest(dir)) != NULL);
	if (m != NULL) {
		CHECK(strstr(m, "Ihr Registrierungsschlüssel lautet: KEY") !=
		    NULL);
		CHECK(strstr(m, "läuft in 24 Stunden ab") != NULL);
		free(m);
	}
	CHECK_INT(mail_notice("a@example.com", "de_DE", NOTICE_LOCKED, 0), 0);
	CHECK((m = newest(dir)) != NULL);
	if (m != NULL) {
		CHECK(strstr(m, "\r\n\r\nZeitpunkt: 1970-01-01T00:00:00Z (UTC)"
		    "\r\n\r\nWenn Sie das nicht waren") != NULL);
		CHECK(strstr(m, "Codeprüfungen") != NULL);
		free(m);
	}
	CHECK_INT(mail_notice("a@example.com", "de_DE", (enum notice)99, 0),
	    -1);
	rmdir(dir);
}

int
main(void)
{
	config_defaults();
	test_subject_plain();
	test_subject_encoded();
	test_subject_boundaries();
	test_subject_decode();
	test_headers_longest();
	test_locales();
	test_catalog();
	test_mails();
	return unit_done();
}
