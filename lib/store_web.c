/*++
 * NAME
 *	store_web 3
 * SUMMARY
 *	what the web pages read and delete beyond the two API documents (see store.h)
 * DESCRIPTION
 *	The raw source and the attachments of a message, the deletion of a
 *	message or of a whole mailbox, and the domains an account may generate
 *	addresses on. Every function takes the caller's account: a message or
 *	mailbox of another account is STORE_NOTFOUND, exactly like one that does
 *	not exist, and an expired message is gone for these reads as well.
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

/* A copy of a blob cell, NUL-terminated for convenience; NULL only when memory ran out. */
static char *store_web_blob(const DB_RESULT *res, size_t row, unsigned col, size_t *len)
{
    size_t n = db_len(res, row, col);
    char *copy = malloc(n + 1);

    if (copy == NULL)
        log_fatal("out of memory");
    memcpy(copy, db_get(res, row, col), n);
    copy[n] = '\0';
    *len = n;
    return copy;
}

int store_message_raw(DB *db, unsigned long long message_id, unsigned long long account_id,
                      char **raw, size_t *len)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT m.raw FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE m.id = ? AND b.account_id = ? AND m.expires_at > UTC_TIMESTAMP(3)",
                      "uu", message_id, account_id);
    *raw = NULL;
    *len = 0;
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0)
        rc = STORE_NOTFOUND;
    else
        *raw = store_web_blob(res, 0, 0, len);
    db_result_free(res);
    return rc;
}

/* 0 when the message is the account's and alive, STORE_NOTFOUND otherwise. */
static int store_message_owned(DB *db, unsigned long long message_id, unsigned long long account_id)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT m.id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE m.id = ? AND b.account_id = ? AND m.expires_at > UTC_TIMESTAMP(3)",
                      "uu", message_id, account_id);
    if (rc != 0)
        return rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    db_result_free(res);
    return rc;
}

static void store_attachment_from_row(const DB_RESULT *res, size_t row, long index,
                                      STORE_ATTACHMENT *att)
{
    memset(att, 0, sizeof(*att));
    att->index = index;
    snprintf(att->filename, sizeof(att->filename), "%s", db_get(res, row, 0));
    snprintf(att->content_type, sizeof(att->content_type), "%s", db_get(res, row, 1));
    att->size = (size_t)db_get_ll(res, row, 2);
}

int store_attachment_list(DB *db, unsigned long long message_id, unsigned long long account_id,
                          STORE_ATTACHMENT **list, size_t *count)
{
    DB_RESULT *res;
    int rc;

    *list = NULL;
    *count = 0;
    if ((rc = store_message_owned(db, message_id, account_id)) != 0)
        return rc;
    rc = db_query(db, &res,
                  "SELECT filename, content_type, size FROM attachments"
                  " WHERE message_id = ? ORDER BY id", "u", message_id);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0 && (*list = calloc(n, sizeof(**list))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++)
        store_attachment_from_row(res, i, (long)i, &(*list)[i]);
    *count = n;
    db_result_free(res);
    return 0;
}

int store_attachment_get(DB *db, unsigned long long message_id, unsigned long long account_id,
                         long index, STORE_ATTACHMENT *att, char **content, size_t *len)
{
    DB_RESULT *res;
    int rc;

    *content = NULL;
    *len = 0;
    if (index < 0)
        return STORE_NOTFOUND;
    if ((rc = store_message_owned(db, message_id, account_id)) != 0)
        return rc;
    rc = db_query(db, &res,
                  "SELECT filename, content_type, size, content FROM attachments"
                  " WHERE message_id = ? ORDER BY id LIMIT 1 OFFSET ?",
                  "ui", message_id, (long long)index);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0) {
        rc = STORE_NOTFOUND;
    } else {
        store_attachment_from_row(res, 0, index, att);
        *content = store_web_blob(res, 0, 3, len);
    }
    db_result_free(res);
    return rc;
}

int store_message_delete(DB *db, unsigned long long message_id, unsigned long long account_id)
{
    /* Attachments go with their message (ON DELETE CASCADE). */
    long long rc = db_exec(db,
                           "DELETE m FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                           " WHERE m.id = ? AND b.account_id = ?",
                           "uu", message_id, account_id);
    if (rc < 0)
        return (int)rc;
    return rc == 0 ? STORE_NOTFOUND : 0;
}

int store_mailbox_delete(DB *db, unsigned long long mailbox_id, unsigned long long account_id)
{
    /* Its messages and their attachments go with it (ON DELETE CASCADE). */
    long long rc = db_exec(db, "DELETE FROM mailboxes WHERE id = ? AND account_id = ?",
                           "uu", mailbox_id, account_id);
    if (rc < 0)
        return (int)rc;
    return rc == 0 ? STORE_NOTFOUND : 0;
}

int store_domain_available(DB *db, unsigned long long account_id, STORE_DOMAIN_NAME **names,
                           size_t *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT name, owner_id IS NULL FROM domains WHERE status = 'active'"
                      " AND (owner_id IS NULL OR owner_id = ?) ORDER BY owner_id IS NOT NULL, name",
                      "u", account_id);
    *names = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0 && (*names = calloc(n, sizeof(**names))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        snprintf((*names)[i].name, sizeof((*names)[i].name), "%s", db_get(res, i, 0));
        (*names)[i].is_system = (int)db_get_ll(res, i, 1);
    }
    *count = n;
    db_result_free(res);
    return 0;
}

int store_message_find_by_uuid(DB *db, const char *uuid, unsigned long long account_id,
                               unsigned long long *message_id)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT m.id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE m.uuid = ? AND b.account_id = ? AND m.expires_at > UTC_TIMESTAMP(3)",
                      "su", uuid, account_id);
    if (rc != 0)
        return rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    if (rc == 0)
        *message_id = (unsigned long long)db_get_ll(res, 0, 0);
    db_result_free(res);
    return rc;
}
