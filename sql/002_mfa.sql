-- Multi-factor authentication: methods per account, hashed single-use codes,
-- per-account failure counters and the audit trail (contract §4, §5).
-- side: 0 Storefront (customers), 1 Backend (users).

-- status: 0 deactivated, 1 activation is pending, 2 activated (contract §4.1).
CREATE TABLE mfa_methods (
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	type		VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	status		TINYINT NOT NULL DEFAULT 0,
	updated_at	BIGINT NOT NULL,
	PRIMARY KEY (side, account_id, type)
) ENGINE=InnoDB;

-- id is random (63 bits) and part of the hashed input, binding a code to
-- its row.  state: 0 live, 1 used, 2 blocked (too many tries),
-- 3 invalidated (a newer code, a failed send, deactivation).
-- used_token_hash / grace_until: the grace window of contract §5.1 rule 5.
CREATE TABLE mfa_codes (
	id		BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	type		VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	code_hash	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	attempts	INT UNSIGNED NOT NULL DEFAULT 0,
	state		TINYINT NOT NULL DEFAULT 0,
	used_token_hash	BINARY(32) NULL,
	grace_until	BIGINT NOT NULL DEFAULT 0,
	KEY mfa_codes_account (side, account_id, type, created_at)
) ENGINE=InnoDB;

-- Consecutive failed code checks and the lockout they caused (contract §5.2).
-- Its row is also the lock that serialises an account's code decisions.
CREATE TABLE mfa_lockouts (
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	failures	INT UNSIGNED NOT NULL DEFAULT 0,
	lockouts	INT UNSIGNED NOT NULL DEFAULT 0,
	locked_until	BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (side, account_id)
) ENGINE=InnoDB;

-- Every MFA decision and sign-in (contract §5.4).  Never a code, token,
-- password or secret.  actor_id: the administrator, for admin actions.
CREATE TABLE audit_log (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	at		BIGINT NOT NULL,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NULL,
	actor_id	BIGINT UNSIGNED NULL,
	action		VARCHAR(32) CHARACTER SET ascii NOT NULL,
	method		VARCHAR(16) CHARACTER SET ascii NULL,
	result		VARCHAR(16) CHARACTER SET ascii NOT NULL,
	error_code	VARCHAR(8) CHARACTER SET ascii NULL,
	client_address	VARCHAR(45) CHARACTER SET ascii NOT NULL,
	user_agent	VARCHAR(255) NOT NULL,
	request_id	CHAR(32) CHARACTER SET ascii NOT NULL,
	KEY audit_account (side, account_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
