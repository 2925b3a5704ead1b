bin/glue-mfa-admin mfa-off user ops@example.com email         # audited, user notified
bin/glue-mfa-admin mfa-off customer sonia@example.com         # no method: every one on (email, totp)
bin/glue-mfa-admin audit 50                                   # newest first, tab-separated
