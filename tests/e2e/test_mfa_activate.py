"""POST /multi-factor-auth-type-activate: the checks of contract §4.2 in order,
on both sides (the `account` fixture).

Row 4 (the account has *another* active method: header needed, code checked)
cannot be reached: the server offers only `email` (config `methods` accepts no
other value yet), so a method that is not the one being activated can never be
active. Rows 5/6 with a failing send (5910) are in test_mfa_sendmail.py.
"""

import pytest

from conftest import assert_member
from mfa_helpers import (ACTIVATE, CODE_INVALIDATED, CODE_LIVE, DAILY_SEND_CAP, PENDING,
                         RESEND_COOLDOWN, TYPE_POINTER, activate, activation_code,
                         assert_204, assert_5901, assert_5902, assert_5904, assert_5906,
                         assert_5912, code_rows, deactivate, enable_mfa, fresh_code,
                         mail_mark, mails_for, mfa_post, needs_db, new_code_since,
                         refused, status_of, stored_status, verify)
from mfa_helpers import account, side  # noqa: F401 (fixtures)


# 1. attributes.type missing or empty -> 5902 (a non-string is the front line's 400)

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
def test_1_type_missing_is_5902(account, attrs):
    mark = mail_mark()
    with refused(account, "activate", "5902"):
        assert_5902(mfa_post(account, ACTIVATE, attrs=attrs))
    assert status_of(account) == "deactivated"
    assert not mails_for(account.mail, mark)


@pytest.mark.parametrize("value", [1, True, ["email"], {"t": "email"}],
                         ids=["number", "bool", "array", "object"])
def test_1_type_not_a_string_is_400_101(account, value):
    with refused(account):
        assert_member(mfa_post(account, ACTIVATE, attrs={"type": value}),
                      TYPE_POINTER)
    assert status_of(account) == "deactivated"


# 2. method not offered -> 5906

@pytest.mark.parametrize("type_", ["sms", "hotp", "TOTP", "EMAIL", " email"])
def test_2_not_offered_is_5906(account, type_):
    mark = mail_mark()
    with refused(account, "activate", "5906"):
        assert_5906(activate(account, type_=type_))
    assert status_of(account) == "deactivated"
    assert not mails_for(account.mail, mark)


# 3. already active -> 5904 (before any header check; no code sent)

@pytest.mark.parametrize("header", [None, "000000"], ids=["no-header", "with-header"])
def test_3_already_active_is_5904(account, header):
    enable_mfa(account)
    mark = mail_mark()
    with refused(account, "activate", "5904"):
        assert_5904(activate(account, code=header))
    assert status_of(account) == "activated"
    assert not mails_for(account.mail, mark)


# 5./6. pending, a code mailed, 204

def test_6_activate_sets_pending_and_mails_a_code(account):
    needs_db()
    mark = mail_mark()
    r = activate(account)
    assert_204(r)
    code = new_code_since(account.mail, mark)
    assert status_of(account) == PENDING
    assert stored_status(account) == 1
    assert code_rows(account) == [(CODE_LIVE, 0)]
    # The code verifies.
    assert_204(verify(account, code))


def test_6_no_header_needed_without_an_active_method(account):
    # A header that is present but irrelevant does not matter either.
    assert_204(activate(account, code="123456"))
    assert status_of(account) == PENDING


def test_6_activate_again_after_deactivation(account):
    enable_mfa(account)
    assert_204(deactivate(account, fresh_code(account)))
    code = activation_code(account)
    assert status_of(account) == PENDING
    assert_204(verify(account, code))
    assert status_of(account) == "activated"


# 5. Resend limits -> 5912 (contract §5.3): activate again on a pending method

def test_5_resend_within_cooldown_is_5912(account, clock):
    first = activation_code(account)
    mark = mail_mark()
    with refused(account, "activate", "5912"):
        ra = assert_5912(activate(account))
    assert RESEND_COOLDOWN - 5 <= ra <= RESEND_COOLDOWN
    assert not mails_for(account.mail, mark)
    assert status_of(account) == PENDING
    clock(RESEND_COOLDOWN - 10)
    with refused(account, "activate", "5912"):
        assert_5912(activate(account), lo=1, hi=11)
    # After the cool-down a fresh code is sent; the first one no longer works.
    clock(RESEND_COOLDOWN + 1)
    mark = mail_mark()
    assert_204(activate(account))
    second = new_code_since(account.mail, mark)
    if first != second:  # equal by chance once in a million
        with refused(account, "verify", "5901", counted=1):
            assert_5901(verify(account, first))
    assert_204(verify(account, second))


def test_5_resend_invalidates_the_older_code(account, clock):
    needs_db()
    activation_code(account)
    clock(RESEND_COOLDOWN + 1)
    activation_code(account)
    assert code_rows(account) == [(CODE_LIVE, 0), (CODE_INVALIDATED, 0)]


def test_5_daily_send_cap_is_5912(account, clock):
    """At most daily_send_cap codes per 24 h, whatever the cool-down."""
    step = RESEND_COOLDOWN + 1
    for i in range(DAILY_SEND_CAP):
        clock(i * step)
        assert_204(activate(account))
    clock(DAILY_SEND_CAP * step)
    mark = mail_mark()
    # Retry-After: until the oldest code of the last 24 h is a day old.
    expect = 86400 - DAILY_SEND_CAP * step
    with refused(account, "activate", "5912"):
        assert_5912(activate(account), lo=expect - 2, hi=expect)
    assert not mails_for(account.mail, mark)
    # A day after the first code one more may go (the access token of the
    # first sign-in has expired by then: sign in again).
    clock(86400 + 1)
    assert_204(activate(account, token=account.login()[0]))
