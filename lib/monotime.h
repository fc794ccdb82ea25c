#ifndef TEMPMAIL_MONOTIME_H
#define TEMPMAIL_MONOTIME_H

/*++
 * NAME
 *	monotime 3
 * SUMMARY
 *	milliseconds on the monotonic clock
 * SYNOPSIS
 *	#include "monotime.h"
 *
 *	long long monotime_ms(void);
 * DESCRIPTION
 *	monotime_ms() reads CLOCK_MONOTONIC in milliseconds: for deadlines and
 *	elapsed times, which must not jump when the wall clock is set. It counts
 *	from the host's boot, so it is small on a host booted minutes ago: never
 *	take 0 for "never" (periodic(3) is for jobs that run at start).
 * ENVIRONMENT
 *	TEMPMAIL_MONOTIME_FROM_START
 *		when set to 1, the clock counts from the first call in the
 *		process instead, as on a host that has just booted, whatever
 *		this one's uptime: the tests' way to show that a program does
 *		not depend on the host's uptime.
 *--*/

extern long long monotime_ms(void);

#endif
