"""The front line every program runs before a handler (contract §2.1):
404, 405, 415, 406, 413, 400 (100, 101), 409, then 403 002 / 401 001."""

import contextlib

import pytest

from conftest import (BASE, check_allow, D_MALFORMED, D_MEDIA, D_METHOD, D_NOTACCEPT,
                      D_NOTFOUND, D_TOOLARGE, D_TYPE, JSONAPI, RID_RE, api,
                      assert_error, assert_invalid_token, assert_member,
                      assert_missing_token, db_query, doc, login)
from effects import unchanged

LOGIN = doc("access-tokens", {"username": "nobody@example.com", "password": "x" * 8})
UUID = "123e4567-e89b-42d3-a456-426614174000"
DEMO = "sonia@example.com"     # DE--1, the customer the paths below name


def customer_id(email):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(*emails):
    """A refusal: nothing changes (effects.unchanged), for each customer
    named by e-mail, or for no account in particular (global counts, login
    failures, mail spool, no audit row)."""
    with contextlib.ExitStack() as stack:
        for e in emails or [None]:
            stack.enter_context(unchanged(
                side="storefront",
                account_id=None if e is None else customer_id(e)))
        yield


def test_request_id_on_every_response_and_fresh(customer):
    rs = [
        api("GET", customer.path, token=customer.access),            # 200
        api("GET", customer.path),                                     # 403
        api("PUT", "/access-tokens", LOGIN),                           # 405
        api("GET", "/access-tokens/nope"),                             # 404
        api("POST", "/access-tokens", data=b"{", content_type=JSONAPI),  # 400
        api("GET", customer.path, token=customer.access),            # 200 again
    ]
    ids = [r.headers["X-Request-Id"] for r in rs]
    assert all(RID_RE.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids), ids


def test_content_type_exact_on_success_and_error(customer):
    ok = api("GET", customer.path, token=customer.access)
    assert ok.status == 200, ok.describe()
    assert ok.headers["Content-Type"] == JSONAPI
    with untouched(customer.email):
        err = api("GET", customer.path)
    assert err.headers["Content-Type"] == JSONAPI


# ---------------------------------------------------------------- 404

@pytest.mark.parametrize("method,path", [
    ("GET", "/access-tokens/nope"),
    ("POST", "/access-tokens/nope"),
    ("DELETE", "/refresh-tokens/a/b"),
    ("GET", "/customers/DE--1/nope"),
    ("GET", "/customers/DE--1/addresses/%s/nope" % UUID),
    ("GET", "/customer-password/DE--1/nope"),
])
def test_unknown_path_under_resource_is_404(method, path):
    # No token: the 404 comes before authentication.
    with untouched(DEMO):
        r = api(method, path)
        assert_error(r, 404, "103", D_NOTFOUND)


def test_404_comes_before_405():
    with untouched():
        r = api("PUT", "/access-tokens/nope", LOGIN)
        assert_error(r, 404, "103", D_NOTFOUND)


# ---------------------------------------------------------------- 405

ROUTES_405 = [
    ("GET", "/access-tokens", {"POST"}),
    ("PUT", "/access-tokens", {"POST"}),
    ("DELETE", "/access-tokens", {"POST"}),
    ("GET", "/refresh-tokens", {"POST"}),
    ("PATCH", "/refresh-tokens", {"POST"}),
    ("GET", "/refresh-tokens/mine", {"DELETE"}),
    ("POST", "/refresh-tokens/mine", {"DELETE"}),
    ("PUT", "/customers", {"GET", "POST"}),
    ("DELETE", "/customers", {"GET", "POST"}),
    ("POST", "/customers/DE--1", {"GET", "PATCH", "DELETE"}),
    ("PUT", "/customers/DE--1", {"GET", "PATCH", "DELETE"}),
    ("GET", "/customer-password/DE--1", {"PATCH"}),
    ("POST", "/customer-password/DE--1", {"PATCH"}),
    ("PUT", "/customers/DE--1/addresses", {"GET", "POST"}),
    ("DELETE", "/customers/DE--1/addresses", {"GET", "POST"}),
    ("POST", "/customers/DE--1/addresses/" + UUID, {"GET", "PATCH", "DELETE"}),
]


@pytest.mark.parametrize("method,path,allowed", ROUTES_405)
def test_method_not_served_is_405_with_allow(method, path, allowed):
    body = None if method in ("GET", "DELETE") else LOGIN
    with untouched(DEMO):
        r = api(method, path, body)
        assert_error(r, 405, "104", D_METHOD)
        check_allow(r, allowed)


def test_405_comes_before_415():
    with untouched():
        r = api("PUT", "/customers", data=b"hello", content_type="text/plain")
        assert_error(r, 405, "104", D_METHOD)


# ---------------------------------------------------------------- 415

@pytest.mark.parametrize("ctype", [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/vnd.api+json; charset=utf-8",
    "application/vnd.api+json; foo=bar",
    # contract §10.2: no extension is supported (JSON:API 1.1: 415)
    'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
    "application/json; charset=iso-8859-1",
    "application/json; foo=bar",
    "application/jsonx",
    "text/json",
])
def test_unsupported_content_type_is_415(ctype):
    with untouched():
        r = api("POST", "/access-tokens", LOGIN, content_type=ctype)
        assert_error(r, 415, "107", D_MEDIA, allow_header="Content-Type")


def test_body_without_content_type_is_415():
    with untouched():
        r = api("POST", "/access-tokens", LOGIN, content_type=None)
        assert_error(r, 415, "107", D_MEDIA, allow_header="Content-Type")


@pytest.mark.parametrize("ctype", [
    "application/vnd.api+json",
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=utf-8",
    "application/json; charset=UTF-8",
    'application/vnd.api+json; profile="https://example.com/profile"',
])
def test_accepted_content_types_reach_the_handler(ctype, customer):
    r = api("POST", "/access-tokens",
            doc("access-tokens", {"username": customer.email,
                                  "password": customer.password}),
            content_type=ctype)
    assert r.status == 201, r.describe()


def test_415_comes_before_406():
    with untouched():
        r = api("POST", "/access-tokens", LOGIN, content_type="text/plain",
                headers={"Accept": "text/html"})
        assert_error(r, 415, "107", D_MEDIA, allow_header="Content-Type")


# ---------------------------------------------------------------- 406

@pytest.mark.parametrize("accept", [
    "text/html",
    "application/xml",
    "text/*",
    "image/png, text/plain",
])
def test_unacceptable_accept_is_406(accept):
    with untouched():
        r = api("POST", "/access-tokens", LOGIN, headers={"Accept": accept})
        assert_error(r, 406, "105", D_NOTACCEPT, allow_header="Accept")


def test_406_on_get_before_authentication():
    with untouched():
        r = api("GET", "/customers", headers={"Accept": "text/html"})
        assert_error(r, 406, "105", D_NOTACCEPT, allow_header="Accept")


@pytest.mark.parametrize("accept", [
    None, "*/*", "application/*", "application/json", JSONAPI,
    "text/html, application/vnd.api+json",
    "text/html;q=0.9, */*;q=0.8",
])
def test_acceptable_accept_headers(accept, customer):
    r = api("GET", customer.path, token=customer.access, headers={"Accept": accept})
    assert r.status == 200, r.describe()
    assert r.headers["Content-Type"] == JSONAPI


def test_406_comes_before_400():
    with untouched():
        r = api("POST", "/access-tokens", data=b"{nope",
                headers={"Accept": "text/html"})
        assert_error(r, 406, "105", D_NOTACCEPT, allow_header="Accept")


# ---------------------------------------------------------------- 413

@pytest.mark.parametrize("size", [65537, 70000, 200000])
def test_body_over_64k_is_413(size):
    body = b'{"data":{"type":"access-tokens","attributes":{"pad":"'
    body += b"x" * (size - len(body) - 4) + b'"}}}'
    assert len(body) == size
    with untouched():
        r = api("POST", "/access-tokens", data=body, check=False)
        assert r.status == 413, r.describe()
        if "X-Request-Id" in r.headers:   # the program answered, not lighttpd
            assert r.headers["Content-Type"] == JSONAPI, r.describe()
            assert_error(r, 413, "106", D_TOOLARGE)


@pytest.mark.parametrize("size", [65537, 200000])
def test_body_over_64k_on_a_write_changes_nothing(size, customer, clock):
    body = b'{"data":{"type":"customers","attributes":{"firstName":"Big","pad":"'
    body += b"x" * (size - len(body) - 4) + b'"}}}'
    assert len(body) == size
    clock(100)      # a write in the same second could not be seen
    with untouched(customer.email):
        r = api("PATCH", customer.path, data=body, token=customer.access,
                check=False)
        assert r.status == 413, r.describe()
        if "X-Request-Id" in r.headers:
            assert_error(r, 413, "106", D_TOOLARGE)


def test_body_of_exactly_64k_is_not_413(customer):
    body = doc("customers", {"firstName": "Sixty", "pad": ""})
    import json as _j
    n = len(_j.dumps(body).encode())
    body["data"]["attributes"]["pad"] = "x" * (65536 - n)
    raw = _j.dumps(body).encode()
    assert len(raw) == 65536
    r = api("PATCH", customer.path, data=raw, token=customer.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["firstName"] == "Sixty"


# ---------------------------------------------------------------- 400 / 409

def test_malformed_json_is_400_100():
    with untouched():
        r = api("POST", "/access-tokens", data=b'{"data":')
        assert_error(r, 400, "100", D_MALFORMED)


def test_400_comes_before_409_and_auth(customer):
    with untouched(customer.email):
        r = api("PATCH", customer.path, data=b'{"data":{"type":"nope",}')
        assert_error(r, 400, "100", D_MALFORMED)


def test_malformed_json_with_a_token_changes_nothing(customer, clock):
    clock(100)
    with untouched(customer.email):
        r = api("PATCH", customer.path, data=b'{"data":{"type":"customers",}',
                token=customer.access)
        assert_error(r, 400, "100", D_MALFORMED)


@pytest.mark.parametrize("payload,pointer", [
    ({}, "/data"),
    ({"meta": {}}, "/data"),
    ({"data": None}, "/data"),
    ({"data": []}, "/data"),
    ({"data": "x"}, "/data"),
    ({"data": 5}, "/data"),
    ({"data": {"type": "access-tokens"}}, "/data/attributes"),
    ({"data": {"type": "access-tokens", "attributes": None}}, "/data/attributes"),
    ({"data": {"type": "access-tokens", "attributes": []}}, "/data/attributes"),
    ({"data": {"type": "access-tokens", "attributes": "x"}}, "/data/attributes"),
    ({"data": {"type": 5, "attributes": {}}}, "/data/type"),
])
def test_missing_or_mistyped_members_are_400_101(payload, pointer):
    with untouched():
        r = api("POST", "/access-tokens", payload)
        assert_member(r, pointer)


@pytest.mark.parametrize("raw", [b"[]", b'"data"', b"null", b"5", b"true"])
def test_non_object_document_is_400_101(raw):
    with untouched():
        r = api("POST", "/access-tokens", data=raw)
    # The contract names /data for a missing data member; a top-level non-object
    # may also be reported at the document root ("").
    assert_error(r, 400, "101", "Invalid or missing member.", pointers={"/data", ""})


@pytest.mark.parametrize("ctype", [JSONAPI, None])
def test_empty_body_where_one_is_needed_is_400_101(ctype):
    with untouched():
        r = api("POST", "/access-tokens", data=b"", content_type=ctype)
        assert_member(r, "/data")


def test_wrong_data_type_is_409(login_failures_cleared):
    # A sign-in that would fail: no failure may be counted, none audited.
    with untouched():
        r = api("POST", "/access-tokens",
                doc("refresh-tokens", {"username": "a@example.com",
                                       "password": "x" * 8}))
        assert_error(r, 409, "102", D_TYPE, pointer="/data/type")


def test_missing_attributes_reported_before_type_mismatch():
    with untouched():
        r = api("POST", "/access-tokens", {"data": {"type": "wrong"}})
        assert_member(r, "/data/attributes")


def test_409_comes_before_authentication(customer):
    with untouched(customer.email):
        r = api("PATCH", customer.path, doc("addresses", {"firstName": "X"}))
        assert_error(r, 409, "102", D_TYPE, pointer="/data/type")


def test_415_comes_before_authentication(customer):
    with untouched(customer.email):
        r = api("PATCH", customer.path, doc("customers", {"firstName": "X"}),
                content_type="text/plain")
        assert_error(r, 415, "107", D_MEDIA, allow_header="Content-Type")


def test_406_with_a_token_changes_nothing(customer):
    with untouched(customer.email):
        r = api("PATCH", customer.path, doc("customers", {"firstName": "X"}),
                token=customer.access, headers={"Accept": "text/html"})
        assert_error(r, 406, "105", D_NOTACCEPT, allow_header="Accept")


# ---------------------------------------------------------------- auth

@pytest.mark.parametrize("method,path", [
    ("GET", "/customers"),
    ("GET", "/customers/DE--1"),
    ("DELETE", "/customers/DE--1"),
    ("GET", "/customers/DE--1/addresses"),
    ("GET", "/customers/DE--1/addresses/" + UUID),
    ("DELETE", "/refresh-tokens/mine"),
])
def test_no_authorization_is_403_002(method, path):
    with untouched(DEMO):
        r = api(method, path)
        assert_missing_token(r)


def test_no_authorization_with_body_is_403_002(customer):
    with untouched(customer.email):
        r = api("PATCH", customer.path, doc("customers", {"firstName": "X"}))
        assert_missing_token(r)
    with untouched(customer.email):
        r = api("PATCH", "/customer-password/" + customer.ref,
                doc("customer-password", {"password": customer.password,
                                          "newPassword": "b" * 8,
                                          "confirmPassword": "b" * 8}))
        assert_missing_token(r)
    with untouched(customer.email):
        r = api("POST", customer.path + "/addresses",
                doc("addresses", {"firstName": "X", "lastName": "Y",
                                  "address1": "Z 1", "zipCode": "10115",
                                  "city": "Berlin", "iso2Code": "DE"}))
        assert_missing_token(r)


@pytest.mark.parametrize("auth", [
    "Bearer " + "A" * 43,
    "Bearer not-a-token",
    "Bearer ",
    "Bearer",
    "Basic dXNlcjpwYXNz",
    "garbage",
    "Bearer " + "A" * 5000,
    "Bearer a'; DROP TABLE customers;--",
], ids=["43xA", "not-a-token", "empty", "no-space", "basic", "garbage", "5000xA",
        "sql"])
def test_bad_authorization_is_401_001(auth, customer):
    with untouched(customer.email):
        r = api("GET", customer.path, headers={"Authorization": auth})
        assert_invalid_token(r)
    with untouched(customer.email):
        r = api("PATCH", customer.path, doc("customers", {"firstName": "X"}),
                headers={"Authorization": auth})
        assert_invalid_token(r)


def test_token_with_extra_characters_is_401(customer):
    with untouched(customer.email):
        r = api("GET", customer.path, headers={"Authorization":
                                               "Bearer " + customer.access + "x"})
        assert_invalid_token(r)
    with untouched(customer.email):
        r = api("PATCH", customer.path, doc("customers", {"firstName": "X"}),
                headers={"Authorization": "Bearer " + customer.access[:-1]})
        assert_invalid_token(r)


def test_refresh_token_is_not_an_access_token(customer):
    with untouched(customer.email):
        r = api("GET", customer.path, token=customer.refresh)
        assert_invalid_token(r)
    with untouched(customer.email):
        r = api("DELETE", customer.path, token=customer.refresh)
        assert_invalid_token(r)


# ---------------------------------------------------------------- links, query

def test_links_built_from_host_header(customer):
    r = api("POST", "/access-tokens",
            doc("access-tokens", {"username": customer.email,
                                  "password": customer.password}),
            headers={"Host": "glue.example.test"})
    assert r.status == 201, r.describe()
    assert r.data["links"]["self"] == "http://glue.example.test/access-tokens"
    r = api("GET", customer.path, token=customer.access,
            headers={"Host": "shop.example.test:8443"})
    assert r.status == 200, r.describe()
    assert r.data["links"]["self"] == \
        "http://shop.example.test:8443/customers/" + customer.ref


def test_query_string_does_not_break_routing(customer):
    # An implementation-specific parameter (a character outside a-z) is
    # ignored; include is refused (contract §10.10).
    r = api("GET", customer.path + "?_x=%2F&cache_buster=1", token=customer.access)
    assert r.status == 200, r.describe()
    assert r.data["id"] == customer.ref
    r = api("GET", customer.path + "?include=addresses", token=customer.access)
    assert_error(r, 400, "135", "Query parameter is not supported.",
                 parameter="include")


def test_login_links_use_base_url(customer):
    r = login(customer.email, customer.password)
    assert r.data["links"]["self"] == BASE + "/access-tokens"
