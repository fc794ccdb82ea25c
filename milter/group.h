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
 *	meanwhile form the next group. A session alone is never delayed: with
 *	nothing in flight it leads at once, with a group of one, which is the
 *	single statement of store_message_deliver(). So groups form only when
 *	the database is the bottleneck, and their size follows the load.
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

extern int group_store(STORE_CAPTURE *capture, char *err, size_t errlen, size_t *together);

#endif
