"""Helpers for the MFA end-to-end tests of both sides (tests/e2e/test_mfa_*.py;
backend_helpers.py re-exports them for the other Backend tests).

The MFA tests run once per side: the `side` fixture (storefront, backend)
and the `account` / `other_account` fixtures built on it. Everything that
differs between the sides is in the two Side objects below: the URL prefix,
how an account is made and signed in, where its mail goes, its own resource
(the protected write PATCHes it) and its error codes. A test that only makes
sense for one side uses STOREFRONT or BACKEND directly.

The test instance runs with the defaults of contract §5 (constants below); codes
are read from the mail spool $GLUE_INSTANCE/mail (one message per file, names
sorting in send order). Every account here is a fresh one, so tests never
share MFA state.
"""

import email
import email.policy
import json
import os
import re
import threading

import pytest
import requests

from conftest import (BASE, INSTANCE, JSONAPI, TIMEOUT, Resp, api, assert_error,
                      check_common, db_available, db_query, doc, login,
                      new_customer, refresh)

TYPES = "multi-factor-auth-types"
ACTIVATE = "multi-factor-auth-type-activate"
VERIFY = "multi-factor-auth-type-verify"
TRIGGER = "multi-factor-auth-trigger"
DEACTIVATE = "multi-factor-auth-type-deactivate"

# contract §5 defaults, as configured in the test instance.
CODE_LENGTH = 6


def instance_value(key, default):
    """A whole-number key of the instance's config (the last line setting
    it), else default."""
    if INSTANCE:
        try:
            with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
                for ln in f:
                    m = re.match(r"^\s*%s\s*=\s*(-?[0-9]+)\s*(#.*)?$" % re.escape(key), ln)
                    if m:
                        default = int(m.group(1))
        except OSError:
            pass
    return default


# Code lengths per side (contract §10.6): the test instance sets
# backend.code_length (tools/test.sh); the Storefront keeps CODE_LENGTH.
CODE_LENGTHS = {0: instance_value("storefront.code_length", CODE_LENGTH),
                1: instance_value("backend.code_length", CODE_LENGTH)}
CODE_TTL = 600
ATTEMPTS_PER_CODE = 3
MAX_FAILURES = 10
LOCKOUT_SECONDS = 300
GRACE_PERIOD = 300
RESEND_COOLDOWN = 60
DAILY_SEND_CAP = 20

# contract §4.1 labels.
DEACTIVATED, PENDING, ACTIVATED = "deactivated", "activation is pending", "activated"

# mfa_codes.state
CODE_LIVE, CODE_USED, CODE_BLOCKED, CODE_INVALIDATED = 0, 1, 2, 3

# contract §4.4, exact.
D_5900 = "X-MFA-Code header is missing."
D_5901 = "X-MFA-Code is invalid."
D_5902 = "Multi-factor authentication type is missing."
D_5904 = "Multi-factor authentication type already activated."
D_5906 = "Multi-factor authentication type is not found."
D_5910 = ("Something went wrong while sending your code. Please try again later "
          "or contact the system administrator.")
D_5911 = "Too many failed attempts. Please try again later."
D_5912 = "A code was sent recently. Please wait before requesting another."

TYPE_POINTER = "/data/attributes/type"
CODE_HEADER = "X-MFA-Code"

CODE_SUBJECT = "Verification Code for Secure Access"
SUBJECT_ON = "Multi-factor authentication switched on"
SUBJECT_OFF = "Multi-factor authentication switched off"
SUBJECT_ADMIN_OFF = "Multi-factor authentication switched off by an administrator"
SUBJECT_LOCKED = "Verification temporarily locked"
CODE_RE = re.compile(r"Your verification code is: (\d+)")


def needs_db():
    if not db_available():
        pytest.skip("GLUE_INSTANCE not set or its DB socket is missing")


# --------------------------------------------------------------------------
# The two sides


class Account:
    """An account of one side: a customer (mail: its e-mail, id: its
    reference) or a back-office user (mail: its username, id: its UUID).
    `access`/`refresh` hold the tokens of the first sign-in."""

    def __init__(self, side, mail, password=None, id_=None, access=None):
        self.side = side
        self.mail = mail
        self.password = password
        self.id = id_
        self.access = access
        self.refresh = None

    def login(self, password=None):
        """A new sign-in: (access, refresh)."""
        return self.side.sign_in(self.mail, password or self.password)

    def signed_in(self):
        self.access, self.refresh = self.login()
        return self

    @property
    def path(self):
        """The account's own resource (the protected write PATCHes it)."""
        return self.side.account_path(self.id)


class Side:
    """What differs between the Storefront and the Backend."""

    name = None
    num = None             # `side` column of the MFA tables and audit_log
    prefix = None          # before every resource path
    programs = None        # GLUE_BIN subdirectory of the programs
    account_type = None    # JSON:API type of the account's resource
    table, name_column = None, None
    # contract §4.4: no account behind the request (5905/5908), the token's
    # account gone (5907/5909). No test reaches them over HTTP: the token
    # check answers 401 first, and the account would have to vanish between
    # that check and the MFA step.
    no_id, not_found = None, None

    def __repr__(self):
        return self.name

    def path(self, resource):
        return self.prefix + "/" + resource

    def account(self, mail=None, access=None):
        """An Account for requests with a known token and/or address."""
        return Account(self, mail, access=access)


class _Storefront(Side):
    name, num, prefix, programs = "storefront", 0, "", ""
    account_type, table, name_column = "customers", "customers", "email"
    no_id, not_found = "5905", "5907"

    def new_account(self):
        """A fresh registered customer, signed in."""
        c = new_customer()
        return Account(self, c.email, c.password, c.ref).signed_in()

    def sign_in(self, mail, password):
        r = login(mail, password)
        assert r.status == 201, r.describe()
        a = r.data["attributes"]
        return a["accessToken"], a["refreshToken"]

    def sign_in_request(self, acct):
        """A sign-in as an item of parallel(); access_token_of() reads it."""
        return {"method": "POST", "path": "/access-tokens",
                "body": doc("access-tokens", {"username": acct.mail,
                                              "password": acct.password})}

    def access_token_of(self, r):
        assert r.status == 201, r.describe()
        return r.data["attributes"]["accessToken"]

    def refresh_tokens(self, refresh_token):
        r = refresh(refresh_token)
        assert r.status == 201, r.describe()
        a = r.data["attributes"]
        return a["accessToken"], a["refreshToken"]

    def revoke_tokens(self, acct):
        """Sign-out: the customer's refresh tokens and the calling token."""
        r = api("DELETE", "/refresh-tokens/mine", token=acct.access)
        assert r.status == 204, r.describe()

    def account_path(self, id_):
        return "/customers/" + id_

    def reads(self, acct):
        return [acct.path, acct.path + "/addresses", self.path(TYPES)]


class _Backend(Side):
    name, num, prefix, programs = "backend", 1, "/backend", "backend"
    account_type, table, name_column = "users", "users", "username"
    no_id, not_found = "5908", "5909"

    def __init__(self):
        self._admin = None

    # backend_helpers imports this module, so it is imported here, at call
    # time, not at the top.
    @staticmethod
    def _bh():
        import backend_helpers
        return backend_helpers

    def as_admin(self, send):
        """send(token) -> Resp with the demo administrator's token, kept
        between tests (one sign-in fewer per account); signed in again once
        when the kept token no longer works."""
        if self._admin is None:
            self._admin = self._bh().admin_token()
        r = send(self._admin)
        if r.status == 401:
            self._admin = self._bh().admin_token()
            r = send(self._admin)
        return r

    def new_account(self):
        """A fresh active user created by the demo administrator, signed in."""
        bh = self._bh()
        attrs = bh.user_attrs()
        r = self.as_admin(lambda t: bh.users_post(t, attrs))
        assert r.status == 201, "user creation failed" + r.describe()
        return Account(self, attrs["username"], attrs["password"],
                       r.data["id"]).signed_in()

    def sign_in(self, mail, password):
        return self._bh().sign_in(mail, password)

    def sign_in_request(self, acct):
        bh = self._bh()
        return {"method": "POST", "path": self.path("token"),
                "data": bh.form(grant_type="password", username=acct.mail,
                                password=acct.password).encode(),
                "content_type": bh.FORM, "check": bh.check_oauth_common}

    def access_token_of(self, r):
        return self._bh().assert_oauth_tokens(r)[0]

    def refresh_tokens(self, refresh_token):
        bh = self._bh()
        return bh.assert_oauth_tokens(bh.refresh_grant(refresh_token))

    def revoke_tokens(self, acct):
        """The Backend has no sign-out: a password set by an administrator
        revokes every token of the user."""
        acct.password = "r3set-" + acct.password
        bh = self._bh()
        r = self.as_admin(lambda t: bh.user_patch(t, acct.id,
                                                  {"password": acct.password}))
        assert r.status == 200, r.describe()

    def account_path(self, id_):
        return self.prefix + "/users/" + id_

    def reads(self, acct):
        return [self.path("users"), acct.path, self.path(TYPES)]


STOREFRONT = _Storefront()
BACKEND = _Backend()
SIDES = {s.name: s for s in (STOREFRONT, BACKEND)}
SIDE_BY_PREFIX = {s.prefix: s for s in (STOREFRONT, BACKEND)}


# Fixtures: a test module imports those it uses.

@pytest.fixture(params=[STOREFRONT, BACKEND], ids=lambda s: s.name)
def side(request):
    return request.param


@pytest.fixture
def account(side):
    """A fresh signed-in account of the side, no MFA."""
    return side.new_account()


@pytest.fixture
def other_account(side):
    return side.new_account()


# --------------------------------------------------------------------------
# Requests


def mfa_body(resource, type_="email", attrs=None):
    """The POST body of contract §4; type_=None leaves attributes.type out."""
    if attrs is None:
        attrs = {} if type_ is None else {"type": type_}
    return doc(resource, attrs)


def code_headers(code, headers=None):
    h = dict(headers or {})
    if code is not None:
        h[CODE_HEADER] = code
    return h


def mfa_post(c, resource, type_="email", code=None, attrs=None, headers=None,
             token=None):
    """POST one of the MFA resources of c's side, with c's token."""
    return api("POST", c.side.path(resource), mfa_body(resource, type_, attrs),
               token=token or c.access, headers=code_headers(code, headers))


def activate(c, type_="email", code=None, token=None, **kw):
    return mfa_post(c, ACTIVATE, type_, code, token=token, **kw)


def verify(c, code, type_="email", token=None, **kw):
    return mfa_post(c, VERIFY, type_, code, token=token, **kw)


def trigger(c, type_="email", token=None, **kw):
    return mfa_post(c, TRIGGER, type_, None, token=token, **kw)


def deactivate(c, code, type_="email", token=None, **kw):
    return mfa_post(c, DEACTIVATE, type_, code, token=token, **kw)


def patch_account(c, code=None, token=None, first_name="Changed", headers=None):
    """The protected write: PATCH of the account's own resource
    (/customers/{ref}, /backend/users/{uuid}); 200 with the new state."""
    return api("PATCH", c.path, doc(c.side.account_type, {"firstName": first_name}),
               token=token or c.access, headers=code_headers(code, headers))


def get_types(c, token=None, type_=None):
    path = c.side.path(TYPES) + ("" if type_ is None else "/" + type_)
    return api("GET", path, token=token or c.access)


def status_of(c, type_="email"):
    """attributes.status of GET multi-factor-auth-types/{type}."""
    r = get_types(c, type_=type_)
    assert r.status == 200, r.describe()
    return r.data["attributes"]["status"]


# --------------------------------------------------------------------------
# Error assertions (exact status, code, detail, source; Retry-After)


def assert_5900(r):
    assert_error(r, 403, "5900", D_5900, header=CODE_HEADER)


def assert_5901(r):
    assert_error(r, 403, "5901", D_5901, header=CODE_HEADER)


def assert_5902(r):
    assert_error(r, 400, "5902", D_5902, pointer=TYPE_POINTER)


def assert_5904(r):
    assert_error(r, 400, "5904", D_5904, pointer=TYPE_POINTER)


def assert_5906(r):
    assert_error(r, 400, "5906", D_5906, pointer=TYPE_POINTER)


def retry_after(r):
    v = r.headers.get("Retry-After")
    assert v is not None and re.match(r"^[0-9]+$", v), \
        "Retry-After missing or not an integer" + r.describe()
    return int(v)


def assert_5911(r, lo=1, hi=LOCKOUT_SECONDS):
    assert_error(r, 429, "5911", D_5911)
    ra = retry_after(r)
    assert lo <= ra <= hi, "Retry-After %d not in [%d, %d]" % (ra, lo, hi) + r.describe()
    return ra


def assert_5912(r, lo=1, hi=RESEND_COOLDOWN):
    assert_error(r, 429, "5912", D_5912)
    ra = retry_after(r)
    assert lo <= ra <= hi, "Retry-After %d not in [%d, %d]" % (ra, lo, hi) + r.describe()
    return ra


def assert_204(r):
    assert r.status == 204, r.describe()
    assert r.raw == b""


# --------------------------------------------------------------------------
# Mail spool


def mail_dir():
    d = os.path.join(INSTANCE, "mail") if INSTANCE else ""
    if not d or not os.path.isdir(d):
        pytest.skip("GLUE_INSTANCE not set or it has no mail spool")
    return d


def _names():
    return sorted(n for n in os.listdir(mail_dir()) if not n.startswith("."))


def mail_mark():
    """The newest spool file name now (messages after it are 'new')."""
    names = _names()
    return names[-1] if names else ""


def _parse(name):
    with open(os.path.join(mail_dir(), name), "rb") as f:
        return email.message_from_bytes(f.read(), policy=email.policy.default)


def mails_for(addr, since=None):
    """Messages to addr, oldest first; only those after the mark `since`."""
    out = []
    for n in _names():
        if since is not None and n <= since:
            continue
        m = _parse(n)
        if str(m["To"]).strip().lower() == addr.lower():
            out.append(m)
    return out


def one_mail_since(addr, mark, subject):
    """The one message with that subject to addr after mark."""
    ms = [m for m in mails_for(addr, mark) if str(m["Subject"]) == subject]
    assert len(ms) == 1, "expected one %r mail to %s, got %d (all: %r)" % (
        subject, addr, len(ms), [str(m["Subject"]) for m in mails_for(addr, mark)])
    return ms[0]


def text_of(msg):
    """The text/plain part's content."""
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part in %r" % msg["Subject"]
    return part.get_content()


def html_of(msg):
    part = msg.get_body(preferencelist=("html",))
    assert part is not None, "no text/html part in %r" % msg["Subject"]
    return part.get_content()


def code_in(msg):
    assert str(msg["Subject"]) == CODE_SUBJECT, msg["Subject"]
    m = CODE_RE.search(text_of(msg))
    assert m, "no code in the text part: %r" % text_of(msg)
    code = m.group(1)
    # Either side's length: a test of one side checks its own
    # (test_mfa_per_side.py).
    assert len(code) in CODE_LENGTHS.values(), code
    assert code in html_of(msg)
    return code


def new_code_since(addr, mark):
    """The code of the one code mail sent to addr after mark (exactly one)."""
    ms = [m for m in mails_for(addr, mark) if str(m["Subject"]) == CODE_SUBJECT]
    assert len(ms) == 1, "expected one new code mail to %s, got %d" % (addr, len(ms))
    return code_in(ms[0])


def assert_notification(msg, *codes):
    """A notification mail: no code in it (contract §6.2)."""
    assert str(msg["Subject"]) != CODE_SUBJECT
    text, html = text_of(msg), html_of(msg)
    for body in (text, html):
        assert "verification code is" not in body.lower(), body
        assert not re.search(r"(?<![0-9])[0-9]{%d,%d}(?![0-9])" % (
            min(CODE_LENGTHS.values()), max(CODE_LENGTHS.values())), body), body
        for c in codes:
            assert c not in body, body


def wrong(code, k=1):
    """A code of the same length that is not `code`."""
    n = len(code)
    return str((int(code) + k) % 10 ** n).zfill(n)


# --------------------------------------------------------------------------
# Flows


def activation_code(c, token=None):
    """activate -> 204 -> the mailed code."""
    mark = mail_mark()
    assert_204(activate(c, token=token))
    return new_code_since(c.mail, mark)


def enable_mfa(c, token=None):
    """activate -> code -> verify: email active. Returns the activation code."""
    code = activation_code(c, token)
    assert_204(verify(c, code, token=token))
    return code


def fresh_code(c, token=None):
    """trigger -> 204 -> the mailed code."""
    mark = mail_mark()
    assert_204(trigger(c, token=token))
    return new_code_since(c.mail, mark)


def mfa_account(side):
    """A fresh signed-in account of the side with email active (no live code
    left)."""
    c = side.new_account()
    enable_mfa(c)
    return c


# --------------------------------------------------------------------------
# Database


def account_id(c):
    rows = db_query("SELECT id FROM %s WHERE %s = '%s'" % (
        c.side.table, c.side.name_column, c.mail))
    assert len(rows) == 1, rows
    return int(rows[0][0])


def _of(c):
    return "side = %d AND account_id = %d" % (c.side.num, account_id(c))


def stored_status(c, type_="email"):
    rows = db_query("SELECT status FROM mfa_methods WHERE %s AND type = '%s'" % (
        _of(c), type_))
    return int(rows[0][0]) if rows else None


def lockout_row(c):
    """(failures, lockouts, locked_until) or None."""
    rows = db_query("SELECT failures, lockouts, locked_until FROM mfa_lockouts "
                    "WHERE " + _of(c))
    return tuple(int(x) for x in rows[0]) if rows else None


def code_rows(c):
    """Sorted [(state, attempts)] of the account's codes (creation times are
    whole seconds, so the order of creation is not recoverable)."""
    rows = db_query("SELECT state, attempts FROM mfa_codes WHERE " + _of(c))
    return sorted((int(s), int(a)) for s, a in rows)


AUDIT_COLS = ["at", "side", "account_id", "actor_id", "action", "method", "result",
              "error_code", "client_address", "user_agent", "request_id"]


def audit_query(where, cols=AUDIT_COLS):
    """audit_log rows matching the SQL condition, oldest first, as dicts of
    `cols` (NULL shown as None)."""
    rows = db_query("SELECT %s FROM audit_log WHERE %s ORDER BY id" % (
        ", ".join("COALESCE(%s, '<NULL>')" % k for k in cols), where))
    return [{k: (None if v == "<NULL>" else v) for k, v in zip(cols, r)}
            for r in rows]


def audit_rows(c):
    """The account's audit rows, oldest first."""
    return audit_query(_of(c))


# --------------------------------------------------------------------------
# Parallel requests (the conftest session is not thread-safe)


def parallel(requests_args):
    """Send every request at once (one thread and connection each, released
    together by a barrier); return the Resps in the order given. Each item is
    a dict of method, path, token, headers, and either body (sent as JSON:API)
    or data and content_type; check (default check_common) is run on the
    answer."""
    n = len(requests_args)
    barrier = threading.Barrier(n)
    out = [None] * n
    errors = []

    def one(i, a):
        try:
            s = requests.Session()
            h = {"Content-Type": a.get("content_type", JSONAPI)}
            if a.get("token"):
                h["Authorization"] = "Bearer " + a["token"]
            h.update(a.get("headers") or {})
            payload = a.get("data")
            if a.get("body") is not None:
                payload = json.dumps(a["body"]).encode("utf-8")
            req = requests.Request(a["method"], BASE + a["path"], data=payload,
                                   headers=h)
            prepared = s.prepare_request(req)
            barrier.wait(timeout=60)
            r = s.send(prepared, timeout=TIMEOUT, allow_redirects=False)
            out[i] = Resp(r, payload)
            s.close()
        except Exception as e:  # reported below, with the index
            errors.append((i, e))

    threads = [threading.Thread(target=one, args=(i, a))
               for i, a in enumerate(requests_args)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    for a, r in zip(requests_args, out):
        a.get("check", check_common)(r)
    return out


def error_code(r):
    """'200'/'204' for successes, else the error's code, for counting."""
    if r.status < 400:
        return str(r.status)
    return r.json["errors"][0]["code"]


# --------------------------------------------------------------------------
# Effects of refusals (effects.py)


def refused(c, action=None, code=None, counted=0, type_="email", **kw):
    """A block that must change nothing of c's but the audit row recording
    the refusal: (action, "failure", code); no action: no row at all.
    counted=n: a wrong code counted n times (contract §5.2) against the codes of
    type_ (the protected guard's and activate's: of every active method); a
    count that reaches max_failures also locks, audited ("lockout" before
    the refusal's row) and notified by mail. Further keywords go to
    effects.unchanged (audit=, changes=, mails=)."""
    from effects import db_id, unchanged_for, wrong_code
    changes = kw.pop("changes", [])
    changes = [changes] if isinstance(changes, dict) else list(changes)
    rows = [(action, "failure", code)] if action else []
    if counted:
        t = None if action in ("protected", "activate") else type_
        changes.append(wrong_code(c.side, db_id(c), type_=t, n=counted))
        lk = lockout_row(c)
        if (lk[0] if lk else 0) + counted >= MAX_FAILURES:
            rows.insert(0, ("lockout", "failure", "5911"))
            kw.setdefault("mails", [SUBJECT_LOCKED])
    kw.setdefault("audit", rows)
    return unchanged_for(c, changes=changes, **kw)
