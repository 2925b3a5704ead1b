"""/customers/{ref}/addresses[/{uuid}]."""

import contextlib

import pytest

from conftest import (BASE, DROP, UUID_RE, address_attrs, api, assert_error,
                      assert_invalid_token, assert_member, assert_missing_token,
                      assert_unauthorized, assert_validation, db_query, doc)
from effects import unchanged

FIELDS = {"firstName", "lastName", "address1", "address2", "zipCode", "city",
          "iso2Code", "isDefaultShipping", "isDefaultBilling"}
MISSING_UUID = "123e4567-e89b-42d3-a456-426614174000"


def coll(c):
    return "/customers/%s/addresses" % c.ref


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(*customers):
    """A refusal: nothing changes (effects.unchanged: the customer's row,
    tokens and addresses, global counts, login failures, mail, no audit
    row), for each customer given."""
    with contextlib.ExitStack() as stack:
        for c in customers or [None]:
            stack.enter_context(unchanged(
                side="storefront",
                account_id=None if c is None else customer_id(c)))
        yield


def create(c, **over):
    return api("POST", coll(c), doc("addresses", address_attrs(**over)), token=c.access)


def created(c, **over):
    r = create(c, **over)
    assert r.status == 201, r.describe()
    return check_address(r.data, c)


def check_address(d, c, **expect):
    assert set(d) == {"type", "id", "attributes", "links"}, d
    assert d["type"] == "addresses"
    assert isinstance(d["id"], str) and UUID_RE.match(d["id"]), d
    a = d["attributes"]
    keys = set(a)
    assert keys in (FIELDS, FIELDS | {"salutation"}), sorted(keys)
    assert type(a["isDefaultShipping"]) is bool and type(a["isDefaultBilling"]) is bool
    assert d["links"] == {"self": BASE + coll(c) + "/" + d["id"]}, d
    for k, v in expect.items():
        assert a.get(k) == v, (k, a.get(k), v)
    return d


def get_all(c):
    r = api("GET", coll(c), token=c.access)
    assert r.status == 200, r.describe()
    assert set(r.json) == {"data", "links", "meta"}, r.describe()
    # The default page holds a whole address book (contract §10.10).
    page = "?page[offset]=0&page[limit]=50"
    assert r.json["links"] == {"self": BASE + coll(c),
                               "first": BASE + coll(c) + page,
                               "last": BASE + coll(c) + page}, r.describe()
    assert r.json["meta"] == {"totalItems": len(r.data),
                              "page": {"offset": 0, "limit": 50}}
    assert isinstance(r.data, list)
    for d in r.data:
        check_address(d, c)
    return r.data


def flags(c):
    return {d["id"]: (d["attributes"]["isDefaultShipping"],
                      d["attributes"]["isDefaultBilling"]) for d in get_all(c)}


# ---------------------------------------------------------------- create / read

def test_create_returns_the_address(customer):
    attrs = address_attrs(address2="Hinterhaus", salutation="Mrs",
                          isDefaultShipping=True, isDefaultBilling=False)
    r = api("POST", coll(customer), doc("addresses", attrs), token=customer.access)
    assert r.status == 201, r.describe()
    assert list(r.json) == ["data"]
    d = check_address(r.data, customer, **attrs)
    assert d["attributes"]["salutation"] == "Mrs"


def test_create_defaults(customer):
    d = created(customer)
    a = d["attributes"]
    assert a["address2"] == ""
    assert a["isDefaultShipping"] is False and a["isDefaultBilling"] is False
    assert a.get("salutation") is None
    for k, v in address_attrs().items():
        assert a[k] == v


def test_get_one_and_collection_in_creation_order(customer):
    assert get_all(customer) == []
    ids = [created(customer, city="City %d" % i)["id"] for i in range(4)]
    assert [d["id"] for d in get_all(customer)] == ids
    assert len(set(ids)) == 4
    r = api("GET", coll(customer) + "/" + ids[2], token=customer.access)
    assert r.status == 200, r.describe()
    assert list(r.json) == ["data"]
    check_address(r.data, customer, city="City 2")


def test_empty_collection_shape(customer):
    r = api("GET", coll(customer), token=customer.access)
    assert r.status == 200, r.describe()
    page = "?page[offset]=0&page[limit]=50"
    assert r.json == {"data": [], "links": {
        "self": BASE + coll(customer), "first": BASE + coll(customer) + page,
        "last": BASE + coll(customer) + page},
        "meta": {"totalItems": 0, "page": {"offset": 0, "limit": 50}}}


# ---------------------------------------------------------------- update / delete

def test_patch_updates(customer):
    d = created(customer)
    r = api("PATCH", coll(customer) + "/" + d["id"],
            doc("addresses", {"city": "Hamburg", "zipCode": "20095",
                              "unknownField": "ignored"}),
            token=customer.access)
    assert r.status == 200, r.describe()
    check_address(r.data, customer, city="Hamburg", zipCode="20095",
                  address1=address_attrs()["address1"])
    assert r.data["id"] == d["id"]
    g = api("GET", coll(customer) + "/" + d["id"], token=customer.access)
    assert g.data == r.data


def test_delete(customer):
    d = created(customer)
    keep = created(customer)
    r = api("DELETE", coll(customer) + "/" + d["id"], token=customer.access)
    assert r.status == 204, r.describe()
    assert r.raw == b""
    assert [x["id"] for x in get_all(customer)] == [keep["id"]]
    with untouched(customer):
        r = api("GET", coll(customer) + "/" + d["id"], token=customer.access)
        assert_error(r, 404, "412", "Address not found.")
    with untouched(customer):
        r = api("DELETE", coll(customer) + "/" + d["id"], token=customer.access)
        assert_error(r, 404, "412", "Address not found.")
    with untouched(customer):
        r = api("PATCH", coll(customer) + "/" + d["id"],
                doc("addresses", {"city": "Gone"}), token=customer.access)
        assert_error(r, 404, "412", "Address not found.")


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_uuid_is_404_412(customer, method):
    created(customer)
    b = doc("addresses", {"city": "X"}) if method == "PATCH" else None
    with untouched(customer):
        r = api(method, coll(customer) + "/" + MISSING_UUID, b,
                token=customer.access)
        assert_error(r, 404, "412", "Address not found.")


# ---------------------------------------------------------------- defaults

def test_default_shipping_moves(customer):
    a = created(customer, isDefaultShipping=True)["id"]
    b = created(customer, isDefaultShipping=True)["id"]
    f = flags(customer)
    assert f[a] == (False, False) and f[b] == (True, False), f


def test_default_billing_moves_independently(customer):
    a = created(customer, isDefaultShipping=True, isDefaultBilling=True)["id"]
    b = created(customer, isDefaultBilling=True)["id"]
    f = flags(customer)
    assert f[a] == (True, False) and f[b] == (False, True), f


def test_patch_sets_default_and_clears_others(customer):
    a = created(customer, isDefaultShipping=True, isDefaultBilling=True)["id"]
    b = created(customer)["id"]
    r = api("PATCH", coll(customer) + "/" + b,
            doc("addresses", {"isDefaultBilling": True}), token=customer.access)
    assert r.status == 200, r.describe()
    check_address(r.data, customer, isDefaultBilling=True, isDefaultShipping=False)
    f = flags(customer)
    assert f[a] == (True, False) and f[b] == (False, True), f
    r = api("PATCH", coll(customer) + "/" + b,
            doc("addresses", {"isDefaultShipping": True}), token=customer.access)
    assert r.status == 200, r.describe()
    f = flags(customer)
    assert f[a] == (False, False) and f[b] == (True, True), f


def test_defaults_do_not_cross_customers(customer, other_customer):
    mine = created(customer, isDefaultShipping=True)["id"]
    created(other_customer, isDefaultShipping=True)
    assert flags(customer)[mine] == (True, False)


# ---------------------------------------------------------------- limits

def test_fifty_addresses_then_413(customer):
    for i in range(50):
        r = create(customer, city="C%d" % i)
        assert r.status == 201, "address %d: %s" % (i + 1, r.describe())
    with untouched(customer):
        r = create(customer, city="C50", isDefaultShipping=True,
                   isDefaultBilling=True)
        assert_error(r, 422, "413", "Too many addresses.")
    assert len(get_all(customer)) == 50


INVALID = [
    ("firstName", ""), ("firstName", "x" * 101), ("firstName", "a\nb"),
    ("firstName", DROP),
    ("lastName", ""), ("lastName", "y" * 101), ("lastName", DROP),
    ("address1", ""), ("address1", "z" * 256), ("address1", "a\r\nb"),
    ("address1", DROP),
    ("address2", "z" * 256),
    ("zipCode", ""), ("zipCode", "1" * 16), ("zipCode", DROP),
    ("city", ""), ("city", "c" * 101), ("city", DROP),
    ("iso2Code", ""), ("iso2Code", "D"), ("iso2Code", "DEU"), ("iso2Code", "de"),
    ("iso2Code", "D1"), ("iso2Code", "\u00c4T"), ("iso2Code", DROP),
    ("salutation", "Herr"), ("salutation", ""),
]


@pytest.mark.parametrize("field,value", INVALID,
                         ids=["%s=%r" % (f, v)[:40] for f, v in INVALID])
def test_invalid_field_is_422_901(customer, field, value):
    with untouched(customer):
        r = create(customer, **{field: value})
        assert_validation(r, field)
    assert get_all(customer) == []


@pytest.mark.parametrize("field,value", [
    ("firstName", 5), ("address1", False), ("zipCode", 10115),
    ("isDefaultShipping", "yes"), ("isDefaultBilling", 1), ("iso2Code", ["DE"]),
])
def test_wrong_json_type_is_400_101(customer, field, value):
    with untouched(customer):
        r = create(customer, **{field: value})
        assert_member(r, "/data/attributes/" + field)


@pytest.mark.parametrize("field,value", [
    ("city", 5), ("isDefaultShipping", "yes"), ("zipCode", ["10115"]),
])
def test_patch_wrong_json_type_is_400_101(customer, field, value, clock):
    d = created(customer)
    clock(100)
    with untouched(customer):
        r = api("PATCH", coll(customer) + "/" + d["id"],
                doc("addresses", {"firstName": "Changed", field: value}),
                token=customer.access)
        assert_member(r, "/data/attributes/" + field)


def test_limits_are_inclusive(customer):
    attrs = dict(firstName="f" * 100, lastName="\u00eb" * 100, address1="a" * 255,
                 address2="b" * 255, zipCode="1" * 15, city="\u65e5" * 100,
                 iso2Code="AT")
    check_address(created(customer, **attrs), customer, **attrs)


def test_patch_invalid_is_422_901(customer, clock):
    d = created(customer)
    clock(100)
    with untouched(customer):
        r = api("PATCH", coll(customer) + "/" + d["id"],
                doc("addresses", {"city": "Hamburg", "zipCode": "1" * 16}),
                token=customer.access)
        assert_validation(r, "zipCode")
    g = api("GET", coll(customer) + "/" + d["id"], token=customer.access)
    assert g.data == d


def test_wrong_data_type_is_409(customer):
    with untouched(customer):
        r = api("POST", coll(customer), doc("address", address_attrs()),
                token=customer.access)
        assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                     pointer="/data/type")


# ---------------------------------------------------------------- ownership

def test_other_customers_ref_is_403_411(customer, other_customer):
    theirs = created(other_customer)["id"]
    o = coll(other_customer)
    t = customer.access
    for method, path, body in [
            ("GET", o, None),
            ("POST", o, doc("addresses", address_attrs())),
            ("GET", o + "/" + theirs, None),
            ("PATCH", o + "/" + theirs, doc("addresses", {"city": "Hacked"})),
            ("DELETE", o + "/" + theirs, None)]:
        with untouched(customer, other_customer):
            assert_unauthorized(api(method, path, body, token=t))
    assert [d["id"] for d in get_all(other_customer)] == [theirs]
    assert get_all(other_customer)[0]["attributes"]["city"] == "Berlin"


def test_other_customers_uuid_under_own_ref_is_404_412(customer, other_customer):
    theirs = created(other_customer)["id"]
    mine = coll(customer) + "/" + theirs
    t = customer.access
    for method, body in [("GET", None),
                         ("PATCH", doc("addresses", {"city": "Hacked"})),
                         ("DELETE", None)]:
        with untouched(customer, other_customer):
            assert_error(api(method, mine, body, token=t), 404, "412",
                         "Address not found.")
    assert get_all(other_customer)[0]["attributes"]["city"] == "Berlin"


@pytest.mark.parametrize("ref", ["DE--999999999", "DE--abc"])
def test_nonexistent_ref_is_403_411(customer, ref):
    base = "/customers/%s/addresses" % ref
    for method, path, body in [
            ("GET", base, None),
            ("POST", base, doc("addresses", address_attrs())),
            ("GET", base + "/" + MISSING_UUID, None),
            ("PATCH", base + "/" + MISSING_UUID, doc("addresses", {"city": "X"})),
            ("DELETE", base + "/" + MISSING_UUID, None)]:
        with untouched(customer):
            assert_unauthorized(api(method, path, body, token=customer.access))


def test_needs_token(customer):
    d = created(customer)
    one = coll(customer) + "/" + d["id"]
    for method, path, body in [
            ("GET", coll(customer), None),
            ("POST", coll(customer), doc("addresses", address_attrs())),
            ("GET", one, None),
            ("PATCH", one, doc("addresses", {"city": "X"})),
            ("DELETE", one, None)]:
        with untouched(customer):
            assert_missing_token(api(method, path, body))
        with untouched(customer):
            assert_invalid_token(api(method, path, body,
                                     token=customer.access + "x"))
