"""Paths no program serves (README: deployment, "Unknown paths").

Asked for as JSON (an Accept naming application/vnd.api+json or
application/json), a path that names no program and no file of www/ gets the
JSON:API 404 of cgi-bin/not-found: exactly the body, Content-Type and
X-Request-Id of a program's own 404. Asked for by a browser (Accept text/html,
*/* or none) it keeps the web server's own HTML 404, and the www/ files are
served whatever the Accept. The same under every server the suite runs
against (lighttpd as `make run` configures it, the example configurations).
"""

import pytest
import requests

from conftest import BASE, D_NOTFOUND, JSONAPI, RID_RE, TIMEOUT, api, assert_error

NOT_FOUND = b'{"errors":[{"status":"404","code":"103","detail":"Resource not found."}]}'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
UNKNOWN = ["/carts", "/carts/1", "/backend/carts", "/backend/carts/1",
           "/no-such-page.html", "/js/no-such-script.js"]
JSON_ACCEPTS = [JSONAPI, "application/json", "application/json; charset=utf-8",
                "Application/JSON", "text/html;q=0.5, application/vnd.api+json"]


def send(method, path, accept, body=None):
    """One request with exactly this Accept (None: no Accept header)."""
    headers = {"Accept": accept}
    data = None
    if body is not None:
        data, headers["Content-Type"] = body, JSONAPI
    return api(method, path, data=data, content_type=None, headers=headers,
               check=False)


def assert_json_404(r):
    assert r.status == 404, r.describe()
    assert r.headers.get("Content-Type") == JSONAPI, r.describe()
    assert RID_RE.match(r.headers.get("X-Request-Id", "")), r.describe()
    # Not a page: none of the pages' headers.
    assert "Content-Security-Policy" not in r.headers, r.describe()
    if r.method == "HEAD":
        assert r.raw == b"", r.describe()
    else:
        assert r.raw == NOT_FOUND, r.describe()
        assert_error(r, 404, "103", D_NOTFOUND)


def assert_html_404(r):
    assert r.status == 404, r.describe()
    assert r.headers.get("Content-Type", "").startswith("text/html"), r.describe()
    assert "X-Request-Id" not in r.headers, r.describe()
    assert not r.raw.startswith(b'{"errors"'), r.describe()


@pytest.mark.parametrize("path", UNKNOWN)
@pytest.mark.parametrize("accept", JSON_ACCEPTS)
def test_unknown_path_asked_as_json_is_jsonapi_404(path, accept):
    assert_json_404(send("GET", path, accept))


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                    "OPTIONS"])
@pytest.mark.parametrize("path", ["/carts", "/backend/carts"])
def test_every_method_gets_it(method, path):
    body = b'{"data":{"type":"carts","attributes":{}}}' \
        if method in ("POST", "PUT", "PATCH") else None
    assert_json_404(send(method, path, JSONAPI, body))


def test_same_answer_as_a_programs_own_404():
    own = send("GET", "/access-tokens/nope", JSONAPI)
    unknown = send("GET", "/carts", JSONAPI)
    assert own.status == unknown.status == 404, (own.describe(), unknown.describe())
    assert own.raw == unknown.raw == NOT_FOUND, (own.describe(), unknown.describe())
    assert own.headers["Content-Type"] == unknown.headers["Content-Type"] == JSONAPI
    assert own.headers.get("Cache-Control") == unknown.headers.get("Cache-Control")


def test_request_id_is_fresh():
    ids = [send("GET", "/carts", JSONAPI).headers.get("X-Request-Id")
           for _ in range(3)]
    assert all(i and RID_RE.match(i) for i in ids), ids
    assert len(set(ids)) == 3, ids


@pytest.mark.parametrize("path", UNKNOWN)
@pytest.mark.parametrize("accept", [BROWSER, "text/html", "*/*", None])
def test_browser_keeps_the_servers_html_404(path, accept):
    assert_html_404(send("GET", path, accept))


@pytest.mark.parametrize("accept", [JSONAPI, "application/json", BROWSER, None])
def test_pages_are_served_whatever_the_accept(accept):
    r = send("GET", "/", accept)
    assert r.status == 200, r.describe()
    assert r.headers.get("Content-Type") == "text/html; charset=utf-8", r.describe()
    assert "X-Request-Id" not in r.headers, r.describe()
    doc = requests.get(BASE + "/openapi-storefront.json", headers={"Accept": accept},
                       timeout=TIMEOUT)
    assert doc.status_code == 200, doc.text[:300]
    assert "openapi" in doc.json()


@pytest.mark.parametrize("accept", [JSONAPI, BROWSER, None])
def test_a_programs_path_is_the_programs_answer(accept):
    # Known program, unknown path under it: the program's own 404, always.
    r = send("GET", "/customers/DE--1/no-such-thing", accept)
    assert_json_404(r)
