"""Decisions, audit rows and notifications under a killed program (contract
§9.3, README: Reliability, "Decisions, audit rows and notifications").

Each test writes a fault point's name into the instance's test_fault_file,
sends the request that reaches it (the program kills itself there: the web
server answers the client, without X-Request-Id, or the connection drops),
then checks what the database holds: never a state change without its audit
row (or a row without its change), never a notice lost (the next request or
`glue-mfa-admin send-outbox` hands it over exactly once), and the client's
retry answered sensibly.  The last tests switch the transport to a failing
sendmail (programs run as CGI with a changed copy of the configuration) to
see the outbox's backoff, its bound and the operator tool.
"""

import json
import os
import re
import subprocess

import pytest
import requests

import backend_helpers as bh
from backend_helpers import cli, describe_run
from conftest import (FAULT_FILE, INSTANCE, api, db_query, doc, instance_sets, login,
                      new_customer)
from mfa_helpers import (MAX_FAILURES, STOREFRONT,
                         SUBJECT_ADMIN_OFF, SUBJECT_LOCKED, SUBJECT_OFF, SUBJECT_ON,
                         account_id, activation_code, assert_204,
                         assert_5901, assert_5904, assert_5906, assert_5911,
                         assert_5912,
                         assert_notification, audit_query, code_rows, deactivate,
                         fresh_code, lockout_row, mail_mark, mails_for, mfa_account,
                         needs_db, patch_account, stored_status, trigger, verify,
                         wrong)
from mfa_helpers import side  # noqa: F401 (fixture)
from test_mfa_sendmail import OVERRIDDEN, program

FAULT = FAULT_FILE

# src/glue.h: the outbox's named bounds.
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_RETRY_BASE = 60
OUTBOX_RETRY_MAX = 3600
OUTBOX_LEASE = 300
OUTBOX_POLL_SECONDS = 10

NOTICE_ON, NOTICE_OFF, NOTICE_ADMIN_OFF, NOTICE_LOCKED = 0, 1, 2, 3
PENDING, ACTIVATED = 1, 2       # mfa_methods.status


def fault_supported():
    return instance_sets("test_fault_file")


@pytest.fixture(autouse=True)
def faults(clock, fault_file):
    """Needs a test build whose instance has test_fault_file; the fault file
    is gone after every test (conftest's `fault_file`), and the clock is
    reset (the `clock` fixture)."""
    needs_db()
    return clock


def killed(point, send):
    """send() with the program set to die at `point`: it did (the fault file
    is gone), and the client got no answer of the program's."""
    with open(FAULT, "w") as f:
        f.write(point + "\n")
    try:
        r = send()
    except requests.RequestException:
        r = None
    assert not os.path.exists(FAULT), "no process reached the fault point %s" % point
    if r is not None:
        assert r.status in (500, 502, 503) and "X-Request-Id" not in r.headers, \
            r.describe()
    return r


def raw(c, resource, code=None):
    """An MFA POST whose answer may be the web server's."""
    return api("POST", c.side.path(resource), doc(resource, {"type": "email"}),
               token=c.access, headers={"X-MFA-Code": code} if code else None,
               check=False)


def rows(c, action, result="success", code=None):
    where = "side = %d AND account_id = %d AND action = '%s' AND result = '%s'" % (
        c.side.num, account_id(c), action, result)
    if code is not None:
        where += " AND error_code = '%s'" % code
    return audit_query(where)


def outbox(c):
    """[(notice, attempts, state)] of the account's outbox rows."""
    return [tuple(int(x) for x in r) for r in db_query(
        "SELECT notice, attempts, state FROM mail_outbox WHERE side = %d AND "
        "account_id = %d ORDER BY id" % (c.side.num, account_id(c)))]


def due_notices(c, kinds):
    """Outbox rows of the storefront account c, one per notice kind, due now."""
    db_query("INSERT INTO mail_outbox (side, account_id, recipient, notice, event_at,"
             " next_attempt_at, request_id) VALUES %s" % ", ".join(
                 "(0, %d, '%s', %d, UNIX_TIMESTAMP(), 0, REPEAT('0', 32))" % (
                     account_id(c), c.mail, n) for n in kinds))


def notices(c, mark, subject):
    ms = [m for m in mails_for(c.mail, mark) if str(m["Subject"]) == subject]
    for m in ms:
        assert_notification(m)
    return len(ms)


def send_outbox(conf=None, want_rc=0):
    env = {"MFA_CONFIG": conf} if conf else None
    p = cli("send-outbox", env_extra=env)
    assert p.returncode == want_rc, describe_run(p)
    m = re.match(r"^outbox: (\d+) handed over, (\d+) due again later, (\d+) marked "
                 r"failed\n$", p.stdout)
    assert m, describe_run(p)
    return tuple(int(x) for x in m.groups())


_poll_clock = [0]


def any_request(c, clock):
    """A request with the clock past every earlier poll by more than
    OUTBOX_POLL_SECONDS: whichever process takes it looks at the outbox."""
    _poll_clock[0] += 2 * OUTBOX_POLL_SECONDS
    clock(_poll_clock[0])
    r = api("GET", c.side.path("multi-factor-auth-types"), token=c.access)
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# Verify: the method switched on, its row and its notice


def test_verify_killed_before_commit_changes_nothing_and_the_retry_works(side):
    c = side.new_account()
    code = activation_code(c)
    mark = mail_mark()
    killed("verify-stored", lambda: raw(c, "multi-factor-auth-type-verify", code))
    assert stored_status(c) == PENDING
    assert rows(c, "verify") == [] and outbox(c) == []
    assert notices(c, mark, SUBJECT_ON) == 0
    # The code was not spent: the client's retry switches the method on.
    assert_204(verify(c, code))
    assert stored_status(c) == ACTIVATED
    assert len(rows(c, "verify")) == 1
    assert notices(c, mark, SUBJECT_ON) == 1 and outbox(c) == []


def test_verify_killed_after_commit_keeps_row_and_notice(side, faults):
    c = side.new_account()
    code = activation_code(c)
    mark = mail_mark()
    killed("verify-committed", lambda: raw(c, "multi-factor-auth-type-verify", code))
    assert stored_status(c) == ACTIVATED
    assert len(rows(c, "verify")) == 1
    assert outbox(c) == [(NOTICE_ON, 0, 0)]
    assert notices(c, mark, SUBJECT_ON) == 0
    # The retry is told it is done; the next request hands the notice over.
    assert_5904(verify(c, code))
    any_request(c, faults)
    assert outbox(c) == []
    assert notices(c, mark, SUBJECT_ON) == 1
    send_outbox()
    assert notices(c, mark, SUBJECT_ON) == 1


def test_killed_while_handing_over_the_claim_expires_then_send_outbox(faults):
    c = STOREFRONT.new_account()
    code = activation_code(c)
    mark = mail_mark()
    # The request's own hand-over, after its answer was written.
    with open(FAULT, "w") as f:
        f.write("outbox-claimed\n")
    try:
        raw(c, "multi-factor-auth-type-verify", code)
    except requests.RequestException:
        pass
    assert not os.path.exists(FAULT)
    assert stored_status(c) == ACTIVATED and len(rows(c, "verify")) == 1
    assert outbox(c) == [(NOTICE_ON, 1, 0)]        # claimed, not handed over
    send_outbox()                                  # the claim holds
    assert outbox(c) == [(NOTICE_ON, 1, 0)]
    assert notices(c, mark, SUBJECT_ON) == 0
    faults(OUTBOX_LEASE + 1)                       # the dead claim expires
    sent, _, _ = send_outbox()
    assert sent >= 1 and outbox(c) == []
    assert notices(c, mark, SUBJECT_ON) == 1
    send_outbox()
    assert notices(c, mark, SUBJECT_ON) == 1


# --------------------------------------------------------------------------
# Deactivate, the rescue


def test_deactivate_killed_before_and_after_commit(side, faults):
    c = mfa_account(side)
    code = fresh_code(c)
    mark = mail_mark()
    killed("deactivate-stored", lambda: raw(c, "multi-factor-auth-type-deactivate", code))
    assert stored_status(c) == ACTIVATED
    assert rows(c, "deactivate") == [] and outbox(c) == []
    # The code was not spent: the retry (killed again, after its commit).
    killed("deactivate-committed", lambda: raw(c, "multi-factor-auth-type-deactivate", code))
    assert stored_status(c) != ACTIVATED
    assert len(rows(c, "deactivate")) == 1
    assert outbox(c) == [(NOTICE_OFF, 0, 0)]
    assert notices(c, mark, SUBJECT_OFF) == 0
    # The retry is told the method is not active (any more).
    assert_5906(deactivate(c, code))
    any_request(c, faults)
    assert outbox(c) == [] and notices(c, mark, SUBJECT_OFF) == 1


def test_rescue_killed_before_commit_then_retried(faults):
    c = mfa_account(STOREFRONT)
    admin = bh.admin_token()
    mark = mail_mark()
    body = doc(bh.RESCUE, {"customerReference": c.id, "type": "email"})
    killed("rescue-stored", lambda: api("POST", "/backend/" + bh.RESCUE, body,
                                        token=admin, check=False))
    assert stored_status(c) == ACTIVATED
    assert rows(c, "admin_deactivate") == [] and outbox(c) == []
    r = bh.rescue(admin, c.id)
    assert r.status == 204, r.describe()
    assert stored_status(c) != ACTIVATED and len(rows(c, "admin_deactivate")) == 1
    assert outbox(c) == [] and notices(c, mark, SUBJECT_ADMIN_OFF) == 1


# --------------------------------------------------------------------------
# Counted failures and the lockout


def test_counted_failure_killed_before_commit_counts_nothing(faults):
    c = mfa_account(STOREFRONT)
    code = fresh_code(c)
    before = (lockout_row(c), code_rows(c))
    killed("failure-counted", lambda: raw(c, "multi-factor-auth-type-deactivate", wrong(code)))
    assert (lockout_row(c), code_rows(c)) == before
    assert rows(c, "deactivate", "failure") == []
    assert_5901(deactivate(c, wrong(code)))
    assert len(rows(c, "deactivate", "failure", "5901")) == 1
    assert lockout_row(c)[0] == (before[0][0] if before[0] else 0) + 1


def test_lockout_killed_before_commit_then_locks_with_one_notice(faults):
    c = mfa_account(STOREFRONT)
    code = fresh_code(c)
    mark = mail_mark()
    for k in range(MAX_FAILURES - 1):
        assert_5901(patch_account(c, code=wrong(code, 1 + k % 5)))
    assert lockout_row(c)[:2] == (MAX_FAILURES - 1, 0)
    killed("failure-counted", lambda: api(
        "PATCH", c.path, doc(c.side.account_type, {"firstName": "X"}),
        token=c.access, headers={"X-MFA-Code": wrong(code)}, check=False))
    assert lockout_row(c)[:2] == (MAX_FAILURES - 1, 0)
    assert rows(c, "lockout", "failure") == [] and outbox(c) == []
    assert_5901(patch_account(c, code=wrong(code)))
    assert lockout_row(c)[1] == 1
    assert len(rows(c, "lockout", "failure", "5911")) == 1
    assert len(rows(c, "protected", "failure", "5901")) == MAX_FAILURES
    assert outbox(c) == [] and notices(c, mark, SUBJECT_LOCKED) == 1
    assert_5911(patch_account(c, code=code))


# --------------------------------------------------------------------------
# A protected write, sign-in, password change, a code issued


def test_protected_write_killed_before_commit(faults):
    c = mfa_account(STOREFRONT)
    code = fresh_code(c)
    before = code_rows(c)
    killed("protected-stored", lambda: api(
        "PATCH", c.path, doc(c.side.account_type, {"firstName": "Killed"}),
        token=c.access, headers={"X-MFA-Code": code}, check=False))
    assert db_query("SELECT first_name FROM customers WHERE id = %d" %
                    account_id(c))[0][0] != "Killed"
    assert code_rows(c) == before and rows(c, "protected") == []
    r = patch_account(c, code=code, first_name="Retried")
    assert r.status == 200, r.describe()
    assert len(rows(c, "protected")) == 1


def test_sign_in_killed_before_commit_issues_no_token():
    cust = new_customer()
    c = STOREFRONT.account(cust.email)
    n = lambda: int(db_query("SELECT COUNT(*) FROM access_tokens WHERE side = 0 "
                             "AND account_id = %d" % account_id(c))[0][0])
    before = n()
    killed("login-stored", lambda: login(cust.email, cust.password, check=False))
    assert n() == before and rows(c, "login") == []
    killed("login-failure-stored", lambda: login(cust.email, "wrong-Passw0rd",
                                                 check=False))
    assert rows(c, "login", "failure") == []
    r = login(cust.email, cust.password)
    assert r.status == 201, r.describe()
    assert n() == before + 1 and len(rows(c, "login")) == 1


def test_password_change_killed_before_commit():
    cust = new_customer().signed_in()
    c = STOREFRONT.account(cust.email, access=cust.access)
    body = doc("customer-password", {"password": cust.password,
                                     "newPassword": "n3w-Passw0rd",
                                     "confirmPassword": "n3w-Passw0rd"})
    path = "/customer-password/" + cust.ref
    hash_of = lambda: db_query("SELECT password_hash FROM customers WHERE id = %d"
                               % account_id(c))[0][0]
    before = hash_of()
    killed("password-stored", lambda: api("PATCH", path, body, token=cust.access,
                                          check=False))
    assert hash_of() == before and rows(c, "password_check") == []
    r = api("PATCH", path, body, token=cust.access)
    assert r.status == 204, r.describe()
    assert hash_of() != before and len(rows(c, "password_check")) == 1


def test_trigger_killed_after_commit_has_code_and_row(faults):
    c = mfa_account(STOREFRONT)
    mark = mail_mark()
    killed("trigger-committed", lambda: api(
        "POST", c.side.path("multi-factor-auth-trigger"),
        doc("multi-factor-auth-trigger", {"type": "email"}),
        token=c.access, check=False))
    assert (0, 0) in code_rows(c)                  # a live code...
    assert len(rows(c, "trigger")) == 1            # ...and its row
    assert len([m for m in mails_for(c.mail, mark)]) == 1
    # The retry is told a code went out a moment ago.
    assert_5912(trigger(c))


def test_activate_killed_after_commit_has_pending_and_row():
    c = STOREFRONT.new_account()
    killed("activate-committed", lambda: api(
        "POST", c.side.path("multi-factor-auth-type-activate"),
        doc("multi-factor-auth-type-activate", {"type": "email"}),
        token=c.access, check=False))
    assert stored_status(c) == PENDING and len(rows(c, "activate")) == 1


# --------------------------------------------------------------------------
# The outbox with a failing transport


@pytest.fixture
def conf_with(tmp_path):
    src = os.path.join(INSTANCE, "glue-mfa.conf")

    def make(name, **keys):
        with open(src) as f:
            lines = [ln for ln in f
                     if ln.split("=", 1)[0].strip() not in OVERRIDDEN + tuple(keys)]
        lines += ["%s = %s\n" % kv for kv in keys.items()]
        path = tmp_path / name
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(lines)
        return str(path)
    return make


def test_backoff_with_failing_transport_then_one_notice(conf_with, faults):
    failing = conf_with("failing.conf", mail_transport="sendmail",
                        sendmail_command="/bin/false")
    c = STOREFRONT.new_account()
    code = activation_code(c)
    mark = mail_mark()
    # The verify itself, as CGI with the failing transport: 204 all the same.
    r = run_verify(failing, c, code)
    assert r == 204
    assert stored_status(c) == ACTIVATED and len(rows(c, "verify")) == 1
    assert outbox(c) == [(NOTICE_ON, 1, 0)]        # one attempt, due later
    assert send_outbox(failing) == (0, 0, 0)       # not due yet
    faults(OUTBOX_RETRY_BASE + 1)
    assert send_outbox(failing, want_rc=1)[1] >= 1
    assert outbox(c) == [(NOTICE_ON, 2, 0)]
    assert notices(c, mark, SUBJECT_ON) == 0
    faults(OUTBOX_RETRY_BASE + 1 + 2 * OUTBOX_RETRY_BASE + 1)
    sent, _, _ = send_outbox()                     # the spool works
    assert sent >= 1 and outbox(c) == []
    assert notices(c, mark, SUBJECT_ON) == 1
    send_outbox()
    assert notices(c, mark, SUBJECT_ON) == 1


def run_verify(conf, c, code):
    p = program(STOREFRONT, "multi-factor-auth-type-verify")
    body = json.dumps({"data": {"type": "multi-factor-auth-type-verify",
                                "attributes": {"type": "email"}}}).encode()
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf,
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "HTTP_HOST": "127.0.0.1", "REQUEST_METHOD": "POST",
           "REQUEST_URI": "/multi-factor-auth-type-verify",
           "SCRIPT_NAME": "/multi-factor-auth-type-verify",
           "CONTENT_TYPE": "application/vnd.api+json",
           "CONTENT_LENGTH": str(len(body)),
           "HTTP_AUTHORIZATION": "Bearer " + c.access, "HTTP_X_MFA_CODE": code,
           "REMOTE_ADDR": "127.0.0.1"}
    out = subprocess.run([p], input=body, env=env, capture_output=True,
                         timeout=60).stdout
    m = re.match(rb"^Status: (\d+)", out)
    assert m, out
    return int(m.group(1))


def test_gives_up_after_the_bound_and_the_operator_sees_it(conf_with, faults):
    failing = conf_with("failing.conf", mail_transport="sendmail",
                        sendmail_command="/bin/false")
    c = STOREFRONT.new_account()
    code = activation_code(c)
    mark = mail_mark()
    assert run_verify(failing, c, code) == 204
    t = 0
    for attempt in range(2, OUTBOX_MAX_ATTEMPTS + 1):
        t += OUTBOX_RETRY_MAX + 1
        faults(t)
        send_outbox(failing, want_rc=1)
        assert outbox(c) == [(NOTICE_ON, attempt,
                              2 if attempt == OUTBOX_MAX_ATTEMPTS else 0)]
    t += OUTBOX_RETRY_MAX + 1
    faults(t)
    send_outbox(failing)                # a failed row is not tried again
    assert outbox(c) == [(NOTICE_ON, OUTBOX_MAX_ATTEMPTS, 2)]
    p = cli("outbox", "1000")
    assert p.returncode == 0, describe_run(p)
    mine = [ln.split("\t") for ln in p.stdout.splitlines()[1:]
            if ln.split("\t")[3] == c.mail]
    assert len(mine) == 1 and mine[0][4] == "on" and mine[0][6] == "failed" \
        and mine[0][7] == str(OUTBOX_MAX_ATTEMPTS), p.stdout
    p = cli("outbox-retry")
    assert p.returncode == 0 and re.match(r"^outbox: \d+ failed notices due again\n$",
                                          p.stdout), describe_run(p)
    assert outbox(c) == [(NOTICE_ON, 0, 0)]
    assert send_outbox()[0] >= 1
    assert outbox(c) == [] and notices(c, mark, SUBJECT_ON) == 1


def test_parallel_senders_hand_each_notice_over_once(faults):
    """Rows claimed by a conditional UPDATE: four send-outbox runs at once
    over 40 due notices hand each over exactly once."""
    c = STOREFRONT.new_account()
    mark = mail_mark()
    due_notices(c, [NOTICE_OFF] * 40)
    env = dict(os.environ, MFA_CONFIG=os.path.join(INSTANCE, "glue-mfa.conf"))
    procs = [subprocess.Popen([bh.admin_tool(), "send-outbox"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    sent = 0
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
        sent += int(re.match(r"^outbox: (\d+) handed over", out).group(1))
    assert outbox(c) == []
    assert notices(c, mark, SUBJECT_OFF) == 40
    assert sent >= 40


def test_a_claim_that_meets_a_lock_is_left_to_its_holder(faults):
    """A notice row held by another session (as a parallel sender holds
    it): send-outbox's claim waits out the lock wait, takes the row as not
    its own (contract §9.3) and goes on: exit 0, the other due notice handed
    over, the held one left due and untouched, nothing run again."""
    from test_db_deadlock import LockHolder
    c = STOREFRONT.new_account()
    aid = account_id(c)
    mark = mail_mark()
    due_notices(c, [NOTICE_OFF, NOTICE_ON])
    held = db_query("SELECT MIN(id) FROM mail_outbox WHERE side = 0 AND account_id = %d"
                    % aid)[0][0]
    holder = LockHolder(aid, "SELECT 'held', id FROM mail_outbox WHERE id = %s FOR UPDATE"
                        % held)
    try:
        sent = send_outbox()
    finally:
        holder.release()
    assert sent[0] >= 1 and sent[1:] == (0, 0), sent
    assert outbox(c) == [(NOTICE_OFF, 0, 0)]
    assert notices(c, mark, SUBJECT_ON) == 1 and notices(c, mark, SUBJECT_OFF) == 0
    assert send_outbox()[0] >= 1
    assert outbox(c) == [] and notices(c, mark, SUBJECT_OFF) == 1
