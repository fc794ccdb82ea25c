/*++
 * NAME
 *	store_purge 3
 * SUMMARY
 *	delete messages past their expiry
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_purge_expired(DB *db, long *deleted);
 *	int	store_purge_lock(DB *db);
 *	void	store_purge_unlock(DB *db);
 * DESCRIPTION
 *	Every read already hides a message once expires_at has passed; this
 *	removes it from the database as well, with its attachments (by the
 *	foreign key's cascade).
 *
 *	The deletes run in batches of STORE_PURGE_BATCH rows, each its own
 *	statement and so its own short transaction, until a batch comes back
 *	short: a backlog of a million messages never holds locks (or grows the
 *	undo log) the way one big DELETE would, and mail capture goes on between
 *	batches. The messages_expires index makes each batch cheap to find.
 *
 *	store_purge_lock() takes the named lock "tempmail_purge" without
 *	waiting (store_lock_acquire(), see store_lock.c), so that when every MX
 *	host runs a milter with a purge timer only one of them purges at a time;
 *	the others skip their turn. store_purge_unlock() gives it back.
 * DIAGNOSTICS
 *	store_purge_expired() returns 0, or DB_EFAIL; *deleted counts the rows
 *	deleted either way, since the batches before a failure stay deleted.
 *	store_purge_lock() returns 1 when taken, 0 when another connection holds
 *	it, or DB_EFAIL.
 *--*/

#include "store.h"

#define STORE_PURGE_BATCH   1000

int store_purge_expired(DB *db, long *deleted)
{
    long long n;

    *deleted = 0;
    do {
        n = db_exec(db, "DELETE FROM messages WHERE expires_at < UTC_TIMESTAMP(3) LIMIT ?",
                    "i", (long long)STORE_PURGE_BATCH);
        if (n < 0)
            return (int)n;
        *deleted += (long)n;
    } while (n >= STORE_PURGE_BATCH);
    return 0;
}

/* The connection is the holder (store_lock.c): no name or lease needed here. */
int store_purge_lock(DB *db)
{
    return store_lock_acquire(db, "tempmail_purge", "", 0);
}

void store_purge_unlock(DB *db)
{
    store_lock_release(db, "tempmail_purge", "");
}
