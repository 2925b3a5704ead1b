/*
 * The WebAuthn checks (contract §12; W3C WebAuthn Level 3 §7.1
 * registration, §7.2 authentication).  Byte layouts of authenticator data
 * (§6.1) are read here at their fixed offsets; every CBOR item (the
 * attestation object, its statement, the COSE key, extensions) is opened
 * with libcbor, and every signature is verified by libfido2, which also
 * turns the COSE key into its own key form (fido_cred_set_authdata_raw).
 * No I/O, no state, no logging: the caller logs wa_result_name().
 *
 * What is verified, and what is not:
 *  - clientDataJSON: type, challenge (named; compared by the caller with
 *    wa_challenge_check), origin byte for byte in the allow-list,
 *    crossOrigin not true, no topOrigin.  tokenBinding is ignored (no
 *    browser sends it; Level 3 leaves it to TLS stacks that have it).
 *  - registration: rpIdHash, UP, UV (policy), AT, BS only with BE, the
 *    credential id (1..WA_CRED_ID_MAX bytes), the COSE algorithm (ES256,
 *    EdDSA, RS256 with a 2048-bit modulus, the only RSA size libfido2
 *    keeps), nothing after the key but a well-formed extension map when
 *    ED says so.  "none": attStmt must be empty.  "packed" without x5c
 *    (self): attStmt.alg equals the key's algorithm and the signature
 *    verifies with the credential key (fido_cred_verify_self).  "packed"
 *    with x5c (full): the leaf certificate (x5c[0]) meets §8.2.1
 *    (version 3; subject C, O, CN, OU "Authenticator Attestation"; basic
 *    constraints with CA false; the AAGUID extension, if any, not
 *    critical and equal to authData's) and the signature verifies with
 *    its key (fido_cred_verify).  NOT checked for full attestation: the
 *    rest of the chain, any trust anchor or FIDO metadata, validity
 *    periods, revocation.  Anyone can make such a certificate, so a full
 *    attestation proves no more than self attestation here: the method
 *    must not treat the AAGUID or the certificate as proof of a model.
 *  - extensions in authData: a well-formed map of text keys.  In a
 *    registration, the ones libfido2 decodes (credProtect, minPinLength,
 *    hmac-secret, credBlob) must hold values it takes (cred_ext_expect).
 *    In an assertion, libfido2 refuses the hmac-secret and credBlob
 *    outputs (WA_MALFORMED): they come only when asked for, and the
 *    method asks for no extension.  Others are ignored.
 *  - authentication: rpIdHash, UP, UV (policy), BS only with BE, BE the
 *    same as at registration (§7.2: it never changes for a credential),
 *    the signature over authenticatorData || SHA-256(clientDataJSON)
 *    with the stored key (fido_assert_verify), then the counter.  The
 *    caller compares userHandle (when present) with the account's.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>
#include <cbor.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "webauthn.h"

/* Authenticator data (WebAuthn §6.1): rpIdHash(32) flags(1) signCount(4),
 * then with AT: aaguid(16) credentialIdLength(2) credentialId, the COSE
 * key; then with ED: the extension map. */
#define AD_RPID		0
#define AD_FLAGS	32
#define AD_COUNT	33
#define AD_FIXED	37
#define AD_AAGUID	37
#define AD_IDLEN	53
#define AD_ID		55
#define FLAG_UP		0x01
#define FLAG_UV		0x04
#define FLAG_BE		0x08
#define FLAG_BS		0x10
#define FLAG_AT		0x40
#define FLAG_ED		0x80
#define COSE_LABEL_ALG	3
#define SHA256_BYTES	32

static const char *const result_names[] = {
	[WA_OK] = "ok",
	[WA_MALFORMED] = "malformed",
	[WA_TYPE] = "type",
	[WA_CHALLENGE] = "challenge",
	[WA_ORIGIN] = "origin",
	[WA_RP_ID] = "rp_id",
	[WA_NO_UP] = "no_up",
	[WA_NO_UV] = "no_uv",
	[WA_ALG] = "alg",
	[WA_ATTESTATION] = "attestation",
	[WA_SIGNATURE] = "signature",
	[WA_COUNTER] = "counter",
	[WA_INTERNAL] = "internal",
};

const char *
wa_result_name(enum wa_result r)
{
	if ((size_t)r >= sizeof(result_names) / sizeof(result_names[0]) ||
	    result_names[r] == NULL)
		return "unknown";
	return result_names[r];
}

/* --- base64url (RFC 4648 §5), no padding ------------------------------ */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * One spelling per byte string: no padding, no other alphabet, no white
 * space, a length that is not 1 mod 4 and unused low bits of the last
 * symbol zero (RFC 4648 §3.5), so that two different texts never decode
 * to the same bytes.
 */
int
wa_b64url_decode(unsigned char *out, size_t outsz, size_t *outlen,
    const char *in, size_t inlen)
{
	size_t		 i, n = 0;
	unsigned int	 acc = 0, bits = 0;
	int		 v;

	*outlen = 0;
	if (inlen % 4 == 1 || (inlen / 4) * 3 + (inlen % 4 ? inlen % 4 - 1 : 0)
	    > outsz)
		return -1;
	for (i = 0; i < inlen; i++) {
		if ((v = b64url_value((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* out gets the text and a NUL; -1 when outsz cannot hold them. */
int
wa_b64url_encode(char *out, size_t outsz, const unsigned char *in,
    size_t inlen)
{
	size_t		 i, n = 0, need;
	unsigned int	 acc = 0, bits = 0;

	need = inlen / 3 * 4 + (inlen % 3 ? inlen % 3 + 1 : 0) + 1;
	if (outsz < need)
		return -1;
	for (i = 0; i < inlen; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[n++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[n++] = b64url[(acc << (6 - bits)) & 63];
	out[n] = '\0';
	return 0;
}

/* --- clientDataJSON (WebAuthn §5.8.1) ----------------------------------- */

static int
sha256(unsigned char out[SHA256_BYTES], const void *p, size_t n)
{
	unsigned int	 len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != SHA256_BYTES)
		return -1;
	return 0;
}

/* A member named twice: cJSON keeps both, lookups would see the first. */
static int
has_duplicate(const cJSON *obj)
{
	const cJSON	*a, *b;

	for (a = obj->child; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return 1;
	return 0;
}

/*
 * cJSON turns \u0000 into a NUL inside the C string it keeps, which
 * would cut "https://example.org\u0000.evil" to an allowed origin; no
 * browser writes one, so any NUL byte or \u0000 escape is refused.
 */
static int
has_nul(const unsigned char *p, size_t n)
{
	static const char esc[] = "\\u0000";
	size_t		 i;

	if (memchr(p, '\0', n) != NULL)
		return 1;
	for (i = 0; i + sizeof(esc) - 1 <= n; i++)
		if (memcmp(p + i, esc, sizeof(esc) - 1) == 0)
			return 1;
	return 0;
}

/*
 * One JSON object filling all of text[0..n) (NUL at text[n]): cJSON's
 * plain parse would stop after the value and ignore what follows.
 */
static cJSON *
json_object(const char *text, size_t n)
{
	cJSON	*root;

	root = cJSON_ParseWithLengthOpts(text, n + 1, NULL, 1);
	if (root != NULL && (!cJSON_IsObject(root) || has_duplicate(root))) {
		cJSON_Delete(root);
		root = NULL;
	}
	return root;
}

static int
origin_allowed(const struct wa_policy *pol, const char *origin)
{
	size_t	 i;

	for (i = 0; i < pol->norigins; i++)
		if (pol->origins[i] != NULL && strcmp(pol->origins[i], origin) == 0)
			return 1;
	return 0;
}

enum wa_result
wa_client_data(const struct wa_policy *pol, const char *expect_type,
    const unsigned char *cdj, size_t cdj_len,
    unsigned char *chal, size_t chalsz, size_t *chal_len)
{
	char		 text[WA_CLIENT_DATA_MAX + 1];
	cJSON		*root = NULL;
	const cJSON	*type, *ch, *origin, *cross;
	enum wa_result	 r = WA_MALFORMED;

	*chal_len = 0;
	if (cdj_len == 0 || cdj_len > WA_CLIENT_DATA_MAX || has_nul(cdj, cdj_len))
		return WA_MALFORMED;
	memcpy(text, cdj, cdj_len);
	text[cdj_len] = '\0';
	if ((root = json_object(text, cdj_len)) == NULL)
		goto out;
	type = cJSON_GetObjectItemCaseSensitive(root, "type");
	ch = cJSON_GetObjectItemCaseSensitive(root, "challenge");
	origin = cJSON_GetObjectItemCaseSensitive(root, "origin");
	cross = cJSON_GetObjectItemCaseSensitive(root, "crossOrigin");
	if (!cJSON_IsString(type) || !cJSON_IsString(ch) ||
	    !cJSON_IsString(origin) ||
	    (cross != NULL && !cJSON_IsBool(cross)))
		goto out;
	if (strcmp(type->valuestring, expect_type) != 0) {
		r = WA_TYPE;
		goto out;
	}
	if (wa_b64url_decode(chal, chalsz, chal_len, ch->valuestring,
	    strlen(ch->valuestring)) != 0)
		goto out;
	/* §7.1 step 9: the origin is one we expect; step 10 (and §7.2):
	 * a ceremony inside a frame of another origin is not one we offer. */
	if (!origin_allowed(pol, origin->valuestring) || cJSON_IsTrue(cross) ||
	    cJSON_GetObjectItemCaseSensitive(root, "topOrigin") != NULL) {
		r = WA_ORIGIN;
		goto out;
	}
	r = WA_OK;
out:
	if (r != WA_OK)
		*chal_len = 0;
	cJSON_Delete(root);
	return r;
}

enum wa_result
wa_challenge_check(const unsigned char *live, size_t live_len,
    const unsigned char *named, size_t named_len)
{
	if (live_len == 0 || live_len != named_len ||
	    CRYPTO_memcmp(live, named, live_len) != 0)
		return WA_CHALLENGE;
	return WA_OK;
}

/*
 * wa_register() and wa_assert() check the client data's type and origin
 * again: the caller has done so with wa_client_data() to find the
 * challenge, but a caller that forgot would otherwise verify a signature
 * made for another site.  The challenge stays the caller's.
 */
static enum wa_result
client_data_again(const struct wa_policy *pol, const char *type,
    const unsigned char *cdj, size_t cdj_len)
{
	unsigned char	 chal[WA_CLIENT_DATA_MAX];
	size_t		 n;

	return wa_client_data(pol, type, cdj, cdj_len, chal, sizeof(chal), &n);
}

/* --- authenticator data ------------------------------------------------- */

struct authdata {
	unsigned char	 flags;
	unsigned long	 count;
	const unsigned char *aaguid;	/* with AT */
	const unsigned char *id;
	size_t		 id_len;
	int		 alg;		/* COSE alg of the key, with AT */
	const unsigned char *ext;	/* the extension map, with ED */
	size_t		 ext_len;
};

/*
 * The shape of one CBOR item, walked with libcbor's streaming decoder
 * before cbor_load() builds it: definite lengths only (CTAP2's canonical
 * form has no others), nesting at most WA_CBOR_DEPTH, and never more
 * items declared than bytes left.  cbor_load() allocates an array's or
 * a map's slots as declared, so without this a 9-byte input asking for
 * 2^32 elements would allocate 32 GiB.
 */
struct scan {
	size_t	 children;	/* of the header just decoded */
	int	 bad;
};

static void
scan_coll(void *ctx, size_t n)
{
	struct scan *sc = ctx;

	sc->children = n;
}

static void
scan_map(void *ctx, size_t n)
{
	struct scan *sc = ctx;

	if (n > SIZE_MAX / 2)
		sc->bad = 1;
	else
		sc->children = 2 * n;
}

static void
scan_tag(void *ctx, uint64_t tag)
{
	struct scan *sc = ctx;

	(void)tag;
	sc->children = 1;
}

static void
scan_bad(void *ctx)
{
	struct scan *sc = ctx;

	sc->bad = 1;
}

static int
cbor_scan(const unsigned char *p, size_t n, size_t *used)
{
	struct cbor_callbacks	 cb = cbor_empty_callbacks;
	struct cbor_decoder_result res;
	struct scan		 sc;
	size_t			 rem[WA_CBOR_DEPTH + 1], off = 0, total = 1;
	size_t			 depth = 1;

	cb.array_start = scan_coll;
	cb.map_start = scan_map;
	cb.tag = scan_tag;
	cb.byte_string_start = cb.string_start = scan_bad;
	cb.indef_array_start = cb.indef_map_start = cb.indef_break = scan_bad;
	rem[0] = 1;
	while (depth > 0) {
		memset(&sc, 0, sizeof(sc));
		res = cbor_stream_decode(p + off, n - off, &cb, &sc);
		if (res.status != CBOR_DECODER_FINISHED || sc.bad ||
		    res.read == 0)
			return -1;
		off += res.read;
		rem[depth - 1]--;
		total = total - 1 + sc.children;
		if (total > n - off)
			return -1;
		if (sc.children > 0) {
			if (depth > WA_CBOR_DEPTH)
				return -1;
			rem[depth++] = sc.children;
		}
		while (depth > 0 && rem[depth - 1] == 0)
			depth--;
	}
	*used = off;
	return 0;
}

/* One CBOR item at p, of *used bytes; NULL when malformed. */
static cbor_item_t *
cbor_one(const unsigned char *p, size_t n, size_t *used)
{
	struct cbor_load_result	 res;
	cbor_item_t		*item;
	size_t			 len = 0;

	if (n == 0 || cbor_scan(p, n, &len) != 0)
		return NULL;
	item = cbor_load(p, len, &res);
	if (item != NULL && (res.error.code != CBOR_ERR_NONE ||
	    res.read != len)) {
		cbor_decref(&item);
		return NULL;
	}
	*used = len;
	return item;
}

/* Two keys of a map alike: integers of one value, or text or bytes. */
static int
same_key(const cbor_item_t *a, const cbor_item_t *b)
{
	if (cbor_typeof(a) != cbor_typeof(b))
		return 0;
	if (cbor_isa_uint(a) || cbor_isa_negint(a))
		return cbor_get_int(a) == cbor_get_int(b);
	if (cbor_isa_string(a))
		return cbor_string_length(a) == cbor_string_length(b) &&
		    memcmp(cbor_string_handle(a), cbor_string_handle(b),
		    cbor_string_length(a)) == 0;
	if (cbor_isa_bytestring(a))
		return cbor_bytestring_length(a) == cbor_bytestring_length(b) &&
		    memcmp(cbor_bytestring_handle(a), cbor_bytestring_handle(b),
		    cbor_bytestring_length(a)) == 0;
	return 0;
}

/* A definite map without a key twice (libfido2 would take the last,
 * a reader of the first another value: one meaning only). */
static int
map_unique(const cbor_item_t *map)
{
	struct cbor_pair	*pair;
	size_t			 i, j, n;

	if (!cbor_isa_map(map) || !cbor_map_is_definite(map))
		return 0;
	pair = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (same_key(pair[i].key, pair[j].key))
				return 0;
	return 1;
}

/* A COSE_Key (RFC 9052 §7) map: its alg (label 3), or 0 when absent. */
static int
cose_alg(const cbor_item_t *key)
{
	struct cbor_pair	*pair;
	size_t			 i, n;
	uint64_t		 v;

	if (!map_unique(key))
		return 0;
	pair = cbor_map_handle(key);
	n = cbor_map_size(key);
	for (i = 0; i < n; i++) {
		if (!cbor_isa_uint(pair[i].key) ||
		    cbor_get_int(pair[i].key) != COSE_LABEL_ALG)
			continue;
		if (!cbor_isa_negint(pair[i].value) ||
		    (v = cbor_get_int(pair[i].value)) > INT16_MAX)
			return 0;
		return -1 - (int)v;
	}
	return 0;
}

/* With ED: exactly one definite map with text keys to the end. */
static int
extensions_ok(const unsigned char *p, size_t n)
{
	cbor_item_t		*ext;
	struct cbor_pair	*pair;
	size_t			 i, used = 0;
	int			 ok;

	if ((ext = cbor_one(p, n, &used)) == NULL)
		return 0;
	ok = used == n && map_unique(ext);
	pair = ok ? cbor_map_handle(ext) : NULL;
	for (i = 0; ok && i < cbor_map_size(ext); i++)
		ok = cbor_isa_string(pair[i].key) &&
		    cbor_string_is_definite(pair[i].key);
	cbor_decref(&ext);
	return ok;
}

/*
 * Authenticator data: its fields, with the RP ID, UP and UV checked in
 * this order (the order of §7.1 steps 13-15 and §7.2 steps 15-17).
 * want_at: registration (AT and the attested credential data required)
 * or authentication (AT refused).
 */
static enum wa_result
authdata_parse(const struct wa_policy *pol, const unsigned char *p,
    size_t n, int want_at, struct authdata *ad)
{
	unsigned char	 h[SHA256_BYTES];
	cbor_item_t	*key = NULL;
	size_t		 off = AD_FIXED, used = 0;

	memset(ad, 0, sizeof(*ad));
	if (n < AD_FIXED)
		return WA_MALFORMED;
	if (sha256(h, pol->rp_id, strlen(pol->rp_id)) != 0)
		return WA_INTERNAL;
	if (CRYPTO_memcmp(h, p + AD_RPID, sizeof(h)) != 0)
		return WA_RP_ID;
	ad->flags = p[AD_FLAGS];
	ad->count = (unsigned long)p[AD_COUNT] << 24 |
	    (unsigned long)p[AD_COUNT + 1] << 16 |
	    (unsigned long)p[AD_COUNT + 2] << 8 | p[AD_COUNT + 3];
	if (!(ad->flags & FLAG_UP))
		return WA_NO_UP;
	if (pol->require_uv && !(ad->flags & FLAG_UV))
		return WA_NO_UV;
	/* §6.1: BS only on a backup-eligible credential. */
	if ((ad->flags & FLAG_BS) && !(ad->flags & FLAG_BE))
		return WA_MALFORMED;
	if (!want_at != !(ad->flags & FLAG_AT))
		return WA_MALFORMED;
	if (want_at) {
		if (n < AD_ID)
			return WA_MALFORMED;
		ad->aaguid = p + AD_AAGUID;
		ad->id_len = (size_t)p[AD_IDLEN] << 8 | p[AD_IDLEN + 1];
		ad->id = p + AD_ID;
		/* §7.1 step 19 (Level 3): at most 1023 bytes. */
		if (ad->id_len == 0 || ad->id_len > WA_CRED_ID_MAX ||
		    ad->id_len > n - AD_ID)
			return WA_MALFORMED;
		off = AD_ID + ad->id_len;
		if ((key = cbor_one(p + off, n - off, &used)) == NULL)
			return WA_MALFORMED;
		ad->alg = cose_alg(key);
		cbor_decref(&key);
		if (ad->alg == 0)
			return WA_MALFORMED;
		off += used;
	}
	if (ad->flags & FLAG_ED) {
		ad->ext = p + off;
		ad->ext_len = n - off;
		return extensions_ok(ad->ext, ad->ext_len) ? WA_OK :
		    WA_MALFORMED;
	}
	return off == n ? WA_OK : WA_MALFORMED;
}

static int
alg_supported(int alg)
{
	return alg == WA_ALG_ES256 || alg == WA_ALG_EDDSA ||
	    alg == WA_ALG_RS256;
}

/* --- the attestation object (WebAuthn §6.5) ----------------------------- */

struct attobj {
	cbor_item_t	*root;
	char		 fmt[16];
	cbor_item_t	*stmt;		/* borrowed from root */
	const unsigned char *auth;	/* borrowed from root */
	size_t		 auth_len;
};

static int
text_is(const cbor_item_t *item, const char *s)
{
	size_t	 n = strlen(s);

	return cbor_isa_string(item) && cbor_string_is_definite(item) &&
	    cbor_string_length(item) == n &&
	    memcmp(cbor_string_handle(item), s, n) == 0;
}

static int
definite_bytes(const cbor_item_t *item)
{
	return cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item);
}

/*
 * The map {"fmt": text, "attStmt": map, "authData": bytes}, nothing
 * else, each once, and nothing after it.  A fmt longer than the field
 * or with a NUL ("none\0x") cannot be one we know and is kept as "?"
 * (refused later).
 */
static enum wa_result
attobj_open(struct attobj *ao, const unsigned char *p, size_t n)
{
	struct cbor_pair	*pair;
	size_t			 i, used = 0, len;
	int			 seen = 0;

	memset(ao, 0, sizeof(*ao));
	if (n == 0 || n > WA_ATT_OBJ_MAX ||
	    (ao->root = cbor_one(p, n, &used)) == NULL)
		return WA_MALFORMED;
	if (used != n || !cbor_isa_map(ao->root) ||
	    !cbor_map_is_definite(ao->root) || cbor_map_size(ao->root) != 3)
		return WA_MALFORMED;
	pair = cbor_map_handle(ao->root);
	for (i = 0; i < 3; i++) {
		if (text_is(pair[i].key, "fmt") && !(seen & 1) &&
		    cbor_isa_string(pair[i].value) &&
		    cbor_string_is_definite(pair[i].value)) {
			seen |= 1;
			len = cbor_string_length(pair[i].value);
			if (len < sizeof(ao->fmt) && memchr(cbor_string_handle(
			    pair[i].value), '\0', len) == NULL) {
				memcpy(ao->fmt, cbor_string_handle(pair[i].value),
				    len);
				ao->fmt[len] = '\0';
			} else
				memcpy(ao->fmt, "?", 2);
		} else if (text_is(pair[i].key, "attStmt") && !(seen & 2) &&
		    cbor_isa_map(pair[i].value) &&
		    cbor_map_is_definite(pair[i].value)) {
			seen |= 2;
			ao->stmt = pair[i].value;
		} else if (text_is(pair[i].key, "authData") && !(seen & 4) &&
		    definite_bytes(pair[i].value)) {
			seen |= 4;
			ao->auth = cbor_bytestring_handle(pair[i].value);
			ao->auth_len = cbor_bytestring_length(pair[i].value);
		} else
			return WA_MALFORMED;
	}
	return WA_OK;
}

static void
attobj_close(struct attobj *ao)
{
	if (ao->root != NULL)
		cbor_decref(&ao->root);
}

/*
 * A packed statement (§8.2): "alg" (negative int) and "sig" (bytes), and
 * "x5c" (a non-empty array of bytes) for full attestation; nothing else
 * ("ecdaaKeyId" is gone from Level 2 on).  *alg and *leaf (x5c[0], the
 * attestation certificate, or NULL for self attestation) out.
 */
static enum wa_result
packed_stmt(const cbor_item_t *stmt, int *alg, const cbor_item_t **leaf)
{
	struct cbor_pair	*pair = cbor_map_handle(stmt);
	cbor_item_t		**certs;
	size_t			 i, j, n = cbor_map_size(stmt);
	int			 seen = 0;

	*alg = 0;
	*leaf = NULL;
	for (i = 0; i < n; i++) {
		if (text_is(pair[i].key, "alg") && !(seen & 1) &&
		    cbor_isa_negint(pair[i].value) &&
		    cbor_get_int(pair[i].value) <= INT16_MAX) {
			seen |= 1;
			*alg = -1 - (int)cbor_get_int(pair[i].value);
		} else if (text_is(pair[i].key, "sig") && !(seen & 2) &&
		    definite_bytes(pair[i].value)) {
			seen |= 2;
		} else if (text_is(pair[i].key, "x5c") && !(seen & 4) &&
		    cbor_isa_array(pair[i].value) &&
		    cbor_array_is_definite(pair[i].value) &&
		    cbor_array_size(pair[i].value) > 0) {
			seen |= 4;
			certs = cbor_array_handle(pair[i].value);
			for (j = 0; j < cbor_array_size(pair[i].value); j++)
				if (!definite_bytes(certs[j]) ||
				    cbor_bytestring_length(certs[j]) == 0)
					return WA_ATTESTATION;
			*leaf = certs[0];
		} else
			return WA_ATTESTATION;
	}
	if ((seen & 3) != 3)
		return WA_ATTESTATION;
	return alg_supported(*alg) ? WA_OK : WA_ALG;
}

/* The AAGUID certificate extension (WebAuthn §8.2.1). */
#define OID_FIDO_AAGUID	"1.3.6.1.4.1.45724.1.1.4"

static int
name_has(const X509_NAME *name, int nid, const char *want)
{
	const ASN1_STRING *v;
	int		 i;

	if ((i = X509_NAME_get_index_by_NID(name, nid, -1)) < 0 ||
	    (v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) ==
	    NULL || ASN1_STRING_length(v) <= 0)
		return 0;
	return want == NULL || ((size_t)ASN1_STRING_length(v) == strlen(want) &&
	    memcmp(ASN1_STRING_get0_data(v), want, strlen(want)) == 0);
}

/*
 * The attestation certificate's requirements (WebAuthn §8.2.1): X.509
 * version 3; a subject with C, O, CN and OU "Authenticator Attestation";
 * basic constraints present with CA false; the AAGUID extension, when
 * present, not critical and equal to authData's AAGUID (§8.2 step 2).
 * No chain, trust anchor, validity period or revocation: see the top.
 */
static enum wa_result
leaf_check(const unsigned char *der, size_t len, const unsigned char *aaguid)
{
	const unsigned char *p = der;
	X509		*x = NULL;
	ASN1_OBJECT	*oid = NULL;
	X509_EXTENSION	*ext;
	const ASN1_OCTET_STRING *v;
	const X509_NAME	*sub;
	enum wa_result	 r = WA_ATTESTATION;
	int		 i;

	if (len > LONG_MAX || (x = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len)
		goto out;
	sub = X509_get_subject_name(x);
	if (X509_get_version(x) != X509_VERSION_3 ||
	    !name_has(sub, NID_countryName, NULL) ||
	    !name_has(sub, NID_organizationName, NULL) ||
	    !name_has(sub, NID_commonName, NULL) ||
	    !name_has(sub, NID_organizationalUnitName,
	    "Authenticator Attestation") ||
	    X509_get_ext_by_NID(x, NID_basic_constraints, -1) < 0 ||
	    (X509_get_extension_flags(x) & (EXFLAG_CA | EXFLAG_INVALID)))
		goto out;
	if ((oid = OBJ_txt2obj(OID_FIDO_AAGUID, 1)) == NULL) {
		r = WA_INTERNAL;
		goto out;
	}
	if ((i = X509_get_ext_by_OBJ(x, oid, -1)) >= 0) {
		/* extnValue holds an OCTET STRING of the 16 bytes. */
		ext = X509_get_ext(x, i);
		v = X509_EXTENSION_get_data(ext);
		if (X509_EXTENSION_get_critical(ext) ||
		    X509_get_ext_by_OBJ(x, oid, i) >= 0 ||
		    ASN1_STRING_length(v) != 18 ||
		    memcmp(ASN1_STRING_get0_data(v), "\x04\x10", 2) != 0 ||
		    memcmp(ASN1_STRING_get0_data(v) + 2, aaguid, 16) != 0)
			goto out;
	}
	r = WA_OK;
out:
	ASN1_OBJECT_free(oid);
	X509_free(x);
	return r;
}

/*
 * fido_cred_verify*() refuse authenticator extensions the credential was
 * not created with through libfido2 (its check_extensions).  Ours are
 * made by browsers, and an authenticator may add credProtect of its own
 * (CTAP 2.1 §12.1), so the extensions libfido2 decodes are declared to
 * it as they are in authData; the signature covers them all the same.
 * -1 when one is not a value libfido2 would take.
 */
static int
cred_ext_expect(fido_cred_t *fc, const struct authdata *ad)
{
	cbor_item_t		*map;
	struct cbor_pair	*pair;
	size_t			 i, used = 0;
	int			 bad = 0, e = FIDO_OK;

	if (ad->ext == NULL)
		return 0;
	if ((map = cbor_one(ad->ext, ad->ext_len, &used)) == NULL)
		return -1;
	pair = cbor_map_handle(map);
	for (i = 0; i < cbor_map_size(map) && e == FIDO_OK && !bad; i++) {
		if (text_is(pair[i].key, "credProtect") ||
		    text_is(pair[i].key, "minPinLength")) {
			if (!cbor_isa_uint(pair[i].value) ||
			    cbor_int_get_width(pair[i].value) != CBOR_INT_8)
				bad = 1;
			else if (text_is(pair[i].key, "credProtect"))
				e = fido_cred_set_prot(fc,
				    cbor_get_uint8(pair[i].value));
			else if (cbor_get_uint8(pair[i].value) == 0)
				bad = 1;
			else
				e = fido_cred_set_pin_minlen(fc,
				    cbor_get_uint8(pair[i].value));
		} else if (text_is(pair[i].key, "hmac-secret") ||
		    text_is(pair[i].key, "credBlob")) {
			if (!cbor_is_bool(pair[i].value))
				bad = 1;
			else if (cbor_get_bool(pair[i].value))
				e = fido_cred_set_extensions(fc,
				    text_is(pair[i].key, "credBlob") ?
				    FIDO_EXT_CRED_BLOB : FIDO_EXT_HMAC_SECRET);
		}
	}
	cbor_decref(&map);
	return bad || e != FIDO_OK ? -1 : 0;
}

/* libfido2's verdict on a packed statement. */
static enum wa_result
packed_verify(fido_cred_t *fc, const cbor_item_t *stmt,
    const struct authdata *ad)
{
	const cbor_item_t *leaf;
	unsigned char	*buf = NULL;
	size_t		 bufsz = 0, len;
	int		 alg, e;
	enum wa_result	 r;

	if ((r = packed_stmt(stmt, &alg, &leaf)) != WA_OK)
		return r;
	/* §8.2 self attestation: alg is the credential key's. */
	if (leaf == NULL && alg != ad->alg)
		return WA_ATTESTATION;
	if (leaf != NULL && (r = leaf_check(cbor_bytestring_handle(leaf),
	    cbor_bytestring_length(leaf), ad->aaguid)) != WA_OK)
		return r;
	if (cred_ext_expect(fc, ad) != 0)
		return WA_ATTESTATION;
	if ((len = cbor_serialize_alloc(stmt, &buf, &bufsz)) == 0)
		return WA_INTERNAL;
	e = fido_cred_set_attstmt(fc, buf, len);
	free(buf);
	if (e != FIDO_OK)
		return WA_ATTESTATION;
	e = leaf != NULL ? fido_cred_verify(fc) : fido_cred_verify_self(fc);
	if (e == FIDO_ERR_INVALID_SIG)
		return WA_SIGNATURE;
	return e == FIDO_OK ? WA_OK : WA_ATTESTATION;
}

/* A key in libfido2's form (fido_cred_pubkey_ptr's bytes) as the
 * verifier takes it; pk_release() frees it. */
struct pk {
	es256_pk_t	*es;
	eddsa_pk_t	*ed;
	rs256_pk_t	*rs;
	const void	*ptr;		/* the one of them loaded, or NULL */
};

static int
pk_load(struct pk *k, int alg, const unsigned char *p, size_t n)
{
	memset(k, 0, sizeof(*k));
	switch (alg) {
	case WA_ALG_ES256:
		if ((k->es = es256_pk_new()) != NULL &&
		    es256_pk_from_ptr(k->es, p, n) == FIDO_OK)
			k->ptr = k->es;
		break;
	case WA_ALG_EDDSA:
		if ((k->ed = eddsa_pk_new()) != NULL &&
		    eddsa_pk_from_ptr(k->ed, p, n) == FIDO_OK)
			k->ptr = k->ed;
		break;
	case WA_ALG_RS256:
		if ((k->rs = rs256_pk_new()) != NULL &&
		    rs256_pk_from_ptr(k->rs, p, n) == FIDO_OK)
			k->ptr = k->rs;
		break;
	default:
		break;
	}
	return k->ptr != NULL ? 0 : -1;
}

static void
pk_release(struct pk *k)
{
	es256_pk_free(&k->es);
	eddsa_pk_free(&k->ed);
	rs256_pk_free(&k->rs);
	k->ptr = NULL;
}

/*
 * The credential as the method stores it.  Its key is loaded once as an
 * assertion will load it: libfido2 decodes a COSE point without checking
 * that it is on the curve, and a key no assertion could use must not be
 * registered.
 */
static enum wa_result
cred_fill(struct wa_credential *cred, const fido_cred_t *fc,
    const struct authdata *ad, const char *fmt)
{
	const unsigned char *pk = fido_cred_pubkey_ptr(fc);
	size_t		 pklen = fido_cred_pubkey_len(fc);
	struct pk	 k;
	int		 bad;

	if (pk == NULL || pklen == 0 || pklen > sizeof(cred->pubkey) ||
	    fido_cred_id_len(fc) != ad->id_len)
		return WA_INTERNAL;
	bad = pk_load(&k, ad->alg, pk, pklen);
	pk_release(&k);
	if (bad)
		return WA_MALFORMED;
	memcpy(cred->id, ad->id, ad->id_len);
	cred->id_len = ad->id_len;
	cred->alg = ad->alg;
	memcpy(cred->pubkey, pk, pklen);
	cred->pubkey_len = pklen;
	cred->sign_count = ad->count;
	memcpy(cred->aaguid, ad->aaguid, sizeof(cred->aaguid));
	cred->uv = (ad->flags & FLAG_UV) != 0;
	cred->backup_eligible = (ad->flags & FLAG_BE) != 0;
	cred->backed_up = (ad->flags & FLAG_BS) != 0;
	snprintf(cred->fmt, sizeof(cred->fmt), "%s", fmt);
	return WA_OK;
}

enum wa_result
wa_register(const struct wa_policy *pol,
    const unsigned char *cdj, size_t cdj_len,
    const unsigned char *att_obj, size_t att_obj_len,
    struct wa_credential *cred)
{
	struct attobj	 ao;
	struct authdata	 ad;
	fido_cred_t	*fc = NULL;
	enum wa_result	 r;

	memset(cred, 0, sizeof(*cred));
	memset(&ao, 0, sizeof(ao));
	if ((r = client_data_again(pol, "webauthn.create", cdj,
	    cdj_len)) != WA_OK)
		goto out;
	if ((r = attobj_open(&ao, att_obj, att_obj_len)) != WA_OK)
		goto out;
	if (strcmp(ao.fmt, "none") != 0 && strcmp(ao.fmt, "packed") != 0) {
		r = WA_ATTESTATION;
		goto out;
	}
	if ((r = authdata_parse(pol, ao.auth, ao.auth_len, 1, &ad)) != WA_OK)
		goto out;
	if (!alg_supported(ad.alg)) {
		r = WA_ALG;
		goto out;
	}
	r = WA_INTERNAL;
	if ((fc = fido_cred_new()) == NULL ||
	    fido_cred_set_type(fc, ad.alg) != FIDO_OK ||
	    fido_cred_set_rp(fc, pol->rp_id, NULL) != FIDO_OK ||
	    fido_cred_set_clientdata(fc, cdj, cdj_len) != FIDO_OK ||
	    fido_cred_set_uv(fc, pol->require_uv ? FIDO_OPT_TRUE :
	    FIDO_OPT_OMIT) != FIDO_OK ||
	    fido_cred_set_fmt(fc, ao.fmt) != FIDO_OK)
		goto out;
	/* libfido2 decodes the COSE key; a key it cannot take (an RSA
	 * modulus other than 2048 bits, a point off the curve) ends here. */
	if (fido_cred_set_authdata_raw(fc, ao.auth, ao.auth_len) != FIDO_OK) {
		r = ad.alg == WA_ALG_RS256 ? WA_ALG : WA_MALFORMED;
		goto out;
	}
	if (strcmp(ao.fmt, "none") == 0)
		r = cbor_map_size(ao.stmt) == 0 ? WA_OK : WA_ATTESTATION;
	else
		r = packed_verify(fc, ao.stmt, &ad);
	if (r == WA_OK)
		r = cred_fill(cred, fc, &ad, ao.fmt);
out:
	if (r != WA_OK)
		memset(cred, 0, sizeof(*cred));
	fido_cred_free(&fc);
	attobj_close(&ao);
	return r;
}

/* --- assertions --------------------------------------------------------- */

/* fido_assert_verify with the stored key. */
static enum wa_result
assert_verify(const fido_assert_t *fa, const struct wa_credential *stored)
{
	struct pk	 k;
	int		 e;

	if (pk_load(&k, stored->alg, stored->pubkey, stored->pubkey_len) != 0) {
		pk_release(&k);
		return alg_supported(stored->alg) ? WA_INTERNAL : WA_ALG;
	}
	e = fido_assert_verify(fa, 0, stored->alg, k.ptr);
	pk_release(&k);
	if (e == FIDO_ERR_INVALID_SIG)
		return WA_SIGNATURE;
	return e == FIDO_OK ? WA_OK : WA_MALFORMED;
}

enum wa_result
wa_assert(const struct wa_policy *pol, const struct wa_credential *stored,
    const struct wa_assertion *a, int refuse_regressed,
    unsigned long *new_count, int *regressed)
{
	struct authdata	 ad;
	fido_assert_t	*fa = NULL;
	enum wa_result	 r;

	*new_count = 0;
	*regressed = 0;
	if (a->sig_len == 0 || a->sig_len > WA_SIG_MAX ||
	    a->auth_data_len > WA_AUTH_DATA_MAX)
		return WA_MALFORMED;
	if ((r = client_data_again(pol, "webauthn.get", a->client_data,
	    a->client_data_len)) != WA_OK)
		return r;
	/* The caller found stored by a->id; another id is not its answer. */
	if (a->id_len != stored->id_len || a->id_len == 0 ||
	    a->id_len > WA_CRED_ID_MAX ||
	    memcmp(a->id, stored->id, a->id_len) != 0)
		return WA_SIGNATURE;
	if ((r = authdata_parse(pol, a->auth_data, a->auth_data_len, 0,
	    &ad)) != WA_OK)
		return r;
	/* §7.2 step 18 (Level 3): backup eligibility never changes. */
	if (!(ad.flags & FLAG_BE) != !stored->backup_eligible)
		return WA_MALFORMED;
	r = WA_INTERNAL;
	if ((fa = fido_assert_new()) == NULL ||
	    fido_assert_set_count(fa, 1) != FIDO_OK ||
	    fido_assert_set_rp(fa, pol->rp_id) != FIDO_OK ||
	    fido_assert_set_clientdata(fa, a->client_data,
	    a->client_data_len) != FIDO_OK ||
	    fido_assert_set_up(fa, FIDO_OPT_TRUE) != FIDO_OK ||
	    fido_assert_set_uv(fa, pol->require_uv ? FIDO_OPT_TRUE :
	    FIDO_OPT_OMIT) != FIDO_OK)
		goto out;
	if (fido_assert_set_authdata_raw(fa, 0, a->auth_data,
	    a->auth_data_len) != FIDO_OK ||
	    fido_assert_set_sig(fa, 0, a->sig, a->sig_len) != FIDO_OK) {
		r = WA_MALFORMED;
		goto out;
	}
	if ((r = assert_verify(fa, stored)) != WA_OK)
		goto out;
	/* §6.1.1, contract §12: a zero counter (synced passkeys) is never
	 * a failure; a non-zero one that did not increase is reported. */
	*new_count = ad.count;
	*regressed = ad.count != 0 && stored->sign_count != 0 &&
	    ad.count <= stored->sign_count;
	if (*regressed && refuse_regressed)
		r = WA_COUNTER;
out:
	fido_assert_free(&fa);
	return r;
}

/* --- X-MFA-Code --------------------------------------------------------- */

/*
 * The members of the assertion object, each a base64url string decoded
 * into its field.  Unknown members are refused, not ignored: the object
 * is ours (contract §12), built by the front end, and one spelling of it
 * keeps the header's meaning plain.
 */
struct member {
	const char	*name;
	size_t		 off, len_off, max, min;
	int		 optional;	/* absent or null allowed */
};

#define FIELD(f, n, lo, opt) { n, offsetof(struct wa_assertion, f),	\
	offsetof(struct wa_assertion, f##_len),				\
	sizeof(((struct wa_assertion *)0)->f), lo, opt }
static const struct member members[] = {
	FIELD(id, "id", 1, 0),
	FIELD(client_data, "clientDataJSON", 1, 0),
	FIELD(auth_data, "authenticatorData", AD_FIXED, 0),
	FIELD(sig, "signature", 1, 0),
	FIELD(user_handle, "userHandle", 1, 1),
};
#undef FIELD

static int
member_decode(struct wa_assertion *a, const struct member *m,
    const cJSON *v)
{
	unsigned char	*out = (unsigned char *)a + m->off;
	size_t		*len = (size_t *)((unsigned char *)a + m->len_off);

	if (m->optional && cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) ||
	    wa_b64url_decode(out, m->max, len, v->valuestring,
	    strlen(v->valuestring)) != 0 || *len < m->min)
		return -1;
	return 0;
}

/*
 * The header: at most WA_HEADER_MAX characters of base64url; inside,
 * printable ASCII JSON without a backslash (base64url needs no escape,
 * so an escape can only be another spelling), one object whose members
 * are exactly those above, each once.
 */
enum wa_result
wa_parse_assertion(const char *header, struct wa_assertion *a)
{
	unsigned char	 json[WA_HEADER_MAX / 4 * 3 + 3];
	cJSON		*root = NULL;
	const cJSON	*v;
	size_t		 i, n, hlen, found;
	enum wa_result	 r = WA_MALFORMED;

	memset(a, 0, sizeof(*a));
	if (header == NULL || (hlen = strnlen(header, WA_HEADER_MAX + 1)) == 0 ||
	    hlen > WA_HEADER_MAX ||
	    wa_b64url_decode(json, sizeof(json) - 1, &n, header, hlen) != 0)
		return WA_MALFORMED;
	for (i = 0; i < n; i++)
		if (json[i] < 0x20 || json[i] > 0x7e || json[i] == '\\')
			return WA_MALFORMED;
	json[n] = '\0';
	if ((root = json_object((const char *)json, n)) == NULL)
		goto out;
	found = 0;
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(root, members[i].name);
		if (v == NULL) {
			if (!members[i].optional)
				goto out;
			continue;
		}
		found++;
		if (member_decode(a, &members[i], v) != 0)
			goto out;
	}
	if ((size_t)cJSON_GetArraySize(root) != found)
		goto out;
	r = WA_OK;
out:
	if (r != WA_OK)
		memset(a, 0, sizeof(*a));
	cJSON_Delete(root);
	return r;
}
