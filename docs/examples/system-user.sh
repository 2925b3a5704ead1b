useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin glue-mfa
