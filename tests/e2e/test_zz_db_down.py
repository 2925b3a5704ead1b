"""The database goes away and comes back (contract §7.4). Runs last: it stops the DB."""

import os
import subprocess
import time

import pytest

from conftest import (D_UNAVAILABLE, INSTANCE, ROOT, api, assert_error, doc, login,
                      new_customer)

pytestmark = pytest.mark.skipif(not INSTANCE, reason="GLUE_INSTANCE not set")


def instance(cmd):
    env = dict(os.environ, GLUE_INSTANCE=INSTANCE)
    out = subprocess.run([os.path.join(ROOT, "tools", "instance.sh"), cmd], env=env,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, "instance.sh %s failed:\n%s\n%s" % (
        cmd, out.stdout.decode(), out.stderr.decode())


def unavailable(r):
    assert_error(r, 503, "110", D_UNAVAILABLE)
    assert r.elapsed < 2.0, "503 took %.2f s" % r.elapsed + r.describe()


def test_db_down_then_back():
    c = new_customer().signed_in()
    instance("db-stop")
    try:
        for _ in range(2):   # twice: the second request meets the lost connection too
            t0 = time.monotonic()
            unavailable(login(c.email, c.password, timeout=10))
            assert time.monotonic() - t0 < 2.0
            t0 = time.monotonic()
            unavailable(api("GET", c.path, token=c.access, timeout=10))
            assert time.monotonic() - t0 < 2.0
        t0 = time.monotonic()
        unavailable(api("PATCH", c.path, doc("customers", {"firstName": "X"}),
                        token=c.access, timeout=10))
        assert time.monotonic() - t0 < 2.0
    finally:
        instance("db-start")
    # Back without restarting the web server (retry for up to 10 s).
    deadline = time.monotonic() + 10
    while True:
        r1 = login(c.email, c.password)
        r2 = api("GET", c.path, token=c.access)
        if (r1.status, r2.status) == (201, 200) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert r1.status == 201, r1.describe()
    assert r2.status == 200, r2.describe()
    assert r2.data["id"] == c.ref
