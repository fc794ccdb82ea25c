/*++
 * NAME
 *	store_domain 3
 * SUMMARY
 *	system and custom domains (see store.h)
 * DESCRIPTION
 *	A system domain has no owner and is active from the start. A custom
 *	domain belongs to an account and stays pending until its owner shows
 *	control of its DNS (cgi-bin/domains.c checks; this file only records):
 *	Postfix relays and the milter captures only active domains, so a
 *	pending one receives nothing.
 *
 *	The verification token is "tempmail-verify=" and 32 hex digits from
 *	libsodium: unguessable, so nobody can prepare DNS for a domain before
 *	its owner added it here, and recognisable among a domain's other TXT
 *	records.
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store.h"

#define STORE_DOMAIN_TOKEN_PREFIX   "tempmail-verify="
#define STORE_DOMAIN_TOKEN_BYTES    16

/* Every read of a domain selects these columns in this order. */
#define STORE_DOMAIN_COLUMNS \
    "SELECT id, owner_id, name, status, verification_token, verified_at, created_at, catch_all" \
    " FROM domains"

static void store_domain_from_row(const DB_RESULT *res, size_t row, STORE_DOMAIN *domain)
{
    memset(domain, 0, sizeof(*domain));
    domain->id = (unsigned long long)db_get_ll(res, row, 0);
    domain->owner_id = (unsigned long long)db_get_ll(res, row, 1);
    snprintf(domain->name, sizeof(domain->name), "%s", db_get(res, row, 2));
    snprintf(domain->status, sizeof(domain->status), "%s", db_get(res, row, 3));
    snprintf(domain->token, sizeof(domain->token), "%s", db_get(res, row, 4));
    snprintf(domain->verified_at, sizeof(domain->verified_at), "%s", db_get(res, row, 5));
    snprintf(domain->created_at, sizeof(domain->created_at), "%s", db_get(res, row, 6));
    domain->catch_all = db_get_ll(res, row, 7) != 0;
}

/* The one row res must hold, or STORE_NOTFOUND; res is freed either way. */
static int store_domain_one(DB_RESULT *res, STORE_DOMAIN *domain)
{
    int rc = STORE_NOTFOUND;

    if (db_rows(res) > 0) {
        store_domain_from_row(res, 0, domain);
        rc = 0;
    }
    db_result_free(res);
    return rc;
}

int store_domain_find(DB *db, const char *name, STORE_DOMAIN *domain)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, STORE_DOMAIN_COLUMNS " WHERE name = ?", "s", name);
    return rc != 0 ? rc : store_domain_one(res, domain);
}

int store_domain_add_system(DB *db, const char *name, unsigned long long *domain_id)
{
    long long rc = db_exec(db,
                           "INSERT INTO domains (name, owner_id, status, verified_at, created_at)"
                           " VALUES (?, NULL, 'active', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"
                           " ON DUPLICATE KEY UPDATE status = IF(owner_id IS NULL, 'active', status)",
                           "s", name);
    if (rc < 0)
        return (int)rc;
    STORE_DOMAIN domain;
    if ((rc = store_domain_find(db, name, &domain)) != 0)
        return (int)rc;
    if (domain.owner_id != 0)
        return DB_EDUP;             /* a customer's domain of that name */
    *domain_id = domain.id;
    return 0;
}

int store_domain_create(DB *db, unsigned long long owner_id, const char *name,
                        long claim_hours, STORE_DOMAIN *made)
{
    unsigned char raw[STORE_DOMAIN_TOKEN_BYTES];
    char hex[2 * STORE_DOMAIN_TOKEN_BYTES + 1], token[sizeof(made->token)];

    if (sodium_init() < 0)
        return DB_EFAIL;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(token, sizeof(token), "%s%s", STORE_DOMAIN_TOKEN_PREFIX, hex);

    /* An unverified claim of someone else's lapses: its name is free for whoever can verify. */
    if (db_exec(db,
                "DELETE FROM domains WHERE name = ? AND status = 'pending' AND owner_id IS NOT NULL"
                " AND owner_id <> ? AND created_at < UTC_TIMESTAMP(3) - INTERVAL ? HOUR",
                "sui", name, owner_id, (long long)claim_hours) < 0)
        return DB_EFAIL;
    /* The unique key on name makes a taken name (anyone's, or a system domain) DB_EDUP. */
    long long rc = db_exec(db,
                           "INSERT INTO domains (name, owner_id, status, verification_token, created_at)"
                           " VALUES (?, ?, 'pending', ?, UTC_TIMESTAMP(3))",
                           "sus", name, owner_id, token);
    if (rc < 0)
        return (int)rc;
    return store_domain_find_owned(db, db_insert_id(db), owner_id, made);
}

int store_domain_list(DB *db, unsigned long long owner_id, STORE_DOMAIN **domains, size_t *count)
{
    DB_RESULT *res;
    /* Newest by the clock, not by id: ids from several Galera nodes interleave. */
    int rc = db_query(db, &res,
                      STORE_DOMAIN_COLUMNS " WHERE owner_id = ? ORDER BY created_at DESC, id DESC",
                      "u", owner_id);

    *domains = NULL;
    *count = 0;
    if (rc != 0)
        return rc;
    size_t n = db_rows(res);
    if (n > 0 && (*domains = calloc(n, sizeof(**domains))) == NULL) {
        db_result_free(res);
        return DB_EFAIL;
    }
    for (size_t i = 0; i < n; i++)
        store_domain_from_row(res, i, &(*domains)[i]);
    *count = n;
    db_result_free(res);
    return 0;
}

int store_domain_find_owned(DB *db, unsigned long long id, unsigned long long owner_id,
                            STORE_DOMAIN *domain)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, STORE_DOMAIN_COLUMNS " WHERE id = ? AND owner_id = ?",
                      "uu", id, owner_id);
    return rc != 0 ? rc : store_domain_one(res, domain);
}

int store_domain_mark_verified(DB *db, unsigned long long id, unsigned long long owner_id,
                               STORE_DOMAIN *domain)
{
    /*
     * Only a pending domain changes: a disabled one stays disabled (the
     * operator's decision), and of two verifications at once the first sets
     * verified_at and the second reads it.
     */
    long long rc = db_exec(db,
                           "UPDATE domains SET status = 'active', verified_at = UTC_TIMESTAMP(3)"
                           " WHERE id = ? AND owner_id = ? AND status = 'pending'",
                           "uu", id, owner_id);
    if (rc < 0)
        return (int)rc;
    return store_domain_find_owned(db, id, owner_id, domain);
}

int store_domain_set_catch_all(DB *db, unsigned long long id, unsigned long long owner_id,
                               int on, STORE_DOMAIN *domain)
{
    /* owner_id is never NULL here, so a system domain is never touched. */
    long long rc = db_exec(db,
                           "UPDATE domains SET catch_all = ?"
                           " WHERE id = ? AND owner_id = ? AND (status = 'active' OR ? = 0)",
                           "iuui", (long long)(on != 0), id, owner_id, (long long)(on != 0));
    if (rc < 0)
        return (int)rc;
    return store_domain_find_owned(db, id, owner_id, domain);
}
