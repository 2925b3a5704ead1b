/*
 * The JSON:API 404 for paths no program serves (README: deployment).  The
 * web server sends here what it has no file or program for when the
 * client's Accept admits JSON (application/vnd.api+json, application/json,
 * a JSON wildcard); browsers keep the server's own HTML 404.  The table
 * below matches no path (an empty pattern has no segment to match), so
 * every request meets the front line's first step, the route, and is
 * answered 404 with a fresh X-Request-Id: the same answer, byte for byte,
 * as any program's unknown path.
 */
#include "glue.h"

static const struct route routes[] = {
	{ .pattern = "" },
};

GLUE_MAIN("not-found", routes)
