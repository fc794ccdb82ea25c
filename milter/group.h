#ifndef TEMPMAIL_GROUP_H
#define TEMPMAIL_GROUP_H

/*++
 * NAME
 *	group 3
 * SUMMARY
 *	group commit: captures of concurrent sessions stored in one statement
 * SYNOPSIS
 *	#include "group.h"
 *
 *	void	group_expect(void);
 *
 *	void	group_unexpect(void);
 *
 *	int	group_store(STORE_CAPTURE *capture, char *err, size_t errlen,
 *			size_t *together);
 * DESCRIPTION
 *	An INSERT costs MariaDB most of its work whatever the number of rows it
 *	carries (store_capture_group() in store_message.c). group_store() lets
 *	the end-of-message callbacks of concurrent SMTP sessions share one.
 *
 *	Each caller queues its capture and waits. A caller that finds no group
 *	being stored leads: it takes up to STORE_GROUP_MAX queued captures
 *	(its own among them, or the oldest others), stores them with one
 *	connection of dbpool(3), hands every member its outcome and goes on
 *	leading while its own capture is still queued. Captures that arrive
 *	meanwhile form the next group.
 *
 *	Before it takes them, a leader waits for the captures of other
 *	sessions that are on their way: at most GROUP_GATHER_MS, and no longer
 *	than until the group is full or none is left on its way. Without that
 *	wait most groups were of one (58% of 3,000 messages of 20 sessions):
 *	a capture that ends while no group is being stored leads at once. With
 *	it, most are of eight, and MariaDB's CPU a message fell by about a
 *	quarter (0.35-0.38 ms to 0.26-0.28 ms).
 *	A session announces its capture with group_expect() at its first
 *	captured recipient; group_store() counts it as arrived, and
 *	group_unexpect() as not coming (aborted, failed, or stored another
 *	way). A session alone is never delayed: with no other capture on its
 *	way it leads at once, with a group of one, which is the single
 *	statement of store_message_deliver().
 *
 *	Nothing is answered to the MTA before its own row is committed: each
 *	caller returns only with its capture's outcome.
 * DIAGNOSTICS
 *	group_store() returns 0 when the capture was stored, -1 when it was
 *	not (the MTA is to be told to try again), with the reason in err.
 *	*together is the number of captures of the statement that stored it.
 *--*/

#include <stddef.h>

#include "store.h"

extern void group_expect(void);
extern void group_unexpect(void);
extern int group_store(STORE_CAPTURE *capture, char *err, size_t errlen, size_t *together);

#endif
