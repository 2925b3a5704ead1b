"""Method webauthn (contract §12), on both sides, with a software
authenticator (python3-cryptography keys, a small CBOR encoder below):
activation options, registration (verify), request options (trigger),
protected writes with an assertion in X-MFA-Code, a second credential,
the credentials resource (list, removal, the last one's removal switching
the method off), the rescue; refusals (wrong origin, wrong RP ID, replayed
and expired challenges, missing UV, bad signature, unknown and another
account's credential, counter regression, malformed header and body),
each checking that nothing changed; one assertion sent in parallel passes
once.

The test instance offers webauthn with RP ID "localhost" and origin
http://localhost:PORT (tools/instance.sh).
"""

import base64
import hashlib
import json
import os
import re
import struct
import urllib.parse
from collections import Counter

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from conftest import BASE, INSTANCE, api, assert_error, db_query
from effects import db_id, unchanged_for, wrong_code
from mfa_helpers import (ACTIVATE, ACTIVATED, DEACTIVATED, PENDING, TRIGGER, VERIFY,
                         activate, assert_204, assert_5900, assert_5901,
                         mfa_post, needs_db, parallel, patch_account, status_of)
from mfa_helpers import account, other_account, side  # noqa: F401 (fixtures)

WA = "webauthn"
CREDS = "multi-factor-auth-webauthn-credentials"
PORT = urllib.parse.urlsplit(BASE).port
ORIGIN = "http://localhost:%d" % PORT
RP_ID = "localhost"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# -- CBOR (RFC 8949), the little an authenticator writes ---------------------

def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


# -- the authenticator --------------------------------------------------------

class Authenticator:
    """One credential (ES256 or EdDSA; ES384, which is not offered, for its
    refusal) of a software authenticator."""

    def __init__(self, alg=-7, cred_id=None, count=0):
        self.alg = alg
        self.id = cred_id or os.urandom(32)
        self.count = count
        if alg == -7:
            self.key = ec.generate_private_key(ec.SECP256R1())
        elif alg == -35:        # ES384: not offered, refused (145)
            self.key = ec.generate_private_key(ec.SECP384R1())
        else:
            self.key = ed25519.Ed25519PrivateKey.generate()
        self.user_handle = None

    def cose(self):
        pub = self.key.public_key()
        if self.alg in (-7, -35):
            n, size = pub.public_numbers(), 32 if self.alg == -7 else 48
            return cbor({1: 2, 3: self.alg, -1: 1 if self.alg == -7 else 2,
                         -2: n.x.to_bytes(size, "big"), -3: n.y.to_bytes(size, "big")})
        raw = pub.public_bytes(serialization.Encoding.Raw,
                               serialization.PublicFormat.Raw)
        return cbor({1: 1, 3: -8, -1: 6, -2: raw})

    def sign(self, data):
        if self.alg == -7:
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.alg == -35:
            return self.key.sign(data, ec.ECDSA(hashes.SHA384()))
        return self.key.sign(data)

    def auth_data(self, flags, rp_id=RP_ID, attested=False):
        ad = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + \
            struct.pack(">I", self.count)
        if attested:
            ad += b"\0" * 16 + struct.pack(">H", len(self.id)) + self.id + self.cose()
        return ad

    def create(self, options, origin=ORIGIN, rp_id=None, flags=UP | UV,
               fmt="none", challenge=None, name=None):
        """The attributes of verify for the creation options."""
        pk = options["publicKey"]
        self.user_handle = unb64u(pk["user"]["id"])
        cdj = json.dumps({"type": "webauthn.create",
                          "challenge": challenge or pk["challenge"],
                          "origin": origin, "crossOrigin": False},
                         separators=(",", ":")).encode()
        ad = self.auth_data(flags | AT, rp_id or pk["rp"]["id"], attested=True)
        st = {}
        if fmt == "packed":
            st = {"alg": self.alg,
                  "sig": self.sign(ad + hashlib.sha256(cdj).digest())}
        att = cbor({"fmt": fmt, "attStmt": st, "authData": ad})
        a = {"type": WA, "credential": {
            "id": b64u(self.id), "rawId": b64u(self.id), "type": "public-key",
            "response": {"clientDataJSON": b64u(cdj),
                         "attestationObject": b64u(att)}}}
        if name is not None:
            a["name"] = name
        return a

    def get(self, options, origin=ORIGIN, rp_id=RP_ID, flags=UP | UV,
            bump=1, challenge=None, tamper=False, user_handle=True):
        """The X-MFA-Code of an assertion for the request options."""
        self.count += bump if self.count or bump else 0
        cdj = json.dumps({"type": "webauthn.get",
                          "challenge": challenge or options["publicKey"]["challenge"],
                          "origin": origin}, separators=(",", ":")).encode()
        ad = self.auth_data(flags, rp_id)
        sig = self.sign(ad + hashlib.sha256(cdj).digest())
        if tamper:
            sig = self.sign(ad + hashlib.sha256(cdj + b" ").digest())
        a = {"id": b64u(self.id), "clientDataJSON": b64u(cdj),
             "authenticatorData": b64u(ad), "signature": b64u(sig)}
        if user_handle and self.user_handle is not None:
            a["userHandle"] = b64u(self.user_handle)
        return b64u(json.dumps(a, separators=(",", ":")).encode())


# -- flows --------------------------------------------------------------------

def options_of(r, resource):
    assert r.status == 200, r.describe()
    assert r.data["type"] == resource and r.data["id"] == WA, r.describe()
    a = r.data["attributes"]
    assert a["type"] == WA, r.describe()
    return a


def wa_activate(c, code=None):
    return activate(c, WA, code=code)


def wa_verify(c, attrs):
    return mfa_post(c, VERIFY, WA, attrs=attrs)


def wa_trigger(c):
    return options_of(mfa_post(c, TRIGGER, WA), TRIGGER)


def register(c, auth=None, code=None, name=None):
    """activate -> verify: the authenticator, its credential registered."""
    auth = auth or Authenticator()
    opts = options_of(wa_activate(c, code), ACTIVATE)
    assert_204(wa_verify(c, auth.create(opts, name=name)))
    return auth


def assertion(c, auth, **kw):
    """A fresh challenge (trigger) and the authenticator's answer to it."""
    return auth.get(wa_trigger(c), **kw)


def creds(c):
    r = api("GET", c.side.path(CREDS), token=c.access)
    assert r.status == 200, r.describe()
    return r.json["data"]


def remove(c, cid, code=None):
    h = {"X-MFA-Code": code} if code is not None else {}
    return api("DELETE", c.side.path(CREDS) + "/" + cid, token=c.access, headers=h)


def assert_wa(r, status, code, detail):
    assert_error(r, status, code, detail, pointer="/data/attributes/credential")


D_141 = "WebAuthn response is malformed."
D_142 = "WebAuthn challenge is unknown, used or expired."
D_143 = "WebAuthn origin or relying party is not accepted."
D_144 = "User presence or verification is missing."
D_145 = "WebAuthn attestation or algorithm is not accepted."


@pytest.fixture(autouse=True)
def _db():
    needs_db()


# -- activation options -------------------------------------------------------

def test_activation_answers_creation_options(account):
    c = account
    a = options_of(wa_activate(c), ACTIVATE)
    pk = a["publicKey"]
    assert set(pk) == {"rp", "user", "challenge", "pubKeyCredParams", "timeout",
                       "excludeCredentials", "authenticatorSelection",
                       "attestation"}, pk
    assert pk["rp"] == {"id": RP_ID, "name": "glue-mfa dev"}, pk
    assert len(unb64u(pk["challenge"])) == 32
    uid = unb64u(pk["user"]["id"])
    assert len(uid) == 32 and c.mail.encode() not in uid
    assert pk["user"]["name"] == c.mail and pk["user"]["displayName"] == c.mail
    assert [p["alg"] for p in pk["pubKeyCredParams"]] == [-7, -8, -257]
    assert pk["excludeCredentials"] == []
    assert pk["authenticatorSelection"] == {"residentKey": "preferred",
                                            "userVerification": "required"}
    assert pk["attestation"] == "none" and pk["timeout"] == 300000
    assert status_of(c, WA) == PENDING
    # Stored only hashed: the challenge's bytes are nowhere in the table.
    rows = db_query("SELECT HEX(challenge_hash) FROM webauthn_challenges"
                    " WHERE side = %d AND account_id = %d"
                    % (c.side.num, db_id(c)))
    assert len(rows) == 1 and unb64u(pk["challenge"]).hex().upper() != rows[0][0]
    # The same user handle at every activation.
    again = options_of(wa_activate(c), ACTIVATE)["publicKey"]
    assert again["user"]["id"] == pk["user"]["id"]
    assert again["challenge"] != pk["challenge"]


# -- registration, protected change, list ------------------------------------

@pytest.mark.parametrize("alg,fmt", [(-7, "none"), (-8, "none"), (-7, "packed")])
def test_register_and_protected_change(account, alg, fmt):
    c = account
    auth = Authenticator(alg)
    opts = options_of(wa_activate(c), ACTIVATE)
    assert_204(wa_verify(c, auth.create(opts, fmt=fmt, name="My key")))
    assert status_of(c, WA) == ACTIVATED
    (cr,) = creds(c)
    assert UUID.match(cr["id"]) and cr["type"] == CREDS
    at = cr["attributes"]
    assert at["name"] == "My key" and at["credentialId"] == b64u(auth.id)
    assert at["algorithm"] == alg and at["lastUsedAt"] is None
    # A protected write needs an assertion now.
    assert_5900(patch_account(c))
    req = wa_trigger(c)["publicKey"]
    assert req["allowCredentials"] == [{"type": "public-key", "id": b64u(auth.id)}]
    assert req["rpId"] == RP_ID and req["userVerification"] == "required"
    hdr = auth.get({"publicKey": req})
    r = patch_account(c, code=hdr, first_name="Passkey")
    assert r.status == 200, r.describe()
    # The grace window: the same header again, same token.
    r = patch_account(c, code=hdr, first_name="Again")
    assert r.status == 200, r.describe()
    assert creds(c)[0]["attributes"]["lastUsedAt"] is not None


def test_verify_refusals_change_nothing(account, clock):
    c = account
    auth = Authenticator()
    opts = options_of(wa_activate(c), ACTIVATE)
    cases = [
        (auth.create(opts, origin="http://localhost:%d" % (PORT + 9)), 422, "143", D_143),
        (auth.create(opts, origin="https://evil.example"), 422, "143", D_143),
        (auth.create(opts, rp_id="evil.example"), 422, "143", D_143),
        (auth.create(opts, flags=UP), 422, "144", D_144),
        (auth.create(opts, challenge=b64u(os.urandom(32))), 422, "142", D_142),
        (Authenticator(-35).create(opts), 422, "145", D_145),
        (Authenticator(-35).create(opts, fmt="packed"), 422, "145", D_145),
        ({"type": WA, "credential": {"id": "x", "type": "public-key"}}, 422, "141", D_141),
        ({"type": WA, "credential": "nope"}, 422, "141", D_141),
    ]
    bad_id = auth.create(opts)
    bad_id["credential"]["id"] = b64u(os.urandom(32))
    cases.append((bad_id, 422, "141", D_141))
    for attrs, st, code, detail in cases:
        with unchanged_for(c, audit=[("verify", "failure", code)]):
            assert_wa(wa_verify(c, attrs), st, code, detail)
    # Expired: the challenge's lifetime (300 s) later.
    clock(301)
    with unchanged_for(c, audit=[("verify", "failure", "142")]):
        assert_wa(wa_verify(c, auth.create(opts)), 422, "142", D_142)
    clock(0)
    assert_204(wa_verify(c, auth.create(opts)))
    # Replayed: the challenge is spent.
    with unchanged_for(c, audit=[("verify", "failure", "142")]):
        assert_wa(wa_verify(c, auth.create(opts)), 422, "142", D_142)


def test_assertion_refusals_are_counted_and_change_nothing_else(account, other_account, clock):
    c, o = account, other_account
    auth = register(c)
    other = register(o)
    stranger = Authenticator()
    stranger.user_handle = auth.user_handle
    bad = [
        lambda q: auth.get(q, origin="http://localhost:%d" % (PORT + 9)),
        lambda q: auth.get(q, rp_id="evil.example"),
        lambda q: auth.get(q, flags=UP),
        lambda q: auth.get(q, tamper=True),
        lambda q: auth.get(q, challenge=b64u(os.urandom(32))),
        lambda q: stranger.get(q),
        lambda q: other.get(q, user_handle=False),
        lambda q: other.get(q),
        lambda q: "not-an-assertion",
        lambda q: b64u(b'{"id":"AA"}'),
        lambda q: "A" * 5000,
    ]
    # In rounds below max_failures, a success in between (it clears the
    # count): each refusal changes nothing but its count and its audit row.
    for i in range(0, len(bad), 4):
        req = wa_trigger(c)
        for f in bad[i:i + 4]:
            hdr = f(req)
            with unchanged_for(c, audit=[("protected", "failure", "5901")],
                               changes=wrong_code(c.side, db_id(c), type_=None)):
                assert_5901(patch_account(c, code=hdr))
        r = patch_account(c, code=auth.get(req))
        assert r.status == 200, r.describe()
    req = wa_trigger(c)
    # Expired: the challenge's lifetime later.
    clock(301)
    with unchanged_for(c, audit=[("protected", "failure", "5901")],
                       changes=wrong_code(c.side, db_id(c), type_=None)):
        assert_5901(patch_account(c, code=auth.get(req)))
    clock(0)
    good = auth.get(req)
    assert patch_account(c, code=good).status == 200
    # Replayed with another sign-in (no grace window): the challenge is spent.
    c2 = c.side.account(c.mail, access=c.login()[0])
    c2.id, c2.password = c.id, c.password
    with unchanged_for(c, audit=[("protected", "failure", "5901")],
                       changes=wrong_code(c.side, db_id(c), type_=None)):
        assert_5901(patch_account(c2, code=good))


def test_counter_regression_is_audited(account):
    c = account
    auth = Authenticator(count=5)
    register(c, auth)
    req = wa_trigger(c)
    auth.count = 3
    r = patch_account(c, code=auth.get(req, bump=0))
    assert r.status == 200, r.describe()
    rows = db_query("SELECT action, result, error_code FROM audit_log WHERE side = %d"
                    " AND account_id = %d ORDER BY id DESC LIMIT 2"
                    % (c.side.num, db_id(c)))
    assert ["webauthn_counter", "failure", "149"] in [list(x) for x in rows], rows
    # A zero counter (synced passkeys) never fails.
    z = Authenticator(count=0)
    o = c.side.new_account()
    register(o, z)
    for _ in range(2):
        r = patch_account(o, code=z.get(wa_trigger(o), bump=0))
        assert r.status == 200, r.describe()


def test_one_assertion_in_parallel_passes_once(account):
    c = account
    auth = register(c)
    hdr = assertion(c, auth)
    tokens = [c.login()[0] for _ in range(6)]
    rs = parallel([{"method": "PATCH", "path": c.path, "token": t,
                    "headers": {"X-MFA-Code": hdr},
                    "body": {"data": {"type": c.side.account_type,
                                      "attributes": {"firstName": "P"}}}}
                   for t in tokens])
    assert Counter(r.status for r in rs) == Counter({200: 1, 403: 5}), \
        [r.describe() for r in rs]


# -- several credentials, removal ---------------------------------------------

def test_second_credential_and_removal(account):
    from mfa_helpers import SUBJECT_OFF, SUBJECT_ON, mail_mark, mails_for

    def told(mark):
        return [str(m["Subject"]) for m in mails_for(c.mail, mark)]

    c = account
    mark = mail_mark()
    first = register(c, name="first")
    assert told(mark) == [SUBJECT_ON]
    mark = mail_mark()
    # Adding one needs a code of an active method.
    with unchanged_for(c, audit=[("activate", "failure", "5900")]):
        assert_5900(wa_activate(c))
    opts = options_of(wa_activate(c, code=assertion(c, first)), ACTIVATE)
    assert opts["publicKey"]["excludeCredentials"] == [
        {"type": "public-key", "id": b64u(first.id)}]
    second = Authenticator(-8)
    assert_204(wa_verify(c, second.create(opts, name="second")))
    # Each credential added is told like a method switched on.
    assert told(mark) == [SUBJECT_ON]
    # The same credential twice: refused.
    opts = options_of(wa_activate(c, code=assertion(c, second)), ACTIVATE)
    with unchanged_for(c, audit=[("verify", "failure", "146")]):
        assert_wa(wa_verify(c, first.create(opts)), 422, "146",
                  "This credential is already registered.")
    listed = creds(c)
    assert [x["attributes"]["name"] for x in listed] == ["first", "second"]
    assert listed[1]["attributes"]["algorithm"] == -8
    # Removal: a code is needed; an unknown id is 404.
    with unchanged_for(c, audit=[("webauthn_remove", "failure", "5900")]):
        assert_5900(remove(c, listed[0]["id"]))
    with unchanged_for(c, audit=[("webauthn_remove", "failure", "148")]):
        r = remove(c, "00000000-0000-4000-8000-000000000000", code="x" * 20)
        assert_error(r, 404, "148", "WebAuthn credential not found.")
    mark = mail_mark()
    assert_204(remove(c, listed[0]["id"], code=assertion(c, second)))
    assert [x["attributes"]["name"] for x in creds(c)] == ["second"]
    assert told(mark) == []     # the method stays on
    assert status_of(c, WA) == ACTIVATED
    # The removed one no longer passes.
    hdr = assertion(c, first)
    with unchanged_for(c, audit=[("protected", "failure", "5901")],
                       changes=wrong_code(c.side, db_id(c), type_=None)):
        assert_5901(patch_account(c, code=hdr))
    # The last one's removal switches the method off, and says so.
    mark = mail_mark()
    assert_204(remove(c, listed[1]["id"], code=assertion(c, second)))
    assert creds(c) == [] and status_of(c, WA) == DEACTIVATED
    assert told(mark) == [SUBJECT_OFF]
    r = patch_account(c)
    assert r.status == 200, r.describe()


def cred_rows(c):
    return db_query("SELECT COUNT(*) FROM webauthn_credentials WHERE side = %d"
                    " AND account_id = %d" % (c.side.num, db_id(c)))[0][0]


def test_max_credentials_at_its_boundary(account):
    """webauthn_max_credentials (10): the 10th registers, an 11th is refused."""
    c = account
    auths = [register(c)]
    for _ in range(9):
        auths.append(register(c, code=assertion(c, auths[-1])))
    assert len(creds(c)) == 10
    hdr = assertion(c, auths[0])
    with unchanged_for(c, audit=[("activate", "failure", "147")]):
        assert_error(wa_activate(c, code=hdr), 422, "147",
                     "Too many WebAuthn credentials.")


def test_deactivate_with_an_assertion_removes_every_credential(account):
    from mfa_helpers import DEACTIVATE
    c = account
    a = register(c)
    register(c, code=assertion(c, a))
    assert cred_rows(c) == "2"
    assert_204(mfa_post(c, DEACTIVATE, WA, code=assertion(c, a)))
    assert status_of(c, WA) == DEACTIVATED and cred_rows(c) == "0"
    # A later registration keeps the account's user handle.
    opts = options_of(wa_activate(c), ACTIVATE)
    assert unb64u(opts["publicKey"]["user"]["id"]) == a.user_handle


def test_removal_while_locked_is_429(account):
    c = account
    auth = register(c)
    (cr,) = creds(c)
    req = wa_trigger(c)
    for _ in range(10):
        assert_5901(patch_account(c, code=auth.get(req, tamper=True)))
    hdr = assertion(c, auth)
    with unchanged_for(c, audit=[("webauthn_remove", "failure", "5911")]):
        from mfa_helpers import assert_5911
        assert_5911(remove(c, cr["id"], code=hdr))


def test_operator_tool_switches_off_webauthn(side):
    from backend_helpers import cli
    from mfa_helpers import STOREFRONT
    c = side.new_account()
    register(c)
    kind = "customer" if side is STOREFRONT else "user"
    p = cli("mfa-off", kind, c.mail, WA)
    assert p.returncode == 0 and p.stdout == "%s %s: webauthn switched off\n" % (
        kind, c.mail), (p.stdout, p.stderr)
    assert status_of(c, WA) == DEACTIVATED and cred_rows(c) == "0"
    r = patch_account(c)
    assert r.status == 200, r.describe()


def test_rescue_switches_off_a_customers_webauthn():
    from backend_helpers import new_user, rescue
    from mfa_helpers import BACKEND, STOREFRONT, SUBJECT_ADMIN_OFF, mail_mark, mails_for
    c = STOREFRONT.new_account()
    register(c)
    admin = new_user().signed_in()
    a = BACKEND.account(admin.username, access=admin.access)
    a.password = admin.password
    key = register(a)
    assert_5900(rescue(admin.access, c.id, type_=WA))
    mark = mail_mark()
    assert_204(rescue(admin.access, c.id, type_=WA, code=assertion(a, key)))
    assert status_of(c, WA) == DEACTIVATED and cred_rows(c) == "0"
    assert [str(m["Subject"]) for m in mails_for(c.mail, mark)] == [SUBJECT_ADMIN_OFF]


def test_counter_regression_refused_by_configuration(account, tmp_path):
    """webauthn_counter = refuse (the program run as CGI with that setting):
    a counter that went backwards is a wrong code (5901, counted), audited
    with code 149; the stored counter stays."""
    from cgi_helpers import conf_with, run
    c = account
    auth = Authenticator(count=7)
    register(c, auth)
    conf = conf_with(tmp_path, webauthn_counter="refuse")
    body = {"data": {"type": c.side.account_type, "attributes": {"firstName": "R"}}}
    path = c.path[len(c.side.prefix):]
    backend = c.side.num == 1
    req = wa_trigger(c)
    auth.count = 7
    hdr = auth.get(req, bump=0)
    with unchanged_for(c, audit=[("webauthn_counter", "failure", "149"),
                                 ("protected", "failure", "5901")],
                       changes=wrong_code(c.side, db_id(c), type_=None)):
        a = run(conf, "PATCH", path, body, token=c.access, backend=backend,
                mfa_code=hdr)
        assert a.status == 403 and a.json["errors"][0]["code"] == "5901", a.describe()
    # A greater counter passes under the same setting, and is stored.
    a = run(conf, "PATCH", path, body, token=c.access, backend=backend,
            mfa_code=auth.get(req, bump=1))
    assert a.status == 200, a.describe()
    assert db_query("SELECT sign_count FROM webauthn_credentials WHERE side = %d"
                    " AND account_id = %d" % (c.side.num, db_id(c)))[0][0] == "8"


def test_a_registration_ends_the_other_registration_challenges(account):
    """Two activations while pending: verify with the second; the first's
    challenge no longer registers anything (else a second key could be added
    to an active method without a code)."""
    c = account
    a, b = Authenticator(), Authenticator()
    first = options_of(wa_activate(c), ACTIVATE)
    second = options_of(wa_activate(c), ACTIVATE)
    assert_204(wa_verify(c, a.create(second)))
    with unchanged_for(c, audit=[("verify", "failure", "142")]):
        assert_wa(wa_verify(c, b.create(first)), 422, "142", D_142)
    assert len(creds(c)) == 1


def test_trigger_refusals_change_nothing(account):
    """Before the method is active: 5906; a trigger of webauthn bound to an
    action (contract §10.8): 422 901 (a challenge is not bound to one)."""
    from mfa_helpers import assert_5906
    c = account
    with unchanged_for(c, audit=[("trigger", "failure", "5906")]):
        assert_5906(mfa_post(c, TRIGGER, WA))
    register(c)
    attrs = {"type": WA, "action": {"method": "PATCH",
                                    "resourceType": c.side.account_type,
                                    "id": c.id}}
    with unchanged_for(c, audit=[("trigger", "failure", "901")]):
        r = mfa_post(c, TRIGGER, WA, attrs=attrs)
        assert_error(r, 422, "901", "action is invalid.",
                     pointer="/data/attributes/action")
