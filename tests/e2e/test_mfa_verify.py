"""POST /multi-factor-auth-type-verify: the checks of SPEC §4.2 in order."""

import pytest

from conftest import assert_member
from mfa_helpers import (ACTIVATED, CODE_USED, DEACTIVATED, LOCKOUT_SECONDS,
                         MAX_FAILURES, PENDING, TYPE_POINTER, VERIFY, activation_code,
                         assert_204, assert_5900, assert_5901, assert_5902, assert_5904,
                         assert_5906, assert_5911, assert_notification, code_rows,
                         deactivate, enable_mfa, fresh_code, lockout_row, mail_mark,
                         mails_for, mfa_post, needs_db, status_of, verify, wrong)


# 1. header missing -> 5900 (first of all: before the type is looked at)

@pytest.mark.parametrize("attrs", [{"type": "email"}, {}, {"type": "sms"},
                                   {"type": 5}],
                         ids=["email", "type-absent", "not-offered", "not-a-string"])
def test_1_header_missing_is_5900(customer, attrs):
    activation_code(customer)
    assert_5900(mfa_post(VERIFY, customer.access, attrs=attrs))
    assert status_of(customer) == PENDING


def test_1_empty_header_is_5900(customer):
    activation_code(customer)
    assert_5900(verify(customer, ""))
    assert status_of(customer) == PENDING


# 2. type missing -> 5902 (before the state: also when nothing is pending)

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
@pytest.mark.parametrize("pending", [True, False], ids=["pending", "deactivated"])
def test_2_type_missing_is_5902(customer, attrs, pending):
    code = activation_code(customer) if pending else "123456"
    assert_5902(mfa_post(VERIFY, customer.access, code=code, attrs=attrs))
    assert status_of(customer) == (PENDING if pending else DEACTIVATED)


def test_2_type_not_a_string_is_400_101(customer):
    code = activation_code(customer)
    assert_member(mfa_post(VERIFY, customer.access, code=code, attrs={"type": 1}),
                  TYPE_POINTER)
    assert status_of(customer) == PENDING
    assert_204(verify(customer, code))


# 3. method not offered -> 5906

@pytest.mark.parametrize("type_", ["sms", "Email"])
def test_3_not_offered_is_5906(customer, type_):
    code = activation_code(customer)
    assert_5906(verify(customer, code, type_=type_))
    # The code was not consumed.
    assert_204(verify(customer, code))


# 4. already active -> 5904 (no code check: no failure is counted)

def test_4_already_active_is_5904(customer):
    needs_db()
    code = enable_mfa(customer)
    assert_5904(verify(customer, code))
    assert_5904(verify(customer, wrong(code)))
    assert lockout_row(customer)[0] == 0
    assert status_of(customer) == ACTIVATED


# 5. not pending -> 5906 (never activated, or switched off)

def test_5_never_activated_is_5906(customer):
    needs_db()
    assert_5906(verify(customer, "123456"))
    assert status_of(customer) == DEACTIVATED
    row = lockout_row(customer)
    assert row is None or row[0] == 0


def test_5_switched_off_is_5906(customer):
    needs_db()
    enable_mfa(customer)
    code = fresh_code(customer)
    assert_204(deactivate(customer, code))
    assert_5906(verify(customer, code))
    assert_5906(verify(customer, wrong(code)))
    assert status_of(customer) == DEACTIVATED
    assert lockout_row(customer)[0] == 0


# 6. code not valid -> 5901 (or 5911 when locked)

def test_6_wrong_code_is_5901_and_counts(customer):
    needs_db()
    code = activation_code(customer)
    assert_5901(verify(customer, wrong(code)))
    assert status_of(customer) == PENDING
    assert lockout_row(customer)[0] == 1
    assert code_rows(customer) == [(0, 1)]
    assert_204(verify(customer, code))
    assert lockout_row(customer)[0] == 0


@pytest.mark.parametrize("bad", ["12345", "1234567", "12345a", "+12345", "abcdef",
                                 "1" * 200])
def test_6_malformed_code_is_5901(customer, bad):
    code = activation_code(customer)
    assert_5901(verify(customer, bad))
    assert status_of(customer) == PENDING
    assert_204(verify(customer, code))


def test_6_another_customers_code_is_5901(customer, other_customer):
    mine = activation_code(customer)
    theirs = activation_code(other_customer)
    if theirs != mine:
        assert_5901(verify(customer, theirs))
    assert_204(verify(other_customer, theirs))
    assert_204(verify(customer, mine))


def test_6_locked_is_5911_even_with_the_right_code(customer):
    code = activation_code(customer)
    for i in range(MAX_FAILURES):
        assert_5901(verify(customer, wrong(code, i + 1)))
    # That code is blocked by now (3 tries); a fresh one (resend: the blocked
    # code does not hold it back) is refused as well while locked.
    fresh = activation_code(customer)
    assert_5911(verify(customer, fresh), lo=LOCKOUT_SECONDS - 10, hi=LOCKOUT_SECONDS)
    assert status_of(customer) == PENDING


# 7. method active, code consumed, notification mail -> 204

def test_7_verify_activates(customer):
    needs_db()
    code = activation_code(customer)
    mark = mail_mark()
    assert_204(verify(customer, code))
    assert status_of(customer) == ACTIVATED
    assert code_rows(customer) == [(CODE_USED, 0)]
    # One notification, no code in it.
    ms = mails_for(customer.email, mark)
    assert len(ms) == 1, [str(m["Subject"]) for m in ms]
    assert_notification(ms[0], code)
    assert "switched on" in str(ms[0]["Subject"]).lower()
    # Verifying again is 5904, not a second activation.
    assert_5904(verify(customer, code))
