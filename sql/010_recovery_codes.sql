-- Recovery codes (contract §8): ten single-use codes per account, each
-- stored only as a salted Argon2id hash (crypto_pwhash_str, at most 127
-- characters) of a keyed BLAKE2b digest bound to the account.  A new set
-- rewrites every slot of the old one.  used_at: 0 unused, else the time of
-- its one use.
CREATE TABLE mfa_recovery_codes (
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	slot		TINYINT UNSIGNED NOT NULL,
	code_hash	VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	created_at	BIGINT NOT NULL,
	used_at		BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (side, account_id, slot)
) ENGINE=InnoDB;
