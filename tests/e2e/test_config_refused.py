"""A configuration that cannot half-work (contract §7.1).

The programs are run directly as plain CGI (RFC 3875) with MFA_CONFIG naming
a copy of the instance's configuration: one that others may read, or its
group write, one with an unknown protected resource type, a key given twice
or a malformed value stops the program at start-up. It logs exactly one line
naming the key (or MFA_CONFIG) on stderr, answers 500 111, and changes
nothing. Group read (the web server's group) is allowed, comments after a
value are allowed, and the shipped example configuration loads.
"""
import json
import os
import stat
import subprocess

import pytest

from conftest import INSTANCE, ROOT, db_available, new_customer
from effects import unchanged

JSONAPI = "application/vnd.api+json"
INTERNAL = {"errors": [{"status": "500", "code": "111",
                        "detail": "Internal server error."}]}


def sign_in(email, password):
    return json.dumps({"data": {"type": "access-tokens", "attributes": {
        "username": email, "password": password}}}).encode()


SIGN_IN = sign_in("sonia@example.com", "change123")


def bin_dir():
    return os.environ.get("GLUE_BIN") or os.path.join(ROOT, "build", "test", "cgi-bin")


def admin_tool():
    return os.environ.get("GLUE_ADMIN") or os.path.join(ROOT, "build", "test", "bin",
                                                        "glue-mfa-admin")


def instance_lines():
    if not INSTANCE or not db_available():
        pytest.skip("needs the instance (GLUE_INSTANCE) and its database")
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        return f.readlines()


@pytest.fixture
def conf(tmp_path):
    """conf(extra_lines, mode, head=None): a copy of the instance's
    configuration (after `head`, text put first), the lines appended, with
    that mode (set by chmod, whatever the umask)."""
    def make(extra=(), mode=0o600, head=""):
        path = tmp_path / "glue-mfa.conf"
        text = head + "".join(instance_lines()) + "".join(ln + "\n" for ln in extra)
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(str(path), mode)
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == mode
        return str(path), text.count("\n")
    return make


def run_cgi(conf_path, name="access-tokens", body=SIGN_IN):
    """POST /access-tokens (by default sonia's right password) as one CGI
    request."""
    prog = os.path.join(bin_dir(), name)
    if not os.access(prog, os.X_OK):
        pytest.skip("program not built: %s" % prog)
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf_path,
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
           "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "POST",
           "REQUEST_URI": "/" + name, "SCRIPT_NAME": "/" + name,
           "CONTENT_TYPE": JSONAPI, "CONTENT_LENGTH": str(len(body))}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([prog], input=body, env=env, capture_output=True, timeout=60)
    head, sep, rest = p.stdout.partition(b"\r\n\r\n")
    assert sep, (p.returncode, p.stdout[:300], p.stderr[-500:])
    hdrs = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return p, int(hdrs["status"].split()[0]), hdrs, rest


def assert_refused(conf_path, want_line):
    """The program stops at start-up: one line on stderr, exactly want_line
    after the program's name; 500 111; nothing changed (no token, no row)."""
    with unchanged(side="storefront", account_id=None):
        p, status, hdrs, body = run_cgi(conf_path)
    lines = p.stderr.decode().splitlines()
    assert lines == ["access-tokens: " + want_line], p.stderr
    assert p.returncode == 1, p.returncode
    assert status == 500 and hdrs.get("content-type") == JSONAPI, (status, hdrs)
    assert json.loads(body) == INTERNAL, body


def assert_started(conf_path):
    """The program starts and works: a fresh customer signs in (201)."""
    c = new_customer()
    p, status, hdrs, body = run_cgi(conf_path, body=sign_in(c.email, c.password))
    assert (p.returncode, status) == (0, 201), (p.returncode, status, body, p.stderr)
    assert json.loads(body)["data"]["type"] == "access-tokens"


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o602, 0o601, 0o660, 0o620, 0o666])
def test_config_others_may_read_or_group_may_write_is_refused(conf, mode):
    path, _ = conf(mode=mode)
    assert_refused(path, "MFA_CONFIG: %s is accessible to others or writable by "
                   "its group (mode %04o; chmod 640 or 600)" % (path, mode))


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o400, 0o440])
def test_config_readable_by_owner_and_group_only_is_accepted(conf, mode):
    path, _ = conf(mode=mode)
    assert_started(path)


def test_admin_tool_refuses_a_world_readable_config(conf):
    path, _ = conf(mode=0o644)
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": path}
    p = subprocess.run([admin_tool(), "audit", "1"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1 and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    assert p.stderr.splitlines() == [
        "glue-mfa-admin: MFA_CONFIG: %s is accessible to others or writable by its "
        "group (mode 0644; chmod 640 or 600)" % path], p.stderr


def test_unknown_protected_type_is_refused(conf):
    path, n = conf(["protected_storefront = customers,adresses"])
    assert_refused(path, 'protected_storefront: line %d: unknown resource type '
                   '"adresses" (known: access-tokens,refresh-tokens,token,customers,'
                   'customer-password,customer-confirmation,addresses,dev-mailbox,'
                   'multi-factor-auth-types,multi-factor-auth-type-activate,'
                   'multi-factor-auth-type-verify,multi-factor-auth-trigger,'
                   'multi-factor-auth-type-deactivate,multi-factor-auth-recovery-codes,'
                   'multi-factor-auth-webauthn-credentials)'
                   % n)


def test_unknown_backend_type_is_refused(conf):
    path, n = conf(["protected_backend = users,customer-multi-factor-auth-type-deactivat"])
    with unchanged(side="storefront", account_id=None):
        p, status, _, _ = run_cgi(path)
    assert (p.returncode, status) == (1, 500)
    line = p.stderr.decode().splitlines()
    assert len(line) == 1 and line[0].startswith(
        'access-tokens: protected_backend: line %d: unknown resource type '
        '"customer-multi-factor-auth-type-deactivat" (known: token,users,' % n), line


def test_key_given_twice_is_refused(conf):
    lines = instance_lines()
    first = 1 + next(i for i, ln in enumerate(lines)
                     if ln.split("=", 1)[0].strip() == "mail_from")
    path, n = conf(["mail_from = other@glue-mfa.test"])
    assert_refused(path, "mail_from: line %d: given twice (first on line %d)" % (n, first))


@pytest.mark.parametrize("line,want", [
    ("code_length = six", 'code_length: line %d: invalid value "six": a whole number '
                          'from 6 to 10'),
    ("code_length = 6# six", 'code_length: line %d: invalid value "6# six": a '
                             'whole number from 6 to 10'),
    ("max_failures = 1000", 'max_failures: line %d: invalid value "1000": a whole '
                            'number from 1 to 100'),
    ("db_port = 70000", 'db_port: line %d: invalid value "70000": a whole number '
                        'from 1 to 65535'),
    ("colour = blue", "colour: line %d: unknown key"),
    ("code_length 6", "line %d: expected key = value"),
])
def test_malformed_value_is_refused(conf, line, want):
    path, n = conf([line])
    assert_refused(path, want % n)


def test_comment_after_a_value_is_accepted(conf):
    path, _ = conf(["code_length = 6 # six", "login_window = 900\t# seconds"])
    assert_started(path)


def test_the_shipped_example_loads(conf):
    """etc/glue-mfa.conf.example (what make install puts in place, 0640) with
    the instance's own settings after it: the example adds no key twice and
    nothing the programs refuse."""
    with open(os.path.join(ROOT, "etc", "glue-mfa.conf.example")) as f:
        example = f.read()
    # The instance's own settings replace the example's (a key is given
    # once): its database, paths and development switches.
    own = {ln.split("=", 1)[0].strip() for ln in instance_lines() if "=" in ln
           and not ln.lstrip().startswith("#")}
    example = "".join(ln for ln in example.splitlines(True)
                      if ln.lstrip().startswith("#") or "=" not in ln
                      or ln.split("=", 1)[0].strip() not in own)
    path, _ = conf(mode=0o640, head=example)
    assert_started(path)
