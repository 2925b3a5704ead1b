"""Step-up signalling (contract §10.3, RFC 9470): every 403 5900 and 5901 of a
route authenticated by a bearer token also carries WWW-Authenticate: Bearer
error="insufficient_user_authentication" with a description, on both sides:
the protected resources' (the MFA guard) and the MFA resources' own. A
client library reacts without parsing the body: it gets a code (trigger, an
app, a recovery code) and sends the same request again with X-MFA-Code.
Refusals change nothing but the audit row (and the counted wrong code)."""

from conftest import api, doc
from mfa_helpers import (activation_code, assert_204, assert_5900, assert_5901,
                         deactivate, enable_mfa, fresh_code, patch_account,
                         refused, verify, wrong)
from mfa_helpers import account, side  # noqa: F401 (fixtures)

WWW_5900 = ('Bearer error="insufficient_user_authentication", '
            'error_description="A second factor is required: send a code in X-MFA-Code"')
WWW_5901 = ('Bearer error="insufficient_user_authentication", '
            'error_description="The code in X-MFA-Code is not valid"')


def assert_step_up(r, code):
    if code == "5900":
        assert_5900(r)
        assert r.headers.get("WWW-Authenticate") == WWW_5900, r.describe()
    else:
        assert_5901(r)
        assert r.headers.get("WWW-Authenticate") == WWW_5901, r.describe()


def test_protected_write_signals_step_up_and_the_retry_passes(account):
    c = account
    enable_mfa(c)
    with refused(c, "protected", "5900"):
        assert_step_up(patch_account(c, first_name="NoCode"), "5900")
    t = fresh_code(c)
    with refused(c, "protected", "5901", counted=1):
        assert_step_up(patch_account(c, wrong(t), first_name="Wrong"), "5901")
    # The client's reaction: the same request again, with a code.
    r = patch_account(c, t, first_name="Stepped")
    assert r.status == 200, r.describe()
    assert "WWW-Authenticate" not in r.headers, r.describe()


def test_malformed_code_is_5901_with_the_challenge(account):
    enable_mfa(account)
    with refused(account, "protected", "5901", counted=1):
        assert_step_up(patch_account(account, "abc"), "5901")


def test_mfa_resources_own_refusals_carry_it(account):
    """Deactivate without a code (5900), verify with a wrong one (5901)."""
    c = account
    code = activation_code(c)
    with refused(c, "verify", "5901", counted=1):
        assert_step_up(verify(c, wrong(code)), "5901")
    assert_204(verify(c, code))
    with refused(c, "deactivate", "5900"):
        assert_step_up(deactivate(c, None), "5900")


def test_other_403s_carry_no_bearer_challenge(account, customer):
    c = account
    r = api("GET", c.path)                       # no token: 403 002
    assert r.status == 403 and "WWW-Authenticate" not in r.headers, r.describe()
    other = "/customers/" + customer.ref
    r = api("GET", other, token=c.access) if c.side.name == "storefront" else \
        api("GET", "/customers/DE--1", token=customer.access)
    assert r.status == 403 and "WWW-Authenticate" not in r.headers, r.describe()


def test_sign_in_is_no_bearer_route(customer):
    """Without a token there is no bearer authentication to step up."""
    r = api("POST", "/access-tokens",
            doc("access-tokens", {"username": customer.email,
                                  "password": customer.password}))
    assert r.status == 201 and "WWW-Authenticate" not in r.headers, r.describe()
