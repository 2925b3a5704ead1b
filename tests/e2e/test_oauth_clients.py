"""Real OAuth 2.0 client libraries against both token endpoints (contract
§10.5): Debian's python3-requests-oauthlib (its documented "legacy
application flow" recipe, which identifies the public client with
"Authorization: Basic client_id:" and an empty secret), python3-authlib, and
the npm client oauth4webapi (tests/oauth-npm/, pinned), which discovers each
side by its RFC 8414 metadata first. npm is required: without it the test
fails (tools/instance.sh deps test installs Debian's nodejs and npm)."""

import json
import os
import shutil
import subprocess

import pytest
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import LegacyApplicationClient
from requests_oauthlib import OAuth2Session

from backend_helpers import BE, OD_REFRESH, USER_PASSWORD, new_user
from conftest import BASE, ROOT, new_customer

NPM_DIR = os.path.join(ROOT, "tests", "oauth-npm")
CLIENT_ID = "shop-pwa"


@pytest.fixture
def insecure_transport(monkeypatch):
    """The test instance speaks plain HTTP; both libraries refuse it unless told."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def accounts():
    """(token URL, username, password, a resource of the side) per side."""
    c = new_customer()
    u = new_user(password=USER_PASSWORD)
    return [(BASE + "/token", c.email, c.password, BASE + "/customers"),
            (BASE + BE + "/token", u.username, USER_PASSWORD, BASE + BE + "/users")]


def check_token(token, old=None):
    assert token["token_type"] == "Bearer", token
    assert token["expires_in"] == 28800, token
    assert len(token["access_token"]) == 43 and len(token["refresh_token"]) == 43
    if old is not None:
        assert token["access_token"] != old["access_token"]
        assert token["refresh_token"] != old["refresh_token"]


ACCEPT = {"Accept": "application/vnd.api+json"}


@pytest.mark.parametrize("side", [0, 1], ids=["storefront", "backend"])
def test_requests_oauthlib_legacy_application_recipe(side, insecure_transport):
    url, user, password, resource = accounts()[side]
    oauth = OAuth2Session(client=LegacyApplicationClient(client_id=CLIENT_ID))
    token = oauth.fetch_token(token_url=url, username=user, password=password,
                              client_id=CLIENT_ID)
    check_token(token)
    r = oauth.get(resource, headers=ACCEPT)
    assert r.status_code == 200, r.text
    new = oauth.refresh_token(url)
    check_token(new, token)
    assert oauth.get(resource, headers=ACCEPT).status_code == 200


@pytest.mark.parametrize("side", [0, 1], ids=["storefront", "backend"])
def test_requests_oauthlib_with_the_client_id_in_the_body(side, insecure_transport):
    url, user, password, resource = accounts()[side]
    oauth = OAuth2Session(client=LegacyApplicationClient(client_id=CLIENT_ID))
    token = oauth.fetch_token(token_url=url, username=user, password=password,
                              client_id=CLIENT_ID, include_client_id=True)
    check_token(token)


@pytest.mark.parametrize("method", ["none", "client_secret_basic"])
@pytest.mark.parametrize("side", [0, 1], ids=["storefront", "backend"])
def test_authlib_password_grant_and_refresh(side, method, insecure_transport):
    """"none": client_id in the body; "client_secret_basic" with an empty
    secret: Basic "shop-pwa:", as requests-oauthlib sends it (authlib would
    send "shop-pwa:None" for no secret at all)."""
    url, user, password, resource = accounts()[side]
    client = AuthlibSession(CLIENT_ID, client_secret="" if method != "none" else None,
                            token_endpoint_auth_method=method)
    token = client.fetch_token(url, username=user, password=password,
                               grant_type="password")
    check_token(token)
    r = client.get(resource, headers=ACCEPT)
    assert r.status_code == 200, r.text
    old = dict(token)
    new = client.refresh_token(url, refresh_token=token["refresh_token"])
    check_token(new, old)
    # The rotated token again: refused (and its family revoked).
    from authlib.integrations.base_client import OAuthError
    with pytest.raises(OAuthError) as e:
        client.refresh_token(url, refresh_token=old["refresh_token"])
    assert (e.value.error, e.value.description) == ("invalid_grant", OD_REFRESH)


def npm_ready():
    npm = shutil.which("npm")
    node = shutil.which("node")
    assert npm and node, "npm and node are required (tools/instance.sh deps test)"
    if not os.path.isdir(os.path.join(NPM_DIR, "node_modules", "oauth4webapi")):
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NPM_DIR,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, "npm ci failed:\n" + p.stdout + p.stderr
    return node


def expected_side(issuer, resource_status=200):
    return {
        "issuer": issuer, "token_endpoint": issuer + "/token",
        "grant_types_supported": ["password", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        # oauth4webapi lower-cases token_type (RFC 6749 §5.1: case-insensitive).
        "password_grant": {"token_type": "bearer", "expires_in": 28800},
        "resource_status": resource_status,
        "refreshed": True,
        "reused": {"error": "invalid_grant", "error_description": OD_REFRESH},
        "client_secret_post": {"status": 401, "challenges": None,
                               "error": "invalid_client"},
        "client_secret_basic": {"status": 401, "error": "invalid_client",
                                "challenges": [{"scheme": "basic",
                                                "parameters": {"realm": "glue-mfa"}}]},
    }


def test_oauth4webapi_discovers_both_sides_and_signs_in():
    node = npm_ready()
    c = new_customer()
    u = new_user(password=USER_PASSWORD)
    p = subprocess.run([node, "client.mjs", BASE, c.email, c.password,
                        u.username, USER_PASSWORD], cwd=NPM_DIR,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    got = json.loads(p.stdout)
    assert got == {"storefront": expected_side(BASE),
                   "backend": expected_side(BASE + BE)}, got
