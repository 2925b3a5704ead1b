"""Settings per side (contract §10.6): storefront.<key> and backend.<key>
override the MFA engine's shared code and limit keys, each side read by the
engine for its own accounts, validated at start-up with the shared key's
bounds.

Two ways in. The test instance sets backend.code_length = 8 (tools/test.sh),
the Storefront keeping 6: its codes are tested over HTTP on both sides. The
other keys are tested at their boundaries by running the programs as plain
CGI (as test_config_refused.py does) with a copy of the instance's
configuration that gives each side other values, against the instance's
database, spool and clock.
"""
import json
import os
import subprocess

import pytest

from conftest import db_query, instance_sets
from effects import server_now
from mfa_helpers import (BACKEND, CODE_LENGTHS, CODE_LENGTH, STOREFRONT,
                         TRIGGER, account_id, assert_5901, code_in,
                         code_rows, enable_mfa, fresh_code, lockout_row, mail_mark,
                         mails_for, mfa_account, new_code_since, patch_account,
                         refused)
from mfa_helpers import side  # noqa: F401 (fixture)
from test_config_refused import assert_refused, bin_dir, conf  # noqa: F401 (fixture)

JSONAPI = "application/vnd.api+json"


def needs_backend_length():
    if not instance_sets("backend.code_length"):
        pytest.skip("the instance sets no backend.code_length (tools/test.sh does)")


def other_length(code):
    """A value of the other side's length, made of the code's digits."""
    return code[:CODE_LENGTH] if len(code) > CODE_LENGTH else code + "00"


# --------------------------------------------------------------------------
# Code length per side, over HTTP (the test instance's configuration)


def test_the_instance_gives_the_sides_different_lengths():
    needs_backend_length()
    assert CODE_LENGTHS == {0: CODE_LENGTH, 1: 8}


def test_code_length_of_each_side(side):
    needs_backend_length()
    c = side.new_account()
    mark = mail_mark()
    code = enable_mfa(c)
    assert len(code) == CODE_LENGTHS[side.num], code
    code = fresh_code(c)
    assert len(code) == CODE_LENGTHS[side.num], code
    assert [len(code_in(m)) for m in mails_for(c.mail, mark)
            if str(m["Subject"]) == "Verification Code for Secure Access"] == \
        [CODE_LENGTHS[side.num]] * 2


def test_a_code_of_the_other_sides_length_is_a_wrong_code(side):
    needs_backend_length()
    c = mfa_account(side)
    code = fresh_code(c)
    # The other side's length, even the code's own digits, is a wrong code:
    # counted, the live code one attempt nearer its block, not spent.
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, other_length(code)))
    assert lockout_row(c)[0] == 1
    assert sorted(code_rows(c)) == [(0, 1), (1, 0)]     # live, 1 attempt; used
    r = patch_account(c, code)
    assert r.status == 200, r.describe()
    assert sorted(code_rows(c)) == [(1, 0), (1, 1)]
    assert lockout_row(c)[0] == 0


# --------------------------------------------------------------------------
# Start-up: the shared key's bounds, per side


@pytest.mark.parametrize("line,want", [
    # (backend.code_length is the instance's own: given again it is twice)
    ("storefront.code_length = 11", 'storefront.code_length: line %d: invalid value '
                                    '"11": a whole number from 6 to 10'),
    ("storefront.code_length = 5", 'storefront.code_length: line %d: invalid value '
                                   '"5": a whole number from 6 to 10'),
    ("storefront.max_failures = 101", 'storefront.max_failures: line %d: invalid '
                                      'value "101": a whole number from 1 to 100'),
    ("backend.lockout_seconds = 0", 'backend.lockout_seconds: line %d: invalid '
                                    'value "0": a whole number from 1 to 3600'),
    ("backend.code_ttl = 29", 'backend.code_ttl: line %d: invalid value "29": a '
                              'whole number from 30 to 86400'),
    ("storefront.grace_period = -1", 'storefront.grace_period: line %d: invalid '
                                     'value "-1": a whole number from 0 to 86400'),
    ("backend.totp_window = 3", 'backend.totp_window: line %d: invalid value "3": '
                                'a whole number from 0 to 2'),
    ("backend.db_name = other", "backend.db_name: line %d: unknown key"),
    ("backend.login_window = 60", "backend.login_window: line %d: unknown key"),
    ("Backend.code_ttl = 60", "Backend.code_ttl: line %d: unknown key"),
])
def test_bad_per_side_value_is_refused(conf, line, want):   # noqa: F811
    path, n = conf([line])
    assert_refused(path, want % n)


def test_per_side_key_given_twice_is_refused(conf):          # noqa: F811
    path, n = conf(["storefront.code_ttl = 60", "storefront.code_ttl = 90"])
    assert_refused(path, "storefront.code_ttl: line %d: given twice (first on line "
                   "%d)" % (n, n - 1))


# --------------------------------------------------------------------------
# The other keys at their boundaries, both sides (programs run as CGI)

PER_SIDE = {
    STOREFRONT.num: {"attempts_per_code": 1, "max_failures": 2, "code_ttl": 30,
                     "resend_cooldown": 0},
    BACKEND.num: {"attempts_per_code": 2, "max_failures": 3, "code_ttl": 45,
                  "resend_cooldown": 86400},
}


@pytest.fixture
def per_side_conf(conf):                                     # noqa: F811
    lines = []
    for num, name in ((STOREFRONT.num, "storefront"), (BACKEND.num, "backend")):
        lines += ["%s.%s = %d" % (name, k, v) for k, v in PER_SIDE[num].items()]
    path, _ = conf(lines)
    return path


def run_prog(conf_path, acct, resource, method, uri, body=None, code=None):
    """One request of the account's side to program `resource`, as plain CGI
    with the configuration conf_path: (status, parsed body or None)."""
    prog = os.path.join(bin_dir(), acct.side.programs, resource)
    if not os.access(prog, os.X_OK):
        pytest.skip("program not built: %s" % prog)
    data = json.dumps(body).encode() if body is not None else b""
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf_path,
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
           "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": method,
           "REQUEST_URI": uri, "SCRIPT_NAME": uri,
           "HTTP_AUTHORIZATION": "Bearer " + acct.access}
    if data:
        env.update(CONTENT_TYPE=JSONAPI, CONTENT_LENGTH=str(len(data)))
    if code is not None:
        env["HTTP_X_MFA_CODE"] = code
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([prog], input=data, env=env, capture_output=True, timeout=60)
    head, sep, rest = p.stdout.partition(b"\r\n\r\n")
    assert sep and p.returncode == 0, (p.returncode, p.stdout[:300], p.stderr[-500:])
    status = next(int(ln.split()[1]) for ln in head.decode("latin-1").split("\r\n")
                  if ln.lower().startswith("status:"))
    return status, (json.loads(rest) if rest else None)


def cgi_patch(conf_path, acct, code):
    """The account's protected write (PATCH of its own resource)."""
    if acct.side is STOREFRONT:
        return run_prog(conf_path, acct, "customers", "PATCH", acct.path,
                        {"data": {"type": "customers", "id": acct.id,
                                  "attributes": {"firstName": "Changed"}}}, code)
    return run_prog(conf_path, acct, "users", "PATCH", acct.path,
                    {"data": {"type": "users", "id": acct.id,
                              "attributes": {"firstName": "Changed"}}}, code)


def cgi_trigger(conf_path, acct):
    return run_prog(conf_path, acct, TRIGGER, "POST", acct.side.path(TRIGGER),
                    {"data": {"type": TRIGGER, "attributes": {"type": "email"}}})


def error(answer):
    return answer[0], answer[1]["errors"][0]["code"] if answer[1] else None


def test_attempts_per_code_per_side(side, per_side_conf):
    n = PER_SIDE[side.num]["attempts_per_code"]
    c = mfa_account(side)
    code = fresh_code(c)
    bad = code[:-1] + str((int(code[-1]) + 1) % 10)
    # One attempt short of the side's bound: the code stays live.
    for k in range(1, n):
        assert error(cgi_patch(per_side_conf, c, bad)) == (403, "5901")
        assert sorted(code_rows(c)) == [(0, k), (1, 0)]
    # The bound: blocked, so the right code no longer passes.
    assert error(cgi_patch(per_side_conf, c, bad)) == (403, "5901")
    assert sorted(code_rows(c)) == [(1, 0), (2, n)]
    assert error(cgi_patch(per_side_conf, c, code)) == (403, "5901")
    assert lockout_row(c)[0] == n + 1


def test_max_failures_per_side(side, per_side_conf):
    n = PER_SIDE[side.num]["max_failures"]
    c = mfa_account(side)
    for k in range(1, n + 1):
        # The failure that reaches the side's bound is still 5901 ...
        assert error(cgi_patch(per_side_conf, c, "0" * CODE_LENGTHS[side.num])) \
            == (403, "5901")
        assert lockout_row(c)[:2] == (k, 1 if k == n else 0)
    # ... then the account is locked (the shared default would allow 10).
    status, doc_ = cgi_patch(per_side_conf, c, "0" * CODE_LENGTHS[side.num])
    assert (status, doc_["errors"][0]["code"]) == (429, "5911")
    assert lockout_row(c)[0] == n


def test_code_ttl_and_cooldown_per_side(side, per_side_conf):
    ps = PER_SIDE[side.num]
    c = mfa_account(side)
    mark = mail_mark()
    before = server_now()
    assert cgi_trigger(per_side_conf, c) == (204, None)
    code = new_code_since(c.mail, mark)
    assert len(code) == CODE_LENGTHS[side.num]
    rows = [(int(a), int(b)) for a, b in db_query(
        "SELECT created_at, expires_at FROM mfa_codes WHERE side = %d AND "
        "account_id = %d AND state = 0" % (side.num, account_id(c)))]
    assert len(rows) == 1 and rows[0][1] - rows[0][0] == ps["code_ttl"], rows
    assert rows[0][0] >= before
    # The cool-down: 0 on the Storefront (a new code at once, the old one
    # invalidated), a day on the Backend (refused, the old code stays).
    answer = cgi_trigger(per_side_conf, c)
    if ps["resend_cooldown"] == 0:
        assert answer == (204, None)
        codes = [code_in(m) for m in mails_for(c.mail, mark)]
        assert len(codes) == 2, codes
        code = codes[-1]
    else:
        assert error(answer) == (429, "5912")
        assert len(mails_for(c.mail, mark)) == 1
    r = patch_account(c, code)
    assert r.status == 200, r.describe()
