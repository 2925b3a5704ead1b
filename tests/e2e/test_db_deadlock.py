"""Deadlocks and lock waits never reach a client (contract §9.1).

Many accounts issuing codes at the same moment used to deadlock on the gap
locks of the index mfa_codes_account (REPEATABLE READ) and one of them was
answered 500 111. Transactions now run at READ COMMITTED, and a unit of
work that meets a deadlock (1213) or a lock wait timeout (1205) is run
again from authentication on, a bounded number of times (MAX_TX_RETRIES).

The parallel test runs with 4 FastCGI processes per program, as
lighttpd.conf.example sets: the web server is restarted with GLUE_PROCS=4
for this module and restarted as it was after it (plain CGI runs one
process per request anyway). The retry test makes a lock wait happen on
purpose: it holds the account's lock row in a session of its own until the
program's log says the unit of work is being run again, so it fails when
nothing retries.
"""

import os
import re
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import INSTANCE, ROOT, api, db_query, log_since, log_size, new_customer
from mfa_helpers import (ACTIVATE, CODE_LIVE, CODE_SUBJECT, mails_for, mail_mark,
                         mfa_body, needs_db, parallel)

pytestmark = pytest.mark.skipif(not INSTANCE, reason="GLUE_INSTANCE not set")

ACCOUNTS = 64
ROUNDS = 3
PROCS = "4"
RETRY_RE = re.compile(r"glue-mfa\[\d+\] ([0-9a-f-]+) warn: .*: (deadlock|lock wait "
                      r"timeout) \((1213|1205)\): the unit of work runs again "
                      r"\(attempt (\d+) of (\d+)\)")


def instance(cmd, **env):
    e = dict(os.environ, GLUE_INSTANCE=INSTANCE, **env)
    out = subprocess.run([os.path.join(ROOT, "tools", "instance.sh"), cmd], env=e,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, "instance.sh %s failed:\n%s\n%s" % (
        cmd, out.stdout.decode(), out.stderr.decode())


@pytest.fixture(scope="module")
def four_procs():
    """The web server with 4 FastCGI processes per program, for this module."""
    if os.environ.get("GLUE_MODE", "fcgi") != "fcgi":
        yield
        return
    instance("restart-web", GLUE_PROCS=PROCS)
    try:
        yield
    finally:
        instance("restart-web")


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


def signed_in_customers(n):
    with ThreadPoolExecutor(8) as ex:
        return list(ex.map(lambda _: new_customer().signed_in(), range(n)))


def live_codes(ids):
    """account id -> live email codes (mfa_codes.state 0)."""
    rows = db_query("SELECT account_id, COUNT(*) FROM mfa_codes WHERE side = 0"
                    " AND type = 'email' AND state = %d AND account_id IN (%s)"
                    " GROUP BY account_id" % (CODE_LIVE, ",".join(map(str, ids))))
    return {int(a): int(n) for a, n in rows}


def test_many_accounts_issue_codes_at_once(four_procs):
    """64 first activations of email at once, released by a barrier, a few
    rounds: every one 204, every account one live code and one code mail."""
    needs_db()
    totals = {"5xx": 0, "retried": 0}
    for rnd in range(ROUNDS):
        cs = signed_in_customers(ACCOUNTS)
        ids = [customer_id(c) for c in cs]
        mark, off = mail_mark(), log_size()
        t0 = time.monotonic()
        rs = parallel([{"method": "POST", "path": "/" + ACTIVATE, "token": c.access,
                        "body": mfa_body(ACTIVATE)} for c in cs])
        took = time.monotonic() - t0
        statuses = [r.status for r in rs]
        retried = len(RETRY_RE.findall(log_since(off)))
        bad = [r for r in rs if r.status != 204]
        print("round %d: %d activations in %.1f s, statuses %s, %d re-runs logged" % (
            rnd + 1, ACCOUNTS, took, sorted(set(statuses)), retried))
        totals["5xx"] += sum(s >= 500 for s in statuses)
        totals["retried"] += retried
        assert not bad, "%d of %d not 204; first:%s" % (len(bad), ACCOUNTS,
                                                        bad[0].describe())
        live = live_codes(ids)
        assert all(live.get(i) == 1 for i in ids), \
            "accounts without exactly one live code: %r" % {
                i: live.get(i, 0) for i in ids if live.get(i) != 1}
        for c in cs:
            ms = [m for m in mails_for(c.email, mark) if str(m["Subject"]) == CODE_SUBJECT]
            assert len(ms) == 1, "%s: %d code mails" % (c.email, len(ms))
    print("totals: %d x 5xx, %d re-runs" % (totals["5xx"], totals["retried"]))


class LockHolder:
    """A session of its own that holds an account's lock row (mfa_lockouts,
    FOR UPDATE), or the rows of another locking read `query` (selecting
    'held' first), until released."""

    def __init__(self, account_id, query=None):
        query = query or ("SELECT 'held', failures FROM mfa_lockouts WHERE side = 0"
                          " AND account_id = %d FOR UPDATE" % account_id)
        sock = os.path.join(INSTANCE, "run", "mysqld.sock")
        self.p = subprocess.Popen(
            ["mariadb", "--socket=" + sock, "-uroot", "glue_mfa", "-N", "-B",
             "--unbuffered"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.p.stdin.write("START TRANSACTION; %s;\n" % query)
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        assert line.startswith("held"), "lock not taken: %r %s" % (
            line, self.p.stderr.read() if self.p.poll() is not None else "")

    def release(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("ROLLBACK;\n")
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


@pytest.mark.parametrize("key", [None, "idem"])
def test_a_lock_wait_is_run_again(four_procs, key):
    """The account's lock row is held elsewhere: the activation waits,
    meets a lock wait timeout (1205), and is run again; the holder lets go
    once the log says so, and the activation answers 204 with one code and
    one mail. Without the retry it would answer 5xx and never log it.  With
    an Idempotency-Key too: the key's housekeeping (expired rows purged)
    before the unit of work does not count as committed work, which made
    such a request answer 503 instead of running again (the cluster met it
    on every other request with a key that met a conflict)."""
    needs_db()
    headers = {"Idempotency-Key": uuid.uuid4().hex} if key else None
    c = new_customer().signed_in()
    cid = customer_id(c)
    db_query("INSERT INTO mfa_lockouts (side, account_id) VALUES (0, %d)" % cid)
    mark, off = mail_mark(), log_size()
    holder = LockHolder(cid)
    out = {}
    try:
        t = threading.Thread(target=lambda: out.setdefault("r", api(
            "POST", "/" + ACTIVATE, mfa_body(ACTIVATE), token=c.access,
            headers=headers, timeout=60)))
        t0 = time.monotonic()
        t.start()
        seen = None
        while time.monotonic() - t0 < 60 and seen is None and t.is_alive():
            seen = RETRY_RE.search(log_since(off))
            time.sleep(0.05)
        waited = time.monotonic() - t0
    finally:
        holder.release()
    t.join(60)
    r = out.get("r")
    assert r is not None, "no answer"
    print("re-run logged after %.2f s: %s; answered %d in %.2f s" % (
        waited, seen.group(0) if seen else None, r.status, r.elapsed))
    assert seen is not None, "no re-run logged; the request answered:" + r.describe()
    assert seen.group(3) == "1205" and seen.group(4) == "2", seen.group(0)
    assert r.status == 204, r.describe()
    assert seen.group(1) == r.headers["X-Request-Id"], seen.group(0)
    assert live_codes([cid]) == {cid: 1}
    ms = [m for m in mails_for(c.email, mark) if str(m["Subject"]) == CODE_SUBJECT]
    assert len(ms) == 1, len(ms)


HANDOVER_RE = re.compile(r"glue-mfa\[\d+\] ([0-9a-f-]+) warn: database: UPDATE mfa_codes "
                         r"SET handover = 1 WHERE \.\.\.: conflict \(1205\): "
                         r"sent again \(attempt (\d+) of (\d+)\)")


def test_a_conflict_after_the_mail_sends_the_record_again(fault_file):
    """Contract §9.9 6.: the record that a code's mail was handed over runs
    after the mail left, so a conflict there cannot run the unit of work
    again. The test build pauses before it ("handover-pause") while a
    session of the test holds the new code's row: the record meets a lock
    wait timeout (1205), is sent again alone once the holder lets go, and
    the trigger answers 204, one mail, the code live and recorded as handed
    over. Without the re-send it answered 503 for a mail that had left."""
    needs_db()
    c = new_customer().signed_in()
    cid = customer_id(c)
    mark, off = mail_mark(), log_size()
    with open(fault_file, "w") as f:
        f.write("handover-pause\n")
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", api(
        "POST", "/" + ACTIVATE, mfa_body(ACTIVATE), token=c.access, timeout=60)))
    t.start()
    t0, holder, seen = time.monotonic(), None, None
    try:
        # The mail has left (the spool has it) and the program pauses.
        while time.monotonic() - t0 < 20 and not [
                m for m in mails_for(c.email, mark) if str(m["Subject"]) == CODE_SUBJECT]:
            time.sleep(0.02)
        holder = LockHolder(cid, "SELECT 'held', id FROM mfa_codes WHERE side = 0"
                            " AND account_id = %d AND handover = 0 FOR UPDATE" % cid)
        while time.monotonic() - t0 < 30 and seen is None and t.is_alive():
            seen = HANDOVER_RE.search(log_since(off))
            time.sleep(0.05)
    finally:
        if holder is not None:
            holder.release()
    t.join(60)
    r = out.get("r")
    assert r is not None, "no answer"
    print("re-send logged after %.2f s: %s; answered %d" % (
        time.monotonic() - t0, seen.group(0) if seen else None, r.status))
    assert seen is not None, "no re-send logged; the request answered:" + r.describe()
    assert seen.group(1) == r.headers["X-Request-Id"] and seen.group(2) == "2", \
        seen.group(0)
    assert r.status == 204, r.describe()
    assert not os.path.exists(fault_file)
    assert "not run again" not in log_since(off)
    assert live_codes([cid]) == {cid: 1}
    assert db_query("SELECT handover FROM mfa_codes WHERE side = 0 AND account_id = %d"
                    " AND state = %d" % (cid, CODE_LIVE)) == [["1"]]
    ms = [m for m in mails_for(c.email, mark) if str(m["Subject"]) == CODE_SUBJECT]
    assert len(ms) == 1, len(ms)
