/* Unit tests of timefmt: SQL DATETIME text to and from ISO 8601. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "timefmt.h"

static void to_iso_with_and_without_millis(void **state)
{
    char out[40];
    (void)state;
    assert_int_equal(timefmt_to_iso("2026-01-01 00:00:00.123", 1, out, sizeof(out)), 0);
    assert_string_equal(out, "2026-01-01T00:00:00.123Z");
    assert_int_equal(timefmt_to_iso("2026-02-15 04:41:00.999", 0, out, sizeof(out)), 0);
    assert_string_equal(out, "2026-02-15T04:41:00Z");
    assert_int_equal(timefmt_to_iso("2026-02-15 04:41:00", 1, out, sizeof(out)), 0);
    assert_string_equal(out, "2026-02-15T04:41:00.000Z");
    assert_int_equal(timefmt_to_iso("garbage", 1, out, sizeof(out)), -1);
    assert_int_equal(timefmt_to_iso("2026-02-15 04:41:00", 1, out, 10), -1);
}

static void from_iso_accepts_the_usual_forms(void **state)
{
    char sql[40];
    (void)state;
    assert_int_equal(timefmt_from_iso("2026-01-01T00:00:00.000Z", sql, sizeof(sql)), 0);
    assert_string_equal(sql, "2026-01-01 00:00:00.000");
    assert_int_equal(timefmt_from_iso("2026-01-01T10:20:30Z", sql, sizeof(sql)), 0);
    assert_string_equal(sql, "2026-01-01 10:20:30.000");
    assert_int_equal(timefmt_from_iso("2026-01-01T10:20:30.5Z", sql, sizeof(sql)), 0);
    assert_string_equal(sql, "2026-01-01 10:20:30.500");
    assert_int_equal(timefmt_from_iso("2026-01-01", sql, sizeof(sql)), 0);
    assert_string_equal(sql, "2026-01-01 00:00:00.000");
    /* An offset is turned into UTC, across midnight. */
    assert_int_equal(timefmt_from_iso("2026-01-01T01:30:00+02:00", sql, sizeof(sql)), 0);
    assert_string_equal(sql, "2025-12-31 23:30:00.000");
    assert_int_equal(timefmt_from_iso("2026-01-01T23:00:00-0130", sql, sizeof(sql)), 0);
    assert_string_equal(sql, "2026-01-02 00:30:00.000");
}

static void from_iso_refuses_what_is_not_iso(void **state)
{
    char sql[40];
    (void)state;
    const char *bad[] = { "", "yesterday", "2026-13-01T00:00:00Z", "2026-02-31", "2026-01-01T25:00:00Z",
                          "2026-01-01T00:00:00ZZ", "1767225600", "2026-1-1", "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00' OR 1=1 --",
                          /* found by fuzzing: an offset moving the year out of four digits */
                          "9999-12-31T23:59:59-05:00", "0000-01-01T00:00+01:00" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(timefmt_from_iso(bad[i], sql, sizeof(sql)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(to_iso_with_and_without_millis),
        cmocka_unit_test(from_iso_accepts_the_usual_forms),
        cmocka_unit_test(from_iso_refuses_what_is_not_iso),
    };
    return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
