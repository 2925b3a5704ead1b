-- The authentication query looks up the codes in a grace window for the
-- calling token (src/db.c, S_TOKEN_AUTH): index them by that token.
ALTER TABLE mfa_codes ADD KEY mfa_codes_grace (used_token_hash);
