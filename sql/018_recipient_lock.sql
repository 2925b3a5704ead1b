-- A lock row per code recipient (the keyed hash of code_mails), written by
-- every unit of work that counts the recipient's daily cap (contract
-- §5.3).  The account's lock serialises one account's sends; a customer
-- and a back-office user may share an address and hold different account
-- locks, so without this row two of their sends could both count the
-- address at its cap minus one and both be mailed.  Bumping lock_seq also
-- puts the row in the write set of both units on a Galera cluster, where
-- the later one fails certification and runs again (as migration 017).
CREATE TABLE code_recipients (
	recipient_hash	BINARY(32) NOT NULL PRIMARY KEY,
	lock_seq	BIGINT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB;
