/*
 * GET /multi-factor-auth-types[/{type}] (contract §4, §4.1): the methods the
 * server offers with the account's status of each.
 */
#include "glue.h"

static const struct route routes[] = {
	{ M_GET, "multi-factor-auth-types", "multi-factor-auth-types",
	    R_AUTH | R_METHODS, mfa_types },
	{ M_GET, "multi-factor-auth-types/:", "multi-factor-auth-types",
	    R_AUTH | R_METHODS, mfa_types },
};

GLUE_MAIN("multi-factor-auth-types", routes)
