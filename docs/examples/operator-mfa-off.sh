bin/glue-mfa-admin mfa-off customer sonia@example.com email   # audited, customer notified
bin/glue-mfa-admin mfa-off user ops@example.com email
bin/glue-mfa-admin mfa-off customer sonia@example.com totp    # the app's secret deleted
bin/glue-mfa-admin audit 50                                   # newest first, tab-separated
