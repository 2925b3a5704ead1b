#!/usr/bin/python3
"""Writes www/openapi-storefront.json and www/openapi-backend.json: the
OpenAPI 3 description of each API, one document per API with its server at
the top (the end of this file builds both from the same tables).

Every error response lists the codes it can carry as `examples` keyed by the
code, each the exact body the programs write (src/jsonapi.c).

Edit this file, never the JSON, then run /usr/bin/python3 tools/openapi.py
(or tools/openapi.py DIR: the two files into DIR); tests/e2e/test_zzz_openapi.py
checks that they agree and that the live server answers exactly what the
documents say (bodies against the schemas included); `make lint` lints them.
"""
import json
import sys

SF = {"url": "/", "description": "Storefront API (customers)"}
BE = {"url": "/backend", "description": "Backend API (back-office users)"}

JSONAPI = "application/vnd.api+json"
OAUTH_CT = "application/json;charset=UTF-8"
FORM = "application/x-www-form-urlencoded"

# ---------------------------------------------------------------------------
# Error codes: (status, detail, source, meaning)

CODES = {
    "001": (401, "Invalid access token.", None,
            "The bearer token is malformed, unknown, expired or revoked, or belongs to the other API."),
    "002": (403, "Missing access token.", None,
            "No `Authorization` header on a route that needs a token."),
    "003": (401, "Failed to authenticate user.", None,
            "Wrong password or unknown e-mail (the same answer and the same Argon2id work for both)."),
    "004": (401, "Failed to refresh token.", None,
            "The refresh token is unknown, expired, revoked or already rotated."),
    "100": (400, "Malformed request body.", None,
            "Invalid JSON or UTF-8, a NUL or raw control character in a string, nesting deeper than 16, text after the document, or a body shorter than its `Content-Length`."),
    "101": (400, "Invalid or missing member.", {"pointer": "/data/attributes"},
            "`data`, `data.type` or `data.attributes` is missing, or a member has the wrong JSON type; `source.pointer` names it."),
    "102": (409, "Resource type does not match the endpoint.", {"pointer": "/data/type"},
            "`data.type` is not the endpoint's resource type."),
    "103": (404, "Resource not found.", None,
            "Unknown path under a resource (also: an MFA type that is not offered, and `/dev-mailbox` while it is off)."),
    "104": (405, "Method not allowed.", None,
            "The path does not serve the method; `Allow` lists what it serves."),
    "105": (406, "Not acceptable.", None,
            "`Accept` admits neither `application/vnd.api+json` nor `application/json`, or every `application/vnd.api+json` range in it has a parameter other than `ext` and `profile` (`charset` included) or an `ext` (no extension is supported): JSON:API 1.1, contract §10.2."),
    "106": (413, "Request body too large.", None,
            "The body is over 64 KiB (the web server may refuse it first with its own 413)."),
    "107": (415, "Unsupported media type.", None,
            "The body is neither `application/vnd.api+json` (parameter `profile` only, ignored; an `ext` naming an extension is refused, none is supported: contract §10.2) nor `application/json` (`charset=utf-8` only)."),
    "125": (400, "Duplicate member name: a member may appear only once in an object.",
            {"pointer": "/data/attributes/password"},
            "A member name given twice in one object, at any depth (parsers disagree on which one counts); `source.pointer` names the second (contract §10.2)."),
    "110": (503, "Service temporarily unavailable.", None,
            "The database is down, does not answer within `db_read_timeout` / `db_connect_timeout` (2 s), or a unit of work kept meeting deadlocks or lock waits (contract §9.1, §9.2); `Retry-After`."),
    "118": (503, "Service temporarily unavailable. The request may have been carried out.", None,
            "The connection to the database was lost after the request's COMMIT went out and before its answer: the work may or may not be stored. Retry with the same `Idempotency-Key` (contract §9.2, §9.6); `Retry-After`."),
    "111": (500, "Internal server error.", None,
            "Anything unexpected; the cause goes to the log only."),
    "113": (429, "Too many failed login attempts. Please try again later.", None,
            "Sign-in limits (contract §3.6): too many failures from the client address, of the account from this address, of the account (100), or a delay after the account's 5th failure; sign-in and current-password checks alike; `Retry-After`."),
    "114": (429, "Too many sign-ups. Please try again later.", None,
            "More than `signup_limit_per_address` sign-ups from the client address in an hour, or `signup_limit_global` over all addresses in a minute; checked before any password hashing; `Retry-After`."),
    "115": (400, "Invalid Idempotency-Key header.", {"header": "Idempotency-Key"},
            "`Idempotency-Key` on a `POST` is not 16 to 128 characters of letters, digits and `-_.:~+/=` (optionally quoted, as a structured-field string)."),
    "116": (422, "Idempotency-Key was already used for a different request.", {"header": "Idempotency-Key"},
            "The key's stored answer (within `idempotency_window`) is of another request body; nothing is done."),
    "117": (409, "A request with this Idempotency-Key is still in progress.", {"header": "Idempotency-Key"},
            "Another request with the key is under way and did not end within 3 seconds; `Retry-After`."),
    "135": (400, "Query parameter is not supported.", {"parameter": "include"},
            "`include`, `sort`, `filter[...]`, any other query parameter named in a-z only (JSON:API keeps those names), a `page[...]` member other than `offset` and `limit`, or `page[...]` where the resource is not a paged collection (contract §10.10); `source.parameter` names it."),
    "136": (400, "Invalid page parameter.", {"parameter": "page[limit]"},
            "`page[offset]` is not 0 to 999999999 in digits, `page[limit]` not 1 to 100, or either is repeated."),
    "137": (400, "Invalid fields parameter.", {"parameter": "fields[users]"},
            "`fields[TYPE]`: the type or a field is not a member name (letters, digits, `-`, `_`), a name is empty, the type is repeated, or more than 16 fields or 8 types."),
    "138": (400, "Malformed query string.", None,
            "The query string is over 2048 characters, has a bad percent-escape, a NUL byte, a name that is not printable ASCII, or a value that is not UTF-8."),
    "423": (422, "This email confirmation code is invalid or has been already used.", None,
            "The registration key is unknown, used, expired or not shaped like a key."),
    "425": (403, "The customer's email address is not confirmed.", None,
            "Activate or trigger of a customer who has not confirmed the e-mail while `customer_confirmation` is on: no code is mailed."),
    "400": (422, "Customer with this email already exists.", {"pointer": "/data/attributes/email"},
            "The e-mail address is taken (case-insensitive)."),
    "406": (422, "Passwords do not match.", {"pointer": "/data/attributes/confirmPassword"},
            "`confirmPassword` differs from the new password."),
    "408": (400, "Invalid password.", {"pointer": "/data/attributes/password"},
            "The current password is wrong."),
    "411": (403, "Unauthorized request.", None,
            "The `{customerReference}` is not the signed-in customer's (or does not exist: nothing tells which)."),
    "412": (404, "Address not found.", None,
            "The customer has no address with that id."),
    "413": (422, "Too many addresses.", None,
            "The customer already has 50 addresses."),
    "415": (403, "You cannot block or delete your own account.", None,
            "A user tried to block or delete themselves."),
    "416": (422, "User with this username already exists.", {"pointer": "/data/attributes/username"},
            "The username is taken."),
    "417": (404, "User not found.", None,
            "No user with that id."),
    "901": (422, "firstName is invalid.", {"pointer": "/data/attributes/firstName"},
            "A missing or invalid value: the detail is `\"<field> is invalid.\"` and `source.pointer` is `/data/attributes/<field>` (the first bad field in declaration order)."),
    "140": (422, "Locale is not supported.", {"pointer": "/data/attributes/locale"},
            "`locale` names no language of the mail catalogue (`en`, `de`; contract §10.9)."),
    "5900": (403, "X-MFA-Code header is missing.", {"header": "X-MFA-Code"},
             "`X-MFA-Code` is absent or empty where a code is needed."),
    "5901": (403, "X-MFA-Code is invalid.", {"header": "X-MFA-Code"},
             "Wrong, expired, used, blocked, invalidated or other-method code, or a code bound to another request (`attributes.action` of the trigger). The failure that reaches `max_failures` is still 5901."),
    "5902": (400, "Multi-factor authentication type is missing.", {"pointer": "/data/attributes/type"},
             "`attributes.type` is absent, null or empty."),
    "5903": (400, "Failed to deactivate multi-factor authentication.", None,
             "The deactivation could not be stored (for example, the method was switched off by a parallel request)."),
    "5904": (400, "Multi-factor authentication type already activated.", {"pointer": "/data/attributes/type"},
             "Activate or verify of a method that is already active."),
    "5905": (400, "No customer identifier provided.", None,
             "Storefront: no customer behind the request. Defined by Spryker; here the token check answers `401` `001` first, so it is never sent."),
    "5906": (400, "Multi-factor authentication type is not found.", {"pointer": "/data/attributes/type"},
             "The method is not offered, or not in the state the resource needs (verify: not pending; trigger, deactivate, rescue: not active); for recovery codes, the account has no active method (no `source`)."),
    "5907": (400, "Customer not found.", None,
             "Storefront: the token's customer was deleted while the request ran (`400`). The rescue resource answers an unknown `customerReference` with `404` and `source.pointer`."),
    "5908": (400, "No user identifier provided.", None,
             "Backend: no user behind the request. Defined by Spryker; here the token check answers `401` `001` first, so it is never sent."),
    "5909": (400, "User not found.", None,
             "Backend: the token's user was deleted while the request ran."),
    "5910": (503, "Something went wrong while sending your code. Please try again later or contact the system administrator.", None,
             "The mail could not be handed over (the method stays pending; the code is withdrawn)."),
    "5911": (429, "Too many failed attempts. Please try again later.", None,
             "The account's code checks are locked after `max_failures` wrong codes, even for a right code; `Retry-After`."),
    "5912": (429, "A code was sent recently. Please wait before requesting another.", None,
             "Resend cool-down (`resend_cooldown`), daily cap (`daily_send_cap`) or the recipient address's daily cap (`daily_recipient_cap`); `Retry-After`. Codes whose mail failed (5910) count toward neither."),
    "5913": (429, "Your codes could not be sent several times. Please try again later.", None,
             "The account's code mails failed `mail_failure_cap` times within `mail_failure_window` seconds (contract §9.4): no hand-over is tried until the oldest of them leaves the window; `Retry-After`."),
    # contract §12.6: method webauthn (verify's body, activate's limit, removal).
    "141": (422, "WebAuthn response is malformed.", {"pointer": "/data/attributes/credential"},
            "verify of `webauthn`: `credential` is missing or not `{id, type: \"public-key\", response: {clientDataJSON, attestationObject}}` in base64url, a part is too long or undecodable, or `id` is not the credential the authenticator made."),
    "142": (422, "WebAuthn challenge is unknown, used or expired.", {"pointer": "/data/attributes/credential"},
            "verify of `webauthn`: the challenge in `clientDataJSON` is no live registration challenge of the account (never given, spent, or older than `webauthn_challenge_ttl`)."),
    "143": (422, "WebAuthn origin or relying party is not accepted.", {"pointer": "/data/attributes/credential"},
            "verify of `webauthn`: `clientDataJSON`'s type is not `webauthn.create`, its origin is not one of `webauthn_origins`, it is cross-origin, or the RP ID hash is not that of `webauthn_rp_id`."),
    "144": (422, "User presence or verification is missing.", {"pointer": "/data/attributes/credential"},
            "verify of `webauthn`: the UP flag, or the UV flag while `webauthn_user_verification` is `required`."),
    "145": (422, "WebAuthn attestation or algorithm is not accepted.", {"pointer": "/data/attributes/credential"},
            "verify of `webauthn`: a key of an algorithm other than ES256, EdDSA, RS256, or an attestation statement that does not verify."),
    "146": (422, "This credential is already registered.", {"pointer": "/data/attributes/credential"},
            "verify of `webauthn`: the credential id is registered (to any account of this API)."),
    "147": (422, "Too many WebAuthn credentials.", None,
            "activate or verify of `webauthn`: the account holds `webauthn_max_credentials` (10)."),
    "148": (404, "WebAuthn credential not found.", None,
            "The account has no credential with that id."),
    "149": (422, "WebAuthn signature counter did not increase.", None,
            "Never answered: the audit rows' code of an assertion whose non-zero signature counter did not increase (contract §12.4)."),
}

ORDER = ["001", "002", "003", "004", "100", "101", "102", "103", "104", "105", "106",
         "107", "110", "111", "118", "113", "114", "115", "116", "117", "125", "400", "406", "408", "411", "412", "413", "415",
         "416", "417", "423", "425", "901"] + [str(c) for c in range(5900, 5914)]
ORDER += ["135", "136", "137", "138"]   # contract §10.10: query parameters
ORDER.insert(ORDER.index("400"), "140")  # contract §10.9
ORDER += [str(c) for c in range(141, 150)]   # contract §12.6: webauthn


def error_example(code, status=None, detail=None, source="default", summary=None):
    st, det, src, meaning = CODES[code]
    e = {"status": str(status or st), "code": code, "detail": detail or det}
    s = src if source == "default" else source
    if s:
        e["source"] = s
    return {"summary": summary or meaning.split(". ")[0].rstrip("."),
            "value": {"errors": [e]}}


EXAMPLES = {}
for c in ORDER:
    if c not in ("104", "5905", "5908", "149"):  # 405 is no operation's; 5905/5908/149 never sent
        EXAMPLES["E" + c] = error_example(c)
# Variants.
EXAMPLES["E5906-recovery"] = error_example(
    "5906", source=None,
    summary="The account has no active method (recovery codes)")
EXAMPLES["E5907-rescue"] = error_example(
    "5907", status=404, source={"pointer": "/data/attributes/customerReference"},
    summary="No customer with that customerReference")
EXAMPLES["E101-token"] = error_example(
    "101", source={"pointer": "/data/attributes/type"},
    summary="attributes.type is not a string")
EXAMPLES["E901-registration-key"] = error_example(
    "901", detail="registrationKey is invalid.",
    source={"pointer": "/data/attributes/registrationKey"},
    summary="registrationKey is missing")
EXAMPLES["E901-password"] = error_example(
    "901", detail="newPassword is invalid.",
    source={"pointer": "/data/attributes/newPassword"},
    summary="newPassword is not 8 to 128 bytes")
EXAMPLES["E901-address"] = error_example(
    "901", detail="iso2Code is invalid.",
    source={"pointer": "/data/attributes/iso2Code"},
    summary="iso2Code is not two capital letters")
EXAMPLES["E901-user"] = error_example(
    "901", detail="username is invalid.",
    source={"pointer": "/data/attributes/username"},
    summary="username is not an e-mail address")
EXAMPLES["E901-currentPassword"] = error_example(
    "901", detail="currentPassword is invalid.",
    source={"pointer": "/data/attributes/currentPassword"},
    summary="Changing one's own password without currentPassword")
EXAMPLES["E901-action"] = error_example(
    "901", detail="id is invalid.",
    source={"pointer": "/data/attributes/action/id"},
    summary="The action names no protected request of this side (contract §10.8)")
EXAMPLES["E101-action"] = error_example(
    "101", source={"pointer": "/data/attributes/action"},
    summary="action (or one of its members) of the wrong JSON type")
EXAMPLES["E408-currentPassword"] = error_example(
    "408", source={"pointer": "/data/attributes/currentPassword"},
    summary="currentPassword is not the user's password")
EXAMPLES["E5906-webauthn"] = error_example(
    "5906", source=None,
    summary="The account has no active method (removal of a credential)")
EXAMPLES["E901-name"] = error_example(
    "901", detail="name is invalid.", source={"pointer": "/data/attributes/name"},
    summary="The credential's name is not 1-64 characters of one line")
EXAMPLES["E101-customerReference"] = error_example(
    "101", source={"pointer": "/data/attributes/customerReference"},
    summary="customerReference is missing or not a string")

OAUTH = {
    "invalid_request": ("The form is malformed or repeats a parameter.",
                        "Not form-encoded, a parameter missing or repeated"),
    "invalid_grant": ("The user credentials were incorrect.",
                      "Wrong credentials or a blocked user (the refresh grant: \"The refresh token is invalid, expired or revoked.\")"),
    "unsupported_grant_type": ("grant_type must be password or refresh_token.",
                               "grant_type is neither password nor refresh_token"),
    "invalid_client": ("Client authentication is not supported.",
                       "Client authentication sent (Basic or client_secret): public clients only"),
    "invalid_client-basic": ("The Authorization header is malformed.",
                             "Authorization: Basic that is not base64(client_id:)"),
    "temporarily_unavailable": ("Service temporarily unavailable.", "The database is down"),
}


def oauth_example(err, desc=None, summary=None):
    d, s = OAUTH[err]
    return {"summary": summary or s,
            "value": {"error": err, "error_description": desc or d}}


EXAMPLES["O-invalid_request"] = oauth_example("invalid_request")
EXAMPLES["O-invalid_request-grant"] = oauth_example(
    "invalid_request", "grant_type is required.", "grant_type missing")
EXAMPLES["O-invalid_request-media"] = oauth_example(
    "invalid_request", "The body must be application/x-www-form-urlencoded.",
    "The body is not form-encoded")
EXAMPLES["O-invalid_grant"] = oauth_example("invalid_grant")
EXAMPLES["O-invalid_grant-refresh"] = oauth_example(
    "invalid_grant", "The refresh token is invalid, expired or revoked.",
    "Unknown, expired, revoked or reused refresh token")
EXAMPLES["O-unsupported_grant_type"] = oauth_example("unsupported_grant_type")
EXAMPLES["O-invalid_client"] = oauth_example("invalid_client")
EXAMPLES["O-invalid_client-basic"] = {
    "summary": OAUTH["invalid_client-basic"][1],
    "value": {"error": "invalid_client",
              "error_description": OAUTH["invalid_client-basic"][0]}}
EXAMPLES["O-invalid_request-client_id"] = oauth_example(
    "invalid_request", "client_id names another client than the Authorization "
    "header.", "client_id differs from the Basic header's")
EXAMPLES["O-limit"] = oauth_example(
    "invalid_grant", "Too many failed login attempts. Please try again later.",
    "Sign-in limits reached (Retry-After)")
EXAMPLES["O-temporarily_unavailable"] = oauth_example("temporarily_unavailable")
# contract §10.12 (mfa_at_sign_in on): the JSON:API code in "code".
EXAMPLES["O-mfa_required"] = {
    "summary": "mfa_at_sign_in: the right password, no X-MFA-Code (a code mailed)",
    "value": {"error": "mfa_required",
              "error_description": "X-MFA-Code header is missing.", "code": "5900"}}
WA_OPTIONS_EXAMPLE = {"challenge": "q3Jx1mJ0n0m9w7vXbJgZk2r9Q0o5ZbFh3l1c8sGm4aE",
                 "allowCredentials": [{"type": "public-key",
                                       "id": "mYp4ssk3yCr3d3nt14l1dAAAAAAAAAAAAAAAAAAAAAA"}],
                 "timeout": 300000, "rpId": "shop.example.com",
                 "userVerification": "required"}
EXAMPLES["O-mfa_required-passkey"] = {
    "summary": "mfa_at_sign_in, a passkey active: no X-MFA-Code; the request "
               "options (and a code mailed when e-mail is active too)",
    "value": dict(EXAMPLES["O-mfa_required"]["value"],
                  publicKey=WA_OPTIONS_EXAMPLE)}
EXAMPLES["E5900-passkey"] = error_example(
    "5900", summary="mfa_at_sign_in, a passkey active: the request options in "
    "meta (and a code mailed when e-mail is active too)")
EXAMPLES["E5900-passkey"]["value"]["errors"][0]["meta"] = {
    "publicKey": WA_OPTIONS_EXAMPLE}
EXAMPLES["O-invalid_mfa_code"] = {
    "summary": "mfa_at_sign_in: the right password, a wrong code (counted)",
    "value": {"error": "invalid_mfa_code",
              "error_description": "X-MFA-Code is invalid.", "code": "5901"}}
EXAMPLES["O-mfa_locked"] = {
    "summary": "mfa_at_sign_in: code checks locked (Retry-After)",
    "value": {"error": "invalid_grant", "error_description":
              "Too many failed attempts. Please try again later.", "code": "5911"}}


def ex(name):
    return {"$ref": "#/components/examples/" + name}


def href(name):
    return {"$ref": "#/components/headers/" + name}


def sref(name):
    return {"$ref": "#/components/schemas/" + name}


STD_HEADERS = {"X-Request-Id": href("X-Request-Id"),
               "Cache-Control": href("Cache-Control")}


def headers(*extra):
    h = dict(STD_HEADERS)
    for e in extra:
        h[e] = href(e)
    return h


def error_response(description, examples, extra_headers=()):
    """examples: list of example component names (E<code>...)."""
    return {
        "description": description,
        "headers": headers(*extra_headers),
        "content": {JSONAPI: {
            "schema": sref("ErrorDocument"),
            "examples": {n[1:] if n.startswith("E") else n: ex(n) for n in examples},
        }},
    }


RESPONSES = {}


def shared_response(status, description, examples, extra_headers=()):
    """An error response kept once in components/responses; returns its $ref."""
    body = error_response(description, examples, extra_headers)
    codes = sorted({n[1:].split("-")[0] for n in examples if n.startswith("E")},
                   key=lambda c: (len(c), c))
    base = "Error%s-%s" % (status, "-".join(codes))
    name, i = base, 1
    while name in RESPONSES and RESPONSES[name] != body:
        i += 1
        name = "%s-v%d" % (base, i)
    RESPONSES[name] = body
    return {"$ref": "#/components/responses/" + name}


def ok_response(description, schema=None, extra_headers=()):
    r = {"description": description, "headers": headers(*extra_headers)}
    if schema is not None:
        r["content"] = {JSONAPI: {"schema": sref(schema)}}
    return r


# ---------------------------------------------------------------------------
# Operations

DEFAULT_500 = shared_response(
    "500", "Unexpected failure (`500`, code 111); the cause goes to the log only. "
    "Any operation can give it; the end-to-end suite treats it as a failure.", ["E111"])


def operation(op_id, summary, description, tags, *, success, auth=None,
              body=None, body_required=True, db=True, protected=False,
              code_header=None, errors=None, params=None, paged=False):
    """errors: {status: (description, [example names], [extra headers])}.

    Adds the front line: 406 always; body: 400 (100, 101), 409, 413, 415;
    auth: 401 001, 403 002; protected: 403 5900/5901, 429 5911; db: 503 110.
    """
    errs = {}

    def add(status, desc, names, hdrs=()):
        add_error(errs, status, desc, names, hdrs)

    for status, v in (errors or {}).items():
        add(status, *v)
    if body:
        add("400", "Malformed body (100) or a missing or mistyped member (101)",
            ["E100", "E101"])
        add("400", "A member name given twice in one object (125)", ["E125"])
        add("409", "`data.type` is not this endpoint's resource type (102)", ["E102"])
        add("413", "Body over 64 KiB (106; the web server may answer first with its own 413)",
            ["E106"])
        add("415", "Content-Type is not `application/vnd.api+json` or `application/json` (107)",
            ["E107"])
    add("406", "`Accept` admits no JSON (105)", ["E105"])
    # contract §10.10: the query, checked by the front line after Accept.
    add("400", "A query parameter not supported (`include`, `sort`, another "
        "a-z name: 135), a bad `fields[TYPE]` (137) or a malformed query "
        "string (138); `source.parameter` names it", ["E135", "E137", "E138"])
    if paged:
        add("400", "`page[offset]` or `page[limit]` out of range or not a "
            "number (136)", ["E136"])
    if auth:
        add("401", "Invalid, expired or revoked token, or a token of the other API "
            "(001)", ["E001"])
        add("403", "No `Authorization` header (002)", ["E002"])
    if protected:
        add("403", "A protected write without an acceptable `X-MFA-Code` while the "
            "account has an active method: missing (5900) or invalid (5901)",
            ["E5900", "E5901"])
        add("429", "Code checks locked after too many wrong codes (5911); `Retry-After`",
            ["E5911"], ["Retry-After"])
    if db:
        # Retry-After (contract §9): declared where 110 is the only 503 (a
        # 5910 answer carries none).
        add("503", "The database is down, does not answer within its timeouts, or "
            "kept conflicting (110); `Retry-After`", ["E110"],
            () if "503" in errs else ["Retry-After"])
        if body:
            add("503", "The connection was lost while the work was being committed: "
                "it may have been carried out (118); `Retry-After`", ["E118"])
    op = {"tags": tags, "operationId": op_id, "summary": summary,
          "description": description}
    ps = list(params or [])
    ps.append({"$ref": "#/components/parameters/fields"})
    if paged:
        ps += [{"$ref": "#/components/parameters/pageOffset"},
               {"$ref": "#/components/parameters/pageLimit"}]
    if code_header:
        ps.append({"$ref": "#/components/parameters/" + code_header})
    if ps:
        op["parameters"] = ps
    if body:
        op["requestBody"] = {"$ref": "#/components/requestBodies/" + body}
    if auth:
        op["security"] = [{s: []} for s in auth]
    else:
        op["security"] = []
    op["_errs"], op["_success"] = errs, success
    return op


def add_error(errs, status, desc, names, hdrs=()):
    d0, n0, h0 = errs.get(status, ([], [], ()))
    errs[status] = (d0 + ([desc] if desc and desc not in d0 else []),
                    n0 + [n for n in names if n not in n0],
                    tuple(h0) + tuple(h for h in hdrs if h not in h0))


def finish(op, post):
    """The responses of an operation; a POST takes Idempotency-Key
    (contract §9.6): its parameter and its two errors."""
    if "_errs" not in op:       # written out whole (the OAuth token endpoint)
        if post:
            op["parameters"] = op.get("parameters", []) + [
                {"$ref": "#/components/parameters/IdempotencyKey"}]
            r400 = op["responses"]["400"]
            r400["description"] += "; a malformed `Idempotency-Key` (JSON:API `115`)"
            r400["content"][JSONAPI] = {"schema": sref("ErrorDocument"),
                                        "examples": {"115": ex("E115")}}
            op["responses"]["422"] = shared_response(
                "422", "`Idempotency-Key` already used with another body (JSON:API "
                "116)", ["E116"])
            op["responses"]["409"] = shared_response(
                "409", "Another request with the `Idempotency-Key` under way "
                "(JSON:API 117); `Retry-After`", ["E117"], ["Retry-After"])
            op["responses"] = dict(sorted(op["responses"].items(),
                                          key=lambda kv: (kv[0] == "default", kv[0])))
        return op
    errs, success = op.pop("_errs"), op.pop("_success")
    if post:
        op["parameters"] = op.get("parameters", []) + [
            {"$ref": "#/components/parameters/IdempotencyKey"}]
        errs = dict(errs)
        add_error(errs, "400", "A malformed `Idempotency-Key` (115)", ["E115"])
        add_error(errs, "422", "`Idempotency-Key` already used with another "
                  "body (116)", ["E116"])
        # Retry-After comes with 117 only, not with 102: not a listed header.
        add_error(errs, "409", "Another request with the `Idempotency-Key` "
                  "under way (117, with `Retry-After`)", ["E117"])
    responses = dict(success)
    for status in sorted(errs):
        descs, names, hdrs = errs[status]
        responses[status] = shared_response(status, "; ".join(descs), names, hdrs)
    responses["default"] = DEFAULT_500
    op["responses"] = responses
    return op


def options_op(methods):
    return {
        "tags": ["HTTP"],
        "summary": "Methods served at this path",
        "description": "`204` with `Allow` (the methods below, `HEAD` beside `GET`, "
                       "and `OPTIONS`). Needs no token and no `Accept`.",
        "operationId": None,
        "security": [],
        "responses": {"204": {
            "description": "`Allow` lists the methods served here",
            "headers": headers("Allow")}},
    }


P_REF = {"$ref": "#/components/parameters/customerReference"}
P_ADDR = {"$ref": "#/components/parameters/addressId"}
P_USER = {"$ref": "#/components/parameters/userId"}
P_TYPE = {"$ref": "#/components/parameters/mfaType"}
P_RT = {"$ref": "#/components/parameters/refreshTokenPath"}
P_MSG = {"$ref": "#/components/parameters/messageId"}
P_CRED = {"$ref": "#/components/parameters/credentialId"}

CUST = ["customerToken"]
USER = ["userToken"]
EITHER = ["customerToken", "userToken"]

PATHS = {}
# Every path() in order, as (template, item): one template may be served by
# both APIs with different items (PATHS keeps the last one of a template).
ALL_PATHS = []


def path(template, servers, params, **ops):
    item = {"servers": servers}
    if params:
        item["parameters"] = params
    methods = []
    for m in ("get", "post", "put", "patch", "delete"):
        if m in ops:
            item[m] = finish(ops[m], m == "post")
            methods.append(m.upper())
    o = options_op(methods)
    o["operationId"] = "options" + "".join(
        w.capitalize() for w in template.replace("{", "").replace("}", "")
        .replace("/", "-").split("-") if w) + ("Backend" if servers == [BE] else "")
    item["options"] = o
    PATHS[template] = item
    ALL_PATHS.append((template, item))


# --- Storefront: tokens ----------------------------------------------------

path("/access-tokens", [SF], None, post=operation(
    "createAccessToken", "Sign in (customer)",
    "Exchanges e-mail and password for an access token and a refresh token. "
    "A success resets the account's failure count.",
    ["Storefront: sign-in"], body="AccessTokenRequest",
    success={"201": ok_response("Signed in", "TokenDocument")},
    errors={
        "401": ("Wrong password, unknown e-mail, or a customer whose e-mail is not "
                "confirmed while confirmation is on (003)", ["E003"]),
        "429": ("Sign-in limits: the client address, the account from this address, "
                "the account, or a delay after its 5th failure (113); `Retry-After`",
                ["E113", "E5911"], ["Retry-After"]),
        "403": ("`mfa_at_sign_in` on (contract §10.12), the right password of an "
                "account with an active method: `X-MFA-Code` missing (5900, a code "
                "mailed; with `webauthn` active `errors[0].meta.publicKey`, the "
                "passkey's request options) or invalid (5901); code checks "
                "locked: `429` 5911",
                ["E5900", "E5900-passkey", "E5901"]),
    }, code_header="XMfaCodeSignIn"))

path("/refresh-tokens", [SF], None, post=operation(
    "refreshAccessToken", "Rotate a refresh token",
    "A new access and refresh token of the same sign-in. The old refresh token "
    "stops working, and so does the access token issued with it; reusing a "
    "rotated one revokes every token of that sign-in.",
    ["Storefront: sign-in"], body="RefreshTokenRequest",
    success={"201": ok_response("Rotated", "RefreshTokenDocument")},
    errors={"401": ("Unknown, expired, revoked or reused refresh token (004)", ["E004"])}))

path("/refresh-tokens/{refreshToken}", [SF], [P_RT], delete=operation(
    "signOut", "Sign out",
    "`current` ends the calling session (every access and refresh token of its "
    "sign-in); `mine` ends every session of the customer (every refresh token, as "
    "Spryker's `mine`, and every access token). A refresh token of the caller ends "
    "its session and the calling access token; any other value (another "
    "customer's token, an unknown one) is answered alike and revokes only the "
    "calling access token. A token in the path lands in access logs: use `current` "
    "or `mine`. Every sign-out invalidates the customer's unused MFA codes.",
    ["Storefront: sign-in"], auth=CUST,
    success={"204": ok_response("Signed out")}))

# --- Storefront: customers ------------------------------------------------

path("/customers", [SF], None,
     get=operation(
         "listCustomers", "The signed-in customer, as a collection",
         "A collection holding the caller.", ["Storefront: customers"], auth=CUST,
         success={"200": ok_response("The caller", "CustomerCollection")}),
     post=operation(
         "registerCustomer", "Register a customer",
         "Anonymous; never MFA-checked. The first bad field answers `422` `901`.",
         ["Storefront: customers"], body="CustomerCreateRequest",
         success={"201": ok_response("Registered", "CustomerDocument")},
         errors={"422": ("A missing or invalid field (901), passwords that differ (406), "
                         "or an e-mail that is taken (400); an unknown locale (140)",
                         ["E901", "E406", "E400", "E140"]),
                 "429": ("Too many sign-ups from the client address or over all "
                         "(114); `Retry-After`", ["E114"], ["Retry-After"])}))

path("/customer-confirmation", [SF], None, post=operation(
    "confirmCustomer", "Confirm a customer's e-mail address",
    "Anonymous. The registration key mailed at sign-up (while "
    "`customer_confirmation` is on) confirms the address; it works once, for "
    "`registration_key_ttl` seconds. Until then the customer cannot sign in or get "
    "an MFA code.", ["Storefront: customers"], body="CustomerConfirmationRequest",
    success={"204": ok_response("Confirmed")},
    errors={"422": ("The key is unknown, used or expired (423), or missing (901)",
                    ["E423", "E901-registration-key"])}))

E411 = ("Another customer's reference, or one that does not exist (411)", ["E411"])

path("/customers/{customerReference}", [SF], [P_REF],
     get=operation(
         "getCustomer", "Read the signed-in customer",
         "The customer's attributes; never a password.", ["Storefront: customers"],
         auth=CUST, success={"200": ok_response("The customer", "CustomerDocument")},
         errors={"403": E411}),
     patch=operation(
         "updateCustomer", "Change the signed-in customer",
         "Any of `firstName`, `lastName`, `salutation`, `email`, `locale`; unknown attributes are "
         "ignored. Protected (`customers`).", ["Storefront: customers"],
         auth=CUST, body="CustomerUpdateRequest", protected=True, code_header="XMfaCode",
         success={"200": ok_response("The new state", "CustomerDocument")},
         errors={"403": E411,
                 "422": ("An invalid field (901) or an e-mail that is taken (400); an "
                         "unknown locale (140)", ["E901", "E400", "E140"])}),
     delete=operation(
         "deleteCustomer", "Delete the signed-in customer",
         "The account, its addresses, tokens and MFA state go; audit rows stay. "
         "Protected (`customers`).", ["Storefront: customers"],
         auth=CUST, protected=True, code_header="XMfaCode",
         success={"204": ok_response("Deleted")}, errors={"403": E411}))

path("/customer-password/{customerReference}", [SF], [P_REF], patch=operation(
    "changeCustomerPassword", "Change the password",
    "The calling access token stays valid; every other access token and every "
    "refresh token of the customer is revoked. The current password is checked "
    "under the sign-in limits and audited (`password_check`); a wrong one counts "
    "as a failed sign-in. Protected (`customer-password`).",
    ["Storefront: customers"], auth=CUST, body="CustomerPasswordRequest",
    protected=True, code_header="XMfaCode",
    success={"204": ok_response("Changed")},
    errors={"400": ("The current password is wrong (408), counted as a failed "
                    "sign-in", ["E408"]), "403": E411,
            "429": ("Sign-in limits of the customer or the client address (113); "
                    "`Retry-After`", ["E113"], ["Retry-After"]),
            "422": ("A missing or invalid field (901) or passwords that differ (406)",
                    ["E901-password", "E406"])}))

# --- Storefront: addresses ------------------------------------------------

E412 = ("No such address of this customer (412)", ["E412"])

path("/customers/{customerReference}/addresses", [SF], [P_REF],
     get=operation(
         "listAddresses", "The customer's addresses",
         "Every address of the customer (at most 50).", ["Storefront: addresses"],
         auth=CUST, success={"200": ok_response("The addresses", "AddressCollection")},
         errors={"403": E411}, paged=True),
     post=operation(
         "createAddress", "Add an address",
         "Setting a default clears it on the other addresses. Protected (`addresses`).",
         ["Storefront: addresses"], auth=CUST, body="AddressCreateRequest",
         protected=True, code_header="XMfaCode",
         success={"201": ok_response("Created", "AddressDocument")},
         errors={"403": E411,
                 "422": ("A missing or invalid field (901) or the 51st address (413)",
                         ["E901-address", "E413"])}))

path("/customers/{customerReference}/addresses/{addressId}", [SF], [P_REF, P_ADDR],
     get=operation(
         "getAddress", "Read an address",
         "One address of the customer, by its id.", ["Storefront: addresses"], auth=CUST,
         success={"200": ok_response("The address", "AddressDocument")},
         errors={"403": E411, "404": E412}),
     patch=operation(
         "updateAddress", "Change an address",
         "Any of the attributes. Setting a default clears it on the other addresses. "
         "Protected (`addresses`).", ["Storefront: addresses"], auth=CUST,
         body="AddressUpdateRequest", protected=True, code_header="XMfaCode",
         success={"200": ok_response("The new state", "AddressDocument")},
         errors={"403": E411, "404": E412,
                 "422": ("An invalid field (901)", ["E901-address"])}),
     delete=operation(
         "deleteAddress", "Delete an address", "Protected (`addresses`).",
         ["Storefront: addresses"], auth=CUST, protected=True, code_header="XMfaCode",
         success={"204": ok_response("Deleted")},
         errors={"403": E411, "404": E412}))

# --- MFA: both sides ------------------------------------------------------

SIDES_NOTE = ("Served by both APIs: under `/` with a customer's token, under "
              "`/backend` with a user's token (the other API's token is `401` `001`).")

path("/multi-factor-auth-types", [SF, BE], None, get=operation(
    "listMfaTypes", "The MFA methods and their status",
    "Every offered method once: active first, then pending, then the rest. " + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER,
    success={"200": ok_response("The methods", "MfaTypeCollection")}))

path("/multi-factor-auth-types/{type}", [SF, BE], [P_TYPE], get=operation(
    "getMfaType", "One MFA method and its status", SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER,
    success={"200": ok_response("The method", "MfaTypeDocument")},
    errors={"404": ("The method is not offered (103)", ["E103"])}))

NOT_FOUND_400 = ("5907 (Storefront) / 5909 (Backend): the account was deleted while "
                 "the request ran")

path("/multi-factor-auth-type-activate", [SF, BE], None, post=operation(
    "activateMfaType", "Start switching a method on (email: a code is mailed; "
    "totp: the app's secret is answered; webauthn: the creation options)",
    "Checks: type (5902), offered (5906), already active (5904); if another method "
    "is active, a code of it is needed (5900/5901/5911); then the method is pending. "
    "`email`: a code is mailed (5912 within the sending limits, 5910 when the mail "
    "fails), `204`; calling it again on a pending method mails a fresh code. `totp`: "
    "a new secret is made and answered once (`200`, contract §6.4): base32, the "
    "`otpauth://` URI and its QR code as SVG; calling it again on a pending method "
    "issues a new secret. `webauthn` (contract §12.2): `200` with "
    "`PublicKeyCredentialCreationOptions` (binary members in base64url) for "
    "`navigator.credentials.create`, a fresh challenge each time; activate of an "
    "**active** `webauthn` adds a credential and needs a code of an active method "
    "(not a recovery code), `422` 147 once the account holds "
    "`webauthn_max_credentials`. " + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER, body="MfaActivateRequest",
    code_header="XMfaCodeOptional",
    success={"204": ok_response("email: pending; a code was mailed"),
             "200": ok_response("totp: pending; the secret to enter in the app. "
                                "webauthn: the creation options",
                                "MfaActivationDocument")},
    errors={
        "400": ("Type missing (5902), not offered (5906), already active (5904); "
                + NOT_FOUND_400, ["E5902", "E5906", "E5904", "E5907", "E5909", "E101-token"]),
        "403": ("Another method is active and the code is missing (5900) or invalid "
                "(5901); a customer whose e-mail is not confirmed (425)",
                ["E5900", "E5901", "E425"]),
        "429": ("Sending limits (5912); failed mails (5913); code checks locked (5911, "
                "only with another active method); `Retry-After`",
                ["E5912", "E5913", "E5911"], ["Retry-After"]),
        "503": ("The mail could not be handed over (5910)", ["E5910"]),
        "422": ("webauthn: the account holds `webauthn_max_credentials` (147)",
                ["E147"]),
    }))

path("/multi-factor-auth-type-verify", [SF, BE], None, post=operation(
    "verifyMfaType", "Finish switching a method on with the mailed code "
    "(webauthn: register the passkey)",
    "Checks: header (5900), type (5902), offered (5906), already active (5904), "
    "pending (5906), code (5901, or 5911 while locked). A notification mail says the "
    "method was switched on. `webauthn` (contract §12.2) takes no `X-MFA-Code`: "
    "`attributes.credential` carries the browser's attestation response (base64url "
    "members) and `attributes.name` names it; it is checked against a live "
    "registration challenge (141-147, nothing stored on a refusal), stored, and a "
    "pending `webauthn` becomes active; an active one gains the credential. "
    + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER, body="MfaVerifyRequest",
    code_header="XMfaCodeVerify",
    success={"204": ok_response("The method is active (webauthn: the credential is "
                                "registered)")},
    errors={
        "400": ("Type missing (5902), not offered or not pending (5906), already "
                "active (5904)", ["E5902", "E5906", "E5904", "E101-token"]),
        "403": ("The code is missing (5900) or not valid for this method (5901)",
                ["E5900", "E5901"]),
        "429": ("Code checks locked (5911); `Retry-After`", ["E5911"], ["Retry-After"]),
        "422": ("webauthn: the attestation response is malformed (141), its challenge "
                "unknown, used or expired (142), origin or RP ID not accepted (143), "
                "user presence or verification missing (144), algorithm or "
                "attestation refused (145), the credential already registered (146), "
                "too many credentials (147); `name` invalid (901)",
                ["E141", "E142", "E143", "E144", "E145", "E146", "E147", "E901-name"]),
    }))

path("/multi-factor-auth-trigger", [SF, BE], None, post=operation(
    "triggerMfaCode", "Mail a code for a protected action",
    "Checks: type (5902), offered and active (5906), sending limits (5912), failed "
    "mails (5913); then a "
    "code is mailed (5910 when the mail fails). `totp`: nothing is sent (the app "
    "makes its codes), `204`. `webauthn` (contract §12.3): `200` with "
    "`PublicKeyCredentialRequestOptions` (a fresh challenge, `allowCredentials`) for "
    "`navigator.credentials.get`; its answer goes into `X-MFA-Code` (contract §12.4); "
    "no `action`. " + SIDES_NOTE + " With `attributes.action` "
    "(contract §10.8) the code is bound to one protected request: the mail says what "
    "it allows, it passes the guard only for that request (any other: `403` 5901, "
    "counted as a wrong code) and opens no grace window.",
    ["Multi-factor authentication"], auth=EITHER, body="MfaTriggerRequest",
    success={"204": ok_response("A code was mailed"),
             "200": ok_response("webauthn: the request options",
                                "MfaWebauthnTriggerDocument")},
    errors={
        "400": ("Type missing (5902), not offered or not active (5906); " + NOT_FOUND_400,
                ["E5902", "E5906", "E5907", "E5909", "E101-token", "E101-action"]),
        "422": ("`action` names no protected request of this side, or its `id` is "
                "not that request's (901)", ["E901-action"]),
        "403": ("A customer whose e-mail is not confirmed (425)", ["E425"]),
        "429": ("Sending limits: cool-down, daily cap or the recipient's daily cap "
                "(5912); failed mails (5913); `Retry-After`", ["E5912", "E5913"],
                ["Retry-After"]),
        "503": ("The mail could not be handed over (5910)", ["E5910"]),
    }))

path("/multi-factor-auth-type-deactivate", [SF, BE], None, post=operation(
    "deactivateMfaType", "Switch a method off with a code of it",
    "Checks: header (5900), type (5902), offered and active (5906), code (5901, or "
    "5911 while locked); then the method is off, its codes and grace windows end "
    "and a notification mail says so (5903 if that could not be stored). " + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER, body="MfaDeactivateRequest",
    code_header="XMfaCodeRequired",
    success={"204": ok_response("The method is off")},
    errors={
        "400": ("Type missing (5902), not offered or not active (5906), the deactivation "
                "could not be stored (5903)", ["E5902", "E5906", "E5903", "E101-token"]),
        "403": ("The code is missing (5900) or not valid for this method (5901)",
                ["E5900", "E5901"]),
        "429": ("Code checks locked (5911); `Retry-After`", ["E5911"], ["Retry-After"]),
    }))

RECOVERY_NOTE = (
    "A recovery code is accepted once wherever `X-MFA-Code` takes a code of an active "
    "method (protected writes, activating another method, deactivating one; not "
    "verify, not this POST): after the methods' own codes, it spends one code of the "
    "set, opens no grace window, is audited (`recovery_use`, method `recovery`) and "
    "mailed to the account; a wrong one is a wrong code (5901, counted). An answer "
    "that spent one carries `X-MFA-Recovery-Codes-Remaining` when two or fewer are "
    "left. ")

path("/multi-factor-auth-recovery-codes", [SF, BE], None, get=operation(
    "getRecoveryCodes", "How many recovery codes are left, and when the set was made",
    "Never the codes. No set: `remaining` 0 and `createdAt` null. " + RECOVERY_NOTE
    + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER,
    success={"200": ok_response("The set's count", "RecoveryCodesDocument")}),
    post=operation(
    "createRecoveryCodes", "Make a new set of ten recovery codes (shown this once)",
    "Needs a code of an active method in `X-MFA-Code` (a recovery code does not "
    "make a new set). Checks: an active method (5906, no `source`), header (5900), "
    "code (5901 counted, 5911 while locked). The answer holds the ten codes, each 16 "
    "Crockford base32 symbols (80 bits) in four groups (`XXXX-XXXX-XXXX-XXXX`); they "
    "are stored only as salted Argon2id hashes and never shown again. The old set "
    "stops working; a notification mail says a new set was made. " + RECOVERY_NOTE
    + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER, body="RecoveryCodesRequest",
    code_header="XMfaCodeMethod",
    success={"201": ok_response("The new set, with its codes", "RecoveryCodesDocument")},
    errors={
        "400": ("The account has no active method (5906)", ["E5906-recovery"]),
        "403": ("The code is missing (5900) or not a code of an active method (5901)",
                ["E5900", "E5901"]),
        "429": ("Code checks locked (5911); `Retry-After`", ["E5911"], ["Retry-After"]),
    }))

path("/multi-factor-auth-webauthn-credentials", [SF, BE], None, get=operation(
    "listWebauthnCredentials", "The account's passkeys (method webauthn)",
    "Oldest first, at most `webauthn_max_credentials`; never a key (contract §12.7). "
    "They are registered through activate and verify. " + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER,
    success={"200": ok_response("The credentials", "WebauthnCredentialCollection")}))

path("/multi-factor-auth-webauthn-credentials/{credentialId}", [SF, BE], [P_CRED],
     delete=operation(
    "deleteWebauthnCredential", "Remove one passkey",
    "Needs a code of an active method in `X-MFA-Code` (not a recovery code). Checks: "
    "the credential is the account's (148), header (5900), code (5901 counted, 5911 "
    "while locked). The last credential's removal switches `webauthn` off (its "
    "notification mail, audit `deactivate`). " + SIDES_NOTE,
    ["Multi-factor authentication"], auth=EITHER, code_header="XMfaCodeWebauthn",
    success={"204": ok_response("Removed")},
    errors={
        "404": ("No credential of the account with that id (148)", ["E148"]),
        "403": ("The code is missing (5900) or not a code of an active method (5901)",
                ["E5900", "E5901"]),
        "429": ("Code checks locked (5911); `Retry-After`", ["E5911"], ["Retry-After"]),
    }))

# --- Development mailbox --------------------------------------------------

DEV = ("**Development only.** Served only when the configuration has "
       "`dev_mailbox = on` and `mail_transport = spool`; otherwise every path answers "
       "`404` `103`. It shows every code to anyone who can reach it: never enable it "
       "in production. No token; no database.")

path("/dev-mailbox", [SF], None, get=operation(
    "listDevMailbox", "The development mail spool, newest first (at most 100)", DEV,
    ["Development"], db=False,
    success={"200": ok_response("The messages (headers only)", "DevMailboxCollection")},
    errors={"404": ("The mailbox is off (103)", ["E103"])}))

path("/dev-mailbox/{messageId}", [SF], [P_MSG], get=operation(
    "getDevMailboxMessage", "One message of the development spool, with its parts",
    DEV, ["Development"], db=False,
    success={"200": ok_response("The message", "DevMailboxDocument")},
    errors={"404": ("No such message, or the mailbox is off (103)", ["E103"])}))

# --- Backend: token -------------------------------------------------------


def oauth_response(description, names, extra_headers=()):
    return {"description": description,
            "headers": headers("Pragma", *extra_headers),
            "content": {OAUTH_CT: {"schema": sref("OAuthError"),
                                   "examples": {n[2:]: ex(n) for n in names}}}}


token_op = {
    "tags": ["Storefront: sign-in", "Backend: token"], "operationId": "createOAuthToken",
    "summary": "OAuth 2.0 token endpoint (password and refresh_token grants)",
    "description": "RFC 6749 §4.3 and §6; answers in RFC 6749's shapes (§5.1, §5.2), "
                   "plain JSON, not JSON:API, with `Cache-Control: no-store` and "
                   "`Pragma: no-cache`. Public clients only: client authentication is "
                   "`401` `invalid_client`. Only the front line's `406` and `413` "
                   "answer JSON:API. Both APIs: `/token` signs a customer in (the "
                   "e-mail as `username`) as POST /access-tokens does, with its limits "
                   "and audit rows, and rotates as POST /refresh-tokens; "
                   "`/backend/token` signs a back-office user in. A public client may "
                   "name itself with `client_id`, or with `Authorization: Basic` of "
                   "`client_id:` and an empty secret (RFC 6749 §2.3.1); a secret is "
                   "refused. Discovery: RFC 8414 metadata at "
                   "`/.well-known/oauth-authorization-server` (Storefront) and "
                   "`/.well-known/oauth-authorization-server/backend`.",
    "security": [],
    "requestBody": {"required": True, "content": {FORM: {
        "schema": sref("TokenRequest"),
        "examples": {
            "password": {"summary": "Password grant", "value": {
                "grant_type": "password", "username": "admin@example.com",
                "password": "change123"}},
            "refresh_token": {"summary": "Refresh grant", "value": {
                "grant_type": "refresh_token", "refresh_token": "<refresh_token>"}},
        }}}},
    "responses": {
        "200": {"description": "Tokens (RFC 6749 §5.1)", "headers": headers("Pragma"),
                "content": {OAUTH_CT: {"schema": sref("OAuthTokens")}}},
        "400": oauth_response(
            "RFC 6749 §5.2: `invalid_request` (not form-encoded, a parameter missing "
            "or repeated), `invalid_grant` (wrong credentials, blocked user, bad "
            "refresh token), `unsupported_grant_type`",
            ["O-invalid_request", "O-invalid_request-grant", "O-invalid_request-media",
             "O-invalid_grant", "O-invalid_grant-refresh", "O-unsupported_grant_type",
             "O-invalid_request-client_id"]),
        "401": oauth_response("Client authentication sent (`invalid_client`): a secret, "
                              "in the form or in `Authorization: Basic`, or a malformed "
                              "Basic header. With `WWW-Authenticate: Basic "
                              "realm=\"glue-mfa\"` only when the client used the "
                              "`Authorization` header (RFC 6749 §5.2)",
                              ["O-invalid_client", "O-invalid_client-basic"]),
        "406": shared_response("406", "`Accept` admits no JSON (105)", ["E105"]),
        "413": shared_response("413", "Body over 64 KiB (106; the web server may answer "
                               "first with its own 413)", ["E106"]),
        "429": oauth_response("Sign-in limits reached (`invalid_grant`); `Retry-After`",
                              ["O-limit", "O-mfa_locked"], ["Retry-After"]),
        "403": dict(oauth_response(
            "`mfa_at_sign_in` on (contract §10.12), the right password of an account "
            "with an active method: `X-MFA-Code` missing (`mfa_required`, `code` "
            "5900, a code mailed; with `webauthn` active also `publicKey`, the "
            "passkey's request options) or invalid (`invalid_mfa_code`, `code` "
            "5901), with RFC 9470's `WWW-Authenticate`",
            ["O-mfa_required", "O-mfa_required-passkey", "O-invalid_mfa_code"])),
        "503": oauth_response("The database is down (`temporarily_unavailable`)",
                              ["O-temporarily_unavailable"]),
        "default": DEFAULT_500,
    },
}
token_op["responses"]["403"]["headers"]["WWW-Authenticate"] = href(
    "WWW-Authenticate-StepUp")
token_op.setdefault("parameters", []).append(
    {"$ref": "#/components/parameters/XMfaCodeSignIn"})
path("/token", [SF, BE], None, post=token_op)

# --- RFC 8414 authorization server metadata (both APIs) -------------------


def metadata_op(op_id, which, issuer):
    return {
        "tags": [which], "operationId": op_id,
        "summary": "OAuth 2.0 authorization server metadata (RFC 8414)",
        "description": "The issuer is `oauth_issuer` (configuration) when set"
                       + (" plus `/backend`" if which == "Backend: token" else "")
                       + ", else the request's own scheme and host (as links are); "
                       "never cached (`Cache-Control: no-store`). No authorization "
                       "endpoint, hence no `response_types_supported` (RFC 8414 §3.2 "
                       "omits empty members). Needs no token.",
        "security": [],
        "responses": {
            "200": {"description": "The metadata", "headers": headers("Pragma"),
                    "content": {OAUTH_CT: {"schema": sref("OAuthMetadata"),
                                           "example": {
                        "issuer": issuer, "token_endpoint": issuer + "/token",
                        "grant_types_supported": ["password", "refresh_token"],
                        "token_endpoint_auth_methods_supported": ["none"]}}}},
            "406": shared_response("406", "`Accept` admits no JSON (105)", ["E105"]),
            "default": DEFAULT_500,
        },
    }


path("/.well-known/oauth-authorization-server", [SF], None,
     get=metadata_op("getOAuthMetadata", "Storefront: sign-in",
                     "https://shop.example.com"))
path("/.well-known/oauth-authorization-server/backend", [SF], None,
     get=metadata_op("getBackendOAuthMetadata", "Backend: token",
                     "https://shop.example.com/backend"))

# --- Backend: users -------------------------------------------------------

E417 = ("No user with that id (417)", ["E417"])
E415 = ("Blocking or deleting yourself (415)", ["E415"])

path("/users", [BE], None,
     get=operation(
         "listUsers", "Every back-office user",
         "Any signed-in user may manage users (no roles yet).", ["Backend: users"],
         auth=USER, success={"200": ok_response("The users", "UserCollection")},
         paged=True),
     post=operation(
         "createUser", "Create a user", "Protected (`users`).", ["Backend: users"],
         auth=USER, body="UserCreateRequest", protected=True, code_header="XMfaCode",
         success={"201": ok_response("Created", "UserDocument")},
         errors={"422": ("A missing or invalid field (901) or a username that is taken "
                         "(416); an unknown locale (140)", ["E901-user", "E416", "E140"])}))

path("/users/{userId}", [BE], [P_USER],
     get=operation(
         "getUser", "Read a user", "One back-office user, by id; never a password.",
         ["Backend: users"], auth=USER,
         success={"200": ok_response("The user", "UserDocument")},
         errors={"404": E417}),
     patch=operation(
         "updateUser", "Change a user",
         "Blocking a user stops their tokens at once; a password set by someone else "
         "revokes that user's tokens. Changing one's own `password` needs "
         "`currentPassword`, checked under the sign-in limits and audited "
         "(`password_check`). Protected (`users`).", ["Backend: users"],
         auth=USER, body="UserUpdateRequest", protected=True, code_header="XMfaCode",
         success={"200": ok_response("The new state", "UserDocument")},
         errors={"400": ("A wrong currentPassword (408), counted as a failed sign-in",
                         ["E408-currentPassword"]),
                 "403": E415, "404": E417,
                 "422": ("An invalid field (901), one's own password without "
                         "currentPassword (901) or a username that is taken (416); an "
                         "unknown locale (140)",
                         ["E901-user", "E901-currentPassword", "E416", "E140"]),
                 "429": ("Sign-in limits of the user or the client address (113); "
                         "`Retry-After`", ["E113"], ["Retry-After"])}),
     delete=operation(
         "deleteUser", "Delete a user", "Protected (`users`).", ["Backend: users"],
         auth=USER, protected=True, code_header="XMfaCode",
         success={"204": ok_response("Deleted")},
         errors={"403": E415, "404": E417}))

path("/customer-multi-factor-auth-type-deactivate", [BE], None, post=operation(
    "rescueCustomerMfa", "Switch off a customer's method (rescue)",
    "For a customer locked out of their method: audited with both accounts; the "
    "customer gets a notification mail; their lockout is cleared. Protected "
    "(`customer-multi-factor-auth-type-deactivate`). Without `type` (absent, null or "
    "empty) every active method of the customer is switched off in one transaction: "
    "one audit row per method, one notification (contract §10.7).", ["Backend: rescue"],
    auth=USER, body="RescueRequest", protected=True, code_header="XMfaCode",
    success={"204": ok_response("The customer's method is off")},
    errors={
        "400": ("Not offered or not active for that customer (5906; without `type`: "
                "no method active), the deactivation could not be stored (5903)",
                ["E5906", "E5903", "E101-customerReference"]),
        "404": ("No customer with that `customerReference` (5907)", ["E5907-rescue"]),
    }))

# ---------------------------------------------------------------------------
# Components


def attrs_schema(props, required=(), description=None):
    s = {"type": "object", "properties": props}
    if required:
        s["required"] = list(required)
    if description:
        s["description"] = description
    return s


def name_prop(desc):
    return {"type": "string", "minLength": 1, "maxLength": 100,
            "description": desc + " (1–100 characters, no control characters)"}


SALUTATION = {"type": "string", "enum": ["Mr", "Mrs", "Ms", "Dr"], "nullable": True}
LOCALE = {"type": "string", "nullable": True, "pattern": "^[a-z]{2}_[A-Z]{2}$",
          "example": "de_DE",
          "description": "The language of the account's mails (contract §10.9), in "
                         "Spryker's form; null: none chosen, `default_locale` applies."}
LOCALE_IN = {"type": "string", "nullable": True,
             "pattern": "^[A-Za-z]{2}([_-][A-Za-z]{2})?$", "example": "de_DE",
             "description": "`en`, `de` or a locale of them (`en_US`, `de-AT`, any "
                            "case), stored as `ll_CC`; another language is `422` `140`; "
                            "null or absent leaves it as it is."}
EMAIL = {"type": "string", "format": "email", "maxLength": 254,
         "pattern": r"^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@"
                    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$",
         "description": "contract §3.9: ASCII only, at most 64 octets before the "
                        "`@`, labels of 1-63; stored and returned in lower case, "
                        "which is the form compared (another case is the same "
                        "address)"}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128, "format": "password",
            "writeOnly": True, "description": "8–128 bytes"}
TIME = {"type": "string", "format": "date-time", "example": "2025-01-31T12:00:00Z",
        "description": "UTC, seconds"}
LINKS = sref("Links")
B64U = {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "base64url"}
CRED_DESC = attrs_schema({"type": {"type": "string", "enum": ["public-key"]},
                          "id": B64U}, ["type", "id"])
CRED_PARAM = attrs_schema({"type": {"type": "string", "enum": ["public-key"]},
                           "alg": {"type": "integer", "enum": [-7, -8, -257]}},
                          ["type", "alg"])
UV = {"type": "string", "enum": ["required", "preferred", "discouraged"],
      "description": "`webauthn_user_verification`"}


def resource(type_, id_schema, attrs):
    return {"type": "object", "required": ["type", "id", "attributes", "links"],
            "properties": {"type": {"type": "string", "enum": [type_]},
                           "id": id_schema, "attributes": attrs, "links": LINKS}}


def document(res):
    return {"type": "object", "required": ["data"],
            "properties": {"data": sref(res)}}


def collection(res):
    return {"type": "object", "required": ["data", "links"],
            "properties": {"data": {"type": "array", "items": sref(res)},
                           "links": LINKS, "meta": sref("PageMeta")}}


def request_doc(type_, attrs):
    return {"type": "object", "required": ["data"], "properties": {"data": {
        "type": "object", "required": ["type", "attributes"],
        "properties": {"type": {"type": "string", "enum": [type_]},
                       "attributes": attrs}}}}


TOKEN_ATTRS = attrs_schema({
    "tokenType": {"type": "string", "enum": ["Bearer"]},
    "expiresIn": {"type": "integer", "description": "seconds (`access_token_ttl`, 28800)"},
    "accessToken": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
    "refreshToken": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
    "refreshTokenExpiresIn": {"type": "integer",
                              "description": "seconds (`refresh_token_ttl`, 2592000)"},
}, ["tokenType", "expiresIn", "accessToken", "refreshToken", "refreshTokenExpiresIn"])

ADDRESS_PROPS = {
    "salutation": SALUTATION,
    "firstName": name_prop("First name"),
    "lastName": name_prop("Last name"),
    "address1": {"type": "string", "minLength": 1, "maxLength": 255},
    "address2": {"type": "string", "maxLength": 255},
    "zipCode": {"type": "string", "minLength": 1, "maxLength": 15},
    "city": {"type": "string", "minLength": 1, "maxLength": 100},
    "iso2Code": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "isDefaultShipping": {"type": "boolean"},
    "isDefaultBilling": {"type": "boolean"},
}

USER_PROPS = {
    "username": dict(EMAIL, description="an e-mail address"),
    "password": PASSWORD,
    "firstName": name_prop("First name"),
    "lastName": name_prop("Last name"),
    "status": {"type": "string", "enum": ["active", "blocked"]},
    "locale": LOCALE_IN,
}

MFA_TYPE_ATTR = attrs_schema({"type": {
    "type": "string", "example": "email",
    "description": "The method (`methods`: `email`, `totp`, `webauthn`). Absent, null or "
                   "empty is 5902; another JSON type is `400` `101`."}})

code_enum_desc = "Every `code` the programs send, with its HTTP status:\n\n" + "\n".join(
    "- `%s` (%d) %s — %s" % (c, CODES[c][0], CODES[c][1], CODES[c][3]) for c in ORDER)

SCHEMAS = {
    "ErrorCode": {"type": "string", "enum": ORDER, "description": code_enum_desc},
    "ErrorSource": {"type": "object", "description": "The one input at fault.",
                    "properties": {
                        "pointer": {"type": "string",
                                    "description": "JSON Pointer into the request body"},
                        "header": {"type": "string", "example": "X-MFA-Code"},
                        "parameter": {"type": "string"}}},
    "Error": {"type": "object", "required": ["status", "code", "detail"],
              "properties": {
                  "status": {"type": "string", "pattern": "^[1-5][0-9]{2}$",
                             "description": "The HTTP status, as a string"},
                  "code": sref("ErrorCode"),
                  "detail": {"type": "string"},
                  "source": sref("ErrorSource"),
                  "meta": {"type": "object", "description":
                           "Only on a sign-in's `403` 5900 of an account with an "
                           "active `webauthn` (contract §10.12): the passkey's "
                           "request options",
                           "required": ["publicKey"], "properties": {
                               "publicKey": sref("WebauthnRequestOptions")},
                           "additionalProperties": False}}},
    "ErrorDocument": {"type": "object", "required": ["errors"],
                      "description": "JSON:API errors: exactly one error object.",
                      "properties": {"errors": {"type": "array", "minItems": 1,
                                                "maxItems": 1, "items": sref("Error")}},
                      "additionalProperties": False},
    "Links": {"type": "object", "required": ["self"], "properties": {
        "self": {"type": "string", "format": "uri",
                 "description": "Absolute, built from the request's scheme, Host and prefix"},
        # contract §10.10: the pagination links of a paged collection.
        "first": {"type": "string", "format": "uri",
                  "description": "Paged collections: the first page (`page[offset]=0`)"},
        "prev": {"type": "string", "format": "uri",
                 "description": "Paged collections: the page before (absent on the first)"},
        "next": {"type": "string", "format": "uri",
                 "description": "Paged collections: the page after (absent on the last)"},
        "last": {"type": "string", "format": "uri",
                 "description": "Paged collections: the last page"}}},
    "PageMeta": {"type": "object", "required": ["totalItems", "page"],
                 "description": "Paged collections (contract §10.10): the total and "
                                "the page answered.",
                 "properties": {
                     "totalItems": {"type": "integer", "minimum": 0},
                     "page": {"type": "object", "required": ["offset", "limit"],
                              "properties": {
                                  "offset": {"type": "integer", "minimum": 0},
                                  "limit": {"type": "integer", "minimum": 1,
                                            "maximum": 100}}}}},
    "TokenAttributes": TOKEN_ATTRS,
    "AccessTokenResource": resource("access-tokens", {"type": "string",
                                    "description": "the sign-in session"},
                                    sref("TokenAttributes")),
    "RefreshTokenResource": resource("refresh-tokens", {"type": "string"},
                                     sref("TokenAttributes")),
    "TokenDocument": document("AccessTokenResource"),
    "RefreshTokenDocument": document("RefreshTokenResource"),
    "CustomerAttributes": attrs_schema({
        "email": EMAIL, "firstName": {"type": "string"}, "lastName": {"type": "string"},
        "salutation": SALUTATION, "locale": LOCALE, "createdAt": TIME, "updatedAt": TIME,
    }, ["email", "firstName", "lastName", "salutation", "locale", "createdAt", "updatedAt"],
        "Never a password."),
    "CustomerResource": resource("customers", {"type": "string", "pattern": "^DE--[1-9][0-9]*$",
                                 "description": "the customer reference"},
                                 sref("CustomerAttributes")),
    "CustomerDocument": document("CustomerResource"),
    "CustomerCollection": collection("CustomerResource"),
    "AddressAttributes": attrs_schema(
        ADDRESS_PROPS, list(ADDRESS_PROPS)),
    "AddressResource": resource("addresses", {"type": "string", "format": "uuid"},
                                sref("AddressAttributes")),
    "AddressDocument": document("AddressResource"),
    "AddressCollection": collection("AddressResource"),
    "MfaTypeResource": resource("multi-factor-auth-types", {"type": "string",
                                "example": "email"}, attrs_schema({
                                    "type": {"type": "string", "example": "email"},
                                    "status": {"type": "string", "enum": [
                                        "deactivated", "activation is pending",
                                        "activated"]}}, ["type", "status"])),
    "MfaTypeDocument": document("MfaTypeResource"),
    "MfaTotpActivationResource": resource(
        "multi-factor-auth-type-activate", {"type": "string", "enum": ["totp"]},
        attrs_schema({
            "type": {"type": "string", "enum": ["totp"]},
            "secret": {"type": "string", "pattern": "^[A-Z2-7]{32}$",
                       "description": "RFC 4648 base32 of the 160-bit secret, no "
                                      "padding: for entering by hand. Shown once."},
            "uri": {"type": "string", "pattern": "^otpauth://totp/",
                    "example": "otpauth://totp/glue-mfa:sonia@example.com?secret="
                               "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=glue-mfa"
                               "&algorithm=SHA1&digits=6&period=30",
                    "description": "The key URI apps read (issuer: `totp_issuer`; "
                                   "label: the account's e-mail or username)."},
            "qrCodeSvg": {"type": "string", "pattern": "^<svg ",
                          "description": "An SVG document of the QR code of `uri` "
                                         "(no script, no external reference)."},
        }, ["type", "secret", "uri", "qrCodeSvg"],
            "RFC 6238: HMAC-SHA1, 6 digits, 30 s (contract §6.4).")),
    "MfaTotpActivationDocument": document("MfaTotpActivationResource"),
    "MfaWebauthnActivationResource": resource(
        "multi-factor-auth-type-activate", {"type": "string", "enum": ["webauthn"]},
        attrs_schema({
            "type": {"type": "string", "enum": ["webauthn"]},
            "publicKey": attrs_schema({
                "rp": attrs_schema({"id": {"type": "string"},
                                    "name": {"type": "string"}}, ["id", "name"]),
                "user": attrs_schema({
                    "id": dict(B64U, description="the account's user handle: 32 "
                               "random bytes, never the e-mail"),
                    "name": {"type": "string"}, "displayName": {"type": "string"}},
                    ["id", "name", "displayName"]),
                "challenge": dict(B64U, description="32 random bytes, single use"),
                "pubKeyCredParams": {"type": "array", "items": CRED_PARAM},
                "timeout": {"type": "integer",
                            "description": "`webauthn_challenge_ttl`, in ms"},
                "excludeCredentials": {"type": "array", "items": CRED_DESC},
                "authenticatorSelection": attrs_schema({
                    "residentKey": {"type": "string", "enum": ["preferred"]},
                    "userVerification": UV}, ["residentKey", "userVerification"]),
                "attestation": {"type": "string", "enum": ["none"]},
            }, ["rp", "user", "challenge", "pubKeyCredParams", "timeout",
                "excludeCredentials", "authenticatorSelection", "attestation"],
                "PublicKeyCredentialCreationOptions (WebAuthn §5.4), binary "
                "members in base64url without padding"),
        }, ["type", "publicKey"], "contract §12.2")),
    "MfaWebauthnActivationDocument": document("MfaWebauthnActivationResource"),
    "MfaActivationDocument": {"oneOf": [sref("MfaTotpActivationDocument"),
                                        sref("MfaWebauthnActivationDocument")]},
    "MfaWebauthnTriggerResource": resource(
        "multi-factor-auth-trigger", {"type": "string", "enum": ["webauthn"]},
        attrs_schema({
            "type": {"type": "string", "enum": ["webauthn"]},
            "publicKey": sref("WebauthnRequestOptions"),
        }, ["type", "publicKey"], "contract §12.3")),
    "MfaWebauthnTriggerDocument": document("MfaWebauthnTriggerResource"),
    "WebauthnRequestOptions": attrs_schema({
        "challenge": dict(B64U, description="32 random bytes, single use"),
        "allowCredentials": {"type": "array", "items": CRED_DESC},
        "timeout": {"type": "integer"},
        "rpId": {"type": "string"},
        "userVerification": UV,
    }, ["challenge", "allowCredentials", "timeout", "rpId", "userVerification"],
        "PublicKeyCredentialRequestOptions (WebAuthn §5.5), binary members in "
        "base64url without padding: the trigger's (contract §12.3) and a "
        "sign-in's `5900` (§10.12)"),
    "WebauthnCredentialResource": resource(
        "multi-factor-auth-webauthn-credentials", {"type": "string", "format": "uuid"},
        attrs_schema({
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "credentialId": B64U,
            "algorithm": {"type": "integer", "enum": [-7, -8, -257],
                          "description": "COSE: ES256, EdDSA, RS256"},
            "backupEligible": {"type": "boolean"},
            "backedUp": {"type": "boolean"},
            "createdAt": TIME,
            "lastUsedAt": dict(TIME, nullable=True, description="null: never used"),
        }, ["name", "credentialId", "algorithm", "backupEligible", "backedUp",
            "createdAt", "lastUsedAt"], "Never a key (contract §12.7).")),
    "WebauthnCredentialCollection": {
        "type": "object", "required": ["data", "links"],
        "properties": {"data": {"type": "array",
                                "items": sref("WebauthnCredentialResource")},
                       "links": LINKS}},
    "RecoveryCodesResource": resource(
        "multi-factor-auth-recovery-codes", {"type": "string", "enum": ["mine"]},
        attrs_schema({
            "codes": {"type": "array", "minItems": 10, "maxItems": 10,
                      "items": {"type": "string",
                                "pattern": "^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"},
                      "description": "Only in the answer of POST, this once. Typed "
                                     "back, case, dashes and spaces do not matter, "
                                     "and O reads as 0, I and L as 1."},
            "remaining": {"type": "integer", "minimum": 0, "maximum": 10},
            "createdAt": dict(TIME, nullable=True,
                              description="when the set was made; null: no set"),
        }, ["remaining", "createdAt"])),
    "RecoveryCodesDocument": document("RecoveryCodesResource"),
    "MfaTypeCollection": collection("MfaTypeResource"),
    "UserAttributes": attrs_schema({
        "username": EMAIL, "firstName": {"type": "string"},
        "lastName": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "blocked"]},
        "locale": LOCALE, "createdAt": TIME, "updatedAt": TIME,
    }, ["username", "firstName", "lastName", "status", "locale", "createdAt", "updatedAt"],
        "Never a password."),
    "UserResource": resource("users", {"type": "string", "format": "uuid"},
                             sref("UserAttributes")),
    "UserDocument": document("UserResource"),
    "UserCollection": collection("UserResource"),
    "DevMailboxAttributes": attrs_schema({
        "to": {"type": "string"}, "subject": {"type": "string"},
        "date": {"type": "string"},
        "text": {"type": "string", "description": "the text/plain part (one message only)"},
        "html": {"type": "string", "description": "the text/html part (one message only)"},
    }, ["to", "subject", "date"]),
    "DevMailboxResource": resource("dev-mailbox", {"type": "string",
                                   "pattern": "^[0-9-]+\\.eml$"},
                                   sref("DevMailboxAttributes")),
    "DevMailboxDocument": document("DevMailboxResource"),
    "DevMailboxCollection": collection("DevMailboxResource"),
    "TokenRequest": {"type": "object", "required": ["grant_type"], "properties": {
        "grant_type": {"type": "string", "enum": ["password", "refresh_token"]},
        "username": {"type": "string", "description": "password grant"},
        "password": {"type": "string", "format": "password",
                     "description": "password grant"},
        "client_id": {"type": "string", "description": "a public client's name "
                      "(optional; the same as Basic's when both are sent)"},
        "refresh_token": {"type": "string", "description": "refresh_token grant"}},
        "description": "Each parameter at most once; no `client_secret`."},
    "OAuthTokens": {"type": "object",
                    "required": ["token_type", "expires_in", "access_token",
                                 "refresh_token"],
                    "properties": {
                        "token_type": {"type": "string", "enum": ["Bearer"]},
                        "expires_in": {"type": "integer"},
                        "access_token": {"type": "string",
                                         "pattern": "^[A-Za-z0-9_-]{43}$"},
                        "refresh_token": {"type": "string",
                                          "pattern": "^[A-Za-z0-9_-]{43}$"}}},
    "OAuthMetadata": {"type": "object",
                      "required": ["issuer", "token_endpoint", "grant_types_supported",
                                   "token_endpoint_auth_methods_supported"],
                      "properties": {
                          "issuer": {"type": "string", "format": "uri"},
                          "token_endpoint": {"type": "string", "format": "uri"},
                          "grant_types_supported": {
                              "type": "array", "items": {"type": "string",
                                                         "enum": ["password",
                                                                  "refresh_token"]}},
                          "token_endpoint_auth_methods_supported": {
                              "type": "array", "items": {"type": "string",
                                                         "enum": ["none"]}}}},
    "OAuthError": {"type": "object", "required": ["error", "error_description"],
                   "properties": {
                       "error": {"type": "string", "enum": [
                           "invalid_request", "invalid_grant", "unsupported_grant_type",
                           "invalid_client", "temporarily_unavailable",
                           "mfa_required", "invalid_mfa_code"]},
                       "error_description": {"type": "string"},
                       "code": {"type": "string", "description": "contract §10.12: the "
                                "JSON:API code of an MFA answer (5900, 5901, 5911)"},
                       "publicKey": sref("WebauthnRequestOptions")}},
}

REQUEST_BODIES = {}


def request_body(name, type_, attrs, example_attrs):
    schema_name = name
    SCHEMAS[schema_name] = request_doc(type_, attrs)
    example = {"data": {"type": type_, "attributes": example_attrs}}
    REQUEST_BODIES[name] = {"required": True, "content": {
        JSONAPI: {"schema": sref(schema_name), "example": example},
        "application/json": {"schema": sref(schema_name), "example": example}}}


request_body("AccessTokenRequest", "access-tokens", attrs_schema(
    {"username": dict(EMAIL, description="the customer's e-mail"),
     "password": {"type": "string", "format": "password"}},
    ["username", "password"]),
    {"username": "sonia@example.com", "password": "change123"})
request_body("RefreshTokenRequest", "refresh-tokens", attrs_schema(
    {"refreshToken": {"type": "string"}}, ["refreshToken"]),
    {"refreshToken": "<refreshToken>"})
request_body("CustomerCreateRequest", "customers", attrs_schema({
    "firstName": name_prop("First name"), "lastName": name_prop("Last name"),
    "salutation": SALUTATION, "email": EMAIL, "password": PASSWORD,
    "confirmPassword": {"type": "string", "format": "password", "writeOnly": True},
    "acceptedTerms": {"type": "boolean", "enum": [True]},
    "locale": LOCALE_IN,
}, ["firstName", "lastName", "email", "password", "confirmPassword", "acceptedTerms"]),
    {"firstName": "Erika", "lastName": "Mustermann", "salutation": "Ms",
     "email": "erika@example.com", "password": "s3cret-Passw0rd",
     "confirmPassword": "s3cret-Passw0rd", "acceptedTerms": True})
request_body("CustomerConfirmationRequest", "customer-confirmation", attrs_schema(
    {"registrationKey": {"type": "string", "minLength": 43, "maxLength": 43,
                         "description": "the key from the confirmation mail"}},
    ["registrationKey"]),
    {"registrationKey": "Wq0yqHkVjlJDX0vR3pRAqw8nU5tYcM2e7fGhK1oZb4s"})
request_body("CustomerUpdateRequest", "customers", attrs_schema({
    "firstName": name_prop("First name"), "lastName": name_prop("Last name"),
    "salutation": SALUTATION, "email": EMAIL, "locale": LOCALE_IN}), {"firstName": "Sonja"})
request_body("CustomerPasswordRequest", "customer-password", attrs_schema({
    "password": {"type": "string", "format": "password", "writeOnly": True,
                 "description": "the current password"},
    "newPassword": PASSWORD,
    "confirmPassword": {"type": "string", "format": "password", "writeOnly": True},
}, ["password", "newPassword", "confirmPassword"]),
    {"password": "change123", "newPassword": "a-new-passw0rd",
     "confirmPassword": "a-new-passw0rd"})
request_body("AddressCreateRequest", "addresses", attrs_schema(
    ADDRESS_PROPS, ["firstName", "lastName", "address1", "zipCode", "city", "iso2Code"]),
    {"firstName": "Sonia", "lastName": "Example", "address1": "Julie-Wolfthorn-Strasse 1",
     "zipCode": "10115", "city": "Berlin", "iso2Code": "DE", "isDefaultShipping": True})
request_body("AddressUpdateRequest", "addresses", attrs_schema(ADDRESS_PROPS),
             {"city": "Hamburg", "zipCode": "20095"})
request_body("MfaVerifyRequest", "multi-factor-auth-type-verify", attrs_schema(dict(
    MFA_TYPE_ATTR["properties"],
    name={"type": "string", "nullable": True, "minLength": 1, "maxLength": 64,
          "description": "webauthn: the credential's name (default `Passkey`)"},
    credential={
        "type": "object",
        "description": "webauthn (contract §12.2): the PublicKeyCredential of "
                       "`navigator.credentials.create`, binary members in base64url",
        "required": ["id", "type", "response"],
        "properties": {
            "id": B64U, "rawId": B64U,
            "type": {"type": "string", "enum": ["public-key"]},
            "response": {"type": "object",
                         "required": ["clientDataJSON", "attestationObject"],
                         "properties": {"clientDataJSON": B64U,
                                        "attestationObject": B64U}}}})),
    {"type": "email"})
for res, name in (("multi-factor-auth-type-activate", "MfaActivateRequest"),
                  ("multi-factor-auth-trigger", "MfaTriggerRequest"),
                  ("multi-factor-auth-type-deactivate", "MfaDeactivateRequest")):
    request_body(name, res, MFA_TYPE_ATTR, {"type": "email"})
request_body("MfaTriggerRequest", "multi-factor-auth-trigger", attrs_schema(dict(
    MFA_TYPE_ATTR["properties"], action={
        "type": "object", "nullable": True,
        "description": "Optional (contract §10.8): the one protected request the code "
                       "is for. Absent or null: any protected request, as before.",
        "required": ["method", "resourceType"],
        "properties": {
            "method": {"type": "string", "enum": ["POST", "PUT", "PATCH", "DELETE"]},
            "resourceType": {"type": "string", "example": "customer-password"},
            "id": {"type": "string", "nullable": True, "example": "DE--1",
                   "description": "the resource's id in the request's path (a "
                                  "customer reference, a UUID); absent where the "
                                  "path has none (POST)"}}})),
    {"type": "email", "action": {"method": "PATCH", "resourceType": "customer-password",
                                 "id": "DE--1"}})
request_body("RecoveryCodesRequest", "multi-factor-auth-recovery-codes",
             attrs_schema({}), {})
request_body("UserCreateRequest", "users", attrs_schema(
    USER_PROPS, ["username", "password", "firstName", "lastName"]),
    {"username": "ops@example.com", "password": "a long password",
     "firstName": "Olga", "lastName": "Ops"})
request_body("UserUpdateRequest", "users", attrs_schema(dict(USER_PROPS, currentPassword={
    "type": "string", "format": "password", "writeOnly": True,
    "description": "the caller's current password: required when changing one's own "
                   "`password`, ignored otherwise"})),
             {"status": "blocked"})
request_body("RescueRequest", "customer-multi-factor-auth-type-deactivate", attrs_schema({
    "customerReference": {"type": "string", "example": "DE--1"},
    "type": {"type": "string", "nullable": True, "example": "email",
             "description": "The method to switch off. Absent, null or empty: every "
                            "active method of the customer (contract §10.7); another "
                            "JSON type is `400` `101`."}}, ["customerReference"]),
    {"customerReference": "DE--1", "type": "email"})

MFA_HEADER_DESC = ("A code mailed for the account (`code_length` digits). Within "
                   "`grace_period` seconds after its first use, the same access token "
                   "may send the same code again. For `webauthn`: a passkey's "
                   "assertion, the base64url of the compact JSON {id, clientDataJSON, "
                   "authenticatorData, signature, userHandle} answering a trigger's "
                   "challenge (contract §12.4), at most 4096 characters.")
RECOVERY_HEADER_DESC = (" A recovery code (`multi-factor-auth-recovery-codes`) passes "
                        "too, once; the answer then carries "
                        "`X-MFA-Recovery-Codes-Remaining` when two or fewer are left.")
CODE_SCHEMA = {"type": "string",
               "pattern": "^([0-9]{6,10}|[0-9A-Za-z -]{16,24}|[A-Za-z0-9_-]{16,4096})$"}

PARAMETERS = {
    "customerReference": {"name": "customerReference", "in": "path", "required": True,
                          "description": "The signed-in customer's reference; any other "
                                         "is `403` `411`.",
                          "schema": {"type": "string", "example": "DE--1"}},
    "addressId": {"name": "addressId", "in": "path", "required": True,
                  "schema": {"type": "string", "format": "uuid"},
                  "description": "An address id (unknown or malformed: `404` `412`)."},
    "userId": {"name": "userId", "in": "path", "required": True,
               "schema": {"type": "string", "format": "uuid"},
               "description": "A user id (unknown or malformed: `404` `417`)."},
    "credentialId": {"name": "credentialId", "in": "path", "required": True,
                     "schema": {"type": "string", "format": "uuid"},
                     "description": "A passkey's id (the list's `id`; unknown or "
                                    "malformed: `404` `148`)."},
    "mfaType": {"name": "type", "in": "path", "required": True,
                "schema": {"type": "string", "example": "email"},
                "description": "An MFA method; one not offered is `404` `103`."},
    "refreshTokenPath": {"name": "refreshToken", "in": "path", "required": True,
                         "schema": {"type": "string", "example": "mine"},
                         "description": "`current` (this session), `mine` (every session), or one of the caller's refresh tokens (kept in access logs: prefer `current`)."},
    "messageId": {"name": "messageId", "in": "path", "required": True,
                  "schema": {"type": "string", "pattern": "^[0-9-]+\\.eml$"},
                  "description": "A spool file name, as the list gives it."},
    "IdempotencyKey": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 16, "maxLength": 130,
                   "pattern": "^\"?[A-Za-z0-9._~:+/=-]{16,128}\"?$",
                   "example": "\"8e03978e-40d5-43e8-bc93-6894a57f9324\""},
        "description": "IETF httpapi draft *The Idempotency-Key HTTP Header "
                       "Field*: the same key and the same body (byte for byte) "
                       "within `idempotency_window` (24 h) get the first "
                       "successful answer again (status, headers, body, with "
                       "`Idempotent-Replayed: true` and a new `X-Request-Id`) "
                       "and the work is not done again; no MFA code is checked "
                       "or spent for a replay. Another body with the key is "
                       "`422` 116; a malformed key `400` 115; empty is absent; "
                       "a request with the key still under way after 3 s of "
                       "waiting for it is `409` 117 with `Retry-After`. "
                       "The key is scoped to the caller (side and account; the "
                       "path for requests without one). Refusals are not "
                       "stored. Use a fresh random key (a UUID) per operation."},
    # contract §10.10: JSON:API query parameters.
    "fields": {"name": "fields", "in": "query", "required": False,
               "style": "deepObject", "explode": True,
               "schema": {"type": "object",
                          "additionalProperties": {"type": "string",
                                                   "pattern": "^([A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*)?$"}},
               "example": {"users": "username,status"},
               "description": "Sparse fieldsets: `fields[TYPE]=a,b` keeps only "
                              "those attributes of every resource of TYPE in the "
                              "answer (empty: none); a name the type lacks keeps "
                              "nothing. Malformed: `400` 137. `include`, `sort` "
                              "and other a-z names are `400` 135; names with "
                              "another character (`_`) are ignored."},
    "pageOffset": {"name": "page[offset]", "in": "query", "required": False,
                   "schema": {"type": "integer", "minimum": 0, "maximum": 999999999,
                              "default": 0},
                   "description": "Resources to skip, oldest first; past the end the "
                                  "page is empty. Else `400` 136."},
    "pageLimit": {"name": "page[limit]", "in": "query", "required": False,
                  "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                             "default": 50},
                  "description": "Resources in the page (default 50, at most 100). "
                                 "Else `400` 136."},
    "XMfaCode": {"name": "X-MFA-Code", "in": "header", "required": False,
                 "schema": CODE_SCHEMA,
                 "description": "Needed when the account has an active MFA method "
                                "(this write is protected): missing is `403` 5900, "
                                "not acceptable `403` 5901 (or `429` 5911 while locked). "
                                "Any active method's code passes. " + MFA_HEADER_DESC
                                + RECOVERY_HEADER_DESC},
    "XMfaCodeOptional": {"name": "X-MFA-Code", "in": "header", "required": False,
                         "schema": CODE_SCHEMA,
                         "description": "Needed only when another method is already "
                                        "active: a code of that method. " + MFA_HEADER_DESC
                                        + RECOVERY_HEADER_DESC},
    "XMfaCodeSignIn": {"name": "X-MFA-Code", "in": "header", "required": False,
                       "schema": CODE_SCHEMA,
                       "description": "Only with `mfa_at_sign_in` on (contract §10.12) "
                                      "and an account with an active method: after "
                                      "the first attempt's `403` 5900, a code of any "
                                      "active method. " + MFA_HEADER_DESC
                                      + RECOVERY_HEADER_DESC},
    "XMfaCodeRequired": {"name": "X-MFA-Code", "in": "header", "required": True,
                         "schema": CODE_SCHEMA,
                         "description": "A code of the method named in the body "
                                        "(missing: `403` 5900). " + MFA_HEADER_DESC
                                        + " Deactivate also takes a recovery code "
                                        "(verify does not)." + RECOVERY_HEADER_DESC},
    "XMfaCodeVerify": {"name": "X-MFA-Code", "in": "header", "required": False,
                       "schema": CODE_SCHEMA,
                       "description": "A code of the method named in the body "
                                      "(missing: `403` 5900); `webauthn` takes none "
                                      "(its body carries the response). "
                                      + MFA_HEADER_DESC},
    "XMfaCodeWebauthn": {"name": "X-MFA-Code", "in": "header", "required": True,
                         "schema": CODE_SCHEMA,
                         "description": "A code of an active method (missing: `403` "
                                        "5900); not a recovery code. " + MFA_HEADER_DESC},
    "XMfaCodeMethod": {"name": "X-MFA-Code", "in": "header", "required": True,
                       "schema": {"type": "string", "pattern": "^[0-9]{6,10}$"},
                       "description": "A code of an active method (missing: `403` "
                                      "5900); not a recovery code. " + MFA_HEADER_DESC},
}

HEADERS = {
    "X-Request-Id": {"description": "A fresh id for every response; the programs' log "
                                    "lines of the request carry the same id.",
                     "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
    "Cache-Control": {"description": "Never cacheable.",
                      "schema": {"type": "string", "enum": ["no-store"]}},
    "Retry-After": {"description": "Seconds until a retry can succeed.",
                    "schema": {"type": "integer", "minimum": 1}},
    "Allow": {"description": "The methods served at the path, e.g. `GET, HEAD, OPTIONS`.",
              "schema": {"type": "string"}},
    "Pragma": {"description": "RFC 6749 §5.1.", "schema": {"type": "string",
                                                          "enum": ["no-cache"]}},
    "X-MFA-Recovery-Codes-Remaining": {
        "description": "Sent with a successful answer that spent a recovery code "
                       "when two or fewer of the set are left (2, 1, 0); absent "
                       "otherwise. Make a new set soon.",
        "schema": {"type": "integer", "minimum": 0, "maximum": 2}},
    "WWW-Authenticate": {"description": "RFC 6749 §5.2: the scheme tried; on the token "
                                        "endpoints only after an `Authorization` header.",
                         "schema": {"type": "string",
                                    "example": "Basic realm=\"glue-mfa\""}},
}

# contract §10.1, §10.3: headers sent only on some answers (required: false).
HEADERS.update({
    "Access-Control-Allow-Origin": {
        "description": "contract §10.1: the request's `Origin`, when it is one of "
                       "`cors_allow_origins`; absent for any other origin and when "
                       "CORS is off (the default).",
        "required": False, "schema": {"type": "string",
                                      "example": "https://shop.example"}},
    "Vary": {"description": "`Origin`, with `Access-Control-Allow-Origin`.",
             "required": False, "schema": {"type": "string", "enum": ["Origin"]}},
    "Access-Control-Expose-Headers": {
        "description": "With `Access-Control-Allow-Origin` on every answer but a "
                       "preflight: what a page may read.",
        "required": False, "schema": {"type": "string", "enum": [
            "X-Request-Id, Retry-After, WWW-Authenticate"]}},
    "Access-Control-Allow-Methods": {
        "description": "A CORS preflight's answer: the methods served at the path "
                       "(as `Allow`).",
        "required": False, "schema": {"type": "string"}},
    "Access-Control-Allow-Headers": {
        "description": "A CORS preflight's answer: the request headers the API reads.",
        "required": False, "schema": {"type": "string", "enum": [
            "Authorization, Content-Type, Accept, X-MFA-Code, Idempotency-Key"]}},
    "Access-Control-Max-Age": {
        "description": "A CORS preflight's answer: seconds a browser may keep it.",
        "required": False, "schema": {"type": "integer", "enum": [600]}},
    "WWW-Authenticate-StepUp": {
        "description": "RFC 9470 (contract §10.3): with `5900` and `5901` on a route "
                       "authenticated by a bearer token: a second factor is wanted. "
                       "Get a code and send the same request again with `X-MFA-Code`.",
        "required": False, "schema": {"type": "string", "example":
            "Bearer error=\"insufficient_user_authentication\", error_description="
            "\"A second factor is required: send a code in X-MFA-Code\""}},
})

CORS_ANSWER = ("Access-Control-Allow-Origin", "Vary", "Access-Control-Expose-Headers")
CORS_PREFLIGHT = ("Access-Control-Allow-Origin", "Vary", "Access-Control-Allow-Methods",
                  "Access-Control-Allow-Headers", "Access-Control-Max-Age")


def add_cors_and_step_up():
    """contract §10.1: the CORS headers on every answer (preflight headers on
    OPTIONS); §10.3: WWW-Authenticate on the answers that carry 5900/5901."""
    def add(resp, names):
        h = resp.setdefault("headers", {})
        for n in names:
            h.setdefault(n, href(n))

    for resp in RESPONSES.values():
        add(resp, CORS_ANSWER)
        examples = (resp.get("content", {}).get(JSONAPI, {}).get("examples") or {})
        if "5900" in examples or "5901" in examples:
            resp["headers"].setdefault("WWW-Authenticate", href("WWW-Authenticate-StepUp"))
    for item in PATHS.values():
        for m, op in item.items():
            if m not in ("get", "post", "put", "patch", "delete", "options"):
                continue
            for resp in op["responses"].values():
                if "$ref" not in resp:
                    add(resp, CORS_PREFLIGHT if m == "options" else CORS_ANSWER)


add_cors_and_step_up()

DESCRIPTION = """\
Spryker's Multi-Factor Authentication Glue API, in C (glue-mfa). Two APIs on one server,
one document each: the **Storefront API** for customers at `/` (`openapi-storefront.json`)
and the **Backend API** for back-office users at `/backend` (`openapi-backend.json`). The
MFA resources and the recovery codes exist on both, at the same paths under each API's
server, each with its own API's tokens.
The README's API chapter is the prose reference; this document is checked against the
live server by `tests/e2e/test_zzz_openapi.py` after the whole end-to-end suite.

**JSON:API.** Responses with a body are `application/vnd.api+json` (only `POST
/backend/token` answers OAuth 2.0's plain JSON). Request bodies are JSON:API documents
sent as `application/vnd.api+json` or `application/json`. Success without a body is `204`.
Every response carries a fresh `X-Request-Id` and `Cache-Control: no-store`. Errors are
`{"errors":[{"status","code","detail"[,"source"]}]}`; the codes are the `ErrorCode`
schema.

**The front line**, checked in this order (the first failure answers): unknown path
`404` 103; method not served `405` 104 with `Allow`; body media type `415` 107; `Accept`
`406` 105; body over 64 KiB `413` 106; malformed body `400` 100; missing or mistyped
member `400` 101; `data.type` not the endpoint's `409` 102; no token `403` 002; bad
token `401` 001; then, for a protected write, `X-MFA-Code` (`403` 5900/5901, `429`
5911). A database that is down is `503` 110 wherever the database is needed; anything
unexpected `500` 111 (the `default` response).

**Retries.** Every `POST` takes an `Idempotency-Key` (the IETF httpapi draft): the
same key and body within `idempotency_window` (24 h) get the first successful answer
again, with `Idempotent-Replayed: true`, and the work is not done twice; another body
is `422` 116, a malformed key `400` 115, a request with the key still under way `409`
117 with `Retry-After` (contract §9.6).

**Methods.** `OPTIONS` answers `204` with `Allow` on every path; it is not listed
among the operations (a client never calls it: browsers send it): each path's
`x-options` gives its answer. `HEAD` is served wherever
`GET` is, with `GET`'s status and headers and no body; it is not listed separately. A
method a path does not serve is `405`; a path not listed here is `404` (JSON:API from
the programs, or the web server's own page outside the programs' paths).

**Multi-factor authentication.** A write (POST, PUT, PATCH, DELETE) to a protected
resource type needs `X-MFA-Code` when the account has an active method. Defaults:
`protected_storefront = customers,customer-password,addresses`,
`protected_backend = users,customer-multi-factor-auth-type-deactivate` (configuration).
Codes live `code_ttl` seconds (600), are single use with a `grace_period` (300 s) for
the same token and code, and `max_failures` (10) wrong codes lock the account's code
checks (`429` 5911, `Retry-After`). Recovery codes
(`/multi-factor-auth-recovery-codes`) stand in once each for a code of an active method.
"""

DOC = {
    "openapi": "3.0.3",
    "info": {
        "title": "glue-mfa: Multi-Factor Authentication Glue API (Storefront and Backend)",
        "version": "1.0.0",
        "description": DESCRIPTION,
    },
    "tags": [
        {"name": "Storefront: sign-in", "description": "Customer tokens"},
        {"name": "Storefront: customers", "description": "The signed-in customer"},
        {"name": "Storefront: addresses", "description": "The customer's addresses"},
        {"name": "Multi-factor authentication",
         "description": "The five MFA resources and the recovery codes, on both APIs"},
        {"name": "Backend: token", "description": "OAuth 2.0 for back-office users"},
        {"name": "Backend: users", "description": "Back-office users"},
        {"name": "Backend: rescue", "description": "An administrator helps a customer"},
        {"name": "Development", "description": "Only for `www/` in development"},
        {"name": "HTTP", "description": "OPTIONS"},
    ],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "customerToken": {"type": "http", "scheme": "bearer",
                              "description": "Storefront: `accessToken` of POST "
                                             "/access-tokens or /refresh-tokens."},
            "userToken": {"type": "http", "scheme": "bearer",
                          "description": "Backend: `access_token` of POST /backend/token."},
        },
        "parameters": PARAMETERS,
        "headers": HEADERS,
        "responses": RESPONSES,
        "requestBodies": REQUEST_BODIES,
        "schemas": SCHEMAS,
        "examples": EXAMPLES,
    },
}

# ---------------------------------------------------------------------------
# The two documents: one per API, each with its one server at the top
# (generated clients take the top-level server; path-level servers they
# ignore).  Built from the tables above, whatever they hold: a path goes
# into the document of every server it names; the MFA operations, which
# accept either bearer scheme, keep the one of the document's API;
# components are those the document refers to.

API_FILES = [("openapi-storefront.json", SF, "customerToken", "Storefront API (customers)"),
             ("openapi-backend.json", BE, "userToken", "Backend API (back-office users)")]

# The one licence statement of the documents (OpenAPI info.license): the
# repository carries no licence file.
LICENSE = {"name": "All rights reserved (the repository grants no licence)"}

# Response headers sent only sometimes; every other documented header is
# required (sent with every answer of that response).
CONDITIONAL_HEADERS = {"X-MFA-Recovery-Codes-Remaining"}

# The operations whose X-MFA-Code also takes a recovery code (the header's
# descriptions): their successes may carry X-MFA-Recovery-Codes-Remaining.
RECOVERY_PARAMS = {"XMfaCode", "XMfaCodeOptional"}
RECOVERY_OPS = {"deactivateMfaType"}


def _refs(node, out):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/"):
            out.add(tuple(r[len("#/components/"):].split("/", 1)))
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)
    return out


def _inline(node, components):
    """node with every local $ref replaced by a copy of its target."""
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/"):
            kind, name = r[len("#/components/"):].split("/", 1)
            return _inline(components[kind][name], components)
        return {k: _inline(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, components) for v in node]
    return node


def _with_recovery_header(op):
    """Successes of operations that take a recovery code document the
    X-MFA-Recovery-Codes-Remaining header (contract §8)."""
    codes = {p["$ref"].rsplit("/", 1)[1] for p in op.get("parameters", [])
             if "$ref" in p}
    if not (codes & RECOVERY_PARAMS or op.get("operationId") in RECOVERY_OPS):
        return op
    op = dict(op, responses=dict(op["responses"]))
    for status, resp in op["responses"].items():
        if status.startswith("2") and "$ref" not in resp:
            h = dict(resp.get("headers") or {})
            h.setdefault("X-MFA-Recovery-Codes-Remaining",
                         href("X-MFA-Recovery-Codes-Remaining"))
            op["responses"][status] = dict(resp, headers=h)
    return op


def api_document(server, scheme, title):
    paths = {}
    for template, item in ALL_PATHS:
        if server not in item.get("servers", []):
            continue
        out = {}
        for k, v in item.items():
            if k == "servers":
                continue
            if k == "options":
                # Not an operation (no client calls it): its answer, inlined,
                # and the Allow it sends.
                o = _inline(v, DOC["components"])
                for resp in o["responses"].values():
                    resp["headers"] = {
                        n: dict(h, required=h.get("required",
                                                  n not in CONDITIONAL_HEADERS))
                        for n, h in (resp.get("headers") or {}).items()}
                ms = {m.upper() for m in item if m in ("get", "post", "put", "patch",
                                                       "delete")}
                ms |= {"OPTIONS"} | ({"HEAD"} if "GET" in ms else set())
                out["x-options"] = {
                    "description": o["description"],
                    "allow": ", ".join(m for m in ("GET", "HEAD", "POST", "PUT", "PATCH",
                                                   "DELETE", "OPTIONS") if m in ms),
                    "responses": o["responses"]}
                continue
            if isinstance(v, dict) and "responses" in v:
                v = _with_recovery_header(v)
                if v.get("security"):
                    sec = [s for s in v["security"] if scheme in s]
                    v = dict(v, security=sec or v["security"])
            out[k] = v
        assert template not in paths, "%s twice on %s" % (template, server["url"])
        paths[template] = out
    components = DOC["components"]
    want = _refs(paths, set()) | {("securitySchemes", scheme)}
    todo = list(want)
    while todo:
        kind, name = todo.pop()
        for ref in _refs(components[kind][name], set()):
            if ref not in want:
                want.add(ref)
                todo.append(ref)
    comps = {}
    for kind, table in components.items():
        kept = {n: v for n, v in table.items() if (kind, n) in want}
        if kind == "headers":
            kept = {n: dict(v, required=v.get("required",
                                               n not in CONDITIONAL_HEADERS))
                    for n, v in kept.items()}
        if kept:
            comps[kind] = kept
    used_tags = {t for item in paths.values() for op in item.values()
                 if isinstance(op, dict) for t in op.get("tags", [])}
    info = dict(DOC["info"], title="glue-mfa: " + title, license=LICENSE)
    info["description"] = ("**This document: the %s**, at `%s` (security scheme "
                           "`%s`).\n\n" % (title, server["url"], scheme)
                           + info["description"])
    doc = {k: v for k, v in DOC.items() if k not in ("paths", "components")}
    doc.update({"info": info, "servers": [server],
                "tags": [t for t in DOC["tags"] if t["name"] in used_tags],
                "paths": paths, "components": comps})
    return doc


def documents():
    """{file name: document}"""
    return {name: api_document(server, scheme, title)
            for name, server, scheme, title in API_FILES}


if __name__ == "__main__":
    outdir = sys.argv[1] if len(sys.argv) > 1 else "www"
    for name, doc in documents().items():
        with open("%s/%s" % (outdir, name), "w") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")
