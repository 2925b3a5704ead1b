"""Least privilege in the database: the runtime user (the one in
$GLUE_INSTANCE/glue-mfa.conf, which the programs and glue-mfa-admin use)
can do exactly what sql/grants.sql gives it, and the migration user
(INST/migrate.cnf) only its own database.  That the programs still work with
these grants is what the rest of the suite shows; one request here checks it
again after test_zz_db_down restarted the database.

Runs after test_zz_db_down (name order), which starts the database again."""

import os
import re
import subprocess
import tempfile
import uuid

import pytest

from conftest import INSTANCE, ROOT, api, db_available, db_query, new_customer

pytestmark = pytest.mark.skipif(not INSTANCE, reason="GLUE_INSTANCE not set")

PROBE = "zz_privileges_probe"

# sql/grants.sql, table by table (the programs' statements are in src/db.c).
DML = {"SELECT", "INSERT", "UPDATE", "DELETE"}
EXPECTED = {
    "customers": DML,
    "addresses": DML,
    "users": DML,
    "access_tokens": DML,
    "refresh_tokens": DML,
    "login_failures": DML,
    "mfa_methods": DML,
    "mfa_codes": DML,
    "mfa_lockouts": DML,
    "mfa_totp": DML,
    "mfa_recovery_codes": DML,
    "audit_log": {"SELECT", "INSERT"},
    "schema_migrations": {"SELECT"},
    "signup_limits": {"SELECT", "INSERT", "UPDATE"},
    "code_mails": {"SELECT", "INSERT", "DELETE"},
    "code_recipients": {"SELECT", "INSERT", "UPDATE"},
    "mail_outbox": DML,
    "idempotency_keys": DML,
    "webauthn_users": {"SELECT", "INSERT", "DELETE"},
    "webauthn_credentials": DML,
    "webauthn_challenges": DML,
}


def read_conf(path):
    conf = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    return conf


CONF = read_conf(os.path.join(INSTANCE, "glue-mfa.conf")) if INSTANCE else {}
DB_NAME = CONF.get("db_name", "glue_mfa")
MIG_CNF = os.path.join(INSTANCE, "migrate.cnf")


@pytest.fixture(scope="module")
def runtime_cnf():
    """A client option file with the runtime user's credentials (the password
    stays off the command line)."""
    if not db_available():
        pytest.skip("the instance's DB socket is missing")
    fd, path = tempfile.mkstemp(prefix="glue-priv-", suffix=".cnf")
    with os.fdopen(fd, "w") as f:
        f.write("[client]\nuser=%s\npassword=%s\nsocket=%s\n" % (
            CONF.get("db_user", "glue_mfa"), CONF.get("db_password", ""),
            CONF.get("db_socket") or os.path.join(INSTANCE, "run", "mysqld.sock")))
    yield path
    os.unlink(path)


def client(cnf, sql, db=DB_NAME):
    args = ["mariadb", "--defaults-file=" + cnf, "-N", "-B"]
    if db:
        args.append(db)
    p = subprocess.run(args + ["-e", sql], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def as_runtime(cnf, sql):
    rc, out, err = client(cnf, sql)
    assert rc == 0, "runtime user: %s\n%s" % (sql, err)
    return [ln.split("\t") for ln in out.splitlines()]


def assert_denied(cnf, sql):
    rc, out, err = client(cnf, sql)
    assert rc != 0, "the runtime user may run: %s" % sql
    # 1142 table, 1143 column, 1044 database, 1227 global privilege denied
    assert re.search(r"ERROR (1142|1143|1044|1227) ", err), "%s\n%s" % (sql, err)


@pytest.fixture(scope="module")
def probe():
    """A table the runtime user was never granted, made by root."""
    db_query("CREATE TABLE IF NOT EXISTS %s (id INT PRIMARY KEY)" % PROBE)
    yield PROBE
    db_query("DROP TABLE IF EXISTS %s" % PROBE)


def grants_of(cnf):
    rc, out, err = client(cnf, "SHOW GRANTS FOR CURRENT_USER()", db=None)
    assert rc == 0, err
    return out.splitlines()


GRANT_RE = re.compile(r"^GRANT (.+) ON (\S+) TO \S+(?: IDENTIFIED BY .*?)?( WITH GRANT OPTION)?$")


def parse_grants(lines):
    """{object: (set of privileges, with_grant_option)}"""
    out = {}
    for ln in lines:
        m = GRANT_RE.match(ln)
        assert m, "unexpected grant line: %r" % ln
        privs = {p.strip() for p in m.group(1).split(",")}
        out[m.group(2).replace("`", "")] = (privs, bool(m.group(3)))
    return out


# --------------------------------------------------------------------------
# The runtime user


def test_runtime_grants_are_exactly_grants_sql(runtime_cnf):
    g = parse_grants(grants_of(runtime_cnf))
    assert g.pop("*.*") == ({"USAGE"}, False), g
    want = {"%s.%s" % (DB_NAME, t): (p, False) for t, p in EXPECTED.items()}
    assert g == want


@pytest.mark.parametrize("sql", [
    "CREATE TABLE zz_privileges_created (id INT)",
    "CREATE TABLE customers_copy LIKE customers",
    "CREATE VIEW zz_privileges_view AS SELECT 1",
    "CREATE DATABASE zz_privileges_db",
    "ALTER TABLE login_failures COMMENT = ''",
    "ALTER TABLE audit_log COMMENT = ''",
    "CREATE INDEX zz_privileges_idx ON login_failures (failures)",
    "TRUNCATE TABLE login_failures",
    "TRUNCATE TABLE " + PROBE,
    "DROP TABLE " + PROBE,
    "DROP TABLE IF EXISTS " + PROBE,
    "RENAME TABLE %s TO zz_privileges_renamed" % PROBE,
    "GRANT SELECT ON customers TO CURRENT_USER()",
    "SELECT COUNT(*) FROM mysql.user",
    "SELECT COUNT(*) FROM " + PROBE,
])
def test_runtime_ddl_and_more_denied(runtime_cnf, probe, sql):
    try:
        assert_denied(runtime_cnf, sql)
    finally:
        # Should a grant ever let one through, undo it.
        for q in ("DROP TABLE IF EXISTS zz_privileges_created",
                  "DROP TABLE IF EXISTS customers_copy",
                  "DROP VIEW IF EXISTS zz_privileges_view",
                  "DROP DATABASE IF EXISTS zz_privileges_db",
                  "DROP TABLE IF EXISTS zz_privileges_renamed"):
            db_query(q)


def test_audit_log_is_append_only(runtime_cnf):
    rid = uuid.uuid4().hex
    rows = as_runtime(runtime_cnf, (
        "INSERT INTO audit_log (at, side, action, result, client_address,"
        " user_agent, request_id) VALUES (UNIX_TIMESTAMP(), 0,"
        " 'privileges-test', 'marker', 'local', 'tests/e2e/test_zz_privileges.py',"
        " '%s'); SELECT LAST_INSERT_ID()") % rid)
    row_id = int(rows[0][0])
    assert as_runtime(runtime_cnf, "SELECT request_id FROM audit_log WHERE id = %d"
                      % row_id) == [[rid]]
    assert_denied(runtime_cnf, "UPDATE audit_log SET result = 'changed' WHERE id = %d"
                  % row_id)
    assert_denied(runtime_cnf, "DELETE FROM audit_log WHERE id = %d" % row_id)
    assert_denied(runtime_cnf, "REPLACE INTO audit_log (id, at, side, action, result,"
                  " client_address, user_agent, request_id) SELECT id, at, side, action,"
                  " 'changed', client_address, user_agent, request_id FROM audit_log"
                  " WHERE id = %d" % row_id)
    # The marker row stays: the log is append-only by design.
    assert db_query("SELECT action, result FROM audit_log WHERE id = %d" % row_id) == [
        ["privileges-test", "marker"]]


def test_schema_migrations_read_only(runtime_cnf):
    versions = [int(r[0]) for r in as_runtime(
        runtime_cnf, "SELECT version FROM schema_migrations ORDER BY version")]
    files = sorted(int(f[:3]) for f in os.listdir(os.path.join(ROOT, "sql"))
                   if re.match(r"^[0-9]{3}_.*\.sql$", f))
    assert versions == files
    try:
        assert_denied(runtime_cnf,
                      "INSERT INTO schema_migrations VALUES (999, 'x', NOW())")
        assert_denied(runtime_cnf, "UPDATE schema_migrations SET name = name")
        assert_denied(runtime_cnf, "DELETE FROM schema_migrations WHERE version = 999")
    finally:
        db_query("DELETE FROM schema_migrations WHERE version = 999")


def test_programs_work_as_runtime_user():
    c = new_customer().signed_in()
    r = api("GET", c.path, token=c.access)
    assert r.status == 200, r.describe()


# --------------------------------------------------------------------------
# The migration user


@pytest.fixture(scope="module")
def migrate_cnf():
    if not os.path.exists(MIG_CNF):
        pytest.skip("no migrate.cnf in the instance")
    assert os.stat(MIG_CNF).st_mode & 0o077 == 0, "migrate.cnf readable by others"
    return MIG_CNF


def test_migration_user_only_its_database(migrate_cnf):
    g = parse_grants(grants_of(migrate_cnf))
    assert g.pop("*.*") == ({"USAGE"}, False), g
    assert set(g) == {DB_NAME + ".*"}, g
    privs, grant_option = g[DB_NAME + ".*"]
    assert "ALL PRIVILEGES" not in privs
    assert {"CREATE", "ALTER", "DROP", "INDEX"} <= privs
    assert not privs & {"CREATE ROUTINE", "ALTER ROUTINE", "EXECUTE", "EVENT",
                        "TRIGGER", "CREATE TEMPORARY TABLES"}, privs
    assert grant_option  # to keep the runtime user's grants with the schema


def test_migrate_status_all_applied(migrate_cnf):
    p = subprocess.run([os.path.join(ROOT, "tools", "glue-mfa-migrate"),
                        "--defaults-file", migrate_cnf, "--database", DB_NAME,
                        "--status"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    files = sorted(f for f in os.listdir(os.path.join(ROOT, "sql"))
                   if re.match(r"^[0-9]{3}_.*\.sql$", f))
    assert p.stdout == "".join("applied %s\n" % f for f in files)
    assert p.stderr == ""


def test_migrate_refuses_readable_option_file(migrate_cnf, tmp_path):
    cnf = tmp_path / "migrate.cnf"
    cnf.write_bytes(open(migrate_cnf, "rb").read())
    cnf.chmod(0o644)
    p = subprocess.run([os.path.join(ROOT, "tools", "glue-mfa-migrate"),
                        "--defaults-file", str(cnf), "--status"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert p.stdout == ""
    assert "mode 644" in p.stderr and p.stderr.count("\n") == 1, p.stderr
