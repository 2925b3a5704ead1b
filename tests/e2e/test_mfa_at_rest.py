"""What the database keeps (contract §5.1 rule 2, §3.5, §5.4): no code or token at rest,
and one audit row per MFA decision. On both sides (the `side` fixture)."""

import base64
import os
import re
import time
import uuid

from conftest import INSTANCE, db_dump
from mfa_helpers import (account_id, activate, activation_code, assert_204, assert_5900,
                         assert_5901, assert_5906, audit_rows, deactivate, fresh_code,
                         mail_mark, needs_db, new_code_since, patch_account, trigger,
                         verify, wrong)
from mfa_helpers import side  # noqa: F401 (fixture)


def full_flow(side):
    """Sign in, refresh, activate, verify, trigger, a protected write,
    deactivate. Returns (account, codes, tokens) that went over the wire."""
    c = side.new_account()
    tokens = [c.access, c.refresh]
    tokens += list(side.refresh_tokens(c.refresh))
    c.access = tokens[-2]       # a rotation ends the access token issued before
    codes = [activation_code(c)]
    assert_204(verify(c, codes[0]))
    codes.append(fresh_code(c))
    r = patch_account(c, codes[1])
    assert r.status == 200, r.describe()
    codes.append(fresh_code(c))
    assert_204(deactivate(c, codes[2]))
    return c, codes, tokens


def sql_values(line):
    """The fields of one `INSERT INTO t VALUES (...);` line of the dump."""
    body = line[line.index("VALUES (") + 8:line.rindex(");")]
    out, cur, i, quoted = [], "", 0, False
    while i < len(body):
        ch = body[i]
        if quoted:
            if ch == "\\":
                cur += body[i:i + 2]
                i += 2
                continue
            if ch == "'":
                quoted = False
            cur += ch
        elif ch == "'":
            quoted = True
            cur += ch
        elif ch == ",":
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out


def rows_of(dump, table):
    return [sql_values(ln) for ln in dump.splitlines()
            if ln.startswith("INSERT INTO `%s` VALUES (" % table)]


def test_no_code_or_token_at_rest(side):
    needs_db()
    c, codes, tokens = full_flow(side)
    dump = db_dump()
    # Tokens: not as sent, and not their 32 raw bytes (hex, as --hex-blob
    # writes binary columns) anywhere in the dump.
    upper = dump.upper()
    for t in tokens:
        assert t not in dump
        raw = base64.urlsafe_b64decode(t + "=")
        assert raw.hex().upper() not in upper
    # Codes: in no field of the account's mfa_codes or audit_log rows (a
    # six-digit string occurs by chance elsewhere in a dump, e.g. inside
    # another request's id). Columns: mfa_codes (id, side, account_id, ...),
    # audit_log (id, at, side, account_id, ...).
    key = [str(side.num), str(account_id(c))]
    codes_rows = [r for r in rows_of(dump, "mfa_codes") if r[1:3] == key]
    audit = [r for r in rows_of(dump, "audit_log") if r[2:4] == key]
    assert len(codes_rows) == 3 and len(audit) >= 5, (codes_rows, audit)
    rows = codes_rows + audit
    for code in codes:
        hexcode = code.encode().hex().upper()
        for row in rows:
            for v in row:
                if v.startswith("'"):
                    assert code not in v, (code, row)
                elif v.startswith("0x"):
                    assert hexcode not in v.upper(), (code, row)
                else:
                    assert v != code, (code, row)


def test_no_code_or_token_in_the_program_log(side):
    """The programs' log (lighttpd's breakage log in the test instance): what
    this flow added holds no token, and no code outside the request ids (32
    hex digits, where six digits occur by chance)."""
    needs_db()
    path = os.path.join(INSTANCE, "log", "programs.log")
    start = os.path.getsize(path) if os.path.exists(path) else 0
    _, codes, tokens = full_flow(side)
    text = ""
    if os.path.exists(path):
        with open(path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
    for t in tokens:
        assert t not in text
    text = re.sub(r"[0-9a-f]{32}", "", text)
    for code in codes:
        assert not re.search(r"(?<![0-9])%s(?![0-9])" % code, text), code


def test_audit_trail(side):
    needs_db()
    c = side.new_account()
    ua = "h6-audit/%s" % uuid.uuid4().hex
    h = {"User-Agent": ua}
    t0 = int(time.time())
    steps = []          # (response, action, method, result, error_code)

    def step(r, action, method, error=None):
        steps.append((r, action, method, "failure" if error else "success", error))

    step(activate(c, type_="sms", headers=h), "activate", "sms", "5906")
    assert_5906(steps[-1][0])
    mark = mail_mark()
    r = activate(c, headers=h)
    assert_204(r)
    step(r, "activate", "email")
    code = new_code_since(c.mail, mark)
    step(verify(c, wrong(code), headers=h), "verify", "email", "5901")
    assert_5901(steps[-1][0])
    r = verify(c, code, headers=h)
    assert_204(r)
    step(r, "verify", "email")
    r = patch_account(c, first_name="A", headers=h)
    assert_5900(r)
    step(r, "protected", None, "5900")
    mark = mail_mark()
    r = trigger(c, headers=h)
    assert_204(r)
    step(r, "trigger", "email")
    t = new_code_since(c.mail, mark)
    r = patch_account(c, t, first_name="B", headers=h)
    assert r.status == 200, r.describe()
    step(r, "protected", None)
    step(deactivate(c, wrong(t), headers=h), "deactivate", "email", "5901")
    assert_5901(steps[-1][0])
    r = deactivate(c, t, headers=h)          # the grace window of that token
    assert_204(r)
    step(r, "deactivate", "email")
    t1 = int(time.time())

    # Sign-ins are audited too (contract §5.4); this test is about MFA decisions.
    rows = [a for a in audit_rows(c) if a["action"] != "login"]
    got = [(a["action"], a["method"], a["result"], a["error_code"], a["request_id"])
           for a in rows]
    want = [(action, method, result, error, r.headers["X-Request-Id"])
            for r, action, method, result, error in steps]
    assert got == want
    for a in rows:
        assert a["side"] == str(side.num)
        assert a["actor_id"] is None
        assert a["client_address"] == "127.0.0.1"
        assert a["user_agent"] == ua
        assert t0 - 2 <= int(a["at"]) <= t1 + 2, a
        for k in ("action", "method", "result", "error_code", "client_address",
                  "user_agent"):
            for secret in (code, t, c.access, c.refresh, c.password):
                assert a[k] is None or secret not in a[k], (secret, a)
        assert re.match(r"^[0-9a-f]{32}$", a["request_id"])
