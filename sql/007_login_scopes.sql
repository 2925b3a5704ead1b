-- Sign-in limits by account id (contract §3.6): the account scope counts
-- consecutive failures and forgets them login_account_window seconds after
-- the last one, and the delays grow from that last failure.  The old rows
-- keyed an account by its spelling; they are dropped (every count restarts).
DELETE FROM login_failures;
ALTER TABLE login_failures ADD COLUMN last_failure BIGINT NOT NULL DEFAULT 0;
