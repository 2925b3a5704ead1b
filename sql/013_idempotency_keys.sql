-- Answers of requests sent with an Idempotency-Key (contract §9.6).  A row
-- is found by key_hash, a keyed BLAKE2b digest of the caller's scope (side,
-- account, path) and the key, never the key itself; body_hash is a keyed
-- digest of the request body; the answer (status line, headers, body) is
-- sealed (crypto_secretbox) under a key derived from the server secret and
-- the client's key, so the table holds no token, secret or recovery code
-- in clear and a row opens only for a request that brings the key.
-- status 0 is a row claimed inside the request's own transaction, never
-- committed without its answer.  Rows older than idempotency_window are
-- deleted by the requests that carry a key, a batch at a time.
CREATE TABLE idempotency_keys (
	key_hash	BINARY(32) NOT NULL,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	body_hash	BINARY(32) NOT NULL,
	created_at	BIGINT NOT NULL,
	status		SMALLINT NOT NULL DEFAULT 0,
	answer_box	BLOB NULL,
	answer_nonce	BINARY(24) NULL,
	PRIMARY KEY (key_hash),
	KEY idempotency_keys_created (created_at)
) ENGINE=InnoDB;
