"""POST /refresh-tokens (rotation, reuse detection) and DELETE /refresh-tokens/..."""

import contextlib

import pytest

from conftest import (D_METHOD, api, check_allow, assert_error, assert_invalid_token,
                      assert_member, assert_missing_token, assert_refresh_failed,
                      check_token_resource, db_query, doc, new_customer, refresh)
from effects import unchanged


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(*customers):
    """A refusal: nothing changes (effects.unchanged), for each customer
    given, or for no account in particular."""
    with contextlib.ExitStack() as stack:
        for c in customers or [None]:
            stack.enter_context(unchanged(
                side="storefront",
                account_id=None if c is None else customer_id(c)))
        yield


def reuse_refused(c, token):
    """A rotated refresh token used again: 401 004, and by design its whole
    family revoked (RFC 6819 §5.2.2.3): every access and refresh token of
    the sign-in whose refresh token was used, nothing else."""
    cid = customer_id(c)
    # The tests reuse a token of the sign-in rotated last.
    families = {r[0] for r in db_query(
        "SELECT family_id FROM refresh_tokens WHERE side = 0 AND "
        "account_id = %d AND used = 1 ORDER BY id DESC LIMIT 1" % cid)}
    assert len(families) == 1, families

    def revoked(rows):
        for row in rows.values():
            if row["family_id"] in families:
                row["revoked"] = "1"
        return rows

    with unchanged(side="storefront", account_id=cid,
                   changes={"access_tokens": revoked, "refresh_tokens": revoked}):
        assert_refresh_failed(refresh(token))


def test_refresh_rotates():
    c = new_customer().signed_in()
    a = check_token_resource(refresh(c.refresh), "refresh-tokens")
    assert a["refreshToken"] != c.refresh
    assert a["accessToken"] != c.access
    # The new access token works; the one issued with the rotated refresh
    # token ends with it (contract §3.1).
    assert api("GET", c.path, token=a["accessToken"]).status == 200
    with untouched(c):
        assert_invalid_token(api("GET", c.path, token=c.access))
    # The new refresh token rotates again.
    b = check_token_resource(refresh(a["refreshToken"]), "refresh-tokens")
    assert b["refreshToken"] not in (a["refreshToken"], c.refresh)


def test_old_refresh_token_fails_after_rotation():
    c = new_customer().signed_in()
    c.login()                                # another family, untouched
    check_token_resource(refresh(c.refresh), "refresh-tokens")
    reuse_refused(c, c.refresh)


def test_reuse_revokes_the_family():
    c = new_customer().signed_in()
    other_access, other_refresh = c.login()            # a second, unrelated family
    a = check_token_resource(refresh(c.refresh), "refresh-tokens")
    reuse_refused(c, c.refresh)                        # reuse of the rotated token
    with untouched(c):
        assert_refresh_failed(refresh(a["refreshToken"]))  # the newest is revoked too
    with untouched(c):
        assert_invalid_token(api("GET", c.path, token=c.access))
        assert_invalid_token(api("GET", c.path, token=a["accessToken"]))
    # The other sign-in is a different family and keeps working.
    assert api("GET", c.path, token=other_access).status == 200
    check_token_resource(refresh(other_refresh), "refresh-tokens")


def test_reuse_after_two_rotations_revokes_everything_in_family():
    c = new_customer().signed_in()
    a = check_token_resource(refresh(c.refresh), "refresh-tokens")
    b = check_token_resource(refresh(a["refreshToken"]), "refresh-tokens")
    reuse_refused(c, a["refreshToken"])
    with untouched(c):
        assert_refresh_failed(refresh(b["refreshToken"]))
    for t in (c.access, a["accessToken"], b["accessToken"]):
        with untouched(c):
            assert_invalid_token(api("GET", c.path, token=t))


@pytest.mark.parametrize("token", [
    "A" * 43, "nope", "", "x" * 1000, "' OR '1'='1",
])
def test_unknown_refresh_token_is_401_004(token):
    with untouched():
        assert_refresh_failed(refresh(token))


def test_access_token_is_not_a_refresh_token():
    c = new_customer().signed_in()
    with untouched(c):
        assert_refresh_failed(refresh(c.access))


@pytest.mark.parametrize("attrs", [
    {"refreshToken": 5},
    {"refreshToken": ["x"]},
    {"refreshToken": True},
])
def test_refresh_token_not_string_is_400_101(attrs):
    with untouched():
        r = api("POST", "/refresh-tokens", doc("refresh-tokens", attrs))
        assert_member(r, "/data/attributes/refreshToken")


@pytest.mark.parametrize("attrs", [{}, {"refreshToken": None}, {"refresh_token": "x"}])
def test_refresh_token_missing(attrs):
    """The contract does not say; access-tokens' rule (400 101) and customers'
    rule (422 901) are both accepted here, with the pointer."""
    with untouched():
        r = api("POST", "/refresh-tokens", doc("refresh-tokens", attrs))
    if r.status == 422:
        assert_error(r, 422, "901", "refreshToken is invalid.",
                     pointer="/data/attributes/refreshToken")
    else:
        assert_member(r, "/data/attributes/refreshToken")


def test_refresh_wrong_type_is_409():
    c = new_customer().signed_in()
    with untouched(c):
        r = api("POST", "/refresh-tokens",
                doc("access-tokens", {"refreshToken": c.refresh}))
        assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                     pointer="/data/type")


def test_get_refresh_tokens_is_405():
    with untouched():
        r = api("GET", "/refresh-tokens")
        assert_error(r, 405, "104", D_METHOD)
        check_allow(r, {"POST"})


def test_sign_out_mine():
    c = new_customer().signed_in()
    second_access, second_refresh = c.login()
    r = api("DELETE", "/refresh-tokens/mine", token=c.access)
    assert r.status == 204, r.describe()
    assert r.raw == b""
    with untouched(c):
        assert_refresh_failed(refresh(c.refresh))
        assert_refresh_failed(refresh(second_refresh))
        assert_invalid_token(api("GET", c.path, token=c.access))
    # Signing in again works.
    access, _ = c.login()
    assert api("GET", c.path, token=access).status == 200


def test_sign_out_one_refresh_token():
    c = new_customer().signed_in()
    r = api("DELETE", "/refresh-tokens/" + c.refresh, token=c.access)
    assert r.status == 204, r.describe()
    assert r.raw == b""
    with untouched(c):
        assert_refresh_failed(refresh(c.refresh))
        assert_invalid_token(api("GET", c.path, token=c.access))


def test_sign_out_needs_a_token():
    c = new_customer().signed_in()
    with untouched(c):
        assert_missing_token(api("DELETE", "/refresh-tokens/mine"))
    with untouched(c):
        assert_missing_token(api("DELETE", "/refresh-tokens/" + c.refresh))
    with untouched(c):
        assert_invalid_token(api("DELETE", "/refresh-tokens/mine", token="A" * 43))
    with untouched(c):
        assert_invalid_token(api("DELETE", "/refresh-tokens/mine", token=c.refresh))
    # Nothing was revoked.
    check_token_resource(refresh(c.refresh), "refresh-tokens")


def test_sign_out_with_revoked_token_is_401():
    c = new_customer().signed_in()
    c.login()                       # a sign-in after the sign-out: kept
    assert api("DELETE", "/refresh-tokens/mine", token=c.access).status == 204
    with untouched(c):
        assert_invalid_token(api("DELETE", "/refresh-tokens/mine", token=c.access))


def test_sign_out_does_not_touch_other_customers():
    c = new_customer().signed_in()
    d = new_customer().signed_in()
    assert api("DELETE", "/refresh-tokens/mine", token=c.access).status == 204
    assert api("GET", d.path, token=d.access).status == 200
    check_token_resource(refresh(d.refresh), "refresh-tokens")


def test_cannot_revoke_another_customers_refresh_token():
    """DELETE /refresh-tokens/<R of another customer> must not revoke R."""
    c = new_customer().signed_in()
    d = new_customer().signed_in()
    with untouched(d):
        r = api("DELETE", "/refresh-tokens/" + d.refresh, token=c.access)
        assert r.status in (204, 403, 404), r.describe()
    check_token_resource(refresh(d.refresh), "refresh-tokens")
