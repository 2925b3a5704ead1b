"""Method totp (contract §6), on both sides, with Debian's `oathtool` as the
authenticator app: enrolment (the activation document: secret, otpauth URI,
QR code), verify, protected writes with app codes, replay (the same code
twice, in parallel, a previous step after a later one), the step window
through the test clock, both methods together (activation and deactivation
of a second method, lockout across methods), the rescue and the operator
tool, and no secret at rest.

Every test runs on the test clock (the `clock` fixture), aligned at the
start of a time step so that the server's step is the one the test computes
codes for; moving to a later step is moving the clock, never sleeping.
"""

import base64
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from conftest import BASE, INSTANCE, db_dump, db_query, doc
from effects import server_now, unchanged
from mfa_helpers import (ACTIVATE, ACTIVATED, CODE_USED, DEACTIVATED, MAX_FAILURES,
                         PENDING, SUBJECT_ADMIN_OFF, SUBJECT_LOCKED, SUBJECT_ON,
                         STOREFRONT, activate, assert_204, assert_5900, assert_5901,
                         assert_5904, assert_5906, assert_5911, deactivate,
                         enable_mfa, error_code, fresh_code, get_types, lockout_row,
                         mail_mark, mails_for, needs_db, parallel, patch_account,
                         refused, status_of, trigger, verify, wrong)
from mfa_helpers import side  # noqa: F401 (fixture)

STEP = 30
TOTP = "totp"
B32 = re.compile(r"^[A-Z2-7]{32}$")


def oathtool(secret, t):
    """The app's code at unix time t (Debian's oathtool)."""
    if shutil.which("oathtool") is None:
        pytest.skip("oathtool not installed (apt-get install oathtool)")
    out = subprocess.run(["oathtool", "--totp", "-b", secret, "--now=@%d" % t],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    code = out.stdout.strip()
    assert re.match(r"^[0-9]{6}$", code), out.stdout
    return code


def issuer():
    """totp_issuer of the instance's configuration (default glue-mfa)."""
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        for ln in f:
            m = re.match(r"^\s*totp_issuer\s*=\s*(.*?)\s*$", ln)
            if m:
                return m.group(1)
    return "glue-mfa"


class App:
    """An authenticator app holding one secret, on the server's clock."""

    def __init__(self, secret, clk):
        self.secret = secret
        self.clk = clk

    def code(self, d=0):
        """The code of the server's current step + d."""
        return oathtool(self.secret, self.clk.now() + d * STEP)


class Clock:
    """The programs' clock (the test clock file), moved in whole steps."""

    def __init__(self, set_clock):
        self.set = set_clock
        self.offset = 0
        self.align()

    def align(self):
        """Puts the server 3 s into a step: ~25 s of one stable step."""
        now = int(time.time()) + self.offset
        self.offset += (3 - now % STEP) % STEP
        self.set(self.offset)

    def step(self, n=1):
        """n steps later, 3 s into that step."""
        self.offset += n * STEP
        self.set(self.offset)
        self.align()

    def now(self):
        return server_now()


@pytest.fixture
def clk(clock):
    return Clock(clock)


def check_activation(r, c):
    """The activation document of contract §6; returns the secret."""
    assert r.status == 200, r.describe()
    assert r.headers.get("Cache-Control") == "no-store", r.describe()
    d = r.json["data"]
    assert set(r.json) == {"data"}, r.describe()
    assert (d["type"], d["id"]) == (ACTIVATE, TOTP), r.describe()
    assert d["links"] == {"self": BASE + c.side.path(ACTIVATE)}
    a = d["attributes"]
    assert set(a) == {"type", "secret", "uri", "qrCodeSvg"}, a
    assert a["type"] == TOTP
    secret = a["secret"]
    assert B32.match(secret), secret        # 160 bits
    assert len(base64.b32decode(secret)) == 20
    iss = urllib.parse.quote(issuer(), safe="")
    label = urllib.parse.quote(c.mail, safe="@")
    assert a["uri"] == ("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
                        "&digits=6&period=30" % (iss, label, secret, iss)), a["uri"]
    svg = ET.fromstring(a["qrCodeSvg"])
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert [e.tag.split("}")[1] for e in svg] == ["rect", "path"]
    assert not any(e.tag.split("}")[1] == "script" for e in svg.iter())
    # Sizes: a version 1..40 QR code and its 4-module quiet zone.
    w = int(svg.get("viewBox").split()[2])
    assert 21 + 8 <= w <= 177 + 8 and (w - 8 - 17) % 4 == 0, w
    return secret


def enrol(c, clk, code=None):
    """activate totp (200) and verify it with an app code: returns the App.
    Leaves the clock one step on, so the next code is a fresh one."""
    r = activate(c, type_=TOTP, code=code)
    app = App(check_activation(r, c), clk)
    assert status_of(c, TOTP) == PENDING
    assert_204(verify(c, app.code(), type_=TOTP))
    assert status_of(c, TOTP) == ACTIVATED
    clk.step()
    return app


def totp_row(c):
    from mfa_helpers import account_id
    rows = db_query("SELECT last_step, drift, LENGTH(secret_box) FROM mfa_totp "
                    "WHERE side = %d AND account_id = %d" % (c.side.num,
                                                             account_id(c)))
    return tuple(int(x) for x in rows[0]) if rows else None


# --------------------------------------------------------------------------
# Enrolment


def test_enrol_and_verify(side, clk):
    needs_db()
    c = side.new_account()
    assert status_of(c, TOTP) == DEACTIVATED
    mark = mail_mark()
    r = activate(c, type_=TOTP)
    secret = check_activation(r, c)
    assert totp_row(c) == (0, 0, 36)        # sealed: 20 bytes + 16 of MAC
    assert not mails_for(c.mail, mark)      # nothing sent on activation
    # Activate of a pending totp issues a new secret; the old one is gone.
    r = activate(c, type_=TOTP)
    secret2 = check_activation(r, c)
    assert secret2 != secret
    old = App(secret, clk).code()
    new = App(secret2, clk).code()
    if old != new:
        with refused(c, "verify", "5901", counted=1, type_=TOTP):
            assert_5901(verify(c, old, type_=TOTP))
    # A wrong code, and one shaped wrong: refused and counted.
    with refused(c, "verify", "5901", counted=1, type_=TOTP):
        assert_5901(verify(c, wrong(new), type_=TOTP))
    with refused(c, "verify", "5901", counted=1, type_=TOTP):
        assert_5901(verify(c, new + "0", type_=TOTP))
    mark = mail_mark()
    assert_204(verify(c, new, type_=TOTP))
    assert status_of(c, TOTP) == ACTIVATED
    assert [str(m["Subject"]) for m in mails_for(c.mail, mark)] == [SUBJECT_ON]
    assert lockout_row(c)[:2] == (0, 0)     # a success clears the count
    row = totp_row(c)
    assert row[0] == clk.now() // STEP and row[1] == 0, row
    # Active: activate again is 5904, verify again is 5904.
    with refused(c, "activate", "5904"):
        assert_5904(activate(c, type_=TOTP))
    with refused(c, "verify", "5904"):
        assert_5904(verify(c, new, type_=TOTP))


def test_trigger_sends_nothing(side, clk):
    needs_db()
    c = side.new_account()
    with refused(c, "trigger", "5906"):
        assert_5906(trigger(c, type_=TOTP))     # not active
    enrol(c, clk)
    with unchanged(side=side.name, account_id=totp_id(c), mail_to=c.mail,
                   audit=[("trigger", "success", None)]):
        assert_204(trigger(c, type_=TOTP))


def totp_id(c):
    from mfa_helpers import account_id
    return account_id(c)


# --------------------------------------------------------------------------
# Protected writes and replay


def test_protected_writes_with_app_codes(side, clk):
    needs_db()
    c = side.new_account()
    app = enrol(c, clk)
    with refused(c, "protected", "5900"):
        assert_5900(patch_account(c))
    code = app.code()
    r = patch_account(c, code, first_name="App")
    assert r.status == 200, r.describe()
    assert totp_row(c)[0] == clk.now() // STEP
    # The same token repeats it within its grace window: passes (a used
    # code row of the token, like any method's).
    r = patch_account(c, code, first_name="Again")
    assert r.status == 200, r.describe()
    # Another token: the same code is refused, and counted.
    access, _ = c.login()
    with refused(c, "protected", "5901", counted=1, type_=None):
        assert_5901(patch_account(c, code, token=access))
    # The next step's code passes for that token.
    clk.step()
    r = patch_account(c, app.code(), token=access, first_name="Next")
    assert r.status == 200, r.describe()


def test_twenty_parallel_requests_one_code(side, clk):
    """20 tokens send one app code at once: exactly one 200; the others are
    failed checks (max_failures of them 5901, then the lockout's 5911)."""
    needs_db()
    c = side.new_account()
    app = enrol(c, clk)
    rs = parallel([c.side.sign_in_request(c)] * 20)
    tokens = [c.side.access_token_of(r) for r in rs]
    code = app.code()
    rs = parallel([{"method": "PATCH", "path": c.path, "token": t,
                    "headers": {"X-MFA-Code": code},
                    "body": doc(side.account_type, {"firstName": "Racer%d" % i})}
                   for i, t in enumerate(tokens)])
    counts = Counter(error_code(r) for r in rs)
    assert counts == Counter({"200": 1, "5901": MAX_FAILURES,
                              "5911": 20 - 1 - MAX_FAILURES}), counts
    assert lockout_row(c)[:2] == (MAX_FAILURES, 1)
    winner = [i for i, r in enumerate(rs) if r.status == 200][0]
    assert rs[winner].data["attributes"]["firstName"] == "Racer%d" % winner
    # One used code row: the winner's grace window.
    from mfa_helpers import code_rows
    assert code_rows(c).count((CODE_USED, 0)) == 1 + 1   # verify's, the winner's


def test_previous_step_after_a_later_one_is_refused(side, clk):
    needs_db()
    c = side.new_account()
    app = enrol(c, clk)
    later, now = app.code(1), app.code(0)
    r = patch_account(c, later, first_name="Later")     # +1: in the window
    assert r.status == 200, r.describe()
    assert totp_row(c)[:2] == (clk.now() // STEP + 1, 1)
    access, _ = c.login()
    if now != later:
        with refused(c, "protected", "5901", counted=1, type_=None):
            assert_5901(patch_account(c, now, token=access))
    with refused(c, "protected", "5901", counted=1, type_=None):
        assert_5901(patch_account(c, later, token=access))


# --------------------------------------------------------------------------
# The step window (totp_window = 1) through the test clock


@pytest.mark.parametrize("d", [-1, 1])
def test_one_step_off_is_accepted(side, clk, d):
    needs_db()
    c = side.new_account()
    app = App(check_activation(activate(c, type_=TOTP), c), clk)
    assert_204(verify(c, app.code(d), type_=TOTP))
    assert totp_row(c)[:2] == (clk.now() // STEP + d, d)


@pytest.mark.parametrize("d", [-2, 2, -3, 3])
def test_two_steps_off_are_refused(side, clk, d):
    needs_db()
    c = side.new_account()
    app = App(check_activation(activate(c, type_=TOTP), c), clk)
    codes = {app.code(k) for k in (-1, 0, 1)}
    code = app.code(d)
    if code in codes:
        pytest.skip("the codes of two steps collide; run again")
    with refused(c, "verify", "5901", counted=1, type_=TOTP):
        assert_5901(verify(c, code, type_=TOTP))
    assert status_of(c, TOTP) == PENDING
    assert_204(verify(c, app.code(), type_=TOTP))


def test_the_clock_offset_is_remembered(side, clk):
    """A success one step ahead centres the next window there (RFC 6238 §6):
    two steps ahead of the server then passes, one behind does not, and the
    offset remembered is the bounded one (TOTP_MAX_DRIFT = 2)."""
    needs_db()
    c = side.new_account()
    app = App(check_activation(activate(c, type_=TOTP), c), clk)
    assert_204(verify(c, app.code(1), type_=TOTP))
    # Three steps on: the window is now+1 +-1; without the offset, now-1
    # (later than the last accepted step) would pass and now+2 would not.
    clk.step(3)
    behind = app.code(-1)
    if behind not in {app.code(k) for k in (0, 1, 2)}:
        with refused(c, "protected", "5901", counted=1, type_=None):
            assert_5901(patch_account(c, behind))
    r = patch_account(c, app.code(2))
    assert r.status == 200, r.describe()
    assert totp_row(c)[:2] == (clk.now() // STEP + 2, 2)


# --------------------------------------------------------------------------
# Both methods


def test_second_method_needs_a_code_of_the_active_one(side, clk):
    needs_db()
    c = side.new_account()
    enable_mfa(c)                               # email active
    with refused(c, "activate", "5900"):
        assert_5900(activate(c, type_=TOTP))
    code = fresh_code(c)
    with refused(c, "activate", "5901", counted=1, type_=None):
        assert_5901(activate(c, type_=TOTP, code=wrong(code)))
    assert status_of(c, TOTP) == DEACTIVATED
    app = enrol(c, clk, code=code)              # the e-mail code spent
    r = get_types(c)
    assert [(i["id"], i["attributes"]["status"]) for i in r.data] == [
        ("email", ACTIVATED), ("totp", ACTIVATED), ("webauthn", DEACTIVATED)], r.describe()
    # Either method's code passes the guard.
    r = patch_account(c, app.code(), first_name="ByApp")
    assert r.status == 200, r.describe()
    r = patch_account(c, fresh_code(c), first_name="ByMail")
    assert r.status == 200, r.describe()
    # Deactivating one of two needs that method's code: an e-mail code is
    # no code of totp, an app code none of email.
    clk.step()
    mail_code = fresh_code(c)
    access, _ = c.login()
    with refused(c, "deactivate", "5901", counted=1, type_=TOTP):
        assert_5901(deactivate(c, mail_code, type_=TOTP, token=access))
    with refused(c, "deactivate", "5901", counted=1, type_="email"):
        assert_5901(deactivate(c, app.code(), type_="email", token=access))
    assert_204(deactivate(c, app.code(), type_=TOTP, token=access))
    assert status_of(c, TOTP) == DEACTIVATED and status_of(c) == ACTIVATED
    assert totp_row(c) is None                  # the secret destroyed
    r = get_types(c)
    assert [(i["id"], i["attributes"]["status"]) for i in r.data] == [
        ("email", ACTIVATED), ("totp", DEACTIVATED), ("webauthn", DEACTIVATED)], r.describe()


def test_email_after_totp_needs_an_app_code(side, clk):
    needs_db()
    c = side.new_account()
    app = enrol(c, clk)
    with refused(c, "activate", "5900"):
        assert_5900(activate(c))
    assert_204(activate(c, code=app.code()))
    r = get_types(c)
    assert [(i["id"], i["attributes"]["status"]) for i in r.data] == [
        ("totp", ACTIVATED), ("email", PENDING), ("webauthn", DEACTIVATED)], r.describe()


def test_lockout_spans_methods(side, clk):
    needs_db()
    c = side.new_account()
    enable_mfa(c)
    app = enrol(c, clk, code=fresh_code(c))
    code = app.code()
    bad = wrong(code)
    for i in range(MAX_FAILURES - 1):
        t = TOTP if i % 2 else "email"
        with refused(c, "deactivate", "5901", counted=1, type_=t):
            assert_5901(deactivate(c, bad, type_=t))
    with refused(c, "protected", "5901", counted=1, type_=None):
        assert_5901(patch_account(c, bad))
    assert lockout_row(c)[:2] == (MAX_FAILURES, 1)
    assert [str(m["Subject"]) for m in mails_for(c.mail)][-1] == SUBJECT_LOCKED
    # Locked: a good code of either method is refused, and changes nothing.
    with refused(c, "protected", "5911"):
        assert_5911(patch_account(c, code))
    with refused(c, "deactivate", "5911"):
        assert_5911(deactivate(c, code, type_=TOTP))


# --------------------------------------------------------------------------
# The rescue and the operator tool


def test_rescue_switches_off_a_customers_totp(clk):
    needs_db()
    from backend_helpers import new_user, rescue
    c = STOREFRONT.new_account()
    enrol(c, clk)
    admin = new_user().signed_in()
    # The administrator's own app protects the rescue.
    from mfa_helpers import BACKEND
    a = BACKEND.account(admin.username, access=admin.access)
    a.password = admin.password
    app = enrol(a, clk)
    r = rescue(admin.access, c.id, type_=TOTP)
    assert_5900(r)
    mark = mail_mark()
    assert_204(rescue(admin.access, c.id, type_=TOTP, code=app.code()))
    assert status_of(c, TOTP) == DEACTIVATED
    assert totp_row(c) is None
    assert [str(m["Subject"]) for m in mails_for(c.mail, mark)] == [SUBJECT_ADMIN_OFF]
    r = patch_account(c)
    assert r.status == 200, r.describe()


def test_operator_tool_switches_off_totp(side, clk):
    needs_db()
    from backend_helpers import cli
    c = side.new_account()
    enrol(c, clk)
    kind = "customer" if side is STOREFRONT else "user"
    p = cli("mfa-off", kind, c.mail, TOTP)
    assert p.returncode == 0 and p.stdout == "%s %s: totp switched off\n" % (
        kind, c.mail), (p.stdout, p.stderr)
    assert status_of(c, TOTP) == DEACTIVATED
    assert totp_row(c) is None
    r = patch_account(c)
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# At rest


def test_no_secret_at_rest(side, clk):
    needs_db()
    c = side.new_account()
    r = activate(c, type_=TOTP)
    secret = check_activation(r, c)
    app = App(secret, clk)
    assert_204(verify(c, app.code(), type_=TOTP))
    clk.step()
    code = app.code()
    assert patch_account(c, code).status == 200
    dump = db_dump()
    upper = dump.upper()
    raw = base64.b32decode(secret)
    assert secret not in upper
    assert raw.hex().upper() not in upper
    assert secret.encode().hex().upper() not in upper
    # The sealed row is there, and holds neither.
    from mfa_helpers import account_id
    rows = db_query("SELECT HEX(secret_box) FROM mfa_totp WHERE side = %d AND "
                    "account_id = %d" % (side.num, account_id(c)))
    assert len(rows) == 1 and len(rows[0][0]) == 72
    assert raw.hex().upper() not in rows[0][0]
    # The programs' log has no secret either.
    path = os.path.join(INSTANCE, "log", "programs.log")
    if os.path.exists(path):
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace").upper()
        assert secret not in text
