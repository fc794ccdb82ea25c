/* Unit tests of batch: concurrent callers of one key run together, each exactly once, and
 * callers of other keys never share their run. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "batch.h"

#define THREADS 8
#define CALLS   50

struct call {
    int key;                    /* which key it was made with */
    int runs;                   /* how often a run included it */
    int mixed;                  /* a run included it with a call of another key */
};

static BATCH_TABLE table = BATCH_TABLE_INIT;
static struct call calls[THREADS][CALLS];

/* What a database statement would be: slow enough that others come meanwhile. */
static void run(void *context, void **args, size_t n)
{
    (void)context;
    struct timespec nap = { 0, 200000 };
    nanosleep(&nap, NULL);
    for (size_t i = 0; i < n; i++) {
        struct call *c = args[i];
        c->runs++;
        if (c->key != ((struct call *)args[0])->key)
            c->mixed = 1;
    }
}

static void *caller(void *arg)
{
    long t = (long)arg;
    for (int i = 0; i < CALLS; i++) {
        struct call *c = &calls[t][i];
        char key[32];
        c->key = (int)(t % 2);
        snprintf(key, sizeof(key), "account:%d", c->key);
        batch_run(&table, key, c, run, NULL);
    }
    return NULL;
}

static void each_call_runs_once_and_calls_come_together(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, caller, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < CALLS; k++) {
            assert_int_equal(calls[i][k].runs, 1);
            assert_int_equal(calls[i][k].mixed, 0);
        }
    long long runs = batch_runs(&table);
    printf("# %d calls in %lld runs\n", THREADS * CALLS, runs);
    assert_true(runs < THREADS * CALLS / 2);
}

static void a_key_too_long_runs_alone(void **state)
{
    (void)state;
    char key[BATCH_KEY_MAX + 8];
    struct call c = { 0, 0, 0 };
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    long long before = batch_runs(&table);
    batch_run(&table, key, &c, run, NULL);
    assert_int_equal(c.runs, 1);
    assert_int_equal(batch_runs(&table), before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_call_runs_once_and_calls_come_together),
        cmocka_unit_test(a_key_too_long_runs_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
