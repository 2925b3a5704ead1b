-- Back-office users (Backend API, contract §3.3).  status: 1 active, 0 blocked;
-- a blocked user's tokens stop working at once (the token check joins here).
CREATE TABLE users (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	uuid		CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	username	VARCHAR(255) NOT NULL,
	password_hash	VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	first_name	VARCHAR(100) NOT NULL,
	last_name	VARCHAR(100) NOT NULL,
	status		TINYINT NOT NULL DEFAULT 1,
	created_at	BIGINT NOT NULL,
	updated_at	BIGINT NOT NULL,
	UNIQUE KEY users_uuid (uuid),
	UNIQUE KEY users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
