/*
 * tests/db/group — store_capture_group() against the stack's MariaDB: several messages
 * stored with one statement, and what happens when that statement cannot be used.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. In a scratch account with mailboxes A, B and C:
 *
 *   1. a group of three (A, B, A) stores three rows with one INSERT (the session's
 *      Com_insert grows by one), each with its own subject, body and raw source, and
 *      A's two in the group's order (ascending ids);
 *   2. the same group stored again, as after a group that committed before its
 *      connection was lost: every one is reported stored, and no row is added;
 *   3. a group whose mailbox C was deleted since RCPT: B's message is stored, C's is
 *      reported failed, and nothing else is stored;
 *   4. a group of one is stored.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbtest.h"
#include "mime.h"
#include "store.h"

static long long rows_of(DB *db, long long mailbox)
{
    return dbtest_number(db, "SELECT COUNT(*) FROM messages WHERE mailbox_id = ?", mailbox);
}

/* A parsed message and its raw source, numbered n. */
struct sample {
    char raw[256];
    MIME_MESSAGE *msg;
};

static void sample_make(struct sample *s, int n)
{
    snprintf(s->raw, sizeof(s->raw),
             "From: group@example.com\r\nSubject: group %d\r\nMessage-ID: <group-%d@test.invalid>\r\n"
             "\r\nbody of message %d\r\n", n, n, n);
    if ((s->msg = mime_parse(s->raw, strlen(s->raw))) == NULL)
        dbtest_die(NULL, "parse");
}

static STORE_CAPTURE *capture_of(long long mailbox, const struct sample *s)
{
    STORE_CAPTURE *c = store_capture_prepare((unsigned long long)mailbox, "group@example.com",
                                             s->msg, s->raw, strlen(s->raw), 3600);
    if (c == NULL)
        dbtest_die(NULL, "prepare");
    return c;
}

int main(void)
{
    dbtest_setup("group");
    mime_init();
    DB *db = dbtest_open();

    if (db_exec(db, "INSERT INTO accounts (email, created_at) VALUES (NULL, UTC_TIMESTAMP(3))", "") != 1)
        dbtest_die(db, "scratch account");
    long long account = (long long)db_insert_id(db);
    long long box[3];
    for (int i = 0; i < 3; i++) {
        if (db_exec(db, "INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
                        " SELECT CONCAT('db-test-group-', ?, '-', ?, '@', name), id, ?,"
                        " UTC_TIMESTAMP(3) FROM domains ORDER BY id LIMIT 1",
                    "iii", account, (long long)i, account) != 1)
            dbtest_die(db, "scratch mailbox");
        box[i] = (long long)db_insert_id(db);
    }
    struct sample s[6];
    for (int i = 0; i < 6; i++)
        sample_make(&s[i], i);

    /* 1 */
    STORE_CAPTURE *g1[3] = { capture_of(box[0], &s[0]), capture_of(box[1], &s[1]),
                             capture_of(box[0], &s[2]) };
    int rcs[STORE_GROUP_MAX] = { -9, -9, -9 };
    long long before = dbtest_session_status(db, "COM_INSERT");
    store_capture_group(db, g1, 3, rcs);
    long long after = dbtest_session_status(db, "COM_INSERT");
    printf("# 1: outcomes %d %d %d; INSERT statements %lld\n", rcs[0], rcs[1], rcs[2],
           after - before);
    check(rcs[0] == 0 && rcs[1] == 0 && rcs[2] == 0, "1: all three reported stored");
    check(after - before == 1, "1: with one INSERT statement");
    check(rows_of(db, box[0]) == 2 && rows_of(db, box[1]) == 1, "1: two rows in A, one in B");
    DB_RESULT *res;
    int ok = db_query(db, &res, "SELECT subject, body_text, raw FROM messages WHERE mailbox_id = ?"
                                " ORDER BY id", "i", box[0]) == 0 && db_rows(res) == 2;
    ok = ok && strcmp(db_get(res, 0, 0), "group 0") == 0 && strcmp(db_get(res, 1, 0), "group 2") == 0
         && strstr(db_get(res, 0, 1), "body of message 0") != NULL
         && strcmp(db_get(res, 1, 2), s[2].raw) == 0;
    if (res != NULL)
        db_result_free(res);
    check(ok, "1: A's rows are its own messages, in the group's order, raw source whole");
    check(dbtest_number(db, "SELECT COUNT(DISTINCT uuid) FROM messages m JOIN mailboxes b"
                            " ON b.id = m.mailbox_id WHERE b.account_id = ?", account) == 3,
          "1: three distinct uuids");

    /* 2 */
    rcs[0] = rcs[1] = rcs[2] = -9;
    store_capture_group(db, g1, 3, rcs);
    check(rcs[0] == 0 && rcs[1] == 0 && rcs[2] == 0, "2: the same group again: reported stored");
    check(rows_of(db, box[0]) == 2 && rows_of(db, box[1]) == 1, "2: and not stored twice");
    for (int i = 0; i < 3; i++)
        store_capture_free(g1[i]);

    /* 3 */
    STORE_CAPTURE *g3[2] = { capture_of(box[1], &s[3]), capture_of(box[2], &s[4]) };
    if (db_exec(db, "DELETE FROM mailboxes WHERE id = ?", "i", box[2]) != 1)
        dbtest_die(db, "delete C");
    rcs[0] = rcs[1] = -9;
    store_capture_group(db, g3, 2, rcs);
    printf("# 3: outcomes %d %d\n", rcs[0], rcs[1]);
    check(rcs[0] == 0 && rows_of(db, box[1]) == 2, "3: B's message is stored");
    check(rcs[1] == DB_EFAIL && rows_of(db, box[2]) == 0, "3: C's is reported failed, nothing kept");
    printf("# 3: why %s / %s\n", store_capture_why(g3[0]), store_capture_why(g3[1]));
    check(store_capture_why(g3[0])[0] == '\0', "3: B's has no reason to fail");
    check(strstr(store_capture_why(g3[1]), "mailbox is gone") != NULL,
          "3: C's says its mailbox is gone, not another member's error");
    for (int i = 0; i < 2; i++)
        store_capture_free(g3[i]);

    /* 4 */
    STORE_CAPTURE *g4[1] = { capture_of(box[0], &s[5]) };
    rcs[0] = -9;
    store_capture_group(db, g4, 1, rcs);
    check(rcs[0] == 0 && rows_of(db, box[0]) == 3, "4: a group of one is stored");
    store_capture_free(g4[0]);

    db_exec(db, "DELETE FROM accounts WHERE id = ?", "i", account);     /* the rest cascades */
    for (int i = 0; i < 6; i++)
        mime_free(s[i].msg);
    db_close(db);
    return failures ? 1 : 0;
}
