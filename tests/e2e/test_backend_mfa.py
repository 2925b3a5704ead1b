"""MFA for back-office users (SPEC §4 under /backend/): the five resources,
the protected resources of the Backend (users,
customer-multi-factor-auth-type-deactivate) and their X-MFA-Code checks."""

import re

import pytest

from conftest import BASE, api, assert_error, doc, new_customer
from backend_helpers import (ACTIVATE, BE, CODE_HEADER, CODE_SUBJECT, DEACTIVATE,
                             D_5912, SUBJECT_OFF, SUBJECT_ON, TRIGGER, TYPES,
                             VERIFY, activation_code, assert_204, assert_5900,
                             assert_5901, assert_5902, assert_5904, assert_5906,
                             assert_notification, audit_rows, check_user_document,
                             code_since, enable_mfa, fresh_code, html_of, mail_mark,
                             mails_since, max_audit_id, mfa_post, mfa_status,
                             new_user, one_mail_since, sign_in, text_of, user_attrs,
                             user_id, user_patch, users_post, wrong)

PENDING, ACTIVATED, DEACTIVATED = "activation is pending", "activated", "deactivated"


@pytest.fixture
def user():
    """A fresh signed-in user with no MFA."""
    return new_user().signed_in()


def type_item(status):
    return {"type": TYPES, "id": "email",
            "attributes": {"type": "email", "status": status},
            "links": {"self": BASE + BE + "/" + TYPES + "/email"}}


# --------------------------------------------------------------------------
# multi-factor-auth-types


def test_types_of_a_fresh_user(user):
    r = api("GET", BE + "/" + TYPES, token=user.access)
    assert r.status == 200, r.describe()
    assert r.json == {"data": [type_item(DEACTIVATED)],
                      "links": {"self": BASE + BE + "/" + TYPES}}, r.describe()
    r = api("GET", BE + "/" + TYPES + "/email", token=user.access)
    assert r.status == 200 and r.json == {"data": type_item(DEACTIVATED)}, r.describe()


def test_type_not_offered_is_404(user):
    r = api("GET", BE + "/" + TYPES + "/sms", token=user.access)
    assert_error(r, 404, "103", "Resource not found.")


# --------------------------------------------------------------------------
# The whole flow


def test_backend_mfa_flow(user):
    """activate -> code from mail -> verify -> protected POST /backend/users
    needs the header -> trigger -> with the code 201 -> deactivate."""
    # activate: a code goes to the user's username.
    mark = mail_mark()
    assert_204(mfa_post(ACTIVATE, user.access))
    assert mfa_status(user.access) == PENDING
    code = code_since(user.username, mark)
    msg = one_mail_since(user.username, mark, CODE_SUBJECT)
    assert "proceed with your request" in text_of(msg)
    assert "ignore" in text_of(msg).lower()
    assert code in html_of(msg)

    # Pending is not active: protected writes still pass without a header.
    assert users_post(user.access, user_attrs()).status == 201

    # verify (without the header: test_verify_and_deactivate_need_the_header)
    assert_5901(mfa_post(VERIFY, user.access, code=wrong(code)))
    mark = mail_mark()
    assert_204(mfa_post(VERIFY, user.access, code=code))
    assert mfa_status(user.access) == ACTIVATED
    on = one_mail_since(user.username, mark, SUBJECT_ON)
    assert_notification(on)
    assert code not in text_of(on) and code not in html_of(on)

    # Protected: POST /backend/users needs the header; GET does not.
    assert_5900(users_post(user.access, user_attrs()))
    assert_5900(users_post(user.access, user_attrs(), headers={CODE_HEADER: ""}))
    assert_5901(users_post(user.access, user_attrs(), headers={CODE_HEADER: "abc"}))
    assert api("GET", BE + "/users", token=user.access).status == 200

    # trigger -> a fresh code -> 201.
    code2 = fresh_code(user.access, user.username)
    attrs = user_attrs()
    r = users_post(user.access, attrs, headers={CODE_HEADER: code2})
    check_user_document(r, 201, username=attrs["username"])
    sign_in(attrs["username"], attrs["password"])

    # deactivate: a code of the method is needed.
    code3 = fresh_code(user.access, user.username)
    mark = mail_mark()
    assert_204(mfa_post(DEACTIVATE, user.access, code=code3))
    assert mfa_status(user.access) == DEACTIVATED
    assert_notification(one_mail_since(user.username, mark, SUBJECT_OFF))

    # Off again: no header needed.
    assert users_post(user.access, user_attrs()).status == 201


def test_every_write_on_users_is_protected_reads_are_not(user):
    other = new_user()
    enable_mfa(user.access, user.username)
    assert_5900(users_post(user.access, user_attrs()))
    assert_5900(user_patch(user.access, other.uuid, {"firstName": "X"}))
    assert_5900(api("DELETE", other.path, token=user.access))
    assert_5900(user_patch(user.access, user.uuid, {"firstName": "X"}))
    assert api("GET", BE + "/users", token=user.access).status == 200
    assert api("GET", other.path, token=user.access).status == 200
    assert api("GET", other.path, token=user.access).data["attributes"]["firstName"] == "Ute"
    # MFA resources themselves are not in the list.
    r = api("GET", BE + "/" + TYPES, token=user.access)
    assert r.status == 200 and r.data[0]["attributes"]["status"] == ACTIVATED


def test_a_code_passes_again_for_the_same_token_only(user):
    enable_mfa(user.access, user.username)
    second, _ = sign_in(user.username, user.password)
    code = fresh_code(user.access, user.username)
    a = users_post(user.access, user_attrs(), headers={CODE_HEADER: code})
    assert a.status == 201, a.describe()
    # Within the grace window the same token may repeat the header ...
    b = users_post(user.access, user_attrs(), headers={CODE_HEADER: code})
    assert b.status == 201, b.describe()
    # ... another token of the same user may not.
    assert_5901(users_post(second, user_attrs(), headers={CODE_HEADER: code}))


def test_wrong_code_is_5901_and_does_not_create(user):
    enable_mfa(user.access, user.username)
    code = fresh_code(user.access, user.username)
    attrs = user_attrs()
    assert_5901(users_post(user.access, attrs, headers={CODE_HEADER: wrong(code)}))
    names = [i["attributes"]["username"] for i in
             api("GET", BE + "/users", token=user.access).data]
    assert attrs["username"] not in names
    # The right code still works (one wrong try does not block it).
    assert users_post(user.access, attrs, headers={CODE_HEADER: code}).status == 201


def test_another_users_code_is_invalid(user):
    enable_mfa(user.access, user.username)
    other = new_user().signed_in()
    enable_mfa(other.access, other.username)
    other_code = fresh_code(other.access, other.username)
    assert_5901(users_post(user.access, user_attrs(),
                           headers={CODE_HEADER: other_code}))


def test_a_customers_code_is_invalid_for_a_user_with_the_same_address():
    c = new_customer().signed_in()
    u = new_user(username=c.email).signed_in()
    enable_mfa(u.access, u.username)
    enable_mfa(c.access, c.email, prefix="")
    customer_code = fresh_code(c.access, c.email, prefix="")
    assert_5901(users_post(u.access, user_attrs(), headers={CODE_HEADER: customer_code}))
    # The customer's code is still good on its own side.
    r = api("PATCH", c.path, doc("customers", {"firstName": "Ok"}), token=c.access,
            headers={CODE_HEADER: customer_code})
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# The checks of SPEC §4.2 on the Backend


def test_activate_errors(user):
    assert_5902(mfa_post(ACTIVATE, user.access, type_=None))
    assert_5902(mfa_post(ACTIVATE, user.access, type_=""))
    assert_5906(mfa_post(ACTIVATE, user.access, type_="sms"))
    assert_error(mfa_post(ACTIVATE, user.access, attrs={"type": 5}), 400, "101",
                 "Invalid or missing member.", pointer="/data/attributes/type")
    enable_mfa(user.access, user.username)
    assert_5904(mfa_post(ACTIVATE, user.access))


def test_verify_and_deactivate_need_the_header(user):
    """5900 comes first (SPEC §4.2), whatever the state; several times, as a
    crash here depends on what the process did before."""
    for _ in range(3):
        assert_5900(mfa_post(VERIFY, user.access))
        assert_5900(mfa_post(DEACTIVATE, user.access))
        assert_5900(mfa_post(VERIFY, user.access, type_=None))
        assert_5900(mfa_post(DEACTIVATE, user.access, type_="sms"))
    enable_mfa(user.access, user.username)
    assert_5900(mfa_post(VERIFY, user.access))
    assert_5900(mfa_post(DEACTIVATE, user.access))
    assert_5900(mfa_post(DEACTIVATE, user.access, code=""))


def test_verify_errors(user):
    assert_5902(mfa_post(VERIFY, user.access, type_=None, code="123456"))
    assert_5906(mfa_post(VERIFY, user.access, type_="sms", code="123456"))
    assert_5906(mfa_post(VERIFY, user.access, code="123456"))     # not pending
    enable_mfa(user.access, user.username)
    assert_5904(mfa_post(VERIFY, user.access, code="123456"))


def test_trigger_errors(user):
    assert_5902(mfa_post(TRIGGER, user.access, type_=None))
    assert_5906(mfa_post(TRIGGER, user.access, type_="sms"))
    assert_5906(mfa_post(TRIGGER, user.access))                    # not active
    activation_code(user.access, user.username)
    assert_5906(mfa_post(TRIGGER, user.access))                    # pending


def test_deactivate_errors(user):
    assert_5902(mfa_post(DEACTIVATE, user.access, type_=None, code="123456"))
    assert_5906(mfa_post(DEACTIVATE, user.access, type_="sms", code="123456"))
    assert_5906(mfa_post(DEACTIVATE, user.access, code="123456"))  # not active
    enable_mfa(user.access, user.username)
    code = fresh_code(user.access, user.username)
    assert_5901(mfa_post(DEACTIVATE, user.access, code=wrong(code)))
    assert mfa_status(user.access) == ACTIVATED


def test_resend_cooldown_on_the_backend(user):
    enable_mfa(user.access, user.username)
    fresh_code(user.access, user.username)
    mark = mail_mark()
    r = mfa_post(TRIGGER, user.access)
    assert_error(r, 429, "5912", D_5912)
    ra = r.headers.get("Retry-After")
    assert ra is not None and re.match(r"^[0-9]+$", ra) and 1 <= int(ra) <= 60, \
        r.describe()
    assert not [m for m in mails_since(user.username, mark)
                if str(m["Subject"]) == CODE_SUBJECT]


def test_backend_mfa_decisions_are_audited_on_side_1(user, db):
    uid = user_id(user.username)
    mark = max_audit_id()
    enable_mfa(user.access, user.username)
    assert_5900(users_post(user.access, user_attrs()))
    rows = audit_rows("id > %d AND account_id = %d AND side = 1" % (mark, uid))
    assert [(x["action"], x["method"], x["result"], x["error_code"]) for x in rows] == [
        ("activate", "email", "success", None),
        ("verify", "email", "success", None),
        ("protected", None, "failure", "5900"),
    ], rows
    for x in rows:
        assert x["actor_id"] is None and x["client_address"] == "127.0.0.1", x
