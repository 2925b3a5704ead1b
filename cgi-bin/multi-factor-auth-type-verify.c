/*
 * POST /multi-factor-auth-type-verify (contract §4.2): verify the activation code; the method becomes active.
 * The checks and their order live in src/mfa.c, shared by both sides.
 */
#include "glue.h"

static const struct route routes[] = {
	{ M_POST, "multi-factor-auth-type-verify", "multi-factor-auth-type-verify",
	    R_AUTH | R_BODY | R_MFA, mfa_verify },
};

GLUE_MAIN("multi-factor-auth-type-verify", routes)
