"""One canonical identity (contract §3.9), both sides.

An address outside the grammar (a blank, a zero-width or full-width
character, an accent, the long s) is refused at registration and on every
change (422 901, the field's pointer) and at sign-in can never name an
account: the same answer as an unknown address. ASCII case folds: another
case names the same account, and registering it is a duplicate. The
columns compare byte for byte under a unique index, so parallel sign-ups
with variant spellings make exactly one account; the operator tool takes
the same canonical form; migration 006 refuses to merge accounts.
"""

import concurrent.futures
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from backend_helpers import (ADMIN_NAME, BE, USER_PASSWORD, assert_invalid_grant,
                             assert_oauth_tokens, assert_user_exists, cli,
                             describe_run, new_user, password_grant, user_attrs,
                             user_patch, users_post)
from conftest import (DEFAULT_PASSWORD, INSTANCE, ROOT, api, assert_error,
                      assert_login_failed, assert_validation, db_query, doc,
                      login, new_customer, register)
from effects import login_failure_counted, unchanged

D_CUSTOMER_EXISTS = "Customer with this email already exists."
# A refused sign-in counts as one failure (contract §3.6): the changes the
# limiter makes to login_failures, declared.
FAILURE = login_failure_counted


def sonia_style(tag="sonia"):
    """A fresh canonical address in the demo customer's style."""
    return "%s-%s@example.com" % (tag, uuid.uuid4().hex[:12])


# Spellings of one address that are not it: (id, function of the address).
VARIANTS = [
    ("trailing-space", lambda a: a + " "),
    ("leading-space", lambda a: " " + a),
    ("trailing-tab", lambda a: a + "\t"),
    ("trailing-newline", lambda a: a + "\n"),
    ("zero-width-space", lambda a: a[:2] + "\u200b" + a[2:]),
    ("zero-width-end", lambda a: a + "\u200b"),
    ("byte-order-mark", lambda a: "\ufeff" + a),
    ("no-break-space", lambda a: a + "\u00a0"),
    ("accent-o-umlaut", lambda a: a.replace("o", "\u00f6", 1)),
    ("combining-diaeresis", lambda a: a.replace("o", "o\u0308", 1)),
    ("full-width-s", lambda a: "\uff53" + a[1:]),
    ("full-width-domain", lambda a: a.replace("example", "\uff45xample")),
    ("long-s", lambda a: "\u017f" + a[1:]),
    ("cyrillic-o", lambda a: a.replace("o", "\u043e", 1)),
    ("percent-route", lambda a: a.replace("@", "%example.org@")),
    ("bang-path", lambda a: "example.org!" + a),
    ("pipe", lambda a: "|" + a),
    ("quoted", lambda a: '"%s"@%s' % tuple(a.split("@"))),
    ("comment", lambda a: a.replace("@", "(x)@")),
    ("ip-literal", lambda a: a.split("@")[0] + "@[127.0.0.1]"),
    ("trailing-dot", lambda a: a + "."),
    ("double-dot", lambda a: a.replace("@example.", "@example..")),
]
VARIANT_IDS = [v[0] for v in VARIANTS]
# Other cases: the same account, not a variant.
CASES = [lambda a: a.upper(), lambda a: a.capitalize(),
         lambda a: a.split("@")[0] + "@" + a.split("@")[1].upper()]


def customer_id(email):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % email)
    assert len(rows) <= 1, rows
    return int(rows[0][0]) if rows else None


def user_id(username):
    rows = db_query("SELECT id FROM users WHERE username = '%s'" % username)
    assert len(rows) <= 1, rows
    return int(rows[0][0]) if rows else None


def last_login_audit(side):
    rows = db_query("SELECT account_id, result, error_code FROM audit_log "
                    "WHERE side = %d AND action = 'login' ORDER BY id DESC "
                    "LIMIT 1" % side)
    return tuple(rows[0])


def hex_of(s):
    return s.encode("utf-8").hex()


def rows_like(table, column, tag):
    """Every row whose column holds tag (any spelling around it)."""
    return db_query("SELECT id, HEX(%s) FROM %s WHERE LOWER(%s) LIKE '%%%s%%'"
                    % (column, table, column, tag))


@pytest.fixture
def legacy_rows():
    """Rows inserted behind the API's back (as an older schema could hold
    them), removed afterwards."""
    made = []
    yield made
    for table, id_ in made:
        db_query("DELETE FROM %s WHERE id = %d" % (table, id_))


def insert_legacy_customer(spelling, like_id, made):
    """A customer spelled `spelling` with the password of customer like_id."""
    db_query("INSERT INTO customers (email, password_hash, salutation, "
             "first_name, last_name, created_at, updated_at) SELECT "
             "CONVERT(X'%s' USING utf8mb4), password_hash, NULL, 'Legacy', "
             "'Row', created_at, updated_at FROM customers WHERE id = %d"
             % (hex_of(spelling), like_id))
    id_ = int(db_query("SELECT MAX(id) FROM customers")[0][0])
    made.append(("customers", id_))
    return id_


def insert_legacy_user(spelling, like_id, made):
    db_query("INSERT INTO users (uuid, username, password_hash, first_name, "
             "last_name, status, created_at, updated_at) SELECT UUID(), "
             "CONVERT(X'%s' USING utf8mb4), password_hash, 'Legacy', 'Row', "
             "1, created_at, updated_at FROM users WHERE id = %d"
             % (hex_of(spelling), like_id))
    id_ = int(db_query("SELECT MAX(id) FROM users")[0][0])
    made.append(("users", id_))
    return id_


def whose_token(access):
    r = api("GET", "/customers", token=access)
    assert r.status == 200, r.describe()
    return r.data[0]["id"]


# --------------------------------------------------------------- schema

def test_columns_compare_byte_for_byte_under_a_unique_index():
    for table, column, index in (("customers", "email", "customers_email"),
                                 ("users", "username", "users_username")):
        rows = db_query("SELECT COLLATION_NAME FROM information_schema.COLUMNS "
                        "WHERE TABLE_SCHEMA = 'glue_mfa' AND TABLE_NAME = '%s' "
                        "AND COLUMN_NAME = '%s'" % (table, column))
        assert rows == [["utf8mb4_nopad_bin"]], (table, rows)
        rows = db_query("SELECT NON_UNIQUE, COLUMN_NAME FROM "
                        "information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                        "'glue_mfa' AND TABLE_NAME = '%s' AND INDEX_NAME = '%s'"
                        % (table, index))
        assert rows == [["0", column]], (table, rows)


# ------------------------------------------------------- Storefront sign-in

@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_storefront_variant_never_signs_in(variant, login_failures_cleared,
                                           legacy_rows):
    email = sonia_style()
    c = new_customer(email=email)
    cid = customer_id(email)
    spelled = variant(email)
    # Even a row spelled exactly so (an older schema could hold one) is
    # unreachable: only the canonical form is ever looked up.
    if spelled.lower() == spelled and "\n" not in spelled:
        legacy = insert_legacy_customer(spelled, cid, legacy_rows)
    else:
        legacy = None
    with unchanged(side="storefront", audit=[("login", "failure", "003")],
                   changes=FAILURE()):
        assert_login_failed(login(spelled, c.password))
    assert last_login_audit(0) == ("NULL", "failure", "003")
    if legacy is not None:
        assert customer_id(email) == cid    # still exactly one canonical row
    # The owner is not held back, and reaches their own account.
    access, _ = c.login()
    assert whose_token(access) == "DE--%d" % cid


def test_storefront_variant_answers_like_an_unknown_address(login_failures_cleared):
    c = new_customer(email=sonia_style())
    unknown = login(sonia_style("nobody"), c.password)
    assert_login_failed(unknown)
    for _, variant in VARIANTS:
        r = login(variant(c.email), c.password)
        assert (r.status, r.json) == (unknown.status, unknown.json), r.describe()


def test_storefront_other_case_is_the_same_account(login_failures_cleared,
                                                   legacy_rows):
    email = sonia_style()
    c = new_customer(email=email)
    cid = customer_id(email)
    for case in CASES:
        r = login(case(email), c.password)
        assert r.status == 201, r.describe()
        assert whose_token(r.data["attributes"]["accessToken"]) == "DE--%d" % cid


def test_storefront_canonical_sign_in_reaches_only_its_own_row(
        login_failures_cleared, legacy_rows):
    """Rows spelled as variants (trailing space, accent, zero-width), with
    the same password: the canonical address reaches its own row only, the
    way the old case- and accent-blind collation did not."""
    email = sonia_style()
    c = new_customer(email=email)
    cid = customer_id(email)
    for spelled in (email + " ", email.replace("o", "\u00f6", 1),
                    email[:2] + "\u200b" + email[2:]):
        insert_legacy_customer(spelled, cid, legacy_rows)
    for _ in range(2):
        access, _ = c.login()
        assert whose_token(access) == "DE--%d" % cid


# ------------------------------------------------------- Backend sign-in

@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_backend_variant_never_signs_in(variant, login_failures_cleared,
                                        legacy_rows):
    u = new_user(username=sonia_style("ada"))
    uid = user_id(u.username)
    spelled = variant(u.username)
    if spelled.lower() == spelled and "\n" not in spelled:
        insert_legacy_user(spelled, uid, legacy_rows)
    with unchanged(side="backend", audit=[("login", "failure", "003")],
                   changes=FAILURE()):
        assert_invalid_grant(password_grant(spelled, u.password))
    assert last_login_audit(1) == ("NULL", "failure", "003")
    assert_oauth_tokens(password_grant(u.username, u.password))


def test_backend_admin_variants_never_sign_in(login_failures_cleared):
    for spelled in ("\u00e4dmin@example.com", ADMIN_NAME + " ",
                    "\uff41dmin@example.com", "ad\u200bmin@example.com"):
        with unchanged(side="backend", audit=[("login", "failure", "003")],
                       changes=FAILURE()):
            assert_invalid_grant(password_grant(spelled, "change123"))
    assert_oauth_tokens(password_grant(ADMIN_NAME.upper(), "change123"))


# ------------------------------------------------------- registration

@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_register_variant_of_existing_is_refused(variant):
    c = new_customer(email=sonia_style())
    with unchanged(side="storefront", account_id=customer_id(c.email)), \
            unchanged(side="storefront"):
        assert_validation(register(email=variant(c.email)), "email")


@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_register_variant_of_new_address_is_refused(variant):
    email = sonia_style()
    with unchanged(side="storefront"):
        assert_validation(register(email=variant(email)), "email")
    assert rows_like("customers", "email", email.split("@")[0][-12:]) == []


def test_register_other_case_of_existing_is_a_duplicate():
    c = new_customer(email=sonia_style())
    for case in CASES:
        with unchanged(side="storefront", account_id=customer_id(c.email)), \
                unchanged(side="storefront"):
            assert_error(register(email=case(c.email)), 422, "400",
                         D_CUSTOMER_EXISTS, pointer="/data/attributes/email")


def test_register_stores_the_lower_case_form():
    email = sonia_style()
    r = register(email=email.upper())
    assert r.status == 201, r.describe()
    assert r.data["attributes"]["email"] == email
    assert db_query("SELECT HEX(email) FROM customers WHERE id = %d"
                    % int(r.data["id"][4:])) == [[hex_of(email).upper()]]


@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_create_user_variant_of_existing_is_refused(variant):
    u = new_user(username=sonia_style("ada"))
    token = u_token()
    with unchanged(side="backend", account_id=user_id(u.username)), \
            unchanged(side="backend"):
        assert_validation(users_post(token, user_attrs(
            username=variant(u.username))), "username")


def test_create_user_other_case_is_a_duplicate():
    u = new_user(username=sonia_style("ada"))
    token = u_token()
    for case in CASES:
        with unchanged(side="backend", account_id=user_id(u.username)), \
                unchanged(side="backend"):
            assert_user_exists(users_post(token, user_attrs(
                username=case(u.username))))


_TOKEN = {}


def u_token():
    """One admin token for the module (sign-ins are limited and audited)."""
    if "t" not in _TOKEN:
        _TOKEN["t"] = assert_oauth_tokens(password_grant(ADMIN_NAME,
                                                         "change123"))[0]
    return _TOKEN["t"]


# ------------------------------------------------------- changes

@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_patch_customer_to_variant_of_another_is_refused(variant):
    other = new_customer(email=sonia_style())
    me = new_customer().signed_in()
    with unchanged(side="storefront", account_id=customer_id(me.email)), \
            unchanged(side="storefront", account_id=customer_id(other.email)):
        r = api("PATCH", me.path, doc("customers", {"email": variant(other.email)}),
                token=me.access)
        assert_validation(r, "email")


def test_patch_customer_to_other_case_of_another_is_a_duplicate():
    other = new_customer(email=sonia_style())
    me = new_customer().signed_in()
    for case in CASES:
        with unchanged(side="storefront", account_id=customer_id(me.email)), \
                unchanged(side="storefront", account_id=customer_id(other.email)):
            r = api("PATCH", me.path, doc("customers", {"email": case(other.email)}),
                    token=me.access)
            assert_error(r, 422, "400", D_CUSTOMER_EXISTS,
                         pointer="/data/attributes/email")


def test_patch_customer_email_is_stored_lower_case():
    me = new_customer().signed_in()
    email = sonia_style()
    r = api("PATCH", me.path, doc("customers", {"email": email.upper()}),
            token=me.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["email"] == email
    assert customer_id(email) == int(me.ref[4:])


@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS], ids=VARIANT_IDS)
def test_patch_user_to_variant_of_another_is_refused(variant):
    other = new_user(username=sonia_style("ada"))
    me = new_user()
    token = u_token()
    with unchanged(side="backend", account_id=user_id(me.username)), \
            unchanged(side="backend", account_id=user_id(other.username)):
        assert_validation(user_patch(token, me.uuid,
                                     {"username": variant(other.username)}),
                          "username")


def test_patch_user_to_other_case_of_another_is_a_duplicate():
    other = new_user(username=sonia_style("ada"))
    me = new_user()
    token = u_token()
    for case in CASES:
        with unchanged(side="backend", account_id=user_id(me.username)), \
                unchanged(side="backend", account_id=user_id(other.username)):
            assert_user_exists(user_patch(token, me.uuid,
                                          {"username": case(other.username)}))


def test_patch_user_username_is_stored_lower_case():
    me = new_user()
    name = sonia_style("ada")
    r = user_patch(u_token(), me.uuid, {"username": name.upper()})
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["username"] == name
    assert user_id(name) is not None


# ------------------------------------------------------- parallel sign-ups

def spellings(address, n):
    """n spellings of address: other cases (the same address) and variants
    (refused)."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            local, domain = address.split("@")
            bits = [(ch.upper() if (i >> (j % 5)) & 1 else ch)
                    for j, ch in enumerate(local)]
            out.append("".join(bits) + "@" + (domain.upper() if i % 4 else domain))
        else:
            out.append(VARIANTS[(i // 2) % len(VARIANTS)][1](address))
    return out


def test_parallel_storefront_sign_ups_make_one_account():
    email = sonia_style()
    tag = email.split("@")[0][-12:]
    names = spellings(email, 20)

    def one(name):
        return register(email=name)

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        answers = list(ex.map(one, names))
    made = [r for r in answers if r.status == 201]
    assert len(made) == 1, [r.describe() for r in answers]
    assert made[0].data["attributes"]["email"] == email
    for name, r in zip(names, answers):
        if r.status == 201:
            continue
        if name.lower() == email:
            assert_error(r, 422, "400", D_CUSTOMER_EXISTS,
                         pointer="/data/attributes/email")
        else:
            assert_validation(r, "email")
    rows = rows_like("customers", "email", tag)
    assert rows == [[made[0].data["id"][4:], hex_of(email).upper()]], rows


def test_parallel_backend_user_creations_make_one_user():
    name = sonia_style("ada")
    tag = name.split("@")[0][-12:]
    names = spellings(name, 20)
    token = u_token()

    def one(n):
        return users_post(token, user_attrs(username=n))

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        answers = list(ex.map(one, names))
    made = [r for r in answers if r.status == 201]
    assert len(made) == 1, [r.describe() for r in answers]
    assert made[0].data["attributes"]["username"] == name
    for n, r in zip(names, answers):
        if r.status == 201:
            continue
        if n.lower() == name:
            assert_user_exists(r)
        else:
            assert_validation(r, "username")
    rows = rows_like("users", "username", tag)
    assert len(rows) == 1 and rows[0][1] == hex_of(name).upper(), rows


# ------------------------------------------------------- the operator tool

def cli_fails(p, message):
    assert p.returncode == 1 and p.stdout == "" and \
        p.stderr == "glue-mfa-admin: %s\n" % message, describe_run(p)


@pytest.mark.parametrize("variant", [v[1] for v in VARIANTS if "\n" not in v[1]("a@b.cd")],
                         ids=[v[0] for v in VARIANTS if "\n" not in v[1]("a@b.cd")])
def test_cli_refuses_variants(variant):
    u = new_user(username=sonia_style("ada"))
    spelled = variant(u.username)
    with unchanged(side="backend", account_id=user_id(u.username)), \
            unchanged(side="backend"):
        cli_fails(cli("create-user", spelled, "Dup", "Licate",
                      stdin="cl1-Passw0rd\n"), "invalid e-mail address or name")
        cli_fails(cli("reset-password", spelled, stdin="r3set-Passw0rd\n"),
                  "invalid e-mail address")
        cli_fails(cli("mfa-off", "user", spelled, "email"),
                  "invalid e-mail address")
    assert_oauth_tokens(password_grant(u.username, u.password))


def test_cli_folds_case(login_failures_cleared):
    u = new_user(username=sonia_style("ada"))
    p = cli("reset-password", u.username.upper(), stdin="r3set-Passw0rd\n")
    assert p.returncode == 0 and p.stdout == \
        "user %s: password set, sessions revoked\n" % u.username, describe_run(p)
    assert_oauth_tokens(password_grant(u.username, "r3set-Passw0rd"))
    name = sonia_style("cli")
    p = cli("create-user", name.upper(), "Carla", "Cli", stdin="cl1-Passw0rd\n")
    assert p.returncode == 0 and name in p.stdout, describe_run(p)
    assert user_id(name) is not None
    assert_oauth_tokens(password_grant(name, "cl1-Passw0rd"))
    with unchanged(side="backend", account_id=user_id(name)), \
            unchanged(side="backend"):
        p = cli("create-user", name.capitalize(), "Carla", "Cli",
                stdin="cl1-Passw0rd\n")
        assert p.returncode == 1 and p.stdout == "user %s: exists\n" % name \
            and p.stderr == "glue-mfa-admin: a user with that username " \
            "exists\n", describe_run(p)


# ------------------------------------------------------- migration 006

@pytest.fixture
def scratch_db():
    """An empty database on the instance's server, migrated with
    glue-mfa-migrate as root over the socket; dropped afterwards."""
    if not INSTANCE:
        pytest.skip("needs the instance (GLUE_INSTANCE)")
    name = "glue_scratch_%s" % uuid.uuid4().hex[:8]
    sock = os.path.join(INSTANCE, "run", "mysqld.sock")
    tmp = tempfile.mkdtemp(prefix="glue-006-")
    cnf = os.path.join(tmp, "root.cnf")
    with open(cnf, "w") as f:
        f.write("[client]\nuser=root\nsocket=%s\n" % sock)
    os.chmod(cnf, 0o600)
    sql = os.path.join(tmp, "sql")
    os.mkdir(sql)

    def run_sql(text):
        p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + sock,
                            "-uroot", "-N", "-B", name], input=text,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return [ln.split("\t") for ln in p.stdout.splitlines()]

    def migrate(upto):
        for f in sorted(os.listdir(os.path.join(ROOT, "sql"))):
            if f[:3].isdigit() and int(f[:3]) <= upto and \
                    not os.path.exists(os.path.join(sql, f)):
                with open(os.path.join(ROOT, "sql", f)) as src, \
                        open(os.path.join(sql, f), "w") as dst:
                    dst.write(src.read())
        return subprocess.run([os.path.join(ROOT, "tools", "glue-mfa-migrate"),
                               "--defaults-file=" + cnf, "--database=" + name,
                               "--no-grants", "--sql-dir=" + sql],
                              capture_output=True, text=True, timeout=120)

    subprocess.run(["mariadb", "--no-defaults", "--socket=" + sock, "-uroot",
                    "-e", "CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE "
                    "utf8mb4_unicode_ci" % name], check=True, timeout=30)
    try:
        p = migrate(5)
        assert p.returncode == 0, p.stderr
        yield run_sql, migrate
    finally:
        subprocess.run(["mariadb", "--no-defaults", "--socket=" + sock, "-uroot",
                        "-e", "DROP DATABASE IF EXISTS %s" % name], timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


CUSTOMER_ROW = ("INSERT INTO customers (email, password_hash, first_name, "
                "last_name, created_at, updated_at) VALUES ('%s', 'x', 'A', "
                "'B', 0, 0);\n")
USER_ROW = ("INSERT INTO users (uuid, username, password_hash, first_name, "
            "last_name, status, created_at, updated_at) VALUES ('%s', '%s', "
            "'x', 'A', 'B', 1, 0, 0);\n")


def test_migration_006_lower_cases_existing_rows(scratch_db):
    run_sql, migrate = scratch_db
    run_sql(CUSTOMER_ROW % "Sonia@Example.COM" + CUSTOMER_ROW % "bob@x.de" +
            USER_ROW % ("u1", "Ada@Example.com"))
    p = migrate(6)
    assert p.returncode == 0 and "migrated 006_" in p.stdout, p.stderr
    assert run_sql("SELECT email FROM customers ORDER BY id") == \
        [["sonia@example.com"], ["bob@x.de"]]
    assert run_sql("SELECT username FROM users") == [["ada@example.com"]]
    # Byte for byte now: another case or a trailing space is another row,
    # which the programs never write (and upper case the schema refuses).
    run_sql(CUSTOMER_ROW % "sonia@example.com ")
    assert run_sql("SELECT COUNT(*) FROM customers WHERE email = "
                   "'sonia@example.com'") == [["1"]]
    with pytest.raises(AssertionError, match="customers_email_lower"):
        run_sql(CUSTOMER_ROW % "Sonia@example.com")


def test_migration_006_refuses_to_merge_and_names_the_collision(scratch_db):
    run_sql, migrate = scratch_db
    # The old unique index already kept case variants apart; a database
    # without it (restored by hand, say) can still hold them.
    run_sql("ALTER TABLE customers DROP INDEX customers_email;\n" +
            CUSTOMER_ROW % "Sonia@Example.com" + CUSTOMER_ROW % "sonia@example.com" +
            CUSTOMER_ROW % "carl@x.de" + USER_ROW % ("u1", "Ada@x.de"))
    before = run_sql("SELECT id, email FROM customers ORDER BY id")
    p = migrate(6)
    assert p.returncode == 1, p.stdout
    assert "006: accounts differing only in case (rename or delete one of " \
        "each, then migrate again): customers ids 1,2 share " \
        "sonia@example.com" in p.stderr, p.stderr
    assert p.stderr.endswith("glue-mfa-migrate: migration "
                             "006_canonical_identity.sql failed; later ones "
                             "not applied\n"), p.stderr
    # Nothing changed: not merged, not lower-cased, not recorded.
    assert run_sql("SELECT id, email FROM customers ORDER BY id") == before
    assert run_sql("SELECT username FROM users") == [["Ada@x.de"]]
    assert run_sql("SELECT MAX(version) FROM schema_migrations") == [["5"]]
    # Resolved by hand, it goes through.
    run_sql("DELETE FROM customers WHERE id = 2;")
    p = migrate(6)
    assert p.returncode == 0, p.stderr
    assert run_sql("SELECT email FROM customers ORDER BY id") == \
        [["sonia@example.com"], ["carl@x.de"]]


def test_migration_006_names_user_collisions(scratch_db):
    run_sql, migrate = scratch_db
    run_sql("ALTER TABLE users DROP INDEX users_username;\n" +
            USER_ROW % ("u1", "Ada@x.de") + USER_ROW % ("u2", "ADA@X.DE"))
    p = migrate(6)
    assert p.returncode == 1, p.stdout
    assert "users ids 1,2 share ada@x.de" in p.stderr, p.stderr
    assert run_sql("SELECT username FROM users ORDER BY id") == \
        [["Ada@x.de"], ["ADA@X.DE"]]
