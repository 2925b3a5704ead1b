"""POST /multi-factor-auth-trigger: the checks of SPEC §4.2 in order.

Row 5 with a failing send (5910) is in test_mfa_sendmail.py.
"""

import pytest

from conftest import assert_member
from mfa_helpers import (ACTIVATED, CODE_INVALIDATED, CODE_LIVE, CODE_USED,
                         RESEND_COOLDOWN, TRIGGER, TYPE_POINTER, activation_code,
                         assert_204, assert_5901, assert_5902, assert_5906, assert_5912,
                         code_rows, deactivate, enable_mfa, fresh_code, mail_mark,
                         mails_for, mfa_post, needs_db, new_code_since, patch_customer,
                         status_of, trigger, verify)


# 1. type missing -> 5902

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
@pytest.mark.parametrize("active", [True, False], ids=["active", "deactivated"])
def test_1_type_missing_is_5902(customer, attrs, active):
    if active:
        enable_mfa(customer)
    mark = mail_mark()
    assert_5902(mfa_post(TRIGGER, customer.access, attrs=attrs))
    assert not mails_for(customer.email, mark)


def test_1_type_not_a_string_is_400_101(customer):
    enable_mfa(customer)
    assert_member(mfa_post(TRIGGER, customer.access, attrs={"type": []}), TYPE_POINTER)


# 2. not offered -> 5906

@pytest.mark.parametrize("type_", ["sms", "totp"])
def test_2_not_offered_is_5906(customer, type_):
    enable_mfa(customer)
    mark = mail_mark()
    assert_5906(trigger(customer, type_=type_))
    assert not mails_for(customer.email, mark)


# 3. not active -> 5906 (never activated, pending, switched off)

def test_3_never_activated_is_5906(customer):
    mark = mail_mark()
    assert_5906(trigger(customer))
    assert not mails_for(customer.email, mark)


def test_3_pending_is_5906(customer):
    code = activation_code(customer)
    mark = mail_mark()
    assert_5906(trigger(customer))
    assert not mails_for(customer.email, mark)
    # The pending activation code is untouched.
    assert_204(verify(customer, code))


def test_3_switched_off_is_5906(customer):
    enable_mfa(customer)
    assert_204(deactivate(customer, fresh_code(customer)))
    mark = mail_mark()
    assert_5906(trigger(customer))
    assert not mails_for(customer.email, mark)


# 4. resend limits -> 5912

def test_4_within_cooldown_is_5912(customer, clock):
    enable_mfa(customer)
    first = fresh_code(customer)
    mark = mail_mark()
    assert_5912(trigger(customer), lo=RESEND_COOLDOWN - 5, hi=RESEND_COOLDOWN)
    assert not mails_for(customer.email, mark)
    clock(RESEND_COOLDOWN + 1)
    second = fresh_code(customer)
    # The newer code replaced the older one.
    if first != second:
        assert_5901(patch_customer(customer, first))
    assert patch_customer(customer, second).status == 200


def test_4_a_used_code_does_not_hold_back_the_next(customer):
    enable_mfa(customer)
    code = fresh_code(customer)
    r = patch_customer(customer, code)
    assert r.status == 200, r.describe()
    fresh_code(customer)


# 6. a new code is stored and mailed -> 204

def test_6_trigger_mails_a_code(customer):
    needs_db()
    enable_mfa(customer)        # the activation code is used
    mark = mail_mark()
    r = trigger(customer)
    assert_204(r)
    code = new_code_since(customer.email, mark)
    assert status_of(customer) == ACTIVATED
    assert code_rows(customer) == [(CODE_LIVE, 0), (CODE_USED, 0)]
    r = patch_customer(customer, code)
    assert r.status == 200, r.describe()


def test_6_new_code_invalidates_the_older_unused_one(customer, clock):
    needs_db()
    enable_mfa(customer)
    fresh_code(customer)
    clock(RESEND_COOLDOWN + 1)
    fresh_code(customer)
    assert code_rows(customer) == [(CODE_LIVE, 0), (CODE_USED, 0),
                                   (CODE_INVALIDATED, 0)]
