#!/usr/bin/python3
"""Memory check of one FastCGI process, for bench/run.sh.

usage: mem.py NAME BASE SOCKET_PREFIX REQUESTS LIMIT_KIB MAX_KIB STATUS
              (METHOD PATH TOKEN [BODY] | @LINES)

Finds the process listening on the unix socket(s) SOCKET_PREFIX,
SOCKET_PREFIX-0, ... (lighttpd appends -N per process) through
/proc/net/unix and /proc/*/fd, never by process name; requires exactly one
(run.sh restarts lighttpd with max-procs 1 so that every request reaches
it).  Sends REQUESTS requests of the program's own kind, one at a time
over keep-alive, reads VmRSS, sends REQUESTS more, reads it again and
prints both and the growth.  The request is METHOD PATH with TOKEN as
bearer token ("-": none) and BODY (a JSON:API document), or one line of
the file LINES per request (bench/once.lua's format: requests that work
once each; it must hold 2 x REQUESTS lines).  Every answer must have the
status STATUS (0: the first answer's, for the programs measured with a
refusal they repeat).  A BODY starting with "{" is sent as JSON:API, any
other as a form (the OAuth token endpoints).

Exit status: 0 fine, 1 could not run (or an answer of another status),
2 VmRSS grew by more than LIMIT_KIB or ended above MAX_KIB.
"""

import http.client
import os
import sys
import urllib.parse


def socket_inodes(prefix):
    inodes = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            cols = line.split()
            if len(cols) < 8:
                continue
            path = cols[7]
            rest = path[len(prefix):]
            if path.startswith(prefix) and (rest == "" or
                                            (rest[0] == "-" and rest[1:].isdigit())):
                inodes.add("socket:[%s]" % cols[6])
    return inodes


def pids_holding(inodes):
    pids = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) in inodes:
                    pids.add(int(pid))
                    break
        except OSError:
            continue    # gone, or not ours to read
    return pids


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def requests_of(spec, n):
    """The 2 n requests (method, target, headers, body) of a spec."""
    if spec[0].startswith("@"):
        with open(spec[0][1:]) as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip()]
        if len(lines) < 2 * n:
            raise RuntimeError("%s holds %d lines, not %d"
                               % (spec[0][1:], len(lines), 2 * n))
        specs = [ln.split(" ", 3) for ln in lines[:2 * n]]
    else:
        specs = [spec + [""] * (4 - len(spec))] * (2 * n)
    out = []
    for method, path, token, body in specs:
        headers = {"Accept": "application/vnd.api+json"}
        if token != "-":
            headers["Authorization"] = "Bearer " + token
        if body:
            headers["Content-Type"] = ("application/vnd.api+json"
                                       if body.startswith("{") else
                                       "application/x-www-form-urlencoded")
        out.append((method, path, headers, body.encode() or None))
    return out


def hammer(base, reqs, status):
    """Sends reqs; returns (how many did not answer status, status); status
    0 takes the first answer's."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    bad = 0
    for method, target, headers, body in reqs:
        # HTTPConnection reopens by itself when the server closes
        # (lighttpd ends a keep-alive connection after 1000 requests).
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if status == 0:
            status = resp.status
        if resp.status != status:
            bad += 1
    conn.close()
    return bad, status


def main(argv):
    if len(argv) < 9:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 1
    name, base, prefix = argv[1], argv[2], argv[3]
    n, limit, most, status = int(argv[4]), int(argv[5]), int(argv[6]), int(argv[7])
    reqs = requests_of(argv[8:], n)

    pids = pids_holding(socket_inodes(prefix))
    if len(pids) != 1:
        print("bench: memory: %s: expected one process on %s*, found %s"
              % (name, prefix, sorted(pids) or "none"), file=sys.stderr)
        return 1
    pid = pids.pop()

    rss = []
    for half in (reqs[:n], reqs[n:]):
        bad, status = hammer(base, half, status)
        if bad:
            print("bench: memory: %s: %d of %d requests did not answer %d"
                  % (name, bad, n, status), file=sys.stderr)
            return 1
        if pids_holding(socket_inodes(prefix)) != {pid}:
            print("bench: memory: %s: process %d was replaced during the run"
                  % (name, pid), file=sys.stderr)
            return 1
        rss.append(vmrss_kib(pid))

    growth = rss[1] - rss[0]
    print("memory: %-34s %d  pid %7d VmRSS after %6d: %6d KiB, after %6d:"
          " %6d KiB, growth %+5d KiB" % (name, status, pid, n, rss[0], 2 * n,
                                         rss[1], growth))
    if growth > limit:
        print("bench: FAIL: %s: VmRSS of pid %d grew by %d KiB over %d requests"
              " (more than %d KiB): a leak?" % (name, pid, growth, n, limit))
        return 2
    if rss[1] > most:
        print("bench: FAIL: %s: VmRSS of pid %d is %d KiB, above %d KiB"
              % (name, pid, rss[1], most))
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, RuntimeError, http.client.HTTPException) as e:
        print("bench: memory: %s" % e, file=sys.stderr)
        sys.exit(1)
