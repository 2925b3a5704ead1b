"""The web server in front of the programs (contract §9.7, §9.8), here the
development lighttpd that tools/instance.sh configures (tools/serve.sh test
checks the same of each example configuration).

- A program killed with requests queued on its socket: each of them is
  answered by lighttpd itself with the JSON:API document of www/errors/
  (502 121, Retry-After, no X-Request-Id: no program answered), and the
  program is back for the next request.
- 2,000 slow connections (headers a byte at a time) leave a normal client
  answered (tests/webserver/webcheck.py slow; its figures are printed).
- A burst over the per-address rate (3000 requests at once from this one
  address, etc/rate-limit.lua under mod_magnet): the first 1000 pass, the
  rest are answered 429 with the JSON:API document of code 124 and
  Retry-After 1 by lighttpd itself, and 6 s later requests pass again
  (webcheck.py burst; counts printed).
- tools/instance.sh restart-web under load (4 clients, each pausing 40 ms
  between requests: below the per-address rate): no error, only
  refused connections at most, and two sign-ins whose bodies were still
  being sent when the restart began both end with the program's 201
  (webcheck.py restart; counts printed).
- A start that fails at a step stops what it started and names the step;
  the next start really starts (an instance of its own, port PORT + 5).
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import BASE, INSTANCE, JSONAPI, MODE, ROOT, _host_port

HOST, PORT = _host_port(BASE)
WEBCHECK = os.path.join(ROOT, "tests", "webserver", "webcheck.py")
INSTANCE_SH = os.path.join(ROOT, "tools", "instance.sh")
PY = "/usr/bin/python3"
GONE = {"errors": [{"status": "502", "code": "121",
                    "detail": "No answer from the program."}]}


def needs_instance():
    if not INSTANCE or not os.path.exists(os.path.join(INSTANCE, "lighttpd.conf")):
        pytest.skip("needs the development instance (GLUE_INSTANCE) and its lighttpd")


def get(path, timeout=30):
    c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        c.request("GET", path, headers={"Accept": JSONAPI})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def socket_pids(paths):
    """Pids of the processes holding the listening UNIX sockets at paths
    (their inodes in /proc/net/unix, then each process's fds): never by name."""
    inodes = set()
    with open("/proc/net/unix") as f:
        next(f)
        for ln in f:
            parts = ln.split()
            if len(parts) >= 8 and parts[7] in paths:
                inodes.add(parts[6])
    pids = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                pids.add(int(pid))
                break
    return sorted(pids)


def program_sockets(name):
    run = os.path.join(INSTANCE, "run")
    return [os.path.join(run, f) for f in sorted(os.listdir(run))
            if f.startswith(name + ".sock-")]


def instance_env(**over):
    env = dict(os.environ)
    env.update({"GLUE_INSTANCE": INSTANCE, "PORT": str(PORT), "GLUE_MODE": MODE})
    env.update(over)
    return env


# ---------------------------------------------------------------- killed

def test_program_killed_with_requests_queued_answers_jsonapi():
    needs_instance()
    if MODE != "fcgi":
        pytest.skip("FastCGI only: under plain CGI nothing is queued on a socket")
    st, h, _ = get("/customers/DE--1")
    assert st == 403 and "x-request-id" in h, (st, h)
    socks = program_sockets("customers")
    pids = socket_pids(socks)
    assert len(pids) >= 1, socks
    results = []
    for pid in pids:
        os.kill(pid, 19)            # SIGSTOP: requests wait on the socket
    try:
        def one():
            results.append(get("/customers/DE--1"))
        threads = [threading.Thread(target=one) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(1.5)             # lighttpd has handed them to the socket
    finally:
        for pid in pids:
            os.kill(pid, 9)
    for t in threads:
        t.join(30)
    print("killed customers %s with 3 requests queued: %s"
          % (pids, [r[0] for r in results]))
    assert len(results) == 3
    for st, h, body in results:
        assert st == 502, (st, h, body)
        assert h.get("content-type") == JSONAPI, h
        assert h.get("retry-after") == "1", h
        assert "x-request-id" not in h, h       # no program answered
        assert json.loads(body) == GONE, body
    # lighttpd starts the program again: the next request is its answer.
    deadline = time.monotonic() + 20
    while True:
        st, h, _ = get("/customers/DE--1")
        if st == 403 and "x-request-id" in h:
            break
        assert time.monotonic() < deadline, (st, h)
        time.sleep(0.2)
    assert not set(pids) & set(socket_pids(program_sockets("customers")))


def test_a_program_answer_is_never_replaced():
    """The error handler is for lighttpd's own errors: the programs' own
    error answers (here 404 and 403) pass unchanged."""
    st, h, body = get("/customers/DE--1/x")
    assert st == 404 and "x-request-id" in h, (st, h)
    assert json.loads(body)["errors"][0]["code"] == "103"
    st, h, body = get("/customers/DE--1")
    assert st == 403 and "x-request-id" in h and "retry-after" not in h, (st, h)


# ---------------------------------------------------------------- limits

def test_two_thousand_slow_connections_leave_a_client_answered():
    needs_instance()
    out = subprocess.run([PY, WEBCHECK, "slow", BASE + "/customers/DE--1",
                          "--conns", "2000", "--seconds", "12"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=120)
    print(out.stdout)
    assert out.returncode == 0, out.stdout
    assert "2000 opened" in out.stdout, out.stdout
    assert ", 0 failed;" in out.stdout, out.stdout


def test_burst_over_the_per_address_rate_is_answered_429():
    needs_instance()
    with open(os.path.join(INSTANCE, "lighttpd.conf")) as f:
        if "rate-limit.lua" not in f.read():
            pytest.skip("the instance runs without the limit (GLUE_RATE_LIMIT=off)")
    out = subprocess.run([PY, WEBCHECK, "burst", BASE + "/favicon.svg",
                          "--requests", "3000", "--threads", "6", "--min-passed", "1000",
                          "--retry-after", "1", "--recover", "6"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=180)
    print(out.stdout)
    assert out.returncode == 0, out.stdout
    assert "the next request: 200" in out.stdout, out.stdout
    # The programs answer as before.
    st, h, _ = get("/customers/DE--1")
    assert st == 403 and "x-request-id" in h, (st, h)


# ---------------------------------------------------------------- restart

def test_graceful_restart_under_load():
    needs_instance()
    cmd = "%s restart-web" % INSTANCE_SH
    out = subprocess.run([PY, WEBCHECK, "restart", BASE + "/customers/DE--1",
                          "--status", "403", "--threads", "4", "--seconds", "6",
                          "--pause", "0.04", "--command", cmd],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=180, env=instance_env())
    print(out.stdout)
    assert out.returncode == 0, out.stdout
    assert "restarted gracefully" in out.stdout, out.stdout
    assert " 0 errors" in out.stdout, out.stdout
    assert "2 sign-ins in flight" in out.stdout and ": 201, 201" in out.stdout, out.stdout
    st, h, _ = get("/customers/DE--1")
    assert st == 403 and "x-request-id" in h


# ---------------------------------------------------------------- start

def pid_alive(path):
    try:
        with open(path) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    return os.path.exists("/proc/%d" % pid)


def listening_on(port):
    s = socket.socket()
    try:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        s.close()


def test_failed_start_stops_what_it_started():
    needs_instance()
    port = PORT + 5
    if listening_on(port):
        pytest.skip("port %d is taken" % port)
    base = tempfile.mkdtemp(prefix="glue-start-", dir="/tmp")
    inst = os.path.join(base, "inst")
    env = instance_env(GLUE_INSTANCE=inst, PORT=str(port),
                       GLUE_CONFIG_EXTRA="no_such_key = 1")
    env.pop("GLUE_BENCH_BIN", None)
    run = os.path.join(inst, "run")

    def start():
        r = subprocess.run([INSTANCE_SH, "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, timeout=300)
        print("start: exit %d; stderr: %s" % (r.returncode, r.stderr.strip()))
        return r

    def nothing_runs():
        assert not pid_alive(os.path.join(run, "mysqld.pid"))
        assert not pid_alive(os.path.join(run, "lighttpd.pid"))
        assert not socket_pids([os.path.join(run, "mysqld.sock")])
        assert not listening_on(port)

    blocker = None
    try:
        # 1. A key the programs and the operator tool refuse.
        r = start()
        assert r.returncode != 0
        assert "no_such_key" in r.stderr, r.stderr
        assert "start failed at step seed" in r.stderr, r.stderr
        assert "stopping what it started" in r.stderr, r.stderr
        nothing_runs()
        # 2. The configuration fixed, the port taken: MariaDB started, then
        #    the web server's step failed, and MariaDB is stopped again.
        conf = os.path.join(inst, "glue-mfa.conf")
        with open(conf) as f:
            lines = [ln for ln in f if not ln.startswith("no_such_key")]
        with open(conf, "w") as f:
            f.writelines(lines)
        blocker = subprocess.Popen([PY, "-m", "http.server", "--bind", "127.0.0.1",
                                    str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd=base)
        deadline = time.monotonic() + 10
        while not listening_on(port):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        r = start()
        assert r.returncode != 0
        assert "mariadb started" in r.stdout, r.stdout
        assert "already in use" in r.stderr, r.stderr
        assert "start failed at step web-start" in r.stderr, r.stderr
        blocker.terminate()
        blocker.wait(10)
        blocker = None
        nothing_runs()
        # 3. Nothing in the way: the next start really starts.
        r = start()
        assert r.returncode == 0, r.stderr
        assert "lighttpd started" in r.stdout and "mariadb started" in r.stdout, r.stdout
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/customers/DE--1", headers={"Accept": JSONAPI})
        resp = c.getresponse()
        assert resp.status == 403 and resp.getheader("X-Request-Id"), resp.status
        c.close()
    finally:
        if blocker is not None:
            blocker.terminate()
            blocker.wait(10)
        subprocess.run([INSTANCE_SH, "stop"], env=env, timeout=120)
        nothing_runs()
        shutil.rmtree(base, ignore_errors=True)
