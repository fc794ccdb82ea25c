/*++
 * NAME
 *	store_webhook 3
 * SUMMARY
 *	webhooks, and the queue and log of their deliveries (see store.h)
 * DESCRIPTION
 *	The routes (cgi-bin/webhooks.c) use the first half: every statement
 *	names the account, so one account never reads or deletes another's.
 *
 *	The worker (tempmail-webhookd) uses the second half. New messages are
 *	found by id above a cursor, joined to the webhooks that match them; a
 *	UNIQUE (webhook_id, message_id) key makes queueing a pair twice
 *	harmless, which lets the worker look at a window of ids again (see
 *	tempmail-webhookd(8) on ids that commit out of order).
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "store.h"
#include "store_rows.h"

/* ---- the account's side ---------------------------------------------------- */

#define STORE_WEBHOOK_COLUMNS \
    "w.id, IF(w.mailbox_id IS NULL, 'domain', 'address')," \
    " COALESCE(b.address, d.name, ''), w.url, w.active, w.created_at"

#define STORE_WEBHOOK_FROM \
    " FROM webhooks w LEFT JOIN mailboxes b ON b.id = w.mailbox_id" \
    " LEFT JOIN domains d ON d.id = w.domain_id"

static void store_webhook_from_row(const DB_RESULT *res, size_t row, STORE_WEBHOOK *w)
{
    memset(w, 0, sizeof(*w));
    w->id = (unsigned long long)db_get_ll(res, row, 0);
    snprintf(w->scope, sizeof(w->scope), "%s", db_get(res, row, 1));
    snprintf(w->target, sizeof(w->target), "%s", db_get(res, row, 2));
    snprintf(w->url, sizeof(w->url), "%s", db_get(res, row, 3));
    w->active = db_get_ll(res, row, 4) != 0;
    snprintf(w->created_at, sizeof(w->created_at), "%s", db_get(res, row, 5));
}

int store_webhook_create(DB *db, unsigned long long account_id, unsigned long long mailbox_id,
                         unsigned long long domain_id, const char *url, const char *secret,
                         STORE_WEBHOOK *made)
{
    long long rc = db_exec(db,
                           "INSERT INTO webhooks (account_id, mailbox_id, domain_id, url, secret,"
                           " active, created_at)"
                           " VALUES (?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, 1, UTC_TIMESTAMP(3))",
                           "uuuss", account_id, mailbox_id, domain_id, url, secret);
    if (rc < 0)
        return (int)rc;
    return store_webhook_find_owned(db, db_insert_id(db), account_id, made);
}

int store_webhook_count(DB *db, unsigned long long account_id, long long *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT COUNT(*) FROM webhooks WHERE account_id = ?", "u",
                      account_id);
    if (rc != 0)
        return rc;
    *count = db_get_ll(res, 0, 0);
    db_result_free(res);
    return 0;
}

int store_webhook_list(DB *db, unsigned long long account_id, STORE_WEBHOOK **hooks,
                       size_t *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_WEBHOOK_COLUMNS STORE_WEBHOOK_FROM
                      " WHERE w.account_id = ? ORDER BY w.created_at DESC, w.id DESC",
                      "u", account_id);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    *hooks = NULL;
    if (n > 0 && (*hooks = calloc(n, sizeof(**hooks))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++)
        store_webhook_from_row(res, i, &(*hooks)[i]);
    *count = n;
    db_result_free(res);
    return 0;
}

int store_webhook_find_owned(DB *db, unsigned long long id, unsigned long long account_id,
                             STORE_WEBHOOK *hook)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_WEBHOOK_COLUMNS STORE_WEBHOOK_FROM
                      " WHERE w.id = ? AND w.account_id = ?", "uu", id, account_id);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 1)
        store_webhook_from_row(res, 0, hook);
    else
        rc = STORE_NOTFOUND;
    db_result_free(res);
    return rc;
}

int store_webhook_set_active(DB *db, unsigned long long id, unsigned long long account_id,
                             int active, STORE_WEBHOOK *hook)
{
    long long n = db_exec(db, "UPDATE webhooks SET active = ? WHERE id = ? AND account_id = ?",
                          "iuu", (long long)(active != 0), id, account_id);
    if (n < 0)
        return (int)n;
    /* 0 rows changed is also a webhook already in that state: read it to tell. */
    return store_webhook_find_owned(db, id, account_id, hook);
}

int store_webhook_delete(DB *db, unsigned long long id, unsigned long long account_id)
{
    long long n = db_exec(db, "DELETE FROM webhooks WHERE id = ? AND account_id = ?", "uu",
                          id, account_id);
    return n < 0 ? (int)n : n == 0 ? STORE_NOTFOUND : 0;
}

static void store_copy_or_empty(char *out, size_t len, const DB_RESULT *res, size_t row,
                                unsigned col)
{
    snprintf(out, len, "%s", db_isnull(res, row, col) ? "" : db_get(res, row, col));
}

int store_delivery_list(DB *db, unsigned long long webhook_id, unsigned long long account_id,
                        long page, long per_page, STORE_DELIVERY **rows, size_t *count,
                        long long *total)
{
    STORE_WEBHOOK hook;
    DB_RESULT *res;
    int rc;

    if ((rc = store_webhook_find_owned(db, webhook_id, account_id, &hook)) != 0)
        return rc;
    if ((rc = db_query(db, &res, "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?",
                       "u", webhook_id)) != 0)
        return rc;
    *total = db_get_ll(res, 0, 0);
    db_result_free(res);
    rc = db_query(db, &res,
                  "SELECT id, message_id, message_uuid, address, state, attempts, last_status,"
                  " last_error, created_at, last_attempt_at, next_attempt_at, finished_at"
                  " FROM webhook_deliveries WHERE webhook_id = ?"
                  " ORDER BY id DESC LIMIT ? OFFSET ?",
                  "uii", webhook_id, (long long)per_page, (long long)(page - 1) * per_page);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    *rows = NULL;
    if (n > 0 && (*rows = calloc(n, sizeof(**rows))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        STORE_DELIVERY *d = &(*rows)[i];
        d->id = (unsigned long long)db_get_ll(res, i, 0);
        d->message_id = (unsigned long long)db_get_ll(res, i, 1);
        snprintf(d->message_uuid, sizeof(d->message_uuid), "%s", db_get(res, i, 2));
        snprintf(d->address, sizeof(d->address), "%s", db_get(res, i, 3));
        snprintf(d->state, sizeof(d->state), "%s", db_get(res, i, 4));
        d->attempts = (long)db_get_ll(res, i, 5);
        d->last_status = db_isnull(res, i, 6) ? 0 : (int)db_get_ll(res, i, 6);
        snprintf(d->last_error, sizeof(d->last_error), "%s", db_get(res, i, 7));
        store_copy_or_empty(d->created_at, sizeof(d->created_at), res, i, 8);
        store_copy_or_empty(d->last_attempt_at, sizeof(d->last_attempt_at), res, i, 9);
        store_copy_or_empty(d->next_attempt_at, sizeof(d->next_attempt_at), res, i, 10);
        store_copy_or_empty(d->finished_at, sizeof(d->finished_at), res, i, 11);
    }
    *count = n;
    db_result_free(res);
    return 0;
}

/* ---- the worker's side ------------------------------------------------------ */

int store_webhook_cursor(DB *db, unsigned long long *cursor)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT value FROM webhook_state WHERE name = 'cursor'", "");
    if (rc != 0)
        return rc;
    *cursor = db_rows(res) == 1 ? (unsigned long long)db_get_ll(res, 0, 0) : 0;
    db_result_free(res);
    return 0;
}

int store_webhook_cursor_set(DB *db, unsigned long long cursor)
{
    long long rc = db_exec(db,
                           "INSERT INTO webhook_state (name, value) VALUES ('cursor', ?)"
                           " ON DUPLICATE KEY UPDATE value = GREATEST(value, VALUES(value))",
                           "u", cursor);
    return rc < 0 ? (int)rc : 0;
}

int store_message_max_id(DB *db, unsigned long long *id)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT COALESCE(MAX(id), 0) FROM messages", "");
    if (rc != 0)
        return rc;
    *id = (unsigned long long)db_get_ll(res, 0, 0);
    db_result_free(res);
    return 0;
}

/* One half of the arrivals: (message id, webhook id) pairs, ascending. */
struct store_arrivals {
    unsigned long long *ids;            /* message ids */
    unsigned long long *hooks;          /* their webhook ids */
    size_t count;
};

static int store_arrivals_read(DB *db, const char *sql, unsigned long long after, long limit,
                               struct store_arrivals *half)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, sql, "ui", after, (long long)limit);

    memset(half, 0, sizeof(*half));
    if (rc != 0)
        return rc;
    half->count = db_rows(res);
    if (half->count > 0 && ((half->ids = calloc(half->count, sizeof(*half->ids))) == NULL
                            || (half->hooks = calloc(half->count, sizeof(*half->hooks))) == NULL))
        log_fatal("out of memory");
    for (size_t i = 0; i < half->count; i++) {
        half->ids[i] = (unsigned long long)db_get_ll(res, i, 0);
        half->hooks[i] = (unsigned long long)db_get_ll(res, i, 1);
    }
    db_result_free(res);
    return 0;
}

/*
 * Two halves, one per kind of scope, each driven from the (few) webhooks
 * rather than from the messages: a mailbox's messages by its index, a
 * domain's through the account's mailboxes on it. A domain webhook only
 * ever sees its own account's mailboxes, also on a shared system domain.
 * A paused webhook is queued for too: its deliveries wait for it to be
 * resumed (store_delivery_claim() takes only active ones).
 *
 * The halves sort and cut only ids, and each kept pair's message is read
 * by its primary key afterwards. A sort over rows that carry the text
 * columns goes to an on-disk (Aria) temporary table: five files made and
 * removed in the server's tmpdir at every scan, one scan every few
 * arrivals, even where no webhook exists. (Sorting ids in a derived table
 * and joining the columns to it was not enough: a prepared statement run a
 * second time sorted on disk again.) The halves are merged here, not by
 * UNION ALL ... ORDER BY, for the same reason, and MariaDB 10.11.19
 * crashed (signal 11 in create_tmp_table's cleanup) on that.
 */
int store_webhook_arrivals(DB *db, unsigned long long after, long limit,
                           STORE_MESSAGE **messages, unsigned long long **webhook_ids,
                           size_t *count)
{
    static const char by_mailbox[] =
        "SELECT m.id, w.id FROM webhooks w JOIN messages m ON m.mailbox_id = w.mailbox_id"
        " LEFT JOIN webhook_deliveries q ON q.webhook_id = w.id AND q.message_id = m.id"
        " WHERE w.mailbox_id IS NOT NULL AND m.id > ?"
        " AND m.received_at >= w.created_at AND q.id IS NULL"
        " ORDER BY m.id, w.id LIMIT ?";
    static const char by_domain[] =
        "SELECT m.id, w.id FROM webhooks w JOIN mailboxes b ON b.domain_id = w.domain_id"
        " AND b.account_id = w.account_id"
        " JOIN messages m ON m.mailbox_id = b.id"
        " LEFT JOIN webhook_deliveries q ON q.webhook_id = w.id AND q.message_id = m.id"
        " WHERE w.domain_id IS NOT NULL AND m.id > ?"
        " AND m.received_at >= w.created_at AND q.id IS NULL"
        " ORDER BY m.id, w.id LIMIT ?";
    static const char one_message[] =
        "SELECT " STORE_MESSAGE_COLUMNS " FROM messages m"
        " JOIN mailboxes b ON b.id = m.mailbox_id WHERE m.id = ?";
    struct store_arrivals a, d;
    int rc;

    *messages = NULL;
    *webhook_ids = NULL;
    *count = 0;
    if ((rc = store_arrivals_read(db, by_mailbox, after, limit, &a)) != 0)
        return rc;
    if ((rc = store_arrivals_read(db, by_domain, after, limit, &d)) != 0) {
        free(a.ids);
        free(a.hooks);
        return rc;
    }

    /* The first limit pairs of both, in (message id, webhook id) order, with their messages. */
    size_t total = a.count + d.count, keep = total < (size_t)limit ? total : (size_t)limit;
    if (keep > 0) {
        if ((*messages = calloc(keep, sizeof(**messages))) == NULL
            || (*webhook_ids = calloc(keep, sizeof(**webhook_ids))) == NULL)
            log_fatal("out of memory");
    }
    size_t i = 0, j = 0, n = 0;
    for (size_t k = 0; k < keep && rc == 0; k++) {
        int from_a = j == d.count
            || (i < a.count && (a.ids[i] < d.ids[j]
                                || (a.ids[i] == d.ids[j] && a.hooks[i] < d.hooks[j])));
        struct store_arrivals *h = from_a ? &a : &d;
        size_t *at = from_a ? &i : &j;
        DB_RESULT *res;
        if ((rc = db_query(db, &res, one_message, "u", h->ids[*at])) == 0) {
            STORE_MESSAGE *row;
            size_t rows;
            store_messages_from_result(res, &row, &rows);
            db_result_free(res);
            if (rows == 1) {            /* none: the message was deleted meanwhile */
                (*messages)[n] = row[0];
                (*webhook_ids)[n++] = h->hooks[*at];
                free(row);
            } else {
                store_messages_free(row, rows);
            }
        }
        (*at)++;
    }
    free(a.ids);
    free(a.hooks);
    free(d.ids);
    free(d.hooks);
    if (rc != 0) {
        store_messages_free(*messages, n);
        free(*webhook_ids);
        *messages = NULL;
        *webhook_ids = NULL;
        return rc;
    }
    *count = n;
    /* Cut at the limit: say so even when a deleted message left fewer than limit. */
    return keep == (size_t)limit ? 1 : 0;
}

int store_delivery_enqueue(DB *db, unsigned long long webhook_id, const STORE_MESSAGE *m,
                           const char *payload, size_t len)
{
    /* IGNORE: the pair queued already (a window looked at again), or the webhook just deleted. */
    long long rc = db_exec(db,
                           "INSERT IGNORE INTO webhook_deliveries (webhook_id, message_id,"
                           " message_uuid, address, payload, state, attempts, next_attempt_at,"
                           " created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, UTC_TIMESTAMP(3),"
                           " UTC_TIMESTAMP(3))",
                           "uussb", webhook_id, m->id, m->uuid, m->recipient, payload, len);
    return rc < 0 ? (int)rc : 0;
}

static char *store_dup_len(const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL)
        log_fatal("out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

int store_delivery_claim(DB *db, long limit, long lease, STORE_DUE **due, size_t *count)
{
    DB_RESULT *res;
    /*
     * STRAIGHT_JOIN: the queue first, in the order of its due index, so that
     * the server stops after limit rows. Left to itself it starts from the
     * few webhooks and sorts every pending delivery, payloads and all.
     */
    int rc = db_query(db, &res,
                      "SELECT STRAIGHT_JOIN d.id, d.webhook_id, d.attempts, w.url, w.secret,"
                      " d.payload FROM webhook_deliveries d FORCE INDEX (webhook_deliveries_due)"
                      " JOIN webhooks w ON w.id = d.webhook_id"
                      " WHERE d.state = 'pending' AND d.next_attempt_at <= UTC_TIMESTAMP(3)"
                      " AND w.active = 1 ORDER BY d.next_attempt_at, d.id LIMIT ?",
                      "i", (long long)limit);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    *due = NULL;
    *count = 0;
    /* The leases in one transaction: one log flush for the lot. */
    if (n > 0 && (rc = db_begin(db)) != 0) {
        db_result_free(res);
        return rc;
    }
    if (n > 0 && (*due = calloc(n, sizeof(**due))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        STORE_DUE *d = &(*due)[i];
        d->id = (unsigned long long)db_get_ll(res, i, 0);
        d->webhook_id = (unsigned long long)db_get_ll(res, i, 1);
        d->attempts = (long)db_get_ll(res, i, 2);
        d->url = store_dup_len(db_get(res, i, 3), db_len(res, i, 3));
        d->secret = store_dup_len(db_get(res, i, 4), db_len(res, i, 4));
        d->payload = store_dup_len(db_get(res, i, 5), db_len(res, i, 5));
        d->payload_len = db_len(res, i, 5);
        *count = i + 1;
        long long up = db_exec(db,
                               "UPDATE webhook_deliveries"
                               " SET next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
                               " WHERE id = ?", "iu", (long long)lease, d->id);
        if (up < 0) {
            rc = (int)up;
            break;
        }
    }
    db_result_free(res);
    if (n > 0 && rc == 0)
        rc = db_commit(db);
    else if (n > 0)
        db_rollback(db);
    if (rc != 0) {
        store_due_free(*due, *count);
        *due = NULL;
        *count = 0;
    }
    return rc;
}

void store_due_clear(STORE_DUE *due)
{
    free(due->url);
    if (due->secret != NULL)
        sodium_memzero(due->secret, strlen(due->secret));
    free(due->secret);
    free(due->payload);
    memset(due, 0, sizeof(*due));
}

void store_due_free(STORE_DUE *due, size_t count)
{
    for (size_t i = 0; i < count; i++)
        store_due_clear(&due[i]);
    free(due);
}

int store_delivery_delivered(DB *db, unsigned long long id, int status)
{
    long long rc = db_exec(db,
                           "UPDATE webhook_deliveries SET state = 'delivered',"
                           " attempts = attempts + 1, last_status = ?, last_error = '',"
                           " last_attempt_at = UTC_TIMESTAMP(3), next_attempt_at = NULL,"
                           " finished_at = UTC_TIMESTAMP(3) WHERE id = ? AND state = 'pending'",
                           "iu", (long long)status, id);
    return rc < 0 ? (int)rc : 0;
}

int store_delivery_retry(DB *db, unsigned long long id, int status, const char *error,
                         long delay, long retry_for)
{
    /* Every condition reads created_at and the statement's one UTC_TIMESTAMP, never a column set here. */
    long long rc = db_exec(db,
                           "UPDATE webhook_deliveries SET attempts = attempts + 1,"
                           " last_status = NULLIF(?, 0), last_error = LEFT(?, 255),"
                           " last_attempt_at = UTC_TIMESTAMP(3),"
                           " state = IF(UTC_TIMESTAMP(3) >= created_at + INTERVAL ? SECOND,"
                           "  'failed', 'pending'),"
                           " finished_at = IF(UTC_TIMESTAMP(3) >= created_at + INTERVAL ? SECOND,"
                           "  UTC_TIMESTAMP(3), NULL),"
                           " next_attempt_at = IF(UTC_TIMESTAMP(3) >= created_at + INTERVAL ? SECOND,"
                           "  NULL, LEAST(UTC_TIMESTAMP(3) + INTERVAL ? SECOND,"
                           "  created_at + INTERVAL ? SECOND))"
                           " WHERE id = ? AND state = 'pending'",
                           "isiiiiiu", (long long)status, error, (long long)retry_for,
                           (long long)retry_for, (long long)retry_for, (long long)delay,
                           (long long)retry_for, id);
    return rc < 0 ? (int)rc : 0;
}

int store_delivery_next_due(DB *db, long long *ms)
{
    DB_RESULT *res;
    /* The first row in due order, not MIN(): see store_delivery_claim(). */
    int rc = db_query(db, &res,
                      "SELECT STRAIGHT_JOIN GREATEST(0, TIMESTAMPDIFF(MICROSECOND,"
                      " UTC_TIMESTAMP(6), d.next_attempt_at)) DIV 1000"
                      " FROM webhook_deliveries d FORCE INDEX (webhook_deliveries_due)"
                      " JOIN webhooks w ON w.id = d.webhook_id"
                      " WHERE d.state = 'pending' AND w.active = 1"
                      " ORDER BY d.next_attempt_at LIMIT 1", "");
    if (rc != 0)
        return rc;
    *ms = db_rows(res) == 1 && !db_isnull(res, 0, 0) ? db_get_ll(res, 0, 0) : -1;
    db_result_free(res);
    return 0;
}

#define STORE_PRUNE_BATCH   1000

int store_delivery_expire_paused(DB *db, long retry_for, long *failed)
{
    long long n = db_exec(db,
                          "UPDATE webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
                          " SET d.state = 'failed', d.finished_at = UTC_TIMESTAMP(3),"
                          " d.next_attempt_at = NULL,"
                          " d.last_error = 'paused for longer than webhook_retry_for'"
                          " WHERE w.active = 0 AND d.state = 'pending'"
                          " AND d.created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND",
                          "i", (long long)retry_for);
    if (n < 0)
        return (int)n;
    *failed = (long)n;
    return 0;
}

int store_delivery_prune(DB *db, long keep, long *deleted)
{
    long long n;

    *deleted = 0;
    do {
        n = db_exec(db,
                    "DELETE FROM webhook_deliveries"
                    " WHERE finished_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT ?",
                    "ii", (long long)keep, (long long)STORE_PRUNE_BATCH);
        if (n < 0)
            return (int)n;
        *deleted += (long)n;
    } while (n >= STORE_PRUNE_BATCH);
    return 0;
}
