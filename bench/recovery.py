#!/usr/bin/python3
"""Accounts for target (g) of bench/run.sh: N fresh customers, each with
e-mail MFA on and a set of ten recovery codes, written to OUT as lines
"PATH TOKEN CODE" (/customers/DE--n, the access token, one recovery code),
code-major, so that consecutive lines belong to different accounts.

usage: recovery.py BASE MAIL_DIR N OUT
"""
import json
import os
import re
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

BASE, MAIL, N, OUT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
JSONAPI = "application/vnd.api+json"
RUN = uuid.uuid4().hex[:8]


def call(method, path, attrs, type_, token=None, code=None):
    h = {"Content-Type": JSONAPI, "Accept": JSONAPI}
    if token:
        h["Authorization"] = "Bearer " + token
    if code:
        h["X-MFA-Code"] = code
    body = json.dumps({"data": {"type": type_, "attributes": attrs}}).encode()
    req = urllib.request.Request(BASE + path, data=body, headers=h, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return r.status, json.loads(raw) if raw else None


def code_for(addr):
    """The code of the newest mail to addr (waits for it a little)."""
    for _ in range(50):
        for name in sorted(os.listdir(MAIL), reverse=True):
            with open(os.path.join(MAIL, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if re.search(r"^To: %s\r?$" % re.escape(addr), text, re.M):
                m = re.search(r"code is: (\d+)", text)
                if m:
                    return m.group(1)
                break
        time.sleep(0.1)
    raise SystemExit("bench: no code mail to %s" % addr)


def account(i):
    mail = "bench-rc-%s-%d@example.com" % (RUN, i)
    pw = "bench-passw0rd"
    st, d = call("POST", "/customers", {
        "firstName": "Bench", "lastName": "Recovery", "email": mail, "password": pw,
        "confirmPassword": pw, "acceptedTerms": True}, "customers")
    ref = d["data"]["id"]
    st, d = call("POST", "/access-tokens", {"username": mail, "password": pw},
                 "access-tokens")
    tok = d["data"]["attributes"]["accessToken"]
    call("POST", "/multi-factor-auth-type-activate", {"type": "email"},
         "multi-factor-auth-type-activate", tok)
    code = code_for(mail)
    call("POST", "/multi-factor-auth-type-verify", {"type": "email"},
         "multi-factor-auth-type-verify", tok, code)
    # The verification code, repeated by this token within its grace window.
    st, d = call("POST", "/multi-factor-auth-recovery-codes", {},
                 "multi-factor-auth-recovery-codes", tok, code)
    assert st == 201, st
    return "/customers/" + ref, tok, d["data"]["attributes"]["codes"]


with ThreadPoolExecutor(4) as pool:
    accounts = list(pool.map(account, range(N)))
with open(OUT, "w") as f:
    for k in range(10):
        for path, tok, codes in accounts:
            f.write("%s %s %s\n" % (path, tok, codes[k]))
print("bench: %d accounts, %d recovery codes in %s" % (N, 10 * N, OUT))
