-- The migration user's privileges: the schema of this one database and
-- nothing else (no other database, no global privilege, no CREATE USER).
-- GRANT OPTION lets it keep the runtime user's grants (sql/grants.sql) in
-- step with the schema; it can pass on only what it holds here.
--
-- Run once by a database administrator, after creating the database and
-- both accounts (README, "Database users and least privilege"):
--     mariadb < /usr/local/share/glue-mfa/sql/migrate-user.sql
-- With other names, edit a copy: the database glue_mfa and the account
-- 'glue_mfa_migrate'@'localhost' appear only here.

GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP,
      REFERENCES, CREATE VIEW, SHOW VIEW, LOCK TABLES
    ON glue_mfa.* TO 'glue_mfa_migrate'@'localhost' WITH GRANT OPTION;
