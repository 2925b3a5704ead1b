-- The language of an account's mails (contract §10.9): a locale in
-- Spryker's form ("en_US", "de_DE"), normalised by the programs before it
-- is stored; NULL: none chosen, the mails follow default_locale.
ALTER TABLE customers ADD COLUMN locale VARCHAR(5) CHARACTER SET ascii NULL;
ALTER TABLE users ADD COLUMN locale VARCHAR(5) CHARACTER SET ascii NULL;
