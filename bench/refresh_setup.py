#!/usr/bin/python3
"""Refresh tokens for target (j) of bench/run.sh: N of the demo customer
(DE--1), each of its own family, stored as the programs store one (keyed
BLAKE2b of the token under the instance's secret, domain
"token/storefront", as src/auth.c's auth_token_hash), so that making them
costs no sign-in (N sign-ins would be N Argon2id verifications).  Written
to OUT as bench/once.lua lines "POST /refresh-tokens - BODY".

usage: refresh_setup.py INSTANCE N OUT
"""
import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time

BATCH = 2000    # rows per INSERT, well inside max_allowed_packet


def sql(instance, text):
    out = subprocess.run(["mariadb", "--socket=" + os.path.join(instance, "run", "mysqld.sock"),
                          "-uroot", "glue_mfa", "-N", "-B"], input=text.encode(),
                         capture_output=True, timeout=120)
    if out.returncode != 0:
        sys.exit("refresh_setup: SQL failed: " + out.stderr.decode())


def main():
    instance, n, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(os.path.join(instance, "secret.key")) as f:
        key = bytes.fromhex(f.read().strip())
    now = int(time.time())
    base_family = secrets.randbits(48) << 12
    lines, values = [], []
    for i in range(n):
        t = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        h = hashlib.blake2b(b"token/storefront\0" + t.encode(), digest_size=32,
                            key=key).hexdigest()
        values.append("(0, 1, %d, UNHEX('%s'), %d, %d)"
                      % (base_family + i, h, now, now + 86400))
        lines.append("POST /refresh-tokens - " + json.dumps(
            {"data": {"type": "refresh-tokens", "attributes": {"refreshToken": t}}},
            separators=(",", ":")))
        if len(values) == BATCH or i == n - 1:
            sql(instance, "INSERT INTO refresh_tokens (side, account_id, family_id,"
                " token_hash, created_at, expires_at) VALUES %s;" % ", ".join(values))
            values = []
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("bench: %d refresh tokens of DE--1 in %s" % (n, out_path))


if __name__ == "__main__":
    main()
