/*
 * tests/db/ratelimit — ratelimit_hit() from many threads of one process at once, against
 * the stack's MariaDB: concurrent requests of one subject share upserts, and each is
 * still counted once.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. THREADS threads, each with its own connection (as a route process's
 * request threads have), each count HITS requests, half of them of subject A and half
 * of subject B, interleaved:
 *
 *   1. the counts each subject's callers were given are 1 .. THREADS*HITS/2, each once
 *      (no request counted twice, none lost, every X-RateLimit-Remaining distinct);
 *   2. the database's counter of each subject holds the same total;
 *   3. at most half as many upserts as requests went out (the process's own count, and
 *      the sessions' Com_insert): requests that came together shared one (about one
 *      upsert in five requests here; one each, and the check fails, without sharing);
 *   4. a request past the limit is told so, and the ones before it are not;
 *   5. while another transaction holds subject A's row, BLOCKED threads (each with a lock
 *      wait of a second) all fail, and each connection tells the lock wait as its reason,
 *      also those whose upsert another thread sent for them.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "dbtest.h"
#include "ratelimit.h"
#include "store.h"

#define THREADS 16
#define HITS    100                     /* a thread's requests, half A and half B */
#define TOTAL   (THREADS * HITS / 2)    /* each subject's */
#define LIMIT   (TOTAL - 5)

static char subject[2][64];
static long long counted[2][TOTAL + 1];  /* how often each count was handed out */
static int exceeded_wrong, failed;
static long long com_insert;
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;

static void *hitter(void *arg)
{
    (void)arg;
    DB *db = dbtest_open();
    long long before = dbtest_session_status(db, "COM_INSERT");

    for (int i = 0; i < HITS; i++) {
        int s = i % 2;
        RATELIMIT rl;
        if (ratelimit_hit(db, subject[s], LIMIT, &rl) != 0) {
            pthread_mutex_lock(&tally);
            failed++;
            pthread_mutex_unlock(&tally);
            continue;
        }
        pthread_mutex_lock(&tally);
        if (rl.used >= 1 && rl.used <= TOTAL)
            counted[s][rl.used]++;
        if (rl.exceeded != (rl.used > LIMIT) || rl.remaining != (rl.used >= LIMIT ? 0 : LIMIT - rl.used))
            exceeded_wrong++;
        pthread_mutex_unlock(&tally);
    }
    long long after = dbtest_session_status(db, "COM_INSERT");
    pthread_mutex_lock(&tally);
    com_insert += after - before;
    pthread_mutex_unlock(&tally);
    db_close(db);
    return NULL;
}

#define BLOCKED 4

static int blocked_hit(DB *db, long i)
{
    RATELIMIT rl;
    (void)i;
    return ratelimit_hit(db, subject[0], LIMIT, &rl);
}

int main(void)
{
    dbtest_setup("ratelimit");
    DB *db = dbtest_open();
    for (int s = 0; s < 2; s++)
        snprintf(subject[s], sizeof(subject[s]), "db-test:%c:%ld:%ld", 'A' + s, (long)getpid(),
                 (long)time(NULL));

    /* The subjects are new: their windows begin with this run, whatever the hour. */
    dbtest_threads(THREADS, hitter);

    long long sent = ratelimit_statements_sent();
    printf("# %d requests, %lld upserts sent (Com_insert %lld), %d failed\n", 2 * TOTAL, sent,
           com_insert, failed);
    check(failed == 0, "every request counted without a database error");
    for (int s = 0; s < 2; s++) {
        int once = 1;
        for (int n = 1; n <= TOTAL; n++)
            if (counted[s][n] != 1) {
                printf("# subject %c: count %d handed out %lld times\n", 'A' + s, n, counted[s][n]);
                once = 0;
                break;
            }
        check(once, s == 0 ? "1: subject A's requests got 1 .. N, each once"
                           : "1: subject B's requests got 1 .. N, each once");
        RATELIMIT stored = { 0 };
        ratelimit_peek(db, subject[s], LIMIT, &stored);
        printf("# subject %c: the database counts %ld\n", 'A' + s, stored.used);
        check(stored.used == TOTAL, s == 0 ? "2: the database counts A's requests"
                                           : "2: the database counts B's requests");
    }
    check(sent <= TOTAL && com_insert == sent, "3: at most half as many upserts as requests");
    check(exceeded_wrong == 0, "4: past the limit is told, and only there");

    /* 5 */
    int blocked_failed, blocked_told;
    dbtest_blocked(db, "SELECT hits FROM rate_counters WHERE subject = ? FOR UPDATE", subject[0],
                   BLOCKED, blocked_hit, &blocked_failed, &blocked_told);
    printf("# 5: %d of %d failed, %d telling the lock wait\n", blocked_failed, BLOCKED,
           blocked_told);
    check(blocked_failed == BLOCKED && blocked_told == BLOCKED,
          "5: each blocked request fails with the lock wait as its own connection's reason");

    for (int s = 0; s < 2; s++) {
        long long gone;
        store_rate_clear(db, subject[s], &gone);
    }
    db_close(db);
    return failures ? 1 : 0;
}
