/*++
 * NAME
 *	store_mailbox 3
 * SUMMARY
 *	mailboxes, and the reads of their messages (see store.h)
 *--*/

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "batch.h"
#include "log.h"
#include "store.h"
#include "store_rows.h"

static void store_mailbox_from_row(const DB_RESULT *res, size_t row, STORE_MAILBOX *box)
{
    memset(box, 0, sizeof(*box));
    box->id = (unsigned long long)db_get_ll(res, row, 0);
    box->account_id = (unsigned long long)db_get_ll(res, row, 1);
    box->api_key_id = (unsigned long long)db_get_ll(res, row, 2);
    box->domain_id = (unsigned long long)db_get_ll(res, row, 3);
    snprintf(box->address, sizeof(box->address), "%s", db_get(res, row, 4));
    snprintf(box->created_at, sizeof(box->created_at), "%s", db_get(res, row, 5));
}

/*
 * The generates of one account that come while one of its transactions is on its way go
 * together (batch(3)): one transaction debits and inserts for them all (at once when the
 * balance covers all and no address is taken, else for each in turn) and one commit ends
 * them all, where each used to queue for the account row's lock and pay a commit of its
 * own. Each still has its own outcome: the debit happens only when the balance covers
 * it (402 for the ones it no longer covers), and a member whose address is taken gets its
 * debit back in the same transaction (409).
 */
struct store_mailbox_new {
    DB *db;                                 /* the caller's own connection */
    const STORE_PRINCIPAL *who;
    const STORE_DOMAIN *domain;
    const char *address, *price;
    STORE_MAILBOX *made;
    char *new_balance;
    size_t balance_len;
    int rc;                                 /* its outcome */
};

struct store_mailbox_batch {
    void **members;                         /* struct store_mailbox_new */
    size_t count;
};

static BATCH_TABLE store_mailbox_batches = BATCH_TABLE_INIT;

/* One member's debit and insert, inside the batch's transaction. */
static int store_mailbox_create_one(DB *db, struct store_mailbox_new *m)
{
    DB_RESULT *res = NULL;

    /*
     * The debit only happens when the balance covers it: no overdraft under concurrency.
     * It leaves the new balance in a session variable, and the INSERT hands it back with
     * the new row (RETURNING): no SELECT after them.
     */
    long long rc = db_exec(db,
                           "UPDATE accounts SET balance = (@tempmail_balance := balance"
                           " - CAST(? AS DECIMAL(18,6)))"
                           " WHERE id = ? AND balance >= CAST(? AS DECIMAL(18,6))",
                           "sus", m->price, m->who->account_id, m->price);
    if (rc == 0)
        return STORE_NOFUNDS;
    if (rc < 0)
        return (int)rc;
    rc = db_query(db, &res,
                  "INSERT INTO mailboxes (address, domain_id, account_id, api_key_id, created_at)"
                  " VALUES (?, ?, ?, NULLIF(?, 0), UTC_TIMESTAMP(3))"
                  " RETURNING id, account_id, api_key_id, domain_id, address, created_at,"
                  " CAST(@tempmail_balance AS DECIMAL(18,6))",
                  "suuu", m->address, m->domain->id, m->who->account_id, m->who->key_id);
    if (rc == 0 && db_rows(res) == 1) {
        store_mailbox_from_row(res, 0, m->made);
        snprintf(m->new_balance, m->balance_len, "%s", db_get(res, 0, 6));
    } else if (rc == 0) {
        rc = DB_EFAIL;
    }
    db_result_free(res);
    /* A taken address fails only its own statement: give its debit back, go on. */
    if (rc == DB_EDUP
        && db_exec(db, "UPDATE accounts SET balance = balance + CAST(? AS DECIMAL(18,6))"
                       " WHERE id = ?", "su", m->price, m->who->account_id) != 1)
        return DB_EFAIL;
    return (int)rc;
}

/*
 * A DECIMAL(18,6) of at least 0 as MariaDB writes it ("12.340000") in millionths; -1 when
 * not one. 18 digits fit a long long.
 */
static int store_micros(const char *text, long long *micros)
{
    long long whole = 0, frac = 0;
    int digits = 0;
    const char *p = text;

    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++)
        whole = whole * 10 + (*p - '0');
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p) && digits < 6; p++, digits++)
            frac = frac * 10 + (*p - '0');
    if (*p != '\0' || digits != 6)
        return -1;
    *micros = whole * 1000000 + frac;
    return 0;
}

#define STORE_CREATE_EACH   1               /* store_mailbox_create_all(): member by member */

/*
 * The common case of a batch in three statements, whatever its size: the balance covers
 * every member and no address is taken. One debit of them all; one INSERT of all their
 * rows, read from a JSON array (so the statement is the same for any size and prepared
 * once), handing back each row and the balance after the last debit. A member's balance
 * is that plus the prices of the members after it, as if they had run one after another
 * (the debit leaves at least 0, so every balance is one store_micros() reads).
 * STORE_CREATE_EACH when the balance is short or an address taken: nothing of it is left
 * (the debit given back), and the caller goes member by member.
 */
static int store_mailbox_create_all(DB *db, const struct store_mailbox_batch *batch)
{
    const struct store_mailbox_new *first = batch->members[0];
    unsigned long long account_id = first->who->account_id;
    long long n = (long long)batch->count;
    DB_RESULT *res = NULL;

    json_object *rows = json_object_new_array();
    for (size_t i = 0; i < batch->count; i++) {
        const struct store_mailbox_new *m = batch->members[i];
        if (strcmp(m->price, first->price) != 0) {
            json_object_put(rows);
            return STORE_CREATE_EACH;       /* not one price */
        }
        json_object *row = json_object_new_object();
        json_object_object_add(row, "a", json_object_new_string(m->address));
        json_object_object_add(row, "d", json_object_new_uint64(m->domain->id));
        json_object_object_add(row, "k", json_object_new_uint64(m->who->key_id));
        json_object_array_add(rows, row);
    }
    long long rc = db_exec(db,
                           "UPDATE accounts SET balance = (@tempmail_balance := balance"
                           " - CAST(? AS DECIMAL(18,6)) * ?)"
                           " WHERE id = ? AND balance >= CAST(? AS DECIMAL(18,6)) * ?",
                           "siusi", first->price, n, account_id, first->price, n);
    if (rc <= 0) {
        json_object_put(rows);
        return rc == 0 ? STORE_CREATE_EACH : (int)rc;
    }
    rc = db_query(db, &res,
                  "INSERT INTO mailboxes (address, domain_id, account_id, api_key_id, created_at)"
                  " SELECT j.address, j.domain_id, ?, NULLIF(j.key_id, 0), UTC_TIMESTAMP(3)"
                  " FROM JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY,"
                  "  address VARCHAR(320) PATH '$.a', domain_id BIGINT UNSIGNED PATH '$.d',"
                  "  key_id BIGINT UNSIGNED PATH '$.k')) j"
                  " ORDER BY j.n"
                  " RETURNING id, account_id, api_key_id, domain_id, address, created_at,"
                  " CAST(@tempmail_balance AS DECIMAL(18,6)), CAST(? AS DECIMAL(18,6))",
                  "uss", account_id, json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PLAIN),
                  first->price);
    json_object_put(rows);
    if (rc == DB_EDUP) {
        /* One of them is taken: the INSERT undid itself; give the debit back too. */
        if (db_exec(db, "UPDATE accounts SET balance = balance + CAST(? AS DECIMAL(18,6)) * ?"
                        " WHERE id = ?", "siu", first->price, n, account_id) != 1)
            return DB_EFAIL;
        return STORE_CREATE_EACH;
    }
    if (rc != 0)
        return (int)rc;
    long long after, price;
    if (db_rows(res) != batch->count || store_micros(db_get(res, 0, 6), &after) != 0
        || store_micros(db_get(res, 0, 7), &price) != 0) {
        db_result_free(res);
        return DB_EFAIL;
    }
    /* Each row to the member whose address it has; member i was debited before i + 1. */
    for (size_t i = 0; i < batch->count; i++) {
        struct store_mailbox_new *m = batch->members[i];
        long long balance = after + (n - 1 - (long long)i) * price;
        size_t row;
        for (row = 0; row < db_rows(res) && strcmp(db_get(res, row, 4), m->address) != 0; row++)
            ;
        if (row == db_rows(res)) {
            db_result_free(res);
            return DB_EFAIL;
        }
        store_mailbox_from_row(res, row, m->made);
        snprintf(m->new_balance, m->balance_len, "%lld.%06lld", balance / 1000000,
                 balance % 1000000);
        m->rc = 0;
    }
    db_result_free(res);
    return 0;
}

static int store_mailbox_create_txn(DB *db, void *arg)
{
    const struct store_mailbox_batch *batch = arg;

    if (batch->count > 1) {
        int rc = store_mailbox_create_all(db, batch);
        if (rc != STORE_CREATE_EACH)
            return rc;                      /* made, all of them; or the transaction failed */
    }
    for (size_t i = 0; i < batch->count; i++) {
        struct store_mailbox_new *m = batch->members[i];
        if ((m->rc = store_mailbox_create_one(db, m)) != 0 && m->rc != STORE_NOFUNDS
            && m->rc != DB_EDUP)
            return m->rc;                   /* the whole transaction fails (or is retried) */
    }
    return 0;
}

static void store_mailbox_create_run(void *db, void **members, size_t count)
{
    struct store_mailbox_batch batch = { members, count };
    int rc = db_txn(db, store_mailbox_create_txn, &batch);

    for (size_t i = 0; rc != 0 && i < count; i++) {
        struct store_mailbox_new *m = members[i];
        m->rc = rc;
        db_take_error(m->db, db);
    }
}

int store_mailbox_create(DB *db, const STORE_PRINCIPAL *who, const STORE_DOMAIN *domain,
                         const char *address, const char *price, STORE_MAILBOX *made,
                         char *new_balance, size_t balance_len)
{
    struct store_mailbox_new m = { db, who, domain, address, price, made, new_balance,
                                   balance_len, DB_EFAIL };
    char key[64];

    snprintf(key, sizeof(key), "account:%llu", who->account_id);
    batch_run(&store_mailbox_batches, key, &m, store_mailbox_create_run, db);
    return m.rc;
}

long long store_mailbox_create_runs(void)
{
    return batch_runs(&store_mailbox_batches);
}

int store_mailbox_find_owned(DB *db, const char *address, unsigned long long account_id,
                             STORE_MAILBOX *box)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT id, account_id, api_key_id, domain_id, address, created_at"
                      " FROM mailboxes WHERE address = ? AND account_id = ?"
                      " AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(3))",
                      "su", address, account_id);
    if (rc != 0)
        return rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    if (rc == 0)
        store_mailbox_from_row(res, 0, box);
    db_result_free(res);
    return rc;
}

int store_mailbox_list(DB *db, unsigned long long account_id, long page, long per_page,
                       STORE_MAILBOX **boxes, size_t *count, long long *total)
{
    DB_RESULT *res;
    int rc;

    *boxes = NULL;
    *count = 0;
    rc = db_query(db, &res, "SELECT COUNT(*) FROM mailboxes WHERE account_id = ?", "u", account_id);
    if (rc != 0)
        return rc;
    *total = db_get_ll(res, 0, 0);
    db_result_free(res);

    rc = db_query(db, &res,
                  "SELECT id, account_id, api_key_id, domain_id, address, created_at"
                  " FROM mailboxes WHERE account_id = ?"
                  " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                  "uii", account_id, (long long)per_page, (long long)(page - 1) * per_page);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0) {
        if ((*boxes = calloc(n, sizeof(**boxes))) == NULL)
            log_fatal("out of memory");
        for (size_t i = 0; i < n; i++)
            store_mailbox_from_row(res, i, &(*boxes)[i]);
    }
    *count = n;
    db_result_free(res);
    return 0;
}

static char *store_strdup(const char *s)
{
    char *copy = strdup(s);
    if (copy == NULL)
        log_fatal("out of memory");
    return copy;
}

/* What a query of STORE_MESSAGE_COLUMNS gave (rc, res): its rows into *messages, or rc. */
static int store_messages_taken(int rc, DB_RESULT *res, STORE_MESSAGE **messages, size_t *count)
{
    *messages = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    store_messages_from_result(res, messages, count);
    db_result_free(res);
    return 0;
}

int store_messages_of_mailbox(DB *db, unsigned long long mailbox_id, const char *since,
                              STORE_MESSAGE **messages, size_t *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_MESSAGE_COLUMNS
                      " FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE m.mailbox_id = ? AND m.expires_at > UTC_TIMESTAMP(3)"
                      " AND (? IS NULL OR m.received_at > ?)"
                      " ORDER BY m.received_at DESC, m.id DESC",
                      "uss", mailbox_id, since, since);
    return store_messages_taken(rc, res, messages, count);
}

/*
 * The account's live mailbox at address joined with its live messages (since: only newer),
 * newest first; the parameters are address, account_id, since, since. The inner join lets
 * the index (mailbox_id, received_at) give the order, where a LEFT JOIN sorted the bodies
 * in a temporary table; so an empty answer says nothing yet of the mailbox.
 */
#define STORE_INBOX_FROM \
    " FROM mailboxes b JOIN messages m ON m.mailbox_id = b.id" \
    " WHERE b.address = ? AND b.account_id = ?" \
    " AND (b.expires_at IS NULL OR b.expires_at > UTC_TIMESTAMP(3))" \
    " AND m.expires_at > UTC_TIMESTAMP(3) AND (? IS NULL OR m.received_at > ?)" \
    " ORDER BY m.received_at DESC, m.id DESC"

/* After an empty STORE_INBOX_FROM: an empty inbox (its id in *mailbox_id), or none. */
static int store_inbox_empty(DB *db, const char *address, unsigned long long account_id,
                             unsigned long long *mailbox_id)
{
    STORE_MAILBOX box;
    int rc = store_mailbox_find_owned(db, address, account_id, &box);

    if (rc == 0)
        *mailbox_id = box.id;
    return rc;
}

int store_mailbox_messages(DB *db, const char *address, unsigned long long account_id,
                           const char *since, unsigned long long *mailbox_id,
                           STORE_MESSAGE **messages, size_t *count)
{
    DB_RESULT *res;
    /*
     * The mailbox and its messages in one statement, so that a read of an inbox that has
     * mail (most reads) costs one. Only an empty answer needs the mailbox looked up, to
     * tell an empty inbox from none.
     */
    int rc = db_query(db, &res,
                      "SELECT " STORE_MESSAGE_COLUMNS ", b.id"
                      STORE_INBOX_FROM,
                      "suss", address, account_id, since, since);
    *messages = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    if (db_rows(res) > 0) {
        *mailbox_id = (unsigned long long)db_get_ll(res, 0, 10);
        store_messages_from_result(res, messages, count);
        db_result_free(res);
        return 0;
    }
    db_result_free(res);
    return store_inbox_empty(db, address, account_id, mailbox_id);
}

static int store_inbox_keys(DB *db, const char *address, unsigned long long account_id,
                            const char *since, unsigned long long *mailbox_id,
                            STORE_MESSAGE_KEY **keys, size_t *count)
{
    DB_RESULT *res;
    /* store_mailbox_messages()'s statement and order, without the columns. */
    int rc = db_query(db, &res,
                      "SELECT m.id, m.uuid, b.id"
                      STORE_INBOX_FROM,
                      "suss", address, account_id, since, since);
    *keys = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0) {
        if ((*keys = malloc(n * sizeof(**keys))) == NULL)
            log_fatal("out of memory");
        for (size_t i = 0; i < n; i++) {
            (*keys)[i].id = (unsigned long long)db_get_ll(res, i, 0);
            snprintf((*keys)[i].uuid, sizeof((*keys)[i].uuid), "%s", db_get(res, i, 1));
        }
        *mailbox_id = (unsigned long long)db_get_ll(res, 0, 2);
        *count = n;
        db_result_free(res);
        return 0;
    }
    db_result_free(res);
    return store_inbox_empty(db, address, account_id, mailbox_id);
}

/*
 * Reads of one inbox that come while a listing of it is on its way share the next one
 * (batch(3)): 32 connections reading one inbox each paid MariaDB the query (make bench,
 * issue 9). The shared listing begins after each member came, so each sees every message
 * stored before its request, and none deleted before it.
 */
struct store_inbox_request {
    DB *db;                                 /* the caller's own connection */
    const char *address, *since;
    unsigned long long account_id, *mailbox_id;
    STORE_MESSAGE_KEY **keys;
    size_t *count;
    int rc;
};

static BATCH_TABLE store_inbox_batches = BATCH_TABLE_INIT;

static void store_inbox_keys_run(void *db, void **args, size_t n)
{
    const struct store_inbox_request *first = args[0];
    STORE_MESSAGE_KEY *keys = NULL;
    unsigned long long mailbox_id = 0;
    size_t count = 0;
    int rc = store_inbox_keys(db, first->address, first->account_id, first->since, &mailbox_id,
                              &keys, &count);

    for (size_t i = 0; i < n; i++) {
        struct store_inbox_request *r = args[i];
        r->rc = rc;
        *r->mailbox_id = mailbox_id;
        *r->count = count;
        *r->keys = NULL;
        if (rc != 0 && rc != STORE_NOTFOUND)
            db_take_error(r->db, db);
        if (rc != 0 || count == 0)
            continue;
        if (i == 0) {
            *r->keys = keys;                /* the leader's is the one read */
        } else {
            if ((*r->keys = malloc(count * sizeof(*keys))) == NULL)
                log_fatal("out of memory");
            memcpy(*r->keys, keys, count * sizeof(*keys));
        }
    }
    if (rc != 0)
        free(keys);
}

int store_mailbox_message_keys(DB *db, const char *address, unsigned long long account_id,
                               const char *since, unsigned long long *mailbox_id,
                               STORE_MESSAGE_KEY **keys, size_t *count)
{
    struct store_inbox_request r = { db, address, since, account_id, mailbox_id, keys, count,
                                     DB_EFAIL };
    char key[BATCH_KEY_MAX * 2];

    *keys = NULL;
    *count = 0;
    /* A key too long for a batch (an address near 254 bytes with since) runs alone. */
    snprintf(key, sizeof(key), "inbox:%llu:%s%s:%s", account_id, since ? "=" : "",
             since ? since : "", address);
    batch_run(&store_inbox_batches, key, &r, store_inbox_keys_run, db);
    return r.rc;
}

long long store_mailbox_listings(void)
{
    return batch_runs(&store_inbox_batches);
}

int store_messages_between(DB *db, unsigned long long mailbox_id, unsigned long long lo,
                           unsigned long long hi, STORE_MESSAGE **messages, size_t *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_MESSAGE_COLUMNS
                      " FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE m.mailbox_id = ? AND m.id BETWEEN ? AND ?"
                      " AND m.expires_at > UTC_TIMESTAMP(3)",
                      "uuu", mailbox_id, lo, hi);
    return store_messages_taken(rc, res, messages, count);
}

int store_messages_after(DB *db, unsigned long long mailbox_id, unsigned long long after_id,
                         long limit, STORE_MESSAGE **messages, size_t *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_MESSAGE_COLUMNS
                      " FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE m.mailbox_id = ? AND m.id > ? AND m.expires_at > UTC_TIMESTAMP(3)"
                      " ORDER BY m.id LIMIT ?",
                      "uui", mailbox_id, after_id, (long long)limit);
    return store_messages_taken(rc, res, messages, count);
}

int store_messages_last_id(DB *db, unsigned long long mailbox_id, unsigned long long *id)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT COALESCE(MAX(id), 0) FROM messages WHERE mailbox_id = ?",
                      "u", mailbox_id);
    if (rc != 0)
        return rc;
    *id = (unsigned long long)db_get_ll(res, 0, 0);
    db_result_free(res);
    return 0;
}

void store_messages_from_result(const DB_RESULT *res, STORE_MESSAGE **messages, size_t *count)
{
    size_t n = db_rows(res);

    *messages = NULL;
    if (n > 0 && (*messages = calloc(n, sizeof(**messages))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        STORE_MESSAGE *m = &(*messages)[i];
        m->id = (unsigned long long)db_get_ll(res, i, 0);
        snprintf(m->uuid, sizeof(m->uuid), "%s", db_get(res, i, 1));
        m->recipient = store_strdup(db_get(res, i, 2));
        m->envelope_from = store_strdup(db_get(res, i, 3));
        m->header_from = store_strdup(db_get(res, i, 4));
        m->subject = store_strdup(db_get(res, i, 5));
        m->message_id = store_strdup(db_get(res, i, 6));
        m->body_text = store_strdup(db_get(res, i, 7));
        m->body_html = store_strdup(db_get(res, i, 8));
        snprintf(m->received_at, sizeof(m->received_at), "%s", db_get(res, i, 9));
    }
    *count = n;
}

void store_messages_free(STORE_MESSAGE *messages, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(messages[i].recipient);
        free(messages[i].envelope_from);
        free(messages[i].header_from);
        free(messages[i].subject);
        free(messages[i].message_id);
        free(messages[i].body_text);
        free(messages[i].body_html);
    }
    free(messages);
}
