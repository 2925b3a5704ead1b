bin/glue-mfa-admin send-outbox    # hands over every due notification (cron)
bin/glue-mfa-admin outbox 100     # notifications not handed over yet, failed ones too
bin/glue-mfa-admin outbox-retry   # failed notifications due again
