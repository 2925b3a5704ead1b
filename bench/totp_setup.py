#!/usr/bin/python3
"""bench/run.sh target (g): accounts for protected writes with fresh app codes.

A code of method totp passes once per account and time step (contract §6.4),
so a run of N protected writes with fresh codes needs about N / 3 accounts
(the codes of the steps now-1, now and now+1, sent in that order). This
makes K customers with totp active and writes the requests to send, one
line each, "path token code", ordered so that every account's codes come in
step order, K lines apart:

    bench/totp_setup.py BASE INSTANCE K OUT

The customers are copies of the demo customer's row (its password hash, so
no Argon2 work here); each gets an access token minted the way the programs
store one (keyed BLAKE2b of the token under the instance's secret, domain
"token/storefront": src/auth.c), because K sign-ins would cost K Argon2
verifications. Activation and verification go through the API. At the end
the script waits for the start of a new time step, so the codes stay valid
for the next ~29 s, and prints the number of lines.
"""

import base64
import hashlib
import os
import secrets
import subprocess
import sys
import time

import pyotp
import requests

JSONAPI = "application/vnd.api+json"
STEP = 30


def sql(instance, text):
    out = subprocess.run(["mariadb", "--socket=" + os.path.join(instance, "run", "mysqld.sock"),
                          "-uroot", "glue_mfa", "-N", "-B"], input=text.encode(),
                         capture_output=True, timeout=120)
    if out.returncode != 0:
        sys.exit("totp_setup: SQL failed: " + out.stderr.decode())
    return [ln.split("\t") for ln in out.stdout.decode().splitlines()]


def main():
    base, instance, k, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(os.path.join(instance, "secret.key")) as f:
        key = bytes.fromhex(f.read().strip())
    run = secrets.token_hex(4)
    now = int(time.time())
    sql(instance, "INSERT INTO customers (email, password_hash, salutation, first_name,"
        " last_name, created_at, updated_at) SELECT CONCAT('bench-', seq, '-%s@example.com'),"
        " c.password_hash, c.salutation, 'Bench', 'Totp', %d, %d FROM customers c"
        " JOIN seq_1_to_%d WHERE c.id = 1;" % (run, now, now, k))
    ids = [int(r[0]) for r in sql(instance, "SELECT id FROM customers WHERE email LIKE"
                                  " 'bench-%%-%s@example.com' ORDER BY id;" % run)]
    if len(ids) != k:
        sys.exit("totp_setup: made %d customers, not %d" % (len(ids), k))
    tokens, values = {}, []
    for i in ids:
        t = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        h = hashlib.blake2b(b"token/storefront\0" + t.encode(), digest_size=32,
                            key=key).hexdigest()
        tokens[i] = t
        values.append("(0, %d, %d, UNHEX('%s'), %d, %d)" % (i, i, h, now, now + 28800))
    sql(instance, "INSERT INTO access_tokens (side, account_id, family_id, token_hash,"
        " created_at, expires_at) VALUES %s;" % ", ".join(values))
    s = requests.Session()
    apps = {}
    for i in ids:
        h = {"Authorization": "Bearer " + tokens[i], "Content-Type": JSONAPI,
             "Accept": JSONAPI}
        r = s.post(base + "/multi-factor-auth-type-activate", headers=h, data=(
            '{"data":{"type":"multi-factor-auth-type-activate","attributes":{"type":"totp"}}}'))
        if r.status_code != 200:
            sys.exit("totp_setup: activate answered %d: %s" % (r.status_code, r.text[:200]))
        app = pyotp.TOTP(r.json()["data"]["attributes"]["secret"])
        # The previous step's code: the run's codes (from the next step on)
        # are all later than it.
        h["X-MFA-Code"] = app.at(time.time() - STEP)
        r = s.post(base + "/multi-factor-auth-type-verify", headers=h, data=(
            '{"data":{"type":"multi-factor-auth-type-verify","attributes":{"type":"totp"}}}'))
        if r.status_code != 204:
            sys.exit("totp_setup: verify answered %d: %s" % (r.status_code, r.text[:200]))
        apps[i] = app
    # The start of a new step: its codes and its neighbours' stay good ~29 s.
    time.sleep(STEP - time.time() % STEP + 0.2)
    t = int(time.time())
    with open(out_path, "w") as f:
        for d in (-1, 0, 1):
            for i in ids:
                f.write("/customers/DE--%d %s %s\n" % (i, tokens[i], apps[i].at(t + d * STEP)))
    print(3 * k)


if __name__ == "__main__":
    main()
