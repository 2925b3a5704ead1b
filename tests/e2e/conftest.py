"""Shared fixtures for the end-to-end tests.

Environment (set by tools/test.sh):
  GLUE_BASE_URL  where the web server answers, e.g. http://127.0.0.1:18080
  GLUE_INSTANCE  the instance directory (glue-mfa.conf, run/mysqld.sock, mail/, clock)
  GLUE_ROOT      the repository
  GLUE_MODE      fcgi or cgi

Every response that goes through `api` is checked for the rules that hold for every
response (X-Request-Id, exact Content-Type, empty 204 body); test bodies then assert
exact statuses, codes, details and shapes.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

BASE = os.environ.get("GLUE_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
ROOT = os.environ.get("GLUE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
INSTANCE = os.environ.get("GLUE_INSTANCE") or ""
MODE = os.environ.get("GLUE_MODE", "fcgi")

JSONAPI = "application/vnd.api+json"
TIMEOUT = 30

RID_RE = re.compile(r"^[0-9a-f]{32}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
REF_RE = re.compile(r"^DE--[1-9][0-9]*$")
UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

DEFAULT_PASSWORD = "s3cret-Passw0rd"

# Detail texts of the front line and the authentication layer (the contract).
D_MALFORMED = "Malformed request body."
D_MEMBER = "Invalid or missing member."
D_TYPE = "Resource type does not match the endpoint."
D_NOTFOUND = "Resource not found."
D_METHOD = "Method not allowed."
D_NOTACCEPT = "Not acceptable."
D_TOOLARGE = "Request body too large."
D_MEDIA = "Unsupported media type."
D_UNAVAILABLE = "Service temporarily unavailable."
D_MISSING_TOKEN = "Missing access token."
D_INVALID_TOKEN = "Invalid access token."
D_AUTH_FAILED = "Failed to authenticate user."
D_REFRESH_FAILED = "Failed to refresh token."
D_UNAUTHORIZED = "Unauthorized request."
D_TOO_MANY_LOGINS = "Too many failed login attempts. Please try again later."

class _Sessions(threading.local):
    """A requests session per thread: each drops its connection pool after
    every answer (_send_recorded), which would close the pool under another
    thread's request in flight if the threads shared one (ClosedPoolError,
    seen once in a test that signs in customers from eight threads)."""

    def __init__(self):
        self.s = requests.Session()
        # One connection per request: a kept-alive connection that the
        # server closes as idle just while the next request goes out is lost
        # without an answer (seen once under heavy load, a POST the server
        # never saw), and the client may not resend a POST.  The suite tests
        # the API, not keep-alive.
        self.s.headers["Connection"] = "close"


_sessions = _Sessions()


# --------------------------------------------------------------------------
# Traffic record (tests/e2e/test_zzz_openapi.py compares it with www/openapi-*.json)
#
# Every request the suite sends through the requests library passes
# requests.Session.send: api() and the helpers built on it, the threads of
# mfa_helpers.parallel() (a Session each), requests.get(). raw_http() records
# its hand-built requests itself; a test that runs a program directly as CGI
# may call record_answer(). One entry per answer, in order.

TRAFFIC = []
# What ran: test files collected, tests deselected, outcomes (for the
# whole-suite checks of test_zzz_openapi.py).
RUN = {"files": set(), "deselected": 0, "failed": 0, "skipped": 0}
_current_test = [None]
_RAW_LINE_RE = re.compile(rb"^([A-Z]+) (\S+) HTTP/")


def record_answer(method, url, status, headers, body, source):
    """Adds one answer to TRAFFIC: method, URL path, status, headers (names
    lowercase), whether the body is JSON (None: empty), the error code of a
    JSON:API error or the `error` of an OAuth one, the body (whole: its
    schema is checked, test_zzz_openapi.py)."""
    body = body if isinstance(body, bytes) else b""
    is_json, error = None, None
    if body:
        try:
            parsed = json.loads(body.decode("utf-8"))
            is_json = True
        except ValueError:
            parsed, is_json = None, False
        if isinstance(parsed, dict):
            errs = parsed.get("errors")
            if isinstance(errs, list) and errs and isinstance(errs[0], dict):
                error = errs[0].get("code")
            elif isinstance(parsed.get("error"), str):
                error = parsed["error"]
    TRAFFIC.append({
        "method": method,
        "path": urlsplit(url).path,
        "query": urlsplit(url).query,
        "status": status,
        "headers": {k.lower(): v for k, v in headers.items()},
        "json": is_json,
        "error": error,
        "body": body,
        "source": source,
        "test": _current_test[0],
    })


_send_unrecorded = requests.Session.send


def _send_recorded(self, request, **kwargs):
    r = _send_unrecorded(self, request, **kwargs)
    body = b"" if kwargs.get("stream") else r.content  # stream=True: left unread
    record_answer(request.method, request.url, r.status_code, r.headers, body,
                  "requests")
    if not kwargs.get("stream"):
        # "Connection: close" alone is not enough: urllib3 puts the closed
        # connection back in its pool, and the next request, sent before
        # the server's FIN has arrived, goes out on it and is lost unseen
        # (RemoteDisconnected, nothing in the access log).  Drop the pool.
        self.close()
    return r


requests.Session.send = _send_recorded


def pytest_collection_finish(session):
    RUN["files"] = {os.path.basename(str(item.fspath)) for item in session.items}


def pytest_deselected(items):
    RUN["deselected"] += len(items)


def pytest_runtest_logstart(nodeid, location):
    """Names the test (setup, call and teardown) that sends what follows."""
    _current_test[0] = nodeid


def pytest_runtest_logreport(report):
    if report.failed:
        RUN["failed"] += 1
    elif report.skipped:
        RUN["skipped"] += 1


def pytest_sessionfinish(session, exitstatus):
    """GLUE_TRAFFIC_FILE=path writes the record as JSON lines (debugging)."""
    path = os.environ.get("GLUE_TRAFFIC_FILE")
    if not path:
        return
    with open(path, "w") as f:
        for t in TRAFFIC:
            f.write(json.dumps(dict(t, body=t["body"].decode("utf-8", "replace")))
                    + "\n")


# --------------------------------------------------------------------------
# HTTP


class Resp:
    """One answer: status, headers (case-insensitive), raw body, parsed JSON."""

    def __init__(self, r, req_body):
        self.status = r.status_code
        self.headers = r.headers
        self.raw = r.content
        self.method = r.request.method
        self.url = r.request.url
        self.req_headers = dict(r.request.headers)
        self.req_body = req_body
        self.elapsed = r.elapsed.total_seconds()
        self.json = None
        if self.raw:
            try:
                self.json = json.loads(self.raw.decode("utf-8"))
            except ValueError:
                self.json = None

    def describe(self):
        """Request and response, for assertion messages and bug reports."""
        body = self.req_body
        if isinstance(body, bytes) and len(body) > 300:
            body = body[:300] + b"...(%d bytes)" % len(self.req_body)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() in ("content-type", "allow", "retry-after",
                                 "x-request-id", "content-length")}
        raw = self.raw[:600]
        return ("\n  request:  %s %s\n  req hdrs: %s\n  req body: %r"
                "\n  response: %d %s\n  body:     %r" % (
                    self.method, self.url, {k: v for k, v in self.req_headers.items()
                                            if k.lower() not in ("user-agent",
                                                                 "accept-encoding",
                                                                 "connection")},
                    body, self.status, hdrs, raw))

    __repr__ = describe

    @property
    def data(self):
        assert isinstance(self.json, dict) and "data" in self.json, self.describe()
        return self.json["data"]


def check_common(r):
    """Rules every response of the programs follows (contract §2)."""
    rid = r.headers.get("X-Request-Id")
    assert rid is not None and RID_RE.match(rid), \
        "X-Request-Id missing or not 32 lowercase hex" + r.describe()
    if r.status == 204:
        assert r.raw == b"", "204 with a body" + r.describe()
    if r.raw:
        assert r.headers.get("Content-Type") == JSONAPI, \
            "Content-Type is not exactly %s" % JSONAPI + r.describe()
        assert r.json is not None, "body is not JSON" + r.describe()
    assert r.status != 500, "500 Internal Server Error" + r.describe()


def api(method, path, body=None, token=None, headers=None, data=None,
        content_type=JSONAPI, check=True, timeout=TIMEOUT, base=None):
    """Send one request. `body` is a Python object sent as JSON; `data` raw bytes.

    content_type=None sends no Content-Type. `headers` entries set to None remove
    a default header (e.g. {"Accept": None}). check=False skips check_common
    (for answers the web server itself may give).
    """
    url = (base or BASE) + path
    h = {}
    payload = None
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    elif data is not None:
        payload = data
    if payload is not None and content_type is not None:
        h["Content-Type"] = content_type
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if headers:
        h.update(headers)
    r = _sessions.s.request(method, url, data=payload, headers=h, timeout=timeout,
                         allow_redirects=False)
    resp = Resp(r, payload)
    if check:
        check_common(resp)
    return resp


def assert_error(r, status, code, detail, pointer=None, header=None,
                 allow_header=None, pointers=None, parameter=None):
    """The body is exactly {"errors":[{"status","code","detail"[,"source"]}]}.

    pointer/header/parameter: the required source. allow_header: a source.header the
    contract does not require but permits (contract §2.5: "where one input is at fault").
    pointers: a set of acceptable pointers where the contract is not exact.
    """
    assert r.status == status, "status %d != %d" % (r.status, status) + r.describe()
    assert isinstance(r.json, dict) and list(r.json) == ["errors"], \
        "error body shape" + r.describe()
    errs = r.json["errors"]
    assert isinstance(errs, list) and len(errs) == 1, "one error expected" + r.describe()
    e = errs[0]
    exp = {"status": str(status), "code": code, "detail": detail}
    if pointer is not None:
        exp["source"] = {"pointer": pointer}
    elif header is not None:
        exp["source"] = {"header": header}
    elif parameter is not None:
        exp["source"] = {"parameter": parameter}
    elif pointers is not None and e.get("source", {}).get("pointer") in pointers:
        exp["source"] = {"pointer": e["source"]["pointer"]}
    elif allow_header is not None and e.get("source") == {"header": allow_header}:
        exp["source"] = e["source"]
    assert e == exp, "error object differs: expected %r" % exp + r.describe()


def check_allow(r, allowed):
    """Allow lists the route's methods, "A, B" formatted. The server may add
    OPTIONS (if it answers OPTIONS: 204, same Allow) and HEAD beside GET (if
    HEAD is served); nothing else."""
    allow = r.headers.get("Allow")
    assert allow is not None, "no Allow header" + r.describe()
    parts = allow.split(", ")
    assert all(p and p == p.strip() and p.isupper() for p in parts), \
        "Allow not 'A, B' formatted: %r" % allow
    assert len(set(parts)) == len(parts), allow
    extra = set(parts) - set(allowed)
    permitted = {"OPTIONS"} | ({"HEAD"} if "GET" in allowed else set())
    assert set(parts) >= set(allowed) and extra <= permitted, \
        "Allow %r, route serves %r" % (allow, sorted(allowed)) + r.describe()
    path = r.url[len(BASE):]
    if "OPTIONS" in extra:
        o = api("OPTIONS", path)
        assert o.status == 204 and o.headers.get("Allow") == allow, o.describe()
    if "HEAD" in extra:
        h = api("HEAD", path)
        assert h.status != 405 and h.raw == b"", h.describe()


def assert_missing_token(r):
    assert_error(r, 403, "002", D_MISSING_TOKEN, allow_header="Authorization")


def assert_invalid_token(r):
    assert_error(r, 401, "001", D_INVALID_TOKEN, allow_header="Authorization")


def assert_unauthorized(r):
    assert_error(r, 403, "411", D_UNAUTHORIZED)


def assert_login_failed(r):
    assert_error(r, 401, "003", D_AUTH_FAILED)


def assert_refresh_failed(r):
    assert_error(r, 401, "004", D_REFRESH_FAILED)


def assert_validation(r, field, prefix="/data/attributes/"):
    assert_error(r, 422, "901", "%s is invalid." % field, pointer=prefix + field)


def assert_member(r, pointer):
    assert_error(r, 400, "101", D_MEMBER, pointer=pointer)


def raw_http(payload, shutdown_write=False, timeout=5.0, base=None):
    """Send raw bytes on a new connection; return (status, headers, body) or
    (None, {}, b"") when the server closed without answering. Raises
    socket.timeout when nothing conclusive arrives within `timeout` seconds.
    An answer is recorded in TRAFFIC under the request line's method and path."""
    status, headers, body = _raw_exchange(payload, shutdown_write, timeout, base)
    m = _RAW_LINE_RE.match(payload)
    if status is not None and m:
        record_answer(m.group(1).decode(),
                      (base or BASE) + m.group(2).decode("latin-1"),
                      status, headers, body, "raw")
    return status, headers, body


def _raw_exchange(payload, shutdown_write, timeout, base):
    host, port = _host_port(base or BASE)
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(payload)
        if shutdown_write:
            s.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        buf = b""
        while True:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            parsed = _parse_http(buf)
            if parsed is not None:
                return parsed
            if time.monotonic() > deadline:
                raise socket.timeout("no complete answer in %.1f s" % timeout)
        if not buf:
            return None, {}, b""
        parsed = _parse_http(buf, eof=True)
        assert parsed is not None, "unparsable answer %r" % buf[:300]
        return parsed
    finally:
        s.close()


def _host_port(base):
    m = re.match(r"^https?://([^/:]+)(?::(\d+))?", base)
    return m.group(1), int(m.group(2) or 80)


def _parse_http(buf, eof=False):
    if b"\r\n\r\n" not in buf:
        return None
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(body) < n:
            return None
        return status, headers, body[:n]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while True:
            if b"\r\n" not in rest:
                return None
            size_s, rest = rest.split(b"\r\n", 1)
            size = int(size_s.split(b";")[0], 16)
            if size == 0:
                return status, headers, out
            if len(rest) < size + 2:
                return None
            out, rest = out + rest[:size], rest[size + 2:]
    if status in (204, 304) or eof:
        return status, headers, body
    return None


def raw_request(method, path, body=b"", headers=None, **kw):
    """Build a request by hand (for framing the HTTP client would not send)."""
    host, port = _host_port(BASE)
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (host, port),
             "Connection: close"]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    return raw_http(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body, **kw)


def check_raw_jsonapi_error(status, headers, body, statuses):
    """A raw answer is one of `statuses`, and JSON:API-shaped with a request id
    (unless it is the web server's own bare answer, which has no X-Request-Id)."""
    assert status in statuses, "status %r not in %r: %r %r" % (status, statuses,
                                                             headers, body[:300])
    if "x-request-id" in headers:
        assert RID_RE.match(headers["x-request-id"])
        assert headers.get("content-type") == JSONAPI, headers
        doc = json.loads(body.decode("utf-8"))
        assert list(doc) == ["errors"] and len(doc["errors"]) == 1, doc
        e = doc["errors"][0]
        assert e["status"] == str(status), doc
        assert isinstance(e["code"], str) and isinstance(e["detail"], str), doc
        return e
    return None


# --------------------------------------------------------------------------
# Domain helpers


def unique_email(tag="c"):
    return "e2e-%s-%s@example.com" % (tag, uuid.uuid4().hex[:16])


def customer_attrs(**over):
    a = {
        "firstName": "Erika",
        "lastName": "Mustermann",
        "email": unique_email(),
        "password": DEFAULT_PASSWORD,
        "confirmPassword": DEFAULT_PASSWORD,
        "acceptedTerms": True,
    }
    if "password" in over and "confirmPassword" not in over:
        a["confirmPassword"] = over["password"]
    a.update(over)
    return {k: v for k, v in a.items() if v is not DROP}


class _Drop:
    def __repr__(self):
        return "DROP"


DROP = _Drop()  # customer_attrs(firstName=DROP) leaves the member out


def doc(type_, attrs, **data_extra):
    d = {"type": type_, "attributes": attrs}
    d.update(data_extra)
    return {"data": d}


def register(**over):
    """POST /customers; returns the Resp (any status)."""
    return api("POST", "/customers", doc("customers", customer_attrs(**over)))


def login(email, password, **kw):
    return api("POST", "/access-tokens",
               doc("access-tokens", {"username": email, "password": password}), **kw)


def refresh(refresh_token):
    return api("POST", "/refresh-tokens",
               doc("refresh-tokens", {"refreshToken": refresh_token}))


class Customer:
    """A registered customer. `access`/`refresh` hold the tokens of the first
    login (None until logged in)."""

    def __init__(self, resp, attrs):
        self.resp = resp
        self.ref = resp.data["id"]
        self.email = attrs["email"]
        self.password = attrs["password"]
        self.attrs = attrs
        self.access = None
        self.refresh = None

    def login(self, password=None):
        r = login(self.email, password or self.password)
        assert r.status == 201, r.describe()
        a = r.data["attributes"]
        return a["accessToken"], a["refreshToken"]

    def signed_in(self):
        self.access, self.refresh = self.login()
        return self

    @property
    def path(self):
        return "/customers/" + self.ref


def new_customer(**over):
    attrs = customer_attrs(**over)
    r = api("POST", "/customers", doc("customers", attrs))
    assert r.status == 201, "registration failed" + r.describe()
    return Customer(r, attrs)


def address_attrs(**over):
    a = {
        "firstName": "Erika",
        "lastName": "Mustermann",
        "address1": "Julie-Wolfthorn-Strasse 1",
        "zipCode": "10115",
        "city": "Berlin",
        "iso2Code": "DE",
    }
    a.update(over)
    return {k: v for k, v in a.items() if v is not DROP}


TOKEN_ATTRS = {"tokenType", "expiresIn", "accessToken", "refreshToken",
         "refreshTokenExpiresIn"}


def check_token_resource(r, type_="access-tokens"):
    assert r.status == 201, r.describe()
    assert list(r.json) == ["data"], r.describe()
    d = r.json["data"]
    assert set(d) == {"type", "id", "attributes", "links"}, r.describe()
    assert d["type"] == type_
    assert isinstance(d["id"], str) and d["id"], r.describe()
    a = d["attributes"]
    assert set(a) == TOKEN_ATTRS, r.describe()
    assert a["tokenType"] == "Bearer"
    assert a["expiresIn"] == 28800 and type(a["expiresIn"]) is int
    assert a["refreshTokenExpiresIn"] == 2592000 and type(a["refreshTokenExpiresIn"]) is int
    assert isinstance(a["accessToken"], str) and TOKEN_RE.match(a["accessToken"]), a
    assert isinstance(a["refreshToken"], str) and TOKEN_RE.match(a["refreshToken"]), a
    assert a["accessToken"] != a["refreshToken"]
    assert d["links"] == {"self": BASE + "/" + type_}, r.describe()
    return a


# --------------------------------------------------------------------------
# Database and clock


def _socket():
    return os.path.join(INSTANCE, "run", "mysqld.sock")


def db_available():
    return bool(INSTANCE) and os.path.exists(_socket())


def db_query(sql):
    """Run SQL as root over the instance socket; return rows (lists of str)."""
    out = subprocess.run(
        ["mariadb", "--socket=" + _socket(), "-uroot", "glue_mfa", "-N", "-B",
         "-e", sql], capture_output=True, timeout=30)
    assert out.returncode == 0, "SQL failed: %s\n%s" % (sql, out.stderr.decode())
    return [ln.split("\t") for ln in out.stdout.decode("utf-8").splitlines()]


def db_dump():
    out = subprocess.run(
        ["mariadb-dump", "--socket=" + _socket(), "-uroot", "--skip-extended-insert",
         "--hex-blob", "glue_mfa"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode("utf-8", "replace")


def clear_login_failures():
    db_query("DELETE FROM login_failures")


def clock_path():
    return os.path.join(INSTANCE, "clock")


def instance_sets(key):
    """Whether the instance's config sets key (the test-build hooks
    test_clock_file and test_fault_file are configured only there)."""
    if not INSTANCE:
        return False
    try:
        with open(os.path.join(INSTANCE, "glue-mfa.conf")) as f:
            return any(re.match(r"^\s*%s\s*=" % re.escape(key), ln) for ln in f)
    except OSError:
        return False


FAULT_FILE = os.path.join(INSTANCE, "fault") if INSTANCE else ""
PROGRAMS_LOG = os.path.join(INSTANCE or ".", "log", "programs.log")


def log_size():
    """Where the programs' log ends now (log_since() reads on from there)."""
    try:
        return os.path.getsize(PROGRAMS_LOG)
    except OSError:
        return 0


def log_since(offset):
    try:
        with open(PROGRAMS_LOG, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


@pytest.fixture
def fault_file():
    """The instance's test_fault_file (test builds only: skipped elsewhere),
    gone again after the test whatever it did; a test writes a fault point's
    name into it (src/fault.c)."""
    if not instance_sets("test_fault_file"):
        pytest.skip("instance has no test_fault_file (set GLUE_CONFIG_EXTRA)")
    yield FAULT_FILE
    if os.path.exists(FAULT_FILE):
        os.unlink(FAULT_FILE)


def fault_armed(point, send):
    """Arms the test build's fault point `point` (the fault_file fixture's
    file), sends, and asserts that a process reached it (the first to
    get there removes the file); send()'s answer."""
    with open(FAULT_FILE, "w") as f:
        f.write(point + "\n")
    r = send()
    assert not os.path.exists(FAULT_FILE), \
        "no request reached the fault point %s" % point
    return r


def clock_supported():
    """The programs honour the clock file only in test builds, configured by
    test_clock_file in the instance's config."""
    return instance_sets("test_clock_file")


def set_clock(offset):
    p = clock_path()
    tmp = p + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % offset)
    os.rename(tmp, p)


def reset_clock():
    try:
        os.unlink(clock_path())
    except FileNotFoundError:
        pass


# --------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session", autouse=True)
def _server_up():
    """Fail early and clearly when nothing answers at GLUE_BASE_URL; start from
    clean login-failure and sign-up counters and a real clock."""
    try:
        requests.get(BASE + "/", timeout=10)
    except requests.RequestException as e:
        pytest.exit("no web server at %s: %s" % (BASE, e), returncode=2)
    if db_available():
        clear_login_failures()
        # Each pass starts with no sign-ups counted: one pass registers over a
        # thousand accounts from 127.0.0.1, under the instance's 5000 an hour,
        # but make test runs several passes within the hour.
        db_query("DELETE FROM signup_limits")
    if INSTANCE:
        reset_clock()
    yield
    if INSTANCE:
        reset_clock()


@pytest.fixture(scope="session")
def base_url():
    return BASE


@pytest.fixture(name="api")
def api_fixture():
    """The `api` helper (tests may also import it from conftest)."""
    return api


@pytest.fixture
def customer():
    """A fresh customer, signed in (customer.access, customer.refresh)."""
    return new_customer().signed_in()


@pytest.fixture
def other_customer():
    return new_customer().signed_in()


@pytest.fixture
def customer_factory():
    return new_customer


@pytest.fixture
def db():
    if not db_available():
        pytest.skip("GLUE_INSTANCE not set or its DB socket is missing")
    return db_query


@pytest.fixture
def login_failures_cleared(db):
    """For login-limit tests: clear the table before and after."""
    clear_login_failures()
    yield
    clear_login_failures()


@pytest.fixture
def clock():
    """Setter for the programs' clock offset; the file is always removed after."""
    if not clock_supported():
        pytest.skip("instance has no test_clock_file (not a test build)")
    reset_clock()
    try:
        yield set_clock
    finally:
        reset_clock()
