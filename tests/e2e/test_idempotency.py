"""Idempotency-Key on POST (contract §9.6): the same key and body within
idempotency_window replay the first answer without doing the work again;
another body is 422 116; a malformed key 400 115; refusals are not stored;
the key is scoped to the caller and the path; a kill between the commit and
the answer leaves work and answer together, so the retry gets the answer."""

import concurrent.futures
import contextlib
import hashlib
import json
import os
import subprocess
import time
import uuid

import pytest
import requests

from conftest import (BASE, INSTANCE, address_attrs, api, assert_error,
                      check_token_resource, customer_attrs, db_query, doc,
                      login,
                      new_customer)
from effects import unchanged
from mfa_helpers import (ACTIVATE, ACTIVATED, DEACTIVATE, DEACTIVATED,
                         RESEND_COOLDOWN, STOREFRONT, TRIGGER, VERIFY,
                         account_id, audit_rows, code_rows, fresh_code, lockout_row,
                         mail_mark, mails_for, mfa_account, new_code_since,
                         status_of)
from mfa_helpers import side  # noqa: F401 (fixture)

WINDOW = 86400          # idempotency_window's default
D_KEY = "Invalid Idempotency-Key header."
D_MISMATCH = "Idempotency-Key was already used for a different request."
D_BUSY = "A request with this Idempotency-Key is still in progress."
RECOVERY = "multi-factor-auth-recovery-codes"
KEY_CHARS = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789-_.:~+/=")

pytestmark = pytest.mark.skipif(not INSTANCE, reason="GLUE_INSTANCE not set")


def new_key():
    return str(uuid.uuid4())


def cid(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


def addresses_of(c):
    return sorted(r[0] for r in db_query(
        "SELECT uuid FROM addresses WHERE customer_id = %d" % cid(c)))


def post_address(c, key, token=None, headers=None, **attrs):
    h = {} if key is None else {"Idempotency-Key": key}
    h.update(headers or {})
    return api("POST", c.path + "/addresses", doc("addresses",
               address_attrs(**attrs)), token=token or c.access, headers=h)


def idem_rows():
    return int(db_query("SELECT COUNT(*) FROM idempotency_keys")[0][0])


def assert_replay(first, again):
    """The same answer: status, body byte for byte, the headers that
    matter; its own X-Request-Id, and Idempotent-Replayed."""
    assert again.status == first.status, again.describe()
    assert again.raw == first.raw, again.describe()
    for h in ("Content-Type", "Cache-Control", "X-Content-Type-Options",
              "Pragma"):
        assert again.headers.get(h) == first.headers.get(h), h
    assert again.headers.get("Idempotent-Replayed") == "true", again.describe()
    assert "Idempotent-Replayed" not in first.headers, first.describe()
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]


def assert_key_invalid(r):
    assert_error(r, 400, "115", D_KEY, header="Idempotency-Key")


def assert_mismatch(r):
    assert_error(r, 422, "116", D_MISMATCH, header="Idempotency-Key")


@pytest.fixture
def customer():
    return new_customer().signed_in()


# --------------------------------------------------------------------------
# Replay, another body, refusals


def test_retry_replays_the_first_answer_without_new_work(customer):
    key = new_key()
    first = post_address(customer, key)
    assert first.status == 201, first.describe()
    one = [first.data["id"]]
    assert addresses_of(customer) == one
    with unchanged(account_id=cid(customer)):
        again = post_address(customer, key)
        assert_replay(first, again)
        # The quoted form (a structured-field string, as the draft writes
        # it) is the same key.
        assert_replay(first, post_address(customer, '"%s"' % key))
    assert addresses_of(customer) == one
    # Without a key, or with another, the work is done again.
    r = post_address(customer, None)
    assert r.status == 201 and r.data["id"] not in one, r.describe()
    r = post_address(customer, new_key())
    assert r.status == 201 and r.data["id"] not in one, r.describe()
    assert len(addresses_of(customer)) == 3


def test_another_body_with_the_key_is_422_and_changes_nothing(customer):
    key = new_key()
    first = post_address(customer, key)
    assert first.status == 201, first.describe()
    with unchanged(account_id=cid(customer)):
        assert_mismatch(post_address(customer, key, city="Hamburg"))
        # Byte for byte: the same document spelled otherwise differs too.
        compact = json.dumps(doc("addresses", address_attrs()),
                             separators=(",", ":")).encode()
        assert compact != first.req_body
        r = api("POST", customer.path + "/addresses", data=compact,
                token=customer.access, headers={"Idempotency-Key": key})
        assert_mismatch(r)
    assert addresses_of(customer) == [first.data["id"]]
    assert_replay(first, post_address(customer, key))


def test_a_refusal_is_not_stored_and_the_key_stays_free(customer):
    key = new_key()
    n = idem_rows()
    with unchanged(account_id=cid(customer)):
        r = post_address(customer, key, firstName="")
        assert_error(r, 422, "901", "firstName is invalid.",
                     pointer="/data/attributes/firstName")
    assert idem_rows() == n
    # Fixed and sent again with the same key: done, not 422 116.
    r = post_address(customer, key)
    assert r.status == 201, r.describe()
    assert idem_rows() == n + 1
    assert_replay(r, post_address(customer, key))


def test_the_front_line_comes_first(customer):
    """A missing token, another customer's path: refused as without a key,
    and nothing stored."""
    other = new_customer().signed_in()
    key = new_key()
    with unchanged(account_id=cid(customer)):
        r = api("POST", customer.path + "/addresses",
                doc("addresses", address_attrs()),
                headers={"Idempotency-Key": key})
        assert_error(r, 403, "002", "Missing access token.")
        r = post_address(other, key, token=customer.access)
        assert_error(r, 403, "411", "Unauthorized request.")
        # A malformed key on a request the front line refuses anyway.
        r = api("POST", customer.path + "/addresses",
                doc("addresses", address_attrs()),
                headers={"Idempotency-Key": "x"})
        assert_error(r, 403, "002", "Missing access token.")
    r = post_address(customer, key)
    assert r.status == 201, r.describe()


# --------------------------------------------------------------------------
# The key's bound: 16-128 characters of KEY_CHARS


@pytest.mark.parametrize("key", [
    "a" * 15, "a" * 129, '"%s"' % ("a" * 15), '"%s"' % ("a" * 129),
    '""', '"' + "a" * 20, "a" * 20 + '"', "a" * 20 + " b",
    "a" * 20 + ",b", "a" * 20 + "\\", "a" * 20 + "*", "a" * 20 + "é",
    "a" * 2000])
def test_a_malformed_key_is_400_115(customer, key):
    with unchanged(account_id=cid(customer)):
        r = post_address(customer, key)
        assert_key_invalid(r)
    assert addresses_of(customer) == []


@pytest.mark.parametrize("key", [
    "b" * 16, "c" * 128, '"%s"' % ("d" * 16), '"%s"' % ("e" * 128),
    KEY_CHARS[:64], KEY_CHARS[64:] + "x" * 12])
def test_keys_at_the_bound_are_taken(customer, key):
    first = post_address(customer, key)
    assert first.status == 201, first.describe()
    assert_replay(first, post_address(customer, key))
    assert addresses_of(customer) == [first.data["id"]]


def test_an_empty_header_is_no_key(customer):
    """Not every web server passes an empty header on: empty is absent."""
    a = post_address(customer, "")
    b = post_address(customer, "")
    assert a.status == 201 and b.status == 201, (a.describe(), b.describe())
    assert "Idempotent-Replayed" not in b.headers
    assert addresses_of(customer) == sorted([a.data["id"], b.data["id"]])


def test_other_methods_ignore_the_header(customer):
    first = post_address(customer, None)
    one = customer.path + "/addresses/" + first.data["id"]
    for key in ("x", new_key()):
        r = api("PATCH", one, doc("addresses", {"city": "Köln"}),
                token=customer.access, headers={"Idempotency-Key": key})
        assert r.status == 200, r.describe()
        r = api("GET", one, token=customer.access,
                headers={"Idempotency-Key": key})
        assert r.status == 200 and "Idempotent-Replayed" not in r.headers


# --------------------------------------------------------------------------
# Scope: the caller and the path


def test_the_same_key_from_another_account_does_its_own_work(customer):
    other = new_customer().signed_in()
    key = new_key()
    a = post_address(customer, key)
    b = post_address(other, key)
    assert a.status == 201 and b.status == 201, (a.describe(), b.describe())
    assert a.data["id"] != b.data["id"]
    assert addresses_of(customer) == [a.data["id"]]
    assert addresses_of(other) == [b.data["id"]]
    # Another body from the other account is its own first use too.
    c = post_address(other, new_key(), city="Hamburg")
    assert c.status == 201
    assert_replay(a, post_address(customer, key))
    assert_replay(b, post_address(other, key))


def test_another_token_of_the_account_replays(customer):
    key = new_key()
    first = post_address(customer, key)
    token = customer.login()[0]
    assert_replay(first, post_address(customer, key, token=token))


# --------------------------------------------------------------------------
# The window (idempotency_window, default 24 h)


def test_the_answer_replays_within_the_window_only(customer, clock):
    """Another token of the account replays too (the scope is the account,
    not the token); the tokens here are new because access tokens live 8 h."""
    key = new_key()
    first = post_address(customer, key)
    assert first.status == 201, first.describe()
    clock(WINDOW - 5)
    customer.access = customer.login()[0]
    assert_replay(first, post_address(customer, key))
    clock(WINDOW + 5)
    customer.access = customer.login()[0]
    r = post_address(customer, key)
    assert r.status == 201 and "Idempotent-Replayed" not in r.headers, \
        r.describe()
    assert r.data["id"] != first.data["id"]
    assert sorted(addresses_of(customer)) == sorted(
        [first.data["id"], r.data["id"]])
    # The key now names the second answer: replayed, another body 422.
    assert_replay(r, post_address(customer, key))
    assert_mismatch(post_address(customer, key, city="Bonn"))


# --------------------------------------------------------------------------
# Secrets at rest, routes without an account


def test_sign_in_answers_replay_and_are_sealed():
    c = new_customer()
    key = new_key()
    h = {"Idempotency-Key": key}
    tokens = int(db_query("SELECT COUNT(*) FROM access_tokens")[0][0])
    first = login(c.email, c.password, headers=h)
    a = check_token_resource(first)
    again = login(c.email, c.password, headers=h)
    assert_replay(first, again)
    assert int(db_query("SELECT COUNT(*) FROM access_tokens")[0][0]) == \
        tokens + 1
    # Another password with the key: 422, no sign-in attempt counted.
    with unchanged(account_id=cid(c)):
        assert_mismatch(login(c.email, "wrong-" + c.password, headers=h))
    # Nothing of it in clear: neither the key, nor the tokens, nor the
    # e-mail address.
    dump = " ".join(" ".join(r) for r in db_query(
        "SELECT HEX(key_hash), HEX(body_hash), HEX(answer_box), account_id,"
        " side FROM idempotency_keys"))
    for secret in (key, a["accessToken"], a["refreshToken"], c.email):
        assert secret.encode().hex().upper() not in dump, secret
    # Another program (another path) with the key is another scope.
    r = api("POST", "/customers", doc("customers", customer_attrs()),
            headers=h)
    assert r.status == 201, r.describe()


def test_the_stored_row_is_indexed_by_a_keyed_hash(customer):
    key = new_key()
    before = {r[0] for r in db_query(
        "SELECT HEX(key_hash) FROM idempotency_keys")}
    post_address(customer, key)
    rows = db_query("SELECT HEX(key_hash), side, account_id, status,"
                    " LENGTH(answer_box), LENGTH(answer_nonce)"
                    " FROM idempotency_keys")
    new = [r for r in rows if r[0] not in before]
    assert len(new) == 1, rows
    h, side, acct, status, box, nonce = new[0]
    assert (side, int(acct), status, nonce) == ("0", cid(customer), "201",
                                                "24")
    assert len(h) == 64 and int(box) > 16


# --------------------------------------------------------------------------
# Concurrency: the same key at once does the work once


def assert_busy(r):
    assert_error(r, 409, "117", D_BUSY, header="Idempotency-Key")
    assert r.headers.get("Retry-After") == "1", r.describe()


def one_first(rs):
    """Of requests with one key at once: one did the work; each other one
    waited for it and replayed its answer, or, kept waiting longer than
    IDEM_LOCK_WAIT (a loaded machine), was told to come back (409 117)."""
    firsts = [r for r in rs if r.status == 201 and
              "Idempotent-Replayed" not in r.headers]
    assert len(firsts) == 1, [r.describe() for r in rs]
    for r in rs:
        if r is firsts[0]:
            continue
        if r.status == 409:
            assert_busy(r)
        else:
            assert_replay(firsts[0], r)
    return firsts[0]


def test_the_same_key_at_once_does_the_work_once(customer):
    key = new_key()
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        rs = list(ex.map(lambda _: post_address(customer, key), range(8)))
    first = one_first(rs)
    assert addresses_of(customer) == [first.data["id"]]
    assert_replay(first, post_address(customer, key))


def key_lock_name(scope, key):
    """The named lock the programs take for a key (src/idem.c): keyed
    BLAKE2b (libsodium's crypto_generichash) of the scope and the key."""
    with open(os.path.join(INSTANCE, "secret.key")) as f:
        secret = bytes.fromhex(f.read().strip())
    h = hashlib.blake2b(key=secret, digest_size=32)
    h.update(b"idem-index\0")
    h.update(scope.encode() + key.encode())
    return "glue-idem-" + h.hexdigest()[:32]


@contextlib.contextmanager
def key_held(name, seconds=6):
    """Another session holds the key's lock, as a request under way does."""
    p = subprocess.Popen(
        ["mariadb", "--socket=" + os.path.join(INSTANCE, "run", "mysqld.sock"),
         "-uroot", "-N", "-B", "-e",
         "SELECT GET_LOCK('%s', 0); SELECT SLEEP(%d);" % (name, seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 20
        while db_query("SELECT IS_USED_LOCK('%s') IS NOT NULL" % name) != \
                [["1"]]:
            assert time.monotonic() < end and p.poll() is None, \
                p.communicate()
            time.sleep(0.05)
        yield
    finally:
        p.wait(timeout=60)


def test_a_request_under_way_with_the_key_is_409(customer):
    key = new_key()
    name = key_lock_name("0/%d/%s/addresses\n" % (cid(customer),
                                                   customer.path), key)
    with key_held(name):
        with unchanged(account_id=cid(customer)):
            assert_busy(post_address(customer, key))
    assert addresses_of(customer) == []
    first = post_address(customer, key)
    assert first.status == 201, first.describe()
    # The name is the programs' own: held again, the replay waits too.
    with key_held(name):
        assert_busy(post_address(customer, key))
    assert_replay(first, post_address(customer, key))


def test_the_token_endpoint_under_way_is_409():
    from backend_helpers import ADMIN_NAME, ADMIN_PASSWORD, BE, form
    key = new_key()
    data = form(grant_type="password", username=ADMIN_NAME,
                password=ADMIN_PASSWORD).encode()
    with key_held(key_lock_name("1/0/%s/token\n" % BE, key)):
        r = api("POST", BE + "/token", data=data,
                content_type="application/x-www-form-urlencoded",
                headers={"Idempotency-Key": key})
        assert_busy(r)
        assert r.headers.get("Pragma") == "no-cache", r.describe()


# --------------------------------------------------------------------------
# MFA-protected: a replay neither needs nor spends a code


def test_a_protected_post_replays_without_a_code_check():
    c = mfa_account(STOREFRONT)
    coll = "/customers/%s/addresses" % c.id
    body = doc("addresses", address_attrs())
    key = new_key()
    code = fresh_code(c)
    acct = int(db_query("SELECT id FROM customers WHERE email = '%s'"
                        % c.mail)[0][0])
    first = api("POST", coll, body, token=c.access,
                headers={"X-MFA-Code": code, "Idempotency-Key": key})
    assert first.status == 201, first.describe()
    codes, lock = code_rows(c), lockout_row(c)
    with unchanged(account_id=acct, audit=[]):
        # With the code again, with a wrong one, without any: the stored
        # answer, no check, no audit row.
        for h in ({"X-MFA-Code": code}, {"X-MFA-Code": "000000"}, {}):
            h["Idempotency-Key"] = key
            assert_replay(first, api("POST", coll, body, token=c.access,
                                     headers=h))
    assert code_rows(c) == codes and lockout_row(c) == lock
    rows = db_query("SELECT uuid FROM addresses WHERE customer_id = %d"
                    % acct)
    assert [r[0] for r in rows] == [first.data["id"]]
    # A new key is new work: the guard asks for a code.
    r = api("POST", coll, body, token=c.access,
            headers={"Idempotency-Key": new_key()})
    assert_error(r, 403, "5900", "X-MFA-Code header is missing.",
                 header="X-MFA-Code")


def test_a_protected_post_at_once_is_one_check_and_one_address():
    """The same key, token and code at once: the first does the work; the
    others pass the guard (the token's grace window), wait on the key's row
    and replay, their checks rolled back: one audit row, one address."""
    c = mfa_account(STOREFRONT)
    coll = "/customers/%s/addresses" % c.id
    body = doc("addresses", address_attrs())
    code = fresh_code(c)
    h = {"X-MFA-Code": code, "Idempotency-Key": new_key()}
    before = len(audit_rows(c))
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        rs = list(ex.map(lambda _: api("POST", coll, body, token=c.access,
                                       headers=h), range(6)))
    one_first(rs)
    rows = audit_rows(c)[before:]
    assert [(a["action"], a["result"]) for a in rows] == [
        ("protected", "success")], rows
    acct = account_id(c)
    assert len(db_query("SELECT uuid FROM addresses WHERE customer_id = %d"
                        % acct)) == 1


# --------------------------------------------------------------------------
# A kill between the commit and the answer


def fault(name):
    path = os.path.join(INSTANCE, "fault")
    conf = open(os.path.join(INSTANCE, "glue-mfa.conf")).read()
    if "test_fault_file" not in conf:
        pytest.skip("instance has no test_fault_file (not a test build)")
    with open(path + ".tmp", "w") as f:
        f.write(name + "\n")
    os.rename(path + ".tmp", path)
    return path


def send_killed(send, path):
    """The request whose program dies: no answer of the program's own
    (the web server's error, or the connection cut)."""
    try:
        r = send()
        assert r.status >= 500 and "Idempotent-Replayed" not in r.headers, \
            r.describe()
    except requests.RequestException:
        pass
    assert not os.path.exists(path), "the fault point was not reached"


def until_answered(send, limit=30.0):
    """Retries while the web server answers for a program being restarted."""
    end = time.monotonic() + limit
    while True:
        try:
            r = send()
            if r.headers.get("X-Request-Id") or time.monotonic() > end:
                return r
        except requests.RequestException:
            if time.monotonic() > end:
                raise
        time.sleep(0.2)


def test_a_kill_after_the_commit_then_the_retry_gets_the_first_answer(
        customer):
    key = new_key()
    path = fault("request-committed")
    try:
        send_killed(lambda: api("POST", customer.path + "/addresses",
                                doc("addresses", address_attrs()),
                                token=customer.access,
                                headers={"Idempotency-Key": key},
                                check=False), path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    # Committed: the address and the stored answer, together.
    stored = addresses_of(customer)
    assert len(stored) == 1, stored
    r = until_answered(lambda: post_address(customer, key))
    assert r.status == 201, r.describe()
    assert r.headers.get("Idempotent-Replayed") == "true", r.describe()
    assert r.data["id"] == stored[0]
    assert r.data["links"]["self"] == "%s%s/addresses/%s" % (
        BASE, customer.path, stored[0])
    assert addresses_of(customer) == stored


def test_without_a_key_the_same_kill_duplicates(customer):
    """What the key is for: the retry of a killed POST without one is a
    second address."""
    path = fault("request-committed")
    try:
        send_killed(lambda: api("POST", customer.path + "/addresses",
                                doc("addresses", address_attrs()),
                                token=customer.access, check=False), path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    r = until_answered(lambda: post_address(customer, None))
    assert r.status == 201, r.describe()
    # Two at least: a retry the web server sent to the dying process's
    # socket and answered itself may have been a third.
    assert len(addresses_of(customer)) >= 2, addresses_of(customer)


# --------------------------------------------------------------------------
# Every POST: the MFA resources (both sides), tokens, the Backend's own.
# These routes commit their work themselves (a code is stored and mailed
# before the answer): the answer is stored just after, so a replay sends no
# second mail and spends no code, and a kill between the two would do the
# work again (contract §9.6).


def post_keyed(c, resource, key, attrs=None, code=None, compact=False):
    """POST an MFA resource of c's side with key (and code); compact: the
    same document spelled without blanks (another body, byte for byte)."""
    body = doc(resource, {"type": "email"} if attrs is None else attrs)
    h = {"Idempotency-Key": key}
    if code is not None:
        h["X-MFA-Code"] = code
    if compact:
        return api("POST", c.side.path(resource), data=json.dumps(
            body, separators=(",", ":")).encode(), token=c.access, headers=h)
    return api("POST", c.side.path(resource), body, token=c.access, headers=h)


def replayed_once(c, resource, key, first, attrs=None, code=None):
    """The replay: the first answer, nothing sent; another body: 422."""
    mark = mail_mark()
    assert_replay(first, post_keyed(c, resource, key, attrs, code))
    assert mails_for(c.mail, mark) == []
    assert_mismatch(post_keyed(c, resource, key, attrs, code, compact=True))


def test_the_mfa_resources_replay(side, clock):
    c = side.new_account()
    keys = [new_key() for _ in range(5)]
    # Activate: one code mailed, not two.
    mark = mail_mark()
    first = post_keyed(c, ACTIVATE, keys[0])
    assert first.status == 204, first.describe()
    code = new_code_since(c.mail, mark)
    replayed_once(c, ACTIVATE, keys[0], first)
    # Verify: the replay is 204 again, not 5904.
    first = post_keyed(c, VERIFY, keys[1], code=code)
    assert first.status == 204, first.describe()
    replayed_once(c, VERIFY, keys[1], first, code=code)
    assert status_of(c) == ACTIVATED
    # Trigger (after the cool-down): one code.
    clock(RESEND_COOLDOWN + 1)
    mark = mail_mark()
    first = post_keyed(c, TRIGGER, keys[2])
    assert first.status == 204, first.describe()
    code2 = new_code_since(c.mail, mark)
    replayed_once(c, TRIGGER, keys[2], first)
    # Recovery codes: the same ten again (sealed at rest), not a new set.
    first = post_keyed(c, RECOVERY, keys[3], attrs={}, code=code2)
    assert first.status == 201, first.describe()
    hashes = db_query("SELECT slot, code_hash FROM mfa_recovery_codes"
                      " WHERE side = %d AND account_id = %d" % (
                          c.side.num, account_id(c)))
    replayed_once(c, RECOVERY, keys[3], first, attrs={}, code=code2)
    assert db_query("SELECT slot, code_hash FROM mfa_recovery_codes"
                    " WHERE side = %d AND account_id = %d" % (
                        c.side.num, account_id(c))) == hashes
    dump = " ".join(r[0] for r in db_query(
        "SELECT HEX(answer_box) FROM idempotency_keys"))
    for rc in first.data["attributes"]["codes"]:
        assert rc.encode().hex().upper() not in dump
    # Deactivate: the replay is 204 again, not 5906.
    clock(2 * RESEND_COOLDOWN + 2)
    code3 = fresh_code(c)
    first = post_keyed(c, DEACTIVATE, keys[4], code=code3)
    assert first.status == 204, first.describe()
    replayed_once(c, DEACTIVATE, keys[4], first, code=code3)
    assert status_of(c) == DEACTIVATED


def test_refresh_replays_the_rotated_pair():
    c = new_customer().signed_in()
    key = new_key()
    body = doc("refresh-tokens", {"refreshToken": c.refresh})
    h = {"Idempotency-Key": key}
    first = api("POST", "/refresh-tokens", body, headers=h)
    check_token_resource(first, "refresh-tokens")
    assert_replay(first, api("POST", "/refresh-tokens", body, headers=h))
    assert_mismatch(api("POST", "/refresh-tokens", doc("refresh-tokens", {
        "refreshToken": c.refresh + "x"}), headers=h))


def test_sign_up_replays():
    h = {"Idempotency-Key": new_key()}
    body = doc("customers", customer_attrs())
    first = api("POST", "/customers", body, headers=h)
    assert first.status == 201, first.describe()
    assert_replay(first, api("POST", "/customers", body, headers=h))
    n = db_query("SELECT COUNT(*) FROM customers WHERE email = '%s'" %
                 body["data"]["attributes"]["email"])
    assert n == [["1"]]
    assert_mismatch(api("POST", "/customers", doc("customers",
                        customer_attrs()), headers=h))


def test_the_backend_token_endpoint():
    from backend_helpers import (ADMIN_NAME, ADMIN_PASSWORD, BE, form,
                                 token_post)
    key = new_key()
    h = {"Idempotency-Key": key}
    data = form(grant_type="password", username=ADMIN_NAME,
                password=ADMIN_PASSWORD)
    first = token_post(data, headers=h)
    assert first.status == 200, first.describe()
    assert_replay(first, token_post(data, headers=h))
    # The key's errors are JSON:API, as the front line's are.
    r = api("POST", BE + "/token", data=(data + "&scope=x").encode(),
            content_type="application/x-www-form-urlencoded", headers=h)
    assert_mismatch(r)
    assert r.headers.get("Pragma") == "no-cache", r.describe()
    r = api("POST", BE + "/token", data=data.encode(),
            content_type="application/x-www-form-urlencoded",
            headers={"Idempotency-Key": "short"})
    assert_key_invalid(r)
    assert r.headers.get("Pragma") == "no-cache", r.describe()


def test_the_backend_writes():
    from backend_helpers import BE, RESCUE, enable_mfa, new_user, user_attrs
    admin = new_user().signed_in()
    # A user: created once.
    key = new_key()
    attrs = user_attrs()
    h = {"Idempotency-Key": key}
    first = api("POST", BE + "/users", doc("users", attrs),
                token=admin.access, headers=h)
    assert first.status == 201, first.describe()
    assert_replay(first, api("POST", BE + "/users", doc("users", attrs),
                             token=admin.access, headers=h))
    assert db_query("SELECT COUNT(*) FROM users WHERE username = '%s'" %
                    attrs["username"]) == [["1"]]
    assert_mismatch(api("POST", BE + "/users", doc("users", user_attrs()),
                        token=admin.access, headers=h))
    # The rescue: one notification, a replay 204 rather than 5906.
    c = new_customer().signed_in()
    enable_mfa(c.access, c.email, prefix="")
    body = doc(RESCUE, {"customerReference": c.ref, "type": "email"})
    key = new_key()
    h = {"Idempotency-Key": key}
    first = api("POST", BE + "/" + RESCUE, body, token=admin.access, headers=h)
    assert first.status == 204, first.describe()
    mark = mail_mark()
    assert_replay(first, api("POST", BE + "/" + RESCUE, body,
                             token=admin.access, headers=h))
    assert mails_for(c.email, mark) == []
    assert_mismatch(api("POST", BE + "/" + RESCUE, doc(RESCUE, {
        "type": "email", "customerReference": c.ref}), token=admin.access,
        headers=h))
