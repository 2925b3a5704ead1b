#!/usr/bin/python3
"""Checks that the files of src/ call downward only (README: architecture).

Reads the symbols each object defines and needs (nm), draws the graph of
which file uses which, and fails (exit 1) on a cycle between files or on a
use that goes up the declared layers.  Usage: tools/layers.py OBJDIR
"""
import os
import subprocess
import sys

# Bottom to top; files on one line form one layer and may not use each
# other in a cycle (a cycle is refused anywhere).
LAYERS = [
    ["log"],
    ["valid", "netaddr", "catalog", "webauthn"],
    ["config", "clock", "fault"],
    ["crypto"],
    ["db"],
    ["io"],
    ["req"],
    ["jsonapi"],
    ["fields", "form"],
    ["audit", "mail", "outbox"],
    ["idem"],
    ["auth", "method_email", "method_totp", "method_webauthn", "mfa"],
    ["router"],
    ["main"],
]


def symbols(path):
    out = subprocess.run(["nm", "-g", path], check=True, capture_output=True,
                         text=True).stdout
    defined, needed = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            needed.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRC":
            defined.add(parts[2])
    return defined, needed


def sccs(graph):
    """Tarjan's strongly connected components of more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    objdir = sys.argv[1] if len(sys.argv) > 1 else "build/release/src"
    files = sorted(f[:-2] for f in os.listdir(objdir) if f.endswith(".o"))
    owner, needs = {}, {}
    for f in files:
        d, n = symbols(os.path.join(objdir, f + ".o"))
        for s in d:
            owner[s] = f
        needs[f] = n
    graph = {f: {owner[s] for s in needs[f] if s in owner} - {f}
             for f in files}
    level = {f: i for i, layer in enumerate(LAYERS) for f in layer}
    bad = 0
    for f in files:
        if f not in level:
            print("layers: src/%s.c is in no layer (tools/layers.py)" % f)
            bad = 1
    for comp in sccs(graph):
        print("layers: call cycle between " + ", ".join(
            "src/%s.c" % f for f in comp))
        bad = 1
    for f in files:
        for g in sorted(graph[f]):
            if f in level and g in level and level[g] > level[f]:
                syms = sorted(s for s in needs[f] if owner.get(s) == g)
                print("layers: src/%s.c calls up into src/%s.c (%s)" % (
                    f, g, ", ".join(syms[:4])))
                bad = 1
    if not bad:
        print("layers: %d files, no cycle, every call downward" % len(files))
    return bad


if __name__ == "__main__":
    sys.exit(main())
