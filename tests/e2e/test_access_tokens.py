"""POST /access-tokens: sign-in, failures, login limits, token lifetime."""

import base64
import statistics
import time

import pytest

from conftest import (D_TOO_MANY_LOGINS, api, assert_error, check_token_resource,
                      assert_invalid_token, assert_login_failed, assert_member,
                      assert_refresh_failed, db_dump, doc, login,
                      new_customer, refresh, unique_email)
from effects import login_counted, login_limited, login_untouched


def test_login_returns_tokens_that_work():
    c = new_customer()
    r = login(c.email, c.password)
    a = check_token_resource(r)
    g = api("GET", c.path, token=a["accessToken"])
    assert g.status == 200, g.describe()
    assert g.data["id"] == c.ref


def test_every_login_gets_new_tokens():
    c = new_customer()
    a1 = check_token_resource(login(c.email, c.password))
    a2 = check_token_resource(login(c.email, c.password))
    assert a1["accessToken"] != a2["accessToken"]
    assert a1["refreshToken"] != a2["refreshToken"]
    for a in (a1, a2):
        assert api("GET", c.path, token=a["accessToken"]).status == 200


def test_tokens_have_256_bits():
    c = new_customer()
    a = check_token_resource(login(c.email, c.password))
    for t in (a["accessToken"], a["refreshToken"]):
        assert len(base64.urlsafe_b64decode(t + "=")) == 32


def test_login_email_is_case_insensitive():
    c = new_customer(email=unique_email().replace("e2e-", "E2E.Mixed-"))
    r = login(c.email.upper(), c.password)
    check_token_resource(r)
    r = login(c.email.lower(), c.password)
    check_token_resource(r)


def test_wrong_password_and_unknown_email_answer_identically(login_failures_cleared):
    c = new_customer()
    with login_counted(c.email):
        wrong = login(c.email, c.password + "x")
    ghost = unique_email("unknown")
    with login_counted(ghost):
        unknown = login(ghost, c.password)
    assert_login_failed(wrong)
    assert_login_failed(unknown)
    assert wrong.raw == unknown.raw
    assert wrong.headers.get("Content-Type") == unknown.headers.get("Content-Type")
    assert "Retry-After" not in wrong.headers


def test_unknown_email_takes_similar_time(login_failures_cleared):
    """An unknown e-mail must still cost a password hash (no user enumeration by
    timing): its median time is at least 30% of a wrong password's."""
    c = new_customer()
    t_wrong, t_unknown = [], []
    for _ in range(3):
        with login_counted(c.email):
            t0 = time.monotonic()
            assert_login_failed(login(c.email, "wrong-password-%d" % _))
            t_wrong.append(time.monotonic() - t0)
        ghost = unique_email("ghost")
        with login_counted(ghost):
            t0 = time.monotonic()
            assert_login_failed(login(ghost, "wrong-password"))
            t_unknown.append(time.monotonic() - t0)
    mw, mu = statistics.median(t_wrong), statistics.median(t_unknown)
    assert mu >= 0.3 * mw, "unknown e-mail %.3fs vs wrong password %.3fs" % (mu, mw)


@pytest.mark.parametrize("attrs,pointer", [
    ({"password": "x" * 8}, "/data/attributes/username"),
    ({"username": "a@example.com"}, "/data/attributes/password"),
    ({"username": 5, "password": "x" * 8}, "/data/attributes/username"),
    ({"username": None, "password": "x" * 8}, "/data/attributes/username"),
    ({"username": ["a@example.com"], "password": "x" * 8}, "/data/attributes/username"),
    ({"username": "a@example.com", "password": 12345678}, "/data/attributes/password"),
    ({"username": "a@example.com", "password": True}, "/data/attributes/password"),
    ({"username": "a@example.com", "password": {"x": 1}}, "/data/attributes/password"),
])
def test_username_password_missing_or_not_strings(attrs, pointer,
                                                  login_failures_cleared):
    with login_untouched():
        r = api("POST", "/access-tokens", doc("access-tokens", attrs))
        assert_member(r, pointer)


def test_bad_credential_types_of_a_real_customer_count_nothing(login_failures_cleared):
    c = new_customer()
    with login_untouched(c.email):
        r = api("POST", "/access-tokens",
                doc("access-tokens", {"username": c.email, "password": 12345678}))
        assert_member(r, "/data/attributes/password")


def test_empty_credentials_fail_as_authentication(login_failures_cleared):
    # Strings of the right type: the contract's answer to bad credentials is 401 003.
    with login_counted(""):
        r = login("", "")
        assert_login_failed(r)


def test_bearer_token_on_login_is_ignored():
    c = new_customer()
    r = login(c.email, c.password, headers={"Authorization": "Bearer garbage"})
    check_token_resource(r)


def test_tokens_and_password_are_not_stored_in_clear(db):
    c = new_customer(password="Unique-Pw-" + unique_email()[4:20])
    a = check_token_resource(login(c.email, c.password))
    dump = db_dump()
    for secret in (a["accessToken"], a["refreshToken"], c.password):
        assert secret not in dump
    for t in (a["accessToken"], a["refreshToken"]):
        raw = base64.urlsafe_b64decode(t + "=")
        assert raw.hex() not in dump.lower()
        assert raw.hex().upper() not in dump


# ---------------------------------------------------------------- login limits

def _fail(email, n):
    for i in range(n):
        with login_counted(email):
            r = login(email, "wrong-password-%d" % i)
            assert_login_failed(r)


def _too_many(email, password):
    with login_limited(email):
        r = login(email, password)
        assert_error(r, 429, "113", D_TOO_MANY_LOGINS)
        ra = r.headers.get("Retry-After")
        assert ra is not None and ra.isdigit(), r.describe()
        assert 0 < int(ra) <= 900, r.describe()


def test_account_locked_after_five_failures(login_failures_cleared):
    """Five from one address (the suite's): the (account, address) limit;
    test_signin_limits.py has the other addresses."""
    c = new_customer()
    _fail(c.email, 5)                      # failure 5 is still 401 003
    _too_many(c.email, c.password)         # attempt 6, right password: 429
    _too_many(c.email, "wrong")
    _too_many(c.email.upper(), c.password)  # same account, other case
    # Another account is not affected.
    d = new_customer()
    check_token_resource(login(d.email, d.password))


def test_unknown_email_is_limited_too(login_failures_cleared):
    e = unique_email("ghost")
    _fail(e, 5)
    _too_many(e, "whatever1")


def test_success_resets_the_count(login_failures_cleared):
    c = new_customer()
    _fail(c.email, 4)
    check_token_resource(login(c.email, c.password))
    _fail(c.email, 4)
    check_token_resource(login(c.email, c.password))


def test_clearing_the_table_unlocks(login_failures_cleared, db):
    c = new_customer()
    _fail(c.email, 5)
    _too_many(c.email, c.password)
    db("DELETE FROM login_failures")
    check_token_resource(login(c.email, c.password))


def test_lock_ends_after_the_window(login_failures_cleared, clock):
    c = new_customer()
    _fail(c.email, 5)
    _too_many(c.email, c.password)
    clock(901)
    check_token_resource(login(c.email, c.password))


def test_address_locked_after_fifty_failures(login_failures_cleared):
    c = new_customer()
    for i in range(50):
        # Distinct e-mails, so no single account reaches its own limit.
        _fail(unique_email("addr%d" % i), 1)
    _too_many(c.email, c.password)


# ---------------------------------------------------------------- lifetime

def test_access_token_expires_refresh_token_lives_on(clock):
    c = new_customer().signed_in()
    clock(28800 - 60)
    assert api("GET", c.path, token=c.access).status == 200
    clock(28800 + 60)
    with login_untouched(c.email):
        assert_invalid_token(api("GET", c.path, token=c.access))
    with login_untouched(c.email):
        assert_invalid_token(api("DELETE", "/refresh-tokens/mine", token=c.access))
    r = refresh(c.refresh)
    a = check_token_resource(r, "refresh-tokens")
    g = api("GET", c.path, token=a["accessToken"])
    assert g.status == 200, g.describe()


def test_refresh_token_expires_after_its_ttl(clock):
    c = new_customer().signed_in()
    d = new_customer().signed_in()
    clock(2592000 - 3600)
    check_token_resource(refresh(c.refresh), "refresh-tokens")
    clock(2592000 + 60)
    with login_untouched(d.email):
        assert_refresh_failed(refresh(d.refresh))
