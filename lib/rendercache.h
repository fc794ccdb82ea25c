#ifndef TEMPMAIL_RENDERCACHE_H
#define TEMPMAIL_RENDERCACHE_H

/*++
 * NAME
 *	rendercache 3
 * SUMMARY
 *	a route process's messages already rendered as JSON
 * SYNOPSIS
 *	#include "rendercache.h"
 *
 *	char	*rendercache_copy(int kind, unsigned long long id, const char *uuid,
 *			size_t *len);
 *	void	rendercache_put(int kind, unsigned long long id, const char *uuid,
 *			const char *json, size_t len);
 *	size_t	rendercache_bytes(void);
 * DESCRIPTION
 *	A stored message never changes, so its JSON in one dialect (kind: 1 for the
 *	leveragers inbox, 2 for aurelion's messages) is the same at every read. An
 *	inbox polled by a test suite is read again and again; keeping each message's
 *	JSON saves the route its body from the database, the link and code
 *	extraction and json-c's escaping of it at every read after the first.
 *
 *	A message is known by its id and its uuid together. The id alone is not
 *	enough: a database restored from a backup, or a datadir swapped under
 *	running routes (tests/api/test_faults_load.py does), hands out the same
 *	ids again to other messages; a uuid is never made twice.
 *
 *	rendercache_copy() returns a copy (free() it) of the JSON kept for message
 *	id with uuid in kind, its length in *len, or NULL when none is kept.
 *	rendercache_put() keeps a copy of json[0..len); when the kept bytes would
 *	pass RENDERCACHE_BYTES, the oldest entries go first. A JSON longer than an
 *	eighth of that is not kept. rendercache_bytes() tells what is kept now
 *	(for tests). All three may be called from any thread.
 * SECURITY
 *	A caller asks only for messages that a query checking the caller's
 *	ownership returned in the same request. An
 *	entry of a message deleted since stays until pushed out, but no query
 *	returns its id any more, so nobody reaches it.
 *--*/

#include <stddef.h>

#define RENDERCACHE_BYTES   (4 * 1024 * 1024)   /* a route process's at most */

#define RENDERCACHE_LEVERAGERS  1
#define RENDERCACHE_AURELION    2

extern char *rendercache_copy(int kind, unsigned long long id, const char *uuid, size_t *len);
extern void rendercache_put(int kind, unsigned long long id, const char *uuid, const char *json,
                            size_t len);
extern size_t rendercache_bytes(void);

#endif
