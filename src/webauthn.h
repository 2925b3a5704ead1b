/*
 * webauthn.h: the WebAuthn checks of the method "webauthn" (contract §12):
 * registration (attestation) and authentication (assertion) responses,
 * verified with libfido2; the attestation object's CBOR map opened with
 * libcbor.  No database, no JSON:API: webauthn.c checks bytes against a
 * policy and a stored credential, method_webauthn.c does the rest
 * (challenges, storage, counters' audit, the five resources).
 */

#ifndef WEBAUTHN_H
#define WEBAUTHN_H

#include <stddef.h>

#define WA_CHALLENGE_BYTES	32	/* random bytes per challenge (>= 16) */
#define WA_CRED_ID_MAX		1023	/* WebAuthn: credential ids <= 1023 */
#define WA_PUBKEY_MAX		600	/* libfido2's form of the key */
#define WA_USER_HANDLE_MAX	64	/* WebAuthn: user.id <= 64 bytes */
#define WA_CLIENT_DATA_MAX	1024	/* clientDataJSON we accept */
#define WA_AUTH_DATA_MAX	1024	/* authenticatorData of an assertion */
#define WA_ATT_OBJ_MAX		8192	/* attestationObject we accept */
#define WA_SIG_MAX		512	/* RS256 2048: 256; ES256 DER <= 72 */
/* X-MFA-Code carrying an assertion: base64url characters we decode.  The
 * WebAuthn §16 ES256 and EdDSA assertions encode to 563-787 characters,
 * an RS256 one (256-byte signature, 32-byte id, 230-byte clientDataJSON)
 * to 1079-1215 as its userHandle is absent or 64 bytes.  Web servers
 * refuse a header line past 8 KiB (nginx, Apache) or all headers past
 * 8 KiB (lighttpd): 4096 leaves room. */
#define WA_HEADER_MAX		4096
/* CBOR nesting we open: attestation object > attStmt > x5c > cert is 3;
 * extension values may nest a little deeper. */
#define WA_CBOR_DEPTH		8

/* COSE algorithm identifiers (IANA), as in pubKeyCredParams. */
#define WA_ALG_ES256		(-7)
#define WA_ALG_EDDSA		(-8)
#define WA_ALG_RS256		(-257)

struct wa_policy {
	const char		*rp_id;		/* webauthn_rp_id */
	const char *const	*origins;	/* webauthn_origins */
	size_t			 norigins;
	int			 require_uv;	/* webauthn_user_verification */
};

/* A registered credential: what wa_register() yields and the method stores. */
struct wa_credential {
	unsigned char	 id[WA_CRED_ID_MAX];
	size_t		 id_len;
	int		 alg;			/* WA_ALG_* */
	unsigned char	 pubkey[WA_PUBKEY_MAX];	/* as fido_*_pk_from_ptr takes */
	size_t		 pubkey_len;
	unsigned long	 sign_count;
	unsigned char	 aaguid[16];
	int		 uv;			/* UV flag at registration */
	int		 backup_eligible;	/* BE flag */
	int		 backed_up;		/* BS flag */
	char		 fmt[16];		/* "none", "packed" */
};

/* The assertion carried by X-MFA-Code (contract §12): base64url (no
 * padding) of a compact JSON object {"id","clientDataJSON",
 * "authenticatorData","signature","userHandle"}, each a base64url string
 * (userHandle may be absent or null). */
struct wa_assertion {
	unsigned char	 id[WA_CRED_ID_MAX];
	size_t		 id_len;
	unsigned char	 client_data[WA_CLIENT_DATA_MAX];
	size_t		 client_data_len;
	unsigned char	 auth_data[WA_AUTH_DATA_MAX];
	size_t		 auth_data_len;
	unsigned char	 sig[WA_SIG_MAX];
	size_t		 sig_len;
	unsigned char	 user_handle[WA_USER_HANDLE_MAX];
	size_t		 user_handle_len;	/* 0: absent */
};

enum wa_result {
	WA_OK,
	WA_MALFORMED,		/* not decodable: base64url, JSON, CBOR */
	WA_TYPE,		/* clientData.type not the one expected */
	WA_CHALLENGE,		/* challenge not the one given */
	WA_ORIGIN,		/* origin not in the allow-list */
	WA_RP_ID,		/* rpIdHash is not SHA-256(rp_id) */
	WA_NO_UP,		/* user presence flag not set */
	WA_NO_UV,		/* user verification required, flag not set */
	WA_ALG,			/* algorithm not supported */
	WA_ATTESTATION,		/* attestation format or statement refused */
	WA_SIGNATURE,		/* signature does not verify */
	WA_COUNTER,		/* non-zero counter did not increase */
	WA_INTERNAL		/* out of memory, library failure */
};

const char	*wa_result_name(enum wa_result);

/* base64url without padding; 0 on success. */
int	 wa_b64url_decode(unsigned char *out, size_t outsz, size_t *outlen,
	    const char *in, size_t inlen);
int	 wa_b64url_encode(char *out, size_t outsz, const unsigned char *in,
	    size_t inlen);

/* clientDataJSON: type (expect "webauthn.create" or "webauthn.get"),
 * origin against the policy, crossOrigin not true; the challenge it names
 * (decoded) into chal, so that the caller can find the live challenge. */
enum wa_result wa_client_data(const struct wa_policy *, const char *expect_type,
	    const unsigned char *cdj, size_t cdj_len,
	    unsigned char *chal, size_t chalsz, size_t *chal_len);

/* The challenge clientDataJSON named (wa_client_data) against the live
 * one, in constant time: WA_OK or WA_CHALLENGE (also for an empty one). */
enum wa_result wa_challenge_check(const unsigned char *live, size_t live_len,
	    const unsigned char *named, size_t named_len);

/* Registration: clientDataJSON (already checked by wa_client_data against
 * the live challenge) and the attestationObject.  Checks rpIdHash, UP,
 * UV (policy), AT, the algorithm, the attestation statement ("none";
 * "packed" self and full), and fills cred (zeroed on any refusal).  The
 * client data's type and origin are checked again here (not its
 * challenge); webauthn.c's head comment lists what is and is not
 * verified. */
enum wa_result wa_register(const struct wa_policy *,
	    const unsigned char *cdj, size_t cdj_len,
	    const unsigned char *att_obj, size_t att_obj_len,
	    struct wa_credential *cred);

/* Authentication: the assertion against the stored credential (the one
 * whose id is a->id; another id is WA_SIGNATURE).  Checks the client
 * data's type and origin again (its challenge is the caller's: use
 * wa_client_data and wa_challenge_check first), rpIdHash, UP, UV
 * (policy), BE as registered, the signature over authenticatorData ||
 * SHA-256(clientDataJSON).  The caller compares a->user_handle, when
 * present, with the account's.
 * Counter (WebAuthn §6.1.1): *new_count is the authenticator's;
 * *regressed = 1 when both it and the stored count are non-zero and it
 * did not increase (then WA_COUNTER is returned only when
 * refuse_regressed is set; else WA_OK with *regressed = 1).  Both are 0
 * unless the signature verified.  A zero from the authenticator after a
 * non-zero stored count is not flagged (a zero counter never fails:
 * synced passkeys send 0). */
enum wa_result wa_assert(const struct wa_policy *,
	    const struct wa_credential *stored,
	    const struct wa_assertion *, int refuse_regressed,
	    unsigned long *new_count, int *regressed);

/* X-MFA-Code's form of an assertion (see struct wa_assertion): at most
 * WA_HEADER_MAX characters; each member once, none other (unknown
 * members are refused, not ignored), each within its field's size
 * (authenticatorData at least 37 bytes), no JSON escapes; WA_MALFORMED
 * otherwise, with the struct zeroed. */
enum wa_result wa_parse_assertion(const char *header, struct wa_assertion *);

#endif
