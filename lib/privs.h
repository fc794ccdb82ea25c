#ifndef TEMPMAIL_PRIVS_H
#define TEMPMAIL_PRIVS_H

/*++
 * NAME
 *	privs 3
 * SUMMARY
 *	the -u USER of the daemons: become an unprivileged user for good
 * SYNOPSIS
 *	#include "privs.h"
 *
 *	void	privs_drop(const char *user);
 * DESCRIPTION
 *	As root with user set: become that user (its groups, its gid, its
 *	uid, in that order), and make sure root cannot be regained. As root
 *	without a user: a warning only (tools/stack runs the daemons so, and
 *	under systemd User= makes them unprivileged before they start). Not
 *	root: user (when set) may only name the user the process already is.
 *
 *	Call it after reading the configuration and before any database
 *	connection, thread or socket exists.
 * DIAGNOSTICS
 *	Every failure is fatal (log_fatal()): a daemon must not go on with
 *	more privilege than it was asked to keep.
 *--*/

extern void privs_drop(const char *user);

#endif
