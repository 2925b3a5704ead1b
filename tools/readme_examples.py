#!/usr/bin/python3
"""The README's copies of docs/examples/*.sh must be the scripts verbatim.

A copy is a fenced block right after a line `<!-- example: PATH -->`:

    <!-- example: docs/examples/operator-accounts.sh -->
    ```sh
    ...the script, byte for byte...
    ```

Fails (exit 1, one line per problem) when a copy differs from its script,
names a file that does not exist, or when a script under docs/examples/ has
no copy in the README.  tests/e2e/test_readme_examples.py runs the scripts,
so what the README shows is what the test ran.  Usage:
tools/readme_examples.py [README [EXAMPLES_DIR]] (defaults: README.md,
docs/examples, relative to the checkout)."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^<!-- example: (\S+) -->$")


def copies(text):
    """[(line number, path, block text or None)] in the README's order."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1] != "```sh":
            out.append((i + 1, m.group(1), None))
            continue
        try:
            end = lines.index("```", i + 2)
        except ValueError:
            out.append((i + 1, m.group(1), None))
            continue
        out.append((i + 1, m.group(1), "".join(ln + "\n" for ln in lines[i + 2:end])))
    return out


def check(readme, examples):
    problems = []
    with open(readme, encoding="utf-8") as f:
        found = copies(f.read())
    shown = set()
    for line, path, block in found:
        where = "%s:%d" % (os.path.relpath(readme, ROOT), line)
        full = os.path.join(ROOT, path)
        shown.add(os.path.realpath(full))
        if block is None:
            problems.append("%s: %s: no ```sh block right after the marker" % (where, path))
        elif not os.path.isfile(full):
            problems.append("%s: %s: no such file" % (where, path))
        else:
            with open(full, encoding="utf-8") as f:
                if f.read() != block:
                    problems.append("%s: the copy of %s differs from the file" % (where, path))
    for name in sorted(os.listdir(examples)) if os.path.isdir(examples) else []:
        full = os.path.realpath(os.path.join(examples, name))
        if name.endswith(".sh") and full not in shown:
            problems.append("%s: not shown in %s" % (
                os.path.relpath(full, ROOT), os.path.relpath(readme, ROOT)))
    return found, problems


def main(argv):
    readme = argv[1] if len(argv) > 1 else os.path.join(ROOT, "README.md")
    examples = argv[2] if len(argv) > 2 else os.path.join(ROOT, "docs", "examples")
    found, problems = check(readme, examples)
    for p in problems:
        print("lint: README example: " + p)
    if not found and not problems:
        print("lint: README example: no copies found in %s" % readme)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
