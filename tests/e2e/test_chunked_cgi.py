"""A chunked body passed on without CONTENT_LENGTH (Apache's mod_cgi and
mod_proxy_fcgi do this): the program reads to the end of its input, within
the 64 KiB limit.  The program is run directly as plain CGI (RFC 3875)."""
import json
import os
import subprocess

import pytest

from conftest import INSTANCE, ROOT


def bin_dir():
    return os.environ.get("GLUE_BIN") or os.path.join(ROOT, "build", "test", "cgi-bin")


def run(body):
    if not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: no configuration for the programs")
    prog = os.path.join(bin_dir(), "access-tokens")
    env = {"PATH": "/usr/bin:/bin",
           "MFA_CONFIG": os.path.join(INSTANCE, "glue-mfa.conf"),
           "REQUEST_METHOD": "POST", "REQUEST_URI": "/access-tokens",
           "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
           "CONTENT_TYPE": "application/vnd.api+json",
           "HTTP_TRANSFER_ENCODING": "chunked"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([prog], input=body, env=env, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr[-500:]
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    status = int(head.split(b"\r\n")[0].split()[1])
    return status, json.loads(rest)


def test_chunked_body_without_length_is_read_to_the_end():
    body = json.dumps({"data": {"type": "access-tokens", "attributes": {
        "username": "sonia@example.com", "password": "change123"}}}).encode()
    status, doc = run(body)
    assert status == 201
    assert doc["data"]["type"] == "access-tokens"
    assert len(doc["data"]["attributes"]["accessToken"]) == 43


def test_chunked_body_at_the_limit_is_read_and_over_it_is_413():
    pad = b" " * (65536 - 2)
    status, doc = run(b"{" + pad + b"}")          # exactly 64 KiB: read, then 400 101
    assert status == 400
    assert doc == {"errors": [{"status": "400", "code": "101",
                               "detail": "Invalid or missing member.",
                               "source": {"pointer": "/data"}}]}
    status, doc = run(b"{" + pad + b" }")         # one byte over
    assert status == 413
    assert doc == {"errors": [{"status": "413", "code": "106",
                               "detail": "Request body too large."}]}
