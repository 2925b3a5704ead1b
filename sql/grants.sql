-- The runtime user's privileges, table by table: what the programs and
-- glue-mfa-admin run (every statement is in src/db.c), and nothing more.
-- No DDL (CREATE, ALTER, INDEX), no DROP and so no TRUNCATE, nothing
-- outside this database, no GRANT OPTION.  audit_log is append-only for
-- the programs (contract §5.4): INSERT and SELECT, never UPDATE or DELETE.
--
-- glue-mfa-migrate applies this file after the migrations, every run, in
-- the application's database (so table names are unqualified), as the
-- migration user (sql/migrate-user.sql gives it GRANT OPTION on this
-- database only).  The account below is the default one;
-- glue-mfa-migrate --runtime-user USER@HOST puts another in its place.
-- By hand, as an administrator:  mariadb glue_mfa < grants.sql
--
-- A migration that adds a table adds its line here.  GRANT only adds:
-- taking a privilege away needs a REVOKE here as well.
-- tests/e2e/test_zz_privileges.py checks the exact set.

-- Sign-up, sign-in, profile and password changes, account deletion; the
-- rescue and the operator tool look customers up by e-mail.
GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO 'glue_mfa'@'localhost';
-- /customers/{ref}/addresses; a customer's deletion cascades here.
GRANT SELECT, INSERT, UPDATE, DELETE ON addresses TO 'glue_mfa'@'localhost';
-- Back-office users (Backend API, operator tool).
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO 'glue_mfa'@'localhost';
-- Tokens: issued, checked, revoked; an account's are deleted with it.
GRANT SELECT, INSERT, UPDATE, DELETE ON access_tokens TO 'glue_mfa'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO 'glue_mfa'@'localhost';
-- Sign-in limits: counted (INSERT ... ON DUPLICATE KEY UPDATE), cleared.
GRANT SELECT, INSERT, UPDATE, DELETE ON login_failures TO 'glue_mfa'@'localhost';
-- MFA methods, codes and lockouts: state changes, and purged with an
-- account.
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_methods TO 'glue_mfa'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_codes TO 'glue_mfa'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_lockouts TO 'glue_mfa'@'localhost';
-- Authenticator-app secrets (sealed) and their last accepted step.
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_totp TO 'glue_mfa'@'localhost';
-- Recovery codes: a set made (old rows deleted), a code spent.
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_recovery_codes TO 'glue_mfa'@'localhost';
-- Append-only: rows are written, and read by glue-mfa-admin audit.
GRANT SELECT, INSERT ON audit_log TO 'glue_mfa'@'localhost';
-- Read-only: which migrations the database has.
GRANT SELECT ON schema_migrations TO 'glue_mfa'@'localhost';
-- Sign-up limits (migration 008): counted, windows restarted.
GRANT SELECT, INSERT, UPDATE ON signup_limits TO 'glue_mfa'@'localhost';
-- Code mails per recipient (migration 008): counted, withdrawn with a
-- code whose mail failed.
GRANT SELECT, INSERT, DELETE ON code_mails TO 'glue_mfa'@'localhost';
-- The recipient's lock row (migration 018): taken before its cap is
-- counted.
GRANT SELECT, INSERT, UPDATE ON code_recipients TO 'glue_mfa'@'localhost';
-- The notification outbox (migration 011): written with a decision,
-- claimed, retried, deleted once handed over.
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO 'glue_mfa'@'localhost';
-- Answers of Idempotency-Key requests (migration 013): claimed, answered,
-- expired rows deleted.
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO 'glue_mfa'@'localhost';
-- Passkeys (migration 016): user handles made once, credentials
-- registered, counted and removed, challenges issued, spent and purged.
GRANT SELECT, INSERT, DELETE ON webauthn_users TO 'glue_mfa'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON webauthn_credentials TO 'glue_mfa'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON webauthn_challenges TO 'glue_mfa'@'localhost';
