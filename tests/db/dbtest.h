/*
 * tests/db/dbtest.h - what the programs of tests/db share: their start (configuration and
 * connection, exit 2 without them or after a failed setup), their checks, one number
 * from a query, a session status counter and threads run at once. Each program is one file, so this header
 * defines, not declares.
 */
#ifndef TEMPMAIL_DBTEST_H
#define TEMPMAIL_DBTEST_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
