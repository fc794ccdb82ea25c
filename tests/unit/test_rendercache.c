/* Unit tests of rendercache: what is kept, per dialect, and the bound on its size. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rendercache.h"

#define U "0a0c3b0b-3b9e-11f1-9c2e-002e51162ebe"

static void kept_json_comes_back_whole(void **state)
{
    (void)state;
    size_t len = 0;
    assert_null(rendercache_copy(RENDERCACHE_LEVERAGERS, 1, U, &len));
    rendercache_put(RENDERCACHE_LEVERAGERS, 1, U, "{\"id\":1}", 8);
    char *json = rendercache_copy(RENDERCACHE_LEVERAGERS, 1, U, &len);
    assert_non_null(json);
    assert_int_equal(len, 8);
    assert_memory_equal(json, "{\"id\":1}", 8);
    assert_int_equal(json[8], '\0');
    free(json);
}

static void each_dialect_has_its_own(void **state)
{
    (void)state;
    size_t len = 0;
    rendercache_put(RENDERCACHE_LEVERAGERS, 2, U, "{\"id\":2}", 8);
    assert_null(rendercache_copy(RENDERCACHE_AURELION, 2, U, &len));
    rendercache_put(RENDERCACHE_AURELION, 2, U, "{\"id\":\"u-2\"}", 12);
    char *a = rendercache_copy(RENDERCACHE_LEVERAGERS, 2, U, &len);
    assert_int_equal(len, 8);
    char *b = rendercache_copy(RENDERCACHE_AURELION, 2, U, &len);
    assert_int_equal(len, 12);
    assert_memory_equal(b, "{\"id\":\"u-2\"}", 12);
    free(a);
    free(b);
}

static void the_same_id_of_another_message_is_not_found(void **state)
{
    (void)state;
    size_t len = 0;
    /* A database restored from a backup hands out id 3 again, to another message. */
    rendercache_put(RENDERCACHE_LEVERAGERS, 3, U, "{\"id\":3,\"subject\":\"old\"}", 25);
    assert_null(rendercache_copy(RENDERCACHE_LEVERAGERS, 3, "7d1f0c2a-3b9f-11f1-9c2e-002e51162ebe",
                                 &len));
    rendercache_put(RENDERCACHE_LEVERAGERS, 3, "7d1f0c2a-3b9f-11f1-9c2e-002e51162ebe",
                    "{\"id\":3,\"subject\":\"new\"}", 25);
    char *json = rendercache_copy(RENDERCACHE_LEVERAGERS, 3, "7d1f0c2a-3b9f-11f1-9c2e-002e51162ebe",
                                  &len);
    assert_non_null(json);
    assert_memory_equal(json, "{\"id\":3,\"subject\":\"new\"}", 25);
    free(json);
}

static void the_oldest_go_first_and_the_size_stays_bounded(void **state)
{
    (void)state;
    static char big[RENDERCACHE_BYTES / 16];
    size_t len = 0;
    memset(big, 'x', sizeof(big));
    /* Four times the bound, in entries of a sixteenth of it. */
    for (unsigned long long id = 1000; id < 1064; id++) {
        rendercache_put(RENDERCACHE_AURELION, id, U, big, sizeof(big));
        assert_true(rendercache_bytes() <= RENDERCACHE_BYTES);
    }
    assert_null(rendercache_copy(RENDERCACHE_AURELION, 1000, U, &len));
    char *newest = rendercache_copy(RENDERCACHE_AURELION, 1063, U, &len);
    assert_non_null(newest);
    assert_int_equal(len, sizeof(big));
    free(newest);
    /* The small entries kept before are older still: gone too. */
    assert_null(rendercache_copy(RENDERCACHE_LEVERAGERS, 1, U, &len));
}

static void too_large_is_not_kept(void **state)
{
    (void)state;
    size_t len = 0, size = RENDERCACHE_BYTES / 8 + 1;
    char *huge = malloc(size);
    assert_non_null(huge);
    memset(huge, 'y', size);
    rendercache_put(RENDERCACHE_LEVERAGERS, 5000, U, huge, size);
    assert_null(rendercache_copy(RENDERCACHE_LEVERAGERS, 5000, U, &len));
    free(huge);
}

static void a_second_put_keeps_the_first(void **state)
{
    (void)state;
    size_t len = 0;
    rendercache_put(RENDERCACHE_LEVERAGERS, 7000, U, "{\"id\":7000}", 11);
    size_t before = rendercache_bytes();
    rendercache_put(RENDERCACHE_LEVERAGERS, 7000, U, "{\"id\":7000}", 11);
    assert_int_equal(rendercache_bytes(), before);
    char *json = rendercache_copy(RENDERCACHE_LEVERAGERS, 7000, U, &len);
    assert_int_equal(len, 11);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kept_json_comes_back_whole),
        cmocka_unit_test(each_dialect_has_its_own),
        cmocka_unit_test(the_same_id_of_another_message_is_not_found),
        cmocka_unit_test(the_oldest_go_first_and_the_size_stays_bounded),
        cmocka_unit_test(too_large_is_not_kept),
        cmocka_unit_test(a_second_put_keeps_the_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
