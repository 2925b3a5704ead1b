#!/usr/bin/env bash
# tests/browser/run.sh: drives Debian's Chromium through the www/ pages
# against a running server (GLUE_BASE_URL, default http://127.0.0.1:8080,
# whose configuration has dev_mailbox = on).  Screenshots of every step go
# to tests/out/browser/.  Needs the Debian packages chromium,
# chromium-driver and python3-selenium; exits non-zero when the browser
# cannot start (never skips).  Each script's last line: "N passed, M failed".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
export GLUE_BASE_URL=${GLUE_BASE_URL:-http://127.0.0.1:8080}
export GLUE_ROOT=$ROOT
# Then CORS from a page on a second origin (test_cors.py: the instance's
# cors_allow_origins, GLUE_INSTANCE for its config and mail spool).  Each
# prints its own "N passed, M failed".
rc=0
/usr/bin/python3 "$ROOT/tests/browser/test_pages.py" "$@" || rc=1
/usr/bin/python3 "$ROOT/tests/browser/test_cors.py" || rc=1
# MFA at sign-in (contract §10.12): its own small instance with the switch
# on (test_signin_mfa.py: the programs as CGI, GLUE_BIN).
/usr/bin/python3 "$ROOT/tests/browser/test_signin_mfa.py" || rc=1
# Passkeys (contract §12): Chromium's virtual authenticator through the
# pages at http://localhost:<port> (the instance's webauthn origin).
/usr/bin/python3 "$ROOT/tests/browser/test_webauthn.py" || rc=1
exit $rc
