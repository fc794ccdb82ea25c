#ifndef TEMPMAIL_DBPOOL_H
#define TEMPMAIL_DBPOOL_H

/*++
 * NAME
 *	dbpool 3
 * SUMMARY
 *	a small shared pool of database connections for the milter's threads
 * SYNOPSIS
 *	#include "dbpool.h"
 *
 *	void	dbpool_init(size_t max);
 *	DB	*dbpool_get(char *err, size_t errlen);
 *	void	dbpool_put(DB *db, int failed);
 *	void	dbpool_shutdown(void);
 * DESCRIPTION
 *	libmilter runs callbacks on a pool of worker threads that come and go,
 *	and one SMTP session's callbacks move between them, so connections kept
 *	per thread would be reopened all the time. Instead a callback borrows a
 *	connection for one store call and gives it back at once.
 *
 *	dbpool_init() sets the most connections open at once (at least 1).
 *	dbpool_get() returns an idle connection, or opens one while fewer than
 *	max are open, or waits a few seconds for one to come back.
 *	dbpool_put() returns a connection; with failed set it is closed instead,
 *	so a broken connection is never handed out again. dbpool_shutdown()
 *	closes the idle connections, at exit.
 * DIAGNOSTICS
 *	dbpool_get() returns NULL with a reason in err when no connection could
 *	be had: the caller tempfails.
 *--*/

#include <stddef.h>

#include "db.h"

extern void dbpool_init(size_t max);
extern DB *dbpool_get(char *err, size_t errlen);
extern void dbpool_put(DB *db, int failed);
extern void dbpool_shutdown(void);

#endif
