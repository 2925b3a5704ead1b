-- Codes in the order they were made (and, since a newer code invalidates
-- the older ones of its method, in the order they were used): the grace
-- windows a token holds are ranked by it when several end in the same
-- second (src/db.c, MAX_GRACE_WINDOWS: the newest are kept).
ALTER TABLE mfa_codes ADD COLUMN seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	ADD UNIQUE KEY mfa_codes_seq (seq);
