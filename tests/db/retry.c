/*
 * tests/db/retry — real deadlocks against the stack's MariaDB, and db(3)'s answer to them.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. Two connections update the same two rows of a scratch table
 * (tempmail_retry_probe) in opposite orders, so the server must pick a victim and
 * roll it back with error 1213: the same error Galera gives a transaction that lost
 * certification to another node. Nothing is simulated: the checks are that both
 * writers' work is in the table exactly once and that a re-run happened.
 *
 *   1. two transactions (db_txn()), rows 1 then 2 against rows 2 then 1;
 *   2. a transaction against one autocommit statement (db_exec() alone) that
 *      updates both rows.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "dbtest.h"
#include "log.h"

static pthread_barrier_t both_in;       /* scenario 1: both hold their first row */
struct writer {
    DB *db;
    int first, second;                  /* scenario 1: row order */
    int runs;                           /* how often db_txn() called the function */
    int rc;
};

static long long row(DB *db, long long id)
{
    return dbtest_number(db, "SELECT n FROM tempmail_retry_probe WHERE id = ?", id);
}

/*
 * The autocommit statement of scenario 2 is running, seen in the processlist (a user
 * sees its own sessions there; information_schema.INNODB_TRX would need PROCESS).
 */
static long long statement_running(DB *db)
{
    DB_RESULT *res;
    long long n = -1;
    if (db_query(db, &res, "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                           " WHERE COMMAND = 'Execute' AND INFO LIKE '%WHERE id IN (1, 2)%'", "") == 0) {
        n = db_rows(res) ? db_get_ll(res, 0, 0) : 0;
        db_result_free(res);
    }
    return n;
}

static void reset_rows(DB *db)
{
    if (db_exec(db, "UPDATE tempmail_retry_probe SET n = 0", "") < 0) {
        fprintf(stderr, "retry: %s\n", db_error(db));
        exit(2);
    }
}

/* ---- 1: two transactions, opposite orders ---------------------------------------- */

static int opposite_txn(DB *db, void *arg)
{
    struct writer *w = arg;
    if (db_exec(db, "UPDATE tempmail_retry_probe SET n = n + 1 WHERE id = ?", "i",
                (long long)w->first) != 1)
        return DB_EFAIL;
    if (w->runs++ == 0)
        pthread_barrier_wait(&both_in);   /* the first run only: the deadlock, once */
    if (db_exec(db, "UPDATE tempmail_retry_probe SET n = n + 1 WHERE id = ?", "i",
                (long long)w->second) != 1)
        return DB_EFAIL;
    return 0;
}

static void *opposite_writer(void *arg)
{
    struct writer *w = arg;
    w->rc = db_txn(w->db, opposite_txn, w);
    return NULL;
}

/* ---- 2: a transaction against an autocommit statement ----------------------------- */

static DB *watcher;

static int txn_second(DB *db, void *arg)
{
    struct writer *w = arg;
    if (db_exec(db, "UPDATE tempmail_retry_probe SET n = n + 1 WHERE id = 2", "") != 1)
        return DB_EFAIL;
    if (w->runs++ == 0) {
        pthread_barrier_wait(&both_in);
        /*
         * Wait until the statement runs, so that it holds row 1 and waits for our row 2,
         * then give it a moment (it locks row 1 within microseconds) and take row 1.
         */
        struct timespec ts = { 0, 20 * 1000000L };
        for (int i = 0; i < 1500 && statement_running(watcher) < 1; i++)
            nanosleep(&ts, NULL);
        ts.tv_nsec = 200 * 1000000L;
        nanosleep(&ts, NULL);
    }
    if (db_exec(db, "UPDATE tempmail_retry_probe SET n = n + 1 WHERE id = 1", "") != 1)
        return DB_EFAIL;
    return 0;
}

static void *txn_writer(void *arg)
{
    struct writer *w = arg;
    w->rc = db_txn(w->db, txn_second, w);
    return NULL;
}

static void *statement_writer(void *arg)
{
    struct writer *w = arg;
    pthread_barrier_wait(&both_in);
    long long n = db_exec(w->db, "UPDATE tempmail_retry_probe SET n = n + 1"
                                 " WHERE id IN (1, 2) ORDER BY id", "");
    w->rc = n == 2 ? 0 : (n < 0 ? (int)n : DB_EFAIL);
    return NULL;
}

int main(void)
{
    char err[512];

    dbtest_setup("retry");
    DB *setup = dbtest_open();
    if (db_run_script(setup,
                      "CREATE TABLE IF NOT EXISTS tempmail_retry_probe ("
                      " id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT 0) ENGINE=InnoDB;"
                      "INSERT IGNORE INTO tempmail_retry_probe (id, n) VALUES (1, 0), (2, 0);",
                      err, sizeof(err)) != 0) {
        fprintf(stderr, "retry: %s\n", err);
        return 2;
    }
    watcher = setup;

    /* 1 */
    reset_rows(setup);
    struct writer a = { dbtest_open(), 1, 2, 0, 0 }, b = { dbtest_open(), 2, 1, 0, 0 };
    pthread_t ta, tb;
    pthread_barrier_init(&both_in, NULL, 2);
    pthread_create(&ta, NULL, opposite_writer, &a);
    pthread_create(&tb, NULL, opposite_writer, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&both_in);
    check(a.rc == 0 && b.rc == 0, "1: both transactions committed in the end");
    check(row(setup, 1) == 2 && row(setup, 2) == 2, "1: each row counts both writers once");
    check(db_retries(a.db) + db_retries(b.db) >= 1 && a.runs + b.runs >= 3,
          "1: the deadlock's victim ran its transaction again");
    printf("# 1: runs %d and %d, re-runs %lu and %lu\n", a.runs, b.runs,
           db_retries(a.db), db_retries(b.db));

    /* 2 */
    reset_rows(setup);
    struct writer t = { a.db, 0, 0, 0, 0 }, s = { b.db, 0, 0, 0, 0 };
    unsigned long before = db_retries(a.db) + db_retries(b.db);
    pthread_barrier_init(&both_in, NULL, 2);
    pthread_create(&ta, NULL, txn_writer, &t);
    pthread_create(&tb, NULL, statement_writer, &s);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&both_in);
    check(t.rc == 0, "2: the transaction committed in the end");
    check(s.rc == 0, "2: the autocommit statement updated both rows in the end");
    check(row(setup, 1) == 2 && row(setup, 2) == 2, "2: each row counts both writers once");
    unsigned long after = db_retries(a.db) + db_retries(b.db);
    check(after > before, "2: the victim (statement or transaction) ran again");
    printf("# 2: transaction runs %d; re-runs: transaction side %lu, statement side %lu\n",
           t.runs, db_retries(a.db), db_retries(b.db));

    db_run_script(setup, "DROP TABLE IF EXISTS tempmail_retry_probe;", err, sizeof(err));
    db_close(a.db);
    db_close(b.db);
    db_close(setup);
    return failures ? 1 : 0;
}
