#!/usr/bin/python3
"""CPU time of the database server and of a program's processes, for
bench/run.sh: wall-clock rates on a shared machine are noisy, the CPU
that each side spends per request much less so.

usage: cpu.py INSTANCE SOCKET_NAME

Prints "DB_TICKS PROGRAM_TICKS" (clock ticks, utime + stime): the
mariadbd of INSTANCE (its pid file) and every process holding a unix
socket INSTANCE/run/SOCKET_NAME.sock or .sock-N, found through
/proc/net/unix and /proc/*/fd as mem.py finds them, never by name.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mem import pids_holding, socket_inodes  # noqa: E402


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        cols = f.read().rsplit(")", 1)[1].split()
    return int(cols[11]) + int(cols[12])     # utime, stime (fields 14, 15)


def main(argv):
    inst, name = argv[1], argv[2]
    with open(os.path.join(inst, "run", "mysqld.pid")) as f:
        db = ticks(int(f.read().strip()))
    prefix = os.path.join(inst, "run", name + ".sock")
    prog = sum(ticks(p) for p in pids_holding(socket_inodes(prefix)))
    print(db, prog)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
