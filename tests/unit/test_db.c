/*
 * Unit tests of db's retry policy, the pure part of the retries on deadlocks and
 * write conflicts (tests/db/ provokes real ones against the stack's MariaDB).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <mysqld_error.h>
#include <errmsg.h>

#include "db.h"

static void deadlocks_are_retried_lock_waits_once_the_rest_never(void **state)
{
    (void)state;
    assert_int_equal(ER_LOCK_DEADLOCK, 1213);
    assert_int_equal(ER_LOCK_WAIT_TIMEOUT, 1205);
    assert_int_equal(db_retry_limit(ER_LOCK_DEADLOCK), DB_RETRY_TRIES);
    assert_true(DB_RETRY_TRIES > 2);
    /* a lock wait timeout has already waited innodb_lock_wait_timeout: one more try */
    assert_int_equal(db_retry_limit(ER_LOCK_WAIT_TIMEOUT), 2);
    /* a duplicate key, a syntax error, a lost server: running again gives the same */
    assert_int_equal(db_retry_limit(ER_DUP_ENTRY), 1);
    assert_int_equal(db_retry_limit(ER_PARSE_ERROR), 1);
    assert_int_equal(db_retry_limit(CR_SERVER_GONE_ERROR), 1);
    assert_int_equal(db_retry_limit(0), 1);
}

static void the_pause_grows_and_stays_between_half_and_whole(void **state)
{
    (void)state;
    long prev_top = 0;
    for (int retry = 1; retry < DB_RETRY_TRIES + 5; retry++) {
        long lo = db_retry_delay_us(retry, 0);
        long hi = db_retry_delay_us(retry, (unsigned long)-1 / 2);
        long top = 0;
        /* the largest a random number can give is the top of the range */
        for (unsigned long r = 0; r < 100000; r += 7)
            if (db_retry_delay_us(retry, r) > top)
                top = db_retry_delay_us(retry, r);
        assert_true(lo > 0);
        assert_true(lo <= hi && hi <= top);
        assert_true(top <= DB_RETRY_MAX_US);
        assert_true(lo >= top / 2 - 1);
        assert_true(top >= prev_top);      /* never shorter than the retry before */
        prev_top = top;
    }
    assert_true(db_retry_delay_us(1, 0) >= DB_RETRY_BASE_US / 2);
    assert_true(db_retry_delay_us(1, 123456) <= DB_RETRY_BASE_US);
    assert_true(db_retry_delay_us(4, 0) > db_retry_delay_us(1, (unsigned long)DB_RETRY_BASE_US));
    /* nonsense in, the first retry's pause out */
    assert_true(db_retry_delay_us(0, 5) == db_retry_delay_us(1, 5));
    assert_true(db_retry_delay_us(1000, 5) <= DB_RETRY_MAX_US);
}

static void two_random_numbers_give_two_pauses(void **state)
{
    (void)state;
    /* the point of the randomness: two losers of one conflict do not come back in step */
    int differ = 0;
    for (unsigned long r = 1; r < 50; r++)
        differ += db_retry_delay_us(3, r) != db_retry_delay_us(3, r + 1000);
    assert_true(differ > 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deadlocks_are_retried_lock_waits_once_the_rest_never),
        cmocka_unit_test(the_pause_grows_and_stays_between_half_and_whole),
        cmocka_unit_test(two_random_numbers_give_two_pauses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
