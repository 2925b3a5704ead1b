"""Issue 9, the front line outside the MFA resources: a body the front line
refuses (400 with a pointer, 409) must end the request. On the code these
tests were written against, body_read() and body_check() returned what
jsonapi_error() returns (0 once the error is written), so the request went on
into authentication and the handler: the 409 was answered and the write done
anyway (a name changed, an address or an account created, a password set,
tokens issued or rotated, updatedAt moved).

Every test here states the answer and, inside `unchanged`, that nothing moved:
the account's rows and tokens, the global counts, the mail spool, the audit
log. Each also checks the one effect the defect had, directly, so that it
fails for the right reason. The clock is moved forward before the refused
request, so that a write that only touches updated_at shows too.
"""

import pytest

from conftest import (address_attrs, api, assert_error, assert_login_failed,
                      assert_member, customer_attrs, check_token_resource,
                      D_MALFORMED, D_TYPE, db_query, doc, login, new_customer,
                      refresh)
from backend_helpers import (BE, admin_token, assert_invalid_grant, new_user,
                             password_grant, sign_in, user_attrs)
from effects import login_failure_counted, unchanged

NEW_PASSWORD = "brand-new-Passw0rd"
LATER = 100      # seconds the clock moves before the refused request


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


def user_id(u):
    rows = db_query("SELECT id FROM users WHERE uuid = '%s'" % u.uuid)
    assert len(rows) == 1, rows
    return int(rows[0][0])


def customer_row(c):
    return db_query("SELECT email, first_name, last_name, salutation, "
                    "password_hash, created_at, updated_at FROM customers "
                    "WHERE email = '%s'" % c.email)


def user_row(u):
    return db_query("SELECT username, first_name, last_name, status, "
                    "password_hash, created_at, updated_at FROM users "
                    "WHERE uuid = '%s'" % u.uuid)


def address_rows(c):
    return db_query("SELECT uuid, first_name, city, zip_code, updated_at "
                    "FROM addresses WHERE customer_id = %d ORDER BY id"
                    % customer_id(c))


def count(table, where="1"):
    return int(db_query("SELECT COUNT(*) FROM %s WHERE %s" % (table, where))[0][0])


def assert_409(r):
    assert_error(r, 409, "102", D_TYPE, pointer="/data/type")


# --------------------------------------------------------------------------
# 409: data.type is not the endpoint's resource type


def test_patch_customer_with_type_users_keeps_the_name(customer, clock):
    before = customer_row(customer)
    clock(LATER)
    with unchanged(side="storefront", account_id=customer_id(customer)):
        r = api("PATCH", customer.path, doc("users", {"firstName": "Changed"}),
                token=customer.access)
        assert_409(r)
    assert customer_row(customer) == before
    g = api("GET", customer.path, token=customer.access)
    assert g.data["attributes"]["firstName"] == customer.attrs["firstName"], \
        g.describe()


@pytest.mark.parametrize("type_", ["customers", "address", "users"])
def test_post_address_with_wrong_type_creates_none(customer, type_):
    with unchanged(side="storefront", account_id=customer_id(customer)):
        r = api("POST", customer.path + "/addresses", doc(type_, address_attrs()),
                token=customer.access)
        assert_409(r)
    assert address_rows(customer) == []
    g = api("GET", customer.path + "/addresses", token=customer.access)
    assert g.status == 200 and g.data == [], g.describe()


def test_patch_address_with_wrong_type_keeps_it(customer, clock):
    d = api("POST", customer.path + "/addresses", doc("addresses", address_attrs()),
            token=customer.access)
    assert d.status == 201, d.describe()
    before = address_rows(customer)
    clock(LATER)
    with unchanged(side="storefront", account_id=customer_id(customer)):
        r = api("PATCH", customer.path + "/addresses/" + d.data["id"],
                doc("customers", {"city": "Hamburg"}), token=customer.access)
        assert_409(r)
    assert address_rows(customer) == before


def test_register_with_wrong_type_creates_no_account(login_failures_cleared):
    attrs = customer_attrs()
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customers", doc("addresses", attrs))
        assert_409(r)
    assert count("customers", "email = '%s'" % attrs["email"]) == 0
    with unchanged(side="storefront", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(attrs["email"], attrs["password"]))


def test_patch_customer_password_with_wrong_type_keeps_the_password(customer):
    c = customer
    other_access, other_refresh = c.login()
    before = customer_row(c)
    with unchanged(side="storefront", account_id=customer_id(c)):
        r = api("PATCH", "/customer-password/" + c.ref,
                doc("customers", {"password": c.password, "newPassword": NEW_PASSWORD,
                                  "confirmPassword": NEW_PASSWORD}),
                token=c.access)
        assert_409(r)
    assert customer_row(c) == before
    # The old password still signs in, the other sign-in was not revoked.
    assert api("GET", c.path, token=other_access).status == 200
    check_token_resource(refresh(other_refresh), "refresh-tokens")
    check_token_resource(login(c.email, c.password))


def test_login_with_wrong_type_issues_no_tokens(customer):
    cid = customer_id(customer)
    tokens = count("access_tokens", "side = 0 AND account_id = %d" % cid)
    with unchanged(side="storefront", account_id=cid):
        r = api("POST", "/access-tokens",
                doc("refresh-tokens", {"username": customer.email,
                                       "password": customer.password}))
        assert_409(r)
    assert count("access_tokens", "side = 0 AND account_id = %d" % cid) == tokens


def test_refresh_with_wrong_type_does_not_rotate(customer):
    with unchanged(side="storefront", account_id=customer_id(customer)):
        r = api("POST", "/refresh-tokens",
                doc("access-tokens", {"refreshToken": customer.refresh}))
        assert_409(r)
    # Not used: it still rotates once (a used one would be refused).
    check_token_resource(refresh(customer.refresh), "refresh-tokens")


def test_post_backend_user_with_wrong_type_creates_none(login_failures_cleared):
    op = admin_token()
    attrs = user_attrs()
    with unchanged(side="backend", account_id=None):
        r = api("POST", BE + "/users", doc("customers", attrs), token=op)
        assert_409(r)
    assert count("users", "username = '%s'" % attrs["username"]) == 0
    with unchanged(side="backend", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_invalid_grant(password_grant(attrs["username"], attrs["password"]))


def test_patch_backend_user_with_wrong_type_keeps_the_user(clock):
    u = new_user()
    op = admin_token()
    before = user_row(u)
    clock(LATER)
    with unchanged(side="backend", account_id=user_id(u)):
        r = api("PATCH", u.path, doc("customers", {"firstName": "Changed",
                                                   "password": NEW_PASSWORD}),
                token=op)
        assert_409(r)
    assert user_row(u) == before
    sign_in(u.username, u.password)


# --------------------------------------------------------------------------
# 400: the document's shape, on every JSON:API write route outside MFA


class Route:
    """A write route, its resource type, a valid attribute set, a field whose
    wrong JSON type the handler refuses, and what it acts on."""

    def __init__(self, name, type_, member):
        self.name, self.type, self.member = name, type_, member

    def __repr__(self):
        return self.name


class _Register(Route):
    def prepare(self):
        self.attrs = customer_attrs()
        self.side, self.account = "storefront", None
        self.token = None
        self.method, self.path = "POST", "/customers"

    def check(self):
        assert count("customers", "email = '%s'" % self.attrs["email"]) == 0


class _Customer(Route):
    """A route under one signed-in customer."""

    def prepare(self):
        self.c = new_customer().signed_in()
        self.side, self.account = "storefront", customer_id(self.c)
        self.token = self.c.access
        self.setup()
        self.rows = (customer_row(self.c), address_rows(self.c))

    def setup(self):
        pass

    def check(self):
        assert (customer_row(self.c), address_rows(self.c)) == self.rows


class _PatchCustomer(_Customer):
    def setup(self):
        self.method, self.path = "PATCH", self.c.path
        self.attrs = {"firstName": "Changed", "lastName": "Changed"}


class _Password(_Customer):
    def setup(self):
        self.method, self.path = "PATCH", "/customer-password/" + self.c.ref
        self.attrs = {"password": self.c.password, "newPassword": NEW_PASSWORD,
                      "confirmPassword": NEW_PASSWORD}


class _PostAddress(_Customer):
    def setup(self):
        self.method, self.path = "POST", self.c.path + "/addresses"
        self.attrs = address_attrs()


class _PatchAddress(_Customer):
    def setup(self):
        r = api("POST", self.c.path + "/addresses",
                doc("addresses", address_attrs()), token=self.c.access)
        assert r.status == 201, r.describe()
        self.method = "PATCH"
        self.path = self.c.path + "/addresses/" + r.data["id"]
        self.attrs = {"city": "Hamburg", "zipCode": "20095"}


class _Login(_Customer):
    def setup(self):
        self.method, self.path, self.token = "POST", "/access-tokens", None
        self.attrs = {"username": self.c.email, "password": self.c.password}


class _Refresh(_Customer):
    def setup(self):
        self.method, self.path, self.token = "POST", "/refresh-tokens", None
        self.attrs = {"refreshToken": self.c.refresh}

    def check(self):
        super().check()
        check_token_resource(refresh(self.c.refresh), "refresh-tokens")


class _User(Route):
    def prepare(self):
        self.u = new_user()
        self.side, self.account = "backend", user_id(self.u)
        self.token = admin_token()
        self.setup()
        self.row = user_row(self.u)
        self.users = count("users")

    def check(self):
        assert user_row(self.u) == self.row
        assert count("users") == self.users


class _PostUser(_User):
    def setup(self):
        self.method, self.path = "POST", BE + "/users"
        self.attrs = user_attrs()

    def check(self):
        super().check()
        assert count("users", "username = '%s'" % self.attrs["username"]) == 0


class _PatchUser(_User):
    def setup(self):
        self.method, self.path = "PATCH", self.u.path
        self.attrs = {"firstName": "Changed", "password": NEW_PASSWORD}


ROUTES = [
    _Register("POST /customers", "customers", "firstName"),
    _PatchCustomer("PATCH /customers/{ref}", "customers", "lastName"),
    _Password("PATCH /customer-password/{ref}", "customer-password", "newPassword"),
    _PostAddress("POST /customers/{ref}/addresses", "addresses", "zipCode"),
    _PatchAddress("PATCH /customers/{ref}/addresses/{uuid}", "addresses", "city"),
    _Login("POST /access-tokens", "access-tokens", "password"),
    _Refresh("POST /refresh-tokens", "refresh-tokens", "refreshToken"),
    _PostUser("POST /backend/users", "users", "firstName"),
    _PatchUser("PATCH /backend/users/{uuid}", "users", "firstName"),
]


def _bodies(route):
    """(name, body, raw bytes or None, expected answer as (status, code,
    pointer)) of every shape the front line refuses."""
    t, a = route.type, route.attrs
    wrong_member = dict(a, **{route.member: 5})
    return [
        ("no-data", {"meta": {"x": 1}}, None, (400, "101", "/data")),
        ("data-null", {"data": None}, None, (400, "101", "/data")),
        ("data-array", {"data": [{"type": t, "attributes": a}]}, None,
         (400, "101", "/data")),
        ("data-string", {"data": "x"}, None, (400, "101", "/data")),
        ("no-type", {"data": {"attributes": a}}, None, (400, "101", "/data/type")),
        ("type-number", {"data": {"type": 5, "attributes": a}}, None,
         (400, "101", "/data/type")),
        ("no-attributes", {"data": {"type": t}}, None,
         (400, "101", "/data/attributes")),
        ("attributes-null", {"data": {"type": t, "attributes": None}}, None,
         (400, "101", "/data/attributes")),
        ("attributes-array", {"data": {"type": t, "attributes": [a]}}, None,
         (400, "101", "/data/attributes")),
        ("member-wrong-json-type", doc(t, wrong_member), None,
         (400, "101", "/data/attributes/" + route.member)),
        ("empty-body", None, b"", (400, "101", "/data")),
        ("malformed", None, b'{"data":{"type":"%s",' % t.encode(),
         (400, "100", None)),
        ("trailing-text", None, b'{"data":{"type":"%s","attributes":{}}} x'
         % t.encode(), (400, "100", None)),
    ]


SHAPES = ["no-data", "data-null", "data-array", "data-string", "no-type",
          "type-number", "no-attributes", "attributes-null", "attributes-array",
          "member-wrong-json-type", "empty-body", "malformed", "trailing-text"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("route", ROUTES, ids=repr)
def test_refused_body_changes_nothing(route, shape, clock, login_failures_cleared):
    route.prepare()
    [(_, body, raw, (status, code, pointer))] = [
        b for b in _bodies(route) if b[0] == shape]
    clock(LATER)
    with unchanged(side=route.side, account_id=route.account):
        r = api(route.method, route.path, body, data=raw, token=route.token)
        if code == "100":
            assert_error(r, 400, "100", D_MALFORMED)
        else:
            assert_member(r, pointer)
    route.check()
