"""Effects of a request, checked: a refusal leaves nothing changed.

    from effects import unchanged
    with unchanged(side="storefront", account_id=acct_id, mail_to=addr,
                   audit=[("protected", "failure", "5901")]):
        r = api(...)

On entry the block snapshots the test database (one mariadb call, inside one
consistent-snapshot transaction) and the mail spool; on a normal exit it
snapshots again and asserts that nothing differs:

- the account's row (customers or users, every column), its access and
  refresh tokens (revoked/used included), its addresses (Storefront), its MFA
  methods, codes (state, attempts, grace, used token), lockout row and
  authenticator-app row (mfa_totp: sealed secret, last step, drift);
  recovery codes (hashes, used); passkeys (webauthn_users,
  webauthn_credentials, webauthn_challenges: counters, last use, spent);
- the whole login_failures table;
- the global row count and highest id of customers, users, addresses,
  access_tokens, refresh_tokens, mfa_methods, mfa_codes, mfa_lockouts,
  mfa_totp, mfa_recovery_codes, idempotency_keys and the webauthn_ tables (so a
  refused registration, creation or sign-in is caught with account_id=None);
- the mail spool: no new message (the names under $GLUE_INSTANCE/mail);
- audit_log: the rows written during the block are exactly `audit`, in
  order, as (action, result, error_code) (error_code None: NULL); when
  account_id is given, each of that account (and side).
  Default `audit=[]`: no row at all, so a "success" row is never allowed
  unless listed; audit=NO_SUCCESS allows any rows but successes; a
  collections.Counter of such tuples compares in any order (parallel
  requests).

Changes that a refusal makes by design are declared, not ignored:

    with unchanged(side="backend", account_id=i, mail_to=addr,
                   audit=[("protected", "failure", "5901")],
                   changes=wrong_code("backend", i, type_=None)):

`changes` is a dict (or a list of dicts, merged) mapping a table name
("account", "access_tokens", "refresh_tokens", "addresses", "mfa_methods",
"mfa_codes", "mfa_lockouts", "login_failures", "counts") to a function that
gets a copy of that table's rows before the block ({key: {column: value}},
values as strings, binary as hex, NULL as None) and returns the rows
expected after it. `checks` maps a table to a function(before, after)
returning a list of problems, for changes a test cannot predict exactly.
The builders wrong_code() (a counted wrong code, contract §5.2),
lock_taken() (a unit of work committed under the account's lock) and
login_failure_counted() (a counted failed sign-in) give the documented
changes. `mails` lists the subjects of the messages expected to mail_to
(default: no new message to anyone).

unchanged_for(acct, ...) is the same for an mfa_helpers Account (its side,
database id and address). unchanged.snapshot(side, account_id) returns a
snapshot for comparing by hand; unchanged.diff(before, after) lists the
differences of two.

If the block raises, nothing is checked (the test has already failed).
"""

import collections
import contextlib
import copy
import os
import time

import pytest

from conftest import INSTANCE, db_available, db_query

# The engine's limits as configured in the test instance (contract §5 defaults;
# mfa_helpers has the same numbers).
ATTEMPTS_PER_CODE = 3
MAX_FAILURES = 10

SIDE_NUM = {"storefront": 0, "backend": 1}
ACCOUNT_TABLE = {0: "customers", 1: "users"}
COUNTED = ["customers", "users", "addresses", "access_tokens",
           "refresh_tokens", "mfa_methods", "mfa_codes", "mfa_lockouts",
           "mfa_totp", "mfa_recovery_codes", "idempotency_keys",
           "webauthn_users", "webauthn_credentials", "webauthn_challenges"]
AUDIT_COLS = ["id", "side", "account_id", "action", "method", "result",
              "error_code"]
_NULL = "<NULL>"

# audit=NO_SUCCESS: new audit rows may record the refusal (any rows whose
# result is not "success"), where the contract leaves open whether a step
# audits it.
NO_SUCCESS = "no success"

_schema = {}   # table -> ([(column, is_binary)], [primary key columns])


def _side_num(side):
    """'storefront'/'backend', 0/1, or an mfa_helpers Side."""
    if isinstance(side, int):
        assert side in (0, 1), side
        return side
    name = getattr(side, "name", side)
    assert name in SIDE_NUM, "side must be storefront or backend, not %r" % (side,)
    return SIDE_NUM[name]


def _load_schema():
    if _schema:
        return
    rows = db_query(
        "SELECT table_name, column_name, data_type, column_key"
        " FROM information_schema.columns WHERE table_schema = DATABASE()"
        " ORDER BY table_name, ordinal_position")
    for t, c, dt, key in rows:
        cols, pk = _schema.setdefault(t, ([], []))
        cols.append((c, dt.lower() in ("binary", "varbinary", "blob",
                                       "tinyblob", "mediumblob", "longblob")))
        if key == "PRI":
            pk.append(c)
    for t in ["customers", "users", "addresses", "access_tokens",
              "refresh_tokens", "mfa_methods", "mfa_codes", "mfa_lockouts",
              "mfa_recovery_codes", "login_failures", "audit_log"]:
        assert t in _schema, "table %s not in the test database" % t


def _select(tag, table, where):
    """SELECT of every column of table, the tag first; binary as hex, NULL
    as a marker (batch output cannot tell NULL from 'NULL')."""
    cols = ["IF(`%s` IS NULL, '%s', %s)" % (c, _NULL,
                                             "HEX(`%s`)" % c if b else "`%s`" % c)
            for c, b in _schema[table][0]]
    pk = ", ".join("`%s`" % c for c in _schema[table][1])
    return "SELECT '%s', %s FROM `%s` WHERE %s ORDER BY %s;" % (
        tag, ", ".join(cols), table, where, pk)


class Snapshot:
    """tables: {name: {key: {column: value}}}; counts: {"table": "n/max id"};
    mail: set of spool names; audit_max: highest audit_log id;
    audit_new: audit rows above `since` (when asked for)."""

    def __init__(self):
        self.tables = {}
        self.mail = set()
        self.audit_max = 0
        self.audit_new = []

    def __repr__(self):
        return "Snapshot(%r, mail=%d, audit_max=%d)" % (
            self.tables, len(self.mail), self.audit_max)


def _tagged_tables(side, account_id):
    """[(tag, table, where)] of what the snapshot covers."""
    out = []
    if account_id is not None:
        a = int(account_id)
        own = "side = %d AND account_id = %d" % (side, a)
        out.append(("account", ACCOUNT_TABLE[side], "id = %d" % a))
        out.append(("access_tokens", "access_tokens", own))
        out.append(("refresh_tokens", "refresh_tokens", own))
        if side == 0:
            out.append(("addresses", "addresses", "customer_id = %d" % a))
        out.append(("mfa_methods", "mfa_methods", own))
        out.append(("mfa_codes", "mfa_codes", own))
        out.append(("mfa_lockouts", "mfa_lockouts", own))
        if "mfa_totp" in _schema:
            out.append(("mfa_totp", "mfa_totp", own))
        out.append(("mfa_recovery_codes", "mfa_recovery_codes", own))
        for t in ("webauthn_users", "webauthn_credentials",
                  "webauthn_challenges"):
            if t in _schema:
                out.append((t, t, own))
    out.append(("login_failures", "login_failures", "1"))
    return out


def snapshot(side="storefront", account_id=None, audit_since=None):
    """One consistent read of everything `unchanged` compares."""
    _load_schema()
    s = _side_num(side)
    parts = ["START TRANSACTION WITH CONSISTENT SNAPSHOT;"]
    plan = _tagged_tables(s, account_id)
    for tag, table, where in plan:
        parts.append(_select(tag, table, where))
    for t in COUNTED:
        parts.append("SELECT 'counts', '%s', CONCAT(COUNT(*), '/', "
                     "COALESCE(MAX(id), 0)) FROM `%s`;" % (t, t)
                     if "id" in _schema[t][1] else
                     "SELECT 'counts', '%s', COUNT(*) FROM `%s`;" % (t, t))
    parts.append("SELECT 'audit_max', COALESCE(MAX(id), 0) FROM audit_log;")
    if audit_since is not None:
        parts.append("SELECT 'audit', %s FROM audit_log WHERE id > %d ORDER BY id;"
                     % (", ".join("IF(`%s` IS NULL, '%s', `%s`)" % (c, _NULL, c)
                                  for c in AUDIT_COLS), int(audit_since)))
    parts.append("COMMIT;")
    snap = Snapshot()
    table_of = {tag: table for tag, table, _ in plan}
    for tag in table_of:
        snap.tables[tag] = {}
    snap.tables["counts"] = {}
    for row in db_query(" ".join(parts)):
        tag, vals = row[0], [None if v == _NULL else v for v in row[1:]]
        if tag == "counts":
            snap.tables["counts"][vals[0]] = {"rows/max id": vals[1]}
        elif tag == "audit_max":
            snap.audit_max = int(vals[0])
        elif tag == "audit":
            snap.audit_new.append(dict(zip(AUDIT_COLS, vals)))
        else:
            cols, pk = _schema[table_of[tag]]
            r = dict(zip([c for c, _ in cols], vals))
            key = r[pk[0]] if len(pk) == 1 else tuple(r[k] for k in pk)
            snap.tables[tag][key] = r
    snap.mail = _spool_names()
    return snap


def _spool_dir():
    return os.path.join(INSTANCE, "mail") if INSTANCE else ""


def _spool_names():
    d = _spool_dir()
    if not d or not os.path.isdir(d):
        return set()
    return {n for n in os.listdir(d) if not n.startswith(".")}


def _mail_header(name, header):
    try:
        with open(os.path.join(_spool_dir(), name), "rb") as f:
            head = f.read(16384).decode("utf-8", "replace").split("\n\n")[0]
    except OSError:
        return "?"
    for ln in head.replace("\r\n", "\n").split("\n"):
        k, _, v = ln.partition(":")
        if k.strip().lower() == header:
            return v.strip()
    return "?"


def diff_rows(table, before, after):
    """Human-readable differences between two {key: row} maps."""
    out = []
    for k in sorted(set(before) | set(after), key=str):
        b, a = before.get(k), after.get(k)
        if b == a:
            continue
        if b is None:
            out.append("%s: row %r added: %r" % (table, k, a))
        elif a is None:
            out.append("%s: row %r removed (was %r)" % (table, k, b))
        else:
            ch = ["%s %r -> %r" % (c, b.get(c), a.get(c))
                  for c in sorted(set(b) | set(a)) if b.get(c) != a.get(c)]
            out.append("%s: row %r changed: %s" % (table, k, ", ".join(ch)))
    return out


def diff(before, after):
    """Differences between two snapshots' tables (not mail or audit)."""
    out = []
    for t in before.tables:
        out += diff_rows(t, before.tables[t], after.tables.get(t, {}))
    return out


def server_now():
    """The programs' clock: real time plus the test clock's offset."""
    try:
        with open(os.path.join(INSTANCE, "clock")) as f:
            off = int(f.read().strip() or "0")
    except (OSError, ValueError):
        off = 0
    return int(time.time()) + off


# --------------------------------------------------------------------------
# Changes made by design (contract §5.2)


def wrong_code(side, account_id, type_="email", n=1):
    """A wrong code, counted n times (answered 5901, not locked before):
    the account's consecutive failures +n (the lock row made if absent),
    each live unexpired code of the method checked (type_=None: of every
    active method, as the protected guard checks) +n attempts, blocked once
    attempts_per_code is reached. A count reaching max_failures (again, after
    a lockout ended) also locks: lockouts +1 and locked_until in the future
    (the "lockout" audit row and the notification mail are the caller's to
    declare; mfa_helpers.refused does)."""
    s = _side_num(side)
    now = server_now()
    key = (str(s), str(account_id))

    def lockouts(before, after, _snap):
        exp = copy.deepcopy(before)
        r = exp.get(key) or {"side": str(s), "account_id": str(account_id),
                             "failures": "0", "lockouts": "0",
                             "locked_until": "0", "lock_seq": "0"}
        old = int(r["failures"])
        r["failures"] = str(old + n)
        r["lock_seq"] = str(int(r["lock_seq"]) + n)    # each count took the lock
        if old + n >= MAX_FAILURES:     # also again after a lockout ended
            r["lockouts"] = str(int(r["lockouts"]) + 1)
            r["locked_until"] = _Later(now)
        exp[key] = r
        return diff_rows("mfa_lockouts (expected %d failure(s) counted)" % n,
                         exp, after)

    def codes(before, after, snap):
        types = ({type_} if type_ is not None else
                 {m["type"] for m in snap.tables["mfa_methods"].values()
                  if m["status"] == "2"})
        exp = copy.deepcopy(before)
        for r in exp.values():
            if (r["state"] == "0" and r["type"] in types
                    and int(r["expires_at"]) > now):
                a = int(r["attempts"]) + n
                r["attempts"] = str(a)
                if a >= ATTEMPTS_PER_CODE:
                    r["state"] = "2"
        return diff_rows("mfa_codes (expected %d failure(s) counted)" % n,
                         exp, after)

    def counts(before, after, snap):
        exp = copy.deepcopy(before)
        if key not in snap.tables["mfa_lockouts"]:
            exp["mfa_lockouts"]["rows/max id"] = str(
                int(exp["mfa_lockouts"]["rows/max id"]) + 1)
        return diff_rows("counts (with the lock row a first failure makes)",
                         exp, after)

    return {"_checks": {"mfa_lockouts": lockouts, "mfa_codes": codes,
                        "counts": counts}}


def lock_taken(side, account_id, n=1):
    """n units of work committed holding the account's lock (contract §9.9):
    its lock row's lock_seq +n (the row made, at n, if absent), nothing else
    of it. For a refusal whose earlier step committed (a code issued, then
    its mail failed)."""
    key = (str(_side_num(side)), str(account_id))

    def lockouts(rows):
        r = rows.get(key)
        if r is None:
            rows[key] = {"side": key[0], "account_id": key[1], "failures": "0",
                         "lockouts": "0", "locked_until": "0", "lock_seq": str(n)}
        else:
            r["lock_seq"] = str(int(r["lock_seq"]) + n)
        return rows
    return {"mfa_lockouts": lockouts}


class _Later(str):
    """A value that matches any integer greater than `now`."""

    def __new__(cls, now):
        o = str.__new__(cls, "> %d" % now)
        o.now = now
        return o

    def __eq__(self, other):
        try:
            return int(other) > self.now
        except (TypeError, ValueError):
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def login_failure_counted(scopes=3):
    """checks= for a counted failed sign-in (or password check): exactly
    `scopes` rows of
    login_failures each count one failure more (a new row counts 1; an
    expired window restarts at 1), the others unchanged."""

    def check(before, after):
        out, changed = [], 0
        for k in set(before) | set(after):
            b, a = before.get(k), after.get(k)
            if b == a:
                continue
            if a is None:
                out.append("login_failures: row %r removed" % (k,))
                continue
            changed += 1
            ok = a["failures"] == "1" or (
                b is not None and int(a["failures"]) == int(b["failures"]) + 1
                and a["window_start"] == b["window_start"])
            if not ok:
                out += diff_rows("login_failures (one failure more expected)",
                                 {k: b} if b else {}, {k: a})
        if changed != scopes:
            out.append("login_failures: %d rows changed, expected %d"
                       % (changed, scopes))
        return out

    return {"_checks": {"login_failures": lambda b, a, _s: check(b, a)}}


# --------------------------------------------------------------------------
# The block


def _merge(changes):
    """changes: a dict or a list of them (builders' "_checks" merged)."""
    if changes is None:
        return {}
    if isinstance(changes, dict):
        changes = [changes]
    out = {"_checks": {}}
    for c in changes:
        for t, f in c.items():
            if t == "_checks":
                for k, g in f.items():
                    assert k not in out["_checks"], "two changes of %s" % k
                    out["_checks"][k] = g
            else:
                assert t not in out, "two changes of %s" % t
                out[t] = f
    for t in out:
        assert t == "_checks" or t not in out["_checks"], "two changes of %s" % t
    return out


def _audit_tuple(row):
    return (row["action"], row["result"], row["error_code"])


@contextlib.contextmanager
def unchanged(side="storefront", account_id=None, mail_to=None, audit=(),
              changes=None, checks=None, mails=(), own_only=False):
    """Asserts that the block changed nothing but what is declared (see the
    module's documentation). Yields the `before` snapshot.

    own_only=True compares only what is the account's own: its rows, its
    audit rows, the messages to mail_to (for a bystander, in a block nested
    in another account's)."""
    if not db_available():
        pytest.skip("effects need the test database (GLUE_INSTANCE)")
    s = _side_num(side)
    unordered = isinstance(audit, collections.Counter)
    expected_audit = (None if audit == NO_SUCCESS else
                      collections.Counter({tuple(k): v for k, v in audit.items()})
                      if unordered else [tuple(a) for a in audit])
    for a in expected_audit or []:
        assert len(a) == 3, "audit entries are (action, result, error_code): %r" % (a,)
    changes = _merge(changes)
    extra_checks = dict(changes.pop("_checks", {}))
    for t, f in (checks or {}).items():
        extra_checks[t] = (lambda f: lambda b, a, _s: f(b, a))(f)
    before = snapshot(s, account_id)
    for t in list(changes) + list(extra_checks):
        assert t in before.tables, "changes/checks name an unknown table %r" % t
    yield before
    after = snapshot(s, account_id, audit_since=before.audit_max)
    problems = []
    who = "%s account %s" % (("storefront", "backend")[s], account_id)
    for t in before.tables:
        if own_only and t in ("counts", "login_failures"):
            continue
        b, a = before.tables[t], after.tables.get(t, {})
        if t in extra_checks:
            problems += extra_checks[t](copy.deepcopy(b), a, before)
        elif t in changes:
            problems += diff_rows("%s (expected after the declared change)" % t,
                                  changes[t](copy.deepcopy(b)), a)
        else:
            problems += diff_rows(t, b, a)
    new_mail = sorted(after.mail - before.mail)
    got = [(_mail_header(n, "to"), _mail_header(n, "subject")) for n in new_mail]
    if own_only:
        assert mail_to, "own_only needs mail_to"
        got = [g for g in got if g[0].lower() == mail_to.lower()]
    want = [(mail_to, m) for m in mails]
    if sorted((t.lower(), sj) for t, sj in got) != \
            sorted(((t or "").lower(), sj) for t, sj in want):
        problems.append("mail spool: new messages %r, expected %r" % (got, want))
    rows = after.audit_new
    if own_only:
        assert account_id is not None, "own_only needs account_id"
        rows = [r for r in rows if r["side"] == str(s)
                and r["account_id"] == str(account_id)]
    if expected_audit is None:
        if any(r["result"] == "success" for r in rows):
            problems.append("audit_log: a success recorded: %r" % (rows,))
    elif unordered:
        got_audit = collections.Counter(_audit_tuple(r) for r in rows)
        if got_audit != expected_audit:
            problems.append("audit_log: new rows %r, expected %r (any order)" % (
                dict(got_audit), dict(expected_audit)))
    elif [_audit_tuple(r) for r in rows] != expected_audit:
        problems.append("audit_log: new rows %r, expected %r (full rows: %r)" % (
            [_audit_tuple(r) for r in rows], expected_audit, rows))
    for r in rows if account_id is not None else []:
        if r["side"] != str(s) or r["account_id"] != str(account_id):
            problems.append("audit_log: row %r is not of the %s" % (r, who))
    assert not problems, "the request changed what it must not (%s):\n  %s" % (
        who, "\n  ".join(problems))


def unchanged_for(acct, **kw):
    """unchanged() for an mfa_helpers Account: its side, database id and
    address (mail_to)."""
    kw.setdefault("mail_to", acct.mail)
    return unchanged(side=acct.side.name, account_id=db_id(acct), **kw)


def db_id(acct):
    """The database id of an mfa_helpers Account (looked up once)."""
    i = getattr(acct, "_db_id", None)
    if i is None:
        from mfa_helpers import account_id
        i = acct._db_id = account_id(acct)
    return i


# --------------------------------------------------------------------------
# Sign-in refusals (POST /access-tokens, POST /token; contract §3.1)


def customer_id_of(email):
    """The id of the customer signing in with `email`, None if there is none."""
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % email)
    assert len(rows) <= 1, rows
    return int(rows[0][0]) if rows else None


@contextlib.contextmanager
def login_untouched(email=None):
    """A refusal that counts nothing: no change at all, for the customer of
    `email` if there is one."""
    with unchanged(side="storefront",
                   account_id=None if email is None else customer_id_of(email)):
        yield


@contextlib.contextmanager
def login_counted(email):
    """A counted failed sign-in (401 003, invalid_grant): the failure is
    counted (its address and the client's) and audited as 003; nothing else
    changes, no token is issued."""
    with unchanged(side="storefront", account_id=customer_id_of(email),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        yield


@contextlib.contextmanager
def login_limited(email):
    """A sign-in refused by the limits (429 113): audited (a row without an
    account id), nothing counted, no token.  The account's rows are compared
    by hand: unchanged() with an account id expects every new audit row to
    name that account."""
    cid = customer_id_of(email)
    before = cid and snapshot("storefront", cid)
    with unchanged(side="storefront", audit=[("login", "failure", "113")]):
        yield
    if cid:
        assert diff(before, snapshot("storefront", cid)) == []


unchanged.snapshot = snapshot
unchanged.diff = diff
