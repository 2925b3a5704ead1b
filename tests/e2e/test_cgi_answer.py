"""Plain CGI: a request that queued no notice closes its standard output as
soon as its answer is whole (io_answered() in src/io.c), so the web server
sends the answer while the process does what follows it (the outbox's look,
the database's quit, the exit) rather than after.  The test build's fault
point cgi-answered kills the program right there; the answer is whole all
the same, and nothing changed.  A request that queued a notice hands it over
before its answer (the mail is in the spool when the answer arrives): the
notification tests, which read the spool right after the answer, run under
plain CGI too (tools/test.sh, step 6)."""

import os

import pytest

import cgi_helpers
from conftest import INSTANCE
from effects import customer_id_of, unchanged



@pytest.fixture
def fault(fault_file):
    return fault_file


def conf():
    return os.path.join(INSTANCE, "glue-mfa.conf")


def without_links(doc):
    """The document with every "links" member removed (the program run
    directly names another host than the server)."""
    if isinstance(doc, dict):
        return {k: without_links(v) for k, v in doc.items() if k != "links"}
    if isinstance(doc, list):
        return [without_links(v) for v in doc]
    return doc


def test_answer_is_whole_before_the_work_after_it(customer, fault):
    # The answer to compare with, from a program run here, which has ended
    # when run() returns: under the plain CGI pass a process the web server
    # started (the fixture's sign-in) may still be after its answer, and
    # would reach cgi-answered first if the file were already there.
    want = cgi_helpers.run(conf(), "GET", "/multi-factor-auth-types",
                           token=customer.access)
    assert want.status == 200, want.describe()
    with open(fault, "w") as f:
        f.write("cgi-answered\n")
    with unchanged(account_id=customer_id_of(customer.email)):
        a = cgi_helpers.run(conf(), "GET", "/multi-factor-auth-types",
                            token=customer.access, returncode=-9)
    assert not os.path.exists(fault), "the program did not reach cgi-answered"
    assert a.status == 200, a.describe()
    assert a.headers["content-type"] == "application/vnd.api+json", a.describe()
    assert without_links(a.json) == without_links(want.json), a.describe()
    assert a.json["links"]["self"] == "http://127.0.0.1/multi-factor-auth-types"


def test_a_request_without_the_fault_ends_normally(customer, fault):
    with unchanged(account_id=customer_id_of(customer.email)):
        a = cgi_helpers.run(conf(), "GET", "/multi-factor-auth-types",
                            token=customer.access)
    assert a.status == 200, a.describe()
    assert a.json["links"]["self"] == "http://127.0.0.1/multi-factor-auth-types"
