/*
 * POST /multi-factor-auth-type-activate (contract §4.2): start activating a method; mails a code.
 * The checks and their order live in src/mfa.c, shared by both sides.
 */
#include "glue.h"

static const struct route routes[] = {
	{ M_POST, "multi-factor-auth-type-activate", "multi-factor-auth-type-activate",
	    R_AUTH | R_BODY | R_MFA, mfa_activate },
};

GLUE_MAIN("multi-factor-auth-type-activate", routes)
