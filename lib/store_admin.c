/*++
 * NAME
 *	store_admin 3
 * SUMMARY
 *	schema version bookkeeping (see store.h)
 *--*/

#include <mysqld_error.h>

#include "store.h"

int store_schema_version(DB *db, long *version)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT COALESCE(MAX(version), 0) FROM schema_version", "");
    if (rc != 0) {
        /* No table yet: a database the schema was never loaded into. */
        if (db_errno(db) == ER_NO_SUCH_TABLE) {
            *version = 0;
            return 0;
        }
        return rc;
    }
    *version = (long)db_get_ll(res, 0, 0);
    db_result_free(res);
    return 0;
}

int store_schema_has(DB *db, long version)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT COUNT(*) FROM schema_version WHERE version = ?", "i",
                      (long long)version);
    if (rc != 0)
        return rc;
    rc = db_get_ll(res, 0, 0) > 0;
    db_result_free(res);
    return rc;
}

int store_schema_record(DB *db, long version)
{
    long long rc = db_exec(db,
                           "INSERT IGNORE INTO schema_version (version, applied_at)"
                           " VALUES (?, UTC_TIMESTAMP(3))", "i", (long long)version);
    return rc < 0 ? (int)rc : 0;
}
