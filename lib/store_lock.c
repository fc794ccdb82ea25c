/*++
 * NAME
 *	store_lock 3
 * SUMMARY
 *	cluster-wide leases for background workers (see store.h)
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_lock_acquire(DB *db, const char *name, const char *holder,
 *				   long lease_seconds);
 *	int	store_lock_release(DB *db, const char *name, const char *holder);
 *	void	store_lock_holder(char *buf, size_t len, const char *worker);
 * DESCRIPTION
 *	A lock is a row of the locks table (sql/migrations/006_locks.sql) with
 *	a holder and a lease expiry. store_lock_acquire() takes the lock named
 *	name for holder when it is free, or its lease has run out, or holder has
 *	it already: then it renews the lease. It is one UPDATE ... WHERE (free
 *	or expired or mine), so two takers never both win: on one server InnoDB
 *	orders them; on a Galera cluster both may update on their own nodes,
 *	but only the first commit passes certification and the other fails with
 *	a deadlock error, which db_exec() retries, now seeing the winner's row.
 *	A worker renews its lease between steps of its work, shorter than the
 *	lease, and stops when a renewal says it lost the lock.
 *
 *	The lease is counted by the database server's clock (UTC_TIMESTAMP):
 *	the nodes of a cluster must keep time (NTP); a lease far longer than
 *	their drift (a minute, not a second) makes drift harmless.
 *
 *	store_lock_release() frees it at once when holder still has it.
 *	store_lock_holder() makes a holder name for this process: the host
 *	name, the pid and worker, e.g. "mx1.example.org:812:purge".
 * DIAGNOSTICS
 *	store_lock_acquire() returns 1 when holder has the lock (taken or
 *	renewed), 0 when someone else does, DB_EFAIL on a database error.
 *	store_lock_release() returns 0, or DB_EFAIL.
 *--*/

#include <stdio.h>
#include <unistd.h>

#include "store.h"

int store_lock_acquire(DB *db, const char *name, const char *holder, long lease_seconds)
{
    /* The row, once: a no-op (nothing written, nothing replicated) when it exists. */
    long long rc = db_exec(db, "INSERT IGNORE INTO locks (name, holder, expires_at, acquired_at)"
                               " VALUES (?, '', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))", "s", name);
    if (rc < 0)
        return DB_EFAIL;
    /* fencing changes on every success, so "1 row affected" never depends on the clock's grain. */
    rc = db_exec(db,
                 "UPDATE locks SET acquired_at = IF(holder = ?, acquired_at, UTC_TIMESTAMP(3)),"
                 " holder = ?, expires_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND,"
                 " fencing = fencing + 1"
                 " WHERE name = ? AND (holder = '' OR holder = ? OR expires_at < UTC_TIMESTAMP(3))",
                 "ssiss", holder, holder, (long long)lease_seconds, name, holder);
    if (rc < 0)
        return DB_EFAIL;
    return rc == 1;
}

int store_lock_release(DB *db, const char *name, const char *holder)
{
    long long rc = db_exec(db, "UPDATE locks SET holder = '', expires_at = UTC_TIMESTAMP(3),"
                               " fencing = fencing + 1 WHERE name = ? AND holder = ?",
                           "ss", name, holder);
    return rc < 0 ? DB_EFAIL : 0;
}

void store_lock_holder(char *buf, size_t len, const char *worker)
{
    char host[64];

    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    snprintf(buf, len, "%s:%ld:%s", host, (long)getpid(), worker);
}
