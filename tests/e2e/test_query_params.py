"""JSON:API query parameters (contract §10.10): sparse fieldsets on every
answer with resources, paging of the collections that grow (GET
/backend/users, a customer's addresses) with links and meta, and the
refusals (400 with source.parameter) of include, sort, JSON:API names this
server does not know, bad page numbers and fieldsets, malformed queries.
Every refusal changes nothing (effects.unchanged).
"""

import pytest

from conftest import BASE, address_attrs, api, assert_error, db_query, doc
from effects import unchanged
from backend_helpers import BE, admin_token, new_user, user_id, ADMIN_NAME

PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 100

D_UNSUPPORTED = "Query parameter is not supported."
D_PAGE = "Invalid page parameter."
D_FIELDS = "Invalid fields parameter."
D_MALFORMED = "Malformed query string."


@pytest.fixture
def op():
    return admin_token()


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


def addresses(c):
    return "/customers/%s/addresses" % c.ref


def add_address(c, **over):
    r = api("POST", addresses(c), doc("addresses", address_attrs(**over)),
            token=c.access)
    assert r.status == 201, r.describe()
    return r.data["id"]


def page_link(path, offset, limit, extra=""):
    return BASE + path + "?" + extra + \
        "page[offset]=%d&page[limit]=%d" % (offset, limit)


def check_page(r, path, total, offset, limit, extra="", self_paged=True):
    """The document of one page: data, links (self, first, prev and next
    where there is one, last) and meta, exactly."""
    assert r.status == 200, r.describe()
    assert list(r.json) == ["data", "links", "meta"], r.describe()
    last = (total - 1) // limit * limit if total > 0 else 0
    links = {"self": page_link(path, offset, limit, extra) if self_paged
             else BASE + path + ("?" + extra.rstrip("&") if extra else ""),
             "first": page_link(path, 0, limit, extra)}
    if offset > 0:
        links["prev"] = page_link(path, min(max(offset - limit, 0), last),
                                  limit, extra)
    if offset + limit < total:
        links["next"] = page_link(path, offset + limit, limit, extra)
    links["last"] = page_link(path, last, limit, extra)
    assert r.json["links"] == links, r.describe()
    assert r.json["meta"] == {"totalItems": total,
                              "page": {"offset": offset, "limit": limit}}
    assert len(r.data) == max(0, min(limit, total - offset)), r.describe()
    return r.data


def user_uuids():
    return [row[0] for row in db_query("SELECT uuid FROM users ORDER BY id")]


def at_least_users(op, n):
    while len(user_uuids()) < n:
        new_user(op)
    return user_uuids()


def refused_unchanged_backend():
    return unchanged(side="backend", account_id=user_id(ADMIN_NAME))


def refused_unchanged_storefront(c):
    return unchanged(side="storefront", account_id=customer_id(c))


# --------------------------------------------------------------------------
# Paging: /backend/users


def test_users_paged_walk_covers_every_user_once(op):
    uuids = at_least_users(op, 8)
    total, limit, seen, offset = len(uuids), 3, [], 0
    path = BE + "/users"
    r = api("GET", path + "?page[limit]=3", token=op)
    data = check_page(r, path, total, 0, limit)
    while True:
        seen += [d["id"] for d in data]
        nxt = r.json["links"].get("next")
        if nxt is None:
            break
        offset += limit
        r = api("GET", nxt[len(BASE):], token=op)
        data = check_page(r, path, total, offset, limit)
    assert seen == uuids
    assert offset == (total - 1) // limit * limit


def test_users_default_page(op):
    uuids = at_least_users(op, 2)
    r = api("GET", BE + "/users", token=op)
    data = check_page(r, BE + "/users", len(uuids), 0, PAGE_LIMIT_DEFAULT,
                      self_paged=False)
    assert [d["id"] for d in data] == uuids[:PAGE_LIMIT_DEFAULT]


@pytest.mark.parametrize("limit", [1, PAGE_LIMIT_MAX])
def test_users_limit_at_its_bounds(op, limit):
    uuids = at_least_users(op, 2)
    r = api("GET", BE + "/users?page[limit]=%d" % limit, token=op)
    data = check_page(r, BE + "/users", len(uuids), 0, limit)
    assert [d["id"] for d in data] == uuids[:limit]


def test_users_last_page_and_past_the_end(op):
    uuids = at_least_users(op, 5)
    total = len(uuids)
    last = (total - 1) // 4 * 4
    r = api("GET", BE + "/users?page[offset]=%d&page[limit]=4" % last,
            token=op)
    data = check_page(r, BE + "/users", total, last, 4)
    assert [d["id"] for d in data] == uuids[last:]
    for offset in (total, total + 7, 999999999):
        r = api("GET", BE + "/users?page[offset]=%d&page[limit]=4" % offset,
                token=op)
        assert check_page(r, BE + "/users", total, offset, 4) == []
    # Far past the end, the page before is the last page.
    assert r.json["links"]["prev"] == page_link(BE + "/users", last, 4)


@pytest.mark.parametrize("query,param", [
    ("page[limit]=0", "page[limit]"),
    ("page[limit]=%d" % (PAGE_LIMIT_MAX + 1), "page[limit]"),
    ("page[limit]=", "page[limit]"),
    ("page[limit]=ten", "page[limit]"),
    ("page[limit]=1.5", "page[limit]"),
    ("page[limit]=-1", "page[limit]"),
    ("page[limit]=%2B5", "page[limit]"),
    ("page[offset]=abc", "page[offset]"),
    ("page[offset]=-1", "page[offset]"),
    ("page[offset]=1000000000", "page[offset]"),
    ("page[offset]=0x10", "page[offset]"),
    ("page[offset]=1&page[offset]=2", "page[offset]"),
    ("page[limit]=2&page[offset]=x", "page[offset]"),
])
def test_users_bad_page_is_400_136(op, query, param):
    with refused_unchanged_backend():
        r = api("GET", BE + "/users?" + query, token=op)
    assert_error(r, 400, "136", D_PAGE, parameter=param)


@pytest.mark.parametrize("query,param", [
    ("page[number]=2", "page[number]"),
    ("page[size]=2", "page[size]"),
    ("page=2", "page"),
])
def test_users_other_page_members_are_400_135(op, query, param):
    with refused_unchanged_backend():
        r = api("GET", BE + "/users?" + query, token=op)
    assert_error(r, 400, "135", D_UNSUPPORTED, parameter=param)


def test_page_on_a_single_resource_is_400_135(op, customer):
    u = new_user(op)
    with refused_unchanged_backend():
        r = api("GET", BE + "/users/%s?page[limit]=1" % u.uuid, token=op)
    assert_error(r, 400, "135", D_UNSUPPORTED, parameter="page[limit]")
    with refused_unchanged_storefront(customer):
        r = api("GET", customer.path + "?page[offset]=0", token=customer.access)
    assert_error(r, 400, "135", D_UNSUPPORTED, parameter="page[offset]")


# --------------------------------------------------------------------------
# Paging: a customer's addresses


def test_addresses_paged(customer):
    ids = [add_address(customer, city="City %d" % i) for i in range(3)]
    path = addresses(customer)
    r = api("GET", path + "?page[limit]=2", token=customer.access)
    assert [d["id"] for d in check_page(r, path, 3, 0, 2)] == ids[:2]
    r = api("GET", r.json["links"]["next"][len(BASE):], token=customer.access)
    assert [d["id"] for d in check_page(r, path, 3, 2, 2)] == ids[2:]
    r = api("GET", path + "?page[offset]=1&page[limit]=1",
            token=customer.access)
    assert [d["id"] for d in check_page(r, path, 3, 1, 1)] == ids[1:2]
    r = api("GET", path + "?page[offset]=3&page[limit]=2",
            token=customer.access)
    assert check_page(r, path, 3, 3, 2) == []
    r = api("GET", path, token=customer.access)
    assert [d["id"] for d in check_page(r, path, 3, 0, PAGE_LIMIT_DEFAULT,
                                        self_paged=False)] == ids


def test_addresses_bad_limit_changes_nothing(customer):
    add_address(customer)
    with refused_unchanged_storefront(customer):
        r = api("GET", addresses(customer) + "?page[limit]=101",
                token=customer.access)
    assert_error(r, 400, "136", D_PAGE, parameter="page[limit]")


# --------------------------------------------------------------------------
# include, sort and JSON:API's other names: 400 135 on every resource


def storefront_requests(c):
    a = add_address(c)
    return [
        ("GET", c.path, None),
        ("PATCH", c.path, doc("customers", {"firstName": "Never"})),
        ("GET", addresses(c), None),
        ("GET", addresses(c) + "/" + a, None),
        ("POST", addresses(c), doc("addresses", address_attrs())),
        ("DELETE", addresses(c) + "/" + a, None),
        ("GET", "/multi-factor-auth-types", None),
        ("POST", "/multi-factor-auth-trigger",
         doc("multi-factor-auth-trigger", {"type": "email"})),
    ]


@pytest.mark.parametrize("query,param", [
    ("include=addresses", "include"),
    ("include=", "include"),
    ("sort=-createdAt", "sort"),
    ("sort=id", "sort"),
    ("filter[city]=Berlin", "filter[city]"),
    ("foo=1", "foo"),
    ("_=1&include=x", "include"),
])
def test_storefront_unsupported_parameters(customer, query, param):
    for method, path, body in storefront_requests(customer):
        with refused_unchanged_storefront(customer):
            r = api(method, path + "?" + query, body, token=customer.access)
        assert_error(r, 400, "135", D_UNSUPPORTED, parameter=param)


def test_sign_in_with_include_issues_nothing(customer):
    with refused_unchanged_storefront(customer):
        r = api("POST", "/access-tokens?include=customers",
                doc("access-tokens", {"username": customer.email,
                                      "password": customer.password}))
    assert_error(r, 400, "135", D_UNSUPPORTED, parameter="include")
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customers?sort=email", doc("customers", {}))
    assert_error(r, 400, "135", D_UNSUPPORTED, parameter="sort")


@pytest.mark.parametrize("query,param", [
    ("include=users", "include"),
    ("sort=username", "sort"),
    ("sort=-createdAt,username", "sort"),
])
def test_backend_unsupported_parameters(op, query, param):
    u = new_user(op)
    for method, path, body in [
            ("GET", BE + "/users", None),
            ("GET", BE + "/users/" + u.uuid, None),
            ("PATCH", BE + "/users/" + u.uuid,
             doc("users", {"firstName": "Never"})),
            ("POST", BE + "/users", doc("users", {})),
            ("DELETE", BE + "/users/" + u.uuid, None),
            ("GET", BE + "/multi-factor-auth-types", None)]:
        with refused_unchanged_backend():
            r = api(method, path + "?" + query, body, token=op)
        assert_error(r, 400, "135", D_UNSUPPORTED, parameter=param)


def test_refused_before_authentication(customer):
    """The query is part of the front line: no token needed to be told."""
    r = api("GET", customer.path + "?include=addresses")
    assert_error(r, 400, "135", D_UNSUPPORTED, parameter="include")


@pytest.mark.parametrize("query", ["_=1700000000", "cacheBuster=1",
                                   "x-trace=abc", "Include=addresses",
                                   "my_param[a]=1"])
def test_implementation_specific_parameters_are_ignored(customer, query):
    r = api("GET", customer.path + "?" + query, token=customer.access)
    assert r.status == 200, r.describe()
    assert r.data["id"] == customer.ref
    assert set(r.data["attributes"]) >= {"email", "firstName"}


# A NUL byte or a lone %FF the web server itself may refuse (lighttpd
# does); the unit tests (tests/unit/req_test.c) have those.
@pytest.mark.parametrize("query", ["_=%E2%82", "%C3%A9=1", "=1",
                                   "_=" + "a" * 2047])
def test_malformed_query_is_400_138(customer, query):
    with refused_unchanged_storefront(customer):
        r = api("GET", customer.path + "?" + query, token=customer.access)
    assert_error(r, 400, "138", D_MALFORMED)


def test_query_at_its_limit_is_served(customer):
    query = "_=" + "a" * 2046            # 2048 characters, MAX_QUERY
    r = api("GET", customer.path + "?" + query, token=customer.access)
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# Sparse fieldsets


def test_fields_on_a_single_resource(customer):
    r = api("GET", customer.path + "?fields[customers]=email,lastName",
            token=customer.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"] == {"email": customer.email,
                                    "lastName": customer.attrs["lastName"]}
    assert set(r.data) == {"type", "id", "attributes", "links"}
    # An empty list: no attributes; an unknown name keeps nothing.
    for q in ("fields[customers]=", "fields[customers]=nope"):
        r = api("GET", customer.path + "?" + q, token=customer.access)
        assert r.status == 200, r.describe()
        assert r.data["attributes"] == {}, r.describe()
    # Another type's fieldset leaves this one whole.
    r = api("GET", customer.path + "?fields[users]=username",
            token=customer.access)
    assert "firstName" in r.data["attributes"] and \
        "email" in r.data["attributes"]


def test_fields_on_a_collection_and_its_links(op):
    uuids = at_least_users(op, 3)
    path = BE + "/users"
    extra = "fields[users]=username,status&"
    r = api("GET", path + "?fields[users]=username,status&page[limit]=2",
            token=op)
    data = check_page(r, path, len(uuids), 0, 2, extra=extra)
    for d in data:
        assert set(d["attributes"]) == {"username", "status"}, d
    r = api("GET", r.json["links"]["next"][len(BASE):], token=op)
    for d in check_page(r, path, len(uuids), 2, 2, extra=extra):
        assert set(d["attributes"]) == {"username", "status"}, d
    # Without page parameters, self keeps the fieldset only.
    r = api("GET", path + "?fields[users]=status", token=op)
    check_page(r, path, len(uuids), 0, PAGE_LIMIT_DEFAULT,
               extra="fields[users]=status&", self_paged=False)


def test_fields_on_write_answers(customer):
    r = api("POST", addresses(customer) + "?fields[addresses]=city,zipCode",
            doc("addresses", address_attrs(city="Köln")), token=customer.access)
    assert r.status == 201, r.describe()
    assert r.data["attributes"] == {"city": "Köln",
                                    "zipCode": address_attrs()["zipCode"]}
    r = api("PATCH", addresses(customer) + "/" + r.data["id"] +
            "?fields[addresses]=isDefaultBilling",
            doc("addresses", {"isDefaultBilling": True}), token=customer.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"] == {"isDefaultBilling": True}
    r = api("POST", "/access-tokens?fields[access-tokens]=tokenType",
            doc("access-tokens", {"username": customer.email,
                                  "password": customer.password}))
    assert r.status == 201, r.describe()
    assert r.data["attributes"] == {"tokenType": "Bearer"}


def test_fields_on_mfa_types(customer):
    r = api("GET", "/multi-factor-auth-types?fields[multi-factor-auth-types]"
            "=status", token=customer.access)
    assert r.status == 200, r.describe()
    assert r.data and all(set(d["attributes"]) == {"status"} for d in r.data)


@pytest.mark.parametrize("query,param", [
    ("fields[customers]=email,,lastName", "fields[customers]"),
    ("fields[customers]=email,", "fields[customers]"),
    ("fields[customers]=,email", "fields[customers]"),
    ("fields[customers]=e%20mail", "fields[customers]"),
    ("fields[customers]=email&fields[customers]=lastName",
     "fields[customers]"),
    ("fields[cust.omers]=email", "fields[cust.omers]"),
])
def test_bad_fields_are_400_137(customer, query, param):
    with refused_unchanged_storefront(customer):
        r = api("GET", customer.path + "?" + query, token=customer.access)
    assert_error(r, 400, "137", D_FIELDS, parameter=param)


def test_bad_fields_on_a_write_change_nothing(customer):
    with refused_unchanged_storefront(customer):
        r = api("POST", addresses(customer) + "?fields[addresses]=a,,b",
                doc("addresses", address_attrs()), token=customer.access)
    assert_error(r, 400, "137", D_FIELDS, parameter="fields[addresses]")


# --------------------------------------------------------------------------
# Every JSON:API route of both APIs (the route tables of cgi-bin/*.c)

U = "00000000-0000-4000-8000-000000000000"
MFA_ROUTES = [
    ("GET", "/multi-factor-auth-types"), ("GET", "/multi-factor-auth-types/email"),
    ("POST", "/multi-factor-auth-type-activate"),
    ("POST", "/multi-factor-auth-type-verify"),
    ("POST", "/multi-factor-auth-trigger"),
    ("POST", "/multi-factor-auth-type-deactivate"),
    ("GET", "/multi-factor-auth-recovery-codes"),
    ("POST", "/multi-factor-auth-recovery-codes"),
    ("GET", "/multi-factor-auth-webauthn-credentials"),
    ("DELETE", "/multi-factor-auth-webauthn-credentials/" + U),
]
EVERY_ROUTE = [
    ("POST", "/access-tokens"), ("POST", "/refresh-tokens"),
    ("DELETE", "/refresh-tokens/mine"),
    ("POST", "/customers"), ("GET", "/customers"), ("GET", "/customers/DE--1"),
    ("PATCH", "/customers/DE--1"), ("DELETE", "/customers/DE--1"),
    ("POST", "/customer-confirmation"), ("PATCH", "/customer-password/DE--1"),
    ("GET", "/customers/DE--1/addresses"), ("POST", "/customers/DE--1/addresses"),
    ("GET", "/customers/DE--1/addresses/" + U),
    ("PATCH", "/customers/DE--1/addresses/" + U),
    ("DELETE", "/customers/DE--1/addresses/" + U),
    ("GET", "/dev-mailbox"), ("GET", "/dev-mailbox/1-1.eml"),
    ("GET", BE + "/users"), ("POST", BE + "/users"), ("GET", BE + "/users/" + U),
    ("PATCH", BE + "/users/" + U), ("DELETE", BE + "/users/" + U),
    ("POST", BE + "/customer-multi-factor-auth-type-deactivate"),
] + MFA_ROUTES + [(m, BE + p) for m, p in MFA_ROUTES]
PAGED = {("GET", "/customers/DE--1/addresses"), ("GET", BE + "/users")}


def test_include_and_sort_refused_on_every_route():
    """Before authentication and the body: no token, no body needed, and
    nothing changes anywhere."""
    with unchanged(side="storefront", account_id=None):
        for method, path in EVERY_ROUTE:
            for query, param in (("include=x", "include"), ("sort=id", "sort"),
                                 ("fields[x]=a,,b", "fields[x]")):
                r = api(method, path + "?" + query)
                assert_error(r, 400, "137" if param.startswith("fields") else "135",
                             D_FIELDS if param.startswith("fields") else D_UNSUPPORTED,
                             parameter=param)
            r = api(method, path + "?a=%E2%82")
            assert_error(r, 400, "138", D_MALFORMED)


def test_page_refused_where_nothing_is_paged():
    with unchanged(side="storefront", account_id=None):
        for method, path in EVERY_ROUTE:
            r = api(method, path + "?page[limit]=1")
            if (method, path) in PAGED:
                assert r.status == 403, r.describe()     # then: no token
            else:
                assert_error(r, 400, "135", D_UNSUPPORTED, parameter="page[limit]")
            r = api(method, path + "?page[limit]=0")
            if (method, path) in PAGED:
                assert_error(r, 400, "136", D_PAGE, parameter="page[limit]")
            else:   # not supported here, whatever the number
                assert_error(r, 400, "135", D_UNSUPPORTED, parameter="page[limit]")


def test_oauth_token_endpoint_ignores_the_query():
    """POST /backend/token speaks OAuth (RFC 6749), not JSON:API: its query
    is not read, so include there changes nothing of its answer."""
    r = api("POST", BE + "/token?include=x",
            data=b"grant_type=password&username=admin%40example.com&password=change123",
            content_type="application/x-www-form-urlencoded", check=False)
    assert r.status == 200, r.describe()
    assert "access_token" in r.json
