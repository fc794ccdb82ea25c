/*++
 * NAME
 *	ratelimit 3
 * SUMMARY
 *	hourly request windows shared through MariaDB (see ratelimit.h)
 *--*/

#include <pthread.h>
#include <stdio.h>
#include <string.h>

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

/*
 * Requests of one process that count against the same subject at the same time share
 * one upsert: one of them (the leader) adds them all, n at once, and each gets its own
 * place in the count (total - n + 1 + its index), so every request is still counted
 * once and the X-RateLimit-Remaining of concurrent requests stay distinct. Nobody is
 * delayed to make a batch: a batch forms only while an earlier one of the same subject
 * is on its way to the database, and one would wait for that row's lock anyway. Without
 * this, 32 connections of one key spent MariaDB 172 us a request on that one row
 * (one commit each, and its lock handed from one to the next): make bench, issue 9.
 */
#define RATELIMIT_BATCHES   64              /* at most this many batches at once */
#define RATELIMIT_SUBJECT   128

struct ratelimit_batch {
    int used;                               /* the slot holds a batch */
    int sent;                               /* its statement went out: nobody joins now */
    int done;                               /* its result is in */
    char subject[RATELIMIT_SUBJECT];
    long reset;                             /* its window */
    long long count;                        /* requests in it */
    long long unread;                       /* members yet to read the result */
    int rc;
    long long total;                        /* the window's hits after this batch */
    pthread_cond_t cond;                    /* done, or an earlier batch of the subject done */
};

static pthread_mutex_t ratelimit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ratelimit_once = PTHREAD_ONCE_INIT;
static struct ratelimit_batch ratelimit_batches[RATELIMIT_BATCHES];
static long long ratelimit_statements;

static void ratelimit_init(void)
{
    for (int i = 0; i < RATELIMIT_BATCHES; i++)
        pthread_cond_init(&ratelimit_batches[i].cond, NULL);
}

/* The batch of subject whose statement is out, or NULL. */
static struct ratelimit_batch *ratelimit_in_flight(const char *subject)
{
    for (int i = 0; i < RATELIMIT_BATCHES; i++) {
        struct ratelimit_batch *b = &ratelimit_batches[i];
        if (b->used && b->sent && !b->done && strcmp(b->subject, subject) == 0)
            return b;
    }
    return NULL;
}

/* The batch of subject and window that still takes members, or NULL. */
static struct ratelimit_batch *ratelimit_open(const char *subject, long reset)
{
    for (int i = 0; i < RATELIMIT_BATCHES; i++) {
        struct ratelimit_batch *b = &ratelimit_batches[i];
        if (b->used && !b->sent && b->reset == reset && strcmp(b->subject, subject) == 0)
            return b;
    }
    return NULL;
}

static struct ratelimit_batch *ratelimit_free_slot(void)
{
    for (int i = 0; i < RATELIMIT_BATCHES; i++)
        if (!ratelimit_batches[i].used)
            return &ratelimit_batches[i];
    return NULL;
}

/* One upsert of n hits, counted for ratelimit_statements_sent(). */
static int ratelimit_send(DB *db, const char *subject, const char *start, long long n,
                          long long *hits)
{
    __atomic_add_fetch(&ratelimit_statements, 1, __ATOMIC_RELAXED);
    return store_rate_hit(db, subject, start, n, hits);
}

/* A member's result: its own count, or the batch's failure. Call with the lock held. */
static int ratelimit_take(struct ratelimit_batch *b, long long index, long long *hits)
{
    int rc = b->rc;

    *hits = b->total - b->count + 1 + index;
    if (--b->unread == 0)
        b->used = 0;
    return rc;
}

/* Count one request of subject in the window starting at start, sharing a statement. */
static int ratelimit_count(DB *db, const char *subject, const char *start, long reset,
                           long long *hits)
{
    struct ratelimit_batch *b, *earlier;
    long long index;
    int rc;

    if (strlen(subject) >= RATELIMIT_SUBJECT)
        return ratelimit_send(db, subject, start, 1, hits);
    pthread_once(&ratelimit_once, ratelimit_init);
    pthread_mutex_lock(&ratelimit_lock);
    if ((b = ratelimit_open(subject, reset)) != NULL) {
        /* A leader is gathering: it counts us too. */
        index = b->count++;
        b->unread++;
        while (!b->done)
            pthread_cond_wait(&b->cond, &ratelimit_lock);
        rc = ratelimit_take(b, index, hits);
        pthread_mutex_unlock(&ratelimit_lock);
        return rc;
    }
    if ((b = ratelimit_free_slot()) == NULL) {
        pthread_mutex_unlock(&ratelimit_lock);
        return ratelimit_send(db, subject, start, 1, hits);
    }
    b->used = 1;
    b->sent = b->done = 0;
    snprintf(b->subject, sizeof(b->subject), "%s", subject);
    b->reset = reset;
    b->count = b->unread = 1;
    /* We lead. While the subject's previous batch is out, others join ours. */
    while ((earlier = ratelimit_in_flight(subject)) != NULL)
        pthread_cond_wait(&earlier->cond, &ratelimit_lock);
    b->sent = 1;
    long long n = b->count;
    pthread_mutex_unlock(&ratelimit_lock);

    long long total = 0;
    rc = ratelimit_send(db, subject, start, n, &total);

    pthread_mutex_lock(&ratelimit_lock);
    b->rc = rc;
    b->total = total;
    b->done = 1;
    pthread_cond_broadcast(&b->cond);
    rc = ratelimit_take(b, 0, hits);
    pthread_mutex_unlock(&ratelimit_lock);
    return rc;
}

long long ratelimit_statements_sent(void)
{
    return __atomic_load_n(&ratelimit_statements, __ATOMIC_RELAXED);
}

int ratelimit_hit(DB *db, const char *subject, long limit, RATELIMIT *rl)
{
    char start[32];
    long reset;
    long long hits;

    ratelimit_window(time(NULL), start, sizeof(start), &reset);
    if (ratelimit_count(db, subject, start, reset, &hits) != 0)
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
