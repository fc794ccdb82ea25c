/*
 * tests/db/dbtest.h - what the programs of tests/db share: their start (configuration and
 * connection, exit 2 without them or after a failed setup), their checks, one number
 * from a query, a session status counter, threads run at once, and calls made while
 * another transaction holds their row. Each program is one file, so this header
 * defines, not declares.
 */
#ifndef TEMPMAIL_DBTEST_H
#define TEMPMAIL_DBTEST_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "log.h"

static int failures;                    /* main() returns failures ? 1 : 0 */
static const char *dbtest_program = "dbtest";

/* Log to stderr as program and load $TEMPMAIL_CONF (the stack's), or exit 2 saying why. */
static inline void dbtest_setup(const char *program)
{
    char err[512];
    const char *conf = getenv("TEMPMAIL_CONF");

    dbtest_program = program;
    log_open(program, 0);
    if (conf == NULL || config_load(conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: set TEMPMAIL_CONF to the stack's tempmail.conf%s%s\n", program,
                conf ? ": " : "", conf ? err : "");
        exit(2);
    }
}

/* A connection to the configured database, or exit 2 saying why. */
static inline DB *dbtest_open(void)
{
    char err[512];
    DB *db = db_open(err, sizeof(err));
    if (db == NULL) {
        fprintf(stderr, "%s: %s\n", dbtest_program, err);
        exit(2);
    }
    return db;
}

/* "ok - what" or "not ok - what", one a line; a failure is counted. */
static inline void check(int ok, const char *what)
{
    printf("%s - %s\n", ok ? "ok" : "not ok", what);
    if (!ok)
        failures++;
}

/* The first column of the one row sql gives for its one integer parameter, or -1. */
static inline long long dbtest_number(DB *db, const char *sql, long long arg)
{
    DB_RESULT *res;
    long long n = -1;
    if (db_query(db, &res, sql, "i", arg) == 0) {
        if (db_rows(res) == 1)
            n = db_get_ll(res, 0, 0);
        db_result_free(res);
    }
    return n;
}

/* Exit 2 after something the test could not set up, with the server's reason. */
static inline void dbtest_die(DB *db, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", dbtest_program, what, db ? db_error(db) : "");
    exit(2);
}

/* The value of this session's status variable name (upper case), or -1. */
static inline long long dbtest_session_status(DB *db, const char *name)
{
    DB_RESULT *res;
    long long n = -1;
    if (db_query(db, &res, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
                           " WHERE VARIABLE_NAME = ?", "s", name) == 0) {
        if (db_rows(res) == 1)
            n = db_get_ll(res, 0, 0);
        db_result_free(res);
    }
    return n;
}

/* Run fn in n threads at once (at most 64), each given its number, and wait for all. */
static inline void dbtest_threads(int n, void *(*fn)(void *))
{
    pthread_t t[64];

    if (n > 64)
        n = 64;
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i) != 0)
            dbtest_die(NULL, "pthread_create");
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* What dbtest_blocked() runs in each thread: one call on db, its outcome. */
typedef int (*DBTEST_CALL)(DB *db, long i);

static struct {
    DBTEST_CALL call;
    int failed, told;                   /* calls that failed; connections telling the lock wait */
    pthread_mutex_t lock;
} dbtest_blocked_calls = { NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER };

static inline void *dbtest_blocked_thread(void *arg)
{
    DB *db = dbtest_open();

    /* Row locks (InnoDB's wait) and table locks (the metadata lock's) both give up soon. */
    if (db_exec(db, "SET SESSION innodb_lock_wait_timeout = 1, lock_wait_timeout = 1", "") < 0)
        dbtest_die(db, "lock wait timeouts");
    int rc = dbtest_blocked_calls.call(db, (long)arg);
    pthread_mutex_lock(&dbtest_blocked_calls.lock);
    if (rc != 0)
        dbtest_blocked_calls.failed++;
    if (strstr(db_error(db), "Lock wait timeout") != NULL)
        dbtest_blocked_calls.told++;
    else
        printf("# a blocked call's connection says: \"%s\"\n", db_error(db));
    pthread_mutex_unlock(&dbtest_blocked_calls.lock);
    db_close(db);
    return NULL;
}

/*
 * While something else holds a lock they need, n threads each call call() once on a
 * connection of their own whose lock waits end after a second. *failed: how many calls
 * failed; *told: how many of their connections then tell the lock wait as their reason.
 */
static inline void dbtest_blocked_run(int n, DBTEST_CALL call, int *failed, int *told)
{
    dbtest_blocked_calls.call = call;
    dbtest_blocked_calls.failed = dbtest_blocked_calls.told = 0;
    dbtest_threads(n, dbtest_blocked_thread);
    *failed = dbtest_blocked_calls.failed;
    *told = dbtest_blocked_calls.told;
}

/* dbtest_blocked_run() while db holds the row lock_sql (SELECT ... FOR UPDATE, key) selects. */
static inline void dbtest_blocked(DB *db, const char *lock_sql, const char *key, int n,
                                  DBTEST_CALL call, int *failed, int *told)
{
    DB_RESULT *res = NULL;

    if (db_begin(db) != 0 || db_query(db, &res, lock_sql, "s", key) != 0 || db_rows(res) != 1)
        dbtest_die(db, "holding the row");
    db_result_free(res);
    dbtest_blocked_run(n, call, failed, told);
    db_rollback(db);
}

#endif
