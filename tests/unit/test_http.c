/* Unit tests of the pure parts of http: percent-decoding and route patterns. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"

static void percent_decode(void **state)
{
    char out[64];
    (void)state;
    const char *in = "/api/mail/inbox/test%40tempmail.test";
    assert_int_equal(http_percent_decode(in, strlen(in), out, sizeof(out), 0), 0);
    assert_string_equal(out, "/api/mail/inbox/test@tempmail.test");
    assert_int_equal(http_percent_decode("a+b%2Bc", 7, out, sizeof(out), 1), 0);
    assert_string_equal(out, "a b+c");
    assert_int_equal(http_percent_decode("a+b", 3, out, sizeof(out), 0), 0);
    assert_string_equal(out, "a+b");
    /* Truncated and non-hex escapes, and an escaped NUL, are refused. */
    assert_int_equal(http_percent_decode("%4", 2, out, sizeof(out), 0), -1);
    assert_int_equal(http_percent_decode("%", 1, out, sizeof(out), 0), -1);
    assert_int_equal(http_percent_decode("%zz", 3, out, sizeof(out), 0), -1);
    assert_int_equal(http_percent_decode("a%00b", 5, out, sizeof(out), 0), -1);
    /* Output that does not fit is refused, not cut. */
    assert_int_equal(http_percent_decode("abcdef", 6, out, 6, 0), -1);
    assert_int_equal(http_percent_decode("abcde", 5, out, 6, 0), 0);
}

static void route_patterns(void **state)
{
    char scratch[256];
    const char *params[HTTP_MAX_PARAMS];
    int n;
    (void)state;
    assert_true(http_route_match("/api/mail/generate", "/api/mail/generate", scratch, sizeof(scratch), params, &n));
    assert_int_equal(n, 0);
    assert_false(http_route_match("/api/mail/generate", "/api/mail/generate/", scratch, sizeof(scratch), params, &n));
    assert_false(http_route_match("/api/mail/generate", "/api/mail/gen", scratch, sizeof(scratch), params, &n));
    assert_true(http_route_match("/api/mail/inbox/{}", "/api/mail/inbox/a@b.c", scratch, sizeof(scratch), params, &n));
    assert_int_equal(n, 1);
    assert_string_equal(params[0], "a@b.c");
    assert_false(http_route_match("/api/mail/inbox/{}", "/api/mail/inbox/", scratch, sizeof(scratch), params, &n));
    assert_false(http_route_match("/api/mail/inbox/{}", "/api/mail/inbox/a/b", scratch, sizeof(scratch), params, &n));
    assert_true(http_route_match("/api/domains/{}/verify", "/api/domains/17/verify", scratch, sizeof(scratch), params, &n));
    assert_string_equal(params[0], "17");
    assert_true(http_route_match("/api/v1/inboxes/{}/messages", "/api/v1/inboxes/x@y.z/messages", scratch, sizeof(scratch), params, &n));
    assert_string_equal(params[0], "x@y.z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percent_decode),
        cmocka_unit_test(route_patterns),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
