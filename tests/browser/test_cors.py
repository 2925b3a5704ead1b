"""CORS in a real browser (contract §10.1): a page on a second origin.

The instance lists http://127.0.0.1:<port> in cors_allow_origins (tools/test.sh:
TEST_PORT + 9). This script serves tests/browser/cors/ there itself (a small
http.server, which also answers /code?to=<address> with the newest code mailed
to it, read from the instance's spool), prepares a customer with e-mail MFA
switched on, and has headless Chromium open the page: it signs in (POST
/access-tokens), meets the step-up (403 5900, WWW-Authenticate read through
Access-Control-Expose-Headers), triggers a code, sees the resend limit's
Retry-After, reads the code and makes the protected change with X-MFA-Code.
Then the same page from an origin that is not listed (another port): the
browser blocks the first call (its preflight gets no CORS headers), nothing
reaches the API, and the console says why.

Environment: GLUE_BASE_URL (the server), GLUE_INSTANCE (its directory: the
config and the mail spool), GLUE_ROOT. Last line "N passed, M failed".
"""

import email
import email.policy
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pages  # noqa: E402  (start_browser, Failed, check, OUT)
from test_pages import Failed, check  # noqa: E402

BASE = test_pages.BASE
INSTANCE = os.environ.get("GLUE_INSTANCE", "")
PAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cors")
JSONAPI = "application/vnd.api+json"
CODE_RE = re.compile(r"Your verification code is: (\d+)")
PASSWORD = "Cors-Passw0rd-" + uuid.uuid4().hex[:6]
WAIT = 30


def listed_origin():
    """The first cors_allow_origins entry of the instance's config."""
    check(INSTANCE, "GLUE_INSTANCE is not set")
    with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
        for ln in f:
            m = re.match(r"^\s*cors_allow_origins\s*=(.*)$", ln)
            if m:
                entries = [o.strip() for o in m.group(1).split(",") if o.strip()]
                check(entries, "cors_allow_origins is empty")
                return entries[0]
    raise Failed("the instance's config has no cors_allow_origins (tools/test.sh "
                 "writes one)")


def newest_code(to):
    """The code of the newest code mail to `to` in the spool, or ''."""
    spool = os.path.join(INSTANCE, "mail")
    for name in sorted(os.listdir(spool), reverse=True):
        with open(os.path.join(spool, name), "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        if str(msg["To"]) != to:
            continue
        part = msg.get_body(preferencelist=("plain",))
        m = CODE_RE.search(part.get_content() if part else "")
        if m:
            return m.group(1)
    return ""


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=PAGES, **kw)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path != "/code":
            return super().do_GET()
        to = urllib.parse.parse_qs(u.query).get("to", [""])[0]
        body = newest_code(to).encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(port):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def api(method, path, attrs=None, type_=None, token=None, code=None):
    h = {"Accept": JSONAPI}
    data = None
    if attrs is not None:
        h["Content-Type"] = JSONAPI
        data = json.dumps({"data": {"type": type_, "attributes": attrs}})
    if token:
        h["Authorization"] = "Bearer " + token
    if code:
        h["X-MFA-Code"] = code
    return requests.request(method, BASE + path, data=data, headers=h, timeout=30)


def mfa_customer():
    """A fresh customer with e-mail MFA active: (email, reference)."""
    addr = "cors-%s@example.com" % uuid.uuid4().hex[:10]
    r = api("POST", "/customers", {
        "firstName": "Cora", "lastName": "Origin",
        "email": addr, "password": PASSWORD, "confirmPassword": PASSWORD,
        "acceptedTerms": True}, "customers")
    check(r.status_code == 201, "registration: %d %s" % (r.status_code, r.text))
    ref = r.json()["data"]["id"]
    r = api("POST", "/access-tokens", {"username": addr, "password": PASSWORD},
            "access-tokens")
    check(r.status_code == 201, "sign-in: %d" % r.status_code)
    tok = r.json()["data"]["attributes"]["accessToken"]
    r = api("POST", "/multi-factor-auth-type-activate", {"type": "email"},
            "multi-factor-auth-type-activate", tok)
    check(r.status_code == 204, "activate: %d %s" % (r.status_code, r.text))
    code = newest_code(addr)
    check(code, "no activation code in the spool")
    r = api("POST", "/multi-factor-auth-type-verify", {"type": "email"},
            "multi-factor-auth-type-verify", tok, code)
    check(r.status_code == 204, "verify: %d %s" % (r.status_code, r.text))
    return addr, ref, tok


def open_page(driver, origin, addr, ref):
    q = urllib.parse.urlencode({"api": BASE, "email": addr, "password": PASSWORD,
                                "ref": ref})
    driver.get("%s/cors.html?%s" % (origin, q))
    t0 = time.monotonic()
    while time.monotonic() - t0 < WAIT:
        text = driver.find_element("id", "out").text
        if text != "running":
            return json.loads(text)
        time.sleep(0.2)
    raise Failed("the page did not finish within %d s" % WAIT)


def first_name(ref, tok):
    r = api("GET", "/customers/" + ref, token=tok)
    check(r.status_code == 200, "GET customer: %d" % r.status_code)
    return r.json()["data"]["attributes"]["firstName"]


def listed_flow(driver, origin):
    addr, ref, tok = mfa_customer()
    out = open_page(driver, origin, addr, ref)
    want = {
        "signIn": 201, "noCode": 403, "noCodeError": "5900",
        "noCodeChallenge": 'Bearer error="insufficient_user_authentication", '
                           'error_description="A second factor is required: '
                           'send a code in X-MFA-Code"',
        "trigger": 204, "again": 429, "codeRead": True,
        "withCode": 200, "firstName": "FromBrowser",
    }
    got = {k: out.get(k) for k in want}
    check(got == want, "page results %r, want %r (all: %r)" % (got, want, out))
    check(re.match(r"^[0-9a-f]{32}$", out.get("requestId") or ""),
          "X-Request-Id not readable: %r" % out.get("requestId"))
    check(re.match(r"^[1-9][0-9]*$", out.get("retryAfter") or ""),
          "Retry-After not readable: %r" % out.get("retryAfter"))
    check(first_name(ref, tok) == "FromBrowser", "the change is not stored")
    driver.save_screenshot(os.path.join(test_pages.OUT, "cors-listed.png"))


def unlisted_flow(driver, port):
    addr, ref, tok = mfa_customer()
    spool = sorted(os.listdir(os.path.join(INSTANCE, "mail")))
    driver.get_log("browser")           # drop what came before
    out = open_page(driver, "http://127.0.0.1:%d" % port, addr, ref)
    check(out.get("error") == "TypeError: Failed to fetch" and "signIn" not in out,
          "the browser did not block the call: %r" % out)
    logs = " ".join(e.get("message", "") for e in driver.get_log("browser"))
    check("blocked by CORS policy" in logs and "Access-Control-Allow-Origin" in logs,
          "no CORS message in the console: %s" % logs[:500])
    check(sorted(os.listdir(os.path.join(INSTANCE, "mail"))) == spool,
          "a mail was sent")
    check(first_name(ref, tok) == "Cora", "the customer changed")
    driver.save_screenshot(os.path.join(test_pages.OUT, "cors-unlisted.png"))


def main():
    os.makedirs(test_pages.OUT, exist_ok=True)
    st = test_pages.Steps()
    driver = servers = None


    state = {}

    def setup():
        origin = listed_origin()
        m = re.match(r"^http://127\.0\.0\.1:(\d+)$", origin)
        check(m, "cors_allow_origins' first entry %r is not http://127.0.0.1:<port>"
              % origin)
        state["origin"] = origin
        state["listed"] = serve(int(m.group(1)))
        state["unlisted"] = serve(0)
        state["driver"] = test_pages.start_browser()

    try:
        if st.run("CORS: a second origin served, browser started", setup):
            driver = state["driver"]
            servers = (state["listed"], state["unlisted"])
            st.run("CORS: a listed origin signs in and makes a protected change "
                   "with X-MFA-Code", lambda: listed_flow(driver, state["origin"]))
            st.run("CORS: an origin not listed is blocked by the browser",
                   lambda: unlisted_flow(driver, state["unlisted"].server_address[1]))
    finally:
        test_pages.quit_browser(driver)
        for s in servers or ():
            s.shutdown()
    return st.done()


if __name__ == "__main__":
    sys.exit(main())
