"""/backend/users (contract §3.3): list, read, create, update, delete, and every
error: 416 duplicate, 417 unknown, 415 self, 901 invalid fields, 002/001."""

import contextlib
import uuid

import pytest

from conftest import (BASE, UUID_RE, api, assert_error, assert_member,
                      assert_validation, check_allow, db_query, doc)
from effects import login_failure_counted, unchanged
from backend_helpers import (ADMIN_NAME, BE, USER_PASSWORD, admin_token, all_users,
                             assert_invalid_grant, assert_invalid_token,
                             assert_missing_token, assert_oauth_tokens,
                             assert_refresh_refused, assert_self_action,
                             assert_user_exists, assert_user_not_found,
                             check_user_document, check_user_resource, new_user,
                             password_grant, refresh_grant, sign_in,
                             unique_username, user_attrs, user_patch, users_post)


@pytest.fixture
def op():
    """A signed-in operator: the demo user's fresh access token."""
    return admin_token()


def get_user(token, uuid_):
    return api("GET", BE + "/users/" + uuid_, token=token)


def delete_user(token, uuid_):
    return api("DELETE", BE + "/users/" + uuid_, token=token)


def users_list(token):
    return api("GET", BE + "/users", token=token)


def account_of(username):
    rows = db_query("SELECT id FROM users WHERE username = '%s'" % username)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(*usernames):
    """A refusal: nothing changes (effects.unchanged: each named user's row
    and tokens, the global counts, login failures, mail, no audit row), or,
    with no name, nothing for no account in particular."""
    with contextlib.ExitStack() as stack:
        for n in usernames or [None]:
            stack.enter_context(unchanged(
                side="backend", account_id=None if n is None else account_of(n)))
        yield


def refused_sign_in(username, password):
    """invalid_grant: the failure counted and audited, nothing else."""
    with unchanged(side="backend", account_id=account_of(username),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_invalid_grant(password_grant(username, password))


# --------------------------------------------------------------------------
# Read


def test_list_shows_every_user_with_links(op):
    u = new_user(op)
    r = users_list(op)
    assert r.status == 200, r.describe()
    assert list(r.json) == ["data", "links", "meta"], r.describe()
    assert r.json["links"]["self"] == BASE + BE + "/users"
    assert r.json["links"]["first"] == \
        BASE + BE + "/users?page[offset]=0&page[limit]=50"
    total = r.json["meta"]["totalItems"]
    assert len(r.data) == min(total, 50)
    assert isinstance(r.data, list)
    by_name = {}
    for item in all_users(op):
        a = check_user_resource(item, status=None)
        by_name[a["username"]] = item
    assert ADMIN_NAME in by_name and u.username in by_name
    assert by_name[u.username]["id"] == u.uuid
    assert len({i["id"] for i in r.data}) == len(r.data)


def test_get_one_user(op):
    u = new_user(op, firstName="Zoë", lastName="Ångström")
    r = get_user(op, u.uuid)
    a = check_user_document(r, 200, username=u.username)
    assert a["firstName"] == "Zoë" and a["lastName"] == "Ångström"
    assert r.data["id"] == u.uuid


@pytest.mark.parametrize("ident", [
    str(uuid.uuid4()),
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "12345",
    "3B56B729-48F4-4ECB-8B71-AA332A833C3A",
    "3b56b729-48f4-4ecb-8b71-aa332a833c3a0",
    "3b56b72948f44ecb8b71aa332a833c3a",
])
def test_unknown_or_malformed_uuid_is_417(op, ident):
    with untouched(ADMIN_NAME):
        assert_user_not_found(get_user(op, ident))
    with untouched(ADMIN_NAME):
        assert_user_not_found(user_patch(op, ident, {"firstName": "X"}))
    with untouched(ADMIN_NAME):
        assert_user_not_found(delete_user(op, ident))


def test_uppercase_form_of_an_existing_uuid_is_417(op):
    u = new_user(op)
    for r in (lambda: get_user(op, u.uuid.upper()),
              lambda: user_patch(op, u.uuid.upper(), {"firstName": "X"}),
              lambda: delete_user(op, u.uuid.upper())):
        with untouched(u.username, ADMIN_NAME):
            assert_user_not_found(r())


def test_unknown_subpath_is_404(op):
    u = new_user(op)
    with untouched(u.username):
        r = api("GET", u.path + "/addresses", token=op)
        assert_error(r, 404, "103", "Resource not found.")
    with untouched(u.username):
        r = api("DELETE", u.path + "/addresses", token=op)
        assert_error(r, 404, "103", "Resource not found.")


def test_methods_not_served_are_405(op):
    u = new_user(op)
    with untouched(u.username):
        r = api("PUT", BE + "/users", doc("users", user_attrs()), token=op)
        assert_error(r, 405, "104", "Method not allowed.")
        check_allow(r, ["GET", "POST"])
    with untouched(u.username):
        r = api("POST", u.path, doc("users", {"firstName": "X"}), token=op)
        assert_error(r, 405, "104", "Method not allowed.")
        check_allow(r, ["GET", "PATCH", "DELETE"])


# --------------------------------------------------------------------------
# Create


def test_create_user_answers_201_and_the_user_can_sign_in(op):
    attrs = user_attrs()
    r = users_post(op, attrs)
    a = check_user_document(r, 201, username=attrs["username"], status="active")
    assert a["firstName"] == attrs["firstName"] and a["lastName"] == attrs["lastName"]
    assert a["createdAt"] == a["updatedAt"]
    assert attrs["password"] not in r.raw.decode("utf-8")
    g = get_user(op, r.data["id"])
    assert g.json == r.json
    access, _ = sign_in(attrs["username"], attrs["password"])
    assert users_list(access).status == 200


@pytest.mark.parametrize("status", ["active", "blocked"])
def test_create_with_explicit_status(op, status, login_failures_cleared):
    attrs = user_attrs(status=status)
    check_user_document(users_post(op, attrs), 201, status=status)
    if status == "active":
        assert_oauth_tokens(password_grant(attrs["username"], attrs["password"]))
    else:
        refused_sign_in(attrs["username"], attrs["password"])


def test_unknown_attributes_are_ignored(op):
    attrs = user_attrs(role="superuser", id="x")
    a = check_user_document(users_post(op, attrs), 201)
    assert set(a) == {"username", "firstName", "lastName", "status", "locale",
                      "createdAt", "updatedAt"}


def test_duplicate_username_is_416(op):
    u = new_user(op)
    for name in (u.username, u.username.upper(), ADMIN_NAME):
        with untouched(u.username, ADMIN_NAME):
            assert_user_exists(users_post(op, user_attrs(username=name)))


@pytest.mark.parametrize("field,value", [
    ("username", "not-an-email"),
    ("username", "a@b"),
    ("username", "two@@example.com"),
    ("username", "with space@example.com"),
    ("username", "crlf@example.com\r\nBcc: x@example.com"),
    ("username", "x" * 250 + "@example.com"),
    ("username", ""),
    ("password", "short"),
    ("password", "x" * 129),
    ("password", ""),
    ("firstName", ""),
    ("firstName", "x" * 101),
    ("firstName", "line\nbreak"),
    ("lastName", ""),
    ("lastName", "tab\there"),
    ("status", "disabled"),
    ("status", "Active"),
    ("status", ""),
])
def test_invalid_values_are_422_901(op, field, value):
    with untouched(ADMIN_NAME):
        assert_validation(users_post(op, user_attrs(**{field: value})), field)


@pytest.mark.parametrize("field", ["username", "password", "firstName", "lastName"])
def test_missing_required_value_is_422_901(op, field):
    attrs = user_attrs()
    del attrs[field]
    with untouched(ADMIN_NAME):
        assert_validation(users_post(op, attrs), field)


def test_null_counts_as_missing(op):
    with untouched(ADMIN_NAME):
        assert_validation(users_post(op, user_attrs(username=None)
                                     | {"username": None}), "username")


@pytest.mark.parametrize("field,value", [
    ("username", 5), ("password", True), ("firstName", ["Ute"]),
    ("lastName", {"x": 1}), ("status", 1),
])
def test_wrong_json_type_is_400_101(op, field, value):
    attrs = user_attrs()
    attrs[field] = value
    with untouched(ADMIN_NAME):
        assert_member(users_post(op, attrs), "/data/attributes/" + field)


@pytest.mark.parametrize("payload,pointer", [
    ({}, "/data"),
    ({"data": {"type": "users"}}, "/data/attributes"),
    ({"data": {"type": ["users"], "attributes": {}}}, "/data/type"),
])
def test_missing_or_mistyped_members_are_400_101(op, payload, pointer):
    with untouched(ADMIN_NAME):
        assert_member(api("POST", BE + "/users", payload, token=op), pointer)


def test_fields_are_checked_in_order(op):
    with untouched(ADMIN_NAME):
        r = users_post(op, {"username": "bad", "password": "short", "firstName": ""})
        assert_validation(r, "username")
    with untouched(ADMIN_NAME):
        r = users_post(op, {"username": unique_username(), "password": "short"})
        assert_validation(r, "password")


def test_wrong_resource_type_is_409(op):
    with untouched(ADMIN_NAME):
        r = api("POST", BE + "/users", doc("customers", user_attrs()), token=op)
        assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                     pointer="/data/type")


# --------------------------------------------------------------------------
# Update


def test_patch_names_and_username(op, clock):
    u = new_user(op)
    before = get_user(op, u.uuid).data["attributes"]
    clock(5)
    new_name = unique_username("renamed")
    r = user_patch(op, u.uuid, {"firstName": "Uwe", "lastName": "Neu",
                                "username": new_name})
    a = check_user_document(r, 200, username=new_name)
    assert (a["firstName"], a["lastName"]) == ("Uwe", "Neu")
    assert a["createdAt"] == before["createdAt"]
    assert a["updatedAt"] > before["updatedAt"]
    assert get_user(op, u.uuid).json == r.json
    sign_in(new_name, u.password)


def test_patch_with_no_known_attribute_changes_nothing_but_updated_at(op):
    u = new_user(op)
    r = user_patch(op, u.uuid, {"colour": "blue"})
    a = check_user_document(r, 200, username=u.username, status="active")
    assert a["firstName"] == "Ute"


def test_patch_to_an_existing_username_is_416(op, clock):
    u, v = new_user(op), new_user(op)
    clock(100)      # a write in the same second as the creation could not be seen
    with untouched(u.username, v.username):
        assert_user_exists(user_patch(op, u.uuid, {"username": v.username,
                                                   "firstName": "Dup"}))
    assert get_user(op, u.uuid).data["attributes"]["username"] == u.username


def test_patch_to_own_username_is_fine(op):
    u = new_user(op)
    check_user_document(user_patch(op, u.uuid, {"username": u.username}), 200,
                        username=u.username)


@pytest.mark.parametrize("field,value", [
    ("username", "nope"), ("password", "short"), ("firstName", ""),
    ("lastName", "x" * 101), ("status", "deleted"),
])
def test_patch_invalid_values_are_422_901(op, field, value, clock):
    u = new_user(op).signed_in()
    clock(100)
    with untouched(u.username):
        assert_validation(user_patch(op, u.uuid, {"lastName": "Changed",
                                                  field: value}), field)


@pytest.mark.parametrize("field,value", [
    ("username", 5), ("password", ["x"]), ("status", True),
])
def test_patch_wrong_json_type_is_400_101(op, field, value, clock):
    u = new_user(op).signed_in()
    clock(100)
    with untouched(u.username):
        assert_member(user_patch(op, u.uuid, {"lastName": "Changed", field: value}),
                      "/data/attributes/" + field)


def test_patch_without_body_is_400_101(op, clock):
    u = new_user(op)
    clock(100)      # the refused PATCH must not even touch updatedAt
    with untouched(u.username):
        r = api("PATCH", u.path, data=b"", token=op)
        assert_member(r, "/data")


def test_patch_password_is_write_only(op):
    u = new_user(op)
    r = user_patch(op, u.uuid, {"password": "n3w-Passw0rd!"})
    check_user_document(r, 200)
    assert "n3w-Passw0rd!" not in r.raw.decode("utf-8")


def test_setting_another_users_password_revokes_their_tokens(op, login_failures_cleared):
    u = new_user(op).signed_in()
    r = user_patch(op, u.uuid, {"password": "n3w-Passw0rd!"})
    check_user_document(r, 200)
    with untouched(u.username):
        assert_invalid_token(users_list(u.access))
        assert_refresh_refused(refresh_grant(u.refresh))
    refused_sign_in(u.username, u.password)
    sign_in(u.username, "n3w-Passw0rd!")
    assert users_list(op).status == 200     # the operator's own token is kept


def test_changing_own_password_keeps_the_calling_token_only(login_failures_cleared):
    u = new_user().signed_in()
    other_access, other_refresh = sign_in(u.username, u.password)
    r = user_patch(u.access, u.uuid, {"password": "n3w-Passw0rd!",
                                      "currentPassword": u.password})
    check_user_document(r, 200)
    assert users_list(u.access).status == 200
    with untouched(u.username):
        assert_invalid_token(users_list(other_access))
        assert_refresh_refused(refresh_grant(other_refresh))
        assert_refresh_refused(refresh_grant(u.refresh))
    refused_sign_in(u.username, u.password)
    sign_in(u.username, "n3w-Passw0rd!")


def test_blocking_stops_tokens_at_once_and_unblocking_restores_sign_in(
        op, login_failures_cleared):
    u = new_user(op).signed_in()
    assert users_list(u.access).status == 200
    r = user_patch(op, u.uuid, {"status": "blocked"})
    check_user_document(r, 200, status="blocked")
    with untouched(u.username):
        assert_invalid_token(users_list(u.access))
        assert_invalid_token(api("GET", BE + "/multi-factor-auth-types",
                                 token=u.access))
        assert_refresh_refused(refresh_grant(u.refresh))
    refused_sign_in(u.username, u.password)
    assert get_user(op, u.uuid).data["attributes"]["status"] == "blocked"
    r = user_patch(op, u.uuid, {"status": "active"})
    check_user_document(r, 200, status="active")
    access, _ = sign_in(u.username, u.password)
    assert users_list(access).status == 200
    # The block revoked the old tokens for good.
    with untouched(u.username):
        assert_invalid_token(users_list(u.access))


def test_blocking_yourself_is_403_415(clock):
    u = new_user().signed_in()
    clock(100)
    with untouched(u.username):
        assert_self_action(user_patch(u.access, u.uuid, {"status": "blocked"}))
    with untouched(u.username):
        assert_self_action(user_patch(u.access, u.uuid, {"status": "blocked",
                                                         "firstName": "Nope"}))
    a = get_user(u.access, u.uuid).data["attributes"]
    assert a["status"] == "active" and a["firstName"] == "Ute"
    assert users_list(u.access).status == 200


def test_setting_yourself_active_or_renaming_yourself_is_allowed():
    u = new_user().signed_in()
    r = user_patch(u.access, u.uuid, {"status": "active", "firstName": "Selbst"})
    a = check_user_document(r, 200, status="active")
    assert a["firstName"] == "Selbst"


# --------------------------------------------------------------------------
# Delete


def test_delete_user(op, login_failures_cleared):
    u = new_user(op).signed_in()
    r = delete_user(op, u.uuid)
    assert r.status == 204 and r.raw == b"", r.describe()
    with untouched(ADMIN_NAME):
        assert_user_not_found(get_user(op, u.uuid))
        assert_user_not_found(delete_user(op, u.uuid))
        assert_invalid_token(users_list(u.access))
        assert_refresh_refused(refresh_grant(u.refresh))
    with unchanged(side="backend", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_invalid_grant(password_grant(u.username, u.password))
    names = [i["attributes"]["username"] for i in all_users(op)]
    assert u.username not in names and ADMIN_NAME in names
    # The username is free again.
    check_user_document(users_post(op, user_attrs(username=u.username)), 201)


def test_deleting_yourself_is_403_415():
    u = new_user().signed_in()
    with untouched(u.username):
        assert_self_action(delete_user(u.access, u.uuid))
    assert get_user(u.access, u.uuid).status == 200


# --------------------------------------------------------------------------
# Authentication on every route


def _routes(u):
    return [
        ("GET", BE + "/users", None),
        ("POST", BE + "/users", doc("users", user_attrs())),
        ("GET", u.path, None),
        ("PATCH", u.path, doc("users", {"firstName": "X"})),
        ("DELETE", u.path, None),
    ]


def test_no_token_is_403_002():
    u = new_user()
    for method, path, body in _routes(u):
        with untouched(u.username):
            assert_missing_token(api(method, path, body))


@pytest.mark.parametrize("auth", [
    "Bearer " + "x" * 43, "Bearer short", "Bearer " + "x" * 44,
    "Basic YWRtaW46Y2hhbmdlMTIz", "Token abc", "Bearer",
])
def test_bad_token_is_401_001(auth):
    u = new_user()
    for method, path, body in _routes(u):
        with untouched(u.username):
            assert_invalid_token(api(method, path, body,
                                     headers={"Authorization": auth}))
    # Nothing changed.
    r = get_user(admin_token(), u.uuid)
    assert r.status == 200 and r.data["attributes"]["firstName"] == "Ute"


def test_bearer_scheme_is_case_insensitive(op):
    r = api("GET", BE + "/users", headers={"Authorization": "bearer " + op})
    assert r.status == 200, r.describe()


def test_a_revoked_token_is_401_even_for_routes_that_would_404(op):
    u = new_user(op).signed_in()
    check_user_document(user_patch(op, u.uuid, {"status": "blocked"}), 200,
                        status="blocked")
    with untouched(u.username):
        assert_invalid_token(get_user(u.access, str(uuid.uuid4())))
    with untouched(u.username):
        assert_invalid_token(user_patch(u.access, u.uuid, {"status": "active"}))


def test_users_created_by_a_user_are_usable_at_once():
    u = new_user().signed_in()
    v = new_user(u.access)
    assert UUID_RE.match(v.uuid)
    v.signed_in()
    assert users_list(v.access).status == 200
    assert v.password == USER_PASSWORD
