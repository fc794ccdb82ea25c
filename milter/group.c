/*++
 * NAME
 *	group 3
 * SUMMARY
 *	group commit of captures (see group.h)
 * DESCRIPTION
 *	One mutex guards the queue (a FIFO of waiting captures) and the flag
 *	that a group is being stored; one condition variable wakes the waiters
 *	when a group is done. The leader stores outside the lock.
 *--*/

#include <pthread.h>
#include <stdio.h>

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

static pthread_mutex_t group_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t group_stored = PTHREAD_COND_INITIALIZER;
static struct group_job *group_head, *group_tail;
static int group_busy;                  /* a leader is storing a group */

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
                     db_error(db));
        }
    }
    dbpool_put(db, failed);
}

int group_store(STORE_CAPTURE *capture, char *err, size_t errlen, size_t *together)
{
    struct group_job self = { .capture = capture, .err = err, .errlen = errlen };

    pthread_mutex_lock(&group_lock);
    if (group_tail != NULL)
        group_tail->next = &self;
    else
        group_head = &self;
    group_tail = &self;
    while (!self.done) {
        if (group_busy) {
            pthread_cond_wait(&group_stored, &group_lock);
            continue;
        }
        /* Lead: take the oldest queued captures, store them, hand out the outcomes. */
        struct group_job *jobs[STORE_GROUP_MAX];
        size_t n = 0;
        while (group_head != NULL && n < STORE_GROUP_MAX) {
            jobs[n++] = group_head;
            group_head = group_head->next;
        }
        if (group_head == NULL)
            group_tail = NULL;
        group_busy = 1;
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
