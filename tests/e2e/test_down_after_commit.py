"""A request must not answer a refusal for work it has committed (contract
§9.2).  The test build's fault point "down-after-commit" lets a COMMIT go
through and then takes the database as gone for the rest of the request:
every statement after it fails as unavailable.  A request whose work ends
with its COMMIT answers its success; one that still had a statement to run
would answer 503 110 for work that was done (the fault suite's database
freeze met a sign-in answered 503 110 whose tokens and "login success" row
were stored: the end of the unused codes ran after the COMMIT)."""

import pytest

from conftest import api, db_query, fault_armed, refresh
from mfa_helpers import (CODE_INVALIDATED, CODE_LIVE, CODE_USED, account_id,
                         assert_204, audit_rows, code_rows, deactivate,
                         fresh_code, get_types, mail_mark, mails_for,
                         mfa_account, needs_db, new_code_since, patch_account,
                         stored_status, trigger, STOREFRONT)
from mfa_helpers import parallel, side  # noqa: F401 (fixture)


OFF = 0                                 # mfa_methods.status


@pytest.fixture(autouse=True)
def faults(fault_file):
    needs_db()


def down_after_commit(send):
    return fault_armed("down-after-commit", send)


def new_rows(c, before):
    return [(a["action"], a["result"], a["error_code"])
            for a in audit_rows(c)[before:]]


def test_a_sign_in_answers_its_tokens_and_ends_the_unused_codes_in_its_commit(side):
    c = mfa_account(side)
    mark = mail_mark()
    assert_204(trigger(c))
    new_code_since(c.mail, mark)
    codes, audited = code_rows(c), len(audit_rows(c))
    assert (CODE_LIVE, 0) in codes
    r = down_after_commit(lambda: parallel([side.sign_in_request(c)])[0])
    access = side.access_token_of(r)
    # the tokens, the end of the live code and the row: one commit
    assert code_rows(c) == sorted(
        [x for x in codes if x != (CODE_LIVE, 0)] + [(CODE_INVALIDATED, 0)])
    assert new_rows(c, audited) == [("login", "success", None)]
    assert get_types(c, token=access).status == 200


def test_a_refresh_answers_its_tokens():
    c = mfa_account(STOREFRONT)
    audited = len(audit_rows(c))
    r = down_after_commit(lambda: refresh(c.refresh))
    assert r.status == 201, r.describe()
    a = r.data["attributes"]
    assert get_types(c, token=a["accessToken"]).status == 200
    # the old refresh token was spent in the same commit
    assert refresh(c.refresh).status == 401
    assert new_rows(c, audited) == []       # a refresh is not audited


def test_a_sign_out_answers_204_and_the_codes_are_ended():
    c = mfa_account(STOREFRONT)
    mark = mail_mark()
    assert_204(trigger(c))
    new_code_since(c.mail, mark)
    codes = code_rows(c)
    r = down_after_commit(lambda: api("DELETE", "/refresh-tokens/mine",
                                      token=c.access))
    assert r.status == 204, r.describe()
    assert code_rows(c) == sorted(
        [x for x in codes if x != (CODE_LIVE, 0)] + [(CODE_INVALIDATED, 0)])
    assert get_types(c).status == 401


def test_a_protected_write_answers_200_with_its_code_spent(side):
    c = mfa_account(side)
    code = fresh_code(c)
    codes, audited = code_rows(c), len(audit_rows(c))
    r = down_after_commit(lambda: patch_account(c, code, first_name="Done"))
    assert r.status == 200, r.describe()
    assert r.json["data"]["attributes"]["firstName"] == "Done"
    assert code_rows(c) == sorted(
        [x for x in codes if x != (CODE_LIVE, 0)] + [(CODE_USED, 0)])
    assert new_rows(c, audited) == [("protected", "success", None)]


def test_a_deactivation_answers_204_and_its_notice_waits_in_the_outbox(side):
    c = mfa_account(side)
    code = fresh_code(c)
    audited, mark = len(audit_rows(c)), mail_mark()
    r = down_after_commit(lambda: deactivate(c, code))
    assert_204(r)
    assert stored_status(c) == OFF
    assert new_rows(c, audited) == [("deactivate", "success", None)]
    # the hand-over after the commit could not claim the notice: it waits
    # for the next request or glue-mfa-admin send-outbox, nothing is lost
    assert mails_for(c.mail, mark) == []
    assert db_query("SELECT COUNT(*) FROM mail_outbox WHERE side = %d AND "
                    "account_id = %d" % (side.num, account_id(c))) == [["1"]]
