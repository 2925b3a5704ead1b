"""CORS (contract §10.1): preflights answered by the programs, the CORS lines
on every answer to a listed Origin (successes, the front line's refusals,
404, a replayed Idempotency-Key answer), none for any other Origin, never
on the development mailbox. The instance's config lists the origin in
cors_allow_origins (tools/test.sh: http://127.0.0.1:<TEST_PORT + 9>); the
browser's side of it is tests/browser/test_cors.py."""

import os
import re
import uuid

import pytest

from conftest import (D_MEDIA, D_NOTACCEPT, D_NOTFOUND, INSTANCE, JSONAPI,
                      address_attrs,
                      api, assert_error, assert_missing_token, doc)
from mfa_helpers import (assert_5900, enable_mfa, patch_account)
from mfa_helpers import account, side  # noqa: F401 (fixtures)

ALLOW_HEADERS = "Authorization, Content-Type, Accept, X-MFA-Code, Idempotency-Key"
EXPOSE = "X-Request-Id, Retry-After, WWW-Authenticate"
MAX_AGE = "600"
OTHER = "http://127.0.0.1:1"        # never listed


def listed_origins():
    """The instance's cors_allow_origins, as a list."""
    assert INSTANCE, "GLUE_INSTANCE is not set"
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        for ln in f:
            m = re.match(r"^\s*cors_allow_origins\s*=(.*)$", ln)
            if m:
                return [o.strip() for o in m.group(1).split(",") if o.strip()]
    return []


@pytest.fixture(scope="module")
def origin():
    o = listed_origins()
    assert o, ("the instance's config lists no cors_allow_origins "
               "(tools/test.sh writes one)")
    return o[0]


def cors_lines(r):
    """The response's Access-Control-* and Vary headers, as a dict."""
    return {k: v for k, v in r.headers.items()
            if k.lower().startswith("access-control-") or k.lower() == "vary"}


def assert_answer_lines(r, origin):
    assert cors_lines(r) == {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Expose-Headers": EXPOSE,
    }, r.describe()


def assert_no_lines(r):
    assert cors_lines(r) == {}, r.describe()


def preflight(path, origin, method="POST", headers="authorization,content-type"):
    h = {"Origin": origin, "Access-Control-Request-Method": method,
         "Accept": None}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return api("OPTIONS", path, headers=h)


# --------------------------------------------------------------------------
# Preflights


@pytest.mark.parametrize("path,allow", [
    ("/access-tokens", "POST, OPTIONS"),
    ("/customers", "GET, HEAD, POST, OPTIONS"),
    ("/multi-factor-auth-trigger", "POST, OPTIONS"),
    ("/multi-factor-auth-types", "GET, HEAD, OPTIONS"),
    ("/backend/token", "POST, OPTIONS"),
    ("/backend/multi-factor-auth-type-deactivate", "POST, OPTIONS"),
])
def test_preflight_exact(path, allow, origin):
    r = preflight(path, origin)
    assert r.status == 204 and r.raw == b"", r.describe()
    assert r.headers.get("Allow") == allow, r.describe()
    assert cors_lines(r) == {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Allow-Methods": allow,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": MAX_AGE,
    }, r.describe()
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_preflight_of_a_customer_needs_no_token(origin, customer):
    r = preflight(customer.path, origin, method="PATCH",
                  headers="authorization,content-type,x-mfa-code")
    assert r.status == 204, r.describe()
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD, PATCH, DELETE, OPTIONS"
    assert r.headers["Access-Control-Allow-Origin"] == origin


def test_preflight_of_an_unlisted_origin_is_plain_options():
    r = preflight("/access-tokens", OTHER)
    assert r.status == 204 and r.headers.get("Allow") == "POST, OPTIONS", r.describe()
    assert_no_lines(r)


def test_preflight_of_an_origin_in_other_case_is_not_listed(origin):
    r = preflight("/access-tokens", origin.upper())
    assert r.status == 204
    assert_no_lines(r)
    r = preflight("/access-tokens", origin + "/")
    assert_no_lines(r)


def test_preflight_of_an_unknown_path_is_the_web_servers_404(origin):
    """No program serves the path: the web server's own 404 (no X-Request-Id,
    no CORS line); the browser reports the preflight as failed."""
    r = api("OPTIONS", "/no-such-resource", check=False,
            headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                     "Accept": None})
    assert r.status == 404 and "X-Request-Id" not in r.headers, r.describe()
    assert_no_lines(r)


# --------------------------------------------------------------------------
# Answers


def test_sign_in_answer_carries_the_lines(origin, customer):
    r = api("POST", "/access-tokens",
            doc("access-tokens", {"username": customer.email,
                                  "password": customer.password}),
            headers={"Origin": origin})
    assert r.status == 201, r.describe()
    assert_answer_lines(r, origin)


def test_unlisted_origin_gets_the_same_answer_without_lines(customer):
    c = customer.signed_in()
    r = api("GET", c.path, token=c.access, headers={"Origin": OTHER})
    assert r.status == 200 and r.data["id"] == c.ref, r.describe()
    assert_no_lines(r)
    r = api("GET", c.path, token=c.access)      # no Origin at all
    assert_no_lines(r)


def test_front_line_refusals_carry_the_lines(origin, customer):
    c = customer.signed_in()
    r = api("GET", c.path, token=c.access,
            headers={"Origin": origin, "Accept": "text/html"})
    assert_error(r, 406, "105", D_NOTACCEPT)
    assert_answer_lines(r, origin)
    r = api("PATCH", c.path, doc("customers", {"firstName": "X"}), token=c.access,
            content_type="text/plain", headers={"Origin": origin})
    assert_error(r, 415, "107", D_MEDIA)
    assert_answer_lines(r, origin)
    r = api("PUT", c.path, token=c.access, headers={"Origin": origin})
    assert r.status == 405, r.describe()
    assert_answer_lines(r, origin)
    r = api("GET", c.path, token="x" * 43, headers={"Origin": origin})
    assert r.status == 401, r.describe()
    assert_answer_lines(r, origin)


def test_not_found_program_carries_the_lines(origin):
    """A path no program serves, asked for as JSON: the not-found program."""
    r = api("GET", "/nowhere-at-all", headers={"Origin": origin, "Accept": JSONAPI})
    assert_error(r, 404, "103", D_NOTFOUND)
    assert_answer_lines(r, origin)


def test_step_up_refusal_exposes_www_authenticate(origin, account):
    enable_mfa(account)
    r = patch_account(account, headers={"Origin": origin})
    assert_5900(r)
    assert_answer_lines(r, origin)
    assert r.headers["WWW-Authenticate"].startswith(
        'Bearer error="insufficient_user_authentication"')


def test_dev_mailbox_never_carries_the_lines(origin):
    r = api("GET", "/dev-mailbox", headers={"Origin": origin})
    assert r.status in (200, 404), r.describe()
    assert_no_lines(r)
    r = preflight("/dev-mailbox", origin, method="GET", headers=None)
    assert_no_lines(r)


def test_replayed_answer_carries_the_replaying_requests_lines(origin, customer):
    """An answer stored for an Idempotency-Key is stored without the CORS lines
    of the request that made it (contract §9.6, §10.1)."""
    c = customer.signed_in()
    key = "cors-" + uuid.uuid4().hex
    body = doc("addresses", address_attrs())
    path = c.path + "/addresses"
    first = api("POST", path, body, token=c.access,
                headers={"Origin": origin, "Idempotency-Key": key})
    assert first.status == 201, first.describe()
    assert_answer_lines(first, origin)
    again = api("POST", path, body, token=c.access, headers={"Idempotency-Key": key})
    assert again.status == 201 and again.headers.get("Idempotent-Replayed") == "true", \
        again.describe()
    assert again.raw == first.raw
    assert_no_lines(again)
    third = api("POST", path, body, token=c.access,
                headers={"Origin": origin, "Idempotency-Key": key})
    assert third.headers.get("Idempotent-Replayed") == "true", third.describe()
    assert_answer_lines(third, origin)
    assert third.headers["X-Request-Id"] not in (first.headers["X-Request-Id"],
                                                 again.headers["X-Request-Id"])
    listed = api("GET", path, token=c.access)
    assert len(listed.data) == 1, listed.describe()


def test_missing_token_answer_carries_the_lines(origin):
    r = api("GET", "/multi-factor-auth-types", headers={"Origin": origin})
    assert_missing_token(r)
    assert_answer_lines(r, origin)
