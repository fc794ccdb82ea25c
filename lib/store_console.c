/*++
 * NAME
 *	store_console 3
 * SUMMARY
 *	the operator's console: accounts, system domains, counts (see store.h)
 * DESCRIPTION
 *	The reads and changes behind /api/admin/ (cgi-bin/admin.c). Accounts
 *	are named by id here, not by e-mail, because key-only accounts (the
 *	aurelion free keys) have none. Only system domains (no owner) are
 *	changed: a customer's domain is its owner's business.
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

int store_user_list(DB *db, const char *search, long page, long per_page, STORE_USER **users,
                    size_t *count, long long *total)
{
    DB_RESULT *res;
    /* An empty search matches every account; otherwise a substring of the e-mail. */
    const char *like = search ? search : "";
    int rc = db_query(db, &res,
                      "SELECT COUNT(*) FROM accounts WHERE ? = '' OR LOCATE(?, email) > 0",
                      "ss", like, like);
    *users = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    *total = db_get_ll(res, 0, 0);
    db_result_free(res);

    rc = db_query(db, &res,
                  "SELECT a.id, COALESCE(a.email, ''), a.tier, a.balance, a.is_admin, a.disabled,"
                  " a.created_at,"
                  " (SELECT COUNT(*) FROM mailboxes b WHERE b.account_id = a.id),"
                  " (SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                  "   WHERE b.account_id = a.id AND m.expires_at > UTC_TIMESTAMP(3)),"
                  " COALESCE((SELECT k.key_prefix FROM api_keys k WHERE k.account_id = a.id"
                  "   AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id DESC LIMIT 1), '')"
                  " FROM accounts a WHERE ? = '' OR LOCATE(?, a.email) > 0"
                  " ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?",
                  "ssii", like, like, (long long)per_page, (long long)(page - 1) * per_page);
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0 && (*users = calloc(n, sizeof(**users))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        STORE_USER *u = &(*users)[i];
        u->id = (unsigned long long)db_get_ll(res, i, 0);
        snprintf(u->email, sizeof(u->email), "%s", db_get(res, i, 1));
        snprintf(u->tier, sizeof(u->tier), "%s", db_get(res, i, 2));
        snprintf(u->balance, sizeof(u->balance), "%s", db_get(res, i, 3));
        u->is_admin = (int)db_get_ll(res, i, 4);
        u->disabled = (int)db_get_ll(res, i, 5);
        snprintf(u->created_at, sizeof(u->created_at), "%s", db_get(res, i, 6));
        u->mailboxes = db_get_ll(res, i, 7);
        u->messages = db_get_ll(res, i, 8);
        snprintf(u->key_prefix, sizeof(u->key_prefix), "%s", db_get(res, i, 9));
    }
    *count = n;
    db_result_free(res);
    return 0;
}

/* STORE_NOTFOUND when no account has that id. */
static int store_user_exists(DB *db, unsigned long long id)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT id FROM accounts WHERE id = ?", "u", id);
    if (rc != 0)
        return rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    db_result_free(res);
    return rc;
}

int store_user_set_tier(DB *db, unsigned long long id, const char *tier)
{
    long long rc = db_exec(db, "UPDATE accounts SET tier = ? WHERE id = ?", "su", tier, id);
    if (rc < 0)
        return (int)rc;
    return store_user_exists(db, id);      /* 0 rows changed may mean "already so" */
}

int store_user_set_disabled(DB *db, unsigned long long id, int disabled)
{
    long long rc = db_exec(db, "UPDATE accounts SET disabled = ? WHERE id = ?", "iu",
                           (long long)(disabled != 0), id);
    if (rc < 0)
        return (int)rc;
    if (disabled) {
        /* A disabled account's web sessions end now, not at their expiry. */
        rc = db_exec(db, "DELETE FROM web_sessions WHERE account_id = ?", "u", id);
        if (rc < 0)
            return (int)rc;
    }
    return store_user_exists(db, id);
}

int store_user_topup(DB *db, unsigned long long id, const char *amount, char *balance, size_t len)
{
    DB_RESULT *res;
    long long rc = db_exec(db,
                           "UPDATE accounts SET balance = balance + CAST(? AS DECIMAL(18,6))"
                           " WHERE id = ?", "su", amount, id);
    if (rc < 0)
        return (int)rc;
    if (rc == 0)
        return STORE_NOTFOUND;
    if ((rc = db_query(db, &res, "SELECT balance FROM accounts WHERE id = ?", "u", id)) != 0)
        return (int)rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    if (rc == 0)
        snprintf(balance, len, "%s", db_get(res, 0, 0));
    db_result_free(res);
    return (int)rc;
}

int store_domain_list_system(DB *db, STORE_SYSTEM_DOMAIN **domains, size_t *count)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT d.id, d.name, d.status, d.created_at,"
                      " (SELECT COUNT(*) FROM mailboxes b WHERE b.domain_id = d.id)"
                      " FROM domains d WHERE d.owner_id IS NULL ORDER BY d.name", "");
    *domains = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0 && (*domains = calloc(n, sizeof(**domains))) == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        STORE_SYSTEM_DOMAIN *d = &(*domains)[i];
        d->id = (unsigned long long)db_get_ll(res, i, 0);
        snprintf(d->name, sizeof(d->name), "%s", db_get(res, i, 1));
        snprintf(d->status, sizeof(d->status), "%s", db_get(res, i, 2));
        snprintf(d->created_at, sizeof(d->created_at), "%s", db_get(res, i, 3));
        d->mailboxes = db_get_ll(res, i, 4);
    }
    *count = n;
    db_result_free(res);
    return 0;
}

int store_domain_set_system_status(DB *db, unsigned long long id, const char *status)
{
    long long rc = db_exec(db, "UPDATE domains SET status = ? WHERE id = ? AND owner_id IS NULL",
                           "su", status, id);
    if (rc < 0)
        return (int)rc;
    DB_RESULT *res;
    if ((rc = db_query(db, &res, "SELECT id FROM domains WHERE id = ? AND owner_id IS NULL",
                       "u", id)) != 0)
        return (int)rc;
    rc = db_rows(res) ? 0 : STORE_NOTFOUND;
    db_result_free(res);
    return (int)rc;
}

int store_mailbox_each_local(DB *db, const char *local_regex,
                             void (*fn)(const char *address, const char *owner, void *arg),
                             void *arg)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT m.address, COALESCE(a.email, '') FROM mailboxes m"
                      " JOIN accounts a ON a.id = m.account_id"
                      " WHERE SUBSTRING_INDEX(SUBSTRING_INDEX(m.address, '@', 1), '+', 1) REGEXP ?"
                      " ORDER BY m.id", "s", local_regex);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < db_rows(res); i++)
        fn(db_get(res, i, 0), db_get(res, i, 1), arg);
    db_result_free(res);
    return 0;
}

int store_stats(DB *db, STORE_STATS *stats)
{
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT (SELECT COUNT(*) FROM accounts),"
                      " (SELECT COUNT(*) FROM accounts WHERE disabled = 1),"
                      " (SELECT COUNT(*) FROM mailboxes),"
                      " (SELECT COUNT(*) FROM messages WHERE expires_at > UTC_TIMESTAMP(3)),"
                      " (SELECT COUNT(*) FROM messages"
                      "   WHERE received_at > UTC_TIMESTAMP(3) - INTERVAL 1 HOUR),"
                      " (SELECT COUNT(*) FROM messages"
                      "   WHERE received_at > UTC_TIMESTAMP(3) - INTERVAL 1 DAY),"
                      " (SELECT COUNT(*) FROM attachments),"
                      " (SELECT COALESCE(SUM(size), 0) FROM messages),"
                      " (SELECT COUNT(*) FROM domains WHERE owner_id IS NULL),"
                      " (SELECT COUNT(*) FROM domains WHERE owner_id IS NOT NULL),"
                      " (SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL)", "");
    if (rc != 0)
        return rc;
    memset(stats, 0, sizeof(*stats));
    stats->accounts = db_get_ll(res, 0, 0);
    stats->accounts_disabled = db_get_ll(res, 0, 1);
    stats->mailboxes = db_get_ll(res, 0, 2);
    stats->messages = db_get_ll(res, 0, 3);
    stats->messages_last_hour = db_get_ll(res, 0, 4);
    stats->messages_last_day = db_get_ll(res, 0, 5);
    stats->attachments = db_get_ll(res, 0, 6);
    stats->stored_bytes = db_get_ll(res, 0, 7);
    stats->system_domains = db_get_ll(res, 0, 8);
    stats->custom_domains = db_get_ll(res, 0, 9);
    stats->live_keys = db_get_ll(res, 0, 10);
    db_result_free(res);
    return 0;
}
