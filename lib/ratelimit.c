/*++
 * NAME
 *	ratelimit 3
 * SUMMARY
 *	hourly request windows shared through MariaDB (see ratelimit.h)
 *--*/

#include <stdio.h>

#include "batch.h"
#include "ratelimit.h"
#include "store.h"

/* now as SQL text in UTC (the connection's time zone, db.c). */
static void ratelimit_now(time_t now, char *sql_now, size_t len)
{
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(sql_now, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void ratelimit_fill(RATELIMIT *rl, long limit, long long hits, long reset)
{
    rl->limit = limit;
    rl->used = (long)hits;
    rl->remaining = hits >= limit ? 0 : (long)(limit - hits);
    rl->reset = reset;
    rl->exceeded = hits > limit;
}

/*
 * Requests of one process that count against the same subject at the same time share
 * one upsert (batch(3)): the leader adds them all, n at once, and each gets its own
 * place in the count (total - n + 1 + its index), so every request is still counted
 * once and the X-RateLimit-Remaining of concurrent requests stay distinct. Without
 * this, 32 connections of one key spent MariaDB 172 us a request on that one row
 * (one commit each, and its lock handed from one to the next): make bench, issue 9.
 */
struct ratelimit_request {
    DB *db;                                 /* the request's own connection */
    const char *subject;
    long limit;
    RATELIMIT rl;                           /* its place in the count */
    int rc;
};

static BATCH_TABLE ratelimit_batches = BATCH_TABLE_INIT;

static void ratelimit_run(void *db, void **args, size_t n)
{
    const struct ratelimit_request *first = args[0];
    RATELIMIT *rl[BATCH_MAX];

    for (size_t i = 0; i < n; i++)
        rl[i] = &((struct ratelimit_request *)args[i])->rl;
    int rc = ratelimit_hit_many(db, first->subject, first->limit, n, rl);
    for (size_t i = 0; i < n; i++) {
        struct ratelimit_request *r = args[i];
        r->rc = rc;
        if (rc != 0)
            db_take_error(r->db, db);
    }
}

int ratelimit_hit_many(DB *db, const char *subject, long limit, size_t n, RATELIMIT *rl[])
{
    char now[32];
    time_t t = time(NULL);
    long age = 0;
    long long total = 0;

    ratelimit_now(t, now, sizeof(now));
    if (store_rate_hit(db, subject, now, RATELIMIT_WINDOW, (long long)n, &total, &age) != 0)
        return DB_EFAIL;
    for (size_t i = 0; i < n; i++)
        ratelimit_fill(rl[i], limit, total - (long long)n + 1 + (long long)i,
                       (long)t - age + RATELIMIT_WINDOW);
    return 0;
}

long long ratelimit_statements_sent(void)
{
    return batch_runs(&ratelimit_batches);
}

int ratelimit_hit(DB *db, const char *subject, long limit, RATELIMIT *rl)
{
    struct ratelimit_request r = { db, subject, limit, { 0 }, DB_EFAIL };
    /* A key too long for a batch (the subject is longer than any we make) runs alone. */
    batch_run(&ratelimit_batches, subject, &r, ratelimit_run, db);
    if (r.rc != 0)
        return DB_EFAIL;
    *rl = r.rl;
    return 0;
}

int ratelimit_peek(DB *db, const char *subject, long limit, RATELIMIT *rl)
{
    char now[32];
    time_t t = time(NULL);
    long age;
    long long hits;

    ratelimit_now(t, now, sizeof(now));
    if (store_rate_peek(db, subject, now, RATELIMIT_WINDOW, &hits, &age) != 0)
        return DB_EFAIL;
    ratelimit_fill(rl, limit, hits, (long)t - age + RATELIMIT_WINDOW);
    return 0;
}
