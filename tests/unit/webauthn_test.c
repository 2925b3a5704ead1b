/*
 * src/webauthn.c on recorded vectors: the W3C Web Authentication Level 3
 * specification's test vectors (§16; webauthn_vectors.h says where they
 * were taken from).
 *
 * Variants the vectors do not hold (counters, UV on an assertion,
 * extensions) are signed here with the Ed25519 vector's own credential
 * private key; the signer is first checked to reproduce that vector's
 * signature exactly (Ed25519 is deterministic), so a variant is what the
 * authenticator would have sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "glue.h"
#include "webauthn.h"
#include "unit.h"
#include "webauthn_vectors.h"

static const char *const ORIGINS[] = { "https://example.org" };

/* Bytes of a hex string; the test stops if the table is wrong. */
static size_t
unhex(unsigned char *out, size_t sz, const char *hex)
{
	size_t	 n = strlen(hex) / 2;

	if (n > sz || hex_decode(out, n, hex, strlen(hex)) != 0) {
		fprintf(stderr, "bad hex in the test table\n");
		exit(2);
	}
	return n;
}

/* hex with its one occurrence of from (at an even offset) replaced. */
static char *
hex_subst(const char *hex, const char *from, const char *to)
{
	const char	*p = strstr(hex, from);
	char		*out;
	size_t		 n;

	if (p == NULL || (p - hex) % 2 != 0 || strstr(p + 1, from) != NULL) {
		fprintf(stderr, "hex_subst: %s not once in the table\n", from);
		exit(2);
	}
	n = strlen(hex) - strlen(from) + strlen(to) + 1;
	if ((out = malloc(n)) == NULL)
		exit(2);
	snprintf(out, n, "%.*s%s%s", (int)(p - hex), hex, to, p + strlen(from));
	return out;
}

static struct wa_policy
policy(int uv)
{
	struct wa_policy p = { "example.org", ORIGINS, 1, uv };

	return p;
}

struct reg {
	unsigned char	 cdj[WA_CLIENT_DATA_MAX];
	size_t		 cdj_len;
	unsigned char	 ao[WA_ATT_OBJ_MAX + 16];
	size_t		 ao_len;
};

static void
reg_load(struct reg *r, const struct vector *v)
{
	r->cdj_len = unhex(r->cdj, sizeof(r->cdj), v->rcdj);
	r->ao_len = unhex(r->ao, sizeof(r->ao), v->ao);
}

static enum wa_result
reg_run(const struct reg *r, int uv, struct wa_credential *c)
{
	struct wa_policy p = policy(uv);

	return wa_register(&p, r->cdj, r->cdj_len, r->ao, r->ao_len, c);
}

/* A vector's credential as wa_register() made it (uv off). */
static void
cred_of(const struct vector *v, struct wa_credential *c)
{
	struct reg	 r;

	reg_load(&r, v);
	if (reg_run(&r, 0, c) != WA_OK) {
		fprintf(stderr, "%s: registration refused\n", v->name);
		exit(2);
	}
}

static void
assert_load(struct wa_assertion *a, const struct vector *v)
{
	memset(a, 0, sizeof(*a));
	a->id_len = unhex(a->id, sizeof(a->id), v->id);
	a->client_data_len = unhex(a->client_data, sizeof(a->client_data),
	    v->acdj);
	a->auth_data_len = unhex(a->auth_data, sizeof(a->auth_data), v->ad);
	a->sig_len = unhex(a->sig, sizeof(a->sig), v->sig);
}

static enum wa_result
assert_run(const struct wa_credential *c, const struct wa_assertion *a,
    int uv, int refuse, unsigned long *count, int *regressed)
{
	struct wa_policy p = policy(uv);

	return wa_assert(&p, c, a, refuse, count, regressed);
}

/* Ed25519 signature of authData || SHA-256(clientDataJSON) (§6.3.3). */
static void
ed25519_sign(struct wa_assertion *a, const struct vector *v)
{
	unsigned char	 key[32], msg[WA_AUTH_DATA_MAX + 32];
	unsigned int	 hlen = 0;
	size_t		 siglen = sizeof(a->sig);
	EVP_PKEY	*pk;
	EVP_MD_CTX	*ctx;

	unhex(key, sizeof(key), v->priv);
	memcpy(msg, a->auth_data, a->auth_data_len);
	if (EVP_Digest(a->client_data, a->client_data_len,
	    msg + a->auth_data_len, &hlen, EVP_sha256(), NULL) != 1 ||
	    (pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key,
	    sizeof(key))) == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) != 1 ||
	    EVP_DigestSign(ctx, a->sig, &siglen, msg,
	    a->auth_data_len + hlen) != 1) {
		fprintf(stderr, "ed25519_sign failed\n");
		exit(2);
	}
	a->sig_len = siglen;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
}

/* One letter of the challenge in another case: the client data still
 * passes wa_client_data's checks but is not what was signed. */
static void
flip_challenge(unsigned char *cdj, size_t n)
{
	static const char key[] = "\"challenge\":\"";
	size_t		 i;

	for (i = 0; i + sizeof(key) - 1 < n; i++)
		if (memcmp(cdj + i, key, sizeof(key) - 1) == 0)
			break;
	for (i += sizeof(key) - 1; i < n && cdj[i] != '"'; i++)
		if ((cdj[i] >= 'a' && cdj[i] <= 'z') ||
		    (cdj[i] >= 'A' && cdj[i] <= 'Z')) {
			cdj[i] ^= 0x20;
			return;
		}
	fprintf(stderr, "flip_challenge: no letter\n");
	exit(2);
}

static void
set_count(struct wa_assertion *a, unsigned long n)
{
	a->auth_data[33] = (unsigned char)(n >> 24);
	a->auth_data[34] = (unsigned char)(n >> 16);
	a->auth_data[35] = (unsigned char)(n >> 8);
	a->auth_data[36] = (unsigned char)n;
}

/* --- base64url ----------------------------------------------------------- */

static void
test_b64url(void)
{
	/* RFC 4648 §10, in the URL alphabet and without padding. */
	static const struct { const char *raw, *enc; } v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
	};
	static const char *const bad[] = { "Zg==", "Zg=", "Z", "Zh", "Zm9", "Zm+v",
	    "Zm/v", " Zg", "Zg ", "Zm9v\n", "Zm9vY" };
	unsigned char	 out[16];
	char		 enc[16];
	size_t		 i, n;

	for (i = 0; i < nitems(v); i++) {
		CHECKF(wa_b64url_decode(out, sizeof(out), &n, v[i].enc,
		    strlen(v[i].enc)) == 0, "decode %s", v[i].enc);
		CHECK_MEM((char *)out, n, v[i].raw, strlen(v[i].raw));
		CHECK_INT(wa_b64url_encode(enc, sizeof(enc),
		    (const unsigned char *)v[i].raw, strlen(v[i].raw)), 0);
		CHECK_STR(enc, v[i].enc);
	}
	for (i = 0; i < nitems(bad); i++) {
		n = 99;
		CHECKF(wa_b64url_decode(out, sizeof(out), &n, bad[i],
		    strlen(bad[i])) == -1 && n == 0, "refused: \"%s\"", bad[i]);
	}
	/* Room: "Zm9vYmFy" needs 6 bytes out, 9 chars (NUL) in. */
	CHECK_INT(wa_b64url_decode(out, 6, &n, "Zm9vYmFy", 8), 0);
	CHECK_INT(wa_b64url_decode(out, 5, &n, "Zm9vYmFy", 8), -1);
	CHECK_INT(wa_b64url_decode(out, 4, &n, "Zm9vYmE", 7), -1);
	CHECK_INT(wa_b64url_decode(out, 5, &n, "Zm9vYmE", 7), 0);
	CHECK_INT(wa_b64url_encode(enc, 9, (const unsigned char *)"foobar", 6),
	    0);
	CHECK_INT(wa_b64url_encode(enc, 8, (const unsigned char *)"foobar", 6),
	    -1);
	CHECK_INT(wa_b64url_encode(enc, 8, (const unsigned char *)"fooba", 5),
	    0);
	CHECK_INT(wa_b64url_encode(enc, 7, (const unsigned char *)"fooba", 5),
	    -1);
}

/* --- clientDataJSON ------------------------------------------------------ */

static enum wa_result
cd_text(const char *json, const char *type)
{
	struct wa_policy p = policy(0);
	unsigned char	 chal[64];
	size_t		 n;

	return wa_client_data(&p, type, (const unsigned char *)json,
	    strlen(json), chal, sizeof(chal), &n);
}

#define CD(t, o, x) "{\"type\":\"" t "\",\"challenge\":\"AAEC\"," \
	"\"origin\":\"" o "\"" x "}"

static void
test_client_data(void)
{
	static const struct vector *const ok[] = { &none_es256, &self_es256,
	    &long_es256, &full_es256, &full_rs256, &full_eddsa };
	static const char *const other[] = { "https://example.com" };
	static const struct { const char *json; enum wa_result want; } t[] = {
		{ CD("webauthn.get", "https://example.org", ""), WA_OK },
		{ CD("webauthn.get", "https://example.org",
		    ",\"crossOrigin\":false"), WA_OK },
		{ CD("webauthn.get", "https://example.org",
		    ",\"tokenBinding\":{\"status\":\"supported\"}"), WA_OK },
		{ CD("webauthn.create", "https://example.org", ""), WA_TYPE },
		{ CD("webauthn.Get", "https://example.org", ""), WA_TYPE },
		/* Exact match: no other spelling of the origin. */
		{ CD("webauthn.get", "https://example.org/", ""), WA_ORIGIN },
		{ CD("webauthn.get", "https://example.org:443", ""), WA_ORIGIN },
		{ CD("webauthn.get", "https://EXAMPLE.org", ""), WA_ORIGIN },
		{ CD("webauthn.get", "http://example.org", ""), WA_ORIGIN },
		{ CD("webauthn.get", "https://sub.example.org", ""), WA_ORIGIN },
		{ CD("webauthn.get", "https://example.org\\u0000.evil", ""),
		    WA_MALFORMED },
		{ CD("webauthn.get", "https://example.org",
		    ",\"crossOrigin\":true"), WA_ORIGIN },
		{ CD("webauthn.get", "https://example.org",
		    ",\"topOrigin\":\"https://example.org\""), WA_ORIGIN },
		{ CD("webauthn.get", "https://example.org",
		    ",\"crossOrigin\":\"false\""), WA_MALFORMED },
		{ CD("webauthn.get", "https://example.org",
		    ",\"type\":\"webauthn.get\""), WA_MALFORMED },
		{ CD("webauthn.get", "https://example.org",
		    ",\"origin\":\"https://example.org\""), WA_MALFORMED },
		{ CD("webauthn.get", "https://example.org", "") " ", WA_OK },
		{ CD("webauthn.get", "https://example.org", "") "x",
		    WA_MALFORMED },
		{ CD("webauthn.get", "https://example.org", "") "{}",
		    WA_MALFORMED },
		{ "{\"type\":\"webauthn.get\",\"origin\":\"https://example.org\"}",
		    WA_MALFORMED },
		{ "{\"type\":\"webauthn.get\",\"challenge\":\"AA==\","
		    "\"origin\":\"https://example.org\"}", WA_MALFORMED },
		{ "{\"type\":\"webauthn.get\",\"challenge\":1,"
		    "\"origin\":\"https://example.org\"}", WA_MALFORMED },
		{ "{\"challenge\":\"AAEC\",\"origin\":\"https://example.org\"}",
		    WA_MALFORMED },
		{ "{\"type\":7,\"challenge\":\"AAEC\","
		    "\"origin\":\"https://example.org\"}", WA_MALFORMED },
		{ "[]", WA_MALFORMED }, { "\"x\"", WA_MALFORMED },
		{ "{", WA_MALFORMED }, { "", WA_MALFORMED },
	};
	struct wa_policy p = policy(0), q = policy(0);
	unsigned char	 cdj[WA_CLIENT_DATA_MAX + 2], chal[64], want[64];
	char		 big[WA_CLIENT_DATA_MAX + 2];
	size_t		 i, n, cn, wn, pad;

	q.origins = other;
	for (i = 0; i < nitems(ok); i++) {
		n = unhex(cdj, sizeof(cdj), ok[i]->rcdj);
		wn = unhex(want, sizeof(want), ok[i]->rc);
		CHECKF(wa_client_data(&p, "webauthn.create", cdj, n, chal,
		    sizeof(chal), &cn) == WA_OK, "%s: create", ok[i]->name);
		CHECK_MEM((char *)chal, cn, (char *)want, wn);
		CHECK_INT(wa_challenge_check(want, wn, chal, cn), WA_OK);
		CHECK_INT(wa_client_data(&p, "webauthn.get", cdj, n, chal,
		    sizeof(chal), &cn), WA_TYPE);
		CHECK_INT(cn, 0);
		CHECK_INT(wa_client_data(&q, "webauthn.create", cdj, n, chal,
		    sizeof(chal), &cn), WA_ORIGIN);
		/* The challenge differs: another ceremony's. */
		wn = unhex(want, sizeof(want), ok[i]->ac);
		CHECK_INT(wa_client_data(&p, "webauthn.create", cdj, n, chal,
		    sizeof(chal), &cn), WA_OK);
		CHECK_INT(wa_challenge_check(want, wn, chal, cn), WA_CHALLENGE);
		n = unhex(cdj, sizeof(cdj), ok[i]->acdj);
		CHECK_INT(wa_client_data(&p, "webauthn.get", cdj, n, chal,
		    sizeof(chal), &cn), WA_OK);
		CHECK_INT(wa_challenge_check(want, wn, chal, cn), WA_OK);
		/* Any other length, any one byte changed. */
		CHECK_INT(wa_challenge_check(want, wn - 1, chal, cn),
		    WA_CHALLENGE);
		CHECK_INT(wa_challenge_check(want, wn, chal, cn - 1),
		    WA_CHALLENGE);
		want[wn - 1] ^= 1;
		CHECK_INT(wa_challenge_check(want, wn, chal, cn), WA_CHALLENGE);
		CHECK_INT(wa_challenge_check(want, 0, chal, 0), WA_CHALLENGE);
	}
	/* §16's crossOrigin and topOrigin vectors: refused. */
	n = unhex(cdj, sizeof(cdj), cross_es256.rcdj);
	CHECK_INT(wa_client_data(&p, "webauthn.create", cdj, n, chal,
	    sizeof(chal), &cn), WA_ORIGIN);
	n = unhex(cdj, sizeof(cdj), cross_es256.acdj);
	CHECK_INT(wa_client_data(&p, "webauthn.get", cdj, n, chal,
	    sizeof(chal), &cn), WA_ORIGIN);
	n = unhex(cdj, sizeof(cdj), top_es256.acdj);
	CHECK_INT(wa_client_data(&p, "webauthn.get", cdj, n, chal,
	    sizeof(chal), &cn), WA_ORIGIN);
	for (i = 0; i < nitems(t); i++)
		CHECKF(cd_text(t[i].json, "webauthn.get") == t[i].want,
		    "client data %zu: %s: got %s", i, t[i].json,
		    wa_result_name(cd_text(t[i].json, "webauthn.get")));
	/* A NUL byte inside. */
	memcpy(cdj, CD("webauthn.get", "https://example.org", ""),
	    sizeof(CD("webauthn.get", "https://example.org", "")));
	n = sizeof(CD("webauthn.get", "https://example.org", ""));
	CHECK_INT(wa_client_data(&p, "webauthn.get", cdj, n, chal,
	    sizeof(chal), &cn), WA_MALFORMED);
	/* WA_CLIENT_DATA_MAX bytes exactly, and one more. */
	pad = WA_CLIENT_DATA_MAX - strlen(CD("webauthn.get",
	    "https://example.org", ",\"x\":\"\""));
	snprintf(big, sizeof(big), CD("webauthn.get", "https://example.org",
	    ",\"x\":\"%0*d\""), (int)pad, 0);
	CHECK_INT(strlen(big), WA_CLIENT_DATA_MAX);
	CHECK_INT(cd_text(big, "webauthn.get"), WA_OK);
	snprintf(big, sizeof(big), CD("webauthn.get", "https://example.org",
	    ",\"x\":\"%0*d\""), (int)pad + 1, 0);
	CHECK_INT(cd_text(big, "webauthn.get"), WA_MALFORMED);
	/* The challenge buffer: too small is malformed. */
	n = unhex(cdj, sizeof(cdj), none_es256.rcdj);
	CHECK_INT(wa_client_data(&p, "webauthn.create", cdj, n, chal, 31,
	    &cn), WA_MALFORMED);
	CHECK_INT(wa_client_data(&p, "webauthn.create", cdj, n, chal, 32,
	    &cn), WA_OK);
	CHECK_INT(wa_result_name(WA_OK)[0], 'o');
	CHECK_STR(wa_result_name(WA_COUNTER), "counter");
	CHECK_STR(wa_result_name((enum wa_result)99), "unknown");
}

/* --- registration -------------------------------------------------------- */

static void
check_cred(const struct vector *v, const struct wa_credential *c, int alg,
    const char *fmt, size_t pklen)
{
	unsigned char	 b[WA_CRED_ID_MAX];
	size_t		 n;

	n = unhex(b, sizeof(b), v->id);
	CHECK_MEM((char *)c->id, c->id_len, (char *)b, n);
	n = unhex(b, sizeof(b), v->aaguid);
	CHECK_MEM((char *)c->aaguid, sizeof(c->aaguid), (char *)b, n);
	CHECK_INT(c->alg, alg);
	CHECK_STR(c->fmt, fmt);
	CHECK_INT(c->pubkey_len, pklen);
	CHECK_INT(c->sign_count, 0);
}

static void
test_register_vectors(void)
{
	static const char *const other[] = { "https://example.com" };
	struct wa_policy p = policy(0);
	struct wa_credential c;
	struct wa_assertion a;
	struct reg	 r;
	unsigned long	 count;
	int		 reg;

	/* §16 "none": flags 0x59 (UP BE BS AT, no UV). */
	reg_load(&r, &none_es256);
	CHECK_INT(reg_run(&r, 0, &c), WA_OK);
	check_cred(&none_es256, &c, WA_ALG_ES256, "none", 64);
	CHECK(c.uv == 0 && c.backup_eligible == 1 && c.backed_up == 1);
	CHECK_INT(reg_run(&r, 1, &c), WA_NO_UV);
	CHECK_INT(c.id_len, 0);
	/* Self attestation: flags 0x5d (UV too). */
	reg_load(&r, &self_es256);
	CHECK_INT(reg_run(&r, 1, &c), WA_OK);
	check_cred(&self_es256, &c, WA_ALG_ES256, "packed", 64);
	CHECK(c.uv == 1 && c.backup_eligible == 1 && c.backed_up == 1);
	/* Full (x5c) attestation, ES256: flags 0x45 (UP UV AT). */
	reg_load(&r, &full_es256);
	CHECK_INT(reg_run(&r, 1, &c), WA_OK);
	check_cred(&full_es256, &c, WA_ALG_ES256, "packed", 64);
	/* Ed25519 key, ES256 attestation key: flags 0x41, no UV. */
	reg_load(&r, &full_eddsa);
	CHECK_INT(reg_run(&r, 0, &c), WA_OK);
	check_cred(&full_eddsa, &c, WA_ALG_EDDSA, "packed", 32);
	CHECK(c.uv == 0 && c.backup_eligible == 0 && c.backed_up == 0);
	CHECK_INT(reg_run(&r, 1, &c), WA_NO_UV);
	/* A credential id of 1023 bytes, the most WebAuthn allows. */
	reg_load(&r, &long_es256);
	CHECK_INT(reg_run(&r, 0, &c), WA_OK);
	check_cred(&long_es256, &c, WA_ALG_ES256, "none", 64);
	CHECK_INT(c.id_len, WA_CRED_ID_MAX);
	/* The RS256 vector's modulus has 3482 bits; libfido2 keeps only
	 * 2048-bit RSA keys, so it is refused as an algorithm we lack. */
	reg_load(&r, &full_rs256);
	CHECK_INT(reg_run(&r, 0, &c), WA_ALG);
	/* The client data's type and origin are checked again here:
	 * crossOrigin (§16), an assertion's client data, another origin. */
	reg_load(&r, &cross_es256);
	CHECK_INT(reg_run(&r, 0, &c), WA_ORIGIN);
	reg_load(&r, &none_es256);
	r.cdj_len = unhex(r.cdj, sizeof(r.cdj), none_es256.acdj);
	CHECK_INT(reg_run(&r, 0, &c), WA_TYPE);
	reg_load(&r, &none_es256);
	p.origins = other;
	CHECK_INT(wa_register(&p, r.cdj, r.cdj_len, r.ao, r.ao_len, &c),
	    WA_ORIGIN);
	CHECK_INT(c.id_len, 0);
	/* "none" signs no client data: the crossOrigin credential with
	 * another registration's client data is accepted... */
	r.ao_len = unhex(r.ao, sizeof(r.ao), cross_es256.ao);
	CHECK_INT(reg_run(&r, 0, &c), WA_OK);
	/* ...and its assertion (crossOrigin true) is refused. */
	assert_load(&a, &cross_es256);
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_ORIGIN);
	CHECK(count == 0 && reg == 0);
	/* An assertion whose client data is a registration's. */
	cred_of(&none_es256, &c);
	assert_load(&a, &none_es256);
	a.client_data_len = unhex(a.client_data, sizeof(a.client_data),
	    none_es256.rcdj);
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_TYPE);
}

static enum wa_result
reg_hex(const char *cdj_hex, const char *ao_hex, int uv)
{
	struct wa_credential c;
	struct reg	 r;

	r.cdj_len = unhex(r.cdj, sizeof(r.cdj), cdj_hex);
	r.ao_len = unhex(r.ao, sizeof(r.ao), ao_hex);
	return reg_run(&r, uv, &c);
}

/* The attestation object changed in one place. */
static void
reg_variant(const struct vector *v, const char *from, const char *to,
    int uv, enum wa_result want)
{
	char		*ao = hex_subst(v->ao, from, to);
	enum wa_result	 got = reg_hex(v->rcdj, ao, uv);

	CHECKF(got == want, "%s: %s -> %s: got %s, want %s", v->name, from,
	    to, wa_result_name(got), wa_result_name(want));
	free(ao);
}

static void
test_register_refused(void)
{
	struct wa_policy p = policy(0);
	struct wa_credential c;
	struct reg	 r;
	size_t		 i, bad;
	unsigned char	 keep;
	enum wa_result	 got;

	/* Another RP ID: rpIdHash is SHA-256("example.org"). */
	p.rp_id = "example.com";
	reg_load(&r, &none_es256);
	CHECK_INT(wa_register(&p, r.cdj, r.cdj_len, r.ao, r.ao_len, &c),
	    WA_RP_ID);
	p.rp_id = "EXAMPLE.ORG";
	CHECK_INT(wa_register(&p, r.cdj, r.cdj_len, r.ao, r.ao_len, &c),
	    WA_RP_ID);
	/* Flags (authData byte 32): UP cleared; BS without BE; no AT. */
	reg_variant(&none_es256, "b559", "b558", 0, WA_NO_UP);
	reg_variant(&self_es256, "b55d", "b55c", 0, WA_NO_UP);
	reg_variant(&none_es256, "b559", "b551", 0, WA_MALFORMED);
	reg_variant(&none_es256, "b559", "b519", 0, WA_MALFORMED);
	/* UV set on a self-attested object: the signature covers it. */
	reg_variant(&full_eddsa, "b541", "b545", 1, WA_SIGNATURE);
	/* Bad signatures: attStmt.sig changed (self, full). */
	reg_variant(&self_es256, "7fc7b147", "7fc7b148", 0, WA_SIGNATURE);
	reg_variant(&full_es256, "3f19ec4b", "3f19ec4c", 0, WA_SIGNATURE);
	/* Formats: others refused; "none" with a statement; self
	 * attestation naming another algorithm than the key's. */
	reg_variant(&none_es256, "646e6f6e65", "6374706d", 0, WA_ATTESTATION);
	reg_variant(&none_es256, "646e6f6e65", "686669646f2d753266", 0,
	    WA_ATTESTATION);
	reg_variant(&none_es256, "646e6f6e65", "656e6f6e6500", 0,
	    WA_ATTESTATION);
	reg_variant(&none_es256, "646e6f6e65", "646e6f6e45", 0,
	    WA_ATTESTATION);
	/* The COSE key with a label twice (kty, then alg). */
	reg_variant(&none_es256, "a501020326", "a6010201020326", 0,
	    WA_MALFORMED);
	reg_variant(&none_es256, "6761747453746d74a0",
	    "6761747453746d74a163616c6726", 0, WA_ATTESTATION);
	reg_variant(&self_es256, "a263616c6726", "a263616c6727", 0,
	    WA_ATTESTATION);
	reg_variant(&self_es256, "a263616c6726", "a263616c6720", 0, WA_ALG);
	reg_variant(&self_es256, "a263616c6726", "a2636a6c6726", 0,
	    WA_ATTESTATION);
	/* The attestation object's map: a fourth member, "fmt" twice. */
	reg_variant(&none_es256, "a363666d74", "a4616100" "63666d74", 0,
	    WA_MALFORMED);
	reg_variant(&none_es256, "6761747453746d74a0", "63666d74646e6f6e65",
	    0, WA_MALFORMED);
	/* The clientDataJSON is signed by packed, not by "none". */
	r.cdj_len = unhex(r.cdj, sizeof(r.cdj), self_es256.rcdj);
	r.ao_len = unhex(r.ao, sizeof(r.ao), self_es256.ao);
	flip_challenge(r.cdj, r.cdj_len);
	CHECK_INT(reg_run(&r, 0, &c), WA_SIGNATURE);
	reg_load(&r, &none_es256);
	flip_challenge(r.cdj, r.cdj_len);
	CHECK_INT(reg_run(&r, 0, &c), WA_OK);
	reg_load(&r, &self_es256);
	p.rp_id = "example.org";
	/* Truncated: every proper prefix is refused, and a byte more. */
	for (i = 0, bad = 0; i < r.ao_len; i++)
		bad += wa_register(&p, r.cdj, r.cdj_len, r.ao, i, &c) !=
		    WA_MALFORMED;
	CHECK_INT(bad, 0);
	reg_load(&r, &self_es256);
	r.ao[r.ao_len++] = 0;
	CHECK_INT(reg_run(&r, 0, &c), WA_MALFORMED);
	/* Corrupted: any one bit changed (low and high bit of every byte)
	 * in a self-attested object is refused (all of it is signed or
	 * structure), and nothing crashes. */
	reg_load(&r, &self_es256);
	for (i = 0, bad = 0; i < r.ao_len; i++) {
		keep = r.ao[i];
		r.ao[i] = keep ^ 0x01;
		got = reg_run(&r, 0, &c);
		bad += got == WA_OK;
		r.ao[i] = keep ^ 0x80;
		got = reg_run(&r, 0, &c);
		bad += got == WA_OK;
		r.ao[i] = keep;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(reg_run(&r, 0, &c), WA_OK);
	/* Sizes: WA_ATT_OBJ_MAX is the most read; empty is malformed. */
	CHECK_INT(wa_register(&p, r.cdj, r.cdj_len, r.ao, 0, &c),
	    WA_MALFORMED);
	CHECK_INT(wa_register(&p, r.cdj, 0, r.ao, r.ao_len, &c),
	    WA_MALFORMED);
	CHECK_INT(wa_register(&p, r.cdj, WA_CLIENT_DATA_MAX + 1, r.ao,
	    r.ao_len, &c), WA_MALFORMED);
	CHECK_INT(wa_register(&p, r.cdj, r.cdj_len, r.ao, WA_ATT_OBJ_MAX + 1,
	    &c), WA_MALFORMED);
	/* CBOR: 2^32 array elements declared in 9 bytes (never
	 * allocated); indefinite lengths; a tag; a float for "alg". */
	reg_variant(&none_es256, "6761747453746d74a0",
	    "6761747453746d749b0000000100000000", 0, WA_MALFORMED);
	reg_variant(&none_es256, "6761747453746d74a0",
	    "6761747453746d749b0000002000000000", 0, WA_MALFORMED);
	reg_variant(&none_es256, "6761747453746d74a0",
	    "6761747453746d74bf", 0, WA_MALFORMED);
	reg_variant(&none_es256, "a363666d74", "bf63666d74", 0, WA_MALFORMED);
	reg_variant(&none_es256, "6761747453746d74a0",
	    "6761747453746d74c0a0", 0, WA_MALFORMED);
	reg_variant(&self_es256, "a263616c6726", "a263616c67f93c00", 0,
	    WA_ATTESTATION);
	/* A COSE point off the curve (y changed): libfido2 decodes it,
	 * the key check at registration refuses it. */
	reg_variant(&none_es256, "5820930a56b8", "5820930a56b9", 0,
	    WA_MALFORMED);
	/* authData: credential id longer than what is left. */
	reg_variant(&none_es256, "0020f91f391d", "0fff" "f91f391d", 0,
	    WA_MALFORMED);
	reg_variant(&none_es256, "0020f91f391d", "0000" "f91f391d", 0,
	    WA_MALFORMED);
}

/* --- assertions ---------------------------------------------------------- */

static void
test_assert_vectors(void)
{
	static const struct { const struct vector *v; int uv; } ok[] = {
		{ &none_es256, 0 }, { &self_es256, 0 }, { &long_es256, 1 },
		{ &full_es256, 1 }, { &full_eddsa, 0 },
	};
	struct wa_credential c;
	struct wa_assertion a;
	unsigned long	 count;
	int		 reg;
	size_t		 i;

	for (i = 0; i < nitems(ok); i++) {
		cred_of(ok[i].v, &c);
		assert_load(&a, ok[i].v);
		count = 9;
		reg = 9;
		CHECKF(assert_run(&c, &a, ok[i].uv, 1, &count, &reg) == WA_OK,
		    "%s: assertion", ok[i].v->name);
		CHECK(count == 0 && reg == 0);
		if (!ok[i].uv)
			CHECKF(assert_run(&c, &a, 1, 1, &count, &reg) ==
			    WA_NO_UV, "%s: no UV", ok[i].v->name);
		/* Bad signature: last byte of the signature, a byte of the
		 * client data, the counter. */
		a.sig[a.sig_len - 1] ^= 1;
		CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_SIGNATURE);
		CHECK(count == 0 && reg == 0);
		a.sig[a.sig_len - 1] ^= 1;
		/* Another spelling: a byte after the DER (or the 64 bytes). */
		a.sig[a.sig_len++] = 0;
		CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_SIGNATURE);
		a.sig_len--;
		flip_challenge(a.client_data, a.client_data_len);
		CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_SIGNATURE);
		flip_challenge(a.client_data, a.client_data_len);
		a.auth_data[36] ^= 1;
		CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_SIGNATURE);
		a.auth_data[36] ^= 1;
		CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_OK);
	}
}

static void
test_assert_refused(void)
{
	struct wa_policy p = policy(0);
	struct wa_credential c, other;
	struct wa_assertion a;
	unsigned long	 count;
	int		 reg;

	cred_of(&none_es256, &c);
	assert_load(&a, &none_es256);
	/* Another RP ID. */
	p.rp_id = "example.com";
	CHECK_INT(wa_assert(&p, &c, &a, 0, &count, &reg), WA_RP_ID);
	/* No UP (flags 0x19 -> 0x18). */
	a.auth_data[32] &= ~0x01;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_NO_UP);
	/* UV claimed but not signed. */
	a.auth_data[32] |= 0x05;
	CHECK_INT(assert_run(&c, &a, 1, 0, &count, &reg), WA_SIGNATURE);
	/* AT in an assertion; BS without BE; BE not as registered. */
	assert_load(&a, &none_es256);
	a.auth_data[32] |= 0x40;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	a.auth_data[32] &= ~0x48;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	assert_load(&a, &none_es256);
	c.backup_eligible = 0;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	c.backup_eligible = 1;
	/* authenticatorData: 36 bytes, and one byte more than 37. */
	a.auth_data_len = 36;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	a.auth_data_len = 38;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	a.auth_data_len = 37;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_OK);
	/* ED without an extension map, and with a map of an integer key. */
	a.auth_data[32] |= 0x80;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	a.auth_data[37] = 0xa1;
	a.auth_data[38] = 0x01;
	a.auth_data[39] = 0x01;
	a.auth_data_len = 40;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	/* Another credential's id, or its key under this id. */
	assert_load(&a, &none_es256);
	cred_of(&self_es256, &other);
	CHECK_INT(assert_run(&other, &a, 0, 0, &count, &reg), WA_SIGNATURE);
	memcpy(other.id, c.id, c.id_len);
	other.id_len = c.id_len;
	CHECK_INT(assert_run(&other, &a, 0, 0, &count, &reg), WA_SIGNATURE);
	c.id[0] ^= 1;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_SIGNATURE);
	c.id[0] ^= 1;
	/* A stored key that is not a key; an algorithm we lack. */
	c.pubkey[5] ^= 1;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_INTERNAL);
	c.pubkey[5] ^= 1;
	c.alg = -35;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_ALG);
	c.alg = WA_ALG_ES256;
	/* Empty or oversized parts. */
	a.sig_len = 0;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	a.sig_len = WA_SIG_MAX + 1;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	assert_load(&a, &none_es256);
	a.client_data_len = 0;
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	assert_load(&a, &none_es256);
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_OK);
}

/* The Ed25519 credential's assertion with the counter and flags given,
 * signed again. */
static enum wa_result
counter_case(unsigned long stored, unsigned long sent, int refuse,
    unsigned long *count, int *reg)
{
	struct wa_credential c;
	struct wa_assertion a;

	cred_of(&full_eddsa, &c);
	c.sign_count = stored;
	assert_load(&a, &full_eddsa);
	set_count(&a, sent);
	ed25519_sign(&a, &full_eddsa);
	return assert_run(&c, &a, 0, refuse, count, reg);
}

static void
test_counter(void)
{
	static const struct {
		unsigned long	 stored, sent;
		int		 regressed;
	} t[] = {
		{ 0, 0, 0 },		/* synced passkeys: never a failure */
		{ 0, 1, 0 }, { 0, 5, 0 }, { 5, 6, 0 },
		{ 5, 5, 1 }, { 5, 4, 1 }, { 5, 1, 1 },
		{ 5, 0, 0 },		/* zero: the header's rule (see webauthn.h) */
		{ 0xfffffffeUL, 0xffffffffUL, 0 },
		{ 0xffffffffUL, 0xffffffffUL, 1 },
		{ 0xffffffffUL, 1, 1 },
	};
	struct wa_credential c;
	struct wa_assertion a;
	unsigned char	 want[64];
	unsigned long	 count;
	size_t		 i, n;
	int		 reg;

	/* The signer first: the vector's own signature, byte for byte. */
	assert_load(&a, &full_eddsa);
	n = unhex(want, sizeof(want), full_eddsa.sig);
	memset(a.sig, 0, sizeof(a.sig));
	ed25519_sign(&a, &full_eddsa);
	CHECK_MEM((char *)a.sig, a.sig_len, (char *)want, n);
	for (i = 0; i < nitems(t); i++) {
		count = 9;
		reg = 9;
		CHECKF(counter_case(t[i].stored, t[i].sent, 0, &count, &reg) ==
		    WA_OK && count == t[i].sent && reg == t[i].regressed,
		    "counter %lu after %lu: count %lu, regressed %d", t[i].sent,
		    t[i].stored, count, reg);
		CHECKF(counter_case(t[i].stored, t[i].sent, 1, &count, &reg) ==
		    (t[i].regressed ? WA_COUNTER : WA_OK) &&
		    count == t[i].sent && reg == t[i].regressed,
		    "counter %lu after %lu, refused when regressed", t[i].sent,
		    t[i].stored);
	}
	/* A regressed counter whose signature fails is a bad signature. */
	cred_of(&full_eddsa, &c);
	c.sign_count = 5;
	assert_load(&a, &full_eddsa);
	set_count(&a, 3);
	CHECK_INT(assert_run(&c, &a, 0, 1, &count, &reg), WA_SIGNATURE);
	CHECK(count == 0 && reg == 0);
	/* UV signed: accepted with user verification required. */
	assert_load(&a, &full_eddsa);
	CHECK_INT(assert_run(&c, &a, 1, 0, &count, &reg), WA_NO_UV);
	a.auth_data[32] |= 0x04;
	set_count(&a, 6);
	ed25519_sign(&a, &full_eddsa);
	CHECK_INT(assert_run(&c, &a, 1, 1, &count, &reg), WA_OK);
	CHECK(count == 6 && reg == 0);
	/* Extensions (ED), signed: a map of text keys whose values nest
	 * at most WA_CBOR_DEPTH containers in all; one more is refused. */
	for (n = 0; n <= WA_CBOR_DEPTH; n++) {
		assert_load(&a, &full_eddsa);
		a.auth_data[32] |= 0x80;
		a.auth_data[37] = 0xa1;		/* map(1) */
		a.auth_data[38] = 0x61;		/* text(1) */
		a.auth_data[39] = 'x';
		memset(a.auth_data + 40, 0x81, n);	/* array(1) n times */
		a.auth_data[40 + n] = 0x00;
		a.auth_data_len = 41 + n;
		ed25519_sign(&a, &full_eddsa);
		CHECKF(assert_run(&c, &a, 0, 0, &count, &reg) ==
		    (n + 1 <= WA_CBOR_DEPTH ? WA_OK : WA_MALFORMED),
		    "extension nested %zu deep", n + 1);
	}
	a.auth_data_len = 41;		/* n = 0, and a byte after the map */
	a.auth_data[40] = 0x00;
	a.auth_data[41] = 0x00;
	ed25519_sign(&a, &full_eddsa);
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_OK);
	a.auth_data_len = 42;
	ed25519_sign(&a, &full_eddsa);
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_MALFORMED);
	/* UP cleared and signed: still refused. */
	a.auth_data[32] &= ~0x01;
	ed25519_sign(&a, &full_eddsa);
	CHECK_INT(assert_run(&c, &a, 0, 0, &count, &reg), WA_NO_UP);
}

/* --- full attestation: the certificate ----------------------------------- */

/*
 * Full (x5c) attestation with certificates made here, one requirement of
 * WebAuthn §8.2.1 broken at a time: the §16 "Packed Attestation with
 * ES256 Credential" authenticator data, attested by a key of ours.
 */
struct certspec {
	long		 version;	/* X509_VERSION_* */
	const char	*ou;		/* NULL: none */
	int		 bc;		/* basic constraints: -1 none, 0, 1 CA */
	int		 aaguid;	/* extension: 0 none, 1 equal, 2 other */
	int		 critical;	/* of the AAGUID extension */
	enum wa_result	 want;
};

static size_t
make_cert(unsigned char *out, size_t sz, EVP_PKEY *key,
    const struct certspec *cs, const unsigned char *aaguid)
{
	unsigned char	 der[18], *p = out;
	X509		*x;
	X509_NAME	*n;
	BASIC_CONSTRAINTS *bc;
	ASN1_OCTET_STRING *os;
	ASN1_OBJECT	*oid;
	X509_EXTENSION	*ext;
	int		 len;

	if ((x = X509_new()) == NULL || !X509_set_version(x, cs->version) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 7) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    !X509_set_pubkey(x, key))
		exit(2);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC,
	    (const unsigned char *)"AA", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"glue-mfa tests", -1, -1, 0);
	if (cs->ou != NULL)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
		    (const unsigned char *)cs->ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"attestation", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (cs->bc >= 0) {
		if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
			exit(2);
		bc->ca = cs->bc;
		X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
		    X509V3_ADD_DEFAULT);
		BASIC_CONSTRAINTS_free(bc);
	}
	if (cs->aaguid) {
		der[0] = 0x04;
		der[1] = 16;
		memcpy(der + 2, aaguid, 16);
		if (cs->aaguid == 2)
			der[17] ^= 1;
		os = ASN1_OCTET_STRING_new();
		oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
		if (os == NULL || oid == NULL ||
		    !ASN1_OCTET_STRING_set(os, der, sizeof(der)) ||
		    (ext = X509_EXTENSION_create_by_OBJ(NULL, oid,
		    cs->critical, os)) == NULL)
			exit(2);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ASN1_OBJECT_free(oid);
		ASN1_OCTET_STRING_free(os);
	}
	if (X509_sign(x, key, EVP_sha256()) == 0 ||
	    (len = i2d_X509(x, NULL)) <= 0 || (size_t)len > sz ||
	    i2d_X509(x, &p) != len)
		exit(2);
	X509_free(x);
	return (size_t)len;
}

/* ECDSA P-256 signature of authData || SHA-256(clientDataJSON). */
static size_t
ec_sign(unsigned char *sig, size_t sz, EVP_PKEY *key,
    const unsigned char *ad, size_t adlen, const unsigned char *cdj,
    size_t cdjlen)
{
	unsigned char	 msg[WA_ATT_OBJ_MAX];
	unsigned int	 hlen = 0;
	EVP_MD_CTX	*ctx;

	memcpy(msg, ad, adlen);
	if (EVP_Digest(cdj, cdjlen, msg + adlen, &hlen, EVP_sha256(),
	    NULL) != 1 || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sz, msg, adlen + hlen) != 1)
		exit(2);
	EVP_MD_CTX_free(ctx);
	return sz;
}

static size_t
put(unsigned char *out, const void *p, size_t n)
{
	memcpy(out, p, n);
	return n;
}

/* A packed attestation object: alg ES256, sig by signer, x5c [cert]. */
static size_t
full_attobj(unsigned char *ao, EVP_PKEY *signer, const unsigned char *cert,
    size_t certlen, const unsigned char *ad, size_t adlen,
    const unsigned char *cdj, size_t cdjlen)
{
	unsigned char	 sig[128];
	size_t		 n, siglen;

	siglen = ec_sign(sig, sizeof(sig), signer, ad, adlen, cdj, cdjlen);
	n = put(ao, "\xa3\x63" "fmt" "\x66" "packed" "\x67" "attStmt"
	    "\xa3\x63" "alg" "\x26" "\x63" "sig" "\x58", 31);
	ao[n++] = (unsigned char)siglen;
	n += put(ao + n, sig, siglen);
	n += put(ao + n, "\x63" "x5c" "\x81\x59", 6);
	ao[n++] = (unsigned char)(certlen >> 8);
	ao[n++] = (unsigned char)certlen;
	n += put(ao + n, cert, certlen);
	n += put(ao + n, "\x68" "authData" "\x58", 10);
	ao[n++] = (unsigned char)adlen;
	n += put(ao + n, ad, adlen);
	return n;
}

static void
test_full_attestation(void)
{
	static const struct certspec cs[] = {
		{ X509_VERSION_3, "Authenticator Attestation", 0, 0, 0, WA_OK },
		{ X509_VERSION_3, "Authenticator Attestation", 0, 1, 0, WA_OK },
		{ X509_VERSION_3, "Authenticator Attestation", 0, 2, 0,
		    WA_ATTESTATION },
		{ X509_VERSION_3, "Authenticator Attestation", 0, 1, 1,
		    WA_ATTESTATION },
		{ X509_VERSION_3, NULL, 0, 0, 0, WA_ATTESTATION },
		{ X509_VERSION_3, "Authenticator Attestation CA", 0, 0, 0,
		    WA_ATTESTATION },
		{ X509_VERSION_3, "Authenticator Attestation", 1, 0, 0,
		    WA_ATTESTATION },
		{ X509_VERSION_3, "Authenticator Attestation", -1, 0, 0,
		    WA_ATTESTATION },
		{ X509_VERSION_1, "Authenticator Attestation", -1, 0, 0,
		    WA_ATTESTATION },
	};
	static const struct {
		const char	*cbor;
		size_t		 len;
		enum wa_result	 want;
	} ext[] = {
#define E(s, w)	{ s, sizeof(s) - 1, w }
		E("\xa1\x6b" "credProtect" "\x02", WA_OK),
		E("\xa1\x6b" "credProtect" "\x03", WA_OK),
		E("\xa1\x6b" "hmac-secret" "\xf5", WA_OK),
		E("\xa2\x6b" "credProtect" "\x01" "\x6b" "hmac-secret" "\xf5",
		    WA_OK),
		E("\xa1\x6c" "minPinLength" "\x04", WA_OK),
		E("\xa1\x68" "credBlob" "\xf4", WA_OK),
		E("\xa1\x68" "credBlob" "\xf5", WA_OK),
		E("\xa1\x61" "x" "\x01", WA_OK),
		E("\xa0", WA_OK),
		E("\xa1\x6b" "credProtect" "\x05", WA_ATTESTATION),
		E("\xa1\x6c" "minPinLength" "\x00", WA_ATTESTATION),
		E("\xa1\x6b" "credProtect" "\x19\x00\x02", WA_MALFORMED),
		E("\xa1\x6b" "hmac-secret" "\x01", WA_MALFORMED),
		E("\xa1\x01\x01", WA_MALFORMED),
		E("\xa1\x61" "x" "\x01" "\x00", WA_MALFORMED),
		E("\xa2\x6b" "credProtect" "\x02" "\x6b" "credProtect" "\x01",
		    WA_MALFORMED),
#undef E
	};
	struct wa_policy p = policy(1);
	struct wa_credential c;
	EVP_PKEY	*key, *other;
	unsigned char	 ad[512], cdj[WA_CLIENT_DATA_MAX], cert[2048];
	unsigned char	 ao[WA_ATT_OBJ_MAX];
	const char	*h;
	size_t		 i, adlen, cdjlen, certlen, n;
	int		 wrong;

	/* authData is the last member: "authData", bytes(164). */
	h = strstr(full_es256.ao, "68617574684461746158a4");
	if (h == NULL)
		exit(2);
	adlen = unhex(ad, sizeof(ad), h + 22);
	CHECK_INT(adlen, 164);
	cdjlen = unhex(cdj, sizeof(cdj), full_es256.rcdj);
	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (other = EVP_EC_gen("P-256")) == NULL)
		exit(2);
	for (i = 0; i < nitems(cs) * 2; i++) {
		wrong = i >= nitems(cs);	/* signed by another key */
		certlen = make_cert(cert, sizeof(cert), key, &cs[i % nitems(cs)],
		    ad + 37);
		n = full_attobj(ao, wrong ? other : key, cert, certlen, ad,
		    adlen, cdj, cdjlen);
		CHECKF(wa_register(&p, cdj, cdjlen, ao, n, &c) ==
		    (wrong && cs[i % nitems(cs)].want == WA_OK ? WA_SIGNATURE :
		    cs[i % nitems(cs)].want), "certificate %zu%s: %s", i %
		    nitems(cs), wrong ? " (signed by another key)" : "",
		    wa_result_name(wa_register(&p, cdj, cdjlen, ao, n, &c)));
	}
	/* Authenticator extensions (ED), signed: the ones libfido2
	 * decodes are declared to it; values it cannot take are refused. */
	certlen = make_cert(cert, sizeof(cert), key, &cs[0], ad + 37);
	ad[32] |= 0x80;
	for (i = 0; i < nitems(ext); i++) {
		memcpy(ad + 164, ext[i].cbor, ext[i].len);
		n = full_attobj(ao, key, cert, certlen, ad, 164 + ext[i].len,
		    cdj, cdjlen);
		CHECKF(wa_register(&p, cdj, cdjlen, ao, n, &c) == ext[i].want,
		    "extensions %zu: %s", i,
		    wa_result_name(wa_register(&p, cdj, cdjlen, ao, n, &c)));
	}
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/* --- RS256 ----------------------------------------------------------------- */

/*
 * §16's RS256 vector has a 3482-bit modulus, which libfido2 cannot hold,
 * so RS256 is tested on a key made here: a 2048-bit RSA key, its COSE
 * form (RFC 8230 §4: kty 3, alg -257, n, e) in the attested credential
 * data, registered as "none" and as "packed" self attestation, then an
 * assertion.  A 1024-bit key is refused as an algorithm we lack.
 */
static EVP_PKEY *rsa_key;

static size_t
rsa_sign(unsigned char *sig, const unsigned char *ad, size_t adlen,
    const unsigned char *cdj, size_t cdjlen)
{
	unsigned char	 msg[WA_ATT_OBJ_MAX];
	unsigned int	 hlen = 0;
	size_t		 siglen = WA_SIG_MAX;
	EVP_MD_CTX	*ctx;

	memcpy(msg, ad, adlen);
	if (EVP_Digest(cdj, cdjlen, msg + adlen, &hlen, EVP_sha256(),
	    NULL) != 1 || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, rsa_key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, adlen + hlen) != 1) {
		fprintf(stderr, "rsa_sign failed\n");
		exit(2);
	}
	EVP_MD_CTX_free(ctx);
	return siglen;
}

/* authData of a registration with the RSA key of bits bits. */
static size_t
rsa_authdata(unsigned char *ad, int bits)
{
	BIGNUM		*n = NULL, *e = NULL;
	unsigned int	 hlen = 0;
	size_t		 len = 0, nb = (size_t)bits / 8;

	if (rsa_key != NULL)
		EVP_PKEY_free(rsa_key);
	if ((rsa_key = EVP_RSA_gen((unsigned int)bits)) == NULL ||
	    !EVP_PKEY_get_bn_param(rsa_key, "n", &n) ||
	    !EVP_PKEY_get_bn_param(rsa_key, "e", &e) ||
	    EVP_Digest("example.org", 11, ad, &hlen, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "RSA key failed\n");
		exit(2);
	}
	len = hlen;
	ad[len++] = 0x45;			/* UP UV AT */
	memset(ad + len, 0, 4 + 16);		/* counter 0, AAGUID 0 */
	len += 20;
	ad[len++] = 0;
	ad[len++] = 16;				/* credential id: 16 bytes */
	memset(ad + len, 0x5a, 16);
	len += 16;
	memcpy(ad + len, "\xa4\x01\x03\x03\x39\x01\x00\x20\x59", 9);
	len += 9;
	ad[len++] = (unsigned char)(nb >> 8);
	ad[len++] = (unsigned char)nb;
	BN_bn2binpad(n, ad + len, (int)nb);
	len += nb;
	memcpy(ad + len, "\x21\x43", 2);
	len += 2;
	BN_bn2binpad(e, ad + len, 3);
	len += 3;
	BN_free(n);
	BN_free(e);
	return len;
}

/* The attestation object of fmt "none" or "packed" (self). */
static size_t
rsa_attobj(unsigned char *ao, const unsigned char *ad, size_t adlen,
    int packed, const unsigned char *cdj, size_t cdjlen)
{
	unsigned char	 sig[WA_SIG_MAX];
	size_t		 len = 0, siglen;

	if (packed) {
		memcpy(ao, "\xa3\x63" "fmt" "\x66" "packed" "\x67" "attStmt"
		    "\xa2\x63" "alg" "\x39\x01\x00" "\x63" "sig" "\x59", 33);
		len = 33;
		siglen = rsa_sign(sig, ad, adlen, cdj, cdjlen);
		ao[len++] = (unsigned char)(siglen >> 8);
		ao[len++] = (unsigned char)siglen;
		memcpy(ao + len, sig, siglen);
		len += siglen;
	} else {
		memcpy(ao, "\xa3\x63" "fmt" "\x64" "none" "\x67" "attStmt" "\xa0",
		    19);
		len = 19;
	}
	memcpy(ao + len, "\x68" "authData" "\x59", 10);
	len += 10;
	ao[len++] = (unsigned char)(adlen >> 8);
	ao[len++] = (unsigned char)adlen;
	memcpy(ao + len, ad, adlen);
	return len + adlen;
}

static void
test_rs256(void)
{
	struct wa_policy p = policy(1);
	struct wa_credential c;
	struct wa_assertion a;
	unsigned char	 ad[WA_ATT_OBJ_MAX / 2], ao[WA_ATT_OBJ_MAX], cdj[1024];
	unsigned long	 count;
	size_t		 adlen, aolen, cdjlen;
	int		 reg, packed;

	cdjlen = unhex(cdj, sizeof(cdj), none_es256.rcdj);
	adlen = rsa_authdata(ad, 2048);
	for (packed = 0; packed <= 1; packed++) {
		aolen = rsa_attobj(ao, ad, adlen, packed, cdj, cdjlen);
		CHECKF(wa_register(&p, cdj, cdjlen, ao, aolen, &c) == WA_OK,
		    "RS256 2048, %s", packed ? "packed" : "none");
		CHECK_INT(c.alg, WA_ALG_RS256);
		CHECK_INT(c.pubkey_len, 259);
		CHECK_STR(c.fmt, packed ? "packed" : "none");
		CHECK_INT(c.id_len, 16);
	}
	/* The self signature is over the clientDataJSON's hash. */
	flip_challenge(cdj, cdjlen);
	CHECK_INT(wa_register(&p, cdj, cdjlen, ao, aolen, &c), WA_SIGNATURE);
	flip_challenge(cdj, cdjlen);
	CHECK_INT(wa_register(&p, cdj, cdjlen, ao, aolen, &c), WA_OK);
	/* An assertion, counter 1, UV. */
	memset(&a, 0, sizeof(a));
	memcpy(a.id, c.id, c.id_len);
	a.id_len = c.id_len;
	a.client_data_len = unhex(a.client_data, sizeof(a.client_data),
	    none_es256.acdj);
	memcpy(a.auth_data, ad, 32);
	memcpy(a.auth_data + 32, "\x05\x00\x00\x00\x01", 5);
	a.auth_data_len = 37;
	a.sig_len = rsa_sign(a.sig, a.auth_data, 37, a.client_data,
	    a.client_data_len);
	CHECK_INT(a.sig_len, 256);
	CHECK_INT(wa_assert(&p, &c, &a, 1, &count, &reg), WA_OK);
	CHECK(count == 1 && reg == 0);
	a.sig[100] ^= 1;
	CHECK_INT(wa_assert(&p, &c, &a, 1, &count, &reg), WA_SIGNATURE);
	/* 1024 bits (and the vector's 3482): not a key libfido2 keeps. */
	adlen = rsa_authdata(ad, 1024);
	aolen = rsa_attobj(ao, ad, adlen, 0, cdj, cdjlen);
	CHECK_INT(wa_register(&p, cdj, cdjlen, ao, aolen, &c), WA_ALG);
	EVP_PKEY_free(rsa_key);
	rsa_key = NULL;
}

/* --- X-MFA-Code ---------------------------------------------------------- */

/* base64url of bytes, as a JSON member: ,"name":"..." */
static size_t
member(char *out, size_t sz, const char *name, const unsigned char *b,
    size_t n)
{
	char	 enc[2 * WA_CRED_ID_MAX];

	if (wa_b64url_encode(enc, sizeof(enc), b, n) != 0)
		exit(2);
	return (size_t)snprintf(out, sz, ",\"%s\":\"%s\"", name, enc);
}

/* The header of a JSON text. */
static void
header_of(char *out, size_t sz, const char *json)
{
	if (wa_b64url_encode(out, sz, (const unsigned char *)json,
	    strlen(json)) != 0)
		exit(2);
}

/* The assertion's JSON: skip names a member left out; extra is added. */
static void
json_of(char *out, size_t sz, const struct wa_assertion *a,
    const char *skip, const char *extra)
{
	size_t	 n = 0;

	out[n++] = '{';
	if (strcmp(skip, "id") != 0)
		n += member(out + n, sz - n, "id", a->id, a->id_len);
	if (strcmp(skip, "clientDataJSON") != 0)
		n += member(out + n, sz - n, "clientDataJSON", a->client_data,
		    a->client_data_len);
	if (strcmp(skip, "authenticatorData") != 0)
		n += member(out + n, sz - n, "authenticatorData", a->auth_data,
		    a->auth_data_len);
	if (strcmp(skip, "signature") != 0)
		n += member(out + n, sz - n, "signature", a->sig, a->sig_len);
	if (a->user_handle_len > 0 && strcmp(skip, "userHandle") != 0)
		n += member(out + n, sz - n, "userHandle", a->user_handle,
		    a->user_handle_len);
	n += (size_t)snprintf(out + n, sz - n, "%s}", extra);
	/* Drop the first member's comma. */
	if (n > 2 && out[1] == ',')
		memmove(out + 1, out + 2, n - 1);
}

static enum wa_result
parse_json(const char *json, struct wa_assertion *a)
{
	char	 h[WA_HEADER_MAX * 2];

	header_of(h, sizeof(h), json);
	return wa_parse_assertion(h, a);
}

static int
same_assertion(const struct wa_assertion *x, const struct wa_assertion *y)
{
	return x->id_len == y->id_len && memcmp(x->id, y->id, x->id_len) == 0 &&
	    x->client_data_len == y->client_data_len &&
	    memcmp(x->client_data, y->client_data, x->client_data_len) == 0 &&
	    x->auth_data_len == y->auth_data_len &&
	    memcmp(x->auth_data, y->auth_data, x->auth_data_len) == 0 &&
	    x->sig_len == y->sig_len && memcmp(x->sig, y->sig, x->sig_len) == 0 &&
	    x->user_handle_len == y->user_handle_len &&
	    memcmp(x->user_handle, y->user_handle, x->user_handle_len) == 0;
}

static void
test_parse_assertion(void)
{
	static const char *const fields[] = { "id", "clientDataJSON",
	    "authenticatorData", "signature" };
	static const char *const extras[] = {
		",\"type\":\"public-key\"",		/* unknown member */
		",\"id\":\"AA\"",			/* duplicate */
		",\"userHandle\":1",			/* not a string */
		",\"userHandle\":\"\"",			/* empty */
		",\"userHandle\":\"AA==\"",		/* padding */
		",\"userHandle\":\"A+\"",		/* not base64url */
		",\"userHandle\":[]", ",\"userHandle\":{}",
		",\"userHandle\":true", ",\"userHandle\":\"\\u0041A\"",
		",\"x\":null", ",\"\":\"\"",
	};
	struct wa_credential c;
	struct wa_assertion a, b;
	char		 json[WA_HEADER_MAX * 2], h[WA_HEADER_MAX * 2], *bad;
	char		 extra[2 * WA_CRED_ID_MAX + 32];
	unsigned char	 big[WA_CRED_ID_MAX + 1];
	unsigned long	 count;
	size_t		 i, n;
	int		 reg;

	memset(big, 0xab, sizeof(big));
	assert_load(&a, &none_es256);
	cred_of(&none_es256, &c);
	/* Valid: userHandle absent, null, 1 and 64 bytes; white space. */
	json_of(json, sizeof(json), &a, "", "");
	CHECK_INT(parse_json(json, &b), WA_OK);
	CHECK(same_assertion(&a, &b));
	CHECK_INT(assert_run(&c, &b, 0, 0, &count, &reg), WA_OK);
	json_of(json, sizeof(json), &a, "", ",\"userHandle\":null");
	CHECK_INT(parse_json(json, &b), WA_OK);
	CHECK(same_assertion(&a, &b));
	json_of(json, sizeof(json), &a, "", " , \"userHandle\" : null ");
	CHECK_INT(parse_json(json, &b), WA_OK);
	a.user_handle_len = 1;
	json_of(json, sizeof(json), &a, "", "");
	CHECK_INT(parse_json(json, &b), WA_OK);
	CHECK(same_assertion(&a, &b));
	a.user_handle_len = WA_USER_HANDLE_MAX;
	memset(a.user_handle, 0xab, a.user_handle_len);
	json_of(json, sizeof(json), &a, "", "");
	CHECK_INT(parse_json(json, &b), WA_OK);
	CHECK(same_assertion(&a, &b));
	/* userHandle of 65 bytes. */
	member(extra, sizeof(extra), "userHandle", big,
	    WA_USER_HANDLE_MAX + 1);
	json_of(json, sizeof(json), &a, "userHandle", extra);
	CHECK_INT(parse_json(json, &b), WA_MALFORMED);
	a.user_handle_len = 0;
	/* Each required member missing. */
	for (i = 0; i < nitems(fields); i++) {
		json_of(json, sizeof(json), &a, fields[i], "");
		CHECKF(parse_json(json, &b) == WA_MALFORMED, "without %s",
		    fields[i]);
		json_of(json, sizeof(json), &a, fields[i], "");
		json[strlen(json) - 1] = '\0';
		snprintf(json + strlen(json), sizeof(json) - strlen(json),
		    ",\"%s\":null}", fields[i]);
		CHECKF(parse_json(json, &b) == WA_MALFORMED, "%s null",
		    fields[i]);
		json_of(json, sizeof(json), &a, fields[i], "");
		json[strlen(json) - 1] = '\0';
		snprintf(json + strlen(json), sizeof(json) - strlen(json),
		    ",\"%s\":42}", fields[i]);
		CHECKF(parse_json(json, &b) == WA_MALFORMED, "%s a number",
		    fields[i]);
		json_of(json, sizeof(json), &a, fields[i], "");
		json[strlen(json) - 1] = '\0';
		snprintf(json + strlen(json), sizeof(json) - strlen(json),
		    ",\"%s\":\"AA=\"}", fields[i]);
		CHECKF(parse_json(json, &b) == WA_MALFORMED, "%s padded",
		    fields[i]);
	}
	for (i = 0; i < nitems(extras); i++) {
		json_of(json, sizeof(json), &a, "", extras[i]);
		CHECKF(parse_json(json, &b) == WA_MALFORMED && b.id_len == 0,
		    "extra %s", extras[i]);
	}
	/* Not an object; trailing text; a member name spelt otherwise. */
	CHECK_INT(parse_json("[]", &b), WA_MALFORMED);
	CHECK_INT(parse_json("null", &b), WA_MALFORMED);
	CHECK_INT(parse_json("{}", &b), WA_MALFORMED);
	json_of(json, sizeof(json), &a, "", "");
	strncat(json, "{}", sizeof(json) - strlen(json) - 1);
	CHECK_INT(parse_json(json, &b), WA_MALFORMED);
	json_of(json, sizeof(json), &a, "", "");
	bad = strstr(json, "\"id\"");
	memcpy(bad, "\"Id\"", 4);
	CHECK_INT(parse_json(json, &b), WA_MALFORMED);
	/* The header itself: empty, NULL, padded, another alphabet. */
	CHECK_INT(wa_parse_assertion("", &b), WA_MALFORMED);
	CHECK_INT(wa_parse_assertion(NULL, &b), WA_MALFORMED);
	json_of(json, sizeof(json), &a, "", "");
	header_of(h, sizeof(h), json);
	CHECK_INT(wa_parse_assertion(h, &b), WA_OK);
	n = strlen(h);
	h[n] = '=';
	h[n + 1] = '\0';
	CHECK_INT(wa_parse_assertion(h, &b), WA_MALFORMED);
	h[n] = '\0';
	h[4] = '+';
	CHECK_INT(wa_parse_assertion(h, &b), WA_MALFORMED);
	/* Sizes: an id of WA_CRED_ID_MAX bytes and one more; an
	 * authenticatorData of 37 and 36 bytes; a signature at most
	 * WA_SIG_MAX. */
	a.id_len = WA_CRED_ID_MAX;
	json_of(json, sizeof(json), &a, "", "");
	CHECK_INT(parse_json(json, &b), WA_OK);
	CHECK_INT(b.id_len, WA_CRED_ID_MAX);
	member(extra, sizeof(extra), "id", big, WA_CRED_ID_MAX + 1);
	json_of(json, sizeof(json), &a, "id", extra);
	CHECK_INT(parse_json(json, &b), WA_MALFORMED);
	assert_load(&a, &none_es256);
	a.auth_data_len = 36;
	json_of(json, sizeof(json), &a, "", "");
	CHECK_INT(parse_json(json, &b), WA_MALFORMED);
	a.auth_data_len = 37;
	a.sig_len = WA_SIG_MAX;
	json_of(json, sizeof(json), &a, "", "");
	CHECK_INT(parse_json(json, &b), WA_OK);
	CHECK_INT(b.sig_len, WA_SIG_MAX);
	/* The header's length: WA_HEADER_MAX characters, and 4 more. */
	assert_load(&a, &none_es256);
	json_of(json, sizeof(json), &a, "", "");
	n = strlen(json);
	memmove(json + 1 + (WA_HEADER_MAX / 4 * 3 - n), json + 1, n);
	memset(json + 1, ' ', WA_HEADER_MAX / 4 * 3 - n);
	CHECK_INT(strlen(json), WA_HEADER_MAX / 4 * 3);
	header_of(h, sizeof(h), json);
	CHECK_INT(strlen(h), WA_HEADER_MAX);
	CHECK_INT(wa_parse_assertion(h, &b), WA_OK);
	CHECK(same_assertion(&a, &b));
	memmove(json + 1, json, strlen(json) + 1);
	json[0] = ' ';
	header_of(h, sizeof(h), json);
	CHECK_INT(strlen(h), WA_HEADER_MAX + 2);
	CHECK_INT(wa_parse_assertion(h, &b), WA_MALFORMED);
}

int
main(void)
{
	test_b64url();
	test_client_data();
	test_register_vectors();
	test_register_refused();
	test_assert_vectors();
	test_assert_refused();
	test_counter();
	test_rs256();
	test_full_attestation();
	test_parse_assertion();
	return unit_done();
}
