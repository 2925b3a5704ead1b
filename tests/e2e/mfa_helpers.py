"""Helpers for the MFA end-to-end tests (tests/e2e/test_mfa_*.py).

The test instance runs with the defaults of SPEC §5 (constants below); codes
are read from the mail spool $GLUE_INSTANCE/mail (one message per file, names
sorting in send order). Every customer here is a fresh one, so tests never
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
                      check_common, db_available, db_query, doc, new_customer)

TYPES = "multi-factor-auth-types"
ACTIVATE = "multi-factor-auth-type-activate"
VERIFY = "multi-factor-auth-type-verify"
TRIGGER = "multi-factor-auth-trigger"
DEACTIVATE = "multi-factor-auth-type-deactivate"

# SPEC §5 defaults, as configured in the test instance.
CODE_LENGTH = 6
CODE_TTL = 600
ATTEMPTS_PER_CODE = 3
MAX_FAILURES = 10
LOCKOUT_SECONDS = 300
GRACE_PERIOD = 300
RESEND_COOLDOWN = 60
DAILY_SEND_CAP = 20

# SPEC §4.1 labels.
DEACTIVATED, PENDING, ACTIVATED = "deactivated", "activation is pending", "activated"

# mfa_codes.state
CODE_LIVE, CODE_USED, CODE_BLOCKED, CODE_INVALIDATED = 0, 1, 2, 3

# SPEC §4.4, exact.
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
CODE_RE = re.compile(r"Your verification code is: (\d+)")


def needs_db():
    if not db_available():
        pytest.skip("GLUE_INSTANCE not set or its DB socket is missing")


# --------------------------------------------------------------------------
# Requests


def mfa_body(resource, type_="email", attrs=None):
    """The POST body of SPEC §4; type_=None leaves attributes.type out."""
    if attrs is None:
        attrs = {} if type_ is None else {"type": type_}
    return doc(resource, attrs)


def code_headers(code, headers=None):
    h = dict(headers or {})
    if code is not None:
        h[CODE_HEADER] = code
    return h


def mfa_post(resource, token, type_="email", code=None, attrs=None, headers=None):
    return api("POST", "/" + resource, mfa_body(resource, type_, attrs), token=token,
               headers=code_headers(code, headers))


def activate(c, type_="email", code=None, token=None, **kw):
    return mfa_post(ACTIVATE, token or c.access, type_, code, **kw)


def verify(c, code, type_="email", token=None, **kw):
    return mfa_post(VERIFY, token or c.access, type_, code, **kw)


def trigger(c, type_="email", token=None, **kw):
    return mfa_post(TRIGGER, token or c.access, type_, None, **kw)


def deactivate(c, code, type_="email", token=None, **kw):
    return mfa_post(DEACTIVATE, token or c.access, type_, code, **kw)


def patch_customer(c, code=None, token=None, first_name="Changed"):
    """A protected write: PATCH /customers/{ref}."""
    return api("PATCH", c.path, doc("customers", {"firstName": first_name}),
               token=token or c.access, headers=code_headers(code))


def get_types(c, token=None, type_=None):
    path = "/" + TYPES + ("" if type_ is None else "/" + type_)
    return api("GET", path, token=token or c.access)


def status_of(c, type_="email"):
    """attributes.status of GET /multi-factor-auth-types/{type}."""
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
    if not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: no mail spool to read codes from")
    return os.path.join(INSTANCE, "mail")


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
    assert len(code) == CODE_LENGTH, code
    assert code in html_of(msg)
    return code


def new_code_since(addr, mark):
    """The code of the one code mail sent to addr after mark (exactly one)."""
    ms = [m for m in mails_for(addr, mark) if str(m["Subject"]) == CODE_SUBJECT]
    assert len(ms) == 1, "expected one new code mail to %s, got %d" % (addr, len(ms))
    return code_in(ms[0])


def assert_notification(msg, *codes):
    """A notification mail: no code in it (SPEC §6)."""
    assert str(msg["Subject"]) != CODE_SUBJECT
    text, html = text_of(msg), html_of(msg)
    for body in (text, html):
        assert "verification code is" not in body.lower(), body
        assert not re.search(r"(?<![0-9])[0-9]{%d}(?![0-9])" % CODE_LENGTH, body), body
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
    return new_code_since(c.email, mark)


def enable_mfa(c, token=None):
    """activate -> code -> verify: email active. Returns the activation code."""
    code = activation_code(c, token)
    assert_204(verify(c, code, token=token))
    return code


def fresh_code(c, token=None):
    """trigger -> 204 -> the mailed code."""
    mark = mail_mark()
    assert_204(trigger(c, token=token))
    return new_code_since(c.email, mark)


def mfa_customer():
    """A fresh signed-in customer with email active (no live code left)."""
    c = new_customer().signed_in()
    enable_mfa(c)
    return c


# --------------------------------------------------------------------------
# Database


def account_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


def stored_status(c, type_="email"):
    rows = db_query("SELECT status FROM mfa_methods WHERE side = 0 AND "
                    "account_id = %d AND type = '%s'" % (account_id(c), type_))
    return int(rows[0][0]) if rows else None


def lockout_row(c):
    """(failures, lockouts, locked_until) or None."""
    rows = db_query("SELECT failures, lockouts, locked_until FROM mfa_lockouts "
                    "WHERE side = 0 AND account_id = %d" % account_id(c))
    return tuple(int(x) for x in rows[0]) if rows else None


def code_rows(c):
    """Sorted [(state, attempts)] of the customer's codes (creation times are
    whole seconds, so the order of creation is not recoverable)."""
    rows = db_query("SELECT state, attempts FROM mfa_codes WHERE side = 0 AND "
                    "account_id = %d" % account_id(c))
    return sorted((int(s), int(a)) for s, a in rows)


def audit_rows(c):
    """The customer's audit rows, oldest first, as dicts."""
    cols = ["at", "side", "account_id", "actor_id", "action", "method", "result",
            "error_code", "client_address", "user_agent", "request_id"]
    rows = db_query("SELECT %s FROM audit_log WHERE side = 0 AND account_id = %d "
                    "ORDER BY id" % (", ".join(cols), account_id(c)))
    return [dict(zip(cols, r)) for r in rows]


# --------------------------------------------------------------------------
# Parallel requests (the conftest session is not thread-safe)


def parallel(requests_args):
    """Send every request at once (one thread and connection each, released
    together by a barrier); return the Resps in the order given. Each item is
    a dict of method, path, body, token, headers."""
    n = len(requests_args)
    barrier = threading.Barrier(n)
    out = [None] * n
    errors = []

    def one(i, a):
        try:
            s = requests.Session()
            h = {"Content-Type": JSONAPI}
            if a.get("token"):
                h["Authorization"] = "Bearer " + a["token"]
            h.update(a.get("headers") or {})
            payload = None
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
    for r in out:
        check_common(r)
    return out


def error_code(r):
    """'200'/'204' for successes, else the error's code, for counting."""
    if r.status < 400:
        return str(r.status)
    return r.json["errors"][0]["code"]
