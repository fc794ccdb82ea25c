/*
 * tests/db/arrivals — store_webhook_arrivals() against the stack's MariaDB: what the
 * webhook worker reads at every scan, in order, cut at its limit, and without an
 * on-disk temporary table.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. Everything happens in one transaction that is rolled back at the end,
 * so the stack's own webhook worker never sees the scratch rows (and cannot queue them
 * first). In it: a scratch account with two mailboxes on one domain, a webhook on the
 * first mailbox and one on the domain, three messages in the first mailbox and one in
 * the second, each with a body of its own. Then:
 *
 *   1. a scan above the last id before them returns the six (message, webhook) pairs
 *      in (message id, webhook id) order: each message of the first mailbox with both
 *      webhooks, the second mailbox's message with the domain webhook alone, each with
 *      its own body and address;
 *   2. a scan with a limit of 3 returns the first three of those pairs, and says that
 *      it was cut there (1), so that the worker scans on;
 *   3. five more scans (the worker runs the same prepared statements again and
 *      again) return the same, and no scan made an on-disk temporary table (the
 *      session's Created_tmp_disk_tables): sorting rows that carry the text columns
 *      did, five files made and removed in the server's tmpdir at every scan, even
 *      with no webhook at all; sorting ids in a derived table joined to those columns
 *      still did from the second run of its statement on a new database.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dbtest.h"
#include "log.h"
#include "store.h"

static long long insert_id_of(DB *db, const char *what)
{
    long long id = (long long)db_insert_id(db);
    if (id <= 0)
        dbtest_die(db, what);
    return id;
}

int main(void)
{
    dbtest_setup("arrivals");
    DB *db = dbtest_open();
    if (db_begin(db) != 0)
        dbtest_die(db, "begin");
    unsigned long long after = 0;
    if (store_message_max_id(db, &after) != 0)
        dbtest_die(db, "the last message id");

    if (db_exec(db, "INSERT INTO accounts (email, created_at) VALUES (NULL, UTC_TIMESTAMP(3))", "") != 1)
        dbtest_die(db, "scratch account");
    long long account = insert_id_of(db, "scratch account");
    long long domain = dbtest_number(db, "SELECT MIN(id) + ? FROM domains", 0);
    long long box[2];
    for (int i = 0; i < 2; i++) {
        if (db_exec(db, "INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
                        " SELECT CONCAT('db-test-arrivals-', ?, '-', ?, '@', name), id, ?,"
                        " UTC_TIMESTAMP(3) FROM domains WHERE id = ?",
                    "iiii", account, (long long)i, account, domain) != 1)
            dbtest_die(db, "scratch mailbox");
        box[i] = insert_id_of(db, "scratch mailbox");
    }
    /* Paused (active = 0): even a worker that saw them would queue, never send. */
    if (db_exec(db, "INSERT INTO webhooks (account_id, mailbox_id, url, secret, active, created_at)"
                    " VALUES (?, ?, 'https://hook.invalid/box', 'secret', 0,"
                    " UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE)", "ii", account, box[0]) != 1)
        dbtest_die(db, "mailbox webhook");
    long long box_hook = insert_id_of(db, "mailbox webhook");
    if (db_exec(db, "INSERT INTO webhooks (account_id, domain_id, url, secret, active, created_at)"
                    " VALUES (?, ?, 'https://hook.invalid/domain', 'secret', 0,"
                    " UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE)", "ii", account, domain) != 1)
        dbtest_die(db, "domain webhook");
    long long domain_hook = insert_id_of(db, "domain webhook");

    long long msg[4];
    for (int i = 0; i < 4; i++) {
        if (db_exec(db, "INSERT INTO messages (mailbox_id, uuid, subject, body_text, body_html,"
                        " raw, size, received_at, expires_at)"
                        " VALUES (?, UUID(), 'arrival', CONCAT('body of message ', ?), '',"
                        " 'Subject: arrival', 16, UTC_TIMESTAMP(3),"
                        " UTC_TIMESTAMP(3) + INTERVAL 1 HOUR)",
                    "ii", box[i < 3 ? 0 : 1], (long long)i) != 1)
            dbtest_die(db, "message");
        msg[i] = insert_id_of(db, "message");
    }

    /* 1: (message, webhook) pairs in order; the hooks' ids ascend as they were made. */
    long long want_msg[6] = { msg[0], msg[0], msg[1], msg[1], msg[2], msg[2] };
    long long want_hook[6] = { box_hook, domain_hook, box_hook, domain_hook, box_hook, domain_hook };
    long long disk_before = dbtest_session_status(db, "CREATED_TMP_DISK_TABLES");
    STORE_MESSAGE *found = NULL;
    unsigned long long *hooks = NULL;
    size_t n = 0;
    int rc = store_webhook_arrivals(db, after, 100, &found, &hooks, &n);    /* 0: all there */
    printf("# 1: returned %d, %zu pairs\n", rc, n);
    check(rc == 0 && n == 7, "1: seven pairs: three messages with two webhooks, one with one");
    int in_order = rc == 0 && n == 7;
    for (size_t i = 0; in_order && i < 6; i++)
        in_order = (long long)found[i].id == want_msg[i] && (long long)hooks[i] == want_hook[i];
    in_order = in_order && (long long)found[6].id == msg[3] && (long long)hooks[6] == domain_hook;
    check(in_order, "1: in (message id, webhook id) order");
    int bodies = rc == 0 && n == 7;
    for (size_t i = 0; bodies && i < n; i++) {
        char want[64];
        int which = (long long)found[i].id == msg[3] ? 3 : (int)(i / 2);
        snprintf(want, sizeof(want), "body of message %d", which);
        bodies = found[i].body_text != NULL && strcmp(found[i].body_text, want) == 0
                 && found[i].recipient != NULL && strncmp(found[i].recipient, "db-test-arrivals-", 17) == 0;
    }
    check(bodies, "1: each pair carries its own message's body and address");
    store_messages_free(found, n);
    free(hooks);

    /* 2 */
    rc = store_webhook_arrivals(db, after, 3, &found, &hooks, &n);
    check(rc == 1, "2: a scan cut at its limit says so (1)");
    int first_three = rc == 1 && n == 3;
    for (size_t i = 0; first_three && i < 3; i++)
        first_three = (long long)found[i].id == want_msg[i] && (long long)hooks[i] == want_hook[i];
    check(first_three, "2: a limit of 3 keeps the first three pairs");
    store_messages_free(found, n);
    free(hooks);

    /* 3 */
    int same = 1;
    for (int round = 0; round < 5; round++) {
        rc = store_webhook_arrivals(db, after, 100, &found, &hooks, &n);
        same = same && rc == 0 && n == 7 && (long long)found[6].id == msg[3];
        store_messages_free(found, n);
        free(hooks);
    }
    check(same, "3: five more scans return the same seven pairs");
    long long disk_after = dbtest_session_status(db, "CREATED_TMP_DISK_TABLES");
    printf("# 3: on-disk temporary tables of this session: %lld before the scans, %lld after\n",
           disk_before, disk_after);
    check(disk_before >= 0 && disk_after == disk_before, "3: no scan made an on-disk temporary table");

    db_rollback(db);
    db_close(db);
    return failures ? 1 : 0;
}
