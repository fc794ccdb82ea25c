/*++
 * NAME
 *	store_purge 3
 * SUMMARY
 *	delete messages past their expiry
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_purge_expired(DB *db, long *deleted);
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
 * DIAGNOSTICS
 *	Returns 0, or DB_EFAIL; *deleted counts the rows deleted either way,
 *	since the batches before a failure stay deleted.
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
