/*
 * tests/db/listing — store_mailbox_message_keys(), what every inbox read asks MariaDB,
 * from many threads of one process at once, against the stack's MariaDB: reads of one
 * inbox that come together share a listing, and each still sees the inbox as it was
 * when it came.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. A scratch account with an inbox of MESSAGES messages; THREADS threads,
 * each with its own connection (as a route process's request threads have):
 *
 *   1. THREADS * CALLS reads: each lists the inbox's messages, newest first, as one read
 *      alone lists them, with the inbox's id;
 *   2. at most half as many listings as reads: reads that came together shared one (one
 *      each, and the check fails, without sharing);
 *   3. while the main thread adds CHANGES messages one at a time, and then deletes them
 *      one at a time, no read misses a message added before it began, nor lists one
 *      deleted before it began: a shared listing begins after each of its members came;
 *   4. an address the account has no mailbox at is not found, and an empty inbox lists
 *      nothing with its id;
 *   5. while another connection holds the messages table locked, BLOCKED reads (each with
 *      a lock wait of a second) all fail, and each connection tells the lock wait as its
 *      reason, also those whose listing another thread sent.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "dbtest.h"
#include "store.h"

#define THREADS  16
#define CALLS    100
#define MESSAGES 10
#define CHANGES  100

static unsigned long long account_id, mailbox_id, empty_id;
static char address[128], empty_address[128];
static STORE_MESSAGE_KEY expected[MESSAGES];
static int wrong, failed, missed, ghost, part3_calls;
static int committed;                   /* part 3: how many messages the inbox held last */
static int adding;                      /* part 3: messages come (1) or go (0) */
static int changing;
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;

static int list(DB *db, const char *at, unsigned long long *box, STORE_MESSAGE_KEY **keys,
                size_t *n)
{
    return store_mailbox_message_keys(db, at, account_id, NULL, box, keys, n);
}

/* 1 when keys[0..n) are the expected ones, in their order. */
static int same_keys(const STORE_MESSAGE_KEY *keys, size_t n)
{
    if (n != MESSAGES)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (keys[i].id != expected[i].id || strcmp(keys[i].uuid, expected[i].uuid) != 0)
            return 0;
    return 1;
}

/* Part 1: CALLS reads; each must list what one read alone listed. */
static void *reader(void *arg)
{
    (void)arg;
    DB *db = dbtest_open();

    for (int i = 0; i < CALLS; i++) {
        STORE_MESSAGE_KEY *keys;
        unsigned long long box = 0;
        size_t n;
        int rc = list(db, address, &box, &keys, &n);
        pthread_mutex_lock(&tally);
        if (rc != 0)
            failed++;
        else if (box != mailbox_id || !same_keys(keys, n))
            wrong++;
        pthread_mutex_unlock(&tally);
        free(keys);
    }
    db_close(db);
    return NULL;
}

/* Part 3: reads while messages come (or go); none lists fewer (more) than were committed. */
static void *watcher(void *arg)
{
    (void)arg;
    DB *db = dbtest_open();

    while (__atomic_load_n(&changing, __ATOMIC_SEQ_CST)) {
        int then = __atomic_load_n(&committed, __ATOMIC_SEQ_CST);
        STORE_MESSAGE_KEY *keys;
        unsigned long long box;
        size_t n;
        int rc = list(db, address, &box, &keys, &n);
        free(keys);
        pthread_mutex_lock(&tally);
        part3_calls++;
        if (rc != 0) {
            failed++;
        } else if (adding && (int)n < then) {
            if (missed++ == 0)
                printf("# began after %d messages were committed, listed %zu\n", then, n);
        } else if (!adding && (int)n > then) {
            if (ghost++ == 0)
                printf("# began after the inbox was cut to %d, listed %zu\n", then, n);
        }
        pthread_mutex_unlock(&tally);
    }
    db_close(db);
    return NULL;
}

static void add_message(DB *db, unsigned long long box, int i)
{
    if (db_exec(db, "INSERT INTO messages (mailbox_id, uuid, subject, body_text, body_html, raw,"
                    " size, received_at, expires_at)"
                    " VALUES (?, UUID(), 'listing', CONCAT('message ', ?), '', 'Subject: listing',"
                    " 16, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL 1 HOUR)",
                "ui", box, (long long)i) != 1)
        dbtest_die(db, "a message");
}

/*
 * Part 3's other side: add CHANGES messages one at a time (a run of its own), or delete
 * them, newest first. While messages only come, a read may list more than were committed
 * when it began, never fewer; while they only go, never more.
 */
static void *changer(void *arg)
{
    DB *db = arg;

    for (int i = 1; i <= CHANGES; i++) {
        if (adding)
            add_message(db, mailbox_id, MESSAGES + i);
        else if (db_exec(db, "DELETE FROM messages WHERE mailbox_id = ? ORDER BY id DESC LIMIT 1",
                         "u", mailbox_id) != 1)
            dbtest_die(db, "deleting a message");
        __atomic_store_n(&committed, adding ? MESSAGES + i : MESSAGES + CHANGES - i,
                         __ATOMIC_SEQ_CST);
    }
    __atomic_store_n(&changing, 0, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Part 3, one way: readers in THREADS threads while the changer runs on db. */
static void change_while_read(DB *db, int add)
{
    pthread_t t;

    adding = add;
    committed = add ? MESSAGES : MESSAGES + CHANGES;
    changing = 1;
    if (pthread_create(&t, NULL, changer, db) != 0)
        dbtest_die(NULL, "pthread_create");
    dbtest_threads(THREADS, watcher);
    pthread_join(t, NULL);
}

#define BLOCKED 4

static int blocked_list(DB *db, long i)
{
    STORE_MESSAGE_KEY *keys;
    unsigned long long box;
    size_t n;
    (void)i;
    int rc = list(db, address, &box, &keys, &n);
    free(keys);
    return rc;
}

static unsigned long long make_mailbox(DB *db, const char *at, unsigned long long domain_id)
{
    if (db_exec(db, "INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
                    " VALUES (?, ?, ?, UTC_TIMESTAMP(3))", "suu", at, domain_id, account_id) != 1)
        dbtest_die(db, "a mailbox");
    return db_insert_id(db);
}

int main(void)
{
    dbtest_setup("listing");
    DB *db = dbtest_open();
    DB_RESULT *res;

    if (store_account_create(db, NULL, NULL, "0", 0, &account_id) != 0)
        dbtest_die(db, "scratch account");
    if (db_query(db, &res, "SELECT id, name FROM domains WHERE owner_id IS NULL AND status = 'active'"
                           " ORDER BY id LIMIT 1", "") != 0 || db_rows(res) != 1)
        dbtest_die(db, "a system domain");
    unsigned long long domain_id = (unsigned long long)db_get_ll(res, 0, 0);
    snprintf(address, sizeof(address), "db-test-listing-%llu@%s", account_id, db_get(res, 0, 1));
    snprintf(empty_address, sizeof(empty_address), "db-test-listing-%llu-empty@%s", account_id,
             db_get(res, 0, 1));
    db_result_free(res);
    mailbox_id = make_mailbox(db, address, domain_id);
    empty_id = make_mailbox(db, empty_address, domain_id);
    for (int i = 1; i <= MESSAGES; i++)
        add_message(db, mailbox_id, i);

    /* What one read alone lists (no other thread runs yet). */
    STORE_MESSAGE_KEY *alone;
    unsigned long long box = 0;
    size_t n;
    if (list(db, address, &box, &alone, &n) != 0 || n != MESSAGES || box != mailbox_id)
        dbtest_die(db, "the inbox read alone");
    memcpy(expected, alone, sizeof(expected));
    free(alone);

    /* 1, 2 */
    long long listings0 = store_mailbox_listings();
    dbtest_threads(THREADS, reader);
    long long listings = store_mailbox_listings() - listings0;
    printf("# %d reads: %lld listings, %d failed, %d listed otherwise\n", THREADS * CALLS,
           listings, failed, wrong);
    check(failed == 0 && wrong == 0, "1: every read lists the inbox as a read alone does");
    check(listings <= THREADS * CALLS / 2, "2: at most half as many listings as reads");

    /* 3 */
    change_while_read(db, 1);
    change_while_read(db, 0);
    printf("# 3: %d reads while %d messages came and went; %d missed one, %d listed a deleted"
           " one\n", part3_calls, CHANGES, missed, ghost);
    check(failed == 0 && missed == 0 && ghost == 0,
          "3: no read misses a message stored before it, or lists one deleted before it");

    /* 4 */
    STORE_MESSAGE_KEY *keys;
    int rc = list(db, "db-test-listing-nobody@example.invalid", &box, &keys, &n);
    free(keys);
    check(rc == STORE_NOTFOUND, "4: no such mailbox: not found");
    box = 0;
    rc = list(db, empty_address, &box, &keys, &n);
    free(keys);
    check(rc == 0 && n == 0 && box == empty_id, "4: an empty inbox lists nothing, with its id");

    /* 5: a table lock is the one thing a plain read waits for. */
    char err[256];
    DB *holder = dbtest_open();
    if (db_run_script(holder, "LOCK TABLES messages WRITE", err, sizeof(err)) != 0) {
        fprintf(stderr, "listing: LOCK TABLES: %s\n", err);
        return 2;
    }
    int blocked_failed, blocked_told;
    dbtest_blocked_run(BLOCKED, blocked_list, &blocked_failed, &blocked_told);
    db_run_script(holder, "UNLOCK TABLES", err, sizeof(err));
    db_close(holder);
    printf("# 5: %d of %d failed, %d telling the lock wait\n", blocked_failed, BLOCKED,
           blocked_told);
    check(blocked_failed == BLOCKED && blocked_told == BLOCKED,
          "5: each blocked read fails with the lock wait as its own connection's reason");

    db_exec(db, "DELETE FROM messages WHERE mailbox_id IN (?, ?)", "uu", mailbox_id, empty_id);
    db_exec(db, "DELETE FROM mailboxes WHERE account_id = ?", "u", account_id);
    db_exec(db, "DELETE FROM accounts WHERE id = ?", "u", account_id);
    db_close(db);
    return failures ? 1 : 0;
}
