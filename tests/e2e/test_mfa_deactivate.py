"""POST /multi-factor-auth-type-deactivate: the checks of SPEC §4.2 in order."""

import pytest

from conftest import assert_member, db_query
from mfa_helpers import (ACTIVATED, CODE_INVALIDATED, CODE_USED, DEACTIVATE,
                         DEACTIVATED, LOCKOUT_SECONDS, MAX_FAILURES, PENDING,
                         TYPE_POINTER, account_id, activation_code, assert_204,
                         assert_5900, assert_5901, assert_5902, assert_5906,
                         assert_5911, assert_notification, code_rows, deactivate,
                         enable_mfa, fresh_code, lockout_row, mail_mark, mails_for,
                         mfa_post, needs_db, patch_customer, status_of, stored_status,
                         verify, wrong)


# 1. header missing -> 5900

@pytest.mark.parametrize("attrs", [{"type": "email"}, {}, {"type": "sms"},
                                   {"type": False}],
                         ids=["email", "type-absent", "not-offered", "not-a-string"])
def test_1_header_missing_is_5900(customer, attrs):
    enable_mfa(customer)
    assert_5900(mfa_post(DEACTIVATE, customer.access, attrs=attrs))
    assert status_of(customer) == ACTIVATED


def test_1_empty_header_is_5900(customer):
    enable_mfa(customer)
    assert_5900(deactivate(customer, ""))
    assert status_of(customer) == ACTIVATED


# 2. type missing -> 5902

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
def test_2_type_missing_is_5902(customer, attrs):
    enable_mfa(customer)
    code = fresh_code(customer)
    assert_5902(mfa_post(DEACTIVATE, customer.access, code=code, attrs=attrs))
    assert status_of(customer) == ACTIVATED
    # The code was not consumed: it still switches the method off.
    assert_204(deactivate(customer, code))


def test_2_type_not_a_string_is_400_101(customer):
    enable_mfa(customer)
    code = fresh_code(customer)
    assert_member(mfa_post(DEACTIVATE, customer.access, code=code,
                           attrs={"type": {"x": 1}}), TYPE_POINTER)
    assert status_of(customer) == ACTIVATED


# 3. not offered -> 5906

def test_3_not_offered_is_5906(customer):
    enable_mfa(customer)
    code = fresh_code(customer)
    assert_5906(deactivate(customer, code, type_="sms"))
    assert status_of(customer) == ACTIVATED
    assert_204(deactivate(customer, code))


# 4. not active -> 5906 (no code check: no failure counted)

def test_4_never_activated_is_5906(customer):
    needs_db()
    assert_5906(deactivate(customer, "123456"))
    assert status_of(customer) == DEACTIVATED
    row = lockout_row(customer)
    assert row is None or row[0] == 0


def test_4_pending_is_5906(customer):
    needs_db()
    code = activation_code(customer)
    assert_5906(deactivate(customer, code))
    assert status_of(customer) == PENDING
    assert lockout_row(customer) is None or lockout_row(customer)[0] == 0
    # The activation code was not consumed.
    assert_204(verify(customer, code))


# 5. code not valid -> 5901 (or 5911 when locked)

def test_5_wrong_code_is_5901_and_counts(customer):
    needs_db()
    enable_mfa(customer)
    code = fresh_code(customer)
    assert_5901(deactivate(customer, wrong(code)))
    assert status_of(customer) == ACTIVATED
    assert lockout_row(customer)[0] == 1
    assert_204(deactivate(customer, code))


def test_5_activation_code_of_another_token_is_5901(customer):
    """The used activation code passes again only for the token that used it
    (grace, SPEC §5.1 rule 5): another token of the same customer is refused."""
    code = enable_mfa(customer)
    other_token = customer.login()[0]
    assert_5901(deactivate(customer, code, token=other_token))
    assert status_of(customer) == ACTIVATED


def test_5_another_customers_code_is_5901(customer, other_customer):
    enable_mfa(customer)
    enable_mfa(other_customer)
    mine = fresh_code(customer)
    theirs = fresh_code(other_customer)
    if mine != theirs:
        assert_5901(deactivate(customer, theirs))
    assert status_of(customer) == ACTIVATED
    assert_204(deactivate(other_customer, theirs))


def test_5_locked_is_5911_even_with_a_fresh_code(customer):
    enable_mfa(customer)
    code = fresh_code(customer)
    for i in range(MAX_FAILURES):
        assert_5901(deactivate(customer, wrong(code, i + 1)))
    fresh = fresh_code(customer)     # the old one is blocked: no cool-down
    assert_5911(deactivate(customer, fresh), lo=LOCKOUT_SECONDS - 10,
                hi=LOCKOUT_SECONDS)
    assert status_of(customer) == ACTIVATED


# 6. method off, outstanding codes invalidated, notification mail -> 204

def test_6_deactivate(customer):
    needs_db()
    enable_mfa(customer)
    code = fresh_code(customer)
    mark = mail_mark()
    assert_204(deactivate(customer, code))
    assert status_of(customer) == DEACTIVATED
    assert stored_status(customer) == 0
    ms = mails_for(customer.email, mark)
    assert len(ms) == 1, [str(m["Subject"]) for m in ms]
    assert_notification(ms[0], code)
    assert "switched off" in str(ms[0]["Subject"]).lower()
    # No longer protected: a write needs no header.
    r = patch_customer(customer)
    assert r.status == 200, r.describe()


def test_6_outstanding_codes_are_invalidated_and_windows_closed(customer):
    needs_db()
    enable_mfa(customer)
    used = fresh_code(customer)
    r = patch_customer(customer, used)              # consumed: grace window open
    assert r.status == 200, r.describe()
    fresh_code(customer)                            # live, unused
    # The grace window of the used code passes the deactivation itself.
    assert_204(deactivate(customer, used))
    assert code_rows(customer) == [(CODE_USED, 0), (CODE_USED, 0),
                                   (CODE_INVALIDATED, 0)]
    rows = db_query("SELECT MAX(grace_until) FROM mfa_codes WHERE side = 0 AND "
                    "account_id = %d" % account_id(customer))
    assert rows == [["0"]], rows

