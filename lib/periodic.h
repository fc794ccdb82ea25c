#ifndef TEMPMAIL_PERIODIC_H
#define TEMPMAIL_PERIODIC_H

/*++
 * NAME
 *	periodic 3
 * SUMMARY
 *	jobs that run at start, then every so often
 * SYNOPSIS
 *	#include "periodic.h"
 *
 *	PERIODIC job = PERIODIC_NEVER;
 *
 *	int	periodic_due(const PERIODIC *job, long long now_ms, long long every_ms);
 *	void	periodic_done(PERIODIC *job, long long now_ms);
 *	void	periodic_forget(PERIODIC *job);
 * DESCRIPTION
 *	A job that has never run is due whatever the clock says: the monotonic
 *	clock counts from boot, so a "last run at 0" read as "just run" for the
 *	first interval after a host booted, and a job documented to run at its
 *	program's start waited for the host to have been up that long.
 *
 *	periodic_due() is 1 when the job never ran, or when every_ms or more
 *	have passed since periodic_done() last recorded a run at now_ms (both on
 *	monotime(3)'s clock). periodic_forget() makes the job due again at once.
 *--*/

typedef struct periodic {
    int ran;                    /* 0: never, so due */
    long long at_ms;            /* when it last ran, if it ran */
} PERIODIC;

#define PERIODIC_NEVER { 0, 0 }

extern int periodic_due(const PERIODIC *job, long long now_ms, long long every_ms);
extern void periodic_done(PERIODIC *job, long long now_ms);
extern void periodic_forget(PERIODIC *job);

#endif
