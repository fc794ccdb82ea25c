/*
 * Unit tests of periodic (jobs that run at start, then every so often) and of monotime's
 * clock that counts from the process's start: a host booted a moment ago reads near 0 on
 * CLOCK_MONOTONIC, and a job must still run at its start there.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "monotime.h"
#include "periodic.h"

#define HOUR_MS (3600LL * 1000)

static void a_job_that_never_ran_is_due_at_clock_zero(void **state)
{
    PERIODIC job = PERIODIC_NEVER;
    (void)state;
    /* The first seconds after boot: 0 - "last run at 0" used to read as "just ran". */
    assert_true(periodic_due(&job, 0, HOUR_MS));
    assert_true(periodic_due(&job, 1, HOUR_MS));
    assert_true(periodic_due(&job, 180 * 1000, HOUR_MS));
}

static void after_a_run_it_waits_its_interval_then_is_due(void **state)
{
    PERIODIC job = PERIODIC_NEVER;
    (void)state;
    periodic_done(&job, 0);
    assert_false(periodic_due(&job, 0, HOUR_MS));
    assert_false(periodic_due(&job, HOUR_MS - 1, HOUR_MS));
    assert_true(periodic_due(&job, HOUR_MS, HOUR_MS));
    periodic_done(&job, HOUR_MS + 5);
    assert_false(periodic_due(&job, 2 * HOUR_MS, HOUR_MS));
    assert_true(periodic_due(&job, 2 * HOUR_MS + 5, HOUR_MS));
}

static void forgetting_makes_it_due_at_once(void **state)
{
    PERIODIC job = PERIODIC_NEVER;
    (void)state;
    periodic_done(&job, 10);
    assert_false(periodic_due(&job, 11, 60 * 1000));
    periodic_forget(&job);
    assert_true(periodic_due(&job, 11, 60 * 1000));
}

static void a_zero_filled_job_is_never_run(void **state)
{
    static PERIODIC job;        /* as a static of a daemon starts */
    (void)state;
    assert_true(periodic_due(&job, 0, HOUR_MS));
}

/* Run first: TEMPMAIL_MONOTIME_FROM_START is read at the clock's first reading. */
static void the_clock_from_start_reads_near_zero_and_goes_forward(void **state)
{
    (void)state;
    long long first = monotime_ms();
    assert_true(first >= 0 && first < 1000);
    long long later = monotime_ms();
    assert_true(later >= first);
}

int main(void)
{
    setenv("TEMPMAIL_MONOTIME_FROM_START", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_clock_from_start_reads_near_zero_and_goes_forward),
        cmocka_unit_test(a_job_that_never_ran_is_due_at_clock_zero),
        cmocka_unit_test(after_a_run_it_waits_its_interval_then_is_due),
        cmocka_unit_test(forgetting_makes_it_due_at_once),
        cmocka_unit_test(a_zero_filled_job_is_never_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
