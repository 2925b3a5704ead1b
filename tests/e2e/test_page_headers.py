"""The headers of the www/ pages and their assets (contract §7.9).

Every file of www/ (pages, scripts, styles, images, openapi-*.json) comes with
Content-Security-Policy (the policy the pages declare in their <meta>, 'self'
only and no inline code, plus frame-ancestors 'none', which a <meta> cannot
carry), X-Frame-Options: DENY, X-Content-Type-Options: nosniff and
Referrer-Policy: no-referrer, each exactly once, whatever the browser's
Accept. The API's answers carry none of the pages' policy. The same under
every server the suite runs against: lighttpd as `make run` and the test
instance configure it (tools/instance.sh), and each example configuration
(tools/serve.sh, tools/test.sh).
"""

import os
import re

import pytest
import requests

from conftest import BASE, ROOT, TIMEOUT, api

META_CSP = ("default-src 'self'; base-uri 'none'; object-src 'none'; "
            "form-action 'self'")
PAGE_HEADERS = {
    "Content-Security-Policy": META_CSP + "; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# What browsers send for a page, a script (module), a style sheet and an image.
BROWSER_PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPTS = {
    ".html": BROWSER_PAGE,
    ".js": "*/*",
    ".css": "text/css,*/*;q=0.1",
    ".svg": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    ".png": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    ".json": "*/*",
}
WWW = os.path.join(ROOT, "www")


def www_files():
    """The pages and their assets; not www/errors/, the web servers' own
    error answers (contract §9.7, tests/e2e/test_web_server.py)."""
    out = []
    for d, _, names in os.walk(WWW):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), WWW).replace(os.sep, "/")
            if not rel.startswith("errors/"):
                out.append(rel)
    return sorted(out)


FILES = www_files()
PAGES = [f for f in FILES if f.endswith(".html")]


def get(path, accept, method="GET"):
    """One request with exactly this Accept (None: no Accept header)."""
    return requests.Session().request(method, BASE + path, headers={"Accept": accept},
                                      timeout=TIMEOUT, allow_redirects=False)


def assert_page_headers(r):
    for name, want in PAGE_HEADERS.items():
        assert r.headers.get(name) == want, (r.url, name, r.headers)


def test_www_has_pages_and_assets():
    """The lists below are not empty: what they check exists."""
    assert "index.html" in PAGES and len(PAGES) >= 5, PAGES
    for ext in (".js", ".css", ".svg", ".png", ".json"):
        assert any(f.endswith(ext) for f in FILES), ext


@pytest.mark.parametrize("name", FILES)
def test_every_www_file_has_the_page_headers(name):
    r = get("/" + name, ACCEPTS.get(os.path.splitext(name)[1], "*/*"))
    assert r.status_code == 200, (name, r.status_code)
    with open(os.path.join(WWW, name), "rb") as f:
        assert r.content == f.read(), name
    assert_page_headers(r)


@pytest.mark.parametrize("path", ["/", "/index.html", "/js/api.js", "/css/site.css"])
@pytest.mark.parametrize("accept", [BROWSER_PAGE, "*/*", None, "text/html"])
def test_page_headers_whatever_a_browser_accepts(path, accept):
    r = get(path, accept)
    assert r.status_code == 200, (path, accept, r.status_code)
    assert_page_headers(r)


@pytest.mark.parametrize("path", ["/", "/signin.html", "/js/page.js"])
def test_page_headers_on_head(path):
    r = get(path, BROWSER_PAGE, method="HEAD")
    assert r.status_code == 200, (path, r.status_code)
    assert r.content == b""
    assert_page_headers(r)


@pytest.mark.parametrize("name", PAGES)
def test_header_policy_is_the_pages_own_plus_frame_ancestors(name):
    """The header keeps the <meta> policy of every page: 'self' only, no
    inline code; it adds only what a <meta> cannot say."""
    with open(os.path.join(WWW, name), encoding="utf-8") as f:
        html = f.read()
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">',
                       html)
    assert metas == [META_CSP], (name, metas)
    header = PAGE_HEADERS["Content-Security-Policy"]
    directives = [d.strip() for d in header.split(";")]
    assert directives == [d.strip() for d in META_CSP.split(";")] + \
        ["frame-ancestors 'none'"]
    assert "unsafe" not in header and "*" not in header and "data:" not in header


@pytest.mark.parametrize("path", ["/customers/DE--1", "/access-tokens", "/backend/users"])
def test_api_answers_carry_no_page_policy(path):
    r = api("GET", path)
    assert r.status in (403, 405), r.describe()
    assert_no_page_policy(r)


def test_api_answer_with_a_token_carries_no_page_policy(customer):
    r = api("GET", customer.path, token=customer.access)
    assert r.status == 200, r.describe()
    assert_no_page_policy(r)


def assert_no_page_policy(r):
    # The programs' own header (contract §2.5), not the pages' policy.
    assert r.headers.get("X-Content-Type-Options") == "nosniff", r.describe()
    for name in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"):
        assert name not in r.headers, (name, r.describe())
