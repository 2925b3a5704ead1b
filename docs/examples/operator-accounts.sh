export MFA_CONFIG=var/glue-mfa.conf
bin/glue-mfa-admin seed-demo      # the demo accounts, idempotent
printf '%s\n' 'a long password' | bin/glue-mfa-admin create-user ops@example.com Olga Ops
printf '%s\n' 'a new password'  | bin/glue-mfa-admin reset-password ops@example.com  # revokes sessions
bin/glue-mfa-admin check-sql      # prepares every statement, checking its counts
