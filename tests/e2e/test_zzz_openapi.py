"""www/openapi.json against the live server and this run's traffic (runs last).

The document is fetched from the server (GLUE_BASE_URL/openapi.json). Every
answer the suite received is in conftest.TRAFFIC. An answer counts as the
programs' when it carries X-Request-Id; the web server's own answers (its 413,
411 and 400 pages, static files) have none and are left out.

Each recorded request is mapped to a path template of the document: a path
under /backend to the templates served by the Backend server (/backend), any
other to those of the Storefront server (/); {param} matches one segment.
Then, when the whole suite ran:
  (a) every documented (server, path, method, status) was answered at least
      once in this run ("default" is the undocumented-500 catch-all: no status);
  (b) every answer of the programs is documented: its status under that path
      and method, its error code among the response's examples, its media type
      and the response's headers present (but those marked required: false,
      sent only on some answers: CORS, WWW-Authenticate of a step-up). HEAD is checked against GET's
      responses; a method a path does not serve must be 405 with an Allow of
      exactly the documented methods; a path no template matches must be 404;
      a 500 must match the "default" response (code 111).
(c) Every code 5900-5913 is in the document's error-code enum, and every
example is consistent with the response that uses it (always checked).
"""

import json
import os
import re
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

from conftest import BASE, ROOT, RUN, TIMEOUT, TRAFFIC

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ALLOW_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MFA_CODES = [str(c) for c in range(5900, 5914)]
HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------
# The document


@pytest.fixture(scope="module")
def spec():
    r = requests.get(BASE + "/openapi.json", timeout=TIMEOUT)
    assert r.status_code == 200, "GET /openapi.json: %d" % r.status_code
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip() == "application/json", ctype
    try:
        doc = json.loads(r.content.decode("utf-8"))
    except ValueError as e:
        pytest.fail("/openapi.json is not JSON: %s" % e)
    return doc


def resolve(doc, node):
    """Follows local $refs ("#/a/b")."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), "only local $refs: %r" % ref
        node = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            assert isinstance(node, dict) and part in node, "unresolvable $ref %r" % ref
            node = node[part]
        seen += 1
        assert seen < 20, "$ref loop at %r" % ref
    return node


def all_refs(node, out=None):
    out = [] if out is None else out
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.append(node["$ref"])
        for v in node.values():
            all_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            all_refs(v, out)
    return out


def server_prefix(url):
    """"/" -> "", "/backend" -> "/backend", "http://h:1/backend/" -> "/backend"."""
    return urlsplit(url).path.rstrip("/")


class Template:
    """One path template as served by one server."""

    def __init__(self, doc, prefix, path, item):
        self.prefix, self.path, self.item = prefix, path, item
        parts = re.split(r"(\{[^/{}]+\})", path)
        rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        self.regex = re.compile("^" + re.escape(prefix) + rx + "$")
        self.literals = sum(len(p) for p in parts if not p.startswith("{"))
        self.ops = {m.upper(): op for m, op in item.items() if m in HTTP_METHODS}
        self.doc = doc

    @property
    def full(self):
        return self.prefix + self.path

    def responses(self, method):
        op = self.ops.get(method)
        return {k: resolve(self.doc, v) for k, v in op["responses"].items()} if op else {}

    def allow(self):
        ms = set(self.ops) | {"OPTIONS"} | ({"HEAD"} if "GET" in self.ops else set())
        return ", ".join(m for m in ALLOW_ORDER if m in ms)


def templates(doc):
    top = doc.get("servers") or [{"url": "/"}]
    out = []
    for path, item in doc["paths"].items():
        for s in item.get("servers") or top:
            out.append(Template(doc, server_prefix(s["url"]), path, item))
    return out


def match(tpls, path):
    """The template serving path: longest server prefix, then most literal text."""
    found = [t for t in tpls if t.regex.match(path)]
    if not found:
        return None
    return max(found, key=lambda t: (len(t.prefix), t.literals))


def example_values(doc, response):
    """{media type: [example bodies]} of a resolved response."""
    out = {}
    for mt, media in (response.get("content") or {}).items():
        vals = []
        if "example" in media:
            vals.append(media["example"])
        for e in (media.get("examples") or {}).values():
            vals.append(resolve(doc, e).get("value"))
        out[mt.replace(" ", "").lower()] = vals
    return out


def error_key(body):
    """The code of a JSON:API error body, or the `error` of an OAuth one."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("errors"), list) and body["errors"]:
        e = body["errors"][0]
        return e.get("code") if isinstance(e, dict) else None
    if isinstance(body.get("error"), str):
        return body["error"]
    return None


# --------------------------------------------------------------------------
# Always: the document itself


def test_document_is_openapi_3(spec):
    assert re.match(r"^3\.[01]\.\d+$", str(spec.get("openapi", ""))), spec.get("openapi")
    assert spec["info"]["title"] and spec["info"]["version"]
    prefixes = {server_prefix(s["url"]) for s in spec["servers"]}
    assert prefixes == {"", "/backend"}, spec["servers"]
    assert spec["paths"], "no paths"
    for ref in all_refs(spec):
        resolve(spec, {"$ref": ref})


def test_served_document_is_the_repository_file(spec):
    with open(os.path.join(ROOT, "www", "openapi.json"), encoding="utf-8") as f:
        assert json.load(f) == spec, "the server does not serve www/openapi.json"


def test_document_is_what_the_generator_writes(tmp_path):
    """www/openapi.json is written by tools/openapi.py: they must agree."""
    out = tmp_path / "openapi.json"
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "openapi.py"),
                    str(out)], check=True, timeout=60)
    with open(os.path.join(ROOT, "www", "openapi.json"), "rb") as f:
        assert out.read_bytes() == f.read(), \
            "www/openapi.json differs from tools/openapi.py's output: regenerate it"


def test_operations_are_complete(spec):
    """Ids unique; every path parameter declared; statuses valid; a success each."""
    ids = []
    for path, item in spec["paths"].items():
        names = set(re.findall(r"\{([^/{}]+)\}", path))
        common = [resolve(spec, p) for p in item.get("parameters", [])]
        for m, op in item.items():
            if m not in HTTP_METHODS:
                continue
            where = "%s %s" % (m.upper(), path)
            ids.append(op.get("operationId"))
            params = common + [resolve(spec, p) for p in op.get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == names, "%s: path parameters %r, declared %r" % (
                where, sorted(names), sorted(declared))
            statuses = list(op["responses"])
            assert all(s == "default" or re.match(r"^[1-5][0-9][0-9]$", s)
                       for s in statuses), where
            assert any(s.startswith("2") for s in statuses), "%s: no success" % where
            for s, resp in op["responses"].items():
                resp = resolve(spec, resp)
                assert resp.get("description") is not None, "%s %s" % (where, s)
                if m != "options":
                    assert "X-Request-Id" in (resp.get("headers") or {}), \
                        "%s %s: X-Request-Id not documented" % (where, s)
    assert all(ids) and len(ids) == len(set(ids)), "operationIds missing or repeated"


def test_error_codes(spec):
    """(c) 5900-5913 in the error-code enum; every example agrees with its
    response (status) and with the enum."""
    error = resolve(spec, spec["components"]["schemas"]["Error"])
    enum = resolve(spec, error["properties"]["code"]).get("enum") or []
    missing = [c for c in MFA_CODES if c not in enum]
    assert not missing, "error codes not in the document's enum: %s" % missing
    bad = []
    for t in templates(spec):
        for method in t.ops:
            for status, resp in t.responses(method).items():
                for mt, vals in example_values(spec, resp).items():
                    for v in vals:
                        if isinstance(v, dict) and "errors" in v:
                            e = v["errors"][0]
                            if e["code"] not in enum:
                                bad.append("%s %s %s: code %s not in the enum" % (
                                    method, t.full, status, e["code"]))
                            want = "500" if status == "default" else status
                            if e["status"] != want:
                                bad.append("%s %s %s: example says status %s" % (
                                    method, t.full, status, e["status"]))
    assert not bad, "\n".join(sorted(set(bad)))


# --------------------------------------------------------------------------
# The whole suite: documented == exercised


def not_whole_suite():
    """Why (a) and (b) cannot judge this run, or None."""
    files = {f for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py")}
    missing = sorted(files - RUN["files"])
    if missing:
        return ("not the whole e2e suite (%d of %d test files not in this run, e.g. %s): "
                "(a)/(b) need every test's traffic; run pytest on tests/e2e" % (
                    len(missing), len(files), ", ".join(missing[:3])))
    if RUN["deselected"]:
        return ("%d tests deselected (-k/-m): (a)/(b) need every test's traffic"
                % RUN["deselected"])
    return None


def context():
    return "\n(this run: %d requests recorded, %d failed and %d skipped test reports " \
           "before this check)" % (len(TRAFFIC), RUN["failed"], RUN["skipped"])


def is_program_answer(t):
    return bool(t["headers"].get("x-request-id"))


def analyse(spec):
    """(exercised set, undocumented answers as lines: method, path template,
    status, what is wrong, how often, the first test that got it)."""
    tpls = templates(spec)
    exercised = set()
    problems = {}

    def gap(t, why):
        key = (t["method"], tpl.full if tpl else t["path"], t["status"], why)
        n, first = problems.get(key, (0, "%s, %s" % (t["source"], t["test"])))
        problems[key] = (n + 1, first)

    for t in TRAFFIC:
        if not is_program_answer(t):
            continue
        method, status, hdrs = t["method"], t["status"], t["headers"]
        tpl = match(tpls, t["path"])
        if tpl is None:
            if status != 404:
                gap(t, "no documented path matches")
            continue
        doc_method = "GET" if method == "HEAD" and "GET" in tpl.ops else method
        if doc_method not in tpl.ops:
            if status != 405:
                gap(t, "method not documented at %s" % tpl.full)
            elif hdrs.get("allow") != tpl.allow():
                gap(t, "Allow %r, document says %r" % (hdrs.get("allow"), tpl.allow()))
            continue
        responses = tpl.responses(doc_method)
        resp = responses.get(str(status))
        if resp is None and status == 500:     # "default": the undocumented failure
            resp = responses.get("default")
        if resp is None:
            gap(t, "status not documented for %s %s" % (doc_method, tpl.full))
            continue
        if method != "HEAD":
            exercised.add((tpl.prefix or "/", tpl.path, method, status))
        for h, hobj in (resp.get("headers") or {}).items():
            # Sent only on some answers (CORS, step-up: required false).
            if resolve(spec, hobj).get("required") is False:
                continue
            if h.lower() not in hdrs:
                gap(t, "documented header %s missing" % h)
        if t["json"] is None or method == "HEAD":
            if resp.get("content") and method != "HEAD":
                gap(t, "empty body, document has content")
            continue
        ctype = hdrs.get("content-type", "").replace(" ", "").lower()
        examples = example_values(spec, resp)
        if ctype not in examples:
            gap(t, "Content-Type %r not documented (%s)" % (ctype, sorted(examples)))
        elif not t["json"]:
            gap(t, "body is not JSON")
        elif t["error"] is not None:
            known = {error_key(v) for v in examples[ctype]}
            if t["error"] not in known:
                gap(t, "error %s not among the documented %s" % (
                    t["error"], sorted(k for k in known if k)))
    return exercised, ["%s %s %d: %s  (%dx; first: %s)" % (k + v)
                       for k, v in sorted(problems.items())]


def documented(spec):
    out = set()
    for t in templates(spec):
        for method, op in t.ops.items():
            for status in op["responses"]:
                if status != "default":
                    out.add((t.prefix or "/", t.path, method, int(status)))
    return out


def show(triples):
    return "\n".join("  %s %s%s %d" % (m, "" if srv == "/" else srv, p, s)
                     for srv, p, m, s in sorted(triples))


def test_every_documented_response_was_exercised(spec):
    """(a)"""
    why = not_whole_suite()
    if why:
        pytest.skip(why)
    exercised, _ = analyse(spec)
    missing = documented(spec) - exercised
    assert not missing, ("documented but not answered in this run (%d):\n%s"
                         % (len(missing), show(missing)) + context())


def test_every_exercised_response_is_documented(spec):
    """(b)"""
    why = not_whole_suite()
    if why:
        pytest.skip(why)
    _, problems = analyse(spec)
    assert not problems, ("answered but not documented (%d):\n  %s" % (
        len(problems), "\n  ".join(problems)) + context())
