/*
 * Method "totp" (contract §6): an authenticator app (RFC 6238: HMAC-SHA1,
 * 6 digits, 30 s).  Activation makes a secret of TOTP_SECRET_BYTES from
 * the CSPRNG, stores it sealed (crypto.c: secretbox under a key derived
 * from the server secret, bound to the account) and answers it once: in
 * base32, as an otpauth:// URI and as that URI's QR code in SVG.  The
 * secret is never logged and never in an error.
 *
 * Codes are checked by liboath within totp_window steps either side of
 * the account's clock offset (drift, the offset of its last success,
 * bounded by TOTP_MAX_DRIFT: RFC 6238 §6).  A code passes only for a step
 * later than the last accepted one, in one conditional UPDATE, so the same
 * code never passes twice, even in parallel.  A passed code is recorded
 * as a used code of the token, so that grace windows, failures, lockout,
 * audit and notifications stay the engine's (src/mfa.c).  Nothing is
 * sent: trigger answers 204.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <qrencode.h>

#include "glue.h"

#define MAX_URI		1024

/* ---- the wrapper of liboath (tests/unit/totp_test.c) -------------------- */

static int
oath_ready(void)
{
	static int	 done;

	if (!done && oath_init() == OATH_OK)
		done = 1;
	return done ? 0 : -1;
}

/* RFC 4226 HOTP of counter, TOTP_DIGITS digits. */
int
totp_hotp(const unsigned char *key, size_t len, unsigned long long counter,
    char out[TOTP_DIGITS + 1])
{
	if (oath_ready() != 0)
		return -1;
	return oath_hotp_generate((const char *)key, len, counter,
	    TOTP_DIGITS, 0, OATH_HOTP_DYNAMIC_TRUNCATION, out) == OATH_OK ?
	    0 : -1;
}

/* RFC 6238 TOTP at unix time t (T0 = 0, X = TOTP_STEP). */
int
totp_at(const unsigned char *key, size_t len, time_t t,
    char out[TOTP_DIGITS + 1])
{
	if (oath_ready() != 0)
		return -1;
	return oath_totp_generate((const char *)key, len, t, TOTP_STEP, 0,
	    TOTP_DIGITS, out) == OATH_OK ? 0 : -1;
}

/* RFC 4648 base32 (liboath's), upper case, no padding kept. */
int
totp_base32(char *out, size_t outsz, const unsigned char *key, size_t len)
{
	char	*b = NULL;
	size_t	 n = 0;
	int	 rc = -1;

	if (oath_ready() != 0 || oath_base32_encode((const char *)key, len,
	    &b, &n) != OATH_OK)
		return -1;
	while (n > 0 && b[n - 1] == '=')
		n--;
	if (n < outsz) {
		memcpy(out, b, n);
		out[n] = '\0';
		rc = 0;
	}
	wipe(b, n);
	free(b);
	return rc;
}

int
totp_unbase32(unsigned char *out, size_t *len, size_t outsz, const char *b32)
{
	char	*b = NULL;
	size_t	 n = 0;
	int	 rc = -1;

	if (oath_ready() != 0 || oath_base32_decode(b32, strlen(b32), &b,
	    &n) != OATH_OK)
		return -1;
	if (n <= outsz) {
		memcpy(out, b, n);
		*len = n;
		rc = 0;
	}
	wipe(b, n);
	free(b);
	return rc;
}

/* liboath's comparison hook: the candidate against the header, in
 * constant time (0: equal). */
static int
code_cmp(void *handle, const char *test_otp)
{
	const char	*code = handle;

	return strlen(code) == TOTP_DIGITS &&
	    ct_equal(code, test_otp, TOTP_DIGITS) ? 0 : 1;
}

static long
clamp_drift(long d)
{
	return d > TOTP_MAX_DRIFT ? TOTP_MAX_DRIFT :
	    d < -TOTP_MAX_DRIFT ? -TOTP_MAX_DRIFT : d;
}

/*
 * The rules of contract §6: code is the app's code for a step s with
 * |s - (now/TOTP_STEP + drift)| <= window and s > last_step.  Returns s,
 * the drift to remember in *new_drift (s - now/TOTP_STEP, bounded by
 * TOTP_MAX_DRIFT), or -1 when the code does not pass.
 */
long long
totp_match(const unsigned char *key, size_t len, const char *code,
    time_t now, long window, long drift, long long last_step,
    long *new_drift)
{
	uint64_t	 counter = 0;
	int		 pos = 0;
	long long	 s;

	drift = clamp_drift(drift);
	if (oath_ready() != 0 || window < 0 ||
	    now + (time_t)drift * TOTP_STEP < 0)
		return -1;
	/* liboath's step is (now - start_offset) / X: a negative offset
	 * moves the window's centre drift steps ahead. */
	if (oath_totp_validate3_callback((const char *)key, len, now,
	    TOTP_STEP, -(time_t)drift * TOTP_STEP, TOTP_DIGITS,
	    (size_t)window, &pos, &counter, code_cmp, (void *)code) < 0)
		return -1;
	s = (long long)counter;
	if (s <= last_step)
		return -1;
	*new_drift = clamp_drift((long)(s - (long long)now / TOTP_STEP));
	return s;
}

/* ---- the otpauth:// URI and its QR code ---------------------------------- */

/* Percent-encodes all but RFC 3986 unreserved characters (and keep). */
static int
pct(char *out, size_t outsz, const char *in, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		 n = 0;
	unsigned char	 ch;

	for (; *in != '\0'; in++) {
		ch = (unsigned char)*in;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL ||
		    (ch != '\0' && strchr(keep, ch) != NULL)) {
			if (n + 1 >= outsz)
				return -1;
			out[n++] = (char)ch;
		} else {
			if (n + 3 >= outsz)
				return -1;
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

/* otpauth://totp/ISSUER:LABEL?secret=...&issuer=...&algorithm=SHA1&... */
static int
otpauth_uri(char *out, size_t outsz, const char *b32, const char *label)
{
	char	 iss[256], lab[4 * 4 * MAX_EMAIL + 1];
	int	 n;

	if (pct(iss, sizeof(iss), cfg.totp_issuer, "") != 0 ||
	    pct(lab, sizeof(lab), label, "@") != 0)
		return -1;
	n = snprintf(out, outsz, "otpauth://totp/%s:%s?secret=%s&issuer=%s"
	    "&algorithm=SHA1&digits=%d&period=%d", iss, lab, b32, iss,
	    TOTP_DIGITS, TOTP_STEP);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* The QR code of text as an SVG document (dark runs as one path); the
 * caller frees it.  4 modules of quiet zone (ISO/IEC 18004). */
static char *
qr_svg(const char *text)
{
	QRcode	*q;
	char	*svg;
	size_t	 cap, n;
	int	 w, x, y, run, m;

	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) ==
	    NULL)
		return NULL;
	w = q->width;
	m = w + 8;
	cap = (size_t)w * (size_t)(w / 2 + 1) * 32 + 512;
	if ((svg = malloc(cap)) == NULL) {
		QRcode_free(q);
		return NULL;
	}
	n = (size_t)snprintf(svg, cap, "<svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path fill=\"#000\" d=\"", m, m, m * 4, m * 4, m,
	    m);
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x += run > 0 ? run : 1) {
			for (run = 0; x + run < w &&
			    (q->data[y * w + x + run] & 1); run++)
				;
			if (run > 0)
				n += (size_t)snprintf(svg + n, cap - n,
				    "M%d %dh%dv1h-%dz", x + 4, y + 4, run, run);
		}
	n += (size_t)snprintf(svg + n, cap - n, "\"/></svg>");
	QRcode_free(q);
	if (n >= cap) {
		free(svg);
		return NULL;
	}
	return svg;
}

/* ---- the hooks ---------------------------------------------------------- */

static int
well_formed(enum side side, const char *code)
{
	(void)side;		/* RFC 6238 codes: TOTP_DIGITS on both sides */
	return strlen(code) == TOTP_DIGITS &&
	    strspn(code, "0123456789") == TOTP_DIGITS;
}

/* What a sealed box is bound to: its account and method. */
static void
bind_of(char *out, size_t outsz, const struct subject *who)
{
	snprintf(out, outsz, "%d/%lld/totp", (int)who->side, who->id);
}

/*
 * A new secret (a pending totp's old one is replaced), committed, then
 * answered in c->answer.  The secret exists in clear only in this
 * function's buffers (wiped) and in the answer.
 */
static enum err
issue(struct mfa_ctx *c)
{
	unsigned char	 key[TOTP_SECRET_BYTES];
	char		 label[4 * MAX_EMAIL + 1], bind[64];
	char		 b32[TOTP_B32_MAX], uri[MAX_URI], *svg = NULL;
	struct totp_row	 t;
	enum err	 e = E_NONE;
	int		 rc;

	if ((rc = db_contact(&c->who, label, sizeof(label))) != 1)
		return rc == 0 ? (c->who.side == SIDE_BACKEND ?
		    E_USER_NOT_FOUND : E_CUSTOMER_NOT_FOUND) : jsonapi_db_err();
	memset(&t, 0, sizeof(t));
	random_bytes(key, sizeof(key));
	bind_of(bind, sizeof(bind), &c->who);
	t.boxlen = sizeof(key) + SEAL_MAC_BYTES;
	if (secret_seal(t.box, t.nonce, key, sizeof(key), bind) != 0 ||
	    totp_base32(b32, sizeof(b32), key, sizeof(key)) != 0 ||
	    otpauth_uri(uri, sizeof(uri), b32, label) != 0 ||
	    (svg = qr_svg(uri)) == NULL)
		e = E_INTERNAL;
	else if (db_mfa_totp_set(&c->who, &t, c->now) != 0 ||
	    db_commit() != 0)
		e = jsonapi_db_err();
	else {
		c->answer = cJSON_CreateObject();
		cJSON_AddStringToObject(c->answer, "type", "totp");
		cJSON_AddStringToObject(c->answer, "secret", b32);
		cJSON_AddStringToObject(c->answer, "uri", uri);
		cJSON_AddStringToObject(c->answer, "qrCodeSvg", svg);
	}
	wipe(key, sizeof(key));
	wipe(b32, sizeof(b32));
	wipe(uri, sizeof(uri));
	if (svg != NULL) {
		wipe(svg, strlen(svg));
		free(svg);
	}
	return e;
}

/*
 * 1: the code is the app's for an acceptable step, now the last accepted
 * one, and recorded as used by the token (its grace window); 0; -1.
 */
static int
check(struct mfa_ctx *c)
{
	unsigned char	 key[TOTP_BOX_MAX], h[HASH_BYTES];
	char		 bind[64];
	struct totp_row	 t;
	long long	 step, n, id;
	long		 drift = 0;
	int		 rc;

	if ((rc = db_mfa_totp_get(&c->who, &t)) <= 0)
		return rc;
	bind_of(bind, sizeof(bind), &c->who);
	if (secret_open(key, t.box, t.boxlen, t.nonce, bind) != 0) {
		log_err("account %lld: the TOTP secret does not open "
		    "(another secret_key_file?)", c->who.id);
		return -1;
	}
	step = totp_match(key, t.boxlen - SEAL_MAC_BYTES, c->code, c->now,
	    limits_of(c->who.side)->totp_window, t.drift, t.last_step, &drift);
	wipe(key, sizeof(key));
	if (step < 0)
		return 0;
	if ((n = db_mfa_totp_step(&c->who, step, drift)) != 1)
		return n == 0 ? 0 : -1;
	if (c->token == NULL || limits_of(c->who.side)->grace_period == 0)
		return 1;
	id = (long long)(random_u64() >> 1);
	code_hash(h, &c->who, c->type, id, c->code);
	return db_mfa_code_insert_used(&c->who, id, c->type, h, c->now,
	    c->token, c->now + limits_of(c->who.side)->grace_period) == 0 ? 1 : -1;
}

/* Switched off: the secret destroyed, grace windows closed. */
static int
end(struct mfa_ctx *c)
{
	return db_mfa_totp_delete(&c->who) == 0 &&
	    db_mfa_codes_end(&c->who, c->type) == 0 ? 0 : -1;
}

const struct mfa_method method_totp = {
	.name = "totp",
	.well_formed = well_formed,
	.limit = NULL,
	.issue = issue,
	.trigger = NULL,
	.check = check,
	.end = end,
};
