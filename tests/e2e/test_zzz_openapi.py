"""www/openapi-storefront.json and www/openapi-backend.json against the live
server and this run's traffic (runs last).

The two documents (one per API, each with its one server at the top) are
fetched from the server (GLUE_BASE_URL/openapi-storefront.json, ...). Every
answer the suite received is in conftest.TRAFFIC. An answer counts as the
programs' when it carries X-Request-Id; the web server's own answers (its 413,
411 and 400 pages, static files) have none and are left out.

Each recorded request is mapped to a path template of a document: a path
under /backend to the templates of the Backend document (server /backend),
any other to those of the Storefront document (/); {param} matches one
segment. OPTIONS is no operation of the documents: each path's `x-options`
gives its answer. Then, when the whole suite ran:
  (a) every documented (server, path, method, status) was answered at least
      once in this run ("default" is the undocumented-500 catch-all: no status);
  (b) every answer of the programs is documented: its status under that path
      and method, its error code among the response's examples, its media type
      and the response's required headers present (a header marked required:
      false is sent only on some answers: CORS, WWW-Authenticate of a step-up). HEAD is checked against
      GET's responses; a method a path does not serve must be 405 with an Allow
      of exactly the documented methods (OPTIONS: 204 with that Allow); a path
      no template matches must be 404; a 500 must match the "default" response
      (code 111).
(c) Every code 5900-5913 is in the error-code enum, and every example is
consistent with the response that uses it (always checked).
(d) Every body the programs answered, in this run whatever ran of the suite,
is valid against the schema of its documented response (python3-jsonschema,
the OpenAPI 3.0 schema read as JSON Schema draft 7: `nullable` as a type
"null"; no member that an object schema does not list; a required
attribute may be absent where the request named a sparse fieldset); an error body's
`status` is the HTTP status; every documented header that came with it is
valid against the header's schema.
"""

import json
import os
import re
import subprocess
from urllib.parse import urlsplit, unquote

import jsonschema
import pytest
import requests

from conftest import BASE, ROOT, RUN, TIMEOUT, TRAFFIC

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ALLOW_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MFA_CODES = [str(c) for c in range(5900, 5914)]
HERE = os.path.dirname(os.path.abspath(__file__))
DOC_FILES = ("openapi-storefront.json", "openapi-backend.json")


# --------------------------------------------------------------------------
# The document


def fetch_document(name):
    r = requests.get(BASE + "/" + name, timeout=TIMEOUT)
    assert r.status_code == 200, "GET /%s: %d" % (name, r.status_code)
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip() == "application/json", ctype
    try:
        return json.loads(r.content.decode("utf-8"))
    except ValueError as e:
        pytest.fail("/%s is not JSON: %s" % (name, e))


@pytest.fixture(scope="module")
def specs():
    """{file name: document}, as the server serves them."""
    return {name: fetch_document(name) for name in DOC_FILES}


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
        self.options = (item.get("x-options") or {}).get("responses") or {}
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
        if method == "OPTIONS" and op is None:
            return {k: resolve(self.doc, v) for k, v in self.options.items()}
        return {k: resolve(self.doc, v) for k, v in op["responses"].items()} if op else {}

    def allow(self):
        ms = set(self.ops) | {"OPTIONS"} | ({"HEAD"} if "GET" in self.ops else set())
        return ", ".join(m for m in ALLOW_ORDER if m in ms)


def templates(specs):
    """The templates of every document (each under its top-level server)."""
    out = []
    for doc in specs.values():
        top = doc.get("servers") or [{"url": "/"}]
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


def test_documents_are_openapi_3_one_server_each(specs):
    """One document per API: its one server at the top, none on a path or an
    operation (generated clients take the top-level server)."""
    prefixes = []
    for name, spec in specs.items():
        assert re.match(r"^3\.[01]\.\d+$", str(spec.get("openapi", ""))), \
            (name, spec.get("openapi"))
        assert spec["info"]["title"] and spec["info"]["version"], name
        assert spec["info"].get("license", {}).get("name"), name
        assert len(spec["servers"]) == 1, (name, spec["servers"])
        prefixes.append(server_prefix(spec["servers"][0]["url"]))
        assert spec["paths"], "%s: no paths" % name
        for path, item in spec["paths"].items():
            assert "servers" not in item, "%s %s: path-level servers" % (name, path)
            for m, op in item.items():
                if m in HTTP_METHODS:
                    assert "servers" not in op, "%s %s %s: servers" % (name, m, path)
                    assert m != "options", "%s %s: OPTIONS is x-options" % (name, path)
            assert (item.get("x-options") or {}).get("responses"), \
                "%s %s: no x-options" % (name, path)
            t = Template(spec, "", path, item)
            assert item["x-options"].get("allow") == t.allow(), \
                "%s %s: x-options allow %r, the operations say %r" % (
                    name, path, item["x-options"].get("allow"), t.allow())
        for ref in all_refs(spec):
            resolve(spec, {"$ref": ref})
    assert prefixes == ["", "/backend"], prefixes


def test_served_documents_are_the_repository_files(specs):
    for name, spec in specs.items():
        with open(os.path.join(ROOT, "www", name), encoding="utf-8") as f:
            assert json.load(f) == spec, "the server does not serve www/" + name


def test_documents_are_what_the_generator_writes(tmp_path):
    """www/openapi-*.json are written by tools/openapi.py: they must agree."""
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "openapi.py"),
                    str(tmp_path)], check=True, timeout=60)
    assert sorted(os.listdir(tmp_path)) == sorted(DOC_FILES)
    for name in DOC_FILES:
        with open(os.path.join(ROOT, "www", name), "rb") as f:
            assert (tmp_path / name).read_bytes() == f.read(), \
                "www/%s differs from tools/openapi.py's output: regenerate it" % name
    assert not os.path.exists(os.path.join(ROOT, "www", "openapi.json")), \
        "www/openapi.json: the one-document description is gone (one per API)"


@pytest.mark.parametrize("name", DOC_FILES)
def test_operations_are_complete(specs, name):
    """Ids unique; every path parameter declared; statuses valid; a success each."""
    spec = specs[name]
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


@pytest.mark.parametrize("name", DOC_FILES)
def test_error_codes(specs, name):
    """(c) 5900-5913 in the error-code enum; every example agrees with its
    response (status) and with the enum."""
    spec = specs[name]
    error = resolve(spec, spec["components"]["schemas"]["Error"])
    enum = resolve(spec, error["properties"]["code"]).get("enum") or []
    missing = [c for c in MFA_CODES if c not in enum]
    assert not missing, "error codes not in the document's enum: %s" % missing
    bad = []
    for t in templates({name: spec}):
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


def analyse(specs):
    """(exercised set, undocumented answers as lines: method, path template,
    status, what is wrong, how often, the first test that got it)."""
    tpls = templates(specs)
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
        if method == "OPTIONS" and hdrs.get("allow") != tpl.allow():
            gap(t, "Allow %r, document says %r" % (hdrs.get("allow"), tpl.allow()))
        if doc_method not in tpl.ops and doc_method != "OPTIONS":
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
        for h, hd in (resp.get("headers") or {}).items():
            if resolve(tpl.doc, hd).get("required") and h.lower() not in hdrs:
                gap(t, "documented header %s missing" % h)
        if t["json"] is None or method == "HEAD":
            if resp.get("content") and method != "HEAD":
                gap(t, "empty body, document has content")
            continue
        ctype = hdrs.get("content-type", "").replace(" ", "").lower()
        examples = example_values(tpl.doc, resp)
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


def documented(specs):
    out = set()
    for t in templates(specs):
        for method in list(t.ops) + ["OPTIONS"]:
            for status in t.responses(method):
                if status != "default":
                    out.add((t.prefix or "/", t.path, method, int(status)))
    return out


def show(triples):
    return "\n".join("  %s %s%s %d" % (m, "" if srv == "/" else srv, p, s)
                     for srv, p, m, s in sorted(triples))


def test_every_documented_response_was_exercised(specs):
    """(a)"""
    why = not_whole_suite()
    if why:
        pytest.skip(why)
    exercised, _ = analyse(specs)
    missing = documented(specs) - exercised
    assert not missing, ("documented but not answered in this run (%d):\n%s"
                         % (len(missing), show(missing)) + context())


def test_every_exercised_response_is_documented(specs):
    """(b)"""
    why = not_whole_suite()
    if why:
        pytest.skip(why)
    _, problems = analyse(specs)
    assert not problems, ("answered but not documented (%d):\n  %s" % (
        len(problems), "\n  ".join(problems)) + context())


# --------------------------------------------------------------------------
# (d) Bodies and header values against the schemas (whatever part ran)

# OpenAPI 3.0 keywords that JSON Schema does not have, or has otherwise.
OAS_ONLY = ("nullable", "example", "discriminator", "xml", "externalDocs",
            "deprecated")


def json_schema(doc, node, depth=0):
    """An OpenAPI 3.0 schema as a JSON Schema (draft 7): $refs inlined,
    `nullable: true` as the type "null" (and null in an enum). An object
    schema that lists its properties and says nothing of others admits no
    others here: a member the programs send must be documented (a client
    may ignore members it does not know; the document may not omit them)."""
    assert depth < 64, "schema nesting too deep (a recursive schema?)"
    node = resolve(doc, node)
    if isinstance(node, list):
        return [json_schema(doc, v, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in OAS_ONLY:
            continue
        if k in ("properties", "patternProperties"):
            out[k] = {n: json_schema(doc, s, depth + 1) for n, s in v.items()}
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            out[k] = json_schema(doc, v, depth + 1)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [json_schema(doc, s, depth + 1) for s in v]
        else:
            out[k] = v
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    return out


class Validators:
    """One compiled validator per (document, schema node)."""

    def __init__(self):
        self.cache = {}

    def errors(self, doc, schema, instance):
        key = (id(doc), id(schema))    # the documents live as long as the run
        v = self.cache.get(key)
        if v is None:
            s = json_schema(doc, schema)
            jsonschema.Draft7Validator.check_schema(s)
            v = jsonschema.Draft7Validator(s, format_checker=jsonschema.FormatChecker())
            self.cache[key] = v
        return sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))


def where(err):
    p = "/".join(str(x) for x in err.absolute_path)
    return "/" + p if p else "(the body)"


def header_value(schema, raw):
    if (schema or {}).get("type") == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


def check_bodies(specs):
    """(answers checked, problem lines: method, path template, status, what
    is wrong, how often, the first test that got it)."""
    tpls = templates(specs)
    vals = Validators()
    problems = {}
    checked = 0

    for t in TRAFFIC:
        if not is_program_answer(t) or t["method"] == "HEAD":
            continue
        tpl = match(tpls, t["path"])
        if tpl is None:
            continue
        responses = tpl.responses(t["method"])
        resp = responses.get(str(t["status"]))
        if resp is None and t["status"] == 500:
            resp = responses.get("default")
        if resp is None:
            continue                   # (b) reports it

        def gap(why):
            key = (t["method"], tpl.full, t["status"], why)
            n, first = problems.get(key, (0, "%s, %s" % (t["source"], t["test"])))
            problems[key] = (n + 1, first)

        for h, hd in (resp.get("headers") or {}).items():
            hd = resolve(tpl.doc, hd)
            raw = t["headers"].get(h.lower())
            if raw is not None and hd.get("schema"):
                for e in vals.errors(tpl.doc, hd["schema"],
                                     header_value(resolve(tpl.doc, hd["schema"]), raw)):
                    gap("header %s %r: %s" % (h, raw, e.message))
        if not t["body"]:
            continue
        ctype = t["headers"].get("content-type", "").replace(" ", "").lower()
        media = {k.replace(" ", "").lower(): v
                 for k, v in (resp.get("content") or {}).items()}
        if ctype not in media or "schema" not in media[ctype]:
            continue                   # (b) reports it
        try:
            body = json.loads(t["body"].decode("utf-8"))
        except ValueError:
            gap("body is not JSON")
            continue
        checked += 1
        # Sparse fieldsets (contract §10.10): the attributes a fields[TYPE]
        # left out are absent, so a missing required attribute is not a gap.
        sparse = "fields[" in unquote(t.get("query") or "")
        errs = [e for e in vals.errors(tpl.doc, media[ctype]["schema"], body)
                if not (sparse and e.validator == "required" and
                        list(e.absolute_path)[-1:] == ["attributes"])]
        for e in errs[:3]:
            gap("body %s: %s" % (where(e), e.message[:300]))
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            for e in body["errors"]:
                if isinstance(e, dict) and e.get("status") != str(t["status"]):
                    gap("errors[].status %r is not the HTTP status" % e.get("status"))
    return checked, ["%s %s %d: %s  (%dx; first: %s)" % (k + v)
                     for k, v in sorted(problems.items())]


def test_every_body_matches_its_schema(specs):
    """(d) Every body answered in this run against its response's schema."""
    checked, problems = check_bodies(specs)
    if not checked:
        pytest.skip("no answer with a body recorded in this run")
    assert not problems, ("bodies or header values not matching the documents "
                          "(%d kinds, %d bodies checked):\n  %s" % (
                              len(problems), checked, "\n  ".join(problems))
                          + context())
