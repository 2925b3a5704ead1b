/*
 * The programs' clock: one clock for every decision (the database is
 * always given the time, never asked for NOW()).  Test builds add the
 * whole seconds found in the file named by test_clock_file, so tests can
 * let hours pass instantly.
 */
#include <stdio.h>
#include <time.h>

#include "glue.h"

time_t
clock_now(void)
{
	time_t	 now = time(NULL);
#ifdef GLUE_TESTING
	FILE	*f;
	long	 off = 0;

	if (cfg.test_clock_file != NULL && cfg.test_clock_file[0] != '\0' &&
	    (f = fopen(cfg.test_clock_file, "r")) != NULL) {
		if (fscanf(f, "%ld", &off) != 1)
			off = 0;
		fclose(f);
	}
	now += off;
#endif
	return now;
}
