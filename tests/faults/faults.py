#!/usr/bin/python3
"""The fault suite (README: "The fault suite (`make test-faults`)").

Run by tests/faults/run.sh against an instance of its own (GLUE_INSTANCE,
PORT, GLUE_BIN, GLUE_ADMIN, GLUE_PROCS as tools/instance.sh takes them).
Each scenario puts the service under load (client threads, each owning a
few customers with e-mail MFA on: sign-ins, address POSTs and password
changes behind X-MFA-Code, triggers, activations, verifications,
deactivations, a replayed code now and then), injects one fault while the
load runs, lets the load go on for a while after it, then checks, from the
client-side log of every request and from the database, what the issue's
point 10 asks: every acknowledged (2xx) write present with its audit row,
nothing refused present, no code accepted twice, no 5xx but the documented
ones, every process back.  Figures and check results are printed per
scenario; the last line is "N passed, M failed" (checks).

    FAULTS_ONLY=db-kill,spool-full   only these scenarios (names: SCENARIOS)
    FAULTS_THREADS=4                 client threads (5 customers each)
    FAULTS_FREEZE_BOUND=5            seconds a request may wait while the
                                     database is frozen (SIGSTOP)
    FAULTS_HANG_BOUND=8              seconds an MFA request may take while
                                     the sendmail command hangs
"""

import collections
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.environ.get("GLUE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
INST = os.environ["GLUE_INSTANCE"]
PORT = int(os.environ.get("PORT", "18860"))
BIN = os.path.realpath(os.environ.get("GLUE_BIN") or
                       os.path.join(ROOT, "build", "test", "cgi-bin"))
PROCS = int(os.environ.get("GLUE_PROCS", "2"))
THREADS = int(os.environ.get("FAULTS_THREADS", "4"))
PER_THREAD = 5
FREEZE_BOUND = float(os.environ.get("FAULTS_FREEZE_BOUND", "5"))
HANG_BOUND = float(os.environ.get("FAULTS_HANG_BOUND", "8"))
CLIENT_TIMEOUT = 40
# Codes one customer asks for in one scenario: below daily_send_cap (20),
# so the load itself never meets the cap; the clock moves two days ahead
# before each scenario, so every scenario starts with the cap unused (the
# instance's access tokens live 31 days: run.sh).
CODE_BUDGET = 14
HAMMER_TRIES = 40          # point 2 of the issue: 100 retries must not lock out
SPOOL = os.path.join(INST, "mail")
JSONAPI = "application/vnd.api+json"
RID_RE = re.compile(r"^[0-9a-f]{32}$")
ON_SUBJECT = "Multi-factor authentication switched on"
OFF_SUBJECT = "Multi-factor authentication switched off"
CODE_SUBJECT = "Verification Code for Secure Access"
TRIGGER = "multi-factor-auth-trigger"
ACTIVATE = "multi-factor-auth-type-activate"
VERIFY = "multi-factor-auth-type-verify"
DEACTIVATE = "multi-factor-auth-type-deactivate"
# What each write of the load is audited as (contract §5.4).
AUDITED_AS = {"signin": "login", "trigger": "trigger", "activate": "activate",
              "verify": "verify", "deactivate": "deactivate",
              "address": "protected", "password": "protected"}
WRITES = set(AUDITED_AS)
# The web server's own programs the load talks to (what the kills aim at).
LOAD_PROGRAMS = ["access-tokens", "addresses", "customer-password", TRIGGER,
                 ACTIVATE, VERIFY, DEACTIVATE, "multi-factor-auth-types"]


def say(*a):
    print(*a, flush=True)


# --------------------------------------------------------------------------
# The instance


def instance(cmd):
    out = subprocess.run([os.path.join(ROOT, "tools", "instance.sh"), cmd],
                         capture_output=True, timeout=180, text=True)
    if out.returncode != 0:
        raise RuntimeError("instance.sh %s failed:\n%s%s" % (cmd, out.stdout,
                                                             out.stderr))
    return out.stdout


def sql(query):
    """Rows of one query as root over the instance's socket (lists of str;
    NULL as None)."""
    out = subprocess.run(
        ["mariadb", "--no-defaults", "--socket=" + os.path.join(INST, "run",
                                                                "mysqld.sock"),
         "-uroot", "glue_mfa", "-N", "-B", "-e", query],
        capture_output=True, timeout=60, text=True)
    if out.returncode != 0:
        raise RuntimeError("SQL failed: %s\n%s" % (query, out.stderr))
    return [[None if v == "NULL" else v for v in ln.split("\t")]
            for ln in out.stdout.splitlines()]


def db_pid():
    with open(os.path.join(INST, "run", "mysqld.pid")) as f:
        return int(f.read().strip())


def web_pid():
    with open(os.path.join(INST, "run", "lighttpd.pid")) as f:
        return int(f.read().strip())


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def clock_ahead(seconds):
    """Moves the programs' clock (test_clock_file) ahead by seconds."""
    path = os.path.join(INST, "clock")
    try:
        with open(path) as f:
            now = int(f.read().strip() or "0")
    except FileNotFoundError:
        now = 0
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % (now + seconds))
    os.rename(path + ".tmp", path)


def fastcgi_children():
    """{pid: program} of lighttpd's children (found through /proc: their
    parent and their executable, never by name)."""
    parent = web_pid()
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            exe = os.readlink("/proc/%s/exe" % d)
        except (OSError, IndexError, ValueError):
            continue
        if exe.startswith(BIN + "/"):
            out[int(d)] = exe[len(BIN) + 1:]
    return out


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return 0


# Programs lighttpd runs more than one pool of: the token programs also
# serve the RFC 8414 metadata, on sockets of their own (tools/instance.sh).
POOLS = {"token": 2, "backend/token": 2}


def expected_programs():
    out = []
    for sub in ("", "backend"):
        d = os.path.join(BIN, sub)
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isfile(p) and os.access(p, os.X_OK) and \
                    re.match(r"^[a-z0-9][a-z0-9_-]*$", n):
                out.append(os.path.join(sub, n) if sub else n)
    return out


# --------------------------------------------------------------------------
# HTTP and the client-side log


LOG = []          # every request of every scenario, in order of its end
LOG_LOCK = threading.Lock()


class Answer:
    """One request and what came back.  kind: ack (2xx), refused (the
    program answered 4xx/5xx: it says nothing was done), noconn (no
    connection: nothing was sent), unknown (no answer, or the web server's
    own error: the request may or may not have been done)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def error_code(self):
        return self.code or ""


def send(method, path, body=None, token=None, mfa=None, timeout=CLIENT_TIMEOUT,
         key=None):
    h = {"Connection": "close", "User-Agent": "glue-faults"}
    if key is not None:
        h["Idempotency-Key"] = key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = JSONAPI
    if token:
        h["Authorization"] = "Bearer " + token
    if mfa is not None:
        h["X-MFA-Code"] = mfa
    a = Answer(method=method, path=path, status=None, rid=None, code=None,
               json=None, headers={}, body=b"", kind="unknown", why=None,
               t0=time.monotonic(), t1=None, mfa=mfa)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        try:
            conn.connect()
        except OSError as e:
            a.kind, a.why = "noconn", type(e).__name__
            return a
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            a.body = r.read()
            a.status = r.status
            a.headers = {k.lower(): v for k, v in r.getheaders()}
        except (OSError, http.client.HTTPException) as e:
            a.why = "timeout" if isinstance(e, socket.timeout) else type(e).__name__
            return a
    finally:
        a.t1 = time.monotonic()
        conn.close()
    rid = a.headers.get("x-request-id")
    a.rid = rid if rid and RID_RE.match(rid) else None
    if a.body:
        try:
            a.json = json.loads(a.body.decode("utf-8"))
        except ValueError:
            a.json = None
    if isinstance(a.json, dict) and isinstance(a.json.get("errors"), list) \
            and a.json["errors"] and isinstance(a.json["errors"][0], dict):
        a.code = a.json["errors"][0].get("code")
    if a.rid is None:
        a.kind, a.why = "unknown", "web server %d" % a.status
    elif a.status == 503 and a.code == "118":
        # The program's own word that its COMMIT's outcome is unknown
        # (contract §9.2): not a refusal.
        a.kind, a.why = "unknown", "503 118"
    elif 200 <= a.status < 300:
        a.kind = "ack"
    else:
        a.kind = "refused"
    return a


def doc(type_, attrs):
    return {"data": {"type": type_, "attributes": attrs}}


# --------------------------------------------------------------------------
# The mail spool (one RFC 5322 message per file, names sorting in send order)


class Spool:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}        # name -> (to, subject, code)

    def scan(self):
        with self.lock:
            try:
                names = os.listdir(SPOOL)
            except OSError:
                return
            for n in names:
                if not n.endswith(".eml") or n in self.seen:
                    continue
                try:
                    with open(os.path.join(SPOOL, n), "rb") as f:
                        raw = f.read().decode("utf-8", "replace")
                except OSError:
                    continue
                to = re.search(r"^To: *(.*?)\r?$", raw, re.M)
                subj = re.search(r"^Subject: *(.*?)\r?$", raw, re.M)
                code = re.search(r"Your verification code is: (\d+)", raw)
                self.seen[n] = (to.group(1).strip().lower() if to else "",
                                subj.group(1).strip() if subj else "",
                                code.group(1) if code else None)

    def mark(self):
        self.scan()
        with self.lock:
            return max(self.seen) if self.seen else ""

    def mails(self, addr, since, subject=None):
        self.scan()
        with self.lock:
            return [(n, v) for n, v in sorted(self.seen.items())
                    if n > since and v[0] == addr.lower()
                    and (subject is None or v[1] == subject)]

    def code_since(self, addr, since, wait=1.0):
        deadline = time.monotonic() + wait
        while True:
            ms = self.mails(addr, since, CODE_SUBJECT)
            if ms:
                return ms[-1][1][2]
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)


SPOOL_READER = Spool()


# --------------------------------------------------------------------------
# Customers and the load


class Acct:
    def __init__(self, n):
        self.n = n
        self.email = "faults-%s@example.com" % uuid.uuid4().hex[:16]
        self.pw = "Fault-Passw0rd-%d" % n
        self.pw_seq = 0
        self.pw_cands = None      # after an unknown change: the possible ones
        self.ref = None
        self.id = None
        self.token = None
        self.mfa = None           # on, off, pending; None: to be asked
        self.live_code = None     # a code received and not spent (refused use)
        self.last_code = None     # the newest code an acknowledged request spent
        self.sends = 0
        self.cool_until = 0.0
        self.broken = False

    def next_pw(self):
        self.pw_seq += 1
        return "Fault-Passw0rd-%d-%d" % (self.n, self.pw_seq)


class Load:
    """Client threads over their customers until stop(); every request is
    appended to LOG tagged with the scenario."""

    def __init__(self, scenario, pool, violations):
        self.scenario = scenario
        self.pool = pool
        self.violations = violations
        self.stop_ev = threading.Event()
        self.threads = []
        # Acknowledged codes whose mail the load did not find at once (one
        # written just before a mount over the spool is hidden until it
        # goes): looked for again after the scenario.
        self.unseen = []

    def mails_found(self):
        for a, mark, op, rid in self.unseen:
            if not SPOOL_READER.mails(a.email, mark, CODE_SUBJECT):
                self.violation("%s %s acknowledged, no code mail" % (op, rid))

    # -- one request, logged
    def call(self, a, op, method, path, body=None, mfa=None, auth=True, key=None,
             **extra):
        r = send(method, path, body, token=a.token if auth else None, mfa=mfa,
                 key=key)
        r.key = key
        r.replayed = r.headers.get("idempotent-replayed") == "true"
        r.scenario, r.op, r.acct = self.scenario, op, a
        r.__dict__.update(extra)
        with LOG_LOCK:
            LOG.append(r)
        if r.kind == "refused" and r.status == 401 and r.code == "001":
            a.token = None
        if r.kind == "noconn" or (r.kind == "refused" and r.status == 503):
            time.sleep(0.02)    # a client pauses before it tries again
        return r

    def violation(self, what):
        self.violations.append(what)

    # -- flows
    def signin(self, a, final=False):
        cands = a.pw_cands or [a.pw]
        for pw in cands:
            r = self.call(a, "signin", "POST", "/access-tokens",
                          doc("access-tokens", {"username": a.email,
                                                "password": pw}), auth=False,
                          final=final)
            if r.kind == "ack":
                a.token = r.json["data"]["attributes"]["accessToken"]
                a.pw, a.pw_cands = pw, None
                return
            if not (r.kind == "refused" and r.status == 401 and r.code == "003"):
                if r.code == "429" or r.status == 429:
                    a.cool_until = time.monotonic() + 5
                return
        self.violation("password: none of the passwords %s may have works "
                       "(tried %d)" % (a.email, len(cands)))
        a.broken = True

    def resync(self, a):
        r = self.call(a, "resync", "GET", "/multi-factor-auth-types/email")
        if r.kind == "ack":
            a.mfa = {"activated": "on", "activation is pending": "pending",
                     "deactivated": "off"}.get(
                         r.json["data"]["attributes"]["status"])

    def get_code(self, a):
        if a.live_code:
            c, a.live_code = a.live_code, None
            return c
        mark = SPOOL_READER.mark()
        a.sends += 1
        r = self.call(a, "trigger", "POST", "/" + TRIGGER,
                      doc(TRIGGER, {"type": "email"}))
        if r.kind == "ack":
            c = SPOOL_READER.code_since(a.email, mark)
            if c is None:
                self.unseen.append((a, mark, "trigger", r.rid))
            return c
        if r.code == "5912":
            a.cool_until = time.monotonic() + min(
                60, int(r.headers.get("retry-after", "5") or 5))
        if r.kind == "unknown":
            return SPOOL_READER.code_since(a.email, mark, wait=0.3)
        if r.code == "5906":
            a.mfa = None
        return None

    def with_code(self, a, op, method, path, body, code, **extra):
        """A request spending code; retried once with the same code (and the
        same Idempotency-Key, for a POST) when its answer is unknown, as a
        client does.  Returns the last answer."""
        key = uuid.uuid4().hex if method == "POST" and op == "address" else None
        r = self.call(a, op, method, path, body, mfa=code, key=key, **extra)
        if r.kind == "unknown":
            r = self.call(a, op, method, path, body, mfa=code, key=key,
                          retry=True, **extra)
        if r.kind == "ack":
            a.last_code = code
        elif r.kind == "noconn" or (r.kind == "refused" and r.status == 503):
            a.live_code = code
        return r

    def address(self, a):
        code = self.get_code(a)
        if code is None:
            return
        self.with_code(a, "address", "POST", "/customers/%s/addresses" % a.ref,
                       doc("addresses", {"firstName": "Fault", "lastName": "Load",
                                         "address1": "Teststrasse %d" % a.n,
                                         "zipCode": "10115", "city": "Berlin",
                                         "iso2Code": "DE"}), code)

    def replay(self, a):
        """The code an acknowledged request spent, again: must be refused."""
        self.call(a, "address", "POST", "/customers/%s/addresses" % a.ref,
                  doc("addresses", {"firstName": "Fault", "lastName": "Replay",
                                    "address1": "Replaystrasse 1",
                                    "zipCode": "10115", "city": "Berlin",
                                    "iso2Code": "DE"}), mfa=a.last_code,
                  replay=True)

    def password(self, a):
        code = self.get_code(a)
        if code is None:
            return
        new = a.next_pw()
        r = self.with_code(a, "password", "PATCH", "/customer-password/" + a.ref,
                           doc("customer-password", {
                               "password": a.pw, "newPassword": new,
                               "confirmPassword": new}), code)
        if r.kind == "ack":
            a.pw = new
        elif r.kind == "unknown" or getattr(r, "retry", False):
            a.pw_cands = [new, a.pw]

    def enable(self, a):
        mark = SPOOL_READER.mark()
        a.sends += 1
        r = self.call(a, "activate", "POST", "/" + ACTIVATE,
                      doc(ACTIVATE, {"type": "email"}))
        code = None
        if r.kind == "ack":
            a.mfa = "pending"
            code = SPOOL_READER.code_since(a.email, mark)
            if code is None:
                self.unseen.append((a, mark, "activate", r.rid))
        elif r.code == "5904":
            a.mfa = "on"
        elif r.code == "5912":
            a.cool_until = time.monotonic() + 10
        elif r.code == "5910":
            a.mfa = "pending"
        elif r.kind == "unknown":
            a.mfa = None
            code = SPOOL_READER.code_since(a.email, mark, wait=0.3)
        if code is None:
            return
        r = self.with_code(a, "verify", "POST", "/" + VERIFY,
                           doc(VERIFY, {"type": "email"}), code)
        a.live_code = None      # an activation code is for verify only
        a.mfa = "on" if r.kind == "ack" else None

    def deactivate(self, a):
        code = self.get_code(a)
        if code is None:
            return
        r = self.with_code(a, "deactivate", "POST", "/" + DEACTIVATE,
                           doc(DEACTIVATE, {"type": "email"}), code)
        if r.kind == "ack":
            a.mfa = "off"
        elif r.kind != "refused" or r.status != 503:
            a.mfa = None

    def read(self, a):
        self.call(a, "read", "GET", "/customers/%s/addresses" % a.ref)

    def step(self, a):
        now = time.monotonic()
        if a.token is None or a.pw_cands:
            return self.signin(a)
        if a.mfa is None:
            return self.resync(a)
        codes_ok = a.live_code or (a.sends < CODE_BUDGET and now >= a.cool_until)
        if a.mfa != "on":
            return self.enable(a) if codes_ok else self.read(a)
        x = random.random()
        if not codes_ok:
            return self.signin(a) if x < 0.3 else self.read(a)
        if x < 0.08:
            return self.signin(a)
        if x < 0.43:
            return self.address(a)
        if x < 0.53:
            return self.password(a)
        if x < 0.68:
            return self.deactivate(a)
        if x < 0.75 and a.last_code:
            return self.replay(a)
        if x < 0.8:
            return self.trigger_only(a)
        return self.read(a)

    def trigger_only(self, a):
        """A code asked for and not used (the next trigger waits for the
        cool-down, or the code is used by the next protected write)."""
        c = self.get_code(a)
        if c is not None:
            a.live_code = c

    def client(self, accts):
        i = 0
        while not self.stop_ev.is_set():
            usable = [a for a in accts if not a.broken]
            if not usable:
                return
            a = usable[i % len(usable)]
            i += 1
            try:
                self.step(a)
            except Exception as e:  # a harness bug: report, keep loading
                self.violation("load: %s: %r" % (type(e).__name__, e))
                time.sleep(0.1)

    def start(self):
        for t in range(THREADS):
            accts = self.pool[t * PER_THREAD:(t + 1) * PER_THREAD]
            th = threading.Thread(target=self.client, args=(accts,), daemon=True)
            th.start()
            self.threads.append(th)

    def stop(self):
        self.stop_ev.set()
        for th in self.threads:
            th.join(CLIENT_TIMEOUT * 3)


class Hammer:
    """One customer asking for a code again and again while the mail path
    is broken (HAMMER_TRIES times at most), like a client retrying."""

    def __init__(self, load, a):
        self.load, self.a = load, a
        self.stop_ev = threading.Event()
        self.tries = 0
        self.th = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_ev.is_set() and self.tries < HAMMER_TRIES:
            self.tries += 1
            self.load.call(self.a, "trigger", "POST", "/" + TRIGGER,
                           doc(TRIGGER, {"type": "email"}), hammer=True)
            self.stop_ev.wait(0.02)


# --------------------------------------------------------------------------
# Setting up customers


def setup_pool(n):
    """n customers, registered, signed in, e-mail MFA on."""
    accts = [Acct(i) for i in range(n)]
    errors = []

    def one(a):
        try:
            r = send("POST", "/customers", doc("customers", {
                "firstName": "Fault", "lastName": "Suite", "email": a.email,
                "password": a.pw, "confirmPassword": a.pw, "acceptedTerms": True}))
            assert r.status == 201, ("register", r.status, r.body[:200])
            a.ref = r.json["data"]["id"]
            r = send("POST", "/access-tokens", doc("access-tokens", {
                "username": a.email, "password": a.pw}))
            assert r.status == 201, ("sign-in", r.status, r.body[:200])
            a.token = r.json["data"]["attributes"]["accessToken"]
            for _ in range(5):
                # 500 111: the deadlock of parallel first activations (issue
                # point 1) on code without its fix; the set-up only retries.
                mark = SPOOL_READER.mark()
                r = send("POST", "/" + ACTIVATE, doc(ACTIVATE, {"type": "email"}),
                         token=a.token)
                if r.status != 500:
                    break
                time.sleep(random.random() * 0.2)
            assert r.status == 204, ("activate", r.status, r.body[:200])
            code = SPOOL_READER.code_since(a.email, mark, wait=5)
            r = send("POST", "/" + VERIFY, doc(VERIFY, {"type": "email"}),
                     token=a.token, mfa=code)
            assert r.status == 204, ("verify", r.status, r.body[:200])
            a.mfa = "on"
        except Exception as e:
            errors.append((a.email, e))

    todo = list(accts)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                a = todo.pop()
            one(a)

    ths = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    if errors:
        raise RuntimeError("setting up customers failed: %r" % errors[:3])
    ids = dict((e, int(i)) for e, i in sql(
        "SELECT email, id FROM customers WHERE email LIKE 'faults-%%'"))
    for a in accts:
        a.id = ids[a.email]
    return accts


# --------------------------------------------------------------------------
# The checks: pure functions of the log and what the database holds, so
# that the self-test can feed them violations.


class Facts:
    """What the database and the spool hold after a scenario."""

    def __init__(self, pool, audit_mark, addr_before, spool_mark):
        ids = ",".join(str(a.id) for a in pool) or "0"
        self.audit = {}          # request_id -> [(action, result, error_code)]
        self.audit_rows = []     # (id, account_id, action, result)
        for i, acc, action, result, err, rid in sql(
                "SELECT id, account_id, action, result, error_code, request_id "
                "FROM audit_log WHERE id > %d ORDER BY id" % audit_mark):
            self.audit.setdefault(rid, []).append((action, result, err))
            self.audit_rows.append((int(i), int(acc or 0), action, result))
        addrs = collections.defaultdict(set)
        for cid, u in sql("SELECT customer_id, uuid FROM addresses WHERE "
                          "customer_id IN (%s)" % ids):
            addrs[int(cid)].add(u)
        self.new_addresses = {a.id: addrs[a.id] - addr_before.get(a.id, set())
                              for a in pool}
        self.status = {int(c): int(s) for c, s in sql(
            "SELECT account_id, status FROM mfa_methods WHERE side = 0 AND "
            "type = 'email' AND account_id IN (%s)" % ids)}
        # The newest switch on or off the audit trail has for each account.
        self.last_switch = {}
        for acc, action in sql(
                "SELECT account_id, action FROM audit_log a WHERE side = 0 AND "
                "account_id IN (%s) AND result = 'success' AND action IN "
                "('verify', 'deactivate', 'admin_deactivate') AND id = (SELECT "
                "MAX(id) FROM audit_log b WHERE b.side = 0 AND b.account_id = "
                "a.account_id AND b.result = 'success' AND b.action IN "
                "('verify', 'deactivate', 'admin_deactivate'))" % ids):
            self.last_switch[int(acc)] = action
        self.notices = {a.id: (len(SPOOL_READER.mails(a.email, spool_mark,
                                                      ON_SUBJECT)),
                               len(SPOOL_READER.mails(a.email, spool_mark,
                                                      OFF_SUBJECT)))
                        for a in pool}


def writes(recs):
    return [r for r in recs if r.op in WRITES]


def check_acked(recs, facts):
    """Every acknowledged write has its audit row (by request id), and an
    acknowledged address is in the database."""
    bad = []
    for r in writes(recs):
        if r.kind != "ack":
            continue
        rows = facts.audit.get(r.rid, [])
        if getattr(r, "replayed", False):
            # the first answer of an Idempotency-Key, again (issue point 6):
            # the work and its audit row are the first request's
            if not any(x.key == r.key and x.kind == "unknown" for x in recs):
                bad.append("%s %s replayed a key no earlier request had" % (
                    r.op, r.rid))
        elif (AUDITED_AS[r.op], "success", None) not in rows:
            bad.append("%s %s %s acknowledged, audit rows %r" % (
                r.op, r.rid, r.path, rows))
        if r.op == "address":
            u = (r.json or {}).get("data", {}).get("id")
            if u not in facts.new_addresses.get(r.acct.id, ()):
                bad.append("address %s (request %s) acknowledged, not stored" % (
                    u, r.rid))
    return bad


def check_refused(recs, facts):
    """A refused write left no success row, and no customer has more new
    addresses than its acknowledged and unknown address POSTs."""
    bad = []
    for r in writes(recs):
        if r.kind == "refused":
            rows = [x for x in facts.audit.get(r.rid, [])
                    if x[0] == AUDITED_AS[r.op]]
            # A success row may be followed by the failure that undid it (a
            # code issued and committed, its hand-over failed: withdrawn);
            # the request's last word on its action is the refusal.
            if any(x[1] == "success" for x in rows) and \
                    rows[-1] != (AUDITED_AS[r.op], "failure", r.code):
                bad.append("%s %s refused %d %s, but audited as done: %r" % (
                    r.op, r.rid, r.status, r.code, rows))
    made = collections.Counter()
    for r in recs:
        if r.op == "address" and r.kind in ("ack", "unknown"):
            made[r.acct.id] += 1
    for acc, new in facts.new_addresses.items():
        if len(new) > made[acc]:
            bad.append("customer %d: %d new addresses, %d acknowledged or "
                       "unknown POSTs" % (acc, len(new), made[acc]))
    return bad


def check_codes(recs, facts):
    """No code accepted by two requests: client-side, and from the database
    (no customer has more new addresses than distinct codes its address
    POSTs that may have been done carried)."""
    bad = []
    seen = collections.defaultdict(list)
    for r in recs:
        if r.kind == "ack" and r.mfa and not getattr(r, "replayed", False):
            seen[(r.acct.id, r.mfa)].append(r)
    for (acc, _), rs in seen.items():
        if len(rs) > 1:
            bad.append("customer %d: one code accepted by %s" % (
                acc, ", ".join("%s %s" % (x.op, x.rid) for x in rs)))
    codes = collections.defaultdict(set)
    for r in recs:
        if r.op == "address" and r.kind in ("ack", "unknown") and r.mfa:
            codes[r.acct.id].add(r.mfa)
    for acc, new in facts.new_addresses.items():
        if len(new) > len(codes[acc]):
            bad.append("customer %d: %d new addresses from %d distinct codes" % (
                acc, len(new), len(codes[acc])))
    return bad


# The web server's own answers allowed while a program is gone (issue point
# 5: "502/503/504 from the web server itself").
SERVER_STATUSES = (502, 503, 504)


def server_answer_ok(r):
    """The web server's own 502/503/504 while a program is gone (issue point
    5): a JSON:API error document with Retry-After."""
    if r.status not in SERVER_STATUSES or "retry-after" not in r.headers:
        return False
    if not r.headers.get("content-type", "").startswith(JSONAPI):
        return False
    return isinstance(r.json, dict) and isinstance(r.json.get("errors"), list)


def check_5xx(recs, server_errors_allowed):
    """5xx only the documented ones: the program's 503 110 (database down),
    503 118 (a COMMIT's outcome lost with the connection) and 503 5910 (mail
    hand-over failed); the web server's own 502/503/504,
    as JSON:API with Retry-After, only where programs are killed."""
    bad = collections.Counter()
    for r in recs:
        if r.status is None or r.status < 500:
            continue
        if r.rid is not None:
            if not (r.status == 503 and r.code in ("110", "118", "5910")):
                bad["program %d %s" % (r.status, r.code)] += 1
        elif not (server_errors_allowed and server_answer_ok(r)):
            bad["web server %d %s%s" % (r.status, r.headers.get(
                "content-type", "-").split(";")[0], "" if "retry-after" in
                r.headers else " without Retry-After")] += 1
    return ["%s x%d" % kv for kv in sorted(bad.items())]


def check_switches(pool, facts):
    """The method's state in the database is what the newest switch in the
    audit trail says: never a switch on or off without its audit row."""
    bad = []
    for a in pool:
        st, last = facts.status.get(a.id), facts.last_switch.get(a.id)
        if st == 2 and last != "verify":
            bad.append("customer %d: MFA on, newest audited switch %r" % (a.id,
                                                                       last))
        if st in (0, 1, None) and last == "verify":
            bad.append("customer %d: MFA %s, newest audited switch: on" % (
                a.id, {0: "off", 1: "pending", None: "absent"}[st]))
    return bad


def check_notices(pool, facts):
    """Every audited switch on or off of this scenario was told by mail."""
    bad = []
    ons, offs = collections.Counter(), collections.Counter()
    for _, acc, action, result in facts.audit_rows:
        if result == "success" and action == "verify":
            ons[acc] += 1
        elif result == "success" and action == "deactivate":
            offs[acc] += 1
    for a in pool:
        n_on, n_off = facts.notices.get(a.id, (0, 0))
        if n_on < ons[a.id] or n_off < offs[a.id]:
            bad.append("customer %d: switched on %d / off %d times, told %d / %d"
                       % (a.id, ons[a.id], offs[a.id], n_on, n_off))
    return bad


def check_processes(wait=15):
    """Every program has its processes back; returns (problems, rss)."""
    want = {p: PROCS * POOLS.get(p, 1) for p in expected_programs()}
    deadline = time.monotonic() + wait
    while True:
        kids = fastcgi_children()
        count = collections.Counter(kids.values())
        missing = ["%s %d/%d" % (p, count[p], n) for p, n in want.items()
                   if count[p] != n]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    rss = collections.defaultdict(list)
    for pid, prog in kids.items():
        rss[prog].append(rss_kib(pid))
    bad = list(missing)
    try:
        if not alive(db_pid()):
            bad.append("mariadbd not running")
    except OSError:
        bad.append("no mariadbd pid file")
    return bad, rss


# --------------------------------------------------------------------------
# Faults


class Ctx:
    """What a scenario's fault reports: notes to print, its window, and
    further checks (name, problems)."""

    def __init__(self):
        self.notes = []
        self.window = None
        self.extra = []
        self.server_errors_allowed = False
        self.hammer = None


def fault_kill(ctx, load):
    ctx.server_errors_allowed = True
    t0 = time.monotonic()
    killed, th = [], None
    for i in range(5):
        time.sleep(0.8)
        kids = fastcgi_children()
        targets = [p for p, prog in kids.items() if prog in LOAD_PROGRAMS]
        if not targets:
            continue
        if i == 2:
            # every process of access-tokens at once, while a sign-in of
            # the customer the load does not use is surely in it (Argon2id
            # takes longer than 50 ms): that request, and any queued on the
            # socket, meet no process (the HTML 500s)
            th = threading.Thread(target=load.signin, args=(HAMMER,))
            th.start()
            time.sleep(0.05)
            pids = [p for p, q in kids.items() if q == "access-tokens"]
        else:
            pids = [random.choice(targets)]
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
                killed.append("%s[%d]" % (kids[p], p))
            except ProcessLookupError:
                pass
    if th is not None:
        th.join(CLIENT_TIMEOUT)
    ctx.window = (t0, time.monotonic())
    ctx.notes.append("kill -9: %s" % ", ".join(killed))
    ctx.extra.append(("faults injected (>= 5 kills)",
                      [] if len(killed) >= 5 else ["only %d kills" % len(killed)]))


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return not alive(pid)


def fault_db_stop(ctx, load):
    t0 = time.monotonic()
    instance("db-stop")
    time.sleep(2)
    t1 = time.monotonic()
    instance("db-start")
    ctx.window = (t0, time.monotonic())
    ctx.notes.append("mariadb stopped %.1f s, started again in %.1f s" % (
        t1 - t0, time.monotonic() - t1))
    expect_seen(ctx, load, "503 110")


def fault_db_kill(ctx, load):
    t0 = time.monotonic()
    pid = db_pid()
    os.kill(pid, signal.SIGKILL)
    if not wait_gone(pid, 20):
        raise RuntimeError("mariadbd %d survived SIGKILL" % pid)
    time.sleep(1.5)
    t1 = time.monotonic()
    instance("db-start")
    ctx.window = (t0, time.monotonic())
    ctx.notes.append("mariadbd[%d] killed (-9), restarted (crash recovery) in "
                     "%.1f s" % (pid, time.monotonic() - t1))
    expect_seen(ctx, load, "503 110")


def fault_db_freeze(ctx, load):
    pid = db_pid()
    hold = 8.0
    t0 = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(hold)
    finally:
        os.kill(pid, signal.SIGCONT)
    t1 = time.monotonic()
    ctx.window = (t0, t1)
    ctx.notes.append("mariadbd[%d] stopped (SIGSTOP) %.1f s, then SIGCONT" % (
        pid, t1 - t0))

    def waited(r):
        # how long the request waited while the database was frozen
        return min(r.t1, t1) - max(r.t0, t0)

    def latency(recs):
        during = [r for r in recs if r.t1 and r.t0 < t1 and r.t1 > t0]
        if not during:
            return ["no request during the freeze"]
        worst = max(during, key=waited)
        took = sorted(waited(r) for r in during)
        ctx.notes.append("requests in the freeze: %d, waiting in it p50 %.2f s, "
                         "max %.2f s (%s %s -> %s %s)" % (
                             len(took), took[len(took) // 2], took[-1],
                             worst.method, worst.path, worst.status, worst.code))
        return [] if took[-1] <= FREEZE_BOUND else [
            "a request waited %.2f s of the %.1f s freeze (bound %.1f s: issue "
            "point 4)" % (took[-1], t1 - t0, FREEZE_BOUND)]
    ctx.extra.append(("bounded waits while frozen (<= %.0f s)" % FREEZE_BOUND,
                      latency))


def expect_seen(ctx, load, what):
    def seen(recs):
        n = sum(1 for r in recs if r.kind == "refused" and
                "%s %s" % (r.status, r.code) == what)
        ctx.notes.append("%s answers: %d" % (what, n))
        return [] if n else ["the fault had no effect: no %s" % what]
    ctx.extra.append(("fault seen (%s)" % what, seen))


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(ln.split()[4] == path for ln in f)


def umount(path):
    while mounted(path):
        if subprocess.run(["umount", path]).returncode != 0:
            subprocess.run(["umount", "-l", path])
            break


def mail_fault(ctx, load, hold, inject, undo, what, hammer=True):
    """A broken mail path for hold seconds, or until the hammer has retried
    HAMMER_TRIES times (at most 2 * hold)."""
    ctx.hammer = Hammer(load, HAMMER) if hammer else None
    t0 = time.monotonic()
    inject()
    try:
        if ctx.hammer:
            ctx.hammer.th.start()
        time.sleep(hold)
        if ctx.hammer:
            ctx.hammer.th.join(hold)
    finally:
        undo()
        if ctx.hammer:
            ctx.hammer.stop_ev.set()
            ctx.hammer.th.join(CLIENT_TIMEOUT)
    ctx.window = (t0, time.monotonic())
    ctx.notes.append("%s for %.1f s%s" % (
        what, time.monotonic() - t0, "; the hammer asked for a code %d times" %
        ctx.hammer.tries if ctx.hammer else ""))
    expect_seen(ctx, load, "503 5910")


def fault_spool_full(ctx, load):
    def inject():
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k,mode=0755",
                        "glue-faults-spool", SPOOL], check=True)
        fd = os.open(os.path.join(SPOOL, "filler"), os.O_WRONLY | os.O_CREAT,
                     0o600)
        try:
            while os.write(fd, b"x" * 4096) > 0:
                pass
        except OSError:
            pass                # ENOSPC: full
        finally:
            os.close(fd)
    mail_fault(ctx, load, 4, inject, lambda: umount(SPOOL),
               "a full spool (16 KiB tmpfs over %s, filled)" % SPOOL)


# Tries of the read-only remount: the kernel refuses it (EBUSY, "mount
# point is busy") while a file is open for writing through the new bind
# mount, which under load is a mail being written at that instant.
REMOUNT_TRIES = 50
REMOUNT_PAUSE = 0.02


def fault_spool_ro(ctx, load):
    def inject():
        subprocess.run(["mount", "--bind", SPOOL, SPOOL], check=True)
        for _ in range(REMOUNT_TRIES):
            if subprocess.run(["mount", "-o", "remount,bind,ro", SPOOL],
                              stderr=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(REMOUNT_PAUSE)
        umount(SPOOL)
        raise RuntimeError("the spool could not be made read-only (%d tries)"
                           % REMOUNT_TRIES)
    mail_fault(ctx, load, 4, inject, lambda: umount(SPOOL),
               "a read-only spool (bind mount)")


SENDMAIL_MODE = os.path.join(INST, "sendmail.mode")


def set_mode(mode):
    with open(SENDMAIL_MODE + ".tmp", "w") as f:
        f.write(mode + "\n")
    os.rename(SENDMAIL_MODE + ".tmp", SENDMAIL_MODE)


def fault_sendmail_fail(ctx, load):
    mail_fault(ctx, load, 4, lambda: set_mode("fail"), lambda: set_mode("ok"),
               "sendmail command failing (exit 75)")


def fault_sendmail_hang(ctx, load):
    # No hammer: it would hold one of the two trigger processes throughout.
    mail_fault(ctx, load, 5, lambda: set_mode("hang"), lambda: set_mode("ok"),
               "sendmail command hanging", hammer=False)
    t0, t1 = ctx.window
    mailers = {"/" + p for p in (TRIGGER, ACTIVATE, VERIFY, DEACTIVATE)}

    def serving(recs):
        rs = [r for r in recs if r.path in mailers and r.t1 and r.t0 < t1
              and r.t1 > t0]
        if not rs:
            return ["no request to the MFA programs during the hang"]
        took = sorted(r.t1 - r.t0 for r in rs)
        ctx.notes.append("MFA programs during the hang: %d requests, p50 %.2f s, "
                         "max %.2f s" % (len(took), took[len(took) // 2],
                                         took[-1]))
        return [] if took[-1] <= HANG_BOUND else [
            "an MFA request took %.2f s (bound %.1f s: issue point 9, "
            "mail_timeout)" % (took[-1], HANG_BOUND)]
    ctx.extra.append(("the MFA programs keep serving (<= %.0f s)" % HANG_BOUND,
                      serving))


def fault_points():
    """The names of the fault points in the source (fault_point("name") in
    src/*.c and cgi-bin/*.c; README: reliability)."""
    names = set()
    for d in ("src", "cgi-bin"):
        for n in sorted(os.listdir(os.path.join(ROOT, d))):
            if n.endswith(".c") and n != "fault.c":
                with open(os.path.join(ROOT, d, n)) as f:
                    names.update(re.findall(r'fault_point\("([a-z0-9-]+)"\)',
                                            f.read()))
    return sorted(names)


def fault_at_points(ctx, load):
    """Each fault point in turn: the first process reaching it under the load
    kills itself there (test_fault_file), so every step a point follows
    (a commit, a hand-over, ...) is cut at least once where the load goes."""
    ctx.server_errors_allowed = True
    path = os.path.join(INST, "fault")
    t0 = time.monotonic()
    reached, missed = [], []
    for name in fault_points():
        with open(path + ".tmp", "w") as f:
            f.write(name + "\n")
        os.rename(path + ".tmp", path)
        deadline = time.monotonic() + 2.5
        while os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(path):
            os.unlink(path)
            missed.append(name)
        else:
            reached.append(name)
            time.sleep(0.3)
    ctx.window = (t0, time.monotonic())
    ctx.notes.append("fault points reached (process killed there): %s" % (
        ", ".join(reached) or "none"))
    ctx.notes.append("fault points the load does not reach: %s" % (
        ", ".join(missed) or "none"))
    if not reached and not missed:
        ctx.notes.append("(no fault points in this source: nothing injected)")
        time.sleep(1)
    ctx.extra.append(("a fault point reached where there are any",
                      [] if reached or not missed else
                      ["none of %d fault points reached" % len(missed)]))


def fault_none(ctx, load):
    time.sleep(2)
    ctx.window = None


# name, transport, fault, seconds of load before and after it
SCENARIOS = [
    ("baseline", "spool", fault_none),
    ("program-kill", "spool", fault_kill),
    ("fault-points", "spool", fault_at_points),
    ("db-stop", "spool", fault_db_stop),
    ("db-kill", "spool", fault_db_kill),
    ("db-freeze", "spool", fault_db_freeze),
    ("spool-full", "spool", fault_spool_full),
    ("spool-readonly", "spool", fault_spool_ro),
    ("sendmail-fail", "sendmail", fault_sendmail_fail),
    ("sendmail-hang", "sendmail", fault_sendmail_hang),
]
BEFORE, AFTER = 1.5, 3.0


def use_transport(transport):
    """The instance's mail transport: the spool, or tests/faults/sendmail.sh
    (through sendmail_command, delivering into the spool unless told to
    fail or hang); the programs read it when lighttpd restarts them."""
    conf = os.path.join(INST, "glue-mfa.conf")
    with open(conf) as f:
        lines = [ln for ln in f if ln.split("=", 1)[0].strip() not in
                 ("mail_transport", "sendmail_command")]
    if transport == "sendmail":
        script = os.path.join(INST, "sendmail.sh")
        shutil.copy(os.path.join(ROOT, "tests", "faults", "sendmail.sh"), script)
        os.chmod(script, 0o755)
        set_mode("ok")
        lines += ["mail_transport = sendmail\n",
                  "sendmail_command = %s %s %s\n" % (script, SPOOL, SENDMAIL_MODE)]
    else:
        lines += ["mail_transport = spool\n"]
    fd = os.open(conf + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(lines)
    os.rename(conf + ".tmp", conf)
    instance("restart-web")


# --------------------------------------------------------------------------
# Running a scenario


RESULTS = []          # (scenario, check, problems)


def figures(recs):
    acked = [r for r in recs if r.kind == "ack"]
    refused = collections.Counter("%s %s" % (r.status, r.code or "-")
                                  for r in recs if r.kind == "refused")
    unknown = collections.Counter(r.why for r in recs if r.kind == "unknown")
    noconn = sum(1 for r in recs if r.kind == "noconn")
    by_op = collections.Counter(r.op for r in acked)
    say("  requests %d (writes %d), acknowledged %d (%s)" % (
        len(recs), len(writes(recs)), len(acked),
        ", ".join("%s %d" % kv for kv in sorted(by_op.items()))))
    say("  refused %d (%s)" % (sum(refused.values()),
                               ", ".join("%s: %d" % kv
                                         for kv in sorted(refused.items())) or "-"))
    say("  unknown %d (%s), not connected %d" % (
        sum(unknown.values()), ", ".join("%s: %d" % kv for kv in
                                         sorted(unknown.items())) or "-", noconn))
    took = sorted(r.t1 - r.t0 for r in recs if r.t1)
    if took:
        say("  latency p50 %.3f s, p99 %.3f s, max %.3f s" % (
            took[len(took) // 2], took[int(len(took) * 0.99)], took[-1]))


def report(scenario, name, problems):
    RESULTS.append((scenario, name, problems))
    if problems:
        say("  FAIL  %s: %d" % (name, len(problems)))
        for p in problems[:5]:
            say("          %s" % p)
        if len(problems) > 5:
            say("          ... %d more" % (len(problems) - 5))
    else:
        say("  ok    %s" % name)


MAIL_BOUND_MAX = 3600


def after_hammer(load, ctx):
    """Issue point 2: the mail path works again, so the next trigger is
    answered 204: withdrawn codes count toward neither daily_send_cap nor
    the cool-down.  A separate bound on failed mails may still hold the
    customer back for its Retry-After (at most MAIL_BOUND_MAX seconds, not
    the 24 hours of the daily cap); then, on the test clock moved past it,
    the trigger is 204."""
    def trigger():
        return load.call(HAMMER, "trigger", "POST", "/" + TRIGGER,
                         doc(TRIGGER, {"type": "email"}), hammer=True)
    r = trigger()
    first = "%s %s" % (r.status, r.code or "")
    if r.status == 429:
        ra = int(r.headers.get("retry-after", "0") or 0)
        if ra > MAIL_BOUND_MAX:
            return ["after %d failed tries the trigger answered %s with "
                    "Retry-After %d" % (ctx.hammer.tries, first, ra)]
        clock_ahead(ra + 1)
        r = trigger()
        ctx.notes.append("after the hammer: %s, Retry-After %d; %d s later: %s" % (
            first, ra, ra + 1, r.status))
    return [] if r.status == 204 else [
        "after %d failed tries the trigger answered %s, then %s %s" % (
            ctx.hammer.tries, first, r.status, r.code)]


def final_signins(load, pool):
    """One sign-in per customer whose password changed (or may have): the
    password is the acknowledged one, or one whose answer was unknown."""
    changed = {r.acct.n for r in LOG if r.scenario == load.scenario and
               r.op == "password"}
    todo = [a for a in pool if a.n in changed and not a.broken]
    ths = []
    for chunk in (todo[i::THREADS] for i in range(THREADS)):
        th = threading.Thread(target=lambda c: [load.signin(a, final=True)
                                                for a in c], args=(chunk,))
        th.start()
        ths.append(th)
    for th in ths:
        th.join()


ADMIN = os.path.realpath(os.environ.get("GLUE_ADMIN") or
                         os.path.join(ROOT, "build", "test", "bin",
                                      "glue-mfa-admin"))


def admin_has(command):
    out = subprocess.run([ADMIN], capture_output=True, text=True, timeout=30)
    return re.search(r"glue-mfa-admin %s\b" % re.escape(command),
                     out.stdout + out.stderr) is not None


def drain_notices(pool, audit_mark, spool_mark, wait=4.0):
    """Notices may go out after their decision (an outbox, retried with
    backoff): while one is owed, the clock moves an hour ahead (once: past
    any backoff or claim), then for a few seconds each customer still owed
    one asks for its methods (a request may deliver what is due) and the
    operator tool's send-outbox runs when the tool has one."""
    deadline = time.monotonic() + wait
    sender = admin_has("send-outbox")
    moved = False
    while True:
        if moved and sender:
            subprocess.run([ADMIN, "send-outbox"], capture_output=True,
                           timeout=60, env=dict(os.environ, MFA_CONFIG=os.path.join(
                               INST, "glue-mfa.conf")))
        owed = []
        rows = sql("SELECT account_id, action, COUNT(*) FROM audit_log WHERE id > "
                   "%d AND side = 0 AND result = 'success' AND action IN "
                   "('verify', 'deactivate') GROUP BY account_id, action"
                   % audit_mark)
        want = {(int(a), act): int(n) for a, act, n in rows}
        for a in pool:
            n_on = len(SPOOL_READER.mails(a.email, spool_mark, ON_SUBJECT))
            n_off = len(SPOOL_READER.mails(a.email, spool_mark, OFF_SUBJECT))
            if n_on < want.get((a.id, "verify"), 0) or \
                    n_off < want.get((a.id, "deactivate"), 0):
                owed.append(a)
        if not owed or time.monotonic() > deadline:
            return
        if not moved:
            clock_ahead(3601)
            moved = True
        for a in owed:
            if a.token:
                send("GET", "/multi-factor-auth-types", token=a.token, timeout=10)
        time.sleep(0.5)


def wait_service(pool, seconds=30):
    """The service answers again: a token check through the database."""
    a = pool[0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = send("GET", "/multi-factor-auth-types", token=a.token, timeout=10)
        if r.status in (200, 401):
            return True
        time.sleep(0.5)
    return False


def run_scenario(name, fault, pool):
    say("\n==== %s" % name)
    t_start = time.monotonic()
    clock_ahead(2 * 86400)
    for a in pool + [HAMMER]:
        a.sends, a.cool_until = 0, 0.0
        a.live_code = a.last_code = None
    audit_mark = int(sql("SELECT COALESCE(MAX(id), 0) FROM audit_log")[0][0])
    addr_before = collections.defaultdict(set)
    for cid, u in sql("SELECT customer_id, uuid FROM addresses"):
        addr_before[int(cid)].add(u)
    spool_mark = SPOOL_READER.mark()
    violations = []
    load = Load(name, pool, violations)
    ctx = Ctx()
    load.start()
    try:
        time.sleep(BEFORE)
        fault(ctx, load)
        time.sleep(AFTER)
    finally:
        load.stop()
    if not wait_service(pool):
        violations.append("the service did not answer within 30 s after the fault")
    if ctx.hammer is not None:
        # Issue point 2: the mail path works again, so the next trigger is
        # answered 204 (withdrawn codes do not count toward the limits).
        HAMMER.token = None
        load.signin(HAMMER)
        ctx.extra.append(("a code once the mail path is back (204; at most "
                          "%d s of a bound first)" % MAIL_BOUND_MAX,
                          after_hammer(load, ctx)))
    final_signins(load, pool)
    load.mails_found()
    t_load = time.monotonic() - t_start
    for n in ctx.notes:
        say("  " + n)
    recs = [r for r in LOG if r.scenario == name]
    figures(recs)
    drain_notices(pool, audit_mark, spool_mark)
    facts = Facts(pool + [HAMMER], audit_mark, addr_before, spool_mark)
    unknown = sum(1 for r in recs if r.op == "address" and r.kind == "unknown")
    if unknown:
        acked = collections.Counter(r.acct.id for r in recs
                                    if r.op == "address" and r.kind == "ack")
        done = sum(max(0, len(new) - acked[acc])
                   for acc, new in facts.new_addresses.items())
        say("  address POSTs with an unknown answer: %d, done anyway: %d" % (
            unknown, done))
    report(name, "every acknowledged write present with its audit row",
           check_acked(recs, facts))
    report(name, "nothing refused present", check_refused(recs, facts))
    report(name, "no code accepted twice", check_codes(recs, facts))
    report(name, "no 5xx but 503 110 / 118 / 5910%s" % (
        " / the web server's JSON:API 502-504" if ctx.server_errors_allowed
        else ""), check_5xx(recs, ctx.server_errors_allowed))
    report(name, "MFA state as its newest audit row says", check_switches(pool,
                                                                       facts))
    report(name, "every switch on/off told by mail", check_notices(pool, facts))
    report(name, "the load's own expectations", violations)
    for check, problems in ctx.extra:
        n = len(ctx.notes)
        problems = problems(recs) if callable(problems) else problems
        for note in ctx.notes[n:]:
            say("  " + note)
        report(name, check, problems)
    bad, rss = check_processes()
    report(name, "every process back (%d programs x %d)" % (
        len(expected_programs()), PROCS), bad)
    mem = sorted((max(v), k) for k, v in rss.items() if k in LOAD_PROGRAMS)
    say("  RSS KiB (largest process of each program the load uses): %s" % ", ".join(
        "%s %d" % (k, v) for v, k in mem))
    say("  took %.1f s (load %.1f s)" % (time.monotonic() - t_start, t_load))
    return recs, facts


def self_test(recs, facts, pool):
    """Each check fails on a violation put into a copy of what it reads: a
    check that cannot fail is a defect."""
    import copy
    caught = []

    def expect(name, problems):
        caught.append((name, bool(problems)))

    acked = [r for r in writes(recs) if r.kind == "ack"]
    refused = [r for r in writes(recs) if r.kind == "refused"]
    if acked:
        f = copy.copy(facts)
        f.audit = dict(facts.audit)
        f.audit[acked[0].rid] = []
        expect("acknowledged write without its audit row", check_acked(recs, f))
    if refused:
        f = copy.copy(facts)
        f.audit = dict(facts.audit)
        f.audit[refused[0].rid] = [(AUDITED_AS[refused[0].op], "success", None)]
        expect("refused write audited as done", check_refused(recs, f))
    f = copy.copy(facts)
    f.new_addresses = dict(facts.new_addresses)
    f.new_addresses[pool[0].id] = set(f.new_addresses[pool[0].id]) | {"x" * 36}
    expect("an address nobody may have made", check_refused(recs, f))
    expect("an address nobody may have made (codes)", check_codes(recs, f))
    coded = [r for r in recs if r.kind == "ack" and r.mfa]
    if coded:
        expect("one code accepted twice", check_codes(recs + [coded[0]], facts))
    fake = Answer(status=500, rid=None, code=None, json=None, kind="unknown",
                  headers={"content-type": "text/html"}, why="web server 500",
                  op="read", mfa=None, acct=pool[0], t0=0, t1=0)
    expect("the web server's HTML 500", check_5xx(recs + [fake], True))
    f = copy.copy(facts)
    f.status = dict(facts.status)
    f.status[pool[0].id] = 2 if facts.status.get(pool[0].id) != 2 else 0
    expect("a switch without its audit row", check_switches(pool, f))
    f = copy.copy(facts)
    f.audit_rows = facts.audit_rows + [(0, pool[0].id, "verify", "success")] * 50
    expect("a switch not told", check_notices(pool, f))
    missed = [n for n, ok in caught if not ok]
    report("self-test", "%d/%d injected violations caught" % (
        len(caught) - len(missed), len(caught)),
        ["not caught: " + n for n in missed])


HAMMER = None


def main():
    global HAMMER
    only = [s for s in os.environ.get("FAULTS_ONLY", "").split(",") if s]
    names = [s[0] for s in SCENARIOS]
    unknown = [s for s in only if s not in names]
    if unknown:
        say("FAULTS_ONLY: no scenario %s (there are: %s)" % (
            ", ".join(unknown), ", ".join(names)))
        return 2
    t0 = time.monotonic()
    pool = setup_pool(THREADS * PER_THREAD + 1)
    HAMMER = pool.pop()
    say("set-up: %d customers with e-mail MFA on (+1 for the mail retries), "
        "%.1f s; %d client threads; port %d" % (len(pool), time.monotonic() - t0,
                                                THREADS, PORT))
    transport = "spool"
    try:
        for name, want, fault in SCENARIOS:
            if only and name not in only:
                continue
            if want != transport:
                use_transport(want)
                transport = want
                say("\n(mail transport now %s; lighttpd restarted)" % want)
            recs, facts = run_scenario(name, fault, pool)
            if name == "baseline":
                self_test(recs, facts, pool)
    finally:
        umount(SPOOL)
        try:
            for pid in [db_pid()]:
                os.kill(pid, signal.SIGCONT)
        except OSError:
            pass
    failed = [(s, c, p) for s, c, p in RESULTS if p]
    say("\n==== summary (%.0f s)" % (time.monotonic() - t0))
    total = collections.Counter()
    for r in LOG:
        total[r.kind] += 1
    say("requests %d: acknowledged %d, refused %d, unknown %d, not connected %d" % (
        len(LOG), total["ack"], total["refused"], total["unknown"],
        total["noconn"]))
    for s, c, p in failed:
        say("FAILED  %s: %s (%d)" % (s, c, len(p)))
    say("\n%d passed, %d failed" % (len(RESULTS) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("\nfaults.py: interrupted (mounts undone)")
        sys.exit(130)
