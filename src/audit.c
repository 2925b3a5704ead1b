/*
 * The audit trail (SPEC §5.4): one row per MFA decision and sign-in, with
 * the request id that also tags the log lines.  Never a code, token,
 * password or secret: callers pass only names, results and error codes.
 * A row that cannot be written is logged; the answer does not change.
 */
#include <string.h>

#include "glue.h"

void
audit(struct req *r, enum side side, long long account, long long actor,
    const char *action, const char *method, enum err failure)
{
	char		 ua[4 * MAX_USER_AGENT + 1];
	struct dbv	 v[11];

	utf8_truncate(ua, sizeof(ua), r->user_agent != NULL ?
	    r->user_agent : "", MAX_USER_AGENT);
	v[0] = DBV_INT((long long)r->now);
	v[1] = DBV_INT(side);
	v[2] = account != 0 ? DBV_INT(account) : DBV_NULL;
	v[3] = actor != 0 ? DBV_INT(actor) : DBV_NULL;
	v[4] = DBV_TEXT(action);
	v[5] = DBV_OPT(method);
	v[6] = DBV_TEXT(failure == E_NONE ? "success" : "failure");
	v[7] = failure == E_NONE ? DBV_NULL : DBV_TEXT(jsonapi_code(failure));
	v[8] = DBV_TEXT(r->remote_addr);
	v[9] = DBV_TEXT(ua);
	v[10] = DBV_TEXT(r->id);
	if (db_exec(S_AUDIT_INSERT, v, 11) != 1)
		log_err("audit: row for %s not written", action);
}
