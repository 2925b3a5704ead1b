/*
 * src/crypto.c: the secret file, tokens, keyed hashes, passwords, constant
 * time comparison, UUIDs and bounded random numbers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "glue.h"
#include "unit.h"

#define KEY_A	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"
#define KEY_B	"ffeeddccbbaa99887766554433221100" \
		"ffeeddccbbaa99887766554433221100"

static char	 dir[] = "/tmp/glue-mfa-crypto-XXXXXX";
static char	 err[512];
static const char *made[64];	/* file names written in dir */
static size_t	 nmade;

/* Writes text to dir/name with mode; returns the path (static). */
static const char *
keyfile(const char *name, const char *text, mode_t mode)
{
	static char	 path[256];
	FILE		*f;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (i = 0; i < nmade && strcmp(made[i], name) != 0; i++)
		continue;
	if (i == nmade && nmade < nitems(made))
		made[nmade++] = name;
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, strlen(text), f) != strlen(text) ||
	    fclose(f) != 0 || chmod(path, mode) == -1) {
		perror(path);
		exit(2);
	}
	return path;
}

static int
load(const char *name, const char *text, mode_t mode)
{
	memset(err, 0, sizeof(err));
	return secret_load(keyfile(name, text, mode), err, sizeof(err));
}

static void
test_secret_file(void)
{
	const char	*p;

	/* crypto_start: libsodium, then the secret. */
	p = keyfile("good", KEY_A "\n", 0600);
	CHECK_INT(crypto_start(p, err, sizeof(err)), 0);
	CHECK_INT(load("nonl", KEY_A, 0600), 0);	/* newline optional */
	CHECK_INT(load("upper", "000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191A1B1C1D1E1F\n", 0600), 0);
	CHECK_INT(load("ro", KEY_A "\n", 0400), 0);

	/* Accessible to others, or writable by the group: refused. */
	CHECK_INT(load("world", KEY_A "\n", 0644), -1);
	CHECK(strncmp(err, "secret_key_file:", 16) == 0);
	CHECK(strstr(err, "accessible to others") != NULL);
	CHECK_INT(load("world2", KEY_A "\n", 0604), -1);
	CHECK_INT(load("worldw", KEY_A "\n", 0602), -1);
	CHECK_INT(load("groupw", KEY_A "\n", 0620), -1);
	/* Group read is allowed: the web server's group may read it. */
	CHECK_INT(load("groupr", KEY_A "\n", 0640), 0);

	/* Not 64 hex characters: refused. */
	CHECK_INT(load("empty", "", 0600), -1);
	CHECK(strncmp(err, "secret_key_file:", 16) == 0);
	CHECK(strstr(err, "64 hex") != NULL);
	CHECK_INT(load("nl", "\n", 0600), -1);
	CHECK_INT(load("short", "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1\n", 0600), -1);	/* 63 */
	CHECK_INT(load("half", "000102030405060708090a0b0c0d0e0f\n", 0600),
	    -1);
	CHECK_INT(load("long", KEY_A "0\n", 0600), -1);		/* 65 */
	CHECK_INT(load("longer", KEY_A KEY_B "\n", 0600), -1);
	CHECK_INT(load("nothex", "g00102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", 0600), -1);
	CHECK_INT(load("spaces", "00 0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", 0600), -1);
	CHECK_INT(load("crlf", KEY_A "\r\n", 0600), -1);
	CHECK_INT(load("twonl", KEY_A "\n\n", 0600), -1);
	CHECK_INT(load("extra", KEY_A "\nmore\n", 0600), -1);

	/* No file: refused, naming the path. */
	memset(err, 0, sizeof(err));
	CHECK_INT(secret_load("/nonexistent/glue-mfa.key", err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "/nonexistent/glue-mfa.key") != NULL);

	/* Leave KEY_A loaded. */
	CHECK_INT(load("good", KEY_A "\n", 0600), 0);
}

static int
is_base64url(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
test_token_new(void)
{
	static char	 t[256][TOKEN_CHARS + 1];
	size_t		 i, dup = 0, bad = 0;

	for (i = 0; i < nitems(t); i++) {
		memset(t[i], 'x', sizeof(t[i]));
		token_new(t[i]);
		if (strlen(t[i]) != TOKEN_CHARS || !is_base64url(t[i]) ||
		    !valid_token(t[i]))
			bad++;
	}
	CHECK_INT(strlen(t[0]), TOKEN_CHARS);
	CHECK(is_base64url(t[0]));
	CHECK_INT(bad, 0);
	qsort(t, nitems(t), sizeof(t[0]), cmp_str);
	for (i = 1; i < nitems(t); i++)
		if (strcmp(t[i - 1], t[i]) == 0)
			dup++;
	CHECK_INT(dup, 0);
}

/*
 * code_hash() of a code longer than its buffer (a passkey's assertion in
 * X-MFA-Code, contract §12.4): deterministic, every byte counts (it used
 * to read past its buffer), and a short code hashes as it always did.
 */
static void
test_code_hash_long(void)
{
	const struct subject who = { SIDE_STOREFRONT, 42 };
	unsigned char	 a[HASH_BYTES], b[HASH_BYTES];
	char		 big[4097], edge[200];
	size_t		 n;

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	code_hash(a, &who, "webauthn", 7, big);
	code_hash(b, &who, "webauthn", 7, big);
	CHECK(memcmp(a, b, HASH_BYTES) == 0);
	big[sizeof(big) - 2] = 'B';		/* the last byte */
	code_hash(b, &who, "webauthn", 7, big);
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	code_hash(a, &who, "webauthn", 8, big);	/* the id counts */
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	/* Around the buffer's 160 bytes: "0/42/webauthn/7/" is 16. */
	for (n = 140; n < 150; n++) {
		memset(edge, 'x', n);
		edge[n] = '\0';
		code_hash(a, &who, "webauthn", 7, edge);
		edge[n - 1] = 'y';
		code_hash(b, &who, "webauthn", 7, edge);
		CHECKF(memcmp(a, b, HASH_BYTES) != 0, "length %zu", n);
	}
	/* A short code: the plain form, as stored before. */
	keyed_hash(a, "mfa-code", "0/42/email/7/123456", 19);
	code_hash(b, &who, "email", 7, "123456");
	CHECK(memcmp(a, b, HASH_BYTES) == 0);
}

static void
test_keyed_hash(void)
{
	unsigned char	 a[HASH_BYTES], b[HASH_BYTES], zero[HASH_BYTES];

	memset(zero, 0, sizeof(zero));
	keyed_hash(a, "token/storefront", "abc", 3);
	keyed_hash(b, "token/storefront", "abc", 3);
	CHECK(memcmp(a, b, HASH_BYTES) == 0);		/* deterministic */
	CHECK(memcmp(a, zero, HASH_BYTES) != 0);

	keyed_hash(b, "token/backend", "abc", 3);	/* by domain */
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	keyed_hash(b, "token/storefront", "abd", 3);	/* by input */
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	keyed_hash(b, "token/storefront", "abc", 2);	/* by length */
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	keyed_hash(b, "token/storefront", "abc\0", 4);
	CHECK(memcmp(a, b, HASH_BYTES) != 0);

	/* The boundary between domain and input is part of the hash. */
	keyed_hash(a, "ab", "c", 1);
	keyed_hash(b, "a", "bc", 2);
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	keyed_hash(a, "", "x", 1);
	keyed_hash(b, "x", "", 0);
	CHECK(memcmp(a, b, HASH_BYTES) != 0);

	/* Keyed: another secret, another hash. */
	keyed_hash(a, "token/storefront", "abc", 3);
	CHECK_INT(load("b", KEY_B "\n", 0600), 0);
	keyed_hash(b, "token/storefront", "abc", 3);
	CHECK(memcmp(a, b, HASH_BYTES) != 0);
	CHECK_INT(load("a", KEY_A "\n", 0600), 0);
	keyed_hash(b, "token/storefront", "abc", 3);
	CHECK(memcmp(a, b, HASH_BYTES) == 0);
}

static void
test_password(void)
{
	char	 h1[256], h2[256], tiny[16];

	CHECK_INT(password_hash(h1, sizeof(h1), "change123"), 0);
	CHECK(strncmp(h1, "$argon2id$", 10) == 0);
	CHECK(password_verify(h1, "change123") == 1);
	CHECK(password_verify(h1, "change124") == 0);
	CHECK(password_verify(h1, "change12") == 0);
	CHECK(password_verify(h1, "") == 0);
	CHECK(password_verify(h1, "Change123") == 0);
	/* A fresh salt each time. */
	CHECK_INT(password_hash(h2, sizeof(h2), "change123"), 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK(password_verify(h2, "change123") == 1);
	/* Not a hash: never verifies. */
	CHECK(password_verify("", "change123") == 0);
	CHECK(password_verify("$argon2id$garbage", "change123") == 0);
	/* Too small a buffer is refused, not overflowed. */
	CHECK_INT(password_hash(tiny, sizeof(tiny), "change123"), -1);
	/* The dummy verification for unknown accounts does not crash. */
	password_burn("change123");
	password_burn("anything");
}

/* CPU time of password_verify (s), the least of three: a cost to compare
 * that other work on the machine hardly moves. */
static double
verify_cpu(const char *hash, const char *pw)
{
	struct timespec	 a, b;
	double		 t, least = 0;
	int		 i;

	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		(void)password_verify(hash, pw);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		t = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		if (i == 0 || t < least)
			least = t;
	}
	return least;
}

/* contract §11.1: the configured parameters, the rehash rule, the dummy. */
static void
test_password_params(void)
{
	char	 h[256], want[64], weak[256];
	const char *d;
	double	 real, dummy;

	/* The defaults: OWASP's minimum, which is also the floor. */
	CHECK_INT(cfg.password_memory_kib, MIN_PASSWORD_MEMORY_KIB);
	CHECK_INT(cfg.password_iterations, MIN_PASSWORD_ITERATIONS);
	CHECK_INT(password_hash(h, sizeof(h), "change123"), 0);
	CHECK(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	CHECK(strlen(h) < PASSWORD_HASH_CHARS);
	CHECK_INT(password_needs_rehash(h), 0);

	/* A hash of weaker parameters (libsodium's minimum) is due, and so
	 * is one of stronger ones, and one of another algorithm. */
	cfg.password_memory_kib = 8;		/* libsodium's floor */
	cfg.password_iterations = 1;
	CHECK_INT(password_hash(weak, sizeof(weak), "change123"), 0);
	CHECK(strncmp(weak, "$argon2id$v=19$m=8,t=1,p=1$", 27) == 0);
	cfg.password_memory_kib = MIN_PASSWORD_MEMORY_KIB;
	cfg.password_iterations = MIN_PASSWORD_ITERATIONS;
	CHECK(password_verify(weak, "change123") == 1);
	CHECK_INT(password_needs_rehash(weak), 1);
	cfg.password_iterations = 3;
	CHECK_INT(password_needs_rehash(h), 1);
	cfg.password_iterations = MIN_PASSWORD_ITERATIONS;
	cfg.password_memory_kib = MIN_PASSWORD_MEMORY_KIB + 1024;
	CHECK_INT(password_needs_rehash(h), 1);
	cfg.password_memory_kib = MIN_PASSWORD_MEMORY_KIB;
	CHECK_INT(password_needs_rehash(h), 0);
	CHECK_INT(password_needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$"
	    "c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
	    1);
	CHECK_INT(password_needs_rehash("not a hash"), 1);

	/* The dummy: the configured parameters, no password matches it, and
	 * it costs a real verification (within a factor, on CPU time). */
	d = password_dummy();
	snprintf(want, sizeof(want), "$argon2id$v=19$m=%ld,t=%ld,p=1$",
	    cfg.password_memory_kib, cfg.password_iterations);
	CHECK(strncmp(d, want, strlen(want)) == 0);
	CHECK_INT(password_needs_rehash(d), 0);
	CHECK(password_verify(d, "change123") == 0);
	CHECK(password_verify(d, "") == 0);
	real = verify_cpu(h, "wrong-password");
	dummy = verify_cpu(d, "wrong-password");
	CHECK(dummy > real / 2 && dummy < real * 2);
	/* It follows the configuration. */
	cfg.password_iterations = 3;
	d = password_dummy();
	CHECK(strncmp(d, "$argon2id$v=19$m=19456,t=3,p=1$", 31) == 0);
	cfg.password_iterations = MIN_PASSWORD_ITERATIONS;
	d = password_dummy();
	CHECK(strncmp(d, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
}

static void
test_ct_equal(void)
{
	CHECK(ct_equal("abcdef", "abcdef", 6) == 1);
	CHECK(ct_equal("abcdef", "abcdeg", 6) == 0);
	CHECK(ct_equal("abcdef", "bbcdef", 6) == 0);
	CHECK(ct_equal("abcdef", "abcdeg", 5) == 1);
	CHECK(ct_equal("\0\0", "\0\1", 2) == 0);
	CHECK(ct_equal("x", "y", 0) == 1);
}

static void
test_uuid_v4(void)
{
	static char	 u[512][37];
	size_t		 i, j, bad = 0, dup = 0;

	for (i = 0; i < nitems(u); i++) {
		uuid_v4(u[i]);
		/* RFC 9562 §5.4: version 4, variant 10xx. */
		if (strlen(u[i]) != 36 || !valid_uuid(u[i]) ||
		    u[i][14] != '4' || strchr("89ab", u[i][19]) == NULL)
			bad++;
		for (j = 0; j < 36; j++)
			if (isupper((unsigned char)u[i][j]))
				bad++;
	}
	CHECK_INT(strlen(u[0]), 36);
	CHECK(valid_uuid(u[0]));
	CHECK(u[0][8] == '-' && u[0][13] == '-' && u[0][18] == '-' &&
	    u[0][23] == '-');
	CHECK(u[0][14] == '4');
	CHECK(strchr("89ab", u[0][19]) != NULL);
	CHECK_INT(bad, 0);
	qsort(u, nitems(u), sizeof(u[0]), cmp_str);
	for (i = 1; i < nitems(u); i++)
		if (strcmp(u[i - 1], u[i]) == 0)
			dup++;
	CHECK_INT(dup, 0);
}

static void
test_random(void)
{
	unsigned	 seen[10] = { 0 };
	size_t		 i, out_of_range = 0, missing = 0;
	char		 hex[2 * 64 + 1];
	uint32_t	 v;

	for (i = 0; i < 10000; i++) {
		v = random_uniform(10);
		if (v >= 10)
			out_of_range++;
		else
			seen[v]++;
	}
	CHECK_INT(out_of_range, 0);
	for (i = 0; i < 10; i++)
		if (seen[i] == 0)
			missing++;
	CHECK_INT(missing, 0);			/* every value comes up */
	for (i = 0, out_of_range = 0; i < 1000; i++)
		if (random_uniform(1) != 0)
			out_of_range++;
	CHECK_INT(out_of_range, 0);
	/* Bounds the size of codes: 10^6 and 10^9. */
	for (i = 0, out_of_range = 0; i < 1000; i++)
		if (random_uniform(1000000) >= 1000000 ||
		    random_uniform(1000000000) >= 1000000000)
			out_of_range++;
	CHECK_INT(out_of_range, 0);
	CHECK(random_u64() != random_u64());

	memset(hex, 'x', sizeof(hex));
	random_hex(hex, 16);
	CHECK_INT(strlen(hex), 32);
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)hex[i]) ||
		    isupper((unsigned char)hex[i]))
			missing++;
	CHECK_INT(missing, 0);
	random_hex(hex, 64);
	CHECK_INT(strlen(hex), 128);
}

static void
test_wipe(void)
{
	char	 buf[16];
	size_t	 i, left = 0;

	memset(buf, 'A', sizeof(buf));
	wipe(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0)
			left++;
	CHECK_INT(left, 0);
}

/* Recovery codes (contract §8): 80 bits as Crockford base32 in groups of
 * four; vectors from Python's base32 with Crockford's alphabet. */
static void
test_recovery_format(void)
{
	static const struct {
		const char	*bytes;		/* RECOVERY_BYTES, as hex */
		const char	*code;
	} v[] = {
		{ "00000000000000000000", "0000-0000-0000-0000" },
		{ "ffffffffffffffffffff", "ZZZZ-ZZZZ-ZZZZ-ZZZZ" },
		{ "00010203040506070809", "000G-40R4-0M30-E209" },
		{ "0123456789abcdeffedc", "04HM-ASW9-NF6Y-ZZPW" },
		{ "676c75652d6d66612121", "CXP7-AS9D-DNK6-2891" },
	};
	unsigned char	 b[RECOVERY_BYTES];
	char		 out[RECOVERY_CODE_CHARS + 1];
	size_t		 i;

	for (i = 0; i < nitems(v); i++) {
		CHECK_INT(hex_decode(b, sizeof(b), v[i].bytes,
		    strlen(v[i].bytes)), 0);
		recovery_format(out, b);
		CHECK_STR(out, v[i].code);
	}
}

static void
test_recovery_normalize(void)
{
	static const struct {
		const char	*in;
		const char	*norm;		/* NULL: refused */
	} v[] = {
		{ "04HM-ASW9-NF6Y-ZZPW", "04HMASW9NF6YZZPW" },
		{ "04hm-asw9-nf6y-zzpw", "04HMASW9NF6YZZPW" },
		{ "04HMASW9NF6YZZPW", "04HMASW9NF6YZZPW" },
		{ "04HM ASW9 NF6Y ZZPW", "04HMASW9NF6YZZPW" },
		{ "O4HM-ASW9-NF6Y-ZZPW", "04HMASW9NF6YZZPW" },	/* O is 0 */
		{ "iLIl-0000-0000-0000", "1111000000000000" },	/* I, L are 1 */
		{ "-04HM--ASW9NF6YZZPW-", "04HMASW9NF6YZZPW" },
		{ "04HM-ASW9-NF6Y-ZZP", NULL },			/* 15 */
		{ "04HM-ASW9-NF6Y-ZZPWX", NULL },		/* 17 */
		{ "04HM-ASW9-NF6Y-ZZPU", NULL },		/* U: not Crockford */
		{ "04HM_ASW9_NF6Y_ZZPW", NULL },
		{ "04HM-ASW9-NF6Y-ZZP\xc3\xa9", NULL },
		{ "123456", NULL },				/* an e-mail code */
		{ "", NULL },
	};
	char	 out[RECOVERY_SYMBOLS + 1];
	size_t	 i;

	for (i = 0; i < nitems(v); i++) {
		int rc = recovery_normalize(out, v[i].in);

		CHECKF(rc == (v[i].norm != NULL ? 0 : -1), "normalize %s",
		    v[i].in);
		if (rc == 0 && v[i].norm != NULL)
			CHECK_STR(out, v[i].norm);
	}
}

static void
test_recovery_new(void)
{
	char	 a[RECOVERY_CODE_CHARS + 1], b[RECOVERY_CODE_CHARS + 1];
	char	 norm[RECOVERY_SYMBOLS + 1];
	size_t	 i, bad = 0;

	recovery_code_new(a);
	recovery_code_new(b);
	CHECK_INT(strlen(a), RECOVERY_CODE_CHARS);
	CHECK(strcmp(a, b) != 0);
	for (i = 0; i < RECOVERY_CODE_CHARS; i++)
		if ((i % 5 == 4) != (a[i] == '-'))
			bad++;
	CHECK_INT(bad, 0);
	CHECK_INT(recovery_normalize(norm, a), 0);
	/* At least 64 bits: 16 symbols of 5 bits. */
	CHECK(RECOVERY_SYMBOLS * 5 >= 64 && RECOVERY_BYTES * 8 >= 64);
}

/* Salted Argon2id, bound to the account (and to the server secret). */
static void
test_recovery_hash(void)
{
	struct subject	 a = { SIDE_STOREFRONT, 7 }, b = { SIDE_BACKEND, 7 };
	struct subject	 c = { SIDE_STOREFRONT, 8 };
	char		 h1[RECOVERY_HASH_CHARS], h2[RECOVERY_HASH_CHARS];

	CHECK_INT(recovery_hash(h1, sizeof(h1), &a, "04HMASW9NF6YZZPW"), 0);
	CHECK_INT(recovery_hash(h2, sizeof(h2), &a, "04HMASW9NF6YZZPW"), 0);
	CHECK(strncmp(h1, "$argon2id$v=19$m=256,t=2,p=1$", 29) == 0);
	CHECK(strcmp(h1, h2) != 0);			/* salted */
	CHECK(strstr(h1, "04HMASW9NF6YZZPW") == NULL);
	CHECK(recovery_verify(h1, &a, "04HMASW9NF6YZZPW"));
	CHECK(recovery_verify(h2, &a, "04HMASW9NF6YZZPW"));
	CHECK(!recovery_verify(h1, &a, "04HMASW9NF6YZZPX"));
	CHECK(!recovery_verify(h1, &b, "04HMASW9NF6YZZPW"));	/* other side */
	CHECK(!recovery_verify(h1, &c, "04HMASW9NF6YZZPW"));	/* other id */
	CHECK(!recovery_verify("", &a, "04HMASW9NF6YZZPW"));
	CHECK_INT(recovery_hash(h1, 64, &a, "04HMASW9NF6YZZPW"), -1);
}

static void
cleanup(void)
{
	char	 path[256];
	size_t	 i;

	for (i = 0; i < nmade; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, made[i]);
		(void)unlink(path);
	}
	if (rmdir(dir) == -1)
		perror(dir);
}

int
main(void)
{
	int	 rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_secret_file();
	test_token_new();
	test_keyed_hash();
	test_code_hash_long();
	config_defaults();
	test_password();
	test_password_params();
	test_ct_equal();
	test_uuid_v4();
	test_random();
	test_wipe();
	test_recovery_format();
	test_recovery_normalize();
	test_recovery_new();
	test_recovery_hash();
	rc = unit_done();
	cleanup();
	return rc;
}
