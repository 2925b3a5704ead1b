"""MFA at sign-in (contract §10.12): with mfa_at_sign_in on, an account with an
active method signs in only with X-MFA-Code, on all three sign-in endpoints
(POST /access-tokens, POST /token, POST /backend/token); with a passkey
active, the 5900 carries fresh request options and an assertion signs in
(contract §10.12, §12.4; the software authenticator of
test_mfa_webauthn.py).

The test instance keeps the switch off (Spryker's Glue contract, tested here
too over HTTP). The switch is tested by running the sign-in programs as plain
CGI (as test_mfa_per_side.py does) with a copy of the instance's
configuration that turns it on, against the instance's database, spool and
clock; accounts are made, and the new tokens used, over HTTP.
"""
import json
import os
import subprocess
from urllib.parse import urlencode

import pytest
from requests.structures import CaseInsensitiveDict

from cgi_helpers import bin_dir, conf_with
from conftest import BASE, api, assert_error, doc, record_answer
from effects import db_id, lock_taken, login_failure_counted
from mfa_helpers import (BACKEND, CODE_LENGTHS, CODE_SUBJECT, RESEND_COOLDOWN,
                         STOREFRONT, assert_5900, assert_5901, assert_5911,
                         code_rows, audit_rows, fresh_code, lockout_row,
                         mail_mark, mails_for, mfa_account, new_code_since,
                         patch_account, refused, wrong)
from test_mfa_recovery import SUBJECT_USED, new_set, used_slots
from test_mfa_totp import clk, enrol  # noqa: F401 (fixture)
from test_mfa_webauthn import PORT as WA_PORT
from test_mfa_webauthn import Authenticator, b64u, register

STEP_UP_MISSING = ('Bearer error="insufficient_user_authentication", '
                   'error_description="A second factor is required: send a '
                   'code in X-MFA-Code"')
STEP_UP_INVALID = ('Bearer error="insufficient_user_authentication", '
                   'error_description="The code in X-MFA-Code is not valid"')
OAUTH_CT = "application/json;charset=UTF-8"
OAUTH_5900 = {"error": "mfa_required",
              "error_description": "X-MFA-Code header is missing.",
              "code": "5900"}
OAUTH_5901 = {"error": "invalid_mfa_code",
              "error_description": "X-MFA-Code is invalid.", "code": "5901"}

# The three endpoints: (id, side, program, oauth)
ENDPOINTS = [("access-tokens", STOREFRONT, "access-tokens", False),
             ("token", STOREFRONT, "token", False),
             ("backend-token", BACKEND, "token", True)]


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.json = json.loads(body) if body.strip() else None
        self.data = (self.json or {}).get("data") if isinstance(
            self.json, dict) else None

    def describe(self):
        return "\n  CGI answer %d %r %r" % (self.status, dict(self.headers),
                                            self.raw[:400])


@pytest.fixture(scope="module")
def on_conf(tmp_path_factory):
    return conf_with(tmp_path_factory.mktemp("signin"), mfa_at_sign_in="on")


def cgi(conf, prog, backend, body, ctype, code=None, addr="127.0.0.1"):
    path = os.path.join(bin_dir(), "backend", prog) if backend else \
        os.path.join(bin_dir(), prog)
    if not os.access(path, os.X_OK):
        pytest.skip("program not built: %s" % path)
    data = body.encode()
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf,
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "HTTP_HOST": "127.0.0.1", "REQUEST_METHOD": "POST",
           "REQUEST_URI": ("/backend/" if backend else "/") + prog,
           "SCRIPT_NAME": ("/backend/" if backend else "/") + prog,
           "REMOTE_ADDR": addr, "HTTP_USER_AGENT": "e2e-cgi",
           "CONTENT_TYPE": ctype, "CONTENT_LENGTH": str(len(data))}
    if code is not None:
        env["HTTP_X_MFA_CODE"] = code
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([path], input=data, env=env, capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr[-500:]
    head, sep, rest = p.stdout.partition(b"\r\n\r\n")
    assert sep, p.stdout[:300]
    headers = CaseInsensitiveDict()
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        headers[k.strip()] = v.strip()
    status = int(headers.get("Status", "200").split()[0])
    # Into the suite's traffic record: test_zzz_openapi.py checks these
    # answers (the sign-ins' 403s exist only with the switch on) too.
    record_answer("POST", BASE + env["REQUEST_URI"], status,
                  {k: v for k, v in headers.items() if k.lower() != "status"},
                  rest, "cgi")
    return Answer(status, headers, rest.decode())


def sign_in(conf, ep, acct, password=None, code=None, addr="127.0.0.1"):
    """One password sign-in at endpoint ep, through CGI with conf."""
    _, side, prog, backend = ep
    pw = password or acct.password
    if prog == "access-tokens":
        return cgi(conf, prog, backend, json.dumps(doc(
            "access-tokens", {"username": acct.mail, "password": pw})),
            "application/vnd.api+json", code, addr)
    return cgi(conf, prog, backend, urlencode(
        {"grant_type": "password", "username": acct.mail, "password": pw}),
        "application/x-www-form-urlencoded", code, addr)


def refresh_grant(conf, ep, token):
    _, side, prog, backend = ep
    if prog == "access-tokens":
        return cgi(conf, "refresh-tokens", False, json.dumps(doc(
            "refresh-tokens", {"refreshToken": token})),
            "application/vnd.api+json")
    return cgi(conf, prog, backend, urlencode(
        {"grant_type": "refresh_token", "refresh_token": token}),
        "application/x-www-form-urlencoded")


def tokens_of(ep, r):
    """The answer issued tokens: (access, refresh)."""
    if ep[2] == "access-tokens":
        assert r.status == 201, r.describe()
        a = r.data["attributes"]
        return a["accessToken"], a["refreshToken"]
    assert r.status == 200, r.describe()
    assert list(r.json) == ["token_type", "expires_in", "access_token",
                            "refresh_token"], r.describe()
    return r.json["access_token"], r.json["refresh_token"]


def documented(ep, r):
    """The answer's status, headers and (OAuth) body as the endpoint's API
    document (www/openapi-storefront.json, www/openapi-backend.json)
    describes the endpoint's."""
    import jsonschema
    from conftest import ROOT
    name = "openapi-backend.json" if ep[1] is BACKEND else "openapi-storefront.json"
    with open(os.path.join(ROOT, "www", name)) as f:
        spec = json.load(f)
    path = "/access-tokens" if ep[2] == "access-tokens" else "/token"
    resp = spec["paths"][path]["post"]["responses"][str(r.status)]
    if "$ref" in resp:
        resp = spec["components"]["responses"][resp["$ref"].split("/")[-1]]
    if r.status == 403:
        assert "WWW-Authenticate" in resp.get("headers", {}), resp
    if ep[2] != "access-tokens":
        jsonschema.validate(r.json, spec["components"]["schemas"]["OAuthError"],
                            resolver=jsonschema.RefResolver.from_schema(spec))
        exs = [spec["components"]["examples"][e["$ref"].split("/")[-1]]
               if "$ref" in e else e
               for e in resp["content"][OAUTH_CT]["examples"].values()]
        names = {e["value"]["code"] for e in exs if "code" in e["value"]}
        assert r.json["code"] in names, (r.json, names)


def assert_missing(ep, r):
    """403 5900 in the endpoint's shape, with the RFC 9470 challenge."""
    if ep[2] == "access-tokens":
        assert_5900(r)
    else:
        assert r.status == 403, r.describe()
        assert r.headers["Content-Type"] == OAUTH_CT, r.describe()
        assert r.headers["Cache-Control"] == "no-store", r.describe()
        assert r.json == OAUTH_5900 and list(r.json) == list(OAUTH_5900), \
            r.describe()
    assert r.headers.get("WWW-Authenticate") == STEP_UP_MISSING, r.describe()
    assert "Retry-After" not in r.headers, r.describe()
    documented(ep, r)


def assert_invalid(ep, r):
    if ep[2] == "access-tokens":
        assert_5901(r)
    else:
        assert r.status == 403, r.describe()
        assert r.json == OAUTH_5901 and list(r.json) == list(OAUTH_5901), \
            r.describe()
    assert r.headers.get("WWW-Authenticate") == STEP_UP_INVALID, r.describe()
    documented(ep, r)


def new_code_row(before, after):
    """mfa_codes: every row as it was but for one new live code (the
    older live ones invalidated) and no other change."""
    new = [k for k in after if k not in before]
    problems = []
    if len(new) != 1:
        problems.append("mfa_codes: %d new rows, expected 1" % len(new))
    elif after[new[0]]["state"] != "0":
        problems.append("mfa_codes: the new code is not live: %r" % after[new[0]])
    for k, row in before.items():
        if k not in after:
            problems.append("mfa_codes: row %r gone" % (k,))
        elif row != after[k] and not (row["state"] == "0" and
                                      after[k]["state"] != "0"):
            problems.append("mfa_codes: row %r changed: %r -> %r" % (
                k, row, after[k]))
    return problems


def one_more_code(before, after):
    problems = []
    for t in before:
        b, a = before[t]["rows/max id"], after[t]["rows/max id"]
        if t == "mfa_codes":
            if int(a.split("/")[0]) != int(b.split("/")[0]) + 1:
                problems.append("counts: mfa_codes %s -> %s" % (b, a))
        elif b != a:
            problems.append("counts: %s %s -> %s" % (t, b, a))
    return problems


def account_after_5900(conf, ep):
    """An account of the endpoint's side with e-mail MFA, its sign-in
    answered 5900 once (a code mailed, returned)."""
    c = mfa_account(ep[1])
    mark = mail_mark()
    assert_missing(ep, sign_in(conf, ep, c))
    return c, new_code_since(c.mail, mark)


# --------------------------------------------------------------------------
# Off (the default): Spryker's contract, over HTTP


@pytest.mark.parametrize("side", [STOREFRONT, BACKEND], ids=lambda s: s.name)
def test_off_by_default_the_password_alone_signs_in(side):
    c = mfa_account(side)
    c.login()       # asserts 201 / 200 with tokens, no code asked


# --------------------------------------------------------------------------
# On: the three endpoints


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_no_code_is_5900_and_mails_a_code(on_conf, ep):
    c = mfa_account(ep[1])
    mark = mail_mark()
    with refused(c, "login", "5900", mails=[CODE_SUBJECT],
                 changes=lock_taken(c.side.name, db_id(c)),
                 checks={"mfa_codes": new_code_row, "counts": one_more_code}):
        assert_missing(ep, sign_in(on_conf, ep, c))
    assert len(new_code_since(c.mail, mark)) == CODE_LENGTHS[ep[1].num]


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_second_sign_in_inside_the_cooldown_mails_nothing(on_conf, ep):
    c, _code = account_after_5900(on_conf, ep)
    with refused(c, "login", "5900"):
        assert_missing(ep, sign_in(on_conf, ep, c))


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_the_mailed_code_signs_in_and_opens_its_grace_window(on_conf, ep):
    c, code = account_after_5900(on_conf, ep)
    r = sign_in(on_conf, ep, c, code=code)
    access, _refresh = tokens_of(ep, r)
    assert sorted(code_rows(c)) == [(1, 0), (1, 0)], code_rows(c)  # both used
    assert [(x["action"], x["result"], x["error_code"])
            for x in audit_rows(c)[-2:]] == [
        ("login", "failure", "5900"), ("login", "success", None)], audit_rows(c)
    # The code's grace window is the new token's: the same header passes a
    # protected write with it, no new code needed (contract §5.1 rule 5).
    r = patch_account(c, code, token=access)
    assert r.status == 200, r.describe()


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_a_wrong_code_is_5901_counted_nothing_issued(on_conf, ep):
    c, code = account_after_5900(on_conf, ep)
    with refused(c, "login", "5901", counted=1):
        assert_invalid(ep, sign_in(on_conf, ep, c, code=wrong(code)))
    assert lockout_row(c)[0] == 1
    # The code is still good, and a success ends the count.
    tokens_of(ep, sign_in(on_conf, ep, c, code=code))
    assert lockout_row(c)[0] == 0


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_a_wrong_password_never_tells_of_mfa(on_conf, ep):
    c = mfa_account(ep[1])
    with refused(c, "login", "003", changes=login_failure_counted()):
        r = sign_in(on_conf, ep, c, password="wrong-" + c.password,
                    code="123456")
    if ep[2] == "access-tokens":
        assert_error(r, 401, "003", "Failed to authenticate user.")
    else:
        assert r.status == 400, r.describe()
        assert r.json == {"error": "invalid_grant", "error_description":
                          "The user credentials were incorrect."}, r.describe()
    assert "WWW-Authenticate" not in r.headers, r.describe()


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_a_recovery_code_signs_in(on_conf, ep):
    c = mfa_account(ep[1])
    codes = new_set(c)
    mark = mail_mark()
    access, _ = tokens_of(ep, sign_in(on_conf, ep, c, code=codes[0]))
    assert used_slots(c) == 1
    assert [str(m["Subject"]) for m in mails_for(c.mail, mark)] == [SUBJECT_USED]
    # The same recovery code again is a wrong code.
    with refused(c, "login", "5901", counted=1):
        assert_invalid(ep, sign_in(on_conf, ep, c, code=codes[0]))
    r = api("GET", c.path, token=access)
    assert r.status == 200, r.describe()


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_refresh_grant_is_not_asked_for_a_code(on_conf, ep):
    c = mfa_account(ep[1])
    access, refresh = ep[1].sign_in(c.mail, c.password)  # switch off: HTTP
    tokens = refresh_grant(on_conf, ep, refresh)
    if ep[2] == "access-tokens":
        assert tokens.status == 201, tokens.describe()
    else:
        tokens_of(ep, tokens)


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_without_an_active_method_the_password_signs_in(on_conf, ep):
    c = ep[1].new_account()
    mark = mail_mark()
    tokens_of(ep, sign_in(on_conf, ep, c))
    assert mails_for(c.mail, mark) == []


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_wrong_codes_lock_and_the_lock_answers_5911(tmp_path, ep):
    conf = conf_with(tmp_path, mfa_at_sign_in="on", max_failures="2")
    c, code = account_after_5900(conf, ep)
    assert_invalid(ep, sign_in(conf, ep, c, code=wrong(code, 1)))
    assert_invalid(ep, sign_in(conf, ep, c, code=wrong(code, 2)))
    assert lockout_row(c)[1] == 1
    with refused(c, "login", "5911"):
        r = sign_in(conf, ep, c, code=code)
    if ep[2] == "access-tokens":
        assert_5911(r)
    else:
        assert r.status == 429, r.describe()
        assert r.json == {"error": "invalid_grant", "error_description":
                          "Too many failed attempts. Please try again later.",
                          "code": "5911"}, r.describe()
        assert 1 <= int(r.headers["Retry-After"]) <= 300, r.describe()
    documented(ep, r)


def test_per_side_switch(tmp_path):
    """storefront.mfa_at_sign_in = off with the shared key on: the Backend
    asks, the Storefront does not."""
    conf = conf_with(tmp_path, mfa_at_sign_in="on",
                     **{"storefront.mfa_at_sign_in": "off"})
    c = mfa_account(STOREFRONT)
    tokens_of(ENDPOINTS[0], sign_in(conf, ENDPOINTS[0], c))
    u = mfa_account(BACKEND)
    assert_missing(ENDPOINTS[2], sign_in(conf, ENDPOINTS[2], u))


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_only_an_app_nothing_is_mailed_and_its_code_signs_in(on_conf, ep, clk):
    """totp alone: 5900 with no mail and no code row; the app's code issues
    the tokens and opens its grace window for the new token."""
    c = ep[1].new_account()
    app = enrol(c, clk)
    with refused(c, "login", "5900"):
        assert_missing(ep, sign_in(on_conf, ep, c))
    code = app.code()
    access, _ = tokens_of(ep, sign_in(on_conf, ep, c, code=code))
    r = patch_account(c, code, token=access, first_name="App")
    assert r.status == 200, r.describe()
    # The same app code at another sign-in is spent: a wrong code.
    with refused(c, "login", "5901", counted=1, type_=None):
        assert_invalid(ep, sign_in(on_conf, ep, c, code=code))


# --------------------------------------------------------------------------
# A passkey at sign-in (contract §10.12, §12.3, §12.4)

PK_KEYS = ["challenge", "allowCredentials", "timeout", "rpId",
           "userVerification"]


def options_in(ep, r, auth):
    """The 5900 of the endpoint with request options for auth's credential
    (errors[0].meta.publicKey / the OAuth body's publicKey): the options."""
    assert r.status == 403, r.describe()
    if ep[2] == "access-tokens":
        (e,) = r.json["errors"]
        assert list(r.json) == ["errors"] and list(e) == [
            "status", "code", "detail", "source", "meta"], r.describe()
        assert {k: e[k] for k in ("status", "code", "detail", "source")} == {
            "status": "403", "code": "5900",
            "detail": "X-MFA-Code header is missing.",
            "source": {"header": "X-MFA-Code"}}, r.describe()
        assert list(e["meta"]) == ["publicKey"], r.describe()
        pk = e["meta"]["publicKey"]
    else:
        assert r.headers["Content-Type"] == OAUTH_CT, r.describe()
        assert list(r.json) == list(OAUTH_5900) + ["publicKey"], r.describe()
        assert {k: r.json[k] for k in OAUTH_5900} == OAUTH_5900, r.describe()
        pk = r.json["publicKey"]
    assert r.headers.get("WWW-Authenticate") == STEP_UP_MISSING, r.describe()
    assert list(pk) == PK_KEYS, pk
    assert pk["allowCredentials"] == [{"type": "public-key",
                                       "id": b64u(auth.id)}], pk
    assert pk["rpId"] == "localhost" and pk["timeout"] == 300000, pk
    assert pk["userVerification"] == "required", pk
    documented(ep, r)
    return {"publicKey": pk}


def challenge_rows(c):
    """The account's authentication challenges: [(id, used)]."""
    from conftest import db_query
    return [(int(i), int(u)) for i, u in db_query(
        "SELECT id, used FROM webauthn_challenges WHERE side = %d AND "
        "account_id = %d AND purpose = 1 ORDER BY id" % (
            c.side.num, db_id(c)))]


def one_more(*tables):
    """counts: each of tables one row more, the others as they were."""
    def check(before, after):
        out = []
        for t in before:
            b, a = before[t]["rows/max id"], after[t]["rows/max id"]
            n = 1 if t in tables else 0
            if int(a.split("/")[0]) != int(b.split("/")[0]) + n:
                out.append("counts: %s %s -> %s (+%d expected)" % (t, b, a, n))
        return out
    return check


def new_live_challenge(before, after):
    """webauthn_challenges: one new live row, the others unchanged."""
    new = [k for k in after if k not in before]
    out = [] if len(new) == 1 and after[new[0]]["used"] == "0" and \
        after[new[0]]["purpose"] == "1" else \
        ["webauthn_challenges: new rows %r" % [after[k] for k in new]]
    out += ["webauthn_challenges: row %r changed" % (k,)
            for k in before if before[k] != after.get(k)]
    return out


def passkey_account(side):
    """A fresh account whose only active method is webauthn."""
    c = side.new_account()
    return c, register(c)


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_passkey_only_the_5900_carries_options_and_the_assertion_signs_in(
        on_conf, ep):
    c, auth = passkey_account(ep[1])
    with refused(c, "login", "5900", changes=lock_taken(c.side.name, db_id(c)), checks={
            "webauthn_challenges": new_live_challenge,
            "counts": one_more("webauthn_challenges")}):
        opts = options_in(ep, sign_in(on_conf, ep, c), auth)
    # Another sign-in, another challenge: the first stays live.
    again = options_in(ep, sign_in(on_conf, ep, c), auth)
    assert again["publicKey"]["challenge"] != opts["publicKey"]["challenge"]
    first = challenge_rows(c)
    assert [u for _, u in first][-2:] == [0, 0], first
    hdr = auth.get(opts)
    access, _ = tokens_of(ep, sign_in(on_conf, ep, c, code=hdr))
    # Spent in the sign-in's transaction: the first challenge used, the
    # second still live; audited as a sign-in with a code.
    assert challenge_rows(c)[-2:] == [(first[-2][0], 1), (first[-1][0], 0)]
    assert [(x["action"], x["result"], x["error_code"])
            for x in audit_rows(c)[-3:]] == [
        ("login", "failure", "5900"), ("login", "failure", "5900"),
        ("login", "success", None)], audit_rows(c)
    # Its grace window is the new token's (contract §5.1 rule 5).
    r = patch_account(c, hdr, token=access, first_name="Passkey")
    assert r.status == 200, r.describe()
    # Replayed at another sign-in: the challenge is spent, a wrong code.
    with refused(c, "login", "5901", counted=1, type_=None):
        assert_invalid(ep, sign_in(on_conf, ep, c, code=hdr))
    # The second challenge still signs in.
    tokens_of(ep, sign_in(on_conf, ep, c, code=auth.get(again)))


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_an_assertion_of_another_origin_is_a_wrong_code(on_conf, ep):
    c, auth = passkey_account(ep[1])
    opts = options_in(ep, sign_in(on_conf, ep, c), auth)
    for bad in (auth.get(opts, origin="http://localhost:%d" % (WA_PORT + 9)),
                auth.get(opts, origin="https://evil.example"),
                auth.get(opts, tamper=True),
                Authenticator().get(opts)):
        with refused(c, "login", "5901", counted=1, type_=None):
            assert_invalid(ep, sign_in(on_conf, ep, c, code=bad))
    # A wrong password with the right assertion: the password's refusal,
    # before MFA; the assertion not looked at, no challenge made.
    good = auth.get(opts)
    with refused(c, "login", "003", changes=login_failure_counted()):
        r = sign_in(on_conf, ep, c, password="wrong-" + c.password, code=good)
    assert r.status == (401 if ep[2] == "access-tokens" else 400), r.describe()
    with refused(c, "login", "003", changes=login_failure_counted()):
        r = sign_in(on_conf, ep, c, password="wrong-" + c.password)
    assert r.status == (401 if ep[2] == "access-tokens" else 400), r.describe()
    assert "publicKey" not in r.raw and "meta" not in r.raw, r.describe()
    # The challenge was not spent by the refusals.
    tokens_of(ep, sign_in(on_conf, ep, c, code=good))
    assert lockout_row(c)[0] == 0


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e[0])
def test_email_and_passkey_the_5900_mails_a_code_and_carries_options(
        on_conf, ep, clock):
    c = mfa_account(ep[1])
    auth = register(c, code=fresh_code(c))
    clock(RESEND_COOLDOWN + 1)     # past the trigger's cool-down
    mark = mail_mark()
    # two units of work under the account's lock: the options, the code
    with refused(c, "login", "5900", mails=[CODE_SUBJECT],
                 changes=lock_taken(c.side.name, db_id(c), 2), checks={
            "mfa_codes": new_code_row,
            "webauthn_challenges": new_live_challenge,
            "counts": one_more("mfa_codes", "webauthn_challenges")}):
        opts = options_in(ep, sign_in(on_conf, ep, c), auth)
    code = new_code_since(c.mail, mark)
    # Either signs in: here the mailed code, at the next sign-in the
    # passkey (a sign-in ends the unused codes, contract §3.1).
    tokens_of(ep, sign_in(on_conf, ep, c, code=code))
    tokens_of(ep, sign_in(on_conf, ep, c, code=auth.get(opts)))


@pytest.mark.parametrize("ep", ENDPOINTS[::2], ids=lambda e: e[0])
def test_a_locked_account_gets_no_options(tmp_path, ep):
    conf = conf_with(tmp_path, mfa_at_sign_in="on", max_failures="2")
    c, auth = passkey_account(ep[1])
    opts = options_in(ep, sign_in(conf, ep, c), auth)
    for k in (1, 2):
        assert_invalid(ep, sign_in(conf, ep, c, code="A" * (40 + k)))
    assert lockout_row(c)[1] == 1
    with refused(c, "login", "5900"):
        assert_missing(ep, sign_in(conf, ep, c))
    with refused(c, "login", "5911"):
        r = sign_in(conf, ep, c, code=auth.get(opts))
    assert r.status == 429, r.describe()


def test_one_assertion_at_parallel_sign_ins_signs_in_once(on_conf):
    """The same assertion at 4 sign-ins at once: its challenge is spent by
    one of them (under the account's lock); the others are wrong codes."""
    from concurrent.futures import ThreadPoolExecutor
    ep = ENDPOINTS[0]
    c, auth = passkey_account(ep[1])
    hdr = auth.get(options_in(ep, sign_in(on_conf, ep, c), auth))
    with ThreadPoolExecutor(4) as pool:
        rs = list(pool.map(lambda _: sign_in(on_conf, ep, c, code=hdr),
                           range(4)))
    assert sorted(r.status for r in rs) == [201, 403, 403, 403], \
        [r.describe() for r in rs]
    for r in rs:
        if r.status == 403:
            assert_invalid(ep, r)
    # One success; the failures counted are those after it (a success
    # ends the count), in the order the account's lock let them through.
    rows = [(x["action"], x["result"], x["error_code"])
            for x in audit_rows(c)[-4:]]
    assert sorted(rows) == [("login", "failure", "5901")] * 3 + [
        ("login", "success", None)], rows
    after = len(rows) - 1 - rows.index(("login", "success", None))
    assert lockout_row(c)[0] == after, (lockout_row(c), rows)
