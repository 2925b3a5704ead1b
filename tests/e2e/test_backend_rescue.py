"""POST /backend/customer-multi-factor-auth-type-deactivate (contract §3.3): an
administrator switches off a customer's method, end to end: the customer's
state, the notification mail, the audit row, and every error."""

import contextlib
import os

import pytest

from effects import NO_SUCCESS, unchanged, wrong_code
from conftest import api, assert_error, assert_member, doc, new_customer
from backend_helpers import (BE, CODE_HEADER, D_CUSTOMER_NOT_FOUND, RESCUE,
                             SUBJECT_ADMIN_OFF, VERIFY, activation_code,
                             assert_204, assert_5900, assert_5901,
                             assert_5906, assert_invalid_token, assert_missing_token,
                             assert_notification, audit_rows, enable_mfa,
                             fresh_code, mail_mark, mails_since, max_audit_id,
                             mfa_post, mfa_status, new_user, one_mail_since, rescue,
                             text_of, user_id, wrong)
from conftest import check_allow, db_query

MAX_FAILURES = 10


@pytest.fixture
def admin():
    """A fresh signed-in back-office user (no MFA of its own)."""
    return new_user().signed_in()


def mfa_customer():
    """A fresh signed-in customer with email MFA active."""
    c = new_customer().signed_in()
    enable_mfa(c.access, c.email, prefix="")
    return c


def patch_customer(c, code=None):
    return api("PATCH", c.path, doc("customers", {"firstName": "Changed"}),
               token=c.access, headers={CODE_HEADER: code} if code else None)


def customer_id(c):
    return int(c.ref[len("DE--"):])


def assert_customer_not_found(r):
    assert_error(r, 404, "5907", D_CUSTOMER_NOT_FOUND,
                 pointer="/data/attributes/customerReference")


@contextlib.contextmanager
def refused(c=None, admin=None, audit=(), counted=False):
    """Nothing changed anywhere but `audit` (the rows, in order, whoever's),
    nothing of the customer c's nor of the administrator's (counted: the
    administrator's wrong code, counted)."""
    with unchanged(side="storefront", account_id=None, audit=audit):
        with contextlib.ExitStack() as inner:
            if c is not None:
                inner.enter_context(unchanged(
                    side="storefront", account_id=customer_id(c), mail_to=c.email,
                    own_only=True, audit=NO_SUCCESS))
            if admin is not None:
                i = user_id(admin.username)
                inner.enter_context(unchanged(
                    side="backend", account_id=i, mail_to=admin.username,
                    own_only=True, audit=NO_SUCCESS,
                    changes=wrong_code("backend", i, type_=None) if counted
                    else None))
            yield


def admin_row(code):
    return ("admin_deactivate", "failure", code)


# --------------------------------------------------------------------------
# End to end


def test_rescue_of_a_locked_out_customer(admin, db):
    c = mfa_customer()
    # The customer is locked out: max_failures wrong codes, then 429 5911.
    for _ in range(MAX_FAILURES):
        assert_5901(patch_customer(c, "000000" if _ % 2 else "999999"))
    locked = patch_customer(c, "123456")
    assert_error(locked, 429, "5911", "Too many failed attempts. Please try again later.")

    mark = mail_mark()
    audit_mark = max_audit_id()
    r = rescue(admin.access, c.ref)
    assert_204(r)

    # The customer's method is off, so the customer can write without a code.
    assert mfa_status(c.access, prefix="") == "deactivated"
    g = api("GET", "/multi-factor-auth-types", token=c.access)
    assert g.status == 200 and [i["attributes"]["status"] for i in g.data] == \
        ["deactivated", "deactivated", "deactivated"], g.describe()
    p = patch_customer(c)
    assert p.status == 200, p.describe()

    # The customer was told, without any code in the mail.
    msg = one_mail_since(c.email, mark, SUBJECT_ADMIN_OFF)
    assert_notification(msg)
    assert "administrator" in text_of(msg)
    assert [str(m["Subject"]) for m in mails_since(c.email, mark)] == [SUBJECT_ADMIN_OFF]
    assert not mails_since(admin.username, mark)

    # One audit row names both accounts.
    rows = audit_rows("id > %d AND action = 'admin_deactivate'" % audit_mark)
    assert rows == [{
        "side": "0", "account_id": str(customer_id(c)),
        "actor_id": str(user_id(admin.username)), "action": "admin_deactivate",
        "method": "email", "result": "success", "error_code": None,
        "client_address": "127.0.0.1", "request_id": r.headers["X-Request-Id"],
    }], rows


def test_rescue_of_a_customer_who_lost_the_code(admin, db):
    c = mfa_customer()
    lost = fresh_code(c.access, c.email, prefix="")      # never used
    assert_204(rescue(admin.access, c.ref))
    assert mfa_status(c.access, prefix="") == "deactivated"
    # The outstanding code was invalidated with the method.
    rows = db_query("SELECT state FROM mfa_codes WHERE side = 0 AND account_id = %d"
                    " AND state = 0" % customer_id(c))
    assert rows == [], rows
    # The customer can switch MFA on again from scratch ...
    code = activation_code(c.access, c.email, prefix="")
    assert_204(mfa_post(VERIFY, c.access, code=code, prefix=""))
    assert mfa_status(c.access, prefix="") == "activated"
    # ... and the lost code is worthless.
    assert_5901(patch_customer(c, lost if lost != code else wrong(code)))


def test_rescue_keeps_the_customers_tokens(admin):
    c = mfa_customer()
    assert_204(rescue(admin.access, c.ref))
    assert api("GET", c.path, token=c.access).status == 200


def test_rescue_twice_is_5906(admin):
    c = mfa_customer()
    assert_204(rescue(admin.access, c.ref))
    with refused(c, admin, [admin_row("5906")]):
        assert_5906(rescue(admin.access, c.ref))


def test_failed_rescue_is_audited(admin, db):
    c = new_customer().signed_in()
    mark = max_audit_id()
    with refused(c, admin, [admin_row("5906")]):
        assert_5906(rescue(admin.access, c.ref))
    rows = audit_rows("id > %d AND action = 'admin_deactivate'" % mark)
    assert [(x["side"], x["account_id"], x["actor_id"], x["result"], x["error_code"])
            for x in rows] == [("0", str(customer_id(c)),
                                str(user_id(admin.username)), "failure", "5906")], rows


# --------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("ref", ["DE--999999999", "DE--0", "DE--01", "DE-1", "de--1",
                                 "1", "", "DE--1 ", "DE--99999999999999999999999"])
def test_unknown_customer_is_404_5907(admin, ref):
    # A well-formed reference names an account id, audited; others none.
    audit = [admin_row("5907")] if ref == "DE--999999999" else []
    with refused(None, admin, audit):
        assert_customer_not_found(rescue(admin.access, ref))


def test_method_never_activated_is_5906(admin):
    c = new_customer().signed_in()
    with refused(c, admin, [admin_row("5906")]):
        assert_5906(rescue(admin.access, c.ref))


def test_pending_method_is_5906(admin):
    c = new_customer().signed_in()
    activation_code(c.access, c.email, prefix="")
    with refused(c, admin, [admin_row("5906")]):
        assert_5906(rescue(admin.access, c.ref))
    assert mfa_status(c.access, prefix="") == "activation is pending"


def test_type_not_offered_is_5906(admin):
    c = mfa_customer()
    with refused(c, admin, [admin_row("5906")]):
        assert_5906(rescue(admin.access, c.ref, type_="sms"))
    assert mfa_status(c.access, prefix="") == "activated"


# --------------------------------------------------------------------------
# No type: every active method (contract §10.7)


@pytest.fixture
def clk(clock):
    from test_mfa_totp import Clock
    return Clock(clock)


def customer_acct(c):
    """The mfa_helpers Account of a conftest customer."""
    from mfa_helpers import STOREFRONT
    a = STOREFRONT.account(c.email, access=c.access)
    a.password, a.id = c.password, c.ref
    return a


def method_rows(c):
    return sorted((t, int(st)) for t, st in db_query(
        "SELECT type, status FROM mfa_methods WHERE side = 0 AND account_id = %d"
        % customer_id(c)))


def outbox_rows(c):
    return db_query("SELECT notice FROM mail_outbox WHERE side = 0 AND account_id = %d"
                    % customer_id(c))


NO_TYPE = [
    {},                     # absent
    {"type": None},
    {"type": ""},
]


@pytest.mark.parametrize("extra", NO_TYPE, ids=["absent", "null", "empty"])
def test_rescue_without_type_switches_off_every_method(admin, clk, extra):
    from test_mfa_totp import enrol, totp_row
    c = mfa_customer()
    a = customer_acct(c)
    app = enrol(a, clk, code=fresh_code(c.access, c.email, prefix=""))
    lost = fresh_code(c.access, c.email, prefix="")          # a live code
    # A recovery set, made with an app code, and some failures counted.
    rec = api("POST", "/multi-factor-auth-recovery-codes",
              doc("multi-factor-auth-recovery-codes", {}), token=c.access,
              headers={CODE_HEADER: app.code()})
    assert rec.status == 201, rec.describe()
    assert_5901(patch_customer(c, wrong(lost)))
    assert method_rows(c) == [("email", 2), ("totp", 2)]
    assert db_query("SELECT failures FROM mfa_lockouts WHERE side = 0 AND "
                    "account_id = %d" % customer_id(c)) == [["1"]]
    mark = mail_mark()
    audit_mark = max_audit_id()
    r = rescue(admin.access, None, attrs=dict({"customerReference": c.ref}, **extra))
    assert_204(r)
    # Every method off, with what hangs on it: codes, the app's secret, the
    # recovery set, the failure count.
    assert method_rows(c) == [("email", 0), ("totp", 0)]
    assert db_query("SELECT COUNT(*) FROM mfa_codes WHERE side = 0 AND account_id = %d"
                    " AND state = 0" % customer_id(c)) == [["0"]]
    assert totp_row(a) is None
    assert db_query("SELECT COUNT(*) FROM mfa_recovery_codes WHERE side = 0 AND "
                    "account_id = %d" % customer_id(c)) == [["0"]]
    assert db_query("SELECT failures, lockouts, locked_until FROM mfa_lockouts "
                    "WHERE side = 0 AND account_id = %d" % customer_id(c)) in (
        [], [["0", "0", "0"]])
    # One audit row per method, both naming the administrator, one request.
    rows = audit_rows("id > %d" % audit_mark)
    want = {
        "side": "0", "account_id": str(customer_id(c)),
        "actor_id": str(user_id(admin.username)), "action": "admin_deactivate",
        "result": "success", "error_code": None,
        "client_address": "127.0.0.1", "request_id": r.headers["X-Request-Id"],
    }
    assert sorted(rows, key=lambda x: x["method"]) == [
        dict(want, method="email"), dict(want, method="totp")], rows
    # One notification, through the outbox (handed over after the commit).
    msg = one_mail_since(c.email, mark, SUBJECT_ADMIN_OFF)
    assert_notification(msg, lost)
    assert [str(m["Subject"]) for m in mails_since(c.email, mark)] == [SUBJECT_ADMIN_OFF]
    assert not mails_since(admin.username, mark)
    assert outbox_rows(c) == []
    # The customer writes without a code; the old codes are worthless.
    p = patch_customer(c)
    assert p.status == 200, p.describe()
    g = api("GET", "/multi-factor-auth-types", token=c.access)
    assert [i["attributes"]["status"] for i in g.data] == ["deactivated"] * 3


def test_rescue_without_type_leaves_a_pending_method(admin):
    c = mfa_customer()
    a = customer_acct(c)
    # totp pending (activation started with the e-mail code, not verified).
    from mfa_helpers import activate
    r = activate(a, type_="totp", code=fresh_code(c.access, c.email, prefix=""))
    assert r.status == 200, r.describe()
    mark = mail_mark()
    audit_mark = max_audit_id()
    assert_204(rescue(admin.access, None, attrs={"customerReference": c.ref}))
    assert method_rows(c) == [("email", 0), ("totp", 1)]
    rows = audit_rows("id > %d" % audit_mark)
    assert [(x["action"], x["method"], x["result"]) for x in rows] == [
        ("admin_deactivate", "email", "success")], rows
    assert [str(m["Subject"]) for m in mails_since(c.email, mark)] == [SUBJECT_ADMIN_OFF]


@pytest.mark.parametrize("extra", NO_TYPE, ids=["absent", "null", "empty"])
def test_rescue_without_type_of_a_customer_without_active_method_is_5906(admin, extra):
    c = new_customer().signed_in()
    activation_code(c.access, c.email, prefix="")        # pending only
    with refused(c, admin, [admin_row("5906")]):
        r = rescue(admin.access, None, attrs=dict({"customerReference": c.ref}, **extra))
    assert_error(r, 400, "5906", "Multi-factor authentication type is not found.",
                 pointer="/data/attributes/type")
    assert mfa_status(c.access, prefix="") == "activation is pending"


def test_rescue_without_type_twice_is_5906(admin, db):
    c = mfa_customer()
    assert_204(rescue(admin.access, None, attrs={"customerReference": c.ref}))
    mark = max_audit_id()
    with refused(c, admin, [admin_row("5906")]):
        assert_5906(rescue(admin.access, None, attrs={"customerReference": c.ref}))
    rows = audit_rows("id > %d" % mark)
    assert [(x["account_id"], x["actor_id"], x["method"], x["error_code"])
            for x in rows] == [(str(customer_id(c)), str(user_id(admin.username)),
                                None, "5906")], rows


@pytest.mark.parametrize("attrs", [
    {"customerReference": "DE--999999999"},
    {"customerReference": "DE--999999999", "type": ""},
    {"customerReference": "nonsense", "type": None},
    {"customerReference": "", "type": ""},
])
def test_rescue_without_type_of_an_unknown_customer_is_404_5907(admin, attrs):
    audit = [admin_row("5907")] if attrs["customerReference"] == "DE--999999999" else []
    with refused(None, admin, audit):
        assert_customer_not_found(rescue(admin.access, None, attrs=attrs))


@pytest.mark.parametrize("attrs", [
    {"type": "email"},
    {"customerReference": None, "type": "email"},
    {},
    {"customerReference": 1, "type": "email"},
    {"customerReference": ["DE--1"], "type": "email"},
])
def test_customer_reference_missing_or_not_a_string_is_400_101(admin, attrs):
    with refused(None, admin):
        assert_member(rescue(admin.access, None, attrs=attrs),
                      "/data/attributes/customerReference")


def test_type_not_a_string_is_400_101(admin):
    with refused(None, admin):
        assert_member(rescue(admin.access, None,
                             attrs={"customerReference": "DE--1", "type": 1}),
                      "/data/attributes/type")


def test_wrong_resource_type_is_409(admin):
    with refused(None, admin):
        r = api("POST", BE + "/" + RESCUE, doc("multi-factor-auth-type-deactivate", {
            "customerReference": "DE--1", "type": "email"}), token=admin.access)
    assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                 pointer="/data/type")


def test_only_post_is_served(admin):
    with refused(None, admin):
        r = api("GET", BE + "/" + RESCUE, token=admin.access)
    assert_error(r, 405, "104", "Method not allowed.")
    check_allow(r, ["POST"])


def test_no_token_or_bad_token(admin):
    c = mfa_customer()
    with refused(c, admin):
        assert_missing_token(rescue(None, c.ref))
        assert_invalid_token(rescue("x" * 43, c.ref))
        assert_invalid_token(rescue(c.access, c.ref))       # a customer's token
    assert mfa_status(c.access, prefix="") == "activated"


def test_not_on_the_storefront(admin):
    c = mfa_customer()
    with refused(c, admin):
        r = api("POST", "/" + RESCUE, doc(RESCUE, {"customerReference": c.ref,
                                                   "type": "email"}),
                token=c.access, check=False)
    assert r.status == 404, r.describe()
    assert mfa_status(c.access, prefix="") == "activated"


# --------------------------------------------------------------------------
# The administrator's own MFA protects the rescue


def test_admin_with_mfa_needs_a_code(admin):
    enable_mfa(admin.access, admin.username)
    c = mfa_customer()
    with refused(c, admin, [("protected", "failure", "5900")]):
        assert_5900(rescue(admin.access, c.ref))
    assert mfa_status(c.access, prefix="") == "activated"
    code = fresh_code(admin.access, admin.username)
    with refused(c, admin, [("protected", "failure", "5901")], counted=True):
        assert_5901(rescue(admin.access, c.ref, code=wrong(code)))
    assert mfa_status(c.access, prefix="") == "activated"
    # The customer's own code is no good for the administrator.
    customer_code = fresh_code(c.access, c.email, prefix="")
    with refused(c, admin, [("protected", "failure", "5901")], counted=True):
        assert_5901(rescue(admin.access, c.ref, code=customer_code))
    assert_204(rescue(admin.access, c.ref, code=code))
    assert mfa_status(c.access, prefix="") == "deactivated"
    assert mfa_status(admin.access) == "activated"


def test_rescue_without_type_killed_before_commit_changes_nothing(admin, clk):
    """The fault point rescue-stored (contract §9.3): killed after every
    method's change, row and the notice are written, before the commit:
    nothing of it stays; the retry does it all once."""
    from conftest import instance_sets
    from test_fault_outbox import FAULT, killed
    from test_mfa_totp import enrol
    if not instance_sets("test_fault_file"):
        pytest.skip("instance has no test_fault_file")
    c = mfa_customer()
    enrol(customer_acct(c), clk, code=fresh_code(c.access, c.email, prefix=""))
    mark = mail_mark()
    audit_mark = max_audit_id()
    body = doc(RESCUE, {"customerReference": c.ref})
    try:
        killed("rescue-stored", lambda: api("POST", BE + "/" + RESCUE, body,
                                            token=admin.access, check=False))
    finally:
        if os.path.exists(FAULT):
            os.unlink(FAULT)
    assert method_rows(c) == [("email", 2), ("totp", 2)]
    assert audit_rows("id > %d AND action = 'admin_deactivate'" % audit_mark) == []
    assert outbox_rows(c) == [] and mails_since(c.email, mark) == []
    assert_204(rescue(admin.access, None, attrs={"customerReference": c.ref}))
    assert method_rows(c) == [("email", 0), ("totp", 0)]
    rows = audit_rows("id > %d AND action = 'admin_deactivate'" % audit_mark)
    assert sorted(x["method"] for x in rows) == ["email", "totp"], rows
    assert [str(m["Subject"]) for m in mails_since(c.email, mark)] == [SUBJECT_ADMIN_OFF]
