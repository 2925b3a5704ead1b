"""Mail language (contract §10.9): the `locale` attribute of customers and
back-office users, normalised and refused (422 140, nothing changed), and
every mail kind read from the spool in English and German: the raw Subject
RFC 2047-encoded where it is not plain ASCII (decoded back with Python's
email.header.decode_header), UTF-8 bodies with their MIME headers, the
texts of the account's language. default_locale serves accounts with no
locale, and a bad one stops start-up."""

import email
import email.header
import email.policy
import os
import re

import pytest

from cgi_helpers import conf_with, run
from conftest import (BASE, api, assert_error, customer_attrs, db_query, doc,
                      new_customer)
from effects import NO_SUCCESS, unchanged, unchanged_for
from mfa_helpers import (BACKEND, CODE_LENGTHS, STOREFRONT, MAX_FAILURES, Account, activate,
                         assert_204, assert_5901, deactivate, mail_dir, mail_mark,
                         mfa_post, needs_db, patch_account, trigger, verify)
import backend_helpers as bh

RECOVERY = "multi-factor-auth-recovery-codes"
D_140 = "Locale is not supported."
POINTER = "/data/attributes/locale"

# Subjects and a phrase of each body, per language (src/catalog.c).
SUBJECTS = {
    "en": {"code": "Verification Code for Secure Access",
           "on": "Multi-factor authentication switched on",
           "off": "Multi-factor authentication switched off",
           "admin_off": "Multi-factor authentication switched off by an administrator",
           "locked": "Verification temporarily locked",
           "username_old": "Your username was changed",
           "username_new": "This address is now your username",
           "recovery_new": "New recovery codes",
           "recovery_used": "A recovery code was used",
           "registration": "Please confirm your e-mail address"},
    "de": {"code": "Bestätigungscode für den sicheren Zugang",
           "on": "Multi-Faktor-Authentifizierung eingeschaltet",
           "off": "Multi-Faktor-Authentifizierung ausgeschaltet",
           "admin_off": "Multi-Faktor-Authentifizierung von einem Administrator "
                        "ausgeschaltet",
           "locked": "Bestätigung vorübergehend gesperrt",
           "username_old": "Ihr Benutzername wurde geändert",
           "username_new": "Diese Adresse ist jetzt Ihr Benutzername",
           "recovery_new": "Neue Wiederherstellungscodes",
           "recovery_used": "Ein Wiederherstellungscode wurde verwendet",
           "registration": "Bitte bestätigen Sie Ihre E-Mail-Adresse"},
}
BODIES = {
    "en": {"code": "Your verification code is: ",
           "notice": "If this was not you, change your password now",
           "when": "When: ",
           "registration": "Your registration key is: "},
    "de": {"code": "Ihr Bestätigungscode lautet: ",
           "notice": "Wenn Sie das nicht waren, ändern Sie jetzt Ihr Passwort",
           "when": "Zeitpunkt: ",
           "registration": "Ihr Registrierungsschlüssel lautet: "},
}
EVENTS = {
    "en": {"on": "was switched on for your account",
           "off": "was switched off for your account",
           "admin_off": "An administrator switched off",
           "locked": "Too many wrong verification codes",
           "username_old": "changed the username of your back-office account",
           "username_new": "made this address the username",
           "recovery_new": "A new set of recovery codes",
           "recovery_used": "One of your recovery codes was used"},
    "de": {"on": "wurde für Ihr Konto eingeschaltet",
           "off": "wurde für Ihr Konto ausgeschaltet",
           "admin_off": "Ein Administrator hat die Multi-Faktor-Authentifizierung",
           "locked": "zu viele falsche Bestätigungscodes",
           "username_old": "hat den Benutzernamen Ihres Back-Office-Kontos geändert",
           "username_new": "zum Benutzernamen eines Back-Office-Kontos gemacht",
           "recovery_new": "ein neuer Satz Wiederherstellungscodes",
           "recovery_used": "Einer Ihrer Wiederherstellungscodes wurde verwendet"},
}
LOCALE = {"en": "en_US", "de": "de_DE"}
LANGS = ["en", "de"]
BAD = ["fr_FR", "fr", "xx", "", "de_DEU", "de DE", "d", "de_D1", "de.DE",
       "de_DE.UTF-8", "ä_DE", "en_US\n"]


# --------------------------------------------------------------------------
# The spool, read raw


def new_mails(addr, mark):
    """(raw bytes, parsed message) of each message to addr after mark."""
    out = []
    d = mail_dir()
    for n in sorted(x for x in os.listdir(d) if not x.startswith(".")):
        if n <= mark:
            continue
        with open(os.path.join(d, n), "rb") as f:
            raw = f.read()
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if str(m["To"]).strip().lower() == addr.lower():
            out.append((raw, m))
    return out


def raw_subject(raw):
    """The Subject field as written, unfolded lines joined with CRLF."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    m = re.search(r"\r\nSubject: (.*?)\r\n(?! )", head, re.S)
    assert m, head
    return m.group(1)


def decoded(value):
    """An RFC 2047 header value decoded by Python's email.header."""
    return str(email.header.make_header(email.header.decode_header(value)))


def check_mail(raw, msg, lang, kind):
    """The message's subject (raw and decoded), MIME headers and language;
    its text part."""
    want = SUBJECTS[lang][kind]
    subj = raw_subject(raw)
    raw.decode("utf-8")                     # the whole message is UTF-8
    assert max(len(ln) for ln in raw.split(b"\r\n")) <= 998   # RFC 5322 2.1.1
    assert b"\n" not in raw.replace(b"\r\n", b"")             # CRLF only
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(b < 0x80 for b in head), head   # headers: ASCII only
    if all(ord(ch) < 0x80 for ch in want) and len(want) <= 69:
        assert subj == want, subj
    else:
        lines = subj.split("\r\n")
        assert all(re.match(r"^ ?=\?utf-8\?B\?[A-Za-z0-9+/=]+\?=$", ln)
                   for ln in lines), subj
        assert len("Subject: " + lines[0]) <= 76, subj
        assert all(len(ln) <= 76 for ln in lines), subj
        # Every word decodes alone to whole characters (RFC 2047 5).
        for ln in lines:
            for part, cs in email.header.decode_header(ln.strip()):
                assert cs == "utf-8"
                part.decode("utf-8")
        assert decoded(subj) == want, decoded(subj)
    assert str(msg["Subject"]) == want
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    for part in (text, html):
        assert part.get_content_charset() == "utf-8", part["Content-Type"]
        assert part["Content-Transfer-Encoding"] == "8bit"
    assert '<html lang="%s">' % lang in html.get_content()
    return text.get_content(), html.get_content()


def one_mail(addr, mark, lang, kind):
    ms = [(r, m) for r, m in new_mails(addr, mark)
          if str(m["Subject"]) == SUBJECTS[lang][kind]]
    assert len(ms) == 1, (kind, lang, [str(m["Subject"])
                                       for _, m in new_mails(addr, mark)])
    return check_mail(ms[0][0], ms[0][1], lang, kind)


def code_mail(addr, mark, lang):
    text, html = one_mail(addr, mark, lang, "code")
    m = re.search(re.escape(BODIES[lang]["code"]) + r"(\d+)\r?\n", text)
    assert m, text
    assert m.group(1) in html
    minutes = "minutes" if lang == "en" else "Minuten"
    assert minutes in text and minutes in html
    return m.group(1)


def notice_mail(addr, mark, lang, kind):
    text, html = one_mail(addr, mark, lang, kind)
    for body in (text, html):
        assert EVENTS[lang][kind] in body, body
        assert BODIES[lang]["notice"] in body, body
        assert BODIES[lang]["when"] in body, body
        other = "de" if lang == "en" else "en"
        assert BODIES[other]["notice"] not in body, body
        assert not re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", body), body


# --------------------------------------------------------------------------
# Accounts in a language


def stored_locale(side, id_):
    if side is STOREFRONT:
        ref = id_.split("--")[1]
        rows = db_query("SELECT locale FROM customers WHERE id = %d" % int(ref))
    else:
        rows = db_query("SELECT locale FROM users WHERE uuid = '%s'" % id_)
    return None if rows[0][0] == "NULL" else rows[0][0]


def account_in(side, lang):
    """A fresh signed-in account of the side whose mails are in lang."""
    if side is STOREFRONT:
        c = new_customer(locale=LOCALE[lang])
        assert c.resp.data["attributes"]["locale"] == LOCALE[lang]
        return Account(side, c.email, c.password, c.ref).signed_in()
    attrs = bh.user_attrs(locale=LOCALE[lang])
    r = side.as_admin(lambda t: bh.users_post(t, attrs))
    assert r.status == 201, r.describe()
    assert r.data["attributes"]["locale"] == LOCALE[lang]
    return Account(side, attrs["username"], attrs["password"],
                   r.data["id"]).signed_in()


def enable(c, lang):
    """activate -> German/English code -> verify: email active; the
    switched-on notice checked."""
    mark = mail_mark()
    assert_204(activate(c))
    code = code_mail(c.mail, mark, lang)
    mark = mail_mark()
    assert_204(verify(c, code))
    notice_mail(c.mail, mark, lang, "on")


def fresh(c, lang):
    mark = mail_mark()
    assert_204(trigger(c))
    return code_mail(c.mail, mark, lang)


@pytest.fixture(params=[STOREFRONT, BACKEND], ids=lambda s: s.name)
def side(request):
    return request.param


# --------------------------------------------------------------------------
# The attribute


@pytest.mark.parametrize("given,stored", [
    ("de_DE", "de_DE"), ("de", "de_DE"), ("DE-at", "de_AT"), ("en_GB", "en_GB"),
    ("en", "en_US"), ("de_CH", "de_CH")])
def test_signup_locale_is_normalised_stored_and_shown(given, stored):
    needs_db()
    c = new_customer(locale=given)
    assert c.resp.status == 201
    assert c.resp.data["attributes"]["locale"] == stored
    assert stored_locale(STOREFRONT, c.ref) == stored
    access = c.login()[0]
    for path in ("/customers/" + c.ref, "/customers"):
        r = api("GET", path, token=access)
        assert r.status == 200, r.describe()
        d = r.data if isinstance(r.data, dict) else r.data[0]
        assert d["attributes"]["locale"] == stored, r.describe()


def test_signup_without_locale_shows_null():
    needs_db()
    c = new_customer()
    assert c.resp.data["attributes"]["locale"] is None
    assert stored_locale(STOREFRONT, c.ref) is None
    r = api("GET", "/customers/" + c.ref, token=c.login()[0])
    assert r.data["attributes"]["locale"] is None


@pytest.mark.parametrize("bad", BAD)
def test_signup_with_an_unknown_locale_is_422_140_and_creates_nothing(bad):
    needs_db()
    attrs = customer_attrs(locale=bad)
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customers", doc("customers", attrs))
    assert_error(r, 422, "140", D_140, pointer=POINTER)
    assert db_query("SELECT COUNT(*) FROM customers WHERE email = '%s'"
                    % attrs["email"])[0][0] == "0"


def test_signup_with_a_locale_not_a_string_is_400_101():
    needs_db()
    with unchanged(side="storefront", account_id=None):
        r = api("POST", "/customers", doc("customers", customer_attrs(locale=7)))
    assert_error(r, 400, "101", "Invalid or missing member.", pointer=POINTER)


def test_patch_changes_the_locale_and_refuses_an_unknown_one():
    needs_db()
    c = new_customer(locale="en_US")
    access = c.login()[0]
    r = api("PATCH", "/customers/" + c.ref, doc("customers", {"locale": "de-ch"}),
            token=access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["locale"] == "de_CH"
    assert stored_locale(STOREFRONT, c.ref) == "de_CH"
    # Another attribute alone leaves the locale as it is.
    r = api("PATCH", "/customers/" + c.ref, doc("customers", {"firstName": "Ute"}),
            token=access)
    assert r.status == 200 and r.data["attributes"]["locale"] == "de_CH"
    for bad in ("fr_FR", "german", ""):
        with unchanged(side="storefront", account_id=int(c.ref.split("--")[1]),
                       mail_to=c.email):
            r = api("PATCH", "/customers/" + c.ref,
                    doc("customers", {"locale": bad, "firstName": "Never"}),
                    token=access)
        assert_error(r, 422, "140", D_140, pointer=POINTER)
    assert stored_locale(STOREFRONT, c.ref) == "de_CH"


def test_backend_users_carry_a_locale():
    needs_db()
    admin = bh.admin_token()
    u = bh.new_user(admin, locale="de")
    assert u.resp.data["attributes"]["locale"] == "de_DE"
    assert stored_locale(BACKEND, u.uuid) == "de_DE"
    r = api("GET", u.path, token=admin)
    assert r.data["attributes"]["locale"] == "de_DE", r.describe()
    r = bh.user_patch(admin, u.uuid, {"locale": "en-gb"})
    assert r.status == 200 and r.data["attributes"]["locale"] == "en_GB", r.describe()
    listed = [i for i in bh.all_users(admin) if i["id"] == u.uuid]
    assert listed[0]["attributes"]["locale"] == "en_GB"
    v = bh.new_user(admin)
    assert v.resp.data["attributes"]["locale"] is None
    uid = bh.user_id(u.username)
    for bad in ("fr", "en_USA"):
        with unchanged(side="backend", account_id=uid, mail_to=u.username):
            r = bh.user_patch(admin, u.uuid, {"locale": bad, "lastName": "Never"})
        assert_error(r, 422, "140", D_140, pointer=POINTER)
        with unchanged(side="backend", account_id=None):
            r = bh.users_post(admin, bh.user_attrs(locale=bad))
        assert_error(r, 422, "140", D_140, pointer=POINTER)
    assert stored_locale(BACKEND, u.uuid) == "en_GB"


# --------------------------------------------------------------------------
# The mails


@pytest.mark.parametrize("lang", LANGS)
def test_code_mail_in_the_accounts_language(side, lang):
    needs_db()
    c = account_in(side, lang)
    mark = mail_mark()
    assert_204(activate(c))
    assert len(code_mail(c.mail, mark, lang)) == CODE_LENGTHS[c.side.num]


@pytest.mark.parametrize("lang", LANGS)
def test_every_notice_in_the_accounts_language(side, lang):
    """switched on, new recovery codes, a recovery code used, switched off,
    locked: each in the account's language."""
    needs_db()
    c = account_in(side, lang)
    enable(c, lang)                                         # "on"
    mark = mail_mark()
    r = api("POST", side.path(RECOVERY), doc(RECOVERY, {}), token=c.access,
            headers={"X-MFA-Code": fresh(c, lang)})
    assert r.status == 201, r.describe()
    codes = r.data["attributes"]["codes"]
    notice_mail(c.mail, mark, lang, "recovery_new")
    mark = mail_mark()
    r = patch_account(c, codes[0], first_name="Recovered")
    assert r.status == 200, r.describe()
    notice_mail(c.mail, mark, lang, "recovery_used")
    mark = mail_mark()
    for k in range(MAX_FAILURES):
        assert_5901(patch_account(c, code="00000%d" % (k % 10)
                                  if k % 10 != 7 else "999999"))
    notice_mail(c.mail, mark, lang, "locked")


@pytest.mark.parametrize("lang", LANGS)
def test_switched_off_in_the_accounts_language(side, lang):
    needs_db()
    c = account_in(side, lang)
    enable(c, lang)
    code = fresh(c, lang)
    mark = mail_mark()
    assert_204(deactivate(c, code))
    notice_mail(c.mail, mark, lang, "off")


@pytest.mark.parametrize("lang", LANGS)
def test_administrator_switch_off_in_the_customers_language(lang):
    needs_db()
    c = account_in(STOREFRONT, lang)
    enable(c, lang)
    mark = mail_mark()
    r = BACKEND.as_admin(lambda t: bh.rescue(t, c.id))
    assert_204(r)
    notice_mail(c.mail, mark, lang, "admin_off")


@pytest.mark.parametrize("lang", LANGS)
def test_username_change_in_the_users_language(lang):
    needs_db()
    c = account_in(BACKEND, lang)
    old, new = c.mail, bh.unique_username("renamed")
    mark = mail_mark()
    r = BACKEND.as_admin(lambda t: bh.user_patch(t, c.id, {"username": new}))
    assert r.status == 200, r.describe()
    notice_mail(old, mark, lang, "username_old")
    notice_mail(new, mark, lang, "username_new")


def test_a_refused_locale_change_sends_nothing_and_keeps_the_language():
    """A refused PATCH changes no row and sends no mail; the next code mail
    is still in the stored language."""
    needs_db()
    c = account_in(STOREFRONT, "de")
    with unchanged_for(c):
        r = api("PATCH", c.path, doc("customers", {"locale": "en_XX1"}),
                token=c.access)
    assert_error(r, 422, "140", D_140, pointer=POINTER)
    mark = mail_mark()
    assert_204(activate(c))
    code_mail(c.mail, mark, "de")


# --------------------------------------------------------------------------
# The confirmation mail and default_locale (programs run as CGI with a
# configuration of the test's own)


def cgi_signup(conf, **over):
    attrs = customer_attrs(**over)
    a = run(conf, "POST", "/customers", doc("customers", attrs))
    assert a.status == 201, a.describe()
    return attrs["email"], a.json["data"]["attributes"]


@pytest.mark.parametrize("default,given,lang", [
    ("en_US", "de_DE", "de"), ("en_US", None, "en"), ("de_DE", None, "de"),
    ("de", "en", "en"), ("de_AT", None, "de")])
def test_confirmation_mail_in_the_chosen_or_default_language(tmp_path, default,
                                                               given, lang):
    needs_db()
    conf = conf_with(tmp_path, customer_confirmation="on", default_locale=default)
    mark = mail_mark()
    over = {} if given is None else {"locale": given}
    addr, attrs = cgi_signup(conf, **over)
    assert attrs["locale"] == (None if given is None else LOCALE[lang])
    text, html = one_mail(addr, mark, lang, "registration")
    key = re.search(re.escape(BODIES[lang]["registration"]) + r"(\S+)\r?\n", text)
    assert key and key.group(1) in html, text
    unit = r"hours?" if lang == "en" else r"Stunden?"
    assert re.search(r"(läuft|expires) in \d+ %s " % unit, text), text


@pytest.mark.parametrize("default,lang", [("de_DE", "de"), ("en_GB", "en")])
def test_default_locale_serves_accounts_without_one(tmp_path, default, lang):
    needs_db()
    conf = conf_with(tmp_path, default_locale=default)
    c = new_customer()
    access = c.login()[0]
    mark = mail_mark()
    a = run(conf, "POST", "/" + "multi-factor-auth-type-activate",
            doc("multi-factor-auth-type-activate", {"type": "email"}), token=access)
    assert a.status == 204, a.describe()
    code_mail(c.email, mark, lang)


@pytest.mark.parametrize("value", ["fr_FR", "german", "de_DEU", ""])
def test_a_bad_default_locale_stops_start_up(tmp_path, value):
    needs_db()
    conf = conf_with(tmp_path, default_locale=value)
    import subprocess
    prog = os.path.join(os.environ.get("GLUE_BIN") or "build/test/cgi-bin",
                        "access-tokens")
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf, "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": "GET", "REQUEST_URI": "/access-tokens",
           "SCRIPT_NAME": "/access-tokens", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1"}
    with unchanged(side="storefront", account_id=None):
        p = subprocess.run([prog], env=env, capture_output=True, timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr.decode().splitlines() == [
        "access-tokens: default_locale: not a locale of the mail catalogue "
        "(en, de, as en_US, de_DE, de-AT ...)"], p.stderr
    assert b"Status: 500" in p.stdout


def test_dev_mailbox_shows_the_decoded_subject():
    """GET /dev-mailbox (development) shows the German subject decoded, and
    the body's UTF-8 as it is."""
    needs_db()
    c = account_in(STOREFRONT, "de")
    assert_204(activate(c))
    r = api("GET", "/dev-mailbox")
    assert r.status == 200, r.describe()
    mine = [d for d in r.json["data"] if d["attributes"]["to"] == c.mail]
    assert mine and mine[0]["attributes"]["subject"] == SUBJECTS["de"]["code"], mine
    one = api("GET", "/dev-mailbox/" + mine[0]["id"])
    assert one.status == 200, one.describe()
    a = one.json["data"]["attributes"]
    assert a["subject"] == SUBJECTS["de"]["code"], a
    assert BODIES["de"]["code"] in a["text"], a


# --------------------------------------------------------------------------
# The operator tool


def test_operator_tool_sets_and_clears_a_locale():
    needs_db()
    c = new_customer()
    p = bh.cli("set-locale", "customer", c.email.upper(), "de-at")
    assert (p.returncode, p.stdout, p.stderr) == (
        0, "customer %s: locale de_AT\n" % c.email, ""), bh.describe_run(p)
    assert stored_locale(STOREFRONT, c.ref) == "de_AT"
    mark = mail_mark()
    access = c.login()[0]
    assert_204(api("POST", "/multi-factor-auth-type-activate",
                   doc("multi-factor-auth-type-activate", {"type": "email"}),
                   token=access))
    code_mail(c.email, mark, "de")
    p = bh.cli("set-locale", "customer", c.email, "-")
    assert (p.returncode, p.stdout) == (
        0, "customer %s: locale cleared (default_locale)\n" % c.email), bh.describe_run(p)
    assert stored_locale(STOREFRONT, c.ref) is None
    u = bh.new_user()
    p = bh.cli("set-locale", "user", u.username, "de")
    assert p.returncode == 0 and stored_locale(BACKEND, u.uuid) == "de_DE", bh.describe_run(p)


@pytest.mark.parametrize("args,rc,err", [
    (("customer", "nobody-%s@example.com", "de"), 1, "no such account"),
    (("customer", "%s", "fr_FR"), 1,
     "not a locale of the mail catalogue (en, de, as en_US, de_DE, de-AT ...)"),
    (("admin", "%s", "de"), 1, "the account kind is customer or user"),
    (("customer", "%s"), 2, None),
])
def test_operator_tool_refusals_change_nothing(args, rc, err):
    needs_db()
    c = new_customer(locale="en_GB")
    args = tuple(a % c.email.split("@")[0] if a.startswith("nobody") else
                 a % c.email if "%s" in a else a for a in args)
    with unchanged(side="storefront", account_id=int(c.ref.split("--")[1]),
                   mail_to=c.email):
        p = bh.cli("set-locale", *args)
    assert p.returncode == rc and p.stdout == "", bh.describe_run(p)
    if err is not None:
        assert p.stderr == "glue-mfa-admin: %s\n" % err, bh.describe_run(p)
    assert stored_locale(STOREFRONT, c.ref) == "en_GB"


def test_a_protected_patch_with_an_unknown_locale_leaves_the_code_unused(side):
    """With MFA on, PATCH with a right code and an unknown locale is 422 140:
    no row changes, the code is not spent (it then serves the right PATCH),
    no mail."""
    needs_db()
    c = account_in(side, "de")
    enable(c, "de")
    code = fresh(c, "de")
    with unchanged_for(c, audit=NO_SUCCESS):
        r = api("PATCH", c.path, doc(side.account_type,
                                     {"locale": "xx_XX", "firstName": "Never"}),
                token=c.access, headers={"X-MFA-Code": code})
    assert_error(r, 422, "140", D_140, pointer=POINTER)
    r = api("PATCH", c.path, doc(side.account_type, {"locale": "en"}),
            token=c.access, headers={"X-MFA-Code": code})
    assert r.status == 200 and r.data["attributes"]["locale"] == "en_US", r.describe()
    assert stored_locale(side, c.id) == "en_US"
    mark = mail_mark()
    assert_204(trigger(c))
    code_mail(c.mail, mark, "en")
