/*
 * tests/db/dbtest.h - what the programs of tests/db share: their checks, and one number
 * from a query. Each program is one file, so this header defines, not declares.
 */
#ifndef TEMPMAIL_DBTEST_H
#define TEMPMAIL_DBTEST_H

#include <stdio.h>

#include "db.h"

static int failures;                    /* main() returns failures ? 1 : 0 */

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

#endif
