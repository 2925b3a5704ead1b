-- The notification outbox (contract §9.3): a notice ("switched on",
-- "switched off", "locked", ...) is a row written in the transaction of the
-- decision it tells of, and handed to the mail transport after the commit,
-- by the request itself, by later requests or by glue-mfa-admin
-- send-outbox.  A row holds what renders the mail and nothing secret: the
-- recipient, the notice kind (enum notice, src/glue.h) and the time of the
-- event.  state: 0 due, 2 failed (attempts reached OUTBOX_MAX_ATTEMPTS, kept
-- for the operator); a handed-over row is deleted.  A process claims a row
-- by moving claimed_until past now with a conditional UPDATE, so two
-- processes never hand over one row at once.
CREATE TABLE mail_outbox (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
	side		TINYINT NOT NULL,
	account_id	BIGINT UNSIGNED NOT NULL,
	recipient	VARCHAR(255) NOT NULL,
	notice		TINYINT UNSIGNED NOT NULL,
	event_at	BIGINT NOT NULL,
	state		TINYINT NOT NULL DEFAULT 0,
	attempts	INT UNSIGNED NOT NULL DEFAULT 0,
	next_attempt_at	BIGINT NOT NULL,
	claimed_until	BIGINT NOT NULL DEFAULT 0,
	request_id	CHAR(32) CHARACTER SET ascii NOT NULL,
	PRIMARY KEY (id),
	KEY mail_outbox_due (state, next_attempt_at)
) ENGINE=InnoDB;
