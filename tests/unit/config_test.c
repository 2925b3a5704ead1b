/*
 * src/config.c: config_parse on text, the defaults (contract §5, §7.2), bounds
 * from src/bounds.h, choices, lists and the cross-key rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	CHECK_STR(cfg.secret_key_file, "/etc/glue-mfa/secret.key");
	CHECK_STR(cfg.mail_transport, "sendmail");
	CHECK_STR(cfg.sendmail_command, "/usr/sbin/sendmail -t -i");
	CHECK_STR(cfg.mail_spool_dir, "");
	CHECK_INT(cfg.mail_timeout, 10);
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
	/* The last of two lines for one key wins. */
	CHECK_INT(parse("code_length = 7\ncode_length = 8"), 0);
	CHECK_INT(cfg.code_length, 8);
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
		{ "mail_timeout = 0", -1, "mail_timeout" },
		{ "db_connect_timeout = 0", -1, "db_connect_timeout" },
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
	CHECK_INT(parse("protected_storefront = carts,checkout,order-payments"),
	    0);

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

int
main(void)
{
	test_defaults();
	test_syntax();
	test_unknown_key();
	test_numbers();
	test_mail_transport();
	test_lists();
	test_list_contains();
	return unit_done();
}
