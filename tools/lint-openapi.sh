#!/bin/sh
# make lint, the OpenAPI part (README: "The OpenAPI descriptions"):
# www/openapi-*.json must be tools/openapi.py's output, and pass the pinned
# @redocly/cli and @stoplight/spectral-cli of tools/lint-npm/ with no error
# and no warning.  The npm packages are installed (npm ci) when
# node_modules is missing or older than package-lock.json.
set -eu
cd "$(dirname "$0")/.."
npmdir=tools/lint-npm
docs="www/openapi-storefront.json www/openapi-backend.json"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 tools/openapi.py "$tmp"
for f in $docs; do
	if ! cmp -s "$tmp/${f#www/}" "$f"; then
		echo "lint: $f is not tools/openapi.py's output:" \
		    "run /usr/bin/python3 tools/openapi.py"
		exit 1
	fi
done

"$npmdir/npm-ci.sh"
bin=$npmdir/node_modules/.bin
# No telemetry, no update check: the lint needs no network.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
if ! "$bin/redocly" lint --config "$npmdir/redocly.yaml" --format stylish \
    $docs >"$tmp/redocly" 2>&1; then
	cat "$tmp/redocly"
	echo "lint: @redocly/cli found problems in the OpenAPI documents"
	exit 1
fi
if ! "$bin/spectral" lint --quiet --ruleset "$npmdir/spectral.yaml" \
    --fail-severity warn $docs >"$tmp/spectral" 2>&1; then
	cat "$tmp/spectral"
	echo "lint: @stoplight/spectral-cli found problems in the OpenAPI documents"
	exit 1
fi
