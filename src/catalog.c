/*
 * The mail catalogue (contract §10.9): every text of every mail, in each
 * language shipped, and the locale names accounts choose them by.
 *
 * One table, a row per message and a column per language: a row written
 * without its German text does not compile (CATALOG's X() takes exactly
 * one argument per language), and catalog_check(), run at start-up by
 * config_parse(), refuses a text that is empty, holds a CR or a control
 * character, or whose {placeholders} differ from the English row's, so no
 * language can lose a value the others show.
 *
 * Texts are UTF-8.  A placeholder is "{name}", replaced by catalog_render()
 * with a value the caller gives; a value is never read as a template.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"

/*
 * X(id, English, German).  Bodies use LF; mail.c writes CRLF.  The HTML
 * has a line per paragraph, so no line of a mail nears RFC 5322's 998
 * octets (catalog_check() holds each line of a text to LINE_MAX_BYTES).
 * The code mail's {purpose} is empty, or the sentence (with its line
 * break) that names what a code is for.
 */
#define CATALOG \
X(MSG_CODE_SUBJECT, \
    "Verification Code for Secure Access", \
    "Bestätigungscode für den sicheren Zugang") \
X(MSG_CODE_TEXT, \
    "Your verification code is: {code}\n\n" \
    "{purpose}" \
    "Use this code to proceed with your request. It expires in " \
    "{expiry} and works once.\n\n" \
    "If you did not ask for this code, ignore this e-mail: " \
    "nothing happens without it.\n", \
    "Ihr Bestätigungscode lautet: {code}\n\n" \
    "{purpose}" \
    "Verwenden Sie diesen Code, um mit Ihrer Anfrage fortzufahren. Er " \
    "läuft in {expiry} ab und gilt nur einmal.\n\n" \
    "Wenn Sie diesen Code nicht angefordert haben, ignorieren Sie diese " \
    "E-Mail: Ohne ihn geschieht nichts.\n") \
X(MSG_CODE_HTML, \
    "<!DOCTYPE html><html lang=\"en\"><body>\n" \
    "<p>Your verification code is:</p>\n" \
    "<p style=\"font-size:24px;font-weight:bold;letter-spacing:4px\">" \
    "{code}</p>\n{purpose}" \
    "<p>Use this code to proceed with your request. It expires in " \
    "{expiry} and works once.</p>\n" \
    "<p>If you did not ask for this code, ignore this e-mail: " \
    "nothing happens without it.</p></body></html>\n", \
    "<!DOCTYPE html><html lang=\"de\"><body>\n" \
    "<p>Ihr Bestätigungscode lautet:</p>\n" \
    "<p style=\"font-size:24px;font-weight:bold;letter-spacing:4px\">" \
    "{code}</p>\n{purpose}" \
    "<p>Verwenden Sie diesen Code, um mit Ihrer Anfrage fortzufahren. Er " \
    "läuft in {expiry} ab und gilt nur einmal.</p>\n" \
    "<p>Wenn Sie diesen Code nicht angefordert haben, ignorieren Sie " \
    "diese E-Mail: Ohne ihn geschieht nichts.</p></body></html>\n") \
X(MSG_MINUTES_ONE, "{n} minute", "{n} Minute") \
X(MSG_MINUTES_MANY, "{n} minutes", "{n} Minuten") \
X(MSG_HOURS_ONE, "{n} hour", "{n} Stunde") \
X(MSG_HOURS_MANY, "{n} hours", "{n} Stunden") \
X(MSG_REG_SUBJECT, \
    "Please confirm your e-mail address", \
    "Bitte bestätigen Sie Ihre E-Mail-Adresse") \
X(MSG_REG_TEXT, \
    "Welcome! Please confirm your e-mail address.\n\n" \
    "Your registration key is: {key}\n\n" \
    "It expires in {expiry} and works once. Until your address is " \
    "confirmed you cannot sign in.\n\n" \
    "If you did not sign up, ignore this e-mail: the account stays " \
    "unconfirmed.\n", \
    "Willkommen! Bitte bestätigen Sie Ihre E-Mail-Adresse.\n\n" \
    "Ihr Registrierungsschlüssel lautet: {key}\n\n" \
    "Er läuft in {expiry} ab und gilt nur einmal. Solange Ihre Adresse " \
    "nicht bestätigt ist, können Sie sich nicht anmelden.\n\n" \
    "Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail: " \
    "Das Konto bleibt unbestätigt.\n") \
X(MSG_REG_HTML, \
    "<!DOCTYPE html><html lang=\"en\"><body>\n" \
    "<p>Welcome! Please confirm your e-mail address.</p>\n" \
    "<p>Your registration key is:</p>\n" \
    "<p style=\"font-family:monospace;font-weight:bold\">{key}</p>\n" \
    "<p>It expires in {expiry} and works once. Until your address " \
    "is confirmed you cannot sign in.</p>\n" \
    "<p>If you did not sign up, ignore this e-mail: the account stays " \
    "unconfirmed.</p></body></html>\n", \
    "<!DOCTYPE html><html lang=\"de\"><body>\n" \
    "<p>Willkommen! Bitte bestätigen Sie Ihre E-Mail-Adresse.</p>\n" \
    "<p>Ihr Registrierungsschlüssel lautet:</p>\n" \
    "<p style=\"font-family:monospace;font-weight:bold\">{key}</p>\n" \
    "<p>Er läuft in {expiry} ab und gilt nur einmal. Solange Ihre " \
    "Adresse nicht bestätigt ist, können Sie sich nicht anmelden.</p>\n" \
    "<p>Wenn Sie sich nicht registriert haben, ignorieren Sie diese " \
    "E-Mail: Das Konto bleibt unbestätigt.</p></body></html>\n") \
X(MSG_NOTICE_TEXT, \
    "{event}\n\nWhen: {when} (UTC)\n\n" \
    "If this was not you, change your password now and contact " \
    "support.\n", \
    "{event}\n\nZeitpunkt: {when} (UTC)\n\n" \
    "Wenn Sie das nicht waren, ändern Sie jetzt Ihr Passwort und wenden " \
    "Sie sich an den Support.\n") \
X(MSG_NOTICE_HTML, \
    "<!DOCTYPE html><html lang=\"en\"><body>\n<p>{event}</p>\n" \
    "<p>When: {when} (UTC)</p>\n<p>If this was not you, change your " \
    "password now and contact support.</p></body></html>\n", \
    "<!DOCTYPE html><html lang=\"de\"><body>\n<p>{event}</p>\n" \
    "<p>Zeitpunkt: {when} (UTC)</p>\n<p>Wenn Sie das nicht waren, ändern " \
    "Sie jetzt Ihr Passwort und wenden Sie sich an den Support.</p>\n" \
    "</body></html>\n") \
X(MSG_ON_SUBJECT, \
    "Multi-factor authentication switched on", \
    "Multi-Faktor-Authentifizierung eingeschaltet") \
X(MSG_ON_EVENT, \
    "Multi-factor authentication was switched on for your account.", \
    "Die Multi-Faktor-Authentifizierung wurde für Ihr Konto " \
    "eingeschaltet.") \
X(MSG_OFF_SUBJECT, \
    "Multi-factor authentication switched off", \
    "Multi-Faktor-Authentifizierung ausgeschaltet") \
X(MSG_OFF_EVENT, \
    "Multi-factor authentication was switched off for your account.", \
    "Die Multi-Faktor-Authentifizierung wurde für Ihr Konto " \
    "ausgeschaltet.") \
X(MSG_ADMIN_OFF_SUBJECT, \
    "Multi-factor authentication switched off by an administrator", \
    "Multi-Faktor-Authentifizierung von einem Administrator " \
    "ausgeschaltet") \
X(MSG_ADMIN_OFF_EVENT, \
    "An administrator switched off multi-factor authentication for " \
    "your account.", \
    "Ein Administrator hat die Multi-Faktor-Authentifizierung für Ihr " \
    "Konto ausgeschaltet.") \
X(MSG_LOCKED_SUBJECT, \
    "Verification temporarily locked", \
    "Bestätigung vorübergehend gesperrt") \
X(MSG_LOCKED_EVENT, \
    "Too many wrong verification codes were entered for your account, " \
    "so code checks are locked for a while.", \
    "Für Ihr Konto wurden zu viele falsche Bestätigungscodes " \
    "eingegeben, daher sind Codeprüfungen eine Weile gesperrt.") \
X(MSG_USERNAME_OLD_SUBJECT, \
    "Your username was changed", \
    "Ihr Benutzername wurde geändert") \
X(MSG_USERNAME_OLD_EVENT, \
    "An administrator changed the username of your back-office " \
    "account: it is no longer this address, and sign-ins and codes " \
    "now use the new one. Every session of the account was ended.", \
    "Ein Administrator hat den Benutzernamen Ihres Back-Office-Kontos " \
    "geändert: Es ist nicht mehr diese Adresse, Anmeldungen und Codes " \
    "verwenden jetzt den neuen. Alle Sitzungen des Kontos wurden " \
    "beendet.") \
X(MSG_USERNAME_NEW_SUBJECT, \
    "This address is now your username", \
    "Diese Adresse ist jetzt Ihr Benutzername") \
X(MSG_USERNAME_NEW_EVENT, \
    "An administrator made this address the username of a back-office " \
    "account. Sign in with it from now on.", \
    "Ein Administrator hat diese Adresse zum Benutzernamen eines " \
    "Back-Office-Kontos gemacht. Melden Sie sich ab jetzt damit an.") \
X(MSG_RECOVERY_NEW_SUBJECT, \
    "New recovery codes", \
    "Neue Wiederherstellungscodes") \
X(MSG_RECOVERY_NEW_EVENT, \
    "A new set of recovery codes was made for your account; the codes " \
    "of any earlier set no longer work.", \
    "Für Ihr Konto wurde ein neuer Satz Wiederherstellungscodes " \
    "erstellt; die Codes früherer Sätze gelten nicht mehr.") \
X(MSG_RECOVERY_USED_SUBJECT, \
    "A recovery code was used", \
    "Ein Wiederherstellungscode wurde verwendet") \
X(MSG_RECOVERY_USED_EVENT, \
    "One of your recovery codes was used to confirm a request on your " \
    "account. It cannot be used again.", \
    "Einer Ihrer Wiederherstellungscodes wurde verwendet, um eine " \
    "Anfrage in Ihrem Konto zu bestätigen. Er kann nicht erneut " \
    "verwendet werden.") \
X(MSG_PURPOSE, \
    "Use this code only {what}: it allows that request and nothing else.", \
    "Verwenden Sie diesen Code nur, {what}: Er erlaubt genau diese " \
    "Anfrage und nichts anderes.") \
X(MSG_ACT_CUSTOMER_PATCH, "to change your account details", \
    "um Ihre Kontodaten zu ändern") \
X(MSG_ACT_CUSTOMER_DELETE, "to delete your account", \
    "um Ihr Konto zu löschen") \
X(MSG_ACT_PASSWORD, "to change your password", \
    "um Ihr Passwort zu ändern") \
X(MSG_ACT_ADDRESS_POST, "to add an address", \
    "um eine Adresse hinzuzufügen") \
X(MSG_ACT_ADDRESS_PATCH, "to change an address", \
    "um eine Adresse zu ändern") \
X(MSG_ACT_ADDRESS_DELETE, "to delete an address", \
    "um eine Adresse zu löschen") \
X(MSG_ACT_USER_POST, "to create a back-office user", \
    "um einen Back-Office-Benutzer anzulegen") \
X(MSG_ACT_USER_PATCH, "to change a back-office user", \
    "um einen Back-Office-Benutzer zu ändern") \
X(MSG_ACT_USER_DELETE, "to delete a back-office user", \
    "um einen Back-Office-Benutzer zu löschen") \
X(MSG_ACT_RESCUE, \
    "to switch off a customer's multi-factor authentication", \
    "um die Multi-Faktor-Authentifizierung eines Kunden abzuschalten")

static const char *const catalog[MSG__COUNT][LANG__COUNT] = {
#define X(id, en, de)	[id] = { [LANG_EN] = en, [LANG_DE] = de },
	CATALOG
#undef X
};

/* The enum in glue.h and the table list the same messages, in one order. */
enum { CATALOG_ROWS = 0
#define X(id, en, de)	+ 1
	CATALOG
#undef X
};
_Static_assert((int)CATALOG_ROWS == (int)MSG__COUNT, "catalogue rows and enum msg");
_Static_assert(MSG_CODE_HTML == MSG_CODE_TEXT + 1 &&
    MSG_REG_HTML == MSG_REG_TEXT + 1 &&
    MSG_NOTICE_HTML == MSG_NOTICE_TEXT + 1 &&
    MSG_MINUTES_MANY == MSG_MINUTES_ONE + 1 &&
    MSG_HOURS_MANY == MSG_HOURS_ONE + 1 &&
    MSG_RECOVERY_USED_EVENT == MSG_RECOVERY_USED_SUBJECT + 1 &&
    MSG_ON_EVENT == MSG_ON_SUBJECT + 1, "the orders mail.c relies on");

/* The longest line of a text, values not counted: with the longest value
 * (a 560-byte purpose paragraph) a line stays under 998 octets. */
#define LINE_MAX_BYTES	400

/* The subjects: each one line of at most MAX_SUBJECT bytes, which
 * mail.c's header block has room for. */
static const enum msg subjects[] = {
	MSG_CODE_SUBJECT, MSG_REG_SUBJECT, MSG_ON_SUBJECT, MSG_OFF_SUBJECT,
	MSG_ADMIN_OFF_SUBJECT, MSG_LOCKED_SUBJECT, MSG_USERNAME_OLD_SUBJECT,
	MSG_USERNAME_NEW_SUBJECT, MSG_RECOVERY_NEW_SUBJECT,
	MSG_RECOVERY_USED_SUBJECT,
};

/* The languages: their code, and the country a bare code stands for. */
static const struct {
	const char	*code, *region;
} langs[LANG__COUNT] = {
	[LANG_EN] = { "en", "US" },
	[LANG_DE] = { "de", "DE" },
};

const char *
catalog_text(enum lang l, enum msg m)
{
	if ((unsigned)l >= LANG__COUNT)
		l = LANG_EN;
	return catalog[m][l];
}

static int
letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/*
 * A locale as accounts give it: "ll" or "ll_CC" (Spryker's form) or
 * "ll-CC" (BCP 47), letters in either case, ll a language of the
 * catalogue.  Into out (MAX_LOCALE + 1 bytes) in Spryker's form: language
 * lower case, country upper case, '_'; a bare language gets its usual
 * country (en_US, de_DE).  0, or -1 (not a locale, or no catalogue).
 */
int
locale_normalise(char *out, const char *in)
{
	size_t	 n = strlen(in), i;
	char	 ll[3];

	if ((n != 2 && n != 5) || !letter(in[0]) || !letter(in[1]) ||
	    (n == 5 && ((in[2] != '_' && in[2] != '-') || !letter(in[3]) ||
	    !letter(in[4]))))
		return -1;
	ll[0] = lower(in[0]);
	ll[1] = lower(in[1]);
	ll[2] = '\0';
	for (i = 0; i < LANG__COUNT; i++)
		if (strcmp(langs[i].code, ll) == 0)
			break;
	if (i == LANG__COUNT)
		return -1;
	out[0] = ll[0];
	out[1] = ll[1];
	out[2] = '_';
	out[3] = n == 5 ? upper(in[3]) : langs[i].region[0];
	out[4] = n == 5 ? upper(in[4]) : langs[i].region[1];
	out[5] = '\0';
	return 0;
}

/* The language of a normalised locale; English for anything else. */
enum lang
locale_lang(const char *locale)
{
	size_t	 i;

	if (locale == NULL)
		return LANG_EN;
	for (i = 0; i < LANG__COUNT; i++)
		if (strncmp(locale, langs[i].code, 2) == 0)
			return (enum lang)i;
	return LANG_EN;
}

/* The placeholder names of t, in order, each followed by ',' into out. */
static int
placeholders(const char *t, char *out, size_t sz)
{
	const char	*p, *e;
	size_t		 len = 0, n;

	out[0] = '\0';
	for (p = t; (p = strchr(p, '{')) != NULL; p = e + 1) {
		if ((e = strchr(p, '}')) == NULL)
			return -1;
		n = (size_t)(e - p - 1);
		if (n == 0 || len + n + 2 > sz)
			return -1;
		memcpy(out + len, p + 1, n);
		len += n;
		out[len++] = ',';
		out[len] = '\0';
	}
	return 0;
}

/*
 * Every text present and clean, its placeholders those of the English
 * row, subjects a single line.  0, or -1 with why naming the message.
 */
int
catalog_check(char *why, size_t sz)
{
	char		 want[256], got[256];
	const char	*t;
	size_t		 m, l, line;

	for (m = 0; m < MSG__COUNT; m++) {
		if (catalog[m][LANG_EN] == NULL || placeholders(
		    catalog[m][LANG_EN], want, sizeof(want)) != 0) {
			snprintf(why, sz, "catalogue: message %zu: English "
			    "text missing or malformed", m);
			return -1;
		}
		for (l = 0; l < LANG__COUNT; l++) {
			t = catalog[m][l];
			if (t == NULL || t[0] == '\0' || strchr(t, '\r') ||
			    placeholders(t, got, sizeof(got)) != 0 ||
			    strcmp(got, want) != 0) {
				snprintf(why, sz, "catalogue: message %zu: %s "
				    "text missing, empty or with other "
				    "placeholders than English", m,
				    langs[l].code);
				return -1;
			}
			for (line = 0; *t != '\0'; t++) {
				line = *t == '\n' ? 0 : line + 1;
				if (((unsigned char)*t < 0x20 && *t != '\n') ||
				    line > LINE_MAX_BYTES)
					break;
			}
			if (*t != '\0') {
				snprintf(why, sz, "catalogue: message %zu: %s "
				    "text holds a control character or a line "
				    "over %d bytes", m, langs[l].code,
				    LINE_MAX_BYTES);
				return -1;
			}
		}
	}
	for (m = 0; m < nitems(subjects); m++)
		for (l = 0; l < LANG__COUNT; l++) {
			t = catalog[subjects[m]][l];
			if (strchr(t, '\n') != NULL ||
			    strlen(t) > MAX_SUBJECT) {
				snprintf(why, sz, "catalogue: message %d: %s "
				    "subject is not one line of at most %d "
				    "bytes", (int)subjects[m], langs[l].code,
				    MAX_SUBJECT);
				return -1;
			}
		}
	return 0;
}

/*
 * t with each {name} replaced by its value from vars (n pairs of name,
 * value) into out.  The length, or -1: an unknown name, or no room (out
 * is then not to be used).
 */
int
catalog_render(char *out, size_t sz, const char *t,
    const char *const vars[][2], size_t n)
{
	const char	*e, *v;
	size_t		 len = 0, k, i;

	if (sz == 0)
		return -1;
	while (*t != '\0') {
		if (*t != '{' || (e = strchr(t, '}')) == NULL) {
			if (len + 1 >= sz)
				return -1;
			out[len++] = *t++;
			continue;
		}
		k = (size_t)(e - t - 1);
		for (i = 0; i < n; i++)
			if (strlen(vars[i][0]) == k &&
			    strncmp(vars[i][0], t + 1, k) == 0)
				break;
		if (i == n)
			return -1;
		v = vars[i][1];
		if (len + strlen(v) >= sz)
			return -1;
		memcpy(out + len, v, strlen(v));
		len += strlen(v);
		t = e + 1;
	}
	out[len] = '\0';
	return (int)len;
}
