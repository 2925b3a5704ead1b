-- Sign-up limits, e-mail confirmation and the per-recipient cap of code
-- mails (contract §3.2, §5.3).
--
-- A customer is confirmed once confirmed_at is set.  The registration key
-- mailed at sign-up is stored only as its keyed hash, until it is used or
-- expires.  Customers who existed before confirmation count as confirmed.
ALTER TABLE customers
	ADD COLUMN confirmed_at BIGINT NULL,
	ADD COLUMN registration_key_hash BINARY(32) NULL,
	ADD COLUMN registration_key_expires BIGINT NULL,
	ADD UNIQUE KEY customers_registration_key (registration_key_hash);
UPDATE customers SET confirmed_at = created_at;

-- Sign-ups counted per scope (a keyed hash of the client address, or of
-- the word "global"), in a fixed window that starts with its first hit.
CREATE TABLE signup_limits (
	scope		BINARY(32) NOT NULL PRIMARY KEY,
	hits		BIGINT NOT NULL,
	window_start	BIGINT NOT NULL
) ENGINE=InnoDB;

-- One row per code mail handed over, keyed on a keyed hash of the
-- recipient address, whatever the account: the daily cap per recipient.
CREATE TABLE code_mails (
	code_id		BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	recipient_hash	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	KEY code_mails_recipient (recipient_hash, created_at)
) ENGINE=InnoDB;
