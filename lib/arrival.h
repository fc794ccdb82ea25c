#ifndef TEMPMAIL_ARRIVAL_H
#define TEMPMAIL_ARRIVAL_H

/*++
 * NAME
 *	arrival 3
 * SUMMARY
 *	the milter's "new mail" signal, and the route binaries' wait for it
 * SYNOPSIS
 *	#include "arrival.h"
 *
 *	void	arrival_notify(const unsigned long long *mailbox_ids, size_t n);
 *
 *	ARRIVAL_WATCH *arrival_watch_open(unsigned long long mailbox_id);
 *	int	arrival_wait(ARRIVAL_WATCH *watch, long timeout_ms, int peer_fd);
 *	void	arrival_watch_close(ARRIVAL_WATCH *watch);
 *
 *	ARRIVAL_WATCH *arrival_watch_open_all(void);
 *	int	arrival_watch_fd(const ARRIVAL_WATCH *watch);
 *	int	arrival_watch_check(ARRIVAL_WATCH *watch);
 *
 *	int	arrival_dir(char *buf, size_t len);
 * DESCRIPTION
 *	The milter and the route binaries never talk to each other; a waiting
 *	API request ("wait=30") must still learn of new mail at once without
 *	asking the database again and again. The signal is a file system one:
 *	after it committed a message, the milter calls arrival_notify(), which
 *	opens and closes (creating when needed) one empty file per mailbox in
 *	the arrival directory. The file is named after the mailbox's bucket,
 *	its id modulo ARRIVAL_BUCKETS in decimal, so the directory never holds
 *	more than that many files however many mailboxes come and go.
 *
 *	A waiting request opens a watch (inotify on the directory) before it
 *	reads the inbox the first time, so no arrival can fall between the read
 *	and the wait. arrival_wait() sleeps until a file of the watch's bucket
 *	is written, or timeout_ms passes, or peer_fd (the web server's
 *	connection; -1 for none) hangs up. Another mailbox of the same bucket
 *	wakes the waiter too, which then reads its inbox once for nothing:
 *	with 4096 buckets that is rare, and cheap.
 *
 *	A program that waits for other things too (the webhook worker) opens a
 *	watch of every bucket with arrival_watch_open_all(), polls
 *	arrival_watch_fd() for POLLIN among its own descriptors, and then calls
 *	arrival_watch_check(), which reads what is queued without blocking.
 *
 *	arrival_dir() gives the directory: cfg.arrival_dir, or when that is
 *	empty the directory of a unix: milter_socket with "/arrivals" added
 *	(so one setting, shared by the milter and the web side, places both),
 *	or /run/tempmail/arrivals. Both sides create it (mode 0755) if absent.
 * DIAGNOSTICS
 *	arrival_notify() logs a warning when it cannot write and goes on: a
 *	lost signal only makes a waiter answer at its deadline. arrival_watch_open()
 *	returns NULL (after a warning) when it cannot watch; callers then wait
 *	by slow re-reads. arrival_wait() returns 1 for an arrival, 0 at the
 *	timeout, ARRIVAL_GONE when the peer hung up, -1 on error.
 *	arrival_watch_check() returns 1 when an arrival of the watch's bucket
 *	(of any, for arrival_watch_open_all()) was queued, 0 when none, -1 on
 *	error.
 * SECURITY
 *	The files are empty and carry no address, only a number: anyone who may
 *	read the directory learns that some mailbox got mail, nothing more.
 * CONFIGURATION PARAMETERS
 *	arrival_dir (default empty: derived from milter_socket, see above).
 *--*/

#include <stddef.h>

#define ARRIVAL_BUCKETS 4096
#define ARRIVAL_GONE    (-2)

typedef struct arrival_watch ARRIVAL_WATCH;

extern void arrival_notify(const unsigned long long *mailbox_ids, size_t n);
extern ARRIVAL_WATCH *arrival_watch_open(unsigned long long mailbox_id);
extern int arrival_wait(ARRIVAL_WATCH *watch, long timeout_ms, int peer_fd);
extern void arrival_watch_close(ARRIVAL_WATCH *watch);
extern ARRIVAL_WATCH *arrival_watch_open_all(void);
extern int arrival_watch_fd(const ARRIVAL_WATCH *watch);
extern int arrival_watch_check(ARRIVAL_WATCH *watch);
extern int arrival_dir(char *buf, size_t len);

#endif
