"""The www/ pages in a real browser (Debian's Chromium through Selenium).

First the mailbox links: shown while mailbox.html is there, hidden (also
before the probe answers) when Chromium blocks that URL.  Then one
customer's way through the pages: register (no locale), sign in, switch e-mail MFA
on with the code read from the mailbox page, change the profile through the
code prompt (a wrong code first, then one it asks the server to send, and a
second request too soon, 5912), make recovery codes and use one in the code
prompt, switch MFA off, switch it on again and lock
the account with wrong codes (5911), sign out; then the back office: sign
in, users (paged with Next and Previous; status badges, addresses and
dates one line high at 1280, 390 and 375 px), the rescue form that switches the locked customer's methods off (every
active method: no type sent; then one by name), a user added with a
language (shown after the name), the user's own MFA page; last, a second
customer registered with German mails enrols an authenticator app from the
MFA page (the key read from the page, codes computed here with
python3-pyotp), gets the German notice, makes a protected change with an
app code that switches the language to English, and the back office
switches its totp off by name.  Each step asserts on what the page shows
and saves a screenshot under tests/out/browser/; phone-width screenshots
check that nothing overflows sideways.  The pages' HTML and JS are also
checked for what the Content-Security-Policy forbids (inline scripts and
styles, event attributes) and for HTML built from strings.

Environment: GLUE_BASE_URL (the server), GLUE_ROOT (the checkout).
Prints one line per step and finally "N passed, M failed"; exit 1 on any
failure, including a browser that does not start.
"""

import html.parser
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid

BASE = os.environ.get("GLUE_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
ROOT = os.environ.get("GLUE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "out", "browser")
WWW = os.path.join(ROOT, "www")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15
DESKTOP = (1280, 960)
PHONE = (390, 844)
SMALL_PHONE = (375, 667)

PASSWORD = "Browser-Passw0rd"
USERS_PAGE = 20    # PAGE_SIZE of www/js/office-users.js
RUN = uuid.uuid4().hex[:10]
EMAIL = f"browser-{RUN}@example.com"


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


# --------------------------------------------------------------------------
# static checks (no browser)


class InlineFinder(html.parser.HTMLParser):
    """Collects what a CSP of 'self' only would refuse."""

    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        line = self.getpos()[0]
        if tag == "script" and not names.get("src"):
            self.problems.append(f"line {line}: inline <script>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> block")
        for name, _ in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"line {line}: {name}= attribute")
            if name.lower() == "style":
                self.problems.append(f"line {line}: style= attribute")
        for name in ("src", "href"):
            v = names.get(name) or ""
            if re.match(r"^(https?:)?//", v) or v.lower().startswith("javascript:"):
                self.problems.append(f"line {line}: {name}={v} is not on this origin")


def static_pages():
    problems = []
    pages = [f for f in os.listdir(WWW) if f.endswith(".html")]
    check(pages, "no pages in www/")
    for name in sorted(pages):
        p = InlineFinder()
        with open(os.path.join(WWW, name), encoding="utf-8") as f:
            p.feed(f.read())
        problems += [f"{name} {x}" for x in p.problems]
    for dirpath, _, files in os.walk(WWW):
        for name in files:
            if not name.endswith(".js"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                for i, line in enumerate(f, 1):
                    if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|"
                                 r"\beval\(|new Function\(", line):
                        problems.append(f"{os.path.relpath(path, WWW)}:{i}: {line.strip()}")
                    if re.search(r"https?://", line) and "//" not in line.split("http")[0]:
                        problems.append(f"{os.path.relpath(path, WWW)}:{i}: absolute URL")
    check(not problems, "; ".join(problems))


def server_answers():
    """The pages and the development mailbox are served at BASE."""
    import urllib.error
    import urllib.request

    for path, what in (("index.html", "the pages (www/ as document root)"),
                       ("dev-mailbox", "the mailbox (dev_mailbox = on, mail_transport = spool)")):
        try:
            with urllib.request.urlopen(f"{BASE}/{path}", timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError as e:
            raise Failed(f"{BASE}/{path}: {e}") from None
        check(status == 200, f"{BASE}/{path} answers {status}: {what} missing")


def users_at_least(n):
    """Makes the back office hold at least n users (long addresses, so the
    table has some to cut short) through the API; returns how many."""
    import json
    import urllib.parse
    import urllib.request

    def req(method, path, body=None, ctype=None, token=None):
        r = urllib.request.Request(f"{BASE}/backend/{path}", method=method, data=body)
        if ctype:
            r.add_header("Content-Type", ctype)
        if token:
            r.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(r, timeout=30) as resp:
            return json.load(resp)

    token = req("POST", "token", urllib.parse.urlencode({
        "grant_type": "password", "username": "admin@example.com",
        "password": "change123"}).encode(), "application/x-www-form-urlencoded")["access_token"]
    total = req("GET", "users?page[limit]=1", token=token)["meta"]["totalItems"]
    for i in range(total, n):
        req("POST", "users", json.dumps({"data": {"type": "users", "attributes": {
            "username": f"browser-pages-{RUN}-{i}-with-a-rather-long-address@example.com",
            "firstName": "Page", "lastName": f"Filler {i}", "password": PASSWORD}}}).encode(),
            "application/vnd.api+json", token)
    return max(total, n)


# --------------------------------------------------------------------------
# the browser


try:
    from selenium.webdriver.common.keys import Keys
except ImportError:  # reported by the "browser starts" step
    Keys = None


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        check(os.access(path, os.X_OK), f"{path} is missing (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="glue-browser-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER,
                      log_path=os.path.join(OUT, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(30)
    driver._glue_profile = profile
    return driver


class Pages:
    """The test's view of the browser: navigation, waits, screenshots."""

    def __init__(self, driver):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.d = driver
        self.By = By
        self.Wait = WebDriverWait
        self.shot_no = 0
        self.console = []
        self.main = driver.current_window_handle
        self.mail = None
        self.phone = False

    # navigation and lookup

    def go(self, page):
        self.drain()
        self.d.get(f"{BASE}/{page}")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete",
                  f"{page} did not load")
        # The frame (header, log) is built by the page's module: wait for it.
        self.wait(lambda d: d.find_elements(self.By.ID, "exchanges"),
                  f"{page}: the page script did not run")

    def wait(self, cond, what, timeout=WAIT):
        from selenium.common.exceptions import TimeoutException
        try:
            return self.Wait(self.d, timeout).until(cond)
        except TimeoutException:
            raise Failed(f"timed out: {what}") from None

    def el(self, css, what=None):
        return self.wait(lambda d: next((e for e in d.find_elements(self.By.CSS_SELECTOR, css)
                                         if e.is_displayed()), None),
                         what or f"{css} visible")

    def text_of(self, css):
        return self.el(css).text

    def wait_text(self, css, pattern, what=None):
        rx = re.compile(pattern)

        def found(d):
            for e in d.find_elements(self.By.CSS_SELECTOR, css):
                try:
                    if e.is_displayed() and rx.search(e.text):
                        return e
                except Exception:  # stale while re-rendered
                    pass
            return None
        return self.wait(found, what or f"{css} showing /{pattern}/")

    def fill(self, css, value):
        e = self.el(css)
        e.clear()
        e.send_keys(value)
        return e

    def click(self, css):
        self.el(css).click()

    # evidence

    def shot(self, name):
        self.shot_no += 1
        path = os.path.join(OUT, f"{self.shot_no:02d}-{name}.png")
        # Phone widths: the whole page (it is one column); desktop: what
        # the window shows (the log beside the form is sticky).
        if self.phone:
            import base64
            r = self.d.execute_cdp_cmd("Page.captureScreenshot",
                                       {"format": "png", "captureBeyondViewport": True})
            with open(path, "wb") as f:
                f.write(base64.b64decode(r["data"]))
        else:
            check(self.d.save_screenshot(path), f"screenshot {path}")
        return path

    def drain(self):
        try:
            for e in self.d.get_log("browser"):
                self.console.append(e)
        except Exception:
            pass

    def size(self, wh):
        """PHONE: a mobile viewport (touch, overlay scrollbars, the viewport
        meta tag honoured); DESKTOP: the plain window."""
        if wh in (PHONE, SMALL_PHONE):
            self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": wh[0], "height": wh[1], "deviceScaleFactor": 1, "mobile": True})
            self.phone = True
        else:
            self.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            self.d.set_window_size(*wh)
            self.phone = False

    def last_exchange(self):
        """(request body, response body) of the newest exchange in the page's
        log, parsed from its JSON (None where there is none)."""
        import json
        texts = self.d.execute_script(
            "const e = document.querySelector('#exchanges .exchange');"
            "return e ? [e.querySelector('pre.req').textContent,"
            " e.querySelector('pre.res').textContent] : null;")
        check(texts, "an exchange in the log")
        return tuple(json.loads(t.split("\n\n", 1)[1]) if "\n\n" in t else None
                     for t in texts)

    def choose(self, css, value):
        from selenium.webdriver.support.select import Select
        Select(self.el(css)).select_by_value(value)

    def dev_mailbox_checked(self, state):
        """Waits for page.js's probe of mailbox.html to give `state`."""
        self.wait(lambda d: d.execute_script(
            "const r = document.documentElement;"
            "return 'mailboxChecked' in r.dataset ? r.dataset.mailbox : null;") == state,
            f"the mailbox probe says {state}")

    def shown(self, css):
        return [e for e in self.d.find_elements(self.By.CSS_SELECTOR, css) if e.is_displayed()]

    def last_request_id(self):
        """X-Request-Id of the newest exchange in the page's log."""
        return self.d.execute_script(
            "const e = document.querySelector('#exchanges .exchange');"
            "return e ? e.dataset.requestId : null;")

    def no_sideways_scroll(self, page):
        # clientWidth: the layout viewport (a mobile browser zooms out to
        # show overflowing content, so innerWidth would grow with it).
        w = self.d.execute_script("return [document.documentElement.scrollWidth, "
                                  "document.documentElement.clientWidth]")
        check(w[0] <= w[1] + 1, f"{page} is {w[0]}px wide in a {w[1]}px window")

    # the mailbox, in its own tab

    def code_from_mailbox(self, email, not_file=None, html_part=False):
        """Opens the newest message to email on mailbox.html (second tab) and
        returns (code, file id); the main tab is current again afterwards."""
        if self.mail is None:
            self.d.switch_to.new_window("tab")
            self.mail = self.d.current_window_handle
        else:
            self.d.switch_to.window(self.mail)
        self.go(f"mailbox.html?to={email}")
        row = self.wait_text("#mails tbody tr", re.escape(email), "a message to the customer")
        rows = [r for r in self.d.find_elements(self.By.CSS_SELECTOR, "#mails tbody tr")
                if r.is_displayed()]
        check(rows and rows[0] == row, "the newest message is listed first")
        check("Verification Code for Secure Access" in row.text,
              f"newest message is a code mail: {row.text!r}")
        file_id = row.get_attribute("data-id")
        check(file_id != not_file, "a new message arrived")
        row.find_element(self.By.CSS_SELECTOR, "button").click()
        code = self.wait_text("#found-code", r"^\d{6,10}$", "the code shown").text
        check(code in self.text_of("#message-text"), "the code is in the text part")
        check(self.text_of("#message-to") == email, "the message is to the customer")
        if html_part:
            self.click("#message details summary")
            frame = self.el("#message iframe.mailhtml", "the HTML part in a frame")
            check(frame.get_attribute("sandbox") == "", "the HTML part is sandboxed")
            self.d.switch_to.frame(frame)
            check(code in self.d.find_element(self.By.TAG_NAME, "body").text,
                  "the code is in the HTML part")
            self.d.switch_to.default_content()
        self.shot("mailbox-code")
        self.drain()
        self.d.switch_to.window(self.main)
        return code, file_id


# --------------------------------------------------------------------------
# the steps


class Story:
    def __init__(self, p):
        self.p = p
        self.ref = None
        self.file = None

    def index(self):
        p = self.p
        p.go("index.html")
        check("try the API" in p.text_of("h1"), "index heading")
        check(p.d.find_elements(p.By.CSS_SELECTOR, 'nav a[href="mailbox.html"]'), "navigation")
        p.dev_mailbox_checked("on")
        check(p.shown('nav a[href="mailbox.html"]') and p.shown("#h-dev"),
              "the mailbox page is there: its links are shown")
        p.shot("index")

    def dev_links(self):
        """The mailbox links (README "Manual testing"): hidden until
        page.js's HEAD of mailbox.html answers 200, so an installed tree
        (make install leaves the page out) shows no dead link.  Here the
        probe is made to fail (Chromium blocks the URL; a missing page's
        404 does the same: anything but 200 hides)."""
        p = self.p
        p.d.execute_cdp_cmd("Network.enable", {})
        p.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/mailbox.html*"]})
        try:
            p.d.execute_script("sessionStorage.removeItem('glue-mfa.mailbox')")
            for page in ("index.html", "mfa.html", "office-mfa.html"):
                p.go(page)
                p.dev_mailbox_checked("off")
                check(not p.shown('a[href="mailbox.html"]') and not p.shown("[data-dev]"),
                      f"{page}: no mailbox link shown when the mailbox does not answer")
                check(p.d.find_elements(p.By.CSS_SELECTOR, 'a[href="mailbox.html"]'),
                      f"{page}: the links are there, hidden")
            p.shot("no-mailbox-links")
            # Before any answer (no data-mailbox yet) the style sheet
            # hides them: no link shows and then goes.
            check(p.d.execute_script(
                "const r = document.documentElement; const v = r.dataset.mailbox;"
                "delete r.dataset.mailbox;"
                "const a = document.querySelector('nav a[href=\"mailbox.html\"]');"
                "const d = getComputedStyle(a.closest('.navgroup')).display;"
                "r.dataset.mailbox = v; return d;") == "none",
                "hidden before the probe answers")
            check(p.d.execute_script("return sessionStorage.getItem('glue-mfa.mailbox')") == "off",
                  "the answer kept for the tab")
        finally:
            p.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        p.go("index.html")
        p.dev_mailbox_checked("on")
        check(p.shown('nav a[href="mailbox.html"]'), "shown again once the page is there")

    def register(self):
        p = self.p
        p.go("register.html")
        p.fill("#firstName", "Browser")
        p.fill("#lastName", "Tester")
        p.fill("#email", EMAIL)
        p.fill("#password", PASSWORD)
        p.fill("#confirmPassword", PASSWORD + "x")
        p.click("#acceptedTerms")
        p.click("#register button[type=submit]")
        p.wait_text("#msg", r"passwords do not match", "mismatched passwords in plain words")
        check(p.el("#confirmPassword").get_attribute("aria-invalid") == "true",
              "the confirmation field is marked")
        p.fill("#confirmPassword", PASSWORD)
        p.click("#register button[type=submit]")
        msg = p.wait_text("#msg", r"Registered as DE--\d+", "registered").text
        self.ref = re.search(r"DE--\d+", msg).group(0)
        p.wait_text("#exchanges .exchange .badge", r"^201$", "201 in the log")
        req, res = p.last_exchange()
        check("locale" not in req["data"]["attributes"] and
              res["data"]["attributes"]["locale"] is None,
              "the default language sends no locale; none stored")
        check(p.el("#exchanges .exchange pre.req").text.count("••••••") == 2,
              "passwords hidden in the logged request")
        p.shot("register")

    def sign_in(self):
        p = self.p
        p.go(f"signin.html?email={EMAIL}")
        check(p.el("#username").get_attribute("value") == EMAIL, "e-mail prefilled")
        p.fill("#password", "wrong-password")
        p.click("#signin button[type=submit]")
        p.wait_text("#msg", r"Wrong e-mail address or password", "failed sign-in in plain words")
        # Keyboard only: Enter in the password field submits.
        p.fill("#password", PASSWORD + Keys.ENTER)
        p.wait_text("#signed-in", re.escape(EMAIL) + r".*" + re.escape(self.ref), "signed in")
        p.wait_text("#who-storefront", re.escape(EMAIL), "header shows the customer")
        check(p.d.execute_script("return document.cookie") == "", "no cookies")
        check(p.d.execute_script(
            "return JSON.parse(sessionStorage.getItem('glue-mfa.storefront')).accessToken.length") >= 43,
            "token in sessionStorage")
        p.shot("signed-in")

    def activate(self):
        p = self.p
        p.go("mfa.html")
        p.wait_text('#methods tr[data-method="email"] [data-status]', "deactivated",
                    "email listed as deactivated")
        p.click('#methods tr[data-method="email"] button')
        p.wait_text('#methods tr[data-method="email"] [data-status]', "activation is pending",
                    "email pending")
        p.el("#verify-email")
        p.wait_text("#msg", r"code was sent", "told a code was sent")
        p.shot("mfa-pending")

    def verify(self):
        p = self.p
        code, self.file = p.code_from_mailbox(EMAIL, html_part=True)
        p.go("mfa.html")
        p.fill("#verify-email", code)
        p.click('#verify form[data-method="email"] button[type=submit]')
        p.wait_text('#methods tr[data-method="email"] [data-status]', r"^On \(activated\)$",
                    "email activated")
        p.wait_text("#msg", r"switched on", "success message")
        p.shot("mfa-activated")
        self.last_code = code

    def profile(self):
        p = self.p
        p.go("profile.html")
        p.wait(lambda d: p.el("#firstName").get_attribute("value") == "Browser", "profile loaded")
        check(p.el("#locale").get_attribute("value") == "" and p.d.execute_script(
            "return !document.querySelector('#locale').options[0].disabled"),
            "no locale: the default chosen")
        p.fill("#firstName", "Changed")
        p.click("#profile button[type=submit]")
        p.el("#code-dialog[open]", "the code prompt")
        p.shot("profile-code-prompt")
        # A wrong code first (not the last one used: the grace window would
        # let that one pass for this token).
        wrong = f"{(int(self.last_code) + 1) % 10 ** len(self.last_code):0{len(self.last_code)}d}"
        p.fill("#code-input", wrong)
        p.click("#code-ok")
        p.wait_text("#code-msg", r"code is not valid", "5901 in plain words")
        p.click("#code-send")
        p.wait_text("#code-sent", r"code was sent", "trigger confirmed")
        p.shot("profile-wrong-code")
        # Asking again at once: 5912, with the Retry-After counting down.
        p.click("#code-send")
        p.wait_text("#code-sent", r"sent a moment ago.*Try again in \d+ s", "5912 with a countdown")
        check(not p.el("#code-send").is_enabled(), "the send button waits")
        check(re.search(r"\(\d+ s\)$", p.el("#code-send").text), "the button counts down")
        p.shot("profile-resend-wait")
        code, self.file = p.code_from_mailbox(EMAIL, self.file)
        p.fill("#code-input", code)
        p.click("#code-ok")
        p.wait(lambda d: not d.find_elements(p.By.CSS_SELECTOR, "#code-dialog[open]"),
               "the prompt closes")
        p.wait_text("#msg", r"^Saved\.$", "saved")
        check(p.el("#firstName").get_attribute("value") == "Changed", "new first name shown")
        req = p.el("#exchanges .exchange pre.req").text
        check(f"X-MFA-Code: {code}" in req and req.startswith("PATCH "),
              "the repeated PATCH carried X-MFA-Code")
        p.shot("profile-saved")
        # The password change asks again; the same code passes within the
        # grace window for this token (contract §5.1 rule 5).
        p.fill("#current", PASSWORD)
        p.fill("#newPassword", PASSWORD + "2")
        p.fill("#confirmPassword", PASSWORD + "2")
        p.click("#password button[type=submit]")
        p.el("#code-dialog[open]", "the code prompt")
        p.fill("#code-input", code + Keys.ENTER)
        p.wait_text("#pw-msg", r"Password changed", "password changed")
        check(not p.el("#current").get_attribute("value"), "the password form is cleared")
        p.wait_text("#exchanges .exchange .line", r"^PATCH /customer-password/" + self.ref + "$",
                    "the password change in the log")
        # The same page on a phone: the prompt and the forms fit.
        p.size(PHONE)
        p.go("profile.html")
        p.wait(lambda d: p.el("#firstName").get_attribute("value") == "Changed", "profile loaded")
        p.no_sideways_scroll("profile.html")
        p.shot("phone-profile")
        p.size(DESKTOP)

    def recovery(self):
        """Recovery codes (contract §8): a new set made on the MFA page through
        the code prompt with a mailed code, shown once with a print button;
        then one of them, typed loosely, in the code prompt of a protected
        change."""
        p = self.p
        p.go("mfa.html")
        p.wait_text("#recovery-count", r"^No recovery codes yet", "no set yet")
        p.click("#recovery button")
        p.el("#code-dialog[open]", "the code prompt")
        p.click("#code-send")
        p.wait_text("#code-sent", r"code was sent", "trigger confirmed")
        code, self.file = p.code_from_mailbox(EMAIL, self.file)
        p.fill("#code-input", code)
        p.click("#code-ok")
        p.wait(lambda d: len(d.find_elements(p.By.CSS_SELECTOR, "#recovery-codes li")) == 10,
               "ten codes shown")
        codes = [e.text for e in p.d.find_elements(p.By.CSS_SELECTOR, "#recovery-codes li code")]
        check(len(set(codes)) == 10 and all(
            re.match(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$", c) for c in codes),
            f"ten codes in groups of four: {codes!r}")
        check(p.el("#recovery-sheet button").text == "Print", "a print button")
        p.wait_text("#recovery-count", r"^10 of 10 left", "the count")
        p.shot("mfa-recovery-codes")
        p.go("mfa.html")
        p.wait_text("#recovery-count", r"^10 of 10 left", "the count after a reload")
        check(not p.d.find_elements(p.By.CSS_SELECTOR, "#recovery-codes"),
              "the codes are not shown again")
        p.go("profile.html")
        p.wait(lambda d: p.el("#firstName").get_attribute("value") == "Changed", "profile loaded")
        p.fill("#lastName", "Recovered")
        p.click("#profile button[type=submit]")
        p.el("#code-dialog[open]", "the code prompt")
        p.click("#code-recovery")
        p.wait_text("#code-label", r"^Recovery code$", "the prompt takes a recovery code")
        typed = codes[0].lower()
        p.fill("#code-input", typed)
        p.click("#code-ok")
        p.wait(lambda d: not d.find_elements(p.By.CSS_SELECTOR, "#code-dialog[open]"),
               "the prompt closes")
        p.wait_text("#msg", r"^Saved\.$", "saved with the recovery code")
        req = p.el("#exchanges .exchange pre.req").text
        check(f"X-MFA-Code: {typed}" in req and req.startswith("PATCH "),
              "the repeated PATCH carried the recovery code")
        p.shot("profile-recovery-code")
        p.go("mfa.html")
        p.wait_text("#recovery-count", r"^9 of 10 left", "one code spent")

    def deactivate(self):
        p = self.p
        p.size(PHONE)
        p.go("mfa.html")
        p.wait_text('#methods tr[data-method="email"] [data-status]', "activated", "email on")
        p.no_sideways_scroll("mfa.html")
        p.click('#methods tr[data-method="email"] button.danger')
        p.el("#code-dialog[open]", "the code prompt")
        p.click("#code-send")
        p.wait_text("#code-sent", r"code was sent", "trigger confirmed")
        p.shot("phone-deactivate-prompt")
        p.size(DESKTOP)
        code, self.file = p.code_from_mailbox(EMAIL, self.file)
        p.fill("#code-input", code)
        p.el("#code-input").submit()
        p.wait_text('#methods tr[data-method="email"] [data-status]', r"^Off \(deactivated\)$",
                    "email deactivated")
        p.wait_text("#msg", r"switched off", "success message")
        p.shot("mfa-deactivated")

    def lockout(self):
        """E-mail MFA on again, then wrong codes until the account is locked:
        5911 in plain words, Confirm counting down the Retry-After."""
        p = self.p
        p.go("mfa.html")
        p.click('#methods tr[data-method="email"] button')
        p.el("#verify-email")
        code, self.file = p.code_from_mailbox(EMAIL, self.file)
        p.go("mfa.html")
        p.fill("#verify-email", code)
        p.click('#verify form[data-method="email"] button[type=submit]')
        p.wait_text('#methods tr[data-method="email"] [data-status]', r"^On \(activated\)$",
                    "email activated again")
        p.go("profile.html")
        p.wait(lambda d: p.el("#firstName").get_attribute("value") == "Changed", "profile loaded")
        p.fill("#lastName", "Locked")
        p.click("#profile button[type=submit]")
        p.el("#code-dialog[open]", "the code prompt")
        n = len(code)
        for k in range(1, 16):  # never the code just used (its grace window)
            before = p.last_request_id()
            p.wait(lambda d: p.el("#code-ok").is_enabled(), "Confirm enabled")
            p.fill("#code-input", f"{(int(code) + k) % 10 ** n:0{n}d}")
            p.click("#code-ok")
            p.wait(lambda d: p.last_request_id() != before and
                   p.el("#code-msg").text not in ("", "Checking…"), "an answer")
            if "locked" in p.el("#code-msg").text:
                break
            check("code is not valid" in p.el("#code-msg").text, "5901 before the lockout")
        p.wait_text("#code-msg", r"Too many wrong codes.*Try again in \d+ min \d+ s",
                    "5911 with a countdown")
        check(not p.el("#code-ok").is_enabled(), "Confirm waits")
        check(re.search(r"^Confirm \(\d+ min \d+ s\)$", p.el("#code-ok").text),
              "Confirm counts down")
        p.shot("profile-locked")
        p.el("#code-input").send_keys(Keys.ESCAPE)  # Escape cancels the prompt
        p.wait(lambda d: not d.find_elements(p.By.CSS_SELECTOR, "#code-dialog[open]"),
               "the prompt closes on Escape")
        p.wait_text("#msg", r"Cancelled; nothing was saved", "cancelled")

    def sign_out(self):
        p = self.p
        p.go("signin.html")
        p.click("#signout")
        p.wait_text("#msg", r"^Signed out\.$", "signed out")
        p.wait_text("#who-storefront", "signed out", "header shows nobody")
        check(p.d.execute_script("return sessionStorage.getItem('glue-mfa.storefront')") is None,
              "tokens forgotten")
        p.wait_text("#exchanges .exchange .line", r"^DELETE /refresh-tokens/mine$", "revoked on the server")
        p.go("mfa.html")
        p.wait_text("#content", r"needs a signed-in customer", "MFA page asks to sign in")
        p.shot("signed-out")

    def office_sign_in(self):
        p = self.p
        p.go("office-signin.html")
        p.fill("#username", "admin@example.com")
        p.fill("#password", "change123")
        p.click("#signin button[type=submit]")
        p.wait_text("#signed-in", r"admin@example\.com", "back office signed in")
        p.wait_text("#exchanges pre.req", r"grant_type=password&username=admin%40example\.com&password=••••••",
                    "form-encoded grant shown with the password hidden")
        p.shot("office-signed-in")

    def office_users(self):
        p = self.p
        total = users_at_least(USERS_PAGE + 1)
        p.go("office-users.html")
        p.wait_text('#users tr[data-user="admin@example.com"]', r"\(you\)", "admin listed as you")
        p.wait_text("#pageinfo", rf"^1–{USERS_PAGE} of {total}$", "the first page and the total")
        check(len(p.d.find_elements(p.By.CSS_SELECTOR, "#users tbody tr")) == USERS_PAGE,
              f"{USERS_PAGE} rows on the first page")
        check(not p.el("#prev").is_enabled() and p.el("#next").is_enabled(),
              "Previous off, Next on, on the first page")
        self.one_line_cells("1280 px")
        p.shot("office-users")
        first = p.text_of("#users tbody tr:first-child")
        p.click("#next")
        p.wait_text("#pageinfo", rf"^{USERS_PAGE + 1}–\d+ of {total}$", "the second page")
        p.wait_text("#exchanges .exchange .line",
                    rf"^GET /backend/users\?page\[offset\]={USERS_PAGE}&page\[limit\]={USERS_PAGE}$",
                    "Next followed links.next")
        check(p.text_of("#users tbody tr:first-child") != first, "other users on the second page")
        check(p.el("#prev").is_enabled(), "Previous on, on the second page")
        p.shot("office-users-page-2")
        p.click("#prev")
        p.wait_text("#pageinfo", rf"^1–{USERS_PAGE} of {total}$", "back on the first page")
        p.wait_text('#users tr[data-user="admin@example.com"]', r"\(you\)", "admin listed again")
        for size, name in ((PHONE, "phone-office-users"), (SMALL_PHONE, "small-phone-office-users")):
            p.size(size)
            p.go("office-users.html")
            p.wait_text('#users tr[data-user="admin@example.com"]', r"\(you\)", "admin listed")
            p.no_sideways_scroll("office-users.html")
            self.one_line_cells(f"{size[0]} px")
            p.shot(name)
        p.size(DESKTOP)

    def one_line_cells(self, width):
        """Every status badge, e-mail address and date of the users table is
        one line high (no wrapping inside a word); an address cut short has
        an ellipsis and its whole text in the title."""
        bad = self.p.d.execute_script("""
            const out = [];
            for (const el of document.querySelectorAll(
                    '#users .status, #users .ellipsis, #users time')) {
                const cs = getComputedStyle(el);
                const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.3;
                const box = el.getBoundingClientRect().height - parseFloat(cs.paddingTop)
                    - parseFloat(cs.paddingBottom) - parseFloat(cs.borderTopWidth)
                    - parseFloat(cs.borderBottomWidth);
                if (box > line * 1.5)
                    out.push(`${el.textContent}: ${box}px for a ${line}px line`);
                if (el.scrollWidth > el.clientWidth + 1 &&
                        (cs.textOverflow !== 'ellipsis' || el.title !== el.textContent))
                    out.push(`${el.textContent}: cut without an ellipsis and title`);
            }
            return out;""")
        check(not bad, f"users table at {width}: " + "; ".join(bad[:5]))

    def office_rescue(self):
        """The default "Every active method" sends no type (contract §10.7);
        then one method by name, and an unknown customer."""
        p = self.p
        p.go("office-rescue.html")
        p.wait(lambda d: len(d.find_elements(p.By.CSS_SELECTOR, "#type option")) >= 3,
               "the methods listed")
        check(p.el("#type").get_attribute("value") == "", "every method is the default")
        p.fill("#customerReference", self.ref)
        p.click("#rescue button[type=submit]")
        p.wait_text("#msg", r"Every active method is switched off for customer " + self.ref,
                    "rescued")
        p.wait_text("#exchanges .exchange .badge", r"^204$", "204 in the log")
        req, _ = p.last_exchange()
        check(req["data"]["attributes"] == {"customerReference": self.ref},
              f"sent without a type: {req}")
        p.shot("office-rescued")
        p.click("#rescue button[type=submit]")
        p.wait_text("#msg", r"no method is switched on for this customer", "5906 in plain words")
        p.choose("#type", "email")
        p.click("#rescue button[type=submit]")
        p.wait_text("#msg", r"email is not switched on for this customer", "5906 for one method")
        req, _ = p.last_exchange()
        check(req["data"]["attributes"] == {"customerReference": self.ref, "type": "email"},
              f"sent with its type: {req}")
        p.fill("#customerReference", "DE--999999999")
        p.click("#rescue button[type=submit]")
        p.wait_text("#msg", r"no customer has that reference", "5907 in plain words")
        p.shot("office-rescue")

    def office_rescue_one(self):
        """The app customer's totp switched off by name: the others stay."""
        p = self.p
        p.go("office-rescue.html")
        p.wait(lambda d: d.find_elements(p.By.CSS_SELECTOR, '#type option[value="totp"]'),
               "totp listed")
        p.choose("#type", "totp")
        p.fill("#customerReference", self.app_ref)
        p.click("#rescue button[type=submit]")
        p.wait_text("#msg", r"^totp is switched off for customer " + self.app_ref, "rescued")
        req, _ = p.last_exchange()
        check(req["data"]["attributes"] == {"customerReference": self.app_ref, "type": "totp"},
              f"sent with its type: {req}")

    def office_user_locale(self):
        """A user added with a language: the form sends locale, the list
        shows it after the name, the table still one line per value."""
        p = self.p
        name = f"browser-de-{RUN}@example.com"
        p.go("office-users.html")
        p.wait_text('#users tr[data-user="admin@example.com"]', r"\(you\)", "admin listed")
        p.fill("#username", name)
        p.fill("#adduser #firstName", "Dora")
        p.fill("#adduser #lastName", "Deutsch")
        p.fill("#adduser #password", PASSWORD)
        p.choose("#adduser #locale", "de_DE")
        p.click("#adduser button[type=submit]")
        p.wait_text("#add-msg", re.escape(f"Added {name}"), "added")
        req, res = p.last_exchange()
        check(req["data"]["attributes"].get("locale") == "de_DE" and
              res["data"]["attributes"]["locale"] == "de_DE", "sent and stored as de_DE")
        # The newest user is on the last page: a full make test has made
        # several hundred users by now (20 a page).
        for _ in range(500):
            if not p.el("#next").is_enabled():
                break
            info = p.text_of("#pageinfo")
            p.click("#next")
            p.wait(lambda d: p.text_of("#pageinfo") != info, "the next page")
        row = p.wait_text(f'#users tr[data-user="{name}"]', r"Dora Deutsch · de_DE",
                          "the locale after the name")
        check(row.find_element(p.By.CSS_SELECTOR, ".locale").get_attribute("title"),
              "the locale explained in its title")
        self.one_line_cells("1280 px, with a locale")
        p.shot("office-users-locale")

    def office_mfa(self):
        p = self.p
        p.go("office-mfa.html")
        p.wait_text('#methods tr[data-method="email"] [data-status]', r"\((deactivated|activated|activation is pending)\)",
                    "the user's methods listed")
        p.wait_text("#exchanges .exchange .line", r"^GET /backend/multi-factor-auth-types$",
                    "called the Backend API")
        p.shot("office-mfa")

    def totp(self):
        """A new customer enrols an authenticator app: the QR code shown as
        SVG nodes, the key for manual entry, verified with a code computed
        from that key; then a protected change with the next step's code."""
        import pyotp
        p = self.p
        email = f"browser-app-{RUN}@example.com"
        p.go("register.html")
        p.fill("#firstName", "App")
        p.fill("#lastName", "Tester")
        p.fill("#email", email)
        p.fill("#password", PASSWORD)
        p.fill("#confirmPassword", PASSWORD)
        p.choose("#locale", "de_DE")     # Deutsch: the mails in German
        p.click("#acceptedTerms")
        p.click("#register button[type=submit]")
        msg = p.wait_text("#msg", r"Registered as DE--\d+", "registered").text
        self.app_ref = re.search(r"DE--\d+", msg).group(0)
        req, res = p.last_exchange()
        check(req["data"]["attributes"].get("locale") == "de_DE" and
              res["data"]["attributes"]["locale"] == "de_DE", "locale sent and stored")
        p.go(f"signin.html?email={email}")
        p.fill("#password", PASSWORD + Keys.ENTER)
        p.wait_text("#signed-in", re.escape(email), "signed in")
        p.go("mfa.html")
        p.wait_text('#methods tr[data-method="totp"] [data-status]', "deactivated",
                    "totp listed as deactivated")
        p.click('#methods tr[data-method="totp"] button')
        p.wait_text('#methods tr[data-method="totp"] [data-status]', "activation is pending",
                    "totp pending")
        secret = p.el("#secret-totp").get_attribute("data-secret")
        check(re.match(r"^[A-Z2-7]{32}$", secret or ""), "the key is shown")
        check(p.el("#secret-totp").text.replace(" ", "") == secret, "the key, grouped")
        check(p.d.find_elements(p.By.CSS_SELECTOR, "#qr-totp svg rect") and
              p.el("#qr-totp svg path").get_attribute("d").startswith("M"),
              "the QR code is shown as SVG")
        check(p.d.execute_script(
            "return document.querySelector('#qr-totp svg').getBoundingClientRect().width") >= 100,
            "the QR code has a size")
        p.shot("mfa-totp-enrol")
        app = pyotp.TOTP(secret)
        p.fill("#verify-totp", app.now())
        p.click('#verify form[data-method="totp"] button[type=submit]')
        p.wait_text('#methods tr[data-method="totp"] [data-status]', r"^On \(activated\)$",
                    "totp activated")
        check(not p.d.find_elements(p.By.CSS_SELECTOR, "#secret-totp"), "the key is gone")
        p.shot("mfa-totp-activated")
        # The notice of it, in the account's language.
        if p.mail is None:
            p.d.switch_to.new_window("tab")
            p.mail = p.d.current_window_handle
        else:
            p.d.switch_to.window(p.mail)
        p.go(f"mailbox.html?to={email}")
        p.click("#reload")
        p.wait_text("#mails tbody tr", "Multi-Faktor-Authentifizierung eingeschaltet",
                    "the switched-on notice in German")
        p.shot("mailbox-german-notice")
        p.d.switch_to.window(p.main)
        p.go("profile.html")
        p.wait(lambda d: p.el("#firstName").get_attribute("value") == "App", "profile loaded")
        check(p.el("#locale").get_attribute("value") == "de_DE", "the locale shown")
        check(p.d.execute_script("return document.querySelector('#locale').options[0].disabled"),
              "a locale once set cannot be cleared: no default to choose")
        p.fill("#firstName", "Scanned")
        p.choose("#locale", "en_US")    # English from now on
        p.click("#profile button[type=submit]")
        p.el("#code-dialog[open]", "the code prompt")
        p.click("#code-send")
        p.wait_text("#code-sent", r"authenticator app", "nothing to send for an app")
        code = app.at(time.time() + 30)    # the next step's: within the window
        p.fill("#code-input", code)
        p.click("#code-ok")
        p.wait_text("#msg", r"^Saved\.$", "saved with an app code")
        req = p.el("#exchanges .exchange pre.req").text
        check(f"X-MFA-Code: {code}" in req, "the PATCH carried the app code")
        body, res = p.last_exchange()
        check(body["data"]["attributes"] == {"firstName": "Scanned", "locale": "en_US"} and
              res["data"]["attributes"]["locale"] == "en_US", f"only the changes sent: {body}")
        check(p.el("#locale").get_attribute("value") == "en_US", "English shown")

    def phone_pages(self):
        """Every page at phone width: nothing wider than the screen."""
        p = self.p
        p.size(PHONE)
        try:
            for page in sorted(f for f in os.listdir(WWW) if f.endswith(".html")):
                if page == "mailbox.html":
                    page += f"?to={EMAIL}"
                p.go(page)
                if page.startswith("mailbox"):
                    p.el("#mails tbody tr button").click()
                    p.el("#message-text")
                else:
                    time.sleep(0.3)  # the page's first request
                p.no_sideways_scroll(page)
                p.shot("phone-" + page.split(".")[0])
        finally:
            p.size(DESKTOP)

    def console_clean(self):
        p = self.p
        p.drain()
        bad = [e["message"] for e in p.console
               if "Content Security Policy" in e["message"] or "Uncaught" in e["message"]
               or (e["level"] == "SEVERE" and "favicon" in e["message"])]
        check(not bad, "browser console: " + " | ".join(bad[:5]))


# --------------------------------------------------------------------------


class Steps:
    """The browser scripts' step runner: run(name, fn) runs one step, prints
    "ok NAME (T s)" or "FAIL NAME: why" and counts it; done() prints the
    scripts' last line, "N passed, M failed", and gives the exit status.
    With pages (a Pages), a step starts on the main window at desktop size
    (a failed step may have left another) and a failed one leaves a
    screenshot."""

    def __init__(self):
        self.passed = self.failed = 0

    def run(self, name, fn, pages=None):
        t0 = time.monotonic()
        try:
            if pages is not None:
                pages.d.switch_to.window(pages.main)
                if pages.phone:
                    pages.size(DESKTOP)
            fn()
        except Exception as e:
            self.fail(name, str(e) if isinstance(e, Failed) else "".join(
                traceback.format_exception_only(type(e), e)).strip())
            if pages is not None:
                try:
                    pages.d.switch_to.window(pages.main)
                    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                    print(f"     screenshot {pages.shot(slug + '-FAILED')}", flush=True)
                except Exception:
                    pass
            return False
        self.passed += 1
        print(f"ok   {name} ({time.monotonic() - t0:.1f} s)", flush=True)
        return True

    def fail(self, name, why):
        self.failed += 1
        print(f"FAIL {name}: {why}", flush=True)

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def quit_browser(driver):
    """Stops a browser of start_browser() and removes its profile."""
    if driver is None:
        return
    profile = getattr(driver, "_glue_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    st = Steps()
    st.run("pages have no inline scripts, styles or HTML-from-strings", static_pages)
    serving = st.run("server answers with the pages and the mailbox", server_answers)
    driver = None

    def launch():
        nonlocal driver
        driver = start_browser()
    print(f"base {BASE}, customer {EMAIL}", flush=True)
    if st.run("browser starts", launch):
        p = Pages(driver)
        s = Story(p)
        try:
            for name, fn in steps(s):
                if not serving:
                    st.fail(name, "not run, the server is not ready")
                    continue
                st.run(name, fn, p)
        finally:
            quit_browser(driver)
    print(f"screenshots in {os.path.relpath(OUT, ROOT)}/", flush=True)
    return st.done()


def steps(s):
    """The story, in order: each step relies on the ones before it."""
    return (("index page", s.index),
            ("mailbox links hidden when the mailbox page is not there", s.dev_links),
            ("register a customer", s.register),
            ("sign in", s.sign_in),
            ("activate e-mail MFA", s.activate),
            ("verify with the code from the mailbox page", s.verify),
            ("profile and password change through the code prompt", s.profile),
            ("recovery codes: make, print, use one in the code prompt", s.recovery),
            ("deactivate e-mail MFA", s.deactivate),
            ("lockout shown with a countdown", s.lockout),
            ("sign out", s.sign_out),
            ("back-office sign-in", s.office_sign_in),
            ("back-office users", s.office_users),
            ("back-office rescue of the locked-out customer", s.office_rescue),
            ("back-office user added with a language", s.office_user_locale),
            ("back-office MFA page", s.office_mfa),
            ("enrol an authenticator app (a customer with German mails)", s.totp),
            ("back-office rescue of one method by name", s.office_rescue_one),
            ("every page fits a phone screen", s.phone_pages),
            ("no CSP violations or script errors", s.console_clean))


if __name__ == "__main__":
    sys.exit(main())
