"""GET /dev-mailbox lists the newest messages first, however many the spool
holds (the directory is read whole before the newest are picked)."""
import os

import pytest

from conftest import INSTANCE, api
from mfa_helpers import STOREFRONT, activate


def test_newest_message_first_in_a_crowded_spool():
    if not INSTANCE:
        pytest.skip("GLUE_INSTANCE not set: the spool is not reachable")
    spool = os.path.join(INSTANCE, "mail")
    old = []
    try:
        # Older than anything mail.c writes (their names sort first).
        for i in range(3000):
            name = os.path.join(spool, "%020d-%06d-1.eml" % (i + 1, 0))
            with open(name, "w") as f:
                f.write("To: old@example.com\r\nSubject: old\r\n\r\nold\r\n")
            old.append(name)
        acct = STOREFRONT.new_account()
        assert activate(acct).status == 204
        r = api("GET", "/dev-mailbox")
        assert r.status == 200
        data = r.json["data"]
        # The newest first: the code just sent, whatever else the spool holds
        # (files of other runs may be unreadable to a CGI program's user).
        assert 1 <= len(data) <= 100
        assert data[0]["attributes"]["to"] == acct.mail
        assert data[0]["attributes"]["subject"] == "Verification Code for Secure Access"
        names = [d["id"] for d in data]
        assert names == sorted(names, reverse=True)
        assert names[0] == max(n for n in os.listdir(spool) if n.endswith(".eml"))
    finally:
        for name in old:
            os.unlink(name)
