/*
 * The configuration file (contract §7.1): "key = value" lines, '#' comments
 * (a line of its own, or after a value: see strip_comment()).  Every key is
 * declared once in keys[] with its default and bounds; an unknown key, a
 * key given twice, a bad value, an unreadable file or one others may read
 * stops start-up with one line naming the key (and its line).  The result
 * lives in the process-wide cfg.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glue.h"

struct config cfg;

enum ktype { K_STR, K_UINT, K_LONG, K_CHOICE, K_LIST, K_SWITCH };

struct key {
	const char	*name;
	enum ktype	 type;
	const char	*def;
	long		 min, max;	/* K_UINT, K_LONG */
	const char	*choices;	/* K_CHOICE: '|'-separated; K_LIST: allowed items, ',' */
	size_t		 off;
	const char	*shared;	/* a per-side key: the shared key whose
					 * value it takes when not given */
};

#define S(f)	offsetof(struct config, f)

/* A key of the MFA engine: shared, then per side (contract §10.6). */
#define PER_SIDE(name, f, def, min, max)				\
	{ name, K_LONG, def, min, max, NULL, S(f), NULL },		\
	{ "storefront." name, K_LONG, NULL, min, max, NULL,		\
	    S(side[SIDE_STOREFRONT].f), name },				\
	{ "backend." name, K_LONG, NULL, min, max, NULL,		\
	    S(side[SIDE_BACKEND].f), name }

/*
 * The resource types each side's programs serve: the one list of them.
 * protected_storefront and protected_backend may name only these (a typo
 * such as "adresses" would otherwise protect nothing), and every program
 * checks at start-up that its routes' types are here (config_check_routes),
 * so a new resource is added here or its program does not start.
 */
#define MFA_TYPES	"multi-factor-auth-types,multi-factor-auth-type-activate," \
			"multi-factor-auth-type-verify,multi-factor-auth-trigger," \
			"multi-factor-auth-type-deactivate,multi-factor-auth-recovery-codes," \
			"multi-factor-auth-webauthn-credentials"
const char	 storefront_types[] = "access-tokens,refresh-tokens,token,customers,"
		    "customer-password,customer-confirmation,addresses,dev-mailbox,"
		    MFA_TYPES;
const char	 backend_types[] = "token,users,"
		    "customer-multi-factor-auth-type-deactivate," MFA_TYPES;

/*
 * The protected actions a code can be bound to (contract §10.8): the
 * writes of the programs' routes that the guard can check, each with what
 * names its resource in the path.  Every program checks at start-up that
 * its routes of these types agree (config_check_routes), and each action
 * has its phrase in the code mail (mail.c's action_phrases, unit-tested).
 */
const struct protected_action protected_actions[] = {
	{ SIDE_STOREFRONT, M_PATCH, "customers", AID_REF },
	{ SIDE_STOREFRONT, M_DELETE, "customers", AID_REF },
	{ SIDE_STOREFRONT, M_PATCH, "customer-password", AID_REF },
	{ SIDE_STOREFRONT, M_POST, "addresses", AID_NONE },
	{ SIDE_STOREFRONT, M_PATCH, "addresses", AID_UUID },
	{ SIDE_STOREFRONT, M_DELETE, "addresses", AID_UUID },
	{ SIDE_BACKEND, M_POST, "users", AID_NONE },
	{ SIDE_BACKEND, M_PATCH, "users", AID_UUID },
	{ SIDE_BACKEND, M_DELETE, "users", AID_UUID },
	{ SIDE_BACKEND, M_POST, "customer-multi-factor-auth-type-deactivate",
	    AID_NONE },
};
const size_t	 nprotected_actions = nitems(protected_actions);

/* The action of side (method, type), or NULL: not one a code binds to. */
const struct protected_action *
protected_action(enum side side, unsigned method, const char *type)
{
	size_t	 i;

	for (i = 0; i < nprotected_actions; i++)
		if (protected_actions[i].side == side &&
		    protected_actions[i].method == method &&
		    strcmp(protected_actions[i].type, type) == 0)
			return &protected_actions[i];
	return NULL;
}

static const struct key keys[] = {
	{ "db_socket", K_STR, "/run/mysqld/mysqld.sock", 0, 0, NULL, S(db_socket), NULL },
	{ "db_host", K_STR, "", 0, 0, NULL, S(db_host), NULL },
	{ "db_port", K_UINT, "3306", 1, 65535, NULL, S(db_port), NULL },
	{ "db_user", K_STR, "glue_mfa", 0, 0, NULL, S(db_user), NULL },
	{ "db_password", K_STR, "", 0, 0, NULL, S(db_password), NULL },
	{ "db_name", K_STR, "glue_mfa", 0, 0, NULL, S(db_name), NULL },
	{ "db_connect_timeout", K_UINT, "2", 1, 60, NULL, S(db_connect_timeout), NULL },
	/* contract §9.2: a frozen database is answered 503 within these.
	 * A read outwaits a lock wait (DB_LOCK_WAIT_TIMEOUT), which is
	 * retried, so a read timeout means a server that does not answer. */
	{ "db_read_timeout", K_UINT, "2", DB_LOCK_WAIT_TIMEOUT + 1, 300, NULL, S(db_read_timeout), NULL },
	{ "db_write_timeout", K_UINT, "2", 1, 300, NULL, S(db_write_timeout), NULL },
	/* contract §9.9: Galera's causal reads, a bit mask (0 leaves the
	 * session as the server sets it). */
	{ "db_wsrep_sync_wait", K_UINT, "0", 0, MAX_WSREP_SYNC_WAIT, NULL, S(db_wsrep_sync_wait), NULL },
	{ "secret_key_file", K_STR, "/etc/glue-mfa/secret.key", 0, 0, NULL, S(secret_key_file), NULL },
	{ "mail_transport", K_CHOICE, "sendmail", 0, 0, "sendmail|spool", S(mail_transport), NULL },
	{ "sendmail_command", K_STR, "/usr/sbin/sendmail -t -i", 0, 0, NULL, S(sendmail_command), NULL },
	{ "mail_spool_dir", K_STR, "", 0, 0, NULL, S(mail_spool_dir), NULL },
	{ "mail_timeout", K_UINT, "3", 1, 300, NULL, S(mail_timeout), NULL },
	{ "mail_from", K_STR, "no-reply@localhost.localdomain", 0, 0, NULL, S(mail_from), NULL },
	/* contract §10.9: the mails' language when an account chose none. */
	{ "default_locale", K_STR, "en_US", 0, 0, NULL, S(default_locale), NULL },
	{ "access_token_ttl", K_LONG, "28800", 60, 31 * 86400L, NULL, S(access_token_ttl), NULL },
	{ "refresh_token_ttl", K_LONG, "2592000", 60, 366 * 86400L, NULL, S(refresh_token_ttl), NULL },
	/* Sign-in and password checks (contract §3.6).  NIST SP 800-63B-4
	 * §3.2.2: at most 100 consecutive failures per account. */
	{ "login_max_failures", K_LONG, "100", 1, 100, NULL, S(login_max_failures), NULL },
	{ "login_account_window", K_LONG, "86400", 60, 30 * 86400L, NULL, S(login_account_window), NULL },
	{ "login_delay_after", K_LONG, "5", 1, 100, NULL, S(login_delay_after), NULL },
	{ "login_delay_base", K_LONG, "2", 1, 3600, NULL, S(login_delay_base), NULL },
	{ "login_delay_max", K_LONG, "600", 1, 86400, NULL, S(login_delay_max), NULL },
	{ "login_max_failures_per_account_address", K_LONG, "5", 1, 1000, NULL, S(login_max_failures_per_account_address), NULL },
	{ "login_max_failures_per_address", K_LONG, "50", 1, 100000, NULL, S(login_max_failures_per_address), NULL },
	{ "login_window", K_LONG, "900", 1, 86400, NULL, S(login_window), NULL },
	/* Argon2id for passwords (contract §11.1): 19 MiB and 2 passes
	 * by default, OWASP's minimum and the floor; a hash made with
	 * other parameters is made again at its next sign-in. */
	{ "password_memory_kib", K_LONG, "19456", MIN_PASSWORD_MEMORY_KIB, MAX_PASSWORD_MEMORY_KIB, NULL, S(password_memory_kib), NULL },
	{ "password_iterations", K_LONG, "2", MIN_PASSWORD_ITERATIONS, MAX_PASSWORD_ITERATIONS, NULL, S(password_iterations), NULL },
	/* Proxies whose Forwarded / X-Forwarded-For is believed (§3.12). */
	{ "trusted_proxies", K_STR, "", 0, 0, NULL, S(trusted_proxies), NULL },
	/* The Storefront API's OAuth issuer URL (contract §10.5): "" takes
	 * it from the request, as links are (§2.6). */
	{ "oauth_issuer", K_STR, "", 0, 0, NULL, S(oauth_issuer), NULL },
	/*
	 * The MFA engine's code and limit keys (contract §5, §9.4): each
	 * also per side, "storefront.<key>" and "backend.<key>" (contract
	 * §10.6), with the same bounds, taking the shared key's value when
	 * not given (side_defaults()).
	 */
	PER_SIDE("code_length", code_length, "6", MIN_CODE_LENGTH, MAX_CODE_LENGTH),
	PER_SIDE("code_ttl", code_ttl, "600", 30, 86400),
	PER_SIDE("attempts_per_code", attempts_per_code, "3", 1, 100),
	PER_SIDE("max_failures", max_failures, "10", 1, MAX_MAX_FAILURES),
	PER_SIDE("lockout_seconds", lockout_seconds, "300", 1, MAX_LOCKOUT_SECONDS),
	PER_SIDE("grace_period", grace_period, "300", 0, 86400),
	PER_SIDE("resend_cooldown", resend_cooldown, "60", 0, 86400),
	PER_SIDE("daily_send_cap", daily_send_cap, "20", 1, 10000),
	/* Failed code mails per account before a pause (contract §9.4). */
	PER_SIDE("mail_failure_cap", mail_failure_cap, "5", 1, 1000),
	PER_SIDE("mail_failure_window", mail_failure_window, "300", 60, 86400),
	PER_SIDE("daily_recipient_cap", daily_recipient_cap, "50", 1, 100000),
	PER_SIDE("totp_window", totp_window, "1", 0, 2),
	/* A second factor at sign-in (contract §10.12): "on" or "off",
	 * stored as 1 or 0 (K_SWITCH), so per side as the keys above. */
	{ "mfa_at_sign_in", K_SWITCH, "off", 0, 0, NULL, S(mfa_at_sign_in), NULL },
	{ "storefront.mfa_at_sign_in", K_SWITCH, NULL, 0, 0, NULL,
	    S(side[SIDE_STOREFRONT].mfa_at_sign_in), "mfa_at_sign_in" },
	{ "backend.mfa_at_sign_in", K_SWITCH, NULL, 0, 0, NULL,
	    S(side[SIDE_BACKEND].mfa_at_sign_in), "mfa_at_sign_in" },
	{ "totp_issuer", K_STR, "glue-mfa", 0, 0, NULL, S(totp_issuer), NULL },
	{ "protected_storefront", K_LIST, "customers,customer-password,addresses", 0, 0, storefront_types, S(protected_storefront), NULL },
	{ "protected_backend", K_LIST, "users,customer-multi-factor-auth-type-deactivate", 0, 0, backend_types, S(protected_backend), NULL },
	{ "dev_mailbox", K_CHOICE, "off", 0, 0, "on|off", S(dev_mailbox), NULL },
	/* Which exist is the MFA engine's table (mfa_check_config()). */
	{ "methods", K_LIST, "email", 0, 0, NULL, S(methods), NULL },
	/* Sign-up and confirmation (contract §3.2, §5.3). */
	{ "signup_limit_per_address", K_LONG, "20", 1, 1000000, NULL, S(signup_limit_per_address), NULL },
	{ "signup_limit_global", K_LONG, "60", 1, 1000000, NULL, S(signup_limit_global), NULL },
	{ "customer_confirmation", K_CHOICE, "on", 0, 0, "on|off", S(customer_confirmation), NULL },
	{ "registration_key_ttl", K_LONG, "172800", 600, 30 * 86400L, NULL, S(registration_key_ttl), NULL },
	/* Idempotency-Key: how long a stored answer replays (contract §9.6). */
	{ "idempotency_window", K_LONG, "86400", 60, 7 * 86400L, NULL, S(idempotency_window), NULL },
	/* Origins whose pages may call the API (contract §10.1). */
	{ "cors_allow_origins", K_STR, "", 0, 0, NULL, S(cors_allow_origins), NULL },
	/* Method webauthn (contract §12.5): offered only with an RP ID and
	 * its origins (webauthn_check_config(), run by mfa_check_config()). */
	{ "webauthn_rp_id", K_STR, "", 0, 0, NULL, S(webauthn_rp_id), NULL },
	{ "webauthn_rp_name", K_STR, "glue-mfa", 0, 0, NULL, S(webauthn_rp_name), NULL },
	{ "webauthn_origins", K_STR, "", 0, 0, NULL, S(webauthn_origins), NULL },
	{ "webauthn_user_verification", K_CHOICE, "required", 0, 0, "required|preferred|discouraged", S(webauthn_user_verification), NULL },
	{ "webauthn_counter", K_CHOICE, "audit", 0, 0, "audit|refuse", S(webauthn_counter), NULL },
	{ "webauthn_challenge_ttl", K_LONG, "300", 30, 3600, NULL, S(webauthn_challenge_ttl), NULL },
	{ "webauthn_max_credentials", K_LONG, "10", 1, WA_MAX_CREDENTIALS, NULL, S(webauthn_max_credentials), NULL },
#ifdef GLUE_TESTING
	{ "test_clock_file", K_STR, "", 0, 0, NULL, S(test_clock_file), NULL },
	{ "test_fault_file", K_STR, "", 0, 0, NULL, S(test_fault_file), NULL },
#endif
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Is item one of the comma-separated entries of list? */
int
list_contains(const char *list, const char *item)
{
	size_t	 n = strlen(item), len;
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, item, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static int
choice_ok(const char *choices, const char *v)
{
	size_t	 n = strlen(v);
	const char *p = choices, *e;

	for (;;) {
		e = strchr(p, '|');
		if ((e != NULL ? (size_t)(e - p) : strlen(p)) == n &&
		    strncmp(p, v, n) == 0)
			return 1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* value, for a message: at most 40 bytes, what is not printable as '?'. */
static const char *
shown(char *buf, size_t sz, const char *v)
{
	size_t	 i;

	for (i = 0; v[i] != '\0' && i < 40 && i + 1 < sz; i++)
		buf[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	buf[i] = '\0';
	return buf;
}

/*
 * Lists: comma-separated names [a-z0-9-], blanks removed, no empty entries;
 * with k->choices, only the names listed there.  On error why says which
 * entry is wrong.
 */
static int
list_ok(const struct key *k, char *v, char *why, size_t whysz)
{
	char	*r, *w, *item, *save = NULL, copy[1024], show[48];

	for (r = w = v; *r != '\0'; r++)
		if (!isspace((unsigned char)*r))
			*w++ = *r;
	*w = '\0';
	if (strlen(v) >= sizeof(copy)) {
		snprintf(why, whysz, "longer than %zu bytes", sizeof(copy) - 1);
		return 0;
	}
	if (strstr(v, ",,") != NULL || v[0] == ',' ||
	    (v[0] != '\0' && v[strlen(v) - 1] == ',')) {
		snprintf(why, whysz, "an empty entry");
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", v);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		for (r = item; *r != '\0'; r++)
			if (!islower((unsigned char)*r) &&
			    !isdigit((unsigned char)*r) && *r != '-') {
				snprintf(why, whysz, "\"%s\" is not a name of "
				    "a-z, 0-9 and -", shown(show, sizeof(show),
				    item));
				return 0;
			}
		if (k->choices != NULL && !list_contains(k->choices, item)) {
			snprintf(why, whysz, "unknown resource type \"%s\" "
			    "(known: %s)", item, k->choices);
			return 0;
		}
	}
	return 1;
}

/* Sets k from value; -1 with why (no key name, no line) if it is bad. */
static int
set_key(const struct key *k, const char *value, char *why, size_t whysz)
{
	char	*end, *v, show[48];
	long	 n;

	if (k->type == K_UINT || k->type == K_LONG) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    !isdigit((unsigned char)value[value[0] == '-']) ||
		    n < k->min || n > k->max) {
			snprintf(why, whysz, "invalid value \"%s\": a whole "
			    "number from %ld to %ld", shown(show, sizeof(show),
			    value), k->min, k->max);
			return -1;
		}
		if (k->type == K_UINT)
			*(unsigned *)((char *)&cfg + k->off) = (unsigned)n;
		else
			*(long *)((char *)&cfg + k->off) = n;
		return 0;
	}
	if (k->type == K_SWITCH) {
		if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
			snprintf(why, whysz, "invalid value \"%s\": one of "
			    "on|off", shown(show, sizeof(show), value));
			return -1;
		}
		*(long *)((char *)&cfg + k->off) = strcmp(value, "on") == 0;
		return 0;
	}
	if (k->type == K_CHOICE && !choice_ok(k->choices, value)) {
		snprintf(why, whysz, "invalid value \"%s\": one of %s",
		    shown(show, sizeof(show), value), k->choices);
		return -1;
	}
	v = xstrdup(value);
	if (k->type == K_LIST && !list_ok(k, v, why, whysz)) {
		free(v);
		return -1;
	}
	free(*(char **)((char *)&cfg + k->off));
	*(char **)((char *)&cfg + k->off) = v;
	return 0;
}

static const struct key *key_find(const char *);

/*
 * The per-side keys not given (seen[i] == 0; seen NULL: none given) take
 * their shared key's value (contract §10.6), read already.
 */
static void
side_defaults(const int *seen)
{
	const struct key *from;
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].shared == NULL || (seen != NULL && seen[i] != 0))
			continue;
		if ((from = key_find(keys[i].shared)) == NULL)
			abort();	/* a per-side key of no shared key */
		*(long *)((char *)&cfg + keys[i].off) =
		    *(const long *)((const char *)&cfg + from->off);
	}
}

void
config_defaults(void)
{
	size_t	 i;
	char	 why[8];

	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL &&
		    set_key(&keys[i], keys[i].def, why, sizeof(why)) == -1)
			abort();	/* a default outside its own bounds */
	side_defaults(NULL);
}

/* The MFA engine's settings for a side (contract §10.6). */
const struct mfa_limits *
limits_of(enum side side)
{
	return &cfg.side[side == SIDE_BACKEND ? SIDE_BACKEND :
	    SIDE_STOREFRONT];
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static const struct key *
key_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/*
 * Comments after a value (contract §7.1): a '#' that begins the value or
 * follows a blank (space or tab) starts a comment to the end of the line;
 * a '#' inside a word ("a#b") is part of the value.  db_password alone
 * takes the rest of the line as it is, '#' and all, so that any password
 * can be written: its comments go on a line of their own.
 */
static const char *const verbatim_keys[] = { "db_password" };

static void
strip_comment(const struct key *k, char *value)
{
	size_t	 i;
	char	*p;

	for (i = 0; i < nitems(verbatim_keys); i++)
		if (strcmp(k->name, verbatim_keys[i]) == 0)
			return;
	for (p = value; (p = strchr(p, '#')) != NULL; p++)
		if (p == value || p[-1] == ' ' || p[-1] == '\t') {
			*p = '\0';
			return;
		}
}

/* cors_allow_origins and webauthn_origins (key): comma-separated origins
 * (origin_bad()). */
static int
origins_ok(const char *key, const char *list, char *err, size_t errsz)
{
	const char	*p = list, *e, *why;
	char		 show[48], item[256];
	size_t		 len;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p != '\0') {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		why = len == 0 ? "an empty entry" : len >= sizeof(item) ?
		    "longer than 255 bytes" : origin_bad(p, len);
		if (why != NULL) {
			snprintf(err, errsz, "%s: \"%s\": %s", key,
			    shown(show, sizeof(show), item), why);
			return -1;
		}
		if (e == NULL)
			break;
		for (p = e + 1; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0') {
			snprintf(err, errsz, "%s: an empty entry", key);
			return -1;
		}
	}
	return 0;
}

/*
 * oauth_issuer (contract §10.5): "" or an absolute http(s) URL with a
 * host, an optional port and path, no userinfo, query, fragment or
 * trailing slash (RFC 8414 §2), and nothing a JSON string or a header
 * would have to escape.
 */
static int
issuer_ok(const char *v)
{
	static const char host[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
	static const char path[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~/%!$&'()*+,;=:@";
	size_t	 n, h;

	if (*v == '\0')
		return 1;
	if (strncmp(v, "https://", 8) == 0)
		v += 8;
	else if (strncmp(v, "http://", 7) == 0)
		v += 7;
	else
		return 0;
	n = strlen(v);
	h = strspn(v, host);
	if (h == 0 || h > 255 || (v[h] != '\0' && v[h] != '/') ||
	    strspn(v + h, path) != n - h || n > 200)
		return 0;
	return v[n - 1] != '/';
}

/* Cross-key rules, checked once every line is read. */
static int
config_check(char *err, size_t errsz)
{
	char	 norm[MAX_LOCALE + 1];

	if (strcmp(cfg.mail_transport, "spool") == 0 &&
	    cfg.mail_spool_dir[0] == '\0') {
		snprintf(err, errsz, "mail_spool_dir: required when "
		    "mail_transport = spool");
		return -1;
	}
	if (!valid_email(cfg.mail_from)) {
		snprintf(err, errsz, "mail_from: not a plain e-mail address");
		return -1;
	}
	if (locale_normalise(norm, cfg.default_locale) != 0) {
		snprintf(err, errsz, "default_locale: not a locale of the mail "
		    "catalogue (en, de, as en_US, de_DE, de-AT ...)");
		return -1;
	}
	free(cfg.default_locale);
	cfg.default_locale = xstrdup(norm);
	if (catalog_check(err, errsz) != 0)
		return -1;
	if (!net_list_ok(cfg.trusted_proxies)) {
		snprintf(err, errsz, "trusted_proxies: not a list of addresses "
		    "and networks");
		return -1;
	}
	if (origins_ok("cors_allow_origins", cfg.cors_allow_origins, err,
	    errsz) != 0 || origins_ok("webauthn_origins", cfg.webauthn_origins,
	    err, errsz) != 0)
		return -1;
	if (!issuer_ok(cfg.oauth_issuer)) {
		snprintf(err, errsz, "oauth_issuer: not an http or https URL "
		    "without query, fragment or trailing slash");
		return -1;
	}
	if (cfg.methods[0] == '\0') {
		snprintf(err, errsz, "methods: at least one method is needed");
		return -1;
	}
	return 0;
}

/* Parses text over the defaults.  On error err holds one line. */
int
config_parse(const char *text, char *err, size_t errsz)
{
	char	*copy, *line, *next, *eq, *name, *value, why[400];
	const struct key *k;
	int	 lineno = 0, rc = -1, seen[NKEYS] = { 0 };

	config_defaults();
	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			snprintf(err, errsz, "line %d: expected key = value",
			    lineno);
			goto out;
		}
		*eq = '\0';
		name = trim(line);
		if ((k = key_find(name)) == NULL) {
			snprintf(err, errsz, "%.64s: line %d: unknown key",
			    name, lineno);
			goto out;
		}
		if (seen[k - keys] != 0) {
			snprintf(err, errsz, "%s: line %d: given twice (first "
			    "on line %d)", k->name, lineno, seen[k - keys]);
			goto out;
		}
		seen[k - keys] = lineno;
		value = eq + 1;
		strip_comment(k, value);
		if (set_key(k, trim(value), why, sizeof(why)) == -1) {
			snprintf(err, errsz, "%s: line %d: %s", k->name, lineno,
			    why);
			goto out;
		}
	}
	side_defaults(seen);
	rc = config_check(err, errsz);
out:
	free(copy);
	return rc;
}

/*
 * Opens a file that holds secrets (the configuration, the secret key) for
 * reading: others may have no access and the group no write; group read is
 * allowed, for a web server's group.  -1 with err "what: ..." otherwise.
 */
int
private_open(const char *what, const char *path, char *err, size_t errsz)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "%s: cannot open %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errsz, "%s: %s is not a regular file", what,
		    path);
		return -1;
	}
	if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		close(fd);
		snprintf(err, errsz, "%s: %s is accessible to others or "
		    "writable by its group (mode %04o; chmod 640 or 600)",
		    what, path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return fd;
}

int
config_load(const char *path, char *err, size_t errsz)
{
	FILE	*f;
	char	*text;
	size_t	 n;
	int	 fd, rc;

	if (path == NULL || *path == '\0') {
		snprintf(err, errsz, "MFA_CONFIG: not set");
		return -1;
	}
	if ((fd = private_open("MFA_CONFIG", path, err, errsz)) == -1)
		return -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		snprintf(err, errsz, "MFA_CONFIG: cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	text = xmalloc(65536);
	n = fread(text, 1, 65535, f);
	text[n] = '\0';
	rc = ferror(f) || !feof(f) ? -1 : 0;
	fclose(f);
	if (rc == -1)
		snprintf(err, errsz, "MFA_CONFIG: %s: unreadable or over 64 KiB",
		    path);
	else
		rc = config_parse(text, err, errsz);
	free(text);
	return rc;
}

/*
 * A route of a type some protected action names (contract §10.8): its
 * write is one of them, with an id in the path (a pattern ending in ":")
 * exactly when the action says so.  0 agrees, -1 not.
 */
static int
route_action_ok(enum side side, const struct route *rt)
{
	const struct protected_action *a;
	size_t	 i, n, typed = 0;

	if (rt->type == NULL || !(rt->method & (M_POST | M_PUT | M_PATCH |
	    M_DELETE)) || !(rt->flags & R_AUTH) || (rt->flags & R_MFA))
		return 0;
	for (i = 0; i < nprotected_actions; i++)
		typed += protected_actions[i].side == side &&
		    strcmp(protected_actions[i].type, rt->type) == 0;
	if (typed == 0)
		return 0;
	if ((a = protected_action(side, rt->method, rt->type)) == NULL)
		return -1;
	n = strlen(rt->pattern);
	return (a->id != AID_NONE) == (n > 0 && rt->pattern[n - 1] == ':') ?
	    0 : -1;
}

/*
 * Every route of a program names a resource type its side serves
 * (storefront_types, backend_types above): else the program does not
 * start, so the list protected_* is checked against cannot fall behind.
 */
int
config_check_routes(const struct program *p, char *err, size_t errsz)
{
	const char	*known = p->side == SIDE_BACKEND ? backend_types :
			    storefront_types;
	size_t		 i;

	for (i = 0; i < p->nroutes; i++) {
		if (p->routes[i].type != NULL &&
		    !list_contains(known, p->routes[i].type)) {
			snprintf(err, errsz, "%s: resource type \"%s\" is not "
			    "in src/config.c's %s", p->name,
			    p->routes[i].type, p->side == SIDE_BACKEND ?
			    "backend_types" : "storefront_types");
			return -1;
		}
		if (route_action_ok(p->side, &p->routes[i]) != 0) {
			snprintf(err, errsz, "%s: route \"%s\" does not agree "
			    "with src/config.c's protected_actions", p->name,
			    p->routes[i].pattern);
			return -1;
		}
	}
	return 0;
}
