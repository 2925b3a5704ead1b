"""JSON:API 1.1 negotiation and member names (contract §10.2).

Accept: a JSON:API range with a media type parameter other than ext and
profile, or an ext naming an extension (none is supported), is ignored; when
every JSON:API range is ignored the answer is 406 105, whatever else Accept
admits. Content-Type: ext naming an extension, or any parameter other than
ext/profile, is 415 107; profile is allowed and ignored. A member name given
twice in one object, at any depth, is 400 125 with source.pointer at the
second one, before anything is done. Refusals change nothing (effects.py).
The multi-factor-auth-types shape (attributes.type, which JSON:API forbids
as a member name) is kept as Spryker has it."""

import contextlib

import pytest

from conftest import (D_MEDIA, D_NOTACCEPT, JSONAPI, api, assert_error, db_query,
                      doc)
from effects import unchanged, unchanged_for
from mfa_helpers import get_types
from mfa_helpers import account, side  # noqa: F401 (fixtures)

D_DUPLICATE = "Duplicate member name: a member may appear only once in an object."
ATOMIC = '"https://jsonapi.org/ext/atomic"'


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(customer=None):
    """A refusal: nothing changes (effects.unchanged) for the customer, or
    for no account in particular (counts, login failures, mail, audit)."""
    with unchanged(side="storefront",
                   account_id=None if customer is None else customer_id(customer),
                   mail_to=None if customer is None else customer.email):
        yield


def sign_in(customer, **kw):
    return api("POST", "/access-tokens",
               doc("access-tokens", {"username": customer.email,
                                     "password": customer.password}), **kw)


# --------------------------------------------------------------------------
# Accept


@pytest.mark.parametrize("accept", [
    JSONAPI + ";charset=utf-8",
    JSONAPI + "; charset=UTF-8",
    JSONAPI + "; ext=" + ATOMIC,
    JSONAPI + "; foo=bar",
    JSONAPI + "; charset=utf-8, */*",
    JSONAPI + "; charset=utf-8, application/json",
    JSONAPI + "; ext=" + ATOMIC + ", " + JSONAPI + "; version=1.1",
])
def test_accept_with_only_ignored_jsonapi_ranges_is_406(accept, customer):
    with untouched(customer):
        r = sign_in(customer, headers={"Accept": accept})
        assert_error(r, 406, "105", D_NOTACCEPT, allow_header="Accept")


@pytest.mark.parametrize("accept", [
    JSONAPI + '; profile="https://example.com/profile"',
    JSONAPI + '; profile="https://a.example/p https://b.example/q"',
    JSONAPI + ';charset=utf-8, ' + JSONAPI,
    JSONAPI + "; ext=" + ATOMIC + ", " + JSONAPI + '; profile="https://x.example/p"',
    JSONAPI + '; ext=""',
    "application/json; charset=utf-8",
    JSONAPI + ";q=0.5",
])
def test_accept_with_an_acceptable_jsonapi_range(accept, customer):
    r = api("GET", customer.path, token=customer.access, headers={"Accept": accept})
    assert r.status == 200 and r.data["id"] == customer.ref, r.describe()
    assert r.headers["Content-Type"] == JSONAPI


def test_accept_406_on_get_before_authentication():
    with untouched():
        r = api("GET", "/customers", headers={"Accept": JSONAPI + ";charset=utf-8"})
        assert_error(r, 406, "105", D_NOTACCEPT, allow_header="Accept")


# --------------------------------------------------------------------------
# Content-Type


@pytest.mark.parametrize("ctype", [
    JSONAPI + "; ext=" + ATOMIC,
    JSONAPI + '; ext="https://a.example/e https://b.example/f"',
    JSONAPI + "; ext=" + ATOMIC + '; profile="https://x.example/p"',
    JSONAPI + "; charset=utf-8",
    JSONAPI + "; version=1.1",
    "application/json; profile=x",
])
def test_content_type_refused_is_415(ctype, customer):
    with untouched(customer):
        r = sign_in(customer, content_type=ctype)
        assert_error(r, 415, "107", D_MEDIA, allow_header="Content-Type")


def test_415_comes_before_406(customer):
    with untouched(customer):
        r = sign_in(customer, content_type=JSONAPI + "; ext=" + ATOMIC,
                    headers={"Accept": JSONAPI + "; ext=" + ATOMIC})
        assert_error(r, 415, "107", D_MEDIA, allow_header="Content-Type")


@pytest.mark.parametrize("ctype", [
    JSONAPI + '; profile="https://example.com/profile"',
    JSONAPI + '; profile="https://a.example/p https://b.example/q"',
    JSONAPI + '; ext=""',
])
def test_profile_is_allowed_and_ignored(ctype, customer):
    r = api("PATCH", customer.path, doc("customers", {"firstName": "Profiled"}),
            token=customer.access, content_type=ctype)
    assert r.status == 200 and r.data["attributes"]["firstName"] == "Profiled", \
        r.describe()
    assert r.headers["Content-Type"] == JSONAPI


# --------------------------------------------------------------------------
# Duplicate member names


def raw_login(customer, text):
    return api("POST", "/access-tokens", data=text.encode("utf-8"))


@pytest.mark.parametrize("template,pointer", [
    ('{"data":{"type":"access-tokens","attributes":{"username":"%(u)s",'
     '"password":"wrong-password","password":"%(p)s"}}}', "/data/attributes/password"),
    ('{"data":{"type":"access-tokens","attributes":{"username":"%(u)s",'
     '"username":"%(u)s","password":"%(p)s"}}}', "/data/attributes/username"),
    ('{"data":{"type":"access-tokens","type":"customers","attributes":'
     '{"username":"%(u)s","password":"%(p)s"}}}', "/data/type"),
    ('{"data":{"type":"access-tokens","attributes":{"username":"%(u)s",'
     '"password":"%(p)s"}},"data":{}}', "/data"),
    ('{"data":{"type":"access-tokens","attributes":{"username":"%(u)s",'
     '"password":"%(p)s"}},"meta":{"a":[{"b":1,"b":2}]}}', "/meta/a/0/b"),
    ('{"data":{"type":"access-tokens","attributes":{"username":"%(u)s",'
     '"password":"%(p)s","x/y~z":1,"x/y~z":2}}}', "/data/attributes/x~1y~0z"),
])
def test_duplicate_member_is_400_125_and_signs_in_nobody(template, pointer, customer):
    """The right password among duplicates signs nobody in, and the wrong one
    counts no failure: nothing is decided on such a document."""
    text = template % {"u": customer.email, "p": customer.password}
    with untouched(customer):
        r = raw_login(customer, text)
        assert_error(r, 400, "125", D_DUPLICATE, pointer=pointer)


def test_duplicate_attribute_changes_nothing(customer):
    text = ('{"data":{"type":"customers","attributes":{"firstName":"First",'
            '"firstName":"Second"}}}')
    with untouched(customer):
        r = api("PATCH", customer.path, data=text.encode(), token=customer.access)
        assert_error(r, 400, "125", D_DUPLICATE, pointer="/data/attributes/firstName")
    r = api("GET", customer.path, token=customer.access)
    assert r.data["attributes"]["firstName"] not in ("First", "Second")


def test_duplicate_is_refused_before_authentication():
    with untouched():
        r = api("PATCH", "/customers/DE--1",
                data=b'{"data":{"type":"customers","attributes":{"a":1,"a":1}}}')
        assert_error(r, 400, "125", D_DUPLICATE, pointer="/data/attributes/a")


def test_same_name_in_other_objects_or_case_is_no_duplicate(customer):
    text = ('{"data":{"type":"customers","attributes":{"firstName":"Once",'
            '"FirstName":"x"}},"meta":{"firstName":"y","data":{"type":"z"}}}')
    r = api("PATCH", customer.path, data=text.encode(), token=customer.access)
    assert r.status == 200 and r.data["attributes"]["firstName"] == "Once", r.describe()


def test_duplicate_type_on_an_mfa_resource(account):
    """attributes.type, the member Spryker's MFA resources use, given twice:
    400 125, no code sent, the method not started."""
    c = account
    path = c.side.path("multi-factor-auth-type-activate")
    text = ('{"data":{"type":"multi-factor-auth-type-activate","attributes":'
            '{"type":"email","type":"totp"}}}')
    with unchanged_for(c):
        r = api("POST", path, data=text.encode(), token=c.access)
        assert_error(r, 400, "125", D_DUPLICATE, pointer="/data/attributes/type")


# --------------------------------------------------------------------------
# attributes.type: Spryker's shape, kept


def test_types_answer_keeps_attributes_type(account):
    r = get_types(account)
    assert r.status == 200, r.describe()
    for item in r.data:
        assert item["type"] == "multi-factor-auth-types"
        assert "type" in item["attributes"], item
