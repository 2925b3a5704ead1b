"""Hostile and broken input: never a 500, never a hang, always JSON:API errors
unless the web server itself answered."""

import contextlib
import json
import socket

import pytest

from conftest import (D_MALFORMED, JSONAPI, api, assert_error, assert_member,
                      assert_validation, check_raw_jsonapi_error, customer_attrs,
                      db_available, db_query, doc, new_customer, raw_request, register)
from effects import login_failure_counted, unchanged


def customer_id(c):
    rows = db_query("SELECT id FROM customers WHERE email = '%s'" % c.email)
    assert len(rows) == 1, rows
    return int(rows[0][0])


@contextlib.contextmanager
def untouched(c=None):
    """A refusal: nothing changes (effects.unchanged), for customer c or for
    no account in particular (global counts, login failures, mail, audit)."""
    with unchanged(side="storefront",
                   account_id=None if c is None else customer_id(c)):
        yield


def malformed(r):
    assert_error(r, 400, "100", D_MALFORMED)


def refused_registration(raw):
    """POST /customers with raw bytes: 400 100, and no account."""
    with untouched():
        malformed(api("POST", "/customers", data=raw))


# ---------------------------------------------------------------- malformed JSON

GOOD = json.dumps(doc("customers", customer_attrs())).encode()

MALFORMED = [
    b"{",
    b"}",
    b'{"data":',
    b'{"data":{"type":"customers"',
    b'{"data":{"type":"customers",}}',
    b"{'data':{}}",
    b'{"data":{"type":customers}}',
    b'{"data" {"type":"customers"}}',
    b'{"data":{"type":"customers"}}}',
    b'{"data":{"type":"customers"}} x',
    b'{"data":{"type":"customers"}}{"data":{}}',
    b'{"data":{"type":"\\x41"}}',
    b'{"data":{"type":"\\u12"}}',
    b'{"a":01}',
    b'{"a":1.}',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":tru}',
    b"\xef\xbb\xbf",
    b"/* c */ {}",
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_json_is_400_100(raw):
    refused_registration(raw)


@pytest.mark.parametrize("cut", [1, 10, len(GOOD) // 2, len(GOOD) - 1])
def test_truncated_json_is_400_100(cut):
    refused_registration(GOOD[:cut])


def test_nul_escape_in_string_is_400_100():
    raw = GOOD.replace(b'"Erika"', b'"Eri\\u0000ka"')
    assert raw != GOOD
    refused_registration(raw)


@pytest.mark.parametrize("ch", [b"\x00", b"\x01", b"\x1f", b"\n", b"\t"])
def test_raw_control_char_in_string_is_400_100(ch):
    raw = GOOD.replace(b'"Erika"', b'"Eri' + ch + b'ka"')
    assert raw != GOOD
    refused_registration(raw)


@pytest.mark.parametrize("bad", [
    b"\xff", b"\xc3", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\x80", b"\xf8\x88\x80\x80\x80",
])
def test_invalid_utf8_is_400_100(bad):
    raw = GOOD.replace(b'"Erika"', b'"Eri' + bad + b'ka"')
    assert raw != GOOD
    refused_registration(raw)


def test_invalid_utf8_outside_strings_is_400_100():
    refused_registration(b"\xff" + GOOD)


def _nested(depth_total):
    """A PATCH /customers body whose deepest point is `depth_total` containers
    (the document object counts 1, data 2, attributes 3)."""
    arrays = depth_total - 3
    pad = "[" * arrays + "]" * arrays
    return ('{"data":{"type":"customers","attributes":{"firstName":"Deep",'
            '"pad":%s}}}' % pad).encode()


def test_nesting_16_accepted_17_rejected(clock):
    c = new_customer().signed_in()
    r = api("PATCH", c.path, data=_nested(16), token=c.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["firstName"] == "Deep"
    clock(100)      # a write in the same second as the 200 could not be seen
    for depth in (17, 1000):
        with untouched(c):
            malformed(api("PATCH", c.path,
                          data=_nested(depth).replace(b"Deep", b"Deeper"),
                          token=c.access))
    g = api("GET", c.path, token=c.access)
    assert g.data["attributes"]["firstName"] == "Deep", g.describe()


def test_deep_nesting_of_objects_is_400_100():
    refused_registration(b'{"a":' * 5000 + b"1" + b"}" * 5000)


def test_huge_unclosed_nesting_is_400_100():
    refused_registration(b"[" * 60000)


# ---------------------------------------------------------------- types, fields

@pytest.mark.parametrize("field,value", [
    ("firstName", 5), ("firstName", 1.5), ("firstName", False), ("firstName", []),
    ("lastName", {}), ("email", 0), ("acceptedTerms", "true"), ("acceptedTerms", 0),
])
def test_wrong_types_are_400_101(field, value):
    with untouched():
        assert_member(register(**{field: value}), "/data/attributes/" + field)


@pytest.mark.parametrize("name", ["Erika\r\nBcc: evil@example.com", "Erika\n",
                                  "\rErika", "Er\u2028ika\n"])
def test_cr_lf_in_names_is_422(name):
    with untouched():
        assert_validation(register(firstName=name), "firstName")
        assert_validation(register(lastName=name), "lastName")


def test_fields_at_the_limit_and_one_over():
    r = register(firstName="F" * 100, lastName="L" * 100)
    assert r.status == 201, r.describe()
    with untouched():
        assert_validation(register(firstName="F" * 101), "firstName")
        assert_validation(register(lastName="L" * 101), "lastName")
    assert r.data["attributes"]["firstName"] == "F" * 100


def test_very_long_string_is_rejected_cleanly():
    with untouched():
        assert_validation(register(firstName="F" * 60000), "firstName")


SQLISH = [
    "O'Brien\"; DROP TABLE customers;--",
    "Robert'); DELETE FROM customers WHERE ('1'='1",
    "\\'; SELECT SLEEP(5);#",
    "100% _wild_ %%",
    "back\\slash \\\\ \\0 \\n",
    "Zo\u00eb \u65e5\u672c",
    "emoji \U0001F600 \U0001F1E9\U0001F1EA",
    "<script>alert(1)</script>&amp;",
    "`tick` ${x} $(id)",
]


@pytest.mark.parametrize("value", SQLISH)
def test_meta_characters_stored_verbatim(value):
    tables_before = _tables()
    c = new_customer(lastName=value, firstName=value[:100])
    assert c.resp.data["attributes"]["lastName"] == value
    c.signed_in()
    g = api("GET", c.path, token=c.access)
    assert g.status == 200, g.describe()
    assert g.data["attributes"]["lastName"] == value
    assert g.data["attributes"]["firstName"] == value[:100]
    r = api("PATCH", c.path, doc("customers", {"firstName": value}), token=c.access)
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["firstName"] == value
    assert _tables() == tables_before


def test_sql_in_email_login_is_just_a_failure(login_failures_cleared):
    # A failed sign-in of an unknown address: counted (the address and the
    # client, contract §3.1) and audited, nothing else.
    with unchanged(side="storefront", audit=[("login", "failure", "003")],
                   changes=login_failure_counted()):
        r = api("POST", "/access-tokens",
                doc("access-tokens", {"username": "' OR '1'='1' -- @example.com",
                                      "password": "' OR '1'='1"}))
        assert_error(r, 401, "003", "Failed to authenticate user.")


def _tables():
    if not db_available():
        return None
    return db_query("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema='glue_mfa' ORDER BY table_name")


# ---------------------------------------------------------------- framing

def test_body_without_content_length_or_chunking():
    """Bytes after the header block with no framing are no body (RFC 9112 §6.3):
    the program sees an empty body and says so; never 500, never a hang."""
    with untouched():
        status, headers, body = raw_request(
            "POST", "/customers", GOOD, headers={"Content-Type": JSONAPI},
            timeout=5)
        e = check_raw_jsonapi_error(status, headers, body, {400, 411, 413})
    if e is not None and status == 400:
        assert e == {"status": "400", "code": "101", "detail": "Invalid or missing member.",
                     "source": {"pointer": "/data"}}


def test_chunked_body():
    """A chunked body: the web server may de-chunk and pass it on (201) or refuse
    it (JSON:API 400/411/413, or its own bare answer); never 500, never a hang."""
    chunks = b""
    data = json.dumps(doc("customers", customer_attrs())).encode()
    for i in range(0, len(data), 50):
        part = data[i:i + 50]
        chunks += b"%x\r\n%s\r\n" % (len(part), part)
    chunks += b"0\r\n\r\n"
    status, headers, body = raw_request(
        "POST", "/customers", chunks,
        headers={"Content-Type": JSONAPI, "Transfer-Encoding": "chunked"}, timeout=5)
    if status == 201:
        assert headers.get("content-type") == JSONAPI
        assert json.loads(body)["data"]["type"] == "customers"
    else:
        check_raw_jsonapi_error(status, headers, body, {400, 411, 413})


def test_content_length_larger_than_body():
    """Content-Length promises more than is sent, then the client closes its
    write side: within 5 s a 4xx (JSON:API if from the program) or a plain close;
    never a 5xx, never a hang."""
    with untouched():
        try:
            status, headers, body = raw_request(
                "POST", "/customers", GOOD[:40],
                headers={"Content-Type": JSONAPI, "Content-Length": str(len(GOOD))},
                shutdown_write=True, timeout=5)
        except socket.timeout:
            pytest.fail("no answer and no close within 5 s")
        if status is not None:  # else the server closed: acceptable, not a hang
            check_raw_jsonapi_error(status, headers, body, set(range(400, 500)))


def test_server_still_healthy_after_framing_abuse():
    c = new_customer().signed_in()
    r = api("GET", c.path, token=c.access)
    assert r.status == 200, r.describe()


@pytest.mark.parametrize("cl", ["-1", "abc", "99999999999999999999"])
def test_bad_content_length_header(cl):
    with untouched():
        status, headers, body = raw_request(
            "POST", "/customers", GOOD,
            headers={"Content-Type": JSONAPI, "Content-Length": cl}, timeout=5)
        assert status is None or 400 <= status < 500, (status, headers, body[:200])
        if status is not None:
            check_raw_jsonapi_error(status, headers, body, set(range(400, 500)))
