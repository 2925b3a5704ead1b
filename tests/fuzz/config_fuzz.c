/*
 * The configuration file: config_parse() on the input.  Checked: a
 * refusal says why on one line; an accepted file leaves every key within
 * its declared bounds and choices, and the cross-key rules hold.
 */
#include <ctype.h>

#include "fuzz.h"

/* A list of names [a-z0-9-], comma-separated, no empty entry. */
static int
list_ok(const char *s)
{
	size_t	 n = strlen(s);

	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-,") == n &&
	    strstr(s, ",,") == NULL && s[0] != ',' &&
	    (n == 0 || s[n - 1] != ',');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 err[512], mcheck[512];
	char	*text;
	int	 rc;
	int	 side;

	if (size > 65535)
		return 0;
	text = fuzz_str(data, size);
	err[0] = '\0';
	rc = config_parse(text, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strchr(err, '\n') == NULL);
	} else {
		FUZZ_CHECK(cfg.db_port >= 1 && cfg.db_port <= 65535);
		FUZZ_CHECK(cfg.db_connect_timeout >= 1 &&
		    cfg.db_connect_timeout <= 60);
		FUZZ_CHECK(cfg.db_read_timeout > DB_LOCK_WAIT_TIMEOUT &&
		    cfg.db_read_timeout <= 300);
		FUZZ_CHECK(cfg.mail_timeout >= 1 && cfg.mail_timeout <= 300);
		FUZZ_CHECK(cfg.code_length >= MIN_CODE_LENGTH &&
		    cfg.code_length <= MAX_CODE_LENGTH);
		FUZZ_CHECK(cfg.max_failures >= 1 &&
		    cfg.max_failures <= MAX_MAX_FAILURES);
		FUZZ_CHECK(cfg.lockout_seconds >= 1 &&
		    cfg.lockout_seconds <= MAX_LOCKOUT_SECONDS);
		FUZZ_CHECK(cfg.access_token_ttl >= 60 &&
		    cfg.refresh_token_ttl >= 60);
		FUZZ_CHECK(cfg.grace_period >= 0 && cfg.resend_cooldown >= 0);
		FUZZ_CHECK(cfg.attempts_per_code >= 1 &&
		    cfg.daily_send_cap >= 1 && cfg.code_ttl >= 30);
		/* Per side (contract §10.6): the shared keys' bounds. */
		for (side = SIDE_STOREFRONT; side <= SIDE_BACKEND; side++) {
			const struct mfa_limits *l = limits_of((enum side)side);

			FUZZ_CHECK(l->code_length >= MIN_CODE_LENGTH &&
			    l->code_length <= MAX_CODE_LENGTH);
			FUZZ_CHECK(l->code_ttl >= 30 && l->code_ttl <= 86400);
			FUZZ_CHECK(l->attempts_per_code >= 1 &&
			    l->attempts_per_code <= 100);
			FUZZ_CHECK(l->max_failures >= 1 &&
			    l->max_failures <= MAX_MAX_FAILURES);
			FUZZ_CHECK(l->lockout_seconds >= 1 &&
			    l->lockout_seconds <= MAX_LOCKOUT_SECONDS);
			FUZZ_CHECK(l->grace_period >= 0 &&
			    l->grace_period <= 86400);
			FUZZ_CHECK(l->resend_cooldown >= 0 &&
			    l->resend_cooldown <= 86400);
			FUZZ_CHECK(l->daily_send_cap >= 1 &&
			    l->daily_send_cap <= 10000);
			FUZZ_CHECK(l->mail_failure_cap >= 1 &&
			    l->mail_failure_cap <= 1000);
			FUZZ_CHECK(l->mail_failure_window >= 60 &&
			    l->mail_failure_window <= 86400);
			FUZZ_CHECK(l->daily_recipient_cap >= 1 &&
			    l->daily_recipient_cap <= 100000);
			FUZZ_CHECK(l->totp_window >= 0 && l->totp_window <= 2);
		}
		FUZZ_CHECK(cfg.password_memory_kib >= MIN_PASSWORD_MEMORY_KIB &&
		    cfg.password_memory_kib <= MAX_PASSWORD_MEMORY_KIB);
		FUZZ_CHECK(cfg.password_iterations >= MIN_PASSWORD_ITERATIONS &&
		    cfg.password_iterations <= MAX_PASSWORD_ITERATIONS);
		FUZZ_CHECK(strcmp(cfg.mail_transport, "sendmail") == 0 ||
		    (strcmp(cfg.mail_transport, "spool") == 0 &&
		    cfg.mail_spool_dir[0] != '\0'));
		FUZZ_CHECK(strcmp(cfg.dev_mailbox, "on") == 0 ||
		    strcmp(cfg.dev_mailbox, "off") == 0);
		FUZZ_CHECK(valid_email(cfg.mail_from));
		/* Which methods exist is the engine's table: checked there. */
		FUZZ_CHECK(list_ok(cfg.methods));
		(void)mfa_check_config(mcheck, sizeof(mcheck));
		FUZZ_CHECK(list_ok(cfg.protected_storefront));
		FUZZ_CHECK(list_ok(cfg.protected_backend));
		FUZZ_CHECK(!isspace((unsigned char)cfg.db_name[0]));
	}
	free(text);
	return 0;
}
