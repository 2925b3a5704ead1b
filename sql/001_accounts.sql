-- Customers, their addresses, sign-in tokens and sign-in limits.
-- Times are Unix seconds (UTC), written by the programs' own clock.
-- Column sizes are mirrored in src/bounds.h.

CREATE TABLE customers (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	email		VARCHAR(255) NOT NULL,
	password_hash	VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	salutation	VARCHAR(4) NULL,
	first_name	VARCHAR(100) NOT NULL,
	last_name	VARCHAR(100) NOT NULL,
	created_at	BIGINT NOT NULL,
	updated_at	BIGINT NOT NULL,
	UNIQUE KEY customers_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE addresses (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	uuid		CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	customer_id	BIGINT UNSIGNED NOT NULL,
	salutation	VARCHAR(4) NULL,
	first_name	VARCHAR(100) NOT NULL,
	last_name	VARCHAR(100) NOT NULL,
	address1	VARCHAR(255) NOT NULL,
	address2	VARCHAR(255) NOT NULL DEFAULT '',
	zip_code	VARCHAR(15) NOT NULL,
	city		VARCHAR(100) NOT NULL,
	iso2_code	CHAR(2) CHARACTER SET ascii NOT NULL,
	is_default_shipping TINYINT NOT NULL DEFAULT 0,
	is_default_billing  TINYINT NOT NULL DEFAULT 0,
	created_at	BIGINT NOT NULL,
	updated_at	BIGINT NOT NULL,
	UNIQUE KEY addresses_uuid (uuid),
	KEY addresses_customer (customer_id, id),
	CONSTRAINT addresses_customer_fk FOREIGN KEY (customer_id)
	    REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- side: 0 Storefront (customers), 1 Backend (users).  Tokens are stored as
-- keyed BLAKE2b hashes only.  family_id groups one sign-in's rotations.
CREATE TABLE access_tokens (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	family_id	BIGINT UNSIGNED NOT NULL,
	token_hash	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	revoked		TINYINT NOT NULL DEFAULT 0,
	UNIQUE KEY access_tokens_hash (token_hash),
	KEY access_tokens_account (side, account_id),
	KEY access_tokens_family (family_id)
) ENGINE=InnoDB;

CREATE TABLE refresh_tokens (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	family_id	BIGINT UNSIGNED NOT NULL,
	token_hash	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	expires_at	BIGINT NOT NULL,
	used		TINYINT NOT NULL DEFAULT 0,
	revoked		TINYINT NOT NULL DEFAULT 0,
	UNIQUE KEY refresh_tokens_hash (token_hash),
	KEY refresh_tokens_account (side, account_id),
	KEY refresh_tokens_family (family_id)
) ENGINE=InnoDB;

-- Failed sign-ins per scope: a keyed hash of (side, account e-mail) or of
-- (side, client address); counted within a window starting at window_start.
CREATE TABLE login_failures (
	scope		BINARY(32) NOT NULL PRIMARY KEY,
	failures	INT UNSIGNED NOT NULL,
	window_start	BIGINT NOT NULL
) ENGINE=InnoDB;
