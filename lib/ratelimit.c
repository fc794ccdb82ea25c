/*++
 * NAME
 *	ratelimit 3
 * SUMMARY
 *	hourly request windows shared through MariaDB (see ratelimit.h)
 *--*/

#include <stdio.h>

#include "ratelimit.h"
#include "store.h"

#define RATELIMIT_WINDOW 3600

void ratelimit_window(time_t now, char *sql_start, size_t len, long *reset)
{
    time_t start = now - now % RATELIMIT_WINDOW;
    struct tm tm;

    gmtime_r(&start, &tm);
    strftime(sql_start, len, "%Y-%m-%d %H:%M:%S", &tm);
    *reset = (long)(start + RATELIMIT_WINDOW);
}

static void ratelimit_fill(RATELIMIT *rl, long limit, long long hits, long reset)
{
    rl->limit = limit;
    rl->used = (long)hits;
    rl->remaining = hits >= limit ? 0 : (long)(limit - hits);
    rl->reset = reset;
    rl->exceeded = hits > limit;
}

int ratelimit_hit(DB *db, const char *subject, long limit, RATELIMIT *rl)
{
    char start[32];
    long reset;
    long long hits;

    ratelimit_window(time(NULL), start, sizeof(start), &reset);
    if (store_rate_hit(db, subject, start, &hits) != 0)
        return DB_EFAIL;
    ratelimit_fill(rl, limit, hits, reset);
    return 0;
}

int ratelimit_peek(DB *db, const char *subject, long limit, RATELIMIT *rl)
{
    char start[32];
    long reset;
    long long hits;

    ratelimit_window(time(NULL), start, sizeof(start), &reset);
    if (store_rate_peek(db, subject, start, &hits) != 0)
        return DB_EFAIL;
    ratelimit_fill(rl, limit, hits, reset);
    return 0;
}
