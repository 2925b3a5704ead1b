"""POST /token: the Storefront's OAuth 2.0 token endpoint (contract §10.4), and
the client rules and RFC 8414 metadata of both token endpoints (§10.5).

POST /token signs a customer in as POST /access-tokens does (the same
auth_login(): limits, audit rows, identity rules) and rotates as POST
/refresh-tokens does (auth_refresh()); only the shapes are RFC 6749's."""

import base64
import os
import subprocess

import pytest

from backend_helpers import (ADMIN_NAME, ADMIN_PASSWORD, BE, FORM, OD_CLIENT,
                             OD_CREDENTIALS, OD_FORM, OD_GRANT, OD_LIMIT,
                             OD_MEDIA, OD_NO_GRANT, OD_NO_REFRESH, OD_REFRESH,
                             OD_USERPASS, assert_oauth_error,
                             assert_oauth_tokens, check_oauth_common, form)
from cgi_helpers import Answer, bin_dir, conf_with
from conftest import (BASE, D_TOO_MANY_LOGINS, api, assert_error,
                      assert_login_failed, check_allow, check_token_resource,
                      db_query, login, new_customer, refresh, unique_email)
from effects import (customer_id_of, login_counted, login_failure_counted,
                     login_limited, login_untouched, unchanged)

OD_BASIC = "The Authorization header is malformed."
OD_CLIENT_ID = "client_id names another client than the Authorization header."
META = "/.well-known/oauth-authorization-server"
OAUTH_CT = "application/json;charset=UTF-8"


def token_post(data, path="/token", content_type=FORM, headers=None):
    """POST a raw form to a token endpoint; the OAuth checks done."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    r = api("POST", path, data=data, content_type=content_type,
            headers=headers, check=False)
    check_oauth_common(r)
    return r


def password_grant(username, password, path="/token", headers=None, **extra):
    return token_post(form(grant_type="password", username=username,
                           password=password, **extra), path, headers=headers)


def refresh_grant(token, path="/token", **extra):
    return token_post(form(grant_type="refresh_token", refresh_token=token,
                           **extra), path)


def basic(client_id, secret=""):
    return "Basic " + base64.b64encode(
        ("%s:%s" % (client_id, secret)).encode()).decode()


def whose_token(access):
    r = api("GET", "/customers", token=access)
    assert r.status == 200, r.describe()
    return r.data[0]["id"]


def assert_limited(r):
    assert_oauth_error(r, 429, "invalid_grant", OD_LIMIT)
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit() and 0 < int(ra) <= 900, r.describe()


# --------------------------------------------------------------------------
# Password grant


def test_password_grant_answers_rfc6749_tokens_of_the_customer():
    c = new_customer()
    access, _ = assert_oauth_tokens(password_grant(c.email, c.password))
    assert whose_token(access) == c.ref
    g = api("GET", c.path, token=access)
    assert g.status == 200, g.describe()


def test_sign_in_is_audited_and_clears_the_counts(login_failures_cleared):
    """One success row for the customer, the account's and the pair's
    counts ended (the address's stays), as POST /access-tokens."""
    c = new_customer()
    cid = customer_id_of(c.email)
    with login_counted(c.email):
        assert_oauth_error(password_grant(c.email, "wrong-1"), 400,
                           "invalid_grant", OD_CREDENTIALS)
    assert db_query("SELECT COUNT(*) FROM login_failures") == [["3"]]
    top = int(db_query("SELECT COALESCE(MAX(id), 0) FROM audit_log")[0][0])
    assert_oauth_tokens(password_grant(c.email, c.password))
    rows = db_query("SELECT side, account_id, action, result, error_code FROM "
                    "audit_log WHERE id > %d ORDER BY id" % top)
    assert rows == [["0", str(cid), "login", "success", "NULL"]], rows
    assert db_query("SELECT COUNT(*) FROM login_failures") == [["1"]]


def test_wrong_password_and_unknown_email_answer_alike(login_failures_cleared):
    c = new_customer()
    with login_counted(c.email):
        wrong = password_grant(c.email, "wrong-password")
    with login_counted(None):
        unknown = password_grant(unique_email("ghost"), c.password)
    for r in (wrong, unknown):
        assert_oauth_error(r, 400, "invalid_grant", OD_CREDENTIALS)
        assert "WWW-Authenticate" not in r.headers, r.describe()


def test_other_case_is_the_same_customer(login_failures_cleared):
    c = new_customer()
    a1, _ = assert_oauth_tokens(password_grant(c.email.upper(), c.password))
    a2, _ = assert_oauth_tokens(password_grant(c.email, c.password))
    assert whose_token(a1) == whose_token(a2)


@pytest.mark.parametrize("variant", [lambda a: a + " ", lambda a: "\ufeff" + a,
                                     lambda a: a[:2] + "\u200b" + a[2:]],
                         ids=["trailing-space", "byte-order-mark", "zero-width"])
def test_a_variant_spelling_never_signs_in(variant, login_failures_cleared):
    """Contract §3.9: only the canonical form names an account; any other
    counts as an unknown address (the row names no account)."""
    c = new_customer()
    with unchanged(side="storefront", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_oauth_error(password_grant(variant(c.email), c.password), 400,
                           "invalid_grant", OD_CREDENTIALS)
    rows = db_query("SELECT account_id FROM audit_log WHERE side = 0 AND "
                    "action = 'login' ORDER BY id DESC LIMIT 1")
    assert rows == [["NULL"]], rows


# --------------------------------------------------------------------------
# The sign-in limits are POST /access-tokens' (contract §3.6)


def test_five_failures_then_429_with_retry_after(login_failures_cleared):
    c = new_customer()
    for i in range(5):
        with login_counted(c.email):
            assert_oauth_error(password_grant(c.email, "wrong-%d" % i), 400,
                               "invalid_grant", OD_CREDENTIALS)
    with login_limited(c.email):
        assert_limited(password_grant(c.email, c.password))


def test_failures_count_across_both_sign_in_endpoints(login_failures_cleared):
    c = new_customer()
    for i in range(3):
        with login_counted(c.email):
            assert_login_failed(login(c.email, "wrong-%d" % i))
    for i in range(2):
        with login_counted(c.email):
            assert_oauth_error(password_grant(c.email, "wrong-t%d" % i), 400,
                               "invalid_grant", OD_CREDENTIALS)
    with login_limited(c.email):
        assert_limited(password_grant(c.email, c.password))
    with login_limited(c.email):
        r = login(c.email, c.password)
        assert_error(r, 429, "113", D_TOO_MANY_LOGINS)


def test_the_window_ends_the_limit(login_failures_cleared, clock):
    c = new_customer()
    for i in range(5):
        password_grant(c.email, "wrong-%d" % i)
    with login_limited(c.email):
        assert_limited(password_grant(c.email, c.password))
    clock(901)
    assert_oauth_tokens(password_grant(c.email, c.password))


# --------------------------------------------------------------------------
# Refresh grant: rotation as POST /refresh-tokens (contract §3.1)


def test_refresh_grant_rotates():
    c = new_customer()
    a1, r1 = assert_oauth_tokens(password_grant(c.email, c.password))
    a2, r2 = assert_oauth_tokens(refresh_grant(r1))
    assert {a2, r2}.isdisjoint({a1, r1})
    assert api("GET", c.path, token=a2).status == 200
    # The access token issued with the rotated one ends with it.
    assert api("GET", c.path, token=a1).status == 401


def test_reuse_revokes_the_family():
    c = new_customer()
    cid = customer_id_of(c.email)
    _, r1 = assert_oauth_tokens(password_grant(c.email, c.password))
    a2, r2 = assert_oauth_tokens(refresh_grant(r1))
    family = db_query("SELECT family_id FROM refresh_tokens WHERE side = 0 AND "
                      "account_id = %d AND used = 1 ORDER BY id DESC LIMIT 1"
                      % cid)[0][0]

    def revoked(rows):
        for row in rows.values():
            if row["family_id"] == family:
                row["revoked"] = "1"
        return rows

    with unchanged(side="storefront", account_id=cid,
                   changes={"access_tokens": revoked, "refresh_tokens": revoked}):
        assert_oauth_error(refresh_grant(r1), 400, "invalid_grant", OD_REFRESH)
    assert api("GET", c.path, token=a2).status == 401
    assert_oauth_error(refresh_grant(r2), 400, "invalid_grant", OD_REFRESH)


def test_tokens_of_both_storefront_endpoints_are_one_kind():
    """A refresh token of POST /access-tokens rotates at POST /token and the
    successor at POST /refresh-tokens: one family, one rotation."""
    c = new_customer()
    _, rt = c.login()
    _, r2 = assert_oauth_tokens(refresh_grant(rt))
    a = check_token_resource(refresh(r2), "refresh-tokens")
    assert api("GET", c.path, token=a["accessToken"]).status == 200


def test_a_backend_refresh_token_is_not_a_storefront_one():
    _, rt = assert_oauth_tokens(password_grant(ADMIN_NAME, ADMIN_PASSWORD,
                                               path=BE + "/token"))
    with login_untouched():
        assert_oauth_error(refresh_grant(rt), 400, "invalid_grant", OD_REFRESH)


def test_unknown_refresh_token_is_invalid_grant():
    with login_untouched():
        assert_oauth_error(refresh_grant("x" * 43), 400, "invalid_grant",
                           OD_REFRESH)


# --------------------------------------------------------------------------
# Request errors: the same as POST /backend/token (one program)


@pytest.mark.parametrize("body,desc", [
    ("grant_type=password&username=a%40example.com", OD_USERPASS),
    ("grant_type=password&password=x", OD_USERPASS),
    ("grant_type=refresh_token", OD_NO_REFRESH),
    ("username=a%40example.com&password=x", OD_NO_GRANT),
    ("grant_type=password&grant_type=password&username=a&password=b", OD_FORM),
    ("grant_type", OD_FORM),
])
def test_request_errors_are_invalid_request(body, desc):
    with login_untouched():
        assert_oauth_error(token_post(body), 400, "invalid_request", desc)


@pytest.mark.parametrize("grant", ["client_credentials", "authorization_code"])
def test_other_grants_are_unsupported(grant):
    with login_untouched():
        assert_oauth_error(token_post("grant_type=" + grant), 400,
                           "unsupported_grant_type", OD_GRANT)


def test_a_json_body_is_invalid_request():
    with login_untouched():
        r = token_post(b'{"grant_type":"password"}', content_type="application/json")
        assert_oauth_error(r, 400, "invalid_request", OD_MEDIA)


def test_an_idempotency_key_replays_and_its_errors_are_json_api():
    """Contract §9.6 as on POST /backend/token: a replay, another body (422
    116), a malformed key (400 115), one under way (409 117)."""
    from test_idempotency import (assert_busy, assert_key_invalid,
                                  assert_mismatch, assert_replay, key_held,
                                  key_lock_name, new_key)
    c = new_customer()
    key = new_key()
    h = {"Idempotency-Key": key}
    data = form(grant_type="password", username=c.email, password=c.password)
    first = token_post(data, headers=h)
    assert_oauth_tokens(first)
    assert_replay(first, token_post(data, headers=h))
    r = api("POST", "/token", data=(data + "&scope=x").encode(),
            content_type=FORM, headers=h)
    assert_mismatch(r)
    r = api("POST", "/token", data=data.encode(), content_type=FORM,
            headers={"Idempotency-Key": "short"})
    assert_key_invalid(r)
    key = new_key()
    with key_held(key_lock_name("0/0//token\n", key)):
        assert_busy(api("POST", "/token", data=data.encode(), content_type=FORM,
                        headers={"Idempotency-Key": key}))


def test_other_methods_are_405():
    for m in ("GET", "PUT", "DELETE"):
        r = api(m, "/token", data=None if m == "GET" else b"grant_type=password",
                content_type=FORM)
        assert_error(r, 405, "104", "Method not allowed.")
        check_allow(r, ["POST"])


# --------------------------------------------------------------------------
# Clients (contract §10.5), on both token endpoints


ENDPOINTS = [("/token", None), (BE + "/token", "admin")]


def credentials(who):
    if who == "admin":
        return ADMIN_NAME, ADMIN_PASSWORD
    c = new_customer()
    return c.email, c.password


@pytest.mark.parametrize("path,who", ENDPOINTS, ids=["storefront", "backend"])
def test_basic_with_an_empty_secret_identifies_a_public_client(path, who):
    """requests-oauthlib's recipe: Authorization: Basic base64("id:")."""
    user, pw = credentials(who)
    r = password_grant(user, pw, path, headers={"Authorization": basic("shop-pwa")})
    _, rt = assert_oauth_tokens(r)
    # The same client_id in the form too: one client, accepted.
    r = token_post(form(grant_type="refresh_token", refresh_token=rt,
                        client_id="shop-pwa"), path,
                   headers={"Authorization": basic("shop-pwa")})
    assert_oauth_tokens(r)


@pytest.mark.parametrize("path,who", ENDPOINTS, ids=["storefront", "backend"])
@pytest.mark.parametrize("auth,desc", [
    (basic("shop-pwa", "s3cret"), OD_CLIENT),
    ("basic " + basic("shop-pwa", "s3cret")[6:], OD_CLIENT),
    ("Basic !!!!", OD_BASIC),
    ("Basic " + base64.b64encode(b"no-colon").decode(), OD_BASIC),
    ("Basic " + base64.b64encode(b":").decode(), OD_BASIC),
    ("Basic " + base64.b64encode(b"a%zz:").decode(), OD_BASIC),
], ids=["secret", "lower-case-scheme", "not-base64", "no-colon", "no-id",
        "bad-escape"])
def test_a_secret_or_a_malformed_basic_is_invalid_client_with_the_scheme(
        path, who, auth, desc):
    """RFC 6749 §5.2: the client used the Authorization header, so the 401
    names the scheme in WWW-Authenticate."""
    user, pw = credentials(who)
    with unchanged(side="backend" if who else "storefront"):
        r = password_grant(user, pw, path, headers={"Authorization": auth})
    assert_oauth_error(r, 401, "invalid_client", desc)
    assert r.headers.get("WWW-Authenticate") == 'Basic realm="glue-mfa"', \
        r.describe()


@pytest.mark.parametrize("path,who", ENDPOINTS, ids=["storefront", "backend"])
def test_a_secret_in_the_form_is_invalid_client_without_a_challenge(path, who):
    """No Authorization header: no WWW-Authenticate (openid-client reports an
    unexpected challenge as an error of its own)."""
    user, pw = credentials(who)
    with unchanged(side="backend" if who else "storefront"):
        r = password_grant(user, pw, path, client_id="shop-pwa",
                           client_secret="s3cret")
    assert_oauth_error(r, 401, "invalid_client", OD_CLIENT)
    assert "WWW-Authenticate" not in r.headers, r.describe()


@pytest.mark.parametrize("path,who", ENDPOINTS, ids=["storefront", "backend"])
def test_a_secret_in_the_form_after_basic_names_the_scheme(path, who):
    user, pw = credentials(who)
    with unchanged(side="backend" if who else "storefront"):
        r = password_grant(user, pw, path, headers={"Authorization": basic("a")},
                           client_secret="s3cret")
    assert_oauth_error(r, 401, "invalid_client", OD_CLIENT)
    assert r.headers.get("WWW-Authenticate") == 'Basic realm="glue-mfa"'


@pytest.mark.parametrize("path,who", ENDPOINTS, ids=["storefront", "backend"])
def test_two_different_client_ids_are_invalid_request(path, who):
    user, pw = credentials(who)
    with unchanged(side="backend" if who else "storefront"):
        r = password_grant(user, pw, path, headers={"Authorization": basic("a")},
                           client_id="b")
    assert_oauth_error(r, 400, "invalid_request", OD_CLIENT_ID)
    assert "WWW-Authenticate" not in r.headers


@pytest.mark.parametrize("path,who", ENDPOINTS, ids=["storefront", "backend"])
def test_a_bearer_header_is_ignored(path, who):
    user, pw = credentials(who)
    assert_oauth_tokens(password_grant(user, pw, path,
                                       headers={"Authorization": "Bearer x"}))


# --------------------------------------------------------------------------
# RFC 8414 metadata (contract §10.5)


def metadata_of(issuer):
    return {"issuer": issuer, "token_endpoint": issuer + "/token",
            "grant_types_supported": ["password", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"]}


@pytest.mark.parametrize("path,issuer", [(META, BASE), (META + "/backend",
                                                       BASE + "/backend")],
                         ids=["storefront", "backend"])
def test_metadata_names_the_issuer_and_its_token_endpoint(path, issuer):
    r = api("GET", path, check=False)
    check_oauth_common(r)
    assert r.status == 200, r.describe()
    assert r.json == metadata_of(issuer), r.describe()
    assert list(r.json) == list(metadata_of(issuer)), r.describe()
    assert "response_types_supported" not in r.json


@pytest.mark.parametrize("path", [META, META + "/backend"])
def test_metadata_is_get_only(path):
    r = api("POST", path, data=b"x=1", content_type=FORM)
    assert_error(r, 405, "104", "Method not allowed.")
    check_allow(r, ["GET"])


def test_metadata_from_the_request_follows_its_host():
    """Without oauth_issuer the issuer is the request's own base, as links
    are (contract §2.6): a client that discovers from the URL it trusts gets
    that URL back; no-store keeps a shared cache from serving another's."""
    r = api("GET", META + "/backend", headers={"Host": "shop.example:8443"},
            check=False)
    assert r.status == 200, r.describe()
    assert r.json["issuer"] == "http://shop.example:8443/backend"
    assert r.headers.get("Cache-Control") == "no-store"


def run_cgi(conf, path, backend=False, method="GET", host="attacker.example"):
    prog = os.path.join(bin_dir(), "backend" if backend else "", "token")
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf,
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "HTTP_HOST": host, "REQUEST_METHOD": method, "REQUEST_URI": path,
           "SCRIPT_NAME": path, "REMOTE_ADDR": "127.0.0.1"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([prog], input=b"", env=env, capture_output=True,
                       timeout=60)
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    headers = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return p, Answer(int(headers.get("status", "200").split()[0]), headers,
                     rest.decode())


@pytest.mark.parametrize("issuer", ["https://shop.example.com",
                                    "https://shop.example.com/glue"])
def test_a_configured_issuer_ignores_the_host_header(tmp_path, issuer):
    conf = conf_with(tmp_path, oauth_issuer=issuer)
    _, a = run_cgi(conf, META)
    assert a.status == 200, a.describe()
    assert a.json == metadata_of(issuer), a.describe()
    _, a = run_cgi(conf, META + "/backend", backend=True)
    assert a.json == metadata_of(issuer + "/backend"), a.describe()


@pytest.mark.parametrize("bad", ["shop.example.com", "ftp://shop.example.com",
                                 "https://shop.example.com/",
                                 "https://shop.example.com?x=1",
                                 "https://shop.example.com#f",
                                 "https://user@shop.example.com",
                                 "https://", 'https://a"b.example'])
def test_a_bad_issuer_stops_the_program(tmp_path, bad):
    conf = conf_with(tmp_path, oauth_issuer=bad)
    p, a = run_cgi(conf, META)
    assert a.status == 500, a.describe()
    assert b"oauth_issuer: not an http or https URL" in p.stderr, p.stderr
