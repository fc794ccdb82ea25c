/*
 * A leak on purpose, for tests/asan/run: preloaded into a route binary of build/asan that
 * then exits normally, it must produce a LeakSanitizer report in log_path. So the run
 * shows that its way of catching reports works here, before it trusts "no report".
 */
#include <stdlib.h>
#include <string.h>

void *volatile tempmail_asan_canary;

__attribute__((constructor)) static void canary_leak(void)
{
    tempmail_asan_canary = malloc(4321);
    if (tempmail_asan_canary != NULL)
        memset(tempmail_asan_canary, 1, 4321);
    tempmail_asan_canary = NULL;        /* the only pointer is gone: a direct leak */
}
