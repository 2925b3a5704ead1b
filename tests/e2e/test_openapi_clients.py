"""A generated client routes every operation to its own API (contract §10.11).

openapi-client-axios (pinned in tools/lint-npm/, installed with `npm ci`
when missing) builds a client at run time from each served document,
tests/e2e/openapi_client.js; each takes its base URL from its document's
top-level server, as generated clients do (they ignore path-level servers,
which is why the one-document description sent the Backend's MFA calls to
`/`). The paths served by both APIs (the MFA resources and the recovery
codes) are then driven through both clients with each API's own token, a
whole MFA round each: every request must go out under its API's prefix and
get that API's answer (a token of the other API would be `401` 001). The
answers are recorded with the suite's (test_zzz_openapi.py checks them).
"""

import json
import os
import subprocess

import pytest
import requests

from conftest import BASE, ROOT, TIMEOUT, record_answer
from mfa_helpers import (BACKEND, STOREFRONT, mail_mark, new_code_since)

NPM = os.path.join(ROOT, "tools", "lint-npm")
SCRIPT = os.path.join(ROOT, "tests", "e2e", "openapi_client.js")
DOCS = {"storefront": "openapi-storefront.json", "backend": "openapi-backend.json"}
SIDES = {"storefront": STOREFRONT, "backend": BACKEND}


@pytest.fixture(scope="module")
def client():
    subprocess.run([os.path.join(NPM, "npm-ci.sh")], check=True, timeout=900)
    env = dict(os.environ, NODE_PATH=os.path.join(NPM, "node_modules"))
    p = subprocess.Popen(["node", SCRIPT, BASE], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=env, text=True)
    first = json.loads(p.stdout.readline() or '{"error": "no output"}')
    assert "ready" in first, first.get("error")
    c = Client(p, first["ready"])
    yield c
    p.stdin.close()
    assert p.wait(timeout=TIMEOUT) == 0


class Client:
    def __init__(self, proc, base_urls):
        self.proc, self.base_urls = proc, base_urls

    def call(self, api, op, params=None, data=None, token=None):
        self.proc.stdin.write(json.dumps({"api": api, "op": op, "params": params,
                                          "data": data, "token": token}) + "\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline() or '{"error": "no output"}')
        assert "error" not in out, out["error"]
        body = b"" if out["body"] is None else json.dumps(out["body"]).encode()
        record_answer(out["method"], out["uri"], out["status"], out["headers"], body,
                      "openapi-client-axios")
        return out


def shared_paths():
    """{template: {method: operationId}} of the paths both documents serve."""
    docs = {api: requests.get(BASE + "/" + f, timeout=TIMEOUT).json()
            for api, f in DOCS.items()}
    common = set(docs["storefront"]["paths"]) & set(docs["backend"]["paths"])
    out = {}
    for p in sorted(common):
        ops = [{m: op["operationId"] for m, op in docs[api]["paths"][p].items()
                if isinstance(op, dict) and "operationId" in op}
               for api in DOCS]
        assert ops[0] == ops[1], "%s: the two documents differ: %r" % (p, ops)
        out[p] = ops[0]
    return out


# The round on each API: (operationId, params, body, expected status,
# path as sent without the API's prefix).  "{code}" / "{recovery}" stand for
# the mailed code and a recovery code of step createRecoveryCodes.
def mfa(res, type_="email"):
    return {"data": {"type": res, "attributes": {"type": type_}}}


NO_CRED = "00000000-0000-4000-8000-000000000003"   # a passkey nobody has

ROUND = [
    ("listMfaTypes", None, None, 200, "/multi-factor-auth-types"),
    ("getMfaType", {"type": "email"}, None, 200, "/multi-factor-auth-types/email"),
    ("getRecoveryCodes", None, None, 200, "/multi-factor-auth-recovery-codes"),
    ("listWebauthnCredentials", None, None, 200, "/multi-factor-auth-webauthn-credentials"),
    ("deleteWebauthnCredential", {"credentialId": NO_CRED, "X-MFA-Code": "123456"}, None,
     404, "/multi-factor-auth-webauthn-credentials/" + NO_CRED),
    ("activateMfaType", None, mfa("multi-factor-auth-type-activate"), 204,
     "/multi-factor-auth-type-activate"),
    ("verifyMfaType", {"X-MFA-Code": "{code}"}, mfa("multi-factor-auth-type-verify"),
     204, "/multi-factor-auth-type-verify"),
    ("triggerMfaCode", None, mfa("multi-factor-auth-trigger"), 204,
     "/multi-factor-auth-trigger"),
    ("createRecoveryCodes", {"X-MFA-Code": "{code}"},
     {"data": {"type": "multi-factor-auth-recovery-codes", "attributes": {}}}, 201,
     "/multi-factor-auth-recovery-codes"),
    ("deactivateMfaType", {"X-MFA-Code": "{recovery}"},
     mfa("multi-factor-auth-type-deactivate"), 204, "/multi-factor-auth-type-deactivate"),
    ("getMfaType", {"type": "email"}, None, 200, "/multi-factor-auth-types/email"),
]


def test_each_client_takes_its_documents_server(client):
    assert client.base_urls == {"storefront": "/", "backend": "/backend"}


def test_the_round_covers_every_shared_operation():
    """Every operation of the paths both APIs serve is in the round, but
    the OAuth token endpoint's: a form request, which test_oauth_clients.py
    sends through real OAuth clients on both APIs."""
    ops = {op for p, methods in shared_paths().items() if p != "/token"
           for op in methods.values()}
    assert ops == {r[0] for r in ROUND}, ops


@pytest.mark.parametrize("api", list(DOCS))
def test_shared_paths_route_to_their_api(client, api):
    side = SIDES[api]
    acct = side.new_account()
    code = recovery = None
    for op, params, body, status, path in ROUND:
        if params:
            params = {k: {"{code}": code, "{recovery}": recovery}.get(v, v)
                      for k, v in params.items()}
        mark = mail_mark()
        r = client.call(api, op, params, body, acct.access)
        where = "%s %s: %r" % (api, op, r)
        assert r["path"] == side.prefix + path, where
        assert r["uri"] == BASE + side.prefix + path, where
        assert r["status"] == status, where
        if op in ("activateMfaType", "triggerMfaCode"):
            code = new_code_since(acct.mail, mark)
        if op == "createRecoveryCodes":
            recovery = r["body"]["data"]["attributes"]["codes"][0]
        if status == 200:
            data = r["body"]["data"]
            for res in data if isinstance(data, list) else [data]:
                assert res["links"]["self"].startswith(BASE + side.prefix + "/"), where
        if op == "getMfaType":
            assert r["body"]["data"]["attributes"]["status"] == "deactivated", where
