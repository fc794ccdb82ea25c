/*++
 * NAME
 *	store_domain 3
 * SUMMARY
 *	system and custom domains (see store.h)
 *--*/

#include <stdio.h>
#include <string.h>

#include "store.h"

int store_domain_find(DB *db, const char *name, STORE_DOMAIN *domain)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT id, owner_id, name, status FROM domains WHERE name = ?",
                      "s", name);
    if (rc != 0)
        return rc;
    if (db_rows(res) == 0) {
        db_result_free(res);
        return STORE_NOTFOUND;
    }
    memset(domain, 0, sizeof(*domain));
    domain->id = (unsigned long long)db_get_ll(res, 0, 0);
    domain->owner_id = (unsigned long long)db_get_ll(res, 0, 1);
    snprintf(domain->name, sizeof(domain->name), "%s", db_get(res, 0, 2));
    snprintf(domain->status, sizeof(domain->status), "%s", db_get(res, 0, 3));
    db_result_free(res);
    return 0;
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
