/*
 * src/config.c: config_parse on text, the defaults (contract §5, §7.2), bounds
 * from src/bounds.h, choices, lists and the cross-key rules; comments after
 * values, keys given twice, the known resource types; config_load's check
 * of the file's mode (private_open, shared with the secret key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glue.h"
#include "unit.h"

static char	 err[512];

/* config_parse with a fresh error buffer. */
static int
parse(const char *text)
{
	memset(err, 0, sizeof(err));
	return config_parse(text, err, sizeof(err));
}

/* Does err name the key first, as "key: ..."? */
static int
err_names(const char *key)
{
	size_t	 n = strlen(key);

	return strncmp(err, key, n) == 0 && err[n] == ':';
}

static void
test_defaults(void)
{
	CHECK_INT(parse(""), 0);
	CHECK_STR(cfg.db_socket, "/run/mysqld/mysqld.sock");
	CHECK_STR(cfg.db_host, "");
	CHECK_INT(cfg.db_port, 3306);
	CHECK_STR(cfg.db_user, "glue_mfa");
	CHECK_STR(cfg.db_password, "");
	CHECK_STR(cfg.db_name, "glue_mfa");
	CHECK_INT(cfg.db_connect_timeout, 2);
	CHECK_INT(cfg.db_read_timeout, 2);
	CHECK_INT(cfg.db_write_timeout, 2);
	CHECK_INT(cfg.db_wsrep_sync_wait, 0);
	CHECK_STR(cfg.secret_key_file, "/etc/glue-mfa/secret.key");
	CHECK_STR(cfg.mail_transport, "sendmail");
	CHECK_STR(cfg.sendmail_command, "/usr/sbin/sendmail -t -i");
	CHECK_STR(cfg.mail_spool_dir, "");
	CHECK_INT(cfg.mail_timeout, 3);
	CHECK_STR(cfg.mail_from, "no-reply@localhost.localdomain");
	CHECK_INT(cfg.access_token_ttl, 28800);
	CHECK_INT(cfg.refresh_token_ttl, 2592000);
	CHECK_INT(cfg.login_max_failures, 100);
	CHECK_INT(cfg.login_account_window, 86400);
	CHECK_INT(cfg.login_delay_after, 5);
	CHECK_INT(cfg.login_delay_base, 2);
	CHECK_INT(cfg.login_delay_max, 600);
	CHECK_INT(cfg.login_max_failures_per_account_address, 5);
	CHECK_INT(cfg.login_max_failures_per_address, 50);
	CHECK_INT(cfg.login_window, 900);
	CHECK_STR(cfg.trusted_proxies, "");
	CHECK_INT(cfg.code_length, 6);
	CHECK_INT(cfg.code_ttl, 600);
	CHECK_INT(cfg.attempts_per_code, 3);
	CHECK_INT(cfg.max_failures, 10);
	CHECK_INT(cfg.lockout_seconds, 300);
	CHECK_INT(cfg.grace_period, 300);
	CHECK_INT(cfg.resend_cooldown, 60);
	CHECK_INT(cfg.daily_send_cap, 20);
	CHECK_INT(cfg.mail_failure_cap, 5);
	CHECK_INT(cfg.password_memory_kib, 19456);
	CHECK_INT(cfg.password_iterations, 2);
	CHECK_INT(cfg.mail_failure_window, 300);
	CHECK_INT(cfg.signup_limit_per_address, 20);
	CHECK_INT(cfg.signup_limit_global, 60);
	CHECK_STR(cfg.customer_confirmation, "on");
	CHECK_INT(cfg.daily_recipient_cap, 50);
	CHECK_STR(cfg.protected_storefront,
	    "customers,customer-password,addresses");
	CHECK_STR(cfg.protected_backend,
	    "users,customer-multi-factor-auth-type-deactivate");
	CHECK_STR(cfg.methods, "email");
#ifdef GLUE_TESTING
	CHECK_STR(cfg.test_clock_file, "");
#endif

	/* A parse starts over from the defaults: nothing leaks from the
	 * text parsed before. */
	CHECK_INT(parse("code_length = 8\ndb_name = other"), 0);
	CHECK_INT(cfg.code_length, 8);
	CHECK_INT(parse(""), 0);
	CHECK_INT(cfg.code_length, 6);
	CHECK_STR(cfg.db_name, "glue_mfa");
	config_defaults();
	CHECK_INT(cfg.code_length, 6);
}

static void
test_syntax(void)
{
	/* Comments and blank lines, with and without indentation and CRLF. */
	CHECK_INT(parse("# a comment\n\n   \n\t# indented comment\n"
	    "code_length = 7\n\n# code_length = 9\n"), 0);
	CHECK_INT(cfg.code_length, 7);
	CHECK_INT(parse("#only a comment"), 0);
	CHECK_INT(parse("\n\n\n"), 0);
	CHECK_INT(parse("code_length = 8\r\nmail_timeout = 20\r\n"), 0);
	CHECK_INT(cfg.code_length, 8);
	CHECK_INT(cfg.mail_timeout, 20);

	/* Spaces around '=' and around the line are not part of either. */
	CHECK_INT(parse("code_length=9"), 0);
	CHECK_INT(cfg.code_length, 9);
	CHECK_INT(parse("  code_length \t=\t 10  "), 0);
	CHECK_INT(cfg.code_length, 10);
	CHECK_INT(parse("db_name =   my db  "), 0);
	CHECK_STR(cfg.db_name, "my db");
	/* Only the first '=' separates: values may hold '=' and '#'. */
	CHECK_INT(parse("db_password = a=b#c"), 0);
	CHECK_STR(cfg.db_password, "a=b#c");
	/* An empty value of a string key. */
	CHECK_INT(parse("db_socket ="), 0);
	CHECK_STR(cfg.db_socket, "");
	/* No newline at the end of the text. */
	CHECK_INT(parse("db_user = u"), 0);
	CHECK_STR(cfg.db_user, "u");

	/* A line without '='. */
	CHECK_INT(parse("code_length"), -1);
	CHECK_STR(err, "line 1: expected key = value");
	CHECK_INT(parse("code_length = 7\ncode_length 8\n"), -1);
	CHECK_STR(err, "line 2: expected key = value");
	/* Line numbers count every line, blank ones and comments too. */
	CHECK_INT(parse("# comment\n\ncode_length 8\n"), -1);
	CHECK_STR(err, "line 3: expected key = value");
	CHECK_INT(parse("\n\n\n\nbogus\n"), -1);
	CHECK_STR(err, "line 5: expected key = value");
}

static void
test_unknown_key(void)
{
	CHECK_INT(parse("no_such_key = 1"), -1);
	CHECK(err_names("no_such_key"));
	CHECK(strstr(err, "unknown") != NULL);
	CHECK_INT(parse("code_length = 6\n  colour = blue\n"), -1);
	CHECK(err_names("colour"));
	/* Keys are case-sensitive. */
	CHECK_INT(parse("Code_Length = 6"), -1);
	CHECK(err_names("Code_Length"));
	/* An empty key is no key. */
	CHECK_INT(parse("= 6"), -1);
	/* A long name is cut, not overflowed; the message stays one line. */
	{
		char	 line[700];

		memset(line, 'k', 600);
		memcpy(line + 600, " = 1", 5);
		CHECK_INT(parse(line), -1);
		CHECK(strncmp(err, "kkkk", 4) == 0);
		CHECK(strchr(err, '\n') == NULL);
		CHECK(strlen(err) < sizeof(err) - 1);
	}
#ifdef GLUE_TESTING
	/* Test builds know test_clock_file. */
	CHECK_INT(parse("test_clock_file = /tmp/clock"), 0);
	CHECK_STR(cfg.test_clock_file, "/tmp/clock");
#else
	CHECK_INT(parse("test_clock_file = /tmp/clock"), -1);
	CHECK(err_names("test_clock_file"));
#endif
}

struct num_case {
	const char	*text;
	int		 rc;
	const char	*key;	/* the key err names when rc is -1 */
};

static void
test_numbers(void)
{
	static const struct num_case t[] = {
		/* bad numbers */
		{ "code_length = ", -1, "code_length" },
		{ "code_length = six", -1, "code_length" },
		{ "code_length = 6x", -1, "code_length" },
		{ "code_length = 6 7", -1, "code_length" },
		{ "code_length = 6.0", -1, "code_length" },
		{ "code_length = 0x6", -1, "code_length" },
		{ "code_ttl = 99999999999999999999999", -1, "code_ttl" },
		{ "db_port = -1", -1, "db_port" },
		{ "db_port = 4294967297", -1, "db_port" },
		/* code_length: MIN_CODE_LENGTH..MAX_CODE_LENGTH (6..10) */
		{ "code_length = 5", -1, "code_length" },
		{ "code_length = 6", 0, NULL },
		{ "code_length = 10", 0, NULL },
		{ "code_length = 11", -1, "code_length" },
		{ "code_length = -6", -1, "code_length" },
		/* max_failures: 1..MAX_MAX_FAILURES (100) */
		{ "max_failures = 0", -1, "max_failures" },
		{ "max_failures = 1", 0, NULL },
		{ "max_failures = 100", 0, NULL },
		{ "max_failures = 101", -1, "max_failures" },
		/* lockout_seconds: 1..MAX_LOCKOUT_SECONDS (3600) */
		{ "lockout_seconds = 0", -1, "lockout_seconds" },
		{ "lockout_seconds = 3600", 0, NULL },
		{ "lockout_seconds = 3601", -1, "lockout_seconds" },
		/* password_memory_kib: MIN_PASSWORD_MEMORY_KIB (19456, OWASP's
		 * m = 19 MiB) .. MAX_PASSWORD_MEMORY_KIB (1 GiB) */
		{ "password_memory_kib = 19455", -1, "password_memory_kib" },
		{ "password_memory_kib = 19456", 0, NULL },
		{ "password_memory_kib = 1048576", 0, NULL },
		{ "password_memory_kib = 1048577", -1, "password_memory_kib" },
		{ "password_memory_kib = 0", -1, "password_memory_kib" },
		/* password_iterations: 2 (OWASP's t = 2) .. 16 */
		{ "password_iterations = 1", -1, "password_iterations" },
		{ "password_iterations = 2", 0, NULL },
		{ "password_iterations = 16", 0, NULL },
		{ "password_iterations = 17", -1, "password_iterations" },
		/* db_port: a TCP port */
		{ "db_port = 0", -1, "db_port" },
		{ "db_port = 1", 0, NULL },
		{ "db_port = 65535", 0, NULL },
		{ "db_port = 65536", -1, "db_port" },
		/* 0 is valid for these two (contract §5.1 rule 5, §5.3) */
		{ "grace_period = 0", 0, NULL },
		{ "grace_period = -1", -1, "grace_period" },
		{ "resend_cooldown = 0", 0, NULL },
		{ "attempts_per_code = 0", -1, "attempts_per_code" },
		{ "daily_send_cap = 0", -1, "daily_send_cap" },
		{ "signup_limit_per_address = 0", -1, "signup_limit_per_address" },
		{ "signup_limit_global = 0", -1, "signup_limit_global" },
		{ "customer_confirmation = maybe", -1, "customer_confirmation" },
		{ "daily_recipient_cap = 0", -1, "daily_recipient_cap" },
		{ "access_token_ttl = 59", -1, "access_token_ttl" },
		{ "access_token_ttl = 60", 0, NULL },
		/* Sign-in limits (contract §3.6); NIST SP 800-63B-4 §3.2.2:
		 * at most 100 consecutive failures per account. */
		{ "login_max_failures = 0", -1, "login_max_failures" },
		{ "login_max_failures = 1", 0, NULL },
		{ "login_max_failures = 100", 0, NULL },
		{ "login_max_failures = 101", -1, "login_max_failures" },
		{ "login_account_window = 59", -1, "login_account_window" },
		{ "login_account_window = 60", 0, NULL },
		{ "login_account_window = 2592000", 0, NULL },
		{ "login_account_window = 2592001", -1, "login_account_window" },
		{ "login_delay_after = 0", -1, "login_delay_after" },
		{ "login_delay_after = 1", 0, NULL },
		{ "login_delay_after = 100", 0, NULL },
		{ "login_delay_after = 101", -1, "login_delay_after" },
		{ "login_delay_base = 0", -1, "login_delay_base" },
		{ "login_delay_base = 1", 0, NULL },
		{ "login_delay_base = 3600", 0, NULL },
		{ "login_delay_base = 3601", -1, "login_delay_base" },
		{ "login_delay_max = 0", -1, "login_delay_max" },
		{ "login_delay_max = 1", 0, NULL },
		{ "login_delay_max = 86400", 0, NULL },
		{ "login_delay_max = 86401", -1, "login_delay_max" },
		{ "login_max_failures_per_account_address = 0", -1,
		    "login_max_failures_per_account_address" },
		{ "login_max_failures_per_account_address = 1", 0, NULL },
		{ "login_max_failures_per_account_address = 1000", 0, NULL },
		{ "login_max_failures_per_account_address = 1001", -1,
		    "login_max_failures_per_account_address" },
		{ "login_max_failures_per_address = 0", -1,
		    "login_max_failures_per_address" },
		{ "login_max_failures_per_address = 100000", 0, NULL },
		{ "login_max_failures_per_address = 100001", -1,
		    "login_max_failures_per_address" },
		{ "login_window = 0", -1, "login_window" },
		{ "login_window = 86400", 0, NULL },
		{ "login_window = 86401", -1, "login_window" },
		/* trusted_proxies: addresses and networks, IPv4 and IPv6 */
		{ "trusted_proxies = ", 0, NULL },
		{ "trusted_proxies = 127.0.0.1", 0, NULL },
		{ "trusted_proxies = 10.0.0.0/8, ::1, 2001:db8::/32", 0, NULL },
		{ "trusted_proxies = 0.0.0.0/0", 0, NULL },
		{ "trusted_proxies = 10.0.0.0/33", -1, "trusted_proxies" },
		{ "trusted_proxies = 2001:db8::/129", -1, "trusted_proxies" },
		{ "trusted_proxies = 10.0.0.0/", -1, "trusted_proxies" },
		{ "trusted_proxies = 10.0.0.0/-1", -1, "trusted_proxies" },
		{ "trusted_proxies = proxy.example", -1, "trusted_proxies" },
		{ "trusted_proxies = 127.0.0.1,", -1, "trusted_proxies" },
		{ "trusted_proxies = 127.0.0.1,,::1", -1, "trusted_proxies" },
		{ "trusted_proxies = 256.0.0.1", -1, "trusted_proxies" },
		/* contract §10.1: exact origins, checked at start-up */
		{ "cors_allow_origins = ", 0, NULL },
		{ "cors_allow_origins = https://shop.example", 0, NULL },
		{ "cors_allow_origins = https://a.example, http://127.0.0.1:8080",
		    0, NULL },
		{ "cors_allow_origins = *", -1, "cors_allow_origins" },
		{ "cors_allow_origins = null", -1, "cors_allow_origins" },
		{ "cors_allow_origins = https://a.example/", -1,
		    "cors_allow_origins" },
		{ "cors_allow_origins = https://a.example,", -1,
		    "cors_allow_origins" },
		{ "cors_allow_origins = https://a.example,,https://b.example", -1,
		    "cors_allow_origins" },
		{ "cors_allow_origins = https://a.example:443", -1,
		    "cors_allow_origins" },
		/* oauth_issuer (contract §10.5) */
		{ "oauth_issuer = ", 0, NULL },
		{ "oauth_issuer = https://shop.example.com", 0, NULL },
		{ "oauth_issuer = http://127.0.0.1:8080", 0, NULL },
		{ "oauth_issuer = https://[::1]:8443/glue/api", 0, NULL },
		{ "oauth_issuer = shop.example.com", -1, "oauth_issuer" },
		{ "oauth_issuer = ftp://shop.example.com", -1, "oauth_issuer" },
		{ "oauth_issuer = https://", -1, "oauth_issuer" },
		{ "oauth_issuer = https:///path", -1, "oauth_issuer" },
		{ "oauth_issuer = https://shop.example.com/", -1, "oauth_issuer" },
		{ "oauth_issuer = https://shop.example.com?a=1", -1, "oauth_issuer" },
		{ "oauth_issuer = https://shop.example.com/#f", -1, "oauth_issuer" },
		{ "oauth_issuer = https://u@shop.example.com", -1, "oauth_issuer" },
		{ "oauth_issuer = https://shop.example.com/a b", -1, "oauth_issuer" },
		{ "oauth_issuer = https://shop.example.com/a\"b", -1, "oauth_issuer" },
		{ "mail_timeout = 0", -1, "mail_timeout" },
		{ "mail_timeout = 1", 0, NULL },
		{ "mail_timeout = 300", 0, NULL },
		{ "mail_timeout = 301", -1, "mail_timeout" },
		/* contract §9.4: the bound on failed code mails */
		{ "mail_failure_cap = 0", -1, "mail_failure_cap" },
		{ "mail_failure_cap = 1", 0, NULL },
		{ "mail_failure_cap = 1000", 0, NULL },
		{ "mail_failure_cap = 1001", -1, "mail_failure_cap" },
		{ "mail_failure_window = 59", -1, "mail_failure_window" },
		{ "mail_failure_window = 60", 0, NULL },
		{ "mail_failure_window = 86400", 0, NULL },
		{ "mail_failure_window = 86401", -1, "mail_failure_window" },
		{ "db_connect_timeout = 0", -1, "db_connect_timeout" },
		/* contract §9.2: a read outwaits a lock wait (1 s). */
		{ "db_read_timeout = 1", -1, "db_read_timeout" },
		{ "db_read_timeout = 2", 0, NULL },
		{ "db_read_timeout = 301", -1, "db_read_timeout" },
		{ "db_write_timeout = 0", -1, "db_write_timeout" },
		{ "db_write_timeout = 300", 0, NULL },
		/* contract §9.9: 0..MAX_WSREP_SYNC_WAIT (15) */
		{ "db_wsrep_sync_wait = 0", 0, NULL },
		{ "db_wsrep_sync_wait = 15", 0, NULL },
		{ "db_wsrep_sync_wait = 16", -1, "db_wsrep_sync_wait" },
		{ "db_wsrep_sync_wait = -1", -1, "db_wsrep_sync_wait" },
	};
	size_t	 i;
	int	 rc;

	for (i = 0; i < nitems(t); i++) {
		rc = parse(t[i].text);
		CHECKF(rc == t[i].rc, "config_parse(\"%s\") = %d, want %d",
		    t[i].text, rc, t[i].rc);
		if (t[i].key != NULL)
			CHECKF(err_names(t[i].key), "config_parse(\"%s\"): "
			    "err \"%s\" does not name %s", t[i].text, err,
			    t[i].key);
	}
	CHECK(MIN_CODE_LENGTH == 6 && MAX_CODE_LENGTH == 10);
	CHECK(MAX_MAX_FAILURES == 100 && MAX_LOCKOUT_SECONDS == 3600);

	/* Accepted values land in cfg, with their type. */
	CHECK_INT(parse("max_failures = 100\ndb_port = 65535\n"
	    "refresh_token_ttl = 86400\ngrace_period = 0"), 0);
	CHECK_INT(cfg.max_failures, 100);
	CHECK_INT(cfg.db_port, 65535);
	CHECK_INT(cfg.refresh_token_ttl, 86400);
	CHECK_INT(cfg.grace_period, 0);
	/* A refused value leaves the default, never a half-set number. */
	CHECK_INT(parse("code_length = 11"), -1);
	CHECK_INT(cfg.code_length, 6);
}

static void
test_mail_transport(void)
{
	CHECK_INT(parse("mail_transport = sendmail"), 0);
	CHECK_STR(cfg.mail_transport, "sendmail");
	CHECK_INT(parse("mail_transport = spool\nmail_spool_dir = /var/mail"), 0);
	CHECK_STR(cfg.mail_transport, "spool");
	CHECK_STR(cfg.mail_spool_dir, "/var/mail");
	/* The order of the lines does not matter. */
	CHECK_INT(parse("mail_spool_dir = /m\nmail_transport = spool"), 0);

	CHECK_INT(parse("mail_transport = smtp"), -1);
	CHECK(err_names("mail_transport"));
	/* mail_from goes into a header: a plain address only. */
	CHECK_INT(parse("mail_from = shop@example.com"), 0);
	CHECK_INT(parse("mail_from = no-reply@localhost"), -1);
	CHECK(err_names("mail_from"));
	CHECK_INT(parse("mail_from = Shop <shop@example.com>"), -1);
	CHECK(err_names("mail_from"));
	CHECK_INT(parse("mail_transport = Spool"), -1);
	CHECK(err_names("mail_transport"));
	CHECK_INT(parse("mail_transport ="), -1);
	CHECK(err_names("mail_transport"));
	CHECK_INT(parse("mail_transport = spoo"), -1);
	CHECK_INT(parse("mail_transport = sendmail|spool"), -1);
	CHECK_INT(parse("mail_transport = spool|"), -1);

	/* spool needs its directory. */
	CHECK_INT(parse("mail_transport = spool"), -1);
	CHECK(err_names("mail_spool_dir"));
	CHECK_INT(parse("mail_transport = spool\nmail_spool_dir ="), -1);
	CHECK(err_names("mail_spool_dir"));
	/* sendmail does not. */
	CHECK_INT(parse("mail_transport = sendmail\nmail_spool_dir ="), 0);
}

static void
test_lists(void)
{
	/* Spaces are removed: the stored list is "a,b". */
	CHECK_INT(parse("protected_storefront = customers , addresses "), 0);
	CHECK_STR(cfg.protected_storefront, "customers,addresses");
	CHECK_INT(parse("protected_storefront =  customers,\tcustomer-password"
	    " ,addresses"), 0);
	CHECK_STR(cfg.protected_storefront,
	    "customers,customer-password,addresses");
	CHECK_INT(parse("protected_backend = users"), 0);
	CHECK_STR(cfg.protected_backend, "users");
	/* An empty list protects nothing; that is allowed. */
	CHECK_INT(parse("protected_storefront ="), 0);
	CHECK_STR(cfg.protected_storefront, "");

	/* Empty entries are refused, wherever they are. */
	CHECK_INT(parse("protected_storefront = customers,,addresses"), -1);
	CHECK(err_names("protected_storefront"));
	CHECK_INT(parse("protected_storefront = customers, ,addresses"), -1);
	CHECK_INT(parse("protected_storefront = ,customers"), -1);
	CHECK_INT(parse("protected_storefront = customers,"), -1);
	CHECK_INT(parse("protected_storefront = ,"), -1);
	CHECK_INT(parse("protected_backend = users,,x"), -1);
	CHECK(err_names("protected_backend"));
	/* Entries are resource types: [a-z0-9-]. */
	CHECK_INT(parse("protected_storefront = Customers"), -1);
	CHECK_INT(parse("protected_storefront = customers/addresses"), -1);
	CHECK_INT(parse("protected_storefront = customers;addresses"), -1);
	/* Only the resource types the side's programs serve (contract
	 * §4.3): a typo would protect nothing, so it stops the program. */
	CHECK_INT(parse("protected_storefront = carts,checkout,order-payments"),
	    -1);
	CHECK(err_names("protected_storefront"));
	CHECK(strstr(err, "unknown resource type \"carts\"") != NULL);

	/* methods: only the methods the server has (the engine's table). */
	CHECK_INT(parse("methods = email"), 0);
	CHECK_STR(cfg.methods, "email");
	CHECK_INT(mfa_check_config(err, sizeof(err)), 0);
	CHECK_INT(parse("methods = sms"), 0);
	CHECK_INT(mfa_check_config(err, sizeof(err)), -1);
	CHECK(err_names("methods"));
	CHECK_INT(parse("methods = email,sms"), 0);
	CHECK_INT(mfa_check_config(err, sizeof(err)), -1);
	CHECK(err_names("methods"));
	CHECK_INT(parse("methods = Email"), -1);
	CHECK_INT(parse("methods = emai"), 0);
	CHECK_INT(mfa_check_config(err, sizeof(err)), -1);
	CHECK_INT(parse("methods = email,"), -1);
	/* At least one method. */
	CHECK_INT(parse("methods ="), -1);
	CHECK(err_names("methods"));
}

static void
test_list_contains(void)
{
	CHECK(list_contains("customers,customer-password,addresses",
	    "customers") == 1);
	CHECK(list_contains("customers,customer-password,addresses",
	    "customer-password") == 1);
	CHECK(list_contains("customers,customer-password,addresses",
	    "addresses") == 1);
	CHECK(list_contains("customers", "customers") == 1);
	/* Whole entries only: no prefixes, suffixes or parts. */
	CHECK(list_contains("customers,customer-password", "customer") == 0);
	CHECK(list_contains("customer", "customers") == 0);
	CHECK(list_contains("customer-password", "password") == 0);
	CHECK(list_contains("a,b", "a,b") == 0);
	CHECK(list_contains("a,b", "") == 0);
	CHECK(list_contains("", "a") == 0);
	CHECK(list_contains("", "") == 0);
	CHECK(list_contains("users", "Users") == 0);
	/* The defaults, as the guard reads them. */
	CHECK_INT(parse(""), 0);
	CHECK(list_contains(cfg.protected_storefront, "addresses") == 1);
	CHECK(list_contains(cfg.protected_storefront, "access-tokens") == 0);
	CHECK(list_contains(cfg.protected_backend,
	    "customer-multi-factor-auth-type-deactivate") == 1);
	CHECK(list_contains(cfg.methods, "email") == 1);
}

/* Every message: one line, naming the key first, with the line number. */
struct msg_case {
	const char	*text;
	const char	*err;	/* exactly */
};

static void
test_messages(void)
{
	static const struct msg_case t[] = {
		{ "\n\ncode_length = six", "code_length: line 3: invalid value "
		    "\"six\": a whole number from 6 to 10" },
		{ "code_length = 11", "code_length: line 1: invalid value "
		    "\"11\": a whole number from 6 to 10" },
		{ "code_length = +6", "code_length: line 1: invalid value "
		    "\"+6\": a whole number from 6 to 10" },
		{ "code_length = ", "code_length: line 1: invalid value "
		    "\"\": a whole number from 6 to 10" },
		{ "db_port = 0", "db_port: line 1: invalid value \"0\": a whole "
		    "number from 1 to 65535" },
		{ "# x\ncolour = blue", "colour: line 2: unknown key" },
		{ "mail_transport = smtp", "mail_transport: line 1: invalid "
		    "value \"smtp\": one of sendmail|spool" },
		{ "dev_mailbox = yes", "dev_mailbox: line 1: invalid value "
		    "\"yes\": one of on|off" },
		{ "protected_storefront = customers,adresses",
		    "protected_storefront: line 1: unknown resource type "
		    "\"adresses\" (known: access-tokens,refresh-tokens,token,customers,"
		    "customer-password,customer-confirmation,addresses,dev-mailbox,"
		    "multi-factor-auth-types,multi-factor-auth-type-activate,"
		    "multi-factor-auth-type-verify,multi-factor-auth-trigger,"
		    "multi-factor-auth-type-deactivate,"
		    "multi-factor-auth-recovery-codes,"
		    "multi-factor-auth-webauthn-credentials)" },
		{ "protected_backend = user", "protected_backend: line 1: "
		    "unknown resource type \"user\" (known: token,users,"
		    "customer-multi-factor-auth-type-deactivate,"
		    "multi-factor-auth-types,multi-factor-auth-type-activate,"
		    "multi-factor-auth-type-verify,multi-factor-auth-trigger,"
		    "multi-factor-auth-type-deactivate,"
		    "multi-factor-auth-recovery-codes,"
		    "multi-factor-auth-webauthn-credentials)" },
		{ "protected_backend = users,,token", "protected_backend: line 1: "
		    "an empty entry" },
		{ "protected_backend = Users", "protected_backend: line 1: "
		    "\"Users\" is not a name of a-z, 0-9 and -" },
		{ "methods = e_mail", "methods: line 1: \"e_mail\" is not a "
		    "name of a-z, 0-9 and -" },
		{ "cors_allow_origins = https://a.example, https://*.example",
		    "cors_allow_origins: \"https://*.example\": no wildcards: "
		    "list each origin" },
		{ "cors_allow_origins = https://Shop.example",
		    "cors_allow_origins: \"https://Shop.example\": upper case: "
		    "browsers send origins in lower case" },
		{ "cors_allow_origins = https://shop.example/x",
		    "cors_allow_origins: \"https://shop.example/x\": a path or "
		    "more: scheme://host[:port] only" },
		{ "cors_allow_origins = http://shop.example:80",
		    "cors_allow_origins: \"http://shop.example:80\": the default "
		    "port: browsers never send it" },
		/* What is not printable is not echoed. */
		{ "code_length = 6\x01", "code_length: line 1: invalid value "
		    "\"6?\": a whole number from 6 to 10" },
		{ "code_length = 7\n\ncode_length = 8", "code_length: line 3: "
		    "given twice (first on line 1)" },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		CHECKF(parse(t[i].text) == -1, "config_parse(\"%s\") accepted",
		    t[i].text);
		CHECKF(strcmp(err, t[i].err) == 0, "config_parse(\"%s\"): "
		    "err \"%s\", want \"%s\"", t[i].text, err, t[i].err);
	}
	/* A value is cut at 40 bytes in a message. */
	CHECK_INT(parse("code_length = 1234567890123456789012345678901234567890"
	    "123"), -1);
	CHECK(strstr(err, "\"1234567890123456789012345678901234567890\"") !=
	    NULL);
}

/* A key may be given once: the second line is refused, whatever it says. */
static void
test_duplicates(void)
{
	static const char *const t[] = {
		"code_length = 7\ncode_length = 8",
		"code_length = 7\ncode_length = 7",
		"code_length=7\n  code_length   =   8  ",
		"db_password = a\n# comment\n\ndb_password = b",
		"db_socket =\ndb_socket =",
		"protected_storefront = customers\nprotected_storefront = "
		    "addresses",
		"mail_transport = spool\nmail_spool_dir = /a\n"
		    "mail_spool_dir = /b",
	};
	size_t	 i;
	int	 rc;

	for (i = 0; i < nitems(t); i++) {
		rc = parse(t[i]);
		CHECKF(rc == -1, "config_parse(\"%s\") = %d, want -1", t[i], rc);
		CHECKF(strstr(err, ": given twice (first on line ") != NULL,
		    "config_parse(\"%s\"): err \"%s\"", t[i], err);
	}
	CHECK_INT(parse("a\n"), -1);	/* not a duplicate: a syntax error */
	/* A commented-out line is no first occurrence. */
	CHECK_INT(parse("#code_length = 7\ncode_length = 8"), 0);
	CHECK_INT(cfg.code_length, 8);
	/* Each parse starts afresh: the same key in the next text is fine. */
	CHECK_INT(parse("code_length = 7"), 0);
	CHECK_INT(parse("code_length = 9"), 0);
	CHECK_INT(cfg.code_length, 9);
}

struct comment_case {
	const char	*text;
	int		 rc;
	const char	*key;	/* NULL: none to look at */
	const char	*want;	/* the value stored (strings), or NULL */
	long		 num;	/* the number stored (numbers) */
};

/* Comments after a value: a '#' beginning the value or after a blank. */
static void
test_inline_comments(void)
{
	static const struct comment_case t[] = {
		/* numbers, choices, lists */
		{ "code_length = 6 # six", 0, "code_length", NULL, 6 },
		{ "code_length = 8\t# eight", 0, "code_length", NULL, 8 },
		{ "code_length = 8 #", 0, "code_length", NULL, 8 },
		{ "code_length = 8    ## eight ## = 9", 0, "code_length", NULL,
		    8 },
		/* Not after a blank: part of the value, which is then bad. */
		{ "code_length = 6# six", -1, "code_length", NULL, 0 },
		/* Only a comment: the value is empty, bad for a number... */
		{ "code_length = # six", -1, "code_length", NULL, 0 },
		{ "code_length =# six", -1, "code_length", NULL, 0 },
		{ "mail_transport = spool # development\nmail_spool_dir = /m",
		    0, "mail_transport", "spool", 0 },
		{ "dev_mailbox = on   # shows every code", 0, "dev_mailbox",
		    "on", 0 },
		{ "protected_backend = users, token # both", 0,
		    "protected_backend", "users,token", 0 },
		/* ...and an empty list for a list. */
		{ "protected_storefront = # none", 0, "protected_storefront", "",
		    0 },
		/* strings */
		{ "db_name = glue # the database", 0, "db_name", "glue", 0 },
		{ "db_name = a#b", 0, "db_name", "a#b", 0 },
		{ "db_name = a#b #c", 0, "db_name", "a#b", 0 },
		{ "db_socket = # none", 0, "db_socket", "", 0 },
		{ "sendmail_command = /usr/sbin/sendmail -t -i # the MTA", 0,
		    "sendmail_command", "/usr/sbin/sendmail -t -i", 0 },
		{ "mail_from = shop@example.com # replies go nowhere", 0,
		    "mail_from", "shop@example.com", 0 },
		/* db_password is taken as it is, '#' and all. */
		{ "db_password = se cret # not a comment", 0, "db_password",
		    "se cret # not a comment", 0 },
		{ "db_password = #hash", 0, "db_password", "#hash", 0 },
		{ "db_password = a=b#c", 0, "db_password", "a=b#c", 0 },
		/* A comment cannot hide a line's '=' or its key. */
		{ "# code_length = 7\ncode_length = 9 # = 10", 0, "code_length",
		    NULL, 9 },
	};
	size_t	 i;
	int	 rc;
	const char *got;

	for (i = 0; i < nitems(t); i++) {
		rc = parse(t[i].text);
		CHECKF(rc == t[i].rc, "config_parse(\"%s\") = %d (%s), want %d",
		    t[i].text, rc, err, t[i].rc);
		if (rc != 0) {
			CHECKF(err_names(t[i].key), "config_parse(\"%s\"): err "
			    "\"%s\" does not name %s", t[i].text, err,
			    t[i].key);
			continue;
		}
		if (strcmp(t[i].key, "code_length") == 0) {
			CHECKF(cfg.code_length == t[i].num, "config_parse(\"%s\"):"
			    " code_length %ld", t[i].text, cfg.code_length);
			continue;
		}
		got = strcmp(t[i].key, "db_name") == 0 ? cfg.db_name :
		    strcmp(t[i].key, "db_socket") == 0 ? cfg.db_socket :
		    strcmp(t[i].key, "db_password") == 0 ? cfg.db_password :
		    strcmp(t[i].key, "sendmail_command") == 0 ?
		    cfg.sendmail_command :
		    strcmp(t[i].key, "mail_from") == 0 ? cfg.mail_from :
		    strcmp(t[i].key, "mail_transport") == 0 ? cfg.mail_transport :
		    strcmp(t[i].key, "dev_mailbox") == 0 ? cfg.dev_mailbox :
		    strcmp(t[i].key, "protected_backend") == 0 ?
		    cfg.protected_backend : cfg.protected_storefront;
		CHECKF(strcmp(got, t[i].want) == 0, "config_parse(\"%s\"): %s = "
		    "\"%s\", want \"%s\"", t[i].text, t[i].key, got, t[i].want);
	}
}

/* Every type each side serves may be protected; the defaults are such. */
static void
test_resource_types(void)
{
	static const char *const sf[] = { "access-tokens", "refresh-tokens",
	    "token", "customers", "customer-password", "addresses", "dev-mailbox",
	    "multi-factor-auth-types", "multi-factor-auth-type-activate",
	    "multi-factor-auth-type-verify", "multi-factor-auth-trigger",
	    "multi-factor-auth-type-deactivate" };
	static const char *const be[] = { "token", "users",
	    "customer-multi-factor-auth-type-deactivate",
	    "multi-factor-auth-types", "multi-factor-auth-type-activate",
	    "multi-factor-auth-type-verify", "multi-factor-auth-trigger",
	    "multi-factor-auth-type-deactivate" };
	char	 text[1200];
	size_t	 i;

	for (i = 0; i < nitems(sf); i++) {
		snprintf(text, sizeof(text), "protected_storefront = %s", sf[i]);
		CHECKF(parse(text) == 0, "%s: %s", text, err);
		CHECK(list_contains(storefront_types, sf[i]));
	}
	for (i = 0; i < nitems(be); i++) {
		snprintf(text, sizeof(text), "protected_backend = %s", be[i]);
		CHECKF(parse(text) == 0, "%s: %s", text, err);
		CHECK(list_contains(backend_types, be[i]));
	}
	/* All of them at once, and nothing more is known. */
	snprintf(text, sizeof(text), "protected_storefront = %s\n"
	    "protected_backend = %s", storefront_types, backend_types);
	CHECK_INT(parse(text), 0);
	CHECK_INT(strlen(storefront_types), strlen("access-tokens,"
	    "refresh-tokens,token,customers,customer-password,customer-confirmation,"
	    "addresses,dev-mailbox,"
	    "multi-factor-auth-types,multi-factor-auth-type-activate,"
	    "multi-factor-auth-type-verify,multi-factor-auth-trigger,"
	    "multi-factor-auth-type-deactivate,multi-factor-auth-recovery-codes,"
	    "multi-factor-auth-webauthn-credentials"));
	/* A type of the other side is unknown on this one. */
	CHECK_INT(parse("protected_storefront = users"), -1);
	CHECK(err_names("protected_storefront"));
	CHECK_INT(parse("protected_backend = addresses"), -1);
	CHECK(err_names("protected_backend"));
	CHECK_INT(parse("protected_storefront = customers,customers-password"),
	    -1);
	CHECK_INT(parse("protected_storefront = customer"), -1);
	CHECK_INT(parse("protected_storefront = not-found"), -1);
	/* The defaults pass their own check (config_defaults aborts else). */
	CHECK_INT(parse(""), 0);
}

static int
h_none(struct req *r)
{
	(void)r;
	return 0;
}

/* config_check_routes: a program whose route type is not known stops. */
static void
test_check_routes(void)
{
	static const struct route ok_sf[] = {
		{ M_GET, "customers", "customers", 0, h_none },
		{ M_POST, "customers/:/addresses", "addresses", 0, h_none },
	};
	static const struct route ok_nf[] = { { .pattern = "" } };
	static const struct route bad_sf[] = {
		{ M_GET, "customers", "customers", 0, h_none },
		{ M_POST, "carts", "carts", 0,
		    h_none },
	};
	static const struct route be_users[] = {
		{ M_GET, "users", "users", 0, h_none },
	};
	struct program	 p;

	p = (struct program){ "customers", SIDE_STOREFRONT, ok_sf,
	    nitems(ok_sf) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), 0);
	p = (struct program){ "not-found", SIDE_STOREFRONT, ok_nf,
	    nitems(ok_nf) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), 0);
	p = (struct program){ "x", SIDE_STOREFRONT, bad_sf, nitems(bad_sf) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), -1);
	CHECK_STR(err, "x: resource type \"carts\" is not in "
	    "src/config.c's storefront_types");
	p = (struct program){ "users", SIDE_BACKEND, be_users,
	    nitems(be_users) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), 0);
	p = (struct program){ "users", SIDE_STOREFRONT, be_users,
	    nitems(be_users) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), -1);
	p = (struct program){ "customers", SIDE_BACKEND, ok_sf, nitems(ok_sf) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), -1);
	CHECK(strstr(err, "backend_types") != NULL);
}

static char	 dir[] = "/tmp/glue-mfa-config-XXXXXX";

/* Writes text to dir/name with mode; returns the path (static). */
static const char *
conffile(const char *name, const char *text, mode_t mode)
{
	static char	 path[256];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(path, mode) == -1) {
		perror(path);
		exit(2);
	}
	return path;
}

struct mode_case {
	mode_t	 mode;
	int	 rc;
};

/* config_load: a file others may read or the group may write is refused,
 * as the secret key is (private_open); group read is allowed. */
static void
test_load_modes(void)
{
	static const struct mode_case t[] = {
		{ 0600, 0 }, { 0400, 0 }, { 0640, 0 }, { 0440, 0 }, { 0700, 0 },
		{ 0740, 0 }, { 0000, 0 },	/* root reads it; others not */
		{ 0644, -1 }, { 0604, -1 }, { 0602, -1 }, { 0601, -1 },
		{ 0620, -1 }, { 0660, -1 }, { 0666, -1 }, { 0664, -1 },
		{ 0606, -1 }, { 0610 | 0004, -1 }, { 0622, -1 },
	};
	const char	*path;
	char		 want[512];
	size_t		 i;
	int		 rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	for (i = 0; i < nitems(t); i++) {
		if (t[i].mode == 0000 && geteuid() != 0)
			continue;	/* only root reads a mode 000 file */
		path = conffile("m.conf", "code_length = 7\n", t[i].mode);
		memset(err, 0, sizeof(err));
		rc = config_load(path, err, sizeof(err));
		CHECKF(rc == t[i].rc, "mode %04o: config_load = %d (%s)",
		    (unsigned)t[i].mode, rc, err);
		if (t[i].rc == 0) {
			CHECKF(cfg.code_length == 7, "mode %04o: not read",
			    (unsigned)t[i].mode);
			continue;
		}
		snprintf(want, sizeof(want), "MFA_CONFIG: %s is accessible to "
		    "others or writable by its group (mode %04o; chmod 640 or "
		    "600)", path, (unsigned)t[i].mode);
		CHECKF(strcmp(err, want) == 0, "mode %04o: err \"%s\"",
		    (unsigned)t[i].mode, err);
	}
	/* A refused file sets nothing: cfg keeps what it had. */
	CHECK_INT(parse(""), 0);
	path = conffile("w.conf", "code_length = 9\n", 0644);
	CHECK_INT(config_load(path, err, sizeof(err)), -1);
	CHECK_INT(cfg.code_length, 6);

	/* What config_parse refuses, config_load refuses with its line. */
	path = conffile("bad.conf", "# glue\ncode_length = 6 # six\n"
	    "code_length = 7\n", 0640);
	CHECK_INT(config_load(path, err, sizeof(err)), -1);
	CHECK_STR(err, "code_length: line 3: given twice (first on line 2)");

	/* Not set, missing, not a regular file. */
	CHECK_INT(config_load(NULL, err, sizeof(err)), -1);
	CHECK_STR(err, "MFA_CONFIG: not set");
	CHECK_INT(config_load("", err, sizeof(err)), -1);
	CHECK_STR(err, "MFA_CONFIG: not set");
	snprintf(want, sizeof(want), "%s/none.conf", dir);
	CHECK_INT(config_load(want, err, sizeof(err)), -1);
	CHECK(strncmp(err, "MFA_CONFIG: cannot open ", 24) == 0);
	CHECK_INT(config_load(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "MFA_CONFIG: %s is not a regular file",
	    dir);
	CHECK_STR(err, want);

	/* The same check, with the caller's name, for the secret key. */
	path = conffile("k", "x", 0604);
	CHECK_INT(private_open("secret_key_file", path, err, sizeof(err)), -1);
	CHECK(strncmp(err, "secret_key_file: ", 17) == 0);
	path = conffile("k", "x", 0640);
	rc = private_open("secret_key_file", path, err, sizeof(err));
	CHECK(rc >= 0);
	if (rc >= 0)
		close(rc);

	unlink(conffile("m.conf", "", 0600));
	unlink(conffile("w.conf", "", 0600));
	unlink(conffile("bad.conf", "", 0600));
	unlink(conffile("k", "", 0600));
	rmdir(dir);
}


/*
 * Per-side keys (contract §10.6): "storefront.<key>" and "backend.<key>"
 * override the shared key for their side, take its value when not given
 * (wherever the shared key's line is), keep its bounds and its messages.
 */
static const char *const per_side_keys[] = {
	"code_length", "code_ttl", "attempts_per_code", "max_failures",
	"lockout_seconds", "grace_period", "resend_cooldown", "daily_send_cap",
	"mail_failure_cap", "mail_failure_window", "daily_recipient_cap",
	"totp_window",
};

struct side_bound {
	const char	*key;
	long		 lo, hi;	/* the shared key's bounds */
};

static void
test_per_side(void)
{
	static const struct side_bound b[] = {
		{ "code_length", 6, 10 }, { "code_ttl", 30, 86400 },
		{ "attempts_per_code", 1, 100 }, { "max_failures", 1, 100 },
		{ "lockout_seconds", 1, 3600 }, { "grace_period", 0, 86400 },
		{ "resend_cooldown", 0, 86400 }, { "daily_send_cap", 1, 10000 },
		{ "mail_failure_cap", 1, 1000 },
		{ "mail_failure_window", 60, 86400 },
		{ "daily_recipient_cap", 1, 100000 }, { "totp_window", 0, 2 },
	};
	static const char *const prefix[] = { "storefront.", "backend." };
	const struct mfa_limits *sf, *be;
	char		 text[128], key[64];
	size_t		 i, j;

	CHECK_INT(nitems(b), nitems(per_side_keys));
	/* Defaults: both sides the shared defaults. */
	CHECK_INT(parse(""), 0);
	sf = limits_of(SIDE_STOREFRONT);
	be = limits_of(SIDE_BACKEND);
	CHECK_INT(sf->code_length, 6);
	CHECK_INT(be->code_length, 6);
	CHECK_INT(sf->code_ttl, 600);
	CHECK_INT(be->attempts_per_code, 3);
	CHECK_INT(be->max_failures, 10);
	CHECK_INT(sf->lockout_seconds, 300);
	CHECK_INT(be->grace_period, 300);
	CHECK_INT(sf->resend_cooldown, 60);
	CHECK_INT(be->daily_send_cap, 20);
	CHECK_INT(sf->mail_failure_cap, 5);
	CHECK_INT(be->mail_failure_window, 300);
	CHECK_INT(sf->daily_recipient_cap, 50);
	CHECK_INT(be->totp_window, 1);
	/* A shared key sets both sides, before or after a per-side line. */
	CHECK_INT(parse("backend.code_length = 8\ncode_length = 7"), 0);
	CHECK_INT(cfg.code_length, 7);
	CHECK_INT(sf->code_length, 7);
	CHECK_INT(be->code_length, 8);
	CHECK_INT(parse("code_length = 7\nstorefront.code_length = 9"), 0);
	CHECK_INT(sf->code_length, 9);
	CHECK_INT(be->code_length, 7);
	/* Each side alone; the other keys untouched. */
	CHECK_INT(parse("storefront.max_failures = 3\n"
	    "backend.grace_period = 0\nbackend.resend_cooldown = 0"), 0);
	CHECK_INT(sf->max_failures, 3);
	CHECK_INT(be->max_failures, 10);
	CHECK_INT(sf->grace_period, 300);
	CHECK_INT(be->grace_period, 0);
	CHECK_INT(be->resend_cooldown, 0);
	CHECK_INT(sf->resend_cooldown, 60);
	CHECK_INT(cfg.grace_period, 300);
	/* A parse starts afresh: nothing of the last one stays. */
	CHECK_INT(parse("db_name = x"), 0);
	CHECK_INT(sf->max_failures, 10);
	CHECK_INT(be->grace_period, 300);
	/* The shared key's bounds, on both sides, for every key. */
	for (i = 0; i < nitems(b); i++)
		for (j = 0; j < nitems(prefix); j++) {
			snprintf(key, sizeof(key), "%s%s", prefix[j], b[i].key);
			snprintf(text, sizeof(text), "%s = %ld", key, b[i].lo);
			CHECKF(parse(text) == 0, "%s: %s", text, err);
			snprintf(text, sizeof(text), "%s = %ld", key, b[i].hi);
			CHECKF(parse(text) == 0, "%s: %s", text, err);
			snprintf(text, sizeof(text), "%s = %ld", key, b[i].hi + 1);
			CHECKF(parse(text) == -1 && err_names(key),
			    "%s: %s", text, err);
			snprintf(text, sizeof(text), "%s = %ld", key, b[i].lo - 1);
			CHECKF(parse(text) == -1 && err_names(key),
			    "%s: %s", text, err);
			snprintf(text, sizeof(text), "%s = x", key);
			CHECKF(parse(text) == -1 && err_names(key),
			    "%s: %s", text, err);
		}
	/* The message names the per-side key and its line. */
	CHECK_INT(parse("\nbackend.code_length = 11"), -1);
	CHECK_STR(err, "backend.code_length: line 2: invalid value \"11\": "
	    "a whole number from 6 to 10");
	/* Given twice, or with another key's name: refused. */
	CHECK_INT(parse("backend.code_ttl = 60\nbackend.code_ttl = 60"), -1);
	CHECK(err_names("backend.code_ttl"));
	CHECK_INT(parse("backend.code_ttl = 60\nstorefront.code_ttl = 60"), 0);
	/* Only the engine's keys exist per side; no other prefix. */
	CHECK_INT(parse("backend.db_name = x"), -1);
	CHECK(strstr(err, "unknown key") != NULL);
	CHECK_INT(parse("backend.login_window = 60"), -1);
	CHECK_INT(parse("Backend.code_length = 8"), -1);
	CHECK_INT(parse("customers.code_length = 8"), -1);
	CHECK_INT(parse("backend.code_length.x = 8"), -1);
	CHECK_INT(parse("backend. code_length = 8"), -1);
	/* A refused file leaves the defaults, per side too. */
	CHECK_INT(parse("backend.code_length = 8\nbackend.code_length = 9"), -1);
	config_defaults();
	CHECK_INT(be->code_length, 6);
}

/*
 * mfa_at_sign_in (contract §10.12): "on" or "off", off by default, per
 * side as the engine's keys, each side the shared key's value unless given.
 */
static void
test_mfa_at_sign_in(void)
{
	const struct mfa_limits *sf = limits_of(SIDE_STOREFRONT);
	const struct mfa_limits *be = limits_of(SIDE_BACKEND);

	CHECK_INT(parse(""), 0);
	CHECK_INT(cfg.mfa_at_sign_in, 0);
	CHECK_INT(sf->mfa_at_sign_in, 0);
	CHECK_INT(be->mfa_at_sign_in, 0);
	CHECK_INT(parse("mfa_at_sign_in = on"), 0);
	CHECK_INT(sf->mfa_at_sign_in, 1);
	CHECK_INT(be->mfa_at_sign_in, 1);
	CHECK_INT(parse("backend.mfa_at_sign_in = on"), 0);
	CHECK_INT(sf->mfa_at_sign_in, 0);
	CHECK_INT(be->mfa_at_sign_in, 1);
	CHECK_INT(parse("storefront.mfa_at_sign_in = off\nmfa_at_sign_in = on"), 0);
	CHECK_INT(sf->mfa_at_sign_in, 0);
	CHECK_INT(be->mfa_at_sign_in, 1);
	CHECK_INT(parse("mfa_at_sign_in = yes"), -1);
	CHECK_STR(err, "mfa_at_sign_in: line 1: invalid value \"yes\": one of on|off");
	CHECK_INT(parse("\nbackend.mfa_at_sign_in = On"), -1);
	CHECK_STR(err, "backend.mfa_at_sign_in: line 2: invalid value \"On\": one of "
	    "on|off");
	CHECK_INT(parse("mfa_at_sign_in = on\nmfa_at_sign_in = off"), -1);
	CHECK(err_names("mfa_at_sign_in"));
	config_defaults();
	CHECK_INT(be->mfa_at_sign_in, 0);
}

/*
 * Codes bound to an action (contract §10.8): every protected action has
 * its mail phrase, and a program's routes of an action's type agree with
 * the table (its write is an action; an id in the path exactly when the
 * action names one).
 */
static void
test_protected_actions(void)
{
	static const struct route ok[] = {
		{ M_PATCH, "users/:", "users", R_AUTH | R_BODY, h_none },
		{ M_POST, "users", "users", R_AUTH | R_BODY, h_none },
		{ M_GET, "users/:", "users", R_AUTH, h_none },
	};
	static const struct route no_id[] = {
		{ M_PATCH, "users", "users", R_AUTH | R_BODY, h_none },
	};
	static const struct route extra_id[] = {
		{ M_POST, "users/:", "users", R_AUTH | R_BODY, h_none },
	};
	static const struct route unknown[] = {
		{ M_PUT, "users/:", "users", R_AUTH | R_BODY, h_none },
	};
	static const struct route anonymous[] = {
		{ M_PUT, "users/:", "users", R_BODY, h_none },
	};
	struct program	 p;
	size_t		 i;

	CHECK(nprotected_actions >= 10);
	for (i = 0; i < nprotected_actions; i++) {
		CHECKF(mail_action_phrase(protected_actions[i].method,
		    protected_actions[i].type) != NULL, "%s: no phrase",
		    protected_actions[i].type);
		CHECK(protected_action(protected_actions[i].side,
		    protected_actions[i].method, protected_actions[i].type) ==
		    &protected_actions[i]);
		CHECK(list_contains(protected_actions[i].side == SIDE_BACKEND ?
		    backend_types : storefront_types, protected_actions[i].type));
	}
	CHECK_STR(mail_action_phrase(M_PATCH, "customer-password"),
	    "to change your password");
	CHECK(mail_action_phrase(M_GET, "customers") == NULL);
	CHECK(protected_action(SIDE_BACKEND, M_PATCH, "customers") == NULL);
	CHECK(protected_action(SIDE_STOREFRONT, M_POST, "customers") == NULL);
	CHECK(protected_action(SIDE_STOREFRONT, M_PATCH, "customers")->id ==
	    AID_REF);
	CHECK(protected_action(SIDE_STOREFRONT, M_DELETE, "addresses")->id ==
	    AID_UUID);
	p = (struct program){ "users", SIDE_BACKEND, ok, nitems(ok) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), 0);
	p = (struct program){ "users", SIDE_BACKEND, no_id, nitems(no_id) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), -1);
	CHECK_STR(err, "users: route \"users\" does not agree with "
	    "src/config.c's protected_actions");
	p = (struct program){ "users", SIDE_BACKEND, extra_id,
	    nitems(extra_id) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), -1);
	p = (struct program){ "users", SIDE_BACKEND, unknown, nitems(unknown) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), -1);
	/* Writes without a token are never guarded: nothing to bind. */
	p = (struct program){ "users", SIDE_BACKEND, anonymous,
	    nitems(anonymous) };
	CHECK_INT(config_check_routes(&p, err, sizeof(err)), 0);
}

/*
 * Method webauthn's keys (contract §12.1, §12.5): checked by
 * mfa_check_config() once the file is read, only when methods offers it.
 */
static void
test_webauthn(void)
{
	static const struct {
		const char	*text;
		int		 rc;
		const char	*err;	/* its start, or NULL */
	} t[] = {
		{ "methods = email", 0, NULL },
		{ "methods = email,webauthn", -1, "webauthn_rp_id: " },
		{ "methods = webauthn\nwebauthn_rp_id = localhost", -1,
		    "webauthn_origins: at least one" },
		{ "methods = webauthn\nwebauthn_rp_id = localhost\n"
		    "webauthn_origins = http://localhost:8080", 0, NULL },
		{ "methods = webauthn\nwebauthn_rp_id = shop.example\n"
		    "webauthn_origins = https://shop.example, "
		    "https://www.shop.example:8443", 0, NULL },
		/* not the RP ID's host or below it */
		{ "methods = webauthn\nwebauthn_rp_id = shop.example\n"
		    "webauthn_origins = https://evilshop.example", -1,
		    "webauthn_origins: \"https://evilshop.example\"" },
		/* http only on localhost */
		{ "methods = webauthn\nwebauthn_rp_id = shop.example\n"
		    "webauthn_origins = http://shop.example", -1,
		    "webauthn_origins: \"http://shop.example\"" },
		/* an address is no RP ID */
		{ "methods = webauthn\nwebauthn_rp_id = 127.0.0.1\n"
		    "webauthn_origins = http://127.0.0.1:8080", -1,
		    "webauthn_rp_id: " },
		{ "methods = webauthn\nwebauthn_rp_id = Shop.example\n"
		    "webauthn_origins = https://shop.example", -1,
		    "webauthn_rp_id: " },
		/* the origins' syntax is cors_allow_origins' */
		{ "webauthn_origins = https://shop.example/", -1,
		    "webauthn_origins: \"https://shop.example/\"" },
		{ "webauthn_user_verification = always", -1,
		    "webauthn_user_verification: " },
		{ "webauthn_counter = ignore", -1, "webauthn_counter: " },
		{ "webauthn_challenge_ttl = 29", -1, "webauthn_challenge_ttl: " },
		{ "webauthn_challenge_ttl = 30", 0, NULL },
		{ "webauthn_challenge_ttl = 3600", 0, NULL },
		{ "webauthn_challenge_ttl = 3601", -1, "webauthn_challenge_ttl: " },
		{ "webauthn_max_credentials = 0", -1, "webauthn_max_credentials: " },
		{ "webauthn_max_credentials = 1", 0, NULL },
		{ "webauthn_max_credentials = 50", 0, NULL },
		{ "webauthn_max_credentials = 51", -1, "webauthn_max_credentials: " },
	};
	char	 buf[600];
	size_t	 i;
	int	 rc;

	for (i = 0; i < nitems(t); i++) {
		snprintf(buf, sizeof(buf), "%s\n", t[i].text);
		rc = parse(buf);
		if (rc == 0)
			rc = mfa_check_config(err, sizeof(err));
		CHECKF(rc == t[i].rc, "row %zu (%s): rc %d, err %s", i, t[i].text,
		    rc, err);
		if (t[i].err != NULL)
			CHECKF(strncmp(err, t[i].err, strlen(t[i].err)) == 0,
			    "row %zu: err \"%s\"", i, err);
	}
	CHECK_INT(parse(""), 0);
	CHECK_STR(cfg.webauthn_rp_id, "");
	CHECK_STR(cfg.webauthn_rp_name, "glue-mfa");
	CHECK_STR(cfg.webauthn_user_verification, "required");
	CHECK_STR(cfg.webauthn_counter, "audit");
	CHECK_INT(cfg.webauthn_challenge_ttl, 300);
	CHECK_INT(cfg.webauthn_max_credentials, 10);
}

int
main(void)
{
	test_defaults();
	test_webauthn();
	test_syntax();
	test_unknown_key();
	test_numbers();
	test_mail_transport();
	test_lists();
	test_list_contains();
	test_messages();
	test_duplicates();
	test_inline_comments();
	test_resource_types();
	test_check_routes();
	test_load_modes();
	test_per_side();
	test_mfa_at_sign_in();
	test_protected_actions();
	return unit_done();
}
