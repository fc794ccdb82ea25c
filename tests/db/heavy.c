/*
 * tests/db/heavy — db_heavy() against the stack's MariaDB: a connection is heavy once it
 * has read a row of DB_HEAVY_ROW bytes or more, and only that connection. lib/api.c
 * closes a heavy connection instead of keeping it in its pool, because Connector/C keeps
 * a network buffer as large as the largest row read until the connection closes (make
 * bench shows messages.fcgi's memory after a 20 MB raw download).
 *
 *   1. a new connection is not heavy, nor after reading rows just under DB_HEAVY_ROW;
 *   2. after one row of DB_HEAVY_ROW bytes it is, and stays so after smaller reads;
 *   3. a second connection, which read only small rows meanwhile, is not.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. Exit 0 when every check passed, 1 otherwise.
 */

#include <stdio.h>

#include "db.h"
#include "dbtest.h"

/* The length of the one value of a row of n bytes read through db, or -1. */
static long long read_row(DB *db, long long n)
{
    DB_RESULT *res;
    long long len = -1;
    if (db_query(db, &res, "SELECT REPEAT('x', ?)", "i", n) == 0) {
        if (db_rows(res) == 1)
            len = (long long)db_len(res, 0, 0);
        db_result_free(res);
    }
    return len;
}

int main(void)
{
    dbtest_setup("tests/db/heavy");
    DB *db = dbtest_open(), *other = dbtest_open();

    check(!db_heavy(db), "1: a new connection is not heavy");
    check(read_row(db, 1000) == 1000 && read_row(db, DB_HEAVY_ROW - 1) == DB_HEAVY_ROW - 1,
          "1: rows of 1,000 and DB_HEAVY_ROW - 1 bytes read whole");
    check(!db_heavy(db), "1: nor after them");

    check(read_row(db, DB_HEAVY_ROW) == DB_HEAVY_ROW, "2: a row of DB_HEAVY_ROW bytes read whole");
    check(db_heavy(db), "2: then it is heavy");
    check(read_row(db, 10) == 10 && db_heavy(db), "2: and stays so after a small read");

    check(read_row(other, 1000) == 1000 && !db_heavy(other),
          "3: another connection that read small rows is not");

    db_close(other);
    db_close(db);
    return failures ? 1 : 0;
}
