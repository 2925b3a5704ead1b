/*
 * The WebAuthn checks (src/webauthn.c) on fuzzed bytes.  Byte 0 picks
 * what the rest is:
 *
 *  0  an X-MFA-Code header: wa_parse_assertion().  Accepted: every part
 *     within its bound, the parts encoded again parse to the same parts,
 *     and the assertion then verifies against the §16 "none" ES256
 *     credential only if it is that vector's authenticatorData and
 *     clientDataJSON (nothing else is signed by its key).
 *  1  a clientDataJSON: wa_client_data() for "webauthn.get".  Accepted:
 *     at most WA_CLIENT_DATA_MAX bytes, no NUL, a challenge that fits;
 *     refused: no challenge handed out.
 *  2  byte 1 picks one of four §16 registrations' clientDataJSON, the
 *     rest is an attestationObject: wa_register().  Accepted: a
 *     credential within every bound, of a supported algorithm and
 *     format, whose key libfido2 takes back; refused: cred left empty.
 *  3  bytes 1-2 (big-endian) the length of authenticatorData, then it,
 *     then the signature: wa_assert() with the "none" vector's client
 *     data and credential.  Accepted only for that vector's
 *     authenticatorData, with its counter (0) and no regression.
 * Seeds (tests/fuzz/webauthn/) are the vectors' own parts.
 */
#include "fuzz.h"
#include "webauthn.h"
#include "../unit/webauthn_vectors.h"

static const char *const origins[] = { "https://example.org" };
static const struct wa_policy pol = { "example.org", origins, 1, 0 };
static const struct vector *const regs[] = { &none_es256, &self_es256,
    &full_es256, &full_eddsa };

static struct wa_credential stored;
static unsigned char	 cdj[4][WA_CLIENT_DATA_MAX];
static size_t		 cdj_len[4];
static struct wa_assertion good;	/* the "none" vector's assertion */

static size_t
unhex(unsigned char *out, size_t sz, const char *hex)
{
	size_t	 n = strlen(hex) / 2;

	FUZZ_CHECK(n <= sz && hex_decode(out, n, hex, strlen(hex)) == 0);
	return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char	 ao[WA_ATT_OBJ_MAX];
	size_t		 i, n;

	(void)argc;
	(void)argv;
	for (i = 0; i < nitems(regs); i++)
		cdj_len[i] = unhex(cdj[i], sizeof(cdj[i]), regs[i]->rcdj);
	n = unhex(ao, sizeof(ao), none_es256.ao);
	FUZZ_CHECK(wa_register(&pol, cdj[0], cdj_len[0], ao, n, &stored) ==
	    WA_OK);
	good.id_len = unhex(good.id, sizeof(good.id), none_es256.id);
	good.client_data_len = unhex(good.client_data,
	    sizeof(good.client_data), none_es256.acdj);
	good.auth_data_len = unhex(good.auth_data, sizeof(good.auth_data),
	    none_es256.ad);
	good.sig_len = unhex(good.sig, sizeof(good.sig), none_es256.sig);
	return 0;
}

static int
same(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

/* ,"name":"base64url" appended at out + *n. */
static void
member(char *out, size_t sz, size_t *n, const char *name,
    const unsigned char *b, size_t len)
{
	char	 enc[WA_HEADER_MAX];

	FUZZ_CHECK(wa_b64url_encode(enc, sizeof(enc), b, len) == 0);
	*n += (size_t)snprintf(out + *n, sz - *n, "%s\"%s\":\"%s\"",
	    *n > 1 ? "," : "", name, enc);
	FUZZ_CHECK(*n < sz);
}

static void
header(const char *s)
{
	struct wa_assertion a, b;
	char		 json[WA_HEADER_MAX], again[2 * WA_HEADER_MAX];
	unsigned long	 count;
	size_t		 n = 1;
	int		 reg;

	if (wa_parse_assertion(s, &a) != WA_OK) {
		FUZZ_CHECK(a.id_len == 0 && a.sig_len == 0);
		return;
	}
	FUZZ_CHECK(strlen(s) <= WA_HEADER_MAX);
	FUZZ_CHECK(a.id_len >= 1 && a.id_len <= WA_CRED_ID_MAX);
	FUZZ_CHECK(a.client_data_len >= 1 &&
	    a.client_data_len <= WA_CLIENT_DATA_MAX);
	FUZZ_CHECK(a.auth_data_len >= 37 && a.auth_data_len <= WA_AUTH_DATA_MAX);
	FUZZ_CHECK(a.sig_len >= 1 && a.sig_len <= WA_SIG_MAX);
	FUZZ_CHECK(a.user_handle_len <= WA_USER_HANDLE_MAX);
	json[0] = '{';
	member(json, sizeof(json), &n, "id", a.id, a.id_len);
	member(json, sizeof(json), &n, "clientDataJSON", a.client_data,
	    a.client_data_len);
	member(json, sizeof(json), &n, "authenticatorData", a.auth_data,
	    a.auth_data_len);
	member(json, sizeof(json), &n, "signature", a.sig, a.sig_len);
	if (a.user_handle_len > 0)
		member(json, sizeof(json), &n, "userHandle", a.user_handle,
		    a.user_handle_len);
	FUZZ_CHECK(n + 1 < sizeof(json));
	json[n++] = '}';
	json[n] = '\0';
	FUZZ_CHECK(wa_b64url_encode(again, sizeof(again),
	    (const unsigned char *)json, n) == 0);
	if (strlen(again) <= WA_HEADER_MAX) {
		FUZZ_CHECK(wa_parse_assertion(again, &b) == WA_OK);
		FUZZ_CHECK(same(a.id, a.id_len, b.id, b.id_len) &&
		    same(a.client_data, a.client_data_len, b.client_data,
		    b.client_data_len) &&
		    same(a.auth_data, a.auth_data_len, b.auth_data,
		    b.auth_data_len) && same(a.sig, a.sig_len, b.sig, b.sig_len) &&
		    same(a.user_handle, a.user_handle_len, b.user_handle,
		    b.user_handle_len));
	}
	if (wa_assert(&pol, &stored, &a, 1, &count, &reg) == WA_OK)
		FUZZ_CHECK(same(a.auth_data, a.auth_data_len, good.auth_data,
		    good.auth_data_len) && same(a.client_data,
		    a.client_data_len, good.client_data, good.client_data_len) &&
		    count == 0 && reg == 0);
}

static void
client_data(const uint8_t *p, size_t n)
{
	unsigned char	 chal[64];
	size_t		 len = 99;
	enum wa_result	 r;

	r = wa_client_data(&pol, "webauthn.get", p, n, chal, sizeof(chal),
	    &len);
	if (r != WA_OK) {
		FUZZ_CHECK(len == 0);
		return;
	}
	FUZZ_CHECK(n <= WA_CLIENT_DATA_MAX && memchr(p, '\0', n) == NULL);
	FUZZ_CHECK(len <= sizeof(chal));
}

static void
attestation(const uint8_t *p, size_t n)
{
	static const struct wa_credential zero;
	struct wa_credential c;
	unsigned long	 count;
	size_t		 k;
	int		 reg;

	if (n < 1)
		return;
	k = p[0] % nitems(regs);
	if (wa_register(&pol, cdj[k], cdj_len[k], p + 1, n - 1, &c) != WA_OK) {
		FUZZ_CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
		return;
	}
	FUZZ_CHECK(n - 1 <= WA_ATT_OBJ_MAX);
	FUZZ_CHECK(c.id_len >= 1 && c.id_len <= WA_CRED_ID_MAX);
	FUZZ_CHECK((c.alg == WA_ALG_ES256 && c.pubkey_len == 64) ||
	    (c.alg == WA_ALG_EDDSA && c.pubkey_len == 32) ||
	    (c.alg == WA_ALG_RS256 && c.pubkey_len == 259));
	FUZZ_CHECK(strcmp(c.fmt, "none") == 0 || strcmp(c.fmt, "packed") == 0);
	FUZZ_CHECK(!c.backed_up || c.backup_eligible);
	/* The key is one libfido2 takes back: the vector's assertion
	 * under this credential is a signature check, not an internal
	 * error. */
	memcpy(c.id, good.id, good.id_len);
	c.id_len = good.id_len;
	c.backup_eligible = 1;
	FUZZ_CHECK(wa_assert(&pol, &c, &good, 0, &count, &reg) != WA_INTERNAL);
}

static void
assertion(const uint8_t *p, size_t n)
{
	struct wa_assertion a = good;
	unsigned long	 count;
	size_t		 alen;
	int		 reg;

	if (n < 2)
		return;
	alen = (size_t)p[0] << 8 | p[1];
	p += 2;
	n -= 2;
	if (alen > n || alen > WA_AUTH_DATA_MAX || n - alen > WA_SIG_MAX)
		return;
	memcpy(a.auth_data, p, alen);
	a.auth_data_len = alen;
	memcpy(a.sig, p + alen, n - alen);
	a.sig_len = n - alen;
	if (wa_assert(&pol, &stored, &a, 1, &count, &reg) == WA_OK)
		FUZZ_CHECK(same(a.auth_data, a.auth_data_len, good.auth_data,
		    good.auth_data_len) && count == 0 && reg == 0);
	else
		FUZZ_CHECK(count == 0 && reg == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		s = fuzz_str(data + 1, size - 1);
		header(s);
		free(s);
		break;
	case 1:
		client_data(data + 1, size - 1);
		break;
	case 2:
		attestation(data + 1, size - 1);
		break;
	default:
		assertion(data + 1, size - 1);
		break;
	}
	return 0;
}
