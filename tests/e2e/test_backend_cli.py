"""The operator tool bin/glue-mfa-admin against the test instance: seed-demo,
create-user, reset-password, mfa-off, audit; exit 0 done, 1 failed, 2 usage.
The tool is $GLUE_ADMIN, else $GLUE_ROOT/build/test/bin/glue-mfa-admin, with
MFA_CONFIG=$GLUE_INSTANCE/glue-mfa.conf."""

import contextlib
import os
import re

import pytest

from conftest import RID_RE, ROOT, UUID_RE, api, db_query, login, new_customer
from backend_helpers import (ADMIN_NAME, ADMIN_PASSWORD, BE, CODE_HEADER, all_users,
                             SUBJECT_ADMIN_OFF, admin_token, assert_invalid_grant,
                             assert_invalid_token, assert_notification,
                             assert_refresh_refused, audit_rows, cli,
                             describe_run, enable_mfa, fresh_code, mail_mark,
                             mails_since, max_audit_id, mfa_post, mfa_status,
                             new_user, one_mail_since,
                             password_grant, refresh_grant, sign_in,
                             unique_username, user_attrs, user_id, users_post)
from effects import login_failure_counted, unchanged
from test_mfa_totp import clk  # noqa: F401 (fixture)

TOOL = "glue-mfa-admin"
# An mfa-off refused for an inactive or unknown method: audited as a refusal.
MFA_OFF_REFUSED = ("admin_deactivate", "failure", "5906")
AUDIT_HEADER = "time\tside\taccount\tactor\taction\tmethod\tresult\tcode\taddress\trequest"


def ok(p, stdout=None):
    assert p.returncode == 0, describe_run(p)
    assert p.stderr == "", describe_run(p)
    if stdout is not None:
        assert p.stdout == stdout, describe_run(p)
    return p


def failed(p, message, code=1):
    """Exit `code` and exactly one stderr line: "glue-mfa-admin: <message>"."""
    assert p.returncode == code, describe_run(p)
    assert p.stderr == "%s: %s\n" % (TOOL, message), describe_run(p)
    return p


@contextlib.contextmanager
def untouched(users=(), customers=(), audit=()):
    """A refused command: nothing changes (effects.unchanged: each user's
    and customer's rows, tokens and MFA state, the global counts, login
    failures, the mail spool, no audit row but `audit`, of the one user
    given). With no account given, the Backend side is checked for no
    account in particular."""
    assert not audit or (len(users) == 1 and not customers)
    with contextlib.ExitStack() as stack:
        for n in users:
            stack.enter_context(unchanged(side="backend", account_id=user_id(n),
                                          audit=audit))
        for e in customers:
            rows = db_query("SELECT id FROM customers WHERE email = '%s'" % e)
            assert len(rows) == 1, rows
            stack.enter_context(unchanged(side="storefront",
                                          account_id=int(rows[0][0])))
        if not users and not customers:
            stack.enter_context(unchanged(side="backend"))
        yield


# --------------------------------------------------------------------------
# seed-demo


def test_seed_demo_is_idempotent():
    ok(cli("seed-demo"), "customer sonia@example.com: exists\n"
                         "user admin@example.com: exists\n")
    ok(cli("seed-demo"))
    sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    r = login("sonia@example.com", "change123")
    assert r.status == 201, r.describe()
    g = api("GET", "/customers/DE--1", token=r.data["attributes"]["accessToken"])
    assert g.status == 200 and g.data["attributes"]["email"] == "sonia@example.com", \
        g.describe()


# --------------------------------------------------------------------------
# create-user


def test_create_user():
    name = unique_username("cli")
    p = ok(cli("create-user", name, "Carla", "Kommandozeile", stdin="cl1-Passw0rd\n"))
    m = re.match(r"^user (\S+): created \(([0-9a-f-]{36})\)\n$", p.stdout)
    assert m and m.group(1) == name and UUID_RE.match(m.group(2)), describe_run(p)
    r = api("GET", BE + "/users/" + m.group(2), token=admin_token())
    assert r.status == 200, r.describe()
    a = r.data["attributes"]
    assert (a["username"], a["firstName"], a["lastName"], a["status"]) == (
        name, "Carla", "Kommandozeile", "active")
    sign_in(name, "cl1-Passw0rd")


def test_create_user_takes_only_the_first_line_without_its_crlf():
    name = unique_username("cli")
    ok(cli("create-user", name, "Carla", "Cli", stdin="cl1-Passw0rd\r\nsecond line\n"))
    sign_in(name, "cl1-Passw0rd")


def test_create_user_duplicate_is_exit_1():
    u = new_user()
    with untouched(users=[u.username, ADMIN_NAME]):
        failed(cli("create-user", u.username, "Dup", "Licate",
                   stdin="cl1-Passw0rd\n"), "a user with that username exists")
    with untouched(users=[u.username, ADMIN_NAME]):
        failed(cli("create-user", ADMIN_NAME.upper(), "Dup", "Licate",
                   stdin="cl1-Passw0rd\n"), "a user with that username exists")
    sign_in(u.username, u.password)     # unchanged


@pytest.mark.parametrize("args", [
    ("not-an-email", "Carla", "Cli"),
    ("x@example.com\nBcc: y@example.com", "Carla", "Cli"),
    ("ok-%s@example.com", "", "Cli"),
    ("ok-%s@example.com", "Carla", "x" * 101),
    ("ok-%s@example.com", "Line\nBreak", "Cli"),
])
def test_create_user_invalid_values_are_exit_1(args):
    args = tuple(a % unique_username("x").split("@")[0] if "%s" in a else a
                 for a in args)
    with untouched():
        failed(cli("create-user", *args, stdin="cl1-Passw0rd\n"),
               "invalid e-mail address or name")


@pytest.mark.parametrize("stdin,message", [
    ("short\n", "the password must be 8 to 128 bytes"),
    ("x" * 129 + "\n", "the password must be 8 to 128 bytes"),
    ("\n", "the password must be 8 to 128 bytes"),
    ("", "expected the password on standard input"),
])
def test_create_user_bad_password_is_exit_1(stdin, message):
    name = unique_username("cli")
    with untouched():
        failed(cli("create-user", name, "Carla", "Cli", stdin=stdin), message)
    names = [i["attributes"]["username"] for i in all_users(admin_token())]
    assert name not in names and "admin@example.com" in names


# --------------------------------------------------------------------------
# reset-password


def test_reset_password_revokes_every_token(login_failures_cleared):
    u = new_user().signed_in()
    a2, r2 = sign_in(u.username, u.password)
    ok(cli("reset-password", u.username, stdin="r3set-Passw0rd\n"),
       "user %s: password set, sessions revoked\n" % u.username)
    with untouched(users=[u.username]):
        for access in (u.access, a2):
            assert_invalid_token(api("GET", BE + "/users", token=access))
        for rt in (u.refresh, r2):
            assert_refresh_refused(refresh_grant(rt))
    with unchanged(side="backend", account_id=user_id(u.username),
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_invalid_grant(password_grant(u.username, u.password))
    sign_in(u.username, "r3set-Passw0rd")


def test_reset_password_unknown_user_is_exit_1():
    with untouched():
        failed(cli("reset-password", unique_username("ghost"),
                   stdin="r3set-Passw0rd\n"), "no such user")


def test_reset_password_of_a_customer_address_is_exit_1():
    c = new_customer().signed_in()
    with untouched(customers=[c.email]):
        failed(cli("reset-password", c.email, stdin="r3set-Passw0rd\n"),
               "no such user")
    assert login(c.email, c.password).status == 201


@pytest.mark.parametrize("stdin,message", [
    ("short\n", "the password must be 8 to 128 bytes"),
    ("x" * 129 + "\n", "the password must be 8 to 128 bytes"),
    ("", "expected the password on standard input"),
])
def test_reset_password_bad_password_changes_nothing(stdin, message):
    u = new_user().signed_in()
    with untouched(users=[u.username]):
        failed(cli("reset-password", u.username, stdin=stdin), message)
    assert api("GET", BE + "/users", token=u.access).status == 200
    sign_in(u.username, u.password)


# --------------------------------------------------------------------------
# mfa-off


def test_mfa_off_for_a_user(db):
    u = new_user().signed_in()
    enable_mfa(u.access, u.username)
    assert users_post(u.access, user_attrs()).status == 403
    mark, audit_mark = mail_mark(), max_audit_id()
    ok(cli("mfa-off", "user", u.username, "email"),
       "user %s: email switched off\n" % u.username)
    assert mfa_status(u.access) == "deactivated"
    assert users_post(u.access, user_attrs()).status == 201
    msg = one_mail_since(u.username, mark, SUBJECT_ADMIN_OFF)
    assert_notification(msg)
    rows = audit_rows("id > %d AND action = 'admin_deactivate'" % audit_mark)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["side"], row["account_id"], row["actor_id"], row["method"],
            row["result"], row["error_code"], row["client_address"]) == (
        "1", str(user_id(u.username)), None, "email", "success", None, "local"), row
    assert RID_RE.match(row["request_id"]), row
    # Once off, again is an error (audited as a refusal).
    with untouched(users=[u.username], audit=[MFA_OFF_REFUSED]):
        failed(cli("mfa-off", "user", u.username, "email"),
               "that method is not offered or not active")


def test_mfa_off_for_a_customer():
    c = new_customer().signed_in()
    enable_mfa(c.access, c.email, prefix="")
    mark = mail_mark()
    ok(cli("mfa-off", "customer", c.email, "email"),
       "customer %s: email switched off\n" % c.email)
    assert mfa_status(c.access, prefix="") == "deactivated"
    assert [str(m["Subject"]) for m in mails_since(c.email, mark)] == [SUBJECT_ADMIN_OFF]


def test_mfa_off_inactive_or_unknown_method_is_exit_1():
    u = new_user().signed_in()
    with untouched(users=[u.username], audit=[MFA_OFF_REFUSED]):
        failed(cli("mfa-off", "user", u.username, "email"),
               "that method is not offered or not active")
    enable_mfa(u.access, u.username)
    with untouched(users=[u.username], audit=[MFA_OFF_REFUSED]):
        failed(cli("mfa-off", "user", u.username, "sms"),
               "that method is not offered or not active")
    with untouched(users=[u.username]):
        failed(cli("mfa-off", "customer", u.username, "email"), "no such account")
    assert mfa_status(u.access) == "activated"


def test_mfa_off_unknown_account_is_exit_1():
    with untouched():
        failed(cli("mfa-off", "user", unique_username("ghost"), "email"),
               "no such account")
    with untouched(), unchanged(side="storefront"):
        failed(cli("mfa-off", "customer", unique_username("ghost"), "email"),
               "no such account")
    # A user's name is not a customer's e-mail and vice versa.
    u = new_user()
    with untouched(users=[u.username]):
        failed(cli("mfa-off", "customer", u.username, "email"), "no such account")
    c = new_customer().signed_in()
    enable_mfa(c.access, c.email, prefix="")
    with untouched(customers=[c.email]):
        failed(cli("mfa-off", "user", c.email, "email"), "no such account")
    assert mfa_status(c.access, prefix="") == "activated"


def test_mfa_off_without_type_switches_off_every_method(clk):
    """No TYPE (contract §10.7, as the rescue without a type): every active
    method off in one run, a line and an audit row per method, one
    notification; again, nothing is active: exit 1, audited as a refusal."""
    from test_backend_rescue import customer_acct
    from test_mfa_totp import enrol, totp_row
    c = new_customer().signed_in()
    enable_mfa(c.access, c.email, prefix="")
    a = customer_acct(c)
    enrol(a, clk, code=fresh_code(c.access, c.email, prefix=""))
    cid = int(c.ref[len("DE--"):])
    methods = "SELECT type, status FROM mfa_methods WHERE side = 0 AND account_id = %d " \
              "ORDER BY type" % cid
    assert db_query(methods) == [["email", "2"], ["totp", "2"]]
    mark, audit_mark = mail_mark(), max_audit_id()
    ok(cli("mfa-off", "customer", c.email),
       "customer %s: email switched off\ncustomer %s: totp switched off\n" % (c.email, c.email))
    assert db_query(methods) == [["email", "0"], ["totp", "0"]]
    assert totp_row(a) is None
    rows = audit_rows("id > %d" % audit_mark)
    assert [(x["side"], x["account_id"], x["actor_id"], x["action"], x["method"],
             x["result"], x["error_code"], x["client_address"]) for x in rows] == [
        ("0", str(cid), None, "admin_deactivate", m, "success", None, "local")
        for m in ("email", "totp")], rows
    assert rows[0]["request_id"] == rows[1]["request_id"], rows
    assert RID_RE.match(rows[0]["request_id"]), rows
    assert [str(m["Subject"]) for m in mails_since(c.email, mark)] == [SUBJECT_ADMIN_OFF]
    assert_notification(one_mail_since(c.email, mark, SUBJECT_ADMIN_OFF))
    assert mfa_status(c.access, prefix="") == "deactivated"
    assert mfa_status(c.access, "totp", prefix="") == "deactivated"
    # Nothing left on: a refusal, audited without a method, nothing changed.
    audit_mark = max_audit_id()
    with unchanged(side="storefront", account_id=cid, audit=[MFA_OFF_REFUSED]):
        failed(cli("mfa-off", "customer", c.email), "no method is active")
    rows = audit_rows("id > %d" % audit_mark)
    assert [(x["account_id"], x["action"], x["method"], x["result"], x["error_code"])
            for x in rows] == [(str(cid), "admin_deactivate", None, "failure", "5906")], rows


def test_mfa_off_without_type_for_a_user_with_one_method():
    u = new_user().signed_in()
    enable_mfa(u.access, u.username)
    mark = mail_mark()
    ok(cli("mfa-off", "user", u.username), "user %s: email switched off\n" % u.username)
    assert mfa_status(u.access) == "deactivated"
    assert [str(m["Subject"]) for m in mails_since(u.username, mark)] == [SUBJECT_ADMIN_OFF]


def test_mfa_off_without_type_leaves_a_pending_method_and_refuses():
    """A method whose activation is pending is not active: with nothing
    else on, the run is refused (exit 1) and the pending method stays."""
    u = new_user().signed_in()
    r = mfa_post("multi-factor-auth-type-activate", u.access)
    assert r.status == 204, r.describe()
    assert mfa_status(u.access) == "activation is pending"
    with untouched(users=[u.username], audit=[MFA_OFF_REFUSED]):
        failed(cli("mfa-off", "user", u.username), "no method is active")
    assert mfa_status(u.access) == "activation is pending"


def test_mfa_off_unknown_account_kind_is_refused():
    with untouched(users=[ADMIN_NAME]):
        p = cli("mfa-off", "admin", ADMIN_NAME, "email")
    assert p.returncode in (1, 2) and p.stdout == "", describe_run(p)
    assert "customer or user" in p.stderr, describe_run(p)


# --------------------------------------------------------------------------
# audit


def test_audit_lists_the_newest_rows_first():
    u = new_user().signed_in()
    enable_mfa(u.access, u.username)
    ok(cli("mfa-off", "user", u.username, "email"))
    p = ok(cli("audit", "1"))
    lines = p.stdout.split("\n")
    assert lines[0] == AUDIT_HEADER and lines[-1] == "" and len(lines) == 3, \
        describe_run(p)
    f = lines[1].split("\t")
    assert len(f) == 10, f
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", f[0]), f
    assert f[1:9] == ["backend", str(user_id(u.username)), "0", "admin_deactivate",
                      "email", "success", "-", "local"], f
    assert RID_RE.match(f[9]), f


def test_audit_shows_failures_with_their_code():
    u = new_user().signed_in()
    enable_mfa(u.access, u.username)
    r = users_post(u.access, user_attrs(), headers={CODE_HEADER: "000000"})
    assert r.status == 403, r.describe()
    f = ok(cli("audit", "1")).stdout.split("\n")[1].split("\t")
    assert f[1:9] == ["backend", str(user_id(u.username)), "0", "protected", "-",
                      "failure", "5901", "127.0.0.1"], f
    assert f[9] == r.headers["X-Request-Id"], f


@pytest.mark.parametrize("n", [None, "5", "10000"])
def test_audit_row_counts(n):
    # Enough rows exist after the sign-ins above and the fixtures' logins.
    for _ in range(6):
        sign_in(ADMIN_NAME, ADMIN_PASSWORD)
    p = ok(cli("audit", *([n] if n else [])))
    lines = p.stdout.rstrip("\n").split("\n")
    assert lines[0] == AUDIT_HEADER
    rows = lines[1:]
    want = {None: 20, "5": 5}.get(n)
    if want is not None:
        assert len(rows) == want, describe_run(p)
    assert rows and all(len(x.split("\t")) == 10 for x in rows), describe_run(p)


@pytest.mark.parametrize("n", ["0", "10001", "-3"])
def test_audit_count_out_of_range_is_refused(n):
    with untouched():
        failed(cli("audit", n), "N must be 1 to 10000")


@pytest.mark.parametrize("n", ["0", "10001", "-3", "abc", "5x", ""])
def test_outbox_count_out_of_range_is_refused(n):
    with untouched():
        failed(cli("outbox", n), "N must be 1 to 10000")


def test_outbox_lists_with_its_header():
    p = cli("outbox", "5")
    assert p.returncode == 0, describe_run(p)
    lines = p.stdout.splitlines()
    assert lines[0] == ("id\tside\taccount\trecipient\tnotice\tevent\tstate\t"
                        "attempts\tnext"), describe_run(p)
    assert len(lines) <= 6 and all(len(x.split("\t")) == 9 for x in lines[1:])


@pytest.mark.parametrize("n", ["abc", "5x", "1e3", ""])
def test_audit_count_that_is_not_a_number_is_refused(n):
    with untouched():
        p = cli("audit", n)
    assert p.returncode in (1, 2) and p.stdout == "", describe_run(p)


# --------------------------------------------------------------------------
# check-sql: every statement of src/db.c prepared against the test database;
# a parameter or column count that differs from the statement's table entry
# aborts the test build (exit by SIGABRT), so a miscount fails here.


def db_statements():
    with open(os.path.join(ROOT, "src", "db.c")) as f:
        text = f.read()
    table = text[text.index("} stmt_def[S__COUNT] = {"):]
    table = table[:table.index("\n};\n")]
    return len(re.findall(r"^\t\[S_[A-Z_]+\] = \{", table, re.M))


def test_check_sql_prepares_every_statement():
    n = db_statements()
    assert n > 60
    ok(cli("check-sql"),
       "%d statements prepared, parameter and column counts match\n" % n)


# --------------------------------------------------------------------------
# Usage and configuration


@pytest.mark.parametrize("args", [
    (), ("frobnicate",), ("seed-demo", "extra"), ("create-user", "a@example.com"),
    ("create-user", "a@example.com", "A", "B", "C"), ("reset-password",),
    ("mfa-off", "user"), ("mfa-off", "user", "a@example.com", "email", "x"),
    ("audit", "1", "2"),
    ("check-sql", "extra"), ("send-outbox", "extra"), ("outbox", "1", "2"),
    ("outbox-retry", "extra"), ("--help", "extra"), ("help", "audit"), ("-h", "-h"),
    ("-help",), ("--HELP",), ("Help",),
])
def test_usage_errors_exit_2(args):
    with untouched(users=[ADMIN_NAME]), unchanged(side="storefront"):
        p = cli(*args, stdin="cl1-Passw0rd\n")
    assert p.returncode == 2, describe_run(p)
    assert p.stdout == "" and p.stderr.startswith("usage: %s seed-demo\n" % TOOL), \
        describe_run(p)


USAGE = ["seed-demo",
         "create-user EMAIL FIRST LAST   (password on stdin)",
         "reset-password EMAIL           (password on stdin)",
         "mfa-off customer|user EMAIL [TYPE]",
         "set-locale customer|user EMAIL LOCALE|-",
         "audit [N]", "send-outbox", "outbox [N]", "outbox-retry", "check-sql",
         "help | -h | --help"]


@pytest.mark.parametrize("args", [("--help",), ("-h",), ("help",)])
def test_help_prints_the_usage_on_stdout_with_exit_0(args):
    """Asked for, the usage goes to stdout and the exit status is 0, with no
    configuration at all (README: "The operator tool")."""
    with untouched(users=[ADMIN_NAME]), unchanged(side="storefront"):
        p = cli(*args, config=False, env_extra={"MFA_CONFIG": "/nonexistent/x.conf"})
    assert p.returncode == 0, describe_run(p)
    assert p.stderr == "", describe_run(p)
    assert p.stdout == "".join(("usage: " if i == 0 else "       ") + TOOL + " " + x + "\n"
                               for i, x in enumerate(USAGE)), describe_run(p)
    # The same text as after a usage error, there on stderr.
    bad = cli("frobnicate", config=False)
    assert bad.returncode == 2 and bad.stderr == p.stdout, describe_run(bad)


def test_usage_is_checked_before_the_configuration():
    with untouched():
        p = cli("frobnicate", config=False)
    assert p.returncode == 2, describe_run(p)


@pytest.mark.parametrize("env", [{}, {"MFA_CONFIG": ""},
                                 {"MFA_CONFIG": "/nonexistent/glue-mfa.conf"}])
def test_no_usable_mfa_config_is_exit_1_naming_it(env):
    with untouched():
        p = cli("audit", config=False, env_extra=env)
    assert p.returncode == 1, describe_run(p)
    assert p.stdout == "", describe_run(p)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(TOOL + ": ") and \
        "MFA_CONFIG" in lines[0], describe_run(p)
