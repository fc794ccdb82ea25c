/*++
 * NAME
 *	store_session 3
 * SUMMARY
 *	web sessions and password log-in (see store.h)
 *--*/

#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_rows.h"

int store_account_credentials(DB *db, const char *email, unsigned long long *account_id,
                              char *password_hash, size_t hash_len, int *disabled)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT id, COALESCE(password_hash, ''), disabled FROM accounts WHERE email = ?",
                      "s", email);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0) {
        db_result_free(res);
        return STORE_NOTFOUND;
    }
    *account_id = (unsigned long long)db_get_ll(res, 0, 0);
    snprintf(password_hash, hash_len, "%s", db_get(res, 0, 1));
    *disabled = (int)db_get_ll(res, 0, 2);
    db_result_free(res);
    return 0;
}

int store_session_create(DB *db, unsigned long long account_id, const char *token_hash,
                         const char *csrf_token, long ttl)
{
    long long rc = db_exec(db,
                           "INSERT INTO web_sessions (token_hash, csrf_token, account_id, created_at,"
                           " expires_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3),"
                           " UTC_TIMESTAMP(3) + INTERVAL ? SECOND)",
                           "ssui", token_hash, csrf_token, account_id, (long long)ttl);
    return rc < 0 ? (int)rc : 0;
}

int store_session_authenticate(DB *db, const char *token_hash, STORE_PRINCIPAL *who,
                               char *csrf_token, size_t csrf_len)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT " STORE_PRINCIPAL_COLUMNS ", s.csrf_token"
                      " FROM web_sessions s JOIN accounts a ON a.id = s.account_id"
                      " WHERE s.token_hash = ? AND s.expires_at > UTC_TIMESTAMP(3) AND a.disabled = 0",
                      "s", token_hash);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0) {
        db_result_free(res);
        return STORE_NOTFOUND;
    }
    store_principal_from_row(res, who);
    snprintf(csrf_token, csrf_len, "%s", db_get(res, 0, 4));
    db_result_free(res);
    return 0;
}

int store_session_delete(DB *db, const char *token_hash)
{
    long long rc = db_exec(db, "DELETE FROM web_sessions WHERE token_hash = ?", "s", token_hash);
    return rc < 0 ? (int)rc : 0;
}

int store_account_profile(DB *db, unsigned long long account_id, STORE_PROFILE *profile)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT COALESCE(a.email, ''), a.tier, a.balance, a.is_admin, a.created_at,"
                      " (SELECT k.key_prefix FROM api_keys k WHERE k.account_id = a.id"
                      "  AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id DESC LIMIT 1)"
                      " FROM accounts a WHERE a.id = ?",
                      "u", account_id);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0) {
        db_result_free(res);
        return STORE_NOTFOUND;
    }
    memset(profile, 0, sizeof(*profile));
    profile->account_id = account_id;
    snprintf(profile->email, sizeof(profile->email), "%s", db_get(res, 0, 0));
    snprintf(profile->tier, sizeof(profile->tier), "%s", db_get(res, 0, 1));
    snprintf(profile->balance, sizeof(profile->balance), "%s", db_get(res, 0, 2));
    profile->is_admin = (int)db_get_ll(res, 0, 3);
    snprintf(profile->created_at, sizeof(profile->created_at), "%s", db_get(res, 0, 4));
    snprintf(profile->key_prefix, sizeof(profile->key_prefix), "%s", db_get(res, 0, 5));
    db_result_free(res);
    return 0;
}

struct store_rotate {
    unsigned long long account_id;
    const char *key_hash, *key_prefix;
};

static int store_key_rotate_txn(DB *db, void *arg)
{
    const struct store_rotate *r = arg;

    /* Every key the account had stops working in the same commit that makes the new one. */
    long long rc = db_exec(db, "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(3)"
                               " WHERE account_id = ? AND revoked_at IS NULL", "u", r->account_id);
    if (rc >= 0)
        rc = db_exec(db, "INSERT INTO api_keys (account_id, key_hash, key_prefix, name, created_at)"
                         " VALUES (?, ?, ?, 'rotated', UTC_TIMESTAMP(3))",
                     "uss", r->account_id, r->key_hash, r->key_prefix);
    return rc < 0 ? (int)rc : 0;
}

int store_key_rotate(DB *db, unsigned long long account_id, const char *key_hash,
                     const char *key_prefix)
{
    struct store_rotate r = { account_id, key_hash, key_prefix };
    return db_txn(db, store_key_rotate_txn, &r);
}

struct store_register {
    const char *email, *password_hash, *balance, *key_hash, *key_prefix;
    int is_admin;
    unsigned long long *account_id;
};

static int store_account_register_txn(DB *db, void *arg)
{
    const struct store_register *r = arg;
    unsigned long long key_id;
    int rc;

    if ((rc = store_account_create(db, r->email, r->password_hash, r->balance, r->is_admin,
                                   r->account_id)) != 0)
        return rc;
    return store_key_create(db, *r->account_id, r->key_hash, r->key_prefix, "default", &key_id);
}

int store_account_register(DB *db, const char *email, const char *password_hash,
                           const char *balance, int is_admin, const char *key_hash,
                           const char *key_prefix, unsigned long long *account_id)
{
    struct store_register r = { email, password_hash, balance, key_hash, key_prefix, is_admin,
                                account_id };
    return db_txn(db, store_account_register_txn, &r);
}
