/*++
 * NAME
 *	store_account 3
 * SUMMARY
 *	accounts and API keys (see store.h)
 *--*/

#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_rows.h"

/*
 * The rule for last_used: it is written when the key was last noted more than
 * STORE_KEY_USE_EVERY_US microseconds (1 s) ago, so it is never more than a second behind
 * the truth (the listing shows when a key was last used, not how often), and a key used a
 * thousand times a second costs about one write a second on its row (requests that read
 * the same old time all write) instead of one a request. That write was a quarter of the
 * database's time for an inbox read under load (make bench, issue 9), and at 5 ms still
 * one request in six wrote: every request of one key queues for the same row. The SELECT
 * tells whether it is due, so the rule costs no round trip.
 */
#define STORE_KEY_USE_EVERY_US  "1000000"

int store_key_authenticate(DB *db, const char *key_hash, STORE_PRINCIPAL *who)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_PRINCIPAL_COLUMNS ", k.id,"
                      " k.last_used_at IS NULL OR k.last_used_at"
                      "  < UTC_TIMESTAMP(3) - INTERVAL " STORE_KEY_USE_EVERY_US " MICROSECOND"
                      " FROM api_keys k JOIN accounts a ON a.id = k.account_id"
                      " WHERE k.key_hash = ? AND k.revoked_at IS NULL AND a.disabled = 0",
                      "s", key_hash);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0) {
        db_result_free(res);
        return STORE_NOTFOUND;
    }
    store_principal_from_row(res, who);
    who->key_id = (unsigned long long)db_get_ll(res, 0, 4);
    int note_use = db_get_ll(res, 0, 5) != 0;
    db_result_free(res);
    /* The admin listing shows last_used; a failure to note it must not refuse the caller. */
    if (note_use)
        (void)db_exec(db, "UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(3) WHERE id = ?",
                      "u", who->key_id);
    return 0;
}

int store_account_create(DB *db, const char *email, const char *password_hash,
                         const char *balance, int is_admin, unsigned long long *account_id)
{
    long long rc = db_exec(db,
                           "INSERT INTO accounts (email, password_hash, balance, is_admin, created_at)"
                           " VALUES (?, ?, CAST(? AS DECIMAL(18,6)), ?, UTC_TIMESTAMP(3))",
                           "sssi", email, password_hash, balance ? balance : "0", (long long)is_admin);
    if (rc < 0)
        return (int)rc;
    *account_id = db_insert_id(db);
    return 0;
}

int store_account_find_by_email(DB *db, const char *email, unsigned long long *account_id)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT id FROM accounts WHERE email = ?", "s", email);
    if (rc != 0)
        return rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    if (rc == 0)
        *account_id = (unsigned long long)db_get_ll(res, 0, 0);
    db_result_free(res);
    return rc;
}

int store_key_create(DB *db, unsigned long long account_id, const char *key_hash,
                     const char *key_prefix, const char *name, unsigned long long *key_id)
{
    long long rc = db_exec(db,
                           "INSERT INTO api_keys (account_id, key_hash, key_prefix, name, created_at)"
                           " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))",
                           "usss", account_id, key_hash, key_prefix, name ? name : "");
    if (rc < 0)
        return (int)rc;
    *key_id = db_insert_id(db);
    return 0;
}

int store_account_set_tier(DB *db, const char *email, const char *tier)
{
    long long rc = db_exec(db, "UPDATE accounts SET tier = ? WHERE email = ?", "ss", tier, email);
    if (rc < 0)
        return (int)rc;
    return rc == 0 ? STORE_NOTFOUND : 0;
}

struct store_topup {
    const char *email, *amount;
    char *balance;
    size_t len;
};

static int store_account_topup_txn(DB *db, void *arg)
{
    const struct store_topup *t = arg;
    DB_RESULT *res;
    long long rc = db_exec(db, "UPDATE accounts SET balance = balance + CAST(? AS DECIMAL(18,6))"
                               " WHERE email = ?", "ss", t->amount, t->email);
    if (rc == 0)
        return STORE_NOTFOUND;
    if (rc < 0 || (rc = db_query(db, &res, "SELECT balance FROM accounts WHERE email = ?", "s",
                                 t->email)) != 0)
        return (int)rc;
    snprintf(t->balance, t->len, "%s", db_rows(res) ? db_get(res, 0, 0) : "");
    db_result_free(res);
    return 0;
}

int store_account_topup(DB *db, const char *email, const char *amount, char *balance, size_t len)
{
    struct store_topup t = { email, amount, balance, len };
    return db_txn(db, store_account_topup_txn, &t);
}

void store_principal_from_row(const DB_RESULT *res, STORE_PRINCIPAL *who)
{
    memset(who, 0, sizeof(*who));
    who->account_id = (unsigned long long)db_get_ll(res, 0, 0);
    snprintf(who->tier, sizeof(who->tier), "%s", db_get(res, 0, 1));
    who->is_admin = (int)db_get_ll(res, 0, 2);
    snprintf(who->balance, sizeof(who->balance), "%s", db_get(res, 0, 3));
}
