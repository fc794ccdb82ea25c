#ifndef TEMPMAIL_DAEMON_ARGS_H
#define TEMPMAIL_DAEMON_ARGS_H

/*++
 * NAME
 *	daemon_args 3
 * SUMMARY
 *	the command line the daemons share: [-f] [-c config_file] [-u user]
 * SYNOPSIS
 *	#include "daemon_args.h"
 *
 *	void	daemon_args(int argc, char **argv, const char *name, DAEMON_ARGS *args);
 * DESCRIPTION
 *	Reads the options of tempmail-milter(8) and tempmail-webhookd(8) into
 *	*args: -c the configuration file (NULL: TEMPMAIL_CONF, else the
 *	default, see config(3)), -f stay in the foreground and log to stderr,
 *	-u the user to become (privs(3); NULL when not given).
 * DIAGNOSTICS
 *	Another option, or an argument left over, prints the usage line with
 *	name and exits 64 (EX_USAGE of sysexits(3)).
 *--*/

typedef struct {
    const char *config_path;
    const char *user;
    int foreground;
} DAEMON_ARGS;

extern void daemon_args(int argc, char **argv, const char *name, DAEMON_ARGS *args);

#endif
