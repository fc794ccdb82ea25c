/*++
 * NAME
 *	daemon_args 3
 * SUMMARY
 *	the command line the daemons share (see daemon_args.h)
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon_args.h"

#define DAEMON_EX_USAGE 64              /* sysexits(3) EX_USAGE */

static void daemon_usage(const char *name)
{
    fprintf(stderr, "usage: %s [-f] [-c config_file] [-u user]\n", name);
    exit(DAEMON_EX_USAGE);
}

void daemon_args(int argc, char **argv, const char *name, DAEMON_ARGS *args)
{
    int ch;

    args->config_path = NULL;
    args->user = NULL;
    args->foreground = 0;
    while ((ch = getopt(argc, argv, "c:fhu:")) != -1) {
        switch (ch) {
        case 'c':
            args->config_path = optarg;
            break;
        case 'f':
            args->foreground = 1;
            break;
        case 'u':
            args->user = optarg;
            break;
        default:
            daemon_usage(name);
        }
    }
    if (optind != argc)
        daemon_usage(name);
}
