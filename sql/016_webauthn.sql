-- Method "webauthn" (contract §12): passkeys and security keys.
--
-- webauthn_users: the random user handle (WebAuthn user.id) of an account,
-- made at its first activation and kept, never derived from the e-mail.
CREATE TABLE webauthn_users (
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	user_handle	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	PRIMARY KEY (side, account_id),
	UNIQUE KEY (side, user_handle)
) ENGINE=InnoDB;

-- webauthn_credentials: the registered public keys, several per account.
-- uuid names one in the API; cred_hash (keyed BLAKE2b of the credential
-- id) finds it and keeps a credential id registered once per side (WebAuthn
-- §7.1 step 26).  flags: 1 UV at registration, 2 backup eligible, 4 backed
-- up.  No secret here: a public key is public.
CREATE TABLE webauthn_credentials (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	uuid		CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	cred_hash	BINARY(32) NOT NULL,
	credential_id	VARBINARY(1023) NOT NULL,
	public_key	VARBINARY(600) NOT NULL,
	alg		SMALLINT NOT NULL,
	sign_count	BIGINT UNSIGNED NOT NULL DEFAULT 0,
	aaguid		BINARY(16) NOT NULL,
	fmt		VARCHAR(16) CHARACTER SET ascii NOT NULL,
	flags		TINYINT UNSIGNED NOT NULL DEFAULT 0,
	name		VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL,
	created_at	BIGINT NOT NULL,
	last_used_at	BIGINT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY (uuid),
	UNIQUE KEY (side, cred_hash),
	KEY (side, account_id)
) ENGINE=InnoDB;

-- webauthn_challenges: challenges handed out, stored only as a keyed hash
-- (like codes), bound to the account and a purpose (0: registration, 1:
-- authentication), single use (used), expiring.
CREATE TABLE webauthn_challenges (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	purpose		TINYINT NOT NULL,
	challenge_hash	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	used		TINYINT NOT NULL DEFAULT 0,
	PRIMARY KEY (id),
	UNIQUE KEY (challenge_hash),
	KEY (side, account_id, purpose)
) ENGINE=InnoDB;
