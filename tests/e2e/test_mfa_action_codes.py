"""Codes bound to an action (contract §10.8), both sides: POST
/multi-factor-auth-trigger with attributes.action {method, resourceType, id}
mails a code that says what it allows, stores the action with the code
(migration 015), passes the MFA guard only for that request and is refused
5901 for any other (counted as a wrong code: the code stays live, one attempt
nearer its block); it opens no grace window. A trigger without it works as
before."""

import pytest

from conftest import address_attrs, api, assert_error, db_query, doc
from mfa_helpers import (ACTIVATED, BACKEND, CODE_SUBJECT, STOREFRONT, TRIGGER,
                         account_id, assert_204, assert_5901, code_rows,
                         deactivate, lockout_row, mail_mark, mails_for, mfa_account,
                         mfa_post, new_code_since, patch_account, refused, status_of,
                         text_of, html_of)
from mfa_helpers import side  # noqa: F401 (fixture)

PHRASE = {
    ("PATCH", "customers"): "to change your account details",
    ("DELETE", "customers"): "to delete your account",
    ("PATCH", "customer-password"): "to change your password",
    ("POST", "addresses"): "to add an address",
    ("PATCH", "addresses"): "to change an address",
    ("DELETE", "addresses"): "to delete an address",
    ("POST", "users"): "to create a back-office user",
    ("PATCH", "users"): "to change a back-office user",
    ("DELETE", "users"): "to delete a back-office user",
    ("POST", "customer-multi-factor-auth-type-deactivate"):
        "to switch off a customer's multi-factor authentication",
}


def own_action(c, method="PATCH"):
    """The account's own resource as an action."""
    return {"method": method, "resourceType": c.side.account_type, "id": c.id}


def bound_trigger(c, action, **kw):
    attrs = {"type": "email"}
    if action is not Ellipsis:
        attrs["action"] = action
    return mfa_post(c, TRIGGER, attrs=attrs, **kw)


def bound_code(c, action):
    """trigger with the action -> 204 -> the mailed code (whose mail says
    what it allows)."""
    mark = mail_mark()
    assert_204(bound_trigger(c, action))
    code = new_code_since(c.mail, mark)
    msg = [m for m in mails_for(c.mail, mark) if str(m["Subject"]) == CODE_SUBJECT][0]
    phrase = PHRASE[(action["method"], action["resourceType"])]
    want = "Use this code only %s: it allows that request and nothing else." % phrase
    assert want in text_of(msg), text_of(msg)
    assert want.replace("'", "&#39;") in html_of(msg) or want in html_of(msg)
    return code


def stored_actions(c):
    return sorted((int(s), a, int(g)) for s, a, g in db_query(
        "SELECT state, COALESCE(action, '-'), grace_until FROM mfa_codes "
        "WHERE side = %d AND account_id = %d" % (c.side.num, account_id(c))))


def action_string(a):
    return " ".join(x for x in (a["method"], a["resourceType"], a.get("id")) if x)


# --------------------------------------------------------------------------
# The code passes its request only


def test_a_bound_code_passes_its_request_once(side):
    c = mfa_account(side)
    a = own_action(c)
    code = bound_code(c, a)
    assert stored_actions(c) == [(0, action_string(a), 0), (1, "-", stored_actions(c)[1][2])]
    r = patch_account(c, code)
    assert r.status == 200, r.describe()
    # Used, and no grace window: the same header again is a wrong code.
    assert (1, action_string(a), 0) in stored_actions(c)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, code, first_name="Again"))


def test_a_bound_code_is_refused_for_another_request(side):
    c = mfa_account(side)
    code = bound_code(c, own_action(c, "PATCH"))
    # Another protected request of the same account: 5901, counted as a wrong
    # code (the bound code one attempt nearer its block), nothing done.
    if side is STOREFRONT:
        other = lambda: api("POST", c.path + "/addresses", doc("addresses", address_attrs()),
                            token=c.access, headers={"X-MFA-Code": code})
    else:
        from backend_helpers import user_attrs
        other = lambda: api("POST", BACKEND.path("users"), doc("users", user_attrs()),
                            token=c.access, headers={"X-MFA-Code": code})
    with refused(c, "protected", "5901", counted=1):
        assert_5901(other())
    with refused(c, "protected", "5901", counted=1):        # another method
        assert_5901(api("DELETE", c.path, token=c.access, headers={"X-MFA-Code": code}))
    assert sorted(code_rows(c)) == [(0, 2), (1, 0)]
    assert lockout_row(c)[0] == 2
    # Still good for its own request.
    r = patch_account(c, code)
    assert r.status == 200, r.describe()
    assert lockout_row(c)[0] == 0


def test_a_bound_code_is_refused_for_another_id(side):
    c = mfa_account(side)
    if side is STOREFRONT:
        mk = lambda: api("POST", c.path + "/addresses", doc("addresses", address_attrs()),
                         token=c.access, headers={"X-MFA-Code": fresh(c)})
        ids = []
        for _ in range(2):
            r = mk()
            assert r.status == 201, r.describe()
            ids.append(r.data["id"])
        a = {"method": "PATCH", "resourceType": "addresses", "id": ids[0]}
        path = lambda i: c.path + "/addresses/" + i
        body = doc("addresses", {"city": "Elsewhere"})
    else:
        from backend_helpers import new_user
        ids = [new_user().uuid, new_user().uuid]
        a = {"method": "PATCH", "resourceType": "users", "id": ids[0]}
        path = lambda i: BACKEND.path("users/" + i)
        body = doc("users", {"lastName": "Elsewhere"})
    code = bound_code(c, a)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(api("PATCH", path(ids[1]), body, token=c.access,
                        headers={"X-MFA-Code": code}))
    r = api("PATCH", path(ids[0]), body, token=c.access, headers={"X-MFA-Code": code})
    assert r.status == 200, r.describe()


def fresh(c):
    """An unbound code (trigger without an action)."""
    mark = mail_mark()
    assert_204(bound_trigger(c, Ellipsis))
    return new_code_since(c.mail, mark)


def test_a_bound_code_does_not_switch_a_method_off(side):
    c = mfa_account(side)
    code = bound_code(c, own_action(c))
    with refused(c, "deactivate", "5901", counted=1):
        assert_5901(deactivate(c, code))
    assert status_of(c) == ACTIVATED


def test_without_action_the_code_is_for_any_request_with_grace(side):
    c = mfa_account(side)
    for action in (Ellipsis, None):
        mark = mail_mark()
        assert_204(bound_trigger(c, action))
        code = new_code_since(c.mail, mark)
        msg = mails_for(c.mail, mark)[0]
        assert "Use this code to proceed with your request." in text_of(msg)
        assert all(a == "-" for _s, a, _g in stored_actions(c))
        r = patch_account(c, code)
        assert r.status == 200, r.describe()
        r = patch_account(c, code, first_name="Again")       # the grace window
        assert r.status == 200, r.describe()


def test_each_action_of_the_side_can_be_bound(side, clock):
    """Every protected action of the side (contract §10.8's table), each with
    its phrase in the mail and its action stored with the code."""
    c = mfa_account(side)
    ids = {"customers": c.id, "customer-password": c.id, "users": c.id,
           "addresses": "00000000-0000-4000-8000-000000000000"}
    mine = [k for k in PHRASE if (k[1] in ("users",
            "customer-multi-factor-auth-type-deactivate")) == (side is BACKEND)]
    assert len(mine) == (6 if side is STOREFRONT else 4)
    for n, (method, type_) in enumerate(mine):
        clock(61 * n)                       # past the resend cool-down
        a = {"method": method, "resourceType": type_}
        if method != "POST":
            a["id"] = ids[type_]
        bound_code(c, a)
        live = [x for x in stored_actions(c) if x[0] == 0]
        assert live == [(0, action_string(a), 0)], live


# --------------------------------------------------------------------------
# Refused actions: nothing made, nothing sent


def assert_invalid(r, pointer):
    assert_error(r, 422, "901", "%s is invalid." % pointer.rsplit("/", 1)[1],
                 pointer=pointer)


P = "/data/attributes/action"


def bad_actions(c):
    other_side = "users" if c.side is STOREFRONT else "customers"
    return [
        ({}, P + "/method"),
        ({"method": None, "resourceType": c.side.account_type}, P + "/method"),
        ({"method": "PATCH"}, P + "/resourceType"),
        ({"method": "GET", "resourceType": c.side.account_type, "id": c.id},
         P + "/method"),
        ({"method": "patch", "resourceType": c.side.account_type, "id": c.id},
         P + "/method"),
        ({"method": "PATCH", "resourceType": "multi-factor-auth-types"}, P),
        ({"method": "POST", "resourceType": "multi-factor-auth-type-deactivate"}, P),
        ({"method": "PATCH", "resourceType": other_side, "id": c.id}, P),
        ({"method": "PUT", "resourceType": c.side.account_type, "id": c.id}, P),
        ({"method": "PATCH", "resourceType": c.side.account_type}, P + "/id"),
        ({"method": "PATCH", "resourceType": c.side.account_type, "id": ""}, P + "/id"),
        ({"method": "PATCH", "resourceType": c.side.account_type,
          "id": "DE--1" if c.side is STOREFRONT else c.id.upper()}, P + "/id"),
        ({"method": "POST", "resourceType": "addresses" if c.side is STOREFRONT
          else "users", "id": "x"}, P + "/id"),
    ]


def test_refused_actions_change_nothing(side):
    c = mfa_account(side)
    for action, pointer in bad_actions(c):
        with refused(c, "trigger", "901"):
            assert_invalid(bound_trigger(c, action), pointer)


@pytest.mark.parametrize("action,pointer", [
    ("PATCH customers", P), (["PATCH"], P), (1, P), (True, P),
    ({"method": 1, "resourceType": "customers"}, P + "/method"),
    ({"method": "PATCH", "resourceType": ["customers"]}, P + "/resourceType"),
    ({"method": "PATCH", "resourceType": "customers", "id": 12}, P + "/id"),
])
def test_malformed_actions_are_400_101(side, action, pointer):
    c = mfa_account(side)
    with refused(c):                        # malformed: not audited
        r = bound_trigger(c, action)
    assert_error(r, 400, "101", "Invalid or missing member.", pointer=pointer)
