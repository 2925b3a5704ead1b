#!/bin/sh
# Installs the pinned packages of this directory (package-lock.json) when
# node_modules is missing or older than the lock file.  Install scripts are
# not run (none of the packages needs one).  Used by make lint
# (tools/lint-openapi.sh) and tests/e2e/test_openapi_clients.py.
set -eu
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "tools/lint-npm: npm is missing (tools/instance.sh deps test installs it)" >&2
		exit 1
	fi
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
