/*
 * tests/db/generate — store_mailbox_create() from many threads of one process at once, for
 * one account, against the stack's MariaDB: concurrent generates share transactions and
 * each keeps its own outcome.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. A scratch account with a balance of FUNDED addresses; THREADS threads, each
 * with its own connection, make CALLS addresses each, every tenth of them at an address
 * that is already taken:
 *
 *   1. exactly FUNDED mailboxes are made and the balance ends at 0: no overdraft, and no
 *      debit kept for a taken address (409s get theirs back in the same transaction);
 *   2. the balances handed back to the ones made are FUNDED-1 .. 0 prices, each once, as if
 *      they had run one after another;
 *   3. the rest were told why: the taken address (DB_EDUP) or the balance (STORE_NOFUNDS);
 *   4. at most half as many transactions as calls ran: calls that came together shared one;
 *      and fewer INSERTs than mailboxes made: a batch whose members all fit in the balance
 *      and whose addresses are free inserts them with one statement;
 *   5. while another transaction holds the account's row, BLOCKED threads (each with a lock
 *      wait of a second) all fail, and each connection tells the lock wait as its reason,
 *      also those whose transaction another thread ran for them.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbtest.h"
#include "address.h"
#include "store.h"

#define THREADS 16
#define CALLS   20
#define FUNDED  250                     /* of THREADS * CALLS = 320 */
#define PRICE   "0.001"

static STORE_PRINCIPAL who;
static STORE_DOMAIN domain;
static char taken[ADDRESS_MAX + 1];
static int made, taken_told, nofunds, other;
static long long com_insert;            /* the threads' sessions' INSERTs (also ... SELECT) */
static int balance_seen[FUNDED];        /* thousandths of the balance handed back */
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;

static void *generator(void *arg)
{
    long t = (long)arg;
    DB *db = dbtest_open();
    long long inserts = dbtest_session_status(db, "COM_INSERT")
                        + dbtest_session_status(db, "COM_INSERT_SELECT");

    for (int i = 0; i < CALLS; i++) {
        char address[ADDRESS_MAX + 1], balance[32] = "";
        STORE_MAILBOX box;
        if (i % 10 == 9)
            snprintf(address, sizeof(address), "%s", taken);
        else
            snprintf(address, sizeof(address), "db-test-generate-%llu-%ld-%d@%s",
                     who.account_id, t, i, domain.name);
        int rc = store_mailbox_create(db, &who, &domain, address, PRICE, &box, balance,
                                      sizeof(balance));
        pthread_mutex_lock(&tally);
        if (rc == 0) {
            made++;
            long thousandths = (long)(strtod(balance, NULL) * 1000 + 0.5);
            if (thousandths >= 0 && thousandths < FUNDED)
                balance_seen[thousandths]++;
        } else if (rc == DB_EDUP) {
            taken_told++;
        } else if (rc == STORE_NOFUNDS) {
            nofunds++;
        } else {
            other++;
        }
        pthread_mutex_unlock(&tally);
    }
    inserts = dbtest_session_status(db, "COM_INSERT")
              + dbtest_session_status(db, "COM_INSERT_SELECT") - inserts;
    pthread_mutex_lock(&tally);
    com_insert += inserts;
    pthread_mutex_unlock(&tally);
    db_close(db);
    return NULL;
}

#define BLOCKED 4

static int blocked_create(DB *db, long i)
{
    char address[ADDRESS_MAX + 1], balance[32];
    STORE_MAILBOX box;

    snprintf(address, sizeof(address), "db-test-generate-%llu-blocked-%ld@%s", who.account_id, i,
             domain.name);
    return store_mailbox_create(db, &who, &domain, address, PRICE, &box, balance,
                                sizeof(balance));
}

int main(void)
{
    dbtest_setup("generate");
    DB *db = dbtest_open();

    if (db_exec(db, "INSERT INTO accounts (email, balance, created_at)"
                    " VALUES (NULL, CAST(? AS DECIMAL(18,6)) * ?, UTC_TIMESTAMP(3))",
                "si", PRICE, (long long)FUNDED) != 1)
        dbtest_die(db, "scratch account");
    who.account_id = db_insert_id(db);
    DB_RESULT *res;
    if (db_query(db, &res, "SELECT id, name FROM domains WHERE owner_id IS NULL AND status = 'active'"
                           " ORDER BY id LIMIT 1", "") != 0 || db_rows(res) != 1)
        dbtest_die(db, "a system domain");
    domain.id = (unsigned long long)db_get_ll(res, 0, 0);
    snprintf(domain.name, sizeof(domain.name), "%s", db_get(res, 0, 1));
    db_result_free(res);
    snprintf(taken, sizeof(taken), "db-test-generate-%llu-taken@%s", who.account_id, domain.name);
    if (db_exec(db, "INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
                    " VALUES (?, ?, ?, UTC_TIMESTAMP(3))", "suu", taken, domain.id,
                who.account_id) != 1)
        dbtest_die(db, "the taken address");

    dbtest_threads(THREADS, generator);

    long long runs = store_mailbox_create_runs();
    long long boxes = dbtest_number(db, "SELECT COUNT(*) FROM mailboxes WHERE account_id = ?",
                                    (long long)who.account_id) - 1;
    long long left = dbtest_number(db, "SELECT CAST(balance * 1000 AS SIGNED) FROM accounts"
                                       " WHERE id = ?", (long long)who.account_id);
    printf("# %d calls: %d made, %d taken, %d without funds, %d other; %lld transactions;"
           " %lld mailboxes, balance %lld thousandths; %lld INSERTs\n", THREADS * CALLS, made,
           taken_told, nofunds, other, runs, boxes, left, com_insert);
    check(made == FUNDED && boxes == FUNDED && left == 0, "1: exactly the funded ones made, balance 0");
    int once = 1;
    for (int i = 0; i < FUNDED; i++)
        if (balance_seen[i] != 1) {
            printf("# balance %d thousandths handed back %d times\n", i, balance_seen[i]);
            once = 0;
            break;
        }
    check(once, "2: each made one got its own balance after it");
    check(other == 0 && made + taken_told + nofunds == THREADS * CALLS && taken_told > 0,
          "3: the others were told: taken, or no funds");
    check(runs <= THREADS * CALLS / 2, "4: at most half as many transactions as calls");
    check(com_insert < made, "4: fewer INSERT statements than mailboxes made");

    /* 5 */
    char account[24];
    int blocked_failed, blocked_told;
    snprintf(account, sizeof(account), "%llu", who.account_id);
    if (db_exec(db, "UPDATE accounts SET balance = 1 WHERE id = ?", "u", who.account_id) != 1)
        dbtest_die(db, "funding the account again");
    dbtest_blocked(db, "SELECT balance FROM accounts WHERE id = ? FOR UPDATE", account, BLOCKED,
                   blocked_create, &blocked_failed, &blocked_told);
    printf("# 5: %d of %d failed, %d telling the lock wait\n", blocked_failed, BLOCKED,
           blocked_told);
    check(blocked_failed == BLOCKED && blocked_told == BLOCKED,
          "5: each blocked call fails with the lock wait as its own connection's reason");

    db_exec(db, "DELETE FROM mailboxes WHERE account_id = ?", "u", who.account_id);
    db_exec(db, "DELETE FROM accounts WHERE id = ?", "u", who.account_id);
    db_close(db);
    return failures ? 1 : 0;
}
