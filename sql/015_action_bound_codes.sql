-- Codes bound to an action (contract §10.8): the one protected request a
-- code was triggered for, "METHOD resource-type id" ("PATCH customers
-- DE--12", "POST addresses" when the path carries no id).  NULL: a code
-- for any protected request, as before this migration.  A bound code
-- passes the MFA guard only for that request, and opens no grace window.
ALTER TABLE mfa_codes ADD COLUMN action VARCHAR(128) CHARACTER SET ascii
	COLLATE ascii_bin NULL;
