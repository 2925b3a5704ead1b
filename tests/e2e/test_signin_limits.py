"""Sign-in limits that bound guessing without handing out lockouts (contract
§3.6), every password check under them (§3.2, §3.3), and the client address
behind proxies (§3.12).

The limits are per client address, so most tests run the programs directly
as CGI (RFC 3875), where REMOTE_ADDR is the test's to choose: the attacker
and the owner come from different addresses.  Defaults: 100 consecutive
failures per account (forgotten a day after the last), 5 per (account,
address) and 50 per address in 15 minutes, and from the 5th failure of an
account a delay of 2 s doubling per failure, at most 600 s, for addresses
that failed on that account."""
import collections
import concurrent.futures
import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

from conftest import (INSTANCE, D_TOO_MANY_LOGINS, api, assert_error, customer_attrs,
                      assert_login_failed, check_token_resource, db_query, doc,
                      login, new_customer, unique_email)
from backend_helpers import (BE, OD_LIMIT, new_user, sign_in, user_patch)
from effects import login_failure_counted, unchanged
from mfa_helpers import (BACKEND, STOREFRONT, code_rows, fresh_code,
                         mfa_account, patch_account)

ACCOUNT_MAX = 100
PAIR_MAX = 5
ADDRESS_MAX = 50
WINDOW = 900
ACCOUNT_WINDOW = 86400
DELAY_AFTER = 5
DELAY_BASE = 2
DELAY_MAX = 600


def delay(n):
    """The delay after the account's nth consecutive failure."""
    return min(DELAY_BASE * 2 ** (n - DELAY_AFTER), DELAY_MAX)


# --------------------------------------------------------------------------
# Running a program as CGI


def _bin(*parts):
    root = os.environ.get("GLUE_BIN") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build", "test", "cgi-bin")
    return os.path.join(root, *parts)


@pytest.fixture(scope="module", autouse=True)
def _needs_instance():
    if not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: no configuration for the programs")


_CONF = {}


def config_with(extra):
    """The instance's configuration with extra lines, in a private file."""
    if extra not in _CONF:
        with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
            text = f.read()
        fd, path = tempfile.mkstemp(prefix="glue-conf-", suffix=".conf",
                                    dir=INSTANCE)
        with os.fdopen(fd, "w") as f:
            f.write(text.rstrip("\n") + "\n" + extra + "\n")
        _CONF[extra] = path
    return _CONF[extra]


def teardown_module(_module):
    for p in _CONF.values():
        os.unlink(p)
    _CONF.clear()


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = json.loads(body) if body else None

    def describe(self):
        return "\n%d %r %s" % (self.status, self.headers, self.body[:300])


def cgi(prog, method, uri, body=b"", addr="127.0.0.1", headers=None,
        content_type="application/vnd.api+json", config=None):
    env = {"PATH": "/usr/bin:/bin",
           "MFA_CONFIG": config or os.path.join(INSTANCE, "glue-mfa.conf"),
           "REQUEST_METHOD": method, "REQUEST_URI": uri,
           "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": addr,
           "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    for k, v in (headers or {}).items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run(prog, input=body, env=env, capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr[-500:]
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = dict(ln.split(": ", 1) for ln in lines[1:] if ": " in ln)
    return Answer(status, hdrs, rest.decode())


def sf_login(email, password, addr, **kw):
    body = json.dumps({"data": {"type": "access-tokens", "attributes": {
        "username": email, "password": password}}}).encode()
    return cgi(_bin("access-tokens"), "POST", "/access-tokens", body, addr,
               **kw)


def be_login(username, password, addr, **kw):
    body = urllib.parse.urlencode({"grant_type": "password",
                                   "username": username,
                                   "password": password}).encode()
    return cgi(_bin("backend", "token"), "POST", "/backend/token", body, addr,
               content_type="application/x-www-form-urlencoded", **kw)


def customer_id(email):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % email)
    return int(rows[0][0]) if rows else None


def user_id(username):
    rows = db_query("SELECT id FROM users WHERE username = '%s'" % username)
    return int(rows[0][0]) if rows else None


# --------------------------------------------------------------------------
# Answers, each checked for what it changed


def assert_tokens(r):
    assert r.status == 201, r.describe()
    assert r.json["data"]["type"] == "access-tokens"
    assert len(r.json["data"]["attributes"]["accessToken"]) == 43


def assert_retry(r, lo, hi):
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit(), r.describe()
    assert lo <= int(ra) <= hi, (lo, int(ra), hi, r.describe())
    return int(ra)


def assert_limited(r, lo, hi):
    """429 113 with Retry-After in [lo, hi]."""
    assert r.status == 429, r.describe()
    assert r.json == {"errors": [{"status": "429", "code": "113",
                                  "detail": D_TOO_MANY_LOGINS}]}, r.describe()
    return assert_retry(r, lo, hi)


def wrong(email, addr, side="storefront", config=None):
    if side == "storefront":
        r = sf_login(email, "wrong-password", addr, config=config)
        assert r.status == 401, r.describe()
        assert r.json["errors"][0]["code"] == "003"
    else:
        r = be_login(email, "wrong-password", addr, config=config)
        assert r.status == 400, r.describe()
        assert r.json["error"] == "invalid_grant"


def fail(email, addr, side="storefront", config=None):
    """A wrong password, counted in its three scopes and audited."""
    acct = customer_id(email) if side == "storefront" else user_id(email)
    with unchanged(side=side, account_id=acct,
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        wrong(email, addr, side, config)


@contextlib.contextmanager
def limited_block(email, side="storefront"):
    """A refused sign-in: one audit row (no account id), nothing counted."""
    acct = customer_id(email) if side == "storefront" else user_id(email)
    before = acct and unchanged.snapshot(side, acct)
    with unchanged(side=side, audit=[("login", "failure", "113")]):
        yield
    if acct:
        assert unchanged.diff(before, unchanged.snapshot(side, acct)) == []


def refused(email, password, addr, lo, hi, config=None):
    with limited_block(email):
        return assert_limited(sf_login(email, password, addr, config=config),
                              lo, hi)


def signs_in(email, password, addr, config=None):
    r = sf_login(email, password, addr, config=config)
    assert_tokens(r)
    return r


def scopes():
    return {k: int(v) for k, v in
            db_query("SELECT HEX(scope), failures FROM login_failures")}


@pytest.fixture(autouse=True)
def _clean(login_failures_cleared):
    yield


def addr(i, net=1):
    return "10.%d.%d.%d" % (net, i // 250, i % 250 + 1)


# --------------------------------------------------------------------------
# The (account, address) limit blocks the attacker; the owner gets in


def test_attackers_address_is_blocked_after_five_owner_gets_in_elsewhere():
    c = new_customer()
    for _ in range(PAIR_MAX):                          # failures 1..5: 401
        fail(c.email, "10.9.0.1")
    refused(c.email, c.password, "10.9.0.1", WINDOW - 5, WINDOW)   # 6th: 429
    refused(c.email, "wrong", "10.9.0.1", WINDOW - 5, WINDOW)
    # The owner at another address, with the right password, gets in.
    before = scopes()
    signs_in(c.email, c.password, "10.9.0.2")
    after = scopes()
    # Success cleared the account's count (and the owner's pair, which had
    # none); the attacker's pair and the addresses' counts stay.
    assert len(before) == 3 and len(after) == 2, (before, after)
    assert set(after) < set(before)
    refused(c.email, c.password, "10.9.0.1", WINDOW - 5, WINDOW)


def test_four_failures_leave_the_address_its_fifth_try():
    c = new_customer()
    for _ in range(PAIR_MAX - 1):
        fail(c.email, "10.9.1.1")
    signs_in(c.email, c.password, "10.9.1.1")           # attempt 5: right
    for _ in range(PAIR_MAX):                           # counts restarted
        fail(c.email, "10.9.1.1")
    refused(c.email, c.password, "10.9.1.1", WINDOW - 5, WINDOW)


def test_the_pair_limit_ends_with_its_window(clock):
    c = new_customer()
    for _ in range(PAIR_MAX):
        fail(c.email, "10.9.2.1")
    clock(WINDOW - 10)
    refused(c.email, c.password, "10.9.2.1", 1, 10)
    clock(WINDOW + 1)
    signs_in(c.email, c.password, "10.9.2.1")


# --------------------------------------------------------------------------
# Growing delays, for addresses that failed on the account


def test_delay_from_the_fifth_failure_doubles_and_spares_fresh_addresses(clock):
    """With login_delay_base = 30 (so that the test's own time does not
    matter): 30, 60, 120 s after failures 5, 6, 7."""
    conf = config_with("login_delay_base = 30")
    d = lambda n: 30 * 2 ** (n - DELAY_AFTER)
    c = new_customer()
    for i in range(DELAY_AFTER - 1):                   # 4 failures: no delay
        fail(c.email, addr(i, 2), config=conf)
    fail(c.email, addr(0, 2), config=conf)             # 5th, from a failed one
    # After failure 5 the addresses that failed wait ...
    refused(c.email, c.password, addr(0, 2), d(5) - 5, d(5), config=conf)
    refused(c.email, c.password, addr(1, 2), d(5) - 5, d(5), config=conf)
    # ... while a fresh address is not held.
    fail(c.email, addr(10, 2), config=conf)            # failure 6
    refused(c.email, c.password, addr(2, 2), d(6) - 5, d(6), config=conf)
    fail(c.email, addr(11, 2), config=conf)            # failure 7
    refused(c.email, "wrong", addr(10, 2), d(7) - 5, d(7), config=conf)
    clock(d(7) - 10)
    refused(c.email, "wrong", addr(10, 2), 1, 10, config=conf)
    clock(d(7) + 1)                                    # the delay has passed
    fail(c.email, addr(10, 2), config=conf)            # failure 8
    refused(c.email, c.password, addr(11, 2), d(8) - 5, d(8), config=conf)
    # The owner at a fresh address gets in during the attack.
    signs_in(c.email, c.password, addr(20, 2), config=conf)
    # The success cleared the account's count: no delay any more.
    fail(c.email, addr(11, 2), config=conf)


def test_delay_is_capped():
    c = new_customer()
    n = 0
    while delay(n + 1) < DELAY_MAX:                    # failure 13: 512 s
        fail(c.email, addr(n, 3))
        n += 1
    assert n == 13
    refused(c.email, c.password, addr(0, 3), delay(13) - 2, delay(13))
    fail(c.email, addr(100, 3))                        # 14: 1024 -> 600 s
    refused(c.email, c.password, addr(0, 3), DELAY_MAX - 2, DELAY_MAX)
    fail(c.email, addr(101, 3))                        # 15: still 600 s
    refused(c.email, c.password, addr(0, 3), DELAY_MAX - 2, DELAY_MAX)
    signs_in(c.email, c.password, addr(200, 3))


# --------------------------------------------------------------------------
# The account: at most 100 consecutive failures


def test_account_locks_after_one_hundred_failures_for_a_day(clock):
    c = new_customer()
    for i in range(ACCOUNT_MAX - 1):                   # 99 failures: 401
        wrong(c.email, addr(i, 4))
    fail(c.email, addr(ACCOUNT_MAX, 4))                # the 100th
    # Failure 100 reached: every address is refused, the owner's too,
    # until a day after the last failure.
    refused(c.email, c.password, addr(150, 4), ACCOUNT_WINDOW - 10,
            ACCOUNT_WINDOW)
    refused(c.email, "wrong", addr(151, 4), ACCOUNT_WINDOW - 10, ACCOUNT_WINDOW)
    clock(ACCOUNT_WINDOW - 20)
    refused(c.email, c.password, addr(152, 4), 1, 30)
    clock(ACCOUNT_WINDOW + 1)
    signs_in(c.email, c.password, addr(153, 4))


# --------------------------------------------------------------------------
# Parallel attempts: each is counted before its password is checked, so a
# burst at a limit gets exactly what is left of it (contract §3.6)

BURST = 12


def burst(send, n=BURST):
    """n sign-ins at once, each its own CGI process; the answers."""
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait()
        return send(i)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def outcomes(answers):
    """{"401 003": n, "429 113": m, ...} (OAuth's invalid_grant as "400")."""
    out = collections.Counter()
    for r in answers:
        e = r.json.get("errors", [{}])[0].get("code") if r.json else None
        out["%d %s" % (r.status, e or r.json.get("error", ""))] += 1
    return dict(out)


def audit_of(acct_id, since):
    return sorted(tuple(x) for x in db_query(
        "SELECT action, result, COALESCE(error_code, '') FROM audit_log WHERE "
        "side = 0 AND id > %d AND (account_id = %d OR account_id IS NULL) AND "
        "action = 'login'" % (since, acct_id)))


def last_audit_id():
    return int(db_query("SELECT COALESCE(MAX(id), 0) FROM audit_log")[0][0])


def test_a_burst_at_the_pair_limit_gets_the_one_attempt_left():
    c = new_customer()
    a = "10.11.0.1"
    for _ in range(PAIR_MAX - 1):
        fail(c.email, a)
    since, before = last_audit_id(), scopes()
    got = burst(lambda i: sf_login(c.email, "wrong-password", a))
    assert outcomes(got) == {"401 003": 1, "429 113": BURST - 1}, outcomes(got)
    for r in got:
        if r.status == 429:
            assert_limited(r, WINDOW - 10, WINDOW)
    after = scopes()
    # one failure more in each of the three scopes, none for the refused
    assert set(after) == set(before) and \
        sorted(after[k] - before[k] for k in after) == [1, 1, 1], (before, after)
    assert max(after.values()) == PAIR_MAX
    assert audit_of(customer_id(c.email), since) == sorted(
        [("login", "failure", "003")] +
        [("login", "failure", "113")] * (BURST - 1))


def test_a_burst_at_the_account_limit_from_fresh_addresses_gets_one_attempt():
    c = new_customer()
    for i in range(ACCOUNT_MAX - 1):                   # 99 failures
        wrong(c.email, addr(i, 12))
    since = last_audit_id()
    got = burst(lambda i: sf_login(c.email, "wrong-password", addr(200 + i, 12)))
    assert outcomes(got) == {"401 003": 1, "429 113": BURST - 1}, outcomes(got)
    acct = [v for k, v in scopes().items() if v >= ACCOUNT_MAX - 1]
    assert acct == [ACCOUNT_MAX], scopes()
    assert audit_of(customer_id(c.email), since) == sorted(
        [("login", "failure", "003")] +
        [("login", "failure", "113")] * (BURST - 1))
    refused(c.email, c.password, addr(250, 12), ACCOUNT_WINDOW - 10,
            ACCOUNT_WINDOW)


def test_a_backend_burst_at_the_pair_limit_gets_the_one_attempt_left():
    u = new_user()
    a = "10.13.0.1"
    for _ in range(PAIR_MAX - 1):
        fail(u.username, a, side="backend")
    before = scopes()
    got = burst(lambda i: be_login(u.username, "wrong-password", a))
    assert outcomes(got) == {"400 invalid_grant": 1, "429 invalid_grant":
                             BURST - 1}, outcomes(got)
    after = scopes()
    assert sorted(after[k] - before[k] for k in after) == [1, 1, 1], \
        (before, after)


def test_right_passwords_in_a_burst_give_their_counts_back():
    """Each right password takes back what it counted: the account's and
    the pair's counts end, the address keeps exactly its failures.  An
    attempt that meets another's count in flight at the pair limit is
    refused (429 113), as it would be had that one failed."""
    c = new_customer()
    a = "10.14.0.1"
    for _ in range(PAIR_MAX - 1):
        fail(c.email, a)
    before = scopes()
    got = burst(lambda i: sf_login(c.email, c.password, a))
    o = outcomes(got)
    assert set(o) <= {"201 ", "429 113"} and o.get("201 ", 0) >= 1, o
    after = scopes()
    # the account's and the pair's rows are gone, the address's is as before
    assert len(before) == 3 and list(after.values()) == [PAIR_MAX - 1], \
        (before, after)
    assert set(after) < set(before)


# --------------------------------------------------------------------------
# The client address


def test_address_limit_after_fifty_failures_on_any_names():
    c = new_customer()
    for i in range(ADDRESS_MAX - 1):                   # distinct unknown names
        wrong(unique_email("spray%d" % i), "10.5.0.1")
    fail(unique_email("spray"), "10.5.0.1")            # the 50th
    refused(c.email, c.password, "10.5.0.1", WINDOW - 120, WINDOW)
    signs_in(c.email, c.password, "10.5.0.2")


def test_unknown_names_are_limited_by_their_own_count():
    ghost = unique_email("ghost")
    for _ in range(PAIR_MAX):
        fail(ghost, "10.6.0.1")
    refused(ghost, "whatever1", "10.6.0.1", WINDOW - 5, WINDOW)
    fail(ghost, "10.6.0.2")                            # another address


# --------------------------------------------------------------------------
# Spellings that reach the account count against the account


def _variant_counts_on(rows):
    """checks= for a failure that counts on exactly these three rows (one
    more each) and creates none."""

    def check(before, after, _snap):
        out = []
        if set(after) != set(before):
            out.append("login_failures: rows added or removed: %r" % (
                set(after) ^ set(before),))
        for k in set(before) & set(after):
            want = int(before[k]["failures"]) + (1 if k in rows else 0)
            if int(after[k]["failures"]) != want:
                out.append("login_failures %s: %s, expected %d" % (
                    k, after[k]["failures"], want))
        return out

    return {"_checks": {"login_failures": check}}


@pytest.mark.parametrize("spell", [str.upper, lambda e: e[0].upper() + e[1:]],
                         ids=["upper", "mixed"])
def test_spelling_variants_count_on_the_account(spell):
    """Another ASCII case of the address is the same account (contract
    §3.9): its failures count on the account's rows."""
    c = new_customer()
    fail(c.email, "10.7.0.1")
    rows = set(scopes())
    assert len(rows) == 3
    v = spell(c.email)
    for _ in range(PAIR_MAX - 1):                      # failures 2..5
        with unchanged(side="storefront", account_id=customer_id(c.email),
                       audit=[("login", "failure", "003")],
                       changes=_variant_counts_on(rows)):
            assert sf_login(v, "wrong-password", "10.7.0.1").status == 401
    # Five on the account from this address: every spelling is refused.
    refused(c.email, c.password, "10.7.0.1", WINDOW - 5, WINDOW)
    refused(v, c.password, "10.7.0.1", WINDOW - 5, WINDOW)
    signs_in(c.email, c.password, "10.7.0.2")


@pytest.mark.parametrize("spell", [lambda e: e + " ",
                                   lambda e: e[0].upper() + e[1:] + "  "],
                         ids=["trailing-space", "mixed-spaced"])
def test_non_canonical_spellings_never_reach_the_account(spell):
    """A spelling that is not canonical names no account (contract §3.9):
    even with the right password it does not sign in, and its failures
    leave the account's budget alone, so they buy an attacker nothing."""
    c = new_customer()
    v = spell(c.email)
    assert sf_login(v, c.password, "10.7.0.3").status == 401
    for _ in range(PAIR_MAX - 1):
        assert sf_login(v, "wrong-password", "10.7.0.3").status == 401
    # The name itself is now limited from this address (an unknown name
    # counts on its own key) ...
    assert sf_login(v, "wrong-password", "10.7.0.3").status == 429
    # ... but the account's count from this address is still 0: the
    # owner, there, signs in.
    signs_in(c.email, c.password, "10.7.0.3")


def test_backend_spelling_variants_count_on_the_user():
    u = new_user()
    fail(u.username, "10.7.1.1", side="backend")
    rows = set(scopes())
    for _ in range(PAIR_MAX - 1):
        with unchanged(side="backend", account_id=user_id(u.username),
                       audit=[("login", "failure", "003")],
                       changes=_variant_counts_on(rows)):
            r = be_login(u.username.upper(), "wrong-password", "10.7.1.1")
            assert r.status == 400, r.describe()
    with limited_block(u.username, side="backend"):
        r = be_login(u.username, u.password, "10.7.1.1")
        assert r.status == 429, r.describe()
        assert r.json == {"error": "invalid_grant", "error_description": OD_LIMIT}
        assert_retry(r, WINDOW - 5, WINDOW)
    r = be_login(u.username, u.password, "10.7.1.2")
    assert r.status == 200, r.describe()
    # A non-canonical spelling never signs in, even with the right password.
    r = be_login(u.username + " ", u.password, "10.7.1.3")
    assert r.status == 400, r.describe()


# --------------------------------------------------------------------------
# The current password on PATCH /customer-password: limited and audited


def cp_body(current, new="n3w-Passw0rd!"):
    return doc("customer-password", {"password": current, "newPassword": new,
                                     "confirmPassword": new})


def test_customer_password_oracle_is_closed():
    c = new_customer().signed_in()
    cid = customer_id(c.email)
    path = "/customer-password/" + c.ref
    for _ in range(PAIR_MAX):
        with unchanged(side="storefront", account_id=cid,
                       audit=[("password_check", "failure", "408")],
                       changes=login_failure_counted()):
            r = api("PATCH", path, cp_body("not-the-password"), token=c.access)
            assert_error(r, 400, "408", "Invalid password.",
                         pointer="/data/attributes/password")
    # The sixth check is refused, even with the right password.
    for pw in ("not-the-password", c.password):
        with unchanged(side="storefront", account_id=cid,
                       audit=[("password_check", "failure", "113")]):
            r = api("PATCH", path, cp_body(pw), token=c.access)
            assert_error(r, 429, "113", D_TOO_MANY_LOGINS)
            assert 1 <= int(r.headers["Retry-After"]) <= WINDOW
    # The same limiter as sign-in: this address may not sign in either ...
    with limited_block(c.email):
        assert login(c.email, c.password).status == 429
    # ... the owner at another address may, and changes the password there.
    signs_in(c.email, c.password, "10.8.0.1")


def test_customer_password_success_is_audited_and_clears_the_counts():
    c = new_customer().signed_in()
    cid = customer_id(c.email)
    path = "/customer-password/" + c.ref
    for _ in range(PAIR_MAX - 1):
        r = api("PATCH", path, cp_body("not-the-password"), token=c.access)
        assert r.status == 400, r.describe()
    r = api("PATCH", path, cp_body(c.password), token=c.access)
    assert r.status == 204, r.describe()
    rows = db_query("SELECT action, result, error_code FROM audit_log"
                    " WHERE side = 0 AND account_id = %d ORDER BY id DESC"
                    " LIMIT 1" % cid)
    assert rows == [["password_check", "success", "NULL"]]
    # The account's and the pair's counts are gone: five more tries.
    for _ in range(PAIR_MAX):
        r = api("PATCH", path, cp_body("not-the-password"), token=c.access)
        assert r.status == 400, r.describe()
    r = api("PATCH", path, cp_body("n3w-Passw0rd!", "an0ther-Passw0rd"),
            token=c.access)
    assert r.status == 429, r.describe()


SLOW_HASH = "password_iterations = 16\npassword_memory_kib = 65536"


def test_a_right_password_gives_back_only_its_own_count():
    """A sign-in's attempt counted on the address, then another attempt's
    failure counted there while the first one's (slow) Argon2id check runs:
    the right password takes back one failure, not the row as it found it
    (that would erase the other's) and not nothing (that would keep its
    own).  The customer's hash is made with heavy parameters so that the
    check outlasts the other attempt."""
    conf = config_with(SLOW_HASH)
    attrs = customer_attrs()
    r = cgi(_bin("customers"), "POST", "/customers",
            json.dumps(doc("customers", attrs)).encode(), "10.19.0.1",
            config=conf)
    assert r.status == 201, r.describe()
    a = "10.19.0.2"
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", sf_login(
        attrs["email"], attrs["password"], a, config=conf)))
    t.start()
    deadline = time.monotonic() + 30
    while not scopes() and time.monotonic() < deadline:
        time.sleep(0.01)            # the first attempt's count is in
    counted = scopes()
    assert sorted(counted.values()) == [1, 1, 1], counted
    wrong(unique_email("other"), a)         # counts on the same address
    assert len(scopes()) == 5 and t.is_alive(), \
        "the check ended before the other attempt: %r" % scopes()
    t.join(60)
    assert_tokens(out["r"])
    # the first attempt's account and pair rows are gone; the address keeps
    # the other attempt's failure, which has its own name and pair rows
    assert sorted(scopes().values()) == [1, 1, 1], scopes()
    assert len(set(scopes()) & set(counted)) == 1, (counted, scopes())


def password_burst(c, a, headers=None, side="storefront"):
    """BURST wrong current passwords at once from address a, each its own CGI
    process, with the pair one failure below its limit; the answers.  c: a
    conftest customer or an mfa_helpers Account of the side."""
    for _ in range(PAIR_MAX - 1):
        wrong(c.mail if hasattr(c, "mail") else c.email, a, side=side)
    h = {"Authorization": "Bearer " + c.access}
    h.update(headers or {})
    if side == "storefront":
        ref = c.ref if hasattr(c, "ref") else c.path.rsplit("/", 1)[1]
        prog, uri = _bin("customer-password"), "/customer-password/" + ref
        body = cp_body("not-the-password")
    else:
        prog, uri = _bin("backend", "users"), BE + "/users/" + c.id
        body = doc("users", {"password": "n3w-Passw0rd!",
                             "currentPassword": "not-the-password"})
    data = json.dumps(body).encode()
    return burst(lambda i: cgi(prog, "PATCH", uri, data, a, headers=h))


def test_a_burst_of_password_changes_at_the_pair_limit_gets_one_check():
    c = new_customer().signed_in()
    got = password_burst(c, "10.15.0.1")
    assert outcomes(got) == {"400 408": 1, "429 113": BURST - 1}, outcomes(got)
    # the set-up's four failures and the burst's one, in each scope
    assert sorted(scopes().values()) == [PAIR_MAX] * 3, scopes()


def test_a_burst_of_password_changes_behind_the_guard_gets_one_check():
    """With MFA on, in the grace window of the token (the guard spends
    nothing): each attempt counts inside the unit of work the guard opens;
    a wrong password goes back to the unit's savepoint and counts again
    under the locks it holds, so no parallel attempt is checked in
    between."""
    c = mfa_account(STOREFRONT)
    code = fresh_code(c)
    r = patch_account(c, code, first_name="Grace")          # opens grace
    assert r.status == 200, r.describe()
    codes = code_rows(c)
    got = password_burst(c, "10.16.0.1", {"X-MFA-Code": code})
    assert outcomes(got) == {"400 408": 1, "429 113": BURST - 1}, outcomes(got)
    assert sorted(scopes().values()) == [PAIR_MAX, PAIR_MAX, PAIR_MAX], scopes()
    assert code_rows(c) == codes


def test_a_backend_burst_of_own_password_changes_behind_the_guard_gets_one_check():
    u = mfa_account(BACKEND)
    code = fresh_code(u)
    r = patch_account(u, code, first_name="Grace")          # opens grace
    assert r.status == 200, r.describe()
    got = password_burst(u, "10.18.0.1", {"X-MFA-Code": code}, side="backend")
    assert outcomes(got) == {"400 408": 1, "429 113": BURST - 1}, outcomes(got)
    assert sorted(scopes().values()) == [PAIR_MAX, PAIR_MAX, PAIR_MAX], scopes()


# --------------------------------------------------------------------------
# A back-office user's own password change needs the current password


def test_own_password_change_needs_the_current_password():
    u = new_user().signed_in()
    uid = user_id(u.username)
    with unchanged(side="backend", account_id=uid):
        r = user_patch(u.access, u.uuid, {"password": "n3w-Passw0rd!"})
        assert_error(r, 422, "901", "currentPassword is invalid.",
                     pointer="/data/attributes/currentPassword")
    for _ in range(PAIR_MAX):
        with unchanged(side="backend", account_id=uid,
                       audit=[("password_check", "failure", "408")],
                       changes=login_failure_counted()):
            r = user_patch(u.access, u.uuid, {"password": "n3w-Passw0rd!",
                                              "currentPassword": "wrong"})
            assert_error(r, 400, "408", "Invalid password.",
                         pointer="/data/attributes/currentPassword")
    with unchanged(side="backend", account_id=uid,
                   audit=[("password_check", "failure", "113")]):
        r = user_patch(u.access, u.uuid, {"password": "n3w-Passw0rd!",
                                          "currentPassword": u.password})
        assert_error(r, 429, "113", D_TOO_MANY_LOGINS)
        assert 1 <= int(r.headers["Retry-After"]) <= WINDOW
    # Another address proves the password and the change goes through
    # there; the counts of this account end.
    body = json.dumps({"data": {"type": "users", "attributes": {
        "password": "n3w-Passw0rd!", "currentPassword": u.password}}}).encode()
    r = cgi(_bin("backend", "users"), "PATCH", BE + "/users/" + u.uuid, body,
            "10.8.1.1", headers={"Authorization": "Bearer " + u.access})
    assert r.status == 200, r.describe()
    rows = db_query("SELECT action, result, client_address FROM audit_log"
                    " WHERE side = 1 AND account_id = %d ORDER BY id DESC"
                    " LIMIT 1" % uid)
    assert rows == [["password_check", "success", "10.8.1.1"]]
    # The pair of this account and 127.0.0.1 stays at its limit.
    r = be_login(u.username, "n3w-Passw0rd!", "127.0.0.1")
    assert r.status == 429, r.describe()
    r = be_login(u.username, "n3w-Passw0rd!", "10.8.1.2")
    assert r.status == 200, r.describe()


def test_administrator_sets_another_users_password_without_it(login_failures_cleared):
    op = new_user().signed_in()
    u = new_user()
    r = user_patch(op.access, u.uuid, {"password": "n3w-Passw0rd!"})
    assert r.status == 200, r.describe()
    sign_in(u.username, "n3w-Passw0rd!")


# --------------------------------------------------------------------------
# trusted_proxies, both ways


def test_forged_forwarded_headers_do_not_escape_the_limit():
    """Without trusted_proxies (the test instance), through the web server:
    X-Forwarded-For and Forwarded are ignored; the peer is the client."""
    c = new_customer()
    for i in range(PAIR_MAX):
        with unchanged(side="storefront", account_id=customer_id(c.email),
                       audit=[("login", "failure", "003")],
                       changes=login_failure_counted()):
            r = login(c.email, "wrong-password",
                      headers={"X-Forwarded-For": "203.0.113.%d" % i,
                               "Forwarded": "for=198.51.100.%d" % i})
            assert_login_failed(r)
    with limited_block(c.email):
        r = login(c.email, c.password,
                  headers={"X-Forwarded-For": "203.0.113.99",
                           "Forwarded": "for=198.51.100.99"})
        assert_error(r, 429, "113", D_TOO_MANY_LOGINS)
    rows = db_query("SELECT DISTINCT client_address FROM audit_log"
                    " WHERE side = 0 AND account_id = %d" % customer_id(c.email))
    assert rows == [["127.0.0.1"]]


def test_trusted_proxy_forwards_the_client():
    """With trusted_proxies = 127.0.0.1: the right-most untrusted hop."""
    conf = config_with("trusted_proxies = 127.0.0.1, ::1")
    c = new_customer()
    for i in range(PAIR_MAX):
        r = sf_login(c.email, "wrong-password", "127.0.0.1", config=conf,
                     headers={"X-Forwarded-For": "6.6.6.%d, 10.11.0.1" % i})
        assert r.status == 401, r.describe()
    r = sf_login(c.email, c.password, "127.0.0.1", config=conf,
                 headers={"X-Forwarded-For": "10.11.0.1"})
    assert_limited(r, WINDOW - 5, WINDOW)
    # Forwarded names the same client: refused too.
    r = sf_login(c.email, c.password, "127.0.0.1", config=conf,
                 headers={"Forwarded": 'for="10.11.0.1:4711"'})
    assert_limited(r, WINDOW - 5, WINDOW)
    rows = db_query("SELECT DISTINCT client_address FROM audit_log"
                    " WHERE side = 0 AND account_id = %d" % customer_id(c.email))
    assert rows == [["10.11.0.1"]]
    # Another client behind the proxy gets in.
    assert_tokens(sf_login(c.email, c.password, "127.0.0.1", config=conf,
                           headers={"X-Forwarded-For": "10.11.0.2"}))
    # A peer that is not trusted: its header is ignored.
    for i in range(PAIR_MAX):
        r = sf_login(c.email, "wrong-password", "10.12.0.1", config=conf,
                     headers={"X-Forwarded-For": "10.13.0.%d" % i})
        assert r.status == 401, r.describe()
    r = sf_login(c.email, c.password, "10.12.0.1", config=conf,
                 headers={"X-Forwarded-For": "10.13.0.99"})
    assert_limited(r, WINDOW - 5, WINDOW)
