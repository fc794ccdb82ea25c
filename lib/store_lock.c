/*++
 * NAME
 *	store_lock 3
 * SUMMARY
 *	cluster-wide named locks of the background jobs (see store.h)
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_lock_take(DB *db, const char *name);
 *	int	store_lock_held(DB *db, const char *name);
 *	void	store_lock_release(DB *db, const char *name);
 * DESCRIPTION
 *	The one way tempmail makes sure that a background job (the milter's
 *	purge, the webhook worker) runs in one place at a time however many
 *	hosts run it: a MariaDB named lock (GET_LOCK), taken without waiting,
 *	that belongs to the connection. MariaDB frees it when the connection
 *	ends, so a crashed holder never blocks the others for long.
 *
 *	store_lock_held() tells whether this connection still holds it: db.c
 *	reconnects silently after a lost connection, and the lock does not
 *	survive that, so a long-lived holder checks before each round of work.
 *
 *	Every such lock goes through these functions, so that the way a lock is
 *	taken (e.g. for a Galera cluster, where GET_LOCK is local to one node)
 *	changes in one place.
 * DIAGNOSTICS
 *	store_lock_take() returns 1 when taken (or already held by this
 *	connection), 0 when another connection holds it, or DB_EFAIL.
 *	store_lock_held() returns 1, 0, or DB_EFAIL.
 *--*/

#include "store.h"

int store_lock_take(DB *db, const char *name)
{
    DB_RESULT *res;

    if (db_query(db, &res, "SELECT GET_LOCK(?, 0)", "s", name) != 0)
        return DB_EFAIL;
    /* NULL: an error inside the server (e.g. killed); treat as not taken. */
    int taken = db_rows(res) == 1 && !db_isnull(res, 0, 0) && db_get_ll(res, 0, 0) == 1;
    db_result_free(res);
    return taken;
}

int store_lock_held(DB *db, const char *name)
{
    DB_RESULT *res;

    if (db_query(db, &res, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", "s", name) != 0)
        return DB_EFAIL;
    int held = db_rows(res) == 1 && !db_isnull(res, 0, 0) && db_get_ll(res, 0, 0) == 1;
    db_result_free(res);
    return held;
}

void store_lock_release(DB *db, const char *name)
{
    DB_RESULT *res;

    /* A failure here needs no handling: the lock goes with the connection. */
    if (db_query(db, &res, "SELECT RELEASE_LOCK(?)", "s", name) == 0)
        db_result_free(res);
}
