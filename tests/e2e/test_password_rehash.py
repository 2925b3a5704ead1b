"""Password hashes made with other Argon2id parameters than the configured
ones are made again at the next successful sign-in, in the sign-in's own
transaction, and never on a refused one (contract §11.1).

The instance runs with the defaults (password_memory_kib 19456,
password_iterations 2).  Each test writes a hash of another parameter set
into the account's row (made beforehand with libsodium's
crypto_pwhash_str_alg for PASSWORD: the test has no Argon2 of its own),
then signs in.  Cost: a few sign-ins, under a second each."""
import pytest

from conftest import (api, assert_login_failed, db_available, db_query, doc,
                      login, new_customer)
from backend_helpers import (assert_invalid_grant, assert_oauth_tokens,
                             new_user, password_grant, user_id)
from effects import login_failure_counted, unchanged

PASSWORD = "Rehash-me-2026!"
CONFIGURED = "$argon2id$v=19$m=19456,t=2,p=1$"
# Argon2id of PASSWORD: weaker than the floor, the earlier default
# (libsodium's INTERACTIVE, 64 MiB), and more passes than configured.
WEAK = ("$argon2id$v=19$m=4096,t=1,p=1$vay9d6pyIMhk4f1IRSIKRg$"
        "qS9fTjP/0mvGrKG4Xb64XuuNLMtihLQr6orx7aRFW4E")
OLD_DEFAULT = ("$argon2id$v=19$m=65536,t=2,p=1$O5T3PaEVKcguNlCbqiF15A$"
               "rx/AK09Zkb0ZK5trrjRP7RjI1F417FxZ1QCpHBK32F0")
MORE_PASSES = ("$argon2id$v=19$m=19456,t=3,p=1$M8AUgCjDBVUf2ncZL9VmbA$"
               "nF54aKm+8WiRPAnofaIYQGgyTfxbC1xiqcK3vjRc2Rs")

pytestmark = pytest.mark.skipif(not db_available(),
                                reason="needs the instance's database")


def row(table, id_):
    """Every column of the account's row, in order."""
    rows = db_query("SELECT * FROM %s WHERE id = %d" % (table, id_))
    assert len(rows) == 1, rows
    return rows[0]


def stored(table, id_):
    return db_query("SELECT password_hash FROM %s WHERE id = %d"
                    % (table, id_))[0][0]


def set_hash(table, id_, h):
    db_query("UPDATE %s SET password_hash = '%s' WHERE id = %d"
             % (table, h, id_))
    assert stored(table, id_) == h


def customer_id(email):
    return int(db_query("SELECT id FROM customers WHERE email = '%s'"
                        % email)[0][0])


def customer_signs_in(email):
    r = login(email, PASSWORD)
    assert r.status == 201, r.describe()
    return r


def assert_rehashed(table, id_, before_row, old):
    """Only password_hash changed, to the configured parameters, and the
    password still signs in with it."""
    h = stored(table, id_)
    assert h != old
    assert h.startswith(CONFIGURED), h
    assert len(h) == len(CONFIGURED) + 22 + 1 + 43, h
    after = row(table, id_)
    i = after.index(h)
    assert after[:i] + after[i + 1:] == before_row[:i] + before_row[i + 1:]
    assert before_row[i] == old


@pytest.mark.parametrize("old", [WEAK, OLD_DEFAULT, MORE_PASSES],
                         ids=["weaker", "earlier-default", "more-passes"])
def test_customer_hash_replaced_at_sign_in(old):
    c = new_customer(password=PASSWORD)
    cid = customer_id(c.email)
    set_hash("customers", cid, old)
    # A wrong password: refused, counted, the old hash stays.
    with unchanged(side="storefront", account_id=cid,
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(c.email, "not-" + PASSWORD))
    assert stored("customers", cid) == old
    before = row("customers", cid)
    customer_signs_in(c.email)
    assert_rehashed("customers", cid, before, old)
    # Now the parameters match: the next sign-in leaves the hash alone.
    h = stored("customers", cid)
    customer_signs_in(c.email)
    assert stored("customers", cid) == h


def test_customer_configured_hash_not_rehashed():
    c = new_customer(password=PASSWORD)
    cid = customer_id(c.email)
    h = stored("customers", cid)
    assert h.startswith(CONFIGURED), h
    customer_signs_in(c.email)
    assert stored("customers", cid) == h


def test_customer_other_spelling_refused_no_rehash():
    """Another spelling of the e-mail is an unknown account (contract
    §3.9): refused with the same work, the hash untouched; the same
    address in upper case is the account, and rehashes it."""
    c = new_customer(password=PASSWORD)
    cid = customer_id(c.email)
    set_hash("customers", cid, WEAK)
    with unchanged(side="storefront", account_id=None,
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_login_failed(login(c.email + " ", PASSWORD))
    assert stored("customers", cid) == WEAK
    before = row("customers", cid)
    customer_signs_in(c.email.upper())
    assert_rehashed("customers", cid, before, WEAK)


def test_user_hash_replaced_at_sign_in():
    u = new_user(password=PASSWORD)
    uid = user_id(u.username)
    set_hash("users", uid, OLD_DEFAULT)
    with unchanged(side="backend", account_id=uid,
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_invalid_grant(password_grant(u.username, "not-" + PASSWORD))
    assert stored("users", uid) == OLD_DEFAULT
    before = row("users", uid)
    assert_oauth_tokens(password_grant(u.username, PASSWORD))
    assert_rehashed("users", uid, before, OLD_DEFAULT)


def test_blocked_user_right_password_no_rehash():
    """A blocked user's right password is refused like a wrong one
    (contract §3.3): nothing rehashed."""
    u = new_user(password=PASSWORD)
    uid = user_id(u.username)
    set_hash("users", uid, WEAK)
    db_query("UPDATE users SET status = 0 WHERE id = %d" % uid)
    with unchanged(side="backend", account_id=uid,
                   audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        assert_invalid_grant(password_grant(u.username, PASSWORD))
    assert stored("users", uid) == WEAK
