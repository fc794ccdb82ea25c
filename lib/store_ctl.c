/*++
 * NAME
 *	store_ctl 3
 * SUMMARY
 *	statements of the operator's command line (see store.h)
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_upgrade_lock(DB *db, long timeout);
 *	void	store_upgrade_unlock(DB *db);
 * DESCRIPTION
 *	store_upgrade_lock() takes a named server lock so that two
 *	`tempmailctl db upgrade` runs at once (two hosts, a package hook and an
 *	operator) apply each migration once: the second waits up to timeout
 *	seconds, then sees the version the first recorded. The lock belongs to
 *	the connection and ends with it; store_upgrade_unlock() ends it sooner.
 * DIAGNOSTICS
 *	store_upgrade_lock() returns 0, STORE_NOTFOUND when the lock was not
 *	granted in time (GET_LOCK gave 0), or DB_EFAIL.
 *--*/

#include <stdlib.h>

#include "store.h"

int store_upgrade_lock(DB *db, long timeout)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT GET_LOCK('tempmail.schema_upgrade', ?)", "i",
                      (long long)timeout);
    if (rc != 0)
        return rc;
    rc = db_rows(res) == 1 && !db_isnull(res, 0, 0) && db_get_ll(res, 0, 0) == 1
        ? 0 : STORE_NOTFOUND;
    db_result_free(res);
    return rc;
}

void store_upgrade_unlock(DB *db)
{
    DB_RESULT *res;
    if (db_query(db, &res, "SELECT RELEASE_LOCK('tempmail.schema_upgrade')", "") == 0)
        db_result_free(res);
}
