/*
 * tests/db/purge — store_purge_leased() against the stack's MariaDB: batches, the call
 * between them, stopping there, and the lease.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. The stack's milter purges too (purge_interval), so this test first
 * takes the cluster-wide "purge" lease itself and keeps it (as the same or a second
 * holder) until its checks are done: nobody else deletes its rows meanwhile. Then, in
 * a scratch account and mailbox, 3,500 messages that expired a minute ago:
 *
 *   1. a purge whose between() says stop after the first batch deletes exactly one
 *      whole batch (1,000), calls between() once with the time it took, returns 1
 *      and gives the lease back (a second holder takes it at once);
 *   2. a purge whose between() goes on deletes the rest: between() after every
 *      whole batch (at least twice), none of the scratch messages left;
 *   3. the lease is free again afterwards.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dbtest.h"
#include "log.h"
#include "store.h"

#define PURGE_TEST_MESSAGES 3500       /* the seq_1_to_3500 below */
#define PURGE_TEST_BATCH    1000        /* STORE_PURGE_BATCH */

/* The scratch mailbox's messages, or -1. */
static long long messages_left(DB *db, long long mailbox)
{
    return dbtest_number(db, "SELECT COUNT(*) FROM messages WHERE mailbox_id = ?", mailbox);
}

struct between_log {
    int calls;
    long min_ms;
    int stop_after;                     /* say stop on this call (0: never) */
};

static int between(long batch_ms, void *context)
{
    struct between_log *log = context;
    log->calls++;
    if (log->calls == 1 || batch_ms < log->min_ms)
        log->min_ms = batch_ms;
    return log->stop_after != 0 && log->calls >= log->stop_after;
}

int main(void)
{
    char holder[64], second[64];

    dbtest_setup("purge");
    DB *db = dbtest_open();
    snprintf(holder, sizeof(holder), "db-test-purge-%ld", (long)getpid());
    snprintf(second, sizeof(second), "db-test-purge-%ld-b", (long)getpid());

    /* The milter may hold the lease for up to a minute of purging: wait for it. */
    int held = 0;
    for (int i = 0; i < 150 && (held = store_lock_acquire(db, "purge", holder, 60)) == 0; i++)
        usleep(500 * 1000);
    if (held != 1)
        dbtest_die(db, "cannot take the purge lease");

    if (db_exec(db, "INSERT INTO accounts (email, created_at) VALUES (NULL, UTC_TIMESTAMP(3))", "") != 1)
        dbtest_die(db, "scratch account");
    long long account = (long long)db_insert_id(db);
    if (db_exec(db, "INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
                    " SELECT CONCAT('db-test-purge-', ?, '@purge.invalid'), MIN(id), ?, UTC_TIMESTAMP(3)"
                    " FROM domains", "ii", account, account) != 1)
        dbtest_die(db, "scratch mailbox");
    long long mailbox = (long long)db_insert_id(db);
    if (db_exec(db, "INSERT INTO messages (mailbox_id, uuid, body_text, body_html, raw, size,"
                    " received_at, expires_at)"
                    " SELECT ?, UUID(), 'expired', '', 'Subject: expired', 16,"
                    " UTC_TIMESTAMP(3) - INTERVAL 2 MINUTE, UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE"
                    " FROM seq_1_to_3500", "i", mailbox) != PURGE_TEST_MESSAGES)
        dbtest_die(db, "expired messages");

    /* 1 */
    struct between_log first = { 0, 0, 1 };
    long deleted = -1;
    int rc = store_purge_leased(db, holder, between, &first, &deleted);
    printf("# 1: returned %d, deleted %ld, between() called %d times\n", rc, deleted, first.calls);
    check(rc == 1, "1: a purge told to stop returns 1 (it purged)");
    check(deleted == PURGE_TEST_BATCH, "1: it deleted exactly one whole batch");
    check(first.calls == 1 && first.min_ms >= 0, "1: between() was called once, with the batch's time");
    /* The batch may have taken other tests' expired messages first: at most 1,000 of ours went. */
    check(messages_left(db, mailbox) >= PURGE_TEST_MESSAGES - PURGE_TEST_BATCH,
          "1: the rest of the expired messages are still there");
    check(store_lock_acquire(db, "purge", second, 60) == 1, "1: it gave the lease back: another holder takes it");

    /* 2: as the second holder, which holds the lease now */
    struct between_log rest = { 0, 0, 0 };
    deleted = -1;
    rc = store_purge_leased(db, second, between, &rest, &deleted);
    printf("# 2: returned %d, deleted %ld, between() called %d times, shortest batch %ld ms\n",
           rc, deleted, rest.calls, rest.min_ms);
    check(rc == 1, "2: a purge that goes on returns 1");
    check(deleted >= PURGE_TEST_MESSAGES - PURGE_TEST_BATCH, "2: it deleted at least the rest");
    check(rest.calls >= 2 && rest.min_ms >= 0, "2: between() came after every whole batch");
    check(messages_left(db, mailbox) == 0, "2: none of the expired messages is left");

    /* 3 */
    check(store_lock_acquire(db, "purge", holder, 0) == 1, "3: the lease is free after a purge");
    store_lock_release(db, "purge", holder);

    db_exec(db, "DELETE FROM accounts WHERE id = ?", "i", account);     /* the mailbox cascades */
    db_close(db);
    return failures ? 1 : 0;
}
