"""POST /backend/token: the back office's OAuth 2.0 token endpoint (contract §3.3,
RFC 6749 §4.3, §5, §6): both grants, every error shape, rotation, limits."""

import contextlib

import pytest

from conftest import (api, assert_error, check_allow, db_query, login, new_customer,
                      refresh, assert_refresh_failed)
from effects import login_failure_counted, unchanged
from backend_helpers import (ADMIN_NAME, ADMIN_PASSWORD, BE, FORM, OD_CLIENT,
                             OD_FORM, OD_GRANT, OD_LIMIT, OD_MEDIA, OD_NO_GRANT,
                             OD_NO_REFRESH, OD_USERPASS, admin_token,
                             assert_invalid_grant, assert_invalid_token,
                             assert_oauth_error, assert_oauth_tokens,
                             assert_refresh_refused, audit_rows, form, max_audit_id,
                             new_user, password_grant, refresh_grant,
                             sign_in, token_post, unique_username, user_id,
                             user_patch)

LOGIN_WINDOW = 900
# The tests run from one address: the (account, address) limit is the one
# met first (login_max_failures_per_account_address; contract §3.6).
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 50


def users_get(token):
    return api("GET", BE + "/users", token=token)


def account_of(username):
    """The id of the user signing in with `username`, None if there is none."""
    rows = db_query("SELECT id FROM users WHERE username = '%s'" % username)
    assert len(rows) <= 1, rows
    return int(rows[0][0]) if rows else None


@contextlib.contextmanager
def untouched(username=None):
    """A refusal that counts nothing: no change at all (effects.unchanged),
    for the user of `username` if there is one."""
    with unchanged(side="backend",
                   account_id=None if username is None else account_of(username)):
        yield


@contextlib.contextmanager
def counted_failure(username):
    """invalid_grant for the credentials: the failure counted (the username
    and the client address) and audited, nothing else, no token."""
    with unchanged(side="backend", account_id=account_of(username),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        yield


@contextlib.contextmanager
def limited(username):
    """429: audited (a row without an account id), nothing counted, no
    token; the account's rows compared by hand (unchanged() with an account
    id expects every new audit row to name that account)."""
    uid = account_of(username)
    before = uid and unchanged.snapshot("backend", uid)
    with unchanged(side="backend", audit=[("login", "failure", "113")]):
        yield
    if uid:
        assert unchanged.diff(before, unchanged.snapshot("backend", uid)) == []


def reuse_refused(username, token):
    """A rotated refresh token used again: refused, and by design its whole
    family revoked (every access and refresh token of the sign-in whose
    refresh token was used), nothing else."""
    uid = account_of(username)
    # The tests reuse a token of the sign-in rotated last.
    families = {r[0] for r in db_query(
        "SELECT family_id FROM refresh_tokens WHERE side = 1 AND "
        "account_id = %d AND used = 1 ORDER BY id DESC LIMIT 1" % uid)}
    assert len(families) == 1, families

    def revoked(rows):
        for row in rows.values():
            if row["family_id"] in families:
                row["revoked"] = "1"
        return rows

    with unchanged(side="backend", account_id=uid,
                   changes={"access_tokens": revoked, "refresh_tokens": revoked}):
        assert_refresh_refused(refresh_grant(token))


# --------------------------------------------------------------------------
# Password grant


def test_password_grant_answers_rfc6749_tokens_that_work():
    r = password_grant(ADMIN_NAME, ADMIN_PASSWORD)
    access, _ = assert_oauth_tokens(r)
    g = users_get(access)
    assert g.status == 200, g.describe()


def test_every_sign_in_gets_new_tokens():
    a1 = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    a2 = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    assert a1[0] != a2[0] and a1[1] != a2[1]
    for access, _ in (a1, a2):
        assert users_get(access).status == 200


@pytest.mark.parametrize("ctype", [
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/x-www-form-urlencoded;charset=utf-8",
    "Application/X-WWW-Form-Urlencoded",
])
def test_form_media_type_with_parameters_or_other_case_is_accepted(ctype):
    r = token_post(form(grant_type="password", username=ADMIN_NAME,
                        password=ADMIN_PASSWORD), content_type=ctype)
    assert_oauth_tokens(r)


def test_plus_and_percent_encoding_are_decoded():
    u = new_user(password="pass word+%&=1")
    r = token_post("grant_type=password&username=%s&password=pass+word%%2B%%25%%26%%3D1"
                   % u.username.replace("@", "%40"))
    assert_oauth_tokens(r)


def test_username_is_case_insensitive():
    u = new_user()
    assert_oauth_tokens(password_grant(u.username.upper(), u.password))


def test_client_id_of_a_public_client_is_tolerated():
    r = password_grant(ADMIN_NAME, ADMIN_PASSWORD, client_id="backoffice-ui")
    assert_oauth_tokens(r)


def test_wrong_password_unknown_user_and_blocked_user_answer_alike(login_failures_cleared):
    u = new_user()
    blocked = new_user()
    r = user_patch(admin_token(), blocked.uuid, {"status": "blocked"})
    assert r.status == 200, r.describe()
    ghost = unique_username("ghost")
    answers = []
    for name, password in [(u.username, u.password + "x"), (ghost, u.password),
                           (blocked.username, blocked.password)]:
        with counted_failure(name):
            answers.append(password_grant(name, password))
    for a in answers:
        assert_invalid_grant(a)
    assert answers[0].raw == answers[1].raw == answers[2].raw


def test_sign_in_is_audited(db, login_failures_cleared):
    u = new_user()
    uid = user_id(u.username)
    mark = max_audit_id()
    sign_in(u.username, u.password)
    with counted_failure(u.username):
        assert_invalid_grant(password_grant(u.username, "wrong-password"))
    rows = audit_rows("id > %d AND side = 1 AND account_id = %d" % (mark, uid))
    assert [(x["action"], x["result"], x["error_code"]) for x in rows] == [
        ("login", "success", None), ("login", "failure", "003")], rows
    for x in rows:
        assert x["side"] == "1" and x["actor_id"] is None and x["method"] is None, x


# --------------------------------------------------------------------------
# invalid_request, unsupported_grant_type, invalid_client


@pytest.mark.parametrize("body,desc", [
    ("", OD_NO_GRANT),
    ("username=admin%40example.com&password=change123", OD_NO_GRANT),
    ("grant_type=&username=admin%40example.com&password=change123", OD_NO_GRANT),
    ("grant_type=password", OD_USERPASS),
    ("grant_type=password&password=change123", OD_USERPASS),
    ("grant_type=password&username=admin%40example.com", OD_USERPASS),
    ("grant_type=password&username=&password=change123", OD_USERPASS),
    ("grant_type=password&username=admin%40example.com&password=", OD_USERPASS),
    ("grant_type=refresh_token", OD_NO_REFRESH),
    ("grant_type=refresh_token&refresh_token=", OD_NO_REFRESH),
])
def test_missing_parameters_are_invalid_request(body, desc):
    with untouched(ADMIN_NAME):
        assert_oauth_error(token_post(body), 400, "invalid_request", desc)


@pytest.mark.parametrize("grant", ["client_credentials", "authorization_code",
                                   "implicit", "PASSWORD", "Refresh_Token",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_other_grants_are_unsupported(grant):
    with untouched(ADMIN_NAME):
        r = token_post(form(grant_type=grant, username=ADMIN_NAME,
                            password=ADMIN_PASSWORD))
        assert_oauth_error(r, 400, "unsupported_grant_type", OD_GRANT)


@pytest.mark.parametrize("ctype,body", [
    (None, form(grant_type="password", username=ADMIN_NAME, password=ADMIN_PASSWORD)),
    ("application/json", '{"grant_type":"password","username":"admin@example.com",'
                         '"password":"change123"}'),
    ("application/vnd.api+json", '{"grant_type":"password"}'),
    ("text/plain", form(grant_type="password", username=ADMIN_NAME,
                        password=ADMIN_PASSWORD)),
    ("multipart/form-data; boundary=x", "--x--"),
    ("application/x-www-form-urlencodedx", "grant_type=password"),
])
def test_a_body_that_is_not_a_form_is_invalid_request(ctype, body):
    with untouched(ADMIN_NAME):
        r = token_post(body, content_type=ctype)
        assert_oauth_error(r, 400, "invalid_request", OD_MEDIA)


@pytest.mark.parametrize("body", [
    "grant_type=password&grant_type=password&username=admin%40example.com"
    "&password=change123",
    "grant_type=password&username=admin%40example.com&username=admin%40example.com"
    "&password=change123",
    "grant_type=password&username=admin%40example.com&password=change123"
    "&password=other-password",
    "grant_type=refresh_token&refresh_token=a&refresh_token=b",
])
def test_a_repeated_parameter_is_invalid_request(body):
    with untouched(ADMIN_NAME):
        assert_oauth_error(token_post(body), 400, "invalid_request", OD_FORM)


@pytest.mark.parametrize("body", [
    "grant_type=password&username",                       # no '='
    "grant_type=password&username=admin%40example.com&password=%zz",
    "grant_type=password&username=admin%40example.com&password=abc%4",
    "grant_type=password&username=admin%40example.com&password=change%00123",
    "grant_type=password&username=admin%40example.com&password=%ff%fe",
    "grant_type=password&username=admin%40example.com&password=%c3%28",
    b"grant_type=password&username=admin%40example.com&password=\xff\xfe",
])
def test_a_malformed_form_is_invalid_request(body):
    with untouched(ADMIN_NAME):
        assert_oauth_error(token_post(body), 400, "invalid_request", OD_FORM)


@pytest.mark.parametrize("auth", ["Basic YmFja29mZmljZTpzZWNyZXQ=",
                                  "basic YmFja29mZmljZTpzZWNyZXQ="])
def test_basic_client_authentication_is_invalid_client(auth):
    with untouched(ADMIN_NAME):
        r = token_post(form(grant_type="password", username=ADMIN_NAME,
                            password=ADMIN_PASSWORD), headers={"Authorization": auth})
        assert_oauth_error(r, 401, "invalid_client", OD_CLIENT)


def test_invalid_client_after_basic_names_the_scheme():
    """RFC 6749 §5.2: a client that tried the Authorization header gets 401
    with a WWW-Authenticate header matching the scheme it used."""
    with untouched(ADMIN_NAME):
        r = token_post(form(grant_type="password", username=ADMIN_NAME,
                            password=ADMIN_PASSWORD),
                       headers={"Authorization": "Basic YmFja29mZmljZTpzZWNyZXQ="})
        assert_oauth_error(r, 401, "invalid_client", OD_CLIENT)
    www = r.headers.get("WWW-Authenticate")
    assert www is not None and www.lower().startswith("basic"), \
        "no WWW-Authenticate: Basic on the 401" + r.describe()


@pytest.mark.parametrize("grant", ["password", "refresh_token"])
def test_a_client_secret_is_invalid_client(grant):
    _, rt = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    with untouched(ADMIN_NAME):
        r = token_post(form(grant_type=grant, username=ADMIN_NAME,
                            password=ADMIN_PASSWORD, refresh_token=rt,
                            client_id="backoffice-ui", client_secret="s3cret"))
        assert_oauth_error(r, 401, "invalid_client", OD_CLIENT)


# --------------------------------------------------------------------------
# The front line still applies (JSON:API answers before the handler)


GOOD_FORM = form(grant_type="password", username=ADMIN_NAME,
                 password=ADMIN_PASSWORD).encode()


def test_other_methods_are_405_with_allow():
    for m in ("GET", "PUT", "PATCH", "DELETE"):
        with untouched(ADMIN_NAME):
            # A GET with a body is the web server's own 400 (lighttpd).
            r = api(m, BE + "/token", data=None if m == "GET" else GOOD_FORM,
                    content_type=FORM)
            assert_error(r, 405, "104", "Method not allowed.")
            check_allow(r, ["POST"])


def test_unknown_path_below_token_is_404():
    with untouched(ADMIN_NAME):
        r = api("POST", BE + "/token/extra", data=GOOD_FORM, content_type=FORM)
        assert_error(r, 404, "103", "Resource not found.")


def test_accept_that_admits_no_json_is_406():
    with untouched(ADMIN_NAME):
        r = api("POST", BE + "/token", data=GOOD_FORM, content_type=FORM,
                headers={"Accept": "text/html"})
        assert_error(r, 406, "105", "Not acceptable.")


def test_oversized_form_is_413():
    body = GOOD_FORM + b"&pad=" + b"a" * (65 * 1024)
    with untouched(ADMIN_NAME):
        r = api("POST", BE + "/token", data=body, content_type=FORM, check=False)
        assert r.status == 413, r.describe()


# --------------------------------------------------------------------------
# Refresh grant: rotation and reuse


def test_refresh_grant_rotates():
    access, rt = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    r = refresh_grant(rt)
    access2, rt2 = assert_oauth_tokens(r)
    assert access2 != access and rt2 != rt
    assert users_get(access2).status == 200
    with untouched(ADMIN_NAME):                     # rotation ends the old access token
        assert_invalid_token(users_get(access))
    a3, rt3 = assert_oauth_tokens(refresh_grant(rt2))
    assert users_get(a3).status == 200
    reuse_refused(ADMIN_NAME, rt)                   # used once (a reuse: see below)


def test_reusing_a_refresh_token_revokes_its_family_only():
    u = new_user()
    access, rt = sign_in(u.username, u.password)
    other_access, other_rt = sign_in(u.username, u.password)   # another family
    access2, rt2 = assert_oauth_tokens(refresh_grant(rt))
    reuse_refused(u.username, rt)                              # the reuse
    with untouched(u.username):
        assert_refresh_refused(refresh_grant(rt2))             # successor revoked
    with untouched(u.username):
        assert_invalid_token(users_get(access2))
        assert_invalid_token(users_get(access))
    assert users_get(other_access).status == 200               # untouched
    assert_oauth_tokens(refresh_grant(other_rt))


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 44, "!" * 43,
                                   "a" * 42 + "="])
def test_unknown_or_malformed_refresh_token_is_invalid_grant(token):
    with untouched():
        assert_refresh_refused(refresh_grant(token))


def test_an_access_token_is_not_a_refresh_token():
    access, _ = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    with untouched(ADMIN_NAME):
        assert_refresh_refused(refresh_grant(access))


def test_refresh_of_a_blocked_user_is_refused():
    u = new_user()
    _, rt = sign_in(u.username, u.password)
    r = user_patch(admin_token(), u.uuid, {"status": "blocked"})
    assert r.status == 200, r.describe()
    with untouched(u.username):
        assert_refresh_refused(refresh_grant(rt))


def test_refresh_grant_ignores_username_and_password():
    _, rt = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    r = refresh_grant(rt, username="nobody@example.com", password="wrong-password")
    assert_oauth_tokens(r)


def test_refresh_tokens_do_not_cross_sides():
    c = new_customer().signed_in()
    cid = int(db_query("SELECT id FROM customers WHERE email = '%s'"
                       % c.email)[0][0])
    with unchanged(side="storefront", account_id=cid), untouched():
        assert_refresh_refused(refresh_grant(c.refresh))
    _, rt = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    with untouched(ADMIN_NAME), unchanged(side="storefront"):
        assert_refresh_failed(refresh(rt))
    # Neither attempt spent the tokens of its own side.
    assert refresh(c.refresh).status == 201
    assert_oauth_tokens(refresh_grant(rt))


# --------------------------------------------------------------------------
# Lifetimes (test clock)


def test_access_token_expires_refresh_token_still_works(clock):
    access, rt = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    clock(28800 - 60)
    assert users_get(access).status == 200
    clock(28800 + 1)
    with untouched(ADMIN_NAME):
        assert_invalid_token(users_get(access))
    access2, _ = assert_oauth_tokens(refresh_grant(rt))
    assert users_get(access2).status == 200


def test_refresh_token_expires_after_30_days(clock):
    _, rt = sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    clock(2592000 + 1)
    with untouched(ADMIN_NAME):
        assert_refresh_refused(refresh_grant(rt))


# --------------------------------------------------------------------------
# Sign-in limits


def retry_after(r):
    v = r.headers.get("Retry-After")
    assert v is not None and v.isdigit(), "Retry-After" + r.describe()
    return int(v)


def assert_limited(r):
    assert_oauth_error(r, 429, "invalid_grant", OD_LIMIT)
    ra = retry_after(r)
    assert 1 <= ra <= LOGIN_WINDOW, r.describe()
    return ra


def fail(username, n=1):
    for _ in range(n):
        with counted_failure(username):
            assert_invalid_grant(password_grant(username, "wrong-password"))


def refused_as_limited(username, password):
    with limited(username):
        return assert_limited(password_grant(username, password))


def test_login_limit_per_username(login_failures_cleared, clock):
    u = new_user()
    other = new_user()
    fail(u.username, LOGIN_MAX_FAILURES)
    refused_as_limited(u.username, "wrong-password")
    refused_as_limited(u.username, u.password)                    # even the right one
    refused_as_limited(u.username.upper(), u.password)
    assert_oauth_tokens(password_grant(other.username, other.password))
    clock(LOGIN_WINDOW + 1)
    assert_oauth_tokens(password_grant(u.username, u.password))


def test_retry_after_counts_down(login_failures_cleared, clock):
    u = new_user()
    fail(u.username, LOGIN_MAX_FAILURES)
    first = refused_as_limited(u.username, u.password)
    clock(300)
    later = refused_as_limited(u.username, u.password)
    assert first - 302 <= later <= first - 298, (first, later)


def test_success_clears_the_username_count(login_failures_cleared):
    u = new_user()
    fail(u.username, LOGIN_MAX_FAILURES - 1)
    sign_in(u.username, u.password)
    fail(u.username, LOGIN_MAX_FAILURES - 1)
    sign_in(u.username, u.password)


def test_backend_limit_does_not_lock_the_storefront(login_failures_cleared):
    c = new_customer()
    fail(c.email, LOGIN_MAX_FAILURES)
    refused_as_limited(c.email, "wrong-password")
    r = login(c.email, c.password)
    assert r.status == 201, r.describe()


def test_login_limit_per_client_address(login_failures_cleared):
    for i in range(LOGIN_MAX_FAILURES_PER_ADDRESS):
        fail(unique_username("spray"))
    refused_as_limited(ADMIN_NAME, ADMIN_PASSWORD)
    # The Storefront counts its own failures.
    c = new_customer()
    assert login(c.email, c.password).status == 201
