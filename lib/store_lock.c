/*++
 * NAME
 *	store_lock 3
 * SUMMARY
 *	cluster-wide locks of the background jobs (see store.h)
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_lock_acquire(DB *db, const char *name, const char *holder,
 *				   long lease_seconds);
 *	int	store_lock_release(DB *db, const char *name, const char *holder);
 *	void	store_lock_holder(char *buf, size_t len, const char *worker);
 * DESCRIPTION
 *	The one way tempmail makes sure that a background job (the milter's
 *	purge, the webhook worker) runs in one place at a time however many
 *	hosts run it. store_lock_acquire() takes the lock, or renews it when
 *	holder has it already; a worker calls it again between steps of its
 *	work, more often than lease_seconds, and stops working when it says
 *	the lock is someone else's. store_lock_release() frees it.
 *	store_lock_holder() names this process ("host:pid:worker").
 *
 *	Here the lock is a MariaDB named lock (GET_LOCK) of the connection:
 *	the server frees it when the connection ends, so the lease is not
 *	needed and holder only names it in logs; a renewal checks that this
 *	connection still holds it (db.c reconnects silently after a lost
 *	connection, and the lock does not survive that). GET_LOCK is local to
 *	one node of a Galera cluster: a lease in a table replaces it there,
 *	behind these same three functions.
 * DIAGNOSTICS
 *	store_lock_acquire() returns 1 when holder has the lock (taken or
 *	renewed), 0 when someone else has it, or DB_EFAIL.
 *	store_lock_release() returns 0, or DB_EFAIL.
 *--*/

#include <stdio.h>
#include <unistd.h>

#include "store.h"

int store_lock_acquire(DB *db, const char *name, const char *holder, long lease_seconds)
{
    DB_RESULT *res;

    (void)holder;
    (void)lease_seconds;
    if (db_query(db, &res, "SELECT IF(IS_USED_LOCK(?) = CONNECTION_ID(), 1, GET_LOCK(?, 0))",
                 "ss", name, name) != 0)
        return DB_EFAIL;
    /* NULL: an error inside the server (e.g. killed); treat as not taken. */
    int taken = db_rows(res) == 1 && !db_isnull(res, 0, 0) && db_get_ll(res, 0, 0) == 1;
    db_result_free(res);
    return taken;
}

int store_lock_release(DB *db, const char *name, const char *holder)
{
    DB_RESULT *res;

    (void)holder;
    if (db_query(db, &res, "SELECT RELEASE_LOCK(?)", "s", name) != 0)
        return DB_EFAIL;
    db_result_free(res);
    return 0;
}

void store_lock_holder(char *buf, size_t len, const char *worker)
{
    char host[64];

    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    snprintf(buf, len, "%s:%ld:%s", host, (long)getpid(), worker);
}
