"""Helpers for the Backend API end-to-end tests (tests/e2e/test_backend_*.py).

The Backend API lives under /backend/ (contract §1.1, §3.3). Its token endpoint
speaks OAuth 2.0 (RFC 6749), not JSON:API, so its answers are checked here by
check_oauth_common() instead of conftest.check_common(). Every other backend
answer goes through conftest.api() and its checks.

The MFA side of both APIs (the five resources, codes, the mail spool) is in
mfa_helpers.py, written once for both sides; this module re-exports what the
Backend tests use, with the (token, address, prefix) calls they make.

Tests never switch MFA on for the demo user admin@example.com: every test that
needs MFA, a block, a deletion or a password change works on a fresh user.
Codes and notifications are read from the mail spool $GLUE_INSTANCE/mail.
"""

import json
import os
import subprocess
import uuid

import pytest

import mfa_helpers as mfa
from conftest import (BASE, INSTANCE, RID_RE, ROOT, TIME_RE, TOKEN_RE, UUID_RE,
                      api, assert_error, db_query, doc)

# Re-exported for the test_backend_*.py files: written once, in conftest.py
# and mfa_helpers.py.
from conftest import assert_invalid_token, assert_missing_token  # noqa: F401
from mfa_helpers import (  # noqa: F401
    ACTIVATE, CODE_HEADER, DEACTIVATE, SUBJECT_ADMIN_OFF, TRIGGER, TYPES, VERIFY,
    assert_204, assert_5900, assert_5901, assert_5902, assert_5906,
    assert_notification, mail_mark, one_mail_since, text_of, wrong)
from mfa_helpers import mails_for as mails_since  # noqa: F401

BE = "/backend"
FORM = "application/x-www-form-urlencoded"
OAUTH_CT = "application/json;charset=UTF-8"

ADMIN_NAME = "admin@example.com"
ADMIN_PASSWORD = "change123"
USER_PASSWORD = "us3r-Passw0rd!"

USER_ATTRS = {"username", "firstName", "lastName", "status", "locale",
              "createdAt", "updatedAt"}

# error_description texts of the token endpoint (cgi-bin/token.c).
OD_CREDENTIALS = "The user credentials were incorrect."
OD_LIMIT = "Too many failed login attempts. Please try again later."
OD_REFRESH = "The refresh token is invalid, expired or revoked."
OD_USERPASS = "username and password are required."
OD_NO_REFRESH = "refresh_token is required."
OD_NO_GRANT = "grant_type is required."
OD_GRANT = "grant_type must be password or refresh_token."
OD_MEDIA = "The body must be application/x-www-form-urlencoded."
OD_FORM = "The form is malformed or repeats a parameter."
OD_CLIENT = "Client authentication is not supported."

# JSON:API details of the users resource and the rescue.
D_SELF = "You cannot block or delete your own account."
D_USER_EXISTS = "User with this username already exists."
D_USER_NOT_FOUND = "User not found."
D_CUSTOMER_NOT_FOUND = "Customer not found."

RESCUE = "customer-multi-factor-auth-type-deactivate"


# --------------------------------------------------------------------------
# The token endpoint (OAuth 2.0)


def check_oauth_common(r):
    """What every answer of POST /backend/token carries (RFC 6749 §5.1)."""
    rid = r.headers.get("X-Request-Id")
    assert rid is not None and RID_RE.match(rid), "X-Request-Id" + r.describe()
    assert r.headers.get("Content-Type") == OAUTH_CT, \
        "Content-Type is not exactly %s" % OAUTH_CT + r.describe()
    assert r.headers.get("Cache-Control") == "no-store", r.describe()
    assert r.headers.get("Pragma") == "no-cache", r.describe()
    assert isinstance(r.json, dict), "body is not a JSON object" + r.describe()


def token_post(data, content_type=FORM, headers=None):
    """POST /backend/token with a raw form (str or bytes); OAuth checks done."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    r = api("POST", BE + "/token", data=data, content_type=content_type,
            headers=headers, check=False)
    check_oauth_common(r)
    return r


def form(**fields):
    """A form body from keyword arguments, percent-encoded."""
    from urllib.parse import urlencode
    return urlencode(fields)


def password_grant(username, password, **extra):
    return token_post(form(grant_type="password", username=username,
                           password=password, **extra))


def refresh_grant(refresh_token, **extra):
    return token_post(form(grant_type="refresh_token",
                           refresh_token=refresh_token, **extra))


def assert_oauth_tokens(r):
    """200 and exactly the RFC 6749 §5.1 members; returns (access, refresh)."""
    assert r.status == 200, r.describe()
    assert list(r.json) == ["token_type", "expires_in", "access_token",
                            "refresh_token"], r.describe()
    assert r.json["token_type"] == "Bearer", r.describe()
    assert r.json["expires_in"] == 28800 and type(r.json["expires_in"]) is int, \
        r.describe()
    a, t = r.json["access_token"], r.json["refresh_token"]
    assert isinstance(a, str) and TOKEN_RE.match(a), r.describe()
    assert isinstance(t, str) and TOKEN_RE.match(t), r.describe()
    assert a != t
    assert "Retry-After" not in r.headers, r.describe()
    return a, t


def assert_oauth_error(r, status, error, description):
    """Exactly {"error":..,"error_description":..} (RFC 6749 §5.2)."""
    assert r.status == status, "status %d != %d" % (r.status, status) + r.describe()
    assert r.json == {"error": error, "error_description": description}, \
        r.describe()
    assert list(r.json) == ["error", "error_description"], r.describe()


def assert_invalid_grant(r):
    assert_oauth_error(r, 400, "invalid_grant", OD_CREDENTIALS)
    assert "Retry-After" not in r.headers, r.describe()


def assert_refresh_refused(r):
    assert_oauth_error(r, 400, "invalid_grant", OD_REFRESH)


def sign_in(username, password):
    """(access, refresh) of a successful password grant."""
    return assert_oauth_tokens(password_grant(username, password))


def admin_token():
    return sign_in(ADMIN_NAME, ADMIN_PASSWORD)[0]


# --------------------------------------------------------------------------
# Users


def unique_username(tag="u"):
    return "e2e-be-%s-%s@example.com" % (tag, uuid.uuid4().hex[:16])


def user_attrs(**over):
    a = {"username": unique_username(), "password": USER_PASSWORD,
         "firstName": "Ute", "lastName": "Backoffice"}
    a.update(over)
    return {k: v for k, v in a.items() if v is not None}


def users_post(token, attrs, headers=None):
    return api("POST", BE + "/users", doc("users", attrs), token=token,
               headers=headers)


class User:
    """A back-office user created through POST /backend/users."""

    def __init__(self, resp, attrs):
        self.resp = resp
        self.uuid = resp.data["id"]
        self.username = attrs["username"]
        self.password = attrs["password"]
        self.attrs = attrs
        self.access = None
        self.refresh = None

    def signed_in(self):
        self.access, self.refresh = sign_in(self.username, self.password)
        return self

    @property
    def path(self):
        return BE + "/users/" + self.uuid


def new_user(token=None, **over):
    """A fresh active user (created by the demo admin unless token is given)."""
    attrs = user_attrs(**over)
    r = users_post(token or admin_token(), attrs)
    assert r.status == 201, "user creation failed" + r.describe()
    return User(r, attrs)


def all_users(token):
    """Every user, page by page (GET /backend/users is paged, contract
    §10.10): the resources of every page, following links.next."""
    url, items = BE + "/users?page[limit]=100", []
    while url is not None:
        r = api("GET", url, token=token)
        assert r.status == 200, r.describe()
        items += r.data
        url = r.json["links"].get("next")
        if url is not None:
            assert url.startswith(BASE), url
            url = url[len(BASE):]
    return items


def check_user_resource(item, username=None, status="active"):
    """One `users` resource object: shape, links, no password."""
    assert set(item) == {"type", "id", "attributes", "links"}, item
    assert item["type"] == "users"
    assert isinstance(item["id"], str) and UUID_RE.match(item["id"]), item
    a = item["attributes"]
    assert set(a) == USER_ATTRS, a
    assert "password" not in json.dumps(item), item
    for k in ("createdAt", "updatedAt"):
        assert isinstance(a[k], str) and TIME_RE.match(a[k]), a
    if username is not None:
        assert a["username"] == username, a
    if status is not None:
        assert a["status"] == status, a
    assert item["links"] == {"self": BASE + BE + "/users/" + item["id"]}, item
    return a


def check_user_document(r, status_code, **kw):
    assert r.status == status_code, r.describe()
    assert list(r.json) == ["data"], r.describe()
    return check_user_resource(r.json["data"], **kw)


def user_patch(token, uuid_, attrs, headers=None):
    return api("PATCH", BE + "/users/" + uuid_, doc("users", attrs), token=token,
               headers=headers)


# --------------------------------------------------------------------------
# JSON:API error shortcuts (the token and MFA ones are conftest's and
# mfa_helpers')


def assert_user_not_found(r):
    assert_error(r, 404, "417", D_USER_NOT_FOUND)


def assert_self_action(r):
    assert_error(r, 403, "415", D_SELF)


def assert_user_exists(r):
    assert_error(r, 422, "416", D_USER_EXISTS, pointer="/data/attributes/username")


# --------------------------------------------------------------------------
# MFA, either side: `token` and `addr` of a signed-in account, prefix BE for
# a user, "" for a customer (mfa_helpers does the work)


def _acct(prefix, token, addr=None):
    return mfa.SIDE_BY_PREFIX[prefix].account(addr, token)


def mfa_post(resource, token, type_="email", code=None, attrs=None, prefix=BE):
    """POST one of the five MFA resources (prefix "" for the Storefront)."""
    return mfa.mfa_post(_acct(prefix, token), resource, type_, code, attrs)


def mfa_status(token, type_="email", prefix=BE):
    return mfa.status_of(_acct(prefix, token), type_)


def activation_code(token, addr, prefix=BE):
    """activate -> 204 -> the mailed code."""
    return mfa.activation_code(_acct(prefix, token, addr))


def enable_mfa(token, addr, prefix=BE):
    """activate -> code from mail -> verify: email active. Returns the code."""
    return mfa.enable_mfa(_acct(prefix, token, addr))


def fresh_code(token, addr, prefix=BE):
    """trigger -> 204 -> the mailed code."""
    return mfa.fresh_code(_acct(prefix, token, addr))


def rescue(token, ref, type_="email", code=None, attrs=None):
    """POST /backend/customer-multi-factor-auth-type-deactivate."""
    if attrs is None:
        attrs = {"customerReference": ref, "type": type_}
    return api("POST", BE + "/" + RESCUE, doc(RESCUE, attrs), token=token,
               headers=mfa.code_headers(code))


# --------------------------------------------------------------------------
# Database


def user_id(username):
    return mfa.account_id(mfa.BACKEND.account(username))


AUDIT_COLS = ["side", "account_id", "actor_id", "action", "method", "result",
              "error_code", "client_address", "request_id"]


def audit_rows(where):
    """audit_log rows matching the SQL condition, oldest first, as dicts
    (NULL shown as None)."""
    return mfa.audit_query(where, AUDIT_COLS)


def max_audit_id():
    rows = db_query("SELECT COALESCE(MAX(id), 0) FROM audit_log")
    return int(rows[0][0])


# --------------------------------------------------------------------------
# The operator tool


def admin_tool():
    return os.environ.get("GLUE_ADMIN") or os.path.join(
        ROOT, "build", "test", "bin", "glue-mfa-admin")


def cli(*args, stdin=None, config=True, env_extra=None):
    """Run glue-mfa-admin; returns CompletedProcess (text). config=False runs
    it without MFA_CONFIG."""
    tool = admin_tool()
    if not os.access(tool, os.X_OK):
        pytest.skip("operator tool not built: %s" % tool)
    if config and not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: no configuration for the tool")
    env = {k: v for k, v in os.environ.items() if k != "MFA_CONFIG"}
    if config:
        env["MFA_CONFIG"] = os.path.join(INSTANCE, "glue-mfa.conf")
    env.update(env_extra or {})
    return subprocess.run([tool] + list(args), input=stdin, env=env,
                          capture_output=True, text=True, timeout=60)


def describe_run(p):
    return "\n  args: %r\n  exit: %d\n  stdout: %r\n  stderr: %r" % (
        p.args, p.returncode, p.stdout, p.stderr)
