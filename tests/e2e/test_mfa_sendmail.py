"""Real mail through the sendmail transport (contract §7.3), with the programs run
directly as CGI (no web server): msmtp into an aiosmtpd sink started here;
a failing command and a hanging one answer 5910 (contract §4.2). On both sides
(the `side` fixture; the Backend's programs are $GLUE_BIN/backend/*)."""

import email
import email.policy
import json
import os
import socket
import stat
import subprocess
import time

import pytest

from conftest import INSTANCE, ROOT, doc
from effects import db_id, diff_rows, lock_taken, unchanged_for
from mfa_helpers import (ACTIVATE, ACTIVATED, CODE_INVALIDATED, CODE_RE, CODE_SUBJECT,
                         D_5910, PENDING, TRIGGER, code_rows, enable_mfa, fresh_code,
                         mfa_account, needs_db, patch_account, status_of,
                         stored_status)
from mfa_helpers import account, side  # noqa: F401 (fixtures)

PY = "/usr/bin/python3"
MSMTP = "/usr/bin/msmtp"
OVERRIDDEN = ("mail_transport", "sendmail_command", "mail_timeout")


def bin_dir():
    return os.environ.get("GLUE_BIN") or os.path.join(ROOT, "build", "test", "cgi-bin")


def program(side, name):
    p = os.path.join(bin_dir(), side.programs, name)
    if not os.access(p, os.X_OK):
        pytest.skip("program not built: %s" % p)
    return p


@pytest.fixture
def conf_with(tmp_path):
    """conf_with(**keys): a copy of the instance's config with those keys
    replaced, mode 0600 (it holds the DB password); the secret key file is
    the instance's own."""
    needs_db()
    src = os.path.join(INSTANCE, "glue-mfa.conf")

    def make(**keys):
        with open(src) as f:
            lines = [ln for ln in f
                     if ln.split("=", 1)[0].strip() not in OVERRIDDEN + tuple(keys)]
        lines += ["%s = %s\n" % kv for kv in keys.items()]
        path = tmp_path / "glue-mfa.conf"
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(lines)
        return str(path)
    return make


def run_cgi(side, name, conf, token, body, timeout=60):
    """One CGI request to the side's program `name`; returns (status,
    headers, parsed body, seconds)."""
    data = json.dumps(body).encode()
    env = {
        "PATH": "/usr/bin:/bin",
        "MFA_CONFIG": conf,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REQUEST_METHOD": "POST",
        "REQUEST_URI": side.path(name),
        "SCRIPT_NAME": side.path(name),
        "CONTENT_TYPE": "application/vnd.api+json",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_AUTHORIZATION": "Bearer " + token,
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "h6-cgi-test",
    }
    t0 = time.monotonic()
    with open(os.path.join(os.path.dirname(conf), "stderr.log"), "ab") as err:
        p = subprocess.run([program(side, name)], input=data, env=env,
                           stdout=subprocess.PIPE, stderr=err, timeout=timeout)
    took = time.monotonic() - t0
    assert p.returncode == 0, p.returncode
    head, sep, rest = p.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, sep, rest = p.stdout.partition(b"\n\n")
    assert sep, "no header/body separator in CGI output: %r" % p.stdout[:300]
    headers = {}
    for ln in head.decode("latin-1").splitlines():
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(headers.get("status", "200").split()[0])
    parsed = json.loads(rest.decode()) if rest.strip() else None
    return status, headers, parsed, took


def assert_cgi_5910(status, headers, parsed):
    assert status == 503, (status, headers, parsed)
    assert headers.get("content-type") == "application/vnd.api+json", headers
    assert parsed == {"errors": [{"status": "503", "code": "5910",
                                  "detail": D_5910}]}, parsed


def withdrawn_code(method_added=False):
    """checks= of a code whose mail could not be handed over (5910): one
    new code row, withdrawn (invalidated, never tried, no grace, its mail
    failed: handover 2, contract §9.4), the old
    rows as they were; the counts: that row (and, for a first activation,
    the pending method and the lock row its code check makes)."""

    def codes(before, after):
        new = set(after) - set(before)
        out = diff_rows("mfa_codes (old rows)", before,
                        {k: r for k, r in after.items() if k not in new})
        rows = [after[k] for k in new]
        if len(rows) != 1 or (rows[0]["state"], rows[0]["attempts"],
                              rows[0]["used_token_hash"], rows[0]["grace_until"],
                              rows[0]["handover"]) != ("3", "0", None, "0", "2"):
            out.append("mfa_codes: expected one withdrawn code, new rows %r" % rows)
        return out

    def counts(before, after):
        exp = {k: dict(r) for k, r in before.items()}
        grown = ["mfa_codes"] + (["mfa_methods", "mfa_lockouts"]
                                 if method_added else [])
        for t in grown:
            n = exp[t]["rows/max id"].split("/")
            n[0] = str(int(n[0]) + 1)
            exp[t]["rows/max id"] = "/".join(n)
        got = {k: dict(r) for k, r in after.items()}
        # mfa_codes ids are random: its highest id may change
        for d in (exp, got):
            d["mfa_codes"]["rows/max id"] = d["mfa_codes"]["rows/max id"].split("/")[0]
        return diff_rows("counts (one withdrawn code)", exp, got)

    return {"mfa_codes": codes, "counts": counts}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def smtp_sink(tmp_path):
    """An aiosmtpd sink delivering into a Maildir; yields (port, maildir)."""
    port = free_port()
    maildir = tmp_path / "maildir"       # created by the handler itself
    log = open(tmp_path / "aiosmtpd.log", "wb")
    proc = subprocess.Popen([PY, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % port,
                             "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "aiosmtpd exited"
                assert time.monotonic() < deadline, "aiosmtpd did not listen"
                time.sleep(0.1)
        yield port, maildir
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def delivered(maildir):
    out = []
    for sub in ("new", "cur"):
        d = maildir / sub
        if d.is_dir():
            for f in sorted(d.iterdir()):
                out.append(email.message_from_bytes(f.read_bytes(),
                                                    policy=email.policy.default))
    return out


def test_trigger_mails_a_code_through_msmtp(side, conf_with, smtp_sink):
    port, maildir = smtp_sink
    if not os.access(MSMTP, os.X_OK):
        pytest.skip("msmtp not installed")
    c = mfa_account(side)
    conf = conf_with(mail_transport="sendmail", mail_timeout="10",
                     sendmail_command="%s --host=127.0.0.1 --port=%d "
                     "--from=no-reply@glue-mfa.test -t" % (MSMTP, port))
    status, headers, parsed, _ = run_cgi(side, TRIGGER, conf, c.access,
                                         doc(TRIGGER, {"type": "email"}))
    assert status == 204 and parsed is None, (status, headers, parsed)
    assert len(headers.get("x-request-id", "")) == 32, headers
    msgs = [m for m in delivered(maildir) if str(m["To"]) == c.mail]
    assert len(msgs) == 1, [str(m["To"]) for m in delivered(maildir)]
    m = msgs[0]
    assert str(m["Subject"]) == CODE_SUBJECT
    assert str(m["From"]) == "no-reply@glue-mfa.test"
    assert m["X-RcptTo"] == c.mail           # the envelope, from -t
    text = m.get_body(preferencelist=("plain",)).get_content()
    code = CODE_RE.search(text).group(1)
    # The code works over HTTP.
    r = patch_account(c, code)
    assert r.status == 200, r.describe()


def test_failing_command_is_5910_and_nothing_changes(side, conf_with):
    c = mfa_account(side)
    conf = conf_with(mail_transport="sendmail", sendmail_command="/bin/false")
    with unchanged_for(c, audit=[("trigger", "success", None),
                              ("trigger", "failure", "5910")],
                       changes=lock_taken(c.side.name, db_id(c)),
                       checks=withdrawn_code()):
        status, headers, parsed, _ = run_cgi(side, TRIGGER, conf, c.access,
                                             doc(TRIGGER, {"type": "email"}))
        assert_cgi_5910(status, headers, parsed)
    assert status_of(c) == ACTIVATED
    # The withdrawn code holds back neither the retry nor anything else.
    assert CODE_INVALIDATED in [s for s, _ in code_rows(c)]
    code = fresh_code(c)
    r = patch_account(c, code)
    assert r.status == 200, r.describe()


def test_failing_command_on_activate_leaves_pending(conf_with, account):
    conf = conf_with(mail_transport="sendmail", sendmail_command="/bin/false")
    def pending_added(before, after):
        if before:
            return ["mfa_methods: no row expected before: %r" % before]
        rows = list(after.values())
        if len(rows) != 1 or (rows[0]["type"], rows[0]["status"]) != ("email", "1"):
            return ["mfa_methods: expected one pending email row, got %r" % rows]
        return []

    def lock_row_made(before, after):
        exp = {k: dict(r) for k, r in before.items()}
        got = {k: r for k, r in after.items()
               if (r["failures"], r["lockouts"], r["locked_until"]) != ("0", "0", "0")
               or k in before}
        return diff_rows("mfa_lockouts (at most a zero lock row made)", exp, got)

    with unchanged_for(account, audit=[("activate", "success", None),
                                 ("activate", "failure", "5910")],
                       checks=dict(withdrawn_code(method_added=True),
                                   mfa_methods=pending_added,
                                   mfa_lockouts=lock_row_made)):
        status, headers, parsed, _ = run_cgi(account.side, ACTIVATE, conf,
                                             account.access,
                                             doc(ACTIVATE, {"type": "email"}))
        assert_cgi_5910(status, headers, parsed)
    assert status_of(account) == PENDING
    assert stored_status(account) == 1
    assert code_rows(account) == [(CODE_INVALIDATED, 0)]
    # Retrying over HTTP (spool) works at once.
    enable_mfa(account)
    assert status_of(account) == ACTIVATED


def test_hanging_command_times_out_with_5910(side, conf_with, tmp_path):
    c = mfa_account(side)
    script = tmp_path / "hang.sh"
    # exec: the program kills its direct child on time-out.
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(stat.S_IRWXU)
    conf = conf_with(mail_transport="sendmail", sendmail_command=str(script),
                     mail_timeout="2")
    with unchanged_for(c, audit=[("trigger", "success", None),
                              ("trigger", "failure", "5910")],
                       changes=lock_taken(c.side.name, db_id(c)),
                       checks=withdrawn_code()):
        status, headers, parsed, took = run_cgi(side, TRIGGER, conf, c.access,
                                                doc(TRIGGER, {"type": "email"}))
        assert_cgi_5910(status, headers, parsed)
    assert 1.8 <= took <= 4.0, took
    assert status_of(c) == ACTIVATED
