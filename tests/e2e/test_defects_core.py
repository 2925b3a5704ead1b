"""Defects of the core found by trying it as a new user (issue 9), each
asserted by its effects: a refused request must not act.

1. A wrong `data.type` is answered 409 and the request stops there: no code
   mailed, no method changed, no code consumed, nothing audited as success.
2. Authorization comes before the MFA guard: a protected write to another
   customer's resource is 403 411 and leaves the caller's code unconsumed;
   a protected write the handler refuses (422) leaves it unconsumed too.
3. The grace windows kept per token are bounded (MAX_GRACE_WINDOWS, the
   oldest dropped): however many codes one token uses, its MFA requests
   answer normally (no 500 111), the newest windows still pass, the oldest
   dropped one is an invalid (and counted) code.
4. An activation refused by the sending limits (5912) does not set the
   method pending (it did, before the limits were checked).
"""

import pytest

from conftest import (D_TYPE, api, assert_error, assert_unauthorized,
                      assert_validation, doc, new_customer)
from effects import (NO_SUCCESS, db_id, login_failure_counted, unchanged_for,
                     wrong_code)
from mfa_helpers import (ACTIVATE, ACTIVATED, BACKEND, CODE_LIVE, DAILY_SEND_CAP,
                         DEACTIVATE, DEACTIVATED, PENDING, STOREFRONT, TRIGGER,
                         VERIFY, activate, activation_code, assert_204,
                         assert_5901, assert_5912, code_headers,
                         code_rows, deactivate, fresh_code, mfa_account, mfa_body,
                         patch_account, status_of, verify, wrong)
from mfa_helpers import side  # noqa: F401 (fixture)

# Named in src/ (the engine's bound on a token's grace windows).
MAX_GRACE_WINDOWS = 16


def assert_409(r):
    assert_error(r, 409, "102", D_TYPE, pointer="/data/type")


def post_typed(c, resource, data_type, code=None, token=None):
    """POST an MFA resource with the body of another resource type."""
    body = mfa_body(resource)
    body["data"]["type"] = data_type
    return api("POST", c.side.path(resource), body, token=token or c.access,
               headers=code_headers(code))


# --------------------------------------------------------------------------
# 1. Wrong data.type: 409, and nothing happens


def test_activate_with_trigger_type_is_409_and_does_nothing(side):
    c = side.new_account()
    with unchanged_for(c):
        assert_409(post_typed(c, ACTIVATE, TRIGGER))
    assert status_of(c) == DEACTIVATED
    # The next correct activate is not held back by a code sent before.
    activation_code(c)
    assert status_of(c) == PENDING


def test_verify_with_wrong_type_is_409_and_keeps_the_code(side):
    c = side.new_account()
    code = activation_code(c)
    with unchanged_for(c):
        assert_409(post_typed(c, VERIFY, ACTIVATE, code=code))
    assert status_of(c) == PENDING
    assert_204(verify(c, code))
    assert status_of(c) == ACTIVATED


def test_trigger_with_wrong_type_is_409_and_sends_nothing(side):
    c = mfa_account(side)
    with unchanged_for(c):
        assert_409(post_typed(c, TRIGGER, DEACTIVATE))
    fresh_code(c)


def test_deactivate_with_wrong_type_is_409_and_keeps_mfa(side):
    c = mfa_account(side)
    code = fresh_code(c)
    with unchanged_for(c):
        assert_409(post_typed(c, DEACTIVATE, VERIFY, code=code))
    assert status_of(c) == ACTIVATED
    assert_204(deactivate(c, code))
    assert status_of(c) == DEACTIVATED


def test_protected_write_with_wrong_type_keeps_the_code(side):
    c = mfa_account(side)
    # A second sign-in, before the code: a sign-in ends unused codes.
    other = c.login()[0]
    code = fresh_code(c)
    with unchanged_for(c):
        r = api("PATCH", c.path, doc(TRIGGER, {"firstName": "Typed"}),
                token=c.access, headers=code_headers(code))
        assert_409(r)
    # Another sign-in of the account: it cannot pass by a grace window, so
    # this shows the code is still live.
    r = patch_account(c, code=code, token=other, first_name="Proper")
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# 2. Authorization before the MFA guard; the guard's consumption only with
#    the handler's success


def test_other_customers_resource_with_own_code_is_411_code_kept():
    c = mfa_account(STOREFRONT)
    victim = new_customer()
    # A second sign-in, before the code: a sign-in ends unused codes.
    other = c.login()[0]
    code = fresh_code(c)
    with unchanged_for(c):
        r = api("PATCH", victim.path, doc("customers", {"firstName": "Taken"}),
                token=c.access, headers=code_headers(code))
        assert_unauthorized(r)
    assert code_rows(c).count((CODE_LIVE, 0)) == 1
    # Still live: a second sign-in (no grace window) uses it on its own
    # resource.
    r = patch_account(c, code=code, token=other, first_name="Mine")
    assert r.status == 200, r.describe()


def test_other_customers_addresses_with_own_code_is_411_code_kept():
    c = mfa_account(STOREFRONT)
    victim = new_customer()
    # A second sign-in, before the code: a sign-in ends unused codes.
    other = c.login()[0]
    code = fresh_code(c)
    with unchanged_for(c):
        r = api("GET", victim.path + "/addresses", token=c.access,
                headers=code_headers(code))
        assert_unauthorized(r)
        r = api("POST", victim.path + "/addresses",
                doc("addresses", {"firstName": "A", "lastName": "B",
                                  "address1": "C 1", "zipCode": "10115",
                                  "city": "Berlin", "iso2Code": "DE"}),
                token=c.access, headers=code_headers(code))
        assert_unauthorized(r)
    assert patch_account(c, code=code, token=other).status == 200


def test_handler_refusal_leaves_the_code_unconsumed():
    c = mfa_account(STOREFRONT)
    # A second sign-in, before the code: a sign-in ends unused codes.
    other = c.login()[0]
    code = fresh_code(c)
    with unchanged_for(c, audit=NO_SUCCESS):
        r = api("PATCH", c.path, doc("customers", {"email": "not-an-email"}),
                token=c.access, headers=code_headers(code))
        assert_validation(r, "email")
    assert code_rows(c).count((CODE_LIVE, 0)) == 1
    assert patch_account(c, code=code, token=other).status == 200


def test_backend_handler_refusal_leaves_the_code_unconsumed():
    c = mfa_account(BACKEND)
    # A second sign-in, before the code: a sign-in ends unused codes.
    other = c.login()[0]
    code = fresh_code(c)
    with unchanged_for(c, audit=NO_SUCCESS):
        r = api("PATCH", c.path, doc("users", {"firstName": ""}),
                token=c.access, headers=code_headers(code))
        assert_validation(r, "firstName")
    assert code_rows(c).count((CODE_LIVE, 0)) == 1
    assert patch_account(c, code=code, token=other).status == 200


# --------------------------------------------------------------------------
# 3. Grace windows bounded per token


def test_grace_windows_are_bounded_oldest_dropped(side):
    """One token uses 17 triggered codes (and the activation code) within
    grace_period: a used code lets the next trigger through at once (contract
    §5.3), 18 codes stay within daily_send_cap. Every answer is normal;
    the newest MAX_GRACE_WINDOWS pass by grace; the next older one is an
    invalid code, counted."""
    c = mfa_account(side)           # the activation code: window 0
    codes = []
    for i in range(MAX_GRACE_WINDOWS + 1):
        code = fresh_code(c)
        r = patch_account(c, code=code, first_name="Use%d" % i)
        assert r.status == 200, "code %d: %s" % (i + 1, r.describe())
        codes.append(code)
    # Every MFA-level request of the token answers normally.
    r = api("GET", c.side.path("multi-factor-auth-types"), token=c.access)
    assert r.status == 200, r.describe()
    for k, code in enumerate(reversed(codes[1:])):
        r = patch_account(c, code=code, first_name="Grace%d" % k)
        assert r.status == 200, "grace code %d back: %s" % (k + 1, r.describe())
    oldest = codes[0]
    assert oldest not in codes[1:], "a repeated code value; run again"
    with unchanged_for(c, audit=[("protected", "failure", "5901")],
                       changes=wrong_code(side, db_id(c), type_=None)):
        assert_5901(patch_account(c, code=oldest, first_name="Dropped"))


def test_grace_windows_of_a_token_within_grace_period(side):
    """The boundary: exactly MAX_GRACE_WINDOWS codes used by one token (the
    activation code was used by another) all pass by grace."""
    c = side.new_account()
    # Activation and verify with a second token: no window for c.access.
    t2 = c.login()[0]
    code = activation_code(c, token=t2)
    assert_204(verify(c, code, token=t2))
    codes = []
    for i in range(MAX_GRACE_WINDOWS):
        code = fresh_code(c)
        assert patch_account(c, code=code).status == 200
        codes.append(code)
    for k, code in enumerate(reversed(codes)):
        r = patch_account(c, code=code, first_name="Grace%d" % k)
        assert r.status == 200, "grace code %d back: %s" % (k + 1, r.describe())


# --------------------------------------------------------------------------
# 4. A refused activation (5912) leaves the method as it was


def test_activation_refused_by_the_daily_cap_leaves_the_method_off(side):
    """daily_send_cap codes sent (activation, triggers, the last one used to
    switch MFA off), then activate: 429 5912, and the method is still
    deactivated, nothing stored, nothing sent (contract §5.3). Each code is used
    by a token of its own, so no token holds many grace windows."""
    c = mfa_account(side)                       # code 1
    for i in range(DAILY_SEND_CAP - 2):         # codes 2 .. cap-1
        t = c.login()[0]
        code = fresh_code(c, token=t)
        r = patch_account(c, code=code, token=t, first_name="N%d" % i)
        assert r.status == 200, r.describe()
    t = c.login()[0]
    assert_204(deactivate(c, fresh_code(c, token=t), token=t))   # code cap
    assert status_of(c) == DEACTIVATED
    with unchanged_for(c, audit=[("activate", "failure", "5912")]):
        assert_5912(activate(c), lo=86400 - 600, hi=86400)
    assert status_of(c) == DEACTIVATED


def test_wrong_current_password_behind_the_guard_is_counted_and_spends_no_code():
    """A protected password change with a valid code and a wrong current
    password: 400 408; the refusal counts (a password check, contract
    §3.6) and is audited, while the code the guard accepted stays unspent
    (the request's unit of work ends unused, contract §2.1)."""
    c = mfa_account(STOREFRONT)
    other = c.login()[0]
    code = fresh_code(c)
    ref = c.path.rsplit("/", 1)[1]
    with unchanged_for(c, audit=[("password_check", "failure", "408")],
                       changes=login_failure_counted()):
        r = api("PATCH", "/customer-password/" + ref,
                doc("customer-password", {"password": "wrong-" + c.password,
                                          "newPassword": "n3w-Passw0rd!x",
                                          "confirmPassword": "n3w-Passw0rd!x"}),
                token=c.access, headers=code_headers(code))
        assert_error(r, 400, "408", "Invalid password.",
                     pointer="/data/attributes/password")
    assert code_rows(c).count((CODE_LIVE, 0)) == 1
    assert patch_account(c, code=code, token=other).status == 200


@pytest.mark.parametrize("header", [None, "wrong"])
def test_a_password_change_the_guard_refuses_leaves_the_counts_as_they_were(header):
    """The current password is counted before the guard (contract §3.6); a
    request the guard refuses (no code: 5900; a wrong one: 5901, which counts
    as a wrong code) gives that count back: login_failures unchanged, one
    audit row of the refusal, the live code still live."""
    c = mfa_account(STOREFRONT)
    code = fresh_code(c)
    ref = c.path.rsplit("/", 1)[1]
    sent = code_headers(wrong(code)) if header else {}
    with unchanged_for(c, audit=[("protected", "failure",
                                  "5901" if header else "5900")],
                       changes=wrong_code("storefront", db_id(c), type_=None)
                       if header else None):
        r = api("PATCH", "/customer-password/" + ref,
                doc("customer-password", {"password": "wrong-" + c.password,
                                          "newPassword": "n3w-Passw0rd!x",
                                          "confirmPassword": "n3w-Passw0rd!x"}),
                token=c.access, headers=sent)
        assert r.status == 403, r.describe()
        assert r.json["errors"][0]["code"] == ("5901" if header else "5900")
    assert code_rows(c).count((CODE_LIVE, 1 if header else 0)) == 1
