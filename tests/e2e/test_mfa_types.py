"""GET /multi-factor-auth-types[/{type}] (SPEC §4, §4.1)."""

import pytest

from conftest import (BASE, api, assert_error, assert_invalid_token,
                      assert_missing_token, check_allow, D_NOTFOUND)
from mfa_helpers import (ACTIVATED, DEACTIVATED, PENDING, TYPES, activation_code,
                         assert_204, deactivate, fresh_code, get_types, verify)


def item(status, type_="email"):
    return {"type": TYPES, "id": type_,
            "attributes": {"type": type_, "status": status},
            "links": {"self": BASE + "/" + TYPES + "/" + type_}}


def check_collection(r, *statuses):
    assert r.status == 200, r.describe()
    assert r.json == {"data": [item(s) for s in statuses],
                      "links": {"self": BASE + "/" + TYPES}}, r.describe()


def check_one(r, status):
    assert r.status == 200, r.describe()
    assert r.json == {"data": item(status)}, r.describe()


def test_fresh_customer_sees_email_deactivated(customer):
    check_collection(get_types(customer), DEACTIVATED)
    check_one(get_types(customer, type_="email"), DEACTIVATED)


def test_status_follows_the_life_cycle(customer):
    c = customer
    code = activation_code(c)
    check_collection(get_types(c), PENDING)
    check_one(get_types(c, type_="email"), PENDING)
    assert_204(verify(c, code))
    check_collection(get_types(c), ACTIVATED)
    check_one(get_types(c, type_="email"), ACTIVATED)
    assert_204(deactivate(c, fresh_code(c)))
    check_collection(get_types(c), DEACTIVATED)
    check_one(get_types(c, type_="email"), DEACTIVATED)


def test_status_is_per_customer(customer, other_customer):
    activation_code(customer)
    check_collection(get_types(other_customer), DEACTIVATED)


@pytest.mark.parametrize("type_", ["sms", "totp", "EMAIL", "email2"])
def test_method_not_offered_is_404(customer, type_):
    assert_error(get_types(customer, type_=type_), 404, "103", D_NOTFOUND)


def test_needs_a_token():
    assert_missing_token(api("GET", "/" + TYPES))
    assert_missing_token(api("GET", "/" + TYPES + "/email"))
    assert_invalid_token(api("GET", "/" + TYPES, token="x" * 43))


def test_post_is_405(customer):
    r = api("POST", "/" + TYPES, {"data": {"type": TYPES, "attributes": {}}},
            token=customer.access)
    assert r.status == 405, r.describe()
    check_allow(r, ["GET"])
