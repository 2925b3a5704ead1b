"""A COMMIT whose answer is lost with the connection (contract §9.2 item 4):
the request answers 503 118, never 503 110, because its work may have been
carried out.  The test build's fault point "commit-answer-lost" lets the
COMMIT run and then takes its answer as lost, which is what a database
server killed between the two leaves (the fault suite's kill meets it only
when the timing falls so).  Each test checks what the database and the
mail spool hold afterwards, and that the client's retry is answered
sensibly."""

import pytest

import backend_helpers as bh
from conftest import api, assert_error, db_query, fault_armed
from mfa_helpers import (RESEND_COOLDOWN, STOREFRONT, account_id, assert_204,
                         assert_5912, audit_rows, code_rows, deactivate,
                         fresh_code, mail_mark, mails_for, mfa_account, needs_db,
                         new_code_since, patch_account, stored_status, trigger,
                         SUBJECT_ADMIN_OFF, SUBJECT_OFF)
from mfa_helpers import side  # noqa: F401 (fixture)

D_COMMIT_UNKNOWN = "Service temporarily unavailable. The request may have been carried out."
USED, LIVE, REPLACED = 1, 0, 3          # mfa_codes.state
OFF = 0                                 # mfa_methods.status


@pytest.fixture(autouse=True)
def faults(fault_file):
    needs_db()


def commit_answer_lost(send):
    r = fault_armed("commit-answer-lost", send)
    assert_error(r, 503, "118", D_COMMIT_UNKNOWN)
    assert r.headers.get("Retry-After") == "1", r.describe()
    return r


def new_rows(c, before):
    return [(a["action"], a["result"], a["error_code"]) for a in audit_rows(c)[before:]]


def committed_rows(c, before, action):
    """The rows since `before`: the committed success, then the refusal's
    own row where the program could connect again to write it (a FastCGI
    process may connect once more in the request; a plain CGI process has
    spent its one connect), which the contract lets it leave out."""
    rows = new_rows(c, before)
    assert rows in ([(action, "success", None)],
                    [(action, "success", None), (action, "failure", "118")]), rows
    return rows


def test_a_trigger_whose_commit_answer_is_lost_is_118_and_the_retry_mails_a_code(
        side, clock):
    c = mfa_account(side)
    codes, audited, mark = code_rows(c), len(audit_rows(c)), mail_mark()
    commit_answer_lost(lambda: trigger(c))
    # committed: the code (never mailed: the program does not know it was
    # stored) and the trigger's row; then the refusal's own row
    assert code_rows(c) == sorted(codes + [(LIVE, 0)])
    assert mails_for(c.mail, mark) == []
    committed_rows(c, audited, "trigger")
    # the stored code counts for the resend cool-down as a sent one would
    # (a code being handed over by another request looks the same)
    mark, audited = mail_mark(), len(audit_rows(c))
    assert_5912(trigger(c), RESEND_COOLDOWN - 1, RESEND_COOLDOWN)
    assert code_rows(c) == sorted(codes + [(LIVE, 0)])
    assert mails_for(c.mail, mark) == []
    assert new_rows(c, audited) == [("trigger", "failure", "5912")]
    clock(RESEND_COOLDOWN)
    assert_204(trigger(c))
    code = new_code_since(c.mail, mark)
    assert code_rows(c) == sorted(codes + [(REPLACED, 0), (LIVE, 0)])
    r = patch_account(c, code, first_name="Retried")
    assert r.status == 200 and r.json["data"]["attributes"]["firstName"] == "Retried", \
        r.describe()
    assert code_rows(c) == sorted(codes + [(REPLACED, 0), (USED, 0)])


def test_a_protected_write_whose_commit_answer_is_lost_is_118_and_was_carried_out(side):
    c = mfa_account(side)
    code = fresh_code(c)
    codes, audited, mark = code_rows(c), len(audit_rows(c)), mail_mark()
    commit_answer_lost(lambda: patch_account(c, code, first_name="Carried"))
    # the change, its spent code and its row went in together
    assert code_rows(c) == sorted([x for x in codes if x != (LIVE, 0)] + [(USED, 0)])
    assert new_rows(c, audited) == [("protected", "success", None)]
    assert mails_for(c.mail, mark) == []
    # the client reads the state first (contract §9.2): the write is there
    r = api("GET", c.path, token=c.access)
    assert r.status == 200 and r.json["data"]["attributes"]["firstName"] == "Carried", \
        r.describe()


def told(c, mark, subject):
    """How often the account's notice went out or waits in the outbox: the
    request hands it over after the commit (here on a new connection), or a
    later one does."""
    waiting = int(db_query("SELECT COUNT(*) FROM mail_outbox WHERE side = %d AND"
                           " account_id = %d" % (c.side.num, account_id(c)))[0][0])
    mails = mails_for(c.mail, mark)
    assert [str(m["Subject"]) for m in mails if str(m["Subject"]) != subject] == []
    return waiting + len(mails)


def test_a_deactivation_whose_commit_answer_is_lost_is_118_not_5903(side):
    c = mfa_account(side)
    code = fresh_code(c)
    audited, mark = len(audit_rows(c)), mail_mark()
    commit_answer_lost(lambda: deactivate(c, code))
    # carried out: the method off, its code spent, its row, its notice queued
    # (handed over by this request or a later one: the outbox holds it)
    assert stored_status(c) == OFF
    assert (USED, 0) in code_rows(c) and (LIVE, 0) not in code_rows(c)
    committed_rows(c, audited, "deactivate")
    assert told(c, mark, SUBJECT_OFF) == 1


def test_a_rescue_whose_commit_answer_is_lost_is_118_not_5903():
    admin = bh.new_user().signed_in()
    c = mfa_account(STOREFRONT)
    audited, mark = len(audit_rows(c)), mail_mark()
    commit_answer_lost(lambda: bh.rescue(admin.access, c.path[len("/customers/"):]))
    assert stored_status(c) == OFF
    committed_rows(c, audited, "admin_deactivate")
    assert told(c, mark, SUBJECT_ADMIN_OFF) == 1
