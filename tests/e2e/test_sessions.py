"""Sessions end where users expect (contract §3.1, §3.3): sign-out of the
calling session (/current) or of every session (/mine, Spryker's meaning:
every refresh token, here with every access token too); a named refresh
token ends its sign-in only when it is the caller's; a rotation ends the
access token issued with the rotated refresh token; sign-in and sign-out
end the account's unused codes; a back-office username change ends that
user's sessions and codes and tells both addresses."""

import pytest

import backend_helpers as bh
from conftest import (api, assert_invalid_token, assert_refresh_failed,
                      check_token_resource, db_query, new_customer, refresh)
from effects import unchanged
from mfa_helpers import (BACKEND, CODE_INVALIDATED, STOREFRONT, Account,
                         assert_5901, assert_notification, enable_mfa, fresh_code,
                         mail_mark, mails_for, one_mail_since, patch_account)

SUBJECT_OLD = "Your username was changed"
SUBJECT_NEW = "This address is now your username"


def cid(acct):
    return int(db_query("SELECT id FROM customers WHERE email = '%s'" % acct.mail)[0][0])


def uid(name):
    return int(db_query("SELECT id FROM users WHERE username = '%s'" % name)[0][0])


def users_get(token):
    return api("GET", bh.BE + "/users", token=token)


def revoke(pred=lambda row: True):
    def change(rows):
        for row in rows.values():
            if pred(row):
                row["revoked"] = "1"
        return rows
    return change


def codes_dropped(rows):
    for row in rows.values():
        if row["state"] == "0":
            row["state"] = str(CODE_INVALIDATED)
    return rows


def live_codes(side, acct_id):
    return int(db_query("SELECT COUNT(*) FROM mfa_codes WHERE side = %d AND"
                        " account_id = %d AND state = 0" % (side, acct_id))[0][0])


@pytest.fixture
def shopper():
    """A customer with email MFA, signed in twice (two sessions), with one
    unused code."""
    c = new_customer()
    a = Account(STOREFRONT, c.email, c.password, c.ref).signed_in()
    enable_mfa(a)
    a.access2, a.refresh2 = a.login()
    fresh_code(a)
    assert live_codes(0, cid(a)) == 1
    return a


def test_sign_out_mine_ends_every_session_and_the_codes(shopper):
    a, i = shopper, cid(shopper)
    with unchanged(side="storefront", account_id=i,
                   changes={"access_tokens": revoke(), "refresh_tokens": revoke(),
                            "mfa_codes": codes_dropped}):
        r = api("DELETE", "/refresh-tokens/mine", token=a.access)
        assert r.status == 204 and r.raw == b"", r.describe()
    for t in (a.access, a.access2):
        assert_invalid_token(api("GET", a.path, token=t))
    for t in (a.refresh, a.refresh2):
        assert_refresh_failed(refresh(t))


def first_family(i):
    return db_query("SELECT family_id FROM access_tokens WHERE side = 0 AND"
                    " account_id = %d ORDER BY id LIMIT 1" % i)[0][0]


def test_sign_out_current_ends_the_calling_session_only(shopper):
    a, i = shopper, cid(shopper)
    fam = first_family(i)
    mine = revoke(lambda row: row["family_id"] == fam)
    with unchanged(side="storefront", account_id=i,
                   changes={"access_tokens": mine, "refresh_tokens": mine,
                            "mfa_codes": codes_dropped}):
        r = api("DELETE", "/refresh-tokens/current", token=a.access)
        assert r.status == 204 and r.raw == b"", r.describe()
    assert_invalid_token(api("GET", a.path, token=a.access))
    assert_refresh_failed(refresh(a.refresh))
    # The other session goes on.
    assert api("GET", a.path, token=a.access2).status == 200
    check_token_resource(refresh(a.refresh2), "refresh-tokens")


def test_sign_out_with_own_refresh_token_ends_its_session(shopper):
    """DELETE /refresh-tokens/{R of the second session}, called from the
    first: the second session ends, and the calling access token."""
    a, i = shopper, cid(shopper)
    fam1 = first_family(i)
    calling = db_query("SELECT id FROM access_tokens WHERE side = 0 AND account_id"
                       " = %d ORDER BY id LIMIT 1" % i)[0][0]
    second = revoke(lambda row: row["family_id"] != fam1)
    with unchanged(side="storefront", account_id=i,
                   changes={"access_tokens": lambda rows: second(revoke(
                       lambda row: row["id"] == calling)(rows)),
                       "refresh_tokens": second, "mfa_codes": codes_dropped}):
        r = api("DELETE", "/refresh-tokens/" + a.refresh2, token=a.access)
        assert r.status == 204, r.describe()
    assert_refresh_failed(refresh(a.refresh2))
    assert_invalid_token(api("GET", a.path, token=a.access2))
    check_token_resource(refresh(a.refresh), "refresh-tokens")


def test_another_accounts_refresh_token_is_answered_like_an_unknown_one():
    c = new_customer().signed_in()
    d = new_customer().signed_in()
    ci = int(db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)[0][0])
    di = int(db_query("SELECT id FROM customers WHERE email = '%s'" % d.email)[0][0])
    answers = []
    for token in (d.refresh, "B" * 43):
        access, _ = c.login()
        tid = db_query("SELECT MAX(id) FROM access_tokens WHERE side = 0 AND"
                       " account_id = %d" % ci)[0][0]
        with unchanged(side="storefront", account_id=di):
            with unchanged(side="storefront", account_id=ci,
                           changes={"access_tokens": revoke(
                               lambda row, t=tid: row["id"] == t)}):
                r = api("DELETE", "/refresh-tokens/" + token, token=access)
        answers.append((r.status, r.raw))
    assert answers[0] == answers[1] == (204, b"")
    check_token_resource(refresh(d.refresh), "refresh-tokens")


def test_rotation_ends_the_access_token_issued_with_it():
    c = new_customer().signed_in()
    other_access, _ = c.login()
    i = int(db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)[0][0])
    old = db_query("SELECT id FROM access_tokens WHERE side = 0 AND account_id = %d"
                   " ORDER BY id LIMIT 1" % i)[0][0]
    r = refresh(c.refresh)
    a = check_token_resource(r, "refresh-tokens")
    assert db_query("SELECT revoked FROM access_tokens WHERE id = %s" % old) == [["1"]]
    assert_invalid_token(api("GET", "/customers/" + c.ref, token=c.access))
    assert api("GET", "/customers/" + c.ref, token=a["accessToken"]).status == 200
    assert api("GET", "/customers/" + c.ref, token=other_access).status == 200


@pytest.mark.parametrize("side", [STOREFRONT, BACKEND], ids=lambda s: s.name)
def test_sign_in_ends_unused_codes(side):
    a = side.new_account()
    enable_mfa(a)
    code = fresh_code(a)
    i = cid(a) if side is STOREFRONT else uid(a.mail)
    assert live_codes(side.num, i) == 1
    a.login()                                   # a new sign-in
    assert live_codes(side.num, i) == 0
    assert_5901(patch_account(a, code))         # the code no longer passes


def test_username_change_ends_sessions_and_codes_and_tells_both_addresses():
    u = bh.new_user()
    acct = Account(BACKEND, u.username, u.password, u.uuid).signed_in()
    enable_mfa(acct)
    fresh_code(acct)
    i = uid(u.username)
    assert live_codes(1, i) == 1
    new = bh.unique_username("renamed")
    mark = mail_mark()
    admin = bh.admin_token()
    r = bh.user_patch(admin, u.uuid, {"username": new})
    assert r.status == 200, r.describe()
    assert_invalid_token(users_get(acct.access))
    bh.assert_refresh_refused(bh.refresh_grant(acct.refresh))
    assert live_codes(1, i) == 0
    assert db_query("SELECT COUNT(*) FROM access_tokens WHERE side = 1 AND"
                    " account_id = %d AND revoked = 0" % i) == [["0"]]
    assert_notification(one_mail_since(u.username, mark, SUBJECT_OLD))
    assert_notification(one_mail_since(new, mark, SUBJECT_NEW))
    # The new name signs in; the old one no longer does.
    bh.sign_in(new, u.password)
    bh.assert_invalid_grant(bh.password_grant(u.username, u.password))


def test_patch_without_a_new_username_ends_nothing():
    u = bh.new_user().signed_in()
    i = uid(u.username)
    admin = bh.admin_token()
    mark = mail_mark()
    with unchanged(side="backend", account_id=i,
                   checks={"account": lambda b, a: []}):
        r = bh.user_patch(admin, u.uuid, {"username": u.username, "firstName": "Same"})
        assert r.status == 200, r.describe()
    assert mails_for(u.username, mark) == []
    assert users_get(u.access).status == 200
