"""MFA for back-office users where the Backend differs from the Storefront:
its protected resources (every write on users) and codes that never cross
sides. The five resources and the code rules run for users as the `backend`
parameter of tests/e2e/test_mfa_*.py."""

from conftest import api
from mfa_helpers import (ACTIVATED, BACKEND, CODE_HEADER, STOREFRONT, TYPES,
                         assert_5900, assert_5901, enable_mfa, fresh_code,
                         patch_account)
from backend_helpers import (BE, check_user_document, new_user, sign_in,
                             user_attrs, user_patch, users_post)


def test_every_write_on_users_is_protected_reads_are_not():
    user = BACKEND.new_account()
    other = new_user()
    enable_mfa(user)
    assert_5900(users_post(user.access, user_attrs()))
    assert_5900(user_patch(user.access, other.uuid, {"firstName": "X"}))
    assert_5900(api("DELETE", other.path, token=user.access))
    assert_5900(user_patch(user.access, user.id, {"firstName": "X"}))
    assert api("GET", BE + "/users", token=user.access).status == 200
    assert api("GET", other.path, token=user.access).status == 200
    g = api("GET", other.path, token=user.access)
    assert g.data["attributes"]["firstName"] == "Ute", g.describe()
    # MFA resources themselves are not in the list.
    r = api("GET", BE + "/" + TYPES, token=user.access)
    assert r.status == 200 and r.data[0]["attributes"]["status"] == ACTIVATED
    # With a code: the user is created and can sign in.
    attrs = user_attrs()
    r = users_post(user.access, attrs, headers={CODE_HEADER: fresh_code(user)})
    check_user_document(r, 201, username=attrs["username"])
    sign_in(attrs["username"], attrs["password"])


def test_a_customers_code_is_invalid_for_a_user_with_the_same_address():
    c = STOREFRONT.new_account()
    u = new_user(username=c.mail).signed_in()
    enable_mfa(BACKEND.account(u.username, u.access))
    enable_mfa(c)
    customer_code = fresh_code(c)
    assert_5901(users_post(u.access, user_attrs(), headers={CODE_HEADER: customer_code}))
    # The customer's code is still good on its own side.
    r = patch_account(c, customer_code, first_name="Ok")
    assert r.status == 200, r.describe()
