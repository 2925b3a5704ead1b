"""Sending limits when mail fails (contract §9.4) and a mail path that cannot
stall the service (contract §9.5), on both sides where the programs run as
CGI (test_mfa_sendmail.py's way of switching the transport).

- A code withdrawn because its mail could not be handed over (5910), by a
  trigger or an activation, counts
  toward neither daily_send_cap nor the cool-down: the retry is tried at
  once, and a day of retries does not end in a 24-hour 5912.
- The separate bound: mail_failure_cap failed hand-overs per account within
  mail_failure_window seconds, then 429 5913 with Retry-After until the
  oldest leaves the window; per account, whatever spelling signed in;
  parallel requests cannot pass it (a hand-over under way counts).
- A trigger whose client has gone while it waited for a program (behind
  lighttpd, FastCGI, 2 processes, a hanging sendmail) is not handed over.
"""

import collections
import os
import socket
import stat
import struct
import subprocess
import threading
import time

import pytest

from conftest import ROOT, db_query, doc, set_clock
from effects import db_id, diff_rows, lock_taken, server_now, unchanged_for
from mfa_helpers import (ACTIVATE, ACTIVATED, PENDING, enable_mfa, status_of,
                         CODE_INVALIDATED, DAILY_SEND_CAP, STOREFRONT, TRIGGER,
                         assert_204, mail_mark, mails_for, mfa_account, _of,
                         account_id, code_rows, new_code_since, patch_account, trigger)
from mfa_helpers import account, side  # noqa: F401 (fixtures)
from test_mfa_sendmail import (assert_cgi_5910, conf_with, free_port,  # noqa: F401
                               program, run_cgi)

# contract §7.2 defaults, as the test instance has them.
MAIL_FAILURE_CAP = 5
MAIL_FAILURE_WINDOW = 300
D_5913 = "Your codes could not be sent several times. Please try again later."

RETRIES = 100
ROUNDS = 5          # windows of retries: more withdrawn codes than the daily cap
assert ROUNDS * MAIL_FAILURE_CAP > DAILY_SEND_CAP


def assert_cgi_5913(status, headers, parsed, lo=1, hi=MAIL_FAILURE_WINDOW):
    assert status == 429, (status, headers, parsed)
    assert headers.get("content-type") == "application/vnd.api+json", headers
    assert parsed == {"errors": [{"status": "429", "code": "5913",
                                  "detail": D_5913}]}, parsed
    ra = int(headers.get("retry-after", "-1"))
    assert lo <= ra <= hi, (ra, lo, hi, headers)
    return ra


def withdrawn(before, after):
    """checks= for mfa_codes: exactly one new row, withdrawn (invalidated,
    its mail failed: handover 2, never tried); the old rows as they were."""
    new = set(after) - set(before)
    out = diff_rows("mfa_codes (old rows)", before,
                    {k: r for k, r in after.items() if k not in new})
    rows = [after[k] for k in new]
    if len(rows) != 1 or (rows[0]["state"], rows[0]["handover"],
                          rows[0]["attempts"], rows[0]["used_token_hash"]) \
            != ("3", "2", "0", None):
        out.append("mfa_codes: expected one withdrawn code, new rows %r" % rows)
    return out


def one_more_code(before, after):
    """checks= for the counts: mfa_codes has one row more (random ids:
    its highest id may change); nothing else changed."""
    exp = {k: dict(r) for k, r in before.items()}
    got = {k: dict(r) for k, r in after.items()}
    n = int(exp["mfa_codes"]["rows/max id"].split("/")[0]) + 1
    exp["mfa_codes"]["rows/max id"] = str(n)
    got["mfa_codes"]["rows/max id"] = got["mfa_codes"]["rows/max id"].split("/")[0]
    return diff_rows("counts (one withdrawn code)", exp, got)


def failed_handovers(c):
    """created_at of the account's codes whose mail failed or is under way."""
    return sorted(int(r[0]) for r in db_query(
        "SELECT created_at FROM mfa_codes WHERE handover <> 1 AND " + _of(c)))


def cgi_trigger(c, conf, token=None):
    return run_cgi(c.side, TRIGGER, conf, token or c.access,
                   doc(TRIGGER, {"type": "email"}))


def test_withdrawn_codes_count_toward_neither_cap_nor_cooldown(side, conf_with, clock):
    """100 retries with a failing sendmail, in ROUNDS windows: each window
    answers 5910 exactly MAIL_FAILURE_CAP times (the retry never waits for
    the cool-down), then 5913 until the window has passed; the withdrawn
    codes (more than daily_send_cap) never reach 5912. Every answer leaves
    nothing changed but its withdrawn code and its audit rows. Then the
    transport works again: the next trigger is 204 and one mail arrives."""
    c = mfa_account(side)
    failing = conf_with(mail_transport="sendmail", sendmail_command="/bin/false")
    offset, seen = 0, collections.Counter()
    per_round = RETRIES // ROUNDS
    for rnd in range(ROUNDS):
        for i in range(per_round):
            if i < MAIL_FAILURE_CAP:
                # The code issued with its row, then withdrawn with the
                # failure's (contract §5.4).
                with unchanged_for(c, audit=[("trigger", "success", None),
                                             ("trigger", "failure", "5910")],
                                   changes=lock_taken(c.side.name, db_id(c)),
                                   checks={"mfa_codes": withdrawn,
                                           "counts": one_more_code}):
                    assert_cgi_5910(*cgi_trigger(c, failing)[:3])
                seen["5910"] += 1
            else:
                with unchanged_for(c, audit=[("trigger", "failure", "5913")]):
                    status, headers, parsed, _ = cgi_trigger(c, failing)
                    oldest = failed_handovers(c)[-MAIL_FAILURE_CAP]
                    ra = assert_cgi_5913(status, headers, parsed)
                    # Until the oldest failure of the window leaves it.
                    assert abs(ra - (oldest + MAIL_FAILURE_WINDOW - server_now())) <= 2
                seen["5913"] += 1
        # Past the window of this round's failures.
        offset += MAIL_FAILURE_WINDOW + 1
        set_clock(offset)
    assert seen == {"5910": ROUNDS * MAIL_FAILURE_CAP,
                    "5913": RETRIES - ROUNDS * MAIL_FAILURE_CAP}, seen
    states = [s for s, _ in code_rows(c)]
    assert states.count(CODE_INVALIDATED) == ROUNDS * MAIL_FAILURE_CAP, states
    # The mail path works again (the instance's spool, over HTTP).
    mark = mail_mark()
    assert_204(trigger(c))
    assert len(mails_for(c.mail, since=mark)) == 1
    assert patch_account(c, new_code_since(c.mail, mark)).status == 200


def test_activation_retries_meet_the_same_bound(account, conf_with, clock):
    """Activation mails a code too: with the transport failing, exactly
    MAIL_FAILURE_CAP activations answer 5910 (the method stays pending),
    the next is 5913 and changes nothing; past the window, with the
    transport working, activation and verification go through."""
    failing = conf_with(mail_transport="sendmail", sendmail_command="/bin/false")
    for _ in range(MAIL_FAILURE_CAP):
        assert_cgi_5910(*run_cgi(account.side, ACTIVATE, failing, account.access,
                                 doc(ACTIVATE, {"type": "email"}))[:3])
    assert status_of(account) == PENDING
    with unchanged_for(account, audit=[("activate", "failure", "5913")]):
        assert_cgi_5913(*run_cgi(account.side, ACTIVATE, failing, account.access,
                                 doc(ACTIVATE, {"type": "email"}))[:3])
    set_clock(MAIL_FAILURE_WINDOW + 1)
    enable_mfa(account)
    assert status_of(account) == ACTIVATED


def test_the_bound_at_its_window_edge(side, conf_with, clock):
    """MAIL_FAILURE_CAP failures, then the working transport is still
    refused (5913) a few seconds before the oldest failure leaves the
    window, and answered 204 once it has (now = oldest + window)."""
    c = mfa_account(side)
    failing = conf_with(mail_transport="sendmail", sendmail_command="/bin/false")
    for _ in range(MAIL_FAILURE_CAP):
        assert_cgi_5910(*cgi_trigger(c, failing)[:3])
    oldest = failed_handovers(c)[0]
    set_clock(oldest + MAIL_FAILURE_WINDOW - 5 - int(time.time()))
    with unchanged_for(c, audit=[("trigger", "failure", "5913")]):
        r = trigger(c)
        assert r.status == 429 and r.json["errors"][0]["code"] == "5913", r.describe()
        assert 1 <= int(r.headers["Retry-After"]) <= 5, r.describe()
    set_clock(oldest + MAIL_FAILURE_WINDOW - int(time.time()))
    mark = mail_mark()
    assert_204(trigger(c))
    assert len(mails_for(c.mail, since=mark)) == 1


def test_the_bound_is_the_accounts_whatever_the_spelling(conf_with):
    """A token of another spelling of the address is the same account: its
    retries are refused by the same bound."""
    c = mfa_account(STOREFRONT)
    failing = conf_with(mail_transport="sendmail", sendmail_command="/bin/false")
    for _ in range(MAIL_FAILURE_CAP):
        assert_cgi_5910(*cgi_trigger(c, failing)[:3])
    other, _ = c.side.sign_in(c.mail.upper(), c.password)
    with unchanged_for(c, audit=[("trigger", "failure", "5913")]):
        assert_cgi_5913(*cgi_trigger(c, failing, token=other)[:3])


def test_parallel_retries_cannot_pass_the_bound(side, conf_with, tmp_path):
    """Twice the bound of triggers at once, with a sendmail that hangs 2 s
    and no cool-down: each counts under the account's lock, a hand-over
    under way counting as failed, so exactly MAIL_FAILURE_CAP are tried."""
    c = mfa_account(side)
    script = tmp_path / "slow-fail.sh"
    script.write_text("#!/bin/sh\nsleep 2\nexit 1\n")
    script.chmod(stat.S_IRWXU)
    conf = conf_with(mail_transport="sendmail", sendmail_command=str(script),
                     mail_timeout="10", resend_cooldown="0")
    out = [None] * (2 * MAIL_FAILURE_CAP)
    barrier = threading.Barrier(len(out))

    def one(i):
        barrier.wait(60)
        out[i] = cgi_trigger(c, conf)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(out))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    got = collections.Counter(str(o[2]["errors"][0]["code"]) for o in out)
    assert got == {"5910": MAIL_FAILURE_CAP, "5913": MAIL_FAILURE_CAP}, got
    assert len(failed_handovers(c)) == MAIL_FAILURE_CAP


# --------------------------------------------------------------------------
# A hanging sendmail (contract §9.5)


@pytest.fixture
def hanging_sendmail(conf_with, tmp_path):
    """A config whose sendmail hangs while tmp/hang exists and else takes
    the message (the default mail_timeout); every run of it appends a line
    to tmp/handovers. Yields (config, tmp_path)."""
    script = tmp_path / "sendmail.sh"
    script.write_text("#!/bin/sh\necho run >> %s/handovers\n"
                      "[ -e %s/hang ] && exec sleep 60\ncat > /dev/null\n"
                      % (tmp_path, tmp_path))
    script.chmod(stat.S_IRWXU)
    (tmp_path / "hang").touch()
    yield conf_with(mail_transport="sendmail", sendmail_command=str(script)), tmp_path


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def wait_for(pred, what, limit=30):
    deadline = time.monotonic() + limit
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.05)


def code_made(c):
    """Did a trigger of c's make a code (whose mail failed or is under way)?"""
    return bool(failed_handovers(c))


def trigger_body():
    return ('{"data":{"type":"%s","attributes":{"type":"email"}}}' % TRIGGER).encode()


# FastCGI (the FastCGI specification 1.0): a responder request on a
# connection of its own, as the web servers send them (no FCGI_KEEP_CONN).

def fcgi_record(kind, content):
    return struct.pack(">BBHHBB", 1, kind, 1, len(content), 0, 0) + content


def fcgi_pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 1 << 31)
        out += k + v
    return out


def fcgi_trigger(sock_path, c):
    """Connects to the program and sends a whole trigger request of c's;
    returns the connection."""
    body = trigger_body()
    params = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
              "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
              "REQUEST_METHOD": "POST", "REQUEST_URI": "/" + TRIGGER,
              "SCRIPT_NAME": "/" + TRIGGER, "CONTENT_TYPE": "application/vnd.api+json",
              "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
              "HTTP_AUTHORIZATION": "Bearer " + c.access,
              "HTTP_USER_AGENT": "mail-failures-test"}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(sock_path)
    s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)) +
              fcgi_record(4, fcgi_pairs(params)) + fcgi_record(4, b"") +
              fcgi_record(5, body) + fcgi_record(5, b""))
    return s


def fcgi_status(s):
    """The status of the answer on a fcgi_trigger() connection."""
    buf, out = b"", b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    s.close()
    while len(buf) >= 8:
        _, kind, _, n, pad, _ = struct.unpack(">BBHHBB", buf[:8])
        if kind == 6:
            out += buf[8:8 + n]
        buf = buf[8 + n + pad:]
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for ln in head.split("\r\n"):
        if ln.lower().startswith("status:"):
            return int(ln.split()[1])
    return 200


@pytest.fixture
def fcgi_program(hanging_sendmail):
    """The Storefront trigger program as one FastCGI process on a socket of
    the test's own, with the hanging sendmail. Yields (socket, tmp)."""
    conf, tmp = hanging_sendmail
    path = str(tmp / "trigger.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(16)
    with open(tmp / "programs.log", "ab") as err:
        proc = subprocess.Popen([program(STOREFRONT, TRIGGER)], stdin=ls.fileno(),
                                stdout=subprocess.DEVNULL, stderr=err,
                                env={"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf})
    ls.close()
    try:
        yield path, tmp
    finally:
        proc.terminate()
        proc.wait(30)


def test_abandoned_request_is_not_handed_over(fcgi_program):
    """One process; A's hand-over hangs. C's request waits behind it and the
    web server gives it up (closes C's connection); D waits too. When the
    process reaches C it sees the connection closed and hands nothing over
    (C's account changes by nothing but the audit row; the program logs
    why); D is answered after A's time-out; with sendmail working again
    the next trigger is 204."""
    sock, tmp = fcgi_program
    a, c, d, e = (mfa_account(STOREFRONT) for _ in range(4))
    handovers = tmp / "handovers"
    sa = fcgi_trigger(sock, a)
    wait_for(lambda: len(lines(handovers)) == 1, "A's hanging hand-over")
    with unchanged_for(c, audit=[("trigger", "failure", "5910")], own_only=True):
        fcgi_trigger(sock, c).close()
        sd = fcgi_trigger(sock, d)
        assert (fcgi_status(sa), fcgi_status(sd)) == (503, 503)
    assert lines(handovers) == ["run", "run"]          # A's and D's, not C's
    assert not code_made(c) and code_made(d)
    log = "\n".join(lines(tmp / "programs.log"))
    assert "account %d: client gone, no code sent" % account_id(c) in log, log[-2000:]
    os.unlink(tmp / "hang")
    assert fcgi_status(fcgi_trigger(sock, e)) == 204
    assert len(lines(handovers)) == 3


LIGHTTPD = "/usr/sbin/lighttpd"


@pytest.fixture
def hanging_web(hanging_sendmail):
    """A lighttpd of its own in front of the Storefront trigger program (2
    FastCGI processes, as the development instance has), with the hanging
    sendmail. Yields (port, tmp)."""
    if not os.access(LIGHTTPD, os.X_OK):
        pytest.skip("lighttpd not installed")
    conf, tmp = hanging_sendmail
    port = free_port()
    web = tmp / "lighttpd.conf"
    web.write_text("""
server.modules = ( "mod_fastcgi" )
server.bind = "127.0.0.1"
server.port = %d
server.document-root = "%s"
server.errorlog = "%s/error.log"
server.breakagelog = "%s/programs.log"
fastcgi.server = ( "/" => ( (
    "bin-path" => "%s",
    "socket" => "%s/trigger.sock",
    "check-local" => "disable",
    "max-procs" => 2,
    "bin-environment" => ( "MFA_CONFIG" => "%s" )
) ) )
""" % (port, tmp, tmp, tmp, program(STOREFRONT, TRIGGER), tmp, conf))
    proc = subprocess.Popen([LIGHTTPD, "-D", "-f", str(web)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "lighttpd exited"
                assert time.monotonic() < deadline, "lighttpd did not listen"
                time.sleep(0.1)
        yield port, tmp
    finally:
        proc.terminate()
        proc.wait(30)


def http_trigger(port, c):
    body = trigger_body()
    head = ("POST /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            "Content-Type: application/vnd.api+json\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: %d\r\n\r\n" % (TRIGGER, c.access, len(body))).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    s.sendall(head + body)
    return s, time.monotonic()


def http_status(conn):
    """(status, seconds since sent) of an http_trigger() connection."""
    s, t0 = conn
    buf = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    s.close()
    return int(buf.split(b" ", 2)[1]), time.monotonic() - t0


def test_hanging_sendmail_behind_lighttpd(hanging_web):
    """What clients see behind lighttpd with 2 processes while sendmail
    hangs (printed): A and B hold both processes for mail_timeout; C1's
    and C2's triggers wait and their clients leave, C1 closing its side
    (FIN), C2 resetting the connection; D waits. A, B and D are answered
    5910 after the time-out; a request lighttpd gave up was not handed over
    (and the program says so); with sendmail working again the next
    trigger is 204."""
    port, tmp = hanging_web
    a, b, c1, c2, d, e = (mfa_account(STOREFRONT) for _ in range(6))
    handovers = tmp / "handovers"
    t0 = time.monotonic()
    sa, sb = http_trigger(port, a), http_trigger(port, b)
    wait_for(lambda: len(lines(handovers)) == 2, "two hanging hand-overs")
    (s1, _), (s2, _) = http_trigger(port, c1), http_trigger(port, c2)
    time.sleep(0.5)
    s1.close()                                                  # FIN
    s2.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s2.close()                                                  # RST
    sd = http_trigger(port, d)
    got = {k: http_status(s) for k, s in (("A", sa), ("B", sb), ("D", sd))}
    took = time.monotonic() - t0
    handed = {k: code_made(x) for k, x in (("C1", c1), ("C2", c2))}
    print("\nhanging sendmail, 2 processes, default mail_timeout: %s; "
          "C1 (FIN) %s, C2 (RST) %s; all in %.1f s" % (
              ", ".join("%s %d in %.1f s" % (k, st, sec)
                        for k, (st, sec) in sorted(got.items())),
              *("handed over" if handed[k] else "given up, not handed over"
                for k in ("C1", "C2")), took))
    assert {k: st for k, (st, _) in got.items()} == {"A": 503, "B": 503, "D": 503}
    assert len(lines(handovers)) == 3 + sum(handed.values()), lines(handovers)
    log = "\n".join(lines(tmp / "programs.log"))
    for k, x in (("C1", c1), ("C2", c2)):
        assert (("account %d: client gone, no code sent" % account_id(x)) in log) \
            == (not handed[k]), (k, log[-2000:])
    os.unlink(tmp / "hang")
    status, sec = http_status(http_trigger(port, e))
    print("sendmail working again: E %d in %.1f s" % (status, sec))
    assert status == 204
