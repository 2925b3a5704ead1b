-- The account's lock row is written by every unit of work that takes it
-- (contract §9.9).  On one server its row lock alone serialises an
-- account's decisions; on a Galera cluster a row lock is only the node's
-- own, and a lock row that was locked but not changed is in no write
-- set, so two units of work on different nodes (two triggers, a code
-- check and a code use) could both commit.  Bumping lock_seq puts the row
-- in every such write set: the later of two overlapping units fails
-- certification and runs again, and sees what the first committed.
-- lock_seq: how many units of work that took the lock have committed.
ALTER TABLE mfa_lockouts ADD COLUMN lock_seq BIGINT UNSIGNED NOT NULL
	DEFAULT 0;
