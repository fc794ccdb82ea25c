/*
 * monotime.c - milliseconds on the monotonic clock; see monotime.h.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monotime.h"

static pthread_once_t monotime_once = PTHREAD_ONCE_INIT;
static long long monotime_origin;   /* subtracted from every reading; 0 but in tests */

static long long monotime_read(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void monotime_setup(void)
{
    const char *from_start = getenv("TEMPMAIL_MONOTIME_FROM_START");

    if (from_start != NULL && strcmp(from_start, "1") == 0)
        monotime_origin = monotime_read();
}

long long monotime_ms(void)
{
    pthread_once(&monotime_once, monotime_setup);
    return monotime_read() - monotime_origin;
}
