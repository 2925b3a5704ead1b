"""A result the database server cuts off after it has sent the columns (a
Galera conflict aborting a statement while it sorts, a lock wait timeout in
a scan): the statement must be usable again at once on the same connection.
Connector/C leaves such a statement waiting for the rest of its rows, and
its next execute read from the idle server until db_read_timeout, lost the
connection and answered 503 110 (the cluster suite met it in 1 of 6 runs).

The test build's fault point "result-fails" runs, before the authentication
query, a statement whose result fails at its first row (a scalar subquery
of two rows, error 1242) twice on the request's connection; the request
then goes on as if nothing had happened."""

import os
import re

import pytest

from conftest import FAULT_FILE, log_since, log_size
from effects import unchanged_for
from mfa_helpers import (audit_rows, code_rows, fresh_code, get_types,
                         mfa_account, needs_db, patch_account)
from mfa_helpers import side  # noqa: F401 (fixture)

FAULT = FAULT_FILE
CUT_OFF = "error: database: result: Subquery returns more than 1 row"


@pytest.fixture(autouse=True)
def faults(fault_file):
    needs_db()


def log_lines_of(rid, offset):
    return [ln for ln in log_since(offset).splitlines()
            if re.search(r"\] %s " % rid, ln)]


def cut_off_twice(send):
    """Arms the fault point, sends, and checks that the request met two cut
    off results on its connection and nothing else went wrong."""
    off = log_size()
    with open(FAULT, "w") as f:
        f.write("result-fails\n")
    r = send()
    assert not os.path.exists(FAULT), "no request reached the fault point"
    lines = log_lines_of(r.headers["X-Request-Id"], off)
    assert [ln.split("] ", 1)[1].split(" ", 1)[1] for ln in lines] == \
        [CUT_OFF, CUT_OFF], lines
    return r


def test_a_read_after_two_cut_off_results_is_answered_in_full(side):
    c = mfa_account(side)
    want = get_types(c)
    assert want.status == 200, want.describe()
    with unchanged_for(c):
        r = cut_off_twice(lambda: get_types(c))
    assert r.status == 200, r.describe()
    assert r.json == want.json


def test_a_protected_write_after_two_cut_off_results_is_carried_out_once(side):
    c = mfa_account(side)
    code = fresh_code(c)
    audited, codes = len(audit_rows(c)), [state for state, _ in code_rows(c)]
    assert codes.count(0) == 1, codes   # the fresh one is live
    r = cut_off_twice(lambda: patch_account(c, code, first_name="AfterCutOff"))
    assert r.status == 200, r.describe()
    assert r.data["attributes"]["firstName"] == "AfterCutOff"
    assert [(a["action"], a["result"], a["error_code"])
            for a in audit_rows(c)[audited:]] == [("protected", "success", None)]
    # this request spent the code (mfa_codes.state 0 -> 1)
    assert [state for state, _ in code_rows(c)] == sorted(
        1 if s == 0 else s for s in codes), code_rows(c)
