"""Programs run directly as CGI (RFC 3875) with a configuration of the test's
own: a copy of the instance's configuration with some keys replaced (the
same database, key and mail spool), for settings the test instance does not
have (customer_confirmation = on, small sign-up limits, a small per-recipient
cap).  $GLUE_BIN names the programs (the Backend's under backend/)."""

import json
import os
import subprocess

import pytest

from conftest import INSTANCE, ROOT


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.json = json.loads(body) if body.strip() else None
        self.raw = body

    def describe(self):
        return "\n  CGI answer %d %r %r" % (self.status, self.headers, self.raw[:400])


def bin_dir():
    return os.environ.get("GLUE_BIN") or os.path.join(ROOT, "build", "test", "cgi-bin")


def conf_with(tmp_path, **keys):
    """A copy of the instance's configuration with keys replaced (mode 0600:
    it holds the DB password); its path."""
    if not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: no configuration for the programs")
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        lines = [ln for ln in f if ln.split("=", 1)[0].strip() not in keys]
    lines += ["%s = %s\n" % kv for kv in keys.items()]
    path = tmp_path / ("glue-mfa-%d.conf" % len(os.listdir(tmp_path)))
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(lines)
    return str(path)


def run(conf, method, path, body=None, token=None, remote_addr="127.0.0.1",
        backend=False, mfa_code=None, returncode=0):
    """One request to the program serving path (its first segment), which
    must end with returncode (-9: killed by a fault point)."""
    name = path.strip("/").split("/")[0]
    prog = os.path.join(bin_dir(), "backend", name) if backend else \
        os.path.join(bin_dir(), name)
    if not os.access(prog, os.X_OK):
        pytest.skip("program not built: %s" % prog)
    data = json.dumps(body).encode() if body is not None else b""
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf,
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "HTTP_HOST": "127.0.0.1", "REQUEST_METHOD": method,
           "REQUEST_URI": ("/backend" if backend else "") + path,
           "SCRIPT_NAME": ("/backend/" if backend else "/") + name,
           "REMOTE_ADDR": remote_addr, "HTTP_USER_AGENT": "e2e-cgi"}
    if body is not None:
        env["CONTENT_TYPE"] = "application/vnd.api+json"
        env["CONTENT_LENGTH"] = str(len(data))
    if token is not None:
        env["HTTP_AUTHORIZATION"] = "Bearer " + token
    if mfa_code is not None:
        env["HTTP_X_MFA_CODE"] = mfa_code
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([prog], input=data, env=env, capture_output=True, timeout=60)
    assert p.returncode == returncode, (p.returncode, p.stderr[-500:])
    head, sep, rest = p.stdout.partition(b"\r\n\r\n")
    assert sep, p.stdout[:300]
    headers = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return Answer(int(headers.get("status", "200").split()[0]), headers, rest.decode())
