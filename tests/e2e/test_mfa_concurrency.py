"""Parallel requests against one code and one account (contract §5.1 rule 6):
a code is used at most once, and failures never pass the lockout limit. On
both sides (the `side` fixture)."""

from collections import Counter

from conftest import doc
from effects import diff_rows, server_now, unchanged_for
from mfa_helpers import (ATTEMPTS_PER_CODE, CODE_BLOCKED, CODE_USED, D_5901, D_5911,
                         LOCKOUT_SECONDS, MAX_FAILURES, SUBJECT_LOCKED, code_rows,
                         error_code, fresh_code, lockout_row, mfa_account, needs_db,
                         parallel, retry_after, wrong)
from mfa_helpers import side  # noqa: F401 (fixture)

N_TOKENS = 50
N_WRONG = 200


def check_5901(r):
    assert r.status == 403 and r.json == {"errors": [{
        "status": "403", "code": "5901", "detail": D_5901,
        "source": {"header": "X-MFA-Code"}}]}, r.describe()


def check_5911(r):
    assert r.status == 429 and r.json == {"errors": [{
        "status": "429", "code": "5911", "detail": D_5911}]}, r.describe()
    assert 1 <= retry_after(r) <= LOCKOUT_SECONDS, r.describe()


def locked_once(before, after, units):
    """mfa_lockouts after a parallel run: max_failures counted, locked once,
    from now for lockout_seconds; lock_seq grown by the units of work that
    committed holding the account's lock (a count, a success)."""
    now = server_now()
    exp = {k: dict(r, failures=str(MAX_FAILURES), lockouts="1",
                   lock_seq=str(int(r["lock_seq"]) + units)) for k, r in
           before.items()}
    got = {k: dict(r) for k, r in after.items()}
    for k, r in got.items():
        until = int(r["locked_until"])
        # locked by one of the requests of the run (a minute at most)
        if now - 60 <= until - LOCKOUT_SECONDS <= now:
            r["locked_until"] = exp[k]["locked_until"] if k in exp else "?"
    return diff_rows("mfa_lockouts (locked once)", exp, got)


def before_codes(c):
    from effects import db_id, snapshot
    return snapshot(c.side.name, db_id(c)).tables["mfa_codes"]


def lockout_audit(action_rows):
    rows = Counter(action_rows)
    rows[("lockout", "failure", "5911")] = 1
    return rows


def sign_in_many(c, n):
    """n access tokens of one account (signed in in parallel)."""
    rs = parallel([c.side.sign_in_request(c)] * n)
    tokens = [c.side.access_token_of(r) for r in rs]
    assert len(set(tokens)) == n
    return tokens


def test_one_code_many_tokens_exactly_one_wins(side):
    """50 tokens of one account send the one fresh code at once: exactly one
    200. Every other request is a failed check of that account (another
    token never shares a grace window), so the account locks after
    max_failures of them: max_failures x 5901, the rest 429 5911."""
    needs_db()
    c = mfa_account(side)
    tokens = sign_in_many(c, N_TOKENS)
    code = fresh_code(c)
    live = [k for k, r in before_codes(c).items() if r["state"] == "0"]
    assert len(live) == 1

    def one_used(before, after, _snap):
        """The code used once (grace for the winner's token), nothing else."""
        exp = {k: dict(r) for k, r in before.items()}
        got = {k: dict(r) for k, r in after.items()}
        g = got.get(live[0], {})
        if g.get("state") == "1" and g.get("used_token_hash") and \
                int(g.get("grace_until") or 0) > server_now():
            g = dict(g, used_token_hash=None, grace_until="0", state="0")
            got[live[0]] = g
        return diff_rows("mfa_codes (the code used once)", exp, got)

    def winner_name(before, after, _snap):
        names = {"Racer%d" % i for i in range(N_TOKENS)}
        (k, b), = before.items()
        a = after.get(k, {})
        ok = a.get("first_name") in names and \
            {c for c in a if a[c] != b[c]} <= {"first_name", "updated_at"}
        return [] if ok else ["account: %r -> %r" % (b, a)]

    with unchanged_for(c, mails=[SUBJECT_LOCKED],
                       checks={"mfa_lockouts": lambda b, a: locked_once(
                                   b, a, MAX_FAILURES + 1),
                               "mfa_codes": lambda b, a: one_used(b, a, 0),
                               "account": lambda b, a: winner_name(b, a, 0)},
                       audit=lockout_audit({
                           ("protected", "success", None): 1,
                           ("protected", "failure", "5901"): MAX_FAILURES,
                           ("protected", "failure", "5911"):
                               N_TOKENS - 1 - MAX_FAILURES})):
        rs = parallel([{"method": "PATCH", "path": c.path, "token": t,
                        "headers": {"X-MFA-Code": code},
                        "body": doc(side.account_type,
                                    {"firstName": "Racer%d" % i})}
                       for i, t in enumerate(tokens)])
    counts = Counter(error_code(r) for r in rs)
    assert counts == Counter({"200": 1, "5901": MAX_FAILURES,
                              "5911": N_TOKENS - 1 - MAX_FAILURES}), counts
    for r in rs:
        {"200": lambda r: None, "5901": check_5901,
         "5911": check_5911}[error_code(r)](r)
    assert code_rows(c) == [(CODE_USED, 0), (CODE_USED, 0)]
    assert lockout_row(c)[:2] == (MAX_FAILURES, 1)
    # The winner's change is the one stored.
    winner = [i for i, r in enumerate(rs) if r.status == 200][0]
    assert rs[winner].data["attributes"]["firstName"] == "Racer%d" % winner


def test_parallel_wrong_codes_never_pass_the_limit(side):
    """200 wrong codes at once: exactly max_failures are counted (5901), the
    rest are refused by the lockout (429 5911); the DB holds max_failures."""
    needs_db()
    c = mfa_account(side)
    # A token without a grace window (the first one used the activation
    # code, which one of the guesses might happen to be).
    token = c.login()[0]
    code = fresh_code(c)

    def blocked(rows):
        for r in rows.values():
            if r["state"] == "0":
                r.update(state=str(CODE_BLOCKED), attempts=str(ATTEMPTS_PER_CODE))
        return rows

    with unchanged_for(c, mails=[SUBJECT_LOCKED], changes={"mfa_codes": blocked},
                       checks={"mfa_lockouts": lambda b, a: locked_once(
                           b, a, MAX_FAILURES)},
                       audit=lockout_audit({
                           ("protected", "failure", "5901"): MAX_FAILURES,
                           ("protected", "failure", "5911"):
                               N_WRONG - MAX_FAILURES})):
        rs = parallel([{"method": "PATCH", "path": c.path, "token": token,
                        "headers": {"X-MFA-Code": wrong(code, i + 1)},
                        "body": doc(side.account_type, {"firstName": "Guess"})}
                       for i in range(N_WRONG)])
    counts = Counter(error_code(r) for r in rs)
    assert counts == Counter({"5901": MAX_FAILURES,
                              "5911": N_WRONG - MAX_FAILURES}), counts
    for r in rs:
        (check_5901 if error_code(r) == "5901" else check_5911)(r)
    failures, lockouts, _ = lockout_row(c)
    assert (failures, lockouts) == (MAX_FAILURES, 1)
    # The live code took attempts_per_code tries and is blocked.
    assert (CODE_BLOCKED, 3) in code_rows(c)
