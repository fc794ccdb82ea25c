/*++
 * NAME
 *	store_purge 3
 * SUMMARY
 *	delete messages past their expiry
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_purge_batch(DB *db, long *deleted);
 *	int	store_purge_leased(DB *db, const char *holder,
 *				STORE_PURGE_BETWEEN between, void *context,
 *				long *deleted);
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
 *	store_purge_batch() is one of those statements. store_purge_leased()
 *	purges under the cluster-wide lease "purge" (store_lock(3)), taken for
 *	holder for STORE_PURGE_LEASE seconds and renewed after every batch, so
 *	that of many MX hosts' milters (and tempmailctl purge) one purges at a
 *	time, however long it takes; one that dies loses the lease within
 *	STORE_PURGE_LEASE seconds. A holder that loses its lease (it was slower
 *	than the lease) stops, and the new holder goes on. It gives the lease
 *	back when done. A purge that got through the messages also forgets a
 *	batch of expired web sessions and of ended rate windows.
 *
 *	between, when not null, is called after every whole batch with the
 *	milliseconds that batch took and context; it may rest (the milter
 *	rests twice as long as the batch took, so that a backlog of expired
 *	mail never takes the database from the mail arriving meanwhile) and
 *	returns 0 to go on,
 *	anything else to stop there: the lease is given back and the rest is
 *	left for the next purge.
 * DIAGNOSTICS
 *	store_purge_batch() returns 1 when a whole batch went (more may be
 *	left), 0 when fewer did, or DB_EFAIL; *deleted counts that batch.
 *	store_purge_leased() returns 1 when it purged, 0 when another holder
 *	has the lease (nothing done), or DB_EFAIL; *deleted counts the rows
 *	deleted either way.
 *--*/

#include "monotime.h"
#include "ratelimit.h"
#include "store.h"

#define STORE_PURGE_BATCH   1000
#define STORE_PURGE_LEASE   60
#define STORE_PURGE_OTHERS  10000       /* rows of each other kind a purge forgets */

/*
 * What else only ever expires: web sessions past their expiry and rate windows that
 * ended. Nothing reads them again; left alone, both tables grew with every log-in and
 * every client address for good. A batch of each a purge: the purge comes every minute.
 */
static int store_purge_others(DB *db)
{
    long long gone;

    if (db_exec(db, "DELETE FROM web_sessions WHERE expires_at < UTC_TIMESTAMP(3) LIMIT ?",
                "i", (long long)STORE_PURGE_OTHERS) < 0)
        return DB_EFAIL;
    return store_rate_forget_ended(db, RATELIMIT_WINDOW, &gone) != 0 ? DB_EFAIL : 0;
}

int store_purge_batch(DB *db, long *deleted)
{
    long long n = db_exec(db, "DELETE FROM messages WHERE expires_at < UTC_TIMESTAMP(3) LIMIT ?",
                          "i", (long long)STORE_PURGE_BATCH);
    *deleted = n > 0 ? (long)n : 0;
    if (n < 0)
        return (int)n;
    return n >= STORE_PURGE_BATCH;
}

int store_purge_leased(DB *db, const char *holder, STORE_PURGE_BETWEEN between, void *context,
                       long *deleted)
{
    long n;

    *deleted = 0;
    int held = store_lock_acquire(db, "purge", holder, STORE_PURGE_LEASE);
    if (held <= 0)
        return held;
    int more = 1;
    while (more == 1) {
        long long started = monotime_ms();
        more = store_purge_batch(db, &n);
        *deleted += n;
        if (more == 1 && between != NULL && between((long)(monotime_ms() - started), context) != 0)
            break;
        /* Renew between batches; one who lost the lease stops, the new holder goes on. */
        if (more == 1 && (held = store_lock_acquire(db, "purge", holder, STORE_PURGE_LEASE)) != 1)
            more = held < 0 ? DB_EFAIL : 0;
    }
    if (more == 0 && store_purge_others(db) != 0)
        more = DB_EFAIL;
    if (more < 0)
        return DB_EFAIL;            /* the lease ends by itself */
    return store_lock_release(db, "purge", holder) == 0 ? 1 : DB_EFAIL;
}
