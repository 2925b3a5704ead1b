/*
 * The only file that includes <sodium.h>.  Argon2id for passwords, the
 * CSPRNG for tokens, codes and ids, keyed BLAKE2b for everything stored
 * that must not be stored in clear, constant-time comparisons.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "glue.h"

static unsigned char	 secret[SECRET_BYTES];
/*
 * The hash an unknown account's sign-in is checked against, so that it
 * costs the Argon2id work of a wrong password (contract §3.1, §11.1):
 * the configured parameters with a random salt and a random digest,
 * written out rather than computed, so that making it costs nothing
 * (a plain CGI process would otherwise pay two hashes for such a
 * sign-in) and no password matches it.
 */
static char		 dummy_hash[crypto_pwhash_STRBYTES];

/* The secret file: 64 hex characters, optionally a newline.  A file others
 * may read is refused: the secret protects every stored token and code.
 * Group read is allowed (a web server's group), nothing more: the check
 * the configuration file gets too (private_open, config.c). */
int
secret_load(const char *path, char *err, size_t errsz)
{
	char		 hex[2 * SECRET_BYTES + 2];
	ssize_t		 n;
	size_t		 len;
	int		 fd;

	if ((fd = private_open("secret_key_file", path, err, errsz)) == -1)
		return -1;
	n = read(fd, hex, sizeof(hex));
	close(fd);
	len = n > 0 ? (size_t)n : 0;
	if (len > 0 && hex[len - 1] == '\n')
		len--;
	if (len != 2 * SECRET_BYTES || sodium_hex2bin(secret, sizeof(secret),
	    hex, len, NULL, NULL, NULL) != 0) {
		sodium_memzero(hex, sizeof(hex));
		snprintf(err, errsz, "secret_key_file: %s must hold %d hex "
		    "characters", path, 2 * SECRET_BYTES);
		return -1;
	}
	sodium_memzero(hex, sizeof(hex));
	return 0;
}

int
crypto_start(const char *keyfile, char *err, size_t errsz)
{
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium: initialisation failed");
		return -1;
	}
	return secret_load(keyfile, err, errsz);
}

/* Exactly 2*n hex characters into n bytes: 0, else -1. */
int
hex_decode(unsigned char *out, size_t n, const char *hex, size_t len)
{
	size_t	 got;

	if (len != 2 * n || sodium_hex2bin(out, n, hex, len, NULL, &got,
	    NULL) != 0 || got != n)
		return -1;
	return 0;
}

void
random_hex(char *out, size_t nbytes)
{
	unsigned char	 buf[64];

	if (nbytes > sizeof(buf))
		nbytes = sizeof(buf);
	randombytes_buf(buf, nbytes);
	sodium_bin2hex(out, 2 * nbytes + 1, buf, nbytes);
}

uint64_t
random_u64(void)
{
	uint64_t	 v;

	randombytes_buf(&v, sizeof(v));
	return v;
}

/* Uniform in [0, n), without modulo bias. */
uint32_t
random_uniform(uint32_t n)
{
	return randombytes_uniform(n);
}

void
token_new(char out[TOKEN_CHARS + 1])
{
	unsigned char	 buf[TOKEN_BYTES];

	randombytes_buf(buf, sizeof(buf));
	sodium_bin2base64(out, TOKEN_CHARS + 1, buf, sizeof(buf),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(buf, sizeof(buf));
}

/* Domain-separated: the same input hashed for two purposes never collides. */
void
keyed_hash(unsigned char out[HASH_BYTES], const char *domain,
    const void *in, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, secret, sizeof(secret), HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)domain,
	    strlen(domain) + 1);
	crypto_generichash_update(&st, in, len);
	crypto_generichash_final(&st, out, HASH_BYTES);
}

/* The configured Argon2id parameters (contract §11.1), in libsodium's
 * units: passes, and bytes of memory. */
static unsigned long long
pw_ops(void)
{
	return (unsigned long long)cfg.password_iterations;
}

static size_t
pw_mem(void)
{
	return (size_t)cfg.password_memory_kib * 1024;
}

int
password_hash(char *out, size_t outsz, const char *pw)
{
	if (outsz < crypto_pwhash_STRBYTES)
		return -1;
	return crypto_pwhash_str_alg(out, pw, strlen(pw), pw_ops(), pw_mem(),
	    crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

int
password_verify(const char *hash, const char *pw)
{
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

/*
 * Another algorithm (-1 from libsodium: not an Argon2id string) or other
 * parameters (1): the hash is made again at the next sign-in.
 */
int
password_needs_rehash(const char *hash)
{
	return crypto_pwhash_argon2id_str_needs_rehash(hash, pw_ops(),
	    pw_mem()) != 0;
}

/* The PHC string of Argon2id with the configured parameters, a random
 * 16-byte salt and a random 32-byte digest (what libsodium writes). */
static void
dummy_make(void)
{
	unsigned char	 salt[crypto_pwhash_SALTBYTES], digest[32];
	char		 salt64[sodium_base64_ENCODED_LEN(sizeof(salt),
			    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char		 digest64[sodium_base64_ENCODED_LEN(sizeof(digest),
			    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	int		 n;

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(digest, sizeof(digest));
	sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_bin2base64(digest64, sizeof(digest64), digest, sizeof(digest),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	n = snprintf(dummy_hash, sizeof(dummy_hash),
	    "$argon2id$v=19$m=%ld,t=%ld,p=1$%s$%s", cfg.password_memory_kib,
	    cfg.password_iterations, salt64, digest64);
	if (n < 0 || (size_t)n >= sizeof(dummy_hash))
		dummy_hash[0] = '\0';
}

/* The hash password_burn() checks against, made when first needed and
 * again when the parameters changed (the unit tests read it). */
const char *
password_dummy(void)
{
	if (dummy_hash[0] == '\0' || password_needs_rehash(dummy_hash))
		dummy_make();
	return dummy_hash;
}

/* Spends the work of one verification for a login with no account. */
void
password_burn(const char *pw)
{
	const char	*h = password_dummy();

	if (h[0] != '\0')
		(void)password_verify(h, pw);
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

/* RFC 9562 version 4 UUID, lowercase. */
void
uuid_v4(char out[37])
{
	unsigned char	 b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * The stored form of an MFA code: keyed BLAKE2b bound to the account, the
 * method and the code's row id (contract §5.1), so a stored hash matches
 * nowhere else.
 */
void
code_hash(unsigned char out[HASH_BYTES], const struct subject *who,
    const char *type, long long id, const char *code)
{
	unsigned char	 d[HASH_BYTES];
	char		 buf[160], hex[2 * HASH_BYTES + 1];
	size_t		 i;
	int		 n;

	n = snprintf(buf, sizeof(buf), "%d/%lld/%s/%lld/%s", (int)who->side,
	    who->id, type, id, code);
	/* A code too long for buf (a passkey's assertion, contract §12.4)
	 * is hashed on its own first; a short one as it always was. */
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		keyed_hash(d, "mfa-code-long", code, strlen(code));
		for (i = 0; i < HASH_BYTES; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		n = snprintf(buf, sizeof(buf), "%d/%lld/%s/%lld/%s",
		    (int)who->side, who->id, type, id, hex);
		wipe(d, sizeof(d));
	}
	keyed_hash(out, "mfa-code", buf, n > 0 && (size_t)n < sizeof(buf) ?
	    (size_t)n : 0);
	wipe(buf, sizeof(buf));
}

void
random_bytes(void *out, size_t n)
{
	randombytes_buf(out, n);
}

/*
 * Secrets the server must read back (an authenticator app's key): sealed
 * with crypto_secretbox under a key derived from the server secret for
 * this purpose and bound to its owner (bind: e.g. "0/42/totp"), so a box
 * copied to another account's row does not open.  The key is wiped.
 */
static void
seal_key(unsigned char key[crypto_secretbox_KEYBYTES], const char *bind)
{
	keyed_hash(key, "mfa-secret-box", bind, strlen(bind));
}

_Static_assert(PASSWORD_HASH_CHARS >= crypto_pwhash_STRBYTES, "hash");
_Static_assert(SEAL_NONCE_BYTES == crypto_secretbox_NONCEBYTES, "nonce");
_Static_assert(SEAL_MAC_BYTES == crypto_secretbox_MACBYTES, "mac");
_Static_assert(HASH_BYTES == crypto_secretbox_KEYBYTES, "key");

/* box: len + SEAL_MAC_BYTES bytes; a fresh random nonce into nonce. */
int
secret_seal(unsigned char *box, unsigned char nonce[SEAL_NONCE_BYTES],
    const unsigned char *in, size_t len, const char *bind)
{
	unsigned char	 key[crypto_secretbox_KEYBYTES];
	int		 rc;

	seal_key(key, bind);
	randombytes_buf(nonce, SEAL_NONCE_BYTES);
	rc = crypto_secretbox_easy(box, in, len, nonce, key);
	sodium_memzero(key, sizeof(key));
	return rc == 0 ? 0 : -1;
}

/* out: boxlen - SEAL_MAC_BYTES bytes; -1 when the box does not open. */
int
secret_open(unsigned char *out, const unsigned char *box, size_t boxlen,
    const unsigned char nonce[SEAL_NONCE_BYTES], const char *bind)
{
	unsigned char	 key[crypto_secretbox_KEYBYTES];
	int		 rc;

	if (boxlen < SEAL_MAC_BYTES)
		return -1;
	seal_key(key, bind);
	rc = crypto_secretbox_open_easy(out, box, boxlen, nonce, key);
	sodium_memzero(key, sizeof(key));
	return rc == 0 ? 0 : -1;
}
/*
 * Recovery codes (contract §8): RECOVERY_BYTES random bytes (80 bits) as
 * Crockford base32, in groups of four.  Crockford's alphabet leaves out
 * I, L, O and U; reading forgives case, dashes, spaces and the look-alikes
 * (O for 0, I and L for 1).
 */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* b (RECOVERY_BYTES) as "XXXX-XXXX-XXXX-XXXX"; pure, for the tests. */
void
recovery_format(char out[RECOVERY_CODE_CHARS + 1],
    const unsigned char b[RECOVERY_BYTES])
{
	unsigned	 acc = 0, bits = 0;
	size_t		 i, n = 0, sym = 0;

	for (i = 0; i < RECOVERY_BYTES; i++) {
		acc = (acc << 8) | b[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			if (sym > 0 && sym % RECOVERY_GROUP == 0)
				out[n++] = '-';
			out[n++] = crockford[(acc >> bits) & 31];
			sym++;
		}
	}
	out[n] = '\0';
}

void
recovery_code_new(char out[RECOVERY_CODE_CHARS + 1])
{
	unsigned char	 b[RECOVERY_BYTES];

	randombytes_buf(b, sizeof(b));
	recovery_format(out, b);
	sodium_memzero(b, sizeof(b));
}

/*
 * A typed recovery code to its RECOVERY_SYMBOLS symbols (upper case, no
 * separators): 0, or -1 when it is not shaped like one.
 */
int
recovery_normalize(char out[RECOVERY_SYMBOLS + 1], const char *in)
{
	size_t	 n = 0;
	int	 c;

	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (n == RECOVERY_SYMBOLS || strchr(crockford, c) == NULL)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n == RECOVERY_SYMBOLS ? 0 : -1;
}

/* The keyed digest a recovery code's Argon2id hash is made of: bound to
 * the account, and useless without the server secret. */
static void
recovery_digest(unsigned char out[HASH_BYTES], const struct subject *who,
    const char *norm)
{
	char	 buf[80];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%d/%lld/%s", (int)who->side, who->id,
	    norm);
	keyed_hash(out, "mfa-recovery", buf, n > 0 ? (size_t)n : 0);
	sodium_memzero(buf, sizeof(buf));
}

/*
 * Salted Argon2id (crypto_pwhash_str) with small parameters: a check
 * tries every slot of a set (10), so one verification must stay below a
 * millisecond (README: recovery codes, measured).  The codes carry 80
 * random bits; the slow hash guards the set against a stolen database
 * together with the server secret.
 */
int
recovery_hash(char *out, size_t outsz, const struct subject *who,
    const char *norm)
{
	unsigned char	 d[HASH_BYTES];
	int		 rc;

	if (outsz < crypto_pwhash_STRBYTES)
		return -1;
	recovery_digest(d, who, norm);
	rc = crypto_pwhash_str_alg(out, (const char *)d, sizeof(d),
	    RECOVERY_OPSLIMIT, RECOVERY_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
	sodium_memzero(d, sizeof(d));
	return rc == 0 ? 0 : -1;
}

/* 1: norm is the code stored as hash; 0. */
int
recovery_verify(const char *hash, const struct subject *who, const char *norm)
{
	unsigned char	 d[HASH_BYTES];
	int		 rc;

	recovery_digest(d, who, norm);
	rc = crypto_pwhash_str_verify(hash, (const char *)d, sizeof(d));
	sodium_memzero(d, sizeof(d));
	return rc == 0;
}
