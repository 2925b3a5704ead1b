"""Protected resources (contract §4.3) and the code rules of contract §5: the whole
flow, grace windows, expiry, per-code attempts, lockout. On both sides (the
`side` and `account` fixtures; the protected write is a PATCH of the
account's own resource); the Storefront's other protected resources here,
the Backend's in test_backend_mfa.py."""

from conftest import (address_attrs, api, assert_invalid_token, assert_missing_token,
                      assert_unauthorized, customer_attrs, doc)
from mfa_helpers import (ACTIVATED, ATTEMPTS_PER_CODE, CODE_BLOCKED, CODE_SUBJECT,
                         CODE_LIVE, CODE_TTL, DAILY_SEND_CAP, DEACTIVATED,
                         GRACE_PERIOD,
                         LOCKOUT_SECONDS,
                         MAX_FAILURES, PENDING, STOREFRONT, SUBJECT_OFF, SUBJECT_ON,
                         activate, assert_204, assert_5900, assert_5901, assert_5911,
                         assert_notification, audit_rows, code_in, code_rows,
                         deactivate, enable_mfa, fresh_code, lockout_row, mail_mark,
                         mails_for, mfa_account, needs_db, one_mail_since,
                         patch_account, refused, status_of, text_of, verify,
                         wrong)
from mfa_helpers import account, side  # noqa: F401 (fixtures)


def assert_200(r):
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# 2. The whole flow


def test_flow_activate_verify_protect_deactivate(account):
    c = account
    # Not protected yet.
    assert_200(patch_account(c, first_name="Before"))
    # activate: a code goes to the account's address.
    mark = mail_mark()
    assert_204(activate(c))
    assert status_of(c) == PENDING
    msg = one_mail_since(c.mail, mark, CODE_SUBJECT)
    code = code_in(msg)
    assert "proceed with your request" in text_of(msg)
    assert "ignore" in text_of(msg).lower()
    # Pending is not active: writes still need no code.
    assert_200(patch_account(c, first_name="Pending"))
    with refused(c, "verify", "5901", counted=1):
        assert_5901(verify(c, wrong(code)))
    mark = mail_mark()
    assert_204(verify(c, code))
    assert status_of(c) == ACTIVATED
    assert_notification(one_mail_since(c.mail, mark, SUBJECT_ON), code)
    # Now protected: no header, a malformed and a wrong code, the right
    # (triggered) code.
    with refused(c, "protected", "5900"):
        assert_5900(patch_account(c, first_name="NoHeader"))
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, "abc", first_name="Malformed"))
    t = fresh_code(c)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, wrong(t), first_name="Wrong"))
    r = patch_account(c, t, first_name="WithCode")
    assert_200(r)
    assert r.data["attributes"]["firstName"] == "WithCode"
    # Refused writes changed nothing.
    g = api("GET", c.path, token=c.access)
    assert_200(g)
    assert g.data["attributes"]["firstName"] == "WithCode"
    # Deactivate with a triggered code.
    off = fresh_code(c)
    mark = mail_mark()
    assert_204(deactivate(c, off))
    assert status_of(c) == DEACTIVATED
    assert_notification(one_mail_since(c.mail, mark, SUBJECT_OFF), off)
    assert_200(patch_account(c, first_name="After"))


def test_empty_header_is_5900(account):
    enable_mfa(account)
    with refused(account, "protected", "5900"):
        assert_5900(patch_account(account, ""))


def test_reads_are_not_protected(side):
    c = mfa_account(side)
    for path in side.reads(c):
        assert_200(api("GET", path, token=c.access))


def test_another_accounts_code_is_5901(side):
    c = mfa_account(side)
    other = mfa_account(side)
    theirs = fresh_code(other)
    with refused(c, "protected", "5901", counted=1), refused(other, own_only=True):
        assert_5901(patch_account(c, theirs))
    assert_200(patch_account(other, theirs))


def test_token_checks_come_before_mfa(side):
    c = mfa_account(side)
    body = doc(side.account_type, {"firstName": "X"})
    with refused(c):
        assert_missing_token(api("PATCH", c.path, body))
        assert_invalid_token(api("PATCH", c.path, body, token="y" * 43,
                                 headers={"X-MFA-Code": "123456"}))


# Storefront only: its other protected resources.


def test_registration_is_not_protected():
    mfa_account(STOREFRONT)
    r = api("POST", "/customers", doc("customers", customer_attrs()))
    assert r.status == 201, r.describe()


def test_customer_password_is_protected():
    c = mfa_account(STOREFRONT)
    body = doc("customer-password", {"password": c.password,
                                     "newPassword": "another-Passw0rd",
                                     "confirmPassword": "another-Passw0rd"})
    path = "/customer-password/" + c.id
    with refused(c, "protected", "5900"):
        assert_5900(api("PATCH", path, body, token=c.access))
    code = fresh_code(c)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(api("PATCH", path, body, token=c.access,
                        headers={"X-MFA-Code": wrong(code)}))
    r = api("PATCH", path, body, token=c.access, headers={"X-MFA-Code": code})
    assert r.status == 204, r.describe()


def test_addresses_are_protected():
    c = mfa_account(STOREFRONT)
    coll = "/customers/%s/addresses" % c.id
    body = doc("addresses", address_attrs())
    with refused(c, "protected", "5900"):
        assert_5900(api("POST", coll, body, token=c.access))
    code = fresh_code(c)
    r = api("POST", coll, body, token=c.access, headers={"X-MFA-Code": code})
    assert r.status == 201, r.describe()
    one = coll + "/" + r.data["id"]
    # Other tokens have no grace: each write of theirs needs its own code.
    t2 = c.login()[0]
    with refused(c, audit=[("protected", "failure", "5900")] * 2):
        assert_5900(api("PATCH", one, doc("addresses", {"city": "Hamburg"}),
                        token=t2))
        assert_5900(api("DELETE", one, token=t2))
    with refused(c, "protected", "5901", counted=1):
        assert_5901(api("DELETE", one, token=t2, headers={"X-MFA-Code": code}))
    code2 = fresh_code(c)
    r = api("DELETE", one, token=t2, headers={"X-MFA-Code": code2})
    assert r.status == 204, r.describe()


def test_delete_customer_is_protected():
    c = mfa_account(STOREFRONT)
    with refused(c, "protected", "5900"):
        assert_5900(api("DELETE", c.path, token=c.access))
    assert_200(api("GET", c.path, token=c.access))
    r = api("DELETE", c.path, token=c.access, headers={"X-MFA-Code": fresh_code(c)})
    assert r.status == 204, r.describe()


# --------------------------------------------------------------------------
# 3. Grace: same token and same code pass again within grace_period


def test_grace_same_token_same_code(side, clock):
    c = mfa_account(side)
    other = c.login()[0]
    code = fresh_code(c)
    assert_200(patch_account(c, code, first_name="One"))
    assert_200(patch_account(c, code, first_name="Two"))
    # Another token of the same account never benefits.
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, code, token=other))
    clock(GRACE_PERIOD - 10)
    assert_200(patch_account(c, code, first_name="Three"))
    # After the window: refused.
    clock(GRACE_PERIOD + 1)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, code, first_name="Four"))


def test_grace_survives_a_newer_code(side):
    c = mfa_account(side)
    code = fresh_code(c)
    assert_200(patch_account(c, code))
    newer = fresh_code(c)        # allowed at once: the previous code is used
    assert_200(patch_account(c, code))
    assert_200(patch_account(c, newer))
    assert_200(patch_account(c, code))
    assert_200(patch_account(c, newer))


def test_another_customers_path_is_refused_before_the_guard():
    """Authorization (the path names the caller) comes before the MFA guard:
    a protected write naming another customer, sent with the caller's own
    valid code, answers 403 411 and leaves the code live, the lockout and
    the audit trail as they were; the code then works once."""
    needs_db()
    c = mfa_account(STOREFRONT)
    other = STOREFRONT.new_account()
    code = fresh_code(c)
    codes, audit, lock = code_rows(c), audit_rows(c), lockout_row(c)
    assert (CODE_LIVE, 0) in codes
    for method, path, body in (
            ("PATCH", other.path, doc("customers", {"firstName": "Taken"})),
            ("DELETE", other.path, None),
            ("POST", other.path + "/addresses", doc("addresses", address_attrs())),
            ("PATCH", "/customer-password/" + other.path.rsplit("/", 1)[1],
             doc("customer-password", {"password": "x", "newPassword": "y" * 12,
                                       "confirmPassword": "y" * 12}))):
        assert_unauthorized(api(method, path, body, token=c.access,
                                headers={"X-MFA-Code": code}))
    assert code_rows(c) == codes
    assert audit_rows(c) == audit
    assert lockout_row(c) == lock
    assert_200(patch_account(c, code, first_name="Mine"))


# MAX_GRACE_WINDOWS in src/glue.h: the windows one token keeps open at once.
MAX_GRACE_WINDOWS = 16


def test_grace_windows_are_bounded_newest_kept(side, clock):
    """One token using more codes than MAX_GRACE_WINDOWS within grace_period
    never gets an error (it once got 500 111 after about 12: the windows
    overflowed a text buffer): the newest MAX_GRACE_WINDOWS still pass, the
    oldest window is dropped.  Each code is used a second apart, so "newest"
    is well defined."""
    assert 1 + MAX_GRACE_WINDOWS + 1 <= DAILY_SEND_CAP
    assert MAX_GRACE_WINDOWS + 1 < GRACE_PERIOD
    c = mfa_account(side)
    codes = []
    for i in range(MAX_GRACE_WINDOWS + 1):
        clock(i + 1)
        code = fresh_code(c)
        assert_200(patch_account(c, code, first_name="Use%d" % i))
        codes.append(code)
    clock(MAX_GRACE_WINDOWS + 2)
    for i, code in enumerate(codes[1:]):
        assert_200(patch_account(c, code, first_name="Again%d" % i))
    assert_5901(patch_account(c, codes[0], first_name="Dropped"))
    g = api("GET", c.path, token=c.access)
    assert_200(g)
    assert g.data["attributes"]["firstName"] == "Again%d" % (MAX_GRACE_WINDOWS - 1)


def test_deactivation_ends_the_window(side):
    c = mfa_account(side)
    code = fresh_code(c)
    assert_200(patch_account(c, code))
    assert_204(deactivate(c, fresh_code(c)))
    # Switch it on again (fresh activation code); the old window stays closed.
    enable_mfa(c)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, code))


def test_revoked_token_ends_the_window(side):
    """A revoked token's window is gone with it (Storefront: sign-out;
    Backend: an administrator sets the user's password)."""
    c = mfa_account(side)
    code = fresh_code(c)
    assert_200(patch_account(c, code))
    side.revoke_tokens(c)
    with refused(c):
        assert_invalid_token(patch_account(c, code))


# --------------------------------------------------------------------------
# 4. Expiry and per-code attempts


def test_code_expires_after_code_ttl(side, clock):
    c = mfa_account(side)
    code = fresh_code(c)
    clock(CODE_TTL + 1)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, code))


def test_code_valid_just_before_code_ttl(side, clock):
    c = mfa_account(side)
    code = fresh_code(c)
    clock(CODE_TTL - 10)
    assert_200(patch_account(c, code))


def test_code_blocked_after_attempts_per_code(side):
    needs_db()
    c = mfa_account(side)
    code = fresh_code(c)
    for i in range(ATTEMPTS_PER_CODE):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, wrong(code, i + 1)))
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, code))
    assert (CODE_BLOCKED, ATTEMPTS_PER_CODE) in code_rows(c)


def test_code_still_good_one_attempt_before_the_limit(side):
    c = mfa_account(side)
    code = fresh_code(c)
    for i in range(ATTEMPTS_PER_CODE - 1):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, wrong(code, i + 1)))
    assert_200(patch_account(c, code))


# --------------------------------------------------------------------------
# 5. Lockout


def test_lockout_doubling_and_reset(side, clock):
    needs_db()
    c = mfa_account(side)
    code = fresh_code(c)
    mark = mail_mark()
    for i in range(MAX_FAILURES):
        # The failure that reaches the limit is still answered 5901.
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, wrong(code, i + 1)))
    fails, lockouts, until = lockout_row(c)
    assert (fails, lockouts) == (MAX_FAILURES, 1)
    # From the next check on, while locked: 429 5911, even the right code.
    fresh = fresh_code(c)                   # the old code is blocked: no cool-down
    with refused(c, audit=[("protected", "failure", "5911")] * 2
                 + [("protected", "failure", "5900")]):
        ra = assert_5911(patch_account(c, fresh), lo=LOCKOUT_SECONDS - 10,
                         hi=LOCKOUT_SECONDS)
        assert_5911(patch_account(c, wrong(fresh)), lo=ra - 5, hi=ra)
        assert_5900(patch_account(c))      # no header: 5900 comes first
    assert lockout_row(c)[0] == MAX_FAILURES           # refusals while locked don't count
    # One notification of the lockout, without a code.
    locked = [m for m in mails_for(c.mail, mark)
              if str(m["Subject"]) != "Verification Code for Secure Access"]
    assert len(locked) == 1, [str(m["Subject"]) for m in locked]
    assert_notification(locked[0], code, fresh)
    # The lockout is audited.
    rows = [a for a in audit_rows(c) if a["action"] == "lockout"]
    assert len(rows) == 1 and rows[0]["result"] == "failure" \
        and rows[0]["error_code"] == "5911", rows
    # After the lockout: the next wrong code locks again, twice as long.
    clock(LOCKOUT_SECONDS + 1)
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, wrong(fresh)))
    assert lockout_row(c)[:2] == (MAX_FAILURES + 1, 2)
    with refused(c, "protected", "5911"):
        assert_5911(patch_account(c, fresh), lo=2 * LOCKOUT_SECONDS - 10,
                    hi=2 * LOCKOUT_SECONDS)
    # After that one: a success resets everything.
    clock(LOCKOUT_SECONDS + 1 + 2 * LOCKOUT_SECONDS + 1)
    token = c.login()[0]
    last = fresh_code(c, token=token)       # `fresh` expired meanwhile
    assert_200(patch_account(c, last, token=token))
    assert lockout_row(c) == (0, 0, 0)
    # And the count starts again from zero.
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, wrong(last), token=token))
    assert lockout_row(c)[:2] == (1, 0)


def test_max_failures_minus_one_then_success_passes(side):
    """Boundary: max_failures - 1 wrong codes do not lock; a success resets."""
    needs_db()
    c = mfa_account(side)          # no live code: failures count per account only
    for i in range(MAX_FAILURES - 1):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, "%06d" % i))
    assert lockout_row(c)[:2] == (MAX_FAILURES - 1, 0)
    code = fresh_code(c)
    assert_200(patch_account(c, code))
    assert lockout_row(c) == (0, 0, 0)


def test_max_failures_exactly_locks(side):
    needs_db()
    c = mfa_account(side)
    for i in range(MAX_FAILURES):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, "%06d" % i))
    code = fresh_code(c)
    with refused(c, "protected", "5911"):
        assert_5911(patch_account(c, code), lo=LOCKOUT_SECONDS - 10,
                    hi=LOCKOUT_SECONDS)


def test_a_new_code_does_not_reset_the_count(side):
    needs_db()
    c = mfa_account(side)
    for i in range(MAX_FAILURES - 1):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, "%06d" % i))
    code = fresh_code(c)
    assert lockout_row(c)[0] == MAX_FAILURES - 1
    with refused(c, "protected", "5901", counted=1):
        assert_5901(patch_account(c, wrong(code)))
    with refused(c, "protected", "5911"):
        assert_5911(patch_account(c, code), lo=LOCKOUT_SECONDS - 10,
                    hi=LOCKOUT_SECONDS)


def test_failures_count_across_resources(side):
    """Consecutive failures count per account, whatever the resource."""
    c = mfa_account(side)
    code = fresh_code(c)
    half = MAX_FAILURES // 2
    for i in range(half):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, wrong(code, i + 1)))
    for i in range(MAX_FAILURES - half):
        with refused(c, "deactivate", "5901", counted=1):
            assert_5901(deactivate(c, wrong(code, 100 + i)))
    with refused(c, "deactivate", "5911"):
        assert_5911(deactivate(c, code), lo=LOCKOUT_SECONDS - 10,
                    hi=LOCKOUT_SECONDS)
    assert status_of(c) == ACTIVATED


def test_lockout_is_per_account(side):
    a = mfa_account(side)
    b = mfa_account(side)
    for i in range(MAX_FAILURES):
        with refused(a, "protected", "5901", counted=1), refused(b, own_only=True):
            assert_5901(patch_account(a, "%06d" % i))
    assert_200(patch_account(b, fresh_code(b)))


def test_lockout_doubles_up_to_one_hour(side, clock):
    """300, 600, 1200, 2400, then capped at 3600 s (contract §5.2)."""
    c = mfa_account(side)
    for i in range(MAX_FAILURES):
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, "%06d" % i))
    offset, length = 0, LOCKOUT_SECONDS
    for expect in (2 * LOCKOUT_SECONDS, 4 * LOCKOUT_SECONDS, 8 * LOCKOUT_SECONDS,
                   3600, 3600):
        offset += length + 1
        clock(offset)
        with refused(c, "protected", "5901", counted=1):
            assert_5901(patch_account(c, "%06d" % (offset % 1000000)))
        with refused(c, "protected", "5911"):
            assert_5911(patch_account(c, "000000"), lo=expect - 10, hi=expect)
        length = expect
