"""PATCH /customer-password/{ref}."""

import contextlib

import pytest

from conftest import (api, assert_error, assert_invalid_token, assert_login_failed,
                      assert_member, assert_missing_token, assert_refresh_failed,
                      assert_unauthorized, assert_validation, check_token_resource,
                      db_query, doc, login, refresh)
from effects import login_failure_counted, unchanged

NEW = "brand-new-Passw0rd"


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(*customers):
    """A refusal: nothing changes (effects.unchanged: the password hash, every
    token, global counts, login failures, mail, no audit row), for each
    customer given."""
    with contextlib.ExitStack() as stack:
        for c in customers:
            stack.enter_context(unchanged(side="storefront",
                                          account_id=customer_id(c)))
        yield


def body(password, new=NEW, confirm=None):
    return doc("customer-password", {"password": password, "newPassword": new,
                                     "confirmPassword": new if confirm is None
                                     else confirm})


def patch(c, b, token=None):
    return api("PATCH", "/customer-password/" + c.ref, b,
               token=c.access if token is None else token)


def test_change_password(customer):
    c = customer
    other_access, other_refresh = c.login()
    r = patch(c, body(c.password))
    assert r.status == 204, r.describe()
    assert r.raw == b""
    # The calling token stays valid.
    g = api("GET", c.path, token=c.access)
    assert g.status == 200, g.describe()
    # Every other access token and every refresh token is revoked.
    with untouched(c):
        assert_invalid_token(api("GET", c.path, token=other_access))
        assert_refresh_failed(refresh(other_refresh))
        assert_refresh_failed(refresh(c.refresh))
    # The new password signs in; the old one does not.
    check_token_resource(login(c.email, NEW))
    with unchanged(side="storefront", account_id=customer_id(c),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(c.email, c.password))


def test_wrong_current_password_is_400_408(customer):
    customer.login()        # a second sign-in, which a change would revoke
    # Counted like a failed sign-in and audited (contract §3.6); nothing
    # else changes.
    with unchanged(side="storefront", account_id=customer_id(customer),
                   audit=[("password_check", "failure", "408")],
                   changes=login_failure_counted()):
        r = patch(customer, body("not-the-password"))
        assert_error(r, 400, "408", "Invalid password.",
                     pointer="/data/attributes/password")
    # Nothing changed.
    assert login(customer.email, customer.password).status == 201
    assert api("GET", customer.path, token=customer.access).status == 200
    check_token_resource(refresh(customer.refresh), "refresh-tokens")


@pytest.mark.parametrize("new", ["short77", "p" * 129, "\u00eb" * 65, ""])
def test_invalid_new_password_is_422_901(customer, new):
    customer.login()
    with untouched(customer):
        r = patch(customer, body(customer.password, new=new))
        assert_validation(r, "newPassword")
    assert login(customer.email, customer.password).status == 201


@pytest.mark.parametrize("new", ["12345678", "p" * 128, "\u00eb" * 64])
def test_new_password_at_the_limits_is_accepted(customer, new):
    r = patch(customer, body(customer.password, new=new))
    assert r.status == 204, r.describe()
    check_token_resource(login(customer.email, new))


def test_confirmation_mismatch_is_422_406(customer):
    customer.login()
    with untouched(customer):
        r = patch(customer, body(customer.password, confirm=NEW + "x"))
        assert_error(r, 422, "406", "Passwords do not match.",
                     pointer="/data/attributes/confirmPassword")
    assert login(customer.email, customer.password).status == 201


@pytest.mark.parametrize("field,value", [
    ("password", 5), ("newPassword", False), ("confirmPassword", ["x"]),
    ("newPassword", 12345678),
])
def test_wrong_json_type_is_400_101(customer, field, value):
    b = body(customer.password)
    b["data"]["attributes"][field] = value
    customer.login()
    with untouched(customer):
        r = patch(customer, b)
        assert_member(r, "/data/attributes/" + field)


@pytest.mark.parametrize("payload,pointer", [
    ({}, "/data"),
    ({"data": {"type": "customer-password"}}, "/data/attributes"),
    ({"data": {"type": 5, "attributes": {}}}, "/data/type"),
])
def test_missing_or_mistyped_members_are_400_101(customer, payload, pointer):
    with untouched(customer):
        assert_member(patch(customer, payload), pointer)


@pytest.mark.parametrize("missing", ["password", "newPassword", "confirmPassword"])
def test_missing_field_is_refused(customer, missing):
    """A change without one of its three fields is refused (the contract
    does not say 400 or 422) and changes nothing."""
    b = body(customer.password)
    del b["data"]["attributes"][missing]
    customer.login()
    with untouched(customer):
        r = patch(customer, b)
        assert r.status in (400, 422), r.describe()


def test_other_customers_ref_is_403_411(customer, other_customer):
    with untouched(customer, other_customer):
        r = api("PATCH", "/customer-password/" + other_customer.ref,
                body(other_customer.password), token=customer.access)
        assert_unauthorized(r)
    # The other customer's password did not change.
    assert login(other_customer.email, other_customer.password).status == 201
    with untouched(customer, other_customer):
        r = api("PATCH", "/customer-password/" + other_customer.ref,
                body(customer.password), token=customer.access)
        assert_unauthorized(r)


@pytest.mark.parametrize("ref", ["DE--999999999", "DE--abc", "nope"])
def test_nonexistent_ref_is_403_411(customer, ref):
    with untouched(customer):
        r = api("PATCH", "/customer-password/" + ref, body(customer.password),
                token=customer.access)
        assert_unauthorized(r)


def test_needs_token(customer):
    with untouched(customer):
        r = api("PATCH", "/customer-password/" + customer.ref,
                body(customer.password))
        assert_missing_token(r)
    with untouched(customer):
        r = api("PATCH", "/customer-password/" + customer.ref,
                body(customer.password), token=customer.refresh)
        assert_invalid_token(r)


def test_wrong_data_type_is_409(customer):
    customer.login()
    with untouched(customer):
        r = api("PATCH", "/customer-password/" + customer.ref,
                doc("customers", {"password": customer.password, "newPassword": NEW,
                                  "confirmPassword": NEW}),
                token=customer.access)
        assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                     pointer="/data/type")
