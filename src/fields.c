/*
 * Declarative attribute rules: each program declares its accepted fields
 * once (name, JSON type, required, validator) and reads them here, in
 * declaration order; the first bad one answers.  Wrong JSON type: 400 with
 * a pointer (the document is malformed); missing or invalid value: 422 with
 * a pointer (the document is fine, the value is not).  Unknown attributes
 * are ignored, as Glue does.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"

int
fields_read(struct req *r, const struct field *f, size_t n, struct fval *out)
{
	const cJSON	*v;
	char		 ptr[128];
	size_t		 i;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++) {
		snprintf(ptr, sizeof(ptr), "/data/attributes/%s", f[i].name);
		v = cJSON_GetObjectItemCaseSensitive(r->attrs, f[i].name);
		if (v == NULL || cJSON_IsNull(v)) {
			if (!f[i].required)
				continue;
			jsonapi_error_src(r, f[i].required == REQ_MEMBER ?
			    E_MEMBER : E_INVALID_FIELD, SRC_POINTER, ptr);
			return -1;
		}
		if (f[i].type == F_BOOL) {
			if (!cJSON_IsBool(v)) {
				jsonapi_error_src(r, E_MEMBER, SRC_POINTER, ptr);
				return -1;
			}
			out[i].b = cJSON_IsTrue(v);
		} else {
			if (!cJSON_IsString(v)) {
				jsonapi_error_src(r, E_MEMBER, SRC_POINTER, ptr);
				return -1;
			}
			out[i].s = v->valuestring;
			if (f[i].check != NULL && !f[i].check(out[i].s)) {
				jsonapi_error_src(r, E_INVALID_FIELD,
				    SRC_POINTER, ptr);
				return -1;
			}
		}
		out[i].present = 1;
	}
	return 0;
}

int
fields_locale(struct req *r, struct fval *f, char buf[MAX_LOCALE + 1])
{
	if (f->s == NULL)
		return 0;
	if (locale_normalise(buf, f->s) != 0)
		return jsonapi_error(r, E_LOCALE_UNKNOWN), -1;
	f->s = buf;
	return 0;
}
