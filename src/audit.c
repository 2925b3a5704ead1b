/*
 * The audit trail (contract §5.4): one row per MFA decision and sign-in, with
 * the request id that also tags the log lines.  Never a code, token,
 * password or secret: callers pass only names, results and error codes.
 * The row of a decision is written inside the decision's transaction, so
 * the two commit together or not at all (contract §9.3); a row that cannot
 * be written fails that unit of work, and the caller answers by the
 * database-error path (503 110 or 500 111).
 */
#include <string.h>

#include "glue.h"

int
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
	    ua, r->id }) != 0) {
		log_err("audit: row for %s not written", action);
		return -1;
	}
	return 0;
}
