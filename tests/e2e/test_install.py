"""make install / make uninstall into a scratch DESTDIR (PREFIX=/usr/local,
SYSCONFDIR=/etc): the programs, the operator tools, the schema, www/ and the
example configuration land where the README says, with the right modes; an
existing configuration survives a second install; uninstall leaves no file
(but a configuration that was changed).  Needs no web server; uses the
release build (make install builds it if needed)."""

import filecmp
import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import INSTANCE, ROOT

PREFIX = "/usr/local"
# Development only (README: "Installing"): never installed.  The program
# serves the development mail spool, the page and its script read it.
DEV_PROGRAMS = ["dev-mailbox"]
DEV_PAGES = ["mailbox.html", "js/mailbox.js"]
# www/ files that are the README's, installed beside it.
DOC_FILES = ["screenshot.png"]


def make(*args):
    p = subprocess.run(["make", "-C", ROOT, "--no-print-directory"] + list(args),
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, "make %s:\n%s\n%s" % (" ".join(args), p.stdout, p.stderr)
    return p.stdout


def executables(d):
    return sorted(f for f in os.listdir(d)
                  if os.path.isfile(os.path.join(d, f))
                  and os.access(os.path.join(d, f), os.X_OK))


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out += [os.path.relpath(os.path.join(root, n), d) for n in names]
    return sorted(out)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def destdir():
    d = tempfile.mkdtemp(prefix="glue-install-")
    yield d
    shutil.rmtree(d)


def install(destdir):
    return make("install", "DESTDIR=" + destdir, "PREFIX=" + PREFIX)


def uninstall(destdir):
    return make("uninstall", "DESTDIR=" + destdir, "PREFIX=" + PREFIX)


def test_install_tree(destdir):
    install(destdir)
    usr = destdir + PREFIX
    lib = usr + "/lib/glue-mfa/cgi-bin"

    # The programs of the release build, byte for byte, mode 755; not the
    # development mailbox.
    built = [p for p in executables(os.path.join(ROOT, "cgi-bin")) if p not in DEV_PROGRAMS]
    assert "customers" in built and "access-tokens" in built
    assert set(DEV_PROGRAMS) < set(executables(os.path.join(ROOT, "cgi-bin")))
    assert executables(lib) == built
    assert not os.path.exists(lib + "/dev-mailbox")
    backend = executables(os.path.join(ROOT, "cgi-bin", "backend"))
    assert "token" in backend and "users" in backend
    assert executables(lib + "/backend") == backend
    for name in built:
        assert filecmp.cmp(os.path.join(ROOT, "cgi-bin", name), lib + "/" + name, False)
        assert mode(lib + "/" + name) == 0o755
    for name in backend:
        assert filecmp.cmp(os.path.join(ROOT, "cgi-bin", "backend", name),
                           lib + "/backend/" + name, False)
        assert mode(lib + "/backend/" + name) == 0o755

    # The operator tools: they run from there (--help: the usage on stdout,
    # exit 0; a usage error: on stderr, exit 2).
    sbin = usr + "/sbin"
    assert executables(sbin) == ["glue-mfa-admin", "glue-mfa-migrate"]
    for tool in ("glue-mfa-admin", "glue-mfa-migrate"):
        assert mode(sbin + "/" + tool) == 0o755
        for arg in ("--help", "-h"):
            p = subprocess.run([sbin + "/" + tool, arg], capture_output=True, text=True,
                               timeout=30, env=dict(os.environ, MFA_CONFIG=""))
            assert p.returncode == 0 and p.stderr == "", (tool, p.stdout, p.stderr)
            assert "  %s " % tool in p.stdout or p.stdout.startswith("usage: %s " % tool), \
                (tool, p.stdout)
        p = subprocess.run([sbin + "/" + tool, "--no-such-option"], capture_output=True,
                           text=True, timeout=30, env=dict(os.environ, MFA_CONFIG=""))
        assert p.returncode == 2 and p.stdout == "", (tool, p.stdout, p.stderr)

    # Schema (migrations and grants) and pages, byte for byte, mode 644.
    share = usr + "/share/glue-mfa"
    sql = sorted(f for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql"))
    assert "grants.sql" in sql and "migrate-user.sql" in sql and "001_accounts.sql" in sql
    assert sorted(os.listdir(share + "/sql")) == sql
    www_all = files_under(os.path.join(ROOT, "www"))
    assert "index.html" in www_all
    assert set(DEV_PAGES + DOC_FILES) < set(www_all)
    www = [f for f in www_all if f not in DEV_PAGES + DOC_FILES]
    assert files_under(share + "/www") == www
    # No installed page, script or style asks the development programs for
    # anything (the OpenAPI documents list /dev-mailbox as development only).
    for f in (f for f in www if f.endswith((".html", ".js", ".css"))):
        with open(os.path.join(share, "www", f), "rb") as fh:
            body = fh.read()
        for dev in DEV_PROGRAMS:
            assert dev.encode() not in body, (f, dev)
    for sub, names in (("sql", sql), ("www", www)):
        for f in names:
            assert filecmp.cmp(os.path.join(ROOT, sub, f), os.path.join(share, sub, f),
                               False), f
            assert mode(os.path.join(share, sub, f)) == 0o644, f

    # Configuration: the examples, and live files made from them (not
    # readable by others: the one holds the database password, the other
    # the migration user's).
    etc = destdir + "/etc/glue-mfa"
    assert sorted(os.listdir(etc)) == ["glue-mfa.conf", "glue-mfa.conf.example",
                                       "migrate.cnf", "migrate.cnf.example"]
    for f in ("glue-mfa.conf.example", "migrate.cnf.example"):
        assert filecmp.cmp(os.path.join(ROOT, "etc", f), etc + "/" + f, False)
        assert mode(etc + "/" + f) == 0o644
    assert filecmp.cmp(etc + "/glue-mfa.conf", etc + "/glue-mfa.conf.example", False)
    assert mode(etc + "/glue-mfa.conf") == 0o640
    assert mode(etc + "/migrate.cnf") == 0o600

    doc = usr + "/share/doc/glue-mfa"
    assert os.path.isfile(doc + "/README.md")
    # The README's picture, where its relative link (www/...) finds it.
    with open(doc + "/README.md") as fh:
        readme = fh.read()
    for f in DOC_FILES:
        assert "(www/%s)" % f in readme
        assert filecmp.cmp(os.path.join(ROOT, "www", f), doc + "/www/" + f, False)
        assert mode(doc + "/www/" + f) == 0o644
    assert "apache.conf.example" in os.listdir(doc + "/examples")

    # Nothing else anywhere.
    top = {p.split(os.sep)[0] + "/" + p.split(os.sep)[1] for p in files_under(destdir)}
    assert top == {"etc/glue-mfa", "usr/local"}

    uninstall(destdir)
    assert files_under(destdir) == []
    for d in (usr + "/lib/glue-mfa", share, doc, etc):
        assert not os.path.exists(d), d


def test_installed_migrate_finds_its_schema(destdir):
    """The installed glue-mfa-migrate reads PREFIX/share/glue-mfa/sql."""
    mig_cnf = os.path.join(INSTANCE, "migrate.cnf") if INSTANCE else ""
    if not os.path.exists(mig_cnf):
        pytest.skip("no instance with a migrate.cnf")
    install(destdir)
    p = subprocess.run([destdir + PREFIX + "/sbin/glue-mfa-migrate",
                        "--defaults-file", mig_cnf, "--status"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    migrations = sorted(f for f in os.listdir(os.path.join(ROOT, "sql"))
                        if f[:3].isdigit() and f.endswith(".sql"))
    assert p.stdout == "".join("applied %s\n" % f for f in migrations)
    uninstall(destdir)


def test_install_keeps_config_and_uninstall_keeps_changed(destdir):
    install(destdir)
    conf = destdir + "/etc/glue-mfa/glue-mfa.conf"
    with open(conf, "a") as f:
        f.write("db_password = changed-by-the-operator\n")
    out = install(destdir)
    assert "kept %s (exists)" % conf in out
    with open(conf) as f:
        assert f.read().endswith("db_password = changed-by-the-operator\n")
    out = uninstall(destdir)
    assert "kept %s (changed)" % conf in out
    assert files_under(destdir) == ["etc/glue-mfa/glue-mfa.conf"]
