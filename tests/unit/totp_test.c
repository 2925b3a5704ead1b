/*
 * src/method_totp.c's wrapper of liboath: the RFC 4226 Appendix D and
 * RFC 6238 Appendix B (SHA-1) vectors, base32, and the rules of contract
 * §6 at their boundaries: the step window, the remembered clock offset
 * and its bound, the replay guard (a step later than the last accepted).
 * Also crypto.c's sealed secrets, which hold the method's key.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"
#include "unit.h"

static const unsigned char K[] = "12345678901234567890";
#define KLEN	20

/* RFC 4226 Appendix D: HOTP, counters 0..9. */
static void
test_hotp_vectors(void)
{
	static const char *const want[] = { "755224", "287082", "359152",
	    "969429", "338314", "254676", "287922", "162583", "399871",
	    "520489" };
	char	 out[TOTP_DIGITS + 1];
	size_t	 i;

	for (i = 0; i < nitems(want); i++) {
		memset(out, 0, sizeof(out));
		CHECK_INT(totp_hotp(K, KLEN, i, out), 0);
		CHECK_STR(out, want[i]);
	}
}

/* RFC 6238 Appendix B, SHA-1 rows: its 8-digit values' last 6 digits are
 * the 6-digit codes (the same truncated number mod 10^6). */
static void
test_totp_vectors(void)
{
	static const struct { long long t; const char *code; } v[] = {
		{ 59LL, "287082" },		/* 94287082 */
		{ 1111111109LL, "081804" },	/* 07081804 */
		{ 1111111111LL, "050471" },	/* 14050471 */
		{ 1234567890LL, "005924" },	/* 89005924 */
		{ 2000000000LL, "279037" },	/* 69279037 */
		{ 20000000000LL, "353130" },	/* 65353130 */
	};
	char	 out[TOTP_DIGITS + 1];
	size_t	 i;

	for (i = 0; i < nitems(v); i++) {
		memset(out, 0, sizeof(out));
		CHECK_INT(totp_at(K, KLEN, (time_t)v[i].t, out), 0);
		CHECK_STR(out, v[i].code);
	}
	/* A step is [30k, 30k + 29]: 59 and 60 are different steps. */
	CHECK_INT(totp_at(K, KLEN, 60, out), 0);
	CHECK_STR(out, "359152");	/* HOTP counter 2 */
	CHECK_INT(totp_at(K, KLEN, 30, out), 0);
	CHECK_STR(out, "287082");
	CHECK_INT(totp_at(K, KLEN, 29, out), 0);
	CHECK_STR(out, "755224");
}

/* RFC 4648 §10 vectors (padding dropped) and round trips. */
static void
test_base32(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
		{ "12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
	};
	unsigned char	 bin[64], key[TOTP_SECRET_BYTES];
	char		 b32[TOTP_B32_MAX];
	size_t		 i, n;
	int		 round;

	for (i = 0; i < nitems(v); i++) {
		CHECK_INT(totp_base32(b32, sizeof(b32),
		    (const unsigned char *)v[i].in, strlen(v[i].in)), 0);
		CHECK_STR(b32, v[i].out);
		n = 0;
		CHECK_INT(totp_unbase32(bin, &n, sizeof(bin), v[i].out), 0);
		CHECK_MEM((const char *)bin, n, v[i].in, strlen(v[i].in));
	}
	for (round = 0; round < 200; round++) {
		random_bytes(key, sizeof(key));
		CHECK_INT(totp_base32(b32, sizeof(b32), key, sizeof(key)), 0);
		/* 160 bits are 32 characters, no padding, A-Z and 2-7. */
		CHECK_INT(strlen(b32), 32);
		CHECK_INT(strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
		n = 0;
		CHECK_INT(totp_unbase32(bin, &n, sizeof(bin), b32), 0);
		CHECK_MEM((const char *)bin, n, (const char *)key, sizeof(key));
	}
	/* Too small a buffer is refused, not cut. */
	CHECK_INT(totp_base32(b32, 32, key, sizeof(key)), -1);
	CHECK_INT(totp_base32(b32, 33, key, sizeof(key)), 0);
	CHECK_INT(totp_unbase32(bin, &n, 19, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
	    -1);
	CHECK_INT(totp_unbase32(bin, &n, sizeof(bin), "not base32!"), -1);
}

#define NOW	1111111110LL	/* the start of step 37037037 */
#define STEP0	(NOW / TOTP_STEP)

/* The app's code for the step d steps from NOW's. */
static const char *
code_at(long d)
{
	static char	 out[TOTP_DIGITS + 1];

	if (totp_at(K, KLEN, (time_t)(NOW + d * TOTP_STEP), out) != 0)
		return "x";
	return out;
}

static long long
match(long d, time_t now, long window, long drift, long long last,
    long *nd)
{
	char	 code[TOTP_DIGITS + 1];

	snprintf(code, sizeof(code), "%s", code_at(d));
	*nd = 99;
	return totp_match(K, KLEN, code, now, window, drift, last, nd);
}

static void
test_window(void)
{
	long	 nd, w, d;

	/* Window w, no offset: steps -w..+w pass, w + 1 either side not. */
	for (w = 0; w <= 2; w++) {
		for (d = -w - 1; d <= w + 1; d++) {
			long long s = match(d, NOW, w, 0, 0, &nd);

			if (d < -w || d > w) {
				CHECKF(s == -1, "w %ld d %ld passed", w, d);
				CHECK_INT(nd, 99);	/* untouched */
			} else {
				CHECK_INT(s, STEP0 + d);
				CHECK_INT(nd, d);
			}
		}
	}
	/* The step's edges: the last second of a step and the first of the
	 * next, window 0. */
	CHECK_INT(match(0, NOW + 29, 0, 0, 0, &nd), STEP0);
	CHECK_INT(match(0, NOW + 30, 0, 0, 0, &nd), -1);
	CHECK_INT(match(1, NOW + 30, 0, 0, 0, &nd), STEP0 + 1);
	CHECK_INT(match(0, NOW - 1, 0, 0, 0, &nd), -1);
	/* A wrong code (none of the window's), a short one, a letter. */
	{
		char	 wrong[TOTP_DIGITS + 1] = "000000";

		for (d = -2; d <= 2; d++)
			if (strcmp(code_at(d), wrong) == 0) {
				wrong[0]++;
				d = -3;
			}
		CHECK_INT(totp_match(K, KLEN, wrong, NOW, 2, 0, 0, &nd), -1);
	}
	CHECK_INT(totp_match(K, KLEN, "05047", NOW, 1, 0, 0, &nd), -1);
	CHECK_INT(totp_match(K, KLEN, "05047a", NOW, 1, 0, 0, &nd), -1);
}

static void
test_replay(void)
{
	long	 nd;

	/* Only a step later than the last accepted passes. */
	CHECK_INT(match(0, NOW, 1, 0, STEP0 - 1, &nd), STEP0);
	CHECK_INT(match(0, NOW, 1, 0, STEP0, &nd), -1);
	CHECK_INT(match(1, NOW, 1, 0, STEP0, &nd), STEP0 + 1);
	/* After a code of the next step, the current step's is refused. */
	CHECK_INT(match(0, NOW, 1, 0, STEP0 + 1, &nd), -1);
	CHECK_INT(match(-1, NOW, 1, 0, STEP0 + 1, &nd), -1);
}

static void
test_drift(void)
{
	long	 nd;

	/* The window is centred on the remembered offset. */
	CHECK_INT(match(2, NOW, 1, 1, 0, &nd), STEP0 + 2);
	CHECK_INT(nd, 2);
	CHECK_INT(match(-1, NOW, 1, 1, 0, &nd), -1);
	CHECK_INT(match(0, NOW, 1, 1, 0, &nd), STEP0);
	CHECK_INT(nd, 0);
	CHECK_INT(match(-2, NOW, 1, -1, 0, &nd), STEP0 - 2);
	CHECK_INT(nd, -2);
	CHECK_INT(match(1, NOW, 1, -1, 0, &nd), -1);
	/* The offset is bounded: a stored one beyond TOTP_MAX_DRIFT counts
	 * as TOTP_MAX_DRIFT, and a success further out remembers the bound. */
	CHECK_INT(match(TOTP_MAX_DRIFT + 1, NOW, 1, 5, 0, &nd),
	    STEP0 + TOTP_MAX_DRIFT + 1);
	CHECK_INT(nd, TOTP_MAX_DRIFT);
	CHECK_INT(match(TOTP_MAX_DRIFT + 2, NOW, 1, 5, 0, &nd), -1);
	CHECK_INT(match(TOTP_MAX_DRIFT + 2, NOW, 2, TOTP_MAX_DRIFT, 0, &nd),
	    STEP0 + TOTP_MAX_DRIFT + 2);
	CHECK_INT(nd, TOTP_MAX_DRIFT);
	CHECK_INT(match(-TOTP_MAX_DRIFT - 3, NOW, 2, -9, 0, &nd), -1);
	CHECK_INT(match(-TOTP_MAX_DRIFT - 2, NOW, 2, -9, 0, &nd),
	    STEP0 - TOTP_MAX_DRIFT - 2);
	CHECK_INT(nd, -TOTP_MAX_DRIFT);
}

/* crypto.c: a sealed secret opens only with its binding, unaltered. */
static void
test_seal(void)
{
	unsigned char	 key[TOTP_SECRET_BYTES], box[TOTP_BOX_MAX],
			 out[TOTP_BOX_MAX], n1[SEAL_NONCE_BYTES],
			 n2[SEAL_NONCE_BYTES], box2[TOTP_BOX_MAX];
	size_t		 bl = sizeof(key) + SEAL_MAC_BYTES;

	random_bytes(key, sizeof(key));
	CHECK_INT(secret_seal(box, n1, key, sizeof(key), "0/7/totp"), 0);
	CHECK_INT(secret_open(out, box, bl, n1, "0/7/totp"), 0);
	CHECK(memcmp(out, key, sizeof(key)) == 0);
	CHECK(memmem(box, bl, key, sizeof(key)) == NULL);
	CHECK_INT(secret_open(out, box, bl, n1, "0/8/totp"), -1);
	CHECK_INT(secret_open(out, box, bl, n1, "1/7/totp"), -1);
	box[3] ^= 1;
	CHECK_INT(secret_open(out, box, bl, n1, "0/7/totp"), -1);
	box[3] ^= 1;
	CHECK_INT(secret_open(out, box, SEAL_MAC_BYTES - 1, n1, "0/7/totp"),
	    -1);
	/* A fresh nonce each time: the same secret seals differently. */
	CHECK_INT(secret_seal(box2, n2, key, sizeof(key), "0/7/totp"), 0);
	CHECK(memcmp(n1, n2, sizeof(n1)) != 0);
	CHECK(memcmp(box, box2, bl) != 0);
}

int
main(void)
{
	char	 err[256];

	if (crypto_start("/dev/null", err, sizeof(err)) != 0)
		(void)err;	/* no secret file: the zero key seals too */
	test_hotp_vectors();
	test_totp_vectors();
	test_base32();
	test_window();
	test_replay();
	test_drift();
	test_seal();
	return unit_done();
}
