"""Answers the rest of the suite does not reach, so that every status
www/openapi-*.json document is exercised (test_zzz_openapi.py checks it).

On every operation of both APIs: the front line (406 everywhere; 415, 400 and
409 with a JSON:API body; 403 002 and 401 001 where a token is needed),
OPTIONS on every path, 503 with the database stopped, 413 from the programs
themselves (run directly as CGI: lighttpd refuses a body over 64 KiB with its
own 413 first). Then 429 5911 on every protected write of a locked account,
503 5910 when the mail cannot be handed over, and the development mailbox
(on over HTTP; off through a program run as CGI with a config that turns it off).
"""

import email
import email.policy
import json
import os
import re
import subprocess
import time
import uuid
from urllib.parse import urlencode

import pytest

from conftest import (BASE, INSTANCE, JSONAPI, ROOT, api, assert_error,
                      clear_login_failures, db_available, doc, login, new_customer,
                      record_answer)

FORM = "application/x-www-form-urlencoded"
BE = "/backend"
RESCUE = "customer-multi-factor-auth-type-deactivate"
ACTIVATE, VERIFY = "multi-factor-auth-type-activate", "multi-factor-auth-type-verify"
TRIGGER, DEACTIVATE = "multi-factor-auth-trigger", "multi-factor-auth-type-deactivate"
MFA_POSTS = (ACTIVATE, VERIFY, TRIGGER, DEACTIVATE)
BOGUS_TOKEN = "A" * 43          # well-formed, never issued
MAX_FAILURES = 10               # the test instance runs with contract §5's defaults
D_5910 = ("Something went wrong while sending your code. Please try again later "
          "or contact the system administrator.")
D_5911 = "Too many failed attempts. Please try again later."
D_5912 = "A code was sent recently. Please wait before requesting another."
CODE_RE = re.compile(r"Your verification code is: (\d+)")


class Op:
    """One documented operation: server prefix, method, path template, the
    body it takes (a JSON:API resource type, "form" or None), whether it needs
    a token, whether its writes are MFA-protected, whether it uses the DB."""

    def __init__(self, prefix, method, template, body=None, auth=False,
                 protected=False, db=True):
        self.prefix, self.method, self.template = prefix, method, template
        self.body, self.auth, self.protected, self.db = body, auth, protected, db

    @property
    def id(self):
        return "%s %s%s" % (self.method, self.prefix, self.template)

    def path(self, **values):
        p = self.template
        for k, v in dict(PARAMS, **values).items():
            p = p.replace("{%s}" % k, v)
        return self.prefix + p

    def shape_body(self):
        """A body the front line accepts (the handler may still refuse it)."""
        if self.body == "form":
            return urlencode({"grant_type": "password", "username": "nobody@example.com",
                              "password": "x" * 12}).encode(), FORM
        if self.body is None:
            return None, None
        attrs = {"type": "email"} if self.body in MFA_POSTS else {}
        return json.dumps(doc(self.body, attrs)).encode(), JSONAPI


PARAMS = {"refreshToken": "mine", "customerReference": "DE--1",
          "addressId": str(uuid.UUID(int=1)), "userId": str(uuid.UUID(int=2)),
          "type": "email", "messageId": "0-0.eml", "credentialId": str(uuid.UUID(int=3))}

ADDR = "/customers/{customerReference}/addresses"
OPS = [
    Op("", "POST", "/access-tokens", "access-tokens"),
    Op("", "POST", "/refresh-tokens", "refresh-tokens"),
    Op("", "DELETE", "/refresh-tokens/{refreshToken}", auth=True),
    Op("", "GET", "/customers", auth=True),
    Op("", "POST", "/customers", "customers"),
    Op("", "POST", "/customer-confirmation", "customer-confirmation"),
    Op("", "GET", "/customers/{customerReference}", auth=True),
    Op("", "PATCH", "/customers/{customerReference}", "customers", True, True),
    Op("", "DELETE", "/customers/{customerReference}", None, True, True),
    Op("", "PATCH", "/customer-password/{customerReference}", "customer-password",
       True, True),
    Op("", "GET", ADDR, auth=True),
    Op("", "POST", ADDR, "addresses", True, True),
    Op("", "GET", ADDR + "/{addressId}", auth=True),
    Op("", "PATCH", ADDR + "/{addressId}", "addresses", True, True),
    Op("", "DELETE", ADDR + "/{addressId}", None, True, True),
    Op("", "GET", "/dev-mailbox", db=False),
    Op("", "GET", "/dev-mailbox/{messageId}", db=False),
    Op("", "POST", "/token", "form"),
    Op("", "GET", "/.well-known/oauth-authorization-server", db=False),
    Op("", "GET", "/.well-known/oauth-authorization-server/backend", db=False),
    Op(BE, "POST", "/token", "form"),
    Op(BE, "GET", "/users", auth=True),
    Op(BE, "POST", "/users", "users", True, True),
    Op(BE, "GET", "/users/{userId}", auth=True),
    Op(BE, "PATCH", "/users/{userId}", "users", True, True),
    Op(BE, "DELETE", "/users/{userId}", None, True, True),
    Op(BE, "POST", "/" + RESCUE, RESCUE, True, True),
]
for _prefix in ("", BE):
    OPS += [Op(_prefix, "GET", "/multi-factor-auth-types", auth=True),
            Op(_prefix, "GET", "/multi-factor-auth-types/{type}", auth=True)]
    OPS += [Op(_prefix, "POST", "/" + r, r, True) for r in MFA_POSTS]
    OPS += [Op(_prefix, "GET", "/multi-factor-auth-recovery-codes", auth=True),
            Op(_prefix, "POST", "/multi-factor-auth-recovery-codes",
               "multi-factor-auth-recovery-codes", True)]
    OPS += [Op(_prefix, "GET", "/multi-factor-auth-webauthn-credentials", auth=True),
            Op(_prefix, "DELETE", "/multi-factor-auth-webauthn-credentials/{credentialId}",
               auth=True)]

JSON_BODY = [o for o in OPS if o.body not in (None, "form")]
AUTHED = [o for o in OPS if o.auth]
PROTECTED = [o for o in OPS if o.protected]


def ids(ops):
    return [o.id for o in ops]


def send(op, path=None, body=None, ctype=None, token=None, headers=None, check=True):
    if body is None and ctype is None:
        body, ctype = op.shape_body()
    return api(op.method, path or op.path(), data=body, content_type=ctype,
               token=token, headers=headers, check=check)


# --------------------------------------------------------------------------
# The front line, on every operation


@pytest.mark.parametrize("op", OPS, ids=ids(OPS))
def test_accept_without_json_is_406(op):
    r = send(op, token=BOGUS_TOKEN if op.auth else None,
             headers={"Accept": "text/html"})
    assert_error(r, 406, "105", "Not acceptable.")


@pytest.mark.parametrize("op", JSON_BODY, ids=ids(JSON_BODY))
def test_body_of_another_media_type_is_415(op):
    r = send(op, body=b"x=1", ctype="text/plain")
    assert_error(r, 415, "107", "Unsupported media type.")


@pytest.mark.parametrize("op", JSON_BODY, ids=ids(JSON_BODY))
def test_malformed_body_is_400(op):
    r = send(op, body=b'{"data":', ctype=JSONAPI)
    assert_error(r, 400, "100", "Malformed request body.")


@pytest.mark.parametrize("op", JSON_BODY, ids=ids(JSON_BODY))
def test_body_of_another_type_is_409(op):
    r = send(op, body=json.dumps(doc("nope", {})).encode(), ctype=JSONAPI)
    assert_error(r, 409, "102", "Resource type does not match the endpoint.",
                 pointer="/data/type")


@pytest.mark.parametrize("op", AUTHED, ids=ids(AUTHED))
def test_no_token_is_403(op):
    r = send(op)
    assert_error(r, 403, "002", "Missing access token.", allow_header="Authorization")


@pytest.mark.parametrize("op", AUTHED, ids=ids(AUTHED))
def test_unknown_token_is_401(op):
    r = send(op, token=BOGUS_TOKEN)
    assert_error(r, 401, "001", "Invalid access token.", allow_header="Authorization")


def _paths():
    out = {}
    for o in OPS:
        out.setdefault((o.prefix, o.template), set()).add(o.method)
    return sorted(out.items())


@pytest.mark.parametrize("where,methods", _paths(),
                         ids=["%s%s" % w for w, _ in _paths()])
def test_options_lists_the_methods(where, methods):
    prefix, template = where
    path = Op(prefix, "OPTIONS", template).path()
    r = api("OPTIONS", path)
    assert r.status == 204 and r.raw == b"", r.describe()
    want = set(methods) | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    assert r.headers.get("Allow") == ", ".join(m for m in order if m in want), \
        r.describe()


# --------------------------------------------------------------------------
# 413 from the programs (run as CGI, as a web server with a larger limit would)


def bin_dir():
    return os.environ.get("GLUE_BIN") or os.path.join(ROOT, "build", "test", "cgi-bin")


def program_for(op):
    first = op.template.strip("/").split("/")[0]
    name = "addresses" if op.template.startswith(ADDR) else first
    p = os.path.join(bin_dir(), "backend" if op.prefix == BE else "", name)
    if not os.access(p, os.X_OK):
        pytest.skip("program not built: %s" % p)
    return p


def run_cgi(op, path, conf, body=b"", ctype=None):
    """One request to the program as plain CGI (RFC 3875); the answer is
    recorded like the HTTP ones. Returns (status, headers, body)."""
    env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": conf, "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
           "REQUEST_METHOD": op.method, "REQUEST_URI": path, "SCRIPT_NAME": path,
           "HTTP_USER_AGENT": "h11-openapi-gaps"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if ctype:
        env["CONTENT_TYPE"] = ctype
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
    p = subprocess.run([program_for(op)], input=body, env=env, capture_output=True,
                       timeout=60)
    assert p.returncode == 0, (p.returncode, p.stderr[-500:])
    head, sep, rest = p.stdout.partition(b"\r\n\r\n")
    assert sep, "no header/body separator: %r" % p.stdout[:300]
    hdrs = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    status = int(hdrs.pop("status").split()[0])
    record_answer(op.method, BASE + path, status, hdrs, rest, "cgi")
    return status, hdrs, rest


def instance_conf():
    if not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: no configuration for the programs")
    return os.path.join(INSTANCE, "glue-mfa.conf")


def cgi_error(status, hdrs, body):
    assert hdrs.get("content-type") == JSONAPI, hdrs
    assert len(hdrs.get("x-request-id", "")) == 32, hdrs
    e = json.loads(body.decode())["errors"]
    assert len(e) == 1 and e[0]["status"] == str(status), e
    return e[0]


BIG = [o for o in OPS if o.body is not None]


@pytest.mark.parametrize("op", BIG, ids=ids(BIG))
def test_body_over_64k_is_413_from_the_program(op):
    body, ctype = op.shape_body()
    big = body + b" " * (64 * 1024 + 1 - len(body))
    status, hdrs, out = run_cgi(op, op.path(), instance_conf(), big, ctype)
    assert status == 413, (status, hdrs, out[:300])
    assert cgi_error(status, hdrs, out) == {"status": "413", "code": "106",
                                            "detail": "Request body too large."}


# --------------------------------------------------------------------------
# 503: the database stopped


def instance(cmd):
    env = dict(os.environ, GLUE_INSTANCE=INSTANCE)
    out = subprocess.run([os.path.join(ROOT, "tools", "instance.sh"), cmd], env=env,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, "instance.sh %s failed:\n%s\n%s" % (
        cmd, out.stdout.decode(), out.stderr.decode())


def working_body(op):
    """A body the handler would act on (it reaches the database)."""
    if op.body == "access-tokens":
        return doc(op.body, {"username": "nobody@example.com", "password": "x" * 12})
    if op.body == "refresh-tokens":
        return doc(op.body, {"refreshToken": BOGUS_TOKEN})
    if op.body == "customer-confirmation":
        return doc(op.body, {"registrationKey": BOGUS_TOKEN})
    if op.body == "customers" and not op.auth:
        return doc(op.body, {"firstName": "Db", "lastName": "Down",
                             "email": "e2e-dbdown-%s@example.com" % uuid.uuid4().hex[:12],
                             "password": "s3cret-Passw0rd",
                             "confirmPassword": "s3cret-Passw0rd",
                             "acceptedTerms": True})
    return None


def test_database_down_is_503_everywhere():
    if not db_available():
        pytest.skip("GLUE_INSTANCE not set or its DB socket is missing")
    wrong = []
    instance("db-stop")
    try:
        for op in OPS:
            if not op.db:
                continue
            body = working_body(op)
            if body is not None:
                r = api(op.method, op.path(), body, timeout=10)
            else:
                r = send(op, token=BOGUS_TOKEN if op.auth else None, check=False)
            if op.body == "form":
                ok = r.status == 503 and r.json == {
                    "error": "temporarily_unavailable",
                    "error_description": "Service temporarily unavailable."}
            else:
                ok = r.status == 503 and r.json == {"errors": [{
                    "status": "503", "code": "110",
                    "detail": "Service temporarily unavailable."}]}
            if not ok:
                wrong.append(r.describe())
    finally:
        instance("db-start")
        deadline = time.monotonic() + 15
        while login("nobody@example.com", "x" * 12, check=False).status != 401 \
                and time.monotonic() < deadline:
            time.sleep(0.3)
        clear_login_failures()
    assert not wrong, "not the 503 of a database that is down:\n" + "\n".join(wrong)


# --------------------------------------------------------------------------
# Accounts, codes from the mail spool (kept here: this file stands alone)


def needs_instance():
    if not db_available() or not os.path.isdir(os.path.join(INSTANCE, "mail")):
        pytest.skip("GLUE_INSTANCE not set, or no DB socket or mail spool in it")


def spool():
    return os.path.join(INSTANCE, "mail")


def mail_mark():
    names = sorted(n for n in os.listdir(spool()) if n.endswith(".eml"))
    return names[-1] if names else ""


def code_since(addr, mark):
    """The code of the one code mail to addr written after mark."""
    codes = []
    for n in sorted(n for n in os.listdir(spool()) if n.endswith(".eml")):
        if n <= mark:
            continue
        with open(os.path.join(spool(), n), "rb") as f:
            m = email.message_from_bytes(f.read(), policy=email.policy.default)
        if str(m["To"]).strip().lower() == addr.lower():
            found = CODE_RE.search(m.get_body(preferencelist=("plain",)).get_content())
            if found:
                codes.append(found.group(1))
    assert len(codes) == 1, "expected one code mail to %s, got %d" % (addr, len(codes))
    return codes[0]


class Account:
    def __init__(self, prefix, addr, token, ident):
        self.prefix, self.addr, self.token, self.id = prefix, addr, token, ident

    def mfa(self, resource, code=None, type_="email"):
        return api("POST", self.prefix + "/" + resource, doc(resource, {"type": type_}),
                   token=self.token, headers={"X-MFA-Code": code} if code else None)

    def activation_code(self):
        mark = mail_mark()
        assert_204(self.mfa(ACTIVATE))
        return code_since(self.addr, mark)

    def enable_mfa(self):
        """email active; returns the activation code (used, so in its grace
        window for this token)."""
        code = self.activation_code()
        assert_204(self.mfa(VERIFY, code))
        return code


def customer():
    c = new_customer().signed_in()
    return Account("", c.email, c.access, c.ref)


def backend_token(username, password):
    r = api("POST", BE + "/token", data=urlencode({
        "grant_type": "password", "username": username, "password": password}).encode(),
        content_type=FORM, check=False)
    assert r.status == 200, r.describe()
    return r.json["access_token"]


def user():
    name = "e2e-gaps-%s@example.com" % uuid.uuid4().hex[:16]
    r = api("POST", BE + "/users", doc("users", {
        "username": name, "password": "us3r-Passw0rd!", "firstName": "Gap",
        "lastName": "Filler"}), token=backend_token("admin@example.com", "change123"))
    assert r.status == 201, r.describe()
    return Account(BE, name, backend_token(name, "us3r-Passw0rd!"), r.data["id"])


def assert_204(r):
    assert r.status == 204 and r.raw == b"", r.describe()


def assert_429(r, code, detail):
    assert_error(r, 429, code, detail)
    assert re.match(r"^[1-9][0-9]*$", r.headers.get("Retry-After", "")), r.describe()


# --------------------------------------------------------------------------
# 429 5911: every protected write of an account whose code checks are locked


def lock(send_code, right):
    """MAX_FAILURES wrong codes (never `right`): 5901 each, the last one locks."""
    wrong = [c for c in ("%06d" % (123457 + i * 7919) for i in range(MAX_FAILURES + 1))
             if c != right][:MAX_FAILURES]
    for c in wrong:
        r = send_code(c)
        assert r.status == 403 and r.json["errors"][0]["code"] == "5901", r.describe()


def test_protected_storefront_writes_of_a_locked_customer_are_429():
    needs_instance()
    c = customer()
    r = api("POST", "/customers/%s/addresses" % c.id, doc("addresses", {
        "firstName": "Lock", "lastName": "Ed", "address1": "Street 1",
        "zipCode": "10115", "city": "Berlin", "iso2Code": "DE"}), token=c.token)
    assert r.status == 201, r.describe()
    address = r.data["id"]
    code = c.enable_mfa()
    lock(lambda wrong: api("PATCH", "/customers/" + c.id, doc("customers", {
        "firstName": "X"}), token=c.token, headers={"X-MFA-Code": wrong}), code)
    for op in PROTECTED:
        if not op.prefix:
            r = send(op, path=op.path(customerReference=c.id, addressId=address),
                     token=c.token, headers={"X-MFA-Code": code})
            assert_429(r, "5911", D_5911)
    # Nothing happened: the customer and the address are still there.
    r = api("GET", "/customers/%s/addresses/%s" % (c.id, address), token=c.token)
    assert r.status == 200, r.describe()


def test_protected_backend_writes_of_a_locked_user_are_429():
    needs_instance()
    u = user()
    code = u.enable_mfa()
    lock(lambda wrong: api("PATCH", BE + "/users/" + u.id, doc("users", {
        "firstName": "X"}), token=u.token, headers={"X-MFA-Code": wrong}), code)
    for op in PROTECTED:
        if op.prefix == BE:
            r = send(op, path=op.path(userId=u.id), token=u.token,
                     headers={"X-MFA-Code": code})
            assert_429(r, "5911", D_5911)
    # Deactivation checks a code of the method: locked as well.
    assert_429(u.mfa(DEACTIVATE, code), "5911", D_5911)


def test_backend_activate_again_is_429_then_wrong_codes_lock_verify():
    """A second activate within the cool-down is 5912; wrong verification
    codes lock the user's code checks: then even the right one is 5911."""
    needs_instance()
    u = user()
    code = u.activation_code()
    assert_429(u.mfa(ACTIVATE), "5912", D_5912)
    lock(lambda wrong: u.mfa(VERIFY, wrong), code)
    assert_429(u.mfa(VERIFY, code), "5911", D_5911)


# --------------------------------------------------------------------------
# 503 5910: the mail cannot be handed over (the spool directory is gone)


def test_mail_that_cannot_be_handed_over_is_503_5910():
    needs_instance()
    fresh = [customer(), user()]
    active = [customer(), user()]
    for a in active:
        a.enable_mfa()
    away = spool() + ".h11-away"
    os.rename(spool(), away)
    try:
        answers = [a.mfa(ACTIVATE) for a in fresh] + [a.mfa(TRIGGER) for a in active]
    finally:
        os.rename(away, spool())
    for r in answers:
        assert_error(r, 503, "5910", D_5910)
    # The unsent code was withdrawn: the retry is not held back by the cool-down.
    for a in active:
        assert_204(a.mfa(TRIGGER))


# --------------------------------------------------------------------------
# The development mailbox


def test_dev_mailbox_lists_and_shows_messages():
    needs_instance()
    assert_204(customer().mfa(ACTIVATE))       # at least one message in the spool
    r = api("GET", "/dev-mailbox")
    assert r.status == 200, r.describe()
    items = r.data
    assert isinstance(items, list) and items, r.describe()
    assert r.json["links"] == {"self": BASE + "/dev-mailbox"}
    first = items[0]
    assert first["type"] == "dev-mailbox" and set(first["attributes"]) == {
        "to", "subject", "date"}, first
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    r = api("GET", "/dev-mailbox/" + first["id"])
    assert r.status == 200, r.describe()
    a = r.data["attributes"]
    assert set(a) == {"to", "subject", "date", "text", "html"}, a
    assert r.data["links"] == {"self": BASE + "/dev-mailbox/" + first["id"]}


@pytest.mark.parametrize("name", ["0-0.eml", "not-a-message"])
def test_dev_mailbox_unknown_message_is_404(name):
    r = api("GET", "/dev-mailbox/" + name)
    assert_error(r, 404, "103", "Resource not found.")


@pytest.fixture
def conf_mailbox_off(tmp_path):
    needs_instance()
    with open(instance_conf()) as f:
        lines = [ln for ln in f if ln.split("=", 1)[0].strip() != "dev_mailbox"]
    path = tmp_path / "glue-mfa.conf"
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(lines + ["dev_mailbox = off\n"])
    return str(path)


@pytest.mark.parametrize("template", ["/dev-mailbox", "/dev-mailbox/{messageId}"])
def test_dev_mailbox_off_is_404(conf_mailbox_off, template):
    op = Op("", "GET", template, db=False)
    if "{" in template:     # a message that exists: off hides it all the same
        path = op.path(messageId=mail_mark() or "0-0.eml")
    else:
        path = op.path()
    status, hdrs, body = run_cgi(op, path, conf_mailbox_off)
    assert (status, cgi_error(status, hdrs, body)) == (
        404, {"status": "404", "code": "103", "detail": "Resource not found."})
