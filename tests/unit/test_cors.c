/* Unit tests of cors: which paths are shared with other sites, and which origins may. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cors.h"

static void key_routes_are_shared_session_routes_are_not(void **state)
{
    (void)state;
    assert_true(cors_shared_path("/api/mail/generate"));
    assert_true(cors_shared_path("/api/v1/inboxes"));
    assert_true(cors_shared_path("/api/v1/admin/keys"));          /* a master key, not a cookie */
    assert_true(cors_shared_path("/api/account/profile"));
    assert_false(cors_shared_path("/api/account/login"));
    assert_false(cors_shared_path("/api/account/register"));
    assert_false(cors_shared_path("/api/account/logout"));
    assert_false(cors_shared_path("/api/admin/users"));
    assert_false(cors_shared_path("/inbox.html"));
}

static void origins_by_list_or_any(void **state)
{
    (void)state;
    assert_true(cors_origin_allowed("*", "https://app.example"));
    assert_true(cors_origin_allowed("https://a.example, http://localhost:3000",
                                    "http://localhost:3000"));
    assert_true(cors_origin_allowed("https://A.example", "https://a.example"));
    assert_false(cors_origin_allowed("https://a.example", "https://a.example.evil"));
    assert_false(cors_origin_allowed("https://a.example", "https://b.example"));
    assert_false(cors_origin_allowed("", "https://a.example"));
    assert_false(cors_origin_allowed("*", ""));
    assert_false(cors_origin_allowed("*", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_routes_are_shared_session_routes_are_not),
        cmocka_unit_test(origins_by_list_or_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
