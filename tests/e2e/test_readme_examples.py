"""The README's shell examples kept as scripts (docs/examples/*.sh, shown
verbatim in the README; `make lint` checks the copies).  The operator-tool
examples (docs/examples/operator-*.sh, chapter "The operator tool") run in
the README's order against the test instance, each script as written, under
`bash -e` so that any failing line fails the test; system-user.sh runs with
useradd pointed at a copy of the machine's account files.

They run from a scratch directory laid out like the checkout the README
speaks of: bin/glue-mfa-admin is the tool under test ($GLUE_ADMIN, the test
build) and var/glue-mfa.conf the instance's configuration.  Between the
accounts and mfa-off, the test puts the accounts in the state the README's
prose describes (Sonia with e-mail codes and an authenticator app on, Olga
with e-mail codes on), through the API, as they would.  The README's names
are fixed (ops@example.com, the demo customer): an earlier run's Olga is
removed first, so the test can run again on the same instance."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import INSTANCE, ROOT, db_query
from backend_helpers import admin_tool, cli
from mfa_helpers import (ACTIVATED, BACKEND, DEACTIVATED, STOREFRONT, SUBJECT_ADMIN_OFF,
                         Account, enable_mfa, fresh_code, mail_mark, mails_for, status_of)
from test_mfa_totp import TOTP, clk, enrol  # noqa: F401 (clk: fixture)

EXAMPLES = os.path.join(ROOT, "docs", "examples")
# The README's order (the chapter shows them so; make lint checks the copies).
ORDER = ["operator-accounts.sh", "operator-mfa-off.sh", "operator-outbox.sh"]
SONIA, SONIA_PASSWORD = "sonia@example.com", "change123"   # seed-demo's
OLGA = "ops@example.com"
OLGA_PASSWORD = "a new password"                           # reset-password's


def script(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return f.read()


def readme_order():
    """The example scripts in the order the README shows them."""
    with open(os.path.join(ROOT, "README.md")) as f:
        return re.findall(r"^<!-- example: docs/examples/(\S+) -->$", f.read(), re.M)


@pytest.fixture
def checkout():
    """A directory with bin/glue-mfa-admin and var/glue-mfa.conf."""
    tool = admin_tool()
    if not os.access(tool, os.X_OK) or not INSTANCE:
        pytest.skip("needs the operator tool and GLUE_INSTANCE")
    d = tempfile.mkdtemp(prefix="glue-readme-")
    os.mkdir(d + "/bin")
    os.mkdir(d + "/var")
    os.symlink(tool, d + "/bin/glue-mfa-admin")
    os.symlink(os.path.join(INSTANCE, "glue-mfa.conf"), d + "/var/glue-mfa.conf")
    yield d
    shutil.rmtree(d)


def run(d, name):
    """One script as written, in bash -e (a failing line stops it); the
    README's shell keeps MFA_CONFIG from the first script's export."""
    env = {k: v for k, v in os.environ.items() if k != "MFA_CONFIG"}
    if name != ORDER[0]:
        env["MFA_CONFIG"] = "var/glue-mfa.conf"
    p = subprocess.run(["bash", "-e", os.path.join(EXAMPLES, name)], cwd=d, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stderr == "", \
        "%s: exit %d\nstdout: %s\nstderr: %s" % (name, p.returncode, p.stdout, p.stderr)
    return p.stdout


def olga_removed():
    """An earlier run's ops@example.com gone (the README creates it)."""
    db_query("DELETE FROM users WHERE username = '%s'" % OLGA)
    cli("mfa-off", "customer", SONIA)     # an earlier run stopped half-way


def test_readme_shows_the_examples_in_this_order():
    assert readme_order() == ORDER + ["system-user.sh"]
    assert sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".sh")) == sorted(
        ["system-user.sh"] + ORDER)
    assert script(ORDER[0]).startswith("export MFA_CONFIG=var/glue-mfa.conf\n")


def test_operator_examples_run_in_the_readmes_order(checkout, clk):  # noqa: F811
    olga_removed()

    out = run(checkout, "operator-accounts.sh")
    assert re.fullmatch(
        r"customer sonia@example\.com: (exists|created \(DE--\d+\))\n"
        r"user admin@example\.com: (exists|created \([0-9a-f-]{36}\))\n"
        r"user ops@example\.com: created \([0-9a-f-]{36}\)\n"
        r"user ops@example\.com: password set, sessions revoked\n"
        r"\d+ statements prepared, parameter and column counts match\n", out), out

    # The state the README describes before mfa-off, as Sonia and Olga
    # would reach it (the new password is reset-password's).
    sonia = Account(STOREFRONT, SONIA, SONIA_PASSWORD).signed_in()
    olga = Account(BACKEND, OLGA, OLGA_PASSWORD).signed_in()
    enable_mfa(sonia)
    enrol(sonia, clk, code=fresh_code(sonia))    # a second method needs a code
    enable_mfa(olga)
    assert (status_of(sonia), status_of(sonia, TOTP), status_of(olga)) == (
        ACTIVATED, ACTIVATED, ACTIVATED)

    mark = mail_mark()
    out = run(checkout, "operator-mfa-off.sh")
    lines = out.split("\n")
    assert lines[:4] == ["user ops@example.com: email switched off",
                         "customer sonia@example.com: email switched off",
                         "customer sonia@example.com: totp switched off",
                         "time\tside\taccount\tactor\taction\tmethod\tresult\tcode"
                         "\taddress\trequest"], out
    # audit 50: newest first, the three switches on top (Sonia's two of one
    # run, one request).
    sonia_id = db_query("SELECT id FROM customers WHERE email = '%s'" % SONIA)[0][0]
    olga_id = db_query("SELECT id FROM users WHERE username = '%s'" % OLGA)[0][0]
    top = [ln.split("\t") for ln in lines[4:7]]
    assert [f[1:8] for f in top] == [
        ["storefront", sonia_id, "0", "admin_deactivate", "totp", "success", "-"],
        ["storefront", sonia_id, "0", "admin_deactivate", "email", "success", "-"],
        ["backend", olga_id, "0", "admin_deactivate", "email", "success", "-"]], out
    assert top[0][9] == top[1][9] != top[2][9], out
    assert 3 <= len(lines[4:-1]) <= 50 and lines[-1] == "", out
    assert (status_of(sonia), status_of(sonia, TOTP), status_of(olga)) == (
        DEACTIVATED, DEACTIVATED, DEACTIVATED)
    # Each one notified once (mfa-off hands its notice over before it exits).
    assert [str(m["Subject"]) for m in mails_for(SONIA, mark)] == [SUBJECT_ADMIN_OFF]
    assert [str(m["Subject"]) for m in mails_for(OLGA, mark)] == [SUBJECT_ADMIN_OFF]

    out = run(checkout, "operator-outbox.sh")
    assert re.fullmatch(
        r"outbox: \d+ handed over, \d+ due again later, \d+ marked failed\n"
        r"id\tside\taccount\trecipient\tnotice\tevent\tstate\tattempts\tnext\n"
        r"(.*\n)*"
        r"outbox: \d+ failed notices due again\n", out), out


def test_system_user_example_creates_a_system_user_and_group():
    """docs/examples/system-user.sh (README: "The programs' user, the key and
    the configuration"), as written, with useradd pointed at a copy of the
    machine's account files (useradd --prefix): glue-mfa is a system user
    (uid below UID_MIN) with its own group, no home directory, no shell;
    the machine's own files stay as they were."""
    useradd = shutil.which("useradd", path="/usr/sbin:/sbin:/usr/bin:/bin")
    if os.geteuid() != 0 or not useradd:
        pytest.skip("needs root and useradd")
    d = tempfile.mkdtemp(prefix="glue-useradd-")
    try:
        os.makedirs(d + "/root/etc")
        for f in ("passwd", "group", "shadow", "gshadow", "login.defs"):
            if os.path.exists("/etc/" + f):
                shutil.copy2("/etc/" + f, d + "/root/etc/" + f)
        if any(ln.startswith("glue-mfa:") for ln in open(d + "/root/etc/passwd")):
            pytest.skip("this machine already has a glue-mfa user")
        os.makedirs(d + "/shim")
        with open(d + "/shim/useradd", "w") as f:
            f.write('#!/bin/sh\nexec %s --prefix %s/root "$@"\n' % (useradd, d))
        os.chmod(d + "/shim/useradd", 0o755)
        before = {f: open("/etc/" + f, "rb").read() for f in ("passwd", "group")}
        p = subprocess.run(["bash", "-e", os.path.join(EXAMPLES, "system-user.sh")],
                           env=dict(os.environ, PATH=d + "/shim:/usr/sbin:/usr/bin:/sbin:/bin"),
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stderr == "", (p.stdout, p.stderr)
        users = [ln.rstrip("\n").split(":") for ln in open(d + "/root/etc/passwd")]
        groups = [ln.rstrip("\n").split(":") for ln in open(d + "/root/etc/group")]
        u = [x for x in users if x[0] == "glue-mfa"]
        g = [x for x in groups if x[0] == "glue-mfa"]
        assert len(u) == 1 and len(g) == 1, (u, g)
        uid_min = 1000
        for ln in open(d + "/root/etc/login.defs"):
            if ln.split()[:1] == ["UID_MIN"]:
                uid_min = int(ln.split()[1])
        assert 0 < int(u[0][2]) < uid_min, u
        assert u[0][3] == g[0][2] and u[0][5:] == ["/nonexistent", "/usr/sbin/nologin"], u
        assert not os.path.exists(d + "/root/nonexistent") and not os.path.exists("/nonexistent")
        assert {f: open("/etc/" + f, "rb").read() for f in ("passwd", "group")} == before
    finally:
        shutil.rmtree(d)
