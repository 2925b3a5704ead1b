-- What became of a code's mail (contract §9.4): 0 the hand-over is under
-- way (or its process died during it: the outcome is unknown), 1 handed
-- over, 2 failed (the code was withdrawn: state 3, invalidated).  Codes
-- stored before this migration, and codes no mail carries (totp), are 1.
-- The daily cap counts codes whose mail did not fail; the bound on failed
-- hand-overs (mail_failure_cap per mail_failure_window) counts those that
-- failed and those under way, so parallel requests cannot pass it.
ALTER TABLE mfa_codes ADD COLUMN handover TINYINT NOT NULL DEFAULT 1;
