/*++
 * NAME
 *	log 3
 * SUMMARY
 *	logging for every tempmail program (see log.h)
 *--*/

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_program = "tempmail";
static int log_syslog;

void log_open(const char *program, int use_syslog)
{
    log_program = program;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(program, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void log_vwrite(int priority, const char *level, const char *fmt, va_list ap)
{
    if (log_syslog) {
        vsyslog(priority, fmt, ap);
        return;
    }
    /* One write per line: the milter's threads log at once, and stdio calls would interleave. */
    char line[2048], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: ", stamp, log_program, (long)getpid(), level);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    size_t len = m < 0 ? (size_t)n : (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;             /* cut, but still one whole line */
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(LOG_INFO, "info", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(LOG_WARNING, "warning", fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(LOG_CRIT, "fatal", fmt, ap);
    va_end(ap);
    exit(1);
}

void log_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(LOG_CRIT, "panic", fmt, ap);
    va_end(ap);
    abort();
}
