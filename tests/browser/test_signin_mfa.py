"""MFA at sign-in in a real browser (contract §10.12): signin.html and
office-signin.html with mfa_at_sign_in on.

The test instance keeps the switch off (Spryker's contract; the other
browser tests sign in with the password alone). So this script is its own
small second instance: an http.server on a free port that serves www/ and
runs the programs ($GLUE_BIN, the build the instance runs) as plain CGI with
a copy of the instance's configuration that turns mfa_at_sign_in on (the
same database, spool and key). Accounts are prepared over the instance
(GLUE_BASE_URL): a customer and a back-office user with e-mail MFA active.
Headless Chromium then signs in on each page: the first attempt answers
403 5900 and mails a code, the page asks for it, the code read from the
spool is typed in, and the page is signed in (the second request carries
X-MFA-Code). A wrong code first shows the 5901 message and keeps the dialog.
Then a passkey (Chromium's virtual authenticator, test_webauthn.py's flow):
a customer registers one on the instance's mfa.html and signs in on this
server's signin.html at http://localhost:<port> (an origin the second
instance adds to webauthn_origins): the 5900 carries the request options
and the dialog's "Use my passkey" signs in with no code typed.

Environment: GLUE_BASE_URL, GLUE_INSTANCE, GLUE_ROOT, GLUE_BIN. Last line
"N passed, M failed".
"""

import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pages  # noqa: E402
import test_cors  # noqa: E402  (newest_code, mfa_customer, api)
from test_pages import Failed, check  # noqa: E402

BASE = test_pages.BASE
INSTANCE = os.environ.get("GLUE_INSTANCE", "")
ROOT = os.environ.get("GLUE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WWW = os.path.join(ROOT, "www")
BIN = os.environ.get("GLUE_BIN") or os.path.join(ROOT, "build", "test", "cgi-bin")
ADMIN = ("admin@example.com", "change123")
USER_PASSWORD = "Signin-Passw0rd-" + uuid.uuid4().hex[:6]


def on_config(tmpdir, port):
    """The instance's configuration with mfa_at_sign_in = on and this
    server's localhost origin a webauthn origin too (mode 0600)."""
    check(INSTANCE, "GLUE_INSTANCE is not set")
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        lines = list(f)
    origins = [ln.split("=", 1)[1].strip() for ln in lines
               if ln.split("=", 1)[0].strip() == "webauthn_origins"]
    lines = [ln for ln in lines if ln.split("=", 1)[0].strip() not in (
        "mfa_at_sign_in", "webauthn_origins")]
    lines.append("mfa_at_sign_in = on\n")
    lines.append("webauthn_origins = %s\n" % ",".join(
        origins + ["http://localhost:%d" % port]))
    path = os.path.join(tmpdir, "glue-mfa.conf")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.writelines(lines)
    return path


class Handler(http.server.SimpleHTTPRequestHandler):
    """www/ for files that exist there; every other path to its program."""
    conf = None

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=WWW, **kw)

    def log_message(self, *a):
        pass

    def program(self, path):
        segs = path.strip("/").split("/")
        if segs and segs[0] == "backend" and len(segs) > 1:
            return os.path.join(BIN, "backend", segs[1]), "/backend/" + segs[1]
        return os.path.join(BIN, segs[0] if segs else ""), "/" + (segs[0] if segs else "")

    def cgi(self):
        u = urllib.parse.urlsplit(self.path)
        prog, script = self.program(u.path)
        if not os.access(prog, os.X_OK):
            self.send_error(404)
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        env = {"PATH": "/usr/bin:/bin", "MFA_CONFIG": Handler.conf,
               "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
               "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": str(self.server.server_address[1]),
               "REQUEST_METHOD": self.command, "REQUEST_URI": self.path,
               "SCRIPT_NAME": script, "QUERY_STRING": u.query,
               "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body))}
        for k, v in self.headers.items():
            if k.lower() == "content-type":
                env["CONTENT_TYPE"] = v
            elif k.lower() != "content-length":
                env["HTTP_" + k.upper().replace("-", "_")] = v
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        p = subprocess.run([prog], input=body, env=env, capture_output=True,
                           timeout=60)
        head, _, rest = p.stdout.partition(b"\r\n\r\n")
        status, hdrs = 200, []
        for ln in head.decode("latin-1").split("\r\n"):
            k, _, v = ln.partition(":")
            if k.strip().lower() == "status":
                status = int(v.split()[0])
            elif k.strip():
                hdrs.append((k.strip(), v.strip()))
        self.send_response(status)
        for k, v in hdrs:
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if os.path.isfile(os.path.join(WWW, path.lstrip("/"))):
            return super().do_GET()
        return self.cgi()

    def do_POST(self):
        self.cgi()

    do_PATCH = do_PUT = do_DELETE = do_POST


def serve(tmpdir):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.conf = on_config(tmpdir, srv.server_address[1])
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def mfa_user():
    """A fresh back-office user with e-mail MFA active: its username."""
    def token(user, password):
        r = requests.post(BASE + "/backend/token", data={
            "grant_type": "password", "username": user, "password": password},
            timeout=30)
        check(r.status_code == 200, "back office sign-in: %d %s" % (r.status_code, r.text))
        return r.json()["access_token"]

    def post(path, type_, attrs, tok, code=None):
        h = {"Content-Type": test_cors.JSONAPI, "Accept": test_cors.JSONAPI,
             "Authorization": "Bearer " + tok}
        if code:
            h["X-MFA-Code"] = code
        return requests.post(BASE + "/backend/" + path, headers=h, timeout=30,
                             json={"data": {"type": type_, "attributes": attrs}})

    name = "signin-%s@example.com" % uuid.uuid4().hex[:10]
    admin = token(*ADMIN)
    r = post("users", "users", {"username": name, "password": USER_PASSWORD,
                                "firstName": "Sina", "lastName": "Office"}, admin)
    check(r.status_code == 201, "user creation: %d %s" % (r.status_code, r.text))
    tok = token(name, USER_PASSWORD)
    r = post("multi-factor-auth-type-activate", "multi-factor-auth-type-activate",
             {"type": "email"}, tok)
    check(r.status_code == 204, "activate: %d %s" % (r.status_code, r.text))
    code = test_cors.newest_code(name)
    check(code, "no activation code in the spool")
    r = post("multi-factor-auth-type-verify", "multi-factor-auth-type-verify",
             {"type": "email"}, tok, code)
    check(r.status_code == 204, "verify: %d %s" % (r.status_code, r.text))
    return name


def wait_code(to, old):
    """A code mailed to `to` that is not `old`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        c = test_cors.newest_code(to)
        if c and c != old:
            return c
        time.sleep(0.2)
    raise Failed("no new code mailed to %s" % to)


def flow(p, origin, page, user, password, signed_in):
    old = test_cors.newest_code(user)
    p.d.get("%s/%s" % (origin, page))
    p.wait(lambda d: d.find_elements(p.By.ID, "exchanges"), page + ": no page script")
    p.fill("#username", user)
    p.fill("#password", password)
    p.click("form#signin button[type=submit]")
    p.wait_text("#code-why", "needs your second factor", "the code dialog")
    check(not p.d.find_element(p.By.ID, "code-send").is_displayed(),
          "the dialog offers a trigger at sign-in")
    code = wait_code(user, old)
    wrong = str((int(code) + 1) % 10 ** len(code)).zfill(len(code))
    p.fill("#code-input", wrong)
    p.click("#code-ok")
    p.wait_text("#code-msg", "^That code is not valid", "the 5901 message")
    check(p.d.find_element(p.By.ID, "code-dialog").is_displayed(),
          "the dialog closed on a wrong code")
    p.shot(page.replace(".html", "") + "-wrong-code")
    p.fill("#code-input", code)
    p.click("#code-ok")
    p.wait_text("#signed-in", signed_in, page + ": signed in")
    p.shot(page.replace(".html", "") + "-signed-in")


def main():
    os.makedirs(test_pages.OUT, exist_ok=True)
    st = test_pages.Steps()
    state = {}
    tmp = tempfile.mkdtemp(prefix="glue-signin-")


    def setup():
        state["srv"] = serve(tmp)
        state["origin"] = "http://127.0.0.1:%d" % state["srv"].server_address[1]
        state["driver"] = test_pages.start_browser()
        state["pages"] = test_pages.Pages(state["driver"])

    def storefront():
        addr, _ref, _tok = test_cors.mfa_customer()
        flow(state["pages"], state["origin"], "signin.html", addr,
             test_cors.PASSWORD, "Signed in as")

    def backend():
        name = mfa_user()
        flow(state["pages"], state["origin"], "office-signin.html", name,
             USER_PASSWORD, "Signed in to the back office as")

    def passkey():
        import test_webauthn
        d = state["driver"]
        local = "http://localhost:%d" % state["srv"].server_address[1]
        d.add_virtual_authenticator(test_webauthn.authenticator())
        # Registered at the instance (switch off, its own localhost origin):
        # the same RP ID, so the passkey serves this origin too.
        f = test_webauthn.Flow(d)
        f.sign_in()
        f.register("Sign-in key", None)
        p = f.p
        p.drain()
        d.get(local + "/signin.html")
        p.wait(lambda d: d.find_elements(p.By.ID, "exchanges"), "no page script")
        p.fill("#username", f.addr)
        p.fill("#password", test_cors.PASSWORD)
        p.click("form#signin button[type=submit]")
        p.wait_text("#code-why", "Use your passkey", "the passkey offered")
        p.wait_text("#code-send", r"^Use my passkey$", "the passkey button")
        p.click("#code-send")
        p.wait_text("#signed-in", "Signed in as", "signed in with the passkey")
        p.shot("signin-passkey-signed-in")

    try:
        if st.run("MFA at sign-in: a second instance with the switch on, browser "
                  "started", setup):
            st.run("MFA at sign-in: signin.html asks for the mailed code and signs in",
                   storefront)
            st.run("MFA at sign-in: office-signin.html asks for the mailed code and "
                   "signs in", backend)
            st.run("MFA at sign-in: signin.html signs in with a passkey (the 5900's "
                   "request options)", passkey)
    finally:
        test_pages.quit_browser(state.get("driver"))
        if state.get("srv"):
            state["srv"].shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return st.done()


if __name__ == "__main__":
    sys.exit(main())
