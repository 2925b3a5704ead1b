/*
 * POST /multi-factor-auth-trigger (contract §4.2): mail a code before a protected action.
 * The checks and their order live in src/mfa.c, shared by both sides.
 */
#include "glue.h"

static const struct route routes[] = {
	{ M_POST, "multi-factor-auth-trigger", "multi-factor-auth-trigger",
	    R_AUTH | R_BODY | R_MFA, mfa_trigger },
};

GLUE_MAIN("multi-factor-auth-trigger", routes)
