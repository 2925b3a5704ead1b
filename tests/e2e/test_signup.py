"""Sign-up throttled and confirmed (contract §3.2, §5.3): the sign-up limits
per client address and over all addresses at their boundary, counted
atomically and before any password hashing; customer e-mail confirmation on
(programs run as CGI with a configuration of the test's own, cgi_helpers)
and off (the test instance); no code mail to an unconfirmed address; the
daily cap of code mails per recipient address across accounts.  Every
refusal changes nothing (effects.unchanged)."""

import collections
import concurrent.futures
import hashlib
import os
import re
import uuid

import pytest

from cgi_helpers import conf_with, run
from conftest import (INSTANCE, api, assert_error, customer_attrs, db_dump, db_query, doc,
                      login, new_customer)
from effects import login_failure_counted, unchanged
from mfa_helpers import (ACTIVATE, TRIGGER, D_5912, assert_204, enable_mfa,
                         mail_mark, mails_for, needs_db, one_mail_since, text_of)
from mfa_helpers import STOREFRONT, BACKEND, Account

D_114 = "Too many sign-ups. Please try again later."
D_423 = "This email confirmation code is invalid or has been already used."
D_425 = "The customer's email address is not confirmed."
KEY_SUBJECT = "Please confirm your e-mail address"
KEY_RE = re.compile(r"Your registration key is: ([A-Za-z0-9_-]{43})\s")


def address():
    """A client address of this test alone (documentation range, RFC 3849)."""
    return "2001:db8::%x:%x" % (uuid.uuid4().int & 0xffff, uuid.uuid4().int & 0xffff)


def sign_up(conf, addr, **over):
    attrs = customer_attrs(**over)
    return run(conf, "POST", "/customers", doc("customers", attrs),
               remote_addr=addr), attrs


def customer_row(email):
    rows = db_query("SELECT id, confirmed_at IS NULL, HEX(registration_key_hash),"
                    " registration_key_expires - created_at FROM customers"
                    " WHERE email = '%s'" % email)
    assert len(rows) == 1, rows
    return rows[0]


def assert_429_114(r, lo, hi):
    assert r.status == 429, r.describe()
    assert r.json == {"errors": [{"status": "429", "code": "114", "detail": D_114}]}
    assert lo <= int(r.headers["retry-after"]) <= hi, r.headers


def assert_cgi_error(r, status, code, detail):
    assert r.status == status, r.describe()
    assert r.json == {"errors": [{"status": str(status), "code": code,
                                  "detail": detail}]}, r.describe()


@pytest.fixture
def db_ready():
    needs_db()


# --------------------------------------------------------------------------
# Limits


def test_signup_limit_per_address_at_its_boundary(tmp_path, db_ready):
    conf = conf_with(tmp_path, signup_limit_per_address=3)
    addr = address()
    for _ in range(3):
        r, _ = sign_up(conf, addr)
        assert r.status == 201, r.describe()
    with unchanged(side="storefront", account_id=None):
        r, attrs = sign_up(conf, addr)
        assert_429_114(r, 3590, 3600)
    assert db_query("SELECT COUNT(*) FROM customers WHERE email = '%s'"
                    % attrs["email"]) == [["0"]]
    # The existence probe is limited too: 429, not 422 400 "already exists".
    with unchanged(side="storefront", account_id=None):
        r, _ = sign_up(conf, addr, email="sonia@example.com")
        assert_429_114(r, 3590, 3600)
    # Another address is not held back.
    r, _ = sign_up(conf, address())
    assert r.status == 201, r.describe()


def test_an_invalid_signup_is_not_counted(tmp_path, db_ready):
    """An invalid sign-up (422) is answered before the limit and does not
    count against it."""
    conf = conf_with(tmp_path, signup_limit_per_address=1)
    addr = address()
    with unchanged(side="storefront", account_id=None):
        r, _ = sign_up(conf, addr, confirmPassword="other-Passw0rd")
        assert r.status == 422, r.describe()
    r, _ = sign_up(conf, addr)
    assert r.status == 201, r.describe()
    with unchanged(side="storefront", account_id=None):
        r, _ = sign_up(conf, addr)
        assert_429_114(r, 3590, 3600)


@pytest.fixture
def future_windows():
    """The global test moves the clock: its counter rows are removed after."""
    q = "DELETE FROM signup_limits WHERE window_start > UNIX_TIMESTAMP() + 3600"
    db_query(q)
    yield
    db_query(q)


def test_signup_limit_global_at_its_boundary(tmp_path, db_ready, clock, future_windows):
    clock(400 * 86400)                  # a minute of our own: a fresh window
    conf = conf_with(tmp_path, signup_limit_global=3)
    for _ in range(3):
        r, _ = sign_up(conf, address())
        assert r.status == 201, r.describe()
    with unchanged(side="storefront", account_id=None):
        r, _ = sign_up(conf, address())
        assert_429_114(r, 50, 60)
    # A minute later the window starts again.
    clock(400 * 86400 + 61)
    r, _ = sign_up(conf, address())
    assert r.status == 201, r.describe()


def instance_setting(key):
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        for ln in f:
            k, _, v = ln.partition("=")
            if k.strip() == key:
                return v.strip()
    return None


def scope_hash(kind, value):
    """The programs' keyed hash of a limit scope (src/crypto.c keyed_hash)."""
    with open(os.path.join(INSTANCE, "secret.key")) as f:
        secret = bytes.fromhex(f.read().strip())
    return hashlib.blake2b(kind.encode() + b"\0" + value.encode(), key=secret,
                           digest_size=32).hexdigest()


def test_signup_limit_through_the_web_server(db_ready):
    """The test instance's own limit (5000 an hour from one address), reached
    by setting its counter for the local client address: the next sign-up
    through the web server is 429 114."""
    limit = int(instance_setting("signup_limit_per_address"))
    h = scope_hash("signup-address", "127.0.0.1")
    db_query("INSERT INTO signup_limits VALUES (X'%s', %d, UNIX_TIMESTAMP())"
             " ON DUPLICATE KEY UPDATE hits = %d, window_start = UNIX_TIMESTAMP()"
             % (h, limit, limit))
    try:
        with unchanged(side="storefront", account_id=None):
            r = api("POST", "/customers", doc("customers", customer_attrs()))
            assert_error(r, 429, "114", D_114)
            assert 3590 <= int(r.headers["Retry-After"]) <= 3600, r.headers
    finally:
        db_query("DELETE FROM signup_limits WHERE scope = X'%s'" % h)
    r = api("POST", "/customers", doc("customers", customer_attrs()))
    assert r.status == 201, r.describe()


def test_parallel_signups_cannot_pass_the_limit(tmp_path, db_ready):
    conf = conf_with(tmp_path, signup_limit_per_address=4)
    addr = address()
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        answers = list(ex.map(lambda _: sign_up(conf, addr)[0], range(10)))
    statuses = sorted(a.status for a in answers)
    assert statuses == [201] * 4 + [429] * 6, [a.describe() for a in answers]


# --------------------------------------------------------------------------
# Confirmation on


def key_of(email, mark):
    m = one_mail_since(email, mark, KEY_SUBJECT)
    k = KEY_RE.search(text_of(m))
    assert k, text_of(m)
    return k.group(1)


def test_confirmation_on_flow(tmp_path, db_ready):
    conf = conf_with(tmp_path, customer_confirmation="on")
    mark = mail_mark()
    r, attrs = sign_up(conf, address())
    assert r.status == 201, r.describe()
    email, pw = attrs["email"], attrs["password"]
    key = key_of(email, mark)
    cid, unconfirmed, key_hash, ttl = customer_row(email)
    assert unconfirmed == "1" and ttl == "172800"
    assert key_hash != "NULL" and key.encode().hex().upper() != key_hash
    dump = db_dump()                    # the key itself is nowhere at rest
    assert key not in dump and key.encode().hex().upper() not in dump.upper()
    body = doc("access-tokens", {"username": email, "password": pw})
    # Unconfirmed: signing in fails like a wrong password.
    with unchanged(side="storefront", account_id=int(cid),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        r = run(conf, "POST", "/access-tokens", body)
        assert_cgi_error(r, 401, "003", "Failed to authenticate user.")
    # A wrong key, then the right one, then the right one again.
    with unchanged(side="storefront", account_id=int(cid)):
        r = run(conf, "POST", "/customer-confirmation",
                doc("customer-confirmation", {"registrationKey": "A" * 43}))
        assert_cgi_error(r, 422, "423", D_423)
    # The key works whatever the switch: confirmed here through the web server.
    r = api("POST", "/customer-confirmation",
            doc("customer-confirmation", {"registrationKey": key}))
    assert r.status == 204 and r.raw == b"", r.describe()
    assert customer_row(email)[1:3] == ["0", "NULL"]
    with unchanged(side="storefront", account_id=int(cid)):
        r = run(conf, "POST", "/customer-confirmation",
                doc("customer-confirmation", {"registrationKey": key}))
        assert_cgi_error(r, 422, "423", D_423)
    r = run(conf, "POST", "/access-tokens", body)
    assert r.status == 201, r.describe()


def test_expired_registration_key_is_refused(tmp_path, db_ready, clock):
    conf = conf_with(tmp_path, customer_confirmation="on", registration_key_ttl=600)
    mark = mail_mark()
    r, attrs = sign_up(conf, address())
    assert r.status == 201, r.describe()
    key = key_of(attrs["email"], mark)
    cid = int(customer_row(attrs["email"])[0])
    clock(601)
    with unchanged(side="storefront", account_id=cid):
        r = run(conf, "POST", "/customer-confirmation",
                doc("customer-confirmation", {"registrationKey": key}))
        assert_cgi_error(r, 422, "423", D_423)


def test_no_code_mail_to_an_unconfirmed_address(tmp_path, db_ready):
    """A customer who signed in while confirmation was off, unconfirmed
    (as if signed up with it on), gets no code once it is on: 403 425."""
    c = new_customer()
    cid = int(customer_row(c.email)[0])
    db_query("UPDATE customers SET confirmed_at = NULL WHERE id = %d" % cid)
    access = c.signed_in().access
    conf = conf_with(tmp_path, customer_confirmation="on")
    body = doc(ACTIVATE, {"type": "email"})
    with unchanged(side="storefront", account_id=cid, mail_to=c.email,
                   audit=[("activate", "failure", "425")]):
        r = run(conf, "POST", "/" + ACTIVATE, body, token=access)
        assert_cgi_error(r, 403, "425", D_425)
    # Off (the instance), the same customer gets the code.
    mark = mail_mark()
    assert_204(api("POST", "/" + ACTIVATE, body, token=access))
    assert len(mails_for(c.email, mark)) == 1


def test_registration_mail_that_fails_leaves_no_account(tmp_path, db_ready):
    conf = conf_with(tmp_path, customer_confirmation="on", mail_transport="sendmail",
                     sendmail_command="/bin/false")
    with unchanged(side="storefront", account_id=None):
        r, attrs = sign_up(conf, address())
        assert_cgi_error(r, 503, "110", "Service temporarily unavailable.")
    assert db_query("SELECT COUNT(*) FROM customers WHERE email = '%s'"
                    % attrs["email"]) == [["0"]]


# --------------------------------------------------------------------------
# Confirmation off (the test instance)


def test_confirmation_off_confirms_at_sign_up_and_mails_nothing(db_ready):
    mark = mail_mark()
    c = new_customer()
    assert mails_for(c.email, mark) == []
    _, unconfirmed, key_hash, _ = customer_row(c.email)
    assert unconfirmed == "0" and key_hash == "NULL"
    assert login(c.email, c.password).status == 201


@pytest.mark.parametrize("key", ["A" * 43, "short", "' OR '1'='1"])
def test_unknown_registration_key_is_422_423(key, db_ready):
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customer-confirmation",
                doc("customer-confirmation", {"registrationKey": key}))
        assert_error(r, 422, "423", D_423)


def test_registration_key_missing_is_422_901(db_ready):
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customer-confirmation", doc("customer-confirmation", {}))
        assert_error(r, 422, "901", "registrationKey is invalid.",
                     pointer="/data/attributes/registrationKey")


def test_customer_confirmation_wrong_type_is_409(db_ready):
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customer-confirmation",
                doc("customers", {"registrationKey": "A" * 43}))
        assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                     pointer="/data/type")


# --------------------------------------------------------------------------
# The daily cap of code mails per recipient address


def recipient_mails(addr):
    return db_query("SELECT COUNT(*) FROM code_mails c JOIN mfa_codes m"
                    " ON m.id = c.code_id WHERE m.side = 0 AND m.account_id ="
                    " (SELECT id FROM customers WHERE email = '%s')" % addr)[0][0]


def test_recipient_cap_across_accounts(tmp_path, db_ready):
    """A customer and a back-office user with the same address share its
    cap: 3 code mails a day here."""
    import backend_helpers as bh
    c = new_customer()
    cust = Account(STOREFRONT, c.email, c.password, c.ref).signed_in()
    enable_mfa(cust)                                   # code mail 1
    assert recipient_mails(c.email) == "1"
    u = bh.new_user(username=c.email)
    user = Account(BACKEND, u.username, u.password, u.uuid).signed_in()
    conf = conf_with(tmp_path, daily_recipient_cap=3, resend_cooldown=0)
    body = doc(TRIGGER, {"type": "email"})
    r = run(conf, "POST", "/" + TRIGGER, body, token=cust.access)   # 2
    assert r.status == 204, r.describe()
    r = run(conf, "POST", "/" + ACTIVATE, doc(ACTIVATE, {"type": "email"}),
            token=user.access, backend=True)                          # 3
    assert r.status == 204, r.describe()
    uid = int(db_query("SELECT id FROM users WHERE username = '%s'" % u.username)[0][0])
    for side, acct, token, backend, res in (
            ("storefront", int(customer_row(c.email)[0]), cust.access, False, TRIGGER),
            ("backend", uid, user.access, True, ACTIVATE)):
        action = "trigger" if res == TRIGGER else "activate"
        with unchanged(side=side, account_id=acct, mail_to=c.email,
                       audit=[(action, "failure", "5912")]):
            r = run(conf, "POST", "/" + res, doc(res, {"type": "email"}),
                    token=token, backend=backend)
            assert r.status == 429, r.describe()
            assert r.json == {"errors": [{"status": "429", "code": "5912",
                                          "detail": D_5912}]}
            assert 86300 <= int(r.headers["retry-after"]) <= 86400, r.headers


def code_mails_to(cid, uid):
    """Code mails handed over for the customer and the user (one address)."""
    return int(db_query(
        "SELECT COUNT(*) FROM code_mails c JOIN mfa_codes m ON m.id = c.code_id"
        " WHERE (m.side = 0 AND m.account_id = %d) OR (m.side = 1 AND"
        " m.account_id = %d)" % (cid, uid))[0][0])


def recipient_lock_rows():
    return db_query("SELECT HEX(recipient_hash), lock_seq FROM code_recipients"
                    " ORDER BY recipient_hash")


RECIPIENT_ROUNDS = 8


def test_parallel_sends_of_two_accounts_cannot_pass_the_recipient_cap(
        tmp_path, db_ready):
    """A customer and a back-office user sharing an address hold different
    account locks; their sends at once, with the address one mail below its
    cap, get exactly one mail: the cap is counted under the recipient's own
    lock row (migration 018).  Each round raises the cap by one."""
    import backend_helpers as bh
    c = new_customer()
    cust = Account(STOREFRONT, c.email, c.password, c.ref).signed_in()
    enable_mfa(cust)
    u = bh.new_user(username=c.email)
    user = Account(BACKEND, u.username, u.password, u.uuid).signed_in()
    cid = int(customer_row(c.email)[0])
    uid = int(db_query("SELECT id FROM users WHERE username = '%s'"
                       % u.username)[0][0])
    sends = [("POST", "/" + TRIGGER, doc(TRIGGER, {"type": "email"}),
              cust.access, False),
             ("POST", "/" + ACTIVATE, doc(ACTIVATE, {"type": "email"}),
              user.access, True)]
    got = collections.Counter()
    for i in range(RECIPIENT_ROUNDS):
        n = code_mails_to(cid, uid)
        conf = conf_with(tmp_path, daily_recipient_cap=n + 1,
                         resend_cooldown=0)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(
                lambda s: run(conf, s[0], s[1], s[2], token=s[3],
                              backend=s[4]), sends))
        statuses = sorted(r.status for r in answers)
        got[tuple(statuses)] += 1
        assert statuses == [204, 429], [r.describe() for r in answers]
        refused = [r for r in answers if r.status == 429][0]
        assert refused.json == {"errors": [{"status": "429", "code": "5912",
                                            "detail": D_5912}]}
        assert code_mails_to(cid, uid) == n + 1
    print("rounds %r" % dict(got))
    # a refusal leaves the recipient's lock row as it was: the same sends
    # at the cap, one after the other, change nothing there
    conf = conf_with(tmp_path, daily_recipient_cap=code_mails_to(cid, uid),
                     resend_cooldown=0)
    locks = recipient_lock_rows()
    for s in sends:
        r = run(conf, s[0], s[1], s[2], token=s[3], backend=s[4])
        assert r.status == 429, r.describe()
    assert recipient_lock_rows() == locks
