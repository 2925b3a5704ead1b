-- Method "totp" (contract §6): one authenticator-app secret per account,
-- sealed (libsodium secretbox, a key derived from the server secret and
-- bound to the account), never stored in clear.  last_step: the newest
-- time step accepted (a code passes only for a later one: no replay);
-- drift: the clock offset, in steps, of the last success (RFC 6238 §6).
CREATE TABLE mfa_totp (
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	secret_box	VARBINARY(64) NOT NULL,
	secret_nonce	BINARY(24) NOT NULL,
	last_step	BIGINT NOT NULL DEFAULT 0,
	drift		TINYINT NOT NULL DEFAULT 0,
	created_at	BIGINT NOT NULL,
	PRIMARY KEY (side, account_id)
) ENGINE=InnoDB;
