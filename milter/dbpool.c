/*++
 * NAME
 *	dbpool 3
 * SUMMARY
 *	shared database connections for the milter (see dbpool.h)
 * DESCRIPTION
 *	A mutex guards a stack of idle connections and the count of open ones;
 *	a condition variable wakes a thread waiting for a connection to come
 *	back. Connections are opened outside the lock: a slow server must not
 *	stall the threads that only return a connection.
 *--*/

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dbpool.h"

/* How long a callback waits for a busy pool before it tempfails. */
#define DBPOOL_WAIT_SECONDS 10

static pthread_mutex_t dbpool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dbpool_returned = PTHREAD_COND_INITIALIZER;
static DB **dbpool_idle;            /* stack of idle connections */
static size_t dbpool_nidle;
static size_t dbpool_open;          /* idle and lent out */
static size_t dbpool_max = 1;

void dbpool_init(size_t max)
{
    pthread_mutex_lock(&dbpool_lock);
    dbpool_max = max > 0 ? max : 1;
    free(dbpool_idle);
    dbpool_idle = calloc(dbpool_max, sizeof(*dbpool_idle));
    dbpool_nidle = 0;
    pthread_mutex_unlock(&dbpool_lock);
}

DB *dbpool_get(char *err, size_t errlen)
{
    struct timespec deadline;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += DBPOOL_WAIT_SECONDS;

    pthread_mutex_lock(&dbpool_lock);
    for (;;) {
        if (dbpool_nidle > 0) {
            DB *db = dbpool_idle[--dbpool_nidle];
            pthread_mutex_unlock(&dbpool_lock);
            return db;
        }
        if (dbpool_open < dbpool_max && dbpool_idle != NULL) {
            dbpool_open++;              /* reserve the slot, then connect unlocked */
            pthread_mutex_unlock(&dbpool_lock);
            DB *db = db_open(err, errlen);
            if (db == NULL) {
                pthread_mutex_lock(&dbpool_lock);
                dbpool_open--;
                pthread_cond_signal(&dbpool_returned);
                pthread_mutex_unlock(&dbpool_lock);
            }
            return db;
        }
        if (dbpool_idle == NULL) {
            pthread_mutex_unlock(&dbpool_lock);
            snprintf(err, errlen, "connection pool: out of memory");
            return NULL;
        }
        int rc = pthread_cond_timedwait(&dbpool_returned, &dbpool_lock, &deadline);
        if (rc == ETIMEDOUT) {
            pthread_mutex_unlock(&dbpool_lock);
            snprintf(err, errlen, "all %zu database connections busy for %d s",
                     dbpool_max, DBPOOL_WAIT_SECONDS);
            return NULL;
        }
    }
}

void dbpool_put(DB *db, int failed)
{
    if (db == NULL)
        return;
    pthread_mutex_lock(&dbpool_lock);
    if (failed || dbpool_nidle >= dbpool_max || dbpool_idle == NULL) {
        dbpool_open--;
        pthread_mutex_unlock(&dbpool_lock);
        db_close(db);                   /* outside the lock: closing talks to the server */
        pthread_mutex_lock(&dbpool_lock);
    } else {
        dbpool_idle[dbpool_nidle++] = db;
    }
    pthread_cond_signal(&dbpool_returned);
    pthread_mutex_unlock(&dbpool_lock);
}

void dbpool_shutdown(void)
{
    pthread_mutex_lock(&dbpool_lock);
    while (dbpool_nidle > 0) {
        DB *db = dbpool_idle[--dbpool_nidle];
        dbpool_open--;
        db_close(db);
    }
    free(dbpool_idle);
    dbpool_idle = NULL;
    pthread_mutex_unlock(&dbpool_lock);
}
