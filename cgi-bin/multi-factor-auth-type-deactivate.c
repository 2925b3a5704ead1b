/*
 * POST /multi-factor-auth-type-deactivate (contract §4.2): switch a method off with a code of it.
 * The checks and their order live in src/mfa.c, shared by both sides.
 */
#include "glue.h"

static const struct route routes[] = {
	{ M_POST, "multi-factor-auth-type-deactivate", "multi-factor-auth-type-deactivate",
	    R_AUTH | R_BODY | R_MFA, mfa_deactivate },
};

GLUE_MAIN("multi-factor-auth-type-deactivate", routes)
