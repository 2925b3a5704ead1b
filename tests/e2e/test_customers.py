"""/customers: registration, read, update, delete, ownership."""

import contextlib

import pytest

from conftest import (BASE, DROP, REF_RE, TIME_RE, api, assert_error,
                      assert_invalid_token, assert_login_failed, assert_member,
                      assert_missing_token, assert_refresh_failed,
                      assert_unauthorized, assert_validation, customer_attrs,
                      db_query, doc, login, new_customer, refresh, register,
                      unique_email)
from effects import login_failure_counted, unchanged


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(*customers):
    """A refusal: nothing changes (effects.unchanged), for each customer
    given, or for no account in particular (global counts, login failures,
    mail spool, no audit row)."""
    with contextlib.ExitStack() as stack:
        for c in customers or [None]:
            stack.enter_context(unchanged(
                side="storefront",
                account_id=None if c is None else customer_id(c)))
        yield


def failed_login(c, password):
    """A sign-in refused with 401 003: the failure counted and audited, and
    nothing else (none of the account's rows, no token)."""
    with unchanged(side="storefront", account_id=customer_id(c),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(c.email, password))

CUSTOMER_ATTRS = {"email", "firstName", "lastName", "salutation", "locale",
                  "createdAt", "updatedAt"}


def check_customer(d, ref=None, **expect):
    """One customers resource object, exactly the contract's members."""
    assert set(d) == {"type", "id", "attributes", "links"}, d
    assert d["type"] == "customers"
    assert isinstance(d["id"], str) and REF_RE.match(d["id"]), d
    if ref is not None:
        assert d["id"] == ref
    a = d["attributes"]
    assert set(a) == CUSTOMER_ATTRS, "attributes %r" % sorted(a)
    for k in ("createdAt", "updatedAt"):
        assert isinstance(a[k], str) and TIME_RE.match(a[k]), a
    assert a["updatedAt"] >= a["createdAt"]
    assert d["links"] == {"self": BASE + "/customers/" + d["id"]}, d
    for k, v in expect.items():
        assert a[k] == v, (k, a[k], v)
    return a


# ---------------------------------------------------------------- registration

def test_register_returns_the_customer():
    attrs = customer_attrs(salutation="Dr", firstName="Ada", lastName="Lovelace")
    r = api("POST", "/customers", doc("customers", attrs))
    assert r.status == 201, r.describe()
    assert list(r.json) == ["data"], r.describe()
    check_customer(r.data, email=attrs["email"], firstName="Ada",
                   lastName="Lovelace", salutation="Dr")
    assert b"assword" not in r.raw


def test_register_without_salutation_gives_null():
    r = register()
    assert r.status == 201, r.describe()
    check_customer(r.data, salutation=None)


@pytest.mark.parametrize("sal", ["Mr", "Mrs", "Ms", "Dr"])
def test_register_salutations(sal):
    r = register(salutation=sal)
    assert r.status == 201, r.describe()
    check_customer(r.data, salutation=sal)


def test_references_are_distinct():
    refs = {new_customer().ref for _ in range(3)}
    assert len(refs) == 3


def test_email_stored_lower_case_and_compared_case_insensitively():
    """contract §3.9: ASCII case folds; the stored and shown form is the
    lower-case one, and any case names the same account."""
    email = unique_email().replace("e2e-", "Mixed.Case-").replace("example.com",
                                                                  "Example.COM")
    c = new_customer(email=email)
    check_customer(c.resp.data, email=email.lower())
    c.email = email.lower()
    access, _ = c.login()
    g = api("GET", c.path, token=access)
    assert g.data["attributes"]["email"] == email.lower()
    # Login with another case works, the one given at registration too.
    assert login(email, c.password).status == 201
    assert login(email.upper(), c.password).status == 201
    # Registering the same address in another case is a duplicate.
    with untouched(c):
        r = register(email=email.lower())
        assert_error(r, 422, "400", "Customer with this email already exists.",
                     pointer="/data/attributes/email")
        r = register(email=email.upper())
        assert_error(r, 422, "400", "Customer with this email already exists.",
                     pointer="/data/attributes/email")


def test_duplicate_email_exact():
    c = new_customer()
    with untouched(c):
        r = register(email=c.email)
        assert_error(r, 422, "400", "Customer with this email already exists.",
                     pointer="/data/attributes/email")


def test_register_ignores_bearer_token():
    c = new_customer().signed_in()
    r = api("POST", "/customers", doc("customers", customer_attrs()), token=c.access)
    assert r.status == 201, r.describe()
    assert r.data["id"] != c.ref
    r = api("POST", "/customers", doc("customers", customer_attrs()),
            headers={"Authorization": "Bearer garbage"})
    assert r.status == 201, r.describe()


INVALID = [
    ("firstName", ""),
    ("firstName", "a" * 101),
    ("firstName", "Erika\nMaria"),
    ("firstName", "Erika\r"),
    ("firstName", "Er\tika"),
    ("firstName", "Er\x01ika"),
    ("firstName", DROP),
    ("lastName", ""),
    ("lastName", "b" * 101),
    ("lastName", "Muster\r\nBcc: x@example.com"),
    ("lastName", DROP),
    ("salutation", "Herr"),
    ("salutation", ""),
    ("salutation", "mr"),
    ("salutation", "Mr."),
    ("email", ""),
    ("email", "no-at-sign.example.com"),
    ("email", "two@@example.com"),
    ("email", "a@b@example.com"),
    ("email", "with space@example.com"),
    ("email", " lead@example.com"),
    ("email", "trail@example.com "),
    ("email", "user@localhost"),
    ("email", "ctrl\x01@example.com"),
    ("email", "line@example.com\nBcc: x@example.com"),
    ("email", "@example.com"),
    ("email", "user@"),
    ("email", DROP),
    ("password", "short7!"),
    ("password", "p" * 129),
    ("password", "\u00eb" * 65),       # 65 characters, 130 bytes
    ("password", ""),
    ("password", DROP),
    ("confirmPassword", DROP),
    ("acceptedTerms", False),
    ("acceptedTerms", DROP),
]


@pytest.mark.parametrize("field,value", INVALID,
                         ids=["%s=%r" % (f, v)[:40] for f, v in INVALID])
def test_invalid_field_is_422_901(field, value):
    over = {field: value}
    if field == "password" and value is not DROP:
        over["confirmPassword"] = value
    if field == "password" and value is DROP:
        over["confirmPassword"] = DROP
        # both absent: password is first in order
    with untouched():
        r = register(**over)
        assert_validation(r, field)


def test_password_mismatch_is_422_406():
    with untouched():
        r = register(password="first-password", confirmPassword="second-password")
        assert_error(r, 422, "406", "Passwords do not match.",
                     pointer="/data/attributes/confirmPassword")


@pytest.mark.parametrize("over,field", [
    ({"firstName": "", "email": "bad"}, "firstName"),
    ({"lastName": "", "salutation": "Herr"}, "lastName"),
    ({"salutation": "Herr", "email": "bad"}, "salutation"),
    ({"email": "bad", "password": "short"}, "email"),
    ({"password": "short", "confirmPassword": "other", "acceptedTerms": False},
     "password"),
    ({"email": "bad", "acceptedTerms": False}, "email"),
])
def test_first_invalid_field_wins(over, field):
    with untouched():
        r = register(**over)
        assert_validation(r, field)


def test_password_mismatch_reported_before_terms():
    with untouched():
        r = register(password="first-password", confirmPassword="second-password",
                     acceptedTerms=False)
        assert_error(r, 422, "406", "Passwords do not match.",
                     pointer="/data/attributes/confirmPassword")


@pytest.mark.parametrize("field,value", [
    ("firstName", 5),
    ("lastName", ["x"]),
    ("email", {"a": 1}),
    ("password", 12345678),
    ("confirmPassword", 12345678),
    ("acceptedTerms", "yes"),
    ("acceptedTerms", 1),
    ("salutation", 5),
])
def test_wrong_json_type_is_400_101(field, value):
    with untouched():
        r = register(**{field: value})
        assert_member(r, "/data/attributes/" + field)


def test_limits_are_inclusive():
    r = register(firstName="a" * 100, lastName="\u65e5" * 100,
                 password="p" * 128)
    assert r.status == 201, r.describe()
    check_customer(r.data, firstName="a" * 100, lastName="\u65e5" * 100)
    r = register(password="\u00eb" * 64)                 # 128 bytes
    assert r.status == 201, r.describe()
    r = register(password="12345678")
    assert r.status == 201, r.describe()


def email_of_length(n):
    """A valid, unique address of exactly n characters (DNS labels <= 60)."""
    local = unique_email().split("@")[0]
    body_len = n - len(local) - 1 - len(".test")
    body = list((("d" * 59) + ".") * 10)[:body_len]
    if body[-1] == ".":
        body[-1] = "d"
    email = local + "@" + "".join(body) + ".test"
    assert len(email) == n and ".." not in email
    return email


def test_email_of_254_characters_is_accepted_255_is_not():
    """contract §3.9: at most 254 octets (RFC 5321's path less its <>)."""
    email = email_of_length(254)
    r = register(email=email)
    assert r.status == 201, r.describe()
    check_customer(r.data, email=email)
    longer = email_of_length(255)
    with untouched():
        assert_validation(register(email=longer), "email")


def test_data_type_must_be_customers():
    with untouched():
        r = api("POST", "/customers", doc("customer", customer_attrs()))
        assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                     pointer="/data/type")


# ---------------------------------------------------------------- read

def test_get_own_customer(customer):
    r = api("GET", customer.path, token=customer.access)
    assert r.status == 200, r.describe()
    assert list(r.json) == ["data"]
    check_customer(r.data, ref=customer.ref, email=customer.email,
                   firstName=customer.attrs["firstName"],
                   lastName=customer.attrs["lastName"], salutation=None)
    assert r.data == customer.resp.data


def test_get_collection_holds_only_own_customer(customer, other_customer):
    r = api("GET", "/customers", token=customer.access)
    assert r.status == 200, r.describe()
    assert set(r.json) == {"data", "links"}, r.describe()
    assert r.json["links"] == {"self": BASE + "/customers"}
    assert isinstance(r.data, list) and len(r.data) == 1, r.describe()
    check_customer(r.data[0], ref=customer.ref)


def test_other_customers_ref_is_403_411(customer, other_customer, clock):
    o = other_customer
    clock(100)      # a write in the same second as the set-up could not be seen
    with untouched(customer, o):
        assert_unauthorized(api("GET", o.path, token=customer.access))
    with untouched(customer, o):
        assert_unauthorized(api("PATCH", o.path,
                                doc("customers", {"firstName": "Hack"}),
                                token=customer.access))
    with untouched(customer, o):
        assert_unauthorized(api("DELETE", o.path, token=customer.access))
    r = api("GET", o.path, token=o.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["firstName"] == o.attrs["firstName"]


@pytest.mark.parametrize("ref", [
    "DE--999999999", "DE--0", "DE--", "DE--abc", "de--1", "XX--1", "1",
    "DE--1%27%20OR%201=1--", "DE--99999999999999999999999", "DE--1x",
])
def test_nonexistent_or_malformed_ref_is_403_411(customer, ref):
    with untouched(customer):
        r = api("GET", "/customers/" + ref, token=customer.access)
        assert_unauthorized(r)
    with untouched(customer):
        r = api("PATCH", "/customers/" + ref, doc("customers", {"firstName": "X"}),
                token=customer.access)
        assert_unauthorized(r)
    with untouched(customer):
        r = api("DELETE", "/customers/" + ref, token=customer.access)
        assert_unauthorized(r)


def test_nonexistent_ref_needs_token_first():
    with untouched():
        assert_missing_token(api("GET", "/customers/DE--999999999"))


# ---------------------------------------------------------------- update

def test_patch_updates_and_returns_resource(customer):
    before = customer.resp.data["attributes"]
    new_email = unique_email("patched")
    r = api("PATCH", customer.path,
            doc("customers", {"firstName": "Grace", "lastName": "Hopper",
                              "salutation": "Ms", "email": new_email}),
            token=customer.access)
    assert r.status == 200, r.describe()
    assert list(r.json) == ["data"]
    a = check_customer(r.data, ref=customer.ref, firstName="Grace",
                       lastName="Hopper", salutation="Ms", email=new_email)
    assert a["createdAt"] == before["createdAt"]
    g = api("GET", customer.path, token=customer.access)
    assert g.data == r.data
    # Sign-in follows the new address.
    assert login(new_email, customer.password).status == 201
    with unchanged(side="storefront", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(customer.email, customer.password))


def test_patch_one_field_keeps_the_others(customer):
    r = api("PATCH", customer.path, doc("customers", {"lastName": "Only"}),
            token=customer.access)
    assert r.status == 200, r.describe()
    check_customer(r.data, firstName=customer.attrs["firstName"], lastName="Only",
                   email=customer.email, salutation=None)


def test_patch_ignores_unknown_attributes(customer, login_failures_cleared):
    r = api("PATCH", customer.path,
            doc("customers", {"firstName": "Known", "nickname": "x",
                              "password": "ignored-pw-1", "customerReference": "DE--1",
                              "createdAt": "2000-01-01T00:00:00Z"}),
            token=customer.access)
    assert r.status == 200, r.describe()
    a = check_customer(r.data, ref=customer.ref, firstName="Known")
    assert a["createdAt"] != "2000-01-01T00:00:00Z"
    # The password did not change through /customers.
    assert login(customer.email, customer.password).status == 201
    failed_login(customer, "ignored-pw-1")


def test_patch_with_empty_attributes_is_200(customer):
    r = api("PATCH", customer.path, doc("customers", {}), token=customer.access)
    assert r.status == 200, r.describe()
    check_customer(r.data, ref=customer.ref, firstName=customer.attrs["firstName"])


def test_patch_duplicate_email_is_422_400(customer, other_customer, clock):
    clock(100)
    with untouched(customer, other_customer):
        r = api("PATCH", customer.path,
                doc("customers", {"email": other_customer.email.upper(),
                                  "firstName": "Dup"}),
                token=customer.access)
        assert_error(r, 422, "400", "Customer with this email already exists.",
                     pointer="/data/attributes/email")
    g = api("GET", customer.path, token=customer.access)
    assert g.data["attributes"]["email"] == customer.email


def test_patch_own_email_in_other_case_is_allowed(customer):
    """Another case is the same address: allowed, and stored lower-case
    (contract §3.9)."""
    r = api("PATCH", customer.path, doc("customers", {"email": customer.email.upper()}),
            token=customer.access)
    assert r.status == 200, r.describe()
    check_customer(r.data, email=customer.email)


@pytest.mark.parametrize("field,value", [
    ("firstName", ""), ("firstName", "x" * 101), ("lastName", "a\nb"),
    ("salutation", "Herr"), ("email", "nope"), ("email", "a@b"),
])
def test_patch_invalid_field_is_422_901(customer, field, value, clock):
    clock(100)
    with untouched(customer):
        r = api("PATCH", customer.path, doc("customers", {field: value}),
                token=customer.access)
        assert_validation(r, field)
    g = api("GET", customer.path, token=customer.access)
    assert g.data == customer.resp.data


@pytest.mark.parametrize("field,value", [
    ("firstName", 5), ("email", True), ("lastName", {"x": 1}),
])
def test_patch_wrong_json_type_is_400_101(customer, field, value, clock):
    clock(100)
    with untouched(customer):
        r = api("PATCH", customer.path, doc("customers", {field: value}),
                token=customer.access)
        assert_member(r, "/data/attributes/" + field)


def test_patch_without_body_is_400_101(customer, clock):
    clock(100)      # the refused PATCH must not even touch updatedAt
    with untouched(customer):
        r = api("PATCH", customer.path, data=b"", token=customer.access)
        assert_member(r, "/data")


def test_patch_needs_token(customer):
    with untouched(customer):
        assert_missing_token(api("PATCH", customer.path,
                                 doc("customers", {"firstName": "X"})))
    with untouched(customer):
        assert_missing_token(api("DELETE", customer.path))


# ---------------------------------------------------------------- delete

def test_delete_customer(customer):
    second_access, second_refresh = customer.login()
    r = api("DELETE", customer.path, token=customer.access)
    assert r.status == 204, r.describe()
    assert r.raw == b""
    with untouched():
        assert_invalid_token(api("GET", customer.path, token=customer.access))
        assert_invalid_token(api("GET", customer.path, token=second_access))
        assert_invalid_token(api("GET", "/customers", token=second_access))
        assert_invalid_token(api("DELETE", customer.path, token=second_access))
        assert_refresh_failed(refresh(customer.refresh))
        assert_refresh_failed(refresh(second_refresh))
    with unchanged(side="storefront", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(customer.email, customer.password))


def test_deleted_customers_email_can_register_again(customer):
    assert api("DELETE", customer.path, token=customer.access).status == 204
    r = register(email=customer.email)
    assert r.status == 201, r.describe()
    assert r.data["id"] != customer.ref
