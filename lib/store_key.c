/*++
 * NAME
 *	store_key 3
 * SUMMARY
 *	API keys for the aurelion dialect: free keys, admin listing, revoking
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_key_account_create(DB *db, const char *balance, const char *key_hash,
 *			const char *key_prefix, const char *name, STORE_KEY *made);
 *	int	store_key_list(DB *db, STORE_KEY **keys, size_t *count);
 *	int	store_key_revoke(DB *db, const char *key_hash);
 * DESCRIPTION
 *	An aurelion key stands alone: whoever holds it owns what it made. So a
 *	free key, or a key the admin makes, gets an account of its own with no
 *	e-mail and no password (a "key-only" account); account and key are made
 *	in one transaction, so no account is left without its key.
 *
 *	store_key_list() returns the keys that still work, with their display
 *	prefix only: the database holds nothing more of a key than its hash.
 *
 *	store_key_revoke() marks a key revoked rather than deleting it: the
 *	mailboxes it made keep their api_key_id, and authentication already
 *	skips revoked keys, so the key fails from the next request on.
 * DIAGNOSTICS
 *	As store.h says: 0, STORE_NOTFOUND, DB_EDUP or DB_EFAIL.
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

/* Columns: id, account_id, key_prefix, name, created_at, last_used_at. */
static void store_key_from_row(const DB_RESULT *res, size_t row, STORE_KEY *key)
{
    memset(key, 0, sizeof(*key));
    key->id = (unsigned long long)db_get_ll(res, row, 0);
    key->account_id = (unsigned long long)db_get_ll(res, row, 1);
    snprintf(key->key_prefix, sizeof(key->key_prefix), "%s", db_get(res, row, 2));
    snprintf(key->name, sizeof(key->name), "%s", db_get(res, row, 3));
    snprintf(key->created_at, sizeof(key->created_at), "%s", db_get(res, row, 4));
    snprintf(key->last_used_at, sizeof(key->last_used_at), "%s", db_get(res, row, 5));
}

struct store_key_account {
    const char *balance, *key_hash, *key_prefix, *name;
    STORE_KEY *made;
};

static int store_key_account_create_txn(DB *db, void *arg)
{
    const struct store_key_account *k = arg;
    DB_RESULT *res = NULL;
    unsigned long long account_id, key_id;
    int rc;

    if ((rc = store_account_create(db, NULL, NULL, k->balance, 0, &account_id)) != 0
        || (rc = store_key_create(db, account_id, k->key_hash, k->key_prefix, k->name, &key_id)) != 0)
        return rc;
    /* Read back what the server stored: created_at is its clock, not ours. */
    rc = db_query(db, &res,
                  "SELECT id, account_id, key_prefix, name, created_at, last_used_at"
                  " FROM api_keys WHERE id = ?", "u", key_id);
    if (rc == 0 && db_rows(res) == 1)
        store_key_from_row(res, 0, k->made);
    else if (rc == 0)
        rc = DB_EFAIL;
    db_result_free(res);
    return rc;
}

int store_key_account_create(DB *db, const char *balance, const char *key_hash,
                             const char *key_prefix, const char *name, STORE_KEY *made)
{
    struct store_key_account k = { balance, key_hash, key_prefix, name, made };
    return db_txn(db, store_key_account_create_txn, &k);
}

int store_key_list(DB *db, STORE_KEY **keys, size_t *count)
{
    DB_RESULT *res;

    *keys = NULL;
    *count = 0;
    int rc = db_query(db, &res,
                      "SELECT id, account_id, key_prefix, name, created_at, last_used_at"
                      " FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id", "");
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0 && (*keys = calloc(n, sizeof(**keys))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++)
        store_key_from_row(res, i, &(*keys)[i]);
    *count = n;
    db_result_free(res);
    return 0;
}

static int store_key_revoke_listed_txn(DB *db, void *arg)
{
    DB_RESULT *res;
    /* FOR UPDATE: a key made with the same prefix meanwhile waits, it cannot slip past. */
    int rc = db_query(db, &res, "SELECT id FROM api_keys WHERE key_prefix = ? AND revoked_at IS NULL"
                      " LIMIT 2 FOR UPDATE", "s", (const char *)arg);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    long long id = n == 1 ? db_get_ll(res, 0, 0) : 0;
    db_result_free(res);
    if (n != 1)
        return n == 0 ? STORE_NOTFOUND : STORE_AMBIGUOUS;
    long long done = db_exec(db, "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(3) WHERE id = ?",
                             "i", id);
    return done < 0 ? (int)done : 0;
}

int store_key_revoke_listed(DB *db, const char *key_prefix)
{
    return db_txn(db, store_key_revoke_listed_txn, (void *)key_prefix);
}

int store_key_revoke(DB *db, const char *key_hash)
{
    long long rc = db_exec(db,
                           "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(3)"
                           " WHERE key_hash = ? AND revoked_at IS NULL", "s", key_hash);
    if (rc < 0)
        return (int)rc;
    return rc == 0 ? STORE_NOTFOUND : 0;
}
