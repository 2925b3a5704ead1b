"""GET multi-factor-auth-types[/{type}] (contract §4, §4.1), on both sides.

The test instance offers `email,totp,webauthn` (tools/instance.sh): the
collection lists them, active first, then pending, then the rest, each group in the
configuration's order."""

import pytest

from conftest import (BASE, api, assert_error, assert_invalid_token,
                      assert_missing_token, check_allow, D_NOTFOUND)
from mfa_helpers import (ACTIVATED, DEACTIVATED, PENDING, TYPES, activation_code,
                         assert_204, deactivate, fresh_code, get_types, verify)
from mfa_helpers import account, other_account, side  # noqa: F401 (fixtures)


def item(s, status, type_="email"):
    return {"type": TYPES, "id": type_,
            "attributes": {"type": type_, "status": status},
            "links": {"self": BASE + s.path(TYPES) + "/" + type_}}


def check_collection(r, s, email, totp=DEACTIVATED):
    """The collection given the status of each method, in contract order."""
    rank = {ACTIVATED: 0, PENDING: 1, DEACTIVATED: 2}
    want = sorted([("email", email), ("totp", totp), ("webauthn", DEACTIVATED)],
                  key=lambda t: rank[t[1]])
    assert r.status == 200, r.describe()
    assert r.json == {"data": [item(s, st, t) for t, st in want],
                      "links": {"self": BASE + s.path(TYPES)}}, r.describe()


def check_one(r, s, status):
    assert r.status == 200, r.describe()
    assert r.json == {"data": item(s, status)}, r.describe()


def test_fresh_account_sees_email_deactivated(account):
    check_collection(get_types(account), account.side, DEACTIVATED)
    check_one(get_types(account, type_="email"), account.side, DEACTIVATED)
    r = get_types(account, type_="totp")
    assert r.status == 200 and r.json == {"data": item(account.side, DEACTIVATED,
                                                       "totp")}, r.describe()


def test_status_follows_the_life_cycle(account):
    c, s = account, account.side
    code = activation_code(c)
    check_collection(get_types(c), s, PENDING)
    check_one(get_types(c, type_="email"), s, PENDING)
    assert_204(verify(c, code))
    check_collection(get_types(c), s, ACTIVATED)
    check_one(get_types(c, type_="email"), s, ACTIVATED)
    assert_204(deactivate(c, fresh_code(c)))
    check_collection(get_types(c), s, DEACTIVATED)
    check_one(get_types(c, type_="email"), s, DEACTIVATED)


def test_status_is_per_account(account, other_account):
    activation_code(account)
    check_collection(get_types(other_account), other_account.side, DEACTIVATED)


@pytest.mark.parametrize("type_", ["sms", "hotp", "TOTP", "EMAIL", "email2"])
def test_method_not_offered_is_404(account, type_):
    assert_error(get_types(account, type_=type_), 404, "103", D_NOTFOUND)


def test_needs_a_token(side):
    assert_missing_token(api("GET", side.path(TYPES)))
    assert_missing_token(api("GET", side.path(TYPES) + "/email"))
    assert_invalid_token(api("GET", side.path(TYPES), token="x" * 43))


def test_post_is_405(account):
    r = api("POST", account.side.path(TYPES),
            {"data": {"type": TYPES, "attributes": {}}}, token=account.access)
    assert r.status == 405, r.describe()
    check_allow(r, ["GET"])
