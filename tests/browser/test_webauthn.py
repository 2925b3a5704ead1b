"""Passkeys in a real browser (contract §12): headless Chromium with its
virtual authenticator (Selenium's WebDriver commands), through the pages.

The instance offers webauthn with RP ID "localhost" and the origin
http://localhost:<port> (tools/instance.sh), so the pages are opened at
http://localhost:<port>, not 127.0.0.1. A customer with e-mail MFA active is
made over the API; then in the browser:

1. mfa.html: "Register a passkey" (activate asks for the e-mail code first:
   another method is active; navigator.credentials.create on the virtual
   authenticator; verify) -> the method is on, the passkey listed;
2. profile.html: a protected change, the code prompt answered with the
   passkey ("Use my passkey": trigger, navigator.credentials.get, the
   assertion in X-MFA-Code);
3. a second passkey on a second authenticator ("Add a passkey", the e-mail
   code again), both listed;
4. removal of the first one with the second passkey;
5. a page of another origin (http://localhost:<port + 10>, same RP ID, not
   in webauthn_origins) makes an assertion for a real challenge: the server
   refuses it (403 5901), the change is not made, the challenge stays.

Environment: GLUE_BASE_URL, GLUE_INSTANCE (config and mail spool), GLUE_ROOT.
Last line "N passed, M failed".
"""

import base64
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pages  # noqa: E402
from test_cors import INSTANCE, PASSWORD, api, mfa_customer, newest_code  # noqa: E402
from test_pages import check  # noqa: E402

PORT = urllib.parse.urlsplit(test_pages.BASE).port
LOCAL = "http://localhost:%d" % PORT
WAIT = 20


def authenticator():
    from selenium.webdriver.common.virtual_authenticator import (
        Protocol, Transport, VirtualAuthenticatorOptions)
    o = VirtualAuthenticatorOptions()
    o.protocol = Protocol.CTAP2
    o.transport = Transport.INTERNAL
    o.has_resident_key = True
    o.has_user_verification = True
    o.is_user_verified = True
    o.is_user_consenting = True
    return o


def db_value(sql):
    """One value from the instance's database (the test user's socket)."""
    import subprocess
    conf = os.path.join(INSTANCE, "glue-mfa.conf")
    vals = {}
    with open(conf) as f:
        for ln in f:
            m = re.match(r"^\s*(db_socket|db_name)\s*=\s*(\S+)", ln)
            if m:
                vals[m.group(1)] = m.group(2)
    out = subprocess.run(["mariadb", "--socket=" + vals["db_socket"], "-uroot", "-N",
                          "-B", vals["db_name"], "-e", sql], capture_output=True,
                         text=True, timeout=20)
    check(out.returncode == 0, "mariadb: %s" % out.stderr)
    return out.stdout.strip()


class Flow:
    def __init__(self, driver):
        self.p = test_pages.Pages(driver)
        self.d = driver
        self.addr, self.ref, self.tok = mfa_customer()
        self.spool_seen = None

    def go(self, page):
        self.p.drain()
        self.d.get("%s/%s" % (LOCAL, page))
        self.p.wait(lambda d: d.find_elements(self.p.By.ID, "exchanges"),
                    "%s did not load" % page)

    def sign_in(self):
        p = self.p
        self.go("signin.html?email=" + urllib.parse.quote(self.addr))
        p.fill("#password", PASSWORD)
        p.click("#signin button[type=submit]")
        p.wait_text("#signed-in", re.escape(self.addr), "signed in at localhost")

    def mail_code(self):
        """Asks the prompt for an e-mail code and types it in."""
        p = self.p
        p.el("#code-dialog[open]", "the code prompt")
        sel = p.el("#code-method") if p.d.find_elements(
            p.By.CSS_SELECTOR, "#code-method-field:not([hidden])") else None
        if sel is not None:
            from selenium.webdriver.support.ui import Select
            Select(sel).select_by_value("email")
        before = newest_code(self.addr)
        p.click("#code-send")
        p.wait_text("#code-sent", r"code was sent", "e-mail code sent")
        t0 = time.monotonic()
        code = newest_code(self.addr)
        while code == before and time.monotonic() - t0 < WAIT:
            time.sleep(0.2)
            code = newest_code(self.addr)
        p.fill("#code-input", code)
        p.click("#code-ok")

    def use_passkey(self):
        p = self.p
        p.el("#code-dialog[open]", "the code prompt")
        from selenium.webdriver.support.ui import Select
        if p.d.find_elements(p.By.CSS_SELECTOR, "#code-method-field:not([hidden])"):
            Select(p.el("#code-method")).select_by_value("webauthn")
        p.wait_text("#code-send", r"^Use my passkey$", "the passkey button")
        p.click("#code-send")

    def closed(self):
        self.p.wait(lambda d: not d.find_elements(self.p.By.CSS_SELECTOR,
                                                  "#code-dialog[open]"), "the prompt closes")

    def passkeys(self):
        return [e.text for e in self.d.find_elements(self.p.By.CSS_SELECTOR,
                                                     "#passkey-list .passkey-name")]

    def register(self, name, button):
        p = self.p
        self.go("mfa.html")
        p.fill("#passkey-name", name)
        p.click('tr[data-method="webauthn"] button:not(.danger)')
        self.mail_code()
        self.closed()
        p.wait_text("#msg", r"passkey is registered", "registered")
        p.wait(lambda d: name in self.passkeys(), "%s listed" % name)
        p.shot("webauthn-" + name.lower().replace(" ", "-"))

    def first_name(self):
        r = api("GET", "/customers/" + self.ref, token=self.tok)
        check(r.status_code == 200, "GET customer: %d" % r.status_code)
        return r.json()["data"]["attributes"]["firstName"]

    def protected_change(self):
        p = self.p
        self.go("profile.html")
        p.wait(lambda d: p.el("#firstName").get_attribute("value") == "Cora", "profile")
        p.fill("#firstName", "Passkey")
        p.click("#profile button[type=submit]")
        self.use_passkey()
        self.closed()
        p.wait_text("#msg", r"^Saved\.$", "saved with the passkey")
        check(self.first_name() == "Passkey", "the change is stored")
        p.shot("webauthn-protected-change")

    def remove_first(self):
        p = self.p
        self.go("mfa.html")
        p.wait(lambda d: len(self.passkeys()) == 2, "two passkeys listed")
        p.click("#passkey-list li:first-child button")
        self.use_passkey()
        self.closed()
        p.wait(lambda d: self.passkeys() == ["Second key"], "the first one is gone")
        p.shot("webauthn-removed")


class OtherOrigin(http.server.BaseHTTPRequestHandler):
    """A page at http://localhost:<port + 10>: same RP ID, not an allowed
    origin."""
    PAGE = b"<!DOCTYPE html><html><head><title>other</title></head><body>other</body></html>"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        self.wfile.write(self.PAGE)

    def log_message(self, *a):
        pass


GET_JS = """
const done = arguments[arguments.length - 1];
const pk = arguments[0];
const d = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') +
    '='.repeat((4 - s.length % 4) % 4)), (c) => c.charCodeAt(0)).buffer;
const e = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-')
    .replace(/\\//g, '_').replace(/=+$/, '');
navigator.credentials.get({ publicKey: Object.assign({}, pk, { challenge: d(pk.challenge),
    allowCredentials: pk.allowCredentials.map((c) => ({ type: c.type, id: d(c.id) })) }) })
  .then((g) => done(JSON.stringify({ id: g.id, clientDataJSON: e(g.response.clientDataJSON),
      authenticatorData: e(g.response.authenticatorData), signature: e(g.response.signature),
      userHandle: g.response.userHandle ? e(g.response.userHandle) : null })))
  .catch((x) => done('error: ' + x.name));
"""


def other_origin(flow):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT + 10), OtherOrigin)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        r = api("POST", "/multi-factor-auth-trigger", {"type": "webauthn"},
                "multi-factor-auth-trigger", flow.tok)
        check(r.status_code == 200, "trigger: %d %s" % (r.status_code, r.text))
        pk = r.json()["data"]["attributes"]["publicKey"]
        flow.d.get("http://localhost:%d/" % (PORT + 10))
        flow.d.set_script_timeout(WAIT)
        out = flow.d.execute_async_script(GET_JS, pk)
        check(not out.startswith("error"), "the other origin's page got no assertion: %s"
              % out)
        check(json.loads(base64.urlsafe_b64decode(
            json.loads(out)["clientDataJSON"] + "==="))["origin"] ==
            "http://localhost:%d" % (PORT + 10), "the browser named the other origin")
        hdr = base64.urlsafe_b64encode(out.encode()).rstrip(b"=").decode()
        live = "SELECT COUNT(*) FROM webauthn_challenges WHERE used = 0"
        before = db_value(live)
        r = requests.patch(test_pages.BASE + "/customers/" + flow.ref, timeout=30,
                           data=json.dumps({"data": {"type": "customers",
                                                     "attributes": {"firstName": "Evil"}}}),
                           headers={"Content-Type": "application/vnd.api+json",
                                    "Authorization": "Bearer " + flow.tok,
                                    "X-MFA-Code": hdr})
        check(r.status_code == 403 and r.json()["errors"][0]["code"] == "5901",
              "the other origin's assertion: %d %s" % (r.status_code, r.text))
        check(flow.first_name() == "Passkey", "the change was made")
        check(db_value(live) == before, "a challenge was spent")
    finally:
        srv.shutdown()


def main():
    os.makedirs(test_pages.OUT, exist_ok=True)
    st = test_pages.Steps()
    driver = None
    state = {}

    def setup():
        state["driver"] = test_pages.start_browser()
        state["flow"] = Flow(state["driver"])
        state["driver"].add_virtual_authenticator(authenticator())
        state["flow"].sign_in()

    def second():
        f = state["flow"]
        f.d.remove_virtual_authenticator()
        f.d.add_virtual_authenticator(authenticator())
        f.register("Second key", None)
        check(f.passkeys() == ["First key", "Second key"], "both listed: %r" % f.passkeys())

    try:
        if st.run("passkeys: browser with a virtual authenticator, signed in at "
                  "localhost", setup):
            driver = state["driver"]
            f = state["flow"]
            ok = st.run("passkeys: register (create, verify)",
                        lambda: f.register("First key", None))
            ok = ok and st.run("passkeys: a protected change with the passkey (get)",
                               f.protected_change)
            ok = ok and st.run("passkeys: a second passkey on another authenticator",
                               second)
            ok = ok and st.run("passkeys: remove the first with the second",
                               f.remove_first)
            st.run("passkeys: an assertion made at another origin is refused",
                   lambda: other_origin(f))
    finally:
        test_pages.quit_browser(driver)
    return st.done()


if __name__ == "__main__":
    sys.exit(main())
