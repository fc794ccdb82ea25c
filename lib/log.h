#ifndef TEMPMAIL_LOG_H
#define TEMPMAIL_LOG_H

/*++
 * NAME
 *	log 3
 * SUMMARY
 *	one logging API for every tempmail program
 * SYNOPSIS
 *	#include "log.h"
 *
 *	void	log_open(const char *program, int use_syslog);
 *	void	log_info(const char *fmt, ...);
 *	void	log_warn(const char *fmt, ...);
 *	void	log_fatal(const char *fmt, ...);	(does not return)
 *	void	log_panic(const char *fmt, ...);	(does not return)
 * DESCRIPTION
 *	Levels of failure in the manner of Postfix msg(3): info and warn log and go
 *	on; fatal means the environment is broken (exit 1); panic means a bug of
 *	ours (abort, for a core file). Messages go to syslog (facility mail) when
 *	use_syslog is set, to stderr otherwise. Callers never pass secrets (keys,
 *	passwords, message bodies) to these functions.
 *--*/

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_open(const char *program, int use_syslog);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void log_panic(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

#endif
