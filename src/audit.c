/*
 * The audit trail (contract §5.4): one row per MFA decision and sign-in, with
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

	utf8_truncate(ua, sizeof(ua), r->user_agent != NULL ?
	    r->user_agent : "", MAX_USER_AGENT);
	if (db_audit_insert(&(struct audit_entry){ (long long)r->now, side,
	    account, actor, action, method,
	    failure == E_NONE ? "success" : "failure",
	    failure == E_NONE ? NULL : jsonapi_code(failure), r->remote_addr,
	    ua, r->id }) != 0)
		log_err("audit: row for %s not written", action);
}
