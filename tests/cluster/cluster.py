#!/usr/bin/python3
"""The cluster suite's proofs (tests/cluster/run.sh starts what they need).

Three Galera nodes; web node A on DB node 1, web node B on DB node 2; DB
node 3 serves no web node. Each proof prints its figures and counts its
checks; the last line is "N passed, M failed". CLUSTER_ONLY=name,... runs
only those proofs (names: one_code, wrong_codes, single_writer, commit_conflict, causal,
send_limits, one_use, one_key, sync_wait_cost, db_node_killed, web_db_node_down,
web_node_killed); CLUSTER_ROUNDS=n runs one_code's race n times (default 1).

Environment (set by run.sh): CLUSTER_DIR, CLUSTER_PORT, GLUE_ROOT.
"""

import email
import email.policy
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bench"))
from mem import pids_holding, socket_inodes  # noqa: E402

C = os.environ["CLUSTER_DIR"]
PORT = int(os.environ["CLUSTER_PORT"])
ROOT = os.environ["GLUE_ROOT"]
WEB = {"A": "http://127.0.0.1:%d" % PORT, "B": "http://127.0.0.1:%d" % (PORT + 1)}
DB_OF = {"A": 1, "B": 2}
ONLY = set(filter(None, os.environ.get("CLUSTER_ONLY", "").split(",")))
ROUNDS = int(os.environ.get("CLUSTER_ROUNDS", "1"))    # one_code's rounds
JSONAPI = "application/vnd.api+json"
PASSWORD = "s3cret-Passw0rd"
MAX_FAILURES = 10                       # the default max_failures (contract §5.2)
MAX_ADDRESSES = 50                      # src/bounds.h
D_5901 = "X-MFA-Code is invalid."
D_5911 = "Too many failed attempts. Please try again later."
D_5912 = "A code was sent recently. Please wait before requesting another."
D_AUTH_FAILED = "Failed to authenticate user."
D_TOO_MANY_LOGINS = "Too many failed login attempts. Please try again later."
PAIR_MAX = 5                            # login_max_failures_per_account_address
RECOVERY_USED = "A recovery code was used"
D_413 = "Too many addresses."
D_INVALID_TOKEN = "Invalid access token."
D_UNAVAILABLE = "Service temporarily unavailable."
D_COMMIT_UNKNOWN = "Service temporarily unavailable. The request may have been carried out."
CODE_RE = re.compile(r"Your verification code is: (\d+)")
CODE_SUBJECT = "Verification Code for Secure Access"
RETRY_RE = re.compile(r"\((1213|1205)\): the unit of work runs again")

RESULTS = {"passed": 0, "failed": 0}


def check(ok, what):
    RESULTS["passed" if ok else "failed"] += 1
    print("  %s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    return ok


def note(s):
    print("  " + s, flush=True)


# --------------------------------------------------------------------------
# HTTP


class Resp:
    def __init__(self, status, headers, raw, elapsed):
        self.status, self.headers, self.raw, self.elapsed = status, headers, raw, elapsed
        self.json = None
        if raw:
            try:
                self.json = json.loads(raw.decode("utf-8"))
            except ValueError:
                pass

    @property
    def code(self):
        """'200'/'204' for a success, the error's code, or 'none' (no answer)."""
        if self.status == 0:
            return "none"
        if self.status < 400:
            return str(self.status)
        try:
            return self.json["errors"][0]["code"]
        except (TypeError, KeyError, IndexError):
            return "http%d" % self.status

    @property
    def rid(self):
        return (self.headers or {}).get("X-Request-Id")

    def __repr__(self):
        return "%d %r" % (self.status, self.raw[:300])


def req(node, method, path, body=None, token=None, headers=None, timeout=20,
        session=None):
    h = {"Accept": JSONAPI}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = JSONAPI
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    t0 = time.monotonic()
    try:
        r = (session or requests).request(method, WEB[node] + path, data=data,
                                          headers=h, timeout=timeout)
        return Resp(r.status_code, r.headers, r.content, time.monotonic() - t0)
    except requests.RequestException:
        return Resp(0, {}, b"", time.monotonic() - t0)


def doc(type_, attrs):
    return {"data": {"type": type_, "attributes": attrs}}


def error_is(r, status, code, detail):
    if r.status != status or not isinstance(r.json, dict):
        return False
    errs = r.json.get("errors")
    if not isinstance(errs, list) or len(errs) != 1:
        return False
    e = dict(errs[0])
    e.pop("source", None)
    return e == {"status": str(status), "code": code, "detail": detail}


def parallel(calls):
    """Every call at once (one thread and connection each, released by a
    barrier); the answers in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def one(i, c):
        s = requests.Session()
        barrier.wait()
        out[i] = req(*c[0], session=s, **c[1])
        s.close()

    ts = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


# --------------------------------------------------------------------------
# The database nodes


def sock(n):
    return os.path.join(C, "db%d" % n, "run", "mysqld.sock")


def sql(n, q, timeout=30):
    out = subprocess.run(["mariadb", "--no-defaults", "--socket=" + sock(n), "-uroot",
                          "glue_mfa", "-N", "-B", "-e", q],
                         capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("node %d: %s: %s" % (n, q, out.stderr.decode()))
    return [ln.split("\t") for ln in out.stdout.decode().splitlines()]


def status(n, var):
    try:
        rows = sql(n, "SHOW GLOBAL STATUS LIKE '%s'" % var, timeout=5)
        return rows[0][1] if rows else None
    except (RuntimeError, subprocess.TimeoutExpired):
        return None


def node_pid(n):
    with open(os.path.join(C, "db%d" % n, "run", "mysqld.pid")) as f:
        return int(f.read().strip())


def kill9(n):
    pid = node_pid(n)
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        time.sleep(0.05)
    return pid


def socket_pids(paths):
    """The pids of the processes holding one of the Unix sockets at paths
    (found through /proc, never by name: bench/mem.py's functions)."""
    inodes = set()
    for p in paths:
        inodes |= socket_inodes(re.sub(r"-\d+$", "", p))
    return sorted(pids_holding(inodes))


def node_start(n):
    out = subprocess.run([os.path.join(ROOT, "tests", "cluster", "run.sh"), "node-start",
                          str(n)], capture_output=True, timeout=180,
                         env=dict(os.environ, CLUSTER_DIR=C))
    sys.stdout.write(out.stderr.decode())
    return out.returncode == 0


def synced_all(timeout=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if all(status(n, "wsrep_local_state_comment") == "Synced" and
               status(n, "wsrep_cluster_size") == "3" for n in (1, 2, 3)):
            # every node has applied what it received
            if all(status(n, "wsrep_local_recv_queue") == "0" for n in (1, 2, 3)):
                lc = {status(n, "wsrep_last_committed") for n in (1, 2, 3)}
                if len(lc) == 1:
                    return True
        time.sleep(0.2)
    return False


def tables():
    return [r[0] for r in sql(1, "SHOW TABLES")]


def checksums(n):
    rows = sql(n, "CHECKSUM TABLE " + ", ".join(tables()))
    return {r[0]: r[1] for r in rows}


def identical_everywhere(what):
    sums = {n: checksums(n) for n in (1, 2, 3)}
    same = sums[1] == sums[2] == sums[3]
    if not same:
        for t in sums[1]:
            if not sums[1][t] == sums[2].get(t) == sums[3].get(t):
                note("table %s differs: %s" % (t, [sums[n].get(t) for n in (1, 2, 3)]))
    return check(same, "%s: all %d tables identical on DB nodes 1, 2, 3 (CHECKSUM TABLE)"
                 % (what, len(sums[1])))


def programs_log(w):
    try:
        with open(os.path.join(C, "web" + w, "log", "programs.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def retries_logged():
    return sum(len(RETRY_RE.findall(programs_log(w))) for w in "AB")


# --------------------------------------------------------------------------
# Mail spool (shared by both web nodes)


class Spool:
    def __init__(self):
        self.dir = os.path.join(C, "mail")
        self.seen = {}
        self.lock = threading.Lock()

    def scan(self):
        with self.lock:
            for name in sorted(os.listdir(self.dir)):
                if name.startswith(".") or name in self.seen:
                    continue
                with open(os.path.join(self.dir, name), "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                code = None
                if str(m["Subject"]) == CODE_SUBJECT:
                    part = m.get_body(preferencelist=("plain",))
                    mm = CODE_RE.search(part.get_content())
                    code = mm.group(1) if mm else None
                self.seen[name] = (str(m["To"]).strip().lower(), code)

    def codes(self, addr):
        self.scan()
        with self.lock:
            return [c for n, (to, c) in sorted(self.seen.items())
                    if to == addr.lower() and c]

    def new_code(self, addr, before, wait=5.0):
        t0 = time.monotonic()
        while True:
            cs = self.codes(addr)
            if len(cs) > before:
                return cs[-1]
            if time.monotonic() - t0 > wait:
                return None
            time.sleep(0.05)


SPOOL = Spool()


# --------------------------------------------------------------------------
# Accounts


class Acct:
    def __init__(self, mail, ref):
        self.mail, self.ref = mail, ref
        self.access = self.refresh = None
        self.name = None        # the last firstName acknowledged

    @property
    def path(self):
        return "/customers/" + self.ref


def sign_in(node, a, session=None):
    return req(node, "POST", "/access-tokens",
               doc("access-tokens", {"username": a.mail, "password": PASSWORD}),
               session=session)


def tokens_of(r):
    at = r.json["data"]["attributes"]
    return at["accessToken"], at["refreshToken"]


def mfa(node, a, resource, code=None, token=None, session=None):
    return req(node, "POST", "/" + resource, doc(resource, {"type": "email"}),
               token=token or a.access,
               headers={"X-MFA-Code": code} if code else None, session=session)


def patch(node, a, name, code, token=None, session=None):
    return req(node, "PATCH", a.path, doc("customers", {"firstName": name}),
               token=token or a.access, headers={"X-MFA-Code": code}, session=session)


def new_account(node="A"):
    """A customer with email MFA active, signed in (through node)."""
    mail = "cluster-%s@example.com" % uuid.uuid4().hex[:16]
    r = req(node, "POST", "/customers", doc("customers", {
        "firstName": "Erika", "lastName": "Mustermann", "email": mail,
        "password": PASSWORD, "confirmPassword": PASSWORD, "acceptedTerms": True}))
    assert r.status == 201, r
    a = Acct(mail, r.json["data"]["id"])
    r = sign_in(node, a)
    assert r.status == 201, r
    a.access, a.refresh = tokens_of(r)
    n = len(SPOOL.codes(mail))
    r = mfa(node, a, "multi-factor-auth-type-activate")
    assert r.status == 204, r
    code = SPOOL.new_code(mail, n)
    r = mfa(node, a, "multi-factor-auth-type-verify", code)
    assert r.status == 204, r
    a.name = "Erika"
    return a


def fresh_code(node, a, token=None):
    n = len(SPOOL.codes(a.mail))
    r = mfa(node, a, "multi-factor-auth-trigger", token=token)
    if r.status != 204:
        return None, r
    return SPOOL.new_code(a.mail, n), r


def account_id(a, n=1):
    return int(sql(n, "SELECT id FROM customers WHERE email = '%s'" % a.mail)[0][0])


def lockout_row(a, n):
    rows = sql(n, "SELECT failures, lockouts FROM mfa_lockouts WHERE side = 0"
               " AND account_id = %d" % account_id(a, n))
    return tuple(map(int, rows[0])) if rows else None


# --------------------------------------------------------------------------
# The proofs


LOST = {"updates": 0, "rounds": 0, "races": 0}   # Galera's lost updates met


def stored_as_answered(a, counts, what):
    """A race's wrong codes against what the cluster stored. Exact: every 5901
    answer has its audit row on every DB node, and every node stores
    max_failures failures and one lockout. A 5901 beyond max_failures is a
    failure Galera counted and then lost (a later write set applied over it:
    README "MariaDB Galera", contract §9.9 7.): its answer and audit row are
    there, its count is not. Those are counted and printed, and checked to be
    explained by that and nothing else; 1: the round had one."""
    synced_all()
    aid = account_id(a)
    n5901 = counts["5901"]
    audit = {k: int(sql(k, "SELECT COUNT(*) FROM audit_log WHERE side = 0 AND"
                        " account_id = %d AND action = 'protected' AND result ="
                        " 'failure' AND error_code = '5901'" % aid)[0][0])
             for k in (1, 2, 3)}
    locks = {k: lockout_row(a, k) for k in (1, 2, 3)}
    check(n5901 >= MAX_FAILURES and set(audit.values()) == {n5901},
          "%s: every 5901 answer (%d) has its audit row on every DB node: %s"
          % (what, n5901, audit))
    check(set(locks.values()) == {(MAX_FAILURES, 1)},
          "%s: max_failures failures and one lockout stored on every DB node: %s"
          % (what, locks))
    lost = n5901 - MAX_FAILURES
    LOST["races"] += 1
    if lost:
        LOST["updates"] += lost
        LOST["rounds"] += 1
        note("%s: %d failure(s) counted and lost by Galera (a 5901 more than "
             "max_failures each)" % (what, lost))
    return 1 if lost else 0



def proof_one_code():
    """One code, 50 parallel requests with 50 tokens of the account, spread
    over both web nodes: exactly one 200; every 5901 audited, max_failures
    stored (Galera's lost updates counted)."""
    a = new_account("A")
    rs = parallel([(("AB"[i % 2], "POST", "/access-tokens"),
                    {"body": doc("access-tokens", {"username": a.mail,
                                                   "password": PASSWORD})})
                   for i in range(50)])
    check(all(r.status == 201 for r in rs), "50 sign-ins of one account (25 per web node): "
          "all 201 (%s)" % dict(Counter(r.code for r in rs)))
    toks = [tokens_of(r)[0] for r in rs if r.status == 201]
    code, _ = fresh_code("A", a)
    before = retries_logged()
    t0 = time.monotonic()
    rs = parallel([(("AB"[i % 2], "PATCH", a.path),
                    {"body": doc("customers", {"firstName": "Racer%d" % i}),
                     "token": t, "headers": {"X-MFA-Code": code}})
                   for i, t in enumerate(toks)])
    took = time.monotonic() - t0
    counts = Counter(r.code for r in rs)
    per_node = {w: dict(Counter(r.code for i, r in enumerate(rs) if "AB"[i % 2] == w))
                for w in "AB"}
    note("one code, %d requests in %.2f s: %s; per web node %s; %d re-runs (1213/1205) "
         "logged" % (len(rs), took, dict(counts), per_node, retries_logged() - before))
    check(counts["200"] == 1, "exactly one 200")
    check(set(counts) <= {"200", "5901", "5911"} and
          counts["5901"] + counts["5911"] == len(rs) - 1,
          "the others: 403 5901 or 429 5911, nothing else")
    check(all(r.status != 200 and (error_is(r, 403, "5901", D_5901) or
                                   error_is(r, 429, "5911", D_5911))
              for r in rs if r.code != "200"), "refusals' bodies exact")
    winner = [i for i, r in enumerate(rs) if r.status == 200]
    if not synced_all():
        check(False, "cluster synced after the run")
    names = {n: sql(n, "SELECT first_name FROM customers WHERE email = '%s'" % a.mail)[0][0]
             for n in (1, 2, 3)}
    check(len(winner) == 1 and set(names.values()) == {"Racer%d" % winner[0]},
          "every DB node holds the winner's change: %s" % names)
    stored_as_answered(a, counts, "one code")
    if ROUNDS > 1:
        more_one_code_rounds(ROUNDS - 1)


def one_code_race(a, name):
    """50 sign-ins of a, then its one fresh code sent with the 50 tokens at
    once over A and B, each request renaming a to name + its index: the
    tokens and the answers of the race."""
    rs = parallel([(("AB"[i % 2], "POST", "/access-tokens"),
                    {"body": doc("access-tokens", {"username": a.mail,
                                                   "password": PASSWORD})})
                   for i in range(50)])
    toks = [tokens_of(r)[0] for r in rs if r.status == 201]
    code, _ = fresh_code("A", a)
    return toks, parallel([(("AB"[i % 2], "PATCH", a.path),
                            {"body": doc("customers", {"firstName": "%s%d" % (name, i)}),
                             "token": t, "headers": {"X-MFA-Code": code}})
                           for i, t in enumerate(toks)])


def more_one_code_rounds(n):
    """CLUSTER_ROUNDS: the same race n times more, each with a fresh account;
    a round is exact when its answers are and every DB node holds
    max_failures failures and one lockout (a lost update across nodes shows
    as one 5901 more than the failures stored)."""
    bad = []
    for k in range(n):
        a = new_account("AB"[k % 2])
        toks, rs = one_code_race(a, "Racer")
        counts = Counter(r.code for r in rs)
        if len(toks) != 50 or counts["200"] != 1 or \
                counts["5901"] + counts["5911"] != 49:
            bad.append((k, dict(counts)))
        stored_as_answered(a, counts, "round %d" % (k + 2))
    for b in bad:
        note("round %d: %s" % b)
    check(not bad, "%d more rounds (CLUSTER_ROUNDS): %d with other than one 200 and "
          "49 x 5901/5911" % (n, len(bad)))


def proof_wrong_codes():
    """200 parallel wrong codes over both web nodes: 5901 until the lockout,
    the rest 5911; every 5901 audited, max_failures stored on every DB node
    (Galera's lost updates counted)."""
    a = new_account("B")
    r = sign_in("A", a)
    token = tokens_of(r)[0]
    code, _ = fresh_code("A", a, token=token)
    before = retries_logged()
    t0 = time.monotonic()
    n = 200
    rs = parallel([(("AB"[i % 2], "PATCH", a.path),
                    {"body": doc("customers", {"firstName": "Guess"}), "token": token,
                     "headers": {"X-MFA-Code": str((int(code) + i + 1) %
                                                   10 ** len(code)).zfill(len(code))}})
                   for i in range(n)])
    took = time.monotonic() - t0
    counts = Counter(r.code for r in rs)
    per_node = {w: dict(Counter(r.code for i, r in enumerate(rs) if "AB"[i % 2] == w))
                for w in "AB"}
    note("%d wrong codes in %.2f s: %s; per web node %s; %d re-runs logged" % (
        n, took, dict(counts), per_node, retries_logged() - before))
    check(set(counts) <= {"5901", "5911"},
          "only 403 5901 and 429 5911 (%d x 5901 for max_failures %d)"
          % (counts["5901"], MAX_FAILURES))
    check(all(error_is(r, 403, "5901", D_5901) or error_is(r, 429, "5911", D_5911)
              for r in rs), "bodies exact")
    stored_as_answered(a, counts, "wrong codes")
    names = {k: sql(k, "SELECT first_name FROM customers WHERE email = '%s'" % a.mail)[0][0]
             for k in (1, 2, 3)}
    check(set(names.values()) == {"Erika"}, "the account unchanged on every node")


def proof_single_writer():
    """Single-writer: web node B moved to DB node 1, A's node, so that one
    database node takes every write; one code with 50 tokens over both web
    nodes, 10 rounds (CLUSTER_ROUNDS if more): exactly one 200, exactly
    max_failures 5901, the rest 5911, every round (no lost update: every write
    is on one node)."""
    rounds = max(10, ROUNDS)
    set_conf("B", db_socket=sock(1))
    try:
        bad = []
        for k in range(rounds):
            a = new_account("AB"[k % 2])
            toks, rs = one_code_race(a, "Single")
            counts = Counter(r.code for r in rs)
            synced_all()
            locks = {n: lockout_row(a, n) for n in (1, 2, 3)}
            if len(toks) != 50 or counts != Counter({"200": 1, "5901": MAX_FAILURES,
                                                     "5911": 39}) or \
                    set(locks.values()) != {(MAX_FAILURES, 1)}:
                bad.append((k + 1, dict(counts), locks))
        for b in bad:
            note("round %d: %s, stored %s" % b)
        check(not bad, "%d rounds through one writer: exactly one 200, %d x 5901, 39 x "
              "5911 and (%d, 1) on every DB node in each (%d not)"
              % (rounds, MAX_FAILURES, MAX_FAILURES, len(bad)))
    finally:
        set_conf("B", db_socket=sock(2))


def proof_commit_conflict():
    """A certification failure at COMMIT, made on purpose: a wrong code
    through B waits before its COMMIT (the test build's fault point
    commit-pause) while a wrong code for the same account through A commits
    on DB node 1; B's transaction, holding the same lock row on DB node 2,
    is aborted by the replicated write and its COMMIT fails with 1213. The
    unit of work runs again as a whole: both answers 5901, the failures
    counted twice on every node, two audit rows, not three."""
    a = new_account("A")
    code, _ = fresh_code("A", a)
    wrongs = [str((int(code) + k) % 10 ** len(code)).zfill(len(code)) for k in (1, 2)]
    fault = os.path.join(C, "fault")
    log_b = len(programs_log("B"))
    aid = account_id(a)
    audited = int(sql(1, "SELECT COUNT(*) FROM audit_log WHERE side = 0 AND account_id = %d"
                      % aid)[0][0])
    with open(fault, "w") as f:
        f.write("commit-pause\n")
    out = {}
    t = threading.Thread(target=lambda: out.update(b=patch("B", a, "Guess", wrongs[0])))
    t.start()
    t0 = time.monotonic()
    while os.path.exists(fault) and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    paused = not os.path.exists(fault)
    ra = patch("A", a, "Guess", wrongs[1])
    t.join()
    rb = out["b"]
    new_log = programs_log("B")[log_b:]
    note("B paused before its COMMIT: %s; A answered %s in %.3f s, B %s in %.3f s" % (
        paused, ra.code, ra.elapsed, rb.code, rb.elapsed))
    check(paused, "a process of web node B reached the fault point commit-pause")
    check(error_is(ra, 403, "5901", D_5901) and error_is(rb, 403, "5901", D_5901),
          "both wrong codes answered 403 5901 (A: %s, B: %s)" % (ra.code, rb.code))
    check("warn: database: COMMIT: Deadlock" in new_log and
          len(RETRY_RE.findall(new_log)) == 1,
          "B's COMMIT failed certification (1213) and its unit of work ran again once")
    synced_all()
    rows = {n: (lockout_row(a, n), int(sql(n, "SELECT COUNT(*) FROM audit_log WHERE side = 0"
                                           " AND account_id = %d" % aid)[0][0]) - audited)
            for n in (1, 2, 3)}
    check(set(rows.values()) == {((2, 0), 2)},
          "on every DB node: 2 failures counted, no lockout, 2 audit rows: %s" % rows)
    identical_everywhere("after the certification failure")


def proof_causal():
    """What one web node decided is seen by the other at once: a token
    revoked through A refused through B, a code used through A refused
    through B, 20 times each."""
    a = new_account("A")
    stale = 0
    for i in range(20):
        r = sign_in("A", a)
        tok = tokens_of(r)[0]
        ok = req("B", "GET", a.path, token=tok).status == 200
        d = req("A", "DELETE", "/refresh-tokens/current", token=tok)
        g = req("B", "GET", a.path, token=tok)
        if not (ok and d.status == 204 and error_is(g, 401, "001", D_INVALID_TOKEN)):
            stale += 1
            note("round %d: B before %s, revoke %d, B after %r" % (i, ok, d.status, g))
    check(stale == 0, "token revoked through A, the next request through B: 401 001 "
          "(20 of 20; %d stale)" % stale)
    stale = 0
    for i in range(10):
        t1 = tokens_of(sign_in("A", a))[0]
        t2 = tokens_of(sign_in("B", a))[0]
        code, _ = fresh_code("A", a, token=t1)
        p1 = patch("A", a, "Used%d" % i, code, token=t1)
        p2 = patch("B", a, "Again%d" % i, code, token=t2)
        if not (p1.status == 200 and error_is(p2, 403, "5901", D_5901)):
            stale += 1
            note("round %d: A %r, B %r" % (i, p1, p2))
    check(stale == 0, "code used through A, the same code through B with another token: "
          "403 5901 (10 of 10)")
    # max_failures wrong codes through A lock the account: B says so at once
    # (a fresh account: the rounds above counted their failures)
    a = new_account("B")
    code, _ = fresh_code("A", a)
    wrong = [patch("A", a, "Guess", str((int(code) + i + 1) % 10 ** len(code)).zfill(
        len(code))) for i in range(MAX_FAILURES)]
    r = patch("B", a, "Locked", code)
    check([x.code for x in wrong] == ["5901"] * MAX_FAILURES and
          error_is(r, 429, "5911", D_5911),
          "locked through A (%d x 5901), then through B with the right code: 429 5911 "
          "(%d %s)" % (MAX_FAILURES, r.status, r.code))


def set_conf(nodes="AB", **keys):
    """Sets configuration keys on web nodes (both by default) and restarts
    their programs."""
    for w in nodes:
        conf = os.path.join(C, "web" + w, "glue-mfa.conf")
        with open(conf) as f:
            s = f.read()
        for k, v in keys.items():
            s, n = re.subn(r"(?m)^%s = .*$" % re.escape(k), "%s = %s" % (k, v), s)
            if n == 0:
                s += "%s = %s\n" % (k, v)
        with open(conf, "w") as f:
            f.write(s)
        out = subprocess.run([os.path.join(ROOT, "tools", "instance.sh"), "restart-web"],
                             env=dict(os.environ, GLUE_INSTANCE=os.path.join(C, "web" + w),
                                      PORT=str(PORT + (w == "B"))),
                             capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr.decode()


def set_sync_wait(v):
    set_conf(db_wsrep_sync_wait=v)


def mail_rows(a, n):
    """(codes, code mails) of the account on DB node n."""
    aid = account_id(a, n)
    return tuple(int(sql(n, q % aid)[0][0]) for q in (
        "SELECT COUNT(*) FROM mfa_codes WHERE side = 0 AND account_id = %d",
        "SELECT COUNT(*) FROM code_mails m JOIN mfa_codes c ON c.id = m.code_id"
        " WHERE c.side = 0 AND c.account_id = %d"))


def parallel_triggers(a, n):
    """n triggers of the account at once, one token each, over A and B."""
    toks = [tokens_of(sign_in("AB"[i % 2], a))[0] for i in range(n)]
    return parallel([(("AB"[i % 2], "POST", "/multi-factor-auth-trigger"),
                      {"body": doc("multi-factor-auth-trigger", {"type": "email"}),
                       "token": t}) for i, t in enumerate(toks)])


def proof_send_limits():
    """The account's limits hold across web nodes: 20 parallel triggers over A
    and B send one code under resend_cooldown, daily_send_cap codes under the
    daily cap; 20 parallel address creations at MAX_ADDRESSES - 1 make one."""
    set_conf(resend_cooldown=60)
    try:
        a = new_account("A")
        before, mails = mail_rows(a, 1), len(SPOOL.codes(a.mail))
        rs = parallel_triggers(a, 20)
        counts = Counter(r.code for r in rs)
        note("resend_cooldown = 60, 20 triggers: %s; per web node %s" % (dict(counts), {
            w: dict(Counter(r.code for i, r in enumerate(rs) if "AB"[i % 2] == w))
            for w in "AB"}))
        check(counts == Counter({"204": 1, "5912": 19}) and all(
            error_is(r, 429, "5912", D_5912) for r in rs if r.status != 204),
            "one 204, 19 x 429 5912 (exact bodies)")
        time.sleep(0.5)
        SPOOL.scan()
        rows = {n: mail_rows(a, n) for n in (1, 2, 3)}
        check(len(SPOOL.codes(a.mail)) - mails == 1 and
              set(rows.values()) == {(before[0] + 1, before[1] + 1)},
              "one mail; one code and one code mail more on every DB node: %s" % rows)
    finally:
        set_conf(resend_cooldown=0)
    set_conf(daily_send_cap=3)
    try:
        a = new_account("A")        # the activation's code is the first of 3
        mails = len(SPOOL.codes(a.mail))
        rs = parallel_triggers(a, 20)
        counts = Counter(r.code for r in rs)
        note("daily_send_cap = 3, 20 triggers: %s" % dict(counts))
        check(counts == Counter({"204": 2, "5912": 18}) and all(
            error_is(r, 429, "5912", D_5912) for r in rs if r.status != 204),
            "2 x 204 (the cap less the activation's code), 18 x 429 5912 (exact bodies)")
        time.sleep(0.5)
        rows = {n: mail_rows(a, n) for n in (1, 2, 3)}
        check(len(SPOOL.codes(a.mail)) - mails == 2 and set(rows.values()) == {(3, 3)},
              "2 mails; 3 codes and 3 code mails on every DB node: %s" % rows)
    finally:
        set_conf(daily_send_cap=10000)
    set_conf(protected_storefront="customers,customer-password")
    try:
        a = new_account("A")
        path = a.path + "/addresses"
        body = doc("addresses", {"firstName": "Erika", "lastName": "Mustermann",
                                 "address1": "Julie-Wolfthorn-Strasse 1", "zipCode": "10115",
                                 "city": "Berlin", "iso2Code": "DE"})
        made = [req("AB"[i % 2], "POST", path, body, token=a.access)
                for i in range(MAX_ADDRESSES - 1)]
        check(all(r.status == 201 for r in made), "%d addresses made one by one"
              % (MAX_ADDRESSES - 1))
        rs = parallel([(("AB"[i % 2], "POST", path), {"body": body, "token": a.access})
                       for i in range(20)])
        counts = Counter(r.code for r in rs)
        note("20 address creations at %d: %s" % (MAX_ADDRESSES - 1, dict(counts)))
        check(counts == Counter({"201": 1, "413": 19}) and all(
            error_is(r, 422, "413", D_413) for r in rs if r.status != 201),
            "one 201, 19 x 422 413 (exact bodies)")
        if not synced_all():
            check(False, "cluster synced")
        rows = {n: int(sql(n, "SELECT COUNT(*) FROM addresses WHERE customer_id = %d"
                           % account_id(a, n))[0][0]) for n in (1, 2, 3)}
        check(set(rows.values()) == {MAX_ADDRESSES},
              "%d addresses on every DB node: %s" % (MAX_ADDRESSES, rows))
    finally:
        set_conf(protected_storefront="customers,customer-password,addresses")


def login_counts(n):
    """login_failures on DB node n: {scope (hex): failures}."""
    return {k: int(v) for k, v in sql(n, "SELECT HEX(scope), failures FROM "
                                      "login_failures")}


def mails_with(addr, subject):
    """Messages to addr with that subject in the shared spool."""
    d = os.path.join(C, "mail")
    n = 0
    for name in os.listdir(d):
        if name.startswith("."):
            continue
        with open(os.path.join(d, name), "rb") as f:
            m = email.message_from_bytes(f.read(), policy=email.policy.default)
        n += str(m["To"]).strip().lower() == addr.lower() and \
            str(m["Subject"]) == subject
    return n


def proof_one_use():
    """Across web nodes: a burst of wrong passwords at the pair limit gets the
    one check left (the attempt is counted before its Argon2id check, contract
    §3.6); one recovery code sent with 20 tokens at once is accepted once."""
    a = new_account("A")
    for i in range(PAIR_MAX - 1):
        r = req("AB"[i % 2], "POST", "/access-tokens", doc("access-tokens", {
            "username": a.mail, "password": "wrong-" + PASSWORD}))
        check(r.status == 401, "failure %d of the set-up: 401" % (i + 1))
    synced_all()
    before = {k: login_counts(k) for k in (1, 2, 3)}
    rs = parallel([(("AB"[i % 2], "POST", "/access-tokens"),
                    {"body": doc("access-tokens", {"username": a.mail,
                                                   "password": "wrong-" + PASSWORD})})
                   for i in range(12)])
    counts = Counter(r.code for r in rs)
    note("12 wrong passwords at once over A and B, the pair at %d of %d: %s" % (
        PAIR_MAX - 1, PAIR_MAX, dict(counts)))
    check(set(counts) <= {"003", "113"} and counts["003"] >= 1 and all(
        error_is(r, 401, "003", D_AUTH_FAILED) or
        error_is(r, 429, "113", D_TOO_MANY_LOGINS) for r in rs),
        "only 401 003 and 429 113, exact bodies")
    synced_all()
    after = {k: login_counts(k) for k in (1, 2, 3)}
    grown = {k: sorted(v - before[k].get(s, 0) for s, v in after[k].items()
                       if v != before[k].get(s, 0)) for k in (1, 2, 3)}
    check(all(g == [1, 1, 1] for g in grown.values()) and
          after[1] == after[2] == after[3],
          "one failure more in each of the three scopes, the same on every DB "
          "node: %s" % grown)
    aid = account_id(a)
    audit = {k: int(sql(k, "SELECT COUNT(*) FROM audit_log WHERE side = 0 AND "
                        "account_id = %d AND action = 'login' AND result = "
                        "'failure' AND error_code = '003'" % aid)[0][0])
             for k in (1, 2, 3)}
    check(set(audit.values()) == {PAIR_MAX - 1 + counts["003"]},
          "every 401 audited on every DB node: %s" % audit)
    LOST["races"] += 1
    if counts["003"] > 1:
        # two attempts read the same count and both stored it plus one
        LOST["updates"] += counts["003"] - 1
        LOST["rounds"] += 1
        note("wrong passwords: %d attempt(s) counted and lost by Galera"
             % (counts["003"] - 1))

    b = new_account("B")
    code, _ = fresh_code("A", b)
    r = req("A", "POST", "/multi-factor-auth-recovery-codes",
            doc("multi-factor-auth-recovery-codes", {}), token=b.access,
            headers={"X-MFA-Code": code})
    check(r.status == 201, "a set of recovery codes made through A: %d" % r.status)
    rc = r.json["data"]["attributes"]["codes"][0] if r.status == 201 else "-"
    toks = [tokens_of(sign_in("AB"[i % 2], b))[0] for i in range(20)]
    used_mails = mails_with(b.mail, RECOVERY_USED)
    rs = parallel([(("AB"[i % 2], "PATCH", b.path),
                    {"body": doc("customers", {"firstName": "Saved%d" % i}),
                     "token": t, "headers": {"X-MFA-Code": rc}})
                   for i, t in enumerate(toks)])
    counts = Counter(r.code for r in rs)
    note("one recovery code, 20 requests over A and B: %s" % dict(counts))
    check(counts["200"] == 1 and set(counts) <= {"200", "5901", "5911"} and all(
        error_is(r, 403, "5901", D_5901) or error_is(r, 429, "5911", D_5911)
        for r in rs if r.code != "200"),
        "exactly one 200; the others 403 5901 or 429 5911 (exact bodies)")
    synced_all()
    used = {k: int(sql(k, "SELECT COUNT(*) FROM mfa_recovery_codes WHERE side = 0"
                       " AND account_id = %d AND used_at <> 0" % account_id(b, k))[0][0])
            for k in (1, 2, 3)}
    time.sleep(0.5)
    check(set(used.values()) == {1} and
          mails_with(b.mail, RECOVERY_USED) - used_mails == 1,
          "one slot used on every DB node (%s), one \"%s\" mail" % (used,
                                                                  RECOVERY_USED))
    stored_as_answered(b, counts, "one recovery code")


def proof_one_key():
    """One Idempotency-Key sent with 8 address creations at once over A and B,
    3 rounds: one address on every DB node, every answer the same 201 or 409
    117, nothing else (the key's row is written in the address's commit; the
    named lock is a node's own, contract §9.9 5.)."""
    set_conf(protected_storefront="customers,customer-password")
    try:
        for k in range(3):
            a = new_account("A")
            key = uuid.uuid4().hex
            body = doc("addresses", {"firstName": "Erika", "lastName": "Mustermann",
                                     "address1": "Julie-Wolfthorn-Strasse 1",
                                     "zipCode": "10115", "city": "Berlin",
                                     "iso2Code": "DE"})
            rs = parallel([(("AB"[i % 2], "POST", a.path + "/addresses"),
                            {"body": body, "token": a.access,
                             "headers": {"Idempotency-Key": key}}) for i in range(8)])
            counts = Counter(r.code for r in rs)
            ids = {r.json["data"]["id"] for r in rs if r.status == 201}
            synced_all()
            rows = {n: int(sql(n, "SELECT COUNT(*) FROM addresses WHERE customer_id = %d"
                               % account_id(a, n))[0][0]) for n in (1, 2, 3)}
            note("round %d: %s" % (k + 1, dict(counts)))
            check(set(counts) <= {"201", "117"} and len(ids) == 1 and
                  set(rows.values()) == {1},
                  "round %d: answers 201 (one id) or 409 117, one address on every "
                  "DB node: %s" % (k + 1, rows))
    finally:
        set_conf(protected_storefront="customers,customer-password,addresses")


def proof_sync_wait_cost():
    """The cost of db_wsrep_sync_wait = 1: 300 sequential reads through web
    A, with 1 and with 0, two rounds each (printed, not asserted)."""
    a = new_account("A")
    s = requests.Session()
    res = {}
    for v in (1, 0, 1, 0):
        set_sync_wait(v)
        for _ in range(50):             # warm-up: connections, statements
            req("A", "GET", a.path, token=a.access, session=s)
        t0 = time.monotonic()
        n = 300
        lat = []
        for _ in range(n):
            r = req("A", "GET", a.path, token=a.access, session=s)
            assert r.status == 200, r
            lat.append(r.elapsed)
        lat.sort()
        res.setdefault(v, []).append((n / (time.monotonic() - t0), lat[n // 2] * 1e3,
                                      lat[int(n * 0.99)] * 1e3))
        note("db_wsrep_sync_wait = %d: GET /customers/{ref} x %d sequential: %.0f req/s, "
             "p50 %.2f ms, p99 %.2f ms" % ((v, n) + res[v][-1]))
    set_sync_wait(1)
    best = {v: max(x[0] for x in res[v]) for v in res}
    note("best of two rounds: %.0f req/s with 1, %.0f with 0 (%.1f%%)" % (
        best[1], best[0], 100.0 * (best[1] - best[0]) / best[0]))
    check(True, "measured (figures above; the machine is shared, so not asserted)")


class Load:
    """Steady mixed load through both web nodes: each worker has accounts of
    its own and cycles sign-in, trigger + protected write, refresh, read. The
    client-side log holds every answer."""

    def __init__(self, workers, per_worker, nodes="AB"):
        self.nodes = list(nodes)
        self.accts = [[new_account("AB"[(w + i) % 2]) for i in range(per_worker)]
                      for w in range(workers)]
        self.log = []           # (t, node, kind, acct, value, Resp)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.retired = {}       # acct -> (kind, value) in flight when its node died
        self.t0 = None

    def record(self, node, kind, a, value, r):
        with self.lock:
            self.log.append((time.monotonic() - self.t0, node, kind, a, value, r))

    def worker(self, w):
        s = {n: requests.Session() for n in "AB"}
        k = 0
        accts = list(self.accts[w])
        while not self.stop.is_set() and accts:
            a = accts[k % len(accts)]
            k += 1
            node = random.choice(self.nodes)
            op = k % 4
            if op == 0:
                r = sign_in(node, a, session=s[node])
                self.record(node, "sign-in", a, None, r)
                if r.status == 201:
                    a.access, a.refresh = tokens_of(r)
                value = None
            elif op == 1:
                n0 = len(SPOOL.codes(a.mail))
                r = mfa(node, a, "multi-factor-auth-trigger", session=s[node])
                self.record(node, "trigger", a, None, r)
                value = None
                if r.status == 204:
                    code = SPOOL.new_code(a.mail, n0)
                    node = random.choice(self.nodes)
                    value = "N%s" % uuid.uuid4().hex[:12]
                    r = patch(node, a, value, code, session=s[node])
                    self.record(node, "patch", a, value, r)
                    if r.status == 200:
                        a.name = value
            elif op == 2:
                r = req(node, "POST", "/refresh-tokens",
                        doc("refresh-tokens", {"refreshToken": a.refresh}),
                        session=s[node])
                self.record(node, "refresh", a, None, r)
                if r.status == 201:
                    a.access, a.refresh = tokens_of(r)
                value = None
            else:
                r = req(node, "GET", a.path, token=a.access, session=s[node])
                self.record(node, "read", a, None, r)
            if r.status == 0:
                # no answer: its fate is unknown to the client; the account
                # leaves the load and is checked on its own
                with self.lock:
                    self.retired[a] = (["sign-in", "trigger" if value is None else
                                        "patch", "refresh", "read"][op], value, node)
                accts.remove(a)
            time.sleep(0.005)

    def start(self):
        self.t0 = time.monotonic()
        self.threads = [threading.Thread(target=self.worker, args=(w,))
                        for w in range(len(self.accts))]
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def window(self, t_from, t_to, nodes="AB"):
        with self.lock:
            return [e for e in self.log if t_from <= e[0] < t_to and e[1] in nodes]

    def summary(self, name, t_from, t_to, nodes="AB"):
        es = self.window(t_from, t_to, nodes)
        ok = sum(1 for e in es if 200 <= e[5].status < 300)
        bad = Counter(e[5].code for e in es if not 200 <= e[5].status < 300)
        note("%-34s %5.1f s: %4d answers, %4d 2xx, errors %s" % (
            name, t_to - t_from, len(es), ok, dict(bad) or "none"))
        return ok, bad


def acknowledged_writes_everywhere(load, what):
    """Every 2xx write of the log present on every DB node, identically;
    every refused one absent."""
    synced_all(90)
    identical_everywhere(what)
    ok_rids = {e[5].rid for e in load.log if e[2] in ("patch", "trigger", "sign-in")
               and 200 <= e[5].status < 300}
    # 503 118 says the commit's fate is unknown (contract §9.2): not refused
    bad = {e[5].rid: e for e in load.log if e[5].status >= 400 and e[5].rid and
           e[5].code != "118"}
    bad_rids = set(bad)
    unknown = [e for e in load.log if e[5].code == "118"]
    if unknown:
        note("%d answers 503 118 (commit unknown), not counted as refused" % len(unknown))
    for n in (1, 2, 3):
        audited = {r[0] for r in sql(n, "SELECT request_id FROM audit_log"
                                        " WHERE result = 'success'")}
        missing = ok_rids - audited
        present = bad_rids & audited
        check(not missing, "DB node %d: the success audit row of every acknowledged write "
              "(%d sign-ins, triggers, protected writes): %d missing" % (
                  n, len(ok_rids), len(missing)))
        check(not present, "DB node %d: no success row for any of the %d refused requests"
              "%s" % (n, len(bad_rids), "" if not present else ": %r" % [
                  (bad[x][2], bad[x][1], bad[x][5].code, x) for x in present]))
    wrong = []
    for accts in load.accts:
        for a in accts:
            if a in load.retired:
                continue
            for n in (1, 2, 3):
                got = sql(n, "SELECT first_name FROM customers WHERE email = '%s'"
                          % a.mail)[0][0]
                if got != a.name:
                    wrong.append((a.mail, n, got, a.name))
    check(not wrong, "every account's name on every DB node is its last acknowledged "
          "protected write (%d accounts x 3 nodes)%s" % (
              sum(len(x) for x in load.accts) - len(load.retired),
              "" if not wrong else ": %r" % wrong[:3]))
    fresh = 0
    for accts in load.accts:
        for a in accts:
            if a in load.retired:
                continue
            for w in load.nodes:
                fresh += req(w, "GET", a.path, token=a.access).status == 200
    live = sum(len(x) for x in load.accts) - len(load.retired)
    check(fresh == len(load.nodes) * live, "the last acknowledged token of every account "
          "works through web node(s) %s (%d of %d)" % (
              "".join(load.nodes), fresh, len(load.nodes) * live))


def ist_after(log_offset):
    with open(os.path.join(C, "db3", "log", "mysqld.log"), "rb") as f:
        f.seek(log_offset)
        text = f.read().decode("utf-8", "replace")
    # the rsync script runs for IST too, but then only says so
    m = re.search(r"Receiving IST: (\d+) writesets", text)
    ist = "IST received" in text and "rsync IST completed on joiner" in text and \
        m is not None and "%s writesets received" % m.group(1)
    sst = "rsync SST completed on joiner" in text
    return ist, sst


def proof_db_node_killed():
    """kill -9 of DB node 3 (no web node uses it) under steady mixed load
    through both web nodes; it restarts and rejoins by IST."""
    load = Load(workers=6, per_worker=2)
    log3 = os.path.join(C, "db3", "log", "mysqld.log")
    load.start()
    time.sleep(6)
    t_kill = time.monotonic() - load.t0
    pid = kill9(3)
    note("DB node 3 (pid %d) killed with SIGKILL at %.1f s" % (pid, t_kill))
    time.sleep(6)
    off = os.path.getsize(log3)
    t_restart = time.monotonic() - load.t0
    started = node_start(3)
    t_synced = time.monotonic() - load.t0
    check(started, "DB node 3 restarted and Synced %.1f s after its restart"
          % (t_synced - t_restart))
    time.sleep(4)
    t_end = time.monotonic() - load.t0
    load.finish()
    load.summary("before the kill", 0, t_kill)
    ok_w, bad_w = load.summary("kill -> restart (2 nodes)", t_kill, t_restart)
    ok_j, bad_j = load.summary("restart -> Synced (IST)", t_restart, t_synced)
    ok_a, bad_a = load.summary("after", t_synced, t_end)
    load.summary("whole run", 0, t_end)
    failover_5xx = sum(v for k, v in bad_w.items()) + sum(v for k, v in bad_j.items())
    note("errors in the failover window (kill to Synced): %d of %d answers" % (
        failover_5xx, len(load.window(t_kill, t_synced))))
    check(ok_w > 0 and ok_j > 0 and ok_a > 0,
          "requests through both web nodes kept succeeding in every window")
    errs = [e for e in load.log if not 200 <= e[5].status < 300]
    # 118: a COMMIT whose answer was lost while the group dropped the node
    # (contract §9.2); acknowledged_writes_everywhere counts it as unknown
    check(all((error_is(e[5], 503, "110", D_UNAVAILABLE) or
               error_is(e[5], 503, "118", D_COMMIT_UNKNOWN)) and
              e[5].headers.get("Retry-After") == "1" for e in errs),
          "every error of the run a 503 110 or 118 with Retry-After: 1 (%s)" % (
              dict(Counter(e[5].code for e in errs)) or 0))
    late = [e for e in errs if not t_kill <= e[0] < t_kill + 5]
    check(not late, "errors only within 5 s of the kill (%d outside)" % len(late))
    ist, sst = ist_after(off)
    check(ist and not sst, "DB node 3 rejoined by IST, not SST (its log: %s)" % ist)
    acknowledged_writes_everywhere(load, "after node 3's kill and IST")


def proof_web_db_node_down():
    """Web node B's own DB node down: B answers 503 110 quickly, A goes on;
    the node back, B answers again without a restart. Then the same with DB
    node 2 isolated from the group (non-primary: 1047)."""
    a = new_account("A")
    s = {w: requests.Session() for w in "AB"}
    for w in "AB":
        req(w, "GET", a.path, token=a.access, session=s[w])
    kill9(2)
    rs = [req("B", "GET", a.path, token=a.access, session=s["B"]) for _ in range(10)]
    worst = max(r.elapsed for r in rs)
    note("DB node 2 killed: 10 reads through B: %s, slowest %.3f s" % (
        dict(Counter(r.code for r in rs)), worst))
    check(all(error_is(r, 503, "110", D_UNAVAILABLE) and
              r.headers.get("Retry-After") == "1" for r in rs) and worst < 1.0,
          "web node B: 503 110 with Retry-After: 1, each under 1 s")
    ra = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 8 and (len(ra) < 10 or ra[-1].status != 200):
        ra.append(req("A", "GET", a.path, token=a.access, session=s["A"]))
    bad = [r for r in ra if r.status != 200]
    note("web node A meanwhile: %d reads in %.1f s: %s, slowest %.2f s (the group "
         "waits for the dead node until evs.suspect_timeout)" % (
             len(ra), time.monotonic() - t0, dict(Counter(r.code for r in ra)),
             max(r.elapsed for r in ra)))
    check(ra[-1].status == 200 and all(error_is(r, 503, "110", D_UNAVAILABLE)
                                       for r in bad),
          "web node A: 200, or 503 110 while the group drops node 2")
    check(node_start(2), "DB node 2 back (rejoined)")
    r = req("B", "GET", a.path, token=a.access, session=s["B"])
    check(r.status == 200, "web node B answers 200 again, not restarted (%d)" % r.status)
    # 1047: node 2 cut off from the group, a non-primary component of one
    sql(2, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
    t0 = time.monotonic()
    while status(2, "wsrep_ready") != "OFF" and time.monotonic() - t0 < 20:
        time.sleep(0.1)
    note("node 2 isolated: wsrep_ready %s after %.1f s, cluster status %s" % (
        status(2, "wsrep_ready"), time.monotonic() - t0, status(2, "wsrep_cluster_status")))
    before = programs_log("B").count("node not ready (wsrep, 1047)")
    rs = [req("B", "GET", a.path, token=a.access, session=s["B"]) for _ in range(10)]
    rw = req("B", "PATCH", a.path, doc("customers", {"firstName": "X"}), token=a.access,
             headers={"X-MFA-Code": "000000"}, session=s["B"])
    worst = max(r.elapsed for r in rs + [rw])
    seen = programs_log("B").count("node not ready (wsrep, 1047)") - before
    note("node 2 not ready: 10 reads and a write through B: %s, %s, slowest %.3f s, "
         "1047 logged %d times" % (dict(Counter(r.code for r in rs)), rw.code, worst, seen))
    check(all(error_is(r, 503, "110", D_UNAVAILABLE) for r in rs + [rw]) and worst < 1.0
          and seen > 0, "1047 answered 503 110 quickly, logged as node not ready")
    sql(2, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        if status(2, "wsrep_ready") == "ON" and status(2, "wsrep_local_state_comment") \
                == "Synced":
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    r = req("B", "GET", a.path, token=a.access)     # a new connection: the old one
    #                                                 idled past keep-alive
    check(r.status == 200, "node 2 back in the group after %.1f s: B answers 200 without "
          "a restart (%r)" % (took, r))
    check(lockout_row(a, 1) == lockout_row(a, 2) == lockout_row(a, 3),
          "the refused write counted nothing on any node")
    synced_all()
    identical_everywhere("after node 2's death and isolation")


def proof_web_node_killed():
    """Web node B killed with SIGKILL under load, its lighttpd and every one
    of its programs at once: A goes on; whatever was in flight through B is
    either whole or absent."""
    load = Load(workers=6, per_worker=2)
    load.start()
    time.sleep(5)
    run = os.path.join(C, "webB", "run")
    with open(os.path.join(run, "lighttpd.pid")) as f:
        pid = int(f.read().strip())
    socks = [os.path.join(run, x) for x in os.listdir(run) if re.search(r"\.sock-\d+$", x)]
    programs = [p for p in socket_pids(socks) if p != pid]
    t_kill = time.monotonic() - load.t0
    load.nodes = ["A"]
    for p in [pid] + programs:
        os.kill(p, signal.SIGKILL)
    note("web node B killed with SIGKILL at %.1f s: lighttpd (pid %d) and its %d "
         "program processes" % (t_kill, pid, len(programs)))
    check(len(programs) == len(socks), "web node B's programs found by their sockets "
          "(%d processes, %d sockets)" % (len(programs), len(socks)))
    time.sleep(6)
    t_end = time.monotonic() - load.t0
    load.finish()
    load.summary("before the kill", 0, t_kill)
    okA, badA = load.summary("after the kill, web node A", t_kill + 0.5, t_end, "A")
    load.summary("after the kill, web node B", t_kill, t_end, "B")
    check(okA > 0 and not badA, "web node A went on: %d answers 2xx, no error" % okA)
    synced_all()
    whole = []
    for a, (kind, value, node) in load.retired.items():
        rows = {n: sql(n, "SELECT first_name FROM customers WHERE email = '%s'" % a.mail)
                [0][0] for n in (1, 2, 3)}
        done = value is not None and rows[1] == value
        acked = sum(1 for e in load.log if e[3] is a and e[2] == "patch" and
                    e[5].status == 200)
        aid = account_id(a)
        audited = int(sql(1, "SELECT COUNT(*) FROM audit_log WHERE side = 0 AND account_id"
                          " = %d AND action = 'protected' AND result = 'success'" % aid)[0][0])
        # the newest code: by seq (mfa_codes.id is random)
        newest = sql(1, "SELECT state FROM mfa_codes WHERE side = 0 AND account_id = %d"
                        " ORDER BY seq DESC LIMIT 1" % aid)[0][0]
        ok = len(set(rows.values())) == 1
        # a sign-in writes its access and refresh token together
        orphans = int(sql(1, "SELECT COUNT(*) FROM access_tokens t WHERE t.side = 0 AND"
                          " t.account_id = %d AND NOT EXISTS (SELECT 1 FROM refresh_tokens"
                          " r WHERE r.side = 0 AND r.family_id = t.family_id)" % aid)[0][0])
        ok = ok and orphans == 0
        if kind == "patch":
            ok = ok and audited == acked + done and (newest == "1") == done
        # a trigger writes its code row and its audit row together, then
        # mails the code: all three or none
        triggers = sum(1 for e in load.log if e[3] is a and e[2] == "trigger" and
                       e[5].status == 204)
        issued = int(sql(1, "SELECT COUNT(*) FROM audit_log WHERE side = 0 AND account_id"
                         " = %d AND action IN ('trigger', 'activate') AND result ="
                         " 'success'" % aid)[0][0])
        code_rows, handed = (int(x) for x in sql(
            1, "SELECT COUNT(*), COUNT(IF(handover = 1, 1, NULL)) FROM mfa_codes"
               " WHERE side = 0 AND account_id = %d" % aid)[0])
        mails = len(SPOOL.codes(a.mail))
        # a program killed after its commit and before the mail, or before
        # the hand-over was recorded, leaves the code counted as a failed
        # mail (handover 0, contract §9.4): never a mail without its code
        ok = ok and code_rows == issued and handed <= mails <= code_rows
        if kind == "trigger":
            done = issued == triggers + 2       # + activation, + the one in flight
            ok = ok and issued in (triggers + 1, triggers + 2) and \
                (not done or newest == "0")
        whole.append(ok)
        note("in flight through B: %s of %s: %s (name on nodes %s, %d acknowledged "
             "protected writes, %d audited, %d acknowledged triggers, %d codes issued "
             "(audited), %d code rows (%d handed over), %d mailed, newest code state %s, "
             "%d access tokens without their refresh token)" % (
                 kind, a.mail, "done" if done else "not done" if kind in (
                     "patch", "trigger") else "-", rows, acked, audited, triggers,
                 issued, code_rows, handed, mails, newest, orphans))
    check(all(whole), "every request in flight through B whole or absent (%d checked)"
          % len(whole))
    acknowledged_writes_everywhere(load, "after web node B's kill")


PROOFS = [("one_code", proof_one_code), ("wrong_codes", proof_wrong_codes),
          ("single_writer", proof_single_writer),
          ("commit_conflict", proof_commit_conflict),
          ("causal", proof_causal), ("send_limits", proof_send_limits),
          ("one_use", proof_one_use), ("one_key", proof_one_key),
          ("sync_wait_cost", proof_sync_wait_cost),
          ("db_node_killed", proof_db_node_killed),
          ("web_db_node_down", proof_web_db_node_down),
          ("web_node_killed", proof_web_node_killed)]


def main():
    for name, fn in PROOFS:
        if ONLY and name not in ONLY:
            continue
        t0 = time.monotonic()
        print("== %s: %s" % (name, " ".join(fn.__doc__.split())), flush=True)
        try:
            fn()
        except Exception as e:          # a proof that breaks is a failure
            import traceback
            traceback.print_exc()
            check(False, "%s raised %s: %s" % (name, type(e).__name__, e))
        print("== %s took %.1f s" % (name, time.monotonic() - t0), flush=True)
    logs = programs_log("A") + programs_log("B")
    print("certification failures and deadlocks met (1213, logged): %d at COMMIT, %d at "
          "another statement; %d units of work run again, %d not run again" % (
              len(re.findall(r"warn: database: COMMIT: Deadlock", logs)),
              len(re.findall(r"warn: database: (execute|prepare): Deadlock", logs)),
              len(RETRY_RE.findall(logs)), logs.count("not run again")))
    if LOST["races"]:
        print("Galera's lost updates: %d failure(s) counted and lost, in %d of %d races"
              % (LOST["updates"], LOST["rounds"], LOST["races"]))
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
