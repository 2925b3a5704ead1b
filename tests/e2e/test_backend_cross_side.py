"""Tokens never cross sides (contract §3.4): a customer's access token is invalid
on every Backend route, a user's on every Storefront route (401 001)."""

import contextlib

import pytest

from conftest import api, db_query, doc, new_customer
from backend_helpers import (ACTIVATE, BE, DEACTIVATE, RESCUE, TRIGGER, TYPES,
                             VERIFY, admin_token, assert_invalid_token, new_user,
                             user_attrs)
from effects import unchanged


def _id(table, column, value):
    rows = db_query("SELECT id FROM %s WHERE %s = '%s'" % (table, column, value))
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(c, u):
    """A refusal: nothing changes (effects.unchanged) for the customer c nor
    the user u, the token's owner and the account the route names."""
    with unchanged(side="storefront",
                   account_id=_id("customers", "email", c.email)), \
            unchanged(side="backend", account_id=_id("users", "uuid", u.uuid)):
        yield


def backend_routes(u):
    """Every Backend route, with a valid body so the front line lets the
    request through to authentication."""
    return [
        ("GET", BE + "/users", None, None),
        ("POST", BE + "/users", doc("users", user_attrs()), None),
        ("GET", u.path, None, None),
        ("PATCH", u.path, doc("users", {"firstName": "X"}), None),
        ("DELETE", u.path, None, None),
        ("GET", BE + "/" + TYPES, None, None),
        ("GET", BE + "/" + TYPES + "/email", None, None),
        ("POST", BE + "/" + ACTIVATE, doc(ACTIVATE, {"type": "email"}), None),
        ("POST", BE + "/" + VERIFY, doc(VERIFY, {"type": "email"}), "123456"),
        ("POST", BE + "/" + TRIGGER, doc(TRIGGER, {"type": "email"}), None),
        ("POST", BE + "/" + DEACTIVATE, doc(DEACTIVATE, {"type": "email"}), "123456"),
        ("POST", BE + "/" + RESCUE, doc(RESCUE, {"customerReference": "DE--1",
                                                  "type": "email"}), None),
    ]


def storefront_routes(ref):
    return [
        ("GET", "/customers/" + ref, None, None),
        ("PATCH", "/customers/" + ref, doc("customers", {"firstName": "X"}), None),
        ("DELETE", "/customers/" + ref, None, None),
        ("PATCH", "/customer-password/" + ref, doc("customer-password", {
            "password": "s3cret-Passw0rd", "newPassword": "n3w-Passw0rd!",
            "confirmPassword": "n3w-Passw0rd!"}), None),
        ("GET", "/customers/" + ref + "/addresses", None, None),
        ("DELETE", "/refresh-tokens/mine", None, None),
        ("GET", "/" + TYPES, None, None),
        ("POST", "/" + ACTIVATE, doc(ACTIVATE, {"type": "email"}), None),
        ("POST", "/" + VERIFY, doc(VERIFY, {"type": "email"}), "123456"),
        ("POST", "/" + TRIGGER, doc(TRIGGER, {"type": "email"}), None),
        ("POST", "/" + DEACTIVATE, doc(DEACTIVATE, {"type": "email"}), "123456"),
    ]


def _send(route, token):
    method, path, body, code = route
    return api(method, path, body, token=token,
               headers={"X-MFA-Code": code} if code else None)


def test_customer_token_is_invalid_on_every_backend_route():
    c = new_customer().signed_in()
    u = new_user()
    for route in backend_routes(u):
        with untouched(c, u):
            assert_invalid_token(_send(route, c.access))
    # The customer's token still works on its own side.
    assert api("GET", c.path, token=c.access).status == 200


def test_user_token_is_invalid_on_every_storefront_route():
    c = new_customer().signed_in()
    u = new_user().signed_in()
    for route in storefront_routes(c.ref):
        with untouched(c, u):
            assert_invalid_token(_send(route, u.access))
    assert api("GET", BE + "/users", token=u.access).status == 200
    assert api("GET", c.path, token=c.access).status == 200


def test_demo_admin_token_is_invalid_for_the_demo_customer():
    token = admin_token()
    with unchanged(side="storefront",
                   account_id=_id("customers", "email", "sonia@example.com")), \
            unchanged(side="backend",
                      account_id=_id("users", "username", "admin@example.com")):
        for method, body in [("GET", None),
                             ("PATCH", doc("customers", {"firstName": "X"})),
                             ("DELETE", None)]:
            assert_invalid_token(api(method, "/customers/DE--1", body, token=token))


@pytest.mark.parametrize("side", ["storefront", "backend"])
def test_mfa_types_of_each_side_need_that_sides_token(side):
    c = new_customer().signed_in()
    u = new_user().signed_in()
    prefix, own, foreign = ("", c.access, u.access) if side == "storefront" else \
        (BE, u.access, c.access)
    r = api("GET", prefix + "/" + TYPES, token=own)
    assert r.status == 200, r.describe()
    assert r.json["links"]["self"].endswith(prefix + "/" + TYPES)
    with untouched(c, u):
        assert_invalid_token(api("GET", prefix + "/" + TYPES, token=foreign))
