/*
 * glue-mfa-admin: the operator's tool.  Uses the same core and the same
 * configuration (MFA_CONFIG) as the programs.
 *
 *   glue-mfa-admin seed-demo     create the demo accounts (idempotent)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

static int
seed_customer(const char *email, const char *password, const char *first,
    const char *last)
{
	char		 hash[MAX_PASSWORD + 32];
	struct dbv	 v[7];
	long long	 rc;
	time_t		 now = clock_now();

	if (password_hash(hash, sizeof(hash), password) != 0) {
		fprintf(stderr, "glue-mfa-admin: password hashing failed\n");
		return -1;
	}
	v[0] = DBV_TEXT(email);
	v[1] = DBV_TEXT(hash);
	v[2] = DBV_TEXT("Ms");
	v[3] = DBV_TEXT(first);
	v[4] = DBV_TEXT(last);
	v[5] = DBV_INT((long long)now);
	v[6] = DBV_INT((long long)now);
	rc = db_exec(S_CUSTOMER_INSERT, v, 7);
	if (rc == DB_DUP) {
		printf("customer %s: exists\n", email);
		return 0;
	}
	if (rc != 1) {
		fprintf(stderr, "glue-mfa-admin: cannot create customer %s\n",
		    email);
		return -1;
	}
	printf("customer %s: created as DE--%lld\n", email, db_insert_id());
	return 0;
}

static int
seed_demo(void)
{
	return seed_customer("sonia@example.com", "change123", "Sonia",
	    "Wagner");
}

static void
usage(void)
{
	fputs("usage: glue-mfa-admin seed-demo\n", stderr);
	exit(2);
}

int
main(int argc, char *argv[])
{
	char	 err[512];
	int	 rc;

	if (argc < 2)
		usage();
	if (config_load(getenv("MFA_CONFIG"), err, sizeof(err)) == -1 ||
	    crypto_start(cfg.secret_key_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "glue-mfa-admin: %s\n", err);
		return 1;
	}
	if (db_open() == -1) {
		fprintf(stderr, "glue-mfa-admin: cannot connect to the "
		    "database (see the line above)\n");
		return 1;
	}
	db_request_start();
	if (strcmp(argv[1], "seed-demo") == 0)
		rc = seed_demo();
	else
		usage();
	db_close();
	return rc == 0 ? 0 : 1;
}
