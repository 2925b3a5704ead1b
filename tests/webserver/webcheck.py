#!/usr/bin/python3
"""Checks of the web server in front of the programs (contract §9.7, §9.8).

  webcheck.py slow URL [--conns 2000] [--seconds 12]
      Opens CONNS connections from this one process (non-blocking sockets)
      and sends each a request header one byte at a time, a byte per
      connection per second, never finishing it; meanwhile a normal client
      asks for URL every 0.25 s on a fresh connection.  Prints the figures;
      exit 0 when every normal request was answered (any HTTP status) and,
      with --expect-closed, the server cut every slow connection.

  webcheck.py restart URL --command CMD [--threads 4] [--seconds 6] [--pause S]
      THREADS clients ask for URL in a loop (a fresh connection each time)
      while CMD (a shell command, e.g. a graceful restart) runs once at the
      middle of the run.  Each answer is counted as ok (the status wanted,
      --status, default 200, with X-Request-Id), refused (the connection
      was refused: nothing was sent) or an error (anything else: another
      status, a reset, a timeout).  Meanwhile INFLIGHT (default 2) sign-ins
      of the demo customer are in flight across CMD: half the body sent
      before it starts, the rest a second after; each must end with the
      program's 201.  Prints the counts; exit 0 when there is no error,
      every sign-in in flight got its 201 and CMD succeeded.

  webcheck.py burst URL [--requests 3000] [--threads 6] [--min-passed 1000]
                        [--retry-after 1] [--recover 6]
      REQUESTS requests as fast as THREADS keep-alive connections carry
      them, from this one address: a web server with a per-address rate
      limit refuses some with 429.  Then, RECOVER seconds after the burst,
      one more request (the limit's window is over: it must pass).  Exit 0
      when some were refused, each of those exactly as www/errors/429.json
      (the JSON:API document of code 124, Content-Type
      application/vnd.api+json, Retry-After RETRY_AFTER), at least
      MIN_PASSED were answered 200 (the burst the limit lets through),
      every other answer was 200, and so was the request after RECOVER.

URL is http://HOST:PORT/PATH; --header "Name: value" adds request headers.
"""
import argparse
import errno
import http.client
import json
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit


def target(url):
    u = urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return u.hostname, u.port or 80, path


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    want = need if hard == resource.RLIM_INFINITY or hard >= need else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(need, hard)))
        return need
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        return want


def one_request(host, port, path, headers, timeout=10.0):
    """(status, headers dict, seconds) or raises OSError."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, time.monotonic() - t0
    finally:
        c.close()


def parse_headers(items):
    out = {"Accept": "application/vnd.api+json"}
    for h in items or ():
        k, _, v = h.partition(":")
        out[k.strip()] = v.strip()
    return out


# ---------------------------------------------------------------- slow

def cmd_slow(a):
    host, port, path = target(a.url)
    headers = parse_headers(a.header)
    limit = raise_nofile(a.conns + 256)
    if limit < a.conns + 64:
        print("slow: RLIMIT_NOFILE is %d, fewer than %d connections" % (limit, a.conns))
        return 2
    header = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nX-Slow: " % (path, host, port)).encode()
    header += b"a" * 4096
    sel = selectors.DefaultSelector()
    conns = {}
    refused = 0
    t0 = time.monotonic()
    for i in range(a.conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            refused += 1
            s.close()
            continue
        conns[s] = 0
        sel.register(s, selectors.EVENT_READ)
    opened = len(conns)
    closed = 0
    normal = {"asked": 0, "answered": 0, "failed": 0, "max": 0.0, "sum": 0.0}
    statuses = {}
    stop = threading.Event()

    def normal_client():
        while not stop.is_set():
            normal["asked"] += 1
            try:
                st, _, took = one_request(host, port, path, headers, timeout=a.seconds + 10)
                normal["answered"] += 1
                statuses[st] = statuses.get(st, 0) + 1
                normal["max"] = max(normal["max"], took)
                normal["sum"] += took
            except OSError as e:
                normal["failed"] += 1
                statuses[type(e).__name__] = statuses.get(type(e).__name__, 0) + 1
            stop.wait(0.25)

    th = threading.Thread(target=normal_client, daemon=True)
    th.start()
    next_round = time.monotonic()
    while time.monotonic() - t0 < a.seconds:
        # One byte to every connection still open, once a second.
        if time.monotonic() >= next_round:
            for s in list(conns):
                try:
                    n = s.send(header[conns[s]:conns[s] + 1])
                    conns[s] += n
                    if conns[s] >= len(header):
                        conns[s] = len(header) - 1
                except BlockingIOError:
                    pass
                except OSError:
                    sel.unregister(s)
                    s.close()
                    del conns[s]
                    closed += 1
            next_round += 1.0
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:       # closed by the server (or an answer, then closed)
                sel.unregister(s)
                s.close()
                del conns[s]
                closed += 1
    stop.set()
    th.join(a.seconds + 15)
    still = len(conns)
    for s in conns:
        s.close()
    avg = normal["sum"] / normal["answered"] if normal["answered"] else 0.0
    print("slow: %d slow connections asked, %d opened, %d refused at connect; "
          "after %d s %d still open, %d closed by the server"
          % (a.conns, opened, refused, a.seconds, still, closed))
    print("slow: normal client: %d requests, %d answered (%s), %d failed; "
          "latency max %.3f s, mean %.3f s"
          % (normal["asked"], normal["answered"],
             ", ".join("%s x%d" % (k, v) for k, v in sorted(statuses.items(), key=str)),
             normal["failed"], normal["max"], avg))
    ok = normal["failed"] == 0 and normal["answered"] > 0 and opened >= a.conns * 0.9
    if a.expect_closed and still:
        print("slow: %d slow connections were not cut by the server" % still)
        ok = False
    print("slow: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


# ---------------------------------------------------------------- restart

def cmd_restart(a):
    host, port, path = target(a.url)
    headers = parse_headers(a.header)
    counts = {"ok": 0, "refused": 0, "error": 0}
    errors = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                st, h, _ = one_request(host, port, path, headers, timeout=30)
                kind = "ok" if st == a.status and "x-request-id" in h else "error"
                what = "status %d%s" % (st, "" if "x-request-id" in h else " (web server's own)")
            except ConnectionRefusedError:
                kind, what = "refused", ""
            except (OSError, http.client.HTTPException) as e:
                kind, what = "error", type(e).__name__
            with lock:
                counts[kind] += 1
                if kind == "error":
                    errors[what] = errors.get(what, 0) + 1
            if kind == "refused":
                time.sleep(0.05)
            elif a.pause:
                time.sleep(a.pause)

    # Requests in flight across the restart: a sign-in (the demo customer)
    # whose body is half sent before the command starts, the rest a second
    # after; a graceful restart lets it end with the program's answer.
    inflight = []
    cmd_started = threading.Event()

    def in_flight():
        body = json.dumps({"data": {"type": "access-tokens", "attributes": {
            "username": "sonia@example.com", "password": "change123"}}}).encode()
        head = ("POST /access-tokens HTTP/1.1\r\nHost: %s:%d\r\n"
                "Content-Type: application/vnd.api+json\r\n"
                "Accept: application/vnd.api+json\r\nContent-Length: %d\r\n"
                "Connection: close\r\n\r\n" % (host, port, len(body))).encode()
        what = "no answer"
        try:
            sk = socket.create_connection((host, port), timeout=60)
            try:
                sk.sendall(head + body[:20])
                cmd_started.wait(60)
                time.sleep(1.0)
                sk.sendall(body[20:])
                buf = b""
                while True:
                    chunk = sk.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
            finally:
                sk.close()
            line, _, rest = buf.partition(b"\r\n")
            hdrs = rest.split(b"\r\n\r\n", 1)[0].lower()
            if line.startswith(b"HTTP/"):
                what = "%s%s" % (line.split()[1].decode(),
                                 "" if b"x-request-id:" in hdrs else " (web server's own)")
        except OSError as e:
            what = type(e).__name__
        with lock:
            inflight.append(what)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(a.threads)]
    for t in threads:
        t.start()
    time.sleep(a.seconds / 2)
    flying = [threading.Thread(target=in_flight, daemon=True) for _ in range(a.inflight)]
    for t in flying:
        t.start()
    time.sleep(0.3)
    with lock:
        before = dict(counts)
    t_cmd = time.monotonic()
    cmd_started.set()
    proc = subprocess.run(a.command, shell=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    took = time.monotonic() - t_cmd
    for t in flying:
        t.join(60)
    time.sleep(a.seconds / 2)
    stop.set()
    for t in threads:
        t.join(40)
    print("restart: command (%.1f s, exit %d): %s" % (took, proc.returncode,
                                                      proc.stdout.strip().replace("\n", " | ")))
    print("restart: %d threads, %d s: %d ok (%d before the restart), %d refused, %d errors%s"
          % (a.threads, a.seconds, counts["ok"], before["ok"], counts["refused"],
             counts["error"],
             "" if not errors else " (" + ", ".join("%s x%d" % kv for kv in errors.items()) + ")"))
    ok = counts["error"] == 0 and proc.returncode == 0 and counts["ok"] > before["ok"] > 0
    if a.inflight:
        print("restart: %d sign-ins in flight across the restart (body sent 1 s after "
              "it began): %s" % (a.inflight, ", ".join(sorted(inflight)) or "none"))
        ok = ok and inflight.count("201") == a.inflight
    print("restart: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


# ---------------------------------------------------------------- burst

TOO_MANY = {"errors": [{"status": "429", "code": "124",
                        "detail": "Too many requests from this address."}]}


def cmd_burst(a):
    host, port, path = target(a.url)
    headers = parse_headers(a.header)
    counts = {}
    bad = []
    lock = threading.Lock()
    left = [a.requests]

    def client():
        c = None
        used = 0        # requests answered on c
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            try:
                if c is None:
                    c, used = http.client.HTTPConnection(host, port, timeout=30), 0
                try:
                    c.request("GET", path, headers=headers)
                    r = c.getresponse()
                except (http.client.RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError):
                    # A kept-alive connection the server closed as idle
                    # just as the request went out (Apache's event MPM does
                    # when busy): the request was never read, and a client
                    # may send an idempotent one again on a new connection
                    # (RFC 9112 9.3.1).  Once; a fresh connection's failure
                    # counts.
                    if used == 0:
                        raise
                    c.close()
                    c, used = http.client.HTTPConnection(host, port, timeout=30), 0
                    with lock:
                        counts["resent after an idle close"] = \
                            counts.get("resent after an idle close", 0) + 1
                    c.request("GET", path, headers=headers)
                    r = c.getresponse()
                used += 1
                body = r.read()
                h = {k.lower(): v for k, v in r.getheaders()}
                key = r.status
                if r.status == 429:
                    try:
                        doc = json.loads(body)
                    except ValueError:
                        doc = None
                    if (doc != TOO_MANY or h.get("retry-after") != a.retry_after or
                            h.get("content-type") != "application/vnd.api+json"):
                        bad.append((r.status, h, body[:200]))
                if h.get("connection", "").lower() == "close":
                    c.close()
                    c = None
            except (OSError, http.client.HTTPException) as e:
                key = type(e).__name__
                if c is not None:
                    c.close()
                c = None
            with lock:
                counts[key] = counts.get(key, 0) + 1
        if c is not None:
            c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    print("burst: %d requests in %.2f s (%d threads): %s" % (
        a.requests, took, a.threads,
        ", ".join("%s x%d" % kv for kv in sorted(counts.items(), key=str))))
    if bad:
        print("burst: 429 answers not as www/errors/429.json: %d, e.g. %r" % (len(bad), bad[0]))
    ok = counts.get(429, 0) > 0 and not bad and \
        counts.get(200, 0) + counts.get(429, 0) == a.requests
    if counts.get(200, 0) < a.min_passed:
        print("burst: only %d answered 200, fewer than the %d the limit lets through"
              % (counts.get(200, 0), a.min_passed))
        ok = False
    if a.recover:
        time.sleep(a.recover)
        try:
            st, h, _ = one_request(host, port, path, headers)
            what = "%d" % st
        except (OSError, http.client.HTTPException) as e:
            st, what = None, type(e).__name__
        print("burst: %d s after the burst, the next request: %s" % (a.recover, what))
        ok = ok and st == 200
    print("burst: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("slow")
    s.add_argument("url")
    s.add_argument("--conns", type=int, default=2000)
    s.add_argument("--seconds", type=int, default=12)
    s.add_argument("--header", action="append")
    s.add_argument("--expect-closed", action="store_true",
                   help="fail unless the server cut every slow connection")
    r = sub.add_parser("restart")
    r.add_argument("url")
    r.add_argument("--command", required=True)
    r.add_argument("--threads", type=int, default=4)
    r.add_argument("--seconds", type=int, default=6)
    r.add_argument("--status", type=int, default=200)
    r.add_argument("--inflight", type=int, default=2,
                   help="sign-ins whose body is still being sent when CMD starts")
    r.add_argument("--pause", type=float, default=0.0,
                   help="seconds each client waits between requests (stay under a rate limit)")
    r.add_argument("--header", action="append")
    b = sub.add_parser("burst")
    b.add_argument("url")
    b.add_argument("--requests", type=int, default=3000)
    b.add_argument("--threads", type=int, default=6)
    b.add_argument("--min-passed", type=int, default=1000,
                   help="answers 200 the limit must let through (its burst)")
    b.add_argument("--retry-after", default="1",
                   help="the Retry-After every 429 must carry")
    b.add_argument("--recover", type=float, default=6.0,
                   help="seconds after the burst to wait for one more request, "
                   "which must pass (0: none)")
    b.add_argument("--header", action="append")
    a = p.parse_args()
    return {"slow": cmd_slow, "restart": cmd_restart, "burst": cmd_burst}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
