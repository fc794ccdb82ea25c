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
 *	elapsed times, which must not jump when the wall clock is set.
 *--*/

extern long long monotime_ms(void);

#endif
