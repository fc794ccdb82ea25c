#ifndef TEMPMAIL_BATCH_H
#define TEMPMAIL_BATCH_H

/*++
 * NAME
 *	batch 3
 * SUMMARY
 *	concurrent requests of one process that touch the same row, run as one
 * SYNOPSIS
 *	#include "batch.h"
 *
 *	typedef void (*BATCH_RUN)(void *context, void **args, size_t n);
 *
 *	void	batch_run(BATCH_TABLE *table, const char *key, void *arg, BATCH_RUN run,
 *			void *context);
 *	long long batch_runs(const BATCH_TABLE *table);
 *
 *	static BATCH_TABLE table = BATCH_TABLE_INIT;
 * DESCRIPTION
 *	Requests that all change one database row (an account's rate counter, its
 *	balance) queue for that row's lock and each pay a commit; requests that read
 *	the same rows (a key's account, an inbox's listing) each pay a statement.
 *	batch_run() lets those of one process go together: the caller whose key has
 *	nothing on its way runs at once; callers that come while a run of their key
 *	is on its way gather, and when it ends the first of them (the leader) runs
 *	them all with one call, run(context, args, n), args in the order they came,
 *	the leader's first. Nobody waits for a batch to fill, only for the run
 *	before it, which they would have waited for at the row's lock anyway. Nobody
 *	joins a run already on its way: a run begins after every member came, so
 *	what it reads is at least as new as each member's own read would have been.
 *
 *	run executes in the leader's thread with the leader's context (its database
 *	connection) and writes each outcome into its arg; batch_run() returns to
 *	every member once run has returned. So an arg may live on its caller's stack.
 *	A batch holds at most BATCH_MAX; a caller finding its key's gathering batch
 *	full, or the table full, runs alone at once.
 *
 *	batch_runs() tells how many times run was called (for tests).
 * BUGS
 *	A key longer than BATCH_KEY_MAX - 1 bytes never gathers: it runs alone.
 *--*/

#include <pthread.h>
#include <stddef.h>

#define BATCH_SLOTS     64                  /* batches of a table at once */
#define BATCH_MAX       64                  /* requests of a batch */
#define BATCH_KEY_MAX   320                 /* an inbox: account, since and address */

typedef void (*BATCH_RUN)(void *context, void **args, size_t n);

typedef struct batch_slot {
    int used;                               /* the slot holds a batch */
    int sent;                               /* its run began: nobody joins now */
    int done;                               /* its run ended */
    char key[BATCH_KEY_MAX];
    void *args[BATCH_MAX];
    size_t count;                           /* requests in it */
    size_t unread;                          /* members yet to leave */
    pthread_cond_t cond;                    /* done */
} BATCH_SLOT;

typedef struct batch_table {
    pthread_mutex_t lock;
    int ready;                              /* the slots' conditions are made */
    long long runs;
    BATCH_SLOT slots[BATCH_SLOTS];
} BATCH_TABLE;

#define BATCH_TABLE_INIT { PTHREAD_MUTEX_INITIALIZER, 0, 0, { { 0 } } }

extern void batch_run(BATCH_TABLE *table, const char *key, void *arg, BATCH_RUN run,
                      void *context);
extern long long batch_runs(const BATCH_TABLE *table);

#endif
