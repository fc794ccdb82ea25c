/*++
 * NAME
 *	store_purge 3
 * SUMMARY
 *	delete messages past their expiry
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_purge_expired(DB *db, long *deleted);
 *	int	store_purge_batch(DB *db, long *deleted);
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
 *	store_purge_batch() is one of those statements, for a caller that does
 *	something between them: the milter renews its cluster-wide purge lease
 *	(store_lock_acquire()), so that one MX host of many purges at a time.
 * DIAGNOSTICS
 *	store_purge_expired() returns 0, or DB_EFAIL; *deleted counts the rows
 *	deleted either way, since the batches before a failure stay deleted.
 *	store_purge_batch() returns 1 when a whole batch went (more may be
 *	left), 0 when fewer did, or DB_EFAIL; *deleted counts that batch.
 *--*/

#include "store.h"

#define STORE_PURGE_BATCH   1000

int store_purge_batch(DB *db, long *deleted)
{
    long long n = db_exec(db, "DELETE FROM messages WHERE expires_at < UTC_TIMESTAMP(3) LIMIT ?",
                          "i", (long long)STORE_PURGE_BATCH);
    *deleted = n > 0 ? (long)n : 0;
    if (n < 0)
        return (int)n;
    return n >= STORE_PURGE_BATCH;
}

int store_purge_expired(DB *db, long *deleted)
{
    long n;
    int more;

    *deleted = 0;
    do {
        more = store_purge_batch(db, &n);
        *deleted += n;
    } while (more == 1);
    return more < 0 ? more : 0;
}
