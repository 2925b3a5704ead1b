#!/usr/bin/python3
"""Memory check of one FastCGI process, for bench/run.sh.

usage: mem.py URL SOCKET_PREFIX REQUESTS LIMIT_KIB [TOKEN]

Finds the process listening on the unix socket(s) SOCKET_PREFIX,
SOCKET_PREFIX-0, ... (lighttpd appends -N per process) through
/proc/net/unix and /proc/*/fd, never by process name; requires exactly one
(run.sh restarts lighttpd with max-procs 1 so that every request reaches
it).  Sends REQUESTS GET requests, one at a time over keep-alive, reads
VmRSS, sends REQUESTS more, reads it again and prints both and the growth.

Exit status: 0 fine, 1 could not run (or a request did not answer 200),
2 VmRSS grew by more than LIMIT_KIB.
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


def hammer(url, n, token):
    """Sends exactly n requests; returns how many did not answer 200."""
    u = urllib.parse.urlsplit(url)
    target = u.path + ("?" + u.query if u.query else "")
    headers = {"Accept": "application/vnd.api+json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    bad = 0
    for _ in range(n):
        # HTTPConnection reopens by itself when the server closes
        # (lighttpd ends a keep-alive connection after 1000 requests).
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            bad += 1
    conn.close()
    return bad


def main(argv):
    if len(argv) not in (5, 6):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 1
    url, prefix, n, limit = argv[1], argv[2], int(argv[3]), int(argv[4])
    token = argv[5] if len(argv) == 6 else ""

    pids = pids_holding(socket_inodes(prefix))
    if len(pids) != 1:
        print("bench: memory: expected one process on %s*, found %s"
              % (prefix, sorted(pids) or "none"), file=sys.stderr)
        return 1
    pid = pids.pop()

    rss = []
    for _ in range(2):
        bad = hammer(url, n, token)
        if bad:
            print("bench: memory: %d of %d requests did not answer 200"
                  % (bad, n), file=sys.stderr)
            return 1
        if pids_holding(socket_inodes(prefix)) != {pid}:
            print("bench: memory: process %d was replaced during the run"
                  % pid, file=sys.stderr)
            return 1
        rss.append(vmrss_kib(pid))

    growth = rss[1] - rss[0]
    print("memory: pid %d VmRSS after %d requests: %d KiB, after %d: %d KiB,"
          " growth %+d KiB (limit %d KiB)"
          % (pid, n, rss[0], 2 * n, rss[1], growth, limit))
    if growth > limit:
        print("bench: FAIL: VmRSS of pid %d grew by %d KiB over %d requests"
              " (more than %d KiB): a leak?" % (pid, growth, n, limit))
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, RuntimeError, http.client.HTTPException) as e:
        print("bench: memory: %s" % e, file=sys.stderr)
        sys.exit(1)
