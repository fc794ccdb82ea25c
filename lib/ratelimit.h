#ifndef TEMPMAIL_RATELIMIT_H
#define TEMPMAIL_RATELIMIT_H

/*++
 * NAME
 *	ratelimit 3
 * SUMMARY
 *	hourly request windows shared through MariaDB
 * SYNOPSIS
 *	#include "ratelimit.h"
 *
 *	int	ratelimit_hit(DB *db, const char *subject, long limit, RATELIMIT *rl);
 *	int	ratelimit_hit_many(DB *db, const char *subject, long limit, size_t n,
 *			RATELIMIT *rl[]);
 *	int	ratelimit_peek(DB *db, const char *subject, long limit, RATELIMIT *rl);
 *	long long ratelimit_statements_sent(void);
 * DESCRIPTION
 *	A subject ("account:42", "ip:register:127.0.0.1") gets limit requests
 *	in each of its windows: an hour that begins at its first request after
 *	the last window ended (RATELIMIT_WINDOW), not at the clock's hour, so
 *	what a client may do never depends on the minute it starts at. The count
 *	lives in the rate_counters table, one row a subject, so every process on
 *	every host sees the same number; a window costs one upsert per request.
 *
 *	ratelimit_hit() counts one request and fills *rl: the limit, what is
 *	left after this request (never below 0), the Unix time the window ends,
 *	and whether this request went past the limit. The requests of one
 *	process that hit one subject at once share one upsert (see ratelimit.c),
 *	each still counted once with its own place in the count; so the calls
 *	of one subject wait for each other (never for a batch to fill).
 *	ratelimit_statements_sent() tells how many upserts this process sent
 *	(for tests). ratelimit_hit_many() counts n requests that its caller
 *	gathered itself with one upsert, each with its own place (rl[i] is the
 *	i-th). ratelimit_peek() fills *rl without counting (a subject with no
 *	open window: the whole limit, and a window that would begin now).
 * DIAGNOSTICS
 *	0, or DB_EFAIL when the database failed.
 *--*/

#include <stddef.h>
#include <time.h>

#include "db.h"

#define RATELIMIT_WINDOW 3600        /* seconds */

typedef struct ratelimit {
    long limit;
    long remaining;
    long reset;             /* Unix time the window ends */
    long used;
    int exceeded;
} RATELIMIT;

extern int ratelimit_hit(DB *db, const char *subject, long limit, RATELIMIT *rl);
extern int ratelimit_hit_many(DB *db, const char *subject, long limit, size_t n,
                              RATELIMIT *rl[]);
extern int ratelimit_peek(DB *db, const char *subject, long limit, RATELIMIT *rl);
extern long long ratelimit_statements_sent(void);

#endif
