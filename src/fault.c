/*
 * Fault points for tests of what a killed process leaves behind (README:
 * reliability).  In test builds, fault_point("name") kills the process
 * with SIGKILL when the file named by test_fault_file holds that name; the
 * first process to reach the point removes the file, so exactly one
 * process dies, at a step the test chose.  Other points do something
 * else there (db.c: "commit-answer-lost", "commit-pause", "down-after-commit",
 * "handover-pause", "result-fails").
 * In release builds a fault point does nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "glue.h"

/*
 * Test builds: 1 when test_fault_file names this point, and the file is
 * removed (only the first process to get here sees it).  Release builds:
 * always 0.
 */
int
fault_wanted(const char *name)
{
#ifdef GLUE_TESTING
	char	 want[64];
	FILE	*f;

	if (cfg.test_fault_file == NULL || cfg.test_fault_file[0] == '\0' ||
	    (f = fopen(cfg.test_fault_file, "r")) == NULL)
		return 0;
	if (fgets(want, sizeof(want), f) == NULL)
		want[0] = '\0';
	fclose(f);
	want[strcspn(want, " \t\r\n")] = '\0';
	return strcmp(want, name) == 0 && unlink(cfg.test_fault_file) == 0;
#else
	(void)name;
	return 0;
#endif
}

void
fault_point(const char *name)
{
	if (fault_wanted(name)) {
		log_err("fault point %s: killing the process (test build)",
		    name);
		raise(SIGKILL);
	}
}
