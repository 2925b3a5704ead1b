/*
 * glue-mfa-admin: the operator's tool, built on the same core and reading
 * the same configuration (MFA_CONFIG) as the programs.  Passwords are read
 * from the first line of standard input, never from the command line
 * (which other users can see in the process list).
 *
 *   seed-demo                          the demo customer and user (idempotent)
 *   create-user EMAIL FIRST LAST       a back-office user; password on stdin
 *   reset-password EMAIL               a user's password; revokes their tokens
 *   mfa-off customer|user EMAIL [TYPE] switch off an account's MFA method
 *                                      (no TYPE: every active one)
 *   set-locale customer|user EMAIL LOCALE|-  the language of its mails
 *   audit [N]                          the last N audit rows (default 20)
 *   send-outbox                        hand over every due notice (cron)
 *   outbox [N]                         the first N notices not handed over
 *   outbox-retry                       notices marked failed due again
 *   check-sql                          prepare every statement, checking its
 *                                      parameter and column counts
 *   help, -h, --help                   the usage, on stdout (exit 0)
 *
 * EMAIL is taken in its canonical form (contract §3.9): ASCII case folds,
 * any other variant is refused as an invalid e-mail address.
 *
 * Exit status: 0 done, 1 failed, 2 usage error (the usage on stderr);
 * send-outbox: 1 also when a notice was not handed over (it stays, due
 * again later or failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

static const char *progname = "glue-mfa-admin";

static int
fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", progname, what);
	return -1;
}

/* "customer" or "user": the side of that kind of account; -1 said. */
static int
account_side(const char *kind, enum side *side)
{
	if (strcmp(kind, "customer") == 0)
		*side = SIDE_STOREFRONT;
	else if (strcmp(kind, "user") == 0)
		*side = SIDE_BACKEND;
	else
		return fail("the account kind is customer or user");
	return 0;
}

/* A request as the core's audited functions need one. */
static void
local_req(struct req *r, enum side side, long long account)
{
	memset(r, 0, sizeof(*r));
	r->side = side;
	r->acct.id = account;
	r->now = clock_now();
	r->remote_addr = "local";
	r->user_agent = progname;
	random_hex(r->id, REQUEST_ID_CHARS / 2);
}

/* The first line of stdin, checked as a password. */
static int
read_password(char *buf, size_t sz)
{
	size_t	 n;

	if (fgets(buf, (int)sz, stdin) == NULL)
		return fail("expected the password on standard input");
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (!valid_password(buf))
		return fail("the password must be 8 to 128 bytes");
	return 0;
}

static int
create_customer(const char *given, const char *password, const char *first,
    const char *last)
{
	char		 hash[MAX_PASSWORD + 32], email[MAX_EMAIL + 1];
	long long	 rc;

	if (email_canonical(email, sizeof(email), given) != 0)
		return fail("invalid e-mail address");
	if (password_hash(hash, sizeof(hash), password) != 0)
		return fail("password hashing failed");
	if ((rc = db_customer_insert(&(struct customer_fields){ email, "Ms",
	    first, last, NULL }, hash, clock_now())) == DB_DUP) {
		printf("customer %s: exists\n", email);
		return 0;
	}
	/* The operator vouches for the address: confirmed (contract §3.10). */
	if (rc < 0 || db_customer_confirmed_at(rc, clock_now()) != 0)
		return fail("cannot create the customer (see the log line above)");
	printf("customer %s: created as DE--%lld\n", email, rc);
	return 0;
}

/* 1 created, 0 existed, -1 failed. */
static int
create_user(const char *given, const char *password, const char *first,
    const char *last)
{
	char		 hash[MAX_PASSWORD + 32], uuid[37], email[MAX_EMAIL + 1];
	long long	 rc;

	if (email_canonical(email, sizeof(email), given) != 0 ||
	    !valid_name(first) || !valid_name(last))
		return fail("invalid e-mail address or name");
	if (password_hash(hash, sizeof(hash), password) != 0)
		return fail("password hashing failed");
	uuid_v4(uuid);
	if ((rc = db_user_insert(uuid, &(struct user_fields){ email, hash,
	    first, last, 1, NULL }, clock_now())) == DB_DUP) {
		printf("user %s: exists\n", email);
		return 0;
	}
	if (rc < 0)
		return fail("cannot create the user (see the log line above)");
	printf("user %s: created (%s)\n", email, uuid);
	return 1;
}

static int
seed_demo(void)
{
	if (create_customer("sonia@example.com", "change123", "Sonia",
	    "Wagner") != 0)
		return -1;
	return create_user("admin@example.com", "change123", "Ada", "Admin")
	    < 0 ? -1 : 0;
}

/*
 * The id of a customer (by e-mail) or user (by username), looked up in its
 * canonical form, which email (MAX_EMAIL + 1 bytes) receives; 0 if none,
 * -1 (said) if the address is invalid or on a database error.
 */
static long long
account_id(enum side side, const char *given, char *email)
{
	long long	 id;

	if (email_canonical(email, MAX_EMAIL + 1, given) != 0) {
		fail("invalid e-mail address");
		return -1;
	}
	id = side == SIDE_BACKEND ? db_user_by_name(email) :
	    db_customer_by_email(email);
	if (id < 0) {
		fail("database error (see the log line above)");
		return -1;
	}
	return id;
}

static int
cmd_create_user(char *argv[])
{
	char	 pw[MAX_PASSWORD + 2];

	if (read_password(pw, sizeof(pw)) != 0)
		return -1;
	switch (create_user(argv[0], pw, argv[1], argv[2])) {
	case 1:
		return 0;
	case 0:
		return fail("a user with that username exists");
	default:
		return -1;
	}
}

/* Sets the password and revokes every token of the user. */
static int
cmd_reset_password(char *argv[])
{
	char		 pw[MAX_PASSWORD + 2], hash[MAX_PASSWORD + 32];
	char		 name[MAX_EMAIL + 1];
	struct req	 r;
	long long	 id;

	if ((id = account_id(SIDE_BACKEND, argv[0], name)) <= 0)
		return id == 0 ? fail("no such user") : -1;
	if (read_password(pw, sizeof(pw)) != 0 ||
	    password_hash(hash, sizeof(hash), pw) != 0)
		return -1;
	local_req(&r, SIDE_BACKEND, id);
	if (db_begin() != 0 || db_user_update(id, &(struct user_fields){ NULL,
	    hash, NULL, NULL, -1, NULL }, r.now) != 1 ||
	    auth_revoke_others(&r) != 0 || db_commit() != 0) {
		db_rollback();
		return fail("cannot update the password (see the log above)");
	}
	printf("user %s: password set, sessions revoked\n", name);
	return 0;
}

/* The language of an account's mails (contract §10.9); "-" clears it. */
static int
cmd_set_locale(char *argv[])
{
	struct subject	 who;
	char		 name[MAX_EMAIL + 1], locale[MAX_LOCALE + 1];
	int		 clear = strcmp(argv[2], "-") == 0;

	if (account_side(argv[0], &who.side) != 0)
		return -1;
	if (!clear && locale_normalise(locale, argv[2]) != 0)
		return fail("not a locale of the mail catalogue (en, de, as "
		    "en_US, de_DE, de-AT ...)");
	if ((who.id = account_id(who.side, argv[1], name)) <= 0)
		return who.id == 0 ? fail("no such account") : -1;
	if (db_locale_set(&who, clear ? NULL : locale, clock_now()) < 0)
		return fail("cannot set the locale (see the log line above)");
	printf("%s %s: locale %s\n", argv[0], name,
	    clear ? "cleared (default_locale)" : locale);
	return 0;
}

/* One method, or with no TYPE every active one (contract §10.7): a line
 * and an audit row per method switched off, one notice. */
static int
cmd_mfa_off(int argc, char *argv[])
{
	struct subject	 who;
	struct methods	 off;
	struct req	 r;
	char		 name[MAX_EMAIL + 1];
	const char	*type = argc == 3 ? argv[2] : NULL;
	enum err	 e;
	size_t		 i;

	if (account_side(argv[0], &who.side) != 0)
		return -1;
	if ((who.id = account_id(who.side, argv[1], name)) <= 0)
		return who.id == 0 ? fail("no such account") : -1;
	local_req(&r, SIDE_BACKEND, 0);
	switch ((e = mfa_admin_off(&r, &who, type, 0, &off))) {
	case E_NONE:
		for (i = 0; i < off.n; i++)
			printf("%s %s: %s switched off\n", argv[0], name,
			    off.m[i].type);
		/* The notice it queued, as a request hands over its own. */
		outbox_after(&r);
		return 0;
	case E_MFA_TYPE_NOT_FOUND:
		return fail(type != NULL ?
		    "that method is not offered or not active" :
		    "no method is active");
	default:
		return fail("cannot switch it off (see the log above)");
	}
}

static void
audit_print(const struct audit_row *a, void *arg)
{
	char	 when[21];

	(void)arg;
	iso8601(when, a->at);
	printf("%s\t%s\t%lld\t%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", when,
	    a->side == SIDE_BACKEND ? "backend" : "storefront", a->account,
	    a->actor, a->action, a->method[0] ? a->method : "-", a->result,
	    a->code[0] ? a->code : "-", a->address, a->request);
}

static int
cmd_audit(int argc, char *argv[])
{
	char		*end = NULL;
	long		 n = argc > 0 ? strtol(argv[0], &end, 10) : 20;

	if (n <= 0 || n > 10000 || (end != NULL && (*end != '\0' ||
	    end == argv[0])))
		return fail("N must be 1 to 10000");
	printf("time\tside\taccount\tactor\taction\tmethod\tresult\tcode\t"
	    "address\trequest\n");
	return db_audit_iterate(n, audit_print, NULL) < 0 ?
	    fail("database error") : 0;
}

/*
 * Every due notice handed over, OUTBOX_BATCH_MAX at a time, for a cron
 * job (contract §9.3).  Rows claimed by a running program are left to it.
 * A notice not handed over is due again only later, so a broken mail
 * path costs one attempt per notice per run.
 */
static int
cmd_send_outbox(void)
{
	struct outbox_result res, round;
	time_t		 now = clock_now();

	memset(&res, 0, sizeof(res));
	do {
		memset(&round, 0, sizeof(round));
		if (outbox_send_due(now, OUTBOX_BATCH_MAX, &round) != 0)
			return fail("database error (see the log line above)");
		res.sent += round.sent;
		res.retry += round.retry;
		res.failed += round.failed;
	} while (round.sent + round.retry + round.failed > 0);
	printf("outbox: %ld handed over, %ld due again later, %ld marked "
	    "failed\n", res.sent, res.retry, res.failed);
	return res.retry + res.failed == 0 ? 0 : -1;
}

static const char *const notice_name[] = {
	[NOTICE_ON] = "on", [NOTICE_OFF] = "off",
	[NOTICE_ADMIN_OFF] = "admin_off", [NOTICE_LOCKED] = "locked",
	[NOTICE_USERNAME_OLD] = "username_old",
	[NOTICE_USERNAME_NEW] = "username_new",
	[NOTICE_RECOVERY_NEW] = "recovery_new",
	[NOTICE_RECOVERY_USED] = "recovery_used",
};

static void
outbox_print(const struct outbox_row *o, void *arg)
{
	char	 when[21], next[21];

	(void)arg;
	iso8601(when, o->event_at);
	iso8601(next, o->next_attempt_at);
	printf("%lld\t%s\t%lld\t%s\t%s\t%s\t%s\t%lld\t%s\n", o->id,
	    o->side == SIDE_BACKEND ? "backend" : "storefront", o->account,
	    o->to, o->notice >= 0 && (size_t)o->notice < nitems(notice_name) ?
	    notice_name[o->notice] : "?", when, o->failed ? "failed" : "due",
	    o->attempts, o->failed ? "-" : next);
}

static int
cmd_outbox(int argc, char *argv[])
{
	char		*end = NULL;
	long		 n = argc > 0 ? strtol(argv[0], &end, 10) : 20;

	if (n <= 0 || n > 10000 || (end != NULL && (*end != '\0' ||
	    end == argv[0])))
		return fail("N must be 1 to 10000");
	printf("id\tside\taccount\trecipient\tnotice\tevent\tstate\t"
	    "attempts\tnext\n");
	return db_outbox_iterate(n, outbox_print, NULL) < 0 ?
	    fail("database error") : 0;
}

static int
cmd_outbox_retry(void)
{
	long long	 n;

	if ((n = db_outbox_requeue(clock_now())) < 0)
		return fail("database error (see the log line above)");
	printf("outbox: %lld failed notices due again\n", n);
	return 0;
}

/* Every statement prepared once: a count that does not match its table
 * entry aborts a test build (and fails here in a release build). */
static int
cmd_check_sql(void)
{
	int	 bad;

	if ((bad = db_check()) != 0) {
		fprintf(stderr, "%s: %d of %d statements failed to prepare "
		    "(see the log above)\n", progname, bad, db_statements());
		return -1;
	}
	printf("%d statements prepared, parameter and column counts match\n",
	    db_statements());
	return 0;
}

/* The usage text: on stdout with exit 0 when asked for (help, -h,
 * --help), on stderr with exit 2 after a usage error. */
static void
usage(FILE *out, int status)
{
	fprintf(out, "usage: %s seed-demo\n"
	    "       %s create-user EMAIL FIRST LAST   (password on stdin)\n"
	    "       %s reset-password EMAIL           (password on stdin)\n"
	    "       %s mfa-off customer|user EMAIL [TYPE]\n"
	    "       %s set-locale customer|user EMAIL LOCALE|-\n"
	    "       %s audit [N]\n"
	    "       %s send-outbox\n"
	    "       %s outbox [N]\n"
	    "       %s outbox-retry\n"
	    "       %s check-sql\n"
	    "       %s help | -h | --help\n", progname, progname, progname,
	    progname, progname, progname, progname, progname, progname,
	    progname, progname);
	exit(status);
}

int
main(int argc, char *argv[])
{
	char		 err[512];
	const char	*cmd;
	int		 rc;

	if (argc < 2)
		usage(stderr, 2);
	cmd = argv[1];
	if (argc == 2 && (strcmp(cmd, "help") == 0 ||
	    strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0))
		usage(stdout, 0);
	if (!((strcmp(cmd, "seed-demo") == 0 && argc == 2) ||
	    (strcmp(cmd, "create-user") == 0 && argc == 5) ||
	    (strcmp(cmd, "reset-password") == 0 && argc == 3) ||
	    (strcmp(cmd, "mfa-off") == 0 && (argc == 4 || argc == 5)) ||
	    (strcmp(cmd, "set-locale") == 0 && argc == 5) ||
	    (strcmp(cmd, "audit") == 0 && argc <= 3) ||
	    (strcmp(cmd, "send-outbox") == 0 && argc == 2) ||
	    (strcmp(cmd, "outbox") == 0 && argc <= 3) ||
	    (strcmp(cmd, "outbox-retry") == 0 && argc == 2) ||
	    (strcmp(cmd, "check-sql") == 0 && argc == 2)))
		usage(stderr, 2);
	if (config_load(getenv("MFA_CONFIG"), err, sizeof(err)) == -1 ||
	    mfa_check_config(err, sizeof(err)) == -1 ||
	    crypto_start(cfg.secret_key_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", progname, err);
		return 1;
	}
	if (db_open() == -1) {
		fprintf(stderr, "%s: cannot connect to the database\n",
		    progname);
		return 1;
	}
	db_request_start();
	if (strcmp(cmd, "seed-demo") == 0)
		rc = seed_demo();
	else if (strcmp(cmd, "create-user") == 0)
		rc = cmd_create_user(argv + 2);
	else if (strcmp(cmd, "reset-password") == 0)
		rc = cmd_reset_password(argv + 2);
	else if (strcmp(cmd, "mfa-off") == 0)
		rc = cmd_mfa_off(argc - 2, argv + 2);
	else if (strcmp(cmd, "set-locale") == 0)
		rc = cmd_set_locale(argv + 2);
	else if (strcmp(cmd, "audit") == 0)
		rc = cmd_audit(argc - 2, argv + 2);
	else if (strcmp(cmd, "send-outbox") == 0)
		rc = cmd_send_outbox();
	else if (strcmp(cmd, "outbox") == 0)
		rc = cmd_outbox(argc - 2, argv + 2);
	else if (strcmp(cmd, "outbox-retry") == 0)
		rc = cmd_outbox_retry();
	else
		rc = cmd_check_sql();
	db_close();
	return rc == 0 ? 0 : 1;
}
