"""POST /multi-factor-auth-type-deactivate: the checks of contract §4.2 in order,
on both sides (the `account` fixture)."""

import pytest

from conftest import assert_member, db_query
from mfa_helpers import (ACTIVATED, CODE_INVALIDATED, CODE_USED, DEACTIVATE,
                         DEACTIVATED, LOCKOUT_SECONDS, MAX_FAILURES, PENDING,
                         TYPE_POINTER, VERIFY, account_id, activation_code, assert_204,
                         assert_5900, assert_5901, assert_5902, assert_5906,
                         assert_5911, assert_notification, code_rows, deactivate,
                         enable_mfa, fresh_code, lockout_row, mail_mark, mails_for,
                         mfa_post, needs_db, patch_account, refused, status_of,
                         stored_status, verify, wrong, SUBJECT_LOCKED)
from mfa_helpers import account, other_account, side  # noqa: F401 (fixtures)


# 1. header missing -> 5900

@pytest.mark.parametrize("attrs", [{"type": "email"}, {}, {"type": "sms"},
                                   {"type": False}],
                         ids=["email", "type-absent", "not-offered", "not-a-string"])
def test_1_header_missing_is_5900(account, attrs):
    enable_mfa(account)
    with refused(account, "deactivate", "5900"):
        assert_5900(mfa_post(account, DEACTIVATE, attrs=attrs))
    assert status_of(account) == ACTIVATED


def test_1_empty_header_is_5900(account):
    enable_mfa(account)
    with refused(account, "deactivate", "5900"):
        assert_5900(deactivate(account, ""))
    assert status_of(account) == ACTIVATED


def test_1_header_missing_whatever_the_state(account):
    """Verify and deactivate: 5900 first, with no method pending or active
    too; several times, as a crash here depended on what the process did
    before."""
    rows = [("verify", "failure", "5900"), ("deactivate", "failure", "5900")]
    for _ in range(3):
        with refused(account, audit=rows * 2):
            assert_5900(mfa_post(account, VERIFY))
            assert_5900(mfa_post(account, DEACTIVATE))
            assert_5900(mfa_post(account, VERIFY, type_=None))
            assert_5900(mfa_post(account, DEACTIVATE, type_="sms"))
    enable_mfa(account)
    with refused(account, audit=rows):
        assert_5900(mfa_post(account, VERIFY))
        assert_5900(mfa_post(account, DEACTIVATE))


# 2. type missing -> 5902

@pytest.mark.parametrize("attrs", [{}, {"type": None}, {"type": ""}],
                         ids=["absent", "null", "empty"])
def test_2_type_missing_is_5902(account, attrs):
    enable_mfa(account)
    code = fresh_code(account)
    with refused(account, "deactivate", "5902"):
        assert_5902(mfa_post(account, DEACTIVATE, code=code, attrs=attrs))
    assert status_of(account) == ACTIVATED
    # The code was not consumed: it still switches the method off.
    assert_204(deactivate(account, code))


def test_2_type_not_a_string_is_400_101(account):
    enable_mfa(account)
    code = fresh_code(account)
    with refused(account):
        assert_member(mfa_post(account, DEACTIVATE, code=code,
                               attrs={"type": {"x": 1}}), TYPE_POINTER)
    assert status_of(account) == ACTIVATED


# 3. not offered -> 5906

def test_3_not_offered_is_5906(account):
    enable_mfa(account)
    code = fresh_code(account)
    with refused(account, "deactivate", "5906"):
        assert_5906(deactivate(account, code, type_="sms"))
    assert status_of(account) == ACTIVATED
    assert_204(deactivate(account, code))


# 4. not active -> 5906 (no code check: no failure counted)

def test_4_never_activated_is_5906(account):
    needs_db()
    with refused(account, "deactivate", "5906"):
        assert_5906(deactivate(account, "123456"))
    assert status_of(account) == DEACTIVATED
    row = lockout_row(account)
    assert row is None or row[0] == 0


def test_4_pending_is_5906(account):
    needs_db()
    code = activation_code(account)
    with refused(account, "deactivate", "5906"):
        assert_5906(deactivate(account, code))
    assert status_of(account) == PENDING
    assert lockout_row(account) is None or lockout_row(account)[0] == 0
    # The activation code was not consumed.
    assert_204(verify(account, code))


# 5. code not valid -> 5901 (or 5911 when locked)

def test_5_wrong_code_is_5901_and_counts(account):
    needs_db()
    enable_mfa(account)
    code = fresh_code(account)
    with refused(account, "deactivate", "5901", counted=1):
        assert_5901(deactivate(account, wrong(code)))
    assert status_of(account) == ACTIVATED
    assert lockout_row(account)[0] == 1
    assert_204(deactivate(account, code))


def test_5_activation_code_of_another_token_is_5901(account):
    """The used activation code passes again only for the token that used it
    (grace, contract §5.1 rule 5): another token of the same account is refused."""
    code = enable_mfa(account)
    other_token = account.login()[0]
    with refused(account, "deactivate", "5901", counted=1):
        assert_5901(deactivate(account, code, token=other_token))
    assert status_of(account) == ACTIVATED


def test_5_another_accounts_code_is_5901(account, other_account):
    enable_mfa(account)
    enable_mfa(other_account)
    mine = fresh_code(account)
    theirs = fresh_code(other_account)
    if mine != theirs:
        with refused(account, "deactivate", "5901", counted=1):
            assert_5901(deactivate(account, theirs))
    assert status_of(account) == ACTIVATED
    assert_204(deactivate(other_account, theirs))


def test_5_locked_is_5911_even_with_a_fresh_code(account):
    enable_mfa(account)
    code = fresh_code(account)
    for i in range(MAX_FAILURES - 1):
        with refused(account, "deactivate", "5901", counted=1):
            assert_5901(deactivate(account, wrong(code, i + 1)))
    with refused(account, "deactivate", "5901", counted=1,
                 audit=[("lockout", "failure", "5911"),
                        ("deactivate", "failure", "5901")],
                 mails=[SUBJECT_LOCKED]):
        assert_5901(deactivate(account, wrong(code, MAX_FAILURES)))
    fresh = fresh_code(account)     # the old one is blocked: no cool-down
    with refused(account, "deactivate", "5911"):
        assert_5911(deactivate(account, fresh), lo=LOCKOUT_SECONDS - 10,
                    hi=LOCKOUT_SECONDS)
    assert status_of(account) == ACTIVATED


# 6. method off, outstanding codes invalidated, notification mail -> 204

def test_6_deactivate(account):
    needs_db()
    enable_mfa(account)
    code = fresh_code(account)
    mark = mail_mark()
    assert_204(deactivate(account, code))
    assert status_of(account) == DEACTIVATED
    assert stored_status(account) == 0
    ms = mails_for(account.mail, mark)
    assert len(ms) == 1, [str(m["Subject"]) for m in ms]
    assert_notification(ms[0], code)
    assert "switched off" in str(ms[0]["Subject"]).lower()
    # No longer protected: a write needs no header.
    r = patch_account(account)
    assert r.status == 200, r.describe()


def test_6_outstanding_codes_are_invalidated_and_windows_closed(account):
    needs_db()
    enable_mfa(account)
    used = fresh_code(account)
    r = patch_account(account, used)               # consumed: grace window open
    assert r.status == 200, r.describe()
    fresh_code(account)                            # live, unused
    # The grace window of the used code passes the deactivation itself.
    assert_204(deactivate(account, used))
    assert code_rows(account) == [(CODE_USED, 0), (CODE_USED, 0),
                                   (CODE_INVALIDATED, 0)]
    rows = db_query("SELECT MAX(grace_until) FROM mfa_codes WHERE side = %d AND "
                    "account_id = %d" % (account.side.num, account_id(account)))
    assert rows == [["0"]], rows

