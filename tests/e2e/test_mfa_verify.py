"""POST /multi-factor-auth-type-verify: the checks of contract §4.2 in order,
on both sides (the `account` fixture)."""

import pytest

from conftest import assert_member
from mfa_helpers import (ACTIVATED, CODE_USED, DEACTIVATED, LOCKOUT_SECONDS,
                         MAX_FAILURES, PENDING, TYPE_POINTER, VERIFY, activation_code,
                         assert_204, assert_5900, assert_5901, assert_5902, assert_5904,
                         assert_5906, assert_5911, assert_notification, code_rows,
                         deactivate, enable_mfa, fresh_code, lockout_row, mail_mark,
                         mails_for, mfa_post, needs_db, refused, status_of, verify,
                         wrong, SUBJECT_LOCKED)
from mfa_helpers import account, other_account, side  # noqa: F401 (fixtures)


# 1. header missing -> 5900 (first of all: before the type is looked at)

@pytest.mark.parametrize("attrs", [{"type": "email"}, {}, {"type": "sms"},
                                   {"type": 5}],
                         ids=["email", "type-absent", "not-offered", "not-a-string"])
def test_1_header_missing_is_5900(account, attrs):
    activation_code(account)
    with refused(account, "verify", "5900"):
        assert_5900(mfa_post(account, VERIFY, attrs=attrs))
    assert status_of(account) == PENDING


def test_1_empty_header_is_5900(account):
    activation_code(account)
    with refused(account, "verify", "5900"):
        assert_5900(verify(account, ""))
    assert status_of(account) == PENDING


# 2. type missing -> 5902 (before the state: also when nothing is pending)

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
@pytest.mark.parametrize("pending", [True, False], ids=["pending", "deactivated"])
def test_2_type_missing_is_5902(account, attrs, pending):
    code = activation_code(account) if pending else "123456"
    with refused(account, "verify", "5902"):
        assert_5902(mfa_post(account, VERIFY, code=code, attrs=attrs))
    assert status_of(account) == (PENDING if pending else DEACTIVATED)


def test_2_type_not_a_string_is_400_101(account):
    code = activation_code(account)
    with refused(account):
        assert_member(mfa_post(account, VERIFY, code=code, attrs={"type": 1}),
                      TYPE_POINTER)
    assert status_of(account) == PENDING
    assert_204(verify(account, code))


# 3. method not offered -> 5906

@pytest.mark.parametrize("type_", ["sms", "Email"])
def test_3_not_offered_is_5906(account, type_):
    code = activation_code(account)
    with refused(account, "verify", "5906"):
        assert_5906(verify(account, code, type_=type_))
    # The code was not consumed.
    assert_204(verify(account, code))


# 4. already active -> 5904 (no code check: no failure is counted)

def test_4_already_active_is_5904(account):
    needs_db()
    code = enable_mfa(account)
    with refused(account, "verify", "5904"):
        assert_5904(verify(account, code))
    with refused(account, "verify", "5904"):
        assert_5904(verify(account, wrong(code)))
    assert lockout_row(account)[0] == 0
    assert status_of(account) == ACTIVATED


# 5. not pending -> 5906 (never activated, or switched off)

def test_5_never_activated_is_5906(account):
    needs_db()
    with refused(account, "verify", "5906"):
        assert_5906(verify(account, "123456"))
    assert status_of(account) == DEACTIVATED
    row = lockout_row(account)
    assert row is None or row[0] == 0


def test_5_switched_off_is_5906(account):
    needs_db()
    enable_mfa(account)
    code = fresh_code(account)
    assert_204(deactivate(account, code))
    with refused(account, "verify", "5906"):
        assert_5906(verify(account, code))
    with refused(account, "verify", "5906"):
        assert_5906(verify(account, wrong(code)))
    assert status_of(account) == DEACTIVATED
    assert lockout_row(account)[0] == 0


# 6. code not valid -> 5901 (or 5911 when locked)

def test_6_wrong_code_is_5901_and_counts(account):
    needs_db()
    code = activation_code(account)
    with refused(account, "verify", "5901", counted=1):
        assert_5901(verify(account, wrong(code)))
    assert status_of(account) == PENDING
    assert lockout_row(account)[0] == 1
    assert code_rows(account) == [(0, 1)]
    assert_204(verify(account, code))
    assert lockout_row(account)[0] == 0


@pytest.mark.parametrize("bad", ["12345", "1234567", "12345a", "+12345", "abcdef",
                                 "1" * 200])
def test_6_malformed_code_is_5901(account, bad):
    code = activation_code(account)
    with refused(account, "verify", "5901", counted=1):
        assert_5901(verify(account, bad))
    assert status_of(account) == PENDING
    assert_204(verify(account, code))


def test_6_another_accounts_code_is_5901(account, other_account):
    mine = activation_code(account)
    theirs = activation_code(other_account)
    if theirs != mine:
        with refused(account, "verify", "5901", counted=1):
            assert_5901(verify(account, theirs))
    assert_204(verify(other_account, theirs))
    assert_204(verify(account, mine))


def test_6_locked_is_5911_even_with_the_right_code(account):
    code = activation_code(account)
    for i in range(MAX_FAILURES - 1):
        with refused(account, "verify", "5901", counted=1):
            assert_5901(verify(account, wrong(code, i + 1)))
    # The failure that reaches the limit is still 5901, and locks.
    with refused(account, "verify", "5901", counted=1,
                 audit=[("lockout", "failure", "5911"),
                        ("verify", "failure", "5901")],
                 mails=[SUBJECT_LOCKED]):
        assert_5901(verify(account, wrong(code, MAX_FAILURES)))
    # That code is blocked by now (3 tries); a fresh one (resend: the blocked
    # code does not hold it back) is refused as well while locked.
    fresh = activation_code(account)
    with refused(account, "verify", "5911"):
        assert_5911(verify(account, fresh), lo=LOCKOUT_SECONDS - 10,
                    hi=LOCKOUT_SECONDS)
    assert status_of(account) == PENDING


# 7. method active, code consumed, notification mail -> 204

def test_7_verify_activates(account):
    needs_db()
    code = activation_code(account)
    mark = mail_mark()
    assert_204(verify(account, code))
    assert status_of(account) == ACTIVATED
    assert code_rows(account) == [(CODE_USED, 0)]
    # One notification, no code in it.
    ms = mails_for(account.mail, mark)
    assert len(ms) == 1, [str(m["Subject"]) for m in ms]
    assert_notification(ms[0], code)
    assert "switched on" in str(ms[0]["Subject"]).lower()
    # Verifying again is 5904, not a second activation.
    with refused(account, "verify", "5904"):
        assert_5904(verify(account, code))
