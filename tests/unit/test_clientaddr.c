/* Unit tests of clientaddr: what per-address limits count a client under. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "clientaddr.h"

static const char *key_of(const char *remote)
{
    static char out[CLIENTADDR_KEY_MAX];
    clientaddr_limit_key(remote, out, sizeof(out));
    return out;
}

static void ipv4_counts_as_itself(void **state)
{
    (void)state;
    assert_string_equal(key_of("192.0.2.1"), "192.0.2.1");
    assert_string_equal(key_of("127.0.0.1"), "127.0.0.1");
    assert_string_equal(key_of("::ffff:192.0.2.1"), "192.0.2.1");
}

static void ipv6_counts_by_its_64(void **state)
{
    (void)state;
    assert_string_equal(key_of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    assert_string_equal(key_of("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    /* Every address of one /64 is one client; the next /64 is another. */
    assert_string_equal(key_of("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
    assert_string_equal(key_of("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    assert_string_equal(key_of("::1"), "::/64");
}

static void anything_else_is_kept(void **state)
{
    (void)state;
    assert_string_equal(key_of(""), "");
    assert_string_equal(key_of("unix:"), "unix:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_counts_as_itself),
        cmocka_unit_test(ipv6_counts_by_its_64),
        cmocka_unit_test(anything_else_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
