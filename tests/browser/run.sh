#!/usr/bin/env bash
# tests/browser/run.sh: drives Debian's Chromium through the www/ pages
# against a running server (GLUE_BASE_URL, default http://127.0.0.1:8080,
# whose configuration has dev_mailbox = on).  Screenshots of every step go
# to tests/out/browser/.  Needs the Debian packages chromium,
# chromium-driver and python3-selenium; exits non-zero when the browser
# cannot start (never skips).  Last line: "N passed, M failed".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
export GLUE_BASE_URL=${GLUE_BASE_URL:-http://127.0.0.1:8080}
export GLUE_ROOT=$ROOT
exec /usr/bin/python3 "$ROOT/tests/browser/test_pages.py" "$@"
