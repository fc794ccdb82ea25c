/*++
 * NAME
 *	group 3
 * SUMMARY
 *	group commit of captures (see group.h)
 * DESCRIPTION
 *	One mutex guards the queue (a FIFO of waiting captures), the count of
 *	captures on their way and the flag that a group is being gathered or
 *	stored. One condition variable wakes the waiters when a group is done,
 *	another wakes a gathering leader when a capture arrives or is given
 *	up. The leader stores outside the lock.
 *--*/

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "dbpool.h"
#include "group.h"

struct group_job {
    STORE_CAPTURE *capture;
    int rc;
    int done;
    size_t together;
    char *err;
    size_t errlen;
    struct group_job *next;
};

/* How long a leader waits for captures on their way: a few ms against an SMTP transaction. */
#define GROUP_GATHER_MS 5

static pthread_mutex_t group_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t group_stored = PTHREAD_COND_INITIALIZER;
static pthread_cond_t group_arrived;    /* on CLOCK_MONOTONIC: see group_init() */
static pthread_once_t group_once = PTHREAD_ONCE_INIT;
static struct group_job *group_head, *group_tail;
static size_t group_queued;             /* captures in the queue */
static size_t group_coming;             /* announced, neither queued nor given up */
static int group_busy;                  /* a leader is gathering or storing a group */

/* A timed wait that the wall clock being set cannot stretch. */
static void group_init(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&group_arrived, &attr);
    pthread_condattr_destroy(&attr);
}

void group_expect(void)
{
    pthread_mutex_lock(&group_lock);
    group_coming++;
    pthread_mutex_unlock(&group_lock);
}

/* One capture fewer on its way (lock held): it arrived or is not coming. Wake a gatherer. */
static void group_one_less_coming(void)
{
    if (group_coming > 0)
        group_coming--;
    pthread_cond_signal(&group_arrived);
}

void group_unexpect(void)
{
    pthread_once(&group_once, group_init);
    pthread_mutex_lock(&group_lock);
    group_one_less_coming();
    pthread_mutex_unlock(&group_lock);
}

/* Wait (lock held) until the group is full, nothing is on its way, or the time is up. */
static void group_gather(void)
{
    struct timespec deadline;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += GROUP_GATHER_MS * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (group_queued < STORE_GROUP_MAX && group_coming > 0)
        if (pthread_cond_timedwait(&group_arrived, &group_lock, &deadline) != 0)
            break;
}

/* Store the taken jobs with one connection and set each outcome (outside the lock). */
static void group_run(struct group_job **jobs, size_t n)
{
    char err[512];
    DB *db = dbpool_get(err, sizeof(err));
    STORE_CAPTURE *captures[STORE_GROUP_MAX];
    int rcs[STORE_GROUP_MAX];

    if (db == NULL) {
        for (size_t i = 0; i < n; i++) {
            jobs[i]->rc = -1;
            snprintf(jobs[i]->err, jobs[i]->errlen, "no database connection: %s", err);
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        captures[i] = jobs[i]->capture;
    store_capture_group(db, captures, n, rcs);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        jobs[i]->rc = rcs[i] == 0 ? 0 : -1;
        jobs[i]->together = n;
        if (rcs[i] != 0) {
            failed = 1;
            snprintf(jobs[i]->err, jobs[i]->errlen, "storing the message failed: %s",
                     store_capture_why(captures[i]));
        }
    }
    dbpool_put(db, failed);
}

int group_store(STORE_CAPTURE *capture, char *err, size_t errlen, size_t *together)
{
    struct group_job self = { .capture = capture, .err = err, .errlen = errlen };

    pthread_once(&group_once, group_init);
    pthread_mutex_lock(&group_lock);
    if (group_tail != NULL)
        group_tail->next = &self;
    else
        group_head = &self;
    group_tail = &self;
    group_queued++;
    group_one_less_coming();
    while (!self.done) {
        if (group_busy) {
            pthread_cond_wait(&group_stored, &group_lock);
            continue;
        }
        /* Lead: gather, take the oldest queued captures, store them, hand out the outcomes. */
        group_busy = 1;
        group_gather();
        struct group_job *jobs[STORE_GROUP_MAX];
        size_t n = 0;
        while (group_head != NULL && n < STORE_GROUP_MAX) {
            jobs[n++] = group_head;
            group_head = group_head->next;
        }
        if (group_head == NULL)
            group_tail = NULL;
        group_queued -= n;
        pthread_mutex_unlock(&group_lock);
        group_run(jobs, n);
        pthread_mutex_lock(&group_lock);
        for (size_t i = 0; i < n; i++)
            jobs[i]->done = 1;
        group_busy = 0;
        pthread_cond_broadcast(&group_stored);
    }
    pthread_mutex_unlock(&group_lock);
    *together = self.together;
    return self.rc;
}
