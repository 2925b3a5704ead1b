/*
 * verify's body for method webauthn (contract §12.2, src/method_webauthn.c's
 * enrolment_read through webauthn_body_check()): the input as the
 * attributes object.  Checked: accepted only when an independent reading
 * finds credential {type "public-key", id, response {clientDataJSON,
 * attestationObject}}, each a non-empty string that decodes as base64url
 * within its bound, and a name that is absent, null or a string of at most
 * WA_NAME_MAX characters; a name of another JSON type is 901, never
 * accepted.
 */
#include "fuzz.h"
#include "webauthn.h"

static int
b64_ok(const cJSON *o, const char *name, size_t max)
{
	const cJSON	*m = cJSON_GetObjectItemCaseSensitive(o, name);
	unsigned char	*buf;
	size_t		 n = 0;
	int		 ok;

	if (!cJSON_IsString(m) || m->valuestring[0] == '\0')
		return 0;
	buf = xmalloc(max);
	ok = wa_b64url_decode(buf, max, &n, m->valuestring,
	    strlen(m->valuestring)) == 0 && n <= max;
	free(buf);
	return ok;
}

static int
shape_ok(const cJSON *a)
{
	const cJSON	*cr = cJSON_GetObjectItemCaseSensitive(a, "credential");
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(cr, "type");
	const cJSON	*resp = cJSON_GetObjectItemCaseSensitive(cr, "response");

	return cJSON_IsObject(cr) && cJSON_IsString(t) &&
	    strcmp(t->valuestring, "public-key") == 0 && cJSON_IsObject(resp) &&
	    b64_ok(cr, "id", WA_CRED_ID_MAX) &&
	    b64_ok(resp, "clientDataJSON", WA_CLIENT_DATA_MAX) &&
	    b64_ok(resp, "attestationObject", WA_ATT_OBJ_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON		*doc = cJSON_ParseWithLength((const char *)data, size);
	const cJSON	*nm = cJSON_GetObjectItemCaseSensitive(doc, "name");
	enum err	 e = webauthn_body_check(doc);

	FUZZ_CHECK(e == E_NONE || e == E_WA_MALFORMED || e == E_INVALID_FIELD);
	if (nm != NULL && !cJSON_IsNull(nm) && !cJSON_IsString(nm))
		FUZZ_CHECK(e == E_INVALID_FIELD);
	if (e == E_NONE) {
		FUZZ_CHECK(shape_ok(doc));
		FUZZ_CHECK(nm == NULL || cJSON_IsNull(nm) ||
		    utf8_chars(nm->valuestring) <= WA_NAME_MAX);
	}
	if (e == E_WA_MALFORMED)
		FUZZ_CHECK(!shape_ok(doc));
	cJSON_Delete(doc);
	return 0;
}
