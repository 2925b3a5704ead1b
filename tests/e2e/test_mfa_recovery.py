"""Recovery codes (contract §8), on both sides (the `side` fixture): a set of
ten made with a code of an active method and shown once, counted by GET,
each accepted once wherever a code of an active method is, its use audited
and mailed, a wrong one counted like any wrong code, and nothing of them in
clear in the database. Every refusal changes nothing (effects.py)."""

import re
from collections import Counter

from conftest import JSONAPI, api, assert_error, db_dump, db_query, doc
from effects import unchanged_for
from mfa_helpers import (CODE_HEADER, D_5901, D_5906, D_5911, LOCKOUT_SECONDS,
                         MAX_FAILURES, SUBJECT_LOCKED, SUBJECT_OFF, _of, assert_204,
                         assert_5900, assert_5901, assert_5911, assert_notification,
                         audit_rows, deactivate, error_code, fresh_code, lockout_row,
                         mail_mark, mails_for, mfa_account, needs_db, one_mail_since,
                         parallel, patch_account, refused, retry_after)
from mfa_helpers import side  # noqa: F401 (fixture)

RECOVERY = "multi-factor-auth-recovery-codes"
REMAINING = "X-MFA-Recovery-Codes-Remaining"
SUBJECT_NEW = "New recovery codes"
SUBJECT_USED = "A recovery code was used"
# 16 Crockford base32 symbols (80 bits) in groups of four.
CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def generate(c, code=None, token=None):
    h = {CODE_HEADER: code} if code is not None else {}
    return api("POST", c.side.path(RECOVERY), doc(RECOVERY, {}),
               token=token or c.access, headers=h)


def status(c):
    r = api("GET", c.side.path(RECOVERY), token=c.access)
    assert r.status == 200, r.describe()
    assert r.json["data"]["type"] == RECOVERY and r.json["data"]["id"] == "mine"
    assert r.json["data"]["links"]["self"].endswith(c.side.path(RECOVERY))
    assert "codes" not in r.json["data"]["attributes"], r.describe()
    return r.json["data"]["attributes"]


def new_set(c):
    """A fresh set made with a fresh mailed code: the ten codes."""
    r = generate(c, fresh_code(c))
    assert r.status == 201, r.describe()
    codes = r.data["attributes"]["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(CODE_RE.match(x) for x in codes), codes
    return codes


def used_slots(c):
    return int(db_query("SELECT COUNT(*) FROM mfa_recovery_codes WHERE %s AND "
                        "used_at <> 0" % _of(c))[0][0])


def test_generate_needs_a_code_of_an_active_method(side):
    needs_db()
    c = mfa_account(side)
    with refused(c, "recovery_codes", "5900"):
        assert_5900(generate(c))
    code = fresh_code(c)
    with refused(c, "recovery_codes", "5901", counted=1):
        assert_5901(generate(c, "000000" if code != "000000" else "111111"))
    mark = mail_mark()
    r = generate(c, code)
    assert r.status == 201, r.describe()
    assert r.headers["Content-Type"] == JSONAPI
    d = r.data
    assert d["type"] == RECOVERY and d["id"] == "mine"
    assert d["links"]["self"].endswith(side.path(RECOVERY))
    a = d["attributes"]
    assert set(a) == {"codes", "remaining", "createdAt"}, a
    assert a["remaining"] == 10 and STAMP_RE.match(a["createdAt"]), a
    assert len(set(a["codes"])) == 10 and all(CODE_RE.match(x) for x in a["codes"])
    assert_notification(one_mail_since(c.mail, mark, SUBJECT_NEW), *a["codes"])
    assert ("recovery_codes", "recovery", "success") in [
        (x["action"], x["method"], x["result"]) for x in audit_rows(c)]
    # Shown once: GET never shows them.
    assert status(c) == {"remaining": 10, "createdAt": a["createdAt"]}


def test_generate_without_an_active_method_is_5906(side):
    needs_db()
    c = side.new_account()
    with refused(c, "recovery_codes", "5906"):
        r = generate(c, "123456")
    assert_error(r, 400, "5906", D_5906)


def test_recovery_code_cannot_make_a_new_set(side):
    """Making a set needs a code of a method, not a recovery code."""
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    with refused(c, "recovery_codes", "5901", counted=1):
        assert_5901(generate(c, codes[0]))


def test_get_counts_and_never_shows_codes(side):
    needs_db()
    c = mfa_account(side)
    assert status(c) == {"remaining": 0, "createdAt": None}
    codes = new_set(c)
    st = status(c)
    assert st["remaining"] == 10 and STAMP_RE.match(st["createdAt"])
    r = patch_account(c, codes[3])
    assert r.status == 200, r.describe()
    assert status(c) == {"remaining": 9, "createdAt": st["createdAt"]}


def test_use_on_a_protected_write(side):
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    mark = mail_mark()
    r = patch_account(c, codes[0], first_name="Recovered")
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["firstName"] == "Recovered"
    assert REMAINING not in r.headers, r.describe()
    assert used_slots(c) == 1
    assert_notification(one_mail_since(c.mail, mark, SUBJECT_USED), *codes)
    rows = [(x["action"], x["method"], x["result"]) for x in audit_rows(c)]
    assert rows[-2:] == [("recovery_use", "recovery", "success"),
                         ("protected", None, "success")], rows
    # Typed loosely: lower case, no dashes, O for 0 and I/L for 1.
    loose = codes[1].lower().replace("-", "").replace("0", "o").replace("1", "l")
    r = patch_account(c, loose, first_name="Again")
    assert r.status == 200, r.describe()
    assert used_slots(c) == 2


def test_same_code_twice_second_refused_and_counted(side):
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    r = patch_account(c, codes[5])
    assert r.status == 200, r.describe()
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, codes[5], first_name="Twice"))
    assert lockout_row(c)[0] == 1


def test_refused_request_leaves_the_code_unused(side):
    """A code the guard let through is spent only if the request succeeds:
    a 422 of the handler leaves it unused, unmailed and unaudited."""
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    bad = {"firstName": ""}
    with unchanged_for(c):
        r = api("PATCH", c.path, doc(side.account_type, bad), token=c.access,
                headers={CODE_HEADER: codes[2]})
    assert r.status == 422, r.describe()
    assert REMAINING not in r.headers
    assert patch_account(c, codes[2]).status == 200


def test_twenty_parallel_requests_one_code_exactly_one_wins(side):
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    n = 20
    with unchanged_for(c, mails=[SUBJECT_USED, SUBJECT_LOCKED],
                       checks={"mfa_lockouts": lambda b, a: [],
                               "mfa_recovery_codes": lambda b, a: [],
                               "account": lambda b, a: []},
                       audit=Counter({
                           ("recovery_use", "success", None): 1,
                           ("protected", "success", None): 1,
                           ("protected", "failure", "5901"): MAX_FAILURES,
                           ("lockout", "failure", "5911"): 1,
                           ("protected", "failure", "5911"): n - 1 - MAX_FAILURES})):
        rs = parallel([{"method": "PATCH", "path": c.path, "token": c.access,
                        "headers": {CODE_HEADER: codes[0]},
                        "body": doc(side.account_type, {"firstName": "Racer%d" % i})}
                       for i in range(n)])
    counts = Counter(error_code(r) for r in rs)
    assert counts == Counter({"200": 1, "5901": MAX_FAILURES,
                              "5911": n - 1 - MAX_FAILURES}), counts
    for r in rs:
        if r.status == 403:
            assert_error(r, 403, "5901", D_5901, header=CODE_HEADER)
        elif r.status == 429:
            assert_error(r, 429, "5911", D_5911)
            assert 1 <= retry_after(r) <= LOCKOUT_SECONDS
    assert used_slots(c) == 1
    assert lockout_row(c)[:2] == (MAX_FAILURES, 1)


def test_regenerate_invalidates_the_old_set(side):
    needs_db()
    c = mfa_account(side)
    old = new_set(c)
    new = new_set(c)
    assert not set(old) & set(new)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, old[0]))
    assert patch_account(c, new[0]).status == 200
    assert status(c)["remaining"] == 9


def test_remaining_header_from_two(side):
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    for i, code in enumerate(codes):
        r = patch_account(c, code, first_name="Use%d" % i)
        assert r.status == 200, r.describe()
        left = 9 - i
        if left <= 2:
            assert r.headers.get(REMAINING) == str(left), r.describe()
        else:
            assert REMAINING not in r.headers, r.describe()
    assert status(c)["remaining"] == 0
    # The set is spent: its codes are wrong codes now.
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, codes[0]))


def test_wrong_recovery_codes_lock_the_account(side):
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    wrong_code = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    assert wrong_code not in codes
    for i in range(MAX_FAILURES - 1):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, wrong_code))
    with refused(c, "protected", "5901", counted=1):     # the 10th locks
        assert_5901(patch_account(c, wrong_code))
    assert lockout_row(c)[:2] == (MAX_FAILURES, 1)
    # Locked: even a right recovery code is 5911, and stays unused; no new
    # set either.
    with refused(c, "protected", "5911"):
        assert_5911(patch_account(c, codes[0]))
    with refused(c, "recovery_codes", "5911"):
        assert_5911(generate(c, "123456"))
    assert used_slots(c) == 0


def test_deactivate_with_a_recovery_code_ends_the_set(side):
    """A recovery code switches a method off (the point of having one); with
    the last active method the set goes."""
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    mark = mail_mark()
    assert_204(deactivate(c, codes[4]))
    subjects = [str(m["Subject"]) for m in mails_for(c.mail, mark)]
    assert sorted(subjects) == sorted([SUBJECT_OFF, SUBJECT_USED]), subjects
    assert status(c) == {"remaining": 0, "createdAt": None}
    assert int(db_query("SELECT COUNT(*) FROM mfa_recovery_codes WHERE "
                        + _of(c))[0][0]) == 0


def test_no_recovery_code_at_rest(side):
    needs_db()
    c = mfa_account(side)
    codes = new_set(c)
    assert patch_account(c, codes[0]).status == 200
    dump = db_dump()
    for x in codes:
        for form in (x, x.replace("-", ""), x.lower(), x.replace("-", "").lower()):
            assert form not in dump, form
    rows = db_query("SELECT code_hash FROM mfa_recovery_codes WHERE %s ORDER BY slot"
                    % _of(c))
    assert len(rows) == 10
    hashes = [r[0] for r in rows]
    assert all(h.startswith("$argon2id$v=19$m=256,t=2,p=1$") for h in hashes), hashes
    assert len(set(hashes)) == 10


def test_parallel_sets_of_many_accounts(side):
    """New sets of several accounts at once (first and second sets): every
    one 201. Replacing a set by DELETE and INSERT deadlocked here, on the
    gap locks of neighbouring accounts' rows."""
    needs_db()
    accounts = [mfa_account(side) for _ in range(6)]
    for round_ in range(2):
        codes = [fresh_code(c) for c in accounts]
        rs = parallel([{"method": "POST", "path": c.side.path(RECOVERY),
                        "token": c.access, "headers": {CODE_HEADER: k},
                        "body": doc(RECOVERY, {})} for c, k in zip(accounts, codes)])
        assert [r.status for r in rs] == [201] * len(accounts), [r.describe() for r in rs]
    for c in accounts:
        assert status(c)["remaining"] == 10
