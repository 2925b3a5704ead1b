"""POST /multi-factor-auth-trigger: the checks of contract §4.2 in order,
on both sides (the `account` fixture).

Row 5 with a failing send (5910) is in test_mfa_sendmail.py.
"""

import pytest

from conftest import assert_member
from mfa_helpers import (ACTIVATED, CODE_INVALIDATED, CODE_LIVE, CODE_USED,
                         RESEND_COOLDOWN, TRIGGER, TYPE_POINTER, activation_code,
                         assert_204, assert_5901, assert_5902, assert_5906, assert_5912,
                         code_rows, deactivate, enable_mfa, fresh_code, mail_mark,
                         mails_for, mfa_post, needs_db, new_code_since, patch_account,
                         refused, status_of, trigger, verify)
from mfa_helpers import account, side  # noqa: F401 (fixtures)


# 1. type missing -> 5902

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
@pytest.mark.parametrize("active", [True, False], ids=["active", "deactivated"])
def test_1_type_missing_is_5902(account, attrs, active):
    if active:
        enable_mfa(account)
    mark = mail_mark()
    with refused(account, "trigger", "5902"):
        assert_5902(mfa_post(account, TRIGGER, attrs=attrs))
    assert not mails_for(account.mail, mark)


def test_1_type_not_a_string_is_400_101(account):
    enable_mfa(account)
    with refused(account):
        assert_member(mfa_post(account, TRIGGER, attrs={"type": []}),
                      TYPE_POINTER)


# 2. not offered -> 5906

@pytest.mark.parametrize("type_", ["sms", "hotp"])
def test_2_not_offered_is_5906(account, type_):
    enable_mfa(account)
    mark = mail_mark()
    with refused(account, "trigger", "5906"):
        assert_5906(trigger(account, type_=type_))
    assert not mails_for(account.mail, mark)


# 3. not active -> 5906 (never activated, pending, switched off)

def test_3_never_activated_is_5906(account):
    mark = mail_mark()
    with refused(account, "trigger", "5906"):
        assert_5906(trigger(account))
    assert not mails_for(account.mail, mark)


def test_3_pending_is_5906(account):
    code = activation_code(account)
    mark = mail_mark()
    with refused(account, "trigger", "5906"):
        assert_5906(trigger(account))
    assert not mails_for(account.mail, mark)
    # The pending activation code is untouched.
    assert_204(verify(account, code))


def test_3_switched_off_is_5906(account):
    enable_mfa(account)
    assert_204(deactivate(account, fresh_code(account)))
    mark = mail_mark()
    with refused(account, "trigger", "5906"):
        assert_5906(trigger(account))
    assert not mails_for(account.mail, mark)


# 4. resend limits -> 5912

def test_4_within_cooldown_is_5912(account, clock):
    enable_mfa(account)
    first = fresh_code(account)
    mark = mail_mark()
    with refused(account, "trigger", "5912"):
        assert_5912(trigger(account), lo=RESEND_COOLDOWN - 5,
                    hi=RESEND_COOLDOWN)
    assert not mails_for(account.mail, mark)
    clock(RESEND_COOLDOWN + 1)
    second = fresh_code(account)
    # The newer code replaced the older one.
    if first != second:
        with refused(account, "protected", "5901", counted=1):
            assert_5901(patch_account(account, first))
    assert patch_account(account, second).status == 200


def test_4_a_used_code_does_not_hold_back_the_next(account):
    enable_mfa(account)
    code = fresh_code(account)
    r = patch_account(account, code)
    assert r.status == 200, r.describe()
    fresh_code(account)


# 6. a new code is stored and mailed -> 204

def test_6_trigger_mails_a_code(account):
    needs_db()
    enable_mfa(account)        # the activation code is used
    mark = mail_mark()
    r = trigger(account)
    assert_204(r)
    code = new_code_since(account.mail, mark)
    assert status_of(account) == ACTIVATED
    assert code_rows(account) == [(CODE_LIVE, 0), (CODE_USED, 0)]
    r = patch_account(account, code)
    assert r.status == 200, r.describe()


def test_6_new_code_invalidates_the_older_unused_one(account, clock):
    needs_db()
    enable_mfa(account)
    fresh_code(account)
    clock(RESEND_COOLDOWN + 1)
    fresh_code(account)
    assert code_rows(account) == [(CODE_LIVE, 0), (CODE_USED, 0),
                                   (CODE_INVALIDATED, 0)]
